"""The queue's pages and API: a figure clicked through to its list, bulk dispatch and 督办 from the
page and the API with per-case answers, the .xlsx and the printable list, the workload page whose
every number opens a list of that length."""

import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.web import post
from xiangzhi.cases import services
from xiangzhi.cases.models import Case, Category, Status
from xiangzhi.centre.tests.figures_story import IN_A1, IN_B1, report
from xiangzhi.centre.workload import workload_for_user

TITLE = re.compile(r'data-testid="queue-title">(.*?) · <span class="xz-num" data-testid="queue-count">([\d,]+)</span>')


def heading(html: str) -> tuple[str, int]:
    found = TITLE.search(html)
    assert found, html[:2000]
    return found.group(1), int(found.group(2).replace(",", ""))


def rows(html: str) -> list[str]:
    return re.findall(r'data-testid="queue-row" data-number="(\d+)"', html)


@pytest.mark.django_db
def test_a_figure_clicks_through_to_its_cases_and_the_queue_dispatches_them(client, county, story,
                                                                           django_assert_max_num_queries):
    u = county.users
    late = [report(county, "env_garbage", IN_A1, days_ago=20) for _ in range(3)]
    client.force_login(u["township_staff"])
    figures = client.get("/centre/figures/").content.decode()
    card = re.search(r'href="([^"]+)" data-testid="figure-link-overdue_open"[^>]*>(\d+)</a>', figures)
    assert card, "the 超时未办结 figure is a link"
    link, shown = card.group(1).replace("&amp;", "&"), int(card.group(2))
    assert shown == 4 and parse_qs(urlparse(link).query)["figure"] == ["overdue_open"]  # c7 and the three
    # Every count of the page links to the case list, with the page's period.
    assert figures.count('href="/centre/cases/?') > 40 and "period=12m" in link

    client.get(link)  # warm: routing's tables, the session
    with django_assert_max_num_queries(14):
        page = client.get(link)
    html = page.content.decode()
    assert heading(html) == ("超时未办结 · 下洼镇", 4)
    numbers = rows(html)
    assert set(numbers) == {c.number for c in [story.cases["c7"], *late]}
    assert html.count('data-testid="overdue"') == 4 and 'data-testid="suggestion">建议派往：网格' in html

    # Two ticked, dispatched at once with a 督办 note; with c7 (being handled) the page names the refusal.
    picked = [late[0].pk, late[1].pk, story.cases["c7"].pk]
    done = client.post("/centre/cases/bulk/", {"ids": picked, "action": "dispatch", "to": "suggested",
                                               "supervise": "1", "note": "今天内到场处置",
                                               "next": urlparse(link).query}, follow=True)
    text = done.content.decode()
    assert done.redirect_chain[-1][0].startswith("/centre/cases/?")
    assert "已派遣 2 件并督办，1 件未能派遣" in text
    assert f"{story.cases['c7'].number}「测试事件」未能处理：“处置中”状态的事件不能派遣" in text
    for case in late[:2]:
        case.refresh_from_db()
        assert case.status == Status.DISPATCHED and case.supervise_count == 1
    # 督办 without its reason: refused in Chinese, nothing written.
    refused = client.post("/centre/cases/bulk/", {"ids": [late[2].pk], "action": "supervise", "note": ""},
                          follow=True)
    assert "请填写督办意见" in refused.content.decode()
    assert Case.objects.get(pk=late[2].pk).supervise_count == 0

    # Another township's case answers 404; a villager may neither list nor act.
    elsewhere = report(county, "road_light", IN_B1)
    assert client.post("/centre/cases/bulk/", {"ids": [elsewhere.pk], "action": "supervise",
                                               "note": "请加快"}).status_code == 404
    assert client.get("/centre/cases/", {"region": county.town_b.code}).status_code == 404
    assert client.get("/centre/cases/", {"due": "someday"}).status_code == 400
    client.force_login(u["resident"])
    assert client.get("/centre/cases/").status_code == 403
    assert client.post("/centre/cases/bulk/", {"ids": [late[2].pk], "action": "supervise",
                                               "note": "请加快"}).status_code == 403


@pytest.mark.django_db
def test_the_queue_as_a_sheet_a_printed_page_and_over_the_api(client, county, story):
    u = county.users
    weird = services.case_report(category=Category.objects.get(code="env_garbage"), title='=HYPERLINK("x")',
                                 channel="resident", lon=IN_A1[0], lat=IN_A1[1], reporter=u["resident"],
                                 now=timezone.now() - dt.timedelta(days=20)).case
    client.force_login(u["township_staff"])
    sheet = client.get("/centre/cases/export.xlsx", {"status": "all"})
    assert sheet["Content-Disposition"].startswith('attachment; filename="cases-')
    book = load_workbook(io.BytesIO(sheet.content))
    ws = book.active
    values = [[cell.value for cell in row] for row in ws.iter_rows()]
    assert values[0][0].startswith("全部事件 · 下洼镇") and values[2][:3] == ["编号", "标题", "类别"]
    data = values[3:-1]
    assert len(data) == 9  # c1–c7, c9 and the new one
    assert all(isinstance(v, str) for row in data for v in row if v is not None)
    assert ws.cell(row=4, column=1).number_format == "@"
    assert values[-1][0] == "合计（件）" and values[-1][1] == f"=COUNTA(A4:A{3 + len(data)})"
    assert any(row[1] == '=HYPERLINK("x")' for row in data)  # a title like a formula stays text
    assert ws.cell(row=4 + [r[0] for r in data].index(weird.number), column=2).data_type == "s"

    printed = client.get("/centre/cases/print/", {"due": "overdue"}).content.decode()
    assert "size: A4 landscape" in printed and "已超时 · 下洼镇 · 2 件" in printed  # c7 and the new one
    assert weird.number in printed and story.cases["c7"].number in printed

    body = client.get("/api/v1/centre/cases", {"figure": "overdue_open", "period": "12m"}).json()
    assert body["title"] == "超时未办结 · 下洼镇" and body["count"] == 2
    assert {r["number"] for r in body["results"]} == {story.cases["c7"].number, weird.number}
    assert all(r["overdue"] for r in body["results"])
    bad = client.get("/api/v1/centre/cases", {"due": "someday"})
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("没有这个时限筛选")

    answer = post(client, "/api/v1/centre/cases/bulk", {"ids": [weird.pk, story.cases["c7"].pk],
                                                         "action": "dispatch", "supervise": True, "note": "请加快"})
    assert answer.status_code == 200
    got = answer.json()
    assert got["summary"] == "已派遣 1 件并督办，1 件未能派遣" and (got["done"], got["refused"]) == (1, 1)
    assert got["results"][0]["ok"] and got["results"][0]["message"] == "已受理、派遣至网格、督办"
    assert got["results"][1]["code"] == "illegal_transition"
    no_reason = post(client, "/api/v1/centre/cases/bulk", {"ids": [weird.pk], "action": "supervise"})
    assert no_reason.status_code == 422 and "督办意见" in no_reason.json()["error"]["message"]
    client.force_login(u["township_staff_b"])
    assert post(client, "/api/v1/centre/cases/bulk", {"ids": [weird.pk], "action": "supervise",
                                                      "note": "请加快"}).status_code == 404
    client.force_login(u["village_cadre"])
    assert post(client, "/api/v1/centre/cases/bulk", {"ids": [weird.pk], "action": "supervise",
                                                      "note": "请加快"}).status_code == 403


@pytest.mark.django_db
def test_workload_numbers_open_lists_of_their_length(client, county, story):
    u = county.users
    report(county, "env_garbage", IN_A1, days_ago=20)
    now = timezone.now()
    w = workload_for_user(u["township_staff"], now=now)
    worker = next(p for p in w.people if p.name == u["grid_worker"].full_name)
    assert (worker.open, worker.overdue) == (1, 1)  # c7, his own report, past its deadline
    assert w.unassigned.open == 2  # c5 and the new one wait for nobody in particular
    closed = sum(p.closed for p in w.people) + w.unassigned.closed
    assert closed == 4  # c1 c2 c3 c9 closed this month; c6 closed with c1, not counted twice
    assert [d.name for d in w.departments] == ["下洼供电所"]

    client.force_login(u["township_staff"])
    html = client.get("/centre/workload/").content.decode()
    assert u["grid_worker"].username not in html  # names, never logins
    links = re.findall(r'<a (?:class="[^"]*" )?href="(/centre/cases/\?[^"]+)">([\d,]+)</a>', html)
    assert len(links) >= 15
    for href, number in links:
        listed = client.get(href.replace("&amp;", "&")).content.decode()
        assert heading(listed)[1] == int(number.replace(",", "")), href
    client.force_login(u["grid_worker"])
    assert client.get("/centre/workload/").status_code == 403
