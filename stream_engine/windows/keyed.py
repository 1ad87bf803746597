"""Shared bookkeeping of the per-key kinds (session, sliding): one changelog entry per key.

A key whose windows have all closed keeps a small marker (its last applied offset) until
a later call, so a crash between writing the key and writing the watermark cannot make a
re-read record start the key over.
"""

from __future__ import annotations

import heapq

from stream_engine.windows.context import Call
from stream_engine.windows.definitions import WindowDef
from stream_engine.windows.state import KeyState, PartitionState, WindowState


class KeyedBase:
    """lookup/close/purge/index for kinds that keep their windows in KeyState."""

    def __init__(self, wdef: WindowDef) -> None:
        self.wdef = wdef

    def lookup(self, state: PartitionState, key: str, start: int) -> WindowState | None:
        ks = state.keys.get(key)
        return None if ks is None else ks.windows.get(start)

    def key_state(self, call: Call, key: str) -> KeyState:
        ks = call.state.keys.get(key)
        if ks is None:
            ks = call.state.keys[key] = KeyState(key)
        ks.purge_at = None
        call.state.dirty_keys.add(key)
        return ks

    def close(self, call: Call, ws: WindowState) -> None:
        ks = call.state.keys[ws.key]
        del ks.windows[ws.start]
        call.state.dirty_keys.add(ws.key)
        self.settle(call, ks)

    def settle(self, call: Call, ks: KeyState) -> None:
        """Mark a key that holds nothing open; a later call's start purges it."""
        if ks.empty and ks.purge_at is None:
            ks.purge_at = call.wm
            call.state.dirty_keys.add(ks.key)
            heapq.heappush(call.state.purge_heap, (ks.purge_at, ks.key, 0))

    def flushed(self, call: Call) -> None:
        """After a flush closed every window: records are no longer needed either."""
        for ks in call.state.keys.values():
            if ks.records:
                ks.records = []
                call.state.dirty_keys.add(ks.key)
            self.settle(call, ks)

    def purge(self, state: PartitionState, key: str, start: int, start_wm: int) -> None:
        ks = state.keys.get(key)
        if ks is not None and ks.empty and ks.purge_at is not None and ks.purge_at <= start_wm:
            del state.keys[key]
            state.dirty_keys.add(key)

    def index(self, state: PartitionState) -> None:
        state.close_heap = [
            (self.wdef.close_at(w.end), w.key, w.start) for w in state.open_windows()
        ]
        state.purge_heap = [
            (ks.purge_at, ks.key, 0) for ks in state.keys.values() if ks.purge_at is not None
        ]
        heapq.heapify(state.close_heap)
        heapq.heapify(state.purge_heap)
