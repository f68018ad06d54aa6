"""Small inline SVG charts for the HTML report: no library, no script, no network.

Each function returns one `<svg>` element as a string, with `role="img"` and an
`aria-label` that says in words what the chart shows. Colours are from the Okabe-Ito
palette, which stays distinguishable with the common colour-vision deficiencies; shapes
and labels carry the meaning too, never colour alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from html import escape

INK = "#1f2328"
MUTED = "#59636e"
GRID = "#d8dee4"
BLUE = "#0072B2"
GREEN = "#009E73"
VERMILLION = "#D55E00"
ORANGE = "#E69F00"
SKY = "#56B4E9"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
PALETTE = (BLUE, ORANGE, GREEN, PURPLE, VERMILLION, SKY, YELLOW)
FONT = "font-family=\"inherit\" font-size=\"12\""
# A chart drawn this wide or narrower is meant for a phone (the HTML report draws each chart
# twice, wide and narrow, and shows one by the screen's width): fewer labels, bars under their names.
NARROW = 480


def _a(text: str) -> str:
    return escape(text, quote=True)


def _pct(value: float, digits: int = 0) -> str:
    return f"{value * 100:.{digits}f}%"


STEPS = (0.05, 0.1, 0.2, 0.25)


def nice_range(values: list[float]) -> tuple[float, float, float]:
    """(low, high, step) of a y axis for shares: both ends on multiples of `step`, within 0..1,
    with at most six steps and some air around the values."""
    low, high = min(values), max(values)
    for step in STEPS:
        bottom = max(0.0, math.floor((low - step / 4) / step + 1e-9) * step)
        top = min(1.0, math.ceil((high + step / 4) / step - 1e-9) * step)
        if (top - bottom) / step <= 6 + 1e-9:
            break
    if top - bottom < 2 * step:
        top = min(1.0, bottom + 2 * step)
        bottom = max(0.0, top - 2 * step)
    return round(bottom, 6), round(top, 6), step


def _ticks(low: float, high: float, step: float) -> list[float]:
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return [round(k * step, 6) for k in range(first, last + 1)]


@dataclass(frozen=True)
class SeriesPoint:
    label: str
    start: datetime
    end: datetime
    value: float | None
    met: bool | None
    closed: bool


@dataclass(frozen=True)
class PlanLine:
    start: datetime
    by: datetime
    baseline: float
    target: float


def goal_chart(points: list[SeriesPoint], *, target: float, line: PlanLine | None, until: datetime,
               description: str, width: int = 720, height: int = 240, target_word: str = "target") -> str:
    """The goal's value per window against the baseline-to-target line and the target
    (labelled `target_word`, the caller's language).

    The x axis is time, from the first window to `until` (the later of the last window's end
    and the deadline), so the planned path shows where the goal has to go next.
    """
    left, right, top, bottom = 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    x0 = points[0].start if points else (line.start if line else until)
    span = max((until - x0).total_seconds(), 1.0)
    values = [p.value for p in points if p.value is not None] + [target]
    if line:
        values.append(line.baseline)
    low, high, step = nice_range(values)

    def x(instant: datetime) -> float:
        return left + plot_w * min(max((instant - x0).total_seconds() / span, 0.0), 1.0)

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="{_a(description)}" class="chart">']
    for tick in _ticks(low, high, step):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{MUTED}" {FONT}>'
                     f'{_pct(tick)}</text>')
    every = max(1, -(-len(points) // max(2, width // 90)))     # a label every 90 units at most
    for index, p in enumerate(points):
        if index % every == 0:
            mid = p.start + (p.end - p.start) / 2
            parts.append(f'<text x="{x(mid):.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                         f'fill="{MUTED}" {FONT}>{_a(p.label)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                 f'stroke="{GREEN}" stroke-width="1.5" stroke-dasharray="2 4"/>')
    # The label sits on the side of the target line the planned path does not come from.
    below = line is not None and line.baseline > line.target
    parts.append(f'<text x="{width - right}" y="{y(target) + (15 if below else -5):.1f}" text-anchor="end" '
                 f'fill="{GREEN}" {FONT}>{_a(target_word)} {_pct(target, 1 if target * 100 % 1 else 0)}</text>')
    if line and line.baseline != line.target:     # a flat path is the target line itself
        end = min(line.by, until)
        end_value = line.baseline + (line.target - line.baseline) * min(
            1.0, (end - line.start).total_seconds() / max((line.by - line.start).total_seconds(), 1.0))
        parts.append(f'<line x1="{x(line.start):.1f}" y1="{y(line.baseline):.1f}" x2="{x(end):.1f}" '
                     f'y2="{y(end_value):.1f}" stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="6 4"/>')
    # The series: segments join consecutive measured windows; a gap where nothing was measured.
    run: list[str] = []
    for point in [*points, None]:
        if point is not None and point.value is not None:
            mid = point.start + (point.end - point.start) / 2
            run.append(f"{x(mid):.1f},{y(point.value):.1f}")
            continue
        if len(run) > 1:
            parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{BLUE}" stroke-width="2.5" '
                         'stroke-linejoin="round"/>')
        run = []
    for p in points:
        if p.value is None:
            continue
        cx, cy = x(p.start + (p.end - p.start) / 2), y(p.value)
        title = f"<title>{_a(p.label)}: {_pct(p.value, 1)}{'' if p.closed else ' (so far)'}</title>"
        fill = "#ffffff" if not p.closed else (GREEN if p.met else VERMILLION)
        stroke = BLUE if not p.closed else fill
        if p.met is False and p.closed:
            parts.append(f'<rect x="{cx - 4.5:.1f}" y="{cy - 4.5:.1f}" width="9" height="9" fill="{fill}" '
                         f'stroke="{stroke}" stroke-width="1.5">{title}</rect>')
        else:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="{fill}" stroke="{stroke}" '
                         f'stroke-width="1.5">{title}</circle>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(labels: list[str], series: list[tuple[str, list[int]]], *, description: str,
                 width: int = 720, height: int = 240) -> str:
    """One bar per window, stacked by series (feedback categories), with a legend above that
    wraps onto as many rows as the width needs."""
    left, right, bottom = 40, 16, 40
    legend: list[tuple[float, float]] = []       # (x, y) of each series' key
    legend_x, legend_y = float(left), 8.0
    for name, _ in series:
        need = 28 + 7 * len(name)
        if legend_x > left and legend_x + need - 12 > width - right:
            legend_x, legend_y = float(left), legend_y + 20
        legend.append((legend_x, legend_y))
        legend_x += need
    top = int(legend_y) + 28
    height += top - 36
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    peak = max(totals + [1])
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000) if peak / s <= 5)
    high = -(-peak // step) * step
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="{_a(description)}" class="chart">']
    for tick in range(0, high + 1, step):
        ty = top + plot_h * (1 - tick / high)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="{MUTED}" {FONT}>{tick}</text>')
    for index, ((name, _), (kx, ky)) in enumerate(zip(series, legend, strict=True)):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{kx:.0f}" y="{ky:.0f}" width="12" height="12" fill="{colour}" rx="2"/>'
                     f'<text x="{kx + 17:.0f}" y="{ky + 10:.0f}" fill="{INK}" {FONT}>{_a(name)}</text>')
    slot = plot_w / max(len(labels), 1)
    bar = min(slot * 0.6, 48)
    every = max(1, -(-len(labels) // max(2, width // 72)))     # a label every 72 units at most
    for i, label in enumerate(labels):
        bx = left + slot * i + (slot - bar) / 2
        base: float = top + plot_h
        for index, (name, values) in enumerate(series):
            if not values[i]:
                continue
            h = plot_h * values[i] / high
            base -= h
            parts.append(f'<rect x="{bx:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[index % len(PALETTE)]}"><title>{_a(label)}: {values[i]} {_a(name)}'
                         '</title></rect>')
        if i % every == 0:
            # "2026-12 (so far)": the remark on a line of its own, so neighbours' labels never overlap
            name, _, remark = label.partition(" (")
            more = f'<tspan x="{bx + bar / 2:.1f}" dy="14">({_a(remark)}</tspan>' if remark else ""
            parts.append(f'<text x="{bx + bar / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                         f'fill="{MUTED}" {FONT}>{_a(name)}{more}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbars(rows: list[tuple[str, float, str]], *, maximum: float, description: str, colour: str = BLUE,
          width: int = 720) -> str:
    """Horizontal bars: (label, value, value text) per row, scaled to `maximum`. Wide: the
    label left of its bar; NARROW or less: the label above its bar, which takes the full width."""
    narrow = width <= NARROW
    label_w, right, row_h = (0, 56, 40) if narrow else (260, 70, 26)
    bar_y, text_y = (20, 33) if narrow else (3, 16)     # within a row: the bar's top, the value's baseline
    room = (width - 8) // 7 if narrow else 38           # characters of a label (7 units each)
    height = row_h * max(len(rows), 1) + 8
    plot_w = width - label_w - right
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="{_a(description)}" class="chart">']
    for i, (label, value, text) in enumerate(rows):
        ty = 4 + i * row_h
        w = plot_w * (value / maximum if maximum else 0)
        short = label if len(label) <= room else label[:room - 1] + "…"
        if narrow:
            parts.append(f'<text x="0" y="{ty + 13}" fill="{INK}" {FONT}><title>{_a(label)}</title>{_a(short)}</text>')
        else:
            parts.append(f'<text x="{label_w - 10}" y="{ty + 16}" text-anchor="end" fill="{INK}" {FONT}>'
                         f'<title>{_a(label)}</title>{_a(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{ty + bar_y}" width="{plot_w}" height="18" fill="#eef1f4" rx="3"/>')
        parts.append(f'<rect x="{label_w}" y="{ty + bar_y}" width="{w:.1f}" height="18" fill="{colour}" rx="3"/>')
        parts.append(f'<text x="{label_w + plot_w + 8}" y="{ty + text_y}" fill="{INK}" {FONT}>{_a(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)
