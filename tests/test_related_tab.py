"""The case view's Related tab (every record, with add / edit / remove keys) and the case status and owner dialogs."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.command import CommandPalette
from textual.widgets import Input, Select

from ascms_tui.domain import (
    Barrier,
    Case,
    CaseFile,
    Contact,
    Plan,
    PlanStep,
    Service,
    StatusChange,
    Ubnf,
)
from ascms_tui.store import Store
from ascms_tui.timeline import STATUS_CHANGE
from screens.case_dialogs import CaseOwnerDialog, CaseStatusDialog, ConfirmRemoveScreen
from screens.case_view import CaseViewScreen
from screens.forms import RecordForm
from screens.record_forms import FORM_SCREENS
from widgets.case_header import CaseHeader
from widgets.case_records import SECTIONS, RelatedRecords
from widgets.timeline import Timeline

from .conftest import make_app

SIZE = (100, 30)
FULL_CASE = "00202113"  # a record of every type except info requests
PLAIN_CASE = "00304422"  # Naki: contacts, barriers, a plan, a service


@pytest.fixture(autouse=True)
def _own_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_related(pilot, number: str) -> tuple[CaseViewScreen, RelatedRecords]:
    app = pilot.app
    await settle(pilot)
    app.open_case(app.store.find_case(number).id)
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, CaseViewScreen)
    related = screen.query_one(RelatedRecords)
    assert app.focused is related
    return screen, related


async def go_to(pilot, related: RelatedRecords, kind: str) -> None:
    """Jump with ] to a record type's first line, as a user would."""
    for _ in SECTIONS:
        if related.current and related.current[0] == kind:
            return
        await pilot.press("right_square_bracket")
    raise AssertionError(f"no {kind} section")


def plain(renderable) -> list[str]:
    console = Console(width=SIZE[0] - 4, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


def related_text(related: RelatedRecords) -> str:
    return "\n".join(line for option in related.options for line in plain(option.prompt))


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def shown(screen, selector: str) -> str:
    """The text a Static shows (a dialog's lines wrap on screen)."""
    return str(screen.query_one(selector).render())


def changes_since(store, case_id, since):
    return [(c.record_type, c.operation) for c in store.changes(case_id=case_id)[since:]]


# --- what it lists -----------------------------------------------------------------------------


async def test_related_tab_lists_every_record_type_with_counts(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        _, related = await open_related(pilot, FULL_CASE)
        assert related.section_titles == [
            "Contacts · 2", "Barriers · 2", "Student Plans · 1", "Services · 1", "UBNF · 1", "Info Requests · 0",
            "Files · 1", "Events · 10", "Case Comments · 4", "Tasks · 6", "Status history · 2",
        ]
        text = related_text(related)
        for expected in (
            "Leanne Sutherland  Parent / Caregiver   ✓ details current (confirmed 16/03/2026)",
            "Student Plan · In Progress · review 23/04/2026 · 4 steps",
            "☑ Set up a morning routine: alarm, uniform and bag ready the night before",
            "☐ Arrange a bus pass through UBNF — Provider · due 23/04/2026",
            "Learning Support (Ministry of Education) (Government agency) · Referred",
            "Addresses the barrier: Learning needs",
            "Stationery pack and school bag · $55.95",
            "Info Requests · 0   None recorded. a adds an info request.",
            "Case summary from previous system.pdf",
            "Initial School Meeting · 50 min",
            "Shared with school",
            "Provider Queue → Open",
        ):
            assert expected in text
        assert related.current[0] == "contact"  # the first record is highlighted
        assert "Contacts · 2" in screen_text(pilot.app)


async def test_footer_offers_what_fits_the_highlighted_line(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        _, related = await open_related(pilot, FULL_CASE)

        def footer() -> str:
            return screen_text(pilot.app).splitlines()[-1]

        assert "space Current" in footer() and "x Remove" in footer() and "a Add" in footer()
        await go_to(pilot, related, "file")
        await settle(pilot)
        assert "v View" in footer() and "space Current" not in footer()
        await go_to(pilot, related, "info_request")  # an empty type: only adding fits
        await settle(pilot)
        assert "a Add" in footer() and "x Remove" not in footer()
        await go_to(pilot, related, STATUS_CHANGE)  # history: neither edited nor removed here
        await settle(pilot)
        assert "x Remove" not in footer() and "⏎ Edit" not in footer()


# --- adding and editing -----------------------------------------------------------------------------


async def test_a_adds_a_record_of_the_highlighted_type(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen, related = await open_related(pilot, FULL_CASE)
        for section in SECTIONS:
            await go_to(pilot, related, section.kind)
            await pilot.press("a")
            await pilot.pause()
            if section.kind == STATUS_CHANGE:
                assert isinstance(pilot.app.screen, CaseStatusDialog)
            else:
                form = pilot.app.screen
                assert type(form) is FORM_SCREENS[section.kind] and form.record_id is None
                assert form.case_id == screen.case_id
            await pilot.press("escape")  # nothing typed: closes without asking
            await settle(pilot)
            assert pilot.app.screen is screen


async def test_a_barrier_added_from_the_related_tab_is_listed_and_highlighted(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen, related = await open_related(pilot, PLAIN_CASE)
        await go_to(pilot, related, "barrier")
        await pilot.press("a")
        await pilot.pause()
        form = pilot.app.screen
        form.query_one("#category", Select).value = "Housing"
        form.query_one("#description").insert("Whānau are staying with relatives while a house is found.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await settle(pilot)

        assert pilot.app.screen is screen
        saved = pilot.app.store.records(Barrier, screen.case_id)[-1]
        assert related.current == ("barrier", saved.id)  # the new one, ready to look at
        assert "Barriers · 2" in related.section_titles  # Naki had one
        assert "Housing · Active · identified 30/06/2026" in screen_text(pilot.app)
        assert "Not synced" in related_text(related)


async def test_enter_opens_the_highlighted_record_in_its_form(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen, related = await open_related(pilot, FULL_CASE)
        await go_to(pilot, related, "service")
        _, record_id = related.current
        await pilot.press("enter")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, RecordForm) and (form.kind, form.record_id) == ("service", record_id)
        assert form.query_one("#agency", Input).value == "Learning Support (Ministry of Education)"
        await pilot.press("escape")
        await settle(pilot)
        await go_to(pilot, related, STATUS_CHANGE)
        await pilot.press("enter")  # history: stays put
        await pilot.pause()
        assert pilot.app.screen is screen


# --- removing ------------------------------------------------------------------------------------------


async def test_removal_asks_first_and_is_a_journalled_delete(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen, related = await open_related(pilot, FULL_CASE)
        store = pilot.app.store
        await go_to(pilot, related, "ubnf")
        _, grant_id = related.current
        since = len(store.changes(case_id=screen.case_id))

        await pilot.press("x")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmRemoveScreen)
        assert dialog.question == "Remove this UBNF support?"
        assert "Stationery pack and school bag, $55.95" in dialog.detail
        await pilot.press("n")  # keep it
        await settle(pilot)
        assert store.get(Ubnf, grant_id) is not None
        assert changes_since(store, screen.case_id, since) == []

        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot)
        assert store.get(Ubnf, grant_id) is None
        change = store.changes(case_id=screen.case_id)[-1]
        assert (change.record_type, change.operation, change.record_id) == ("ubnf", "delete", grant_id)
        assert change.changed_fields["provided"] == {"old": "Stationery pack and school bag", "new": None}
        assert "UBNF · 0" in related.section_titles
        assert "UBNF support removed." in [n.message for n in pilot.app._notifications]


async def test_removing_a_plan_takes_its_steps_and_a_barrier_keeps_what_it_linked(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen, related = await open_related(pilot, FULL_CASE)
        store = pilot.app.store
        case_id = screen.case_id
        await go_to(pilot, related, "plan")
        _, plan_id = related.current
        await pilot.press("delete")
        await pilot.pause()
        assert "Its 4 steps go with it." in pilot.app.screen.detail
        since = len(store.changes(case_id=case_id))
        await pilot.press("y")
        await settle(pilot)
        assert store.get(Plan, plan_id) is None and store.records(PlanStep, case_id) == []
        assert changes_since(store, case_id, since) == [("plan_step", "delete")] * 4 + [("plan", "delete")]

        await settle(pilot)
        await go_to(pilot, related, "barrier")
        service = store.records(Service, case_id)[0]
        await related_highlight(pilot, related, service.barrier_id)
        await pilot.press("x")
        await pilot.pause()
        assert "Services and UBNF support linked to it stay; only the link goes." in pilot.app.screen.detail
        await pilot.press("y")
        await settle(pilot)
        assert store.get(Service, service.id).barrier_id is None


async def related_highlight(pilot, related: RelatedRecords, record_id: str) -> None:
    assert related.highlight_record(record_id)
    await pilot.pause()


# --- contacts: details current ------------------------------------------------------------------------


async def test_space_marks_a_contacts_details_current_today_and_back(demo_db):
    with Store(demo_db) as store:
        number, contact = next(
            (case.case_number, c) for case in store.cases() for c in store.records(Contact, case.id)
            if not c.details_current and case.case_number != FULL_CASE
        )
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen, related = await open_related(pilot, number)
        await related_highlight(pilot, related, contact.id)
        await pilot.press("space")
        await settle(pilot)
        await settle(pilot)
        store = pilot.app.store
        now = store.get(Contact, contact.id)
        assert now.details_current and now.details_confirmed_on.isoformat() == "2026-06-30"
        change = store.changes(case_id=screen.case_id)[-1]
        assert (change.record_type, change.operation) == ("contact", "update")
        assert change.changed_fields["details_current"] == {"old": False, "new": True}
        assert related.current == ("contact", contact.id)  # still on it
        assert "✓ details current (confirmed 30/06/2026)" in related_text(related)

        await pilot.press("space")
        await settle(pilot)
        await settle(pilot)
        now = store.get(Contact, contact.id)
        assert not now.details_current and now.details_confirmed_on.isoformat() == "2026-06-30"  # when last confirmed


async def test_hostile_names_are_shown_and_said_literally(demo_db):
    hostile = "Aroha [/foo] [bold]x[/bold]"
    with Store(demo_db) as store:
        case = store.find_case(PLAIN_CASE)
        contact = store.create(Contact(case_id=case.id, name=hostile + "\x1b[2J", role="Whānau member"))
        store.update(Case, case.id, {"case_owner": "Ana [/i]"})
    assert contact.name == hostile  # the escape sequence is gone on the way in
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        _, related = await open_related(pilot, PLAIN_CASE)
        assert hostile + "  Whānau member" in related_text(related)
        await related_highlight(pilot, related, contact.id)
        await pilot.press("space")  # the notice names the contact: no markup parsed, no crash
        await settle(pilot)
        await settle(pilot)
        assert f"{hostile}: details current, confirmed 30/06/2026." in [n.message for n in pilot.app._notifications]
        await pilot.press("x")
        await pilot.pause()
        assert pilot.app.screen.detail.startswith(f"{hostile} (Whānau member)")
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("ctrl+s")  # unchanged owner "Ana [/i]" saved and announced literally
        await settle(pilot)
        assert "Case 00304422: case owner Ana [/i]." in [n.message for n in pilot.app._notifications]
        assert "Aroha [/foo] [bold]x[/bold]" in screen_text(pilot.app)


# --- files ----------------------------------------------------------------------------------------------


async def test_viewing_a_file_whose_copy_is_not_here_says_so(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        _, related = await open_related(pilot, FULL_CASE)
        await go_to(pilot, related, "file")
        await pilot.press("v")
        await settle(pilot)
        messages = [n.message for n in pilot.app._notifications]
        assert any("The copy of Case summary from previous system.pdf is not on this laptop" in m for m in messages)


async def test_an_attached_file_is_listed_as_queued_for_upload_and_removal_takes_its_copy(demo_db, tmp_path):
    from ascms_tui.files import attach_file, stored_path

    document = tmp_path / "Enrolment form.pdf"
    document.write_bytes(b"%PDF-1.4 invented")
    with Store(demo_db) as store:
        attached = attach_file(store, store.find_case(PLAIN_CASE).id, document, "Signed enrolment form")
    copy = stored_path(attached)
    assert copy.exists()
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        _, related = await open_related(pilot, PLAIN_CASE)
        assert "Enrolment form.pdf · application/pdf" in related_text(related)
        assert "Queued for upload" in related_text(related)
        await related_highlight(pilot, related, attached.id)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.store.get(CaseFile, attached.id) is None
        assert not copy.exists()


# --- case status and owner ------------------------------------------------------------------------------


async def test_closing_a_case_needs_a_reason_and_shows_on_the_timeline(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen, _ = await open_related(pilot, PLAIN_CASE)
        store = pilot.app.store
        since = len(store.changes(case_id=screen.case_id))
        await pilot.press("s")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, CaseStatusDialog)
        to_status = dialog.query_one("#to-status", Select)
        assert [value for _, value in to_status._options if value is not Select.NULL] == [
            "Paused", "Transition", "Closed"]  # only what AS-CMS allows from Open
        assert "From Open it can go to Paused, Transition, Closed." in shown(dialog, ".dialog-detail")

        assert pilot.app.focused is to_status
        await pilot.press("enter", "down", "down", "down", "enter")  # the prompt, Paused, Transition, Closed
        await pilot.pause()
        assert to_status.value == "Closed"
        assert shown(dialog, "#field-reason .field-message") == "Moving a case to Closed needs a reason."
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert pilot.app.screen is dialog
        assert shown(dialog, "#field-reason .field-message") == (
            "Choose why the case is closed (for example Enrolled, or Not located).")
        assert changes_since(store, screen.case_id, since) == []

        dialog.query_one("#reason", Select).value = "Enrolled"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await settle(pilot)
        assert pilot.app.screen is screen
        case = store.get(Case, screen.case_id)
        assert (case.status, case.status_reason) == ("Closed", "Enrolled")
        assert changes_since(store, screen.case_id, since) == [("case", "update"), ("status_change", "create")]
        [change] = [c for c in store.records(StatusChange, screen.case_id) if c.to_status == "Closed"]
        assert change.reason == "Enrolled"
        assert " Closed " in screen.query_one(CaseHeader).text

        await pilot.press("1")
        await settle(pilot)
        newest = screen.query_one(Timeline).shown_entries
        closing = next(e for e in newest if e.kind == STATUS_CHANGE and e.title == "Open → Closed")
        assert closing.body == "Reason: Enrolled"
        assert "Open → Closed" in screen_text(pilot.app)

        await pilot.press("s")  # a closed case can only be reopened
        await pilot.pause()
        options = pilot.app.screen.query_one("#to-status", Select)._options
        assert [value for _, value in options if value is not Select.NULL] == ["Open"]


async def test_a_case_in_the_provider_queue_opens_without_a_reason(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen, _ = await open_related(pilot, "00304667")  # in the Provider Queue
        await pilot.press("s")
        await pilot.pause()
        dialog = pilot.app.screen
        assert [v for _, v in dialog.query_one("#to-status", Select)._options if v is not Select.NULL] == [
            "Open", "Closed"]
        dialog.query_one("#to-status", Select).value = "Open"
        await pilot.pause()
        assert dialog.query_one("#reason", Select).disabled
        assert shown(dialog, "#field-reason .field-message") == "No reason is needed to move to Open."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.store.get(Case, screen.case_id).status == "Open"


async def test_owner_dialog_assigns_the_case_to_me_and_journals_it(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen, _ = await open_related(pilot, FULL_CASE)  # migrated, no owner
        store = pilot.app.store
        since = len(store.changes(case_id=screen.case_id))
        await pilot.press("o")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, CaseOwnerDialog)
        assert "The migrated-cases measure counts a case only once it has a case owner." in shown(
            dialog, ".dialog-detail")
        owner = dialog.query_one("#owner", Input)
        owner.insert_text_at_cursor("x" * 256)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert pilot.app.screen is dialog
        assert shown(dialog, "#field-owner .field-message") == (
            "Case owner is 256 characters long; AS-CMS accepts at most 255")

        await pilot.press("ctrl+o")  # assign to me
        await pilot.pause()
        assert owner.value == "Kiri Tomlinson"
        await pilot.press("enter")  # Enter in the name saves too
        await settle(pilot)
        await settle(pilot)
        assert pilot.app.screen is screen
        assert store.get(Case, screen.case_id).case_owner == "Kiri Tomlinson"
        assert changes_since(store, screen.case_id, since) == [("case", "update")]
        assert store.changes(case_id=screen.case_id)[-1].changed_fields == {
            "case_owner": {"old": None, "new": "Kiri Tomlinson"}}
        assert "Case owner Kiri Tomlinson" in screen.query_one(CaseHeader).text


# --- the palette ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "expected"), [
    ("Add barrier for this case", "BarrierForm"),
    ("Add Plan (Student Plan) for this case", "PlanForm"),
    ("Attach a file for this case", "FileForm"),
    ("Change case status", "CaseStatusDialog"),
    ("Change case owner", "CaseOwnerDialog"),
])
async def test_palette_commands_for_the_case_record(demo_db, command, expected):
    async with make_app(demo_db, offer_drafts=False).run_test(size=SIZE) as pilot:
        screen, _ = await open_related(pilot, PLAIN_CASE)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(pilot.app.screen, CommandPalette)
        await pilot.press(*command)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == expected
        assert pilot.app.screen.case_id == screen.case_id


# --- how it looks (100x30) ---------------------------------------------------------------------------------


def _related(number: str, *keys: str):
    async def run_before(pilot):
        await open_related(pilot, number)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot)

    return run_before


def test_snapshot_related_100x30(demo_db, snap_compare):
    assert snap_compare(make_app(demo_db), terminal_size=SIZE, run_before=_related(FULL_CASE))


def test_snapshot_related_at_services_100x30(demo_db, snap_compare):
    assert snap_compare(make_app(demo_db), terminal_size=SIZE,
                        run_before=_related(FULL_CASE, *["right_square_bracket"] * 3))


def test_snapshot_status_dialog(demo_db, snap_compare):
    async def run_before(pilot):
        await open_related(pilot, PLAIN_CASE)
        await pilot.press("s")
        await pilot.pause()
        pilot.app.screen.query_one("#to-status", Select).value = "Closed"
        await pilot.press("ctrl+s")  # no reason yet
        await pilot.pause()

    assert snap_compare(make_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_snapshot_owner_dialog(demo_db, snap_compare):
    async def run_before(pilot):
        await open_related(pilot, FULL_CASE)
        await pilot.press("o")
        await pilot.pause()
        pilot.app.screen.query_one("#owner", Input).cursor_blink = False

    assert snap_compare(make_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_snapshot_remove_confirmation(demo_db, snap_compare):
    async def run_before(pilot):
        _, related = await open_related(pilot, FULL_CASE)
        await go_to(pilot, related, "barrier")
        await pilot.press("x")
        await pilot.pause()

    assert snap_compare(make_app(demo_db), terminal_size=SIZE, run_before=run_before)
