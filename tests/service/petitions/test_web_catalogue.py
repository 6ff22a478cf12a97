"""The pages' message catalogue and language choice (no server needed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.petitions.domain import ACR_LEVELS, REJECTION_REASONS, Status
from services.petitions.web import i18n, messages, messages_drafts


def request(path: str = "/", **headers: str) -> Request:
    return Request(EnvironBuilder(path=path, headers=headers).get_environ())


def test_french_and_english_say_the_same_things_with_the_same_placeholders():
    assert set(i18n.FR) == set(i18n.EN)
    for key, french in i18n.FR.items():
        assert set(re.findall(r"{(\w+)}", french)) == set(re.findall(r"{(\w+)}", i18n.EN[key]))


def test_the_drafts_words_neither_repeat_nor_override_the_others():
    assert set(messages_drafts.FR) & set(messages.FR) == set()
    assert set(messages_drafts.FR) <= set(i18n.FR) and set(messages_drafts.EN) <= set(i18n.EN)


def test_every_refusal_of_the_draft_use_cases_has_words():
    codes = ["not_enough_sponsors", "already_sponsored", "author_cannot_sponsor"]
    codes += ["sponsoring_closed", "acr_too_low", "not_adult", "invalid_transition"]
    assert [code for code in codes if f"err_{code}" not in i18n.FR] == []


def test_every_status_level_and_rejection_reason_has_words():
    needed = [f"status_{s}" for s in Status.ALL] + [f"acr_{a}" for a in ACR_LEVELS]
    needed += [f"reason_{r}" for r in REJECTION_REASONS]
    assert [key for key in needed if key not in i18n.FR] == []


def test_language_is_asked_then_remembered_then_the_browsers_then_french():
    assert i18n.negotiate(request("/?lang=en")) == ("en", True)
    assert i18n.negotiate(request("/?lang=de", Cookie="lang=en")) == ("en", False)
    assert i18n.negotiate(request(**{"Accept-Language": "en-GB,fr;q=0.5"})) == ("en", False)
    assert i18n.negotiate(request(**{"Accept-Language": "de, es"})) == ("fr", False)


def test_counts_numbers_and_dates_read_naturally_in_each_language():
    fr, en = i18n.Translator("fr"), i18n.Translator("en")
    assert (fr.count(0), fr.count(1), fr.count(12345)) == (
        "0 signature",
        "1 signature",
        "12\u202f345 signatures",
    )
    assert (en.count(0), en.count(1), en.count(12345)) == (
        "0 signatures",
        "1 signature",
        "12,345 signatures",
    )
    late_evening = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # already April 1st in Paris
    assert fr.date(late_evening) == "1 avril 2026" and en.date(late_evening) == "1 April 2026"
