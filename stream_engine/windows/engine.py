"""The window operator: watermark, closing and emission over one partition's state.

Pure Python, no I/O: runtimes feed records in offset order and carry out the returned
output. The watermark advances record by record and windows close after every record, so
how records are split into calls never changes a final result.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Literal

from stream_engine.windows.context import Call, Kind
from stream_engine.windows.definitions import WindowDef
from stream_engine.windows.fixed import FixedKind
from stream_engine.windows.plan import AggregationPlan
from stream_engine.windows.results import WindowInput, WindowOutput
from stream_engine.windows.sessions import SessionKind
from stream_engine.windows.sliding import SlidingKind
from stream_engine.windows.state import PartitionState

EmitMode = Literal["final", "update"]


def make_kind(wdef: WindowDef) -> Kind:
    if wdef.kind == "session":
        return SessionKind(wdef)
    if wdef.kind == "sliding":
        return SlidingKind(wdef)
    return FixedKind(wdef)


class WindowOperator:
    """One named window of a pipeline; holds no state of its own (PartitionState does)."""

    def __init__(
        self, name: str, wdef: WindowDef, plan: AggregationPlan, emit: EmitMode = "final"
    ) -> None:
        if emit not in ("final", "update"):
            raise ValueError(f"window {name}: emit must be 'final' or 'update', got {emit!r}")
        self.name, self.wdef, self.plan, self.emit = name, wdef, plan, emit
        self.kind = make_kind(wdef)
        # False when the state lives in memory only (replays): no changelog entries are built.
        self.changelog = True

    def process(self, state: PartitionState, items: Sequence[WindowInput]) -> WindowOutput:
        """Apply records of one partition, in offset order."""
        call = self._begin(state)
        for item in items:
            if state.offset is not None and item.offset <= state.offset:
                call.replayed()  # applied before; its effects are in the state
                continue
            wm = item.ts if state.watermark is None else max(state.watermark, item.ts)
            state.watermark, state.offset, state.dirty_wm = wm, item.offset, True
            self._close_due(call, wm)
            self.kind.apply(call, item)
        return self._finish(call)

    def advance_watermark(self, state: PartitionState, ts: int) -> WindowOutput:
        """Move the watermark without a record (idle timeout; not reproducible by replays)."""
        call = self._begin(state)
        if state.watermark is None or ts > state.watermark:
            state.watermark, state.dirty_wm = ts, True
            self._close_due(call, ts)
        return self._finish(call)

    def flush(self, state: PartitionState) -> WindowOutput:
        """End of a bounded run: close every open window now. The state is done after this."""
        call = self._begin(state)
        if state.watermark is not None:
            while state.close_heap:
                self._close_top(call)
            self.kind.flushed(call)
        return self._finish(call)

    # ------------------------------------------------------------------
    def _begin(self, state: PartitionState) -> Call:
        if not state.indexed:
            self.kind.index(state)
            state.indexed = True
        start_wm = state.watermark
        # Markers go only at a call's start: one closed in this call must survive it.
        while start_wm is not None and state.purge_heap and state.purge_heap[0][0] <= start_wm:
            _, key, start = heapq.heappop(state.purge_heap)
            self.kind.purge(state, key, start, start_wm)
        return Call(self.name, state, self.wdef, self.plan, update=self.emit == "update")

    def _close_due(self, call: Call, wm: int) -> None:
        state = call.state
        while state.close_heap and state.close_heap[0][0] <= wm:
            self._close_top(call)
        while state.prune_heap and state.prune_heap[0][0] <= wm:
            _, key = heapq.heappop(state.prune_heap)
            self.kind.prune(call, key)

    def _close_top(self, call: Call) -> None:
        close_at, key, start = heapq.heappop(call.state.close_heap)
        ws = self.kind.lookup(call.state, key, start)
        if ws is None or self.wdef.close_at(ws.end) != close_at:
            return  # stale entry: merged, extended or already closed
        call.on_close(ws)
        self.kind.close(call, ws)

    def _finish(self, call: Call) -> WindowOutput:
        if call.update:
            call.finish_updates()
        state = call.state
        if self.changelog:
            call.out.changelog = state.to_changelog(dirty_only=True)
        else:
            state.dirty_windows.clear()
            state.dirty_keys.clear()
            state.dirty_wm = False
        return call.out
