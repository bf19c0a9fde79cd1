import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    from xiangzhi.regions.selectors import grid_index_invalidate

    grid_index_invalidate()
    yield
    grid_index_invalidate()


@pytest.fixture
def county(db):
    from tests.factories import build_small_county

    return build_small_county()
