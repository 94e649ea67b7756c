"""The daily-close check, `ascms-tui check`, and time spent."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ascms_tui.calendar import add_business_days, business_days_between
from ascms_tui.cli import main
from ascms_tui.daily_check import ITEM_TITLES, run_check
from ascms_tui.deadlines import next_deadline
from ascms_tui.domain import (
    INITIAL_MEETING_SUBJECTS,
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
    RECORD_TYPES,
    CaseComment,
    CaseStatus,
    Contact,
    Event,
    Plan,
    PlanStatus,
    PlanStep,
    Task,
)
from ascms_tui.nztime import format_nz_date, nz_date, nz_date_of_stored
from ascms_tui.quality import initial_meeting_advice, judgement_hints, load_word_lists
from ascms_tui.rules import notes_gaps, recording_due
from ascms_tui.store import Store
from ascms_tui.time_spent import time_entries, to_csv, totals

from .conftest import DEMO_TODAY, make_case

DAY = date(2026, 7, 8)  # a Wednesday
GOOD = ("Met with school primary contact and attendance lead on 2 June. School outlined attendance over the past six "
        "weeks, advised that transport and morning routines are current barriers. Agreed next steps: provider to "
        "contact whānau, school to send attendance history, and review in one week.")


def ids(check, key):
    return {item.record_id for item in check.items[key]}


def test_each_item_of_the_quick_check(store):
    case = store.create(make_case(referral_date=date(2026, 7, 3), migrated=True))
    no_time = store.create(Event(case_id=case.id, subject="Home Visit", start="2026-07-08T10:00:00+12:00"))
    store.create(Event(case_id=case.id, subject="Phone Call", start="2026-07-08T15:00:00+12:00", minutes=20))
    task = store.create(Task(case_id=case.id, subject="Send attendance history", due_date=DAY))
    vague = store.create(Event(case_id=case.id, subject=INITIAL_WHANAU_MEETING, start="2026-07-06T10:00:00+12:00",
                               description="Met with school", hours=1))
    store.create(Event(case_id=case.id, subject=INITIAL_SCHOOL_MEETING, start="2026-07-06T14:00:00+12:00",
                 description=GOOD, hours=1))
    draft = store.create(Plan(case_id=case.id, status="Draft"))
    empty = Plan(case_id=case.id, status="In Progress", server_id="a01AA00000PLANE001")
    store.import_records([empty])  # as AS-CMS can hold it; the app itself refuses it
    stale = store.create(Contact(case_id=case.id, name="Hine Invented", role="Parent / Caregiver"))
    # Recorded 8 am Tue 7 Jul NZ (20:00 UTC on the 6th) and not synced: due in AS-CMS by end of Wed 8 Jul.
    comment = store.create(CaseComment(case_id=case.id, body="Caregiver rang back.", recorded_at="2026-07-06T20:00:00+00:00"))

    check = run_check(store, DAY)
    assert ids(check, "no_time_spent") == {no_time.id, task.id}
    assert ids(check, "weak_initial_meeting") == {vague.id}
    assert ids(check, "plans") == {draft.id, empty.id}
    assert ids(check, "contacts_not_current") == {stale.id}
    assert [i.message for i in check.items["migrated"]] == [
        "Migrated case has no Case Owner", "Migrated case has no Student Plan In Progress with a step"]
    [waiting] = check.items["not_in_ascms"]
    assert (waiting.record_type, waiting.record_id) == ("case", case.id)
    assert waiting.message == ("1 Case, 1 Contact, 4 Events, 1 Task, 1 Case Comment, 1 Student Plan "
                               "not yet sent to AS-CMS")
    late = [i for i in check.items["late_tomorrow"] if i.record_id == comment.id]
    assert late and late[0].message == "Activity of 7/07/2026 is due in AS-CMS by end of 8/07/2026"
    # 20 min phone call + 1 h + 1 h initial meetings are not today; only today's events count.
    assert check.time_today_minutes == 20
    assert check.outstanding == sum(len(v) for v in check.items.values())


def test_deadline_in_next_two_business_days(store):
    # Referred Wed 1 Jul: 5th business day is Wed 8 Jul (1 Thu 2, 2 Fri 3, 3 Mon 6, 4 Tue 7, 5 Wed 8).
    case = store.create(make_case(referral_date=date(2026, 7, 1)))
    check = run_check(store, date(2026, 7, 6))
    [item] = check.items["deadlines_soon"]
    assert (item.case_id, item.message) == (case.id, "School mtg due Wed 8 Jul (2 business days)")
    assert run_check(store, date(2026, 7, 3)).items["deadlines_soon"] == []  # three business days away


def test_closed_cases_are_not_checked(store):
    case = store.create(make_case(status="Closed", status_reason="Enrolled"))
    store.create(Contact(case_id=case.id, name="Old Number", role="Parent / Caregiver"))
    check = run_check(store, DAY)
    assert check.outstanding == 0


def test_check_command_exit_codes_and_json(store, capsys):
    db = str(store.path)
    assert main(["--db", db, "check", "--date", "2026-07-08", "--json"]) == 0  # empty store: nothing outstanding
    assert json.loads(capsys.readouterr().out)["outstanding"] == 0
    case = store.create(make_case(referral_date=date(2026, 7, 3)))
    store.create(Contact(case_id=case.id, name="Hine Invented", role="Parent / Caregiver"))
    assert main(["--db", db, "check", "--date", "2026-07-08", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["date"] == "2026-07-08"
    assert result["items"]["contacts_not_current"][0]["case_number"] == case.case_number
    assert main(["--db", db, "check", "--date", "2026-07-08"]) == 1
    assert "Contacts not confirmed current (1)" in capsys.readouterr().out


def test_time_spent_per_day_week_and_case_with_csv(store, capsys):
    case = store.create(make_case())
    store.create(Event(case_id=case.id, subject="Home Visit", start="2026-07-06T23:30:00+12:00", hours=1, minutes=30))
    store.create(Event(case_id=case.id, subject="=cmd()", start="2026-07-08T09:00:00+12:00", minutes=45))
    store.create(Task(case_id=case.id, subject="Write up", minutes=15, recorded_at="2026-07-07T22:00:00+00:00"))
    entries = time_entries(store, date(2026, 7, 6), date(2026, 7, 8))
    summary = totals(entries)
    assert summary["day"] == {"2026-07-06": 90, "2026-07-08": 60}  # 22:00 UTC 7 Jul is 10 am 8 Jul in NZ
    assert summary["week"] == {"2026-07-06": 150}
    assert summary["case"] == {"00307473": 150}
    assert time_entries(store, date(2026, 7, 7), date(2026, 7, 7)) == []
    csv_text = to_csv(entries)
    assert csv_text.splitlines()[0] == "date,week_start,case_number,record_type,subject,hours,minutes,total_minutes"
    assert "2026-07-06,2026-07-06,00307473,event,Home Visit,1,30,90" in csv_text
    assert ",'=cmd()," in csv_text  # never a spreadsheet formula
    assert main(["--db", str(store.path), "time", "--from", "2026-07-06", "--to", "2026-07-08"]) == 0
    assert "Time spent: 2 h 30 min over 3 records" in capsys.readouterr().out


def test_judgement_and_vague_wording(tmp_path):
    hints = judgement_hints("Mum obviously doesn’t care. He intruded on the hui. LAZY.")
    assert [h.phrase for h in hints] == ["obviously", "doesn't care", "lazy"]
    assert "Official Information Act" in hints[0].message
    assert judgement_hints("Student arrived at 9.10 am and joined the class.") == []
    assert [a.kind for a in initial_meeting_advice("Met with school")] == ["vague"]
    assert [a.kind for a in initial_meeting_advice("")] == ["short"]
    assert initial_meeting_advice(GOOD) == []
    kinds = [a.kind for a in initial_meeting_advice("Phoned the school office today.")]
    assert kinds[0] == "short" and "missing_next_steps" in kinds


def test_provider_can_extend_the_word_lists(tmp_path):
    extra = tmp_path / "quality.toml"
    extra.write_text('[judgement]\nphrases = ["non-compliant"]\n', encoding="utf-8")
    lists = load_word_lists(extra)
    assert [h.phrase for h in judgement_hints("Whānau were non-compliant and lazy.", lists)] == ["non-compliant", "lazy"]


def test_notes_overdue_after_five_business_days(store):
    case = store.create(make_case(referral_date=date(2026, 6, 1)))
    # Mon 29 Jun visit: Tue 30 (1), Wed 1 Jul (2), Thu 2 (3), Fri 3 (4), Mon 6 (5): notes due by 6 Jul.
    bare = store.create(Event(case_id=case.id, subject="Home Visit", start="2026-06-29T10:00:00+12:00", hours=1,
                              recorded_at="2026-06-29T01:00:00+00:00"))
    noted = store.create(Event(case_id=case.id, subject="Phone Call", start="2026-06-29T11:00:00+12:00", minutes=10,
                               description="Spoke with caregiver; agreed to meet Thursday.",
                               recorded_at="2026-06-29T01:00:00+00:00"))
    check = run_check(store, DAY)
    overdue = [i for i in check.items["notes_overdue"]]
    assert [i.record_id for i in overdue] == [bare.id]
    assert overdue[0].message == "Home Visit of 29/06/2026: notes were due by 6/07/2026"
    assert noted.id not in ids(check, "notes_overdue")


def test_description_added_later_counts_from_the_edit(store):
    case = store.create(make_case(referral_date=date(2026, 6, 1)))
    # Created ahead with no description; the edit today (wall clock) fills it: too late for a June visit.
    event = store.create(Event(case_id=case.id, subject="Home Visit", start="2026-06-29T10:00:00+12:00", hours=1,
                               recorded_at="2026-06-28T01:00:00+00:00"))
    store.update(Event, event.id, {"description": "Met caregiver at home; agreed a morning routine."})
    assert ids(run_check(store, DAY), "notes_overdue") == {event.id}


# --- run_check's queries against a record-by-record reading of the same rules -----------


# Whose current details make the whānau measures apply: the student, a caregiver or whānau (not school staff).
WHANAU_ROLES = {"Student", "Parent / Caregiver", "Whānau member"}


def straightforward_check(store: Store, day: date) -> dict:
    """The daily check computed case by case from the models: slow, but plainly the rules.

    run_check gets the same answer from a few caseload-wide queries with shortcuts (only
    recent referrals for deadlines, only events whose notes could be late); this checks them.
    """
    items = {key: [] for key in ITEM_TITLES}
    counted = store.cases_with_counted_plan()
    journal = store.changes(status=None)
    waiting = [change for change in journal if change.status != "done"]
    type_order = list(RECORD_TYPES)
    for case in store.cases():
        if case.status == CaseStatus.CLOSED:
            continue

        def add(key, record_type, record_id, message, case=case):
            items[key].append({"case_id": case.id, "case_number": case.case_number, "record_type": record_type,
                               "record_id": record_id, "message": message})

        events = store.records(Event, case.id)
        tasks = store.records(Task, case.id)
        comments = store.records(CaseComment, case.id)
        contacts = store.records(Contact, case.id)
        for event in events:
            if nz_date(event.start) == day and not (event.hours or event.minutes):
                add("no_time_spent", "event", event.id, f"Event “{event.subject}” has no Hours or Minutes")
        for task in tasks:
            if (task.due_date == day or nz_date(task.recorded_at) == day) and not (task.hours or task.minutes):
                add("no_time_spent", "task", task.id, f"Task “{task.subject}” has no Hours or Minutes")

        unsynced: dict[str, set[str]] = {}
        for change in waiting:
            if change.case_id == case.id:
                unsynced.setdefault(change.record_type, set()).add(change.record_id)
        if unsynced:
            listed = sorted(unsynced.items(), key=lambda kind: type_order.index(kind[0]))
            add("not_in_ascms", "case", case.id, ", ".join(
                f"{len(ids)} {RECORD_TYPES[kind].label}{'s' if len(ids) > 1 else ''}" for kind, ids in listed
            ) + " not yet sent to AS-CMS")
        unsynced_ids = {change.record_id for change in waiting}
        for record_type, records, when in (("event", events, "start"), ("task", tasks, "recorded_at"),
                                           ("comment", comments, "recorded_at")):
            for record in records:
                happened = nz_date(getattr(record, when))
                due = recording_due(happened)
                if record.id in unsynced_ids and happened <= day and due <= day:
                    add("late_tomorrow", record_type, record.id, f"Activity of {format_nz_date(happened)} "
                        f"{'was due' if due < day else 'is due'} in AS-CMS by end of {format_nz_date(due)}")

        for event in events:
            held = nz_date(event.start)
            advice = initial_meeting_advice(event.description)
            if event.subject in INITIAL_MEETING_SUBJECTS and add_business_days(day, -15) <= held <= day and advice:
                add("weak_initial_meeting", "event", event.id,
                    f"{event.subject} of {format_nz_date(held)}: {advice[0].message}")

        steps = {step.plan_id for step in store.records(PlanStep, case.id)}
        for plan in store.records(Plan, case.id):
            if plan.status == PlanStatus.DRAFT:
                add("plans", "plan", plan.id, "Plan is still Draft: set it In Progress once agreed")
            elif plan.status != PlanStatus.COMPLETED and plan.id not in steps:
                add("plans", "plan", plan.id, "Plan has no steps: add at least one action")

        if case.migrated and not case.case_owner:
            add("migrated", "case", case.id, "Migrated case has no Case Owner")
        if case.migrated and case.id not in counted:
            add("migrated", "case", case.id, "Migrated case has no Student Plan In Progress with a step")

        def first(subject, events=events):
            return min((nz_date(e.start) for e in events if e.subject == subject), default=None)

        deadline = next_deadline(referral_date=case.referral_date, status=case.status, today=day,
                                 school_meeting=first(INITIAL_SCHOOL_MEETING),
                                 whanau_meeting=first(INITIAL_WHANAU_MEETING),
                                 has_current_contact=any(c.details_current and c.role in WHANAU_ROLES
                                                         for c in contacts))
        if deadline and not deadline.passed and deadline.due <= add_business_days(day, 2):
            left = business_days_between(day, deadline.due)
            add("deadlines_soon", "case", case.id, f"{deadline.describe()} ("
                + ("today" if left == 0 else f"{left} business day{'s' if left > 1 else ''}") + ")")

        activities, subjects = [], {}
        for event in events:
            if add_business_days(day, -10) <= nz_date(event.start) < add_business_days(day, -5):
                filled = [c.created_at for c in journal if c.record_id == event.id and c.operation == "update"
                          and c.changed_fields.get("description", {}).get("old") == ""]
                described = None
                if event.description:
                    described = nz_date_of_stored(min(filled)) if filled else nz_date(event.recorded_at)
                activities.append((event.id, nz_date(event.start), described))
                subjects[event.id] = event.subject
        for gap in notes_gaps(activities, [nz_date(c.recorded_at) for c in comments], day):
            add("notes_overdue", "event", gap.record_id, f"{subjects[gap.record_id]} of "
                f"{format_nz_date(gap.activity_day)}: notes were due by {format_nz_date(gap.notes_due)}")

        for contact in contacts:
            if not contact.details_current:
                add("contacts_not_current", "contact", contact.id,
                    f"{contact.name} ({contact.role}): details not confirmed current")
    return items


@pytest.fixture
def busy_demo(demo_db):
    """The demo caseload with what it lacks: notes written late or never, a removal waiting to sync."""
    with Store(demo_db, actor="test-user") as store:
        quiet = store.create(make_case("00999001", referral_date=date(2026, 6, 1)))
        noted = store.create(make_case("00999002", referral_date=date(2026, 6, 2)))
        # Thu 18 Jun: notes due by Thu 25 Jun; none written.
        store.create(Event(case_id=quiet.id, subject="Home Visit", start="2026-06-18T10:00:00+12:00", hours=1))
        # Created ahead, described by a later edit (dated by the wall clock: too late for June).
        ahead = store.create(Event(case_id=quiet.id, subject="Phone Call", start="2026-06-17T09:00:00+12:00",
                                   minutes=15, recorded_at="2026-06-16T01:00:00+00:00"))
        store.update(Event, ahead.id, {"description": "Caregiver agreed to a morning routine; review Friday."})
        # Described when entered, but entered a week late (Wed 17 Jun, notes due by Wed 24 Jun).
        store.create(Event(case_id=quiet.id, subject="Phone Call", start="2026-06-17T15:00:00+12:00", minutes=5,
                           description="Left a message for the caregiver.", recorded_at="2026-06-25T22:00:00+00:00"))
        # Described on the day; a later edit of another field does not move that.
        timely = store.create(Event(case_id=quiet.id, subject="Phone Call", start="2026-06-19T11:00:00+12:00",
                                    minutes=5, description="Caregiver confirmed Monday's meeting.",
                                    recorded_at="2026-06-19T00:00:00+00:00"))
        store.update(Event, timely.id, {"subject": "Email"})
        # A Case Comment two days later counts as the notes of this one.
        store.create(Event(case_id=noted.id, subject="School Visit", start="2026-06-17T13:00:00+12:00", hours=1,
                           recorded_at="2026-06-17T02:00:00+00:00"))
        store.create(CaseComment(case_id=noted.id, body="Wrote up the school visit.",
                                 recorded_at="2026-06-19T02:00:00+00:00"))
        store.create(Task(case_id=quiet.id, subject="Ring the school", due_date=DEMO_TODAY))
        gone = store.create(Task(case_id=noted.id, subject="Entered by mistake", due_date=DEMO_TODAY))
        store.delete(Task, gone.id)  # its removal waits for AS-CMS like any other change
    return demo_db


@pytest.mark.parametrize("day", ["2026-06-22", "2026-06-26", "2026-06-29", "2026-06-30", "2026-07-01", "2026-07-02",
                                 "2026-07-06"])
def test_fast_check_matches_a_record_by_record_reading(busy_demo, day):
    day = date.fromisoformat(day)
    with Store(busy_demo) as store:
        fast = run_check(store, day).to_json()
        expected = straightforward_check(store, day)

    def in_order(found):
        return sorted(found, key=lambda item: (item["case_id"], item["record_id"], item["message"]))

    assert {key: in_order(found) for key, found in fast["items"].items()} == {
        key: in_order(found) for key, found in expected.items()}
    assert fast["outstanding"] == sum(len(found) for found in expected.values())


def test_busy_demo_exercises_every_item(busy_demo):
    # The comparison above means little for an item that is empty on every day it tries.
    with Store(busy_demo) as store:
        days = [date(2026, 6, 30), date(2026, 7, 1)]
        found = {key for day in days for key, listed in run_check(store, day).items.items() if listed}
    assert found == set(ITEM_TITLES)
