"""Sunshine meetings and 四议两公开 through the pages and the API: the cadre's steps on the phone, the
township's screening and overview, the public page without login (askers as 「村民」, donors masked,
no personal numbers), and bad input answered in Chinese with nothing written. (Who may open what is in
``tests/access_meetings.py``.)"""

import io

import pytest
from PIL import Image

from xiangzhi.meetings import services
from xiangzhi.meetings.models import Commitment, DeliberationStep, MeetingState, StepKind, SunshineMeeting
from xiangzhi.meetings.tests.helpers import TODAY, ago, held_day, proposed, published, quarter_back, step, vote

pytestmark = pytest.mark.django_db


def photo_file():
    buf = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 180, 160)).save(buf, "JPEG")
    buf.name = "done.jpg"
    buf.seek(0)
    return buf


def test_the_cadre_records_a_meeting_step_by_step_and_the_township_publishes_it(client, county):
    year, quarter = quarter_back(1)
    client.force_login(county.users["village_cadre"])
    assert client.get("/meetings/").url == f"/meetings/villages/{county.village_a1.code}/"
    page = client.get(f"/meetings/villages/{county.village_a1.code}/").content.decode()
    assert "登记本季度会议" in page and "未召开" in page
    r = client.post(f"/meetings/villages/{county.village_a1.code}/record/",
                    {"year": year, "quarter": quarter, "held_on": held_day(year, quarter).isoformat(),
                     "place": "村党群服务中心", "attendance": "85"})
    meeting = SunshineMeeting.objects.get()
    assert r.url == f"/meetings/{meeting.pk}/"
    url = r.url
    client.post(f"{url}report/", {"report": "本季度村集体收入 12 万元，联系电话 13912345678。", "items_reported": "36",
                                  "attachment": io.BytesIO(b"%PDF-1.4 report")})
    client.post(f"{url}questions/", {"text": "村北路灯不亮", "source": "onsite", "reply": "会后就修"})
    question = meeting.questions.get()
    client.post(f"{url}commitments/", {"demand": "修复村北路灯", "question": question.pk,
                                       "owner": county.users["grid_worker"].pk,
                                       "deadline": TODAY.isoformat(), "measure": "联系供电所更换灯具"})
    # Votes beyond the attendance: refused on the page, nothing kept.
    refused = client.post(f"{url}vote/", {"satisfied": "80", "basically_satisfied": "5", "dissatisfied": "1"},
                          follow=True).content.decode()
    assert "评议票数（86）不能超过参会人数（85）" in refused
    client.post(f"{url}vote/", {"satisfied": "70", "basically_satisfied": "10", "dissatisfied": "2"})
    client.post(f"{url}submit/")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.SUBMITTED and meeting.commitments.count() == 1
    assert "139****5678" in meeting.report and meeting.attachments.count() == 1
    page = client.get(url).content.decode()
    assert "已提交，等待乡镇（街道）审核" in page and 'data-testid="submit"' not in page
    assert client.get(f"/meetings/files/{meeting.attachments.get().pk}/").status_code == 200
    # The township screens it from its queue; the public page then shows it.
    client.force_login(county.users["township_staff"])
    assert "东村" in client.get("/meetings/screening/").content.decode()
    client.post(f"{url}screen/", {"decision": "pass"})
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PUBLISHED
    client.logout()
    public = client.get(f"/meetings/public/{county.village_a1.code}/")
    assert public.status_code == 200
    body = public.content.decode()
    assert "修复村北路灯" in body and "村民：</span>村北路灯不亮" in body and "满意率" in body
    assert county.users["grid_worker"].full_name in body  # the owner by name
    assert "13912345678" not in body and "files/" not in body


def test_a_bad_form_is_answered_in_chinese_and_writes_nothing(client, county):
    year, quarter = quarter_back(1)
    client.force_login(county.users["village_cadre"])
    page = client.post(f"/meetings/villages/{county.village_a1.code}/record/",
                       {"year": year, "quarter": quarter, "held_on": "2001-01-01", "place": "村委会",
                        "attendance": "十"}, follow=True)
    assert "参会人数应为整数" in page.content.decode()
    page = client.post(f"/meetings/villages/{county.village_a1.code}/record/",
                       {"year": year, "quarter": quarter, "held_on": "2001-01-01", "place": "村委会",
                        "attendance": "10"}, follow=True)
    assert "之间召开" in page.content.decode()
    assert not SunshineMeeting.objects.exists()


def test_the_owner_follows_his_commitment_on_his_phone(client, county):
    _, commitment = published(county, back=0)
    client.force_login(county.users["grid_worker"])
    assert client.get("/meetings/").url == "/meetings/commitments/"
    assert "修复村北路灯" in client.get("/meetings/commitments/").content.decode()
    url = f"/meetings/commitments/{commitment.pk}/"
    assert "办结" in client.get(url).content.decode()
    client.post(f"{url}progress/", {"note": "灯具已到货"})
    client.post(f"{url}done/", {"done_on": TODAY.isoformat(), "evidence": "已更换 6 盏", "photos": photo_file()})
    commitment.refresh_from_db()
    assert commitment.state == "done" and commitment.photos.count() == 1
    photo = commitment.photos.get()
    assert client.get(f"/meetings/commitment-photos/{photo.pk}/thumb/").status_code == 200
    # Another grid's worker neither sees the commitment nor its photo.
    client.force_login(county.users["grid_worker_b"])
    assert client.get(url).status_code == 404
    assert client.get(f"/meetings/commitment-photos/{photo.pk}/").status_code == 404
    client.logout()
    body = client.get(f"/meetings/public/{county.village_a1.code}/").content.decode()
    assert "已更换 6 盏" in body and "按期办结" in body


def test_the_township_sees_its_overview_and_overdue_commitments(client, county):
    year, quarter = quarter_back(1)
    published(county, back=1, deadline_days=10)
    client.force_login(county.users["township_staff"])
    assert client.get("/meetings/").url == "/meetings/overview/"
    page = client.get(f"/meetings/overview/?year={year}&quarter={quarter}").content.decode()
    assert "已召开阳光报告会 <strong>1</strong> 场" in page and "公开村级事务 <strong>36</strong> 项" in page
    assert "逾期承诺 1" in page
    overdue = client.get("/meetings/overdue/").content.decode()
    assert "修复村北路灯" in overdue and "已逾期" in overdue
    client.force_login(county.users["county_admin"])
    page = client.get(f"/meetings/overview/?year={year}&quarter={quarter}").content.decode()
    assert "下洼镇" in page and "古城镇" in page
    assert client.get(f"/meetings/overview/?region={county.town_b.code}").status_code == 200
    client.force_login(county.users["township_staff_b"])
    assert client.get(f"/meetings/overview/?region={county.town_a.code}").status_code == 404
    assert "修复村北路灯" not in client.get("/meetings/overdue/").content.decode()


def test_a_matter_step_by_step_on_the_page(client, county):
    client.force_login(county.users["village_cadre"])
    r = client.post(f"/meetings/villages/{county.village_a1.code}/deliberations/",
                    {"title": "主街安装太阳能路灯", "proposer": "村民代表联名", "proposed_on": ago(30).isoformat(),
                     "amount": "120000", "description": "主街 40 盏"})
    d_url = r.url
    page = client.get(d_url).content.decode()
    assert "记录党支部会议提议" in page and "应到人数" in page
    # Out of order: refused with the step that comes next.
    refused = client.post(f"{d_url}steps/", {"kind": "members", "held_on": ago(20).isoformat(), "minutes": "同意",
                                             "expected": "30", "attendance": "25", "votes_for": "20"}, follow=True)
    assert "下一步是「党支部会议提议」" in refused.content.decode()
    client.post(f"{d_url}steps/", {"kind": "branch", "held_on": ago(25).isoformat(), "minutes": "同意提交两委商议",
                                   "expected": "7", "attendance": "7", "votes_for": "7", "votes_against": "0",
                                   "votes_abstain": "0"})
    over = client.post(f"{d_url}steps/", {"kind": "joint", "held_on": ago(20).isoformat(), "minutes": "x",
                                          "expected": "9", "attendance": "9", "votes_for": "9",
                                          "votes_against": "1", "votes_abstain": "0"}, follow=True)
    assert "表决票数（10）不能超过实到人数（9）" in over.content.decode()
    assert DeliberationStep.objects.count() == 2
    client.post(f"{d_url}donations/", {"kind": "money", "donor_name": "胡忠辉", "amount": "150000",
                                       "donated_on": ago(10).isoformat(), "living_away": "1"})
    client.force_login(county.users["township_staff"])
    client.post(f"{d_url}screen/", {"decision": "pass"})
    client.logout()
    body = client.get(f"/meetings/public/{county.village_a1.code}/").content.decode()
    assert "进行到第 2 步：党支部会议提议" in body and "下一步：两委联席会议商议" in body
    assert "胡*辉（在外乡贤）" in body and "胡忠辉" not in body and "150,000" in body


def test_the_api_records_a_meeting_with_structured_errors(client, county):
    year, quarter = quarter_back(1)
    client.force_login(county.users["village_cadre"])
    api = "/api/v1/meetings"
    r = client.post(api, {"village": county.village_a1.code, "year": year, "quarter": quarter,
                          "held_on": held_day(year, quarter).isoformat(), "place": "村委会", "attendance": 60},
                    content_type="application/json")
    assert r.status_code == 201
    mid = r.json()["id"]
    again = client.post(api, {"village": county.village_a1.code, "year": year, "quarter": quarter,
                              "held_on": held_day(year, quarter).isoformat(), "place": "村委会", "attendance": 60},
                        content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_recorded"
    assert client.post(f"{api}/{mid}/report", {"report": "述职", "items_reported": 12},
                       content_type="application/json").status_code == 200
    q = client.post(f"{api}/{mid}/questions", {"text": "码上问：广场何时建", "source": "qr", "source_question_id": 5},
                    content_type="application/json").json()
    made = client.post(f"{api}/{mid}/commitments", {"demand": "建广场", "owner_id": county.users["grid_chief"].pk,
                                                    "deadline": TODAY.isoformat(), "measure": "列入项目计划",
                                                    "question_id": q["id"]}, content_type="application/json")
    assert made.status_code == 201 and made.json()["owner"] == county.users["grid_chief"].full_name
    bad = client.post(f"{api}/{mid}/vote", {"satisfied": 60, "basically_satisfied": 1, "dissatisfied": 0},
                      content_type="application/json")
    body = bad.json()["error"]
    assert bad.status_code == 422 and body["code"] == "votes_exceed_attendance" and "参会人数" in body["message"]
    assert body["fields"][0]["field"] == "satisfied"
    client.post(f"{api}/{mid}/vote", {"satisfied": 50, "basically_satisfied": 5, "dissatisfied": 5},
                content_type="application/json")
    submitted = client.post(f"{api}/{mid}/submit").json()
    assert submitted["state"] == "submitted" and submitted["satisfaction"] == pytest.approx(55 / 60)
    assert client.post(f"{api}/{mid}/screen", {"decision": "pass"}, content_type="application/json").status_code == 403
    client.force_login(county.users["township_staff"])
    assert client.post(f"{api}/{mid}/screen", {"decision": "return"},
                       content_type="application/json").status_code == 422  # the reason is required
    assert client.post(f"{api}/{mid}/screen", {"decision": "pass"},
                       content_type="application/json").json()["decision"] == "pass"
    overview = client.get(f"{api}/overview?year={year}&quarter={quarter}").json()
    assert overview["total"]["meetings"] == 1 and overview["total"]["items"] == 12
    public = client.get(f"{api}/public/{county.village_a1.code}").json()
    assert public["sunshine"]["questions"][0]["asker"] == "村民"
    assert public["sunshine"]["commitments"][0]["demand"] == "建广场"
    assert client.get(f"{api}/public/999999999999").status_code == 404


def test_the_api_keeps_a_matters_steps_in_order(client, county):
    client.force_login(county.users["village_cadre"])
    api = "/api/v1/meetings/deliberations"
    d = client.post(api, {"village": county.village_a1.code, "title": "修建村文化广场", "proposer": "村两委",
                          "proposed_on": ago(40).isoformat(), "amount": 300000},
                    content_type="application/json").json()
    assert (d["step"], d["step_number"], d["next_step"]) == ("proposal", 1, "branch")
    jump = client.post(f"{api}/{d['id']}/steps", {"kind": "representatives", "held_on": ago(30).isoformat(),
                                                  "minutes": "x", **vote()}, content_type="application/json")
    assert jump.status_code == 409 and jump.json()["error"]["code"] == "step_out_of_order"
    ok = client.post(f"{api}/{d['id']}/steps", {"kind": "branch", "held_on": ago(30).isoformat(),
                                                "minutes": "同意", **vote()}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["steps"][-1]["passed"] is True
    failed = client.post(f"{api}/{d['id']}/steps", {"kind": "joint", "held_on": ago(25).isoformat(),
                                                    "minutes": "多数反对",
                                                    **vote(votes_for=10, votes_against=12, votes_abstain=3)},
                         content_type="application/json").json()
    assert failed["state"] == "stopped" and failed["next_step"] is None
    later = client.post(f"{api}/{d['id']}/steps", {"kind": "members", "held_on": ago(20).isoformat(), "minutes": "x",
                                                   **vote()}, content_type="application/json")
    assert later.status_code == 409 and later.json()["error"]["code"] == "not_in_progress"


def test_the_public_page_of_a_village_with_nothing_yet(client, county):
    body = client.get(f"/meetings/public/{county.village_b1.code}/").content.decode()
    assert "本村还没有公开的阳光报告会" in body and "本村还没有公开的四议两公开事项" in body
    assert client.get("/meetings/public/371603101/").status_code == 404  # a township, not a village


def test_the_public_page_reads_in_a_bounded_number_of_queries(client, county, django_assert_max_num_queries):
    published(county, back=1)
    for title in ("修桥", "修路", "建广场"):
        d = proposed(county, title=title)
        step(county, d, StepKind.BRANCH, 50, **vote())
        services.deliberation_screen(actor=county.users["township_staff"], deliberation=d, passed=True)
        services.deliberation_donation_record(actor=county.users["village_cadre"], deliberation=d, kind="money",
                                              donor_name="张三", donated_on=TODAY, amount=100)
    with django_assert_max_num_queries(20):
        assert client.get(f"/meetings/public/{county.village_a1.code}/").status_code == 200
    assert Commitment.objects.count() == 1
