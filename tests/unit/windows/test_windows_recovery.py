"""Crash recovery: restore from the changelog, re-read records, get the uninterrupted results.

Two crash points: between calls (the whole changelog of the last call written), and in the
middle of writing a call's changelog (a prefix of its entries written, the results and
dead letters of that call already delivered, as docs/windows.md requires of runtimes).
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from test_windows_property import (
    FAST,
    Scenario,
    batches,
    cuts_for,
    full_state,
    late_of,
    offsets,
    open_state,
    operator,
    restored,
    run,
    scenarios,
)

from stream_engine.windows import PartitionState, WindowResult


def snapshot(state: PartitionState) -> PartitionState:
    entries = json.loads(json.dumps(state.to_changelog(dirty_only=False)))
    return PartitionState.from_changelog(entries)


def compacted(results: list[WindowResult]) -> dict[bytes, Any]:
    """What a compacted result topic holds at the end, seq included."""
    view: dict[bytes, Any] = {}
    for r in results:
        view[r.kafka_key()] = None if r.tombstone else r.record()
    return {k: v for k, v in view.items() if v is not None}


def assert_seq_identifies_the_value(results: list[WindowResult]) -> None:
    """A crash re-emits earlier updates, but a (window, seq) always carries the same value,
    so a consumer that keeps the highest seq per window is never misled."""
    seen: dict[tuple[bytes, int], dict[str, Any]] = {}
    for r in results:
        if not r.tombstone:
            assert seen.setdefault((r.kafka_key(), r.seq), r.record()) == r.record(), r


@FAST
@given(scenarios(), st.data())
def test_restart_between_calls_repeats_nothing(sc: Scenario, data: st.DataObject) -> None:
    n = len(sc.evs)
    done = data.draw(st.integers(0, n), label="records processed before the crash")
    back = data.draw(st.integers(0, done), label="records re-read after the restart")
    for emit in ("final", "update"):
        _, whole, whole_flush = run(sc, emit, sc.cuts)
        op = operator(sc, emit)
        state = PartitionState()
        first = [op.process(state, b) for b in batches(sc.evs[:done], sc.cuts)]
        state = snapshot(state)
        rest = Scenario(sc.wdef, sc.aggs, sc.evs[done - back :], [])
        second = [
            op.process(state, b) for b in batches(rest.evs, cuts_for(data.draw, len(rest.evs)))
        ]
        flushed = op.flush(state)
        assert sum(o.replayed for o in second) == back
        assert late_of(first + second) == late_of(whole)
        both = [r for o in [*first, *second, flushed] for r in o.results]
        every = [r for o in [*whole, whole_flush] for r in o.results]
        if emit == "final":
            assert both == every
        else:
            assert compacted(both) == compacted(every)
            assert_seq_identifies_the_value(both + every)


@FAST
@given(scenarios(), st.data())
def test_crash_while_writing_the_changelog(sc: Scenario, data: st.DataObject) -> None:
    calls = batches(sc.evs, sc.cuts)
    if not calls:
        return
    crash = data.draw(st.integers(0, len(calls) - 1), label="call being written at the crash")
    for emit in ("final", "update"):
        _, whole, whole_flush = run(sc, emit, sc.cuts)
        written = data.draw(st.integers(0, len(whole[crash].changelog)), label="entries written")
        commit = data.draw(st.integers(0, crash), label="first call re-read")
        log = [e for o in whole[:crash] for e in o.changelog] + whole[crash].changelog[:written]
        state = PartitionState.from_changelog(json.loads(json.dumps(log)))
        op = operator(sc, emit)
        again = [item for call in calls[commit:] for item in call]
        bounds = [0, *cuts_for(data.draw, len(again)), len(again)]
        resumed = [op.process(state, again[a:b]) for a, b in pairwise(bounds) if b > a]
        assert open_state(state) == open_state(before_flush(sc, emit))
        resumed.append(op.flush(state))
        delivered = [r for o in whole[: crash + 1] for r in o.results]
        after = [r for o in resumed for r in o.results]
        every = [r for o in [*whole, whole_flush] for r in o.results]
        late_all = set(late_of(whole))
        assert set(late_of(resumed)) <= late_all
        assert set(late_of(whole[: crash + 1])) | set(late_of(resumed)) == late_all
        errors = {i for o in whole for i in offsets(o.errors)}
        assert {i for o in resumed for i in offsets(o.errors)} <= errors
        if emit == "final":
            truth = {(r.key, r.start): r for r in every}
            assert all(truth[(r.key, r.start)] == r for r in after)
            assert {(r.key, r.start) for r in delivered + after} == set(truth)
        else:
            assert compacted(delivered + after) == compacted(every)
            assert_seq_identifies_the_value(delivered + after + every)


def before_flush(sc: Scenario, emit: str = "final") -> PartitionState:
    op = operator(sc, emit)
    state = PartitionState()
    for b in batches(sc.evs, sc.cuts):
        op.process(state, b)
    return state


def test_full_state_roundtrip_is_json() -> None:
    assert full_state(PartitionState()) == {"wm": {"watermark": None, "offset": None}}
    assert restored([]).watermark is None
