"""The recovery sheet: exported once a version, read back on a new machine, a mistyped word refused."""

import re
import shutil
import stat

import pytest
from django.utils import timezone

from xiangzhi.audit.models import AuditAction, AuditEvent
from xiangzhi.keyring import services
from xiangzhi.keyring.errors import KeyringError
from xiangzhi.keyring.models import KeySheet
from xiangzhi.keyring.selectors import keys_status
from xiangzhi.lib import crypto, keys, keysheet

WORD_ITEM = re.compile(r'<li(?: class="check")?><span class="n">(\d+)</span>(\S)</li>')


def sheet_words(html: str) -> list[list[str]]:
    """The words of each key on the sheet, in order, as a person would copy them."""
    blocks = html.split('<section class="key">')[1:]
    return [[w for _, w in WORD_ITEM.findall(block)] for block in blocks]


@pytest.fixture
def sheet_file(db, tmp_path):
    return tmp_path / "sheet.html"


def test_the_sheet_carries_three_keys_as_qr_and_words_on_a_page(sheet_file):
    ring = keys.ring(fresh=True)
    sheet = services.sheet_export(out=sheet_file, by="王科长")
    html = sheet_file.read_text()
    assert stat.S_IMODE(sheet_file.stat().st_mode) == 0o600
    assert html.count("<svg") == 3 and "<script" not in html and "http" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched: no CDN, no font, no script
    assert "@page { size: A4" in html
    for key_id in (ring.current.id, ring.lookup_id, keys.backup_key_id()):
        assert f"编号 {key_id}" in html
    assert timezone.localtime(sheet.exported_at).strftime("%Y-%m-%d %H:%M") in html
    assert "保险柜" in html and "两人" in html
    words = sheet_words(html)
    assert [len(w) for w in words] == [26, 26, 26]
    assert words[0] == keysheet.words("data-v1", ring.current.root)
    # The QR codes hold the same keys.
    assert services._qr_svg(keysheet.qr_text("data-v1", ring.current.root)) in html
    assert services._qr_svg(keysheet.qr_text("backup", keys.backup_key())) in html
    assert (sheet.version, sheet.key_id, sheet.exported_by) == (1, ring.current.id, "王科长")
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert "导出密钥恢复单" in event.summary and event.detail["key_id"] == ring.current.id
    assert ring.current.root.hex() not in str(event.detail)
    assert keys_status().sheet_exported


def test_a_second_export_of_the_same_version_is_refused_and_recorded(sheet_file, tmp_path):
    services.sheet_export(out=sheet_file, by="王科长")
    again = tmp_path / "again.html"
    with pytest.raises(KeyringError, match=r"已于 .* 由 王科长 导出过"):
        services.sheet_export(out=again, by="李四")
    assert not again.exists()
    assert KeySheet.objects.count() == 1
    refused = AuditEvent.objects.filter(action=AuditAction.EXPORT, detail__refused=True).get()
    assert "拒绝再次导出" in refused.summary and "李四" in refused.summary
    # A new version gets its own sheet.
    keys.data_key_add()
    services.sheet_export(out=tmp_path / "v2.html", by="王科长")
    assert sorted(KeySheet.objects.values_list("version", flat=True)) == [1, 2]


def test_a_sheet_that_could_not_be_written_is_not_counted(sheet_file, tmp_path):
    sheet_file.write_text("某人的文件")
    with pytest.raises(KeyringError, match="已存在"):
        services.sheet_export(out=sheet_file, by="王科长")
    with pytest.raises(FileNotFoundError):
        services.sheet_export(out=tmp_path / "no-such-dir" / "sheet.html", by="王科长")
    assert not KeySheet.objects.exists()
    services.sheet_export(out=tmp_path / "ok.html", by="王科长")  # still exportable once


def test_the_words_bring_the_keys_back_on_a_new_machine(sheet_file, settings, tmp_path):
    token = crypto.encrypt("371603198802291371")
    lookup = crypto.lookup_hash("371603198802291371")
    backup_id = keys.backup_key_id()
    data_id = keys.current_data_key().id
    services.sheet_export(out=sheet_file, by="王科长")
    data_words, lookup_words, backup_words = (" ".join(w) for w in sheet_words(sheet_file.read_text()))

    # The old machine is gone: a new key directory, a new generated DATA_KEY.
    settings.KEY_DIR = tmp_path / "new-machine-keys"
    settings.DATA_KEY = "generated-afresh-on-the-new-machine"
    assert crypto.lookup_hash("371603198802291371") != lookup
    shutil.rmtree(settings.KEY_DIR, ignore_errors=True)

    got = services.key_recover(kind="data", version=1, text=data_words, expect_id=data_id)
    assert (got.label, got.key_id, got.written) == ("data-v1", data_id, True)
    services.key_recover(kind="lookup", text=lookup_words)
    services.key_recover(kind="backup", text=backup_words)
    assert crypto.decrypt(token) == "371603198802291371"
    assert crypto.lookup_hash("371603198802291371") == lookup
    assert keys.backup_key_id() == backup_id
    assert keys.data_key_ids() == [data_id]
    for name in ("data-v1.key", "lookup.key", "backup.key"):
        assert stat.S_IMODE((settings.KEY_DIR / name).stat().st_mode) == 0o600


def test_recover_refuses_a_mistyped_word_and_writes_nothing(sheet_file, settings, tmp_path):
    services.sheet_export(out=sheet_file, by="王科长")
    words = sheet_words(sheet_file.read_text())[0]
    settings.KEY_DIR = tmp_path / "new"
    wordlist = keysheet._mnemo().wordlist
    wrong = words[:]
    wrong[7] = next(w for w in wordlist if w != words[7])  # a real word, the wrong one
    with pytest.raises(KeyringError, match="校验"):
        services.key_recover(kind="data", version=1, text=" ".join(wrong))
    with pytest.raises(KeyringError, match="校验词"):
        services.key_recover(kind="data", version=2, text=" ".join(words))  # the right words, the wrong version
    with pytest.raises(KeyringError, match="编号不符"):
        services.key_recover(kind="data", version=1, text=" ".join(words), expect_id="0000000000000000")
    assert not (settings.KEY_DIR / "data-v1.key").exists()


def test_recover_takes_the_qr_text_too_but_not_of_another_key(db, settings, tmp_path):
    root = keys.current_data_key().root
    text = keysheet.qr_text("data-v1", root)
    settings.KEY_DIR = tmp_path / "new"
    with pytest.raises(KeyringError, match="不是 lookup 的"):
        services.key_recover(kind="lookup", text=text)
    assert services.key_recover(kind="data", version=1, text=text).written
    assert keys.ring(fresh=True).keys[1].root == root


@pytest.mark.browser
def test_the_sheet_prints_on_one_a4_page(db, tmp_path):
    from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    ring = keys.ring(fresh=True)
    html = services.sheet_html(data=ring.current, lookup=ring.lookup, backup=keys.backup_key(),
                               at=timezone.now(), by="王科长")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_content(html)
            pdf = page.pdf(prefer_css_page_size=True)
        finally:
            browser.close()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1
