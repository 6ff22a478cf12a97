"""The one family of errors hub-verify raises: each says, in words, what did not hold."""


class VerifyError(ValueError):
    """Something did not verify or could not be read."""


class MalformedError(VerifyError):
    """Bytes that do not follow the format they claim (a note, a tile, a leaf...)."""


class ProofError(VerifyError):
    """A Merkle proof that does not verify."""


class SignatureError(VerifyError):
    """A note whose signatures are missing, unknown or wrong."""


class PolicyError(VerifyError):
    """A trust policy that is malformed or not satisfied."""
