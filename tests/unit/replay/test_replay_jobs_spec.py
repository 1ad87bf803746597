"""The optional `replays` section: valid jobs load, every mistake is one located line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stream_engine.spec import PipelineFileError, parse_pipeline

BASE: dict[str, Any] = {
    "pipeline": "p",
    "version": 1,
    "sources": {"e": {"topic": "t"}},
    "sinks": {"o": {"topic": "o"}},
}


def _load(jobs: Any) -> Any:
    return parse_pipeline({**BASE, "replays": jobs}, "p.yaml", Path("."))


def test_a_job_with_defaults_and_one_with_everything() -> None:
    spec = _load(
        {
            "nightly": {"schedule": "0 3 * * *", "from": "24h"},
            "hourly": {
                "schedule": "5 * * * *",
                "from": "2h",
                "to": "1h",
                "output": "duckdb:/tmp/x.duckdb",
                "timeout": "10m",
                "retries": 0,
                "backoff": "5s",
                "flush": False,
            },
        }
    )
    nightly, hourly = spec.replays["nightly"], spec.replays["hourly"]
    assert (nightly.range_from, nightly.range_to, nightly.output) == ("24h", "now", "kafka")
    assert (nightly.timeout.ms, nightly.retries, nightly.backoff.ms) == (1_800_000, 3, 30_000)
    assert (hourly.range_to, hourly.timeout.ms, hourly.retries, hourly.flush) == (
        "1h",
        600_000,
        0,
        False,
    )
    assert parse_pipeline(BASE, "p.yaml", Path(".")).replays == {}
    assert _load(None).replays == {}  # every job commented out


@pytest.mark.parametrize(
    ("job", "line"),
    [
        (
            {"schedule": "0 3 * *", "from": "24h"},
            "replays.j.schedule: invalid cron schedule '0 3 * *'",
        ),
        (
            {"schedule": "61 * * * *", "from": "24h"},
            "invalid cron schedule '61 * * * *': a field is out of range",
        ),
        ({"schedule": "@daily"}, "replays.j.from: "),
        ({"schedule": "@daily", "from": "1h", "to": "2h"}, "replays.j: from "),
        (
            {"schedule": "@daily", "from": "latest"},
            "replays.j: from 'latest': latest is only an end",
        ),
        ({"schedule": "@daily", "from": "soon"}, "replays.j: from 'soon': expected earliest"),
        (
            {"schedule": "@daily", "from": "1h", "output": "s3:b"},
            "replays.j.output: invalid output 's3:b'",
        ),
        (
            {"schedule": "@daily", "from": "1h", "timeout": "0"},
            "replays.j.timeout: expected a duration",
        ),
        ({"schedule": "@daily", "from": "1h", "retries": 99}, "replays.j.retries: "),
        (
            {"schedule": "@daily", "from": "1h", "to_live": True, "output": "files:x"},
            "needs output: kafka",
        ),
        ({"schedule": "@daily", "from": "1h", "cron": "x"}, "replays.j.cron: unknown key"),
    ],
)
def test_bad_jobs_are_one_line_each(job: dict[str, Any], line: str) -> None:
    with pytest.raises(PipelineFileError) as info:
        _load({"j": job})
    assert len(info.value.errors) == 1, info.value.errors
    assert info.value.errors[0].startswith("p.yaml: ") and line in info.value.errors[0], (
        info.value.errors
    )
