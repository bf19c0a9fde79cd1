"""The report path of issue 12: a report in three taps (photo, place, 提交) files under 其他 with a
title of its own; the least a report must carry; 其他 last on every list; a grid worker's own report
is his to handle at once."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests.factories import jpeg_photo
from xiangzhi.accounts.services import api_token_issue
from xiangzhi.cases.errors import CaseError
from xiangzhi.cases.models import OTHER_CATEGORY, Case, Category, HandlingLevel, Status
from xiangzhi.cases.selectors import case_owner_ids, category_list, inbox_for_user
from xiangzhi.cases.services import case_handle, case_report, case_verify
from xiangzhi.notifications.models import Notification

IN_A1_MICRO = (118.005, 37.705)  # 东村一组微网格, inside 东村第一网格 (worker_a1 and chief_a1)
IN_B1 = (118.105, 37.705)  # 南村第一网格 (worker_b1)
NOWHERE = (119.5, 38.5)  # outside every grid


def photo_file(name="p.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 120, 200)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def light():
    return Category.objects.get(code="road_light")


# --- what a report must carry ----------------------------------------------------------------

@pytest.mark.django_db
def test_a_report_with_nothing_that_says_what_is_wrong_is_refused(county):
    resident = county.users["resident"]
    lon, lat = IN_A1_MICRO
    with pytest.raises(CaseError, match="请拍一张照片，或写几个字说明情况"):
        case_report(channel="resident", lon=lon, lat=lat, reporter=resident)
    with pytest.raises(CaseError, match="请拍一张照片"):  # 其他 says nothing about the problem either
        case_report(channel="resident", category=Category.objects.get(code=OTHER_CATEGORY), lon=lon, lat=lat,
                    reporter=resident, description="   ")
    assert Case.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["photo", "description", "category"])
def test_a_photo_some_words_or_a_category_is_enough(county, given):
    lon, lat = IN_A1_MICRO
    kwargs = {"photo": {"photos": [jpeg_photo()]}, "description": {"description": "路口积水很深"},
              "category": {"category": light()}}[given]
    case = case_report(channel="resident", lon=lon, lat=lat, reporter=county.users["resident"], **kwargs).case
    assert case.status == Status.REPORTED
    assert case.category.code == ("road_light" if given == "category" else OTHER_CATEGORY)
    assert case.photos.count() == (1 if given == "photo" else 0)


# --- 其他: routed like the catalog's general items, listed last ------------------------------

@pytest.mark.django_db
def test_a_report_without_a_category_goes_to_the_village_as_other(county, django_capture_on_commit_callbacks):
    lon, lat = IN_A1_MICRO
    with django_capture_on_commit_callbacks(execute=True):
        case = case_report(channel="resident", lon=lon, lat=lat, reporter=county.users["resident"],
                           photos=[jpeg_photo()]).case
    assert (case.category.name, case.handling_level, case.assignee_department) == ("其他", HandlingLevel.VILLAGE,
                                                                                   None)
    assert case.grid == county.grid_a1_micro and case.region == county.village_a1
    cadre = county.users["village_cadre"]
    assert case_owner_ids([case])[case.pk] == [cadre.pk]
    assert case in inbox_for_user(cadre) and case not in inbox_for_user(county.users["grid_worker"])
    assert Notification.objects.filter(recipient=cadre, kind="case_new", link=f"/cases/{case.pk}/").exists()


@pytest.mark.django_db
def test_other_is_last_on_every_list_of_the_catalog(client, county):
    codes = list(category_list().values_list("code", flat=True))
    assert codes[-1] == OTHER_CATEGORY and len(codes) == Category.objects.filter(is_active=True).count()
    assert list(Category.objects.values_list("code", flat=True))[-1] == OTHER_CATEGORY  # admin, figures filter

    client.force_login(county.users["resident"])
    form = client.get("/cases/new/").content.decode()
    options = re.findall(r'<option value="([a-z_]+)"', form)
    assert options[-1] == OTHER_CATEGORY and len(options) == len(codes)

    headers = {"Authorization": f"Bearer {api_token_issue(user=county.users['grid_worker'])}"}
    api = client.get("/api/v1/categories", headers=headers).json()
    assert api[-1]["code"] == OTHER_CATEGORY

    client.force_login(county.users["township_staff"])
    figures = client.get("/centre/figures/").content.decode()
    filter_codes = re.findall(r'<option value="([a-z_]+)"', figures.split('id="f-category"')[1].split("</select>")[0])
    assert filter_codes[-1] == OTHER_CATEGORY


# --- titles made for reports that came without one -------------------------------------------

@pytest.mark.django_db
def test_a_missing_title_is_made_of_the_category_and_the_place(county):
    resident = county.users["resident"]
    lon, lat = IN_A1_MICRO
    assert case_report(channel="resident", category=light(), lon=lon, lat=lat, reporter=resident
                       ).case.title == "路灯损坏 · 东村"
    assert case_report(channel="resident", lon=lon, lat=lat, reporter=resident, description="有条狗一直叫"
                       ).case.title == "随手拍 · 东村"
    # Outside every grid there is no village to name: the day it was reported stands for the place.
    now = timezone.make_aware(dt.datetime(timezone.localdate().year, 12, 6, 9, 30))
    case = case_report(channel="resident", lon=NOWHERE[0], lat=NOWHERE[1], reporter=resident,
                       photos=[jpeg_photo()], now=now).case
    assert case.title == "随手拍 · 12月6日"
    # A title the reporter gave is kept as given.
    assert case_report(channel="resident", category=light(), title="村口路灯不亮", reporter=resident
                       ).case.title == "村口路灯不亮"


# --- a grid worker's own report -------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("who", ["grid_worker", "grid_chief"])
def test_a_workers_report_in_his_own_grid_is_his_to_handle_at_once(county, who, django_capture_on_commit_callbacks):
    worker = county.users[who]
    lon, lat = IN_A1_MICRO
    with django_capture_on_commit_callbacks(execute=True):
        case = case_report(channel="worker", category=light(), lon=lon, lat=lat, reporter=worker,
                           is_proactive=True, photos=[jpeg_photo()]).case
    case.refresh_from_db()
    assert (case.status, case.handling_level, case.assignee_user) == (Status.IN_PROGRESS, HandlingLevel.GRID, worker)
    assert case.accepted_at == case.created_at and case.due_at is not None
    steps = list(case.transitions.values_list("action", "from_status", "to_status", "actor", "note"))
    assert steps == [
        ("report", "", Status.REPORTED, worker.pk, ""),
        ("accept", Status.REPORTED, Status.ACCEPTED, worker.pk, "本人巡查上报，系统自动受理"),
        ("dispatch", Status.ACCEPTED, Status.DISPATCHED, worker.pk, "自办自结"),
        ("start", Status.DISPATCHED, Status.IN_PROGRESS, worker.pk, ""),
    ]
    assert case.photos.get().transition.action == "report"
    # It waits on him as 处置中, not as 待受理; nobody is told of a case that never waited.
    assert list(inbox_for_user(worker)) == [case]
    assert not Notification.objects.filter(link=f"/cases/{case.pk}/").exists()
    # And it goes on like any case: he handles it, the village checks it.
    case_handle(case=case, actor=worker, note="已更换灯泡")
    case_verify(case=case, actor=county.users["village_cadre"], passed=True, close=True)
    assert case.status == Status.CLOSED and case.closed_level == HandlingLevel.GRID


@pytest.mark.django_db
def test_a_workers_report_outside_his_grids_and_a_residents_wait_to_be_accepted(county):
    lon, lat = IN_A1_MICRO
    elsewhere = case_report(channel="worker", category=light(), lon=lon, lat=lat,
                            reporter=county.users["grid_worker_b"], is_proactive=True).case
    resident = case_report(channel="resident", category=light(), lon=lon, lat=lat,
                           reporter=county.users["resident"]).case
    for case in (elsewhere, resident):
        assert case.status == Status.REPORTED and case.assignee_user is None
        assert list(case.transitions.values_list("action", flat=True)) == ["report"]
        assert case in inbox_for_user(county.users["grid_worker"])
    assert elsewhere not in inbox_for_user(county.users["grid_worker_b"])


@pytest.mark.django_db
def test_a_workers_report_that_belongs_to_another_level_goes_there(county):
    """能办则办: what the grid cannot handle (a power cut, to the township's 供电所) is not his."""
    lon, lat = IN_A1_MICRO
    case = case_report(channel="worker", category=Category.objects.get(code="livelihood_power"), lon=lon, lat=lat,
                       reporter=county.users["grid_worker"], is_proactive=True).case
    assert (case.status, case.handling_level, case.assignee_department) == (
        Status.REPORTED, HandlingLevel.DEPARTMENT, county.department)
    other = case_report(channel="worker", lon=lon, lat=lat, reporter=county.users["grid_worker"],
                        category=Category.objects.get(code="other"), description="河边有只狗叫了一夜",
                        is_proactive=True).case
    assert (other.status, other.handling_level) == (Status.REPORTED, HandlingLevel.VILLAGE)


@pytest.mark.django_db
def test_a_workers_own_report_retried_returns_the_first_case(county):
    lon, lat = IN_A1_MICRO
    worker = county.users["grid_worker"]
    first = case_report(channel="worker", category=light(), lon=lon, lat=lat, reporter=worker, is_proactive=True,
                        idempotency_key="k-1", fingerprint="f")
    again = case_report(channel="worker", category=light(), lon=lon, lat=lat, reporter=worker, is_proactive=True,
                        idempotency_key="k-1", fingerprint="f")
    assert again.case == first.case and not again.created
    assert Case.objects.count() == 1 and first.case.transitions.count() == 4


# --- the form ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_form_puts_the_photo_first_and_folds_what_may_be_left_blank(client, county):
    client.force_login(county.users["resident"])
    page = client.get("/cases/new/").content.decode()
    assert "data-offline-form" in page and 'name="submission_id"' in page
    assert page.index('id="photos"') < page.index('id="pick-map"') < page.index("补充说明（可不填）") \
        < page.index('id="category"')
    assert 'capture="environment"' in page and "确认位置" in page
    assert not re.search(r'<(select|input)[^>]*name="(category|title)"[^>]*required', page)


@pytest.mark.django_db
def test_three_taps_file_a_case_and_the_same_form_again_answers_with_it(client, county):
    client.force_login(county.users["resident"])
    data = {"lon": str(IN_A1_MICRO[0]), "lat": str(IN_A1_MICRO[1]), "submission_id": "offline-7f3a",
            "category": "", "title": "", "description": "", "address": ""}
    response = client.post("/cases/new/", {**data, "photos": [photo_file()]})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.category.code, case.title, case.channel) == (OTHER_CATEGORY, "随手拍 · 东村", "resident")
    assert case.photos.count() == 1
    # The offline queue sends the same form again when the signal comes back: the same case answers.
    again = client.post("/cases/new/", {**data, "photos": [photo_file()]}, follow=True)
    assert again.redirect_chain[-1][0] == f"/cases/{case.pk}/" and f"编号 {case.number}" in again.content.decode()
    assert Case.objects.count() == 1 and case.photos.count() == 1


@pytest.mark.django_db
def test_an_empty_form_is_refused_in_chinese_and_kept(client, county):
    client.force_login(county.users["resident"])
    page = client.post("/cases/new/", {"lon": "118.005", "lat": "37.705", "submission_id": "e1"}).content.decode()
    assert "请拍一张照片，或写几个字说明情况" in page and "data-offline-form" in page
    assert 'value="118.005"' in page
    assert Case.objects.count() == 0
    page = client.post("/cases/new/", {"category": "no_such", "description": "x", "submission_id": "e2"}
                       ).content.decode()
    assert "该事件类别不存在或已停用" in page and Case.objects.count() == 0


@pytest.mark.django_db
def test_a_worker_reporting_through_the_form_finds_the_case_in_his_hands(client, county):
    worker = county.users["grid_worker"]
    client.force_login(worker)
    page = client.post("/cases/new/", {"category": "road_light", "lon": "118.005", "lat": "37.705",
                                       "submission_id": "w1", "photos": [photo_file()]}, follow=True).content.decode()
    case = Case.objects.get()
    assert "已上报并由您本人受理办理" in page
    assert (case.status, case.assignee_user, case.channel, case.is_proactive) == (
        Status.IN_PROGRESS, worker, "worker", True)
    assert 'data-action="handle"' in page


# --- the JSON API takes the same minimum ----------------------------------------------------

@pytest.mark.django_db
def test_the_api_files_a_report_with_words_only_and_refuses_an_empty_one(client, county):
    headers = {"Authorization": f"Bearer {api_token_issue(user=county.users['resident'])}"}
    response = client.post("/api/v1/cases", {"description": "路口积水很深", "lon": 118.005, "lat": 37.705},
                           content_type="application/json", headers=headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["category"], body["category_name"]) == (OTHER_CATEGORY, "其他")
    assert body["title"] == "随手拍 · 东村"
    refused = client.post("/api/v1/cases", {"lon": 118.005, "lat": 37.705}, content_type="application/json",
                          headers=headers)
    assert refused.status_code == 422 and "请拍一张照片" in refused.json()["error"]["message"]
    assert Case.objects.count() == 1
