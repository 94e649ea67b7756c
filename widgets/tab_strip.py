"""A one-line tab bar that shows each tab's key: "1 Timeline  2 Details  3 Related".

Lighter than Textual's TabbedContent (a quarter of the case view's opening
time went on mounting it); pair it with a ContentSwitcher. Tabs are chosen by
their keys (bound on the screen) or by a click.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from widgets.timeline import component_style


class TabStrip(Widget):
    DEFAULT_CSS = """
    TabStrip {
        height: 1;
        padding: 0 1;
        background: $panel;
        & > .tab-strip--key { color: $text-accent; text-style: bold; }
        & > .tab-strip--label { color: $text-muted; }
        & > .tab-strip--active { color: $text; text-style: bold underline; background: $primary-muted; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"tab-strip--key", "tab-strip--label", "tab-strip--active"}

    active: reactive[str] = reactive("")

    class Chosen(Message):
        def __init__(self, tab: str) -> None:
            super().__init__()
            self.tab = tab

    def __init__(self, tabs: Sequence[tuple[str, str, str]], *, id: str | None = None) -> None:
        """`tabs`: (id, key, label) for each tab, in order."""
        super().__init__(id=id)
        self.tabs = tuple(tabs)
        self.set_reactive(TabStrip.active, self.tabs[0][0])

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for tab, key, label in self.tabs:
            active = tab == self.active
            text.append(f" {key} ", style=component_style(self, "tab-strip--key"))
            text.append(f"{label} ", style=component_style(self, "tab-strip--active" if active else "tab-strip--label"))
            text.append(" ")
        return text

    def on_click(self, event: events.Click) -> None:
        x = event.x - self.styles.padding.left
        for tab, key, label in self.tabs:
            width = len(key) + len(label) + 4
            if 0 <= x < width:
                self.post_message(self.Chosen(tab))
                return
            x -= width
