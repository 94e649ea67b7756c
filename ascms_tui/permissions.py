"""Files only the user may read: 0600 for files, 0700 for folders (POSIX).

The database, its WAL and SHM files, migration backups, the attachments' key,
attached files, settings, logs and sync tokens hold children's data or the
means to reach it. They are created private, and `check_and_fix` (run at every
start) puts back any that something else loosened, saying what it changed.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

FILE_MODE, DIR_MODE = 0o600, 0o700
POSIX = os.name == "posix"

log = logging.getLogger(__name__)


def create_private_file(path: Path) -> None:
    """Create `path` empty and readable only by the user (an existing file is emptied and made private)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.close(descriptor)
    if POSIX:
        os.chmod(path, FILE_MODE)


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    return path


def write_private_file(target: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `target` whole or not at all (a temporary file renamed over it), mode 0600."""
    target = Path(target)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")  # mkstemp: 0600
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def caseload_paths(db_path: Path, *, data_dir: Path | None = None, files_dir: Path | None = None,
                   config_dir: Path | None = None, log_dir: Path | None = None) -> list[Path]:
    """Every path of a caseload that must be private: the app's folders and what is in them, and the database's files.

    The database's own folder is included only when it is the app's data folder:
    a database given with --db may sit in a folder the user shares on purpose.
    """
    paths: list[Path] = []
    if data_dir is not None and db_path.parent.resolve() == data_dir.resolve():
        paths.append(db_path.parent)
    paths += sorted(db_path.parent.glob(f"{db_path.name}*"))  # -wal, -shm, .schema-N.bak, .filekey
    for folder in (files_dir, config_dir, log_dir):
        if folder is not None and folder.is_dir():
            paths.append(folder)
            paths += sorted(p for p in folder.rglob("*"))
    return paths


def check_and_fix(paths: Iterable[Path]) -> list[str]:
    """Make each path private to the user; one message per path that was not (or cannot be made so)."""
    if not POSIX:
        return []
    messages = []
    uid = os.getuid()
    for path in paths:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            continue  # a link's target is checked on its own if it is ours
        wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077 == 0:
            continue
        if info.st_uid != uid:
            messages.append(f"{path} can be read by other users ({mode:04o}) and belongs to someone else: "
                            "ask your IT support to make it private")
            continue
        try:
            os.chmod(path, wanted)
        except OSError as error:
            messages.append(f"{path} can be read by other users ({mode:04o}) and could not be fixed: {error.strerror}")
            continue
        messages.append(f"{path} could be read by other users ({mode:04o}); made private ({wanted:04o})")
    if messages:
        log.warning("permissions: %d paths were not private", len(messages))
    return messages
