"""/api/v1/assessment writes and the grid reads: the county opens, runs, publishes, closes a period, edits a
draft of its scheme, scores by hand and corrects; appeals are filed by the unit's people within the window
and decided once by the township or county; a grid's score with its stars, ranks and lost points. Every
refusal is a structured error in Chinese, and the wrong role or the wrong unit is refused."""

import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.assessment import engine, services
from xiangzhi.assessment.models import Appeal, AppealState, LostPoint, Period, PeriodState, ScoreCorrection, SourceKind
from xiangzhi.assessment.tests.conftest import make_period, report
from xiangzhi.assessment.tests.grid_factories import HINT, grid_scheme, late_cases, this_quarter

pytestmark = pytest.mark.django_db
API = "/api/v1/assessment"


def as_(client, county, role):
    client.force_login(county.users[role])
    return client


def post(client, url, body=None):
    return client.post(API + url, body or {}, content_type="application/json")


def error(response, status):
    assert response.status_code == status, (response.status_code, response.content.decode())
    return response.json()["error"]


@pytest.fixture
def grid_sources(monkeypatch):
    """The stand-in case_late source of the page tests: every case of a grid in the period is late."""
    monkeypatch.setitem(engine.SOURCES, SourceKind.CASE_LATE, late_cases)


@pytest.fixture
def quarter(county, grid_sources):
    """This quarter, run and published: grid a1 lost 3 for a late case and 5 by hand; grid b1 lost 3."""
    admin = county.users["county_admin"]
    q = this_quarter(county, grid_scheme(county))
    report(county, "a1", "illegal_construction")
    report(county, "b1", "road_light", days_ago=2)
    services.manual_score_add(period=q, village=county.grid_a1, item=q.version.items.get(code="conduct"), points=5,
                              reason="网格例会缺席两次", evidence="会议签到表", actor=admin)
    services.period_run(period=q, actor=admin)
    services.period_publish(period=q, actor=admin)
    q.refresh_from_db()
    return q


# --- periods ---------------------------------------------------------------------------------------


def test_the_county_opens_runs_publishes_and_closes_a_period(client, county, scheme):
    c = as_(client, county, "county_admin")
    today = timezone.localdate()
    made = post(c, "/periods", {"scheme_id": scheme.pk, "start": (today - dt.timedelta(days=30)).isoformat(),
                                "end": today.isoformat(), "funded_count": 2, "warned_count": 1, "pool_yuan": 1000})
    assert made.status_code == 201, made.content
    period = made.json()
    assert period["state"] == "open" and period["kind"] == "village_scorecard" and period["name"].endswith("半年")
    run = post(c, f"/periods/{period['id']}/run").json()
    assert run["units"] == 3 and run["period"]["state"] == "open" and run["skipped"] == []
    published = post(c, f"/periods/{period['id']}/publish").json()
    assert published["state"] == "published" and published["appeal_deadline"] is not None
    again = error(post(c, f"/periods/{period['id']}/run"), 409)
    assert again["code"] == "conflict" and "不能重新计算" in again["message"]
    reopen = error(post(c, f"/periods/{period['id']}/reopen"), 409)
    assert "已公布的考核期不能重新打开" in reopen["message"]
    assert post(c, f"/periods/{period['id']}/close").json()["state"] == "closed"
    assert "考核期已关闭" in error(post(c, f"/periods/{period['id']}/close"), 409)["message"]
    assert Period.objects.get(pk=period["id"]).state == PeriodState.CLOSED


def test_a_period_with_bad_dates_or_settings_is_refused_with_the_field(client, county, scheme):
    c = as_(client, county, "county_admin")
    today = timezone.localdate()
    backwards = error(post(c, "/periods", {"scheme_id": scheme.pk, "start": today.isoformat(),
                                           "end": (today - dt.timedelta(days=1)).isoformat()}), 422)
    assert backwards["message"] == "结束日期不能早于开始日期" and backwards["fields"][0]["field"] == "end"
    body = {"scheme_id": scheme.pk, "start": today.isoformat(), "end": today.isoformat()}
    assert post(c, "/periods", body).status_code == 201
    overlap = error(post(c, "/periods", body), 422)
    assert overlap["message"] == "与已有的考核期时间重叠"
    later = (today + dt.timedelta(days=10)).isoformat()
    negative = error(post(c, "/periods", {**body, "start": later, "end": later, "pool_yuan": -1}), 422)
    assert "奖励资金池应为" in negative["message"] and negative["fields"][0]["field"] == "pool_yuan"
    assert error(post(c, "/periods", {**body, "scheme_id": 999_999}), 404)["code"] == "not_found"
    assert error(post(c, "/periods", {"scheme_id": scheme.pk}), 422)["message"] == "请求参数不正确"


def test_only_the_county_manages_periods(client, county, scheme):
    period = make_period(county, scheme)
    for role in ("township_staff", "village_cadre", "grid_chief"):
        c = as_(client, county, role)
        refused = error(post(c, f"/periods/{period.pk}/run"), 403)
        assert refused["message"] == "只有县级管理员可以管理考核"
        assert post(c, "/periods", {"scheme_id": scheme.pk, "start": "2030-01-01", "end": "2030-01-02"}).status_code \
            == 403
    assert period.runs.count() == 0


# --- the scheme ------------------------------------------------------------------------------------


def test_a_draft_whose_weights_do_not_add_up_is_not_put_in_use(client, county, scheme):
    c = as_(client, county, "county_admin")
    draft = post(c, f"/schemes/{scheme.pk}/drafts", {"note": "加消防演练"})
    assert draft.status_code == 201
    draft = draft.json()
    assert draft["state"] == "draft" and draft["weights"] == 100 and len(draft["items"]) == 10
    item = {"group": "零事故", "code": "fire_drill", "name": "消防演练", "weight": 5, "source": "manual",
            "household_rule_codes": ["volunteer_emergency"]}
    added = post(c, f"/versions/{draft['id']}/items", item)
    assert added.status_code == 201 and added.json()["household_rule_codes"] == ["volunteer_emergency"]
    refused = error(post(c, f"/versions/{draft['id']}/activate"), 422)
    assert refused["message"] == "各项分值合计 105 分，应为 100 分" and refused["fields"][0]["field"] == "weight"
    heavy = error(post(c, f"/versions/{draft['id']}/items", {**item, "code": "x", "weight": 101}), 422)
    assert heavy["message"] == "分值应为 1～100 之间的整数"
    grid_only = error(post(c, f"/versions/{draft['id']}/items", {**item, "code": "y", "source": "patrol",
                                                                  "points_per_case": 1}), 422)
    assert grid_only["message"] == "请选择来源"  # a village's scheme has no grid sources
    epidemic = next(i for i in draft["items"] if i["code"] == "epidemic")
    changed = c.put(f"{API}/versions/{draft['id']}/items/{epidemic['id']}", {**{k: epidemic[k] for k in (
        "group", "code", "name", "source", "category_codes", "points_per_case")}, "weight": 5},
        content_type="application/json")
    assert changed.status_code == 200 and changed.json()["weight"] == 5
    assert post(c, f"/versions/{draft['id']}/activate").json()["state"] == "in_use"
    in_use = c.get(f"{API}/schemes").json()[0]
    assert in_use["version"] == 2 and {"params", "household_rule_codes"} <= set(in_use["items"][0])
    used = error(post(c, f"/versions/{draft['id']}/items", {**item, "code": "z"}), 409)
    assert "不能修改" in used["message"]


def test_a_grid_item_takes_checked_targets(client, county):
    scheme = services.scheme_install_grid(county=county.county)
    c = as_(client, county, "county_admin")
    draft = post(c, f"/schemes/{scheme.pk}/drafts").json()
    patrol = next(i for i in draft["items"] if i["source"] == "patrol")
    assert patrol["params"] == {"hours": 20, "km": 30}
    body = {k: patrol[k] for k in ("group", "code", "name", "weight", "source", "points_per_case")}
    changed = c.put(f"{API}/versions/{draft['id']}/items/{patrol['id']}",
                    {**body, "params": {"hours": 25, "km": "40"}, "household_rule_codes": ["volunteer_activity"]},
                    content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["params"] == {"hours": 25, "km": 40}
    assert changed.json()["household_rule_codes"] == ["volunteer_activity"]
    bad = c.put(f"{API}/versions/{draft['id']}/items/{patrol['id']}", {**body, "params": {"hours": -1}},
                content_type="application/json")
    bad = error(bad, 422)
    assert "每月巡查时长（小时）应为" in bad["message"] and bad["fields"][0]["field"] == "hours"


# --- by hand ---------------------------------------------------------------------------------------


def test_a_manual_score_needs_its_reason_and_stays_within_the_item(client, county, scheme, period):
    c = as_(client, county, "county_admin")
    body = {"village_code": county.village_a2.code, "item_code": "accident_serious", "points": 2, "reason": ""}
    missing = error(post(c, f"/periods/{period.pk}/manual-scores", body), 422)
    assert missing["message"] == "请填写扣分原因" and missing["fields"] == [{"field": "reason", "message": "必填"}]
    too_many = error(post(c, f"/periods/{period.pk}/manual-scores", {**body, "points": 11, "reason": "火灾"}), 422)
    assert too_many["message"] == "扣分应为 1～10 之间的整数"
    not_manual = error(post(c, f"/periods/{period.pk}/manual-scores",
                            {**body, "item_code": "epidemic", "reason": "火灾"}), 422)
    assert not_manual["message"] == "该项目不是本考核期的人工评分项目"
    assert error(post(c, f"/periods/{period.pk}/manual-scores", {**body, "item_code": "nope", "reason": "火灾"}),
                 422)["fields"][0]["field"] == "item_code"
    no_unit = error(post(c, f"/periods/{period.pk}/manual-scores", {**body, "village_code": None}), 422)
    assert no_unit["message"] == "村考核请填写村/社区代码"
    assert post(c, f"/periods/{period.pk}/manual-scores", {**body, "village_code": "000000"}).status_code == 404
    made = post(c, f"/periods/{period.pk}/manual-scores", {**body, "reason": "发生一起火灾", "evidence": "消防报告"})
    assert made.status_code == 201 and made.json()["village_code"] == county.village_a2.code
    post(c, f"/periods/{period.pk}/run")
    detail = c.get(f"{API}/periods/{period.pk}/villages/{county.village_a2.code}").json()
    assert detail["total"] == 98 and detail["lost_points"][0]["reason"] == "发生一起火灾（依据：消防报告）"
    post(c, f"/periods/{period.pk}/publish")
    late = error(post(c, f"/periods/{period.pk}/manual-scores", {**body, "reason": "又一起"}), 409)
    assert "不能再录入人工评分" in late["message"]


def test_a_grid_is_scored_by_hand_and_corrected_by_its_code(client, county, grid_sources):
    q = this_quarter(county, grid_scheme(county))
    c = as_(client, county, "county_admin")
    body = {"grid_code": county.grid_a2.code, "item_code": "conduct", "points": 4, "reason": "台账缺失"}
    wrong_kind = error(post(c, f"/periods/{q.pk}/manual-scores", {**body, "grid_code": None,
                                                                   "village_code": county.village_a2.code}), 422)
    assert wrong_kind["message"] == "网格考核请填写网格代码"
    assert post(c, f"/periods/{q.pk}/manual-scores", body).status_code == 201
    early = error(post(c, f"/periods/{q.pk}/corrections", {"grid_code": county.grid_a2.code, "points": 1,
                                                            "reason": "复核"}), 409)
    assert early["message"] == "考核期尚未公布，请修改数据后重新计算"
    post(c, f"/periods/{q.pk}/run")
    post(c, f"/periods/{q.pk}/publish")
    no_reason = error(post(c, f"/periods/{q.pk}/corrections", {"grid_code": county.grid_a2.code, "points": 2,
                                                                "reason": " "}), 422)
    assert no_reason["message"] == "请填写更正原因"
    made = post(c, f"/periods/{q.pk}/corrections", {"grid_code": county.grid_a2.code, "points": 2, "reason": "复核"})
    assert made.status_code == 201 and made.json()["grid_code"] == county.grid_a2.code
    row = next(r for r in c.get(f"{API}/periods/{q.pk}/scores").json() if r["grid_code"] == county.grid_a2.code)
    assert (row["total"], row["corrected_total"]) == (96, 98)


# --- grid reads ------------------------------------------------------------------------------------


def test_a_grid_periods_scores_carry_the_grid_its_stars_and_township_rank(client, county, quarter):
    rows = as_(client, county, "township_staff").get(f"{API}/periods/{quarter.pk}/scores").json()
    a1 = next(r for r in rows if r["grid_code"] == county.grid_a1.code)
    assert a1["grid"] == county.grid_a1.name and a1["village"] == county.village_a1.name
    assert (a1["total"], a1["stars"], a1["township"]) == (92, 4, county.town_a.name)
    assert a1["rank"] == len(rows) and a1["town_rank"] == 2
    periods = as_(client, county, "grid_worker").get(f"{API}/periods").json()
    assert [(p["id"], p["kind"]) for p in periods] == [(quarter.pk, "grid")]


def test_a_grid_chief_reads_his_grids_lost_points_with_hints(client, county, quarter):
    c = as_(client, county, "grid_chief")
    d = c.get(f"{API}/periods/{quarter.pk}/grids/{county.grid_a1.code}").json()
    assert (d["total"], d["stars"], d["town_rank"], d["county_count"], d["town_count"]) == (92, 4, 2, 4, 2)
    late = next(lp for lp in d["lost_points"] if lp["source"] == "case_late")
    assert late["hint"] == HINT and late["source_id"] and late["day"] and "超过办结时限" in late["reason"]
    by_hand = next(lp for lp in d["lost_points"] if lp["source"] == "manual")
    assert by_hand["points"] == 5 and "网格例会缺席两次" in by_hand["reason"]
    assert {i["code"]: i["lost"] for i in d["items"]} == {"late": 3, "conduct": 5}
    assert d["appeal_deadline"] and d["appeals"] == [] and d["corrections"] == []
    # Another grid, a grid worker elsewhere, a village's staff for a grid of another township: 404.
    assert c.get(f"{API}/periods/{quarter.pk}/grids/{county.grid_b1.code}").status_code == 404
    other = as_(client, county, "grid_worker_b")
    assert other.get(f"{API}/periods/{quarter.pk}/grids/{county.grid_a1.code}").status_code == 404
    assert as_(client, county, "township_staff_b").get(
        f"{API}/periods/{quarter.pk}/grids/{county.grid_a1.code}").status_code == 404
    assert as_(client, county, "resident").get(
        f"{API}/periods/{quarter.pk}/grids/{county.grid_a1.code}").status_code == 403


# --- appeals ---------------------------------------------------------------------------------------


def lost_point(quarter, grid, source):
    return LostPoint.objects.get(score__run=quarter.current_run, score__grid=grid, source=source)


def test_a_grid_chief_appeals_and_the_township_upholds_it(client, county, quarter):
    late = lost_point(quarter, county.grid_a1, "case_late")
    chief = as_(client, county, "grid_chief")
    body = {"grid_code": county.grid_a1.code, "lost_point_id": late.pk, "text": "该事件已按时办结，系系统时间误差",
            "evidence": "办结回执"}
    filed = post(chief, f"/periods/{quarter.pk}/appeals", body)
    assert filed.status_code == 201, filed.content
    appeal = filed.json()
    assert appeal["state"] == "pending" and appeal["lost_points"] == 3
    assert appeal["filed_by"] == county.users["grid_chief"].full_name
    twice = error(post(chief, f"/periods/{quarter.pk}/appeals", body), 409)
    assert twice["message"] == "这一项已有待处理的申诉"
    # The other township's staff neither sees nor decides it; a grid worker may not decide at all.
    b = as_(client, county, "township_staff_b")
    assert b.get(f"{API}/periods/{quarter.pk}/appeals").json() == []
    assert post(b, f"/appeals/{appeal['id']}/decide", {"upheld": True, "outcome": "x"}).status_code == 404
    assert error(post(as_(client, county, "grid_worker"), f"/appeals/{appeal['id']}/decide",
                      {"upheld": True, "outcome": "x"}), 403)["message"] == "只有乡镇或县级可以处理申诉"
    town = as_(client, county, "township_staff")
    listed = town.get(f"{API}/periods/{quarter.pk}/appeals").json()
    assert [a["id"] for a in listed] == [appeal["id"]] and listed[0]["cap"] == 3
    no_outcome = error(post(town, f"/appeals/{appeal['id']}/decide", {"upheld": True, "outcome": ""}), 422)
    assert no_outcome["message"] == "请填写处理意见"
    too_much = error(post(town, f"/appeals/{appeal['id']}/decide",
                          {"upheld": True, "outcome": "属实", "points_returned": 4}), 422)
    assert too_much["message"] == "退还分值应为 0～3 之间的整数"
    decided = post(town, f"/appeals/{appeal['id']}/decide",
                   {"upheld": True, "outcome": "经核实按时办结", "points_returned": 3})
    assert decided.status_code == 200 and decided.json()["state"] == "upheld"
    assert decided.json()["decided_by"] == county.users["township_staff"].full_name
    again = error(post(town, f"/appeals/{appeal['id']}/decide", {"upheld": False, "outcome": "再议"}), 409)
    assert again["message"] == "该申诉已处理"
    d = chief.get(f"{API}/periods/{quarter.pk}/grids/{county.grid_a1.code}").json()
    assert d["corrected_total"] == 95 and d["appeals"][0]["points_returned"] == 3
    assert d["corrections"][0]["reason"].startswith("申诉成立")


def test_only_the_grids_chief_or_its_villages_cadre_appeals(client, county, quarter):
    body = {"grid_code": county.grid_a1.code, "text": "整体得分有误"}
    worker = error(post(as_(client, county, "grid_worker"), f"/periods/{quarter.pk}/appeals", body), 403)
    assert worker["message"] == "只有网格长或村两委可以申诉"
    assert post(as_(client, county, "township_staff"), f"/periods/{quarter.pk}/appeals", body).status_code == 403
    # The chief of a1 on grid b1 (out of his scope), and a lost point of another grid: 404.
    chief = as_(client, county, "grid_chief")
    assert post(chief, f"/periods/{quarter.pk}/appeals", {**body, "grid_code": county.grid_b1.code}).status_code \
        == 404
    other = lost_point(quarter, county.grid_b1, "case_late")
    assert post(chief, f"/periods/{quarter.pk}/appeals", {**body, "lost_point_id": other.pk}).status_code == 404
    cadre = post(as_(client, county, "village_cadre"), f"/periods/{quarter.pk}/appeals", body)
    assert cadre.status_code == 201 and cadre.json()["lost_point_id"] is None
    assert Appeal.objects.get().filed_by == county.users["village_cadre"]


def test_an_appeal_after_the_deadline_is_refused(client, county, quarter):
    Period.objects.filter(pk=quarter.pk).update(published_at=timezone.now() - dt.timedelta(days=8))
    refused = error(post(as_(client, county, "grid_chief"), f"/periods/{quarter.pk}/appeals",
                         {"grid_code": county.grid_a1.code, "text": "整体得分有误"}), 409)
    assert refused["message"] == "申诉期已过（公布后 7 天内可申诉）"
    assert not Appeal.objects.exists()


def test_a_village_cadre_appeals_his_villages_score(client, county, scheme, period):
    report(county, "a1", "illegal_construction")
    admin = county.users["county_admin"]
    run = services.period_run(period=period, actor=admin)
    services.period_publish(period=period, actor=admin)
    lost = LostPoint.objects.get(score__run=run)
    cadre = as_(client, county, "village_cadre")
    elsewhere = post(cadre, f"/periods/{period.pk}/appeals", {"village_code": county.village_b1.code, "text": "有误"})
    assert elsewhere.status_code == 404
    filed = post(cadre, f"/periods/{period.pk}/appeals", {"village_code": county.village_a1.code,
                                                          "lost_point_id": lost.pk, "text": "该违建已拆除"})
    assert filed.status_code == 201 and filed.json()["grid_code"] is None
    appeal = filed.json()
    assert as_(client, county, "township_staff_b").get(f"{API}/periods/{period.pk}/appeals").json() == []
    decided = post(as_(client, county, "county_admin"), f"/appeals/{appeal['id']}/decide",
                   {"upheld": False, "outcome": "违建仍在"})
    assert decided.json()["state"] == "rejected" and decided.json()["points_returned"] == 0
    assert Appeal.objects.get().state == AppealState.REJECTED and not ScoreCorrection.objects.exists()
