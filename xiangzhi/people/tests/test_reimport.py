"""Corrections by re-importing the household file: compared first, written only on the importer's
confirmation, each correction a history row; stale, foreign, lapsed and out-of-scope imports refused."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.factories import grant_reveal, next_id_number
from tests.spreadsheets import workbook_upload
from xiangzhi.core.errors import Forbidden
from xiangzhi.lib import crypto
from xiangzhi.people import services
from xiangzhi.people.models import Household, HouseholdChange, IdentitySearch, RegisterImport, Resident
from xiangzhi.people.register_imports import ImportConflict
from xiangzhi.people.xlsx import COLUMNS, ELSEWHERE_ID, ID_CLASH_HIDDEN, STRANGERS_HIDDEN, households_import

NEW_PHONE = "13912345678"


def workbook(rows):
    return workbook_upload("households.xlsx", COLUMNS, rows)


def as_registered(household):
    """The household's rows as the village office keeps them: full ID numbers and phones."""
    labels = {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母"}
    return [
        [household.grid.code, household.number, household.address, r.name, labels[r.relation],
         crypto.decrypt(r.id_number_encrypted), crypto.decrypt(r.phone_encrypted) if r.phone_encrypted else "",
         "、".join(r.tag_labels), "是" if r.is_away else "否"]
        for r in household.residents.order_by("id")
    ]


def corrected(household):
    """The file with the head's phone, the spouse's name and tags, a child away, the address changed;
    and one new household."""
    rows = as_registered(household)
    rows[0][6] = NEW_PHONE
    rows[1][3], rows[1][7] = "张桂芝", "党员、低保"
    rows[2][8] = "是"
    for r in rows:
        r[2] = "东村3组9号"
    rows.append([household.grid.code, "H-NEW", "东村5组1号", "孙立新", "户主", next_id_number(), "", "", "否"])
    return rows


def register_state():
    return (Household.objects.count(), Resident.objects.count(), HouseholdChange.objects.count(),
            sorted(Resident.objects.values_list("name", "phone_hash", "tags", "is_away", "relation")),
            sorted(Household.objects.values_list("number", "address", "head_name", "grid_id")))


@pytest.mark.django_db
def test_a_reimport_lists_the_differences_masked_and_writes_nothing_to_the_register(county):
    household = county.households["a1"]
    cadre = county.users["village_cadre"]
    before = register_state()
    rows = corrected(household)
    result = households_import(user=cadre, file=workbook(rows))
    assert result.ok, result.errors
    assert register_state() == before
    pending = result.pending
    assert (pending.state, pending.importer, pending.households_new, pending.residents_new, pending.corrections,
            pending.unchanged) == ("pending", cadre, 1, 1, 4, 0)
    shown = {(c["who"], label): (old, new) for c in pending.plan["corrections"] for label, old, new in c["fields"]}
    head, spouse, child = household.residents.order_by("id")
    assert shown == {
        (f"张建国（{head.id_number_masked}）", "手机号"): ("138****8000", "139****5678"),
        (f"{spouse.name}（{spouse.id_number_masked}）", "姓名"): (spouse.name, "张桂芝"),
        (f"{spouse.name}（{spouse.id_number_masked}）", "标签"): ("无", "党员、低保"),
        (f"{child.name}（{child.id_number_masked}）", "外出"): ("否", "是"),
        (f"张建国户（户编号 {household.number}）", "住址"): ("测试村1组1号", "东村3组9号"),
    }
    kept = json.dumps(pending.plan, ensure_ascii=False)
    for plain in [NEW_PHONE, *(crypto.decrypt(r.id_number_encrypted) for r in household.residents.all()), rows[-1][5]]:
        assert plain not in kept
    # The comparison is a lookup by full number: recorded like a search.
    (audit,) = IdentitySearch.objects.filter(user=cadre)
    assert (audit.kind, audit.matched) == ("import", 3)


@pytest.mark.django_db
def test_confirming_applies_every_difference_with_a_correction_in_the_households_history(county):
    household = county.households["a1"]
    cadre = county.users["village_cadre"]
    pending = households_import(user=cadre, file=workbook(corrected(household))).pending
    services.register_import_confirm(actor=cadre, register_import=pending)

    head, spouse, child = household.residents.order_by("id")
    assert crypto.decrypt(head.phone_encrypted) == NEW_PHONE and head.phone_masked == "139****5678"
    assert (spouse.name, spouse.tag_list, child.is_away) == ("张桂芝", ["party_member", "low_income"], True)
    household.refresh_from_db()
    assert household.address == "东村3组9号"
    new = Household.objects.get(number="H-NEW")
    assert [r.name for r in new.residents.all()] == ["孙立新"] and new.head_name == "孙立新"

    changes = HouseholdChange.objects.filter(household=household).order_by("id")
    assert [(c.kind, c.state, c.resident, c.note, c.proposer, c.decider) for c in changes] == [
        ("correction", "confirmed", None, "表格导入更正", cadre, cadre),
        ("correction", "confirmed", head, "表格导入更正", cadre, cadre),
        ("correction", "confirmed", spouse, "表格导入更正", cadre, cadre),
        ("correction", "confirmed", child, "表格导入更正", cadre, cadre),
    ]
    assert (changes[1].before, changes[1].after) == ({"手机号": "138****8000"}, {"手机号": "139****5678"})
    pending.refresh_from_db()
    assert (pending.state, pending.plan) == ("applied", {})
    with pytest.raises(ImportConflict, match="已导入"):
        services.register_import_confirm(actor=cadre, register_import=pending)
    assert HouseholdChange.objects.count() == 4


@pytest.mark.django_db
def test_discarding_writes_nothing_and_cannot_be_confirmed_after(county):
    cadre = county.users["village_cadre"]
    before = register_state()
    pending = households_import(user=cadre, file=workbook(corrected(county.households["a1"]))).pending
    services.register_import_discard(actor=cadre, register_import=pending)
    pending.refresh_from_db()
    assert (pending.state, pending.plan) == ("discarded", {})
    with pytest.raises(ImportConflict, match="已放弃"):
        services.register_import_confirm(actor=cadre, register_import=pending)
    assert register_state() == before


@pytest.mark.django_db
def test_a_plan_is_refused_when_the_register_changed_under_it_lapsed_or_replaced(county):
    household = county.households["a1"]
    cadre = county.users["village_cadre"]
    pending = households_import(user=cadre, file=workbook(corrected(household))).pending
    head = household.residents.get(relation="head")
    services.household_change_propose(actor=cadre, household=household, kind="phone", data={
        "resident": head.pk, "phone": "13700001111"})
    before = register_state()
    with pytest.raises(ImportConflict, match=r"张建国.*手机号.*已有变动"):
        services.register_import_confirm(actor=cadre, register_import=pending)
    assert register_state() == before and not Household.objects.filter(number="H-NEW").exists()

    fresh = households_import(user=cadre, file=workbook(corrected(household))).pending
    pending.refresh_from_db()
    assert pending.state == "discarded"  # one waiting import per importer
    RegisterImport.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    fresh.refresh_from_db()
    with pytest.raises(ImportConflict, match="超过 24 小时"):
        services.register_import_confirm(actor=cadre, register_import=fresh)
    assert register_state() == before


@pytest.mark.django_db
def test_a_waiting_proposal_on_the_same_field_or_a_household_left_headless_refuses_the_file(county):
    household = county.households["a1"]
    head, spouse, _ = household.residents.order_by("id")
    services.household_change_propose(actor=county.users["grid_worker"], household=household, kind="phone",
                                      data={"resident": head.pk, "phone": "13700001111"})
    rows = as_registered(household)
    rows[0][6] = NEW_PHONE
    result = households_import(user=county.users["village_cadre"], file=workbook(rows))
    assert [(e.row, e.message) for e in result.errors] == [
        (2, "张建国户有一条待确认的「手机号变更」变动（张建国），请等村里确认或退回后再导入更正")]
    assert result.pending is None

    rows = as_registered(household)
    rows[0][4] = "配偶"  # no head left
    result = households_import(user=county.users["village_cadre"], file=workbook(rows))
    assert [e.message for e in result.errors] == [f"户编号 {household.number} 更正后没有户主，每户必须有且只有一名户主"]

    rows[1][4] = "户主"  # the spouse becomes head: the household's head name follows
    pending = households_import(user=county.users["village_cadre"], file=workbook(rows)).pending
    services.register_import_confirm(actor=county.users["village_cadre"], register_import=pending)
    household.refresh_from_db()
    spouse.refresh_from_db()
    assert (household.head_name, spouse.relation) == (spouse.name, "head")


@pytest.mark.django_db
def test_moves_and_numbers_registered_outside_the_scope_stay_refused(county):
    a1, a2, b1 = county.households["a1"], county.households["a2"], county.households["b1"]
    clerk = grant_reveal(county.users["township_staff"])
    moved = as_registered(a1)[1]
    moved[1] = a2.number  # a1's spouse under 西村's household: a move, not a correction
    foreign = as_registered(b1)[0]
    foreign[0], foreign[1] = county.grid_a1.code, a1.number  # 古城镇's head under a1's number
    before = register_state()
    result = households_import(user=clerk, file=workbook([*as_registered(a1)[:1], moved, foreign]))
    assert [(e.row, e.message) for e in result.errors] == [
        (3, f"该居民登记在张建国户（户编号 {a1.number}），与本行的户编号不同；"
            "户与户之间的迁移请在户页面办理迁入或迁出，不能通过导入更正"),
        (4, ELSEWHERE_ID),
    ]
    assert b1.head_name not in json.dumps([e.message for e in result.errors], ensure_ascii=False)
    # Without the reveal permission: how many, never which rows.
    stranger = [county.grid_a1.code, a1.number, "", "新人", "子女", next_id_number(), "", "", "否"]
    moved[1], moved[4] = "H-X", "户主"
    result = households_import(user=county.users["village_cadre"],
                               file=workbook([*as_registered(a1)[:1], moved, stranger]))
    assert [(e.row, e.message) for e in result.errors] == [
        (None, ID_CLASH_HIDDEN.format(n=1)), (None, STRANGERS_HIDDEN)]
    assert register_state() == before and not RegisterImport.objects.exists()


@pytest.mark.django_db
def test_the_review_page_is_its_importers_alone_and_confirming_shows_in_the_history(client, county):
    household = county.households["a1"]
    cadre = county.users["village_cadre"]
    client.force_login(cadre)
    response = client.post("/people/import/", {"file": workbook(corrected(household))}, follow=True)
    pending = RegisterImport.objects.get()
    assert response.redirect_chain == [(f"/people/import/{pending.pk}/", 302)]
    page = response.content.decode()
    assert "139****5678" in page and NEW_PHONE not in page and "新增 1 户 1 人" in page and "更正 4 处" in page
    for plain in (crypto.decrypt(r.id_number_encrypted) for r in household.residents.all()):
        assert plain not in page

    # Another clerk of the same village, the township, a villager: none of them may see or decide it.
    for other in ("township_staff", "grid_chief", "county_admin"):
        client.force_login(county.users[other])
        assert client.get(f"/people/import/{pending.pk}/").status_code == 404
        assert client.post(f"/people/import/{pending.pk}/confirm/").status_code == 404
    client.force_login(county.users["resident"])
    assert client.post(f"/people/import/{pending.pk}/confirm/").status_code == 403
    with pytest.raises(Forbidden):
        services.register_import_confirm(actor=county.users["township_staff"], register_import=pending)
    pending.refresh_from_db()
    assert pending.state == "pending"

    client.force_login(cadre)
    done = client.post(f"/people/import/{pending.pk}/confirm/", follow=True).content.decode()
    assert "导入完成：新增 1 户 1 人，更正 4 处。" in done
    again = client.post(f"/people/import/{pending.pk}/confirm/")
    assert again.status_code == 409 and "已导入" in again.content.decode()
    history = client.get(f"/people/households/{household.pk}/").content.decode()
    assert "信息更正" in history and "表格导入更正" in history and "139****5678" in history


@pytest.mark.django_db
def test_a_file_equal_to_the_register_changes_nothing_and_keeps_nothing(client, county):
    client.force_login(county.users["village_cadre"])
    response = client.post("/people/import/", {"file": workbook(as_registered(county.households["a1"]))},
                           follow=True)
    assert "文件与户籍一致（3 人），没有需要导入或更正的内容。" in response.content.decode()
    assert not RegisterImport.objects.exists() and not HouseholdChange.objects.exists()


@pytest.mark.django_db
def test_a_reimport_over_the_row_limit_is_refused_before_any_number_is_looked_up(county, settings):
    settings.HOUSEHOLD_IMPORT_MAX_ROWS = 2
    cadre = county.users["village_cadre"]
    result = households_import(user=cadre, file=workbook(corrected(county.households["a1"])))
    assert [e.message for e in result.errors] == ["文件超过 2 行，请分批导入"]
    assert not RegisterImport.objects.exists() and not IdentitySearch.objects.filter(user=cadre).exists()
