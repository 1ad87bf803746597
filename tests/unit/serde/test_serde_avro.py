"""Schemaless Avro: round trips, plain JSON-like values, and defensive decoding of garbage."""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream_engine.serde import EncodeError, RecordDecodeError, make_decoder, make_encoder


def zigzag(n: int) -> bytes:
    """Avro's varint encoding of a long."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


PAGE_VIEW = {
    "user_id": "u1",
    "ts": 1_700_000_000_123,
    "url": "https://example.com/a",
    "duration_ms": 1500,
    "referrer": None,
}


def test_round_trip_keeps_timestamps_as_epoch_millis(page_view_v1: Path) -> None:
    encoder = make_encoder("avro", schema=page_view_v1)
    decoder = make_decoder("avro", schema=page_view_v1)
    assert decoder.decode(encoder.encode(PAGE_VIEW)) == PAGE_VIEW


def test_datetimes_are_accepted_when_encoding(page_view_v1: Path) -> None:
    when = dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=dt.UTC)
    data = make_encoder("avro", schema=page_view_v1).encode({**PAGE_VIEW, "ts": when})
    assert make_decoder("avro", schema=page_view_v1).decode(data)["ts"] == 1_700_000_000_123


def test_every_type_decodes_to_json_compatible_values(
    everything: Path, everything_value: dict[str, Any]
) -> None:
    data = make_encoder("avro", schema=everything).encode(everything_value)
    decoded = make_decoder("avro", schema=everything).decode(data)
    assert decoded == everything_value
    assert orjson.loads(orjson.dumps(decoded)) == decoded  # nothing orjson cannot write


def test_decoded_values_encode_back_to_the_same_bytes(
    everything: Path, everything_value: dict[str, Any]
) -> None:
    encoder = make_encoder("avro", schema=everything)
    decoder = make_decoder("avro", schema=everything)
    data = encoder.encode(everything_value)
    assert encoder.encode(decoder.decode(data)) == data


def test_native_python_values_encode_too(
    everything: Path, everything_value: dict[str, Any]
) -> None:
    native = {
        **everything_value,
        "raw": b"\x00\xff a",
        "hash": b"abcd",
        "amount": Decimal("12.34"),
        "day": dt.date(2022, 1, 8),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    }
    encoder = make_encoder("avro", schema=everything)
    assert encoder.encode(native) == encoder.encode(everything_value)


def test_optional_decimal_and_bytes_fields(write_schema: Any) -> None:
    schema = write_schema(
        {
            "type": "record",
            "name": "Payment",
            "fields": [
                {
                    "name": "amount",
                    "type": [
                        "null",
                        {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
                    ],
                },
                {"name": "blob", "type": ["null", "bytes"]},
                {"name": "items", "type": {"type": "array", "items": ["null", "bytes"]}},
            ],
        }
    )
    encoder = make_encoder("avro", schema=schema)
    decoder = make_decoder("avro", schema=schema)
    value = {"amount": 10.5, "blob": "\x01", "items": ["a", None]}
    assert decoder.decode(encoder.encode(value)) == value
    empty: dict[str, Any] = {"amount": None, "blob": None, "items": []}
    assert decoder.decode(encoder.encode(empty)) == empty
    # Floats are rounded to the schema's scale; the text form of a number works too.
    assert decoder.decode(encoder.encode({**value, "amount": 1.005}))["amount"] == 1.0
    assert decoder.decode(encoder.encode({**value, "amount": "7.25"}))["amount"] == 7.25


def test_recursive_schema_with_bytes(write_schema: Any) -> None:
    schema = write_schema(
        {
            "type": "record",
            "name": "Node",
            "fields": [
                {"name": "data", "type": "bytes"},
                {"name": "children", "type": {"type": "array", "items": "Node"}},
            ],
        }
    )
    value = {"data": "a", "children": [{"data": "b", "children": []}]}
    data = make_encoder("avro", schema=schema).encode(value)
    assert make_decoder("avro", schema=schema).decode(data) == value


record_values = st.fixed_dictionaries(
    {
        "user_id": st.text(),
        "ts": st.integers(min_value=-(2**63), max_value=2**63 - 1),
        "url": st.text(),
        "duration_ms": st.integers(min_value=-(2**31), max_value=2**31 - 1),
        "referrer": st.none() | st.text(),
    }
)


@given(value=record_values)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_round_trip_property(page_view_v1: Path, value: dict[str, Any]) -> None:
    data = make_encoder("avro", schema=page_view_v1).encode(value)
    assert make_decoder("avro", schema=page_view_v1).decode(data) == value


@given(data=st.binary(max_size=200))
@settings(max_examples=1000, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_bytes_decode_or_raise_decode_error(everything: Path, data: bytes) -> None:
    decoder = make_decoder("avro", schema=everything)
    try:
        assert isinstance(decoder.decode(data), dict)
    except RecordDecodeError as error:
        assert error.reason == "decode"
        assert "\n" not in str(error)


@given(data=st.binary(max_size=60))
@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_bytes_page_view(page_view_v1: Path, data: bytes) -> None:
    decoder = make_decoder("avro", schema=page_view_v1)
    try:
        assert isinstance(decoder.decode(data), dict)
    except RecordDecodeError as error:
        assert error.reason == "decode"


@pytest.mark.parametrize(
    "body",
    [
        zigzag(2**31) + b"abcd",  # a 2 GB string
        zigzag(2**62) + b"abcd",  # a 4 EB string
        zigzag(-(2**31)) + b"abcd",  # a negative length
        zigzag(8) + b"u1",
    ],
)
def test_absurd_lengths_fail_fast_without_allocating(page_view_v1: Path, body: bytes) -> None:
    decoder = make_decoder("avro", schema=page_view_v1)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(RecordDecodeError) as caught:
            decoder.decode(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 0.5
    assert peak < 1_000_000
    assert caught.value.reason == "decode"
    assert str(caught.value).startswith("invalid Avro body for schema clickstream.PageView: ")


@pytest.mark.parametrize("count", [2**31, 2**62, -(2**62)])
def test_absurd_array_and_map_counts_fail_fast(write_schema: Any, count: int) -> None:
    schema = write_schema(
        {
            "type": "record",
            "name": "Lists",
            "fields": [
                {"name": "a", "type": {"type": "array", "items": "long"}},
                {"name": "m", "type": {"type": "map", "values": "long"}},
            ],
        }
    )
    decoder = make_decoder("avro", schema=schema)
    start = time.perf_counter()
    for body in (zigzag(count) + b"\x02\x04", b"\x00" + zigzag(count) + b"\x02a\x02"):
        with pytest.raises(RecordDecodeError):
            decoder.decode(body)
    assert time.perf_counter() - start < 0.5


def test_truncated_and_trailing_bytes_are_decode_errors(page_view_v1: Path) -> None:
    data = make_encoder("avro", schema=page_view_v1).encode(PAGE_VIEW)
    decoder = make_decoder("avro", schema=page_view_v1)
    with pytest.raises(RecordDecodeError, match="ends inside the record"):
        decoder.decode(data[:-3])
    with pytest.raises(RecordDecodeError, match="2 bytes left over"):
        decoder.decode(data + b"\x00\x00")


@pytest.mark.parametrize("data", [None, b""])
def test_none_and_empty_are_decode_errors(page_view_v1: Path, data: bytes | None) -> None:
    with pytest.raises(RecordDecodeError) as caught:
        make_decoder("avro", schema=page_view_v1).decode(data)
    assert caught.value.reason == "decode"


def test_invalid_utf8_in_a_string_is_a_decode_error(page_view_v1: Path) -> None:
    with pytest.raises(RecordDecodeError, match="UnicodeDecodeError"):
        make_decoder("avro", schema=page_view_v1).decode(zigzag(2) + b"\xc3\x28")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({**PAGE_VIEW, "duration_ms": "long"}, "field clickstream.PageView.duration_ms is 'long'"),
        ({k: v for k, v in PAGE_VIEW.items() if k != "url"}, "url is missing or null"),
        ({**PAGE_VIEW, "referrer": 5}, "expected null | string"),
    ],
)
def test_invalid_records_raise_encode_errors_naming_the_field(
    page_view_v1: Path, value: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(EncodeError) as caught:
        make_encoder("avro", schema=page_view_v1).encode(value)
    message = str(caught.value)
    assert message.startswith("cannot encode record as Avro clickstream.PageView: ")
    assert fragment in message
    assert "\n" not in message


def test_bytes_text_outside_latin1_is_an_encode_error(
    everything: Path, everything_value: dict[str, Any]
) -> None:
    with pytest.raises(EncodeError, match="U\\+0000-U\\+00FF"):
        make_encoder("avro", schema=everything).encode({**everything_value, "raw": "€"})


def test_extra_fields_are_ignored_and_defaults_fill_missing(page_view_v1: Path) -> None:
    value = {k: v for k, v in PAGE_VIEW.items() if k != "referrer"} | {"extra": 1}
    data = make_encoder("avro", schema=page_view_v1).encode(value)
    assert make_decoder("avro", schema=page_view_v1).decode(data) == PAGE_VIEW


LINKED_LIST = {
    "type": "record",
    "name": "Node",
    "fields": [{"name": "n", "type": "long"}, {"name": "next", "type": ["null", "Node"]}],
}


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] | None = None
    for n in range(depth):
        value = {"n": n, "next": value}
    assert value is not None
    return value


def test_recursive_schema_round_trip(write_schema: Any) -> None:
    schema = write_schema(LINKED_LIST)
    data = make_encoder("avro", schema=schema).encode(nested(50))
    assert make_decoder("avro", schema=schema).decode(data) == nested(50)


@pytest.mark.parametrize("depth", [10_000, 1_000_000])
def test_deeply_nested_garbage_fails_without_crashing(write_schema: Any, depth: int) -> None:
    # fastavro's compiled reader overflows the C stack (SIGSEGV) on this input.
    decoder = make_decoder("avro", schema=write_schema(LINKED_LIST))
    with pytest.raises(RecordDecodeError, match="nested too deeply") as caught:
        decoder.decode(b"\x00\x02" * depth + b"\x00\x00")
    assert caught.value.reason == "decode"


def test_deeply_nested_values_are_encode_errors(write_schema: Any) -> None:
    schema = write_schema(LINKED_LIST)
    encoder = make_encoder("avro", schema=schema)
    deepest = nested(100)
    assert make_decoder("avro", schema=schema).decode(encoder.encode(deepest)) == deepest
    for depth in (101, 100_000):
        with pytest.raises(EncodeError, match="nested more than 100 levels deep"):
            encoder.encode(nested(depth))
