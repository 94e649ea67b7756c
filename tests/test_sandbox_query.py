"""SOQL queries on the training sandbox: the shapes the client sends, paging with nextRecordsUrl,
SystemModstamp as a pull cursor, and Salesforce's errors for malformed queries."""

from __future__ import annotations

import re
import time
import urllib.parse

import pytest

from tests.sandbox_server import SandboxServer, custom_object, field, org_file


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A sandbox playing an org with a few objects of its own, for the query engine's sake."""
    folder = tmp_path_factory.mktemp("sandbox")
    people = custom_object("Person__c", "a0P", [
        field("Name__c"), field("Age__c", "double", scale=1), field("Active__c", "boolean"), field("Note__c"),
        field("Seen__c", "datetime")])
    numbered = [custom_object(name, prefix, [field("N__c", "double")])
                for name, prefix in (("Pageable__c", "a0Q"), ("Big__c", "a0R"), ("Locator__c", "a0S"),
                                     ("Cursor__c", "a0T"))]
    server = SandboxServer(folder, org=org_file(folder, extra_objects=[people, *numbered]))
    yield server
    server.stop()


def create_many(server, sobject: str, rows: list[dict]) -> list[str]:
    ids = []
    for start in range(0, len(rows), 200):
        chunk = [{"attributes": {"type": sobject}, **row} for row in rows[start:start + 200]]
        status, results = server.api("POST", "composite/sobjects", {"records": chunk})
        assert status == 200 and all(r["success"] for r in results), results
        ids += [r["id"] for r in results]
    return ids


def soql(server, text: str, headers: dict | None = None) -> tuple[int, dict]:
    return server.api("GET", "query?" + urllib.parse.urlencode({"q": text}), headers=headers)


@pytest.fixture(scope="module")
def people(server) -> list[str]:
    return create_many(server, "Person__c", [
        {"Name__c": "Aroha", "Age__c": 9, "Active__c": True, "Note__c": "O'Brien school"},
        {"Name__c": "Ben", "Age__c": 12, "Active__c": False, "Note__c": None},
        {"Name__c": "carla", "Age__c": 15, "Active__c": True},
        {"Name__c": "Dev", "Age__c": 7.5, "Active__c": True, "Seen__c": "2026-06-30T02:00:00.000+0000"},
    ])


def names(server, where: str) -> list[str]:
    return [r["Name__c"] for r in server.query_all(f"SELECT Name__c FROM Person__c WHERE {where} ORDER BY Name__c")]


def test_the_response_shape(server, people):
    status, body = soql(server, "SELECT Id, Name__c FROM Person__c WHERE Name__c = 'Aroha'")
    assert status == 200
    assert body == {"totalSize": 1, "done": True, "records": [{
        "attributes": {"type": "Person__c", "url": f"/services/data/v60.0/sobjects/Person__c/{people[0]}"},
        "Id": people[0], "Name__c": "Aroha"}]}


def test_comparisons_follow_salesforce(server, people):
    assert names(server, "Name__c = 'CARLA'") == ["carla"]  # text compares ignoring case
    assert names(server, "Age__c > 9") == ["Ben", "carla"]
    assert names(server, "Age__c <= 9") == ["Aroha", "Dev"]
    assert names(server, "Active__c = false") == ["Ben"]
    assert names(server, "Note__c = null") == ["Ben", "carla", "Dev"]
    assert names(server, "Note__c != null") == ["Aroha"]
    # != matches records where the field is null, as in Salesforce.
    assert names(server, "Note__c != 'x'") == ["Aroha", "Ben", "carla", "Dev"]
    assert names(server, "Note__c = 'O\\'Brien school'") == ["Aroha"]
    assert names(server, "Note__c LIKE 'o\\'b%'") == ["Aroha"]
    assert names(server, "Name__c IN ('aroha', 'Dev', 'nobody')") == ["Aroha", "Dev"]
    assert names(server, "Name__c NOT IN ('aroha', 'Dev')") == ["Ben", "carla"]
    assert names(server, "Seen__c > 2026-06-30T01:59:59Z") == ["Dev"]
    assert names(server, "Seen__c > 2026-06-30T15:00:00+13:00") == []  # the same instant, not after it
    assert names(server, "(Age__c < 8 OR Age__c > 13) AND Active__c = true") == ["carla", "Dev"]
    assert names(server, "NOT Name__c = 'Ben'") == ["Aroha", "carla", "Dev"]


def test_order_limit_offset_and_count(server, people):
    rows = server.query_all("SELECT Name__c FROM Person__c ORDER BY Age__c DESC LIMIT 2")
    assert [r["Name__c"] for r in rows] == ["carla", "Ben"]
    rows = server.query_all("SELECT Name__c FROM Person__c ORDER BY Age__c ASC LIMIT 2 OFFSET 1")
    assert [r["Name__c"] for r in rows] == ["Aroha", "Ben"]
    rows = server.query_all("SELECT Name__c FROM Person__c ORDER BY Note__c ASC NULLS LAST, Name__c DESC")
    assert [r["Name__c"] for r in rows] == ["Aroha", "Dev", "carla", "Ben"]
    _status, body = soql(server, "SELECT COUNT() FROM Person__c WHERE Active__c = true")
    assert body == {"totalSize": 3, "done": True, "records": []}


def test_malformed_queries_get_salesforce_errors(server):
    for text in ("SELEC Id FROM Case", "SELECT Id FROM", "SELECT Id FROM Case WHERE", "SELECT Id, Id FROM Case",
                 "SELECT Id FROM Case WHERE Name = 'unterminated", "SELECT Id FROM Case WHERE A = 1 AND B = 2 OR C = 3",
                 "SELECT Id FROM Case LIMIT x", "SELECT Id FROM Case WHERE Status > null", ""):
        status, body = soql(server, text)
        assert status == 400, text
        assert body[0]["errorCode"] == "MALFORMED_QUERY", (text, body)
        assert set(body[0]) == {"message", "errorCode"}
    status, body = soql(server, "SELECT Id FROM Case WHERE SystemModstamp > '2026-01-01T00:00:00Z'")
    assert status == 400 and body[0]["errorCode"] == "INVALID_FIELD"
    assert "dateTime" in body[0]["message"]


def test_an_object_never_written_is_an_empty_result_and_an_unknown_one_an_error(server):
    assert soql(server, "SELECT Id FROM UBNF__c") == (200, {"totalSize": 0, "done": True, "records": []})
    status, body = soql(server, "SELECT Id FROM Nothing_Here__c")
    assert status == 400 and body[0]["errorCode"] == "INVALID_TYPE"
    status, body = soql(server, "SELECT Id, No_Such_Field__c FROM UBNF__c")
    assert status == 400 and body[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'No_Such_Field__c' on entity 'UBNF__c'" in body[0]["message"]


def test_paging_with_next_records_url_and_batch_size(server):
    ids = create_many(server, "Pageable__c", [{"N__c": i} for i in range(450)])
    status, page = soql(server, "SELECT Id, N__c FROM Pageable__c ORDER BY N__c",
                        headers={"Sforce-Query-Options": "batchSize=200"})
    assert status == 200
    assert (page["totalSize"], page["done"], len(page["records"])) == (450, False, 200)
    assert re.fullmatch(r"/services/data/v60\.0/query/01g[0-9A-Za-z]{15}-200", page["nextRecordsUrl"])
    seen = [r["Id"] for r in page["records"]]
    sizes = [len(page["records"])]
    while not page["done"]:
        status, page = server.api("GET", page["nextRecordsUrl"])
        assert status == 200 and page["totalSize"] == 450
        seen += [r["Id"] for r in page["records"]]
        sizes.append(len(page["records"]))
    assert sizes == [200, 200, 50]
    assert "nextRecordsUrl" not in page
    assert seen == ids  # ordered by N__c, which follows creation

    # Salesforce takes batchSize between 200 and 2,000: a smaller number gives 200.
    _, small = soql(server, "SELECT Id FROM Pageable__c", headers={"Sforce-Query-Options": "batchSize=10"})
    assert len(small["records"]) == 200


def test_default_page_is_2000_records(server):
    create_many(server, "Big__c", [{"N__c": i} for i in range(2001)])
    _, page = soql(server, "SELECT Id FROM Big__c")
    assert (page["totalSize"], len(page["records"]), page["done"]) == (2001, 2000, False)
    assert page["nextRecordsUrl"].endswith("-2000")
    _, last = server.api("GET", page["nextRecordsUrl"])
    assert (len(last["records"]), last["done"]) == (1, True)


def test_an_unknown_or_finished_locator_is_invalid(server):
    create_many(server, "Locator__c", [{"N__c": i} for i in range(201)])
    _, page = soql(server, "SELECT Id FROM Locator__c", headers={"Sforce-Query-Options": "batchSize=200"})
    next_url = page["nextRecordsUrl"]
    assert server.api("GET", next_url)[0] == 200
    status, body = server.api("GET", next_url)  # the cursor closed after its last page
    assert status == 400 and body[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    assert server.api("GET", "query/01gNOTAREALCURSOR1-200")[1][0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_system_modstamp_is_whole_seconds_so_a_cursor_must_look_back(server):
    # Salesforce stamps SystemModstamp to the second: records written in the same second share it,
    # so `> last seen` can miss one written later in that second; `>=` finds it again.
    ids = create_many(server, "Cursor__c", [{"N__c": i} for i in range(5)])
    rows = server.query_all("SELECT Id, SystemModstamp FROM Cursor__c ORDER BY SystemModstamp")
    assert [r["Id"] for r in rows] == ids
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000", r["SystemModstamp"]) for r in rows)
    assert len({r["SystemModstamp"] for r in rows}) == 1  # one request, within one second
    cursor = rows[2]["SystemModstamp"]
    assert server.query_all(f"SELECT Id FROM Cursor__c WHERE SystemModstamp > {cursor}") == []
    inclusive = server.query_all(f"SELECT Id FROM Cursor__c WHERE SystemModstamp >= {cursor}")
    assert len(inclusive) == 5
    # A change made centrally in a later second moves the record past the cursor...
    time.sleep(1.05)
    server.central_edit("Cursor__c", ids[0], {"N__c": 100})
    later = server.query_all(f"SELECT Id, N__c FROM Cursor__c WHERE SystemModstamp > {cursor}")
    assert [(r["Id"], r["N__c"]) for r in later] == [(ids[0], 100)]
    # ...but one that commits late carries a stamp from before it was seen.
    edited = server.central_edit("Cursor__c", ids[1], {"N__c": 101}, late_by=30)
    assert edited["SystemModstamp"] < cursor
    later = server.query_all(f"SELECT Id FROM Cursor__c WHERE SystemModstamp > {cursor}")
    assert [r["Id"] for r in later] == [ids[0]]


def test_semi_join_and_parent_fields(server):
    users = server.users()
    mine = create_many(server, "Case", [{"Student_Name__c": "mine", "Case_Owner_Name__c": "Kiri Tomlinson"}])[0]
    theirs = create_many(server, "Case", [{"Student_Name__c": "theirs", "Case_Owner_Name__c": "Hamish Petrie"}])[0]
    at = {"StartDateTime": "2026-06-30T01:00:00Z", "DurationInMinutes": 30}
    create_many(server, "Event", [{"WhatId": mine, "Subject": "A", **at}, {"WhatId": theirs, "Subject": "B", **at},
                                  {"WhatId": mine, "Subject": "C", **at}])
    rows = server.query_all("SELECT Subject, WhatId, Owner.Name FROM Event WHERE WhatId IN "
                            "(SELECT Id FROM Case WHERE Case_Owner_Name__c = 'Kiri Tomlinson') ORDER BY Subject")
    assert [r["Subject"] for r in rows] == ["A", "C"]
    assert rows[0]["Owner"] == {"attributes": {"type": "User", "url": f"/services/data/v60.0/sobjects/User/"
                                                                       f"{users['default']}"},
                                "Name": "Kiri Tomlinson"}
    rows = server.query_all("SELECT Subject FROM Event WHERE What.Student_Name__c = 'theirs'")
    assert [r["Subject"] for r in rows] == ["B"]
    status, body = soql(server, "SELECT Id FROM Event WHERE WhatId IN (SELECT Id, Status FROM Case)")
    assert status == 400 and body[0]["errorCode"] == "MALFORMED_QUERY"
