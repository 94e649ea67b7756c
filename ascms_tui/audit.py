"""Audit history: who changed what in a record, when, from which value to which.

Read from the change journal (`changes`), which the store writes in the same
transaction as every create, update and delete, with the OS user as actor.
The journal is this laptop's history: changes made directly in AS-CMS appear
there, not here. Nothing here writes.

For the app (a view per record) and the Privacy Act export:
`history(store, record_id)` and `case_history(store, case_id)`.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel

from .domain import RECORD_TYPES
from .nztime import format_nz_date, format_nz_datetime

OPERATION_LABELS = {"create": "Created", "update": "Changed", "delete": "Deleted"}
SYNC_LABELS = {"pending": "waiting to sync", "set_aside": "set aside (AS-CMS refused it)", "done": "synced"}


@dataclass(frozen=True, slots=True)
class FieldChange:
    record_type: str
    field: str  # the column, e.g. student_name
    label: str  # as AS-CMS labels it, e.g. Student name
    old: Any  # as stored (a JSON value); None when there was none
    new: Any

    @property
    def old_text(self) -> str:
        return display_value(self.record_type, self.field, self.old)

    @property
    def new_text(self) -> str:
        return display_value(self.record_type, self.field, self.new)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    change_id: int
    when: datetime  # UTC
    who: str | None  # the OS user who made the change on this laptop
    operation: str  # create, update or delete
    record_type: str
    record_id: str
    sync_status: str  # pending, set_aside or done
    fields: tuple[FieldChange, ...]

    @property
    def when_text(self) -> str:
        return format_nz_datetime(self.when)

    @property
    def operation_text(self) -> str:
        return OPERATION_LABELS.get(self.operation, self.operation)

    @property
    def record_label(self) -> str:
        model = RECORD_TYPES.get(self.record_type)
        return model.label if model else self.record_type

    @property
    def sync_text(self) -> str:
        return SYNC_LABELS.get(self.sync_status, self.sync_status)


_COLUMNS = "change_id, created_at, actor, operation, record_type, record_id, status, changed_fields"


def history(store, record_id: str) -> list[AuditEntry]:
    """Every change to one record, oldest first."""
    rows = store.read(f"SELECT {_COLUMNS} FROM changes WHERE record_id = ? ORDER BY change_id", (record_id,))
    return [_entry(row) for row in rows]


def case_history(store, case_id: str) -> list[AuditEntry]:
    """Every change to a case and to each of its records, oldest first."""
    rows = store.read(
        f"SELECT {_COLUMNS} FROM changes WHERE case_id = ?1 OR record_id = ?1 ORDER BY change_id", (case_id,)
    )
    return [_entry(row) for row in rows]


def _entry(row: tuple) -> AuditEntry:
    change_id, created_at, actor, operation, record_type, record_id, status, changed = row
    fields = json.loads(changed) if changed else {}
    columns = field_columns(record_type)
    ordered = sorted(fields, key=lambda name: (columns.index(name) if name in columns else len(columns), name))
    return AuditEntry(
        change_id=change_id,
        when=datetime.fromisoformat(created_at),
        who=actor,
        operation=operation,
        record_type=record_type,
        record_id=record_id,
        sync_status=status,
        fields=tuple(
            _field_change(record_type, name, fields[name].get("old"), fields[name].get("new"))
            for name in ordered
            if isinstance(fields[name], dict)
        ),
    )


def _field_change(record_type: str, column: str, old: Any, new: Any) -> FieldChange:
    return FieldChange(record_type, column, field_label(record_type, column), old, new)


# --- labels and values ----------------------------------------------------------------


def field_label(record_type: str, column: str) -> str:
    """The AS-CMS label of a stored column, e.g. ("case", "student_date_of_birth") -> "Date of birth"."""
    return _labels(record_type).get(column, column.replace("_", " ").capitalize())


def field_columns(record_type: str) -> list[str]:
    """The record type's columns in the order its model declares them."""
    return list(_labels(record_type))


def display_value(record_type: str, column: str, value: Any) -> str:
    """A stored value as a person reads it: dates the NZ way, Yes/No, "(empty)" for none."""
    return _format(_kinds(record_type).get(column, "text"), value)


@cache
def _labels(record_type: str) -> dict[str, str]:
    return {column: label for column, (label, _) in _columns(record_type).items()}


@cache
def _kinds(record_type: str) -> dict[str, str]:
    return {column: kind for column, (_, kind) in _columns(record_type).items()}


def _columns(record_type: str) -> dict[str, tuple[str, str]]:
    model = RECORD_TYPES.get(record_type)
    if model is None:
        return {}
    columns: dict[str, tuple[str, str]] = {}
    for name, info in model.model_fields.items():
        nested = info.annotation if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel) else None
        if nested is not None:
            for sub, sub_info in nested.model_fields.items():
                columns[f"{name}_{sub}"] = (sub_info.title or sub, _kind(sub_info.annotation))
        else:
            columns[name] = (info.title or name.replace("_", " ").capitalize(), _kind(info.annotation))
    return columns


def _kind(annotation: Any) -> str:
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or typing.get_origin(
        annotation) is typing.Union else (annotation,)
    for option in options:
        while typing.get_origin(option) is typing.Annotated:
            option = typing.get_args(option)[0]
        if option is bool:
            return "bool"
        if option is datetime:
            return "datetime"
        if option is date:
            return "date"
    return "text"


def _format(kind: str, value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    try:
        if kind == "bool":
            return "Yes" if value else "No"
        if kind == "datetime" and isinstance(value, str):
            return format_nz_datetime(datetime.fromisoformat(value))
        if kind == "date" and isinstance(value, str):
            return format_nz_date(date.fromisoformat(value))
    except ValueError:
        pass  # not what the type promised: show it as it is
    return str(value)

