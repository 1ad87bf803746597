"""JSON decoding and encoding: objects only, every failure a one-line RecordDecodeError."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream_engine.errors import DecodeError, StreamEngineError
from stream_engine.serde import EncodeError, RecordDecodeError, make_decoder, make_encoder

decoder = make_decoder("json")
encoder = make_encoder("json")

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"))
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(st.characters(codec="utf-8")), inner, max_size=5)
    ),
    max_leaves=30,
)
json_objects = st.dictionaries(st.text(st.characters(codec="utf-8")), json_values, max_size=8)


def decode_error(data: bytes | None) -> RecordDecodeError:
    with pytest.raises(RecordDecodeError) as caught:
        decoder.decode(data)
    assert caught.value.reason == "decode"
    assert "\n" not in str(caught.value)
    return caught.value


def test_decodes_an_object() -> None:
    assert decoder.decode(b'{"user_id": "u1", "n": 1, "x": [1, {"y": null}]}') == {
        "user_id": "u1",
        "n": 1,
        "x": [1, {"y": None}],
    }


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"[1, 2]", "a list"),
        (b'"s"', "a string"),
        (b"1", "a number"),
        (b"1.5", "a number"),
        (b"true", "a boolean"),
        (b"null", "null"),
    ],
)
def test_non_objects_are_decode_errors(data: bytes, kind: str) -> None:
    assert str(decode_error(data)) == f"JSON value is {kind}, expected an object"


def test_none_value_is_a_tombstone() -> None:
    assert "tombstone" in str(decode_error(None))


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty document"),
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"a": "\xc3\x28"}', "UTF-8"),
        (b'{"a": NaN}', "unexpected character"),
        (b'{"a": Infinity}', "unexpected character"),
        (b'{"a": 1e400}', "infinity"),
        (b'{"a": 1', "unexpected end of data"),
        (b'{"a": 1}{"b": 2}', "after document"),
        (b"not json", "invalid literal"),
    ],
)
def test_invalid_json_is_a_one_line_decode_error(data: bytes, fragment: str) -> None:
    error = decode_error(data)
    assert str(error).startswith("invalid JSON: ")
    assert fragment in str(error)


@pytest.mark.parametrize("data", [b"[" * 100_000, b'{"a":' * 100_000, b'{"a":[' * 600 + b"1"])
def test_deep_nesting_fails_cleanly(data: bytes) -> None:
    assert "depth" in str(decode_error(data))


def test_five_megabyte_value_decodes() -> None:
    value = {"items": [{"id": i, "name": "x" * 40} for i in range(80_000)]}
    data = orjson.dumps(value)
    assert len(data) > 5_000_000
    start = time.perf_counter()
    assert decoder.decode(data) == value
    assert time.perf_counter() - start < 2


def test_decode_error_is_the_project_decode_error() -> None:
    assert isinstance(decode_error(b"[]"), DecodeError)


@given(json_objects)
def test_round_trip(value: dict[str, Any]) -> None:
    assert decoder.decode(encoder.encode(value)) == value


@given(st.binary(max_size=200))
@settings(max_examples=500)
def test_arbitrary_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        assert isinstance(decoder.decode(data), dict)
    except RecordDecodeError as error:
        assert error.reason == "decode"


def test_encodes_numpy_pandas_datetime_and_decimal_values() -> None:
    value = {
        "i": np.int64(3),
        "f": np.float32(1.5),
        "flag": np.bool_(True),
        "ts": pd.Timestamp("2024-01-02T03:04:05Z"),
        "nat": pd.NaT,
        "na": pd.NA,
        "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "day": dt.date(2024, 1, 2),
        "amount": Decimal("12.340"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "nan": float("nan"),
        "dnan": Decimal("NaN"),
    }
    assert orjson.loads(encoder.encode(value)) == {
        "i": 3,
        "f": 1.5,
        "flag": True,
        "ts": "2024-01-02T03:04:05+00:00",
        "nat": None,
        "na": None,
        "when": "2024-01-02T03:04:05+00:00",
        "day": "2024-01-02",
        "amount": 12.34,
        "id": "12345678-1234-5678-1234-567812345678",
        "nan": None,
        "dnan": None,
    }
    assert b'"amount":12.340' in encoder.encode(value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"a": object()}, "not JSON serializable: object"),
        ({"a": b"bytes"}, "not JSON serializable: bytes"),
        ({"a": 2**70}, "64-bit"),
        ({"a": "\ud800"}, "UTF-8"),
        ({1: "a"}, "key must be str"),
    ],
)
def test_unencodable_values_raise_encode_error(value: Any, fragment: str) -> None:
    with pytest.raises(EncodeError, match=fragment) as caught:
        encoder.encode(value)
    assert isinstance(caught.value, StreamEngineError)
    assert str(caught.value).startswith("cannot encode record as JSON: ")


def test_encoding_a_non_mapping_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="expected a mapping"):
        encoder.encode([1, 2])  # type: ignore[arg-type]
