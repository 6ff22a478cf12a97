"""The webhooks' use cases: the agencies' subscriptions API (:mod:`.subscriptions`), the fan-out
of petition events (:mod:`.fan_out`), the delivery loop's steps (:mod:`.attempts`), and the
operators' dead letters (:mod:`.dead_letters`)."""
