"""The demo's sunshine meetings and matters (``xiangzhi.demo.meetings``) on the small county: 东村 (the one
village with a cadre) holds the last four quarters' meetings, the last one published with its vote and
commitments done, under way and overdue; its three matters stand completed, at the joint meeting and
stopped; its public page shows them; the same seed draws the same."""

import pytest
from django.db import transaction

from tests.factories import build_small_county
from xiangzhi.demo.meetings import write_meetings
from xiangzhi.demo.projects import write_projects
from xiangzhi.meetings import selectors
from xiangzhi.meetings.models import Commitment, Deliberation, SunshineMeeting
from xiangzhi.meetings.tests.helpers import TODAY


def insert(model, rows):
    return model.objects.bulk_create(rows)


@pytest.fixture
def demo(db):
    c = build_small_county()
    write_projects(seed=7)
    return c, write_meetings(insert, seed=7)


def test_the_last_four_quarters_and_three_matters_in_the_showcase_village(demo, client):
    c, report = demo
    meetings = list(SunshineMeeting.objects.filter(village=c.village_a1).order_by("year", "quarter"))
    assert 3 <= len(meetings) <= 4 and report.meetings == len(meetings)
    assert all(m.votes <= m.attendance and m.report and m.events.exists() for m in meetings)
    # The last whole quarter's meeting is the one public, its commitments kept, under way and overdue.
    last = selectors.sunshine_meeting_last_public(c.village_a1)
    assert (last.year, last.quarter) == selectors.previous_quarter(*selectors.quarter_of(TODAY))
    assert last.screenings.get().decision == "pass"
    assert {x.status_label for x in last.commitments.all()} == {"已逾期", "按期办结", "办理中"}
    assert all(x.last_note for x in last.commitments.all())
    commitments = Commitment.objects.filter(village=c.village_a1)
    assert commitments.count() == report.commitments
    assert report.overdue == sum(1 for c_ in commitments if c_.is_overdue) >= 1
    assert report.showcase == "东村"
    matters = {d.title: d for d in Deliberation.objects.filter(village=c.village_a1)}
    road, lights = matters["硬化村北生产路"], matters["村内主街安装太阳能路灯"]
    square = matters["占用村东耕地修建文化广场"]
    assert (road.state, road.step_number, road.project is not None) == ("completed", 7, True)
    assert (lights.state, lights.step_number) == ("in_progress", 3)
    assert (square.state, square.step, square.steps.get(kind="members").passed) == ("stopped", "members", False)
    totals = selectors.donation_totals([road, lights])
    assert totals[road.pk].money_from_away == 150_000 and totals[lights.pk].money_from_away == 90_000
    assert all(d.published_at for d in matters.values())
    body = client.get(f"/meetings/public/{c.village_a1.code}/").content.decode()
    assert "进行到第 3 步：两委联席会议商议" in body and "胡*辉（在外乡贤）" in body and "已终止" in body
    assert "第一网格党员志愿队" in body and "胡忠辉" not in body
    assert "阳光评议" in body and all(x.demand in body for x in last.commitments.all())
    assert max(m.held_on for m in meetings) <= TODAY


def test_the_same_seed_draws_the_same(db):
    build_small_county()

    def once():
        with transaction.atomic():
            write_meetings(insert, seed=3)
            rows = (list(SunshineMeeting.objects.order_by("year", "quarter").values_list(
                        "held_on", "attendance", "satisfied", "state")),
                    list(Commitment.objects.order_by("id").values_list("demand", "deadline", "state", "done_on")),
                    list(Deliberation.objects.order_by("id").values_list("title", "state", "step")))
            transaction.set_rollback(True)
        return rows

    first = once()
    assert first[0] and first[1] and first == once()
