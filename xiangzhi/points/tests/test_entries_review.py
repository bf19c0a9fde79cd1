"""``entries_review``: many entries decided in one call, all or nothing, with the chain and balances a
decision after another would leave."""

import pytest
from django.utils import timezone

from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.points import selectors, services
from xiangzhi.points.errors import AlreadyDone, PointsError
from xiangzhi.points.models import EntryStatus, PointsBalance, PointsEntry, PointsReview

pytestmark = pytest.mark.django_db


def record(county, rules, household, code="neighbour_help", who="points_recorder"):
    return services.entry_record(actor=county.users[who], household=county.households[household],
                                 rule=rules[code], occurred_on=timezone.localdate()).entry


def balance(county, household):
    b = PointsBalance.objects.get(pk=county.households[household].pk)
    return b.approved_total, b.pending_total, b.earned_total


def test_a_batch_is_approved_in_the_order_given_as_one_decision_after_another(county, rules):
    entries = [record(county, rules, "a1"), record(county, rules, "a1_micro"), record(county, rules, "a1")]
    reviews = services.entries_review(actor=county.users["points_supervisor"], entries=entries, approve=True)
    assert [r.entry_id for r in reviews] == [e.pk for e in entries]
    assert [r.seq for r in reviews] == [1, 2, 3]
    assert {r.reviewer for r in reviews} == {county.users["points_supervisor"]}
    assert balance(county, "a1") == (6, 0, 6) and balance(county, "a1_micro") == (3, 0, 3)
    assert {e.status for e in PointsEntry.objects.all()} == {EntryStatus.APPROVED}
    # The next single decision continues the same chain.
    single = services.entry_review(actor=county.users["points_supervisor"], approve=True,
                                   entry=record(county, rules, "a1_micro"))
    assert single.seq == 4 and single.prev_hash == reviews[-1].hash
    assert selectors.ledger_verify(county.village_a1) is None
    assert selectors.balance_mismatch_list() == []


def test_a_rejection_takes_the_points_out_of_pending_and_needs_a_reason(county, rules):
    entries = [record(county, rules, "a1"), record(county, rules, "a1_micro")]
    with pytest.raises(PointsError, match="请填写驳回理由"):
        services.entries_review(actor=county.users["points_supervisor"], entries=entries, approve=False)
    services.entries_review(actor=county.users["points_supervisor"], entries=entries, approve=False,
                            reason="当天未参加")
    assert balance(county, "a1") == (0, 0, 0) and balance(county, "a1_micro") == (0, 0, 0)
    assert set(PointsReview.objects.values_list("reason", flat=True)) == {"当天未参加"}
    assert selectors.ledger_verify(county.village_a1) is None


@pytest.mark.parametrize(("who", "own", "error"), [
    ("points_supervisor", "reviewed", AlreadyDone),  # one of them decided before
    ("village_cadre", "recorded", Forbidden),  # one of them recorded by the reviewer
    ("township_staff_b", None, NotFound),  # the other township's
    ("points_supervisor", "deduction", PointsError),  # deductions are decided one by one
])
def test_one_entry_that_may_not_be_decided_stops_the_whole_batch(county, rules, who, own, error):
    entries = [record(county, rules, "a1"), record(county, rules, "a1_micro")]
    if own == "reviewed":
        services.entry_review(actor=county.users["village_cadre"], entry=entries[1], approve=True)
    elif own == "recorded":
        entries.append(record(county, rules, "a1_micro", who="village_cadre"))
    elif own == "deduction":
        entries.append(record(county, rules, "a1", code="env_livestock", who="village_cadre"))
    before = PointsReview.objects.count(), list(PointsBalance.objects.order_by("pk").values_list(
        "approved_total", "pending_total"))
    with pytest.raises(error):
        services.entries_review(actor=county.users[who], entries=entries, approve=True)
    after = PointsReview.objects.count(), list(PointsBalance.objects.order_by("pk").values_list(
        "approved_total", "pending_total"))
    assert after == before
    assert selectors.ledger_verify(county.village_a1) is None
