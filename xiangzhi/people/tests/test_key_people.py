import datetime as dt

import pytest
from django.utils import timezone

from tests.web import post
from xiangzhi.core.errors import Conflict, Forbidden, Invalid, NotFound
from xiangzhi.gridwork import selectors as gridwork
from xiangzhi.gridwork.services import visit_record
from xiangzhi.people import selectors
from xiangzhi.people.models import KeyCategory, KeyPerson, KeyPersonChange
from xiangzhi.people.services import (
    key_person_change_category,
    key_person_end,
    key_person_end_all_for_resident,
    key_person_register,
)

pytestmark = pytest.mark.django_db
Kind = KeyPersonChange.Kind


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def head(county, household="a1"):
    return county.households[household].residents.order_by("id").first()


def register(county, category="elderly_alone", who="grid_worker", household="a1", **kw):
    return key_person_register(actor=county.users[who], resident=head(county, household), category=category, **kw)


def nothing_written(before: tuple[int, int]) -> bool:
    return (KeyPerson.objects.count(), KeyPersonChange.objects.count()) == before


def counts() -> tuple[int, int]:
    return KeyPerson.objects.count(), KeyPersonChange.objects.count()


def test_registering_leaves_an_active_entry_with_its_history(county):
    entry = register(county, note="邻居反映独居", on=days_ago(3))
    assert (entry.is_active, entry.registered_on, entry.registered_by) == (True, days_ago(3),
                                                                          county.users["grid_worker"])
    (change,) = selectors.key_person_changes(entry)
    assert (change.kind, change.actor, change.reason) == (Kind.REGISTER, county.users["grid_worker"], "邻居反映独居")
    assert change.after["类别"] == "孤寡/空巢老人" and change.after["登记日期"] == days_ago(3).isoformat()
    assert list(selectors.key_person_list_for_user(county.users["village_cadre"])) == [entry]


@pytest.mark.parametrize("who, household, kwargs, error, message", [
    ("grid_worker", "a1", {"category": "nope"}, Invalid, "类别"),
    ("grid_worker", "a1", {"category": "inactive"}, Invalid, "类别"),
    ("grid_worker", "a1", {"on": timezone.localdate() + dt.timedelta(days=1)}, Invalid, "晚于今天"),
    ("grid_worker", "a1", {"note": "长" * 201}, Invalid, "备注"),
    ("grid_worker_b", "a1", {}, Forbidden, "本人负责"),  # another grid
    ("village_cadre", "b1", {}, Forbidden, "本人负责"),  # another village
    ("township_staff", "a1", {}, Forbidden, "本人负责"),  # not a keeper
    ("resident", "a1", {}, Forbidden, "本人负责"),
])
def test_bad_registrations_are_refused_in_chinese_and_write_nothing(county, who, household, kwargs, error, message):
    KeyCategory.objects.create(code="inactive", name="停用类别", visit_cycle_days=30, is_active=False)
    before = counts()
    with pytest.raises(error, match=message):
        register(county, who=who, household=household, **{"category": "elderly_alone", **kwargs})
    assert nothing_written(before)


def test_a_deceased_resident_or_the_same_active_category_twice_is_refused(county):
    register(county)
    before = counts()
    with pytest.raises(Conflict, match="不能重复登记"):
        register(county, who="village_cadre")
    dead = head(county, "a1_micro")
    dead.is_deceased, dead.died_on = True, days_ago(2)
    dead.save()
    with pytest.raises(Invalid, match="已登记死亡"):
        register(county, household="a1_micro")
    assert nothing_written(before)


def test_a_category_change_keeps_the_visits_and_recomputes_the_due_date(county):
    worker = county.users["grid_worker"]
    never_visited = register(county, category="disabled", on=days_ago(40))  # quarterly: due in 50 days
    visited = register(county, category="disabled", household="a1_micro", on=days_ago(60))
    visit_record(key_person=visited, visitor=worker, visited_at=timezone.now() - dt.timedelta(days=5), notes="",
                 outcome="normal")
    assert gridwork.visits_due_for_user(worker, within_days=30) == []

    for entry in (never_visited, visited):
        key_person_change_category(actor=worker, key_person=entry, category="elderly_alone", reason="子女外出，独居")

    due = {d.key_person.pk: d for d in gridwork.visits_due_for_user(worker, within_days=25)}
    assert due[never_visited.pk].days_overdue == 10  # registered 40 days ago, now monthly
    assert due[visited.pk].due_on == days_ago(5) + dt.timedelta(days=30)  # from the last visit, new cycle
    assert [d.key_person for d in gridwork.visits_due_for_user(worker)] == [never_visited]
    assert visited.visits.count() == 1
    change = selectors.key_person_changes(visited).last()
    assert (change.kind, change.before["类别"], change.after["类别"], change.reason) == (
        Kind.CATEGORY, "残疾人", "孤寡/空巢老人", "子女外出，独居")


def test_a_category_change_is_refused_without_a_reason_or_onto_a_held_category(county):
    worker = county.users["grid_worker"]
    entry = register(county)
    register(county, category="hardship_family")
    before = counts()
    with pytest.raises(Invalid, match="变更原因"):
        key_person_change_category(actor=worker, key_person=entry, category="disabled", reason=" ")
    with pytest.raises(Conflict, match="另有"):
        key_person_change_category(actor=worker, key_person=entry, category="hardship_family", reason="核实")
    with pytest.raises(Conflict, match="已是"):
        key_person_change_category(actor=worker, key_person=entry, category="elderly_alone", reason="核实")
    with pytest.raises(Forbidden):
        key_person_change_category(actor=county.users["grid_worker_b"], key_person=entry, category="disabled",
                                   reason="核实")
    assert nothing_written(before)
    assert KeyPerson.objects.get(pk=entry.pk).category.code == "elderly_alone"


def test_an_ended_entry_is_no_longer_due_nor_listed_but_keeps_its_history(county):
    worker, cadre = county.users["grid_worker"], county.users["village_cadre"]
    entry = register(county, category="community_correction", on=days_ago(40))
    assert [d.key_person for d in gridwork.visits_due_for_user(worker)] == [entry]
    before = counts()
    with pytest.raises(Invalid, match="解除原因"):
        key_person_end(actor=worker, key_person=entry, reason="")
    with pytest.raises(Invalid, match="早于登记日期"):
        key_person_end(actor=worker, key_person=entry, reason="解除社区矫正", on=days_ago(41))
    assert nothing_written(before)

    key_person_end(actor=cadre, key_person=entry, reason="解除社区矫正", on=days_ago(1))
    entry.refresh_from_db()
    assert (entry.is_active, entry.ended_on, entry.end_reason, entry.ended_by) == (False, days_ago(1), "解除社区矫正",
                                                                                  cadre)
    assert gridwork.visits_due_for_user(worker, within_days=31) == []
    assert list(selectors.key_person_list_for_user(cadre)) == []
    assert list(selectors.key_person_list_for_user(cadre, ended=True)) == [entry]
    with pytest.raises(NotFound):
        gridwork.key_person_get_for_user(worker, entry.pk)  # no visit can be recorded
    assert selectors.key_person_get_for_user(worker, entry.pk) == entry  # but the staff still read it
    assert [c.kind for c in selectors.key_person_changes(entry)] == [Kind.REGISTER, Kind.END]
    with pytest.raises(Conflict, match="已解除"):
        key_person_end(actor=cadre, key_person=entry, reason="再解除")
    again = register(county, category="community_correction")
    assert again.pk != entry.pk and again.is_active


def test_death_or_leaving_ends_every_active_entry_with_history(county):
    first, second = register(county), register(county, category="hardship_family")
    key_person_end(actor=county.users["grid_worker"], key_person=second, reason="情况好转")
    third = register(county, category="disabled")
    n = key_person_end_all_for_resident(resident=head(county), actor=county.users["village_cadre"], reason="已死亡",
                                        on=timezone.localdate())
    assert n == 2
    assert not KeyPerson.objects.filter(is_active=True).exists()
    for entry in (first, third):
        last = selectors.key_person_changes(entry).last()
        assert (last.kind, last.reason, last.actor) == (Kind.END, "已死亡", county.users["village_cadre"])
    assert selectors.key_person_changes(second).filter(kind=Kind.END).count() == 1  # not ended twice


def test_staff_out_of_scope_and_villagers_cannot_read_an_entry(county):
    entry = register(county)
    for who in ("grid_worker_b", "resident", "department_staff", "grid_guide"):
        with pytest.raises(NotFound):
            selectors.key_person_get_for_user(county.users[who], entry.pk)
    assert selectors.household_key_people(county.users["resident"], county.households["a1"]) == []


# ---- pages ----------------------------------------------------------------------------------


def test_a_worker_registers_from_the_household_page_and_sees_the_history(client, county):
    client.force_login(county.users["grid_worker"])
    a1 = county.households["a1"]
    page = client.get(f"/people/households/{a1.pk}/").content.decode()
    assert 'data-testid="key-person-new"' in page
    form = client.get(f"/people/key-people/new/?household={a1.pk}")
    assert form.status_code == 200 and "社区矫正对象" in form.content.decode()
    member = head(county)
    body = {"household": a1.pk, "resident": member.pk, "category": "petitioner", "note": "多次越级上访"}
    assert client.post("/people/key-people/new/", body).status_code == 302
    twice = client.post("/people/key-people/new/", body)
    assert twice.status_code == 409 and "不能重复登记" in twice.content.decode()
    no_member = client.post("/people/key-people/new/", {**body, "resident": ""})
    assert no_member.status_code == 422 and "请选择本户的一名成员" in no_member.content.decode()
    page = client.get(f"/people/households/{a1.pk}/").content.decode()
    assert "信访人员" in page and "多次越级上访" in page and 'data-testid="key-person-history"' in page


def test_the_villager_sees_no_key_people_on_his_own_household_page(client, county):
    register(county, note="独居")
    client.force_login(county.users["resident"])
    page = client.get(f"/people/households/{county.households['a1'].pk}/").content.decode()
    assert "key-people-block" not in page and "孤寡" not in page


def test_a_household_is_found_by_name_before_registering(client, county):
    client.force_login(county.users["grid_worker"])
    page = client.get("/people/key-people/new/?q=张建国").content.decode()
    assert f"?household={county.households['a1'].pk}" in page
    other = client.get("/people/key-people/new/?q=赵永刚").content.decode()  # another grid
    assert f"?household={county.households['b1'].pk}" not in other and "没有找到" in other


def test_changing_and_ending_from_the_key_person_page(client, county):
    entry = register(county)
    client.force_login(county.users["village_cadre"])
    page = client.get(f"/people/key-people/{entry.pk}/").content.decode()
    assert 'data-testid="key-person-end-form"' in page and "登记走访" in page
    no_reason = client.post(f"/people/key-people/{entry.pk}/category/", {"category": "disabled"})
    assert no_reason.status_code == 422 and "请填写变更原因" in no_reason.content.decode()
    assert client.post(f"/people/key-people/{entry.pk}/category/",
                       {"category": "disabled", "reason": "评定为重度残疾"}).status_code == 302
    assert client.post(f"/people/key-people/{entry.pk}/end/", {"ended_on": ""}).status_code == 422
    done = client.post(f"/people/key-people/{entry.pk}/end/", {"reason_pick": "已迁出", "reason": "随子女去天津"},
                       follow=True).content.decode()
    entry.refresh_from_db()
    assert (entry.is_active, entry.end_reason, entry.category.code) == (False, "已迁出（随子女去天津）", "disabled")
    assert "已解除" in done and "评定为重度残疾" in done and 'data-testid="key-person-end-form"' not in done
    ended = client.get("/people/key-people/?state=ended").content.decode()
    assert entry.resident.name in ended and "随子女去天津" in ended
    assert entry.resident.name not in client.get("/people/key-people/").content.decode().split("<tbody>")[1]


def test_the_key_person_pages_refuse_other_scopes_and_readers_who_do_not_keep(client, county):
    entry = register(county)
    client.force_login(county.users["grid_worker_b"])
    assert client.get(f"/people/key-people/{entry.pk}/").status_code == 404
    assert client.post(f"/people/key-people/{entry.pk}/end/", {"reason": "刑满释放"}).status_code == 404
    assert client.get(f"/people/key-people/new/?household={county.households['a1'].pk}").status_code == 404
    client.force_login(county.users["township_staff"])
    assert client.get(f"/people/key-people/{entry.pk}/").status_code == 200
    assert client.post(f"/people/key-people/{entry.pk}/end/", {"reason": "刑满释放"}).status_code == 403
    assert client.get("/people/key-people/new/").status_code == 403
    assert KeyPerson.objects.get(pk=entry.pk).is_active


def test_the_visits_list_links_each_due_person_to_the_key_person_page(client, county):
    entry = register(county, on=days_ago(40))
    client.force_login(county.users["grid_worker"])
    page = client.get("/work/visits/").content.decode()
    assert f'href="/people/key-people/{entry.pk}/"' in page and 'href="/people/key-people/new/"' in page


# ---- API ------------------------------------------------------------------------------------


def test_the_api_registers_changes_and_ends_in_scope(client, county):
    client.force_login(county.users["grid_chief"])
    member = head(county)
    made = post(client, "/api/v1/key-people", {"resident_id": member.pk, "category": "drug_rehab", "note": "社区戒毒"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["name"], body["category"], body["is_active"], body["changes"][0]["kind"]) == (
        member.name, "drug_rehab", True, "register")
    again = post(client, "/api/v1/key-people", {"resident_id": member.pk, "category": "drug_rehab"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    bad = post(client, "/api/v1/key-people", {"resident_id": member.pk, "category": "unknown"})
    assert bad.status_code == 422 and "类别" in bad.json()["error"]["message"]
    pk = body["id"]
    changed = post(client, f"/api/v1/key-people/{pk}/category", {"category": "mental_illness", "reason": "医院确诊"})
    assert changed.status_code == 200 and changed.json()["category"] == "mental_illness"
    assert post(client, f"/api/v1/key-people/{pk}/end", {"reason": ""}).status_code == 422
    ended = post(client, f"/api/v1/key-people/{pk}/end", {"reason": "戒毒康复"}).json()
    assert (ended["is_active"], ended["end_reason"], [c["kind"] for c in ended["changes"]]) == (
        False, "戒毒康复", ["register", "category", "end"])
    assert client.get("/api/v1/key-people").json()["count"] == 0
    assert [i["id"] for i in client.get("/api/v1/key-people?state=ended").json()["items"]] == [pk]


def test_the_api_refuses_the_wrong_role_and_the_wrong_scope(client, county):
    entry = register(county)
    member = head(county)
    before = counts()
    calls = [("/api/v1/key-people", {"resident_id": member.pk, "category": "petitioner"}),
             (f"/api/v1/key-people/{entry.pk}/category", {"category": "disabled", "reason": "核实"}),
             (f"/api/v1/key-people/{entry.pk}/end", {"reason": "刑满释放"})]
    for who, status in (("grid_worker_b", 404), ("township_staff", 403), ("resident", 403), ("grid_guide", 403)):
        client.force_login(county.users[who])
        for url, body in calls:
            assert post(client, url, body).status_code == status, (who, url)
    client.force_login(county.users["grid_worker_b"])
    assert client.get(f"/api/v1/key-people/{entry.pk}").status_code == 404
    client.force_login(county.users["resident"])
    assert client.get(f"/api/v1/key-people/{entry.pk}").status_code == 404
    assert nothing_written(before)
