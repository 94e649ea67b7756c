"""The interchange format, ascms-tui/1 (docs/interchange.md): import and export.

Import is all or nothing per file: every record is validated first, and any
problem rejects the whole file, naming the file, case, record and field.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .domain import (
    Barrier,
    Case,
    CaseComment,
    CaseFile,
    CaseRecord,
    Contact,
    Event,
    InfoRequest,
    Plan,
    PlanStep,
    Record,
    Service,
    StatusChange,
    Task,
    Ubnf,
    describe_errors,
)
from .nztime import NZ, nz_date
from .store import TABLES, Store

FORMAT = "ascms-tui/1"
# Key in the file -> record type. Plan steps nest inside their plan as "steps".
LISTS: dict[str, type[CaseRecord]] = {
    "contacts": Contact,
    "events": Event,
    "comments": CaseComment,
    "tasks": Task,
    "plans": Plan,
    "barriers": Barrier,
    "services": Service,
    "ubnf": Ubnf,
    "info_requests": InfoRequest,
    "status_history": StatusChange,
    "files": CaseFile,
}
PENDING_KEY = "pending_sync"
MAX_PROBLEMS = 25


class InterchangeError(Exception):
    """A file that cannot be imported. `problems` names each one; nothing was written."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        text = f"{source}: not imported; nothing was written.\n" + "\n".join(f"  - {p}" for p in shown)
        if more > 0:
            text += f"\n  - ... and {more:,} more problems"
        super().__init__(text)


@dataclass(frozen=True)
class ImportSummary:
    cases: int
    records: int
    queued: int


@dataclass
class _Parsed:
    records: list[Record]
    pending_ids: set[str]


# --- import ------------------------------------------------------------------------


def import_file(store: Store, path: str | os.PathLike) -> ImportSummary:
    source = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise InterchangeError(source, ["the file does not exist"]) from None
    except UnicodeDecodeError as error:
        raise InterchangeError(source, [f"the file is not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    except json.JSONDecodeError as error:
        raise InterchangeError(
            source, [f"the file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"]
        ) from None
    return import_document(store, document, source=source)


def import_document(store: Store, document: Any, *, source: str = "document") -> ImportSummary:
    parsed = _parse(document, source)
    _check_against_store(store, parsed.records, source)
    queued = store.import_records(parsed.records, pending_ids=parsed.pending_ids)
    cases = sum(isinstance(r, Case) for r in parsed.records)
    return ImportSummary(cases=cases, records=len(parsed.records) - cases, queued=queued)


def _parse(document: Any, source: str) -> _Parsed:
    if not isinstance(document, dict):
        raise InterchangeError(source, ['the file must hold a JSON object {"format": "ascms-tui/1", "cases": [...]}'])
    if document.get("format") != FORMAT:
        raise InterchangeError(source, [f'"format" must be "{FORMAT}" (got {document.get("format")!r})'])
    cases = document.get("cases")
    if not isinstance(cases, list):
        raise InterchangeError(source, ['"cases" must be a list'])

    problems: list[str] = []
    records: list[Record] = []
    pending: set[str] = set()
    for index, raw_case in enumerate(cases):
        where = f"cases[{index}]"
        if not isinstance(raw_case, dict):
            problems.append(f"{where}: must be an object")
            continue
        if isinstance(raw_case.get("case_number"), str):
            where = f"case {raw_case['case_number']}"
        case_fields = {k: v for k, v in raw_case.items() if k not in LISTS and k != PENDING_KEY}
        case = _validate(Case, case_fields, where, problems)
        if case is None:
            continue
        records.append(case)
        if raw_case.get(PENDING_KEY):
            pending.add(case.id)
        for key, model in LISTS.items():
            items = raw_case.get(key, [])
            if not isinstance(items, list):
                problems.append(f"{where}: {key!r} must be a list")
                continue
            for position, item in enumerate(items):
                for record, item_pending in _case_records(model, item, case, f"{where}, {key}[{position}]", problems):
                    records.append(record)
                    if item_pending:
                        pending.add(record.id)
    problems.extend(_check_within_file(records))
    if problems:
        raise InterchangeError(source, problems)
    return _Parsed(records, pending)


def _case_records(
    model: type[CaseRecord], item: Any, case: Case, where: str, problems: list[str]
) -> Iterator[tuple[Record, bool]]:
    if not isinstance(item, dict):
        problems.append(f"{where}: must be an object")
        return
    fields = {k: v for k, v in item.items() if k not in ("steps", PENDING_KEY)}
    steps = item.get("steps", []) if model is Plan else []
    if model is not Plan and "steps" in item:
        fields["steps"] = item["steps"]  # let validation name it as an unknown field
    record = _validate(model, {**fields, "case_id": case.id}, where, problems)
    if record is None:
        return
    yield record, bool(item.get(PENDING_KEY))
    if not isinstance(steps, list):
        problems.append(f"{where}: 'steps' must be a list")
        return
    for position, step in enumerate(steps):
        step_where = f"{where}, steps[{position}]"
        if not isinstance(step, dict):
            problems.append(f"{step_where}: must be an object")
            continue
        step_fields = {k: v for k, v in step.items() if k != PENDING_KEY}
        parsed = _validate(PlanStep, {**step_fields, "case_id": case.id, "plan_id": record.id}, step_where, problems)
        if parsed is not None:
            yield parsed, bool(step.get(PENDING_KEY))


def _validate(model: type[Record], data: dict, where: str, problems: list[str]) -> Record | None:
    for reserved in ("case_id", "plan_id"):
        if reserved in data and model is Case:
            problems.append(f"{where}: {reserved!r} is not a field of a case")
            return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        subject = data.get("subject") or data.get("name")
        label = f" ({subject})" if isinstance(subject, str) and subject.strip() else ""
        problems.extend(f"{where}{label}: {message}" for message in describe_errors(error, model))
        return None


def _check_within_file(records: list[Record]) -> list[str]:
    problems = []
    ids = Counter(r.id for r in records)
    problems += [f"id {i} is used by {n} records" for i, n in ids.items() if n > 1]
    server_ids = Counter(r.server_id for r in records if r.server_id)
    problems += [f"server_id {i} is used by {n} records" for i, n in server_ids.items() if n > 1]
    numbers = Counter(r.case_number for r in records if isinstance(r, Case))
    problems += [f"case {n} appears {c} times" for n, c in numbers.items() if c > 1]
    barrier_case = {r.id: r.case_id for r in records if isinstance(r, Barrier)}
    case_number = {r.id: r.case_number for r in records if isinstance(r, Case)}
    for record in records:
        barrier_id = getattr(record, "barrier_id", None)
        if barrier_id is not None and barrier_case.get(barrier_id) != record.case_id:
            problems.append(
                f"case {case_number.get(record.case_id)}: {record.label} {record.id} links to barrier "
                f"{barrier_id}, which is not a barrier of the same case in this file"
            )
    return problems


def _check_against_store(store: Store, records: list[Record], source: str) -> None:
    problems = []
    by_type: dict[str, list[Record]] = {}
    for record in records:
        by_type.setdefault(record.record_type, []).append(record)
    for record_type, group in by_type.items():
        present = store.existing_ids(TABLES[record_type], [r.id for r in group])
        for record in group:
            if record.id in present:
                name = f"case {record.case_number}" if isinstance(record, Case) else f"{record.label} {record.id}"
                problems.append(f"{name} is already in this store (same id)")
    numbers = store.existing_case_numbers([r.case_number for r in by_type.get("case", [])])
    problems += [f"case {n} is already in this store" for n in sorted(numbers)]
    for record_type, group in by_type.items():
        taken = store.existing_server_ids(TABLES[record_type], [r.server_id for r in group if r.server_id])
        problems += [f"{r.label} {r.id}: AS-CMS Id {r.server_id} is already in this store" for r in group
                     if r.server_id in taken]
    if problems:
        raise InterchangeError(source, problems)


# --- export ------------------------------------------------------------------------


def export_document(store: Store, case_number: str | None = None) -> dict[str, Any]:
    if case_number is not None:
        case = store.find_case(case_number)
        if case is None:
            raise LookupError(f"No case {case_number} in this store")
        cases = [case]
    else:
        cases = store.cases()
    pending = store.records_with_open_changes()
    return {"format": FORMAT, "cases": [_export_case(store, case, pending) for case in cases]}


def write_export(store: Store, output: str | os.PathLike | None, case_number: str | None = None) -> int:
    """Write the export to `output` (stdout when None). Returns the number of cases."""
    document = export_document(store, case_number)
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if output is None:
        sys.stdout.write(text + "\n")
        return len(document["cases"])
    target = Path(output)
    # Write beside the target and rename, so a crash never leaves half a file;
    # mkstemp's 0600 keeps the children's data private.
    handle, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(document["cases"])


def _export_case(store: Store, case: Case, pending: set[str]) -> dict[str, Any]:
    data = _export_record(case, pending)
    steps_by_plan: dict[str, list[dict]] = {}
    for step in store.records(PlanStep, case.id):
        steps_by_plan.setdefault(step.plan_id, []).append(_export_record(step, pending))
    for key, model in LISTS.items():
        items = []
        for record in store.records(model, case.id):
            item = _export_record(record, pending)
            if model is Plan:
                item["steps"] = steps_by_plan.get(record.id, [])
            items.append(item)
        data[key] = items
    return data


def _export_record(record: Record, pending: set[str]) -> dict[str, Any]:
    data = {
        key: _jsonable(value)
        for key, value in record.model_dump().items()
        if key not in ("case_id", "plan_id")
    }
    if isinstance(record, Event) and record.all_day:
        data["start"] = nz_date(record.start).isoformat()
        if record.end is not None:
            data["end"] = nz_date(record.end).isoformat()
    if record.id in pending:
        data[PENDING_KEY] = True
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(NZ).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
