"""Filter and map steps: null semantics, evaluation errors, and map's before-image rule."""

from pathlib import Path
from typing import Any

import orjson
import pytest

from stream_engine.errors import ConfigError
from stream_engine.spec import load_pipeline
from stream_engine.topology import BatchResult, MicroBatch, Record, Topology


def build(tmp_path: Path, steps_yaml: str) -> Topology:
    """Write a pipeline file with the given `steps:` block and load it as users do."""
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "pipeline: steps\n"
        "version: 1\n"
        "sources:\n"
        "  events: {topic: events-in}\n"
        f"steps:\n{steps_yaml}"
        "sinks:\n"
        "  out: {topic: events-out}\n"
    )
    return Topology.build(load_pipeline(path, env={}))


def run(topology: Topology, *values: dict[str, Any]) -> BatchResult:
    records = [
        Record(b"k", orjson.dumps(v), "events-in", 1, 10 + i, 0) for i, v in enumerate(values)
    ]
    result = topology.process(MicroBatch("events", records))
    assert result.counters.balanced()
    return result


def kept(result: BatchResult) -> list[int]:
    return [o.origin.offset - 10 for o in result.outputs]


def dead(result: BatchResult) -> dict[int, tuple[str, str, str]]:
    return {d.offset - 10: (d.reason, d.stage, d.rule) for d in result.dead_letters}


FILTER_CASES = [
    # expression, values of x, positions kept, positions filtered (null or false)
    pytest.param("x > 10", [20, 5, None, 11], [0, 3], id="compare-with-null"),
    pytest.param("x == 'a'", ["a", "b", None], [0], id="string-equality"),
    pytest.param("x != 'a'", ["a", "b", None], [1], id="null-is-not-unequal"),
    pytest.param("x > 1.5", [1, 2, 1.5, 2.5], [1, 3], id="int-float-mix"),
    pytest.param("x", [True, False, None], [0], id="bare-bool-column"),
    pytest.param("not (x > 10)", [20, 5, None], [1], id="not-null-is-null"),
    pytest.param("missing_column > 0", [1, 2], [], id="absent-column-is-null"),
]


@pytest.mark.parametrize(("expr", "xs", "keep"), FILTER_CASES)
def test_filter_keeps_true_and_counts_false_and_null(
    tmp_path: Path, expr: str, xs: list[Any], keep: list[int]
) -> None:
    topology = build(tmp_path, f'  - filter: "{expr}"\n')

    result = run(topology, *({"x": x} for x in xs))

    assert kept(result) == keep
    assert result.dead_letters == []
    assert result.counters.filtered == {"steps[0]": len(xs) - len(keep)}
    assert result.counters.passed == len(keep)


@pytest.mark.parametrize(
    ("expr", "xs", "errors", "keep"),
    [
        pytest.param("100 / x > 1", [0, 10, 50, 200], [0], [1, 2], id="division-by-zero"),
        pytest.param("x < 3", ["a", 1, 5], [0], [1], id="str-less-than-int"),
        pytest.param("x < 3", ["a", "b"], [0, 1], [], id="all-str"),
        pytest.param("x + 1 > 0", [[1], {"a": 1}, 1], [0, 1], [2], id="containers"),
    ],
)
def test_filter_eval_errors_become_dead_letters(
    tmp_path: Path, expr: str, xs: list[Any], errors: list[int], keep: list[int]
) -> None:
    topology = build(tmp_path, f'  - filter: "{expr}"\n')

    result = run(topology, *({"x": x} for x in xs))

    assert kept(result) == keep
    assert dead(result) == dict.fromkeys(errors, ("eval_error", "filter", "steps[0]"))
    for letter in result.dead_letters:
        assert expr in letter.message
    filtered = len(xs) - len(errors) - len(keep)
    assert result.counters.filtered == {"steps[0]": filtered}
    assert result.counters.dead == {("filter", "eval_error"): len(errors)}


def test_literal_type_error_dead_letters_every_record(tmp_path: Path) -> None:
    topology = build(tmp_path, "  - filter: \"'a' < 3\"\n")

    result = run(topology, {"x": 1}, {"x": 2})

    assert kept(result) == []
    assert dead(result) == dict.fromkeys([0, 1], ("eval_error", "filter", "steps[0]"))
    assert result.counters.filtered == {"steps[0]": 0}


def test_map_sets_new_and_existing_columns(tmp_path: Path) -> None:
    topology = build(tmp_path, '  - map: {total: "price * qty", price: "price + 1"}\n')

    result = run(topology, {"price": 2, "qty": 3}, {"price": 1.5, "qty": 2})

    assert [o.record for o in result.outputs] == [
        {"price": 3, "qty": 3, "total": 6},
        {"price": 2.5, "qty": 2, "total": 3.0},
    ]


def test_map_expressions_all_see_the_record_before_the_step(tmp_path: Path) -> None:
    topology = build(tmp_path, '  - map: {a: "b", b: "a", c: "a + b"}\n')

    result = run(topology, {"a": 1, "b": 2})

    assert [o.record for o in result.outputs] == [{"a": 2, "b": 1, "c": 3}]


def test_later_map_steps_see_earlier_results(tmp_path: Path) -> None:
    topology = build(tmp_path, '  - map: {a: "a * 10"}\n  - map: {b: "a + 1"}\n')

    result = run(topology, {"a": 1})

    assert [o.record for o in result.outputs] == [{"a": 10, "b": 11}]


def test_map_of_null_input_gives_null(tmp_path: Path) -> None:
    topology = build(tmp_path, '  - map: {y: "x * 2"}\n')

    result = run(topology, {"x": None}, {})

    assert [o.record for o in result.outputs] == [{"x": None, "y": None}, {"y": None}]
    assert result.dead_letters == []


@pytest.mark.parametrize(
    ("xs", "errors"),
    [
        pytest.param([4, 0, 2], [1], id="division-by-zero"),
        pytest.param([4, "a", 2], [1], id="string-operand"),
        pytest.param([True, 2], [0], id="bool-operand"),
    ],
)
def test_map_eval_errors_become_dead_letters(
    tmp_path: Path, xs: list[Any], errors: list[int]
) -> None:
    topology = build(tmp_path, '  - map: {ok: "1", y: "8 / x"}\n')

    result = run(topology, *({"x": x} for x in xs))

    assert dead(result) == dict.fromkeys(errors, ("eval_error", "map", "steps[0]"))
    for letter in result.dead_letters:
        assert letter.message.startswith("y: ")  # names the column that failed
        assert letter.value == orjson.dumps({"x": xs[letter.offset - 10]})  # original bytes
    assert kept(result) == [i for i in range(len(xs)) if i not in errors]
    assert all(o.record["ok"] == 1 for o in result.outputs)


def test_a_record_failing_two_map_columns_is_one_dead_letter(tmp_path: Path) -> None:
    topology = build(tmp_path, '  - map: {a: "1 / x", b: "2 / x"}\n')

    result = run(topology, {"x": 0})

    [letter] = result.dead_letters
    assert letter.message.startswith("a: ")
    assert result.counters.dead == {("map", "eval_error"): 1}


def test_steps_run_in_file_order_and_stop_on_an_empty_set(tmp_path: Path) -> None:
    topology = build(tmp_path, '  - filter: "x > 0"\n  - map: {y: "10 / x"}\n')

    result = run(topology, {"x": 0}, {"x": -1}, {"x": 5})

    assert [o.record for o in result.outputs] == [{"x": 5, "y": 2.0}]
    assert result.dead_letters == []  # x = 0 was filtered before the division
    assert result.counters.filtered == {"steps[0]": 2}

    nothing_left = run(topology, {"x": 0})
    assert nothing_left.counters.filtered == {"steps[0]": 1}
    assert "map" not in nothing_left.step_seconds


def test_expression_that_does_not_compile_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"steps\[1\]"):
        build(tmp_path, '  - filter: "x > 1"\n  - map: {y: "x +"}\n')
