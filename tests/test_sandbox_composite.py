"""The composite resource on the training sandbox: references between subrequests and allOrNone."""

from __future__ import annotations

import uuid

import pytest

HALTED = [{"errorCode": "PROCESSING_HALTED",
           "message": "The transaction was rolled back since another operation in the same transaction failed."}]


@pytest.fixture(scope="module")
def server(module_sandbox):
    return module_sandbox


def sub(method: str, url: str, ref: str, body: dict | None = None) -> dict:
    request = {"method": method, "url": f"/services/data/v60.0/{url}", "referenceId": ref}
    if body is not None:
        request["body"] = body
    return request


def test_a_new_case_and_its_comment_and_event_in_one_request(server):
    key = str(uuid.uuid4())
    status, body = server.api("POST", "composite", {"allOrNone": True, "compositeRequest": [
        sub("PATCH", f"sobjects/Case/Offline_Id__c/{key}", "newCase", {"Student_Name__c": "Invented referral"}),
        sub("POST", "sobjects/CaseComment", "comment", {"ParentId": "@{newCase.id}", "CommentBody": "Referral in."}),
        sub("PATCH", "composite/sobjects/Event/Offline_Id__c", "events", {"allOrNone": False, "records": [
            {"attributes": {"type": "Event"}, "Offline_Id__c": key[:-2] + "-e", "WhatId": "@{newCase.id}",
             "StartDateTime": "2026-06-30T01:00:00Z", "DurationInMinutes": 30}]}),
        sub("GET", "query?q=SELECT+Id,ParentId+FROM+CaseComment+WHERE+ParentId='@{newCase.id}'", "check"),
    ]})
    assert status == 200
    responses = body["compositeResponse"]
    assert [r["referenceId"] for r in responses] == ["newCase", "comment", "events", "check"]
    case = responses[0]
    assert case["httpStatusCode"] == 201
    assert case["body"] == {"id": case["body"]["id"], "success": True, "errors": [], "created": True}
    assert case["httpHeaders"]["Location"] == f"/services/data/v60.0/sobjects/Case/{case['body']['id']}"
    assert responses[1]["httpStatusCode"] == 201
    assert responses[2]["body"][0]["created"] is True
    assert responses[3]["body"]["records"][0]["ParentId"] == case["body"]["id"]
    _, event = server.api("GET", f"sobjects/Event/Offline_Id__c/{key[:-2]}-e")
    assert event["WhatId"] == case["body"]["id"]


def test_all_or_none_rolls_back_and_halts_the_others(server):
    key = str(uuid.uuid4())
    status, body = server.api("POST", "composite", {"allOrNone": True, "compositeRequest": [
        sub("PATCH", f"sobjects/Case/Offline_Id__c/{key}", "newCase", {"Student_Name__c": "x"}),
        sub("POST", "sobjects/CaseComment", "bad", {"ParentId": "@{newCase.id}", "Offline_Id__c": "no"}),
        sub("POST", "sobjects/Task", "after", {"Subject": "never", "WhatId": "@{newCase.id}"}),
    ]})
    assert status == 200
    responses = body["compositeResponse"]
    assert responses[0] == {"body": HALTED, "httpHeaders": {}, "httpStatusCode": 400, "referenceId": "newCase"}
    assert responses[1]["httpStatusCode"] == 400 and responses[1]["body"][0]["errorCode"] == "INVALID_FIELD"
    assert responses[2]["body"] == HALTED
    assert server.api("GET", f"sobjects/Case/Offline_Id__c/{key}")[0] == 404


def test_all_or_none_covers_collections_inside(server):
    key = str(uuid.uuid4())
    _status, body = server.api("POST", "composite", {"allOrNone": True, "compositeRequest": [
        sub("PATCH", f"sobjects/Case/Offline_Id__c/{key}", "newCase", {"Student_Name__c": "x"}),
        sub("POST", "composite/sobjects", "comments", {"allOrNone": False, "records": [
            {"attributes": {"type": "CaseComment"}, "ParentId": "@{newCase.id}", "CommentBody": "fine"},
            {"attributes": {"type": "CaseComment"}, "ParentId": "@{newCase.id}", "Offline_Id__c": "bad"}]}),
    ]})
    responses = body["compositeResponse"]
    assert responses[0]["body"] == HALTED
    assert [r["success"] for r in responses[1]["body"]] == [False, False]
    assert responses[1]["body"][0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert server.api("GET", f"sobjects/Case/Offline_Id__c/{key}")[0] == 404


def test_without_all_or_none_a_failure_halts_only_what_depends_on_it(server):
    _status, body = server.api("POST", "composite", {"allOrNone": False, "compositeRequest": [
        sub("POST", "sobjects/Event", "badEvent", {"WhatId": "not-an-id"}),
        sub("POST", "sobjects/Task", "dependsOnIt", {"Subject": "x", "WhatId": "@{badEvent.id}"}),
        sub("POST", "sobjects/Task", "independent", {"Subject": "kept"}),
    ]})
    responses = body["compositeResponse"]
    assert responses[0]["body"][0]["errorCode"] == "MALFORMED_ID"
    assert responses[1]["httpStatusCode"] == 400
    assert responses[1]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert "badEvent.id" in responses[1]["body"][0]["message"]
    assert responses[2]["httpStatusCode"] == 201
    assert server.api("GET", f"sobjects/Task/{responses[2]['body']['id']}")[1]["Subject"] == "kept"


def test_at_most_25_subrequests_and_no_nesting(server):
    requests = [sub("POST", "sobjects/Task", f"t{i}", {"Subject": str(i)}) for i in range(26)]
    status, body = server.api("POST", "composite", {"compositeRequest": requests})
    assert status == 400
    assert server.query("SELECT Id FROM Task WHERE Subject = '25'")["totalSize"] == 0
    status, body = server.api("POST", "composite", {"compositeRequest": requests[:25]})
    assert status == 200 and len(body["compositeResponse"]) == 25
    status, body = server.api("POST", "composite", {"compositeRequest": [
        sub("POST", "composite", "inner", {"compositeRequest": []})]})
    assert body["compositeResponse"][0]["httpStatusCode"] == 400


def test_subrequests_need_a_reference_id(server):
    status, _body = server.api("POST", "composite", {"compositeRequest": [
        {"method": "POST", "url": "/services/data/v60.0/sobjects/Task", "body": {"Subject": "x"}}]})
    assert status == 400
