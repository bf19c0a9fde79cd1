from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from xiangzhi.accounts.models import GRID_ROLES, REGION_ROLES, Role
from xiangzhi.accounts.rules import can_decide_signups, can_edit_register, can_manage_grids, can_read_register
from xiangzhi.activities.rules import can_view as can_view_activities
from xiangzhi.assessment import selectors as assessment
from xiangzhi.assessment.rules import can_view as can_view_assessment
from xiangzhi.assessment.rules import can_view_grids as can_view_grid_assessment
from xiangzhi.audit.rules import audit_allowed
from xiangzhi.cases.rules import can_import_hotline, figures_allowed
from xiangzhi.configuration.rules import can_read as can_read_config
from xiangzhi.disclosure.rules import can_keep as can_keep_disclosures
from xiangzhi.duties.rules import can_read as can_read_duty_lists
from xiangzhi.gridwork.rules import can_patrol, can_supervise, can_visit
from xiangzhi.inspections.rules import can_inspect, can_see_board, can_see_inspections
from xiangzhi.meetings.rules import can_read as can_read_meetings
from xiangzhi.notifications.selectors import notification_unread_count
from xiangzhi.participation.rules import can_keep_meetings, can_see_participation
from xiangzhi.party.rules import can_keep_party
from xiangzhi.people.rules import can_decide_changes, can_keep_member_links
from xiangzhi.points.rules import can_publish_benefits
from xiangzhi.points.rules import can_record as can_record_points
from xiangzhi.points.rules import can_review as can_review_points
from xiangzhi.points.rules import can_see_rankings as can_see_points_rankings
from xiangzhi.projects.rules import can_keep as can_keep_projects
from xiangzhi.shop.rules import can_run_shop
from xiangzhi.supervision.rules import can_moderate as can_moderate_questions
from xiangzhi.system.rules import can_see_status

# Menu entries that fold into one dropdown each, so a township clerk's menu fits on one line.
MENU_GROUPS = {
    "基础信息": ("区域与网格", "网格地图", "户籍", "户籍变动", "重点人群", "部件与组织", "一格一人预警", "四级包保",
                 "党员联系户", "党组织", "导入导出", "注册审核", "三张清单", "配置", "审计日志", "运行状态"),
    "考核与项目": ("每月排查", "排查整改", "积分换项目", "网格考核", "村级项目"),
    "阳光议事": ("阳光报告会", "四议两公开"),
    "群众参与": ("通知公告", "民意调查", "民情恳谈"),
    "积分": ("记积分", "积分审核", "积分公示", "积分优先", "积分日历", "积分排名", "积分超市管理", "志愿服务"),
}
GROUP_OF = {label: group for group, labels in MENU_GROUPS.items() for label in labels}


def menu(items: list[tuple[str, str]]) -> list[tuple[str, str | None, list]]:
    """(label, url, children) in order: grouped entries gather under their group's label where the
    group first appears; a group with one entry stays a plain link."""
    out: list[tuple[str, str | None, list]] = []
    groups: dict[str, list] = {}
    for label, url in items:
        group = GROUP_OF.get(label)
        if group is None:
            out.append((label, url, []))
            continue
        if group not in groups:
            groups[group] = []
            out.append((group, None, groups[group]))
        groups[group].append((label, url))
    return [(c[0][0], c[0][1], []) if url is None and len(c) == 1 else (label, url, c) for label, url, c in out]


# The phone's bottom tab bar: each role's 3–5 main tasks (the menu above keeps the rest).
FIELD_ROLES = (Role.GRID_WORKER, Role.GRID_CHIEF)


def tabs(user) -> list[tuple[str, str, str]]:
    """(label, url, icon) of the role's bottom tabs, the first being its day."""
    me = ("我的", reverse("accounts:me"), "me")
    if user.role == Role.RESIDENT:
        out = [("首页", reverse("front:home"), "home"), ("随手拍", reverse("cases:new"), "camera"),
               ("我的上报", reverse("cases:list"), "list")]
        if user.household_id:
            out.append(("积分", reverse("points:book"), "points"))
        return [*out, me]
    if user.role in FIELD_ROLES and can_patrol(user):
        out = [("今日", reverse("gridwork:day"), "home"), ("上报", reverse("cases:new"), "camera")]
        if can_visit(user):
            out.append(("走访", reverse("gridwork:visits"), "visit"))
        return [*out, ("待办", reverse("cases:inbox"), "list"), me]
    if user.role == Role.INSPECTOR:
        return [("排查", reverse("inspections:home"), "home"), ("核验", reverse("inspections:tasks"), "list"),
                ("督办", reverse("inspections:board"), "chart"), me]
    out = [("首页", reverse("front:home"), "home")]
    if user.role == Role.POINTS_RECORDER:
        out += [("记积分", reverse("points:record"), "points"), ("公示", reverse("points:notices"), "list")]
    elif user.role == Role.POINTS_SUPERVISOR:
        out += [("审核", reverse("points:review"), "points"), ("公示", reverse("points:notices"), "list")]
    else:
        out.append(("待办", reverse("cases:inbox"), "list"))
        if can_review_points(user) and user.role == Role.VILLAGE_CADRE:
            out.append(("积分审核", reverse("points:review"), "points"))
        elif figures_allowed(user):
            out.append(("统计", reverse("centre:figures"), "chart"))
        if can_read_register(user):
            out.append(("户籍", reverse("people:household_list"), "people"))
    return [*out, me]


def tab_active(path: str, tab_urls: list[str]) -> str | None:
    """The tab whose address is the longest prefix of the page's (the home tab only on itself)."""
    best = None
    for url in tab_urls:
        if (path == url or (url != "/" and path.startswith(url))) and (best is None or len(url) > len(best)):
            best = url
    return best


def navigation(request) -> dict:
    """The menu each role sees; pages still check rights themselves."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("首页", reverse("front:home"))]
    if user.role == Role.RESIDENT:
        items += [("随手拍", reverse("cases:new")), ("我的上报", reverse("cases:list"))]
    else:
        items += [("待办", reverse("cases:inbox")), ("事件", reverse("cases:list"))]
    if figures_allowed(user):
        items.append(("统计", reverse("centre:figures")))
    if can_import_hotline(user):
        items.append(("12345工单导入", reverse("cases:hotline")))
    if can_read_register(user):
        items += [
            ("区域与网格", reverse("regions:browse")),
            ("网格地图", reverse("regions:map")),
            ("户籍", reverse("people:household_list")),
            *([("户籍变动", reverse("people:changes"))] if can_decide_changes(user) else []),
            ("重点人群", reverse("people:key_person_list")),
            ("部件与组织", reverse("people:places")),
        ]
    if can_patrol(user):
        items.insert(1, ("我的工作", reverse("gridwork:day")))
    if can_visit(user):
        items.append(("走访", reverse("gridwork:visits")))
    if can_supervise(user):
        items.append(("网格员督导", reverse("gridwork:supervise")))
    if can_inspect(user) or can_see_board(user):
        items.append(("每月排查", reverse("inspections:home")))
    if can_see_inspections(user):
        items.append(("排查整改", reverse("inspections:tasks")))
    if can_view_assessment(user):
        items.append(("积分换项目", reverse("assessment:index")))
    if can_view_grid_assessment(user):
        items.append(("网格考核", reverse("assessment:mine")))
    if can_record_points(user):
        items.append(("记积分", reverse("points:record")))
    if can_review_points(user):
        items.append(("积分审核", reverse("points:review")))
    if can_see_points_rankings(user):
        items.append(("积分排名", reverse("points:rankings")))
    if can_see_points_rankings(user) or can_record_points(user) or user.household_id:
        items.append(("积分公示", reverse("points:notices")))
    if can_publish_benefits(user):
        items.append(("积分优先", reverse("points:benefits")))
    if can_see_points_rankings(user) or can_review_points(user):
        items.append(("积分日历", reverse("points:calendar")))
    if can_run_shop(user):
        items.append(("积分超市管理", reverse("shop:manage")))
    if can_view_activities(user):
        items.append(("志愿服务", reverse("activities:list")))
    if can_keep_projects(user):
        items.append(("村级项目", reverse("projects:list")))
    elif user.role == Role.RESIDENT and user.household_id:
        items.append(("我要提需求", reverse("projects:request_new")))
    if can_read_meetings(user):
        items += [("阳光报告会", reverse("meetings:index")), ("四议两公开", reverse("meetings:deliberations"))]
    if can_keep_disclosures(user):
        items.append(("村务公开", reverse("disclosure:index")))
    if can_moderate_questions(user):
        items.append(("一村一码", reverse("supervision:questions")))
    if can_read_duty_lists(user):
        items.append(("三张清单", reverse("duties:index")))
    if can_read_config(user):
        items.append(("配置", reverse("centre:config")))
    if audit_allowed(user):
        items.append(("审计日志", reverse("centre:audit")))
    if can_see_status(user):
        items.append(("运行状态", reverse("system:status")))
    if can_see_participation(user):
        items += [("通知公告", reverse("participation:announcements")), ("民意调查", reverse("participation:polls"))]
    if can_keep_meetings(user):
        items.append(("民情恳谈", reverse("participation:meetings")))
    if can_manage_grids(user):
        items.append(("一格一人预警", reverse("regions:unstaffed")))
    if can_read_register(user) and user.role in REGION_ROLES:
        items.append(("四级包保", reverse("regions:liaisons_home")))
    if can_keep_member_links(user):
        items.append(("党员联系户", reverse("people:member_links_home")))
    if can_keep_party(user):
        items.append(("党组织", reverse("party:home")))
    if can_edit_register(user):
        items.append(("导入导出", reverse("people:import")))
    if can_decide_signups(user):
        items.append(("注册审核", reverse("accounts:signups")))
    if user.role == Role.RESIDENT and user.household_id:
        items.append(("我的家庭", reverse("people:household_detail", args=[user.household_id])))
    if user.household_id:
        items.append(("积分手册", reverse("points:book")))
        items.append(("积分超市", reverse("shop:index")))
    if user.is_staff:
        items.append(("管理后台", reverse("admin:index")))
    nav_tabs = tabs(user)
    extra = {}
    if user.role in GRID_ROLES:
        # 本季度考核 on a grid worker's day (gridwork/day.html, front/home.html): read only where shown.
        extra["my_grid_scores"] = SimpleLazyObject(lambda: assessment.grid_scores_mine(user))
    return {
        **extra,
        "nav_tabs": nav_tabs,
        "nav_tab_active": tab_active(request.path, [url for _, url, _ in nav_tabs]),
        "nav_items": items,
        "nav_menu": menu(items),
        "nav_inbox_url": reverse("notifications:inbox"),
        # Counted only when a template shows it (pages, not htmx fragments): one COUNT per page.
        "nav_unread": SimpleLazyObject(lambda: notification_unread_count(user)),
    }
