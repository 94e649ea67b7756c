"""Recording quality advice (never blocks a save).

Follows the practice guide: an initial-meeting Event says who met, what was
discussed and the next steps; free text is factual, not opinion, because it
may be disclosed under the OIA or the Privacy Act. The word lists are data
(ascms_tui/data/quality.toml) that a provider can extend with their own
quality.toml in the config folder.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from platformdirs import user_config_path

from .paths import APP_NAME


@dataclass(frozen=True, slots=True)
class Advice:
    kind: str  # "judgement", "vague", "short", "missing_who", "missing_discussed", "missing_next_steps"
    message: str
    phrase: str | None = None


@dataclass(frozen=True)
class WordLists:
    judgement: tuple[str, ...]
    judgement_reason: str
    vague: tuple[str, ...]
    vague_reason: str
    min_words: int
    short_reason: str
    who: tuple[str, ...]
    discussed: tuple[str, ...]
    next_steps: tuple[str, ...]


def provider_lists_path() -> Path:
    return user_config_path(APP_NAME, appauthor=False) / "quality.toml"


@lru_cache(maxsize=4)
def load_word_lists(extra: Path | None = None) -> WordLists:
    base = tomllib.loads(resources.files("ascms_tui").joinpath("data/quality.toml").read_text(encoding="utf-8"))
    extra = extra or provider_lists_path()
    added = tomllib.loads(extra.read_text(encoding="utf-8")) if extra.exists() else {}

    def merged(section: str, key: str) -> tuple[str, ...]:
        words = [*base[section][key], *added.get(section, {}).get(key, [])]
        return tuple(dict.fromkeys(w.lower() for w in words))

    meeting = base["initial_meeting"]
    return WordLists(
        judgement=merged("judgement", "phrases"),
        judgement_reason=base["judgement"]["reason"],
        vague=merged("vague", "descriptions"),
        vague_reason=base["vague"]["reason"],
        min_words=int(added.get("initial_meeting", {}).get("min_words", meeting["min_words"])),
        short_reason=meeting["reason_short"],
        who=merged("initial_meeting", "who"),
        discussed=merged("initial_meeting", "discussed"),
        next_steps=merged("initial_meeting", "next_steps"),
    )


@lru_cache(maxsize=8)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # Whole words only: "rude" must not flag "intruded".
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’])({alternatives})(?![\w'’])", re.IGNORECASE)


def judgement_hints(text: str, lists: WordLists | None = None) -> list[Advice]:
    """Wording that reads as opinion or judgement, each with the OIA / Privacy Act reminder."""
    lists = lists or load_word_lists()
    normalised = text.replace("’", "'")
    found = dict.fromkeys(m.group(1).lower() for m in _phrase_pattern(lists.judgement).finditer(normalised))
    return [Advice("judgement", f"“{phrase}”: {lists.judgement_reason}", phrase) for phrase in found]


def initial_meeting_advice(description: str, lists: WordLists | None = None) -> list[Advice]:
    """Why an initial-meeting description may not be useful to the next reader (empty list if fine)."""
    lists = lists or load_word_lists()
    text = " ".join(description.split())
    lowered = text.lower().rstrip(".!")
    if not lowered:
        return [Advice("short", "No description yet. " + lists.vague_reason)]
    if lowered in lists.vague:
        return [Advice("vague", f"“{text}”: {lists.vague_reason}", text)]
    short = len(text.split()) < lists.min_words
    advice = [Advice("short", lists.short_reason)] if short else []
    checks = [
        ("missing_who", lists.who, "who met"),
        ("missing_discussed", lists.discussed, "what was discussed"),
        ("missing_next_steps", lists.next_steps, "the actions agreed or next steps"),
    ]
    # Cue words are a rough guide: a full description is only asked for its next steps,
    # the part most often left out.
    for kind, cues, what in checks if short else checks[2:]:
        if not _cue_pattern(cues).search(lowered):
            advice.append(Advice(kind, f"The description does not seem to say {what}."))
    return advice


@lru_cache(maxsize=16)
def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    # One alternation instead of a loop over every cue: the daily check reads thousands of descriptions.
    return re.compile("|".join(re.escape(cue) for cue in cues))
