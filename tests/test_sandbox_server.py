"""The training sandbox as a server: start-up, loopback only, data across restarts, the trainer's
admin API and request counts, and `ascms-tui sandbox` itself."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import pytest

from ascms_tui.sandbox.records import SANDBOX_USERS
from tests.sandbox_server import ROOT, SandboxServer


def test_starts_quickly(sandbox_factory):
    started = time.monotonic()
    server = sandbox_factory()
    assert server.api("GET", "query?q=SELECT+Id+FROM+Case")[0] == 200
    assert time.monotonic() - started < 2.0


def test_listens_on_loopback_only(sandbox):
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=5):
        pass
    # Another loopback address, and this machine's own addresses, find nothing listening.
    others = {"127.0.0.2"}
    try:
        others |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        pass
    for address in others - {"127.0.0.1"}:
        with pytest.raises(OSError):
            socket.create_connection((address, sandbox.port), timeout=2).close()


def test_serve_refuses_anything_but_loopback(tmp_path):
    from ascms_tui.sandbox.app import Sandbox, serve

    sock = socket.socket()
    sock.bind(("0.0.0.0", 0))
    sandbox = Sandbox(tmp_path, token="t")
    try:
        with pytest.raises(ValueError, match="127.0.0.1 only"):
            serve(sandbox, sock)
    finally:
        sock.close()


def test_data_survives_a_restart_and_a_crash(sandbox):
    key = str(uuid.uuid4())
    status, created = sandbox.api("PATCH", f"sobjects/Case/Offline_Id__c/{key}", {"Student_Name__c": "Kept"})
    assert status == 201
    stamp = sandbox.api("GET", f"sobjects/Case/{created['id']}")[1]["SystemModstamp"]
    tokens = sandbox.device_login()
    port = sandbox.port

    sandbox.restart()
    assert sandbox.port == port
    assert sandbox.api("GET", f"sobjects/Case/{created['id']}")[1]["Student_Name__c"] == "Kept"
    assert sandbox.api("GET", "query?q=SELECT+Id+FROM+Case", token=tokens["access_token"])[0] == 200

    # Committed means kept, even if the process is killed right after.
    status, second = sandbox.api("POST", "sobjects/Task", {"Subject": "Written before the crash"})
    sandbox.kill()
    sandbox.start()
    assert sandbox.api("GET", f"sobjects/Task/{second['id']}")[1]["Subject"] == "Written before the crash"
    # Ids and SystemModstamp carry on from where they were.
    _, third = sandbox.api("POST", "sobjects/Task", {"Subject": "after"})
    assert third["id"] not in (created["id"], second["id"])
    assert sandbox.api("GET", f"sobjects/Task/{third['id']}")[1]["SystemModstamp"] >= stamp
    assert sandbox.api("PATCH", f"sobjects/Case/Offline_Id__c/{key}", {"Student_Name__c": "x"})[1]["created"] is False


def test_central_changes_as_a_school_would_make_them(sandbox):
    users = sandbox.users()
    assert set(users["users"]) == {name for name, _ in SANDBOX_USERS}
    case = sandbox.central_create("Case", {"Student_Name__c": "New referral", "Case_Owner_Name__c": "Kiri Tomlinson"})
    _, record = sandbox.api("GET", f"sobjects/Case/{case}")
    assert record["OwnerId"] == users["default"]  # lands in the case manager's caseload
    assert record["CreatedById"] == users["users"]["Jo Whitfield"]

    comment = sandbox.central_create("CaseComment", {"ParentId": case, "CommentBody": "From the school.",
                                                     "IsPublished": True})
    before = sandbox.api("GET", f"sobjects/CaseComment/{comment}")[1]["SystemModstamp"]
    edited = sandbox.central_edit("CaseComment", comment, {"CommentBody": "From the school, edited."},
                                  by="Hamish Petrie")
    _, after = sandbox.api("GET", f"sobjects/CaseComment/{comment}")
    assert after["CommentBody"] == "From the school, edited." and after["SystemModstamp"] >= before
    assert edited["SystemModstamp"] == after["SystemModstamp"]
    assert after["LastModifiedById"] == users["users"]["Hamish Petrie"]

    deleted = sandbox.central_delete("Case", case)
    assert deleted == [case, comment]
    assert sandbox.api("GET", f"sobjects/Case/{case}")[1][0]["errorCode"] == "ENTITY_IS_DELETED"

    # The same rules as the API: no custom field on a CaseComment, even centrally.
    status, body, _ = sandbox.request("POST", "/sandbox/central-create", {
        "sobject": "CaseComment", "fields": {"ParentId": case, "X__c": 1}})
    assert status == 400
    status, body, _ = sandbox.request("POST", "/sandbox/central-edit", {"sobject": "Case"})
    assert status == 400 and "'id' is required" in body["error"]


def test_central_changes_are_never_faulted(sandbox_factory):
    server = sandbox_factory(faults="503=1,lock=1")
    case = server.central_create("Case", {"Student_Name__c": "x"})
    server.central_edit("Case", case, {"Student_Name__c": "y"})
    assert server.api("GET", f"sobjects/Case/{case}")[0] == 503


def test_stats_count_requests_by_endpoint_and_records_by_object(sandbox):
    sandbox.api("POST", "composite/sobjects", {"records": [{"attributes": {"type": "Task"}, "Subject": "a"},
                                                           {"attributes": {"type": "Task"}, "Subject": "b"}]})
    sandbox.api("PATCH", "composite/sobjects/Event/Offline_Id__c", {"records": [
        {"attributes": {"type": "Event"}, "Offline_Id__c": "e1", "StartDateTime": "2026-06-30T01:00:00Z",
         "EndDateTime": "2026-06-30T02:00:00Z"}]})
    sandbox.query_all("SELECT Id FROM Task")
    sandbox.query_all("SELECT Id FROM Task")
    stats = sandbox.stats()
    assert stats["requests"]["by_endpoint"] == {
        "POST /composite/sobjects": 1, "PATCH /composite/sobjects/{sobject}/{field}": 1, "GET /query": 2}
    assert stats["requests"]["total"] == 4
    assert stats["records"] == {"Event": 1, "Task": 2, "User": 3}


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ascms_tui.cli", "sandbox", *args], cwd=ROOT, check=False,
                          capture_output=True, text=True, timeout=timeout)


def test_the_command_refuses_a_bad_fault_spec_and_a_busy_port(tmp_path):
    result = run_cli("--data", str(tmp_path), "--faults", "lose=often")
    assert result.returncode == 2
    assert "--faults" in result.stderr and "'lose=often'" in result.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli("--data", str(tmp_path), "--port", str(busy.getsockname()[1]))
    assert result.returncode == 1 and "cannot listen on 127.0.0.1" in result.stderr


def test_the_command_serves_and_keeps_a_token_when_none_is_given(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "ascms_tui.cli", "sandbox", "--port", "0", "--data",
                                str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("ascms-tui sandbox listening on http://127.0.0.1:")
        token = (tmp_path / "token").read_text().strip()
        assert (tmp_path / "token").stat().st_mode & 0o777 == 0o600
        port = int(first.rsplit(":", 1)[1])
        server = SandboxServer.__new__(SandboxServer)
        server.port, server.token = port, token
        assert server.api("GET", "query?q=SELECT+Id+FROM+Case")[0] == 200
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
        process.stderr.close()


def test_seed_demo_loads_the_demo_caseload_as_central_records(sandbox_factory):
    from ascms_tui.demo import DEMO_USER

    assert SANDBOX_USERS[0][0] == DEMO_USER  # the demo app opens as the sandbox's case manager
    server = sandbox_factory(seed="demo")
    records = server.stats()["records"]
    assert records["Case"] >= 30 and records["Event"] > records["Case"]
    assert {"CaseComment", "Task", "Contact", "Barrier__c", "Student_Plan__c", "Plan_Step__c",
            "ContentVersion", "ContentDocumentLink"} <= set(records)
    owners = {r["OwnerId"] for r in server.query_all("SELECT OwnerId FROM Case")}
    assert owners == {server.users()["default"]}
    events = server.query_all(
        "SELECT Id, WhatId, Subject FROM Event WHERE WhatId IN (SELECT Id FROM Case WHERE "
        f"Case_Owner_Name__c = '{DEMO_USER}')")
    assert events and all(e["WhatId"].startswith("500") for e in events)
    # Every step hangs off its plan (a required master-detail field): the demo never marks a step
    # synced while its plan waits, and the seed refuses a record missing a required field.
    assert server.query("SELECT COUNT() FROM Plan_Step__c WHERE Student_Plan__c = null")["totalSize"] == 0
    # A restart with --seed again leaves the records as they are.
    server.restart()
    assert server.stats()["records"] == records
