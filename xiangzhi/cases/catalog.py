"""The county keeps its case categories and its working calendar in pages (C3: "every threshold, cadence,
category … is configuration data").

A category's **terms** (level, responsible department kind, 三事分流, the limit of each step, the warning,
what happens when overdue) change by a new version (``CategoryTerms``); a case keeps the version in force
when it was reported, so a change applies to new cases only and never moves a deadline already set. Its
name, group, kind and order change in place; a category is retired, never deleted (the catch-all 其他
stays). The **holiday calendar** is kept a year at a time, all or nothing. Every change leaves a
``ConfigChange`` with its before and after (``configuration.services.config_change_record``).

Re-exported by ``cases.services`` (writes) and ``cases.selectors`` (reads)."""

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.cases import routing, rules
from xiangzhi.cases.errors import CaseError
from xiangzhi.cases.models import (
    OTHER_CATEGORY,
    TERMS_FIELDS,
    CalendarDay,
    Category,
    CategoryKind,
    CategoryTerms,
    HandlingLevel,
    OverdueAction,
    SplitClass,
)
from xiangzhi.configuration.models import ConfigKind
from xiangzhi.configuration.rules import can_edit_county
from xiangzhi.configuration.selectors import county_for_user
from xiangzhi.configuration.services import change_reason, config_change_record
from xiangzhi.core.errors import Conflict, field_error
from xiangzhi.core.inputs import require
from xiangzhi.lib import holidays
from xiangzhi.regions.models import Department

READ_ONLY = "只有县级管理员可以修改事件类别和节假日"
HOURS_LIMIT = 8760  # a year of working hours: long matters (land disputes, petitions) take months
CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
NAME_FIELDS = ("name", "group", "kind", "sort", "hint")


@dataclass
class CategoryInput:
    """What the category form holds: names and terms. ``code`` blank on a new category makes one."""

    name: str
    group: str
    default_level: str
    kind: str = CategoryKind.EVENT
    split_class: str = SplitClass.MINOR
    department_kind: str = ""
    accept_hours: int | None = 4  # None: left blank in the form, refused
    dispatch_hours: int | None = 4
    handle_hours: int | None = 72
    verify_hours: int | None = 24
    warn_before_hours: int | None = 8
    overdue_action: str = OverdueAction.NOTIFY
    sort: int | None = None
    code: str = ""
    hint: str = ""  # what belongs here, in the villagers' words: the category suggester reads it


def category_input_of(category: Category) -> CategoryInput:
    return CategoryInput(**{f: getattr(category, f) for f in (*NAME_FIELDS, *TERMS_FIELDS, "code")})


def _scope_path(actor: User) -> str:
    county = county_for_user(actor)
    return county.path if county is not None else ""


def _clean(data: CategoryInput, *, category: Category | None) -> dict[str, Any]:
    """The form's values checked, as model fields; every refusal names its field."""
    def refuse(name: str, message: str) -> CaseError:
        return CaseError(message, fields=field_error(name, message))

    out: dict[str, Any] = {}
    for name, label, limit in (("name", "名称", 50), ("group", "大类", 30)):
        value = (getattr(data, name) or "").strip()
        if not value:
            raise refuse(name, f"请填写{label}")
        if len(value) > limit:
            raise refuse(name, f"{label}不能超过 {limit} 个字")
        out[name] = value
    hint = " ".join((data.hint or "").split())
    if len(hint) > 200:
        raise refuse("hint", "“包括哪些情况”不能超过 200 个字")
    out["hint"] = hint
    taken = Category.objects.filter(name=out["name"])
    if category is not None:
        taken = taken.exclude(pk=category.pk)
    if taken.exists():
        raise refuse("name", f"已有名为“{out['name']}”的类别")
    for name, label, choices in (("kind", "部件/事件", CategoryKind), ("split_class", "三事分流", SplitClass),
                                 ("default_level", "默认处置层级", HandlingLevel),
                                 ("overdue_action", "超时处理", OverdueAction)):
        value = getattr(data, name)
        if value not in choices.values:
            raise refuse(name, f"请选择{label}")
        out[name] = value
    department = (data.department_kind or "").strip()
    if department and department not in Department.Kind.values:
        raise refuse("department_kind", "未知的责任部门类别")
    if out["default_level"] == HandlingLevel.DEPARTMENT and not department:
        raise refuse("department_kind", "默认派往职能部门的类别要选择责任部门类别")
    out["department_kind"] = department
    for name, label, low in (("accept_hours", "受理时限", 1), ("dispatch_hours", "派遣时限", 1),
                             ("handle_hours", "处置时限", 1), ("verify_hours", "核查时限", 1),
                             ("warn_before_hours", "到期前预警", 0)):
        value = getattr(data, name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= HOURS_LIMIT:
            raise refuse(name, f"{label}应为 {low}～{HOURS_LIMIT} 之间的整数（工作小时）")
        out[name] = value
    if out["warn_before_hours"] >= out["handle_hours"]:
        raise refuse("warn_before_hours", "到期前预警应短于处置时限")
    if data.sort is not None:
        if isinstance(data.sort, bool) or not 0 <= data.sort <= 999:
            raise refuse("sort", "排序应为 0～999 之间的整数")
        out["sort"] = data.sort
    elif category is not None:
        out["sort"] = category.sort
    return out


def _new_code() -> str:
    n = Category.objects.count() + 1
    while Category.objects.filter(code=f"cat_{n:03d}").exists():
        n += 1
    return f"cat_{n:03d}"


def _terms_row(category: Category, version: int, actor: User | None, reason: str, now: dt.datetime) -> CategoryTerms:
    row = CategoryTerms(category=category, version=version, set_by=actor, reason=reason, created_at=now,
                        **{f: getattr(category, f) for f in TERMS_FIELDS})
    row.save(force_insert=True)
    return row


def _after_commit_reload() -> None:
    """Routing keeps the catalog in memory: this process reloads now, the others within its interval."""
    routing.reference_invalidate()
    transaction.on_commit(routing.reference_invalidate)


@transaction.atomic
def category_create(*, data: CategoryInput, actor: User, reason: str) -> Category:
    """A new category with its first version of terms, in force for the next case reported."""
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    values = _clean(data, category=None)
    code = (data.code or "").strip()
    if code:
        if not CODE.match(code):
            raise CaseError("代码应以小写字母开头，由小写字母、数字和下划线组成（2～32 位）",
                            fields=field_error("code", "格式不正确"))
        if Category.objects.filter(code=code).exists():
            raise Conflict(f"代码 {code} 已被使用", fields=field_error("code", "已被使用"))
    else:
        code = _new_code()
    if "sort" not in values:
        other = Category.objects.filter(code=OTHER_CATEGORY).values_list("sort", flat=True).first()
        values["sort"] = max(0, (other or 999) - 1)  # before 其他, which stays last
    category = Category.objects.create(code=code, **values)
    now = timezone.now()
    _terms_row(category, 1, actor, reason, now)
    config_change_record(kind=ConfigKind.CATEGORY, code=code, name=category.name, before=None,
                         after={"code": code, **values, "version": 1}, actor=actor, reason=reason,
                         scope_path=_scope_path(actor))
    _after_commit_reload()
    return category


@transaction.atomic
def category_update(*, category: Category, data: CategoryInput, actor: User, reason: str,
                    now: dt.datetime | None = None) -> CategoryTerms | None:
    """Change a category's names and terms. Changed terms become a new version (returned), which cases
    reported from now on keep to; cases already reported keep theirs. ``now`` for the demo's history."""
    now = now or timezone.now()
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    category = Category.objects.select_for_update().get(pk=category.pk)
    values = _clean(data, category=category)
    changed = {f: v for f, v in values.items() if getattr(category, f) != v}
    if not changed:
        raise Conflict("没有修改任何内容")
    before = {f: getattr(category, f) for f in changed}
    for f, v in changed.items():
        setattr(category, f, v)
    category.save(update_fields=list(changed))
    version = None
    if any(f in TERMS_FIELDS for f in changed):
        number = (CategoryTerms.objects.filter(category=category).aggregate(n=Max("version"))["n"] or 0) + 1
        version = _terms_row(category, number, actor, reason, now)
    config_change_record(kind=ConfigKind.CATEGORY, code=category.code, name=category.name, before=before,
                         after={**changed, **({"version": version.version} if version else {})}, actor=actor,
                         reason=reason, scope_path=_scope_path(actor), at=now)
    _after_commit_reload()
    return version


@transaction.atomic
def category_retire(*, category: Category, actor: User, reason: str, active: bool = False) -> Category:
    """停用 (or, with ``active``, 启用 again) a category: no new case files under a retired one; its cases
    keep it. The catch-all 其他 is never retired: a report without a category files there."""
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    category = Category.objects.select_for_update().get(pk=category.pk)
    if not active and category.code == OTHER_CATEGORY:
        raise Conflict("“其他”类别不能停用：未选类别的上报都归入它")
    if category.is_active == active:
        raise Conflict("该类别已启用" if active else "该类别已停用")
    category.is_active = active
    category.save(update_fields=["is_active"])
    config_change_record(kind=ConfigKind.CATEGORY, code=category.code, name=category.name,
                         before={"is_active": not active}, after={"is_active": active}, actor=actor,
                         reason=reason, scope_path=_scope_path(actor))
    _after_commit_reload()
    return category


def category_versions(category: Category) -> QuerySet[CategoryTerms]:
    """A category's versions of terms, newest first, with who set them."""
    return CategoryTerms.objects.filter(category=category).select_related("set_by").order_by("-version")


def category_list_all() -> QuerySet[Category]:
    """The whole catalog, retired categories too, in the catalog's order."""
    return Category.objects.order_by("-is_active", "sort", "group", "code")


# --- the working calendar, a year at a time ------------------------------------------------------


def calendar_year(year: int) -> list[holidays.Day]:
    """The declared holidays and swapped working days of ``year``."""
    return [holidays.Day(d, w, n) for d, w, n in CalendarDay.objects.filter(date__year=year).order_by("date")
            .values_list("date", "is_workday", "name")]


def calendar_years() -> dict[int, tuple[int, int]]:
    """Each year that has declared days → (holidays on weekdays, swapped working days)."""
    out: dict[int, list[int]] = {}
    for day, work in CalendarDay.objects.values_list("date", "is_workday"):
        row = out.setdefault(day.year, [0, 0])
        if work:
            row[1] += 1
        elif day.weekday() < 5:
            row[0] += 1
    return {y: (a, b) for y, (a, b) in sorted(out.items())}


def _as_json(days: list[holidays.Day]) -> list[dict[str, Any]]:
    return [{**asdict(d), "date": d.date.isoformat()} for d in days]


@transaction.atomic
def calendar_year_set(*, year: int, text: str, actor: User, reason: str,
                      now: dt.datetime | None = None) -> list[holidays.Day]:
    """Replace ``year``'s declared days with those of ``text`` (``lib.holidays`` lines), all or nothing.
    Deadlines computed afterwards run on the new calendar; deadlines already set stay as they are.
    ``now`` for the demo's history."""
    require(can_edit_county(actor), READ_ONLY)
    reason = change_reason(reason)
    if not 2000 <= year <= 2100:
        raise CaseError("年份不正确")
    days, problems = holidays.parse(text or "", year)
    if problems:
        raise CaseError("；".join(f"第 {n} 行：{m}" for n, m in problems[:20]),
                        fields=[{"field": "days", "line": n, "message": m} for n, m in problems])
    before = calendar_year(year)
    if before == days:
        raise Conflict("与现在的安排相同，无需保存")
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create([CalendarDay(date=d.date, is_workday=d.workday, name=d.name) for d in days])
    config_change_record(kind=ConfigKind.HOLIDAYS, code=str(year), name=f"{year}年节假日", before=_as_json(before),
                         after=_as_json(days), actor=actor, reason=reason, scope_path=_scope_path(actor), at=now)
    rules.calendar_invalidate()
    transaction.on_commit(rules.calendar_invalidate)
    return days
