"""Session windows: records of a key no more than ``gap`` apart chain into one session.

A session spans [first, last] and is reported as [first, last + 1); it closes when the
watermark reaches last + 1 + gap + grace, the moment no on-time record can extend it.
A record joins every open session within reach (first - gap <= ts <= last + gap) and so
may merge several; closed sessions are never joined.

A record is late unless it lies inside an open session's [first, last] or a session of
its own would still be open (ts + 1 + gap + grace > watermark). The second condition also
stops a very late record from extending an open session back: such a record could give
that session the start of an already emitted one, and the two would share a result key.
"""

from __future__ import annotations

from stream_engine.windows.context import Call
from stream_engine.windows.errors import WindowValueError
from stream_engine.windows.keyed import KeyedBase
from stream_engine.windows.results import WindowInput
from stream_engine.windows.state import WindowState


class SessionKind(KeyedBase):
    """Session windows with merging."""

    def apply(self, call: Call, item: WindowInput) -> None:
        plan, gap, ts = call.plan, self.wdef.gap_ms, item.ts
        found = call.state.keys.get(item.key)
        if found is not None and item.offset <= found.last_offset:
            call.replayed()  # the key's entry already includes this record
            return
        near = (
            []
            if found is None
            else [w for w in found.windows.values() if w.start - gap <= ts <= w.end - 1 + gap]
        )
        near.sort(key=lambda w: w.start)
        inside = any(w.start <= ts < w.end for w in near)
        if not inside and self.wdef.close_at(ts + 1) <= call.wm:
            call.late(item)  # would start or extend back a session no later than a closed one
            return
        try:
            agg = near[0].agg if near else plan.initialize()
            for other in near[1:]:
                agg = plan.merge(agg, other.agg)
            agg = plan.add(agg, item.value, ts=ts, offset=item.offset)
        except WindowValueError as exc:
            call.error(item, str(exc))
            return
        ks = self.key_state(call, item.key)
        start = min([ts, *(w.start for w in near)])
        end = max([ts + 1, *(w.end for w in near)])
        session = WindowState(
            item.key,
            start,
            end,
            agg,
            count=1 + sum(w.count for w in near),
            last_offset=item.offset,
            seq=max([0, *(w.seq for w in near)]),
        )
        for old in near:
            del ks.windows[old.start]
            call.replaced(old, start)
        ks.windows[start] = session
        ks.last_offset = item.offset
        call.schedule(session)
        call.touch(session)
        call.applied()

    def prune(self, call: Call, key: str) -> None:
        return None
