"""`stream-engine analyze` and `compare`: formats, 80 columns, self-contained HTML, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from runlogs import catching_up, falling_behind, write
from typer.testing import CliRunner

from stream_engine.cli.main import app

EXAMPLES = Path(__file__).parents[3] / "examples" / "runlogs"
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def run_log(tmp_path: Path) -> Path:
    return write(tmp_path / "run.jsonl", falling_behind())


def test_text_report_fits_80_columns(run_log: Path) -> None:
    code, out, _ = invoke("analyze", str(run_log))
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "commit" in out and "<- bottleneck" in out
    assert "Run 2 workers: the partition count caps scale-out" in out
    assert "never at current rates" in out


def test_json_report(run_log: Path) -> None:
    code, out, _ = invoke("analyze", str(run_log), "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["kind"] == "run" and data["bottleneck"] == "commit"
    assert data["capacity"]["workers_needed"] == 2 and data["capacity"]["capped"] is True
    assert data["wait_share"] == 0.2


def test_html_report_is_self_contained_with_three_charts(run_log: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, out, _ = invoke("analyze", str(run_log), "--format", "html", "--output", str(target))
    assert code == 0 and out == f"wrote {target}\n"
    html = target.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 3  # throughput, lag, step shares
    for title in ("records in per second", "lag (messages)", "share of step time"):
        assert f"<title>{title}</title>" in html
    assert "<script" not in html and "src=" not in html and "href=" not in html


def test_task_log_reports_in_every_format(tmp_path: Path) -> None:
    tasks = EXAMPLES / "tasks.json"
    code, out, _ = invoke("analyze", str(tasks))
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 80
    assert "Critical path" in out
    code, out, _ = invoke("analyze", str(tasks), "--format", "json")
    assert code == 0 and json.loads(out)["kind"] == "tasks"
    code, out, _ = invoke("analyze", str(tasks), "--format", "html")
    assert code == 0 and out.count("<svg") == 2


def test_compare_prints_percentage_changes(tmp_path: Path) -> None:
    before = write(tmp_path / "before.jsonl", falling_behind())
    after = write(tmp_path / "after.jsonl", catching_up())
    code, out, _ = invoke("compare", str(before), str(after))
    assert code == 0
    rows = {line[:34].strip(): line[34:].split() for line in out.splitlines()[5:]}
    assert rows["throughput (rec/s)"] == ["100", "200", "+100.0%"]
    assert rows["per-worker rate (rec/s)"] == ["125", "1,000", "+700.0%"]
    assert rows["lag at end (messages)"] == ["8,000", "0", "-100.0%"]
    assert rows["step filter (ms / 1k rec)"] == ["500", "0", "-100.0%"]
    assert rows["step map (ms / 1k rec)"] == ["0", "100.00", "n/a"]  # 0.6000000000000001 s
    assert rows["processing (ms / 1k rec)"] == ["8,000", "1,000", "-87.5%"]
    assert max(len(line) for line in out.splitlines()) <= 80
    code, out, _ = invoke("compare", str(before), str(after), "--json")
    first = json.loads(out)[0]
    assert first == {"measure": "runtime (s)", "before": 40.0, "after": 30.0, "change_pct": -25.0}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("hello\n", "is neither a run log"),
        ('{"type": "interval"}\n', "is neither a run log"),
        ('{"type": "start", "time": 1}\n', ":1: pipeline: Field required"),
        (json.dumps(falling_behind()[0]) + "\n{oops\n", ":2: not a run-log line"),
        (json.dumps(falling_behind()[0]) + "\n", "the run log has no interval lines yet"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.log"
    path.write_text(content)
    code, out, err = invoke("analyze", str(path))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_compare_refuses_a_run_log_against_a_task_log(run_log: Path) -> None:
    code, _, err = invoke("compare", str(run_log), str(EXAMPLES / "tasks.json"))
    assert code == 2 and "two run logs or two task logs" in err


def test_the_real_command_line(tmp_path: Path) -> None:
    """The installed entry point: a missing file and a bad --format are one line, exit 2."""
    for args, message in (
        (["analyze", str(tmp_path / "nope.jsonl")], "nope.jsonl: no such file"),
        (["analyze", str(EXAMPLES / "tasks.json"), "--format", "pdf"], "--format must be one of"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "stream_engine", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.startswith("error: ") and message in proc.stderr
        assert proc.stderr.count("\n") == 1


def test_the_documented_examples_run() -> None:
    """docs/analyzer.md's commands on the real run logs under examples/runlogs."""
    for name in ("faust-run.jsonl", "kafka-run.jsonl"):
        code, out, _ = invoke("analyze", str(EXAMPLES / name))
        assert code == 0 and "Recommendations" in out
        assert "records in / out / dead   30,000 / 28,990 / 285" in out
    code, out, _ = invoke(
        "compare", str(EXAMPLES / "faust-run.jsonl"), str(EXAMPLES / "kafka-run.jsonl")
    )
    assert code == 0 and "step offset_commit (ms / 1k rec)" in out
