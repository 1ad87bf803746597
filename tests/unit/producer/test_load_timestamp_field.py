"""`stream-engine load --timestamp FIELD`: a value Kafka cannot carry is a row error."""

from __future__ import annotations

from typing import Any

import pytest

from stream_engine.cli.load import _timestamp_ms


@pytest.mark.parametrize(
    "raw",
    [2**63, 123456789012345678901234567890, -1, 1e300, float("inf"), float("nan"), "1900-01-01"],
)
def test_out_of_range_epoch_values_are_value_errors(raw: Any) -> None:
    with pytest.raises(ValueError, match="timestamp field 'ts'"):
        _timestamp_ms({"ts": raw}, "ts")


def test_epoch_ms_and_iso_times_pass() -> None:
    assert _timestamp_ms({"ts": 1_700_000_000_000}, "ts") == 1_700_000_000_000
    assert _timestamp_ms({"ts": 1.5}, "ts") == 1
    assert _timestamp_ms({"ts": "1970-01-01T00:00:01Z"}, "ts") == 1000
