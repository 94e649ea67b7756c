"""One sync at a time per database: the app's worker and a cron `ascms-tui sync` never overlap.

An OS file lock beside the database file. The OS drops it when the holder
exits, however it exits (a SIGKILL included), so a crash never leaves it stuck.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Self


class SyncBusy(Exception):
    pass


class SyncLock:
    def __init__(self, db_path: Path):
        self.path = Path(f"{db_path}.sync-lock")
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> bool:
        deadline = time.monotonic() + wait
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            if _try_lock(fd):
                self._fd = fd
                return True
            if time.monotonic() >= deadline:
                os.close(fd)
                return False
            time.sleep(0.1)

    def release(self) -> None:
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Self:
        if not self.acquire():
            raise SyncBusy("Another sync of this database is running (the app or a scheduled 'ascms-tui sync')")
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
