"""Accounting, as a property: nothing is dropped silently and batch boundaries never matter.

Random batches mix good records, wrong types, unknown users and garbage bytes, and run
through enrich -> filter -> map -> two sinks. Every input must end as exactly one of:
an output in every sink, a counted filter or drop decision, or one dead letter.
"""

from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream_engine.spec import parse_pipeline
from stream_engine.topology import BatchCounters, BatchResult, MicroBatch, Record, Topology

POLICIES = ("keep", "drop", "dead_letter")
USERS: dict[str, dict[str, Any]] = {
    "1": {"segment": "gold", "limit": 100},
    "2": {"segment": "silver", "limit": 0},
    "3": {"segment": None, "limit": "n/a"},
}
SINKS = ("enriched", "slim")


@cache
def topology(missing: str) -> Topology:
    data = {
        "pipeline": "accounting",
        "version": 1,
        "sources": {"events": {"topic": "events-in"}},
        "reference": {"users": {"topic": "users"}},
        "steps": [
            {"enrich": {"table": "users", "on": "user_id", "missing": missing}},
            {"filter": "amount > 10 or segment == 'gold'"},
            {"map": {"double": "amount * 2", "ratio": "1000 / amount", "amount": "limit"}},
        ],
        "sinks": {
            "enriched": {"topic": "enriched", "key": "user_id"},
            "slim": {"topic": "slim", "fields": ["user_id", "double"]},
        },
    }
    built = Topology.build(parse_pipeline(data, "pipeline.yaml", base_dir=Path.cwd()))
    for key, row in USERS.items():
        built.tables["users"].put(key, row)
    return built


# Values that orjson can write: 64-bit integers, finite floats, short text, and containers.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=4,
)
known_ids = st.sampled_from([1, 2, 3, "1", "2", 2.0, 3.0])
user_ids = st.one_of(known_ids, known_ids, st.sampled_from([9, "9", 1.5]), json_values)
amounts = st.integers(-20, 40) | st.floats(-50, 50) | st.sampled_from([0, 0.0]) | json_values
extras = {"segment": json_values, "note": json_values}
objects = st.fixed_dictionaries({"user_id": user_ids, "amount": amounts}, optional=extras) | (
    st.fixed_dictionaries({}, optional={"user_id": user_ids, "amount": amounts, **extras})
)
junk = st.one_of(
    json_values.map(orjson.dumps),  # valid JSON, mostly not an object
    st.binary(max_size=12),
    st.none(),
    st.sampled_from([b"", b"[]", b'{"amount": NaN}', b'{"user_id": "\xff"}', b"{"]),
)
# One value in five is junk: objects are what reach enrich, filter, map and the sinks.
values = st.sampled_from(range(5)).flatmap(lambda n: junk if n == 0 else objects.map(orjson.dumps))
headers = st.lists(st.tuples(st.text(max_size=3), st.binary(max_size=3)), max_size=2).map(tuple)


@st.composite
def batches(draw: st.DrawFn) -> list[Record]:
    first = draw(st.integers(0, 10**12))
    count = draw(st.integers(0, 25))
    return [
        Record(
            key=draw(st.none() | st.binary(max_size=4)),
            value=draw(values),
            topic="events-in",
            partition=2,
            offset=first + i,
            timestamp_ms=draw(st.integers(0, 2**41)),
            headers=draw(headers),
        )
        for i in range(count)
    ]


@st.composite
def splits(draw: st.DrawFn, records: list[Record]) -> list[list[Record]]:
    cuts = draw(st.sets(st.integers(1, max(len(records) - 1, 1)), max_size=5))
    bounds = [0, *sorted(c for c in cuts if c < len(records)), len(records)]
    return [records[a:b] for a, b in pairwise(bounds)]


def check_accounting(records: list[Record], result: BatchResult) -> None:
    counters = result.counters
    assert counters.records_in == len(records)
    assert counters.balanced(), counters

    by_offset = {r.offset: r for r in records}
    per_sink = {s: [o.origin.offset for o in result.outputs if o.sink == s] for s in SINKS}
    passed = per_sink[SINKS[0]]
    for sink, offsets in per_sink.items():
        assert offsets == sorted(set(offsets)), f"{sink}: duplicated or out of offset order"
        assert offsets == passed, "every sink gets every passed record"
        assert counters.out[sink] == len(offsets)
    assert counters.passed == len(passed)

    dead = [d.offset for d in result.dead_letters]
    assert len(dead) == len(set(dead)), "a record was dead-lettered twice"
    assert not set(dead) & set(passed), "a record was both emitted and dead-lettered"
    assert set(dead) | set(passed) <= set(by_offset)
    unaccounted = len(records) - len(passed) - len(dead)
    assert unaccounted == sum(counters.filtered.values()) + sum(counters.dropped.values())
    assert sum(counters.dead.values()) == len(dead)

    for letter in result.dead_letters:
        original = by_offset[letter.offset]
        assert (letter.key, letter.value, letter.headers) == (
            original.key,
            original.value,
            original.headers,
        )
        assert (letter.topic, letter.partition) == ("events-in", 2)
        assert letter.timestamp_ms == original.timestamp_ms
    for out in result.outputs:
        assert out.origin is by_offset[out.origin.offset]


def outputs_of(results: list[BatchResult]) -> list[tuple[Any, ...]]:
    return [
        (o.sink, o.topic, o.key, o.value, o.timestamp_ms, o.headers, o.origin.offset)
        for r in results
        for o in r.outputs
    ]


def dead_letters_of(results: list[BatchResult]) -> list[tuple[Any, ...]]:
    letters = [
        (d.offset, d.reason, d.stage, d.rule, d.message, d.key, d.value, d.headers)
        for r in results
        for d in r.dead_letters
    ]
    return sorted(letters, key=lambda t: t[0])


def totals(results: list[BatchResult]) -> BatchCounters:
    total = BatchCounters()
    for r in results:
        total.add(r.counters)
    return total


SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(missing=st.sampled_from(POLICIES), records=batches())
def test_every_record_is_accounted_for_exactly_once(missing: str, records: list[Record]) -> None:
    result = topology(missing).process(MicroBatch("events", records))

    check_accounting(records, result)
    if missing != "drop":
        assert not result.counters.dropped


@SETTINGS
@given(missing=st.sampled_from(POLICIES), records=batches(), data=st.data())
def test_batch_boundaries_never_change_a_result(
    missing: str, records: list[Record], data: st.DataObject
) -> None:
    parts = data.draw(splits(records), label="batches")
    whole = [topology(missing).process(MicroBatch("events", records))]
    split = [topology(missing).process(MicroBatch("events", part)) for part in parts]

    for part, result in zip(parts, split, strict=True):
        check_accounting(part, result)
    assert outputs_of(split) == outputs_of(whole)
    assert dead_letters_of(split) == dead_letters_of(whole)
    assert totals(split) == totals(whole)


def test_the_strategies_reach_every_outcome() -> None:
    """A fixed batch that hits each way out, so the property tests are not vacuous."""
    rows = [
        {"user_id": 1, "amount": 20},  # passes
        {"user_id": 2, "amount": 5},  # filtered (silver, small amount)
        {"user_id": 9, "amount": 20},  # missing user
        {"user_id": 1, "amount": 0},  # gold passes the filter, 1000 / 0 fails in map
        {"user_id": 2, "amount": "x"},  # 'x' > 10 fails in the filter
        {"user_id": 1, "amount": 20, "note": None},  # passes
    ]
    records = [Record(b"k", orjson.dumps(r), "events-in", 2, i, 0) for i, r in enumerate(rows)]
    records.append(Record(b"k", b"junk", "events-in", 2, 6, 0))

    result = topology("dead_letter").process(MicroBatch("events", records))

    check_accounting(records, result)
    assert result.counters.passed == 2
    assert result.counters.filtered == {"steps[1]": 1}
    assert result.counters.dead == {
        ("decode", "decode"): 1,
        ("enrich", "missing_reference"): 1,
        ("filter", "eval_error"): 1,
        ("map", "eval_error"): 1,
    }
    slim = [o.record for o in result.outputs if o.sink == "slim"]
    assert slim == [{"user_id": 1, "double": 40}, {"user_id": 1, "double": 40}]
    dropped = topology("drop").process(MicroBatch("events", records))
    check_accounting(records, dropped)
    assert dropped.counters.dropped == {"steps[0]": 1}
