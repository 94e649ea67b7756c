"""One sync run: push the queue, then pull what changed centrally. The API the app and the CLI use.

    engine = SyncEngine(store, session, user_name="Kiri Tomlinson")
    summary = engine.run(progress=lambda phase, done, total: ...)
    summary.to_json()  # {"pushed", "set_aside", "conflicts", "pulled", "requests", ...}
    summary.exit_code  # 0 queue empty, 1 changes set aside / in conflict / still queued, 2 offline or not signed in

A lock beside the database keeps two runs (the app's worker, a cron job) apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..nztime import utc_now
from ..store import Store
from .client import SalesforceClient, Session, SyncStopped
from .lock import SyncBusy, SyncLock
from .mapping import Mapping, load_mapping
from .pull import Puller
from .push import Pusher

Progress = Callable[[str, int, int], None]


@dataclass
class SyncSummary:
    pushed: int = 0
    set_aside: int = 0  # changes set aside, waiting for the user (after the run)
    conflicts: int = 0  # open conflicts (after the run)
    pulled: int = 0
    removed: int = 0  # records removed here because AS-CMS deleted them
    held: int = 0  # changes kept here because the org check found their object broken in AS-CMS
    held_reason: str | None = None
    requests: int = 0
    queued: int = 0  # changes still waiting to be sent
    stopped: str | None = None  # offline, signed_out, limit, busy or error
    message: str | None = None
    skipped: list[str] = field(default_factory=list)  # central records not taken in (this run's and earlier), and why
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.stopped in ("offline", "signed_out", "limit"):
            return 2
        if self.stopped or self.set_aside or self.conflicts or self.queued or self.skipped:
            return 1
        return 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pushed": self.pushed, "set_aside": self.set_aside, "conflicts": self.conflicts,
                               "pulled": self.pulled, "requests": self.requests, "queued": self.queued}
        if self.stopped:
            out["stopped"] = self.stopped
            out["message"] = self.message
        if self.skipped:
            out["skipped"] = len(self.skipped)
        if self.removed:
            out["removed"] = self.removed
        if self.held:
            out["held"] = self.held
        return out


class SyncEngine:
    def __init__(self, store: Store, session: Session, *, mapping: Mapping | None = None,
                 user_name: str | None = None, files_base: Path | None = None, pull: bool = True,
                 on_refresh: Callable[[Session], None] | None = None, client_options: dict[str, Any] | None = None,
                 lock_wait: float = 0.0):
        self.store = store
        self.session = session
        self.mapping = mapping or load_mapping()
        self.user_name = user_name
        self.files_base = files_base
        self.pull = pull
        self.on_refresh = on_refresh
        self.client_options = client_options or {}
        self.lock_wait = lock_wait

    def run(self, progress: Progress | None = None) -> SyncSummary:
        summary = SyncSummary()
        started = time.monotonic()
        lock = SyncLock(self.store.path)
        if not lock.acquire(self.lock_wait):
            summary.stopped, summary.message = "busy", str(SyncBusy(
                "Another sync of this database is running (the app or a scheduled 'ascms-tui sync')"))
            return self._finish(summary, started)
        client = SalesforceClient(self.session, api_version=self.mapping.api_version, on_refresh=self.on_refresh,
                                  **self.client_options)
        try:
            held = self._held_types(client)
            pusher = Pusher(self.store, client, self.mapping, files_base=self.files_base, progress=progress,
                            sleep=client.sleep, held_types=held)
            try:
                pushed = pusher.run()
                summary.pushed = pushed.pushed
                if self.pull:
                    puller = Puller(self.store, client, self.mapping, user_name=self.user_name, progress=progress,
                                    files_base=self.files_base, held_types=held)
                    pulled = puller.run()
                    summary.pulled, summary.removed = pulled.pulled, pulled.deleted
                self.store.set_sync_value("last_sync_at", utc_now().isoformat())
            except SyncStopped as stop:
                summary.pushed = pusher.result.pushed
                summary.stopped, summary.message = stop.reason, str(stop)
        finally:
            summary.requests = client.requests
            client.close()
            lock.release()
        return self._finish(summary, started)

    def _held_types(self, client: SalesforceClient) -> set[str]:
        """Record types the last org check found broken, described again now: those still broken wait."""
        from .doctor import check_org, holding_check, keep_check

        check = holding_check(self.store, client.session.instance_url)
        if check is None:
            return set()
        check = check.merged(check_org(client, self.mapping, record_types=check.held_types))
        keep_check(self.store, check)
        return check.held_types

    def _finish(self, summary: SyncSummary, started: float) -> SyncSummary:
        counts = self.store.sync_counts()
        summary.queued, summary.set_aside, summary.conflicts = counts["queued"], counts["set_aside"], counts["conflicts"]
        # Every central record still not taken in, this run's or an earlier one's: each keeps exit 1.
        summary.skipped = [row["reason"] for row in self.store.skipped_records()]
        from .doctor import holding_check

        check = holding_check(self.store, self.session.instance_url)
        if check is not None:
            waiting = [c for c in self.store.open_changes() if c.record_type in check.held_types]
            summary.held = len(waiting)
            if waiting:
                first = check.reasons_for(waiting[0].record_type)[0]
                summary.held_reason = f"{first.object}{'.' + first.field if first.field else ''}: {first.problem}"
        summary.seconds = time.monotonic() - started
        return summary
