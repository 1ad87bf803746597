"""Write a batch's table rows (DuckDB, PostgreSQL, Parquet) before its offsets are committed.

The runner calls `write` between queueing a batch's topic outputs and flushing them, so
database writes overlap the broker's acknowledgements; the offsets are committed only
after both. A sink that raises SinkUnavailableError is retried with exponential backoff
for its `retry_for`; past that the error propagates and the worker stops without
committing, so the batch is read again (and written idempotently) once the database is back.
Dimension sinks are written before fact sinks, so facts of a batch find their members.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from connectors.base import Rejection, Sink, SinkRow, SinkSchemaError, SinkUnavailableError
from connectors.parquet_sink import ParquetSink
from connectors.sql.database import Database, DuckDBDatabase, PostgresDatabase
from connectors.sql.fact_sink import DimensionRef, FactSink
from connectors.sql.scd2_sink import Scd2Sink
from connectors.sql.table_sink import TableSink
from stream_engine.dlq import DeadLetter
from stream_engine.spec import PipelineSpec
from stream_engine.spec.table_sinks import DatabaseSinkSpec, TableSinkSpec
from stream_engine.spec.windows import window_table_sink
from stream_engine.topology.batch import dead_letter_for
from stream_engine.topology.result import BatchResult, TableRow

log = logging.getLogger(__name__)

MAX_DELAY_S = 8.0
_ORDER = {"scd2": 0, "upsert": 1, "replace_partition": 1, "append": 1, "fact": 2}


class DeadLetterOut(Protocol):
    def send_dead_letters(self, letters: list[DeadLetter]) -> None: ...


@dataclass
class _Target:
    sink: Sink
    retry_for_s: float
    rank: int


def build_sink(name: str, spec: TableSinkSpec) -> Sink:
    """The connector for one `sinks` entry with a `type`."""
    if not isinstance(spec, DatabaseSinkSpec):
        return ParquetSink(name, spec.path, spec.partition_by, spec.fields)
    db: Database
    if spec.type == "postgres":
        assert spec.dsn is not None
        db = PostgresDatabase(spec.dsn.get_secret_value())
    else:
        assert spec.path is not None
        db = DuckDBDatabase(spec.path)
    if spec.mode == "scd2":
        return Scd2Sink(
            name,
            db,
            spec.table,
            spec.key or [],
            spec.tracked or [],
            spec.surrogate_key,
            spec.effective_from,
            spec.fields,
        )
    mode = "append" if spec.mode == "fact" else spec.mode
    if spec.mode == "fact" and spec.key:
        mode = "upsert"  # a fact with a key (order_id) is idempotent under redelivery
    fields = spec.fields
    if spec.mode == "fact" and fields is not None:  # the resolved keys are columns too
        fields = [*fields, *(spec.dimensions or {}), *(spec.date_keys or {})]
    table = TableSink(name, db, spec.table, mode, spec.key or [], spec.partition_by, fields)
    if spec.mode != "fact":
        return table
    dims = [
        DimensionRef(column, d.table, d.key, d.on or d.key, d.surrogate_key)
        for column, d in (spec.dimensions or {}).items()
    ]
    return FactSink(table, dims, spec.date_keys, spec.event_time, spec.missing, spec.unknown_key)


class TableDelivery:
    def __init__(
        self, targets: dict[str, _Target], sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._targets = dict(sorted(targets.items(), key=lambda item: item[1].rank))
        self._sleep = sleep

    @classmethod
    def from_spec(cls, spec: PipelineSpec) -> TableDelivery | None:
        """None when the pipeline has no table or file sinks."""
        targets = {}
        for name, sink in spec.table_sinks.items():
            if isinstance(sink, DatabaseSinkSpec):
                target = _Target(
                    build_sink(name, sink), sink.retry_for.ms / 1000, _ORDER[sink.mode]
                )
            else:
                target = _Target(build_sink(name, sink), 0.0, 1)
            targets[name] = target
        for window_name, window in spec.windows.items():
            table = window.sink.table
            if table is not None:
                name = window_table_sink(window_name)
                targets[name] = _Target(build_sink(name, table), table.retry_for.ms / 1000, 1)
        return cls(targets) if targets else None

    def deliver(self, results: list[BatchResult], dead_letters: DeadLetterOut) -> None:
        """Write the rows; rejected rows become dead letters (stage sink) in the counters."""
        letters = []
        for row, rejection in self.write(results):
            if row.origin is None:
                raise SinkSchemaError(f"sink {row.sink} rejected a row: {rejection.message}")
            letters.append(
                dead_letter_for(
                    row.origin, reason=rejection.reason, stage="sink", message=rejection.message
                )
            )
            for result in results:
                if any(r is row for r in result.table_rows):
                    counters = result.counters
                    counters.out[row.sink] -= 1
                    counters.passed -= 1
                    counters.dead[("sink", rejection.reason)] += 1
                    break
        if letters:
            log.warning("table sinks rejected %d records; dead-lettered", len(letters))
            dead_letters.send_dead_letters(letters)

    def write(self, results: list[BatchResult]) -> list[tuple[TableRow, Rejection]]:
        """Write every table row durably; returns the rows the sinks rejected."""
        by_sink: dict[str, list[TableRow]] = {}
        for result in results:
            for row in result.table_rows:
                by_sink.setdefault(row.sink, []).append(row)
        rejected: list[tuple[TableRow, Rejection]] = []
        for name, target in self._targets.items():
            rows = by_sink.get(name)
            if not rows:
                continue
            for rejection in self._write(name, target, rows):
                origin = rejection.row.origin
                assert isinstance(origin, TableRow)
                rejected.append((origin, rejection))
        return rejected

    def _write(self, name: str, target: _Target, rows: list[TableRow]) -> list[Rejection]:
        sink_rows = [SinkRow(r.values, r.timestamp_ms, r) for r in rows]
        delay = 0.5
        deadline = time.monotonic() + target.retry_for_s
        while True:
            target.sink.reset()
            target.sink.add(sink_rows)
            try:
                return target.sink.flush()
            except SinkUnavailableError as exc:
                if time.monotonic() + delay > deadline:
                    raise SinkUnavailableError(
                        f"sink {name} still unavailable after {target.retry_for_s:g}s of "
                        f"retries: {exc}"
                    ) from None
                log.warning("sink %s unavailable, retrying in %.1fs: %s", name, delay, exc)
                self._sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)

    def close(self) -> None:
        for target in self._targets.values():
            target.sink.close()
