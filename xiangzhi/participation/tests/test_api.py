"""The API: the same services as the pages, scoped, with structured Chinese errors; a duplicate vote is
409 ``duplicate_vote``."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.web import post
from xiangzhi.participation.models import AnnouncementReceipt, PollBallot
from xiangzhi.participation.tests.conftest import scale_poll

pytestmark = pytest.mark.django_db


def test_a_notice_sent_read_followed_and_reminded(client, county, people):
    client.force_login(county.users["township_staff"])
    response = post(client, "/api/v1/participation/announcements", {
        "audience": "township", "target": county.town_a.code, "title": "防汛通知", "body": "注意防汛。",
        "issuer": "下洼镇综治中心"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recipients"] == 9 and body["counts"]["unread"] == 9 and body["audience_name"] == "下洼镇"
    pk = body["id"]
    unread = client.get(f"/api/v1/participation/announcements/{pk}/unread").json()
    assert unread["count"] == 9 and {"name", "grid_code", "grid_name", "channel", "sms_status"} <= set(
        unread["items"][0])
    client.force_login(people.spouse_account)
    got = client.get(f"/api/v1/participation/announcements/{pk}").json()
    assert got["read_at"] is not None and got["counts"] is None
    listed = client.get("/api/v1/participation/announcements").json()
    assert [a["id"] for a in listed["items"]] == [pk] and listed["items"][0]["read_at"] is not None
    assert client.get(f"/api/v1/participation/announcements/{pk}/unread").status_code == 403
    client.force_login(county.users["township_staff"])
    reminded = post(client, f"/api/v1/participation/announcements/{pk}/remind", {})
    assert reminded.status_code == 201 and reminded.json()["unread"] == 8
    again = post(client, f"/api/v1/participation/announcements/{pk}/remind", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_refusals_are_structured(client, county):
    client.force_login(county.users["village_cadre"])
    wrong_scope = post(client, "/api/v1/participation/announcements", {
        "audience": "township", "target": county.town_a.code, "title": "x", "body": "x", "issuer": "x"})
    assert wrong_scope.status_code == 404 and wrong_scope.json()["error"]["code"] == "not_found"
    empty = post(client, "/api/v1/participation/announcements", {
        "audience": "village", "target": county.village_a1.code, "title": " ", "body": "x", "issuer": "x"})
    assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["field"] == "title"
    client.force_login(county.users["grid_worker"])
    refused = post(client, "/api/v1/participation/announcements", {
        "audience": "grid", "target": county.grid_a1.code, "title": "x", "body": "x", "issuer": "x"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


def test_a_poll_made_voted_once_and_its_results(client, county, people):
    client.force_login(county.users["village_cadre"])
    now = timezone.now()
    response = post(client, "/api/v1/participation/polls", {
        "audience": "village", "target": county.village_a1.code, "title": "满意度测评", "unit": "household",
        "opens_at": (now - dt.timedelta(minutes=5)).isoformat(), "closes_at": (now + dt.timedelta(days=2)).isoformat(),
        "questions": [{"text": "对网格员的服务满意吗", "kind": "scale"},
                      {"text": "先办哪件事", "kind": "single", "options": ["修路", "装路灯"]}]})
    assert response.status_code == 201, response.content
    poll = response.json()
    assert poll["electorate"] == 2 and poll["state"] == "open" and poll["ballots"] == 0
    scale, single = poll["questions"]
    vote = {"answers": [{"question": scale["id"], "options": [scale["options"][0]["id"]]},
                        {"question": single["id"], "options": [single["options"][1]["id"]]}]}
    client.force_login(county.users["resident"])
    seen = client.get(f"/api/v1/participation/polls/{poll['id']}").json()
    assert seen["voted"] is False and seen["ballots"] is None  # results after the close
    assert post(client, f"/api/v1/participation/polls/{poll['id']}/votes", vote).status_code == 201
    client.force_login(people.spouse_account)
    twice = post(client, f"/api/v1/participation/polls/{poll['id']}/votes", vote)
    assert twice.status_code == 409 and twice.json()["error"] == {"code": "duplicate_vote",
                                                                 "message": "本户已经投过票了，每户只能投一票"}
    assert client.get(f"/api/v1/participation/polls/{poll['id']}").json()["voted"] is True
    assert [p["id"] for p in client.get("/api/v1/participation/polls").json()["items"]] == [poll["id"]]
    bad = post(client, f"/api/v1/participation/polls/{poll['id']}/votes", {"answers": [
        {"question": scale["id"], "options": [1]}, {"question": scale["id"], "options": [2]}]})
    assert bad.status_code == 422
    client.force_login(county.users["village_cadre"])
    closed = post(client, f"/api/v1/participation/polls/{poll['id']}/close", {})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    result = closed.json()["questions"]
    assert result[0]["satisfied_share"] == 1.0 and result[0]["mean"] == 5.0
    assert [o["count"] for o in result[1]["options"]] == [0, 1] and result[1]["options"][1]["share"] == 1.0
    assert PollBallot.objects.count() == 1


def test_a_villager_outside_the_audience_does_not_see_the_poll(client, county, people):
    poll = scale_poll(county)
    client.force_login(people.b1_account)
    assert client.get(f"/api/v1/participation/polls/{poll.pk}").status_code == 404
    assert post(client, f"/api/v1/participation/polls/{poll.pk}/votes", {"answers": []}).status_code == 404
    assert client.get("/api/v1/participation/polls").json()["items"] == []


def test_a_meeting_its_demands_and_the_figure(client, county):
    client.force_login(county.users["village_cadre"])
    today = timezone.localdate()
    response = post(client, "/api/v1/participation/meetings", {
        "village": county.village_a1.code, "kind": "consultation", "held_on": today.isoformat(), "place": "村委会",
        "host_name": "王建华", "attendance": 25})
    assert response.status_code == 201, response.content
    meeting = response.json()
    demand = post(client, f"/api/v1/participation/meetings/{meeting['id']}/demands", {
        "title": "路灯不亮", "grid": county.grid_a1.code, "category": "road_light"})
    assert demand.status_code == 201 and demand.json()["case_status"] == "reported"
    assert demand.json()["resolved"] is False and demand.json()["case_number"]
    bad = post(client, f"/api/v1/participation/meetings/{meeting['id']}/demands", {"title": "x", "category": "nope"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "category"
    got = client.get(f"/api/v1/participation/meetings/{meeting['id']}").json()
    assert [d["title"] for d in got["demands"]] == ["路灯不亮"]
    figures = client.get("/api/v1/participation/meetings/figures").json()
    assert figures["region"] == county.village_a1.code and figures["total"]["demands"] == 1
    assert figures["total"]["resolution_rate"] == 0.0
    listed = client.get("/api/v1/participation/meetings").json()["items"]
    assert listed[0]["demand_count"] == 1
    future = post(client, "/api/v1/participation/meetings", {
        "village": county.village_a1.code, "kind": "evening", "held_on": (today + dt.timedelta(days=1)).isoformat(),
        "place": "村委会", "host_name": "王建华", "attendance": 25})
    assert future.status_code == 422 and future.json()["error"]["fields"][0]["field"] == "held_on"
    assert client.get(f"/api/v1/participation/meetings/figures?region={county.town_b.code}").status_code == 404


def test_announcements_listed_for_a_sender_carry_counts_in_few_queries(client, county, django_assert_max_num_queries):
    from xiangzhi.participation import services
    from xiangzhi.participation.tests.conftest import audience

    for i in range(5):
        services.announcement_send(actor=county.users["township_staff"], audience=audience("township",
                                                                                           county.town_a.code),
                                   title=f"通知{i}", body="x", issuer="x")
    client.force_login(county.users["township_staff"])
    client.get("/api/v1/participation/announcements")  # warm the session
    with django_assert_max_num_queries(30):
        items = client.get("/api/v1/participation/announcements").json()["items"]
    assert len(items) == 5 and all(a["counts"]["total"] == 9 for a in items)
    assert AnnouncementReceipt.objects.count() == 45
