"""The county's people catalogues (key-population categories, resident tags, place kinds) and a township's
own visit cycle, which the due-visit lists and the grid assessment follow."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import next_id_number
from tests.spreadsheets import workbook_upload
from xiangzhi.configuration.models import ConfigChange
from xiangzhi.configuration.services import setting_set
from xiangzhi.core.errors import Conflict, Forbidden, Invalid
from xiangzhi.gridwork import selectors as gridwork
from xiangzhi.gridwork.services import visit_record
from xiangzhi.gridwork.tests.helpers import key_person
from xiangzhi.people import services
from xiangzhi.people.errors import RegisterError
from xiangzhi.people.models import KeyCategory, PlaceKind, Resident, ResidentTag
from xiangzhi.people.selectors import visit_cycles
from xiangzhi.people.xlsx import COLUMNS, households_import

pytestmark = pytest.mark.django_db


def test_a_tag_the_county_adds_is_taken_by_the_register_and_its_import(county):
    admin = county.users["county_admin"]
    tag = services.resident_tag_create(name="独居", actor=admin, reason="走访需要")
    assert tag.code == "tag_008" and not tag.is_builtin
    household = county.households["a1"]
    resident = services.resident_build(household=household, data=services.ResidentInput(
        name="钱多多", id_number=next_id_number(), relation="child", tags=[tag.code, "veteran"]))
    assert resident.tag_labels == ["独居", "退役军人"]
    upload = workbook_upload("households.xlsx", COLUMNS, [
        [county.grid_a1.code, "H-9", "东村2组8号", "孙立新", "户主", next_id_number(), "", "独居、党员", "否"]])
    result = households_import(user=county.users["village_cadre"], file=upload)
    assert result.ok, result.errors
    assert Resident.objects.get(name="孙立新").tag_list == [tag.code, "party_member"]
    services.resident_tag_retire(tag=tag, actor=admin, reason="并入空巢")
    with pytest.raises(RegisterError, match="未知或已停用的标签"):
        services.resident_build(household=household, data=services.ResidentInput(
            name="钱少少", id_number=next_id_number(), relation="child", tags=[tag.code]))
    assert Resident.objects.get(name="孙立新").tag_labels == ["独居", "党员"]  # people keep a retired tag


def test_tags_are_checked(county):
    admin = county.users["county_admin"]
    with pytest.raises(Conflict, match="内置标签不能停用"):
        services.resident_tag_retire(tag=ResidentTag.objects.get(code="party_member"), actor=admin, reason="试试")
    with pytest.raises(Invalid, match="相互包含"):
        services.resident_tag_create(name="前党员", code="party_member_former", actor=admin, reason="试试")
    with pytest.raises(Conflict, match="已有名为“党员”"):
        services.resident_tag_create(name="党员", actor=admin, reason="试试")
    with pytest.raises(Forbidden):
        services.resident_tag_create(name="独居", actor=county.users["township_staff"], reason="试试")
    services.resident_tag_update(tag=ResidentTag.objects.get(code="party_member"), name="中共党员", actor=admin,
                                 reason="规范名称")
    change = ConfigChange.objects.get(kind="resident_tag")
    assert (change.before, change.after) == ({"name": "党员"}, {"name": "中共党员"})


def test_key_categories_and_place_kinds(county):
    admin = county.users["county_admin"]
    drugs = services.key_category_create(name="吸毒人员", visit_cycle_days=15, actor=admin, reason="新增")
    assert drugs.code.startswith("key_") and drugs.visit_cycle_days == 15
    with pytest.raises(Invalid, match="走访周期应为 1～366 天"):
        services.key_category_update(category=drugs, name="吸毒人员", visit_cycle_days=0, actor=admin,
                                     reason="改周期")
    person = key_person(county.households["a1"], code=drugs.code)
    with pytest.raises(Conflict, match="还有 1 名在册重点人员"):
        services.key_category_retire(category=drugs, actor=admin, reason="停用")
    services.key_person_end(actor=county.users["grid_worker"], key_person=person, reason="戒断")
    services.key_category_retire(category=drugs, actor=admin, reason="停用")
    assert not KeyCategory.objects.get(pk=drugs.pk).is_active
    kiosk = services.place_kind_create(name="充电桩", actor=admin, reason="新增", code="charger")
    services.place_kind_retire(kind=kiosk, actor=admin, reason="暂不登记")
    assert not PlaceKind.objects.get(code="charger").is_active
    assert [c.kind for c in ConfigChange.objects.order_by("id")] == [
        "key_category", "key_category", "place_kind", "place_kind"]


def test_a_townships_own_visit_cycle_moves_due_dates_there_only(county):
    """柳行街道 visits its disabled people monthly though the county's cycle is 90 days (seed 004)."""
    in_a = key_person(county.households["a1"], code="disabled", registered_days_ago=40)
    in_b = key_person(county.households["b1"], code="disabled", registered_days_ago=40)
    assert gridwork.visits_due_for_user(county.users["grid_worker"]) == []  # 90 days: not due yet
    setting_set(key="visit_cycle.disabled", region=county.town_a, value=30, actor=county.users["township_staff"],
                reason="本镇重度残疾人每月走访", name="残疾人", county_value=90)
    assert visit_cycles().days(in_a.category_id, county.grid_a1.path) == 30
    (due,) = gridwork.visits_due_for_user(county.users["grid_worker"])
    assert (due.key_person, due.days_overdue, due.cycle_days) == (in_a, 10, 30)
    assert gridwork.visits_due_for_user(county.users["grid_worker_b"]) == []
    # The county sees both townships: a's person by a's cycle, b's by the county's.
    admin = county.users["county_admin"]
    assert [d.key_person for d in gridwork.visits_due_for_user(admin)] == [in_a]
    assert gridwork.visits_overdue_count_for_user(admin) == 1
    assert [(g.grid, g.overdue) for g in gridwork.grid_overdue_list_for_user(admin) if g.overdue] == [
        (county.grid_a1, 1)]
    on = timezone.localdate() + dt.timedelta(days=60)
    assert {d.key_person for d in gridwork.visits_due_for_user(admin, on=on)} == {in_a, in_b}
    visit = visit_record(key_person=in_a, visitor=county.users["grid_worker"], visited_at=timezone.now(), notes="",
                         outcome="normal")
    assert visit.due_on == in_a.registered_on + dt.timedelta(days=30)
