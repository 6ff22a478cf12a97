"""The integrator's holds and in-run shuffle (TLOG_SPEC §2), as pure rules."""

from __future__ import annotations

from services.transparency.domain import LogView, Pending, PetitionView, plan, plan_round


def _open(seq: int, p: str = "p1") -> Pending:
    return Pending(seq, "open", p, f"open {p}")


def _sign(seq: int, c: str, p: str = "p1") -> Pending:
    return Pending(seq, "sign", p, f"sign {p} {c}", commitment=c)


def _withdraw(seq: int, c: str, p: str = "p1") -> Pending:
    return Pending(seq, "withdraw", p, None, commitment=c)


def _close(seq: int, count: int, p: str = "p1") -> Pending:
    return Pending(seq, "close", p, f"close {p}", count=count)


def _erase(seq: int, p: str = "p1") -> Pending:
    return Pending(seq, "erase", p, f"erase {p}")


def _kinds(placed: list) -> list[tuple[str, int]]:
    return [(p.pending.kind, p.pending.seq) for p in placed]


def test_a_sign_waits_for_its_open_and_the_rest_goes_on() -> None:
    view = LogView()
    placed = plan_round([_sign(1, "a"), _open(2, "p2"), _sign(3, "b", "p2")], view, 0)
    assert _kinds(placed) == [("open", 2), ("sign", 3)]
    assert [p.index for p in placed] == [0, 1]
    assert not view.petition("p1").opened and view.petition("p2").count == 1


def test_a_withdraw_waits_for_its_sign_then_names_its_index() -> None:
    view = LogView({"p1": PetitionView(opened=True)})
    assert plan_round([_withdraw(1, "a")], view, 5) == []
    placed = plan_round([_withdraw(1, "a"), _sign(2, "a")], view, 5)
    assert _kinds(placed) == [("sign", 2)]
    placed = plan_round([_withdraw(1, "a")], view, 6)
    assert placed[0].sign_index == 5 and placed[0].index == 6
    assert view.petition("p1").count == 0 and "a" not in view.active_signs


def test_a_withdraw_of_a_sign_placed_in_the_same_round_follows_it() -> None:
    view = LogView({"p1": PetitionView(opened=True)})
    placed = plan_round([_sign(1, "a"), _sign(2, "b"), _withdraw(3, "b")], view, 10)
    signs = {p.pending.commitment: p.index for p in placed if p.pending.kind == "sign"}
    assert placed[-1].pending.kind == "withdraw" and placed[-1].sign_index == signs["b"]


def test_a_close_waits_until_the_count_matches_and_an_erase_for_the_close() -> None:
    view = LogView({"p1": PetitionView(opened=True, count=1)})
    assert plan_round([_close(1, 2), _erase(2)], view, 3) == []
    placed = plan_round([_sign(3, "c"), _close(1, 2), _erase(2)], view, 3)
    assert _kinds(placed) == [("sign", 3), ("close", 1), ("erase", 2)]
    assert view.petition("p1").closed
    assert plan_round([_sign(4, "d")], view, 6) == []  # nothing signs a closed petition


def test_signs_are_shuffled_only_within_runs() -> None:
    view = LogView({"p1": PetitionView(opened=True)})
    items = [_sign(1, "a"), _sign(2, "b"), _withdraw(3, "a"), _sign(4, "c"), _sign(5, "d")]
    placed = plan_round(items, view, 0, shuffle=lambda run: run.reverse())
    assert _kinds(placed) == [("sign", 2), ("sign", 1), ("withdraw", 3), ("sign", 5), ("sign", 4)]
    assert placed[2].sign_index == 1  # a's index after the shuffle


def test_a_second_open_never_enters() -> None:
    view = LogView({"p1": PetitionView(opened=True)})
    assert plan_round([_open(1)], view, 0) == []


def test_leaves_that_can_never_enter_are_dead_not_held() -> None:
    view = LogView({"p1": PetitionView(opened=True, count=1)}, {}, {"spent"})
    items = [
        _open(1),
        _withdraw(2, "spent"),
        _close(3, 1),
        _sign(4, "late"),
        _erase(5),
        _erase(6),
        _close(7, 9, "p2"),
        _withdraw(8, "unknown"),
    ]
    found = plan(items, view, 10)
    assert _kinds(found.placed) == [("close", 3), ("erase", 5)]
    assert [(d.pending.seq, d.reason) for d in found.dead] == [
        (1, "a second open of a petition already opened"),
        (2, "a withdraw of a sign already withdrawn"),
        (4, "a sign of a petition already closed"),
        (6, "a second erase of a petition"),
    ]
    assert [h.seq for h in found.held] == [7, 8]  # a close that does not match waits


def test_a_withdraw_of_a_spent_commitment_waits_for_a_held_sign_of_it() -> None:
    view = LogView({}, {}, {"c"})
    found = plan([_sign(1, "c"), _withdraw(2, "c")], view, 0)
    assert found.dead == [] and [h.seq for h in found.held] == [1, 2]


def test_a_round_stops_at_its_limit() -> None:
    view = LogView({"p1": PetitionView(opened=True)})
    found = plan([_sign(1, "a"), _sign(2, "b"), _sign(3, "c")], view, 0, limit=2)
    assert sorted(p.pending.seq for p in found.placed) == [1, 2]
    assert view.petition("p1").count == 2
