"""Confluent wire format: framing, schema ids from a directory, schema evolution, reasons."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream_engine.serde import (
    RecordDecodeError,
    SchemaDirectory,
    decode_batch,
    make_decoder,
    make_encoder,
)

V1_VALUE = {
    "user_id": "u1",
    "ts": 1_700_000_000_000,
    "url": "/a",
    "duration_ms": 10,
    "referrer": "/b",
}
V2_VALUE = {**V1_VALUE, "country": "NL"}


def reason_of(decoder: Any, data: bytes | None) -> tuple[str, str]:
    with pytest.raises(RecordDecodeError) as caught:
        decoder.decode(data)
    assert "\n" not in str(caught.value)
    return caught.value.reason, str(caught.value)


def test_encoder_writes_the_header(page_view_v1: Path) -> None:
    data = make_encoder("avro", schema=page_view_v1, schema_id=1).encode(V1_VALUE)
    assert data[:5] == b"\x00\x00\x00\x00\x01"
    body = make_encoder("avro", schema=page_view_v1).encode(V1_VALUE)
    assert data[5:] == body


def test_round_trip_with_the_writer_schema(schema_dir: Path, page_view_v1: Path) -> None:
    data = make_encoder("avro", schema=page_view_v1, schema_id=1).encode(V1_VALUE)
    decoder = make_decoder("avro", schema_dir=schema_dir, wire_format=True)
    assert decoder.decode(data) == V1_VALUE


def test_old_writer_resolves_to_new_reader_with_default(
    schema_dir: Path, page_view_v1: Path, page_view_v2: Path
) -> None:
    decoder = make_decoder("avro", schema=page_view_v2, schema_dir=schema_dir, wire_format=True)
    old = make_encoder("avro", schema=page_view_v1, schema_id=1).encode(V1_VALUE)
    new = make_encoder("avro", schema=page_view_v2, schema_id=2).encode(V2_VALUE)
    assert decoder.decode(old) == {**V1_VALUE, "country": "unknown"}
    assert decoder.decode(new) == V2_VALUE


def test_new_writer_resolves_to_old_reader_dropping_the_field(
    schema_dir: Path, page_view_v1: Path, page_view_v2: Path
) -> None:
    decoder = make_decoder("avro", schema=page_view_v1, schema_dir=schema_dir, wire_format=True)
    new = make_encoder("avro", schema=page_view_v2, schema_id=2).encode(V2_VALUE)
    assert decoder.decode(new) == V1_VALUE


def test_unknown_schema_id_is_a_schema_error(schema_dir: Path, page_view_v1: Path) -> None:
    data = make_encoder("avro", schema=page_view_v1, schema_id=7).encode(V1_VALUE)
    decoder = make_decoder("avro", schema_dir=schema_dir, wire_format=True)
    reason, message = reason_of(decoder, data)
    assert reason == "schema"
    assert message.startswith("unknown schema id 7: not listed in ")
    assert message.endswith("registry.yaml")


def test_unresolvable_reader_is_a_schema_error(
    schema_dir: Path, page_view_v1: Path, write_schema: Any, page_view_schema: dict[str, Any]
) -> None:
    page_view_schema["fields"].append({"name": "required", "type": "string"})
    reader = write_schema(page_view_schema, "strict.avsc")
    decoder = make_decoder("avro", schema=reader, schema_dir=schema_dir, wire_format=True)
    data = make_encoder("avro", schema=page_view_v1, schema_id=1).encode(V1_VALUE)
    reason, message = reason_of(decoder, data)
    assert reason == "schema"
    assert message.startswith("schema id 1 (clickstream.PageView) cannot be resolved")
    assert "required" in message


def test_reader_with_another_record_name_is_a_schema_error(
    schema_dir: Path, page_view_v1: Path, write_schema: Any, page_view_schema: dict[str, Any]
) -> None:
    reader = write_schema({**page_view_schema, "name": "Click"}, "click.avsc")
    decoder = make_decoder("avro", schema=reader, schema_dir=schema_dir, wire_format=True)
    data = make_encoder("avro", schema=page_view_v1, schema_id=1).encode(V1_VALUE)
    reason, message = reason_of(decoder, data)
    assert reason == "schema"
    assert message.endswith(
        "record clickstream.PageView is not clickstream.Click "
        "(the reader's record names must match or list the writer's as aliases)"
    )


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (None, "tombstone"),
        (b"", "too short"),
        (b"\x00\x00\x00", "too short"),
        (b'{"user_id": "u1"}', "bad magic byte 0x7b for the Confluent wire format"),
        (b"\x01\x00\x00\x00\x01abc", "bad magic byte 0x01"),
        (b"\x00\x00\x00\x00\x01", "ends inside the record"),
        (b"\x00\x00\x00\x00\x01\x04u1\x02", "ends inside the record"),
    ],
)
def test_bad_frames_and_bodies_are_decode_errors(
    schema_dir: Path, data: bytes | None, fragment: str
) -> None:
    decoder = make_decoder("avro", schema_dir=schema_dir, wire_format=True)
    reason, message = reason_of(decoder, data)
    assert reason == "decode"
    assert fragment in message


@given(data=st.binary(max_size=100))
@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_bytes_decode_or_raise_decode_error(schema_dir: Path, data: bytes) -> None:
    decoder = make_decoder("avro", schema_dir=schema_dir, wire_format=True)
    try:
        assert isinstance(decoder.decode(data), dict)
    except RecordDecodeError as error:
        assert error.reason in ("decode", "schema")


@given(schema_id=st.sampled_from([1, 2]), body=st.binary(max_size=100))
@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_bodies_behind_a_valid_header(
    schema_dir: Path, page_view_v2: Path, schema_id: int, body: bytes
) -> None:
    decoder = make_decoder("avro", schema=page_view_v2, schema_dir=schema_dir, wire_format=True)
    try:
        assert isinstance(decoder.decode(struct.pack(">BI", 0, schema_id) + body), dict)
    except RecordDecodeError as error:
        assert error.reason == "decode"


def test_decode_batch_reports_failures_by_position(schema_dir: Path, page_view_v1: Path) -> None:
    good = make_encoder("avro", schema=page_view_v1, schema_id=1).encode(V1_VALUE)
    unknown = b"\x00\x00\x00\x00\x09" + good[5:]
    decoder = make_decoder("avro", schema_dir=schema_dir, wire_format=True)
    records, errors = decode_batch(decoder, [good, b"junk", None, unknown, good])
    assert records == [V1_VALUE, None, None, None, V1_VALUE]
    assert {position: error.reason for position, error in errors.items()} == {
        1: "decode",
        2: "decode",
        3: "schema",
    }


def test_encoder_finds_the_id_in_the_directory(schema_dir: Path, page_view_v2: Path) -> None:
    data = make_encoder("avro", schema=page_view_v2, schema_dir=schema_dir).encode(V2_VALUE)
    assert data[:5] == b"\x00\x00\x00\x00\x02"


def test_encoder_takes_the_schema_from_the_directory(schema_dir: Path) -> None:
    data = make_encoder("avro", schema_id=2, schema_dir=schema_dir).encode(V2_VALUE)
    decoder = make_decoder("avro", schema_dir=schema_dir, wire_format=True)
    assert decoder.decode(data) == V2_VALUE


def test_schema_directory_lookups(schema_dir: Path, page_view_v1: Path) -> None:
    from stream_engine.serde import load_schema

    directory = SchemaDirectory.load(schema_dir)
    assert sorted(directory.schemas) == [1, 2]
    assert directory.id_for(load_schema(page_view_v1)) == 1
    schema = directory.schema_for(2)
    assert schema is not None
    assert schema.name == "clickstream.PageView"
    assert directory.schema_for(3) is None
