"""民情恳谈 / 百姓夜话: a meeting recorded in the village, each demand a case (channel 民情恳谈) in its grid,
the meeting showing each case's state, and the figure: gathered, resolved (cases closed), the rate."""

import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.cases import services as cases
from xiangzhi.cases.models import Category, Channel, Status
from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.participation import selectors, services
from xiangzhi.participation.errors import ParticipationConflict, ParticipationError

pytestmark = pytest.mark.django_db


def meeting(county, actor="village_cadre", village=None, **kw):
    fields = {"kind": "evening", "held_on": timezone.localdate(), "place": "村党群服务中心",
              "host_name": "村支书王建华", "attendance": 36, **kw}
    return services.meeting_record(actor=county.users[actor], village=village or county.village_a1, **fields)


def close(county, case):
    u = county.users
    case.refresh_from_db()
    cases.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    cases.case_handle(case=case, actor=u["grid_worker"], note="已清理")
    cases.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)


def test_each_demand_becomes_a_case_in_its_grid(county):
    m = meeting(county)
    garbage = Category.objects.get(code="env_garbage")
    demand = services.demand_add(actor=county.users["village_cadre"], meeting=m, title="村南排水沟堵塞",
                                 detail="下雨积水进院", raised_by="张大爷", category=garbage, grid=county.grid_a1)
    case = demand.case
    assert case.channel == Channel.MEETING and case.get_channel_display() == "民情恳谈"
    assert case.title == "村南排水沟堵塞" and case.category == garbage
    assert case.region == county.village_a1 and case.grid.path.startswith(county.grid_a1.path)
    assert case.reporter is None and case.reporter_name == "张大爷"
    assert "百姓夜话（村党群服务中心）" in case.description and "下雨积水进院" in case.description
    # Without a grid or category: 其他, and the township's queue for the village.
    loose = services.demand_add(actor=county.users["village_cadre"], meeting=m, title="希望多组织文艺活动").case
    assert loose.category.code == "other" and loose.region == county.town_a and loose.reporter_name == "百姓夜话群众"


def test_the_meeting_shows_each_demands_case_state_and_the_figure_counts_closed_ones(county):
    m = meeting(county)
    cadre = county.users["village_cadre"]
    first = services.demand_add(actor=cadre, meeting=m, title="路灯不亮", grid=county.grid_a1,
                                category=Category.objects.get(code="road_light"))
    services.demand_add(actor=cadre, meeting=m, title="垃圾清运不及时", grid=county.grid_a1)
    meeting(county, actor="township_staff", village=county.village_a2, kind="consultation", attendance=20)
    close(county, first.case)
    states = [(d.title, d.case.status) for d in selectors.meeting_demands(m)]
    assert states == [("路灯不亮", Status.CLOSED), ("垃圾清运不及时", Status.REPORTED)]
    today = timezone.localdate()
    figures = selectors.meeting_figures(county.town_a, today.replace(month=1, day=1), today)
    assert [(r.name, r.meetings, r.attendance, r.demands, r.resolved) for r in figures.rows] == [
        ("东村", 1, 36, 2, 1), ("西村", 1, 20, 0, 0)]
    assert (figures.total.meetings, figures.total.demands, figures.total.resolved) == (2, 2, 1)
    assert figures.total.resolution_rate == pytest.approx(0.5) and figures.rows[1].resolution_rate is None
    listed = selectors.meeting_list_for_user(cadre).get(pk=m.pk)
    assert (listed.demand_count, listed.resolved_count) == (2, 1)
    # Outside the period, nothing.
    assert selectors.meeting_figures(county.town_a, today - dt.timedelta(days=400),
                                     today - dt.timedelta(days=370)).total.meetings == 0


def test_bad_meetings_are_refused(county):
    today = timezone.localdate()
    bad = [
        (dict(held_on=today + dt.timedelta(days=1)), "不能晚于今天"),
        (dict(held_on=today - dt.timedelta(days=400)), "一年以内"),
        (dict(attendance=0), "参加人数"),
        (dict(attendance=10_000), "参加人数"),
        (dict(place=""), "请填写地点"),
        (dict(host_name=""), "请填写主持人"),
        (dict(kind="party"), "民情恳谈会或百姓夜话"),
        (dict(village=county.town_a), "村/社区"),
    ]
    for change, message in bad:
        with pytest.raises(ParticipationError, match=message):
            meeting(county, **change)
    with pytest.raises(NotFound):  # another village
        meeting(county, village=county.village_a2)
    with pytest.raises(NotFound):
        meeting(county, actor="township_staff_b")
    with pytest.raises(Forbidden):
        meeting(county, actor="grid_chief")


def test_bad_demands_are_refused(county):
    m = meeting(county)
    cadre = county.users["village_cadre"]
    with pytest.raises(ParticipationError, match="请填写诉求"):
        services.demand_add(actor=cadre, meeting=m, title=" ")
    with pytest.raises(ParticipationError, match="不属于本村"):
        services.demand_add(actor=cadre, meeting=m, title="修桥", grid=county.grid_a2)
    with pytest.raises(NotFound):
        services.demand_add(actor=county.users["township_staff_b"], meeting=m, title="修桥")
    old = meeting(county, held_on=timezone.localdate() - dt.timedelta(days=40))
    with pytest.raises(ParticipationConflict, match="不能再补录"):
        services.demand_add(actor=cadre, meeting=old, title="修桥")
    assert not m.demands.exists()


def test_meetings_are_read_in_scope(county):
    m = meeting(county)
    for role in ("village_cadre", "township_staff", "county_admin"):
        assert selectors.meeting_get_for_user(county.users[role], m.pk) == m
    for role in ("township_staff_b", "grid_chief", "resident"):
        with pytest.raises(NotFound):
            selectors.meeting_get_for_user(county.users[role], m.pk)
    with pytest.raises(NotFound):
        selectors.meeting_region_get_for_user(county.users["township_staff"], county.town_b.code)
