"""dim_date: one row per calendar day, keyed by the yyyymmdd integer facts carry.

Fiscal years are named after the calendar year they end in: with a start month of 4, April
2024 to March 2025 is fiscal year 2025, and April is fiscal month 1. Holidays come from a
file of `YYYY-MM-DD[,name]` lines (a `date,name` header and `#` comments are skipped).
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Any

from stream_engine.errors import ConfigError

MAX_DAYS = 100 * 366


def date_key(day: dt.date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def fiscal_period(day: dt.date, start_month: int) -> tuple[int, int, int]:
    """(fiscal year, fiscal quarter, fiscal month) of a day."""
    month = (day.month - start_month) % 12 + 1
    year = day.year + 1 if start_month != 1 and day.month >= start_month else day.year
    return year, (month - 1) // 3 + 1, month


def read_holidays(path: Path) -> dict[dt.date, str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the holiday file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    holidays: dict[dt.date, str] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#") or text.lower().startswith("date"):
            continue
        day_text, _, name = text.partition(",")
        try:
            day = dt.date.fromisoformat(day_text.strip())
        except ValueError:
            raise ConfigError(
                f"{path}:{number}: expected YYYY-MM-DD[,name], got {text!r}"
            ) from None
        holidays[day] = name.strip().strip('"') or "holiday"
    return holidays


def dim_date_rows(
    start: dt.date,
    end: dt.date,
    fiscal_start_month: int = 1,
    holidays: dict[dt.date, str] | None = None,
) -> list[dict[str, Any]]:
    """Every day from start to end inclusive."""
    if end < start:
        raise ConfigError(f"--to {end} is before --from {start}")
    if (end - start).days > MAX_DAYS:
        raise ConfigError(f"at most {MAX_DAYS} days at once (100 years)")
    if not 1 <= fiscal_start_month <= 12:
        raise ConfigError(f"--fiscal-start-month must be 1..12, got {fiscal_start_month}")
    holidays = holidays or {}
    rows = []
    day = start
    while day <= end:
        fy, fq, fm = fiscal_period(day, fiscal_start_month)
        iso = day.isocalendar()
        rows.append(
            {
                "date_key": date_key(day),
                "date": day,
                "year": day.year,
                "quarter": (day.month - 1) // 3 + 1,
                "month": day.month,
                "month_name": calendar.month_name[day.month],
                "day": day.day,
                "day_of_week": iso.weekday,  # 1 = Monday ... 7 = Sunday (ISO)
                "day_name": calendar.day_name[day.weekday()],
                "iso_week": iso.week,
                "is_weekend": iso.weekday >= 6,
                "is_holiday": day in holidays,
                "holiday_name": holidays.get(day),
                "fiscal_year": fy,
                "fiscal_quarter": fq,
                "fiscal_month": fm,
            }
        )
        day += dt.timedelta(days=1)
    return rows
