"""The hub's signing keys: made once, even when two workers race to make the first one."""

from __future__ import annotations

import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from services.identity.oidc.keys import KeyStore
from services.identity.storage import metadata, signing_keys


def _engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'identity.db'}")
    metadata.create_all(engine)
    return engine


def test_two_workers_making_the_first_key_end_up_with_one(tmp_path):
    engine = _engine(tmp_path)
    first, second = KeyStore(engine), KeyStore(engine)
    first._create_first_key()
    second._create_first_key()  # loses the race: the unique generation refuses its key
    token = second.sign({"iss": "i"})
    assert first.sign({"iss": "i"}).split(".")[0] == token.split(".")[0]  # same kid and alg
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(signing_keys)).scalar() == 1
    engine.dispose()


def test_tokens_verify_against_the_published_jwks(tmp_path):
    engine = _engine(tmp_path)
    store = KeyStore(engine)
    token = store.sign({"iss": "https://hub.example", "sub": "x"}, typ="at+jwt")
    decoded = jwt.decode(token, KeySet.import_key_set(store.jwks()), algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt" and decoded.claims["sub"] == "x"
    assert all("d" not in key for key in store.jwks()["keys"])
    engine.dispose()
