"""Hygiene for text that came from somewhere we do not control.

Imports and the central system are untrusted: control characters could move
the terminal cursor or rewrite the screen, and bidi overrides can make a note
read differently from what it says. They are removed before anything is
stored, so no widget ever sees them. (Markup escaping is the display's job.)
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls and DEL, except tab and newline; plus the bidi embedding,
# override and isolate characters; plus lone surrogates (JSON's "\ud800"), which
# are not text at all and which SQLite cannot store.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# An escape sequence is removed whole, so "\x1b[2J" leaves nothing behind.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
)


def clean_text(value: str) -> str:
    """Return `value` with line endings normalised and unsafe characters removed."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _UNSAFE.search(value):
        value = _UNSAFE.sub("", _ESCAPE_SEQUENCE.sub("", value))
    if value.isascii():
        return value
    # NFC so that "a" + combining macron and "ā" compare and search alike.
    return unicodedata.normalize("NFC", value)


def utf8_length(value: str) -> int:
    return len(value.encode("utf-8"))
