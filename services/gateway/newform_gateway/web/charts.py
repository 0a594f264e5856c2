"""Charts as inline SVG, rendered on the server: no JavaScript library, no CDN."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

PALETTE = ["#c0392b", "#2c7fb8", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d"]


def bar_chart(
    values: dict[str, int],
    labels: dict[str, str] | None = None,
    *,
    title: str,
    color: str = "#2c7fb8",
    width: int = 460,
) -> Markup:
    """Horizontal bars, largest first; each with its label and number."""
    labels = labels or {}
    items = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    row, label_w, pad = 24, 130, 8
    height = max(len(items), 1) * row + 30
    top = max((v for _, v in items), default=0) or 1
    bar_space = width - label_w - 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    if not items:
        parts.append('<text x="0" y="40" class="chart-empty">—</text>')
    for i, (key, value) in enumerate(items):
        y = 26 + i * row
        w = max(int(bar_space * value / top), 1)
        parts.append(f'<text x="0" y="{y + 15}" class="chart-label">{escape(labels.get(key, key))}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + pad // 2}" width="{w}" height="{row - pad}" fill="{color}">'
            f"<title>{escape(labels.get(key, key))}: {value}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 4}" y="{y + 15}" class="chart-value">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(rows: list[dict], series: dict[str, str], *, title: str, width: int = 1080, height: int = 220) -> Markup:
    """Daily series (rows of {"date": ..., <series>: n}) as polylines with a legend."""
    left, right, top_pad, bottom = 36, 10, 30, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max((r.get(s, 0) for r in rows for s in series), default=0) or 1
    n = len(rows)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: int) -> float:
        return top_pad + plot_h - plot_h * v / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top_pad + 4}" class="chart-axis" text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{top_pad + plot_h}" class="chart-axis" text-anchor="end">0</text>',
    ]
    if rows:
        parts.append(f'<text x="{left}" y="{height - 22}" class="chart-axis">{escape(rows[0]["date"])}</text>')
        parts.append(
            f'<text x="{left + plot_w}" y="{height - 22}" class="chart-axis" text-anchor="end">'
            f"{escape(rows[-1]['date'])}</text>"
        )
    for k, (key, label) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(r.get(key, 0)):.1f}" for i, r in enumerate(rows))
        if rows:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
            for i, r in enumerate(rows):
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(r.get(key, 0)):.1f}" r="3" fill="{color}">'
                    f"<title>{escape(r['date'])} {escape(label)}: {r.get(key, 0)}</title></circle>"
                )
        parts.append(
            f'<rect x="{left + k * 130}" y="{height - 12}" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + k * 130 + 14}" y="{height - 3}" class="chart-legend">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
