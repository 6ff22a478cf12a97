"""The hub's signing keys: made once, even when two workers race to make the first one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from services.identity.adapters.jwt import JwtRejected
from services.identity.adapters.keys import RELOAD_SECONDS, KeyStore, purge_retired, rotate
from services.identity.storage import metadata, signing_keys


def _engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'identity.db'}")
    metadata.create_all(engine)
    return engine


def test_two_workers_making_the_first_key_end_up_with_one(tmp_path):
    engine = _engine(tmp_path)
    first, second = KeyStore(engine, "secret"), KeyStore(engine, "secret")
    first._create_first_key()
    second._create_first_key()  # loses the race: the unique generation refuses its key
    token = second.sign({"iss": "i"})
    assert first.sign({"iss": "i"}).split(".")[0] == token.split(".")[0]  # same kid and alg
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(signing_keys)).scalar() == 1
    engine.dispose()


def test_tokens_verify_against_the_published_jwks(tmp_path):
    engine = _engine(tmp_path)
    store = KeyStore(engine, "secret")
    token = store.sign({"iss": "https://hub.example", "sub": "x"}, typ="at+jwt")
    decoded = jwt.decode(token, KeySet.import_key_set(store.jwks()), algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt" and decoded.claims["sub"] == "x"
    assert all("d" not in key for key in store.jwks()["keys"])
    engine.dispose()


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _header(token: str) -> dict:
    import base64
    import json

    raw = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def test_a_rotated_key_is_published_before_it_signs_and_the_old_one_until_its_tokens_expire(
    tmp_path,
):
    engine, clock = _engine(tmp_path), Clock()
    store = KeyStore(engine, "secret", clock)
    old_token = store.sign({"iss": "i", "iat": clock.now, "exp": clock.now + 600})
    old_kid = _header(old_token)["kid"]
    rotated = rotate(engine, "secret", int(clock.now), publish_ahead=300, keep_old_for=630)
    clock.now += RELOAD_SECONDS + 1  # every replica has reread the table
    published = {key["kid"] for key in store.jwks()["keys"]}
    assert published == {old_kid, rotated["kid"]}
    assert _header(store.sign({"iss": "i"}))["kid"] == old_kid  # not signing yet
    clock.now += 300
    assert _header(store.sign({"iss": "i"}))["kid"] == rotated["kid"]
    assert store.verify(old_token, "i", allow_expired=True)  # the old key still verifies
    clock.now += 631
    assert {key["kid"] for key in store.jwks()["keys"]} == {rotated["kid"]}
    with pytest.raises(JwtRejected, match="retired"):
        store.verify(old_token, "i", allow_expired=True)
    assert purge_retired(engine, int(clock.now)) == 1
    engine.dispose()


def test_private_keys_are_stored_wrapped_and_need_the_secret(tmp_path):
    engine = _engine(tmp_path)
    KeyStore(engine, "secret").sign({"iss": "i"})
    with engine.connect() as conn:
        stored = conn.execute(sa.select(signing_keys.c.private_pem)).scalar_one()
    assert stored.startswith("aesgcm-v1:") and "PRIVATE KEY" not in stored
    with pytest.raises(RuntimeError, match="HUB_SUBJECT_SECRET"):
        KeyStore(engine, "another secret").sign({"iss": "i"})
    engine.dispose()
