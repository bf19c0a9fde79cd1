"""The street-scale demo (文祖街道), built once for the module through the ``demo`` command."""

import datetime as dt
import random
from collections import Counter

import pytest
from django.contrib.auth.hashers import check_password
from shapely.geometry import Point
from shapely.ops import unary_union

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.demo.plan import load_divisions, short_village_name
from xiangzhi.lib import crypto, idnumber
from xiangzhi.lib.geometry import parse_boundary
from xiangzhi.people.models import Household, KeyPerson, MemberHouseholdLink, Organisation, Place, Resident
from xiangzhi.points import selectors as points_selectors
from xiangzhi.regions.models import Department, Grid, GridAssignment, GridDuty, Liaison, Region
from xiangzhi.regions.selectors import grids_without_worker, locate

pytestmark = pytest.mark.django_db
WENZU_VILLAGES = [r for r in load_divisions() if r["parent"] == "370114010"]


@pytest.fixture(scope="module")
def built(street_demo):
    return street_demo


def test_the_23_real_villages_with_short_names(built):
    assert len(WENZU_VILLAGES) == 23
    villages = dict(Region.objects.filter(level="village").values_list("code", "name"))
    assert villages == {r["code"]: short_village_name(r["name"]) for r in WENZU_VILLAGES}
    assert villages["370114010203"] == "文祖北村"
    assert villages["370114010001"] == "文昌社区"
    township = Region.objects.get(code="370114010")
    assert township.name == "文祖街道" and township.parent.code == "370114"
    assert township.path == "/370114/370114010/"
    assert all(name[-2:] not in {"委会", "员会"} for name in villages.values())


def test_grids_and_micro_grids_in_the_expected_numbers(built):
    top = Grid.objects.filter(level=3)
    micro = Grid.objects.filter(level=4)
    assert 28 <= top.count() <= 36
    assert 180 <= micro.count() <= 320
    for grid in top:
        assert grid.code.startswith(grid.region.code) and len(grid.code) == 15
        assert 5 <= grid.children.count() <= 10
    assert all(g.parent.level == 3 and g.path.startswith(g.parent.path) for g in micro.select_related("parent"))


def test_every_polygon_is_valid_and_children_tile_their_parent(built):
    def tiles(parent_boundary, child_boundaries):
        parent = parse_boundary(parent_boundary)
        children = [parse_boundary(b) for b in child_boundaries]
        union = unary_union(children)
        assert union.area == pytest.approx(parent.area, rel=1e-3)
        assert sum(c.area for c in children) - union.area < parent.area * 1e-5
        assert union.symmetric_difference(parent).area < parent.area * 1e-3

    for village in Region.objects.filter(level="village"):
        tiles(village.boundary, [g.boundary for g in village.grids.filter(level=3)])
    for grid in Grid.objects.filter(level=3):
        tiles(grid.boundary, [g.boundary for g in grid.children.all()])
    township = Region.objects.get(code="370114010")
    tiles(township.boundary, [v.boundary for v in township.children.all()])


def test_locate_finds_each_grid_from_its_centre(built):
    for grid in Grid.objects.filter(level=3):
        found = locate(grid.center_lon, grid.center_lat)
        assert found is not None and grid.id in {found.id, found.parent_id}
    for micro in Grid.objects.filter(level=4):
        assert locate(micro.center_lon, micro.center_lat).id == micro.id


def test_households_sit_in_the_deepest_grid_and_are_numbered_from_it(built):
    assert 23 * 250 <= Household.objects.count() <= 23 * 350
    # A household moved to another grid after a boundary was redrawn keeps its number (register_history).
    for household in Household.objects.exclude(changes__kind="grid").select_related("grid")[:500]:
        assert household.grid.level == 4
        assert household.number.startswith(household.grid.code)
        assert len(household.number) == len(household.grid.code) + 4
    assert Household.objects.filter(address__startswith="文祖北村", address__contains="组").exists()
    per_household = Resident.objects.count() / Household.objects.count()
    assert 2.6 <= per_household <= 3.1


def test_id_numbers_and_phones_decrypt_to_valid_values(built):
    rng = random.Random(1)
    ids = list(Resident.objects.values_list("id", flat=True))
    for resident in Resident.objects.filter(id__in=rng.sample(ids, 200)):
        plain = crypto.decrypt(resident.id_number_encrypted)
        parsed = idnumber.parse(plain)
        assert parsed.sex == resident.sex
        assert parsed.birth_date == resident.birth_date
        assert plain[:6] in {"370114", "370181"}
        assert crypto.lookup_hash(plain) == resident.id_number_hash
        assert resident.id_number_masked == idnumber.mask(plain)
        if resident.phone_encrypted:
            phone = crypto.decrypt(resident.phone_encrypted)
            assert len(phone) == 11 and phone.isdigit() and phone[:2] in {"13", "15", "16", "17", "18", "19"}
    assert Resident.objects.values("id_number_hash").distinct().count() == len(ids)


def test_age_pyramid_and_tags_are_rural(built):
    residents = list(Resident.objects.values_list("birth_date", "sex", "tags", "is_away"))
    ref = dt.date(2026, 1, 1)
    ages = [(ref - b).days // 365 for b, *_ in residents]
    adults = sum(a >= 18 for a in ages)
    assert 0.33 <= sum(50 <= a <= 75 for a in ages) / len(ages) <= 0.5
    party = sum("party_member" in t for _, _, t, _ in residents)
    assert 0.045 <= party / adults <= 0.075
    assert 0.015 <= sum("disabled" in t for _, _, t, _ in residents) / len(residents) <= 0.035
    working = [away for age, (_, _, _, away) in zip(ages, residents, strict=True) if 18 <= age <= 50]
    assert 0.2 <= sum(working) / len(working) <= 0.3
    for tag in ("left_behind", "empty_nest", "low_income", "veteran", "extreme_poverty"):
        assert any(tag in t for _, _, t, _ in residents), tag


def test_key_people_by_category(built):
    codes = set(KeyPerson.objects.values_list("category__code", flat=True))
    assert {"elderly_alone", "disabled", "hardship_family", "mental_illness"} <= codes
    for kp in KeyPerson.objects.filter(category__code="hardship_family").select_related("resident")[:50]:
        assert kp.resident.relation == "head"
        assert {"low_income", "extreme_poverty"} & set(kp.resident.tag_list)
    assert KeyPerson.objects.count() < Resident.objects.count() * 0.15


def test_party_members_linked_to_households_in_their_village(built):
    links = MemberHouseholdLink.objects.select_related("member__household__grid", "household__grid")[:500]
    assert links
    for link in links:
        assert "party_member" in link.member.tag_list
        assert link.member.household.grid.region_id == link.household.grid.region_id


def test_places_and_organisations_on_their_grids(built):
    assert Place.objects.filter(kind="service_centre").count() == 23
    assert Place.objects.filter(kind="clinic").count() == 23
    for place in Place.objects.select_related("grid")[:300]:
        assert parse_boundary(place.grid.boundary).contains(Point(place.lon, place.lat))
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert {"cooperative", "family_farm", "social"} <= kinds
    assert Department.objects.filter(region__code="370114010").count() == 8


def test_every_role_has_an_account_listed_in_the_json(built):
    listed = {a["username"]: a for a in built.accounts}
    assert len(listed) == len(built.accounts) == User.objects.count()
    roles = {a["role"] for a in built.accounts}
    assert roles == set(Role.values)
    for role in Role:
        account = next(a for a in built.accounts if a["role"] == role.value)
        user = User.objects.get(username=account["username"])
        assert user.role == role.value and user.full_name == account["full_name"]
        assert check_password(account["password"], user.password)
        assert len(account["password"]) >= 8 and not account["password"].isdigit()
    assert not User.objects.filter(is_superuser=True).exists()
    assert set(User.objects.filter(is_staff=True).values_list("role", flat=True)) == {Role.COUNTY_ADMIN}
    assert "演示数据已生成" in built.stdout and "网格指导员" in built.stdout


def test_the_status_page_opens_on_the_demo_with_its_first_size(built, client):
    from xiangzhi.system.models import SizeSample

    assert "运行状态（县级管理员 → 基础信息 → 运行状态）：/system/status/" in built.stdout
    assert SizeSample.objects.get().database_bytes > 1024 * 1024
    client.force_login(User.objects.get(username=next(a["username"] for a in built.accounts
                                                      if a["role"] == Role.COUNTY_ADMIN)))
    page = client.get("/system/status/")
    assert page.status_code == 200 and "每日记录满一天后显示增长" in page.content.decode()


def test_scopes_of_the_demo_accounts(built):
    worker = User.objects.get(username="grid_370114010203001")
    grid = Grid.objects.get(code="370114010203001")
    scope = scope_of(worker)
    assert scope.paths == (grid.path,)
    assert all(scope.covers_path(child.path) for child in grid.children.all())
    assert not scope.covers_path(Region.objects.get(code="370114010203").path)
    assert not scope.covers_path(Grid.objects.exclude(path__startswith=grid.path).first().path)

    resident = User.objects.filter(role=Role.RESIDENT).first()
    assert scope_of(resident).household_id == resident.household_id
    assert resident.household.head_name == resident.full_name
    dept = User.objects.filter(role=Role.DEPARTMENT_STAFF).first()
    assert scope_of(dept).department_id == dept.department_id

    township = User.objects.get(username="town_370114010_1")
    assert township.has_perm("people.reveal_identity")
    assert User.objects.get(username="admin_370114").has_perm("people.reveal_identity")
    assert not worker.has_perm("people.reveal_identity")


def test_staffing_leaves_a_few_grids_for_the_alert_list(built):
    admin = User.objects.get(username="admin_370114")
    vacant = grids_without_worker(admin).filter(level=3)
    assert 1 <= vacant.count() <= 3
    staffed = GridAssignment.objects.filter(grid__level=3, duty=GridDuty.FULL_TIME).count()
    assert staffed == Grid.objects.filter(level=3).count() - vacant.count()
    for grid in Grid.objects.filter(level=3):
        assert grid.assignments.filter(duty=GridDuty.GUIDE).count() == 1
    assert GridAssignment.objects.filter(duty=GridDuty.PART_TIME, grid__level=4).exists()
    guides = User.objects.filter(role=Role.GRID_GUIDE)
    assert all(1 <= g.grid_assignments.count() <= 2 for g in guides)


def test_liaisons_link_leaders_to_townships_and_cadres_to_villages(built):
    assert Liaison.objects.filter(tier="county_leader", region__code="370114010").exists()
    villages = Region.objects.filter(level="village")
    linked = set(Liaison.objects.filter(tier="township_cadre").values_list("region_id", flat=True))
    assert linked == set(villages.values_list("id", flat=True))


def test_same_seed_same_people(built):
    first, second = built.same_seed
    assert len(first) == 20
    assert first == second
    assert built.other_seed != first


def test_grid_work_history_visits_patrol_tracks_and_logs(built):
    from django.db.models import Count
    from django.utils import timezone

    from xiangzhi.gridwork.models import DailyLog, Patrol, TrackPoint, Visit
    from xiangzhi.gridwork.selectors import visits_due_for_user, worker_summaries
    from xiangzhi.lib.geo_distance import path_length_m

    visited = Visit.objects.values("key_person_id").distinct().count()
    assert visited >= KeyPerson.objects.count() * 0.9
    admin = User.objects.get(username="admin_370114")
    due = visits_due_for_user(admin)
    overdue = sum(d.is_overdue for d in due)
    assert 0.02 * KeyPerson.objects.count() <= overdue <= 0.2 * KeyPerson.objects.count()
    # Every visit is by a worker whose scope holds the person, never in the future.
    now = timezone.now()
    for v in Visit.objects.select_related("visitor", "key_person__resident__household__grid")[:300]:
        assert scope_of(v.visitor).covers_path(v.key_person.resident.household.grid.path)
        assert v.visited_at <= now
    assert set(Visit.objects.values_list("outcome", flat=True)) == {"normal", "issue_found", "not_met"}

    assert Patrol.objects.filter(ended_at__isnull=True).count() == 0
    assert Patrol.objects.values("worker_id").distinct().count() >= 200
    # The months before the tracked weeks come from the paper ledger (the grid assessment's history).
    from xiangzhi.demo.grid_assessment import PATROL_NOTE

    ledger = Patrol.objects.filter(note=PATROL_NOTE)
    assert ledger.exists() and not ledger.filter(point_count__gt=0).exists()
    assert ledger.order_by("-started_at").first().started_at < Patrol.objects.exclude(note=PATROL_NOTE).order_by(
        "started_at").first().started_at
    for patrol in Patrol.objects.exclude(note=PATROL_NOTE).select_related("grid").annotate(n=Count("points"))[:40]:
        area = parse_boundary(patrol.grid.boundary)
        fixes = list(patrol.points.values_list("lon", "lat"))
        assert patrol.n == patrol.point_count == len(fixes) >= 40
        assert all(area.buffer(1e-5).contains(Point(lon, lat)) for lon, lat in fixes)
        assert abs(patrol.distance_m - path_length_m(fixes)) <= 1
    assert TrackPoint.objects.count() == sum(Patrol.objects.values_list("point_count", flat=True))
    assert DailyLog.objects.count() >= 100

    today = timezone.localdate()
    rows = worker_summaries(User.objects.get(username="town_370114010_1"), today - dt.timedelta(days=30), today)
    visits = sum(r.visits for r in rows)
    assert visits > 1000 and 0.6 <= sum(r.visits_on_time for r in rows) / visits <= 0.97


def test_a_month_of_points_recorded_and_reviewed_by_the_rules(built):
    from django.db.models import Count
    from django.utils import timezone

    from xiangzhi.demo.points import RATE_DAYS, adoption_day
    from xiangzhi.points.models import PointsBalance, PointsEntry, PointsRulebook

    assert PointsRulebook.objects.filter(region__code="370114010").count() == 1
    entries = PointsEntry.objects.filter(kind="record")
    households = Household.objects.count()
    weeks = ((timezone.localdate() - adoption_day(timezone.localdate())).days + 1) / RATE_DAYS
    assert 1.5 * weeks * households <= entries.count() <= 2.6 * weeks * households
    statuses = Counter(e.status for e in entries.select_related("review"))
    assert statuses["approved"] > 0.75 * entries.count()
    assert 0 < statuses["rejected"] < 0.08 * entries.count() and statuses["pending"] > 0
    assert entries.filter(points__lt=0, review__decision="approved").exists()
    # Recorded by someone whose role and scope allow it, reviewed by someone else, never in the future.
    now = timezone.now()
    for e in entries.select_related("recorder", "review__reviewer", "household__grid", "rule")[:400]:
        assert e.recorder.role in e.rule.role_list and scope_of(e.recorder).covers_path(e.household.grid.path)
        assert e.recorded_at <= now and e.occurred_on <= timezone.localdate(now)
        if e.status != "pending":
            assert e.review.reviewer.role == "points_supervisor" and e.review.reviewer_id != e.recorder_id
            assert e.review.reviewed_at >= e.recorded_at
    for village in Region.objects.filter(level="village"):
        assert points_selectors.ledger_verify(village) is None, village
    assert points_selectors.balance_mismatch_list() == []
    assert not PointsBalance.objects.filter(approved_total__lt=0).exists()
    # Each demo villager's household has a book worth opening.
    resident = User.objects.filter(role="resident").first()
    assert entries.filter(household_id=resident.household_id).count() >= 3
    per_village = entries.values("village_id").annotate(n=Count("id"))
    assert len(per_village) == 23


def test_the_cycle_ran_last_quarters_notice_took_objections_and_the_supermarket_is_open(built):
    from django.utils import timezone

    from xiangzhi.points.models import ObjectionState, PointsCycle, PointsNotice
    from xiangzhi.points.selectors import redemption_window_for

    villages = Region.objects.filter(level="village")
    quarter = PointsNotice.objects.order_by("-period_start").first().period_start
    assert PointsNotice.objects.filter(period_start=quarter).count() == villages.count()
    notice = PointsNotice.objects.filter(objections__isnull=False).distinct().get()
    assert sorted(notice.objections.values_list("state", flat=True)) == [ObjectionState.DISMISSED,
                                                                        ObjectionState.UPHELD]
    upheld = notice.objections.get(state=ObjectionState.UPHELD)
    assert upheld.correction.points == 3 and upheld.correction.kind == "correction"
    assert points_selectors.notice_verify(notice).ok
    assert sum(len(r["by_category"]) > 0 for r in notice.rows) > 0.5 * len(notice.rows)
    today = timezone.localdate()
    for village in villages:
        assert redemption_window_for(village, today) is not None
    # Past reviews and last quarter's notice cycle ran and closed; the year's settlement waits.
    assert not PointsCycle.objects.filter(closes_on__lt=today).exclude(state="closed").exists()
    assert not PointsCycle.objects.filter(opens_on__gt=today).exclude(state="scheduled").exists()


def test_benefits_in_the_first_villages_two_closed_with_a_code_that_holds(built):
    from xiangzhi.points.models import PointsBenefit

    benefits = list(PointsBenefit.objects.select_related("village").order_by("village__code", "pk"))
    assert len(benefits) == 4 and len({b.village_id for b in benefits}) == 3
    closed = [b for b in benefits if b.state == "closed"]
    assert len(closed) == 2 and {b.kind for b in closed} == {"training", "loan"}
    for b in closed:
        rows = list(b.rows.order_by("position"))
        assert len(rows) > b.places and sum(r.priority for r in rows) == b.places
        assert points_selectors.benefit_verify(b).ok and len(b.content_hash) == 64
    assert all(b.content_hash == "" and points_selectors.benefit_eligible_households(b)
               for b in benefits if b.state == "open")
    assert "积分优先：3 个村发布 4 项，已截止 2 项" in built.stdout


def test_volunteer_activities_were_run_and_awarded_through_the_ledger(built):
    from xiangzhi.activities.models import Activity
    from xiangzhi.points.models import PointsEntry

    assert Activity.objects.filter(state="awarded").count() >= Region.objects.filter(level="village").count()
    assert Activity.objects.filter(state="open").exists()
    awards = PointsEntry.objects.filter(kind="award", source__startswith="activity:")
    assert awards.count() > 100
    assert points_selectors.balance_mismatch_list() == []


def test_the_supermarkets_are_stocked_and_a_villager_took_home_washing_powder(built):
    from xiangzhi.shop.models import ShopItem, ShopOrder
    from xiangzhi.shop.selectors import stock_mismatch_list

    assert ShopItem.objects.values("village").distinct().count() == Region.objects.filter(level="village").count()
    assert ShopItem.objects.filter(village__name="文祖北村").count() == 17
    order = ShopOrder.objects.get()
    assert order.item.name == "洗衣粉" and order.status == "handed_over" and order.redemption.points == -20
    assert stock_mismatch_list() == [] and points_selectors.balance_mismatch_list() == []
    assert points_selectors.ledger_verify(order.village) is None


def test_every_village_has_a_branch_with_groups_serving_its_grids_and_its_members(built):
    from xiangzhi.party.models import Branch, DutyPost, GroupGrid, Membership, PartyGroup

    villages = Region.objects.filter(level="village")
    assert Branch.objects.count() == villages.count()
    per_branch = Counter(PartyGroup.objects.values_list("branch_id", flat=True))
    assert set(per_branch) == set(Branch.objects.values_list("id", flat=True))
    assert all(2 <= n <= 4 for n in per_branch.values())
    for link in GroupGrid.objects.select_related("grid", "group__branch")[:300]:
        assert link.grid.region_id == link.group.branch.village_id
    served = GroupGrid.objects.filter(ended_on__isnull=True).values_list("grid_id", flat=True)
    assert len(served) == len(set(served)) == Grid.objects.filter(region__level="village", parent=None).count()
    members = Membership.objects.select_related("resident__household__grid", "group__branch")
    assert members.count() == Resident.objects.filter(tags__contains="party_member", is_deceased=False,
                                                      left_on__isnull=True).count()
    for m in members[:500]:
        assert "party_member" in m.resident.tag_list
        assert m.resident.household.grid.region_id == m.group.branch.village_id
    away = members.filter(resident__is_away=True)
    assert away.exists() and not away.filter(resident__away_place="").exists()
    assert DutyPost.objects.exists() and not DutyPost.objects.filter(membership__resident__is_away=True).exists()
    assert PartyGroup.objects.filter(leader__isnull=False).count() > per_branch.total() * 0.9


def test_party_groups_held_two_years_of_activities_most_of_them_two_to_four_a_quarter(built):
    from django.db.models import Count, Max, Min

    from xiangzhi.party.models import GroupActivity, Membership, PartyGroup
    from xiangzhi.party.selectors import group_activity_counts

    today = dt.date.today()
    span = GroupActivity.objects.aggregate(first=Min("held_on"), last=Max("held_on"))
    assert today - dt.timedelta(days=730) <= span["first"] <= today - dt.timedelta(days=600)
    assert today - dt.timedelta(days=40) <= span["last"] <= today
    end = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - dt.timedelta(days=1)  # the last full quarter
    groups = list(PartyGroup.objects.values_list("id", flat=True))
    counts = group_activity_counts(groups, dt.date(end.year, (end.month - 1) // 3 * 3 + 1, 1), end)
    usual = sum(2 <= n <= 4 for n in counts.values())
    assert usual >= 0.75 * len(groups) and any(n <= 1 for n in counts.values())
    members = dict(Membership.objects.filter(left_on__isnull=True).values("group_id").annotate(n=Count("id"))
                   .values_list("group_id", "n"))
    for group_id, attendees in GroupActivity.objects.values_list("group_id", "attendees")[:3000]:
        assert 1 <= attendees <= members[group_id]
    recorded = GroupActivity.objects.select_related("recorded_by", "group__branch")[:300]
    assert all(a.recorded_by.role == "village_cadre" and a.recorded_by.region_id == a.group.branch.village_id
               for a in recorded)


def test_the_completed_project_is_paid_by_the_earlier_half_years_award(built):
    from xiangzhi.assessment.models import Period, Score
    from xiangzhi.projects.models import Project, VillageAward

    earlier, last = Period.objects.filter(version__scheme__kind="village_scorecard").order_by("start")
    done = Project.objects.get(state="accepted")
    award = VillageAward.objects.get(project=done)
    score = Score.objects.get(run_id=earlier.current_run_id, village=done.village)
    assert award.amount == score.funded_yuan == done.awarded_amount > 0
    assert award.source == done.funding_source == f"{earlier.name}积分换项目奖补"
    assert earlier.closed_at == award.awarded_at <= award.taken_at < last.closed_at
    assert done.budget == done.awarded_amount + sum(done.fundings.values_list("amount", flat=True)) + 150_000
    for period in (earlier, last):  # every funded village has its award, taken or waiting
        funded = dict(Score.objects.filter(run_id=period.current_run_id, funded_yuan__gt=0)
                      .values_list("village_id", "funded_yuan"))
        granted = dict(VillageAward.objects.filter(key__startswith=f"assessment:period:{period.pk}:")
                       .values_list("village_id", "amount"))
        assert granted == funded
    assert VillageAward.objects.filter(project__isnull=True).exists()  # some wait for a project


def test_the_half_year_ranking_is_closed_with_funded_warned_and_traceable_villages(built):
    from xiangzhi.assessment.models import LostPoint, Period, Score
    from xiangzhi.assessment.services import period_verify

    periods = list(Period.objects.filter(version__scheme__kind="village_scorecard").order_by("start"))
    assert len(periods) == 2 and all(p.state == "closed" for p in periods)
    last = periods[-1]
    scores = Score.objects.filter(run_id=last.current_run_id)
    assert scores.count() == 23 and scores.filter(funded_yuan__gt=0).count() == 5
    assert scores.filter(warned=True).count() == 2 and sum(s.funded_yuan for s in scores) <= last.pool_yuan
    assert scores.filter(flagged=True).exists()  # last in both halves (a serious accident in the second)
    lost = LostPoint.objects.filter(score__run_id=last.current_run_id)
    assert {"cases", "inspection", "manual"} <= set(lost.values_list("source", flat=True))
    assert period_verify(last) == []


def test_this_years_grid_quarters_spread_the_stars_and_the_last_one_takes_appeals(built):
    from collections import Counter

    from django.db.models import Sum
    from django.utils import timezone

    from xiangzhi.assessment.models import Appeal, LostPoint, ManualScore, Period, Score
    from xiangzhi.assessment.services import appeal_deadline, period_verify
    from xiangzhi.demo.grid_assessment import quarters_to_assess

    quarters = list(Period.objects.filter(version__scheme__kind="grid").order_by("start"))
    expected = quarters_to_assess(timezone.localdate())
    assert [(p.start, p.end) for p in quarters] == expected and len(quarters) >= 1
    *earlier, last = quarters
    assert all(p.state == "closed" and p.published_at < p.closed_at for p in earlier)
    assert last.state == "published" and timezone.now() < appeal_deadline(last)
    grids = Grid.objects.filter(level=3, is_active=True).count()
    for period in quarters:
        scores = Score.objects.filter(run_id=period.current_run_id)
        assert scores.count() == grids and sorted(scores.values_list("rank", flat=True)) == list(range(1, grids + 1))
        stars = Counter(scores.values_list("stars", flat=True))
        assert stars[5] >= 2 and stars[1] + stars[2] >= 1, (period.name, stars)
        assert ManualScore.objects.filter(period=period).exists()
    for period in earlier:
        assert period_verify(period) == []
    # Points lost from most sources, each with its reason and how not to lose it.
    lost = LostPoint.objects.filter(score__run_id=last.current_run_id, points__gt=0)
    sources = set(lost.values_list("source", flat=True))
    assert {"case_late", "visit_late", "key_overdue", "patrol", "group_activities", "manual"} <= sources
    assert not lost.exclude(source="manual").filter(hint="").exists()
    assert lost.filter(source="key_overdue", reason__contains="**").exists()
    # One appeal upheld (its points returned beside the original), one waiting for the township.
    upheld, pending = Appeal.objects.get(period=last, state="upheld"), Appeal.objects.get(period=last, state="pending")
    assert upheld.correction.points == upheld.lost_points > 0 and upheld.lost_point.source == "case_late"
    assert pending.lost_point.source == "patrol"
    score = Score.objects.get(run_id=last.current_run_id, grid=upheld.grid)
    assert score.total + upheld.correction.points <= 100
    assert (LostPoint.objects.filter(score=score).aggregate(s=Sum("points"))["s"] or 0) == score.lost


def test_every_village_has_a_plan_and_one_project_was_followed_to_completion(built):
    from xiangzhi.projects.models import Project, ProjectPlan

    with_cadre = set(User.objects.filter(role=Role.VILLAGE_CADRE).values_list("region_id", flat=True))
    assert set(ProjectPlan.objects.values_list("village_id", flat=True)) == with_cadre
    done = Project.objects.get(state="accepted")
    assert (done.title, done.budget) == ("硬化村北生产路", 380_000)
    assert not done.milestones.filter(done_on__isnull=True).exists()
    assert Project.objects.filter(state="in_progress").exists()
