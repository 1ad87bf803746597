"""parse_duration / Duration: the text forms accepted in pipeline files and CLI arguments."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream_engine.spec import Duration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("500ms", 500),
        ("30s", 30_000),
        ("5m", 300_000),
        ("2h", 7_200_000),
        ("1d", 86_400_000),
        ("7d", 604_800_000),
        ("0", 0),
        ("0s", 0),
        (" 15s ", 15_000),
    ],
)
def test_parses(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "7",
            "invalid duration '7': expected a whole number followed by a unit: ms, s, m, h or d "
            "(e.g. 500ms, 30s, 5m, 2h, 7d)",
        ),
        ("1.5h", "invalid duration '1.5h': fractions are not supported, write 90m"),
        ("0.5s", "invalid duration '0.5s': fractions are not supported, write 500ms"),
        (
            "0.5ms",
            "invalid duration '0.5ms': fractions are not supported and the smallest unit is 1ms",
        ),
        (
            "",
            "invalid duration '': expected a whole number followed by a unit: ms, s, m, h or d "
            "(e.g. 500ms, 30s, 5m, 2h, 7d)",
        ),
        (
            "5 m",
            "invalid duration '5 m': expected a whole number followed by a unit: ms, s, m, h or d "
            "(e.g. 500ms, 30s, 5m, 2h, 7d)",
        ),
        (
            "-5s",
            "invalid duration '-5s': expected a whole number followed by a unit: ms, s, m, h or d "
            "(e.g. 500ms, 30s, 5m, 2h, 7d)",
        ),
        (
            "1w",
            "invalid duration '1w': expected a whole number followed by a unit: ms, s, m, h or d "
            "(e.g. 500ms, 30s, 5m, 2h, 7d)",
        ),
        ("99999999999999999d", "invalid duration '99999999999999999d': too large"),
    ],
)
def test_rejects_with_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "0ms"), (1, "1ms"), (1500, "1500ms"), (60_000, "1m"), (90_000, "90s"), (86_400_000, "1d")],
)
def test_formats_in_largest_exact_unit(ms: int, text: str) -> None:
    assert format_duration(ms) == text


@given(st.integers(min_value=0, max_value=10**15))
def test_format_parses_back(ms: int) -> None:
    assert parse_duration(format_duration(ms)) == ms


def test_duration_value() -> None:
    wait = Duration.parse("1500ms")
    assert wait.ms == 1500
    assert wait.seconds == 1.5
    assert str(wait) == "1500ms"
    assert Duration(1000) < Duration(2000)
    with pytest.raises(ValueError):
        Duration(-1)
