"""Large frames check uniqueness in a thread beside the record checks: same results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import stream_engine.quality.engine as engine
from stream_engine.quality.loader import parse_rules

RULES = """
tables:
  t:
    schema:
      - {column: id, type: string, nullable: false}
      - {column: email, type: string, regex: '^[a-z]+@[a-z]+\\\\.com$'}
    checks:
      - {type: uniqueness, column: id}
      - {type: uniqueness, columns: [a, b]}
      - {type: range, column: a, min: 0, max: 50}
"""


def _frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    ids = rng.integers(0, rows // 2, rows).astype(str)
    ids[::97] = None
    return pd.DataFrame(
        {
            "id": pd.array(ids, dtype="str"),
            "email": np.where(rng.random(rows) < 0.1, "bad", "x@y.com"),
            "a": rng.integers(-5, 60, rows),
            "b": rng.integers(0, 3, rows),
        }
    )


def test_parallel_and_serial_results_are_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    table = parse_rules(yaml.safe_load(RULES), "rules.yaml").tables["t"]
    frame = _frame(5_000)
    monkeypatch.setattr(engine, "PARALLEL_ROWS", 10**9)
    serial = engine.evaluate_dataset(frame, table, now=0)
    monkeypatch.setattr(engine, "PARALLEL_ROWS", 1)
    parallel = engine.evaluate_dataset(frame, table, now=0)
    assert [r.rule for r in parallel] == [r.rule for r in serial]
    assert parallel == serial
    unique_id = next(r for r in serial if r.type == "uniqueness" and r.columns == ("id",))
    expected = int(frame["id"].dropna().duplicated().sum())
    assert unique_id.failing == expected > 0
