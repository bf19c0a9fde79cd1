import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, then (PostgreSQL) a snapshot of what the migrations put in it,
    which empties it again after each test that commits: ``tests/fast_flush.py``."""
    from tests import fast_flush

    with django_db_blocker.unblock():
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
