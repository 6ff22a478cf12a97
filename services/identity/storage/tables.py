"""Tables of the identity service's database (migrations in ../migrations).

Expiries are whole seconds since the epoch (``*_at`` integers): the same on SQLite and PostgreSQL,
no time-zone round trips. Codes, secrets, refresh tokens and browser keys are stored as SHA-256
digests; private signing keys are stored wrapped (AES-GCM). docs/identity-data.md says what is
kept about a citizen and for how long.
"""

from __future__ import annotations

import sqlalchemy as sa

from shared.clock import utcnow
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = sa.MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    # One row per generation: two workers creating the first key race on this unique column.
    sa.Column("generation", sa.Integer, nullable=False, unique=True),
    sa.Column("alg", sa.String(10), nullable=False),
    sa.Column("private_pem", sa.Text, nullable=False),  # wrapped, "aesgcm-v1:..." (adapters/keys)
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
    sa.Column("activates_at", sa.BigInteger, nullable=True),  # published before it signs
    sa.Column("retires_at", sa.BigInteger, nullable=True),  # unpublished once its tokens expired
)

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("secret_hash", sa.String(64), nullable=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("redirect_uris", sa.JSON, nullable=False),
    sa.Column("public", sa.Boolean, nullable=False, default=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
)

citizens = sa.Table(
    "citizens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, default=utcnow),
)

# A login in progress at an upstream provider: the client's request, bound to one browser.
pending_logins = sa.Table(
    "pending_logins",
    metadata,
    sa.Column("state", sa.String(64), primary_key=True),  # the state sent upstream
    sa.Column("browser_hash", sa.String(64), nullable=False),
    sa.Column("provider_id", sa.String(64), nullable=False),
    sa.Column("upstream_nonce", sa.String(64), nullable=False),
    sa.Column("upstream_verifier", sa.String(128), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("client_state", sa.Text, nullable=True),
    sa.Column("client_nonce", sa.Text, nullable=True),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("code_challenge", sa.String(64), nullable=True),
    sa.Column("acr", sa.String(16), nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
)

authorization_codes = sa.Table(
    "authorization_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("citizen_id", sa.String(32), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("nonce", sa.Text, nullable=True),
    sa.Column("acr", sa.String(16), nullable=False),
    sa.Column("adult", sa.Boolean, nullable=False),
    sa.Column("claims", sa.JSON, nullable=False),  # only the claims released to the client
    sa.Column("code_challenge", sa.String(64), nullable=True),
    sa.Column("auth_time", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
    sa.Column("used_at", sa.BigInteger, nullable=True),
    sa.Column("sid", sa.String(64), nullable=True),
)

# What an access token entitles at userinfo; deleted when the code that issued it is replayed.
grants = sa.Table(
    "grants",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=True, index=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("citizen_id", sa.String(32), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("claims", sa.JSON, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
    sa.Column("sid", sa.String(64), nullable=True, index=True),
)

# Refresh tokens: rotated on every use; a family is everything one authorization code issued
# (its code_hash), so replaying a code or a spent refresh token revokes the whole family.
refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("family", sa.String(64), nullable=False, index=True),
    sa.Column("sid", sa.String(64), nullable=True, index=True),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("citizen_id", sa.String(32), nullable=False, index=True),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("claims", sa.JSON, nullable=False),
    sa.Column("acr", sa.String(16), nullable=False),
    sa.Column("adult", sa.Boolean, nullable=False),
    sa.Column("auth_time", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
    sa.Column("used_at", sa.BigInteger, nullable=True),
)

# The hub's own login session (FranceConnect keeps one for 1800 s): what RP-initiated logout ends,
# and the upstream ID token it needs to end the upstream session too.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("sid", sa.String(64), primary_key=True),
    sa.Column("browser_hash", sa.String(64), nullable=False),
    sa.Column("citizen_id", sa.String(32), nullable=False, index=True),
    sa.Column("provider_id", sa.String(64), nullable=False),
    sa.Column("upstream_id_token", sa.Text, nullable=True),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
)

# A logout in progress at an upstream provider: where to send the browser back afterwards.
pending_logouts = sa.Table(
    "pending_logouts",
    metadata,
    sa.Column("state", sa.String(64), primary_key=True),
    sa.Column("provider_id", sa.String(64), nullable=False),
    sa.Column("target", sa.Text, nullable=True),
    sa.Column("client_state", sa.Text, nullable=True),
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
)
