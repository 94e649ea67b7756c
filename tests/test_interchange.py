"""Import is all or nothing; export then import loses nothing."""

from __future__ import annotations

import copy
import json
import sqlite3

import pytest

from ascms_tui.domain import CaseComment, Event, Plan, PlanStep, Service
from ascms_tui.interchange import (
    InterchangeError,
    export_document,
    import_document,
    import_file,
)
from ascms_tui.store import TABLES, Store

CASE_A = "0b7d2a52-4a57-4a8e-9a55-5e2f0c1d9b01"
BARRIER = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def full_document() -> dict:
    """One synced case with every record type, and one case recorded offline."""
    return {
        "format": "ascms-tui/1",
        "cases": [
            {
                "id": CASE_A, "server_id": "500AA00000ABCDEF12", "case_number": "00307473",
                "case_type": "Chronic Absence", "status": "Open", "referral_date": "2026-06-01",
                "migrated": True, "case_owner": "Mere Invented", "catchment": "Te Tai Tokerau",
                "student": {"name": "Aroha Invented", "known_as": "Ro", "nsn": "123456789",
                            "date_of_birth": "2014-03-02", "gender": "Female", "year_level": 7,
                            "ethnicity": "Māori", "iwi": "Ngāpuhi"},
                "school": {"name": "Kōwhai Valley School", "number": "9999"},
                "contacts": [{"name": "Hine Invented", "role": "Parent / Caregiver", "phone": "021 555 0123",
                              "email": "hine@example.co.nz", "details_current": True,
                              "recorded_at": "2026-06-02T10:00:00+12:00", "server_id": "003AA00000ABCDEF12"}],
                "events": [
                    {"subject": "Initial School Meeting", "start": "2026-06-02T14:00:00+12:00",
                     "end": "2026-06-02T15:00:00+12:00", "all_day": False,
                     "description": "Met with school primary contact and attendance lead on 2 June.",
                     "hours": 1, "minutes": 30, "recorded_at": "2026-06-02T16:00:00+12:00",
                     "server_id": "00UAA00000ABCDEF12"},
                    {"subject": "Whānau Hui", "start": "2026-06-09", "end": "2026-06-09", "all_day": True,
                     "description": "", "hours": 0, "minutes": 0, "recorded_at": "2026-06-09T18:00:00+12:00"},
                ],
                "comments": [{"body": "closing [/foo] tag [bold]x[/bold] \u001b[2J", "shared_with_school": True,
                              "recorded_at": "2026-06-03T09:00:00+12:00"}],
                "tasks": [{"subject": "Send attendance history", "due_date": "2026-06-10", "status": "Not Started",
                           "priority": "High", "description": "", "hours": 0, "minutes": 15,
                           "recorded_at": "2026-06-03T09:05:00+12:00", "server_id": "00TAA00000ABCDEF12"}],
                "plans": [{"status": "In Progress", "goals": "Attend every morning", "recorded_at": "2026-06-05T12:00:00+12:00",
                           "server_id": "a01AA00000ABCDEF12",
                           "steps": [{"action": "Morning routine chart", "responsible": "Whānau",
                                      "due_date": "2026-06-12", "recorded_at": "2026-06-05T12:00:00+12:00",
                                      "server_id": "a02AA00000ABCDEF12"}]}],
                "barriers": [{"id": BARRIER, "category": "Transport", "description": "No bus on route",
                              "status": "Active", "identified_on": "2026-06-02",
                              "recorded_at": "2026-06-02T16:05:00+12:00", "server_id": "a03AA00000ABCDEF12"}],
                "services": [{"kind": "Multi-agency forum", "agency": "Invented Area Forum", "reason": "Housing",
                              "referred_on": "2026-06-06", "status": "Referred", "barrier_id": BARRIER,
                              "hours": 0, "minutes": 45, "recorded_at": "2026-06-06T12:00:00+12:00"}],
                "ubnf": [{"provided": "Bus pass, term 2", "amount": "45.50", "provided_on": "2026-06-07",
                          "barrier_id": BARRIER, "recorded_at": "2026-06-07T12:00:00+12:00"}],
                "info_requests": [{"agency": "MSD", "requested_on": "2026-06-04", "request": "Current address",
                                   "outcome": "", "recorded_at": "2026-06-04T12:00:00+12:00"}],
                "status_history": [{"from_status": "Provider Queue", "to_status": "Open",
                                    "changed_at": "2026-06-01T09:00:00+12:00",
                                    "recorded_at": "2026-06-01T09:00:00+12:00", "server_id": "a04AA00000ABCDEF12"}],
                "files": [{"file_name": "plan.pdf", "content_type": "application/pdf", "size_bytes": 2048,
                           "description": "Signed plan", "recorded_at": "2026-06-05T12:00:00+12:00"}],
            },
            {
                "case_number": "00307474", "case_type": "Non Enrolled", "status": "Provider Queue",
                "referral_date": "2026-06-03", "migrated": False, "case_owner": None, "catchment": None,
                "student": {"name": "Sione Invented", "known_as": None, "nsn": None, "date_of_birth": None,
                            "gender": None, "year_level": None, "ethnicity": None, "iwi": None},
                "school": {"name": "Te Awa Intermediate", "number": "8888"},
                "contacts": [], "events": [], "comments": [], "tasks": [], "plans": [],
            },
        ],
    }


def table_counts(store: Store) -> dict[str, int]:
    counts = {}
    with sqlite3.connect(store.path) as conn:
        for table in [*TABLES.values(), "changes"]:
            counts[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return counts


def test_import_counts_and_queues_only_local_records(store):
    summary = import_document(store, full_document())
    assert (summary.cases, summary.records) == (2, 13)
    # Queued: the second case, the all-day event, the comment, the service, UBNF, info request, file.
    assert summary.queued == 7
    queued_types = sorted(c.record_type for c in store.changes())
    assert queued_types == ["case", "comment", "event", "file", "info_request", "service", "ubnf"]
    assert all(c.operation == "create" for c in store.changes())


def test_import_keeps_given_ids_and_generates_missing_ones(store):
    import_document(store, full_document())
    case = store.find_case("00307473")
    assert case.id == CASE_A and case.server_id == "500AA00000ABCDEF12"
    other = store.find_case("00307474")
    assert len(other.id) == 36 and other.server_id is None
    [service] = store.records(Service, CASE_A)
    assert service.barrier_id == BARRIER


def test_imported_text_is_stored_without_control_characters(store):
    import_document(store, full_document())
    [comment] = store.records(CaseComment, CASE_A)
    assert comment.body == "closing [/foo] tag [bold]x[/bold] "


def test_bad_record_rejects_whole_file_naming_case_record_and_field(store, tmp_path):
    document = full_document()
    document["cases"][0]["events"][1]["minutes"] = 75
    document["cases"][1]["student"]["date_of_birth"] = "2099-01-01"
    path = tmp_path / "from-laptop.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = table_counts(store)

    with pytest.raises(InterchangeError) as rejected:
        import_file(store, path)

    text = str(rejected.value)
    assert text.startswith(f"{path}: not imported; nothing was written.")
    assert "case 00307473, events[1] (Whānau Hui): Minutes must be from 0 to 59 (got 75)" in text
    assert "case 00307474: Date of birth 01/01/2099 is in the future" in text
    assert table_counts(store) == before


def test_malformed_json_is_rejected_with_its_position(store, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "ascms-tui/1", "cases": [\n  {"case_number": }\n]}', encoding="utf-8")
    with pytest.raises(InterchangeError, match=r"not valid JSON: Expecting value at line 2, column 19"):
        import_file(store, path)
    assert table_counts(store)["cases"] == 0


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(format="csv"), '"format" must be "ascms-tui/1"'),
        (lambda d: d.update(cases={}), '"cases" must be a list'),
        (lambda d: d["cases"].append(copy.deepcopy(d["cases"][1])), "case 00307474 appears 2 times"),
        (lambda d: d["cases"][0]["ubnf"][0].update(barrier_id="9a9b9c9d-0000-4000-8000-000000000000"),
         "links to barrier 9a9b9c9d-0000-4000-8000-000000000000"),
        (lambda d: d["cases"][0].update(events="none"), "case 00307473: 'events' must be a list"),
        (lambda d: d["cases"][0]["plans"][0]["steps"][0].pop("action"),
         "case 00307473, plans[0], steps[0]: Action is required"),
        (lambda d: d["cases"][0]["tasks"][0].update(steps=[]), "steps is not a field of this record"),
    ],
)
def test_structural_problems_are_named(store, mutate, expected):
    document = full_document()
    mutate(document)
    with pytest.raises(InterchangeError, match=expected.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        import_document(store, document)
    assert table_counts(store)["cases"] == 0


def test_case_already_in_store_rejects_the_file(store):
    import_document(store, full_document())
    before = table_counts(store)
    again = full_document()
    again["cases"][1]["id"] = "7e7e7e7e-0000-4000-8000-000000000000"
    with pytest.raises(InterchangeError) as rejected:
        import_document(store, again)
    assert "case 00307473 is already in this store (same id)" in str(rejected.value)
    assert "case 00307474 is already in this store" in str(rejected.value)
    assert table_counts(store) == before


def test_export_then_import_round_trips_without_loss(store, tmp_path):
    import_document(store, full_document())
    # A local edit to a synced record that has not reached AS-CMS yet.
    [event] = [e for e in store.records(Event, CASE_A) if e.server_id]
    store.update(Event, event.id, {"description": "Updated after the meeting."})
    exported = export_document(store)

    with Store(tmp_path / "other-laptop.sqlite3") as other:
        import_document(other, json.loads(json.dumps(exported)))
        assert export_document(other) == exported
        for model in (Event, Plan, PlanStep, Service, CaseComment):
            assert other.records(model, CASE_A) == store.records(model, CASE_A)
        assert other.find_case("00307473") == store.find_case("00307473")
        # The unsynced edit is still queued on the other laptop.
        assert store.records_with_open_changes() == other.records_with_open_changes()
        assert any(c.record_id == event.id and c.operation == "update" for c in other.changes())


def test_export_shape(store):
    import_document(store, full_document())
    document = export_document(store, "00307473")
    [case] = document["cases"]
    assert document["format"] == "ascms-tui/1"
    assert case["student"]["iwi"] == "Ngāpuhi"
    assert case["events"][0]["start"] == "2026-06-02T14:00:00+12:00"
    assert case["events"][1]["start"] == "2026-06-09"  # all-day events keep plain dates
    assert case["plans"][0]["steps"][0]["action"] == "Morning routine chart"
    assert "case_id" not in case["events"][0]
    assert case["ubnf"][0]["amount"] == "45.50"
    with pytest.raises(LookupError, match="No case 00000000"):
        export_document(store, "00000000")


def test_demo_caseload_imports_and_round_trips(tmp_path):
    from ascms_tui.demo import ensure_demo_database, generate_caseload

    demo_db = ensure_demo_database(tmp_path / "demo.sqlite3", cases=40)
    with Store(demo_db) as store:
        exported = export_document(store)
        assert len(exported["cases"]) == 40
        queued = len(store.changes())
    # Opening again does not import a second time.
    ensure_demo_database(demo_db, cases=40)
    with Store(demo_db) as store:
        assert len(store.cases()) == 40
        assert len(store.changes()) == queued > 0
    with Store(tmp_path / "copy.sqlite3") as copy:
        import_document(copy, exported)
        assert export_document(copy) == exported
    assert generate_caseload(40)["cases"][0]["id"] in {c["id"] for c in exported["cases"]}
