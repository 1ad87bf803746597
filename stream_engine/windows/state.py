"""The window state of one source partition and its changelog form.

Entries (compacted by entry key, value JSON or None = delete):
  ``w|<key>|<start>``  a tumbling/hopping window, open or closed (closed = marker)
  ``k|<key>``          everything of one key for session and sliding windows, so a session
                       merge or a sliding insert is a single atomic write
  ``wm``               watermark and last processed source offset; written last in a call
The heaps are an index rebuilt by the operator, never persisted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

WM_ENTRY = "wm"


@dataclass(slots=True)
class WindowState:
    """One (key, window): aggregation state, records applied, last source offset applied."""

    key: str
    start: int
    end: int  # exclusive
    agg: dict[str, Any]
    count: int = 0
    last_offset: int = -1
    seq: int = 0  # update mode: the record count at the last emission
    closed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "start": self.start,
            "end": self.end,
            "agg": dict(self.agg),  # a copy: the entry may be written after the next call
            "count": self.count,
            "last_offset": self.last_offset,
            "seq": self.seq,
            "closed": self.closed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WindowState:
        return cls(
            key=data["key"],
            start=data["start"],
            end=data["end"],
            agg=dict(data["agg"]),
            count=data["count"],
            last_offset=data["last_offset"],
            seq=data["seq"],
            closed=data["closed"],
        )


@dataclass(slots=True)
class KeyState:
    """Session/sliding state of one key: its open windows, sliding records, last offset.

    ``records`` (sliding only) are ``[ts, offset, projected value]`` in arrival order.
    ``purge_at`` is set once the key holds nothing open; the entry then stays as a marker
    (its ``last_offset`` guards re-processing) until a later call purges it.
    """

    key: str
    last_offset: int = -1
    windows: dict[int, WindowState] = field(default_factory=dict)
    records: list[list[Any]] = field(default_factory=list)
    purge_at: int | None = None

    @property
    def empty(self) -> bool:
        return not self.windows and not self.records

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "last_offset": self.last_offset,
            "windows": [self.windows[s].to_json() for s in sorted(self.windows)],
            "records": [list(r) for r in self.records],
            "purge_at": self.purge_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeyState:
        windows = [WindowState.from_json(w) for w in data["windows"]]
        return cls(
            key=data["key"],
            last_offset=data["last_offset"],
            windows={w.start: w for w in windows},
            records=[list(r) for r in data["records"]],
            purge_at=data["purge_at"],
        )


def window_entry(key: str, start: int) -> str:
    return f"w|{key}|{start}"


def key_entry(key: str) -> str:
    return f"k|{key}"


@dataclass
class PartitionState:
    """Everything about one source partition's windows.

    ``windows``/``markers``: open and closed tumbling/hopping windows by (key, start).
    ``keys``: session and sliding state by key. ``offset``: last source offset processed;
    inputs at or below it were applied before (e.g. before a crash) and are skipped.
    ``source``: the topic those offsets belong to, so a restore can refuse state that was
    written for another topic (offsets of another log would skip records silently).
    """

    watermark: int | None = None
    offset: int | None = None
    source: str | None = None
    windows: dict[tuple[str, int], WindowState] = field(default_factory=dict)
    markers: dict[tuple[str, int], WindowState] = field(default_factory=dict)
    keys: dict[str, KeyState] = field(default_factory=dict)
    # runtime only
    dirty_windows: set[tuple[str, int]] = field(default_factory=set, repr=False)
    dirty_keys: set[str] = field(default_factory=set, repr=False)
    dirty_wm: bool = field(default=False, repr=False)
    close_heap: list[tuple[int, str, int]] = field(default_factory=list, repr=False)
    prune_heap: list[tuple[int, str]] = field(default_factory=list, repr=False)
    purge_heap: list[tuple[int, str, int]] = field(default_factory=list, repr=False)
    indexed: bool = field(default=False, repr=False)

    def open_windows(self) -> Iterator[WindowState]:
        """Every open window, of any kind."""
        yield from self.windows.values()
        for ks in self.keys.values():
            yield from ks.windows.values()

    def to_changelog(self, dirty_only: bool = True) -> list[tuple[str, dict[str, Any] | None]]:
        """Entries to write, ``wm`` last; clears the dirty marks."""
        if dirty_only:
            wins, keys = sorted(self.dirty_windows), sorted(self.dirty_keys)
            with_wm = self.dirty_wm or bool(wins or keys)
        else:
            wins, keys, with_wm = sorted({*self.windows, *self.markers}), sorted(self.keys), True
        entries: list[tuple[str, dict[str, Any] | None]] = []
        for key, start in wins:
            ws = self.windows.get((key, start)) or self.markers.get((key, start))
            entries.append((window_entry(key, start), ws.to_json() if ws else None))
        for key in keys:
            ks = self.keys.get(key)
            entries.append((key_entry(key), ks.to_json() if ks else None))
        if with_wm:
            wm: dict[str, Any] = {"watermark": self.watermark, "offset": self.offset}
            if self.source is not None:
                wm["source"] = self.source
            entries.append((WM_ENTRY, wm))
        self.dirty_windows.clear()
        self.dirty_keys.clear()
        self.dirty_wm = False
        return entries

    @classmethod
    def from_changelog(cls, entries: Iterable[tuple[str, dict[str, Any] | None]]) -> PartitionState:
        """Restore from entries in log order: the last value per entry key wins, None deletes."""
        latest: dict[str, dict[str, Any] | None] = {}
        for entry, value in entries:
            latest[entry] = value
        state = cls()
        for entry, value in latest.items():
            if value is None:
                continue
            if entry == WM_ENTRY:
                state.watermark, state.offset = value["watermark"], value["offset"]
                state.source = value.get("source")
            elif entry.startswith("w|"):
                ws = WindowState.from_json(value)
                (state.markers if ws.closed else state.windows)[(ws.key, ws.start)] = ws
            elif entry.startswith("k|"):
                ks = KeyState.from_json(value)
                state.keys[ks.key] = ks
            else:
                raise ValueError(f"unknown window changelog entry {entry!r}")
        return state
