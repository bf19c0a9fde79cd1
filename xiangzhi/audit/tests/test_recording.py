"""Each place that must leave an event does: a reveal, an export, an import, a publication, an admin
change, a failed login. Built through the real services and pages."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, grant_reveal, next_id_number
from tests.spreadsheets import workbook_upload
from xiangzhi.accounts.tests.test_admin import admin_staff, change_data
from xiangzhi.audit.models import AuditAction, AuditEvent
from xiangzhi.people.models import RevealRecord

pytestmark = pytest.mark.django_db


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("at", "id"))


def test_a_reveal_on_the_page_leaves_its_record_and_an_event(client, county):
    staff = grant_reveal(county.users["township_staff"])
    resident = county.households["a1"].residents.order_by("id").first()
    client.force_login(staff)
    response = client.post(f"/people/residents/{resident.pk}/reveal/", {"field": "phone", "reason": "核实走访情况"},
                           REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    record = RevealRecord.objects.get()
    (event,) = events(AuditAction.REVEAL)
    assert (event.actor, event.scope_path, event.ip, event.subject) == (
        staff, county.grid_a1.path, "10.1.2.3", f"people.resident:{resident.pk}")
    assert event.summary == f"查看{resident.name}的完整手机号（事由：核实走访情况）"
    assert event.detail == {"field": "phone", "reason": "核实走访情况", "reveal_record": record.pk}
    # Refused reveals leave nothing.
    client.force_login(county.users["grid_worker"])
    client.post(f"/people/residents/{resident.pk}/reveal/", {"field": "phone", "reason": "看看"})
    assert len(events(AuditAction.REVEAL)) == 1


def test_exports_are_recorded_where_their_rows_lie(client, county):
    from xiangzhi.duties.models import ListKind
    from xiangzhi.duties.tests.helpers import duty, make_list

    client.force_login(county.users["township_staff"])
    response = client.get("/people/export.xlsx", REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    client.get(f"/people/export.xlsx?grid={county.grid_a1.code}")
    version = make_list(county.county, county.users["county_admin"], [duty("ZZ-1", "消防", "综合执法", "safety_fire")])
    client.force_login(county.users["village_cadre"])
    assert client.get(f"/api/v1/duties/versions/{version.pk}/export").status_code == 200
    whole, grid, duties = events(AuditAction.EXPORT)
    assert (whole.scope_path, whole.ip) == (county.town_a.path, "10.0.0.9")
    assert whole.summary == "导出户籍表（管辖范围内全部户）"
    assert whole.detail["file"] == "households.xlsx" and whole.detail["bytes"] == len(response.content)
    assert (grid.scope_path, grid.summary) == (county.grid_a1.path, "导出户籍表（东村第一网格）")
    assert (duties.actor, duties.scope_path) == (county.users["village_cadre"], county.county.path)
    assert ListKind.DUTY.label in duties.summary and duties.subject == f"duties.listversion:{version.pk}"
    # A template is no data: not recorded.
    client.get("/people/import/template.xlsx")
    assert len(events(AuditAction.EXPORT)) == 3


def test_imports_are_recorded_once_written(county):
    from xiangzhi.cases.hotline import COLUMNS as HOTLINE
    from xiangzhi.cases.hotline import hotline_import
    from xiangzhi.people.xlsx import COLUMNS, households_import

    cadre = county.users["village_cadre"]
    rows = [[county.grid_a1.code, "H-900", "东村9组", "钱学森", "户主", next_id_number(), "13900001111", "", "否"],
            [county.grid_a1_micro.code, "H-901", "东村9组", "钱三强", "户主", next_id_number(), "", "", "否"]]
    bad = households_import(user=cadre, file=workbook_upload("h.xlsx", COLUMNS, [[*rows[0][:4], "外人", *rows[0][5:]]]))
    assert not bad.ok and not events(AuditAction.IMPORT)  # refused files leave nothing
    assert households_import(user=cadre, file=workbook_upload("h.xlsx", COLUMNS, rows), ip_address="10.0.0.7").ok
    called = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    ticket = ["GD-1", called, "road_light", "路灯不亮", "连续三晚", "东村", 118.005, 37.705, "张先生", "13800138000"]
    assert hotline_import(user=county.users["township_staff"], file=workbook_upload("g.xlsx", HOTLINE, [ticket])).ok
    register, hotline = events(AuditAction.IMPORT)
    assert (register.actor, register.scope_path, register.ip) == (cadre, county.grid_a1.path, "10.0.0.7")
    assert register.summary == "表格导入户籍：新建 2 户、2 人"
    assert hotline.scope_path.startswith(county.village_a1.path)
    assert hotline.summary == "导入12345工单：新建 1 件事件，0 条此前已导入"


def test_publications_are_recorded(county):
    from xiangzhi.disclosure import services as disclosure
    from xiangzhi.disclosure.tests.helpers import install, published
    from xiangzhi.points import services as points
    from xiangzhi.points.models import NoticeState, PointsNotice
    from xiangzhi.supervision.services import village_code_reissue

    cadre, town = county.users["village_cadre"], county.users["township_staff"]
    today = timezone.localdate()
    benefit = points.benefit_publish(actor=cadre, village=county.village_a1, kind="training", title="技能培训",
                                     places=1, threshold=1, basis_start=today, basis_end=today, closes_on=today)
    points.benefit_close(actor=cadre, benefit=benefit)
    notice = points.notice_publish(village=county.village_b1, period_start=today - dt.timedelta(days=90),
                                   period_end=today - dt.timedelta(days=1), objection_days=1)
    assert points.notices_close_due(today + dt.timedelta(days=2)) == 1
    assert PointsNotice.objects.get(pk=notice.pk).state == NoticeState.FINAL
    village_code_reissue(village=county.village_a1, actor=town, reason="海报被雨淋坏")
    items = install(county)
    d = published(county, items["party_dues"], figures={"应缴党费": "960", "实缴党费": "960"})
    disclosure.disclosure_withdraw(actor=cadre, disclosure=d, reason="金额填错")
    said = [(e.summary, e.scope_path, e.actor) for e in events(AuditAction.PUBLISH)]
    period = f"{notice.period_start:%Y年%m月%d日}至{notice.period_end:%Y年%m月%d日}"
    a1, b1 = county.village_a1.path, county.village_b1.path
    assert said[:5] == [
        ("发布东村积分优先事项「技能培训」（1 个名额，门槛 1 分）", a1, cadre),
        ("东村积分优先事项「技能培训」截止，名单固定（0 户优先）", a1, cadre),
        (f"公示南村{period}积分（{len(notice.rows)} 户）", b1, None),
        (f"南村{period}积分公示期满，不再受理异议", b1, None),
        ("更换东村的村务公开码（第 2 版，原因：海报被雨淋坏）", a1, town),
    ]
    assert [s[0][:4] for s in said[5:]] == ["公开东村", "撤回东村"] and said[6][0].endswith("（金额填错）")


def test_a_public_announcement_passed_by_the_township_is_recorded(county):
    from xiangzhi.participation import selectors, services

    a = services.announcement_send(actor=county.users["village_cadre"],
                                   audience=selectors.audience_get("village", county.village_a1.code),
                                   title="秸秆禁烧通知", body="请勿焚烧秸秆。", issuer="东村村民委员会", is_public=True)
    services.announcement_screen(actor=county.users["township_staff"], announcement=a, passed=True)
    (event,) = events(AuditAction.PUBLISH)
    assert event.summary.startswith("审核通过") and "秸秆禁烧通知" in event.summary
    assert (event.scope_path, event.subject) == (a.scope_path, f"participation.announcement:{a.pk}")


def test_admin_changes_are_recorded_where_the_object_lies(client, county):
    admin = admin_staff(county.users["county_admin"])
    client.force_login(admin)
    cadre = county.users["village_cadre"]
    response = client.post(f"/admin/accounts/user/{cadre.pk}/change/", change_data(cadre, full_name="李村官"))
    assert response.status_code == 302
    grid = county.grid_a2
    client.post(f"/admin/regions/grid/{grid.pk}/change/", {"code": grid.code, "name": "西村一网格", "level": 3,
                                                            "region": grid.region_id, "is_active": "on"})
    user_change, *grid_change = events(AuditAction.ADMIN)
    assert (user_change.actor, user_change.scope_path) == (admin, county.village_a1.path)
    assert user_change.summary.startswith("后台修改账号「李村官」")
    assert user_change.subject == f"accounts.user:{cadre.pk}"
    if grid_change:  # the grid form's own checks may refuse; when saved, the event lies on the grid
        assert grid_change[0].scope_path == county.grid_a2.path
    # A deletion, by a superuser: the event is written before the row goes.
    from tests.factories import UserFactory
    from xiangzhi.regions.models import Department

    spare = Department.objects.create(code="371603102-water", name="古城水务站", kind="water", region=county.town_b)
    client.force_login(UserFactory(username="root_admin", is_superuser=True, is_staff=True))
    assert client.post(f"/admin/regions/department/{spare.pk}/delete/", {"post": "yes"}).status_code == 302
    deleted = events(AuditAction.ADMIN)[-1]
    assert deleted.summary == "后台删除职能部门「古城水务站」" and deleted.scope_path == county.town_b.path
    assert not Department.objects.filter(pk=spare.pk).exists()


def test_failed_logins_and_the_lock_they_set_off_are_recorded(client, county, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(4):
        client.post("/accounts/login/", {"username": "town_a", "password": "nope"}, REMOTE_ADDR="10.9.9.9")
    failed, locked = events(AuditAction.LOGIN_FAILED), events(AuditAction.LOCKED)
    assert len(failed) == 3 and len(locked) == 1  # the try against the lock is not recorded again
    assert failed[0].summary == "账号「town_a」登录失败" and failed[0].scope_path == county.town_a.path
    assert locked[0].ip == "10.9.9.9" and failed[0].actor is None
    client.post("/accounts/login/", {"username": "nobody", "password": PASSWORD}, REMOTE_ADDR="10.9.9.8")
    assert events(AuditAction.LOGIN_FAILED)[-1].scope_path == ""


def test_the_demo_step_gives_each_township_a_reveal_and_an_export(county):
    from xiangzhi.demo.audit import write_audit

    grant_reveal(county.users["township_staff"])
    report = write_audit()
    assert (report.reveals, report.exports) == (1, 2)  # town_b's staff may not reveal
    assert {e.scope_path for e in events(AuditAction.EXPORT)} == {county.town_a.path, county.town_b.path}
    (reveal,) = events(AuditAction.REVEAL)
    assert reveal.scope_path.startswith(county.town_a.path) and reveal.actor == county.users["township_staff"]
