"""The case list's scope tabs (My open / All / Closed, with counts) and the case count, on one line.

One widget rather than a row of Labels in a container: the container's
children mount a frame later, so the count would appear after the rows. A
click on a tab posts `ScopeBar.Chosen`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

SCOPE_LABELS = {"mine": "My open", "all": "All", "closed": "Closed"}


class ScopeBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"scope-bar--tab", "scope-bar--active", "scope-bar--count"}
    DEFAULT_CSS = """
    ScopeBar {
        height: 1;
        background: $panel;
        & > .scope-bar--tab { color: $text-muted; }
        & > .scope-bar--active { color: $text; background: $primary 40%; text-style: bold; }
        & > .scope-bar--count { color: $text-muted; }
    }
    """

    class Chosen(Message):
        def __init__(self, scope: str) -> None:
            super().__init__()
            self.scope = scope

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.active: str | None = None
        self.counts: dict[str, int] | None = None
        self.count_text = "Loading cases…"
        self._spans: list[tuple[int, int, str]] = []

    def show(self, active: str, counts: dict[str, int], count_text: str) -> None:
        self.active, self.counts, self.count_text = active, dict(counts), count_text
        self.refresh()

    def tab_text(self, scope: str) -> str:
        count = f" ({self.counts[scope]:,})" if self.counts is not None else ""
        return f"{SCOPE_LABELS[scope]}{count}"

    def tab_offset(self, scope: str) -> int:
        """Where `scope`'s tab starts, for clicking it."""
        return next(start for start, _, tab in self._spans if tab == scope)

    def render(self) -> Text:
        tab_style = self.get_component_rich_style("scope-bar--tab")
        active_style = self.get_component_rich_style("scope-bar--active")
        count_style = self.get_component_rich_style("scope-bar--count")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        spans = []
        for scope in SCOPE_LABELS:
            start = text.cell_len
            text.append(f" {self.tab_text(scope)} ", active_style if scope == self.active else tab_style)
            spans.append((start, text.cell_len, scope))
        self._spans = spans
        count = f" {self.count_text} "
        text.pad_right(max(1, self.size.width - text.cell_len - cell_len(count)))
        text.append(count, count_style)
        return text

    def on_click(self, event: events.Click) -> None:
        scope = next((tab for start, end, tab in self._spans if start <= event.x < end), None)
        if scope is not None:
            self.post_message(self.Chosen(scope))
