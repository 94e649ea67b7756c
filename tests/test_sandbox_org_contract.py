"""The strict sandbox: it refuses what a real Salesforce org refuses, as the org contract describes it.

Each rule follows Salesforce's documentation (REST API Developer Guide; Object Reference);
where the exact wording is the sandbox's own reading, docs/sandbox.md says so.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ascms_tui.org_contract import default_contract


@pytest.fixture(scope="module")
def server(module_sandbox):
    return module_sandbox


@pytest.fixture(scope="module")
def case_id(server) -> str:
    status, body = server.api("POST", "sobjects/Case", {"Student_Name__c": "Invented", "Type": "Chronic Absence"})
    assert status == 201, body
    return body["id"]


def refused(server, method: str, path: str, body: dict | None = None) -> tuple[int, str, list[str]]:
    status, answer = server.api(method, path, body)
    assert status >= 400, answer
    return status, answer[0]["errorCode"], answer[0].get("fields", [])


AT = {"StartDateTime": "2026-06-30T01:00:00Z"}


def test_unknown_objects_and_fields_do_not_exist(server, case_id):
    assert refused(server, "POST", "sobjects/Widget__c", {"Name": "x"})[:2] == (404, "NOT_FOUND")
    assert refused(server, "POST", "sobjects/Case", {"Student_Name__c": "x", "Favourite_Colour__c": "red"}) == (
        400, "INVALID_FIELD", ["Favourite_Colour__c"])
    assert refused(server, "PATCH", f"sobjects/Case/{case_id}", {"Subject": "x"})[1] == "INVALID_FIELD"
    assert refused(server, "GET", "sobjects/Widget__c/describe")[:2] == (404, "NOT_FOUND")


def test_fields_that_are_not_createable_or_updateable_are_refused(server, case_id):
    # CaseNumber is an auto number: the org sets it.
    assert refused(server, "POST", "sobjects/Case", {"CaseNumber": "00000001"}) == (
        400, "INVALID_FIELD_FOR_INSERT_UPDATE", ["CaseNumber"])
    status, body = server.api("POST", "sobjects/CaseComment", {"ParentId": case_id, "CommentBody": "x"})
    assert status == 201
    other = server.api("POST", "sobjects/Case", {"Student_Name__c": "Other"})[1]["id"]
    assert refused(server, "PATCH", f"sobjects/CaseComment/{body['id']}", {"ParentId": other}) == (
        400, "INVALID_FIELD_FOR_INSERT_UPDATE", ["ParentId"])


def test_required_fields_are_required_on_create_and_stay_filled(server, case_id):
    # Contact.LastName: not nillable, createable, no default.
    assert refused(server, "POST", "sobjects/Contact", {"Case__c": case_id, "Phone": "021 555 0100"}) == (
        400, "REQUIRED_FIELD_MISSING", ["LastName"])
    contact = server.api("POST", "sobjects/Contact", {"Case__c": case_id, "LastName": "Invented"})[1]["id"]
    assert refused(server, "PATCH", f"sobjects/Contact/{contact}", {"LastName": None}) == (
        400, "REQUIRED_FIELD_MISSING", ["LastName"])
    # Master-detail: a Barrier needs its Case.
    assert refused(server, "POST", "sobjects/Barrier__c", {"Category__c": "Transport"}) == (
        400, "REQUIRED_FIELD_MISSING", ["Case__c"])
    # Defaulted fields need nothing: a Task gets Status and Priority, a checkbox false.
    task = server.api("POST", "sobjects/Task", {"WhatId": case_id, "Subject": "Ring the school"})[1]["id"]
    [row] = server.query_all(f"SELECT Status, Priority FROM Task WHERE Id = '{task}'")
    assert (row["Status"], row["Priority"]) == ("Not Started", "Normal")


def test_restricted_picklists_take_only_their_values(server, case_id):
    status, code, fields = refused(server, "POST", "sobjects/Student_Plan__c",
                                   {"Case__c": case_id, "Status__c": "In progress"})  # wrong case of a letter
    assert (status, code, fields) == (400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status__c"])
    assert server.api("POST", "sobjects/Student_Plan__c", {"Case__c": case_id, "Status__c": "In Progress"})[0] == 201
    # Case Type is a standard, unrestricted picklist: another value is stored.
    assert server.api("POST", "sobjects/Case", {"Student_Name__c": "x", "Type": "Other kind"})[0] == 201


def test_lengths_numbers_and_value_types_are_checked(server, case_id):
    too_long = "x" * 37  # Offline_Id__c holds a UUID: 36 characters
    assert refused(server, "PATCH", f"sobjects/Task/Offline_Id__c/{too_long}", {"Subject": "x"})[1] == "STRING_TOO_LONG"
    assert refused(server, "POST", "sobjects/Case", {"Student_Name__c": "x" * 256})[1:] == (
        "STRING_TOO_LONG", ["Student_Name__c"])
    body = "ā" * 2001  # 4,002 bytes: CommentBody is limited to 4,000 bytes
    assert refused(server, "POST", "sobjects/CaseComment", {"ParentId": case_id, "CommentBody": body})[1] == \
        "STRING_TOO_LONG"
    assert refused(server, "POST", "sobjects/Task", {"Subject": "x", "Time_Spent_Hours__c": 100})[1:] == (
        "NUMBER_OUTSIDE_VALID_RANGE", ["Time_Spent_Hours__c"])
    assert refused(server, "POST", "sobjects/Case", {"Referral_Date__c": "30/06/2026"})[1:] == (
        "JSON_PARSER_ERROR", ["Referral_Date__c"])
    assert refused(server, "POST", "sobjects/Case", {"Migrated__c": "yes"})[1] == "JSON_PARSER_ERROR"


def test_a_reference_must_name_a_live_record_of_the_right_object(server, case_id):
    contact = server.api("POST", "sobjects/Contact", {"LastName": "Invented"})[1]["id"]
    assert refused(server, "POST", "sobjects/Task", {"Subject": "x", "WhatId": contact})[1:] == (
        "FIELD_INTEGRITY_EXCEPTION", ["WhatId"])
    assert refused(server, "POST", "sobjects/Barrier__c", {"Case__c": "not-an-id"})[1] == "MALFORMED_ID"


def test_a_timed_event_needs_an_end_or_a_duration(server, case_id):
    assert refused(server, "POST", "sobjects/Event", {"WhatId": case_id, "Subject": "Home Visit", **AT,
                                                      "IsAllDayEvent": False, "EndDateTime": None}) == (
        400, "REQUIRED_FIELD_MISSING", ["DurationInMinutes"])
    assert refused(server, "POST", "sobjects/Event", {"WhatId": case_id, "Subject": "x", "DurationInMinutes": 5})[1:] \
        == ("REQUIRED_FIELD_MISSING", ["StartDateTime"])
    assert refused(server, "POST", "sobjects/Event", {"Subject": "x", **AT, "EndDateTime": "2026-06-30T00:30:00Z"})[1] \
        == "FIELD_INTEGRITY_EXCEPTION"  # ends before it starts
    ended = server.api("POST", "sobjects/Event", {"Subject": "x", **AT, "EndDateTime": "2026-06-30T02:30:00Z"})[1]
    lasted = server.api("POST", "sobjects/Event", {"Subject": "x", **AT, "DurationInMinutes": 45})[1]
    rows = {r["Id"]: r for r in server.query_all(
        f"SELECT Id, EndDateTime, DurationInMinutes, ActivityDate FROM Event WHERE Id IN "
        f"('{ended['id']}', '{lasted['id']}')")}
    assert rows[ended["id"]]["DurationInMinutes"] == 90
    assert rows[lasted["id"]]["EndDateTime"] == "2026-06-30T01:45:00.000+0000"
    # Clearing the end without a duration leaves a timed Event with neither.
    assert refused(server, "PATCH", f"sobjects/Event/{ended['id']}", {"EndDateTime": None})[1] == \
        "REQUIRED_FIELD_MISSING"


def test_an_all_day_event_keeps_its_date_in_activity_date(server, case_id):
    assert refused(server, "POST", "sobjects/Event", {"Subject": "x", "IsAllDayEvent": True})[1:] == (
        "REQUIRED_FIELD_MISSING", ["ActivityDate"])
    created = server.api("POST", "sobjects/Event", {"Subject": "Whānau Hui", "IsAllDayEvent": True,
                                                    "ActivityDate": "2026-03-05", "DurationInMinutes": 2880})[1]
    [row] = server.query_all(f"SELECT ActivityDate, StartDateTime, EndDateTime, DurationInMinutes FROM Event "
                             f"WHERE Id = '{created['id']}'")
    # The date is a plain date, not shifted for a time zone; the day starts at midnight UTC.
    assert row == {**row, "ActivityDate": "2026-03-05", "StartDateTime": "2026-03-05T00:00:00.000+0000",
                   "EndDateTime": "2026-03-06T00:00:00.000+0000", "DurationInMinutes": 2880}
    assert refused(server, "POST", "sobjects/Event", {"Subject": "x", "IsAllDayEvent": True,
                                                      "ActivityDate": "2026-03-05", "DurationInMinutes": 90})[1] \
        == "FIELD_INTEGRITY_EXCEPTION"


def test_a_content_version_cannot_be_deleted_its_document_can(server, case_id):
    import base64

    version = server.api("POST", "sobjects/ContentVersion", {
        "Title": "Plan", "PathOnClient": "plan.txt", "FirstPublishLocationId": case_id,
        "VersionData": base64.b64encode(b"invented").decode()})[1]["id"]
    assert refused(server, "DELETE", f"sobjects/ContentVersion/{version}")[1] == "INVALID_TYPE_FOR_OPERATION"
    status, results = server.api("DELETE", f"composite/sobjects?ids={version}")
    assert status == 200 and results[0]["errors"][0]["statusCode"] == "INVALID_TYPE_FOR_OPERATION"
    [row] = server.query_all(f"SELECT ContentDocumentId FROM ContentVersion WHERE Id = '{version}'")
    assert server.api("DELETE", f"sobjects/ContentDocument/{row['ContentDocumentId']}") == (204, None)
    assert server.query_all(f"SELECT Id FROM ContentVersion WHERE Id = '{version}'") == []
    assert server.query_all(f"SELECT Id FROM ContentDocumentLink WHERE LinkedEntityId = '{case_id}'") == []


def test_deleted_and_archived_records_come_only_from_query_all(server, case_id):
    task = server.api("POST", "sobjects/Task", {"WhatId": case_id, "Subject": "Deleted " + uuid.uuid4().hex})[1]
    event = server.api("POST", "sobjects/Event", {"WhatId": case_id, "Subject": "Old visit", **AT,
                                                  "DurationInMinutes": 30})[1]
    server.api("DELETE", f"sobjects/Task/{task['id']}")
    server.central_archive(event["id"])
    assert server.query_all(f"SELECT Id FROM Task WHERE Id = '{task['id']}'") == []
    assert server.query_all(f"SELECT Id FROM Event WHERE Id = '{event['id']}'") == []
    [gone] = server.query_all(f"SELECT Id, IsDeleted FROM Task WHERE Id = '{task['id']}'", deleted=True)
    [archived] = server.query_all(f"SELECT Id, IsArchived FROM Event WHERE Id = '{event['id']}'", deleted=True)
    assert gone["IsDeleted"] is True and archived["IsArchived"] is True
    # An archived Event is still a live record: it can be read and edited by Id.
    assert server.api("PATCH", f"sobjects/Event/{event['id']}", {"Description": "x"}) == (204, None)


def test_deleted_and_updated_resources_report_a_window_with_latest_date_covered(server, case_id):
    start = (datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    task = server.api("POST", "sobjects/Task", {"WhatId": case_id, "Subject": "Window"})[1]["id"]
    server.api("DELETE", f"sobjects/Task/{task}")
    end = (datetime.now(UTC) + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    window = urllib.parse.urlencode({"start": start, "end": end})  # '+' must be sent as %2B
    status, deleted = server.api("GET", f"sobjects/Task/deleted/?{window}")
    assert status == 200
    assert task in [r["id"] for r in deleted["deletedRecords"]]
    assert set(deleted) == {"deletedRecords", "earliestDateAvailable", "latestDateCovered"}
    assert deleted["latestDateCovered"] <= datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    status, updated = server.api("GET", f"sobjects/Case/updated/?{window}")
    assert status == 200 and set(updated) == {"ids", "latestDateCovered"}
    assert refused(server, "GET", "sobjects/Task/deleted/?start=yesterday&end=today")[1] == "INVALID_DATE_FORMAT"


def test_describe_and_describe_global_have_salesforce_s_shape(server):
    status, described = server.api("GET", "sobjects/Student_Plan__c/describe")
    assert status == 200 and described["name"] == "Student_Plan__c" and described["custom"] is True
    fields = {f["name"]: f for f in described["fields"]}
    keys = {"name", "type", "length", "nillable", "createable", "updateable", "externalId", "unique",
            "restrictedPicklist", "picklistValues", "referenceTo", "relationshipName"}
    assert all(keys <= set(f) for f in fields.values())
    status_field = fields["Status__c"]
    assert status_field["restrictedPicklist"] is True
    assert [v["value"] for v in status_field["picklistValues"]] == ["Draft", "In Progress", "Completed"]
    assert all({"value", "label", "active"} <= set(v) for v in status_field["picklistValues"])
    assert fields["Offline_Id__c"]["externalId"] is True and fields["Offline_Id__c"]["unique"] is True
    assert fields["Case__c"]["referenceTo"] == ["Case"] and fields["Case__c"]["relationshipName"] == "Case__r"
    status, everything = server.api("GET", "sobjects")
    names = {o["name"] for o in everything["sobjects"]}
    assert names == {o.name for o in default_contract().objects.values()}
    assert all(o["urls"]["describe"].endswith(f"/sobjects/{o['name']}/describe") for o in everything["sobjects"])


def test_a_configured_validation_rule_refuses_with_field_custom_validation_exception(server, case_id):
    rule = {"object": "Event", "field": "Description", "when": {"Subject": ["Initial School Meeting"]},
            "message": "Description required for an initial meeting"}
    server.set_validation_rules([rule])
    try:
        status, code, fields = refused(server, "POST", "sobjects/Event", {
            "WhatId": case_id, "Subject": "Initial School Meeting", **AT, "DurationInMinutes": 60})
        assert (status, code, fields) == (400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", ["Description"])
        assert server.api("POST", "sobjects/Event", {"WhatId": case_id, "Subject": "Initial School Meeting", **AT,
                                                     "DurationInMinutes": 60, "Description": "Met the dean"})[0] == 201
    finally:
        server.set_validation_rules([])


def test_a_composite_request_holds_at_most_five_collections_or_queries(server):
    query = {"method": "GET", "url": "/services/data/v60.0/query?q=SELECT+Id+FROM+Case"}
    status, body = server.api("POST", "composite", {"compositeRequest": [
        {**query, "referenceId": f"q{n}"} for n in range(6)]})
    assert (status, body[0]["errorCode"]) == (400, "LIMIT_EXCEEDED")
    status, body = server.api("POST", "composite", {"compositeRequest": [
        {**query, "referenceId": f"q{n}"} for n in range(5)]})
    assert status == 200 and len(body["compositeResponse"]) == 5


def test_sforce_limit_info_counts_requests_against_the_daily_limit(sandbox_factory):
    server = sandbox_factory(daily_limit=5)
    seen = []
    for _ in range(7):
        status, _body, headers = server.request("GET", "/services/data/v60.0/query?q=SELECT+Id+FROM+Case")
        seen.append((status, headers["sforce-limit-info"]))
    assert seen[:5] == [(200, f"api-usage={n}/5") for n in range(1, 6)]
    assert seen[5][0] == 403 and seen[6][0] == 403
    status, body, _ = server.request("GET", "/services/data/v60.0/limits")
    assert status == 403  # over the limit, even /limits is refused
    # The count is the day's: it survives a restart.
    server.restart()
    status, _body, headers = server.request("GET", "/services/data/v60.0/query?q=SELECT+Id+FROM+Case")
    assert status == 403 and headers["sforce-limit-info"] == "api-usage=9/5"


def test_whole_second_stamps_are_shared_within_a_second(server, case_id):
    # Wait for the start of a second so three writes land in the same one.
    time.sleep(1 - (time.time() % 1) + 0.01)
    ids = [server.api("POST", "sobjects/Task", {"WhatId": case_id, "Subject": f"Same second {n}"})[1]["id"]
           for n in range(3)]
    rows = server.query_all(f"SELECT SystemModstamp FROM Task WHERE Id IN ('{ids[0]}', '{ids[1]}', '{ids[2]}')")
    assert len({r["SystemModstamp"] for r in rows}) == 1
