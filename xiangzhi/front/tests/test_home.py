"""Each role lands on its day: what is due, overdue and new for it, one tap from each; phones get
the role's main tasks in a bottom tab bar."""

import re

import pytest
from django.utils import timezone

from tests.factories import install_points_rulebooks
from xiangzhi.cases import services as case_services
from xiangzhi.cases.models import Category
from xiangzhi.core.display import day_text
from xiangzhi.points import selectors as points_selectors
from xiangzhi.points import services as points_services

pytestmark = pytest.mark.django_db


def login(client, county, role):
    client.force_login(county.users[role])
    return client


def tabs(page: str) -> list[str]:
    bar = re.search(r'data-testid="tabbar">(.*?)</nav>', page, re.S).group(1)
    return re.findall(r"<span>([^<]+)</span>", bar)


def test_a_grid_worker_lands_on_his_day(client, county):
    response = login(client, county, "grid_worker").get("/")
    assert response.status_code == 302 and response.url == "/work/"
    page = client.get("/work/").content.decode()
    assert 'data-testid="patrol-card"' in page and 'data-testid="due-card"' in page
    assert tabs(page) == ["今日", "上报", "走访", "待办", "我的"]
    assert 'class="xz-tab active" aria-current="page"' in page.split("<span>今日</span>")[0].rsplit("<a", 1)[1]


def test_a_villager_sees_his_households_points_his_reports_and_the_report_button(client, county):
    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    household = county.households["a1"]
    entry = points_services.entry_record(actor=county.users["points_recorder"], household=household,
                                         rule=rules["neighbour_help"], occurred_on=timezone.localdate()).entry
    points_services.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=True)
    resident = county.users["resident"]
    case_services.case_report(channel="resident", reporter=resident, category=Category.objects.get(code="road_light"),
                              title="村口路灯不亮", description="", lon=None, lat=None)
    page = login(client, county, "resident").get("/").content.decode()
    balance = points_selectors.household_balance(household.pk)
    assert balance > 0
    assert re.search(rf'data-testid="points-balance">{balance:,} ', page)
    assert "您家的积分" in page and 'data-testid="report-button"' in page and "村口路灯不亮" in page
    assert tabs(page) == ["首页", "随手拍", "我的上报", "积分", "我的"]


def test_a_villager_not_yet_bound_to_a_household_is_told_so(client, county):
    resident = county.users["resident"]
    resident.household = None
    resident.save(update_fields=["household"])
    page = login(client, county, "resident").get("/").content.decode()
    assert "尚未关联到户" in page and 'data-testid="points-card"' not in page
    assert tabs(page) == ["首页", "随手拍", "我的上报", "我的"]


def test_the_village_cadre_sees_the_entries_waiting_for_review_and_their_deadline(client, county):
    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    for key in ("a1", "a1_micro"):
        points_services.entry_record(actor=county.users["points_recorder"], household=county.households[key],
                                     rule=rules["neighbour_help"], occurred_on=timezone.localdate())
    page = login(client, county, "village_cadre").get("/").content.decode()
    task = re.search(r'href="/points/review/" data-testid="task-review">(.*?)</a>', page, re.S).group(1)
    deadline = points_selectors.review_deadline_for_user(county.users["village_cadre"])
    assert deadline is not None and deadline.closes_on >= timezone.localdate()
    assert ">2</span>" in task and f"审核截止 {day_text(deadline.closes_on)}" in task
    assert tabs(page) == ["首页", "待办", "积分审核", "户籍", "我的"]
    # The cadre of another township's village sees none of them.
    page = login(client, county, "township_staff_b").get("/").content.decode()
    task = re.search(r'data-testid="task-review">(.*?)</a>', page, re.S).group(1)
    assert ">0</span>" in task


def test_staff_see_their_inbox_with_what_is_overdue_and_new_today(client, county):
    case_services.case_report(channel="resident", reporter=county.users["resident"],
                              category=Category.objects.get(code="road_light"), title="路灯")
    page = login(client, county, "township_staff").get("/").content.decode()
    assert 'data-testid="task-inbox"' in page
    page = login(client, county, "county_admin").get("/").content.decode()
    assert 'data-testid="task-unstaffed"' in page  # the small county has a grid without a worker
    assert tabs(page)[0] == "首页" and tabs(page)[-1] == "我的"


@pytest.mark.parametrize("role,first_tabs", [
    ("points_recorder", ["首页", "记积分", "公示", "我的"]),
    ("points_supervisor", ["首页", "审核", "公示", "我的"]),
    ("department_staff", ["首页", "待办"]),
])
def test_every_role_gets_three_to_five_tabs(client, county, role, first_tabs):
    names = tabs(login(client, county, role).get("/").content.decode())
    assert 3 <= len(names) <= 5 and names[:len(first_tabs)] == first_tabs


def test_large_type_is_drawn_by_the_server_once_chosen(client, county):
    login(client, county, "resident")
    assert '<html lang="zh-hans">' in client.get("/").content.decode()
    client.cookies["xz_large"] = "1"
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans" class="xz-large">' in page and 'aria-pressed="true"' in page


def test_the_village_cadre_sees_the_sign_ups_waiting_for_the_village(client, county):
    from xiangzhi.accounts.tests.signup_helpers import sign_up

    sign_up(county.village_a1, head_name="张建国")
    page = login(client, county, "village_cadre").get("/").content.decode()
    task = re.search(r'href="/accounts/signups/" data-testid="task-signups">(.*?)</a>', page, re.S).group(1)
    assert "待确认的村民注册" in task and ">1</span>" in task
    # The next village's cadre has none waiting, so no line at all.
    page = login(client, county, "township_staff_b").get("/").content.decode()
    assert 'data-testid="task-signups"' not in page


def test_the_village_cadre_sees_the_register_changes_waiting_for_him(client, county):
    from xiangzhi.people.services import household_change_propose

    household = county.households["a1"]
    household_change_propose(actor=county.users["grid_worker"], household=household, kind="away",
                             data={"resident": household.residents.first().pk, "away_place": "青岛",
                                   "away_work": "建筑", "away_since": "2026-11-01"}, note="")
    page = login(client, county, "village_cadre").get("/").content.decode()
    task = re.search(r'href="/people/changes/" data-testid="task-changes">(.*?)</a>', page, re.S).group(1)
    assert "待确认的户籍变动" in task and ">1</span>" in task
    assert "户籍变动</a>" in page  # and in the menu


def test_supervisors_see_the_key_people_overdue_for_a_visit_as_the_per_grid_list_counts_them(client, county):
    from xiangzhi.gridwork import selectors as gridwork
    from xiangzhi.gridwork.tests.helpers import key_person

    key_person(county.households["a1"], registered_days_ago=400)  # long past its first visit
    cadre = county.users["village_cadre"]
    late = gridwork.visits_overdue_count_for_user(cadre)
    assert late == 1 == sum(row.overdue for row in gridwork.grid_overdue_list_for_user(cadre))
    page = login(client, county, "village_cadre").get("/").content.decode()
    task = re.search(r'data-testid="task-visits">(.*?)</a>', page, re.S).group(1)
    assert "逾期未走访的重点人员" in task and ">1</span>" in task
    assert gridwork.visits_overdue_count_for_user(county.users["township_staff_b"]) == 0  # another township's
