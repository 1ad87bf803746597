"""A test session pointed at a dead address fails fast and names it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from stream_engine.devbroker import free_port

TESTS = Path(__file__).resolve().parents[1]


def test_session_fails_within_30s_naming_the_address(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text("def test_needs_kafka(kafka_bootstrap):\n    assert kafka_bootstrap\n")
    (tmp_path / "conftest.py").write_text(f"exec(open({str(TESTS / 'conftest.py')!r}).read())\n")
    address = f"127.0.0.1:{free_port()}"
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": address, "PYTHONPATH": str(TESTS)},
    )
    took = time.monotonic() - began
    assert proc.returncode != 0
    assert took < 30 + 10
    assert address in proc.stdout + proc.stderr, proc.stdout[-2000:]
