"""The access matrix's rows for the command centre's dispatch queue (调度) and workload (工作量): the
case list behind every figure, its .xlsx and printable page, bulk 督办 on a villager's case in grid a1,
and the API; each a (method, url, body, roles that may) for the small county ``c``, gathered by
``tests/test_access.py``."""

from tests.factories import ALL_ROLES


def centre_queue_cases(c):
    from xiangzhi.cases.models import Category
    from xiangzhi.cases.services import case_report

    case = case_report(category=Category.objects.get(code="env_garbage"), title="垃圾堆放", channel="resident",
                       lon=118.005, lat=37.705, reporter=c.users["resident"]).case
    staff = set(ALL_ROLES) - {"resident"}
    town_b = {"county_admin", "township_staff_b"}
    managers_a1 = {"county_admin", "township_staff"}  # 督办 is the township's and the county's
    supervisors = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "grid_chief",
                   "department_staff"}
    supervise = {"ids": [case.pk], "action": "supervise", "note": "请加快办理"}
    return [
        ("get", "/centre/cases/", None, staff),
        ("get", "/centre/cases/?figure=overdue_open&period=12m", None, staff),
        ("get", f"/centre/cases/?region={c.town_b.code}", None, town_b),
        ("get", "/centre/cases/export.xlsx?due=overdue", None, staff),
        ("get", "/centre/cases/print/?status=all", None, staff),
        ("post", "/centre/cases/bulk/", supervise, managers_a1),
        ("get", "/centre/workload/", None, supervisors),
        ("get", f"/centre/workload/?region={c.town_b.code}", None, town_b),
        ("get", "/api/v1/centre/cases?due=overdue", None, staff),
        ("get", f"/api/v1/centre/cases?region={c.town_b.code}", None, town_b),
        ("post", "/api/v1/centre/cases/bulk", supervise, managers_a1),
    ]
