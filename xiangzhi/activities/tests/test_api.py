import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.activities.models import ActivitySignup, ActivityState
from xiangzhi.activities.tests.conftest import make_activity
from xiangzhi.points import selectors
from xiangzhi.points.models import PointsEntry

pytestmark = pytest.mark.django_db


def as_user(client, county, role):
    client.force_login(county.users[role])
    return client


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def tomorrow(hour):
    day = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour)).isoformat()  # no zone: local time


def test_create_list_sign_up_and_withdraw(client, county, rules):
    c = as_user(client, county, "grid_chief")
    body = {"village": county.village_a1.code, "title": "关爱孤寡老人", "place": "村东敬老院",
            "starts_at": tomorrow(9), "ends_at": tomorrow(11), "capacity": 10}
    made = post(c, "/api/v1/activities", body)
    assert made.status_code == 201, made.content
    a = made.json()
    assert (a["rule"], a["points"], a["state"], a["places_left"], a["signup_open"]) == (
        "volunteer_activity", 2, "open", 10, True)
    assert timezone.localtime(dt.datetime.fromisoformat(a["starts_at"])).hour == 9

    c = as_user(client, county, "resident")
    listed = c.get("/api/v1/activities?upcoming=true").json()
    assert listed["count"] == 1 and listed["items"][0]["my_signup_id"] is None
    s = post(c, f"/api/v1/activities/{a['id']}/signups", {"people": 3})
    assert s.status_code == 201 and s.json()["head_name"] == "张建国" and s.json()["people"] == 3
    again = post(c, f"/api/v1/activities/{a['id']}/signups", {})
    assert again.status_code == 409 and again.json()["error"]["message"] == "该户已报名本活动"
    got = c.get(f"/api/v1/activities/{a['id']}").json()
    assert (got["my_signup_id"], got["signed_up_people"], got["places_left"]) == (s.json()["id"], 3, 7)
    assert [x["id"] for x in c.get(f"/api/v1/activities/{a['id']}/signups").json()] == [s.json()["id"]]
    w = post(c, f"/api/v1/activities/{a['id']}/signups/{s.json()['id']}/withdraw")
    assert w.status_code == 200
    assert c.get(f"/api/v1/activities/{a['id']}").json()["signed_up_households"] == 0


def test_refusals_are_structured(client, county, rules, activity):
    c = as_user(client, county, "village_cadre")
    bad = post(c, "/api/v1/activities", {"village": county.village_a1.code, "title": "清扫村道", "place": "村口",
                                         "starts_at": tomorrow(9), "ends_at": tomorrow(10), "points": 5})
    assert bad.status_code == 422
    assert bad.json()["error"] == {"code": "invalid", "message": "“参加志愿服务活动（每次）”在本村每次最多加 2 分",
                                   "fields": [{"field": "points", "message": "超过细则分值"}]}
    unknown = post(c, "/api/v1/activities", {"village": county.village_a1.code, "title": "清扫村道", "place": "村口",
                                             "starts_at": tomorrow(9), "ends_at": tomorrow(10), "rule": "nope"})
    assert unknown.json()["error"]["fields"][0]["field"] == "rule"
    for key in ("a1", "a1_micro"):
        post(c, f"/api/v1/activities/{activity.pk}/signups", {"household": county.households[key].pk})
    early = post(c, f"/api/v1/activities/{activity.pk}/check-in", {"signups": [
        s.pk for s in ActivitySignup.objects.filter(activity=activity)]})
    assert early.status_code == 409 and early.json()["error"]["code"] == "too_early"
    missing = post(c, f"/api/v1/activities/{activity.pk}/check-in", {"signups": [999999]})
    assert missing.status_code == 422 and missing.json()["error"]["fields"][0]["field"] == "signups"
    nobody = post(c, f"/api/v1/activities/{activity.pk}/award")
    assert nobody.status_code == 409 and nobody.json()["error"]["code"] == "too_early"
    cancelled = post(c, f"/api/v1/activities/{activity.pk}/cancel", {"reason": "暴雨"}).json()
    assert (cancelled["state"], cancelled["cancel_reason"]) == ("cancelled", "暴雨")
    late = post(as_user(client, county, "resident"), f"/api/v1/activities/{activity.pk}/signups")
    assert late.status_code == 409 and late.json()["error"]["message"] == "活动已取消，不能报名"


def test_another_household_a_wrong_role_and_a_wrong_scope(client, county, rules, activity):
    c = as_user(client, county, "resident")
    other = post(c, f"/api/v1/activities/{activity.pk}/signups", {"household": county.households["a1_micro"].pk})
    assert other.status_code == 404  # another household is not the villager's to see
    mine = post(c, f"/api/v1/activities/{activity.pk}/signups").json()
    c = as_user(client, county, "points_supervisor")
    assert post(c, f"/api/v1/activities/{activity.pk}/signups/{mine['id']}/withdraw").status_code == 403
    assert post(c, f"/api/v1/activities/{activity.pk}/award").status_code == 403
    assert post(c, f"/api/v1/activities/{activity.pk}/cancel", {"reason": "不办了"}).status_code == 403
    c = as_user(client, county, "township_staff_b")
    for url in (f"/api/v1/activities/{activity.pk}", f"/api/v1/activities/{activity.pk}/signups"):
        assert c.get(url).status_code == 404
    assert post(c, f"/api/v1/activities/{activity.pk}/award").status_code == 404
    assert post(c, "/api/v1/activities", {"village": county.village_a1.code, "title": "x", "place": "y",
                                          "starts_at": tomorrow(9), "ends_at": tomorrow(10)}).status_code == 404
    c = as_user(client, county, "department_staff")
    assert c.get("/api/v1/activities").status_code == 403


def test_check_in_and_award_once(client, county, rules):
    a, made = make_activity(county, rules, started=True, signups=["a1", "a1_micro"])
    c = as_user(client, county, "grid_chief")
    done = post(c, f"/api/v1/activities/{a.pk}/check-in", {"signups": [s.pk for s in made.values()]}).json()
    assert done["checked_in"] == 2 and done["activity"]["checked_in_households"] == 2
    undo = post(c, f"/api/v1/activities/{a.pk}/signups/{made['a1_micro'].pk}/undo-check-in").json()
    assert undo["checked_in"] is False
    assert post(c, f"/api/v1/activities/{a.pk}/award").status_code == 403  # a grid chief does not award
    c = as_user(client, county, "points_recorder")
    award = post(c, f"/api/v1/activities/{a.pk}/award")
    assert award.status_code == 200, award.content
    body = award.json()
    assert (body["awarded_households"], body["points_each"], body["skipped"]) == (1, 2, [])
    assert body["activity"]["state"] == ActivityState.AWARDED
    twice = post(c, f"/api/v1/activities/{a.pk}/award")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"
    assert PointsEntry.objects.count() == 1
    signups = {s["household_id"]: s for s in c.get(f"/api/v1/activities/{a.pk}/signups").json()}
    assert signups[county.households["a1"].pk]["award_status"] == "pending"
    assert signups[county.households["a1_micro"].pk]["award_entry_id"] is None
    assert selectors.balance_mismatch_list() == [] and selectors.ledger_verify(county.village_a1) is None


def test_village_comparison(client, county, rules):
    make_activity(county, rules, started=True, signups=["a1"], checked_in=["a1"])
    got = as_user(client, county, "township_staff").get("/api/v1/activities/villages").json()
    assert got["region"] == county.town_a.code
    assert [(v["name"], v["person_times"], v["participation_rate"]) for v in got["villages"]] == [
        ("东村", 1, 50.0), ("西村", 0, 0.0)]
    assert as_user(client, county, "township_staff_b").get(
        f"/api/v1/activities/villages?region={county.town_a.code}").status_code == 404
    assert as_user(client, county, "resident").get("/api/v1/activities/villages").status_code == 403


def test_the_list_costs_the_same_queries_for_many_activities(client, county, rules, django_assert_max_num_queries):
    for _ in range(3):
        make_activity(county, rules, signups=["a1"])
    c = as_user(client, county, "township_staff")
    with django_assert_max_num_queries(8) as few:
        assert c.get("/api/v1/activities").json()["count"] == 3
    for _ in range(12):
        make_activity(county, rules, signups=["a1", "a1_micro"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert c.get("/api/v1/activities").json()["count"] == 15
