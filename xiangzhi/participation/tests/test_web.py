"""The pages: a cadre sends a notice and follows who has not read it, a villager reads and votes on his
phone, a duplicate vote is told plainly, the SMS link and the public poll need no login, a meeting's
demands become cases on the meeting's page."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from xiangzhi.participation import services
from xiangzhi.participation.models import Announcement, AnnouncementReceipt, Meeting, Poll, PollBallot
from xiangzhi.participation.tests.conftest import answers_for, audience, scale_poll

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def test_a_cadre_sends_a_notice_and_follows_who_has_not_read_it(client, county, people):
    logged_in(client, county.users["village_cadre"])
    page = client.get("/participation/announcements/new/").content.decode()
    assert "东村村民委员会" in page and f'value="{county.village_a1.code}"' in page
    response = client.post("/participation/announcements/new/", {
        "kind": "village", "target": county.village_a1.code, "title": "关于秋季防火的通知", "body": "请清理柴草。",
        "issuer": "东村村民委员会"})
    announcement = Announcement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/participation/announcements/{announcement.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "0</span> / 6 人已读" in page and people.micro_head.name in page and county.grid_a1_micro.name in page
    assert "提醒未读的 6 人" in page
    response = client.post(f"/participation/announcements/{announcement.pk}/remind/")
    assert response.status_code == 302 and announcement.reminders.count() == 1
    # An empty title is told beside the form, nothing sent.
    response = client.post("/participation/announcements/new/", {"kind": "village", "target": county.village_a1.code,
                                                                  "title": "", "body": "x", "issuer": "x"})
    assert response.status_code == 422 and "请填写标题" in response.content.decode()
    assert Announcement.objects.count() == 1


def test_a_villager_reads_his_notice_and_it_is_marked_read(client, county, people):
    announcement = services.announcement_send(actor=county.users["village_cadre"],
                                              audience=audience("village", county.village_a1.code),
                                              title="关于秋季防火的通知", body="请清理柴草。", issuer="东村村民委员会")
    logged_in(client, people.spouse_account)
    listing = client.get("/participation/announcements/").content.decode()
    assert "关于秋季防火的通知" in listing and "未读" in listing and "本辖区发出的" not in listing
    page = client.get(f"/participation/announcements/{announcement.pk}/").content.decode()
    assert "请清理柴草" in page and "您已于" in page and "阅读情况" not in page
    assert AnnouncementReceipt.objects.get(announcement=announcement, user=people.spouse_account).read_at is not None
    assert client.get(f"/participation/announcements/{announcement.pk}/remind/").status_code == 405


def test_the_sms_link_opens_without_login_and_a_wrong_one_is_404(county, people):
    announcement = services.announcement_send(actor=county.users["village_cadre"],
                                              audience=audience("village", county.village_a1.code),
                                              title="停水通知", body="明天停水，咨询 13912345678",
                                              issuer="东村村民委员会")
    receipt = AnnouncementReceipt.objects.get(announcement=announcement, resident=people.micro_head)
    anonymous = Client()
    page = anonymous.get(f"/participation/r/{receipt.link_key}/").content.decode()
    assert "明天停水" in page and "13912345678" not in page
    receipt.refresh_from_db()
    assert receipt.read_via == "link"
    assert anonymous.get("/participation/r/forged-key/").status_code == 404


def test_a_villager_votes_on_his_phone_once_for_his_household(client, county, people):
    poll = scale_poll(county, live=True)
    logged_in(client, people.spouse_account)
    listing = client.get("/participation/polls/").content.decode()
    assert "村务满意度测评" in listing and "去投票" in listing
    page = client.get(f"/participation/polls/{poll.pk}/").content.decode()
    assert "代表全家投票" in page and 'class="btn-check" type="radio"' in page and "非常满意" in page
    scale, multiple = poll.questions.order_by("position")
    body = {f"q{scale.pk}": [scale.options.get(position=2).pk],
            f"q{multiple.pk}": [o.pk for o in multiple.options.all()]}
    response = client.post(f"/participation/polls/{poll.pk}/vote/", body)
    assert response.status_code == 302
    page = client.get(f"/participation/polls/{poll.pk}/").content.decode()
    assert "您家已于" in page and "目前结果" in page and "参与率 50.0%" in page
    # The head of the same household tries: told plainly, nothing counted.
    logged_in(client, county.users["resident"])
    response = client.post(f"/participation/polls/{poll.pk}/vote/", body)
    assert response.status_code == 409 and "本户已经投过票了，每户只能投一票" in response.content.decode()
    assert PollBallot.objects.filter(poll=poll).count() == 1
    # A bad option id is a refusal, not an error page.
    other = scale_poll(county)
    first = other.questions.order_by("position").first()
    response = client.post(f"/participation/polls/{other.pk}/vote/", {f"q{first.pk}": "12abc"})
    assert response.status_code in (400, 422) and not other.ballots.exists()


def test_a_cadre_makes_a_poll_from_the_form(client, county):
    logged_in(client, county.users["village_cadre"])
    page = client.get("/participation/polls/new/").content.decode()
    assert 'name="q5_text"' in page
    now = timezone.localtime()
    form = {"kind": "village", "target": county.village_a1.code, "title": "道路硬化选址", "unit": "household",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "q1_text": "先修哪条路", "q1_kind": "single", "q1_options": "村北生产路\n村南排水沟路\n",
            "q2_text": "对村容村貌满意吗", "q2_kind": "scale", "q2_options": ""}
    response = client.post("/participation/polls/new/", form)
    poll = Poll.objects.get()
    assert response.status_code == 302 and poll.electorate == 2
    assert [list(q.options.values_list("text", flat=True)) for q in poll.questions.order_by("position")] == [
        ["村北生产路", "村南排水沟路"], ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]]
    page = client.get(f"/participation/polls/{poll.pk}/").content.decode()
    assert "提前结束投票" in page and "0</span> 户投票" in page
    assert client.post(f"/participation/polls/{poll.pk}/close/").status_code == 302
    response = client.post("/participation/polls/new/", {**form, "closes_at": "not a time"})
    assert response.status_code == 422 and "请填写截止时间" in response.content.decode()


def test_the_public_poll_page_shows_results_only_when_published(county, people):
    poll = scale_poll(county, public=True)
    anonymous = Client()
    assert anonymous.get(f"/participation/public/polls/{poll.pk}/").status_code == 404  # not screened yet
    services.poll_screen(actor=county.users["township_staff"], poll=poll, passed=True)
    page = anonymous.get(f"/participation/public/polls/{poll.pk}/").content.decode()
    assert "结果将在投票截止后公布" in page
    services.poll_vote(actor=people.spouse_account, poll=poll, answers=answers_for(poll, 2, 1))
    services.poll_close(actor=county.users["village_cadre"], poll=poll)
    page = anonymous.get(f"/participation/public/polls/{poll.pk}/").content.decode()
    assert "满意率" in page
    assert anonymous.get(f"/participation/public/polls/{scale_poll(county).pk}/").status_code == 404


def test_a_meeting_is_recorded_and_its_demands_become_cases(client, county):
    logged_in(client, county.users["village_cadre"])
    response = client.post("/participation/meetings/new/", {
        "village": county.village_a1.code, "kind": "evening", "held_on": timezone.localdate().isoformat(),
        "place": "村委会大院", "host_name": "王建华", "attendance": "40"})
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    response = client.post(f"/participation/meetings/{meeting.pk}/", {"title": "路灯坏了", "grid": county.grid_a1.code,
                                                                      "category": "road_light"})
    assert response.status_code == 302
    demand = meeting.demands.get()
    page = client.get(f"/participation/meetings/{meeting.pk}/").content.decode()
    assert demand.case.number in page and "待受理" in page
    listing = client.get("/participation/meetings/").content.decode()
    assert "收集诉求建议" in listing and "东村" in listing
    response = client.post(f"/participation/meetings/{meeting.pk}/", {"title": "x", "grid": county.grid_a2.code})
    assert response.status_code == 422 and "网格不属于本村" in response.content.decode()
    response = client.post("/participation/meetings/new/", {
        "village": county.village_a1.code, "kind": "evening", "held_on": timezone.localdate().isoformat(),
        "place": "村委会大院", "host_name": "王建华", "attendance": "abc"})
    assert response.status_code in (400, 422) and Meeting.objects.count() == 1


def test_the_menu_offers_each_role_its_pages(client, county):
    page = logged_in(client, county.users["resident"]).get("/").content.decode()
    assert "通知公告" in page and "民意调查" in page and "民情恳谈" not in page
    page = logged_in(client, county.users["township_staff"]).get("/").content.decode()
    assert "群众参与" in page and "民情恳谈" in page
    page = logged_in(client, county.users["department_staff"]).get("/").content.decode()
    assert "通知公告" not in page
