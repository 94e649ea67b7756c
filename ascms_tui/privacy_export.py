"""The Privacy Act export: everything this laptop holds about one student, as a readable document.

For a disclosure request (Privacy Act 2020, information privacy principle 6)
or an OIA request: the student, school and case, every record of every type,
the timeline and the audit history, in PDF, HTML or JSON.

`build(store, case_id, fmt)` returns the document's bytes. The HTML comes from
a Jinja template with autoescaping, so every value is escaped; the PDF is
written with fpdf2 in an embedded Unicode font (macrons print), never parsing
any value as markup. fpdf2 and Jinja are imported only when an export is made.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from .audit import case_history, display_value, field_columns, field_label
from .domain import CASE_RECORD_TYPES, Case, CaseRecord, PlanStep
from .nztime import format_nz_datetime, nz_today, utc_now
from .store import Store, StoreError, to_row
from .text import clean_text

FORMATS = ("pdf", "html", "json")
JSON_FORMAT = "ascms-tui/privacy-export/1"
# Bookkeeping columns that mean nothing to the person reading.
_HIDDEN = frozenset({"id", "case_id", "plan_id", "server_version", "barrier_id"})
_PLURALS = {
    "contact": "Contacts", "event": "Events", "task": "Tasks", "comment": "Case Comments",
    "barrier": "Barriers", "plan": "Student Plans", "plan_step": "Plan steps", "service": "Services",
    "ubnf": "UBNF support", "info_request": "Info Requests", "status_change": "Status history", "file": "Files",
}
_HEADING_FIELDS = ("subject", "name", "agency", "category", "action", "file_name", "provided", "to_status")
NOTICE = (
    "This is the information held about this student on this laptop by ascms-tui, the offline "
    "companion to AS-CMS. AS-CMS, the Ministry of Education's system, holds the case of record; "
    "changes made there by others appear in AS-CMS, not here. The audit history lists every change "
    "made on this laptop: who, when, and each value before and after."
)


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # label, value
    records: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)  # heading, rows
    table: tuple[list[str], list[list[str]]] | None = None  # columns, rows
    empty_text: str = "None recorded."


@dataclass
class Document:
    title: str
    case_number: str
    generated: str
    generated_by: str
    unsynced: int
    sections: list[Section]
    notice: str = NOTICE


def build(store: Store, case_id: str, fmt: str, *, today: date | None = None) -> bytes:
    """The export of one case in `fmt` (pdf, html or json)."""
    if fmt not in FORMATS:
        raise StoreError(f"The export format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    if fmt == "json":
        return render_json(store, case_id, today=today)
    document = collect(store, case_id, today=today)
    return render_html(document) if fmt == "html" else render_pdf(document)


def find_case_id(store: Store, case_number: str) -> str:
    case = store.find_case(case_number)
    if case is None:
        raise StoreError(f"No case {case_number!r} in this store")
    return case.id


# --- the document -----------------------------------------------------------------------


def collect(store: Store, case_id: str, *, today: date | None = None) -> Document:
    """The export as sections of labelled values (what the HTML and PDF show)."""
    from .timeline import KIND_LABELS, build_timeline

    case = store.get(Case, case_id)
    if case is None:
        raise StoreError(f"No case with id {case_id}")
    row = to_row(case)
    student = [(field_label("case", c), _value("case", c, row[c])) for c in field_columns("case")
               if c.startswith("student_") and _shown(row[c])]
    school = [(field_label("case", c), _value("case", c, row[c])) for c in field_columns("case")
              if c.startswith("school_") and _shown(row[c])]
    details = [(field_label("case", c), _value("case", c, row[c])) for c in field_columns("case")
               if not c.startswith(("student_", "school_")) and c not in _HIDDEN and _shown(row[c])]
    sections = [Section("Student", rows=student), Section("School", rows=school), Section("Case", rows=details)]
    for model in CASE_RECORD_TYPES:
        sections.append(Section(_PLURALS[model.record_type], records=[
            (_heading(record), _record_rows(record)) for record in store.records(model, case_id)
        ]))
    entries = build_timeline(store, case_id, today or nz_today())
    sections.append(Section("Timeline", table=(
        ["When", "Type", "Title", "Details", "Synced"],
        [[e.when_text, KIND_LABELS[e.kind], e.title, e.body, "Yes" if e.synced else "Not yet"] for e in entries],
    )))
    history = case_history(store, case_id)
    sections.append(Section("Audit history", table=(
        ["When", "Who", "Record", "Action", "Field", "Before", "After", "Sent to AS-CMS"],
        [[entry.when_text, entry.who or "", entry.record_label, entry.operation_text, change.label,
          change.old_text, change.new_text, entry.sync_text]
         for entry in history for change in entry.fields if change.field not in _HIDDEN],
    )))
    unsynced = sum(1 for entry in history if entry.sync_status != "done")
    return Document(
        title=f"Personal information held about {case.student.name}",
        case_number=case.case_number,
        generated=format_nz_datetime(utc_now()),
        generated_by=store.actor,
        unsynced=unsynced,
        sections=sections,
    )


def _shown(value: Any) -> bool:
    return value is not None and value != ""


def _value(record_type: str, column: str, value: Any) -> str:
    return display_value(record_type, column, value)


def _record_rows(record: CaseRecord) -> list[tuple[str, str]]:
    row = to_row(record)
    return [(field_label(record.record_type, c), _value(record.record_type, c, row[c]))
            for c in field_columns(record.record_type) if c not in _HIDDEN and _shown(row.get(c))]


def _heading(record: CaseRecord) -> str:
    row = to_row(record)
    title = next((str(row[name]) for name in _HEADING_FIELDS if _shown(row.get(name))), record.label)
    if isinstance(record, PlanStep):
        title = f"{title} (step of a plan)"
    return f"{title} — recorded {format_nz_datetime(record.recorded_at)}"


# --- JSON ----------------------------------------------------------------------------


def render_json(store: Store, case_id: str, *, today: date | None = None) -> bytes:
    """Machine-readable: the case as ascms-tui/1 holds it, plus the timeline and the full audit history."""
    from .interchange import export_document

    case = store.get(Case, case_id)
    if case is None:
        raise StoreError(f"No case with id {case_id}")
    document = collect(store, case_id, today=today)
    timeline = next(s for s in document.sections if s.title == "Timeline").table
    history = case_history(store, case_id)
    data = {
        "format": JSON_FORMAT,
        "notice": NOTICE,
        "generated_at": utc_now().isoformat(),
        "generated_by": store.actor,
        "case": export_document(store, case.case_number)["cases"][0],
        "timeline": [dict(zip(timeline[0], row)) for row in timeline[1]],
        "audit_history": [
            {"change_id": e.change_id, "when": e.when.isoformat(), "who": e.who, "record_type": e.record_type,
             "record_id": e.record_id, "operation": e.operation, "sync_status": e.sync_status,
             "fields": [{"field": f.field, "label": f.label, "old": f.old, "new": f.new} for f in e.fields]}
            for e in history
        ],
    }
    return (json.dumps(data, ensure_ascii=False, indent=1, default=_json_default) + "\n").encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


# --- HTML ----------------------------------------------------------------------------


def render_html(document: Document) -> bytes:
    import jinja2

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(
        resources.files("ascms_tui").joinpath("data/privacy_export.html").read_text(encoding="utf-8")
    )
    return template.render(doc=document).encode("utf-8")


# --- PDF -----------------------------------------------------------------------------

FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


def render_pdf(document: Document) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(f"Privacy Act export, case {document.case_number}")
    pdf.set_creator("ascms-tui")
    fonts = resources.files("ascms_tui").joinpath("data/fonts")
    for style, name in FONT_FILES.items():
        with resources.as_file(fonts.joinpath(name)) as path:
            pdf.add_font("DejaVu", style, str(path))
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    glyphs = _font_glyphs()

    def text(value: str, size: float = 9.5, bold: bool = False, gap: float = 1.0) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, size * 0.5, _printable(value, glyphs), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    def labelled(label: str, value: str, indent: str = "", gap: float = 0.6) -> None:
        # write() flows the value after its bold label, wrapping and breaking pages as needed.
        pdf.set_font("DejaVu", "B", 9.5)
        pdf.write(4.75, _printable(f"{indent}{label}: ", glyphs))
        pdf.set_font("DejaVu", "", 9.5)
        pdf.write(4.75, _printable(value, glyphs))
        pdf.ln(4.75 + gap)

    text(document.title, 15, bold=True, gap=2)
    text(f"Case {document.case_number}. Produced {document.generated} by {document.generated_by}.")
    if document.unsynced:
        text(f"{document.unsynced} {'change' if document.unsynced == 1 else 'changes'} had not yet reached AS-CMS "
             "when this was produced.")
    text(document.notice, 8.5, gap=3)
    for section in document.sections:
        text(section.title, 13, bold=True, gap=1.5)
        if section.rows:
            for label, value in section.rows:
                labelled(label, value)
        elif section.records:
            for heading, rows in section.records:
                text(heading, 10, bold=True, gap=0.5)
                for label, value in rows:
                    labelled(label, value, indent="    ", gap=0.3)
                pdf.ln(1.5)
        elif section.table and section.table[1]:
            columns, rows = section.table
            for row in rows:
                text("  ·  ".join(f"{c}: {v}" for c, v in zip(columns, row) if v), gap=1.2)
        else:
            text(section.empty_text)
        pdf.ln(3)
    return bytes(pdf.output())


@cache
def _font_glyphs() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    fonts = resources.files("ascms_tui").joinpath("data/fonts")
    covered = []
    for name in FONT_FILES.values():
        with resources.as_file(fonts.joinpath(name)) as path:
            covered.append(set(TTFont(str(path)).getBestCmap()))
    return frozenset(set.intersection(*covered))  # what both the regular and the bold face can draw


def _printable(value: str, glyphs: frozenset[int]) -> str:
    """`value` with control characters removed and letters the font lacks written as [U+XXXX].

    Nothing is dropped silently: a name in a script the font cannot draw still
    shows which characters it holds.
    """
    value = clean_text(value).replace("\t", "    ")
    if all(ord(ch) in glyphs or ch == "\n" for ch in value):
        return value
    out = []
    for ch in unicodedata.normalize("NFC", value):
        out.append(ch if ord(ch) in glyphs or ch == "\n" else f"[U+{ord(ch):04X}]")
    return "".join(out)
