import io
from pathlib import Path

import pytest
from PIL import Image

from tests.browser.helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PHONE, require_chromium
from tests.factories import build_small_county


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def small_county(transactional_db):
    """The small county, committed: the live server's thread reads it."""
    return build_small_county()


@pytest.fixture
def photo(tmp_path):
    """A dark 800×600 JPEG on disk, for a file input."""
    path = tmp_path / "light.jpg"
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 30, 30)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path
