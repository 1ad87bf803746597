"""Turn an application's event (a pydantic model or a mapping) into key and value bytes.

Everything that can be wrong with an event is found here, before it is handed to the
client: so a rejected event is never half-sent, and the error names topic and key.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from stream_engine.errors import ConfigError
from stream_engine.producer.errors import InvalidEventError, describe_key
from stream_engine.serde import EncodeError, Format, encode_key, make_encoder
from stream_engine.serde.errors import one_line

NO_KEY: Any = object()
"""`send(..., key=NO_KEY)` (the default): take the key from `key_field`, or send none."""


class EventEncoder:
    """Validates and encodes the events of one topic with one format (and Avro schema)."""

    def __init__(
        self,
        topic: str,
        fmt: Format = "json",
        *,
        schema: Path | str | None = None,
        schema_id: int | None = None,
        schema_dir: Path | str | None = None,
        model: type[BaseModel] | None = None,
        key_field: str | None = None,
    ) -> None:
        if fmt == "avro" and schema_id is None and schema_dir is None:
            raise ConfigError(
                f"Avro events for topic {topic!r} use the Confluent wire format: "
                "give a schema_id, or a schema_dir whose registry.yaml lists the schema"
            )
        self.topic = topic
        self.format = fmt
        self._encoder = make_encoder(fmt, schema=schema, schema_id=schema_id, schema_dir=schema_dir)
        self._model = model
        self._key_field = key_field

    def encode(
        self, event: BaseModel | Mapping[str, Any], key: Any = NO_KEY
    ) -> tuple[bytes | None, bytes]:
        """(key bytes, value bytes), or InvalidEventError naming topic, key and problem."""
        explicit = None if key is NO_KEY else self._key(key)
        record = self._record(event, explicit)
        key_bytes = explicit if key is not NO_KEY else self._key_of(record)
        try:
            return key_bytes, self._encoder.encode(record)
        except EncodeError as exc:
            raise self._invalid(key_bytes, str(exc)) from None

    def _record(self, event: Any, key: bytes | None) -> dict[str, Any]:
        model = self._model
        if isinstance(event, BaseModel):
            if model is not None and not isinstance(event, model):
                raise self._invalid(
                    key, f"expected a {model.__name__} event, got a {type(event).__name__}"
                )
            return self._dump(event)
        if not isinstance(event, Mapping):
            raise self._invalid(
                key, f"cannot send a {type(event).__name__}: expected a pydantic model or a mapping"
            )
        if model is None:
            return event if isinstance(event, dict) else dict(event)
        try:
            return self._dump(model.model_validate(event))
        except ValidationError as exc:
            raise self._invalid(
                self._key_guess(event, key), f"not a valid {model.__name__}: {_problems(exc)}"
            ) from None

    def _dump(self, event: BaseModel) -> dict[str, Any]:
        if self.format == "json":
            # pydantic's JSON mode applies the model's own serializers.
            return event.model_dump(mode="json", by_alias=True)
        # Python mode keeps datetimes, UUIDs, Decimals and bytes for Avro's logical types.
        return _enum_values(event.model_dump(by_alias=True))  # type: ignore[no-any-return]

    def _key_of(self, record: dict[str, Any]) -> bytes | None:
        if self._key_field is None:
            return None
        if self._key_field not in record:
            raise self._invalid(None, f"the event has no field {self._key_field!r} for the key")
        return self._key(record[self._key_field])

    def _key_guess(self, event: Mapping[str, Any], key: bytes | None) -> bytes | None:
        """The key to name in a validation error: the explicit one, else the field's value."""
        if key is not None or self._key_field is None:
            return key
        try:
            return encode_key(event.get(self._key_field))
        except EncodeError:
            return None

    def _key(self, value: Any) -> bytes | None:
        try:
            return encode_key(value)
        except EncodeError as exc:
            raise self._invalid(None, str(exc)) from None

    def _invalid(self, key: bytes | None, problem: str) -> InvalidEventError:
        return InvalidEventError(
            f"event with {describe_key(key)} for topic {self.topic!r} was not sent: {problem}",
            topic=self.topic,
            key=key,
        )


def _problems(exc: ValidationError) -> str:
    """pydantic's report on one line: `field.path: message` for the first few errors."""
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "(event)"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(parts)
    if more > 0:
        parts.append(f"and {more} more")
    return one_line("; ".join(parts))


def _enum_values(value: Any) -> Any:
    """Enum members as their values: fastavro writes symbols, not Python enums."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _enum_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_enum_values(v) for v in value]
    return value
