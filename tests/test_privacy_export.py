"""The Privacy Act export: one student's full record, readable, with every value shown literally."""

from __future__ import annotations

import io
import json
from datetime import date
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from ascms_tui.cli import main
from ascms_tui.domain import (
    Barrier,
    Case,
    CaseComment,
    Contact,
    Event,
    InfoRequest,
    Plan,
    PlanStep,
    Service,
    Task,
    Ubnf,
)
from ascms_tui.privacy_export import build, collect
from ascms_tui.store import StoreError

from .conftest import make_case

NAME = "Ātaahua <script>alert(1)</script> [b]Ro[/b] 中"
NOTE = "Met whānau </td></tr><img src=x onerror=alert(2)> & agreed {{ 7*7 }} [/foo]"
TODAY = date(2026, 6, 30)


@pytest.fixture
def full_case(store):
    case = store.create(make_case(student={"name": NAME, "known_as": "Ro"}))
    store.create(Contact(case_id=case.id, name="Mere Invented", role="Parent / Caregiver", phone="021 555 0123"))
    store.create(Event(case_id=case.id, subject="Home Visit", start="2026-06-04T14:00:00+12:00", description=NOTE))
    store.create(Task(case_id=case.id, subject="Call the school", due_date="2026-06-10"))
    store.create(CaseComment(case_id=case.id, body="Comment with a tab\there"))
    barrier = store.create(Barrier(case_id=case.id, category="Transport", description="No bus"))
    plan = Plan(case_id=case.id, goals="Back at school full time", status="In Progress")
    store.create_all([plan, PlanStep(case_id=case.id, plan_id=plan.id, action="Bus pass", responsible="Provider")])
    store.create(Service(case_id=case.id, kind="NGO", agency="Invented Trust", referred_on="2026-06-05",
                         barrier_id=barrier.id))
    store.create(Ubnf(case_id=case.id, provided="Bus pass", amount="45.50", provided_on="2026-06-06"))
    store.create(InfoRequest(case_id=case.id, agency="MSD", requested_on="2026-06-07"))
    store.update(Case, case.id, {"catchment": "Waipā"})
    store.change_status(case.id, "Paused", "Awaiting information")
    return case


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_every_section_and_record_type_is_in_the_document(store, full_case):
    document = collect(store, full_case.id, today=TODAY)
    titles = [s.title for s in document.sections]
    assert titles == ["Student", "School", "Case", "Contacts", "Events", "Tasks", "Case Comments", "Barriers",
                      "Student Plans", "Plan steps", "Services", "UBNF support", "Info Requests", "Status history",
                      "Files", "Timeline", "Audit history"]
    by_title = {s.title: s for s in document.sections}
    assert ("Student name", NAME) in by_title["Student"].rows
    assert ("Catchment", "Waipā") in by_title["Case"].rows
    for title in ("Contacts", "Events", "Tasks", "Case Comments", "Barriers", "Student Plans", "Plan steps",
                  "Services", "UBNF support", "Info Requests", "Status history"):
        assert len(by_title[title].records) == 1, title
    assert by_title["Files"].records == []
    _audit_columns, audit_rows = by_title["Audit history"].table
    catchment = [row for row in audit_rows if row[4] == "Catchment"]
    assert [(row[3], row[5], row[6]) for row in catchment] == [("Changed", "(empty)", "Waipā")]
    assert {row[1] for row in audit_rows} == {"test-user"}
    assert document.unsynced == len(store.changes())  # nothing synced yet: every change counts


def test_html_escapes_every_value_and_runs_nothing(store, full_case):
    page = build(store, full_case.id, "html", today=TODAY).decode("utf-8")
    parsed = _Elements()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    text = "".join(parsed.text)
    assert NAME in text and NOTE in text  # shown literally, not interpreted
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "&lt;script&gt;" in page


def test_json_holds_the_record_the_timeline_and_the_audit_history(store, full_case):
    data = json.loads(build(store, full_case.id, "json", today=TODAY))
    assert data["format"] == "ascms-tui/privacy-export/1"
    assert data["case"]["student"]["name"] == NAME
    assert data["case"]["events"][0]["description"] == NOTE
    assert any(entry["Title"] == "Home Visit" for entry in data["timeline"])
    updates = [e for e in data["audit_history"] if e["operation"] == "update" and e["record_type"] == "case"]
    assert {"field": "catchment", "label": "Catchment", "old": None, "new": "Waipā"} in updates[0]["fields"]


def test_pdf_reads_back_with_macrons_and_literal_markup(store, full_case):
    pdf = PdfReader(io.BytesIO(build(store, full_case.id, "pdf", today=TODAY)))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    flat = " ".join(text.split())
    assert "Ātaahua" in flat and "Waipā" in flat and "whānau" in flat
    assert "[b]Ro[/b]" in flat and "<script>alert(1)</script>" in flat and "{{ 7*7 }}" in flat
    assert "[U+4E2D]" in flat  # a letter the font cannot draw is named, not dropped
    assert "Audit history" in flat and "Home Visit" in flat
    assert pdf.metadata.title == f"Privacy Act export, case {full_case.case_number}"


def test_unknown_case_or_format_is_a_clear_error(store, full_case):
    with pytest.raises(StoreError, match="format must be one of pdf, html, json"):
        build(store, full_case.id, "docx")
    with pytest.raises(StoreError, match="No case with id"):
        build(store, "00000000-0000-0000-0000-000000000000", "html")


def test_export_command_writes_a_private_file(store, full_case, tmp_path, capsys):
    db = str(store.path)
    target = tmp_path / "disclosure.html"
    assert main(["--db", db, "export", "--case", full_case.case_number, "--format", "html", "-o", str(target)]) == 0
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert "Ātaahua" in target.read_text(encoding="utf-8")
    pdf = tmp_path / "disclosure.pdf"
    assert main(["--db", db, "export", "--case", full_case.case_number, "--format", "pdf", "-o", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    capsys.readouterr()
    assert main(["--db", db, "export", "--format", "pdf", "--case", full_case.case_number]) == 2
    assert "needs --output" in capsys.readouterr().err
    assert main(["--db", db, "export", "--format", "json"]) == 2
    assert "give --case NUMBER" in capsys.readouterr().err
    # Without --format the ascms-tui/1 interchange export is unchanged.
    assert main(["--db", db, "export", "--case", full_case.case_number]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "ascms-tui/1"
