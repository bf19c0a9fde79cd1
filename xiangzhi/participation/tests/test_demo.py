"""The demo's participation step (``xiangzhi.demo.participation``) on the small county: notices with partial
read receipts and a reminder, a closed survey with results and an open consultation, evenings whose
demands are cases; the same seed draws the same."""

import pytest
from django.utils import timezone

from xiangzhi.cases.models import Channel
from xiangzhi.demo.participation import write_participation
from xiangzhi.participation import selectors
from xiangzhi.participation.models import (
    Announcement,
    AnnouncementReceipt,
    AnnouncementReminder,
    Meeting,
    MeetingDemand,
    Poll,
    PollBallot,
)

pytestmark = pytest.mark.django_db


def insert(model, rows):
    return model.objects.bulk_create(rows, batch_size=2000)


def test_notices_polls_and_evenings_for_the_villages_with_cadres(county):
    now = timezone.now().replace(microsecond=0)
    report = write_participation(insert, seed=7, now=now)
    # Village a1's fire and insurance notices (no party member lives away there), each township's notice.
    assert sorted(Announcement.objects.values_list("audience", flat=True)) == ["township", "township", "village",
                                                                               "village"]
    fire = Announcement.objects.get(title__contains="防火")
    assert fire.is_public and fire.recipients == AnnouncementReceipt.objects.filter(announcement=fire).count() == 6
    counts = selectors.receipt_counts(fire)
    assert 0 < counts.read < counts.total and counts.unreachable >= 1
    assert not AnnouncementReceipt.objects.filter(channel="none", read_at__isnull=False).exists()
    assert AnnouncementReminder.objects.filter(announcement=fire).exists()
    assert report.receipts == AnnouncementReceipt.objects.count() and report.read == AnnouncementReceipt.objects.filter(
        read_at__isnull=False).count()
    # The survey closed with its results published; the consultation is open.
    closed, current = Poll.objects.order_by("opens_at")
    assert closed.state_at(now) == "closed" and current.state_at(now) == "open"
    results = selectors.poll_results(closed)
    assert results.electorate == 2 and results.ballots == PollBallot.objects.filter(poll=closed).count()
    assert all(q.answered == results.ballots for q in results.questions)
    assert selectors.public_section(county.village_a1).polls[1].results is not None
    # Village a1, the first village, held two evenings a quarter; each demand is a case of the channel.
    meetings = Meeting.objects.filter(village=county.village_a1)
    assert meetings.count() == report.meetings and 6 <= report.meetings <= 8
    demands = MeetingDemand.objects.select_related("case")
    assert demands.count() == report.demands > 0
    assert all(d.case.channel == Channel.MEETING and d.case.region == county.village_a1 for d in demands)
    assert report.resolved == sum(d.case.closed_at is not None for d in demands) > 0
    assert all(d.case.transitions.exists() for d in demands)


def test_the_same_seed_draws_the_same(county):
    now = timezone.now().replace(microsecond=0)

    def drawn(since_announcement, since_demand):
        receipts = list(AnnouncementReceipt.objects.filter(announcement_id__gt=since_announcement)
                        .order_by("announcement_id", "resident_id").values_list("resident_id", "read_at", "link_key"))
        demands = list(MeetingDemand.objects.filter(pk__gt=since_demand).order_by("id")
                       .values_list("title", "raised_by", "case__status", "case__created_at"))
        return receipts, demands

    write_participation(insert, seed=3, now=now)
    first = drawn(0, 0)
    last_announcement = Announcement.objects.order_by("-id").values_list("id", flat=True).first()
    last_demand = MeetingDemand.objects.order_by("-id").values_list("id", flat=True).first()
    AnnouncementReceipt.objects.update(link_key="")  # the build starts from an empty database: keys repeat
    write_participation(insert, seed=3, now=now)
    assert drawn(last_announcement, last_demand) == first and first[0] and first[1]
