"""Text fields that can type macrons in any terminal, and a field that carries its own message.

ctrl+t (tohutō, the macron) toggles the macron on the vowel before the cursor:
it needs no keyboard layout and no compose key, so it works over SSH and on
any laptop. Neither Input nor TextArea uses ctrl+t in Textual 8. ctrl+r puts
in the macrons of the words a field's hint line lists.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Static, TextArea

from ascms_tui.macrons import (
    add_macrons,
    describe_hints,
    missing_macrons,
    toggle_before,
)
from widgets.literal import literal

MACRON_BINDING = Binding(
    "ctrl+t",
    "toggle_macron",
    "macron",
    id="text.macron",
    tooltip="Put a macron on the vowel before the cursor (a → ā), or take it off",
)
FIX_MACRONS_BINDING = Binding(
    "ctrl+r",
    "fix_macrons",
    "fix macrons",
    id="text.fix_macrons",
    tooltip="Put in the macrons this field's hint suggests (whanau → whānau)",
)


class MacronInput(Input):
    """A one-line Input with the macron key and macron hints."""

    BINDINGS: ClassVar[list[BindingType]] = [MACRON_BINDING, FIX_MACRONS_BINDING]

    def action_toggle_macron(self) -> None:
        result = toggle_before(self.value, self.cursor_position)
        if result is None:
            self.app.bell()
            return
        new_text, cursor = result
        self.value = new_text
        self.cursor_position = cursor

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fix_macrons":
            return bool(missing_macrons(self.value))
        return super().check_action(action, parameters)

    def on_input_changed(self, event: Input.Changed) -> None:
        _refresh_fix_binding(self, event.value)

    def action_fix_macrons(self) -> None:
        hints = missing_macrons(self.value)
        if not hints:
            return
        cursor = self.cursor_position
        value = self.value
        for hint in reversed(hints):  # corrections keep each word's length, so offsets hold
            value = value[: hint.start] + hint.suggested + value[hint.end :]
        self.value = value
        self.cursor_position = cursor


class MacronTextArea(TextArea):
    """A multi-line TextArea with the macron key and macron hints; both edits can be undone."""

    BINDINGS: ClassVar[list[BindingType]] = [MACRON_BINDING, FIX_MACRONS_BINDING]

    def action_toggle_macron(self) -> None:
        row, column = self.cursor_location
        line = self.document.get_line(row)
        result = toggle_before(line, column)
        if result is None:
            self.app.bell()
            return
        new_line, new_column = result
        self.history.checkpoint()
        # Replace only the character before the cursor, so undo restores just that.
        self.replace(new_line[column - 1 : new_column], (row, column - 1), (row, column))
        self.cursor_location = (row, new_column)
        self.history.checkpoint()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fix_macrons":
            return bool(missing_macrons(self.text))
        return super().check_action(action, parameters)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        _refresh_fix_binding(self, self.text)

    def action_fix_macrons(self) -> None:
        hints = missing_macrons(self.text)
        if not hints:
            return
        cursor = self.cursor_location
        # One edit over the span of all the words, so one undo takes the whole fix back.
        first, last = hints[0].start, hints[-1].end
        text = self.text
        fixed = add_macrons(text[first:last])
        start = self.document.get_location_from_index(first)
        end = self.document.get_location_from_index(last)
        self.history.checkpoint()
        self.replace(fixed, start, end)
        self.history.checkpoint()
        self.cursor_location = cursor  # corrections keep each word's length


def _refresh_fix_binding(widget: Widget, text: str) -> None:
    """Show "fix macrons" in the footer only while there is something to fix."""
    has_hints = bool(missing_macrons(text))
    if has_hints != getattr(widget, "_had_macron_hints", False):
        widget._had_macron_hints = has_hints  # type: ignore[attr-defined]
        widget.refresh_bindings()


def text_of(control: Widget) -> str | None:
    if isinstance(control, Input):
        return control.value
    if isinstance(control, TextArea):
        return control.text
    return None


class FormField(Vertical):
    """A label, the control(s) for one field, a message line, and a macron hint line.

    The message line shows what was wrong ("'31/2/2026' is not a date…") or,
    when the value is fine, what was understood ("Tue 30 Jun 2026").
    """

    def __init__(self, label: str, *children: Widget, key: str, classes: str = "", macrons: bool = False) -> None:
        super().__init__(classes=f"form-field {classes}".strip(), id=f"field-{key}")
        self.key = key
        self.macrons = macrons  # a text field: show the macron hint line
        self.label_text = label
        self._controls = children
        self._shown_message = ""
        self._shown_hints = ""

    def compose(self) -> ComposeResult:
        yield Label(self.label_text, classes="field-label")
        yield from self._controls
        yield Static("", classes="field-message")
        if self.macrons:
            yield Static("", classes="macron-hint")

    def show_error(self, message: str) -> None:
        self.add_class("-invalid")
        self._message(message)

    def show_note(self, note: str) -> None:
        self.remove_class("-invalid")
        self._message(note)

    def _message(self, text: str) -> None:
        if text == self._shown_message:
            return  # an unchanged message costs no layout pass
        self._shown_message = text
        line = self.query_one(".field-message", Static)
        line.update(literal(text))
        line.display = bool(text)

    @property
    def message(self) -> str:
        return self._shown_message

    @property
    def has_error(self) -> bool:
        return self.has_class("-invalid")

    def update_macron_hint(self, text: str) -> None:
        described = describe_hints(missing_macrons(text))
        if described == self._shown_hints:
            return
        self._shown_hints = described
        hint_line = self.query_one(".macron-hint", Static)
        hint_line.display = bool(described)
        if described:
            hint_line.update(
                Text.assemble("Macrons? ", literal(described), "  (ctrl+r fixes, ctrl+t on one vowel)")
            )

    @property
    def macron_hint(self) -> str:
        return self._shown_hints

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.macrons and isinstance(event.input, MacronInput):
            self.update_macron_hint(event.value)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if self.macrons and isinstance(event.text_area, MacronTextArea):
            self.update_macron_hint(event.text_area.text)
