"""Record-level checks: range, expression, referential integrity (one vectorized pass each)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

import numpy as np
import pandas as pd

from stream_engine.expr import Expression
from stream_engine.quality.checks.problems import Problem, value_problem
from stream_engine.quality.checks.values import Mask, column, null_mask, numbers, quote
from stream_engine.quality.rules import RangeCheck, ReferentialIntegrityCheck


def _number(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else repr(bound)


def range_problems(frame: pd.DataFrame, check: RangeCheck) -> list[Problem]:
    """Non-numbers and values outside [min, max]; nulls are left to ``nullable``."""
    series = column(frame, check.column)
    values, not_number = numbers(series)
    problems = [value_problem(series, not_number, check.column, "is not a number")]
    with np.errstate(invalid="ignore"):
        if check.min is not None:
            low = values < check.min
            problems.append(
                value_problem(
                    series, low, check.column, f"is below the minimum {_number(check.min)}"
                )
            )
        if check.max is not None:
            high = values > check.max
            problems.append(
                value_problem(
                    series, high, check.column, f"is above the maximum {_number(check.max)}"
                )
            )
    return problems


def expression_problems(frame: pd.DataFrame, check_expr: Expression) -> list[Problem]:
    """Rows where the expression is not true: false, null, or an evaluation error."""
    needed = {c: column(frame, c) for c in sorted(check_expr.columns)}
    # Typed columns stay typed: the expression language takes numpy's fast route for them.
    view = pd.DataFrame(
        {c: s.reset_index(drop=True) for c, s in needed.items()}, index=pd.RangeIndex(len(frame))
    )
    result = check_expr.evaluate(view)
    true = result.truth_mask()
    errors = result.errors
    error_mask = np.zeros(len(frame), dtype=bool)
    if errors:
        error_mask[list(errors)] = True
    values = result.values  # looked up per described row, never converted whole
    source = check_expr.source

    def inputs(pos: int) -> str:
        shown = ", ".join(f"{c}={quote(v.iloc[pos])}" for c, v in needed.items())
        return f" for {shown}" if shown else ""

    def failed(pos: int) -> str:
        return f"expression failed{inputs(pos)}: {errors[pos]}"

    def untrue(pos: int) -> str:
        return f"expression {source!r} is {quote(values.iloc[pos])}{inputs(pos)}"

    return [Problem(error_mask, failed), Problem(~true & ~error_mask, untrue)]


class LiveReference(Protocol):
    """Reference values that change while a stream runs (a pipeline's reference table)."""

    def contains_many(self, values: pd.Series) -> Mask: ...


Reference = Collection[object] | LiveReference


def referential_problems(
    frame: pd.DataFrame, check: ReferentialIntegrityCheck, allowed: Reference
) -> list[Problem]:
    """Non-null values missing from the reference's values."""
    series = column(frame, check.column)
    null = null_mask(series)
    if hasattr(allowed, "contains_many"):
        found = np.asarray(allowed.contains_many(series), dtype=bool)
    else:
        reference = allowed if isinstance(allowed, pd.Series | pd.Index) else list(allowed)
        try:
            found = series.isin(reference).to_numpy(dtype=bool)
        except TypeError:  # unhashable values (lists, maps) can never be reference keys
            found = np.zeros(len(series), dtype=bool)
    where = check.reference.file or check.reference.topic or check.reference.table or ""
    return [value_problem(series, ~null & ~found, check.column, f"is not in the reference {where}")]
