"""A stacked bar chart as inline SVG: no JavaScript, nothing fetched from elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from console.i18n import _

PALETTE = (
    "#c0392b",
    "#e67e22",
    "#f1c40f",
    "#8e44ad",
    "#2980b9",
    "#16a085",
    "#7f8c8d",
    "#2c3e50",
    "#d35400",
)
BAR_H, GAP, LABEL_W, WIDTH = 22, 8, 90, 640


def bar_chart(rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[str]) -> Markup:
    """One horizontal bar per row, stacked by series, with a legend; counts as tooltips."""
    if not rows or not series:
        return Markup('<p class="muted">{}</p>').format(_("此期间没有标记。"))
    top = max(sum(values) for _label, values in rows) or 1
    scale = (WIDTH - LABEL_W - 40) / top
    legend_h = 20 * ((len(series) + 2) // 3)
    height = legend_h + len(rows) * (BAR_H + GAP) + GAP
    # Marked outside the f-string: the catalogs' extraction does not look inside one.
    label = escape(_("按坐席和类别的标记"))
    parts = [
        f'<svg class="chart" role="img" aria-label="{label}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">'
    ]
    for i, name in enumerate(series):
        lx, ly = (i % 3) * 210, (i // 3) * 20
        parts.append(
            f'<rect x="{lx}" y="{ly + 4}" width="12" height="12" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{lx + 16}" y="{ly + 15}" font-size="12">{escape(name)}</text>'
        )
    for row, (label, values) in enumerate(rows):
        y = legend_h + GAP + row * (BAR_H + GAP)
        parts.append(f'<text x="0" y="{y + 15}" font-size="13">{escape(label)}</text>')
        x = float(LABEL_W)
        for i, value in enumerate(values):
            if value:
                w = value * scale
                colour = PALETTE[i % len(PALETTE)]
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{colour}">'
                    f"<title>{escape(series[i])}{escape(_('：'))}{value}</title></rect>"
                )
                x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}" font-size="12">{sum(values)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
