"""Closing a villager's case awards their household the rulebook's ``report_valid`` points, once
(the cases app calls ``points.services.entry_award_for_case`` as it closes)."""

import pytest

from tests.factories import install_points_rulebooks
from xiangzhi.cases import services as cases
from xiangzhi.cases.models import Category
from xiangzhi.points import services as points
from xiangzhi.points.models import EntryKind, EntryStatus, PointsBalance, PointsEntry, PointsRuleOverride

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(county):
    return install_points_rulebooks(county.town_a, county.town_b)[county.town_a.code]


def close_a_villagers_case(county, code="road_light"):
    u = county.users
    case = cases.case_report(category=Category.objects.get(code=code), title="路灯不亮", channel="resident",
                             lon=118.005, lat=37.705, reporter=u["resident"]).case
    cases.case_accept(case=case, actor=u["grid_worker"], handle_myself=True)
    cases.case_handle(case=case, actor=u["grid_worker"], note="已修")
    cases.case_verify(case=case, actor=u["village_cadre"], passed=True, close=True)
    return case


def test_closing_a_villagers_case_awards_the_report_valid_points_once(county, rules):
    case = close_a_villagers_case(county)
    award = PointsEntry.objects.get(kind=EntryKind.AWARD)
    assert (award.household, award.points, award.rule_code, award.source, award.status) == (
        county.households["a1"], 2, "report_valid", f"case:{case.pk}", EntryStatus.PENDING)
    assert award.recorder == county.users["village_cadre"] and case.number in award.note
    # 不满意 reopens the case; closing it again awards nothing more.
    cases.case_evaluate(case=case, actor=county.users["resident"], evaluation="dissatisfied", comment="又坏了")
    cases.case_verify(case=case, actor=county.users["township_staff"], passed=True, close=True)
    assert PointsEntry.objects.filter(kind=EntryKind.AWARD).count() == 1
    points.entry_review(actor=county.users["points_supervisor"], entry=award, approve=True)
    b = PointsBalance.objects.get(pk=county.households["a1"].pk)
    assert (b.approved_total, b.pending_total, b.earned_total) == (2, 0, 2)


def test_no_award_without_a_rulebook_or_when_the_village_turned_it_off(county):
    case = close_a_villagers_case(county)
    assert case.status == "closed" and not PointsEntry.objects.exists()
    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["report_valid"], is_active=False)
    assert close_a_villagers_case(county).status == "closed"
    assert not PointsEntry.objects.exists()


def test_the_award_respects_its_monthly_cap(county, rules):
    PointsRuleOverride.objects.create(village=county.village_a1, rule=rules["report_valid"], cap_count=1)
    close_a_villagers_case(county)
    second = close_a_villagers_case(county)
    assert second.status == "closed"
    assert PointsEntry.objects.filter(kind=EntryKind.AWARD).count() == 1
