"""Scheduled backfills: run a pipeline's `replays` jobs on their cron schedules.

Each run resolves the job's range against its scheduled time (so `from: 24h` means the
24 hours before 03:00, even when the run starts late or is retried), then tries up to
1 + retries times with exponential backoff (backoff, 2x, 4x, ...), each attempt bounded
by the job's timeout, and appends the outcome to the history. A child that exits with the
config/usage code (2: a bad pipeline file or range) is not retried: it cannot succeed.
The clock and sleep are injected, so tests drive hours of schedule in milliseconds;
`run_now` runs jobs at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from croniter import croniter

from stream_engine.errors import ConfigError
from stream_engine.runtime.replay.history import History, JobRun
from stream_engine.runtime.replay.launcher import Attempt, ReplayCall
from stream_engine.spec import PipelineSpec
from stream_engine.spec.replay_bounds import iso, parse_bound
from stream_engine.spec.replays import ReplayJobSpec

log = logging.getLogger(__name__)
Launch = Callable[[ReplayCall, float], Attempt]


def resolve_range(job: ReplayJobSpec, scheduled_ms: int) -> tuple[str, str]:
    """The job's range as fixed text: durations ago and `now` counted from the schedule."""
    start = parse_bound(job.range_from, scheduled_ms, "--from")
    end = parse_bound(job.range_to, scheduled_ms, "--to")
    return start.describe(), end.describe()


def next_fire_ms(schedule: str, after_ms: int) -> int:
    """The first cron time strictly after `after_ms` (cron in UTC)."""
    base = datetime.fromtimestamp(after_ms / 1000, UTC)
    moment: datetime = croniter(schedule, base).get_next(datetime)
    return int(moment.timestamp() * 1000)


class Scheduler:
    def __init__(
        self,
        spec: PipelineSpec,
        history: History,
        launch: Launch,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not spec.replays:
            raise ConfigError(f"pipeline {spec.pipeline} declares no replays: nothing to schedule")
        self.spec, self.history, self.launch = spec, history, launch
        self.clock, self.sleep = clock, sleep
        self._stopping = False

    def stop(self, *_args: object) -> None:
        self._stopping = True

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def job(self, name: str) -> ReplayJobSpec:
        try:
            return self.spec.replays[name]
        except KeyError:
            known = ", ".join(self.spec.replays)
            raise ConfigError(f"no replay job {name!r} in the pipeline (jobs: {known})") from None

    def run_job(self, name: str, scheduled_ms: int) -> JobRun:
        """All attempts of one scheduled run; the outcome is appended to the history."""
        job = self.job(name)
        range_from, range_to = resolve_range(job, scheduled_ms)
        stamp = datetime.fromtimestamp(scheduled_ms / 1000, UTC).strftime("%Y%m%dT%H%M%S")
        began = self.clock()
        attempt = Attempt("failed", error="not run")
        attempts = 0
        for attempts in range(1, job.retries + 2):
            call = ReplayCall(name, job, range_from, range_to, f"{name}-{stamp}-{attempts}")
            attempt = self.launch(call, job.timeout.seconds)
            if attempt.status == "ok" or self._stopping:
                break
            if not attempt.retryable:
                log.warning(
                    "replay job %s attempt %d failed with a config error, not retried: %s",
                    name,
                    attempts,
                    attempt.error,
                )
                attempt.error = f"{attempt.error} (config error, not retried)"
                break
            if attempts <= job.retries:
                delay = job.backoff.seconds * 2 ** (attempts - 1)
                log.warning(
                    "replay job %s attempt %d %s (%s); retrying in %gs",
                    name,
                    attempts,
                    attempt.status,
                    attempt.error,
                    delay,
                )
                self.sleep(delay)
        summary = attempt.summary
        run = JobRun(
            job=name,
            pipeline=self.spec.pipeline,
            scheduled_at=iso(scheduled_ms),
            started_at=iso(int(began * 1000)),
            status=attempt.status,
            attempts=attempts,
            duration_s=round(self.clock() - began, 3),
            range_from=range_from,
            range_to=range_to,
            run_id=f"{name}-{stamp}-{attempts}",
            records_read=int(summary.get("records_read", 0)),
            emitted=dict(summary.get("emitted", {})),
            dead_letters=dict(summary.get("dead_letters", {})),
            error=attempt.error,
        )
        self.history.append(run)
        log.info("replay job %s: %s after %d attempt(s)", name, run.status, attempts)
        return run

    def run_now(self, names: list[str] | None = None) -> list[JobRun]:
        """Run the jobs (all, or the named ones) once, scheduled at the current time."""
        now = self._now_ms()
        return [self.run_job(name, now) for name in (names or list(self.spec.replays))]

    def run_forever(self, max_runs: int | None = None) -> list[JobRun]:
        """Wait for each job's next cron time and run it; until stop() (or max_runs runs)."""
        start = self._now_ms()
        due = {name: next_fire_ms(job.schedule, start) for name, job in self.spec.replays.items()}
        for name, at in sorted(due.items()):
            log.info("replay job %s: next run at %s", name, iso(at))
        done: list[JobRun] = []
        while not self._stopping and (max_runs is None or len(done) < max_runs):
            name = min(due, key=lambda n: (due[n], n))
            wait_s = (due[name] - self._now_ms()) / 1000
            if wait_s > 0:
                self.sleep(min(wait_s, 1.0))  # short naps: stop() takes effect quickly
                continue
            done.append(self.run_job(name, due[name]))
            # A run that overran later cron times skips them rather than piling up.
            due[name] = next_fire_ms(
                self.spec.replays[name].schedule, max(due[name], self._now_ms())
            )
            log.info("replay job %s: next run at %s", name, iso(due[name]))
        return done
