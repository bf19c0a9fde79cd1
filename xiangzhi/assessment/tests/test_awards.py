"""积分换项目: closing a village-scorecard period awards each funded village its ``funded_yuan`` on the
projects side — its most urgent project waiting for funds takes it, or it waits for the next project —
in the closing transaction, once."""

from unittest import mock

import pytest
from django.utils import timezone

from xiangzhi.assessment import awards, services
from xiangzhi.assessment.errors import PeriodStateError
from xiangzhi.assessment.models import PeriodState, Score
from xiangzhi.assessment.tests.conftest import make_period, report
from xiangzhi.projects import services as projects
from xiangzhi.projects.models import Project, ProjectEvent, Urgency, VillageAward

pytestmark = pytest.mark.django_db


def planned(county, village, title, urgency, who="village_cadre", households=10):
    actor = county.users[who]
    row = projects.request_submit(actor=actor, village=village, title=title, urgency=urgency, households=households)
    return projects.request_plan(actor=actor, request=row)


def made(county, village, title, urgency, who="village_cadre", **kw):
    return projects.project_create(actor=county.users[who], request=planned(county, village, title, urgency, who),
                                   budget=300_000, **kw)


def funded_and_closed(county, period):
    """b1 loses points (a petition), a1 and a2 are funded (2 places), then the period is closed."""
    admin = county.users["county_admin"]
    report(county, "b1", "petition_complaint")
    services.period_run(period=period, actor=admin)
    services.period_publish(period=period, actor=admin)
    return services.period_close(period=period, actor=admin)


def funded(period):
    return {s.village_id: s.funded_yuan for s in Score.objects.filter(run_id=period.current_run_id, funded_yuan__gt=0)}


def test_the_most_urgent_project_waiting_for_funds_takes_the_award(county, period):
    a1 = county.village_a1
    cadre = county.users["village_cadre"]
    done = made(county, a1, "修缮村小学围墙", Urgency.URGENT)  # finished: needs no funds
    projects.project_advance(actor=cadre, project=done)
    projects.project_advance(actor=cadre, project=done)
    already = made(county, a1, "改造饮水管网", Urgency.URGENT, funding_source="县水利局专项", awarded_amount=80_000)
    started = made(county, a1, "安装太阳能路灯", Urgency.NORMAL)
    projects.project_advance(actor=cadre, project=started)
    waiting = made(county, a1, "硬化村北生产路", Urgency.IMPORTANT)
    period = funded_and_closed(county, period)
    amounts = funded(period)
    assert set(amounts) == {a1.pk, county.village_a2.pk}
    award = VillageAward.objects.get(village=a1)
    source = f"{period.name}积分换项目奖补"
    assert (award.project, award.amount, award.source, award.awarded_by) == (
        waiting, amounts[a1.pk], source, county.users["county_admin"])
    waiting.refresh_from_db()
    assert (waiting.funding_source, waiting.awarded_amount) == (source, amounts[a1.pk])
    event = ProjectEvent.objects.filter(project=waiting).last()
    assert event.note == f"奖补：{source} {amounts[a1.pk]} 元"
    for other in (done, started):
        other.refresh_from_db()
        assert other.awarded_amount is None
    already.refresh_from_db()
    assert (already.funding_source, already.awarded_amount) == ("县水利局专项", 80_000)
    assert not VillageAward.objects.filter(village=county.village_b1).exists()  # not funded


def test_a_village_with_no_project_waiting_keeps_the_award_until_it_sets_one_up(client, county, period):
    a2, staff = county.village_a2, county.users["township_staff"]
    period = funded_and_closed(county, period)
    award = VillageAward.objects.get(village=a2)
    assert award.project is None and award.amount == funded(period)[a2.pk]
    notice = f"本村有{period.name}积分换项目奖补 <strong>{award.amount:,}</strong> 元待安排项目"
    client.force_login(staff)
    assert notice in client.get(f"/projects/villages/{a2.code}/").content.decode()
    client.logout()
    public = client.get(f"/projects/public/{a2.code}/").content.decode()
    assert notice in public
    project = made(county, a2, "清淤村南排水沟", Urgency.IMPORTANT, who="township_staff")
    award.refresh_from_db()
    project.refresh_from_db()
    assert award.project == project and award.taken_at is not None
    assert (project.funding_source, project.awarded_amount) == (award.source, award.amount)
    assert 'data-testid="award-waiting"' not in client.get(f"/projects/public/{a2.code}/").content.decode()
    # The next project of the village has no award to take.
    assert made(county, a2, "修建文化广场", Urgency.URGENT, who="township_staff").awarded_amount is None


def test_awards_are_granted_once_and_closing_again_is_refused(county, period):
    admin = county.users["county_admin"]
    period = funded_and_closed(county, period)
    before = list(VillageAward.objects.order_by("id").values_list("village_id", "amount", "project_id"))
    assert len(before) == 2
    with pytest.raises(PeriodStateError, match="已关闭"):
        services.period_close(period=period, actor=admin)
    period.refresh_from_db()
    assert awards.period_awards_grant(period=period, actor=admin) == 2  # the same two, nothing new
    assert list(VillageAward.objects.order_by("id").values_list("village_id", "amount", "project_id")) == before


def test_a_correction_after_closing_changes_the_points_not_the_funds(county, period):
    admin = county.users["county_admin"]
    period = funded_and_closed(county, period)
    before = list(VillageAward.objects.order_by("id").values_list("village_id", "amount"))
    services.score_correct(period=period, village=county.village_b1, points=4, reason="经复核该信访已化解", actor=admin)
    assert list(VillageAward.objects.order_by("id").values_list("village_id", "amount")) == before


def test_a_failing_award_leaves_the_period_published_and_nothing_awarded(county, period):
    admin = county.users["county_admin"]
    report(county, "b1", "petition_complaint")
    services.period_run(period=period, actor=admin)
    services.period_publish(period=period, actor=admin)
    made(county, county.village_a1, "硬化村北生产路", Urgency.URGENT)
    real = awards.award_grant
    calls = []

    def second_fails(**kw):
        calls.append(kw["village"])
        if len(calls) == 2:
            raise RuntimeError("数据库连接中断")
        return real(**kw)

    with mock.patch.object(awards, "award_grant", side_effect=second_fails), pytest.raises(RuntimeError):
        services.period_close(period=period, actor=admin)
    period.refresh_from_db()
    assert period.state == PeriodState.PUBLISHED and period.closed_at is None
    assert not VillageAward.objects.exists()
    assert Project.objects.get(title="硬化村北生产路").awarded_amount is None
    services.period_close(period=period, actor=admin)  # the close, tried again, awards both
    assert VillageAward.objects.count() == 2


def test_a_period_with_no_funding_awards_nothing(county, scheme):
    period = make_period(county, scheme, funded_count=0, warned_count=1, pool_yuan=1_000_000)
    period = funded_and_closed(county, period)
    assert not VillageAward.objects.exists()
    assert timezone.now() >= period.closed_at
