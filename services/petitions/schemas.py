"""The wire: what clients and events send, checked and turned into commands; the shapes of what
they get back."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from hub_verify import leaves

from services.petitions.commands import (
    Decision,
    ForgetCitizen,
    NewPetition,
    PageQuery,
    PetitionChanges,
    SignRequest,
)
from services.petitions.domain import (
    ACR_LEVELS,
    DEFAULT_MIN_ACR,
    REJECTION_REASONS,
    Citizen,
    Petition,
    Receipt,
    Status,
)
from services.petitions.handlers.drafts import CreatedPetition
from services.petitions.handlers.petitions import PetitionView
from shared.clock import isoformat
from shared.envelope import Envelope, InvalidEnvelope
from shared.web import HttpError

TITLE_LENGTH = (10, 200)
TEXT_LENGTH = (20, 5000)
# INSEE codes of départements (metropolitan, Corsica, overseas).
DEPARTEMENT = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$")
MAX_PAGE_SIZE = 100
MAX_SEARCH_LENGTH = 100
MAX_OFFSET = 1_000_000  # deeper pages are for the open-data export
DECISIONS = ("publish", "reject", "hide", "close")
MAX_TOKEN_LENGTH = 100
HEX64 = leaves.HEX32  # commitments and receipt secrets
MAX_SIGNER_LENGTH = 100
RECEIPTS_PATH = "/tlog/api/v1/receipts/"  # on the transparency service


def invalid(message: str) -> HttpError:
    return HttpError(400, "invalid_request", message)


def _only(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise invalid(f"unknown field(s): {', '.join(unknown)}")


def _text(data: dict[str, Any], name: str, bounds: tuple[int, int]) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise invalid(f"{name} is required and must be a string")
    value = value.strip()
    if any(ord(c) < 32 and c not in "\t\n\r" or 0x7F <= ord(c) < 0xA0 for c in value):
        raise invalid(f"{name} must not contain control characters")
    if not bounds[0] <= len(value) <= bounds[1]:
        raise invalid(f"{name} must be {bounds[0]} to {bounds[1]} characters long")
    return value


def new_petition(data: dict[str, Any]) -> NewPetition:
    _only(data, {"title", "text", "min_acr", "draft"})
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        raise invalid("draft must be true or false")
    return NewPetition(
        _text(data, "title", TITLE_LENGTH),
        _text(data, "text", TEXT_LENGTH),
        _min_acr(data.get("min_acr", DEFAULT_MIN_ACR)),
        draft,
    )


def petition_changes(data: dict[str, Any]) -> PetitionChanges:
    """A draft's edit: any of title, text, min_acr (at least one)."""
    _only(data, {"title", "text", "min_acr"})
    if not data:
        raise invalid("send at least one of title, text, min_acr")
    return PetitionChanges(
        title=_text(data, "title", TITLE_LENGTH) if "title" in data else None,
        text=_text(data, "text", TEXT_LENGTH) if "text" in data else None,
        min_acr=_min_acr(data["min_acr"]) if "min_acr" in data else None,
    )


def sponsor_token(data: dict[str, Any]) -> str:
    _only(data, {"token"})
    token = data.get("token")
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        raise invalid(f"token is required: the sponsor link's token (at most {MAX_TOKEN_LENGTH})")
    return token


def _min_acr(value: Any) -> str:
    if value not in ACR_LEVELS:
        raise invalid(f"min_acr must be one of {', '.join(ACR_LEVELS)}")
    return str(value)


def moderation_decision(data: dict[str, Any]) -> Decision:
    _only(data, {"decision", "reason"})
    decision = data.get("decision")
    if decision not in DECISIONS:
        raise invalid(f"decision must be one of {', '.join(DECISIONS)}")
    reason = data.get("reason")
    if decision == "reject" and reason not in REJECTION_REASONS:
        raise invalid(f"a rejection needs a reason among: {', '.join(REJECTION_REASONS)}")
    if decision != "reject" and reason is not None:
        raise invalid("only a rejection takes a reason")
    return Decision(decision, reason if decision == "reject" else None)


def signature_request(petition_id: str, citizen: Citizen, data: dict[str, Any]) -> SignRequest:
    """A signature: the optional self-declared département, the optional commitment (the caller
    keeps its secret; else the hub makes one)."""
    _only(data, {"departement", "commitment"})
    departement = data.get("departement")
    if departement is not None and (
        not isinstance(departement, str) or not DEPARTEMENT.match(departement)
    ):
        raise invalid("departement must be an INSEE département code such as 75, 2A or 971")
    commitment = data.get("commitment")
    if commitment is not None and not (isinstance(commitment, str) and HEX64.fullmatch(commitment)):
        raise HttpError(
            400,
            "invalid_commitment",
            "commitment must be 64 lowercase hexadecimal digits:"
            " SHA-256 of 'hub/v1/sig\\n' + petition id + '\\n' + your 32-byte secret",
        )
    return SignRequest(petition_id, citizen, departement, commitment)


def withdrawal_secret(data: dict[str, Any]) -> bytes | None:
    """The optional receipt secret a withdrawal reveals (64 lowercase hex)."""
    _only(data, {"receipt_secret"})
    secret = data.get("receipt_secret")
    if secret is None:
        return None
    if not isinstance(secret, str) or not HEX64.fullmatch(secret):
        raise HttpError(
            400,
            "invalid_receipt_secret",
            "receipt_secret must be 64 lowercase hexadecimal digits (the 32-byte secret)",
        )
    return bytes.fromhex(secret)


def receipt_view(receipt: Receipt, transparency_url: str) -> dict[str, Any]:
    """The 201 answer's receipt: its commitment, where its inclusion proof will be, and the
    secret when the hub made it (this once: it is kept nowhere)."""
    view: dict[str, Any] = receipt.as_dict()
    view["commitment"] = receipt.commitment
    view["proof_url"] = transparency_url + RECEIPTS_PATH + receipt.commitment
    if receipt.secret is not None:
        view["receipt_secret"] = receipt.secret
    return view


def page_query(args: Any) -> PageQuery:
    status = args.get("status")
    if status is not None and status not in Status.ALL:
        raise invalid(f"status must be one of {', '.join(Status.ALL)}")
    search = (args.get("q") or "").strip() or None
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise invalid(f"q must be at most {MAX_SEARCH_LENGTH} characters")
    try:
        limit = int(args.get("limit", 20))
        offset = int(args.get("offset", 0))
    except ValueError:
        raise invalid("limit and offset must be whole numbers") from None
    if not 1 <= limit <= MAX_PAGE_SIZE or not 0 <= offset <= MAX_OFFSET:
        raise invalid(f"limit must be 1 to {MAX_PAGE_SIZE} and offset 0 to {MAX_OFFSET}")
    return PageQuery(status, search, limit, offset)


def citizen(claims: Mapping[str, Any]) -> Citizen:
    """The citizen an access token's (verified) claims name."""
    signer = claims.get("signer")
    usable = isinstance(signer, str) and 0 < len(signer) <= MAX_SIGNER_LENGTH
    return Citizen(
        sub=str(claims["sub"]),
        acr=str(claims.get("acr", "")),
        adult=claims.get("adult") is True,
        signer=signer if usable else None,
    )


def citizen_erased(body: Any) -> ForgetCitizen:
    """An ``identity.citizen_erased`` event: the citizen's subject here, or InvalidEnvelope."""
    envelope = Envelope.from_dict(body)
    sub = envelope.payload.get("subjects", {}).get("petitions")
    if not isinstance(sub, str) or not sub:
        raise InvalidEnvelope("an erasure event must name the petitions subject")
    return ForgetCitizen(envelope.id, sub)


def petition_view(
    petition: Petition,
    signature_count: int,
    by_departement: dict[str, int] | None = None,
    sponsor_count: int = 0,
    author: bool = False,
) -> dict[str, Any]:
    """The petition as clients see it; its sponsor link's token only for its ``author``."""
    view: dict[str, Any] = {
        "id": petition.id,
        "title": petition.title,
        "text": petition.text,
        "status": petition.status,
        "min_acr": petition.min_acr,
        "created_at": isoformat(petition.created_at),
        "published_at": _iso(petition.published_at),
        "deadline": _iso(petition.deadline),
        "closed_at": _iso(petition.closed_at),
        "rejection_reason": petition.rejection_reason,
        "signature_count": signature_count,
        "sponsor_count": sponsor_count,
    }
    if by_departement is not None:
        view["signatures_by_departement"] = by_departement
    if author and petition.status in Status.BEFORE_MODERATION and petition.sponsor_token:
        view["sponsor_token"] = petition.sponsor_token
    return view


def _iso(moment: Any) -> str | None:
    return isoformat(moment) if moment else None


def detail_view(view: PetitionView) -> dict[str, Any]:
    return petition_view(
        view.petition,
        view.signature_count,
        view.by_departement,
        view.sponsor_count,
        author=view.by_author,
    )


def page_view(found: list[PetitionView], query: PageQuery) -> dict[str, Any]:
    items = [
        petition_view(v.petition, v.signature_count, sponsor_count=v.sponsor_count) for v in found
    ]
    return {"items": items, "limit": query.limit, "offset": query.offset}


def created_view(created: CreatedPetition) -> dict[str, Any]:
    """The new petition for its author, with its author key (shown this once, never stored)."""
    body = petition_view(created.petition, 0, author=True)
    body["author_key"] = created.author_key
    return body


CSV_COLUMNS = (
    "id",
    "title",
    "status",
    "published_at",
    "deadline",
    "closed_at",
    "signature_count",
    "signatures_by_departement",
)


def open_data(found: list[PetitionView]) -> list[dict[str, Any]]:
    """Public petitions and their counts, never who created or signed them."""
    return [
        {
            "id": v.petition.id,
            "title": v.petition.title,
            "status": v.petition.status,
            "published_at": _iso(v.petition.published_at),
            "deadline": _iso(v.petition.deadline),
            "closed_at": _iso(v.petition.closed_at),
            "signature_count": v.signature_count,
            "signatures_by_departement": v.by_departement,
        }
        for v in found
    ]


def csv_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = [list(CSV_COLUMNS)]
    for item in items:
        row = [item[c] for c in CSV_COLUMNS]
        row[-1] = json.dumps(item["signatures_by_departement"], sort_keys=True)
        rows.append([_cell(v) for v in row])
    return rows


def _cell(value: Any) -> Any:
    """Keep spreadsheets from running a title as a formula (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
