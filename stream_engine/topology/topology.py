"""Topology.build(spec) and Topology.process(batch): the single path both runtimes share."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from stream_engine.errors import ConfigError, StreamEngineError
from stream_engine.expr import Expression, parse
from stream_engine.serde import Decoder, EncodeError, Encoder, decode_batch, encode_key
from stream_engine.serde import make_decoder as _make_decoder
from stream_engine.serde import make_encoder as _make_encoder
from stream_engine.spec import EnrichStep as EnrichSpec
from stream_engine.spec import FilterStep as FilterSpec
from stream_engine.spec import MapStep as MapSpec
from stream_engine.spec import PipelineSpec, ReferenceSpec, SinkSpec, SourceSpec
from stream_engine.spec import QualityStep as QualitySpec
from stream_engine.topology.batch import MicroBatch, Record
from stream_engine.topology.event_time import EventTimeError, event_time_ms
from stream_engine.topology.quality_step import QualityStep
from stream_engine.topology.reference import ReferenceTable
from stream_engine.topology.result import BatchResult, SinkRecord, TableRow
from stream_engine.topology.steps import EnrichStep, FilterStep, MapStep, Step
from stream_engine.topology.window_step import Restore, WindowStep, empty_state
from stream_engine.topology.working import WorkingSet
from stream_engine.windows import PartitionState


@dataclass(frozen=True)
class SinkPlan:
    name: str
    topic: str
    key_field: str | None
    fields: list[str] | None
    encoder: Encoder


@dataclass(frozen=True)
class TableSinkPlan:
    """A table or file sink: records go to `BatchResult.table_rows`, the runtime writes them."""

    name: str
    source: str | None  # None: records of every source


def make_decoder(spec: SourceSpec | ReferenceSpec) -> Decoder:
    return _make_decoder(
        spec.format,
        schema=spec.schema_file,
        schema_dir=spec.schema_dir,
        wire_format=spec.wire_format,
    )


def _compile(source: str, where: str) -> Expression:
    try:
        return parse(source)
    except StreamEngineError as exc:
        raise ConfigError(f"{where}: {exc}") from None


class Topology:
    """Decode -> steps -> sinks for every source; failures come back as dead letters."""

    def __init__(
        self,
        spec: PipelineSpec,
        decoders: dict[str, Decoder],
        tables: dict[str, ReferenceTable],
        steps: list[Step],
        sinks: list[SinkPlan],
        windows: list[WindowStep] | None = None,
        table_sinks: list[TableSinkPlan] | None = None,
    ) -> None:
        self.spec = spec
        self.decoders = decoders
        self.tables = tables
        self.steps = steps
        self.sinks = sinks
        self.windows = windows or []
        self.table_sinks = table_sinks or []
        # Window state per (window, partition); `restore` fills a missing one.
        self.window_states: dict[tuple[str, int], PartitionState] = {}
        self.restore: Restore = empty_state

    def window_state(self, window: str, partition: int) -> PartitionState:
        state = self.window_states.get((window, partition))
        if state is None:
            state = self.restore(window, partition)
            self.window_states[(window, partition)] = state
        return state

    def forget_partitions(self, source_topic: str, partitions: set[int]) -> None:
        """Drop window state of partitions this worker no longer owns (after a rebalance)."""
        names = {w.name for w in self.windows if self.spec.sources[w.source].topic == source_topic}
        for key in [k for k in self.window_states if k[0] in names and k[1] in partitions]:
            del self.window_states[key]
        for name, source in self.spec.sources.items():
            if source.topic == source_topic:
                for quality in self.quality_steps:
                    quality.forget(name, partitions)

    @property
    def quality_steps(self) -> list[QualityStep]:
        return [s for s in self.steps if isinstance(s, QualityStep)]

    @classmethod
    def build(cls, spec: PipelineSpec, origin: str = "pipeline") -> Topology:
        """Compile a validated spec; schema and expression problems are ConfigErrors."""
        decoders = {
            name: _in(origin, f"sources.{name}", lambda s=src: make_decoder(s))
            for name, src in spec.sources.items()
        }
        tables = {
            name: ReferenceTable(
                name, ref.key, _in(origin, f"reference.{name}", lambda r=ref: make_decoder(r))
            )
            for name, ref in spec.reference.items()
        }
        steps: list[Step] = []
        for step in spec.steps:
            where = f"{origin}: {step.path}"
            if isinstance(step, EnrichSpec):
                steps.append(
                    EnrichStep(
                        step.path,
                        tables[step.table],
                        step.on,
                        step.fields,
                        step.missing,
                        step.prefix,
                    )
                )
            elif isinstance(step, FilterSpec):
                steps.append(FilterStep(step.path, _compile(step.expr, f"{where}.filter")))
            elif isinstance(step, MapSpec):
                compiled = {
                    col: _compile(src, f"{where}.map.{col}") for col, src in step.columns.items()
                }
                steps.append(MapStep(step.path, compiled))
            elif isinstance(step, QualitySpec):
                steps.append(
                    _in(
                        origin,
                        f"{step.path}.quality",
                        lambda q=step: QualityStep.build(spec, q, tables),
                    )
                )
        sinks = [
            SinkPlan(
                name,
                sink.topic,
                sink.key,
                sink.fields,
                _in(origin, f"sinks.{name}", lambda s=sink: _sink_encoder(s)),
            )
            for name, sink in spec.topic_sinks.items()
        ]
        table_sinks = [TableSinkPlan(name, sink.source) for name, sink in spec.table_sinks.items()]
        windows = [
            _in(origin, f"windows.{name}", lambda n=name: WindowStep.build(spec, n))
            for name in spec.windows
        ]
        return cls(spec, decoders, tables, steps, sinks, windows, table_sinks)

    def process(self, batch: MicroBatch) -> BatchResult:
        """Run one partition's batch through every step. Never raises for bad records."""
        result = BatchResult(batch.source)
        counters = result.counters
        counters.records_in = len(batch.records)
        timings = result.step_seconds
        began = time.perf_counter()
        values, errors = decode_batch(self.decoders[batch.source], [r.value for r in batch.records])
        work = WorkingSet(list(batch.records), values, result)  # type: ignore[arg-type]
        if errors:
            for reason in ("decode", "schema"):
                picked = {p: str(e) for p, e in errors.items() if e.reason == reason}
                if picked:
                    work.dead_letter(picked, reason=reason, stage="decode")
        now = time.perf_counter()
        timings["decode"] = now - began
        for step in self.steps:
            if not len(work):
                break
            step.apply(work)
            later = time.perf_counter()
            timings[step.name] = timings.get(step.name, 0.0) + later - now
            now = later
        self._emit(work)
        later = time.perf_counter()
        timings["sink"] = later - now
        counters.passed = len(work)
        partition = batch.records[0].partition if batch.records else 0
        for window in self.windows:
            if window.source == batch.source and len(work):
                window.apply(work, self.window_state(window.name, partition), partition)
        if self.windows:
            timings["window"] = time.perf_counter() - later
        return result

    def _emit(self, work: WorkingSet) -> None:
        failures: dict[int, str] = {}
        staged: list[SinkRecord] = []
        for pos, (rec, value) in enumerate(zip(work.records, work.values, strict=True)):
            produced: list[SinkRecord] = []
            try:
                for sink in self.sinks:
                    out = value if sink.fields is None else {f: value.get(f) for f in sink.fields}
                    key = (
                        rec.key if sink.key_field is None else encode_key(value.get(sink.key_field))
                    )
                    produced.append(
                        SinkRecord(
                            sink.name,
                            sink.topic,
                            key,
                            sink.encoder.encode(out),
                            rec.timestamp_ms,
                            rec.headers,
                            out,
                            rec,
                        )
                    )
            except EncodeError as exc:
                failures[pos] = f"sink {sink.name}: {exc}"
                continue
            staged.extend(produced)
        work.dead_letter(failures, reason="sink_error", stage="sink")
        for record in staged:
            work.result.counters.out[record.sink] += 1
        work.result.outputs.extend(staged)
        self._emit_table_rows(work)

    def _emit_table_rows(self, work: WorkingSet) -> None:
        source = work.result.source
        plans = [p for p in self.table_sinks if p.source is None or p.source == source]
        if not plans:
            return
        field = self.spec.sources[source].event_time
        times = [
            _event_time(rec, value, field)
            for rec, value in zip(work.records, work.values, strict=True)
        ]
        for plan in plans:
            rows = [
                TableRow(plan.name, value, ts, rec)
                for rec, value, ts in zip(work.records, work.values, times, strict=True)
            ]
            work.result.table_rows.extend(rows)
            work.result.counters.out[plan.name] += len(rows)

    def advance_watermark(self, window: str, partition: int, watermark: int) -> BatchResult:
        """Move a silent partition's watermark (live idle_timeout only; not reproducible)."""
        step = next(w for w in self.windows if w.name == window)
        result = BatchResult(step.source)
        state = self.window_states.get((window, partition))
        if state is not None:
            output = step.operator.advance_watermark(state, watermark)
            step.carry_out(result, output, partition)
        return result

    def describe(self) -> dict[str, Any]:
        """A plain summary for `check` and logs."""
        spec = self.spec
        return {
            "pipeline": spec.pipeline,
            "version": spec.version,
            "group": spec.group_id,
            "sources": {n: s.topic for n, s in spec.sources.items()},
            "reference": {n: r.topic for n, r in spec.reference.items()},
            "steps": [f"{s.path} {s.name}" for s in self.steps],
            "sinks": {s.name: s.topic for s in self.sinks}
            | {t.name: _table_label(spec.sinks[t.name]) for t in self.table_sinks},
            "windows": {w.name: w.sink_topic for w in self.windows},
            "dead_letter": spec.dead_letter_topic,
        }


def _event_time(rec: Record, value: dict[str, Any], field: str | None) -> int:
    """The source's event-time field when it has one that parses, else the Kafka timestamp.

    Sinks use it for Parquet date partitions and SCD2/fact defaults; a record whose field
    does not parse still reaches the sinks (a window would dead-letter it).
    """
    if field is None:
        return rec.timestamp_ms
    try:
        return event_time_ms(value.get(field), field)
    except EventTimeError:
        return rec.timestamp_ms


def _table_label(sink: Any) -> str:
    """`duckdb:warehouse.duckdb#dim_customer (scd2)`; never the DSN, which may hold a password."""
    if sink.type == "parquet":
        return f"parquet:{sink.path}"
    where = f"duckdb:{sink.path}" if sink.type == "duckdb" else "postgres"
    return f"{where}#{sink.table} ({sink.mode})"


def _sink_encoder(sink: SinkSpec) -> Encoder:
    return _make_encoder(sink.format, schema=sink.schema_file)


def _in(origin: str, where: str, build: Any) -> Any:
    try:
        return build()
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {where}: {exc}") from None
