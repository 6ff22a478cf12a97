"""The identity service's use cases, one module per group: the login (:mod:`.login`, then
:mod:`.upstream_login`), the token endpoint (:mod:`.tokens`), userinfo and revocation
(:mod:`.userinfo`), logout (:mod:`.logout`), the operator's commands (:mod:`.admin`), the
revocation feed they announce on (:mod:`.revocations`) and the periodic purge
(:mod:`.maintenance`). :mod:`.context` holds what they share.
"""
