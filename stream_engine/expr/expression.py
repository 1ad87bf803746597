"""A parsed expression and the result of evaluating it over one micro-batch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from stream_engine.expr.nodes import Batch, Node
from stream_engine.expr.vector import Kind, Vec, to_objects


@dataclass(frozen=True, eq=False)
class EvalResult:
    """One value per row, plus the rows that failed.

    `values` is an object Series on the frame's index holding Python bool, int, float, str
    (or an unsupported input value passed through, e.g. by coalesce) and None for null and
    for error rows. `errors` maps a row position (0-based) to a one-line message; the caller
    dead-letters those records with reason `eval_error`.
    """

    values: pd.Series
    errors: dict[int, str]
    _truth: npt.NDArray[np.bool_] | None = field(default=None, repr=False)

    def truth_mask(self) -> npt.NDArray[np.bool_]:
        """True where the value is exactly True and the row has no error (a filter keeps it)."""
        if self._truth is not None:
            return self._truth.copy()
        mask = np.fromiter((v is True for v in self.values), dtype=bool, count=len(self.values))
        if self.errors:
            mask[list(self.errors)] = False
        return mask


def _truth(vec: Vec) -> npt.NDArray[np.bool_]:
    if vec.kind is Kind.BOOL:
        mask = vec.data & ~vec.null
    elif vec.kind is Kind.OBJ:
        mask = np.fromiter((v is True for v in vec.data), dtype=bool, count=len(vec))
    else:
        mask = np.zeros(len(vec), dtype=bool)
    if vec.errors:
        mask[list(vec.errors)] = False
    return mask


class Expression:
    """A compiled expression: parse once with `parse()`, evaluate per micro-batch."""

    __slots__ = ("_root", "columns", "source")

    def __init__(self, source: str, root: Node, columns: frozenset[str]) -> None:
        self.source = source
        self.columns = columns
        self._root = root

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def evaluate(self, frame: pd.DataFrame) -> EvalResult:
        """Evaluate over every row of `frame`; never raises for bad data, see `errors`."""
        if len(frame) == 0:
            empty = pd.Series([], index=frame.index, dtype=object)
            return EvalResult(empty, {}, np.zeros(0, dtype=bool))
        with np.errstate(all="ignore"):
            vec = self._root.evaluate(Batch(frame))
        errors = dict(sorted(vec.errors.items()))
        values = pd.Series(to_objects(vec), index=frame.index, dtype=object, copy=False)
        return EvalResult(values, errors, _truth(vec))
