"""The steps between decode and the sinks. Each mutates the working set and never does I/O."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from stream_engine.expr import Expression
from stream_engine.topology.reference import ReferenceTable
from stream_engine.topology.working import WorkingSet


class Step(Protocol):
    name: str  # the metric label: enrich, filter, map
    path: str  # where it is in the file: steps[2]

    def apply(self, work: WorkingSet) -> None: ...


def frame_for(work: WorkingSet, expr: Expression) -> pd.DataFrame:
    """The columnar view an expression needs: only the columns it names."""
    n = len(work)
    if not expr.columns:
        return pd.DataFrame(index=pd.RangeIndex(n))
    data = {c: pd.Series(work.column(c), dtype=object) for c in sorted(expr.columns)}
    return pd.DataFrame(data, index=pd.RangeIndex(n))


class EnrichStep:
    name = "enrich"

    def __init__(
        self,
        path: str,
        table: ReferenceTable,
        on: str,
        fields: list[str] | None,
        missing: str,
        prefix: str,
    ) -> None:
        self.path = path
        self.table = table
        self.on = on
        self.fields = fields
        self.missing = missing
        self.prefix = prefix

    def apply(self, work: WorkingSet) -> None:
        rows = self.table.lookup_many(work.column(self.on))
        missing: list[int] = []
        fields, prefix = self.fields, self.prefix
        for pos, (value, row) in enumerate(zip(work.values, rows, strict=True)):
            if row is None:
                missing.append(pos)
                if self.missing == "keep" and fields:
                    for f in fields:
                        value.setdefault(prefix + f, None)
                continue
            if fields is None:
                for f, v in row.items():
                    value[prefix + f] = v
            else:
                for f in fields:
                    value[prefix + f] = row.get(f)
        if not missing or self.missing == "keep":
            return
        if self.missing == "drop":
            work.result.counters.dropped[self.path] += len(missing)
            gone = set(missing)
            work.keep_positions(i for i in range(len(work)) if i not in gone)
            return
        failures = {
            pos: f"no row in reference table {self.table.name!r} for "
            f"{self.on}={work.values[pos].get(self.on)!r}"
            for pos in missing
        }
        work.dead_letter(failures, reason="missing_reference", stage="enrich", rule=self.path)


class FilterStep:
    name = "filter"

    def __init__(self, path: str, expr: Expression) -> None:
        self.path = path
        self.expr = expr

    def apply(self, work: WorkingSet) -> None:
        if not len(work):
            return
        result = self.expr.evaluate(frame_for(work, self.expr))
        keep = result.truth_mask()
        filtered = int(len(work) - keep.sum() - len(result.errors))
        work.result.counters.filtered[self.path] += filtered
        if result.errors:
            work.dead_letter(result.errors, reason="eval_error", stage="filter", rule=self.path)
            keep = np.delete(keep, sorted(result.errors))
        work.keep_positions(np.flatnonzero(keep).tolist())


class MapStep:
    """Sets columns; every expression of one step sees the record as it was before it."""

    name = "map"

    def __init__(self, path: str, columns: dict[str, Expression]) -> None:
        self.path = path
        self.columns = columns

    def apply(self, work: WorkingSet) -> None:
        if not len(work):
            return
        computed: list[tuple[str, list[Any]]] = []
        errors: dict[int, str] = {}
        for column, expr in self.columns.items():
            result = expr.evaluate(frame_for(work, expr))
            for pos, message in result.errors.items():
                errors.setdefault(pos, f"{column}: {message}")
            computed.append((column, result.values.tolist()))
        for column, values in computed:
            for record, v in zip(work.values, values, strict=True):
                record[column] = v
        work.dead_letter(errors, reason="eval_error", stage="map", rule=self.path)
