import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xiangzhi.gridwork import services
from xiangzhi.gridwork.models import DailyLog, Patrol, Visit
from xiangzhi.gridwork.tests.helpers import IN_A1, IN_A1_MICRO, IN_B1, fixes, key_person, report

pytestmark = pytest.mark.django_db


def test_the_workers_day_shows_due_visits_the_patrol_button_and_the_log(client, county):
    key_person(county.households["a1"], registered_days_ago=40)
    client.force_login(county.users["grid_worker"])
    page = client.get("/work/").content.decode()
    assert "开始巡查" in page and "逾期 10 天" in page and "今日工作日志" in page
    assert "我的工作" in page  # in the menu

    started = client.post("/work/patrols/start/")
    patrol = Patrol.objects.get()
    assert started.status_code == 302 and started.url == f"/work/patrols/{patrol.pk}/"
    recorder = client.get(started.url).content.decode()
    assert 'data-recording="1"' in recorder and "结束巡查" in recorder and "/points" in recorder
    # Starting again resumes the open patrol instead of failing.
    assert client.post("/work/patrols/start/").url == started.url
    assert "继续巡查" in client.get("/work/").content.decode()


def test_stopping_from_the_page_and_the_track_on_the_map(client, county):
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    services.patrol_record_points(patrol=patrol, actor=worker,
                                  points=fixes(patrol.started_at, [(118.001, 37.701), (118.002, 37.702)]))
    client.force_login(worker)
    response = client.post(f"/work/patrols/{patrol.pk}/stop/", follow=True)
    page = response.content.decode()
    assert "巡查已结束" in page and 'data-recording="0"' in page
    track = json.loads(page.split('id="patrol-track" type="application/json">')[1].split("</script>")[0])
    assert [p[:2] for p in track] == [[37.701, 118.001], [37.702, 118.002]]
    # The township sees the same track; another township does not.
    client.force_login(county.users["township_staff"])
    assert client.get(f"/work/patrols/{patrol.pk}/").status_code == 200
    client.force_login(county.users["township_staff_b"])
    assert client.get(f"/work/patrols/{patrol.pk}/").status_code == 404


def test_the_daily_log_saves_through_htmx(client, county):
    client.force_login(county.users["grid_worker"])
    response = client.post("/work/log/", {"text": "走访张大爷"}, headers={"HX-Request": "true"})
    assert "已保存" in response.content.decode() and "<html" not in response.content.decode()
    response = client.post("/work/log/", {"text": " "}, headers={"HX-Request": "true"})
    assert "请填写日志内容" in response.content.decode()
    assert DailyLog.objects.get().text == "走访张大爷"


def test_recording_a_visit_from_the_due_list(client, county):
    person = key_person(county.households["a1"], registered_days_ago=40)
    client.force_login(county.users["village_cadre"])
    assert person.resident.name in client.get("/work/visits/").content.decode()
    url = f"/work/visits/new/{person.pk}/"
    form = client.get(url).content.decode()
    assert "未见到本人" in form and "记录当前位置" in form
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"outcome": "normal", "visited_at": now, "notes": "一切正常", "place": "家中",
                                 "lon": "118.01", "lat": "37.71"})
    assert response.status_code == 302 and response.url == "/work/visits/"
    visit = Visit.objects.get()
    assert (visit.visitor, visit.place, visit.lon) == (county.users["village_cadre"], "家中", 118.01)
    future = (timezone.localtime() + timezone.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url, {"outcome": "normal", "visited_at": future})
    assert refused.status_code == 200 and "走访时间不能晚于现在" in refused.content.decode()
    assert Visit.objects.count() == 1


def test_the_supervision_page_shows_workers_and_overdue_grids(client, county):
    key_person(county.households["a1"], registered_days_ago=40)
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    services.patrol_stop(patrol=patrol, actor=worker)
    client.force_login(county.users["township_staff"])
    page = client.get("/work/supervise/").content.decode()
    assert worker.full_name in page and county.grid_a1.name in page and "逾期未访" in page
    assert f"/work/patrols/{patrol.pk}/" in page
    assert client.get("/work/supervise/?start=bad&end=2026-01-31").status_code == 200


def test_the_workers_day_lists_their_own_cases_overdue_first(client, county):
    fresh = report(county, "村口路灯不亮", where=IN_A1_MICRO)
    late = report(county, "垃圾堆放三天未清", where=IN_A1, days_ago=10, code="env_garbage")
    elsewhere = report(county, "南村路灯不亮", where=IN_B1)
    client.force_login(county.users["grid_worker"])
    page = client.get("/work/").content.decode()
    card = page.split('data-testid="cases-card"')[1].split('data-testid="due-card"')[0]
    assert "我的事件" in card and "待办 2 件" in card and "超时 1 件" in card
    assert card.index(late.title) < card.index(fresh.title)
    assert late.number in card and fresh.number in card and "待受理" in card
    assert f'href="/cases/{late.pk}/"' in card and f'href="/cases/{fresh.pk}/"' in card
    assert "已超时" in card and "剩 " in card
    assert elsewhere.title not in card and 'href="/cases/inbox/"' in card

    client.force_login(county.users["grid_worker_b"])
    card = client.get("/work/").content.decode().split('data-testid="cases-card"')[1]
    assert "待办 1 件" in card and elsewhere.title in card and fresh.title not in card


def test_the_workers_day_says_when_no_case_waits(client, county):
    report(county, "南村路灯不亮", where=IN_B1)
    client.force_login(county.users["grid_worker"])
    page = client.get("/work/").content.decode()
    assert "待办 0 件" in page and "没有等您办理的事件。" in page and 'data-testid="my-case"' not in page


def test_the_workers_day_takes_the_same_queries_for_two_cases_or_twenty(client, county, django_assert_max_num_queries):
    for i in range(2):
        report(county, f"路灯{i}", days_ago=i)
    client.force_login(county.users["grid_worker"])
    client.get("/work/")  # the session and the calendar are loaded once
    with CaptureQueriesContext(connection) as few:
        client.get("/work/")
    for i in range(2, 20):
        report(county, f"路灯{i}", where=IN_A1_MICRO if i % 2 else IN_A1, days_ago=i % 3)
    with django_assert_max_num_queries(len(few)):
        page = client.get("/work/").content.decode()
    assert "待办 20 件" in page and page.count('data-testid="my-case"') == 10
