"""Sources that read a database table: `sources` entries with `type: postgres`.

Kappa: the worker extracts new rows of the table into `topic` and consumes that topic like
any other JSON source, so the live worker and `replay` see the same records and a replay
never touches the database. An entry without `type` is a Kafka topic source.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, SecretStr, Tag, field_validator, model_validator

from stream_engine.spec.durations import Duration
from stream_engine.spec.errors import spec_error
from stream_engine.spec.fieldtypes import (
    DurationValue,
    FieldName,
    Integer,
    PositiveDuration,
    TableName,
)
from stream_engine.spec.models import SourceSpec

CURSOR_TOPIC = "stream-engine.cursors"
"""Compacted topic of extraction cursors, keyed by `<table>-<topic>`."""


class PostgresSourceSpec(SourceSpec):
    """Rows of a PostgreSQL table, extracted by a (watermark, primary key) cursor into `topic`.

    A SourceSpec itself (topic, key, event_time), so every rule and step that reads sources
    treats it as the JSON topic it fills.
    """

    type: Literal["postgres"]
    dsn: SecretStr  # e.g. ${PG_DSN}; never printed
    table: TableName
    cursor: list[FieldName]  # [watermark column, primary key]
    poll: PositiveDuration = Duration(5_000)  # pause between looks for new rows
    safety_lag: DurationValue = Duration(5_000)  # rows newer than now - lag wait for the next poll
    page_size: Integer = Field(1000, ge=1, le=100_000)

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> Any:
        if value != "postgres":
            raise spec_error(f"expected postgres (or no type for a topic source), got {value!r}")
        return value

    @field_validator("cursor", mode="before")
    @classmethod
    def _two_columns(cls, value: Any) -> Any:
        if not isinstance(value, list) or len(value) != 2:
            raise spec_error(
                f"expected [watermark column, primary key], e.g. [updated_at, id], got {value!r}"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _key_defaults_to_primary_key(cls, data: Any) -> Any:
        # The message key is the primary key unless named: all versions of a row share a
        # partition, in order.
        if isinstance(data, dict) and data.get("key") is None:
            cursor = data.get("cursor")
            if isinstance(cursor, list) and len(cursor) == 2 and isinstance(cursor[1], str):
                return {**data, "key": cursor[1]}
        return data

    @model_validator(mode="after")
    def _json_only(self) -> PostgresSourceSpec:
        if self.format != "json":
            raise spec_error("a postgres source writes its topic as JSON: drop format")
        return self

    @property
    def watermark(self) -> str:
        return self.cursor[0]

    @property
    def primary_key(self) -> str:
        return self.cursor[1]

    @property
    def cursor_name(self) -> str:
        """The cursor's name: the table and the topic it fills (as `extract` names it)."""
        return f"{self.table}-{self.topic}"

    def describe(self) -> str:
        """One line for `check`; the DSN is left out."""
        return (
            f"postgres table {self.table} -> topic {self.topic} (json, created when missing); "
            f"extractor: cursor "
            f"({self.watermark}, {self.primary_key}), poll {self.poll}, safety lag "
            f"{self.safety_lag}, page {self.page_size}"
        )


def _source_kind(item: Any) -> str:
    if isinstance(item, PostgresSourceSpec):
        return "<postgres>"
    if isinstance(item, dict) and "type" in item:
        return "<postgres>"
    return "<topic>"


AnySource = Annotated[
    Annotated[SourceSpec, Tag("<topic>")] | Annotated[PostgresSourceSpec, Tag("<postgres>")],
    Discriminator(_source_kind),
]
"""One entry of `sources`: a topic (no `type`), or a table extracted into a topic."""


def database_sources(sources: dict[str, SourceSpec]) -> dict[str, PostgresSourceSpec]:
    """The sources the worker extracts from a database."""
    return {n: s for n, s in sources.items() if isinstance(s, PostgresSourceSpec)}
