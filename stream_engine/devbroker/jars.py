"""Resolve the broker's jars from Maven Central once and cache them outside the tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from stream_engine.errors import BrokerError, ToolMissingError

KAFKA_VERSION = "3.9.1"


def cache_dir() -> Path:
    """User cache for jars and the CLI broker's state (STREAM_ENGINE_CACHE_DIR overrides)."""
    explicit = os.environ.get("STREAM_ENGINE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stream-engine"


def jars_dir() -> Path:
    return cache_dir() / f"kafka-{KAFKA_VERSION}" / "libs"


def require_tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissingError(f"`{name}` not found on PATH: {hint}")
    return path


def ensure_jars(timeout_s: float = 900) -> Path:
    """Return the folder of broker jars, running Maven only when the cache is empty."""
    target = jars_dir()
    marker = target / ".complete"
    if marker.exists():
        return target
    mvn = require_tool("mvn", "install Maven 3 (e.g. `apt-get install maven`) to fetch Kafka")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="libs-", dir=target.parent))
    pom = resources.files("stream_engine.devbroker").joinpath("pom.xml")
    with resources.as_file(pom) as pom_path:
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom_path),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            shutil.rmtree(staging, ignore_errors=True)
            raise BrokerError(
                f"Maven did not resolve the Kafka jars within {timeout_s:.0f}s"
            ) from None
    if proc.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
        shutil.rmtree(staging, ignore_errors=True)
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise BrokerError(f"Maven failed to resolve the Kafka jars: {tail}")
    (staging / ".complete").write_text(KAFKA_VERSION)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target
