import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.activities.models import Activity, ActivitySignup, ActivityState
from xiangzhi.activities.services import activity_signup
from xiangzhi.activities.tests.conftest import make_activity
from xiangzhi.points import selectors
from xiangzhi.points.models import PointsEntry

pytestmark = pytest.mark.django_db


def login(client, county, role):
    client.force_login(county.users[role])
    return client


def test_a_villager_sees_the_coming_activities_signs_up_and_finds_it_under_mine(client, county, rules, activity):
    c = login(client, county, "resident")
    page = c.get("/activities/").content.decode()
    assert "志愿服务活动" in page and "清扫村道" in page and 'data-testid="signup-button"' in page
    assert "还没有报名" in page and 'data-testid="participation">0<' in page
    assert "发起活动" not in page
    done = c.post(f"/activities/{activity.pk}/signup/", {"people": "2"}, follow=True).content.decode()
    assert "已报名：张建国户 2 人" in done and "取消报名" in done
    page = c.get("/activities/").content.decode()
    assert 'data-testid="signup-button"' not in page and "已报名 2 人" in page
    assert "志愿服务" in page  # the menu entry


def test_staff_start_an_activity_from_a_phone_form(client, county, rules):
    c = login(client, county, "village_cadre")
    form = c.get("/activities/new/").content.decode()
    assert "参加志愿服务活动（每次）（+2" in form and "随手拍" not in form and "捐资捐物" not in form
    day = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    body = {"village": county.village_a1.code, "title": "防汛巡河", "place": "村南河堤",
            "starts_at": f"{day}T07:00", "ends_at": f"{day}T10:00", "rule": "volunteer_emergency",
            "points": "", "capacity": "20", "description": "带好雨衣和手电"}
    refused = c.post("/activities/new/", {**body, "points": "9"}).content.decode()
    assert "每次最多加 5 分" in refused and "防汛巡河" in refused  # the form keeps what was typed
    made = c.post("/activities/new/", body)
    a = Activity.objects.get()
    assert made.status_code == 302 and made.url == f"/activities/{a.pk}/"
    assert (a.points, a.capacity, timezone.localtime(a.starts_at).hour) == (5, 20, 7)
    assert login(client, county, "township_staff_b").get(
        f"/activities/new/?village={county.village_a1.code}").status_code == 404


def test_check_in_by_tapping_rows_then_award_in_one_go(client, county, rules):
    a, made = make_activity(county, rules, started=True, signups=["a1", "a1_micro"])
    c = login(client, county, "points_recorder")
    page = c.get(f"/activities/{a.pk}/").content.decode()
    assert page.count('data-testid="signup-row"') == 2 and "签到后可一键记分" in page
    url = f"/activities/{a.pk}/signups/{made['a1'].pk}/check-in/"
    row = c.post(url, {"present": "1"}, headers={"HX-Request": "true"}).content.decode()
    assert "✓ 已到" in row and 'name="present" value="0"' in row and "<html" not in row
    assert '<span id="checked-in-count" class="xz-num" hx-swap-oob="true">1/2</span>' in row  # the count above the list
    assert "1 户各得 2 分" in row and 'id="award-box"' in row  # and the award box below it
    c.post(url, {"present": "1"}, headers={"HX-Request": "true"})  # a double tap stays checked in
    c.post(f"/activities/{a.pk}/signups/{made['a1_micro'].pk}/check-in/", {"present": "1"},
           headers={"HX-Request": "true"})
    row = c.post(url, {"present": "0"}, headers={"HX-Request": "true"}).content.decode()
    assert 'name="present" value="1"' in row  # undone
    c.post(url, {"present": "1"}, headers={"HX-Request": "true"})
    page = c.get(f"/activities/{a.pk}/").content.decode()
    assert "2 户各得 2 分" in page and 'data-testid="award-button"' in page
    done = c.post(f"/activities/{a.pk}/award/", follow=True).content.decode()
    assert "已记分：2 户各 +2 分，待月度审核后计入" in done and "+2 分 · 待审核" in done
    again = c.post(f"/activities/{a.pk}/award/", follow=True).content.decode()
    assert "本活动已记分，不能重复记分" in again
    assert PointsEntry.objects.count() == 2 and selectors.balance_mismatch_list() == []
    mine = login(client, county, "resident").get(f"/activities/{a.pk}/").content.decode()
    assert 'data-testid="my-award">您家 +2 分（待审核）' in mine and "李秀英户" not in mine  # own row only
    c = login(client, county, "points_recorder")
    late = c.post(url, {"present": "0"}, headers={"HX-Request": "true"}).content.decode()
    assert "活动已记分" in late and ActivitySignup.objects.filter(checked_in_at__isnull=False).count() == 2


def test_a_grid_chief_checks_in_but_does_not_award(client, county, rules):
    a, _ = make_activity(county, rules, started=True, signups=["a1"])
    c = login(client, county, "grid_chief")
    c.post(f"/activities/{a.pk}/check-in/")
    assert ActivitySignup.objects.filter(checked_in_at__isnull=False).count() == 1
    page = c.get(f"/activities/{a.pk}/").content.decode()
    assert 'data-testid="award-box"' not in page
    assert c.post(f"/activities/{a.pk}/award/").status_code == 403


def test_staff_sign_a_household_up_and_cancel(client, county, rules, activity):
    c = login(client, county, "grid_worker")
    page = c.get(f"/activities/{activity.pk}/").content.decode()
    assert "代为报名" in page and "李秀英户" in page and "王德福户" not in page
    options = c.get(f"/activities/{activity.pk}/households/?q=李").content.decode()
    assert "李秀英户" in options and "张建国户" not in options
    c.post(f"/activities/{activity.pk}/signup/", {"household": county.households["a1_micro"].pk})
    assert ActivitySignup.objects.get().household == county.households["a1_micro"]
    assert c.post(f"/activities/{activity.pk}/cancel/", {"reason": "下雨"}).status_code == 403
    c = login(client, county, "village_cadre")
    c.post(f"/activities/{activity.pk}/cancel/", {"reason": "暴雨预警"})
    activity.refresh_from_db()
    assert (activity.state, activity.cancel_reason) == (ActivityState.CANCELLED, "暴雨预警")


def test_the_village_comparison_page(client, county, rules):
    make_activity(county, rules, started=True, signups=["a1"], checked_in=["a1"])
    page = login(client, county, "township_staff").get("/activities/villages/").content.decode()
    assert "下洼镇" in page and "东村" in page and "50.0%" in page


def test_the_detail_page_does_not_query_per_row(client, county, rules, django_assert_max_num_queries):
    from tests.factories import make_household

    a, _ = make_activity(county, rules, started=True, signups=["a1"], checked_in=["a1"])
    c = login(client, county, "village_cadre")
    with django_assert_max_num_queries(40) as few:
        c.get(f"/activities/{a.pk}/")
    for i in range(6):
        county.households[f"extra{i}"] = make_household(county.grid_a1, head=f"孙{i}")
    keys = ["a1", "a1_micro"] + [f"extra{i}" for i in range(6)]
    b, _ = make_activity(county, rules, started=True, signups=keys, checked_in=keys)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = c.get(f"/activities/{b.pk}/").content.decode()
    assert page.count('data-testid="signup-row"') == 8


def test_a_full_activity_reads_full_not_open_in_the_list(client, county, rules):
    full, _ = make_activity(county, rules, title="清扫村道", capacity=3)
    activity_signup(actor=county.users["village_cadre"], activity=full, household=county.households["a1_micro"],
                    people=3)  # every place taken
    make_activity(county, rules, title="植树", capacity=10)
    c = login(client, county, "resident")
    page = c.get("/activities/").content.decode()
    rows = {title: row for row in page.split('data-testid="activity-row"')[1:]
            for title in ("清扫村道", "植树") if f">{title}</a>" in row}
    assert "已满" in rows["清扫村道"] and "报名中" not in rows["清扫村道"]
    assert "报名中" in rows["植树"] and "已满" not in rows["植树"]
    assert 'data-testid="signup-button"' not in rows["清扫村道"]
    detail = c.get(f"/activities/{full.pk}/").content.decode()
    assert 'data-testid="activity-full"' in detail
