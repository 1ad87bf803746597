"""The ``quality`` step: a rules table applied to each partition's batch (docs/quality.md).

Record-level failures leave the working set as dead letters (stage ``quality``, reason
``schema``, ``rule`` or ``duplicate``, ``dlq.rule`` = the rule id); the verdicts of
closed event-time windows go to the quality topic as outputs of the batch, and state
changes to the step's changelog, written after the outputs are acknowledged. Under
``on_error: halt`` an error-severity failure raises QualityHalt before anything is
emitted or changed, so the batch is never committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from connectors import files
from stream_engine.errors import ConfigError, StreamEngineError
from stream_engine.quality.checks.values import Mask
from stream_engine.quality.engine import References
from stream_engine.quality.rules import ReferentialIntegrityCheck, RulesFile, TableRules
from stream_engine.quality.stream import StreamChecker
from stream_engine.quality.stream_state import Entry, QualityState
from stream_engine.spec import PipelineSpec
from stream_engine.spec import QualityStep as QualitySpec
from stream_engine.spec.quality_topics import quality_changelog_topic, quality_topic
from stream_engine.topology.batch import dead_letter_for
from stream_engine.topology.event_time import EventTimeError, event_time_ms
from stream_engine.topology.reference import ReferenceTable
from stream_engine.topology.result import ChangelogRecord, SinkRecord
from stream_engine.topology.working import WorkingSet

ReadChangelog = Callable[[str, int], Iterable[Entry]]
# The sink name of quality results in outputs and counters ("-" keeps it apart from the
# names users give sinks and windows).
QUALITY_SINK = "quality-results"


class QualityHalt(StreamEngineError):
    """An error-severity rule failed under ``on_error: halt``; the batch must not commit."""


class ReferenceTableValues:
    """Membership in a pipeline reference table, as it is now (kept current by the worker)."""

    def __init__(self, table: ReferenceTable) -> None:
        self.table = table

    def contains_many(self, values: pd.Series) -> Mask:
        rows = self.table.lookup_many(values.tolist())
        return np.fromiter((row is not None for row in rows), dtype=bool, count=len(rows))


class QualityStep:
    name = "quality"

    def __init__(
        self,
        path: str,
        spec: PipelineSpec,
        checkers: dict[str, StreamChecker],
        event_time: dict[str, str | None],
    ) -> None:
        self.path = path
        self.pipeline = spec.pipeline
        self.index = int(path.removeprefix("steps[").removesuffix("]"))
        self.checkers = checkers  # by source name
        self.event_time = event_time
        self.topic = quality_topic(spec.pipeline)
        self.changelog_topics = {
            source: quality_changelog_topic(spec.group_id, self.index, source)
            for source in checkers
        }
        self.states: dict[tuple[str, int], QualityState] = {}
        # Set by the live worker; empty state in replays and tests.
        self.read_changelog: ReadChangelog = lambda _topic, _partition: ()

    @classmethod
    def build(
        cls, spec: PipelineSpec, step: QualitySpec, tables: dict[str, ReferenceTable]
    ) -> QualityStep:
        rules: RulesFile = step.loaded_rules()
        checkers: dict[str, StreamChecker] = {}
        for source in spec.sources:
            name = step.table or source
            if name not in rules.tables:
                raise ConfigError(
                    f"no table {name!r} in {step.rules_name} (tables: {', '.join(rules.tables)}); "
                    "name the rules table after the source or set table:"
                )
            table = rules.tables[name]
            try:
                references = _references(spec, table, tables, step.rules_dir)
                checkers[source] = StreamChecker(table, references)
            except ConfigError as exc:
                raise ConfigError(f"{step.rules_name}: tables.{name}: {exc}") from None
        event_time = {name: src.event_time for name, src in spec.sources.items()}
        return cls(step.path, spec, checkers, event_time)

    def state(self, source: str, partition: int) -> QualityState:
        state = self.states.get((source, partition))
        if state is None:
            checker = self.checkers[source]
            entries = self.read_changelog(self.changelog_topics[source], partition)
            state = QualityState.from_changelog(checker.checker.plan, entries)
            self.states[(source, partition)] = state
        return state

    def forget(self, source: str, partitions: set[int]) -> None:
        for key in [k for k in self.states if k[0] == source and k[1] in partitions]:
            del self.states[key]

    def apply(self, work: WorkingSet) -> None:
        source = work.result.source
        checker = self.checkers[source]
        partition = work.records[0].partition
        state = self.state(source, partition)
        frame = self._frame(work, checker.table)
        offsets = np.fromiter((r.offset for r in work.records), dtype=np.int64, count=len(work))
        outcome = checker.process(state, frame, offsets, self._times(work, source))
        if outcome.halt is not None:
            halt = outcome.halt
            rec = work.records[halt.position]
            raise QualityHalt(
                f"quality rule {halt.rule} failed with on_error: halt at "
                f"{rec.topic}[{rec.partition}] offset {rec.offset}: {halt.message}; "
                "the batch is not committed, fix the data or the rules and restart"
            )
        for row in outcome.results:
            record = {"pipeline": self.pipeline, "source": source, "partition": partition}
            record.update(row.to_dict())
            key = f"{source}|{partition}|{row.window_start}|{row.rule}".encode()
            work.result.outputs.append(
                SinkRecord(
                    QUALITY_SINK,
                    self.topic,
                    key,
                    orjson.dumps(record),
                    max(0, (row.window_end or 1) - 1),
                    (),
                    record,
                    None,
                )
            )
            work.result.counters.out[QUALITY_SINK] += 1
        topic = self.changelog_topics[source]
        for entry, value in outcome.changelog:
            work.result.changelog.append(
                ChangelogRecord(
                    topic,
                    partition,
                    entry.encode(),
                    None if value is None else orjson.dumps(value),
                )
            )
        if outcome.dead:
            counters = work.result.counters
            for dead in outcome.dead:
                rec = work.records[dead.position]
                work.result.dead_letters.append(
                    dead_letter_for(
                        rec,
                        reason=dead.reason,
                        stage="quality",
                        message=dead.message,
                        rule=dead.rule,
                    )
                )
                counters.dead[("quality", dead.reason)] += 1
            gone = {dead.position for dead in outcome.dead}
            work.keep_positions(i for i in range(len(work)) if i not in gone)

    def _frame(self, work: WorkingSet, table: TableRules) -> pd.DataFrame:
        n = len(work)
        data = {c: pd.Series(work.column(c), dtype=object) for c in sorted(_columns(table))}
        return pd.DataFrame(data, index=pd.RangeIndex(n))

    def _times(self, work: WorkingSet, source: str) -> np.ndarray:
        field = self.event_time[source]
        out = np.empty(len(work), dtype=np.float64)
        for i, (rec, value) in enumerate(zip(work.records, work.values, strict=True)):
            if field is None:
                out[i] = rec.timestamp_ms
                continue
            try:
                out[i] = event_time_ms(value.get(field), field)
            except EventTimeError:
                out[i] = np.nan  # not counted in windows; a window step dead-letters it
        return out


def _columns(table: TableRules) -> set[str]:
    """Every column a table's rules read."""
    names = {s.column for s in table.schema_}
    for check in table.checks:
        names.update(check.columns)
    return names


def _references(
    spec: PipelineSpec,
    table: TableRules,
    tables: dict[str, ReferenceTable],
    rules_dir: Path | None,
) -> References:
    out: dict[str, Any] = {}
    for check in table.checks:
        if not isinstance(check, ReferentialIntegrityCheck):
            continue
        ref = check.reference
        where = f"rule {check.rule_id}"
        if ref.topic is not None:
            name = next((n for n, r in spec.reference.items() if r.topic == ref.topic), None)
            if name is None:
                raise ConfigError(
                    f"{where}: topic {ref.topic!r} is not a reference table of the pipeline; "
                    "add it under reference: so the worker loads it and keeps it current"
                )
            key = spec.reference[name].key
            if ref.column is not None and ref.column != key:
                raise ConfigError(
                    f"{where}: reference.{name} is keyed by {key or 'the message key'}, "
                    f"not {ref.column!r}"
                )
            out[check.rule_id] = ReferenceTableValues(tables[name])
        elif ref.file is not None:
            path = Path(ref.file)
            if not path.is_absolute() and rules_dir is not None:
                path = rules_dir / path
            try:
                frame = files.read_frame(path)
            except StreamEngineError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            column = ref.column or check.column
            if column not in frame.columns:
                raise ConfigError(f"{where}: reference file {ref.file} has no column {column!r}")
            out[check.rule_id] = set(frame[column].dropna().tolist())
        else:
            raise ConfigError(
                f"{where}: in a stream, a reference is a reference topic of the pipeline or a "
                "file (a database table is read by `stream-engine validate` only)"
            )
    return out
