"""The recording forms: Event, Case Comment and Task.

Each form reads what the case manager types, says beside each field what is
wrong (or what it understood), and saves through the store, which writes the
record and its journal row in one transaction. Nothing typed is ever cleared
by a validation error, and what is typed is kept as a draft in the store
every few seconds and when the form is left, so a crash loses nothing.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime
from functools import partial
from typing import Any, ClassVar

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.events import DescendantBlur
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Header,
    Input,
    Select,
    Static,
    TextArea,
)
from textual.widgets.select import InvalidSelectValueError

from ascms_tui.domain import (
    COMMENT_BODY_MAX_BYTES,
    COMMON_EVENT_SUBJECTS,
    INITIAL_MEETING_SUBJECTS,
    Case,
    CaseComment,
    CaseRecord,
    Event,
    Task,
    TaskPriority,
    TaskStatus,
    describe_errors,
)
from ascms_tui.nzinput import (
    DATE_EXAMPLE,
    format_long_date,
    format_time,
    format_time_spent,
    is_repeated_nz_time,
    nz_datetime,
    parse_nz_date,
    parse_nz_time,
    parse_whole_number,
)
from ascms_tui.nztime import NZ, format_nz_date, nz_date, utc_now
from ascms_tui.quality import Advice, initial_meeting_advice, judgement_hints
from ascms_tui.store import Draft, RecordInvalid, Store, StoreError
from ascms_tui.subjects import exact_initial_subject
from ascms_tui.text import utf8_length
from widgets.key_bar import KeyBar
from widgets.literal import literal
from widgets.text_fields import FormField, MacronInput, MacronTextArea

from .drafts import FORM_LABELS, DiscardDraftScreen

log = logging.getLogger(__name__)

VALIDATE_DELAY = 0.5  # seconds of quiet typing before a field is checked
LOCKED_SUBJECT_NOTE = "Reporting counts this exact subject; it cannot be edited."


def draft_key(kind: str, case_id: str, record_id: str | None) -> str:
    """One draft per form target: a new record of a kind for a case, or one existing record."""
    return f"{kind}:{record_id or 'new'}:{case_id}"


class Checked:
    """What checking a form's typed content found: values to save, and messages per field."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        self.form_errors: list[str] = []

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)


class RecordForm(Screen):
    """What every recording form shares: drafts, validation, saving, cancelling."""

    kind: ClassVar[str]
    model: ClassVar[type[CaseRecord]]
    # Form field key -> the model field it feeds (for model messages and edits).
    MODEL_FIELDS: ClassVar[dict[str, str]]
    # Message prefixes that are not field titles -> form field key.
    EXTRA_LABELS: ClassVar[dict[str, str]] = {}
    FIRST_FIELD: ClassVar[str]

    CSS_PATH = "forms.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save the record; it is queued for AS-CMS"),
        Binding("escape", "cancel", "Cancel", id="form.cancel",
                tooltip="Close the form (asks whether to keep what you typed as a draft)"),
    ]

    def __init__(self, case_id: str, record_id: str | None = None, draft: Draft | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.record_id = record_id
        self.draft_key = draft_key(self.kind, case_id, record_id)
        self._restore_from = draft
        self.case: Case | None = None
        self.record: CaseRecord | None = None
        self._pristine: dict[str, Any] = {}
        self._typed_content: dict[str, Any] = {}
        self._ever_touched: set[str] = set()
        self._show_all_errors = False
        self._autosave_timer: Timer | None = None
        self._validate_timer: Timer | None = None
        # Draft writes happen in worker threads; the lock keeps them in order and
        # lets a save or discard stop any later write.
        self._draft_lock = threading.Lock()
        self._draft_seq = 0
        self._written_seq = 0
        self._last_draft: dict[str, Any] | None = None
        self._drafts_closed = False
        self._saving = False
        self._form_error_text = ""

    # -- what each form defines ------------------------------------------------------

    def compose_fields(self) -> ComposeResult:
        raise NotImplementedError

    def blank_content(self) -> dict[str, Any]:
        raise NotImplementedError

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        raise NotImplementedError

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        """Parse the typed text into `checked.values`, noting errors and notes per field."""
        raise NotImplementedError

    def message_field(self, message: str, content: dict[str, Any]) -> str | None:
        """The form field a model message belongs to (by its AS-CMS label)."""
        labels = dict(self.EXTRA_LABELS)
        for key, field in self.MODEL_FIELDS.items():
            labels.setdefault(self.model.model_fields[field].title or field, key)
        for label in sorted(labels, key=len, reverse=True):
            if message.startswith(label + " ") or message == label:
                return labels[label]
        return None

    def after_check(self, content: dict[str, Any], checked: Checked) -> None:
        """Update anything beyond the per-field messages (hints, totals)."""

    def check_date(self, content: dict[str, Any], checked: Checked, key: str, label: str, *,
                   required: bool = False, empty_note: str = "", value_key: str | None = "") -> date | None:
        """Read a typed NZ date: the date understood as a note, or what is wrong.

        The date goes into `checked.values[value_key]` (the field's own key by
        default; None keeps it out, for a date that is only part of a value).
        """
        value_key = key if value_key == "" else value_key
        typed = content[key]
        day = None
        if not typed.strip():
            if required:
                checked.error(key, f"{label} is required. {DATE_EXAMPLE}")
                return None
            checked.notes[key] = empty_note
        else:
            try:
                day = parse_nz_date(typed, self.app.today())
            except ValueError as error:
                checked.error(key, str(error))
                return None
            checked.notes[key] = format_long_date(day)
        if value_key is not None:
            checked.values[value_key] = day
        return day

    # -- building the screen ---------------------------------------------------------------

    @property
    def label(self) -> str:
        return FORM_LABELS[self.kind]

    def compose(self) -> ComposeResult:
        store = self.app.store
        self.case = store.get(Case, self.case_id)  # single-row reads
        if self.record_id is not None:
            self.record = store.get(self.model, self.record_id)
        yield Header()
        yield Static(self._banner(), id="form-banner")
        with VerticalScroll(id="form-body"):
            yield from self.compose_fields()
        yield Static("", id="form-error")
        with Horizontal(id="form-buttons"):
            yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True, tooltip="Save the record")
            yield Button("Cancel (esc)", id="cancel", compact=True, tooltip="Close the form")
            yield Static("", id="draft-status")
        yield KeyBar()

    def _banner(self) -> Text:
        if self.case is None:
            return literal("This case is not on this laptop.", style="bold")
        student = self.case.student
        name = student.display_name if student.display_name == student.name else f"{student.display_name} ({student.name})"
        parts = [f"Case {self.case.case_number}", name, self.case.school.name or "", self.case.case_type.value]
        return literal(" · ".join(part for part in parts if part))

    def on_mount(self) -> None:
        verb = "New" if self.record_id is None else "Edit"
        self.title = f"{verb} {self.label}"
        if self.case is not None:
            self.sub_title = f"case {self.case.case_number} · {self.case.student.display_name}"
        if self.record_id is not None and self.record is None:
            self.notify(
                f"This {self.label} is no longer on this laptop; saving records it as a new one.",
                title=self.label,
                severity="warning",
            )
        self._pristine = self.content_of(self.record) if self.record is not None else self.blank_content()
        start = dict(self._pristine)
        draft = self._restore_from or self._stored_draft()
        if draft is not None:
            start.update({key: value for key, value in draft.content.items() if key in start})
            self._last_draft = dict(draft.content)
            if self._restore_from is None:
                self.notify(f"Restored what you typed last time ({_when(draft.updated_at)}).", title=self.label)
            self._show_draft_status(draft.updated_at)
        self.fill(start)
        self._typed_content = dict(start)
        self._ever_touched = {key for key, value in start.items() if value != self._pristine.get(key)}
        self.call_after_refresh(self._live_validate)
        self._focus_first()

    def _stored_draft(self) -> Draft | None:
        # Opening a form whose target already has a draft continues it rather than overwriting it.
        return next((d for d in self.app.store.drafts() if d.draft_key == self.draft_key), None)

    def _focus_first(self) -> None:
        for widget in self.query("#form-body Input, #form-body TextArea, #form-body Select, #form-body Checkbox"):
            if widget.focusable:
                widget.focus()
                return

    # -- reading and filling the controls ---------------------------------------------------

    def control(self, key: str) -> Widget:
        return self.query_one(f"#{key.replace('_', '-')}")

    def read_content(self) -> dict[str, Any]:
        """The raw typed text of every field (so invalid text survives in a draft)."""
        content: dict[str, Any] = {}
        for key in self._pristine:
            widget = self.control(key)
            if isinstance(widget, Input):
                content[key] = widget.value
            elif isinstance(widget, TextArea):
                content[key] = widget.text
            elif isinstance(widget, Checkbox):
                content[key] = widget.value
            elif isinstance(widget, Select):
                content[key] = "" if widget.value is Select.NULL else str(widget.value)
        return content

    def fill(self, content: dict[str, Any]) -> None:
        for key, value in content.items():
            widget = self.control(key)
            if isinstance(widget, Input):
                widget.value = str(value or "")
            elif isinstance(widget, TextArea):
                widget.load_text(str(value or ""))
            elif isinstance(widget, Checkbox):
                widget.value = bool(value)
            elif isinstance(widget, Select) and value:
                try:
                    widget.value = value
                except InvalidSelectValueError:
                    pass  # a value this version no longer offers: keep the default

    # -- typing: drafts and live validation ----------------------------------------------

    @on(Checkbox.Changed)
    @on(Select.Changed)
    def _picked(self) -> None:
        self._typed()
        if self._validate_timer is not None:
            self._validate_timer.stop()
        self._live_validate()  # a tick or a choice is complete at once: no need to wait

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _typed(self) -> None:
        if self._drafts_closed or not self._pristine:
            return
        self._typed_content = self.read_content()
        self._ever_touched.update(k for k, v in self._typed_content.items() if v != self._pristine.get(k))
        if self._autosave_timer is None:
            # At most one draft write per interval, and at least one while typing goes on.
            self._autosave_timer = self.set_timer(self.app.settings.autosave_seconds, self._autosave)
        if self._validate_timer is not None:
            self._validate_timer.stop()
        self._validate_timer = self.set_timer(VALIDATE_DELAY, self._live_validate)

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        if self._pristine and not self._drafts_closed:
            self._live_validate()

    def on_screen_suspend(self) -> None:
        # Another screen covers the form (a dialog, the command palette): keep the draft now.
        self._save_draft_in_background()

    def on_unmount(self) -> None:
        # The form is closing, the app is quitting: keep whatever was typed.
        if not self._drafts_closed and self._pristine:
            self._write_draft(dict(self._typed_content), self._next_seq(), in_thread=False)

    def _autosave(self) -> None:
        self._autosave_timer = None
        self._save_draft_in_background()

    def _next_seq(self) -> int:
        self._draft_seq += 1
        return self._draft_seq

    def _save_draft_in_background(self) -> None:
        if self._drafts_closed or not self._pristine:
            return
        content = dict(self._typed_content)
        if content == self._last_draft or (content == self._pristine and self._last_draft is None):
            return
        self.run_worker(
            partial(self._write_draft, content, self._next_seq(), in_thread=True),
            thread=True,
            group="draft",
            exit_on_error=False,
        )

    def _write_draft(self, content: dict[str, Any], seq: int, *, in_thread: bool) -> None:
        store = self.app.store
        try:
            with self._draft_lock:
                if self._drafts_closed or seq <= self._written_seq:
                    return  # saved or discarded meanwhile, or a newer draft is already written
                self._written_seq = seq
                if content == self._pristine:
                    if self._last_draft is not None:
                        store.discard_draft(self.draft_key)  # typed text removed again: nothing to keep
                        self._last_draft = None
                    return
                if content == self._last_draft:
                    return
                store.save_draft(self.draft_key, self.kind, content, case_id=self.case_id, record_id=self.record_id)
                self._last_draft = content
        except Exception as error:  # a draft must never take the form down
            log.exception("draft not kept")
            message = f"Could not keep a draft: {error}"
            if in_thread:
                try:
                    self.app.call_from_thread(self.notify, message, severity="warning")
                except RuntimeError:
                    pass
            return
        stamp = utc_now().isoformat()
        if in_thread:
            try:
                self.app.call_from_thread(self._show_draft_status, stamp)
            except RuntimeError:
                pass  # the app is closing

    def _show_draft_status(self, updated_at: str) -> None:
        if self.is_mounted:
            self.query_one("#draft-status", Static).update(f"Draft kept {_when(updated_at)}")

    def _close_drafts(self, *, discard: bool) -> None:
        """No more draft writes (the record is saved, or the user chose); may run in the save thread."""
        with self._draft_lock:
            self._drafts_closed = True
            if discard:
                self.app.store.discard_draft(self.draft_key)

    def _stop_timers(self) -> None:
        for timer in (self._autosave_timer, self._validate_timer):
            if timer is not None:
                timer.stop()

    # -- checking ---------------------------------------------------------------------------

    def check(self, content: dict[str, Any]) -> Checked:
        checked = Checked()
        self.check_content(content, checked)
        failed_fields = {self.MODEL_FIELDS[key] for key in checked.errors if key in self.MODEL_FIELDS}
        try:
            self.candidate(checked.values, failed_fields)
        except ValidationError as error:
            for message in describe_errors(error, self.model):
                key = self.message_field(message, content)
                if key is None:
                    checked.form_errors.append(message)
                elif key not in checked.errors and self.MODEL_FIELDS.get(key) not in failed_fields:
                    checked.error(key, message)
        return checked

    def candidate(self, values: dict[str, Any], failed_fields: set[str] = frozenset()) -> CaseRecord:
        """The record the form would save (raises ValidationError)."""
        if self.record is None:
            data: dict[str, Any] = {"case_id": self.case_id}
        else:
            data = {k: v for k, v in self.record.model_dump().items() if k not in failed_fields}
        data.update(values)
        return self.model.model_validate(data)

    def _live_validate(self) -> None:
        self._validate_timer = None
        if not self.is_mounted:
            return
        content = self.read_content()
        self._show(content, self.check(content))

    def _show(self, content: dict[str, Any], checked: Checked) -> None:
        touched = self._ever_touched | {k for k, v in content.items() if v != self._pristine.get(k)}
        for field in self.query(FormField):
            key = field.key
            if key in checked.errors and (self._show_all_errors or key in touched):
                field.show_error(checked.errors[key])
            else:
                field.show_note(checked.notes.get(key, ""))
        if self._show_all_errors and checked.form_errors:
            self._form_error("\n".join(checked.form_errors))
        elif not self._saving:
            self._form_error("")
        self.after_check(content, checked)

    def _form_error(self, text: str) -> None:
        if text != self._form_error_text:
            self._form_error_text = text
            self.query_one("#form-error", Static).update(literal(text))

    # -- saving -------------------------------------------------------------------------------

    def record_changes(self, values: dict[str, Any]) -> dict[str, Any]:
        """What an edit changes (the store journals only what differs)."""
        return values

    def action_save(self) -> None:
        if self._saving or self._drafts_closed:
            return
        content = self.read_content()
        self._show_all_errors = True
        checked = self.check(content)
        self._show(content, checked)
        if checked.errors or checked.form_errors:
            for field in self.query(FormField):
                if field.has_error:
                    self._focus_field(field)
                    break
            count = len(checked.errors) + len(checked.form_errors)
            self.notify(
                f"Not saved: {count} field{'s' if count != 1 else ''} to fix (marked in red).",
                title=self.label,
                severity="error",
            )
            return
        self._saving = True
        self.query_one("#save", Button).disabled = True
        self.run_worker(partial(self._store_record, checked.values), thread=True, group="save", exit_on_error=False)

    def _focus_field(self, field: FormField) -> None:
        for widget in field.query("Input, TextArea, Select, Checkbox"):
            if widget.focusable:
                widget.focus()
                return

    def save_record(self, store: Store, values: dict[str, Any]) -> CaseRecord:
        """Write the checked values through the store (runs in a worker thread)."""
        if self.record is None:
            return store.create(self.candidate(values))
        return store.update(self.model, self.record.id, self.record_changes(values))

    def _store_record(self, values: dict[str, Any]) -> None:
        store = self.app.store
        try:
            record = self.save_record(store, values)
        except RecordInvalid as error:
            self.app.call_from_thread(self._save_refused, error.messages)
            return
        except ValidationError as error:
            self.app.call_from_thread(self._save_refused, describe_errors(error, self.model))
            return
        except StoreError as error:
            self.app.call_from_thread(self._save_refused, [str(error)])
            return
        except Exception as error:  # a full disk, a locked file: the typed text stays, as a draft too
            log.exception("record not saved")
            self.app.call_from_thread(self._save_refused, [f"Could not save: {error}"])
            return
        try:
            self._close_drafts(discard=True)
        except Exception:  # the record is saved; a leftover draft is only offered again
            log.exception("draft not discarded after save")
        self.app.call_from_thread(self._saved, record)

    def _save_refused(self, messages: list[str]) -> None:
        self._saving = False
        self.query_one("#save", Button).disabled = False
        content = self.read_content()
        checked = self.check(content)
        for message in messages:
            key = self.message_field(message, content)
            if key is None:
                checked.form_errors.append(message)
            else:
                checked.errors[key] = message
        self._show(content, checked)
        self._form_error("Not saved. " + " ".join(checked.form_errors))

    def _saved(self, record: CaseRecord) -> None:
        self._stop_timers()
        self.app.notify(f"{self.label} saved")
        self.dismiss(record)

    # -- cancelling -------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self._saving:
            return
        content = self.read_content()
        self._typed_content = content
        if content == self._pristine:
            self._close_drafts(discard=self._last_draft is not None)
            self._stop_timers()
            self.dismiss(None)
            return

        def chosen(choice: str | None) -> None:
            if choice == "keep":
                self._write_draft(dict(self._typed_content), self._next_seq(), in_thread=False)
                self._close_drafts(discard=False)
                self._stop_timers()
                self.app.notify(f"Draft kept. Open the same {self.label} form to carry on.")
                self.dismiss(None)
            elif choice == "discard":
                self._close_drafts(discard=True)
                self._stop_timers()
                self.app.notify("Draft discarded.")
                self.dismiss(None)

        self.app.push_screen(
            DiscardDraftScreen(
                "Discard this draft?",
                f"This {self.label} has not been saved. Keep what you typed as a draft to carry on "
                "later, or discard it.",
            ),
            chosen,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            event.stop()
            self.action_save()
        elif event.button.id == "cancel":
            event.stop()
            self.action_cancel()


def _when(updated_at: str) -> str:
    try:
        instant = datetime.fromisoformat(updated_at)
    except ValueError:
        return "earlier"
    local = instant.astimezone(NZ)
    shown = format_time(local.time())
    return shown if local.date() == datetime.now(NZ).date() else f"{format_nz_date(local.date())}, {shown}"


def _time_spent_fields() -> ComposeResult:
    yield FormField("Hours", Input(id="hours", placeholder="0"), key="hours", classes="short")
    yield FormField("Minutes", Input(id="minutes", placeholder="0"), key="minutes", classes="short")
    yield Static("", id="time-spent")


def _check_time_spent(content: dict[str, Any], checked: Checked) -> None:
    for key, label in (("hours", "Hours"), ("minutes", "Minutes")):
        try:
            checked.values[key] = parse_whole_number(content[key], label=label)
        except ValueError as error:
            checked.error(key, str(error))


def _show_quality_advice(screen: Screen, advice: list[Advice]) -> None:
    """Recording-quality advice under the text: guidance only, it never stops a save."""
    line = screen.query_one("#quality-advice", Static)
    text = Text()
    if advice:
        text.append("Advice (saving is not blocked): ", style="bold")
        text.append("\n".join(item.message for item in advice))
    if getattr(line, "shown_text", None) != text.plain:
        line.shown_text = text.plain  # type: ignore[attr-defined]
        line.update(text)
        line.display = bool(advice)


def _show_time_spent(screen: Screen, checked: Checked) -> None:
    hours, minutes = checked.values.get("hours"), checked.values.get("minutes")
    total = (
        f"Time spent: {format_time_spent(hours, minutes)}"
        if hours is not None and minutes is not None
        else "Time spent: —"
    )
    line = screen.query_one("#time-spent", Static)
    text = total + "\nInclude preparation, travel and follow-up."
    if getattr(line, "shown_text", None) != text:
        line.shown_text = text  # type: ignore[attr-defined]
        line.update(text)


# --- Event -----------------------------------------------------------------------------------


class EventForm(RecordForm):
    kind = "event"
    model = Event
    MODEL_FIELDS: ClassVar[dict[str, str]] = {
        "subject": "subject",
        "start_date": "start",
        "start_time": "start",
        "end_date": "end",
        "end_time": "end",
        "all_day": "all_day",
        "description": "description",
        "hours": "hours",
        "minutes": "minutes",
    }
    EXTRA_LABELS: ClassVar[dict[str, str]] = {"Time spent": "hours", "Start Date Time": "start_date", "End Date Time": "end_time"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "use_exact_subject", "exact subject", id="event.exact_subject",
                tooltip="Replace the subject with the exact initial-meeting wording that reporting counts"),
    ]

    def __init__(self, case_id: str, record_id: str | None = None, draft: Draft | None = None) -> None:
        super().__init__(case_id, record_id, draft)
        self._exact_subject: str | None = None

    @property
    def subject_locked(self) -> bool:
        """An initial-meeting subject, once saved, stays exactly as reporting counts it."""
        return self.record is not None and self.record.subject in INITIAL_MEETING_SUBJECTS

    def compose_fields(self) -> ComposeResult:
        locked = self.subject_locked
        subjects = [(subject, subject) for subject in COMMON_EVENT_SUBJECTS]
        yield FormField(
            "Subject (type, or pick a common one)",
            Horizontal(
                MacronInput(
                    id="subject",
                    placeholder="e.g. Home Visit",
                    suggester=SuggestFromList(COMMON_EVENT_SUBJECTS, case_sensitive=False),
                    disabled=locked,
                ),
                Select(subjects, prompt="Common subjects", id="subject-list", disabled=locked),
                classes="subject-row",
            ),
            key="subject",
            macrons=True,
        )
        with Horizontal(id="subject-suggestion"):
            yield Static("", id="subject-suggestion-text")
            yield Button("", id="use-exact", variant="warning", compact=True)
        with Horizontal(classes="field-row"):
            yield FormField("Start date", Input(id="start-date", placeholder="d/m/yyyy"), key="start_date")
            yield FormField("Start time", Input(id="start-time", placeholder="e.g. 2pm"), key="start_time")
            yield FormField("End date", Input(id="end-date", placeholder="same day"), key="end_date")
            yield FormField("End time", Input(id="end-time", placeholder="e.g. 3pm"), key="end_time")
        with Horizontal(classes="field-row"):
            yield FormField("", Checkbox("All-Day Event", id="all-day"), key="all_day", classes="checkbox")
            yield from _time_spent_fields()
        yield FormField(
            "Description",
            MacronTextArea(
                id="description",
                placeholder="Who met, what was discussed, information gathered, actions agreed / next steps",
            ),
            key="description",
            classes="long-text",
            macrons=True,
        )
        yield Static("", id="quality-advice", classes="quality-advice")

    def blank_content(self) -> dict[str, Any]:
        return {
            "subject": "",
            "start_date": format_nz_date(self.app.today()),
            "start_time": "",
            "end_date": "",
            "end_time": "",
            "all_day": False,
            "description": "",
            "hours": "",
            "minutes": "",
        }

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, Event)
        start_day = nz_date(record.start)
        end_day = nz_date(record.end) if record.end is not None else None
        timed = not record.all_day
        return {
            "subject": record.subject,
            "start_date": format_nz_date(start_day),
            "start_time": format_time(record.start.astimezone(NZ).time()) if timed else "",
            "end_date": format_nz_date(end_day) if end_day is not None and end_day != start_day else "",
            "end_time": format_time(record.end.astimezone(NZ).time()) if timed and record.end else "",
            "all_day": record.all_day,
            "description": record.description,
            "hours": str(record.hours) if record.hours else "",
            "minutes": str(record.minutes) if record.minutes else "",
        }

    def _focus_first(self) -> None:
        if self.record is None:
            super()._focus_first()
            return
        # Back to an existing event is mostly to complete its description after the meeting.
        description = self.query_one("#description", TextArea)
        description.focus()
        description.move_cursor(description.document.end)

    def on_mount(self) -> None:
        super().on_mount()
        self._apply_all_day(bool(self._typed_content.get("all_day")))
        if self.subject_locked:
            assert self.record is not None
            self.query_one("#subject", Input).value = self.record.subject  # never a draft's version

    @on(Checkbox.Changed, "#all-day")
    def _all_day_changed(self, event: Checkbox.Changed) -> None:
        self._apply_all_day(event.value)

    def _apply_all_day(self, all_day: bool) -> None:
        # The typed times stay (disabled, not cleared) in case the box is unticked again.
        for key in ("start-time", "end-time"):
            self.query_one(f"#{key}", Input).disabled = all_day

    @on(Select.Changed, "#subject-list")
    def _subject_picked(self, event: Select.Changed) -> None:
        subject = self.query_one("#subject", Input)
        if event.value is not Select.NULL and event.value != subject.value and not subject.disabled:
            subject.value = str(event.value)
            subject.cursor_position = len(subject.value)

    @on(Input.Changed, "#subject")
    def _subject_typed(self, event: Input.Changed) -> None:
        # Keep the list showing the typed subject when it is one of the common ones.
        subjects = self.query_one("#subject-list", Select)
        wanted = event.value if event.value in COMMON_EVENT_SUBJECTS else Select.NULL
        if subjects.value != wanted:
            subjects.value = wanted
        self._update_subject_hint(event.value)

    def _update_subject_hint(self, typed: str) -> None:
        exact = None if self.subject_locked else exact_initial_subject(typed)
        if exact != self._exact_subject:
            self._exact_subject = exact
            self.refresh_bindings()
        box = self.query_one("#subject-suggestion")
        box.display = exact is not None
        if exact is not None:
            self.query_one("#subject-suggestion-text", Static).update(
                f"Reporting counts only the exact subject '{exact}'."
            )
            self.query_one("#use-exact", Button).label = f"Use '{exact}' (ctrl+o)"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "use_exact_subject":
            return self._exact_subject is not None
        return super().check_action(action, parameters)

    def action_use_exact_subject(self) -> None:
        if self._exact_subject is None:
            return
        subject = self.query_one("#subject", Input)
        subject.value = self._exact_subject
        subject.cursor_position = len(subject.value)
        subject.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "use-exact":
            event.stop()
            self.action_use_exact_subject()
        else:
            super().on_button_pressed(event)

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        if not self.subject_locked:
            checked.values["subject"] = content["subject"].strip()
        if self.subject_locked:
            checked.notes["subject"] = LOCKED_SUBJECT_NOTE
        elif content["subject"].strip() in INITIAL_MEETING_SUBJECTS:
            checked.notes["subject"] = (
                "Counts as an initial meeting: the date must be the day it took place. "
                "Once saved, this subject cannot be edited."
            )
        all_day = bool(content["all_day"])
        checked.values["all_day"] = all_day

        start_day = self.check_date(content, checked, "start_date", "Start date", required=True, value_key=None)
        if content["end_date"].strip():
            end_day = self.check_date(content, checked, "end_date", "End date", required=True, value_key=None)
        else:
            end_day = start_day
            checked.notes["end_date"] = "Same day as the start"

        if all_day:
            for key in ("start_time", "end_time"):
                checked.notes[key] = "Not needed for an all-day event"
            if start_day is not None:
                checked.values["start"] = start_day
            if end_day is not None:
                checked.values["end"] = end_day
        else:
            start_time = self._parse_time(content, "start_time", "Start time", checked, required=True)
            if start_day is not None and start_time is not None:
                checked.values["start"] = self._instant(start_day, start_time, "start_time", checked)
            # AS-CMS needs an end (or a duration) for a timed Event: Salesforce refuses one without.
            end_time = self._parse_time(content, "end_time", "End time", checked, required=False)
            if end_time is None and "end_time" not in checked.errors:
                checked.error("end_time", "End time is required: AS-CMS needs to know when a timed Event ended. "
                                          "Type a time like 3pm, or tick All-Day Event")
            if end_day is not None and end_time is not None:
                end = self._instant(end_day, end_time, "end_time", checked)
                checked.values["end"] = end
                start = checked.values.get("start")
                if isinstance(start, datetime) and end is not None and end >= start:
                    minutes = int((end - start).total_seconds() // 60)
                    checked.notes["end_time"] += f" ({format_time_spent(minutes // 60, minutes % 60)})"
        checked.values["description"] = content["description"]
        _check_time_spent(content, checked)

    def _parse_time(self, content: dict[str, Any], key: str, label: str, checked: Checked, *, required: bool):
        typed = content[key]
        if not typed.strip():
            if required:
                checked.error(key, f"{label} is required (or tick All-Day Event). Type a time like 2pm or 14:00")
            return None
        try:
            at = parse_nz_time(typed)
        except ValueError as error:
            checked.error(key, str(error))
            return None
        checked.notes[key] = format_time(at)
        return at

    def _instant(self, day: date, at, key: str, checked: Checked) -> datetime | None:
        try:
            instant = nz_datetime(day, at)
        except ValueError as error:
            checked.error(key, str(error))
            return None
        if is_repeated_nz_time(day, at):
            checked.notes[key] = f"{format_time(at)} happens twice that night; taken as the first (daylight time)"
        return instant

    def message_field(self, message: str, content: dict[str, Any]) -> str | None:
        if message.startswith("End Date Time is before Start Date Time"):
            same_day = not content["end_date"].strip() or content["end_date"].strip() == content["start_date"].strip()
            return "end_time" if same_day and not content["all_day"] else "end_date"
        return super().message_field(message, content)

    def after_check(self, content: dict[str, Any], checked: Checked) -> None:
        _show_time_spent(self, checked)
        advice = judgement_hints(content["description"])
        start = checked.values.get("start")
        held = isinstance(start, datetime) and start <= datetime.now(start.tzinfo)
        if content["subject"].strip() in INITIAL_MEETING_SUBJECTS and (content["description"].strip() or held):
            advice = initial_meeting_advice(content["description"]) + advice
        _show_quality_advice(self, advice)

    def record_changes(self, values: dict[str, Any]) -> dict[str, Any]:
        changes = dict(values)
        if self.subject_locked:
            changes.pop("subject", None)
        return changes


# --- Case Comment ----------------------------------------------------------------------------


class CommentForm(RecordForm):
    kind = "comment"
    model = CaseComment
    MODEL_FIELDS: ClassVar[dict[str, str]] = {"body": "body", "shared_with_school": "shared_with_school"}

    def compose_fields(self) -> ComposeResult:
        yield FormField(
            "Comment",
            MacronTextArea(
                id="body",
                placeholder="What happened, relevant context, and what was agreed or happens next",
            ),
            key="body",
            classes="long-text comment-body",
            macrons=True,
        )
        yield Static("", id="quality-advice", classes="quality-advice")
        yield FormField(
            "",
            Checkbox("Share with school", id="shared-with-school"),
            key="shared_with_school",
            classes="checkbox",
        )

    def blank_content(self) -> dict[str, Any]:
        return {"body": "", "shared_with_school": False}

    def after_check(self, content: dict[str, Any], checked: Checked) -> None:
        _show_quality_advice(self, judgement_hints(content["body"]))

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, CaseComment)
        return {"body": record.body, "shared_with_school": record.shared_with_school}

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        checked.values["body"] = content["body"]
        checked.values["shared_with_school"] = bool(content["shared_with_school"])
        size = utf8_length(content["body"])
        checked.notes["body"] = f"{size:,} of {COMMENT_BODY_MAX_BYTES:,} bytes (a macron counts as 2)"
        checked.notes["shared_with_school"] = (
            "The school can read this comment in AS-CMS."
            if content["shared_with_school"]
            else "Only providers see this comment."
        )


# --- Task --------------------------------------------------------------------------------------


class TaskForm(RecordForm):
    kind = "task"
    model = Task
    MODEL_FIELDS: ClassVar[dict[str, str]] = {
        "subject": "subject",
        "due_date": "due_date",
        "status": "status",
        "priority": "priority",
        "description": "description",
        "hours": "hours",
        "minutes": "minutes",
    }
    EXTRA_LABELS: ClassVar[dict[str, str]] = {"Time spent": "hours"}

    def compose_fields(self) -> ComposeResult:
        yield FormField(
            "Subject", MacronInput(id="subject", placeholder="e.g. Call school about transport"), key="subject", macrons=True
        )
        with Horizontal(classes="field-row"):
            yield FormField("Due date", Input(id="due-date", placeholder="d/m/yyyy"), key="due_date")
            yield FormField(
                "Status",
                Select([(s.value, s.value) for s in TaskStatus], id="status", allow_blank=False),
                key="status",
            )
            yield FormField(
                "Priority",
                Select([(p.value, p.value) for p in TaskPriority], id="priority", allow_blank=False,
                       value=TaskPriority.NORMAL.value),
                key="priority",
            )
        with Horizontal(classes="field-row"):
            yield from _time_spent_fields()
        yield FormField(
            "Description",
            MacronTextArea(id="description", placeholder="What needs to happen, and for whom"),
            key="description",
            classes="long-text",
            macrons=True,
        )

    def blank_content(self) -> dict[str, Any]:
        return {
            "subject": "",
            "due_date": "",
            "status": TaskStatus.NOT_STARTED.value,
            "priority": TaskPriority.NORMAL.value,
            "description": "",
            "hours": "",
            "minutes": "",
        }

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, Task)
        return {
            "subject": record.subject,
            "due_date": format_nz_date(record.due_date) if record.due_date else "",
            "status": record.status.value,
            "priority": record.priority.value,
            "description": record.description,
            "hours": str(record.hours) if record.hours else "",
            "minutes": str(record.minutes) if record.minutes else "",
        }

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        checked.values["subject"] = content["subject"].strip()
        self.check_date(content, checked, "due_date", "Due date", empty_note="No due date")
        checked.values["status"] = content["status"] or TaskStatus.NOT_STARTED.value
        checked.values["priority"] = content["priority"] or TaskPriority.NORMAL.value
        checked.values["description"] = content["description"]
        _check_time_spent(content, checked)

    def after_check(self, content: dict[str, Any], checked: Checked) -> None:
        _show_time_spent(self, checked)


FORM_SCREENS: dict[str, type[RecordForm]] = {"event": EventForm, "comment": CommentForm, "task": TaskForm}
