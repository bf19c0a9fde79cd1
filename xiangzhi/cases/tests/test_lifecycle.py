import datetime as dt

import pytest

from xiangzhi.cases import services
from xiangzhi.cases.errors import CaseError, TransitionError
from xiangzhi.cases.models import HandlingLevel, Status
from xiangzhi.core.errors import Forbidden, IdempotencyConflict

IN_A1_MICRO = (118.005, 37.705)
IN_A1 = (118.015, 37.715)


def report(county, category, where=IN_A1_MICRO, **kw):
    kw.setdefault("reporter", county.users["resident"])
    kw.setdefault("channel", "resident")
    return services.case_report(category=category, title="路灯不亮", lon=where[0], lat=where[1], **kw).case


@pytest.mark.django_db
def test_the_whole_loop_from_report_to_evaluation(county, street_light, power_department):
    u = county.users
    case = report(county, street_light)
    assert (case.status, case.handling_level, case.grid) == (Status.REPORTED, HandlingLevel.GRID,
                                                              county.grid_a1_micro)
    assert case.number.startswith(case.created_at.astimezone().strftime("%Y"))
    assert case.due_at is not None and case.close_due_at > case.due_at

    services.case_accept(case=case, actor=u["grid_worker"])
    services.case_escalate(case=case, actor=u["grid_worker"], note="需更换灯杆，网格无法处置",
                           to_level=HandlingLevel.TOWNSHIP)
    assert (case.status, case.handling_level) == (Status.DISPATCHED, HandlingLevel.TOWNSHIP)
    services.case_dispatch(case=case, actor=u["township_staff"], department=power_department)
    assert case.handling_level == HandlingLevel.DEPARTMENT and case.assignee_department == power_department
    dept = u["department_staff"]
    services.case_start(case=case, actor=dept)
    services.case_handle(case=case, actor=dept, note="已更换灯泡和线路")
    services.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)
    assert case.status == Status.CLOSED and case.closed_on_time is True
    services.case_evaluate(case=case, actor=u["resident"], evaluation="satisfied", comment="修得很快")
    assert case.status == Status.EVALUATED

    actions = list(case.transitions.values_list("action", flat=True))
    assert actions == ["report", "accept", "escalate", "dispatch", "start", "handle", "verify_pass", "close",
                       "evaluate"]
    dispatch = case.transitions.get(action="dispatch")
    assert (dispatch.actor, dispatch.from_level, dispatch.to_level) == (u["township_staff"], "township",
                                                                        "department")


@pytest.mark.django_db
def test_an_illegal_transition_is_refused_in_chinese(county, street_light):
    case = report(county, street_light)
    with pytest.raises(TransitionError, match="“待受理”状态的事件不能处置完毕"):
        services.case_handle(case=case, actor=county.users["grid_worker"], note="处理好了")
    case.refresh_from_db()
    assert case.status == Status.REPORTED and case.transitions.count() == 1


@pytest.mark.django_db
def test_acting_outside_ones_level_or_scope_is_refused(county, street_light):
    case = report(county, street_light)
    with pytest.raises(Forbidden):
        services.case_accept(case=case, actor=county.users["grid_worker_b"])
    with pytest.raises(Forbidden):
        services.case_accept(case=case, actor=county.users["township_staff_b"])
    with pytest.raises(Forbidden):
        services.case_supervise(case=case, actor=county.users["grid_worker"], note="快点")


@pytest.mark.django_db
def test_failed_verification_means_rework_and_nobody_checks_their_own_work(county, street_light):
    u = county.users
    case = report(county, street_light)
    services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    assert case.status == Status.IN_PROGRESS and case.assignee_user == u["grid_worker"]
    services.case_handle(case=case, actor=u["grid_worker"], note="已报修")
    services.case_verify(case=case, actor=u["village_cadre"], passed=False, note="灯仍不亮")
    assert case.status == Status.IN_PROGRESS and case.rework_count == 1
    services.case_handle(case=case, actor=u["grid_worker"], note="已更换")
    with pytest.raises(Forbidden):
        services.case_verify(case=case, actor=u["grid_worker"], passed=True)

    from xiangzhi.cases.models import Category

    sewage = report(county, Category.objects.get(code="env_sewage"))  # a village-level category
    services.case_accept(case=sewage, actor=u["village_cadre"], handle_myself=True)
    services.case_handle(case=sewage, actor=u["village_cadre"], note="已疏通")
    with pytest.raises(Forbidden, match="不能核查自己处置的事件"):
        services.case_verify(case=sewage, actor=u["village_cadre"], passed=True)
    services.case_verify(case=sewage, actor=u["township_staff"], passed=True, close=True)
    assert sewage.status == Status.CLOSED


@pytest.mark.django_db
def test_dissatisfied_reopens_for_review(county, street_light):
    u = county.users
    case = report(county, street_light)
    services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    services.case_handle(case=case, actor=u["grid_worker"], note="已修")
    services.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)
    services.case_evaluate(case=case, actor=u["resident"], evaluation="dissatisfied", comment="晚上还是黑的")
    assert case.status == Status.HANDLED and case.evaluation == "dissatisfied" and case.closed_at is None


@pytest.mark.django_db
def test_only_the_reporter_evaluates(county, street_light):
    u = county.users
    case = report(county, street_light)
    services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    services.case_handle(case=case, actor=u["grid_worker"], note="已修")
    services.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)
    with pytest.raises(Forbidden):
        services.case_evaluate(case=case, actor=u["village_cadre"], evaluation="satisfied")


@pytest.mark.django_db
def test_suspend_needs_a_reason_and_resume_restores_the_step(county, street_light):
    u = county.users
    case = report(county, street_light)
    services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    with pytest.raises(CaseError, match="缓办理由"):
        services.case_suspend(case=case, actor=u["grid_worker"], reason="")
    due_before = case.close_due_at
    services.case_suspend(case=case, actor=u["grid_worker"], reason="等待灯杆到货")
    assert case.status == Status.SUSPENDED
    services.case_resume(case=case, actor=u["grid_worker"])
    assert case.status == Status.IN_PROGRESS and case.close_due_at >= due_before


@pytest.mark.django_db
def test_a_concurrent_change_is_refused_not_overwritten(county, street_light):
    u = county.users
    case = report(county, street_light)
    stale = type(case).objects.get(pk=case.pk)
    services.case_accept(case=case, actor=u["grid_worker"])
    with pytest.raises(TransitionError, match="已被他人更新"):
        services.case_reject(case=stale, actor=u["township_staff"], reason="重复")


@pytest.mark.django_db
def test_a_location_outside_every_grid_lands_in_the_nearest_townships_triage(county, street_light):
    case = report(county, street_light, where=(118.30, 37.70))
    assert case.grid is None
    assert case.region == county.town_b  # nearest grid is 南村第二网格 in 古城镇
    assert case.handling_level == HandlingLevel.TOWNSHIP
    assert case.transitions.get().note.startswith("不在任何网格内")


@pytest.mark.django_db
def test_idempotency_key_replays_and_conflicts(county, street_light):
    kw = dict(idempotency_key="abc-1", fingerprint="same")
    first = services.case_report(category=street_light, title="路灯不亮", channel="api", lon=118.005, lat=37.705,
                                 reporter=county.users["resident"], **kw)
    again = services.case_report(category=street_light, title="路灯不亮", channel="api", lon=118.005, lat=37.705,
                                 reporter=county.users["resident"], **kw)
    assert again.case.pk == first.case.pk and not again.created
    with pytest.raises(IdempotencyConflict):
        services.case_report(category=street_light, title="别的", channel="api", reporter=county.users["resident"],
                             idempotency_key="abc-1", fingerprint="different")


@pytest.mark.django_db
def test_duplicates_are_proposed_and_merged_cases_close_together(county, street_light):
    u = county.users
    first = report(county, street_light)
    result = services.case_report(category=street_light, title="这里路灯坏了", channel="resident",
                                  lon=IN_A1_MICRO[0] + 0.0005, lat=IN_A1_MICRO[1], reporter=u["resident"])
    assert result.duplicates == [first]
    second = result.case
    services.case_merge(case=second, into=first, actor=u["grid_worker"])
    assert second.status == Status.MERGED and second.duplicate_of == first
    services.case_accept(case=first, actor=u["grid_worker"], handle_myself=True)
    services.case_handle(case=first, actor=u["grid_worker"], note="已修")
    services.case_verify(case=first, actor=u["village_cadre"], passed=True, close=True)
    second.refresh_from_db()
    assert second.status == Status.CLOSED


@pytest.mark.django_db
def test_far_or_old_reports_are_not_duplicates(county, street_light):
    report(county, street_light)
    far = services.case_report(category=street_light, title="x", channel="resident", lon=IN_A1[0] + 0.01,
                               lat=IN_A1[1], reporter=county.users["resident"])
    assert far.duplicates == []
    later = services.case_report(category=street_light, title="y", channel="resident", lon=IN_A1_MICRO[0],
                                 lat=IN_A1_MICRO[1], reporter=county.users["resident"],
                                 now=dt.datetime.now(dt.UTC) + dt.timedelta(days=10))
    assert later.duplicates == []


@pytest.mark.django_db
def test_the_case_number_carries_the_countys_date(county, street_light):
    # 2026-11-23 23:30 UTC is already 24 November in Beijing.
    late_evening_utc = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    case = report(county, street_light, now=late_evening_utc)
    assert case.number.startswith("20261124")


@pytest.mark.django_db
def test_a_report_without_a_location_goes_to_the_reporters_township(county, street_light):
    case = services.case_report(category=street_light, title="路灯不亮", channel="resident",
                                reporter=county.users["resident"]).case
    assert case.grid is None and case.region == county.town_a
    assert case.handling_level == HandlingLevel.TOWNSHIP


@pytest.mark.django_db
def test_reassign_goes_only_to_staff_who_handle_the_cases_level_where_it_is(county, street_light):
    u = county.users
    case = report(county, street_light)  # the villager's own report, at grid level in grid_a1_micro
    services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    refused = [u["resident"], u["grid_worker_b"], u["village_cadre"], u["department_staff"]]
    for person in refused:
        with pytest.raises(CaseError, match="只能改派给在该事件所在地负责本级办理的在岗工作人员"):
            services.case_reassign(case=case, actor=u["grid_worker"], assignee=person)
    u["grid_chief"].is_active = False
    with pytest.raises(CaseError):
        services.case_reassign(case=case, actor=u["grid_worker"], assignee=u["grid_chief"])
    case.refresh_from_db()
    assert case.assignee_user == u["grid_worker"] and not case.transitions.filter(action="reassign").exists()
    u["grid_chief"].is_active = True
    services.case_reassign(case=case, actor=u["grid_worker"], assignee=u["grid_chief"], note="网格长接手")
    assert (case.status, case.assignee_user) == (Status.DISPATCHED, u["grid_chief"])


@pytest.mark.django_db
def test_a_villager_made_assignee_behind_the_rules_still_cannot_handle_his_report(county, street_light):
    u = county.users
    case = report(county, street_light)
    services.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    type(case).objects.filter(pk=case.pk).update(assignee_user=u["resident"])
    case.refresh_from_db()
    with pytest.raises(Forbidden):
        services.case_handle(case=case, actor=u["resident"], note="我自己修好了")
