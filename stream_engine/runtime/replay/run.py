"""The bounded run: feed each partition's range through Topology.process, keep what belongs
to the range, write it to a target, and flush the windows still open at the end.

What is kept (DESIGN.md section 5, "Replay gives the live results when"):
- sink records and dead letters only of records at or after the range's first offset
  (the warm-up before it only feeds the windows);
- window results (and other per-window results, such as quality checks per event-time
  window) only of windows starting at or after the range's start time;
- table and file sink rows like sink records (window rows like window results);
- never window-state changelog entries: replay state lives in memory and is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from stream_engine.dlq import DeadLetter
from stream_engine.runtime.replay.file_targets import table_name
from stream_engine.runtime.replay.plan import PartitionRange
from stream_engine.runtime.replay.summary import ReplaySummary
from stream_engine.runtime.replay.targets import Target
from stream_engine.topology import BatchResult, MicroBatch, Record, SinkRecord, Topology
from stream_engine.topology.result import TableRow

Observer = Callable[[list[SinkRecord], list[DeadLetter], bool], None]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Records of one partition in offset order; `last`: the partition's range ends here."""

    source: str
    part: PartitionRange
    records: list[Record]
    last: bool = False


class ReplayRun:
    def __init__(
        self,
        topology: Topology,
        target: Target,
        summary: ReplaySummary,
        *,
        flush: bool = True,
        progress: Callable[[int], None] | None = None,
        observers: Iterable[Observer] = (),
    ) -> None:
        self.topology = topology
        self.target = target
        self.summary = summary
        self.flush = flush
        self.progress = progress
        self.observers = list(observers)
        self._windows = {w.name for w in topology.windows}
        for window in topology.windows:
            window.operator.changelog = False  # in-memory state: nothing to persist

    def run(self, chunks: Iterable[Chunk]) -> ReplaySummary:
        began = time.perf_counter()
        try:
            for chunk in chunks:
                self._chunk(chunk)
            self.target.close()
        finally:
            self.summary.duration_s = time.perf_counter() - began
        for sink, count in self.target.refused().items():
            self.summary.emitted[sink] -= count
            self.summary.dead_letters["sink_error"] += count
        self.summary.destinations = self._destinations()
        return self.summary

    def _chunk(self, chunk: Chunk) -> None:
        part, records = chunk.part, chunk.records
        if records:
            self.summary.records_read += len(records)
            if records[0].offset < part.begin:
                self.summary.warmup_records += sum(1 for r in records if r.offset < part.begin)
            result = self.topology.process(MicroBatch(chunk.source, records))
            self._keep(result, part, flushed=False)
            if self.progress is not None:
                self.progress(len(records))
        if chunk.last:
            self._close_windows(chunk.source, part)

    def _close_windows(self, source: str, part: PartitionRange) -> None:
        """End of the partition: flush (or just drop) its window state."""
        for window in self.topology.windows:
            if window.source != source:
                continue
            state = self.topology.window_states.pop((window.name, part.partition), None)
            if state is None or not self.flush:
                continue
            result = BatchResult(source)
            window.carry_out(result, window.operator.flush(state), part.partition)
            kept = self._keep(result, part, flushed=True)
            self.summary.flushed_windows += kept

    def _keep(self, result: BatchResult, part: PartitionRange, *, flushed: bool) -> int:
        begin, window_from = part.begin, part.window_from_ms
        outputs: list[SinkRecord] = []
        for out in result.outputs:
            origin = out.origin
            if origin is not None:
                if origin.offset >= begin:
                    outputs.append(out)
            elif window_from is None:
                outputs.append(out)
            elif out.sink in self._windows:
                if window_start(out) >= window_from:
                    outputs.append(out)
            elif out.record is not None and "window_start" in out.record:
                # other per-window results (quality checks per event-time window)
                if (out.record["window_start"] or 0) >= window_from:
                    outputs.append(out)
            else:
                outputs.append(out)
        letters = [d for d in result.dead_letters if d.offset >= begin]
        rows = [row for row in result.table_rows if _row_in_range(row, begin, window_from)]
        if outputs or letters or rows:
            self.summary.emitted.update(o.sink for o in outputs)
            self.summary.emitted.update(row.sink for row in rows)
            self.summary.dead_letters.update(d.reason for d in letters)
            self.target.write(result.source, outputs, letters, rows)
            for observe in self.observers:
                observe(outputs, letters, flushed)
        return len(outputs)

    def _destinations(self) -> dict[str, str]:
        where = self.target.destinations()
        topics = {s.name: s.topic for s in self.topology.sinks}
        topics.update({w.name: w.sink_topic for w in self.topology.windows})
        out = {}
        for sink in self.summary.emitted:
            topic = topics.get(sink, "")
            found = where.get(topic) or where.get(table_name(sink))
            if found:
                out[sink] = found
        dlq = self.topology.spec.dead_letter_topic
        found = where.get(dlq) or where.get("dead_letters")
        if found and self.summary.dead_letters:
            out["dead letters"] = found
        return out


def _row_in_range(row: TableRow, begin: int, window_from: int | None) -> bool:
    """Table and file sink rows: by their record's offset, window rows by window start."""
    if row.origin is not None:
        return row.origin.offset >= begin
    start = row.values.get("window_start")
    return window_from is None or not isinstance(start, int) or start >= window_from


def window_start(out: SinkRecord) -> int:
    """A window result's start, from its deterministic key `<key>|<start>`."""
    key = out.key or b""
    try:
        return int(key.rsplit(b"|", 1)[1])
    except (IndexError, ValueError):
        return 0
