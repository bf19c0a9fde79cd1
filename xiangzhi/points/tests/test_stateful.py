"""A property-based walk through record / approve / reject / reverse / debit: whatever the order, no
balance goes below zero, every balance equals the sum of its ledger, the chains verify, and each
operation succeeds exactly when a simple model of the rules says it should."""

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from xiangzhi.points import ledger, services
from xiangzhi.points.errors import AlreadyDone, InsufficientPoints
from xiangzhi.points.models import EntryKind, PointsBalance, PointsEntry, PointsRule

HOUSEHOLDS = ("a1", "a1_micro")


@pytest.mark.django_db
def test_the_ledger_keeps_its_promises_under_any_sequence(county, rules):
    book = rules["neighbour_help"].rulebook
    category = rules["neighbour_help"].category
    # Uncapped items, so the walk is about balances rather than caps (caps have their own tests).
    add = PointsRule.objects.create(rulebook=book, category=category, code="walk_add", name="测试加分",
                                    direction="add", points=3)
    deduct = PointsRule.objects.create(rulebook=book, category=category, code="walk_deduct", name="测试减分",
                                       direction="deduct", points=-4)
    u = county.users
    households = {k: county.households[k] for k in HOUSEHOLDS}
    village = county.village_a1

    class Ledger(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.balance = dict.fromkeys(HOUSEHOLDS, 0)
            self.pending = dict.fromkeys(HOUSEHOLDS, 0)
            self.entries = {}  # pk → [household key, points, status, reversed]
            self.orders = 0

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _ids(self, status, reversed_=False):
            return sorted(pk for pk, (_, _, s, r) in self.entries.items() if s == status and r == reversed_)

        @rule(h=st.sampled_from(HOUSEHOLDS), adding=st.booleans(), count=st.integers(1, 3),
              recorder=st.sampled_from(["points_recorder", "village_cadre"]))
        def record(self, h, adding, count, recorder):
            entry = services.entry_record(actor=u[recorder], household=households[h], rule=add if adding else deduct,
                                          occurred_on=timezone.localdate(), count=count).entry
            assert entry.points == (3 if adding else -4) * count
            self.entries[entry.pk] = [h, entry.points, "pending", False]
            self.pending[h] += entry.points

        @precondition(lambda self: self._ids("pending"))
        @rule(data=st.data())
        def approve(self, data):
            pk = data.draw(st.sampled_from(self._ids("pending")))
            h, points, _, _ = self.entries[pk]
            entry = PointsEntry.objects.select_related("household__grid").get(pk=pk)
            if self.balance[h] + points < 0:
                with pytest.raises(InsufficientPoints):
                    services.entry_review(actor=u["points_supervisor"], entry=entry, approve=True)
                return
            services.entry_review(actor=u["points_supervisor"], entry=entry, approve=True)
            self.entries[pk][2] = "approved"
            self.balance[h] += points
            self.pending[h] -= points

        @precondition(lambda self: self._ids("pending"))
        @rule(data=st.data())
        def reject(self, data):
            pk = data.draw(st.sampled_from(self._ids("pending")))
            h, points, _, _ = self.entries[pk]
            entry = PointsEntry.objects.select_related("household__grid").get(pk=pk)
            services.entry_review(actor=u["points_supervisor"], entry=entry, approve=False, reason="不属实")
            self.entries[pk][2] = "rejected"
            self.pending[h] -= points

        @precondition(lambda self: self._ids("approved"))
        @rule(data=st.data())
        def reverse(self, data):
            pk = data.draw(st.sampled_from(self._ids("approved")))
            h, points, _, _ = self.entries[pk]
            entry = PointsEntry.objects.select_related("household__grid").get(pk=pk)
            if self.balance[h] - points < 0:
                with pytest.raises(InsufficientPoints):
                    services.entry_reverse(actor=u["township_staff"], entry=entry, reason="更正")
                return
            result = services.entry_reverse(actor=u["township_staff"], entry=entry, reason="更正")
            assert result.reversal.points == -points
            self.entries[pk][3] = True
            self.balance[h] -= points

        @precondition(lambda self: self._ids("approved", True))
        @rule(data=st.data())
        def reverse_again(self, data):
            pk = data.draw(st.sampled_from(self._ids("approved", True)))
            entry = PointsEntry.objects.select_related("household__grid").get(pk=pk)
            with pytest.raises(AlreadyDone):
                services.entry_reverse(actor=u["points_supervisor"], entry=entry, reason="再冲一次")

        @rule(h=st.sampled_from(HOUSEHOLDS), n=st.integers(1, 12))
        def debit(self, h, n):
            self.orders += 1
            post = dict(village_id=village.pk, household_id=households[h].pk, kind=EntryKind.REDEMPTION,
                        points=-n, occurred_on=timezone.localdate(), source=f"order:{self.orders}")
            if self.balance[h] < n:
                with pytest.raises(InsufficientPoints), transaction.atomic():
                    ledger.post(**post)
                return
            with transaction.atomic():
                ledger.post(**post)
            self.balance[h] -= n

        @invariant()
        def balances_match_the_model_and_never_go_negative(self):
            for h, household in households.items():
                b = PointsBalance.objects.filter(pk=household.pk).first()
                approved, pending = (b.approved_total, b.pending_total) if b else (0, 0)
                assert approved >= 0
                assert (approved, pending) == (self.balance[h], self.pending[h])

        @invariant()
        def balances_equal_the_ledger_and_the_chains_hold(self):
            assert services.balances_check() == []
            assert services.ledger_verify(village) is None

    run_state_machine_as_test(Ledger, settings=settings(
        max_examples=20, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    ))
