"""Citizens' and authors' e-mail refusals (their HTTP answers are in
services.notifications.web.errors) and the bus events it cannot read."""

from __future__ import annotations

from shared.refusals import Refusal


class InvalidEvent(ValueError):
    """A message on the bus is not a petition event we can read (dead-lettered)."""


class MailError(Refusal):
    """A refusal the client caused; ``code`` is the JSON error code."""

    code = "invalid_request"


class InvalidRequest(MailError):
    pass


class ReceiptNotFound(MailError):
    """Unknown (perhaps not yet: the petitions service announces receipts within seconds)."""

    code = "receipt_not_found"


class AuthorKeyNotFound(MailError):
    """Unknown petition or wrong key (perhaps not yet: ``petition.submitted`` may lag)."""

    code = "author_key_not_found"


class Conflict(MailError):
    code = "conflict"
