"""Push: drain the change journal into AS-CMS, exactly once, parents first.

Per round: the open changes are folded into one operation per record (its
current values for the fields changed). Before an update goes, the server's
version of the record is checked (queryAll, so an archived activity is not
mistaken for a deleted one): a newer central change is merged first, and a
field changed on both sides is held as a conflict. Then everything is packed
into Composite requests (25 subrequests each, one API call each; REST API
Developer Guide, "Composite"), parents before children:
- creates as sObject Collections upserts on the external ID (Offline_Id__c =
  the client UUID, so a resend after a lost response updates instead of
  duplicating), 200 records a subrequest; a child created with its parent in
  the same request names it by reference (`@{ref[i].id}`);
- updates as sObject Collections updates (`PATCH /composite/sobjects`, records
  carrying their `id`): Collections upsert takes external IDs only;
- CaseComment creates posted after reconciling any earlier send whose answer
  was lost;
- deletes last, children first; a file is removed by deleting its
  ContentDocument (a ContentVersion cannot be deleted).
Files go one by one, after the composite requests.

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
    COMPOSITE_HEAVY_LIMIT,
    TRANSIENT_RECORD_ERRORS,
    OutcomeUnknown,
    Response,
    SalesforceClient,
    error_code,
    error_text,
)
from .mapping import Mapping, ObjectMap, soql_quote

BATCH = 200  # sObject Collections' limit
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
                 sleep: Callable[[float], None] = time.sleep, held_types: set[str] = frozenset()):
        self.held_types = held_types  # broken in the org (the org check): their changes wait here
        self.store, self.client, self.mapping = store, client, mapping
        self.files_base = files_base
        self.progress = progress or (lambda phase, done, total: None)
        self.max_rounds = max_rounds
        self.sleep = sleep
        self.result = PushResult()
        self._checked: set[str] = set()
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
            self._send(self.items())
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
        in_conflict = self.store.records_in_conflict()
        wanted: dict[str, list[tuple[str, list[Change]]]] = {}
        for (record_type, record_id), changes in by_record.items():
            if all(c.status == "set_aside" for c in changes) or record_id in in_conflict or record_type in self.held_types:
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
        queries: list[tuple[ObjectMap, list[Item], str]] = []
        by_obj: dict[str, list[Item]] = {}
        for item in items:
            by_obj.setdefault(item.obj.record_type, []).append(item)
        for record_type, group in by_obj.items():
            obj = self.mapping.objects[record_type]
            for batch in chunks(group, self.batch):
                ids = ", ".join(soql_quote(i.server_id) for i in batch)
                # queryAll: a deleted record comes back as IsDeleted, an archived Event or Task at all.
                queries.append((obj, batch, f"SELECT {', '.join(obj.query_fields())}, IsDeleted FROM "
                                            f"{obj.sobject} WHERE Id IN ({ids})"))
        answers = self.client.queries([soql for _, _, soql in queries], include_deleted=True)
        for (obj, batch, _), rows in zip(queries, answers):
            found = {r["Id"]: r for r in rows if not r.get("IsDeleted")}
            # Merged whatever the stamp says: SystemModstamp has whole seconds, so a central edit in the
            # same second as our last push carries the stamp we already hold. Merging is idempotent.
            present = [found[i.server_id] for i in batch if i.server_id in found]
            if present:
                self.store.apply_server_records(obj, present)
            gone = [i.record_id for i in batch if i.server_id not in found]
            if gone:
                self.store.record_central_deletions(obj.record_type, gone)
            self._checked.update(i.record_id for i in batch)

    # -- creates, updates and deletes, packed into Composite requests --------------------------

    def _parents(self, item: Item, known: dict[str, dict[str, str | None]],
                 references: dict[str, str]) -> dict[str, str] | None:
        """Local parent id -> server Id (or a reference to its create in this request); None while a parent
        has neither."""
        ids: dict[str, str] = {}
        for column, parent_type in item.obj.parents.items():
            if item.op == "update" and column not in item.columns:
                continue
            local = item.row.get(column) if item.row else None
            if local is None:
                continue
            server = known.get(parent_type, {}).get(local) or references.get(local)
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

    def _send(self, items: list[Item]) -> None:
        """Every create, update and delete of the round, parents first, in as few requests as fit."""
        writes = [i for i in items if i.op != "delete" and not (i.op == "create" and i.obj.record_type == "file")]
        keyless = [i for i in writes if i.op == "create" and not i.obj.external_id]
        if keyless:
            settled = self._reconcile_keyless(keyless)
            writes = [i for i in writes if i.record_id not in settled]
        groups: list[tuple[str, list[Item]]] = []
        for level in (0, 1, 2):
            # Creates go per object (an upsert names its object); updates of any objects go together.
            by_kind: dict[str, list[Item]] = {}
            for item in writes:
                if item.obj.level == level:
                    by_kind.setdefault(item.obj.record_type if item.op == "create" else "update", []).append(item)
            for kind, group in by_kind.items():
                if kind == "update":
                    for obj in {i.obj.record_type: i.obj for i in group}.values():
                        local_only = [i for i in group if i.obj is obj and not obj.pushable(i.columns)]
                        if local_only:  # only local bookkeeping changed (e.g. a checksum): nothing for AS-CMS
                            self._done(obj, [(i.record_id, i.server_id, i.change_ids) for i in local_only])
                    group = [i for i in group if i.obj.pushable(i.columns)]
                groups += [("update" if kind == "update" else "create", batch) for batch in chunks(group, self.batch)]
        groups += self._delete_groups([i for i in items if i.op == "delete"])
        self._send_composites(groups)
        self._send_files([i for i in items if i.op == "create" and i.obj.record_type == "file"])

    def _send_composites(self, groups: list[tuple[str, list[Item]]]) -> None:
        """Pack the groups into Composite requests in order, at most `batch_size` records and five
        collections a request; each body is built just before it goes, so a child sees the server Id its
        parent got in an earlier request, or references it in this one."""
        pending = list(groups)
        while pending:
            subrequests: list[dict[str, Any]] = []
            sent: list[tuple[str, list[Item]]] = []
            references: dict[str, str] = {}
            known = self._parent_server_ids([i for op, batch in pending for i in batch if op != "delete"])
            room = self.batch  # records a request carries: the org's batch size, whatever the subrequests
            while pending and len(subrequests) < COMPOSITE_HEAVY_LIMIT and room > 0:
                op, batch = pending.pop(0)
                if len(batch) > room:
                    pending.insert(0, (op, batch[room:]))
                    batch = batch[:room]
                ref = f"r{len(subrequests)}"
                built = self._subrequest(op, batch, ref, known, references)
                if built is None:
                    continue  # every record waits for a parent
                subrequest, ready = built
                room -= len(ready)
                subrequests.append(subrequest)
                sent.append((op, ready))
                if op == "create" and ready[0].obj.external_id:
                    references.update({item.record_id: f"@{{{ref}[{n}].id}}" for n, item in enumerate(ready)})
            if subrequests:
                self._post_composite(subrequests, sent)

    def _subrequest(self, op: str, batch: list[Item], ref: str, known: dict,
                    references: dict[str, str]) -> tuple[dict[str, Any], list[Item]] | None:
        if op == "delete":
            ids = ",".join(i.server_id for i in batch)
            return {"method": "DELETE", "url": f"{self.api}/composite/sobjects?ids={ids}&allOrNone=false",
                    "referenceId": ref}, batch
        ready: list[tuple[Item, dict[str, str]]] = []
        for item in batch:
            parents = self._parents(item, known, references)
            if parents is not None:
                ready.append((item, parents))
        if not ready:
            return None
        obj = ready[0][0].obj
        if op == "update":
            records = [{"attributes": {"type": item.obj.sobject}, "id": item.server_id,
                        **item.obj.to_server(item.row, item.columns, parents)} for item, parents in ready]
            method, url = "PATCH", f"{self.api}/composite/sobjects"
        elif obj.external_id:
            records = [{"attributes": {"type": obj.sobject}, obj.external_id: item.record_id,
                        **obj.to_server(item.row, obj.fields, parents)} for item, parents in ready]
            method, url = "PATCH", f"{self.api}/composite/sobjects/{obj.sobject}/{obj.external_id}"
        else:
            records = [{"attributes": {"type": obj.sobject}, **obj.to_server(item.row, obj.fields, parents)}
                       for item, parents in ready]
            method, url = "POST", f"{self.api}/composite/sobjects"
        return ({"method": method, "url": url, "referenceId": ref, "body": {"allOrNone": False, "records": records}},
                [item for item, _ in ready])

    def _post_composite(self, subrequests: list[dict[str, Any]], sent: list[tuple[str, list[Item]]]) -> None:
        by_type: dict[str, list[str]] = {}
        for op, batch in sent:
            for item in batch if op == "create" else ():
                by_type.setdefault(item.obj.record_type, []).append(item.record_id)
        for record_type, ids in by_type.items():
            self.store.mark_sent(record_type, ids)
        # A comment create cannot simply be sent again: with one inside, the request is not repeatable.
        repeatable = not any(op == "create" and not batch[0].obj.external_id for op, batch in sent)
        try:
            response = self.client.request("POST", f"{self.api}/composite",
                                           json={"allOrNone": False, "compositeRequest": subrequests},
                                           idempotent=repeatable)
        except OutcomeUnknown as error:
            for _, batch in sent:
                self._transient(batch, f"No answer from AS-CMS ({error}); checked before resending")
            return
        answers = response.body.get("compositeResponse") if isinstance(response.body, dict) else None
        if response.status >= 400 or not isinstance(answers, list) or len(answers) != len(sent):
            self._settle([i for _, batch in sent for i in batch], response)
            return
        for (_, batch), answer in zip(sent, answers):
            status, body = answer.get("httpStatusCode", 500), answer.get("body")
            if status >= 400 and error_code(body) == "PROCESSING_HALTED":
                # A parent in this request failed, so its reference had no value: nothing was done.
                self._transient(batch, "Waiting for its parent record to reach AS-CMS")
                self.store.clear_sent([i.record_id for i in batch if not i.obj.external_id and i.op == "create"])
                continue
            self._settle(batch, Response(status, body))

    def _reconcile_keyless(self, items: list[Item]) -> set[str]:
        """Comments an earlier send created though its answer was lost: adopted, not sent again.

        A match is a comment on the same case with the same body and sharing, whose Id no
        record here holds (and by the same user, when the user's Id is known). The record
        ids settled so are returned.
        """
        settled: set[str] = set()
        for record_type in {i.obj.record_type for i in items}:
            obj = self.mapping.objects[record_type]
            sent = self.store.sync_sent(record_type)
            unknown = [i for i in items if i.obj.record_type == record_type and i.record_id in sent]
            if not unknown:
                continue
            known = self._parent_server_ids(unknown)
            with_parents = [(i, i.row, self._parents(i, known, {}) or {}) for i in unknown]
            adopted = self._match_keyless(obj, with_parents, sent)
            if adopted:
                self._done(obj, [(item.record_id, server_id, item.change_ids) for item, server_id in adopted])
            settled.update(item.record_id for item, _ in adopted)
        return settled

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
        # An Id held here, even by a record whose delete is still queued, belongs to that record.
        known = self.store.server_ids_held(obj.record_type, [c["Id"] for c in candidates])
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

    def _send_files(self, items: list[Item]) -> None:
        """ContentVersion: one document a request; an earlier send without an answer is looked up first."""
        if not items:
            return
        obj = items[0].obj
        sent = self.store.sync_sent(obj.record_type)
        unknown = [item.record_id for item in items if item.record_id in sent]
        found: dict[str, str] = {}
        for batch in chunks(unknown, 100):
            keys = ", ".join(soql_quote(k) for k in batch)
            for row in self.client.query_all(
                    f"SELECT Id, {obj.external_id} FROM {obj.sobject} WHERE {obj.external_id} IN ({keys})"):
                found[row[obj.external_id]] = row["Id"]
        if found:
            self._done(obj, [(item.record_id, found[item.record_id], item.change_ids)
                             for item in items if item.record_id in found])
        known = self._parent_server_ids(items)
        for item in items:
            parents = self._parents(item, known, {})
            if item.record_id in found or parents is None:
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

    def _delete_groups(self, items: list[Item]) -> list[tuple[str, list[Item]]]:
        """Deletes by object, children first, 200 a subrequest; a file by its ContentDocument."""
        groups: list[tuple[str, list[Item]]] = []
        for record_type in sorted({i.obj.record_type for i in items},
                                  key=lambda t: -self.mapping.objects[t].level):
            obj = self.mapping.objects[record_type]
            group = self._resolve_delete_ids(obj, [i for i in items if i.obj.record_type == record_type])
            if obj.sobject == "ContentVersion":
                group = self._documents_of(obj, group)
            groups += [("delete", batch) for batch in chunks(group, self.batch)]
        return groups

    def _documents_of(self, obj: ObjectMap, items: list[Item]) -> list[Item]:
        """Files are removed by deleting their ContentDocument (Object Reference, ContentVersion: no delete)."""
        documents: dict[str, str] = {}
        for batch in chunks([i.server_id for i in items], 200):
            ids = ", ".join(soql_quote(i) for i in batch)
            for row in self.client.query_all(f"SELECT Id, ContentDocumentId FROM {obj.sobject} WHERE Id IN ({ids})",
                                             include_deleted=True):
                documents[row["Id"]] = row.get("ContentDocumentId")
        ready = []
        for item in items:
            document = documents.get(item.server_id)
            if document:
                ready.append(Item(item.obj, item.record_id, item.change_ids, "delete", item.columns, document,
                                  None, item.old))
            else:
                self._done(obj, [(item.record_id, None, item.change_ids)])  # gone from AS-CMS already
        return ready

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

    def _settle(self, items: list[Item], response: Any) -> None:
        """Apply a collection response (one result per record, in order) to the journal."""
        body = response.body
        unsent = [i.record_id for i in items if i.op == "create" and not i.obj.external_id]
        if response.status >= 400 or not isinstance(body, list) or len(body) != len(items):
            message = error_text(body) if response.status >= 400 else "AS-CMS's answer did not match the request"
            for item in items:
                self._fail(item, message, permanent=_permanent(response))
            if response.status >= 400:
                self.store.clear_sent(unsent)  # refused whole: a comment create was certainly not made
            return
        done: dict[str, list] = {}
        gone: dict[str, list[str]] = {}
        failed, refused = [], []
        for item, result in zip(items, body):
            record_type = item.obj.record_type
            if isinstance(result, dict) and result.get("success"):
                done.setdefault(record_type, []).append(
                    (item.record_id, result.get("id") or item.server_id, item.change_ids))
                continue
            errors = (result or {}).get("errors") or [{}]
            code = errors[0].get("statusCode") or errors[0].get("errorCode") or "UNKNOWN_ERROR"
            message = _record_message(errors[0], code)
            if item.op == "delete" and code in GONE:
                done.setdefault(record_type, []).append((item.record_id, None, item.change_ids))  # gone already
            elif item.op == "update" and code in GONE:
                gone.setdefault(record_type, []).append(item.record_id)
            else:
                failed.append((item, message, code not in TRANSIENT_RECORD_ERRORS))
                if item.record_id in unsent:
                    refused.append(item.record_id)
        for record_type, results in done.items():
            self._done(self.mapping.objects[record_type], results)
        for record_type, record_ids in gone.items():
            self.store.record_central_deletions(record_type, record_ids)
        for item, message, permanent in failed:
            self._fail(item, message, permanent=permanent)
        self.store.clear_sent(refused)  # refused: certainly not created

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
