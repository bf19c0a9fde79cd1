import datetime as dt

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from xiangzhi.activities import selectors, services
from xiangzhi.activities.errors import ActivityError
from xiangzhi.activities.models import Activity, ActivitySignup
from xiangzhi.activities.rules import can_award, can_compare, can_organise, can_view
from xiangzhi.core.errors import NotFound, field_error
from xiangzhi.core.inputs import require
from xiangzhi.people.models import Resident
from xiangzhi.people.selectors import household_get_for_user
from xiangzhi.points.selectors import comparison_region_for_user, rule_get_in_force
from xiangzhi.regions.models import Region, RegionLevel

router = Router(tags=["志愿服务活动"])


# --- schemas ----------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    village: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    title: str
    description: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int | None = Field(..., description="名额（人），为空表示不限")
    places_left: int | None
    rule: str = Field(..., alias="rule.code")
    rule_name: str = Field(..., alias="rule.name")
    category_name: str = Field(..., alias="rule.category.name")
    points: int = Field(..., description="签到的每户所得积分")
    state: str
    state_name: str = Field(..., alias="get_state_display")
    signup_open: bool = Field(..., alias="is_signup_open")
    signed_up_households: int
    signed_up_people: int
    checked_in_households: int
    checked_in_people: int
    my_signup_id: int | None = Field(..., description="当前用户本户的报名 id")
    created_at: dt.datetime
    awarded_at: dt.datetime | None
    cancel_reason: str


class ActivityIn(Schema):
    village: str = Field(..., description="村/社区区划代码")
    title: str = Field(..., max_length=services.TITLE_MAX)
    description: str = Field("", max_length=services.DESCRIPTION_MAX)
    place: str = Field(..., max_length=services.PLACE_MAX)
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int | None = Field(None, ge=1, le=services.MAX_CAPACITY, description="名额（人），不填为不限")
    rule: str = Field("volunteer_activity", description="积分细则条目代码（须为加分项）")
    points: int | None = Field(None, ge=1, description="每户积分，不填按细则分值，不能超过")


class SignupOut(Schema):
    id: int
    household_id: int
    household_number: str = Field(..., alias="household.number")
    head_name: str = Field(..., alias="household.head_name")
    grid: str = Field(..., alias="household.grid.name")
    attendee: str
    people: int
    signed_up_at: dt.datetime
    checked_in: bool
    checked_in_at: dt.datetime | None
    award_entry_id: int | None
    award_status: str | None
    award_note: str

    @staticmethod
    def resolve_checked_in(obj):
        return obj.checked_in_at is not None

    @staticmethod
    def resolve_award_status(obj):
        return obj.award_entry.status if obj.award_entry_id else None


class SignupIn(Schema):
    household: int | None = Field(None, description="户 id；村民不填即为本户")
    resident: int | None = Field(None, description="参加人（该户成员）id")
    people: int = Field(1, ge=1, le=services.MAX_PEOPLE, description="本户参加人数")


class CheckInIn(Schema):
    signups: list[int] = Field(..., min_length=1, max_length=2000, description="报名 id")


class CheckInOut(Schema):
    checked_in: int = Field(..., description="本次新签到的户数")
    activity: ActivityOut


class CancelIn(Schema):
    reason: str = Field(..., max_length=services.REASON_MAX)


class SkippedOut(Schema):
    signup_id: int
    household_id: int
    head_name: str
    reason: str


class AwardOut(Schema):
    activity: ActivityOut
    awarded_households: int
    points_each: int
    entry_ids: list[int]
    skipped: list[SkippedOut]


class VillageVolunteerOut(Schema):
    code: str
    name: str
    households: int
    activities: int
    person_times: int = Field(..., description="签到人次")
    household_times: int = Field(..., description="签到户次")
    participating: int = Field(..., description="参加过的户数")
    participation_rate: float | None = Field(..., description="参加过的户 ÷ 户数，百分比")
    per_household: float | None = Field(..., description="户均人次")


class VolunteerTableOut(Schema):
    region: str
    region_name: str
    year: int
    villages: list[VillageVolunteerOut]


# --- helpers ----------------------------------------------------------------------------------


def _activity(request, activity_id: int) -> Activity:
    return selectors.activity_get_for_user(request.user, activity_id)


def _village(user, code: str) -> Region:
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).defer("boundary").first()
    if village is None or not selectors.covers_village(user, village):
        raise NotFound()
    return village


def _rule(village: Region, code: str, on: dt.date):
    rule = rule_get_in_force(village, code, on)
    if rule is None:
        raise ActivityError(f"未知的细则条目：{code}", fields=field_error("rule", "不存在"))
    return rule


def _signup(request, activity: Activity, signup_id: int) -> ActivitySignup:
    signup = selectors.signup_get_for_user(request.user, activity, signup_id)
    signup.activity = activity
    return signup


# --- endpoints --------------------------------------------------------------------------------


@router.get("", response=list[ActivityOut], summary="志愿服务活动（村民：本村；工作人员：管辖范围）")
@paginate(PageNumberPagination, page_size=30, max_page_size=200)
def activity_list(request, village: str | None = None, state: str | None = None, upcoming: bool | None = None):
    require(can_view(request.user), "无权查看志愿服务活动")
    village_obj = Region.objects.filter(code=village).first() if village else None
    if village and village_obj is None:
        return Activity.objects.none()
    return selectors.activity_list_for_user(request.user, village=village_obj, state=state, upcoming=upcoming)


@router.post("", response={201: ActivityOut}, summary="发起活动")
def activity_create(request, payload: ActivityIn):
    user = request.user
    require(can_organise(user), services.ORGANISER_ONLY)
    village = _village(user, payload.village)
    activity = services.activity_create(
        actor=user, village=village, title=payload.title, description=payload.description, place=payload.place,
        starts_at=payload.starts_at, ends_at=payload.ends_at, capacity=payload.capacity,
        rule=_rule(village, payload.rule, services.local_day(payload.starts_at)), points=payload.points,
    )
    return Status(201, _activity(request, activity.pk))


# Declared before /{activity_id}, whose path would otherwise take "villages" for an id.
@router.get("/villages", response=VolunteerTableOut, summary="各村志愿服务对比（人次、参与率）")
def village_table(request, region: str | None = None, year: int | None = None):
    user = request.user
    require(can_compare(user), "无权查看各村对比")
    node = comparison_region_for_user(user, region, selectors.compare_region_list_for_user(user))
    year = year or timezone.localdate().year
    rows = selectors.village_volunteer_table(node, year)
    return {
        "region": node.code, "region_name": node.name, "year": year,
        "villages": [
            {"code": r.village.code, "name": r.village.name, "households": r.households, "activities": r.activities,
             "person_times": r.person_times, "household_times": r.household_times, "participating": r.participating,
             "participation_rate": r.participation_rate, "per_household": r.per_household}
            for r in rows
        ],
    }


@router.get("/{activity_id}", response=ActivityOut, summary="一次活动")
def activity_get(request, activity_id: int):
    return _activity(request, activity_id)


@router.get("/{activity_id}/signups", response=list[SignupOut],
            summary="报名名单（本村工作人员看全部，村民看本户）")
def signup_list(request, activity_id: int):
    activity = _activity(request, activity_id)
    return list(selectors.signup_list_for_user(request.user, activity))


@router.post("/{activity_id}/close", response=ActivityOut, summary="截止报名")
def activity_close(request, activity_id: int):
    services.activity_close(actor=request.user, activity=_activity(request, activity_id))
    return _activity(request, activity_id)


@router.post("/{activity_id}/cancel", response=ActivityOut, summary="取消活动（须填原因）")
def activity_cancel(request, activity_id: int, payload: CancelIn):
    services.activity_cancel(actor=request.user, activity=_activity(request, activity_id), reason=payload.reason)
    return _activity(request, activity_id)


@router.post("/{activity_id}/signups", response={201: SignupOut},
             summary="报名（村民为本户；工作人员可代管辖范围内的户报名）")
def activity_signup(request, activity_id: int, payload: SignupIn):
    user = request.user
    activity = _activity(request, activity_id)
    household = household_get_for_user(user, payload.household) if payload.household is not None else None
    resident = None
    if payload.resident is not None:
        resident = Resident.objects.filter(pk=payload.resident).first()
        if resident is None:
            raise ActivityError("参加人不存在", fields=field_error("resident", "不存在"))
    signup = services.activity_signup(actor=user, activity=activity, household=household, resident=resident,
                                      people=payload.people)
    return Status(201, _signup(request, activity, signup.pk))


@router.post("/{activity_id}/signups/{signup_id}/withdraw", response=SignupOut, summary="取消报名")
def signup_withdraw(request, activity_id: int, signup_id: int):
    activity = _activity(request, activity_id)
    signup = _signup(request, activity, signup_id)
    return services.signup_withdraw(actor=request.user, signup=signup)


@router.post("/{activity_id}/signups/{signup_id}/undo-check-in", response=SignupOut, summary="撤销签到（记分前）")
def signup_undo_check_in(request, activity_id: int, signup_id: int):
    activity = _activity(request, activity_id)
    require(can_organise(request.user), services.ORGANISER_ONLY)
    services.signup_check_in_undo(actor=request.user, signup=_signup(request, activity, signup_id))
    return _signup(request, activity, signup_id)


@router.post("/{activity_id}/check-in", response=CheckInOut, summary="签到（一户或多户）")
def activity_check_in(request, activity_id: int, payload: CheckInIn):
    user = request.user
    activity = _activity(request, activity_id)
    require(can_organise(user), services.ORGANISER_ONLY)
    found = list(selectors.signup_list_for_user(user, activity).filter(pk__in=payload.signups))
    if len(found) != len(set(payload.signups)):
        missing = sorted(set(payload.signups) - {s.pk for s in found})
        raise ActivityError(f"以下报名不存在或已取消：{', '.join(map(str, missing[:20]))}",
                            fields=field_error("signups", "不存在"))
    n = services.activity_check_in(actor=user, activity=activity, signups=found)
    return {"checked_in": n, "activity": _activity(request, activity_id)}


@router.post("/{activity_id}/award", response=AwardOut,
             summary="一键记分（每次活动一次；签到的户各得活动积分，待月度审核）")
def activity_award(request, activity_id: int):
    activity = _activity(request, activity_id)
    require(can_award(request.user), services.AWARDER_ONLY)
    result = services.activity_award(actor=request.user, activity=activity)
    return {
        "activity": _activity(request, activity_id),
        "awarded_households": len(result.entries),
        "points_each": activity.points,
        "entry_ids": [e.pk for e in result.entries],
        "skipped": [{"signup_id": s.pk, "household_id": s.household_id, "head_name": s.household.head_name,
                     "reason": reason} for s, reason in result.skipped],
    }
