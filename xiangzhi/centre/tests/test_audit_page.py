"""审计: the scoped page with its filters and paging, and its export (itself recorded)."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from xiangzhi.audit.models import AuditEvent
from xiangzhi.audit.services import audit_event, audit_record_many
from xiangzhi.centre.audit_views import PAGE_SIZE

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(county):
    c = county
    now = timezone.now()
    town_a, town_b = c.users["township_staff"], c.users["township_staff_b"]
    rows = [audit_event(actor=town_a, action="export", summary=f"导出户籍表（第 {i} 次）", scope_path=c.grid_a1.path,
                        subject="people.household", ip="10.0.0.1", at=now - dt.timedelta(minutes=i))
            for i in range(PAGE_SIZE + 5)]
    rows += [audit_event(actor=town_a, action="reveal", summary="查看张建国的完整身份证号（事由：核对 =1+1）",
                         scope_path=c.grid_a1_micro.path, subject="people.resident:7", at=now - dt.timedelta(days=2)),
             audit_event(actor=town_b, action="import", summary="表格导入户籍：新建 3 户", scope_path=c.village_b1.path,
                         at=now - dt.timedelta(days=1)),
             audit_event(actor=None, action="login_failed", summary="账号「nobody」登录失败", at=now)]
    audit_record_many(rows)
    return c


def test_newest_first_paged_with_the_names_of_people_and_places(client, trail, django_assert_max_num_queries):
    c = trail
    client.force_login(c.users["township_staff"])
    with django_assert_max_num_queries(12):
        page = client.get("/centre/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="audit-row"') == PAGE_SIZE
    assert "导出户籍表（第 0 次）" in html and "导出户籍表（第 49 次）" in html and "（第 50 次）" not in html
    assert c.users["township_staff"].full_name in html and "东村第一网格" in html and "户 #" not in html
    assert "古城镇" not in html and "新建 3 户" not in html and "nobody" not in html  # other township, the county's
    assert 'href="/centre/audit/"' in html and "审计" in html  # its tab in the centre
    assert "审计日志" in [label for label, _ in page.context["nav_items"]]  # and in the menu
    more = client.get("/centre/audit/" + page.context["next_url"])
    rest = more.content.decode()
    assert more.context["next_url"] == "" and rest.count('data-testid="audit-row"') == 6
    assert "（第 50 次）" in rest and "（第 54 次）" in rest and "查看张建国" in rest and "居民 #7" in rest
    assert "东村一组微网格" in rest


def test_filters_and_their_refusals(client, trail):
    c = trail
    client.force_login(c.users["county_admin"])

    def rows(**params):
        return client.get("/centre/audit/", params).context["rows"]

    assert [r["action"] for r in rows(action="reveal")] == ["查看敏感信息"]
    assert len(rows(actor=c.users["township_staff_b"].full_name)) == 1
    assert [r["event"].summary for r in rows(text="登录")] == ["账号「nobody」登录失败"]
    assert [r["place"] for r in rows(text="登录")] == ["全县"]
    day = timezone.localdate() - dt.timedelta(days=1)
    assert [r["event"].summary for r in rows(start=day.isoformat(), end=day.isoformat())] == ["表格导入户籍：新建 3 户"]
    bad = client.get("/centre/audit/", {"start": "2025-13-01", "action": "nope"})
    said = bad.content.decode()
    assert bad.status_code == 422 and "起始日期格式不正确" in said and "没有这种类别" in said
    backwards = client.get("/centre/audit/", {"start": "2025-03-02", "end": "2025-03-01"})
    assert "起始日期不能晚于截止日期" in backwards.content.decode()


def test_the_export_holds_the_filtered_rows_as_text_and_is_recorded(client, trail):
    c = trail
    client.force_login(c.users["township_staff"])
    response = client.get("/centre/audit/export.xlsx", {"action": "reveal"}, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("时间", "操作人", "类别", "摘要", "所在区域", "对象", "IP 地址")
    assert len(values) == 2
    assert values[1][2:6] == ("查看敏感信息", "查看张建国的完整身份证号（事由：核对 =1+1）", "东村一组微网格",
                              "居民 #7")
    assert sheet.cell(row=2, column=4).data_type == "s"  # a summary that looks like a formula stays text
    event = AuditEvent.objects.get(action="export", summary__startswith="导出审计日志")
    assert (event.actor, event.scope_path, event.ip) == (c.users["township_staff"], c.town_a.path, "10.2.2.2")
    assert event.summary == "导出审计日志 1 条（筛选：action=reveal）" and event.detail["rows"] == 1
    # The export is now on the page, where the township reads it.
    assert "导出审计日志 1 条" in client.get("/centre/audit/").content.decode()


def test_only_the_county_and_township_staff_may_open_it(client, county):
    for role in ("resident", "village_cadre", "grid_worker", "department_staff", "inspector", "points_supervisor"):
        client.force_login(county.users[role])
        assert client.get("/centre/audit/").status_code == 403, role
        assert client.get("/centre/audit/export.xlsx").status_code == 403, role
        assert "审计日志" not in [label for label, _ in client.get("/accounts/me/").context["nav_items"]], role
    client.logout()
    assert client.get("/centre/audit/").status_code == 302
    client.force_login(county.users["township_staff_b"])
    empty = client.get("/centre/audit/")
    assert empty.status_code == 200 and 'data-testid="audit-empty"' in empty.content.decode()


def test_a_text_search_reads_a_quarter_a_page_and_goes_on_before_it(client, county):
    c = county
    now = timezone.now()
    staff = c.users["township_staff"]
    audit_record_many([audit_event(actor=staff, action="export", summary=f"导出户籍表（{i} 月前）",
                                   scope_path=c.grid_a1.path, at=now - dt.timedelta(days=30 * i + 1))
                       for i in range(8)])
    client.force_login(staff)
    first = client.get("/centre/audit/", {"text": "7 月前"})
    assert first.context["rows"] == [] and first.context["searched_from"] is not None
    assert "在查找的这三个月" in first.content.decode()
    second = client.get("/centre/audit/" + first.context["next_url"])
    assert second.context["rows"] == [] and second.context["next_url"]
    third = client.get("/centre/audit/" + second.context["next_url"])
    assert [r["event"].summary for r in third.context["rows"]] == ["导出户籍表（7 月前）"]
    assert third.context["next_url"] == ""  # nothing older at all
    # Dates narrower than a quarter are searched as asked, in one go.
    day = timezone.localtime(now - dt.timedelta(days=30 * 7 + 1)).date()
    narrow = client.get("/centre/audit/", {"text": "月前", "start": day.isoformat(), "end": day.isoformat()})
    assert [r["event"].summary for r in narrow.context["rows"]] == ["导出户籍表（7 月前）"]
    assert narrow.context["searched_from"] is None
    # An end long ago: the quarter searched is the one before it.
    ended = client.get("/centre/audit/", {"text": "7 月前", "end": day.isoformat()})
    assert [r["event"].summary for r in ended.context["rows"]] == ["导出户籍表（7 月前）"]


def test_what_an_event_concerns_reads_in_chinese_or_not_at_all():
    from xiangzhi.centre.audit_views import _subject

    assert (_subject("people.resident:7"), _subject("people.household")) == ("居民 #7", "户")
    assert _subject("nonsense") == "" and _subject("nowhere.model:3") == ""
    assert "duplicate" not in _subject("configuration.setting:case.duplicate_meters")
