"""Fault injection on the training sandbox: each kind does what it says and repeats for a seed."""

from __future__ import annotations

import http.client
import json
import socket
import time
import uuid

import pytest

from ascms_tui.sandbox.faults import FaultSpec, FaultSpecError

QUERY = "query?q=SELECT+Id+FROM+Task"


@pytest.fixture(scope="module")
def server(module_sandbox):
    return module_sandbox


def test_spec_parsing_and_clear_messages():
    spec = FaultSpec.parse("seed=7, lose=0.1,503=0.05,latency=50ms,expire=every:40,lock=0.05,limit=after:500,"
                           "reject=Subject:Bad,reject=Status__c:Closed")
    assert str(spec) == ("seed=7,lose=0.1,503=0.05,latency=50ms,expire=every:40,lock=0.05,limit=after:500,"
                         "reject=Subject:Bad,reject=Status__c:Closed")
    assert FaultSpec.parse("latency=0.2s").latency_ms == 200
    assert str(FaultSpec.parse("")) == "seed=0"
    for bad, says in [("lose=1.5", "between 0 and 1"), ("wobble=1", "unknown fault 'wobble'"),
                      ("expire=40", "expire=every:N"), ("limit=after:x", "not a whole number"),
                      ("reject=Subject", "reject=FieldName:value"), ("latency=fast", "duration"), ("lose", "value")]:
        with pytest.raises(FaultSpecError, match=says):
            FaultSpec.parse(bad)


def statuses(server, n: int) -> list[int]:
    return [server.api("GET", QUERY)[0] for _ in range(n)]


def test_503_refuses_before_doing_anything_and_repeats_for_a_seed(server):
    server.set_faults("seed=7,503=0.3")
    first = statuses(server, 40)
    assert set(first) == {200, 503} and 5 <= first.count(503) <= 20
    server.set_faults("seed=7,503=0.3")
    assert statuses(server, 40) == first
    server.set_faults("seed=8,503=0.3")
    assert statuses(server, 40) != first

    server.set_faults("seed=7,503=0.3")
    keys = [str(uuid.uuid4()) for _ in range(40)]
    outcomes = [server.api("PATCH", f"sobjects/Task/Offline_Id__c/{k}", {"Subject": "x"})[0] for k in keys]
    assert [s == 503 for s in outcomes] == [s == 503 for s in first]
    server.set_faults("")
    stored = {r["Offline_Id__c"] for r in server.query_all("SELECT Offline_Id__c FROM Task")}
    assert {k for k, s in zip(keys, outcomes, strict=True) if s == 201} <= stored
    assert not {k for k, s in zip(keys, outcomes, strict=True) if s == 503} & stored
    status, body = server.api("GET", QUERY)
    assert status == 200
    server.set_faults("503=1")
    status, body = server.api("GET", QUERY)
    assert status == 503 and body[0]["errorCode"] == "SERVER_UNAVAILABLE"
    server.set_faults("")


def upsert_raw(server, key: str) -> str:
    """'lost' when the connection closes with no reply at all, else the status."""
    body = json.dumps({"Subject": "lost?"}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("PATCH", f"/services/data/v60.0/sobjects/Task/Offline_Id__c/{key}", body=body,
                           headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"})
        return str(connection.getresponse().status)
    except http.client.RemoteDisconnected:
        return "lost"
    finally:
        connection.close()


def test_lose_commits_then_closes_the_connection_without_a_reply(server):
    server.set_faults("seed=3,lose=0.4")
    keys = [str(uuid.uuid4()) for _ in range(30)]
    first = [upsert_raw(server, k) for k in keys]
    assert set(first) == {"201", "lost"}
    server.set_faults("")
    stored = {r["Offline_Id__c"] for r in server.query_all("SELECT Offline_Id__c FROM Task")}
    assert set(keys) <= stored  # every request was carried out, answered or not

    server.set_faults("seed=3,lose=0.4")
    again = [upsert_raw(server, k) for k in keys]  # resends after lost responses: updates, not duplicates
    assert [s == "lost" for s in again] == [s == "lost" for s in first]
    assert set(again) == {"200", "lost"}
    server.set_faults("")
    rows = server.query_all("SELECT Offline_Id__c FROM Task WHERE Subject = 'lost?'")
    assert sorted(r["Offline_Id__c"] for r in rows) == sorted(keys)

    # On the wire: not one byte comes back.
    server.set_faults("lose=1")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(f"GET /services/data/v60.0/{QUERY} HTTP/1.1\r\nHost: x\r\n"
                    f"Authorization: Bearer {server.token}\r\n\r\n".encode())
        assert raw.recv(1024) == b""
    server.set_faults("")
    assert server.stats()["faults"]["lost"] == 0  # counts restart with the spec


def event(key: str, **fields) -> dict:
    return {"attributes": {"type": "Event"}, "Offline_Id__c": key, "StartDateTime": "2026-06-30T01:00:00Z",
            "DurationInMinutes": 30, **fields}


def test_lock_fails_single_records_in_a_collection_and_repeats_for_a_seed(server):
    def run() -> list[bool]:
        records = [event(str(uuid.uuid4()), Subject="lock") for _ in range(60)]
        _, results = server.api("PATCH", "composite/sobjects/Event/Offline_Id__c", {"records": records})
        locked = [not r["success"] for r in results]
        for r in results:
            if not r["success"]:
                assert r["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
        return locked

    server.set_faults("seed=5,lock=0.2")
    first = run()
    assert 3 <= sum(first) <= 25
    assert server.stats()["faults"]["locked"] == sum(first)
    server.set_faults("seed=5,lock=0.2")
    assert run() == first
    server.set_faults("")
    assert server.query("SELECT COUNT() FROM Event WHERE Subject = 'lock'")["totalSize"] == 2 * (60 - sum(first))


def test_reject_is_a_validation_rule_on_chosen_values(server):
    server.set_faults("reject=Subject:Refuse me")
    key = str(uuid.uuid4())
    _, results = server.api("PATCH", "composite/sobjects/Event/Offline_Id__c", {"records": [
        event(key, Subject="Fine"), event(str(uuid.uuid4()), Subject="Refuse me")]})
    assert results[0]["success"] is True
    assert results[1] == {"success": False, "errors": [{
        "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "message": "Validation rule: Subject cannot be 'Refuse me' (sandbox --faults reject)", "fields": ["Subject"]}]}
    status, body = server.api("PATCH", f"sobjects/Event/Offline_Id__c/{key}", {"Subject": "Refuse me"})
    assert status == 400 and body[0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    server.set_faults("")


def test_limit_refuses_every_request_after_n(server):
    server.set_faults("limit=after:5")
    got = statuses(server, 8)
    assert got == [200] * 5 + [403] * 3
    _status, body = server.api("GET", QUERY)
    assert body == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    server.set_faults("")


def test_expire_invalidates_issued_tokens_every_n_requests_and_refresh_works(server):
    tokens = server.device_login()
    server.set_faults("expire=every:4")
    access = tokens["access_token"]
    seen = [server.api("GET", QUERY, token=access)[0] for _ in range(4)]
    assert seen == [200, 200, 200, 401]
    status, renewed, _ = server.request("POST", "/services/oauth2/token", token="", form={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "ascms-tui"})
    assert status == 200
    access = renewed["access_token"]
    seen = [server.api("GET", QUERY, token=access)[0] for _ in range(4)]
    assert seen == [200, 200, 200, 401]
    # The fixed --token is for scripts: it never expires.
    assert statuses(server, 4) == [200] * 4
    server.set_faults("")


def test_latency_delays_every_request(server):
    server.set_faults("latency=150ms")
    started = time.monotonic()
    statuses(server, 3)
    assert time.monotonic() - started >= 0.45
    server.set_faults("")


def test_faults_can_be_read_and_a_bad_spec_is_refused(server):
    status, body, _ = server.request("POST", "/sandbox/faults", {"spec": "lose=2"})
    assert status == 400 and "between 0 and 1" in body["error"]
    assert server.set_faults("seed=2,lock=0.1")["spec"] == "seed=2,lock=0.1"
    assert server.stats()["faults"]["spec"] == "seed=2,lock=0.1"
    server.set_faults("")


def test_faults_given_at_start(sandbox_factory):
    server = sandbox_factory(faults="limit=after:2")
    assert statuses(server, 3) == [200, 200, 403]
