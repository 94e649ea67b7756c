"""Salesforce's REST resources under /services/data/vXX.X, independent of the web framework.

`Api.resolve` maps a method and path to a handler and an endpoint name (for the
request counts); `Api.call` runs it inside one SQLite transaction. Composite
subrequests go through the same handlers, so a subrequest behaves exactly as the
request would on its own.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from dataclasses import dataclass, field
from typing import Any

from .records import Org, SfError, not_found
from .soql import Runner, get_ignoring_case, parse
from .storage import format_instant, normal_id

MAX_COLLECTION = 200
MAX_COMPOSITE = 25
MAX_COMPOSITE_COLLECTIONS = 5
DEFAULT_BATCH = 2000
MIN_BATCH = 200
CURSORS_PER_USER = 10  # Salesforce keeps ten open query cursors per user, dropping the oldest
CURSOR_SECONDS = 15 * 60
NO_BODY = object()
_VERSION = re.compile(r"/services/data/v(\d{2}\.\d)(?:/(.*))?\Z")
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_REFERENCE_ID = re.compile(r"[A-Za-z0-9_]+\Z")
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
    "fields": [],
}
HALTED_ROLLBACK = [{"errorCode": "PROCESSING_HALTED",
                    "message": "The transaction was rolled back since another operation in the same transaction "
                               "failed."}]


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-ready, raw bytes, or None for no content
    headers: dict[str, str] = field(default_factory=dict)
    failed: bool = False  # for composite allOrNone: some part of this request did not succeed


@dataclass
class Call:
    """One request as the handlers see it."""

    method: str
    version: str
    parts: list[str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    user: str
    all_or_none: bool = False  # forced by an enclosing composite request


class _Rollback(Exception):
    pass


class Api:
    def __init__(self, org: Org, usage: Callable[[], tuple[int, int]] = lambda: (0, 15000)):
        self.org = org
        self.usage = usage  # (requests used today, the daily limit)
        self.subrequests: Counter[str] = Counter()  # Composite subrequests by endpoint, for stats
        self.storage = org.storage
        self.runner = Runner(org.storage)
        self.cursors: OrderedDict[str, tuple[str, float, int, list[dict]]] = OrderedDict()

    # --- routing -----------------------------------------------------------------------

    def resolve(self, method: str, path: str) -> tuple[str, Callable[[Call], Reply] | None, str, list[str]]:
        """(endpoint name, handler or None, API version, path parts after the version)."""
        match = _VERSION.match(path.rstrip("/"))
        if not match:
            return "other", None, "", []
        version = match.group(1)
        if not 20.0 <= float(version) <= 70.0:
            return "other", None, version, []
        parts = [p for p in (match.group(2) or "").split("/") if p]
        n = len(parts)
        head = parts[0] if parts else ""
        routes: dict[str, Callable[[Call], Reply]] = {}
        name = "other"
        if n == 0:
            name, routes = "/", {"GET": self.resources}
        elif head == "sobjects" and n == 1:
            name, routes = "/sobjects", {"GET": self.describe_global}
        elif head == "sobjects" and n == 2:
            name, routes = "/sobjects/{sobject}", {"POST": self.create_one, "GET": self.basic_info}
        elif head == "sobjects" and n == 3 and parts[2] == "describe":
            name, routes = "/sobjects/{sobject}/describe", {"GET": self.describe}
        elif head == "sobjects" and n == 3 and parts[2] in ("deleted", "updated"):
            name, routes = f"/sobjects/{{sobject}}/{parts[2]}", {"GET": self.changed_between}
        elif head == "sobjects" and n == 3:
            name, routes = "/sobjects/{sobject}/{id}", {
                "GET": self.get_one, "PATCH": self.update_one, "DELETE": self.delete_one}
        elif head == "sobjects" and n == 4 and parts[3].lower() == "versiondata":
            name, routes = "/sobjects/ContentVersion/{id}/VersionData", {"GET": self.version_data}
        elif head == "sobjects" and n == 4:
            name, routes = "/sobjects/{sobject}/{field}/{value}", {
                "GET": self.get_by_external, "PATCH": self.upsert_one, "DELETE": self.delete_by_external}
        elif head == "composite" and n == 1:
            name, routes = "/composite", {"POST": self.composite}
        elif head == "composite" and n == 2 and parts[1] == "sobjects":
            name, routes = "/composite/sobjects", {
                "POST": self.create_many, "PATCH": self.update_many, "DELETE": self.delete_many}
        elif head == "composite" and n == 4 and parts[1] == "sobjects":
            name, routes = "/composite/sobjects/{sobject}/{field}", {"PATCH": self.upsert_many}
        elif head in ("query", "queryAll") and n == 1:
            name, routes = f"/{head}", {"GET": self.query}
        elif head in ("query", "queryAll") and n == 2:
            name, routes = f"/{head}/{{locator}}", {"GET": self.query_more}
        elif head == "limits" and n == 1:
            name, routes = "/limits", {"GET": self.limits}
        if not routes:
            return "other", None, version, parts
        handler = routes.get(method)
        if handler is None:
            allowed = ",".join(routes)

            def refuse(call: Call) -> Reply:
                return Reply(405, [{"errorCode": "METHOD_NOT_ALLOWED",
                                    "message": f"HTTP Method '{call.method}' not allowed. Allowed are {allowed}"}],
                             {"Allow": allowed})

            return f"{method} {name}", refuse, version, parts
        return f"{method} {name}", handler, version, parts

    def call(self, handler: Callable[[Call], Reply] | None, call: Call) -> Reply:
        if handler is None:
            return Reply(404, not_found().body())
        try:
            with self.storage.transaction():
                reply = handler(call)
                if reply.failed and call.all_or_none:
                    raise _Rollback()
                return reply
        except _Rollback:
            return reply
        except SfError as error:
            return Reply(error.status, error.body(), failed=True)

    # --- small resources ---------------------------------------------------------------

    def resources(self, call: Call) -> Reply:
        base = f"/services/data/v{call.version}"
        return Reply(200, {"sobjects": base + "/sobjects", "query": base + "/query",
                           "composite": base + "/composite", "limits": base + "/limits"})

    def describe_global(self, call: Call) -> Reply:
        """Describe Global: every object of the org contract (REST API Developer Guide, "Describe Global")."""
        objects = []
        for described in self.org.contract.objects.values():
            head = {k: v for k, v in described.describe.items() if k != "fields"}
            name = described.name
            objects.append({**head, "urls": {"sobject": f"/services/data/v{call.version}/sobjects/{name}",
                                             "describe": f"/services/data/v{call.version}/sobjects/{name}/describe"}})
        return Reply(200, {"encoding": "UTF-8", "maxBatchSize": MAX_COLLECTION, "sobjects": objects})

    def basic_info(self, call: Call) -> Reply:
        described = self.org.described(call.parts[1])
        head = {k: v for k, v in described.describe.items() if k != "fields"}
        return Reply(200, {"objectDescribe": head, "recentItems": []})

    def describe(self, call: Call) -> Reply:
        """sObject Describe: the object and its fields as the contract has them."""
        described = self.org.described(call.parts[1])
        return Reply(200, {**described.describe, "fields": [dict(f.describe) for f in described.fields.values()]})

    def changed_between(self, call: Call) -> Reply:
        """`sobjects/{X}/deleted/` and `updated/` with `start` and `end` (REST API Developer Guide,
        "Get a List of Deleted Records Within a Given Timeframe" / "... Updated Records ...")."""
        described = self.org.described(call.parts[1])
        sobject = self.storage.object_name(described.name)
        window = []
        for key in ("start", "end"):
            text = call.query.get(key)
            instant = _parse_instant(text) if text else None
            if instant is None:
                raise SfError("MISSING_ARGUMENT" if not text else "INVALID_DATE_FORMAT",
                              f"{key}: a date and time like 2026-06-30T00:00:00+00:00 is required")
            window.append(instant)
        start, end = window
        if end < start:
            raise SfError("INVALID_REPLICATION_DATE", "end date must be after the start date")
        now = time.time()
        latest = min(end.timestamp(), now)
        # Stamps are whole seconds; the window is [start, end] to the second.
        records = self.storage.stamped_between(sobject, int(start.timestamp()) * 1000, int(latest) * 1000,
                                               deleted=call.parts[2] == "deleted")
        covered = format_instant(int(latest) * 1000)
        if call.parts[2] == "deleted":
            return Reply(200, {"deletedRecords": [{"id": r["Id"], "deletedDate": r["SystemModstamp"]}
                                                  for r in records],
                               "earliestDateAvailable": format_instant(int(now - 30 * 86400) * 1000),
                               "latestDateCovered": covered})
        return Reply(200, {"ids": [r["Id"] for r in records], "latestDateCovered": covered})

    def limits(self, call: Call) -> Reply:
        used, limit = self.usage()
        return Reply(200, {"DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - used)}})

    # --- single records ----------------------------------------------------------------

    def _record(self, sobject: str, fields: dict, version: str, wanted: str | None) -> dict:
        out = {"attributes": {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{fields['Id']}"}}
        if wanted:
            lowered = {k.lower(): k for k in fields}
            for name in (n.strip() for n in wanted.split(",") if n.strip()):
                key = lowered.get(name.lower(), name)
                out[key] = fields.get(key)
        else:
            out.update(fields)
        if sobject == "ContentVersion" and (not wanted or "versiondata" in wanted.lower()):
            out["VersionData"] = f"/services/data/v{version}/sobjects/ContentVersion/{fields['Id']}/VersionData"
        return out

    def _body_object(self, call: Call) -> dict:
        if not isinstance(call.body, dict):
            raise SfError("JSON_PARSER_ERROR", "The request body must be a JSON object")
        return call.body

    def create_one(self, call: Call) -> Reply:
        record_id = self.org.create(call.parts[1], self._body_object(call), user=call.user)
        sobject = self.storage.object_of_id(record_id)
        return Reply(201, {"id": record_id, "success": True, "errors": []},
                     {"Location": f"/services/data/v{call.version}/sobjects/{sobject}/{record_id}"})

    def get_one(self, call: Call) -> Reply:
        sobject, fields = self.org.live(call.parts[2])
        if self.storage.object_name(call.parts[1]) != sobject:
            raise not_found()
        return Reply(200, self._record(sobject, fields, call.version, call.query.get("fields")))

    def update_one(self, call: Call) -> Reply:
        self.org.update(call.parts[2], self._body_object(call), user=call.user, sobject=call.parts[1])
        return Reply(204)

    def delete_one(self, call: Call) -> Reply:
        self.org.delete(call.parts[2], sobject=call.parts[1])
        return Reply(204)

    def version_data(self, call: Call) -> Reply:
        sobject, fields = self.org.live(call.parts[2])
        data = self.storage.blob(fields["Id"]) if sobject == "ContentVersion" else None
        if data is None:
            raise not_found()
        return Reply(200, data, {"Content-Type": "application/octet-stream"})

    def _external_matches(self, call: Call) -> tuple[str, str, list[str]]:
        sobject = self.org.described(call.parts[1]).name
        if call.parts[2].lower() == "id":
            nid = normal_id(call.parts[3])
            return sobject, "Id", [nid] if nid and self.storage.exists(nid) else []
        field_name = self.org.external_field(sobject, call.parts[2])
        return sobject, field_name, self.storage.find_by_field(sobject, field_name, call.parts[3])

    def get_by_external(self, call: Call) -> Reply:
        sobject, _, matches = self._external_matches(call)
        if not matches:
            raise not_found()
        if len(matches) > 1:
            return Reply(300, [f"/services/data/v{call.version}/sobjects/{sobject}/{m}" for m in matches])
        sobject, fields = self.org.live(matches[0])
        return Reply(200, self._record(sobject, fields, call.version, call.query.get("fields")))

    def delete_by_external(self, call: Call) -> Reply:
        _, _, matches = self._external_matches(call)
        if not matches:
            raise not_found()
        if len(matches) > 1:
            raise SfError("MULTIPLE_CHOICES", "more than one record matches", status=300)
        self.org.delete(matches[0])
        return Reply(204)

    def upsert_one(self, call: Call) -> Reply:
        body = self._body_object(call)
        if call.parts[2].lower() == "id":
            # PATCH .../sobjects/X/Id/{id}: update that record, or create one when the value is empty.
            if call.parts[3] in ("", "null"):
                return self.create_one(call)
            self.org.update(call.parts[3], body, user=call.user, sobject=call.parts[1])
            nid = normal_id(call.parts[3])
            return Reply(200, {"id": nid, "success": True, "errors": [], "created": False})
        self.org.external_field(call.parts[1], call.parts[2])
        lowered = call.parts[2].lower()
        if any(k.lower() == lowered and str(v) != call.parts[3] for k, v in body.items()):
            raise SfError("INVALID_FIELD",
                          f"The value of {call.parts[2]} in the body differs from the one in the URL",
                          [call.parts[2]])
        record_id, created = self.org.upsert(call.parts[1], call.parts[2], call.parts[3], body, user=call.user)
        sobject = self.storage.object_of_id(record_id)
        headers = {"Location": f"/services/data/v{call.version}/sobjects/{sobject}/{record_id}"} if created else {}
        return Reply(201 if created else 200, {"id": record_id, "success": True, "errors": [], "created": created},
                     headers)

    # --- sObject Collections -----------------------------------------------------------

    def _collection(self, call: Call) -> tuple[list[dict], bool]:
        body = self._body_object(call)
        records = body.get("records")
        if not isinstance(records, list):
            raise SfError("JSON_PARSER_ERROR", "The request body needs a list of records")
        if len(records) > MAX_COLLECTION:
            raise SfError("EXCEEDED_ID_LIMIT",
                          f"record limit reached. cannot submit more than {MAX_COLLECTION} records into this call")
        all_or_none = body.get("allOrNone", False)
        if not isinstance(all_or_none, bool):
            raise SfError("JSON_PARSER_ERROR", "allOrNone must be true or false")
        for record in records:
            attributes = record.get("attributes") if isinstance(record, dict) else None
            if not isinstance(attributes, dict) or not isinstance(attributes.get("type"), str):
                raise SfError("INVALID_TYPE", "Must send a concrete entity type.")
        return records, all_or_none or call.all_or_none

    def _each(self, items: list, all_or_none: bool, work: Callable[[Any], dict], *, existing: bool = False) -> Reply:
        """Run `work` per item in its own savepoint; with allOrNone, one failure undoes them all.

        `existing`: the items name records that already exist (update, delete), so results keep their Ids.
        """
        results: list[dict] = []
        failed = False
        try:
            with self.storage.transaction():
                for item in items:
                    try:
                        with self.storage.transaction():
                            results.append(work(item))
                    except SfError as error:
                        failed = True
                        result: dict[str, Any] = {"success": False, "errors": [error.record_error()]}
                        record_id = getattr(error, "record_id", None) or (item if isinstance(item, str) else None)
                        if record_id:
                            result = {"id": record_id, **result}
                        results.append(result)
                if failed and all_or_none:
                    raise _Rollback()
        except _Rollback:
            results = [r if not r["success"] else
                       {**({"id": r["id"]} if existing else {}), "success": False, "errors": [dict(ROLLED_BACK)]}
                       for r in results]
        return Reply(200, results, failed=failed)

    def upsert_many(self, call: Call) -> Reply:
        records, all_or_none = self._collection(call)
        sobject = self.org.described(call.parts[2]).name
        field_name = call.parts[3]
        if field_name.lower() == "id":
            # REST API Developer Guide, "Upsert Multiple Records": "Only external ids are supported. Don't use
            # record ids."
            raise SfError("INVALID_FIELD", "Only external ids are supported with sObject Collections upsert",
                          ["Id"])
        field_name = self.org.external_field(sobject, field_name)
        for record in records:
            if record["attributes"]["type"].lower() != sobject.lower():
                raise SfError("INVALID_TYPE",
                              f"records must be of type {sobject}, the object named in the URL")
        values = [get_ignoring_case(r, field_name) for r in records]
        seen: dict[str, int] = {}
        for value in values:
            if value not in (None, ""):
                seen[str(value).lower()] = seen.get(str(value).lower(), 0) + 1

        def upsert(record: dict) -> dict:
            value = get_ignoring_case(record, field_name)
            if value not in (None, "") and seen[str(value).lower()] > 1:
                raise SfError("DUPLICATE_VALUE", f"Duplicate external id specified: {value}", [field_name])
            record_id, created = self.org.upsert(sobject, field_name, value, record, user=call.user)
            return {"id": record_id, "success": True, "errors": [], "created": created}

        return self._each(records, all_or_none, upsert)

    def create_many(self, call: Call) -> Reply:
        records, all_or_none = self._collection(call)

        def create(record: dict) -> dict:
            if any(k.lower() == "id" for k in record):
                raise SfError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
            record_id = self.org.create(record["attributes"]["type"], record, user=call.user)
            return {"id": record_id, "success": True, "errors": []}

        return self._each(records, all_or_none, create)

    def update_many(self, call: Call) -> Reply:
        records, all_or_none = self._collection(call)

        def update(record: dict) -> dict:
            record_id = get_ignoring_case(record, "id")
            if not isinstance(record_id, str) or not record_id:
                raise SfError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            values = {k: v for k, v in record.items() if k.lower() != "id"}
            try:
                done = self.org.update(record_id, values, user=call.user, sobject=record["attributes"]["type"])
            except SfError as error:
                error.record_id = record_id  # failed updates report the record's Id, as Salesforce does
                raise
            return {"id": done, "success": True, "errors": []}

        return self._each(records, all_or_none, update, existing=True)

    def delete_many(self, call: Call) -> Reply:
        raw = call.query.get("ids", "")
        ids = [i for i in raw.split(",") if i]
        if not ids:
            raise SfError("MISSING_ARGUMENT", "ids: the Ids to delete are required (?ids=...)")
        if len(ids) > MAX_COLLECTION:
            raise SfError("EXCEEDED_ID_LIMIT",
                          f"record limit reached. cannot submit more than {MAX_COLLECTION} records into this call")
        all_or_none = call.query.get("allOrNone", "false").lower() == "true" or call.all_or_none

        def delete(record_id: str) -> dict:
            if normal_id(record_id) is None:
                raise SfError("MALFORMED_ID", f"malformed id {record_id}")
            self.org.delete(record_id)
            return {"id": normal_id(record_id), "success": True, "errors": []}

        return self._each(ids, all_or_none, delete, existing=True)

    # --- query -------------------------------------------------------------------------

    def query(self, call: Call) -> Reply:
        text = call.query.get("q")
        if text is None:
            raise SfError("MALFORMED_QUERY", "A query string (q=SELECT ...) is required")
        total, records = self.runner.run(parse(text), call.version, all_rows=call.parts[0] == "queryAll")
        return self._page(call, _new_locator(), total, records, 0, self._batch_size(call))

    def query_more(self, call: Call) -> Reply:
        locator, _, offset = call.parts[1].rpartition("-")
        entry = self.cursors.get(locator)
        if entry is None or entry[0] != call.user or time.monotonic() - entry[1] > CURSOR_SECONDS \
                or not offset.isdigit():
            self.cursors.pop(locator, None)
            raise SfError("INVALID_QUERY_LOCATOR", "invalid query locator")
        _, _, batch, records = entry
        return self._page(call, locator, len(records), records, int(offset), batch)

    def _batch_size(self, call: Call) -> int:
        options = call.headers.get("sforce-query-options", "")
        match = re.search(r"batchSize\s*=\s*(\d+)", options, re.IGNORECASE)
        if not match:
            return DEFAULT_BATCH
        # Salesforce takes 200 to 2,000 and treats the number as a hint.
        return max(MIN_BATCH, min(DEFAULT_BATCH, int(match.group(1))))

    def _page(self, call: Call, locator: str, total: int, records: list[dict], offset: int, batch: int) -> Reply:
        end = offset + batch
        body: dict[str, Any] = {"totalSize": total, "done": end >= len(records)}
        if end < len(records):
            body["nextRecordsUrl"] = f"/services/data/v{call.version}/{call.parts[0]}/{locator}-{end}"
            self._keep_cursor(locator, call.user, batch, records)
        else:
            self.cursors.pop(locator, None)
        body["records"] = records[offset:end]
        return Reply(200, body)

    def _keep_cursor(self, locator: str, user: str, batch: int, records: list[dict]) -> None:
        if locator in self.cursors:
            self.cursors.move_to_end(locator)
            return
        self.cursors[locator] = (user, time.monotonic(), batch, records)
        mine = [key for key, entry in self.cursors.items() if entry[0] == user]
        for key in mine[:-CURSORS_PER_USER]:
            del self.cursors[key]

    # --- composite ---------------------------------------------------------------------

    def composite(self, call: Call) -> Reply:
        body = self._body_object(call)
        requests = body.get("compositeRequest")
        if not isinstance(requests, list) or not requests:
            raise SfError("JSON_PARSER_ERROR", "compositeRequest must be a non-empty list of subrequests")
        if len(requests) > MAX_COMPOSITE:
            raise SfError("LIMIT_EXCEEDED", f"A composite request can have up to {MAX_COMPOSITE} subrequests")
        # REST API Developer Guide, "Composite": "Up to 5 of these subrequests can be sObject Collections
        # or query operations, including Query and QueryAll requests."
        heavy = [sub for sub in requests if isinstance(sub, dict) and isinstance(sub.get("url"), str)
                 and re.search(r"/v\d+\.\d/(composite/sobjects|query|queryAll)\b", sub["url"])]
        if len(heavy) > MAX_COMPOSITE_COLLECTIONS:
            raise SfError("LIMIT_EXCEEDED", f"A composite request can have up to {MAX_COMPOSITE_COLLECTIONS} "
                                            "subrequests that are sObject Collections or queries")
        all_or_none = bool(body.get("allOrNone", False)) or call.all_or_none
        seen_refs = set()
        for sub in requests:
            if not isinstance(sub, dict) or not all(isinstance(sub.get(k), str) for k in ("method", "url",
                                                                                            "referenceId")):
                raise SfError("JSON_PARSER_ERROR", "Each subrequest needs method, url and referenceId")
            ref = sub["referenceId"]
            if not _REFERENCE_ID.match(ref) or ref in seen_refs:
                raise SfError("INVALID_INPUT", f"Invalid or duplicate referenceId: {ref}")
            seen_refs.add(ref)

        outcomes: dict[str, tuple[int, Any]] = {}
        responses: list[dict] = []
        halted = False
        try:
            with self.storage.transaction():
                for sub in requests:
                    ref = sub["referenceId"]
                    if halted:
                        responses.append(_sub_response(ref, 400, HALTED_ROLLBACK))
                        continue
                    reply = self._subrequest(sub, outcomes, call, all_or_none)
                    outcomes[ref] = (reply.status, reply.body)
                    responses.append(_sub_response(ref, reply.status, reply.body, reply.headers))
                    if all_or_none and (reply.status >= 400 or reply.failed):
                        halted = True
                if halted:
                    raise _Rollback()
        except _Rollback:
            responses = [r if (r["httpStatusCode"] >= 400 or r["body"] == HALTED_ROLLBACK or _any_failure(r))
                         else _sub_response(r["referenceId"], 400, HALTED_ROLLBACK) for r in responses]
        return Reply(200, {"compositeResponse": responses})

    def _subrequest(self, sub: dict, outcomes: dict, call: Call, all_or_none: bool) -> Reply:
        ref = sub["referenceId"]
        try:
            url = _resolve_references(sub["url"], outcomes)
            body = _resolve_references(sub["body"], outcomes) if "body" in sub else NO_BODY
        except _Unresolved as missing:
            return Reply(400, [{"errorCode": "PROCESSING_HALTED",
                                "message": f"Invalid reference specified. No value for {missing.args[0]} found in "
                                           f"{missing.args[1]}. Provided referenceId ('{ref}')"}], failed=True)
        path, _, query_string = url.partition("?")
        name, handler, version, parts = self.resolve(sub["method"].upper(), path)
        self.subrequests[name] += 1
        if name.endswith("/composite"):
            return Reply(400, [{"errorCode": "INVALID_INPUT",
                                "message": "A composite request cannot contain another composite request"}],
                         failed=True)
        headers = {k.lower(): str(v) for k, v in (sub.get("httpHeaders") or {}).items()}
        inner = Call(sub["method"].upper(), version, parts, _query_params(query_string), headers,
                     None if body is NO_BODY else body, call.user, all_or_none=all_or_none)
        return self.call(handler, inner)


class _Unresolved(Exception):
    pass


def _resolve_references(value: Any, outcomes: dict[str, tuple[int, Any]]) -> Any:
    """Replace @{ref.path} in strings (recursively) with values from earlier subrequests' bodies."""
    if isinstance(value, str):
        def substitute(match: re.Match) -> str:
            ref, path = match.group(1), match.group(2)
            outcome = outcomes.get(ref)
            expression = ref + path
            if outcome is None or outcome[0] >= 400:
                raise _Unresolved(expression, ref)
            current = outcome[1]
            for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
                key, index = step
                if key and isinstance(current, dict):
                    current = get_ignoring_case(current, key)
                elif index and isinstance(current, list) and int(index) < len(current):
                    current = current[int(index)]
                else:
                    current = None
                if current is None:
                    raise _Unresolved(expression, ref)
            return str(current)

        return _REFERENCE.sub(substitute, value)
    if isinstance(value, list):
        return [_resolve_references(v, outcomes) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_references(v, outcomes) for k, v in value.items()}
    return value


def _sub_response(ref: str, status: int, body: Any, headers: dict | None = None) -> dict:
    return {"body": body, "httpHeaders": headers or {}, "httpStatusCode": status, "referenceId": ref}


def _any_failure(response: dict) -> bool:
    body = response["body"]
    return isinstance(body, list) and any(isinstance(r, dict) and r.get("success") is False for r in body)


def _query_params(text: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(text, keep_blank_values=True))


def _parse_instant(text: str) -> datetime | None:
    try:
        instant = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _new_locator() -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "01g" + "".join(secrets.choice(alphabet) for _ in range(15))
