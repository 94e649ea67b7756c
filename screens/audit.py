"""Audit history: who changed what, when, and each field's value before and after.

One record's history (`h` in the case view), or a whole case's (`H`), newest
change first, read from the change journal (ascms_tui/audit.py) in a worker.
Every value is shown literally: a note reading "[/foo]" shows "[/foo]".

The entries are laid out into lines in the worker too, and painted a screenful
at a time: as one Static, a case with a hundred changes took over a second to
show and as long again to scroll.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from typing import ClassVar

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Header, Static

from ascms_tui.audit import AuditEntry, case_history, history
from ascms_tui.domain import Case
from ascms_tui.privacy_export import (
    _HIDDEN as BOOKKEEPING,  # ids and versions: the export leaves them out too
)
from widgets.case_header import student_names
from widgets.key_bar import KeyBar
from widgets.literal import literal

# A case with years of activity has thousands of changes; the screen shows the newest,
# the Privacy Act export (p in the case view) every one.
SHOWN_LIMIT = 300
NOTE = "Changes made on this laptop; AS-CMS keeps its own history of changes made there."


class RenderedLines(ScrollView, can_focus=True):
    """Lines laid out elsewhere (in a worker), painted as they scroll into view."""

    def __init__(self, lay_out: Callable[[int], None], *, id: str | None = None) -> None:
        """`lay_out(width)` is called once the width is known, and again when it changes."""
        super().__init__(id=id)
        self._lay_out = lay_out
        self._strips: list[Strip] = []
        self.laid_out_width = 0
        self._asked_width = 0

    @property
    def layout_width(self) -> int:
        """The width to lay lines out at: the room beside the scrollbar."""
        return max(self.content_region.width - self.styles.scrollbar_size_vertical, 20)

    def on_resize(self, event: events.Resize) -> None:
        width = self.layout_width
        if self.content_region.width and width != self._asked_width:
            self._asked_width = width
            self._lay_out(width)

    def show(self, strips: list[Strip], width: int) -> None:
        self._strips, self.laid_out_width = strips, width
        self.virtual_size = Size(width, len(strips))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width, base = self.scrollable_content_region.width, self.rich_style
        index = self.scroll_offset.y + y
        if index >= len(self._strips):
            return Strip.blank(width, base)
        x = self.scroll_offset.x
        return self._strips[index].crop(x, x + width).apply_style(base).adjust_cell_length(width, base)


def lay_out(renderable: RenderableType, width: int) -> list[Strip]:
    """`renderable` as lines of `width` cells (thread-safe: a console of its own)."""
    console = Console(width=width, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    return [Strip(line) for line in console.render_lines(renderable, console.options, pad=False)]


class AuditScreen(Screen):
    CSS_PATH = "audit.tcss"
    AUTO_FOCUS = "#audit-lines"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "app.pop_screen", "Back", id="audit.back", tooltip="Back to the case"),
    ]

    def __init__(self, case_id: str, record_id: str | None = None, what: str | None = None) -> None:
        """`record_id` None: the whole case's history. `what` names the record in the heading."""
        super().__init__()
        self.case_id = case_id
        self.record_id = record_id
        self.what = what
        self.entries: list[AuditEntry] | None = None  # newest first, once read

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the history…", id="audit-heading")
        yield RenderedLines(self._lay_out, id="audit-lines")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "History of this case" if self.record_id is None else "History of a record"

    def _lay_out(self, width: int) -> None:
        # Read once; laid out again (in a worker too) when the width changes.
        self.run_worker(partial(self._read, width), thread=True, exclusive=True, group="audit", exit_on_error=False)

    def _read(self, width: int) -> None:
        whole = self.record_id is None
        entries, heading = self.entries, None
        if entries is None:
            store = self.app.store  # type: ignore[attr-defined]
            case = store.get(Case, self.case_id)
            entries = case_history(store, self.case_id) if whole else history(store, self.record_id)
            entries.reverse()  # newest first, as the timeline
            heading = render_heading(entries, case, self.what, whole)
        lines = lay_out(render_entries(entries[:SHOWN_LIMIT], with_record=whole), width)
        self.app.call_from_thread(self._show, entries, heading, lines, width)

    def _show(self, entries: list[AuditEntry], heading: Text | None, lines: list[Strip], width: int) -> None:
        self.entries = entries
        if heading is not None:
            self.query_one("#audit-heading", Static).update(heading)
        self.query_one(RenderedLines).show(lines, width)

    def on_worker_state_changed(self, event) -> None:
        if event.worker.group == "audit" and event.worker.error is not None:
            self.query_one("#audit-heading", Static).update(
                literal(f"Could not read the history ({type(event.worker.error).__name__}).", style="bold")
            )


def render_heading(entries: list[AuditEntry], case: Case | None, what: str | None, whole: bool) -> Text:
    heading = Text()
    if case is not None:
        heading.append(f"Case {case.case_number} · ", style="bold")
        heading.append_text(literal(student_names(case), style="bold"))
    if not whole:
        heading.append("\n")
        heading.append_text(literal(what or "This record"))
    count = len(entries)
    if not count:  # the body says so; the heading keeps only the note
        heading.append(f"\n{NOTE}", style="dim")
        return heading
    heading.append(f"\n{count:,} change{'' if count == 1 else 's'}, newest first", style="dim")
    if count > SHOWN_LIMIT:
        heading.append(f"; the newest {SHOWN_LIMIT:,} shown (p in the case view exports every one)", style="dim")
    heading.append(f". {NOTE}", style="dim")
    return heading


def render_entries(entries: list[AuditEntry], *, with_record: bool) -> RenderableType:
    if not entries:
        return Text("No changes made on this laptop.", style="dim")
    return Group(*(_entry(entry, with_record) for entry in entries))


def _entry(entry: AuditEntry, with_record: bool) -> RenderableType:
    title = Text()
    title.append(entry.when_text, style="bold")
    title.append("  ")
    title.append(entry.operation_text, style="bold")
    if with_record:
        title.append(f" {entry.record_label}")
    title.append("  by ")
    title.append_text(literal(entry.who or "unknown"))
    title.append(f" · {entry.sync_text}", style="dim")
    fields = [field for field in entry.fields if field.field not in BOOKKEEPING]
    if not fields:
        return Group(title, Text(""))
    table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 2, 0, 2), expand=True)
    table.add_column("Field", style="dim", no_wrap=True, ratio=1)
    # A new record has no "before", a removed one no "after": one column of values.
    if entry.operation == "create":
        table.add_column("Value", ratio=4)
        for field in fields:
            table.add_row(literal(field.label), literal(field.new_text))
    elif entry.operation == "delete":
        table.add_column("Value when removed", ratio=4)
        for field in fields:
            table.add_row(literal(field.label), literal(field.old_text))
    else:
        table.add_column("Before", ratio=2)
        table.add_column("After", ratio=2)
        for field in fields:
            table.add_row(literal(field.label), literal(field.old_text), literal(field.new_text))
    return Group(title, table, Text(""))
