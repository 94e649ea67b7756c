"""The activity timeline: every entry's full text, wrapped and readable in place.

A Line API widget: it never mounts a widget per entry. Entries are wrapped
lazily, from the top, only as far as the screen (or the cursor) needs; the rest
have an estimated height until a background pass lays them out, so a case with
5,000 entries paints its first screen as fast as one with five. Everything from
the database is drawn as plain segments: no markup is ever parsed.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date
from itertools import accumulate
from typing import ClassVar

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from ascms_tui.nztime import format_nz_time, nz_date
from ascms_tui.text import clean_text
from ascms_tui.timeline import (
    COMMENT,
    EVENT,
    KIND_LABELS,
    TASK,
    TimelineEntry,
    group_entries,
)

GUTTER = 2  # the cursor bar and a space
BODY_INDENT = 2
LAYOUT_BATCH = 200  # entries measured per background step (a few ms)
_KIND_WIDTH = max(map(len, KIND_LABELS.values()))

# A laid-out line: (text, component class or "") chunks. Styles are looked up
# at paint time, so a theme change needs no re-layout.
Chunk = tuple[str, str]
Line = tuple[Chunk, ...]


def component_style(widget: Widget, name: str) -> Style:
    """A component class's Rich style, to lay over a line's own background.

    The partial style keeps the line's background (a cursor, a heading), but its
    colours are unblended: "$text-muted" comes out white. Take the colour from
    the full style, which Textual has blended.
    """
    partial = widget.get_component_rich_style(name, partial=True)
    if partial.color is None:
        return partial
    return partial + Style(color=widget.get_component_rich_style(name).color)


def wrap_text(text: str, width: int) -> list[str]:
    """Greedy word wrap by terminal cells; words longer than a line are split."""
    width = max(width, 1)
    lines: list[str] = []
    for paragraph in text.expandtabs(4).split("\n"):
        paragraph = paragraph.rstrip()
        measure = len if paragraph.isascii() else cell_len
        if measure(paragraph) <= width:
            lines.append(paragraph)
            continue
        line, used = "", 0
        for word in paragraph.split(" "):
            size = measure(word)
            if used and used + 1 + size <= width:
                line, used = f"{line} {word}", used + 1 + size
                continue
            if used or line:
                lines.append(line)
            if size > width:
                *full, word = chop_cells(word, width)
                lines.extend(full)
                size = cell_len(word)
            line, used = word, size
        lines.append(line)
    return lines


def _wrap_chunks(chunks: Sequence[Chunk], width: int) -> list[Line]:
    """Wrap a styled header line at chunk boundaries (it rarely needs it)."""
    if sum(cell_len(text) for text, _ in chunks) <= width:
        return [tuple(chunks)]
    lines: list[Line] = []
    current: list[Chunk] = []
    used = 0
    for text, style in chunks:
        for piece in wrap_text(text, width) if cell_len(text) > width else [text]:
            size = cell_len(piece)
            if used and used + size > width:
                lines.append(tuple(current))
                current, used = [], 0
                piece = piece.lstrip()
                size = cell_len(piece)
            current.append((piece, style))
            used += size
    if current:
        lines.append(tuple(current))
    return lines


def header_chunks(entry: TimelineEntry) -> list[Chunk]:
    """Line 1 of an entry: type, subject, NZ date-time, time spent and badges."""
    chunks: list[Chunk] = [(KIND_LABELS[entry.kind].ljust(_KIND_WIDTH), f"timeline--kind-{entry.kind}")]
    if entry.kind != COMMENT:  # a comment's text is its content, shown in full below
        style = "timeline--initial" if entry.is_initial_meeting else "timeline--title"
        chunks += [(" ", ""), (clean_text(entry.title), style)]
    chunks += [("  ", ""), (_when(entry), "timeline--meta")]
    if entry.time_spent_text:
        chunks.append((f" · {entry.time_spent_text}", "timeline--meta"))
    if entry.kind == TASK and entry.task_status:
        status = entry.task_status if entry.priority in (None, "Normal") else f"{entry.task_status}, {entry.priority} priority"
        chunks.append((f" · {status}", "timeline--meta"))
    # Badges, padded so that their background reads as a label.
    if entry.overdue:
        chunks += [("  ", ""), (" Overdue ", "timeline--overdue")]
    if entry.recorded_late:
        chunks += [("  ", ""), (" Recorded late ", "timeline--late")]
    if entry.shared_with_school:
        chunks += [("  ", ""), (" Shared with school ", "timeline--shared")]
    if not entry.synced:
        chunks += [("  ", ""), (" Not synced ", "timeline--unsynced")]
    return chunks


def _when(entry: TimelineEntry) -> str:
    if entry.kind == TASK and entry.date_only:
        return f"Due {entry.when_text}"
    text = entry.when_text
    if entry.kind == EVENT and not entry.date_only and entry.end is not None and nz_date(entry.end) == entry.day:
        text += f" – {format_nz_time(entry.end)}"
    return text


def entry_lines(entry: TimelineEntry, width: int) -> list[Line]:
    """All the lines of one entry at `width` cells (gutter excluded), without spacing."""
    lines = _wrap_chunks(header_chunks(entry), width)
    body = clean_text(entry.body)
    if body.strip():
        indent = " " * BODY_INDENT
        lines += [((indent, ""), (text, "timeline--body")) for text in wrap_text(body, width - BODY_INDENT)]
    elif entry.kind == EVENT:
        # An event without a description is a recording gap worth seeing.
        lines.append(((" " * BODY_INDENT, ""), ("No description", "timeline--empty")))
    return lines


def _estimate(entry: TimelineEntry, width: int) -> int:
    body = entry.body
    body_lines = (len(body) // max(width - BODY_INDENT, 1) + body.count("\n") + 1) if body else entry.kind == EVENT
    return 1 + body_lines + 1


class Timeline(ScrollView, can_focus=True):
    """Timeline entries grouped Upcoming / Today / by month, newest first, with a cursor."""

    DEFAULT_CSS = """
    Timeline {
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .timeline--group { text-style: bold; color: $text-primary; background: $primary-muted; }
        & > .timeline--kind-event { color: $text-primary; text-style: bold; }
        & > .timeline--kind-comment { color: $text-secondary; text-style: bold; }
        & > .timeline--kind-task { color: $text-accent; text-style: bold; }
        & > .timeline--kind-status_change { color: $text-muted; text-style: bold; }
        & > .timeline--title { text-style: bold; }
        & > .timeline--initial { text-style: bold; color: $text-success; background: $success-muted; }
        & > .timeline--meta { color: $text-muted; }
        & > .timeline--body { }
        & > .timeline--empty { color: $text-muted; text-style: italic; }
        & > .timeline--shared { color: $text-success; background: $success-muted; }
        & > .timeline--unsynced { color: $text-warning; background: $warning-muted; text-style: bold; }
        & > .timeline--overdue { color: $text-error; background: $error-muted; text-style: bold; }
        & > .timeline--late { color: $text-warning; background: $warning-muted; }
        /* Solid colours: a line's style cannot blend a translucent one. */
        & > .timeline--cursor { background: $panel; }
        & > .timeline--cursor-bar { color: $text-muted; }
        &:focus > .timeline--cursor { background: $accent-muted; }
        &:focus > .timeline--cursor-bar { color: $accent; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--group",
        "timeline--kind-event",
        "timeline--kind-comment",
        "timeline--kind-task",
        "timeline--kind-status_change",
        "timeline--title",
        "timeline--initial",
        "timeline--meta",
        "timeline--body",
        "timeline--empty",
        "timeline--shared",
        "timeline--unsynced",
        "timeline--overdue",
        "timeline--late",
        "timeline--cursor",
        "timeline--cursor-bar",
    }
    BINDINGS: ClassVar = [
        Binding("down,j", "cursor_down", "Next", id="timeline.next", tooltip="Select the next (older) entry", show=False),
        Binding("up,k", "cursor_up", "Previous", id="timeline.previous", tooltip="Select the previous (newer) entry", show=False),
        Binding("enter", "open_entry", "Open", id="timeline.open",
                tooltip="Open the selected event, comment or task to read or edit it"),
        Binding("pagedown", "page_down", "Page down", id="timeline.page_down", tooltip="Scroll down a page", show=False),
        Binding("pageup", "page_up", "Page up", id="timeline.page_up", tooltip="Scroll up a page", show=False),
        Binding("home", "first", "First", id="timeline.first", tooltip="Select the newest entry", show=False),
        Binding("end", "last", "Last", id="timeline.last", tooltip="Select the oldest entry", show=False),
    ]

    class EntryChosen(Message):
        """The user pressed Enter (or double-clicked) on an entry."""

        def __init__(self, timeline: Timeline, entry: TimelineEntry) -> None:
            super().__init__()
            self.timeline = timeline
            self.entry = entry

        @property
        def control(self) -> Timeline:
            return self.timeline

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._all: list[TimelineEntry] = []
        self._kinds: frozenset[str] | None = None
        self._today: date | None = None
        self._loaded = False
        self.empty_message = "Nothing recorded yet."
        self.filtered_empty_message = "Nothing of this type."
        self._shown: list[TimelineEntry] = []
        # Layout state, per content width: items are group headings and entries.
        self._items: list[TimelineEntry | str] = []  # entries and group headings (str)
        self._entry_item: list[int] = []  # entry index -> item index
        self._heights: list[int] = []
        self._offsets: list[int] = [0]
        self._lines: dict[int, tuple[Line, ...]] = {}
        self._exact_upto = 0  # items before this one have exact heights
        self._width = 0
        self._layout_timer = None
        self.cursor = 0
        self._styles: dict[str, Style] = {}  # component styles, looked up once per paint
        self.painted_entries_at: float | None = None  # perf_counter of the first paint with entries

    # -- data -------------------------------------------------------------------------

    @property
    def entry_count(self) -> int:
        return len(self._all)

    @property
    def shown_entries(self) -> list[TimelineEntry]:
        return self._shown

    @property
    def selected_entry(self) -> TimelineEntry | None:
        return self._shown[self.cursor] if self._shown else None

    def set_entries(self, entries: list[TimelineEntry], today: date) -> None:
        """Show these (newest-first) entries; the selection stays on the same record if it is still there."""
        selected = self.selected_entry
        self._all, self._today, self._loaded = entries, today, True
        self._rebuild(selected.record_id if selected else None)

    @property
    def kinds(self) -> frozenset[str] | None:
        return self._kinds

    def set_kinds(self, kinds: frozenset[str] | None) -> None:
        """Show only these kinds of entry (None: all)."""
        if kinds == self._kinds:
            return
        selected = self.selected_entry
        self._kinds = kinds
        self._rebuild(selected.record_id if selected else None)
        self.scroll_to(y=0, animate=False)

    def _rebuild(self, keep_record_id: str | None) -> None:
        kinds = self._kinds
        self._shown = [e for e in self._all if kinds is None or e.kind in kinds]
        items: list[TimelineEntry | str] = []
        entry_item: list[int] = []
        for label, group in group_entries(self._shown, self._today or date.today()):
            items.append(f"{label} · {len(group):,}")
            for entry in group:
                entry_item.append(len(items))
                items.append(entry)
        self._items, self._entry_item = items, entry_item
        self.cursor = 0
        if keep_record_id is not None:
            for index, entry in enumerate(self._shown):
                if entry.record_id == keep_record_id:
                    self.cursor = index
                    break
        self._reset_layout()
        if self.cursor:
            self._scroll_to_cursor()

    def on_unmount(self) -> None:
        # Free the entries and their wrapped lines now, by reference counting, rather than
        # in a later cyclic collection that would stall whichever screen is open then.
        self._all, self._shown, self._items, self._entry_item = [], [], [], []
        self._heights, self._offsets = [], [0]
        self._lines.clear()

    # -- layout -------------------------------------------------------------------------

    def _content_width(self) -> int:
        return max(self.scrollable_content_region.width - GUTTER, 10)

    def _reset_layout(self) -> None:
        self._width = self._content_width() if self.size.width else 0
        self._lines.clear()
        self._exact_upto = 0
        width = self._width or 80
        self._heights = [1 if isinstance(item, str) else _estimate(item, width) for item in self._items]
        self._offsets = [0, *accumulate(self._heights)]
        self._update_virtual_size()
        self.refresh()
        if self.painted_entries_at is not None:
            self._schedule_background_layout()

    def _schedule_background_layout(self, delay: float = 0.05) -> None:
        if self._layout_timer is None and self.is_mounted and self._exact_upto < len(self._items):
            self._layout_timer = self.set_timer(delay, self._layout_in_background)

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._width or self.size.width, max(self._offsets[-1], 1))

    def _item_lines(self, index: int) -> tuple[Line, ...]:
        # Tuples of strings only: the garbage collector soon stops tracking them.
        lines = self._lines.get(index)
        if lines is None:
            item = self._items[index]
            if isinstance(item, str):
                lines = (((item, "timeline--group"),),)
            else:
                lines = (*entry_lines(item, self._width), ())
            self._lines[index] = lines
        return lines

    def _lay_out(self, upto_item: int, *, background: bool = False) -> None:
        """Give items [_exact_upto, upto_item] their exact height (everything above stays put).

        In the background pass the lines are measured but not kept, and the
        scrollbar is updated once at the end: each update costs a screen layout.
        """
        if not self._width:
            return
        upto_item = min(upto_item, len(self._items) - 1)
        if upto_item < self._exact_upto:
            return
        start = self._exact_upto
        for index in range(start, upto_item + 1):
            item = self._items[index]
            if background and index not in self._lines and not isinstance(item, str):
                self._heights[index] = len(entry_lines(item, self._width)) + 1
            else:
                self._heights[index] = len(self._item_lines(index))
        self._exact_upto = upto_item + 1
        self._offsets[start:] = accumulate(self._heights[start:], initial=self._offsets[start])
        if not background or self._exact_upto == len(self._items):
            self._update_virtual_size()

    def _lay_out_lines(self, last_line: int) -> None:
        while self._exact_upto < len(self._items) and self._offsets[self._exact_upto] <= last_line:
            self._lay_out(self._exact_upto + 50)

    def _layout_in_background(self) -> None:
        self._layout_timer = None
        if not self._width or self._exact_upto >= len(self._items):
            return
        self._lay_out(self._exact_upto + LAYOUT_BATCH - 1, background=True)
        self._schedule_background_layout(0.02)

    def on_resize(self, event: events.Resize) -> None:
        # Zero size: hidden behind another tab. Keep the layout for when it comes back.
        if self.size.width and self._content_width() != self._width:
            self._reset_layout()
            self._scroll_to_cursor()

    # -- painting -------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._width != self._content_width() and self.size.width:
            self._reset_layout()
        self._lay_out_lines(self.scroll_offset.y + crop.bottom)
        self._styles = {name: component_style(self, name) for name in self.COMPONENT_CLASSES}
        strips = super().render_lines(crop)
        if self.painted_entries_at is None and self._shown:
            self.painted_entries_at = time.perf_counter()
            # The rest is laid out once the first screen is up, a slice at a time.
            self._schedule_background_layout(0.1)
        return strips

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        line_no = self.scroll_offset.y + y
        if not self._items:
            if not self._loaded:
                text = "Loading the timeline…"
            else:
                text = self.filtered_empty_message if self._all else self.empty_message
            if y != 0:
                return Strip.blank(width, base)
            return Strip([Segment(" " * GUTTER, base), Segment(text, base + self._styles["timeline--empty"])]).adjust_cell_length(width, base)
        if line_no >= self._offsets[-1]:
            return Strip.blank(width, base)
        index = bisect_right(self._offsets, line_no) - 1
        lines = self._item_lines(index)
        offset = line_no - self._offsets[index]
        line = lines[offset] if offset < len(lines) else ()
        is_group = isinstance(self._items[index], str)
        styles = self._styles
        selected = (
            not is_group
            and self._shown
            and self._entry_item[self.cursor] == index
            and offset < len(lines) - 1
        )
        row_style = base + styles["timeline--cursor"] if selected else base
        if is_group:
            row_style = base + styles["timeline--group"]
        gutter = Segment("▌ ", row_style + styles["timeline--cursor-bar"]) if selected else Segment(" " * GUTTER, row_style)
        segments = [gutter]
        segments += [Segment(text, row_style + styles[style] if style else row_style) for text, style in line]
        return Strip(segments).adjust_cell_length(width, row_style)

    # -- cursor -------------------------------------------------------------------------

    def select(self, index: int) -> None:
        """Select the `index`-th shown entry and scroll it into view."""
        self._move_cursor(index)

    def _move_cursor(self, index: int) -> None:
        if not self._shown:
            return
        index = max(0, min(index, len(self._shown) - 1))
        self.cursor = index
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        if not self._shown or not self._width:
            return
        item = self._entry_item[self.cursor]
        self._lay_out(item + 1)
        top = self._offsets[item]
        if item > 0 and isinstance(self._items[item - 1], str):
            top -= 1  # keep the group heading in view with its first entry
        height = self._offsets[item + 1] - top
        self.scroll_to_region(
            Region(0, top, 1, min(height, max(self.scrollable_content_region.height, 1))),
            animate=False,
            immediate=True,
            force=True,
        )

    def action_cursor_down(self) -> None:
        self._move_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move_cursor(self.cursor - 1)

    def action_first(self) -> None:
        self._move_cursor(0)

    def action_last(self) -> None:
        self._move_cursor(len(self._shown) - 1)

    def action_page_down(self) -> None:
        self._page(+1)

    def action_page_up(self) -> None:
        self._page(-1)

    def _page(self, direction: int) -> None:
        if not self._shown:
            return
        page = max(self.scrollable_content_region.height - 1, 1)
        target = max(0, self.scroll_offset.y + direction * page)
        self._lay_out_lines(target + page)
        target = min(target, max(self._offsets[-1] - self.scrollable_content_region.height, 0))
        self.scroll_to(y=target, animate=False, immediate=True, force=True)
        # Select the first entry that starts on the new page.
        first_item = bisect_left(self._offsets, target)
        self.cursor = min(bisect_left(self._entry_item, first_item), len(self._shown) - 1)
        self.refresh()

    def action_open_entry(self) -> None:
        entry = self.selected_entry
        if entry is not None:
            self.post_message(self.EntryChosen(self, entry))

    def on_click(self, event: events.Click) -> None:
        if not self._items:
            return
        line_no = self.scroll_offset.y + event.y
        index = bisect_right(self._offsets, line_no) - 1
        if 0 <= index < len(self._items) and not isinstance(self._items[index], str):
            self._move_cursor(bisect_left(self._entry_item, index))
            if event.chain == 2:
                self.action_open_entry()

    # -- reading it back as plain text ---------------------------------------------------------

    def rendered_lines(self) -> list[str]:
        """Every line of the timeline as plain text, laid out at the current width."""
        if not self._width:
            return []
        self._lay_out(len(self._items) - 1)
        return ["".join(text for text, _ in line) for index in range(len(self._items)) for line in self._item_lines(index)]

    def entry_text(self, entry: TimelineEntry) -> list[str]:
        """The lines one entry shows, as plain text."""
        return ["".join(text for text, _ in line) for line in entry_lines(entry, self._width or 80)]
