"""A running reference table equals a fresh read of the compacted topic, whatever happened."""

from hypothesis import given, settings
from hypothesis import strategies as st

from stream_engine.serde import make_decoder
from stream_engine.topology import ReferenceTable

MESSAGE_KEYS = st.sampled_from([b"k0", b"k1", b"k2", b"k3"])
VALUES = st.one_of(
    st.none(),  # tombstone
    st.just(b"garbage"),  # undecodable
    st.builds(
        lambda user, n: f'{{"user_id": "{user}", "v": {n}}}'.encode(),
        st.sampled_from(["A", "B"]),
        st.integers(0, 1000),
    ),
)


def _compacted(log: list[tuple[bytes, bytes | None]]) -> list[tuple[bytes, bytes | None]]:
    """What compaction leaves: the last record per message key, in log order."""
    last = {key: i for i, (key, _) in enumerate(log)}
    return [rec for i, rec in enumerate(log) if last[rec[0]] == i]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(MESSAGE_KEYS, VALUES), max_size=30), st.sampled_from(["user_id", None]))
def test_live_table_matches_a_fresh_read_after_compaction(
    log: list[tuple[bytes, bytes | None]], key_field: str | None
) -> None:
    live = ReferenceTable("users", key_field, make_decoder("json"))
    for key, value in log:
        live.apply(key, value)
    fresh = ReferenceTable("users", key_field, make_decoder("json"))
    for key, value in _compacted(log):
        fresh.apply(key, value)
    lookups = ["A", "B", "k0", "k1", "k2", "k3"]
    assert live.lookup_many(lookups) == fresh.lookup_many(lookups)
    assert len(live) == len(fresh)
