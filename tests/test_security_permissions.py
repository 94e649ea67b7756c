"""File permissions: the caseload's files are the user's alone, and start-up puts that back."""

from __future__ import annotations

import os
import stat

import pytest

from ascms_tui.cli import main
from ascms_tui.domain import CaseComment
from ascms_tui.permissions import caseload_paths, check_and_fix
from ascms_tui.store import Store

from .conftest import make_case

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_creates_its_file_wal_and_shm_private(tmp_path):
    old = os.umask(0o022)  # a typical desktop umask: files would be world-readable
    try:
        with Store(tmp_path / "cases.sqlite3") as store:
            case = store.create(make_case())
            store.create(CaseComment(case_id=case.id, body="note"))
            for suffix in ("", "-wal", "-shm"):
                assert _mode(tmp_path / f"cases.sqlite3{suffix}") == 0o600, suffix
    finally:
        os.umask(old)


def test_check_and_fix_makes_loosened_files_private_and_says_so(tmp_path):
    data = tmp_path / "data"
    (data / "files").mkdir(parents=True)
    db = data / "cases.sqlite3"
    db.write_bytes(b"x")
    backup = data / "cases.sqlite3.schema-4.bak"
    backup.write_bytes(b"x")
    attached = data / "files" / "a.pdf"
    attached.write_bytes(b"x")
    config = tmp_path / "config"
    config.mkdir()
    token = config / "tokens.json"
    token.write_text("{}")
    for path, mode in ((data, 0o755), (data / "files", 0o755), (db, 0o644), (backup, 0o644), (attached, 0o664),
                       (config, 0o775), (token, 0o644)):
        path.chmod(mode)
    paths = caseload_paths(db, data_dir=data, files_dir=data / "files", config_dir=config)
    messages = check_and_fix(paths)
    assert len(messages) == 7 and all("made private" in m for m in messages)
    assert any(str(token) in m and "(0644)" in m for m in messages)
    for path in (db, backup, attached, token):
        assert _mode(path) == 0o600
    for folder in (data, data / "files", config):
        assert _mode(folder) == 0o700
    assert check_and_fix(paths) == []


def test_a_database_given_with_db_keeps_its_folder_as_the_user_set_it(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    db = shared / "cases.sqlite3"
    db.write_bytes(b"")
    db.chmod(0o644)
    check_and_fix(caseload_paths(db, data_dir=tmp_path / "elsewhere"))
    assert _mode(shared) == 0o755 and _mode(db) == 0o600


def test_every_command_starts_by_fixing_permissions(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdgc"))
    config = tmp_path / "xdgc" / "ascms-tui"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('user_name = "Invented"\n')
    (config / "config.toml").chmod(0o644)
    db = tmp_path / "cases.sqlite3"
    Store(db).close()
    db.chmod(0o644)
    assert main(["--db", str(db), "export"]) == 0
    err = capsys.readouterr().err
    assert "could be read by other users (0644); made private (0600)" in err
    assert _mode(db) == 0o600 and _mode(config / "config.toml") == 0o600
