"""Citizens' and authors' e-mail rules, in plain Python (standard library only): receipts and
addresses (:mod:`.receipts`), author keys (:mod:`.authors`), the letters written and their
sending schedule (:mod:`.letters`), refusals (:mod:`.errors`)."""
