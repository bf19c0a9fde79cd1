"""What each role's home page leads with: its day — what is due, overdue and new for it — read
through each app's selectors (the web shell may read any app; the apps know nothing of this page).

A grid worker's day is the grid-work day page; this module serves every other role."""

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone

from xiangzhi.accounts import selectors as accounts
from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.rules import can_decide_signups, can_manage_grids, can_read_register
from xiangzhi.activities import selectors as activities
from xiangzhi.activities.rules import can_view as can_view_activities
from xiangzhi.backups import selectors as backups
from xiangzhi.backups.rules import can_see_backups
from xiangzhi.cases import selectors as cases
from xiangzhi.core.display import day_text
from xiangzhi.disclosure import selectors as disclosure
from xiangzhi.disclosure.rules import can_screen as can_screen_disclosures
from xiangzhi.gridwork import selectors as gridwork
from xiangzhi.gridwork.rules import can_supervise
from xiangzhi.participation import selectors as participation
from xiangzhi.people import selectors as people
from xiangzhi.points import selectors as points
from xiangzhi.points.rules import can_record as can_record_points
from xiangzhi.points.rules import can_review as can_review_points
from xiangzhi.regions import selectors as regions
from xiangzhi.shop import selectors as shop
from xiangzhi.supervision import selectors as supervision
from xiangzhi.supervision.rules import can_moderate as can_moderate_questions

# How many rows a card lists before its "all" link.
CARD_ROWS = 5


@dataclass
class Task:
    """One line of the day: a count of things, how urgent, and the one tap that opens them."""

    label: str
    count: int
    url: str
    urgent: bool = False  # overdue or past its deadline: shown red
    note: str = ""  # e.g. the deadline, in words
    testid: str = ""


@dataclass
class Day:
    tasks: list[Task] = field(default_factory=list)
    context: dict = field(default_factory=dict)


def _start_of_today() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))


def _days_left(day: dt.date) -> str:
    left = (day - timezone.localdate()).days
    return "今天截止" if left == 0 else f"还有 {left} 天"


def _case_tasks(user: User) -> tuple[list[Task], list]:
    inbox = cases.inbox_for_user(user)
    total = inbox.count()
    overdue = inbox.filter(overdue_at__isnull=False).count()
    new = inbox.filter(created_at__gte=_start_of_today()).count()
    url = reverse("cases:inbox")
    tasks = [Task("待办事件", total, url, testid="task-inbox")]
    if overdue:
        tasks.append(Task("已超时事件", overdue, url, urgent=True, testid="task-overdue"))
    if new:
        tasks.append(Task("今天新到事件", new, url, testid="task-new"))
    return tasks, list(inbox[:CARD_ROWS])


def _points_review_tasks(user: User) -> list[Task]:
    waiting = points.review_queue_for_user(user).count()
    deadline = points.review_deadline_for_user(user)
    note = ""
    urgent = False
    if deadline is not None and waiting:
        note = f"{deadline.period_start.month}月积分审核截止 {day_text(deadline.closes_on)}，" \
               f"{_days_left(deadline.closes_on)}"
        urgent = (deadline.closes_on - timezone.localdate()).days <= 2
    tasks = [Task("待审核积分", waiting, reverse("points:review"), urgent=urgent, note=note, testid="task-review")]
    objections = points.objection_list_open_for_user(user).count()
    if objections:
        tasks.append(Task("待处理公示异议", objections, reverse("points:notices"), urgent=True,
                          testid="task-objections"))
    return tasks


def _question_tasks(user: User) -> list[Task]:
    """码上问 waiting for the village or township: to screen, to answer, and those past their deadline."""
    counts = supervision.question_counts_for_user(user)
    url = reverse("supervision:questions")
    tasks = []
    if counts.to_screen or counts.to_answer:
        tasks.append(Task("码上问待审核、待答复", counts.to_screen + counts.to_answer, url,
                          note=f"待审核 {counts.to_screen} 条，待答复 {counts.to_answer} 条", testid="task-questions"))
    if counts.overdue:
        tasks.append(Task("码上问已超时", counts.overdue, f"{url}?state=overdue", urgent=True,
                          testid="task-questions-overdue"))
    return tasks


def staff_day(user: User) -> Day:
    """Village cadres, township and county staff, departments, points staff, grid guides."""
    day = Day()
    if can_see_backups(user):  # a failed or missing backup: the county's data is at stake
        day.context["backup_alert"] = backups.backup_status().alert
    if user.role != Role.POINTS_RECORDER and user.role != Role.POINTS_SUPERVISOR:
        tasks, first = _case_tasks(user)
        day.tasks += tasks
        day.context["inbox_first"] = first
    if can_review_points(user):
        day.tasks += _points_review_tasks(user)
    if can_record_points(user) and user.role == Role.POINTS_RECORDER:
        today = points.entry_list_for_user(user).filter(recorder=user, recorded_at__gte=_start_of_today()).count()
        day.tasks.append(Task("今天已记积分", today, reverse("points:record"), testid="task-recorded"))
    if can_decide_signups(user):
        waiting = accounts.signup_pending_count(user)
        if waiting:
            day.tasks.append(Task("待确认的村民注册", waiting, reverse("accounts:signups"), testid="task-signups"))
    if can_moderate_questions(user):
        day.tasks += _question_tasks(user)
    if can_screen_disclosures(user):
        screening = disclosure.screening_count_for_user(user)
        if screening:
            day.tasks.append(Task("待审核的村务公开", screening, reverse("disclosure:screening"),
                                  testid="task-disclosure-screening"))
    if public := participation.screening_count_for_user(user):  # notices and polls for the public page
        day.tasks.append(Task("待审核的公开通知和调查", public, reverse("participation:screening"),
                              testid="task-participation-screening"))
    if user.role in (Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE):  # the county reads its townships' lists
        unpublished = disclosure.overdue_count_for_user(user)
        if unpublished:
            day.tasks.append(Task("逾期未公开的村务事项", unpublished, reverse("disclosure:overdue"), urgent=True,
                                  testid="task-disclosure-overdue"))
    changes = people.household_change_pending_count(user)
    if changes:
        day.tasks.append(Task("待确认的户籍变动", changes, reverse("people:changes"), testid="task-changes"))
    if can_supervise(user) and user.role != Role.DEPARTMENT_STAFF:
        late = gridwork.visits_overdue_count_for_user(user)
        if late:
            day.tasks.append(Task("逾期未走访的重点人员", late, reverse("gridwork:supervise"), urgent=True,
                                  testid="task-visits"))
    if can_manage_grids(user):
        unstaffed = regions.grids_without_worker(user)
        count = unstaffed.count()
        if count:
            day.tasks.append(Task("无在岗网格员的网格", count, reverse("regions:unstaffed"), urgent=True,
                                  testid="task-unstaffed"))
    if can_read_register(user):
        roots = list(regions.region_roots_for_user(user))
        day.context["roots"] = [(r, people.region_counts(r)) for r in roots]
    return day


def resident_day(user: User) -> Day:
    """A villager's home: his household's points and what they buy, his reports, what is on."""
    day = Day()
    day.context["my_cases"] = list(cases.case_list_for_user(user)[:CARD_ROWS])
    household_id = user.household_id
    if household_id is None:
        return day
    day.context["balance"] = points.household_balance(household_id)
    village = shop.shop_village_get_own(user)
    if village is not None:
        day.context["window"] = points.redemption_window_for(village)
        day.context["next_window"] = None if day.context["window"] else points.redemption_window_next(village)
    if can_view_activities(user):
        day.context["activities"] = list(activities.activity_list_for_user(user, upcoming=True)[:3])
    return day
