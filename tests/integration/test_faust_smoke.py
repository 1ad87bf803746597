"""Faust workers as separate processes, the way users run them, against the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from kafka_kit import KafkaKit

from stream_engine.devbroker import free_port

APP = Path(__file__).parent / "apps" / "upper_app.py"


def _start_worker(
    kafka: KafkaKit, in_topic: str, out_topic: str, workdir: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "APP_ID": f"smoke-{uuid.uuid4().hex[:8]}",
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "IN_TOPIC": in_topic,
        "OUT_TOPIC": out_topic,
        "WEB_PORT": str(free_port()),
        "DATA_DIR": str(workdir / in_topic),
    }
    log = (workdir / f"{in_topic}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, str(APP), "worker", "-l", "info"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _run_pair(kafka: KafkaKit, tmp_path: Path, count: int) -> tuple[str, str]:
    in_topic = kafka.topic("faust-in", partitions=4)
    out_topic = kafka.topic("faust-out", partitions=4)
    kafka.produce(in_topic, [(f"user-{i}", f"event-{i}") for i in range(count)])
    return in_topic, out_topic


def test_faust_worker_transforms_exactly(kafka: KafkaKit, tmp_path: Path) -> None:
    in_topic, out_topic = _run_pair(kafka, tmp_path, 200)
    proc = _start_worker(kafka, in_topic, out_topic, tmp_path)
    try:
        out = kafka.read_all(out_topic, expected=200, timeout_s=90, alive=proc)
    finally:
        _stop(proc)
    log = (tmp_path / f"{in_topic}.log").read_text(errors="replace")
    assert len(out) == 200, log[-3000:]
    assert sorted((m.key, m.value) for m in out) == sorted(
        (f"user-{i}".encode(), f"EVENT-{i}".encode()) for i in range(200)
    )
    # (d) the project's producer config (murmur2) and Faust's producer agree on partitions
    for m in out:
        assert m.header("seen-partition") == str(m.partition).encode(), m


def test_two_faust_workers_share_a_broker(kafka: KafkaKit, tmp_path: Path) -> None:
    first = _run_pair(kafka, tmp_path, 60)
    second = _run_pair(kafka, tmp_path, 80)
    procs = [_start_worker(kafka, *first, tmp_path), _start_worker(kafka, *second, tmp_path)]
    try:
        out1 = kafka.read_all(first[1], expected=60, timeout_s=90, alive=procs[0])
        out2 = kafka.read_all(second[1], expected=80, timeout_s=90, alive=procs[1])
    finally:
        for p in procs:
            _stop(p)
    assert sorted(m.value for m in out1) == sorted(f"EVENT-{i}".encode() for i in range(60))
    assert sorted(m.value for m in out2) == sorted(f"EVENT-{i}".encode() for i in range(80))
    started = time.monotonic()
    assert all(p.returncode is not None for p in procs), time.monotonic() - started
