"""ParquetSink: each flush writes one Parquet file per partition, in Hive layout.

`partition_by: date` puts a record under `date=YYYY-MM-DD/` by its event time (UTC);
`partition_by: <field>` uses the field's value (a time field gives its UTC date). Files
are written to a temporary name, fsynced and renamed, so a reader never sees half a file
and a crash leaves none. File names carry the first source offset of the batch when the
rows have one, so a redelivered batch with the same start overwrites its earlier file.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.base import BufferedSink, Rejection, SinkRow, SinkSchemaError, SinkUnavailableError
from connectors.sql.types import parse_timestamp

DATE = "date"


class ParquetSink(BufferedSink):
    def __init__(
        self,
        name: str,
        path: Path,
        partition_by: str | None = DATE,
        fields: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.path = path
        self.partition_by = partition_by
        self.fields = list(fields) if fields is not None else None

    def close(self) -> None:
        self._rows = []

    def flush(self) -> list[Rejection]:
        rows = self._take()
        parts: dict[str, list[dict[str, Any]]] = {}
        rejected: list[Rejection] = []
        first: dict[str, SinkRow] = {}
        for row in rows:
            values = (
                row.values if self.fields is None else {f: row.values.get(f) for f in self.fields}
            )
            try:
                part = self._partition(row)
            except ValueError as exc:
                why = f"sink {self.name}: partition {self.partition_by}: {exc}"
                rejected.append(Rejection(row, "sink_error", why))
                continue
            parts.setdefault(part, []).append(values)
            first.setdefault(part, row)
        for part, batch in parts.items():
            folder = self.path / f"{self.partition_by}={part}" if self.partition_by else self.path
            self._write(folder, _file_name(first[part]), batch)
        return rejected

    def _partition(self, row: SinkRow) -> str:
        if self.partition_by is None:
            return ""
        value = row.values.get(self.partition_by)
        if value is None and self.partition_by == DATE:
            value = row.timestamp_ms
        if value is None:
            raise ValueError("missing or null")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return parse_timestamp(value).date().isoformat()
        if isinstance(value, str) and len(value) > 10 and value[10] in "T ":
            return parse_timestamp(value).date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()[:10]
        return str(value).replace("/", "_")

    def _write(self, folder: Path, name: str, values: list[dict[str, Any]]) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            table = pa.Table.from_pylist(values)
            tmp = folder / f".{name}.tmp"
            pq.write_table(table, tmp)
            with tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, folder / name)
        except OSError as exc:
            raise SinkUnavailableError(f"sink {self.name}: cannot write {folder}: {exc}") from None
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise SinkSchemaError(
                f"sink {self.name}: records do not fit one Parquet table: {exc}"
            ) from None


def _file_name(row: SinkRow) -> str:
    origin = getattr(row.origin, "origin", None) or row.origin  # the runtime wraps the record
    topic = getattr(origin, "topic", None)
    if topic is not None:
        return f"part-{topic}-{origin.partition}-{origin.offset:012d}.parquet"
    return f"part-{uuid.uuid4().hex}.parquet"
