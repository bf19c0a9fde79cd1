"""The access matrix's rows for the command centre's 概况 (一键可知) and 群众参与 (一键可参), each a (method,
url, body, roles that may) for the small county ``c``; gathered by ``tests/test_access.py``. 概况 is for
those who read the register, each over his own node; 群众参与 for all staff; a 电话回访 is recorded by
those who steer the case (its grid's chief and worker, the township and county above)."""

from tests.factories import ALL_ROLES
from xiangzhi.cases import services
from xiangzhi.cases.models import Category

REGISTER = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "points_recorder",
            "points_supervisor", "grid_chief", "grid_worker", "grid_worker_b", "grid_guide"}


def centre_know_cases(c):
    u = c.users
    hotline = services.case_report(category=Category.objects.get(code="env_garbage"), title="垃圾未清运",
                                   lon=118.015, lat=37.715, channel="hotline", reporter_name="王先生",
                                   reporter_phone="13900000000").case
    services.case_accept(case=hotline, actor=u["grid_worker"], handle_myself=True)
    services.case_handle(case=hotline, actor=u["grid_worker"], note="已清运")
    services.case_verify(case=hotline, actor=u["village_cadre"], passed=True, close=True)
    in_a1 = {"county_admin", "township_staff", "village_cadre", "points_recorder", "points_supervisor",
             "grid_chief", "grid_worker"}
    town_b = {"county_admin", "township_staff_b"}
    return [
        ("get", "/centre/know/", None, REGISTER),
        ("get", f"/centre/know/?region={c.town_b.code}", None, town_b),
        ("get", f"/centre/know/?grid={c.grid_a1.code}", None, in_a1),
        ("get", "/centre/take-part/", None, set(ALL_ROLES) - {"resident"}),
        ("get", f"/centre/take-part/?region={c.town_b.code}", None, town_b),
        # 未接通 may be recorded again and again: every allowed role's call is written (302 back to the list).
        ("post", f"/centre/take-part/cases/{hotline.pk}/visit/", {"evaluation": "unanswered"},
         {"county_admin", "township_staff", "grid_chief", "grid_worker"}),
    ]
