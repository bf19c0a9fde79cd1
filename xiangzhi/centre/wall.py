"""The wall screen (大屏) of the command centre: the case figures of one scope drawn for a 1920×1080
screen seen across a room.

Its charts are SVG drawn here, on the server, in boxes sized for that screen (the page scales them
with its width), with type large enough to read from the back of the room. Every text is placed
where its estimated box cannot meet another: bar labels sit in a column of their own and are cut
with 「…」 when they would overrun it (the full name stays in the label's tooltip), month ticks are
thinned to the ones that fit, and a year under a tick is dropped when the next one would meet it.
Each chart keeps the boxes it placed (``Panel.boxes``) so that a test can check them.

Names from the database go in through ``escape()``: a village called ``<b>`` shows as typed.

The screen asks for its figures every minute, and a county's take a second or two to count. So its
count is kept (``centre.kept``: served while under a minute old, counted again by the worker after
that): a screen shows figures at most about a minute old, stamped with the time they were counted
(「最后更新 14:05」), and no request waits for the county to be counted but the first."""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from xiangzhi.centre.figures import LEVEL_NAMES, LEVELS, Figures, Row, case_figures
from xiangzhi.centre.kept import keeps, kept
from xiangzhi.centre.selectors import preset_period
from xiangzhi.core.display import day_text, figure_text
from xiangzhi.regions.models import Grid, Region

REFRESH_SECONDS = 60
PERIODS = {"month": "本月", "quarter": "本季度", "year": "本年", "12m": "近12个月", "24m": "近两年"}
DEFAULT_PERIOD = "12m"

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
INK = "#e6edf3"
MUTED = "#9fb3c4"
RULE = "#23425a"
GREEN = "#3ddc97"
DEEP_GREEN = "#1f7a55"
ORANGE = "#ffa94d"
RED = "#ff6b6b"
GREY = "#5c7080"
YELLOW = "#ffd43b"
BLUE = "#4dabf7"
TEAL = "#38d9a9"
PURPLE = "#b197fc"
LEVEL_COLOURS = [GREEN, TEAL, BLUE, ORANGE, PURPLE]

# Chart boxes, in CSS pixels of the 1920×1080 screen: three columns of panels, the trend two wide.
WIDE = (1224, 324)
NARROW = (592, 324)
LABEL_SIZE = 20
CAPTION_SIZE = 18
TICK_SIZE = 18
MIN_ROW = 34  # a bar's row: its label (20 px) and the space between rows


# --- text and its box ------------------------------------------------------------------------------


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at ``size`` px in a CJK font: a Chinese character (or a
    full-width sign, 「…」 included) is as wide as the font is high, a digit or Latin letter at most
    0.62 of that. Overestimating is safe: it only leaves more room."""
    return sum(size if ord(ch) > 0x2E7F or ch == "…" else size * 0.62 for ch in text)


def fit(text: str, size: float, room: float) -> str:
    """``text``, or as much of it as fits ``room`` followed by 「…」."""
    if text_width(text, size) <= room:
        return text
    for end in range(len(text) - 1, 0, -1):
        cut = text[:end] + "…"
        if text_width(cut, size) <= room:
            return cut
    return "…"


@dataclass(frozen=True)
class Box:
    """Where a text is drawn, as estimated: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float
    text: str = ""

    def meets(self, other: "Box") -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    svg: SafeString
    width: int
    height: int
    boxes: tuple[Box, ...]
    legend: tuple[tuple[str, str], ...] = ()  # (colour, name) shown beside the title
    wide: bool = False


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.parts: list[str] = []
        self.boxes: list[Box] = []

    def text(self, x: float, y: float, text: str, *, size: float, fill: str = INK, anchor: str = "start",
             bold: bool = False, tip: str = "") -> Box:
        """``y`` is the baseline; the box runs from the ascent to the descent."""
        w = text_width(text, size) * (1.04 if bold else 1)
        left = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
        box = Box(left, y - size * 0.9, w, size * 1.15, text)
        self.boxes.append(box)
        weight = ' font-weight="600"' if bold else ""
        title = f"<title>{escape(tip)}</title>" if tip and tip != text else ""
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
                          f'text-anchor="{anchor}"{weight}>{title}{escape(text)}</text>')
        return box

    def rect(self, x: float, y: float, w: float, h: float, colour: str, tip: str = "") -> None:
        title = f"<title>{escape(tip)}</title>" if tip else ""
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
                          f'fill="{colour}">{title}</rect>')

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: str, width: float = 1) -> None:
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
                          f'stroke-width="{width}"/>')

    def raw(self, markup: str) -> None:
        self.parts.append(markup)

    def panel(self, key: str, title: str, desc: str, *, legend: Sequence[tuple[str, str]] = (),
              wide: bool = False) -> Panel:
        k = escape(key)
        svg = mark_safe(  # noqa: S308 (every text inside went through escape())
            f'<svg class="wall-svg" data-testid="wall-svg-{k}" viewBox="0 0 {self.width} {self.height}" '
            f'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="wall-{k}-title wall-{k}-desc" '
            f'font-family="{escape(FONT)}" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="wall-{k}-title">{escape(title)}</title><desc id="wall-{k}-desc">{escape(desc)}</desc>'
            + "".join(self.parts) + "</svg>")
        return Panel(key, title, svg, self.width, self.height, tuple(self.boxes), tuple(legend), wide)


def _empty(key: str, title: str, size: tuple[int, int], *, wide: bool = False,
           legend: Sequence[tuple[str, str]] = ()) -> Panel:
    canvas = _Canvas(*size)
    canvas.text(size[0] / 2, size[1] / 2, "暂无数据", size=28, fill=MUTED, anchor="middle")
    return canvas.panel(key, title, "统计期内暂无数据。", legend=legend, wide=wide)


# --- numbers as the wall writes them -----------------------------------------------------------


def pct(rate: float | None) -> str:
    """97.0%; two decimals near 100% so that 99.82% reads as itself; — for no rate."""
    if rate is None:
        return "—"
    value = rate * 100
    return f"{value:.2f}%" if 99.5 <= value < 100 else f"{value:.1f}%"


def _share(part: int, whole: int) -> str:
    return pct(part / whole) if whole else "—"


def _nice_top(peak: float) -> tuple[float, float]:
    """(top of the axis, step between its four or fewer grid lines), whole steps for counts."""
    if peak <= 0:
        return 1, 1
    raw = peak / 4
    power = 10 ** math.floor(math.log10(raw))
    step = max(next(m * power for m in (1, 2, 5, 10) if m * power >= raw), 1)
    return step * math.ceil(peak / step), step


# --- the charts --------------------------------------------------------------------------------------


def trend(key: str, title: str, months: Sequence[Row], size: tuple[int, int] = WIDE) -> Panel:
    """Reports a month as columns, the period's cases closed that month as a line over them; the
    month under each column (thinned to those that fit), the year under the first and every January;
    the count above each column where every count fits its column."""
    legend = ((GREEN, "上报"), (ORANGE, "办结"))
    received = [r.received for r in months]
    closed = [r.closed_in_month for r in months]
    if not months or (not any(received) and not any(closed)):
        return _empty(key, title, size, wide=True, legend=legend)
    width, height = size
    top, step = _nice_top(max(*received, *closed))
    left = text_width(figure_text(top), TICK_SIZE) + 14
    right, head, foot = 8.0, 30.0, 58.0
    plot_h = height - head - foot
    band = (width - left - right) / len(months)
    canvas = _Canvas(width, height)

    def y_of(value: float) -> float:
        return head + plot_h - value / top * plot_h

    tick = 0.0
    while tick <= top + 1e-9:
        canvas.line(left, y_of(tick), width - right, y_of(tick), RULE)
        canvas.text(left - 8, y_of(tick) + TICK_SIZE * 0.35, figure_text(tick), size=TICK_SIZE, fill=MUTED,
                    anchor="end")
        tick += step
    value_size = 16
    show_values = max(text_width(figure_text(v), value_size) for v in received) + 6 <= band
    every = max(1, math.ceil((text_width("12月", TICK_SIZE) + 10) / band))
    years: list[tuple[float, str]] = []
    points = []
    for i, row in enumerate(months):
        year, month = int(row.key[:4]), int(row.key[5:7])
        name = f"{year}年{month}月"
        x = left + band * i
        centre = x + band / 2
        canvas.rect(x + band * 0.18, y_of(received[i]), band * 0.64, y_of(0) - y_of(received[i]), GREEN,
                    f"{name} 上报 {figure_text(received[i])}")
        if show_values and received[i]:
            canvas.text(centre, y_of(received[i]) - 6, figure_text(received[i]), size=value_size, fill=INK,
                        anchor="middle")
        points.append((centre, y_of(closed[i]), f"{name} 办结 {figure_text(closed[i])}"))
        if i % every == 0:
            canvas.text(centre, height - foot + 24, f"{month}月", size=TICK_SIZE, fill=MUTED, anchor="middle")
        if i == 0 or month == 1:
            years.append((centre, f"{year}年"))
    # A year is dropped when the next one would meet it (a period that starts in December).
    for n, (centre, text) in enumerate(years):
        if n + 1 < len(years):
            half = (text_width(text, TICK_SIZE) + text_width(years[n + 1][1], TICK_SIZE)) / 2
            if years[n + 1][0] - centre < half + 8:
                continue
        canvas.text(centre, height - foot + 50, text, size=TICK_SIZE, fill=MUTED, anchor="middle")
    canvas.raw(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)}" fill="none" '
               f'stroke="{ORANGE}" stroke-width="4"/>')
    for x, y, tip in points:
        canvas.raw(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{ORANGE}"><title>{escape(tip)}</title></circle>')
    first, last = months[0].key, months[-1].key
    desc = (f"{first}至{last}，上报合计 {figure_text(sum(received))}，办结合计 {figure_text(sum(closed))}。")
    return canvas.panel(key, title, desc, legend=legend, wide=True)


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its label, its parts (value, colour, tooltip) and the caption after it."""

    label: str
    parts: tuple[tuple[int, str, str], ...]
    caption: str


def bars(key: str, title: str, rows: Sequence[Bar], *, overlay: bool = False, size: tuple[int, int] = NARROW,
         legend: Sequence[tuple[str, str]] = ()) -> Panel:
    """Horizontal bars, one row each: the label right-aligned in a column of its own (cut with 「…」
    where it would overrun it), the bar, its caption after it. The parts of a bar are laid end to
    end, or with ``overlay`` each from the start over the one before (closed over reported)."""
    if not rows or not any(v for row in rows for v, _, _ in row.parts):
        return _empty(key, title, size, legend=legend)
    width, height = size
    canvas = _Canvas(width, height)
    row_h = min(64.0, height / len(rows))
    if row_h < MIN_ROW:
        raise ValueError(f"{len(rows)} rows do not fit {height} px")
    thick = min(24.0, row_h * 0.6)
    label_room = min(max(text_width(r.label, LABEL_SIZE) for r in rows), width * 0.3)
    caption_room = max(text_width(r.caption, CAPTION_SIZE) for r in rows)
    start = label_room + 12
    span = max(width - start - caption_room - 12, width * 0.25)
    peak = max((max(v for v, _, _ in r.parts) if overlay else sum(v for v, _, _ in r.parts)) for r in rows) or 1
    for i, row in enumerate(rows):
        middle = i * row_h + row_h / 2
        canvas.text(label_room, middle + LABEL_SIZE * 0.35, fit(row.label, LABEL_SIZE, label_room), size=LABEL_SIZE,
                    anchor="end", tip=row.label)
        x = start
        end = start
        for value, colour, tip in row.parts:
            w = value / peak * span
            if overlay:
                canvas.rect(start, middle - thick / 2, w, thick, colour, tip)
                end = max(end, start + w)
            else:
                canvas.rect(x, middle - thick / 2, w, thick, colour, tip)
                x += w
                end = x
        canvas.text(end + 8, middle + CAPTION_SIZE * 0.35, row.caption, size=CAPTION_SIZE, fill=INK)
    desc = "；".join(f"{r.label} {r.caption}" for r in rows) + "。"
    return canvas.panel(key, title, desc, legend=legend)


def _rows_that_fit(rows: list[Row], height: int) -> tuple[list[Row], list[Row]]:
    """As many rows as fit the chart, the last place kept for 「其余 N 个」 when some are left over."""
    room = int(height // MIN_ROW)
    if len(rows) <= room:
        return rows, []
    return rows[:room - 1], rows[room - 1:]


def _children_panel(f: Figures) -> Panel:
    """Open and overdue cases per child node, the most overdue first."""
    children = [r for r in f.by_child if r.received or r.key]
    children.sort(key=lambda r: (-r.overdue_open, -r.open, r.key == "", r.key))
    shown, rest = _rows_that_fit(children, NARROW[1])

    def bar(label: str, overdue: int, open_: int) -> Bar:
        caption = figure_text(open_) + (f"（超时 {figure_text(overdue)}）" if overdue else "")
        return Bar(label, ((overdue, RED, f"{label} 超时未办结 {figure_text(overdue)}"),
                           (open_ - overdue, GREY, f"{label} 在办未超时 {figure_text(open_ - overdue)}")), caption)

    rows = [bar(r.name, r.overdue_open, r.open) for r in shown]
    if rest:
        rows.append(bar(f"其余{len(rest)}个", sum(r.overdue_open for r in rest), sum(r.open for r in rest)))
    label = f.child_label or "下级"
    return bars("children", f"各{label}在办与超时", rows, legend=((RED, "超时未办结"), (GREY, "在办未超时")))


def _groups_panel(f: Figures) -> Panel:
    shown, rest = _rows_that_fit(list(f.by_group), NARROW[1])

    def bar(label: str, received: int, closed: int) -> Bar:
        return Bar(label, ((received, DEEP_GREEN, f"{label} 上报 {figure_text(received)}"),
                           (closed, GREEN, f"{label} 已办结 {figure_text(closed)}")),
                   f"{figure_text(received)} · 结 {figure_text(closed)}")

    rows = [bar(r.name or "未分类", r.received, r.closed) for r in shown]
    if rest:
        rows.append(bar(f"其余{len(rest)}类", sum(r.received for r in rest), sum(r.closed for r in rest)))
    return bars("groups", "按类别大类", rows, overlay=True, legend=((DEEP_GREEN, "上报"), (GREEN, "已办结")))


def _levels_panel(f: Figures) -> Panel:
    rows = []
    for level, colour in zip(LEVELS, LEVEL_COLOURS, strict=True):
        n = f.closed_by_level.get(level, 0)
        name = LEVEL_NAMES[level]
        rows.append(Bar(name, ((n, colour, f"{name}办结 {figure_text(n)}"),),
                        f"{figure_text(n)} · {_share(n, f.closed)}"))
    return bars("levels", "办结层级（自办自结）", rows)


def _satisfaction_panel(f: Figures) -> Panel:
    counts = [("满意", f.satisfied, GREEN), ("基本满意", f.basically_satisfied, YELLOW),
              ("不满意", f.dissatisfied, RED)]
    rows = [Bar(name, ((n, colour, f"{name} {figure_text(n)}"),), f"{figure_text(n)} · {_share(n, f.evaluated)}")
            for name, n, colour in counts]
    return bars("satisfaction", "群众评价", rows)


# --- the screen --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    key: str
    name: str
    value: str
    detail: str
    alert: bool = False


@dataclass
class Wall:
    node_name: str
    period: str
    period_label: str
    start: dt.date
    last: dt.date
    generated_at: dt.datetime
    cards: list[Card] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)

    @property
    def updated(self) -> str:
        """The time the figures were counted, 「14:05」 on the county's clock."""
        return f"{timezone.localtime(self.generated_at):%H:%M}"

    @property
    def span(self) -> str:
        return f"{day_text(self.start)}至{day_text(self.last)}"


def _cards(f: Figures) -> list[Card]:
    hours = f.mean_hours_to_close
    cards = [
        Card("received", "上报件", figure_text(f.received), f"其中主动发现 {figure_text(f.proactive)}"),
        Card("closure_rate", "办结率", pct(f.closure_rate),
             f"已办结 {figure_text(f.closed)} / 应办结 {figure_text(f.due)}"),
        Card("on_time_rate", "按期办结率", pct(f.on_time_rate),
             f"按期 {figure_text(f.closed_on_time)} / 应办结 {figure_text(f.due)}"),
        Card("satisfaction_rate", "满意率", pct(f.satisfaction_rate), f"已评价 {figure_text(f.evaluated)}"),
        Card("self_closed_rate", "自办自结率", pct(f.self_closed_rate),
             f"网格办结 {figure_text(f.closed_by_level.get(LEVELS[0], 0))}"),
        Card("overdue_open", "超时未办结", figure_text(f.overdue_open), "当前", alert=f.overdue_open > 0),
        Card("open", "在办件", figure_text(f.open), "当前未办结"),
        Card("mean_days_to_close", "平均办结", "—" if hours is None else f"{hours / 24:.1f}天",
             "" if hours is None else f"约 {hours:,.0f} 小时"),
    ]
    return cards


def wall_for_user(user: Any, *, period: str = DEFAULT_PERIOD, region: Region | None = None, grid: Grid | None = None,
                  now: dt.datetime | None = None) -> Wall:
    """The wall screen of the user's scope, or of a region or grid inside it (404 outside); residents
    are refused. One count of the case figures for the period ending today: two grouped queries
    whatever the number of cases. (The figures page's 走访按期率 is left off: gridwork counts the
    visits of a county in seconds, more than the screen's minute can spare.)"""
    now = now or timezone.now()
    period = period if period in PERIODS else DEFAULT_PERIOD
    start, last = preset_period(period, timezone.localtime(now).date())
    f = case_figures(user, start=start, end=last + dt.timedelta(days=1), region=region, grid=grid, now=now)
    wall = Wall(node_name=f.node_name, period=period, period_label=PERIODS[period], start=start, last=last,
                generated_at=now, cards=_cards(f))
    wall.panels = [
        trend("months", "月度上报与办结", f.by_month),
        _satisfaction_panel(f),
        _children_panel(f),
        _groups_panel(f),
        _levels_panel(f),
    ]
    return wall


@keeps("wall", slow=0.0)
def _wall_count(user: Any, *, region: Region | None, grid: Grid | None, period: str) -> Wall:
    return wall_for_user(user, period=period, region=region, grid=grid)


def wall_cached(user: Any, *, period: str = DEFAULT_PERIOD, region: Region | None = None,
                grid: Grid | None = None) -> Wall:
    """``wall_for_user``, counted at most once a minute for each account and scope (``centre.kept``:
    always kept, the screen asks every minute). The caller has checked the region or grid against the
    user's scope."""
    period = period if period in PERIODS else DEFAULT_PERIOD
    wall: Wall = kept("wall", user, region=region, grid=grid, period=period).value
    return wall
