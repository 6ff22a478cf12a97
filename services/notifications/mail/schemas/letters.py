"""The mails as views: a :class:`~services.notifications.mail.domain.letters.Letter` written
out in its reader's language as the RFC 5322 message the mail loop hands to the SMTP server."""

from __future__ import annotations

from services.notifications.mail.domain.letters import (
    Confirmation,
    Letter,
    Outcome,
    Published,
    Rejected,
    ThresholdReached,
)
from services.notifications.mail.schemas import author_letters, citizen_letters
from services.notifications.mail.schemas.message import (
    MailContext,
    Rendered,
    message,
    petition_title,
)


class Letters:
    """Writes letters (the handlers' :data:`WriteLetter`) from the service's public URL."""

    def __init__(self, context: MailContext) -> None:
        self.context = context

    def __call__(self, letter: Letter) -> str:
        title = petition_title(letter.locale, letter.title, letter.petition_id)
        token = letter.unsubscribe_token
        url = self.context.unsubscribe_url(token) if token is not None else None
        rendered = _rendered(letter, title, url)
        return message(self.context, letter.recipient, letter.locale, rendered)


def _rendered(letter: Letter, title: str, url: str | None) -> Rendered:
    about, locale = letter.about, letter.locale
    if isinstance(about, Confirmation):
        return citizen_letters.confirmation(locale, title, about.receipt, url)
    if url is None:  # every other letter belongs to a list its reader can leave
        raise ValueError(f"a {letter.kind} letter needs its unsubscribe token")
    if isinstance(about, Outcome):
        return citizen_letters.outcome(locale, title, about.signature_count, url)
    if isinstance(about, Published):
        return author_letters.published(locale, title, about.deadline, url)
    if isinstance(about, Rejected):
        return author_letters.rejected(locale, title, about.reason, url)
    if isinstance(about, ThresholdReached):
        return author_letters.threshold_reached(
            locale, title, about.threshold, about.signature_count, url
        )
    raise TypeError(f"no view for {type(about).__name__}")  # pragma: no cover
