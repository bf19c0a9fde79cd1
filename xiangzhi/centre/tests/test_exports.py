"""Exports upward: the figures as .xlsx whose rates are formulas over the count cells (evaluated here by
hand and compared with the figures API), names written as text, and the same tables on a page to print."""

import io
import re

import pytest
from openpyxl import load_workbook

from tests.factories import RegionFactory
from xiangzhi.audit.models import AuditEvent

CELL = re.compile(r"\$?([A-Z]+)\$?(\d+)")
ARITHMETIC = re.compile(r"^[0-9.+\-*/() ]+$")


def _value(sheet, ref: str) -> float:
    cell = sheet[ref]
    value = cell.value
    if isinstance(value, str) and value.startswith("=SUM("):
        first, last = value[5:-1].split(":")
        (col, top), (_, bottom) = CELL.fullmatch(first).groups(), CELL.fullmatch(last).groups()
        return sum(_value(sheet, f"{col}{r}") for r in range(int(top), int(bottom) + 1))
    if isinstance(value, str) and value.startswith("="):
        return _evaluate(sheet, value)
    assert isinstance(value, int | float), (ref, value)
    return value


def _parts(formula: str) -> tuple[str, str]:
    """(numerator, denominator) of ``=IF(den=0,"",num/den)``."""
    assert formula.startswith("=IF(") and formula.endswith(")"), formula
    whole, rest = formula[4:-1].split('=0,"",', 1)
    assert rest.endswith("/" + whole), formula
    return rest[:-len(whole) - 1], whole


def _evaluate(sheet, formula: str):
    """What Excel computes for one of our rate formulas, by hand: "" where the denominator is 0."""
    def arithmetic(expression: str) -> float:
        text = CELL.sub(lambda m: repr(_value(sheet, m.group(0))), expression)
        assert ARITHMETIC.match(text), text
        return eval(text, {"__builtins__": {}})  # noqa: S307 (digits and + - / ( ) only, checked above)

    numerator, denominator = _parts(formula)
    whole = arithmetic(denominator)
    return "" if whole == 0 else arithmetic(numerator) / whole


def _refs(expression: str) -> list[str]:
    return [m.group(0).replace("$", "") for m in CELL.finditer(expression)]


def _rows(sheet) -> dict[str, int]:
    """Row number of each name in column A."""
    return {sheet.cell(r, 1).value: r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value}


@pytest.fixture
def book(client, county, story):
    RegionFactory(code="371603101009", name='=HYPERLINK("http://x","点我")', level="village", parent=county.town_a)
    client.force_login(county.users["township_staff"])
    response = client.get("/centre/figures/export.xlsx")
    assert response.status_code == 200
    assert re.fullmatch(r'attachment; filename="figures-371603101-\d{8}-\d{8}\.xlsx"',
                        response["Content-Disposition"])
    return load_workbook(io.BytesIO(response.content)), client.get("/api/v1/cases/figures").json()


@pytest.mark.django_db
def test_the_headline_rates_are_formulas_over_the_counts_and_give_the_pages_rates(book, county):
    wb, api = book
    assert wb.sheetnames == ["总览", "按村（社区）", "按类别大类", "按职能部门", "按月份"]
    sheet = wb["总览"]
    assert sheet["A1"].value == "事件统计 · 下洼镇 · 总览"
    assert sheet["A2"].value == "统计范围：下洼镇" and sheet["A3"].value.startswith("统计期：近12个月（")
    assert sheet["A4"].value.startswith("生成时间：") and "导出人：" in sheet["A4"].value
    rows = _rows(sheet)
    for name, key in [("上报件", "received"), ("已办结件", "closed"), ("应办结件", "due"), ("满意", "satisfied"),
                      ("超时未办结件", "overdue_open")]:
        assert sheet.cell(rows[name], 2).value == api[key], name  # counts are values
    rates = {"合格率": "valid_rate", "办结率": "closure_rate", "按期办结率": "on_time_rate", "返工率": "rework_rate",
             "满意率": "satisfaction_rate", "自办自结率": "self_closed_rate", "主动发现率": "proactive_rate",
             "平均办结时长（小时）": "mean_hours_to_close", "走访按期率": None}
    for name, key in rates.items():
        cell = sheet.cell(rows[name], 2)
        assert cell.data_type == "f" and cell.value.startswith("=IF("), name
        assert cell.number_format == ("0.00%" if "时长" not in name else "#,##0.0"), name
        value = _evaluate(sheet, cell.value)
        expected = api[key] if key else (api["visits"] or {}).get("on_time_rate")
        if expected is None:
            assert value == "", name
        else:
            assert round(value, 4 if "时长" not in name else 1) == expected, name
        assert "÷" in sheet.cell(rows[name], 3).value  # the words beside it
    # The right cells: 办结率 = 已办结件 ÷ 应办结件, 满意率 = (满意 + 基本满意) ÷ 已评价件.
    label = {f"B{r}": sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)}
    numerator, denominator = _parts(sheet.cell(rows["办结率"], 2).value)
    assert [label[r] for r in _refs(numerator)] == ["已办结件"]
    assert [label[r] for r in _refs(denominator)] == ["应办结件"]
    numerator, denominator = _parts(sheet.cell(rows["满意率"], 2).value)
    assert [label[r] for r in _refs(numerator)] == ["满意", "基本满意"]
    assert [label[r] for r in _refs(denominator)] == ["已评价件"]
    words = sheet.cell(rows["办结率"], 3).value
    assert words == f"已办结件 ÷ 应办结件（B{rows['已办结件']} ÷ B{rows['应办结件']}）"
    # Read without formulas (a viewer that does not compute), the cached results are there too.
    assert AuditEvent.objects.filter(action="export", actor=county.users["township_staff"]).count() == 1


@pytest.mark.django_db
def test_the_rankings_rates_are_formulas_per_row_with_a_total(book):
    wb, api = book
    sheet = wb["按村（社区）"]
    head = [c.value for c in sheet[6]]
    assert head[:4] == ["村（社区）", "编码", "上报", "待受理"] and "办结率" in head
    col = {name: i + 1 for i, name in enumerate(head)}
    assert sheet.cell(7, col["办结率"]).value == "已办结 ÷ 应办结"  # the words beneath the heading
    rows = _rows(sheet)
    by_child = {r["name"]: r for r in api["by_child"]}
    for name in ("东村", "西村"):
        r = rows[name]
        assert sheet.cell(r, col["上报"]).value == by_child[name]["received"]
        for rate, key in [("办结率", "closure_rate"), ("按期办结率", "on_time_rate"), ("满意率", "satisfaction_rate"),
                          ("合格率", "valid_rate"), ("自办自结率", "self_closed_rate")]:
            value = _evaluate(sheet, sheet.cell(r, col[rate]).value)
            expected = by_child[name][key]
            assert (value == "" if expected is None else round(value, 4) == expected), (name, rate)
        numerator, denominator = _parts(sheet.cell(r, col["办结率"]).value)
        assert [head[sheet[ref].column - 1] for ref in _refs(numerator)] == ["已办结"]
        assert [head[sheet[ref].column - 1] for ref in _refs(denominator)] == ["应办结"]
        assert {int(CELL.fullmatch(ref).group(2)) for ref in _refs(numerator + denominator)} == {r}  # its own row
    total = rows["合计"]
    assert sheet.cell(total, col["上报"]).value.startswith("=SUM(")
    assert _value(sheet, sheet.cell(total, col["上报"]).coordinate) == api["received"]
    assert round(_evaluate(sheet, sheet.cell(total, col["办结率"]).value), 4) == api["closure_rate"]
    # A name that came from people is text, never a formula, and stays text when edited.
    hostile = sheet.cell(rows['=HYPERLINK("http://x","点我")'], 1)
    assert hostile.data_type == "s" and hostile.quotePrefix
    months = wb["按月份"]
    assert [c.value for c in months[6]][-7] == "当月结案"
    departments = _rows(wb["按职能部门"])
    assert "下洼供电所" in departments


@pytest.mark.django_db
def test_the_print_page_shows_the_same_tables_with_their_formulas(client, county, story):
    client.force_login(county.users["township_staff"])
    response = client.get("/centre/figures/print/", {"period": "year"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<nav" not in html and "@page" not in html  # no menu; the print rules live in print.css
    title = re.search(r'data-testid="print-title">([^<]+)<', html).group(1)
    assert title.startswith("事件统计 · 下洼镇 · 本年（") and title.endswith("）")
    assert "<td>办结率</td><td class=\"num\" data-testid=\"print-value\">80.0%</td>" in html
    assert "<td>已办结件 ÷ 应办结件</td><td class=\"num\">4 ÷ 5</td>" in html
    assert "<td>满意率</td><td class=\"num\" data-testid=\"print-value\">66.7%</td>" in html
    assert "(1 + 1) ÷ 3" in html
    children = html.split('data-testid="print-children"', 1)[1].split("</table>", 1)[0]
    assert "<td>东村</td><td class=\"num\">8</td>" in children
    assert "(上报 − 待受理 − 不予受理) ÷ (上报 − 待受理)" in children
    assert 'href="/centre/figures/export.xlsx?period=year"' in html
    # The same parameters and scope as the figures page.
    assert client.get("/centre/figures/print/", {"region": county.town_b.code}).status_code == 404
    client.force_login(county.users["county_admin"])
    other = client.get("/centre/figures/print/", {"region": county.town_b.code, "start": "2020-01-01",
                                                   "end": "2020-12-31"}).content.decode()
    assert "事件统计 · 古城镇 · 2020年1月1日至2020年12月31日" in other
    groups = other.split('data-testid="print-groups"', 1)[1].split("</table>", 1)[0]
    assert "统计期内没有事件。" in groups and '<tr class="total"><td>合计</td><td class="num">0</td>' in groups
    client.force_login(county.users["resident"])
    assert client.get("/centre/figures/print/").status_code == 403
    assert client.get("/centre/figures/export.xlsx").status_code == 403


@pytest.mark.django_db
def test_the_export_links_keep_the_pages_parameters(rf, county):
    from django.template.loader import render_to_string

    request = rf.get("/centre/figures/", {"period": "year", "region": county.village_a1.code})
    html = render_to_string("centre/_export_links.html", request=request)
    assert f'href="/centre/figures/export.xlsx?period=year&amp;region={county.village_a1.code}"' in html
    assert f'href="/centre/figures/print/?period=year&amp;region={county.village_a1.code}"' in html
