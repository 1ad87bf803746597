"""Evaluation semantics: null logic, errors as data, types, functions and input dtypes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stream_engine.expr import EvalResult, parse


def run(source: str, frame: pd.DataFrame) -> EvalResult:
    return parse(source).evaluate(frame)


def values(source: str, **columns: list[Any]) -> list[Any]:
    """Evaluate over an object-dtype frame (Python values kept exactly); no errors allowed."""
    result = run(source, pd.DataFrame(columns, dtype=object))
    assert result.errors == {}
    return list(result.values)


def errors(source: str, **columns: list[Any]) -> dict[int, str]:
    return run(source, pd.DataFrame(columns, dtype=object)).errors


N, T, F = None, True, False
BOOLS = [T, T, T, F, F, F, N, N, N]
OTHER = [T, F, N, T, F, N, T, F, N]


def test_three_valued_and_or_not() -> None:
    assert values("a and b", a=BOOLS, b=OTHER) == [T, F, N, F, F, F, N, F, N]
    assert values("a or b", a=BOOLS, b=OTHER) == [T, T, T, T, F, N, T, N, N]
    assert values("not a", a=[T, F, N]) == [F, T, N]


def test_null_propagates_through_arithmetic_comparison_and_in() -> None:
    assert values("a + 1", a=[1, N]) == [2, N]
    assert values("a > 1", a=[2, N]) == [T, N]
    assert values("a == b", a=[N, 1], b=[N, N]) == [N, N]
    assert values("a in (1, 2)", a=[1, 3, N]) == [T, F, N]
    assert values("a not in (1, 2)", a=[1, 3, N]) == [F, T, N]
    assert values("-a", a=[N, 2]) == [N, -2]
    assert values("'x' + a", a=[N, "y"]) == [N, "xy"]
    assert values("a + null", a=[1, "s"]) == [N, N]  # null wins before types are checked


def test_is_null_is_never_null_and_missing_columns_are_null() -> None:
    assert values("a is null", a=[N, 0, ""]) == [T, F, F]
    assert values("a is not null", a=[N, 0, ""]) == [F, T, T]
    assert values("missing is null and missing + 1 is null", a=[1, 2]) == [T, T]


def test_nan_is_null() -> None:
    frame = pd.DataFrame({"f": [1.5, math.nan], "o": pd.Series([math.nan, 2], dtype=object)})
    assert run("f is null", frame).values.tolist() == [F, T]
    assert run("o is null", frame).values.tolist() == [T, F]
    assert run("coalesce(f, o, 0)", frame).values.tolist() == [1.5, 2]


def test_coalesce_returns_the_first_non_null_with_its_own_type() -> None:
    assert values("coalesce(a, b, 'none')", a=[N, 1, N], b=[2.5, 3, N]) == [2.5, 1, "none"]
    assert values("coalesce(null, a)", a=[N, 1]) == [N, 1]
    assert values("coalesce(a)", a=[N, "x"]) == [N, "x"]


def test_division_and_modulo_by_zero_are_row_errors() -> None:
    frame = pd.DataFrame({"a": [10, 7, 1, 5], "b": [2, 0, 0.0, -0.0]}, dtype=object)
    result = run("a / b", frame)
    assert result.values.tolist() == [5.0, N, N, N]
    assert result.errors == {
        1: 'division by zero in "a / b"',
        2: 'division by zero in "a / b"',
        3: 'division by zero in "a / b"',
    }
    typed = pd.DataFrame({"a": [10, 7], "b": [3, 0]})  # the int64 fast path
    assert run("a % b", typed).errors == {1: 'division by zero in "a % b"'}
    assert run("a % b", typed).values.tolist() == [1, N]


def test_messages_name_the_failing_part_and_the_whole_expression() -> None:
    frame = pd.DataFrame({"a": [1], "b": [0]})
    result = run("a > 0 and a / b > 2", frame)
    assert result.errors == {0: 'division by zero in "a / b" (expression "a > 0 and a / b > 2")'}


def test_errors_never_produce_inf_nan_or_exceptions() -> None:
    frame = pd.DataFrame({"a": [1.0, -1.0, 0.0], "b": [0.0, 0.0, 0.0]})
    result = run("a / b", frame)
    assert result.values.tolist() == [N, N, N]
    assert sorted(result.errors) == [0, 1, 2]
    assert not result.truth_mask().any()


@pytest.mark.parametrize(
    ("source", "bad", "good", "message"),
    [
        ("a + 1", "x", 2, 'cannot apply "+" to str and int in "a + 1"'),
        ("a < 3", "x", 2, 'cannot compare str with int using "<" in "a < 3"'),
        ("a < true", True, None, 'cannot compare bool with bool using "<" in "a < true"'),
        ("lower(a)", 5, "x", 'lower expects a string, got int in "lower(a)"'),
        ("len(a)", 3, "x", 'len expects a string, got int in "len(a)"'),
        ("a + 1", True, 2, 'cannot apply "+" to bool and int in "a + 1"'),
        ("-a", True, 2, 'cannot apply "-" to bool in "-a"'),
        ("abs(a)", "x", None, 'abs expects a number, got str in "abs(a)"'),
        ("round(a)", "x", None, 'round expects a number, got str in "round(a)"'),
        ("a and true", 1.5, None, '"and" expects booleans, got float in "a and true"'),
        ("not a", "x", None, '"not" expects booleans, got str in "not a"'),
        ("a * 2", [1], 2, 'cannot apply "*" to list and int in "a * 2"'),
        ("a == 1", {"k": 1}, 2, 'unsupported value of type dict in "a == 1"'),
    ],
)
@pytest.mark.parametrize("typed", [True, False], ids=["typed-frame", "object-frame"])
def test_type_mismatches_are_row_errors(
    source: str, bad: Any, good: Any, message: str, typed: bool
) -> None:
    # the well-typed (or null) second row shows the error stays on its own row
    frame = pd.DataFrame({"a": [bad, good]}, dtype=None if typed else object)
    result = run(source, frame)
    assert result.errors == {0: message}
    assert result.values.iloc[0] is None


def test_equality_across_types_is_false_not_an_error() -> None:
    assert values("a == 'x'", a=[1, True, "x"]) == [F, F, T]
    assert values("a != 1", a=["1", True, 1.0]) == [T, T, F]
    assert values("a == 1", a=[1.0, True]) == [T, F]  # bool is not a number
    assert values("a in (1, 'b', true)", a=[True, 1.0, "b", "1"]) == [T, T, T, F]


def test_and_or_coalesce_skip_errors_they_do_not_need() -> None:
    frame = pd.DataFrame({"a": [10, 10, 10], "b": [0, 5, 0], "s": ["x", "y", None]})
    assert run("b != 0 and a / b > 1", frame).values.tolist() == [F, T, F]
    assert run("b != 0 and a / b > 1", frame).errors == {}
    assert run("b == 0 or a / b > 1", frame).errors == {}
    result = run("coalesce(s, a / b)", frame)
    assert result.values.tolist() == ["x", "y", N]
    assert list(result.errors) == [2]
    assert run("0 < b < a / b", frame).errors == {}  # chained: the second part is skipped
    # needed operands still fail: null and <error> is an error
    assert list(run("null and a / b > 1", frame).errors) == [0, 2]


def test_first_error_in_evaluation_order_wins() -> None:
    frame = pd.DataFrame({"a": [1], "b": [0], "s": ["x"]})
    message = run("a / b + (s + 1)", frame).errors[0]
    assert message.startswith('division by zero in "a / b"')


def test_arithmetic_types() -> None:
    assert values("a / b", a=[1, 3], b=[2, 3]) == [0.5, 1.0]
    result = values("a + b", a=[1, 1], b=[2, 0.5])
    assert result == [3, 1.5] and type(result[0]) is int
    assert values("a % b", a=[-7, 7, -7.5], b=[3, -3, 2]) == [2, -2, 0.5]  # sign of divisor
    assert values("a + b", a=["ab"], b=["cd"]) == ["abcd"]
    assert values("-a", a=[2.5]) == [-2.5]


def test_int64_overflow_falls_back_to_exact_python_ints() -> None:
    frame = pd.DataFrame({"a": [2**62, 3], "b": [-(2**63), 1]})
    assert run("a * a", frame).values.tolist() == [2**124, 9]
    assert run("a + a", frame).values.tolist() == [2**63, 6]
    assert run("-b", frame).values.tolist() == [2**63, -1]
    assert run("abs(b)", frame).values.tolist() == [2**63, 1]


def test_big_ints_compare_exactly_with_floats() -> None:
    frame = pd.DataFrame({"i": [2**53 + 1, 2**63 - 1], "f": [2.0**53, 2.0**63]})
    assert run("i == f", frame).values.tolist() == [F, F]
    assert run("i < f", frame).values.tolist() == [F, T]
    assert run("i in (9007199254740992.0, 1)", frame).values.tolist() == [F, F]
    assert run("i / 1", frame).values.tolist() == [(2**53 + 1) / 1, (2**63 - 1) / 1]


@pytest.mark.parametrize(
    ("source", "columns", "expected"),
    [
        ("lower(a)", {"a": ["AbC", None]}, ["abc", None]),
        ("upper(a)", {"a": ["AbC", None]}, ["ABC", None]),
        ("len(a)", {"a": ["AbC", "", None]}, [3, 0, None]),
        ("abs(a)", {"a": [-2, 2.5, None]}, [2, 2.5, None]),
        ("round(a)", {"a": [2.5, 3.5, -0.5, 7]}, [2.0, 4.0, -0.0, 7]),
        ("round(a, 1)", {"a": [2.25, 1.05, 7]}, [2.2, 1.1, 7]),
        ("round(a, -1)", {"a": [25, 35, 1234.5]}, [20, 40, 1230.0]),
        ("coalesce(lower(a), 'unknown')", {"a": ["X", None]}, ["x", "unknown"]),
    ],
)
def test_functions(source: str, columns: dict[str, list[Any]], expected: list[Any]) -> None:
    result = run(source, pd.DataFrame(columns, dtype=object))
    assert result.errors == {}
    assert [(type(v), v) for v in result.values] == [(type(v), v) for v in expected]


def test_round_keeps_int_and_float_types_of_its_input() -> None:
    assert [type(v) for v in values("round(a)", a=[1, 1.0])] == [int, float]


@pytest.mark.parametrize(
    ("source", "column", "expected"),
    [
        ("round(a, 1)", [2.25, 1.05, None], [2.2, 1.1, None]),
        ("round(a)", [2.5, -1.5, None], [2.0, -2.0, None]),
        ("abs(a)", [-3, 4], [3, 4]),
        ("round(a, -1)", [25, 35], [20, 40]),
        ("len(upper(a))", ["ab", None], [2, None]),
    ],
)
def test_functions_on_typed_columns(source: str, column: list[Any], expected: list[Any]) -> None:
    result = run(source, pd.DataFrame({"a": column}))
    assert [(type(v), v) for v in result.values] == [(type(v), v) for v in expected]


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"n": [1, None, 3], "s": ["a", None, "c"]}),  # float64 + arrow strings
        pd.DataFrame({"n": [1, None, 3], "s": ["a", None, "c"]}).convert_dtypes(),
        pd.DataFrame({"n": [1, None, 3], "s": ["a", None, "c"]}, dtype=object),
        pd.DataFrame({"n": [1, None, 3], "s": ["a", None, "c"]}).astype({"s": object}),
    ],
    ids=["inferred", "nullable", "object", "object-strings"],
)
def test_input_dtypes_give_the_same_answers(frame: pd.DataFrame) -> None:
    result = run("n > 1 and s != 'a'", frame)
    assert result.values.tolist() == [F, N, T]
    assert run("coalesce(s, 'none') + '!'", frame).values.tolist() == ["a!", "none!", "c!"]
    assert [v == 2 for v in run("n + 1", frame).values.tolist()] == [True, False, False]


def test_mixed_object_columns_take_the_per_row_path_correctly() -> None:
    column = [1, "a", 2.5, True, None, [1]]
    assert values("a is null", a=column) == [F, F, F, F, T, F]
    assert values("coalesce(a, 0)", a=column) == [1, "a", 2.5, True, 0, [1]]
    assert errors("a + 1", a=column) == {
        1: 'cannot apply "+" to str and int in "a + 1"',
        3: 'cannot apply "+" to bool and int in "a + 1"',
        5: 'cannot apply "+" to list and int in "a + 1"',
    }


def test_truth_mask_keeps_only_exact_true_without_errors() -> None:
    frame = pd.DataFrame({"a": [1, 0, None, 2], "b": [1, 1, 1, 0]}, dtype=object)
    result = run("a / b > 0", frame)
    assert result.truth_mask().tolist() == [True, False, False, False]
    assert list(result.errors) == [3]
    mask = run("a", frame).truth_mask()  # 1 is not True
    assert mask.tolist() == [False, False, False, False]
    assert mask.dtype == np.bool_


def test_eval_result_built_by_hand_computes_its_truth_mask() -> None:
    result = EvalResult(pd.Series([True, 1, None, True], dtype=object), {3: "boom"})
    assert result.truth_mask().tolist() == [True, False, False, False]


def test_result_keeps_the_frame_index_and_errors_use_positions() -> None:
    frame = pd.DataFrame({"a": [1, 0, 2]}, index=[10, 20, 30])
    result = run("1 / a", frame)
    assert list(result.values.index) == [10, 20, 30]
    assert result.values.dtype == object
    assert list(result.errors) == [1]


def test_empty_frame() -> None:
    result = run("a > 1 and b == 'x'", pd.DataFrame({"a": []}))
    assert len(result.values) == 0 and result.errors == {}
    assert result.truth_mask().shape == (0,)


def test_an_expression_is_reusable_across_batches_of_different_sizes() -> None:
    expression = parse("a > 1 and s == 'x'")
    for size in (3, 1, 3, 5):
        frame = pd.DataFrame({"a": [2] * size, "s": ["x"] * size})
        assert expression.evaluate(frame).truth_mask().tolist() == [True] * size


def test_evaluation_does_not_modify_the_frame() -> None:
    frame = pd.DataFrame({"a": [1, None, 0], "s": ["x", None, "y"], "o": [1, "a", None]})
    before = frame.copy()
    run("coalesce(a / a, 0) + len(coalesce(s, '')) > 0 and o is null", frame)
    pd.testing.assert_frame_equal(frame, before)


def test_vectorized_evaluation_is_fast_for_a_typical_filter() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "event_type": rng.choice(["page_view", "click"], 1000),
            "duration_ms": rng.integers(-5, 5000, 1000),
        }
    )
    expression = parse("event_type == 'page_view' and duration_ms > 0")
    import timeit

    seconds = min(timeit.repeat(lambda: expression.evaluate(frame), number=20, repeat=5)) / 20
    assert seconds < 0.005  # measured around 0.1 ms; generous for slow CI machines
