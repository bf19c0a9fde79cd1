"""审计: the audit trail of the user's scope, one page with filters, newest first, paged by position
(never by counting a million rows), and the same rows as .xlsx — an export that is itself recorded."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from xiangzhi.accounts.scope import scope_of
from xiangzhi.audit.models import AuditAction, AuditEvent
from xiangzhi.audit.rules import audit_allowed
from xiangzhi.audit.selectors import audit_list_for_user
from xiangzhi.audit.services import common_path, export_recorded
from xiangzhi.centre.nav import sections_for
from xiangzhi.core.inputs import require
from xiangzhi.lib import spreadsheets
from xiangzhi.regions.models import Grid, Region

PAGE_SIZE = 50
EXPORT_MAX = 20000  # a township's year of events; a larger export is narrowed by dates first
SEARCH_SPAN = dt.timedelta(days=92)  # what one page of a text search reads at most: a quarter's events
REFUSED = "只有县级管理员和乡镇（街道）综治中心可以查看审计日志"
EXPORT_HEADER = ["时间", "操作人", "类别", "摘要", "所在区域", "对象", "IP 地址"]


@dataclass
class Filters:
    action: str = ""
    actor: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    text: str = ""
    errors: list[str] = field(default_factory=list)

    def query(self) -> dict[str, str]:
        values = {"action": self.action, "actor": self.actor, "text": self.text,
                  "start": self.start.isoformat() if self.start else "",
                  "end": self.end.isoformat() if self.end else ""}
        return {k: v for k, v in values.items() if v}

    def events(self, user: Any, *, with_text: bool = True) -> QuerySet[AuditEvent]:
        return audit_list_for_user(user, action=self.action or None, actor=self.actor or None, start=self.start,
                                   end=self.end, text=(self.text or None) if with_text else None)


def _day(value: str, label: str, errors: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}格式不正确，应为 年-月-日")
        return None


def filters_from(get: Any) -> Filters:
    """What the form asks for; what cannot be read is named in ``errors`` and left out of the filter."""
    f = Filters(errors=[])
    action = get.get("action", "")
    if action and action not in AuditAction.values:
        f.errors.append("没有这种类别")
    else:
        f.action = action
    f.actor = get.get("actor", "").strip()[:50]
    f.text = get.get("text", "").strip()[:100]
    f.start = _day(get.get("start", "").strip(), "起始日期", f.errors)
    f.end = _day(get.get("end", "").strip(), "截止日期", f.errors)
    if f.start and f.end and f.start > f.end:
        f.errors.append("起始日期不能晚于截止日期")
        f.start = f.end = None
    return f


def _places(paths: set[str]) -> dict[str, str]:
    """The name of the region or grid each path ends at (two indexed lookups for a page of rows)."""
    paths.discard("")
    if not paths:
        return {}
    names = dict(Region.objects.filter(path__in=paths).values_list("path", "name"))
    names.update(Grid.objects.filter(path__in=paths).values_list("path", "name"))
    return names


def _subject(subject: str) -> str:
    """``people.resident:123`` → 「居民 #123」. A subject that names no model shows nothing, and a key
    that is not a number (a setting's) only its kind: the summary says it in words."""
    label, _, pk = subject.partition(":")
    try:
        noun = str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return ""
    return f"{noun} #{pk}" if pk.isdigit() else noun


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    places = _places({e.scope_path for e in events})
    return [{
        "event": e, "at": timezone.localtime(e.at), "who": e.actor_name or "系统", "action": e.get_action_display(),
        "place": places.get(e.scope_path, "全县" if not e.scope_path else ""),
        "subject": _subject(e.subject) if e.subject else "",
    } for e in events]


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def cursor_text(at: dt.datetime, pk: int) -> str:
    """Where a page ends, in the list's order (time, then id): ``<microseconds since 1970>_<id>``."""
    return f"{(at - _EPOCH) // _MICRO}_{pk}"


def _cursor(value: str) -> tuple[dt.datetime, int] | None:
    micros, _, pk = value.partition("_")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    return _EPOCH + int(micros) * _MICRO, int(pk)


@dataclass
class Page:
    events: list[AuditEvent]
    next_cursor: str = ""
    searched_from: dt.datetime | None = None  # a text search read the events since then only


def _page(f: Filters, user: Any, before: str) -> Page:
    """The page after the cursor ``before``. Paging is by position, never by counting or skipping
    rows. A text search cannot use an index (any part of a sentence may match), so each page reads at
    most ``SEARCH_SPAN`` of events before the cursor; when it finds fewer than a page there, the next
    link goes on with the span before it."""
    qs = f.events(user)
    mark = _cursor(before)
    if mark is not None:
        qs = qs.filter(Q(at__lt=mark[0]) | Q(at=mark[0], pk__lt=mark[1]))
    since = None
    if f.text:
        upper = [mark[0] if mark else timezone.now()]
        if f.end is not None:
            upper.append(_midnight(f.end + dt.timedelta(days=1)))
        since = min(upper) - SEARCH_SPAN
        if f.start is not None and _midnight(f.start) >= since:
            since = None  # the dates asked for are narrower already
        else:
            qs = qs.filter(at__gte=since)
    events = list(qs[:PAGE_SIZE + 1])
    if len(events) > PAGE_SIZE:
        events = events[:PAGE_SIZE]
        return Page(events, cursor_text(events[-1].at, events[-1].pk), since)
    if since is not None:
        # The oldest event the other filters allow, read up the time index: is there more before ``since``?
        oldest = f.events(user, with_text=False).order_by("at", "id").values_list("at", flat=True).first()
        if oldest is not None and oldest < since:
            return Page(events, cursor_text(since, 0), since)  # id 0: everything before ``since``
    return Page(events, "", since)


@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(audit_allowed(user), REFUSED)
    f = filters_from(request.GET)
    before = request.GET.get("before", "")
    page = _page(f, user, before)
    query = f.query()
    return render(request, "centre/audit.html", {
        "title": "审计日志", "filters": f, "actions": AuditAction.choices, "rows": _rows(page.events),
        "first_page": not before, "first_url": "?" + urlencode(query),
        "next_url": "?" + urlencode({**query, "before": page.next_cursor}) if page.next_cursor else "",
        "searched_from": page.searched_from, "export_url": "export.xlsx?" + urlencode(query),
        "export_max": EXPORT_MAX, "centre_sections": sections_for(user, "audit"),
    }, status=422 if f.errors else 200)


@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered rows, newest first, at most ``EXPORT_MAX``; every cell text."""
    user = request.user
    require(audit_allowed(user), REFUSED)
    f = filters_from(request.GET)
    events = list(f.events(user)[:EXPORT_MAX])
    sheet = [[f"{r['at']:%Y-%m-%d %H:%M:%S}", r["who"], r["action"], r["event"].summary, r["place"], r["subject"],
              r["event"].ip or ""] for r in _rows(events)]
    content = spreadsheets.write_xlsx("审计日志", EXPORT_HEADER, sheet, text_columns=range(len(EXPORT_HEADER)))
    said = "、".join(f"{k}={v}" for k, v in f.query().items())
    return export_recorded(
        request, content, f"audit-{timezone.localdate():%Y%m%d}.xlsx",
        summary=f"导出审计日志 {len(events)} 条" + (f"（筛选：{said}）" if said else ""),
        scope_path=common_path(scope_of(user).paths), subject="audit.auditevent",
        detail={"rows": len(events), "filters": f.query()})
