"""Encryption at rest: the caseload file cannot be read without its passphrase."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing
from pathlib import Path

import pytest

from ascms_tui.db_connect import (
    CONVERTING_SUFFIX,
    DatabaseInUse,
    NotEncrypted,
    PassphraseRequired,
    WrongPassphrase,
    connect,
    encrypt_database,
    is_encrypted,
    rekey_database,
    verify_passphrase,
)
from ascms_tui.domain import CaseComment
from ascms_tui.schema import LATEST_VERSION
from ascms_tui.store import Store

from .conftest import make_case

ROOT = Path(__file__).resolve().parents[1]
V1_FIXTURE = Path(__file__).with_name("data") / "schema_v1.sqlite3"
SECRET = "correct horse battery"
NAME = "Mereana Inventedname"
NOTE = "Whānau hui at the marae; nan is unwell"


def _fill(store: Store) -> None:
    case = store.create(make_case(student={"name": NAME}))
    store.create(CaseComment(case_id=case.id, body=NOTE))


def _all_bytes(path: Path) -> bytes:
    return b"".join(
        Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm") if Path(f"{path}{suffix}").exists()
    )


def _counts(path: Path, passphrase: str | None) -> dict[str, int]:
    with closing(connect(path, passphrase)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_encrypted_store_keeps_no_readable_text_in_the_file_or_its_wal(tmp_path):
    path = tmp_path / "cases.sqlite3"
    with Store(path, passphrase=SECRET) as store:
        _fill(store)
        # While open, the latest writes sit in the WAL: it must be encrypted too.
        raw = _all_bytes(path)
        assert Path(f"{path}-wal").exists()
    raw += _all_bytes(path)
    for needle in (NAME, "Mereana", "Whānau hui", "CREATE TABLE", "SQLite format 3"):
        assert needle.encode() not in raw
    assert is_encrypted(path)


def test_reading_the_encrypted_file_without_the_passphrase_fails(tmp_path):
    path = tmp_path / "cases.sqlite3"
    with Store(path, passphrase=SECRET) as store:
        _fill(store)
    with closing(sqlite3.connect(path)) as plain, pytest.raises(sqlite3.DatabaseError, match="not a database"):
        plain.execute("SELECT * FROM cases").fetchall()
    with pytest.raises(PassphraseRequired, match="is encrypted"):
        Store(path)
    with pytest.raises(WrongPassphrase, match="does not open"):
        Store(path, passphrase="not the passphrase")
    with Store(path, passphrase=SECRET) as store:
        [case] = store.cases()
        assert case.student.name == NAME
    assert verify_passphrase(path, SECRET)
    assert not verify_passphrase(path, SECRET + "!")


def test_a_passphrase_with_quotes_and_macrons_works(tmp_path):
    path = tmp_path / "cases.sqlite3"
    odd = "it's 'quoted'; DROP TABLE cases; -- ā"
    with Store(path, passphrase=odd) as store:
        _fill(store)
    with Store(path, passphrase=odd) as store:
        assert len(store.cases()) == 1
    assert not verify_passphrase(path, "it's")


def test_a_passphrase_for_a_plain_file_is_refused_clearly(store):
    _fill(store)
    with pytest.raises(NotEncrypted, match="ascms-tui encrypt"):
        Store(store.path, passphrase=SECRET)


def test_encrypt_converts_without_loss_and_the_old_plain_file_is_gone(demo_db):
    before = _counts(demo_db, None)
    encrypt_database(demo_db, SECRET)
    assert is_encrypted(demo_db)
    assert _counts(demo_db, SECRET) == before
    assert not Path(f"{demo_db}{CONVERTING_SUFFIX}").exists()
    assert b"SQLite format 3" not in demo_db.read_bytes()
    with Store(demo_db, passphrase=SECRET) as store:
        assert store.schema_version == LATEST_VERSION
        assert len(store.cases()) == 40
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (demo_db.stat().st_mode & 0o777) == 0o600


def test_rekey_changes_the_passphrase_without_loss(demo_db):
    encrypt_database(demo_db, SECRET)
    before = _counts(demo_db, SECRET)
    rekey_database(demo_db, SECRET, "a brand new passphrase")
    assert not verify_passphrase(demo_db, SECRET)
    assert _counts(demo_db, "a brand new passphrase") == before
    with pytest.raises(WrongPassphrase):
        rekey_database(demo_db, SECRET, "another one entirely")


def test_conversion_refuses_a_file_that_another_process_has_open(demo_db):
    # The app in another process, idle between two reads: it holds no lock on the file itself.
    code = ("import sys, time\nfrom ascms_tui.store import Store\n"
            "s = Store(sys.argv[1]); s.cases(); print('open', flush=True); time.sleep(60)")
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(demo_db)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(DatabaseInUse, match="close ascms-tui"):
            encrypt_database(demo_db, SECRET)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert not is_encrypted(demo_db)
    encrypt_database(demo_db, SECRET)  # once it is closed
    assert is_encrypted(demo_db)


def test_an_older_encrypted_file_is_migrated_and_its_backup_is_encrypted(tmp_path):
    path = tmp_path / "old.sqlite3"
    shutil.copy(V1_FIXTURE, path)
    encrypt_database(path, SECRET)
    with Store(path, passphrase=SECRET) as store:
        assert store.schema_version == LATEST_VERSION
    backup = tmp_path / "old.sqlite3.schema-1.bak"
    assert is_encrypted(backup)
    with closing(connect(backup, SECRET)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


# --- an interrupted conversion -----------------------------------------------------------

# The child converts the file and stops at a chosen moment (announcing it on stdout),
# so that the parent's SIGKILL lands exactly there.
_CHILD = textwrap.dedent(
    """
    import os, sys, time
    import sqlcipher3
    from ascms_tui import db_connect

    path, moment = sys.argv[1], sys.argv[2]

    def announce_and_wait():
        print("now", flush=True)
        time.sleep(60)

    if moment == "export":
        real_connect = sqlcipher3.connect
        def connect(*args, **kwargs):
            conn = real_connect(*args, **kwargs)
            steps = [0]
            def progress():
                if os.path.exists(path + ".converting"):
                    steps[0] += 1
                    if steps[0] == 10:  # inside sqlcipher_export (about 50 steps on the demo)
                        announce_and_wait()
                return 0
            conn.set_progress_handler(progress, 1000)
            return conn
        sqlcipher3.connect = connect
    elif moment == "rename":
        real_replace = os.replace
        def replace(*args):
            announce_and_wait()
        os.replace = replace
    db_connect.encrypt_database(path, "correct horse battery")
    """
)


@pytest.mark.parametrize("moment", ["export", "rename"])
def test_a_conversion_killed_mid_way_leaves_the_original_intact_and_usable(demo_db, moment):
    before = _counts(demo_db, None)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(demo_db), moment],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        assert child.stdout.readline().strip() == "now", child.stderr.read()
        time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert Path(f"{demo_db}{CONVERTING_SUFFIX}").exists()  # it was killed mid-way, with half a copy
    assert not is_encrypted(demo_db)
    assert _counts(demo_db, None) == before
    with Store(demo_db) as store:  # usable: it opens, reads and writes
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        _fill(store)
    # A later conversion clears the half-written copy and succeeds.
    encrypt_database(demo_db, SECRET)
    assert _counts(demo_db, SECRET)["cases"] == before["cases"] + 1
    assert not Path(f"{demo_db}{CONVERTING_SUFFIX}").exists()
