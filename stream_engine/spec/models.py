"""Models of the pipeline file's sections: topic defaults, worker, sources, tables, sinks.

Rules that involve one section only (avro needs a schema, wire format needs a schema
directory) live here so they report the exact key; rules across sections live in
``references``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from stream_engine.spec.base import SpecModel
from stream_engine.spec.durations import Duration
from stream_engine.spec.errors import spec_error
from stream_engine.spec.fieldtypes import (
    DurationValue,
    FieldList,
    FieldName,
    Integer,
    PositiveDuration,
    TopicName,
)

Format = Literal["json", "avro"]

REGISTRY_FILE = "registry.yaml"
MAX_BATCH_WAIT = Duration(60_000)


def _base_dir(info: ValidationInfo) -> Path | None:
    # The loader passes the pipeline file's directory; models built in code skip file checks.
    context = info.context
    base = context.get("base_dir") if isinstance(context, dict) else None
    return base if isinstance(base, Path) else None


def _existing(value: Path, info: ValidationInfo, *, directory: bool) -> Path:
    base = _base_dir(info)
    if base is None:
        return value
    path = base / value
    if not path.exists():
        raise spec_error(f"{'directory' if directory else 'file'} not found: {path}")
    if directory and not path.is_dir():
        raise spec_error(f"{path} is a file, expected a directory")
    if not directory and not path.is_file():
        raise spec_error(f"{path} is a directory, expected a file")
    return path


class _Section(SpecModel):
    """An optional section; an empty one means "all defaults"."""

    @model_validator(mode="before")
    @classmethod
    def _empty_is_defaults(cls, data: Any) -> Any:
        # `worker:` with every entry commented out parses as null.
        return {} if data is None else data


class TopicDefaults(_Section):
    """Settings for the sink and dead-letter topics the worker creates when missing."""

    partitions: Integer = Field(4, ge=1)
    replication: Integer = Field(1, ge=1)
    retention: PositiveDuration | None = None  # None: the broker's default


class WorkerSpec(_Section):
    """How records are grouped into micro-batches."""

    batch_size: Integer = Field(500, ge=1, le=100_000)
    batch_wait: DurationValue = Duration(200)

    @field_validator("batch_wait")
    @classmethod
    def _bounded_wait(cls, value: Duration) -> Duration:
        # A long wait delays commits and can exceed the consumer's poll interval.
        if value > MAX_BATCH_WAIT:
            raise spec_error(f"expected at most {MAX_BATCH_WAIT}, got {value}")
        return value


class _TopicIO(SpecModel):
    """A topic read or written in json or avro."""

    topic: TopicName
    format: Format = "json"
    schema_file: Path | None = Field(None, alias="schema", validate_default=True)

    @field_validator("schema_file")
    @classmethod
    def _schema_matches_format(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        fmt = info.data.get("format")
        if value is None:
            if fmt == "avro":
                raise spec_error("required when format is avro (the path of an .avsc file)")
            return None
        if fmt == "json":
            raise spec_error("only used with format: avro")
        return _existing(value, info, directory=False)


class _DecodedTopic(_TopicIO):
    """A topic the pipeline reads, optionally in the Confluent wire format."""

    wire_format: bool = False
    schema_dir: Path | None = Field(None, validate_default=True)

    @field_validator("wire_format")
    @classmethod
    def _wire_needs_avro(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("format") == "json":
            raise spec_error("requires format: avro")
        return value

    @field_validator("schema_dir")
    @classmethod
    def _dir_matches_wire(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        wire = info.data.get("wire_format")
        if value is None:
            if wire:
                raise spec_error(
                    f"required when wire_format is true (a directory with {REGISTRY_FILE})"
                )
            return None
        if wire is False:
            raise spec_error("only used with wire_format: true")
        path = _existing(value, info, directory=True)
        if _base_dir(info) is not None and not (path / REGISTRY_FILE).is_file():
            raise spec_error(f"{path} has no {REGISTRY_FILE}")
        return path


class SourceSpec(_DecodedTopic):
    """A topic whose records flow through the steps."""

    key: FieldName | None = None  # the value field the message key carries
    event_time: FieldName | None = None  # None: the Kafka record timestamp


class ReferenceSpec(_DecodedTopic):
    """A compacted topic held in memory as a lookup table for enrich steps."""

    key: FieldName | None = None  # None: the message key is the lookup key


class SinkSpec(_TopicIO):
    """A topic that receives the records that passed every step."""

    key: FieldName | None = None  # None: keep the input record's key
    fields: FieldList | None = None  # None: every field
    partitions: Integer | None = Field(None, ge=1)  # None: defaults.partitions
    replication: Integer | None = Field(None, ge=1)  # None: defaults.replication
    retention: PositiveDuration | None = None  # None: defaults.retention


class DeadLetterSpec(_Section):
    """Where failed records go: their original bytes plus headers saying why."""

    topic: TopicName | None = None  # None: "<pipeline>.dlq"
    partitions: Integer | None = Field(None, ge=1)
    replication: Integer | None = Field(None, ge=1)
    retention: PositiveDuration | None = None
    max_message_bytes: Integer = Field(1_000_000, ge=1024, le=100_000_000)


class MetricsSpec(_Section):
    """The Prometheus endpoint of the worker."""

    port: Integer | None = Field(None, ge=1, le=65535)  # None: the runtime's default
