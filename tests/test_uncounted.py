"""The "will it count" rule: every record that looks meant to count in reporting but will not, and why.

Expected values are counted by hand from the records each test makes.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from ascms_tui.domain import CaseFile, Event, Plan, PlanStep
from ascms_tui.store import Store
from ascms_tui.uncounted import EXACT_SUBJECT, SET_IN_PROGRESS, uncounted_by_case

from .conftest import make_case

AT = datetime(2026, 6, 2, 22, tzinfo=UTC)


def event(case, subject: str) -> Event:
    return Event(case_id=case.id, subject=subject, start=AT, end=AT.replace(hour=23))


def listed(store: Store) -> dict[str, list[tuple[str, str, str | None]]]:
    """Case number -> (kind, summary, fix) of what will not count."""
    numbers = {c.id: c.case_number for c in store.cases()}
    return {numbers[case_id]: [(i.record, i.summary, i.fix) for i in items]
            for case_id, items in uncounted_by_case(store).items()}


def test_each_row_of_the_rule_by_hand(store):
    meetings = store.create(make_case("00500001"))
    for subject in ("Initial school meeting",  # near miss: case
                    "initial whanau mtg",  # near miss: abbreviation, no macron
                    "Initial Student / Whanau Meeting",  # near miss: the macron only
                    "Initial School Meeting",  # exact: counts
                    "School Meeting",  # another kind of meeting: fine
                    "Whānau Hui"):  # another kind of meeting: fine
        store.create(event(meetings, subject))
    plans = store.create(make_case("00500002"))
    draft_with_step = Plan(case_id=plans.id, goals="Attend four days a week", status="Draft")
    store.create_all([draft_with_step, PlanStep(case_id=plans.id, plan_id=draft_with_step.id, action="Bus pass",
                                                responsible="School")])
    store.create(Plan(case_id=plans.id, goals="Walk to school with a cousin", status="Draft"))  # Draft, no step
    # In Progress with no step: the forms refuse it, but an import or AS-CMS can bring one.
    store.import_records([Plan(case_id=plans.id, goals="Morning routine", status="In Progress")])
    documents = store.create(make_case("00500003"))
    store.create(CaseFile(case_id=documents.id, file_name="Student plan Term 3.docx"))  # a plan as a file only
    store.create(CaseFile(case_id=documents.id, file_name="attendance-letter.pdf"))  # not a plan: fine
    counted = store.create(make_case("00500004"))
    counted_plan = Plan(case_id=counted.id, goals="Attend every day", status="In Progress")
    store.create_all([counted_plan, PlanStep(case_id=counted.id, plan_id=counted_plan.id, action="Check-in",
                                             responsible="School")])
    store.create(CaseFile(case_id=counted.id, file_name="plan.pdf"))  # the plan is also recorded: fine
    store.create(make_case("00500005", migrated=True))  # migrated, no Case Owner
    store.create(make_case("00500006", migrated=True, case_owner="Kiri Tomlinson"))  # migrated with an owner: fine

    assert listed(store) == {
        "00500001": [("event", "Initial school meeting", EXACT_SUBJECT),
                     ("event", "initial whanau mtg", EXACT_SUBJECT),
                     ("event", "Initial Student / Whanau Meeting", EXACT_SUBJECT)],
        "00500002": [("plan", "Attend four days a week", SET_IN_PROGRESS),
                     ("plan", "Walk to school with a cousin", None),
                     ("plan", "Morning routine", None)],
        "00500003": [("file", "Student plan Term 3.docx", None)],
        "00500005": [("case", "00500005", None)],
    }
    # The exact subject each near miss should have been.
    exact = sorted((i.summary, i.exact) for i in uncounted_by_case(store)[meetings.id])
    assert exact == [("Initial Student / Whanau Meeting", "Initial Student / Whānau Meeting"),
                     ("Initial school meeting", "Initial School Meeting"),
                     ("initial whanau mtg", "Initial Student / Whānau Meeting")]


def test_nothing_at_risk_lists_nothing(store):
    case = store.create(make_case())
    store.create(event(case, "Initial School Meeting"))
    assert uncounted_by_case(store) == {}


def test_report_and_check_json_carry_the_list(tmp_path, capsys):
    from ascms_tui.cli import main

    db = tmp_path / "cases.sqlite3"
    with Store(db, actor="test") as store:
        near = store.create(make_case("00500001", referral_date=date(2026, 6, 1)))
        store.create(event(near, "initial school mtg"))
        store.create(make_case("00500002", referral_date=date(2026, 6, 1)))  # nothing at risk
    assert main(["--db", str(db), "report", "--as-of", "2026-06-30", "--json"]) == 0
    rows = {row["case_number"]: row for row in json.loads(capsys.readouterr().out)["cases"]}
    [item] = rows["00500001"]["uncounted"]
    assert (item["record"], item["subject"], item["exact_subject"], item["fix"]) == (
        "event", "initial school mtg", "Initial School Meeting", EXACT_SUBJECT)
    assert "reporting will not count this meeting" in item["reason"] and item["id"]
    assert rows["00500002"]["uncounted"] == []
    main(["--db", str(db), "check", "--date", "2026-06-30", "--json"])
    [listed_item] = json.loads(capsys.readouterr().out)["uncounted"]
    assert (listed_item["case_number"], listed_item["record"], listed_item["subject"]) == (
        "00500001", "event", "initial school mtg")


def test_the_demo_has_a_case_for_each_reason_so_a_trainer_can_show_them(demo_db):
    with Store(demo_db) as store:
        found = [item for items in uncounted_by_case(store).values() for item in items]
    kinds = {(item.record, item.fix) for item in found}
    assert ("event", EXACT_SUBJECT) in kinds  # a near-miss initial-meeting subject
    assert ("plan", SET_IN_PROGRESS) in kinds or any("Draft" in i.reason for i in found)  # a Draft plan
    assert any("no step" in i.reason for i in found)  # In Progress, no step
    assert any(i.record == "file" for i in found)  # a plan only as a document
    assert any(i.record == "case" for i in found)  # a migrated case without an owner
