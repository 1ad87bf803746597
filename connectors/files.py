"""Read data files (CSV, JSON Lines, Parquet, Avro containers), one file or a folder of them.

Two views of the same data: the whole dataset as one table (for offline validation, which
checks every row at once) and the records one by one in file order (for replays and for
loading files into a topic). Reads are columnar (pyarrow) wherever a columnar reader exists;
Avro containers are read with fastavro, whose reader yields rows.

A folder is read recursively in sorted path order. Files whose name starts with `.` or `_`
(`_SUCCESS`, `.crc`) are markers, not data, and are skipped; any other file must have a
known extension, so a stray file is an error instead of a silently ignored input.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from connectors import file_rows
from stream_engine.errors import ConfigError, DataSourceError

FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".avro": "avro",
}
"""File extension -> format. `.json` files are read as JSON Lines (one object per line)."""

_READ_ERRORS = (pa.ArrowException, OSError, ValueError, EOFError, KeyError, TypeError, IndexError)
"""What a damaged or malformed file makes pyarrow and fastavro raise."""

_BATCH_ROWS = 8192


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One row of a data file, as a plain dict, with where it came from."""

    value: dict[str, Any]
    partition: int | None
    """The row's partition column value, removed from `value`; None without a partition column."""
    file: Path
    row: int
    """0-based position of the row in its file."""


def file_format(path: Path) -> str:
    """The format of a data file from its extension; an unknown one is a ConfigError."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise ConfigError(f"{path}: unknown data file extension {path.suffix!r} (known: {known})")
    return fmt


def data_files(path: Path | str) -> list[Path]:
    """The files a path names: itself, or every data file under a folder in sorted order."""
    root = Path(path)
    if not root.exists():
        raise ConfigError(f"{root}: no such file or folder")
    if root.is_file():
        file_format(root)
        return [root]
    found = sorted(p for p in root.rglob("*") if p.is_file() and not _is_marker(p, root))
    for p in found:
        file_format(p)
    if not found:
        raise ConfigError(f"{root}: the folder holds no data files")
    return found


def _is_marker(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def read_table(path: Path | str) -> pa.Table:
    """The whole dataset as one Arrow table; a folder's files are concatenated in order.

    A JSON Lines column whose type changes from line to line has no Arrow type: that is a
    DataSourceError here, while `read_frame` loads it as a column of Python objects.
    """
    files = data_files(path)
    tables = []
    for file in files:
        try:
            tables.append(_read_file(file))
        except _NoColumnarForm as exc:
            raise DataSourceError(f"{file}: {exc}") from None
    return _concat(path, tables)


def read_frame(path: Path | str) -> pd.DataFrame:
    """The whole dataset as a pandas DataFrame (pyarrow's default conversion).

    JSON Lines files that Arrow refuses (a field that is a number on one line and a string
    on another) load row-wise into object columns (connectors.file_rows): offline
    validation exists to find exactly such rows.
    """
    files = data_files(path)
    try:
        tables = [_read_file(f) for f in files]
    except _NoColumnarForm:
        frames = [_file_frame(f) for f in files]
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    try:
        frame: pd.DataFrame = _concat(path, tables).to_pandas()
    except UnicodeDecodeError as exc:  # a column name Arrow kept as bytes
        raise DataSourceError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return frame


def iter_records(path: Path | str, *, partition_column: str | None = None) -> Iterator[FileRecord]:
    """Every row in file order, file by file; at most one file is held in memory at a time.

    Values are what the format holds: JSON Lines and Avro rows come as their JSON or Avro
    decoder would give them (ISO strings stay strings), Parquet and CSV through Arrow.
    With `partition_column`, each row's value of that column (a non-negative integer) becomes
    `FileRecord.partition` and leaves the record; a missing or bad value is a DataSourceError.
    """
    for file in data_files(path):
        for row, value in enumerate(_iter_file_values(file)):
            partition = None
            if partition_column is not None:
                partition = _partition(value, partition_column, file, row)
            yield FileRecord(value, partition, file, row)


def iter_values(path: Path | str) -> Iterator[dict[str, Any]]:
    """Every row as a plain dict, in file order."""
    for record in iter_records(path):
        yield record.value


def _partition(value: dict[str, Any], column: str, file: Path, row: int) -> int:
    if column not in value:
        raise DataSourceError(f"{file}: row {row}: no partition column {column!r}")
    part = value.pop(column)
    if isinstance(part, bool) or not isinstance(part, int) or part < 0:
        raise DataSourceError(
            f"{file}: row {row}: partition column {column!r} holds {part!r}, "
            "not a non-negative integer"
        )
    return part


class _NoColumnarForm(Exception):
    """A text file whose columns have no single type each; it loads row-wise instead."""


def _concat(path: Path | str, tables: list[pa.Table]) -> pa.Table:
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except pa.ArrowException as exc:
        raise DataSourceError(
            f"{path}: the files do not share compatible column types: {_one_line(exc)}"
        ) from None


def _file_frame(file: Path) -> pd.DataFrame:
    try:
        frame: pd.DataFrame = _read_file(file).to_pandas()
    except _NoColumnarForm:
        if file_format(file) == "avro":
            return pd.DataFrame.from_records(list(_iter_file_values(file)))
        return file_rows.jsonl_frame(file)
    return frame


def _read_file(file: Path) -> pa.Table:
    fmt = file_format(file)
    try:
        if fmt == "parquet":
            return pq.read_table(file)
        if fmt == "csv":
            return pa_csv.read_csv(file, convert_options=_CSV_CONVERT)
        if fmt == "jsonl":
            return _read_jsonl(file)
        return _read_avro(file)
    except (DataSourceError, _NoColumnarForm):
        raise
    except _READ_ERRORS as exc:
        raise DataSourceError(f"{file}: cannot read {fmt} file: {_one_line(exc)}") from None


def _iter_file_values(file: Path) -> Iterator[dict[str, Any]]:
    fmt = file_format(file)
    if fmt == "jsonl":
        yield from file_rows.jsonl_values(file)
        return
    try:
        if fmt == "avro":
            with file.open("rb") as stream:
                for row in fastavro.reader(stream):
                    yield row if isinstance(row, dict) else {"value": row}
            return
        batches = (
            pq.ParquetFile(file).iter_batches(_BATCH_ROWS)
            if fmt == "parquet"
            else _read_file(file).to_batches(_BATCH_ROWS)
        )
        for batch in batches:
            yield from batch.to_pylist()
    except (DataSourceError, GeneratorExit):
        raise
    except _READ_ERRORS as exc:
        raise DataSourceError(f"{file}: cannot read {fmt} file: {_one_line(exc)}") from None


# An empty CSV cell is a missing value for every column type, strings included, as in
# pandas.read_csv; otherwise a blank string column could never fail a null check.
_CSV_CONVERT = pa_csv.ConvertOptions(strings_can_be_null=True)


def _read_jsonl(file: Path) -> pa.Table:
    try:
        return pa_json.read_json(file)
    except pa.ArrowInvalid as exc:
        message = _one_line(exc)
    # pyarrow's messages carry no line number: a row-wise pass names the bad line, and
    # when every line is a JSON object, the file only lacks one type per column.
    for _ in file_rows.jsonl_values(file):
        pass
    raise _NoColumnarForm(f"a column changes type between lines: {message}")


def _read_avro(file: Path) -> pa.Table:
    with file.open("rb") as stream:
        reader = fastavro.reader(stream)
        rows = list(reader)
    if not rows:
        return pa.table({name: pa.array([], pa.null()) for name in _avro_fields(reader)})
    try:
        return pa.Table.from_pylist(rows)
    except pa.ArrowException as exc:  # a union of several types: no single Arrow type
        raise _NoColumnarForm(f"a column holds several types: {_one_line(exc)}") from None


def _avro_fields(reader: Any) -> list[str]:
    schema = reader.writer_schema
    if isinstance(schema, dict) and schema.get("type") == "record":
        return [str(field["name"]) for field in schema.get("fields", [])]
    return []


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
