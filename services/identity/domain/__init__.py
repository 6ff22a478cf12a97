"""The identity service's rules, in plain Python (standard library only): citizens and their
subjects (:mod:`.citizens`), clients (:mod:`.clients`), authorization requests
(:mod:`.authorization`), token grants (:mod:`.grants`), the claims of the hub's tokens
(:mod:`.claims`), its discovery document (:mod:`.discovery`), and the errors they raise
(:mod:`.errors`). The rules the mock provider follows too are in :mod:`shared.oidc`.
"""
