"""The Grafana dashboard and the alert rules use only metrics a running worker exports,
and the compose stack's Prometheus config (scraping the worker, loading the rules) works
on a real Prometheus against a real worker.

The exported families are read from the worker's real /metrics exposition (`# TYPE`
lines: prometheus_client prints them even for families without samples yet), with the
consumer-lag families the worker adds once it has sampled its group's offsets.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path

import orjson
import yaml
from deploy_kit import ROOT
from kafka_kit import KafkaKit
from prometheus_kit import LocalPrometheus
from worker_kit import WorkerProcess, metric_sum

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "stream-engine.json"
COMPOSE_PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
# Series Prometheus itself makes for every scrape target.
SCRAPE_SERIES = {"up"}
# A name followed by a selector or a range, or any stream_engine_* name (label_values).
METRIC_NAME = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=[{\[])|\b(stream_engine_\w+)")

PIPELINE = """
pipeline: {name}
version: 1
worker: {{batch_size: 50, batch_wait: 50ms}}
sources:
  events: {{topic: {source}, key: k, event_time: ts}}
steps:
  - quality:
      rules:
        tables:
          events:
            checks:
              - {{type: range, column: n, min: 0, max: 100}}
  - filter: "n % 10 != 0"
sinks:
  out: {{topic: {name}-out}}
windows:
  w: {{type: tumbling, size: 1m, key: k, aggregate: {{c: count}}, sink: {{topic: {name}-w}}}}
dead_letter: {{topic: {name}.dlq}}
"""


def _exported_series(exposition: str) -> set[str]:
    """Series names a scrape of this exposition can give, from its `# TYPE` lines."""
    names = set()
    for line in exposition.splitlines():
        if not line.startswith("# TYPE "):
            continue
        _, _, family, kind = line.split()
        if kind == "histogram":
            names |= {f"{family}_bucket", f"{family}_sum", f"{family}_count"}
        elif kind == "summary":
            names |= {family, f"{family}_sum", f"{family}_count"}
        else:
            names.add(family)
    return names


def _dashboard_queries() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(variable["query"]["query"])
    return queries


def _referenced(queries: list[str]) -> set[str]:
    names = set()
    for query in queries:
        for selector, bare in METRIC_NAME.findall(re.sub(r'"[^"]*"', '""', query)):
            names.add(selector or bare)
    return names


def _for_prometheus(query: str) -> str:
    """Grafana's variables replaced the way Grafana would before sending the query;
    `label_values(m, l)` (Grafana's, not PromQL) asks Prometheus for the series of m."""
    query = re.sub(r"^label_values\((\w+),\s*\w+\)$", r"\1", query)
    return query.replace("$__rate_interval", "1m").replace("$pipeline", ".*")


def _wait(condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.3)
    return False


def test_dashboard_and_alerts_use_only_exported_metrics_and_compose_prometheus_works(
    kafka: KafkaKit, tmp_path: Path
) -> None:
    name = kafka.unique("dash")
    source = kafka.topic("dash-src", partitions=2)
    kafka.created += [
        f"{name}-out",
        f"{name}-w",
        f"{name}.dlq",
        f"stream-engine.{name}.v1.w.changelog",
    ]
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(PIPELINE.format(name=name, source=source))
    base = 1_700_000_000_000
    records = [
        (f"k{i % 7}", orjson.dumps({"k": f"k{i % 7}", "n": i, "ts": base + i})) for i in range(120)
    ]
    records.append(("k1", b"\xff not json"))  # a dead letter
    kafka.produce(source, records)
    worker = WorkerProcess(pipeline, kafka.bootstrap, tmp_path, runtime="kafka").start()
    prometheus = LocalPrometheus(tmp_path, [])
    # The compose stack's config, pointed at this worker and this repo's rules file.
    config = yaml.safe_load(COMPOSE_PROMETHEUS.read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(ALERTS)]
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "stream-engine")
    job["static_configs"][0]["targets"] = [f"127.0.0.1:{worker.port}"]
    config["scrape_configs"] = [job]
    prometheus.config.write_text(yaml.safe_dump(config))
    prometheus.start()
    try:
        assert worker.wait_until(
            lambda: metric_sum(worker.metrics(), "stream_engine_records_in_total") >= len(records),
            timeout_s=30,
        ), worker.log[-3000:]

        def exposition() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=5) as r:
                return str(r.read().decode())

        # The lag families appear once the worker has sampled its group (every few seconds).
        _wait(lambda: "# TYPE stream_engine_consumer_lag_messages " in exposition(), 20)
        exported = _exported_series(exposition())

        queries = _dashboard_queries()
        missing = _referenced(queries) - exported - SCRAPE_SERIES
        assert not missing, (
            f"the dashboard uses metrics the worker does not export: {sorted(missing)}"
        )
        rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
        missing = _referenced([r["expr"] for r in rules]) - exported - SCRAPE_SERIES
        assert not missing, f"alert rules use metrics the worker does not export: {sorted(missing)}"

        # Real Prometheus: the rules loaded, the worker scraped with its own pipeline label
        # (honor_labels), and every dashboard query is valid PromQL.
        with urllib.request.urlopen(f"{prometheus.url}/api/v1/rules", timeout=5) as r:
            loaded = json.loads(r.read())["data"]["groups"]
        assert {rule["name"] for g in loaded for rule in g["rules"]} == {r["alert"] for r in rules}
        assert all(rule["health"] != "err" for g in loaded for rule in g["rules"]), loaded
        assert _wait(lambda: prometheus.query('up{job="stream-engine"} == 1'), 15)
        (up,) = prometheus.query('up{job="stream-engine"}')
        assert up["metric"]["pipeline"] == "clickstream"  # the compose target label
        assert _wait(lambda: prometheus.query("stream_engine_records_in_total"), 15)
        for series in prometheus.query("stream_engine_records_in_total"):
            assert series["metric"]["pipeline"] == name
            assert "exported_pipeline" not in series["metric"]
        for query in queries:
            prometheus.query(_for_prometheus(query))  # asserts status == success
    finally:
        prometheus.stop()
        assert worker.terminate() == 0, worker.log[-3000:]
