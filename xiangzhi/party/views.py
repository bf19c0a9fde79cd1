"""党组织 pages: a village's branch, groups, members with their posts, the grids each group serves and
the members living away; one page per group with the forms that keep it. Village cadres and township
staff keep their villages'; other staff who read the register only read."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.scope import scope_of
from xiangzhi.core.errors import Invalid, NotFound, field_error, status_of
from xiangzhi.core.inputs import form_day, form_int, require
from xiangzhi.party import rules, selectors, services
from xiangzhi.party.models import DutyPostKind, GroupActivityKind, PartyGroup
from xiangzhi.people.models import Resident
from xiangzhi.regions import selectors as regions
from xiangzhi.regions.models import Grid, Region, RegionLevel


def _day(value: str | None, name: str, label: str) -> dt.date:
    return form_day(value, name, label, error=services.PartyError)


def _optional_day(value: str | None, name: str, label: str) -> dt.date | None:
    return _day(value, name, label) if value else None


def _village(request, code: str) -> Region:
    require(rules.can_view_party(request.user))
    village = regions.region_get_for_user(request.user, code)
    if village.level != RegionLevel.VILLAGE:
        raise NotFound()
    return village


def _member(village: Region, value: str | None, name: str, label: str, *, required: bool) -> Resident | None:
    """A party member of the village picked in a form; one of another village is the same 404."""
    resident_id = form_int(value, label)
    if resident_id is None:
        if required:
            raise services.PartyError(f"请选择{label}", fields=field_error(name, "必选"))
        return None
    found = Resident.objects.filter(pk=resident_id, household__grid__region=village).first()
    if found is None:
        raise NotFound()
    return found


@login_required
def home(request):
    """The menu's 「党组织」: a village cadre's own village; others the villages in their scope."""
    require(rules.can_view_party(request.user))
    roots = list(regions.region_roots_for_user(request.user)[:2])
    if len(roots) == 1 and roots[0].level == RegionLevel.VILLAGE:
        return redirect("party:village", code=roots[0].code)
    villages = (Region.objects.filter(scope_of(request.user).q("path"), level=RegionLevel.VILLAGE)
                .select_related("parent", "party_branch").annotate(group_count=Count("party_branch__groups"))
                .order_by("code"))
    return render(request, "party/home.html", {"villages": villages[:500]})


def _village_page(request, village: Region, *, form, status: int = 200):
    return render(request, "party/village.html", {
        "village": village,
        "org": selectors.organisation_of_village(village),
        "members": selectors.party_members_of_village(village),
        "may_keep": rules.can_keep_party_in(request.user, village),
        "form": form,
        "today": timezone.localdate().isoformat(),
    }, status=status)


@login_required
def village(request, code: str):
    village = _village(request, code)
    if request.method != "POST":
        return _village_page(request, village, form={})
    form = request.POST
    try:
        secretary = _member(village, form.get("secretary"), "secretary", "支部书记", required=False)
        founded_on = _optional_day(form.get("founded_on"), "founded_on", "成立日期")
        branch = selectors.organisation_of_village(village).branch
        if form.get("action") == "group":
            if branch is None:
                raise services.PartyError("请先建立党支部")
            leader = _member(village, form.get("leader"), "leader", "党小组长", required=False)
            group = services.group_create(branch=branch, name=form.get("name", ""), leader=leader,
                                          actor=request.user)
            messages.success(request, f"已建立{group.name}")
            return redirect("party:group", group_id=group.pk)
        if branch is None:
            branch = services.branch_create(village=village, name=form.get("name", ""), secretary=secretary,
                                            founded_on=founded_on, actor=request.user)
            messages.success(request, f"已建立{branch.name}")
        else:
            services.branch_update(branch=branch, name=form.get("name", ""), secretary=secretary,
                                   founded_on=founded_on, reason=form.get("reason", ""), actor=request.user)
            messages.success(request, "已保存党支部")
    except Invalid as exc:
        messages.error(request, str(exc))
        return _village_page(request, village, form=form, status=status_of(exc))
    return redirect("party:village", code=village.code)


def _group(request, group_id: int) -> PartyGroup:
    require(rules.can_view_party(request.user))
    return selectors.group_get_for_user(request.user, group_id)


def _group_page(request, group: PartyGroup, *, form, status: int = 200):
    village = group.branch.village
    org = selectors.organisation_of_village(village)
    shown = next(g for g in org.groups if g.pk == group.pk)
    today = timezone.localdate()
    return render(request, "party/group.html", {
        "village": village,
        "group": shown,
        "org": org,
        "others": [g for g in org.groups if g.pk != group.pk],
        "members": selectors.party_members_of_village(village),
        "kinds": selectors.duty_post_kinds(),
        "history": selectors.membership_list_for_user(request.user, group=group, active=False)[:30],
        "activities": selectors.group_activity_list_for_user(request.user, group=group)[:30],
        "activities_year": selectors.group_activity_counts([group.pk], today - dt.timedelta(days=364),
                                                           today)[group.pk],
        "activity_kinds": GroupActivityKind.choices,
        "may_keep": rules.can_keep_party_in(request.user, village),
        "may_record": rules.can_record_activity_in(request.user, village),
        "form": form,
        "today": today.isoformat(),
    }, status=status)


@login_required
def group(request, group_id: int):
    """A group's page: leader, grids served, members with posts, activities; POST ``action`` saves one form."""
    group = _group(request, group_id)
    if request.method != "POST":
        return _group_page(request, group, form={})
    village = group.branch.village
    form, action = request.POST, request.POST.get("action")
    try:
        if action == "save":
            leader = _member(village, form.get("leader"), "leader", "党小组长", required=False)
            services.group_update(group=group, name=form.get("name", ""), leader=leader,
                                  reason=form.get("reason", ""), actor=request.user)
            messages.success(request, "已保存党小组")
        elif action == "grid":
            grid_id = form_int(form.get("grid"), "网格")
            grid = Grid.objects.filter(pk=grid_id).first() if grid_id else None
            if grid is None:
                raise services.PartyError("请选择网格", fields=field_error("grid", "必选"))
            if not scope_of(request.user).covers_path(grid.path):
                raise NotFound()
            services.group_grid_add(group=group, grid=grid, started_on=_day(form.get("started_on"), "started_on",
                                                                              "起始日期"), actor=request.user)
            messages.success(request, f"{group.name}开始服务{grid.name}")
        elif action == "member":
            resident = _member(village, form.get("resident"), "resident", "党员", required=True)
            assert resident is not None
            services.membership_add(group=group, resident=resident, joined_on=_day(form.get("joined_on"),
                                                                                  "joined_on", "编入日期"),
                                    actor=request.user)
            messages.success(request, f"已将{resident.name}编入{group.name}")
        elif action == "post":
            membership = selectors.membership_get_for_user(request.user, form_int(form.get("membership"), "党员") or 0)
            if membership.group_id != group.pk:
                raise NotFound()
            kind = DutyPostKind.objects.filter(pk=form_int(form.get("kind"), "岗位") or 0).first()
            if kind is None:
                raise services.PartyError("请选择岗位", fields=field_error("kind", "必选"))
            services.duty_post_assign(membership=membership, kind=kind, duties=form.get("duties", ""),
                                      started_on=_day(form.get("started_on"), "started_on", "起始日期"),
                                      actor=request.user)
            messages.success(request, f"已为{membership.resident.name}设{kind.name}")
        elif action == "activity":
            activity = services.group_activity_record(
                group=group, held_on=_day(form.get("held_on"), "held_on", "活动日期"), kind=form.get("kind", ""),
                title=form.get("title", ""), attendees=form_int(form.get("attendees"), "参加党员人数") or 0,
                note=form.get("note", ""), actor=request.user)
            messages.success(request, f"已登记活动：{activity.title}")
        else:
            raise services.PartyError("请求不正确")
    except Invalid as exc:
        messages.error(request, str(exc))
        return _group_page(request, group, form=form, status=status_of(exc))
    return redirect("party:group", group_id=group.pk)


@login_required
@require_POST
def membership_end(request, membership_id: int):
    """离开 or 调整: with ``group`` the member moves to that group of the branch, else he leaves."""
    require(rules.can_view_party(request.user))
    membership = selectors.membership_get_for_user(request.user, membership_id)
    try:
        day = _day(request.POST.get("ended_on"), "ended_on", "日期")
        target_id = form_int(request.POST.get("group"), "党小组")
        if target_id:
            target = selectors.group_get_for_user(request.user, target_id)
            services.membership_move(membership=membership, group=target, reason=request.POST.get("reason", ""),
                                     on=day, actor=request.user)
            messages.success(request, f"已将{membership.resident.name}调到{target.name}")
        else:
            services.membership_end(membership=membership, reason=request.POST.get("reason", ""), left_on=day,
                                    actor=request.user)
            messages.success(request, f"{membership.resident.name}已离开{membership.group.name}")
    except Invalid as exc:
        messages.error(request, str(exc))
    return redirect("party:group", group_id=membership.group_id)


@login_required
@require_POST
def post_end(request, post_id: int):
    require(rules.can_view_party(request.user))
    post = selectors.duty_post_get_for_user(request.user, post_id)
    try:
        services.duty_post_end(post=post, reason=request.POST.get("reason", ""),
                               ended_on=_day(request.POST.get("ended_on"), "ended_on", "结束日期"), actor=request.user)
        messages.success(request, f"已结束{post.membership.resident.name}的{post.kind.name}")
    except Invalid as exc:
        messages.error(request, str(exc))
    return redirect("party:group", group_id=post.membership.group_id)


@login_required
@require_POST
def grid_end(request, link_id: int):
    require(rules.can_view_party(request.user))
    link = selectors.group_grid_get_for_user(request.user, link_id)
    try:
        services.group_grid_end(link=link, reason=request.POST.get("reason", ""),
                                ended_on=_day(request.POST.get("ended_on"), "ended_on", "结束日期"), actor=request.user)
        messages.success(request, f"{link.group.name}不再服务{link.grid.name}")
    except Invalid as exc:
        messages.error(request, str(exc))
    return redirect("party:group", group_id=link.group_id)
