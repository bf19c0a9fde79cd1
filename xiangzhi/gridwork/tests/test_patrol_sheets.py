"""Reporting, visiting and writing the log from inside a running patrol: the page's sheets, what the
patrol page lists, and the embedded form pages the sheets hold."""

import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.cases.models import Category
from xiangzhi.cases.services import case_report
from xiangzhi.gridwork import services
from xiangzhi.gridwork.models import Visit
from xiangzhi.gridwork.tests.helpers import IN_A1, key_person, report

pytestmark = pytest.mark.django_db


def worker_report(county, title, *, at):
    return case_report(channel="worker", category=Category.objects.get(code="road_light"), title=title,
                       lon=IN_A1[0], lat=IN_A1[1], reporter=county.users["grid_worker"], is_proactive=True,
                       now=at).case


def activity_of(page: str) -> str:
    return page.split('data-testid="patrol-activity"')[1].split("</div>\n</div>")[0]


def test_the_running_patrol_offers_report_visit_and_log_without_leaving(client, county):
    worker = county.users["grid_worker"]
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    client.force_login(worker)
    page = client.get(f"/work/patrols/{patrol.pk}/").content.decode()
    for label in ("上报事件", "走访", "写日志", "结束巡查"):
        assert f">{label}</button>" in page
    assert 'data-url="/cases/new/?embed=1"' in page and f'data-url="/work/patrols/{patrol.pk}/due/"' in page
    assert 'data-testid="patrol-sheet"' in page and 'data-testid="daily-log-form"' in page
    assert "gridwork/patrol_sheet.js" in page and "这次巡查还没有上报事件或登记走访。" in page
    # A supervisor looking at the same patrol gets no recorder and no sheets.
    client.force_login(county.users["township_staff"])
    page = client.get(f"/work/patrols/{patrol.pk}/").content.decode()
    assert 'data-testid="patrol-sheet"' not in page and 'data-sheet-open' not in page


def test_the_patrol_page_lists_the_reports_and_visits_made_while_it_ran(client, county):
    worker = county.users["grid_worker"]
    person = key_person(county.households["a1"])
    other = key_person(county.households["a1_micro"])
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    start = patrol.started_at
    before = worker_report(county, "巡查前上报的路灯", at=start - dt.timedelta(hours=2))
    during = worker_report(county, "巡查中发现路灯不亮", at=timezone.now())
    villagers = report(county, "村民上报的路灯")  # the same time, another reporter
    services.visit_record(key_person=other, visitor=worker, visited_at=start - dt.timedelta(hours=3),
                          notes="", outcome="normal")
    services.visit_record(key_person=person, visitor=worker, visited_at=timezone.now(), notes="", outcome="normal")

    client.force_login(worker)
    listed = activity_of(client.get(f"/work/patrols/{patrol.pk}/").content.decode())
    assert during.title in listed and f'data-case-id="{during.pk}"' in listed
    assert before.title not in listed and villagers.title not in listed
    assert person.resident.name in listed and other.resident.name not in listed
    assert listed.count('data-testid="patrol-visit"') == 1

    # The fragment the page refreshes after a sheet says the same; a report after the stop is not in it.
    services.patrol_stop(patrol=patrol, actor=worker)
    later = worker_report(county, "巡查后上报", at=timezone.now() + dt.timedelta(minutes=1))
    fragment = client.get(f"/work/patrols/{patrol.pk}/activity/").content.decode()
    assert "<html" not in fragment and during.title in fragment and later.title not in fragment

    # The township sees it through its own scope; another township gets the same 404 as a missing patrol.
    client.force_login(county.users["township_staff"])
    assert during.title in client.get(f"/work/patrols/{patrol.pk}/activity/").content.decode()
    client.force_login(county.users["township_staff_b"])
    assert client.get(f"/work/patrols/{patrol.pk}/activity/").status_code == 404
    client.force_login(county.users["grid_worker_b"])
    assert client.get(f"/work/patrols/{patrol.pk}/").status_code == 404


def test_the_visit_sheet_lists_who_is_due_in_the_patrols_grid(client, county):
    worker = county.users["grid_worker"]
    due_here = key_person(county.households["a1_micro"], registered_days_ago=40)
    due_elsewhere = key_person(county.households["b1"], registered_days_ago=40)
    patrol = services.patrol_start(worker=worker, grid=county.grid_a1)
    client.force_login(worker)
    fragment = client.get(f"/work/patrols/{patrol.pk}/due/").content.decode()
    assert due_here.resident.name in fragment and due_elsewhere.resident.name not in fragment
    assert f'href="/work/visits/new/{due_here.pk}/?embed=1"' in fragment and "逾期" in fragment
    # Only the patrol's own worker picks from it; a role that does not visit is refused.
    client.force_login(county.users["grid_worker_b"])
    assert client.get(f"/work/patrols/{patrol.pk}/due/").status_code == 404
    client.force_login(county.users["township_staff"])
    assert client.get(f"/work/patrols/{patrol.pk}/due/").status_code == 403


def test_the_embedded_visit_form_lands_on_a_page_the_patrol_reads(client, county):
    person = key_person(county.households["a1"])
    client.force_login(county.users["grid_worker"])
    url = f"/work/visits/new/{person.pk}/?embed=1"
    form = client.get(url)
    assert 'class="navbar' not in form.content.decode() and form["X-Frame-Options"] == "SAMEORIGIN"
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"outcome": "normal", "visited_at": now, "submission_id": "e1"})
    visit = Visit.objects.get()
    assert response.status_code == 302 and response.url == f"/work/visits/{visit.pk}/done/?embed=1"
    done = client.get(response.url).content.decode()
    assert f'data-embed-done="visit" data-label="{person.resident.name}"' in done
    assert f"已走访：{person.resident.name}" in done and 'class="navbar' not in done
    client.force_login(county.users["grid_worker_b"])
    assert client.get(response.url).status_code == 404


def test_a_report_opened_from_the_patrol_starts_at_its_last_fix(client, county):
    client.force_login(county.users["grid_worker"])
    page = client.get("/cases/new/?embed=1&lat=37.7051&lon=118.0052").content.decode()
    assert 'name="lat" id="lat" value="37.705100"' in page and 'name="lon" id="lon" value="118.005200"' in page
    assert 'class="navbar' not in page
    # Nonsense in the address is ignored: the form opens where the phone finds itself.
    page = client.get("/cases/new/?lat=abc&lon=999").content.decode()
    assert 'name="lat" id="lat" value=""' in page and 'class="navbar' in page
