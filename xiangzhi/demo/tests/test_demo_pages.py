"""Every page a user can reach works on the demo's generated history, for every role.

Each role's demo account walks the street demo breadth-first from its home page (GET only, at most
two URLs of each shape; ``xiangzhi/system/crawl.py``), plus the old records a sample of recent ones
would miss: the oldest case in reach, a case the system touched (hotline import, warnings,
overdue escalation, archiving), an automatic points award, a published notice and its objections,
an empty village. No page may answer a server error, every menu entry answers 200, and no page
takes more than a second.
"""

import pytest
from django.db.models import Count

from xiangzhi.accounts.models import Role, User
from xiangzhi.cases import selectors as cases
from xiangzhi.cases.models import Transition
from xiangzhi.points import selectors as points
from xiangzhi.regions.models import Region, RegionLevel
from xiangzhi.supervision.selectors import village_code_token
from xiangzhi.system.crawl import SLOW_SECONDS, crawl, shape_of

pytestmark = pytest.mark.django_db


def _history_urls(user) -> list[str]:
    """Old records in the user's reach, by URL; each is opened whatever the sample already holds."""
    urls = []
    in_reach = cases.case_list_for_user(user)
    oldest = in_reach.order_by("created_at", "id").values_list("id", flat=True).first()
    touched_by_system = (
        Transition.objects.filter(actor__isnull=True, case__in=in_reach.values("id"))
        .order_by("id").values_list("case_id", flat=True).first()
    )
    urls += [f"/cases/{pk}/" for pk in dict.fromkeys((oldest, touched_by_system)) if pk]
    award = points.entry_list_for_user(user).filter(recorder__isnull=True).values_list("id", flat=True).first()
    if award:
        urls.append(f"/points/entries/{award}/")
    notice = (
        points.notice_list_for_user(user).annotate(n=Count("objections")).order_by("-n", "id")
        .values_list("id", flat=True).first()
    )
    if notice:
        urls.append(f"/points/notices/{notice}/")
    return urls


def _empty_village() -> Region:
    """A village with no grid of its own (the demo keeps one or two), else the smallest."""
    villages = Region.objects.filter(level=RegionLevel.VILLAGE).annotate(n=Count("grids")).order_by("n", "code")
    return villages.first()


def _busiest_village() -> Region:
    """The village whose public page carries the most: the demo's showcase of meetings and matters."""
    from xiangzhi.meetings.models import Deliberation

    code = Deliberation.objects.values("village__code").annotate(n=Count("id")).order_by("-n", "village__code")
    first = code.values_list("village__code", flat=True).first()
    return Region.objects.get(code=first) if first else Region.objects.filter(level=RegionLevel.VILLAGE).first()


@pytest.fixture(scope="module")
def walks(street_demo, django_db_blocker):
    """One walk per role, made once for the module's assertions."""
    from django.test import Client

    reports = {}
    with django_db_blocker.unblock():
        village = _empty_village()
        public = [f"/points/public/{village.code}/", f"/regions/{village.code}/",
                  *(f"/v/{village_code_token(v)}/" for v in (village, _busiest_village()))]
        for role in Role:
            account = next(a for a in street_demo.accounts if a["role"] == role.value)
            user = User.objects.get(username=account["username"])
            client = Client(raise_request_exception=False)
            client.force_login(user)
            reports[role.value] = crawl(client, label=role.value, extra=(*_history_urls(user), *public))
    return reports


def test_no_page_answers_a_server_error(walks):
    failures = [(role, p.url, p.status, p.found_on) for role, r in walks.items() for p in r.server_errors()]
    assert failures == []


def test_every_menu_entry_answers_200(walks):
    for role, report in walks.items():
        assert len(report.menu) >= 3, role  # home, inbox and at least one entry of the role's own
        assert [(p.url, p.status) for p in report.menu_failures()] == [], role


def test_no_page_takes_more_than_a_second(walks):
    slow = [(role, p.url, round(p.seconds, 2)) for role, r in walks.items() for p in r.slow(SLOW_SECONDS)]
    assert slow == []
    # Exports are downloads, timed apart: they were reached and answered.
    downloads = [p for r in walks.values() for p in r.downloads()]
    assert {p.url.split("?")[0] for p in downloads} >= {"/people/export.xlsx", "/people/import/template.xlsx"}
    assert all(p.status == 200 for p in downloads)


def test_the_walk_reaches_every_part_of_the_site_and_the_old_records(walks):
    shapes = set().union(*(r.shapes for r in walks.values()))
    for expected in ("/cases/{n}/", "/points/entries/{n}/", "/points/notices/{n}/", "/regions/{n}/",
                     "/grids/{n}/", "/people/households/{n}/", "/work/", "/work/visits/", "/work/patrols/{n}/",
                     "/shop/", "/shop/manage/", "/activities/{n}/", "/points/review/", "/points/rankings/",
                     "/points/calendar/", "/points/public/{n}/", "/centre/figures/", "/inbox/", "/admin/"):
        assert expected in shapes, expected
    # The old records were opened: a page, or a refusal for a role they are not for.
    for role, report in walks.items():
        extra = [p for p in report.pages if p.via == "extra"]
        assert extra and all(p.status in (200, 403, 404) for p in extra), (role, [(p.url, p.status) for p in extra])
    # The village pages behind the codes (一村一码) open for everyone, the empty village's too.
    village_pages = [p for r in walks.values() for p in r.pages if p.url.startswith("/v/")]
    assert len(village_pages) >= 2 * len(walks) and all(p.status == 200 for p in village_pages)
    admin = walks[Role.COUNTY_ADMIN.value]
    assert len(admin.pages) >= 60 and len(walks[Role.RESIDENT.value].pages) >= 8


def test_a_case_the_system_touched_names_the_system(street_demo, client):
    step = Transition.objects.filter(actor__isnull=True).select_related("case").order_by("id").first()
    client.force_login(User.objects.filter(role=Role.COUNTY_ADMIN).order_by("id").first())
    page = client.get(f"/cases/{step.case_id}/").content.decode()
    assert "系统" in page


def test_shapes_group_numbers_and_query_names():
    assert shape_of("/cases/12/?page=3&status=open") == "/cases/{n}/?page&status"
    assert shape_of("/regions/370114010203/") == "/regions/{n}/"
    assert shape_of("/admin/people/resident/?o=1&q=张") == "/admin/people/resident/"


def test_one_path_is_opened_at_most_per_path_times_whatever_its_queries():
    """The command centre links each figure to its case list with its own filters: those are one view."""
    from django.http import HttpResponse

    class Pages:
        def __init__(self):
            self.asked = []

        def get(self, url, headers=None):
            self.asked.append(url)
            if url == "/":
                links = "".join(f'<a href="/centre/cases/?figure={n}&k{n}=1">{n}</a>' for n in range(20))
                return HttpResponse(f'<nav><a href="/inbox/">收件箱</a></nav>{links}<a href="/cases/1/">1</a>')
            return HttpResponse("<p>页</p>")

    pages = Pages()
    report = crawl(pages, per_path=3)
    listed = [u for u in pages.asked if u.startswith("/centre/cases/")]
    assert len(listed) == 3 and len({shape_of(u) for u in listed}) == 3
    assert "/cases/1/" in pages.asked and "/inbox/" in report.menu
