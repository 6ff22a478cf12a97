"""The pages' forms: what people typed, checked field by field so each error sits by its field.

The limits are the JSON API's (``schemas``); the commands are built by the same schema
functions, so the rules stay in one place and the pages only add where each error goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from services.petitions import schemas
from services.petitions.commands import Decision, NewPetition, PetitionChanges
from services.petitions.domain import ACR_LEVELS, DEFAULT_MIN_ACR, REJECTION_REASONS
from shared.web import HttpError


@dataclass(frozen=True)
class FieldError:
    field: str  # the input's id, for the error summary's link
    message_id: str
    values: dict[str, Any] = default(default_factory=dict)


@dataclass
class PetitionForm:
    title: str = ""
    text: str = ""
    min_acr: str = DEFAULT_MIN_ACR
    errors: list[FieldError] = default(default_factory=list)

    def error_for(self, name: str) -> FieldError | None:
        return next((e for e in self.errors if e.field == name), None)


def petition_form(form: Any) -> PetitionForm:
    filled = PetitionForm(
        title=str(form.get("title", "")),
        text=str(form.get("text", "")),
        min_acr=str(form.get("min_acr", DEFAULT_MIN_ACR)),
    )
    for name, bounds in (("title", schemas.TITLE_LENGTH), ("text", schemas.TEXT_LENGTH)):
        if not bounds[0] <= len(getattr(filled, name).strip()) <= bounds[1]:
            values = {"min": bounds[0], "max": bounds[1]}
            filled.errors.append(FieldError(name, f"error_{name}_length", values))
    if filled.min_acr not in ACR_LEVELS:
        filled.errors.append(FieldError(f"min_acr-{DEFAULT_MIN_ACR}", "error_min_acr"))
    return filled


def new_petition(filled: PetitionForm) -> NewPetition:
    return schemas.new_petition(
        {"title": filled.title, "text": filled.text, "min_acr": filled.min_acr}
    )


def draft_changes(filled: PetitionForm) -> PetitionChanges | None:
    """A draft's new title, text and level, as ``PATCH /api/petitions/{id}`` takes them; None
    when the API's checks refuse what the form's let through (the form is shown again)."""
    try:
        return schemas.petition_changes(
            {"title": filled.title, "text": filled.text, "min_acr": filled.min_acr}
        )
    except HttpError:
        return None


def departement(form: Any) -> tuple[str | None, FieldError | None]:
    raw = str(form.get("departement", "")).strip().upper()
    if not raw:
        return None, None
    if not schemas.DEPARTEMENT.match(raw):
        return None, FieldError("departement", "error_departement")
    return raw, None


def commitment(form: Any) -> tuple[str | None, FieldError | None]:
    """The commitment the pages' script made (it keeps the secret in the browser), checked as
    the API checks it; absent without JavaScript, and then the hub makes the secret."""
    raw = form.get("commitment") or None
    if raw is None:
        return None, None
    try:
        return schemas.signature_request("", None, {"commitment": raw}).commitment, None  # type: ignore[arg-type]
    except HttpError:
        return None, FieldError("sign", "err_invalid_commitment")


def receipt_secret(form: Any) -> tuple[bytes | None, FieldError | None]:
    """The receipt secret the pages' script found in the browser, checked as the API checks it."""
    raw = form.get("receipt_secret") or None
    if raw is None:
        return None, None
    try:
        return schemas.withdrawal_secret({"receipt_secret": raw}), None
    except HttpError:
        return None, FieldError("withdraw", "err_invalid_receipt_secret")


def moderation_decision(form: Any) -> Decision | None:
    """The operator's decision, or None when it is not one the API would take."""
    decision = form.get("decision")
    reason = form.get("reason") or None
    if decision not in schemas.DECISIONS:
        return None
    if decision == "reject":
        return Decision("reject", reason) if reason in REJECTION_REASONS else None
    return Decision(decision, None)
