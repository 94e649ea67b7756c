"""What the org does to one record on create, update, upsert and delete.

Salesforce's rules that matter to the client are kept: read-only system fields,
Ids and timestamps set by the server, references that must point at live records,
CaseComment (no custom fields, a 4,000-byte body, a Case as parent), files as
ContentVersion + ContentDocument + ContentDocumentLink, and cascade deletion of a
record's children. Fault injection (locks, validation-rule rejections) is applied
here when `checks` is true; the trainer's "central" edits pass checks=False.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import deque
from typing import Any

from .faults import Faults
from .storage import NAME, Storage, format_instant, normal_id

READ_ONLY = {"id", "createddate", "createdbyid", "lastmodifieddate", "lastmodifiedbyid", "systemmodstamp",
             "isdeleted"}
# Standard lookups: their value must be a live record's Id.
REFERENCE_FIELDS = {"WhatId", "WhoId", "ParentId", "OwnerId", "FirstPublishLocationId", "LinkedEntityId",
                    "ContentDocumentId"}
# Deleting a parent deletes the children that point at it through these (custom lookups too:
# the sandbox treats them as master-detail).
CASCADE_FIELDS = {"ParentId", "WhatId", "LinkedEntityId", "ContentDocumentId"}
NO_OWNER = {"CaseComment", "ContentDocumentLink", "User"}
NO_CUSTOM_FIELDS = {"CaseComment", "ContentDocument", "ContentDocumentLink"}
COMMENT_BODY_LIMIT = 4000  # bytes, Salesforce's limit on CaseComment.CommentBody

SANDBOX_USERS = (
    # (Name, Username): the case manager the demo app opens as, a school contact and a colleague. Invented.
    ("Kiri Tomlinson", "kiri.tomlinson@ascms-sandbox.invalid"),
    ("Jo Whitfield", "jo.whitfield@ascms-sandbox.invalid"),
    ("Hamish Petrie", "hamish.petrie@ascms-sandbox.invalid"),
)
_FILE_TYPES = {"pdf": "PDF", "docx": "WORD_X", "doc": "WORD", "xlsx": "EXCEL_X", "xls": "EXCEL", "png": "PNG",
               "jpg": "JPG", "jpeg": "JPG", "txt": "TEXT", "csv": "CSV", "rtf": "RTF", "pptx": "POWER_POINT_X"}


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
        self.faults = faults
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

    # --- writing -----------------------------------------------------------------------

    def create(self, sobject: str, values: dict[str, Any], *, user: str, checks: bool = True) -> str:
        sobject = self.storage.object_name(sobject)
        self._lock(checks)
        clean = self._clean(sobject, values)
        if "Id" in clean:
            raise SfError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        self._check_references(clean)
        self._object_rules(sobject, clean, clean, creating=True)
        self._reject(clean, checks)
        if sobject == "ContentVersion":
            return self._create_content_version(clean, user)
        return self._insert(sobject, clean, user=user)

    def update(self, record_id: str, values: dict[str, Any], *, user: str, checks: bool = True,
               sobject: str | None = None) -> str:
        found_object, fields = self.live(record_id)
        if sobject is not None and self.storage.object_name(sobject, register=False) != found_object:
            raise not_found()
        self._lock(checks)
        clean = self._clean(found_object, values)
        if "Id" in clean:
            if normal_id(str(clean["Id"])) != fields["Id"]:
                raise SfError("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Id.", ["Id"])
            del clean["Id"]
        self._check_references(clean)
        merged = {**fields, **clean}
        self._object_rules(found_object, merged, clean, creating=False)
        self._reject(merged, checks)
        ms = self.storage.next_modstamp()
        merged.update(LastModifiedDate=format_instant(ms), LastModifiedById=user, SystemModstamp=format_instant(ms))
        self.storage.replace(fields["Id"], merged, ms)
        self.storage.set_refs(fields["Id"], self._references(merged))
        return fields["Id"]

    def upsert(self, sobject: str, field: str, value: Any, values: dict[str, Any], *, user: str,
               checks: bool = True) -> tuple[str, bool]:
        """Create or update by external Id; (Id, created)."""
        sobject = self.storage.object_name(sobject)
        field = self.external_field(sobject, field)
        if value is None or value == "":
            raise SfError("MISSING_ARGUMENT", f"{field} not specified", [field])
        matches = self.storage.find_by_field(sobject, field, value)
        if len(matches) > 1:
            raise SfError("DUPLICATE_EXTERNAL_ID",
                          f"{field}: more than one record found for external id field: [{', '.join(matches)}]",
                          [field], status=300)
        values = {k: v for k, v in values.items() if k.lower() != field.lower()}
        values[field] = value
        if matches:
            return self.update(matches[0], values, user=user, checks=checks), False
        return self.create(sobject, values, user=user, checks=checks), True

    def external_field(self, sobject: str, field: str) -> str:
        """The canonical name of a field usable as an external Id: a custom field the object can carry."""
        if not NAME.match(field) or not field.lower().endswith("__c") or sobject in NO_CUSTOM_FIELDS:
            raise not_found()
        return self.storage.field_name(sobject, field)

    def delete(self, record_id: str, *, checks: bool = True, sobject: str | None = None) -> list[str]:
        """Delete a record and, through parent references, its children; the Ids deleted."""
        found_object, fields = self.live(record_id)
        if sobject is not None and self.storage.object_name(sobject, register=False) != found_object:
            raise not_found()
        self._lock(checks)
        deleted = []
        queue = deque([fields["Id"]])
        while queue:
            current = queue.popleft()
            found = self.storage.get(current)
            if found is None or found[2]:
                continue
            queue.extend(child for child, _ in self.storage.children(current))
            ms = self.storage.next_modstamp()
            tomb = {**found[1], "IsDeleted": True, "SystemModstamp": format_instant(ms)}
            self.storage.mark_deleted(current, tomb, ms)
            deleted.append(current)
        return deleted

    def seed(self, sobject: str, record_id: str, values: dict[str, Any], *, user: str,
             created: str | None = None, file_data: bytes | None = None) -> None:
        """A record as it already stands in the org (demo seeding): its own Id, no faults.

        Parents must be seeded first; `file_data` is the content of a ContentVersion.
        """
        holder = self.storage.object_of_id(record_id)
        if holder is None:
            sobject = self.storage.object_name(sobject, prefix=record_id[:3])
        if normal_id(record_id) != record_id or self.storage.object_of_id(record_id) != sobject:
            raise SfError("MALFORMED_ID", f"{record_id} is not an Id of a {sobject} in this sandbox")
        clean = self._clean(sobject, values)
        self._check_references(clean)
        if sobject == "ContentVersion":
            clean["VersionData"] = base64.b64encode(file_data or b"").decode()
            self._create_content_version(clean, user, version_id=record_id, created=created)
        else:
            self._insert(sobject, clean, user=user, record_id=record_id, created=created)

    # --- the pieces ------------------------------------------------------------------------

    def _lock(self, checks: bool) -> None:
        if checks and self.faults.lock():
            raise SfError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records")

    def _reject(self, merged: dict[str, Any], checks: bool) -> None:
        if not checks:
            return
        field = self.faults.rejected_field(merged)
        if field is not None:
            raise SfError("FIELD_CUSTOM_VALIDATION_EXCEPTION",
                          f"Validation rule: {field} cannot be {merged[field]!r} (sandbox --faults reject)", [field])

    def _clean(self, sobject: str, values: dict[str, Any]) -> dict[str, Any]:
        """Incoming values under their canonical field names; errors as Salesforce names them."""
        clean: dict[str, Any] = {}
        read_only = []
        for key, value in values.items():
            if key == "attributes":
                continue
            if not isinstance(key, str) or not NAME.match(key) or (
                sobject in NO_CUSTOM_FIELDS and key.lower().endswith("__c")
            ):
                raise SfError("INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject}", [str(key)])
            if key.lower() in READ_ONLY and key.lower() != "id":
                read_only.append(key)
                continue
            if isinstance(value, (dict, list)):
                raise SfError(
                    "INVALID_FIELD",
                    f"{key}: the sandbox takes plain values only (relationship references by external Id "
                    "are not emulated; send the parent's Id)",
                    [key],
                )
            clean[self.storage.field_name(sobject, key)] = value
        if read_only:
            raise SfError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(read_only)}. Please check the security settings "
                "of this field and verify that it is read/write for your profile or permission set.",
                read_only,
            )
        return clean

    def _check_references(self, clean: dict[str, Any]) -> None:
        storage = self.storage
        for key, value in list(clean.items()):
            if value is None or value == "":
                continue
            standard = key in REFERENCE_FIELDS
            if not standard and not key.lower().endswith("__c"):
                continue
            nid = normal_id(value) if isinstance(value, str) else None
            if nid is None or storage.object_of_id(nid) is None:
                if standard:
                    raise SfError("MALFORMED_ID", f"{key}: id value of incorrect type: {value}", [key])
                continue  # a custom text field, not a lookup
            deleted = storage.deleted(nid)
            if deleted is None:
                raise SfError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [key])
            if deleted:
                raise SfError("ENTITY_IS_DELETED", "entity is deleted", [key])
            clean[key] = nid

    def _object_rules(self, sobject: str, merged: dict[str, Any], changed: dict[str, Any], *, creating: bool) -> None:
        if sobject == "CaseComment":
            if creating and not merged.get("ParentId"):
                raise SfError("REQUIRED_FIELD_MISSING", "Required fields are missing: [ParentId]", ["ParentId"])
            if "ParentId" in changed:
                if not creating:
                    raise SfError("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: ParentId.",
                                  ["ParentId"])
                if self.storage.object_of_id(merged["ParentId"]) != "Case":
                    raise SfError("FIELD_INTEGRITY_EXCEPTION",
                                  f"Parent ID: id value of incorrect type: {merged['ParentId']}", ["ParentId"])
            body = merged.get("CommentBody")
            if isinstance(body, str) and len(body.encode("utf-8")) > COMMENT_BODY_LIMIT:
                raise SfError("STRING_TOO_LONG",
                              f"Body: data value too large: {body[:40]}... (max length={COMMENT_BODY_LIMIT})",
                              ["CommentBody"])
        if sobject == "ContentVersion" and not creating and "VersionData" in changed:
            raise SfError("INVALID_FIELD_FOR_INSERT_UPDATE",
                          "Unable to create/update fields: VersionData. Upload a new version instead.",
                          ["VersionData"])

    def _references(self, fields: dict[str, Any]) -> dict[str, str]:
        """The parents whose deletion deletes this record (see CASCADE_FIELDS)."""
        refs = {}
        for key, value in fields.items():
            if not isinstance(value, str) or len(value) != 18 or not (
                key in CASCADE_FIELDS or key[-3:].lower() == "__c"
            ):
                continue
            if normal_id(value) and self.storage.object_of_id(value):
                refs[key] = value
        return refs

    def _insert(self, sobject: str, clean: dict[str, Any], *, user: str | None, record_id: str | None = None,
                created: str | None = None) -> str:
        storage = self.storage
        record_id = record_id or storage.new_id(sobject)
        ms = storage.next_modstamp()
        stamp = format_instant(ms)
        created = created or stamp
        fields: dict[str, Any] = {"Id": record_id}
        if sobject not in NO_OWNER and user and not clean.get("OwnerId"):
            fields["OwnerId"] = user
        if sobject == "Case" and not clean.get("CaseNumber"):
            fields["CaseNumber"] = self._next_case_number()
        if sobject == "CaseComment":
            fields["IsPublished"] = False
        fields.update(clean)
        fields.update(CreatedDate=created, CreatedById=user or record_id, LastModifiedDate=created,
                      LastModifiedById=user or record_id, SystemModstamp=stamp, IsDeleted=False)
        storage.insert(record_id, sobject, fields, ms)
        storage.set_refs(record_id, self._references(fields), new=True)
        return record_id

    def _next_case_number(self) -> str:
        number = int(self.storage.meta("case_number", "400000")) + 1
        self.storage.set_meta("case_number", str(number))
        return f"{number:08d}"

    def _create_content_version(self, clean: dict[str, Any], user: str, *, version_id: str | None = None,
                                created: str | None = None) -> str:
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
        }, user=user, created=created)
        self._insert("ContentVersion", {
            **clean, "Title": title, "ContentDocumentId": document_id, "VersionNumber": "1", "IsLatest": True,
            "ContentSize": len(data), "Checksum": hashlib.md5(data).hexdigest(), "FileExtension": extension,
            "FileType": kind,
        }, user=user, record_id=version_id, created=created)
        storage.put_blob(version_id, data)
        location = clean.get("FirstPublishLocationId")
        if location:
            storage.object_name("ContentDocumentLink")
            self._insert("ContentDocumentLink", {"ContentDocumentId": document_id, "LinkedEntityId": location,
                                                 "ShareType": "V", "Visibility": "AllUsers"}, user=user,
                         created=created)
        return version_id
