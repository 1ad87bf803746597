"""Tiny inline SVG charts: no JavaScript, no external files, readable in any browser."""

from __future__ import annotations

from html import escape

W, H, PAD = 640, 200, 40


def line_chart(points: list[tuple[float, float]], title: str, unit: str) -> str:
    if not points:
        return f"<p>{escape(title)}: no data</p>"
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    x0, x1 = min(xs), max(xs)
    top = max(ys) or 1.0
    span = (x1 - x0) or 1.0

    def px(x: float) -> float:
        return PAD + (x - x0) / span * (W - 2 * PAD)

    def py(y: float) -> float:
        return H - PAD + -(y / top) * (H - 2 * PAD)

    path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img">'
        f"<title>{escape(title)}</title>"
        f'<text x="{PAD}" y="20" font-size="13">{escape(title)}</text>'
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#999"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#999"/>'
        f'<text x="4" y="{PAD + 4}" font-size="10">{top:,.0f}</text>'
        f'<text x="4" y="{H - PAD}" font-size="10">0</text>'
        f'<text x="{W - PAD}" y="{H - PAD + 16}" font-size="10" text-anchor="end">'
        f"{x1 - x0:,.0f}s</text>"
        f'<text x="{W / 2}" y="{H - 8}" font-size="10" text-anchor="middle">'
        f"{escape(unit)}</text>"
        f'<polyline fill="none" stroke="#2a6fdb" stroke-width="2" points="{path}"/>'
        "</svg>"
    )


def bar_chart(bars: list[tuple[str, float]], title: str, highlight: str | None = None) -> str:
    """Horizontal bars of shares (0..1)."""
    height = PAD + 22 * len(bars) + 10
    rows = []
    for i, (label, share) in enumerate(bars):
        y = PAD + 22 * i
        width = max(1.0, share * (W - 220))
        color = "#d9534f" if label == highlight else "#2a6fdb"
        rows.append(
            f'<text x="10" y="{y + 14}" font-size="12">{escape(label[:24])}</text>'
            f'<rect x="180" y="{y}" width="{width:.1f}" height="16" fill="{color}"/>'
            f'<text x="{184 + width:.1f}" y="{y + 13}" font-size="11">{share:.1%}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" role="img">'
        f"<title>{escape(title)}</title>"
        f'<text x="10" y="20" font-size="13">{escape(title)}</text>' + "".join(rows) + "</svg>"
    )


def gantt(spans: list[tuple[str, float, float]], title: str, highlight: set[str]) -> str:
    """One bar per task on a shared time axis; tasks in `highlight` in red."""
    if not spans:
        return f"<p>{escape(title)}: no data</p>"
    end = max(e for _, _, e in spans) or 1.0
    height = PAD + 20 * len(spans) + 20
    rows = []
    for i, (name, s, e) in enumerate(spans):
        y = PAD + 20 * i
        x = 180 + s / end * (W - 200)
        width = max(1.0, (e - s) / end * (W - 200))
        color = "#d9534f" if name in highlight else "#2a6fdb"
        rows.append(
            f'<text x="10" y="{y + 13}" font-size="11">{escape(name[:26])}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="14" fill="{color}"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" role="img">'
        f"<title>{escape(title)}</title>"
        f'<text x="10" y="20" font-size="13">{escape(title)} (critical path in red, '
        f"{end:,.0f}s in all)</text>" + "".join(rows) + "</svg>"
    )
