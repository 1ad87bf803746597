"""An aggregation plan: the named aggregations of one window, applied all-or-nothing.

Built from plain data (kind, field, options) so the pipeline-file layer never touches the
aggregator classes; custom aggregators come from an import path ``pkg.module:Name``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stream_engine.windows.aggregators import (
    Aggregator,
    At,
    Builtin,
    BuiltinAggregator,
    Collect,
    Count,
    CountDistinct,
    Edge,
    Extreme,
    Mean,
    Sum,
)
from stream_engine.windows.errors import WindowValueError

AggSpec = tuple[str, str | None, Mapping[str, Any]]
BUILTIN_KINDS = ("count", "sum", "min", "max", "mean", "first", "last", "count_distinct", "collect")
RESERVED_NAMES = frozenset(
    {"key", "window_start", "window_end", "window_start_iso", "window_end_iso", "count", "seq"}
)
DEFAULT_MAX_ITEMS = 100
_METHODS = ("initialize", "add", "merge", "result")


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    agg: Aggregator
    field: str | None
    positional: bool
    label: str


def _builtin(kind: str, field: str | None, options: Mapping[str, Any]) -> BuiltinAggregator:
    allowed = {"max_items"} if kind == "collect" else set()
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"{kind} takes no option {unknown[0]!r}")
    if field is None and kind != "count":
        raise ValueError(f"{kind} needs a field")
    if kind == "collect":
        max_items = options.get("max_items", DEFAULT_MAX_ITEMS)
        if isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1:
            raise ValueError(f"collect max_items must be a whole number >= 1, got {max_items!r}")
        return Collect(max_items)
    makers: dict[str, BuiltinAggregator] = {
        "count": Count(counts_values=field is not None),
        "sum": Sum(),
        "min": Extreme(largest=False),
        "max": Extreme(largest=True),
        "mean": Mean(),
        "first": Edge(last=False),
        "last": Edge(last=True),
        "count_distinct": CountDistinct(),
    }
    return makers[kind]


def load_custom(path: str, options: Mapping[str, Any]) -> Aggregator:
    """Import ``pkg.module:Name``: a class (called with ``options``) or a ready object."""
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ValueError(f"custom aggregator path {path!r} must look like 'pkg.module:Name'")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import custom aggregator {path!r}: {exc}") from exc
    if isinstance(target, type):
        try:
            target = target(**options)
        except TypeError as exc:
            raise ValueError(f"cannot create custom aggregator {path!r}: {exc}") from exc
    elif options:
        raise ValueError(f"custom aggregator {path!r} is an object; it takes no options")
    missing = [m for m in _METHODS if not callable(getattr(target, m, None))]
    if missing:
        raise ValueError(f"custom aggregator {path!r} lacks {', '.join(missing)}")
    aggregator: Aggregator = target
    return aggregator


def _entry(name: str, spec: AggSpec) -> _Entry:
    kind, field, options = spec
    if name in RESERVED_NAMES:
        raise ValueError(f"aggregation name {name!r} is reserved for the result record")
    if kind == "custom":
        rest = dict(options)
        path = rest.pop("path", None)
        if not isinstance(path, str):
            raise ValueError(f"custom aggregation {name!r} needs a 'path' option")
        try:
            custom = load_custom(path, rest)
        except ValueError as exc:
            raise ValueError(f"aggregation {name!r}: {exc}") from None
        return _Entry(name, custom, field, False, f"{name} ({path})")
    if kind not in BUILTIN_KINDS:
        choices = ", ".join((*BUILTIN_KINDS, "custom"))
        raise ValueError(f"aggregation {name!r}: unknown kind {kind!r}, expected one of {choices}")
    try:
        agg = _builtin(kind, field, options)
    except ValueError as exc:
        raise ValueError(f"aggregation {name!r}: {exc}") from None
    label = f"{name} ({kind} of {field})" if field else f"{name} ({kind})"
    return _Entry(name, agg, field, agg.positional, label)


class AggregationPlan:
    """The aggregations of one window, by result field name."""

    def __init__(self, specs: Mapping[str, AggSpec]) -> None:
        self._entries = tuple(_entry(name, spec) for name, spec in specs.items())
        needs_all = any(e.field is None and not isinstance(e.agg, Builtin) for e in self._entries)
        fields = {e.field for e in self._entries if e.field is not None}
        self.fields: frozenset[str] | None = None if needs_all else frozenset(fields)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self._entries)

    def project(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Only the fields the plan reads; what a sliding window keeps per record."""
        if self.fields is None:
            return dict(record)
        return {f: record[f] for f in sorted(self.fields) if f in record}

    def initialize(self) -> dict[str, Any]:
        return {e.name: e.agg.initialize() for e in self._entries}

    def add(
        self, state: dict[str, Any], record: Mapping[str, Any], *, ts: int, offset: int
    ) -> dict[str, Any]:
        """A new state with ``record`` added; WindowValueError (state untouched) if any fails."""
        new: dict[str, Any] = {}
        for e in self._entries:
            value: Any = record if e.field is None else record.get(e.field)
            if e.positional:
                value = At(ts, offset, value)
            new[e.name] = self._call(e, "add", state[e.name], value)
        return new

    def merge(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        return {e.name: self._call(e, "merge", a[e.name], b[e.name]) for e in self._entries}

    def result(self, state: dict[str, Any]) -> dict[str, Any]:
        return {e.name: e.agg.result(state[e.name]) for e in self._entries}

    @staticmethod
    def _call(e: _Entry, method: str, first: Any, second: Any) -> Any:
        try:
            return getattr(e.agg, method)(first, second)
        except WindowValueError as exc:
            raise WindowValueError(f"aggregation {e.label}: {exc}") from None
        except Exception as exc:
            if isinstance(e.agg, Builtin):
                raise
            raise WindowValueError(f"aggregation {e.label} failed in {method}: {exc!r}") from None
