"""配置 (C10 "a county that configures itself"): the county's settings and catalogues in pages, each with
its history. The county admin edits the county's values and any township's overrides; township 综治中心
staff edit their own township's overrides and read the rest; other roles are refused. Every change goes
through its app's service, which checks it, asks for a reason and records it (``configuration``)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.cases import selectors as case_selectors
from xiangzhi.cases import services as case_services
from xiangzhi.cases.models import (
    OTHER_CATEGORY,
    Category,
    CategoryKind,
    HandlingLevel,
    OverdueAction,
    SplitClass,
)
from xiangzhi.centre.nav import sections_for
from xiangzhi.configuration import selectors as config
from xiangzhi.configuration.models import ConfigChange, ConfigKind
from xiangzhi.configuration.rules import can_edit_county, can_edit_region, can_read
from xiangzhi.configuration.services import setting_set
from xiangzhi.core.errors import Conflict, Invalid, NotFound
from xiangzhi.core.http import act_then_redirect
from xiangzhi.core.inputs import form_int, require
from xiangzhi.lib import holidays
from xiangzhi.people import selectors as people_selectors
from xiangzhi.people import services as people_services
from xiangzhi.people.models import KeyCategory, PlaceKind, ResidentTag
from xiangzhi.regions.models import Department, Region, RegionLevel

NO_ENTRY = "只有县级管理员和乡镇（街道）综治中心可以查看配置"
DEPARTMENT_NAMES = dict(Department.Kind.choices)
CHOICES: dict[str, dict[str, str]] = {
    "kind": dict(CategoryKind.choices), "split_class": dict(SplitClass.choices),
    "default_level": dict(HandlingLevel.choices), "overdue_action": dict(OverdueAction.choices),
    "department_kind": DEPARTMENT_NAMES,
}
FIELD_LABELS = {
    "code": "代码", "name": "名称", "group": "大类", "kind": "部件/事件", "sort": "排序",
    "split_class": "三事分流", "default_level": "默认处置层级", "department_kind": "责任部门类别",
    "accept_hours": "受理时限", "dispatch_hours": "派遣时限", "handle_hours": "处置时限", "verify_hours": "核查时限",
    "warn_before_hours": "到期前预警", "overdue_action": "超时处理", "version": "条款版本", "is_active": "状态",
    "visit_cycle_days": "走访周期", "description": "说明", "value": "本级设置", "in_force": "原生效值",
}
HOUR_FIELDS = {"accept_hours", "dispatch_hours", "handle_hours", "verify_hours", "warn_before_hours"}
HOUR_LABELS = [("accept_hours", "受理"), ("dispatch_hours", "派遣"), ("handle_hours", "处置"), ("verify_hours", "核查")]


def _show(name: str, value: Any, unit: str = "") -> str:
    if value is None or value == "":
        return "未设置（沿用上级）" if name == "value" else "—"
    if name == "is_active":
        return "启用" if value else "停用"
    if name in CHOICES:
        return CHOICES[name].get(str(value), str(value))
    if name in HOUR_FIELDS:
        return f"{value} 工作小时"
    if name == "visit_cycle_days":
        return f"每 {value} 天"
    if name == "version":
        return f"第 {value} 版"
    return f"{value}{' ' + unit if unit and isinstance(value, int) else ''}"


def _day_text(d: dict[str, Any]) -> str:
    return f"{d['date']}{'上班' if d.get('workday') else '放假'}{('（' + d['name'] + '）') if d.get('name') else ''}"


def describe(change: ConfigChange) -> list[str]:
    """A change's before → after as lines a person reads."""
    before, after = change.before, change.after
    if change.kind == ConfigKind.HOLIDAYS:
        old = {d["date"]: d for d in before or []}
        new = {d["date"]: d for d in after or []}
        added = [_day_text(new[k]) for k in sorted(new) if k not in old or old[k] != new[k]]
        removed = [_day_text(old[k]) for k in sorted(old) if k not in new or old[k] != new[k]]
        lines = [f"共 {len(old)} 天 → {len(new)} 天"]
        if added:
            lines.append("新增或改为：" + "、".join(added))
        if removed:
            lines.append("去掉：" + "、".join(removed))
        return lines
    unit = ""
    if change.kind == ConfigKind.SETTING:
        spec = config.spec_for(change.code)
        unit = spec.unit if spec is not None else ""
    if before is None:
        return ["新建：" + "，".join(f"{FIELD_LABELS.get(k, k)} {_show(k, v, unit)}" for k, v in (after or {}).items())]
    if change.kind == ConfigKind.SETTING:
        was = (before or {}).get("value")
        return [f"{_show('value', was, unit)} → {_show('value', (after or {}).get('value'), unit)}"
                + (f"（此前实际生效：{_show('in_force', before.get('in_force'), unit)}）" if was is None else "")]
    return [f"{FIELD_LABELS.get(k, k)}：{_show(k, (before or {}).get(k), unit)} → {_show(k, v, unit)}"
            for k, v in (after or {}).items()]


def _history(user, **filters) -> list[dict[str, Any]]:
    return [{"change": c, "lines": describe(c)} for c in config.config_change_list_for_user(user, **filters)]


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    user = request.user
    return render(request, template, {
        "centre_sections": sections_for(user, "config"), "may_edit_county": can_edit_county(user),
        "county": config.county_for_user(user), **context}, status=status)


def _refused(request: HttpRequest, exc: Invalid, template: str, context: dict[str, Any]) -> HttpResponse:
    """The form again with what was typed and the refusal in its own words: 409 for a state that refuses
    (already so), 422 for input that does."""
    return _page(request, template, {**context, "error": str(exc)}, status=409 if isinstance(exc, Conflict) else 422)


def _reader(request: HttpRequest) -> None:
    require(can_read(request.user), NO_ENTRY)


def _year_ok(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise NotFound()
    return year


# --- the index and the whole history --------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Each setting's value in force and where a township keeps its own, each catalogue's size, the
    newest changes."""
    _reader(request)
    user = request.user
    county = config.county_for_user(user)
    if county is None:
        raise NotFound()
    townships = config.township_list_for_user(user)
    limit = None if user.is_superuser or can_edit_county(user) else townships
    settings_rows = [config.setting_state(key, county=county, townships=limit, history=0) for key in config.SPECS]
    cycles = []
    for category in KeyCategory.objects.filter(is_active=True).order_by("code"):
        state = config.setting_state(config.visit_cycle_key(category.code), county=county,
                                     county_value=category.visit_cycle_days, townships=limit, history=0)
        cycles.append({"category": category, "state": state})
    this_year = timezone.localdate().year
    years = case_selectors.calendar_years()
    return _page(request, "centre/config.html", {
        "settings_rows": settings_rows, "cycles": cycles, "townships": townships,
        "categories": Category.objects.filter(is_active=True).count(),
        "categories_retired": Category.objects.filter(is_active=False).count(),
        "years": [(y, *years.get(y, (0, 0))) for y in sorted({*years, this_year, this_year + 1})],
        "this_year": this_year,
        "key_categories": KeyCategory.objects.filter(is_active=True).count(),
        "tags": ResidentTag.objects.filter(is_active=True).count(),
        "place_kinds": PlaceKind.objects.filter(is_active=True).count(),
        "history": _history(user, limit=10),
    })


@login_required
def history(request: HttpRequest) -> HttpResponse:
    _reader(request)
    kind = request.GET.get("kind") or ""
    return _page(request, "centre/config_history.html", {
        "kinds": ConfigKind.choices, "kind": kind, "history": _history(request.user, kind=kind or None, limit=500),
    })


# --- case categories ---------------------------------------------------------------------------------


def _category_form(post: Any) -> case_services.CategoryInput:
    return case_services.CategoryInput(
        code=post.get("code", ""), name=post.get("name", ""), group=post.get("group", ""),
        kind=post.get("kind", ""), split_class=post.get("split_class", ""),
        default_level=post.get("default_level", ""), department_kind=post.get("department_kind", ""),
        accept_hours=form_int(post.get("accept_hours"), "受理时限"),
        dispatch_hours=form_int(post.get("dispatch_hours"), "派遣时限"),
        handle_hours=form_int(post.get("handle_hours"), "处置时限"),
        verify_hours=form_int(post.get("verify_hours"), "核查时限"),
        warn_before_hours=form_int(post.get("warn_before_hours"), "到期前预警"),
        overdue_action=post.get("overdue_action", ""), sort=form_int(post.get("sort"), "排序"),
        hint=post.get("hint", ""),
    )


def _category_choices() -> dict[str, Any]:
    return {"kinds": CategoryKind.choices, "split_classes": SplitClass.choices, "levels": HandlingLevel.choices,
            "overdue_actions": OverdueAction.choices, "departments": Department.Kind.choices,
            "hour_labels": HOUR_LABELS}


def _category_row(c: Category) -> dict[str, Any]:
    return {"category": c, "level": _show("default_level", c.default_level),
            "department": DEPARTMENT_NAMES.get(c.department_kind, ""),
            "split": _show("split_class", c.split_class), "overdue": _show("overdue_action", c.overdue_action),
            "hours": [(label, getattr(c, f)) for f, label in HOUR_LABELS]}


@login_required
def categories(request: HttpRequest) -> HttpResponse:
    """The catalog, and (county admin) a form for a new category."""
    _reader(request)
    rows = [_category_row(c) for c in case_selectors.category_list_all()]
    blank = case_services.CategoryInput(name="", group="", default_level=HandlingLevel.VILLAGE, sort=None)
    context = {"rows": rows, "form": vars(blank), **_category_choices()}  # the usual limits, to adjust
    if request.method == "POST":
        form = request.POST
        try:
            created = case_services.category_create(data=_category_form(form), actor=request.user,
                                                    reason=form.get("reason", ""))
        except Invalid as exc:
            return _refused(request, exc, "centre/config_categories.html", {**context, "form": form})
        messages.success(request, f"已新增事件类别“{created.name}”（代码 {created.code}），此后上报的事件即可选用")
        return redirect("centre:config_category", code=created.code)
    return _page(request, "centre/config_categories.html", context)


def _category(code: str) -> Category:
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise NotFound()
    return category


@login_required
def category(request: HttpRequest, code: str) -> HttpResponse:
    """One category: its form (county admin), its versions of terms and its history."""
    _reader(request)
    found = _category(code)
    context = {
        "category": found, "form": vars(case_selectors.category_input_of(found)), "may_retire": code != OTHER_CATEGORY,
        "versions": [{"v": v, "hours": [(label, getattr(v, f)) for f, label in HOUR_LABELS],
                      "level": _show("default_level", v.default_level),
                      "department": DEPARTMENT_NAMES.get(v.department_kind, ""),
                      "split": _show("split_class", v.split_class),
                      "overdue": _show("overdue_action", v.overdue_action)}
                     for v in case_selectors.category_versions(found)],
        "history": _history(request.user, kind=ConfigKind.CATEGORY, code=found.code),
        **_category_choices(),
    }
    if request.method == "POST":
        form = request.POST
        try:
            version = case_services.category_update(category=found, data=_category_form(form), actor=request.user,
                                                    reason=form.get("reason", ""))
        except Invalid as exc:
            return _refused(request, exc, "centre/config_category.html", {**context, "form": form})
        messages.success(request, (f"已保存；条款第 {version.version} 版自此适用于新上报的事件，"
                                   "已上报的事件仍按原条款办理") if version else "已保存")
        return redirect("centre:config_category", code=found.code)
    return _page(request, "centre/config_category.html", context)


@login_required
@require_POST
def category_retire(request: HttpRequest, code: str) -> HttpResponse:
    _reader(request)
    found = _category(code)
    active = request.POST.get("active") == "1"

    def doing() -> str:
        case_services.category_retire(category=found, actor=request.user, reason=request.POST.get("reason", ""),
                                      active=active)
        return "已启用" if active else "已停用：不能再选它上报，已有的事件不受影响"
    return act_then_redirect(request, doing, reverse("centre:config_category", args=[found.code]))


# --- the holiday calendar ----------------------------------------------------------------------------


@login_required
def holidays_index(request: HttpRequest) -> HttpResponse:
    _reader(request)
    return redirect("centre:config_holidays", year=timezone.localdate().year + 1)


@login_required
def holidays_year(request: HttpRequest, year: int) -> HttpResponse:
    """A year's 放假 and 调休上班 days: a list to paste the 国务院's notice into, saved all or nothing."""
    _reader(request)
    year = _year_ok(year)
    days = case_selectors.calendar_year(year)
    years = case_selectors.calendar_years()
    context = {
        "year": year, "text": holidays.format_days(days),
        "days": [{"day": d, "weekday": holidays.weekday_name(d.date)} for d in days],
        "off_weekdays": sum(1 for d in days if not d.workday and d.date.weekday() < 5),
        "workdays": sum(1 for d in days if d.workday),
        "years": sorted({*years, timezone.localdate().year, timezone.localdate().year + 1}),
        "history": _history(request.user, kind=ConfigKind.HOLIDAYS, code=str(year)),
        "example": f"{year}-01-01 元旦\n{year}-02-10 至 {year}-02-16 春节\n{year}-02-20 上班 春节调休",
    }
    if request.method == "POST":
        text = request.POST.get("days", "")
        try:
            saved = case_services.calendar_year_set(year=year, text=text, actor=request.user,
                                                    reason=request.POST.get("reason", ""))
        except Invalid as exc:
            problems = [f.get("line") and f"第 {f['line']} 行：{f['message']}" for f in exc.fields if f.get("line")]
            return _refused(request, exc, "centre/config_holidays.html",
                            {**context, "text": text, "problems": problems})
        messages.success(request, f"已保存 {year} 年的节假日（{len(saved)} 天）。此后计算的时限按新安排顺延；"
                         "已定的时限不变")
        return redirect("centre:config_holidays", year=year)
    return _page(request, "centre/config_holidays.html", context)


# --- settings with township overrides ------------------------------------------------------------------


def _setting_subject(key: str) -> tuple[config.Spec, str, int | None, str]:
    """(spec, what it is about, the county's value kept outside the settings, where that is edited)."""
    spec = config.spec_for(key)
    if spec is None:
        raise NotFound()
    if key.startswith(config.VISIT_CYCLE_PREFIX):
        category = KeyCategory.objects.filter(code=key[len(config.VISIT_CYCLE_PREFIX):]).first()
        if category is None:
            raise NotFound()
        return spec, category.name, category.visit_cycle_days, reverse(
            "centre:config_catalogue_item", kwargs={"slug": "key-categories", "code": category.code})
    return spec, "", None, ""


@login_required
def setting(request: HttpRequest, key: str) -> HttpResponse:
    """One setting: the county's value, each township's own, a form for each the user may set, history."""
    _reader(request)
    user = request.user
    county = config.county_for_user(user)
    if county is None:
        raise NotFound()
    spec, about, county_value, county_link = _setting_subject(key)
    townships = config.township_list_for_user(user)
    limit = None if user.is_superuser or can_edit_county(user) else townships
    state = config.setting_state(key, county=county, county_value=county_value, townships=limit)
    own = {r.pk: v for r, v in state.overrides}
    context = {
        "key": key, "spec": spec, "about": about, "state": state, "county_link": county_link,
        "may_set_county": spec.county_row and can_edit_region(user, county),
        "townships": [{"region": t, "value": own.get(t.pk), "may_set": spec.township and can_edit_region(user, t)}
                      for t in townships],
        "history": _history(user, kind=ConfigKind.SETTING, code=key),
    }
    if request.method == "POST":
        form = request.POST
        region = Region.objects.filter(code=form.get("region", ""),
                                       level__in=(RegionLevel.COUNTY, RegionLevel.TOWNSHIP)).first()
        if region is None or not region.path.startswith(county.path):
            raise NotFound()
        try:
            value = None if form.get("clear") == "1" else form_int(form.get("value"), spec.label)
            if value is None and form.get("clear") != "1":
                raise Invalid(f"请填写{spec.label}")
            setting_set(key=key, region=region, value=value, actor=user, reason=form.get("reason", ""),
                        name=about, county_value=county_value)
        except Invalid as exc:
            return _refused(request, exc, "centre/config_setting.html", {**context, "form": form})
        where = "区县" if region.level == RegionLevel.COUNTY else region.name
        messages.success(request, f"已保存{where}的{about}{spec.label}" if value is not None
                         else f"{region.name}已改为沿用区县的{about}{spec.label}")
        return redirect("centre:config_setting", key=key)
    return _page(request, "centre/config_setting.html", context)


# --- the people catalogues: key-population categories, resident tags, place kinds ----------------------


class Catalogue:
    """What a catalogue page needs: its rows, its fields and the services that change it."""

    def __init__(self, *, slug: str, kind: str, title: str, noun: str, rows: Callable[[], Any],
                 get: Callable[[str], Any], create: Callable[..., Any], update: Callable[..., Any],
                 retire: Callable[..., Any], fields: list[tuple[str, str, str]], note: str = "") -> None:
        self.slug, self.kind, self.title, self.noun, self.note = slug, kind, title, noun, note
        self.rows, self.get, self.create, self.update, self.retire = rows, get, create, update, retire
        self.fields = fields  # (name, label, input type: text | number | textarea)

    def inputs(self, form: Any) -> list[dict[str, Any]]:
        """The form's fields with what they hold (a row's values, or what was typed)."""
        return [{"name": name, "label": label, "type": kind, "value": form.get(name, "")}
                for name, label, kind in self.fields]

    def values(self, post: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, label, kind in self.fields:
            out[name] = form_int(post.get(name), label) if kind == "number" else post.get(name, "")
        return out


def _one(model: Any, code: str) -> Any:
    row = model.objects.filter(code=code).first()
    if row is None:
        raise NotFound()
    return row


CATALOGUES = {
    "key-categories": Catalogue(
        slug="key-categories", kind=ConfigKind.KEY_CATEGORY, title="重点人群类别", noun="类别",
        rows=lambda: KeyCategory.objects.order_by("-is_active", "code"), get=lambda code: _one(KeyCategory, code),
        create=lambda v, actor, reason, code: people_services.key_category_create(
            code=code, actor=actor, reason=reason, **v),
        update=lambda row, v, actor, reason: people_services.key_category_update(
            category=row, actor=actor, reason=reason, **v),
        retire=lambda row, actor, reason, active: people_services.key_category_retire(
            category=row, actor=actor, reason=reason, active=active),
        fields=[("name", "名称", "text"), ("visit_cycle_days", "走访周期（天）", "number"),
                ("description", "说明", "text")],
        note="走访周期是区县的标准；乡镇另有要求的，在“走访周期”里为本乡镇另定。改周期后，应走访日期随即按新周期计算。"),
    "tags": Catalogue(
        slug="tags", kind=ConfigKind.RESIDENT_TAG, title="居民标签", noun="标签",
        rows=people_selectors.resident_tag_list, get=lambda code: _one(ResidentTag, code),
        create=lambda v, actor, reason, code: people_services.resident_tag_create(
            code=code, actor=actor, reason=reason, **v),
        update=lambda row, v, actor, reason: people_services.resident_tag_update(
            tag=row, actor=actor, reason=reason, **v),
        retire=lambda row, actor, reason, active: people_services.resident_tag_retire(
            tag=row, actor=actor, reason=reason, active=active),
        fields=[("name", "名称", "text"), ("sort", "排序", "number")],
        note="户籍登记、接口和表格导入接受启用中的标签（导入时写标签名称）。内置标签不能停用。"),
    "place-kinds": Catalogue(
        slug="place-kinds", kind=ConfigKind.PLACE_KIND, title="部件与场所类别", noun="类别",
        rows=lambda: PlaceKind.objects.order_by("-is_active", "sort", "code"), get=lambda code: _one(PlaceKind, code),
        create=lambda v, actor, reason, code: people_services.place_kind_create(
            code=code, actor=actor, reason=reason, **v),
        update=lambda row, v, actor, reason: people_services.place_kind_update(
            kind=row, actor=actor, reason=reason, **v),
        retire=lambda row, actor, reason, active: people_services.place_kind_retire(
            kind=row, actor=actor, reason=reason, active=active),
        fields=[("name", "名称", "text"), ("sort", "排序", "number")],
        note="停用的类别不再供新登记的部件选用，已登记的部件不受影响。"),
}


def _catalogue(slug: str) -> Catalogue:
    found = CATALOGUES.get(slug)
    if found is None:
        raise NotFound()
    return found


@login_required
def catalogue(request: HttpRequest, slug: str) -> HttpResponse:
    _reader(request)
    cat = _catalogue(slug)
    context = {"cat": cat, "rows": list(cat.rows()), "form": {}, "inputs": cat.inputs({}),
               "history": _history(request.user, kind=cat.kind, limit=30)}
    if request.method == "POST":
        form = request.POST
        try:
            row = cat.create(cat.values(form), request.user, form.get("reason", ""), form.get("code", ""))
        except Invalid as exc:
            return _refused(request, exc, "centre/config_catalogue.html",
                            {**context, "form": form, "inputs": cat.inputs(form)})
        messages.success(request, f"已新增{cat.noun}“{row.name}”（代码 {row.code}）")
        return redirect("centre:config_catalogue", slug=slug)
    return _page(request, "centre/config_catalogue.html", context)


@login_required
def catalogue_item(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    _reader(request)
    cat = _catalogue(slug)
    row = cat.get(code)
    context = {"cat": cat, "row": row, "inputs": cat.inputs({name: getattr(row, name) for name, _, _ in cat.fields}),
               "may_retire": not getattr(row, "is_builtin", False),
               "cycle_key": config.visit_cycle_key(row.code) if slug == "key-categories" else "",
               "history": _history(request.user, kind=cat.kind, code=row.code)}
    if request.method == "POST":
        form = request.POST
        try:
            cat.update(row, cat.values(form), request.user, form.get("reason", ""))
        except Invalid as exc:
            return _refused(request, exc, "centre/config_catalogue_item.html",
                            {**context, "form": form, "inputs": cat.inputs(form)})
        messages.success(request, "已保存")
        return redirect("centre:config_catalogue_item", slug=slug, code=row.code)
    return _page(request, "centre/config_catalogue_item.html", context)


@login_required
@require_POST
def catalogue_retire(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    _reader(request)
    cat = _catalogue(slug)
    row = cat.get(code)
    active = request.POST.get("active") == "1"

    def doing() -> str:
        cat.retire(row, request.user, request.POST.get("reason", ""), active)
        return "已启用" if active else "已停用"
    return act_then_redirect(request, doing, reverse("centre:config_catalogue_item", args=[slug, row.code]))

