from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.concurrency import run_threads
from xiangzhi.core.models import AppendOnlyError
from xiangzhi.points import ledger, selectors, services
from xiangzhi.points.errors import InsufficientPoints
from xiangzhi.points.models import (
    EntryKind,
    PointsBalance,
    PointsChainHead,
    PointsEntry,
    PointsReview,
)

ON_POSTGRES = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="a PostgreSQL property; SQLite serialises writers")


def record(county, rules, code="neighbour_help", household="a1", **kw):
    return services.entry_record(actor=county.users["points_recorder"], household=county.households[household],
                                 rule=rules[code], occurred_on=timezone.localdate(), **kw).entry


def some_history(county, rules):
    entries = [record(county, rules), record(county, rules, household="a1_micro"), record(county, rules, "env_sorting")]
    for e in entries[:2]:
        services.entry_review(actor=county.users["points_supervisor"], entry=e, approve=True)
    return entries


def smuggle(sql: str, params) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:  # the trigger refuses ordinary sessions; a superuser can switch triggers off
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


# --- append-only ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_model_layer_refuses_updates_and_deletes(county, rules):
    entry = record(county, rules)
    entry.points = 50
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        PointsEntry.objects.filter(pk=entry.pk).update(points=50)
    with pytest.raises(AppendOnlyError):
        PointsEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        PointsEntry.objects.bulk_update([entry], ["points"])
    review = services.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=True)
    review.decision = "rejected"
    with pytest.raises(AppendOnlyError):
        review.save()
    with pytest.raises(AppendOnlyError):
        PointsReview.objects.all().update(decision="rejected")
    assert PointsEntry.objects.get(pk=entry.pk).points == 3


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("sql", [
    "UPDATE points_pointsentry SET points = 50 WHERE id = %s",
    "DELETE FROM points_pointsentry WHERE id = %s",
    "UPDATE points_pointsreview SET decision = 'rejected' WHERE entry_id = %s",
    "DELETE FROM points_pointsreview WHERE entry_id = %s",
])
def test_postgresql_refuses_a_raw_update_or_delete(county, rules, sql):
    entry = record(county, rules)
    services.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=True)
    with pytest.raises(DatabaseError, match="积分台账只能追加"), transaction.atomic(), connection.cursor() as c:
        c.execute(sql, [entry.pk])
    assert PointsEntry.objects.get(pk=entry.pk).points == 3


# --- the chain catches what gets past ------------------------------------------------------------


@pytest.mark.django_db
def test_verify_names_the_first_row_changed_behind_the_applications_back(county, rules):
    b = some_history(county, rules)[1]
    assert selectors.ledger_verify(county.village_a1) is None
    smuggle("UPDATE points_pointsentry SET points = 30 WHERE id = %s", [b.pk])
    broken = selectors.ledger_verify(county.village_a1)
    assert (broken.table, broken.seq, broken.row_id, broken.code) == ("entry", b.seq, b.pk, "hash_mismatch")
    assert broken.message == f"积分记录第 {b.seq} 条（id {b.pk}）：内容与哈希不符：该行被改动"
    out = StringIO()
    with pytest.raises(CommandError, match="1 个村"):
        call_command("points_verify", stdout=out)
    assert f"第 {b.seq} 条（id {b.pk}）" in out.getvalue()


@pytest.mark.django_db
def test_verify_catches_a_changed_review(county, rules):
    a = some_history(county, rules)[0]
    smuggle("UPDATE points_pointsreview SET decision = 'rejected' WHERE entry_id = %s", [a.pk])
    broken = selectors.ledger_verify(county.village_a1)
    assert (broken.table, broken.row_id, broken.code) == ("review", a.review.pk, "hash_mismatch")


@pytest.mark.django_db
def test_a_deleted_last_row_shows_against_the_head(county, rules):
    c = some_history(county, rules)[2]
    smuggle("DELETE FROM points_pointsentry WHERE id = %s", [c.pk])
    broken = selectors.ledger_verify(county.village_a1)
    assert (broken.table, broken.code, broken.seq) == ("entry", "head_mismatch", c.seq)


@pytest.mark.django_db
def test_a_deleted_middle_row_shows_as_a_gap(county, rules):
    _, b, c = some_history(county, rules)
    smuggle("DELETE FROM points_pointsreview WHERE entry_id = %s", [b.pk])
    smuggle("DELETE FROM points_pointsentry WHERE id = %s", [b.pk])
    broken = selectors.ledger_verify(county.village_a1)
    assert (broken.table, broken.code, broken.row_id) == ("entry", "seq_gap", c.pk)


@pytest.mark.django_db
def test_check_proves_balances_equal_the_ledger_and_names_a_tampered_one(county, rules):
    some_history(county, rules)
    out = StringIO()
    call_command("points_check", stdout=out)
    assert "一致" in out.getvalue()
    a1 = county.households["a1"]
    PointsBalance.objects.filter(pk=a1.pk).update(approved_total=100)
    assert [(m.household_id, m.field, m.stored, m.ledger) for m in selectors.balance_mismatch_list()] == [
        (a1.pk, "approved_total", 100, 3)]
    with pytest.raises(CommandError, match="1 处余额与台账不一致"):
        call_command("points_check", stdout=StringIO())
    call_command("points_verify", stdout=StringIO())  # the chains themselves still hold


# --- the bulk path --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_bulk_path_extends_the_chain_exactly_as_single_postings_would(county, rules):
    first = record(county, rules)
    now = timezone.now()
    rows = []
    for key in ("a1", "a1_micro", "a2"):
        h = county.households[key]
        e = PointsEntry(village_id=h.grid.region_id, household_id=h.pk, kind=EntryKind.RECORD, points=2,
                        occurred_on=timezone.localdate(), recorded_at=now, recorder=county.users["village_cadre"])
        e.copy_rule(rules["volunteer_activity"])
        rows.append(e)
    decisions = [ledger.Decision("approved", county.users["points_supervisor"].pk, now), None,
                 ledger.Decision("rejected", county.users["points_supervisor"].pk, now, "不属实")]
    with transaction.atomic():
        written = ledger.entry_post_bulk(rows, decisions)
    assert [e.seq for e in written] == [2, 3, 1]  # a2 is another village: its own chain
    assert written[0].prev_hash == first.hash
    head = PointsChainHead.objects.get(pk=county.village_a1.pk)
    assert (head.entry_seq, head.entry_hash, head.review_seq) == (3, written[1].hash, 1)
    record(county, rules)  # single postings carry on after the bulk ones
    for v in (county.village_a1, county.village_a2):
        assert selectors.ledger_verify(v) is None
    assert selectors.balance_mismatch_list() == []
    assert PointsBalance.objects.get(pk=county.households["a1"].pk).approved_total == 2


@pytest.mark.django_db
def test_a_bulk_posting_that_would_overdraw_writes_nothing(county, rules):
    h = county.households["a1"]
    e = PointsEntry(village_id=h.grid.region_id, household_id=h.pk, kind=EntryKind.REDEMPTION, points=-5,
                    occurred_on=timezone.localdate(), recorded_at=timezone.now())
    with pytest.raises(InsufficientPoints), transaction.atomic():
        ledger.entry_post_bulk([e])
    assert not PointsEntry.objects.exists() and not PointsReview.objects.exists()
    assert PointsChainHead.objects.filter(entry_seq__gt=0).count() == 0


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_replayed_20_times_at_once_records_once(county, rules):
    recorder, household = county.users["points_recorder"], county.households["a1"]
    rule = rules["neighbour_help"]

    def submit(_):
        r = services.entry_record(actor=recorder, household=household, rule=rule,
                                  occurred_on=timezone.localdate(), note="同一次提交", idempotency_key="tap-1")
        return r.entry.pk, r.created, r.entry.points

    results, errors = run_threads(20, submit)
    assert not errors
    assert len(results) == 20
    assert len({pk for pk, _, _ in results}) == 1
    assert sum(created for _, created, _ in results) == 1
    assert {points for _, _, points in results} == {3}
    assert PointsEntry.objects.count() == 1
    assert selectors.balance_mismatch_list() == []


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_in_one_village_never_fork_the_chain(county, rules):
    people = [county.users[k] for k in ("points_recorder", "village_cadre", "grid_chief", "grid_worker")]

    def submit(i):
        return services.entry_record(actor=people[i % 4], household=county.households["a1_micro"],
                                     rule=rules["volunteer_labour"], occurred_on=timezone.localdate()).entry.seq

    results, errors = run_threads(8, submit)
    assert not errors
    assert sorted(results) == list(range(1, 9))
    assert selectors.ledger_verify(county.village_a1) is None
    assert selectors.balance_mismatch_list() == []


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_never_overdraw(county, rules):
    h = county.households["a1"]
    entry = record(county, rules, count=3)  # 9 points
    services.entry_review(actor=county.users["points_supervisor"], entry=entry, approve=True)

    def spend(i):
        with transaction.atomic():
            ledger.entry_post(village_id=county.village_a1.pk, household_id=h.pk, kind=EntryKind.REDEMPTION, points=-1,
                        occurred_on=timezone.localdate(), source=f"order:{i}")

    results, errors = run_threads(15, spend)
    assert len(results) == 9 and len(errors) == 6
    assert all(isinstance(e, InsufficientPoints) for e in errors)
    assert PointsBalance.objects.get(pk=h.pk).approved_total == 0
    assert selectors.balance_mismatch_list() == [] and selectors.ledger_verify(county.village_a1) is None
