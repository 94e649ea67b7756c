"""One case: the header, and tabs for its activity timeline, details and related records."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Header, Static

from ascms_tui.domain import (
    Barrier,
    Case,
    CaseFile,
    Contact,
    InfoRequest,
    Plan,
    PlanStep,
    Record,
    Service,
    Ubnf,
)
from ascms_tui.nztime import format_nz_date
from ascms_tui.store import Store, StoreError
from ascms_tui.timeline import (
    COMMENT,
    EVENT,
    STATUS_CHANGE,
    TASK,
    TimelineEntry,
    entries_from_rows,
    read_timeline_rows,
)
from widgets.case_header import CaseHeader, student_names
from widgets.case_records import CaseDetails, RelatedRecords
from widgets.key_bar import KeyBar
from widgets.sync_status import SyncStatus
from widgets.tab_strip import TabStrip
from widgets.timeline import Timeline

log = logging.getLogger(__name__)

# The timeline filter, in the order `f` cycles through it.
FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("All", None),
    ("Events", frozenset({EVENT})),
    ("Comments", frozenset({COMMENT})),
    ("Tasks", frozenset({TASK})),
    ("Status changes", frozenset({STATUS_CHANGE})),
)
# Record types read after the timeline has been shown (the Related tab's other lists).
OTHER_TYPES: tuple[type[Record], ...] = (Barrier, Plan, PlanStep, Service, Ubnf, InfoRequest, CaseFile)
# The tabs: (id, key, label). The keys are shown on the tab bar itself.
TABS = (("timeline", "1", "Timeline"), ("details", "2", "Details"), ("related", "3", "Related"))


@dataclass
class CaseData:
    """Everything the case view shows, read in a worker."""

    case: Case
    contacts: list[Contact]
    entries: list[TimelineEntry]
    unsynced: set[str]  # ids of this case's records with changes not yet in AS-CMS
    others: dict[type[Record], list[Any]] | None = None  # None until read


class CaseViewScreen(Screen):
    CSS_PATH = "case_view.tcss"
    AUTO_FOCUS = "#timeline-entries"  # one focus change on opening: each rebuilds the footer
    BINDINGS: ClassVar = [
        Binding("e", "new('event')", "Event", id="case_view.new_event", tooltip="Record a new Event for this case"),
        Binding("c", "new('comment')", "Comment", id="case_view.new_comment", tooltip="Write a new Case Comment"),
        Binding("t", "new('task')", "Task", id="case_view.new_task", tooltip="Add a new Task for this case"),
        # Not in the footer: the filter bar above the timeline shows it.
        Binding("f", "cycle_filter(1)", "Filter", id="case_view.filter", show=False,
                tooltip="Timeline: show everything, or only events, comments, tasks or status changes"),
        Binding("F", "cycle_filter(-1)", "Filter back", id="case_view.filter_back",
                tooltip="Timeline: the previous filter", show=False),
        # Not in the footer: the tab bar shows these keys beside the tab names.
        Binding("1", "show_tab('timeline')", "Timeline", id="case_view.tab_timeline",
                tooltip="Show the activity timeline", show=False),
        Binding("2", "show_tab('details')", "Details", id="case_view.tab_details",
                tooltip="Show student, school and contact details", show=False),
        Binding("3", "show_tab('related')", "Related", id="case_view.tab_related",
                tooltip="Show every record of the case, by type", show=False),
        Binding("s", "case_status", "Status", id="case_view.status",
                tooltip="Change the case status (Open, Paused, Transition, Closed), with a reason where needed"),
        # In the footer on the Details tab (the other tabs have no room left).
        Binding("o", "case_owner", "Owner", id="case_view.owner", show=False,
                tooltip="Assign or change the case owner"),
        # Not in the footer (no room): README's keys table and the palette list them.
        Binding("h", "history(False)", "History", id="case_view.history", show=False,
                tooltip="Who changed the highlighted record, when, and each value before and after"),
        Binding("H", "history(True)", "Case history", id="case_view.case_history", show=False,
                tooltip="Every change to this case and its records"),
        Binding("p", "privacy_export", "Privacy export", id="case_view.privacy_export", show=False,
                tooltip="Everything held about this student, as PDF, HTML or JSON, for a Privacy Act request"),
        Binding("escape,backspace", "back", "Back", id="case_view.back", tooltip="Back to the case list"),
    ]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.data: CaseData | None = None
        self.filter_index = 0
        self._related_shown: tuple[CaseData, bool] | None = None
        self._details_shown: CaseData | None = None
        self._resumed = False
        self._early: tuple[CaseData, date] | None = None
        self._widgets_ready = False

    @property
    def store(self) -> Store:
        return self.app.store  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        # One row, read here so that the header is up with the first paint; the
        # records are read in a worker started now, overlapping building the widgets.
        case = self.store.get(Case, self.case_id)
        if case is not None:
            self.sub_title = f"Case {case.case_number} · {student_names(case)}"
        self.reload(case)
        yield Header()
        yield CaseHeader(case, self.app.today(), id="case-header")  # type: ignore[attr-defined]
        yield TabStrip(TABS, id="tabs")
        with ContentSwitcher(id="panes", initial="timeline"):
            with Vertical(id="timeline"):
                yield Static(id="timeline-filter")
                yield Timeline(id="timeline-entries")
            yield CaseDetails(id="details")
            yield RelatedRecords(id="related")
        yield SyncStatus(id="sync-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self._show_filter()
        self._widgets_ready = True
        if self._early is not None:  # the read finished before the widgets were up
            self._show(*self._early)
            self._early = None

    def on_unmount(self) -> None:
        self.data = None  # freed now, not by a later garbage collection (see Timeline.on_unmount)
        self._related_shown = self._details_shown = None

    def on_screen_resume(self) -> None:
        # Back from a form that may just have saved a record (the first load began in compose).
        if self._resumed:
            self.reload()
        self._resumed = True

    # -- loading --------------------------------------------------------------------------

    def reload(self, case: Case | None = None) -> None:
        self.run_worker(partial(self._load, case), thread=True, exclusive=True, group="case-view")

    def _load(self, case: Case | None) -> None:
        store, today = self.store, self.app.today()  # type: ignore[attr-defined]
        case = case or store.get(Case, self.case_id)
        if case is None:
            self.app.call_from_thread(self._case_missing)
            return
        # The timeline first: it is what the case manager came for.
        rows = read_timeline_rows(store, self.case_id)
        data = CaseData(case, rows.contacts, entries_from_rows(rows, today), rows.unsynced)
        self.app.call_from_thread(self._show, data, today)
        others = {model: store.records(model, self.case_id) for model in OTHER_TYPES}
        self.app.call_from_thread(self._show_others, data, others)

    def _case_missing(self) -> None:
        self.notify("This case is no longer in the local store.", title="Case not found", severity="error")
        self.action_back()

    def _show(self, data: CaseData, today: date) -> None:
        if not self._widgets_ready:
            self._early = (data, today)
            return
        previous, self.data = self.data, data
        self.sub_title = f"Case {data.case.case_number} · {student_names(data.case)}"
        self.query_one(CaseHeader).show(data.case, data.contacts, today)
        timeline = self.query_one(Timeline)
        timeline.empty_message = "Nothing recorded yet: e for an Event, c for a Case Comment, t for a Task."
        timeline.filtered_empty_message = "Nothing of this type on this case: f shows the next type."
        timeline.set_entries(data.entries, today)
        if previous is not None:
            before = {entry.record_id for entry in previous.entries}
            added = [i for i, entry in enumerate(timeline.shown_entries) if entry.record_id not in before]
            if len(added) == 1:  # just saved in a form: select it
                timeline.select(added[0])
        self._show_filter()
        self._refresh_tab()

    def _show_others(self, data: CaseData, others: dict[type[Record], list[Any]]) -> None:
        data.others = others
        self._refresh_tab()

    def _refresh_tab(self) -> None:
        # Details and Related are filled only while showing: opening the case paints sooner.
        data = self.data
        if data is None:
            return
        active = self.query_one(ContentSwitcher).current
        if active == "details" and self._details_shown is not data:
            self._details_shown = data
            self.query_one(CaseDetails).show(data.case, data.contacts)
        elif active == "related" and self._related_shown != (data, data.others is not None):
            if data.others is None and self._related_shown is not None:
                return  # read again after a change: keep the full list up until the new one is complete
            self._related_shown = (data, data.others is not None)
            self.query_one(RelatedRecords).show(data.contacts, data.entries, data.others, data.unsynced)

    # -- actions ---------------------------------------------------------------------------

    def action_new(self, kind: str) -> None:
        self._open_form(kind)

    def on_timeline_entry_chosen(self, message: Timeline.EntryChosen) -> None:
        entry = message.entry
        if entry.editable:
            self._open_form(entry.kind, entry.record_id)
        else:
            self.notify("A status change is part of the case history and cannot be edited.", title=entry.title)

    def _open_form(self, kind: str, record_id: str | None = None) -> None:
        self.app.open_form(kind, self.case_id, record_id)  # type: ignore[attr-defined]

    # -- the Related tab's actions, and the case's status and owner ----------------------------

    def action_case_status(self) -> None:
        from screens.case_dialogs import CaseStatusDialog

        self.app.push_screen(CaseStatusDialog(self.case_id))  # back here, the case is read again

    def action_case_owner(self) -> None:
        from screens.case_dialogs import CaseOwnerDialog

        self.app.push_screen(CaseOwnerDialog(self.case_id))

    # -- audit history and the Privacy Act export (screens/audit.py, screens/export_dialog.py) -------

    def action_history(self, whole_case: bool) -> None:
        from screens.audit import AuditScreen

        tab = self.query_one(ContentSwitcher).current
        if whole_case:
            self.app.push_screen(AuditScreen(self.case_id))
            return
        if tab == "details":  # the case record itself: student, school, status, owner
            record_id, what = self.case_id, "The case details"
        elif tab == "timeline":
            entry = self.query_one(Timeline).selected_entry
            if entry is None:
                self.notify("Nothing selected: H shows the whole case's history.", title="History")
                return
            record_id, what = entry.record_id, removal_detail(entry.kind, entry, None).splitlines()[0]
        else:
            related = self.query_one(RelatedRecords)
            current = related.current
            if current is None or current[1] is None:
                self.notify("Highlight a record first: H shows the whole case's history.", title="History")
                return
            kind, record_id = current
            what = removal_detail(kind, related.record(f"{kind}:{record_id}"), None).splitlines()[0]
        self.app.push_screen(AuditScreen(self.case_id, record_id, what))

    def action_privacy_export(self) -> None:
        from screens.export_dialog import PrivacyExportDialog

        self.app.push_screen(PrivacyExportDialog(self.case_id))

    def on_related_records_requested(self, message: RelatedRecords.Requested) -> None:
        kind, record_id = message.kind, message.record_id
        if message.action == "add":
            if kind == STATUS_CHANGE:
                self.action_case_status()
            else:
                self._open_form(kind)
        elif message.action == "open" and record_id is not None:
            self._open_form(kind, record_id)
        elif message.action == "remove" and record_id is not None:
            self._confirm_remove(kind, record_id)
        elif message.action == "toggle_current" and record_id is not None:
            contact = self.query_one(RelatedRecords).record(f"{kind}:{record_id}")
            if isinstance(contact, Contact):
                self._toggle_current(contact)
        elif message.action == "view" and record_id is not None:
            file = self.query_one(RelatedRecords).record(f"{kind}:{record_id}")
            if isinstance(file, CaseFile):
                self._write(partial(_view_file, file), None)

    def _confirm_remove(self, kind: str, record_id: str) -> None:
        from screens.case_dialogs import ConfirmRemoveScreen
        from screens.record_forms import FORM_MODELS

        model = FORM_MODELS[kind]
        item = self.query_one(RelatedRecords).record(f"{kind}:{record_id}")
        detail = removal_detail(kind, item, self.data.others if self.data else None)

        def chosen(remove: bool | None) -> None:
            if remove:
                self._write(partial(_remove, self.store, model, record_id, item), f"{model.label} removed.")

        self.app.push_screen(ConfirmRemoveScreen(f"Remove this {model.label}?", detail), chosen)

    def _toggle_current(self, contact: Contact) -> None:
        today = self.app.today()  # type: ignore[attr-defined]
        if contact.details_current:
            changes: dict[str, Any] = {"details_current": False}
            said = f"{contact.name}: details no longer current."
        else:
            changes = {"details_current": True, "details_confirmed_on": today}
            said = f"{contact.name}: details current, confirmed {format_nz_date(today)}."
        self._write(partial(self.store.update, Contact, contact.id, changes), said)

    def _write(self, work: Callable[[], Any], done: str | None) -> None:
        """Run a store write (or a slow call) in a worker; say what happened; read the case again."""

        def run() -> None:
            try:
                work()
            except StoreError as error:
                self.app.call_from_thread(partial(self.notify, str(error), title="Not saved", severity="error",
                                                  markup=False))  # names and paths are the user's text
                return
            except Exception as error:  # a locked file, a viewer that will not start
                log.exception("related action failed")
                self.app.call_from_thread(partial(self.notify, f"Could not do that: {error}", severity="error",
                                                  markup=False))
                return
            if done:
                self.app.call_from_thread(partial(self.notify, done, markup=False))
                self.app.call_from_thread(self.reload)

        self.run_worker(run, thread=True, group="related-write", exit_on_error=False)

    def action_cycle_filter(self, step: int) -> None:
        self.filter_index = (self.filter_index + step) % len(FILTERS)
        self.query_one(Timeline).set_kinds(FILTERS[self.filter_index][1])
        self._show_filter()
        self.action_show_tab("timeline")

    def action_show_tab(self, tab: str) -> None:
        self.query_one(ContentSwitcher).current = tab
        self.query_one(TabStrip).active = tab
        self.query_one({"timeline": Timeline, "details": CaseDetails, "related": RelatedRecords}[tab]).focus()
        self._refresh_tab()

    def on_tab_strip_chosen(self, message: TabStrip.Chosen) -> None:
        self.action_show_tab(message.tab)

    def action_back(self) -> None:
        if self.app.screen is self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def _show_filter(self) -> None:
        counts: dict[str, int] = {}
        for entry in self.data.entries if self.data else ():
            counts[entry.kind] = counts.get(entry.kind, 0) + 1
        text = Text("Show ", style="dim")
        for index, (label, kinds) in enumerate(FILTERS):
            count = sum(counts.values()) if kinds is None else sum(counts.get(kind, 0) for kind in kinds)
            text.append(f" {label} {count:,} " if self.data else f" {label} ",
                        style="bold reverse" if index == self.filter_index else "")
            text.append(" ")
        text.append("  f: next filter", style="dim")
        self.query_one("#timeline-filter", Static).update(text)


def removal_detail(kind: str, item: Any, others: dict[type[Record], list[Any]] | None) -> str:
    """What the confirmation says will go, and what stays."""
    what = {
        Contact: lambda c: f"{c.name} ({c.role.value})",
        Barrier: lambda b: f"{b.category.value} ({b.status.value})",
        Plan: lambda p: f"Student Plan ({p.status.value})",
        Service: lambda s: f"{s.agency} ({s.kind.value})",
        Ubnf: lambda u: f"{u.provided}, ${u.amount:,.2f}",
        InfoRequest: lambda r: f"{r.agency.value}, requested {format_nz_date(r.requested_on)}",
        CaseFile: lambda f: f.file_name,
    }
    named = next((describe(item) for model, describe in what.items() if isinstance(item, model)), None)
    if named is None and isinstance(item, TimelineEntry):
        named = f"{item.title} ({item.when_text})"
    lines = [named or "This record"]
    if isinstance(item, Plan):
        steps = sum(1 for step in (others or {}).get(PlanStep, []) if step.plan_id == item.id)
        lines.append(f"Its {steps} step{'s' if steps != 1 else ''} go with it." if steps else "It has no steps.")
    if isinstance(item, Barrier):
        lines.append("Services and UBNF support linked to it stay; only the link goes.")
    if isinstance(item, TimelineEntry) and item.is_initial_meeting:
        lines.append("This is an initial meeting that reporting counts.")
    lines.append("It is removed from this laptop, and the removal is sent to AS-CMS at the next sync.")
    return "\n".join(lines)


def _remove(store: Store, model: type[Record], record_id: str, item: Any) -> None:
    store.delete(model, record_id)
    if isinstance(item, CaseFile):
        from ascms_tui.files import stored_path

        stored_path(item).unlink(missing_ok=True)  # the private copy goes with its record


def _view_file(file: CaseFile) -> None:
    from ascms_tui.files import open_with_system_viewer, stored_path

    path = stored_path(file)
    if not path.exists():
        raise StoreError(f"The copy of {file.file_name} is not on this laptop (it may not have downloaded yet).")
    open_with_system_viewer(path)
