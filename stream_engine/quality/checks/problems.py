"""A record-level problem: which rows fail, and how to word the failure of one row.

Masks are computed vectorized for every row; words are built only for the rows a caller
reports (every dead letter in a stream, a few samples offline), so a million failing
rows in a file never cost a million formatted strings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stream_engine.quality.checks.values import Mask, quote


@dataclass(frozen=True)
class Problem:
    mask: Mask
    describe: Callable[[int], str]  # row position -> one line quoting the failing value


def value_problem(series: pd.Series, mask: Mask, column: str, why: str) -> Problem:
    """``<column>=<value> <why>`` for each failing row.

    Values are looked up per described row: converting the whole column to objects up front
    cost more than every check together on a 1M-row timestamp column (bench/quality).
    """
    return Problem(mask, lambda pos: f"{column}={quote(series.iloc[pos])} {why}")


def first_problems(problems: Sequence[Problem], rows: int) -> tuple[Mask, list[Mask]]:
    """The rows failing any problem, and per problem the rows it is the first one for."""
    remaining = np.ones(rows, dtype=bool)
    firsts: list[Mask] = []
    for problem in problems:
        first = problem.mask & remaining
        firsts.append(first)
        remaining &= ~first
    return ~remaining, firsts


def describe_rows(
    problems: Sequence[Problem], rows: int, positions: Sequence[int] | None = None
) -> dict[int, str]:
    """Row position -> its first problem's words, for ``positions`` (default: every failure)."""
    failing, firsts = first_problems(problems, rows)
    wanted = np.flatnonzero(failing) if positions is None else np.asarray(positions, dtype=int)
    out: dict[int, str] = {}
    for pos in wanted.tolist():
        for problem, first in zip(problems, firsts, strict=True):
            if first[pos]:
                out[pos] = problem.describe(pos)
                break
    return out
