"""The operator's use cases (``hub clients ...``, ``hub keys rotate``, ``hub citizens erase``)."""

from __future__ import annotations

import dataclasses
import hmac
import secrets
import time
from typing import Any

from services.identity import storage
from services.identity.adapters import keys
from services.identity.adapters.jwt import LEEWAY_SECONDS
from services.identity.commands import (
    DisableClient,
    EraseCitizen,
    RegisterClient,
    RotateClientSecret,
    RotateKeys,
)
from services.identity.domain.citizens import client_sector, pairwise_subject, resource_sector
from services.identity.domain.claims import ID_TOKEN_TTL_SECONDS
from services.identity.domain.clients import Client, UnknownClient, new_client
from services.identity.domain.digests import digest
from services.identity.events import CitizenErased
from services.identity.handlers.revocations import announce_client, announce_subjects
from shared.config import Settings
from shared.db import UnitOfWork, make_engine
from shared.scopes import RESOURCE_OF_SCOPE


def register_client(uow: UnitOfWork, command: RegisterClient) -> dict[str, Any]:
    """Registers a client; its description with the secret, shown this once and never stored."""
    client, secret = new_client(
        command.name,
        command.kind,
        command.scope,
        list(command.redirect_uris),
        command.public,
        command.production,
    )
    storage.add_client(uow, client)
    uow.commit()
    return {**client.to_public_dict(), "client_secret": secret}


def list_clients(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [{**c.to_public_dict(), "disabled": c.disabled} for c in storage.all_clients(uow)]


def disable_client(uow: UnitOfWork, settings: Settings, command: DisableClient) -> dict[str, Any]:
    """The client can no longer sign anyone in nor get tokens; what it holds stops at userinfo
    and, within about a second, at the resource services."""
    client_id = command.client_id
    if not storage.update_client(uow, client_id, disabled=True):
        raise UnknownClient(client_id)
    storage.revoke_client_tokens(uow, client_id)
    announce_client(uow, client_id, int(time.time()), settings.access_token_ttl)
    uow.commit()
    return {"client_id": client_id, "disabled": True}


def rotate_client_secret(uow: UnitOfWork, command: RotateClientSecret) -> dict[str, Any]:
    """A new secret, shown this once; the old one stops working at once."""
    client = storage.find_client(uow, command.client_id)
    if client is None:
        raise UnknownClient(command.client_id)
    if client.public:
        raise ValueError("a public client has no secret")
    secret = secrets.token_urlsafe(32)
    storage.update_client(uow, command.client_id, secret_hash=digest(secret))
    uow.commit()
    return {"client_id": command.client_id, "client_secret": secret}


def erase_citizen(
    uow: UnitOfWork, settings: Settings, command: EraseCitizen
) -> dict[str, Any] | None:
    """Forgets the citizen whose pairwise ``subject`` is given (the petitions service's, or a
    client's ID-token ``sub`` with ``client_id``), and tells resource services through the outbox
    which subjects they knew the citizen by, and to refuse the access tokens issued to those
    subjects until now. None when no citizen has this subject.

    NOTE: pairwise subjects are keyed hashes, so the citizen is found by recomputing each one's
    subject: linear in the number of citizens, fine for a rare operator command.
    """
    sectors = _resource_sectors(settings)
    sector = client_sector(command.client_id) if command.client_id else sectors["petitions"]
    citizen_id = _citizen_with_subject(uow, settings.subject_secret, sector, command.subject)
    if citizen_id is None:
        return None
    subjects = {
        process: pairwise_subject(settings.subject_secret, s, citizen_id)
        for process, s in sectors.items()
    }
    storage.erase_citizen(uow, citizen_id)
    event = uow.emit(CitizenErased(subjects=subjects))
    announce_subjects(uow, subjects, int(time.time()), settings.access_token_ttl)
    uow.commit()
    return {"erased": True, "event_id": event.id, "subjects": subjects}


def _resource_sectors(settings: Settings) -> dict[str, str]:
    processes = sorted(set(RESOURCE_OF_SCOPE.values()))
    return {p: resource_sector(settings.public_url(p)) for p in processes}


def _citizen_with_subject(uow: UnitOfWork, secret: str, sector: str, subject: str) -> str | None:
    for citizen_id in storage.citizen_ids(uow):
        if hmac.compare_digest(pairwise_subject(secret, sector, citizen_id), subject):
            return citizen_id
    return None


def rotate_keys(settings: Settings, command: RotateKeys) -> dict[str, Any]:
    """``hub keys rotate``: the old keys stay published for the longest lifetime of what they
    sign (access tokens, ID tokens and signed userinfo), plus the verifiers' leeway."""
    ahead = (
        keys.DEFAULT_PUBLISH_AHEAD_SECONDS if command.activate_in is None else command.activate_in
    )
    if ahead < 0:
        raise ValueError("--activate-in must be zero or more seconds")
    keep = max(settings.access_token_ttl, ID_TOKEN_TTL_SECONDS) + LEEWAY_SECONDS
    engine = make_engine(settings.database_url("identity"))
    try:
        return keys.rotate(engine, settings.subject_secret, int(time.time()), ahead, keep)
    finally:
        engine.dispose()


def ensure_web_client(uow: UnitOfWork, settings: Settings) -> Client:
    """The petitions pages' own client, registered (or brought up to date) outside production so
    that `make run` works on its defaults. In production it is registered like any other client
    (`hub clients create`) and its id and secret given to petitions as settings."""
    petitions_url = settings.public_url("petitions")
    uris = [f"{petitions_url}/auth/callback", f"{petitions_url}/signed-out"]
    wanted = dataclasses.replace(
        new_client("Petitions web pages", "service-provider", "openid petitions", uris)[0],
        client_id=settings.petitions_web_client_id,
        secret_hash=digest(settings.petitions_web_client_secret),
    )
    existing = storage.find_client(uow, wanted.client_id)
    if existing is None:
        storage.add_client(uow, wanted)
    elif (existing.redirect_uris, existing.secret_hash) != (
        wanted.redirect_uris,
        wanted.secret_hash,
    ):
        storage.update_client(
            uow,
            wanted.client_id,
            redirect_uris=list(wanted.redirect_uris),
            secret_hash=wanted.secret_hash,
            disabled=False,
        )
    uow.commit()
    return wanted
