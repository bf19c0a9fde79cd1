"""What the browser tests share: Debian's chromium, a phone, logging in, and a browser in a thread.

Playwright's sync API keeps an event loop in the thread that starts it, and the session-wide
``browser`` fixture (``conftest.py``) keeps one open; a test whose set-up or checks call Django
from the test's own thread drives a browser of its own from another thread (``in_browser_thread``).

Pages run under the Content-Security-Policy, which forbids eval: give ``page.wait_for_function`` a
function (``"() => …"``), which Playwright compiles once, not an expression it would re-evaluate.
"""

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Playwright's sync API keeps an event loop in this thread; the live server's database work happens
# in its own thread, and test set-up is synchronous code that Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Service workers are the offline tests' subject (tests/browser/test_offline.py allows them); elsewhere
# their background fetches would only add requests racing the test's own on the live server.
PHONE = {"viewport": {"width": 412, "height": 915}, "locale": "zh-CN", "is_mobile": True, "service_workers": "block"}


def require_chromium() -> None:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (the setup script does)")


def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    # Each role lands on its day: most on the home page, grid workers on their work day.
    page.wait_for_url(lambda url: url.startswith(base) and "/accounts/login/" not in url)


def in_browser_thread(walk: Callable, *args) -> None:
    """Run ``walk(browser, *args)`` with a chromium of its own in a thread of its own; its failure is
    raised here."""
    require_chromium()
    errors = []

    def run():
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    walk(browser, *args)
                finally:
                    browser.close()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
