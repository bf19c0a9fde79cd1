"""一键可参 (C10, seed 004 "五个一"): how the people a case served rated it, by the channel it came in
by (the villagers' app, 12345, Open311, 码上办…), with the closed cases still waiting to be rated; the
电话回访 list for reporters without an account, whose calls staff record; and the opinions the polls
in scope gathered.

    满意率          (满意 + 基本满意) ÷ 已评价, over the cases reported in the period, as the figures count
                    it (``figures.figure_q``): a rating given by phone counts like the reporter's own
    其中电话回访    the rated cases whose present rating was recorded by 电话回访 (its transition noted so,
                    written when the rating was)
    待回访          closed and not rated since they closed (now, whatever the report date); the cases
                    of reporters without an account are the 电话回访 list, the others wait for the
                    reporter in the app; a case closed longer than the evaluation window is archived
                    unrated by the deadline sweep
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, DateTimeField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.cases.models import Case, Channel, Transition
from xiangzhi.cases.rules import can_steer, figures_allowed
from xiangzhi.cases.services import PHONE_VISIT_NOTE, awaiting_evaluation_q
from xiangzhi.centre.figures import NoIndex, figure_q, home_node, scope_cases, spans_a_county
from xiangzhi.centre.kept import Kept, keeps, kept
from xiangzhi.core.inputs import require
from xiangzhi.participation.selectors import PollSummary, poll_summary_list_for_user
from xiangzhi.regions.models import Grid, Region

FORMULAS = {
    "satisfaction_rate": ("满意率", "(满意 + 基本满意) ÷ 已评价件数；统计期内上报的事件，按现在的评价计算，"
                                    "电话回访记录的评价与报告人自己的评价同样计入"),
    "by_phone": ("其中电话回访", "现在的评价由工作人员电话回访记录的件数"),
    "awaiting": ("待回访", "已结案、结案后尚未评价的事件（当前，不限上报日期）；报告人无账号的（12345热线、Open311、"
                           "码上办、设备告警等）由工作人员电话回访，其余由报告人在手机上评价；超过评价期未评价的自动归档"),
    "turnout": ("参与率", "已投票户数（或人数）÷ 发起时可投票的户数（或人数）"),
    "poll_satisfied": ("调查满意率", "满意度题中“基本满意”及以上的回答 ÷ 满意度题的回答"),
}
CHANNEL_NAMES = dict(Channel.choices)
CHANNEL_ORDER = {value: i for i, value in enumerate(Channel.values)}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class ChannelRow:
    key: str  # the channel ("" for the total)
    name: str
    received: int = 0
    closed: int = 0
    evaluated: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    by_phone: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied + self.basically_satisfied, self.evaluated)

    def add(self, other: "ChannelRow") -> None:
        for name in ("received", "closed", "evaluated", "satisfied", "basically_satisfied", "dissatisfied",
                     "by_phone"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class TakePart:
    start: dt.datetime
    end: dt.datetime
    node_name: str
    total: ChannelRow
    channels: list[ChannelRow]
    awaiting: int  # closed and not rated since: all of them
    awaiting_phone: int  # of which the reporter has no account: the 电话回访 list
    polls: list[PollSummary] = field(default_factory=list)

    @property
    def awaiting_app(self) -> int:
        return self.awaiting - self.awaiting_phone


def _no_account() -> Q:
    """Reported without an account. Most cases are (12345, Open311…): the reporter's index would be
    walked over most of the table, so the planner is kept off it (``NoIndex``)."""
    return Q(IsNull(NoIndex(F("reporter_id"), output_field=IntegerField()), True))


def phone_visit_q() -> Q:
    """A case the reporter cannot rate himself (no account, not a worker's own finding), closed and
    not rated since: the 电话回访 list, as ``cases.services.case_evaluate_by_phone`` accepts them."""
    return awaiting_evaluation_q() & _no_account() & Q(is_proactive=False)


def take_part_for_user(user: User, *, start: dt.datetime, end: dt.datetime, region: Region | None = None,
                       grid: Grid | None = None, now: dt.datetime | None = None) -> TakePart:
    """Ratings of the cases reported in [start, end) under the node (404 outside the scope; residents
    get Forbidden) by channel, the closed cases waiting to be rated now, and the polls in scope open at
    some time in the period. Two grouped queries over the period's cases, one count of those waiting,
    four for the polls."""
    require(figures_allowed(user), "无权查看群众参与")
    now = now or timezone.now()
    node = grid or region or home_node(user)
    qs = figure_q(min(end, now), now)
    # A county's period is read in one pass over the table (kept off every index: on SQLite the path's or
    # the (category, date) one would be walked row by row over most of it), a township's along the
    # (path, date) index; the closed cases waiting are found by their status, whatever the node.
    county = spans_a_county(user, region, grid, None)
    created = NoIndex(F("created_at"), output_field=DateTimeField()) if county else F("created_at")
    period = (scope_cases(user, region=region, grid=grid, indexed=not county).alias(created=created)
              .filter(created__gte=start, created__lt=end))
    rows: dict[str, ChannelRow] = {}
    for r in (period.values("channel").order_by()
              .annotate(received=Count("id"), closed=Count("id", filter=qs["closed"]),
                        evaluated=Count("id", filter=qs["evaluated"]), satisfied=Count("id", filter=qs["satisfied"]),
                        basically_satisfied=Count("id", filter=qs["basically_satisfied"]),
                        dissatisfied=Count("id", filter=qs["dissatisfied"]))):
        channel = r.pop("channel")
        rows[channel] = ChannelRow(key=channel, name=CHANNEL_NAMES.get(channel, channel), **r)
    # A rating by phone is on a case without the reporter's account, its transition written with the
    # rating (same moment): the present rating came by phone. Asked apart, of the rated cases without
    # an account only: inside the counts above, PostgreSQL would cost the lookup for every case of the
    # period and compile the whole query (JIT), which takes longer than running it.
    by_phone = Transition.objects.filter(case=OuterRef("pk"), action__in=("evaluate", "reopen"),
                                         note__startswith=PHONE_VISIT_NOTE, created_at=OuterRef("evaluated_at"))
    for channel, n in (period.filter(qs["evaluated"], _no_account(), Exists(by_phone))
                       .values("channel").order_by().annotate(n=Count("id")).values_list("channel", "n")):
        rows.setdefault(channel, ChannelRow(key=channel, name=CHANNEL_NAMES.get(channel, channel))).by_phone = n
    total = ChannelRow(key="", name="合计")
    for row in rows.values():
        total.add(row)
    waiting = scope_cases(user, region=region, grid=grid, indexed=False).filter(awaiting_evaluation_q()).aggregate(
        all=Count("id"), phone=Count("id", filter=_no_account() & Q(is_proactive=False)))
    polls = poll_summary_list_for_user(user, start=start, end=end, path=node.path if node is not None else "",
                                       now=now)
    return TakePart(start=start, end=end, node_name=node.name if node is not None else "我的网格", total=total,
                    channels=sorted(rows.values(), key=lambda r: CHANNEL_ORDER.get(r.key, 99)),
                    awaiting=waiting["all"], awaiting_phone=waiting["phone"], polls=polls)


@dataclass
class PhoneVisit:
    case: Case
    calls: int  # unanswered calls recorded so far
    may_record: bool  # the reader steers the case (``case_evaluate_by_phone``'s rule)


def phone_visit_list_for_user(user: User, *, region: Region | None = None, grid: Grid | None = None) -> QuerySet[Case]:
    """The 电话回访 list under the node: the longest closed first (the evaluation window runs out first),
    each with ``calls``, the unanswered calls recorded."""
    require(figures_allowed(user), "无权查看群众参与")
    return (scope_cases(user, region=region, grid=grid, indexed=False).filter(phone_visit_q())
            .select_related("category", "region", "grid").defer("grid__boundary", "region__boundary")
            .annotate(calls=Coalesce(Subquery(
                Transition.objects.filter(case=OuterRef("pk"), action="visit_call").order_by()
                .values("case").annotate(n=Count("id")).values("n")[:1]), 0))
            .order_by(F("closed_at").asc(nulls_last=True), "id"))


def phone_visits(user: User, cases: list[Case]) -> list[PhoneVisit]:
    """A page of the list, each case with whether the reader may record its call."""
    return [PhoneVisit(c, c.calls, can_steer(user, c)) for c in cases]  # type: ignore[attr-defined]




@keeps("take_part")
def _take_part_count(user: User, *, region: Region | None, grid: Grid | None, start: str, end: str) -> TakePart:
    return take_part_for_user(user, start=dt.datetime.fromisoformat(start), end=dt.datetime.fromisoformat(end),
                              region=region, grid=grid)


def take_part_kept(user: User, *, start: dt.datetime, end: dt.datetime, region: Region | None = None,
                   grid: Grid | None = None) -> Kept[TakePart]:
    """``take_part_for_user``, kept a minute where it is slow to count (``centre.kept``); the 电话回访 list
    beside it is read live."""
    return kept("take_part", user, region=region, grid=grid, start=start.isoformat(), end=end.isoformat())
