"""Constrained value types of the pipeline file, each with a message that says what is allowed.

Regex constraints would surface as pydantic's "should match pattern ..." text; these
validators name the rule in words instead.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, PlainValidator

from stream_engine.spec.durations import Duration, parse_duration
from stream_engine.spec.errors import Issue, describe_value, issues_error, spec_error

_PIPELINE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,99}")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
_TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")
_TABLE_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}")


def _pipeline_name(value: str) -> str:
    if not _PIPELINE_NAME.fullmatch(value):
        raise spec_error(
            f"invalid pipeline name {value!r}: use lowercase letters, digits, '-', '_' and '.', "
            "starting with a letter or digit, at most 100 characters"
        )
    return value


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise spec_error(
            f"invalid name {value!r}: use lowercase letters, digits and '_', "
            "not starting with a digit, at most 100 characters"
        )
    return value


def _field_name(value: str) -> str:
    if not _FIELD_NAME.fullmatch(value):
        raise spec_error(
            f"invalid field name {value!r}: use letters, digits and '_', not starting with a digit"
        )
    return value


def _topic_name(value: str) -> str:
    if not _TOPIC_NAME.fullmatch(value) or value in (".", ".."):
        raise spec_error(
            f"invalid topic name {value!r}: use 1 to 249 characters from a-z, A-Z, 0-9, "
            "'.', '_' and '-' (not '.' or '..')"
        )
    return value


def _table_name(value: str) -> str:
    if not _TABLE_NAME.fullmatch(value):
        raise spec_error(
            f"invalid table name {value!r}: use letters, digits and '_' (optionally schema.table)"
        )
    return value


def _expression(value: str) -> str:
    if not value.strip():
        raise spec_error("expected an expression, got an empty string")
    return value


def _not_bool(value: Any) -> Any:
    # pydantic would turn `true` into 1; in a config file that is always a mistake.
    if isinstance(value, bool):
        raise spec_error(f"expected an integer, got {describe_value(value)}")
    return value


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if value == 0 and type(value) is int:  # "0" needs no unit, written plain or quoted
        return Duration(0)
    if isinstance(value, str):
        try:
            return Duration(parse_duration(value))
        except ValueError as exc:
            raise spec_error(str(exc)) from None
    raise spec_error(
        "expected a duration with a unit such as 500ms, 30s, 5m, 2h or 7d, "
        f"got {describe_value(value)}"
    )


def _positive_duration(value: Duration) -> Duration:
    if value.ms == 0:
        raise spec_error("expected a duration longer than 0")
    return value


def _field_list(names: list[str]) -> list[str]:
    if not names:
        raise spec_error("expected at least one field (leave the key out to keep every field)")
    seen: set[str] = set()
    issues = []
    for i, name in enumerate(names):
        if name in seen:
            issues.append(Issue((i,), f"field {name!r} is listed twice"))
        seen.add(name)
    if issues:
        raise issues_error(issues)
    return names


PipelineName = Annotated[str, AfterValidator(_pipeline_name)]
"""The pipeline's name; it becomes part of topic, group and metric names."""

Name = Annotated[str, AfterValidator(_name)]
"""A source, reference table or sink name: lowercase identifier."""

FieldName = Annotated[str, AfterValidator(_field_name)]
"""A record field as expressions can reference it: an identifier (case kept)."""

FieldList = Annotated[list[FieldName], AfterValidator(_field_list)]
"""A projection: at least one field (omit the key to keep every field), none listed twice."""

TopicName = Annotated[str, AfterValidator(_topic_name)]
"""A name Kafka accepts for a topic."""

TableName = Annotated[str, AfterValidator(_table_name)]
"""A database table, `table` or `schema.table`, safe to quote in SQL."""

Expression = Annotated[str, AfterValidator(_expression)]
"""Source text of a filter or map expression; compiled later by the expression language."""

Integer = Annotated[int, BeforeValidator(_not_bool)]
"""An integer that refuses booleans but accepts digit strings (from ${VAR} expansion)."""

DurationValue = Annotated[
    Duration,
    PlainValidator(_duration, json_schema_input_type=str),
    PlainSerializer(str, return_type=str),
]
"""A duration written with a unit; dumps back to the same text form."""

PositiveDuration = Annotated[DurationValue, AfterValidator(_positive_duration)]
"""A duration that must be longer than 0 (a retention, a timeout, a window length)."""
