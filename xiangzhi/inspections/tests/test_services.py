import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import jpeg_photo
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound
from xiangzhi.inspections import services
from xiangzhi.inspections.models import FINDING_ITEMS, ITEMS_BY_CODE, Finding, Inspection, TaskEvent, TaskState
from xiangzhi.inspections.selectors import board_for_user, finding_list_for_period, task_list_for_user
from xiangzhi.inspections.tests.conftest import IN_A1, IN_A2, at, inspected

pytestmark = pytest.mark.django_db

def test_the_ten_sub_items_cover_the_six_zeros():
    assert len(FINDING_ITEMS) == 10
    assert {i.zero for i in FINDING_ITEMS} == {"zero_accident", "zero_petition", "zero_crime",
                                               "zero_illegal_building", "zero_pollution", "zero_epidemic"}


def test_cycle_inspect_hand_over_complete_send_back_and_close(c):
    inspector, cadre = c.users["inspector"], c.users["village_cadre"]
    inspection = services.inspection_start(inspector=inspector, village=c.village_a1)
    services.inspection_fix(inspector=inspector, inspection=inspection, lon=IN_A1[0], lat=IN_A1[1])
    finding = services.finding_add(inspector=inspector, inspection=inspection, item_code="pollution_burning",
                                   text_="村口焚烧垃圾", photos=[jpeg_photo()])
    assert finding.state == TaskState.DRAFT and finding.points == ITEMS_BY_CODE["pollution_burning"].points
    assert not task_list_for_user(cadre).exists()  # a draft is not the village's yet
    services.inspection_finish(inspector=inspector, inspection=inspection)
    finding.refresh_from_db()
    assert finding.state == TaskState.OPEN and finding.owner == cadre
    assert finding.due_on == timezone.localdate() + dt.timedelta(days=7)
    assert list(task_list_for_user(cadre)) == [finding]
    with pytest.raises(Forbidden):
        services.task_complete(actor=inspector, finding=finding, note="好了")
    with pytest.raises(Invalid):
        services.task_complete(actor=cadre, finding=finding, note=" ")
    services.task_complete(actor=cadre, finding=finding, note="已清理", photos=[jpeg_photo()])
    with pytest.raises(Invalid):  # sending back needs a reason
        services.task_verify(actor=inspector, finding=finding, accept=False, note="")
    services.task_verify(actor=inspector, finding=finding, accept=False, note="仍有焚烧痕迹")
    finding.refresh_from_db()
    assert finding.state == TaskState.OPEN
    services.task_complete(actor=cadre, finding=finding, note="再次清理")
    services.task_verify(actor=c.users["township_staff"], finding=finding, accept=True)
    finding.refresh_from_db()
    assert finding.state == TaskState.CLOSED and finding.photos.count() == 2
    assert list(finding.events.values_list("action", flat=True)) == [
        "assign", "complete", "reopen", "complete", "verify"]
    with pytest.raises(Conflict):
        services.task_verify(actor=inspector, finding=finding, accept=True)
    (row,) = finding_list_for_period([c.village_a1.pk], timezone.localdate(), timezone.localdate())
    assert (row.item_code, row.cost, row.overdue, row.closed) == ("pollution_burning", 2, False, True)


def test_a_village_outside_the_inspectors_scope_is_not_found_and_nothing_written(c):
    with pytest.raises(NotFound):
        services.inspection_start(inspector=c.users["inspector"], village=c.village_b1)
    with pytest.raises(Forbidden):
        services.inspection_start(inspector=c.users["township_staff"], village=c.village_a1)
    assert not Inspection.objects.exists()


def test_a_closed_month_refuses_a_new_inspection_and_new_findings(c, settings):
    settings.INSPECTION_MONTH_CLOSES_DAY = 5
    inspector = c.users["inspector"]
    open_one = services.inspection_start(inspector=inspector, village=c.village_a1, month=dt.date(2026, 3, 1),
                                         now=at(dt.date(2026, 4, 5)))
    assert open_one.month == dt.date(2026, 3, 1)  # last month, on its closing day
    with pytest.raises(Conflict) as refused:
        services.inspection_start(inspector=inspector, village=c.village_a2, month=dt.date(2026, 3, 1),
                                  now=at(dt.date(2026, 4, 6)))
    assert refused.value.code == "month_closed" and "截止" in refused.value.message
    with pytest.raises(Conflict):
        services.finding_add(inspector=inspector, inspection=open_one, item_code="crime_security", text_="x",
                             now=at(dt.date(2026, 4, 6)))
    with pytest.raises(Invalid):
        services.inspection_start(inspector=inspector, village=c.village_a2, month=dt.date(2026, 5, 1),
                                  now=at(dt.date(2026, 4, 6)))
    assert Inspection.objects.count() == 1 and not Finding.objects.exists()


def test_one_inspection_per_village_and_month(c):
    inspector = c.users["inspector"]
    first = services.inspection_start(inspector=inspector, village=c.village_a1)
    assert services.inspection_start(inspector=inspector, village=c.village_a1) == first  # continued
    with pytest.raises(Invalid) as no_fix:
        services.inspection_finish(inspector=inspector, inspection=first)
    assert no_fix.value.code == "no_fix"
    services.inspection_fix(inspector=inspector, inspection=first, lon=IN_A1[0], lat=IN_A1[1])
    services.inspection_finish(inspector=inspector, inspection=first)
    with pytest.raises(Conflict):
        services.inspection_start(inspector=inspector, village=c.village_a1)
    with pytest.raises(Conflict):
        services.finding_add(inspector=inspector, inspection=first, item_code="crime_security", text_="x")


def test_a_fix_outside_the_village_is_refused(c):
    inspection = services.inspection_start(inspector=c.users["inspector"], village=c.village_a1)
    with pytest.raises(Invalid) as refused:
        services.inspection_fix(inspector=c.users["inspector"], inspection=inspection, lon=IN_A2[0], lat=IN_A2[1])
    assert refused.value.code == "outside_village"
    inspection.refresh_from_db()
    assert inspection.fixed_at is None


def test_bad_item_or_text_writes_nothing(c):
    inspection = services.inspection_start(inspector=c.users["inspector"], village=c.village_a1)
    for code, text in (("no_such_item", "x"), ("crime_security", "")):
        with pytest.raises(Invalid):
            services.finding_add(inspector=c.users["inspector"], inspection=inspection, item_code=code, text_=text)
    assert not Finding.objects.exists()


def test_overdue_sweep_flags_once_and_overdue_tasks_cost_more(c):
    month_ago = timezone.now() - dt.timedelta(days=40)
    inspected(c, now=month_ago, items=("pollution_burning", "building_illegal"))  # 7 and 30 days
    burning = Finding.objects.get(item_code="pollution_burning")
    start, end = timezone.localdate(month_ago), timezone.localdate()
    # Before the sweep, an open task past its deadline already counts as overdue.
    costs = {r.item_code: (r.cost, r.overdue) for r in finding_list_for_period(None, start, end)}
    assert costs == {"pollution_burning": (4, True), "building_illegal": (6, True)}
    assert services.task_overdue_sweep().overdue == 2
    assert services.task_overdue_sweep().overdue == 0
    assert TaskEvent.objects.filter(action="overdue").count() == 2
    burning.refresh_from_db()
    assert burning.ever_overdue and burning.overdue_at is not None
    # Put right late: still counted overdue (the deadline passed undone).
    services.task_complete(actor=c.users["village_cadre"], finding=burning, note="已清理")
    services.task_verify(actor=c.users["inspector"], finding=burning, accept=True)
    (row,) = finding_list_for_period([c.village_a1.pk], start, end, ["pollution_burning"])
    assert (row.cost, row.overdue, row.closed) == (4, True, True)
    # As of a day before the deadline (a period closed then), it was not overdue yet: recomputed the same.
    (then,) = finding_list_for_period(None, start, end, ["pollution_burning"], today=burning.due_on)
    assert (then.cost, then.overdue) == (2, False)
    (board,) = board_for_user(c.users["township_staff"])
    assert (board.village_name, board.open, board.overdue) == ("东村", 1, 1)
    assert board_for_user(c.users["township_staff_b"]) == []


def test_a_task_done_in_time_is_not_overdue(c):
    inspected(c, items=("pollution_burning",))
    finding = Finding.objects.get()
    services.task_complete(actor=c.users["village_cadre"], finding=finding, note="已清理")
    assert services.task_overdue_sweep(now=timezone.now() + dt.timedelta(days=30)).overdue == 0
    (row,) = finding_list_for_period(None, timezone.localdate(), timezone.localdate(),
                                     today=timezone.localdate() + dt.timedelta(days=30))
    assert (row.cost, row.overdue) == (2, False)
