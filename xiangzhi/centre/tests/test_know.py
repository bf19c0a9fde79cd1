"""概况 (一键可知): the counts against a register built by hand, their change since the end of last month
from the registers' own dates, the scope, and the page."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import UserFactory, make_household
from xiangzhi.accounts.models import Role
from xiangzhi.centre.know import know_for_user
from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.people.models import Household, HouseholdChange, Relation
from xiangzhi.people.services import (
    household_change_propose,
    key_person_change_category,
    key_person_end,
    key_person_register,
)
from xiangzhi.regions.models import GridAssignment
from xiangzhi.regions.services import grid_assign, grid_unassign

pytestmark = pytest.mark.django_db
Kind = HouseholdChange.Kind


@pytest.fixture
def register(county):
    """The small county as it stood last month (four households of three, the grids' staff, three key
    people), then this month: in 东村 a birth, a death, a move to 南村, a split and, in 西村, a new household
    of two; a key person registered, one ended, one re-categorised; a worker put on 南村第二网格 and the
    worker of 东村第一网格 taken off."""
    c = county
    u = c.users
    today = timezone.localdate()
    before = today.replace(day=1) - dt.timedelta(days=10)
    Household.objects.update(created_at=timezone.make_aware(dt.datetime.combine(before, dt.time(9))))
    GridAssignment.objects.update(started_on=before)
    a1, micro, b1 = c.households["a1"], c.households["a1_micro"], c.households["b1"]
    head, spouse, child = (a1.residents.get(relation=r) for r in (Relation.HEAD, Relation.SPOUSE, Relation.CHILD))
    b1_head = b1.residents.get(relation=Relation.HEAD)
    worker, worker_b = u["grid_worker"], u["grid_worker_b"]
    key_person_register(actor=worker, resident=head, category="elderly_alone", on=before)
    ended = key_person_register(actor=worker, resident=spouse, category="petitioner", on=before)
    moved = key_person_register(actor=worker_b, resident=b1_head, category="hardship_family", on=before)
    # This month.
    key_person_register(actor=worker, resident=child, category="elderly_alone")
    key_person_end(actor=worker, key_person=ended, reason="情况好转")
    key_person_change_category(actor=worker_b, key_person=moved, category="disabled", reason="重新评定")
    cadre = u["village_cadre"]  # his own changes are confirmed at once
    household_change_propose(actor=cadre, household=a1, kind=Kind.BIRTH, data={
        "name": "张小宝", "sex": "M", "birth_date": today.isoformat(), "relation": "grandchild"})
    micro_child = micro.residents.get(relation=Relation.CHILD)
    household_change_propose(actor=cadre, household=micro, kind=Kind.DEATH, data={
        "resident": micro_child.pk, "died_on": today.isoformat()})
    micro_spouse = micro.residents.get(relation=Relation.SPOUSE)
    household_change_propose(actor=cadre, household=micro, kind=Kind.MOVE_OUT, data={
        "resident": micro_spouse.pk, "destination": "county", "village": c.village_b1.code,
        "to_household": b1.number, "relation": "other", "moved_on": today.isoformat()})
    household_change_propose(actor=cadre, household=a1, kind=Kind.SPLIT, data={
        "members": [child.pk], "new_head": child.pk})
    make_household(c.grid_a2, size=2, head="陈新户")
    newcomer = UserFactory(username="worker_b2", role=Role.GRID_WORKER)
    grid_assign(grid=c.grid_b1_unstaffed, user=newcomer, duty="full_time")
    grid_unassign(assignment=GridAssignment.objects.get(user=worker), ended_on=today, reason="调离")
    return c


def test_the_county_now_and_at_the_end_of_last_month(register, django_assert_max_num_queries):
    c = register
    with django_assert_max_num_queries(14):
        k = know_for_user(c.users["county_admin"])
    t = k.total
    assert k.node_name == "沾化区" and k.child_label == "乡镇（街道）"
    assert k.as_of == timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    # 12 − 1 death + 1 birth + 2 in the new household; the move stays in the county; the split moves nobody out
    assert (t.residents.now, t.residents.then) == (14, 12)
    assert (t.households.now, t.households.then) == (6, 4)  # the new household and the split one
    assert (t.key_people.now, t.key_people.then) == (3, 3)
    by_code = {code: t.by_category.get(pk) for pk, code, _ in k.categories}
    assert (by_code["elderly_alone"].now, by_code["elderly_alone"].then) == (2, 1)
    assert (by_code["petitioner"].now, by_code["petitioner"].then) == (0, 1)
    assert (by_code["hardship_family"].now, by_code["hardship_family"].then) == (0, 1)  # re-categorised since
    assert (by_code["disabled"].now, by_code["disabled"].then) == (1, 0)
    assert t.grids.now == 4 and t.grids.change is None  # grids record no dates: no change
    assert (t.workers.now, t.workers.then) == (3, 3)
    assert (t.covered.now, t.covered.then) == (3, 2) and (t.coverage, t.coverage_then) == (0.75, 0.5)
    assert (t.single.now, t.single.then) == (3, 1)  # 东村第一网格 went from two to one

    rows = {r.name: r for r in k.children}
    assert set(rows) == {"下洼镇", "古城镇"}
    town_a, town_b = rows["下洼镇"], rows["古城镇"]
    assert (town_a.residents.now, town_a.residents.change) == (10, 1)  # +birth −death −move +2 new
    assert (town_b.residents.now, town_b.residents.change) == (4, 1)  # the move arrived
    assert (town_a.households.now, town_a.households.change) == (5, 2)
    assert (town_a.workers.now, town_a.workers.then, town_b.workers.now, town_b.workers.then) == (1, 2, 2, 1)
    assert (town_b.covered.now, town_b.covered.then, town_b.grids.now) == (2, 1, 2)


def test_a_village_rolls_micro_grids_into_their_grid_and_grid_staff_see_their_grids(register):
    c = register
    k = know_for_user(c.users["village_cadre"])
    assert k.node == c.village_a1 and k.child_label == "网格"
    (grid,) = k.children
    assert grid.key == c.grid_a1.code and grid.residents.now == 5  # 4 in the grid, 1 left in its micro-grid
    assert (grid.households.now, grid.households.then) == (3, 2)
    assert (grid.residents.now, grid.residents.change) == (5, -1)  # birth − death − move
    chief = know_for_user(c.users["grid_chief"])
    assert chief.node is None and chief.node_name == "我的网格"
    assert [r.key for r in chief.children] == [c.grid_a1.code]
    assert chief.total.residents.now == 5
    micro = know_for_user(c.users["grid_chief"], grid=c.grid_a1)
    assert micro.child_label == "微网格" and {r.key for r in micro.children} == {c.grid_a1_micro.code, ""}


def test_the_scope_holds_and_only_register_readers_may(register):
    c = register
    town = know_for_user(c.users["township_staff"])
    assert town.node == c.town_a and [r.name for r in town.children] == ["东村", "西村"]
    assert town.total.residents.now == 10
    with pytest.raises(NotFound):
        know_for_user(c.users["township_staff"], region=c.town_b)
    with pytest.raises(NotFound):
        know_for_user(c.users["village_cadre"], grid=c.grid_b1)
    for role in ("resident", "department_staff", "inspector"):
        with pytest.raises(Forbidden):
            know_for_user(c.users[role])


def test_the_page(client, register):
    c = register
    client.force_login(c.users["township_staff"])
    page = client.get("/centre/know/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "概况" in html and 'data-testid="know-residents">' in html and ">10<" in html
    assert "较上月末" in html and "+1" in html
    assert "不计变化" in html  # grids
    assert "本月村里确认的出生、婚入、迁入" in html  # the formula under the figures
    assert f"/regions/{c.village_a1.code}/" in html and f"?region={c.village_a1.code}" in html
    assert client.get("/centre/").url == "/centre/know/"  # the centre opens on 概况
    drilled = client.get("/centre/know/", {"region": c.village_a1.code})
    assert drilled.status_code == 200 and "东村第一网格" in drilled.content.decode()
    grid = client.get("/centre/know/", {"grid": c.grid_a1_micro.code}).content.decode()
    trail = grid.split('data-testid="know-trail">', 1)[1].split("</nav>", 1)[0]
    assert trail == (f'<a href="?">下洼镇</a> › <a href="?region={c.village_a1.code}">东村</a> › '
                     f'<a href="?grid={c.grid_a1.code}">东村第一网格</a> › 东村一组微网格')
    assert client.get("/centre/know/", {"region": c.town_b.code}).status_code == 404
    assert client.get("/centre/know/", {"grid": c.grid_b1.code}).status_code == 404
    for role in ("resident", "department_staff"):
        client.force_login(c.users[role])
        assert client.get("/centre/know/").status_code == 403
    client.force_login(c.users["department_staff"])
    assert client.get("/centre/").url != "/centre/know/"  # the first section he may open


def test_an_empty_village_holds(county, client):
    client.force_login(county.users["county_admin"])
    page = client.get("/centre/know/", {"region": county.village_a2.code})
    assert page.status_code == 200
    k = know_for_user(county.users["county_admin"], region=county.village_a2)
    assert k.total.covered.now == 0 and k.total.coverage == 0.0
