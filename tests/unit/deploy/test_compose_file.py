"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked: every
service points at what really exists (the example pipeline, CLI options, the rules file,
the dashboard), and Prometheus' config passes the real promtool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main
import yaml
from deploy_kit import ROOT, find_tool, run_tool

from stream_engine.cli.main import app
from stream_engine.spec.loader import load_pipeline


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def _services() -> dict[str, Any]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _mounts(service: dict[str, Any]) -> dict[str, Path]:
    """container path -> host path (relative to the repo) of each bind mount."""
    out = {}
    for volume in service["volumes"]:
        host, container = volume.split(":")[:2]
        assert (ROOT / host).exists(), volume
        out[container] = ROOT / host
    return out


def _known_options(command: str) -> set[str]:
    cmd = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return {opt for param in cmd.params for opt in param.opts}


def test_kafka_service_is_single_node_kraft_without_auto_create() -> None:
    kafka = _services()["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.1"
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert str(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "1"
    assert "9092:9092" in kafka["ports"]
    assert "localhost:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_topic_creation_makes_the_example_pipelines_input_topics() -> None:
    services = _services()
    init = services["kafka-topics"]
    assert init["image"] == "apache/kafka:3.9.1"
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    script = init["command"][0]
    spec = load_pipeline(ROOT / "examples" / "clickstream" / "pipeline.yaml", env={})
    inputs = [s.topic for s in spec.sources.values()] + [r.topic for r in spec.reference.values()]
    assert inputs == ["page-views", "users"]
    lines = [line for line in script.splitlines() if "--create" in line]
    created = {line.split("--topic ")[1].split()[0]: line for line in lines}
    assert set(created) == set(inputs)
    assert all("--if-not-exists" in line and "kafka:19092" in line for line in lines)
    assert "--config cleanup.policy=compact" in created["users"]
    for name in ("worker", "producer"):
        assert services[name]["depends_on"] == {
            "kafka-topics": {"condition": "service_completed_successfully"}
        }


def test_worker_runs_the_example_pipeline_from_the_image_on_the_internal_listener() -> None:
    services = _services()
    worker = services["worker"]
    assert worker["build"] == "."
    env = worker["environment"]
    advertised = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert f"//{env['KAFKA_BOOTSTRAP_SERVERS']}" in advertised  # PLAINTEXT://kafka:19092
    command = worker["command"]
    assert command[:2] == ["worker", "examples/clickstream/pipeline.yaml"]
    assert (ROOT / command[1]).is_file()  # copied to /app/examples by the Dockerfile
    assert {a for a in command if a.startswith("--")} <= _known_options("worker")
    port = command[command.index("--metrics-port") + 1]
    assert f"{port}:{port}" in worker["ports"]
    assert "healthcheck" not in worker  # the image's HEALTHCHECK on /health applies


def test_producer_sends_the_clickstream_example_steadily() -> None:
    producer = _services()["producer"]
    assert producer["image"] == _services()["worker"]["image"]
    command = producer["command"]
    assert command[:3] == ["produce", "--example", "clickstream"]
    assert {a for a in command if a.startswith("--")} <= _known_options("produce")
    assert float(command[command.index("--rate") + 1]) > 0
    assert producer["healthcheck"] == {"disable": True}  # it serves no /health


def test_prometheus_scrapes_the_worker_and_loads_the_alert_rules(tmp_path: Path) -> None:
    services = _services()
    prom = services["prometheus"]
    assert prom["image"].startswith("prom/prometheus:")
    assert "9090:9090" in prom["ports"]
    assert "healthcheck" in prom
    mounts = _mounts(prom)
    config = yaml.safe_load(mounts["/etc/prometheus/prometheus.yml"].read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    assert mounts["/etc/prometheus/alerts.yml"] == ROOT / "deploy/prometheus/alerts.yml"
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "stream-engine")
    assert job["honor_labels"] is True
    (static,) = job["static_configs"]
    worker_port = services["worker"]["command"][-1]
    assert static["targets"] == [f"worker:{worker_port}"]
    assert static["labels"] == {"pipeline": "clickstream"}
    # the real promtool, with the rules path pointing at the repo's file
    copy = tmp_path / "prometheus.yml"
    copy.write_text(
        mounts["/etc/prometheus/prometheus.yml"]
        .read_text()
        .replace("/etc/prometheus/alerts.yml", str(mounts["/etc/prometheus/alerts.yml"]))
    )
    done = run_tool(find_tool("promtool"), "check", "config", str(copy))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 1 rule files found" in done.stdout


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard() -> None:
    services = _services()
    grafana = services["grafana"]
    assert grafana["image"].startswith("grafana/grafana:")
    assert "3000:3000" in grafana["ports"]
    mounts = _mounts(grafana)
    sources_dir = mounts["/etc/grafana/provisioning/datasources"]
    (source,) = yaml.safe_load((sources_dir / "prometheus.yml").read_text())["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert "9090:9090" in services["prometheus"]["ports"]
    providers_dir = mounts["/etc/grafana/provisioning/dashboards"]
    (provider,) = yaml.safe_load((providers_dir / "stream-engine.yml").read_text())["providers"]
    dashboards = mounts[provider["options"]["path"]]
    assert (dashboards / "stream-engine.json").is_file()
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/stream-engine.json"
