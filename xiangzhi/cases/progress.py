"""What a villager is shown of the reports he made: their state in the words he uses (已受理, 处理中,
待评价, 已办结, 不予受理) and each step of his report in plain words, with the handler's name and unit.
Staff keep the full lifecycle (``models.Status``); a villager never sees its internal states."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from xiangzhi.accounts.models import GRID_ROLES, AnyUser, Role, User
from xiangzhi.cases.models import Case, HandlingLevel, Status, Transition

S = Status


@dataclass(frozen=True)
class ResidentState:
    key: str
    label: str
    statuses: tuple[str, ...]
    badge: str


# In the order a report goes through them; every Status falls in exactly one.
RESIDENT_STATES = (
    ResidentState("accepted", "已受理", (S.REPORTED, S.ACCEPTED), "text-bg-primary"),
    ResidentState("in_progress", "处理中", (S.DISPATCHED, S.IN_PROGRESS, S.HANDLED, S.VERIFIED, S.SUSPENDED,
                                          S.MERGED), "text-bg-warning"),
    ResidentState("to_evaluate", "待评价", (S.CLOSED,), "text-bg-info"),
    ResidentState("done", "已办结", (S.EVALUATED, S.ARCHIVED), "text-bg-success"),
    ResidentState("rejected", "不予受理", (S.REJECTED,), "text-bg-secondary"),
)
_BY_STATUS = {status: state for state in RESIDENT_STATES for status in state.statuses}
_BY_KEY = {state.key: state for state in RESIDENT_STATES}
RESIDENT_STATE_CHOICES = [(s.key, s.label) for s in RESIDENT_STATES]


def sees_residents_words(user: AnyUser) -> bool:
    """Villagers see their reports in their own words; every staff role keeps the lifecycle's."""
    return user.is_authenticated and user.role == Role.RESIDENT


def resident_state(case: Case) -> ResidentState:
    return _BY_STATUS[case.status]


def resident_filter(cases: QuerySet[Case], key: str | None) -> QuerySet[Case]:
    """Narrow a villager's list to one of his states; an unknown key narrows nothing."""
    state = _BY_KEY.get(key or "")
    return cases.filter(status__in=state.statuses) if state else cases


def status_choices_for(user: User) -> list[tuple[str, str]]:
    return RESIDENT_STATE_CHOICES if sees_residents_words(user) else list(Status.choices)


# --- the reporter's progress page ---------------------------------------------------------------

_LEVEL_WORDS: dict[str, str] = {
    HandlingLevel.GRID: "网格员", HandlingLevel.VILLAGE: "村委会", HandlingLevel.TOWNSHIP: "乡镇（街道）",
    HandlingLevel.DEPARTMENT: "职能部门", HandlingLevel.COUNTY: "区县",
}
# What happened, as the villager would say it. A step taken by the system (no actor) has its own words.
_WORDS = {
    "report": "提交了反映",
    "accept": "受理了您的反映",
    "reject": "不予受理",
    "dispatch": "安排{to}处理",
    "start": "开始处理",
    "handle": "处理完毕，提交了处理结果",
    "verify_pass": "到现场核查：问题已解决",
    "verify_fail": "到现场核查：还没有处理好，要求重新处理",
    "close": "办结了您的反映",
    "evaluate": "作出了评价",
    "reopen": "表示不满意，已请工作人员重新核查",
    "archive": "办理记录已存档",
    "escalate": "转交{to}处理",
    "hand_back": "转交{to}处理",
    "reassign": "更换了办理人",
    "suspend": "暂缓办理",
    "resume": "恢复办理",
    "supervise": "上级督促加快办理",
    "merge": "与同一问题的其他反映合并办理",
    "close_merged": "随同一问题的反映一并办结",
}
_SYSTEM_WORDS = {
    "accept": "自动受理",
    "escalate": "超过办理时限，自动转交{to}处理",
    "warn": "提醒办理人员：办理时限快到了",
    "overdue": "超过了办理时限，已督促办理人员",
    "archive": "办理记录已存档",
}
# Whose note the villager reads: the reason he was refused or kept waiting, the result, his own words.
_NOTE_SHOWN = {"reject", "handle", "verify_fail", "suspend", "evaluate", "reopen", "merge"}
RESULT_ACTIONS = ("handle", "verify_pass", "verify_fail")


@dataclass
class Step:
    at: object
    text: str
    who: str  # 您, 系统, or the handler's name
    unit: str = ""
    note: str = ""
    photo_ids: list[int] = field(default_factory=list)


def _unit_of(actor: User, case: Case) -> str:
    """Where the handler works, as a villager would name it: the department, or the village,
    township or county and the handler's role there."""
    if actor.department_id and actor.department is not None:
        return actor.department.name
    if actor.role in GRID_ROLES:  # the worker of the village where the problem is
        return f"{case.region.name} {actor.get_role_display()}"
    if actor.region_id and actor.region is not None:
        return f"{actor.region.name} {actor.get_role_display()}"
    return actor.get_role_display()


def _name_of(actor: User) -> str:
    name = (actor.full_name or "").strip()
    return name or "工作人员"


def step_list(case: Case, transitions: Iterable[Transition], *, viewer: User,
              photo_ids_by_transition: dict[int | None, list[int]] | None = None) -> list[Step]:
    """Every step of the case in order, as its reporter reads it. Logins never appear: a handler is
    named by his name (or 工作人员 when the account has none) and unit."""
    photos = photo_ids_by_transition or {}
    steps = []
    for t in transitions:
        to = _LEVEL_WORDS.get(t.to_level, "")
        if t.action == "dispatch" and t.department_id and t.department is not None:
            to = t.department.name
        if t.actor_id is None:
            words, who, unit = _SYSTEM_WORDS.get(t.action) or _WORDS.get(t.action, "办理"), "系统", ""
        elif t.actor_id == viewer.pk:
            words, who, unit = _WORDS.get(t.action, "办理"), "您", ""
        else:
            assert t.actor is not None
            words, who, unit = _WORDS.get(t.action, "办理"), _name_of(t.actor), _unit_of(t.actor, case)
        if t.action == "dispatch" and t.note == "自办自结":
            words = "由受理人直接处理"
        steps.append(Step(
            at=t.created_at, text=words.format(to=to or "相关人员"), who=who, unit=unit,
            note=t.note if t.action in _NOTE_SHOWN else "", photo_ids=photos.get(t.pk, []),
        ))
    return steps


def result_photo_ids(transitions: Iterable[Transition],
                     photo_ids_by_transition: dict[int | None, list[int]]) -> list[int]:
    """The photos of the result: taken when the case was handled or checked on site."""
    return [pk for t in transitions if t.action in RESULT_ACTIONS for pk in photo_ids_by_transition.get(t.pk, [])]
