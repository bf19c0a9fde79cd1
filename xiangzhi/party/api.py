"""党组织 over the API: branches, groups (with the grids they serve), members and duty posts, scoped
like the pages; writes through the same services."""

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.core.errors import NotFound
from xiangzhi.core.inputs import require
from xiangzhi.party import rules, selectors, services
from xiangzhi.party.models import DutyPostKind, GroupActivityKind
from xiangzhi.people.selectors import resident_get_for_user
from xiangzhi.regions.selectors import region_filter_for_user

router = Router(tags=["党组织"])


class BranchOut(Schema):
    id: int
    name: str
    village_code: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    secretary_name: str | None = Field(None, description="支部书记姓名")
    founded_on: dt.date | None

    @staticmethod
    def resolve_secretary_name(obj) -> str | None:
        return obj.secretary.name if obj.secretary else None


class GroupGridOut(Schema):
    id: int
    grid_code: str = Field(..., alias="grid.code")
    grid_name: str = Field(..., alias="grid.name")
    started_on: dt.date


class GroupOut(Schema):
    id: int
    name: str
    branch_id: int
    village_code: str = Field(..., alias="branch.village.code")
    leader_name: str | None = Field(None, description="党小组长姓名")
    grids: list[GroupGridOut] = Field(..., alias="grids_in_post", description="正在服务的网格")

    @staticmethod
    def resolve_leader_name(obj) -> str | None:
        return obj.leader.name if obj.leader else None


class PostOut(Schema):
    id: int
    membership_id: int
    member_name: str = Field(..., alias="membership.resident.name")
    kind: str = Field(..., alias="kind.code")
    kind_name: str = Field(..., alias="kind.name")
    duties: str
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str


class MemberPostOut(Schema):
    id: int
    kind: str = Field(..., alias="kind.code")
    kind_name: str = Field(..., alias="kind.name")
    duties: str


class MemberOut(Schema):
    id: int
    resident_id: int
    name: str = Field(..., alias="resident.name")
    group_id: int
    group_name: str = Field(..., alias="group.name")
    is_away: bool = Field(..., alias="resident.is_away", description="在外党员")
    away_place: str = Field(..., alias="resident.away_place", description="在外党员所在地")
    joined_on: dt.date
    left_on: dt.date | None
    leave_reason: str
    posts: list[MemberPostOut] = Field(..., alias="posts_in_post", description="在岗的岗位")


class MemberIn(Schema):
    group_id: int
    resident_id: int = Field(..., description="居民 id（须为本村在册党员）")
    joined_on: dt.date | None = None


class EndIn(Schema):
    reason: str = Field(..., description="原因（必填）")
    ended_on: dt.date | None = None


class PostIn(Schema):
    membership_id: int
    kind: str = Field(..., description="岗位代码，如 policy、sanitation、mediation、contact")
    duties: str = Field(..., description="岗位职责")
    started_on: dt.date | None = None


class ActivityOut(Schema):
    id: int
    group_id: int
    group_name: str = Field(..., alias="group.name")
    village_code: str = Field(..., alias="group.branch.village.code")
    held_on: dt.date
    kind: str
    kind_name: str = Field(..., description="类型名称")
    title: str
    attendees: int = Field(..., description="参加党员人数")
    note: str
    recorded_by_name: str | None = Field(None, description="登记人姓名")

    @staticmethod
    def resolve_kind_name(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_recorded_by_name(obj) -> str | None:
        return (obj.recorded_by.full_name or "工作人员") if obj.recorded_by else None


class ActivityIn(Schema):
    group_id: int
    held_on: dt.date = Field(..., description="活动日期（不能晚于今天）")
    kind: str = Field(..., description="类型：" + "、".join(f"{v}（{n}）" for v, n in GroupActivityKind.choices))
    title: str = Field(..., description="活动主题（必填）")
    attendees: int = Field(..., description="参加党员人数（不超过本组现有党员）")
    note: str = ""


def _readable(request) -> None:
    require(rules.can_view_party(request.user), "无权查看党组织")


@router.get("/branches", response=list[BranchOut], summary="党支部（按权限范围）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def branch_list(request, region: str | None = None):
    _readable(request)
    return selectors.branch_list_for_user(request.user, region=region_filter_for_user(request.user, region))


@router.get("/groups", response=list[GroupOut], summary="党小组及其服务的网格（按权限范围）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def group_list(request, region: str | None = None):
    _readable(request)
    return selectors.group_list_for_user(request.user, region=region_filter_for_user(request.user, region))


@router.get("/members", response=list[MemberOut], summary="党小组成员（含在外党员；默认只列在组的）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def member_list(request, region: str | None = None, group_id: int | None = None, active: bool = True):
    _readable(request)
    group = selectors.group_get_for_user(request.user, group_id) if group_id else None
    return selectors.membership_list_for_user(request.user, region=region_filter_for_user(request.user, region),
                                              group=group, active=active)


@router.post("/members", response={201: MemberOut}, summary="编入党小组（一名党员同一时间只在一个党小组）")
def member_add(request, payload: MemberIn):
    _readable(request)
    group = selectors.group_get_for_user(request.user, payload.group_id)
    resident = resident_get_for_user(request.user, payload.resident_id)
    made = services.membership_add(group=group, resident=resident, joined_on=payload.joined_on, actor=request.user)
    return Status(201, selectors.membership_list_for_user(request.user, active=None).get(pk=made.pk))


@router.post("/members/{membership_id}/end", response=MemberOut, summary="离开党小组（须写原因，在岗岗位一并结束）")
def member_end(request, membership_id: int, payload: EndIn):
    _readable(request)
    membership = selectors.membership_get_for_user(request.user, membership_id)
    services.membership_end(membership=membership, reason=payload.reason, left_on=payload.ended_on,
                            actor=request.user)
    return selectors.membership_list_for_user(request.user, active=None).get(pk=membership.pk)


@router.get("/posts", response=list[PostOut], summary="设岗定责（默认只列在岗的）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def post_list(request, region: str | None = None, active: bool = True):
    _readable(request)
    return selectors.duty_post_list_for_user(request.user, region=region_filter_for_user(request.user, region),
                                             active=active)


@router.post("/posts", response={201: PostOut}, summary="为党员设岗")
def post_assign(request, payload: PostIn):
    _readable(request)
    membership = selectors.membership_get_for_user(request.user, payload.membership_id)
    kind = DutyPostKind.objects.filter(code=payload.kind).first()
    if kind is None:
        raise NotFound("没有这个岗位")
    return Status(201, services.duty_post_assign(membership=membership, kind=kind, duties=payload.duties,
                                                 started_on=payload.started_on, actor=request.user))


@router.post("/posts/{post_id}/end", response=PostOut, summary="结束岗位（须写原因）")
def post_end(request, post_id: int, payload: EndIn):
    _readable(request)
    post = selectors.duty_post_get_for_user(request.user, post_id)
    return services.duty_post_end(post=post, reason=payload.reason, ended_on=payload.ended_on, actor=request.user)


@router.get("/activities", response=list[ActivityOut], summary="党小组活动（按权限范围，最近的在前）")
@paginate(PageNumberPagination, page_size=100, max_page_size=500)
def activity_list(request, region: str | None = None, group_id: int | None = None, start: dt.date | None = None,
                  end: dt.date | None = None):
    _readable(request)
    group = selectors.group_get_for_user(request.user, group_id) if group_id else None
    return selectors.group_activity_list_for_user(request.user, region=region_filter_for_user(request.user, region),
                                                  group=group, start=start, end=end)


@router.post("/activities", response={201: ActivityOut}, summary="登记党小组活动")
def activity_record(request, payload: ActivityIn):
    _readable(request)
    group = selectors.group_get_for_user(request.user, payload.group_id)
    made = services.group_activity_record(group=group, held_on=payload.held_on, kind=payload.kind,
                                          title=payload.title, attendees=payload.attendees, note=payload.note,
                                          actor=request.user)
    return Status(201, selectors.group_activity_list_for_user(request.user).get(pk=made.pk))
