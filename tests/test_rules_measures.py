"""Reporting measures, with business days counted by hand around NZ public holidays.

Business days exclude weekends and national holidays (with observed Mondays);
the referral date is day 0; a meeting counts on or before the N-th business day.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from ascms_tui.cli import main
from ascms_tui.domain import INITIAL_SCHOOL_MEETING, INITIAL_WHANAU_MEETING, Contact, Event, Plan, PlanStep
from ascms_tui.rules import build_report, caseload_facts, meeting_outcome

from .conftest import make_case

AS_OF = date(2026, 7, 8)


def _event(store, case, subject, start, **extra):
    return store.create(Event(case_id=case.id, subject=subject, start=start, **extra))


@pytest.fixture
def caseload(store):
    # Case A, referred Thu 2 Apr 2026. Good Friday 3 Apr and Easter Monday 6 Apr are not
    # business days: Tue 7 (1), Wed 8 (2), Thu 9 (3), Fri 10 (4), Mon 13 (5) ... Mon 20 (10),
    # ... Fri 24 (14); Mon 27 is Anzac Day observed; Tue 28 (15).
    a = store.create(make_case("00500001", referral_date=date(2026, 4, 2)))
    store.create(Contact(case_id=a.id, name="Hine Invented", role="Parent / Caregiver", details_current=True))
    # 23:30 UTC on Mon 13 Apr is 11:30 am Tue 14 Apr in NZ: one day late for the 5-day measure.
    _event(store, a, INITIAL_SCHOOL_MEETING, "2026-04-13T23:30:00+00:00")
    # Two whānau meetings: the earliest (an all-day event on Thu 9 Apr) counts.
    _event(store, a, INITIAL_WHANAU_MEETING, "2026-04-15T10:00:00+12:00")
    _event(store, a, INITIAL_WHANAU_MEETING, "2026-04-09", all_day=True)
    draft = store.create(Plan(case_id=a.id, status="Draft"))
    store.create(PlanStep(case_id=a.id, plan_id=draft.id, action="Morning routine", responsible="Whānau"))

    # Case B, referred Mon 20 Apr, migrated, no owner: Tue 21 (1) .. Fri 24 (4), Mon 27 Anzac
    # observed, Tue 28 (5). The school meeting on the holiday itself (27 Apr) is within 5.
    b = store.create(make_case("00500002", referral_date=date(2026, 4, 20), migrated=True))
    store.create(Contact(case_id=b.id, name="Old Number", role="Parent / Caregiver", details_current=False))
    _event(store, b, INITIAL_SCHOOL_MEETING, "2026-04-27T10:00:00+12:00")
    # No steps: not counted. The app refuses this, but AS-CMS data can hold it.
    store.import_records([Plan(case_id=b.id, status="In Progress", server_id="a01AA00000PLANB001")])

    # Case C, referred Tue 30 Jun, migrated with an owner: Wed 1 Jul (1) .. Tue 7 (5),
    # Wed 8 (6), Thu 9 (7), Fri 10 Matariki, Mon 13 (8), Tue 14 (9), Wed 15 (10),
    # Thu 16 (11) .. Wed 22 (15).
    c = store.create(make_case("00500003", referral_date=date(2026, 6, 30), migrated=True, case_owner="Kiri"))
    store.create(Contact(case_id=c.id, name="Hemi Invented", role="Whānau member", details_current=True))
    _event(store, c, INITIAL_SCHOOL_MEETING, "2026-07-09T10:00:00+12:00")  # after AS_OF: not yet held
    _event(store, c, "Initial Whanau Meeting", "2026-07-02T10:00:00+12:00")  # not the exact subject
    plan = Plan(case_id=c.id, status="In Progress")
    store.create_all([plan, PlanStep(case_id=c.id, plan_id=plan.id, action="Check-in", responsible="School")])

    # Case D is referred after AS_OF and is left out.
    store.create(make_case("00500004", referral_date=date(2026, 7, 9)))
    return store


def cases_by_number(report):
    return {case["case_number"]: case for case in report["cases"]}


def test_due_dates_and_outcomes_per_case(caseload):
    cases = cases_by_number(build_report(caseload_facts(caseload), AS_OF))
    assert set(cases) == {"00500001", "00500002", "00500003"}

    a = cases["00500001"]
    assert (a["school_meeting_due_5"], a["school_meeting_due_10"]) == ("2026-04-13", "2026-04-20")
    assert (a["whanau_meeting_due_10"], a["whanau_meeting_due_15"]) == ("2026-04-20", "2026-04-28")
    assert a["school_meeting_date"] == "2026-04-14"  # the NZ date, not the UTC one
    assert (a["school_meeting_5"], a["school_meeting_10"]) == ("missed", "met")
    assert a["whanau_meeting_date"] == "2026-04-09"
    assert (a["whanau_meeting_10"], a["whanau_meeting_15"]) == ("met", "met")
    assert a["student_plan"] == "missed"  # a Draft is not counted
    assert (a["migrated_owner"], a["migrated_plan"]) == ("not_applicable", "not_applicable")

    b = cases["00500002"]
    assert b["school_meeting_due_5"] == "2026-04-28"
    assert b["school_meeting_5"] == "met"
    assert (b["whanau_meeting_10"], b["whanau_meeting_15"]) == ("not_applicable", "not_applicable")
    assert b["student_plan"] == "missed"  # In Progress but no step
    assert (b["migrated_owner"], b["migrated_plan"]) == ("missed", "missed")

    c = cases["00500003"]
    assert (c["school_meeting_due_5"], c["school_meeting_due_10"]) == ("2026-07-07", "2026-07-15")
    assert c["school_meeting_date"] is None  # scheduled for 9 Jul, after the as-of date
    assert (c["school_meeting_5"], c["school_meeting_10"]) == ("missed", "pending")
    assert c["whanau_meeting_due_15"] == "2026-07-22"
    assert (c["whanau_meeting_10"], c["whanau_meeting_15"]) == ("pending", "pending")
    assert c["student_plan"] == "met"
    assert (c["migrated_owner"], c["migrated_plan"]) == ("met", "met")


def test_caseload_percentages_against_targets(caseload):
    measures = build_report(caseload_facts(caseload), AS_OF)["measures"]
    summary = {k: (m["met"], m["missed"], m["pending"], m["not_applicable"], m["percent"], m["target"])
               for k, m in measures.items()}
    assert summary == {
        "school_meeting_5": (1, 2, 0, 0, 33.3, 80),
        "school_meeting_10": (2, 0, 1, 0, 100.0, 90),
        "whanau_meeting_10": (1, 0, 1, 1, 100.0, 80),
        "whanau_meeting_15": (1, 0, 1, 1, 100.0, 90),
        "student_plan": (1, 2, 0, 0, 33.3, None),
        "migrated_owner": (1, 1, 0, 1, 50.0, 100),
        "migrated_plan": (1, 1, 0, 1, 50.0, 90),
    }


def test_later_as_of_date_settles_pending_measures(caseload):
    c = cases_by_number(build_report(caseload_facts(caseload), date(2026, 7, 23)))["00500003"]
    assert c["school_meeting_date"] == "2026-07-09"
    assert (c["school_meeting_5"], c["school_meeting_10"]) == ("missed", "met")
    assert (c["whanau_meeting_10"], c["whanau_meeting_15"]) == ("missed", "missed")


def test_meeting_outcome_edges():
    referral = date(2026, 4, 2)
    assert meeting_outcome(date(2026, 4, 13), referral, 5, date(2026, 5, 1)) == "met"  # on the 5th day
    assert meeting_outcome(None, referral, 5, date(2026, 4, 13)) == "pending"  # deadline day itself
    assert meeting_outcome(None, referral, 5, date(2026, 4, 14)) == "missed"


def test_report_command_json_shape_and_from_filter(caseload, capsys):
    db = str(caseload.path)
    assert main(["--db", db, "report", "--as-of", "2026-07-08", "--from", "2026-04-20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["as_of"] == "2026-07-08"
    assert [c["case_number"] for c in report["cases"]] == ["00500002", "00500003"]
    for measure in report["measures"].values():
        assert {"met", "missed", "pending", "not_applicable", "percent", "target"} <= set(measure)
    expected_keys = {"case_number", "school_meeting_date", "school_meeting_due_5", "school_meeting_due_10",
                     "school_meeting_5", "school_meeting_10", "whanau_meeting_date", "whanau_meeting_due_10",
                     "whanau_meeting_due_15", "whanau_meeting_10", "whanau_meeting_15", "student_plan",
                     "migrated_owner", "migrated_plan"}
    assert expected_keys <= set(report["cases"][0])


def test_report_command_table(caseload, capsys):
    assert main(["--db", str(caseload.path), "report", "--as-of", "2026-07-08"]) == 0
    out = capsys.readouterr().out
    assert "Initial School Meeting within 5 business days" in out
    assert "33.3" in out and "below target" in out
    assert "00500003  referred 2026-06-30  missed: School mtg 5d; pending: School mtg 10d" in out


def test_report_rejects_a_bad_date(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["report", "--as-of", "8/07/2026"])
    assert exited.value.code == 2
    assert "'8/07/2026' is not a date like 2026-06-30" in capsys.readouterr().err


def test_whanau_measures_apply_only_with_current_details_for_the_student_or_whanau(store):
    # Counted by hand: only the cases with a current Student, Parent / Caregiver or Whānau member contact
    # are measured on the whānau meeting; a current school contact does not count.
    from ascms_tui.domain import Contact

    roles = {"00600001": ("School staff", True), "00600002": ("Parent / Caregiver", True),
             "00600003": ("Whānau member", True), "00600004": ("Student", True),
             "00600005": ("Parent / Caregiver", False), "00600006": ("School primary contact", True)}
    for number, (role, current) in roles.items():
        case = store.create(make_case(number, referral_date=date(2026, 6, 1)))
        store.create(Contact(case_id=case.id, name="Invented Person", role=role, details_current=current,
                             details_confirmed_on=date(2026, 6, 2) if current else None))
    rows = cases_by_number(build_report(caseload_facts(store), date(2026, 6, 30)))
    applies = {number for number, row in rows.items() if row["whanau_meeting_10"] != "not_applicable"}
    assert applies == {"00600002", "00600003", "00600004"}
