"""Per-partition state of quality in a stream, and its changelog form.

One ``QualityState`` per (quality step, source, partition): the watermark and last
applied offset, the open event-time windows of aggregate checks, the keys remembered
for de-duplication, and each anomaly rule's history. Every change is recorded as a
changelog entry (``wm``, ``w|<start>``, ``d|<rule>|<key>``, ``h|<rule>``; a null value
deletes), so a restarted worker restores exactly what it had.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from stream_engine.quality.checks.stats import StatsPlan, TableStats

Entry = tuple[str, dict[str, Any] | None]
WM_ENTRY = "wm"
KEEP_BATCH_STARTS = 32


@dataclass
class WindowTally:
    """What one open window has seen: statistics and per-rule failing counts and samples."""

    start: int
    stats: TableStats
    failing: dict[str, int] = field(default_factory=dict)  # rule -> failing rows
    samples: dict[str, list[str]] = field(default_factory=dict)  # rule -> first messages

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "stats": self.stats.to_dict(),
            "failing": self.failing,
            "samples": self.samples,
        }

    @classmethod
    def from_json(cls, plan: StatsPlan, value: dict[str, Any]) -> WindowTally:
        return cls(
            int(value["start"]),
            TableStats.from_dict(plan, value["stats"]),
            {str(k): int(v) for k, v in value["failing"].items()},
            {str(k): [str(m) for m in v] for k, v in value["samples"].items()},
        )


class Seen(NamedTuple):
    """A remembered key: the watermark and offset of the record that registered it, and
    the older registrations (watermark, offset) a record re-read after a restart may need:
    those since the oldest recent batch start, and the one in force at that start."""

    wm: int
    offset: int
    earlier: tuple[tuple[int, int], ...] = ()

    def registrations(self) -> tuple[tuple[int, int], ...]:
        return (*self.earlier, (self.wm, self.offset))


@dataclass
class QualityState:
    plan: StatsPlan
    watermark: int | None = None
    offset: int = -1  # the last source offset applied to windows and the watermark
    windows: dict[int, WindowTally] = field(default_factory=dict)
    # uniqueness rule -> key -> its registration; kept in the order registered (watermark
    # order, but for re-read records), so expiry pops from the front
    seen: dict[str, dict[str, Seen]] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)  # anomaly rule -> values
    # first offset of each recent batch -> the watermark before it, so records re-read
    # after a restart (from a commit, i.e. a batch start) see the watermark they saw
    batch_starts: dict[int, int | None] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)  # entries other than remembered keys
    changed_keys: dict[str, set[str]] = field(default_factory=dict)  # rule -> keys

    def note_batch_start(self, offset: int) -> None:
        self.batch_starts[offset] = self.watermark
        for old in list(self.batch_starts)[:-KEEP_BATCH_STARTS]:
            del self.batch_starts[old]
        self.changed.add(WM_ENTRY)

    def batch_start_watermark(self, offset: int) -> int | None:
        """The watermark before the batch that started at ``offset`` (else the current one)."""
        return self.batch_starts.get(offset, self.watermark)

    def window(self, start: int) -> WindowTally:
        tally = self.windows.get(start)
        if tally is None:
            tally = self.windows[start] = WindowTally(start, TableStats(self.plan))
        self.changed.add(f"w|{start}")
        return tally

    def close(self, start: int) -> WindowTally:
        self.changed.add(f"w|{start}")
        return self.windows.pop(start)

    def remember(self, rule: str, key: str, watermark: int, offset: int) -> None:
        self.remember_many(rule, [key], [watermark], [offset])

    def remember_many(
        self, rule: str, keys: list[str], watermarks: list[int], offsets: list[int]
    ) -> None:
        """Register keys in order; each replaces an older entry, kept while re-reads need it."""
        seen = self.seen.setdefault(rule, {})
        pop = seen.pop
        horizon = next(iter(self.batch_starts), None)  # the oldest offset a re-read starts at
        for key, wm, offset in zip(keys, watermarks, offsets, strict=True):
            old = pop(key, None)  # re-inserted at the end: the dict stays in watermark order
            if old is None:
                seen[key] = Seen(wm, offset)
            else:
                seen[key] = Seen(wm, offset, _needed(old.registrations(), horizon))
        self.changed_keys.setdefault(rule, set()).update(keys)

    def expire(self, rule: str, span_ms: int) -> None:
        """Forget keys registered at least ``span_ms`` of watermark ago.

        Measured from the watermark before the oldest recent batch, not the current one:
        a record re-read after a restart may still need a key that expired since.
        """
        keys = self.seen.get(rule)
        horizon = next(iter(self.batch_starts.values()), self.watermark)
        if not keys or horizon is None:
            return
        while keys:
            key, seen = next(iter(keys.items()))
            if seen.wm + span_ms > horizon:
                break
            del keys[key]
            self.changed_keys.setdefault(rule, set()).add(key)

    def record_history(self, rule: str, value: float, keep: int) -> None:
        values = self.history.setdefault(rule, [])
        values.append(value)
        del values[:-keep]
        self.changed.add(f"h|{rule}")

    def drain_changes(self) -> list[Entry]:
        """The changelog entries of everything changed since the last call."""
        out: list[Entry] = []
        if self.changed or self.changed_keys:
            self.changed.add(WM_ENTRY)
        for entry in sorted(self.changed):
            out.append((entry, self._value(entry)))
        for rule, keys in sorted(self.changed_keys.items()):
            seen = self.seen.get(rule, {})
            prefix = f"d|{rule}|"
            for key in sorted(keys):
                out.append((prefix + key, _seen_json(seen.get(key))))
        self.changed.clear()
        self.changed_keys.clear()
        return out

    def _value(self, entry: str) -> dict[str, Any] | None:
        if entry == WM_ENTRY:
            starts = [[offset, wm] for offset, wm in self.batch_starts.items()]
            return {"watermark": self.watermark, "offset": self.offset, "batch_starts": starts}
        kind, _, rest = entry.partition("|")
        if kind == "w":
            tally = self.windows.get(int(rest))
            return None if tally is None else tally.to_json()
        return {"values": self.history.get(rest, [])}  # "h|<rule>"

    @classmethod
    def from_changelog(cls, plan: StatsPlan, entries: Iterable[Entry]) -> QualityState:
        """Restore from entries in log order: the last value per entry wins, None deletes."""
        latest: dict[str, dict[str, Any] | None] = {}
        for entry, value in entries:
            latest[entry] = value
        state = cls(plan)
        remembered: dict[str, list[tuple[Seen, str]]] = {}
        for entry, value in latest.items():
            if value is None:
                continue
            kind, _, rest = entry.partition("|")
            if entry == WM_ENTRY:
                state.watermark, state.offset = value["watermark"], int(value["offset"])
                state.batch_starts = {int(o): wm for o, wm in value.get("batch_starts", [])}
            elif kind == "w":
                state.windows[int(rest)] = WindowTally.from_json(plan, value)
            elif kind == "h":
                state.history[rest] = [float(v) for v in value["values"]]
            elif kind == "d":
                rule, _, key = rest.partition("|")
                earlier = tuple((int(w), int(o)) for w, o in value["earlier"])
                seen = Seen(int(value["wm"]), int(value["offset"]), earlier)
                remembered.setdefault(rule, []).append((seen, key))
            else:
                raise ValueError(f"unknown quality changelog entry {entry!r}")
        for rule, items in remembered.items():
            items.sort(key=lambda item: (item[0].wm, item[0].offset))
            state.seen[rule] = {key: seen for seen, key in items}
        return state


def _seen_json(seen: Seen | None) -> dict[str, Any] | None:
    if seen is None:
        return None
    return {"wm": seen.wm, "offset": seen.offset, "earlier": [list(r) for r in seen.earlier]}


def _needed(
    registrations: tuple[tuple[int, int], ...], horizon: int | None
) -> tuple[tuple[int, int], ...]:
    """The registrations a re-read from offset ``horizon`` on may consult: those at or
    after it, and the last one before it (in force when the re-read starts)."""
    if horizon is None:
        return ()
    before = [i for i, (_, offset) in enumerate(registrations) if offset < horizon]
    return registrations[before[-1] if before else 0 :]
