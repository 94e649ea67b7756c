"""The case record's forms (Contact, Barrier, Student Plan, Service, UBNF, Info Request, File), through the real app."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest
from textual.widgets import Checkbox, Input, Select, TextArea

from ascms_tui.domain import (
    MAX_FILE_BYTES,
    Barrier,
    CaseFile,
    Contact,
    InfoRequest,
    Plan,
    PlanStep,
    Service,
    Ubnf,
)
from ascms_tui.files import PLAN_DOCUMENT_NOTE, stored_path
from ascms_tui.nzinput import parse_nz_dollars
from ascms_tui.store import Store
from screens.drafts import DraftRestoreScreen
from screens.forms import RecordForm, draft_key
from screens.record_forms import (
    PLAN_RULE,
    BarrierForm,
    ContactForm,
    FileForm,
    InfoRequestForm,
    PlanForm,
    ServiceForm,
    UbnfForm,
)

from .test_forms import (
    CASE_NUMBER,
    SIZE,
    _steady_cursors,
    has_error,
    message,
    notifications,
    open_form,
    quick_app,
    save,
    type_in,
)


@pytest.fixture(autouse=True)
def _own_folders(monkeypatch, tmp_path):
    # Attached files are copied into the data folder: a private one per test.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def journal(store, case_id, since: int) -> list[tuple[str, str]]:
    return [(c.record_type, c.operation) for c in store.changes(case_id=case_id)[since:]]


async def pick(pilot, selector: str, value: str) -> None:
    """Choose a value in a Select (as picking it from the list does)."""
    pilot.app.screen.query_one(selector, Select).value = value
    await pilot.pause()


# --- Contact ------------------------------------------------------------------------------------


async def test_contact_saved_with_details_current_confirmed_today_and_journalled(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "contact")
        assert isinstance(form, ContactForm)
        since = len(app.store.changes(case_id=case.id))
        await type_in(pilot, "#name", "Mere Invented")
        await pick(pilot, "#role", "Whānau member")
        await type_in(pilot, "#phone", "021 555 0199")
        await type_in(pilot, "#email", "mere@example.co.nz")
        await pick(pilot, "#preferred-contact-method", "Text message")
        current = form.query_one("#details-current", Checkbox)
        current.focus()
        await pilot.press("space")  # ticking fills in today as the date they were confirmed
        await pilot.pause()
        assert form.query_one("#details-confirmed-on", Input).value == "30/06/2026"
        assert "Current details held: the whānau engagement measure applies" in str(
            form.query_one("#engagement-note").render())
        await save(pilot)

        assert not isinstance(app.screen, RecordForm)
        assert "Contact saved" in notifications(app)
        saved = next(c for c in app.store.records(Contact, case.id) if c.name == "Mere Invented")
        assert (saved.role, saved.phone, saved.email, saved.preferred_contact_method) == (
            "Whānau member", "021 555 0199", "mere@example.co.nz", "Text message")
        assert saved.details_current and saved.details_confirmed_on == date(2026, 6, 30)
        assert journal(app.store, case.id, since) == [("contact", "create")]
        change = app.store.changes(case_id=case.id)[-1]
        assert change.record_id == saved.id
        assert change.changed_fields["details_current"] == {"old": None, "new": True}
        assert change.changed_fields["details_confirmed_on"]["new"] == "2026-06-30"


async def test_contact_invalid_input_is_explained_and_nothing_is_stored(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "contact")
        since = len(app.store.changes(case_id=case.id))
        await type_in(pilot, "#phone", "call the school")
        await type_in(pilot, "#email", "mere.example.co.nz")
        await type_in(pilot, "#details-confirmed-on", "1/01/2099")
        await save(pilot)

        assert app.screen is form
        assert message(form, "name") == "Name must not be empty"
        assert message(form, "role") == "Role is required: choose who this contact is"
        assert message(form, "phone") == "Phone must be digits, spaces, +, - or brackets, e.g. 021 555 0123"
        assert message(form, "email") == "Email is not an email address like name@example.co.nz"
        assert message(form, "details_confirmed_on") == "Details confirmed on 01/01/2099 is in the future"
        assert "Not saved: 5 fields to fix" in notifications(app)[-1]
        assert journal(app.store, case.id, since) == []
        assert form.query_one("#phone", Input).value == "call the school"  # nothing typed is cleared

        await type_in(pilot, "#name", "Mere Invented")
        await pick(pilot, "#role", "Other professional")
        await type_in(pilot, "#phone", "(07) 555 0100")
        await type_in(pilot, "#email", "")
        await type_in(pilot, "#details-confirmed-on", "")
        await save(pilot)
        assert app.screen is not form
        assert journal(app.store, case.id, since) == [("contact", "create")]


# --- Barrier --------------------------------------------------------------------------------------


async def test_barrier_picked_by_keyboard_saved_and_journalled(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "barrier")
        assert isinstance(form, BarrierForm)
        assert form.query_one("#identified-on", Input).value == "30/06/2026"
        since = len(app.store.changes(case_id=case.id))
        category = form.query_one("#category", Select)
        assert app.focused is category
        await pilot.press("enter", "down", "down", "down", "enter")  # prompt, Health, Anxiety, Transport
        await pilot.pause()
        assert category.value == "Transport"
        await type_in(pilot, "#identified-on", "yesterday")
        await type_in(pilot, "#description", "Bus fares for three children are more than the household can manage.")
        await pilot.press("tab")
        await pilot.pause()
        assert message(form, "identified_on") == "Mon 29 Jun 2026"
        await save(pilot)

        saved = app.store.records(Barrier, case.id)[-1]
        assert (saved.category, saved.status, saved.identified_on) == ("Transport", "Active", date(2026, 6, 29))
        assert saved.description.startswith("Bus fares for three children")
        assert journal(app.store, case.id, since) == [("barrier", "create")]


async def test_barrier_invalid_then_edited_journals_only_what_changed(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "barrier")
        since = len(app.store.changes(case_id=case.id))
        await type_in(pilot, "#identified-on", "32/1/2026")
        await save(pilot)
        assert message(form, "category") == "Category is required: choose the closest one, or Other"
        assert message(form, "identified_on") == "'32/1/2026' is not a date: January 2026 has 31 days"
        assert journal(app.store, case.id, since) == []
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("d")  # discard what was typed
        await pilot.pause()

        existing = app.store.records(Barrier, case.id)[0]
        _, form = await open_form(pilot, "barrier", existing.id)
        assert form.title == "Edit Barrier"
        assert form.query_one("#category", Select).value == existing.category.value
        await pick(pilot, "#status", "Resolved")
        await save(pilot)
        assert app.store.get(Barrier, existing.id).status == "Resolved"
        change = app.store.changes(case_id=case.id)[-1]
        assert (change.record_type, change.operation, change.record_id) == ("barrier", "update", existing.id)
        assert change.changed_fields == {"status": {"old": "Active", "new": "Resolved"}}


async def test_barrier_description_gets_the_wording_advice(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        _, form = await open_form(pilot, "barrier")
        await type_in(pilot, "#description", "Mum is lazy about mornings")
        await pilot.press("tab")
        await pilot.pause()
        advice = form.query_one("#quality-advice")
        assert advice.display and "lazy" in str(advice.render())


# --- Student Plan ------------------------------------------------------------------------------------


def step(form, number: int):
    """The plan form's step line at this place (its widget id keeps the serial it was made with)."""
    return list(form.query("StepField"))[number - 1]


async def fill_step(pilot, number: int, action: str, responsible: str, due: str = "") -> None:
    field = step(pilot.app.screen, number)
    await type_in(pilot, f"#{field.query_one('.step-action').id}", action)
    if responsible:
        field.query_one(Select).value = responsible
    if due:
        await type_in(pilot, f"#{field.query_one('.step-due').id}", due)
    await pilot.pause()


async def test_plan_with_two_steps_set_in_progress_is_counted(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "plan")
        assert isinstance(form, PlanForm)
        plans_before = len(app.store.records(Plan, case.id))
        since = len(app.store.changes(case_id=case.id))
        await type_in(pilot, "#goals", "Naki attends every day by the end of Term 3.")
        await fill_step(pilot, 1, "Morning check-in call", "Provider", "6/7/2026")
        await pilot.press("ctrl+n")  # a second step
        await pilot.pause()
        assert len(form.query("StepField")) == 2
        assert app.focused is list(form.query("StepField"))[1].query_one(".step-action")
        await fill_step(pilot, 2, "Keep school gear at both houses", "Whānau")
        await pick(pilot, "#status", "In Progress")
        assert message(form, "status") == "Counted for reporting: In Progress with 2 steps."
        await save(pilot)

        assert not isinstance(app.screen, RecordForm)
        plans = app.store.records(Plan, case.id)
        assert len(plans) == plans_before + 1
        plan = plans[-1]
        assert (plan.status, plan.goals) == ("In Progress", "Naki attends every day by the end of Term 3.")
        steps = [s for s in app.store.records(PlanStep, case.id) if s.plan_id == plan.id]
        assert [(s.action, s.responsible, s.due_date) for s in steps] == [
            ("Morning check-in call", "Provider", date(2026, 7, 6)),
            ("Keep school gear at both houses", "Whānau", None),
        ]
        assert journal(app.store, case.id, since) == [("plan", "create"), ("plan_step", "create"),
                                                      ("plan_step", "create")]
        assert case.id in app.store.cases_with_counted_plan()


async def test_plan_in_progress_without_a_step_is_refused_and_says_why(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "plan")
        since = len(app.store.changes(case_id=case.id))
        await type_in(pilot, "#goals", "Full days by week 5")
        await pick(pilot, "#status", "In Progress")
        assert has_error(form, "status") and message(form, "status") == PLAN_RULE  # at once, before saving
        await save(pilot)
        assert app.screen is form
        assert journal(app.store, case.id, since) == []
        # A half-filled step is not a step.
        await fill_step(pilot, 1, "Weekly check-in", "", "31/6/2026")
        await save(pilot)
        assert step(form, 1).message == (
            "Choose who is responsible; Due date: '31/6/2026' is not a date: June 2026 has 30 days")
        assert message(form, "status") == PLAN_RULE
        assert journal(app.store, case.id, since) == []
        # As a Draft it saves, the empty goals and all.
        await fill_step(pilot, 1, "Weekly check-in", "School", "30/6/2026")
        await pick(pilot, "#status", "Draft")
        assert "A Draft is not counted for reporting" in message(form, "status")
        await save(pilot)
        assert journal(app.store, case.id, since) == [("plan", "create"), ("plan_step", "create")]


async def test_plan_edit_adds_changes_and_removes_steps_in_one_save(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case = app.store.find_case(CASE_NUMBER)
        plan = next(p for p in app.store.records(Plan, case.id) if p.status == "In Progress")
        old_steps = [s for s in app.store.records(PlanStep, case.id) if s.plan_id == plan.id]
        assert len(old_steps) == 2
        since = len(app.store.changes(case_id=case.id))
        _, form = await open_form(pilot, "plan", plan.id)
        fields = list(form.query("StepField"))
        assert [f.query_one(".step-action", Input).value for f in fields] == [s.action for s in old_steps]
        # Removing every step of an In Progress plan is refused in the form, before the store is asked.
        for field in fields:
            field.query_one(".remove-step").press()
            await pilot.pause()
        await pilot.pause()
        assert len(form.query("StepField")) == 0
        await save(pilot)
        assert message(form, "status") == PLAN_RULE
        assert journal(app.store, case.id, since) == []

        await pilot.press("ctrl+n")
        await pilot.pause()
        await fill_step(pilot, 1, "Attend the Monday whānau hui", "Whānau", "13/7/2026")
        await save(pilot)
        assert app.screen is not form
        steps = [s for s in app.store.records(PlanStep, case.id) if s.plan_id == plan.id]
        assert [s.action for s in steps] == ["Attend the Monday whānau hui"]
        assert sorted(journal(app.store, case.id, since)) == [("plan_step", "create"), ("plan_step", "delete"),
                                                              ("plan_step", "delete")]
        assert app.store.get(Plan, plan.id).status == "In Progress"


# --- Service ---------------------------------------------------------------------------------------


async def test_referral_to_a_multi_agency_forum_linked_to_a_barrier_with_time_spent(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "service")
        assert isinstance(form, ServiceForm)
        barrier = app.store.records(Barrier, case.id)[0]
        since = len(app.store.changes(case_id=case.id))
        await pick(pilot, "#kind", "Multi-agency forum")
        await type_in(pilot, "#agency", "Kirikiriroa Attendance Forum")
        await type_in(pilot, "#follow-up-on", "14/7/2026")
        await type_in(pilot, "#reason", "Care arrangements change during the week.")
        await pick(pilot, "#barrier-id", barrier.id)
        await type_in(pilot, "#hours", "1")
        await type_in(pilot, "#minutes", "15")
        await pilot.press("tab")
        await pilot.pause()
        assert "Time spent: 1 h 15 min" in str(form.query_one("#time-spent").render())
        await save(pilot)

        saved = app.store.records(Service, case.id)[-1]
        assert (saved.kind, saved.agency, saved.status) == ("Multi-agency forum", "Kirikiriroa Attendance Forum",
                                                            "Referred")
        assert (saved.referred_on, saved.follow_up_on) == (date(2026, 6, 30), date(2026, 7, 14))
        assert (saved.barrier_id, saved.hours, saved.minutes) == (barrier.id, 1, 15)
        assert journal(app.store, case.id, since) == [("service", "create")]


async def test_section_19_referral_and_invalid_service_input(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "service")
        since = len(app.store.changes(case_id=case.id))
        await type_in(pilot, "#referred-on", "1/7/2026")
        await type_in(pilot, "#follow-up-on", "20/6/2026")
        await type_in(pilot, "#minutes", "75")
        await save(pilot)
        assert message(form, "kind") == "Kind is required: choose the kind of service"
        assert message(form, "follow_up_on") == "Follow-up date is before Date referred"
        assert message(form, "minutes").startswith("Minutes must be from 0 to 59 (got 75)")
        assert journal(app.store, case.id, since) == []

        await pick(pilot, "#kind", "Oranga Tamariki section 19 referral")
        assert form.query_one("#agency", Input).value == "Oranga Tamariki"  # filled in for its own kind
        await type_in(pilot, "#follow-up-on", "")
        await type_in(pilot, "#minutes", "30")
        await save(pilot)
        saved = app.store.records(Service, case.id)[-1]
        assert (saved.kind, saved.agency, saved.minutes) == ("Oranga Tamariki section 19 referral", "Oranga Tamariki", 30)


# --- UBNF ----------------------------------------------------------------------------------------------


async def test_ubnf_amount_in_dollars_linked_barrier_and_errors(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "ubnf")
        assert isinstance(form, UbnfForm)
        since = len(app.store.changes(case_id=case.id))
        await type_in(pilot, "#amount", "fifty")
        await save(pilot)
        assert message(form, "provided") == "What was provided must not be empty"
        assert message(form, "amount") == "'fifty' is not an amount in dollars. Type an amount like 55.95 or $1,200"
        assert journal(app.store, case.id, since) == []

        barrier = app.store.records(Barrier, case.id)[0]
        await type_in(pilot, "#provided", "School shoes and a raincoat")
        await type_in(pilot, "#amount", "$1,200.5")
        await pilot.press("tab")
        await pilot.pause()
        assert message(form, "amount") == "$1,200.50 NZD"
        await pick(pilot, "#barrier-id", barrier.id)
        await save(pilot)
        saved = app.store.records(Ubnf, case.id)[-1]
        assert (saved.provided, saved.amount, saved.provided_on, saved.barrier_id) == (
            "School shoes and a raincoat", Decimal("1200.50"), date(2026, 6, 30), barrier.id)
        change = app.store.changes(case_id=case.id)[-1]
        assert (change.record_type, change.operation) == ("ubnf", "create")
        assert change.changed_fields["amount"]["new"] == "1200.50"


def test_dollar_amounts_typed_the_nz_way():
    assert parse_nz_dollars("55") == Decimal("55.00")
    assert parse_nz_dollars("NZ$ 40.5") == Decimal("40.50")
    assert parse_nz_dollars("$1,200.50") == Decimal("1200.50")
    for typed, says in (("", "Amount is required"), ("1.234", "more than two digits of cents"),
                        ("-5", "is not an amount"), ("12345678", "$9,999,999.99 at most")):
        with pytest.raises(ValueError, match=says.replace("$", r"\$")):
            parse_nz_dollars(typed)


# --- Info Request --------------------------------------------------------------------------------------


async def test_info_request_to_msd_with_time_spent_and_its_errors(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "info_request")
        assert isinstance(form, InfoRequestForm)
        since = len(app.store.changes(case_id=case.id))
        await type_in(pilot, "#requested-on", "29/6/2026")
        await type_in(pilot, "#answered-on", "1/6/2026")
        await save(pilot)
        assert message(form, "agency") == "Agency is required: choose MSD or Immigration"
        assert message(form, "answered_on") == "Date answered is before Date requested"
        assert journal(app.store, case.id, since) == []

        await pick(pilot, "#agency", "MSD")
        await type_in(pilot, "#answered-on", "30/6/2026")
        await type_in(pilot, "#request", "Current address for the whānau.")
        await type_in(pilot, "#outcome", "Address confirmed.")
        await type_in(pilot, "#minutes", "20")
        await save(pilot)
        saved = app.store.records(InfoRequest, case.id)[-1]
        assert (saved.agency, saved.requested_on, saved.answered_on, saved.minutes) == (
            "MSD", date(2026, 6, 29), date(2026, 6, 30), 20)
        assert (saved.request, saved.outcome) == ("Current address for the whānau.", "Address confirmed.")
        assert journal(app.store, case.id, since) == [("info_request", "create")]


# --- File -----------------------------------------------------------------------------------------------


async def test_attaching_a_plan_document_copies_it_queues_it_and_says_it_is_not_a_plan(demo_db, tmp_path):
    document = tmp_path / "Naki attendance plan.docx"
    document.write_bytes(b"PK\x03\x04 an invented document")
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "file")
        assert isinstance(form, FileForm)
        since = len(app.store.changes(case_id=case.id))
        await type_in(pilot, "#path", str(document))
        await pilot.press("tab")
        await pilot.pause()
        note = form.query_one("#plan-note")
        assert note.display and PLAN_DOCUMENT_NOTE in str(note.render())
        assert message(form, "path").startswith("Naki attendance plan.docx · application/vnd.openxmlformats")
        await type_in(pilot, "#description", "Plan agreed at the whānau hui, signed copy.")
        await save(pilot)

        assert not isinstance(app.screen, RecordForm)
        assert PLAN_DOCUMENT_NOTE in notifications(app)
        saved = app.store.records(CaseFile, case.id)[-1]
        assert (saved.file_name, saved.size_bytes, saved.description) == (
            "Naki attendance plan.docx", document.stat().st_size, "Plan agreed at the whānau hui, signed copy.")
        copy = stored_path(saved)
        assert copy.read_bytes() == document.read_bytes() and copy.is_relative_to(tmp_path / "data")
        assert journal(app.store, case.id, since) == [("file", "create")]  # queued for upload


async def test_a_file_that_is_missing_a_folder_or_too_large_is_refused(demo_db, tmp_path):
    big = tmp_path / "scan.pdf"
    big.touch()
    os.truncate(big, MAX_FILE_BYTES + 1)  # sparse: large, without writing 25 MB
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "file")
        since = len(app.store.changes(case_id=case.id))
        await save(pilot)
        assert message(form, "path") == "Type the path of the file to attach, e.g. ~/Documents/Attendance plan.pdf"
        for typed, says in ((str(tmp_path / "nothing.pdf"), f"There is no file at {tmp_path / 'nothing.pdf'}"),
                            (str(tmp_path), f"{tmp_path} is a folder: type the path of a file in it"),
                            (str(big), "scan.pdf is 25.0 MB; files can be at most 25 MB")):
            await type_in(pilot, "#path", typed)
            await save(pilot)
            assert message(form, "path") == says
        assert journal(app.store, case.id, since) == []


async def test_editing_a_file_changes_only_its_description(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case = app.store.find_case("00202113")
        file = app.store.records(CaseFile, case.id)[0]
        app.open_form("file", case.id, file.id)
        await pilot.pause()
        form = app.screen
        assert form.query_one("#path", Input).disabled
        assert message(form, "path").startswith("application/pdf")
        text = form.query_one("#description", TextArea)
        text.focus()
        text.insert(" Read 30/06.")
        await save(pilot)
        change = app.store.changes(case_id=case.id)[-1]
        assert (change.record_type, change.operation, list(change.changed_fields)) == ("file", "update", ["description"])


# --- drafts of the new forms --------------------------------------------------------------------------


async def test_a_plan_draft_with_its_steps_is_offered_and_restored(demo_db):
    with Store(demo_db) as store:
        case = store.find_case(CASE_NUMBER)
        content = {"goals": "Half-written goals", "status": "In Progress", "review_date": "",
                   "steps": [{"id": "", "action": "Morning call", "responsible": "Provider", "due_date": "",
                              "done": False},
                             {"id": "", "action": "Bus pass", "responsible": "", "due_date": "", "done": False}]}
        store.save_draft(draft_key("plan", case.id, None), "plan", content, case_id=case.id)
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DraftRestoreScreen)
        assert "Unsaved Student Plan for case 00304422" in "\n".join(
            str(option.prompt) for option in app.screen.query_one("OptionList").options)
        await pilot.press("r")
        await pilot.pause()
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PlanForm)
        assert form.read_content() == content
        assert step(form, 2).has_error  # the second step still needs someone responsible
        assert step(form, 2).message == "Choose who is responsible"


# --- how they look (100x30) -------------------------------------------------------------------------------


def _snap(demo_db, snap_compare, kind: str, fill):
    async def run_before(pilot):
        _, form = await open_form(pilot, kind)
        await fill(pilot, form)
        await pilot.press("tab")
        _steady_cursors(form)
        await pilot.pause()

    return snap_compare(quick_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_snapshot_contact_form(demo_db, snap_compare):
    async def fill(pilot, form):
        await type_in(pilot, "#name", "Mere Invented")
        await pick(pilot, "#role", "Whānau member")
        await type_in(pilot, "#phone", "call me")
        form.query_one("#details-current", Checkbox).value = True

    assert _snap(demo_db, snap_compare, "contact", fill)


def test_snapshot_barrier_form(demo_db, snap_compare):
    async def fill(pilot, form):
        await pick(pilot, "#category", "Transport")
        await type_in(pilot, "#description", "Bus fares are more than the household can manage.")

    assert _snap(demo_db, snap_compare, "barrier", fill)


def test_snapshot_plan_form_with_two_steps(demo_db, snap_compare):
    async def fill(pilot, form):
        await type_in(pilot, "#goals", "Naki attends every day by the end of Term 3.")
        await fill_step(pilot, 1, "Morning check-in call", "Provider", "6/7/2026")
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)  # the new line laid out before typing, as a person would wait
        await fill_step(pilot, 2, "Keep school gear at both houses", "Whānau")
        await pick(pilot, "#status", "In Progress")
        form.query_one("#goals").focus()

    assert _snap(demo_db, snap_compare, "plan", fill)


def test_snapshot_service_form(demo_db, snap_compare):
    async def fill(pilot, form):
        await pick(pilot, "#kind", "Multi-agency forum")
        await type_in(pilot, "#agency", "Kirikiriroa Attendance Forum")
        await type_in(pilot, "#follow-up-on", "14/7/2026")

    assert _snap(demo_db, snap_compare, "service", fill)


def test_snapshot_ubnf_form(demo_db, snap_compare):
    async def fill(pilot, form):
        await type_in(pilot, "#provided", "School shoes")
        await type_in(pilot, "#amount", "55.9.5")

    assert _snap(demo_db, snap_compare, "ubnf", fill)


def test_snapshot_info_request_form(demo_db, snap_compare):
    async def fill(pilot, form):
        await pick(pilot, "#agency", "Immigration New Zealand")
        await type_in(pilot, "#request", "Whether the family has left New Zealand.")

    assert _snap(demo_db, snap_compare, "info_request", fill)


def test_snapshot_file_form_with_a_plan_document(demo_db, snap_compare, tmp_path, monkeypatch):
    (tmp_path / "Student plan.pdf").write_bytes(b"%PDF-1.4 invented")
    monkeypatch.chdir(tmp_path)  # a relative path: the same on screen in every run

    async def fill(pilot, form):
        await type_in(pilot, "#path", "Student plan.pdf")

    assert _snap(demo_db, snap_compare, "file", fill)
