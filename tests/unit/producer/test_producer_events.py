"""EventEncoder: what the SDK sends for models and dicts, and what it refuses before sending."""

from __future__ import annotations

import datetime as dt
import enum
from io import BytesIO
from pathlib import Path

import fastavro
import orjson
import pytest
from pydantic import BaseModel, Field

from stream_engine.errors import ConfigError
from stream_engine.producer import InvalidEventError
from stream_engine.producer.events import EventEncoder

SCHEMAS = Path(__file__).parents[3] / "schemas"
V2 = SCHEMAS / "page_view/v2.avsc"


class PageView(BaseModel):
    event_id: str
    user_id: str
    event_type: str = "page_view"
    url: str = "/"
    duration_ms: int = Field(ge=0)
    ts: int


class Kind(enum.Enum):
    VIEW = "view"
    CLICK = "click"


class Clicked(BaseModel):
    user_id: str
    kind: Kind
    at: dt.datetime


def _view(**over: object) -> dict[str, object]:
    return {"event_id": "e1", "user_id": "u1", "duration_ms": 5, "ts": 7, **over}


def _fastavro(value: bytes, schema_path: Path) -> dict[str, object]:
    """Decode independently of the serde: header by hand, body with fastavro."""
    assert value[0] == 0
    schema = fastavro.parse_schema(orjson.loads(schema_path.read_bytes()))
    return fastavro.schemaless_reader(BytesIO(value[5:]), schema)  # type: ignore[return-value]


def test_json_model_and_dict_give_the_same_bytes() -> None:
    enc = EventEncoder("t", key_field="user_id")
    key, from_model = enc.encode(PageView(**_view()))  # type: ignore[arg-type]
    _, from_dict = enc.encode({**_view(), "event_type": "page_view", "url": "/"})
    assert key == b"u1"
    assert orjson.loads(from_model) == orjson.loads(from_dict)


def test_avro_wire_format_with_the_id_from_the_registry() -> None:
    enc = EventEncoder("t", "avro", schema=V2, schema_dir=SCHEMAS, key_field="user_id")
    key, value = enc.encode(PageView(**_view()))  # type: ignore[arg-type]
    assert key == b"u1"
    assert int.from_bytes(value[1:5], "big") == 2  # page_view/v2.avsc in registry.yaml
    assert _fastavro(value, V2) == {
        **_view(),
        "event_type": "page_view",
        "url": "/",
        "referrer": None,
        "device": "unknown",
    }


def test_explicit_key_wins_and_numbers_become_text() -> None:
    enc = EventEncoder("t", key_field="user_id")
    assert enc.encode(_view(), key=42)[0] == b"42"
    assert enc.encode(_view(), key=None)[0] is None
    assert EventEncoder("t").encode(_view())[0] is None


def test_dicts_are_validated_with_the_model_before_encoding() -> None:
    enc = EventEncoder("views", model=PageView, key_field="user_id")
    with pytest.raises(InvalidEventError) as info:
        enc.encode(_view(duration_ms=-1, ts="soon"))
    error = info.value
    assert (error.topic, error.key) == ("views", b"u1")
    assert "topic 'views'" in str(error) and "key 'u1'" in str(error)
    assert "duration_ms: Input should be greater than or equal to 0" in str(error)
    assert "ts: Input should be a valid integer" in str(error)


def test_an_event_of_another_model_is_refused() -> None:
    enc = EventEncoder("t", model=PageView)
    other = Clicked(user_id="u", kind=Kind.VIEW, at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(InvalidEventError, match="expected a PageView event, got a Clicked"):
        enc.encode(other)


def test_avro_rejects_a_record_the_schema_does_not_fit() -> None:
    enc = EventEncoder("t", "avro", schema=V2, schema_id=2, key_field="user_id")
    with pytest.raises(InvalidEventError) as info:
        enc.encode(_view(duration_ms="slow", event_type="x", url="/"))
    assert info.value.key == b"u1"
    assert "duration_ms is 'slow' (str), expected long" in str(info.value)


def test_missing_key_field_and_unusable_key() -> None:
    enc = EventEncoder("t", key_field="account")
    with pytest.raises(InvalidEventError, match="has no field 'account' for the key"):
        enc.encode(_view())
    with pytest.raises(InvalidEventError, match="cannot use a list as a message key"):
        EventEncoder("t").encode(_view(), key=[1])


def test_only_models_and_mappings_are_events() -> None:
    with pytest.raises(InvalidEventError, match="cannot send a list"):
        EventEncoder("t").encode([1, 2])  # type: ignore[arg-type]


def test_avro_needs_a_schema_id_or_directory() -> None:
    with pytest.raises(ConfigError, match="give a schema_id, or a schema_dir"):
        EventEncoder("t", "avro", schema=V2)
    with pytest.raises(ConfigError, match="is not"):
        EventEncoder("t", "avro", schema=V2, schema_id=1, schema_dir=SCHEMAS)  # id 1 is v1


def test_enums_and_datetimes_of_models_reach_avro_as_symbols_and_millis(tmp_path: Path) -> None:
    schema = {
        "type": "record",
        "name": "Clicked",
        "fields": [
            {"name": "user_id", "type": "string"},
            {
                "name": "kind",
                "type": {"type": "enum", "name": "Kind", "symbols": ["view", "click"]},
            },
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ],
    }
    path = tmp_path / "clicked.avsc"
    path.write_bytes(orjson.dumps(schema))
    enc = EventEncoder("t", "avro", schema=path, schema_id=9)
    at = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    _, value = enc.encode(Clicked(user_id="u", kind=Kind.CLICK, at=at))
    decoded = _fastavro(value, path)
    assert decoded == {"user_id": "u", "kind": "click", "at": at}
    _, as_json = EventEncoder("t").encode(Clicked(user_id="u", kind=Kind.CLICK, at=at))
    assert orjson.loads(as_json) == {"user_id": "u", "kind": "click", "at": "2026-01-01T12:00:00Z"}
