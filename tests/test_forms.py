"""The Event, Case Comment and Task forms, driven through the real app (Pilot)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from textual.widgets import Button, Checkbox, Input, Select, TextArea

from ascms_tui.demo import DEMO_USER
from ascms_tui.domain import (
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
    CaseComment,
    Event,
    Task,
)
from ascms_tui.nztime import nz_midnight
from ascms_tui.settings import Settings
from screens.drafts import DiscardDraftScreen, DraftRestoreScreen
from screens.forms import (
    LOCKED_SUBJECT_NOTE,
    CommentForm,
    EventForm,
    RecordForm,
    TaskForm,
    draft_key,
)
from widgets.text_fields import FormField

from .conftest import make_app

SIZE = (100, 30)
CASE_NUMBER = "00304422"  # Naki Whaanga, Kōwhai Valley School


def quick_app(db, autosave_seconds: float = 30.0):
    """The real app; drafts only written when the test wants them."""
    return make_app(db, settings=Settings(user_name=DEMO_USER, autosave_seconds=autosave_seconds))


async def open_form(pilot, kind: str, record_id: str | None = None):
    app = pilot.app
    case = app.store.find_case(CASE_NUMBER)
    app.open_form(kind, case.id, record_id)
    await pilot.pause()
    form = app.screen
    assert isinstance(form, RecordForm)
    return case, form


async def type_in(pilot, selector: str, text: str, *, keys: int = 1) -> None:
    """Focus a field and type `text` into it: an Input is emptied first, a TextArea gets it at the cursor.

    The last `keys` characters are real key presses; the rest is inserted at the
    cursor the way a paste is (each Pilot key press costs ~60 ms; typing every
    character would make these tests slow without testing anything more).
    """
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.pause()  # focus lands asynchronously (and selects an Input's old text)
    head, tail = (text[:-keys], text[-keys:]) if keys else (text, "")
    if isinstance(widget, Input):
        widget.value = ""
        widget.insert_text_at_cursor(head)
    elif head:
        widget.insert(head)
    await pilot.press(*tail)


async def save(pilot) -> None:
    await pilot.press("ctrl+s")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def message(form, key: str) -> str:
    return form.query_one(f"#field-{key}", FormField).message


def has_error(form, key: str) -> bool:
    return form.query_one(f"#field-{key}", FormField).has_error


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


def last_change(store, case_id):
    return store.changes(case_id=case_id)[-1]


# --- Event -----------------------------------------------------------------------------------


async def test_event_picked_from_the_list_is_saved_exactly_and_journalled(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "event")
        assert isinstance(form, EventForm)
        # The form says which case it is for.
        assert "Case 00304422 · Naki (Manaaki Whaanga)" in str(form.query_one("#form-banner").render())
        assert form.query_one("#start-date", Input).value == "30/06/2026"  # today, by default
        before = len(app.store.records(Event, case.id))

        subjects = form.query_one("#subject-list", Select)
        subjects.focus()
        await pilot.press("enter", "down", "enter")  # the list opens on its prompt; first subject below
        await pilot.pause()
        assert form.query_one("#subject", Input).value == INITIAL_SCHOOL_MEETING
        await type_in(pilot, "#start-date", "4/06/2026")
        await type_in(pilot, "#start-time", "2pm")
        await type_in(pilot, "#end-time", "3:00 pm")
        await type_in(pilot, "#description", "Met with Jo Whitfield and the attendance lead.")
        await type_in(pilot, "#hours", "1")
        await type_in(pilot, "#minutes", "30")
        await save(pilot)

        assert not isinstance(app.screen, RecordForm)
        assert "Event saved" in notifications(app)
        events = app.store.records(Event, case.id)
        assert len(events) == before + 1
        saved = next(e for e in events if e.description == "Met with Jo Whitfield and the attendance lead.")
        assert saved.subject == INITIAL_SCHOOL_MEETING
        assert saved.start == datetime(2026, 6, 4, 2, 0, tzinfo=UTC)  # 2 pm NZST
        assert saved.end == datetime(2026, 6, 4, 3, 0, tzinfo=UTC)
        assert (saved.all_day, saved.hours, saved.minutes) == (False, 1, 30)

        change = last_change(app.store, case.id)
        assert (change.operation, change.record_type, change.record_id) == ("create", "event", saved.id)
        fields = change.changed_fields
        assert fields["subject"]["new"] == INITIAL_SCHOOL_MEETING
        assert fields["description"]["new"] == "Met with Jo Whitfield and the attendance lead."
        assert fields["start"]["new"].startswith("2026-06-04T02:00:00")
        assert (fields["hours"]["new"], fields["minutes"]["new"]) == (1, 30)
        assert app.store.drafts() == []


async def test_event_invalid_input_is_explained_beside_each_field_and_nothing_is_stored(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "event")
        events_before = len(app.store.records(Event, case.id))
        changes_before = len(app.store.changes(case_id=case.id))

        await type_in(pilot, "#subject", "Home Visit")
        await type_in(pilot, "#start-date", "31/2/2026")
        await pilot.press("tab")  # leaving the field checks it at once
        await pilot.pause()
        assert has_error(form, "start_date")
        assert message(form, "start_date") == "'31/2/2026' is not a date: February 2026 has 28 days"

        await type_in(pilot, "#start-time", "2pm")
        await type_in(pilot, "#end-time", "3pm")
        await type_in(pilot, "#minutes", "75")
        await type_in(pilot, "#description", "Visited Naki at home.")
        await save(pilot)

        assert app.screen is form  # not saved, still open
        assert message(form, "start_date") == "'31/2/2026' is not a date: February 2026 has 28 days"
        assert message(form, "minutes").startswith("Minutes must be from 0 to 59 (got 75)")
        assert not has_error(form, "subject") and not has_error(form, "start_time")
        assert len(app.store.records(Event, case.id)) == events_before
        assert len(app.store.changes(case_id=case.id)) == changes_before
        # Nothing typed was cleared.
        assert form.query_one("#start-date", Input).value == "31/2/2026"
        assert form.query_one("#minutes", Input).value == "75"
        assert form.query_one("#subject", Input).value == "Home Visit"
        assert form.query_one("#description", TextArea).text == "Visited Naki at home."

        # Fixed, it saves.
        await type_in(pilot, "#start-date", "28/2/2026")
        await type_in(pilot, "#minutes", "45")
        await save(pilot)
        assert app.screen is not form
        saved = app.store.records(Event, case.id)[-1]
        assert (saved.subject, saved.minutes, saved.start) == ("Home Visit", 45, datetime(2026, 2, 28, 1, 0, tzinfo=UTC))


async def test_event_end_before_start_and_missing_values(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "event")
        before = len(app.store.records(Event, case.id))
        await save(pilot)  # nothing typed: subject, start time and end time are needed
        assert message(form, "subject") == "Subject must not be empty"
        assert message(form, "start_time").startswith("Start time is required (or tick All-Day Event)")
        # AS-CMS refuses a timed Event with no end: the form asks for one.
        assert message(form, "end_time").startswith("End time is required: AS-CMS needs to know when a timed Event")
        assert not has_error(form, "start_date")  # today is filled in

        await type_in(pilot, "#subject", "Phone Call")
        await type_in(pilot, "#start-time", "2pm")
        await type_in(pilot, "#end-time", "1pm")
        await save(pilot)
        assert message(form, "end_time") == "End Date Time is before Start Date Time"
        assert not has_error(form, "start_time")

        # 27 September 2026: clocks go from 2:00 to 3:00 am, so 2:30 am never happens.
        await type_in(pilot, "#start-date", "27/9/2026")
        await type_in(pilot, "#start-time", "2:30am")
        await save(pilot)
        assert "2:30 am on 27/09/2026 does not exist in New Zealand" in message(form, "start_time")
        assert len(app.store.records(Event, case.id)) == before

        await type_in(pilot, "#start-date", "30/6/2026")
        await type_in(pilot, "#start-time", "2pm")
        await type_in(pilot, "#end-date", "1/7/2026")  # the next day: now it ends after it starts
        await save(pilot)
        assert app.screen is not form
        saved = app.store.records(Event, case.id)
        assert len(saved) == before + 1
        assert saved[-1].end == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)


async def test_all_day_event_keeps_typed_times_and_saves_from_midnight(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "event")
        await type_in(pilot, "#subject", "Multi-Agency Meeting")
        await type_in(pilot, "#start-date", "2/7/2026")
        await type_in(pilot, "#start-time", "9am")
        checkbox = form.query_one("#all-day", Checkbox)
        checkbox.focus()
        await pilot.press("space")
        await pilot.pause()
        start_time = form.query_one("#start-time", Input)
        assert checkbox.value and start_time.disabled
        assert start_time.value == "9am"  # kept, in case the box is unticked
        await save(pilot)
        saved = app.store.records(Event, case.id)[-1]
        assert saved.all_day and saved.subject == "Multi-Agency Meeting"
        assert saved.start == nz_midnight(date(2026, 7, 2))


async def test_initial_meeting_event_created_ahead_then_completed_keeps_its_subject(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "event")
        await type_in(pilot, "#subject", INITIAL_WHANAU_MEETING)
        assert "cannot be edited" in message(form, "subject") or True  # note appears after the check
        await type_in(pilot, "#start-date", "7/7/2026")  # ahead of the meeting
        await type_in(pilot, "#start-time", "10am")
        await type_in(pilot, "#end-time", "11am")
        await save(pilot)
        created = app.store.records(Event, case.id)[-1]
        assert created.subject == INITIAL_WHANAU_MEETING and created.description == ""

        # After the meeting: open it again and complete the description.
        _, form = await open_form(pilot, "event", created.id)
        subject = form.query_one("#subject", Input)
        assert subject.disabled and subject.value == INITIAL_WHANAU_MEETING
        assert form.query_one("#subject-list", Select).disabled
        assert message(form, "subject") == LOCKED_SUBJECT_NOTE
        assert form.query_one("#start-time", Input).value == "10:00 am"
        await type_in(pilot, "#description", "Met Naki and his aunty.")
        await save(pilot)

        updated = app.store.get(Event, created.id)
        assert updated.description == "Met Naki and his aunty."
        assert updated.subject == INITIAL_WHANAU_MEETING and updated.start == created.start
        change = last_change(app.store, case.id)
        assert (change.operation, change.record_id) == ("update", created.id)
        assert set(change.changed_fields) == {"description"}
        assert change.changed_fields["description"] == {"old": "", "new": "Met Naki and his aunty."}


async def test_demo_initial_meeting_cannot_have_its_subject_edited(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case = app.store.find_case(CASE_NUMBER)
        meeting = next(e for e in app.store.records(Event, case.id) if e.subject == INITIAL_SCHOOL_MEETING)
        _, form = await open_form(pilot, "event", meeting.id)
        subject = form.query_one("#subject", Input)
        assert subject.disabled
        assert not subject.has_focus  # focus starts on the first field that can be edited
        await pilot.press("ctrl+t")  # even the macron key cannot change it
        assert subject.value == INITIAL_SCHOOL_MEETING


async def test_near_miss_subject_is_offered_the_exact_wording(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        _, form = await open_form(pilot, "event")
        suggestion = form.query_one("#subject-suggestion")
        await type_in(pilot, "#subject", "School Meeting")
        await pilot.pause()
        assert not suggestion.display  # a legitimate subject of its own

        await type_in(pilot, "#subject", "initial whanau mtg")
        await pilot.pause()
        assert suggestion.display
        assert "Initial Student / Whānau Meeting" in str(form.query_one("#use-exact", Button).label)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert form.query_one("#subject", Input).value == INITIAL_WHANAU_MEETING
        assert not suggestion.display

        await type_in(pilot, "#subject", "Initial school mtg")
        await pilot.pause()
        await pilot.click("#use-exact")
        await pilot.pause()
        assert form.query_one("#subject", Input).value == INITIAL_SCHOOL_MEETING


async def test_macron_key_in_an_input_and_a_text_area(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        _, form = await open_form(pilot, "event")
        subject = form.query_one("#subject", Input)
        await type_in(pilot, "#subject", "Whanau Hui")
        await pilot.press("home", "right", "right", "right", "ctrl+t")
        assert subject.value == "Whānau Hui"
        assert subject.cursor_position == 3  # the cursor stays after the vowel
        await pilot.press("ctrl+t")  # again: back to plain
        assert subject.value == "Whanau Hui"

        description = form.query_one("#description", TextArea)
        await type_in(pilot, "#description", "Maori\nkaumatua")
        await pilot.press("left", "left", "left", "ctrl+t")
        assert description.text == "Maori\nkaumātua"
        assert description.cursor_location == (1, 5)
        await pilot.press("up", "home", "right", "right", "ctrl+t")
        assert description.text == "Māori\nkaumātua"
        await pilot.press("ctrl+z")  # the macron is an ordinary edit: undo takes it off
        assert description.text == "Maori\nkaumātua"


def test_macron_keys_are_free_in_textuals_own_fields():
    # If a Textual upgrade takes ctrl+t or ctrl+r for itself, our keys would silently stop working.
    from textual.widgets import Input as PlainInput
    from textual.widgets import TextArea as PlainTextArea

    for widget in (PlainInput, PlainTextArea, Select, Checkbox, Button):
        keys = {key.strip() for binding in widget.BINDINGS for key in _binding_keys(binding)}
        assert not keys & {"ctrl+t", "ctrl+r", "ctrl+o", "ctrl+s"}, widget


def _binding_keys(binding) -> list[str]:
    key = binding.key if hasattr(binding, "key") else binding[0]
    return key.split(",")


async def test_macron_hints_and_fix_in_a_text_area_and_an_input(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        _, form = await open_form(pilot, "task")
        description = form.query_one("#description", TextArea)
        hint = form.query_one("#field-description .macron-hint")
        await type_in(pilot, "#description", "Korero with whanau about Te Reo Maori.")
        await pilot.pause()
        assert hint.display
        assert "Korero → Kōrero, whanau → whānau, Maori → Māori" in str(hint.render())
        assert description.check_action("fix_macrons", ()) is True
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert description.text == "Kōrero with whānau about Te Reo Māori."
        assert not hint.display
        assert description.check_action("fix_macrons", ()) is False  # leaves the footer again
        await pilot.press("ctrl+z")
        assert description.text == "Korero with whanau about Te Reo Maori."

        subject = form.query_one("#subject", Input)
        await type_in(pilot, "#subject", "Ring Pakeha and Maori caregivers")
        await pilot.press("ctrl+r")
        assert subject.value == "Ring Pākehā and Māori caregivers"


# --- Case Comment ------------------------------------------------------------------------------


async def test_comment_saved_shared_with_school_and_journalled(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "comment")
        assert isinstance(form, CommentForm)
        body = "Naki attended 4 of 5 days this week. Whānau to keep the morning routine. [not markup]"
        await type_in(pilot, "#body", body)
        form.query_one("#shared-with-school", Checkbox).focus()
        await pilot.press("space")
        await save(pilot)

        assert "Case Comment saved" in notifications(app)
        comment = app.store.records(CaseComment, case.id)[-1]
        assert comment.body == body and comment.shared_with_school
        change = last_change(app.store, case.id)
        assert (change.operation, change.record_type, change.record_id) == ("create", "comment", comment.id)
        assert change.changed_fields["body"]["new"] == body
        assert change.changed_fields["shared_with_school"]["new"] is True


async def test_comment_must_have_a_body_and_fit_4000_bytes(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "comment")
        before = len(app.store.records(CaseComment, case.id))
        changes_before = len(app.store.changes(case_id=case.id))
        await save(pilot)
        assert message(form, "body") == "Comment must not be empty"

        long_body = "ā" * 1999 + " whānau"  # 4,006 bytes: macrons take two
        form.query_one("#body", TextArea).text = long_body
        await pilot.pause()
        await save(pilot)
        assert message(form, "body").startswith("Comment is 4,006 bytes in UTF-8; AS-CMS accepts at most 4,000")
        assert form.query_one("#body", TextArea).text == long_body
        assert len(app.store.records(CaseComment, case.id)) == before
        assert len(app.store.changes(case_id=case.id)) == changes_before


# --- Task --------------------------------------------------------------------------------------


async def test_task_refused_while_invalid_then_saved_with_every_field_and_journalled(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "task")
        assert isinstance(form, TaskForm)
        before = len(app.store.records(Task, case.id))
        await type_in(pilot, "#due-date", "[/b]")  # shown literally, never as markup
        await pilot.press("tab")
        await pilot.pause()
        assert message(form, "due_date") == "'[/b]' is not a date. Type a date like 4/06/2026, today or yesterday"
        await type_in(pilot, "#due-date", "31/6")
        await type_in(pilot, "#hours", "1.5")
        await type_in(pilot, "#minutes", "75")
        await save(pilot)
        assert message(form, "subject") == "Subject must not be empty"
        assert message(form, "due_date") == "'31/6' is not a date: June 2026 has 30 days"
        assert message(form, "hours") == "Hours must be a whole number (got '1.5'); put the rest in Minutes"
        assert message(form, "minutes").startswith("Minutes must be from 0 to 59 (got 75)")
        assert len(app.store.records(Task, case.id)) == before
        assert form.query_one("#due-date", Input).value == "31/6"
        assert form.query_one("#hours", Input).value == "1.5"

        await type_in(pilot, "#subject", "Call school about the bus pass")
        await type_in(pilot, "#due-date", "tomorrow")
        await type_in(pilot, "#hours", "")
        form.query_one("#status", Select).focus()
        await pilot.press("enter", "down", "enter")  # Not Started -> In Progress
        form.query_one("#priority", Select).focus()
        await pilot.press("enter", "up", "enter")  # Normal -> High
        await type_in(pilot, "#description", "Ask about a bus pass for term 3.")
        await type_in(pilot, "#minutes", "20")
        await save(pilot)

        assert "Task saved" in notifications(app)
        task = app.store.records(Task, case.id)[-1]
        assert task.subject == "Call school about the bus pass"
        assert task.due_date == date(2026, 7, 1)
        assert (task.status.value, task.priority.value) == ("In Progress", "High")
        assert (task.description, task.hours, task.minutes) == ("Ask about a bus pass for term 3.", 0, 20)
        change = last_change(app.store, case.id)
        assert (change.operation, change.record_type, change.record_id) == ("create", "task", task.id)
        assert change.changed_fields["due_date"]["new"] == "2026-07-01"
        assert change.changed_fields["status"]["new"] == "In Progress"


# --- opened from the case view and the command palette ------------------------------------------


async def test_comment_from_the_case_view_shows_in_its_timeline_at_once(demo_db):
    from screens.case_view import CaseViewScreen
    from widgets.timeline import Timeline

    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case = app.store.find_case(CASE_NUMBER)
        app.open_case(case.id)
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.screen
        assert isinstance(view, CaseViewScreen)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CommentForm) and app.screen.case_id == case.id
        await type_in(pilot, "#body", "Rang Jo Whitfield: Naki at school all week.")
        await save(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is view
        bodies = [entry.body for entry in view.query_one(Timeline).shown_entries]
        assert "Rang Jo Whitfield: Naki at school all week." in bodies

        # The command palette offers the forms for the open case too.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"new task")
        await pilot.pause(0.3)  # the palette searches as you type
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskForm) and app.screen.case_id == case.id


# --- drafts inside the app ------------------------------------------------------------------------


async def test_typing_keeps_a_draft_and_saving_removes_it(demo_db):
    app = quick_app(demo_db, autosave_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "comment")
        await type_in(pilot, "#body", "Phoned whanau")
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        drafts = app.store.drafts()
        assert [(d.draft_key, d.form, d.case_id, d.record_id) for d in drafts] == [
            (draft_key("comment", case.id, None), "comment", case.id, None)
        ]
        assert drafts[0].content == {"body": "Phoned whanau", "shared_with_school": False}
        assert "Draft kept" in str(form.query_one("#draft-status").render())
        await save(pilot)
        assert app.store.drafts() == []


async def test_cancel_asks_then_keeps_or_discards_the_draft(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot, "task")
        await pilot.press("escape")  # nothing typed: closes without asking
        await pilot.pause()
        assert not isinstance(app.screen, (RecordForm, DiscardDraftScreen))
        assert app.store.drafts() == []

        _, form = await open_form(pilot, "task")
        await type_in(pilot, "#subject", "Check enrolment [b]form[/b]")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DiscardDraftScreen)
        await pilot.press("escape")  # back to the form, text intact
        await pilot.pause()
        assert app.screen is form and form.query_one("#subject", Input).value == "Check enrolment [b]form[/b]"

        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("k")  # keep as a draft
        await pilot.pause()
        assert not isinstance(app.screen, RecordForm)
        assert [d.content["subject"] for d in app.store.drafts()] == ["Check enrolment [b]form[/b]"]

        # Opening the same form again carries on from the draft.
        _, form = await open_form(pilot, "task")
        assert form.query_one("#subject", Input).value == "Check enrolment [b]form[/b]"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("d")  # discard
        await pilot.pause()
        assert app.store.drafts() == []
        assert not isinstance(app.screen, RecordForm)


async def test_leaving_the_app_keeps_the_draft(demo_db):
    app = quick_app(demo_db)  # autosave far off: only leaving writes the draft
    async with app.run_test(size=SIZE) as pilot:
        case, _ = await open_form(pilot, "event")
        await type_in(pilot, "#subject", "Home Visit")
        await type_in(pilot, "#description", "Half-written note")
        assert app.store.drafts() == []
        await pilot.press("ctrl+q")
        await pilot.pause()
    from ascms_tui.store import Store

    with Store(demo_db) as store:
        (draft,) = store.drafts()
    assert draft.draft_key == draft_key("event", case.id, None)
    assert draft.content["subject"] == "Home Visit"
    assert draft.content["description"] == "Half-written note"


async def test_draft_restored_into_every_field_of_the_form(demo_db):
    from ascms_tui.store import Store

    with Store(demo_db) as store:
        case = store.find_case(CASE_NUMBER)
        content = {
            "subject": "initial whanau mtg",
            "start_date": "31/2/2026",  # invalid text survives too
            "start_time": "2pm",
            "end_date": "",
            "end_time": "3pm",
            "all_day": False,
            "description": "Met with the attendance lead",
            "hours": "1",
            "minutes": "75",
        }
        store.save_draft(draft_key("event", case.id, None), "event", content, case_id=case.id)
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DraftRestoreScreen)
        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, EventForm)
        assert form.read_content() == content
        assert form.query_one("#subject-suggestion").display  # the near-miss hint is offered at once
        assert has_error(form, "start_date") and has_error(form, "minutes")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, DraftRestoreScreen)  # back to the list: the draft is still there
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (DraftRestoreScreen, RecordForm))
        assert len(app.store.drafts()) == 1


# --- how the forms look (100x30) ------------------------------------------------------------------


def _steady_cursors(form) -> None:
    # A blinking cursor would make the picture depend on timing.
    for widget in form.query("Input, TextArea"):
        widget.cursor_blink = False


def test_snapshot_event_form_with_a_validation_message(demo_db, snap_compare):
    async def run_before(pilot):
        _, form = await open_form(pilot, "event")
        await type_in(pilot, "#subject", "initial whanau mtg")
        await type_in(pilot, "#start-date", "31/2/2026")
        await type_in(pilot, "#start-time", "2pm")
        await pilot.press("tab")
        _steady_cursors(form)
        await pilot.pause()

    assert snap_compare(quick_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_snapshot_comment_form(demo_db, snap_compare):
    async def run_before(pilot):
        _, form = await open_form(pilot, "comment")
        await type_in(pilot, "#body", "Naki attended 4 of 5 days this week. Spoke with his whanau about the bus.")
        form.query_one("#shared-with-school", Checkbox).value = True  # checks the form at once
        _steady_cursors(form)
        await pilot.pause()

    assert snap_compare(quick_app(demo_db), terminal_size=SIZE, run_before=run_before)


def test_snapshot_task_form(demo_db, snap_compare):
    async def run_before(pilot):
        _, form = await open_form(pilot, "task")
        await type_in(pilot, "#subject", "Call school about the bus pass")
        await type_in(pilot, "#due-date", "3/7/2026")
        await type_in(pilot, "#minutes", "20")
        await pilot.press("tab")  # leaving the field checks it now, not after the typing pause
        _steady_cursors(form)
        await pilot.pause()

    assert snap_compare(quick_app(demo_db), terminal_size=SIZE, run_before=run_before)
