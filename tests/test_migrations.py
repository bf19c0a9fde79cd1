"""Migrations that rewrite big tables go in batches (``xiangzhi/lib/migrations.py``)."""

import re
from pathlib import Path

import pytest
from django.utils import timezone

from xiangzhi.lib.migrations import batched
from xiangzhi.system.models import ErrorRecord

ROOT = Path(__file__).resolve().parent.parent / "xiangzhi"
# The tables that grow with the county and that the site writes all day: a data migration over them must not be
# one transaction. (The audit trail and the ledger's entries are append-only: no migration rewrites them.)
BIG = {("people", "Resident"), ("people", "Household"), ("cases", "Case"), ("cases", "Transition"),
       ("points", "PointsEntry"), ("points", "PointsChainHead"), ("gridwork", "Visit"), ("gridwork", "TrackPoint")}


def test_data_migrations_over_big_tables_run_a_batch_a_transaction():
    offenders = []
    for path in sorted(ROOT.glob("*/migrations/0*.py")):
        text = path.read_text()
        if "RunPython" not in text:
            continue
        touched = {(a, m) for a, m in re.findall(r'get_model\("(\w+)", "(\w+)"\)', text)}
        if touched & BIG and not re.search(r"^\s+atomic = False", text, re.M):
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(touched & BIG)}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db
def test_a_failed_batch_undoes_only_itself_and_a_second_run_finishes():
    for i in range(5):
        ErrorRecord.objects.create(at=timezone.now(), logger="x", message=f"old {i}")
    calls = []

    def mark(rows, fail_on=None):
        calls.append(len(rows))
        for pk, message in rows:
            if message.startswith("old"):  # safe to run again: rows already done are left alone
                ErrorRecord.objects.filter(pk=pk).update(message=message.replace("old", "new"))
        if len(calls) == fail_on:
            raise RuntimeError("断电")

    with pytest.raises(RuntimeError):
        batched(ErrorRecord.objects.all(), lambda rows: mark(rows, fail_on=2), fields=("message",), size=2)
    assert sorted(ErrorRecord.objects.values_list("message", flat=True)) == ["new 0", "new 1", "old 2", "old 3",
                                                                             "old 4"]
    calls.clear()
    assert batched(ErrorRecord.objects.all(), mark, fields=("message",), size=2) == 5
    assert calls == [2, 2, 1]
    assert set(ErrorRecord.objects.values_list("message", flat=True)) == {f"new {i}" for i in range(5)}
