"""The Helm chart lints and renders for each values file in ci/, its core manifests are
valid Kubernetes objects (schemas shipped inside kubernetes-validate, no cluster, no
network), and the custom resources carry what the workers actually use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from deploy_kit import CHART, ROOT, VALUES_FILES, by_kind, find_tool, helm_template, one, run_tool

from stream_engine.spec import PipelineSpec
from stream_engine.spec.loader import load_pipeline

# The chart's supported range: the oldest and a recent release kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.29.0", "1.33.0")
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule", "ScaledObject", "TriggerAuthentication"}
PIPELINE_PATH = "/etc/stream-engine/pipeline/pipeline.yaml"
DEFAULT, EVERYTHING, SASL = (
    CHART / "ci" / f"{n}-values.yaml" for n in ("default", "everything", "external-kafka-sasl")
)


def _values(path: Path) -> dict[str, Any]:
    chart = yaml.safe_load((CHART / "values.yaml").read_text())
    given = yaml.safe_load(path.read_text()) or {}
    return _merge(chart, given)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def _pipeline(values: dict[str, Any], tmp_path: Path) -> PipelineSpec:
    """The values' pipeline file loaded by the real loader, as the worker would load it."""
    folder = tmp_path / "pipeline"
    folder.mkdir()
    for name, content in values["pipeline"]["extraFiles"].items():
        (folder / name).write_text(content)
    text = values["pipeline"]["file"].replace("/app/schemas/", f"{ROOT}/schemas/")
    (folder / "pipeline.yaml").write_text(text)
    return load_pipeline(folder / "pipeline.yaml")


def _worker(docs: list[dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    return container


def test_the_three_values_files_exist() -> None:
    assert sorted([DEFAULT, EVERYTHING, SASL]) == VALUES_FILES


@pytest.mark.parametrize("values", VALUES_FILES, ids=lambda p: p.stem)
def test_helm_lint_passes(values: Path) -> None:
    done = run_tool(find_tool("helm"), "lint", "--strict", str(CHART), "-f", str(values))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("values", VALUES_FILES, ids=lambda p: p.stem)
def test_core_manifests_are_valid_kubernetes_objects(values: Path) -> None:
    docs = helm_template(values)
    core = [d for d in docs if d["kind"] not in CUSTOM_KINDS]
    assert {d["kind"] for d in core} >= {
        "Deployment",
        "Service",
        "ConfigMap",
        "PodDisruptionBudget",
    }
    for version in KUBERNETES_VERSIONS:
        for doc in core:
            kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize(
    ("values", "kinds"),
    [
        (DEFAULT, {"ConfigMap", "Secret", "Service", "Deployment", "PodDisruptionBudget"}),
        (
            EVERYTHING,
            {
                "ConfigMap",
                "Secret",
                "Service",
                "Deployment",
                "PodDisruptionBudget",
                "CronJob",
                "ServiceMonitor",
                "PrometheusRule",
                "ScaledObject",
                "TriggerAuthentication",
            },
        ),
        (
            SASL,
            {
                "ConfigMap",
                "Service",
                "Deployment",
                "PodDisruptionBudget",
                "ScaledObject",
                "TriggerAuthentication",
            },
        ),
    ],
    ids=["default", "everything", "sasl"],
)
def test_each_values_file_renders_exactly_its_objects(values: Path, kinds: set[str]) -> None:
    assert {d["kind"] for d in helm_template(values)} == kinds


@pytest.mark.parametrize("values", VALUES_FILES, ids=lambda p: p.stem)
def test_the_pipeline_file_comes_from_the_configmap_and_loads(values: Path, tmp_path: Path) -> None:
    docs = helm_template(values)
    given = _values(values)
    config = [d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-pipeline")]
    assert len(config) == 1
    assert config[0]["data"] == {
        "pipeline.yaml": given["pipeline"]["file"],
        **given["pipeline"]["extraFiles"],
    }
    worker = _worker(docs)
    assert worker["args"][:2] == ["worker", PIPELINE_PATH]
    assert worker["args"][worker["args"].index("--runtime") + 1] == given["runtime"]
    mount = next(m for m in worker["volumeMounts"] if m["name"] == "pipeline")
    assert PIPELINE_PATH.startswith(mount["mountPath"] + "/")
    volume = next(
        v
        for v in one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]
        if v["name"] == "pipeline"
    )
    assert volume["configMap"]["name"] == config[0]["metadata"]["name"]
    spec = _pipeline(given, tmp_path)  # the real loader accepts it (schemas, expressions)
    assert one(docs, "Service")["metadata"]["labels"]["pipeline"] == spec.pipeline


def test_worker_probes_grace_period_and_anti_affinity() -> None:
    docs = helm_template(DEFAULT)
    deployment = one(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    worker = pod["containers"][0]
    assert deployment["spec"]["replicas"] == 2
    assert worker["livenessProbe"]["httpGet"] == {"path": "/health", "port": "metrics"}
    assert worker["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "metrics"}
    assert worker["ports"] == [{"name": "metrics", "containerPort": 9108, "protocol": "TCP"}]
    assert worker["args"][worker["args"].index("--metrics-port") + 1] == "9108"
    assert pod["terminationGracePeriodSeconds"] > _values(DEFAULT)["pipeline"]["maxBatchSeconds"]
    term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert (
        term["podAffinityTerm"]["labelSelector"]["matchLabels"]
        == deployment["spec"]["selector"]["matchLabels"]
    )
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert worker["securityContext"]["readOnlyRootFilesystem"] is True
    hard = one(helm_template(EVERYTHING), "Deployment")["spec"]["template"]["spec"]["affinity"]
    assert "requiredDuringSchedulingIgnoredDuringExecution" in hard["podAntiAffinity"]


def test_a_grace_period_not_longer_than_the_longest_batch_is_refused() -> None:
    done = run_tool(
        find_tool("helm"),
        "template",
        "demo",
        str(CHART),
        "--set",
        "pipeline.maxBatchSeconds=120",
        "--set",
        "terminationGracePeriodSeconds=120",
    )
    assert done.returncode != 0
    assert (
        "terminationGracePeriodSeconds (120) must be longer than pipeline.maxBatchSeconds (120)"
        in done.stderr
    )


def _env(worker: dict[str, Any], secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The container's environment, with secretKeyRefs resolved from `secrets`."""
    env = {}
    for item in worker["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def test_default_kafka_settings_come_from_the_charts_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stream_engine.settings import load_settings

    docs = helm_template(DEFAULT)
    secret = one(docs, "Secret")
    env = _env(_worker(docs), {secret["metadata"]["name"]: secret["stringData"]})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert settings.kafka_sasl_username is None


def test_sasl_credentials_reach_the_worker_settings_from_the_existing_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stream_engine.settings import load_settings

    docs = helm_template(SASL)
    assert not by_kind(docs, "Secret")  # the existing Secret is used, none is created
    existing = {
        "clickstream-kafka": {"bootstrap": "b-1:9096", "username": "svc", "password": "s3cret"}
    }
    env = _env(_worker(docs), existing)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.kafka_bootstrap_servers == "b-1:9096"
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.kafka_sasl_username == "svc"
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == "s3cret"
    assert "s3cret" not in yaml.safe_dump_all(docs)


def test_sasl_without_credentials_or_secret_is_refused() -> None:
    done = run_tool(
        find_tool("helm"),
        "template",
        "demo",
        str(CHART),
        "--set",
        "kafka.securityProtocol=SASL_SSL",
        "--set",
        "kafka.sasl.mechanism=PLAIN",
    )
    assert done.returncode != 0
    assert "kafka.sasl.username is required" in done.stderr


def test_service_monitor_scrapes_the_metrics_service() -> None:
    docs = helm_template(EVERYTHING)
    monitor, service = one(docs, "ServiceMonitor"), one(docs, "Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    labels = service["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["streams"]}
    assert set(monitor["spec"]["targetLabels"]) <= set(labels)
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint | {"interval": None} == {
        "port": "metrics",
        "path": "/metrics",
        "interval": None,
        "scrapeTimeout": "10s",
        "honorLabels": True,
    }
    assert endpoint["interval"] == "30s"
    assert service["spec"]["selector"] == one(docs, "Deployment")["spec"]["selector"]["matchLabels"]
    pod = one(docs, "Deployment")["spec"]["template"]["metadata"]
    assert "prometheus.io/scrape" not in pod["annotations"]  # not scraped twice
    assert (
        one(helm_template(DEFAULT), "Deployment")["spec"]["template"]["metadata"]["annotations"][
            "prometheus.io/port"
        ]
        == "9108"
    )


def test_prometheus_rule_carries_the_compose_alert_rules_unchanged() -> None:
    rule = one(helm_template(EVERYTHING), "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "prometheus"
    compose_rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    assert rule["spec"]["groups"] == compose_rules["groups"]
    # and the compose stack loads that same file
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert (
        "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro"
        in compose["services"]["prometheus"]["volumes"]
    )


@pytest.mark.parametrize(
    ("values", "partitions", "max_replicas"),
    [(EVERYTHING, 6, 6), (SASL, 12, 12)],
    ids=["tls", "sasl"],
)
def test_keda_scales_the_deployment_on_the_workers_consumer_group_lag(
    values: Path, partitions: int, max_replicas: int, tmp_path: Path
) -> None:
    docs = helm_template(values)
    given = _values(values)
    spec = _pipeline(given, tmp_path)
    scaled, deployment = one(docs, "ScaledObject"), one(docs, "Deployment")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert "replicas" not in deployment["spec"]  # KEDA owns the count
    assert scaled["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert given["keda"]["maxReplicaCount"] > partitions
    assert scaled["spec"]["maxReplicaCount"] == max_replicas
    assert scaled["spec"]["minReplicaCount"] == given["keda"]["minReplicaCount"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["consumerGroup"] == spec.group_id
    assert meta["topic"] == next(iter(spec.sources.values())).topic
    assert meta["lagThreshold"] == str(given["keda"]["lagThreshold"])
    assert meta["bootstrapServers"] == given["kafka"]["bootstrapServers"]
    assert meta["allowIdleConsumers"] == "false"
    assert meta["tls"] == "enable"
    auth = one(docs, "TriggerAuthentication")
    assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}
    refs = {r["parameter"]: (r["name"], r["key"]) for r in auth["spec"]["secretTargetRef"]}
    if values == SASL:
        assert meta["sasl"] == "scram_sha512"
        env = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in _worker(docs)["env"]}
        user, password = (
            env["STREAM_ENGINE_KAFKA_SASL_USERNAME"],
            env["STREAM_ENGINE_KAFKA_SASL_PASSWORD"],
        )
        assert refs == {
            "username": (user["name"], user["key"]),
            "password": (password["name"], password["key"]),
        }
    else:
        assert "sasl" not in meta
        assert refs == {"ca": ("kafka-ca", "ca.crt")}


def test_keda_without_the_partition_count_is_refused() -> None:
    done = run_tool(find_tool("helm"), "template", "demo", str(CHART), "--set", "keda.enabled=true")
    assert done.returncode != 0
    assert "keda.partitions is required" in done.stderr


def test_replay_cronjob_runs_a_real_replay_command_on_the_mounted_pipeline() -> None:
    import typer.main

    from stream_engine.cli.main import app

    docs = helm_template(EVERYTHING)
    cron = one(docs, "CronJob")
    assert cron["spec"]["schedule"] == "0 4 * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    args = container["args"]
    assert args[:2] == ["replay", PIPELINE_PATH]
    replay = typer.main.get_command(app).commands["replay"]  # type: ignore[attr-defined]
    known = {opt for param in replay.params for opt in param.opts}
    assert {a for a in args if a.startswith("--")} <= known
    assert container["env"] == _worker(docs)["env"]
    assert container["volumeMounts"] == _worker(docs)["volumeMounts"]


def test_pod_disruption_budget_and_grafana_dashboard() -> None:
    docs = helm_template(EVERYTHING)
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": one(docs, "Deployment")["spec"]["selector"]["matchLabels"]},
    }
    dashboard = next(
        d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-dashboard")
    )
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = (ROOT / "deploy" / "grafana" / "dashboards" / "stream-engine.json").read_text()
    assert dashboard["data"]["stream-engine.json"].strip() == shipped.strip()
