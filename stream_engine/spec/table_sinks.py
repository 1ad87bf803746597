"""Sinks that write tables and files instead of topics: DuckDB, PostgreSQL and Parquet.

An entry of `sinks` with a `type` key is one of these; without it, a topic sink. DSNs are
SecretStr so a password never reaches a log, a repr or `check`'s output.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    SecretStr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stream_engine.spec.base import SpecModel
from stream_engine.spec.durations import Duration
from stream_engine.spec.errors import Issue, spec_error
from stream_engine.spec.fieldtypes import (
    DurationValue,
    FieldList,
    FieldName,
    Integer,
    Name,
    TableName,
)
from stream_engine.spec.models import SinkSpec

TableMode = Literal["append", "upsert", "replace_partition", "scd2", "fact"]


def _output_path(value: Path, info: ValidationInfo) -> Path:
    """Relative output paths are relative to the pipeline file, like schema paths."""
    context = info.context
    base = context.get("base_dir") if isinstance(context, dict) else None
    return base / value if isinstance(base, Path) and not value.is_absolute() else value


class DimensionSpec(SpecModel):
    """A fact column holding the surrogate key of the dimension member the fact refers to."""

    table: str
    key: FieldName  # the dimension's natural key column
    on: FieldName | None = None  # the fact field holding the natural key (default: key)
    surrogate_key: FieldName | None = None  # default: dim_customer -> customer_sk


class _FileOrTableSink(SpecModel):
    source: Name | None = None  # only records of this source (default: every source)
    fields: FieldList | None = None  # None: every field


class DatabaseSinkSpec(_FileOrTableSink):
    """A DuckDB file or a PostgreSQL table."""

    type: Literal["duckdb", "postgres"]
    path: Path | None = None  # duckdb
    dsn: SecretStr | None = None  # postgres, e.g. ${PG_DSN}
    table: TableName
    mode: TableMode = "append"
    key: list[FieldName] | None = None
    partition_by: FieldName | None = None
    tracked: list[FieldName] | None = None  # scd2
    surrogate_key: FieldName | None = None  # scd2
    effective_from: FieldName | None = None  # scd2: default the record's event time
    dimensions: dict[FieldName, DimensionSpec] | None = None  # fact
    date_keys: dict[FieldName, FieldName] | None = None  # fact: date_key: ordered_at
    event_time: FieldName | None = None  # fact: default the record's event time
    missing: Literal["dead_letter", "unknown"] = "dead_letter"  # fact
    unknown_key: Integer = -1  # fact, with missing: unknown
    retry_for: DurationValue = Duration(30_000)  # keep retrying an unavailable database

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> Any:
        # Entries with another type land here; name parquet too, not only this model's types.
        if value not in ("duckdb", "postgres"):
            raise spec_error(f"expected one of duckdb, postgres, parquet, got {value!r}")
        return value

    @field_validator("key", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("path", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        return _non_empty_path(value)

    @field_validator("path")
    @classmethod
    def _relative_to_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _output_path(value, info)

    @model_validator(mode="after")
    def _complete(self) -> DatabaseSinkSpec:
        if self.type == "duckdb" and self.path is None:
            raise spec_error("a duckdb sink needs path (the database file)")
        if self.type == "postgres" and self.dsn is None:
            raise spec_error("a postgres sink needs dsn (e.g. dsn: ${PG_DSN})")
        if self.type == "duckdb" and self.dsn is not None:
            raise spec_error("dsn is only used by postgres sinks")
        if self.type == "postgres" and self.path is not None:
            raise spec_error("path is only used by duckdb sinks")
        needs = {
            "upsert": ("key",),
            "replace_partition": ("partition_by",),
            "scd2": ("key", "tracked"),
            "fact": ("dimensions",),
        }.get(self.mode, ())
        for name in needs:
            if not getattr(self, name):
                raise spec_error(f"mode {self.mode} needs {name}")
        only = {
            "tracked": "scd2",
            "surrogate_key": "scd2",
            "effective_from": "scd2",
            "dimensions": "fact",
            "date_keys": "fact",
            "event_time": "fact",
        }
        for name, mode in only.items():
            if getattr(self, name) is not None and self.mode != mode:
                raise spec_error(f"{name} is only used with mode {mode}")
        return self


class ParquetSinkSpec(_FileOrTableSink):
    """Parquet files under `path`, one folder per partition (`date=2024-05-01/`)."""

    type: Literal["parquet"]
    path: Path
    partition_by: FieldName | None = "date"

    @field_validator("path", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        return _non_empty_path(value)

    @field_validator("path")
    @classmethod
    def _relative_to_file(cls, value: Path, info: ValidationInfo) -> Path:
        return _output_path(value, info)


def _non_empty_path(value: Any) -> Any:
    # Path("") is "." (the pipeline's folder): a DuckDB file there fails only at run time
    if isinstance(value, str) and not value.strip():
        raise spec_error(f"expected a file or folder path, got {value!r}")
    return value


TableSinkSpec = DatabaseSinkSpec | ParquetSinkSpec


def _sink_kind(item: Any) -> str:
    if isinstance(item, DatabaseSinkSpec):
        return "<database>"
    if isinstance(item, ParquetSinkSpec):
        return "<parquet>"
    if isinstance(item, SinkSpec):
        return "<topic>"
    if isinstance(item, dict) and "type" in item:
        return "<parquet>" if item["type"] == "parquet" else "<database>"
    return "<topic>"


AnySink = Annotated[
    Annotated[SinkSpec, Tag("<topic>")]
    | Annotated[DatabaseSinkSpec, Tag("<database>")]
    | Annotated[ParquetSinkSpec, Tag("<parquet>")],
    Discriminator(_sink_kind),
]
"""One entry of `sinks`: a topic (no `type`), or a duckdb / postgres / parquet sink."""


def table_sink_issues(
    sources: Mapping[str, object], sinks: Mapping[str, TableSinkSpec]
) -> list[Issue]:
    """A table sink's `source` must name a source of the pipeline."""
    issues = []
    for name, sink in sinks.items():
        if sink.source is not None and sink.source not in sources:
            known = ", ".join(sources)
            issues.append(
                Issue(("sinks", name, "source"), f"unknown source {sink.source!r} (known: {known})")
            )
    return issues
