"""Sliding windows as Kafka Streams' SlidingWindows define them, with inclusive bounds.

For difference d, every record at t defines the window [t - d, t], and the window
[t + 1, t + 1 + d] when some record lies in (t, t + 1 + d]. A window holds every record
inside its bounds; the same bounds are one window. Windows are reported as [s, e + 1).

Each key keeps its accepted records until no window can need them (watermark >=
t + d + 2 + grace: t may still define a right window until then), and each defined
window keeps its aggregation state, so a new window is folded from the kept records
when some record defines it.
"""

from __future__ import annotations

import heapq
from typing import Any

from stream_engine.windows.context import Call
from stream_engine.windows.errors import WindowValueError
from stream_engine.windows.keyed import KeyedBase
from stream_engine.windows.results import WindowInput
from stream_engine.windows.state import PartitionState, WindowState


class SlidingKind(KeyedBase):
    """Sliding windows over a per-key buffer of records."""

    def apply(self, call: Call, item: WindowInput) -> None:
        d, ts, wm, plan = self.wdef.difference_ms, item.ts, call.wm, call.plan
        found = call.state.keys.get(item.key)
        if found is not None and item.offset <= found.last_offset:
            call.replayed()
            return
        if self.wdef.close_at(ts + d + 1) <= wm:  # even [ts, ts + d] has closed
            call.late(item)
            return
        value = plan.project(item.value)
        records = found.records if found else []
        windows = found.windows if found else {}
        starts = [ts - d]
        if any(ts < r[0] <= ts + 1 + d for r in records):
            starts.append(ts + 1)
        starts += [r[0] + 1 for r in records if r[0] < ts <= r[0] + 1 + d]
        new = sorted({s for s in starts if s not in windows and self._open(s, wm)})
        try:
            plan.add(plan.initialize(), value, ts=ts, offset=item.offset)  # fails alone?
            grown = {
                s: plan.add(w.agg, value, ts=ts, offset=item.offset)
                for s, w in windows.items()
                if s <= ts <= s + d
            }
            made = {s: self._fold(call, s, records, item, value) for s in new}
        except WindowValueError as exc:
            call.error(item, str(exc))
            return
        ks = self.key_state(call, item.key)
        for s, agg in grown.items():
            w = ks.windows[s]
            w.agg, w.count, w.last_offset = agg, w.count + 1, item.offset
            call.touch(w)
        for w in made.values():
            ks.windows[w.start] = w
            call.schedule(w)
            call.touch(w)
        ks.records.append([ts, item.offset, value])
        ks.last_offset = item.offset
        heapq.heappush(call.state.prune_heap, (self._keep_until(ts), item.key))
        call.applied(partly_late=self.wdef.close_at(ts + 1) <= wm)

    def _open(self, start: int, wm: int) -> bool:
        return self.wdef.close_at(start + self.wdef.difference_ms + 1) > wm

    def _keep_until(self, ts: int) -> int:
        return self.wdef.close_at(ts + self.wdef.difference_ms + 2)

    def _fold(
        self, call: Call, start: int, records: list[list[Any]], item: WindowInput, value: Any
    ) -> WindowState:
        end = start + self.wdef.difference_ms + 1
        plan, agg, count, last = call.plan, call.plan.initialize(), 0, -1
        inside = [r for r in records if start <= r[0] < end]
        if start <= item.ts < end:
            inside.append([item.ts, item.offset, value])
        for ts, offset, v in inside:
            agg, count, last = plan.add(agg, v, ts=ts, offset=offset), count + 1, offset
        return WindowState(item.key, start, end, agg, count=count, last_offset=last)

    def prune(self, call: Call, key: str) -> None:
        ks = call.state.keys.get(key)
        if ks is None:
            return
        kept = [r for r in ks.records if self._keep_until(r[0]) > call.wm]
        if len(kept) != len(ks.records):
            ks.records = kept
            call.state.dirty_keys.add(key)
        self.settle(call, ks)

    def index(self, state: PartitionState) -> None:
        super().index(state)
        state.prune_heap = [
            (self._keep_until(r[0]), ks.key) for ks in state.keys.values() for r in ks.records
        ]
        heapq.heapify(state.prune_heap)
