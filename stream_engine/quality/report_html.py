"""The HTML report of `stream-engine validate`: one self-contained file.

No scripts, fonts or stylesheets are fetched: styles are inline and charts are inline SVG,
so the file can be mailed, archived by CI, or opened offline. Each check gets a table;
when the history holds earlier runs, each metric gets a line chart of its values over runs.
"""

from __future__ import annotations

import html
from typing import Any

import orjson

from stream_engine.quality.history import Point
from stream_engine.quality.offline import ValidationRun
from stream_engine.quality.report_json import iso_time, result_document
from stream_engine.quality.report_text import number
from stream_engine.quality.results import CheckResult

CHART_WIDTH = 480
CHART_HEIGHT = 140
_PAD = 36

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.6em 0 .4em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f4f4f4}.pass{color:#1a7f37}
.fail{color:#cf222e}.warn{color:#9a6700}.score{font-size:2em;font-weight:600}
section{border-top:1px solid #ddd;margin-top:1em}code{background:#f6f8fa;padding:0 3px}
svg{background:#fafafa;border:1px solid #e4e4e4}
"""


def esc(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else _text(value))


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return orjson.dumps(value, default=str).decode()
    return number(value) if isinstance(value, float | int | bool | None) else str(value)


def render_html(run: ValidationRun) -> str:
    s = run.summary
    verdict = "fail" if run.failed else "pass"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Quality report: {esc(s.table)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Quality report: {esc(s.table)}</h1>",
        f"<p>{s.rows} rows from <code>{esc(run.source_label)}</code>, rules "
        f"<code>{esc(run.rules_path)}</code>, run at {esc(iso_time(run.run_at_ms))}</p>",
        f'<p><span class="score {verdict}">{s.score:.1%}</span> of checks pass '
        f"({s.passed} of {s.checks}); failing: {s.failed_errors} error, "
        f'{s.failed_warnings} warn. Verdict: <b class="{verdict}">'
        f"{'failed' if run.failed else 'passed'}</b></p>",
        _overview(s.results),
    ]
    if run.missing_columns:
        names = ", ".join(f"<code>{esc(c)}</code>" for c in run.missing_columns)
        parts.insert(-1, f'<p class="warn">Not in the data, judged as all null: {names}</p>')
    for points, title in ((run.score_trend, "Quality score"), (run.rows_trend, "Rows")):
        chart = trend_chart(points, title)
        if chart:
            parts.append(f"<h2>{title} over runs</h2>{chart}")
    for result in s.results:
        parts.append(_check_section(run, result))
    if run.history_path is not None:
        where = esc(str(run.history_path))
        parts.append(f"<p>History: run {run.run_id} in <code>{where}</code></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _overview(results: tuple[CheckResult, ...]) -> str:
    rows = "".join(
        f'<tr><td><a href="#{esc(_anchor(r.rule))}">{esc(r.rule)}</a></td><td>{esc(r.type)}</td>'
        f"<td>{esc(r.severity)}</td><td>{_verdict(r)}</td><td>{esc(r.observed)}</td>"
        f"<td>{esc(r.expected)}</td></tr>"
        for r in results
    )
    head = "<tr><th>rule</th><th>type</th><th>severity</th><th>verdict</th><th>observed</th>"
    return f"<table>{head}<th>expected</th></tr>{rows}</table>"


def _verdict(result: CheckResult) -> str:
    if result.passed:
        return '<span class="pass">pass</span>'
    css = "fail" if result.severity == "error" else "warn"
    return f'<span class="{css}">fail</span>'


def _anchor(rule: str) -> str:
    return "check-" + "".join(c if c.isalnum() else "-" for c in rule)


def _check_section(run: ValidationRun, result: CheckResult) -> str:
    doc = result_document(run, result)
    fields = [
        ("verdict", _verdict(result)),
        ("type", esc(result.type)),
        ("columns", esc(", ".join(result.columns) or "-")),
        ("severity", esc(result.severity)),
        ("observed", esc(result.observed)),
        ("expected", esc(result.expected)),
        ("failing rows", f"{result.failing} of {result.rows}"),
    ]
    if result.mostly is not None:
        fields.append(("mostly", esc(result.mostly)))
    if result.message:
        fields.append(("message", esc(result.message)))
    for key, value in doc["details"].items():
        fields.append((esc(key), esc(value)))
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in fields)
    out = [f'<section id="{esc(_anchor(result.rule))}"><h2>{esc(result.rule)}</h2>']
    out.append(f"<table>{body}</table>")
    if doc["samples"]:
        out.append("<p>Sample failing rows</p>" + _samples_table(doc["samples"]))
    chart = trend_chart(run.trends.get(result.rule, []), result.rule)
    if chart:
        out.append(f"<p>Observed value over runs</p>{chart}")
    out.append("</section>")
    return "".join(out)


def _samples_table(samples: list[Any]) -> str:
    if not all(isinstance(s, dict) for s in samples):
        items = "".join(f"<tr><td>{esc(s)}</td></tr>" for s in samples)
        return f"<table><tr><th>duplicate key</th></tr>{items}</table>"
    keys: list[str] = []
    for sample in samples:
        keys.extend(k for k in sample if k not in keys)
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(s.get(k, ''))}</td>" for k in keys) + "</tr>" for s in samples
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def trend_chart(points: list[Point], title: str) -> str:
    """An inline SVG line of a metric over runs (evenly spaced), or '' with under 2 values."""
    known = [p for p in points if p.value is not None]
    if len(known) < 2:
        return ""
    values = [float(p.value) for p in known if p.value is not None]
    low, high = min(values), max(values)
    span = high - low or 1.0
    inner_w, inner_h = CHART_WIDTH - 2 * _PAD, CHART_HEIGHT - 2 * _PAD
    step = inner_w / (len(known) - 1)
    xy = [
        (_PAD + i * step, _PAD + inner_h - (v - low) / span * inner_h) for i, v in enumerate(values)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#0969da"><title>'
        f"{esc(iso_time(p.run_at_ms))}: {esc(number(v))}</title></circle>"
        for (x, y), p, v in zip(xy, known, values, strict=True)
    )
    labels = (
        f'<text x="4" y="{_PAD + 4}" font-size="11">{esc(number(high))}</text>'
        f'<text x="4" y="{_PAD + inner_h + 4}" font-size="11">{esc(number(low))}</text>'
        f'<text x="{_PAD}" y="{CHART_HEIGHT - 8}" font-size="11">'
        f"{esc(iso_time(known[0].run_at_ms)[:19])}</text>"
        f'<text x="{CHART_WIDTH - _PAD}" y="{CHART_HEIGHT - 8}" font-size="11" '
        f'text-anchor="end">{esc(iso_time(known[-1].run_at_ms)[:19])}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" '
        f'height="{CHART_HEIGHT}" role="img" aria-label="{esc(title)} over {len(known)} runs">'
        f'<polyline fill="none" stroke="#0969da" stroke-width="2" points="{line}"/>'
        f"{dots}{labels}</svg>"
    )
