"""sObject Collections on the training sandbox, against Salesforce's documented responses.

Upsert by external ID (PATCH /composite/sobjects/{SObject}/{field}), create (POST),
update (PATCH) and delete (DELETE /composite/sobjects?ids=...), with per-record
results in request order and allOrNone.
"""

from __future__ import annotations

import uuid

import pytest

UPSERT_EVENTS = "composite/sobjects/Event/Offline_Id__c"


@pytest.fixture(scope="module")
def server(module_sandbox):
    return module_sandbox


@pytest.fixture(scope="module")
def case_id(server) -> str:
    status, body = server.api("POST", "sobjects/Case", {"Student_Name__c": "Invented case", "Offline_Id__c": "case-1"})
    assert status == 201
    return body["id"]


def event(offline_id: str, **fields) -> dict:
    # A timed Event needs an end or a duration, as in Salesforce.
    return {"attributes": {"type": "Event"}, "Offline_Id__c": offline_id, "StartDateTime": "2026-06-30T01:00:00Z",
            "DurationInMinutes": 30, **fields}


def test_upsert_creates_then_updates_the_same_record(server, case_id):
    key = str(uuid.uuid4())
    status, first = server.api("PATCH", UPSERT_EVENTS, {"allOrNone": False, "records": [
        event(key, Subject="Home visit", WhatId=case_id)]})
    assert status == 200
    assert first == [{"id": first[0]["id"], "success": True, "errors": [], "created": True}]
    assert first[0]["id"].startswith("00U") and len(first[0]["id"]) == 18

    # A resend after a lost response: same external ID, so the same record, now updated.
    status, again = server.api("PATCH", UPSERT_EVENTS, {"allOrNone": False, "records": [
        event(key, Subject="Home visit with whānau", WhatId=case_id)]})
    assert again == [{"id": first[0]["id"], "success": True, "errors": [], "created": False}]
    rows = server.query_all(f"SELECT Id, Subject FROM Event WHERE Offline_Id__c = '{key}'")
    assert [(r["Id"], r["Subject"]) for r in rows] == [(first[0]["id"], "Home visit with whānau")]


def test_results_come_back_one_per_record_in_order_and_a_bad_record_does_not_stop_the_rest(server, case_id):
    keys = [str(uuid.uuid4()) for _ in range(3)]
    records = [event(keys[0], Subject="A", WhatId=case_id),
               event(keys[1], Subject="B", WhatId="not-an-id"),
               event(keys[2], Subject="C", WhatId=case_id)]
    status, results = server.api("PATCH", UPSERT_EVENTS, {"allOrNone": False, "records": records})
    assert status == 200
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1] == {"success": False, "errors": [{
        "statusCode": "MALFORMED_ID", "message": "Related To ID: id value of incorrect type: not-an-id",
        "fields": ["WhatId"]}]}
    subjects = {r["Subject"] for r in server.query_all(
        f"SELECT Subject FROM Event WHERE Offline_Id__c IN ('{keys[0]}', '{keys[1]}', '{keys[2]}')")}
    assert subjects == {"A", "C"}


def test_all_or_none_rolls_back_every_record_when_one_fails(server, case_id):
    keys = [str(uuid.uuid4()) for _ in range(3)]
    records = [event(keys[0], Subject="A", WhatId=case_id),
               event(keys[1], Subject="B", CreatedDate="2026-01-01T00:00:00Z"),
               event(keys[2], Subject="C", WhatId=case_id)]
    status, results = server.api("PATCH", UPSERT_EVENTS, {"allOrNone": True, "records": records})
    assert status == 200
    rolled_back = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                   "message": "Record rolled back because not all records were valid and the request was using "
                              "AllOrNone header", "fields": []}
    assert results[0] == {"success": False, "errors": [rolled_back]}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert results[1]["errors"][0]["fields"] == ["CreatedDate"]
    assert results[2] == {"success": False, "errors": [rolled_back]}
    found = server.query(f"SELECT Id FROM Event WHERE Offline_Id__c IN ('{keys[0]}', '{keys[2]}')")
    assert found["totalSize"] == 0


def test_all_or_none_undoes_updates_too(server, case_id):
    key = str(uuid.uuid4())
    server.api("PATCH", UPSERT_EVENTS, {"records": [event(key, Subject="Before", WhatId=case_id)]})
    _status, results = server.api("PATCH", UPSERT_EVENTS, {"allOrNone": True, "records": [
        event(key, Subject="After"), event(str(uuid.uuid4()), Subject="Bad", WhoId="nope")]})
    assert [r["success"] for r in results] == [False, False]
    assert server.query_all(f"SELECT Subject FROM Event WHERE Offline_Id__c = '{key}'")[0]["Subject"] == "Before"


def test_the_same_external_id_twice_in_one_request_is_refused_for_both(server):
    key = str(uuid.uuid4())
    status, results = server.api("PATCH", UPSERT_EVENTS, {"records": [event(key, Subject="1"),
                                                                       event(key, Subject="2")]})
    assert status == 200
    for result in results:
        assert result["success"] is False
        assert result["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert server.query(f"SELECT Id FROM Event WHERE Offline_Id__c = '{key}'")["totalSize"] == 0


def test_external_id_matching_ignores_case(server):
    key = "ABC-" + uuid.uuid4().hex
    _, first = server.api("PATCH", UPSERT_EVENTS, {"records": [event(key, Subject="1")]})
    _, second = server.api("PATCH", UPSERT_EVENTS, {"records": [event(key.lower(), Subject="2")]})
    assert second[0]["id"] == first[0]["id"] and second[0]["created"] is False


def test_a_record_without_its_external_id_fails_alone(server):
    _status, results = server.api("PATCH", UPSERT_EVENTS, {"records": [
        {"attributes": {"type": "Event"}, "Subject": "no key"}, event(str(uuid.uuid4()), Subject="fine")]})
    assert results[0] == {"success": False, "errors": [
        {"statusCode": "MISSING_ARGUMENT", "message": "Offline_Id__c not specified", "fields": ["Offline_Id__c"]}]}
    assert results[1]["success"] is True


def test_more_than_200_records_is_a_bad_request(server):
    records = [event(str(uuid.uuid4())) for _ in range(201)]
    status, body = server.api("PATCH", UPSERT_EVENTS, {"records": records})
    assert status == 400
    assert body[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_200_records_are_fine(server):
    records = [event(str(uuid.uuid4()), Subject=f"n{i}") for i in range(200)]
    status, results = server.api("PATCH", UPSERT_EVENTS, {"records": records})
    assert status == 200 and len(results) == 200 and all(r["created"] for r in results)


def test_records_need_their_type_and_it_must_match_the_url(server):
    status, body = server.api("PATCH", UPSERT_EVENTS, {"records": [{"Offline_Id__c": "x", "Subject": "y"}]})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_TYPE")
    status, body = server.api("PATCH", UPSERT_EVENTS, {"records": [
        {"attributes": {"type": "Task"}, "Offline_Id__c": "x"}]})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_TYPE")


def test_a_field_that_is_not_an_external_id_is_not_found(server):
    # REST API Developer Guide, upsert: the key must be a field flagged External ID.
    for key in ("Subject", "Time_Spent_Hours__c", "No_Such__c"):
        status, body = server.api("PATCH", f"composite/sobjects/Event/{key}", {"records": [event("x")]})
        assert status == 404, key
        assert body == [{"message": f"Provided external ID field does not exist or is not accessible: {key}",
                         "errorCode": "NOT_FOUND"}]
        status, body = server.api("PATCH", f"sobjects/Event/{key}/x", {"Subject": "y"})
        assert (status, body[0]["errorCode"]) == (404, "NOT_FOUND"), key


def test_collections_upsert_keyed_on_id_is_refused(server, case_id):
    status, body = server.api("PATCH", "composite/sobjects/Case/Id", {"records": [
        {"attributes": {"type": "Case"}, "Id": case_id, "Catchment__c": "Invented"}]})
    assert (status, body[0]["errorCode"]) == (400, "INVALID_FIELD")
    assert "Only external ids are supported" in body[0]["message"]


def test_bad_json_is_a_json_parser_error(server):
    status, body, _ = server.request("PATCH", "/services/data/v60.0/" + UPSERT_EVENTS, raw=b'{"records": [',
                                     headers={"Content-Type": "application/json"})
    assert status == 400
    assert body[0]["errorCode"] == "JSON_PARSER_ERROR"


# --- CaseComment: no custom fields, so no external ID ----------------------------------------


def test_case_comment_with_a_custom_field_is_refused_per_record(server, case_id):
    status, results = server.api("POST", "composite/sobjects", {"allOrNone": False, "records": [
        {"attributes": {"type": "CaseComment"}, "ParentId": case_id, "CommentBody": "Called the school.",
         "Offline_Id__c": "abc"},
        {"attributes": {"type": "CaseComment"}, "ParentId": case_id, "CommentBody": "Called whānau.",
         "IsPublished": True},
    ]})
    assert status == 200
    assert results[0] == {"success": False, "errors": [{
        "statusCode": "INVALID_FIELD", "message": "No such column 'Offline_Id__c' on sobject of type CaseComment",
        "fields": ["Offline_Id__c"]}]}
    assert results[1]["success"] is True and results[1]["id"].startswith("00a")
    rows = server.query_all(f"SELECT CommentBody, IsPublished, ParentId FROM CaseComment WHERE ParentId = '{case_id}'")
    assert [(r["CommentBody"], r["IsPublished"]) for r in rows] == [("Called whānau.", True)]


def test_case_comment_cannot_be_upserted_by_an_external_id(server):
    status, body = server.api("PATCH", "composite/sobjects/CaseComment/Offline_Id__c", {"records": [
        {"attributes": {"type": "CaseComment"}, "Offline_Id__c": "x", "CommentBody": "y"}]})
    assert status == 404 and body[0]["errorCode"] == "NOT_FOUND"


def test_case_comment_is_not_published_by_default_and_body_is_limited_to_4000_bytes(server, case_id):
    _status, results = server.api("POST", "composite/sobjects", {"records": [
        {"attributes": {"type": "CaseComment"}, "ParentId": case_id, "CommentBody": "ā" * 2000},
        {"attributes": {"type": "CaseComment"}, "ParentId": case_id, "CommentBody": "ā" * 2001},
        {"attributes": {"type": "CaseComment"}, "CommentBody": "no parent"},
    ]})
    assert results[0]["success"] is True
    assert results[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert results[2]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    _, record = server.api("GET", f"sobjects/CaseComment/{results[0]['id']}")
    assert record["IsPublished"] is False


# --- create, update, delete -----------------------------------------------------------------------


def test_create_takes_several_types_and_refuses_an_id(server, case_id):
    _status, results = server.api("POST", "composite/sobjects", {"records": [
        {"attributes": {"type": "Task"}, "Subject": "Ring school", "WhatId": case_id},
        {"attributes": {"type": "Barrier__c"}, "Case__c": case_id, "Category__c": "Health"},
        {"attributes": {"type": "Task"}, "Id": "00T000000000001AAA", "Subject": "x"},
    ]})
    assert results[0] == {"id": results[0]["id"], "success": True, "errors": []}
    assert results[0]["id"].startswith("00T")
    assert results[1]["id"].startswith("a0")
    assert results[2]["success"] is False and results[2]["errors"][0]["statusCode"] == "INVALID_FIELD"


def test_update_and_delete_collections_report_each_id(server, case_id):
    _, created = server.api("POST", "composite/sobjects", {"records": [
        {"attributes": {"type": "Task"}, "Subject": f"T{i}", "WhatId": case_id} for i in range(2)]})
    ids = [r["id"] for r in created]
    status, updated = server.api("PATCH", "composite/sobjects", {"records": [
        {"attributes": {"type": "Task"}, "id": ids[0], "Status": "Completed"},
        {"attributes": {"type": "Task"}, "id": "00TSb000000zzzzAAA", "Status": "Completed"},
    ]})
    assert updated[0] == {"id": ids[0], "success": True, "errors": []}
    assert updated[1]["success"] is False and updated[1]["id"] == "00TSb000000zzzzAAA"

    status, deleted = server.api("DELETE", f"composite/sobjects?ids={ids[0]},{ids[1]}&allOrNone=false")
    assert status == 200
    assert deleted == [{"id": ids[0], "success": True, "errors": []}, {"id": ids[1], "success": True, "errors": []}]
    # Deleting again: Salesforce says the entity is deleted, which a client treats as done.
    _, again = server.api("DELETE", f"composite/sobjects?ids={ids[0]}&allOrNone=false")
    assert again == [{"id": ids[0], "success": False, "errors": [
        {"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]}]
    _, malformed = server.api("DELETE", "composite/sobjects?ids=nonsense")
    assert malformed[0]["errors"][0]["statusCode"] == "MALFORMED_ID"


def test_delete_all_or_none_keeps_everything_when_one_fails(server, case_id):
    _, created = server.api("POST", "composite/sobjects", {"records": [
        {"attributes": {"type": "Task"}, "Subject": "keep", "WhatId": case_id}]})
    task = created[0]["id"]
    _, results = server.api("DELETE", f"composite/sobjects?ids={task},nonsense&allOrNone=true")
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert server.api("GET", f"sobjects/Task/{task}")[0] == 200
