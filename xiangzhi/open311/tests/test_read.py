"""GET /requests and /requests/{id}: filters, the 90-day window, and what the public may see."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xiangzhi.cases import services as case_services
from xiangzhi.cases.models import Case, Category
from xiangzhi.open311.tests.wire import IN_A1_MICRO, IN_B1, body, post_form, xml

SPEC_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
               "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
               "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}


def report(county, code="road_light", where=IN_A1_MICRO, days_ago=0.0, **kw):
    kw.setdefault("reporter", county.users["resident"])
    kw.setdefault("title", "路灯不亮")
    return case_services.case_report(
        channel="resident", category=Category.objects.get(code=code), lon=where[0], lat=where[1],
        now=timezone.now() - dt.timedelta(days=days_ago), **kw,
    ).case


def close(county, case):
    u = county.users
    case_services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    case_services.case_handle(case=case, actor=u["grid_worker"], note="已清理")
    case_services.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in body(response)]


@pytest.fixture
def spread(county, hotline):
    """下洼镇 is published (it has a client); 古城镇 is not."""
    cases = {
        "recent": report(county, days_ago=1),
        "closed": report(county, code="env_garbage", days_ago=2),
        "old": report(county, days_ago=100),
        "private": report(county, code="dispute_family", days_ago=1),
        "unpublished": report(county, where=IN_B1, days_ago=1),
    }
    close(county, cases["closed"])
    return cases


def get(client, query: str = "", fmt: str = "json"):
    return client.get(f"/open311/v2/requests.{fmt}{'?' if query else ''}{query}")


@pytest.mark.django_db
def test_the_default_is_the_last_90_days_newest_first_public_cases_of_published_regions(client, spread):
    assert numbers(get(client)) == [spread["recent"].number, spread["closed"].number]
    root = xml(get(client, fmt="xml"))
    assert root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [
        spread["recent"].number, spread["closed"].number]
    assert root.find("request/status_notes").text == "待受理"


@pytest.mark.django_db
def test_filters_by_status_service_code_dates_and_ids(client, spread):
    s = spread
    assert numbers(get(client, "status=closed")) == [s["closed"].number]
    assert numbers(get(client, "status=open")) == [s["recent"].number]
    assert numbers(get(client, "status=open,closed")) == [s["recent"].number, s["closed"].number]
    assert numbers(get(client, "service_code=env_garbage")) == [s["closed"].number]
    assert numbers(get(client, "service_code=road_light,env_garbage&status=open")) == [s["recent"].number]
    day = timezone.localtime(s["old"].created_at).date()
    start, end = f"{day - dt.timedelta(days=1)}T00:00:00+08:00", f"{day + dt.timedelta(days=1)}T00:00:00+08:00"
    assert numbers(get(client, f"start_date={start.replace('+', '%2B')}&end_date={end.replace('+', '%2B')}")) == [
        s["old"].number]
    # An unencoded "+" arrives as a space; a "Z" time and a bare date are W3C datetimes too.
    assert numbers(get(client, f"start_date={start}&end_date={end}")) == [s["old"].number]
    recent = timezone.now() - dt.timedelta(days=3)
    assert numbers(get(client, f"start_date={recent:%Y-%m-%dT%H:%M:%SZ}")) == [s["recent"].number,
                                                                                 s["closed"].number]
    assert numbers(get(client, f"end_date={day + dt.timedelta(days=1)}")) == [s["old"].number]
    # Ids override every other filter; hidden and unknown ones are simply absent.
    ids = ",".join([s["old"].number, s["private"].number, s["unpublished"].number, s["recent"].number, "nope"])
    assert numbers(get(client, f"service_request_id={ids}&status=closed")) == [s["recent"].number, s["old"].number]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "message"), [
    ("status=pending", "status 只能是 open 或 closed：pending"),
    ("service_code=nope", "未知的服务代码（service_code）：nope"),
    ("start_date=yesterday", "start_date 不是有效的 W3C 日期时间（如 2026-03-01T08:00:00+08:00）"),
    ("start_date=2026-01-01&end_date=2026-06-01", "查询时间跨度不能超过 90 天"),
    ("start_date=2026-02-01&end_date=2026-01-01", "end_date 早于 start_date"),
    ("api_key=o311_wrong", "api_key 无效或已停用"),
])
def test_bad_filters_are_400_and_a_bad_key_403(client, spread, query, message):
    response = get(client, query)
    code = 403 if "api_key" in query else 400
    assert response.status_code == code
    assert body(response) == [{"code": code, "description": message}]


@pytest.mark.django_db
def test_one_request_in_both_formats_with_the_status_mapping(client, county, spread):
    closed = spread["closed"]
    (row,) = body(client.get(f"/open311/v2/requests/{closed.number}.json"))
    assert set(row) == SPEC_FIELDS
    assert row["status"] == "closed" and row["status_notes"] == "已结案"
    assert row["service_code"] == "env_garbage" and row["service_name"] == "垃圾乱堆乱放"
    assert row["agency_responsible"] == "网格" and row["service_notice"] == ""
    assert row["requested_datetime"] == timezone.localtime(closed.created_at).isoformat(timespec="seconds")
    assert row["requested_datetime"].endswith("+08:00") and row["expected_datetime"].endswith("+08:00")
    root = xml(client.get(f"/open311/v2/requests/{spread['recent'].number}.xml"))
    assert root.findtext("request/status") == "open"
    assert root.findtext("request/long") == "118.005" and root.findtext("request/zipcode") == ""
    # Department cases name the department; merged and rejected cases are closed.
    power = report(county, code="livelihood_power")
    assert body(client.get(f"/open311/v2/requests/{power.number}.json"))[0]["agency_responsible"] == "下洼供电所"
    case_services.case_reject(case=power, actor=county.users["township_staff"], reason="不属于受理范围")
    assert body(client.get(f"/open311/v2/requests/{power.number}.json"))[0]["status"] == "closed"
    missing = client.get("/open311/v2/requests/20990101.xml")
    assert missing.status_code == 404 and xml(missing).findtext("error/code") == "404"


@pytest.mark.django_db
def test_public_reads_carry_no_personal_data(client, county, hotline):
    case = report(county, title="张建国家门口路灯坏了", description="张建国，电话13800138000", address="东村一组3号",
                  reporter_name="张建国", reporter_phone="13800138000", where=(118.0051234, 37.7054321))
    case_services.case_accept(case=case, actor=county.users["grid_worker"], note="已联系张建国")
    response = client.get(f"/open311/v2/requests/{case.number}.json")
    (row,) = body(response)
    text = response.content.decode()
    assert "张建国" not in text and "13800138000" not in text and "东村一组3号" not in text
    assert row["description"] == "" and row["status_notes"] == "已受理"
    assert row["address"] == "下洼镇东村"
    assert (row["lat"], row["long"]) == (37.705, 118.005)
    xml_text = client.get(f"/open311/v2/requests/{case.number}.xml").content.decode()
    assert "张建国" not in xml_text and "13800138000" not in xml_text
    # 私事 (family and neighbour disputes) are not published at all.
    private = report(county, code="dispute_neighbour")
    assert client.get(f"/open311/v2/requests/{private.number}.json").status_code == 404


@pytest.mark.django_db
def test_nothing_is_published_where_no_client_is_registered(client, county):
    case = report(county)
    assert client.get(f"/open311/v2/requests/{case.number}.json").status_code == 404
    assert numbers(get(client)) == []


@pytest.mark.django_db
def test_a_client_reads_its_own_submissions_in_full_and_only_its_region(client, county, hotline, other_client):
    filed = post_form(client, {"api_key": hotline.key, "service_code": "dispute_neighbour", "lat": 37.7051234,
                               "long": 118.0051234, "description": "两家因院墙吵架", "first_name": "建国",
                               "last_name": "张", "phone": "13800138000", "address_string": "东村一组3号"})
    number = body(filed)[0]["service_request_id"]
    case_services.case_accept(case=Case.objects.get(number=number), actor=county.users["grid_worker"],
                              note="已约双方调解")
    others = report(county, days_ago=1)
    case_services.case_accept(case=others, actor=county.users["grid_worker"], note="已联系张建国")

    mine = body(client.get(f"/open311/v2/requests.json?api_key={hotline.key}"))
    assert [r["service_request_id"] for r in mine] == [number, others.number]
    own, other = mine
    assert own["description"] == "两家因院墙吵架" and own["address"] == "东村一组3号"
    assert (own["lat"], own["long"]) == (37.7051234, 118.0051234)
    assert own["status"] == "open" and own["status_notes"] == "已受理：已约双方调解"
    assert "张建国" not in str(own) and "13800138000" not in str(own)
    # Someone else's case in the same region: public-safe, staff notes included.
    assert other["description"] == "" and other["status_notes"] == "已受理"
    # Anonymous callers and other clients do not see a 私事 submission; a client outside the region
    # sees nothing of 下洼镇.
    assert client.get(f"/open311/v2/requests/{number}.json").status_code == 404
    assert numbers(get(client, f"api_key={other_client.key}")) == []
    assert client.get(f"/open311/v2/requests/{others.number}.json?api_key={other_client.key}").status_code == 404


@pytest.mark.django_db
def test_media_url_is_the_first_report_photo_or_the_clients_own_link(client, county, hotline):
    from xiangzhi.cases.tests.test_api import jpeg_with_gps
    from xiangzhi.lib.photos import process

    with_photo = report(county, photos=[process(jpeg_with_gps(), max_bytes=10**7)])
    photo = with_photo.photos.get()
    row = body(client.get(f"/open311/v2/requests/{with_photo.number}.json"))[0]
    assert row["media_url"] == f"http://testserver/cases/photos/{photo.pk}/"
    # The photo itself stays behind a login: photos are personal data.
    assert client.get(row["media_url"]).status_code == 302
    filed = post_form(client, {"api_key": hotline.key, "service_code": "road_light", "lat": 37.705, "long": 118.005,
                               "media_url": "https://img.example.com/a.jpg"})
    number = body(filed)[0]["service_request_id"]
    own = body(client.get(f"/open311/v2/requests/{number}.json?api_key={hotline.key}"))[0]
    assert own["media_url"] == "https://img.example.com/a.jpg"
    assert body(client.get(f"/open311/v2/requests/{number}.json"))[0]["media_url"] is None


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_2_or_12_cases(client, county, hotline):
    for _ in range(2):
        report(county)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert get(client, f"api_key={hotline.key}").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(10):
        report(county)
    assert count() == few <= 3


@pytest.mark.django_db
def test_reads_are_public_by_design_and_need_no_login(client, spread):
    """GeoReport v2 lets anyone read services and requests; only filing needs a key. These URLs are
    therefore not in tests/test_access.py's matrix (which expects anonymous callers to be refused)."""
    number = spread["recent"].number
    for url in ["/open311/v2/discovery.json", "/open311/v2/services.xml", "/open311/v2/services/road_light.json",
                "/open311/v2/requests.json", f"/open311/v2/requests/{number}.xml"]:
        assert client.get(url).status_code == 200, url
    assert numbers(client.get("/open311/v2/requests.json?api_key=")) == numbers(client.get("/open311/v2/requests.json"))
    assert post_form(client, {"service_code": "road_light", "lat": 37.705, "long": 118.005}).status_code == 403
    assert client.delete("/open311/v2/requests.json").status_code == 405
