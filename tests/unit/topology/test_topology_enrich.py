"""Enrich: rows from a ReferenceTable, looked up by a field; the three `missing` policies."""

from pathlib import Path
from typing import Any

import orjson
import pytest

from stream_engine.serde import make_decoder
from stream_engine.spec import parse_pipeline
from stream_engine.topology import BatchResult, MicroBatch, Record, ReferenceTable, Topology

USERS = {
    "1": {"user_id": 1, "segment": "gold", "country": "NL"},
    "42": {"user_id": 42, "segment": "silver", "country": "DE"},
    "2": {"user_id": 2, "segment": "bronze", "country": "FR"},
}


def build(tmp_path: Path, **enrich: Any) -> Topology:
    data = {
        "pipeline": "enriching",
        "version": 1,
        "sources": {"events": {"topic": "events-in"}},
        "reference": {"users": {"topic": "users"}},
        "steps": [{"enrich": {"table": "users", "on": "user_id", **enrich}}],
        "sinks": {"out": {"topic": "events-out"}},
    }
    topology = Topology.build(parse_pipeline(data, "pipeline.yaml", base_dir=tmp_path))
    for key, row in USERS.items():
        topology.tables["users"].put(key, dict(row))
    return topology


def run(topology: Topology, *values: dict[str, Any]) -> BatchResult:
    records = [
        Record(b"k%d" % i, orjson.dumps(v), "events-in", 0, i, 1000 + i, (("h", b"v"),))
        for i, v in enumerate(values)
    ]
    result = topology.process(MicroBatch("events", records))
    assert result.counters.balanced()
    return result


def outputs(result: BatchResult) -> list[dict[str, Any]]:
    return [o.record for o in result.outputs]


def test_found_rows_add_every_table_field_by_default(tmp_path: Path) -> None:
    result = run(build(tmp_path), {"user_id": "1", "n": 5})

    assert outputs(result) == [{"user_id": 1, "n": 5, "segment": "gold", "country": "NL"}]


def test_fields_select_columns_and_prefix_renames_them(tmp_path: Path) -> None:
    topology = build(tmp_path, fields=["segment"], prefix="user_")

    result = run(topology, {"user_id": "42", "segment": "own"})

    assert outputs(result) == [{"user_id": "42", "segment": "own", "user_segment": "silver"}]


def test_a_field_absent_from_the_row_is_added_as_null(tmp_path: Path) -> None:
    result = run(build(tmp_path, fields=["segment", "age"]), {"user_id": "2"})

    assert outputs(result) == [{"user_id": "2", "segment": "bronze", "age": None}]


@pytest.mark.parametrize(
    ("lookup", "segment"),
    [
        pytest.param(42, "silver", id="int-finds-text"),
        pytest.param("42", "silver", id="text"),
        pytest.param(2.0, "bronze", id="integral-float"),
        pytest.param(1, "gold", id="int"),
    ],
)
def test_lookup_keys_are_normalised(tmp_path: Path, lookup: object, segment: str) -> None:
    result = run(build(tmp_path, fields=["segment"]), {"user_id": lookup})

    assert outputs(result) == [{"user_id": lookup, "segment": segment}]


@pytest.mark.parametrize(
    "lookup",
    [
        pytest.param(None, id="null"),
        pytest.param(2.5, id="fractional-float"),
        pytest.param([42], id="list"),
        pytest.param({"id": 42}, id="object"),
        pytest.param("042", id="leading-zero"),
        pytest.param(" 42", id="whitespace"),
        pytest.param(True, id="bool"),
    ],
)
def test_values_that_name_no_row_are_missing(tmp_path: Path, lookup: object) -> None:
    result = run(build(tmp_path), {"user_id": lookup})

    [letter] = result.dead_letters
    assert (letter.reason, letter.stage) == ("missing_reference", "enrich")


def test_absent_join_field_is_missing(tmp_path: Path) -> None:
    result = run(build(tmp_path), {"other": 1})

    [letter] = result.dead_letters
    assert (letter.reason, letter.stage) == ("missing_reference", "enrich")


def test_missing_keep_passes_the_record_with_null_fields(tmp_path: Path) -> None:
    topology = build(tmp_path, fields=["segment", "country"], prefix="u_", missing="keep")

    result = run(topology, {"user_id": 99, "u_segment": "mine"}, {"user_id": 1})

    assert outputs(result) == [
        # an existing field is never overwritten by the null of a missing row
        {"user_id": 99, "u_segment": "mine", "u_country": None},
        {"user_id": 1, "u_segment": "gold", "u_country": "NL"},
    ]
    assert result.dead_letters == []
    assert result.counters.passed == 2
    assert not result.counters.dropped


def test_missing_keep_without_fields_adds_nothing(tmp_path: Path) -> None:
    result = run(build(tmp_path, missing="keep"), {"user_id": 99})

    assert outputs(result) == [{"user_id": 99}]


def test_missing_drop_counts_the_record_by_step(tmp_path: Path) -> None:
    topology = build(tmp_path, missing="drop")

    result = run(topology, {"user_id": 99}, {"user_id": 1}, {"user_id": None})

    assert [o.origin.offset for o in result.outputs] == [1]
    assert result.dead_letters == []
    assert result.counters.dropped == {"steps[0]": 2}
    assert result.counters.passed == 1


def test_missing_dead_letter_keeps_the_original_record(tmp_path: Path) -> None:
    topology = build(tmp_path)  # missing: dead_letter is the default

    result = run(topology, {"user_id": 1}, {"user_id": 99, "n": 1})

    assert [o.origin.offset for o in result.outputs] == [0]
    [letter] = result.dead_letters
    assert (letter.reason, letter.stage, letter.rule) == ("missing_reference", "enrich", "steps[0]")
    assert "'users'" in letter.message
    assert "user_id=99" in letter.message
    assert letter.value == orjson.dumps({"user_id": 99, "n": 1})
    assert (letter.key, letter.offset, letter.timestamp_ms) == (b"k1", 1, 1001)
    assert letter.headers == (("h", b"v"),)
    assert result.counters.dead == {("enrich", "missing_reference"): 1}


def test_enriched_values_do_not_leak_between_records(tmp_path: Path) -> None:
    topology = build(tmp_path, fields=["segment"])

    first = run(topology, {"user_id": 1})
    first.outputs[0].record["segment"] = "changed"
    second = run(topology, {"user_id": 1})

    assert outputs(second) == [{"user_id": 1, "segment": "gold"}]
    assert topology.tables["users"].lookup_many([1]) == [USERS["1"]]


# ReferenceTable on its own: what the loader applies from the compacted topic.


def json_table(key_field: str | None) -> ReferenceTable:
    return ReferenceTable("users", key_field, make_decoder("json"))


def test_table_keyed_by_message_key() -> None:
    table = json_table(None)
    table.apply(b"7", b'{"segment": "gold"}')
    table.apply(b"8", b'{"segment": "silver"}')
    table.apply(b"7", b'{"segment": "platinum"}')

    assert len(table) == 2
    assert table.lookup_many([7, "8", 9, None]) == [
        {"segment": "platinum"},
        {"segment": "silver"},
        None,
        None,
    ]


def test_table_keyed_by_a_value_field() -> None:
    table = json_table("user_id")
    table.apply(b"ignored-key", b'{"user_id": 42, "segment": "gold"}')
    table.apply(None, b'{"user_id": 2.0, "segment": "bronze"}')

    assert table.lookup_many(["42", 42, 2, "2.0"]) == [
        {"user_id": 42, "segment": "gold"},
        {"user_id": 42, "segment": "gold"},
        {"user_id": 2.0, "segment": "bronze"},
        None,
    ]


def test_tombstone_deletes_the_row_of_the_message_key() -> None:
    table = json_table(None)
    table.apply(b"7", b'{"segment": "gold"}')
    table.apply(b"8", b'{"segment": "silver"}')

    table.apply(b"7", None)

    assert len(table) == 1
    assert table.lookup_many(["7", "8"]) == [None, {"segment": "silver"}]


def test_tombstone_deletes_a_row_keyed_by_a_value_field() -> None:
    table = json_table("user_id")
    table.apply(b"k-42", b'{"user_id": 42, "segment": "gold"}')

    table.apply(b"k-42", None)

    assert len(table) == 0
    assert table.lookup_many([42]) == [None]


def test_a_new_join_value_for_a_message_key_replaces_its_old_row() -> None:
    table = json_table("user_id")
    table.apply(b"k", b'{"user_id": 1, "segment": "gold"}')

    table.apply(b"k", b'{"user_id": 2, "segment": "gold"}')

    assert table.lookup_many([1, 2]) == [None, {"user_id": 2, "segment": "gold"}]


def test_tombstone_for_an_unknown_key_and_without_key_changes_nothing() -> None:
    table = json_table(None)
    table.apply(b"7", b'{"segment": "gold"}')

    table.apply(b"nobody", None)
    table.apply(None, None)

    assert table.lookup_many(["7"]) == [{"segment": "gold"}]


@pytest.mark.parametrize(
    ("key_field", "key", "value"),
    [
        pytest.param(None, b"7", b"garbage", id="undecodable"),
        pytest.param(None, b"7", b"[1]", id="not-an-object"),
        pytest.param(None, None, b'{"segment": "gold"}', id="no-message-key"),
        pytest.param("user_id", b"7", b'{"segment": "gold"}', id="no-key-field"),
        pytest.param("user_id", b"7", b'{"user_id": null}', id="null-key-field"),
        pytest.param("user_id", b"7", b'{"user_id": {"a": 1}}', id="object-key-field"),
    ],
)
def test_unusable_messages_are_counted_not_stored(
    key_field: str | None, key: bytes | None, value: bytes
) -> None:
    table = json_table(key_field)

    table.apply(key, value)

    assert len(table) == 0
    assert table.undecodable == 1


@pytest.mark.parametrize(
    ("key_field", "bad_value"),
    [
        pytest.param(None, b"garbage", id="undecodable"),
        pytest.param("user_id", b'{"segment": "gold"}', id="no-key-field"),
    ],
)
def test_an_unusable_update_leaves_no_stale_row(key_field: str | None, bad_value: bytes) -> None:
    """The table must equal what a fresh loader builds from the compacted topic.

    After compaction only the latest value of message key b"7" is left (the unusable one),
    so a worker that starts now has no row for 7. A worker that saw both messages must
    not keep serving the old row, or live and replay results differ.
    """
    live = json_table(key_field)
    live.apply(b"7", b'{"user_id": 7, "segment": "old"}')
    live.apply(b"7", bad_value)
    fresh = json_table(key_field)
    fresh.apply(b"7", bad_value)

    assert live.lookup_many([7]) == fresh.lookup_many([7]) == [None]
    assert len(live) == len(fresh) == 0
