"""Load the allowed values of a table's referential_integrity checks for an offline run.

A reference is a data file (relative paths are relative to the rules file), a compacted
topic (its live keys, or a field of its latest JSON values), or a database table column
(PostgreSQL URL or DuckDB file). Values are read once per run, as they are now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from connectors import files
from connectors.kafka_reader import read_topic
from stream_engine.errors import ConfigError, DataSourceError
from stream_engine.quality.rules import ReferentialIntegrityCheck, TableRules
from stream_engine.quality.sources.uri import scheme_of
from stream_engine.settings import Settings


def load_references(
    table: TableRules, frame: pd.DataFrame, rules_dir: Path, settings: Settings
) -> dict[str, pd.Series]:
    """Rule id -> the reference's values, shaped like the checked column where they can be."""
    out: dict[str, pd.Series] = {}
    for check in table.checks:
        if isinstance(check, ReferentialIntegrityCheck):
            values = _load(check, rules_dir, settings)
            checked = frame[check.column] if check.column in frame.columns else None
            out[check.rule_id] = _like(values, checked)
    return out


def _load(check: ReferentialIntegrityCheck, rules_dir: Path, settings: Settings) -> pd.Series:
    ref = check.reference
    column = ref.column or check.column
    where = f"rule {check.rule_id}: reference"
    if ref.file is not None:
        path = Path(ref.file)
        frame = files.read_frame(path if path.is_absolute() else rules_dir / path)
        return _column(frame, column, f"{where} file {ref.file}")
    if ref.topic is not None:
        return _topic_values(settings, ref.topic, ref.column, where)
    assert ref.database is not None and ref.table is not None
    return _database_column(ref.database, ref.table, column, rules_dir, where)


def _column(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    if column not in frame.columns:
        raise ConfigError(f"{where} has no column {column!r}")
    return frame[column].dropna()


def _topic_values(settings: Settings, topic: str, field: str | None, where: str) -> pd.Series:
    """The live keys of a compacted topic (a tombstone removes its key), or a value field."""
    latest: dict[bytes, bytes | None] = {}
    for msg in read_topic(settings, topic):
        if msg.key is not None:
            latest[msg.key] = msg.value
    if field is None:
        return pd.Series([k.decode("utf-8", "replace") for k, v in latest.items() if v is not None])
    values: list[Any] = []
    for key, raw in latest.items():
        if raw is None:
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise DataSourceError(
                f"{where} topic {topic}: the value of key {key!r} is not JSON"
            ) from None
        if isinstance(record, dict) and record.get(field) is not None:
            values.append(record[field])
    return pd.Series(values, dtype=object)


def _database_column(
    database: str, table: str, column: str, rules_dir: Path, where: str
) -> pd.Series:
    scheme = scheme_of(database)
    if scheme in ("postgresql", "postgres"):
        from stream_engine.quality.sources.postgres_table import read_postgres_table

        frame = read_postgres_table(database, table).frame
    else:
        from stream_engine.quality.sources.duckdb_table import read_duckdb_table

        path = Path(database.removeprefix("duckdb://"))
        frame = read_duckdb_table(path if path.is_absolute() else rules_dir / path, table).frame
    return _column(frame, column, f"{where} table {table}")


def _like(values: pd.Series, checked: pd.Series | None) -> pd.Series:
    """Topic keys are text: compare them as numbers when the checked column holds numbers."""
    if checked is None or not pd.api.types.is_numeric_dtype(checked.dtype):
        return values
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values
    numbers = pd.to_numeric(values, errors="coerce")
    return pd.concat([values, numbers.dropna()], ignore_index=True)
