"""One attempt of a scheduled replay: `stream-engine replay ... --json` as a child process.

A child process is what makes the per-run timeout real (it is killed, state and all) and
keeps one run's memory and failures away from the scheduler and the next run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stream_engine.spec.replays import ReplayJobSpec

# The CLI's exit code for usage and config errors (stream_engine.cli.errors.EXIT_USAGE):
# a bad pipeline file or argument fails the same way on every attempt.
EXIT_CONFIG_ERROR = 2


@dataclass
class Attempt:
    status: str  # ok | failed | timeout
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    exit_code: int | None = None  # the child's, when it exited on its own

    @property
    def retryable(self) -> bool:
        """False for a config or usage error: another attempt would fail the same way."""
        return self.exit_code != EXIT_CONFIG_ERROR


@dataclass(frozen=True)
class ReplayCall:
    """What one attempt runs: the job with its range already resolved to fixed ends."""

    job: str
    spec: ReplayJobSpec
    range_from: str
    range_to: str
    run_id: str


class SubprocessLauncher:
    def __init__(self, pipeline: Path) -> None:
        self.pipeline = pipeline

    def command(self, call: ReplayCall) -> list[str]:
        job = call.spec
        argv = [sys.executable, "-m", "stream_engine", "replay", str(self.pipeline)]
        argv += ["--from", call.range_from, "--to", call.range_to, "--output", job.output]
        argv += ["--run-id", call.run_id, "--json"]
        if job.to_live:
            argv.append("--to-live")
        if not job.flush:
            argv.append("--no-flush")
        return argv

    def __call__(self, call: ReplayCall, timeout_s: float) -> Attempt:
        proc = subprocess.Popen(
            self.command(call),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "STREAM_ENGINE_LOG_LEVEL": "WARNING"},
        )
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return Attempt("timeout", error=f"timed out after {timeout_s:g}s")
        if proc.returncode != 0:
            lines = [line for line in err.splitlines() if line.strip()]
            error = lines[-1] if lines else f"exit code {proc.returncode}"
            return Attempt("failed", error=error, exit_code=proc.returncode)
        try:
            summary = json.loads(out)
        except json.JSONDecodeError:
            return Attempt("failed", error="the replay printed no JSON summary")
        return Attempt("ok", summary=summary if isinstance(summary, dict) else {})
