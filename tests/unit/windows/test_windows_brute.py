"""A brute-force reference of docs/windows.md, sharing no code with stream_engine.windows.

Each function walks the arrival list with plain loops: the watermark is the running max of
event times; a window is open while the watermark is below its close time. It returns,
after every arrival, every window that exists so far with the records it holds, which
yields both the final results and what update mode emits at any batch boundary.

Other test modules import this one (its directory is on sys.path under pytest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BAD = {"not": "a number"}  # rejected by sum/min/max/mean/count_distinct, kept by others
REJECTS_BAD = {"sum", "min", "max", "mean", "count_distinct"}


@dataclass(frozen=True)
class Ev:
    offset: int
    ts: int
    key: str
    value: dict[str, Any]


# A window: (key, start) -> (exclusive end, close time, arrival indexes of its records)
Snapshot = dict[tuple[str, int], tuple[int, int, tuple[int, ...]]]


@dataclass
class Ref:
    late: list[int] = field(default_factory=list)  # offsets
    errors: list[int] = field(default_factory=list)
    partly_late: int = 0
    snapshots: list[Snapshot] = field(default_factory=list)  # after each arrival


def is_bad(ev: Ev, aggs: dict[str, tuple[str, str | None, dict[str, Any]]]) -> bool:
    return any(k in REJECTS_BAD and f and ev.value.get(f) == BAD for k, f, _ in aggs.values())


# ------------------------------------------------------------------ windows


def ref_fixed(evs: list[Ev], size: int, advance: int, grace: int, aggs: Any) -> Ref:
    ref, wm = Ref(), None
    wins: dict[tuple[str, int], list[int]] = {}  # (key, start) -> arrival indexes
    for i, ev in enumerate(evs):
        wm = ev.ts if wm is None else max(wm, ev.ts)
        starts = [s for s in range(ev.ts - size + 1, ev.ts + 1) if s % advance == 0]
        still_open = [s for s in starts if wm < s + size + grace]
        if not still_open:
            ref.late.append(ev.offset)
        elif is_bad(ev, aggs):
            ref.errors.append(ev.offset)
        else:
            ref.partly_late += len(still_open) < len(starts)
            for s in still_open:
                wins.setdefault((ev.key, s), []).append(i)
        ref.snapshots.append(
            {(k, s): (s + size, s + size + grace, tuple(ix)) for (k, s), ix in wins.items()}
        )
    return ref


def ref_session(evs: list[Ev], gap: int, grace: int, aggs: Any) -> Ref:
    ref, wm = Ref(), None
    sessions: list[tuple[str, list[int]]] = []  # (key, arrival indexes)

    def first(ix: list[int]) -> int:
        return min(evs[j].ts for j in ix)

    def last(ix: list[int]) -> int:
        return max(evs[j].ts for j in ix)

    for i, ev in enumerate(evs):
        wm = ev.ts if wm is None else max(wm, ev.ts)
        near = [
            (k, ix)
            for k, ix in sessions
            if k == ev.key
            and wm < last(ix) + 1 + gap + grace
            and first(ix) - gap <= ev.ts <= last(ix) + gap
        ]
        inside = any(first(ix) <= ev.ts <= last(ix) for _, ix in near)
        if not inside and wm >= ev.ts + 1 + gap + grace:
            ref.late.append(ev.offset)
        elif is_bad(ev, aggs):
            ref.errors.append(ev.offset)
        else:
            sessions = [s for s in sessions if s not in near]
            merged = sorted([i, *(j for _, ix in near for j in ix)])
            sessions.append((ev.key, merged))
        ref.snapshots.append(
            {
                (k, first(ix)): (last(ix) + 1, last(ix) + 1 + gap + grace, tuple(ix))
                for k, ix in sessions
            }
        )
    return ref


def ref_sliding(evs: list[Ev], d: int, grace: int, aggs: Any) -> Ref:
    ref, wm = Ref(), None
    accepted: list[tuple[int, int]] = []  # (arrival index, watermark at arrival)
    for i, ev in enumerate(evs):
        wm = ev.ts if wm is None else max(wm, ev.ts)
        if wm >= ev.ts + d + 1 + grace:
            ref.late.append(ev.offset)
        elif is_bad(ev, aggs):
            ref.errors.append(ev.offset)
        else:
            accepted.append((i, wm))
            ref.partly_late += wm >= ev.ts + 1 + grace
        ref.snapshots.append(_sliding_windows(evs, accepted, d, grace))
    return ref


def _sliding_windows(
    evs: list[Ev], accepted: list[tuple[int, int]], d: int, grace: int
) -> Snapshot:
    out: Snapshot = {}
    candidates = {(evs[i].key, evs[i].ts - d) for i, _ in accepted}
    candidates |= {(evs[i].key, evs[i].ts + 1) for i, _ in accepted}
    for key, s in candidates:
        close = s + d + 1 + grace
        before = [i for i, w in accepted if evs[i].key == key and w < close]
        times = [evs[i].ts for i in before]
        inside = [i for i in before if s <= evs[i].ts <= s + d]
        left = s + d in times
        right = s - 1 in times and bool(inside)
        if left or right:
            out[(key, s)] = (s + d + 1, close, tuple(inside))
    return out


# ------------------------------------------------------------------ aggregations


def ref_aggregate(
    evs: list[Ev], ix: tuple[int, ...], aggs: dict[str, tuple[str, str | None, dict[str, Any]]]
) -> dict[str, Any]:
    rows = [(evs[i].ts, evs[i].offset, evs[i].value) for i in ix]
    out: dict[str, Any] = {}
    for name, (kind, fld, opts) in aggs.items():
        values = [row.get(fld) for _, _, row in rows] if fld else [None] * len(rows)
        present = [v for v in values if v is not None]
        ordered = sorted(rows, key=lambda r: (r[0], r[1]))
        by_time = [row.get(fld) for _, _, row in ordered] if fld else [None] * len(rows)
        if kind == "count":
            out[name] = len(present) if fld else len(rows)
        elif kind == "sum":
            out[name] = sum(present) if present else None
        elif kind == "min":
            out[name] = min(present) if present else None
        elif kind == "max":
            out[name] = max(present) if present else None
        elif kind == "mean":
            out[name] = sum(present) / len(present) if present else None
        elif kind == "first":
            out[name] = by_time[0] if rows else None
        elif kind == "last":
            out[name] = by_time[-1] if rows else None
        elif kind == "count_distinct":
            out[name] = len(set(present))
        elif kind == "collect":
            out[name] = by_time[: opts.get("max_items", 100)]
    return out


def final_results(evs: list[Ev], ref: Ref, aggs: Any) -> list[tuple[Any, ...]]:
    """(key, start, end, fields, count) of every window, in close order."""
    last = ref.snapshots[-1] if ref.snapshots else {}
    order = sorted(last, key=lambda w: (last[w][1], w[0], w[1]))
    return [
        (k, s, last[(k, s)][0], ref_aggregate(evs, last[(k, s)][2], aggs), len(last[(k, s)][2]))
        for k, s in order
    ]


def _end_before(ref: Ref, key: str, start: int, e: int) -> int:
    """The end a replaced window had when it was last seen."""
    for i in range(e, -1, -1):
        if (key, start) in ref.snapshots[i]:
            return ref.snapshots[i][(key, start)][0]
    raise AssertionError("a tombstoned window was never seen")


def update_results(
    evs: list[Ev], ref: Ref, aggs: Any, ends: list[int], session: bool
) -> list[list[tuple[Any, ...]]]:
    """Per batch (last arrival index of each): tombstones, then changed windows, by key/start.

    Items: (key, start, end, fields, count, seq, tombstone).
    """
    prev: Snapshot = {}
    batches = []
    begin = 0
    for e in ends:
        snap = ref.snapshots[e]
        seen = set(prev).union(*ref.snapshots[begin : e + 1])
        tombs = [w for w in sorted(seen) if w not in snap]
        begin = e + 1
        changed = [w for w in sorted(snap) if prev.get(w) != snap[w]]
        out: list[tuple[Any, ...]] = [
            (k, s, _end_before(ref, k, s, e), {}, 0, 0, True) for k, s in tombs
        ]
        for w in changed:
            end, _, ix = snap[w]
            # seq is the window's record count when emitted: independent of batching
            out.append((w[0], w[1], end, ref_aggregate(evs, ix, aggs), len(ix), len(ix), False))
        prev = snap
        batches.append(out)
    return batches


# ------------------------------------------------------------------ the reference itself


def _evs(*pairs: tuple[int, str]) -> list[Ev]:
    return [Ev(i, ts, key, {"v": i}) for i, (ts, key) in enumerate(pairs)]


COUNT: dict[str, tuple[str, str | None, dict[str, Any]]] = {"n": ("count", None, {})}


def test_reference_tumbling_example() -> None:
    evs = _evs((1, "a"), (11, "a"), (9, "a"), (13, "a"), (3, "a"))
    ref = ref_fixed(evs, size=10, advance=10, grace=2, aggs=COUNT)
    assert ref.late == [4]  # watermark 13 >= 10 + 2 closed [0, 10) before ts 3 came
    assert final_results(evs, ref, COUNT) == [
        ("a", 0, 10, {"n": 2}, 2),
        ("a", 10, 20, {"n": 2}, 2),
    ]


def test_reference_sliding_example() -> None:
    # Kafka Streams docs style: difference 5; records at 10 and 14.
    evs = _evs((10, "a"), (14, "a"))
    ref = ref_sliding(evs, d=5, grace=100, aggs=COUNT)
    got = {(s, e): f["n"] for _, s, e, f, _ in final_results(evs, ref, COUNT)}
    # [5,10] {10}; [9,14] {10,14}; right of 10: [11,16] {14}; right of 14: none.
    assert got == {(5, 11): 1, (9, 15): 2, (11, 17): 1}


def test_reference_session_bridge() -> None:
    evs = _evs((0, "a"), (10, "a"), (5, "a"))
    ref = ref_session(evs, gap=5, grace=100, aggs=COUNT)
    assert [w[:3] for w in final_results(evs, ref, COUNT)] == [("a", 0, 11)]
