"""The recount rules (design note §4.4) on small logs built from hub_verify.leaves."""

import hashlib

import pytest
from hub_verify.leaves import Close, Erase, Open, Sign, Withdraw, commitment, key_commit, nullifier
from hub_verify.recount import recount

P = "3f2b1c9d-8e7f-4d2a-9a53-0b7e7c4e1c55"
OTHER = "0d5a3b2c-1e4f-4a6b-8c7d-9e0f1a2b3c4d"
KEY = bytes([7]) * 32


def secret(n: int) -> bytes:
    return hashlib.sha256(b"secret %d" % n).digest()


class Log:
    """A list of entries with helpers that say what happened, in the hub's words."""

    def __init__(self, flags: dict[str, str] | None = None, petition: str = P) -> None:
        self.entries: list[bytes] = []
        self.p = petition
        self.flags = {"resign": "1"} if flags is None else flags

    def add(self, leaf) -> int:
        self.entries.append(leaf.line().encode("ascii"))
        return len(self.entries) - 1

    def open(self) -> int:
        return self.add(Open(self.p, bytes(32), key_commit(KEY), self.flags))

    def sign(self, who: str, n: int, dept: str | None = None) -> int:
        return self.add(Sign(self.p, nullifier(KEY, who), commitment(self.p, secret(n)), dept))

    def withdraw(self, index: int, s: bytes | None) -> int:
        return self.add(Withdraw(self.p, index, s))

    def close(self, count: int) -> int:
        return self.add(Close(self.p, count, bytes(32)))

    def recount(self, petition: str = P):
        return recount(enumerate(self.entries), petition)


def kinds(result) -> list[str]:
    return [a.kind for a in result.anomalies]


def test_a_clean_petition_recounts_to_its_close():
    log = Log()
    log.open()
    log.sign("alice", 1)
    log.sign("bob", 2)
    w = log.sign("carol", 3)
    log.withdraw(w, secret(3))
    close = log.close(2)
    result = log.recount()
    assert result.ok, result.anomalies
    assert (result.open_index, result.close_index, result.close_count) == (0, close, 2)
    assert (result.count, result.signs, result.citizen_withdrawals) == (2, 3, 1)
    assert result.as_json()["count"] == 2


def test_other_petitions_leaves_are_skipped():
    log = Log()
    other = Log(petition=OTHER)
    log.open()
    other.open()
    log.entries += other.entries
    log.sign("alice", 1)
    log.entries.append(Sign(OTHER, nullifier(KEY, "alice"), bytes(32)).line().encode())
    log.close(1)
    result = log.recount()
    assert result.ok and result.count == 1


def test_duplicate_nullifier_is_an_anomaly_and_not_counted():
    log = Log()
    log.open()
    log.sign("alice", 1)
    dup = log.sign("alice", 2)
    log.close(2)  # the operator counted the duplicate
    result = log.recount()
    assert result.count == 1
    assert kinds(result) == ["duplicate_nullifier", "close_mismatch"]
    assert result.anomalies[0].index == dup


def test_forged_withdrawal_with_a_wrong_secret_is_refused():
    log = Log()
    log.open()
    s = log.sign("alice", 1)
    forged = log.withdraw(s, secret(99))
    log.close(0)
    result = log.recount()
    assert result.count == 1
    assert kinds(result) == ["bad_withdrawal", "close_mismatch"]
    assert result.anomalies[0].index == forged and "does not open" in result.anomalies[0].message


def test_withdrawal_of_a_leaf_that_is_not_an_active_sign_is_refused():
    log = Log()
    open_index = log.open()
    s = log.sign("alice", 1)
    log.withdraw(open_index, None)
    log.withdraw(s, secret(1))
    log.withdraw(s, secret(1))  # twice
    log.withdraw(1000, None)
    log.close(0)
    result = log.recount()
    assert kinds(result) == ["bad_withdrawal"] * 3
    assert result.count == 0 and result.citizen_withdrawals == 1


def test_operator_withdrawal_counts_but_is_reported_apart():
    log = Log()
    log.open()
    s = log.sign("alice", 1)
    log.sign("bob", 2)
    log.withdraw(s, None)
    log.close(1)
    result = log.recount()
    assert result.ok
    assert (result.count, result.operator_withdrawals, result.citizen_withdrawals) == (1, 1, 0)


def test_re_signing_after_withdrawal_is_allowed_with_resign_1():
    log = Log({"resign": "1"})
    log.open()
    s = log.sign("alice", 1)
    log.withdraw(s, secret(1))
    log.sign("alice", 2)
    log.close(1)
    result = log.recount()
    assert result.ok and result.count == 1 and result.signs == 2


def test_re_signing_after_withdrawal_is_an_anomaly_without_resign():
    log = Log({})
    log.open()
    s = log.sign("alice", 1)
    log.withdraw(s, secret(1))
    again = log.sign("alice", 2)
    log.close(0)
    result = log.recount()
    assert kinds(result) == ["resign_not_allowed"]
    assert result.anomalies[0].index == again and result.count == 0


def test_sign_before_open_and_after_close_are_outside_the_window():
    log = Log()
    before = log.sign("zoe", 9)
    log.open()
    log.sign("alice", 1)
    log.close(1)
    after = log.sign("bob", 2)
    late = log.withdraw(after, None)
    result = log.recount()
    outside = ["sign_outside_window", "sign_outside_window", "withdraw_outside_window"]
    assert kinds(result) == outside
    assert [a.index for a in result.anomalies] == [before, after, late]
    assert result.count == 1


def test_close_count_mismatch_is_an_anomaly():
    log = Log()
    log.open()
    log.sign("alice", 1)
    close = log.close(5)
    result = log.recount()
    assert kinds(result) == ["close_mismatch"]
    assert result.anomalies[0].index == close and result.close_count == 5 and result.count == 1


def test_erase_leaves_the_recount_unchanged():
    log = Log()
    log.open()
    log.sign("alice", 1)
    log.close(1)
    before = log.recount()
    erase = log.add(Erase(P, "2027-06-01"))
    after = log.recount()
    assert after.ok and after.erase_index == erase
    assert (after.count, after.close_count, after.signs) == (before.count, 1, before.signs)


def test_erase_before_close_and_second_open_and_second_close_are_anomalies():
    log = Log()
    log.open()
    log.add(Erase(P, "2027-06-01"))
    log.open()
    log.close(0)
    log.close(0)
    assert kinds(log.recount()) == ["erase_before_close", "duplicate_open", "close_outside_window"]


def test_departements_are_counted_when_the_open_says_dept_1():
    log = Log({"dept": "1", "resign": "1"})
    log.open()
    log.sign("a", 1, "75")
    s = log.sign("b", 2, "2A")
    log.sign("c", 3, "75")
    log.withdraw(s, secret(2))
    bad = log.sign("d", 4)  # no d= although the open says dept=1
    log.close(2)
    result = log.recount()
    assert result.by_departement == {"75": 2}
    assert kinds(result) == ["bad_sign"] and result.anomalies[0].index == bad


def test_a_departement_without_dept_1_is_an_anomaly():
    log = Log()
    log.open()
    log.sign("a", 1, "75")
    log.close(0)
    assert kinds(log.recount()) == ["bad_sign"]


def test_malformed_entries_are_reported():
    log = Log()
    log.open()
    log.entries.append(b"v1 sign garbage")
    log.close(0)
    result = log.recount()
    assert kinds(result) == ["malformed"] and result.anomalies[0].index == 1


def test_an_unclosed_petition_counts_to_the_end_of_the_scan():
    log = Log()
    log.open()
    log.sign("alice", 1)
    result = log.recount()
    assert result.ok and result.count == 1 and result.close_index is None


def test_entries_out_of_order_are_a_programming_error():
    with pytest.raises(ValueError, match="out of order"):
        recount([(1, b"x"), (0, b"y")], P)
