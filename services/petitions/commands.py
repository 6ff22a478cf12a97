"""What the petitions service is asked to do: its input types, built from the wire by schemas."""

from __future__ import annotations

from dataclasses import dataclass

from services.petitions.domain import Citizen


@dataclass(frozen=True)
class NewPetition:
    title: str
    text: str
    min_acr: str
    draft: bool = False


@dataclass(frozen=True)
class PetitionChanges:
    """A draft's edit: the fields to change (None: as it is)."""

    title: str | None = None
    text: str | None = None
    min_acr: str | None = None

    def as_dict(self) -> dict[str, str]:
        fields = {"title": self.title, "text": self.text, "min_acr": self.min_acr}
        return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class Decision:
    """An operator's moderation decision: publish, reject (with a reason), hide or close."""

    decision: str
    reason: str | None


@dataclass(frozen=True)
class SignRequest:
    petition_id: str
    citizen: Citizen
    departement: str | None = None  # self-declared, optional
    commitment: str | None = None  # 64 lowercase hex, when the citizen keeps their secret


@dataclass(frozen=True)
class PageQuery:
    status: str | None
    search: str | None
    limit: int
    offset: int


@dataclass(frozen=True)
class ForgetCitizen:
    """identity erased a citizen (``identity.citizen_erased``): their subject here, ``sub``."""

    event_id: str  # applied once (the inbox)
    sub: str
