"""Task logs: slowest tasks, memory spikes, the critical path (against brute force) and
tasks that ran in sequence though they could have run in parallel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream_engine.analyzer import analyze_tasks, load_input
from stream_engine.analyzer.loading import Task, TaskLog
from stream_engine.errors import ConfigError

ETL = [
    {
        "name": "extract_a",
        "start": "2026-01-01T00:00:00+00:00",
        "end": "2026-01-01T00:00:10+00:00",
        "peak_memory": "100MB",
        "rows": 1000,
        "depends_on": [],
    },
    {
        "name": "extract_b",
        "start": 1767225610,
        "end": 1767225630,
        "peak_memory": 120e6,
        "rows": 5000,
    },
    {
        "name": "transform",
        "start": 1767225630,
        "end": 1767225650,
        "peak_memory": "900MB",
        "rows": 6000,
        "depends_on": ["extract_a", "extract_b"],
    },
    {
        "name": "report",
        "start": 1767225650,
        "end": 1767225655,
        "peak_memory": "50MB",
        "depends_on": ["extract_a"],
    },
    {
        "name": "load",
        "start": 1767225655,
        "end": 1767225660,
        "peak_memory": "110MB",
        "rows": 6000,
        "depends_on": ["transform"],
    },
]


def load(tmp_path: Path, tasks: Any) -> TaskLog:
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    loaded = load_input(path)
    assert isinstance(loaded, TaskLog)
    return loaded


def test_etl_run(tmp_path: Path) -> None:
    r = analyze_tasks(load(tmp_path, ETL))
    assert (r.tasks, r.wall_s, r.task_time_s) == (5, 60.0, 60.0)
    assert [(t.name, t.duration_s, round(t.share, 4)) for t in r.slowest] == [
        ("extract_b", 20.0, 0.3333),
        ("transform", 20.0, 0.3333),
        ("extract_a", 10.0, 0.1667),
        ("load", 5.0, 0.0833),
        ("report", 5.0, 0.0833),
    ]
    assert r.slowest[0].rows_per_s == 250.0
    assert (r.critical_path, r.critical_path_s, r.saving_s) == (
        ["extract_b", "transform", "load"],
        45.0,
        15.0,
    )
    assert r.memory_peak_bytes == 900e6
    assert [(s.name, s.peak_bytes, round(s.ratio, 2)) for s in r.memory_spikes] == [
        ("transform", 900e6, 8.18)
    ]
    assert [(s.name, s.ready_s, s.started_s, s.waited_s, s.ran_meanwhile) for s in r.sequenced] == [
        ("report", 10.0, 50.0, 40.0, ["extract_b", "transform"]),
        ("extract_b", 0.0, 10.0, 10.0, ["extract_a"]),
        ("load", 50.0, 55.0, 5.0, ["report"]),
    ]


def test_tolerance_hides_short_waits(tmp_path: Path) -> None:
    r = analyze_tasks(load(tmp_path, ETL), tolerance_s=5.0)
    assert [s.name for s in r.sequenced] == ["report", "extract_b"]


def test_a_wrapped_task_list_is_read_too(tmp_path: Path) -> None:
    assert len(load(tmp_path, {"tasks": ETL}).tasks) == 5


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ([], "the task log has no tasks"),
        ([{"name": "a", "start": 1}], "task 'a': end: Field required"),
        ([{"name": "a", "start": "yesterday", "end": 2}], "not an ISO-8601 time: 'yesterday'"),
        ([{"name": "a", "start": 5, "end": 2}], "task 'a' ends before it starts"),
        ([{"name": "a", "start": 1, "end": 2}] * 2, "duplicate task names: a"),
        ([{"name": "a", "start": 1, "end": 2, "depends_on": ["z"]}], "depends on unknown z"),
        ([{"name": "a", "start": 1, "end": 2, "peak_memory": "lots"}], "not a memory size"),
    ],
)
def test_bad_task_logs_are_one_line_errors(tmp_path: Path, tasks: Any, message: str) -> None:
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    with pytest.raises(ConfigError) as err:
        load_input(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_dependency_cycle_is_an_error(tmp_path: Path) -> None:
    log = load(
        tmp_path,
        [
            {"name": "a", "start": 1, "end": 2, "depends_on": ["c"]},
            {"name": "b", "start": 1, "end": 2, "depends_on": ["a"]},
            {"name": "c", "start": 1, "end": 2, "depends_on": ["b"]},
            {"name": "d", "start": 1, "end": 2},
        ],
    )
    with pytest.raises(ConfigError, match=r"cycle among a, b, c$"):
        analyze_tasks(log)


def _all_paths(tasks: dict[str, Task]) -> list[list[str]]:
    """Brute force: every chain of dependencies, from each task back to a root."""

    def back(name: str) -> list[list[str]]:
        deps = tasks[name].depends_on
        if not deps:
            return [[name]]
        return [[*p, name] for d in deps for p in back(d)]

    return [p for name in tasks for p in back(name)]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 50), min_size=n, max_size=n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
        )
    )
)
def test_critical_path_is_the_longest_dependency_chain(
    case: tuple[list[int], list[tuple[int, int]]],
) -> None:
    durations, edges = case
    deps: dict[int, set[int]] = {i: set() for i in range(len(durations))}
    for a, b in edges:
        if a < b:  # edges only forward: a DAG
            deps[b].add(a)
    tasks = {
        f"t{i}": Task(
            name=f"t{i}",
            start=100 * i,
            end=100 * i + d,
            depends_on=[f"t{j}" for j in sorted(deps[i])],
        )
        for i, d in enumerate(durations)
    }
    r = analyze_tasks(TaskLog(Path("x.json"), list(tasks.values())))
    best = max(sum(tasks[n].duration for n in p) for p in _all_paths(tasks))
    assert r.critical_path_s == best
    assert sum(tasks[n].duration for n in r.critical_path) == best
    for earlier, later in zip(r.critical_path, r.critical_path[1:], strict=False):
        assert earlier in tasks[later].depends_on
