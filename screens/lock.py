"""The lock screen: all case data hidden until the user proves who they are.

The app pushes it after `idle_lock_minutes` without a key or mouse event, or
on ctrl+l. It is an opaque full screen, so nothing under it is drawn; the app
holds any screen opened or closed in the background until it is unlocked, and
toasts are hidden (a message may name a student). The screens underneath stay
mounted: a half-typed form keeps its text, and its draft keeps being saved.

An encrypted caseload unlocks with its passphrase (checked by SQLCipher in a
worker: deriving the key takes a few tenths of a second). A caseload without a
passphrase has no secret to check, so the user types their computer user name:
that stops a passer-by glancing at the screen, no more (docs/security.md).
"""

from __future__ import annotations

import getpass

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Static

from ascms_tui.db_connect import DatabaseAccessError, is_encrypted, verify_passphrase

# Failed tries allowed before each further one waits, and the waits (seconds, doubling, capped).
FREE_TRIES = 2
FIRST_WAIT, LONGEST_WAIT = 2.0, 30.0


def os_user() -> str | None:
    """The computer account's user name (the audit history's "who"), or None when it cannot be told."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def wait_after(failures: int) -> float:
    """Seconds to wait before the next try after `failures` wrong ones: 0, 0, 2, 4, 8, ... 30."""
    if failures <= FREE_TRIES:
        return 0.0
    return min(FIRST_WAIT * 2 ** (failures - FREE_TRIES - 1), LONGEST_WAIT)


class LockScreen(Screen[None]):
    """Covers every other screen until unlocked; only quitting (work is kept) and unlocking work here."""

    CSS_PATH = "lock.tcss"
    AUTO_FOCUS = "#unlock"

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0
        self._checking = False
        self._wait_timer: Timer | None = None
        self.encrypted = False

    def compose(self) -> ComposeResult:
        self.encrypted = is_encrypted(self.app.db_path)  # type: ignore[attr-defined]  # reads 16 bytes
        self.sub_title = "Locked"
        minutes = self.app.settings.idle_lock_minutes  # type: ignore[attr-defined]
        idle = f"{minutes:g} minutes" if minutes >= 1 else f"{round(minutes * 60)} seconds"
        with Vertical(id="lock-box"):
            yield Label("ascms-tui is locked", id="lock-title")
            yield Static(
                "Case data is hidden. Anything you were typing is kept as it was.\n"
                f"It locks after {idle} without use; ctrl+l locks it at once.",
                id="lock-detail",
            )
            if self.encrypted:
                prompt, placeholder = "Passphrase of this caseload", "passphrase"
            else:
                prompt = "This caseload has no passphrase: type your computer user name"
                placeholder = "user name"
            yield Label(prompt, id="lock-prompt")
            yield Input(placeholder=placeholder, password=self.encrypted, id="unlock")
            yield Static("", id="lock-message", markup=False)  # an error may quote a path
            yield Static("Enter unlocks · ctrl+q quits (your work is kept)", id="lock-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._checking or self._wait_timer is not None:
            return
        typed = event.value
        event.input.value = ""  # not left in the widget
        if not typed:
            self._say("Type the passphrase, then Enter." if self.encrypted else "Type your user name, then Enter.")
            return
        self._checking = True
        event.input.disabled = True
        self._say("Checking…", error=False)
        self._check(typed)

    @work(thread=True, exclusive=True, group="unlock")
    def _check(self, typed: str) -> None:
        try:
            if self.encrypted:
                right, problem = verify_passphrase(self.app.db_path, typed), None  # type: ignore[attr-defined]
            else:
                user = os_user()
                right, problem = user is None or typed.strip().casefold() == user.casefold(), None
        except DatabaseAccessError as error:  # e.g. the encryption library went missing
            right, problem = False, str(error)
        self.app.call_from_thread(self._checked, right, problem)

    def _checked(self, right: bool, problem: str | None) -> None:
        self._checking = False
        if right:
            self.app.unlock()  # type: ignore[attr-defined]
            return
        self.failures += 1
        said = problem or (
            "That passphrase does not open this caseload." if self.encrypted
            else "That is not the user name signed in to this computer."
        )
        wait = wait_after(self.failures)
        if wait:
            self._say(f"{said} {self.failures} wrong tries: wait {wait:g} seconds.")
            self._wait_timer = self.set_timer(wait, self._ready_again)
        else:
            self._ready_again(said)

    def _ready_again(self, said: str | None = None) -> None:
        self._wait_timer = None
        field = self.query_one("#unlock", Input)
        field.disabled = False
        field.focus()
        if said is None:
            self._say("Try again.", error=False)
        else:
            self._say(said)

    def _say(self, message: str, *, error: bool = True) -> None:
        shown = self.query_one("#lock-message", Static)
        shown.update(message)
        shown.set_class(error, "-error")
