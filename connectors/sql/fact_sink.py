"""FactSink: resolve dimension surrogate keys at load time, then write like a TableSink.

For each dimension the fact names, the surrogate key is the one of the version valid at
the fact's event time (effective_date <= t < expiration_date). A member whose first
version starts after t (the dimension row arrived late, its timestamp is after the fact)
resolves to that first version. A member not in the dimension at all is `missing`: the
fact is rejected (`missing_reference`, a dead letter the user can redrive once the
member exists) or gets the configured unknown surrogate key.

Date keys (`date_keys: {date_key: ordered_at}`) become yyyymmdd integers, the key of
`dim_date`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from connectors.base import BufferedSink, Rejection, SinkRow
from connectors.sql.database import quote
from connectors.sql.scd2_sink import EFFECTIVE, EXPIRATION, default_surrogate
from connectors.sql.table_sink import TableSink
from connectors.sql.types import Column, parse_timestamp, to_db

Missing = Literal["dead_letter", "unknown"]


@dataclass(frozen=True)
class DimensionRef:
    """`column` of the fact takes `surrogate` of `table` where `table.key == fact[on]`."""

    column: str
    table: str
    key: str
    on: str
    surrogate: str | None = None

    @property
    def surrogate_column(self) -> str:
        return self.surrogate or default_surrogate(self.table)


class FactSink(BufferedSink):
    def __init__(
        self,
        table_sink: TableSink,
        dimensions: Sequence[DimensionRef],
        date_keys: Mapping[str, str] | None = None,
        event_time: str | None = None,
        missing: Missing = "dead_letter",
        unknown_key: int = -1,
    ) -> None:
        super().__init__()
        self.name = table_sink.name
        self.table_sink = table_sink
        self.db = table_sink.db
        self.dimensions = list(dimensions)
        self.date_keys = dict(date_keys or {})
        self.event_time = event_time
        self.missing = missing
        self.unknown_key = unknown_key

    def close(self) -> None:
        self.table_sink.close()

    def flush(self) -> list[Rejection]:
        rows = self._take()
        rejected: list[Rejection] = []
        timed: list[tuple[SinkRow, Any]] = []
        for row in rows:
            try:
                at = parse_timestamp(
                    row.values.get(self.event_time) if self.event_time else row.timestamp_ms
                )
                dates = {
                    col: int(parse_timestamp(row.values.get(src)).strftime("%Y%m%d"))
                    for col, src in self.date_keys.items()
                }
            except ValueError as exc:
                rejected.append(Rejection(row, "sink_error", f"sink {self.name}: {exc}"))
                continue
            timed.append((SinkRow({**row.values, **dates}, row.timestamp_ms, row.origin), at))
        if not timed:
            return rejected
        resolved: dict[str, list[Any]] = {
            d.column: self._resolve(d, timed) for d in self.dimensions
        }
        keep: list[SinkRow] = []
        for i, (row, _) in enumerate(timed):
            keys = {col: found[i] for col, found in resolved.items()}
            absent = [d for d in self.dimensions if keys[d.column] is None]
            if absent and self.missing == "dead_letter":
                d = absent[0]
                rejected.append(
                    Rejection(
                        row,
                        "missing_reference",
                        f"sink {self.name}: no {d.table} member with {d.key} = "
                        f"{row.values.get(d.on)!r}",
                    )
                )
                continue
            keys = {k: (self.unknown_key if v is None else v) for k, v in keys.items()}
            keep.append(SinkRow({**row.values, **keys}, row.timestamp_ms, row.origin))
        self.table_sink.add(keep)
        return rejected + self.table_sink.flush()

    def _resolve(self, dim: DimensionRef, timed: list[tuple[SinkRow, Any]]) -> list[Any]:
        """The surrogate key per fact (None: no member), in one query."""
        db = self.db
        columns = db.columns(dim.table)
        if dim.key not in columns:
            return [None] * len(timed)
        key_col = Column("k", columns[dim.key].kind)
        staged = [
            {"n": i, "k": row.values.get(dim.on), "t": at} for i, (row, at) in enumerate(timed)
        ]
        for entry in staged:
            entry["k"] = to_db(entry["k"], key_col.kind) if entry["k"] is not None else None
        db.stage("se_fact_keys", [Column("n", "int"), key_col, Column("t", "timestamp")], staged)
        table, sk, key = quote(dim.table), quote(dim.surrogate_column), quote(dim.key)
        found = db.fetch(
            f"SELECT f.n, coalesce("
            f"(SELECT d.{sk} FROM {table} d WHERE d.{key} = f.k "
            f"AND d.{EFFECTIVE} <= f.t AND f.t < d.{EXPIRATION} LIMIT 1), "
            f"(SELECT d.{sk} FROM {table} d WHERE d.{key} = f.k "
            f"ORDER BY d.{EFFECTIVE} LIMIT 1)) FROM se_fact_keys f"
        )
        out: list[Any] = [None] * len(timed)
        for n, value in found:
            out[int(n)] = value
        return out
