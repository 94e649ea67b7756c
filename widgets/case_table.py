"""The case table: one line per case, drawn only for the rows on screen.

A Line-API ScrollView: `render_line` builds a Strip for a visible line and
nothing else, so 10,000 cases cost what 30 do. The table owns the sort (the
header shows ▲/▼ on the sort column); the screen decides which cases are
shown (`show`) and in which scope. Text from the database goes into Segments
as plain strings: never parsed as markup, truncated with an ellipsis.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from operator import attrgetter
from typing import Any, ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ascms_tui.picklists import CaseStatus, CaseType
from ascms_tui.nztime import format_nz_date
from ascms_tui.text import clean_text

# AS-CMS workflow order (Provider Queue, Open, ... Closed), so sorting by status follows a case's life.
STATUS_ORDER = {status.value: position for position, status in enumerate(CaseStatus)}
TYPE_ABBREVIATIONS = {CaseType.CHRONIC_ABSENCE.value: "CA", CaseType.NON_ENROLLED.value: "NEN"}


class CaseEntry(NamedTuple):
    """One case as the list shows, searches and sorts it; built off the UI thread."""

    id: str
    case_number: str
    student: str  # the known-as name where set
    student_name: str  # the legal name
    case_type: str
    status: str
    school: str
    owner: str | None
    referral_date: str  # ISO
    days: int  # business days since referral
    deadline_text: str  # "School mtg due Thu 9 Apr", or "" when none
    deadline_passed: bool
    deadline_due: int | None  # the due date's ordinal, for sorting
    unsynced: int
    search: str  # lower case, macrons folded: number, names, school, status
    student_key: str
    school_key: str
    owner_key: str | None
    mine_open: bool
    closed: bool


class Column(NamedTuple):
    key: str
    label: str
    width: int  # what it needs to read well; columns are dropped before anything shrinks below this
    max_width: int  # spare width is shared out up to here
    drop: int = 0  # 0: always shown; otherwise the highest number goes first on a narrow terminal
    right: bool = False
    grow: int = 0  # share of spare width beyond `width`


COLUMNS: tuple[Column, ...] = (
    Column("case", "Case", 8, 8),
    Column("student", "Student", 14, 26, grow=3),
    Column("type", "Type", 4, 4, drop=4),
    Column("status", "Status", 14, 14),
    Column("school", "School", 16, 30, grow=3),
    Column("owner", "Owner", 14, 20, drop=6, grow=2),
    Column("referred", "Referred", 10, 10, drop=5),
    Column("days", "Days", 5, 5, drop=3, right=True),
    Column("deadline", "Next deadline", 25, 25),
    Column("unsynced", "To sync", 8, 8, drop=2, right=True),
)
HARD_MIN_WIDTH = 6  # below their `width`, flexible columns shrink no further than this

# Sort key per column; None sorts last in either direction.
SORT_KEYS: dict[str, Callable[[CaseEntry], Any]] = {
    "case": attrgetter("case_number"),
    "student": attrgetter("student_key"),
    "type": attrgetter("case_type"),
    "status": lambda entry: STATUS_ORDER.get(entry.status, len(STATUS_ORDER)),
    "school": attrgetter("school_key"),
    "owner": attrgetter("owner_key"),
    "referred": attrgetter("referral_date"),
    "days": attrgetter("days"),
    "deadline": attrgetter("deadline_due"),
    "unsynced": attrgetter("unsynced"),
}


def sort_entries(entries: Iterable[CaseEntry], column: str, reverse: bool = False) -> list[CaseEntry]:
    """Entries ordered by `column` (ties by case number); those without a value go last."""
    key = SORT_KEYS[column]
    ordered = sorted(entries, key=SORT_KEYS["case"])
    present = [entry for entry in ordered if key(entry) is not None]
    if len(present) < len(ordered):
        missing = [entry for entry in ordered if key(entry) is None]
    else:
        missing = []
    present.sort(key=key, reverse=reverse)  # stable: ties stay in case-number order
    return present + missing


def layout_columns(width: int, hidden: frozenset[str] = frozenset()) -> list[tuple[Column, int]]:
    """The columns that fit in `width` cells, and their widths.

    Lower-priority columns (Owner, Referred, Type, ...) are dropped before any
    column gets narrower than reads well; only then do the flexible ones shrink.
    """
    columns = [column for column in COLUMNS if column.key not in hidden]

    def needed(widths: Iterable[int]) -> int:
        widths = list(widths)
        return 1 + sum(widths) + len(widths) - 1  # one cell of left padding, one between columns

    while needed(c.width for c in columns) > width and any(c.drop for c in columns):
        columns.remove(max((c for c in columns if c.drop), key=attrgetter("drop")))
    widths = {c.key: c.width for c in columns}
    spare = width - needed(widths.values())
    growers = [c for c in columns if c.grow]
    if spare < 0:
        # Only the essentials are left: narrow the names, then the status, evenly.
        shrinkable = growers + [c for c in columns if c.key == "status"]
        while spare < 0 and any(widths[c.key] > HARD_MIN_WIDTH for c in shrinkable):
            for column in shrinkable:
                if spare < 0 and widths[column.key] > HARD_MIN_WIDTH:
                    widths[column.key] -= 1
                    spare += 1
    while spare > 0 and any(widths[c.key] < c.max_width for c in growers):
        for column in growers:
            step = min(column.grow, spare, column.max_width - widths[column.key])
            if step > 0:
                widths[column.key] += step
                spare -= step
    return [(column, widths[column.key]) for column in columns]


def fit(text: str, width: int, right: bool = False) -> str:
    """`text` on one line in exactly `width` cells: padded, or cut with an ellipsis."""
    if "\n" in text or "\t" in text:
        text = text.replace("\n", " ").replace("\t", " ")
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else "…"[:width]
    padding = " " * (width - length)
    return padding + text if right else text + padding


def cell_text(entry: CaseEntry, key: str) -> str:
    if key == "case":
        return entry.case_number
    if key == "student":
        return entry.student
    if key == "type":
        return TYPE_ABBREVIATIONS.get(entry.case_type, entry.case_type)
    if key == "status":
        return entry.status
    if key == "school":
        return entry.school
    if key == "owner":
        return entry.owner or "—"
    if key == "referred":
        return format_nz_date(date.fromisoformat(entry.referral_date))
    if key == "days":
        return str(entry.days)
    if key == "deadline":
        return entry.deadline_text
    if key == "unsynced":
        return str(entry.unsynced) if entry.unsynced else ""
    raise KeyError(key)


class CaseTable(ScrollView, can_focus=True):
    """A virtualised list of cases with a fixed header row and a row cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-table--header",
        "case-table--header-sorted",
        "case-table--cursor",
        "case-table--passed",
        "case-table--unsynced",
        "case-table--muted",
    }

    DEFAULT_CSS = """
    CaseTable {
        background: $surface;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .case-table--header { background: $panel; text-style: bold; }
        & > .case-table--header-sorted { color: $accent; text-style: bold; }
        & > .case-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .case-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .case-table--passed { color: $error; text-style: bold; }
        & > .case-table--unsynced { color: $warning; text-style: bold; }
        & > .case-table--muted { color: $text-muted; }
    }
    """

    BINDINGS: ClassVar = [
        Binding("enter", "open", "Open case", id="case_table.open", tooltip="Open the highlighted case"),
        Binding("s", "cycle_sort", "Sort", id="case_table.sort",
                tooltip="Sort by the next column (or click a column heading)"),
        Binding("S", "reverse_sort", "Reverse", id="case_table.reverse", tooltip="Reverse the sort order"),
        Binding("up", "cursor_up", "Up", id="case_table.up", tooltip="Previous case", show=False),
        Binding("down", "cursor_down", "Down", id="case_table.down", tooltip="Next case", show=False),
        Binding("pageup", "page_up", "Page up", id="case_table.page_up", tooltip="A page up", show=False),
        Binding("pagedown", "page_down", "Page down", id="case_table.page_down", tooltip="A page down",
                show=False),
        Binding("home", "first", "First", id="case_table.first", tooltip="First case", show=False),
        Binding("end", "last", "Last", id="case_table.last", tooltip="Last case", show=False),
    ]

    class Opened(Message):
        """The user asked to open a case (Enter, or a click on the highlighted row)."""

        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    def __init__(self, *, sort_column: str = "deadline", sort_reverse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sort_column = sort_column
        self.sort_reverse = sort_reverse
        self._all: list[CaseEntry] = []  # every case, in sort order
        self._shown: list[CaseEntry] = []  # the cases the screen lets through, in sort order
        self._hidden_columns: frozenset[str] = frozenset()
        self._column_layout: tuple[tuple[int, frozenset[str]], list[tuple[Column, int]]] | None = None
        self.cursor_row = 0
        self.empty_message = "No cases"  # shown in place of rows when there are none
        # Set once a frame showing cases (or that there are none) has been drawn: heavy loading waits for it.
        self.shown_painted = threading.Event()
        self._shown_set = False  # show() has been called

    # -- data ------------------------------------------------------------------------

    @property
    def all_entries(self) -> list[CaseEntry]:
        """Every case, in the current sort order."""
        return self._all

    @property
    def shown(self) -> Sequence[CaseEntry]:
        return self._shown

    @property
    def current(self) -> CaseEntry | None:
        return self._shown[self.cursor_row] if self._shown else None

    def set_entries(self, entries: list[CaseEntry], sorted_by: tuple[str, bool] | None = None) -> None:
        """Take a new set of cases (already in order when `sorted_by` matches the table's sort)."""
        if sorted_by != (self.sort_column, self.sort_reverse):
            entries = sort_entries(entries, self.sort_column, self.sort_reverse)
        self._all = entries

    def show(self, entries: list[CaseEntry], keep_case: str | None = None) -> None:
        """Show these cases (a sublist of `all_entries`, in order); the cursor stays on `keep_case` if shown."""
        self._shown = entries
        self._shown_set = True
        row = 0
        if keep_case is not None:
            row = next((i for i, entry in enumerate(entries) if entry.id == keep_case), 0)
        self.virtual_size = Size(0, len(entries) + 1)  # +1: the header line
        self._move_cursor(row, centre=keep_case is not None)
        self.refresh()

    def hide_columns(self, keys: Iterable[str]) -> None:
        self._hidden_columns = frozenset(keys)
        self.refresh()

    def sort_by(self, column: str, reverse: bool = False) -> None:
        if column not in SORT_KEYS:
            raise ValueError(f"no column {column!r}")
        keep = self.current.id if self.current else None
        self.sort_column, self.sort_reverse = column, reverse
        self._all = sort_entries(self._all, column, reverse)
        self.show(sort_entries(self._shown, column, reverse), keep_case=keep)

    @property
    def columns(self) -> list[tuple[Column, int]]:
        """The columns on screen now, with their widths."""
        key = (self.scrollable_content_region.width, self._hidden_columns)
        if self._column_layout is None or self._column_layout[0] != key:
            self._column_layout = (key, layout_columns(*key))
        return self._column_layout[1]

    # -- cursor and scrolling ----------------------------------------------------------

    @property
    def _page_height(self) -> int:
        """Rows visible below the header."""
        return max(1, self.scrollable_content_region.height - 1)

    def _move_cursor(self, row: int, centre: bool = False) -> None:
        row = max(0, min(row, len(self._shown) - 1))
        if row != self.cursor_row:
            self.cursor_row = row
            self.refresh()
        top, page = self.scroll_offset.y, self._page_height
        if centre and not top <= row < top + page:
            self.scroll_to(y=max(0, row - page // 2), animate=False, immediate=True)
        elif row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + page:
            self.scroll_to(y=row - page + 1, animate=False, immediate=True)

    def select_case(self, case_id: str) -> bool:
        """Put the cursor on this case if it is shown."""
        for row, entry in enumerate(self._shown):
            if entry.id == case_id:
                self._move_cursor(row, centre=True)
                return True
        return False

    def action_cursor_up(self) -> None:
        self._move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self._move_cursor(self.cursor_row - self._page_height)

    def action_page_down(self) -> None:
        self._move_cursor(self.cursor_row + self._page_height)

    def action_first(self) -> None:
        self._move_cursor(0)

    def action_last(self) -> None:
        self._move_cursor(len(self._shown) - 1)

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current.id))

    def action_cycle_sort(self) -> None:
        keys = [column.key for column, _ in self.columns]
        position = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.sort_by(keys[(position + 1) % len(keys)])

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_column, not self.sort_reverse)

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        event.stop()
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                reverse = not self.sort_reverse if column == self.sort_column else False
                self.sort_by(column, reverse)
            return
        row = self.scroll_offset.y + offset.y - 1
        if 0 <= row < len(self._shown):
            already = row == self.cursor_row
            self._move_cursor(row)
            if already or event.chain > 1:
                self.action_open()

    def _column_at(self, x: int) -> str | None:
        left = 1
        for column, width in self.columns:
            if left <= x < left + width + 1:
                return column.key
            left += width + 1
        return None

    # -- drawing ---------------------------------------------------------------------

    def on_resize(self) -> None:
        self._move_cursor(self.cursor_row)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            if self._shown_set and not self.shown_painted.is_set():
                self.call_after_refresh(self.shown_painted.set)  # runs once this frame is out
            return self._header_strip(width)
        row = self.scroll_offset.y + y - 1
        if row >= len(self._shown):
            if row == 0:
                message = Segment(" " + clean_text(self.empty_message), self._partial_style("case-table--muted"))
                return Strip([message]).crop_extend(0, width, self.rich_style).apply_style(self.rich_style)
            return Strip.blank(width, self.rich_style)
        return self._row_strip(self._shown[row], row == self.cursor_row, width)

    def _header_strip(self, width: int) -> Strip:
        base = self.rich_style + self.get_component_rich_style("case-table--header")
        sorted_style = base + self.get_component_rich_style("case-table--header-sorted")
        segments = [Segment(" ", base)]
        for column, column_width in self.columns:
            if column.key == self.sort_column:
                arrow = "▼" if self.sort_reverse else "▲"
                label = column.label
                gap = " " if cell_len(label) + 2 <= column_width else ""
                if cell_len(label) + len(gap) + 1 > column_width:
                    label = fit(label, column_width - 1)
                label = f"{arrow}{gap}{label}" if column.right else f"{label}{gap}{arrow}"
                segments.append(Segment(fit(label, column_width, column.right), sorted_style))
            else:
                segments.append(Segment(fit(column.label, column_width, column.right), base))
            segments.append(Segment(" ", base))
        return Strip(segments).crop_extend(0, width, base)

    def _row_strip(self, entry: CaseEntry, is_cursor: bool, width: int) -> Strip:
        base = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("case-table--cursor")
        segments = [Segment(" ", base)]
        for column, column_width in self.columns:
            text = clean_text(cell_text(entry, column.key))
            style = base
            if column.key == "deadline" and entry.deadline_passed:
                style = base + self._partial_style("case-table--passed")
            elif column.key == "unsynced" and entry.unsynced:
                style = base + self._partial_style("case-table--unsynced")
            elif column.key == "owner" and not entry.owner:
                style = base + self._partial_style("case-table--muted")
            segments.append(Segment(fit(text, column_width, column.right), style))
            segments.append(Segment(" ", base))
        return Strip(segments).crop_extend(0, width, base)

    def _partial_style(self, name: str) -> Style:
        # Partial, so the cursor's background shows through a coloured cell.
        return self.get_component_rich_style(name, partial=True)
