"""TableSink: append, upsert on a key, or replace whole partitions, in DuckDB or PostgreSQL.

- append: every row is inserted (not idempotent under redelivery; use it for logs).
- upsert: insert or overwrite by key; the last row of a key in a batch wins, so a window
  result re-emitted after a crash overwrites itself (key: [key, window_start]).
- replace_partition: every partition value the batch carries is deleted, then the batch's
  rows are inserted, in one transaction (for batch loads that deliver a partition whole).

The table is created on the first write from the records' types; later batches may add
nullable columns; a type change or a missing NOT NULL column is refused (SinkSchemaError).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from connectors.base import BufferedSink, Rejection, SinkRow
from connectors.sql.database import Database, quote
from connectors.sql.types import Column, plan_columns

Mode = Literal["append", "upsert", "replace_partition"]
STAGE = "se_stage"


class TableSink(BufferedSink):
    def __init__(
        self,
        name: str,
        db: Database,
        table: str,
        mode: Mode = "append",
        key: Sequence[str] = (),
        partition_by: str | None = None,
        fields: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.db = db
        self.table = table
        self.mode = mode
        self.key = list(key)
        self.partition_by = partition_by
        self.fields = list(fields) if fields is not None else None

    def flush(self) -> list[Rejection]:
        rows = self._take()
        values, rejected = self.prepare(rows)
        if values:
            self.write(values)
        return rejected

    def prepare(self, rows: list[SinkRow]) -> tuple[list[dict[str, Any]], list[Rejection]]:
        """Project the fields; rows lacking a key or partition value are rejected."""
        needed = [*self.key, *([self.partition_by] if self.partition_by else [])]
        values: list[dict[str, Any]] = []
        rejected: list[Rejection] = []
        for row in rows:
            value = (
                row.values
                if self.fields is None
                else {f: row.values.get(f) for f in [*needed, *self.fields]}
            )
            missing = [f for f in needed if value.get(f) is None]
            if missing:
                rejected.append(
                    Rejection(
                        row, "sink_error", f"sink {self.name}: {missing[0]!r} is missing or null"
                    )
                )
                continue
            values.append(value)
        if self.mode == "upsert":  # last row per key wins, in arrival order
            values = list({tuple(v[k] for k in self.key): v for v in values}.values())
        return values, rejected

    def write(self, values: list[dict[str, Any]]) -> None:
        db = self.db
        with db.transaction():
            columns = self.ensure_table(values)
            db.stage(STAGE, columns, values)
            names = ", ".join(quote(c.name) for c in columns)
            insert = f"INSERT INTO {quote(self.table)} ({names}) SELECT {names} FROM {STAGE}"
            if self.mode == "upsert":
                others = [c.name for c in columns if c.name not in self.key]
                keys = ", ".join(quote(k) for k in self.key)
                if others:
                    sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in others)
                    insert += f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"
                else:
                    insert += f" ON CONFLICT ({keys}) DO NOTHING"
            elif self.mode == "replace_partition":
                part = quote(str(self.partition_by))
                db.execute(
                    f"DELETE FROM {quote(self.table)} WHERE {part} IN "
                    f"(SELECT DISTINCT {part} FROM {STAGE})"
                )
            db.execute(insert)

    def ensure_table(self, values: list[dict[str, Any]]) -> list[Column]:
        """Create the table or add the batch's new columns; returns the columns written."""
        existing = self.db.columns(self.table)
        written, added = plan_columns(self.table, existing, values)
        if not existing:
            self.create_table(written)
        else:
            self.add_columns(added)
        return written

    def create_table(self, columns: list[Column]) -> None:
        defs = [
            f"{quote(c.name)} {self.db.type_of(c.kind)}"
            + (" NOT NULL" if c.name in self.key else "")
            for c in columns
        ]
        if self.mode == "upsert":
            defs.append(f"PRIMARY KEY ({', '.join(quote(k) for k in self.key)})")
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {quote(self.table)} ({', '.join(defs)})")

    def add_columns(self, added: list[Column]) -> None:
        for column in added:
            self.db.execute(
                f"ALTER TABLE {quote(self.table)} ADD COLUMN {quote(column.name)} "
                f"{self.db.type_of(column.kind)}"
            )

    def close(self) -> None:
        self.db.close()
