"""Message keys: stable bytes for partitioning, lenient text for reading."""

from __future__ import annotations

import numpy as np
import pytest

from stream_engine.serde import EncodeError, decode_key, encode_key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("user-1", b"user-1"),
        ("é", b"\xc3\xa9"),
        (42, b"42"),
        (np.int64(42), b"42"),
        (1.5, b"1.5"),
        (True, b"true"),
        (b"\x00raw", b"\x00raw"),
        (None, None),
    ],
)
def test_encode_key(value: object, expected: bytes | None) -> None:
    assert encode_key(value) == expected


@pytest.mark.parametrize("value", [["a"], {"a": 1}, "\ud800"])
def test_unusable_keys_raise_encode_error(value: object) -> None:
    with pytest.raises(EncodeError):
        encode_key(value)


def test_decode_key() -> None:
    assert decode_key(None) is None
    assert decode_key(b"user-1") == "user-1"
    assert decode_key(b"\xffa") == "\ufffda"
