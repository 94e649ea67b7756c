"""What the org does to one record on create, update, upsert and delete.

The org's shape is the org contract (ascms_tui/org_contract.py, describe-shaped):
an object or field it lacks does not exist, and each field's describe attributes
are enforced as Salesforce enforces them (REST API Developer Guide, "Status Codes
and Error Responses"; Object Reference, "Field Types" and each object's page):
createable / updateable, required on create (not nillable, createable, not
defaulted), text lengths, restricted picklists, number precision, value types,
references that must point at a live record of the right object, Event times,
CaseComment's body limit, files as ContentVersion + ContentDocument +
ContentDocumentLink (a version cannot be deleted: its document is), and cascade
deletion through master-detail and the standard parent fields. Validation rules
configured by a trainer answer FIELD_CUSTOM_VALIDATION_EXCEPTION. Fault injection
(locks, `reject=`) is applied when `checks` is true; a trainer's "central" edits
pass checks=False (no faults, no validation rules) but still follow the contract.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections import deque
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..org_contract import NUMBER_TYPES, TEXT_TYPES, FieldContract, ObjectContract
from .faults import Faults
from .storage import Storage, format_instant, normal_id

# Standard parent fields whose parent's deletion deletes the child (Object Reference: activities
# are deleted with their What record, comments with their case, links and versions with their
# document). Custom lookups are cleared instead; master-detail fields cascade.
CASCADE_FIELDS = {"ParentId", "WhatId", "LinkedEntityId", "ContentDocumentId"}
COMMENT_BODY_LIMIT = 4000  # bytes, Salesforce's limit on CaseComment.CommentBody
ALL_DAY_MINUTES = 24 * 60

SANDBOX_USERS = (
    # (Name, Username): the case manager the demo app opens as, a school contact and a colleague. Invented.
    ("Kiri Tomlinson", "kiri.tomlinson@ascms-sandbox.invalid"),
    ("Jo Whitfield", "jo.whitfield@ascms-sandbox.invalid"),
    ("Hamish Petrie", "hamish.petrie@ascms-sandbox.invalid"),
)
_FILE_TYPES = {"pdf": "PDF", "docx": "WORD_X", "doc": "WORD", "xlsx": "EXCEL_X", "xls": "EXCEL", "png": "PNG",
               "jpg": "JPG", "jpeg": "JPG", "txt": "TEXT", "csv": "CSV", "rtf": "RTF", "pptx": "POWER_POINT_X"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})\Z")


class SfError(Exception):
    """A Salesforce error: a per-record error in collections, a status and error list otherwise."""

    def __init__(self, code: str, message: str, fields: list[str] | tuple[str, ...] = (), status: int = 400):
        super().__init__(message)
        self.code, self.message, self.fields, self.status = code, message, list(fields), status

    def record_error(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}

    def body(self) -> list[dict[str, Any]]:
        error: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            error["fields"] = self.fields
        return [error]


def not_found() -> SfError:
    return SfError("NOT_FOUND", "The requested resource does not exist", status=404)


def entity_deleted() -> SfError:
    return SfError("ENTITY_IS_DELETED", "entity is deleted", status=404)


class Org:
    def __init__(self, storage: Storage, faults: Faults):
        self.storage = storage
        self.contract = storage.contract
        self.faults = faults
        self.validation_rules: list[ValidationRule] = []
        self.users = self._ensure_users()

    # --- users -------------------------------------------------------------------------

    def _ensure_users(self) -> dict[str, str]:
        """Name to User Id for the sandbox's users, created on first start."""
        storage = self.storage
        with storage.transaction():
            storage.object_name("User")
            users = {}
            for name, username in SANDBOX_USERS:
                found = storage.find_by_field("User", "Username", username)
                if found:
                    users[name] = found[0]
                    continue
                users[name] = self._insert("User", {"Name": name, "Username": username, "Email": username,
                                                    "IsActive": True}, user=None)
        return users

    @property
    def default_user(self) -> str:
        return self.users[SANDBOX_USERS[0][0]]

    @property
    def school_user(self) -> str:
        return self.users[SANDBOX_USERS[1][0]]

    # --- reading -----------------------------------------------------------------------

    def live(self, record_id: str) -> tuple[str, dict[str, Any]]:
        """(sobject, fields) of a live record; NOT_FOUND or ENTITY_IS_DELETED otherwise."""
        nid = normal_id(record_id)
        found = self.storage.get(nid) if nid else None
        if found is None:
            raise not_found()
        sobject, fields, deleted = found
        if deleted:
            raise entity_deleted()
        return sobject, fields

    def described(self, sobject: str) -> ObjectContract:
        """The contract's object, or the error Salesforce gives for a type the org does not have."""
        found = self.contract.object(sobject)
        if found is None:
            raise SfError("NOT_FOUND", f"The requested resource does not exist: sObject type '{sobject}' is not "
                                       "supported in this org", status=404)
        return found

    # --- writing -----------------------------------------------------------------------

    def create(self, sobject: str, values: dict[str, Any], *, user: str, checks: bool = True,
               late_by: float = 0) -> str:
        described = self.described(sobject)
        if not described.describe.get("createable", True):
            raise SfError("INVALID_TYPE_FOR_OPERATION", f"entity type {described.name} does not support insert")
        sobject = self.storage.object_name(described.name)
        self._lock(checks)
        clean = self._clean(described, values, creating=True)
        if "Id" in clean:
            raise SfError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        self._check_references(described, clean)
        self._object_rules(sobject, clean, clean, creating=True)
        self._required(described, clean, clean, creating=True)
        self._rules(sobject, clean, checks)
        if sobject == "ContentVersion":
            return self._create_content_version(clean, user, late_by=late_by)
        return self._insert(sobject, clean, user=user, late_by=late_by)

    def update(self, record_id: str, values: dict[str, Any], *, user: str, checks: bool = True,
               sobject: str | None = None, late_by: float = 0) -> str:
        found_object, fields = self.live(record_id)
        if sobject is not None and self.storage.object_name(sobject) != found_object:
            raise not_found()
        described = self.described(found_object)
        self._lock(checks)
        clean = self._clean(described, values, creating=False)
        if "Id" in clean:
            if normal_id(str(clean["Id"])) != fields["Id"]:
                raise SfError("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Id.", ["Id"])
            del clean["Id"]
        self._check_references(described, clean)
        merged = {**fields, **clean}
        self._object_rules(found_object, merged, clean, creating=False)
        self._required(described, merged, clean, creating=False)
        self._rules(found_object, merged, checks)
        ms = self.storage.next_modstamp(late_by)
        merged.update(LastModifiedDate=format_instant(ms), LastModifiedById=user, SystemModstamp=format_instant(ms))
        self.storage.replace(fields["Id"], merged, ms)
        self.storage.set_refs(fields["Id"], self._references(described, merged))
        return fields["Id"]

    def upsert(self, sobject: str, field: str, value: Any, values: dict[str, Any], *, user: str,
               checks: bool = True) -> tuple[str, bool]:
        """Create or update by external Id; (Id, created)."""
        sobject = self.described(sobject).name
        field = self.external_field(sobject, field)
        if value is None or value == "":
            raise SfError("MISSING_ARGUMENT", f"{field} not specified", [field])
        matches = self.storage.find_by_field(sobject, field, value)
        if len(matches) > 1:
            raise SfError("DUPLICATE_EXTERNAL_ID",
                          f"{field}: more than one record found for external id field: [{', '.join(matches)}]",
                          [field], status=300)
        values = {k: v for k, v in values.items() if k.lower() != field.lower()}
        if matches:
            return self.update(matches[0], values, user=user, checks=checks), False
        values[field] = value
        return self.create(sobject, values, user=user, checks=checks), True

    def external_field(self, sobject: str, field: str) -> str:
        """The canonical name of a field flagged External ID (or an idLookup field) of `sobject`.

        Salesforce answers 404 NOT_FOUND for any other field named as the upsert key
        (REST API Developer Guide, "Insert or Update (Upsert) a Record Using an External ID").
        """
        described = self.described(sobject).field(field)
        if described is None or field.lower() == "id" or not (described.externalId or described.idLookup):
            raise SfError("NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}",
                          status=404)
        return described.name

    def delete(self, record_id: str, *, checks: bool = True, sobject: str | None = None,
               late_by: float = 0) -> list[str]:
        """Delete a record and its master-detail (and standard) children; the Ids deleted.

        Custom lookups to a deleted record are cleared, as a lookup's default
        "clear the value of this field" does.
        """
        found_object, fields = self.live(record_id)
        if sobject is not None and self.storage.object_name(sobject) != found_object:
            raise not_found()
        if not self.described(found_object).describe.get("deletable", True):
            # Object Reference, ContentVersion: no delete() call; delete the ContentDocument instead.
            raise SfError("INVALID_TYPE_FOR_OPERATION", f"entity type {found_object} cannot be deleted")
        self._lock(checks)
        deleted = []
        queue = deque([fields["Id"]])
        ms = self.storage.next_modstamp(late_by)
        while queue:
            current = queue.popleft()
            found = self.storage.get(current)
            if found is None or found[2]:
                continue
            for child, field in self.storage.children(current):
                if self._cascades(child, field):
                    queue.append(child)
                else:
                    self._clear_lookup(child, field, ms)
            tomb = {**found[1], "IsDeleted": True, "SystemModstamp": format_instant(ms)}
            self.storage.mark_deleted(current, tomb, ms)
            deleted.append(current)
        return deleted

    def archive(self, record_id: str) -> None:
        """What Salesforce's archiving does to an old Event or closed Task: IsArchived, out of `query`."""
        sobject, fields = self.live(record_id)
        if not self.described(sobject).has("IsArchived"):
            raise SfError("INVALID_TYPE_FOR_OPERATION", f"{sobject} records are not archived")
        self.storage.replace(fields["Id"], {**fields, "IsArchived": True}, _modstamp_of(fields))

    def seed(self, sobject: str, record_id: str, values: dict[str, Any], *, user: str,
             created: str | None = None, file_data: bytes | None = None) -> None:
        """A record as it already stands in the org (demo seeding): its own Id, no faults.

        Parents must be seeded first; `file_data` is the content of a ContentVersion.
        Fields the org numbers itself (CaseNumber) may be given; every other rule holds.
        """
        described = self.described(sobject)
        holder = self.storage.object_of_id(record_id)
        if holder is None:
            sobject = self.storage.object_name(described.name, prefix=record_id[:3])
        if normal_id(record_id) != record_id or self.storage.object_of_id(record_id) != sobject:
            raise SfError("MALFORMED_ID", f"{record_id} is not an Id of a {sobject} in this sandbox")
        clean = self._clean(described, values, creating=True, seeding=True)
        self._check_references(described, clean)
        self._object_rules(sobject, clean, clean, creating=True)
        self._required(described, clean, clean, creating=True)
        if sobject == "ContentVersion":
            clean["VersionData"] = base64.b64encode(file_data or b"").decode()
            self._create_content_version(clean, user, version_id=record_id, created=created)
        else:
            self._insert(sobject, clean, user=user, record_id=record_id, created=created)

    # --- the pieces ------------------------------------------------------------------------

    def _lock(self, checks: bool) -> None:
        if checks and self.faults.lock():
            raise SfError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records")

    def _rules(self, sobject: str, merged: dict[str, Any], checks: bool) -> None:
        """Validation rules (configured) and `--faults reject=`; neither applies to central edits."""
        if not checks:
            return
        for rule in self.validation_rules:
            broken = rule.broken_by(sobject, merged)
            if broken:
                raise SfError("FIELD_CUSTOM_VALIDATION_EXCEPTION", rule.message, [broken])
        field = self.faults.rejected_field(merged)
        if field is not None:
            raise SfError("FIELD_CUSTOM_VALIDATION_EXCEPTION",
                          f"Validation rule: {field} cannot be {merged[field]!r} (sandbox --faults reject)", [field])

    def _clean(self, described: ObjectContract, values: dict[str, Any], *, creating: bool,
               seeding: bool = False) -> dict[str, Any]:
        """Incoming values under the contract's field names, each checked against its describe."""
        clean: dict[str, Any] = {}
        read_only = []
        for key, value in values.items():
            if key == "attributes":
                continue
            field = described.field(key) if isinstance(key, str) else None
            if field is None:
                raise SfError("INVALID_FIELD", f"No such column '{key}' on sobject of type {described.name}",
                              [str(key)])
            if field.name == "Id":
                clean["Id"] = value
                continue
            if isinstance(value, (dict, list)):
                raise SfError(
                    "INVALID_FIELD",
                    f"{key}: the sandbox takes plain values only (relationship references by external Id "
                    "are not emulated; send the parent's Id)",
                    [key],
                )
            allowed = field.createable if creating else field.updateable
            if not allowed and not (seeding and field.autoNumber):
                read_only.append(field.name)
                continue
            clean[field.name] = _checked_value(field, value)
        if read_only:
            raise SfError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(read_only)}. Please check the security settings "
                "of this field and verify that it is read/write for your profile or permission set.",
                read_only,
            )
        return clean

    def _required(self, described: ObjectContract, merged: dict[str, Any], changed: dict[str, Any], *,
                  creating: bool) -> None:
        """REQUIRED_FIELD_MISSING for a required field left out on create, or emptied on update."""
        missing = [f.name for f in described.fields.values() if f.required_on_create and (
            (creating and merged.get(f.name) in (None, "")) or (not creating and f.name in changed
                                                                 and changed[f.name] in (None, "")))]
        if missing:
            raise SfError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)

    def _check_references(self, described: ObjectContract, clean: dict[str, Any]) -> None:
        storage = self.storage
        for key, value in list(clean.items()):
            field = described.field(key)
            if field is None or field.type != "reference" or value is None or value == "":
                continue
            nid = normal_id(value) if isinstance(value, str) else None
            target = storage.object_of_id(nid) if nid else None
            if target is None:
                raise SfError("MALFORMED_ID", f"{field.label}: id value of incorrect type: {value}", [key])
            if target not in field.referenceTo:
                raise SfError("FIELD_INTEGRITY_EXCEPTION",
                              f"{field.label}: id value of incorrect type: {value}", [key])
            deleted = storage.deleted(nid)
            if deleted is None:
                raise SfError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [key])
            if deleted:
                raise SfError("ENTITY_IS_DELETED", "entity is deleted", [key])
            clean[key] = nid

    def _object_rules(self, sobject: str, merged: dict[str, Any], changed: dict[str, Any], *, creating: bool) -> None:
        if sobject == "CaseComment":
            body = merged.get("CommentBody")
            if isinstance(body, str) and len(body.encode("utf-8")) > COMMENT_BODY_LIMIT:
                raise SfError("STRING_TOO_LONG",
                              f"Body: data value too large: {body[:40]}... (max length={COMMENT_BODY_LIMIT})",
                              ["CommentBody"])
        if sobject == "ContentVersion" and not creating and "VersionData" in changed:
            raise SfError("INVALID_FIELD_FOR_INSERT_UPDATE",
                          "Unable to create/update fields: VersionData. Upload a new version instead.",
                          ["VersionData"])
        if sobject == "Event":
            _event_times(merged, changed, creating=creating)

    def _cascades(self, child: str, field: str) -> bool:
        if field in CASCADE_FIELDS:
            return True
        sobject = self.storage.object_of_id(child)
        described = self.contract.object(sobject).field(field) if sobject else None
        return bool(described and described.master_detail)

    def _clear_lookup(self, child: str, field: str, ms: int) -> None:
        found = self.storage.get(child)
        if found is None or found[2]:
            return
        fields = {**found[1], field: None, "SystemModstamp": format_instant(ms)}
        self.storage.replace(child, fields, ms)
        self.storage.set_refs(child, self._references(self.contract.object(found[0]), fields))

    def _references(self, described: ObjectContract | None, fields: dict[str, Any]) -> dict[str, str]:
        """The live parents this record points at (deleting one cascades to it, or clears the field)."""
        refs = {}
        for key, value in fields.items():
            field = described.field(key) if described else None
            if field is None or field.type != "reference" or key in ("OwnerId", "CreatedById", "LastModifiedById"):
                continue
            if isinstance(value, str) and normal_id(value) and self.storage.object_of_id(value):
                refs[key] = value
        return refs

    def _insert(self, sobject: str, clean: dict[str, Any], *, user: str | None, record_id: str | None = None,
                created: str | None = None, late_by: float = 0) -> str:
        storage = self.storage
        described = self.contract.object(sobject)
        record_id = record_id or storage.new_id(sobject)
        ms = storage.next_modstamp(late_by)
        stamp = format_instant(ms)
        created = created or stamp
        fields: dict[str, Any] = {"Id": record_id}
        if described.has("OwnerId") and user and not clean.get("OwnerId"):
            fields["OwnerId"] = user
        if sobject == "Case" and not clean.get("CaseNumber"):
            fields["CaseNumber"] = self._next_case_number()
        for field in described.fields.values():
            # What the org fills in: checkboxes false, picklist defaults, auto numbers, archive flags.
            if field.name in fields or field.name in clean or not field.defaultedOnCreate:
                continue
            if field.type == "boolean":
                fields[field.name] = False
            elif field.type == "picklist":
                fields[field.name] = next((v["value"] for v in field.picklistValues if v.get("defaultValue")), None)
            elif field.autoNumber and field.name == "Name":
                fields["Name"] = f"{described.describe['label'][:3].upper()}-{record_id[-8:]}"
        fields.update({k: v for k, v in clean.items() if not (v is None and k in fields)})
        fields.update(CreatedDate=created, CreatedById=user or record_id, LastModifiedDate=created,
                      LastModifiedById=user or record_id, SystemModstamp=stamp, IsDeleted=False)
        storage.insert(record_id, sobject, fields, ms)
        storage.set_refs(record_id, self._references(described, fields), new=True)
        return record_id

    def _next_case_number(self) -> str:
        number = int(self.storage.meta("case_number", "400000")) + 1
        self.storage.set_meta("case_number", str(number))
        return f"{number:08d}"

    def _create_content_version(self, clean: dict[str, Any], user: str, *, version_id: str | None = None,
                                created: str | None = None, late_by: float = 0) -> str:
        """A file: the version, its ContentDocument, and a link to FirstPublishLocationId."""
        storage = self.storage
        encoded = clean.pop("VersionData", None)
        missing = [name for name, value in (("VersionData", encoded), ("PathOnClient", clean.get("PathOnClient")))
                   if not value]
        if missing:
            raise SfError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
        try:
            data = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError):
            raise SfError("JSON_PARSER_ERROR", "VersionData is not valid base64", ["VersionData"]) from None
        path = str(clean["PathOnClient"])
        extension = path.rsplit(".", 1)[1].lower() if "." in path else ""
        title = clean.get("Title") or (path.rsplit(".", 1)[0] if "." in path else path)
        kind = _FILE_TYPES.get(extension, "UNKNOWN")
        storage.object_name("ContentDocument")
        version_id = version_id or storage.new_id("ContentVersion")
        document_id = self._insert("ContentDocument", {
            "Title": title, "FileExtension": extension, "FileType": kind, "ContentSize": len(data),
            "LatestPublishedVersionId": version_id, "OwnerId": clean.get("OwnerId") or user,
        }, user=user, created=created, late_by=late_by)
        self._insert("ContentVersion", {
            **clean, "Title": title, "ContentDocumentId": document_id, "VersionNumber": "1", "IsLatest": True,
            "ContentSize": len(data), "Checksum": hashlib.md5(data).hexdigest(), "FileExtension": extension,
            "FileType": kind,
        }, user=user, record_id=version_id, created=created, late_by=late_by)
        storage.put_blob(version_id, data)
        location = clean.get("FirstPublishLocationId")
        if location:
            storage.object_name("ContentDocumentLink")
            self._insert("ContentDocumentLink", {"ContentDocumentId": document_id, "LinkedEntityId": location,
                                                 "ShareType": "V", "Visibility": "AllUsers"}, user=user,
                         created=created, late_by=late_by)
        return version_id


class ValidationRule:
    """A trainer's validation rule: `field` must not be blank when every `when` field has one of its values.

    For example {"object": "Event", "field": "Description", "when": {"Subject": ["Initial School
    Meeting"]}, "message": "Description required for an initial meeting"}.
    """

    def __init__(self, spec: Any):
        if not isinstance(spec, dict) or not all(isinstance(spec.get(k), str) for k in ("object", "field", "message")):
            raise ValueError("a validation rule needs 'object', 'field' and 'message' (text) and may have 'when'")
        when = spec.get("when") or {}
        if not isinstance(when, dict) or not all(isinstance(v, list) for v in when.values()):
            raise ValueError("a validation rule's 'when' maps field names to lists of values")
        self.object, self.field, self.message = spec["object"], spec["field"], spec["message"]
        self.when = {k.lower(): [str(v) for v in values] for k, values in when.items()}

    def to_json(self) -> dict[str, Any]:
        return {"object": self.object, "field": self.field, "when": self.when, "message": self.message}

    def broken_by(self, sobject: str, record: dict[str, Any]) -> str | None:
        """The field to name in the error when `record` breaks this rule."""
        if sobject.lower() != self.object.lower():
            return None
        lowered = {k.lower(): v for k, v in record.items()}
        if not all(str(lowered.get(name)) in values for name, values in self.when.items()):
            return None
        value = lowered.get(self.field.lower())
        return self.field if value is None or (isinstance(value, str) and not value.strip()) else None


def _checked_value(field: FieldContract, value: Any) -> Any:
    """`value` as the org stores it in `field`, or the error Salesforce gives for it."""
    kind = field.type
    if value is None:
        if kind == "boolean":
            return False  # a checkbox has no null: Salesforce stores false
        return None
    if kind in TEXT_TYPES or kind in ("reference", "id"):
        if not isinstance(value, str):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _deserialize(field, value)
            value = str(value)
        if value == "":
            return None
        if kind in TEXT_TYPES and field.length and len(value) > field.length:
            raise SfError("STRING_TOO_LONG", f"{field.label}: data value too large: {value[:40]}... "
                                             f"(max length={field.length})", [field.name])
        if kind == "picklist" and field.restrictedPicklist and value not in field.active_values:
            raise SfError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                          f"{field.label}: bad value for restricted picklist field: {value}", [field.name])
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _deserialize(field, value)
        return value
    if kind in NUMBER_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _deserialize(field, value)
        if kind == "int" and value != int(value):
            raise _deserialize(field, value)
        whole_digits = len(str(abs(int(value)))) if int(value) else 0
        if field.precision and whole_digits > field.precision - field.scale:
            raise SfError("NUMBER_OUTSIDE_VALID_RANGE",
                          f"{field.label}: value outside of valid range on numeric field: {value}", [field.name])
        return round(value, field.scale) if kind != "int" and field.scale is not None else value
    if kind == "date":
        if not isinstance(value, str) or not _DATE.match(value):
            raise _deserialize(field, value)
        try:
            date.fromisoformat(value)
        except ValueError:
            raise _deserialize(field, value) from None
        return value
    if kind == "datetime":
        if not isinstance(value, str) or not _DATETIME.match(value):
            raise _deserialize(field, value)
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _deserialize(field, value) from None
        return format_instant(int(instant.astimezone(UTC).timestamp() * 1000))
    if kind == "base64":
        if not isinstance(value, str):
            raise _deserialize(field, value)
        return value
    return value


def _deserialize(field: FieldContract, value: Any) -> SfError:
    # The REST API's answer to a value of the wrong JSON type or format for the field.
    shown = repr(value)[:60]
    return SfError("JSON_PARSER_ERROR",
                   f"Cannot deserialize instance of {field.type} from {type(value).__name__} value {shown} "
                   f"or request may be missing a required field", [field.name])


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("+0000", "+00:00").replace("Z", "+00:00"))


def _event_times(merged: dict[str, Any], changed: dict[str, Any], *, creating: bool) -> None:
    """Event time rules (Object Reference, Event: ActivityDate, ActivityDateTime, DurationInMinutes,
    EndDateTime, IsAllDayEvent).

    - An all-day Event's date is ActivityDate (a date, not shifted for time zones); its
      StartDateTime is that date at midnight UTC and it lasts whole days.
    - A timed Event needs StartDateTime (or ActivityDateTime) and either EndDateTime or
      DurationInMinutes; the org fills in the other.
    The derived fields are written into `merged`.
    """
    timing = {"IsAllDayEvent", "StartDateTime", "EndDateTime", "ActivityDate", "ActivityDateTime",
              "DurationInMinutes"}
    if not creating and not (timing & set(changed)):
        return
    if merged.get("IsAllDayEvent"):
        day = merged.get("ActivityDate")
        if not creating and "ActivityDate" not in changed and "StartDateTime" in changed and changed["StartDateTime"]:
            day = changed["StartDateTime"][:10]
        if not day:
            raise SfError("REQUIRED_FIELD_MISSING", "Required fields are missing: [ActivityDate]", ["ActivityDate"])
        minutes = merged.get("DurationInMinutes") or ALL_DAY_MINUTES
        if "EndDateTime" in changed and changed["EndDateTime"] and "DurationInMinutes" not in changed:
            end_day = date.fromisoformat(changed["EndDateTime"][:10])
            minutes = ((end_day - date.fromisoformat(day)).days + 1) * ALL_DAY_MINUTES
        if minutes <= 0 or minutes % ALL_DAY_MINUTES:
            raise SfError("FIELD_INTEGRITY_EXCEPTION",
                          "Duration: an all-day event lasts whole days (multiples of 1440 minutes)",
                          ["DurationInMinutes"])
        start = datetime.fromisoformat(day).replace(tzinfo=UTC)
        merged.update(ActivityDate=day, StartDateTime=format_instant(int(start.timestamp() * 1000)),
                      EndDateTime=format_instant(int((start + timedelta(minutes=minutes - ALL_DAY_MINUTES))
                                                     .timestamp() * 1000)),
                      ActivityDateTime=None, DurationInMinutes=minutes)
        return
    start_text = merged.get("StartDateTime") or merged.get("ActivityDateTime")
    if "ActivityDateTime" in changed and "StartDateTime" not in changed and changed["ActivityDateTime"]:
        start_text = changed["ActivityDateTime"]
    if not start_text:
        raise SfError("REQUIRED_FIELD_MISSING", "Required fields are missing: [StartDateTime]", ["StartDateTime"])
    start = _instant(start_text)
    end_text = merged.get("EndDateTime")
    minutes = merged.get("DurationInMinutes")
    end_given = "EndDateTime" in changed and changed["EndDateTime"] is not None
    duration_given = "DurationInMinutes" in changed and changed["DurationInMinutes"] is not None
    if creating and not end_given and not duration_given:
        raise SfError("REQUIRED_FIELD_MISSING", "Required fields are missing: [DurationInMinutes]",
                      ["DurationInMinutes"])
    if not creating and ("EndDateTime" in changed and changed["EndDateTime"] is None and not duration_given):
        raise SfError("REQUIRED_FIELD_MISSING", "Required fields are missing: [DurationInMinutes]",
                      ["DurationInMinutes"])
    if end_given or (not duration_given and end_text):
        end = _instant(changed["EndDateTime"] if end_given else end_text)
        if end_given or "StartDateTime" not in changed:
            minutes = int((end - start).total_seconds() // 60)
        else:  # the start moved and the end was not given: the event keeps its length
            end = start + timedelta(minutes=minutes or 0)
    else:
        end = start + timedelta(minutes=minutes or 0)
    if minutes is None or minutes < 0:
        raise SfError("FIELD_INTEGRITY_EXCEPTION", "End Date Time: End Date Time cannot be earlier than "
                                                   "Start Date Time", ["EndDateTime"])
    merged.update(StartDateTime=format_instant(int(start.timestamp() * 1000)),
                  EndDateTime=format_instant(int(end.timestamp() * 1000)), DurationInMinutes=minutes,
                  ActivityDateTime=format_instant(int(start.timestamp() * 1000)),
                  ActivityDate=start.date().isoformat())


def _modstamp_of(fields: dict[str, Any]) -> int:
    return int(_instant(fields["SystemModstamp"]).timestamp() * 1000)
