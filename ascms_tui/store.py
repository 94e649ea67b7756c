"""The local store: one SQLite file, every write journalled.

Every create, update and delete writes the record and its row in `changes`
(the outbox that sync drains) in one transaction, so a crash can never leave
a change recorded without its journal entry, or the reverse. Nothing else in
the app writes SQL.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .calendar import holiday_table_fingerprint
from .case_list_query import (
    HOLIDAY_TABLE_FACT,
    CaseListRow,
    all_rows,
    case_list_is_current,
)
from .db_connect import connect, passphrase_for, row_type
from .deadlines import deadline_dates
from .domain import (
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
    STATUS_TRANSITIONS,
    STATUSES_NEEDING_REASON,
    Barrier,
    Case,
    CaseRecord,
    CaseStatus,
    ContactRole,
    Plan,
    PlanStatus,
    PlanStep,
    Record,
    Service,
    StatusChange,
    StatusReason,
    Ubnf,
    describe_errors,
)
from .errors import StoreError
from .nztime import nz_date_of_stored, utc_now
from .schema import LATEST_VERSION, MIGRATIONS
from .text import clean_text

R = TypeVar("R", bound=Record)

TABLES: dict[str, str] = {
    "case": "cases",
    "contact": "contacts",
    "event": "events",
    "task": "tasks",
    "comment": "comments",
    "barrier": "barriers",
    "plan": "plans",
    "plan_step": "plan_steps",
    "service": "services",
    "ubnf": "ubnf",
    "info_request": "info_requests",
    "status_change": "status_changes",
    "file": "files",
}


# Identity and sync bookkeeping: never changed by an edit.
_IDENTITY = frozenset({"id", "server_id", "server_version", "case_id", "plan_id", "recorded_at"})


class RecordInvalid(StoreError):
    def __init__(self, model: type[BaseModel], error: ValidationError):
        self.messages = describe_errors(error, model)
        super().__init__(f"{getattr(model, 'label', model.__name__)}: " + "; ".join(self.messages))


class NewerSchemaError(StoreError):
    pass


# --- rows <-> models -----------------------------------------------------------


def _nested_fields(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    if model not in _NESTED:
        _NESTED[model] = _find_nested(model)
    return _NESTED[model]


_NESTED: dict[type[BaseModel], dict[str, type[BaseModel]]] = {}


def _find_nested(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    nested = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested[name] = annotation
    return nested


def to_row(record: Record) -> dict[str, Any]:
    """The record as column values: nested models flattened to `student_name` etc."""
    data = record.model_dump(mode="json")
    for name in _nested_fields(type(record)):
        for key, value in data.pop(name).items():
            data[f"{name}_{key}"] = value
    return data


def from_row(model: type[R], row: dict[str, Any]) -> R:
    data = dict(row)
    for name, nested in _nested_fields(model).items():
        data[name] = {key: data.pop(f"{name}_{key}") for key in nested.model_fields}
    return model.model_validate(data)


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class Change:
    change_id: int
    record_type: str
    record_id: str
    case_id: str | None
    operation: str
    changed_fields: dict[str, dict[str, Any]]
    base_version: str | None
    server_id: str | None
    created_at: str
    status: str
    attempts: int
    last_error: str | None
    actor: str | None


@dataclass(frozen=True, slots=True)
class Draft:
    draft_key: str
    form: str
    case_id: str | None
    record_id: str | None
    content: dict[str, Any]
    updated_at: str


# --- the store -------------------------------------------------------------------


class Store:
    """A case store on one SQLite file. Safe to share between the UI and worker threads."""

    def __init__(self, path: str | Path, *, actor: str | None = None, passphrase: str | None = None):
        self.path = Path(path)
        # Kept for the attachments' key and the lock screen; None for an unencrypted file.
        self.passphrase = passphrase if passphrase is not None else passphrase_for(self.path)
        self.actor = actor or _os_user()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists() and self.path.stat().st_size > 0
        if not self.path.exists():
            # Private from the first byte; SQLite gives the -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._lock = threading.RLock()
        self._conn = connect(self.path, self.passphrase, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = row_type(self._conn)
        self._conn.execute("PRAGMA busy_timeout = 5000")
        # Refuse a newer file before anything (even the journal mode) touches it.
        check_not_newer(self._conn)
        self._conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a laptop that loses power must not lose the last saved note.
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        migrate(self._conn, backup_from=self.path if existed else None, passphrase=self.passphrase)
        with self.transaction() as conn:
            if not case_list_is_current(conn):
                _refresh_case_list(conn, None)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- reads --------------------------------------------------------------------

    def get(self, model: type[R], record_id: str) -> R | None:
        row = self._query_one(f"SELECT * FROM {TABLES[model.record_type]} WHERE id = ?", (record_id,))
        return from_row(model, row) if row else None

    def find_case(self, case_number: str) -> Case | None:
        row = self._query_one("SELECT * FROM cases WHERE case_number = ?", (case_number,))
        return from_row(Case, row) if row else None

    def cases(self) -> list[Case]:
        return [from_row(Case, row) for row in self._query("SELECT * FROM cases ORDER BY case_number")]

    def records(self, model: type[R], case_id: str) -> list[R]:
        table = TABLES[model.record_type]
        rows = self._query(f"SELECT * FROM {table} WHERE case_id = ? ORDER BY recorded_at, rowid", (case_id,))
        return [from_row(model, row) for row in rows]

    def changes(self, *, status: str | None = "pending", case_id: str | None = None) -> list[Change]:
        sql, params = "SELECT * FROM changes WHERE 1=1", []
        if status is not None:
            sql, params = sql + " AND status = ?", [*params, status]
        if case_id is not None:
            sql, params = sql + " AND case_id = ?", [*params, case_id]
        rows = self._query(sql + " ORDER BY change_id", params)
        return [
            Change(**{**row, "changed_fields": json.loads(row["changed_fields"])})
            for row in rows
        ]

    def count(self, model: type[Record]) -> int:
        return self._conn.execute(f"SELECT COUNT(*) FROM {TABLES[model.record_type]}").fetchone()[0]

    def case_list_rows(self) -> list[CaseListRow]:
        with self._lock:
            return all_rows(self._conn)

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._conn.cursor()
            cursor.row_factory = None  # zip with the column names: a third of dict(sqlite3.Row)'s cost
            rows = cursor.execute(sql, tuple(params)).fetchall()
            names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row)) for row in rows]

    def _query_one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        rows = self._query(sql, params)
        return rows[0] if rows else None

    # -- writes ---------------------------------------------------------------------

    def create(self, record: R) -> R:
        """Add a new record and queue it for upload."""
        return self.create_all([record])[0]

    def create_all(self, records: list[Record]) -> list[Record]:
        """Add several records in one transaction (a plan and its steps), parents first."""
        records = [_revalidate(record) for record in records]
        with self.transaction() as conn:
            for record in records:
                self._check_parents(conn, record)
                row = to_row(record)
                _insert(conn, TABLES[record.record_type], [row])
                self._journal(conn, record, "create", {k: {"old": None, "new": v} for k, v in _content(row).items()})
            for record in records:
                self._check_plan_rule(conn, record)
            _refresh_case_list(conn, {_case_of(record) for record in records})
        return records

    def change_status(self, case_id: str, to_status: str, reason: str | None = None) -> Case:
        """Move a case to another stage: the case and a Status change record, in one transaction."""
        with self.transaction() as conn:
            case = self._get_in(conn, Case, case_id)
            target = CaseStatus(to_status)
            if target not in STATUS_TRANSITIONS[case.status]:
                allowed = ", ".join(sorted(STATUS_TRANSITIONS[case.status]))
                raise StoreError(f"A case cannot go from {case.status} to {target}; from {case.status} it can go to {allowed}")
            if target in STATUSES_NEEDING_REASON and not reason:
                raise StoreError(f"Moving a case to {target} needs a reason")
            reason_value = StatusReason(reason) if reason else None
            change = _validated(StatusChange, {"case_id": case_id, "from_status": case.status, "to_status": target,
                                               "reason": reason_value})
            updated = self._update_in(conn, Case, case_id, {"status": target, "status_reason": reason_value})
            row = to_row(change)
            _insert(conn, TABLES[change.record_type], [row])
            self._journal(conn, change, "create", {k: {"old": None, "new": v} for k, v in _content(row).items()})
            _refresh_case_list(conn, [case_id])
        return updated

    def update(self, model: type[R], record_id: str, changes: dict[str, Any]) -> R:
        """Change some fields of a record; only fields whose value differs are journalled."""
        with self.transaction() as conn:
            updated = self._update_in(conn, model, record_id, changes)
            _refresh_case_list(conn, [_case_of(updated)])
        return updated

    def _update_in(self, conn: sqlite3.Connection, model: type[R], record_id: str, changes: dict[str, Any]) -> R:
        current = self._get_in(conn, model, record_id)
        merged = current.model_dump()
        for key, value in changes.items():
            if key in _IDENTITY and value != merged.get(key):
                raise StoreError(f"The {key} of a {model.label} cannot be changed")
            if key in _nested_fields(model) and isinstance(value, dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        updated = _validated(model, merged)
        self._check_parents(conn, updated)
        old_row, new_row = to_row(current), to_row(updated)
        diff = {
            key: {"old": old_row[key], "new": value}
            for key, value in new_row.items()
            if old_row[key] != value
        }
        if not diff:
            return current
        assignments = ", ".join(f'"{key}" = ?' for key in diff)
        conn.execute(
            f"UPDATE {TABLES[model.record_type]} SET {assignments} WHERE id = ?",
            [*(new_row[key] for key in diff), record_id],
        )
        self._journal(conn, current, "update", diff)
        self._check_plan_rule(conn, updated)
        return updated

    def delete(self, model: type[Record], record_id: str) -> None:
        """Remove a record (and a plan's steps); the removal is queued for upload too."""
        with self.transaction() as conn:
            case_id = _case_of(self._get_in(conn, model, record_id))
            self._delete_in(conn, model, record_id)
            _refresh_case_list(conn, [case_id])

    def _delete_in(self, conn: sqlite3.Connection, model: type[Record], record_id: str, *, with_plan: bool = False) -> None:
        current = self._get_in(conn, model, record_id)
        if isinstance(current, Case):
            for table in TABLES.values():
                if table != "cases" and conn.execute(
                    f"SELECT 1 FROM {table} WHERE case_id = ? LIMIT 1", (record_id,)
                ).fetchone():
                    raise StoreError(
                        f"Case {current.case_number} still has records; remove them first"
                    )
        if isinstance(current, Plan):
            for (step_id,) in conn.execute("SELECT id FROM plan_steps WHERE plan_id = ?", (record_id,)).fetchall():
                self._delete_in(conn, PlanStep, step_id, with_plan=True)
        if isinstance(current, Barrier):
            # A service or UBNF grant outlives the barrier it addressed; only the link goes.
            for linked in (Service, Ubnf):
                table = TABLES[linked.record_type]
                for (linked_id,) in conn.execute(f"SELECT id FROM {table} WHERE barrier_id = ?", (record_id,)).fetchall():
                    before = self._get_in(conn, linked, linked_id)
                    conn.execute(f"UPDATE {table} SET barrier_id = NULL WHERE id = ?", (linked_id,))
                    self._journal(conn, before, "update", {"barrier_id": {"old": record_id, "new": None}})
        old = _content(to_row(current))
        conn.execute(f"DELETE FROM {TABLES[model.record_type]} WHERE id = ?", (record_id,))
        self._journal(conn, current, "delete", {k: {"old": v, "new": None} for k, v in old.items()})
        if isinstance(current, PlanStep) and not with_plan:
            plan = self._get_in(conn, Plan, current.plan_id)
            self._check_plan_rule(conn, plan, removing_step=True)

    def save_plan(self, plan_id: str, changes: dict[str, Any], steps: list[PlanStep]) -> Plan:
        """Edit a plan and set its steps to `steps` (added, changed, removed) in one transaction.

        The plan rule is checked once, on the result: a plan may lose its last
        step and go back to Draft in the same save, but not stay In Progress.
        """
        steps = [_revalidate(step) for step in steps]
        with self.transaction() as conn:
            plan = self._get_in(conn, Plan, plan_id)
            existing = {row[0] for row in conn.execute("SELECT id FROM plan_steps WHERE plan_id = ?", (plan_id,))}
            for step in steps:
                if step.plan_id != plan_id:
                    raise StoreError("A plan step must belong to the plan being saved")
                if step.id in existing:
                    self._update_in(conn, PlanStep, step.id, {k: v for k, v in step.model_dump().items()
                                                              if k not in _IDENTITY})
                else:
                    self._check_parents(conn, step)
                    row = to_row(step)
                    _insert(conn, TABLES[step.record_type], [row])
                    self._journal(conn, step, "create", {k: {"old": None, "new": v} for k, v in _content(row).items()})
            for step_id in existing - {step.id for step in steps}:
                self._delete_in(conn, PlanStep, step_id, with_plan=True)
            saved = self._update_in(conn, Plan, plan.id, changes)
            self._check_plan_rule(conn, saved)
            _refresh_case_list(conn, [plan.case_id])
        return saved

    def case_owners(self) -> list[str]:
        """Every case owner named on this laptop, for choosing one."""
        rows = self._query("SELECT DISTINCT case_owner FROM cases WHERE case_owner IS NOT NULL ORDER BY case_owner")
        return [r["case_owner"] for r in rows]

    def import_records(self, records: list[Record], pending_ids: set[str] = frozenset()) -> int:
        """Add many records at once, all or nothing. Returns how many were queued for upload.

        A record without a central Id exists only here, so it is queued as a
        create. One with an Id came from AS-CMS and needs nothing, unless the
        exporting laptop still had changes to it waiting (`pending_ids`).
        """
        by_table: dict[str, list[dict[str, Any]]] = {}
        journal_rows = []
        now = utc_now().isoformat()
        for record in records:
            row = to_row(record)
            by_table.setdefault(TABLES[record.record_type], []).append(row)
            if record.server_id is None or record.id in pending_ids:
                operation = "create" if record.server_id is None else "update"
                fields = {k: {"old": None, "new": v} for k, v in _content(row).items()}
                journal_rows.append(_journal_row(record, operation, fields, now, self.actor))
        with self.transaction() as conn:
            # Parents first, so foreign keys hold at every insert.
            for table in TABLES.values():
                if table in by_table:
                    _insert(conn, table, by_table[table])
            _insert(conn, "changes", journal_rows)
            _refresh_case_list(conn, {_case_of(record) for record in records})
        return len(journal_rows)

    def existing_ids(self, table: str, ids: list[str]) -> set[str]:
        if table not in TABLES.values():
            raise ValueError(f"unknown table {table}")
        found: set[str] = set()
        for chunk in chunks(ids):
            marks = ", ".join("?" * len(chunk))
            found.update(r["id"] for r in self._query(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk))
        return found

    def existing_case_numbers(self, numbers: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(numbers):
            marks = ", ".join("?" * len(chunk))
            rows = self._query(f"SELECT case_number FROM cases WHERE case_number IN ({marks})", chunk)
            found.update(r["case_number"] for r in rows)
        return found

    def existing_server_ids(self, table: str, server_ids: list[str]) -> set[str]:
        """Which of these AS-CMS Ids records of `table` here already carry."""
        if table not in TABLES.values():
            raise ValueError(f"unknown table {table}")
        found: set[str] = set()
        for chunk in chunks(server_ids):
            marks = ", ".join("?" * len(chunk))
            found.update(r[0] for r in self.read(f"SELECT server_id FROM {table} WHERE server_id IN ({marks})", chunk))
        return found

    def read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """A read-only query for the core's rules and reports (screens call those, never SQL).

        Rows are plain tuples: checks over a whole caseload read tens of thousands.
        """
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise ValueError("Store.read runs SELECT queries only; writes go through create/update/delete")
        with self._lock:
            cursor = self._conn.cursor()
            cursor.row_factory = None
            return cursor.execute(sql, tuple(params)).fetchall()

    def cases_with_counted_plan(self) -> set[str]:
        """Cases holding a Plan that reporting counts: status In Progress with at least one step."""
        rows = self._query(
            "SELECT DISTINCT p.case_id FROM plans p WHERE p.status = ? "
            "AND EXISTS (SELECT 1 FROM plan_steps s WHERE s.plan_id = p.id)",
            (PlanStatus.IN_PROGRESS.value,),
        )
        return {r["case_id"] for r in rows}

    # -- reads for the "will it count" rule (ascms_tui/uncounted.py) --------------------------------

    def event_subjects(self) -> list[str]:
        """Every distinct Event subject recorded."""
        return [r["subject"] for r in self._query("SELECT DISTINCT subject FROM events")]

    def events_with_subjects(self, subjects: Iterable[str]) -> list[tuple[str, str, str]]:
        """(id, case id, subject) of the Events with one of these subjects."""
        found: list[tuple[str, str, str]] = []
        for chunk in chunks(sorted(set(subjects))):
            marks = ", ".join("?" * len(chunk))
            found += [(r["id"], r["case_id"], r["subject"]) for r in self._query(
                f"SELECT id, case_id, subject FROM events WHERE subject IN ({marks}) ORDER BY case_id, start, recorded_at, rowid",
                chunk)]
        return found

    def plans_with_step_counts(self) -> list[tuple[str, str, str, str, int]]:
        """(id, case id, status, goals, number of steps) of every plan."""
        return [(r["id"], r["case_id"], r["status"], r["goals"], r["steps"]) for r in self._query(
            "SELECT p.id, p.case_id, p.status, p.goals, "
            "(SELECT COUNT(*) FROM plan_steps s WHERE s.plan_id = p.id) AS steps FROM plans p ORDER BY p.case_id")]

    def file_names(self) -> list[tuple[str, str, str]]:
        """(id, case id, file name) of every attached file."""
        return [(r["id"], r["case_id"], r["file_name"]) for r in self._query(
            "SELECT id, case_id, file_name FROM files ORDER BY case_id, recorded_at")]

    def migrated_cases_without_owner(self) -> list[tuple[str, str]]:
        """(id, case number) of migrated cases with no Case Owner."""
        return [(r["id"], r["case_number"]) for r in self._query(
            "SELECT id, case_number FROM cases WHERE migrated != 0 AND (case_owner IS NULL OR case_owner = '') "
            "ORDER BY case_number")]

    def records_with_open_changes(self) -> set[str]:
        """Ids of records whose changes have not reached AS-CMS yet."""
        return {r["record_id"] for r in self._query("SELECT DISTINCT record_id FROM changes WHERE status != 'done'")}

    # -- helpers ------------------------------------------------------------------------

    def _get_in(self, conn: sqlite3.Connection, model: type[R], record_id: str) -> R:
        row = conn.execute(f"SELECT * FROM {TABLES[model.record_type]} WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise StoreError(f"No {model.label} with id {record_id}")
        return from_row(model, dict(row))

    def _check_parents(self, conn: sqlite3.Connection, record: Record) -> None:
        if isinstance(record, CaseRecord) and not conn.execute(
            "SELECT 1 FROM cases WHERE id = ?", (record.case_id,)
        ).fetchone():
            raise StoreError(f"No case with id {record.case_id} for this {record.label}")
        if isinstance(record, PlanStep):
            plan = conn.execute("SELECT case_id FROM plans WHERE id = ?", (record.plan_id,)).fetchone()
            if plan is None or plan[0] != record.case_id:
                raise StoreError("A plan step must belong to a plan of the same case")
        barrier_id = getattr(record, "barrier_id", None)
        if barrier_id is not None:
            owner = conn.execute("SELECT case_id FROM barriers WHERE id = ?", (barrier_id,)).fetchone()
            if owner is None or owner[0] != record.case_id:
                raise StoreError("The linked barrier must belong to the same case")
        if isinstance(record, Case):
            clash = conn.execute(
                "SELECT id FROM cases WHERE case_number = ? AND id != ?", (record.case_number, record.id)
            ).fetchone()
            if clash:
                raise StoreError(f"Case number {record.case_number} is already in this store")
        if record.server_id is not None and conn.execute(
            f"SELECT 1 FROM {TABLES[record.record_type]} WHERE server_id = ? AND id != ?", (record.server_id, record.id)
        ).fetchone():
            raise StoreError(f"AS-CMS Id {record.server_id} already belongs to another {record.label} in this store")

    def _check_plan_rule(self, conn: sqlite3.Connection, record: Record, *, removing_step: bool = False) -> None:
        """A Plan is In Progress only with at least one step: reporting counts nothing less."""
        if not isinstance(record, Plan) or record.status != PlanStatus.IN_PROGRESS:
            return
        if conn.execute("SELECT 1 FROM plan_steps WHERE plan_id = ? LIMIT 1", (record.id,)).fetchone() is None:
            if removing_step:
                raise StoreError(
                    "This is the plan's only step, and an In Progress plan needs at least one. "
                    "Add another step first, or set the plan back to Draft."
                )
            raise StoreError(
                "A plan can only be In Progress once it has at least one step (an action, who is responsible "
                "and when): reporting does not count a plan without one. Add a step, or keep it as Draft."
            )

    def _journal(self, conn: sqlite3.Connection, record: Record, operation: str, fields: dict) -> None:
        _insert(conn, "changes", [_journal_row(record, operation, fields, utc_now().isoformat(), self.actor)])

    # -- drafts: typed text not yet saved (not records, so not journalled) ----------

    def save_draft(self, draft_key: str, form: str, content: dict[str, Any], *,
                   case_id: str | None = None, record_id: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO drafts (draft_key, form, case_id, record_id, content, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (draft_key) DO UPDATE SET "
                "content = excluded.content, updated_at = excluded.updated_at",
                (draft_key, form, case_id, record_id, json.dumps(content, ensure_ascii=False),
                 utc_now().isoformat()),
            )

    def drafts(self) -> list[Draft]:
        rows = self._query("SELECT * FROM drafts ORDER BY updated_at")
        return [Draft(**{**row, "content": json.loads(row["content"])}) for row in rows]

    def discard_draft(self, draft_key: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM drafts WHERE draft_key = ?", (draft_key,))

    # -- retention: removing a closed, fully synced case from this laptop ----------------

    def purge_case(self, case_id: str) -> list[tuple[str, str]]:
        """Remove a Closed case whose every change AS-CMS has, with its journal, drafts and sync rows.

        Local only: nothing is queued for AS-CMS, which keeps the case. Refused
        (nothing removed) while any change is pending or set aside, or a
        conflict is open: checked in the same transaction as the removal.
        Returns (record id, file name) of its File records, whose copies the
        caller removes.
        """
        with self.transaction() as conn:
            case = self._get_in(conn, Case, case_id)
            if case.status != CaseStatus.CLOSED:
                raise StoreError(f"Case {case.case_number} is {case.status}, not Closed; it is kept")
            unsynced = conn.execute(
                "SELECT (SELECT count(*) FROM changes WHERE (case_id = ?1 OR record_id = ?1) AND status != 'done'),"
                " (SELECT count(*) FROM conflicts WHERE case_id = ?1 AND resolved_at IS NULL)", (case_id,)
            ).fetchone()
            if any(unsynced):
                raise StoreError(f"Case {case.case_number} has changes AS-CMS does not have yet; it is kept")
            files = [tuple(row) for row in conn.execute("SELECT id, file_name FROM files WHERE case_id = ?", (case_id,))]
            record_ids = [case_id] + [
                row[0] for table in TABLES.values() if table != "cases"
                for row in conn.execute(f"SELECT id FROM {table} WHERE case_id = ?", (case_id,))
            ]
            _remove_unjournalled(conn, "case", case_id)
            for chunk in chunks(record_ids):
                marks = ", ".join("?" * len(chunk))
                for table, column in (("changes", "record_id"), ("conflicts", "record_id"), ("sync_sent", "record_id"),
                                      ("drafts", "record_id")):
                    conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
            for table in ("changes", "conflicts", "drafts", "case_list"):
                conn.execute(f"DELETE FROM {table} WHERE case_id = ?", (case_id,))
        # The deleted pages leave the WAL for the (securely overwritten) main file.
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return files

    # -- sync: the bookkeeping of ascms_tui/sync (its writes, one transaction each) ------
    # Sync writes server Ids, versions and pulled values without journalling them:
    # they are AS-CMS's state arriving, not changes to send back.

    def open_changes(self) -> list[Change]:
        """Changes not yet in AS-CMS (pending or set aside), oldest first."""
        rows = self._query("SELECT * FROM changes WHERE status != 'done' ORDER BY change_id")
        return [Change(**{**row, "changed_fields": json.loads(row["changed_fields"])}) for row in rows]

    def set_aside_changes(self) -> list[Change]:
        """Changes AS-CMS refused, each with the server's message in `last_error`, for the user to fix."""
        return self.changes(status="set_aside")

    def retry_change(self, change_id: int) -> None:
        """Put a set-aside change back in the queue (editing its record does this too)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT case_id FROM changes WHERE change_id = ? AND status = 'set_aside'",
                               (change_id,)).fetchone()
            if row is None:
                raise StoreError(f"Change {change_id} is not set aside")
            conn.execute("UPDATE changes SET status = 'pending' WHERE change_id = ?", (change_id,))

    def sync_rows(self, record_type: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Current rows of these records by local id (records deleted here are missing)."""
        table, found = TABLES[record_type], {}
        for chunk in chunks(sorted(set(ids))):
            marks = ", ".join("?" * len(chunk))
            for row in self._query(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk):
                found[row["id"]] = row
        return found

    def sync_server_ids(self, record_type: str, ids: Iterable[str]) -> dict[str, str | None]:
        """Local id -> server Id (None until AS-CMS has the record)."""
        table, found = TABLES[record_type], {}
        for chunk in chunks(sorted(set(ids))):
            marks = ", ".join("?" * len(chunk))
            for row in self._query(f"SELECT id, server_id FROM {table} WHERE id IN ({marks})", chunk):
                found[row["id"]] = row["server_id"]
        return found

    def local_ids(self, record_type: str, server_ids: Iterable[str]) -> dict[str, str]:
        """AS-CMS Id -> local id, for the records of this type held here."""
        with self._lock:
            return _local_ids(self._conn, TABLES[record_type], list(server_ids))

    def server_ids_held(self, record_type: str, server_ids: Iterable[str]) -> set[str]:
        """Which of these AS-CMS Ids belong to a record here: a live one, or one deleted here whose
        delete is still queued (its Id is still its own until the delete reaches AS-CMS)."""
        table, held = TABLES[record_type], set()
        for chunk in chunks(sorted(set(server_ids))):
            marks = ", ".join("?" * len(chunk))
            held.update(r["server_id"] for r in self._query(
                f"SELECT server_id FROM {table} WHERE server_id IN ({marks}) UNION "
                f"SELECT server_id FROM changes WHERE record_type = ? AND operation = 'delete' "
                f"AND status != 'done' AND server_id IN ({marks})", [*chunk, record_type, *chunk]))
        return held

    def sync_sent(self, record_type: str) -> dict[str, str]:
        """Creates of this type sent without a known outcome: record id -> when sent."""
        rows = self._query("SELECT record_id, sent_at FROM sync_sent WHERE record_type = ?", (record_type,))
        return {r["record_id"]: r["sent_at"] for r in rows}

    def mark_sent(self, record_type: str, record_ids: Iterable[str]) -> None:
        """Note, before the request goes, that these creates are about to be sent."""
        now = utc_now().isoformat()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO sync_sent (record_id, record_type, sent_at) VALUES (?, ?, ?) "
                "ON CONFLICT (record_id) DO UPDATE SET sent_at = excluded.sent_at",
                [(rid, record_type, now) for rid in record_ids],
            )

    def clear_sent(self, record_ids: Iterable[str]) -> None:
        """The server answered for these creates (rejected them): their outcome is known."""
        with self.transaction() as conn:
            conn.executemany("DELETE FROM sync_sent WHERE record_id = ?", [(rid,) for rid in record_ids])

    def record_pushed(self, record_type: str, results: Iterable[tuple[str, str | None, list[int]]]) -> None:
        """AS-CMS accepted these records: (record id, server Id, change ids) each.

        Stores the server Id, marks the changes done and settles kept-local
        conflict resolutions, whose value AS-CMS now holds.
        """
        table = TABLES[record_type]
        results = list(results)
        with self.transaction() as conn:
            for record_id, server_id, change_ids in results:
                if server_id is not None:
                    conn.execute(f"UPDATE {table} SET server_id = ? WHERE id = ? AND server_id IS NOT ?",
                                 (server_id, record_id, server_id))
                conn.executemany("UPDATE changes SET status = 'done', last_error = NULL, server_id = "
                                 "COALESCE(server_id, ?) WHERE change_id = ?",
                                 [(server_id, cid) for cid in change_ids])
                conn.execute("DELETE FROM sync_sent WHERE record_id = ?", (record_id,))
                conn.execute("UPDATE conflicts SET settled = 1 WHERE record_id = ? AND resolved_at IS NOT NULL",
                             (record_id,))
            _refresh_case_list(conn, self._cases_of_changes(conn, [c for _, _, ids in results for c in ids]))

    def record_push_failed(self, failures: Iterable[tuple[list[int], str, bool]]) -> None:
        """(change ids, message, permanent) each: a permanent refusal sets the changes aside."""
        with self.transaction() as conn:
            for change_ids, message, permanent in failures:
                conn.executemany(
                    "UPDATE changes SET attempts = attempts + 1, last_error = ?, "
                    "status = CASE WHEN ? THEN 'set_aside' ELSE status END WHERE change_id = ?",
                    [(message, permanent, cid) for cid in change_ids],
                )

    def _cases_of_changes(self, conn: sqlite3.Connection, change_ids: list[int]) -> set[str]:
        cases: set[str] = set()
        for chunk in chunks(change_ids):
            marks = ", ".join("?" * len(chunk))
            cases.update(r[0] for r in conn.execute(
                f"SELECT DISTINCT case_id FROM changes WHERE change_id IN ({marks}) AND case_id IS NOT NULL", chunk))
        return cases

    def pull_cursor(self, sobject: str) -> str | None:
        row = self._query_one("SELECT modstamp FROM sync_cursors WHERE sobject = ?", (sobject,))
        return row["modstamp"] if row else None

    def set_pull_cursor(self, sobject: str, modstamp: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO sync_cursors (sobject, modstamp) VALUES (?, ?) "
                         "ON CONFLICT (sobject) DO UPDATE SET modstamp = excluded.modstamp", (sobject, modstamp))

    def sync_value(self, key: str) -> str | None:
        row = self._query_one("SELECT value FROM sync_state WHERE key = ?", (key,))
        return row["value"] if row else None

    def set_sync_value(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def sync_counts(self) -> dict[str, int]:
        """For the footer and the summary: queued and set-aside changes, open conflicts."""
        row = self._query_one(
            "SELECT (SELECT COUNT(*) FROM changes WHERE status = 'pending') AS queued, "
            "(SELECT COUNT(*) FROM changes WHERE status = 'set_aside') AS set_aside, "
            "(SELECT COUNT(*) FROM conflicts WHERE resolved_at IS NULL) AS conflicts")
        return dict(row or {})

    def records_in_conflict(self) -> set[str]:
        return {r["record_id"] for r in self._query("SELECT DISTINCT record_id FROM conflicts WHERE resolved_at IS NULL")}

    def conflicts(self, *, open_only: bool = True) -> list[Conflict]:
        """Conflicts for the user to resolve (all, resolved too, with `open_only=False`)."""
        sql = "SELECT * FROM conflicts" + (" WHERE resolved_at IS NULL" if open_only else "") + " ORDER BY conflict_id"
        return [Conflict(**{**row, "local_value": _loads(row["local_value"]), "server_value": _loads(row["server_value"])})
                for row in self._query(sql)]

    def apply_server_records(self, obj: Any, incoming: list[dict[str, Any]]) -> ApplyResult:
        """Bring AS-CMS's state of these records (one sObject, raw query rows) into the store.

        New records are added; a record changed only centrally takes the new
        values; fields changed here and not yet pushed are merged field by field
        (ascms_tui.sync.conflicts), and a field changed on both sides becomes a
        conflict instead of being overwritten. `obj` is the sObject's ObjectMap.
        """
        from .sync.conflicts import merge_record

        result = ApplyResult()
        if not incoming:
            return result
        incoming = [_cleaned(record) for record in incoming]  # untrusted: Ids and references too
        table = TABLES[obj.record_type]
        with self.transaction() as conn:
            by_server = _rows_where(conn, table, "server_id", [r["Id"] for r in incoming])
            by_id: dict[str, dict[str, Any]] = {}
            if obj.external_id:
                offline = [r.get(obj.external_id) for r in incoming if r.get(obj.external_id)]
                by_id = _rows_where(conn, table, "id", offline)
            parent_maps = {
                column: _local_ids(conn, TABLES[parent], [r.get(obj.fields[column]) for r in incoming])
                for column, parent in obj.parents.items()
            }
            local_ids = {row["id"] for row in (*by_server.values(), *by_id.values())}
            open_changes = _open_changes_by_record(conn, local_ids)
            overrides = _base_overrides(conn, local_ids)
            open_conflicts = _open_conflict_fields(conn, local_ids)
            deleted_here = _deleted_here(conn, [r["Id"] for r in incoming], [r.get(obj.external_id) for r in incoming] if obj.external_id else [])
            # A create sent without a known outcome comes back as a stranger: recognise it.
            adoptable = _adoptable_sent(conn, obj) if not obj.external_id else {}
            adopted: set[str] = set()
            touched_cases: set[str] = set()
            for record in incoming:
                server_id, modstamp = record["Id"], record.get("SystemModstamp")
                try:
                    values = obj.from_server(record)
                except ValueError as error:  # a value of the wrong kind: the record waits, the pull goes on
                    result.skip(server_id, f"{obj.label} {server_id}: {error}")
                    continue
                missing_parent = False
                for column in obj.parents:
                    if column in values and values[column] is not None:
                        local_parent = parent_maps[column].get(values[column])
                        if local_parent is None:
                            missing_parent = missing_parent or column != "barrier_id"
                        values[column] = local_parent
                if missing_parent:
                    result.skip(server_id, f"{obj.label} {server_id}: its parent is not in this briefcase")
                    continue
                local = by_server.get(server_id) or (by_id.get(record.get(obj.external_id)) if obj.external_id else None)
                if local is None and (server_id in deleted_here or record.get(obj.external_id or "") in deleted_here):
                    continue  # deleted here; the delete is on its way
                if local is None and adoptable:
                    candidates = adoptable.get(_adoption_key(obj, values), [])
                    if candidates:
                        local = candidates.pop(0)
                        adopted.add(local["id"])
                try:
                    if local is None:
                        row = _new_pulled_row(obj, values, record)
                        try:
                            _insert(conn, table, [row])
                        except sqlite3.IntegrityError as clash:  # e.g. a case number already used here
                            result.skip(server_id, f"{obj.label} {server_id}: clashes with a record here ({clash})")
                            continue
                        result.added += 1
                        result.taken.append(server_id)
                        touched_cases.add(row["id"] if obj.record_type == "case" else row["case_id"])
                        continue
                    outcome = merge_record(obj, local, values, _pending_bases(open_changes.get(local["id"], []), overrides.get(local["id"], {})))
                except (ValidationError, ValueError, TypeError) as error:
                    detail = "; ".join(describe_errors(error, obj.model)) if isinstance(error, ValidationError) else str(error)
                    result.skip(server_id, f"{obj.label} {server_id}: {detail}")
                    continue
                updates = dict(outcome.apply)
                if local.get("server_id") != server_id:
                    updates["server_id"] = server_id
                if modstamp and local.get("server_version") != modstamp:
                    updates["server_version"] = modstamp
                if updates:
                    assignments = ", ".join(f'"{key}" = ?' for key in updates)
                    conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*updates.values(), local["id"]])
                if outcome.apply:
                    result.updated += 1
                result.taken.append(server_id)
                if local["id"] in adopted:
                    _close_open_changes(conn, local["id"], None, creates_only=True)
                    conn.execute("DELETE FROM sync_sent WHERE record_id = ?", (local["id"],))
                now = utc_now().isoformat()
                for column, mine, theirs in outcome.conflicts:
                    known = open_conflicts.get((local["id"], column))
                    if known is not None:
                        conn.execute("UPDATE conflicts SET server_value = ?, server_version = ?, local_value = ? "
                                     "WHERE conflict_id = ?", (_dumps(theirs), modstamp, _dumps(mine), known))
                        continue
                    conn.execute(
                        "INSERT INTO conflicts (record_type, record_id, case_id, kind, field, local_value, server_value, "
                        "server_version, detected_at) VALUES (?, ?, ?, 'field', ?, ?, ?, ?, ?)",
                        (obj.record_type, local["id"], local["id"] if obj.record_type == "case" else local["case_id"],
                         column, _dumps(mine), _dumps(theirs), modstamp, now))
                    result.conflicts += 1
                if outcome.apply:
                    touched_cases.add(local["id"] if obj.record_type == "case" else local["case_id"])
            _refresh_case_list(conn, touched_cases)
        return result

    def take_central_deletions(self, record_type: str, server_ids: Iterable[str]) -> tuple[int, int]:
        """Records AS-CMS deleted (a pull's IsDeleted rows): (removed here, held as conflicts).

        A record with no unsent change here (nor, for a case, any of its records) is removed with
        what hangs off it, unjournalled: AS-CMS's state arriving. One edited here is never removed
        silently: it becomes a 'deleted' conflict for the user.
        """
        table = TABLES[record_type]
        removed = held = 0
        with self.transaction() as conn:
            local = _local_ids(conn, table, list(server_ids))
            for record_id in local.values():
                if _has_unsent_changes(conn, record_type, record_id):
                    held += self._deleted_conflict_in(conn, record_type, record_id)
                    continue
                case_id = record_id if record_type == "case" else conn.execute(
                    f"SELECT case_id FROM {table} WHERE id = ?", (record_id,)).fetchone()[0]
                _remove_unjournalled(conn, record_type, record_id)
                removed += 1
                if record_type != "case":
                    _refresh_case_list(conn, [case_id])
        return removed, held

    def record_skipped(self, sobject: str, record_type: str, reasons: dict[str, str]) -> None:
        """Central records the pull could not take in (server Id -> why), kept until one is."""
        if not reasons:
            return
        now = utc_now().isoformat()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO sync_skipped (sobject, server_id, record_type, reason, first_seen) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (sobject, server_id) DO UPDATE SET reason = excluded.reason",
                [(sobject, server_id, record_type, reason, now) for server_id, reason in reasons.items()])

    def clear_skipped(self, sobject: str, server_ids: Iterable[str]) -> None:
        with self.transaction() as conn:
            conn.executemany("DELETE FROM sync_skipped WHERE sobject = ? AND server_id = ?",
                             [(sobject, server_id) for server_id in server_ids])

    def skipped_records(self, sobject: str | None = None) -> list[dict[str, Any]]:
        """What the pull could not take in: sobject, server_id, record_type, reason, first_seen."""
        if sobject is None:
            return self._query("SELECT * FROM sync_skipped ORDER BY first_seen, server_id")
        return self._query("SELECT * FROM sync_skipped WHERE sobject = ? ORDER BY first_seen, server_id", (sobject,))

    def record_central_deletions(self, record_type: str, record_ids: Iterable[str]) -> int:
        """Records edited here that AS-CMS no longer has: reported as conflicts, never re-created silently."""
        with self.transaction() as conn:
            return sum(self._deleted_conflict_in(conn, record_type, record_id) for record_id in record_ids)

    def _deleted_conflict_in(self, conn: sqlite3.Connection, record_type: str, record_id: str) -> int:
        """A 'deleted' conflict for this record unless one is open already; 1 if one was added."""
        if conn.execute("SELECT 1 FROM conflicts WHERE record_id = ? AND kind = 'deleted' "
                        "AND resolved_at IS NULL", (record_id,)).fetchone():
            return 0
        case_column = "id" if record_type == "case" else "case_id"
        row = conn.execute(f"SELECT {case_column}, server_id FROM {TABLES[record_type]} WHERE id = ?",
                           (record_id,)).fetchone()
        if row is None:
            return 0
        conn.execute(
            "INSERT INTO conflicts (record_type, record_id, case_id, kind, server_value, detected_at) "
            "VALUES (?, ?, ?, 'deleted', ?, ?)",
            (record_type, record_id, row[0], _dumps(row[1]), utc_now().isoformat()))
        return 1

    def resolve_conflict(self, conflict_id: int, choice: str, value: Any = None) -> None:
        """Settle a conflict: 'mine' keeps the local value (it is then pushed over AS-CMS's),
        'theirs' takes AS-CMS's value, 'edit' saves `value` instead (journalled like any edit).

        For a record deleted centrally: 'mine' sends it to AS-CMS again as a new
        record, 'theirs' removes it here too.
        """
        if choice not in ("mine", "theirs", "edit"):
            raise StoreError("A conflict is resolved with 'mine', 'theirs' or 'edit'")
        with self.transaction() as conn:
            found = _dict_rows(conn, "SELECT * FROM conflicts WHERE conflict_id = ? AND resolved_at IS NULL",
                               (conflict_id,))
            if not found:
                raise StoreError(f"Conflict {conflict_id} is not open")
            conflict = Conflict(**{**found[0], "local_value": _loads(found[0]["local_value"]),
                                   "server_value": _loads(found[0]["server_value"])})
            from .domain import RECORD_TYPES

            model = RECORD_TYPES[conflict.record_type]
            table = TABLES[conflict.record_type]
            if conflict.kind == "deleted":
                if choice == "edit":
                    raise StoreError("A record deleted in AS-CMS is either sent again ('mine') or removed here ('theirs')")
                if choice == "mine":
                    record = self._get_in(conn, model, conflict.record_id)
                    conn.execute(f"UPDATE {table} SET server_id = NULL, server_version = NULL WHERE id = ?", (record.id,))
                    _close_open_changes(conn, record.id, "Sent again as a new record (it was deleted in AS-CMS)")
                    record = self._get_in(conn, model, record.id)
                    self._journal(conn, record, "create",
                                  {k: {"old": None, "new": v} for k, v in _content(to_row(record)).items()})
                else:
                    _remove_unjournalled(conn, conflict.record_type, conflict.record_id)
                resolution = "mine" if choice == "mine" else "theirs"
            elif choice == "mine":
                resolution = "mine"
            elif choice == "theirs":
                column = conflict.field
                conn.execute(f'UPDATE {table} SET "{column}" = ? WHERE id = ?',
                             (conflict.server_value, conflict.record_id))
                _drop_field_from_open_changes(conn, conflict.record_id, column)
                resolution = "theirs"
            else:
                self._update_in(conn, model, conflict.record_id, _column_change(model, conflict.field, value))
                resolution = "edited"
            conn.execute("UPDATE conflicts SET resolution = ?, resolved_at = ?, settled = ? WHERE conflict_id = ?",
                         (resolution, utc_now().isoformat(), 1 if resolution == "theirs" or conflict.kind == "deleted" else 0,
                          conflict_id))
            if conflict.case_id and conn.execute("SELECT 1 FROM cases WHERE id = ?", (conflict.case_id,)).fetchone():
                _refresh_case_list(conn, [conflict.case_id])


def _case_of(record: Record) -> str:
    return record.id if isinstance(record, Case) else record.case_id


def _refresh_case_list(conn: sqlite3.Connection, case_ids: Iterable[str] | None) -> None:
    """Recompute the case list rows of these cases (all when None) from the source tables."""
    if case_ids is None:
        batches: Iterable[list[str] | None] = [None]
    else:
        batches = chunks(sorted(set(case_ids)))
    for chunk in batches:
        sql, params = _CASE_LIST_SQL, [INITIAL_SCHOOL_MEETING, INITIAL_WHANAU_MEETING, *WHANAU_CONTACT_ROLES]
        if chunk is not None:
            sql += f" WHERE c.id IN ({', '.join('?' * len(chunk))})"
            params += chunk
        rows = []
        for row in conn.execute(sql, params):
            row = list(row)
            for index in (10, 11):  # earliest meeting: a UTC instant, listed as its NZ date
                if row[index]:
                    row[index] = nz_date_of_stored(row[index]).isoformat()
            row += [due.isoformat() for due in deadline_dates(date.fromisoformat(row[8])).values()]
            rows.append(row)
        conn.executemany(f"INSERT OR REPLACE INTO case_list VALUES ({', '.join('?' * len(CaseListRow._fields))})",
                         rows)
    if case_ids is None:
        conn.execute("INSERT OR REPLACE INTO local_facts VALUES (?, ?)",
                     (HOLIDAY_TABLE_FACT, holiday_table_fingerprint()))


# "Engage with the student and caregiver(s), where current contact details are held": the whānau
# measures apply only when current details are held for the student, a caregiver or a whānau member
# (a current school contact does not count). Schema 8 recomputed existing rows with the same roles.
WHANAU_CONTACT_ROLES = (ContactRole.STUDENT.value, ContactRole.PARENT_CAREGIVER.value, ContactRole.WHANAU.value)

_CASE_LIST_SQL = """
SELECT c.id, c.case_number, COALESCE(c.student_known_as, c.student_name), c.student_name, c.case_type,
       c.status, COALESCE(c.school_name, ''), c.case_owner, c.referral_date, c.migrated,
       (SELECT MIN(start) FROM events e WHERE e.subject = ?1 AND e.case_id = c.id),
       (SELECT MIN(start) FROM events e WHERE e.subject = ?2 AND e.case_id = c.id),
       EXISTS (SELECT 1 FROM contacts k WHERE k.case_id = c.id AND k.details_current = 1
               AND k.role IN (?3, ?4, ?5)),
       (SELECT COUNT(*) FROM changes g WHERE g.case_id = c.id AND g.status != 'done')
FROM cases c"""


def _content(row: dict[str, Any]) -> dict[str, Any]:
    """The user-visible fields of a row (identity and sync bookkeeping left out)."""
    return {
        key: value
        for key, value in row.items()
        if key not in ("id", "server_id", "server_version") and value not in (None, "")
    }


def _journal_row(record: Record, operation: str, fields: dict, now: str, actor: str) -> dict[str, Any]:
    return {
        "actor": actor,
        "record_type": record.record_type,
        "record_id": record.id,
        "case_id": record.id if isinstance(record, Case) else record.case_id,
        "operation": operation,
        "changed_fields": json.dumps(fields, ensure_ascii=False, default=_json_value),
        "base_version": record.server_version,
        "server_id": record.server_id,
        "created_at": now,
    }


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    sql = f"INSERT INTO {table} ({', '.join(chr(34) + c + chr(34) for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn.executemany(sql, ([row[c] for c in columns] for row in rows))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    """Slices of `items` small enough for one IN (...) list (SQLite limits bound variables)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _validated(model: type[R], data: dict[str, Any]) -> R:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RecordInvalid(model, error) from None


def _revalidate(record: R) -> R:
    # model_copy(update=...) skips validation; nothing unvalidated reaches the file.
    return _validated(type(record), record.model_dump())


# --- migrations --------------------------------------------------------------------


def check_not_newer(conn: sqlite3.Connection) -> int:
    """The file's schema version; an error if a newer ascms-tui wrote it."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > LATEST_VERSION:
        raise NewerSchemaError(
            f"This database was written by a newer ascms-tui (schema {version}; this version "
            f"knows up to {LATEST_VERSION}). Update ascms-tui; the file has not been changed."
        )
    return version


def migrate(conn: sqlite3.Connection, *, target: int = LATEST_VERSION, backup_from: Path | None = None,
            passphrase: str | None = None) -> int:
    """Bring the file forward to `target`, one step per transaction. Returns the version."""
    version = check_not_newer(conn)
    if version < target and version > 0 and backup_from is not None:
        # A copy of the file as it was, in case a migration surprises us in the field.
        backup = backup_from.with_name(f"{backup_from.name}.schema-{version}.bak")
        # The backup is encrypted with the same passphrase as the file it copies.
        backup.unlink(missing_ok=True)
        with closing(connect(backup, passphrase)) as copy:
            conn.backup(copy)
        shutil.copymode(backup_from, backup)
    while version < target:
        step = MIGRATIONS[version]
        version += 1
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{step}\nPRAGMA user_version = {version};\nCOMMIT;")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return version


# --- sync bookkeeping helpers (Store's sync section) ---------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field changed both here and in AS-CMS, or a record edited here and deleted there."""

    conflict_id: int
    record_type: str
    record_id: str
    case_id: str | None
    kind: str  # 'field' or 'deleted'
    field: str | None  # the local column, for a field conflict
    local_value: Any
    server_value: Any
    server_version: str | None
    detected_at: str
    resolution: str | None
    resolved_at: str | None
    settled: int


def _cleaned(value: Any) -> Any:
    """A record from AS-CMS with every string cleaned (control characters, lone surrogates), however nested."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: _cleaned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    return value


class ApplyResult:
    """What one batch of AS-CMS records did to the store."""

    def __init__(self) -> None:
        self.added = 0
        self.updated = 0
        self.conflicts = 0
        self.skipped: list[str] = []  # what could not be taken in, and why
        self.skipped_ids: dict[str, str] = {}  # the same, by server Id
        self.taken: list[str] = []  # server Ids taken in (added, updated or already the same)

    def skip(self, server_id: str, reason: str) -> None:
        self.skipped.append(reason)
        self.skipped_ids[server_id] = reason


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_value)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _dict_rows(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, tuple(params))
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _rows_where(conn: sqlite3.Connection, table: str, column: str, values: list[Any]) -> dict[Any, dict[str, Any]]:
    found: dict[Any, dict[str, Any]] = {}
    for chunk in chunks(sorted({v for v in values if v})):
        marks = ", ".join("?" * len(chunk))
        for row in _dict_rows(conn, f"SELECT * FROM {table} WHERE {column} IN ({marks})", chunk):
            found[row[column]] = row
    return found


def _local_ids(conn: sqlite3.Connection, table: str, server_ids: list[Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in chunks(sorted({v for v in server_ids if isinstance(v, str) and v})):
        marks = ", ".join("?" * len(chunk))
        found.update((r[0], r[1]) for r in conn.execute(
            f"SELECT server_id, id FROM {table} WHERE server_id IN ({marks})", chunk))
    return found


def _open_changes_by_record(conn: sqlite3.Connection, record_ids: Iterable[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for chunk in chunks(sorted(set(record_ids))):
        marks = ", ".join("?" * len(chunk))
        for record_id, fields in conn.execute(
            f"SELECT record_id, changed_fields FROM changes WHERE status != 'done' AND record_id IN ({marks}) "
            "ORDER BY change_id", chunk):
            found.setdefault(record_id, []).append(json.loads(fields))
    return found


def _base_overrides(conn: sqlite3.Connection, record_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """AS-CMS values the user chose to overwrite: the merge base until the local value is pushed."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(set(record_ids))):
        marks = ", ".join("?" * len(chunk))
        for record_id, column, value in conn.execute(
            f"SELECT record_id, field, server_value FROM conflicts WHERE record_id IN ({marks}) AND kind = 'field' "
            "AND resolution IN ('mine', 'edited') AND settled = 0 ORDER BY conflict_id", chunk):
            found.setdefault(record_id, {})[column] = _loads(value)
    return found


def _open_conflict_fields(conn: sqlite3.Connection, record_ids: Iterable[str]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for chunk in chunks(sorted(set(record_ids))):
        marks = ", ".join("?" * len(chunk))
        for conflict_id, record_id, column in conn.execute(
            f"SELECT conflict_id, record_id, field FROM conflicts WHERE record_id IN ({marks}) AND kind = 'field' "
            "AND resolved_at IS NULL", chunk):
            found[(record_id, column)] = conflict_id
    return found


def _pending_bases(changes: list[dict], overrides: dict[str, Any]) -> dict[str, Any]:
    """Each field with an unpushed local change -> the value it had before (what AS-CMS last had)."""
    bases: dict[str, Any] = {}
    for fields in changes:
        for column, values in fields.items():
            bases.setdefault(column, values.get("old"))
    for column, value in overrides.items():
        if column in bases:
            bases[column] = value
    return bases


def _has_unsent_changes(conn: sqlite3.Connection, record_type: str, record_id: str) -> bool:
    """Whether the record (for a case: any record of it) has a change not yet in AS-CMS."""
    column = "case_id" if record_type == "case" else "record_id"
    return conn.execute(f"SELECT 1 FROM changes WHERE {column} = ? AND status != 'done' LIMIT 1",
                        (record_id,)).fetchone() is not None


def _deleted_here(conn: sqlite3.Connection, server_ids: list[str], record_ids: list[Any]) -> set[str]:
    """Server Ids and local ids among these whose record was deleted here and the delete not yet pushed."""
    found: set[str] = set()
    for column, values in (("server_id", server_ids), ("record_id", record_ids)):
        for chunk in chunks(sorted({v for v in values if v})):
            marks = ", ".join("?" * len(chunk))
            found.update(r[0] for r in conn.execute(
                f"SELECT {column} FROM changes WHERE operation = 'delete' AND status != 'done' "
                f"AND {column} IN ({marks})", chunk))
    return found


def _adoption_key(obj: Any, values: dict[str, Any]) -> tuple:
    return tuple((column, values.get(column)) for column in sorted(obj.fields) if column not in obj.read_only)


def _adoptable_sent(conn: sqlite3.Connection, obj: Any) -> dict[tuple, list[dict[str, Any]]]:
    """Local records of this (key-less) type sent without a known outcome, by their mapped values."""
    rows = _dict_rows(conn, f"SELECT t.* FROM {TABLES[obj.record_type]} t JOIN sync_sent s ON s.record_id = t.id "
                            "WHERE t.server_id IS NULL ORDER BY s.sent_at")
    found: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        canonical = to_row(from_row(obj.model, row))
        found.setdefault(_adoption_key(obj, canonical), []).append(row)
    return found


def _new_pulled_row(obj: Any, values: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """A record AS-CMS has and this store does not, validated (and its text cleaned) by its model."""
    import uuid

    model = obj.model
    data: dict[str, Any] = dict(values)
    offline = record.get(obj.external_id) if obj.external_id else None
    try:
        data["id"] = str(uuid.UUID(str(offline))) if offline else str(uuid.uuid4())
    except ValueError:
        data["id"] = str(uuid.uuid4())
    data["server_id"] = record["Id"]
    data["server_version"] = record.get("SystemModstamp")
    created = record.get("CreatedDate")
    if created:
        data["created_at" if obj.record_type == "case" else "recorded_at"] = created
    for name, nested in _nested_fields(model).items():
        for key in nested.model_fields:
            data.setdefault(f"{name}_{key}", None)
    return to_row(from_row(model, data))


def _close_open_changes(conn: sqlite3.Connection, record_id: str, note: str | None, *, creates_only: bool = False) -> None:
    conn.execute(
        "UPDATE changes SET status = 'done', last_error = ? WHERE record_id = ? AND status != 'done'"
        + (" AND operation = 'create'" if creates_only else ""),
        (note, record_id),
    )


def _drop_field_from_open_changes(conn: sqlite3.Connection, record_id: str, column: str) -> None:
    """AS-CMS's value was taken for `column`: the local edit of it is no longer to be sent."""
    for change_id, fields in conn.execute(
        "SELECT change_id, changed_fields FROM changes WHERE record_id = ? AND status != 'done'", (record_id,)
    ).fetchall():
        fields = json.loads(fields)
        if column not in fields:
            continue
        del fields[column]
        if fields:
            conn.execute("UPDATE changes SET changed_fields = ? WHERE change_id = ?", (_dumps(fields), change_id))
        else:
            conn.execute("UPDATE changes SET changed_fields = ?, status = 'done', last_error = ? WHERE change_id = ?",
                         (_dumps(fields), "AS-CMS's value kept instead", change_id))


def _remove_unjournalled(conn: sqlite3.Connection, record_type: str, record_id: str) -> None:
    """AS-CMS deleted this record and the user agreed: remove it (and what hangs off it) here too."""
    doomed: list[tuple[str, str]] = []
    if record_type == "case":
        for child_type, table in TABLES.items():
            if child_type != "case":
                doomed += [(table, r[0]) for r in conn.execute(f"SELECT id FROM {table} WHERE case_id = ?", (record_id,))]
    elif record_type == "plan":
        doomed += [("plan_steps", r[0]) for r in conn.execute("SELECT id FROM plan_steps WHERE plan_id = ?", (record_id,))]
    elif record_type == "barrier":
        for table in ("services", "ubnf"):
            conn.execute(f"UPDATE {table} SET barrier_id = NULL WHERE barrier_id = ?", (record_id,))
    order = list(TABLES.values())
    doomed.sort(key=lambda item: -order.index(item[0]))  # children before parents
    for table, child_id in [*doomed, (TABLES[record_type], record_id)]:
        conn.execute(f"DELETE FROM {table} WHERE id = ?", (child_id,))
        _close_open_changes(conn, child_id, "Deleted in AS-CMS")
        conn.execute("UPDATE conflicts SET resolution = 'theirs', resolved_at = ?, settled = 1 "
                     "WHERE record_id = ? AND resolved_at IS NULL", (utc_now().isoformat(), child_id))


def _column_change(model: type[BaseModel], column: str, value: Any) -> dict[str, Any]:
    """An update for one local column: 'student_name' is the student's name."""
    for name, nested in _nested_fields(model).items():
        prefix = f"{name}_"
        if column.startswith(prefix) and column[len(prefix):] in nested.model_fields:
            return {name: {column[len(prefix):]: value}}
    return {column: value}
