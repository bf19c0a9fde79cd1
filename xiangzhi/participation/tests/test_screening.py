"""Screening for the public page (审核): an announcement or poll marked public is delivered at once but shown
on the village's public page (and its public poll page) only once the township or county has passed it;
a return needs its reason; nobody screens what he sent; public text with an ID number, a phone or a card
number is refused; every decision is a row that is never changed."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory
from tests.web import post
from xiangzhi.accounts.models import Role
from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.core.models import AppendOnlyError
from xiangzhi.demo.participation import RETURN_REASON, write_participation
from xiangzhi.front.home import staff_day
from xiangzhi.notifications.models import Notification
from xiangzhi.participation import selectors, services
from xiangzhi.participation.errors import ParticipationConflict, ParticipationError
from xiangzhi.participation.models import (
    Announcement,
    AnnouncementReceipt,
    Poll,
    PublicScreening,
    PublicState,
    ScreeningDecision,
)
from xiangzhi.participation.tests.conftest import audience, scale_poll

pytestmark = pytest.mark.django_db


def notice(county, *, actor="village_cadre", kind="village", key=None, body="请勿焚烧秸秆。", is_public=True,
           title="秸秆禁烧通知"):
    return services.announcement_send(actor=county.users[actor], audience=audience(kind, key or county.village_a1.code),
                                      title=title, body=body, issuer="东村村民委员会", is_public=is_public)


def test_a_public_notice_is_delivered_at_once_but_shown_only_once_passed(county, people):
    a = notice(county)
    assert a.public_state == PublicState.WAITING
    assert AnnouncementReceipt.objects.filter(announcement=a).count() == a.recipients > 0  # delivered all the same
    assert Notification.objects.filter(link=f"/participation/announcements/{a.pk}/").exists()
    assert selectors.public_section(county.village_a1).announcements == []
    assert notice(county, is_public=False).public_state == ""
    staff = county.users["township_staff"]
    assert [x.pk for x in selectors.screening_queue_for_user(staff).announcements] == [a.pk]
    assert selectors.screening_count_for_user(staff) == 1
    decision = services.announcement_screen(actor=staff, announcement=a, passed=True)
    a.refresh_from_db()
    assert a.public_state == PublicState.PASSED
    assert (decision.decision, decision.actor, decision.announcement, decision.reason) == (
        ScreeningDecision.PASS, staff, a, "")
    assert [x.pk for x in selectors.public_section(county.village_a1).announcements] == [a.pk]
    assert selectors.screening_count_for_user(staff) == 0
    with pytest.raises(ParticipationConflict, match="已审核"):
        services.announcement_screen(actor=county.users["county_admin"], announcement=a, passed=False, reason="重复")


def test_a_return_needs_its_reason_keeps_it_off_the_page_and_tells_the_sender(county, people):
    poll = scale_poll(county, public=True)
    staff = county.users["township_staff"]
    for blank in ("", "   "):
        with pytest.raises(ParticipationError, match="退回原因") as caught:
            services.poll_screen(actor=staff, poll=poll, passed=False, reason=blank)
        assert caught.value.fields[0]["field"] == "reason"
    assert not PublicScreening.objects.exists()
    decision = services.poll_screen(actor=staff, poll=poll, passed=False, reason="题目表述不清，请修改后重新发起")
    poll.refresh_from_db()
    assert poll.public_state == PublicState.RETURNED and decision.decision == ScreeningDecision.RETURN
    assert selectors.public_section(county.village_a1).polls == []
    told = Notification.objects.get(recipient=county.users["village_cadre"], kind="public_returned")
    assert told.body == "题目表述不清，请修改后重新发起" and told.link == f"/participation/polls/{poll.pk}/"
    # The villagers still vote in it: screening is about the public page only.
    assert selectors.poll_get_for_user(county.users["resident"], poll.pk) == poll
    with pytest.raises(ParticipationConflict):
        services.poll_screen(actor=county.users["county_admin"], poll=poll, passed=True)


def test_nobody_screens_his_own_and_only_the_township_or_county_over_it(county, people):
    own = notice(county, actor="township_staff", kind="township", key=county.town_a.code)
    with pytest.raises(Forbidden, match="不能审核自己"):
        services.announcement_screen(actor=county.users["township_staff"], announcement=own, passed=True)
    assert selectors.screening_count_for_user(county.users["township_staff"]) == 0  # his own is not counted
    a = notice(county)
    for role in ("village_cadre", "grid_chief", "grid_worker", "resident", "department_staff", "inspector"):
        with pytest.raises(Forbidden):
            services.announcement_screen(actor=county.users[role], announcement=a, passed=True)
    with pytest.raises(NotFound):
        services.announcement_screen(actor=county.users["township_staff_b"], announcement=a, passed=True)
    assert selectors.screening_queue_for_user(county.users["township_staff_b"]).total == 0
    assert selectors.screening_queue_for_user(county.users["village_cadre"]).total == 0
    services.announcement_screen(actor=county.users["county_admin"], announcement=own, passed=True)
    assert [x.pk for x in selectors.public_section(county.village_a2).announcements] == [own.pk]  # a township's
    with pytest.raises(ParticipationConflict, match="无需审核"):
        services.announcement_screen(actor=county.users["township_staff"], announcement=notice(county, is_public=False),
                                     passed=True)


@pytest.mark.parametrize(("body", "found"), [
    ("户主张建国，身份证号 371603198001011234，请到村委会领取。", "身份证号"),
    ("有事请联系 139 1234 5678。", "电话号码"),
    ("补贴已打入 6222 0212 3456 7890 123 账户。", "银行卡号"),
])
def test_public_text_with_personal_numbers_is_refused_but_may_go_out_non_public(county, people, body, found):
    with pytest.raises(ParticipationError, match=f"正文中有{found}") as caught:
        notice(county, body=body)
    assert caught.value.fields[0]["field"] == "body"
    assert not Announcement.objects.exists()
    assert notice(county, body=body, is_public=False).body == body  # to the audience only


def test_a_public_poll_with_a_phone_in_a_question_or_option_is_refused(county, people):
    def poll(questions, **kw):
        return scale_poll(county, public=True, questions=questions, **kw)

    with pytest.raises(ParticipationError, match="第 2 题中有电话号码") as caught:
        poll([services.QuestionInput("满意吗", "scale"),
              services.QuestionInput("报名联系谁", "single", ["王会计 13912345678", "村委会"])])
    assert caught.value.fields[0]["field"] == "questions.2"
    with pytest.raises(ParticipationError, match="标题中有身份证号"):
        services.poll_create(actor=county.users["village_cadre"], audience=audience("village", county.village_a1.code),
                             title="371603198001011234 户意见", unit="household", opens_at=timezone.now(),
                             closes_at=timezone.now() + dt.timedelta(days=2),
                             questions=[services.QuestionInput("满意吗", "scale")], is_public=True)
    assert not Poll.objects.exists()
    assert scale_poll(county, public=False, questions=[
        services.QuestionInput("报名联系谁", "single", ["王会计 13912345678", "村委会"])]).public_state == ""


def test_the_public_poll_page_is_404_until_passed(county, people):
    anonymous = Client()
    waiting, returned = scale_poll(county, public=True), scale_poll(county, public=True)
    services.poll_screen(actor=county.users["township_staff"], poll=returned, passed=False, reason="请补充说明")
    for poll in (waiting, returned):
        assert anonymous.get(f"/participation/public/polls/{poll.pk}/").status_code == 404
    services.poll_screen(actor=county.users["county_admin"], poll=waiting, passed=True)
    assert anonymous.get(f"/participation/public/polls/{waiting.pk}/").status_code == 200
    assert anonymous.get(f"/participation/public/polls/{returned.pk}/").status_code == 404


def test_the_decisions_are_never_changed(county, people):
    decision = services.announcement_screen(actor=county.users["township_staff"], announcement=notice(county),
                                            passed=True, reason="同意公开")
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        PublicScreening.objects.filter(pk=decision.pk).update(decision="return")
    with pytest.raises(AppendOnlyError):
        PublicScreening.objects.all().delete()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE participation_publicscreening SET reason = 'x' WHERE id = %s", [decision.pk])


# --- pages and API ----------------------------------------------------------------------------------------


def test_the_screening_queue_passes_and_returns_on_the_page(client, county, people):
    a, poll = notice(county), scale_poll(county, public=True)
    staff = county.users["township_staff"]
    assert any(t.testid == "task-participation-screening" and t.count == 2 for t in staff_day(staff).tasks)
    client.force_login(staff)
    page = client.get("/participation/screening/").content.decode()
    assert "秸秆禁烧通知" in page and "村务满意度测评" in page and "对村务公开是否满意" in page
    response = client.post(f"/participation/screening/polls/{poll.pk}/", {"decision": "return", "reason": ""},
                           follow=True)
    assert "请填写退回原因" in response.content.decode()
    poll.refresh_from_db()
    assert poll.public_state == PublicState.WAITING
    assert client.post(f"/participation/screening/polls/{poll.pk}/", {"reason": "x"}, follow=True).content.decode(
    ).count("请选择通过或退回") == 1
    client.post(f"/participation/screening/polls/{poll.pk}/", {"decision": "return", "reason": "请补充说明"})
    client.post(f"/participation/screening/announcements/{a.pk}/", {"decision": "pass"})
    a.refresh_from_db()
    poll.refresh_from_db()
    assert (a.public_state, poll.public_state) == (PublicState.PASSED, PublicState.RETURNED)
    page = client.get(f"/participation/polls/{poll.pk}/").content.decode()
    assert "公开·已退回" in page and "请补充说明" in page
    assert "公开·已通过" in client.get(f"/participation/announcements/{a.pk}/").content.decode()
    assert "没有待审核的通知" in client.get("/participation/screening/").content.decode()
    client.force_login(county.users["village_cadre"])
    assert client.post(f"/participation/screening/polls/{poll.pk}/", {"decision": "pass"}).status_code == 403
    assert client.get("/participation/screening/").status_code == 403
    client.force_login(county.users["resident"])  # a recipient is not shown the screening
    assert "公开·" not in client.get(f"/participation/announcements/{a.pk}/").content.decode()


def test_the_api_lists_the_waiting_and_screens_with_structured_errors(client, county, people):
    a, poll = notice(county), scale_poll(county, public=True)
    client.force_login(county.users["township_staff"])
    queue = client.get("/api/v1/participation/screening").json()
    assert [x["id"] for x in queue["announcements"]] == [a.pk] and [x["id"] for x in queue["polls"]] == [poll.pk]
    assert queue["announcements"][0]["public_state"] == "waiting"
    refused = post(client, f"/api/v1/participation/polls/{poll.pk}/screen", {"passed": False})
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "reason"
    done = post(client, f"/api/v1/participation/polls/{poll.pk}/screen", {"passed": False, "reason": "请补充说明"})
    assert done.status_code == 201 and done.json()["decision"] == "return" and done.json()["poll_id"] == poll.pk
    again = post(client, f"/api/v1/participation/polls/{poll.pk}/screen", {"passed": True})
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_waiting"
    assert client.get(f"/api/v1/participation/polls/{poll.pk}").json()["public_state"] == "returned"
    client.force_login(county.users["township_staff_b"])
    assert post(client, f"/api/v1/participation/announcements/{a.pk}/screen", {"passed": True}).status_code == 404
    client.force_login(county.users["village_cadre"])
    assert post(client, f"/api/v1/participation/announcements/{a.pk}/screen", {"passed": True}).status_code == 403
    assert client.get("/api/v1/participation/screening").status_code == 403


# --- the demo -----------------------------------------------------------------------------------------------


def test_the_demo_passes_its_public_items_but_one_waits_and_one_is_returned(county):
    UserFactory(username="cadre_a2", role=Role.VILLAGE_CADRE, region=county.village_a2)  # two villages send

    def insert(model, rows):
        return model.objects.bulk_create(rows, batch_size=2000)

    report = write_participation(insert, seed=7, now=timezone.now().replace(microsecond=0))
    waiting = Poll.objects.get(public_state=PublicState.WAITING)
    assert waiting.region == county.village_a2 and waiting.title.endswith("实事项目征求意见")
    returned = Announcement.objects.get(public_state=PublicState.RETURNED)
    assert returned.region == county.village_a2 and "防火" in returned.title
    assert returned.screenings.get().reason == RETURN_REASON
    assert (report.waiting, report.returned) == (1, 1)
    assert not Announcement.objects.filter(is_public=True, public_state=PublicState.WAITING).exists()
    assert not Poll.objects.filter(is_public=True, public_state=PublicState.RETURNED).exists()
    for item in [*Announcement.objects.filter(public_state=PublicState.PASSED),
                 *Poll.objects.filter(public_state=PublicState.PASSED)]:
        decision = item.screenings.get()
        assert decision.decision == ScreeningDecision.PASS and decision.actor_id != item.author_id
        assert decision.actor.role in (Role.TOWNSHIP_STAFF, Role.COUNTY_ADMIN)
    a1 = selectors.public_section(county.village_a1)
    assert len(a1.polls) == 2 and {a.title for a in a1.announcements} >= {"关于做好秋冬季防火工作的通知"}
    a2 = selectors.public_section(county.village_a2)
    assert [p.poll.title for p in a2.polls] == [Poll.objects.get(region=county.village_a2,
                                                                  public_state=PublicState.PASSED).title]
    assert "关于做好秋冬季防火工作的通知" not in {a.title for a in a2.announcements}
