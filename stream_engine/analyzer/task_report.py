"""What a task log says: slowest tasks, memory spikes, the critical path, lost parallelism.

- critical path: the chain of dependent tasks with the largest total duration, the
  shortest the run could take with unlimited parallelism;
- a task ran in sequence needlessly when it started more than `tolerance_s` after its
  dependencies had finished while tasks it neither depends on nor feeds ran meanwhile;
- a memory spike is a task whose peak is at least SPIKE_RATIO times the median peak.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from stream_engine.analyzer.loading import Task, TaskLog
from stream_engine.errors import ConfigError

TOP = 5
SPIKE_RATIO = 2.0


@dataclass(frozen=True)
class TaskTime:
    name: str
    duration_s: float
    share: float  # of the summed task time
    rows: int | None
    rows_per_s: float | None


@dataclass(frozen=True)
class MemorySpike:
    name: str
    peak_bytes: float
    ratio: float  # to the median peak


@dataclass(frozen=True)
class Sequenced:
    name: str
    ready_s: float  # seconds since the run's start when its dependencies were done
    started_s: float
    waited_s: float
    ran_meanwhile: list[str]  # independent tasks that ran between ready and start


@dataclass
class TaskReport:
    kind: str
    path: str
    tasks: int
    wall_s: float
    task_time_s: float
    slowest: list[TaskTime]
    memory_peak_bytes: float | None
    memory_spikes: list[MemorySpike]
    critical_path: list[str]
    critical_path_s: float
    sequenced: list[Sequenced]
    timeline: list[tuple[str, float, float]] = field(default_factory=list)  # (name, start, end)

    @property
    def saving_s(self) -> float:
        """Wall time above the critical path: what perfect parallelism could save."""
        return max(0.0, self.wall_s - self.critical_path_s)


def analyze_tasks(log: TaskLog, tolerance_s: float = 1.0) -> TaskReport:
    tasks = {t.name: t for t in log.tasks}
    order = _topological(log)
    t0 = min(t.start for t in log.tasks)
    wall = max(t.end for t in log.tasks) - t0
    task_time = sum(t.duration for t in log.tasks)
    slowest = [
        TaskTime(
            t.name,
            t.duration,
            t.duration / task_time if task_time > 0 else 0.0,
            t.rows,
            t.rows / t.duration if t.rows is not None and t.duration > 0 else None,
        )
        for t in sorted(log.tasks, key=lambda t: (-t.duration, t.name))[:TOP]
    ]
    path, length = _critical_path(tasks, order)
    return TaskReport(
        kind="tasks",
        path=str(log.path),
        tasks=len(log.tasks),
        wall_s=wall,
        task_time_s=task_time,
        slowest=slowest,
        memory_peak_bytes=max(
            (t.peak_memory for t in log.tasks if t.peak_memory is not None), default=None
        ),
        memory_spikes=_spikes(log.tasks),
        critical_path=path,
        critical_path_s=length,
        sequenced=_sequenced(tasks, order, t0, tolerance_s),
        timeline=[(t.name, t.start - t0, t.end - t0) for t in sorted(log.tasks, key=_by_start)],
    )


def _by_start(t: Task) -> tuple[float, str]:
    return (t.start, t.name)


def _topological(log: TaskLog) -> list[str]:
    """Kahn's algorithm, ties by name; a cycle is a one-line error naming its tasks."""
    deps = {t.name: set(t.depends_on) for t in log.tasks}
    done: list[str] = []
    ready = sorted(n for n, d in deps.items() if not d)
    remaining = {n: set(d) for n, d in deps.items() if d}
    while ready:
        name = ready.pop(0)
        done.append(name)
        freed = []
        for other, d in remaining.items():
            d.discard(name)
            if not d:
                freed.append(other)
        for other in freed:
            del remaining[other]
        ready = sorted(ready + freed)
    if remaining:
        raise ConfigError(
            f"{log.path}: depends_on has a cycle among {', '.join(sorted(remaining))}"
        )
    return done


def _critical_path(tasks: dict[str, Task], order: list[str]) -> tuple[list[str], float]:
    best: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for name in order:
        task = tasks[name]
        prev = max(task.depends_on, key=lambda d: (best[d], d), default=None)
        best[name] = task.duration + (best[prev] if prev is not None else 0.0)
        via[name] = prev
    end = max(order, key=lambda n: (best[n], n))
    path: list[str] = []
    at: str | None = end
    while at is not None:
        path.append(at)
        at = via[at]
    return path[::-1], best[end]


def _ancestors(tasks: dict[str, Task], order: list[str]) -> dict[str, set[str]]:
    anc: dict[str, set[str]] = {}
    for name in order:
        acc: set[str] = set()
        for dep in tasks[name].depends_on:
            acc |= {dep} | anc[dep]
        anc[name] = acc
    return anc


def _sequenced(
    tasks: dict[str, Task], order: list[str], t0: float, tolerance_s: float
) -> list[Sequenced]:
    anc = _ancestors(tasks, order)
    out = []
    for name in order:
        task = tasks[name]
        ready = max((tasks[d].end for d in task.depends_on), default=t0)
        if task.start - ready <= tolerance_s:
            continue
        meanwhile = sorted(
            (
                o
                for o in tasks.values()
                if o.name != name
                and name not in anc[o.name]
                and o.name not in anc[name]
                and o.start < task.start
                and o.end > ready
            ),
            key=_by_start,
        )
        if meanwhile:
            out.append(
                Sequenced(
                    name,
                    ready - t0,
                    task.start - t0,
                    task.start - ready,
                    [o.name for o in meanwhile],
                )
            )
    return sorted(out, key=lambda s: (-s.waited_s, s.name))


def _spikes(tasks: list[Task]) -> list[MemorySpike]:
    peaks = [t.peak_memory for t in tasks if t.peak_memory is not None]
    if len(peaks) < 2:
        return []
    median = statistics.median(peaks)
    if median <= 0:
        return []
    spikes = [
        MemorySpike(t.name, t.peak_memory, t.peak_memory / median)
        for t in tasks
        if t.peak_memory is not None and t.peak_memory >= SPIKE_RATIO * median
    ]
    return sorted(spikes, key=lambda s: (-s.peak_bytes, s.name))
