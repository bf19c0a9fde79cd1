import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.core.errors import Invalid, NotFound
from xiangzhi.core.inputs import form_day, form_int, optional_int, require
from xiangzhi.lib.photos import PhotoError, ProcessedPhoto, process
from xiangzhi.projects import selectors, services
from xiangzhi.projects.errors import ProjectError
from xiangzhi.projects.models import DonationKind, FundingKind, Milestone, RequestState, Spending, Urgency
from xiangzhi.projects.rules import can_keep, can_submit
from xiangzhi.regions.selectors import township_of


def _photos(files) -> list[ProcessedPhoto]:
    uploads = [u for u in files.getlist("photos") if u.size]
    limit = settings.CASE_PHOTO_MAX_BYTES
    if len(uploads) > services.MAX_PHOTOS:
        raise ProjectError(f"最多上传 {services.MAX_PHOTOS} 张照片")
    out = []
    for i, upload in enumerate(uploads, start=1):
        if upload.size > limit:
            raise ProjectError(f"第 {i} 张照片过大（上限 {limit // 1024 // 1024} MB）")
        try:
            out.append(process(upload.read(), max_bytes=limit))
        except PhotoError as exc:
            raise ProjectError(f"第 {i} 张照片：{exc}") from None
    return out


def _money(value: str | None, label: str) -> int:
    """Whole 元 typed into a form: a non-integer is refused by the service as a bad amount."""
    parsed = form_int(value, label)
    return parsed if parsed is not None else -1


def _year(request) -> int:
    return optional_int(request.GET.get("year")) or timezone.localdate().year


# --- the villager: 我要提需求 ---------------------------------------------------------------------


@login_required
def request_new(request):
    """A villager's request from his phone, and his earlier ones with what became of them."""
    user = request.user
    require(can_submit(user))
    if can_keep(user):
        villages = list(selectors.village_list_for_user(user))
        if not villages:
            raise NotFound()
        return redirect("projects:village", code=villages[0].code)
    village = selectors.home_village(user)
    if village is None:
        raise NotFound()
    if request.method == "POST":
        try:
            services.request_submit(
                actor=user, village=village, title=request.POST.get("title", ""), place=request.POST.get("place", ""),
                reason=request.POST.get("reason", ""), urgency=form_int(request.POST.get("urgency"), "轻重缓急") or 3,
                photos=_photos(request.FILES))
        except Invalid as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "需求已提交，村两委会在村务会议上研究")
            return redirect("projects:request_new")
    return render(request, "projects/request_new.html", {
        "village": village, "mine": selectors.request_list_for_user(user).filter(household_id=user.household_id),
        "urgencies": Urgency.choices,
    })


# --- keepers: villages, a village, a project ----------------------------------------------------


@login_required
def village_list(request):
    """The township's (or county's) villages with their projects; a cadre goes straight to his village."""
    user = request.user
    if not can_keep(user):
        require(can_submit(user))
        return redirect("projects:request_new")
    villages = list(selectors.village_list_for_user(user))
    if len(villages) == 1:
        return redirect("projects:village", code=villages[0].code)
    projects = list(selectors.project_list_for_user(user))
    totals = selectors.totals_of(p.pk for p in projects)
    by_village: dict[int, list] = {}
    for p in projects:
        p.totals = totals[p.pk]
        by_village.setdefault(p.village_id, []).append(p)
    rows = [(v, by_village.get(v.pk, [])) for v in villages]
    return render(request, "projects/villages.html", {"rows": rows})


@login_required
def village(request, code: str):
    user = request.user
    require(can_keep(user))
    village = selectors.village_get_for_user(user, code)
    year = _year(request)
    plan = selectors.plan_for_village(village, year)
    requests = selectors.request_list_for_user(user, village=village)
    projects = list(selectors.project_list_for_user(user, village=village))
    totals = selectors.totals_of(p.pk for p in projects)
    for p in projects:
        p.totals = totals[p.pk]
    return render(request, "projects/village.html", {
        "village": village, "year": year, "plan": plan, "items": selectors.plan_items(plan) if plan else [],
        "collected": requests.filter(state=RequestState.COLLECTED).prefetch_related("photos"),
        "declined": requests.filter(state=RequestState.DECLINED)[:20],
        "projects": projects, "urgencies": Urgency.choices, "funding_kinds": FundingKind.choices,
        "awards_waiting": selectors.awards_waiting(village),
    })


@login_required
@require_POST
def request_record(request, code: str):
    """A request heard at a meeting, recorded by a keeper."""
    user = request.user
    require(can_keep(user))
    village = selectors.village_get_for_user(user, code)
    try:
        services.request_submit(
            actor=user, village=village, title=request.POST.get("title", ""), place=request.POST.get("place", ""),
            reason=request.POST.get("reason", ""), urgency=form_int(request.POST.get("urgency"), "轻重缓急") or 3,
            households=form_int(request.POST.get("households"), "提出户数") or 1, photos=_photos(request.FILES))
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已记录需求")
    return redirect("projects:village", code=village.code)


@login_required
@require_POST
def request_plan(request, request_id: int):
    user = request.user
    require(can_keep(user))
    row = selectors.request_get_to_keep(user, request_id)
    try:
        services.request_plan(actor=user, request=row, year=form_int(request.POST.get("year"), "年度"),
                              urgency=form_int(request.POST.get("urgency"), "轻重缓急"))
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已列入计划：{row.title}")
    return redirect("projects:village", code=row.village.code)


@login_required
@require_POST
def request_decline(request, request_id: int):
    user = request.user
    require(can_keep(user))
    row = selectors.request_get_to_keep(user, request_id)
    try:
        services.request_decline(actor=user, request=row, reason=request.POST.get("reason", ""))
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已不予采纳：{row.title}")
    return redirect("projects:village", code=row.village.code)


@login_required
@require_POST
def project_create(request, request_id: int):
    user = request.user
    require(can_keep(user))
    row = selectors.request_get_to_keep(user, request_id)
    try:
        fundings = []
        for kind in FundingKind.values:
            if kind != FundingKind.DONATION and (raw := request.POST.get(f"funding_{kind}")):
                fundings.append((kind, _money(raw, "资金来源金额"), ""))
        project = services.project_create(actor=user, request=row, title=request.POST.get("title", ""),
                                          budget=_money(request.POST.get("budget"), "预算"),
                                          description=request.POST.get("description", ""), fundings=fundings)
    except Invalid as exc:
        messages.error(request, str(exc))
        return redirect("projects:village", code=row.village.code)
    messages.success(request, f"已立项：{project.title}")
    return redirect("projects:detail", project_id=project.pk)


@login_required
def project_detail(request, project_id: int):
    user = request.user
    require(can_keep(user))
    project = selectors.project_detail(selectors.project_get_for_user(user, project_id))
    return render(request, "projects/detail.html", {
        "project": project, "totals": selectors.totals_of([project.pk])[project.pk],
        "spendings": list(project.spendings.all()), "donations": list(project.donations.all()),
        "today": timezone.localdate().isoformat(), "donation_kinds": DonationKind.choices,
    })


def _act(request, project_id: int, doing):
    """Run ``doing(user, project)`` for a project the user keeps; refusals shown on the project page."""
    user = request.user
    require(can_keep(user))
    project = selectors.project_get_for_user(user, project_id)
    try:
        message = doing(user, project)
    except Invalid as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("projects:detail", project_id=project.pk)


def _date(request, name: str, label: str) -> dt.date:
    return form_day(request.POST.get(name), name, label, error=ProjectError)


@login_required
@require_POST
def project_advance(request, project_id: int):
    def doing(user, project):
        services.project_advance(actor=user, project=project, on=_date(request, "on", "日期"),
                                 note=request.POST.get("note", ""))
        return f"项目{project.get_state_display()}"
    return _act(request, project_id, doing)


@login_required
@require_POST
def project_budget(request, project_id: int):
    def doing(user, project):
        services.project_budget_change(actor=user, project=project, budget=_money(request.POST.get("budget"), "预算"),
                                       reason=request.POST.get("reason", ""))
        return "预算已调整"
    return _act(request, project_id, doing)


@login_required
@require_POST
def milestone_add(request, project_id: int):
    def doing(user, project):
        services.milestone_add(actor=user, project=project, name=request.POST.get("name", ""),
                               planned_on=_date(request, "planned_on", "计划日期"))
        return "已添加节点"
    return _act(request, project_id, doing)


@login_required
@require_POST
def milestone_done(request, project_id: int, milestone_id: int):
    def doing(user, project):
        milestone = Milestone.objects.filter(project=project, pk=milestone_id).first()
        if milestone is None:
            raise NotFound()
        services.milestone_done(actor=user, milestone=milestone, done_on=_date(request, "done_on", "完成日期"),
                                photos=_photos(request.FILES))
        return f"节点已完成：{milestone.name}"
    return _act(request, project_id, doing)


@login_required
@require_POST
def spending_record(request, project_id: int):
    def doing(user, project):
        services.spending_record(actor=user, project=project, amount=_money(request.POST.get("amount"), "金额"),
                                 purpose=request.POST.get("purpose", ""),
                                 spent_on=_date(request, "spent_on", "支出日期"), photos=_photos(request.FILES))
        return "已记支出"
    return _act(request, project_id, doing)


@login_required
@require_POST
def spending_correct(request, project_id: int, spending_id: int):
    def doing(user, project):
        row = Spending.objects.filter(project=project, pk=spending_id).first()
        if row is None:
            raise NotFound()
        services.spending_correct(actor=user, spending=row, amount=_money(request.POST.get("amount"), "金额"),
                                  reason=request.POST.get("reason", ""))
        return "已更正支出"
    return _act(request, project_id, doing)


@login_required
@require_POST
def donation_record(request, project_id: int):
    def doing(user, project):
        kind = request.POST.get("kind", "")
        services.donation_record(
            actor=user, project=project, kind=kind, donor_name=request.POST.get("donor_name", ""),
            donor_note=request.POST.get("donor_note", ""), anonymous=bool(request.POST.get("anonymous")),
            amount=_money(request.POST.get("amount"), "捐款金额") if kind == DonationKind.MONEY else 0,
            labour_days=form_int(request.POST.get("labour_days"), "投工天数") or 0,
            donated_on=_date(request, "donated_on", "日期"))
        return "已记录捐赠"
    return _act(request, project_id, doing)


@login_required
@require_POST
def donation_correct(request, project_id: int, donation_id: int):
    def doing(user, project):
        row = project.donations.filter(pk=donation_id).first()
        if row is None:
            raise NotFound()
        value = form_int(request.POST.get("value"), "更正后数额")
        services.donation_correct(
            actor=user, donation=row, reason=request.POST.get("reason", ""),
            amount=value if row.kind == DonationKind.MONEY else None,
            labour_days=value if row.kind == DonationKind.LABOUR else None,
            anonymous=bool(request.POST.get("anonymous")))
        return "已更正捐赠记录"
    return _act(request, project_id, doing)


# --- photos and the public page -----------------------------------------------------------------------


def photo(request, photo_id: int, thumb: bool = False):
    """A milestone's photo is public with its project; requests' and vouchers' only for their keepers."""
    row = selectors.photo_get_for_user(request.user, photo_id)
    return FileResponse((row.thumbnail if thumb else row.image).open("rb"), content_type="image/jpeg")


def public_village(request, village_code: str):
    """The village's plan in its order and its projects, for anyone with the link: no login."""
    village = selectors.public_village(village_code)
    plans = list(selectors.plan_list_public(village))
    year = optional_int(request.GET.get("year"))
    plan = next((p for p in plans if p.year == year), plans[0] if plans else None)
    projects = list(selectors.project_list_public(village))
    totals = selectors.totals_of(p.pk for p in projects)
    for p in projects:
        p.totals = totals[p.pk]
    return render(request, "projects/public_village.html", {
        "village": village, "township": township_of(village), "plans": plans, "plan": plan,
        "items": selectors.plan_items(plan) if plan else [], "projects": projects,
        "awards_waiting": selectors.awards_waiting(village),
    })


def public_project(request, village_code: str, project_id: int):
    village = selectors.public_village(village_code)
    project = selectors.project_get_public(village, project_id)
    return render(request, "projects/public_project.html", {
        "village": village, "township": township_of(village), "project": project,
        "totals": selectors.totals_of([project.pk])[project.pk], "donations": selectors.donation_list_public(project),
        "events": list(project.events.all()),
    })
