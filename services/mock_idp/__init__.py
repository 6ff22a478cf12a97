"""``hub run mock-idp``: a FranceConnect stand-in for development and tests (never production),
a service of its own: it shares nothing with identity but what the hub's settings and
:mod:`shared.oidc` say."""
