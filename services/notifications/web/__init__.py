"""HTTP: the agencies' API (:mod:`.agencies`), citizens' and authors' e-mail requests and the
one-click unsubscribe pages (:mod:`.citizens`), the one table of HTTP answers to domain refusals
(:mod:`.errors`), and the OpenAPI document (:mod:`.openapi`)."""
