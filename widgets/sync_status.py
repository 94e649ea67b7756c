"""One line about sync with AS-CMS: online or not, what is queued, the last sync, what needs the user.

The app keeps one `SyncState` and publishes each new one on
`app.sync_state_changed`; every SyncStatus on screen redraws from it. The
widget reads nothing itself (no store, no sync package), so it costs the case
list's first paint nothing: until the app has read the counts (after the case
list's full load) the line is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.message import Message
from textual.widget import Widget

from ascms_tui.nztime import format_nz_datetime

SYNC_SCREEN_KEY = "f9"


@dataclass(frozen=True, slots=True)
class SyncState:
    known: bool = False  # the counts have been read at least once
    signed_in: bool | None = None  # None: not looked at yet
    online: bool | None = None  # as of the last attempt to reach AS-CMS; None: not tried
    queued: int = 0
    set_aside: int = 0
    conflicts: int = 0
    last_sync_at: str | None = None  # UTC ISO of the last completed run
    running: bool = False
    progress: str | None = None  # e.g. "sending 40 of 120 changes"
    note: str | None = None  # why the last run stopped, e.g. another sync holds the lock
    finished: int = 0  # runs (or attempts to reach AS-CMS) ended since the app started

    @property
    def needs_attention(self) -> int:
        return self.set_aside + self.conflicts


# --- what the background sync posts back to the app (from its worker thread) ---------------


class SyncChecked(Message):
    """The counts, the last sync and whether there is a sign-in, read in the worker."""

    def __init__(self, counts: dict[str, int], last_sync_at: str | None, signed_in: bool) -> None:
        super().__init__()
        self.counts, self.last_sync_at, self.signed_in = counts, last_sync_at, signed_in


class SyncStarted(Message):
    """AS-CMS answered and a run has begun."""


class SyncProgress(Message):
    def __init__(self, phase: str, done: int, total: int) -> None:
        super().__init__()
        self.phase, self.done, self.total = phase, done, total


class SyncFinished(Message):
    """A run (or an attempt to reach AS-CMS) ended; `summary` is None when no run was made."""

    def __init__(self, *, online: bool | None, summary=None, note: str | None = None, asked: bool = False,
                 text: str | None = None, last_sync_at: str | None = None) -> None:
        super().__init__()
        self.online, self.summary, self.note, self.asked = online, summary, note, asked
        self.text = text  # what to tell a user who asked, when there is no summary
        self.last_sync_at = last_sync_at


def progress_text(phase: str, done: int, total: int) -> str:
    if phase == "push":
        return f"sending {done:,} of {total:,} change{'s' if total != 1 else ''}" if total else "sending changes"
    return f"receiving from AS-CMS ({done:,} record{'s' if done != 1 else ''})"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def describe_state(state: SyncState) -> tuple[Text, Text]:
    """(the status, the attention hint) as the line shows them."""
    line = Text(no_wrap=True, overflow="ellipsis")
    if not state.known:
        return line, Text()
    if state.running:
        line.append("⟳ Syncing with AS-CMS", style="bold")
        if state.progress:
            line.append(f": {state.progress}…")
    else:
        if state.signed_in is False:
            line.append("Not signed in to AS-CMS", style="bold")
        elif state.online is True:
            line.append("● Online", style="bold green")
        elif state.online is False:
            line.append("○ Offline", style="bold")
        else:
            line.append("Signed in")  # AS-CMS not tried yet
        line.append(" · ")
        line.append(f"{_plural(state.queued, 'change')} to send" if state.queued else "nothing to send")
        line.append(" · ")
        if state.last_sync_at:
            line.append(f"last sync {format_nz_datetime(datetime.fromisoformat(state.last_sync_at))}")
        else:
            line.append("never synced")
        if state.note:
            line.append(" · ")
            line.append(state.note, style="italic")  # a Text: never read as markup
    hint = Text(no_wrap=True)
    if state.needs_attention:
        parts = []
        if state.set_aside:
            parts.append(f"{state.set_aside:,} set aside")
        if state.conflicts:
            parts.append(_plural(state.conflicts, "conflict"))
        hint.append(f" ⚠ {', '.join(parts)}: {SYNC_SCREEN_KEY} ", style="bold")
    return line, hint


class SyncStatus(Widget, can_focus=False):
    """The sync line above the keys; a click opens the Sync screen."""

    ALLOW_SELECT = False
    DEFAULT_CSS = """
    SyncStatus {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    SyncStatus.-attention {
        color: $text;
    }
    SyncStatus > .sync-status--attention {
        background: $warning 30%;
        color: $text;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"sync-status--attention"}

    def __init__(self, *, hint: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hint = hint  # point to the Sync screen when something needs the user

    def on_mount(self) -> None:
        signal = getattr(self.app, "sync_state_changed", None)
        if signal is not None:
            signal.subscribe(self, self._changed)

    def on_unmount(self) -> None:
        signal = getattr(self.app, "sync_state_changed", None)
        if signal is not None:
            signal.unsubscribe(self)

    def _changed(self, state: SyncState) -> None:
        self.set_class(bool(state.needs_attention), "-attention")
        self.refresh()

    @property
    def state(self) -> SyncState:
        return getattr(self.app, "sync_state", None) or SyncState()

    def render(self) -> Text:
        line, hint = describe_state(self.state)
        if hint and self.hint:
            hint.stylize(self.get_component_rich_style("sync-status--attention"))
            room = max(0, self.content_size.width - hint.cell_len - 1)
            line.truncate(room, overflow="ellipsis", pad=True)
            line.append(" ")
            line.append_text(hint)
        return line

    def on_click(self) -> None:
        action = getattr(self.app, "action_sync_screen", None)
        if action is not None:
            action()
