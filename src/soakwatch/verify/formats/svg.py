"""Inline SVG line plots of a criterion's series over the window, with its threshold line."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, tzinfo
from html import escape

from soakwatch.verify.engine import Series
from soakwatch.verify.formats.values import MIB, fmt
from soakwatch.verify.window import Window

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 90, 150, 12, 28
Scale = Callable[[float], float]
INSET = 4  # the lowest and highest value sit this far inside the frame, so a line on them stays visible
MAX_LEGEND = 12
LEGEND_CHARS = 20
CHAR_WIDTH = 6.5  # about the width of one character at font-size 11
NOISE = {"job", "instance", "pipeline", "run_id"}
BOUNDED = ("ratio", "bool")  # never above 1 when the values stay within it
DISPLAY = {"bytes": MIB, "bytes/h": MIB, "ratio": 0.01}  # one unit of the axis labels, in base units
PALETTE = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2", "#7f7f7f")


def plot(series: list[Series], threshold: float | None, unit: str, window: Window, tz: tzinfo, title: str) -> str:
    """An ``<svg class="plot">``; series are split at gaps, the threshold is a dashed red line on the same axis."""
    limit = threshold if threshold is not None and math.isfinite(threshold) else None
    data = [v for s in series for _, v in s.points if math.isfinite(v)]
    low, high, ticks = y_axis(data, limit, unit)
    sx = _scale(window.start, window.end, LEFT, WIDTH - RIGHT)
    sy = _scale(low, high, HEIGHT - BOTTOM - INSET, TOP + INSET)
    parts = [f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" style="max-width:100%;height:auto" role="img" '
             f'aria-label="{escape(title)}" data-y-min="{low:g}" data-y-max="{high:g}" '
             f'data-min="{min(data, default=math.nan):g}" data-threshold="{"" if limit is None else f"{limit:g}"}">',
             f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
             'fill="#fafafa" stroke="#ccc"/>']
    parts += _y_ticks(ticks, sy, unit) + _x_axis(window, sx, tz)
    parts += _lines(series, sx, sy)
    if limit is not None:
        label = f"threshold {fmt(limit, unit)}"
        start = window.end - (len(label) * CHAR_WIDTH + 12) / (WIDTH - LEFT - RIGHT) * window.seconds
        below = [sy(v) for s in series for t, v in s.points if t >= start and math.isfinite(v)]
        parts += _threshold(sy(limit), label, below)
    if not series:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#d62728">no data</text>')
    return "".join(parts) + "</svg>"


def y_axis(data: list[float], threshold: float | None, unit: str) -> tuple[float, float, list[float]]:
    """``(low, high, ticks)`` holding the data and the threshold; never below 0 when neither is negative, and
    never above 1 for ratios and flags that stay within it."""
    ys = data + ([threshold] if threshold is not None else [])
    low, high = (min(ys), max(ys)) if ys else (0.0, 1.0)
    floor = 0.0 if low >= 0 else -math.inf
    ceiling = 1.0 if unit in BOUNDED and high <= 1 else math.inf
    if unit == "bool" and floor == 0 and ceiling == 1:
        return 0.0, 1.0, [0.0, 1.0]
    pad = (high - low) * 0.08 or (abs(high) * 0.1 or 1.0)
    low, high = max(floor, low - pad), min(ceiling, high + pad)
    step = _step(high - low, unit, high)
    low, high = max(floor, math.floor(low / step + 1e-9) * step), min(ceiling, math.ceil(high / step - 1e-9) * step)
    ticks = [k * step for k in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1)]
    return low, high, ticks


def _step(span: float, unit: str, high: float) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) in the unit the labels show, about span / 4."""
    factor = DISPLAY.get(unit, 0.001 if unit == "seconds" and high < 1 else 1.0)
    raw = span / 4 / factor
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    if unit in ("count", "bool"):
        step = float(max(1, math.ceil(step)))
    return step * factor


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


def _y_ticks(ticks: list[float], sy: Scale, unit: str) -> list[str]:
    out = []
    for v in ticks:
        y = sy(v)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text class="tick" data-value="{v:g}" x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" '
                   f'text-anchor="end" fill="#555">{escape(_tick(v, unit))}</text>')
    return out


def _threshold(y: float, label: str, under: list[float]) -> list[str]:
    """The dashed line and its label inside the plot, right-aligned, above the line unless the line is at the top
    or the series under the label (``under``: their y there) would cross it while there is room below."""
    spots = [text_y for text_y in (y - 5, y + 14) if TOP + 11 < text_y < HEIGHT - BOTTOM - 2]
    free = [text_y for text_y in spots if not any(text_y - 12 <= v <= text_y + 3 for v in under)]
    text_y = (free or spots or [y - 5])[0]
    return [f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>',
            f'<text class="threshold-label" x="{WIDTH - RIGHT - 6}" y="{text_y:.1f}" font-size="11" '
            f'text-anchor="end" fill="#d62728" stroke="#fafafa" stroke-width="3" paint-order="stroke">'
            f'{escape(label)}</text>']


def _lines(series: list[Series], sx: Scale, sy: Scale) -> list[str]:
    """One polyline per unbroken run of each series, and the legend (the first MAX_LEGEND, then a count)."""
    parts = []
    names = _labels(series)
    for index, item in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        tip = f"<title>{escape(names[index])}</title>"
        parts += [f'<polyline class="series" fill="none" stroke="{color}" stroke-width="1.5" points="{pts}">'
                  f"{tip}</polyline>" for pts in _segments(item.points, sx, sy)]
        if index < MAX_LEGEND:
            parts.append(_legend(index, color, names[index]))
    if len(series) > MAX_LEGEND:
        parts.append(_legend(MAX_LEGEND, "none", f"+{len(series) - MAX_LEGEND} more"))
    return parts


def _x_axis(window: Window, sx: Scale, tz: tzinfo) -> list[str]:
    pattern = "%H:%M:%S" if window.seconds < 600 else "%H:%M" if window.seconds < 43200 else "%m-%d %H:%M"
    out = []
    for i in range(5):
        t = window.start + window.seconds * i / 4
        out.append(f'<text x="{sx(t):.1f}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle" fill="#555">'
                   f'{datetime.fromtimestamp(t, tz).strftime(pattern)}</text>')
    return out


def _legend(index: int, color: str, label: str) -> str:
    y = TOP + 14 + index * 16
    x = WIDTH - RIGHT + 6
    shown = label if len(label) <= LEGEND_CHARS else label[: LEGEND_CHARS - 1] + "\u2026"
    return (f'<rect x="{x}" y="{y - 8}" width="10" height="3" fill="{color}"/>'
            f'<text class="legend" x="{x + 14}" y="{y - 3}" font-size="11" fill="#333">{escape(shown)}</text>')


def _labels(series: list[Series]) -> list[str]:
    """Legend texts: the label values that tell the series apart (not job, instance, pipeline or run_id), without
    the prefix all of them share (``soak_harvester_``) or ``_total``."""
    keys = sorted({k for item in series for k in item.labels} - NOISE)
    if len(series) > 1:
        keys = [k for k in keys if len({item.labels.get(k) for item in series}) > 1]
    texts = [", ".join(item.labels[k] for k in keys if k in item.labels) or "value" for item in series]
    prefix = ""
    if len(texts) > 1:
        first, last = min(texts), max(texts)
        shared = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first))
        prefix = first[: first[:shared].rfind("_") + 1]
    return [text.removeprefix(prefix).removesuffix("_total") for text in texts]


def _tick(value: float, unit: str) -> str:
    """Axis labels keep three significant digits where the value format would round them away."""
    if unit == "bool":
        return fmt(value, unit)
    if value == 0:
        return "0"
    if unit in ("bytes", "bytes/h"):
        return f"{value / MIB:.4g} MB" + ("/h" if unit == "bytes/h" else "")
    return f"{value:.3g}" if unit in ("count", "") else fmt(value, unit)
