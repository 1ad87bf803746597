"""Range ends as the CLI and `replays` jobs write them: parsed the same way, errors in one line."""

from __future__ import annotations

import re

import pytest

from stream_engine.errors import ConfigError
from stream_engine.spec.replay_bounds import Bound, check_order, iso, parse_bound

NOW = 1_764_000_000_000  # 2025-11-24T16:00:00Z


@pytest.mark.parametrize(
    ("text", "option", "expected"),
    [
        ("earliest", "--from", Bound("earliest")),
        (" EARLIEST ", "--from", Bound("earliest")),
        ("latest", "--to", Bound("latest")),
        ("now", "--to", Bound("time", time_ms=NOW)),
        ("24h", "--from", Bound("time", time_ms=NOW - 86_400_000)),
        ("90s", "--from", Bound("time", time_ms=NOW - 90_000)),
        ("2025-11-24T15:00:00Z", "--from", Bound("time", time_ms=NOW - 3_600_000)),
        ("2025-11-24T17:00:00+01:00", "--to", Bound("time", time_ms=NOW)),
        ("2025-11-24T16:00:00", "--to", Bound("time", time_ms=NOW)),  # no zone: UTC
        ("2025-11-24T16:00:00.250Z", "--to", Bound("time", time_ms=NOW + 250)),
        ("0:1200,1:880", "--from", Bound("offsets", offsets=((0, 1200), (1, 880)))),
        ("3:5, 1:0", "--to", Bound("offsets", offsets=((1, 0), (3, 5)))),
    ],
)
def test_parse_bound(text: str, option: str, expected: Bound) -> None:
    assert parse_bound(text, NOW, option) == expected


@pytest.mark.parametrize(
    ("text", "option", "fragment"),
    [
        ("latest", "--from", "latest is only an end"),
        ("earliest", "--to", "earliest is only a start"),
        ("yesterday", "--from", "expected earliest, latest, now"),
        ("1.5h", "--from", "fractions are not supported"),
        ("0:12,x:3", "--from", "'x:3' is not partition:offset"),
        ("0:-1", "--from", "expected earliest"),
        ("0:1,0:2", "--to", "partition 0 is given twice"),
        ("2025-13-01T00:00:00Z", "--to", "expected earliest"),
    ],
)
def test_bad_bounds_are_one_line_errors(text: str, option: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_bound(text, NOW, option)
    message = str(info.value)
    assert fragment in message and option in message and "\n" not in message, message


def test_order_is_checked_where_it_can_be_without_a_broker() -> None:
    with pytest.raises(
        ConfigError, match=re.escape("--from 2025-11-24T16:00:00.000Z is after --to")
    ):
        check_order(parse_bound("now", NOW), parse_bound("1h", NOW, "--to"))
    with pytest.raises(ConfigError, match="offset 9 is after --to offset 3 in partition 1"):
        check_order(parse_bound("1:9", NOW), parse_bound("0:1,1:3", NOW, "--to"))
    check_order(parse_bound("2h", NOW), parse_bound("now", NOW, "--to"))  # in order
    check_order(parse_bound("0:5", NOW), parse_bound("1:3", NOW, "--to"))  # other partitions
    check_order(parse_bound("earliest", NOW), parse_bound("0:0", NOW, "--to"))


def test_describe_round_trips() -> None:
    for text in ("earliest", "latest", "0:1200,1:880"):
        option = "--to" if text == "latest" else "--from"
        assert (
            parse_bound(parse_bound(text, NOW, option).describe(), NOW, option).describe() == text
        )
    assert iso(NOW) == "2025-11-24T16:00:00.000Z"
    assert parse_bound(iso(NOW + 7), NOW).time_ms == NOW + 7
