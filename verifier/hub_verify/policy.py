"""C2SP tlog-policy (the subset a verifier needs): known logs, known witnesses, groups, quorum.

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> <all|any|k> <name>...
    quorum <name|none>

A checkpoint is valid if a listed log (key name = origin) signed it and the witnesses that
cosigned it satisfy the quorum.
"""

import re
from dataclasses import dataclass, field

from hub_verify.checkpoint import Checkpoint, parse_checkpoint
from hub_verify.errors import PolicyError, SignatureError, VerifyError
from hub_verify.note import COSIGNATURE_V1, ED25519, Verifier, verify_note

NONE = "none"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Policy:
    logs: list[Verifier]
    witnesses: dict[str, Verifier] = field(default_factory=dict)
    groups: dict[str, tuple[int, list[str]]] = field(default_factory=dict)  # name -> (k, members)
    quorum: str | None = None  # None: no cosignature required ("quorum none")
    urls: dict[str, str] = field(default_factory=dict)  # log vkey or witness name -> URL

    @classmethod
    def from_vkey(cls, vkey: str) -> "Policy":
        """Trust one log key, require no witness."""
        try:
            log = Verifier(vkey)
        except VerifyError as e:
            raise PolicyError(f"log key: {e}") from None
        _check_type(log, ED25519, "log")
        return cls(logs=[log])

    def check(self, note: bytes) -> Checkpoint:
        """The checkpoint of a signed note, if a listed log signed it and the quorum cosigned it;
        SignatureError or PolicyError otherwise."""
        verifiers = [*self.logs, *self.witnesses.values()]
        parsed, verified = verify_note(note, verifiers)
        checkpoint = parse_checkpoint(parsed.text)
        if not any(v in self.logs and v.name == checkpoint.origin for v in verified):
            raise SignatureError(f"no known log signed the checkpoint of {checkpoint.origin!r}")
        cosigned = {name for name, w in self.witnesses.items() if w in verified}
        if self.quorum is not None and not self._satisfied(self.quorum, cosigned):
            raise PolicyError(
                f"checkpoint is cosigned by {len(cosigned)} known witness(es): quorum not met"
            )
        return checkpoint

    def _satisfied(self, name: str, cosigned: set[str]) -> bool:
        if name in self.witnesses:
            return name in cosigned
        k, members = self.groups[name]
        return sum(self._satisfied(m, cosigned) for m in members) >= k


def _check_type(v: Verifier, key_type: int, role: str) -> None:
    if v.type != key_type:
        raise PolicyError(
            f"{role} key {v.name} has signature type {v.type:#04x}, not {key_type:#04x}"
        )


def parse_policy(text: str) -> Policy:
    """Parse a policy file; PolicyError (with the line number) on anything the spec forbids."""
    if _CONTROL.search(text):
        raise PolicyError("policy holds a control character other than tab and newline")
    policy = Policy(logs=[])
    quorum_seen = False
    for number, raw in enumerate(text.split("\n"), start=1):
        words = raw.replace("\t", " ").split(" ")
        words = [w for w in words if w]
        if not words or words[0].startswith("#"):
            continue
        try:
            if words[0] == "quorum":
                if quorum_seen:
                    raise PolicyError("a second quorum line")
                quorum_seen = True
            _parse_line(policy, words)
        except VerifyError as e:
            raise PolicyError(f"policy line {number}: {e}") from None
    if not quorum_seen:
        raise PolicyError("policy has no quorum line")
    return policy


def _parse_line(policy: Policy, words: list[str]) -> None:
    keyword, args = words[0], words[1:]
    if keyword == "log" and len(args) in (1, 2):
        log = Verifier(args[0])
        _check_type(log, ED25519, "log")
        if any(v.public_key == log.public_key for v in policy.logs):
            raise PolicyError("the same log key twice")
        policy.logs.append(log)
        if len(args) == 2:
            policy.urls[log.vkey] = args[1]
    elif keyword == "witness" and len(args) in (2, 3):
        name, witness = _new_name(policy, args[0]), Verifier(args[1])
        _check_type(witness, COSIGNATURE_V1, "witness")
        if any(w.public_key == witness.public_key for w in policy.witnesses.values()):
            raise PolicyError("the same witness key twice")
        policy.witnesses[name] = witness
        if len(args) == 3:
            policy.urls[name] = args[2]
    elif keyword == "group" and len(args) >= 3:
        name, members = _new_name(policy, args[0]), args[2:]
        for m in members:
            if m not in policy.witnesses and m not in policy.groups:
                raise PolicyError(f"group member {m!r} is not defined above")
        if len(set(members)) != len(members):
            raise PolicyError("a group lists a member twice")
        policy.groups[name] = (_threshold(args[1], len(members)), members)
    elif keyword == "quorum" and len(args) == 1:
        name = args[0]
        if name != NONE and name not in policy.witnesses and name not in policy.groups:
            raise PolicyError(f"quorum {name!r} is not defined above")
        policy.quorum = None if name == NONE else name
    else:
        raise PolicyError(f"cannot read {' '.join(words)[:80]!r}")


def _new_name(policy: Policy, name: str) -> str:
    if name == NONE or name in policy.witnesses or name in policy.groups:
        raise PolicyError(f"name {name!r} is reserved or already defined")
    return name


def _threshold(word: str, n: int) -> int:
    if word == "all":
        return n
    if word == "any":
        return 1
    if not word.isascii() or not word.isdigit() or not 1 <= int(word) <= n:
        raise PolicyError(f"group threshold {word!r} must be all, any or 1..{n}")
    return int(word)
