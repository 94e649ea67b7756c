"""Retention: closed, fully synced cases leave the laptop; nothing unsynced ever does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ascms_tui.cli import main
from ascms_tui.domain import CaseComment, CaseFile, Event
from ascms_tui.files import attach_file, stored_path
from ascms_tui.nztime import nz_today
from ascms_tui.retention import plan_purge, purge
from ascms_tui.store import TABLES, Store, StoreError

from .conftest import make_case

LATER = nz_today() + timedelta(days=45)  # the cases below were closed today; 45 days on they are due


def _sync_all(store: Store) -> None:
    """What a successful sync does to the journal: every open change done."""
    for change in store.changes(status="pending"):
        store.record_pushed(change.record_type, [(change.record_id, None, [change.change_id])])


def _closed_case(store: Store, number: str, tmp_path, *, name: str = "Tamati Purgeable"):
    case = store.create(make_case(number, student={"name": name}))
    store.create(Event(case_id=case.id, subject="Home Visit", start="2026-06-04T14:00:00+12:00"))
    source = tmp_path / f"{number}.txt"
    source.write_bytes(b"invented document")
    attached = attach_file(store, case.id, source, base=tmp_path / "data")
    store.save_draft(f"comment:{case.id}", "comment", {"body": "half typed"}, case_id=case.id)
    store.change_status(case.id, "Closed", "Enrolled")
    return case, attached


def _rows_of(store: Store, case_id: str) -> int:
    total = 0
    for table in TABLES.values():
        column = "id" if table == "cases" else "case_id"
        total += store.read(f"SELECT count(*) FROM {table} WHERE {column} = ?", (case_id,))[0][0]
    for table in ("changes", "drafts", "case_list"):
        total += store.read(f"SELECT count(*) FROM {table} WHERE case_id = ?", (case_id,))[0][0]
    return total


def test_a_closed_synced_case_is_purged_with_its_records_journal_drafts_and_files(store, tmp_path):
    gone, attached = _closed_case(store, "00000001", tmp_path)
    kept = store.create(make_case("00000002"))
    _sync_all(store)
    removed = purge(store, 30, LATER, files_base=tmp_path / "data")
    assert [c.case_number for c in removed] == ["00000001"]
    assert _rows_of(store, gone.id) == 0
    assert not stored_path(attached, tmp_path / "data").exists()
    assert [c.case_number for c in store.cases()] == ["00000002"]
    assert store.changes(status=None, case_id=kept.id)  # the other case keeps its history
    assert store.changes(status="pending") == []  # nothing queued: AS-CMS keeps the case
    assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_purged_text_does_not_linger_in_the_file(tmp_path):
    path = tmp_path / "cases.sqlite3"
    with Store(path) as store:
        _case, _ = _closed_case(store, "00000001", tmp_path, name="Zebedee Uniquelyinvented")
        _sync_all(store)
        purge(store, 30, LATER, files_base=tmp_path / "data")
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("cases.sqlite3*"))
    assert b"Zebedee" not in raw  # overwritten (secure_delete), and the WAL checkpointed


def test_unsynced_or_set_aside_changes_keep_a_case(store, tmp_path):
    pending, _ = _closed_case(store, "00000001", tmp_path)
    aside, _ = _closed_case(store, "00000002", tmp_path)
    _sync_all(store)
    store.create(CaseComment(case_id=pending.id, body="Late note after closing"))  # pending
    late = store.create(CaseComment(case_id=aside.id, body="Refused by AS-CMS"))
    [change] = [c for c in store.changes() if c.record_id == late.id]
    store.record_push_failed([([change.change_id], "FIELD_INTEGRITY_EXCEPTION", True)])  # set aside

    plan = plan_purge(store, 30, LATER)
    assert plan.purgeable == []
    assert sorted(c.case_number for c in plan.kept_unsynced) == ["00000001", "00000002"]
    assert purge(store, 30, LATER, files_base=tmp_path / "data") == []
    with pytest.raises(StoreError, match="AS-CMS does not have yet"):
        store.purge_case(pending.id)
    assert len(store.cases()) == 2


def test_recently_closed_and_open_cases_stay(store, tmp_path):
    _closed, _ = _closed_case(store, "00000001", tmp_path)
    store.create(make_case("00000002"))
    _sync_all(store)
    assert plan_purge(store, 30, nz_today() + timedelta(days=10)).due == []
    assert [c.case_number for c in plan_purge(store, 30, LATER).due] == ["00000001"]
    with pytest.raises(StoreError, match="not Closed"):
        store.purge_case(store.find_case("00000002").id)
    with pytest.raises(ValueError, match="0 days or more"):
        plan_purge(store, -1, LATER)


def test_purge_command_lists_on_a_dry_run_and_removes_otherwise(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    db = tmp_path / "cases.sqlite3"
    with Store(db) as store:
        case, attached = _closed_case(store, "00000001", tmp_path)
        store.create(CaseComment(case_id=case.id, body="x"))
        _closed_case(store, "00000002", tmp_path)
        pending = store.changes()
        for change in pending:
            if change.record_type != "comment":
                store.record_pushed(change.record_type, [(change.record_id, None, [change.change_id])])
    # Closed today: --days 0 does not reach them either (closed 0 days ago is not more than 0).
    assert main(["--db", str(db), "purge", "--dry-run", "--days", "0"]) == 0
    assert "0 closed cases would be removed" in capsys.readouterr().out
    monkeypatch.setattr("ascms_tui.nztime.nz_today", lambda: LATER)
    assert main(["--db", str(db), "purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would go 00000002" in out and "kept     00000001" in out and "nothing was removed" in out
    with Store(db) as store:
        assert len(store.cases()) == 2
    assert main(["--db", str(db), "purge"]) == 0
    out = capsys.readouterr().out
    assert "removed  00000002" in out and "1 closed cases removed" in out
    with Store(db) as store:
        assert [c.case_number for c in store.cases()] == ["00000001"]
        assert store.records(CaseFile, case.id) == [attached]
