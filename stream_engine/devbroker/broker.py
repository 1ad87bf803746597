"""A single-node Apache Kafka (KRaft) broker on 127.0.0.1 for the demo, tests and benchmarks.

The broker runs detached from the process that started it; its pid and ports live in a
state file in its home folder, so `stop` only ever stops the broker this folder started.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from stream_engine.devbroker.jars import cache_dir, ensure_jars, require_tool
from stream_engine.errors import BrokerError, ConfigError

READY_MARKER = "Kafka Server started"
_CAUSE_MARKERS = (" ERROR ", " FATAL ", "Exception: ", "Caused by: ")


@dataclass(frozen=True)
class BrokerInfo:
    pid: int
    port: int
    controller_port: int
    home: str
    already_running: bool = False

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():  # a zombie is not a running broker
        return stat.read_text().split(") ", 1)[-1][:1] != "Z"
    return True


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


class LocalBroker:
    """Start, stop and inspect the broker whose state lives in `home`."""

    def __init__(self, home: Path | None = None, heap: str = "768m") -> None:
        self.home = Path(home) if home else cache_dir() / "broker"
        self.heap = heap

    @property
    def state_file(self) -> Path:
        return self.home / "broker.json"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    def _properties_file(self) -> Path:
        return self.home / "server.properties"

    def status(self) -> BrokerInfo | None:
        """The running broker of this home, or None (a stale state file is removed)."""
        if not self.state_file.exists():
            return None
        try:
            data = json.loads(self.state_file.read_text())
            info = BrokerInfo(**{k: data[k] for k in ("pid", "port", "controller_port", "home")})
        except (ValueError, KeyError, TypeError):
            self.state_file.unlink(missing_ok=True)
            return None
        if _pid_alive(info.pid) and self._is_our_process(info.pid):
            return info
        self.state_file.unlink(missing_ok=True)
        return None

    def _is_our_process(self, pid: int) -> bool:
        cmdline = Path(f"/proc/{pid}/cmdline")
        if not cmdline.exists():
            return True  # no procfs: trust the pid file
        args = cmdline.read_bytes().split(b"\0")
        return str(self._properties_file()).encode() in args

    def start(
        self, port: int | None = None, controller_port: int | None = None, timeout_s: float = 90
    ) -> BrokerInfo:
        running = self.status()
        if running is not None:
            return BrokerInfo(**{**asdict(running), "already_running": True})
        java = require_tool(
            "java", "install Java 17+ (e.g. `apt-get install openjdk-17-jre-headless`)"
        )
        libs = ensure_jars()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot use {self.home} as the broker home: {exc.strerror}"
            ) from None
        port, controller_port = self._choose_ports(port, controller_port)
        data_dir = self.home / "data"
        props = self._properties_file()
        props.write_text(self._server_properties(port, controller_port, data_dir))
        log4j = resources.files("stream_engine.devbroker").joinpath("log4j.properties")
        with resources.as_file(log4j) as log4j_path:
            base = [
                java,
                f"-Xmx{self.heap}",
                "-Xms128m",
                "-XX:+UseG1GC",
                "-Djava.awt.headless=true",
                f"-Dlog4j.configuration=file:{log4j_path}",
                "-cp",
                f"{libs}/*",
            ]
            if not (data_dir / "meta.properties").exists():
                self._format(base, props)
            with self.log_file.open("ab") as log:
                proc = subprocess.Popen(
                    [*base, "kafka.Kafka", str(props)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    cwd=self.home,
                )
        info = BrokerInfo(proc.pid, port, controller_port, str(self.home))
        self.state_file.write_text(json.dumps(asdict(info)))
        self._wait_ready(proc, info, timeout_s)
        return info

    def _choose_ports(self, port: int | None, controller_port: int | None) -> tuple[int, int]:
        previous: dict[str, int] = {}
        last = self.home / "ports.json"
        if last.exists():
            try:
                previous = json.loads(last.read_text())
            except ValueError:
                previous = {}
        if port is None:
            old = previous.get("port")
            port = old if old and _port_free(old) else free_port()
        if controller_port is None:
            old = previous.get("controller_port")
            free = old and old != port and _port_free(old)
            controller_port = old if free and old else free_port()
            while controller_port == port:
                controller_port = free_port()
        last.write_text(json.dumps({"port": port, "controller_port": controller_port}))
        return port, controller_port

    def _server_properties(self, port: int, controller_port: int, data_dir: Path) -> str:
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(data_dir),
            "num.partitions": "1",
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "8",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "min.insync.replicas": "1",
            "default.replication.factor": "1",
            "group.initial.rebalance.delay.ms": "0",
            "log.retention.hours": "24",
            "log.segment.bytes": "67108864",
            "log.cleaner.dedupe.buffer.size": "8388608",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "delete.topic.enable": "true",
        }
        return "".join(f"{k}={v}\n" for k, v in settings.items())

    def _format(self, base: list[str], props: Path) -> None:
        cmd = [
            *base,
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={_cluster_id()}",
            "-c",
            str(props),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
            raise BrokerError(f"formatting the broker storage failed: {tail}")

    def _wait_ready(
        self, proc: subprocess.Popen[bytes], info: BrokerInfo, timeout_s: float
    ) -> None:
        deadline = time.monotonic() + timeout_s
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        seen = ""
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.state_file.unlink(missing_ok=True)
                raise BrokerError(
                    f"the Kafka broker exited with code {proc.returncode} while starting; "
                    f"last log lines: {self._tail_text(8)}"
                )
            with self.log_file.open("rb") as log:
                log.seek(offset)
                chunk = log.read().decode(errors="replace")
            offset += len(chunk.encode())
            if READY_MARKER in seen + chunk:
                return
            seen = chunk[-len(READY_MARKER) :]  # a marker split across two reads still matches
            time.sleep(0.2)
        self.stop()
        raise BrokerError(
            f"the Kafka broker did not become ready within {timeout_s:.0f}s; "
            f"last log lines: {self._tail_text(8)}"
        )

    def stop(self, timeout_s: float = 30) -> bool:
        """Stop this home's broker; False when none was running."""
        info = self.status()
        if info is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _pid_alive(info.pid):
            time.sleep(0.2)
        if _pid_alive(info.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(info.pid, signal.SIGKILL)
        self.state_file.unlink(missing_ok=True)
        return True

    def tail(self, lines: int = 50) -> list[str]:
        if not self.log_file.exists():
            return []
        with self.log_file.open("r", errors="replace") as log:
            return [line.rstrip("\n") for line in deque(log, maxlen=lines)]

    def _tail_text(self, lines: int) -> str:
        """The log's error lines first (the cause), then its last lines."""
        recent = self.tail(2000)
        errors = [ln for ln in recent if any(m in ln for m in _CAUSE_MARKERS)][:4]
        picked = errors + [ln for ln in recent[-lines:] if ln not in errors]
        return " | ".join(ln[:300] for ln in picked) or "(log is empty)"
