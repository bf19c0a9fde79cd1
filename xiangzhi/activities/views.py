import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.activities import selectors, services
from xiangzhi.activities.errors import ActivityError
from xiangzhi.activities.models import LIVE_STATES, Activity
from xiangzhi.activities.rules import can_award, can_compare, can_organise, can_sign_up_others, can_view
from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.inputs import form_int, require
from xiangzhi.people.models import Household
from xiangzhi.people.selectors import household_get_for_user
from xiangzhi.points.selectors import comparison_place_for_user, participation_rate, rule_get_in_force

PAST_PAGE = 20
TITLE_IDEAS = ("清扫村道", "关爱孤寡老人", "义务植树", "防汛巡河", "文明劝导", "垃圾分类宣传", "助老助残")


def _moment(value: str | None, label: str) -> dt.datetime:
    try:
        return services.aware(dt.datetime.fromisoformat(value or ""))
    except ValueError:
        raise ActivityError(f"请填写{label}") from None


# --- 活动列表 ---------------------------------------------------------------------------------


@login_required
def activity_list(request):
    """Villagers: their village's coming activities and their own sign-ups. Staff: their villages'
    coming activities, then the past ones."""
    user = request.user
    require(can_view(user))
    upcoming = list(selectors.activity_list_for_user(user, upcoming=True))
    past = selectors.activity_list_for_user(user, upcoming=False)
    mine = list(selectors.signup_list_for_household(user.household_id)[:30]) if user.household_id else []
    return render(request, "activities/list.html", {
        "upcoming": upcoming, "past": Paginator(past, PAST_PAGE).get_page(request.GET.get("page")), "mine": mine,
        "participation": selectors.household_participation(user.household_id) if user.household_id else None,
        "may_organise": can_organise(user), "may_compare": can_compare(user),
    })


# --- 发起活动 ---------------------------------------------------------------------------------


@login_required
def activity_new(request):
    user = request.user
    require(can_organise(user))
    villages = selectors.village_list_for_organiser(user)
    form = request.POST if request.method == "POST" else request.GET
    village = None
    if code := form.get("village"):
        village = next((v for v in villages if v.code == code), None)
        if village is None:
            raise NotFound()
    elif villages:
        village = villages[0]
    if request.method == "POST":
        try:
            if village is None:
                raise ActivityError("请选择村/社区")
            starts_at = _moment(request.POST.get("starts_at"), "开始时间")
            ends_at = _moment(request.POST.get("ends_at"), "结束时间")
            rule = rule_get_in_force(village, request.POST.get("rule", ""), services.local_day(starts_at))
            if rule is None:
                raise ActivityError("请选择积分细则条目")
            activity = services.activity_create(
                actor=user, village=village, title=request.POST.get("title", ""),
                place=request.POST.get("place", ""), description=request.POST.get("description", ""),
                starts_at=starts_at, ends_at=ends_at, capacity=form_int(request.POST.get("capacity")), rule=rule,
                points=form_int(request.POST.get("points")),
            )
        except Invalid as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已发起活动：{activity.title}")
            return redirect("activities:detail", activity_id=activity.pk)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return render(request, "activities/new.html", {
        "villages": villages, "village": village, "form": form if request.method == "POST" else {},
        "rules": selectors.award_rule_list_for_village(village) if village else [], "ideas": TITLE_IDEAS,
        "default_start": f"{tomorrow.isoformat()}T08:30", "default_end": f"{tomorrow.isoformat()}T11:00",
    })


# --- 一次活动 ---------------------------------------------------------------------------------


def _detail_context(request, activity: Activity) -> dict:
    user = request.user
    staff = selectors.covers_village(user, activity.village)
    signups = list(selectors.signup_list_for_user(user, activity))
    checked_in = [s for s in signups if s.checked_in_at]
    may_sign_up_others = staff and can_sign_up_others(user) and activity.is_signup_open
    return {
        "activity": activity, "signups": signups, "staff": staff,
        "my_signup": selectors.signup_get_for_household(activity, user.household_id),
        "may_organise": staff and can_organise(user), "may_award": staff and can_award(user),
        "may_sign_up_others": may_sign_up_others,
        "households": selectors.household_list_for_signup(user, activity) if may_sign_up_others else [],
        "checked_in": len(checked_in), "checked_in_people": sum(s.people for s in checked_in),
        "award_total": len(checked_in) * activity.points,
        "own_household_here": bool(user.household_id) and Household.objects.filter(
            pk=user.household_id, grid__region_id=activity.village_id).exists(),
    }


@login_required
def activity_detail(request, activity_id: int):
    activity = selectors.activity_get_for_user(request.user, activity_id)
    return render(request, "activities/detail.html", _detail_context(request, activity))


def _act(request, activity_id: int, work, done: str):
    """Run one service for a POSTed form and come back to the activity with its outcome."""
    activity = selectors.activity_get_for_user(request.user, activity_id)
    try:
        message = work(activity) or done
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("activities:detail", activity_id=activity.pk)


@login_required
@require_POST
def activity_signup(request, activity_id: int):
    user = request.user

    def work(activity):
        household = None
        if household_id := form_int(request.POST.get("household")):
            household = household_get_for_user(user, household_id)
        signup = services.activity_signup(actor=user, activity=activity, household=household,
                                          people=form_int(request.POST.get("people")) or 1)
        return f"已报名：{signup.household.head_name}户 {signup.people} 人"

    return _act(request, activity_id, work, "已报名")


@login_required
@require_POST
def signup_withdraw(request, activity_id: int, signup_id: int):
    def work(activity):
        signup = selectors.signup_get_for_user(request.user, activity, signup_id)
        signup.activity = activity
        services.signup_withdraw(actor=request.user, signup=signup)
        return f"已取消 {signup.household.head_name}户的报名"

    return _act(request, activity_id, work, "已取消报名")


@login_required
@require_POST
def signup_check_in(request, activity_id: int, signup_id: int):
    """A tap on a row of the sign-up list: present (``present=1``) or not (``present=0``). With htmx
    the row comes back in its new state; without, the page."""
    user = request.user
    activity = selectors.activity_get_for_user(user, activity_id)
    require(can_organise(user))
    signup = selectors.signup_get_for_user(user, activity, signup_id)
    signup.activity = activity
    error = None
    try:
        if request.POST.get("present", "1") == "1":
            services.activity_check_in(actor=user, activity=activity, signups=[signup])
        else:
            services.signup_check_in_undo(actor=user, signup=signup)
    except Invalid as exc:
        error = str(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("activities:detail", activity_id=activity.pk)
    signup = selectors.signup_get_for_user(user, activity, signup_id)
    rows = list(selectors.signup_list_for_user(user, activity).values_list("checked_in_at", "people"))
    present = [people for at, people in rows if at]
    # The count above the list and the award box below it change with the row: sent out of band.
    return render(request, "activities/_signup_row.html", {
        "s": signup, "activity": activity, "a": activity, "may_organise": True, "error": error, "oob": True,
        "signups": rows, "checked_in": len(present), "checked_in_people": sum(present),
        "award_total": len(present) * activity.points,
        "may_award": can_award(user) and activity.state in LIVE_STATES,
    })


@login_required
@require_POST
def activity_check_in(request, activity_id: int):
    """全部到场 or the ticked rows at once."""
    user = request.user

    def work(activity):
        require(can_organise(user))
        signups = selectors.signup_list_for_user(user, activity)
        ids = [i for i in (form_int(v) for v in request.POST.getlist("ids")) if i]
        if ids:
            signups = signups.filter(pk__in=ids)
        n = services.activity_check_in(actor=user, activity=activity, signups=list(signups))
        return f"已签到 {n} 户"

    return _act(request, activity_id, work, "已签到")


@login_required
@require_POST
def activity_award(request, activity_id: int):
    user = request.user

    def work(activity):
        require(can_award(user))
        result = services.activity_award(actor=user, activity=activity)
        for signup, reason in result.skipped[:10]:
            messages.warning(request, f"{signup.household.head_name}户未记分：{reason}")
        skipped = f"，{len(result.skipped)} 户未记分" if result.skipped else ""
        return f"已记分：{len(result.entries)} 户各 +{activity.points} 分{skipped}，待月度审核后计入"

    return _act(request, activity_id, work, "已记分")


@login_required
@require_POST
def activity_close(request, activity_id: int):
    def work(activity):
        services.activity_close(actor=request.user, activity=activity)

    return _act(request, activity_id, work, "已截止报名")


@login_required
@require_POST
def activity_cancel(request, activity_id: int):
    def work(activity):
        services.activity_cancel(actor=request.user, activity=activity, reason=request.POST.get("reason", ""))

    return _act(request, activity_id, work, "活动已取消")


@login_required
def signup_households(request, activity_id: int):
    """htmx: the options of the 代为报名 household picker for a search."""
    user = request.user
    activity = selectors.activity_get_for_user(user, activity_id)
    require(can_sign_up_others(user) and selectors.covers_village(user, activity.village))
    households = selectors.household_list_for_signup(user, activity, search=request.GET.get("q", ""))
    return render(request, "points/_household_options.html", {"households": households})


# --- 各村对比 ---------------------------------------------------------------------------------


@login_required
def village_table(request):
    user = request.user
    require(can_compare(user))
    place = comparison_place_for_user(user, request.GET.get("region"), selectors.compare_region_list_for_user(user))
    region = place.region
    year = form_int(request.GET.get("year")) or timezone.localdate().year
    rows = selectors.village_volunteer_table(region, year)
    totals = {
        "households": sum(r.households for r in rows), "activities": sum(r.activities for r in rows),
        "person_times": sum(r.person_times for r in rows), "participating": sum(r.participating for r in rows),
    }
    totals["rate"] = participation_rate(totals["participating"], totals["households"])
    return render(request, "activities/villages.html", {
        "region": region, "rows": rows, "year": year, "children": place.children, "totals": totals,
        "parent": place.parent,
    })
