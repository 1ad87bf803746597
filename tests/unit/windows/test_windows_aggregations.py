"""Aggregations: built-ins, nulls, type errors, all-or-nothing adds, custom ones by path."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest

from stream_engine.windows import AggregationPlan, WindowValueError


def fold(spec: tuple[str, str | None, dict[str, Any]], rows: list[tuple[int, Any]]) -> Any:
    """Aggregate (ts, value) rows (offset = position) with a one-aggregation plan."""
    plan = AggregationPlan({"out": spec})
    state = plan.initialize()
    for offset, (ts, value) in enumerate(rows):
        state = plan.add(state, {"f": value}, ts=ts, offset=offset)
        state = json.loads(json.dumps(state))  # as if restored from the changelog
    return plan.result(state)["out"]


ROWS = [(5, 3), (1, None), (9, 7), (3, 2.5), (7, float("nan"))]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (("count", None, {}), 5),
        (("count", "f", {}), 3),  # null and NaN are not counted
        (("sum", "f", {}), 12.5),
        (("min", "f", {}), 2.5),
        (("max", "f", {}), 7),
        (("mean", "f", {}), 12.5 / 3),
        (("first", "f", {}), None),  # ts 1 holds a null: first/last keep nulls
        (("last", "f", {}), 7),
        (("count_distinct", "f", {}), 3),
        (("collect", "f", {"max_items": 3}), [None, 2.5, 3]),  # earliest three by time
    ],
)
def test_builtins(spec: tuple[str, str | None, dict[str, Any]], expected: Any) -> None:
    assert fold(spec, ROWS) == expected


@pytest.mark.parametrize("kind", ["sum", "min", "max", "mean"])
def test_no_values_gives_null(kind: str) -> None:
    assert fold((kind, "f", {}), [(1, None), (2, None)]) is None
    assert fold((kind, "f", {}), []) is None


def test_count_distinct_compares_json_values() -> None:
    rows = [(1, 1), (2, 1.0), (3, True), (4, "1"), (5, None), (6, "a"), (7, "a")]
    assert fold(("count_distinct", "f", {}), rows) == 4  # 1, true, "1", "a"


def test_first_and_last_break_ties_by_offset() -> None:
    rows = [(5, "a"), (5, "b"), (1, "early"), (9, "x"), (9, "y")]
    assert fold(("first", "f", {}), rows) == "early"
    assert fold(("last", "f", {}), rows) == "y"


def test_collect_is_in_event_time_order_whatever_the_arrival() -> None:
    rows = [(30, "c"), (10, "a"), (20, "b"), (10, "a2")]
    assert fold(("collect", "f", {}), rows) == ["a", "a2", "b", "c"]
    assert fold(("collect", "f", {"max_items": 2}), rows) == ["a", "a2"]


def test_min_max_take_strings() -> None:
    rows = [(1, "2024-05-01"), (2, "2023-01-01")]
    assert fold(("min", "f", {}), rows) == "2023-01-01"
    assert fold(("max", "f", {}), rows) == "2024-05-01"


def test_decimal_counts_as_a_number() -> None:
    assert fold(("sum", "f", {}), [(1, Decimal("1.5")), (2, 1)]) == 2.5


@pytest.mark.parametrize(
    ("kind", "bad"),
    [("sum", "abc"), ("sum", True), ("mean", [1]), ("min", {"a": 1}), ("count_distinct", [1])],
)
def test_type_errors_are_window_value_errors(kind: str, bad: Any) -> None:
    with pytest.raises(WindowValueError, match=rf"aggregation out \({kind} of f\)") as info:
        fold((kind, "f", {}), [(1, 1), (2, bad)] if kind != "count_distinct" else [(1, bad)])
    assert "\n" not in str(info.value)


def test_min_refuses_numbers_after_strings_and_in_merges() -> None:
    with pytest.raises(WindowValueError, match="cannot compare"):
        fold(("min", "f", {}), [(1, "a"), (2, 1)])
    plan = AggregationPlan({"m": ("max", "f", {})})
    a = plan.add(plan.initialize(), {"f": 1}, ts=1, offset=1)
    b = plan.add(plan.initialize(), {"f": "x"}, ts=2, offset=2)
    with pytest.raises(WindowValueError):
        plan.merge(a, b)


def test_add_is_all_or_nothing() -> None:
    plan = AggregationPlan(
        {"n": ("count", None, {}), "vals": ("collect", "v", {}), "total": ("sum", "v", {})}
    )
    state = plan.add(plan.initialize(), {"v": 1}, ts=1, offset=1)
    before = json.dumps(state)
    with pytest.raises(WindowValueError, match="total"):
        plan.add(state, {"v": "abc"}, ts=2, offset=2)
    assert json.dumps(state) == before
    assert plan.result(state) == {"n": 1, "vals": [1], "total": 1}


def test_merge_equals_adding_everything() -> None:
    specs: dict[str, tuple[str, str | None, dict[str, Any]]] = {
        "n": ("count", None, {}),
        "nv": ("count", "v", {}),
        "s": ("sum", "v", {}),
        "lo": ("min", "v", {}),
        "hi": ("max", "v", {}),
        "m": ("mean", "v", {}),
        "f": ("first", "v", {}),
        "l": ("last", "v", {}),
        "d": ("count_distinct", "v", {}),
        "c": ("collect", "v", {"max_items": 4}),
    }
    plan = AggregationPlan(specs)
    rows = [(8, 1), (3, None), (5, 4), (1, 4), (9, 2), (2, 7)]
    one, left, right = plan.initialize(), plan.initialize(), plan.initialize()
    for offset, (ts, v) in enumerate(rows):
        one = plan.add(one, {"v": v}, ts=ts, offset=offset)
        if offset % 2:
            left = plan.add(left, {"v": v}, ts=ts, offset=offset)
        else:
            right = plan.add(right, {"v": v}, ts=ts, offset=offset)
    assert plan.result(plan.merge(left, right)) == plan.result(one)
    assert plan.result(plan.merge(right, left)) == plan.result(one)


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ({"count": ("count", None, {})}, "name 'count' is reserved"),
        ({"x": ("median", "f", {})}, "unknown kind 'median'"),
        ({"x": ("sum", None, {})}, "sum needs a field"),
        ({"x": ("sum", "f", {"max_items": 3})}, "sum takes no option 'max_items'"),
        ({"x": ("collect", "f", {"max_items": 0})}, "max_items must be a whole number >= 1"),
        ({"x": ("custom", "f", {})}, "needs a 'path' option"),
        ({"x": ("custom", "f", {"path": "nodots"})}, "must look like 'pkg.module:Name'"),
        ({"x": ("custom", "f", {"path": "no_such_mod_xyz:A"})}, "cannot import .*no_such_mod_xyz"),
        ({"x": ("custom", "f", {"path": "json:NoSuch"})}, "'x': cannot import custom .*'json:No"),
        ({"x": ("custom", "f", {"path": "json:dumps"})}, "lacks initialize, add, merge, result"),
        (
            {"x": ("custom", "f", {"path": "test_windows_aggregations:Spread", "bogus": 1})},
            "cannot create custom aggregator",
        ),
        ({"x": ("custom", "f", {"path": "test_windows_aggregations:SPAN", "a": 1})}, "no options"),
    ],
)
def test_plan_errors_name_the_problem(specs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AggregationPlan(specs)


# ------------------------------------------------------------------ custom aggregators


class Spread:
    """max - min of a field, rounded to ``digits``: a custom aggregator class with options."""

    def __init__(self, digits: int = 0) -> None:
        self.digits = digits

    def initialize(self) -> list[float] | None:
        return None

    def add(self, state: list[float] | None, value: Any) -> list[float] | None:
        if value is None:
            return state
        if value == "boom":
            raise RuntimeError("boom is not a reading")
        return [value, value] if state is None else [min(state[0], value), max(state[1], value)]

    def merge(self, a: list[float] | None, b: list[float] | None) -> list[float] | None:
        if a is None or b is None:
            return a or b
        return [min(a[0], b[0]), max(a[1], b[1])]

    def result(self, state: list[float] | None) -> float | None:
        return None if state is None else round(state[1] - state[0], self.digits)


class _Keys:
    """An aggregator object (not a class) that sees whole records: their sorted keys."""

    def initialize(self) -> list[str]:
        return []

    def add(self, state: list[str], value: Any) -> list[str]:
        return sorted(set(state) | set(value))

    def merge(self, a: list[str], b: list[str]) -> list[str]:
        return sorted(set(a) | set(b))

    def result(self, state: list[str]) -> list[str]:
        return state


SPAN = _Keys()


def test_custom_class_by_import_path_with_options() -> None:
    plan = AggregationPlan(
        {"spread": ("custom", "t", {"path": "test_windows_aggregations:Spread", "digits": 1})}
    )
    state = plan.initialize()
    for offset, t in enumerate([20.04, None, 18.0, 21.56]):
        state = plan.add(state, {"t": t}, ts=offset, offset=offset)
    assert plan.result(json.loads(json.dumps(state))) == {"spread": 3.6}


def test_custom_object_without_field_sees_the_whole_record() -> None:
    plan = AggregationPlan({"keys": ("custom", None, {"path": "test_windows_aggregations:SPAN"})})
    assert plan.fields is None  # a sliding window must then keep whole records
    state = plan.add(plan.initialize(), {"a": 1, "b": 2}, ts=1, offset=1)
    state = plan.add(state, {"c": 3}, ts=2, offset=2)
    assert plan.result(state) == {"keys": ["a", "b", "c"]}


def test_custom_failure_becomes_a_window_value_error() -> None:
    path = "test_windows_aggregations:Spread"
    plan = AggregationPlan({"spread": ("custom", "t", {"path": path})})
    with pytest.raises(WindowValueError, match=r"spread \(test_windows_aggregations:Spread\)"):
        plan.add(plan.initialize(), {"t": "boom"}, ts=1, offset=1)


def test_project_keeps_only_the_fields_read() -> None:
    plan = AggregationPlan({"n": ("count", None, {}), "s": ("sum", "a", {})})
    assert plan.project({"a": 1, "b": 2}) == {"a": 1}
    assert plan.names == ("n", "s")


def test_nan_is_null_for_every_builtin() -> None:
    assert fold(("sum", "f", {}), [(1, math.nan)]) is None
    assert fold(("count_distinct", "f", {}), [(1, math.nan), (2, math.nan)]) == 0
