"""Run `stream-engine worker` as a subprocess, the way users run it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from stream_engine.devbroker import free_port


class WorkerProcess:
    def __init__(
        self,
        pipeline: Path,
        bootstrap: str,
        workdir: Path,
        name: str = "worker",
        runtime: str = "faust",
        args: Sequence[str] = (),
    ) -> None:
        self.pipeline = pipeline
        self.args = list(args)  # extra `worker` options, e.g. --run-log
        self.runtime = runtime
        self.bootstrap = bootstrap
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stream_engine",
                "worker",
                str(self.pipeline),
                "--metrics-port",
                str(self.port),
                "--runtime",
                self.runtime,
                *self.args,
            ],
            env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def metrics(self) -> dict[str, float]:
        """Samples of /metrics keyed by `name{labels}`; empty while not serving."""
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=3).read()
        except OSError:
            return {}
        out = {}
        for line in body.decode().splitlines():
            m = re.match(r"^(stream_engine_\S+)\s+(\S+)$", line)
            if m:
                out[m.group(1)] = float(m.group(2))
        return out

    def get(self, path: str) -> tuple[int, str]:
        """(status, body) of an endpoint on the metrics port; (0, "") while not serving."""
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()
        except OSError:
            return 0, ""

    def wait_until(self, predicate: Callable[[], bool], timeout_s: float = 90) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            if self.proc is not None and self.proc.poll() is not None:
                return predicate()
            time.sleep(0.5)
        return False

    def terminate(self, timeout_s: float = 60) -> int:
        assert self.proc is not None
        # A worker still importing has no SIGTERM handler yet (it would die with -15); its
        # port opens once the handler is in place.
        self.wait_until(lambda: self.get("/health")[0] != 0, timeout_s=30)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            tail = self.log[-3000:]
            raise AssertionError(f"worker ignored SIGTERM for {timeout_s}s:\n{tail}") from None


def metric_sum(samples: dict[str, float], name: str) -> float:
    return sum(v for k, v in samples.items() if k == name or k.startswith(name + "{"))
