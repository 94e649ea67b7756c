"""Single-record resources on the training sandbox, and what the server sets on every record."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid

import pytest

from ascms_tui.sandbox.storage import id_suffix, normal_id

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000\Z")  # whole seconds, as Salesforce
AT = {"StartDateTime": "2026-06-30T01:00:00Z", "DurationInMinutes": 30}  # a timed Event needs an end


@pytest.fixture(scope="module")
def server(module_sandbox):
    return module_sandbox


def create(server, sobject: str, fields: dict) -> str:
    status, body = server.api("POST", f"sobjects/{sobject}", fields)
    assert status == 201, body
    assert body == {"id": body["id"], "success": True, "errors": []}
    return body["id"]


def test_ids_have_the_object_key_prefix_and_salesforce_case_safe_suffix(server):
    case = create(server, "Case", {"Student_Name__c": "x"})
    event = create(server, "Event", {"WhatId": case, **AT})
    task = create(server, "Task", {"WhatId": case})
    comment = create(server, "CaseComment", {"ParentId": case, "CommentBody": "y"})
    contact = create(server, "Contact", {"LastName": "Invented"})
    barrier = create(server, "Barrier__c", {"Case__c": case})
    plan = create(server, "Student_Plan__c", {"Case__c": case})
    prefixes = [i[:3] for i in (case, event, task, comment, contact)]
    assert prefixes == ["500", "00U", "00T", "00a", "003"]
    assert re.fullmatch(r"a0[A-Za-z0-9]", barrier[:3]) and re.fullmatch(r"a0[A-Za-z0-9]", plan[:3])
    assert barrier[:3] != plan[:3]  # one prefix per custom object
    for record_id in (case, event, barrier):
        assert len(record_id) == 18 and record_id[15:] == id_suffix(record_id[:15])
    # The 15-character form names the same record.
    assert server.api("GET", f"sobjects/Case/{case[:15]}")[1]["Id"] == case
    assert normal_id(case[:15]) == case


def test_server_fields_and_a_system_modstamp_in_whole_seconds(server):
    users = server.users()
    ids = [create(server, "Task", {"Subject": f"t{i}"}) for i in range(5)]
    stamps = []
    for record_id in ids:
        status, record = server.api("GET", f"sobjects/Task/{record_id}")
        assert status == 200
        assert record["attributes"] == {"type": "Task", "url": f"/services/data/v60.0/sobjects/Task/{record_id}"}
        assert STAMP.match(record["CreatedDate"]) and STAMP.match(record["SystemModstamp"])
        assert record["OwnerId"] == record["CreatedById"] == users["default"]
        stamps.append(record["SystemModstamp"])
    assert stamps == sorted(stamps)

    status, body = server.api("PATCH", f"sobjects/Task/{ids[0]}", {"Status": "Completed"})
    assert (status, body) == (204, None)
    _, updated = server.api("GET", f"sobjects/Task/{ids[0]}")
    assert updated["SystemModstamp"] >= stamps[-1]
    assert updated["LastModifiedDate"] == updated["SystemModstamp"]
    assert updated["CreatedDate"] == stamps[0]


def test_get_with_fields_returns_only_those(server):
    task = create(server, "Task", {"Subject": "Ring Kōwhai Valley School", "Priority": "High"})
    _, record = server.api("GET", f"sobjects/Task/{task}?fields=Subject,priority")
    assert record == {"attributes": record["attributes"], "Subject": "Ring Kōwhai Valley School", "Priority": "High"}


def test_upsert_by_external_id_201_then_200(server):
    key = str(uuid.uuid4())
    status, created, headers = server.request("PATCH", f"/services/data/v60.0/sobjects/Event/Offline_Id__c/{key}",
                                              {"Subject": "School meeting", **AT})
    assert status == 201
    assert created == {"id": created["id"], "success": True, "errors": [], "created": True}
    assert headers["location"].endswith(created["id"])
    status, updated = server.api("PATCH", f"sobjects/Event/Offline_Id__c/{key}", {"Subject": "Initial School Meeting"})
    assert status == 200
    assert updated == {"id": created["id"], "success": True, "errors": [], "created": False}
    _, record = server.api("GET", f"sobjects/Event/Offline_Id__c/{key}")
    assert record["Subject"] == "Initial School Meeting" and record["Offline_Id__c"] == key


def test_upsert_refuses_a_different_external_id_in_the_body(server):
    status, body = server.api("PATCH", "sobjects/Event/Offline_Id__c/abc", {"Offline_Id__c": "xyz"})
    assert status == 400 and body[0]["errorCode"] == "INVALID_FIELD"


def test_deleted_record_is_gone_from_queries_and_404_entity_is_deleted(server):
    task = create(server, "Task", {"Subject": "to delete " + uuid.uuid4().hex})
    assert server.api("DELETE", f"sobjects/Task/{task}") == (204, None)
    status, body = server.api("GET", f"sobjects/Task/{task}")
    assert status == 404
    assert body == [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED"}]
    assert server.api("PATCH", f"sobjects/Task/{task}", {"Student_Name__c": "x"})[1][0]["errorCode"] == "ENTITY_IS_DELETED"
    assert server.api("DELETE", f"sobjects/Task/{task}")[1][0]["errorCode"] == "ENTITY_IS_DELETED"
    assert server.query(f"SELECT Id FROM Task WHERE Id = '{task}'")["totalSize"] == 0


def test_unknown_ids_and_resources_are_not_found(server):
    status, body = server.api("GET", "sobjects/Task/00TSb0000000zzzAAA")
    assert status == 404
    assert body == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
    assert server.api("GET", "nonsense/path")[0] == 404
    case = create(server, "Case", {"Student_Name__c": "x"})
    assert server.api("GET", f"sobjects/Task/{case}")[0] == 404  # an Id of another object


def test_wrong_method_is_405(server):
    status, body = server.api("PUT", "sobjects/Task")
    assert status == 405 and body[0]["errorCode"] == "METHOD_NOT_ALLOWED"


def test_read_only_fields_and_references_are_checked(server):
    status, body = server.api("POST", "sobjects/Task", {"Subject": "x", "SystemModstamp": "2026-01-01T00:00:00Z"})
    assert status == 400
    assert body[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE" and body[0]["fields"] == ["SystemModstamp"]
    status, body = server.api("POST", "sobjects/Event", {"WhatId": "a local uuid"})
    assert (status, body[0]["errorCode"]) == (400, "MALFORMED_ID")
    gone = create(server, "Case", {"Student_Name__c": "x"})
    server.api("DELETE", f"sobjects/Case/{gone}")
    status, body = server.api("POST", "sobjects/Event", {"WhatId": gone})
    assert (status, body[0]["errorCode"]) == (400, "ENTITY_IS_DELETED")
    status, body = server.api("POST", "sobjects/Event", {"WhatId": "500Sb00000zzzzz" + id_suffix("500Sb00000zzzzz")})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_CROSS_REFERENCE_KEY")
    status, body = server.api("POST", "sobjects/Event", {"Who": {"Offline_Id__c": "x"}})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_FIELD")


def test_field_and_object_names_ignore_case(server):
    task = create(server, "Task", {"Subject": "Original"})
    server.api("PATCH", f"sobjects/task/{task}", {"subject": "Changed"})
    _, record = server.api("GET", f"sobjects/TASK/{task}")
    assert record["Subject"] == "Changed" and "subject" not in record


def test_case_gets_a_case_number_and_deleting_it_deletes_its_children(server):
    case = create(server, "Case", {"Student_Name__c": "Invented"})
    _, record = server.api("GET", f"sobjects/Case/{case}")
    assert re.fullmatch(r"\d{8}", record["CaseNumber"])
    event = create(server, "Event", {"WhatId": case, **AT})
    comment = create(server, "CaseComment", {"ParentId": case, "CommentBody": "y"})
    plan = create(server, "Student_Plan__c", {"Case__c": case})
    step = create(server, "Plan_Step__c", {"Student_Plan__c": plan, "Case__c": case})
    contact = create(server, "Contact", {"LastName": "Invented", "Case__c": case})
    assert server.api("DELETE", f"sobjects/Case/{case}") == (204, None)
    for record_id in (event, comment, plan, step):
        assert server.api("GET", f"sobjects/Event/{record_id}")[0] == 404
    # Contact.Case__c is a lookup: deleting the case clears it, and the contact stays.
    _, kept = server.api("GET", f"sobjects/Contact/{contact}")
    assert kept["LastName"] == "Invented" and kept["Case__c"] is None


def test_deleting_a_barrier_clears_a_service_s_lookup_to_it(server):
    case = create(server, "Case", {"Student_Name__c": "x"})
    barrier = create(server, "Barrier__c", {"Case__c": case})
    service = create(server, "Service__c", {"Case__c": case, "Barrier__c": barrier, "Agency__c": "Invented NGO"})
    assert server.api("DELETE", f"sobjects/Barrier__c/{barrier}") == (204, None)
    _, record = server.api("GET", f"sobjects/Service__c/{service}")
    assert record["Barrier__c"] is None and record["Agency__c"] == "Invented NGO"


def test_case_comment_parent_must_be_a_case_and_cannot_move(server):
    case = create(server, "Case", {"Student_Name__c": "x"})
    task = create(server, "Task", {"Subject": "x"})
    status, body = server.api("POST", "sobjects/CaseComment", {"ParentId": task, "CommentBody": "y"})
    assert (status, body[0]["errorCode"]) == (400, "FIELD_INTEGRITY_EXCEPTION")
    comment = create(server, "CaseComment", {"ParentId": case, "CommentBody": "y"})
    other = create(server, "Case", {"Student_Name__c": "z"})
    status, body = server.api("PATCH", f"sobjects/CaseComment/{comment}", {"ParentId": other})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_FIELD_FOR_INSERT_UPDATE")
    assert server.api("PATCH", f"sobjects/CaseComment/{comment}", {"IsPublished": True}) == (204, None)


def test_a_file_is_a_content_version_with_its_document_and_a_link_to_the_case(server):
    case = create(server, "Case", {"Student_Name__c": "x"})
    data = "Student plan for Term 3 — invented.\n".encode() * 50
    version = create(server, "ContentVersion", {
        "Title": "Plan Term 3", "PathOnClient": "plan-term-3.docx", "FirstPublishLocationId": case,
        "VersionData": base64.b64encode(data).decode(), "Offline_Id__c": "file-1"})
    assert version.startswith("068")
    rows = server.query_all(f"SELECT Id, ContentDocumentId, ContentSize, Checksum, FileExtension, VersionData "
                            f"FROM ContentVersion WHERE Id = '{version}'")
    assert rows[0]["ContentSize"] == len(data) and rows[0]["Checksum"] == hashlib.md5(data).hexdigest()
    assert rows[0]["FileExtension"] == "docx"
    assert rows[0]["VersionData"] == f"/services/data/v60.0/sobjects/ContentVersion/{version}/VersionData"
    status, content, headers = server.request("GET", rows[0]["VersionData"])
    assert status == 200 and content == data and headers["content-type"] == "application/octet-stream"
    document = rows[0]["ContentDocumentId"]
    assert document.startswith("069")
    links = server.query_all(f"SELECT ContentDocumentId, LinkedEntityId FROM ContentDocumentLink "
                             f"WHERE LinkedEntityId = '{case}'")
    assert [(link["ContentDocumentId"], link["LinkedEntityId"]) for link in links] == [(document, case)]
    status, body = server.api("PATCH", f"sobjects/ContentVersion/{version}",
                              {"VersionData": base64.b64encode(b"x").decode()})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_FIELD_FOR_INSERT_UPDATE")


def test_content_version_needs_its_data(server):
    status, body = server.api("POST", "sobjects/ContentVersion", {"Title": "x"})
    assert status == 400 and body[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert body[0]["fields"] == ["VersionData", "PathOnClient"]
