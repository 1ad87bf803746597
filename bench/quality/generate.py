"""The benchmark's dataset: N rows, 10 columns, with known numbers of bad values per check.

Generation is seeded, so every run validates the same file. The expected failing counts are
computed here with plain numpy, independently of every validator, and written beside the
file; the benchmark asserts that all validators report exactly these counts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR"]
STATUSES = ["new", "paid", "shipped", "cancelled"]
EMAIL_REGEX = r"^[a-z0-9._]+@[a-z0-9]+\.[a-z]{2,}$"
AMOUNT_RANGE = (0.0, 10_000.0)
QUANTITY_RANGE = (1, 100)


def _bad(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A mask choosing about `share` of the rows."""
    return rng.random(n) < share


def generate(rows: int, seed: int = 7) -> tuple[pa.Table, dict[str, int]]:
    rng = np.random.default_rng(seed)
    ids = np.char.add("e", np.arange(rows).astype("U9")).astype(object)
    duplicate_of = np.flatnonzero(_bad(rng, rows, 0.0002))
    duplicate_of = duplicate_of[duplicate_of > 0]
    ids[duplicate_of] = ids[duplicate_of - 1]  # a pair: the row and the one before

    amount = np.round(rng.uniform(*AMOUNT_RANGE, rows), 2)
    amount[_bad(rng, rows, 0.001)] *= -1
    quantity = rng.integers(QUANTITY_RANGE[0], QUANTITY_RANGE[1] + 1, rows)
    quantity[_bad(rng, rows, 0.0005)] = 0
    country = np.array(COUNTRIES, dtype=object)[rng.integers(0, len(COUNTRIES), rows)]
    country[_bad(rng, rows, 0.0007)] = "XX"
    country[_bad(rng, rows, 0.0004)] = None
    status = np.array(STATUSES, dtype=object)[rng.integers(0, len(STATUSES), rows)]
    status[_bad(rng, rows, 0.00025)] = "unknown"
    user_id = rng.integers(1, 50_001, rows)
    email = np.char.add(np.char.add("user", user_id.astype("U6")), "@example.com").astype(object)
    bad_email = _bad(rng, rows, 0.0009)
    email[bad_email] = np.char.replace(email[bad_email].astype(str), "@", "#").astype(object)
    discount = np.round(np.abs(amount) * rng.uniform(0, 0.3, rows), 2)
    over = _bad(rng, rows, 0.0006)
    discount[over] = np.abs(amount[over]) + 1.0
    ts = np.datetime64("2026-01-01T00:00:00", "ms") + rng.integers(0, 86_400_000 * 30, rows)
    referrer = np.array(["google", "bing", "direct"], dtype=object)[rng.integers(0, 3, rows)]
    referrer[_bad(rng, rows, 0.3)] = None

    table = pa.table(
        {
            "event_id": pa.array(ids, pa.string()),
            "user_id": pa.array(user_id, pa.int64()),
            "amount": pa.array(amount, pa.float64()),
            "quantity": pa.array(quantity, pa.int64()),
            "country": pa.array(country, pa.string()),
            "status": pa.array(status, pa.string()),
            "email": pa.array(email, pa.string()),
            "ts": pa.array(ts, pa.timestamp("ms")),
            "discount": pa.array(discount, pa.float64()),
            "referrer": pa.array(referrer, pa.string()),
        }
    )
    return table, expected_failures(table)


def expected_failures(table: pa.Table) -> dict[str, int]:
    """Failing rows per check, by brute force over plain Python/numpy values."""
    import re

    col = {name: table.column(name).to_pylist() for name in table.column_names}
    ids = col["event_id"]
    counts: dict[str, int] = {}
    for v in ids:
        counts[v] = counts.get(v, 0) + 1
    pattern = re.compile(EMAIL_REGEX)
    return {
        # every row whose id occurs more than once (pandera and GE count all of them)
        "unique_event_id_rows": sum(1 for v in ids if counts[v] > 1),
        "unique_event_id_repeats": sum(c - 1 for c in counts.values() if c > 1),
        "not_null_country": sum(v is None for v in col["country"]),
        "range_amount": sum(not AMOUNT_RANGE[0] <= v <= AMOUNT_RANGE[1] for v in col["amount"]),
        "range_quantity": sum(
            not QUANTITY_RANGE[0] <= v <= QUANTITY_RANGE[1] for v in col["quantity"]
        ),
        "allowed_country": sum(v is not None and v not in COUNTRIES for v in col["country"]),
        "allowed_status": sum(v not in STATUSES for v in col["status"]),
        "regex_email": sum(pattern.match(v) is None for v in col["email"]),
        "expression_discount": sum(
            not d <= a for d, a in zip(col["discount"], col["amount"], strict=True)
        ),
        "types": 0,
    }


def write(path: Path, rows: int, seed: int = 7) -> dict[str, Any]:
    """Write the file (if missing or of another size) and return the expected counts."""
    sidecar = path.with_suffix(".expected.json")
    if path.exists() and sidecar.exists():
        known = json.loads(sidecar.read_text())
        if known.get("rows") == rows and known.get("seed") == seed:
            return dict(known)
    table, expected = generate(rows, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    info = {"rows": rows, "seed": seed, "expected": expected}
    sidecar.write_text(json.dumps(info, indent=2))
    return info
