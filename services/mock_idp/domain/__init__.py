"""The mock provider's rules, in plain Python: its clients (:mod:`.clients`), its test identities
and the faults they trigger (:mod:`.identities`), and the in-memory provider itself: codes,
tokens, what it releases (:mod:`.provider`)."""
