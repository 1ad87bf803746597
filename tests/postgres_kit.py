"""A real PostgreSQL server for tests: POSTGRES_DSN if set, else a throwaway local cluster.

The local cluster lives in a temp dir and listens on 127.0.0.1 on a free port with trust
auth. As root (CI), the server runs as the `postgres` user, since PostgreSQL refuses root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import psycopg


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing or the cluster did not start."""


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise PostgresUnavailable(
            f"{name} not found: install the Debian package postgresql (.ci/run does)"
        )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalPostgres:
    """initdb + pg_ctl in `home`; `stop()`/`start()` can be called mid-test to simulate outages."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.data = home / "data"
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")  # KeyError if the package did not create the user
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"  # sbin may be off PATH
            self._as_user = [runuser, "-u", "postgres", "--"]

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_user, *args], capture_output=True, text=True, timeout=120, check=False
        )

    def init(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            shutil.chown(self.home, "postgres", "postgres")
        done = self._run(
            _bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"
        )
        if done.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {done.stderr.strip()[-500:]}")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = self._run(
            _bin("pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"), "-o", opts,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        if done.returncode != 0:
            log = (self.home / "log").read_text(errors="replace")[-800:]
            raise PostgresUnavailable(f"pg_ctl start failed: {done.stderr.strip()} {log}")
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.admin_dsn, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self, mode: str = "fast") -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self) -> str:
        """A fresh database for one test; returns its DSN."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.admin_dsn.rsplit("/", 1)[0] + f"/{name}"
