"""Pull: what changed in AS-CMS for this case manager's cases, since the last pull.

Object by object, parents first, `SystemModstamp` after the stored cursor,
page by page (`nextRecordsUrl`); the cursor moves after each page is stored,
so an interrupted pull resumes where it stopped. The briefcase is the cases
the mapping's scope picks and their related records (comments and files
added by schools included). A case that joins the briefcase brings its older
records too. Merging is the store's (see conflicts.py): a central change
never overwrites a local one that has not been pushed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..store import Store, chunks
from .client import SalesforceClient
from .mapping import Mapping, ObjectMap, soql_quote

PAGE = 2000
Progress = Callable[[str, int, int], None]


@dataclass
class PullResult:
    pulled: int = 0
    conflicts: int = 0
    skipped: list[str] = field(default_factory=list)


def soql_datetime(modstamp: str) -> str:
    """A SystemModstamp as a SOQL literal, to the second (a few records may come twice; none are missed)."""
    instant = datetime.fromisoformat(modstamp).astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


class Puller:
    def __init__(self, store: Store, client: SalesforceClient, mapping: Mapping, *, user_name: str | None = None,
                 progress: Progress | None = None):
        self.store, self.client, self.mapping = store, client, mapping
        self.scope = mapping.scope_condition(user_name)
        self.progress = progress or (lambda phase, done, total: None)
        self.result = PullResult()

    def run(self) -> PullResult:
        new_cases: list[str] = []
        for obj in self.mapping.in_push_order():
            cursor = self.store.pull_cursor(obj.sobject)
            conditions = [self._scope_of(obj)] if self._scope_of(obj) else []
            if cursor:
                conditions.append(f"SystemModstamp > {soql_datetime(cursor)}")
            added_ids = self._pull(obj, conditions, move_cursor=True)
            if obj.record_type == "case" and cursor:
                new_cases = added_ids
            if cursor and new_cases and obj.record_type != "case":
                # Cases new to the briefcase: their records older than the cursor too.
                parent_field = obj.fields["case_id"]
                for batch in chunks(new_cases, 200):
                    ids = ", ".join(soql_quote(i) for i in batch)
                    self._pull(obj, [f"{parent_field} IN ({ids})"], move_cursor=False)
        return self.result

    def _scope_of(self, obj: ObjectMap) -> str:
        if obj.record_type == "case":
            return f"({self.scope})" if self.scope else ""
        where = f" WHERE {self.scope}" if self.scope else ""
        return f"{obj.fields['case_id']} IN (SELECT Id FROM Case{where})"

    def _pull(self, obj: ObjectMap, conditions: list[str], *, move_cursor: bool) -> list[str]:
        soql = f"SELECT {', '.join(obj.query_fields())} FROM {obj.sobject}"
        if conditions:
            soql += " WHERE " + " AND ".join(conditions)
        soql += " ORDER BY SystemModstamp ASC"
        added: list[str] = []
        for page in self.client.query(soql, batch_size=PAGE):
            if not page:
                continue
            if obj.record_type == "case":
                known = self._known(obj, page)
                added += [r["Id"] for r in page if r["Id"] not in known]
            applied = self.store.apply_server_records(obj, page)
            self.result.pulled += applied.added + applied.updated
            self.result.conflicts += applied.conflicts
            self.result.skipped += applied.skipped
            if move_cursor:
                newest = max(r["SystemModstamp"] for r in page if r.get("SystemModstamp"))
                self.store.set_pull_cursor(obj.sobject, newest)
            self.progress("pull", self.result.pulled, 0)
        return added

    def _known(self, obj: ObjectMap, page: list[dict]) -> set[str]:
        from ..store import TABLES

        known: set[str] = set()
        for batch in chunks([r["Id"] for r in page]):
            marks = ", ".join("?" * len(batch))
            known.update(r[0] for r in self.store.read(
                f"SELECT server_id FROM {TABLES[obj.record_type]} WHERE server_id IN ({marks})", batch))
        return known
