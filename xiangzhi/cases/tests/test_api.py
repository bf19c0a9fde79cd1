import base64
import io

import pytest
from PIL import Image

from xiangzhi.cases.models import Case, Photo


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (640, 480), (200, 180, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (37.0, 42.0, 18.0)}  # GPSInfo
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def post_case(client, body, **headers):
    return client.post("/api/v1/cases", body, content_type="application/json", headers=headers)


BODY = {"category": "road_light", "title": "村口路灯不亮", "lon": 118.005, "lat": 37.705, "address": "东村一组"}


@pytest.mark.django_db
def test_a_villager_reports_with_a_photo_whose_exif_is_stripped(client, county):
    client.force_login(county.users["resident"])
    response = post_case(client, {**BODY, "photos": [b64(jpeg_with_gps())]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "accepted" and body["status_name"] == "已受理"  # his words, not "reported"
    assert body["handling_level"] == "grid" and Case.objects.get().status == "reported"
    assert body["grid_code"] == county.grid_a1_micro.code
    assert [h["action"] for h in body["history"]] == ["report"]
    photo = Photo.objects.get()
    with Image.open(photo.image.open("rb")) as stored:
        assert stored.getexif() == {} or 0x8825 not in stored.getexif()
    thumb = client.get(f"/cases/photos/{photo.pk}/thumb/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_or_too_big_is_refused_and_nothing_written(client, county, settings):
    client.force_login(county.users["resident"])
    bad = post_case(client, {**BODY, "photos": [b64(b"%PDF-1.4 not an image")]})
    assert bad.status_code == 422
    assert bad.json()["error"]["message"] == "第 1 张照片：文件不是有效的图片"
    settings.CASE_PHOTO_MAX_BYTES = 1000
    big = post_case(client, {**BODY, "photos": [b64(jpeg_with_gps())]})
    assert big.status_code == 422 and "过大" in big.json()["error"]["message"]
    assert Case.objects.count() == 0 and Photo.objects.count() == 0


@pytest.mark.django_db
def test_a_replayed_idempotency_key_returns_the_first_case_and_a_different_body_conflicts(client, county):
    client.force_login(county.users["resident"])
    first = post_case(client, BODY, **{"Idempotency-Key": "k-1"})
    again = post_case(client, BODY, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    other = post_case(client, {**BODY, "title": "另一件事"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_cases_outside_the_scope_answer_404_and_illegal_actions_409(client, county):
    client.force_login(county.users["resident"])
    case_id = post_case(client, BODY).json()["id"]
    client.force_login(county.users["grid_worker_b"])
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert client.post(f"/api/v1/cases/{case_id}/accept", {}, content_type="application/json").status_code == 404
    client.force_login(county.users["grid_worker"])
    illegal = client.post(f"/api/v1/cases/{case_id}/handle", {"note": "好了"}, content_type="application/json")
    assert illegal.status_code == 409 and illegal.json()["error"]["code"] == "illegal_transition"
    client.force_login(county.users["village_cadre"])
    refused = client.post(f"/api/v1/cases/{case_id}/supervise", {"note": "加快"}, content_type="application/json")
    assert refused.status_code == 403


@pytest.mark.django_db
def test_the_api_walks_the_loop_and_shows_history_and_actions(client, county):
    u = county.users
    client.force_login(u["resident"])
    case_id = post_case(client, BODY).json()["id"]

    def act(user, action, **body):
        client.force_login(user)
        r = client.post(f"/api/v1/cases/{case_id}/{action}", body, content_type="application/json")
        assert r.status_code == 200, r.content
        return r.json()

    client.force_login(u["grid_worker"])
    assert "accept" in client.get(f"/api/v1/cases/{case_id}").json()["actions"]
    assert [c["id"] for c in client.get("/api/v1/cases/inbox").json()["items"]] == [case_id]
    act(u["grid_worker"], "accept")
    act(u["grid_worker"], "escalate", note="需要供电所更换线路", level="township")
    act(u["township_staff"], "dispatch", department=county.department.code)
    client.force_login(u["department_staff"])
    assert [c["id"] for c in client.get("/api/v1/cases/inbox").json()["items"]] == [case_id]
    act(u["department_staff"], "start")
    act(u["department_staff"], "handle", note="已更换线路", photos=[b64(jpeg_with_gps())])
    act(u["village_cadre"], "verify-pass")
    done = act(u["resident"], "evaluate", evaluation="satisfied", note="很满意")
    assert (done["status"], done["status_name"]) == ("done", "已办结")  # the villager's words
    assert Case.objects.get(pk=case_id).status == "evaluated"
    assert [h["action"] for h in done["history"]] == ["report", "accept", "escalate", "dispatch", "start", "handle",
                                                      "verify_pass", "close", "evaluate"]
    assert len(done["history"][5]["photos"]) == 1


@pytest.mark.django_db
def test_a_resident_sees_only_their_own_cases(client, county):
    client.force_login(county.users["resident"])
    post_case(client, BODY)
    client.force_login(county.users["grid_worker"])
    post_case(client, {**BODY, "title": "巡查发现", "proactive": True})
    client.force_login(county.users["resident"])
    titles = [c["title"] for c in client.get("/api/v1/cases").json()["items"]]
    assert titles == ["村口路灯不亮"]


@pytest.mark.django_db
def test_unknown_category_and_half_coordinates_are_422(client, county):
    client.force_login(county.users["resident"])
    assert post_case(client, {**BODY, "category": "nope"}).json()["error"]["message"] == "未知的事件类别：nope"
    half = post_case(client, {"category": "road_light", "title": "x", "lon": 118.0})
    assert half.status_code == 422 and "同时提供" in half.json()["error"]["message"]


@pytest.mark.django_db
def test_reassigning_to_the_villager_who_reported_is_refused_with_a_structured_422(client, county):
    client.force_login(county.users["resident"])
    case_id = post_case(client, BODY).json()["id"]
    client.force_login(county.users["grid_worker"])
    assert client.post(f"/api/v1/cases/{case_id}/accept-self", {}, content_type="application/json"
                       ).status_code == 200
    response = client.post(f"/api/v1/cases/{case_id}/reassign", {"assignee": county.users["resident"].pk},
                           content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {"error": {"code": "invalid",
                                         "message": "只能改派给在该事件所在地负责本级办理的在岗工作人员"}}
    case = Case.objects.get(pk=case_id)
    assert case.assignee_user == county.users["grid_worker"]
    assert list(case.transitions.values_list("action", flat=True)) == ["report", "accept", "dispatch", "start"]


@pytest.mark.django_db
def test_the_duplicates_endpoint_lists_only_cases_the_viewer_may_see(client, county):
    client.force_login(county.users["grid_worker"])
    other = post_case(client, {**BODY, "title": "网格员巡查：路灯不亮"}).json()
    client.force_login(county.users["resident"])
    mine = post_case(client, BODY).json()
    assert client.get(f"/api/v1/cases/{mine['id']}/duplicates").json() == []
    client.force_login(county.users["grid_worker"])
    assert [c["id"] for c in client.get(f"/api/v1/cases/{mine['id']}/duplicates").json()] == [other["id"]]
