"""The screen's keys on one line, drawn by one widget: every screen's footer.

Textual's Footer builds a widget per key and rebuilds them as focus moves; on
the case list that was a fifth of a minimal Textual app's whole start-up, and
on the case view it rebuilt several times as the screen opened. This draws the
same keys as one line of text: a click on a key presses it, hovering shows its
tooltip, and keys that do nothing now are dimmed.
"""

from __future__ import annotations

from itertools import groupby
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

DIM = Style(dim=True)


class _Key(NamedTuple):
    key: str  # what a click presses
    label: str  # the key as shown, e.g. "f2" or "^p"
    description: str
    enabled: bool
    tooltip: str


class KeyBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._spans: list[tuple[int, int, _Key]] = []  # cells each key occupies, for clicks and tooltips

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.refresh()

    def _keys(self) -> tuple[list[tuple[list[_Key], str | None]], _Key | None]:
        """The shown keys, one entry per action, grouped as their bindings ask; and the palette key."""
        app = self.app
        active = self.screen.active_bindings
        first_per_action: dict[str, tuple[Binding, bool, str]] = {}
        for _, binding, enabled, tooltip in active.values():
            if binding.show:
                first_per_action.setdefault(binding.action, (binding, enabled, tooltip))

        def key_of(binding: Binding, enabled: bool, tooltip: str, description: str) -> _Key:
            return _Key(binding.key, app.get_key_display(binding), description, enabled,
                        tooltip or binding.tooltip or binding.description)

        groups = []
        for group, members in groupby(first_per_action.values(), lambda item: item[0].group):
            members = list(members)
            if group is not None and len(members) > 1:
                groups.append(([key_of(b, e, t, "") for b, e, t in members], group.description))
            else:
                groups.extend(([key_of(b, e, t, b.description)], None) for b, e, t in members)
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _, binding, enabled, tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = key_of(binding, enabled, tooltip, binding.description)
        return groups, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        groups, palette = self._keys()
        drawn = [self._group(keys, description, key_style, description_style) for keys, description in groups]
        keys_width = sum(group.cell_len for group, _ in drawn)
        palette_text = Text(end="")
        if palette is not None:
            # When space is short the palette key keeps its key but loses its word, then keys go.
            palette_text.append("▏", description_style)
            palette_text.append(palette.label, key_style)
            if keys_width + palette_text.cell_len + cell_len(f" {palette.description}") <= self.size.width:
                palette_text.append(f" {palette.description}", description_style)
        room = self.size.width - palette_text.cell_len
        text = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, _Key]] = []
        for group, group_spans in drawn:
            if text.cell_len + group.cell_len > room:
                break  # left out whole; the app's own keys come last
            offset = text.cell_len
            spans.extend((offset + start, offset + end, key) for start, end, key in group_spans)
            text.append_text(group)
        if palette is not None:
            text.pad_right(max(0, room - text.cell_len))
            spans.append((text.cell_len, text.cell_len + palette_text.cell_len, palette))
            text.append_text(palette_text)
        self._spans = spans
        return text

    @staticmethod
    def _group(keys: list[_Key], description: str | None, key_style: Style,
               description_style: Style) -> tuple[Text, list[tuple[int, int, _Key]]]:
        """One action's keys (or a group's, with its shared description), and the cells each key takes."""
        text = Text(end="")
        spans = []
        for key in keys:
            start = text.cell_len
            dim = Style() if key.enabled else DIM
            text.append(f" {key.label} ", key_style + dim)
            if key.description:
                text.append(f"{key.description} ", description_style + dim)
            spans.append((start, text.cell_len, key))
        if description:
            text.append(f"{description} ", description_style)
        return text, spans

    def _key_at(self, x: int) -> _Key | None:
        return next((key for start, end, key in self._spans if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        key = self._key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self._key_at(event.x)
        self.tooltip = key.tooltip if key else None
