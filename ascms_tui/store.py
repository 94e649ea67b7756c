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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from .domain import (
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
    Barrier,
    Case,
    CaseRecord,
    STATUS_TRANSITIONS,
    STATUSES_NEEDING_REASON,
    CaseStatus,
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
from .nztime import nz_date_of_stored, utc_now
from .schema import LATEST_VERSION, MIGRATIONS

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


class StoreError(Exception):
    """A write that cannot be made; the message is for the user."""


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


class CaseListRow(NamedTuple):
    """What the case list shows for one case, straight from SQLite.

    Dates stay ISO strings (they sort correctly as text) so that 10,000 rows
    load without 30,000 conversions; the list converts only the rows it shows.
    """

    id: str
    case_number: str
    student: str
    student_name: str
    case_type: str
    status: str
    school: str
    case_owner: str | None
    referral_date: str
    migrated: int
    first_school_meeting: str | None  # NZ date of the earliest exact Initial School Meeting
    first_whanau_meeting: str | None
    has_current_contact: int
    unsynced: int

    @property
    def referral_day(self) -> date:
        return date.fromisoformat(self.referral_date)

    @property
    def school_meeting_day(self) -> date | None:
        return date.fromisoformat(self.first_school_meeting) if self.first_school_meeting else None

    @property
    def whanau_meeting_day(self) -> date | None:
        return date.fromisoformat(self.first_whanau_meeting) if self.first_whanau_meeting else None


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

    def __init__(self, path: str | Path, *, actor: str | None = None):
        self.path = Path(path)
        self.actor = actor or _os_user()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists() and self.path.stat().st_size > 0
        if not self.path.exists():
            # Private from the first byte; SQLite gives the -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA busy_timeout = 5000")
        # Refuse a newer file before anything (even the journal mode) touches it.
        check_not_newer(self._conn)
        self._conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a laptop that loses power must not lose the last saved note.
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        migrate(self._conn, backup_from=self.path if existed else None)
        with self.transaction() as conn:
            listed, cases = conn.execute("SELECT (SELECT COUNT(*) FROM case_list), (SELECT COUNT(*) FROM cases)").fetchone()
            if listed != cases:
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
            cursor = self._conn.cursor()
            cursor.row_factory = None  # plain tuples: a third faster than sqlite3.Row here
            return list(map(CaseListRow._make, cursor.execute("SELECT * FROM case_list")))

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


def _case_of(record: Record) -> str:
    return record.id if isinstance(record, Case) else record.case_id


def _refresh_case_list(conn: sqlite3.Connection, case_ids: Iterable[str] | None) -> None:
    """Recompute the case list rows of these cases (all when None) from the source tables."""
    if case_ids is None:
        batches: Iterable[list[str] | None] = [None]
    else:
        batches = chunks(sorted(set(case_ids)))
    for chunk in batches:
        sql, params = _CASE_LIST_SQL, [INITIAL_SCHOOL_MEETING, INITIAL_WHANAU_MEETING]
        if chunk is not None:
            sql += f" WHERE c.id IN ({', '.join('?' * len(chunk))})"
            params += chunk
        rows = []
        for row in conn.execute(sql, params):
            row = list(row)
            for index in (10, 11):  # earliest meeting: a UTC instant, listed as its NZ date
                if row[index]:
                    row[index] = nz_date_of_stored(row[index]).isoformat()
            rows.append(row)
        conn.executemany(f"INSERT OR REPLACE INTO case_list VALUES ({', '.join('?' * 14)})", rows)


_CASE_LIST_SQL = """
SELECT c.id, c.case_number, COALESCE(c.student_known_as, c.student_name), c.student_name, c.case_type,
       c.status, COALESCE(c.school_name, ''), c.case_owner, c.referral_date, c.migrated,
       (SELECT MIN(start) FROM events e WHERE e.subject = ?1 AND e.case_id = c.id),
       (SELECT MIN(start) FROM events e WHERE e.subject = ?2 AND e.case_id = c.id),
       EXISTS (SELECT 1 FROM contacts k WHERE k.case_id = c.id AND k.details_current = 1),
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


def migrate(conn: sqlite3.Connection, *, target: int = LATEST_VERSION, backup_from: Path | None = None) -> int:
    """Bring the file forward to `target`, one step per transaction. Returns the version."""
    version = check_not_newer(conn)
    if version < target and version > 0 and backup_from is not None:
        # A copy of the file as it was, in case a migration surprises us in the field.
        backup = backup_from.with_name(f"{backup_from.name}.schema-{version}.bak")
        with sqlite3.connect(backup) as copy:
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
