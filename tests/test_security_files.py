"""Attached files are encrypted with the database, and conversions never lose one."""

from __future__ import annotations

import os
import shutil

import pytest

from ascms_tui import file_crypto
from ascms_tui.domain import CaseFile
from ascms_tui.file_crypto import MAGIC, encrypt_caseload, key_path, rekey_caseload
from ascms_tui.files import attach_file, read_attachment, stored_path
from ascms_tui.store import Store, StoreError

from .conftest import make_case

SECRET = "correct horse battery"
CONTENT = "Plan agreed with Mereana's whānau: lifts to school on Mondays".encode()


def _attach(store: Store, tmp_path, name="plan.txt", content=CONTENT) -> CaseFile:
    case = store.find_case("00307473") or store.create(make_case())
    source = tmp_path / name
    source.write_bytes(content)
    return attach_file(store, case.id, source, base=tmp_path / "data")


def _attachments(store: Store, base):
    return [(r.id, stored_path(r, base)) for c in store.cases() for r in store.records(CaseFile, c.id)]


def test_an_encrypted_store_keeps_attachments_encrypted(tmp_path):
    with Store(tmp_path / "cases.sqlite3", passphrase=SECRET) as store:
        record = _attach(store, tmp_path)
        copy = stored_path(record, tmp_path / "data")
        raw = copy.read_bytes()
        assert raw.startswith(MAGIC)
        assert b"whanau" not in raw and "whānau".encode() not in raw and b"Mereana" not in raw
        assert read_attachment(store, record, tmp_path / "data") == CONTENT
        assert oct(copy.stat().st_mode & 0o777) == "0o600"
        assert oct(key_path(store.path).stat().st_mode & 0o777) == "0o600"
    # The key file alone is no use without the passphrase.
    with pytest.raises(file_crypto.FileKeyError, match="does not open"):
        file_crypto.file_key(tmp_path / "cases.sqlite3", "not the passphrase")


def test_a_swapped_or_altered_copy_is_refused(tmp_path):
    with Store(tmp_path / "cases.sqlite3", passphrase=SECRET) as store:
        first = _attach(store, tmp_path, "a.txt", b"first")
        second = _attach(store, tmp_path, "b.txt", b"second")
        base = tmp_path / "data"
        shutil.copy(stored_path(second, base), stored_path(first, base))
        with pytest.raises(StoreError, match="does not match its record"):
            read_attachment(store, first, base)
        blob = bytearray(stored_path(second, base).read_bytes())
        blob[-1] ^= 1
        stored_path(second, base).write_bytes(bytes(blob))
        with pytest.raises(StoreError, match="does not match its record"):
            read_attachment(store, second, base)


def test_a_plain_store_reads_its_plain_copies(store, tmp_path):
    record = _attach(store, tmp_path)
    assert stored_path(record, tmp_path / "data").read_bytes() == CONTENT
    assert read_attachment(store, record, tmp_path / "data") == CONTENT


def test_encrypting_a_caseload_encrypts_its_attachments(tmp_path):
    path, base = tmp_path / "cases.sqlite3", tmp_path / "data"
    with Store(path) as store:
        record = _attach(store, tmp_path)
        attachments = _attachments(store, base)
    assert encrypt_caseload(path, SECRET, attachments) == 1
    assert stored_path(record, base).read_bytes().startswith(MAGIC)
    assert not list((base / "files").glob("*.rekey"))
    with Store(path, passphrase=SECRET) as store:
        assert read_attachment(store, record, base) == CONTENT


def test_an_encryption_stopped_after_the_database_changed_finishes_on_next_use(tmp_path, monkeypatch):
    path, base = tmp_path / "cases.sqlite3", tmp_path / "data"
    with Store(path) as store:
        record = _attach(store, tmp_path)
        attachments = _attachments(store, base)
    real = file_crypto.encrypt_database

    def convert_then_die(*args):
        real(*args)
        raise KeyboardInterrupt  # the laptop lid closes right after the rename

    monkeypatch.setattr(file_crypto, "encrypt_database", convert_then_die)
    with pytest.raises(KeyboardInterrupt):
        encrypt_caseload(path, SECRET, attachments)
    assert stored_path(record, base).read_bytes() == CONTENT  # not yet swapped
    with Store(path, passphrase=SECRET) as store:
        assert read_attachment(store, record, base) == CONTENT
    assert stored_path(record, base).read_bytes().startswith(MAGIC)
    assert not list((base / "files").glob("*.rekey"))


def test_an_encryption_stopped_before_the_database_changed_leaves_everything_plain(tmp_path, monkeypatch):
    path, base = tmp_path / "cases.sqlite3", tmp_path / "data"
    with Store(path) as store:
        record = _attach(store, tmp_path)
        attachments = _attachments(store, base)

    def die(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(file_crypto, "encrypt_database", die)
    with pytest.raises(KeyboardInterrupt):
        encrypt_caseload(path, SECRET, attachments)
    with Store(path) as store:
        assert read_attachment(store, record, base) == CONTENT
    assert not list((base / "files").glob("*.rekey"))  # the stale encrypted copy is dropped


def test_rekey_keeps_attachments_readable_even_when_stopped_after_the_database_changed(tmp_path, monkeypatch):
    path, base = tmp_path / "cases.sqlite3", tmp_path / "data"
    with Store(path, passphrase=SECRET) as store:
        record = _attach(store, tmp_path)
    real = file_crypto.rekey_database

    def rekey_then_die(*args):
        real(*args)
        raise KeyboardInterrupt

    monkeypatch.setattr(file_crypto, "rekey_database", rekey_then_die)
    with pytest.raises(KeyboardInterrupt):
        rekey_caseload(path, SECRET, "the new passphrase")
    with Store(path, passphrase="the new passphrase") as store:
        assert read_attachment(store, record, base) == CONTENT
    assert not file_crypto._new_key_path(path).exists()
    monkeypatch.setattr(file_crypto, "rekey_database", real)
    rekey_caseload(path, "the new passphrase", "and another one")
    with Store(path, passphrase="and another one") as store:
        assert read_attachment(store, record, base) == CONTENT


def test_two_first_attachments_at_once_end_with_one_key(tmp_path, monkeypatch):
    path = tmp_path / "cases.sqlite3"
    Store(path, passphrase=SECRET).close()
    real_link = os.link

    def other_process_first(source, target):
        monkeypatch.setattr(os, "link", real_link)
        file_crypto.file_key(path, SECRET, create=True)  # another process attaches first
        real_link(source, target)

    monkeypatch.setattr(os, "link", other_process_first)
    key = file_crypto.file_key(path, SECRET, create=True)
    assert key == file_crypto.file_key(path, SECRET)  # ours was dropped for theirs, not the reverse
    assert sorted(p.name for p in tmp_path.iterdir() if "filekey" in p.name) == ["cases.sqlite3.filekey"]
