"""Pull: what changed in AS-CMS for this case manager's cases, since the last pull.

Completeness is the point (docs/sync.md, "Pull completeness"):
- Salesforce stamps SystemModstamp to the second, and a transaction that commits
  late carries a stamp from before changes already seen. So each object is read
  from its mark *minus an overlap window* (`overlap_seconds`, at least 60): a
  same-second change, or one up to a minute late, is read again rather than
  missed. The mark is AS-CMS's clock when the object was last read to the end
  (the answer's Date header less the request's time), or the newest stamp stored
  while a long read is under way. Applying is idempotent, so a record seen twice
  changes nothing.
- `queryAll` is used, so records deleted centrally come back (IsDeleted) and are
  taken in, and archived Events and Tasks come back at all.
- A record that cannot be taken in is kept in `sync_skipped` and asked for again
  by Id on every pull, so it is never passed over in silence.

One Composite request carries every object's first page (one API call); an
object with more pages then goes on alone, one query cursor at a time. Objects
are applied parents first, and each object's mark moves after each page is
stored, so an interrupted pull resumes. A case that joins the briefcase brings
its older records too. Merging is the store's (see conflicts.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..store import Store, chunks
from .client import SalesforceClient
from .mapping import Mapping, ObjectMap, soql_quote

PAGE = 2000
OVERLAP_SECONDS = 60  # the least overlap: a change committing up to a minute late is still read
Progress = Callable[[str, int, int], None]


@dataclass
class PullResult:
    pulled: int = 0
    conflicts: int = 0
    deleted: int = 0  # records removed here because AS-CMS deleted them
    skipped: list[str] = field(default_factory=list)  # this run's: what could not be taken in, and why


def soql_datetime(modstamp: str, *, back: float = 0) -> str:
    """A SystemModstamp, `back` seconds earlier, as a SOQL datetime literal (whole seconds)."""
    instant = datetime.fromisoformat(modstamp).astimezone(UTC) - timedelta(seconds=back)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


class Puller:
    def __init__(self, store: Store, client: SalesforceClient, mapping: Mapping, *, user_name: str | None = None,
                 progress: Progress | None = None, overlap_seconds: float = OVERLAP_SECONDS,
                 files_base: Path | None = None, held_types: set[str] = frozenset()):
        self.store, self.client, self.mapping = store, client, mapping
        self.held_types = held_types  # broken in the org (the org check): their queries would be refused
        self.files_base = files_base
        self.scope = mapping.scope_condition(user_name)
        self.progress = progress or (lambda phase, done, total: None)
        self.overlap = max(OVERLAP_SECONDS, overlap_seconds)
        self.result = PullResult()

    def run(self) -> PullResult:
        objects = [obj for obj in self.mapping.in_push_order() if obj.record_type not in self.held_types]
        cursors = {obj.sobject: self.store.pull_cursor(obj.sobject) for obj in objects}
        queries = [self._delta_query(obj, cursors[obj.sobject]) for obj in objects]
        retries = [(obj, self._retry_query(obj)) for obj in objects]
        retries = [(obj, soql) for obj, soql in retries if soql]
        first_pages = self.client.first_pages([*queries, *(soql for _, soql in retries)], include_deleted=True)
        new_cases: list[str] = []
        for obj, first in zip(objects, first_pages):
            added = self._apply(obj, first.records, move_cursor=True)
            read_at = first.asked_at
            if first.next_url:
                # More pages: asked again from the moved mark, so only one query cursor is open at a
                # time (Salesforce keeps ten a user; the Composite request opened one per object).
                pages = self.client.query(self._delta_query(obj, self.store.pull_cursor(obj.sobject)),
                                          batch_size=PAGE, include_deleted=True)
                first_page = next(pages, [])
                read_at = self.client.server_time
                added += self._apply(obj, first_page, move_cursor=True)
                added += self._apply_pages(obj, pages, move_cursor=True)
            self._read_to(obj, read_at)
            if obj.record_type == "case" and cursors[obj.sobject]:
                new_cases = added
            if new_cases and obj.record_type != "case" and cursors[obj.sobject]:
                # Cases new to the briefcase: their records from before the mark too.
                parent_field = obj.fields["case_id"]
                for batch in chunks(new_cases, 200):
                    ids = ", ".join(soql_quote(i) for i in batch)
                    self._apply_pages(obj, self.client.query(self._select(obj, [f"{parent_field} IN ({ids})"]),
                                                             batch_size=PAGE, include_deleted=True),
                                      move_cursor=False)
        for (obj, _), page in zip(retries, first_pages[len(objects):]):
            self._apply(obj, page.records, move_cursor=False)
        return self.result

    def _read_to(self, obj: ObjectMap, read_at: datetime | None) -> None:
        """Everything committed before `read_at` (AS-CMS's clock when the query ran, at the latest) is now
        read; a transaction still open then is stamped no earlier than a minute before. So the next pull
        looks back the overlap window from here, not from the newest record: a quiet briefcase is not
        read again and again."""
        if read_at is None:
            return
        mark = read_at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        cursor = self.store.pull_cursor(obj.sobject)
        if cursor is None or mark > cursor:
            self.store.set_pull_cursor(obj.sobject, mark)

    def _select(self, obj: ObjectMap, conditions: list[str]) -> str:
        soql = f"SELECT {', '.join(obj.query_fields())}, IsDeleted FROM {obj.sobject}"
        if conditions:
            soql += " WHERE " + " AND ".join(conditions)
        return soql + " ORDER BY SystemModstamp ASC"

    def _delta_query(self, obj: ObjectMap, cursor: str | None) -> str:
        conditions = [self._scope_of(obj)] if self._scope_of(obj) else []
        if cursor:
            conditions.append(f"SystemModstamp >= {soql_datetime(cursor, back=self.overlap)}")
        return self._select(obj, conditions)

    def _retry_query(self, obj: ObjectMap) -> str | None:
        waiting = [row["server_id"] for row in self.store.skipped_records(obj.sobject)][:200]
        if not waiting:
            return None
        return self._select(obj, [f"Id IN ({', '.join(soql_quote(i) for i in waiting)})"])

    def _fetch_documents(self, obj: ObjectMap, server_ids: list[str]) -> None:
        """Files attached in AS-CMS (by a school, a colleague): their content, for those not yet here."""
        from ..domain import CaseFile
        from ..files import has_copy, save_pulled_copy

        for server_id, local_id in self.store.local_ids(obj.record_type, server_ids).items():
            record = self.store.get(CaseFile, local_id)
            if record is None or has_copy(record, self.files_base):
                continue
            response = self.client.request("GET", f"{self.client.api}/sobjects/{obj.sobject}/{server_id}/VersionData",
                                           binary=True)
            if response.status >= 300 or not isinstance(response.body, bytes):
                reason = f"{obj.label} {server_id}: its content could not be fetched ({response.status})"
                self.result.skipped.append(reason)
                self.store.record_skipped(obj.sobject, obj.record_type, {server_id: reason})
                continue
            save_pulled_copy(self.store, record, response.body, self.files_base)

    def _scope_of(self, obj: ObjectMap) -> str:
        if obj.record_type == "case":
            return f"({self.scope})" if self.scope else ""
        where = f" WHERE {self.scope}" if self.scope else ""
        return f"{obj.fields['case_id']} IN (SELECT Id FROM Case{where})"

    def _apply_pages(self, obj: ObjectMap, pages: Iterator[list[dict]], *, move_cursor: bool) -> list[str]:
        added: list[str] = []
        for page in pages:
            added += self._apply(obj, page, move_cursor=move_cursor)
        return added

    def _apply(self, obj: ObjectMap, records: list[dict[str, Any]], *, move_cursor: bool) -> list[str]:
        """Store one page; the Ids of cases new here."""
        if not records:
            return []
        live = [r for r in records if not r.get("IsDeleted")]
        gone = [r["Id"] for r in records if r.get("IsDeleted")]
        added: list[str] = []
        if obj.record_type == "case":
            known = self.store.server_ids_held("case", [r["Id"] for r in live])
            added = [r["Id"] for r in live if r["Id"] not in known]
        applied = self.store.apply_server_records(obj, live)
        self.result.pulled += applied.added + applied.updated
        self.result.conflicts += applied.conflicts
        self.result.skipped += applied.skipped
        self.store.record_skipped(obj.sobject, obj.record_type, applied.skipped_ids)
        if applied.taken:
            self.store.clear_skipped(obj.sobject, applied.taken)
            if obj.sobject == "ContentVersion":
                self._fetch_documents(obj, applied.taken)
        if gone:
            removed, held = self.store.take_central_deletions(obj.record_type, gone)
            self.result.deleted += removed
            self.result.conflicts += held
            self.store.clear_skipped(obj.sobject, gone)
        if move_cursor:
            newest = max((r["SystemModstamp"] for r in records if r.get("SystemModstamp")), default=None)
            if newest:
                self.store.set_pull_cursor(obj.sobject, newest)
        self.progress("pull", self.result.pulled, 0)
        return added

