"""Pages and API of the cycle: notices with objections, the public notice, the calendar."""

import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.lib.periods import period_bounds
from xiangzhi.points import selectors, services
from xiangzhi.points.models import ObjectionState, PointsCycle, PointsEntry, PointsNotice

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(county, rules):
    for household in ("a1", "a1_micro"):
        e = services.entry_record(actor=county.users["points_recorder"], household=county.households[household],
                                  rule=rules["neighbour_help"], occurred_on=timezone.localdate()).entry
        services.entry_review(actor=county.users["points_supervisor"], entry=e, approve=True)
    start, end = period_bounds("quarter", timezone.localdate())
    return services.notice_publish(village=county.village_a1, period_start=start, period_end=end, objection_days=7)


def login(client, county, role):
    client.force_login(county.users[role])
    return client


def test_a_villager_reads_the_notice_and_files_an_objection_that_staff_uphold(client, county, notice):
    page = login(client, county, "resident").get(f"/points/notices/{notice.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="notice-verified"' in html and "张*" in html and 'data-testid="objection-form"' in html
    micro = county.households["a1_micro"]
    r = client.post(f"/points/notices/{notice.pk}/objections/", {"household": micro.pk, "text": "太短"})
    assert r.status_code == 302
    assert "至少 5 个字" in client.get(r.url).content.decode()
    client.post(f"/points/notices/{notice.pk}/objections/", {"household": micro.pk, "text": "该户还参加了修路未记分"})
    objection = notice.objections.get()

    staff = login(client, county, "points_supervisor")
    listing = staff.get("/points/notices/").content.decode()
    assert "该户还参加了修路未记分" in listing and 'data-testid="waiting-objections"' in listing
    r = staff.post(f"/points/objections/{objection.pk}/resolve/",
                   {"decision": "uphold", "resolution": "经核实补记义务出工 3 分", "correction": "abc"})
    assert "更正分值应为整数" in staff.get(r.url).content.decode()
    staff.post(f"/points/objections/{objection.pk}/resolve/",
               {"decision": "uphold", "resolution": "经核实补记义务出工 3 分", "correction": "3"})
    objection.refresh_from_db()
    assert objection.state == ObjectionState.UPHELD and objection.correction.points == 3
    # The other township's staff cannot reach it.
    assert login(client, county, "township_staff_b").get(f"/points/notices/{notice.pk}/").status_code == 404


def test_the_public_notice_needs_no_login_and_shows_outcomes_not_names(client, county, notice):
    services.objection_file(actor=county.users["resident"], notice=notice, household=county.households["a1_micro"],
                           text="该户记分偏高请核实")
    page = client.get(f"/points/public/{county.village_a1.code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="notice-verified"' in html and "该户记分偏高请核实" in html
    assert county.users["resident"].username not in html and county.households["a1"].head_name not in html
    assert client.get("/points/public/999999999999/").status_code == 404
    qr = client.get(f"/points/public/{county.village_a1.code}/qr.svg", follow=True)  # to the village's code
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    body = client.get(f"/api/v1/points/public/notices/{notice.pk}").json()
    assert body["check"]["ok"] and body["check"]["problems"] == [] and body["check"]["chains_checked_at"]
    assert len(body["rows"]) == 2
    assert body["objections"][0]["state"] == "open" and "filed_by" not in body["objections"][0]
    # Edited behind the application's back: the public page says so.
    rows = notice.rows
    rows[0]["total"] += 50
    PointsNotice.objects.filter(pk=notice.pk).update(rows=rows)
    assert 'data-testid="notice-broken"' in client.get(f"/points/public/{county.village_a1.code}/").content.decode()


def test_notices_and_objections_over_the_api(client, county, notice):
    login(client, county, "resident")
    listed = client.get("/api/v1/points/notices").json()
    assert [n["id"] for n in listed] == [notice.pk]
    got = client.get(f"/api/v1/points/notices/{notice.pk}").json()
    assert got["check"]["ok"] and got["anchor"]["entry_seq"] == notice.entry_seq
    r = client.post(f"/api/v1/points/notices/{notice.pk}/objections",
                    {"household": county.households["a1_micro"].pk, "text": "该户邻里互助记多了"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    oid = r.json()["id"]
    bad = client.post(f"/api/v1/points/notices/{notice.pk}/objections",
                      {"household": county.households["b1"].pk, "text": "外村的户也来异议"},
                      content_type="application/json")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"

    login(client, county, "township_staff_b")
    assert client.get(f"/api/v1/points/notices/{notice.pk}").status_code == 404
    assert client.post(f"/api/v1/points/objections/{oid}/resolve", {"upheld": False, "resolution": "不采纳"},
                       content_type="application/json").status_code == 404
    login(client, county, "points_recorder")
    assert client.post(f"/api/v1/points/objections/{oid}/resolve", {"upheld": False, "resolution": "不采纳"},
                       content_type="application/json").status_code == 403
    login(client, county, "points_supervisor")
    r = client.post(f"/api/v1/points/objections/{oid}/resolve",
                    {"upheld": True, "resolution": "经核实多记 3 分，扣回", "correction": -3},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["correction_points"] == -3
    assert PointsEntry.objects.get(pk=r.json()["correction_entry"]).kind == "correction"
    again = client.post(f"/api/v1/points/objections/{oid}/resolve", {"upheld": False, "resolution": "不采纳"},
                        content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert selectors.balance_mismatch_list() == []


def test_the_calendar_and_redemption_windows(client, county, rules):
    year = timezone.localdate().year
    page = login(client, county, "resident").get("/points/calendar/")
    assert page.status_code == 200 and "下洼镇" in page.content.decode()
    assert 'data-testid="window-form"' not in page.content.decode()
    # The calendar shows what the policy plans without writing it: the worker plans.
    assert page.content.decode().count('data-kind="review"') == 12 and 'data-kind="notice"' in page.content.decode()
    assert not PointsCycle.objects.exists()
    staff = login(client, county, "township_staff")
    assert 'data-testid="window-form"' in staff.get("/points/calendar/").content.decode()
    today = timezone.localdate()
    staff.post("/points/calendar/windows/", {"township": county.town_a.code, "opens_on": today.isoformat(),
                                             "closes_on": (today + dt.timedelta(days=5)).isoformat(),
                                             "note": "岁末兑换"})
    assert PointsCycle.objects.filter(township=county.town_a, note="岁末兑换").exists()
    api = staff.get(f"/api/v1/points/cycles?year={year}").json()
    assert any(c["note"] == "岁末兑换" and c["kind"] == "redemption" and c["id"] for c in api)
    assert sum(c["kind"] == "review" for c in api) == 12 and all(c["id"] is None for c in api if c["kind"] == "review")
    r = staff.post("/api/v1/points/redemption-windows", {
        "township": county.town_a.code, "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=2)).isoformat()}, content_type="application/json")
    assert r.status_code == 409 and "重叠" in r.json()["error"]["message"]
    later = today + dt.timedelta(days=30)
    body = {"township": county.town_a.code, "opens_on": later.isoformat(), "closes_on": later.isoformat()}
    assert login(client, county, "township_staff_b").post("/api/v1/points/redemption-windows", body,
                                                          content_type="application/json").status_code == 404
    assert login(client, county, "points_recorder").post("/api/v1/points/redemption-windows", body,
                                                         content_type="application/json").status_code == 404
    assert login(client, county, "township_staff").post("/api/v1/points/redemption-windows", body,
                                                        content_type="application/json").status_code == 201


def test_villagers_see_objections_but_not_who_filed_them(client, county, notice):
    cadre = county.users["village_cadre"]
    services.objection_file(actor=cadre, notice=notice, household=county.households["a1_micro"],
                           text="村民来电反映该户记分有误")
    seen = login(client, county, "resident").get(f"/points/notices/{notice.pk}/").content.decode()
    assert "村民来电反映该户记分有误" in seen and "李*英户" in seen
    assert cadre.full_name not in seen and "李秀英" not in seen
    staff = login(client, county, "points_supervisor").get(f"/points/notices/{notice.pk}/").content.decode()
    assert cadre.full_name in staff and "李秀英户" in staff
