"""Nine cases built through the real services, for the figures' tests here and on the figures page
(xiangzhi/front): ``story`` is a fixture, offered by both test packages' conftest."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from xiangzhi.cases import services
from xiangzhi.cases.models import Case, Category, HandlingLevel

IN_A1_MICRO = (118.005, 37.705)
IN_A1 = (118.015, 37.715)
IN_B1 = (118.105, 37.705)


def report(county, code, where=IN_A1_MICRO, *, days_ago=0, reporter=None, **kw):
    kw.setdefault("channel", "resident")
    now = timezone.now() - dt.timedelta(days=days_ago) if days_ago else None
    return services.case_report(category=Category.objects.get(code=code), title="测试事件", lon=where[0],
                                lat=where[1], reporter=reporter or county.users["resident"], now=now, **kw).case


@dataclass
class Story:
    cases: dict[str, Case]
    start: dt.date
    end: dt.date


@pytest.fixture
def story(county, settings):
    """Nine cases; eight in 下洼镇 (village 东村), one in 古城镇.

        c1 路灯   grid self-handled, closed on time, satisfied
        c2 垃圾   grid, one rework, closed on time, basically satisfied
        c3 路灯   reported 20 days ago, escalated to the township, sent to 供电所, closed late
        c4 垃圾   rejected as invalid
        c5 纠纷   still awaiting acceptance
        c6 路灯   duplicate of c1, merged, closed with it
        c7 垃圾   found by the grid worker 30 days ago, in progress, past its closure deadline
        c8 路灯   古城镇, closed at grid level
        c9 污水   village-level, closed on time, dissatisfied (reopening switched off)
    """
    settings.CASE_REOPEN_ON_DISSATISFIED = False
    u = county.users
    worker, cadre, town = u["grid_worker"], u["village_cadre"], u["township_staff"]
    c = {}
    c["c1"] = report(county, "road_light")
    c["c6"] = services.case_report(category=c["c1"].category, title="这里路灯也坏了", channel="resident",
                                   lon=IN_A1_MICRO[0] + 0.0003, lat=IN_A1_MICRO[1], reporter=u["resident"]).case
    services.case_merge(case=c["c6"], into=c["c1"], actor=worker)
    services.case_accept(case=c["c1"], actor=worker, handle_myself=True)
    services.case_handle(case=c["c1"], actor=worker, note="已更换灯泡")
    services.case_verify(case=c["c1"], actor=cadre, passed=True, close=True)
    services.case_evaluate(case=c["c1"], actor=u["resident"], evaluation="satisfied")

    c["c2"] = report(county, "env_garbage", IN_A1)
    services.case_accept(case=c["c2"], actor=worker, handle_myself=True)
    services.case_handle(case=c["c2"], actor=worker, note="已清理")
    services.case_verify(case=c["c2"], actor=cadre, passed=False, note="还有残留")
    services.case_handle(case=c["c2"], actor=worker, note="已清理干净")
    services.case_verify(case=c["c2"], actor=cadre, passed=True, close=True)
    services.case_evaluate(case=c["c2"], actor=u["resident"], evaluation="basically_satisfied")

    c["c3"] = report(county, "road_light", days_ago=20)
    services.case_accept(case=c["c3"], actor=worker)
    services.case_escalate(case=c["c3"], actor=worker, note="需更换线路", to_level=HandlingLevel.TOWNSHIP)
    services.case_dispatch(case=c["c3"], actor=town, department=county.department)
    services.case_start(case=c["c3"], actor=u["department_staff"])
    services.case_handle(case=c["c3"], actor=u["department_staff"], note="已更换线路")
    services.case_verify(case=c["c3"], actor=cadre, passed=True, close=True)

    c["c4"] = report(county, "env_garbage", IN_A1)
    services.case_reject(case=c["c4"], actor=worker, reason="现场无此情况")

    c["c5"] = report(county, "dispute_neighbour", IN_A1)

    # A worker's report in his own grid is his at once: accepted, dispatched to him and started.
    c["c7"] = report(county, "env_garbage", IN_A1, days_ago=30, reporter=worker, channel="worker",
                     is_proactive=True)

    c["c8"] = report(county, "road_light", IN_B1, reporter=u["grid_worker_b"], channel="worker", is_proactive=True)
    services.case_handle(case=c["c8"], actor=u["grid_worker_b"], note="已修复")
    services.case_verify(case=c["c8"], actor=u["township_staff_b"], passed=True, close=True)

    c["c9"] = report(county, "env_sewage", IN_A1)
    services.case_accept(case=c["c9"], actor=cadre, handle_myself=True)
    services.case_handle(case=c["c9"], actor=cadre, note="已疏通")
    services.case_verify(case=c["c9"], actor=town, passed=True, close=True)
    services.case_evaluate(case=c["c9"], actor=u["resident"], evaluation="dissatisfied", comment="味道还在")

    for case in c.values():
        case.refresh_from_db()
    today = timezone.localdate()
    return Story(cases=c, start=today - dt.timedelta(days=60), end=today + dt.timedelta(days=1))


def months_touched(story: Story) -> int:
    """Every calendar month the period touches, empty ones too."""
    last = story.end - dt.timedelta(days=1)
    return (last.year - story.start.year) * 12 + last.month - story.start.month + 1
