import datetime as dt

import pytest
from django.db import transaction

from xiangzhi.demo.inspections import MONTHS, write_inspections
from xiangzhi.inspections.models import Finding, Inspection, TaskState
from xiangzhi.inspections.selectors import finding_list_for_period

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


def insert(model, rows):
    return model.objects.bulk_create(rows)


def _rows():
    return list(Finding.objects.order_by("village__code", "found_on", "item_code", "text").values_list(
        "village__code", "found_on", "item_code", "text", "state", "due_on", "ever_overdue"))


def test_six_months_in_every_village_deterministic_with_an_inspector_login(c):
    with transaction.atomic():  # a first build, rolled back: the second must come out the same
        write_inspections(insert, seed=7, password="pw", accounts=[], today=TODAY)
        first = _rows()
        transaction.set_rollback(True)
    assert not Inspection.objects.exists()
    accounts: list[dict] = []
    report = write_inspections(insert, seed=7, password="pw", accounts=accounts, today=TODAY)
    assert report.inspectors == 2 and [a["username"] for a in accounts] == [
        "inspector_371603101", "inspector_371603102"]
    assert report.inspections == 3 * MONTHS == Inspection.objects.filter(finished_at__isnull=False).count()
    months = set(Inspection.objects.values_list("month", flat=True))
    assert months == {dt.date(2026, m, 1) for m in range(5, 11)}
    assert not Inspection.objects.exclude(village__path__startswith=c.town_a.path).filter(
        inspector__region=c.town_a).exists()  # each township's inspector inspects his own villages
    assert first and _rows() == first and Finding.objects.filter(state=TaskState.DRAFT).count() == 0
    rows = finding_list_for_period(None, dt.date(2026, 5, 1), dt.date(2026, 10, 31), today=TODAY)
    assert len(rows) == len(first) and all(r.cost == r.points + (r.overdue_points if r.overdue else 0)
                                          for r in rows)
