"""Macrons (tohutō) for te reo Māori words, in any terminal.

Few keyboards in the field are set up for ā ē ī ō ū, so the app offers two
ways: a key that toggles the macron on the vowel before the cursor, and hints
for common words typed without their macrons. Only words that are always
written with a macron are listed: "wahine" (one woman) and "matua" (a parent)
are correct without one, so they are not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_PLAIN = "aeiouAEIOU"
_MACRON = "āēīōūĀĒĪŌŪ"
_TOGGLE = dict(zip(_PLAIN, _MACRON)) | dict(zip(_MACRON, _PLAIN))
_COMBINING_MACRON = "\u0304"

# Spelling without macrons -> correct spelling (lower case; case is kept when fixing).
WORDS: dict[str, str] = {
    word.translate(str.maketrans(_MACRON, _PLAIN)).lower(): word.lower()
    for word in (
        "whānau",
        "ākonga",
        "Māori",
        "Māoritanga",
        "kōrero",
        "Pākehā",
        "hapū",
        "kaumātua",
        "Ngāti",
        "Ngāi",
        "Ngāpuhi",
        "Tūhoe",
        "tāne",
        "Tāmaki",
        "kōhanga",
        "tēnā",
        "mōrena",
        "pēpi",
        "tūpuna",
        "tīpuna",
        "kōtiro",
        "wānanga",
        "kaiāwhina",
        "pōwhiri",
        "hāngi",
        "pāngarau",
        "kōwhai",
        "Whangārei",
        "Taupō",
        "Ōtautahi",
        "Ōtepoti",
        "Kāpiti",
        "tōtara",
    )
}

_WORD = re.compile(r"\w+")


def toggle_macron(char: str) -> str | None:
    """ā for a, a for ā (and capitals); None for anything else."""
    return _TOGGLE.get(char)


def toggle_before(text: str, cursor: int) -> tuple[str, int] | None:
    """Toggle the macron on the character just before `cursor`.

    Returns the new text and cursor, or None if that character is not a vowel.
    A vowel followed by a combining macron (pasted decomposed text) loses it.
    """
    if cursor <= 0 or cursor > len(text):
        return None
    before = text[cursor - 1]
    if before == _COMBINING_MACRON and cursor >= 2 and text[cursor - 2] in _PLAIN:
        return text[: cursor - 1] + text[cursor:], cursor - 1
    toggled = toggle_macron(before)
    if toggled is None:
        return None
    return text[: cursor - 1] + toggled + text[cursor:], cursor


@dataclass(frozen=True, slots=True)
class MacronHint:
    start: int
    end: int
    typed: str
    suggested: str

    def __str__(self) -> str:
        return f"{self.typed} → {self.suggested}"


def _with_case_of(typed: str, word: str) -> str:
    return "".join(new.upper() if old.isupper() else new for old, new in zip(typed, word, strict=True))


def missing_macrons(text: str) -> list[MacronHint]:
    """Whole words in `text` that are usually written with macrons, in order."""
    hints = []
    for match in _WORD.finditer(text):
        typed = match.group()
        correct = WORDS.get(typed.lower()) if typed.isascii() else None
        if correct is not None:
            hints.append(MacronHint(match.start(), match.end(), typed, _with_case_of(typed, correct)))
    return hints


def add_macrons(text: str) -> str:
    """`text` with every hinted word corrected; everything else unchanged."""
    pieces, last = [], 0
    for hint in missing_macrons(text):
        pieces += [text[last : hint.start], hint.suggested]
        last = hint.end
    return "".join(pieces) + text[last:]


def describe_hints(hints: list[MacronHint], limit: int = 4) -> str:
    """'whanau → whānau, Maori → Māori' (each word once, the first few)."""
    seen: dict[str, str] = {}
    for hint in hints:
        seen.setdefault(hint.typed, hint.suggested)
    shown = [f"{typed} → {suggested}" for typed, suggested in list(seen.items())[:limit]]
    more = len(seen) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def strip_macrons(text: str) -> str:
    """Text without macrons or other accents (for matching what people type)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
