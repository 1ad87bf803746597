"""The `windows` section: event-time windows over the records that passed the steps.

Aggregations accept a short form (`views: count`, `seconds: {sum: duration_s}`) that is
normalised here into AggregateSpec, so the window engine sees one shape only.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from stream_engine.spec.base import SpecModel
from stream_engine.spec.durations import Duration
from stream_engine.spec.errors import spec_error
from stream_engine.spec.fieldtypes import DurationValue, FieldName, Integer, Name, TopicName
from stream_engine.spec.table_sinks import DatabaseSinkSpec

FUNCTIONS = (
    "count",
    "sum",
    "min",
    "max",
    "mean",
    "first",
    "last",
    "count_distinct",
    "collect",
    "custom",
)
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class AggregateSpec(SpecModel):
    """One output field of a window: a function over a record field."""

    function: Literal[
        "count", "sum", "min", "max", "mean", "first", "last", "count_distinct", "collect", "custom"
    ]
    field: FieldName | None = None
    max_items: Integer | None = Field(None, ge=1, le=100_000)
    path: str | None = None  # custom aggregators: "package.module:Name"

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: Any) -> Any:
        if isinstance(data, str):
            if data == "count":
                return {"function": "count"}
            raise spec_error(
                f"expected count, or a mapping such as {{sum: field}}; got {data!r} "
                f"(functions: {', '.join(FUNCTIONS)})"
            )
        if not isinstance(data, dict):
            raise spec_error("expected count or a mapping such as {sum: field}")
        named = [k for k in data if k in FUNCTIONS]
        if len(named) != 1:
            raise spec_error(
                f"expected exactly one function among {', '.join(FUNCTIONS)}, "
                f"got: {', '.join(map(str, data)) or 'nothing'}"
            )
        function = named[0]
        rest = {k: v for k, v in data.items() if k != function}
        target = data[function]
        if function == "custom":
            return {"function": "custom", "path": target, **rest}
        return {"function": function, "field": target, **rest}

    @model_validator(mode="after")
    def _consistent(self) -> AggregateSpec:
        if self.function not in ("count", "custom") and self.field is None:
            raise spec_error(f"{self.function} needs a field, e.g. {{{self.function}: amount}}")
        if self.max_items is not None and self.function != "collect":
            raise spec_error("max_items is only used with collect")
        if self.function == "collect" and self.max_items is None:
            raise spec_error("collect needs max_items (a bound on the list kept per window)")
        if self.function == "custom":
            if not self.path or not _IMPORT_PATH.match(self.path):
                raise spec_error("custom needs an import path such as mypkg.aggs:P95")
        elif self.path is not None:
            raise spec_error("path is only used with custom")
        return self


class LateTopic(SpecModel):
    topic: TopicName


class WindowSinkSpec(SpecModel):
    """The result topic; compacted, keyed by window key + window start."""

    topic: TopicName
    format: Literal["json"] = "json"
    partitions: Integer | None = Field(None, ge=1)
    replication: Integer | None = Field(None, ge=1)
    table: DatabaseSinkSpec | None = None  # also upsert the results into a database table

    @field_validator("table", mode="before")
    @classmethod
    def _upsert_by_window(cls, value: Any) -> Any:
        # Results are upserted by key + window start, so a re-emission overwrites itself.
        if isinstance(value, dict) and "mode" not in value and "key" not in value:
            return {**value, "mode": "upsert", "key": ["key", "window_start"]}
        return value

    @field_validator("table")
    @classmethod
    def _table_mode(cls, value: DatabaseSinkSpec | None) -> DatabaseSinkSpec | None:
        if value is not None and value.mode not in ("upsert", "append"):
            raise spec_error(
                f"window results are written with mode upsert or append, not {value.mode}"
            )
        return value


class WindowSpec(SpecModel):
    type: Literal["tumbling", "hopping", "sliding", "session"]
    source: Name | None = None  # which source feeds it; needed with several sources
    size: DurationValue | None = None
    advance: DurationValue | None = None
    difference: DurationValue | None = None
    gap: DurationValue | None = None
    grace: DurationValue = Duration(0)
    key: FieldName
    aggregate: dict[FieldName, AggregateSpec]
    emit: Literal["final", "update"] = "final"
    late: Literal["dead_letter"] | LateTopic = "dead_letter"
    idle_timeout: DurationValue | None = None
    sink: WindowSinkSpec

    @field_validator("aggregate")
    @classmethod
    def _some(cls, value: dict[str, AggregateSpec]) -> dict[str, AggregateSpec]:
        if not value:
            raise spec_error("expected at least one aggregation, e.g. {views: count}")
        reserved = {"key", "window_start", "window_end", "window_start_iso", "window_end_iso"}
        clash = sorted(reserved.intersection(value) | ({"count", "seq"} & set(value)))
        if clash:
            names = ", ".join(clash)
            verb = "is a reserved name" if len(clash) == 1 else "are reserved names"
            raise spec_error(f"{names} {verb} in window results")
        return value

    @model_validator(mode="after")
    def _shape(self) -> WindowSpec:
        needs = {
            "tumbling": ("size",),
            "hopping": ("size", "advance"),
            "sliding": ("difference",),
            "session": ("gap",),
        }[self.type]
        for name in ("size", "advance", "difference", "gap"):
            value = getattr(self, name)
            if name in needs and (value is None or value.ms <= 0):
                raise spec_error(f"a {self.type} window needs {name} (a duration such as 5m)")
            if name not in needs and value is not None:
                raise spec_error(f"{name} is not used by a {self.type} window")
        if self.type == "hopping" and self.advance and self.size and self.advance > self.size:
            raise spec_error("advance must not be larger than size")
        if self.type == "session" and self.emit == "update" and self.sink.table is not None:
            # A merge replaces sessions by tombstones, which a table would keep as stale rows.
            raise spec_error("sink.table needs emit: final for session windows")
        return self

    def horizon_ms(self) -> int:
        """Largest window span plus grace: the warm-up a replay needs before its start."""
        span = self.size or self.difference or self.gap or Duration(0)
        return span.ms + self.grace.ms


def window_table_sink(window: str) -> str:
    """The name under which a window's `sink.table` is written (and reported)."""
    return f"{window}.table"


def changelog_topic(group_id: str, window: str) -> str:
    """The compacted state topic of one window, partitioned like its source."""
    return f"{group_id}.{window}.changelog"
