"""The JSON report of `stream-engine validate`: a documented, versioned document.

The layout is described field by field in docs/validate.md. `version` changes only when a
field is removed or changes meaning; new fields may be added within a version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from stream_engine.quality.offline import ValidationRun
from stream_engine.quality.results import CheckResult

FORMAT = "stream-engine.validate"
VERSION = 1


def iso_time(ms: int) -> str:
    """Epoch ms as an ISO-8601 UTC string with milliseconds (`2026-05-01T08:00:00.000Z`)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def report_document(run: ValidationRun) -> dict[str, Any]:
    summary = run.summary
    return {
        "format": FORMAT,
        "version": VERSION,
        "table": summary.table,
        "source": run.source_label,
        "rules": run.rules_path,
        "run_at": iso_time(run.run_at_ms),
        "rows": summary.rows,
        "score": summary.score,
        "checks": summary.checks,
        "passed": summary.passed,
        "failed_errors": summary.failed_errors,
        "failed_warnings": summary.failed_warnings,
        "verdict": "failed" if run.failed else "passed",
        "missing_columns": run.missing_columns,
        "results": [result_document(run, r) for r in summary.results],
        "history": None
        if run.history_path is None
        else {
            "path": str(run.history_path),
            "run_id": run.run_id,
            "runs": len(run.score_trend),
        },
    }


def result_document(run: ValidationRun, result: CheckResult) -> dict[str, Any]:
    """CheckResult.to_dict(), with each sample row's origin (`partition:offset`) if known."""
    doc = result.to_dict()
    if run.origins is not None:
        for sample in doc["samples"]:
            if isinstance(sample, dict) and isinstance(sample.get("row"), int):
                sample["origin"] = run.origin(sample["row"])
    return doc


def render_json(run: ValidationRun) -> str:
    return orjson.dumps(report_document(run), option=orjson.OPT_INDENT_2).decode() + "\n"
