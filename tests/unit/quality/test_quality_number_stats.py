"""Running statistics on extreme values: no numpy warnings leak onto the user's stderr."""

from __future__ import annotations

import warnings

import numpy as np

from stream_engine.quality.checks.stats import NumberStats


def test_values_near_the_float_limit_give_no_runtime_warning() -> None:
    stats = NumberStats()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats.add(np.array([1.5, -1e308, 1.2e29]))
        stats.add(np.array([1e308]))
        stats.stddev, stats.mean  # computed under the same filter  # noqa: B018
    assert stats.count == 4
    assert stats.low == -1e308 and stats.high == 1e308
