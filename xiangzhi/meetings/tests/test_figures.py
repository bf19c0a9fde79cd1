"""The township's overview: per village and quarter, and the totals the way seed 003 counts them
(meetings held, items disclosed, commitments kept and overdue, satisfaction)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import RegionFactory, UserFactory
from xiangzhi.accounts.models import Role
from xiangzhi.meetings import selectors, services
from xiangzhi.meetings.tests.helpers import TODAY, complete, published, quarter_back, recorded

pytestmark = pytest.mark.django_db


def test_a_townships_quarter_per_village_and_in_total(county):
    year, quarter = quarter_back(1)
    # 东村: published, its one commitment kept.
    meeting, kept = published(county, back=1, votes=(60, 12, 3), deadline_days=20)
    owner = county.users["grid_worker"]
    services.commitment_done(actor=owner, commitment=kept, done_on=meeting.held_on + dt.timedelta(days=3),
                             evidence="修好")
    # 西村: recorded and voted, not yet passed by the township; no commitments.
    west_cadre = UserFactory(role=Role.VILLAGE_CADRE, region=county.village_a2)
    west = recorded(county, back=1, village=county.village_a2, actor=west_cadre, attendance=50)
    services.meeting_report(actor=west_cadre, meeting=west, report="述职", items_reported=20)
    services.meeting_vote(actor=west_cadre, meeting=west, satisfied=30, basically_satisfied=10, dissatisfied=10)
    services.meeting_submit(actor=west_cadre, meeting=west)
    # Another quarter's meeting of 东村 does not count in this quarter.
    published(county, back=2)
    # A third village of the township with no meeting.
    RegionFactory(code="371603101003", name="北村", level="village", parent=county.town_a)

    data = selectors.overview(county.town_a, year, quarter, today=TODAY)
    rows = {f.region.name: f for f in data.rows}
    assert list(rows) == ["东村", "西村", "北村"] and not data.by_township
    east, west_row, north = rows["东村"], rows["西村"], rows["北村"]
    assert (east.meetings, east.published, east.items, east.questions) == (1, 1, 36, 1)
    assert (east.commitments, east.done, east.kept, east.overdue, east.open) == (1, 1, 1, 0, 0)
    assert (west_row.meetings, west_row.published, west_row.items) == (1, 0, 0)
    assert west_row.satisfaction == pytest.approx(40 / 50)
    assert (north.meetings, north.commitments, north.satisfaction, north.kept_rate) == (0, 0, None, None)
    t = data.total
    assert (t.villages, t.meetings, t.published, t.items, t.questions, t.commitments) == (3, 2, 1, 36, 1, 1)
    assert t.held_rate == pytest.approx(2 / 3)
    assert (t.satisfied, t.basically_satisfied, t.dissatisfied) == (90, 22, 13)
    assert t.satisfaction == pytest.approx(112 / 125)
    # The whole year counts both of 东村's meetings when both fall in it.
    year_data = selectors.overview(county.town_a, year, None, today=TODAY)
    same_year = quarter_back(2)[0] == year
    assert year_data.total.meetings == (3 if same_year else 2)


def test_kept_rate_counts_the_settled_and_the_late(county):
    year, quarter = quarter_back(1)
    meeting = recorded(county, back=1)
    cadre, owner = county.users["village_cadre"], county.users["grid_worker"]
    made = []
    for days in (5, 10, 200):  # two due already, one not yet
        made.append(services.commitment_make(actor=cadre, meeting=meeting, demand=f"诉求{days}", owner=owner,
                                             deadline=meeting.held_on + dt.timedelta(days=days), measure="办"))
    services.commitment_done(actor=owner, commitment=made[0], done_on=meeting.held_on + dt.timedelta(days=2),
                             evidence="办结")
    f = selectors.overview(county.town_a, year, quarter, today=TODAY).total
    due_later = meeting.held_on + dt.timedelta(days=200) >= TODAY
    assert (f.commitments, f.done, f.kept) == (3, 1, 1)
    assert f.overdue == (1 if due_later else 2)
    assert f.kept_rate == pytest.approx(1 / (1 + f.overdue))
    assert f.open == 3 - 1 - f.overdue


def test_a_county_reads_its_townships_in_a_constant_number_of_queries(county):
    year, quarter = quarter_back(1)
    published(county, back=1)
    b_cadre = UserFactory(role=Role.VILLAGE_CADRE, region=county.village_b1)
    south = recorded(county, back=1, village=county.village_b1, actor=b_cadre, attendance=40)
    services.meeting_report(actor=b_cadre, meeting=south, report="述职", items_reported=10)

    def run():
        with CaptureQueriesContext(connection) as q:
            data = selectors.overview(county.county, year, quarter, today=TODAY)
        return data, len(q)

    data, queries = run()
    assert data.by_township and [f.region.name for f in data.rows] == ["下洼镇", "古城镇"]
    town_a, town_b = data.rows
    assert (town_a.villages, town_a.meetings, town_a.published, town_b.meetings, town_b.published) == (2, 1, 1, 1, 0)
    assert data.total.meetings == 2
    for i in range(5):  # more villages, the same queries
        RegionFactory(code=f"3716031020{i + 10:02d}", name=f"新村{i}", level="village", parent=county.town_b)
    assert run()[1] == queries
    complete(county, recorded(county, back=0), submit=False)
    assert selectors.overview(county.county, year, quarter, today=TODAY).total.meetings == 2
