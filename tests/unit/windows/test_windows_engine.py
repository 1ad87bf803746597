"""The worked examples of docs/windows.md, and the operator's bookkeeping.

Times are small integers (milliseconds) so each step can be followed by hand.
"""

from __future__ import annotations

import json

import pytest

from stream_engine.windows import (
    AggregationPlan,
    PartitionState,
    WindowDef,
    WindowInput,
    WindowOperator,
    WindowOutput,
)

COUNT = AggregationPlan({"n": ("count", None, {}), "vals": ("collect", "v", {})})


def items(*times: int, key: str = "a", first_offset: int = 0) -> list[WindowInput]:
    return [
        WindowInput(first_offset + i, t, key, {"v": t}, ref=f"raw{first_offset + i}")
        for i, t in enumerate(times)
    ]


def windows(out: WindowOutput) -> list[tuple[int, int, int]]:
    return [(r.start, r.end, r.count) for r in out.results]


def test_tumbling_example() -> None:
    op = WindowOperator("views", WindowDef("tumbling", size_ms=10, grace_ms=2), COUNT)
    state = PartitionState()
    out = op.process(state, items(1, 11, 9, 13, 3))
    assert windows(out) == [(0, 10, 2)]  # closed when t=13 took the watermark to 10 + 2
    assert [(i.offset, i.ref) for i, _ in out.late] == [(4, "raw4")]
    assert "late" in out.late[0][1] and "grace 2 ms" in out.late[0][1]
    assert out.results[0].fields == {"n": 2, "vals": [1, 9]}
    assert windows(op.flush(state)) == [(10, 20, 2)]


def test_tumbling_negative_times_floor() -> None:
    op = WindowOperator("w", WindowDef("tumbling", size_ms=10, grace_ms=10), COUNT)
    state = PartitionState()
    op.process(state, items(-1, -10, -11))
    assert windows(op.flush(state)) == [(-20, -10, 1), (-10, 0, 2)]


def test_hopping_partly_late() -> None:
    op = WindowOperator("w", WindowDef("hopping", size_ms=10, advance_ms=5), COUNT)
    state = PartitionState()
    out = op.process(state, items(12, 16, 13))
    assert windows(out) == [(5, 15, 1)]  # t=16 closed [5, 15) before t=13 came
    assert out.partly_late == 1 and out.late == [] and out.applied == 3
    assert windows(op.flush(state)) == [(10, 20, 3), (15, 25, 1)]


def test_sliding_example() -> None:
    op = WindowOperator("w", WindowDef("sliding", difference_ms=5, grace_ms=20), COUNT)
    state = PartitionState()
    op.process(state, items(10, 14, 21))
    got = [(r.start, r.end, r.fields["vals"]) for r in op.flush(state).results]
    assert got == [(5, 11, [10]), (9, 15, [10, 14]), (11, 17, [14]), (16, 22, [21])]


def test_sliding_late_and_partly_late() -> None:
    op = WindowOperator("w", WindowDef("sliding", difference_ms=5), COUNT)
    state = PartitionState()
    out = op.process(state, items(20, 15, 10, 18))
    # t=15: its own window [10, 15] closed at 16 <= 20, but [15, 20] is open: partly late.
    # t=10: every window that could hold it ends by 15, closed at 16: late.
    # t=18: [13, 18] closed too (partly late); it joins [15, 20] and [16, 21].
    assert [i.ts for i, _ in out.late] == [10]
    assert out.partly_late == 2
    got = [(r.start, r.end, r.fields["vals"]) for r in op.flush(state).results]
    assert got == [(15, 21, [15, 18, 20]), (16, 22, [18, 20]), (19, 25, [20])]


def test_sliding_keeps_a_record_until_its_right_window_closes() -> None:
    # With the watermark at 6 = 0 + d + 1, t=3 still defines [1, 6], the right window of
    # t=0, so t=0 must still be kept although every window holding it has closed.
    op = WindowOperator("w", WindowDef("sliding", difference_ms=5), COUNT)
    state = PartitionState()
    op.process(state, items(0) + items(6, key="z", first_offset=1))
    out = op.process(state, items(3, first_offset=2))
    assert out.late == [] and out.partly_late == 1
    flushed = [(r.key, r.start, r.fields["vals"]) for r in op.flush(state).results]
    assert ("a", 1, [3]) in flushed


def test_watermark_is_per_partition_state_and_counts_every_record() -> None:
    op = WindowOperator("w", WindowDef("tumbling", size_ms=10), COUNT)
    state = PartitionState()
    out = op.process(state, items(25, key="other") + items(5, first_offset=1))
    assert [i.ts for i, _ in out.late] == [5]  # another key's record moved the watermark
    assert state.watermark == 25 and state.offset == 1


def test_advance_watermark_closes_idle_windows() -> None:
    op = WindowOperator("w", WindowDef("tumbling", size_ms=10, grace_ms=5), COUNT)
    state = PartitionState()
    op.process(state, items(3))
    assert op.advance_watermark(state, 14).results == []
    out = op.advance_watermark(state, 15)
    assert windows(out) == [(0, 10, 1)]
    assert out.changelog[-1] == ("wm", {"watermark": 15, "offset": 0})
    assert op.advance_watermark(state, 1).changelog == []  # never moves back


def test_records_at_or_below_the_state_offset_are_skipped() -> None:
    op = WindowOperator("w", WindowDef("tumbling", size_ms=10), COUNT)
    state = PartitionState()
    op.process(state, items(1, 2, 3))
    out = op.process(state, items(1, 2, 3, 4))
    assert (out.replayed, out.applied) == (3, 1)
    assert windows(op.flush(state)) == [(0, 10, 4)]


def test_changelog_entries_and_order() -> None:
    op = WindowOperator("w", WindowDef("tumbling", size_ms=10), COUNT)
    state = PartitionState()
    out = op.process(state, items(1, 12, key="user|7"))
    entries = [e for e, _ in out.changelog]
    assert entries == ["w|user|7|0", "w|user|7|10", "wm"]  # the watermark last
    marker = dict(out.changelog)["w|user|7|0"]
    assert marker is not None and marker["closed"] and marker["agg"] == {}
    assert op.process(state, []).changelog == []
    json.dumps(out.changelog)
    session = WindowOperator("s", WindowDef("session", gap_ms=5), COUNT)
    out = session.process(PartitionState(), items(1, key="k"))
    assert [e for e, _ in out.changelog] == ["k|k", "wm"]


def test_markers_are_purged_only_at_a_later_call_after_the_horizon() -> None:
    op = WindowOperator("w", WindowDef("tumbling", size_ms=10, grace_ms=2), COUNT)
    state = PartitionState()
    op.process(state, items(1, 100))  # [0, 10) closes; its marker lasts until 10 + 2 + 10
    assert set(state.markers) == {("a", 0)}
    out = op.process(state, items(101, first_offset=2))
    assert state.markers == {} and ("w|a|0", None) in out.changelog


def test_memory_stays_bounded_on_a_long_stream() -> None:
    plan = AggregationPlan({"n": ("count", None, {})})
    for wdef in [
        WindowDef("tumbling", size_ms=10, grace_ms=3),
        WindowDef("hopping", size_ms=10, advance_ms=3, grace_ms=3),
        WindowDef("sliding", difference_ms=10, grace_ms=3),
        WindowDef("session", gap_ms=4, grace_ms=3),
    ]:
        op = WindowOperator("w", wdef, plan)
        state = PartitionState()
        for call in range(200):
            batch = [
                WindowInput(call * 10 + i, call * 10 + i, f"k{(call + i) % 7}", {})
                for i in range(10)
            ]
            op.process(state, batch)
        kept = len(state.windows) + len(state.markers) + len(state.keys)
        assert kept < 150, (wdef.kind, kept)  # 2000 records went through
        assert sum(len(ks.records) for ks in state.keys.values()) < 40
        assert len(state.close_heap) < 200 and len(state.purge_heap) < 200


def test_aggregation_errors_come_back_as_data() -> None:
    plan = AggregationPlan({"s": ("sum", "v", {})})
    op = WindowOperator("w", WindowDef("tumbling", size_ms=10), plan)
    state = PartitionState()
    bad = WindowInput(1, 3, "a", {"v": "abc"}, ref="raw")
    out = op.process(state, [WindowInput(0, 2, "a", {"v": 1}), bad])
    message = "window w: aggregation s (sum of v): sum needs numbers, got 'abc' (str)"
    assert out.errors == [(bad, message)]
    assert op.flush(state).results[0].fields == {"s": 1}


def test_update_mode_emits_changes_with_persistent_seq() -> None:
    op = WindowOperator("w", WindowDef("tumbling", size_ms=10), COUNT, emit="update")
    state = PartitionState()
    first = op.process(state, items(1, 2))
    # seq is the record count at emission: it survives restarts and ignores batching
    assert [(r.start, r.count, r.seq, r.final) for r in first.results] == [(0, 2, 2, False)]
    state = PartitionState.from_changelog(json.loads(json.dumps(first.changelog)))
    second = op.process(state, items(3, 12, first_offset=2))
    assert [(r.start, r.count, r.seq) for r in second.results] == [(0, 3, 3), (10, 1, 1)]
    assert second.results[0].record()["seq"] == 3
    assert op.process(state, items(25, first_offset=4)).results[0].start == 20  # no re-emit
    assert op.flush(state).results == []


def test_emit_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="emit must be 'final' or 'update'"):
        WindowOperator("w", WindowDef("tumbling", size_ms=1), COUNT, emit="always")  # type: ignore[arg-type]
