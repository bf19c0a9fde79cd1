"""The trail itself: what an event keeps, that it is never changed, who reads which events."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from tests.factories import UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.audit import rules
from xiangzhi.audit.models import AuditAction, AuditEvent
from xiangzhi.audit.selectors import audit_list_for_user
from xiangzhi.audit.services import audit_event, audit_record, audit_record_many, common_path
from xiangzhi.core.errors import Forbidden
from xiangzhi.core.models import AppendOnlyError


def test_common_path_is_the_deepest_place_above_all():
    a, b = "/37/3716/371603/371603101/", "/37/3716/371603/371603102/"
    assert common_path([a + "001/", a + "002/"]) == a
    assert common_path([a, b]) == "/37/3716/371603/"
    assert common_path([a + "001/"]) == a + "001/"
    assert common_path([]) == ""
    assert common_path(["/1/", "/2/"]) == ""


def test_the_role_names_are_the_accounts_roles():
    assert {Role.COUNTY_ADMIN.value, Role.TOWNSHIP_STAFF.value} == rules.AUDIT_ROLES
    assert Role.COUNTY_ADMIN.value == rules.COUNTY_ROLE


@pytest.mark.django_db
def test_an_event_keeps_the_name_as_it_was_and_masks_numbers(county):
    staff = county.users["township_staff"]
    event = audit_record(actor=staff, action=AuditAction.REVEAL,
                         summary="查看张三的身份证号 371603197005170013 与 13812345678",
                         scope_path=county.grid_a1.path, subject="people.resident:1",
                         detail={"note": ["电话 13812345678"], "n": 3}, ip="10.0.0.8")
    staff.full_name = "改了名"
    staff.save(update_fields=["full_name"])
    event.refresh_from_db()
    assert event.actor == staff and event.actor_name != "改了名" and event.actor_name
    assert "371603197005170013" not in event.summary and "3716************13" in event.summary
    assert "138****5678" in event.summary and event.detail == {"note": ["电话 138****5678"], "n": 3}
    assert (event.ip, event.scope_path) == ("10.0.0.8", county.grid_a1.path)
    system = audit_record(actor=None, action="login_failed", summary="账号「x」登录失败")
    assert system.actor is None and system.actor_name == ""
    with pytest.raises(ValueError):
        audit_record(actor=None, action="nonsense", summary="—")


@pytest.mark.django_db
def test_events_are_never_changed_or_deleted(county):
    event = audit_record(actor=county.users["county_admin"], action=AuditAction.CONFIG, summary="修改办理时限",
                         scope_path=county.county.path)
    event.summary = "别的"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="别的")
    if connection.vendor == "postgresql":  # the database refuses too, whatever goes around the model
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET summary = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "修改办理时限"


@pytest.fixture
def trail(county):
    """Events in both townships, in a village, a grid, and the county's own (no path)."""
    c = county
    now = timezone.now()
    admin, town_a, town_b = c.users["county_admin"], c.users["township_staff"], c.users["township_staff_b"]
    audit_record_many([
        audit_event(actor=town_a, action="export", summary="导出户籍表（东村第一网格）", scope_path=c.grid_a1.path,
                    at=now - dt.timedelta(days=3)),
        audit_event(actor=town_a, action="reveal", summary="查看张建国的完整身份证号", scope_path=c.grid_a1_micro.path,
                    subject="people.resident:1", at=now - dt.timedelta(days=1)),
        audit_event(actor=town_b, action="import", summary="表格导入户籍：新建 3 户", scope_path=c.village_b1.path,
                    at=now),
        audit_event(actor=admin, action="config", summary="新增事件类别「秸秆焚烧」", scope_path=c.county.path, at=now),
        audit_event(actor=None, action="login_failed", summary="账号「nobody」登录失败", at=now),
    ])
    return c


@pytest.mark.django_db
def test_the_county_reads_everything_a_township_its_own_and_nobody_else_anything(trail):
    c = trail
    summaries = lambda role, **kw: [e.summary for e in audit_list_for_user(c.users[role], **kw)]  # noqa: E731
    assert len(summaries("county_admin")) == 5
    assert summaries("township_staff") == ["查看张建国的完整身份证号", "导出户籍表（东村第一网格）"]  # newest first
    assert summaries("township_staff_b") == ["表格导入户籍：新建 3 户"]
    for role in ("village_cadre", "grid_worker", "resident", "inspector", "department_staff", "points_supervisor"):
        with pytest.raises(Forbidden):
            audit_list_for_user(c.users[role])
    root = UserFactory(username="root_audit", is_superuser=True)
    assert audit_list_for_user(root).count() == 5
    # A township account without a region reads nothing rather than everything.
    with pytest.raises(Forbidden):
        audit_list_for_user(UserFactory(username="lost", role=Role.TOWNSHIP_STAFF))


@pytest.mark.django_db
def test_filters_by_action_person_dates_and_text(trail):
    c = trail
    admin = c.users["county_admin"]
    today = timezone.localdate()
    assert [e.action for e in audit_list_for_user(admin, action="reveal")] == ["reveal"]
    assert audit_list_for_user(admin, actor=c.users["township_staff"].full_name).count() == 2
    assert audit_list_for_user(admin, actor=c.users["township_staff"].full_name[:1]).count() == 4  # a surname
    assert audit_list_for_user(admin, actor=c.users["township_staff_b"].pk).count() == 1
    assert audit_list_for_user(admin, start=today).count() == 3
    assert audit_list_for_user(admin, end=today - dt.timedelta(days=1)).count() == 2  # the end day counts
    yesterday = today - dt.timedelta(days=1)
    assert audit_list_for_user(admin, start=yesterday, end=yesterday).count() == 1
    assert [e.summary for e in audit_list_for_user(admin, text="秸秆")] == ["新增事件类别「秸秆焚烧」"]
    assert audit_list_for_user(admin, text="people.resident").count() == 0  # the sentence, not the machine's key
    assert audit_list_for_user(c.users["township_staff"], text="秸秆").count() == 0
