"""What can go wrong, in the log's words; web/errors.py maps each to an HTTP answer."""

from __future__ import annotations


class LogError(Exception):
    """Base of the transparency service's refusals."""


class InvalidLeaves(LogError):
    """An event petitions sent cannot enter the log (dead-lettered, never integrated)."""


class Refused(LogError):
    """A malformed request (400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NotFound(LogError):
    """Nothing the log published has that name (404)."""


class NotYet(NotFound):
    """Not in the published log yet; ask again in a moment (404 + Retry-After)."""
