"""The county scale (沾化区) on two villages per township: management areas, county departments."""

import pytest
from django.test import override_settings
from shapely.ops import unary_union

from xiangzhi.accounts.models import Role, User
from xiangzhi.demo.builder import build_demo, reset_database
from xiangzhi.lib.geometry import parse_boundary
from xiangzhi.people.models import Household
from xiangzhi.points import selectors as points_selectors
from xiangzhi.regions.models import Department, Grid, Region
from xiangzhi.regions.selectors import grid_index_invalidate, locate

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker, tmp_path_factory):
    settings = {"VAR_DIR": tmp_path_factory.mktemp("var"),
                "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"]}
    with django_db_blocker.unblock(), override_settings(**settings):
        built = build_demo("county", 2026, villages=2)
        grid_index_invalidate()
        yield built
        reset_database()


def test_all_twelve_townships_and_their_areas(report):
    townships = Region.objects.filter(level="township", parent__code="371603")
    assert townships.count() == 12
    for township in townships:
        areas = township.children.filter(level="area")
        assert areas.exists()
        for area in areas:
            assert area.code.startswith(township.code + "A") and len(area.code) == 12
            villages = list(area.children.all())
            assert villages and all(v.level == "village" for v in villages)
            assert all(v.path.startswith(area.path) for v in villages)
            union = unary_union([parse_boundary(v.boundary) for v in villages])
            assert union.area == pytest.approx(parse_boundary(area.boundary).area, rel=1e-3)


def test_grids_without_micro_grids_and_locate(report):
    assert not Grid.objects.filter(level=4).exists()
    for grid in Grid.objects.all():
        assert locate(grid.center_lon, grid.center_lat).id == grid.id
        assert grid.path.startswith(grid.region.path)
    household = Household.objects.select_related("grid").first()
    assert household.number.startswith(household.grid.code)


def test_departments_at_both_levels(report):
    assert Department.objects.filter(region__level="county").count() >= 3
    assert Department.objects.filter(region__level="township").count() == 12 * 8
    assert User.objects.filter(role=Role.DEPARTMENT_STAFF).count() == Department.objects.count()


def test_report_counts_match_the_database(report):
    assert report.count(Household) == Household.objects.count()
    assert report.count(User) == User.objects.count() == len(report.accounts)
    assert report.total_rows > 0 and report.rows_per_second > 0
    villages = Region.objects.filter(level="village").count()
    assert villages == 23  # 海防办事处乡 has a single village
    assert User.objects.filter(role=Role.RESIDENT, household__isnull=False).count() == villages


def test_points_rulebooks_for_every_township_and_chains_that_hold(report):
    from xiangzhi.points.models import PointsEntry, PointsRulebook

    assert PointsRulebook.objects.filter(region__level="township").count() == 12
    assert PointsEntry.objects.exists()
    for village in Region.objects.filter(level="village"):
        assert points_selectors.ledger_verify(village) is None
    assert points_selectors.balance_mismatch_list() == []
