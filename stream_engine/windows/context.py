"""One operator call in progress, and the small interface each window kind implements.

The call collects outcomes (applied, late, errors), the windows changed in the call (for
update mode) and the tombstones of replaced session windows, so the kind modules only
decide *which* windows a record touches.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Protocol

from stream_engine.windows.definitions import WindowDef
from stream_engine.windows.plan import AggregationPlan
from stream_engine.windows.results import WindowInput, WindowOutput, WindowResult, iso_ms
from stream_engine.windows.state import PartitionState, WindowState


@dataclass
class Call:
    """State of one process/flush/advance call."""

    name: str
    state: PartitionState
    wdef: WindowDef
    plan: AggregationPlan
    update: bool
    out: WindowOutput = field(default_factory=WindowOutput)
    changed: dict[tuple[str, int], WindowState] = field(default_factory=dict)
    closed_changed: list[WindowResult] = field(default_factory=list)
    tombstones: list[WindowResult] = field(default_factory=list)

    @property
    def wm(self) -> int:
        wm = self.state.watermark
        assert wm is not None, "the watermark is set before any window is touched"
        return wm

    # outcomes -------------------------------------------------------------
    def applied(self, partly_late: bool = False) -> None:
        self.out.applied += 1
        self.out.partly_late += int(partly_late)

    def replayed(self) -> None:
        self.out.replayed += 1

    def late(self, item: WindowInput) -> None:
        message = (
            f"window {self.name}: record at {iso_ms(item.ts)} (ts {item.ts}) is late; "
            f"watermark {iso_ms(self.wm)} already closed every window it belongs to "
            f"(grace {self.wdef.grace_ms} ms)"
        )
        self.out.late.append((item, message))

    def error(self, item: WindowInput, message: str) -> None:
        self.out.errors.append((item, f"window {self.name}: {message}"))

    # windows --------------------------------------------------------------
    def schedule(self, ws: WindowState) -> None:
        """(Re)arm the window's close; stale heap entries are skipped when popped."""
        heapq.heappush(self.state.close_heap, (self.wdef.close_at(ws.end), ws.key, ws.start))

    def touch(self, ws: WindowState) -> None:
        if self.update:
            self.changed[(ws.key, ws.start)] = ws

    def replaced(self, old: WindowState, new_start: int) -> None:
        """A session window re-keyed by a merge or an earlier record: tombstone its key.

        Even when this state never emitted it: an attempt before a crash may have.
        """
        if old.start == new_start:
            return
        self.changed.pop((old.key, old.start), None)
        if self.update:
            self.tombstones.append(
                WindowResult(old.key, old.start, old.end, {}, 0, 0, False, tombstone=True)
            )

    def emit(self, ws: WindowState, final: bool) -> WindowResult:
        # seq is the number of records in the window: it grows with every change, survives
        # restarts with the state, and does not depend on how records were batched, so a
        # replay or a restarted worker emits the same (key, window, seq) as a clean run.
        if not final:
            ws.seq = ws.count
        fields = self.plan.result(ws.agg)
        return WindowResult(ws.key, ws.start, ws.end, fields, ws.count, max(ws.seq, 1), final)

    def on_close(self, ws: WindowState) -> None:
        """Final mode: the one result. Update mode: the last change, if made in this call."""
        if not self.update:
            self.out.results.append(self.emit(ws, final=True))
        elif self.changed.pop((ws.key, ws.start), None) is not None:
            self.closed_changed.append(self.emit(ws, final=False))

    def finish_updates(self) -> None:
        """Update mode: tombstones first, then one result per changed window, by key/start."""
        results = [self.emit(ws, final=False) for ws in self.changed.values()]
        results += self.closed_changed
        self.out.results += sorted(self.tombstones, key=lambda r: (r.key, r.start))
        self.out.results += sorted(results, key=lambda r: (r.key, r.start))


class Kind(Protocol):
    """What each window kind implements."""

    def apply(self, call: Call, item: WindowInput) -> None:
        """Apply one record (watermark already advanced and due windows closed)."""

    def lookup(self, state: PartitionState, key: str, start: int) -> WindowState | None:
        """The open window (key, start), if any."""

    def close(self, call: Call, ws: WindowState) -> None:
        """Remove a closed window (its result was taken already) and leave what recovery needs."""

    def prune(self, call: Call, key: str) -> None:
        """Drop what the key no longer needs at the current watermark (sliding records)."""

    def flushed(self, call: Call) -> None:
        """After a flush closed every window: drop what only open windows needed."""

    def purge(self, state: PartitionState, key: str, start: int, start_wm: int) -> None:
        """Forget a marker whose purge time is at or below the call's starting watermark."""

    def index(self, state: PartitionState) -> None:
        """Rebuild the heaps after a restore."""
