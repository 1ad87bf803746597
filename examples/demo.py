"""The README's demo: a local broker, the clickstream pipeline, and what came out.

It starts a fresh broker in a temporary folder, creates and fills the topics, runs
`stream-engine worker examples/clickstream/pipeline.yaml` as a subprocess (as users run
it), waits until every event is accounted for, prints the results, and stops
everything it started.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

import orjson

from connectors.kafka_reader import ConsumedMessage, read_topic
from stream_engine.devbroker import LocalBroker, free_port
from stream_engine.dlq import parse_dead_letter_headers
from stream_engine.errors import StreamEngineError
from stream_engine.logs import configure_logging
from stream_engine.producer.clickstream import expected_outcome
from stream_engine.producer.example_run import produce_clickstream
from stream_engine.serde import make_decoder
from stream_engine.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "examples" / "clickstream" / "pipeline.yaml"
SCHEMA = ROOT / "schemas" / "page_view_enriched" / "v1.avsc"
EVENTS = 20_000


def _count(settings: Settings, topic: str) -> list[ConsumedMessage]:
    try:
        return list(read_topic(settings, topic))
    except StreamEngineError:
        return []


def main() -> int:
    configure_logging("INFO", "text")
    home = Path(tempfile.mkdtemp(prefix="stream-engine-demo-"))
    broker = LocalBroker(home / "broker")
    began = time.monotonic()
    print("1. starting a local Apache Kafka 3.9.1 broker (KRaft) ...")
    info = broker.start()
    print(f"   broker ready at {info.bootstrap} in {time.monotonic() - began:.1f}s")
    worker: subprocess.Popen[bytes] | None = None
    try:
        settings = Settings(kafka_bootstrap_servers=info.bootstrap)
        print(f"2. producing {EVENTS} clickstream events (2% deliberately broken) and 500 users")
        summary = produce_clickstream(
            settings, count=EVENTS, rate=0, bad_fraction=0.02, user_count=500
        )
        expected = expected_outcome(summary.kinds)
        print(f"   {dict(sorted(summary.kinds.items()))}")
        port = free_port()
        print(f"3. starting the worker: stream-engine worker {PIPELINE.relative_to(ROOT)}")
        log = (home / "worker.log").open("wb")
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stream_engine",
                "worker",
                str(PIPELINE),
                "--metrics-port",
                str(port),
            ],
            env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": info.bootstrap},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        out: list[ConsumedMessage] = []
        dead: list[ConsumedMessage] = []
        while time.monotonic() < deadline and worker.poll() is None:
            out = _count(settings, "page-views-enriched")
            dead = _count(settings, "clickstream.dlq")
            if len(out) >= expected["enriched"] and len(dead) >= expected["dead_letters"]:
                break
            time.sleep(1)
        took = time.monotonic() - began
        print(f"4. results after {took:.1f}s (expected {expected})")
        print(f"   sink enriched (topic page-views-enriched, Avro): {len(out)} records")
        decoder = make_decoder("avro", schema=SCHEMA)
        for msg in out[:3]:
            print(f"     {decoder.decode(msg.value)}")
        reasons = Counter(
            parse_dead_letter_headers(list(m.headers)).get("dlq.reason") for m in dead
        )
        print(f"   dead letters (topic clickstream.dlq): {len(dead)} {dict(reasons)}")
        shown: set[str | None] = set()
        for msg in dead:  # one example per reason
            h = parse_dead_letter_headers(list(msg.headers))
            if h.get("dlq.reason") not in shown:
                shown.add(h.get("dlq.reason"))
                rule = f" {h['dlq.rule']}:" if h.get("dlq.rule") else ""
                print(f"     [{h['dlq.reason']}/{h['dlq.stage']}]{rule} {h['dlq.message'][:80]}")
        print(f"   filtered (clicks): {expected['filtered']}")
        windows = _count(settings, "views-per-user-5m")
        print(
            f"   5-minute windows per user closed so far (topic views-per-user-5m): {len(windows)}"
        )
        for msg in windows[:3]:
            row = orjson.loads(msg.value or b"{}")
            print(
                f"     {row['key']} {row['window_start_iso']}..{row['window_end_iso']}: "
                f"views={row['views']} seconds={row['seconds']:.1f} pages={row['pages']}"
            )
        _print_quality(settings)
        metrics_url = f"http://127.0.0.1:{port}/metrics"
        print(f"5. metrics at {metrics_url} (a few lines):")
        try:
            body = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
            for line in body.splitlines():
                if line.startswith(
                    (
                        "stream_engine_records_in_total",
                        "stream_engine_records_out_total",
                        "stream_engine_dead_letters_total",
                        "stream_engine_records_filtered_total",
                        "stream_engine_quality_score",
                    )
                ):
                    print(f"     {line}")
        except OSError as exc:
            print(f"     (metrics unavailable: {exc})")
        ok = len(out) == expected["enriched"] and len(dead) == expected["dead_letters"]
        print(
            "demo finished: every event accounted for"
            if ok
            else f"demo incomplete: see {home / 'worker.log'}"
        )
        return 0 if ok else 1
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        broker.stop()
        print("stopped the worker and the broker")


def _print_quality(settings: Settings) -> None:
    """The verdicts of the quality rules (examples/clickstream/rules.yaml) per closed minute."""
    verdicts = [orjson.loads(m.value or b"{}") for m in _count(settings, "clickstream.quality")]
    windows = {(v["partition"], v["window_start"]) for v in verdicts}
    passed = sum(v["passed"] for v in verdicts)
    print(
        f"   quality verdicts (topic clickstream.quality): {len(verdicts)} for {len(windows)} "
        f"closed minutes x partitions, {passed} passed"
    )
    failed = Counter(v["rule"] for v in verdicts if not v["passed"])
    for rule, n in failed.most_common(3):
        example = next(v for v in verdicts if v["rule"] == rule and not v["passed"])
        sample = f", e.g. {example['samples'][0]}" if example["samples"] else ""
        what = f"{rule} ({example['severity']}) failed in {n} windows"
        print(f"     {what}: {example['message']}{sample}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except StreamEngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
