"""The scheduler's run history file: damaged lines are counted, never fatal or silent."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from stream_engine.errors import ConfigError
from stream_engine.runtime.replay.history import History, JobRun

GOOD = JobRun(
    "nightly",
    "p.yaml",
    "2026-11-25T03:00:00Z",
    "2026-11-25T03:00:01Z",
    "ok",
    1,
    2.5,
    "24h",
    "now",
    "nightly-1",
    10,
    {"out": 3},
    {},
    None,
)


def test_damaged_and_mistyped_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.append(GOOD)
    mistyped = {**GOOD.to_json(), "duration_s": "abc", "emitted": [1]}
    with history.path.open("ab") as handle:
        handle.write(b"garbage\n" + orjson.dumps(mistyped) + b"\n[1]\n\xff\n")
    history.append(GOOD)
    assert history.read() == [GOOD, GOOD]
    assert history.damaged == 4


def test_an_unreadable_history_is_one_config_error(tmp_path: Path) -> None:
    (tmp_path / "history.jsonl").mkdir()
    with pytest.raises(ConfigError, match=r"cannot read the run history .*history\.jsonl"):
        History(tmp_path).read()


def test_scheduler_history_warns_about_damaged_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stream_engine.cli.scheduler import history

    History(tmp_path).append(GOOD)
    with (tmp_path / "history.jsonl").open("ab") as handle:
        handle.write(b"garbage\n")
    history(history_dir=tmp_path, job=None, limit=20, as_json=True)
    out, err = capsys.readouterr()
    assert [orjson.loads(line) for line in out.splitlines()] == [GOOD.to_json()]
    assert err == f"warning: skipped 1 damaged line(s) in {tmp_path / 'history.jsonl'}\n"
