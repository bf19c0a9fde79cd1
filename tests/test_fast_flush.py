"""The quick flush after committing tests (``tests/fast_flush.py``) leaves the database as migrated."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from tests import fast_flush
from tests.factories import build_small_county, install_points_rulebooks
from xiangzhi.cases.models import Category
from xiangzhi.points import services as points
from xiangzhi.points.models import PointsEntry


def _rows(schema: str | None = None) -> dict[str, list]:
    """Every row of every table, by table: of the live tables, or of the snapshot's copies."""
    rows = {}
    with connection.cursor() as cursor:
        for table in fast_flush._snapshot.tables:
            if schema and table not in fast_flush._snapshot.seeded:
                rows[table] = []
                continue
            name = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {f'{schema}.{name}' if schema else name} ORDER BY 1")  # noqa: S608
            rows[table] = cursor.fetchall()
    return rows


def _record_an_entry():
    county = build_small_county()
    rules = install_points_rulebooks(county.town_a)[county.town_a.code]
    points.entry_record(actor=county.users["points_recorder"], household=county.households["a1"],
                        rule=rules["neighbour_help"], occurred_on=timezone.localdate())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the quick flush is PostgreSQL's; SQLite keeps Django's")
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_committed_county_with_ledger_rows_is_emptied_and_the_catalogs_come_back_as_migrated():
    assert fast_flush._snapshot.seeded, "installed by the root conftest's django_db_setup"
    migrated = _rows(fast_flush.SCHEMA)
    assert migrated["cases_category"] and migrated["django_content_type"]
    # Committed rows everywhere, an append-only ledger entry among them, and a catalog row changed.
    _record_an_entry()
    Category.objects.filter(code="road_light").update(name="改过的名字")
    assert PointsEntry.objects.exists()

    fast_flush._snapshot.restore()

    assert _rows() == migrated
    assert Category.objects.get(code="road_light").name != "改过的名字"
    assert ContentType.objects.get_for_model(Category).model_class() is Category
    # The ledger's append-only trigger is back on.
    _record_an_entry()
    with pytest.raises(Exception, match="只能追加"):
        PointsEntry.objects.all()._raw_delete("default")
