"""Who may do what with household points. Recording and reviewing are different people (seed 003:
积分管理员 and 监督员): nobody decides an entry they recorded or one of their own household, nor an
objection they filed or one about their own household."""

from xiangzhi.accounts.models import AnyUser, Role, User
from xiangzhi.accounts.rules import has_role
from xiangzhi.accounts.scope import scope_of
from xiangzhi.people.models import Household
from xiangzhi.points.models import PointsEntry, PointsNotice, PointsObjection

# 一日一记录: recorders, grid staff and village cadres; each rule may narrow this further.
RECORDER_ROLES = frozenset({Role.POINTS_RECORDER, Role.VILLAGE_CADRE, Role.GRID_CHIEF, Role.GRID_WORKER})
# 一月一审核: the village's supervisor and cadres, and township or county staff above them.
REVIEWER_ROLES = frozenset({Role.POINTS_SUPERVISOR, Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN})
# Rankings and participation compare villages and households: staff who stand on a region.
RANKING_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.POINTS_RECORDER,
                           Role.POINTS_SUPERVISOR})
# Points administrators run a township's scheme: its rulebook, its redemption windows (the
# supermarket opens in them), its yearly settlement.
ADMIN_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_STAFF})
# Staff of a village who may file an objection a villager brought them.
OBJECTION_STAFF_ROLES = frozenset({Role.VILLAGE_CADRE, Role.POINTS_RECORDER})

can_record = has_role(*RECORDER_ROLES)
can_review = has_role(*REVIEWER_ROLES)
can_see_rankings = has_role(*RANKING_ROLES)
can_administer_points = has_role(*ADMIN_ROLES)
# 积分优先: a village's cadres and points recorder publish its benefits, and so do the points
# administrators of the township (or county) above it.
BENEFIT_ROLES = frozenset({Role.VILLAGE_CADRE, Role.POINTS_RECORDER}) | ADMIN_ROLES
can_publish_benefits = has_role(*BENEFIT_ROLES)


def may_record_rule(user: AnyUser, rule_roles: list[str]) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in rule_roles)


def why_not_decide(user: User, entry: PointsEntry) -> str | None:
    """Why ``user`` may not decide on ``entry`` (approve, reject, reverse), or None if they may.
    Scope is checked by the caller, through the selector."""
    if not can_review(user):
        return "只有积分监督员、村两委和乡镇、区县管理人员可以审核积分"
    if entry.recorder_id is not None and entry.recorder_id == user.pk:
        return "不能审核自己记录的积分"
    if user.household_id and user.household_id == entry.household_id:
        return "不能审核本户的积分"
    return None


def may_object(user: AnyUser, notice: PointsNotice) -> bool:
    """Villagers of the village may question any row of its notice; village staff may file one a
    villager brought them."""
    if not user.is_authenticated:
        return False
    if user.role == Role.RESIDENT:
        return user.household_id is not None and Household.objects.filter(
            pk=user.household_id, grid__region_id=notice.village_id).exists()
    return user.role in OBJECTION_STAFF_ROLES and scope_of(user).covers_path(notice.village.path)


def why_not_resolve(user: User, objection: PointsObjection) -> str | None:
    """Why ``user`` may not answer ``objection``, or None if they may."""
    if not can_review(user):
        return "只有积分监督员、村两委和乡镇、区县管理人员可以处理异议"
    if objection.filed_by_id == user.pk:
        return "不能处理自己提出的异议"
    if user.household_id and user.household_id == objection.household_id:
        return "不能处理涉及本户的异议"
    return None
