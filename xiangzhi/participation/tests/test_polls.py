"""Polls and surveys: the electorate, one vote per household or per person held by the database, the
answers checked, open and close, results with their shares, live or after the close."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.notifications.models import Notification
from xiangzhi.participation import selectors, services
from xiangzhi.participation.errors import ParticipationConflict, ParticipationError
from xiangzhi.participation.models import PollAnswer, PollBallot
from xiangzhi.participation.tests.conftest import answers_for, audience, scale_poll
from xiangzhi.people.models import Resident

pytestmark = pytest.mark.django_db


def test_a_household_poll_counts_households_and_tells_the_account_holders(county, people):
    poll = scale_poll(county)
    assert poll.electorate == 2  # a1 and a1_micro
    assert poll.audience_label == "东村" and poll.scope_path == county.village_a1.path
    told = set(Notification.objects.filter(kind="poll_open").values_list("recipient_id", flat=True))
    assert told == {county.users["resident"].pk, people.spouse_account.pk}
    assert scale_poll(county, unit="person").electorate == 6


def test_one_vote_per_household_a_second_member_is_refused_and_nothing_changes(county, people):
    poll = scale_poll(county)
    services.poll_vote(actor=county.users["resident"], poll=poll, answers=answers_for(poll, 1, (1, 2)))
    with pytest.raises(ParticipationConflict, match="本户已经投过票") as refused:
        services.poll_vote(actor=people.spouse_account, poll=poll, answers=answers_for(poll, 5, 3))
    assert refused.value.code == "duplicate_vote"
    assert PollBallot.objects.filter(poll=poll).count() == 1 and PollAnswer.objects.count() == 3
    results = selectors.poll_results(poll)
    assert [o.count for o in results.questions[0].options] == [1, 0, 0, 0, 0]


def test_one_vote_per_person_each_member_votes_once(county, people):
    poll = scale_poll(county, unit="person")
    services.poll_vote(actor=county.users["resident"], poll=poll, answers=answers_for(poll, 2, 1))
    services.poll_vote(actor=people.spouse_account, poll=poll, answers=answers_for(poll, 3, 1))
    with pytest.raises(ParticipationConflict, match="您已经投过票"):
        services.poll_vote(actor=people.spouse_account, poll=poll, answers=answers_for(poll, 3, 1))
    # The household account votes as its head, the spouse as herself: two ballots, two people.
    assert set(PollBallot.objects.filter(poll=poll).values_list("resident_id", flat=True)) == {
        people.head.pk, people.spouse.pk}


def test_the_database_itself_refuses_a_second_ballot(county, people):
    poll = scale_poll(county)
    a1 = county.households["a1"]
    PollBallot.objects.create(poll=poll, household=a1, voter=county.users["resident"], cast_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        PollBallot.objects.create(poll=poll, household=a1, voter=people.spouse_account, cast_at=timezone.now())


def test_who_may_vote(county, people):
    poll = scale_poll(county)
    with pytest.raises(NotFound):  # another village's villager
        services.poll_vote(actor=people.b1_account, poll=poll, answers=answers_for(poll, 1, 1))
    with pytest.raises(Forbidden):  # staff who stand for nobody on the register
        services.poll_vote(actor=county.users["village_cadre"], poll=poll, answers=answers_for(poll, 1, 1))
    moved = UserFactory(role=Role.RESIDENT, household=county.households["a1_micro"])
    Resident.objects.filter(household=county.households["a1_micro"]).update(left_on=timezone.localdate())
    with pytest.raises(NotFound):  # the household left the register
        services.poll_vote(actor=moved, poll=poll, answers=answers_for(poll, 1, 1))
    with pytest.raises(NotFound):
        selectors.poll_get_for_user(people.b1_account, poll.pk)
    assert selectors.poll_get_for_user(people.spouse_account, poll.pk) == poll
    assert [p.pk for p in selectors.poll_list_for_voter(people.spouse_account,
                                                        selectors.voter_of(people.spouse_account))] == [poll.pk]
    assert selectors.poll_list_for_voter(people.b1_account, selectors.voter_of(people.b1_account)) == []


def test_answers_are_checked(county, people):
    poll = scale_poll(county)
    villager = county.users["resident"]
    scale, multiple = poll.questions.order_by("position")
    other = scale_poll(county).questions.first().options.first()
    bad = [
        ({scale.pk: []}, "请回答第 1 题"),
        ({scale.pk: [scale.options.first().pk]}, "请回答第 2 题"),
        ({scale.pk: [o.pk for o in scale.options.all()[:2]], multiple.pk: [multiple.options.first().pk]}, "只能选一项"),
        ({scale.pk: [other.pk], multiple.pk: [multiple.options.first().pk]}, "选项不正确"),
        ({**answers_for(poll, 1, 1), 999999: [1]}, "不属于本调查"),
    ]
    for answers, message in bad:
        with pytest.raises(ParticipationError, match=message):
            services.poll_vote(actor=villager, poll=poll, answers=answers)
    assert not PollBallot.objects.filter(poll=poll).exists()
    # A repeated option counts once.
    pick = multiple.options.first().pk
    services.poll_vote(actor=villager, poll=poll, answers={scale.pk: [scale.options.first().pk],
                                                           multiple.pk: [pick, pick]})
    assert PollAnswer.objects.filter(option_id=pick).count() == 1


def test_voting_only_while_open(county, people):
    now = timezone.now()
    upcoming = scale_poll(county, opens=now + dt.timedelta(days=1), closes=now + dt.timedelta(days=3))
    with pytest.raises(ParticipationConflict, match="尚未开始"):
        services.poll_vote(actor=county.users["resident"], poll=upcoming, answers=answers_for(upcoming, 1, 1))
    poll = scale_poll(county)
    services.poll_close(actor=county.users["township_staff"], poll=poll)
    with pytest.raises(ParticipationConflict, match="已经结束"):
        services.poll_vote(actor=county.users["resident"], poll=poll, answers=answers_for(poll, 1, 1))
    with pytest.raises(ParticipationConflict, match="已经结束"):
        services.poll_close(actor=county.users["township_staff"], poll=poll)
    with pytest.raises(NotFound):
        services.poll_close(actor=county.users["township_staff_b"], poll=scale_poll(county))


def test_poll_input_is_checked(county):
    now = timezone.now()
    q = [services.QuestionInput("满意吗", "scale")]
    bad = [
        (dict(title=""), "请填写标题"),
        (dict(unit="family"), "每户一票或每人一票"),
        (dict(closes=now - dt.timedelta(days=1), opens=now - dt.timedelta(days=2)), "截止时间已过"),
        (dict(opens=now + dt.timedelta(days=2), closes=now + dt.timedelta(days=1)), "应晚于开始时间"),
        (dict(closes=now + dt.timedelta(days=400)), "最长一年"),
        (dict(questions=[services.QuestionInput("选哪个", "single", ["甲"])]), "应有 2～10 个选项"),
        (dict(questions=[services.QuestionInput("选哪个", "single", ["甲", "甲"])]), "重复的选项"),
        (dict(questions=[services.QuestionInput("", "single", ["甲", "乙"])]), "请填写第 1 题的题目"),
        (dict(questions=[services.QuestionInput("选哪个", "ranking", ["甲", "乙"])]), "题型不正确"),
    ]
    for change, message in bad:
        kw = {"title": "测评", "unit": "household", "opens": now, "closes": now + dt.timedelta(days=3), "questions": q,
              **change}
        with pytest.raises(ParticipationError, match=message):
            services.poll_create(actor=county.users["village_cadre"], audience=audience("village",
                                                                                          county.village_a1.code),
                                 title=kw["title"], unit=kw["unit"], opens_at=kw["opens"], closes_at=kw["closes"],
                                 questions=kw["questions"])
    with pytest.raises(ParticipationError, match="没有可以投票"):
        Resident.objects.filter(household=county.households["a2"]).update(is_deceased=True)
        scale_poll(county, key=county.village_a2.code, actor="township_staff")


def test_a_party_group_or_people_away_vote_one_each(county, people):
    Resident.objects.filter(household=county.households["a1"]).update(is_away=True)
    with pytest.raises(ParticipationError, match="只能每人一票"):
        scale_poll(county, kind="away_residents", unit="household")
    poll = scale_poll(county, kind="away_residents", unit="person")
    assert poll.electorate == 3
    services.poll_vote(actor=people.spouse_account, poll=poll, answers=answers_for(poll, 1, 1))


def test_results_count_and_share_and_the_scale_satisfaction(county, people):
    poll = scale_poll(county, unit="person")
    head_account = county.users["resident"]
    services.poll_vote(actor=head_account, poll=poll, answers=answers_for(poll, 1, (1, 2)))  # 非常满意
    services.poll_vote(actor=people.spouse_account, poll=poll, answers=answers_for(poll, 4, (2,)))  # 不满意
    results = selectors.poll_results(poll)
    assert (results.ballots, results.electorate) == (2, 6) and results.turnout == pytest.approx(1 / 3)
    scale, multiple = results.questions
    assert [o.count for o in scale.options] == [1, 0, 0, 1, 0]
    assert scale.satisfied_share == pytest.approx(0.5) and scale.mean == pytest.approx((5 + 2) / 2)
    assert [(o.option.text, o.count, o.share) for o in multiple.options] == [("修路", 1, 0.5), ("路灯", 2, 1.0),
                                                                             ("排水", 0, 0.0)]


def test_results_are_published_live_or_after_the_close(county, people):
    villager, cadre = county.users["resident"], county.users["village_cadre"]
    later = scale_poll(county)
    live = scale_poll(county, live=True)
    assert not selectors.results_visible(later, villager) and selectors.results_visible(later, cadre)
    assert selectors.results_visible(live, villager)
    services.poll_close(actor=cadre, poll=later)
    later.refresh_from_db()
    assert selectors.results_visible(later, villager) and selectors.results_visible(later, None)


def test_the_public_section_shows_public_polls_results_once_published(county, people):
    poll = scale_poll(county, public=True)
    scale_poll(county)  # not public
    services.poll_vote(actor=county.users["resident"], poll=poll, answers=answers_for(poll, 2, 1))
    assert selectors.public_section(county.village_a1).polls == []  # waiting for the screening
    services.poll_screen(actor=county.users["township_staff"], poll=poll, passed=True)
    (item,) = selectors.public_section(county.village_a1).polls
    assert item.poll == poll and item.state == "open" and item.results is None
    services.poll_close(actor=county.users["village_cadre"], poll=poll)
    (item,) = selectors.public_section(county.village_a1).polls
    assert item.results is not None and item.results.ballots == 1
    assert selectors.public_section(county.village_a2).polls == []
    with pytest.raises(ParticipationError, match="不在村务公开页公布"):
        Resident.objects.filter(household=county.households["a1"]).update(is_away=True)
        scale_poll(county, kind="away_residents", unit="person", public=True)


def test_a_grid_worker_enters_a_paper_ballot_and_the_one_vote_rule_still_holds(county, people):
    poll = scale_poll(county)
    worker = county.users["grid_worker"]
    assert selectors.poll_get_for_user(worker, poll.pk) == poll  # a village poll over his grid
    assert [p.pk for p in selectors.poll_list_for_user(worker)] == [poll.pk]
    micro = county.households["a1_micro"]
    ballot = services.poll_vote_record(actor=worker, poll=poll, household=micro, answers=answers_for(poll, 3, 1))
    assert ballot.on_paper and ballot.voter == worker and ballot.resident is None
    assert selectors.poll_results(poll).on_paper == 1
    with pytest.raises(ParticipationConflict, match="该户已经投过票了"):
        services.poll_vote_record(actor=worker, poll=poll, household=micro, answers=answers_for(poll, 1, 1))
    # A household that voted on its phone cannot be entered again.
    services.poll_vote(actor=county.users["resident"], poll=poll, answers=answers_for(poll, 1, 1))
    with pytest.raises(ParticipationConflict):
        services.poll_vote_record(actor=worker, poll=poll, household=county.households["a1"],
                                  answers=answers_for(poll, 1, 1))
    # Only households of his grids; only the village's and grids' people enter ballots.
    assert selectors.ballot_household_for_user(worker, county.households["a2"].number) is None
    assert selectors.ballot_household_for_user(worker, micro.number) == micro
    with pytest.raises(NotFound):
        services.poll_vote_record(actor=county.users["grid_worker_b"], poll=poll, household=micro,
                                  answers=answers_for(poll, 1, 1))
    with pytest.raises(Forbidden):
        services.poll_vote_record(actor=county.users["township_staff"], poll=poll, household=micro,
                                  answers=answers_for(poll, 1, 1))
    person = scale_poll(county, unit="person")
    with pytest.raises(ParticipationError, match="写明投票人"):
        services.poll_vote_record(actor=worker, poll=person, household=micro, answers=answers_for(person, 1, 1))
    member = micro.residents.exclude(relation="head").first()
    services.poll_vote_record(actor=worker, poll=person, household=micro, resident=member,
                              answers=answers_for(person, 1, 1))
    with pytest.raises(ParticipationConflict, match="此人已经投过票了"):
        services.poll_vote_record(actor=worker, poll=person, household=micro, resident=member,
                                  answers=answers_for(person, 1, 1))
