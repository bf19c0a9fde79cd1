from django.urls import reverse

from xiangzhi.accounts.models import Role
from xiangzhi.accounts.rules import can_edit_register, can_manage_grids, can_read_register


def navigation(request) -> dict:
    """The menu each role sees; pages still check rights themselves."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("首页", reverse("front:home"))]
    if can_read_register(user):
        items += [
            ("区域与网格", reverse("regions:browse")),
            ("网格地图", reverse("regions:map")),
            ("户籍", reverse("people:household_list")),
            ("重点人群", reverse("people:key_person_list")),
        ]
    if can_manage_grids(user):
        items.append(("一格一人预警", reverse("regions:unstaffed")))
    if can_edit_register(user):
        items.append(("导入导出", reverse("people:import")))
    if user.role == Role.RESIDENT and user.household_id:
        items.append(("我的家庭", reverse("people:household_detail", args=[user.household_id])))
    if user.is_staff:
        items.append(("管理后台", reverse("admin:index")))
    return {"nav_items": items}
