"""A rule said no: the base of the services' domain refusals (standard library only).

``code`` is the JSON answer's ``error`` (a class's default, or the one given), ``message`` says
why, for people. Each service's ``web/errors.py`` table turns its kinds into HTTP answers.
"""

from __future__ import annotations


class Refusal(Exception):
    code = "refused"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
