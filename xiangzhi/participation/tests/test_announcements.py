"""Announcements: the audience resolved to people on the register at send time, a sender only inside his
scope, one receipt a person (the inbox for account holders, an SMS with a link of its own for those with
only a phone, the rest listed for the grid worker), read once, the unread list and the reminder."""

import datetime as dt

import pytest
from django.utils import timezone

from xiangzhi.core import sms
from xiangzhi.core.errors import Forbidden, NotFound
from xiangzhi.notifications.models import Notification
from xiangzhi.participation import selectors, services
from xiangzhi.participation.errors import ParticipationConflict, ParticipationError
from xiangzhi.participation.models import AnnouncementReceipt, ReceiptChannel
from xiangzhi.participation.tests.conftest import audience
from xiangzhi.party import services as party
from xiangzhi.people.models import Resident

pytestmark = pytest.mark.django_db


def names(kind, key, **kw):
    return sorted(selectors.audience_residents(audience(kind, key), **kw).values_list("name", flat=True))


def send(county, kind="village", key=None, actor="village_cadre", **kw):
    return services.announcement_send(actor=county.users[actor], audience=audience(kind, key or county.village_a1.code),
                                      title="秸秆禁烧通知", body="请勿焚烧秸秆，联系电话 13912345678。",
                                      issuer="东村村民委员会", site="https://xz.example.cn/", **kw)


def test_each_audience_resolves_to_the_adults_on_the_register(county, people):
    a1 = {r.name for r in county.households["a1"].residents.all()}
    micro = {r.name for r in county.households["a1_micro"].residents.all()}
    a2 = {r.name for r in county.households["a2"].residents.all()}
    assert set(names("grid", county.grid_a1.code)) == a1 | micro  # the micro-grid lies in the grid
    assert set(names("grid", county.grid_a1_micro.code)) == micro
    assert set(names("village", county.village_a1.code)) == a1 | micro
    assert set(names("township", county.town_a.code)) == a1 | micro | a2
    # A child under 18, someone who died and someone who moved away are not on the list.
    Resident.objects.filter(pk=people.child.pk).update(birth_date=timezone.localdate() - dt.timedelta(days=365 * 10))
    Resident.objects.filter(pk=people.micro_head.pk).update(is_deceased=True)
    assert set(names("village", county.village_a1.code)) == (a1 | micro) - {people.child.name, people.micro_head.name}


def test_party_groups_and_people_away(county, people):
    Resident.objects.filter(pk__in=[people.head.pk, people.spouse.pk]).update(tags="party_member")
    Resident.objects.filter(pk__in=[people.spouse.pk, people.child.pk]).update(is_away=True, away_place="深圳市")
    branch = party.branch_create(village=county.village_a1, name="东村党支部")
    group = party.group_create(branch=branch, name="第一党小组")
    for r in (people.head, people.spouse):
        party.membership_add(group=group, resident=Resident.objects.get(pk=r.pk))
    assert names("party_group", str(group.pk)) == sorted([people.head.name, people.spouse.name])
    assert names("away_members", county.village_a1.code) == [people.spouse.name]  # 在外党员
    assert names("away_residents", county.town_a.code) == sorted([people.spouse.name, people.child.name])
    assert selectors.audience_get("party_group", str(group.pk)).label == "东村第一党小组"


def test_a_sender_addresses_only_audiences_inside_his_scope(county):
    u = county.users
    get = selectors.audience_get_for_user
    assert get(u["village_cadre"], "village", county.village_a1.code).region == county.village_a1
    assert get(u["grid_chief"], "grid", county.grid_a1.code).grid == county.grid_a1
    for user, kind, key in ((u["village_cadre"], "township", county.town_a.code),
                            (u["village_cadre"], "village", county.village_a2.code),
                            (u["township_staff_b"], "village", county.village_a1.code),
                            (u["grid_chief"], "grid", county.grid_a2.code),
                            (u["grid_chief"], "village", county.village_a1.code),
                            (u["county_admin"], "grid", "nonexistent")):
        with pytest.raises(NotFound):
            get(user, kind, key)
    # The service checks too: a village cadre sending to another village, a grid worker sending at all.
    with pytest.raises(NotFound):
        send(county, key=county.village_a2.code)
    with pytest.raises(Forbidden):
        send(county, "grid", county.grid_a1.code, actor="grid_worker")
    assert {k for k in selectors.audience_kinds_for_user(u["grid_chief"])} == {"grid"}
    assert [c for c, _ in selectors.audience_choices_for_user(u["village_cadre"], "village")] == [
        county.village_a1.code]


def test_one_receipt_a_person_reaching_each_the_way_he_can_be_reached(county, people,
                                                                      django_capture_on_commit_callbacks):
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        announcement = send(county)
    receipts = {r.resident_id: r for r in AnnouncementReceipt.objects.filter(announcement=announcement)}
    assert announcement.recipients == len(receipts) == 6
    # The head reads on the household's account, the spouse on her own; the micro head has only a phone.
    assert receipts[people.head.pk].user == county.users["resident"]
    assert receipts[people.spouse.pk].user == people.spouse_account
    assert receipts[people.micro_head.pk].channel == ReceiptChannel.SMS
    assert receipts[people.child.pk].channel == ReceiptChannel.NONE
    inbox = Notification.objects.filter(kind="announcement")
    assert sorted(n.recipient_id for n in inbox) == sorted([county.users["resident"].pk, people.spouse_account.pk])
    assert inbox[0].link == f"/participation/announcements/{announcement.pk}/"
    (message,) = [m for m in sms.outbox if "秸秆禁烧通知" in m.text]
    key = receipts[people.micro_head.pk].link_key
    assert message.phone == "13800138000" and f"https://xz.example.cn/participation/r/{key}/" in message.text
    receipt = AnnouncementReceipt.objects.get(pk=receipts[people.micro_head.pk].pk)
    assert (receipt.sms_round, receipt.sms_status) == (1, "sent")


def test_an_audience_with_nobody_is_refused(county):
    Resident.objects.filter(household=county.households["a2"]).update(is_deceased=True)
    with pytest.raises(ParticipationError, match="没有可以接收通知的人"):
        send(county, key=county.village_a2.code, actor="township_staff")


def test_bad_input_is_refused_with_the_field(county):
    u = county.users
    for title, body, issuer in (("", "x", "x"), ("x" * 101, "x", "x"), ("x", "", "x"), ("x", "x", "")):
        with pytest.raises(ParticipationError):
            services.announcement_send(actor=u["village_cadre"], audience=audience("village", county.village_a1.code),
                                       title=title, body=body, issuer=issuer)
    with pytest.raises(ParticipationError, match="不在村务公开页显示"):
        Resident.objects.filter(household=county.households["a1"]).update(is_away=True)
        services.announcement_send(actor=u["village_cadre"], audience=audience("away_residents",
                                                                                county.village_a1.code),
                                   title="x", body="x", issuer="x", is_public=True)


def test_opening_marks_the_receipt_read_once_and_the_inbox_message_with_it(county, people):
    announcement = send(county)
    villager = county.users["resident"]
    first = services.announcement_open(user=villager, announcement=announcement)
    assert first is not None and first.read_at is not None and first.read_via == "site"
    later = timezone.now() + dt.timedelta(hours=3)
    again = services.announcement_open(user=villager, announcement=announcement, now=later)
    assert again.read_at == first.read_at  # the first reading time is kept
    assert not Notification.objects.filter(recipient=villager, read_at__isnull=True).exists()
    # A sender who is no recipient leaves no trace.
    assert services.announcement_open(user=county.users["village_cadre"], announcement=announcement) is None
    assert selectors.receipt_counts(announcement).read == 1


def test_the_sms_link_marks_its_own_receipt_read(county, people):
    announcement = send(county)
    receipt = AnnouncementReceipt.objects.get(announcement=announcement, resident=people.micro_head)
    found = selectors.receipt_get_by_key(receipt.link_key)
    services.receipt_open_by_link(receipt=found)
    receipt.refresh_from_db()
    assert receipt.read_at is not None and receipt.read_via == "link"
    for key in ("", "nope", "x" * 40):
        with pytest.raises(NotFound):
            selectors.receipt_get_by_key(key)


def test_the_unread_list_names_people_and_grids_and_shrinks_as_they_read(county, people):
    announcement = send(county)
    unread = list(selectors.receipt_list_unread(announcement))
    assert len(unread) == 6
    assert {(r.resident.name, r.grid.name) for r in unread} >= {(people.head.name, county.grid_a1.name),
                                                               (people.micro_head.name, county.grid_a1_micro.name)}
    services.announcement_open(user=people.spouse_account, announcement=announcement)
    assert people.spouse.name not in {r.resident.name for r in selectors.receipt_list_unread(announcement)}
    counts = selectors.receipt_counts(announcement)
    assert (counts.total, counts.read, counts.unread) == (6, 1, 5)
    assert (counts.inbox, counts.sms, counts.unreachable) == (2, 1, 3)


def test_a_reminder_reaches_only_those_who_have_not_read(county, people, django_capture_on_commit_callbacks):
    cadre = county.users["village_cadre"]
    with django_capture_on_commit_callbacks(execute=True):
        announcement = send(county)
    services.announcement_open(user=people.spouse_account, announcement=announcement)
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminder = services.announcement_remind(actor=cadre, announcement=announcement)
    assert reminder.unread == 5
    reminded = Notification.objects.filter(kind="announcement_reminder")
    assert [n.recipient for n in reminded] == [county.users["resident"]]  # not the spouse, who read it
    assert len(sms.outbox) == 1 and sms.outbox[0].text.startswith("提醒：")
    assert AnnouncementReceipt.objects.get(announcement=announcement, resident=people.micro_head).sms_round == 2
    # Not again within 12 hours; then, once everyone has read, nothing to remind.
    with pytest.raises(ParticipationConflict, match="12 小时"):
        services.announcement_remind(actor=cadre, announcement=announcement)
    AnnouncementReceipt.objects.filter(announcement=announcement).update(read_at=timezone.now())
    with pytest.raises(ParticipationConflict, match="全部已读"):
        services.announcement_remind(actor=cadre, announcement=announcement,
                                     now=timezone.now() + dt.timedelta(hours=13))
    # Another township's staff cannot remind; a grid worker may not at all.
    with pytest.raises(NotFound):
        services.announcement_remind(actor=county.users["township_staff_b"], announcement=announcement)
    with pytest.raises(Forbidden):
        services.announcement_remind(actor=county.users["grid_worker"], announcement=announcement)


def test_the_sms_task_run_twice_sends_once(county, people):
    from xiangzhi.participation.delivery import receipts_sms_send

    announcement = send(county)
    ids = list(AnnouncementReceipt.objects.filter(announcement=announcement).values_list("pk", flat=True))
    sms.outbox.clear()
    assert receipts_sms_send(ids, 1)["sent"] == 1
    assert receipts_sms_send(ids, 1) == {"sent": 0, "failed": 0, "skipped": 1}
    assert len(sms.outbox) == 1


def test_reads_are_scoped(county, people):
    announcement = send(county)
    u = county.users
    for user in (u["village_cadre"], u["township_staff"], u["county_admin"], u["resident"], people.spouse_account):
        assert selectors.announcement_get_for_user(user, announcement.pk) == announcement
    for user in (u["township_staff_b"], u["grid_worker_b"], people.b1_account, u["department_staff"]):
        with pytest.raises(NotFound):
            selectors.announcement_get_for_user(user, announcement.pk)
    assert list(selectors.announcement_list_received(u["resident"])) == [announcement]
    assert list(selectors.announcement_list_sent_for_user(u["township_staff_b"])) == []


def test_the_public_section_shows_public_announcements_once_screened(county, people):
    public = services.announcement_send(actor=county.users["village_cadre"],
                                        audience=audience("village", county.village_a1.code), title="秸秆禁烧通知",
                                        body="请勿焚烧秸秆。", issuer="东村村民委员会", is_public=True)
    send(county)  # not public
    services.announcement_screen(actor=county.users["township_staff"], announcement=public, passed=True)
    (shown,) = selectors.public_section(county.village_a1).announcements
    assert shown == public and shown.public_body == "请勿焚烧秸秆。"
    assert selectors.public_section(county.village_b1).announcements == []
