"""The small county's people as participation sees them: village a1 has household a1 (head 张建国 with a
phone and the household account ``villager``, his spouse and a child, neither with phone nor account) and
a1_micro (head 李秀英 with a phone, two more); village a2 has a2, village b1 has b1. Every head carries
the factories' phone 13800138000."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.participation import selectors, services


@dataclass
class People:
    head: object
    spouse: object
    child: object
    micro_head: object
    spouse_account: object
    b1_account: object


@pytest.fixture
def people(county):
    a1 = county.households["a1"]
    head, spouse, child = (a1.residents.get(relation=r) for r in ("head", "spouse", "child"))
    micro_head = county.households["a1_micro"].residents.get(relation="head")
    spouse_account = UserFactory(username="spouse_a1", full_name=spouse.name, role=Role.RESIDENT, household=a1,
                                 resident=spouse)
    b1_account = UserFactory(username="villager_b1", role=Role.RESIDENT, household=county.households["b1"])
    return People(head, spouse, child, micro_head, spouse_account, b1_account)


def audience(kind, key):
    return selectors.audience_get(kind, key)


def scale_poll(county, *, unit="household", kind="village", key=None, live=False, public=False, opens=None,
               closes=None, actor="village_cadre", questions=None):
    now = timezone.now()
    return services.poll_create(
        actor=county.users[actor], audience=audience(kind, key or county.village_a1.code), title="村务满意度测评",
        unit=unit, opens_at=opens or now - dt.timedelta(hours=1), closes_at=closes or now + dt.timedelta(days=7),
        questions=questions or [services.QuestionInput("对村务公开是否满意", "scale"),
                                services.QuestionInput("最希望办的事", "multiple", ["修路", "路灯", "排水"])],
        results_live=live, is_public=public)


def answers_for(poll, *picks):
    """The answers of a ballot: for each question in order, the options at the given positions (1-based)."""
    out = {}
    for question, positions in zip(poll.questions.order_by("position"), picks, strict=True):
        options = list(question.options.order_by("position"))
        out[question.pk] = [options[p - 1].pk for p in (positions if isinstance(positions, tuple) else (positions,))]
    return out
