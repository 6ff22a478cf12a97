"""Notices to petition authors (published, rejected, threshold reached), in French or English.

Pure: each function returns a :class:`.message.Rendered` that :func:`.message.message` turns
into text and HTML with RFC 8058 one-click unsubscribe headers.
"""

from __future__ import annotations

from services.notifications.mail.schemas.message import Rendered

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "greeting": "Bonjour,",
        "published.subject": "Votre pétition est publiée : {title}",
        "published.intro": "Votre pétition « {title} » est publiée : chacun peut la signer.",
        "published.deadline": "Elle est ouverte aux signatures jusqu'au {deadline} (UTC).",
        "rejected.subject": "Votre pétition n'a pas été publiée : {title}",
        "rejected.intro": "La modération n'a pas publié votre pétition « {title} ».",
        "rejected.reason": "Motif : {reason}",
        "threshold.subject": "Votre pétition a atteint {threshold} signatures : {title}",
        "threshold.intro": "Votre pétition « {title} » a atteint le seuil de {threshold} "
        "signatures ; elle en compte {count}.",
        "kept": "Nous vous écrirons si elle atteint un autre seuil, et effacerons votre adresse "
        "à sa clôture.",
        "erased": "Votre adresse est maintenant effacée de nos fichiers.",
    },
    "en": {
        "greeting": "Hello,",
        "published.subject": "Your petition is published: {title}",
        "published.intro": "Your petition “{title}” is published: anyone can sign it.",
        "published.deadline": "It is open for signatures until {deadline} (UTC).",
        "rejected.subject": "Your petition was not published: {title}",
        "rejected.intro": "Moderation did not publish your petition “{title}”.",
        "rejected.reason": "Reason: {reason}",
        "threshold.subject": "Your petition reached {threshold} signatures: {title}",
        "threshold.intro": "Your petition “{title}” reached the threshold of {threshold} "
        "signatures; it now has {count}.",
        "kept": "We will write if it reaches another threshold, and erase your address when it "
        "closes.",
        "erased": "Your address is now erased from our records.",
    },
}

# The petitions service's rejection reasons (services/petitions/domain.py REJECTION_REASONS).
REASONS: dict[str, dict[str, str]] = {
    "fr": {
        "duplicate": "une pétition ouverte demande déjà la même chose.",
        "not_actionable": "elle ne demande pas quelque chose que les pouvoirs publics peuvent "
        "faire.",
        "unlawful": "elle est illégale, diffamatoire ou incite à la haine.",
        "personal_data": "elle nomme ou expose des personnes privées.",
        "advertising": "elle fait la promotion d'un produit, d'un service ou d'une entreprise.",
        "unclear": "elle est trop imprécise pour qu'on puisse y donner suite.",
        "offensive": "elle contient des propos injurieux ou offensants.",
        "": "la modération n'a pas donné de motif que nous sachions expliquer.",
    },
    "en": {
        "duplicate": "an open petition already asks for the same thing.",
        "not_actionable": "it does not ask for something the public authorities can do.",
        "unlawful": "it is unlawful, defamatory or incites hatred.",
        "personal_data": "it names or exposes private individuals.",
        "advertising": "it promotes a product, service or business.",
        "unclear": "it is too unclear to be acted upon.",
        "offensive": "it contains offensive or abusive language.",
        "": "moderation gave no reason we know how to explain.",
    },
}


def published(locale: str, title: str, deadline: str | None, unsubscribe_url: str) -> Rendered:
    t = TEXTS[locale]
    paragraphs = [t["greeting"], t["published.intro"].format(title=title)]
    day = _day(deadline)
    if day:
        paragraphs.append(t["published.deadline"].format(deadline=day))
    return Rendered(
        t["published.subject"].format(title=title),
        [*paragraphs, t["kept"]],
        [],
        unsubscribe_url,
    )


def rejected(locale: str, title: str, reason: str, unsubscribe_url: str) -> Rendered:
    t = TEXTS[locale]
    explained = REASONS[locale].get(reason) or REASONS[locale][""]
    return Rendered(
        t["rejected.subject"].format(title=title),
        [
            t["greeting"],
            t["rejected.intro"].format(title=title),
            t["rejected.reason"].format(reason=explained),
            t["erased"],
        ],
        [],
        unsubscribe_url,
    )


def threshold_reached(
    locale: str, title: str, threshold: int, count: int, unsubscribe_url: str
) -> Rendered:
    t = TEXTS[locale]
    shown = {"title": title, "threshold": number(locale, threshold), "count": number(locale, count)}
    return Rendered(
        t["threshold.subject"].format(**shown),
        [t["greeting"], t["threshold.intro"].format(**shown), t["kept"]],
        [],
        unsubscribe_url,
    )


def number(locale: str, value: int) -> str:
    """100 000 in French (narrow no-break space, as the Imprimerie nationale has it), 100,000
    in English."""
    grouped = f"{value:,}"
    return grouped.replace(",", "\u202f") if locale == "fr" else grouped


def _day(moment: str | None) -> str | None:
    """The date of an RFC 3339 time (``2026-09-01``), or None if it is not one."""
    if not isinstance(moment, str) or len(moment) < 10:
        return None
    day = moment[:10]
    digits = day.replace("-", "")
    return day if digits.isdigit() and day[4] == day[7] == "-" else None
