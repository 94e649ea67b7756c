"""Spotting an initial-meeting Event subject typed nearly, but not exactly, right.

Reporting counts an initial meeting only when the Event's Subject is exactly
"Initial School Meeting" or "Initial Student / Whānau Meeting". A subject typed
as "initial whanau mtg" would silently not count, so the form offers the exact
wording. Other subjects ("School Meeting", "Home Visit", "Whānau Hui") are
legitimate and never matched: a subject must say it is the initial (first)
meeting, and use no words beyond the meeting's own.
"""

from __future__ import annotations

import difflib
import re

from .domain import (
    INITIAL_MEETING_SUBJECTS,
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
)
from .macrons import strip_macrons

# What a word typed in a subject stands for; None: a word that adds nothing ("with").
_ALIASES: dict[str, str | None] = {
    "initial": "initial",
    "init": "initial",
    "inital": "initial",
    "intial": "initial",
    "first": "initial",
    "1st": "initial",
    "school": "school",
    "sch": "school",
    "skool": "school",
    "kura": "school",
    "student": "whanau",
    "stu": "whanau",
    "akonga": "whanau",
    "whanau": "whanau",
    "whānau": "whanau",
    "family": "whanau",
    "fam": "whanau",
    "caregiver": "whanau",
    "caregivers": "whanau",
    "parent": "whanau",
    "parents": "whanau",
    "meeting": "meeting",
    "mtg": "meeting",
    "mtng": "meeting",
    "meet": "meeting",
    "hui": "meeting",
    "visit": "meeting",
    "with": None,
    "and": None,
    "the": None,
    "n": None,
}
_FUZZY_VOCABULARY = [word for word, meaning in _ALIASES.items() if meaning and len(word) >= 4]
_SEPARATORS = re.compile(r"[/&+,.\-_()]+|\s+")
_COMPACT_TARGETS = {
    re.sub(r"[^a-z]", "", strip_macrons(subject).lower()): subject for subject in INITIAL_MEETING_SUBJECTS
}


def _meaning(word: str) -> str | None | bool:
    """What a typed word stands for, allowing a small typo; False if it is none of ours."""
    if word in _ALIASES:
        return _ALIASES[word]
    if len(word) >= 4:
        close = difflib.get_close_matches(word, _FUZZY_VOCABULARY, n=1, cutoff=0.8)
        if close:
            return _ALIASES[close[0]]
    return False


def exact_initial_subject(typed: str) -> str | None:
    """The exact initial-meeting subject `typed` nearly is; None if it is exact or is another subject."""
    if typed in INITIAL_MEETING_SUBJECTS:
        return None
    plain = strip_macrons(typed).lower().strip()
    if not plain:
        return None
    compact = re.sub(r"[^a-z]", "", plain)
    if compact in _COMPACT_TARGETS:
        return _COMPACT_TARGETS[compact]  # same words; only case, spaces, macron or slash differ
    meanings: set[str] = set()
    unknown = False
    for word in _SEPARATORS.split(plain):
        meaning = _meaning(word) if word else None
        if meaning is False:
            unknown = True  # a word the exact subjects do not have: maybe another kind of event
        elif meaning:
            meanings.add(meaning)
    if not unknown and "initial" in meanings:
        if "school" in meanings and "whanau" not in meanings:
            return INITIAL_SCHOOL_MEETING
        if "whanau" in meanings and "school" not in meanings:
            return INITIAL_WHANAU_MEETING
        return None
    # Run-together or heavily misspelt words: overall likeness to the exact wording.
    close = difflib.get_close_matches(compact, list(_COMPACT_TARGETS), n=1, cutoff=0.85)
    return _COMPACT_TARGETS[close[0]] if close else None
