"""A property-based walk through record / approve / reject / reverse / debit, and the supermarket's
redeem / hand over / cancel: whatever the order, no balance or stock goes below zero, every balance
equals the sum of its ledger and every stock the sum of its moves, the chains verify, and each
operation succeeds exactly when a simple model of the rules says it should."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from xiangzhi.points import selectors, services
from xiangzhi.points.errors import AlreadyDone, InsufficientPoints
from xiangzhi.points.models import PointsBalance, PointsEntry, PointsRule
from xiangzhi.shop import services as shop
from xiangzhi.shop.errors import LimitExceeded, OrderDone, OutOfStock
from xiangzhi.shop.models import ShopItem, ShopOrder
from xiangzhi.shop.selectors import order_history_mismatch_list, stock_mismatch_list

HOUSEHOLDS = ("a1", "a1_micro")
# The supermarket: goods with stock, and a service without stock but with a limit per household.
GOODS_STOCK, GOODS_PRICE, SERVICE_PRICE, SERVICE_LIMIT = 6, 2, 5, 2
BUYERS = {"a1": "resident", "a1_micro": "village_cadre"}  # the villager, and the counter for a neighbour


@pytest.mark.django_db
def test_the_ledger_keeps_its_promises_under_any_sequence(county, rules):
    book = rules["neighbour_help"].rulebook
    category = rules["neighbour_help"].category
    # Uncapped items, so the walk is about balances rather than caps (caps have their own tests).
    add = PointsRule.objects.create(rulebook=book, category=category, code="walk_add", name="测试加分",
                                    direction="add", points=3)
    deduct = PointsRule.objects.create(rulebook=book, category=category, code="walk_deduct", name="测试减分",
                                       direction="deduct", points=-4)
    grant = PointsRule.objects.create(rulebook=book, category=category, code="walk_grant", name="测试奖励",
                                      direction="add", points=10)
    u = county.users
    households = {k: county.households[k] for k in HOUSEHOLDS}
    village = county.village_a1
    today = timezone.localdate()
    services.redemption_window_add(actor=u["township_staff"], township=county.town_a, opens_on=today,
                                   closes_on=today + dt.timedelta(days=7))
    items = {
        "goods": shop.shop_item_create(actor=u["village_cadre"], village=village, name="测试商品", price=GOODS_PRICE,
                                       stock=GOODS_STOCK),
        "service": shop.shop_item_create(actor=u["village_cadre"], village=village, name="测试服务", kind="service",
                                         price=SERVICE_PRICE, stock=None, limit_per_household=SERVICE_LIMIT),
    }

    class Ledger(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.balance = dict.fromkeys(HOUSEHOLDS, 0)
            self.pending = dict.fromkeys(HOUSEHOLDS, 0)
            self.entries = {}  # pk → [household key, points, status, reversed]
            self.orders = 0
            self.stock = GOODS_STOCK
            self.shop_orders = {}  # pk → [household key, item key, quantity, points, status]

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @initialize(counts=st.tuples(st.integers(0, 5), st.integers(0, 5)))
        def start_with_points(self, counts):
            """Some walks start with approved points, so the supermarket has something to take."""
            for h, n in zip(HOUSEHOLDS, counts, strict=True):
                if n:
                    entry = services.entry_record(actor=u["points_recorder"], household=households[h], rule=grant,
                                                  occurred_on=timezone.localdate(), count=n).entry
                    services.entry_review(actor=u["points_supervisor"], entry=entry, approve=True)
                    self.entries[entry.pk] = [h, entry.points, "approved", False]
                    self.balance[h] += entry.points

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
                    services.entry_reverse(actor=u["township_staff"], entry=entry, reason="更正",
                                           requester=u["points_recorder"])
                return
            result = services.entry_reverse(actor=u["township_staff"], entry=entry, reason="更正",
                                            requester=u["points_recorder"])
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
            redeem = dict(village_id=village.pk, household_id=households[h].pk, points=n, actor=None,
                          source=f"debit:{self.orders}", note="")
            if self.balance[h] < n:
                with pytest.raises(InsufficientPoints), transaction.atomic():
                    services.entry_redeem(**redeem)
                return
            with transaction.atomic():
                services.entry_redeem(**redeem)
            self.balance[h] -= n

        def _orders(self, status):
            return sorted(pk for pk, o in self.shop_orders.items() if o[4] == status)

        @rule(h=st.sampled_from(HOUSEHOLDS), key=st.sampled_from(sorted(items)), q=st.integers(1, 3))
        def redeem(self, h, key, q):
            price = GOODS_PRICE if key == "goods" else SERVICE_PRICE
            live = sum(o[2] for o in self.shop_orders.values() if o[:2] == [h, key] and o[4] != "cancelled")
            if key == "service" and live + q > SERVICE_LIMIT:
                expected = LimitExceeded
            elif key == "goods" and self.stock < q:
                expected = OutOfStock
            elif self.balance[h] < price * q:
                expected = InsufficientPoints
            else:
                expected = None
            call = dict(actor=u[BUYERS[h]], household=households[h], item=items[key], quantity=q)
            if expected is not None:
                with pytest.raises(expected):
                    shop.shop_order_reserve(**call)
                return
            order = shop.shop_order_reserve(**call).order
            assert order.points == price * q
            self.shop_orders[order.pk] = [h, key, q, order.points, "reserved"]
            self.balance[h] -= order.points
            if key == "goods":
                self.stock -= q

        @precondition(lambda self: self._orders("reserved"))
        @rule(data=st.data())
        def hand_over(self, data):
            pk = data.draw(st.sampled_from(self._orders("reserved")))
            shop.shop_order_hand_over(actor=u["points_recorder"], order=ShopOrder.objects.get(pk=pk))
            self.shop_orders[pk][4] = "handed_over"

        @precondition(lambda self: self._orders("reserved") or self._orders("handed_over"))
        @rule(data=st.data(), by_villager=st.booleans())
        def cancel(self, data, by_villager):
            pk = data.draw(st.sampled_from(self._orders("reserved") + self._orders("handed_over")))
            h, key, q, points, status = self.shop_orders[pk]
            actor = u["resident"] if by_villager and h == "a1" else u["village_cadre"]
            order = ShopOrder.objects.select_related("village").get(pk=pk)
            if status != "reserved":
                with pytest.raises(OrderDone):
                    shop.shop_order_cancel(actor=actor, order=order, reason="不要了")
                return
            shop.shop_order_cancel(actor=actor, order=order, reason="不要了")
            self.shop_orders[pk][4] = "cancelled"
            self.balance[h] += points
            if key == "goods":
                self.stock += q

        @invariant()
        def stock_matches_the_model_and_its_moves(self):
            assert ShopItem.objects.get(pk=items["goods"].pk).stock == self.stock >= 0
            assert stock_mismatch_list() == [] and order_history_mismatch_list() == []

        @invariant()
        def balances_match_the_model_and_never_go_negative(self):
            for h, household in households.items():
                b = PointsBalance.objects.filter(pk=household.pk).first()
                approved, pending = (b.approved_total, b.pending_total) if b else (0, 0)
                assert approved >= 0
                assert (approved, pending) == (self.balance[h], self.pending[h])

        @invariant()
        def balances_equal_the_ledger_and_the_chains_hold(self):
            assert selectors.balance_mismatch_list() == []
            assert selectors.ledger_verify(village) is None

    run_state_machine_as_test(Ledger, settings=settings(
        max_examples=20, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    ))
