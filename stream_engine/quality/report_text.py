"""The text report of `stream-engine validate`: the score, then each failing check with
observed vs expected and sample failing rows. Every line fits in 100 columns."""

from __future__ import annotations

import textwrap
from typing import Any

from stream_engine.quality.offline import ValidationRun
from stream_engine.quality.report_json import iso_time, result_document
from stream_engine.quality.results import CheckResult

WIDTH = 100
INDENT = " " * 13


def fit(line: str, width: int = WIDTH) -> str:
    """One line cut to `width` characters, ending in `...` when cut."""
    line = " ".join(line.split()) if "\n" in line else line
    return line if len(line) <= width else line[: width - 3] + "..."


def number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower() if isinstance(value, bool) else "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_text(run: ValidationRun) -> str:
    s = run.summary
    lines = [
        f"{s.table}: {s.rows} rows from {run.source_label}",
        f"rules {run.rules_path}, run at {iso_time(run.run_at_ms)}",
        f"quality score {s.score:.1%} ({s.passed} of {s.checks} checks pass); "
        f"failing: {s.failed_errors} error, {s.failed_warnings} warn",
    ]
    if run.missing_columns:
        lines.append(
            "warning: not in the data, judged as all null: " + ", ".join(run.missing_columns)
        )
    failing = [r for r in s.results if not r.passed]
    for result in sorted(failing, key=lambda r: r.severity != "error"):
        lines.append("")
        lines.extend(_failing_check(run, result))
    passed = [r.rule for r in s.results if r.passed]
    if passed:
        lines.append("")
        lines.extend(
            textwrap.wrap("passed: " + ", ".join(passed), WIDTH, subsequent_indent="        ")
        )
    if run.history_path is not None:
        lines.append(f"history: run {run.run_id} in {run.history_path}")
    verdict = "FAILED (an error-severity check fails)" if run.failed else "passed"
    lines.append(f"verdict: {verdict}")
    return "\n".join(fit(line) for line in lines) + "\n"


def _failing_check(run: ValidationRun, result: CheckResult) -> list[str]:
    label = "FAIL " if result.severity == "error" else "WARN "
    head = f"{label} {result.severity:<5}  {result.rule} ({result.type})"
    observed = f"observed {number(result.observed)}"
    if result.message:
        observed += f": {result.message}"
    lines = [head, INDENT + observed, INDENT + f"expected {result.expected}"]
    for sample in result_document(run, result)["samples"]:
        lines.append(INDENT + _sample(sample))
    return lines


def _sample(sample: Any) -> str:
    if not isinstance(sample, dict):
        return f"duplicate: {sample!r}"
    where = ""
    if "row" in sample:
        where = f"row {sample['row']}"
    if sample.get("origin"):
        where += f" (at {sample['origin']})" if where else f"at {sample['origin']}"
    text = sample.get("message") or ", ".join(
        f"{k}={v!r}" for k, v in (sample.get("values") or {}).items()
    )
    return f"{where}: {text}" if where else str(text)
