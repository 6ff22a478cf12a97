"""Letters to signers (their signature's confirmation with its receipt; the petition's outcome),
in French or English; :func:`.message.message` makes them RFC 5322 messages."""

from __future__ import annotations

from services.notifications.mail.domain.receipts import Receipt
from services.notifications.mail.schemas.message import Rendered

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "greeting": "Bonjour,",
        "confirmation.subject": "Votre signature est enregistrée : {title}",
        "confirmation.intro": "Votre signature de la pétition « {title} » est enregistrée.",
        "receipt": "Votre reçu (il prouve votre signature sans dire qui vous êtes) :",
        "receipt.petition": "Pétition",
        "receipt.signature": "Signature",
        "receipt.signed_at": "Date (UTC)",
        "receipt.hash": "Empreinte SHA-256",
        "kept": "Nous vous écrirons une seule fois, à la clôture de la pétition, puis "
        "effacerons votre adresse.",
        "not_kept": "Nous n'avons pas conservé votre adresse.",
        "outcome.subject": "La pétition « {title} » est close",
        "outcome.intro": "La pétition « {title} », que vous avez signée, est close avec "
        "{count} signatures.",
        "outcome.erased": "Votre adresse est maintenant effacée de nos fichiers.",
    },
    "en": {
        "greeting": "Hello,",
        "confirmation.subject": "Your signature is recorded: {title}",
        "confirmation.intro": "Your signature of the petition “{title}” is recorded.",
        "receipt": "Your receipt (it proves your signature without saying who you are):",
        "receipt.petition": "Petition",
        "receipt.signature": "Signature",
        "receipt.signed_at": "Date (UTC)",
        "receipt.hash": "SHA-256 fingerprint",
        "kept": "We will write once, when the petition closes, and then erase your address.",
        "not_kept": "We have not kept your address.",
        "outcome.subject": "The petition “{title}” has closed",
        "outcome.intro": "The petition “{title}”, which you signed, closed with {count} "
        "signatures.",
        "outcome.erased": "Your address is now erased from our records.",
    },
}


def confirmation(
    locale: str, title: str, receipt: Receipt, unsubscribe_url: str | None
) -> Rendered:
    t = TEXTS[locale]
    rows = [
        (t["receipt.petition"], receipt.petition_id),
        (t["receipt.signature"], receipt.signature_id),
        (t["receipt.signed_at"], receipt.signed_at),
        (t["receipt.hash"], receipt.hash),
    ]
    closing = t["kept"] if unsubscribe_url else t["not_kept"]
    paragraphs = [t["greeting"], t["confirmation.intro"].format(title=title), t["receipt"]]
    return Rendered(
        t["confirmation.subject"].format(title=title), [*paragraphs, closing], rows, unsubscribe_url
    )


def outcome(locale: str, title: str, count: int | None, unsubscribe_url: str) -> Rendered:
    t = TEXTS[locale]
    intro = t["outcome.intro"].format(title=title, count=count if count is not None else "?")
    return Rendered(
        t["outcome.subject"].format(title=title),
        [t["greeting"], intro, t["outcome.erased"]],
        [],
        unsubscribe_url,
    )
