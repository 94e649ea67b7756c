"""Show text exactly as written: never parsed as markup, never able to drive the terminal."""

from __future__ import annotations

from rich.text import Text

from ascms_tui.text import clean_text


def literal(value: object, style: str = "") -> Text:
    """A Text that displays `value` literally, "[bold]" and "[/foo]" included."""
    return Text(clean_text(str(value)), style=style, no_wrap=False)
