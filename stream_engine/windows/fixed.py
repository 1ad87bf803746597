"""Tumbling and hopping windows: epoch-aligned [start, start + size), one entry per window.

A closed window stays as a marker (no aggregation state, but its last applied offset)
until the watermark passes end + grace + size, so a record re-read after a crash is
recognised as applied instead of reopening the window or being called late.
"""

from __future__ import annotations

import heapq

from stream_engine.windows.context import Call
from stream_engine.windows.definitions import WindowDef
from stream_engine.windows.errors import WindowValueError
from stream_engine.windows.results import WindowInput
from stream_engine.windows.state import PartitionState, WindowState


def window_starts(ts: int, size: int, advance: int) -> list[int]:
    """Starts s = k * advance with s <= ts < s + size, ascending (floor for negative ts)."""
    last = ts - ts % advance
    starts = []
    s = last
    while s > ts - size:
        starts.append(s)
        s -= advance
    return starts[::-1]


class FixedKind:
    """Tumbling (advance = size) and hopping windows."""

    def __init__(self, wdef: WindowDef) -> None:
        self.wdef = wdef
        self.size = wdef.size_ms
        self.advance = wdef.advance_ms if wdef.kind == "hopping" else wdef.size_ms

    def lookup(self, state: PartitionState, key: str, start: int) -> WindowState | None:
        return state.windows.get((key, start))

    def apply(self, call: Call, item: WindowInput) -> None:
        state, key, plan = call.state, item.key, call.plan
        targets: list[tuple[int, WindowState | None]] = []
        closed = already = 0
        for s in window_starts(item.ts, self.size, self.advance):
            ws = state.windows.get((key, s))
            marker = None if ws else state.markers.get((key, s))
            seen = ws or marker
            if seen is not None and item.offset <= seen.last_offset:
                already += 1  # applied before a restart
            elif marker is not None and self.wdef.close_at(marker.end) > call.wm:
                already += 1  # re-reading a call cut short by a crash: its outcome was sent
            elif marker is not None or self.wdef.close_at(s + self.size) <= call.wm:
                closed += 1
            else:
                targets.append((s, ws))
        if not targets:
            call.replayed() if already else call.late(item)
            return
        try:
            aggs = [
                plan.add(
                    ws.agg if ws else plan.initialize(), item.value, ts=item.ts, offset=item.offset
                )
                for _, ws in targets
            ]
        except WindowValueError as exc:
            call.error(item, str(exc))
            return
        for (s, found), agg in zip(targets, aggs, strict=True):
            ws = found or WindowState(key, s, s + self.size, agg)
            if found is None:
                state.windows[(key, s)] = ws
                call.schedule(ws)
            ws.agg, ws.count, ws.last_offset = agg, ws.count + 1, item.offset
            state.dirty_windows.add((key, s))
            call.touch(ws)
        call.applied(partly_late=closed > 0)

    def close(self, call: Call, ws: WindowState) -> None:
        state = call.state
        del state.windows[(ws.key, ws.start)]
        ws.closed, ws.agg = True, {}
        state.markers[(ws.key, ws.start)] = ws
        state.dirty_windows.add((ws.key, ws.start))
        heapq.heappush(state.purge_heap, (self._purge_at(ws), ws.key, ws.start))

    def _purge_at(self, marker: WindowState) -> int:
        return self.wdef.close_at(marker.end) + self.size

    def prune(self, call: Call, key: str) -> None:
        return None

    def flushed(self, call: Call) -> None:
        return None

    def purge(self, state: PartitionState, key: str, start: int, start_wm: int) -> None:
        marker = state.markers.get((key, start))
        if marker is not None and self._purge_at(marker) <= start_wm:
            del state.markers[(key, start)]
            state.dirty_windows.add((key, start))

    def index(self, state: PartitionState) -> None:
        state.close_heap = [
            (self.wdef.close_at(w.end), w.key, w.start) for w in state.windows.values()
        ]
        state.purge_heap = [(self._purge_at(m), m.key, m.start) for m in state.markers.values()]
        heapq.heapify(state.close_heap)
        heapq.heapify(state.purge_heap)
