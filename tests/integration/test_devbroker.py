"""The local broker's lifecycle through the CLI, as a user runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stream_engine.devbroker import LocalBroker, free_port
from stream_engine.errors import BrokerError


def _cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stream_engine", "dev", "broker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ},
    )


def test_start_twice_status_logs_stop(tmp_path: Path) -> None:
    home = str(tmp_path / "b")
    began = time.monotonic()
    first = _cli("start", "--home", home)
    assert first.returncode == 0, first.stderr
    assert time.monotonic() - began < 60
    assert first.stdout.startswith("started: 127.0.0.1:")
    address = first.stdout.split()[1]
    second = _cli("start", "--home", home)
    assert second.returncode == 0
    assert second.stdout.startswith(f"already running: {address}")
    status = _cli("status", "--home", home)
    assert status.returncode == 0 and address in status.stdout
    logs = _cli("logs", "--home", home, "-n", "500")
    assert "Kafka Server started" in logs.stdout
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=5):
        pass
    assert _cli("stop", "--home", home).stdout.strip() == "stopped"
    assert _cli("status", "--home", home).returncode == 1
    assert _cli("stop", "--home", home).stdout.strip() == "not running"


def test_failed_start_quotes_the_log(tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        with pytest.raises(BrokerError) as err:
            LocalBroker(tmp_path / "b").start(
                port=busy.getsockname()[1], controller_port=free_port()
            )
    finally:
        busy.close()
    message = str(err.value)
    assert "exited with code" in message or "did not become ready" in message
    assert "last log lines:" in message
    assert "Address already in use" in message


def test_bad_cli_argument_is_one_line(tmp_path: Path) -> None:
    proc = _cli("start", "--port", "notaport", "--home", str(tmp_path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--port" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
