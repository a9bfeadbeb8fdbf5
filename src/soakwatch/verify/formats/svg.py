"""Inline SVG line plots of a criterion's series over the window, with its threshold line."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, tzinfo
from html import escape

from soakwatch.verify.engine import Series
from soakwatch.verify.formats.values import fmt
from soakwatch.verify.window import Window

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 90, 150, 12, 28
Scale = Callable[[float], float]
MAX_LEGEND = 12
PALETTE = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2", "#7f7f7f")


def plot(series: list[Series], threshold: float | None, unit: str, window: Window, tz: tzinfo, title: str) -> str:
    """An ``<svg class="plot">``; series are split at gaps, the threshold is a dashed red line."""
    low, high = _y_range(series, threshold)
    sx = _scale(window.start, window.end, LEFT, WIDTH - RIGHT)
    sy = _scale(low, high, HEIGHT - BOTTOM, TOP)
    parts = [f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" style="max-width:100%;height:auto" role="img" '
             f'aria-label="{escape(title)}">',
             f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
             'fill="#fafafa" stroke="#ccc"/>']
    parts += _y_axis(low, high, sy, unit) + _x_axis(window, sx, tz)
    names = _labels(series)
    for index, item in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        parts += [f'<polyline class="series" fill="none" stroke="{color}" stroke-width="1.5" points="{pts}"/>'
                  for pts in _segments(item.points, sx, sy)]
        if index < MAX_LEGEND:
            parts.append(_legend(index, color, names[index]))
    if threshold is not None and math.isfinite(threshold):
        y = sy(threshold)
        parts.append(f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}" font-size="11" fill="#d62728">'
                     f'threshold {escape(fmt(threshold, unit))}</text>')
    if not series:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#d62728">no data</text>')
    return "".join(parts) + "</svg>"


def _y_range(series: list[Series], threshold: float | None) -> tuple[float, float]:
    ys = [v for s in series for _, v in s.points if math.isfinite(v)]
    if threshold is not None and math.isfinite(threshold):
        ys.append(threshold)
    low, high = (min(ys), max(ys)) if ys else (0.0, 1.0)
    pad = (high - low) * 0.08 or (abs(high) * 0.1 or 1.0)
    return low - pad, high + pad


def _scale(d0: float, d1: float, r0: float, r1: float) -> Scale:
    span = (d1 - d0) or 1.0
    return lambda v: r0 + (v - d0) / span * (r1 - r0)


def _segments(points: list[tuple[float, float]], sx: Scale, sy: Scale) -> list[str]:
    segments: list[list[str]] = [[]]
    for t, v in points:
        if math.isfinite(v):
            segments[-1].append(f"{sx(t):.1f},{sy(v):.1f}")
        elif segments[-1]:
            segments.append([])
    out = []
    for seg in segments:
        if len(seg) == 1:  # a lone point: draw a short dash so it stays visible
            x, y = seg[0].split(",")
            seg = [f"{float(x) - 1.5:.1f},{y}", f"{float(x) + 1.5:.1f},{y}"]
        if seg:
            out.append(" ".join(seg))
    return out


def _y_axis(low: float, high: float, sy: Scale, unit: str) -> list[str]:
    out = []
    for i in range(5):
        v = low + (high - low) * i / 4
        y = sy(v)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#555">'
                   f'{escape(_tick(v, unit))}</text>')
    return out


def _x_axis(window: Window, sx: Scale, tz: tzinfo) -> list[str]:
    out = []
    for i in range(5):
        t = window.start + window.seconds * i / 4
        label = datetime.fromtimestamp(t, tz).strftime("%H:%M" if window.seconds <= 86400 else "%m-%d %H:%M")
        out.append(f'<text x="{sx(t):.1f}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle" fill="#555">'
                   f'{label}</text>')
    return out


def _legend(index: int, color: str, label: str) -> str:
    y = TOP + 14 + index * 16
    x = WIDTH - RIGHT + 6
    return (f'<rect x="{x}" y="{y - 8}" width="10" height="3" fill="{color}"/>'
            f'<text x="{x + 14}" y="{y - 3}" font-size="11" fill="#333">{escape(label[:20])}</text>')


def _labels(series: list[Series]) -> list[str]:
    """Legend texts: label values, without the prefix all series share (``soak_harvester_``) or ``_total``."""
    texts = [", ".join(v for _, v in sorted(item.labels.items())) or "value" for item in series]
    prefix = ""
    if len(texts) > 1:
        first, last = min(texts), max(texts)
        shared = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first))
        prefix = first[: first[:shared].rfind("_") + 1]
    return [text.removeprefix(prefix).removesuffix("_total") for text in texts]


def _tick(value: float, unit: str) -> str:
    """Axis labels keep three significant digits where the value format would round them away."""
    return f"{value:.3g}" if unit in ("count", "bool", "") else fmt(value, unit)
