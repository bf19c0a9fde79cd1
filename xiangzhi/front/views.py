from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from xiangzhi.accounts.models import Role
from xiangzhi.accounts.rules import can_manage_grids, can_read_register
from xiangzhi.cases import selectors as cases
from xiangzhi.people import selectors as people
from xiangzhi.regions import selectors as regions


@login_required
def home(request):
    user = request.user
    context: dict = {"roots": [], "unstaffed": None}
    if can_read_register(user):
        roots = list(regions.region_roots_for_user(user))
        context["roots"] = [(r, people.region_counts(r)) for r in roots]
        context["my_grids"] = regions.grid_list_for_user(user) if not roots else None
    if can_manage_grids(user):
        unstaffed = regions.grids_without_worker(user)
        context["unstaffed"] = unstaffed[:10]
        context["unstaffed_count"] = unstaffed.count()
    context["is_resident"] = user.role == Role.RESIDENT
    if user.role == Role.RESIDENT:
        context["my_cases"] = cases.case_list_for_user(user)[:5]
    else:
        inbox = cases.inbox_for_user(user)
        context["inbox_count"] = inbox.count()
        context["inbox_overdue"] = inbox.filter(overdue_at__isnull=False).count()
        context["inbox_first"] = inbox[:5]
    return render(request, "front/home.html", context)
