"""The engine against the brute-force reference: every kind x aggregation, any batch split.

Random keys, out-of-order timestamps, grace and batch splits; final and update modes; the
changelog written call by call must restore exactly the live state.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_windows_brute import (
    BAD,
    Ev,
    Ref,
    final_results,
    ref_fixed,
    ref_session,
    ref_sliding,
    update_results,
)

from stream_engine.windows import (
    AggregationPlan,
    PartitionState,
    WindowDef,
    WindowInput,
    WindowOperator,
    WindowOutput,
)

ALL_AGGS: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "n": ("count", None, {}),
    "nv": ("count", "v", {}),
    "total": ("sum", "v", {}),
    "low": ("min", "v", {}),
    "high": ("max", "v", {}),
    "avg": ("mean", "v", {}),
    "head": ("first", "v", {}),
    "tail": ("last", "v", {}),
    "dv": ("count_distinct", "v", {}),
    "dt": ("count_distinct", "tag", {}),
    "some": ("collect", "v", {"max_items": 3}),
    "tags": ("collect", "tag", {}),
}
# WINDOWS_EXAMPLES=5000 digs deeper; the default keeps the suite well under a minute.
FAST = settings(
    max_examples=int(os.environ.get("WINDOWS_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass
class Scenario:
    wdef: WindowDef
    aggs: dict[str, tuple[str, str | None, dict[str, Any]]]
    evs: list[Ev]
    cuts: list[int]  # batch boundaries (indexes where a new batch starts)

    def reference(self) -> Ref:
        w, a = self.wdef, self.aggs
        if w.kind == "session":
            return ref_session(self.evs, w.gap_ms, w.grace_ms, a)
        if w.kind == "sliding":
            return ref_sliding(self.evs, w.difference_ms, w.grace_ms, a)
        advance = w.advance_ms if w.kind == "hopping" else w.size_ms
        return ref_fixed(self.evs, w.size_ms, advance, w.grace_ms, a)


@st.composite
def window_defs(draw: st.DrawFn) -> WindowDef:
    kind = draw(st.sampled_from(["tumbling", "hopping", "sliding", "session"]))
    grace = draw(st.integers(0, 20))
    if kind == "tumbling":
        return WindowDef("tumbling", size_ms=draw(st.integers(1, 20)), grace_ms=grace)
    if kind == "hopping":
        size = draw(st.integers(1, 20))
        advance = draw(st.integers(1, size))
        return WindowDef("hopping", size_ms=size, advance_ms=advance, grace_ms=grace)
    if kind == "sliding":
        return WindowDef("sliding", difference_ms=draw(st.integers(0, 15)), grace_ms=grace)
    return WindowDef("session", gap_ms=draw(st.integers(1, 15)), grace_ms=grace)


@st.composite
def events(draw: st.DrawFn, max_size: int = 40) -> list[Ev]:
    step = draw(st.integers(0, 5))
    n = draw(st.integers(0, max_size))
    row = st.tuples(
        st.sampled_from("abc"),
        st.integers(-15, 15),
        st.integers(-8, 20),  # -8 means a bad value, -7..-5 null
        st.sampled_from(["x", "y", "z", None]),
        st.integers(1, 3),
    )
    rows = draw(st.lists(row, min_size=n, max_size=n))
    out, offset = [], draw(st.integers(0, 1000))
    for i, (key, jitter, raw, tag, skip) in enumerate(rows):
        offset += skip
        v: Any = BAD if raw == -8 else None if raw < -4 else raw
        value = {"v": v} if tag is None else {"v": v, "tag": tag}
        out.append(Ev(offset, i * step + jitter, key, value))
    return out


def cuts_for(draw: Callable[[st.SearchStrategy[set[int]]], set[int]], n: int) -> list[int]:
    return sorted(draw(st.sets(st.integers(1, max(n - 1, 1)))) - {n}) if n > 1 else []


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    wdef = draw(window_defs())
    names = draw(st.sets(st.sampled_from(sorted(ALL_AGGS)), min_size=1))
    evs = draw(events())
    return Scenario(wdef, {n: ALL_AGGS[n] for n in sorted(names)}, evs, cuts_for(draw, len(evs)))


# ------------------------------------------------------------------ running the engine


def batches(evs: list[Ev], cuts: list[int]) -> list[list[WindowInput]]:
    bounds = [0, *cuts, len(evs)]
    items = [WindowInput(e.offset, e.ts, e.key, e.value, ref=e) for e in evs]
    return [items[a:b] for a, b in pairwise(bounds) if b > a]


def operator(sc: Scenario, emit: str = "final") -> WindowOperator:
    return WindowOperator("w", sc.wdef, AggregationPlan(sc.aggs), emit)  # type: ignore[arg-type]


def run(
    sc: Scenario, emit: str, cuts: list[int]
) -> tuple[PartitionState, list[WindowOutput], WindowOutput]:
    """Process every batch, check the changelog so far restores the live state, flush."""
    op = operator(sc, emit)
    state = PartitionState()
    outs = [op.process(state, b) for b in batches(sc.evs, cuts)]
    assert full_state(restored(outs)) == full_state(state)
    return state, outs, op.flush(state)


def final_of(outs: list[WindowOutput]) -> list[tuple[Any, ...]]:
    return [(r.key, r.start, r.end, r.fields, r.count) for o in outs for r in o.results]


def update_of(out: WindowOutput) -> list[tuple[Any, ...]]:
    return [(r.key, r.start, r.end, r.fields, r.count, r.seq, r.tombstone) for r in out.results]


def offsets(pairs: list[tuple[WindowInput, str]]) -> list[int]:
    return [item.offset for item, _ in pairs]


def late_of(outs: list[WindowOutput]) -> list[int]:
    return [i for o in outs for i in offsets(o.late)]


def full_state(state: PartitionState) -> dict[str, Any]:
    return dict(json.loads(json.dumps(state.to_changelog(dirty_only=False))))


def open_state(state: PartitionState) -> dict[str, Any]:
    """The state without markers, whose purge time depends on call boundaries."""
    return {
        entry: value
        for entry, value in full_state(state).items()
        if not (value.get("closed") or value.get("purge_at") is not None)
    }


def restored(outs: list[WindowOutput]) -> PartitionState:
    log = json.loads(json.dumps([entry for o in outs for entry in o.changelog]))
    return PartitionState.from_changelog(log)


# ------------------------------------------------------------------ properties


@FAST
@given(scenarios())
def test_final_mode_matches_reference(sc: Scenario) -> None:
    ref = sc.reference()
    state, outs, flushed = run(sc, "final", sc.cuts)
    everything = [*outs, flushed]
    assert final_of(everything) == final_results(sc.evs, ref, sc.aggs)
    assert late_of(outs) == ref.late
    assert [i for o in outs for i in offsets(o.errors)] == ref.errors
    assert sum(o.partly_late for o in outs) == ref.partly_late
    assert sum(o.applied + len(o.late) + len(o.errors) for o in outs) == len(sc.evs)
    assert all(r.final and r.seq == 1 for o in everything for r in o.results)
    keys = [r.kafka_key() for o in everything for r in o.results]
    assert len(set(keys)) == len(keys), "two windows share a result key"
    assert full_state(restored(everything)) == full_state(state)


@FAST
@given(scenarios())
def test_update_mode_matches_reference(sc: Scenario) -> None:
    ref = sc.reference()
    state, outs, flushed = run(sc, "update", sc.cuts)
    ends = [len(b) for b in batches(sc.evs, sc.cuts)]
    last_index = [sum(ends[: i + 1]) - 1 for i in range(len(ends))]
    expected = update_results(sc.evs, ref, sc.aggs, last_index, sc.wdef.kind == "session")
    assert [update_of(o) for o in outs] == expected
    assert flushed.results == []
    assert full_state(restored([*outs, flushed])) == full_state(state)


@FAST
@given(scenarios(), st.data())
def test_batch_split_never_changes_a_result(sc: Scenario, data: st.DataObject) -> None:
    other = cuts_for(data.draw, len(sc.evs))
    _, outs_a, flush_a = run(sc, "final", sc.cuts)
    _, outs_b, flush_b = run(sc, "final", other)
    assert final_of([*outs_a, flush_a]) == final_of([*outs_b, flush_b])
    assert late_of(outs_a) == late_of(outs_b)
    assert sum(o.partly_late for o in outs_a) == sum(o.partly_late for o in outs_b)
    # Before the flush (which ends a state), the open part of the state is identical too.
    state_a2, state_b2 = PartitionState(), PartitionState()
    op = operator(sc)
    for b in batches(sc.evs, sc.cuts):
        op.process(state_a2, b)
    for b in batches(sc.evs, other):
        op.process(state_b2, b)
    assert open_state(state_a2) == open_state(state_b2)
