"""The case view's Details and Related tabs: read-only, every value shown literally."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Collapsible, Static

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

# The Related tab lists this many of each record type, newest first; the Timeline has them all.
RELATED_LIMIT = 100

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


class CaseDetails(_Styled, VerticalScroll):
    """Student, case and school details, and every contact."""

    DEFAULT_CSS = "CaseDetails {" + _STYLE_CSS + "}"
    COMPONENT_CLASSES: ClassVar[set[str]] = _Styled.COMPONENT_CLASSES

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

Section = tuple[str, int, list[RenderableType]]


class RelatedRecords(_Styled, VerticalScroll):
    """One collapsible list per record type, with its count; newest first."""

    DEFAULT_CSS = "RelatedRecords {" + _STYLE_CSS + "}"
    COMPONENT_CLASSES: ClassVar[set[str]] = _Styled.COMPONENT_CLASSES

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
        by_kind: dict[str, list[TimelineEntry]] = {}
        for entry in entries:
            by_kind.setdefault(entry.kind, []).append(entry)

        def entry_section(title: str, kind: str, render: Callable[[Mapping[str, Style], TimelineEntry], RenderableType]) -> Section:
            listed = by_kind.get(kind, [])
            return title, len(listed), [render(st, entry) for entry in listed[:RELATED_LIMIT]]

        def record_section(title: str, records: list[Any], render: Callable[..., RenderableType]) -> Section:
            newest = sorted(records, key=lambda r: r.recorded_at, reverse=True)[:RELATED_LIMIT]
            return title, len(records), [_marked(st, render(st, r), r.id in unsynced) for r in newest]

        sections: list[Section] = [
            ("Contacts", len(contacts), [_marked(st, contact_block(st, c), c.id in unsynced) for c in contacts]),
            entry_section("Events", EVENT, _event_item),
            entry_section("Case Comments", COMMENT, _comment_item),
            entry_section("Tasks", TASK, _task_item),
        ]
        if others is not None:
            steps: dict[str, list[PlanStep]] = {}
            for step in others.get(PlanStep, []):
                steps.setdefault(step.plan_id, []).append(step)
            sections += [
                record_section("Barriers", others.get(Barrier, []), _barrier_item),
                record_section("Student Plans", others.get(Plan, []),
                               lambda st, plan: _plan_item(st, plan, steps.get(plan.id, []))),
                record_section("Services", others.get(Service, []), _service_item),
                record_section("UBNF", others.get(Ubnf, []), _ubnf_item),
                record_section("Info Requests", others.get(InfoRequest, []), _info_request_item),
            ]
        sections.append(entry_section("Status history", STATUS_CHANGE, _status_item))
        if others is not None:
            sections.append(record_section("Files", others.get(CaseFile, []), _file_item))

        sections_widgets = []
        for title, count, blocks in sections:
            body: RenderableType = Group(*blocks) if blocks else Text("None recorded.", style=st["empty"])
            if count > len(blocks):
                more = Text(f"… and {count - len(blocks):,} older; the Timeline shows every one.", style=st["label"])
                body = Group(body, more)
            sections_widgets.append(
                Collapsible(Static(body, classes="related-body"), title=f"{title} · {count:,}",
                            collapsed=count == 0, classes="related-section")
            )
        if others is None:
            sections_widgets.append(Static(Text("Reading the other record types…", style=st["empty"])))
        with self.app.batch_update():
            self.remove_children()
            self.mount_all(sections_widgets)


def _marked(st: Mapping[str, Style], block: RenderableType, unsynced: bool) -> RenderableType:
    return Group(block, Padding(Text("Not synced", style=st["warning"]), (0, 0, 0, 2))) if unsynced else block


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


def _service_item(st: Mapping[str, Style], service: Service) -> RenderableType:
    dates = f"referred {_date(service.referred_on)} · follow-up {_date(service.follow_up_on)}"
    head = _head(st, (service.agency, "strong"), (f" ({service.kind.value})", "label"),
                 (f" · {service.status.value} · {dates}{_spent(service.time_spent_minutes)}", "label"))
    outcome = f"Outcome: {service.outcome}" if service.outcome else ""
    return _with_body(head, "\n".join(part for part in (service.reason, outcome) if part))


def _ubnf_item(st: Mapping[str, Style], grant: Ubnf) -> RenderableType:
    return _head(st, (format_nz_date(grant.provided_on), "label"), ("  ", ""), (grant.provided, "strong"),
                 (f" · ${grant.amount:,.2f}", ""))


def _info_request_item(st: Mapping[str, Style], request: InfoRequest) -> RenderableType:
    dates = f"requested {_date(request.requested_on)} · answered {_date(request.answered_on)}"
    head = _head(st, (request.agency.value, "strong"), (f" · {dates}{_spent(request.time_spent_minutes)}", "label"))
    outcome = f"Outcome: {request.outcome}" if request.outcome else ""
    return _with_body(head, "\n".join(part for part in (request.request, outcome) if part))


def _file_item(st: Mapping[str, Style], file: CaseFile) -> RenderableType:
    size = f" · {file.size_bytes / 1024:,.0f} KB" if file.size_bytes else ""
    head = _head(st, (file.file_name, "strong"), (f" · {file.content_type or 'file'}{size}", "label"))
    return _with_body(head, file.description)
