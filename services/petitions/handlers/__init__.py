"""Use cases, one module per group: each takes a command and a unit of work, loads, applies the
domain, emits its events and commits.

- ``petitions.py``: read one petition, list them, moderate, withdraw;
- ``drafts.py``: before moderation: create, edit a draft, co-sponsor by link, submit;
- ``signatures.py``: sign (in batches), withdraw a signature, forget an erased citizen;
- ``counts.py``: the timers' work: announce counts and thresholds, close expired petitions;
- ``upkeep.py``: the operators' recount and the retention of signers' subjects;
- ``opendata.py``: the public petitions and their counts, for the open-data export.
"""
