"""The activity timeline's core: which entries, in what order, under which heading, in NZ time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ascms_tui.domain import CaseComment, Contact, Event, StatusChange, Task
from ascms_tui.interchange import FORMAT, import_document
from ascms_tui.store import Store
from ascms_tui.timeline import (
    COMMENT,
    EVENT,
    STATUS_CHANGE,
    TASK,
    build_timeline,
    format_time_spent,
    group_entries,
    read_timeline_rows,
    timeline_from_records,
    unsynced_record_ids,
)

from .conftest import DEMO_TODAY, make_case

TODAY = date(2026, 6, 30)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def case(store):
    return store.create(make_case())


def add(store, record):
    return store.create(record)


def test_entries_are_newest_first_across_record_types(store, case):
    # Each record type is dated by what it is about: an event by its start, a task by its due date.
    event = add(store, Event(case_id=case.id, subject="Home Visit", start=utc(2026, 6, 10, 2, 0),
                             recorded_at=utc(2026, 6, 12, 0, 0)))
    comment = add(store, CaseComment(case_id=case.id, body="School rang.", recorded_at=utc(2026, 6, 11, 3, 0)))
    task = add(store, Task(case_id=case.id, subject="Call mum", due_date=date(2026, 6, 20),
                           recorded_at=utc(2026, 6, 1, 0, 0)))
    change = add(store, StatusChange(case_id=case.id, to_status="Open", from_status="Provider Queue",
                                     changed_at=utc(2026, 6, 2, 0, 0), recorded_at=utc(2026, 6, 2, 0, 0)))

    entries = build_timeline(store, case.id, TODAY)

    assert [e.record_id for e in entries] == [task.id, comment.id, event.id, change.id]
    assert [e.kind for e in entries] == [TASK, COMMENT, EVENT, STATUS_CHANGE]


def test_groups_are_upcoming_today_then_months_in_nz_time(store, case):
    starts = {
        "7 July": utc(2026, 7, 7, 2, 0),
        "1 July": utc(2026, 7, 1, 2, 0),
        "30 June": utc(2026, 6, 30, 1, 0),
        "29 June 11 pm UTC": utc(2026, 6, 29, 23, 0),  # 30 June, 11 am in New Zealand
        "15 June": utc(2026, 6, 15, 0, 0),
        "2 May": utc(2026, 5, 2, 0, 0),
    }
    for subject, start in starts.items():
        add(store, Event(case_id=case.id, subject=subject, start=start))

    groups = group_entries(build_timeline(store, case.id, TODAY), TODAY)

    assert [(label, [e.title for e in entries]) for label, entries in groups] == [
        ("Upcoming", ["7 July", "1 July"]),
        ("Today", ["30 June", "29 June 11 pm UTC"]),
        ("June 2026", ["15 June"]),
        ("May 2026", ["2 May"]),
    ]


def test_nz_date_not_utc_date_decides_the_day_across_midnight(store, case):
    # 12:30 UTC on 30 June is 00:30 on 1 July in New Zealand (NZST, +12).
    late = add(store, Event(case_id=case.id, subject="Late call", start=utc(2026, 6, 30, 12, 30)))
    # 13:30 UTC on 29 June is 1:30 am on 30 June.
    early = add(store, Event(case_id=case.id, subject="Early call", start=utc(2026, 6, 29, 13, 30)))

    by_id = {e.record_id: e for e in build_timeline(store, case.id, TODAY)}

    assert by_id[late.id].day == date(2026, 7, 1)
    assert by_id[late.id].when_text == "1/07/2026, 12:30 am"
    assert by_id[early.id].day == date(2026, 6, 30)
    assert by_id[early.id].when_text == "30/06/2026, 1:30 am"
    labels = [label for label, _ in group_entries(by_id.values(), TODAY)]
    assert labels == ["Upcoming", "Today"]


def test_daylight_saving_time_is_applied(store, case):
    # 4 June 2026 is winter (NZST, +12); 2 April 2026 is still daylight time (NZDT, +13).
    winter = add(store, Event(case_id=case.id, subject="Initial Student / Whānau Meeting", start=utc(2026, 6, 4, 2, 0),
                              hours=1, minutes=30))
    summer = add(store, Event(case_id=case.id, subject="Initial School Meeting", start=utc(2026, 4, 1, 21, 0)))

    by_id = {e.record_id: e for e in build_timeline(store, case.id, TODAY)}

    assert by_id[winter.id].when_text == "4/06/2026, 2:00 pm"
    assert by_id[winter.id].time_spent_text == "1 h 30 min"
    assert by_id[winter.id].is_initial_meeting
    assert by_id[summer.id].when_text == "2/04/2026, 10:00 am"
    assert by_id[summer.id].is_initial_meeting


def test_status_changes_are_included_with_their_reason(store, case):
    add(store, StatusChange(case_id=case.id, to_status="Provider Queue", changed_at=utc(2026, 6, 1, 0, 0)))
    add(store, StatusChange(case_id=case.id, from_status="Open", to_status="Paused", reason="Awaiting information",
                            changed_at=utc(2026, 6, 20, 0, 0)))

    entries = build_timeline(store, case.id, TODAY)

    assert [(e.kind, e.title, e.body) for e in entries] == [
        (STATUS_CHANGE, "Open → Paused", "Reason: Awaiting information"),
        (STATUS_CHANGE, "Status set to Provider Queue", ""),
    ]
    assert not any(e.editable for e in entries)


def test_sync_flag_follows_the_outbox(store):
    # A record imported from AS-CMS is synced; one created here, or still pending on the
    # exporting laptop, is not.
    document = {"format": FORMAT, "cases": [{
        "case_number": "00300001", "case_type": "Chronic Absence", "referral_date": "2026-06-01",
        "server_id": "500Nq00000000001", "student": {"name": "Aroha Invented"},
        "comments": [
            {"body": "From AS-CMS", "server_id": "00aNq0000000001", "recorded_at": "2026-06-02T10:00:00+12:00"},
            {"body": "Edited offline", "server_id": "00aNq0000000002", "pending_sync": True,
             "recorded_at": "2026-06-03T10:00:00+12:00"},
        ],
    }]}
    import_document(store, document)
    case = store.find_case("00300001")
    typed = store.create(CaseComment(case_id=case.id, body="Typed here", recorded_at=utc(2026, 6, 4, 0, 0)))

    synced = {e.body: e.synced for e in build_timeline(store, case.id, TODAY)}

    assert synced == {"From AS-CMS": True, "Edited offline": False, "Typed here": False}
    assert typed.id in unsynced_record_ids(store, case.id)


def test_tasks_are_dated_by_due_date_and_flag_overdue_open_ones(store, case):
    open_late = add(store, Task(case_id=case.id, subject="Overdue", due_date=date(2026, 6, 25)))
    done_late = add(store, Task(case_id=case.id, subject="Done", due_date=date(2026, 6, 24), status="Completed"))
    undated = add(store, Task(case_id=case.id, subject="No due date", recorded_at=utc(2026, 6, 26, 3, 0)))

    by_id = {e.record_id: e for e in build_timeline(store, case.id, TODAY)}

    assert by_id[open_late.id].date_only and by_id[open_late.id].when_text == "25/06/2026"
    assert by_id[open_late.id].overdue and not by_id[done_late.id].overdue
    assert not by_id[undated.id].date_only
    assert by_id[undated.id].when_text == "26/06/2026, 3:00 pm"


def test_all_day_events_show_the_date_only(store, case):
    add(store, Event(case_id=case.id, subject="Hui", all_day=True, start="2026-06-04"))

    (entry,) = build_timeline(store, case.id, TODAY)

    assert entry.date_only and entry.day == date(2026, 6, 4) and entry.when_text == "4/06/2026"


@pytest.mark.parametrize(("minutes", "text"), [(0, ""), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min"), (1440, "24 h")])
def test_time_spent_reads_like_a_person_wrote_it(minutes, text):
    assert format_time_spent(minutes) == text


def test_quick_read_matches_the_validated_models(demo_db):
    # build_timeline reads plain rows for speed; it must agree with the models record for record.
    with Store(demo_db) as store:
        for number in ("00202205", "00202113", "00304441", "00304667"):
            case = store.find_case(number)
            expected = timeline_from_records(
                events=store.records(Event, case.id),
                comments=store.records(CaseComment, case.id),
                tasks=store.records(Task, case.id),
                status_changes=store.records(StatusChange, case.id),
                unsynced=unsynced_record_ids(store, case.id),
                today=DEMO_TODAY,
            )
            assert build_timeline(store, case.id, DEMO_TODAY) == expected
            assert read_timeline_rows(store, case.id).contacts == store.records(Contact, case.id)


def test_a_case_with_nothing_recorded_has_an_empty_timeline(store, case):
    assert build_timeline(store, case.id, TODAY) == []
    assert group_entries([], TODAY) == []


def test_events_entered_after_the_next_working_day_are_marked_recorded_late(store, case):
    # Thu 2 Apr 2026 at 2 pm NZ; Good Friday and Easter Monday follow, so it is due by end of Tue 7 Apr.
    on_time = add(store, Event(case_id=case.id, subject="Home Visit", start="2026-04-02T14:00:00+13:00",
                               recorded_at="2026-04-07T10:00:00+12:00"))
    late = add(store, Event(case_id=case.id, subject="Phone Call", start="2026-04-02T15:00:00+13:00",
                            recorded_at="2026-04-08T09:00:00+12:00"))
    ahead = add(store, Event(case_id=case.id, subject="School Meeting", start="2026-04-20T10:00:00+12:00",
                             recorded_at="2026-04-01T09:00:00+13:00"))
    flags = {e.record_id: e.recorded_late for e in build_timeline(store, case.id, TODAY)}
    assert (flags[on_time.id], flags[late.id], flags[ahead.id]) == (False, True, False)
