"""Votes at the same moment, on PostgreSQL, with real threads each on its own connection: the database's
one-vote rule lets exactly one ballot of a household (or of a person) through."""

import pytest
from django.db import connection

from tests.concurrency import run_threads
from xiangzhi.participation import services
from xiangzhi.participation.errors import ParticipationConflict
from xiangzhi.participation.models import PollAnswer, PollBallot
from xiangzhi.participation.tests.conftest import answers_for, scale_poll

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL property; SQLite serialises writers"),
]


def test_two_members_of_one_household_vote_at_once_and_one_ballot_counts(county, people):
    poll = scale_poll(county)
    voters = [county.users["resident"], people.spouse_account]
    answers = answers_for(poll, 1, 2)

    def vote(i):
        return services.poll_vote(actor=voters[i % 2], poll=poll, answers=answers).pk

    results, errors = run_threads(8, vote)
    assert len(results) == 1 and len(errors) == 7
    assert all(isinstance(e, ParticipationConflict) and e.code == "duplicate_vote" for e in errors), errors
    assert PollBallot.objects.filter(poll=poll).count() == 1
    assert PollAnswer.objects.filter(ballot__poll=poll).count() == 2


def test_one_person_tapping_twice_and_a_paper_ballot_at_once_count_once(county, people):
    poll = scale_poll(county, unit="person")
    answers = answers_for(poll, 1, 1)
    worker, micro = county.users["grid_worker"], county.households["a1_micro"]
    head = micro.residents.get(relation="head")

    def vote(i):
        if i % 2:
            return services.poll_vote_record(actor=worker, poll=poll, household=micro, resident=head,
                                             answers=answers).pk
        return services.poll_vote(actor=people.spouse_account, poll=poll, answers=answers).pk

    results, errors = run_threads(6, vote)
    assert len(results) == 2 and all(isinstance(e, ParticipationConflict) for e in errors)
    assert set(PollBallot.objects.filter(poll=poll).values_list("resident_id", flat=True)) == {
        people.spouse.pk, head.pk}
