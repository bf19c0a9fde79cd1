"""POST /requests: one intake (case_report), routing, keys, the client's scope, idempotency."""

import pytest
from django.test import Client

from xiangzhi.cases import services as case_services
from xiangzhi.cases.models import Case, HandlingLevel, Status
from xiangzhi.open311 import services as open311_services
from xiangzhi.open311.models import Submission
from xiangzhi.open311.tests.wire import IN_A1_MICRO, IN_B1, body, post_form, post_json, xml

LON, LAT = IN_A1_MICRO


def report(key: str, **extra) -> dict:
    return {"api_key": key, "service_code": "road_light", "lat": LAT, "long": LON,
            "description": "村口路灯不亮\n晚上一片黑", **extra}


@pytest.mark.django_db
def test_a_form_encoded_report_goes_through_case_report_and_is_routed_like_any_case(hotline, county, monkeypatch):
    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return case_services.case_report(**kwargs)

    monkeypatch.setattr(open311_services, "case_report", spy)
    # A browser-style CSRF check must not stand in the way of a server-to-server client.
    response = post_form(Client(enforce_csrf_checks=True), report(
        hotline.key, first_name="建国", last_name="张", phone="+86 138-0013-8000", email="zhang@example.com",
        device_id="dev-1", account_id="acc-9", media_url="https://img.example.com/a.jpg",
        **{"attribute[address_detail]": "小卖部对面", "attribute[facility_code]": "LD-017", "attribute[x]": "忽略"},
    ))
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert len(calls) == 1 and calls[0]["channel"] == "open311"
    assert calls[0]["fallback_region"] == county.town_a
    assert calls[0]["idempotency_owner"] == f"open311:{hotline.client.pk}"
    assert body(response) == [{"service_request_id": case.number, "service_notice": response.json()[0][
        "service_notice"], "account_id": None}]
    assert response.json()[0]["service_notice"].startswith("由网格办理，办结时限 ")
    # Routed as the cases tests expect: the micro-grid, at grid level, waiting to be accepted.
    assert (case.grid, case.region, case.handling_level, case.status) == (
        county.grid_a1_micro, county.village_a1, HandlingLevel.GRID, Status.REPORTED)
    assert case.channel == "open311" and case.reporter is None
    assert case.title == "村口路灯不亮"
    assert case.description == ("村口路灯不亮\n晚上一片黑\n部件编号：LD-017\n联系邮箱：zhang@example.com\n"
                                "照片链接：https://img.example.com/a.jpg")
    assert case.address == "小卖部对面"
    assert case.reporter_name == "张建国" and case.reporter_phone_masked == "138****8000"
    assert list(case.transitions.values_list("action", flat=True)) == ["report"]
    submission = Submission.objects.get()
    assert (submission.client, submission.case, submission.device_id, submission.account_id) == (
        hotline.client, case, "dev-1", "acc-9")


@pytest.mark.django_db
def test_a_json_report_with_only_an_address_lands_in_the_clients_township_queue(client, hotline, county):
    response = post_json(client, {"api_key": hotline.key, "service_code": "env_garbage",
                                  "address_string": "下洼镇政府西侧", "attribute": {"title": "垃圾堆放"}}, fmt="xml")
    assert response.status_code == 201
    root = xml(response)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert root.findtext("request/account_id") == ""  # an empty element: no account
    case = Case.objects.get(number=number)
    assert (case.grid, case.region, case.handling_level) == (None, county.town_a, HandlingLevel.TOWNSHIP)
    assert case.title == "垃圾堆放" and case.address == "下洼镇政府西侧"


@pytest.mark.django_db
def test_keys_are_required_checked_and_can_be_switched_off(client, hotline):
    missing = post_form(client, report(""))
    assert missing.status_code == 403 and body(missing)[0]["code"] == 403
    wrong = post_form(client, report("o311_not-a-key"), fmt="xml")
    assert wrong.status_code == 403
    assert xml(wrong).findtext("error/code") == "403"
    hotline.client.is_active = False
    hotline.client.save(update_fields=["is_active"])
    assert post_form(client, report(hotline.key)).status_code == 403
    assert Case.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "message"), [
    ({"service_code": "nope"}, "未知的服务代码（service_code）：nope"),
    ({"service_code": ""}, "缺少 service_code"),
    ({"lat": "", "long": ""}, "缺少位置：请提供 lat 和 long，或 address_string"),
    ({"long": ""}, "lat 和 long 要同时提供"),
    ({"lat": "北纬37度"}, "lat 应为数字（WGS84 十进制度）"),
    ({"phone": "12345"}, "联系电话应为11位手机号"),
    ({"email": "不是邮箱"}, "email 格式不正确"),
    ({"media_url": "ftp://x/y.jpg"}, "media_url 应为 http(s) 链接"),
    ({"attribute[facility_code]": "X" * 51}, "属性 attribute[facility_code] 不能超过 50 字"),
])
def test_bad_input_is_400_in_chinese_and_writes_nothing(client, hotline, change, message):
    response = post_form(client, report(hotline.key, **change))
    assert response.status_code == 400
    assert body(response) == [{"code": 400, "description": message}]
    assert Case.objects.count() == 0 and Submission.objects.count() == 0


@pytest.mark.django_db
def test_a_client_files_only_inside_its_region(client, hotline, other_client):
    lon, lat = IN_B1
    outside = post_form(client, report(hotline.key, long=lon, lat=lat))
    assert outside.status_code == 400
    assert body(outside)[0]["description"] == "该位置不在本客户端的服务区域（下洼镇）内"
    inside = post_form(client, report(other_client.key, long=lon, lat=lat))
    assert inside.status_code == 201
    assert Case.objects.get().region.name == "南村"


@pytest.mark.django_db
def test_an_idempotency_key_replays_the_first_case_and_a_different_body_conflicts(client, hotline, other_client):
    first = post_form(client, report(hotline.key), **{"Idempotency-Key": "o-1"})
    again = post_form(client, report(hotline.key), **{"Idempotency-Key": "o-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert body(first) == body(again)
    conflict = post_form(client, report(hotline.key, description="另一件事"), fmt="xml", **{"Idempotency-Key": "o-1"})
    assert conflict.status_code == 409
    assert xml(conflict).findtext("error/code") == "409"
    assert "Idempotency-Key" in xml(conflict).findtext("error/description")
    assert Case.objects.count() == 1 and Submission.objects.count() == 1
    # Keys belong to one client: another client's "o-1" is its own submission.
    lon, lat = IN_B1
    theirs = post_form(client, report(other_client.key, long=lon, lat=lat), **{"Idempotency-Key": "o-1"})
    assert theirs.status_code == 201 and Case.objects.count() == 2


@pytest.mark.django_db
def test_the_token_of_a_submission_is_its_case_number(client, hotline, county):
    number = body(post_form(client, report(hotline.key)))[0]["service_request_id"]
    assert body(client.get(f"/open311/v2/tokens/{number}.json")) == [{"service_request_id": number,
                                                                      "token": number}]
    root = xml(client.get(f"/open311/v2/tokens/{number}.xml"))
    assert (root.findtext("request/service_request_id"), root.findtext("request/token")) == (number, number)
    # Tokens are handed out for Open311 submissions only.
    other = case_services.case_report(channel="resident", category=Case.objects.get().category, title="路灯",
                                      lon=LON, lat=LAT, reporter=county.users["resident"]).case
    missing = client.get(f"/open311/v2/tokens/{other.number}.json")
    assert missing.status_code == 404 and body(missing)[0]["code"] == 404
