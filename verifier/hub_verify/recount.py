"""The recount rules (design note §4.4, normative): anyone recounts a petition from the log alone.

Scan the entries of petition P strictly between its `open` and its `close` (or the end of what
was scanned). A `sign` counts if its nullifier N is not active; a second active N is a duplicate.
After a withdrawal the same N may sign again only if the open says resign=1. `withdraw i s` is
valid if leaf i is an active `sign P` whose commitment is SHA-256(domain ‖ P ‖ s), or if s is '-'
(the operator's withdrawal, counted apart). Anything else is an anomaly; the count is the number
of active signs and must equal the `close` count. An `erase` (after the close) changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from hub_verify.errors import MalformedError
from hub_verify.leaves import Close, Erase, Open, Sign, Withdraw, commitment, parse_leaf


@dataclass(frozen=True)
class Anomaly:
    index: int
    kind: str  # duplicate_nullifier, bad_withdrawal, sign_outside_window, close_mismatch, ...
    message: str


@dataclass
class Recount:
    petition_id: str
    open_index: int | None = None
    close_index: int | None = None
    close_count: int | None = None
    erase_index: int | None = None
    count: int = 0
    signs: int = 0  # valid sign leaves, re-signings included
    citizen_withdrawals: int = 0  # proven by the receipt secret
    operator_withdrawals: int = 0  # '-': the operator's word, reported apart
    by_departement: dict[str, int] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.anomalies

    def as_json(self) -> dict[str, object]:
        return {
            "petition_id": self.petition_id,
            "open_index": self.open_index,
            "close_index": self.close_index,
            "close_count": self.close_count,
            "erase_index": self.erase_index,
            "count": self.count,
            "signs": self.signs,
            "citizen_withdrawals": self.citizen_withdrawals,
            "operator_withdrawals": self.operator_withdrawals,
            "by_departement": dict(sorted(self.by_departement.items())),
            "anomalies": [a.__dict__ for a in self.anomalies],
        }


def recount(entries: Iterable[tuple[int, bytes]], petition_id: str) -> Recount:
    """Apply §4.4 to (index, entry) pairs in log order; entries of other petitions are skipped."""
    scan = _Scan(petition_id)
    for index, entry in entries:
        scan.entry(index, entry)
    return scan.finish()


@dataclass
class _Active:
    nullifier: bytes
    commitment: bytes
    departement: str | None


class _Scan:
    def __init__(self, petition_id: str) -> None:
        self.result = Recount(petition_id)
        self.open: Open | None = None
        self.active: dict[int, _Active] = {}  # sign index -> the sign, while it counts
        self.active_nullifiers: set[bytes] = set()
        self.withdrawn_nullifiers: set[bytes] = set()
        self.departements: Counter[str] = Counter()
        self.last_index = -1

    def anomaly(self, index: int, kind: str, message: str) -> None:
        self.result.anomalies.append(Anomaly(index, kind, message))

    def entry(self, index: int, entry: bytes) -> None:
        if index <= self.last_index:
            raise ValueError(f"entries out of order: {index} after {self.last_index}")
        self.last_index = index
        try:
            leaf = parse_leaf(entry)
        except MalformedError as error:
            self.anomaly(index, "malformed", f"entry {index} is not a hub leaf: {error}")
            return
        if leaf.petition_id != self.result.petition_id:
            return
        if isinstance(leaf, Open):
            self.on_open(index, leaf)
        elif isinstance(leaf, Sign):
            self.on_sign(index, leaf)
        elif isinstance(leaf, Withdraw):
            self.on_withdraw(index, leaf)
        elif isinstance(leaf, Close):
            self.on_close(index, leaf)
        else:
            self.on_erase(index, leaf)

    def in_window(self, index: int, what: str, kind: str) -> bool:
        if self.open is None:
            self.anomaly(index, kind, f"{what} at {index} before the petition's open leaf")
            return False
        if self.result.close_index is not None:
            closed = self.result.close_index
            self.anomaly(index, kind, f"{what} at {index} after the close leaf at {closed}")
            return False
        return True

    def on_open(self, index: int, leaf: Open) -> None:
        if self.open is not None:
            first = self.result.open_index
            self.anomaly(index, "duplicate_open", f"second open at {index} (first at {first})")
            return
        self.open, self.result.open_index = leaf, index

    def on_sign(self, index: int, leaf: Sign) -> None:
        if not self.in_window(index, "sign", "sign_outside_window"):
            return
        assert self.open is not None
        if (leaf.departement is not None) != self.open.departements:
            wanted = "a département (open says dept=1)" if self.open.departements else "none"
            self.anomaly(index, "bad_sign", f"sign at {index}: d= expected {wanted}")
            return
        if leaf.nullifier in self.active_nullifiers:
            self.anomaly(index, "duplicate_nullifier", f"sign at {index}: nullifier already active")
            return
        if leaf.nullifier in self.withdrawn_nullifiers and not self.open.resign:
            self.anomaly(
                index, "resign_not_allowed", f"sign at {index}: signs again, open lacks resign=1"
            )
            return
        self.active[index] = _Active(leaf.nullifier, leaf.commitment, leaf.departement)
        self.active_nullifiers.add(leaf.nullifier)
        self.result.signs += 1
        if leaf.departement is not None:
            self.departements[leaf.departement] += 1

    def on_withdraw(self, index: int, leaf: Withdraw) -> None:
        if not self.in_window(index, "withdraw", "withdraw_outside_window"):
            return
        sign = self.active.get(leaf.sign_index)
        if sign is None:
            self.anomaly(
                index,
                "bad_withdrawal",
                f"withdraw at {index}: leaf {leaf.sign_index} is not an active sign of P",
            )
            return
        if leaf.secret is not None:
            if commitment(leaf.petition_id, leaf.secret) != sign.commitment:
                self.anomaly(
                    index,
                    "bad_withdrawal",
                    f"withdraw at {index}: its secret does not open the commitment "
                    f"of sign {leaf.sign_index}",
                )
                return
            self.result.citizen_withdrawals += 1
        else:
            self.result.operator_withdrawals += 1
        del self.active[leaf.sign_index]
        self.active_nullifiers.discard(sign.nullifier)
        self.withdrawn_nullifiers.add(sign.nullifier)
        if sign.departement is not None:
            self.departements[sign.departement] -= 1

    def on_close(self, index: int, leaf: Close) -> None:
        if not self.in_window(index, "close", "close_outside_window"):
            return
        self.result.close_index, self.result.close_count = index, leaf.count
        if leaf.count != len(self.active):
            self.anomaly(
                index,
                "close_mismatch",
                f"close at {index} says {leaf.count}, the recount finds {len(self.active)}",
            )

    def on_erase(self, index: int, leaf: Erase) -> None:
        if self.result.close_index is None:
            self.anomaly(index, "erase_before_close", f"erase at {index} before the close leaf")
        elif self.result.erase_index is not None:
            self.anomaly(index, "duplicate_erase", f"second erase at {index}")
        else:
            self.result.erase_index = index

    def finish(self) -> Recount:
        self.result.count = len(self.active)
        self.result.by_departement = {d: n for d, n in self.departements.items() if n}
        return self.result
