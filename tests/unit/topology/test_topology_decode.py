"""Decode: every value that is not one JSON object becomes a `decode` dead letter.

The dead letter carries the original bytes, key, headers and position unchanged, so a
user can inspect and redrive exactly what arrived.
"""

from pathlib import Path

import pytest

from stream_engine.spec import parse_pipeline
from stream_engine.topology import MicroBatch, Record, Topology

PIPELINE = {
    "pipeline": "decoding",
    "version": 1,
    "sources": {"events": {"topic": "events-in"}},
    "sinks": {"out": {"topic": "events-out"}},
}


@pytest.fixture
def topology(tmp_path: Path) -> Topology:
    return Topology.build(parse_pipeline(PIPELINE, "pipeline.yaml", base_dir=tmp_path))


def record(value: bytes | None, offset: int = 7, **extra: object) -> Record:
    fields: dict[str, object] = {
        "key": b"user-1",
        "value": value,
        "topic": "events-in",
        "partition": 3,
        "offset": offset,
        "timestamp_ms": 1_700_000_000_000,
        "headers": (("trace", b"abc"), ("empty", b"")),
    }
    fields.update(extra)
    return Record(**fields)  # type: ignore[arg-type]


BAD_VALUES = [
    pytest.param(b"not json at all", "invalid JSON", id="garbage"),
    pytest.param(b"\x00\x01\x02\xff", "invalid JSON", id="binary"),
    pytest.param(b"", "invalid JSON", id="empty"),
    pytest.param(None, "tombstone", id="none-value"),
    pytest.param(b'{"name": "\xff\xfe"}', "UTF-8", id="invalid-utf8"),
    pytest.param(b"[1, 2, 3]", "list", id="json-array"),
    pytest.param(b'"just a string"', "string", id="json-string"),
    pytest.param(b"42", "number", id="json-number"),
    pytest.param(b"null", "null", id="json-null"),
    pytest.param(b"true", "boolean", id="json-bool"),
    pytest.param(b'{"amount": NaN}', "invalid JSON", id="nan"),
    pytest.param(b'{"amount": Infinity}', "invalid JSON", id="infinity"),
    pytest.param(b'{"a": 1', "invalid JSON", id="truncated"),
    pytest.param(b'{"a": 1} {"b": 2}', "invalid JSON", id="two-objects"),
]


@pytest.mark.parametrize(("value", "hint"), BAD_VALUES)
def test_undecodable_value_becomes_a_decode_dead_letter(
    topology: Topology, value: bytes | None, hint: str
) -> None:
    rec = record(value)

    result = topology.process(MicroBatch("events", [rec]))

    assert result.outputs == []
    [letter] = result.dead_letters
    assert (letter.reason, letter.stage, letter.rule) == ("decode", "decode", "")
    assert hint in letter.message
    assert "\n" not in letter.message
    # The original record, unchanged.
    assert letter.value == value
    assert letter.key == b"user-1"
    assert letter.headers == (("trace", b"abc"), ("empty", b""))
    assert (letter.topic, letter.partition, letter.offset) == ("events-in", 3, 7)
    assert letter.timestamp_ms == 1_700_000_000_000
    counters = result.counters
    assert counters.records_in == 1
    assert counters.passed == 0
    assert counters.dead == {("decode", "decode"): 1}
    assert counters.balanced()


def test_bad_values_among_good_ones_fail_alone(topology: Topology) -> None:
    values = [b'{"n": 0}', b"garbage", b'{"n": 2}', None, b"[]", b'{"n": 5}']
    batch = MicroBatch("events", [record(v, offset=100 + i) for i, v in enumerate(values)])

    result = topology.process(batch)

    assert [o.origin.offset for o in result.outputs] == [100, 102, 105]
    assert [o.record for o in result.outputs] == [{"n": 0}, {"n": 2}, {"n": 5}]
    assert sorted(d.offset for d in result.dead_letters) == [101, 103, 104]
    assert {d.offset: d.value for d in result.dead_letters} == {
        101: b"garbage",
        103: None,
        104: b"[]",
    }
    assert result.counters.passed == 3
    assert result.counters.dead == {("decode", "decode"): 3}
    assert result.counters.balanced()


def test_key_without_value_keeps_a_missing_key(topology: Topology) -> None:
    result = topology.process(MicroBatch("events", [record(b"oops", key=None, headers=())]))

    [letter] = result.dead_letters
    assert letter.key is None
    assert letter.headers == ()


def test_empty_batch_gives_an_empty_balanced_result(topology: Topology) -> None:
    result = topology.process(MicroBatch("events", []))

    assert result.outputs == []
    assert result.dead_letters == []
    assert result.counters.records_in == 0
    assert result.counters.balanced()


def test_good_record_passes_through_with_key_timestamp_and_headers(topology: Topology) -> None:
    rec = record(b'{"user": "u1", "n": 1.5, "tags": ["a"], "nested": {"x": null}}')

    result = topology.process(MicroBatch("events", [rec]))

    [out] = result.outputs
    assert out.sink == "out"
    assert out.topic == "events-out"
    assert out.key == b"user-1"
    assert out.timestamp_ms == rec.timestamp_ms
    assert out.headers == rec.headers
    assert out.origin is rec
    assert out.record == {"user": "u1", "n": 1.5, "tags": ["a"], "nested": {"x": None}}
    assert out.value == b'{"user":"u1","n":1.5,"tags":["a"],"nested":{"x":null}}'
    assert result.counters.out == {"out": 1}
    assert "decode" in result.step_seconds
    assert "sink" in result.step_seconds
