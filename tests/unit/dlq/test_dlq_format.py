"""Previews, times and the JSON form of dead letters (pure)."""

from __future__ import annotations

import base64
import json

import pytest

from connectors.kafka_reader import ConsumedMessage
from stream_engine.dlq import DeadLetter, dead_letter_message
from stream_engine.dlq.tools import (
    DeadLetterView,
    as_text,
    encode_bytes,
    format_time,
    preview,
    shorten,
    view_to_json,
)


@pytest.mark.parametrize(
    ("data", "width", "expected"),
    [
        (None, 40, "(null)"),
        (b"", 40, '""'),
        (b"hello", 40, "hello"),
        (b'{"a": 1,\n "b": 2}', 40, '{"a": 1, "b": 2}'),
        (b"abcdefghij", 5, "abcd…"),
        ("héllo".encode(), 40, "héllo"),
        (b"\xff", 40, "<1 byte: ff>"),
        (b"\x00\x00\x00\x00\x07hi", 40, "<7 bytes: 00000000076869>"),
        (bytes(range(100)), 40, "<100 bytes: 000102030405060708090a0b0c…>"),
    ],
)
def test_preview(data: bytes | None, width: int, expected: str) -> None:
    assert preview(data, width) == expected


def test_preview_binary_stays_near_the_width() -> None:
    for n in (1, 10, 100, 100_000):
        assert len(preview(b"\x01" * n, 30)) <= 36


def test_as_text_refuses_control_characters_but_keeps_whitespace() -> None:
    assert as_text(b"a\tb\r\nc") == "a\tb\r\nc"
    assert as_text(b"\x00abc") is None  # e.g. the Confluent wire format's magic byte
    assert as_text(b"\x7f") is None
    assert as_text(b"\xc3\x28") is None  # invalid UTF-8


def test_shorten() -> None:
    assert shorten("short", 10) == "short"
    assert shorten("exactly10!", 10) == "exactly10!"
    assert shorten("a much longer message", 10) == "a much lo…"
    assert shorten("two\nlines", 20) == "two lines"


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1_714_564_800_123, "2024-05-01T12:00:00.123Z"),
        (None, "?"),
    ],
)
def test_format_time(ms: int | None, text: str) -> None:
    assert format_time(ms) == text


def test_encode_bytes() -> None:
    assert encode_bytes(None) == (None, None)
    assert encode_bytes(b"plain") == ("plain", "utf-8")
    assert encode_bytes(b"\x00nul") == ("\x00nul", "utf-8")  # JSON escapes it losslessly
    assert encode_bytes(b"\xff\xfe") == (base64.b64encode(b"\xff\xfe").decode(), "base64")


def test_view_to_json_has_every_header_and_round_trips_the_bytes() -> None:
    letter = DeadLetter(
        reason="schema",
        stage="decode",
        message="field 'id' missing",
        key=b"\xff\x01",
        value=b'{"x": 1}',
        topic="orders",
        partition=2,
        offset=9,
        timestamp_ms=1_000,
        headers=(("trace", b"t-9"),),
    )
    msg = dead_letter_message(letter, "p", 1_714_564_800_000, 1_000_000)
    consumed = ConsumedMessage("p.dlq", 0, 4, 5, msg.key, msg.value, tuple(msg.headers))
    data = json.loads(json.dumps(view_to_json(DeadLetterView.from_message(consumed))))
    assert data["dlq"] == {"topic": "p.dlq", "partition": 0, "offset": 4, "timestamp": 5}
    assert data["dead_lettered_at"] == "2024-05-01T12:00:00.000Z"
    assert (data["reason"], data["stage"], data["message"]) == (
        "schema",
        "decode",
        "field 'id' missing",
    )
    assert data["source"] == {"topic": "orders", "partition": 2, "offset": 9, "timestamp": 1000}
    assert (data["key"], data["key_encoding"]) == (base64.b64encode(b"\xff\x01").decode(), "base64")
    assert (data["value"], data["value_encoding"]) == ('{"x": 1}', "utf-8")
    assert data["truncated"] is False and data["original_size"] is None
    names = [h["name"] for h in data["headers"]]
    assert names == [name for name, _ in msg.headers]
    assert data["headers"][0] == {"name": "trace", "value": "t-9", "encoding": "utf-8"}
