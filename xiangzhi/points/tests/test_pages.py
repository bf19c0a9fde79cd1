import io

import pytest
from django.utils import timezone
from PIL import Image

from xiangzhi.points import services
from xiangzhi.points.models import EntryKind, PointsBalance, PointsEntry

pytestmark = pytest.mark.django_db


def login(client, county, role):
    client.force_login(county.users[role])
    return client


def record(county, rules, code="neighbour_help", household="a1", who="points_recorder"):
    return services.entry_record(actor=county.users[who], household=county.households[household], rule=rules[code],
                                 occurred_on=timezone.localdate()).entry


def test_a_villager_sees_their_book_with_balance_rank_and_history(client, county, rules):
    e = record(county, rules)
    services.entry_review(actor=county.users["points_supervisor"], entry=e, approve=True)
    record(county, rules, "env_sorting")
    record(county, rules, household="a1_micro")
    page = login(client, county, "resident").get("/points/book/").content.decode()
    assert "我家的积分手册" in page and "张建国户" in page
    assert 'data-testid="balance">3<' in page
    assert "1<small" in page and "/2</small>" in page  # first of the village's two households
    assert "另有 +1 分待月度审核" in page
    assert page.count('data-testid="entry-row"') == 2 and "邻里和睦 +3" in page
    assert client.get("/points/").url == "/points/book/"


def test_the_quick_entry_records_once_per_form_and_keeps_the_household(client, county, rules):
    c = login(client, county, "grid_worker")
    page = c.get("/points/record/").content.decode()
    assert "张建国户" in page and "李秀英户" in page and "王德福户" not in page  # only the worker's grid
    assert "须拍照" in page and "随手拍反映问题" not in page  # system-only items are not offered
    form = {"household": county.households["a1"].pk, "rule": rules["neighbour_help"].pk, "count": "1",
            "occurred_on": timezone.localdate().isoformat(), "note": "帮邻居修屋顶", "submission_id": "form-1"}
    first = c.post("/points/record/", form)
    assert first.status_code == 302 and first.url.endswith(f"?household={county.households['a1'].pk}")
    c.post("/points/record/", form)  # a double tap
    assert PointsEntry.objects.count() == 1
    follow = c.get(first.url).content.decode()
    assert "已记录：张建国户 邻里互助、扶危济困 +3 分（待审核）" in follow and "帮邻居修屋顶" in follow
    refused = c.post("/points/record/", {**form, "rule": rules["env_litter"].pk, "submission_id": "form-2"},
                     follow=True).content.decode()
    assert "须上传照片作为凭证" in refused and PointsEntry.objects.count() == 1
    buf = io.BytesIO()
    Image.new("RGB", (50, 40), (90, 90, 90)).save(buf, "PNG")
    buf.seek(0)
    buf.name = "litter.png"
    done = c.post("/points/record/", {**form, "rule": rules["env_litter"].pk, "submission_id": "form-3",
                                      "photo": buf})
    assert done.status_code == 302
    entry = PointsEntry.objects.get(rule_code="env_litter")
    assert entry.points == -3 and entry.evidence_sha256
    assert c.get(f"/points/entries/{entry.pk}/photo/")["Content-Type"] == "image/jpeg"
    options = c.get("/points/record/households/?q=李秀").content.decode()
    assert "李秀英户" in options and "张建国户" not in options


def test_the_review_queue_approves_in_bulk_and_rejects_with_a_reason(client, county, rules,
                                                                      django_assert_max_num_queries):
    entries = [record(county, rules, code) for code in ("neighbour_help", "env_sorting", "law_learning",
                                                         "customs_promote")]
    own = record(county, rules, who="village_cadre", household="a1_micro")
    c = login(client, county, "village_cadre")
    c.get("/points/review/")
    with django_assert_max_num_queries(14):
        page = c.get("/points/review/").content.decode()
    assert page.count('data-testid="queue-row"') == 4 and "另有 1 条是您本人记录" in page
    assert f'value="{own.pk}"' not in page
    rejected = c.post("/points/review/", {"reject_one": entries[0].pk, f"reason_{entries[0].pk}": "当天不在村里"})
    assert rejected.status_code == 302
    c.post("/points/review/", {"bulk": "approve", "ids": [e.pk for e in entries[1:]] + [own.pk]})
    statuses = {e.pk: PointsEntry.objects.get(pk=e.pk).status for e in [*entries, own]}
    assert statuses == {entries[0].pk: "rejected", entries[1].pk: "approved", entries[2].pk: "approved",
                        entries[3].pk: "approved", own.pk: "pending"}
    assert PointsBalance.objects.get(pk=county.households["a1"].pk).approved_total == 1 + 2 + 2
    message = c.get("/points/review/").content.decode()
    assert "没有待审核的记录" in message


def test_an_entry_page_reverses_an_approved_entry_once(client, county, rules):
    e = record(county, rules)
    services.entry_review(actor=county.users["points_supervisor"], entry=e, approve=True)
    c = login(client, county, "points_supervisor")
    page = c.get(f"/points/entries/{e.pk}/").content.decode()
    assert 'data-testid="reverse-form"' in page and e.hash[:4].upper() in page and e.hash not in page
    asked = {"reason": "户选错了", "requester": county.users["points_recorder"].pk}
    c.post(f"/points/entries/{e.pk}/reverse/", asked)
    again = c.post(f"/points/entries/{e.pk}/reverse/", asked, follow=True).content.decode()
    assert "只能冲正一次" in again
    assert PointsEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1
    page = c.get(f"/points/entries/{e.pk}/").content.decode()
    assert "已冲正" in page and 'data-testid="reverse-form"' not in page
    recorder_view = login(client, county, "points_recorder").get(f"/points/entries/{e.pk}/").content.decode()
    assert 'data-testid="reverse-form"' not in recorder_view


def test_rankings_and_rules_pages(client, county, rules):
    e = record(county, rules, "stability_mediate")
    services.entry_review(actor=county.users["points_supervisor"], entry=e, approve=True)
    page = login(client, county, "township_staff").get("/points/rankings/").content.decode()
    assert "下洼镇" in page and 'data-testid="participation">33.3%' in page  # 1 of 3 households
    assert "张建国户" in page and "chart-rate" in page
    village = client.get(f"/points/rankings/?region={county.village_a1.code}").content.decode()
    assert 'data-testid="participation">50.0%' in village
    rules_page = login(client, county, "resident").get("/points/rules/").content.decode()
    assert "信访维稳" in rules_page and "随手拍反映问题经核实有效" in rules_page
    assert "下洼镇户积分管理细则" in rules_page


def test_the_menu_offers_points_by_role(client, county, rules):
    menus = {role: login(client, county, role).get("/").content.decode()
             for role in ("resident", "points_recorder", "points_supervisor", "township_staff", "department_staff")}
    assert "积分手册" in menus["resident"] and "记积分" not in menus["resident"]
    assert "记积分" in menus["points_recorder"] and "积分审核" not in menus["points_recorder"]
    assert "积分审核" in menus["points_supervisor"] and "记积分" not in menus["points_supervisor"]
    assert "积分排名" in menus["township_staff"]
    assert "积分" not in menus["department_staff"].split("</nav>")[0]


def test_the_entry_page_shows_who_asked_for_a_reversal_and_who_approved_it(client, county, rules):
    e = record(county, rules)
    services.entry_review(actor=county.users["points_supervisor"], entry=e, approve=True)
    c = login(client, county, "points_supervisor")
    recorder, supervisor = county.users["points_recorder"], county.users["points_supervisor"]
    form = c.get(f"/points/entries/{e.pk}/").content.decode()
    assert f'<option value="{recorder.pk}" selected>' in form
    refused = c.post(f"/points/entries/{e.pk}/reverse/", {"reason": "户选错了", "requester": supervisor.pk},
                     follow=True).content.decode()
    assert "申请人和批准人不能是同一人" in refused
    c.post(f"/points/entries/{e.pk}/reverse/", {"reason": "户选错了", "requester": recorder.pk})
    reversal = PointsEntry.objects.get(kind=EntryKind.REVERSAL)
    page = c.get(f"/points/entries/{reversal.pk}/").content.decode()
    assert f"申请人 {recorder.full_name} · 批准人 {supervisor.full_name}" in page
    assert "本人申请、本人批准" not in page
