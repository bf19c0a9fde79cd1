"""Light charts: bars and a line drawn as SVG on the server, a few kilobytes inside the page, for
phones and for everyone by default (plotly.js is 1.4 MB gzipped and only the interactive view and
the wall screen load it).

Each chart is a ``Chart``: its SVG (``role="img"`` with a title and a description) and the same
numbers as a table, which ``front/_chart.html`` shows beneath it as the text alternative. The SVG is
drawn in a 360-unit-wide box, the width of a phone's screen, and scales with its column. Every text
that comes from the database is escaped here: a name goes in as text, never as markup.

A series may carry a link per value (``Series.links``): its bar (or point) is drawn inside an ``<a>``
to that address, and the chart's table links the same number (``Chart.linked_rows``)."""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from xiangzhi.core.display import decimal_text, figure_text

WIDTH = 360
INK = "#212529"
MUTED = "#5c636a"  # 6:1 on white: axis labels stay readable for AA
RULE = "#dee2e6"
GREEN = "#198754"
ORANGE = "#fd7e14"
RED = "#dc3545"
GREY = "#adb5bd"
YELLOW = "#ffc107"
BLUE = "#0d6efd"
TEAL = "#20c997"
PURPLE = "#6f42c1"
FONT = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int | float]
    color: str
    links: Sequence[str] = ()  # an address per value (the list behind the number), or none


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    svg: SafeString
    head: list[str]  # the table's column names: the row label's first
    rows: list[list[str]]
    links: list[list[str]] = field(default_factory=list)  # beside ``rows``: a cell's address, "" for none

    @property
    def linked_rows(self) -> list[list[tuple[str, str]]]:
        """The table's cells as (text, address) pairs."""
        out = []
        for i, row in enumerate(self.rows):
            links = self.links[i] if i < len(self.links) else []
            out.append([(cell, links[j] if j < len(links) else "") for j, cell in enumerate(row)])
        return out


_TITLE = re.compile(r"<title>([^<]*)</title>")


def _link_of(series: Series, i: int) -> str:
    return series.links[i] if i < len(series.links) else ""


def _linked(element: str, href: str) -> str:
    """An element inside a link to ``href`` (an SVG 2 ``<a href>``) named by the element's own (already
    escaped) ``<title>``, or as it is without one."""
    if not href:
        return element
    name = _TITLE.search(element)
    label = f' aria-label="{name.group(1)}"' if name else ""
    return f'<a href="{escape(href)}"{label}>{element}</a>'


def num(value: int | float | None, places: int | None = None) -> str:
    """A count as the whole site writes it (1,585), a measure with one place (45.3) or with ``places``
    always (50.0), — for no value."""
    if value is None:
        return "—"
    if places is not None:
        return decimal_text(value, places)
    if isinstance(value, int) or value == int(value):
        return figure_text(value)
    return decimal_text(value, 1)


def _plain(value: int | float | None) -> int | float:
    """A count stays an int; a Decimal or float average becomes a float, to scale with the others."""
    return value if isinstance(value, int) else float(value or 0)


def _width(text: str, size: float) -> float:
    """About how wide a text is drawn: a Chinese character is as wide as the font is high, a digit or
    Latin letter a little over half that."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def _text(x: float, y: float, text: str, *, size: float = 12, fill: str = INK, anchor: str = "start",
          weight: str = "") -> str:
    bold = ' font-weight="600"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{bold}>'
            f"{escape(text)}</text>")


def _rect(x: float, y: float, w: float, h: float, color: str, tip: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{escape(tip)}</title></rect>")


def _svg(key: str, title: str, desc: str, height: float, body: list[str]) -> SafeString:
    """The chart as one image; a chart whose bars are links is a group of links instead (an image may
    not hold anything a reader can focus)."""
    ids = f"chart-{escape(key)}-title chart-{escape(key)}-desc"
    role = "group" if any(part.startswith("<a href") for part in body) else "img"
    return mark_safe(  # noqa: S308 (every text inside went through escape())
        f'<svg class="xz-svg" data-testid="svg-{escape(key)}" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" '
        f'role="{role}" aria-labelledby="{ids}" font-family="{escape(FONT)}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-{escape(key)}-title">{escape(title)}</title>'
        f'<desc id="chart-{escape(key)}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>")


def _legend(series: Sequence[Series], y: float) -> list[str]:
    out, x = [], 0.0
    for s in series:
        out.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" rx="2" fill="{s.color}"/>')
        out.append(_text(x + 16, y, s.name, size=12))
        x += 16 + _width(s.name, 12) + 14
    return out


def _empty(key: str, title: str) -> SafeString:
    return _svg(key, title, "暂无数据。", 60, [_text(WIDTH / 2, 36, "暂无数据", size=14, fill=MUTED,
                                                                 anchor="middle")])


def _nice_top(peak: float) -> tuple[float, float]:
    """(top of the axis, step between its four or fewer grid lines) for values up to ``peak``."""
    if peak <= 0:
        return 1, 1
    raw = peak / 4
    power = 10 ** math.floor(math.log10(raw))
    step = max(next(m * power for m in (1, 2, 5, 10) if m * power >= raw), 1)  # counts: whole steps
    return step * math.ceil(peak / step), step


def bars(key: str, title: str, labels: Sequence[str], series: Sequence[Series], *, stacked: bool = False,
         label_head: str = "", unit: str = "", places: int | None = None, share: bool = False,
         colors: Sequence[str] = ()) -> Chart:
    """Horizontal bars, one row per label with the label above its bar, so long Chinese names fit a
    phone. Several series are drawn side by side, or end to end with ``stacked``; ``share`` adds each
    value's share of the total; ``colors`` colours a single series bar by bar; ``places`` fixes the
    decimals of every value (a rate: 50.0)."""
    values = [[_plain(s.values[i]) for s in series] for i in range(len(labels))]
    head = [label_head, *(s.name + (f"（{unit}）" if unit else "") for s in series)]
    total = sum(sum(v) for v in values)
    rows = [[label, *(num(v, places) for v in row)] for label, row in zip(labels, values, strict=True)]
    if share:
        head.append("占比")
        rows = [[*r, f"{sum(v) / total * 100:.1f}%" if total else "—"] for r, v in zip(rows, values, strict=True)]
    links = [["", *(_link_of(s, i) for s in series), *([""] if share else [])] for i in range(len(labels))]
    if not any(any(row) for row in links):
        links = []
    if not labels or not any(any(v) for v in values):
        return Chart(key, title, _empty(key, title), head, rows, links)

    def caption(row: list[int | float]) -> str:
        if stacked:
            text = num(sum(row), places)
            if len(series) > 1 and row[0]:
                text += f"（{series[0].name} {num(row[0], places)}）"
            return text
        return num(row[0], places) + unit + (f"（{row[0] / total * 100:.1f}%）" if share and total else "")

    captions = [[caption(row)] if stacked or len(series) == 1 else [num(v, places) + unit for v in row]
                for row in values]
    room = min(max(_width(c, 12) for cs in captions for c in cs) + 8, WIDTH * 0.45)
    span = WIDTH - room
    peak = max(sum(row) if stacked else max(row) for row in values)
    bar_h, gap = 14, 2
    lanes = 1 if stacked else len(series)
    y = 0.0
    body: list[str] = []
    if len(series) > 1:
        body += _legend(series, 14)
        y = 24
    for i, (label, row) in enumerate(zip(labels, values, strict=True)):
        body.append(_text(0, y + 14, label, size=13))
        top = y + 20
        if stacked:
            x = 0.0
            for s, v in zip(series, row, strict=True):
                w = v / peak * span
                body.append(_linked(_rect(x, top, w, bar_h, s.color, f"{label} {s.name} {num(v, places)}{unit}"),
                                    _link_of(s, i)))
                x += w
            body.append(_text(x + 4, top + 11.5, captions[i][0], size=12))
        else:
            for lane, (s, v) in enumerate(zip(series, row, strict=True)):
                w = v / peak * span
                color = colors[i % len(colors)] if colors and len(series) == 1 else s.color
                ly = top + lane * (bar_h + gap)
                body.append(_linked(_rect(0, ly, w, bar_h, color, f"{label} {s.name} {num(v, places)}{unit}"),
                                    _link_of(s, i)))
                body.append(_text(w + 4, ly + 11.5, captions[i][lane], size=12))
        y = top + lanes * bar_h + (lanes - 1) * gap + 10
    sums = "，".join(f"{s.name}合计 {num(sum(v or 0 for v in s.values))}{unit}" for s in series) if not unit else ""
    desc = f"共 {len(labels)} 项{('，' + sums) if sums else ''}。各项数字见图下的数据表。"
    return Chart(key, title, _svg(key, title, desc, y, body), head, rows, links)


def columns(key: str, title: str, labels: Sequence[str], ticks: Sequence[tuple[str, str]], bar: Series,
            line: Series, *, label_head: str = "") -> Chart:
    """Upright bars with a line over them, for a series of periods (months): ``labels`` name each
    period in full (the table, the tooltips), ``ticks`` are its short axis text and the line beneath
    it (a year where one begins), of which as many are drawn as fit."""
    head = [label_head, bar.name, line.name]
    rows = [[label, num(b), num(v)] for label, b, v in zip(labels, bar.values, line.values, strict=True)]
    links = [["", _link_of(bar, i), _link_of(line, i)] for i in range(len(labels))] if bar.links or line.links else []
    if not labels or (not any(bar.values) and not any(line.values)):
        return Chart(key, title, _empty(key, title), head, rows, links)
    top, step = _nice_top(max(max(bar.values), max(line.values)))
    left, right, head_room, foot = max(24.0, _width(num(top), 11) + 8), 6.0, 26.0, 34.0
    height = 220.0
    plot_h = height - head_room - foot
    band = (WIDTH - left - right) / len(labels)
    every = max(1, math.ceil(26 / band))  # a tick label needs about 26 units

    def ty(v: float) -> float:
        return head_room + plot_h - v / top * plot_h

    body = _legend([bar, line], 14)
    tick = 0.0
    while tick <= top + 1e-9:
        body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{ty(tick):.1f}" y2="{ty(tick):.1f}" '
                    f'stroke="{RULE}" stroke-width="1"/>')
        body.append(_text(left - 4, ty(tick) + 4, num(tick), size=11, fill=MUTED, anchor="end"))
        tick += step
    points = []
    for i, (label, b, v) in enumerate(zip(labels, bar.values, line.values, strict=True)):
        x = left + band * i
        body.append(_linked(_rect(x + band * 0.2, ty(b), band * 0.6, ty(0) - ty(b), bar.color,
                                  f"{label} {bar.name} {num(b)}"), _link_of(bar, i)))
        points.append((x + band / 2, ty(v), f"{label} {line.name} {num(v)}", _link_of(line, i)))
        short, sub = ticks[i]
        if i % every == 0:
            body.append(_text(x + band / 2, height - foot + 14, short, size=11, fill=MUTED, anchor="middle"))
        if sub:
            body.append(_text(x + band / 2, height - foot + 28, sub, size=11, fill=MUTED, anchor="middle"))
    body.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y, *_ in points)}" fill="none" '
                f'stroke="{line.color}" stroke-width="2.5"/>')
    body += [_linked(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{line.color}"><title>{escape(tip)}</title>'
                     "</circle>", href) for x, y, tip, href in points]
    desc = (f"{labels[0]}至{labels[-1]}，{bar.name}合计 {num(sum(bar.values))}，{line.name}合计 "
            f"{num(sum(line.values))}。每月数字见图下的数据表。")
    return Chart(key, title, _svg(key, title, desc, height, body), head, rows, links)


def month_ticks(keys: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """For month keys ``YYYY-MM``: their full names (2026年5月) and axis ticks (5月, with 2026年 beneath
    the first month and every January)."""
    labels, ticks = [], []
    for i, key in enumerate(keys):
        year, month = int(key[:4]), int(key[5:7])
        labels.append(f"{year}年{month}月")
        ticks.append((f"{month}月", f"{year}年" if i == 0 or month == 1 else ""))
    return labels, ticks
