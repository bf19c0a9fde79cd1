"""The settings tests run with: the same module, with the environment a test run needs."""

import os

os.environ.setdefault("XIANGZHI_HTTPS", "0")  # Django's client and the live server speak plain HTTP
os.environ.setdefault("HUEY_IMMEDIATE", "1")  # background tasks run inline, in the test's transaction
os.environ.setdefault("XIANGZHI_MANIFEST_STATIC", "0")
os.environ.setdefault("XIANGZHI_LOG_DIR", "")  # the console only: tests write no log files

from xiangzhi.settings import *  # noqa: F403

# PBKDF2 at full strength costs ~0.3 s a user; tests create many users and keep no secrets.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Test runs beside each other (a developer's and a benchmark's, two terminals) must not drop each
# other's PostgreSQL test database: each run gets its own, removed when the run ends.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}  # noqa: F405

# Counts are kept a minute only where a test says so (centre/tests/test_kept.py): on a loaded machine a small
# county's count can take longer than production's 0.1 s, and a page would show the count of a moment ago.
CENTRE_KEPT_SLOW_SECONDS = 60.0

# e5 reads every suggestion's text while the catalog has a category without examples (24 ms each, 1 s to load):
# the suite's pages and access checks suggest with the character model; triage's own tests ask for e5 (``e5``).
TRIAGE_E5 = False

# The upgrade tests' child processes add a stand-in app with migrations of its own (tests/upgrade_app).
INSTALLED_APPS = [*INSTALLED_APPS, *(a for a in os.environ.get("XIANGZHI_TEST_APPS", "").split(",") if a)]  # noqa: F405
