"""Rotating the data key while the site runs: batches, crashes, concurrent edits, retirement."""

import subprocess
import threading

import pytest
from django.db import connection

from xiangzhi.audit.models import AuditAction, AuditEvent
from xiangzhi.keyring import services
from xiangzhi.keyring.errors import KeyringError
from xiangzhi.keyring.models import KeyRotation
from xiangzhi.keyring.selectors import keys_status
from xiangzhi.keyring.tests.conftest import plain, stored, versions
from xiangzhi.lib import crypto, keys
from xiangzhi.people.models import Resident


def test_every_encrypted_column_of_every_app_is_found():
    labels = {t.label: set(t.fields) for t in services.encrypted_tables()}
    assert labels["people.resident"] == {"id_number_encrypted", "phone_encrypted"}
    assert {"accounts.user", "accounts.signup", "cases.case", "devices.devicesource", "people.organisation",
            "supervision.question"} <= set(labels)


def test_a_rotation_re_encrypts_everything_keeps_lookups_and_retires_the_old_key(sealed):
    before = plain()
    hashes = dict(Resident.objects.values_list("pk", "id_number_hash"))
    old_id = keys.current_data_key().id
    assert versions() == {1} and len(before) == 16

    rotation = services.rotation_start(by="王科长")
    assert crypto.encrypt("13800138000").startswith("v2:")  # new writes use the new key at once
    assert rotation.total == 13  # rows (9 residents, 3 accounts, 1 device source)
    outcome = services.rotation_run(rotation, batch_size=2, grace=0)

    assert outcome.finished, outcome.message
    assert plain() == before
    assert versions() == {2}
    assert sorted(keys.ring(fresh=True).keys) == [2]
    assert keys.data_key_ids() == [rotation.to_key_id] and old_id not in keys.data_key_ids()
    for pk, id_hash in hashes.items():  # the lookup hashes still find their rows
        resident = Resident.objects.get(pk=pk)
        assert crypto.lookup_hash(crypto.decrypt(resident.id_number_encrypted)) == id_hash
    rotation.refresh_from_db()
    assert (rotation.active, rotation.retired, rotation.done) == (None, [1], 13)
    trail = list(AuditEvent.objects.filter(action=AuditAction.CONFIG).order_by("id").values_list("summary", flat=True))
    assert trail == ["开始轮换数据密钥：v1 → v2，13 行待重新加密",
                     "数据密钥轮换完成：v1 → v2，13 行重新加密，退役 v1"]
    assert keys_status().rotation is None and keys_status().current_version == 2


def test_a_crash_mid_rotation_leaves_every_value_readable_and_resume_finishes_it(sealed, monkeypatch):
    before = plain()
    rotation = services.rotation_start()
    batches = []

    def crash_on_fourth(r):
        assert plain() == before  # after every committed batch, every value decrypts
        assert 1 in keys.ring(fresh=True).keys
        batches.append(r.done)
        if len(batches) == 4:
            raise RuntimeError("断电")

    with pytest.raises(RuntimeError, match="断电"):
        services.rotation_run(rotation, batch_size=2, grace=0, on_batch=crash_on_fourth)

    rotation.refresh_from_db()
    assert rotation.active is True and rotation.runner == "" and rotation.done == 6
    assert versions() == {1, 2}  # half done
    assert plain() == before
    assert sorted(keys.ring(fresh=True).keys) == [1, 2]  # the old key is still there
    status = keys_status()
    assert status.rotation is not None and status.rotation.percent == round(6 / 13 * 100, 1)
    with pytest.raises(KeyringError, match="未完成"):
        services.rotation_start()

    # Resume goes on from the stored position: the first batch of the interrupted table starts after it.
    positions = {label: p for label, p in rotation.positions.items() if not p["done"] and p["after"] is not None}
    starts = []
    real = services._reencrypt_batch
    monkeypatch.setattr(services, "_reencrypt_batch",
                        lambda table, **kw: starts.append((table.label, kw["after"])) or real(table, **kw))
    outcome = services.rotation_resume(batch_size=2, grace=0)
    assert outcome.finished
    interrupted = next(iter(positions))
    assert (interrupted, positions[interrupted]["after"]) in starts
    assert not any(label == interrupted and after is None for label, after in starts[:1])
    assert plain() == before and versions() == {2}
    assert sorted(keys.ring(fresh=True).keys) == [2]
    rotation.refresh_from_db()
    assert rotation.done == 13


def test_a_crash_before_the_new_key_was_recorded_is_resumed(sealed, monkeypatch):
    """Killed between the rotation's row and its new key: resume adds the key and goes on."""
    before = plain()
    monkeypatch.setattr(services, "_switch", lambda r: (_ for _ in ()).throw(RuntimeError("断电")))
    with pytest.raises(RuntimeError):
        services.rotation_start()
    monkeypatch.undo()
    rotation = KeyRotation.objects.get(active=True)
    assert rotation.to_version is None and keys.current_data_key().version == 1
    outcome = services.rotation_resume(batch_size=5, grace=0)
    assert outcome.finished and outcome.rotation.to_version == 2
    assert plain() == before and versions() == {2}


def test_an_edit_between_read_and_write_wins(sealed, monkeypatch):
    target = Resident.objects.exclude(phone_encrypted="").order_by("pk").first()
    id_number = crypto.decrypt(target.id_number_encrypted)
    real_decrypt = crypto.decrypt
    edited = []

    def decrypt_then_someone_edits(token, **kw):
        if token == target.phone_encrypted and not edited:
            # The villager's new phone is saved by a page while the batch holds the row's old values.
            row = Resident.objects.get(pk=target.pk)
            row.set_phone("13999990000")
            row.save(update_fields=["phone_encrypted", "phone_hash", "phone_masked"])
            edited.append(row.phone_encrypted)
        return real_decrypt(token, **kw)

    monkeypatch.setattr(crypto, "decrypt", decrypt_then_someone_edits)
    outcome = services.rotation_run(services.rotation_start(), batch_size=4, grace=0)
    monkeypatch.undo()

    assert outcome.finished and outcome.lost == 1
    target.refresh_from_db()
    assert target.phone_encrypted == edited[0]  # the edit, not the rotation's copy of the old number
    assert crypto.decrypt(target.phone_encrypted) == "13999990000"
    assert crypto.decrypt(target.id_number_encrypted) == id_number  # re-encrypted by the final scan
    assert versions() == {2} and sorted(keys.ring(fresh=True).keys) == [2]


def test_a_value_written_under_the_old_key_after_its_batch_keeps_the_old_key(sealed):
    """A process that had not yet seen the new key writes under v1 behind the rotation's back: the
    final scan finds it, re-encrypts it, and only then is v1 retired."""
    late = Resident.objects.order_by("pk").first()

    written = []

    def stale_writer(r):
        passed = r.positions.get("people.resident", {}).get("after")
        if passed is not None and passed >= late.pk and not written:
            Resident.objects.filter(pk=late.pk).update(phone_encrypted=crypto.encrypt("13711112222", version=1))
            written.append(late.pk)

    outcome = services.rotation_run(services.rotation_start(), batch_size=3, grace=0, on_batch=stale_writer)
    assert written and outcome.finished
    late.refresh_from_db()
    assert late.phone_encrypted.startswith("v2:") and crypto.decrypt(late.phone_encrypted) == "13711112222"
    assert sorted(keys.ring(fresh=True).keys) == [2]


def test_the_old_key_waits_out_the_grace_period(sealed):
    rotation = services.rotation_start()
    outcome = services.rotation_run(rotation, batch_size=50, grace=3600, wait=False)
    assert not outcome.finished and "最后检查" in outcome.message
    assert versions() == {2} and sorted(keys.ring(fresh=True).keys) == [1, 2]
    rotation.refresh_from_db()
    assert rotation.passed_at is not None
    # Counted from the end of the first pass too: a page that read a row before its batch may save it back.
    KeyRotation.objects.filter(pk=rotation.pk).update(switched_at=rotation.switched_at.replace(year=2000))
    assert services.rotation_resume_unfinished().finished is False
    KeyRotation.objects.filter(pk=rotation.pk).update(passed_at=rotation.passed_at.replace(year=2000))
    assert services.rotation_resume_unfinished().finished  # the worker's run retires it
    assert sorted(keys.ring(fresh=True).keys) == [2]


def test_the_worker_takes_over_a_killed_run_but_not_a_live_one(sealed):
    rotation = services.rotation_start()
    me_elsewhere = f"{services.socket.gethostname()}:{services.os.getpid()}:{threading.get_ident() + 1}"
    KeyRotation.objects.filter(pk=rotation.pk).update(runner=me_elsewhere, beat_at=rotation.started_at)
    rotation.refresh_from_db()
    assert services.rotation_resume_unfinished() is None  # a live process of this machine holds it
    with pytest.raises(services.RotationBusy):
        services.rotation_resume(grace=0)

    gone = subprocess.Popen(["true"])
    gone.wait()
    KeyRotation.objects.filter(pk=rotation.pk).update(runner=f"{services.socket.gethostname()}:{gone.pid}:1")
    outcome = services.rotation_resume_unfinished()
    assert outcome is not None and outcome.finished is False  # taken over; the grace period is the worker's wait
    KeyRotation.objects.filter(pk=rotation.pk).update(switched_at=rotation.switched_at.replace(year=2000),
                                                      passed_at=rotation.switched_at.replace(year=2000))
    assert services.rotation_resume_unfinished().finished
    assert versions() == {2}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent connections: PostgreSQL")
def test_a_concurrent_edit_from_another_connection_is_not_lost(sealed, monkeypatch):
    target = Resident.objects.exclude(phone_encrypted="").order_by("pk").first()
    real_decrypt = crypto.decrypt
    edited = []

    def edit_elsewhere():
        try:
            row = Resident.objects.get(pk=target.pk)
            row.set_phone("13999990001")
            row.save(update_fields=["phone_encrypted", "phone_hash", "phone_masked"])
            edited.append(row.phone_encrypted)
        finally:
            connection.close()

    def decrypt_while_another_connection_edits(token, **kw):
        if token == target.phone_encrypted and not edited:
            worker = threading.Thread(target=edit_elsewhere)
            worker.start()
            worker.join(10)
        return real_decrypt(token, **kw)

    monkeypatch.setattr(crypto, "decrypt", decrypt_while_another_connection_edits)
    outcome = services.rotation_run(services.rotation_start(), batch_size=4, grace=0)
    monkeypatch.undo()
    assert edited and outcome.finished and outcome.lost == 1
    target.refresh_from_db()
    assert crypto.decrypt(target.phone_encrypted) == "13999990001"
    assert versions() == {2}


def test_stored_helper_sees_every_table(sealed):
    assert {label for label, _, _ in stored()} == {"people.resident", "accounts.user", "devices.devicesource"}
