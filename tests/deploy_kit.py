"""Find the deployment tools (helm, promtool) and render the Helm chart for tests.

helm is built by `.ci/run` into `$STREAM_ENGINE_CACHE_DIR/bin` (default
`~/.cache/stream-engine/bin`); promtool comes with Debian's prometheus package. A
missing tool fails the test loudly: it never skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "stream-engine"
VALUES_FILES = sorted((CHART / "ci").glob("*.yaml"))


def find_tool(name: str) -> str:
    cache = Path(os.environ.get("STREAM_ENGINE_CACHE_DIR", Path.home() / ".cache/stream-engine"))
    for candidate in (cache / "bin" / name, Path.home() / ".cache/stream-engine/bin" / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} not found in {cache / 'bin'} or on PATH; .ci/run installs it "
            "(helm: `GOBIN=~/.cache/stream-engine/bin go install helm.sh/helm/v3/cmd/helm@v3.22.0`,"
            " promtool: `apt-get install prometheus`)",
            pytrace=False,
        )
    return found


def run_tool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


def helm_template(*values: Path, set_values: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Rendered manifests of the chart, as parsed documents (empty ones dropped)."""
    args = [find_tool("helm"), "template", "demo", str(CHART), "--namespace", "streams"]
    for path in values:
        args += ["-f", str(path)]
    for item in set_values:
        args += ["--set", item]
    done = run_tool(*args)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = by_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]
