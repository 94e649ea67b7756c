"""The demo caseload: deterministic, valid against the domain, and carrying the gaps the checks look for."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from functools import lru_cache

import pytest

from ascms_tui import demo
from ascms_tui.domain import (
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
    Case,
    CaseStatus,
    CaseType,
    PlanStep,
)
from ascms_tui.interchange import LISTS
from ascms_tui.nztime import NZ, nz_today

TODAY = date(2026, 6, 30)
LIST_MODELS = LISTS
LIST_KEYS = tuple(LIST_MODELS)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SF_ID = re.compile(r"[0-9A-Za-z]{18}")
OFFSET_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\+1[23]:00|Z|\+00:00)")


@lru_cache(maxsize=None)
def _demo_json(today: date | None) -> str:
    return json.dumps(demo.generate_caseload(40, today=today), ensure_ascii=False)


def demo_doc(today: date | None = TODAY) -> dict:
    # Each test gets its own copy; generating once keeps the suite quick.
    return json.loads(_demo_json(today))


def records(case: dict):
    """(list key, record) for every child record, plan steps as 'steps'."""
    for key in LIST_KEYS:
        for record in case[key]:
            yield key, record
            if key == "plans":
                for step in record["steps"]:
                    yield "steps", step


def weekdays_between(start: date, end: date) -> int:
    return sum(1 for i in range(1, (end - start).days + 1) if (start + timedelta(days=i)).weekday() < 5)


# --- determinism ---------------------------------------------------------------


def test_same_seed_and_today_give_identical_output():
    first = demo.generate_caseload(12, seed=7, today=TODAY)
    assert first == demo.generate_caseload(12, seed=7, today=TODAY)
    assert first != demo.generate_caseload(12, seed=8, today=TODAY)
    assert first != demo.generate_caseload(12, seed=7, today=TODAY - timedelta(days=1))


def test_write_caseload_writes_what_generate_returns(tmp_path):
    for cases, apc in ((15, None), (250, 4)):  # indented and compact files
        path = tmp_path / f"demo{cases}.json"
        counts = demo.write_caseload(path, cases, seed=5, today=TODAY, activities_per_case=apc)
        text = path.read_text(encoding="utf-8")
        assert "ā" in text or "ū" in text  # ensure_ascii=False
        written = json.loads(text)
        assert written == demo.generate_caseload(cases, seed=5, today=TODAY, activities_per_case=apc)
        assert written["format"] == "ascms-tui/1"
        assert counts == {"cases": cases, "records": sum(demo.count_records(c) for c in written["cases"])}


def test_small_and_empty_caseloads():
    assert demo.generate_caseload(0, today=TODAY) == {"format": "ascms-tui/1", "cases": []}
    for n in (1, 2, 3, 5):
        assert len(demo.generate_caseload(n, seed=n, today=TODAY)["cases"]) == n


# --- validity against the domain models -------------------------------------------


@pytest.mark.parametrize("today", [TODAY, None], ids=["fixed-today", "real-today"])
def test_every_record_validates_against_the_domain(today):
    doc = demo_doc(today)
    assert doc["format"] == "ascms-tui/1"
    assert len(doc["cases"]) == 40
    for case in doc["cases"]:
        Case.model_validate({k: v for k, v in case.items() if k not in LIST_KEYS})
        for key, model in LIST_MODELS.items():
            for child in case[key]:
                data = {**child, "case_id": case["id"]}
                steps = data.pop("steps", None) if key == "plans" else None
                model.model_validate(data)
                for step in steps or ():
                    PlanStep.model_validate({**step, "case_id": case["id"], "plan_id": child["id"]})


def test_record_shape():
    ids = []
    for case in demo_doc()["cases"]:
        assert set(case) == {
            "id", "server_id", "case_number", "case_type", "status", "status_reason", "referral_date",
            "migrated", "case_owner", "catchment", "student", "school", *LIST_KEYS,
        }
        assert UUID.fullmatch(case["id"])
        assert case["server_id"] is None or (SF_ID.fullmatch(case["server_id"]) and case["server_id"].startswith("500"))
        assert (case["status_reason"] is not None) == (case["status"] in ("Paused", "Closed"))
        ids.append(case["id"])
        for key, record in records(case):
            assert "case_id" not in record and "plan_id" not in record and "server_version" not in record
            assert UUID.fullmatch(record["id"])
            assert record["server_id"] is None or SF_ID.fullmatch(record["server_id"])
            assert OFFSET_TIME.fullmatch(record["recorded_at"]), record["recorded_at"]
            ids.append(record["id"])
        for event in case["events"]:
            assert OFFSET_TIME.fullmatch(event["start"]) and OFFSET_TIME.fullmatch(event["end"])
    assert len(ids) == len(set(ids))


# --- what the demo contains ---------------------------------------------------------


def test_caseload_shape():
    cases = demo_doc()["cases"]
    assert {c["status"] for c in cases} == {s.value for s in CaseStatus}
    types = Counter(c["case_type"] for c in cases)
    assert set(types) == {t.value for t in CaseType}
    assert 0.55 <= types["Chronic Absence"] / len(cases) <= 0.85
    assert 2 <= sum(c["migrated"] for c in cases) <= 10
    referrals = sorted(date.fromisoformat(c["referral_date"]) for c in cases)
    assert (TODAY - referrals[0]).days <= 130
    # Some just referred (5 weekdays: the odd public holiday may fall in between).
    assert sum(weekdays_between(r, TODAY) <= 5 for r in referrals) >= 2
    assert sum(1 for c in cases if c["server_id"] is None) >= 1  # created offline


def test_initial_meetings_use_the_exact_subjects_mostly_on_time():
    cases = demo_doc()["cases"]
    subjects = Counter(e["subject"] for c in cases for e in c["events"])
    assert subjects[INITIAL_SCHOOL_MEETING] >= 20
    assert subjects[INITIAL_WHANAU_MEETING] >= 15
    delays = []
    for case in cases:
        referral = date.fromisoformat(case["referral_date"])
        for event in case["events"]:
            if event["subject"] == INITIAL_SCHOOL_MEETING and event["description"]:
                delays.append(weekdays_between(referral, datetime.fromisoformat(event["start"]).date()))
    delays.sort()
    assert delays[len(delays) // 2] <= 7
    assert sum(d <= 10 for d in delays) / len(delays) >= 0.8


def _gaps(doc: dict, today: date) -> dict[str, list[str]]:
    """Case numbers showing each deliberate gap, found the way a later check would."""
    found: dict[str, list[str]] = {}

    def add(name: str, case: dict) -> None:
        found.setdefault(name, []).append(case["case_number"])

    for case in doc["cases"]:
        subjects = {e["subject"] for e in case["events"]}
        referral = date.fromisoformat(case["referral_date"])
        if case["status"] in ("Open", "Paused", "Transition") and weekdays_between(referral, today) >= 15:
            if INITIAL_SCHOOL_MEETING not in subjects:
                add("missing_initial_meeting", case)
        if demo.MISTYPED_WHANAU_SUBJECT in subjects:
            add("typo_whanau_subject", case)
        if any(e["subject"] == INITIAL_WHANAU_MEETING and e["description"] == "Met with school" for e in case["events"]):
            add("vague_whanau_meeting", case)
        if any(p["status"] == "Draft" for p in case["plans"]):
            add("draft_plan", case)
        if any(p["status"] == "In Progress" and not p["steps"] for p in case["plans"]):
            add("plan_without_steps", case)
        if case["migrated"] and not case["case_owner"]:
            add("migrated_no_owner", case)
        if any(
            datetime.fromisoformat(e["start"]).astimezone(NZ).date() == today and e["hours"] == 0 and e["minutes"] == 0
            for e in case["events"]
        ):
            add("today_no_time", case)
        if any(not c["details_current"] for c in case["contacts"]):
            add("contact_not_current", case)
        if any(re.search(r"\b(obviously|lazy|hopeless)\b", c["body"]) for c in case["comments"]):
            add("opinionated_comment", case)
        for e in case["events"]:
            if e["subject"] in (INITIAL_WHANAU_MEETING, demo.MISTYPED_WHANAU_SUBJECT):
                met = datetime.fromisoformat(e["start"]).date()
                entered = datetime.fromisoformat(e["recorded_at"]).astimezone(NZ).date()
                if weekdays_between(met, entered) > 5:
                    add("late_recording", case)
    return found


@pytest.mark.parametrize("today", [TODAY, None], ids=["fixed-today", "real-today"])
def test_every_deliberate_gap_is_present(today):
    found = _gaps(demo_doc(today), today or nz_today())
    assert set(demo.GAPS) <= set(found), set(demo.GAPS) - set(found)
    assert 1 <= len(found["opinionated_comment"]) <= 3


def test_gaps_are_a_minority():
    cases = demo_doc()["cases"]
    found = _gaps({"cases": cases}, TODAY)
    # Contacts can be "not current" for ordinary reasons (not yet met, not located).
    deliberate = {n for name, numbers in found.items() if name != "contact_not_current" for n in numbers}
    assert len(deliberate) <= len(cases) // 2


def test_text_is_nz_english_with_macrons():
    text = _demo_json(TODAY)
    for word in ("whānau", "Whānau", "Māori", "Initial Student / Whānau Meeting"):
        assert word in text
    for wrong in ("Whanau Meeting\"", "whanau", "Maori"):
        # The deliberate typo subject is the only macron-less spelling.
        assert text.count(wrong) <= (text.count(demo.MISTYPED_WHANAU_SUBJECT) if "Whanau" in wrong else 0)
    cases = demo_doc()["cases"]
    iwi = [c["student"]["iwi"] for c in cases if c["student"]["iwi"]]
    assert iwi and all("Māori" in c["student"]["ethnicity"] for c in cases if c["student"]["iwi"])
    assert any(any(ch in name for ch in "āēīōū") for name in iwi)


def test_unsynced_records_are_mostly_recent():
    unsynced = []
    for case in demo_doc()["cases"]:
        if case["server_id"] is None:
            # Created offline: nothing in it can have synced.
            assert all(r["server_id"] is None for _, r in records(case))
            continue
        for _, record in records(case):
            if record["server_id"] is None:
                unsynced.append(datetime.fromisoformat(record["recorded_at"]).astimezone(NZ).date())
    assert unsynced
    # Today and the working day before (4 weekdays allows for Easter and the like).
    recent = sum(weekdays_between(d, TODAY) <= 4 for d in unsynced)
    assert recent / len(unsynced) >= 0.6


def test_time_spent_on_most_past_events_and_completed_tasks():
    events = [e for c in demo_doc()["cases"] for e in c["events"] if e["start"][:10] < TODAY.isoformat()]
    with_time = sum(e["hours"] or e["minutes"] for e in events)
    assert with_time / len(events) >= 0.85
    tasks = [t for c in demo_doc()["cases"] for t in c["tasks"] if t["status"] == "Completed"]
    assert all(t["hours"] or t["minutes"] for t in tasks)


# --- consistency ------------------------------------------------------------------


@pytest.mark.parametrize("today", [TODAY, None], ids=["fixed-today", "real-today"])
def test_references_dates_and_numbers(today):
    doc = demo_doc(today)
    today = today or nz_today()
    snapshot = datetime.combine(today, datetime.min.time(), NZ) + timedelta(hours=17, minutes=30)
    numbers = [c["case_number"] for c in doc["cases"]]
    assert len(numbers) == len(set(numbers)) and all(re.fullmatch(r"\d{8}", n) for n in numbers)
    for case in doc["cases"]:
        student = case["student"]
        dob = date.fromisoformat(student["date_of_birth"])
        age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
        assert 5 <= age <= 16
        assert abs(student["year_level"] - (age - 4)) <= 1
        assert re.fullmatch(r"\d{9,10}", student["nsn"])
        assert re.fullmatch(r"\d{4}", case["school"]["number"])
        assert date.fromisoformat(case["referral_date"]) <= today
        barrier_ids = {b["id"] for b in case["barriers"]}
        for key in ("services", "ubnf"):
            for record in case[key]:
                assert record["barrier_id"] is None or record["barrier_id"] in barrier_ids
        for key, record in records(case):
            assert datetime.fromisoformat(record["recorded_at"]) <= snapshot
            for field in ("identified_on", "referred_on", "provided_on", "requested_on", "answered_on", "details_confirmed_on"):
                if record.get(field):
                    assert date.fromisoformat(record[field]) <= today, (key, field)
        for event in case["events"]:
            start = datetime.fromisoformat(event["start"])
            if start > snapshot:  # booked ahead: nothing to report yet
                assert event["hours"] == event["minutes"] == 0
                assert len(event["description"]) <= 80
                assert datetime.fromisoformat(event["recorded_at"]) <= snapshot
            else:
                assert datetime.fromisoformat(event["recorded_at"]) >= datetime.fromisoformat(event["end"])
        history = case["status_history"]
        assert history and history[-1]["to_status"] == case["status"]
        assert history[-1]["reason"] == case["status_reason"]
        for before, after in zip(history, history[1:]):
            assert after["from_status"] == before["to_status"]
            assert datetime.fromisoformat(after["changed_at"]) > datetime.fromisoformat(before["changed_at"])


def test_recording_is_mostly_prompt_but_sometimes_late():
    delays = []
    for case in demo_doc()["cases"]:
        for event in case["events"]:
            met = datetime.fromisoformat(event["start"]).astimezone(NZ).date()
            if met <= TODAY:
                entered = datetime.fromisoformat(event["recorded_at"]).astimezone(NZ).date()
                delays.append(weekdays_between(met, entered))
    prompt = sum(d <= 1 for d in delays) / len(delays)
    assert 0.75 <= prompt < 1
    assert any(d > 5 for d in delays)


# --- scale ----------------------------------------------------------------------------


def test_scales_to_the_requested_activity_level():
    counts = [demo.count_records(c) for c in demo.iter_cases(500, seed=11, today=TODAY, activities_per_case=30)]
    assert len(counts) == 500
    assert 28 <= sum(counts) / len(counts) <= 32
    assert max(counts) < 120
