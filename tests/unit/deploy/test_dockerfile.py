"""The Dockerfile cannot be built here (no Docker engine): its instructions are parsed and
checked, its HEALTHCHECK command is run against a real /health endpoint, and the lock
file it installs is checked against pyproject.toml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from deploy_kit import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from stream_engine.monitor import MetricsServer, PipelineMetrics

sys.path.insert(0, str(ROOT / "deploy"))
from lock_requirements import direct_requirements, runtime_closure

LOCK = ROOT / "deploy" / "requirements.lock"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    out = []
    for line in logical:
        word, _, rest = line.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _only(name: str) -> str:
    found = [args for word, args in _instructions() if word == name]
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


def test_slim_python_311_base() -> None:
    assert _only("FROM").startswith("python:3.11-slim")


def test_runs_as_a_non_root_user() -> None:
    words = [word for word, _ in _instructions()]
    user = _only("USER").split(":")[0]
    assert user not in ("root", "0")
    assert words.index("USER") > max(i for i, w in enumerate(words) if w == "RUN")
    assert "useradd" in " ".join(args for word, args in _instructions() if word == "RUN")


def test_entrypoint_is_the_cli_and_the_metrics_port_is_exposed() -> None:
    assert json.loads(_only("ENTRYPOINT")) == ["stream-engine"]
    assert _only("EXPOSE") == "9108"


def test_installs_the_pinned_lock_without_resolving_again() -> None:
    runs = [args for word, args in _instructions() if word == "RUN"]
    assert any("-r /app/deploy/requirements.lock" in r and "--no-deps" in r for r in runs)
    assert any("pip install --no-deps /app" in r and "pip check" in r for r in runs)
    copies = " ".join(args for word, args in _instructions() if word == "COPY")
    for path in ("stream_engine", "connectors", "schemas", "examples", "deploy/requirements.lock"):
        assert path in copies


def test_dockerignore_keeps_what_the_image_copies_and_drops_the_rest() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for path in (".git", ".venv", "tests"):
        assert path in ignored
    for path in ("stream_engine", "connectors", "schemas", "examples"):
        assert path not in ignored
    assert "!deploy/requirements.lock" in ignored


def test_lock_pins_every_runtime_dependency_within_pyprojects_ranges() -> None:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[canonicalize_name(name)] = version
    for req in direct_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is missing from {LOCK.name}"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])
    assert set(runtime_closure()) <= set(pins)  # transitive dependencies too
    assert Requirement("psycopg[binary]").name in pins and "psycopg-binary" in pins


def _healthcheck_argv() -> list[str]:
    args = _only("HEALTHCHECK")
    assert "--start-period" in args and "--interval" in args
    cmd = args[args.index("CMD") + 3 :].strip()
    argv = json.loads(cmd)
    assert isinstance(argv, list)
    return [sys.executable if a == "python" else a for a in argv]


@pytest.fixture
def served() -> Iterator[MetricsServer]:
    server = MetricsServer(PipelineMetrics("p").registry, "127.0.0.1", 0, stale_after_s=0.3)
    server.start()
    yield server
    server.close()


def test_healthcheck_command_follows_the_workers_health(served: MetricsServer) -> None:
    argv = _healthcheck_argv()
    env = {**os.environ, "STREAM_ENGINE_METRICS_PORT": str(served.port)}

    def check() -> int:
        return subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode

    assert check() == 0  # starting up
    served.beat()
    assert check() == 0  # loop answering
    time.sleep(0.5)
    assert check() != 0  # loop stuck: 503
