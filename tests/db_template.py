"""A migrated PostgreSQL test database kept as a template, so a test run starts from a copy of it.

Migrating an empty database takes ≈ 35 s of the PostgreSQL run; ``CREATE DATABASE … TEMPLATE`` copies a
migrated one in ≈ 1 s. The template is named after a digest of everything a migration can read: the
Django version and every source and data file under ``xiangzhi/``. Any change there names a new template,
made by the first run that needs it (older ones are dropped then), so a copy never differs from what the
migrations would build. Any failure falls back to migrating as before.
"""

import hashlib
from pathlib import Path

import django
import psycopg
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "xz_tmpl_"


def digest() -> str:
    h = hashlib.sha256(django.get_version().encode())
    for path in sorted((ROOT / "xiangzhi").rglob("*")):
        if path.is_file() and path.suffix in {".py", ".json", ".csv", ".txt", ".sql"} and "tests" not in path.parts:
            h.update(str(path.relative_to(ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _admin() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(host=db.get("HOST") or None, port=db.get("PORT") or None, user=db.get("USER") or None,
                           password=db.get("PASSWORD") or None, dbname="postgres", autocommit=True)


def _test_name() -> str:
    db = settings.DATABASES["default"]
    return db.get("TEST", {}).get("NAME") or f"test_{db['NAME']}"


def test_database_from_template() -> bool:
    """Create this run's test database as a copy of the template; ``False`` (nothing done) without one."""
    template = PREFIX + digest()
    try:
        with _admin() as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone() is None:
                return False
            admin.execute(f'DROP DATABASE IF EXISTS "{_test_name()}"')
            admin.execute(f'CREATE DATABASE "{_test_name()}" TEMPLATE "{template}"')
    except psycopg.Error:
        return False
    return True


def template_keep() -> None:
    """After migrating the test database: copy it as the template for this code, drop older templates."""
    from django.db import connections

    template = PREFIX + digest()
    connections.close_all()  # a database being copied must have no other session
    try:
        with _admin() as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone() is None:
                admin.execute(f'CREATE DATABASE "{template}" TEMPLATE "{_test_name()}"')
            old = [r[0] for r in admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s", [PREFIX + "%", template])]
            for name in old:
                try:
                    admin.execute(f'DROP DATABASE "{name}"')
                except psycopg.Error:  # another run is copying it right now
                    continue
    except psycopg.Error:
        return  # another run made it meanwhile, or the copy failed: the next run migrates again


def test_database_drop() -> None:
    from django.db import connections

    connections.close_all()
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{_test_name()}" WITH (FORCE)')
