"""What the mock provider reads and signs with: its key file (:mod:`.signing_key`), its signatures
(:mod:`.jwt`), its test identities file (:mod:`.identities`) and its clients, from the hub's
upstream settings (:mod:`.upstreams`)."""
