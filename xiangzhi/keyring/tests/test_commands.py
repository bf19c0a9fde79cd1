"""``xiangzhi keys``: status, rotate (and a rotation killed with SIGKILL), sheet, recover."""

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from xiangzhi.keyring.models import KeyRotation
from xiangzhi.keyring.tests.conftest import plain, versions
from xiangzhi.lib import crypto, keys, keysheet

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, stdin: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def test_status_rotate_and_status_again(sealed, tmp_path):
    before = plain()
    text = run("status")
    assert "数据密钥（当前 v1）" in text and "来自 DATA_KEY 设置" in text and "从未轮换" in text
    assert "恢复单还没有导出" in text
    text = run("rotate", "--grace", "0", "--batch-size", "5", "--by", "王科长")
    assert "新数据密钥 v2" in text and "轮换完成" in text and "v1 的原始密钥仍在" in text
    assert "100.0%" in text
    assert plain() == before and versions() == {2}
    text = run("status")
    assert "数据密钥（当前 v2）" in text and "v1" not in text.split("上次轮换")[0]
    assert "上次轮换：v1 → v2" in text and "退役 v1" in text and "查询密钥" in text and "lookup.key" in text
    with pytest.raises(CommandError, match="没有未完成"):
        run("rotate", "--resume")


def test_sheet_then_recover_from_a_file_and_from_typed_words(db, tmp_path, settings, monkeypatch):
    out = tmp_path / "sheet.html"
    assert "已导出数据密钥 v1" in run("sheet", "--out", str(out), "--by", "王科长")
    with pytest.raises(CommandError, match="导出过"):
        run("sheet", "--out", str(tmp_path / "again.html"))
    root, lookup = keys.current_data_key().root, keys.lookup_key()
    token = crypto.encrypt("13800138000")

    settings.KEY_DIR = tmp_path / "new"
    settings.DATA_KEY = "another-machine"
    words = tmp_path / "words.txt"
    words.write_text("\n".join(f"{n}. {w}" for n, w in enumerate(keysheet.words("data-v1", root), 1)))
    text = run("recover", "data", "--version", "1", "--file", str(words), "--id", keys.data_key_id(root))
    assert "data-v1" in text and "校验通过" in text and "已写入" in text
    typed = " ".join(keysheet.words("lookup", lookup))
    assert "已写入" in run("recover", "lookup", stdin=typed + "\n", monkeypatch=monkeypatch)
    assert crypto.decrypt(token) == "13800138000"
    assert "未改动" in run("recover", "lookup", stdin=typed + "\n", monkeypatch=monkeypatch)
    mistyped = typed.replace(typed[0], "龘", 1)
    with pytest.raises(CommandError, match="不在词表中"):
        run("recover", "lookup", stdin=mistyped, monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="--version"):
        run("recover", "data", "--file", str(words))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the killed process needs the test database: PostgreSQL")
def test_a_rotation_killed_with_sigkill_is_resumed(sealed, settings, tmp_path):
    """A real ``xiangzhi keys rotate`` in its own process, killed with SIGKILL after its first batch
    (it cannot clean up): nothing is unreadable, the old key stays, ``--resume`` finishes it. ~3 s: a
    process with Django started."""
    before = plain()
    db = connection.settings_dict
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "xiangzhi.settings",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
           "XIANGZHI_KEY_DIR": str(settings.KEY_DIR), "XIANGZHI_DATA_KEY": settings.DATA_KEY,
           "XIANGZHI_BACKUP_KEY": "", "HUEY_IMMEDIATE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "xiangzhi", "keys", "rotate", "--batch-size", "1", "--grace", "60"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if "%" in line:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()

    rotation = KeyRotation.objects.get(active=True)
    assert rotation.runner.split(":")[1] == str(proc.pid)  # it died holding the rotation
    assert rotation.done >= 1 and rotation.finished_at is None
    assert sorted(keys.ring(fresh=True).keys) == [1, 2]
    assert plain() == before  # every value readable, whatever was done
    text = run("rotate", "--resume", "--grace", "0", "--batch-size", "3")
    assert "继续轮换 v1 → v2" in text and "轮换完成" in text
    assert plain() == before and versions() == {2}
    assert sorted(keys.ring(fresh=True).keys) == [2]
