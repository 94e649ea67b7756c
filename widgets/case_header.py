"""The case header, as AS-CMS shows it: who, what stage, whose, where, since when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import ClassVar

from rich.style import StyleType
from rich.text import Text
from textual.widgets import Static

from ascms_tui.calendar import business_days_between
from ascms_tui.domain import Case, Contact, ContactRole
from ascms_tui.nztime import format_nz_date
from widgets.literal import literal
from widgets.timeline import component_style

WHANAU_ROLES = (ContactRole.PARENT_CAREGIVER, ContactRole.WHANAU)


def primary_whanau_contact(contacts: Sequence[Contact]) -> Contact | None:
    """The first Parent / Caregiver or Whānau member contact, as recorded."""
    return next((c for c in contacts if c.role in WHANAU_ROLES), None)


def student_names(case: Case) -> str:
    """Known-as name first, then the legal name: "Ro (Aroha Invented)"."""
    student = case.student
    if student.known_as and student.known_as != student.name:
        return f"{student.known_as} ({student.name})"
    return student.name


class CaseHeader(Static):
    """Four lines: student; status, type and owner; school; whānau contact and referral."""

    DEFAULT_CSS = """
    CaseHeader {
        height: auto;
        min-height: 4;
        padding: 0 1;
        background: $boost;
        & > .case-header--student { text-style: bold; color: $text-accent; }
        & > .case-header--label { color: $text-muted; }
        & > .case-header--status { text-style: bold; color: $text; background: $primary-muted; }
        & > .case-header--migrated { color: $text-secondary; background: $secondary-muted; }
        & > .case-header--warning { text-style: bold; color: $text-warning; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-header--student",
        "case-header--label",
        "case-header--status",
        "case-header--migrated",
        "case-header--warning",
    }

    def __init__(self, case: Case | None = None, today: date | None = None, *, id: str | None = None) -> None:
        """With `case`, the header shows it at once; the whānau contact comes with `show`."""
        super().__init__(Text("Loading the case…", style="italic"), id=id)
        self.text = ""
        self._shown: tuple[Case, Sequence[Contact] | None, date] | None = None
        if case is not None and today is not None:
            self._shown = (case, None, today)

    def show(self, case: Case, contacts: Sequence[Contact], today: date) -> None:
        self._shown = (case, contacts, today)
        self._render_header()

    def _render_header(self) -> None:
        if self._shown is None:
            return
        styles = {name.removeprefix("case-header--"): component_style(self, name) for name in self.COMPONENT_CLASSES}
        content = header_text(*self._shown, styles=styles)
        self.text = content.plain
        self.update(content)

    def on_mount(self) -> None:
        self._render_header()
        # Colours come from the theme: draw again when it changes.
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def on_unmount(self) -> None:
        # The app's signal would otherwise keep this widget (and its screen's data) alive.
        self.app.theme_changed_signal.unsubscribe(self)

    def _theme_changed(self, _theme: object) -> None:
        self.call_after_refresh(self._render_header)


def header_text(
    case: Case, contacts: Sequence[Contact] | None, today: date, styles: Mapping[str, StyleType] | None = None
) -> Text:
    """`contacts` None: not read yet."""
    style = {"student": "bold", "label": "dim", "status": "bold reverse", "migrated": "reverse", "warning": "bold italic"}
    style.update(styles or {})

    def _label(text: Text, label: str) -> None:
        text.append(f"{label} ", style=style["label"])

    text = Text(no_wrap=False, overflow="fold")
    text.append_text(literal(student_names(case), style=style["student"]))
    if case.student.nsn:
        text.append("   ")
        _label(text, "NSN")
        text.append_text(literal(case.student.nsn))
    text.append("   ")
    _label(text, "Case")
    text.append_text(literal(case.case_number))
    text.append("   ")
    _label(text, "Referred")
    days = business_days_between(case.referral_date, today)
    text.append(format_nz_date(case.referral_date))
    text.append(f" · {days} business day{'s' if days != 1 else ''}", style=style["label"])
    text.append("\n")

    status = case.status.value + (f" ({case.status_reason.value})" if case.status_reason else "")
    text.append(f" {status} ", style=style["status"])
    text.append("  ")
    text.append(case.case_type.value, style="bold")
    if case.migrated:
        text.append("  ")
        text.append(" Migrated ", style=style["migrated"])
    text.append("   ")
    _label(text, "Case owner")
    if case.case_owner:
        text.append_text(literal(case.case_owner))
    else:
        text.append("Not assigned", style=style["warning"])
    text.append("   ")
    _label(text, "Catchment")
    text.append_text(literal(case.catchment or "—"))
    text.append("\n")

    _label(text, "School")
    text.append_text(literal(case.school.name or "—"))
    if case.school.primary_contact:
        text.append("   ")
        _label(text, "Primary contact")
        text.append_text(literal(case.school.primary_contact))
    text.append("\n")

    _label(text, "Whānau")
    contact = primary_whanau_contact(contacts or ())
    if contacts is None:
        text.append("…", style=style["label"])
    elif contact is None:
        text.append("No whānau contact recorded", style=style["warning"])
    else:
        text.append_text(literal(contact.name))
        text.append(f" ({contact.role.value})", style=style["label"])
        if contact.phone:
            text.append(" ")
            text.append_text(literal(contact.phone))
        if not contact.details_current:
            text.append("  details not current", style=style["warning"])
    return text
