"""Small dialogs over the case view: change the case status, set the case owner, confirm a removal.

Status and owner are fields of the case itself, not records with a form of
their own; each dialog saves through the store in a worker (a status change
writes the case and a Status change record, which the timeline shows).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static

from ascms_tui.domain import (
    SHORT_TEXT_MAX,
    STATUS_TRANSITIONS,
    STATUSES_NEEDING_REASON,
    Case,
    CaseStatus,
    StatusReason,
)
from ascms_tui.store import StoreError
from ascms_tui.text import clean_text
from widgets.key_bar import KeyBar
from widgets.literal import literal
from widgets.text_fields import FormField

log = logging.getLogger(__name__)

_SAVE = Binding("ctrl+s", "save", "Save", id="dialog.save", tooltip="Save; the change is queued for AS-CMS")
_CANCEL = Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close without changing anything")


class CaseDialog(ModalScreen[bool]):
    """A dialog that changes the case: reads it on opening, saves in a worker, says what went wrong."""

    CSS_PATH = "case_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [_SAVE, _CANCEL]
    TITLE_TEXT: ClassVar[str]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.case: Case | None = None
        self._saving = False

    def compose(self) -> ComposeResult:
        self.case = self.app.store.get(Case, self.case_id)  # one row
        with Vertical(classes="dialog"):
            yield Label(self.TITLE_TEXT, classes="dialog-title")
            if self.case is None:
                yield Static("This case is no longer on this laptop.", classes="dialog-detail")
            else:
                yield from self.compose_body(self.case)
            yield Static("", id="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", disabled=self.case is None)
                yield Button("Cancel (esc)", id="cancel")
        yield KeyBar()

    def compose_body(self, case: Case) -> ComposeResult:
        raise NotImplementedError

    def checked(self) -> tuple[Callable[[], Any], str] | None:
        """The store call to make and what to say when done, or None after showing what is wrong."""
        raise NotImplementedError

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "cancel":
            self.action_cancel()

    def action_cancel(self) -> None:
        if not self._saving:
            self.dismiss(False)

    def action_save(self) -> None:
        if self._saving or self.case is None:
            return
        ready = self.checked()
        if ready is None:
            return
        write, done = ready
        self._saving = True
        self.query_one("#save", Button).disabled = True
        self.run_worker(lambda: self._write(write, done), thread=True, group="case-dialog", exit_on_error=False)

    def _write(self, write: Callable[[], Any], done: str) -> None:
        try:
            write()
        except StoreError as error:
            self.app.call_from_thread(self._refused, str(error))
            return
        except Exception as error:  # a locked or full disk: say so, change nothing on screen
            log.exception("case change not saved")
            self.app.call_from_thread(self._refused, f"Could not save: {error}")
            return
        self.app.call_from_thread(self._done, done)

    def _refused(self, message: str) -> None:
        self._saving = False
        self.query_one("#save", Button).disabled = False
        self.show_error(f"Not saved. {message}")

    def _done(self, message: str) -> None:
        self.app.notify(message, title=self.TITLE_TEXT, markup=False)  # an owner's name is the user's text
        self.dismiss(True)

    def show_error(self, message: str) -> None:
        self.query_one("#dialog-error", Static).update(literal(message))


class CaseStatusDialog(CaseDialog):
    """Move the case to another stage: only the stages AS-CMS allows from here, with a reason where needed."""

    TITLE_TEXT = "Change case status"

    def compose_body(self, case: Case) -> ComposeResult:
        allowed = [status for status in CaseStatus if status in STATUS_TRANSITIONS[case.status]]
        now = case.status.value + (f" ({case.status_reason.value})" if case.status_reason else "")
        yield Static(literal(f"Case {case.case_number} is {now}. From {case.status.value} it can go to "
                             f"{', '.join(s.value for s in allowed)}."), classes="dialog-detail")
        yield FormField("New status", Select([(s.value, s.value) for s in allowed], prompt="Choose a status",
                                             id="to-status", allow_blank=True), key="to_status")
        yield FormField("Reason", Select([(r.value, r.value) for r in StatusReason], prompt="Choose a reason",
                                         id="reason", allow_blank=True, disabled=True), key="reason")

    def on_mount(self) -> None:
        if self.case is not None:
            self.query_one("#to-status", Select).focus()
            self._explain()

    @on(Select.Changed)
    def _chosen(self) -> None:
        self._explain()

    def _target(self) -> CaseStatus | None:
        value = self.query_one("#to-status", Select).value
        return None if value is Select.NULL else CaseStatus(value)

    def _reason(self) -> str | None:
        value = self.query_one("#reason", Select).value
        return None if value is Select.NULL else str(value)

    def _explain(self) -> None:
        target = self._target()
        reason_select = self.query_one("#reason", Select)
        reason_field = self.query_one("#field-reason", FormField)
        needed = target in STATUSES_NEEDING_REASON
        reason_select.disabled = not needed
        if target is None:
            reason_field.show_note("")
        elif needed:
            reason_field.show_note(f"Moving a case to {target.value} needs a reason.")
        else:
            reason_field.show_note(f"No reason is needed to move to {target.value}.")
        self.query_one("#field-to_status", FormField).show_note(
            "" if target is None else "The change is recorded on the case's timeline."
        )

    def checked(self) -> tuple[Callable[[], Any], str] | None:
        assert self.case is not None
        target, reason = self._target(), self._reason()
        if target is None:
            self.query_one("#field-to_status", FormField).show_error("Choose the status to move the case to.")
            self.query_one("#to-status", Select).focus()
            return None
        if target not in STATUSES_NEEDING_REASON:
            reason = None
        elif reason is None:
            self.query_one("#field-reason", FormField).show_error(
                f"Choose why the case is {target.value.lower()} (for example Enrolled, or Not located)."
            )
            self.query_one("#reason", Select).focus()
            return None
        case_id, store = self.case_id, self.app.store
        said = f"Case {self.case.case_number} is now {target.value}" + (f" ({reason})" if reason else "") + "."
        return (lambda: store.change_status(case_id, target.value, reason)), said


class CaseOwnerDialog(CaseDialog):
    """Assign or change the case owner (the migrated-cases measure needs one)."""

    TITLE_TEXT = "Case owner"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "assign_to_me", "Assign to me", id="owner.me",
                tooltip="Make yourself the case owner"),
    ]

    def compose_body(self, case: Case) -> ComposeResult:
        owners = self.app.store.case_owners()
        me = self.app.user_name
        if me and me not in owners:
            owners.append(me)
        yield Static(
            f"Case {case.case_number}. The migrated-cases measure counts a case only once it has a case owner."
            if case.migrated else f"Case {case.case_number}.",
            classes="dialog-detail",
        )
        yield FormField(
            "Case owner",
            Input(case.case_owner or "", id="owner", placeholder="Name as in AS-CMS",
                  suggester=SuggestFromList(owners, case_sensitive=False)),
            key="owner",
        )

    def on_mount(self) -> None:
        if self.case is not None:
            self.query_one("#owner", Input).focus()
            self._explain(self.query_one("#owner", Input).value)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "assign_to_me":
            return bool(self.app.user_name)
        return super().check_action(action, parameters)

    def action_assign_to_me(self) -> None:
        owner = self.query_one("#owner", Input)
        owner.value = self.app.user_name or ""
        owner.cursor_position = len(owner.value)

    @on(Input.Changed, "#owner")
    def _typed(self, event: Input.Changed) -> None:
        self._explain(event.value)

    @on(Input.Submitted, "#owner")
    def _submitted(self) -> None:
        self.action_save()

    def _explain(self, typed: str) -> None:
        field = self.query_one("#field-owner", FormField)
        name = clean_text(typed).strip()
        if len(name) > SHORT_TEXT_MAX:
            field.show_error(f"Case owner is {len(name):,} characters long; AS-CMS accepts at most {SHORT_TEXT_MAX}")
        elif not name:
            field.show_note("Empty: the case will have no owner." + (
                " The migrated-cases measure needs one." if self.case and self.case.migrated else ""))
        elif self.app.user_name and name == self.app.user_name:
            field.show_note("You.")
        else:
            field.show_note("ctrl+o assigns the case to you." if self.app.user_name else "")

    def checked(self) -> tuple[Callable[[], Any], str] | None:
        assert self.case is not None
        name = clean_text(self.query_one("#owner", Input).value).strip()
        if len(name) > SHORT_TEXT_MAX:
            self._explain(name)
            return None
        case_id, store = self.case_id, self.app.store
        said = (f"Case {self.case.case_number}: case owner {name}." if name
                else f"Case {self.case.case_number} has no case owner now.")
        return (lambda: store.update(Case, case_id, {"case_owner": name or None})), said


class ConfirmRemoveScreen(ModalScreen[bool]):
    """Ask before a record is removed (the removal is journalled and queued for AS-CMS too)."""

    CSS_PATH = "case_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose(True)", "Remove", id="remove.yes", tooltip="Remove the record"),
        Binding("n,escape", "choose(False)", "Keep", id="remove.no", tooltip="Keep the record"),
    ]

    def __init__(self, question: str, detail: str) -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.question), classes="dialog-title")
            yield Static(literal(self.detail), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Remove (y)", id="yes", variant="error")
                yield Button("Keep (n)", id="no")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # Enter on the default keeps the record

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(event.button.id == "yes")

    def action_choose(self, remove: bool) -> None:
        self.dismiss(remove)
