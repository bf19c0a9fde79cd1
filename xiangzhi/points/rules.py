"""Who may do what with household points. Recording and reviewing are different people (seed 003:
积分管理员 and 监督员): nobody decides an entry they recorded or one of their own household."""

from xiangzhi.accounts.models import Role
from xiangzhi.accounts.rules import has_role

# 一日一记录: recorders, grid staff and village cadres; each rule may narrow this further.
RECORDER_ROLES = frozenset({Role.POINTS_RECORDER, Role.VILLAGE_CADRE, Role.GRID_CHIEF, Role.GRID_WORKER})
# 一月一审核: the village's supervisor and cadres, and township or county staff above them.
REVIEWER_ROLES = frozenset({Role.POINTS_SUPERVISOR, Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})
# Rankings and participation compare villages and households: staff who stand on a region.
RANKING_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.POINTS_RECORDER,
                           Role.POINTS_SUPERVISOR})
# Installing a rulebook for a township.
RULEBOOK_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})

can_record = has_role(*RECORDER_ROLES)
can_review = has_role(*REVIEWER_ROLES)
can_see_rankings = has_role(*RANKING_ROLES)
can_install_rulebook = has_role(*RULEBOOK_ROLES)


def may_record_rule(user, rule_roles: list[str]) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in rule_roles)


def why_not_decide(user, entry) -> str | None:
    """Why ``user`` may not decide on ``entry`` (approve, reject, reverse), or None if they may.
    Scope is checked by the caller, through the selector."""
    if not can_review(user):
        return "只有积分监督员、村两委和乡镇、区县管理人员可以审核积分"
    if entry.recorder_id is not None and entry.recorder_id == user.pk:
        return "不能审核自己记录的积分"
    if user.household_id and user.household_id == entry.household_id:
        return "不能审核本户的积分"
    return None
