import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.assessment import engine, services
from xiangzhi.assessment.errors import AssessmentError, PeriodStateError
from xiangzhi.assessment.models import Item, LostPoint, PeriodState, Run, Score, VersionState
from xiangzhi.assessment.tests.conftest import make_period, report
from xiangzhi.inspections import services as inspections

pytestmark = pytest.mark.django_db


def scores(period):
    period.refresh_from_db()
    return {s.village.code: s for s in Score.objects.filter(run=period.current_run).select_related("village")}


def test_the_default_scheme_has_ten_items_adding_up_to_a_hundred(scheme):
    version = scheme.versions.get()
    items = list(version.items.all())
    assert version.state == VersionState.IN_USE and len(items) == 10
    assert sum(i.weight for i in items) == 100
    assert {i.group for i in items} == {"零事故", "零非访", "零发案", "零违建", "零污染", "零疫情"}


def test_weights_that_do_not_add_up_are_refused_and_the_version_in_use_stays(county, scheme):
    admin = county.users["county_admin"]
    draft = services.version_draft(scheme=scheme, actor=admin, note="调整")
    assert draft.number == 2 and draft.items.count() == 10
    item = draft.items.get(code="construction_new")
    services.item_save(version=draft, actor=admin, item=item, group=item.group, code=item.code, name=item.name,
                       weight=15, source="cases", category_codes=item.category_codes, points_per_case=4)
    with pytest.raises(AssessmentError, match="合计 103 分，应为 100 分"):
        services.version_activate(version=draft, actor=admin)
    assert scheme.versions.get(number=1).state == VersionState.IN_USE
    services.item_save(version=draft, actor=admin, item=draft.items.get(code="construction_found"), group="零违建",
                       code="construction_found", name="违建排查整改", weight=5, source="inspection",
                       finding_codes="building_illegal，building_other")
    services.version_activate(version=draft, actor=admin)
    assert scheme.versions.get(number=1).state == VersionState.RETIRED
    with pytest.raises(PeriodStateError, match="不能修改"):
        services.item_delete(item=draft.items.first(), actor=admin)


def test_an_item_refuses_unknown_categories_and_a_category_counted_twice(county, scheme):
    admin = county.users["county_admin"]
    draft = services.version_draft(scheme=scheme, actor=admin)
    with pytest.raises(AssessmentError, match="有效的事件类别"):
        services.item_save(version=draft, actor=admin, group="零违建", code="x", name="甲", weight=1, source="cases",
                           category_codes=["no_such"], points_per_case=1)
    with pytest.raises(AssessmentError, match="只能计入一个项目"):
        services.item_save(version=draft, actor=admin, group="零违建", code="x", name="甲", weight=1, source="cases",
                           category_codes=["illegal_land"], points_per_case=1)
    assert draft.items.count() == 10


def test_a_run_ranks_every_village_and_each_lost_point_names_its_case(county, scheme, period):
    case = report(county, "a1", "illegal_construction")
    report(county, "a1", "illegal_construction")
    report(county, "b1", "petition_complaint", days_ago=200)  # before the period: not counted
    run = services.period_run(period=period, actor=county.users["county_admin"])
    got = scores(period)
    assert {c: s.total for c, s in got.items()} == {county.village_a1.code: 92, county.village_a2.code: 100,
                                                    county.village_b1.code: 100}
    lost = LostPoint.objects.filter(score__run=run).order_by("day", "id")
    assert [(lp.points, lp.source, lp.item.code) for lp in lost] == [(4, "cases", "construction_new")] * 2
    assert case.pk in {lp.source_id for lp in lost} and case.number in lost.get(source_id=case.pk).reason
    assert run.skipped == [] or all("来源未就绪" in s for s in run.skipped)


def test_points_per_case_stop_at_the_item_weight(county, scheme, period):
    for _ in range(4):
        report(county, "a2", "petition_complaint")  # 4 each, item weight 12
    services.period_run(period=period, actor=None)
    a2 = scores(period)[county.village_a2.code]
    assert a2.total == 88 and sorted(a2.lost_points.values_list("points", flat=True)) == [0, 4, 4, 4]
    assert a2.lost_points.filter(points=0, reason__contains="本项已扣满").count() == 1


def test_ties_at_the_funding_cut_follow_the_heavier_group_then_the_code(county, scheme, period):
    # a1 and a2 both lose 4: a1 in 零违建 (20 points of weight), a2 in 零污染 (15). 零违建 weighs more, so
    # a2 (fewer lost there) ranks above a1 although a1's code is smaller; b1 lost nothing.
    report(county, "a1", "illegal_construction")
    report(county, "a2", "pollution_water")
    services.period_run(period=period, actor=None)
    got = scores(period)
    a1, a2, b1 = got[county.village_a1.code], got[county.village_a2.code], got[county.village_b1.code]
    assert (b1.rank, a2.rank, a1.rank) == (1, 2, 3) and a1.total == a2.total == 96
    assert a2.funded_yuan > 0 and a1.funded_yuan == 0 and a1.warned and not a2.warned


def test_equal_in_every_group_the_smaller_code_wins(county, scheme, period):
    report(county, "a1", "illegal_construction")
    report(county, "a2", "illegal_construction")
    services.period_run(period=period, actor=None)
    got = scores(period)
    assert got[county.village_a1.code].rank == 2 and got[county.village_a2.code].rank == 3


def test_the_funding_formula_never_exceeds_the_pool(county, scheme):
    results = [engine.VillageResult(village=v, total=t) for v, t in
               zip([county.village_a1, county.village_a2, county.village_b1], [97, 100, 93], strict=True)]
    engine.rank(results, [])
    engine.fund(results, funded_count=3, pool_yuan=1_000_001)
    amounts = {r.village.code: r.funded_yuan for r in results}
    # half equally (166,666 each), the rest by score above the cut + 1: weights 8, 5, 1 of 14.
    assert amounts == {county.village_a2.code: 166_666 + 500_003 * 8 // 14,
                       county.village_a1.code: 166_666 + 500_003 * 5 // 14,
                       county.village_b1.code: 166_666 + 500_003 * 1 // 14}
    assert sum(amounts.values()) <= 1_000_001


def test_bottom_twice_running_is_flagged_for_sanction(county, scheme):
    today = timezone.localdate()
    first = make_period(county, scheme, start=today - dt.timedelta(days=400), end=today - dt.timedelta(days=200),
                        funded_count=1, warned_count=1)
    second = make_period(county, scheme, start=today - dt.timedelta(days=60), end=today, funded_count=1,
                         warned_count=1)
    admin = county.users["county_admin"]
    report(county, "b1", "epidemic_clue", days_ago=300)
    report(county, "b1", "epidemic_clue", days_ago=5)
    services.period_run(period=first, actor=admin)
    assert scores(first)[county.village_b1.code].warned and not scores(first)[county.village_b1.code].flagged
    services.period_run(period=second, actor=admin)  # the first is not published yet: no flag
    assert not scores(second)[county.village_b1.code].flagged
    services.period_publish(period=first, actor=admin)
    services.period_run(period=second, actor=admin)
    b1 = scores(second)[county.village_b1.code]
    assert b1.warned and b1.flagged and Score.objects.filter(run=second.current_run, flagged=True).count() == 1


def test_a_run_that_dies_midway_leaves_the_earlier_result(county, scheme, period):
    before = services.period_run(period=period, actor=None).pk
    report(county, "a1", "illegal_construction")
    with mock.patch.object(LostPoint.objects, "bulk_create", side_effect=RuntimeError("worker died")), \
            pytest.raises(RuntimeError):
        services.period_run(period=period, actor=None)
    period.refresh_from_db()
    assert period.current_run_id == before and Run.objects.filter(period=period).count() == 1
    assert Score.objects.filter(run__period=period).count() == 3
    assert all(s.total == 100 for s in scores(period).values())


def test_a_rerun_replaces_the_open_result(county, scheme, period):
    services.period_run(period=period, actor=None)
    report(county, "a1", "illegal_construction")
    services.period_run(period=period, actor=None)
    assert Run.objects.filter(period=period).count() == 1 and scores(period)[county.village_a1.code].total == 96


def test_a_published_period_is_frozen_closed_forever_and_never_reopened(county, scheme, period):
    admin = county.users["county_admin"]
    report(county, "a1", "illegal_construction")
    services.period_run(period=period, actor=admin)
    services.period_publish(period=period, actor=admin)
    with pytest.raises(PeriodStateError, match="不能重新打开"):
        services.period_reopen(period=period, actor=admin)
    with pytest.raises(PeriodStateError, match="不能重新计算"):
        services.period_run(period=period, actor=admin)
    services.period_close(period=period, actor=admin)
    report(county, "a2", "illegal_construction", days_ago=2)  # a late report for the closed half-year
    with pytest.raises(PeriodStateError, match="已关闭"):
        services.period_run(period=period, actor=admin)
    period.refresh_from_db()
    assert period.state == PeriodState.CLOSED and scores(period)[county.village_a2.code].total == 100
    # A correction is a new row beside the original, which stays.
    fix = services.score_correct(period=period, village=county.village_a1, points=4, reason="经复核该违建系误报",
                                 actor=admin)
    assert fix.pk and scores(period)[county.village_a1.code].total == 96


def test_a_closed_period_recomputed_gives_the_same_figures(county, scheme, period):
    admin = county.users["county_admin"]
    report(county, "a1", "illegal_construction")
    report(county, "b1", "petition_complaint")
    services.period_run(period=period, actor=admin)
    services.period_publish(period=period, actor=admin)
    services.period_close(period=period, actor=admin)
    assert services.period_verify(period) == []


def test_a_manual_score_needs_a_reason_and_counts_in_the_next_run(county, scheme, period):
    admin = county.users["county_admin"]
    item = Item.objects.get(version=period.version, code="accident_serious")
    with pytest.raises(AssessmentError, match="请填写扣分原因"):
        services.manual_score_add(period=period, village=county.village_a2, item=item, points=3, reason="  ",
                                  actor=admin)
    with pytest.raises(AssessmentError, match="不是本考核期的人工评分项目"):
        services.manual_score_add(period=period, village=county.village_a2, points=3, reason="事故", actor=admin,
                                  item=Item.objects.get(version=period.version, code="epidemic"))
    entry = services.manual_score_add(period=period, village=county.village_a2, item=item, points=3,
                                      reason="发生一起道路交通亡人事故", evidence="县应急局通报", actor=admin)
    services.period_run(period=period, actor=admin)
    a2 = scores(period)[county.village_a2.code]
    lost = a2.lost_points.get()
    assert a2.total == 97 and lost.source == "manual" and lost.source_id == entry.pk and "县应急局通报" in lost.reason


def test_corrections_need_a_published_period_and_a_reason(county, scheme, period):
    admin = county.users["county_admin"]
    services.period_run(period=period, actor=admin)
    with pytest.raises(PeriodStateError, match="尚未公布"):
        services.score_correct(period=period, village=county.village_a1, points=1, reason="x", actor=admin)
    services.period_publish(period=period, actor=admin)
    with pytest.raises(AssessmentError, match="请填写更正原因"):
        services.score_correct(period=period, village=county.village_a1, points=1, reason="", actor=admin)


def test_inspection_items_skip_until_their_source_is_ready(county, scheme, period):
    with mock.patch.object(engine, "inspection_selectors", None):
        run = services.period_run(period=period, actor=None)
    assert len(run.skipped) == 5 and all(s.endswith("来源未就绪") for s in run.skipped)


def test_inspection_findings_cost_points_through_the_registered_function(county, scheme, period):
    class Findings:
        @staticmethod
        def finding_list_for_period(village_ids, start, end, item_codes, today=None):
            assert start == period.start and end == period.end
            rows = [{"id": 71, "village_id": county.village_b1.pk, "item_code": "crime_security", "points": 6,
                     "found_on": period.start, "text": "盗窃案一起", "overdue": True}]
            return [r for r in rows if r["item_code"] in item_codes and r["village_id"] in village_ids]

    with mock.patch.object(engine, "inspection_selectors", Findings):
        run = services.period_run(period=period, actor=None)
    assert run.skipped == []
    lost = LostPoint.objects.get(score__run=run)
    assert (lost.points, lost.source_id, lost.item.code) == (6, 71, "crime_cases") and "整改超期" in lost.reason


def test_a_real_inspection_finding_costs_its_village_points(county, scheme, period):
    inspector = UserFactory(username="inspector_t", role=Role.INSPECTOR, region=county.town_a)
    inspection = inspections.inspection_start(inspector=inspector, village=county.village_a2)
    inspections.inspection_fix(inspector=inspector, inspection=inspection, lon=118.055, lat=37.705)
    finding = inspections.finding_add(inspector=inspector, inspection=inspection, item_code="crime_security",
                                      text_="村口小卖部疑似聚赌", photos=[])
    inspections.inspection_finish(inspector=inspector, inspection=inspection)
    run = services.period_run(period=period, actor=None)
    lost = LostPoint.objects.get(score__run=run)
    assert run.skipped == [] and lost.source == "inspection" and lost.source_id == finding.pk
    assert lost.item.code == "crime_cases" and lost.points == 3 and "聚赌" in lost.reason


def test_the_village_page_links_a_finding_to_its_task(client, county, scheme, period):
    inspector = UserFactory(username="inspector_p", role=Role.INSPECTOR, region=county.town_a)
    inspection = inspections.inspection_start(inspector=inspector, village=county.village_a1)
    inspections.inspection_fix(inspector=inspector, inspection=inspection, lon=118.005, lat=37.705)
    finding = inspections.finding_add(inspector=inspector, inspection=inspection, item_code="pollution_burning",
                                      text_="焚烧垃圾", photos=[])
    inspections.inspection_finish(inspector=inspector, inspection=inspection)
    services.period_run(period=period, actor=None)
    client.force_login(county.users["county_admin"])
    page = client.get(f"/assessment/periods/{period.pk}/villages/{county.village_a1.code}/").content.decode()
    assert f'href="/inspections/tasks/{finding.pk}/"' in page and "焚烧垃圾" in page
