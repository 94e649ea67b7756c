"""`ascms-tui doctor`: the org checked against the contract, against the sandbox playing good and broken orgs.

A broken org is the sandbox started with `--org FILE`, a contract with something taken out: its
describe says so, and its API refuses accordingly. A sync of a broken org holds only the affected
changes and sends the rest; once the org is fixed, the held changes go on their own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ascms_tui.domain import Event, Plan, PlanStep, Task
from ascms_tui.store import Store
from ascms_tui.sync.client import SalesforceClient, Session
from ascms_tui.sync.doctor import check_org, describe_check, keep_check, last_check
from ascms_tui.sync.engine import SyncEngine
from ascms_tui.sync.mapping import load_mapping

from .conftest import make_case
from .sandbox_server import org_file

MAPPING = load_mapping()
FAST = {"backoff": 0.005, "backoff_cap": 0.05, "max_tries": 3}


def field_of(data: dict, sobject: str, name: str) -> dict:
    described = next(o for o in data["sobjects"] if o["name"] == sobject)
    return next(f for f in described["fields"] if f["name"] == name)


def without_field(sobject: str, name: str):
    def change(data: dict) -> None:
        described = next(o for o in data["sobjects"] if o["name"] == sobject)
        described["fields"] = [f for f in described["fields"] if f["name"] != name]
    return change


def without_value(sobject: str, name: str, value: str):
    def change(data: dict) -> None:
        picklist = field_of(data, sobject, name)
        picklist["picklistValues"] = [v for v in picklist["picklistValues"] if v["value"] != value]
    return change


def not_external(sobject: str, name: str):
    def change(data: dict) -> None:
        field_of(data, sobject, name).update(externalId=False, idLookup=False)
    return change


BROKEN = {
    # (what is planted, the object and field named, words the consequence must hold, the record type held)
    "missing field": (without_field("Event", "Time_Spent_Hours__c"), ("Event", "Time_Spent_Hours__c"),
                      "initial meetings would not reach reporting", "event"),
    "missing picklist value": (without_value("Student_Plan__c", "Status__c", "In Progress"),
                               ("Student_Plan__c", "Status__c"), "student plans would not reach reporting", "plan"),
    "key not External ID": (not_external("Task", "Offline_Id__c"), ("Task", "Offline_Id__c"),
                            "new Tasks cannot be sent", "task"),
}


def session_of(sandbox) -> Session:
    return Session(instance_url=sandbox.base_url, access_token=sandbox.token)


def check(sandbox):
    with SalesforceClient(session_of(sandbox), **FAST) as client:
        return check_org(client, MAPPING)


def test_the_sandbox_s_own_org_fits(sandbox):
    result = check(sandbox)
    assert result.problems == [] and result.exit_code == 0
    assert "has everything ascms-tui writes and counts on" in describe_check(result)
    assert result.api_usage is not None and result.api_usage[1] == 15000


@pytest.mark.parametrize("planted", sorted(BROKEN))
def test_a_broken_org_is_named_with_what_breaks_and_who_fixes_it(planted, sandbox_factory, tmp_path):
    change, (sobject, name), words, record_type = BROKEN[planted]
    sandbox = sandbox_factory(org=org_file(tmp_path, change=change))
    result = check(sandbox)
    assert result.exit_code == 1
    [problem] = [p for p in result.problems if (p.object, p.field) == (sobject, name)]
    assert words in problem.consequence
    assert "admin" in problem.fix
    assert problem.record_type == record_type
    assert result.held_types == {record_type}  # nothing else is held
    text = describe_check(result)
    assert f"- {sobject}.{name}: " in text and "What breaks: " in text and "Who can fix it: " in text


def a_days_work(store: Store):
    case = store.create(make_case())
    store.create(Event(case_id=case.id, subject="Initial School Meeting", start=datetime(2026, 6, 2, 22, tzinfo=UTC),
                       end=datetime(2026, 6, 2, 23, tzinfo=UTC), hours=1))
    store.create(Task(case_id=case.id, subject="Ring the school"))
    plan = Plan(case_id=case.id, goals="Attend four days a week", status="In Progress")
    store.create_all([plan, PlanStep(case_id=case.id, plan_id=plan.id, action="Bus pass", responsible="School")])
    return case


@pytest.mark.parametrize("planted", sorted(BROKEN))
def test_a_sync_of_a_broken_org_holds_only_the_affected_changes_until_it_is_fixed(planted, sandbox_factory,
                                                                                   tmp_path):
    change, (sobject, _), _, record_type = BROKEN[planted]
    sandbox = sandbox_factory(org=org_file(tmp_path, change=change))
    with Store(tmp_path / "cases.sqlite3", actor="test") as store:
        a_days_work(store)
        keep_check(store, check(sandbox))  # as 'ascms-tui doctor' (or login) leaves it
        summary = SyncEngine(store, session_of(sandbox), mapping=MAPPING, client_options=FAST).run()
        held = [c for c in store.open_changes() if c.status == "pending"]
        waiting_types = {c.record_type for c in held}
        # The broken object waits (and a plan's steps with their plan); everything else went.
        assert waiting_types <= {record_type, "plan_step"} and record_type in waiting_types
        assert summary.set_aside == 0 and summary.exit_code == 1 and summary.held >= 1
        assert sobject in summary.held_reason
        from ascms_tui.sync.commands import describe

        assert "change waits until AS-CMS is set up for it" in describe(summary)
        sent = {r["Offline_Id__c"] for r in sandbox.query_all("SELECT Offline_Id__c FROM Case")}
        assert len(sent) == 1  # the case went
        # The org's admin fixes it: the same sandbox, now with the whole contract.
        sandbox.org = None
        sandbox.restart()
        summary = SyncEngine(store, session_of(sandbox), mapping=MAPPING, client_options=FAST).run()
        assert (summary.exit_code, summary.queued, summary.held, summary.set_aside) == (0, 0, 0, 0)
        assert last_check(store).problems == []
    counts = {name: len(sandbox.query_all(f"SELECT Id FROM {name}")) for name in
              ("Case", "Event", "Task", "Student_Plan__c", "Plan_Step__c")}
    assert counts == {"Case": 1, "Event": 1, "Task": 1, "Student_Plan__c": 1, "Plan_Step__c": 1}  # nothing lost


def test_the_doctor_command_exit_codes_and_json(tmp_path, sandbox_factory, monkeypatch, capsys):
    from ascms_tui.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ASCMS_TUI_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("ASCMS_TUI_INSTANCE_URL", raising=False)
    db = tmp_path / "cases.sqlite3"
    Store(db).close()
    assert main(["--db", str(db), "doctor", "--json"]) == 2  # not signed in
    capsys.readouterr()
    good = sandbox_factory()
    monkeypatch.setenv("ASCMS_TUI_INSTANCE_URL", good.base_url)
    monkeypatch.setenv("ASCMS_TUI_ACCESS_TOKEN", good.token)
    assert main(["--db", str(db), "doctor", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == []
    change, (sobject, name), _, _ = BROKEN["missing picklist value"]
    broken = sandbox_factory(org=org_file(tmp_path, change=change))
    monkeypatch.setenv("ASCMS_TUI_INSTANCE_URL", broken.base_url)
    monkeypatch.setenv("ASCMS_TUI_ACCESS_TOKEN", broken.token)
    assert main(["--db", str(db), "doctor", "--json"]) == 1
    [problem] = json.loads(capsys.readouterr().out)["problems"]
    assert {"object", "field", "problem", "consequence"} <= set(problem)
    assert (problem["object"], problem["field"]) == (sobject, name)
    assert main(["--db", str(db), "doctor"]) == 1
    shown = capsys.readouterr().out
    assert f"- {sobject}.{name}: the picklist lacks 'In Progress' (missing or inactive)." in shown
    monkeypatch.setenv("ASCMS_TUI_INSTANCE_URL", "http://127.0.0.1:9")  # nothing listens there
    assert main(["--db", str(db), "doctor"]) == 2


def test_suggest_mapping_proposes_a_field_the_org_names_differently(tmp_path, sandbox_factory):
    from ascms_tui.sync.doctor import suggest_mapping

    def renamed(data: dict) -> None:
        described = next(o for o in data["sobjects"] if o["name"] == "Barrier__c")
        for f in described["fields"]:
            if f["name"] == "Date_Identified__c":
                f["name"] = "Identified_On__c"  # same label, another API name

    sandbox = sandbox_factory(org=org_file(tmp_path, change=renamed))
    with SalesforceClient(session_of(sandbox), **FAST) as client:
        result = check_org(client, MAPPING)
        proposal = suggest_mapping(client, MAPPING, result, str(tmp_path / "mapping.toml"))
    assert "[barrier.fields]" in proposal
    assert 'identified_on = "Identified_On__c"  # label matches "Date Identified"' in proposal
    assert "nothing was written" in proposal


def test_a_provider_mapping_is_checked_by_what_each_field_needs(tmp_path, sandbox_factory):
    def renamed(data: dict) -> None:
        described = next(o for o in data["sobjects"] if o["name"] == "Barrier__c")
        for f in described["fields"]:
            if f["name"] == "Date_Identified__c":
                f["name"] = "Identified_On__c"

    sandbox = sandbox_factory(org=org_file(tmp_path, change=renamed))
    assert [(p.object, p.field) for p in check(sandbox).problems] == [("Barrier__c", "Date_Identified__c")]
    override = tmp_path / "mapping.toml"
    override.write_text('[barrier.fields]\nidentified_on = "Identified_On__c"\n', encoding="utf-8")
    with SalesforceClient(session_of(sandbox), **FAST) as client:
        assert check_org(client, load_mapping(override)).problems == []
    # A mapping naming a field of the wrong kind still leaves the need unmet.
    override.write_text('[barrier.fields]\nidentified_on = "Description__c"\n', encoding="utf-8")
    with SalesforceClient(session_of(sandbox), **FAST) as client:
        problems = check_org(client, load_mapping(override)).problems
    assert [(p.field, p.problem) for p in problems] == [
        ("Description__c", "the field is a textarea, the app needs a date")]


def test_every_other_kind_of_problem_is_named(tmp_path, sandbox_factory):
    def broken(data: dict) -> None:
        field_of(data, "Task", "Description").update(createable=False, updateable=False)  # field-level security
        field_of(data, "Contact", "Phone")["length"] = 20  # shorter than the app allows
        field_of(data, "Case", "Offline_Id__c")["unique"] = False
        barrier = next(o for o in data["sobjects"] if o["name"] == "Barrier__c")
        barrier["fields"].append({**field_of(data, "Barrier__c", "Description__c"), "name": "Severity__c",
                                  "label": "Severity", "type": "string", "length": 20, "nillable": False,
                                  "createable": True, "defaultedOnCreate": False})

    sandbox = sandbox_factory(org=org_file(tmp_path, change=broken))
    found = check(sandbox).problems
    problems = {(p.object, p.field): p for p in found}
    assert [p.problem for p in found if (p.object, p.field) == ("Task", "Description")] == [
        "this user cannot set the field on a new record", "this user cannot change the field"]
    assert problems[("Task", "Description")].record_type == "task"
    assert problems[("Contact", "Phone")].problem == "the field holds 20 characters, the app allows 40"
    assert problems[("Contact", "Phone")].record_type is None  # a warning: only longer values are refused
    assert problems[("Case", "Offline_Id__c")].problem == "the field is External ID but not Unique"
    severity = problems[("Barrier__c", "Severity__c")]
    assert severity.problem == "the org requires the field and the app does not fill it"
    assert "new Barriers cannot be sent" in severity.consequence and severity.record_type == "barrier"
    assert len(found) == 5  # Task.Description is named twice: create and update
