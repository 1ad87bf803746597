"""The alert rules file passes promtool's checks and its unit tests (real promtool)."""

from __future__ import annotations

import yaml
from deploy_kit import ROOT, find_tool, run_tool

RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests" / "alerts_test.yml"
ALERTS = {
    "StreamEngineWorkerDown",
    "StreamEngineLagGrowing",
    "StreamEngineLagSecondsHigh",
    "StreamEngineDeadLetterRateHigh",
    "StreamEngineQualityScoreLow",
}


def test_promtool_check_rules_passes() -> None:
    done = run_tool(find_tool("promtool"), "check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in done.stdout


def test_promtool_rule_unit_tests_pass() -> None:
    done = run_tool(find_tool("promtool"), "test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_has_a_severity_and_a_summary_naming_the_pipeline() -> None:
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    assert {r["alert"] for r in rules} == ALERTS
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert "{{ $labels.pipeline }}" in rule["annotations"]["summary"], rule["alert"]
        if "consumer_lag" in rule["expr"]:
            assert "{{ $labels.partition }}" in rule["annotations"]["summary"], rule["alert"]


def test_every_alert_is_exercised_by_a_promtool_unit_test() -> None:
    cases = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    firing = {
        check["alertname"]
        for case in cases
        for check in case["alert_rule_test"]
        if check["exp_alerts"]
    }
    silent = {
        check["alertname"]
        for case in cases
        for check in case["alert_rule_test"]
        if not check["exp_alerts"]
    }
    assert firing == ALERTS
    assert silent == ALERTS
