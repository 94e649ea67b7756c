"""The Textual application: the only module of the core that imports Textual.

Screens call back into the app for navigation (`open_case`, `open_form`) and
read the store through `app.store`; every write goes through the store.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.signal import Signal
from textual.worker import get_current_worker

from widgets.sync_status import (
    SyncChecked,
    SyncFinished,
    SyncProgress,
    SyncStarted,
    SyncState,
    progress_text,
)

from .db_connect import passphrase_from_env
from .nztime import nz_today, utc_now
from .settings import Settings

if TYPE_CHECKING:
    from textual.screen import Screen

    from .case_list_query import FirstPage
    from .store import Store
    from .sync.auth import TokenStore
    from .sync.client import Session

log = logging.getLogger(__name__)

FORM_KINDS = ("event", "comment", "task")
# Sync: with nothing queued, a run still brings in central changes this often.
CENTRAL_CHECK = timedelta(minutes=15)
SAVE_SETTLE_SECONDS = 2.0  # after a form or dialog closes, look at the queue this much later
PAUSE_AFTER_STOP = 15 * 60.0  # seconds without background runs after a request limit or a refused sign-in
SIGN_IN_RECHECK = 5 * 60.0  # not signed in: look for a sign-in this often (a locked keyring may ask to unlock)
STOP_NOTES = {
    "busy": "another sync of this caseload is running (a scheduled 'ascms-tui sync')",
    "signed_out": "sign in again: ascms-tui login",
    "limit": "AS-CMS's request limit reached; trying again later",
}


def _case_commands():
    # Imported when the palette first opens: textual.command costs ~40 ms at start-up.
    from screens.palette import CaseCommands

    return CaseCommands


class AscmsApp(App):
    # The case list is the default screen (see get_default_screen), whose CSS_PATH Textual
    # does not read: its stylesheet loads as the app's.
    CSS_PATH = "../screens/case_list.tcss"
    COMMANDS = App.COMMANDS | {_case_commands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave ascms-tui (your work is saved as you go)"),
        Binding("ctrl+g", "daily_check", "Daily check", id="app.daily_check",
                tooltip="Before you close the laptop: what is missing today"),
        Binding("ctrl+r", "reporting", "Reporting", id="app.reporting",
                tooltip="What the quarterly report will count, and which cases to fix", show=False),
        Binding("ctrl+l", "lock", "Lock", id="app.lock", priority=True, show=False,
                tooltip="Hide all case data behind the lock screen now"),
        Binding("f9", "sync_screen", "Sync", id="app.sync_screen", show=False,
                tooltip="Changes AS-CMS set aside, conflicts to resolve, and the sync status"),
        Binding("f8", "sync_now", "Sync now", id="app.sync_now", show=False,
                tooltip="Send queued changes to AS-CMS and bring back central changes now"),
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
        tokens: TokenStore | None = None,
        environ: Mapping[str, str] | None = None,
        sync_sandbox_only: bool = False,
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
        # Sync: where the sign-in is kept (None: the user's keyring or config folder), the environment
        # for its overrides, and whether only the training sandbox may be synced with (the demo).
        self._tokens = tokens
        self._environ = environ
        self._session: Session | None = None  # kept between runs; a refresh updates it in place
        self._session_looked_at: float | None = None
        self.sync_sandbox_only = sync_sandbox_only
        self.sync_state = SyncState()
        self.sync_state_changed: Signal[SyncState] = Signal(self, "sync-state-changed")
        self._sync_started = False
        self._sync_paused_until = 0.0
        self._screen_changes = 0

    @property
    def store(self) -> Store:
        """The store, opened on first use: the case list paints its first screenful without it."""
        if self._store is None:
            with self._store_lock:  # a worker and the UI thread may both ask first
                if self._store is None:
                    from .store import Store  # pydantic and the record models load here

                    self._store = Store(self.db_path, passphrase=self.passphrase)
        return self._store

    def read_first_page(self, *, limit: int) -> FirstPage | None:
        """The case list's opening screenful straight from the file, or None when the store must open it first."""
        from .case_list_query import read_first_page

        return read_first_page(self.db_path, self.passphrase, today=self.today(), user_name=self.user_name,
                               limit=limit)

    @property
    def user_name(self) -> str | None:
        return self.settings.user_name

    def today(self) -> date:
        """Today in New Zealand (fixed in tests and snapshots)."""
        return self._today()

    def get_default_screen(self) -> Screen:
        """The case list, at the bottom of the screen stack.

        Pushed from on_mount instead, it would be drawn inside Textual's start-up
        batch, which is never displayed, and the first frame would show only part
        of it.
        """
        from screens.case_list import CaseListScreen

        return CaseListScreen()

    def on_mount(self) -> None:
        self._arm_idle_lock()

    def case_list_loaded(self) -> None:
        """Called by the case list after each full load; the first time, offer any saved drafts and start sync."""
        self._start_background_sync()
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
        self.workers.cancel_group(self, "sync")  # a run under way then stops quietly as the store closes
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

    # -- sync with AS-CMS: one thread worker at a time; the status line and Sync screen follow sync_state --

    def action_sync_now(self) -> None:
        if self._sync_running():
            self.notify("A sync with AS-CMS is already running.", title="Sync")
            return
        self._start_sync("now")

    def action_sync_screen(self) -> None:
        from screens.sync import SyncScreen

        if not isinstance(self.screen, SyncScreen):
            self.push_screen(SyncScreen())

    def refresh_sync_state(self) -> None:
        """Read the counts again (after a retry or a resolved conflict); a run under way reads them at its end."""
        self._start_sync("check")

    def _start_background_sync(self) -> None:
        if self._sync_started:
            return
        self._sync_started = True
        interval = self.settings.sync_interval_seconds
        if interval > 0:
            self.set_interval(interval, self._sync_tick, name="background sync")
            self.screen_change_signal.subscribe(self, self._screen_changed)
        self._start_sync("auto" if interval > 0 else "check")

    def _sync_tick(self) -> None:
        if time.monotonic() >= self._sync_paused_until:
            self._start_sync("auto")

    def _screen_changed(self, screen: object) -> None:
        # A form or dialog may just have saved something: look at the queue once screens settle.
        self._screen_changes += 1
        self.set_timer(SAVE_SETTLE_SECONDS, partial(self._after_screen_change, self._screen_changes))

    def _after_screen_change(self, change: int) -> None:
        if change == self._screen_changes:  # the last change for SAVE_SETTLE_SECONDS
            self._sync_tick()

    def _sync_running(self) -> bool:
        return any(worker.group == "sync" and not worker.is_finished for worker in self.workers)

    def _start_sync(self, mode: str) -> None:
        """mode: "check" reads the counts, "auto" also runs when something is due, "now" runs."""
        if self._sync_running():
            return  # the run under way posts fresh counts when it ends
        self.run_worker(partial(self._sync_worker, mode), thread=True, exclusive=True, group="sync",
                        name=f"sync {mode}", exit_on_error=False)

    def _sync_worker(self, mode: str) -> None:
        asked = mode == "now"
        try:
            self._sync_work(mode, asked)
        except _SyncCancelled:
            pass  # the app is closing: the engine stopped between batches, the queue is intact
        except Exception as error:  # never a crash of the app: the queue is kept, the log has the trace
            if get_current_worker().is_cancelled:  # the app closed its store under the run: nothing lost
                log.info("sync in the app stopped as the app closed (%s)", type(error).__name__)
                return
            log.exception("sync in the app failed")
            self.post_message(SyncFinished(online=None, asked=asked,
                                           note=f"sync stopped by an error ({type(error).__name__}); see the log"))

    def _sync_work(self, mode: str, asked: bool) -> None:
        from .sync.client import InsecureAddress, is_loopback

        store = self.store
        session, tokens = self._sync_session(force=asked)
        counts, last_sync_at = store.sync_counts(), store.sync_value("last_sync_at")
        self.post_message(SyncChecked(counts, last_sync_at, signed_in=session is not None))
        if mode == "check":
            return
        if session is None:
            if asked:
                self.post_message(SyncFinished(online=None, asked=True, text=(
                    "Not signed in to AS-CMS. Sign in with 'ascms-tui login --instance-url URL' in a terminal; "
                    "the app picks it up.")))
            return
        if mode == "auto" and not counts["queued"] and not _central_check_due(last_sync_at):
            return
        host = _host_port(session.instance_url)
        if self.sync_sandbox_only and not (host and is_loopback(host[0])):
            self.post_message(SyncFinished(online=None, asked=asked,
                                           note="the demo syncs only with the training sandbox (ascms-tui sandbox)"))
            return
        if host is None or not _reachable(*host):
            self.post_message(SyncFinished(online=False, asked=asked))
            return
        self.post_message(SyncStarted())
        from .sync.engine import SyncEngine
        from .sync.mapping import MappingError, load_mapping

        try:
            mapping = load_mapping(tokens.folder / "mapping.toml")
        except MappingError as error:
            self.post_message(SyncFinished(online=True, asked=asked, note=str(error)))
            return
        if session.ca_bundle is None and self.settings.ca_bundle:
            session.ca_bundle = self.settings.ca_bundle
        worker = get_current_worker()

        def progress(phase: str, done: int, total: int) -> None:
            if worker.is_cancelled:
                raise _SyncCancelled  # between batches: what was sent is recorded
            self.post_message(SyncProgress(phase, done, total))

        engine = SyncEngine(store, session, mapping=mapping, user_name=self.user_name,
                            on_refresh=tokens.save if session.refresh_token else None)
        try:
            summary = engine.run(progress=progress)
        except InsecureAddress as error:
            self.post_message(SyncFinished(online=None, asked=asked, note=str(error)))
            return
        if summary.stopped == "signed_out":
            self._session = None  # a new sign-in is read afresh
        self.post_message(SyncFinished(online=summary.stopped != "offline", summary=summary, asked=asked,
                                       last_sync_at=store.sync_value("last_sync_at")))

    def _sync_session(self, *, force: bool) -> tuple[Session | None, TokenStore]:
        """The sign-in (worker thread only); without one, looked for again every SIGN_IN_RECHECK or when asked."""
        from .sync.auth import TokenStore, current_session

        if self._tokens is None:
            from .sync.commands import tokens_folder

            self._tokens = TokenStore(tokens_folder())
        now = time.monotonic()
        if self._session is None and (force or self._session_looked_at is None
                                      or now - self._session_looked_at >= SIGN_IN_RECHECK):
            self._session_looked_at = now
            self._session = current_session(self._tokens, self._environ)
        return self._session, self._tokens

    def _set_sync_state(self, **changes) -> SyncState:
        from dataclasses import replace

        self.sync_state = replace(self.sync_state, **changes)
        self.sync_state_changed.publish(self.sync_state)
        return self.sync_state

    def on_sync_checked(self, message: SyncChecked) -> None:
        counts = message.counts
        self._set_sync_state(known=True, signed_in=message.signed_in, queued=counts["queued"],
                             set_aside=counts["set_aside"], conflicts=counts["conflicts"],
                             last_sync_at=message.last_sync_at)

    def on_sync_started(self, message: SyncStarted) -> None:
        self._set_sync_state(running=True, online=True, progress=None, note=None)

    def on_sync_progress(self, message: SyncProgress) -> None:
        self._set_sync_state(progress=progress_text(message.phase, message.done, message.total))

    def on_sync_finished(self, message: SyncFinished) -> None:
        from .text import clean_text

        attention_before = self.sync_state.needs_attention
        changes: dict = {"running": False, "progress": None, "note": message.note,
                         "finished": self.sync_state.finished + 1}
        if message.online is not None:
            changes["online"] = message.online
        summary = message.summary
        if summary is not None:
            changes.update(queued=summary.queued, set_aside=summary.set_aside, conflicts=summary.conflicts,
                           last_sync_at=message.last_sync_at)
            if summary.stopped == "error":
                changes["note"] = clean_text(summary.message or "sync stopped by an error")
            elif summary.stopped is not None:
                changes["note"] = STOP_NOTES.get(summary.stopped)
            if summary.stopped == "signed_out":
                changes["signed_in"] = False
            if summary.stopped in ("signed_out", "limit", "error"):
                self._sync_paused_until = time.monotonic() + PAUSE_AFTER_STOP
        state = self._set_sync_state(**changes)
        self._say_sync_result(message, state, attention_before)
        if summary is not None and (summary.pushed or summary.pulled):
            self._show_synced_records()

    def _say_sync_result(self, message: SyncFinished, state: SyncState, attention_before: int) -> None:
        summary = message.summary
        if message.asked:
            if summary is not None and (summary.stopped is None or summary.pushed or summary.pulled):
                from .sync.commands import describe

                text = describe(summary) + (f"\n{state.note[0].upper()}{state.note[1:]}." if state.note else "")
            elif message.online is False:
                text = "AS-CMS cannot be reached (offline?). Your changes stay queued and go when it can."
            else:
                text = message.text or (f"{state.note[0].upper()}{state.note[1:]}." if state.note else "Nothing done.")
            worry = state.needs_attention or (summary is not None and summary.stopped) or message.online is False
            self.notify(text, title="Sync", severity="warning" if worry else "information", markup=False)
        elif state.needs_attention > attention_before:
            self.notify(f"{_attention_text(state)} f9 shows them.", title="Sync", severity="warning", markup=False)

    def _show_synced_records(self) -> None:
        # The case list's "To sync" column and an open case show what the run sent and brought in.
        from screens.case_list import CaseListScreen
        from screens.case_view import CaseViewScreen

        screen = self.screen
        if isinstance(screen, CaseListScreen) and screen.scope is not None:
            screen.action_reload()
        elif isinstance(screen, CaseViewScreen):
            screen.reload()

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


class _SyncCancelled(Exception):
    """The app is closing: stop the sync run between batches."""


def _host_port(url: str) -> tuple[str, int] | None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return (parts.hostname, port) if parts.hostname else None


def _reachable(host: str, port: int, timeout: float = 3.0) -> bool:
    """Whether AS-CMS answers a connection at all: an offline laptop learns it in one try, not after retries."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _attention_text(state: SyncState) -> str:
    parts = []
    if state.set_aside:
        parts.append(f"{state.set_aside} change{'s' if state.set_aside != 1 else ''} set aside "
                     "(AS-CMS refused or could not take them; the rest went)")
    if state.conflicts:
        parts.append(f"{state.conflicts} field{'s' if state.conflicts != 1 else ''} changed both here and in AS-CMS")
    return "; ".join(parts) + "."


def _central_check_due(last_sync_at: str | None) -> bool:
    if not last_sync_at:
        return True
    try:
        return utc_now() - datetime.fromisoformat(last_sync_at) >= CENTRAL_CHECK
    except (ValueError, TypeError):
        return True
