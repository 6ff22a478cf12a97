"""The errors every hub_verify module raises: one family, each with a message a person can read."""


class VerifyError(ValueError):
    """Something could not be verified; the message says what and where."""


class MalformedError(VerifyError):
    """The input does not have the format its specification requires."""


class ProofError(VerifyError):
    """A Merkle proof (or a tile, or a root) does not verify."""


class SignatureError(VerifyError):
    """A signed note, a key or a signature is not acceptable."""


class PolicyError(VerifyError):
    """A trust policy is malformed, or a checkpoint does not meet its quorum."""
