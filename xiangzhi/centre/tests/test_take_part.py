"""群众参与 (一键可参): 电话回访 recorded by staff (its rules, its history rows, the figures count it), the
ratings by channel, the closed cases waiting to be rated, the polls, and the page."""

import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.cases import services
from xiangzhi.cases.errors import CaseError, TransitionError
from xiangzhi.cases.models import Case, Category, Status, Transition
from xiangzhi.centre.figures import case_figures
from xiangzhi.centre.take_part import phone_visit_list_for_user, take_part_for_user
from xiangzhi.core.errors import Forbidden
from xiangzhi.participation import services as participation
from xiangzhi.participation.tests.conftest import answers_for, scale_poll

pytestmark = pytest.mark.django_db
IN_A1 = (118.015, 37.715)


def closed(county, *, channel="hotline", reporter=None, **kw):
    """A case in 东村第一网格 handled by its worker and closed by the village."""
    u = county.users
    case = services.case_report(category=Category.objects.get(code="env_garbage"), title="垃圾未清运", lon=IN_A1[0],
                                lat=IN_A1[1], channel=channel, reporter=reporter, **kw).case
    if case.status == Status.REPORTED:
        services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    services.case_handle(case=case, actor=u["grid_worker"], note="已清运")
    services.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)
    case.refresh_from_db()
    return case


@pytest.fixture
def calls(county):
    """Three closed 12345 cases of reporters without an account, one 码上办 case, and a villager's own."""
    hotline = [closed(county, reporter_name=f"王先生{i}", reporter_phone="13900000000") for i in range(3)]
    qr = closed(county, channel="qr", reporter_name="李女士")
    own = closed(county, channel="resident", reporter=county.users["resident"])
    return hotline, qr, own


def period():
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=30), dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))


def test_a_phone_rating_is_an_evaluation_by_the_staff_member_and_the_figures_count_it(county, calls):
    (case, *_), _, _ = calls
    town = county.users["township_staff"]
    services.case_evaluate_by_phone(case=case, actor=town, evaluation="satisfied", comment="垃圾清得很及时")
    case.refresh_from_db()
    assert (case.status, case.evaluation, case.evaluation_comment) == (Status.EVALUATED, "satisfied", "垃圾清得很及时")
    row = case.transitions.order_by("-id").first()
    assert (row.action, row.actor, row.note) == ("evaluate", town, "电话回访：垃圾清得很及时")
    start, end = period()
    f = case_figures(town, start=start, end=end)
    assert (f.satisfied, f.evaluated, f.satisfaction_rate) == (1, 1, 1.0)


def test_an_unanswered_call_stays_in_the_history_and_the_case_waits(county, calls):
    (case, *_), _, _ = calls
    worker = county.users["grid_worker"]  # the grid's own worker steers a grid-level case
    services.case_evaluate_by_phone(case=case, actor=worker, evaluation="unanswered", comment="无人接听")
    case.refresh_from_db()
    assert (case.status, case.evaluation) == (Status.CLOSED, "")
    row = case.transitions.order_by("-id").first()
    assert (row.action, row.actor, row.note, row.to_status) == ("visit_call", worker, "电话回访未接通：无人接听",
                                                               Status.CLOSED)
    listed = {c.pk: c.calls for c in phone_visit_list_for_user(county.users["township_staff"])}
    assert listed[case.pk] == 1


def test_who_may_record_a_call_and_which_cases_are_refused(county, calls, settings):
    (first, second, third), qr, own = calls
    u = county.users
    with pytest.raises(Forbidden):  # another township's staff does not steer it
        services.case_evaluate_by_phone(case=first, actor=u["township_staff_b"], evaluation="satisfied")
    with pytest.raises(Forbidden):  # nor does a points recorder
        services.case_evaluate_by_phone(case=first, actor=u["points_recorder"], evaluation="satisfied")
    with pytest.raises(Forbidden, match="由本人评价"):  # the villager rates his own in the app
        services.case_evaluate_by_phone(case=own, actor=u["township_staff"], evaluation="satisfied")
    with pytest.raises(CaseError):
        services.case_evaluate_by_phone(case=first, actor=u["township_staff"], evaluation="很好")
    services.case_evaluate_by_phone(case=qr, actor=u["township_staff"], evaluation="basically_satisfied")
    with pytest.raises(TransitionError, match="已评价"):
        services.case_evaluate_by_phone(case=qr, actor=u["township_staff"], evaluation="satisfied")
    open_case = services.case_report(category=Category.objects.get(code="env_garbage"), title="新的", lon=IN_A1[0],
                                     lat=IN_A1[1], channel="hotline").case
    with pytest.raises(TransitionError):  # not closed yet
        services.case_evaluate_by_phone(case=open_case, actor=u["township_staff"], evaluation="unanswered")
    # 不满意 by phone reopens the case like the reporter's own; closed again, it may be called again.
    settings.CASE_REOPEN_ON_DISSATISFIED = True
    services.case_evaluate_by_phone(case=second, actor=u["township_staff"], evaluation="dissatisfied",
                                    comment="还有味道")
    second.refresh_from_db()
    assert second.status == Status.HANDLED
    assert second.transitions.order_by("-id").values_list("action", "note").first() == ("reopen", "电话回访：还有味道")
    services.case_verify(case=second, actor=u["village_cadre"], passed=True, close=True)
    second.refresh_from_db()
    services.case_evaluate_by_phone(case=second, actor=u["township_staff"], evaluation="satisfied")
    assert Case.objects.get(pk=second.pk).evaluation == "satisfied"
    assert Transition.objects.filter(case__in=[first, third], action__in=["evaluate", "visit_call"]).count() == 0


def test_ratings_by_channel_with_those_by_phone_and_those_waiting(county, calls, django_assert_max_num_queries):
    (first, _, _), qr, own = calls
    u = county.users
    services.case_evaluate_by_phone(case=first, actor=u["township_staff"], evaluation="satisfied")
    services.case_evaluate_by_phone(case=qr, actor=u["township_staff"], evaluation="basically_satisfied")
    services.case_evaluate_by_link(case=Case.objects.get(pk=closed(county, channel="qr").pk), evaluation="satisfied")
    services.case_evaluate(case=own, actor=u["resident"], evaluation="satisfied")
    start, end = period()
    with django_assert_max_num_queries(8):
        t = take_part_for_user(u["township_staff"], start=start, end=end)
    rows = {r.key: r for r in t.channels}
    assert (rows["hotline"].received, rows["hotline"].evaluated, rows["hotline"].by_phone) == (3, 1, 1)
    assert (rows["qr"].evaluated, rows["qr"].by_phone, rows["qr"].satisfaction_rate) == (2, 1, 1.0)
    assert (rows["resident"].evaluated, rows["resident"].by_phone) == (1, 0)
    assert (t.total.evaluated, t.total.satisfied, t.total.basically_satisfied, t.total.by_phone) == (4, 3, 1, 2)
    assert (t.awaiting, t.awaiting_phone, t.awaiting_app) == (2, 2, 0)  # second and third, both 12345
    assert t.polls == []
    assert take_part_for_user(u["township_staff_b"], start=start, end=end).total.received == 0


def test_the_polls_in_scope_with_turnout_and_results(county, calls):
    u = county.users
    poll = scale_poll(county, live=True)
    participation.poll_vote(actor=u["resident"], poll=poll, answers=answers_for(poll, 2, (1, 2)))
    start, end = period()
    (summary,) = take_part_for_user(u["township_staff"], start=start, end=end).polls
    assert (summary.ballots, summary.poll.electorate, summary.turnout) == (1, 2, 0.5)
    assert (summary.scale_answers, summary.satisfied_share, summary.results_shown) == (1, 1.0, True)
    assert take_part_for_user(u["township_staff_b"], start=start, end=end).polls == []


def test_the_page_and_its_call_form(client, county, calls):
    (first, second, _), _, _ = calls
    u = county.users
    client.force_login(u["township_staff"])
    page = client.get("/centre/take-part/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "群众参与" in html and "电话回访" in html and first.number in html and "王先生0" in html
    assert "139****0000" in html and "13900000000" not in html  # the reporter's phone, masked
    assert "统计期内本辖区没有民意调查" in html
    answered = client.post(f"/centre/take-part/cases/{first.pk}/visit/",
                           {"evaluation": "satisfied", "comment": "满意", "back": "/centre/take-part/?period=month"})
    assert answered.status_code == 302 and answered.url == "/centre/take-part/?period=month"
    assert Case.objects.get(pk=first.pk).evaluation == "satisfied"
    again = client.post(f"/centre/take-part/cases/{first.pk}/visit/", {"evaluation": "satisfied",
                                                                        "back": "https://example.com/"})
    assert again.url == "/centre/take-part/#phone"  # never anywhere else
    follow = client.get(again.url)
    assert "该事件已评价" in follow.content.decode()
    client.post(f"/centre/take-part/cases/{second.pk}/visit/", {"evaluation": "unanswered"})
    assert Case.objects.get(pk=second.pk).transitions.filter(action="visit_call").count() == 1
    assert client.get("/centre/take-part/", {"region": county.town_b.code}).status_code == 404
    client.force_login(u["township_staff_b"])
    assert client.post(f"/centre/take-part/cases/{second.pk}/visit/",
                       {"evaluation": "satisfied"}).status_code == 404
    client.force_login(u["resident"])
    assert client.get("/centre/take-part/").status_code == 403
    assert client.post(f"/centre/take-part/cases/{second.pk}/visit/", {"evaluation": "satisfied"}).status_code == 403


def test_the_demo_calls_a_few_reporters_in_every_township(county, calls):
    from xiangzhi.demo.phone_visits import write_phone_visits

    done = write_phone_visits()
    assert (done.rated, done.unanswered) == (2, 1)  # 下洼镇's four waiting: the first three called; 古城镇 has none
    start, end = period()
    t = take_part_for_user(county.users["township_staff"], start=start, end=end)
    assert t.total.by_phone == 2 and t.awaiting_phone == 2  # one unanswered, one not yet called
