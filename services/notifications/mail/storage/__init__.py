"""Citizens' and authors' e-mail tables (:mod:`.tables`) and queries: receipts, outcomes and
their subscribers (:mod:`.citizens`), authors (:mod:`.authors`), the mail outbox
(:mod:`.outbox`)."""
