"""The webhooks' tables (:mod:`.tables`) and queries (:mod:`.queries`)."""
