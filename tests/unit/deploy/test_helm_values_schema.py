"""The chart's values.schema.json: a bad value fails `helm template` and `helm lint` with a
line naming the key, while values.yaml and every ci/ values file still lint and render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # comes with kubernetes-validate
import pytest
import yaml
from deploy_kit import CHART, VALUES_FILES, find_tool, helm_template, run_tool

SCHEMA = CHART / "values.schema.json"
SCHEMA_ERROR = "values don't meet the specifications of the schema(s)"


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text())
    return loaded


def _helm(command: str, *sets: str) -> tuple[int, str]:
    args = [find_tool("helm"), command]
    args += ["demo", str(CHART)] if command == "template" else [str(CHART)]
    for item in sets:
        args += ["--set", item]
    done = run_tool(*args)
    return done.returncode, done.stdout + done.stderr


def test_the_schema_is_valid_draft_07() -> None:
    schema = _schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


def _leaf_paths(values: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Keys of values.yaml missing from a closed (additionalProperties: false) schema object."""
    missing = []
    props = schema.get("properties", {})
    for key, value in values.items():
        if key not in props:
            if schema.get("additionalProperties") is False:
                missing.append(prefix + key)
            continue
        if isinstance(value, dict) and props[key].get("type") == "object":
            missing += _leaf_paths(value, props[key], f"{prefix}{key}.")
    return missing


def test_every_documented_value_is_in_the_schema_and_nothing_else() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = _schema()
    assert _leaf_paths(values, schema) == []
    assert set(schema["properties"]) - {"global"} == set(values)


@pytest.mark.parametrize("values", VALUES_FILES, ids=lambda p: p.stem)
def test_each_ci_values_file_passes_the_schema_and_renders(values: Path) -> None:
    chart = yaml.safe_load((CHART / "values.yaml").read_text())
    given = yaml.safe_load(values.read_text()) or {}
    jsonschema.validate(given, _schema())  # the file alone (helm checks the merged values)
    jsonschema.validate(chart, _schema())
    assert any(doc["kind"] == "Deployment" for doc in helm_template(values))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("replicaCount=-1", "- at '/replicaCount': minimum: got -1, want 0"),
        ("replicaCount=abc", "- at '/replicaCount': got string, want integer"),
        ("runtime=flink", "- at '/runtime': value must be one of 'kafka', 'faust'"),
        ("metricsPort=70000", "- at '/metricsPort': maximum: got 70,000, want 65,535"),
        ("pipeline.maxBatchSeconds=0", "- at '/pipeline/maxBatchSeconds': minimum: got 0, want 1"),
        ("kafka.securityProtocol=TLS", "- at '/kafka/securityProtocol': value must be one of"),
        ("kafka.sasl.mechanism=GSSAPI", "- at '/kafka/sasl/mechanism': value must be one of"),
        ("keda.lagThreshold=0", "- at '/keda/lagThreshold': minimum: got 0, want 1"),
        ("replayCronJob.concurrencyPolicy=Sometimes", "- at '/replayCronJob/concurrencyPolicy'"),
        ("podAntiAffinity=always", "- at '/podAntiAffinity': value must be one of"),
        ("serviceMonitor.interval=often", "- at '/serviceMonitor/interval'"),
        ("replicaCont=3", "additional properties 'replicaCont' not allowed"),
        ("kafka.bootstrapServer=x:9092", "additional properties 'bootstrapServer' not allowed"),
    ],
)
def test_a_bad_value_fails_template_with_a_line_naming_it(setting: str, message: str) -> None:
    code, output = _helm("template", setting)
    assert code != 0
    assert SCHEMA_ERROR in output
    assert message in output, output


def test_a_bad_value_fails_lint_too() -> None:
    code, output = _helm("lint", "replicaCount=-1")
    assert code != 0
    assert "- at '/replicaCount': minimum: got -1, want 0" in output
    assert "1 chart(s) failed" in output


@pytest.mark.parametrize(
    "setting",
    ["replicaCount=0", "podDisruptionBudget.maxUnavailable=25%", "kafka.sasl.mechanism=PLAIN"],
)
def test_edge_values_that_are_fine_still_render(setting: str) -> None:
    code, output = _helm("template", setting)
    assert code == 0, output
