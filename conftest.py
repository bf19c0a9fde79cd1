import pytest


@pytest.fixture(scope="session")
def django_db_keepdb(request):
    """PostgreSQL: the test database is a copy of a migrated template when one exists for this code
    (``tests/db_template.py``; the migrations then only confirm there is nothing to do), and is dropped
    at the end like any other. ``--reuse-db`` keeps its usual meaning."""
    reuse = bool(request.config.getvalue("reuse_db"))
    from django.db import connection

    if reuse or connection.vendor != "postgresql":
        return reuse
    from tests import db_template

    if not db_template.test_database_from_template():
        return False
    request.addfinalizer(db_template.test_database_drop)
    return True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, django_db_keepdb, request):
    """pytest-django's test database, then (PostgreSQL) a snapshot of what the migrations put in it,
    which empties it again after each test that commits: ``tests/fast_flush.py``; a test database that
    was migrated here becomes the next run's template first."""
    from django.db import connection

    from tests import db_template, fast_flush

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql" and not django_db_keepdb:
            db_template.template_keep()
        fast_flush.install()
    yield
    fast_flush.uninstall()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached proofs (a village's chain walk) must not carry from one test's rows to the next's."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    from xiangzhi.regions.selectors import grid_index_invalidate

    grid_index_invalidate()
    yield
    grid_index_invalidate()


@pytest.fixture(autouse=True)
def _seed_data(request):
    """Tests on a live server or with real transactions flush every table afterwards, migration-seeded
    catalogs included; put them back for whichever database test comes next."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if not ({"db", "transactional_db", "live_server"} & names or marker):
        return
    transactional = bool({"transactional_db", "live_server"} & names) or bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    from xiangzhi.cases.models import Category

    if not Category.objects.exists():
        import importlib

        from xiangzhi.demo.builder import SEEDING_MIGRATIONS

        for module in SEEDING_MIGRATIONS:
            importlib.import_module(module).forwards(apps, None)


@pytest.fixture
def county(db):
    from tests.factories import build_small_county

    return build_small_county()
