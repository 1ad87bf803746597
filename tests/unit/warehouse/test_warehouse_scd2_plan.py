"""SCD2 history in memory against a brute-force reference (the value valid at each instant)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from connectors.sql.scd2_plan import OPEN_END, Version, apply_version


def t(n: int) -> dt.datetime:
    return dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n)


def reference(observations: list[tuple[int, str]]) -> list[tuple[str, int, int | None]]:
    """(value, from, to) runs: the value at time x is the last observation at or before x."""
    at: dict[int, str] = {}
    for when, value in observations:  # the later of two at the same time wins
        at[when] = value
    runs: list[tuple[str, int, int | None]] = []
    for when in sorted(at):
        if runs and runs[-1][0] == at[when]:
            continue
        if runs:
            runs[-1] = (runs[-1][0], runs[-1][1], when)
        runs.append((at[when], when, None))
    return runs


def history(versions: list[Version]) -> list[tuple[str, int, int | None]]:
    base = t(0)
    out = []
    for v in versions:
        end = (
            None if v.expiration == OPEN_END else int((v.expiration - base).total_seconds()) // 3600
        )
        out.append((v.tracked["segment"], int((v.effective - base).total_seconds()) // 3600, end))
    return out


@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from("abc")), max_size=25))
def test_in_order_observations_give_the_reference_history(obs: list[tuple[int, str]]) -> None:
    ordered = sorted(obs, key=lambda o: o[0])  # the sink applies a batch in event-time order
    versions: list[Version] = []
    for when, value in ordered:
        apply_version(versions, {"segment": value}, t(when))
    assert history(versions) == reference(ordered)
    assert sum(v.is_current for v in versions) == (1 if versions else 0)
    # applying everything again (a redelivery) changes nothing
    before = history(versions)
    for when, value in ordered:
        apply_version(versions, {"segment": value}, t(when))
    assert history(versions) == before


def test_a_record_older_than_the_first_version_ends_where_it_starts() -> None:
    versions: list[Version] = []
    apply_version(versions, {"segment": "b"}, t(10))
    apply_version(versions, {"segment": "a"}, t(2))
    assert history(versions) == [("a", 2, 10), ("b", 10, None)]


def test_an_identical_version_changes_nothing() -> None:
    versions = [Version(7, {"segment": "a", "n": 1}, t(0))]
    apply_version(versions, {"segment": "a", "n": 1.0}, t(5))  # 1 and 1.0 are the same value
    assert versions == [Version(7, {"segment": "a", "n": 1}, t(0))]
    assert not versions[0].changed
