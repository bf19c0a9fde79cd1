"""The settings tests run with: the same module, with the environment a test run needs."""

import os

os.environ.setdefault("XIANGZHI_HTTPS", "0")  # Django's client and the live server speak plain HTTP
os.environ.setdefault("HUEY_IMMEDIATE", "1")  # background tasks run inline, in the test's transaction
os.environ.setdefault("XIANGZHI_MANIFEST_STATIC", "0")

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
