"""The register's recent history in the street demo (``demo/register_history.py``): what was written,
and the pages that show it answering on it for the roles who see them."""

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone

from xiangzhi.accounts.models import Role, User
from xiangzhi.accounts.scope import scope_of
from xiangzhi.people.models import (
    Household,
    HouseholdChange,
    KeyPersonChange,
    MemberHouseholdLink,
    PlaceChange,
    Resident,
    SiteAction,
)
from xiangzhi.regions.models import GridBoundaryRevision, Liaison, Region

pytestmark = pytest.mark.django_db
K, S = HouseholdChange.Kind, HouseholdChange.State


@pytest.fixture(scope="module")
def built(street_demo):
    return street_demo


def _as(user: User) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def _cadre_of(household: Household) -> User:
    return User.objects.get(role=Role.VILLAGE_CADRE, region=household.grid.region)


def test_every_village_has_months_of_changes_and_some_wait_for_the_cadre(built):
    counts = Counter(HouseholdChange.objects.values_list("kind", "state"))
    villages = Region.objects.filter(level="village").count()
    for kind in (K.BIRTH, K.DEATH, K.AWAY, K.RETURN, K.PHONE):
        assert counts[(kind, S.CONFIRMED)] >= villages - 3, kind
    assert sum(n for (_, state), n in counts.items() if state == S.PENDING) >= villages
    assert HouseholdChange.objects.filter(state=S.PENDING).values("household__grid__region").distinct().count() \
        >= villages - 2
    for kind in (K.MARRY_OUT, K.MARRY_IN, K.MOVE_OUT, K.SPLIT, K.MERGE, K.HEAD, K.GRID):
        assert counts[(kind, S.CONFIRMED)] >= 1, kind
    refused = HouseholdChange.objects.filter(state=S.REFUSED)
    assert refused.exists() and all(c.refusal_reason for c in refused)
    # Spread over the last months, each decided after it was proposed, none in the future.
    now = timezone.now()
    confirmed = HouseholdChange.objects.filter(state=S.CONFIRMED)
    assert confirmed.order_by("proposed_at").first().proposed_at < now - dt.timedelta(days=60)
    assert all(c.proposed_at <= c.decided_at <= now for c in confirmed)
    assert confirmed.values("proposed_at__date").distinct().count() > 30
    # Decided by the village's cadre, proposed by someone whose scope holds the household (the joining
    # side of a move between villages is the other village's row, proposed and decided there).
    rows = HouseholdChange.objects.exclude(kind__in=[K.MARRY_IN, K.MOVE_IN])
    for c in rows.select_related("household__grid", "proposer", "decider")[:300]:
        assert scope_of(c.proposer).covers_path(c.household.grid.path)
        if c.decider is not None:
            assert c.decider.role == Role.VILLAGE_CADRE and c.decider.region_id == c.household.grid.region_id


def test_what_the_changes_did_to_the_register(built):
    assert Resident.objects.filter(is_deceased=True, died_on__isnull=False).count() >= 20
    assert Resident.objects.filter(left_on__isnull=False).exclude(left_to="").exists()
    merged = Household.objects.filter(merged_into__isnull=False).select_related("merged_into").first()
    assert merged is not None and merged.closed_on is not None and merged.closed_on < timezone.localdate()
    assert not merged.residents.filter(is_deceased=False, left_on__isnull=True).exists()
    # The bride went to another village, and both villages keep their own row.
    married = HouseholdChange.objects.filter(kind=K.MARRY_IN).select_related("resident__household__grid").first()
    out = HouseholdChange.objects.get(kind=K.MARRY_OUT, resident=married.resident)
    assert married.household.grid.region_id != out.household.grid.region_id
    assert married.resident.household_id == married.household_id
    # Every household still open has exactly one head on the register.
    heads = (Household.objects.filter(closed_on__isnull=True, changes__isnull=False).distinct()
             .annotate(n=Count("residents", filter=_counted_head(), distinct=True)).values_list("number", "n"))
    assert [(number, n) for number, n in heads if n != 1] == []


def _counted_head() -> Q:
    return Q(residents__relation="head", residents__is_deceased=False, residents__left_on__isnull=True)


def test_key_people_places_liaisons_links_and_boundaries_have_history(built):
    assert KeyPersonChange.objects.filter(kind=KeyPersonChange.Kind.CATEGORY).exclude(reason="").exists()
    ended = KeyPersonChange.objects.filter(kind=KeyPersonChange.Kind.END, reason__contains="解除社区矫正")
    assert ended.exists()
    assert all(c.key_person.ended_on <= timezone.localdate() for c in ended)
    assert PlaceChange.objects.filter(action=SiteAction.MOVE).exclude(reason="").exists()
    gone = Liaison.objects.filter(ended_on__isnull=False).exclude(end_reason="")
    assert gone.exists() and all(g.ended_by_id for g in gone)
    # The village still has a township cadre in post.
    for g in gone:
        assert Liaison.objects.filter(region=g.region, tier=g.tier, ended_on__isnull=True).exists()
    assert MemberHouseholdLink.objects.filter(ended_on__isnull=False, ended_by__isnull=False).exists()
    assert GridBoundaryRevision.objects.filter(actor__isnull=False).count() >= 2


def test_the_same_seed_writes_the_same_history(built):
    first, second = built.same_history
    assert len(first) >= 6 and {kind for _, kind, *_ in first} >= {K.BIRTH, K.DEATH, K.AWAY}
    assert first == second


def test_the_demo_command_points_at_a_household_with_history(built):
    assert "户籍变动" in built.stdout and "/people/changes/" in built.stdout
    cadre = next(line for line in built.stdout.splitlines() if "条变动待确认" in line).split()[1]
    assert HouseholdChange.objects.filter(
        state=S.PENDING, household__grid__region__in=User.objects.filter(username=cadre).values("region")).exists()


def test_the_pages_that_show_the_history_answer_on_the_demo(built):
    household = (Household.objects.filter(closed_on__isnull=True, changes__state=S.CONFIRMED)
                 .annotate(n=Count("changes")).order_by("-n", "number").select_related("grid__region").first())
    cadre = _cadre_of(household)
    worker = next(u for u in User.objects.filter(role=Role.GRID_WORKER).order_by("id")
                  if scope_of(u).covers_path(household.grid.path))
    for user in (cadre, worker):
        page = _as(user).get(f"/people/households/{household.pk}/")
        assert page.status_code == 200
        assert "已确认" in page.content.decode() or "变动" in page.content.decode()

    waiting = HouseholdChange.objects.filter(state=S.PENDING).select_related("household__grid__region").first()
    waiter = _as(_cadre_of(waiting.household))
    page = waiter.get("/people/changes/")
    mine = HouseholdChange.objects.filter(state=S.PENDING, household__grid__region=waiting.household.grid.region)
    assert page.status_code == 200 and f"/people/households/{waiting.household_id}/" in page.content.decode()
    assert page.content.decode().count('data-testid="pending-change"') == mine.count()
    assert 'data-testid="task-changes"' in waiter.get("/").content.decode()

    closed = Household.objects.filter(closed_on__isnull=False).select_related("grid__region").first()
    assert _as(_cadre_of(closed)).get(f"/people/households/{closed.pk}/").status_code == 200

    entry = KeyPersonChange.objects.filter(kind=KeyPersonChange.Kind.END, reason__contains="社区矫正") \
        .select_related("key_person__resident__household__grid__region").first().key_person
    assert _as(_cadre_of(entry.resident.household)).get(f"/people/key-people/{entry.pk}/").status_code == 200

    place = PlaceChange.objects.filter(action=SiteAction.MOVE).select_related("place__grid__region").first().place
    page = _as(User.objects.get(role=Role.VILLAGE_CADRE, region=place.grid.region)).get(f"/people/places/{place.pk}/")
    assert page.status_code == 200

    liaison = Liaison.objects.filter(ended_on__isnull=False).select_related("region").first()
    town = User.objects.filter(role=Role.TOWNSHIP_STAFF).order_by("id").first()
    page = _as(town).get(f"/regions/{liaison.region.code}/liaisons/")
    assert page.status_code == 200 and liaison.user.full_name in page.content.decode()

    link = MemberHouseholdLink.objects.filter(ended_on__isnull=False, ended_by__isnull=False) \
        .select_related("household__grid__region").first()
    village = link.household.grid.region
    page = _as(User.objects.get(role=Role.VILLAGE_CADRE, region=village)).get(
        f"/people/villages/{village.code}/member-links/")
    assert page.status_code == 200

    revision = GridBoundaryRevision.objects.select_related("grid__region").first()
    page = _as(User.objects.get(role=Role.VILLAGE_CADRE, region=revision.grid.region)).get(
        f"/grids/{revision.grid.code}/boundary/")
    assert page.status_code == 200 and revision.reason in page.content.decode()

    # Another village's cadre finds none of it.
    other = User.objects.filter(role=Role.VILLAGE_CADRE).exclude(region=household.grid.region).order_by("id").first()
    assert _as(other).get(f"/people/households/{household.pk}/").status_code == 404
