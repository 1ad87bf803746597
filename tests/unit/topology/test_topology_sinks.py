"""Sinks: projection, re-keying, Avro encoding, refusals as dead letters, several sinks."""

from pathlib import Path
from typing import Any

import orjson
import pytest

from stream_engine.serde import make_decoder
from stream_engine.spec import parse_pipeline
from stream_engine.topology import BatchResult, MicroBatch, Record, Topology

AVRO_SCHEMA = {
    "type": "record",
    "name": "Purchase",
    "namespace": "test",
    "fields": [
        {"name": "user_id", "type": "string"},
        {"name": "amount", "type": "long"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}


def build(tmp_path: Path, sinks: dict[str, Any], steps: list[Any] | None = None) -> Topology:
    (tmp_path / "purchase.avsc").write_bytes(orjson.dumps(AVRO_SCHEMA))
    data = {
        "pipeline": "sinking",
        "version": 1,
        "sources": {"events": {"topic": "events-in"}},
        "steps": steps or [],
        "sinks": sinks,
    }
    return Topology.build(parse_pipeline(data, "pipeline.yaml", base_dir=tmp_path))


def run(topology: Topology, *values: dict[str, Any]) -> BatchResult:
    records = [
        Record(b"in-key", orjson.dumps(v), "events-in", 0, i, 5000 + i, (("h", b"1"),))
        for i, v in enumerate(values)
    ]
    result = topology.process(MicroBatch("events", records))
    assert result.counters.balanced()
    return result


def test_fields_project_the_output_in_the_listed_order(tmp_path: Path) -> None:
    topology = build(tmp_path, {"out": {"topic": "o", "fields": ["b", "a", "absent"]}})

    result = run(topology, {"a": 1, "b": 2, "c": 3})

    [out] = result.outputs
    assert out.record == {"b": 2, "a": 1, "absent": None}
    assert out.value == b'{"b":2,"a":1,"absent":null}'


@pytest.mark.parametrize(
    ("value", "key"),
    [
        pytest.param("u-1", b"u-1", id="text"),
        pytest.param(42, b"42", id="int"),
        pytest.param("ünï", "ünï".encode(), id="unicode"),
        pytest.param(None, None, id="null"),
        pytest.param(False, b"false", id="bool"),
    ],
)
def test_sink_key_field_rekeys_the_output(tmp_path: Path, value: object, key: bytes) -> None:
    topology = build(tmp_path, {"out": {"topic": "o", "key": "user_id"}})

    result = run(topology, {"user_id": value})

    [out] = result.outputs
    assert out.key == key
    assert out.origin.key == b"in-key"


def test_absent_key_field_gives_a_null_key(tmp_path: Path) -> None:
    topology = build(tmp_path, {"out": {"topic": "o", "key": "user_id"}})

    [out] = run(topology, {"other": 1}).outputs

    assert out.key is None


def test_without_key_field_the_input_key_is_kept(tmp_path: Path) -> None:
    [out] = run(build(tmp_path, {"out": {"topic": "o"}}), {"user_id": "u"}).outputs

    assert out.key == b"in-key"


@pytest.mark.parametrize("bad_key", [{"id": 1}, [1, 2]], ids=["object", "list"])
def test_key_that_cannot_be_a_message_key_is_a_sink_error(tmp_path: Path, bad_key: Any) -> None:
    topology = build(tmp_path, {"out": {"topic": "o", "key": "user_id"}})

    result = run(topology, {"user_id": bad_key}, {"user_id": "fine"})

    assert [o.origin.offset for o in result.outputs] == [1]
    [letter] = result.dead_letters
    assert (letter.reason, letter.stage, letter.offset) == ("sink_error", "sink", 0)
    assert "sink out" in letter.message
    assert letter.value == orjson.dumps({"user_id": bad_key})


def test_avro_sink_encodes_with_the_schema(tmp_path: Path) -> None:
    topology = build(tmp_path, {"out": {"topic": "o", "format": "avro", "schema": "purchase.avsc"}})

    result = run(topology, {"user_id": "u1", "amount": 12, "extra": "ignored"})

    [out] = result.outputs
    decoded = make_decoder("avro", schema=tmp_path / "purchase.avsc").decode(out.value)
    assert decoded == {"user_id": "u1", "amount": 12, "note": None}


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"user_id": "u1", "amount": "twelve"}, id="wrong-type"),
        pytest.param({"user_id": "u1"}, id="missing-required-field"),
        pytest.param({"user_id": 7, "amount": 1}, id="int-for-string"),
        pytest.param({"user_id": "u1", "amount": 2**63}, id="long-overflow"),
        pytest.param({"user_id": "u1", "amount": 1, "note": 5}, id="wrong-union-branch"),
    ],
)
def test_record_that_does_not_fit_the_avro_schema_is_a_sink_error(
    tmp_path: Path, bad: dict[str, Any]
) -> None:
    topology = build(tmp_path, {"out": {"topic": "o", "format": "avro", "schema": "purchase.avsc"}})
    good = {"user_id": "u2", "amount": 3}

    result = run(topology, good, bad)

    assert [o.origin.offset for o in result.outputs] == [0]
    [letter] = result.dead_letters
    assert (letter.reason, letter.stage, letter.rule) == ("sink_error", "sink", "")
    assert letter.message.startswith("sink out: ")
    assert "Purchase" in letter.message
    assert letter.value == orjson.dumps(bad)
    assert (letter.key, letter.offset, letter.headers) == (b"in-key", 1, (("h", b"1"),))
    assert result.counters.dead == {("sink", "sink_error"): 1}
    assert result.counters.passed == 1
    assert result.counters.out == {"out": 1}


TWO_SINKS = {
    "everything": {"topic": "all"},
    "purchases": {
        "topic": "purchases",
        "format": "avro",
        "schema": "purchase.avsc",
        "key": "user_id",
    },
}


def test_every_sink_gets_every_passed_record(tmp_path: Path) -> None:
    topology = build(tmp_path, TWO_SINKS, steps=[{"filter": "amount > 0"}])

    result = run(
        topology,
        {"user_id": "a", "amount": 1},
        {"user_id": "b", "amount": 0},
        {"user_id": "c", "amount": 2},
    )

    by_sink = {
        sink: [(o.origin.offset, o.topic, o.key) for o in result.outputs if o.sink == sink]
        for sink in TWO_SINKS
    }
    assert by_sink == {
        "everything": [(0, "all", b"in-key"), (2, "all", b"in-key")],
        "purchases": [(0, "purchases", b"a"), (2, "purchases", b"c")],
    }
    assert result.counters.out == {"everything": 2, "purchases": 2}
    assert result.counters.passed == 2
    assert result.counters.filtered == {"steps[0]": 1}


def test_a_record_one_sink_refuses_goes_to_no_sink(tmp_path: Path) -> None:
    """All sinks or none: the dead letter is the only trace of the record."""
    topology = build(tmp_path, TWO_SINKS)

    result = run(topology, {"user_id": "a", "amount": "x"}, {"user_id": "b", "amount": 5})

    assert [(o.sink, o.origin.offset) for o in result.outputs] == [
        ("everything", 1),
        ("purchases", 1),
    ]
    [letter] = result.dead_letters
    assert letter.offset == 0
    assert letter.message.startswith("sink purchases: ")
    assert result.counters.out == {"everything": 1, "purchases": 1}
    assert result.counters.passed == 1


def test_output_timestamps_and_headers_come_from_the_input(tmp_path: Path) -> None:
    topology = build(tmp_path, {"out": {"topic": "o", "fields": ["a"]}})

    result = run(topology, {"a": 1}, {"a": 2})

    assert [(o.timestamp_ms, o.headers) for o in result.outputs] == [
        (5000, (("h", b"1"),)),
        (5001, (("h", b"1"),)),
    ]
