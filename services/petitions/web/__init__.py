"""HTTP: the JSON API's helpers, its OpenAPI description, and the citizens' and operators' web
pages of the petitions service (server-rendered HTML).

The JSON API (its entrypoints are in ``service.py``):

- ``errors.py``: the one table turning domain refusals into HTTP answers;
- ``auth.py``: who is asking (the bearer token's claims, checked for a scope or a citizen);
- ``api.py``: signing with its counter, an optional JSON body;
- ``openapi.py``, ``openapi_components.py``: the OpenAPI 3.1 document (``GET /openapi.json``).

The pages: French first, with English; usable without JavaScript; WCAG 2.1 AA / RGAA. They call
the same use cases as the JSON API (``services.petitions.handlers``); citizens sign in through
the hub's identity service (authorization code + PKCE, as a confidential client), operators with
their operator client's credentials.

- ``pages.py``: the nameko entrypoints (:class:`~services.petitions.web.pages.WebPages` mixin);
- ``views.py``: what each page shows and does, between the entrypoints and the handlers;
- ``drafting.py``: the same before moderation: the author's draft, co-sponsoring by link,
  "my petitions" (the use cases of ``services.petitions.handlers.drafts``);
- ``moderation.py``: the operators' sign-in, queue and decisions;
- ``replies.py``: answers the pages share (a form turned back, a refusal, not found);
- ``forms.py``: what people typed, checked field by field;
- ``context.py``: one page request: its language, its session, who is signed in;
- ``session.py``: the signed session cookie and its CSRF token;
- ``login.py``: the OpenID Connect relying party (and the operators' client-credentials login);
- ``i18n.py``: the message catalogue and language negotiation (words in ``messages.py`` and,
  for drafts and co-sponsors, ``messages_drafts.py``);
- ``render.py``: Jinja2 templates (``templates/``), static files (``static/``) and HTML
  responses.
"""
