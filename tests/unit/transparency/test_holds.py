"""The integrator's holds and in-run shuffle (TLOG_SPEC §2), as pure rules."""

from __future__ import annotations

from services.transparency.domain import LogView, Pending, PetitionView, plan_round


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
