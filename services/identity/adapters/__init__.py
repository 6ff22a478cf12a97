"""What the identity service talks to besides its database and the bus: the upstream providers
(:mod:`.relying_party` over :mod:`.back_channel`), its signing keys (:mod:`.keys`, :mod:`.jwt`)
and its metrics (:mod:`.metrics`)."""
