"""Group commit (shared.batching): batches form under concurrency, each waiter gets its own
result or error, and a failing batch fails all its waiters without stopping the flushers."""

from __future__ import annotations

from collections.abc import Sequence

import eventlet
import pytest

from shared.batching import GroupCommit


class Refused(Exception):
    pass


def _start(process, flushers: int = 1, max_batch: int = 200) -> tuple[GroupCommit, list[int]]:
    sizes: list[int] = []
    group = GroupCommit(process, max_batch=max_batch, flushers=flushers, on_batch=sizes.append)
    group.start(eventlet.spawn)
    return group, sizes


def _slow_double(items: Sequence[int]) -> list[int | BaseException]:
    eventlet.sleep(0.01)  # a transaction's round trips
    return [Refused(f"odd {i}") if i % 2 else i * 2 for i in items]


def test_concurrent_items_share_batches_and_get_their_own_results():
    group, sizes = _start(_slow_double)
    outcomes: dict[int, object] = {}

    def submit(i: int) -> None:
        try:
            outcomes[i] = group.submit(i)
        except Refused as exc:
            outcomes[i] = str(exc)

    pool = eventlet.GreenPool(100)
    for i in range(100):
        pool.spawn(submit, i)
    pool.waitall()
    group.stop()
    assert outcomes == {i: f"odd {i}" if i % 2 else i * 2 for i in range(100)}
    assert sum(sizes) == 100
    assert len(sizes) < 10  # 100 waiters, a few batches


def test_an_item_alone_is_written_at_once():
    group, sizes = _start(_slow_double)
    assert group.submit(4) == 8
    group.stop()
    assert sizes == [1]


def test_batches_are_capped():
    group, sizes = _start(_slow_double, max_batch=7)
    pool = eventlet.GreenPool(50)
    for i in range(50):
        pool.spawn(lambda i=i: group.submit(i * 2))
    pool.waitall()
    group.stop()
    assert max(sizes) <= 7 and sum(sizes) == 50


def test_a_failing_batch_fails_its_waiters_and_the_next_batch_still_runs():
    calls: list[list[int]] = []

    def flaky(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return list(items)

    group, _ = _start(flaky)
    with pytest.raises(RuntimeError, match="database went away"):
        group.submit(1)
    assert group.submit(2) == 2
    group.stop()


def test_a_wrong_number_of_results_is_an_error_not_a_mix_up():
    group, _ = _start(lambda items: [])
    with pytest.raises(RuntimeError, match="0 results for a batch of 1"):
        group.submit(1)
    group.stop()


def test_submitting_to_a_stopped_group_is_refused():
    group, _ = _start(_slow_double)
    group.stop()
    with pytest.raises(RuntimeError, match="not running"):
        group.submit(1)


def test_stop_finishes_what_has_queued():
    group, sizes = _start(_slow_double, flushers=2)
    results: list[int] = []
    pool = eventlet.GreenPool(20)
    for i in range(20):
        pool.spawn(lambda i=i: results.append(group.submit(i * 2)))
    eventlet.sleep(0)  # let them queue
    group.stop()
    pool.waitall()
    assert sorted(results) == [i * 4 for i in range(20)]


def test_a_failed_batch_is_written_again_one_item_at_a_time() -> None:
    from shared.batching import each_alone_if_together_fails

    calls: list[list[str]] = []

    def together(items: Sequence[str]) -> list[str]:
        calls.append(list(items))
        if "bad" in items:
            raise ValueError("bad item")
        return [item.upper() for item in items]

    results = each_alone_if_together_fails(together, ["a", "bad", "c"], "letters")
    assert results[0] == "A" and isinstance(results[1], ValueError) and results[2] == "C"
    assert calls == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]
    assert each_alone_if_together_fails(together, ["x", "y"], "letters") == ["X", "Y"]
    with pytest.raises(ValueError):
        each_alone_if_together_fails(together, ["bad"], "letters")  # alone: its own error
