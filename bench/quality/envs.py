"""One virtual environment per competing validator, created on first use under a cache dir.

Each tool gets its own environment so its dependency pins never meet stream-engine's; the
environments are reused across runs (a marker file records what was installed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

TOOLS = {
    "pandera": ["pandera", "pandas", "pyarrow"],
    "great_expectations": ["great_expectations", "pandas", "pyarrow"],
}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stream-engine" / "bench" / "quality-venvs"


def python_of(tool: str) -> Path:
    return cache_dir() / tool / "bin" / "python"


def ensure_env(tool: str, *, quiet: bool = True) -> Path:
    """The environment's python, after creating it and `pip install`ing the tool if needed."""
    home = cache_dir() / tool
    marker = home / ".installed"
    wanted = " ".join(TOOLS[tool])
    if marker.exists() and marker.read_text() == wanted:
        return python_of(tool)
    print(f"creating {home} and installing {wanted} (first run only)", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    cmd = [str(python_of(tool)), "-m", "pip", "install", *(["-q"] if quiet else []), *TOOLS[tool]]
    subprocess.run(cmd, check=True)
    marker.write_text(wanted)
    return python_of(tool)


def installed_version(tool: str) -> str:
    """The tool's version as its environment reports it."""
    code = f"import importlib.metadata as m; print(m.version({tool.replace('_', '-')!r}))"
    out = subprocess.run(
        [str(python_of(tool)), "-c", code], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


if __name__ == "__main__":
    for name in sys.argv[1:] or list(TOOLS):
        print(name, ensure_env(name, quiet=False), installed_version(name))
