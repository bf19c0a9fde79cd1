"""The access matrix's rows for assessment (C6, C7): the monthly inspections, the village scorecard, the
grid assessment and their API, each a (method, url, body, roles that may) for the small county ``c``;
gathered by ``tests/test_access.py``."""

import datetime as dt

from django.utils import timezone

from tests.factories import ALL_ROLES, UserFactory, jpeg_photo
from xiangzhi.accounts.models import Role


def inspection_cases(c):
    """每月排查 of village a1 by township a's 督查员 (only he starts an inspection and records findings; he
    reads his township's inspections and tasks and verifies them beside its staff), handed over: two tasks
    open for the cadre, two reported done to verify."""
    from xiangzhi.inspections import services as inspections

    inspector = c.users["inspector"]
    inspection = inspections.inspection_start(inspector=inspector, village=c.village_a1)
    inspections.inspection_fix(inspector=inspector, inspection=inspection, lon=118.005, lat=37.705)
    findings = [inspections.finding_add(inspector=inspector, inspection=inspection, item_code="pollution_burning",
                                        text_=f"焚烧垃圾{i}", photos=[jpeg_photo()] if i == 0 else [])
                for i in range(4)]
    inspections.inspection_finish(inspector=inspector, inspection=inspection)
    open_page, open_api, done_page, done_api = findings
    for f in (done_page, done_api):
        inspections.task_complete(actor=c.users["village_cadre"], finding=f, note="已清理")
    photo = open_page.photos.get()
    above = {"county_admin", "township_staff", "township_staff_b", "inspector"}
    readers = {"county_admin", "township_staff", "village_cadre", "inspector"}
    verifiers = {"township_staff", "inspector"}
    return [
        ("get", "/inspections/", None, above),
        ("post", "/inspections/start/", {"village": c.village_a1.code}, {"inspector"}),
        ("get", f"/inspections/{inspection.pk}/", None, readers),
        ("post", f"/inspections/{inspection.pk}/findings/", {"item_code": "crime_security", "text": "x"},
         {"inspector"}),
        ("get", "/inspections/tasks/", None, above | {"village_cadre"}),
        ("get", f"/inspections/tasks/{open_page.pk}/", None, readers),
        ("post", f"/inspections/tasks/{open_page.pk}/complete/", {"note": "已清理"}, {"village_cadre"}),
        ("post", f"/inspections/tasks/{done_page.pk}/verify/", {"accept": "1"}, verifiers),
        ("get", "/inspections/board/", None, above),
        ("get", f"/inspections/photos/{photo.pk}/thumb/", None, readers),
        ("get", "/api/v1/inspections/items", None, set(ALL_ROLES)),
        ("get", "/api/v1/inspections", None, above | {"village_cadre"}),
        ("post", "/api/v1/inspections", {"village": c.village_a1.code}, {"inspector"}),
        ("get", f"/api/v1/inspections/{inspection.pk}", None, readers),
        ("get", "/api/v1/inspections/tasks", None, above | {"village_cadre"}),
        ("post", f"/api/v1/inspections/tasks/{open_api.pk}/complete", {"note": "已清理"}, {"village_cadre"}),
        ("post", f"/api/v1/inspections/tasks/{done_api.pk}/verify", {"accept": True}, verifiers),
    ]


def assessment_cases(c):
    """积分换项目 of the county: a period published long ago, one run to publish, one open (run and scored
    by hand), a draft version of the scheme. The county runs it all; township and village staff see the
    published rankings and their own villages' scores."""
    from xiangzhi.assessment import services as assessment

    admin, today = c.users["county_admin"], timezone.localdate()
    scheme = assessment.scheme_install_default(county=c.county)

    def period(days_from, days_to, run=True, publish=False):
        p = assessment.period_create(scheme=scheme, actor=admin, start=today - dt.timedelta(days=days_from),
                                     end=today - dt.timedelta(days=days_to))
        if run:
            assessment.period_run(period=p, actor=admin)
        if publish:
            assessment.period_publish(period=p, actor=admin)
        return p

    done, to_publish, running = period(400, 220, publish=True), period(200, 100), period(60, 0)
    version = scheme.versions.get()
    draft = assessment.version_draft(scheme=scheme, actor=admin)
    dropped = draft.items.get(code="epidemic")
    manual = running.version.items.get(code="accident_serious")
    viewers = {"county_admin", "township_staff", "township_staff_b", "village_cadre"}
    a1 = {"county_admin", "township_staff", "village_cadre"}
    county = {"county_admin"}
    later = (today + dt.timedelta(days=30)).isoformat()
    item = {"group": "零事故", "code": "fire_drill", "name": "消防演练", "weight": "5", "source": "manual"}
    grid_people = {"grid_chief", "grid_worker", "grid_worker_b", "grid_guide"}  # the index: grid periods only
    return [
        ("get", "/assessment/", None, viewers | grid_people),
        ("post", "/assessment/periods/new/", {"scheme": scheme.pk, "start": later, "end": later}, county),
        ("get", f"/assessment/periods/{running.pk}/", None, county),
        ("get", f"/assessment/periods/{done.pk}/", None, viewers),
        ("post", f"/assessment/periods/{running.pk}/run/", {}, county),
        ("post", f"/assessment/periods/{to_publish.pk}/publish/", {}, county),
        ("get", f"/assessment/periods/{done.pk}/villages/{c.village_a1.code}/", None, a1),
        ("get", f"/assessment/periods/{done.pk}/villages/{c.village_b1.code}/", None,
         {"county_admin", "township_staff_b"}),
        ("post", f"/assessment/periods/{running.pk}/villages/{c.village_a1.code}/manual/",
         {"item": manual.pk, "points": "2", "reason": "发生一起火灾"}, county),
        ("post", f"/assessment/periods/{done.pk}/villages/{c.village_a1.code}/correct/",
         {"points": "1", "reason": "复核更正"}, county),
        ("get", f"/assessment/schemes/{scheme.pk}/", None, county),
        ("post", f"/assessment/schemes/{scheme.pk}/versions/new/", {}, county),
        ("get", f"/assessment/versions/{version.pk}/", None, county),
        ("post", f"/assessment/versions/{draft.pk}/items/", item, county),
        ("post", f"/assessment/versions/{draft.pk}/items/{dropped.pk}/delete/", {}, county),
        ("post", f"/assessment/versions/{draft.pk}/activate/", {}, county),
        ("get", "/api/v1/assessment/schemes", None, county),
        ("get", "/api/v1/assessment/periods", None, viewers | grid_people),
        ("get", f"/api/v1/assessment/periods/{done.pk}/scores", None, viewers),
        ("get", f"/api/v1/assessment/periods/{running.pk}/scores", None, county),
        ("get", f"/api/v1/assessment/periods/{done.pk}/villages/{c.village_a1.code}", None, a1),
        ("post", f"/assessment/periods/{done.pk}/close/", {}, county),
    ]


def grid_assessment_cases(c):
    """网格考核 of the county: a quarter published today (a lost point by hand on grid a1, an appeal on it
    pending), the current quarter open and run. The grids' own people see the published quarter and their
    grids; the township its grids and their appeals; the chief or the cadre over grid a1 appeals."""
    from xiangzhi.assessment import services as assessment
    from xiangzhi.assessment.models import LostPoint
    from xiangzhi.assessment.tests.grid_factories import grid_quarter, grid_scheme

    admin, today = c.users["county_admin"], timezone.localdate()
    scheme = grid_scheme(c)
    published = grid_quarter(c, scheme, start=today - dt.timedelta(days=200), end=today - dt.timedelta(days=110))
    conduct = published.version.items.get(code="conduct")
    assessment.manual_score_add(period=published, village=c.grid_a1, item=conduct, points=3, reason="例会缺席",
                                actor=admin, day=published.start)
    assessment.period_run(period=published, actor=admin)
    assessment.period_publish(period=published, actor=admin)
    running = grid_quarter(c, scheme, start=today - dt.timedelta(days=60), end=today)
    assessment.period_run(period=running, actor=admin)
    lost = LostPoint.objects.get(score__run__period=published, score__grid=c.grid_a1)
    appeal = assessment.appeal_file(period=published, unit=c.grid_a1, actor=c.users["grid_chief"], text_="已请假",
                                    lost_point=lost)
    viewers = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "grid_chief", "grid_worker",
               "grid_worker_b", "grid_guide"}
    county = {"county_admin"}
    year = published.start.year
    url = f"/assessment/periods/{published.pk}"
    return [
        ("get", f"{url}/", None, viewers),
        ("get", f"/assessment/periods/{running.pk}/", None, county),
        ("get", f"{url}/grids/{c.grid_a1.code}/", None,
         {"county_admin", "township_staff", "village_cadre", "grid_chief", "grid_worker"}),
        ("get", f"{url}/grids/{c.grid_a2.code}/", None, {"county_admin", "township_staff", "grid_guide"}),
        ("get", f"{url}/grids/{c.grid_b1.code}/", None, {"county_admin", "township_staff_b", "grid_worker_b"}),
        ("get", f"/assessment/periods/{running.pk}/grids/{c.grid_a1.code}/", None, county),
        ("post", f"{url}/grids/{c.grid_a1.code}/appeal/", {"text": "整体得分有误"}, {"village_cadre", "grid_chief"}),
        ("get", f"{url}/appeals/", None, {"county_admin", "township_staff", "township_staff_b"}),
        ("post", f"/assessment/appeals/{appeal.pk}/decide/", {"upheld": "1", "outcome": "属实", "points_returned": "3"},
         {"county_admin", "township_staff"}),
        ("post", f"/assessment/periods/{running.pk}/grids/{c.grid_a1.code}/manual/",
         {"item": conduct.pk, "points": "2", "reason": "台账缺失"}, county),
        ("post", f"{url}/grids/{c.grid_a1.code}/correct/", {"points": "1", "reason": "复核更正"}, county),
        ("get", "/assessment/grids/mine/", None, viewers),
        ("get", f"/assessment/grids/year/{year}/", None, viewers),
        ("get", f"/assessment/grids/year/{year}/print/", None, viewers),
        ("get", f"/assessment/grids/year/{year}/export.xlsx", None, viewers),
    ]


def assessment_api_cases(c):
    """/api/v1/assessment's writes and grid reads, on periods of their own (both schemes, years back so
    that none overlaps the pages' periods): a village period and a grid quarter published today with an
    appeal pending on each, a village period to close, a grid quarter open (run) and one run to publish,
    a draft of the grid scheme. The county manages; the chief or the cadre over grid a1 (the cadre alone
    for village a1) appeals; the township over the unit or the county decides; a grid's score opens to
    those over it."""
    from xiangzhi.assessment import services as assessment
    from xiangzhi.assessment.models import LostPoint, Scheme, SchemeKind

    admin, today = c.users["county_admin"], timezone.localdate()
    village_scheme = assessment.scheme_install_default(county=c.county)
    grid_scheme = (Scheme.objects.filter(county=c.county, kind=SchemeKind.GRID).first()
                   or assessment.scheme_install_grid(county=c.county))

    def period(scheme, days_from, days_to, run=True, publish=False):
        p = assessment.period_create(scheme=scheme, actor=admin, start=today - dt.timedelta(days=days_from),
                                     end=today - dt.timedelta(days=days_to))
        if run:
            assessment.period_run(period=p, actor=admin)
        if publish:
            assessment.period_publish(period=p, actor=admin)
        return p

    village_done, village_closing = period(village_scheme, 800, 620, publish=True), period(village_scheme, 600, 420,
                                                                                            publish=True)
    conduct = grid_scheme.versions.get(state="in_use").items.filter(source="manual").order_by("sort").first()
    grid_done = period(grid_scheme, 500, 410, run=False)
    assessment.manual_score_add(period=grid_done, village=c.grid_a1, item=conduct, points=2, reason="例会缺席",
                                actor=admin, day=grid_done.start)
    assessment.period_run(period=grid_done, actor=admin)
    assessment.period_publish(period=grid_done, actor=admin)
    grid_open, grid_to_publish = period(grid_scheme, 400, 310), period(grid_scheme, 300, 210)
    lost = LostPoint.objects.get(score__run__period=grid_done, score__grid=c.grid_a1, source="manual")
    grid_appeal = assessment.appeal_file(period=grid_done, unit=c.grid_a1, actor=c.users["grid_chief"],
                                         text_="当天在处置突发事件", lost_point=lost)
    cadre_b1 = UserFactory(username="cadre_b1", role=Role.VILLAGE_CADRE, region=c.village_b1)
    village_appeal = assessment.appeal_file(period=village_done, unit=c.village_b1, actor=cadre_b1, text_="得分有误")
    draft = assessment.version_draft(scheme=grid_scheme, actor=admin)
    api = "/api/v1/assessment"
    county = {"county_admin"}
    grid_viewers = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "grid_chief",
                    "grid_worker", "grid_worker_b", "grid_guide"}
    over_a1 = {"county_admin", "township_staff", "village_cadre", "grid_chief", "grid_worker"}
    deciders_a1 = {"county_admin", "township_staff"}
    later = today + dt.timedelta(days=400)
    new_period = {"scheme_id": grid_scheme.pk, "start": later.isoformat(),
                  "end": (later + dt.timedelta(days=90)).isoformat()}
    item = {"group": "工作作风", "code": "api_drill", "name": "应急演练", "weight": 1, "source": "manual"}
    by_hand = {"grid_code": c.grid_a1.code, "item_code": conduct.code, "points": 1, "reason": "台账缺失",
               "day": grid_open.start.isoformat()}
    decide = {"upheld": False, "outcome": "经核实，扣分属实"}
    return [
        ("post", f"{api}/periods", new_period, county),
        ("post", f"{api}/periods/{grid_open.pk}/run", {}, county),
        ("post", f"{api}/periods/{grid_to_publish.pk}/publish", {}, county),
        ("post", f"{api}/periods/{grid_done.pk}/reopen", {}, county),  # 409: published figures stay
        ("post", f"{api}/periods/{village_closing.pk}/close", {}, county),
        ("post", f"{api}/periods/{grid_open.pk}/manual-scores", by_hand, county),
        ("post", f"{api}/periods/{grid_done.pk}/corrections", {"grid_code": c.grid_a2.code, "points": 1,
                                                               "reason": "复核更正"}, county),
        ("post", f"{api}/periods/{village_done.pk}/corrections", {"village_code": c.village_b1.code, "points": 1,
                                                                  "reason": "复核更正"}, county),
        ("post", f"{api}/schemes/{grid_scheme.pk}/drafts", {}, county),
        ("get", f"{api}/versions/{draft.pk}", None, county),
        ("post", f"{api}/versions/{draft.pk}/items", item, county),
        ("get", f"{api}/periods/{grid_done.pk}/scores", None, grid_viewers),
        ("get", f"{api}/periods/{grid_open.pk}/scores", None, county),
        ("get", f"{api}/periods/{grid_done.pk}/grids/{c.grid_a1.code}", None, over_a1),
        ("get", f"{api}/periods/{grid_done.pk}/grids/{c.grid_b1.code}", None,
         {"county_admin", "township_staff_b", "grid_worker_b"}),
        ("get", f"{api}/periods/{grid_open.pk}/grids/{c.grid_a1.code}", None, county),
        ("get", f"{api}/periods/{grid_done.pk}/appeals", None, grid_viewers),  # each sees his own units' appeals
        ("get", f"{api}/periods/{village_done.pk}/appeals", None,
         {"county_admin", "township_staff", "township_staff_b", "village_cadre"}),
        ("post", f"{api}/periods/{grid_done.pk}/appeals", {"grid_code": c.grid_a1.code, "text": "整体得分有误"},
         {"village_cadre", "grid_chief"}),  # the second meets the first one pending: 409
        ("post", f"{api}/periods/{village_done.pk}/appeals", {"village_code": c.village_a1.code,
                                                              "text": "整体得分有误"}, {"village_cadre"}),
        ("post", f"{api}/appeals/{grid_appeal.pk}/decide", decide, deciders_a1),  # then 409, decided
        ("post", f"{api}/appeals/{village_appeal.pk}/decide", decide, {"county_admin", "township_staff_b"}),
    ]
