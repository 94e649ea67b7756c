"""The Textual application: the only module of the core that imports Textual.

Screens call back into the app for navigation (`open_case`, `open_form`) and
read the store through `app.store`; every write goes through the store.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding

from .db_connect import passphrase_from_env
from .nztime import nz_today
from .settings import Settings

if TYPE_CHECKING:
    from .case_list_query import DeadlineLookup, FirstPage
    from .store import Store

FORM_KINDS = ("event", "comment", "task")


def _case_commands():
    # Imported when the palette first opens: textual.command costs ~40 ms at start-up.
    from screens.palette import CaseCommands

    return CaseCommands


class AscmsApp(App):
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {_case_commands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave ascms-tui (your work is saved as you go)"),
        Binding("ctrl+g", "daily_check", "Daily check", id="app.daily_check",
                tooltip="Before you close the laptop: what is missing today"),
        Binding("ctrl+r", "reporting", "Reporting", id="app.reporting",
                tooltip="What the quarterly report will count, and which cases to fix", show=False),
        Binding("ctrl+l", "lock", "Lock", id="app.lock", priority=True, show=False,
                tooltip="Hide all case data behind the lock screen now"),
    ]

    def __init__(
        self,
        db_path: Path,
        title: str = "AS-CMS offline",
        *,
        settings: Settings | None = None,
        today: Callable[[], date] | None = None,
        offer_drafts: bool = True,
        passphrase: str | None = None,
    ) -> None:
        super().__init__()
        self.db_path = db_path
        self.title = title
        self.settings = settings or Settings()
        self._today = today or nz_today
        self.offer_drafts = offer_drafts
        self.passphrase = passphrase if passphrase is not None else passphrase_from_env()
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self._last_input = time.monotonic()
        self._lock_screen = None  # the LockScreen while locked
        self._held: list[Callable[[], object]] = []  # screens opened or closed while locked

    @property
    def store(self) -> Store:
        """The store, opened on first use: the case list paints its first screenful without it."""
        if self._store is None:
            with self._store_lock:  # a worker and the UI thread may both ask first
                if self._store is None:
                    from .store import Store  # pydantic and the record models load here

                    self._store = Store(self.db_path, passphrase=self.passphrase)
        return self._store

    def read_first_page(self, deadlines: DeadlineLookup, *, limit: int) -> FirstPage | None:
        """The case list's opening screenful straight from the file, or None when the store must open it first."""
        from .case_list_query import read_first_page

        return read_first_page(self.db_path, self.passphrase, deadlines, user_name=self.user_name, limit=limit)

    @property
    def user_name(self) -> str | None:
        return self.settings.user_name

    def today(self) -> date:
        """Today in New Zealand (fixed in tests and snapshots)."""
        return self._today()

    def on_mount(self) -> None:
        self._arm_idle_lock()
        from screens.case_list import CaseListScreen

        from .case_list_query import DeadlineLookup

        # One screenful read before the first frame (bounded by LIMIT), so it paints with rows in it.
        deadlines = DeadlineLookup(self.today())
        opening = self.read_first_page(deadlines, limit=self.size.height + 20)
        self.push_screen(CaseListScreen(opening, deadlines))

    def case_list_loaded(self) -> None:
        """Called by the case list after each full load; the first time, offer any saved drafts."""
        if self.offer_drafts:
            self.offer_drafts = False
            self.run_worker(self._find_drafts, thread=True, group="drafts", name="find drafts")

    def _find_drafts(self) -> None:
        drafts = self.store.drafts()
        if drafts:
            self.call_from_thread(self._offer_drafts, drafts)

    def _offer_drafts(self, drafts) -> None:
        from screens.drafts import DraftRestoreScreen

        self.push_screen(DraftRestoreScreen(drafts))

    def on_unmount(self) -> None:
        if self._store is not None:
            self._store.close()

    # -- navigation used by the screens -----------------------------------------------

    def open_case(self, case_id: str) -> None:
        from screens.case_view import CaseViewScreen

        self.push_screen(CaseViewScreen(case_id))

    def open_form(self, kind: str, case_id: str, record_id: str | None = None, draft=None) -> None:
        """Open a record's form by kind (new, or editing `record_id`, or from a draft)."""
        from screens.record_forms import FORM_SCREENS

        if kind not in FORM_SCREENS:
            raise ValueError(f"unknown form {kind!r}")
        self.push_screen(FORM_SCREENS[kind](case_id=case_id, record_id=record_id, draft=draft))

    def action_daily_check(self) -> None:
        from screens.daily_check import DailyCheckScreen

        self.push_screen(DailyCheckScreen())

    def action_reporting(self) -> None:
        from screens.reporting import ReportingScreen

        self.push_screen(ReportingScreen())

    def action_time_spent(self) -> None:
        from screens.time_spent import TimeSpentScreen

        self.push_screen(TimeSpentScreen())

    def action_sync_now(self) -> None:
        self.notify("Sync with AS-CMS is not set up on this laptop yet.", title="Sync", severity="warning")

    # -- the idle lock (screens/lock.py) -------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent | events.Paste):
            self._last_input = time.monotonic()
        await super().on_event(event)

    @property
    def locked(self) -> bool:
        return self._lock_screen is not None

    def _arm_idle_lock(self, delay: float | None = None) -> None:
        # One timer per idle period, not one per key press.
        self.set_timer(self.settings.idle_lock_minutes * 60 if delay is None else delay, self._idle_check)

    def _idle_check(self) -> None:
        if self.locked:
            return  # armed again on unlocking
        left = self.settings.idle_lock_minutes * 60 - (time.monotonic() - self._last_input)
        if left <= 0:
            self.action_lock()
        else:
            self._arm_idle_lock(left)

    def action_lock(self) -> None:
        if self.locked:
            return
        from screens.lock import LockScreen

        self.clear_notifications()  # a toast may name a student
        self._lock_screen = LockScreen()
        super().push_screen(self._lock_screen)

    def unlock(self) -> None:
        """Called by the lock screen once the user is checked: back to the screen underneath."""
        if self._lock_screen is None:
            return
        self._lock_screen = None
        super().pop_screen()
        held, self._held = self._held, []
        if held:
            self.call_later(self._do_held, held)
        self._last_input = time.monotonic()
        self._arm_idle_lock()

    async def _do_held(self, held: list[Callable[[], object]]) -> None:
        for operation in held:  # in the order asked, each finished before the next
            await operation()  # type: ignore[misc]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While locked the app's keys (palette, daily check, ...) would open screens over the lock.
        if self.locked and action not in ("quit", "help_quit", "focus_next", "focus_previous"):
            return False
        return super().check_action(action, parameters)

    def push_screen(self, screen, callback=None, wait_for_dismiss=False):  # type: ignore[override]
        if not self.locked:
            return super().push_screen(screen, callback, wait_for_dismiss)
        # A screen opened in the background (a worker finishing) waits until the app is unlocked.
        if not wait_for_dismiss:
            self._held.append(lambda: super(AscmsApp, self).push_screen(screen, callback))
            return AwaitComplete.nothing()
        future = asyncio.get_running_loop().create_future()

        def dismissed(result):
            if callback is not None:
                callback(result)
            future.set_result(result)

        self._held.append(lambda: super(AscmsApp, self).push_screen(screen, dismissed))
        return future

    def pop_screen(self) -> AwaitComplete:
        if self.locked:  # a screen dismissed in the background: the lock stays on top
            self._held.append(super().pop_screen)
            return AwaitComplete.nothing()
        return super().pop_screen()

    def _fatal_error(self) -> None:
        # Textual's own crash screen prints every local variable: a child's note could be one of them.
        # A report without messages or values goes to the log folder instead.
        import sys

        from rich.text import Text

        from .logs import write_crash_report

        error = sys.exc_info()[1] or self._exception
        try:
            where = f" A report without any case data is in {write_crash_report(error)}." if error else ""
        except OSError:
            where = ""
        self.bell()
        self.panic(Text(f"ascms-tui stopped unexpectedly ({type(error).__name__}).{where} Your saved work is safe."))
