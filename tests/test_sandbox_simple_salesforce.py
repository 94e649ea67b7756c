"""An existing Salesforce client, simple-salesforce, works against the training sandbox.

simple-salesforce always builds https:// addresses; the sandbox serves plain HTTP on
127.0.0.1, so the client is given a requests session whose adapter sends its https
requests to the sandbox over http. Everything else is the library's own code.
"""

from __future__ import annotations

import uuid

import pytest

simple_salesforce = pytest.importorskip("simple_salesforce")
requests = pytest.importorskip("requests")


class _PlainHttpToLoopback(requests.adapters.HTTPAdapter):
    def send(self, request, **kwargs):
        request.url = request.url.replace("https://127.0.0.1:", "http://127.0.0.1:", 1)
        return super().send(request, **kwargs)


@pytest.fixture
def client(sandbox):
    session = requests.Session()
    session.mount("https://127.0.0.1:", _PlainHttpToLoopback())
    return simple_salesforce.Salesforce(instance_url=sandbox.base_url, session_id=sandbox.token, version="60.0",
                                        session=session)


def test_create_get_update_upsert_and_query(client, sandbox):
    created = client.Case.create({"Student_Name__c": "Invented referral", "Case_Owner_Name__c": "Kiri Tomlinson"})
    assert created["success"] is True and created["id"].startswith("500")
    case = client.Case.get(created["id"])
    assert case["Student_Name__c"] == "Invented referral"
    assert client.Case.update(created["id"], {"Status": "Open"}) == 204

    key = str(uuid.uuid4())
    assert client.Event.upsert(f"Offline_Id__c/{key}", {"Subject": "Home visit", "WhatId": created["id"],
                                                         "StartDateTime": "2026-06-30T01:00:00Z", "DurationInMinutes": 60}) == 201
    assert client.Event.upsert(f"Offline_Id__c/{key}", {"Subject": "Home visit, whānau"}) == 200

    result = client.query(f"SELECT Id, Subject, WhatId FROM Event WHERE Offline_Id__c = '{key}'")
    assert result["totalSize"] == 1
    assert result["records"][0]["Subject"] == "Home visit, whānau"
    assert result["records"][0]["WhatId"] == created["id"]
    assert client.Case.delete(created["id"]) == 204
    with pytest.raises(simple_salesforce.exceptions.SalesforceResourceNotFound):
        client.Case.get(created["id"])


def test_query_all_follows_next_records_url(client, sandbox):
    rows = [{"attributes": {"type": "Task"}, "Subject": f"Task {i}"} for i in range(200)]
    for _ in range(3):
        sandbox.api("POST", "composite/sobjects", {"records": rows})
    client.headers["Sforce-Query-Options"] = "batchSize=200"
    result = client.query_all("SELECT Id FROM Task")
    assert result["totalSize"] == 600 and len(result["records"]) == 600
    assert len({r["Id"] for r in result["records"]}) == 600
    assert sandbox.stats()["requests"]["by_endpoint"]["GET /query/{locator}"] == 2


def test_errors_reach_the_client_as_salesforce_errors(client):
    with pytest.raises(simple_salesforce.exceptions.SalesforceMalformedRequest) as raised:
        client.query("SELECT Id FRM Case")
    assert raised.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(simple_salesforce.exceptions.SalesforceMalformedRequest) as raised:
        client.CaseComment.create({"ParentId": None, "CommentBody": "x", "Offline_Id__c": "x"})
    assert raised.value.content[0]["errorCode"] == "INVALID_FIELD"
