"""The key ring on its own: versions, the legacy key, files, how fast a process sees a change."""

import hashlib
import hmac
import stat

import pytest
from cryptography.exceptions import InvalidTag

from xiangzhi.lib import crypto, keys


@pytest.fixture
def ring_dir(settings, tmp_path):
    settings.KEY_DIR = tmp_path / "keys"
    settings.DATA_KEY = "legacy-master-key-of-this-test"
    settings.BACKUP_KEY = ""
    return settings.KEY_DIR


def _old_scheme_token(plain: str, master: str) -> str:
    """A value as the code before the ring wrote it (AES-GCM under HMAC(sha256(master), "xiangzhi:encrypt"))."""
    return crypto.encrypt(plain, master=master)


def test_an_install_without_ring_files_keeps_its_legacy_key_as_v1(ring_dir, settings):
    old = _old_scheme_token("371603198802291371", settings.DATA_KEY)
    assert crypto.decrypt(old) == "371603198802291371"
    assert crypto.encrypt("x").startswith("v1:")
    assert crypto.lookup_hash("13800138000") == crypto.lookup_hash("13800138000", master=settings.DATA_KEY)
    # The id the legacy key always had (backups already carry it).
    assert keys.data_key_ids() == [keys._fingerprint(settings.DATA_KEY, b"data")]
    assert not any(ring_dir.iterdir())  # nothing written just by reading


def test_a_new_version_takes_new_writes_and_old_values_still_read(ring_dir, settings):
    before = crypto.encrypt("13800138000")
    lookup = crypto.lookup_hash("13800138000")
    added = keys.data_key_add()
    assert added.version == 2
    after = crypto.encrypt("13800138000")
    assert after.startswith("v2:") and before.startswith("v1:")
    assert crypto.decrypt(before) == crypto.decrypt(after) == "13800138000"
    assert crypto.lookup_hash("13800138000") == lookup  # the lookup key is not a data key
    assert keys.data_key_ids() == [added.id, keys._fingerprint(settings.DATA_KEY, b"data")]
    path = ring_dir / "data-v2.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(ring_dir.stat().st_mode) == 0o700


def test_retiring_v1_needs_the_lookup_key_kept_first(ring_dir):
    value = crypto.encrypt("110105194912310029")
    lookup = crypto.lookup_hash("110105194912310029")
    keys.data_key_add()
    with pytest.raises(keys.KeyRingError, match=r"lookup\.key"):
        keys.data_key_retire(1)
    with pytest.raises(keys.KeyRingError, match="当前密钥"):
        keys.data_key_retire(2)
    assert keys.lookup_key_keep() is True
    keys.data_key_retire(1)
    assert sorted(keys.ring().keys) == [2]
    assert (ring_dir / keys.LEGACY_RETIRED_FILE).exists()
    with pytest.raises(ValueError, match="v1"):
        crypto.decrypt(value)
    assert crypto.lookup_hash("110105194912310029") == lookup  # every stored hash still finds its row


def test_another_process_adding_a_key_is_seen_within_the_check_interval(ring_dir, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(keys.time, "monotonic", lambda: clock[0])
    assert keys.current_data_key().version == 1
    # Another process writes v2 (straight to the directory: this process's cache is not told).
    root = bytes(range(32))
    keys._write_file(ring_dir / "data-v2.key", keys._encode(root), exclusive=True)
    clock[0] += keys.RING_CHECK_SECONDS / 2
    assert keys.current_data_key().version == 1  # within the interval: no look at the disk
    # ... but a value written by that process under v2 is read at once: an unknown version looks again.
    token = crypto.encrypt("13912345678", version=2)
    assert crypto.decrypt(token) == "13912345678"
    clock[0] += keys.RING_CHECK_SECONDS
    assert keys.current_data_key().version == 2


def test_the_ring_is_looked_at_once_per_interval_not_per_value(ring_dir, monkeypatch):
    calls = []
    real = keys._signature
    monkeypatch.setattr(keys, "_signature", lambda d: calls.append(d) or real(d))
    keys.ring(fresh=True)
    calls.clear()
    for _ in range(200):
        crypto.decrypt(crypto.encrypt("13800138000"))
    assert len(calls) <= 1


def test_two_processes_adding_a_key_at_once_get_two_versions(ring_dir, monkeypatch):
    # The other process wins version 2 between our look at the ring and our write.
    real_write = keys._write_file

    def racing_write(path, text, *, exclusive):
        if path.name == "data-v2.key" and not path.exists():
            real_write(path, keys._encode(b"\x01" * 32), exclusive=True)
        return real_write(path, text, exclusive=exclusive)

    monkeypatch.setattr(keys, "_write_file", racing_write)
    ours = keys.data_key_add()
    assert ours.version == 3
    assert keys.ring(fresh=True).keys[2].root == b"\x01" * 32  # theirs untouched


def test_a_recovered_v1_file_outranks_a_fresh_data_key_setting(ring_dir, settings):
    token = crypto.encrypt("13800138000")
    lookup = crypto.lookup_hash("13800138000")
    original = hashlib.sha256(settings.DATA_KEY.encode()).digest()
    lookup_key = keys.lookup_key()
    settings.DATA_KEY = "a-new-machine-generated-another-key"  # var/data.key lost with the old machine
    with pytest.raises(InvalidTag):  # the wrong key
        crypto.decrypt(token)
    assert keys.data_key_restore(1, original) is True
    assert keys.lookup_key_restore(lookup_key) is True
    assert crypto.decrypt(token) == "13800138000"
    assert crypto.lookup_hash("13800138000") == lookup
    assert keys.data_key_restore(1, original) is False  # the same key again: nothing to do
    with pytest.raises(keys.KeyRingError, match="不同"):
        keys.data_key_restore(1, b"\x02" * 32)


def test_a_recovered_backup_key_gives_the_same_backup_key(ring_dir):
    original = keys.backup_key()
    original_id = keys.backup_key_id()
    (ring_dir / keys.BACKUP_FILE).unlink()
    assert keys.backup_key_restore(original) is True
    assert keys.backup_key() == original and keys.backup_key_id() == original_id


def test_a_damaged_key_file_is_named(ring_dir):
    keys.data_key_add()
    (ring_dir / "data-v2.key").write_text("xzk1:not-base64!!")
    with pytest.raises(keys.KeyRingError, match=r"data-v2\.key"):
        keys.ring(fresh=True)


def test_key_ids_are_hmacs_not_the_key(ring_dir):
    key = keys.current_data_key()
    assert key.id == hmac.new(key.root, b"xiangzhi:key-id:data", hashlib.sha256).hexdigest()[:16]
    assert key.id not in key.root.hex()
