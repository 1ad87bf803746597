"""Replay outputs as tables: one JSONL (or Parquet) file per sink, or DuckDB tables.

A row is the decoded output record (a sink record's projected fields, a window result,
or the row a table/file sink of the pipeline would have written).
Records without a decoded form (late records sent to a late topic, session tombstones)
become `{"_key": ..., "_value": ...}` rows; dead letters go to `dead_letters` with the
envelope's fields. The DuckDB target writes JSONL first and loads each file as a table,
so both targets share one row format.
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from stream_engine.dlq import DeadLetter
from stream_engine.errors import ConfigError, StreamEngineError
from stream_engine.topology import SinkRecord
from stream_engine.topology.result import TableRow

DEAD_LETTERS = "dead_letters"
_TABLE_NAME = re.compile(r"[^A-Za-z0-9_]")


def _text(data: bytes | None) -> str | None:
    """UTF-8 text as is; other bytes as `base64:<...>` so nothing is lost."""
    if data is None:
        return None
    try:
        return data.decode()
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode()


def _default(value: Any) -> Any:
    if isinstance(value, bytes):
        return _text(value)
    return str(value)


def output_row(out: SinkRecord) -> dict[str, Any]:
    if out.record is not None:
        return out.record
    return {"_key": _text(out.key), "_value": _text(out.value)}


def dead_letter_row(letter: DeadLetter) -> dict[str, Any]:
    return {
        "reason": letter.reason,
        "stage": letter.stage,
        "message": letter.message,
        "rule": letter.rule,
        "source_topic": letter.topic,
        "source_partition": letter.partition,
        "source_offset": letter.offset,
        "timestamp_ms": letter.timestamp_ms,
        "key": _text(letter.key),
        "value": _text(letter.value),
    }


def table_name(sink: str) -> str:
    return _TABLE_NAME.sub("_", sink)


class FilesTarget:
    """`files:DIR`: DIR/<sink>.jsonl (or .parquet) per sink and DIR/dead_letters.jsonl."""

    def __init__(self, directory: Path, fmt: Literal["jsonl", "parquet"] = "jsonl") -> None:
        if directory.exists() and not directory.is_dir():
            raise ConfigError(f"--output files:{directory}: {directory} is a file, not a folder")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StreamEngineError(
                f"--output files:{directory}: cannot make the folder {directory}: "
                f"{exc.strerror or exc}"
            ) from None
        self.directory, self.fmt = directory, fmt
        self._files: dict[str, IO[bytes]] = {}
        self._rows: dict[str, list[dict[str, Any]]] = {}

    def _add(self, table: str, rows: list[dict[str, Any]]) -> None:
        if self.fmt == "parquet":
            self._rows.setdefault(table, []).extend(rows)
            return
        handle = self._files.get(table)
        if handle is None:
            handle = self._files[table] = (self.directory / f"{table}.jsonl").open("wb")
        opts = orjson.OPT_APPEND_NEWLINE
        handle.write(b"".join(orjson.dumps(r, default=_default, option=opts) for r in rows))

    def write(
        self,
        source: str,
        outputs: list[SinkRecord],
        letters: list[DeadLetter],
        rows: Sequence[TableRow] = (),
    ) -> None:
        by_sink: dict[str, list[dict[str, Any]]] = {}
        for out in outputs:
            by_sink.setdefault(table_name(out.sink), []).append(output_row(out))
        for row in rows:  # table and file sinks of the pipeline: their rows as they are
            by_sink.setdefault(table_name(row.sink), []).append(row.values)
        for table, values in by_sink.items():
            self._add(table, values)
        if letters:
            self._add(DEAD_LETTERS, [dead_letter_row(letter) for letter in letters])

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            for table, rows in self._rows.items():
                # struct inference unions the keys of every row, not just the first one's
                cleaned = orjson.loads(orjson.dumps(rows, default=_default))
                data = pa.Table.from_struct_array(pa.array(cleaned))
                pq.write_table(data, self.directory / f"{table}.parquet")

    def tables(self) -> list[str]:
        return sorted({*self._files, *self._rows})

    def destinations(self) -> dict[str, str]:
        return {t: str(self.directory / f"{t}.{self.fmt}") for t in self.tables()}

    def refused(self) -> Counter[str]:
        return Counter()


class DuckDBTarget:
    """`duckdb:PATH`: one table per sink plus `dead_letters`, replaced on every run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._staging = Path(tempfile.mkdtemp(prefix="stream-engine-replay-"))
        self._files = FilesTarget(self._staging)

    def write(
        self,
        source: str,
        outputs: list[SinkRecord],
        letters: list[DeadLetter],
        rows: Sequence[TableRow] = (),
    ) -> None:
        self._files.write(source, outputs, letters, rows)

    def close(self) -> None:
        import duckdb

        self._files.close()
        try:
            with duckdb.connect(str(self.path)) as con:
                for table in self._files.tables():
                    src = str(self._staging / f"{table}.jsonl")
                    con.execute(
                        f'CREATE OR REPLACE TABLE "{table}" AS '
                        "SELECT * FROM read_json_auto(?, format='newline_delimited')",
                        [src],
                    )
        except duckdb.Error as exc:
            raise StreamEngineError(f"cannot write DuckDB file {self.path}: {exc}") from None
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)

    def destinations(self) -> dict[str, str]:
        return {t: f"duckdb:{self.path}#{t}" for t in self._files.tables()}

    def refused(self) -> Counter[str]:
        return Counter()
