"""Static inline SVG charts (bars, a stacked bar, a donut, a line with axes): no script, no network, all text escaped.

Every label may be portal-supplied, so every piece of text goes through markupsafe.escape; a datum marked `raw`
gets class "raw" so a page can tell portal text from its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#2f7bd8", "#3a9d4f", "#e0a31a", "#d9643a", "#8a5cc2", "#1aa3a3", "#c43d8f", "#7a8a99", "#5c7a1f",
           "#a0522d", "#4b6cb7", "#b8860b")
GOOD, BAD, NEUTRAL, MISSING = "#3a9d4f", "#c43d3d", "#e0a31a", "#aab4bf"


@dataclass(frozen=True, slots=True)
class Datum:
    label: str
    value: float | None  # None: not known, drawn as such, never as zero
    color: str | None = None
    raw: bool = False  # the label is portal-supplied text
    note: str | None = None  # shown after the value


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    values: Sequence[float | None]  # one per x position; None leaves a gap
    color: str | None = None


def _n(x: float) -> str:
    """A coordinate: short, and never nan."""
    if x is None or not math.isfinite(x):
        return "0"
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _cls(raw: bool) -> Markup:
    return Markup(' class="raw"') if raw else Markup("")


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, raw: bool = False,
          weight: str = "normal", fill: str = "#1d2733") -> Markup:
    return Markup('<text x="{}" y="{}" text-anchor="{}" font-size="{}" font-weight="{}" fill="{}"{}>{}</text>').format(
        _n(x), _n(y), anchor, size, weight, fill, _cls(raw), escape(text))


TITLE_HEIGHT = 26


def _svg(width: float, height: float, title: str, body: list[Markup]) -> Markup:
    """The chart with its title written above it (the drawing is shifted down by TITLE_HEIGHT)."""
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" '
                  'height="{h}" role="img" aria-label="{t}" font-family="Noto Sans CJK SC, PingFang SC, '
                  'Microsoft YaHei, system-ui, sans-serif"><title>{t}</title>{caption}'
                  '<g transform="translate(0 {th})">{b}</g></svg>').format(
        w=_n(width), h=_n(height + TITLE_HEIGHT), t=escape(title), th=TITLE_HEIGHT,
        caption=_text(0, 16, title, size=13, weight="bold"), b=Markup("").join(body))


def _units(text: str) -> int:
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)  # CJK characters are twice as wide


def _short(text: str, limit: int) -> str:
    """At most `limit` half-width units, ending in … when cut."""
    if _units(text) <= limit:
        return text
    kept = ""
    for char in text:
        if _units(kept + char) > limit - 1:
            break
        kept += char
    return kept + "…"


def _legend(data: Sequence[Datum], x: float, y: float, width: float, fmt: Callable[[float], str]) -> tuple[
        list[Markup], float]:
    """Legend items in rows across `width`; returns the marks and the height used."""
    marks: list[Markup] = []
    cx, cy = x, y
    for index, datum in enumerate(data):
        value = "—" if datum.value is None else fmt(datum.value)
        text = f"{_short(datum.label, 48)} {value}" + (f" {datum.note}" if datum.note else "")
        item_width = 22 + 7.5 * _units(text) + 18
        if cx + item_width > x + width and cx > x:
            cx, cy = x, cy + 20
        color = datum.color or PALETTE[index % len(PALETTE)]
        marks.append(Markup('<rect x="{}" y="{}" width="12" height="12" rx="2" fill="{}"/>').format(
            _n(cx), _n(cy - 10), color))
        marks.append(_text(cx + 17, cy, text, raw=datum.raw))
        cx += item_width
    return marks, cy - y + 14


def bar_chart(data: Sequence[Datum], *, title: str, fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
              width: int = 640, label_width: int = 190, max_value: float | None = None,
              threshold: tuple[float, str] | None = None, missing: str = "—") -> Markup:
    """Horizontal bars, one row per datum, the value written after each bar; an optional threshold line."""
    row, top = 24, 8
    known = [d.value for d in data if d.value is not None and math.isfinite(d.value)]
    top_value = max_value if max_value is not None else max([*known, threshold[0] if threshold else 0, 0])
    top_value = top_value or 1.0
    plot = width - label_width - 110
    height = top + row * len(data) + (22 if threshold else 8)
    body: list[Markup] = []
    for index, datum in enumerate(data):
        y = top + index * row
        body.append(_text(label_width - 8, y + 15, _short(datum.label, int(label_width / 6.6)), anchor="end",
                          raw=datum.raw))
        body.append(Markup('<rect x="{}" y="{}" width="{}" height="16" rx="2" fill="#eef2f6"/>').format(
            label_width, _n(y + 2), _n(plot)))
        if datum.value is None or not math.isfinite(datum.value):
            body.append(_text(label_width + 6, y + 15, missing, fill="#6b7785"))
            continue
        length = max(0.0, min(1.0, datum.value / top_value)) * plot
        color = datum.color or PALETTE[0]
        body.append(Markup('<rect x="{}" y="{}" width="{}" height="16" rx="2" fill="{}"/>').format(
            label_width, _n(y + 2), _n(length), color))
        note = f" {datum.note}" if datum.note else ""
        body.append(_text(label_width + plot + 6, y + 15, fmt(datum.value) + note))
    if threshold:
        x = label_width + max(0.0, min(1.0, threshold[0] / top_value)) * plot
        bottom = top + row * len(data)
        body.append(Markup('<line x1="{x}" y1="{t}" x2="{x}" y2="{b}" stroke="#c43d3d" stroke-dasharray="4 3"/>')
                    .format(x=_n(x), t=top, b=_n(bottom)))
        body.append(_text(x, bottom + 15, threshold[1], anchor="middle", size=11, fill="#c43d3d"))
    return _svg(width, height, title, body)


def stacked_bar(data: Sequence[Datum], *, title: str, width: int = 640,
                fmt: Callable[[float], str] = lambda v: f"{v:,.0f}") -> Markup:
    """One bar split by share of the total, with a legend of counts and shares underneath."""
    known = [d for d in data if d.value is not None and d.value > 0]
    total = sum(d.value for d in known if d.value is not None)
    body: list[Markup] = []
    x = 0.0
    for index, datum in enumerate(data):
        if datum.value is None or datum.value <= 0 or not total:
            continue
        part = datum.value / total * width
        body.append(Markup('<rect x="{}" y="4" width="{}" height="26" fill="{}"><title>{}</title></rect>').format(
            _n(x), _n(part), datum.color or PALETTE[index % len(PALETTE)], escape(datum.label)))
        if part > 44:
            body.append(_text(x + part / 2, 22, f"{datum.value / total:.0%}", anchor="middle", fill="#fff",
                              weight="bold"))
        x += part
    if not total:
        body.append(Markup('<rect x="0" y="4" width="{}" height="26" fill="{}"/>').format(width, MISSING))

    def with_share(value: float) -> str:
        return fmt(value) + (f" ({value / total:.0%})" if total else "")

    legend, used = _legend(data, 0, 50, width, with_share)
    return _svg(width, 50 + used, title, body + legend)


def donut(data: Sequence[Datum], *, title: str, center: str = "", size: int = 170, legend_width: int = 420,
          fmt: Callable[[float], str] = lambda v: f"{v:,.0f}") -> Markup:
    """A ring of shares with the total (or `center`) in the middle and a legend beside it."""
    known = [d for d in data if d.value is not None and d.value > 0]
    total = sum(d.value for d in known if d.value is not None)
    radius, stroke = size / 2 - 16, 26
    cx = cy = size / 2
    circumference = 2 * math.pi * radius
    body: list[Markup] = [Markup('<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{m}" stroke-width="{s}"/>')
                          .format(c=_n(cx), r=_n(radius), m=MISSING if not total else "#eef2f6", s=stroke)]
    offset = 0.0
    for index, datum in enumerate(data):
        if datum.value is None or datum.value <= 0 or not total:
            continue
        length = datum.value / total * circumference
        body.append(Markup(
            '<circle cx="{c}" cy="{c}" r="{r}" fill="none" stroke="{col}" stroke-width="{s}" '
            'stroke-dasharray="{a} {b}" stroke-dashoffset="{o}" transform="rotate(-90 {c} {c})">'
            '<title>{t}</title></circle>').format(
            c=_n(cx), r=_n(radius), col=datum.color or PALETTE[index % len(PALETTE)], s=stroke, a=_n(length),
            b=_n(circumference - length), o=_n(-offset), t=escape(datum.label)))
        offset += length
    body.append(_text(cx, cy + 6, center or fmt(total), anchor="middle", size=16, weight="bold"))
    rows: list[Markup] = []
    for index, datum in enumerate(data):
        y = 20 + index * 20
        share = f" ({datum.value / total:.0%})" if total and datum.value is not None else ""
        value = "—" if datum.value is None else fmt(datum.value) + share
        rows.append(Markup('<rect x="{}" y="{}" width="12" height="12" rx="2" fill="{}"/>').format(
            size + 20, y - 10, datum.color or PALETTE[index % len(PALETTE)]))
        rows.append(_text(size + 38, y, _short(datum.label, 40), raw=datum.raw))
        rows.append(_text(size + legend_width, y, value, anchor="end"))
    height = max(size, 20 + 20 * len(data))
    return _svg(size + legend_width + 10, height, title, body + rows)


def line_chart(series: Sequence[Series], x_labels: Sequence[str], *, title: str, y_label: str, x_label: str,
               y_min: float = 0.0, y_max: float = 1.0, y_ticks: Sequence[float] = (0, 0.2, 0.4, 0.6, 0.8, 1.0),
               fmt: Callable[[float], str] = lambda v: f"{v:.1f}", width: int = 760, height: int = 280,
               bands: Sequence[tuple[float, str]] = ()) -> Markup:
    """Lines over harvests with both axes, ticks, tick labels, axis titles and a legend; optional tier bands."""
    left, right, top, bottom = 64, 20, 14, 66
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (y_max - y_min) or 1.0

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (max(y_min, min(y_max, value)) - y_min) / span)

    def x_of(index: int) -> float:
        return left + (plot_w / 2 if len(x_labels) <= 1 else plot_w * index / (len(x_labels) - 1))

    body: list[Markup] = []
    for lower, name in bands:  # e.g. tier thresholds
        y = y_of(lower)
        body.append(Markup('<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#e0a31a" stroke-dasharray="2 4"/>').format(
            left, left + plot_w, y=_n(y)))
        body.append(_text(left + plot_w - 4, y - 3, name, anchor="end", size=10, fill="#a06a00"))
    for tick in y_ticks:
        y = y_of(tick)
        body.append(Markup('<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#e6e9ee"/>').format(
            left, left + plot_w, y=_n(y)))
        body.append(_text(left - 8, y + 4, fmt(tick), anchor="end", size=11))
    body.append(Markup('<line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="#55616e"/>'
                       '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#55616e"/>').format(
        l=left, t=top, b=top + plot_h, r=left + plot_w))
    step = max(1, math.ceil(len(x_labels) / 8))  # at most about eight tick labels
    for index, text in enumerate(x_labels):
        x = x_of(index)
        body.append(Markup('<line x1="{x}" y1="{b}" x2="{x}" y2="{b2}" stroke="#55616e"/>').format(
            x=_n(x), b=top + plot_h, b2=top + plot_h + 5))
        if index % step == 0 or index == len(x_labels) - 1:
            last, first = index == len(x_labels) - 1 and index > 0, index == 0 and len(x_labels) > 1
            anchor = "end" if last else "start" if first else "middle"  # edge labels stay inside the chart
            body.append(_text(x, top + plot_h + 18, text, anchor=anchor, size=11))
    body.append(_text(left + plot_w / 2, top + plot_h + 36, x_label, anchor="middle", size=12, weight="bold"))
    body.append(Markup('<text x="14" y="{y}" text-anchor="middle" font-size="12" font-weight="bold" fill="#1d2733" '
                       'transform="rotate(-90 14 {y})">{t}</text>').format(y=_n(top + plot_h / 2), t=escape(y_label)))
    legend: list[Datum] = []
    for index, line in enumerate(series):
        color = line.color or PALETTE[index % len(PALETTE)]
        points = [(x_of(i), y_of(v)) for i, v in enumerate(line.values) if v is not None and math.isfinite(v)]
        if len(points) > 1:
            body.append(Markup('<polyline fill="none" stroke="{}" stroke-width="2.5" points="{}"/>').format(
                color, " ".join(f"{_n(x)},{_n(y)}" for x, y in points)))
        for (x, y), value in zip(points, [v for v in line.values if v is not None and math.isfinite(v)],
                                 strict=True):
            body.append(Markup('<circle cx="{}" cy="{}" r="4" fill="{}"><title>{}</title></circle>').format(
                _n(x), _n(y), color, escape(f"{line.label}: {fmt(value)}")))
        latest = next((v for v in reversed(line.values) if v is not None and math.isfinite(v)), None)
        legend.append(Datum(line.label, latest, color))
    marks, used = _legend(legend, left, height - 8, plot_w, fmt)
    return _svg(width, height + used - 8, title, body + marks)
