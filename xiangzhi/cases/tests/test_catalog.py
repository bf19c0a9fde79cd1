"""The county's catalog and calendar: a change of a category's terms is a new version that only cases
reported afterwards keep to; a year's holidays move the deadlines computed afterwards, never one set."""

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from xiangzhi.audit.models import AuditEvent
from xiangzhi.cases import rules, services
from xiangzhi.cases.errors import CaseError
from xiangzhi.cases.models import CalendarDay, Case, Category, CategoryTerms, HandlingLevel, Status
from xiangzhi.cases.selectors import case_duplicate_list, category_input_of
from xiangzhi.configuration.models import ConfigChange
from xiangzhi.configuration.services import setting_set
from xiangzhi.core.errors import Conflict, Forbidden, Invalid
from xiangzhi.lib.workdays import WorkCalendar

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def report(county, code="road_light", when=None, where=(118.005, 37.705)):
    return services.case_report(category=Category.objects.get(code=code), title="事件", channel="resident",
                                lon=where[0], lat=where[1], reporter=county.users["resident"], now=when).case


def edit(county, code="road_light", reason="调整时限", **changes):
    category = Category.objects.get(code=code)
    data = category_input_of(category)
    for name, value in changes.items():
        setattr(data, name, value)
    return services.category_update(category=category, data=data, actor=county.users["county_admin"], reason=reason)


def test_every_category_starts_with_its_first_version_and_a_report_keeps_it(county):
    light = Category.objects.get(code="road_light")
    (first,) = CategoryTerms.objects.filter(category=light)
    assert first.version == 1 and first.handle_hours == light.handle_hours == 72
    assert not Category.objects.filter(versions__isnull=True).exists()
    assert report(county).terms == first


def test_a_new_version_applies_to_new_cases_and_the_old_case_keeps_its_terms(county):
    old = report(county)
    old_due, old_close = old.due_at, old.close_due_at
    version = edit(county, accept_hours=1, handle_hours=24, overdue_action="escalate")
    assert version is not None and version.version == 2
    new = report(county)
    assert new.terms == version and old.terms.version == 1
    old.refresh_from_db()
    assert (old.due_at, old.close_due_at) == (old_due, old_close)  # nothing set is recomputed
    cal = rules.calendar()
    assert new.due_at == cal.add_working_hours(new.created_at, 1)
    assert new.close_due_at == cal.add_working_hours(new.created_at, 1 + 4 + 24 + 24)
    # The old case's next step still runs on version 1: 4 working hours to dispatch, not the new 1.
    town = county.users["township_staff"]
    services.case_accept(case=Case.objects.get(pk=old.pk), actor=town)
    accepted = Case.objects.get(pk=old.pk)
    assert accepted.due_at == cal.add_working_hours(accepted.step_started_at, 4)
    # And when overdue it is only reported, while the new case (escalate) goes up a level.
    late = services.case_deadline_sweep(now=max(accepted.due_at, new.due_at) + dt.timedelta(minutes=1))
    assert late.escalated == [new.pk] and accepted.pk in late.overdue


def test_a_name_edit_is_history_but_no_new_version(county):
    assert edit(county, name="路灯不亮", reason="按群众说法改名") is None
    assert CategoryTerms.objects.filter(category__code="road_light").count() == 1
    change = ConfigChange.objects.get(kind="category", code="road_light")
    assert (change.before, change.after) == ({"name": "路灯损坏"}, {"name": "路灯不亮"})
    assert change.reason == "按群众说法改名"
    assert change.actor == county.users["county_admin"] and change.scope_path == county.county.path
    assert AuditEvent.objects.filter(action="config", subject="configuration.category:road_light").exists()
    with pytest.raises(Conflict):
        edit(county, name="路灯不亮")


def test_a_new_category_is_checked_and_the_next_report_can_use_it(county):
    admin = county.users["county_admin"]
    data = services.CategoryInput(name="工地扬尘", group="人居环境", default_level=HandlingLevel.VILLAGE,
                                  handle_hours=48)
    dust = services.category_create(data=data, actor=admin, reason="新增扬尘治理")
    assert dust.code.startswith("cat_") and dust.sort < Category.objects.get(code="other").sort
    case = report(county, code=dust.code)
    assert case.category == dust and case.terms.version == 1 and case.handling_level == HandlingLevel.VILLAGE
    refusals = [
        (services.CategoryInput(name="工地扬尘", group="人居环境", default_level="village"),
         "已有名为“工地扬尘”的类别"),
        (services.CategoryInput(name="施工噪声", group="环境", default_level="department"), "要选择责任部门类别"),
        (services.CategoryInput(name="施工噪声", group="环境", default_level="village", handle_hours=8,
                                warn_before_hours=8), "到期前预警应短于处置时限"),
        (services.CategoryInput(name="施工噪声", group="环境", default_level="village", accept_hours=0),
         "受理时限应为 1～8760"),
        (services.CategoryInput(name="施工噪声", group="环境", default_level="village", code="Bad code"),
         "代码应以小写字母开头"),
    ]
    for bad, words in refusals:
        with pytest.raises(CaseError, match=words):
            services.category_create(data=bad, actor=admin, reason="新增")
    with pytest.raises(Invalid, match="请填写修改理由"):
        services.category_create(data=services.CategoryInput(name="施工噪声", group="环境", default_level="village"),
                                 actor=admin, reason=" ")
    with pytest.raises(Forbidden):
        services.category_create(data=data, actor=county.users["township_staff"], reason="新增")
    assert not Category.objects.filter(name="施工噪声").exists()


def test_a_retired_category_takes_no_new_case_and_the_catch_all_stays(county):
    admin = county.users["county_admin"]
    with pytest.raises(Conflict, match="“其他”类别不能停用"):
        services.category_retire(category=Category.objects.get(code="other"), actor=admin, reason="不用")
    kept = report(county, code="road_damage")
    services.category_retire(category=Category.objects.get(code="road_damage"), actor=admin, reason="并入其他")
    with pytest.raises(CaseError, match="已停用"):
        report(county, code="road_damage")
    assert Case.objects.get(pk=kept.pk).category.code == "road_damage"
    services.category_retire(category=Category.objects.get(code="road_damage"), actor=admin, reason="恢复",
                             active=True)
    assert report(county, code="road_damage").category.is_active


def test_the_migration_gives_first_versions_and_points_cases_in_one_update_each(county):
    """What the data migration does for an upgraded county, run again on rows that lack terms."""
    from importlib import import_module

    case = report(county)
    Case.objects.filter(pk=case.pk).update(terms=None)
    bare = Category.objects.create(code="bare", name="无条款", group="测试", default_level="grid")
    import_module("xiangzhi.cases.migrations.0009_first_category_terms").forwards(apps, None)
    assert Case.objects.get(pk=case.pk).terms.version == 1
    assert CategoryTerms.objects.get(category=bare).version == 1
    import_module("xiangzhi.cases.migrations.0009_first_category_terms").forwards(apps, None)  # again: nothing new
    assert CategoryTerms.objects.filter(category=bare).count() == 1


def test_next_years_holidays_move_the_deadlines_of_new_cases_only(county):
    admin = county.users["county_admin"]
    year = timezone.localdate().year + 1
    # Reported on the last working day of the year, at noon: 受理 4 working hours, 处置 72.
    when = dt.datetime(year - 1, 12, 31, 12, 0, tzinfo=TZ)
    while not rules.calendar().is_workday(when.date()):
        when -= dt.timedelta(days=1)
    before = report(county, when=when)
    services.calendar_year_set(year=year, text=f"{year}-01-01 至 {year}-01-07 元旦（测试）", actor=admin,
                               reason="国务院办公厅通知")
    after = report(county, when=when)
    cal = WorkCalendar(holidays=frozenset(dt.date(year, 1, d) for d in range(1, 8)))
    assert after.close_due_at == cal.add_working_hours(when, rules.total_hours(after.terms))
    assert after.close_due_at > before.close_due_at
    assert Case.objects.get(pk=before.pk).close_due_at == before.close_due_at
    change = ConfigChange.objects.get(kind="holidays", code=str(year))
    assert change.before == [] and len(change.after) == 7 and change.reason == "国务院办公厅通知"


def test_a_year_is_replaced_all_or_nothing(county):
    admin = county.users["county_admin"]
    year = 2031
    services.calendar_year_set(year=year, text="2031-05-01 至 2031-05-05 劳动节\n2031-05-10 上班 劳动节调休",
                               actor=admin, reason="通知")
    assert CalendarDay.objects.filter(date__year=year).count() == 6
    with pytest.raises(CaseError, match="第 2 行"):
        services.calendar_year_set(year=year, text="2031-10-01 至 2031-10-07 国庆节\n2031-10-09 上班 调休",
                                   actor=admin, reason="通知")  # 10-09 is a Thursday
    assert CalendarDay.objects.filter(date__year=year).count() == 6
    services.calendar_year_set(year=year, text="2031-10-01 至 2031-10-07 国庆节", actor=admin, reason="改正")
    assert sorted(CalendarDay.objects.filter(date__year=year).values_list("date", flat=True))[0] == dt.date(2031, 10, 1)
    assert rules.calendar().is_workday(dt.date(2031, 5, 2))  # the old days are gone from the calendar too
    with pytest.raises(Conflict):
        services.calendar_year_set(year=year, text="2031-10-01 至 2031-10-07 国庆节", actor=admin, reason="再存")
    with pytest.raises(Forbidden):
        services.calendar_year_set(year=year, text="", actor=county.users["township_staff"], reason="清空")


def test_duplicates_are_looked_for_within_the_townships_own_distance(county):
    first = report(county)
    second = report(county, where=(118.005 + 0.003, 37.705))  # ≈ 265 m east: beyond the default 200 m
    assert case_duplicate_list(second) == []
    setting_set(key="case.duplicate_meters", region=county.town_a, value=400, actor=county.users["township_staff"],
                reason="村庄分散")
    assert case_duplicate_list(second) == [first]
    setting_set(key="case.duplicate_hours", region=county.county, value=1, actor=county.users["county_admin"],
                reason="缩短窗口")
    later = report(county, when=timezone.now() + dt.timedelta(hours=2))
    assert first not in case_duplicate_list(later)
    assert Case.objects.get(pk=second.pk).status == Status.REPORTED
