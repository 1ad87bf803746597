"""dim_date rows checked against independent calendar arithmetic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from stream_engine.errors import ConfigError
from stream_engine.warehouse.dim_date import dim_date_rows, fiscal_period, read_holidays


def test_every_day_once_with_calendar_fields() -> None:
    rows = dim_date_rows(dt.date(2023, 12, 30), dt.date(2024, 3, 1))
    assert len(rows) == 63  # 2 + 31 + 29 (leap year) + 1
    first = rows[0]
    assert first["date_key"] == 20231230 and first["day_name"] == "Saturday"
    assert first["is_weekend"] is True and first["day_of_week"] == 6
    leap = next(r for r in rows if r["date_key"] == 20240229)
    assert (leap["quarter"], leap["month_name"], leap["iso_week"]) == (1, "February", 9)
    keys = [r["date_key"] for r in rows]
    assert keys == sorted(set(keys))


@pytest.mark.parametrize(
    ("day", "start", "expected"),
    [
        (dt.date(2024, 3, 31), 4, (2024, 4, 12)),
        (dt.date(2024, 4, 1), 4, (2025, 1, 1)),
        (dt.date(2024, 9, 30), 7, (2025, 1, 3)),
        (dt.date(2024, 10, 1), 7, (2025, 2, 4)),
        (dt.date(2024, 12, 31), 1, (2024, 4, 12)),
    ],
)
def test_fiscal_periods(day: dt.date, start: int, expected: tuple[int, int, int]) -> None:
    assert fiscal_period(day, start) == expected


def test_holidays_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text("date,name\n# national\n2024-12-25,Christmas Day\n2024-01-01\n")
    rows = dim_date_rows(dt.date(2024, 1, 1), dt.date(2024, 12, 31), holidays=read_holidays(path))
    flagged = [(r["date_key"], r["holiday_name"]) for r in rows if r["is_holiday"]]
    assert flagged == [(20240101, "holiday"), (20241225, "Christmas Day")]
    path.write_text("2024-13-01,Bad\n")
    with pytest.raises(
        ConfigError, match=r"holidays.csv:1: expected YYYY-MM-DD\[,name\], got '2024-13-01,Bad'"
    ):
        read_holidays(path)


def test_bad_ranges() -> None:
    with pytest.raises(ConfigError, match="before --from"):
        dim_date_rows(dt.date(2024, 2, 1), dt.date(2024, 1, 1))
    with pytest.raises(ConfigError, match=r"1\.\.12"):
        dim_date_rows(dt.date(2024, 1, 1), dt.date(2024, 1, 2), fiscal_start_month=13)


def test_a_binary_holiday_file_is_a_config_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "holidays.txt"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ConfigError, match=r"holidays\.txt: not UTF-8 text"):
        read_holidays(path)
