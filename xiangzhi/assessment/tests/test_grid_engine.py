"""The engine with grids as its units: ranks in the county and in each township, stars by the scheme's
floors, micro-grids counted in the grid above them, manual scores and corrections on a grid, appeals in
their window and decided once."""

import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.assessment import engine, services
from xiangzhi.assessment.errors import AssessmentError, PeriodStateError
from xiangzhi.assessment.models import AppealState, Item, Scheme, SchemeKind, SchemeVersion, Score, VersionState
from xiangzhi.assessment.tests.conftest import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid_scheme(county):
    now = timezone.now()
    scheme = Scheme.objects.create(county=county.county, kind=SchemeKind.GRID, name="网格考核",
                                   star_floors=[95, 90, 80, 70])
    version = SchemeVersion.objects.create(scheme=scheme, number=1, state=VersionState.IN_USE, created_at=now,
                                           activated_at=now)
    Item.objects.create(version=version, group="平安建设", code="order", name="治安与违建", weight=60,
                        source="cases", category_codes=["illegal_construction"], points_per_case=6, sort=1)
    Item.objects.create(version=version, group="工作作风", code="conduct", name="工作作风", weight=40,
                        source="manual", sort=2)
    return scheme


@pytest.fixture
def quarter(county, grid_scheme):
    today = timezone.localdate()
    return services.period_create(scheme=grid_scheme, actor=county.users["county_admin"],
                                  start=today - dt.timedelta(days=80), end=today)


def scores(period):
    period.refresh_from_db()
    return {s.grid.code: s for s in Score.objects.filter(run=period.current_run).select_related("grid")}


def test_a_grid_period_scores_every_third_level_grid_with_ranks_and_stars(county, quarter):
    admin = county.users["county_admin"]
    assert quarter.funded_count == quarter.warned_count == quarter.pool_yuan == 0 and "季度" in quarter.name
    report(county, "a1", "illegal_construction")  # inside grid a1's micro-grid: counted for grid a1
    report(county, "a1", "illegal_construction", days_ago=2)
    services.manual_score_add(period=quarter, village=county.grid_b1,
                              item=quarter.version.items.get(code="conduct"), points=7, reason="例会两次缺席",
                              actor=admin)
    services.period_run(period=quarter, actor=admin)
    got = scores(quarter)
    assert county.grid_a1_micro.code not in got  # micro-grids are not units of their own
    assert set(got) == {g.code for g in (county.grid_a1, county.grid_a2, county.grid_b1, county.grid_b1_unstaffed)}
    a1, b1 = got[county.grid_a1.code], got[county.grid_b1.code]
    assert (a1.total, a1.stars, a1.village_id) == (88, 3, county.village_a1.pk)
    assert (b1.total, b1.stars) == (93, 4)
    assert got[county.grid_a2.code].stars == 5
    assert [lp.source_id for lp in a1.lost_points.order_by("day")] != [] and a1.lost_points.count() == 2
    # County ranks 1…4; within each township its own 1…n, in the county's order.
    assert sorted(s.rank for s in got.values()) == [1, 2, 3, 4]
    assert (a1.rank, a1.town_rank) == (4, 2) and got[county.grid_a2.code].town_rank == 1
    assert (b1.rank, b1.town_rank) == (3, 2) and got[county.grid_b1_unstaffed.code].town_rank == 1
    assert not any(s.funded_yuan or s.warned or s.flagged for s in got.values())
    services.period_publish(period=quarter, actor=admin)
    services.period_close(period=quarter, actor=admin)
    assert services.period_verify(quarter) == []


def test_stars_follow_the_floors_and_default_to_95_90_80_70():
    assert [engine.stars_for(t, []) for t in (100, 95, 94, 90, 80, 79, 70, 69, 0)] == [5, 5, 4, 4, 3, 2, 2, 1, 1]
    assert [engine.stars_for(t, [90, 80]) for t in (90, 85, 79)] == [5, 4, 3]


def test_units_are_checked_against_the_kind_of_period(county, quarter):
    admin = county.users["county_admin"]
    item = quarter.version.items.get(code="conduct")
    with pytest.raises(AssessmentError, match="请选择本县的网格"):
        services.manual_score_add(period=quarter, village=county.village_a1, item=item, points=1, reason="x",
                                  actor=admin)
    with pytest.raises(AssessmentError, match="来源"):
        services.item_save(version=services.version_draft(scheme=quarter.version.scheme, actor=admin), actor=admin,
                           group="x", code="insp", name="排查", weight=5, source="inspection", finding_codes="a")


def test_an_appeal_is_filed_in_its_window_decided_once_and_returns_points_beside_the_original(county, quarter):
    admin, chief = county.users["county_admin"], county.users["grid_chief"]
    report(county, "a1", "illegal_construction")
    services.period_run(period=quarter, actor=admin)
    lost = scores(quarter)[county.grid_a1.code].lost_points.get()
    with pytest.raises(PeriodStateError, match="尚未公布"):
        services.appeal_file(period=quarter, unit=county.grid_a1, actor=chief, text_="误报", lost_point=lost)
    services.period_publish(period=quarter, actor=admin)
    with pytest.raises(AssessmentError, match="请填写申诉理由"):
        services.appeal_file(period=quarter, unit=county.grid_a1, actor=chief, text_=" ", lost_point=lost)
    other = scores(quarter)[county.grid_b1.code]
    with pytest.raises(AssessmentError, match="不属于本单位"):
        services.appeal_file(period=quarter, unit=other.grid, actor=chief, text_="误报", lost_point=lost)
    appeal = services.appeal_file(period=quarter, unit=county.grid_a1, actor=chief, lost_point=lost,
                                  text_="该处为经审批的村民建房，非违建", evidence="乡镇建房审批表")
    with pytest.raises(AssessmentError, match="已有待处理"):
        services.appeal_file(period=quarter, unit=county.grid_a1, actor=chief, text_="再次", lost_point=lost)
    with pytest.raises(AssessmentError, match="退还分值应为 0～6"):
        services.appeal_decide(appeal=appeal, actor=admin, upheld=True, outcome="属实", points_returned=9)
    services.appeal_decide(appeal=appeal, actor=admin, upheld=True, outcome="经核实为审批建房", points_returned=6)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UPHELD and appeal.correction.points == 6
    assert appeal.correction.grid_id == county.grid_a1.pk and "申诉成立" in appeal.correction.reason
    assert scores(quarter)[county.grid_a1.code].total == 94  # the original stays; the correction is beside it
    with pytest.raises(PeriodStateError, match="已处理"):
        services.appeal_decide(appeal=appeal, actor=admin, upheld=False, outcome="x")
    with pytest.raises(AssessmentError, match="每项只能申诉一次"):
        services.appeal_file(period=quarter, unit=county.grid_a1, actor=chief, text_="再申诉", lost_point=lost)
    # After the window nothing more is accepted.
    late = quarter.published_at + dt.timedelta(days=quarter.version.scheme.appeal_days, seconds=1)
    with pytest.raises(PeriodStateError, match="申诉期已过"):
        services.appeal_file(period=quarter, unit=county.grid_a1, actor=chief, text_="补充", now=late)


def test_a_rejected_appeal_returns_nothing(county, quarter):
    admin = county.users["county_admin"]
    report(county, "a1", "illegal_construction")
    services.period_run(period=quarter, actor=admin)
    services.period_publish(period=quarter, actor=admin)
    appeal = services.appeal_file(period=quarter, unit=county.grid_a1, actor=county.users["grid_chief"],
                                  text_="整体得分偏低")
    services.appeal_decide(appeal=appeal, actor=admin, upheld=False, outcome="扣分有据", points_returned=5)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.REJECTED and appeal.points_returned == 0 and appeal.correction is None
