from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from xiangzhi.accounts.models import Role
from xiangzhi.front.home import resident_day, staff_day
from xiangzhi.gridwork.rules import can_patrol

# Roles whose day is the grid-work day page: patrol, their cases, visits due, the daily log.
FIELD_ROLES = (Role.GRID_WORKER, Role.GRID_CHIEF)


@login_required
def home(request):
    """Each role lands on its day: what is due, overdue and new for it, one tap from each."""
    user = request.user
    if user.role in FIELD_ROLES and can_patrol(user):
        return redirect("gridwork:day")
    if user.role == Role.INSPECTOR:
        return redirect("inspections:home")
    if user.role == Role.RESIDENT:
        day = resident_day(user)
        return render(request, "front/home_resident.html", {**day.context})
    day = staff_day(user)
    return render(request, "front/home.html", {"tasks": day.tasks, **day.context})
