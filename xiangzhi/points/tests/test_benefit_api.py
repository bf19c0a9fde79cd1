"""积分优先 over the API: the staff publish, read and close through the pages' services; a villager
reads his own village's benefits with names masked; every refusal is the structured Chinese error."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_household
from tests.web import as_user, post
from xiangzhi.points import services
from xiangzhi.points.models import PointsBenefit, PointsBenefitRow
from xiangzhi.points.templatetags.points_tags import verify_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/points/benefits"


def body(county, **kw):
    today = timezone.localdate()
    out = {"village": county.village_a1.code, "kind": "training", "title": "电商技能培训", "places": 2,
           "threshold": 1, "basis_start": (today - dt.timedelta(days=365)).isoformat(),
           "basis_end": today.isoformat(), "closes_on": (today + dt.timedelta(days=7)).isoformat()}
    out.update(kw)
    return out


@pytest.fixture
def earned(county, rules):
    """东村: 张建国 (a1) earned twice, 孙小明 once; nobody else."""
    third = make_household(county.grid_a1, head="孙小明")
    for household, times in ((county.households["a1"], 2), (third, 1)):
        for _ in range(times):
            e = services.entry_record(actor=county.users["points_recorder"], household=household,
                                      rule=rules["neighbour_help"], occurred_on=timezone.localdate()).entry
            services.entry_review(actor=county.users["points_supervisor"], entry=e, approve=True)
    return third


def test_cadre_publishes_reads_with_names_and_closes_with_a_verify_code(client, county, earned):
    c = as_user(client, county, "village_cadre")
    made = post(c, URL, body(county))
    assert made.status_code == 201, made.content
    got = made.json()
    assert (got["state"], got["content_hash"], got["verify_code"], got["check"], got["names_masked"]) == (
        "open", "", None, None, False)
    assert [(r["name"], r["position"], r["priority"]) for r in got["rows"]] == [
        ("张建国", 1, True), ("孙小明", 2, True)]
    assert got["rows"][0]["household"] == county.households["a1"].pk
    assert c.get(f"{URL}/{got['id']}").json()["rows"] == got["rows"]

    closed = post(c, f"{URL}/{got['id']}/close", {})
    assert closed.status_code == 200, closed.content
    done = closed.json()
    stored = PointsBenefit.objects.get(pk=got["id"])
    assert done["state"] == "closed" and done["content_hash"] == stored.content_hash
    assert done["verify_code"] == verify_code(stored.content_hash)
    assert done["check"] == {"ok": True, "digest": stored.content_hash, "problems": []}
    assert PointsBenefitRow.objects.filter(benefit_id=got["id"]).count() == 2

    again = post(c, f"{URL}/{got['id']}/close", {})
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "conflict", "message": "该事项已截止，名单已固定"}


def test_a_tampered_list_reads_as_not_holding(client, county, earned):
    c = as_user(client, county, "points_recorder")
    got = post(c, URL, body(county)).json()
    post(c, f"{URL}/{got['id']}/close", {})
    PointsBenefitRow.objects.filter(benefit_id=got["id"], position=2).update(points=50)
    check = c.get(f"{URL}/{got['id']}").json()["check"]
    assert check["ok"] is False and check["problems"]


def test_villager_reads_his_villages_benefits_masked_and_may_not_publish_or_close(client, county, earned):
    ours = post(as_user(client, county, "village_cadre"), URL, body(county)).json()
    theirs = services.benefit_publish(actor=county.users["township_staff_b"], village=county.village_b1,
                                      kind="job", title="公益岗位", places=1, threshold=1,
                                      basis_start=timezone.localdate(), basis_end=timezone.localdate(),
                                      closes_on=timezone.localdate())
    c = as_user(client, county, "resident")
    assert [b["id"] for b in c.get(URL).json()] == [ours["id"]]
    got = c.get(f"{URL}/{ours['id']}").json()
    assert got["names_masked"] is True
    assert [(r["name"], r["household"]) for r in got["rows"]] == [("张*国", None), ("孙*明", None)]
    assert c.get(f"{URL}/{theirs.pk}").status_code == 404
    refused = post(c, f"{URL}/{ours['id']}/close", {})
    assert refused.status_code == 403 and "积分优先" in refused.json()["error"]["message"]
    assert post(c, URL, body(county)).status_code == 403
    assert PointsBenefit.objects.get(pk=ours["id"]).state == "open"


def test_other_roles_are_refused_and_other_townships_do_not_see_it(client, county):
    benefit = post(as_user(client, county, "village_cadre"), URL, body(county)).json()
    for role in ("grid_worker", "points_supervisor", "department_staff"):
        c = as_user(client, county, role)
        for response in (c.get(URL), c.get(f"{URL}/{benefit['id']}")):
            assert response.status_code == 403, role
            assert response.json()["error"]["message"].startswith("只有本村村民")
    c = as_user(client, county, "township_staff_b")
    assert c.get(URL).json() == []
    assert c.get(f"{URL}/{benefit['id']}").status_code == 404
    assert post(c, f"{URL}/{benefit['id']}/close", {}).status_code == 404
    assert post(c, URL, body(county)).status_code == 404  # a village outside his township
    assert post(as_user(client, county, "village_cadre"), URL,
                body(county, village=county.village_a2.code)).status_code == 404


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"places": 0}, "places", "名额应大于 0"),
    ({"threshold": -5}, "threshold", "积分门槛应大于 0"),
    ({"places": None}, "places", "请填写名额"),
    ({"places": 10001}, "places", "名额不能超过 10000"),
    ({"title": "  "}, "title", None),
    ({"kind": "villa"}, "kind", "请选择事项类别"),
    ({"basis_start": "2026-12-01", "basis_end": "2026-11-01"}, "basis_end", "计分期止不能早于计分期起"),
])
def test_bad_inputs_are_refused_in_chinese_naming_the_field(client, county, change, field, message):
    got = post(as_user(client, county, "village_cadre"), URL, body(county, **change))
    assert got.status_code == 422, got.content
    error = got.json()["error"]
    assert error["code"] == "invalid" and error["fields"][0]["field"] == field
    if message:
        assert error["message"] == message
    assert not PointsBenefit.objects.exists()


@pytest.mark.parametrize("change", [{"places": "三个"}, {"closes_on": "下周"}, {"title": None}])
def test_malformed_values_are_refused_by_the_schema_in_chinese(client, county, change):
    got = post(as_user(client, county, "village_cadre"), URL, body(county, **change))
    assert got.status_code == 422
    assert got.json()["error"]["message"] == "请求参数不正确"


def test_a_township_code_is_no_village(client, county):
    got = post(as_user(client, county, "township_staff"), URL, body(county, village=county.town_a.code))
    assert got.status_code == 404


def test_list_filters_and_a_bad_state_is_refused(client, county):
    c = as_user(client, county, "township_staff")
    a1 = post(c, URL, body(county)).json()
    a2 = post(c, URL, body(county, village=county.village_a2.code)).json()
    post(c, f"{URL}/{a2['id']}/close", {})
    assert {b["id"] for b in c.get(URL).json()} == {a1["id"], a2["id"]}
    assert [b["id"] for b in c.get(f"{URL}?village={county.village_a2.code}").json()] == [a2["id"]]
    assert [b["id"] for b in c.get(f"{URL}?state=open").json()] == [a1["id"]]
    bad = c.get(f"{URL}?state=done")
    assert bad.status_code == 422 and bad.json()["error"]["fields"] == [{"field": "state", "message": "不是可选的值"}]


def test_the_list_costs_the_same_queries_for_one_benefit_or_many(client, county):
    c = as_user(client, county, "township_staff")
    post(c, URL, body(county))
    c.get(URL)
    with CaptureQueriesContext(connection) as one:
        assert len(c.get(URL).json()) == 1
    for village in (county.village_a1, county.village_a2, county.village_a2):
        post(c, URL, body(county, village=village.code))
    with CaptureQueriesContext(connection) as four:
        assert len(c.get(URL).json()) == 4
    assert len(four) == len(one)
