"""The notifications database: what both sub-domains share (:mod:`.tables`: the metadata, the
outbox, the inbox, the dead letters, the revocations, the public events received), and the
operator's read of the dead letters (:mod:`.dead_letters`).

The webhooks' tables are in :mod:`services.notifications.webhooks.storage.tables`, citizens' and
authors' e-mail in :mod:`services.notifications.mail.storage.tables`; all of them are on the one
:data:`.tables.metadata` (migrations in ../migrations).
"""
