"""The Sync screen: changes AS-CMS set aside, with its message, and conflicts to resolve.

A set-aside change is one AS-CMS refused (a validation rule, a required
field, a bad value): the rest of the queue went on without it. The user opens
the record, fixes it (saving re-queues it), or retries it as it is after the
problem was fixed in AS-CMS. A conflict is a field changed both here and in
AS-CMS since the last sync: keep mine, take theirs, or edit a third value.
A record deleted in AS-CMS while edited here is kept (sent again) or removed.

Everything AS-CMS says is shown as literal text, never as markup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from ascms_tui.audit import (
    _kinds as field_kinds,  # date, datetime, bool or text, by the record's model
)
from ascms_tui.audit import display_value, field_columns, field_label
from ascms_tui.domain import RECORD_TYPES, Case, PlanStep
from ascms_tui.nzinput import nz_datetime, parse_nz_date, parse_nz_time
from ascms_tui.store import Conflict, Store, StoreError
from ascms_tui.sync.doctor import OrgCheck, Problem, last_check
from ascms_tui.text import clean_text
from screens.case_dialogs import CaseDialog
from widgets.key_bar import KeyBar
from widgets.literal import literal
from widgets.sync_status import SyncState, SyncStatus
from widgets.text_fields import FormField, MacronInput, MacronTextArea

log = logging.getLogger(__name__)

FORM_KINDS = frozenset({"event", "comment", "task", "contact", "barrier", "plan", "service", "ubnf",
                        "info_request", "file"})
OPERATIONS = {"create": "new record", "update": "changed", "delete": "removed here"}
SHOWN_FIELDS = 4  # of a set-aside change, the first few fields it carries
VALUE_WIDTH = 160  # a long value is cut here in the list (the record itself has it whole)
BOOKKEEPING = frozenset({"server_version", "recorded_at"})  # with ids and links (*_id): not what the user wrote


@dataclass(frozen=True)
class SetAside:
    """One record's changes that AS-CMS refused."""

    record_type: str
    record_id: str
    case_id: str | None
    case_number: str | None
    change_ids: tuple[int, ...]
    operation: str  # of the first refused change
    fields: tuple[tuple[str, str], ...]  # (label, value as a person reads it)
    more_fields: int
    message: str
    open_target: tuple[str, str, str | None] | None  # (form kind or "case", case id, record id)


@dataclass(frozen=True)
class ConflictItem:
    conflict: Conflict
    case_number: str | None
    field: str | None  # AS-CMS's label of the field
    mine: str
    theirs: str
    kind: str  # date, datetime, bool or text: how an edited value is read
    open_target: tuple[str, str, str | None] | None

    @property
    def deleted(self) -> bool:
        return self.conflict.kind == "deleted"

    @property
    def editable(self) -> bool:
        return not self.deleted and self.kind != "bool"


@dataclass(frozen=True)
class NotTakenIn:
    """A central record the pull could not take in (kept until it is; `ascms-tui sync` exits 1 meanwhile)."""

    server_id: str
    record_type: str
    reason: str
    first_seen: str


@dataclass(frozen=True)
class WaitingForOrg:
    """Changes held because the org check found their object broken in AS-CMS (docs/org-setup.md)."""

    problem: Problem
    waiting: int  # changes of that record type waiting here


@dataclass(frozen=True)
class SyncItems:
    set_aside: list[SetAside]
    conflicts: list[ConflictItem]
    not_taken_in: list[NotTakenIn]
    waiting_for_org: list[WaitingForOrg] = field(default_factory=list)
    org_check: OrgCheck | None = None


# --- reading (in a worker) -----------------------------------------------------------------


def read_sync_items(store: Store) -> SyncItems:
    """The set-aside changes (one item per record) and the open conflicts, with what the screen shows."""
    changes = store.set_aside_changes()
    conflicts = store.conflicts()
    case_ids = {c.case_id for c in changes if c.case_id} | {c.case_id for c in conflicts if c.case_id}
    numbers = _case_numbers(store, case_ids)
    by_record: dict[str, list] = {}
    for change in changes:
        by_record.setdefault(change.record_id, []).append(change)
    set_aside = []
    for record_id, group in by_record.items():
        first = group[0]
        merged: dict[str, Any] = {}
        for change in group:  # the latest value of each field
            for column, values in change.changed_fields.items():
                if isinstance(values, dict):
                    merged[column] = values.get("new")
        fields = _described_fields(first.record_type, merged, skip_empty=first.operation == "create")
        set_aside.append(SetAside(
            record_type=first.record_type, record_id=record_id, case_id=first.case_id,
            case_number=numbers.get(first.case_id or ""), change_ids=tuple(c.change_id for c in group),
            operation=first.operation, fields=tuple(fields[:SHOWN_FIELDS]),
            more_fields=max(0, len(fields) - SHOWN_FIELDS),
            message=clean_text(group[-1].last_error or "AS-CMS gave no reason"),
            open_target=_open_target(store, first.record_type, record_id, first.case_id),
        ))
    items = []
    for conflict in conflicts:
        record_type, column = conflict.record_type, conflict.field
        items.append(ConflictItem(
            conflict=conflict, case_number=numbers.get(conflict.case_id or ""),
            field=field_label(record_type, column) if column else None,
            mine=_shown(display_value(record_type, column, conflict.local_value)) if column else "",
            theirs=_shown(display_value(record_type, column, conflict.server_value)) if column else "",
            kind=field_kinds(record_type).get(column, "text") if column else "text",
            open_target=_open_target(store, record_type, conflict.record_id, conflict.case_id),
        ))
    not_taken_in = [NotTakenIn(row["server_id"], row["record_type"], clean_text(row["reason"]), row["first_seen"])
                    for row in store.skipped_records()]
    check = last_check(store)
    waiting: list[WaitingForOrg] = []
    if check is not None and check.held_types:
        queued: dict[str, int] = {}
        for change in store.open_changes():
            queued[change.record_type] = queued.get(change.record_type, 0) + 1
        waiting = [WaitingForOrg(p, queued.get(p.record_type, 0)) for p in check.problems if p.record_type]
    return SyncItems(set_aside, items, not_taken_in, waiting, check)


def _case_numbers(store: Store, case_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(case_ids)
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        found.update(store.read(f"SELECT id, case_number FROM cases WHERE id IN ({marks})", chunk))
    return found


def _described_fields(record_type: str, values: dict[str, Any], *, skip_empty: bool) -> list[tuple[str, str]]:
    columns = field_columns(record_type)
    ordered = sorted(values, key=lambda name: (columns.index(name) if name in columns else len(columns), name))
    return [(field_label(record_type, name), _shown(display_value(record_type, name, values[name])))
            for name in ordered
            if not (name == "id" or name.endswith("_id") or name in BOOKKEEPING)
            and not (skip_empty and values[name] in (None, "", [], {}, 0, False))]  # a new record's blanks


def _shown(text: str) -> str:
    text = clean_text(text).replace("\n", " ")
    return text if len(text) <= VALUE_WIDTH else text[:VALUE_WIDTH - 1] + "…"


def _open_target(store: Store, record_type: str, record_id: str, case_id: str | None):
    """Where "open" goes: the record's form, its plan's form (a step), or its case; None if nothing is left."""
    if record_type == "case":
        return ("case", record_id, None) if store.get(Case, record_id) else None
    model = RECORD_TYPES.get(record_type)
    record = store.get(model, record_id) if model else None
    if record is None:
        return ("case", case_id, None) if case_id and store.get(Case, case_id) else None
    if isinstance(record, PlanStep):
        return ("plan", record.case_id, record.plan_id)
    if record_type in FORM_KINDS:
        return (record_type, record.case_id, record_id)
    return ("case", record.case_id, None)


# --- the screen ----------------------------------------------------------------------------


def _binding(key: str, action: str, description: str, tooltip: str, *, show: bool = True) -> Binding:
    return Binding(key, action, description, id=f"sync.{action}", tooltip=tooltip, show=show)


class SyncScreen(Screen):
    CSS_PATH = "sync.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        _binding("escape", "back", "Back", "Back to where you were"),
        _binding("o", "open_record", "Open", "Open the record to fix it (saving it queues it again)"),
        _binding("r", "retry", "Retry", "Send this change again as it is (after the problem was fixed in AS-CMS)"),
        _binding("m", "resolve('mine')", "Keep mine", "Keep the value recorded here; it is sent over AS-CMS's"),
        _binding("t", "resolve('theirs')", "Take theirs", "Take AS-CMS's value; yours is dropped"),
        _binding("e", "edit_value", "Edit", "Type the value to keep (for example a mix of both)"),
        _binding("s", "app.sync_now", "Sync now", "Send queued changes to AS-CMS and bring back central changes"),
        _binding("c", "check_org", "Check org", "Check the AS-CMS org against what this app needs (as 'ascms-tui "
                                                "doctor' does); changes held for a broken object go once it is fixed"),
        _binding("f5", "reload", "Refresh", "Read the set-aside changes and conflicts again", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items = SyncItems([], [], [])
        self._by_option: dict[str, SetAside | ConflictItem] = {}
        self._seen: tuple | None = None
        self._resumed = False

    @property
    def store(self) -> Store:
        return self.app.store

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading…", id="sync-summary")
        yield OptionList(id="sync-items")
        yield SyncStatus(id="sync-status", hint=False)  # this screen is where the hint leads
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "Sync with AS-CMS"
        self.app.sync_state_changed.subscribe(self, self._state_changed)
        self.action_reload()
        self.query_one(OptionList).focus()

    def on_unmount(self) -> None:
        self.app.sync_state_changed.unsubscribe(self)

    def on_screen_resume(self) -> None:
        if self._resumed:  # back from a record's form or the edit dialog
            self.action_reload()
            self.app.refresh_sync_state()
        self._resumed = True

    def _state_changed(self, state: SyncState) -> None:
        seen = (state.set_aside, state.conflicts, state.last_sync_at, state.finished)  # every finished run
        if not state.running and seen != self._seen:
            self._seen = seen
            self.action_reload()

    # -- the list ------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.run_worker(lambda: read_sync_items(self.store), thread=True, exclusive=True,
                        group="sync-items", name="sync-items")

    def on_worker_state_changed(self, event) -> None:
        worker = event.worker
        if worker.name == "sync-items" and worker.is_finished and worker.result is not None:
            self.show(worker.result)
        if worker.name == "org-check" and worker.is_finished and worker.result is not None:
            self.notify(worker.result, title="Org check", markup=False)  # may carry AS-CMS's words
            self.action_reload()

    def show(self, items: SyncItems) -> None:
        self.items = items
        options_list = self.query_one(OptionList)
        keep = options_list.highlighted_option.id if options_list.highlighted_option else None
        options: list[Option | None] = []
        self._by_option = {}
        if items.set_aside:
            options.append(Option(Text(f"Set aside, not sent ({len(items.set_aside)})", style="bold"),
                                  disabled=True))
            for item in items.set_aside:
                option_id = f"aside:{item.record_id}"
                self._by_option[option_id] = item
                options.append(Option(_set_aside_prompt(item), id=option_id))
        if items.conflicts:
            if items.set_aside:
                options.append(None)
            options.append(Option(Text(f"Conflicts ({len(items.conflicts)})", style="bold"), disabled=True))
            for item in items.conflicts:
                option_id = f"conflict:{item.conflict.conflict_id}"
                self._by_option[option_id] = item
                options.append(Option(_conflict_prompt(item), id=option_id))
        if items.waiting_for_org:
            if options:
                options.append(None)
            options.append(Option(Text(f"Waiting for AS-CMS to be set up ({len(items.waiting_for_org)})", style="bold"),
                                  disabled=True))
            for n, item in enumerate(items.waiting_for_org):
                option_id = f"org:{n}"
                self._by_option[option_id] = item
                options.append(Option(_waiting_prompt(item), id=option_id))
        if items.not_taken_in:
            if options:
                options.append(None)
            options.append(Option(Text(f"From AS-CMS, not taken in ({len(items.not_taken_in)})", style="bold"),
                                  disabled=True))
            for item in items.not_taken_in:
                option_id = f"skipped:{item.server_id}"
                self._by_option[option_id] = item
                options.append(Option(_not_taken_in_prompt(item), id=option_id))
        options_list.clear_options()
        options_list.add_options(options or [Option("Nothing here.", disabled=True)])
        if keep in self._by_option:
            options_list.highlighted = options_list.get_option_index(keep)
        elif self._by_option:
            options_list.highlighted = options_list.get_option_index(next(iter(self._by_option)))
        self._show_summary()
        self.refresh_bindings()

    def _show_summary(self) -> None:
        aside, conflicts = len(self.items.set_aside), len(self.items.conflicts)
        skipped = len(self.items.not_taken_in) + len(self.items.waiting_for_org)
        text = Text()
        if not (aside or conflicts or skipped):
            text.append("Nothing needs you: no change is set aside and there are no conflicts.", style="bold")
        else:
            parts = []
            if aside:
                parts.append(f"{aside} record{'s' if aside != 1 else ''} set aside (not sent)")
            if conflicts:
                parts.append(f"{conflicts} conflict{'s' if conflicts != 1 else ''}")
            if self.items.not_taken_in:
                count = len(self.items.not_taken_in)
                parts.append(f"{count} AS-CMS record{'s' if count != 1 else ''} not taken in")
            if self.items.waiting_for_org:
                count = len(self.items.waiting_for_org)
                parts.append(f"{count} problem{'s' if count != 1 else ''} in AS-CMS's setup")
            text.append(" and ".join(parts) + " to look at. ", style="bold")
            if self.items.not_taken_in:
                text.append("Not taken in: AS-CMS holds a value this app cannot keep; it is asked for again at "
                            "every sync, and comes in once it is corrected in AS-CMS. ")
            if aside:
                text.append("Set aside: o opens the record to fix it (saving sends it again); "
                            "r retries it as it is. ")
            if conflicts:
                text.append("Conflicts: m keeps yours, t takes AS-CMS's, e edits the value.")
        text.append("\n")
        text.append_text(_org_check_line(self.items))
        self.query_one("#sync-summary", Static).update(text)

    @property
    def current(self) -> SetAside | ConflictItem | NotTakenIn | None:
        option = self.query_one(OptionList).highlighted_option
        return self._by_option.get(option.id or "") if option is not None else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.refresh_bindings()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_open_record()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        item = self.current
        if action == "retry":
            return isinstance(item, SetAside)
        if action == "resolve":
            return isinstance(item, ConflictItem)
        if action == "edit_value":
            return None if isinstance(item, ConflictItem) and not item.editable else isinstance(item, ConflictItem)
        if action == "open_record":
            return isinstance(item, (SetAside, ConflictItem)) and item.open_target is not None
        return True

    # -- actions -----------------------------------------------------------------------------

    def action_check_org(self) -> None:
        def check() -> str:
            from ascms_tui.sync.client import SalesforceClient, SyncStopped
            from ascms_tui.sync.commands import tokens_folder
            from ascms_tui.sync.doctor import check_org, keep_check
            from ascms_tui.sync.mapping import load_mapping

            session, _tokens = self.app._sync_session(force=True)
            if session is None:
                return "Not signed in to AS-CMS: sign in with 'ascms-tui login' in a terminal."
            try:
                mapping = load_mapping(tokens_folder() / "mapping.toml")
                with SalesforceClient(session, api_version=mapping.api_version, max_tries=3) as client:
                    result = check_org(client, mapping)
            except SyncStopped as error:
                return f"The org could not be checked: {error}"
            keep_check(self.store, result)
            count = len(result.problems)
            return "AS-CMS has everything this app needs." if not count else \
                f"{count} problem{'s' if count != 1 else ''} in AS-CMS's setup: listed here."

        self.notify("Checking the org…", title="Org check")
        self.run_worker(check, thread=True, exclusive=True, group="org-check", name="org-check")

    def action_back(self) -> None:
        self.dismiss()

    def action_open_record(self) -> None:
        item = self.current
        if item is None:
            return
        target = item.open_target
        if target is None:
            self.notify("This record is no longer on this laptop.", title="Sync")
            return
        kind, case_id, record_id = target
        if kind == "case":
            self.app.open_case(case_id)
        else:
            self.app.open_form(kind, case_id, record_id)

    def action_retry(self) -> None:
        item = self.current
        if not isinstance(item, SetAside):
            return

        def retry() -> None:
            for change_id in item.change_ids:
                self.store.retry_change(change_id)

        self._write(retry, "Queued again.", then=self.app.action_sync_now)

    def action_resolve(self, choice: str) -> None:
        item = self.current
        if not isinstance(item, ConflictItem):
            return
        conflict = item.conflict
        if item.deleted:
            said = ("Kept: it goes to AS-CMS again as a new record with the next sync." if choice == "mine"
                    else "Removed here, as it was in AS-CMS.")
        else:
            said = (f"Kept your {item.field}: it goes to AS-CMS with the next sync." if choice == "mine"
                    else f"Took AS-CMS's {item.field}.")
        self._write(lambda: self.store.resolve_conflict(conflict.conflict_id, choice), said)

    def action_edit_value(self) -> None:
        item = self.current
        if isinstance(item, ConflictItem) and item.editable and item.conflict.case_id:
            self.app.push_screen(ConflictEditDialog(item))

    def _write(self, work: Callable[[], object], done: str, then: Callable[[], object] | None = None) -> None:
        def run() -> None:
            try:
                work()
            except StoreError as error:
                self.app.call_from_thread(self.notify, str(error), title="Not done", severity="error", markup=False)
            except Exception as error:  # a locked file: say so, change nothing on screen
                log.exception("sync screen action failed")
                self.app.call_from_thread(self.notify, f"Could not do that: {type(error).__name__}",
                                          severity="error", markup=False)
            else:
                self.app.call_from_thread(self._written, done, then)

        self.run_worker(run, thread=True, group="sync-write", exit_on_error=False)

    def _written(self, done: str, then: Callable[[], object] | None) -> None:
        self.notify(done, title="Sync", markup=False)
        self.action_reload()
        if then is not None:
            then()
        else:
            self.app.refresh_sync_state()


def _heading(record_type: str, case_number: str | None, what: str) -> Text:
    model = RECORD_TYPES.get(record_type)
    text = Text()
    text.append(model.label if model else record_type, style="bold")
    if case_number:
        text.append(f" · case {case_number}")
    text.append(f" · {what}")
    return text


def _indented(heading: Text, *lines: Text) -> Group:
    """The heading, then each line indented, wrapped lines too (a long message stays readable)."""
    return Group(heading, *(Padding(line, (0, 0, 0, 2)) for line in lines))


def _labelled(label: str, value: str) -> Text:
    text = Text()
    text.append(label, style="bold")
    text.append_text(literal(value))
    return text


def _set_aside_prompt(item: SetAside) -> Group:
    heading = _heading(item.record_type, item.case_number, OPERATIONS.get(item.operation, item.operation))
    lines = []
    if item.fields:
        fields = Text()
        for index, (label, value) in enumerate(item.fields):
            if index:
                fields.append(" · ", style="dim")
            fields.append(f"{label}: ", style="dim")
            fields.append_text(literal(value))
        if item.more_fields:
            fields.append(f" · and {item.more_fields} more", style="dim")
        lines.append(fields)
    lines.append(_labelled("Reason: ", item.message))
    return _indented(heading, *lines)


def _waiting_prompt(item: WaitingForOrg) -> Group:
    p = item.problem
    where = f"{p.object}.{p.field}" if p.field else p.object
    waiting = "no change waiting yet" if not item.waiting else \
        f"{item.waiting} change{'s' if item.waiting != 1 else ''} waiting"
    heading = _heading(p.record_type, None, waiting)
    return _indented(heading, _labelled("In AS-CMS: ", f"{where}: {p.problem}"),
                     _labelled("What breaks: ", p.consequence), _labelled("Who can fix it: ", p.fix))


def _org_check_line(items: SyncItems) -> Text:
    check = items.org_check
    text = Text()
    if check is None:
        text.append("The org has not been checked from here: c checks it (as 'ascms-tui doctor' does).")
        return text
    from datetime import datetime

    from ascms_tui.nztime import format_nz_datetime

    when = format_nz_datetime(datetime.fromisoformat(check.checked_at))
    if not check.problems:
        text.append(f"Org check {when}: AS-CMS has everything this app needs. c checks again.")
    else:
        count = len(check.problems)
        text.append(f"Org check {when}: {count} problem{'s' if count != 1 else ''}; changes for a broken object "
                    "wait here and go once it is fixed. c checks again.")
    return text


def _not_taken_in_prompt(item: NotTakenIn) -> Group:
    # The reason is AS-CMS's data described: literal text, never markup.
    return _indented(_heading(item.record_type, None, f"AS-CMS Id {item.server_id}"), _labelled("Reason: ", item.reason))


def _conflict_prompt(item: ConflictItem) -> Group:
    if item.deleted:
        heading = _heading(item.conflict.record_type, item.case_number, "deleted in AS-CMS, changed here")
        return _indented(heading, Text("Keep mine sends it to AS-CMS again as a new record; "
                                       "take theirs removes it here.", style="dim"))
    heading = _heading(item.conflict.record_type, item.case_number, f"{item.field} changed here and in AS-CMS")
    return _indented(heading, _labelled("Mine:   ", item.mine), _labelled("AS-CMS: ", item.theirs))


# --- edit: a third value -----------------------------------------------------------------


class ConflictEditDialog(CaseDialog):
    """Type the value to keep for a field changed on both sides; saved as an ordinary edit."""

    CSS_PATH: ClassVar[list[str]] = ["case_dialogs.tcss", "sync.tcss"]
    TITLE_TEXT = "Edit the value to keep"

    def __init__(self, item: ConflictItem) -> None:
        super().__init__(item.conflict.case_id)
        self.item = item

    def compose_body(self, case: Case) -> ComposeResult:
        item = self.item
        detail = Text()
        detail.append_text(_heading(item.conflict.record_type, item.case_number, item.field or ""))
        detail.append("\nAS-CMS: ", style="bold")
        detail.append_text(literal(item.theirs))
        yield Static(detail, classes="dialog-detail")
        value = _edit_text(item)
        if item.kind == "text" and ("\n" in value or len(value) > 60):
            control = MacronTextArea(value, id="value", soft_wrap=True)
        else:
            control = MacronInput(value, id="value", select_on_focus=False)
        yield FormField(item.field or "Value", control, key="value", macrons=item.kind == "text")

    def on_mount(self) -> None:
        self.query_one("#value").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def checked(self) -> tuple[Callable[[], Any], str] | None:
        control = self.query_one("#value")
        typed = control.text if isinstance(control, MacronTextArea) else control.value
        try:
            value = _read_value(self.item.kind, typed, self.app.today())
        except ValueError as error:
            self.query_one("#field-value", FormField).show_error(str(error))
            return None
        conflict_id, store = self.item.conflict.conflict_id, self.app.store
        return (lambda: store.resolve_conflict(conflict_id, "edit", value)), (
            f"Saved your edit of {self.item.field}: it goes to AS-CMS with the next sync.")


def _edit_text(item: ConflictItem) -> str:
    """The local value as the user types it (dates the NZ way)."""
    value = item.conflict.local_value
    if value is None:
        return ""
    if item.kind in ("date", "datetime"):
        return display_value(item.conflict.record_type, item.conflict.field, value)
    return clean_text(str(value))


def _read_value(kind: str, typed: str, today) -> Any:
    typed = clean_text(typed)
    if kind == "date":
        return parse_nz_date(typed, today) if typed.strip() else None
    if kind == "datetime":
        day, _, at = typed.rpartition(",")
        if not day.strip():
            raise ValueError(f"'{typed}' is not a date and time: type it like 4/06/2026, 2:00 pm")
        return nz_datetime(parse_nz_date(day, today), parse_nz_time(at))
    return typed.strip() or None
