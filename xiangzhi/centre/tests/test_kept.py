"""Counts kept a minute (``centre.kept``): a count slower than its name's threshold is kept and served
again, stamped with its time; a quick one is counted on every request. Through the 概况 and 统计 pages
(the wall screen's own tests cover the recount on the worker and in a thread)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.factories import make_household
from xiangzhi.centre import kept as kept_module
from xiangzhi.centre.kept import kept
from xiangzhi.centre.tests.figures_story import report

pytestmark = pytest.mark.django_db


def shown(html: str, testid: str) -> str:
    """The text of the element with ``data-testid``, its tags (a link) stripped."""
    part = html.split(f'data-testid="{testid}">', 1)[1].split("</div>", 1)[0]
    return re.sub(r"<[^>]+>", "", part).replace(",", "").strip()


@pytest.fixture
def counted(monkeypatch):
    """A count registered for the test, counting how often it ran, kept when slower than ``slow``."""
    runs = []

    def count(user, *, region, grid, n):
        runs.append(n)
        return len(runs)

    def register(slow):
        monkeypatch.setitem(kept_module.COUNTERS, "test", kept_module.Counter(count, slow))
        return runs

    return register


def test_a_quick_count_is_counted_every_time(county, counted):
    runs = counted(60.0)
    user = county.users["township_staff"]
    first, second = kept("test", user, n=1), kept("test", user, n=1)
    assert (first.value, second.value) == (1, 2) and not first.is_kept and len(runs) == 2


def test_a_slow_count_is_kept_for_its_account_place_and_parameters(county, counted, monkeypatch):
    runs = counted(0.0)
    user, admin = county.users["township_staff"], county.users["county_admin"]
    first = kept("test", user, n=1)
    assert first.is_kept and kept("test", user, n=1) == first and len(runs) == 1
    assert kept("test", user, n=2).value == 2  # other parameters: a count of their own
    assert kept("test", admin, n=1).value == 3  # another account
    assert kept("test", admin, region=county.town_a, n=1).value == 4  # another place
    monkeypatch.setattr(kept_module, "FRESH_SECONDS", 0)  # a minute later: counted again (the tests' queue: at once)
    again = kept("test", user, n=1)
    assert again.value == 5 and again.counted_at > first.counted_at


def test_the_profile_is_live_when_quick_and_stamped_when_kept(client, county, monkeypatch):
    from xiangzhi.centre import know

    client.force_login(county.users["county_admin"])
    residents = client.get("/centre/know/").content.decode()
    assert 'data-testid="know-counted"' not in residents  # a small county counts at once
    before = int(shown(residents, "know-residents"))
    make_household(county.grid_a1, size=2)
    assert shown(client.get("/centre/know/").content.decode(), "know-residents") == str(before + 2)  # live

    monkeypatch.setitem(kept_module.COUNTERS, "know", kept_module.Counter(know._know_count, 0.0))  # as if slow
    page = client.get("/centre/know/").content.decode()
    assert "统计于" in page and "数字每分钟重算一次" in page
    make_household(county.grid_a1, size=3)
    again = client.get("/centre/know/").content.decode()
    assert shown(again, "know-residents") == str(before + 2)  # kept


def test_the_figures_page_keeps_a_slow_count(client, county, story, monkeypatch):
    from xiangzhi.centre import selectors

    town = county.users["township_staff"]
    client.force_login(town)

    def received(html):
        return shown(html, "figure-received")

    live = client.get("/centre/figures/").content.decode()
    assert received(live) == "8" and 'data-testid="figures-counted"' not in live
    report(county, "road_light")
    assert received(client.get("/centre/figures/").content.decode()) == "9"  # quick: live

    monkeypatch.setitem(kept_module.COUNTERS, "figures", kept_module.Counter(selectors._figures_page, 0.0))
    page = client.get("/centre/figures/").content.decode()
    assert received(page) == "9" and 'data-testid="figures-counted"' in page
    report(county, "road_light")
    assert received(client.get("/centre/figures/").content.decode()) == "9"  # kept for the minute
    start, last = selectors.preset_period("24m", timezone.localdate())
    now = selectors.figures_for_user(town, start=start, end=last + dt.timedelta(days=1)).received
    assert received(client.get("/centre/figures/", {"period": "24m"}).content.decode()) == str(now)  # its own count


def test_take_part_keeps_its_counts_and_reads_its_phone_list_live(client, county, story, monkeypatch):
    from xiangzhi.centre import take_part

    client.force_login(county.users["township_staff"])
    assert 'data-testid="take-part-counted"' not in client.get("/centre/take-part/").content.decode()
    monkeypatch.setitem(kept_module.COUNTERS, "take_part", kept_module.Counter(take_part._take_part_count, 0.0))
    first = client.get("/centre/take-part/")
    assert first.status_code == 200 and 'data-testid="take-part-counted"' in first.content.decode()
    assert client.get("/centre/take-part/").context["counted"] == first.context["counted"]  # served kept
