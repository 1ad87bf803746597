"""The scheduler with an injected clock: cron times, ranges relative to them, retries with
exponential backoff, timeouts (a real child process killed) and the run history."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stream_engine.cli.main import app
from stream_engine.runtime.replay.history import History
from stream_engine.runtime.replay.launcher import Attempt, ReplayCall, SubprocessLauncher
from stream_engine.runtime.replay.scheduler import Scheduler, next_fire_ms, resolve_range
from stream_engine.spec import parse_pipeline
from stream_engine.spec.replay_bounds import iso

T0 = 1_764_043_200_000  # 2025-11-25T04:00:00Z
HOUR = 3_600_000


class FakeClock:
    def __init__(self, ms: int) -> None:
        self.ms = ms
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.ms / 1000

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.ms += int(seconds * 1000)


class FakeLaunch:
    """Fails the first `failures` attempts; each attempt takes `cost_s` of fake time."""

    def __init__(self, clock: FakeClock, failures: int = 0, cost_s: float = 2.0) -> None:
        self.clock, self.failures, self.cost_s = clock, failures, cost_s
        self.calls: list[tuple[ReplayCall, float, int]] = []

    def __call__(self, call: ReplayCall, timeout_s: float) -> Attempt:
        self.calls.append((call, timeout_s, self.clock.ms))
        self.clock.ms += int(self.cost_s * 1000)
        if len(self.calls) <= self.failures:
            return Attempt("failed", error=f"error: broker down ({len(self.calls)})")
        summary = {"records_read": 120, "emitted": {"out": 100}, "dead_letters": {"decode": 3}}
        return Attempt("ok", summary=summary)


def _spec(jobs: dict[str, Any]) -> Any:
    data = {
        "pipeline": "p",
        "version": 1,
        "sources": {"e": {"topic": "t"}},
        "sinks": {"o": {"topic": "o"}},
        "replays": jobs,
    }
    return parse_pipeline(data, "p.yaml", Path("."))


def test_cron_times_and_ranges_relative_to_them() -> None:
    assert next_fire_ms("0 3 * * *", T0) == T0 + 23 * HOUR  # next day 03:00
    assert next_fire_ms("0 3 * * *", T0 - HOUR - 1) == T0 - HOUR
    job = _spec({"j": {"schedule": "0 3 * * *", "from": "24h", "to": "1h"}}).replays["j"]
    assert resolve_range(job, T0) == (iso(T0 - 24 * HOUR), iso(T0 - HOUR))
    job = _spec({"j": {"schedule": "@daily", "from": "earliest", "to": "now"}}).replays["j"]
    assert resolve_range(job, T0) == ("earliest", iso(T0))


def test_retries_back_off_exponentially_then_succeed(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    launch = FakeLaunch(clock, failures=3)
    spec = _spec({"j": {"schedule": "0 3 * * *", "from": "24h", "retries": 3, "backoff": "10s"}})
    scheduler = Scheduler(spec, History(tmp_path), launch, clock=clock, sleep=clock.sleep)
    run = scheduler.run_job("j", T0 - HOUR)
    assert (run.status, run.attempts, run.error) == ("ok", 4, None)
    assert clock.slept == [10.0, 20.0, 40.0]
    assert run.duration_s == 4 * 2.0 + 70.0
    # every attempt covers the same range, fixed by the scheduled time (03:00), not the clock
    assert {(c.range_from, c.range_to) for c, _, _ in launch.calls} == {
        (iso(T0 - 25 * HOUR), iso(T0 - HOUR))
    }
    assert [c.run_id for c, _, _ in launch.calls] == [
        f"j-20251125T030000-{i}" for i in (1, 2, 3, 4)
    ]
    assert [t for _, t, _ in launch.calls] == [1800.0] * 4  # default timeout 30m
    (saved,) = History(tmp_path).read()
    assert saved == run
    assert (saved.records_read, saved.emitted, saved.dead_letters) == (
        120,
        {"out": 100},
        {"decode": 3},
    )


def test_gives_up_after_the_retries(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    launch = FakeLaunch(clock, failures=99)
    spec = _spec({"j": {"schedule": "@hourly", "from": "1h", "retries": 2, "backoff": "1s"}})
    run = Scheduler(spec, History(tmp_path), launch, clock=clock, sleep=clock.sleep).run_job(
        "j", T0
    )
    assert (run.status, run.attempts, run.error) == ("failed", 3, "error: broker down (3)")
    assert clock.slept == [1.0, 2.0]


class ConfigErrorLaunch(FakeLaunch):
    """Every attempt exits like the replay CLI on a config error: code 2, one error line."""

    def __call__(self, call: ReplayCall, timeout_s: float) -> Attempt:
        self.calls.append((call, timeout_s, self.clock.ms))
        self.clock.ms += int(self.cost_s * 1000)
        return Attempt("failed", error="error: p.yaml: steps[0]: bad filter", exit_code=2)


def test_a_config_error_is_not_retried(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    launch = ConfigErrorLaunch(clock)
    spec = _spec({"j": {"schedule": "@hourly", "from": "1h", "retries": 3, "backoff": "10s"}})
    run = Scheduler(spec, History(tmp_path), launch, clock=clock, sleep=clock.sleep).run_job(
        "j", T0
    )
    assert (run.status, run.attempts) == ("failed", 1)
    assert run.error == "error: p.yaml: steps[0]: bad filter (config error, not retried)"
    assert len(launch.calls) == 1 and clock.slept == []
    assert run.duration_s == 2.0
    assert History(tmp_path).read() == [run]


@pytest.mark.parametrize("code", [1, 3, 137])
def test_other_exit_codes_are_retried(tmp_path: Path, code: int) -> None:
    class Failing(FakeLaunch):
        def __call__(self, call: ReplayCall, timeout_s: float) -> Attempt:
            self.calls.append((call, timeout_s, self.clock.ms))
            return Attempt("failed", error=f"error: exit {code}", exit_code=code)

    clock = FakeClock(T0)
    launch = Failing(clock)
    spec = _spec({"j": {"schedule": "@hourly", "from": "1h", "retries": 2, "backoff": "5s"}})
    run = Scheduler(spec, History(tmp_path), launch, clock=clock, sleep=clock.sleep).run_job(
        "j", T0
    )
    assert (run.status, run.attempts, run.error) == ("failed", 3, f"error: exit {code}")
    assert clock.slept == [5.0, 10.0]


def test_the_config_exit_code_is_the_clis() -> None:
    from stream_engine.cli.errors import EXIT_USAGE
    from stream_engine.runtime.replay.launcher import EXIT_CONFIG_ERROR

    assert EXIT_CONFIG_ERROR == EXIT_USAGE


def test_a_real_replay_of_a_bad_pipeline_file_runs_once(tmp_path: Path) -> None:
    """The real child: `stream-engine replay` on a file that no longer parses exits 2."""
    spec = _spec({"j": {"schedule": "@daily", "from": "1h", "retries": 3, "backoff": "1s"}})
    broken = tmp_path / "p.yaml"
    broken.write_text("pipeline: p\nversion: 1\nsources: [not, a, mapping]\n")
    clock = FakeClock(T0)
    scheduler = Scheduler(
        spec, History(tmp_path), SubprocessLauncher(broken), clock=clock, sleep=clock.sleep
    )
    run = scheduler.run_job("j", T0)
    assert (run.status, run.attempts, clock.slept) == ("failed", 1, [])
    assert run.error is not None
    assert run.error.startswith(f"error: {broken}")
    assert run.error.endswith("(config error, not retried)")


def test_runs_on_schedule_with_an_injected_clock(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 30 * 60_000)  # 04:30
    launch = FakeLaunch(clock)
    spec = _spec(
        {
            "hourly": {"schedule": "0 * * * *", "from": "1h"},
            "nightly": {"schedule": "0 6 * * *", "from": "24h"},
        }
    )
    scheduler = Scheduler(spec, History(tmp_path), launch, clock=clock, sleep=clock.sleep)
    runs = scheduler.run_forever(max_runs=4)
    assert [(r.job, r.scheduled_at) for r in runs] == [
        ("hourly", iso(T0 + HOUR)),
        ("hourly", iso(T0 + 2 * HOUR)),
        ("nightly", iso(T0 + 2 * HOUR)),  # same time as the hourly run: by name
        ("hourly", iso(T0 + 3 * HOUR)),
    ]
    started = [at for _, _, at in launch.calls]
    assert started[0] == T0 + HOUR  # it waited until 05:00, not a moment longer
    assert max(clock.slept) <= 1.0  # naps are short, so stop() is prompt
    assert [r.job for r in History(tmp_path).read("nightly")] == ["nightly"]


def test_a_timeout_kills_the_child(tmp_path: Path) -> None:
    class Sleeper(SubprocessLauncher):
        def command(self, call: ReplayCall) -> list[str]:
            return [sys.executable, "-c", "import time; time.sleep(30)"]

    spec = _spec(
        {
            "j": {
                "schedule": "@daily",
                "from": "1h",
                "retries": 1,
                "backoff": "1s",
                "timeout": "300ms",
            }
        }
    )
    clock = FakeClock(T0)
    scheduler = Scheduler(spec, History(tmp_path), Sleeper(tmp_path / "p.yaml"), sleep=clock.sleep)
    run = scheduler.run_job("j", T0)
    assert (run.status, run.attempts) == ("timeout", 2)
    assert run.error == "timed out after 0.3s"
    assert run.duration_s < 5


def test_launcher_runs_the_replay_command(tmp_path: Path) -> None:
    spec = _spec({"j": {"schedule": "@daily", "from": "1h", "output": "files:/x", "flush": False}})
    call = ReplayCall("j", spec.replays["j"], "a", "b", "rid")
    argv = SubprocessLauncher(Path("p.yaml")).command(call)
    assert argv[1:] == [
        "-m",
        "stream_engine",
        "replay",
        "p.yaml",
        "--from",
        "a",
        "--to",
        "b",
        "--output",
        "files:/x",
        "--run-id",
        "rid",
        "--json",
        "--no-flush",
    ]


def test_history_command(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    spec = _spec({"j": {"schedule": "@daily", "from": "1h", "retries": 0}})
    Scheduler(spec, History(tmp_path), FakeLaunch(clock, failures=1), clock=clock).run_job("j", T0)
    Scheduler(spec, History(tmp_path), FakeLaunch(clock), clock=clock).run_job("j", T0 + HOUR)
    runner = CliRunner()
    result = runner.invoke(app, ["scheduler", "history", "--history-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "failed" in result.output and "ok" in result.output and "broker down" in result.output
    result = runner.invoke(app, ["scheduler", "history", "--history-dir", str(tmp_path), "--json"])
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and '"status": "ok"' in lines[1]
    empty = runner.invoke(app, ["scheduler", "history", "--history-dir", str(tmp_path / "none")])
    assert "no runs recorded" in empty.output


def test_no_jobs_is_a_clear_error(tmp_path: Path) -> None:
    from stream_engine.errors import ConfigError

    with pytest.raises(ConfigError, match="declares no replays"):
        Scheduler(_spec({}), History(tmp_path), FakeLaunch(FakeClock(T0)))


def test_scheduler_pipeline_is_short_for_scheduler_run() -> None:
    from stream_engine.cli.main import with_shorthands

    assert with_shorthands(["scheduler", "p.yaml", "--once"]) == [
        "scheduler",
        "run",
        "p.yaml",
        "--once",
    ]
    for unchanged in (
        ["scheduler", "history"],
        ["scheduler", "run", "p.yaml"],
        ["scheduler", "--help"],
        ["replay", "p.yaml"],
    ):
        assert with_shorthands(unchanged) == unchanged
