"""What a villager sees of his reports: his own words for their state, every step with the handler's
name, the result's photos, the rating form in his turn, and the notices as his report moves on."""

import datetime as dt
import re

import pytest

from tests.factories import jpeg_photo
from xiangzhi.cases import services
from xiangzhi.cases.models import Case, Status, Transition
from xiangzhi.cases.progress import RESIDENT_STATES
from xiangzhi.demo.case_history import write_case_history
from xiangzhi.notifications.models import Notification

IN_A1_MICRO = (118.005, 37.705)
RESIDENT_WORDS = ["已受理", "处理中", "待评价", "已办结", "不予受理"]
INTERNAL_WORDS = ["待受理", "已派遣", "处置中", "已处置待核查", "核查通过", "已结案", "缓办", "已归档", "已合并"]


def report(county, category, title="村口路灯不亮", **kw):
    kw.setdefault("reporter", county.users["resident"])
    return services.case_report(channel="resident", category=category, title=title, lon=IN_A1_MICRO[0],
                                lat=IN_A1_MICRO[1], **kw).case


def named_staff(county):
    """Give the staff who act below real names, so a page can be checked for names and for logins."""
    u = county.users
    for key, name in (("grid_worker", "刘志强"), ("village_cadre", "孙桂兰"), ("township_staff", "周海涛")):
        u[key].full_name = name
        u[key].save(update_fields=["full_name"])
    return u


def handled_and_closed(county, category):
    u = named_staff(county)
    case = report(county, category)
    services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    services.case_handle(case=case, actor=u["grid_worker"], note="已更换灯泡", photos=[jpeg_photo()])
    services.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)
    return case


def options_of(page: str) -> list[str]:
    select = re.search(r'<select[^>]*name="status".*?</select>', page, re.S)
    assert select is not None
    return re.findall(r"<option[^>]*>([^<]+)</option>", select.group(0))


@pytest.mark.django_db
def test_a_villager_filters_his_reports_in_his_own_words_and_staff_keep_the_full_states(client, county,
                                                                                        street_light):
    u = county.users
    waiting = report(county, street_light, title="东头路灯坏了")
    suspended = report(county, street_light, title="西头路灯坏了")
    services.case_accept(case=suspended, actor=u["grid_worker"], handle_myself=True)
    services.case_suspend(case=suspended, actor=u["grid_worker"], reason="等待灯杆到货")
    closed = handled_and_closed(county, street_light)

    client.force_login(u["resident"])
    page = client.get("/cases/").content.decode()
    assert options_of(page) == ["全部状态", *RESIDENT_WORDS]
    assert not any(word in page for word in INTERNAL_WORDS)
    statuses = re.findall(r'data-testid="case-status">([^<]+)<', page)
    assert sorted(statuses) == sorted(["已受理", "处理中", "待评价"])
    in_progress = client.get("/cases/?status=in_progress").content.decode()
    assert suspended.title in in_progress and waiting.title not in in_progress and closed.title not in in_progress
    accepted = client.get("/cases/?status=accepted").content.decode()
    assert waiting.title in accepted and suspended.title not in accepted
    assert closed.title in client.get("/cases/?status=to_evaluate").content.decode()
    # A staff state code means nothing to the villager's filter: it narrows nothing and shows no state.
    assert "缓办" not in client.get("/cases/?status=suspended").content.decode()

    client.force_login(u["township_staff"])
    staff = client.get("/cases/").content.decode()
    assert options_of(staff) == ["全部状态", *[label for _, label in Status.choices]]
    assert "缓办" in staff and "已结案" in staff
    only = client.get("/cases/?status=suspended").content.decode()
    assert suspended.title in only and waiting.title not in only


@pytest.mark.django_db
def test_a_villager_sees_only_his_own_reports_in_the_list(client, county, street_light):
    report(county, street_light, title="别人的路灯", reporter=county.users["grid_worker"], is_proactive=True)
    mine = report(county, street_light, title="我的路灯")
    client.force_login(county.users["resident"])
    page = client.get("/cases/?status=accepted").content.decode()
    assert mine.title in page and "别人的路灯" not in page


@pytest.mark.django_db
def test_the_reporters_progress_page_names_the_handlers_shows_the_result_and_asks_for_a_rating(
        client, county, street_light):
    case = handled_and_closed(county, street_light)
    u = county.users
    client.force_login(u["resident"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert re.search(r'data-testid="case-status">待评价<', page)
    steps = re.findall(r'data-testid="progress-step">(.*?)</li>', page, re.S)
    assert len(steps) == case.transitions.count() == 7  # report, accept, dispatch, start, handle, verify, close
    assert "您" in steps[0] and "提交了反映" in steps[0]
    assert "刘志强" in steps[1] and "东村 网格员" in steps[1] and "受理了您的反映" in steps[1]
    assert "已更换灯泡" in steps[4] and "孙桂兰" in steps[5] and "东村 村两委" in steps[5]
    photo = case.photos.get()
    assert f"/cases/photos/{photo.pk}/thumb/" in page or f"{photo.pk}" in re.search(
        r'data-testid="result-photos">(.*?)</div>', page, re.S).group(1)
    assert 'data-testid="result-photos"' in page and 'data-testid="evaluate-form"' in page
    for login in (u["grid_worker"].username, u["village_cadre"].username, u["resident"].username):
        assert login not in page
    assert "37.705" not in page and "处置层级" not in page and "本环节时限" not in page

    response = client.post(f"/cases/{case.pk}/act/evaluate/", {"evaluation": "satisfied", "note": "修得快"},
                           follow=True)
    after = response.content.decode()
    assert re.search(r'data-testid="case-status">已办结<', after) and "您的评价：满意" in after
    assert 'data-testid="evaluate-form"' not in after
    assert Case.objects.get(pk=case.pk).status == Status.EVALUATED


@pytest.mark.django_db
def test_staff_keep_the_full_record_page(client, county, street_light):
    case = handled_and_closed(county, street_light)
    client.force_login(county.users["village_cadre"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "已结案" in page and 'data-testid="case-history"' in page and 'data-testid="case-progress"' not in page


@pytest.mark.django_db
def test_another_villager_cannot_open_the_progress_page(client, county, street_light):
    from tests.factories import UserFactory

    case = handled_and_closed(county, street_light)
    neighbour = UserFactory(household=county.households["a1_micro"])
    client.force_login(neighbour)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/act/evaluate/", {"evaluation": "satisfied"}).status_code == 404
    assert Case.objects.get(pk=case.pk).evaluation == ""


@pytest.mark.django_db
def test_the_reporter_is_told_when_his_report_is_accepted_handled_and_closed(county, street_light):
    u = named_staff(county)
    resident = u["resident"]
    case = report(county, street_light)
    services.case_accept(case=case, actor=u["grid_worker"])
    services.case_dispatch(case=case, actor=u["grid_worker"])
    services.case_start(case=case, actor=u["grid_worker"])
    services.case_handle(case=case, actor=u["grid_worker"], note="已修好")
    services.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)
    told = list(Notification.objects.filter(recipient=resident).order_by("id").values_list("kind", "title", "link"))
    assert [kind for kind, _, _ in told] == ["case_accepted", "case_handled", "case_closed"]
    assert all(link == f"/cases/{case.pk}/" for _, _, link in told)
    assert "已受理" in told[0][1] and "已处理" in told[1][1] and "已办结" in told[2][1]


@pytest.mark.django_db
def test_a_worker_is_not_told_of_steps_on_his_own_finding(county, street_light):
    u = county.users
    case = report(county, street_light, reporter=u["grid_worker"], is_proactive=True)
    if case.status == Status.REPORTED:
        services.case_accept(case=case, actor=u["village_cadre"])
    assert not Notification.objects.filter(recipient=u["grid_worker"], kind="case_accepted").exists()


NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_progress_page_holds_on_the_demos_generated_history(client, county):
    """Old cases with system steps (warnings, overdue marks, automatic escalation and archiving) read in
    plain words on the reporter's page, and no login shows."""
    write_case_history(lambda model, rows: model.objects.bulk_create(rows, batch_size=500), seed=5, total=600,
                       now=NOW)
    resident = county.users["resident"]
    mine = Case.objects.filter(reporter=resident)
    touched = Transition.objects.filter(case__in=mine, actor__isnull=True).values_list("case_id", flat=True)
    assert mine.count() >= 5 and touched.exists()
    logins = set(Transition.objects.filter(case__in=mine, actor__isnull=False)
                 .values_list("actor__username", flat=True))
    client.force_login(resident)
    seen_system = False
    for case in mine.filter(pk__in=[*touched[:5], *mine.values_list("pk", flat=True)[:5]]):
        page = client.get(f"/cases/{case.pk}/").content.decode()
        steps = re.findall(r'data-testid="progress-step">(.*?)</li>', page, re.S)
        assert len(steps) == case.transitions.count()
        assert not any(login in page for login in logins - {""})
        assert "系统：" not in page  # the sweep's internal notes are not shown; its steps are put in words
        seen_system |= any("<strong>系统</strong>" in s for s in steps)
        assert not any(word in re.search(r'data-testid="case-status">([^<]+)<', page).group(1)
                       for word in INTERNAL_WORDS)
    assert seen_system
    page = client.get("/cases/").content.decode()
    assert not any(f">{word}<" in page for word in INTERNAL_WORDS)


@pytest.mark.django_db
def test_the_json_api_speaks_to_a_villager_in_his_own_words_and_names_nobody_by_login(client, county, street_light):
    case = handled_and_closed(county, street_light)
    u = county.users
    client.force_login(u["resident"])
    body = client.get(f"/api/v1/cases/{case.pk}").json()
    assert (body["status"], body["status_name"]) == ("to_evaluate", "待评价")
    steps = body["history"]
    assert [s["text"] for s in steps][:2] == ["提交了反映", "受理了您的反映"]
    assert steps[0]["actor"] == "您" and steps[1]["actor"] == "刘志强" and steps[1]["department"] == "东村 网格员"
    his = {state.key for state in RESIDENT_STATES}
    assert {s["from_status"] for s in steps} <= his | {""} and {s["to_status"] for s in steps} <= his
    assert "dispatched" not in {s["to_status"] for s in steps}
    listed = client.get("/api/v1/cases?status=to_evaluate").json()["items"]
    assert [c["id"] for c in listed] == [case.pk] and listed[0]["status_name"] == "待评价"
    assert client.get("/api/v1/cases?status=done").json()["items"] == []
    raw = client.get(f"/api/v1/cases/{case.pk}").content.decode()
    for login in (u["grid_worker"].username, u["village_cadre"].username, u["resident"].username):
        assert login not in raw

    client.force_login(u["village_cadre"])
    staff = client.get(f"/api/v1/cases/{case.pk}").json()
    assert staff["status"] == "closed" and staff["history"][1]["text"] == "受理"
    assert staff["history"][1]["actor"] == "刘志强"
