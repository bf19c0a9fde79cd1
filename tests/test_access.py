"""Every page and endpoint refuses the wrong role and the wrong scope.

The matrix lists, for each URL, which roles of the small county may open it; every other role must
be refused (403 for a role that may never, 404 for an object outside the scope, 302 to login for
anonymous visitors, 401 on the API). An allowed role may also meet 409 on an action done once only
(reviewing an entry): it passed every access check and the entry's state answered.
"""

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.access_assessment import assessment_api_cases, assessment_cases, grid_assessment_cases, inspection_cases
from tests.access_audit import audit_cases
from tests.access_centre_know import centre_know_cases
from tests.access_centre_map import centre_map_cases
from tests.access_centre_queue import centre_queue_cases
from tests.access_centre_wall import centre_wall_cases
from tests.access_config import config_cases
from tests.access_disclosure import disclosure_cases
from tests.access_duties import duties_cases
from tests.access_meetings import meetings_cases
from tests.access_participation import participation_cases
from tests.access_supervision import supervision_cases
from tests.factories import ALL_ROLES, UserFactory, install_points_rulebooks, jpeg_photo, square
from tests.web import Sessions, policy_problems
from xiangzhi.accounts.models import Role
from xiangzhi.accounts.services import api_token_issue
from xiangzhi.cases.models import Category
from xiangzhi.cases.services import case_report
from xiangzhi.gridwork.services import patrol_start
from xiangzhi.notifications.services import notify
from xiangzhi.people.models import KeyCategory, KeyPerson
from xiangzhi.people.services import key_person_register
from xiangzhi.points import services as points
from xiangzhi.regions.services import grid_assign

REGISTER = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "points_recorder",
            "points_supervisor", "grid_chief", "grid_worker", "grid_worker_b", "grid_guide"}


def cases(c):
    """(method, url, body, roles that may) for the small county `c`."""
    a1 = c.households["a1"]
    resident_a1 = a1.residents.first()
    in_a1 = {"county_admin", "township_staff", "village_cadre", "points_recorder", "points_supervisor",
             "grid_chief", "grid_worker"}
    # 督查员 of town a: its villages, their places, cases and published rules; never a household (register,
    # points book, entries, key people) nor a page of his own village (he stands on none).
    inspector = {"inspector"}
    # Grid work: an open patrol of the grid worker in grid_a1, and a key person there.
    patrol = patrol_start(worker=c.users["grid_worker"], grid=c.grid_a1)
    key_person = KeyPerson.objects.create(resident=resident_a1, category=KeyCategory.objects.get(code="elderly_alone"),
                                          registered_on=timezone.localdate() - dt.timedelta(days=40))
    patrollers = {"grid_chief", "grid_worker", "grid_worker_b"}
    supervisors = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "grid_chief"}
    a1_supervisors = {"county_admin", "township_staff", "village_cadre", "grid_chief"}
    a1_visitors = {"village_cadre", "grid_chief", "grid_worker"}
    steer_a1 = {"county_admin", "township_staff", "grid_chief", "grid_worker"}
    # Key people kept from the field: two more entries of a1's head, re-categorised and ended by page and API.
    kept_page, kept_api = (key_person_register(actor=c.users["grid_worker"], resident=resident_a1, category=code)
                           for code in ("hardship_family", "disabled"))
    fix = {"recorded_at": timezone.now().isoformat(), "lon": 118.01, "lat": 37.71, "accuracy_m": 5}
    # Staffing: a part-time worker on grid a2 (not one of the roles above, so no role's scope moves).
    extra_worker = UserFactory(username="extra_a2", role=Role.GRID_WORKER)
    extra_post = grid_assign(grid=c.grid_a2, user=extra_worker, duty="part_time")
    visit_form = {"outcome": "normal", "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    # A message in the grid worker's inbox: everyone opens their own inbox, nobody else's message.
    (message,) = notify(recipients=[c.users["grid_worker"]], kind="case_assigned", title="新派遣事件",
                        link="/inbox/")
    # A villager's case in grid a1 (its micro-grid): staff over a1 see it, and so does its reporter.
    case = case_report(category=Category.objects.get(code="road_light"), title="路灯不亮", channel="resident",
                       lon=118.005, lat=37.705, reporter=c.users["resident"]).case
    # Points: both townships have rulebooks; entries for household a1, recorded by the village's recorder.
    rules = install_points_rulebooks(c.town_a, c.town_b)[c.town_a.code]
    recorders_a1 = {"points_recorder", "village_cadre", "grid_chief", "grid_worker"}
    recorders = recorders_a1 | {"grid_worker_b"}
    reviewers = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "points_supervisor"}
    reviewers_a1 = reviewers - {"township_staff_b"}
    rankers = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "points_recorder",
               "points_supervisor"}
    boundary_editors = {"county_admin", "township_staff", "village_cadre"}  # over grid a1 and its village

    def entry(code, approved=False, **kw):
        e = points.entry_record(actor=c.users["points_recorder"], household=a1, rule=rules[code],
                                occurred_on=timezone.localdate(), **kw).entry
        if approved:
            points.entry_review(actor=c.users["points_supervisor"], entry=e, approve=True)
        return e

    pending_page, pending_api, pending_bulk = entry("neighbour_help"), entry("env_sorting"), entry("law_learning")
    approved_page, approved_api = entry("customs_promote", approved=True), entry("env_greening", approved=True)
    with_photo = entry("env_litter", evidence=jpeg_photo())
    today = timezone.localdate().isoformat()
    # 积分优先: a benefit of village a1; its cadres, recorder and the points administrators above publish.
    benefit = points.benefit_publish(actor=c.users["village_cadre"], village=c.village_a1, kind="training",
                                     title="技能培训", places=1, threshold=1, basis_start=timezone.localdate(),
                                     basis_end=timezone.localdate(), closes_on=timezone.localdate())
    publishers = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "points_recorder"}
    publishers_a1 = publishers - {"township_staff_b"}
    # Its API: a villager also reads his own village's (names masked); a second benefit to close over the API.
    to_close = points.benefit_publish(actor=c.users["village_cadre"], village=c.village_a1, kind="job",
                                      title="公益岗位", places=1, threshold=1, basis_start=timezone.localdate(),
                                      basis_end=timezone.localdate(), closes_on=timezone.localdate())
    benefit_body = {"village": c.village_a1.code, "kind": "loan", "title": "创业贷款担保", "places": 2,
                    "threshold": 1, "basis_start": today, "basis_end": today, "closes_on": today}
    # An API token of the township staff: only its owner lists, revokes it (others meet 404).
    api_token_issue(user=c.users["township_staff"])
    town_token = c.users["township_staff"].api_tokens.get()
    return [
        ("get", "/accounts/me/", None, set(ALL_ROLES)),
        ("post", f"/accounts/me/tokens/{town_token.pk}/revoke/", {}, {"township_staff"}),
        ("get", "/api/v1/auth/tokens", None, set(ALL_ROLES)),
        ("delete", f"/api/v1/auth/tokens/{town_token.pk}", None, {"township_staff"}),
        ("get", "/points/", None, recorders | reviewers | rankers | {"resident"}),
        ("get", "/points/book/", None, {"resident"}),
        ("get", f"/points/households/{a1.id}/", None, in_a1 | {"resident"}),
        ("get", "/points/record/", None, recorders),
        ("post", "/points/record/", {"household": a1.id, "rule": rules["stability_clue"].pk, "occurred_on": today,
                                     "submission_id": "matrix"}, recorders_a1),
        ("get", "/points/record/households/?q=张", None, recorders),
        ("get", "/points/review/", None, reviewers),
        ("post", "/points/review/", {"approve_one": pending_page.pk}, reviewers_a1),
        ("get", f"/points/entries/{pending_page.pk}/", None, in_a1 | {"resident"}),
        ("post", f"/points/entries/{approved_page.pk}/reverse/",
         {"reason": "记错了", "requester": c.users["points_recorder"].pk}, reviewers_a1),
        ("get", f"/points/entries/{with_photo.pk}/photo/", None, in_a1 | {"resident"}),
        ("get", f"/points/entries/{with_photo.pk}/photo/thumb/", None, in_a1 | {"resident"}),
        ("get", "/points/rules/", None, set(ALL_ROLES) - {"department_staff", "inspector"}),
        ("get", f"/points/rules/?village={c.village_a1.code}", None, in_a1 | {"resident"} | inspector),
        ("get", "/points/rankings/", None, rankers),
        ("get", f"/points/rankings/?region={c.town_b.code}", None, {"county_admin", "township_staff_b"}),
        ("get", "/points/benefits/", None, publishers),
        ("get", f"/points/benefits/{benefit.pk}/", None, publishers_a1),
        ("post", f"/points/benefits/{benefit.pk}/close/", {}, publishers_a1),
        ("get", "/api/v1/points/benefits", None, publishers | {"resident"}),
        ("get", f"/api/v1/points/benefits/{benefit.pk}", None, publishers_a1 | {"resident"}),
        ("post", "/api/v1/points/benefits", benefit_body, publishers_a1),
        ("post", f"/api/v1/points/benefits/{to_close.pk}/close", {}, publishers_a1),  # then 409, closed already
        ("get", f"/api/v1/points/rules?village={c.village_a1.code}", None, in_a1 | {"resident"} | inspector),
        ("post", "/api/v1/points/entries", {"household": a1.id, "rule": "volunteer_activity"}, recorders_a1),
        ("post", "/api/v1/points/entries/batch", {"households": [a1.id, c.households["a1_micro"].id],
                                                  "rule": "volunteer_labour"}, recorders_a1),
        ("get", "/api/v1/points/entries", None, set(ALL_ROLES)),
        ("get", f"/api/v1/points/entries/{pending_api.pk}", None, in_a1 | {"resident"}),
        ("post", f"/api/v1/points/entries/{pending_api.pk}/review", {"approve": True}, reviewers_a1),
        ("post", "/api/v1/points/entries/review", {"ids": [pending_bulk.pk], "approve": True}, reviewers),
        ("post", f"/api/v1/points/entries/{approved_api.pk}/reverse",
         {"reason": "记错了", "requester": c.users["points_recorder"].pk}, reviewers_a1),
        ("get", f"/api/v1/points/households/{a1.id}", None, in_a1 | {"resident"}),
        ("get", "/api/v1/points/rankings", None, rankers),
        ("get", f"/api/v1/points/rankings?region={c.town_b.code}", None, {"county_admin", "township_staff_b"}),
        *activity_cases(c, rules, in_a1),
        *project_cases(c),
        *shop_cases(c, rules),
        *cycle_cases(c, in_a1),
        *register_change_cases(c, in_a1),
        *party_cases(c),
        *inspection_cases(c),
        *disclosure_cases(c),
        *assessment_cases(c),
        *grid_assessment_cases(c),
        *assessment_api_cases(c),
        *duties_cases(c),
        *meetings_cases(c),
        *participation_cases(c),
        *supervision_cases(c),
        *audit_cases(c),
        ("get", "/system/status/", None, {"county_admin"}),  # 运行状态: the installation, for its IT person
        *config_cases(c),
        *centre_wall_cases(c),
        *centre_map_cases(c),
        *centre_know_cases(c),
        *centre_queue_cases(c),
        ("get", "/cases/", None, set(ALL_ROLES)),
        ("get", "/cases/inbox/", None, set(ALL_ROLES)),
        ("get", "/cases/new/", None, set(ALL_ROLES)),
        ("get", "/cases/hotline/", None, {"county_admin", "township_staff", "township_staff_b"}),
        ("post", "/cases/hotline/", {}, {"county_admin", "township_staff", "township_staff_b"}),
        ("get", "/cases/hotline/template.xlsx", None, {"county_admin", "township_staff", "township_staff_b"}),
        ("get", "/cases/hotline/template.csv", None, {"county_admin", "township_staff", "township_staff_b"}),
        ("get", f"/cases/{case.pk}/", None, (in_a1 - {"points_recorder", "points_supervisor"})
         | {"resident", "points_recorder", "points_supervisor"} | inspector),
        ("post", f"/cases/{case.pk}/act/supervise/", {"note": "请加快办理"}, {"county_admin", "township_staff"}),
        # 改类别, by those who steer the grid-level case (its grid's staff, the township, the county), to a
        # category routed like the first (the same desk): the first allowed role moves it, the rest are told
        # it is so already (409).
        ("post", f"/cases/{case.pk}/act/recategorise/", {"category": "env_garbage"}, steer_a1),
        ("post", f"/api/v1/cases/{case.pk}/recategorise", {"category": "road_light"}, steer_a1),
        ("post", "/cases/suggest/", {"description": "村口的灯不亮了"}, set(ALL_ROLES)),
        ("post", "/api/v1/cases/suggest", {"text": "村口的灯不亮了"}, set(ALL_ROLES)),
        ("get", "/api/v1/cases", None, set(ALL_ROLES)),
        ("get", "/api/v1/categories", None, set(ALL_ROLES)),
        ("get", "/centre/figures/", None, set(ALL_ROLES) - {"resident"}),
        ("get", f"/centre/figures/?region={c.town_b.code}", None, {"county_admin", "township_staff_b"}),
        ("get", f"/api/v1/cases/{case.pk}", None, in_a1 | {"resident"} | inspector),
        ("post", f"/api/v1/cases/{case.pk}/supervise", {"note": "请加快办理"}, {"county_admin", "township_staff"}),
        ("get", "/", None, set(ALL_ROLES)),
        ("get", "/regions/", None, REGISTER),
        ("get", f"/regions/{c.town_a.code}/", None, {"county_admin", "township_staff"}),
        ("get", f"/regions/{c.village_a1.code}/", None, {"county_admin", "township_staff", "village_cadre",
                                                          "points_recorder", "points_supervisor"}),
        ("get", f"/grids/{c.grid_a1.code}/", None, in_a1),
        ("get", "/map/", None, REGISTER),
        ("get", "/map/grids.geojson", None, REGISTER),
        ("get", "/map/report-grids.geojson", None, set(ALL_ROLES)),
        ("get", "/alerts/unstaffed/", None, {"county_admin", "township_staff", "township_staff_b"}),
        ("get", f"/grids/{c.grid_a2.code}/staff/", None, {"county_admin", "township_staff"}),
        ("post", f"/grids/{c.grid_a2.code}/staff/", {"duty": "part_time", "user": extra_worker.pk},
         {"county_admin", "township_staff"}),  # already in post: 409
        ("post", f"/grids/{c.grid_a2.code}/staff/{extra_post.pk}/end/", {"reason": "辞职"},
         {"county_admin", "township_staff"}),  # the second says it is ended already, 302
        ("get", "/people/households/", None, REGISTER),
        ("get", f"/people/households/{a1.id}/", None, in_a1 | {"resident"}),
        ("get", "/people/key-people/", None, REGISTER),
        ("get", "/people/key-people/new/", None, a1_visitors | {"grid_worker_b"}),
        ("get", f"/people/key-people/new/?household={a1.id}", None, a1_visitors),
        ("post", "/people/key-people/new/", {"household": a1.id, "resident": resident_a1.id, "category": "petitioner"},
         a1_visitors),  # the second is told the person is registered already: 409
        ("get", f"/people/key-people/{kept_page.id}/", None, in_a1),
        ("post", f"/people/key-people/{kept_page.id}/category/", {"category": "drug_rehab", "reason": "核实"},
         a1_visitors),  # then 409, already so
        ("post", f"/people/key-people/{kept_page.id}/end/", {"reason": "情况好转"}, a1_visitors),  # then 409
        ("get", "/people/import/", None, {"county_admin", "township_staff", "township_staff_b", "village_cadre",
                                          "grid_chief", "grid_worker", "grid_worker_b"}),
        ("get", "/people/export.xlsx", None, REGISTER),
        ("post", f"/people/residents/{resident_a1.id}/reveal/", {"reason": "核对", "field": "id_number"},
         {"county_admin", "township_staff"}),
        ("get", "/api/v1/households", None, set(ALL_ROLES)),
        ("get", f"/api/v1/households/{a1.id}", None, in_a1 | {"resident"}),
        ("post", f"/api/v1/residents/{resident_a1.id}/reveal", {"reason": "核对"},
         {"county_admin", "township_staff"}),
        ("get", "/api/v1/grids", None, set(ALL_ROLES)),
        ("get", f"/api/v1/grids/{c.grid_a1.code}", None, in_a1 | inspector),
        ("get", "/api/v1/grids/locate?lon=118.015&lat=37.715", None, in_a1 | inspector),
        ("put", f"/api/v1/grids/{c.grid_a1.code}/boundary", {"boundary": square(118.0, 37.7, 0.02), "reason": "核对"},
         boundary_editors),
        ("get", f"/api/v1/grids/{c.grid_a1.code}/boundary/revisions", None, boundary_editors),
        ("get", f"/grids/{c.grid_a1.code}/boundary/", None, boundary_editors),
        ("post", f"/grids/{c.grid_a1.code}/boundary/",
         {"boundary": json.dumps(square(118.0, 37.7, 0.02)), "reason": "核对"}, boundary_editors),
        ("get", f"/people/places/new/?grid={c.grid_a1.code}", None, a1_visitors),
        ("get", "/people/places/import/", None, a1_visitors | {"grid_worker_b"}),
        ("get", "/people/organisations/import/", None, a1_visitors | {"grid_worker_b"}),
        ("get", "/people/organisations/import/template.xlsx", None, a1_visitors | {"grid_worker_b"}),
        ("get", f"/people/villages/{c.village_a1.code}/regrid/", None, boundary_editors),
        ("post", f"/people/villages/{c.village_a1.code}/regrid/{c.households['a1_micro'].id}/",
         {"grid": c.grid_a1.code, "reason": "核对"}, boundary_editors),  # the second says it is there already, 302
        ("get", f"/api/v1/regions/{c.village_a1.code}", None, {"county_admin", "township_staff", "village_cadre",
                                                                "points_recorder", "points_supervisor", "inspector"}),
        ("get", "/api/v1/auth/me", None, set(ALL_ROLES)),
        ("get", "/api/v1/key-people", None, REGISTER),
        ("get", f"/api/v1/key-people/{kept_api.id}", None, in_a1),
        ("post", "/api/v1/key-people", {"resident_id": resident_a1.id, "category": "mental_illness"}, a1_visitors),
        ("post", f"/api/v1/key-people/{kept_api.id}/category", {"category": "community_correction", "reason": "核实"},
         a1_visitors),
        ("post", f"/api/v1/key-people/{kept_api.id}/end", {"reason": "刑满释放"}, a1_visitors),
        ("get", "/api/v1/places", None, set(ALL_ROLES)),
        ("get", f"/api/v1/places?grid={c.grid_a1.code}", None, in_a1 | inspector),
        ("get", "/api/v1/departments", None, set(ALL_ROLES)),
        ("get", "/api/v1/regions", None, set(ALL_ROLES)),
        ("get", "/api/v1/grids/unstaffed", None, set(ALL_ROLES)),
        ("get", "/work/", None, patrollers),
        ("get", "/work/visits/", None, patrollers | {"village_cadre"}),
        ("get", f"/work/visits/new/{key_person.id}/", None, a1_visitors),
        ("post", f"/work/visits/new/{key_person.id}/", visit_form, a1_visitors),
        ("get", "/work/patrols/", None, patrollers | supervisors),
        ("get", f"/work/patrols/{patrol.id}/", None, a1_supervisors | {"grid_worker"}),
        ("get", f"/work/patrols/{patrol.id}/activity/", None, a1_supervisors | {"grid_worker"}),
        ("get", f"/work/patrols/{patrol.id}/due/", None, {"grid_worker"}),
        ("get", f"/api/v1/work/patrols/{patrol.id}", None, a1_supervisors | {"grid_worker"}),
        ("post", f"/api/v1/work/patrols/{patrol.id}/points", {"points": [fix]}, {"grid_worker"}),
        ("post", f"/api/v1/work/patrols/{patrol.id}/stop", {}, {"grid_worker"}),
        ("post", f"/work/patrols/{patrol.id}/stop/", {}, {"grid_worker"}),  # already stopped: says so, 302
        ("post", "/api/v1/work/patrols", {}, patrollers),
        ("post", "/work/patrols/start/", {}, patrollers),  # resumes the patrol just opened, 302
        ("post", "/work/log/", {"text": "巡查村北路"}, patrollers),
        ("get", "/api/v1/work/daily-log", None, patrollers),
        ("put", "/api/v1/work/daily-log", {"text": "巡查村北路"}, patrollers),
        ("get", "/api/v1/work/patrols", None, patrollers | supervisors),
        ("get", "/api/v1/work/visits/due", None, REGISTER),
        ("get", "/api/v1/work/visits", None, REGISTER),
        ("post", "/api/v1/work/visits", {"key_person_id": key_person.id, "outcome": "normal"}, a1_visitors),
        ("get", "/work/supervise/", None, supervisors),
        ("get", "/api/v1/work/summaries", None, supervisors),
        ("get", "/api/v1/work/overdue-by-grid", None, supervisors),
        ("get", "/inbox/", None, set(ALL_ROLES)),
        ("post", f"/inbox/{message.id}/read/", {}, {"grid_worker"}),
        ("post", f"/inbox/{message.id}/open/", {}, {"grid_worker"}),
        ("post", "/inbox/read-all/", {}, set(ALL_ROLES)),
        ("get", "/api/v1/notifications", None, set(ALL_ROLES)),
        ("post", f"/api/v1/notifications/{message.id}/read", {}, {"grid_worker"}),
        ("post", "/api/v1/notifications/read-all", {}, set(ALL_ROLES)),
    ]


def activity_cases(c, rules, in_a1):
    """Volunteer activities in village a1: three of tomorrow (sign-up, close, cancel) and two begun an
    hour ago, with a1 and a1_micro signed up (check-in; award, a1 checked in)."""
    from xiangzhi.activities import services as activities

    cadre, now = c.users["village_cadre"], timezone.now()

    def activity(started=False):
        start = now - dt.timedelta(hours=1) if started else now + dt.timedelta(days=1)
        then = start - dt.timedelta(days=1) if started else now
        a = activities.activity_create(actor=cadre, village=c.village_a1, title="清扫村道", place="村口",
                                       starts_at=start, ends_at=start + dt.timedelta(hours=3),
                                       rule=rules["volunteer_activity"], now=then)
        return a, [activities.activity_signup(actor=cadre, activity=a, household=c.households[k], now=then)
                   for k in (("a1", "a1_micro") if started else ())]

    (coming, _), (closing, _), (cancelling, _) = activity(), activity(), activity()
    mine = activities.activity_signup(actor=c.users["resident"], activity=coming)
    begun, (s1, s2) = activity(started=True)
    awarding, (present, _) = activity(started=True)
    activities.activity_check_in(actor=cadre, activity=awarding, signups=[present])
    viewers = set(ALL_ROLES) - {"department_staff", "inspector"}
    a1_viewers = in_a1 | {"resident"}
    organisers = {"county_admin", "township_staff", "village_cadre", "points_recorder", "grid_chief"}
    signers = organisers | {"grid_worker", "resident"}
    awarders = organisers - {"grid_chief"}
    comparers = {"county_admin", "township_staff", "township_staff_b", "village_cadre", "points_recorder",
                 "points_supervisor"}
    town_b_only = {"county_admin", "township_staff_b"}
    day = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    form = {"village": c.village_a1.code, "title": "义务植树", "place": "村北荒坡", "starts_at": f"{day}T08:00",
            "ends_at": f"{day}T10:00", "rule": "volunteer_activity"}
    household = {"household": c.households["a1"].id}
    return [
        ("get", "/activities/", None, viewers),
        ("get", "/activities/new/", None, organisers | {"township_staff_b"}),
        ("post", "/activities/new/", form, organisers),
        ("get", "/activities/villages/", None, comparers),
        ("get", f"/activities/villages/?region={c.town_b.code}", None, town_b_only),
        ("get", f"/activities/{coming.pk}/", None, a1_viewers),
        ("get", f"/activities/{coming.pk}/households/?q=张", None, signers - {"resident"}),
        ("post", f"/activities/{coming.pk}/signup/", household, signers),
        ("post", f"/activities/{coming.pk}/signups/{mine.pk}/withdraw/", {}, signers),
        ("post", f"/activities/{closing.pk}/close/", {}, organisers),
        ("post", f"/activities/{cancelling.pk}/cancel/", {"reason": "暴雨预警"}, organisers),
        ("post", f"/activities/{begun.pk}/signups/{s1.pk}/check-in/", {"present": "1"}, organisers),
        ("post", f"/activities/{begun.pk}/check-in/", {}, organisers),
        ("post", f"/activities/{awarding.pk}/award/", {}, awarders),
        ("get", "/api/v1/activities", None, viewers),
        ("post", "/api/v1/activities", form, organisers),
        ("get", "/api/v1/activities/villages", None, comparers),
        ("get", f"/api/v1/activities/villages?region={c.town_b.code}", None, town_b_only),
        ("get", f"/api/v1/activities/{coming.pk}", None, a1_viewers),
        ("get", f"/api/v1/activities/{coming.pk}/signups", None, a1_viewers),
        ("post", f"/api/v1/activities/{coming.pk}/signups", household, signers),
        ("post", f"/api/v1/activities/{coming.pk}/signups/{mine.pk}/withdraw", {}, signers),
        ("post", f"/api/v1/activities/{closing.pk}/close", {}, organisers),
        ("post", f"/api/v1/activities/{cancelling.pk}/cancel", {"reason": "暴雨预警"}, organisers),
        ("post", f"/api/v1/activities/{begun.pk}/check-in", {"signups": [s1.pk, s2.pk]}, organisers),
        ("post", f"/api/v1/activities/{begun.pk}/signups/{s2.pk}/undo-check-in", {}, organisers),
        ("post", f"/api/v1/activities/{awarding.pk}/award", {}, awarders),
    ]


def project_cases(c):
    """Village projects in village a1: requests collected and planned, a project begun (spending,
    milestones, donations) and one to step on. Its cadres and the township and county above keep them;
    the villager asks for his own village."""
    from xiangzhi.projects import services as projects

    cadre, today = c.users["village_cadre"], timezone.localdate().isoformat()

    def planned(title):
        return projects.request_plan(actor=cadre, request=projects.request_submit(
            actor=cadre, village=c.village_a1, title=title))

    collected = projects.request_submit(actor=cadre, village=c.village_a1, title="修排水沟")
    declining = projects.request_submit(actor=cadre, village=c.village_a1, title="建广场")
    to_fund, to_fund_api = planned("安路灯"), planned("修桥")
    begun = projects.project_create(actor=cadre, request=planned("硬化生产路"), budget=10_000_000)
    projects.project_advance(actor=cadre, project=begun)
    milestone = projects.milestone_add(actor=cadre, project=begun, name="路基", planned_on=timezone.localdate())
    stepping = projects.project_create(actor=cadre, request=planned("修渠"), budget=1000)
    keepers = {"county_admin", "township_staff", "township_staff_b", "village_cadre"}
    keepers_a1 = keepers - {"township_staff_b"}
    spend = {"amount": 100, "purpose": "水泥", "spent_on": today}
    give = {"kind": "money", "donor_name": "刘志强", "amount": 100, "donated_on": today}
    ask = {"village": c.village_a1.code, "title": "修路灯"}
    return [
        ("get", "/projects/", None, keepers | {"resident"}),
        ("get", "/projects/ask/", None, keepers | {"resident"}),
        ("post", "/projects/ask/", {"title": "修路灯"}, keepers | {"resident"}),
        ("get", f"/projects/villages/{c.village_a1.code}/", None, keepers_a1),
        ("post", f"/projects/villages/{c.village_a1.code}/requests/", {"title": "修路"}, keepers_a1),
        ("post", f"/projects/requests/{collected.pk}/plan/", {}, keepers_a1),
        ("post", f"/projects/requests/{declining.pk}/decline/", {"reason": "不属于公益项目"}, keepers_a1),
        ("post", f"/projects/requests/{to_fund.pk}/project/", {"budget": "5000"}, keepers_a1),
        ("get", f"/projects/{begun.pk}/", None, keepers_a1),
        ("post", f"/projects/{stepping.pk}/advance/", {"on": today}, keepers_a1),
        ("post", f"/projects/{begun.pk}/milestones/", {"name": "验收", "planned_on": today}, keepers_a1),
        ("post", f"/projects/{begun.pk}/milestones/{milestone.pk}/done/", {"done_on": today}, keepers_a1),
        ("post", f"/projects/{begun.pk}/spending/", spend, keepers_a1),
        ("post", f"/projects/{begun.pk}/donations/", give, keepers_a1),
        ("get", "/api/v1/projects/requests", None, keepers | {"resident"}),
        ("post", "/api/v1/projects/requests", ask, keepers_a1 | {"resident"}),
        ("get", f"/api/v1/projects/plans?village={c.village_a1.code}", None, keepers_a1),
        ("get", "/api/v1/projects", None, keepers),
        ("post", "/api/v1/projects", {"request": to_fund_api.pk, "budget": 5000}, keepers_a1),
        ("get", f"/api/v1/projects/{begun.pk}", None, keepers_a1),
        ("post", f"/api/v1/projects/{begun.pk}/spending", spend, keepers_a1),
        ("post", f"/api/v1/projects/{begun.pk}/donations", give, keepers_a1),
        ("get", f"/api/v1/projects/{begun.pk}/donations", None, keepers_a1),
    ]


def shop_cases(c, rules):
    """积分超市 in village a1, its window open: a1 and a1_micro hold points, and four orders of a1 wait
    (cancel and hand over, on the page and through the API). The counter is a1's cadre and points
    recorder and the township and county above; the villager orders and cancels for their household."""
    from xiangzhi.points.models import PointsRule
    from xiangzhi.shop import services as shop

    today = timezone.localdate()
    points.redemption_window_add(actor=c.users["township_staff"], township=c.town_a, opens_on=today,
                                 closes_on=today + dt.timedelta(days=14))
    first = rules["neighbour_help"]
    earn = PointsRule.objects.create(rulebook=first.rulebook, category=first.category, code="shop_access_earn",
                                     name="测试积分", direction="add", points=50)
    for key in ("a1", "a1_micro"):
        e = points.entry_record(actor=c.users["points_recorder"], household=c.households[key], rule=earn,
                                occurred_on=today).entry
        points.entry_review(actor=c.users["points_supervisor"], entry=e, approve=True)
    cadre, a1 = c.users["village_cadre"], c.households["a1"]
    powder = shop.shop_item_create(actor=cadre, village=c.village_a1, name="洗衣粉", unit="袋", price=1, stock=200)
    oil = shop.shop_item_create(actor=cadre, village=c.village_a1, name="食用油", unit="桶", price=1, stock=200)
    page_cancel, api_cancel, page_hand, api_hand = (
        shop.shop_order_reserve(actor=c.users["resident"], household=a1, item=powder).order for _ in range(4))
    counter = {"county_admin", "township_staff", "village_cadre", "points_recorder"}
    users = counter | {"township_staff_b", "resident"}
    village = c.village_a1.code
    return [
        ("get", "/shop/", None, users),
        ("get", "/shop/manage/", None, users - {"resident"}),
        ("get", f"/shop/manage/?village={village}", None, counter),
        ("get", f"/shop/manage/orders/?village={village}&q=张", None, counter),
        ("post", "/shop/manage/items/", {"village": village, "name": "醋", "price": 3, "stock": 5}, counter),
        ("post", f"/shop/manage/items/{oil.pk}/", {"name": "食用油", "kind": "goods", "unit": "桶", "price": 2,
                                                   "is_active": "1"}, counter),
        ("post", f"/shop/manage/items/{oil.pk}/stock/", {"reason": "restock", "quantity": 5}, counter),
        ("post", "/shop/orders/", {"item": powder.pk, "household": a1.number, "back": "manage"},
         counter | {"resident"}),
        ("post", f"/shop/orders/{page_cancel.pk}/cancel/", {"reason": "村民不要了"}, counter | {"resident"}),
        ("post", f"/shop/orders/{page_hand.pk}/hand-over/", {}, counter),
        ("get", f"/api/v1/shop/items?village={village}", None, counter | {"resident"}),
        ("get", "/api/v1/shop/items", None, users),
        ("post", "/api/v1/shop/items", {"village": village, "name": "香皂", "price": 4, "stock": 5}, counter),
        ("patch", f"/api/v1/shop/items/{oil.pk}", {"price": 3}, counter),
        ("post", f"/api/v1/shop/items/{oil.pk}/restock", {"quantity": 5}, counter),
        ("post", "/api/v1/shop/orders", {"item": powder.pk, "household": a1.id}, counter | {"resident"}),
        ("get", "/api/v1/shop/orders", None, users),
        ("get", f"/api/v1/shop/orders/{api_cancel.pk}", None, counter | {"resident"}),
        ("post", f"/api/v1/shop/orders/{api_hand.pk}/hand-over", {}, counter),
        ("post", f"/api/v1/shop/orders/{api_cancel.pk}/cancel", {"reason": "村民不要了"}, counter | {"resident"}),
        ("get", "/api/v1/shop/windows", None, users),
    ]


def cycle_cases(c, in_a1):
    """The points cycle: 东村's quarterly notice with two villager objections, the calendar, a
    redemption window for 下洼镇, and a settled past year."""
    from xiangzhi.lib.periods import period_bounds
    from xiangzhi.points import services as points_services

    start, end = period_bounds("quarter", timezone.localdate())
    notice = points_services.notice_publish(village=c.village_a1, period_start=start, period_end=end, objection_days=7)
    micro = c.households["a1_micro"]
    by_page, by_api = (points_services.objection_file(actor=c.users[who], notice=notice, household=micro,
                                              text="该户记分有误，请核实") for who in ("resident", "village_cadre"))
    year = timezone.localdate().year - 1
    settled = points_services.settlement_run(township=c.town_a, year=year, now=timezone.now())
    objectors = {"resident", "village_cadre", "points_recorder"}
    resolvers = {"county_admin", "township_staff", "village_cadre", "points_supervisor"}
    towns = {"county_admin", "township_staff"}
    later = timezone.localdate() + dt.timedelta(days=40)
    window = {"township": c.town_a.code, "opens_on": later.isoformat(), "closes_on": later.isoformat()}
    objection = {"household": micro.pk, "text": "该户本季度记分偏高，请核实"}
    return [
        ("get", "/points/notices/", None, set(ALL_ROLES)),
        ("get", f"/points/notices/{notice.pk}/", None, in_a1 | {"resident", "inspector"}),  # a public notice
        ("post", f"/points/notices/{notice.pk}/objections/", objection, objectors),
        ("post", f"/points/objections/{by_page.pk}/resolve/", {"decision": "dismiss", "resolution": "不采纳"},
         resolvers),
        ("get", "/points/calendar/", None, set(ALL_ROLES) - {"department_staff"}),
        ("post", "/points/calendar/windows/", window, towns),
        ("get", f"/points/settlements/{settled.pk}/", None, towns),
        ("get", "/api/v1/points/notices", None, set(ALL_ROLES)),
        ("get", f"/api/v1/points/notices/{notice.pk}", None, in_a1 | {"resident", "inspector"}),
        ("post", f"/api/v1/points/notices/{notice.pk}/objections", objection, objectors),
        ("post", f"/api/v1/points/objections/{by_api.pk}/resolve", {"upheld": False, "resolution": "不采纳"},
         resolvers - {"village_cadre"}),  # the cadre filed it: someone else answers
        ("get", "/api/v1/points/cycles", None, set(ALL_ROLES) - {"department_staff"}),
        ("post", "/api/v1/points/redemption-windows", {**window, "note": "节前兑换"}, towns),
        ("get", "/api/v1/points/settlements", None, set(ALL_ROLES)),
    ]


def register_change_cases(c, in_a1):
    """登记变动 in village a1: the grid worker's proposals wait for the cadre (a phone change to confirm,
    one on a1_micro to refuse, one away that any further proposal on that person meets as 409)."""
    from tests.factories import jpeg_photo
    from xiangzhi.people.services import household_change_propose, register_import_create

    a1, micro, worker = c.households["a1"], c.households["a1_micro"], c.users["grid_worker"]
    head, spouse = a1.residents.get(relation="head"), a1.residents.get(relation="spouse")
    to_confirm = household_change_propose(actor=worker, household=a1, kind="phone",
                                          data={"resident": head.pk, "phone": "13912345678"},
                                          evidence=[jpeg_photo()])
    to_refuse = household_change_propose(actor=worker, household=micro, kind="phone",
                                         data={"resident": micro.residents.get(relation="head").pk, "phone": ""})
    household_change_propose(actor=worker, household=a1, kind="away",
                             data={"resident": spouse.pk, "away_place": "天津", "away_since": "2026-01-01"})
    proposers = {"village_cadre", "grid_chief", "grid_worker"}
    photo = to_confirm.photos.get()
    # A compared household file waiting for the cadre who uploaded it: nobody else sees or decides it.
    reimport = register_import_create(importer=c.users["village_cadre"], plan={}, unchanged=3)
    return [
        ("get", f"/people/import/{reimport.pk}/", None, {"village_cadre"}),
        ("post", f"/people/import/{reimport.pk}/discard/", {}, {"village_cadre"}),
        ("get", f"/people/households/{a1.id}/changes/new/", None, proposers),
        ("get", f"/people/households/{a1.id}/changes/new/?kind=birth", None, proposers),
        ("post", f"/people/households/{a1.id}/changes/new/",  # meets the open away proposal: 409
         {"kind": "death", "resident": spouse.pk, "died_on": "2026-02-01"}, proposers),
        ("get", "/people/changes/", None, {"village_cadre"}),
        ("post", f"/people/changes/{to_confirm.pk}/confirm/", {}, {"village_cadre"}),
        ("post", f"/people/changes/{to_refuse.pk}/refuse/", {"reason": "号码有误"}, {"village_cadre"}),
        ("get", f"/people/change-photos/{photo.pk}/", None, in_a1),
        ("get", f"/people/change-photos/{photo.pk}/thumb/", None, in_a1),
    ]


def party_cases(c):
    """党组织 of village a1: a branch, a group serving grid a1 with four members (one with two posts);
    village a1's cadre and township a's staff keep it, the register's readers over a1 read it."""
    from xiangzhi.party import services as party
    from xiangzhi.party.models import DutyPostKind, Membership

    a1, micro = c.households["a1"], c.households["a1_micro"]
    people = [*a1.residents.order_by("id"), *micro.residents.order_by("id")]
    type(people[0]).objects.filter(pk__in=[r.pk for r in people]).update(tags="party_member")
    people = [type(r).objects.get(pk=r.pk) for r in people]
    leader, spare_page, spare_api, member, member_api = people[0], people[1], people[2], people[3], people[4]
    branch = party.branch_create(village=c.village_a1, name="东村党支部", secretary=leader)
    group = party.group_create(branch=branch, name="第一党小组", leader=leader)
    link = party.group_grid_add(group=group, grid=c.grid_a1)
    kept_page, kept_api = (party.membership_add(group=group, resident=r) for r in (member, member_api))
    led = Membership.objects.get(resident=leader, left_on__isnull=True)
    kinds = {k.code: k for k in DutyPostKind.objects.all()}
    post_page, post_api = (party.duty_post_assign(membership=led, kind=kinds[code], duties="宣讲")
                           for code in ("policy", "contact"))
    readers = {"county_admin", "township_staff", "village_cadre", "points_recorder", "points_supervisor"}
    keepers = {"township_staff", "village_cadre"}
    recorders = keepers | {"county_admin"}  # 党小组活动: the county's staff record them too
    activity = {"title": "主题党日", "kind": "theme_day", "held_on": timezone.localdate().isoformat(), "attendees": 1}
    return [
        ("get", "/party/", None, REGISTER),
        ("get", f"/party/villages/{c.village_a1.code}/", None, readers),
        ("post", f"/party/villages/{c.village_a1.code}/", {"action": "group", "name": "第二党小组"}, keepers),
        ("get", f"/party/groups/{group.pk}/", None, readers),
        ("post", f"/party/groups/{group.pk}/", {"action": "member", "resident": spare_page.pk}, keepers),
        ("post", f"/party/members/{kept_page.pk}/end/", {"reason": "组织关系转出"}, keepers),
        ("post", f"/party/posts/{post_page.pk}/end/", {"reason": "调整岗位"}, keepers),
        ("post", f"/party/grid-links/{link.pk}/end/", {"reason": "网格调整"}, keepers),
        ("get", "/api/v1/party/branches", None, REGISTER),
        ("get", "/api/v1/party/groups", None, REGISTER),
        ("get", "/api/v1/party/members", None, REGISTER),
        ("get", f"/api/v1/party/members?group_id={group.pk}", None, readers),
        ("get", "/api/v1/party/posts", None, REGISTER),
        ("post", "/api/v1/party/members", {"group_id": group.pk, "resident_id": spare_api.pk}, keepers),
        ("post", f"/api/v1/party/members/{kept_api.pk}/end", {"reason": "组织关系转出"}, keepers),
        ("post", "/api/v1/party/posts", {"membership_id": led.pk, "kind": "mediation", "duties": "调解纠纷"}, keepers),
        ("post", f"/api/v1/party/posts/{post_api.pk}/end", {"reason": "调整岗位"}, keepers),
        ("post", f"/party/groups/{group.pk}/", {"action": "activity", **activity}, recorders),
        ("get", "/api/v1/party/activities", None, REGISTER),
        ("get", f"/api/v1/party/activities?group_id={group.pk}", None, readers),
        ("post", "/api/v1/party/activities", {"group_id": group.pk, **activity}, recorders),
    ]


def request(client, method, url, body):
    if method == "get":
        return client.get(url)
    if url.startswith("/api/"):
        return getattr(client, method)(url, body, content_type="application/json")
    return client.post(url, body)


@pytest.mark.django_db
def test_every_url_refuses_the_wrong_role_and_scope(client, county):
    from tests.factories import grant_reveal

    # The permission to reveal is granted to managers, as the demo does.
    county.users["county_admin"] = grant_reveal(county.users["county_admin"])
    county.users["township_staff"] = grant_reveal(county.users["township_staff"])
    county.users["township_staff_b"] = grant_reveal(county.users["township_staff_b"])
    failures, policy, pages = [], [], 0
    sessions = Sessions(client)  # each role logged in once, a fresh cookie jar for every request
    for method, url, body, allowed in cases(county):
        for role in ALL_ROLES:
            sessions.use(county.users[role])
            response = request(client, method, url, body)
            status = response.status_code
            ok = status in (200, 201, 302, 409) if role in allowed else status in (403, 404)
            if not ok or not sessions.check(response, county.users[role]):
                failures.append(f"{role:18} {method.upper()} {url} → {status} (allowed={role in allowed})")
            # Every answer carries the Content-Security-Policy; every page a role may open keeps to it
            # (tests/test_csp.py: scripts from our host or with this response's nonce, no inline handlers).
            if "Content-Security-Policy" not in response.headers:
                policy.append(f"{role}: {method.upper()} {url} → {status} without a policy")
            elif (method == "get" and status == 200 and not url.startswith("/api/")
                  and response["Content-Type"].startswith("text/html")):
                policy += [f"{role}: {p}" for p in policy_problems(url, response)]
                pages += 1
    assert not failures, "\n".join(failures)
    assert not policy, "\n".join(policy)
    assert pages > 150  # the pages themselves, for every role that may open each


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login_or_refused(client, county):
    for method, url, body, _ in cases(county):
        status = request(client, method, url, body).status_code
        expected = 401 if url.startswith("/api/") else 302
        assert status == expected, (method, url, status)


PHONE = "13800138000"  # every head of household in the small county


def person_pages(c):
    """Every page and endpoint that shows a resident (or a reporter's phone), for the small county `c`:
    the register, key people, visits, points, a case with a villager as reporter, the grid page."""
    from xiangzhi.gridwork.services import visit_record

    a1, a2 = c.households["a1"], c.households["a2"]
    head = a1.residents.order_by("id").first()
    key_person = KeyPerson.objects.create(resident=head, category=KeyCategory.objects.get(code="elderly_alone"),
                                          registered_on=timezone.localdate() - dt.timedelta(days=40))
    visit_record(key_person=key_person, visitor=c.users["grid_worker"], outcome="normal", notes="身体尚好",
                 visited_at=timezone.now() - dt.timedelta(hours=1))
    case = case_report(category=Category.objects.get(code="road_light"), title="路灯不亮", channel="worker",
                       lon=118.005, lat=37.705, reporter=c.users["grid_worker"], reporter_name=head.name,
                       reporter_phone=PHONE).case
    install_points_rulebooks(c.town_a)
    return [
        "/people/households/", f"/people/households/?q={head.name}", f"/people/households/{a1.id}/",
        f"/people/households/{a2.id}/", "/people/key-people/", "/people/export.xlsx",
        "/api/v1/households", f"/api/v1/households?q={head.name}", f"/api/v1/households/{a1.id}",
        f"/api/v1/households/{a2.id}", "/api/v1/key-people", f"/grids/{c.grid_a1.code}/",
        f"/people/key-people/{key_person.id}/", f"/api/v1/key-people/{key_person.id}",
        "/work/", "/work/visits/", f"/work/visits/new/{key_person.id}/", "/api/v1/work/visits/due",
        "/api/v1/work/visits", f"/points/households/{a1.id}/", f"/api/v1/points/households/{a1.id}",
        "/points/record/households/?q=张", f"/cases/{case.pk}/", f"/api/v1/cases/{case.pk}", "/api/v1/cases",
        "/centre/audit/", "/centre/audit/export.xlsx",  # the trail names the people revealed, never their numbers
    ]


def body_text(response) -> str:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(" ".join(str(v) for v in row if v is not None)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return response.content.decode()


def date_forms(d: dt.date) -> set[str]:
    return {f"{d:%Y-%m-%d}", f"{d:%Y%m%d}", f"{d:%Y/%m/%d}", f"{d:%Y.%m.%d}", f"{d.year}-{d.month}-{d.day}",
            f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y年%m月%d日}"}


@pytest.mark.django_db
def test_no_page_lets_a_role_finish_an_id_number_or_a_phone(client, county):
    """For every role and every page or endpoint that shows a person: no full ID number, birth date or
    phone of any resident, and every masked ID or phone in the body still leaves at least a thousand
    candidates to someone who also knows the resident's birth year and county. A full number comes only
    from the audited reveal, for a role that holds the permission."""
    import functools
    import re

    from tests.factories import grant_reveal
    from xiangzhi.lib import crypto, idnumber
    from xiangzhi.people.models import Resident

    for role in ("county_admin", "township_staff", "township_staff_b"):
        county.users[role] = grant_reveal(county.users[role])
    urls = person_pages(county)
    people = [(crypto.decrypt(r.id_number_encrypted), r.birth_date, crypto.decrypt(r.phone_encrypted)
               if r.phone_encrypted else "") for r in Resident.objects.all()]
    candidates = functools.cache(idnumber.mask_candidates)
    masked_ids = re.compile(r"(?<![0-9X*])[0-9X*]{18}(?![0-9X*])")
    masked_phones = re.compile(r"(?<![0-9*])1[0-9*]{10}(?![0-9*])")
    failures, seen, checked = [], set(), 0
    for role in ALL_ROLES:
        client.force_login(county.users[role])
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue  # refused: the access matrix above checks who may open what
            body = body_text(response)
            seen.add(url)
            for plain_id, birth, phone in people:
                leaked = [plain_id] * (plain_id in body) + [f for f in date_forms(birth) if f in body]
                leaked += [phone] * bool(phone and phone in body)
                if leaked:
                    failures.append(f"{role} {url}: {leaked}")
            for token in masked_ids.findall(body):
                if "*" not in token:
                    continue
                for plain_id, birth, _ in people:
                    if all(m in ("*", p) for m, p in zip(token, plain_id, strict=True)):
                        left = candidates(token, birth_year=birth.year, address_code=plain_id[:6])
                        checked += 1
                        if left < 1000:
                            failures.append(f"{role} {url}: {token} leaves {left} candidates")
            for token in masked_phones.findall(body):
                if "*" in token and token.count("*") < 4:
                    failures.append(f"{role} {url}: {token} hides fewer than 4 digits")
        # Without the permission, the reveal answers nothing but a refusal.
        resident = county.households["a1"].residents.first()
        reveal = client.post(f"/api/v1/residents/{resident.id}/reveal", {"reason": "核对"},
                             content_type="application/json")
        if role not in ("county_admin", "township_staff", "township_staff_b"):
            assert reveal.status_code in (403, 404) and people[0][0] not in reveal.content.decode(), role
        client.logout()
    assert not failures, "\n".join(failures)
    # Every page was opened by some role, and masked numbers were really found and weighed.
    assert seen == set(urls) and checked > 100
    client.force_login(county.users["grid_worker"])
    page = client.get(f"/people/households/{county.households['a1'].id}/").content.decode()
    a1_residents = county.households["a1"].residents.all()
    assert all(r.id_number_masked in page and str(r.birth_date.year) in page for r in a1_residents)
    assert "138****8000" in page
