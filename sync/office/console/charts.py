"""Bar charts as inline SVG, drawn on the server: nothing to load, nothing from a CDN.

Two series per bar group (e.g. issued and served), vertical for days, horizontal for halls.
"""

from __future__ import annotations

from html import escape

COLOURS = ("#1565c0", "#2e7d32")


def bars(points: list[tuple[str, int, int]], series: tuple[str, str], *, horizontal: bool = False) -> str:
    """An SVG (as text) with a pair of bars per point: (label, first value, second value)."""
    if not points:
        return '<p class="muted">没有数据 (no data in this range)</p>'
    top = max(max(a, b) for _l, a, b in points) or 1
    legend = "".join(
        f'<rect x="{10 + i * 90}" y="4" width="12" height="12" fill="{c}"/>'
        f'<text x="{26 + i * 90}" y="15" font-size="12">{escape(name)}</text>'
        for i, (name, c) in enumerate(zip(series, COLOURS, strict=True)))
    if horizontal:
        row, label_w, width = 22, 200, 760
        height = 26 + row * len(points)
        scale = (width - label_w - 60) / top
        body = []
        for i, (label, a, b) in enumerate(points):
            y = 26 + i * row
            body.append(f'<text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
                        f'{escape(label[:28])}</text>')
            for j, (v, c) in enumerate(((a, COLOURS[0]), (b, COLOURS[1]))):
                body.append(f'<rect x="{label_w}" y="{y + j * 9}" width="{max(v * scale, 0.5):.1f}" height="8" '
                            f'fill="{c}"><title>{escape(label)}: {v}</title></rect>')
            body.append(f'<text x="{label_w + a * scale + 4:.1f}" y="{y + 9}" font-size="11">{a}/{b}</text>')
        return (f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
                f'xmlns="http://www.w3.org/2000/svg">{legend}{"".join(body)}</svg>')
    width, height, left, bottom = 760, 260, 40, 40
    slot = (width - left - 10) / len(points)
    bar = max(min(slot / 2 - 2, 30), 1)
    scale = (height - bottom - 30) / top
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#999"/>',
            f'<text x="{left - 4}" y="34" font-size="11" text-anchor="end">{top}</text>']
    every = max(1, len(points) // 16)
    for i, (label, a, b) in enumerate(points):
        x = left + i * slot + (slot - 2 * bar) / 2
        for j, (v, c) in enumerate(((a, COLOURS[0]), (b, COLOURS[1]))):
            h = v * scale
            body.append(f'<rect x="{x + j * bar:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" '
                        f'height="{h:.1f}" fill="{c}"><title>{escape(label)}: {v}</title></rect>')
        if i % every == 0:
            body.append(f'<text x="{x + bar:.1f}" y="{height - bottom + 16}" font-size="11" '
                        f'text-anchor="middle">{escape(label)}</text>')
    return (f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">{legend}{"".join(body)}</svg>')
