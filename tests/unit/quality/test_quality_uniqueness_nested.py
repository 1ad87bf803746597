"""Uniqueness over nested values as Parquet gives them (numpy arrays, dicts holding arrays)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stream_engine.quality.checks.uniqueness import duplicate_rows


def test_arrays_and_maps_with_arrays_compare_by_value() -> None:
    long = np.arange(5000)
    frame = pd.DataFrame(
        {
            "m": [np.array([1, 2]), np.array([1, 2]), np.array([2, 1]), long, long.copy() + 0],
            "n": [{"a": np.array([1])}, {"a": np.array([1])}, None, {"a": long}, {"a": long}],
        }
    )
    assert duplicate_rows(frame, ("m",)).tolist() == [False, True, False, False, True]
    assert duplicate_rows(frame, ("m", "n")).tolist() == [False, True, False, False, True]
    # two long arrays differing in the middle are not the same key (no "..." truncation)
    other = long.copy()
    other[2500] = -1
    frame = pd.DataFrame({"m": [long, other]})
    assert duplicate_rows(frame, ("m",)).tolist() == [False, False]
