"""The pages' words in French (first) and English, and how a language is chosen.

Choice: ``?lang=`` (then remembered in a cookie), the cookie, ``Accept-Language``, French.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request

from services.petitions.web import messages, messages_drafts

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
SHOWN_TIME_ZONE = "Europe/Paris"

MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def negotiate(request: Request) -> tuple[str, bool]:
    """The page's language, and whether it was just asked for (to remember in the cookie)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGUAGES:
        return remembered, False
    for tag, _quality in request.accept_languages:  # best first; "en-GB" counts as "en"
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary, False
    return DEFAULT_LANGUAGE, False


@dataclass(frozen=True)
class Translator:
    lang: str

    def __call__(self, key: str, **values: Any) -> str:
        text = MESSAGES[self.lang].get(key) or MESSAGES[DEFAULT_LANGUAGE][key]
        return text.format(**values) if values else text

    def count(self, n: int) -> str:
        """'1 signature', '2 signatures' (French counts 0 as singular)."""
        one = n in (0, 1) if self.lang == "fr" else n == 1
        return self("signatures_one" if one else "signatures_other", count=self.number(n))

    def number(self, n: int) -> str:
        grouped = f"{n:,}"
        return grouped.replace(",", "\u202f") if self.lang == "fr" else grouped

    def date(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(ZoneInfo(SHOWN_TIME_ZONE))
        month = MONTHS[self.lang][local.month - 1]
        return f"{local.day} {month} {local.year}"

    def status(self, status: str) -> str:
        return self(f"status_{status}")

    def reason(self, reason: str | None) -> str:
        return self(f"reason_{reason}") if reason else ""


FR = {**messages.FR, **messages_drafts.FR}
EN = {**messages.EN, **messages_drafts.EN}
MESSAGES = {"fr": FR, "en": EN}
