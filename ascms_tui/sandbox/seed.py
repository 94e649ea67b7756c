"""`--seed demo`: the demo caseload as records already in the central system.

The invented demo caseload (ascms_tui.demo) is read through the app's own import
and turned into sObjects with the sync engine's default mapping
(ascms_tui/data/mapping.toml), so the sandbox holds what `ascms-tui demo` shows as
synced, under the same Ids. Records the demo marks as not yet synced stay out: they
are the demo's queue. Every seeded record is owned by the sandbox's case manager.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .records import SfError
from .storage import format_instant

if TYPE_CHECKING:
    from .app import Sandbox


class SeedError(Exception):
    pass


def seed_demo(sandbox: Sandbox, *, cases: int = 40, seed: int = 2026, today: date | None = None) -> str:
    """Seed an empty sandbox; a one-line summary of what was done."""
    storage = sandbox.storage
    counts = storage.counts()
    if set(counts["live"]) - {"User"} or counts["deleted"]:
        return "not seeded: the sandbox already holds records"
    try:
        from ..sync.mapping import MappingError, load_mapping
    except ImportError:
        raise SeedError("the sync engine's mapping (ascms_tui/sync/mapping.py) is not installed") from None
    from ..demo import generate_caseload
    from ..domain import CASE_RECORD_TYPES
    from ..interchange import import_document
    from ..store import Store

    try:
        mapping = load_mapping()  # the packaged names: the sandbox plays a default org
    except MappingError as error:
        raise SeedError(str(error)) from None
    records = []
    with tempfile.TemporaryDirectory(prefix="ascms-sandbox-seed-") as folder, \
            Store(Path(folder) / "demo.sqlite3", actor="sandbox seed") as store:
        import_document(store, generate_caseload(cases, seed=seed, today=today), source="demo caseload")
        for case in store.cases():
            records.append(case)
            for model in CASE_RECORD_TYPES:
                records.extend(store.records(model, case.id))
    server_ids = {r.id: r.server_id for r in records if r.server_id}
    seeded = 0
    org = sandbox.org
    try:
        with storage.transaction():
            for obj in mapping.in_push_order():
                for record in records:
                    if record.record_type != obj.record_type or not record.server_id:
                        continue
                    fields = obj.record_to_server(record, server_ids, include_read_only=True)
                    recorded = getattr(record, "recorded_at", None)
                    created = _instant(recorded) if isinstance(recorded, datetime) else None
                    data = None
                    if obj.sobject == "ContentVersion":
                        fields.pop("ContentSize", None)  # the org measures the document itself
                        fields["PathOnClient"] = record.file_name
                        data = _invented_document(record.file_name, record.size_bytes)
                    org.seed(obj.sobject, record.server_id, fields, user=org.default_user, created=created,
                             file_data=data)
                    seeded += 1
    except SfError as error:
        raise SeedError(f"{error.code}: {error.message}") from None
    return f"{seeded:,} records of the demo caseload ({cases} cases)"


def _instant(moment: datetime) -> str:
    return format_instant(int(moment.astimezone(UTC).timestamp() * 1000))


def _invented_document(name: str, size: int) -> bytes:
    """Stand-in content of the stated size: the demo has file names, not files."""
    line = f"Invented demo document '{name}' for AS-CMS training. Nothing here is about a real person.\n"
    text = (line * (size // len(line) + 1)).encode("utf-8")
    return text[:size]
