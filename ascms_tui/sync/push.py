"""Push: drain the change journal into AS-CMS, exactly once, parents first.

Per round: the open changes are folded into one operation per record (its
current values for the fields changed), then sent by object, 200 records a
request: creates upserted on the external ID (Offline_Id__c = the client
UUID, so a resend after a lost response updates instead of duplicating),
updates upserted on Id (so a record deleted centrally is never re-created),
CaseComment creates posted after reconciling any earlier send whose answer
was lost, files one by one, deletes last. Before an update goes, the
server's version of the record is checked: a newer central change is merged
first, and a field changed on both sides is held as a conflict.

A permanent refusal sets the record's changes aside with the server's message
and the rest proceeds; a record whose parent has no server Id yet waits;
transient failures are tried again in the next round after a backoff.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..domain import CaseFile
from ..store import Change, Store, StoreError, chunks, from_row
from ..text import clean_text
from .client import (
    TRANSIENT_RECORD_ERRORS,
    OutcomeUnknown,
    Response,
    SalesforceClient,
    error_code,
    error_text,
)
from .mapping import Mapping, ObjectMap, soql_quote

BATCH = 200  # sObject Collections' limit
COMPOSITE = 25  # Composite's subrequest limit
GONE = frozenset({"ENTITY_IS_DELETED", "NOT_FOUND"})

Progress = Callable[[str, int, int], None]


@dataclass
class Item:
    """One record's open changes, folded into one operation."""

    obj: ObjectMap
    record_id: str
    change_ids: list[int]
    op: str  # create, update or delete
    columns: set[str]
    server_id: str | None
    row: dict[str, Any] | None  # current values; None once deleted here
    old: dict[str, Any] = field(default_factory=dict)  # last values of a deleted record


@dataclass
class PushResult:
    pushed: int = 0
    set_aside: int = 0
    transient: int = 0


class Pusher:
    def __init__(self, store: Store, client: SalesforceClient, mapping: Mapping, *,
                 files_base: Any = None, progress: Progress | None = None, max_rounds: int = 8,
                 sleep: Callable[[float], None] = time.sleep):
        self.store, self.client, self.mapping = store, client, mapping
        self.files_base = files_base
        self.progress = progress or (lambda phase, done, total: None)
        self.max_rounds = max_rounds
        self.sleep = sleep
        self.result = PushResult()
        self._checked: set[str] = set()
        self._no_id_upsert = False
        self.batch = min(BATCH, mapping.batch_size)
        self._total = 0

    @property
    def api(self) -> str:
        return self.client.api

    # -- rounds ---------------------------------------------------------------------

    def run(self) -> PushResult:
        self._total = sum(len(i.change_ids) for i in self.items())
        for round_number in range(1, self.max_rounds + 1):
            items = self.items()
            if not items:
                break
            self.result.transient = 0
            self._precheck([i for i in items if i.op == "update" and i.record_id not in self._checked])
            items = self.items()
            for level in (0, 1, 2):
                self._send_level([i for i in items if i.obj.level == level and i.op != "delete"])
            self._send_deletes([i for i in items if i.op == "delete"])
            if not self.result.transient:
                break  # what still waits, waits for a record set aside or in conflict
            if round_number < self.max_rounds:
                self.sleep(self.client.delay(round_number))
        return self.result

    def items(self) -> list[Item]:
        """The records to send now: set-aside-only records and records in conflict are left alone."""
        by_record: dict[tuple[str, str], list[Change]] = {}
        for change in self.store.open_changes():
            by_record.setdefault((change.record_type, change.record_id), []).append(change)
        held = self.store.records_in_conflict()
        wanted: dict[str, list[tuple[str, list[Change]]]] = {}
        for (record_type, record_id), changes in by_record.items():
            if all(c.status == "set_aside" for c in changes) or record_id in held:
                continue
            wanted.setdefault(record_type, []).append((record_id, changes))
        items: list[Item] = []
        for record_type, records in wanted.items():
            obj = self.mapping.objects[record_type]
            rows = self.store.sync_rows(record_type, [rid for rid, _ in records])
            for record_id, changes in records:
                ids = [c.change_id for c in changes]
                columns = {column for c in changes for column in c.changed_fields}
                if changes[-1].operation == "delete":
                    server_id = next((c.server_id for c in reversed(changes) if c.server_id), None)
                    old = {k: v.get("old") for k, v in changes[-1].changed_fields.items()}
                    items.append(Item(obj, record_id, ids, "delete", columns, server_id, None, old))
                    continue
                row = rows.get(record_id)
                if row is None:
                    continue
                op = "update" if row["server_id"] else "create"
                items.append(Item(obj, record_id, ids, op, columns, row["server_id"], row))
        return items

    # -- checking the server's version before an update ----------------------------------

    def _precheck(self, items: list[Item]) -> None:
        by_obj: dict[str, list[Item]] = {}
        for item in items:
            by_obj.setdefault(item.obj.record_type, []).append(item)
        for record_type, group in by_obj.items():
            obj = self.mapping.objects[record_type]
            for batch in chunks(group, self.batch):
                ids = ", ".join(soql_quote(i.server_id) for i in batch)
                rows = self.client.query_all(f"SELECT {', '.join(obj.query_fields())} FROM {obj.sobject} WHERE Id IN ({ids})")
                found = {r["Id"]: r for r in rows}
                changed = [found[i.server_id] for i in batch
                           if i.server_id in found and found[i.server_id].get("SystemModstamp") != i.row.get("server_version")]
                if changed:
                    self.store.apply_server_records(obj, changed)
                gone = [i.record_id for i in batch if i.server_id not in found]
                if gone:
                    self.store.record_central_deletions(record_type, gone)
                self._checked.update(i.record_id for i in batch)

    # -- creates and updates ------------------------------------------------------------------

    def _parents(self, item: Item, known: dict[str, dict[str, str | None]]) -> dict[str, str] | None:
        """Local parent id -> server Id for the item's references; None while a parent has no server Id."""
        ids: dict[str, str] = {}
        for column, parent_type in item.obj.parents.items():
            if item.op == "update" and column not in item.columns:
                continue
            local = item.row.get(column) if item.row else None
            if local is None:
                continue
            server = known.get(parent_type, {}).get(local)
            if server is None:
                return None
            ids[local] = server
        return ids

    def _parent_server_ids(self, items: list[Item]) -> dict[str, dict[str, str | None]]:
        wanted: dict[str, set[str]] = {}
        for item in items:
            for column, parent_type in item.obj.parents.items():
                if item.row and item.row.get(column):
                    wanted.setdefault(parent_type, set()).add(item.row[column])
        return {parent_type: self.store.sync_server_ids(parent_type, ids) for parent_type, ids in wanted.items()}

    def _send_level(self, items: list[Item]) -> None:
        ready: list[tuple[Item, dict[str, str]]] = []
        known = self._parent_server_ids(items)
        for item in items:
            parents = self._parents(item, known)
            if parents is not None:
                ready.append((item, parents))
        groups: dict[tuple[str, str], list[tuple[Item, dict[str, str]]]] = {}
        for item, parents in ready:
            groups.setdefault((item.obj.record_type, item.op), []).append((item, parents))
        for (record_type, op), group in groups.items():
            obj = self.mapping.objects[record_type]
            if op == "update":
                self._send_updates(obj, group)
            elif record_type == "file":
                self._send_files(obj, group)
            elif obj.external_id:
                self._send_upserts(obj, group)
            else:
                self._send_keyless_creates(obj, group)

    def _send_upserts(self, obj: ObjectMap, group: list[tuple[Item, dict[str, str]]]) -> None:
        for batch in chunks(group, self.batch):
            records = [{"attributes": {"type": obj.sobject}, obj.external_id: item.record_id,
                        **obj.to_server(item.row, obj.fields, parents)} for item, parents in batch]
            self.store.mark_sent(obj.record_type, [item.record_id for item, _ in batch])
            response = self.client.request("PATCH", f"{self.api}/composite/sobjects/{obj.sobject}/{obj.external_id}",
                                           json={"allOrNone": False, "records": records})
            self._settle(obj, [item for item, _ in batch], response)

    def _send_updates(self, obj: ObjectMap, group: list[tuple[Item, dict[str, str]]]) -> None:
        nothing_to_send = [item for item, _ in group if not obj.pushable(item.columns)]
        if nothing_to_send:  # only local bookkeeping changed (e.g. a checksum): nothing for AS-CMS
            self._done(obj, [(item.record_id, item.server_id, item.change_ids) for item in nothing_to_send])
        group = [(item, parents) for item, parents in group if obj.pushable(item.columns)]
        for batch in chunks(group, self.batch):
            if not self._no_id_upsert:
                records = [{"attributes": {"type": obj.sobject}, "Id": item.server_id,
                            **obj.to_server(item.row, item.columns, parents)} for item, parents in batch]
                response = self.client.request("PATCH", f"{self.api}/composite/sobjects/{obj.sobject}/Id",
                                               json={"allOrNone": False, "records": records})
                if response.status < 300:
                    self._settle(obj, [item for item, _ in batch], response)
                    continue
                self._no_id_upsert = True  # an org (or sandbox) without upsert on Id: composite PATCHes instead
            for part in chunks(batch, COMPOSITE):
                self._update_by_composite(obj, part)

    def _update_by_composite(self, obj: ObjectMap, part: list[tuple[Item, dict[str, str]]]) -> None:
        requests = [{"method": "PATCH", "url": f"{self.api}/sobjects/{obj.sobject}/{item.server_id}",
                     "referenceId": f"u{n}", "body": obj.to_server(item.row, item.columns, parents)}
                    for n, (item, parents) in enumerate(part)]
        response = self.client.request("POST", f"{self.api}/composite",
                                       json={"allOrNone": False, "compositeRequest": requests})
        answers = response.body.get("compositeResponse") if isinstance(response.body, dict) else None
        if response.status >= 400 or not isinstance(answers, list):
            self._settle(obj, [item for item, _ in part], response)
            return
        results = []
        for (item, _), answer in zip(part, answers):
            if 200 <= answer.get("httpStatusCode", 500) < 300:
                results.append({"success": True, "id": item.server_id})
                continue
            error = answer.get("body")[0] if isinstance(answer.get("body"), list) and answer.get("body") else {}
            results.append({"success": False, "errors": [{"statusCode": error.get("errorCode"),
                                                           "message": error.get("message", ""),
                                                           "fields": error.get("fields") or []}]})
        self._settle(obj, [item for item, _ in part], Response(200, results))

    def _send_keyless_creates(self, obj: ObjectMap, group: list[tuple[Item, dict[str, str]]]) -> None:
        """Creates with no upsert key (CaseComment): reconcile any earlier send first, then post."""
        unsent = self._reconcile_keyless(obj, group)
        for batch in chunks(unsent, self.batch):
            records = [{"attributes": {"type": obj.sobject}, **obj.to_server(item.row, obj.fields, parents)}
                       for item, parents in batch]
            self.store.mark_sent(obj.record_type, [item.record_id for item, _ in batch])
            try:
                response = self.client.request("POST", f"{self.api}/composite/sobjects",
                                               json={"allOrNone": False, "records": records}, idempotent=False)
            except OutcomeUnknown as error:
                self._transient([item for item, _ in batch], f"No answer from AS-CMS ({error}); checked before resending")
                continue
            self._settle(obj, [item for item, _ in batch], response, definitive=True)

    def _reconcile_keyless(self, obj: ObjectMap, group: list[tuple[Item, dict[str, str]]]) -> list[tuple[Item, dict[str, str]]]:
        """Find comments an earlier send created though its answer was lost; return the ones still to send.

        A match is a comment on the same case with the same body and sharing,
        not already known here (and by the same user, when the user's Id is known).
        """
        sent = self.store.sync_sent(obj.record_type)
        unknown = [(item, parents) for item, parents in group if item.record_id in sent]
        if not unknown:
            return group
        adopted = self._match_keyless(obj, [(item, item.row, parents) for item, parents in unknown], sent)
        if adopted:
            self._done(obj, [(item.record_id, server_id, item.change_ids) for item, server_id in adopted])
        taken = {item.record_id for item, _ in adopted}
        return [(item, parents) for item, parents in group if item.record_id not in taken]

    def _match_keyless(self, obj: ObjectMap, unknown: list[tuple[Item, dict, dict[str, str]]],
                       sent: dict[str, str]) -> list[tuple[Item, str]]:
        parent_field = obj.fields["case_id"]
        wanted = {parents.get(values.get("case_id")) for _, values, parents in unknown} - {None}
        candidates: list[dict[str, Any]] = []
        names = sorted({"Id", "CreatedById", *(obj.fields[c] for c in obj.fields if c not in obj.read_only)})
        for batch in chunks(sorted(wanted), 100):
            parent_ids = ", ".join(soql_quote(p) for p in batch)
            candidates += self.client.query_all(
                f"SELECT {', '.join(names)} FROM {obj.sobject} WHERE {parent_field} IN ({parent_ids})")
        known = self._known_server_ids(obj, [c["Id"] for c in candidates])
        me = self.client.session.user_id
        claimed: set[str] = set()
        adopted: list[tuple[Item, str]] = []
        for item, values, parents in sorted(unknown, key=lambda u: sent[u[0].record_id]):
            expected = obj.to_server(values, obj.fields, parents)
            for candidate in candidates:
                server_id = candidate["Id"]
                if server_id in known or server_id in claimed:
                    continue
                if me and candidate.get("CreatedById") and candidate["CreatedById"] != me:
                    continue
                if all(_same_sent(expected[name], candidate.get(name)) for name in expected):
                    claimed.add(server_id)
                    adopted.append((item, server_id))
                    break
        return adopted

    def _known_server_ids(self, obj: ObjectMap, server_ids: list[str]) -> set[str]:
        from ..store import TABLES

        known: set[str] = set()
        for batch in chunks(sorted(set(server_ids))):
            marks = ", ".join("?" * len(batch))
            known.update(r[0] for r in self.store.read(
                f"SELECT server_id FROM {TABLES[obj.record_type]} WHERE server_id IN ({marks})", batch))
        return known

    def _send_files(self, obj: ObjectMap, group: list[tuple[Item, dict[str, str]]]) -> None:
        """ContentVersion: one document a request; an earlier send without an answer is looked up first."""
        sent = self.store.sync_sent(obj.record_type)
        unknown = [item.record_id for item, _ in group if item.record_id in sent]
        found: dict[str, str] = {}
        for batch in chunks(unknown, 100):
            keys = ", ".join(soql_quote(k) for k in batch)
            for row in self.client.query_all(
                    f"SELECT Id, {obj.external_id} FROM {obj.sobject} WHERE {obj.external_id} IN ({keys})"):
                found[row[obj.external_id]] = row["Id"]
        if found:
            self._done(obj, [(item.record_id, found[item.record_id], item.change_ids)
                             for item, _ in group if item.record_id in found])
        for item, parents in group:
            if item.record_id in found:
                continue
            record = from_row(CaseFile, item.row)
            try:
                from ..files import read_attachment

                data = read_attachment(self.store, record, self.files_base)
            except (OSError, StoreError) as error:
                self._fail(item, f"The document's copy could not be read here: {error}", permanent=True)
                continue
            body = {**obj.to_server(item.row, obj.fields, parents), obj.external_id: item.record_id,
                    "PathOnClient": record.file_name, "VersionData": base64.b64encode(data).decode("ascii")}
            self.store.mark_sent(obj.record_type, [item.record_id])
            try:
                response = self.client.request("POST", f"{self.api}/sobjects/{obj.sobject}", json=body, idempotent=False)
            except OutcomeUnknown as error:
                self._transient([item], f"No answer from AS-CMS ({error}); checked before resending")
                continue
            if response.status < 300 and isinstance(response.body, dict) and response.body.get("id"):
                self._done(obj, [(item.record_id, response.body["id"], item.change_ids)])
            else:
                self.store.clear_sent([item.record_id])  # refused: certainly not created
                self._fail(item, error_text(response.body), permanent=_permanent(response))

    # -- deletes ------------------------------------------------------------------------------

    def _send_deletes(self, items: list[Item]) -> None:
        items = sorted(items, key=lambda i: -i.obj.level)  # children first
        resolved: list[Item] = []
        for record_type in {i.obj.record_type for i in items}:
            obj = self.mapping.objects[record_type]
            group = [i for i in items if i.obj.record_type == record_type]
            resolved += self._resolve_delete_ids(obj, group)
        for record_type in dict.fromkeys(i.obj.record_type for i in resolved):
            obj = self.mapping.objects[record_type]
            group = [i for i in resolved if i.obj.record_type == record_type]
            for batch in chunks(group, self.batch):
                ids = ",".join(i.server_id for i in batch)
                response = self.client.request("DELETE", f"{self.api}/composite/sobjects",
                                               params={"ids": ids, "allOrNone": "false"})
                self._settle(obj, batch, response)

    def _resolve_delete_ids(self, obj: ObjectMap, group: list[Item]) -> list[Item]:
        """Deletes with a server Id; a record never sent is simply done; one sent without an answer is looked up."""
        sent = self.store.sync_sent(obj.record_type)
        ready = [i for i in group if i.server_id]
        never_sent = [i for i in group if not i.server_id and i.record_id not in sent]
        if never_sent:
            self._done(obj, [(i.record_id, None, i.change_ids) for i in never_sent])
        unknown = [i for i in group if not i.server_id and i.record_id in sent]
        if not unknown:
            return ready
        found: dict[str, str] = {}
        if obj.external_id:
            for batch in chunks(unknown, 100):
                keys = ", ".join(soql_quote(i.record_id) for i in batch)
                for row in self.client.query_all(
                        f"SELECT Id, {obj.external_id} FROM {obj.sobject} WHERE {obj.external_id} IN ({keys})"):
                    found[row[obj.external_id]] = row["Id"]
        else:
            parents = {}
            for i in unknown:
                case_id = i.old.get("case_id")
                if case_id:
                    parents.update({case_id: self.store.sync_server_ids("case", [case_id]).get(case_id)})
            matched = self._match_keyless(obj, [(i, i.old, parents) for i in unknown], sent)
            found = {item.record_id: server_id for item, server_id in matched}
        for item in unknown:
            if item.record_id in found:
                item.server_id = found[item.record_id]
                ready.append(item)
            else:
                self._done(obj, [(item.record_id, None, item.change_ids)])  # it never reached AS-CMS
        return ready

    # -- results ----------------------------------------------------------------------------------

    def _settle(self, obj: ObjectMap, items: list[Item], response: Any, *, definitive: bool = False) -> None:
        """Apply a collection response (one result per record, in order) to the journal."""
        body = response.body
        if response.status >= 400 or not isinstance(body, list) or len(body) != len(items):
            message = error_text(body) if response.status >= 400 else "AS-CMS's answer did not match the request"
            for item in items:
                self._fail(item, message, permanent=_permanent(response))
            if definitive:
                self.store.clear_sent([i.record_id for i in items])
            return
        done, failed, gone, settled = [], [], [], []
        for item, result in zip(items, body):
            if isinstance(result, dict) and result.get("success"):
                done.append((item.record_id, result.get("id") or item.server_id, item.change_ids))
                continue
            errors = (result or {}).get("errors") or [{}]
            code = errors[0].get("statusCode") or errors[0].get("errorCode") or "UNKNOWN_ERROR"
            message = _record_message(errors[0], code)
            if item.op == "delete" and code in GONE:
                done.append((item.record_id, None, item.change_ids))  # already gone centrally
            elif item.op == "update" and code in GONE:
                gone.append(item.record_id)
            else:
                failed.append((item, message, code not in TRANSIENT_RECORD_ERRORS))
                settled.append(item.record_id)
        self._done(obj, done)
        if gone:
            self.store.record_central_deletions(obj.record_type, gone)
        for item, message, permanent in failed:
            self._fail(item, message, permanent=permanent)
        if definitive and settled:
            self.store.clear_sent(settled)  # refused: certainly not created

    def _done(self, obj: ObjectMap, results: list[tuple[str, str | None, list[int]]]) -> None:
        if not results:
            return
        self.store.record_pushed(obj.record_type, results)
        self.result.pushed += sum(len(ids) for _, _, ids in results)
        self.progress("push", self.result.pushed, self._total)

    def _fail(self, item: Item, message: str, *, permanent: bool) -> None:
        self.store.record_push_failed([(item.change_ids, message, permanent)])
        if permanent:
            self.result.set_aside += len(item.change_ids)
        else:
            self.result.transient += 1

    def _transient(self, items: list[Item], message: str) -> None:
        for item in items:
            self._fail(item, message, permanent=False)


def _permanent(response: Response) -> bool:
    """A refusal of the whole request: permanent unless it says try again (a lock, a busy server)."""
    return response.status < 500 and error_code(response.body) not in TRANSIENT_RECORD_ERRORS


def _record_message(error: dict[str, Any], code: str) -> str:
    text = f"{code}: {error.get('message', '')}".strip()
    fields = error.get("fields") or []
    if fields:
        text += f" ({', '.join(str(f) for f in fields)})"
    return clean_text(text).replace("\n", " ")


def _same_sent(sent: Any, found: Any) -> bool:
    if sent == found:
        return True
    if isinstance(sent, str) and isinstance(found, str):
        return clean_text(sent).strip() == clean_text(found).strip()
    return sent in (None, "") and found in (None, "")
