"""One table from action names (as used in URLs and forms) to services and the inputs they take,
so the API and the pages offer exactly the same actions."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from xiangzhi.cases import rules, services
from xiangzhi.cases.errors import CaseError
from xiangzhi.cases.models import Case, Category, Status
from xiangzhi.cases.rules import TRANSITIONS
from xiangzhi.core.errors import NotFound


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    needs_note: bool = False
    style: str = "primary"


ACTIONS = {
    "accept": Action("accept", "受理"),
    "accept_self": Action("accept_self", "受理并自办"),
    "reject": Action("reject", "不予受理", needs_note=True, style="outline-danger"),
    "dispatch": Action("dispatch", "派遣"),
    "start": Action("start", "开始处置"),
    "handle": Action("handle", "提交处置结果", needs_note=True, style="success"),
    "verify_pass": Action("verify_pass", "核查通过并结案", style="success"),
    "verify_fail": Action("verify_fail", "核查不通过（返工）", needs_note=True, style="outline-danger"),
    "evaluate": Action("evaluate", "评价"),
    "archive": Action("archive", "归档", style="outline-secondary"),
    "escalate": Action("escalate", "上报上级（吹哨）", needs_note=True, style="warning"),
    "hand_back": Action("hand_back", "回退下级", needs_note=True, style="outline-secondary"),
    "reassign": Action("reassign", "改派", style="outline-secondary"),
    "suspend": Action("suspend", "缓办", needs_note=True, style="outline-secondary"),
    "resume": Action("resume", "恢复办理", style="outline-primary"),
    "supervise": Action("supervise", "督办", needs_note=True, style="outline-danger"),
    "merge": Action("merge", "合并为重复件", style="outline-secondary"),
    "recategorise": Action("recategorise", "改类别", style="outline-secondary"),
}


def available_actions(user, case: Case) -> list[Action]:
    """What this user may do to this case now: the state allows it and the rules allow the user."""
    status = case.status
    names = []
    steer, owner = rules.can_steer(user, case), rules.is_owner(user, case)
    if status == Status.REPORTED and steer:
        names += ["accept", "reject", "merge"]
        if owner:
            names.append("accept_self")
    if status in (Status.ACCEPTED, Status.DISPATCHED) and steer:
        names.append("dispatch")
    if status in TRANSITIONS["recategorise"][0] and steer:
        names.append("recategorise")
    if status == Status.DISPATCHED and owner:
        names.append("start")
    if status == Status.IN_PROGRESS and owner:
        names.append("handle")
    if status == Status.HANDLED and rules.can_verify(user, case):
        names += ["verify_pass", "verify_fail"]
    if status == Status.CLOSED and rules.can_evaluate(user, case):
        names.append("evaluate")
    if status in (Status.EVALUATED, Status.CLOSED) and rules.can_verify(user, case):
        names.append("archive")
    if steer:
        for name in ("escalate", "hand_back", "reassign", "suspend", "resume"):
            if status in TRANSITIONS[name][0]:
                names.append(name)
    if rules.is_manager(user, case) and status in TRANSITIONS["supervise"][0]:
        names.append("supervise")
    return [ACTIONS[n] for n in dict.fromkeys(names)]


def perform(name: str, *, case: Case, actor, note: str = "", level: str | None = None, department=None,
            assignee_id: int | None = None, evaluation: str = "", into: Case | None = None, photos=(),
            category: Category | None = None) -> Case:
    """Run one named action through its service."""
    note = note or ""
    if name == "accept":
        return services.case_accept(case=case, actor=actor, note=note)
    if name == "accept_self":
        return services.case_accept(case=case, actor=actor, note=note, handle_myself=True)
    if name == "reject":
        return services.case_reject(case=case, actor=actor, reason=note)
    if name == "dispatch":
        return services.case_dispatch(case=case, actor=actor, level=level, department=department, note=note)
    if name == "start":
        return services.case_start(case=case, actor=actor, note=note)
    if name == "handle":
        return services.case_handle(case=case, actor=actor, note=note, photos=photos)
    if name == "verify_pass":
        return services.case_verify(case=case, actor=actor, passed=True, note=note, photos=photos, close=True)
    if name == "verify_fail":
        return services.case_verify(case=case, actor=actor, passed=False, note=note, photos=photos)
    if name == "close":
        return services.case_close(case=case, actor=actor, note=note)
    if name == "evaluate":
        return services.case_evaluate(case=case, actor=actor, evaluation=evaluation, comment=note)
    if name == "archive":
        return services.case_archive(case=case, actor=actor, note=note)
    if name == "escalate":
        return services.case_escalate(case=case, actor=actor, note=note, to_level=level or None)
    if name == "hand_back":
        return services.case_hand_back(case=case, actor=actor, note=note)
    if name == "reassign":
        assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
        return services.case_reassign(case=case, actor=actor, assignee=assignee, note=note)
    if name == "suspend":
        return services.case_suspend(case=case, actor=actor, reason=note)
    if name == "resume":
        return services.case_resume(case=case, actor=actor, note=note)
    if name == "supervise":
        return services.case_supervise(case=case, actor=actor, note=note)
    if name == "recategorise":
        if category is None:
            raise CaseError("请选择新的类别")
        return services.case_recategorise(case=case, actor=actor, category=category, note=note)
    if name == "merge":
        if into is None:
            raise CaseError("请指定要合并到的事件")
        return services.case_merge(case=case, into=into, actor=actor, note=note)
    raise NotFound
