"""The case lifecycle as data: which action moves a case from which states to which state.

    reported → accepted | rejected
    accepted → dispatched → in_progress → handled → verified → closed → evaluated → archived
    handled --verify fail (返工)--> in_progress
    open --escalate/hand_back/reassign--> dispatched;  open --suspend--> suspended --resume--> back
    reported/accepted --merge--> merged (closes with the case it was merged into)
"""

from xiangzhi.cases.models import HandlingLevel, Status
from xiangzhi.core.errors import Conflict

S = Status
OPEN = (S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS)

# action: (allowed from, to). ``None`` as target means "decided by the service" (resume, evaluate).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "accept": ((S.REPORTED,), S.ACCEPTED),
    "reject": ((S.REPORTED,), S.REJECTED),
    "dispatch": ((S.ACCEPTED, S.DISPATCHED), S.DISPATCHED),
    "start": ((S.DISPATCHED,), S.IN_PROGRESS),
    "handle": ((S.IN_PROGRESS,), S.HANDLED),
    "verify_pass": ((S.HANDLED,), S.VERIFIED),
    "verify_fail": ((S.HANDLED,), S.IN_PROGRESS),
    "close": ((S.VERIFIED,), S.CLOSED),
    "evaluate": ((S.CLOSED,), None),
    "archive": ((S.EVALUATED, S.CLOSED), S.ARCHIVED),
    "escalate": ((S.REPORTED, *OPEN), S.DISPATCHED),
    "hand_back": ((S.DISPATCHED, S.IN_PROGRESS), S.DISPATCHED),
    "reassign": ((S.DISPATCHED, S.IN_PROGRESS), S.DISPATCHED),
    "suspend": (OPEN, S.SUSPENDED),
    "resume": ((S.SUSPENDED,), None),
    "supervise": ((S.REPORTED, *OPEN, S.HANDLED, S.SUSPENDED), None),
    "merge": ((S.REPORTED, S.ACCEPTED), S.MERGED),
    "close_merged": ((S.MERGED,), S.CLOSED),
}

ACTION_NAMES = {
    "report": "上报", "accept": "受理", "reject": "不予受理", "dispatch": "派遣", "start": "开始处置",
    "handle": "处置完毕", "verify_pass": "核查通过", "verify_fail": "核查不通过（返工）", "close": "结案",
    "evaluate": "评价", "archive": "归档", "escalate": "上报上级（吹哨）", "hand_back": "回退下级",
    "reassign": "改派", "suspend": "缓办", "resume": "恢复办理", "supervise": "督办", "merge": "合并",
    "close_merged": "随主件结案", "reopen": "不满意重新核查", "overdue": "超时", "warn": "即将超时",
}

# Escalation climbs grid → village → township → county. A department sits beside its township:
# escalating from a department goes to the level above that township.
LADDER = [HandlingLevel.GRID, HandlingLevel.VILLAGE, HandlingLevel.TOWNSHIP, HandlingLevel.COUNTY]


class TransitionError(Conflict):
    """An action the case's state does not allow, with the reason in Chinese."""

    code = "illegal_transition"


def target_of(action: str, status: str) -> str | None:
    allowed, target = TRANSITIONS[action]
    if status not in allowed:
        names = dict(Status.choices)
        raise TransitionError(
            f"“{names.get(status, status)}”状态的事件不能{ACTION_NAMES.get(action, action)}"
        )
    return target


def level_up(level: str) -> str | None:
    if level == HandlingLevel.DEPARTMENT:
        return HandlingLevel.COUNTY
    i = LADDER.index(level)
    return LADDER[i + 1] if i + 1 < len(LADDER) else None


def level_down(level: str) -> str | None:
    if level == HandlingLevel.DEPARTMENT:
        return HandlingLevel.TOWNSHIP
    i = LADDER.index(level)
    return LADDER[i - 1] if i > 0 else None
