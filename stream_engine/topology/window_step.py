"""Feeds the records that passed the steps into a window operator, per partition.

State lives in PartitionState objects, one per (window, partition); where it comes from
is the runtime's business (`restore`): empty in replays and tests, a changelog in the
worker. What the operator returns becomes sink records, dead letters and changelog
entries of the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orjson

from stream_engine.dlq import DeadLetter
from stream_engine.spec import PipelineSpec
from stream_engine.spec.windows import LateTopic, WindowSpec, window_table_sink
from stream_engine.topology.batch import Record, dead_letter_for
from stream_engine.topology.event_time import EventTimeError, event_time_ms
from stream_engine.topology.reference import lookup_key
from stream_engine.topology.result import BatchResult, ChangelogRecord, SinkRecord, TableRow
from stream_engine.topology.working import WorkingSet
from stream_engine.windows import (
    AggregationPlan,
    PartitionState,
    WindowDef,
    WindowInput,
    WindowOperator,
    WindowOutput,
)

Restore = Callable[[str, int], PartitionState]


def empty_state(_window: str, _partition: int) -> PartitionState:
    return PartitionState()


def _window_def(spec: WindowSpec) -> WindowDef:
    def ms(value: object) -> int:
        return int(getattr(value, "ms", 0) or 0)

    return WindowDef(
        spec.type,
        size_ms=ms(spec.size),
        advance_ms=ms(spec.advance),
        difference_ms=ms(spec.difference),
        gap_ms=ms(spec.gap),
        grace_ms=spec.grace.ms,
    )


@dataclass
class WindowStep:
    name: str
    source: str
    key_field: str
    event_time_field: str | None
    operator: WindowOperator
    sink_topic: str
    late_topic: str | None
    changelog_topic: str
    idle_timeout_ms: int | None = None
    table_sink: str | None = None  # a database table also receiving the results

    @classmethod
    def build(cls, spec: PipelineSpec, name: str) -> WindowStep:
        window = spec.windows[name]
        source = spec.window_source(name)
        plan = AggregationPlan(
            {
                out: (
                    agg.function,
                    agg.field,
                    {
                        k: v
                        for k, v in (("max_items", agg.max_items), ("path", agg.path))
                        if v is not None
                    },
                )
                for out, agg in window.aggregate.items()
            }
        )
        return cls(
            name=name,
            source=source,
            key_field=window.key,
            event_time_field=spec.sources[source].event_time,
            operator=WindowOperator(name, _window_def(window), plan, window.emit),
            sink_topic=window.sink.topic,
            late_topic=window.late.topic if isinstance(window.late, LateTopic) else None,
            changelog_topic=spec.changelog_topic(name),
            idle_timeout_ms=window.idle_timeout.ms if window.idle_timeout else None,
            table_sink=window_table_sink(name) if window.sink.table is not None else None,
        )

    def inputs(self, work: WorkingSet) -> list[WindowInput]:
        """Window inputs of the passed records; unusable keys or times become dead letters."""
        items: list[WindowInput] = []
        failures: list[tuple[Record, str]] = []
        field = self.event_time_field
        for rec, value in zip(work.records, work.values, strict=True):
            key = lookup_key(value.get(self.key_field))
            if key is None:
                failures.append((rec, f"window {self.name}: key field {self.key_field!r} is null"))
                continue
            if field is None:
                ts = rec.timestamp_ms
            else:
                try:
                    ts = event_time_ms(value.get(field), field)
                except EventTimeError as exc:
                    failures.append((rec, f"window {self.name}: {exc}"))
                    continue
            items.append(WindowInput(rec.offset, ts, key, value, rec))
        for rec, message in failures:
            work.result.dead_letters.append(_letter(rec, "eval_error", message, self.name))
            work.result.counters.dead[("window", "eval_error")] += 1
        return items

    def apply(self, work: WorkingSet, state: PartitionState, partition: int) -> None:
        output = self.operator.process(state, self.inputs(work))
        self.carry_out(work.result, output, partition)

    def carry_out(self, result: BatchResult, output: WindowOutput, partition: int) -> None:
        counters = result.counters
        for res in output.results:
            value = None if res.tombstone else res.record()
            result.outputs.append(
                SinkRecord(
                    self.name,
                    self.sink_topic,
                    res.kafka_key(),
                    None if value is None else orjson.dumps(value),
                    max(res.start, res.end - 1),
                    (),
                    value,
                    None,
                )
            )
            counters.out[self.name] += 1
            if self.table_sink is not None and value is not None:
                ts = max(res.start, res.end - 1)
                result.table_rows.append(TableRow(self.table_sink, value, ts, None))
        for item, message in output.late:
            rec: Record = item.ref
            counters.late[self.name] += 1
            if self.late_topic is None:
                result.dead_letters.append(_letter(rec, "late", message, self.name))
                counters.dead[("window", "late")] += 1
            else:
                headers = (*rec.headers, ("late.window", self.name.encode()))
                result.outputs.append(
                    SinkRecord(
                        f"{self.name}.late",
                        self.late_topic,
                        rec.key,
                        rec.value,
                        rec.timestamp_ms,
                        headers,
                        None,
                        rec,
                    )
                )
        if output.partly_late:
            counters.partly_late[self.name] += output.partly_late
        for item, message in output.errors:
            result.dead_letters.append(_letter(item.ref, "eval_error", message, self.name))
            counters.dead[("window", "eval_error")] += 1
        for entry, value in output.changelog:
            result.changelog.append(
                ChangelogRecord(
                    self.changelog_topic,
                    partition,
                    entry.encode(),
                    None if value is None else orjson.dumps(value),
                )
            )


def _letter(rec: Record, reason: str, message: str, window: str) -> DeadLetter:
    return dead_letter_for(
        rec, reason=reason, stage="window", message=message, rule=f"windows.{window}"
    )
