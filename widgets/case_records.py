"""The case view's Details tab (read-only) and Related tab (every record, with keys to add, edit and remove).

Every value is shown literally: text from AS-CMS or an import is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

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
from ascms_tui.timeline import (
    COMMENT,
    EVENT,
    STATUS_CHANGE,
    TASK,
    TimelineEntry,
    format_time_spent,
)
from widgets.literal import literal
from widgets.timeline import component_style

# The Related tab lists this many of each record type, newest first; fewer of each activity
# (events, comments, tasks, status changes): the Timeline has them all, and a list of
# hundreds takes half a second to lay out.
RELATED_LIMIT = 100
ACTIVITY_LIMIT = 20

_STYLE_CSS = """
    & > .records--label { color: $text-muted; }
    & > .records--strong { text-style: bold; }
    & > .records--heading { text-style: bold; color: $text-primary; }
    & > .records--empty { color: $text-muted; text-style: italic; }
    & > .records--good { color: $text-success; text-style: bold; }
    & > .records--warning { color: $text-warning; text-style: bold; }
"""
_STYLE_NAMES = ("label", "strong", "heading", "empty", "good", "warning")


class _Styled:
    """Rich styles from the widget's component classes, so that both themes work."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"records--{name}" for name in _STYLE_NAMES}
    _last_shown: tuple | None = None

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        # The app's signal would otherwise keep this widget (and what it shows) alive.
        self.app.theme_changed_signal.unsubscribe(self)  # type: ignore[attr-defined]
        self._last_shown = None

    def _theme_changed(self, _theme: object) -> None:
        self.call_after_refresh(self._show_again)  # type: ignore[attr-defined]

    def _show_again(self) -> None:
        if self._last_shown is not None:
            self.show(*self._last_shown)  # type: ignore[attr-defined]

    def _styles(self) -> dict[str, Style]:
        return {name: component_style(self, f"records--{name}") for name in _STYLE_NAMES}  # type: ignore[arg-type]


# --- Details ---------------------------------------------------------------------------------


OWNER_BINDING = Binding("o", "screen.case_owner", "Owner", id="case_records.owner",
                        tooltip="Assign or change the case owner")


class CaseDetails(_Styled, VerticalScroll):
    """Student, case and school details, and every contact."""

    DEFAULT_CSS = "CaseDetails {" + _STYLE_CSS + "}"
    COMPONENT_CLASSES: ClassVar[set[str]] = _Styled.COMPONENT_CLASSES
    BINDINGS: ClassVar[list[BindingType]] = [OWNER_BINDING]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._student = Static(id="student-details", classes="details-box")
        self._school = Static(id="school-details", classes="details-box")
        self._contacts = Static(id="contact-details", classes="details-box")

    def compose(self):
        with Horizontal(id="details-top"):
            yield self._student
            yield self._school
        yield self._contacts

    def show(self, case: Case, contacts: Sequence[Contact]) -> None:
        self._last_shown = (case, contacts)
        st = self._styles()
        student = case.student
        self._student.update(_fields(st, "Student", [
            ("Name", student.name),
            ("Known as", student.known_as),
            ("NSN", student.nsn),
            ("Date of birth", _date(student.date_of_birth, None)),
            ("Gender", student.gender),
            ("Year level", student.year_level),
            ("Ethnicity", student.ethnicity),
            ("Iwi", student.iwi),
        ]))
        self._school.update(_fields(st, "Case and school", [
            ("Case number", case.case_number),
            ("Type", case.case_type.value),
            ("Status", case.status.value + (f" ({case.status_reason.value})" if case.status_reason else "")),
            ("Referral date", format_nz_date(case.referral_date)),
            ("Case owner", case.case_owner or "Not assigned"),
            ("Catchment", case.catchment),
            ("Migrated", "Yes" if case.migrated else "No"),
            ("School", case.school.name),
            ("School number", case.school.number),
            ("Primary contact", case.school.primary_contact),
        ]))
        parts: list[RenderableType] = [Text(f"Contacts · {len(contacts)}", style=st["heading"])]
        if not contacts:
            parts.append(Text("No contacts recorded.", style=st["empty"]))
        parts += [contact_block(st, contact) for contact in contacts]
        self._contacts.update(Group(*parts))


def _fields(st: Mapping[str, Style], title: str, rows: Sequence[tuple[str, Any]]) -> Text:
    text = Text()
    text.append(title, style=st["heading"])
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        text.append("\n")
        text.append(label.ljust(width), style=st["label"])
        if value is None or value == "":
            text.append("—", style=st["label"])
        else:
            text.append_text(literal(value))
    return text


def contact_block(st: Mapping[str, Style], contact: Contact) -> RenderableType:
    head = Text()
    head.append_text(literal(contact.name, style=st["strong"]))
    head.append(f"  {contact.role.value}   ", style=st["label"])
    if contact.details_current:
        head.append("✓ details current", style=st["good"])
    else:
        head.append("✗ details not current", style=st["warning"])
    if contact.details_confirmed_on:
        head.append(f" (confirmed {format_nz_date(contact.details_confirmed_on)})", style=st["label"])
    lines = Text()
    for label, value in (
        ("Phone", contact.phone),
        ("Email", contact.email),
        ("Address", contact.address),
        ("Preferred", contact.preferred_contact_method.value if contact.preferred_contact_method else None),
    ):
        if lines:
            lines.append("   ")
        lines.append(f"{label} ", style=st["label"])
        lines.append_text(literal(value) if value else Text("—", style=st["label"]))
    return Group(head, Padding(lines, (0, 0, 0, 2)))


# --- Related ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelatedSection:
    kind: str  # the form kind (and timeline kind) of its records
    title: str
    noun: str  # "a barrier": what `a` adds


# The case record's own types first (the Timeline already leads with the activities).
SECTIONS: tuple[RelatedSection, ...] = (
    RelatedSection("contact", "Contacts", "a contact"),
    RelatedSection("barrier", "Barriers", "a barrier"),
    RelatedSection("plan", "Student Plans", "a plan with its steps"),
    RelatedSection("service", "Services", "a service or referral"),
    RelatedSection("ubnf", "UBNF", "UBNF support"),
    RelatedSection("info_request", "Info Requests", "an info request"),
    RelatedSection("file", "Files", "a file"),
    RelatedSection(EVENT, "Events", "an event"),
    RelatedSection(COMMENT, "Case Comments", "a case comment"),
    RelatedSection(TASK, "Tasks", "a task"),
    RelatedSection(STATUS_CHANGE, "Status history", "a status change"),
)
SECTION_BY_KIND = {section.kind: section for section in SECTIONS}
# Kinds whose records are history: shown, never edited or removed here.
READ_ONLY_KINDS = frozenset({STATUS_CHANGE})
_ADD = "+"  # the option id suffix of a section's "None recorded" line


class RelatedRecords(_Styled, OptionList):
    """Every record of the case in one list, a heading per type; keys act on the highlighted record.

    The list only asks: it posts `Requested` (add, open, remove, ...) and the
    case view does it, through the store.
    """

    DEFAULT_CSS = (
        "RelatedRecords {" + _STYLE_CSS + """
        height: 1fr;
        border: none;
        padding: 0;
        background: $surface;
        &:focus { border: none; }
        & > .option-list--option-disabled { color: $text; }
    }"""
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = _Styled.COMPONENT_CLASSES | OptionList.COMPONENT_CLASSES
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "request('add')", "Add", id="related.add",
                tooltip="Add a record of the highlighted type"),
        Binding("enter", "request('open')", "Edit", id="related.open",
                tooltip="Open the highlighted record in its form"),
        Binding("x,delete", "request('remove')", "Remove", id="related.remove",
                tooltip="Remove the highlighted record (asks first)"),
        Binding("space", "request('toggle_current')", "Current", id="related.toggle_current",
                tooltip="Mark the contact's details current, confirmed today (or no longer current)"),
        Binding("v", "request('view')", "View", id="related.view",
                tooltip="Open the file with this computer's viewer"),
        # The case view's e / c / t / f still work here, but the footer has no room to list them.
        *(Binding(key, f"screen.{action}", description, show=False)
          for key, action, description in (("e", "new('event')", "Event"), ("c", "new('comment')", "Comment"),
                                           ("t", "new('task')", "Task"), ("f", "cycle_filter(1)", "Filter"))),
        Binding("right_square_bracket", "jump(1)", "Next type", id="related.next_type", show=False,
                tooltip="Jump to the next record type"),
        Binding("left_square_bracket", "jump(-1)", "Previous type", id="related.previous_type", show=False,
                tooltip="Jump to the previous record type"),
    ]

    @dataclass
    class Requested(Message):
        """The user asked to do `action` to a record of `kind` (record_id None: the section itself)."""

        action: str  # add, open, remove, toggle_current, view
        kind: str
        record_id: str | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._records: dict[str, Any] = {}  # option id -> record or timeline entry
        self._seen: set[str] = set()  # every option id shown so far: what is new after a save
        self._titles: list[str] = []

    # -- what is highlighted ----------------------------------------------------------------

    @property
    def current(self) -> tuple[str, str | None] | None:
        """(kind, record id) of the highlighted line; the id is None on a "None recorded" line."""
        option = self.highlighted_option
        if option is None or option.id is None or option.disabled:
            return None
        kind, _, record_id = option.id.partition(":")
        return kind, None if record_id == _ADD else record_id

    def record(self, option_id: str) -> Any:
        """The record (or timeline entry) shown by an option."""
        return self._records.get(option_id)

    @property
    def section_titles(self) -> list[str]:
        return list(self._titles)

    def highlight_record(self, record_id: str) -> bool:
        for index, option in enumerate(self.options):
            if option.id and option.id.endswith(":" + record_id):
                self.highlighted = index
                return True
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "request":
            return super().check_action(action, parameters)
        current = self.current
        kind, record_id = current if current else (None, None)
        wanted = parameters[0] if parameters else None
        if wanted == "add":
            return current is not None
        if wanted == "open":
            return current is not None and kind not in READ_ONLY_KINDS
        if wanted == "remove":
            return record_id is not None and kind not in READ_ONLY_KINDS
        if wanted == "toggle_current":
            return record_id is not None and kind == "contact"
        if wanted == "view":
            return record_id is not None and kind == "file"
        return True

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self.refresh_bindings()  # the footer offers what fits the highlighted line

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # a click on a line opens it, as Enter does
        self.action_request("open")

    def action_request(self, action: str) -> None:
        current = self.current
        if current is None:
            return
        kind, record_id = current
        if action == "open" and record_id is None:
            action = "add"
        self.post_message(self.Requested(action, kind, record_id))

    def action_jump(self, step: int) -> None:
        starts = [i for i, option in enumerate(self.options)
                  if option.id and (option.id.startswith("#") or option.id.endswith(":" + _ADD))]
        if not starts:
            return
        here = self.highlighted or 0
        # A section's first line: its heading's next one, or the heading itself when empty.
        first = {start: start + 1 if self.options[start].disabled else start for start in starts}
        if step > 0:
            target = next((start for start in starts if first[start] > here), starts[0])
        else:
            before = [start for start in starts if first[start] < here]
            target = before[-1] if before else starts[-1]
        self.highlighted = first[target]
        self.scroll_to(y=self._index_to_line[target], animate=False, immediate=True)  # the heading on top

    # -- showing ----------------------------------------------------------------------------

    def show(
        self,
        contacts: Sequence[Contact],
        entries: Sequence[TimelineEntry],
        others: Mapping[type[Record], list[Any]] | None,
        unsynced: set[str],
    ) -> None:
        """`others` None: those record types are still being read."""
        self._last_shown = (contacts, entries, others, unsynced)
        st = self._styles()
        by_kind: dict[str, list[Any]] = {kind: [] for kind in _ENTRY_RENDERERS}
        for entry in entries:
            by_kind.setdefault(entry.kind, []).append(entry)
        by_kind["contact"] = list(contacts)
        barriers: dict[str, Barrier] = {}
        steps: dict[str, list[PlanStep]] = {}
        if others is not None:
            for kind, model in (("barrier", Barrier), ("plan", Plan), ("service", Service), ("ubnf", Ubnf),
                                ("info_request", InfoRequest), ("file", CaseFile)):
                by_kind[kind] = sorted(others.get(model, []), key=lambda r: r.recorded_at, reverse=True)
            barriers = {barrier.id: barrier for barrier in others.get(Barrier, [])}
            for step in others.get(PlanStep, []):
                steps.setdefault(step.plan_id, []).append(step)

        def render(kind: str, item: Any) -> RenderableType:
            if kind == "contact":
                block = contact_block(st, item)
            elif kind == "plan":
                block = _plan_item(st, item, steps.get(item.id, []))
            elif kind in ("service", "ubnf"):
                block = _RECORD_RENDERERS[kind](st, item, barriers.get(item.barrier_id))
            elif kind in _RECORD_RENDERERS:
                block = _RECORD_RENDERERS[kind](st, item)
            else:
                return Padding(_ENTRY_RENDERERS[kind](st, item), (0, 0, 0, 2))
            return Padding(_marked(st, block, item.id in unsynced, kind), (0, 0, 0, 2))

        before = self.highlighted_option.id if self.highlighted_option else None
        options: list[Option | None] = []
        records: dict[str, Any] = {}
        titles = []
        for section in SECTIONS:
            items = by_kind.get(section.kind)
            if items is None:  # still being read
                continue
            title = f"{section.title} · {len(items):,}"
            titles.append(title)
            if not items:  # one line: the heading is where `a` adds the first
                line = Text.assemble((title, st["heading"]), ("   None recorded. a adds " + section.noun + ".", st["empty"]))
                options += [Option(line, id=f"{section.kind}:{_ADD}"), None]
                continue
            options.append(Option(Text(title, style=st["heading"]), id="#" + section.kind, disabled=True))
            limit = ACTIVITY_LIMIT if section.kind in _ENTRY_RENDERERS else RELATED_LIMIT
            for item in items[:limit]:
                option_id = f"{section.kind}:{item.record_id if isinstance(item, TimelineEntry) else item.id}"
                records[option_id] = item
                options.append(Option(render(section.kind, item), id=option_id))
            if len(items) > limit:
                more = f"… and {len(items) - limit:,} older; the Timeline shows every one."
                options.append(Option(Padding(Text(more, style=st["label"]), (0, 0, 0, 2)), disabled=True))
            options.append(None)  # a rule under each section
        if others is None:
            options.append(Option(Text("Reading the other record types…", style=st["empty"]), disabled=True))
        elif options and options[-1] is None:
            options.pop()
        self._records, self._titles = records, titles
        # Go to a record just added (back from its form); or stay on the same one; or the first.
        added = [option_id for option_id in records if option_id not in self._seen] if self._seen else []
        self._seen.update(records)
        wanted = added[0] if len(added) == 1 else before
        with self.app.batch_update():
            self.set_options(options)
            index = next((i for i, o in enumerate(self.options) if wanted and o.id == wanted), None)
            if index is None:
                index = next((i for i, o in enumerate(self.options) if not o.disabled), None)
            self.highlighted = index


def _marked(st: Mapping[str, Style], block: RenderableType, unsynced: bool, kind: str = "") -> RenderableType:
    if not unsynced:
        return block
    label = "Queued for upload" if kind == "file" else "Not synced"
    return Group(block, Padding(Text(label, style=st["warning"]), (0, 0, 0, 2)))


def _head(st: Mapping[str, Style], *parts: tuple[str, str]) -> Text:
    text = Text()
    for value, style in parts:
        text.append_text(literal(value, style=st[style] if style else ""))
    return text


def _with_body(head: Text, body: str) -> RenderableType:
    return Group(head, Padding(literal(body), (0, 0, 0, 2))) if body.strip() else head


def _badges(st: Mapping[str, Style], text: Text, entry: TimelineEntry) -> Text:
    if entry.shared_with_school:
        text.append("  Shared with school", style=st["good"])
    if not entry.synced:
        text.append("  Not synced", style=st["warning"])
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _spent(minutes: int) -> str:
    spent = format_time_spent(minutes)
    return f" · {spent}" if spent else ""


def _date(value: date | None, missing: str | None = "—") -> str | None:
    return format_nz_date(value) if value else missing


def _event_item(st: Mapping[str, Style], entry: TimelineEntry) -> RenderableType:
    head = _head(st, (entry.when_text.ljust(21), "label"), (" ", ""), (entry.title, "strong"),
                 (_spent(entry.time_spent_minutes), "label"))
    return _badges(st, head, entry)


def _comment_item(st: Mapping[str, Style], entry: TimelineEntry) -> RenderableType:
    return _with_body(_badges(st, _head(st, (entry.when_text, "label")), entry), entry.body)


def _task_item(st: Mapping[str, Style], entry: TimelineEntry) -> RenderableType:
    due = f"Due {entry.when_text}" if entry.date_only else entry.when_text
    head = _head(st, (due.ljust(21), "label"), (" ", ""), (entry.title, "strong"),
                 (f" · {entry.task_status} · {entry.priority}{_spent(entry.time_spent_minutes)}", "label"))
    return _badges(st, head, entry)


def _status_item(st: Mapping[str, Style], entry: TimelineEntry) -> RenderableType:
    head = _head(st, (entry.when_text.ljust(21), "label"), (" ", ""), (entry.title, "strong"),
                 (f"  {entry.body}" if entry.body else "", "label"))
    return _badges(st, head, entry)


def _barrier_item(st: Mapping[str, Style], barrier: Barrier) -> RenderableType:
    head = _head(st, (barrier.category.value, "strong"),
                 (f" · {barrier.status.value} · identified {_date(barrier.identified_on)}", "label"))
    return _with_body(head, barrier.description)


def _plan_item(st: Mapping[str, Style], plan: Plan, steps: list[PlanStep]) -> RenderableType:
    head = _head(st, ("Student Plan", "strong"),
                 (f" · {plan.status.value} · review {_date(plan.review_date)} · {_count(len(steps), 'step')}", "label"))
    parts: list[RenderableType] = [_with_body(head, plan.goals)]
    for step in sorted(steps, key=lambda s: (s.due_date or date.max, s.action)):
        line = _head(st, ("☑ " if step.done else "☐ ", ""), (step.action, ""),
                     (f" — {step.responsible.value} · due {_date(step.due_date)}", "label"))
        parts.append(Padding(line, (0, 0, 0, 2)))
    return Group(*parts)


def _service_item(st: Mapping[str, Style], service: Service, barrier: Barrier | None = None) -> RenderableType:
    dates = f"referred {_date(service.referred_on)} · follow-up {_date(service.follow_up_on)}"
    head = _head(st, (service.agency, "strong"), (f" ({service.kind.value})", "label"),
                 (f" · {service.status.value} · {dates}{_spent(service.time_spent_minutes)}", "label"))
    outcome = f"Outcome: {service.outcome}" if service.outcome else ""
    return _with_body(head, "\n".join(part for part in (service.reason, outcome, _addresses(barrier)) if part))


def _ubnf_item(st: Mapping[str, Style], grant: Ubnf, barrier: Barrier | None = None) -> RenderableType:
    head = _head(st, (format_nz_date(grant.provided_on), "label"), ("  ", ""), (grant.provided, "strong"),
                 (f" · ${grant.amount:,.2f}", ""))
    return _with_body(head, _addresses(barrier))


def _addresses(barrier: Barrier | None) -> str:
    return f"Addresses the barrier: {barrier.category.value}" if barrier else ""


def _info_request_item(st: Mapping[str, Style], request: InfoRequest) -> RenderableType:
    dates = f"requested {_date(request.requested_on)} · answered {_date(request.answered_on)}"
    head = _head(st, (request.agency.value, "strong"), (f" · {dates}{_spent(request.time_spent_minutes)}", "label"))
    outcome = f"Outcome: {request.outcome}" if request.outcome else ""
    return _with_body(head, "\n".join(part for part in (request.request, outcome) if part))


def _file_item(st: Mapping[str, Style], file: CaseFile) -> RenderableType:
    size = f" · {file.size_bytes / 1024:,.0f} KB" if file.size_bytes else ""
    head = _head(st, (file.file_name, "strong"), (f" · {file.content_type or 'file'}{size}", "label"))
    return _with_body(head, file.description)


# Renderers by kind: records of the case, and timeline entries (events, comments, tasks, status changes).
_RECORD_RENDERERS: dict[str, Callable[..., RenderableType]] = {
    "barrier": _barrier_item,
    "service": _service_item,
    "ubnf": _ubnf_item,
    "info_request": _info_request_item,
    "file": _file_item,
}
_ENTRY_RENDERERS: dict[str, Callable[[Mapping[str, Style], TimelineEntry], RenderableType]] = {
    EVENT: _event_item,
    COMMENT: _comment_item,
    TASK: _task_item,
    STATUS_CHANGE: _status_item,
}
