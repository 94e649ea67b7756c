"""Opening the database file: SQLCipher when there is a passphrase, plain SQLite otherwise.

Every connection to a caseload goes through `connect`, so encryption is
decided in one place. SQLCipher encrypts every page of the file (AES-256,
key from the passphrase by PBKDF2-HMAC-SHA512, 256,000 rounds); the WAL and
temporary files are encrypted too. `sqlcipher3` is imported only when a
passphrase is given, so an unencrypted start-up costs nothing extra.

`encrypt_database` and `rekey_database` convert a file by exporting it into a
new file (`sqlcipher_export`) and renaming that over the original: until the
rename the original is untouched, so an interrupted conversion loses nothing.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

PASSPHRASE_ENV = "ASCMS_TUI_PASSPHRASE"
SQLITE_HEADER = b"SQLite format 3\x00"
MIN_PASSPHRASE = 8
# A file being converted is written here first, then renamed over the original.
CONVERTING_SUFFIX = ".converting"

log = logging.getLogger(__name__)


class DatabaseAccessError(Exception):
    """The database cannot be opened as asked; the message is for the user."""


class EncryptionUnavailable(DatabaseAccessError):
    pass


class PassphraseRequired(DatabaseAccessError):
    pass


class WrongPassphrase(DatabaseAccessError):
    pass


class NotEncrypted(DatabaseAccessError):
    pass


class DatabaseInUse(DatabaseAccessError):
    pass


def sqlcipher_module():
    """The sqlcipher3 module, or EncryptionUnavailable saying plainly why not."""
    try:
        import sqlcipher3
    except ImportError as error:
        raise EncryptionUnavailable(
            "Encryption is not available on this computer: the SQLCipher library (Python package "
            f"sqlcipher3-binary) could not be loaded ({error}). Install it with "
            "`pip install sqlcipher3-binary`."
        ) from None
    return sqlcipher3


def encryption_available() -> bool:
    try:
        sqlcipher_module()
    except EncryptionUnavailable:
        return False
    return True


def is_encrypted(path: str | os.PathLike) -> bool:
    """Whether `path` holds an encrypted database (a plain SQLite file starts with a known header)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return False
    return len(head) > 0 and head != SQLITE_HEADER


def passphrase_from_env() -> str | None:
    return os.environ.get(PASSPHRASE_ENV) or None


# Passphrases entered in this process, by database; "" records a choice to stay unencrypted.
_entered: dict[Path, str] = {}


def remember_passphrase(path: str | os.PathLike, passphrase: str | None) -> None:
    """Keep the passphrase entered for `path` (None: the user chose no encryption) for this process."""
    _entered[Path(path).resolve()] = passphrase or ""


def passphrase_for(path: str | os.PathLike) -> str | None:
    """The passphrase to open `path` with when the caller has none.

    One entered earlier in this process, else $ASCMS_TUI_PASSPHRASE, except
    for a file that exists unencrypted (it opens as it is).
    """
    path = Path(path)
    entered = _entered.get(path.resolve())
    if entered is not None:
        return entered or None
    from_env = passphrase_from_env()
    if from_env is None:
        return None
    if path.exists() and path.stat().st_size > 0 and not is_encrypted(path):
        return None
    return from_env


def check_new_passphrase(passphrase: str) -> None:
    """A passphrase good enough to protect a caseload; ValueError saying why not."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValueError(f"The passphrase must be at least {MIN_PASSPHRASE} characters long")
    if "\x00" in passphrase:
        raise ValueError("The passphrase must not contain a NUL character")


def connect(path: str | os.PathLike, passphrase: str | None = None, **options: Any) -> sqlite3.Connection:
    """A connection to the database at `path`, decrypted with `passphrase` when one is given.

    `options` go to `connect` of sqlite3 or sqlcipher3 (the same DB-API). The
    passphrase is checked before the connection is returned. Without one, the
    passphrase entered earlier in this process or $ASCMS_TUI_PASSPHRASE is
    used (`passphrase_for`).
    """
    path = Path(path)
    if passphrase is None:
        passphrase = passphrase_for(path)
    if passphrase is None:
        if is_encrypted(path):
            raise PassphraseRequired(
                f"{path} is encrypted: give its passphrase (or set {PASSPHRASE_ENV} for scripts)"
            )
        conn = sqlite3.connect(path, **options)
    else:
        if "\x00" in passphrase or not passphrase:
            raise WrongPassphrase("A passphrase cannot be empty or contain a NUL character")
        sqlcipher3 = sqlcipher_module()
        if path.exists() and not is_encrypted(path) and path.stat().st_size > 0:
            raise NotEncrypted(
                f"{path} is not encrypted, but a passphrase was given. "
                "Run `ascms-tui encrypt` to encrypt it."
            )
        conn = sqlcipher3.connect(path, **options)
        try:
            # SQLCipher would print its own decryption errors to the terminal.
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = {_sql_text(passphrase)}")
            _verify(conn, path)
        except BaseException:
            conn.close()
            raise
    # Deleted rows are overwritten, not left in free pages: purged cases leave nothing behind.
    conn.execute("PRAGMA secure_delete = ON")
    return conn


def row_type(conn: Any) -> type:
    """The Row class that goes with `conn` (sqlite3.Row refuses a SQLCipher cursor)."""
    return sys.modules[type(conn).__module__].Row


def verify_passphrase(path: str | os.PathLike, passphrase: str) -> bool:
    """Whether `passphrase` opens the encrypted database at `path` (for the lock screen).

    Takes about a tenth of a second (the key derivation): call it from a worker.
    """
    try:
        with closing(connect(path, passphrase)):
            return True
    except WrongPassphrase:
        return False


def _verify(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except Exception as error:  # sqlcipher3.DatabaseError: "file is not a database"
        if "not a database" in str(error):
            log.warning("an encrypted database was opened with a wrong passphrase")
            raise WrongPassphrase(f"The passphrase does not open {path}") from None
        raise


def _sql_text(value: str) -> str:
    # PRAGMA key takes no bound parameters: quote it as an SQL string literal.
    return "'" + value.replace("'", "''") + "'"


# --- converting a file: encrypt, rekey ---------------------------------------------------


def encrypt_database(path: str | os.PathLike, new_passphrase: str) -> None:
    """Encrypt the plain database at `path` in place, without loss (see the module note)."""
    path = Path(path)
    if is_encrypted(path):
        raise DatabaseAccessError(f"{path} is already encrypted; use `ascms-tui rekey` to change its passphrase")
    _convert(path, None, new_passphrase)


def rekey_database(path: str | os.PathLike, old_passphrase: str, new_passphrase: str) -> None:
    """Give the encrypted database at `path` a new passphrase, without loss."""
    path = Path(path)
    if not is_encrypted(path):
        raise NotEncrypted(f"{path} is not encrypted; use `ascms-tui encrypt` first")
    _convert(path, old_passphrase, new_passphrase)


def _convert(path: Path, old: str | None, new: str) -> None:
    check_new_passphrase(new)
    sqlcipher3 = sqlcipher_module()
    if not path.exists():
        raise DatabaseAccessError(f"There is no database at {path}")
    target = path.with_name(path.name + CONVERTING_SUFFIX)
    remove_database_files(target)  # left by an interrupted conversion: never the original
    if in_use_elsewhere(path):
        raise DatabaseInUse(f"{path} is in use: close ascms-tui (and any sync) first, then try again")
    source = sqlcipher3.connect(path, isolation_level=None, timeout=1)
    try:
        source.execute("PRAGMA cipher_log_level = NONE")
        if old is not None:
            source.execute(f"PRAGMA key = {_sql_text(old)}")
        _verify(source, path)
        version = source.execute("PRAGMA user_version").fetchone()[0]
        try:
            # Out of WAL (folding the WAL into the file) only succeeds when no one else has the
            # file open; the exclusive lock then keeps everyone out until the new file is in place.
            source.execute("PRAGMA locking_mode = EXCLUSIVE")
            mode = source.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            source.execute(f"PRAGMA user_version = {int(version)}")
            if mode.lower() != "delete":
                raise sqlcipher3.OperationalError("database is locked")
        except sqlcipher3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise DatabaseInUse(
                    f"{path} is in use: close ascms-tui (and any sync) first, then try again"
                ) from None
            raise
        from .permissions import create_private_file

        create_private_file(target)
        source.execute("ATTACH DATABASE ? AS converted KEY ?", (str(target), new))
        source.execute("SELECT sqlcipher_export('converted')")
        # sqlcipher_export copies tables and rows, not the schema version.
        source.execute(f"PRAGMA converted.user_version = {int(version)}")
        source.execute("DETACH DATABASE converted")
        _check_copy(source, target, new)
        _fsync(target)
        if os.name == "nt":  # Windows cannot rename over an open file
            source.close()
        os.replace(target, path)
        _fsync_dir(path.parent)
    except BaseException:
        remove_database_files(target)
        raise
    finally:
        source.close()
    log.info("database converted (%s)", "rekeyed" if old else "encrypted")


def _check_copy(source: Any, target: Path, passphrase: str) -> None:
    """The new file opens with the new passphrase, is sound, and holds every row of the old one."""
    tables = [
        name for (name,) in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    with closing(connect(target, passphrase)) as copy:
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise DatabaseAccessError(f"The converted copy failed its integrity check ({verdict}); nothing was changed")
        for table in tables:
            before = source.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            after = copy.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if before != after:
                raise DatabaseAccessError(
                    f"The converted copy has {after} rows in {table} instead of {before}; nothing was changed"
                )


def in_use_elsewhere(path: Path) -> bool:
    """Whether another process has the database open (POSIX; False where that cannot be told).

    Every SQLite connection in WAL mode holds a read lock on one byte of the
    -shm file (the "dead man switch", offset 128) for as long as it is open,
    even when idle. A file lock test (F_GETLK) sees other processes' locks and
    takes none, so the other process's locks are left alone. Call it before
    this process opens the file itself: closing any descriptor of a file drops
    this process's own locks on it.
    """
    shm = Path(f"{path}-shm")
    if os.name != "posix" or not shm.exists():
        return False
    import fcntl
    import struct

    layout = "hhqqi4x"  # struct flock on 64-bit POSIX: type, whence, start, len, pid
    with open(shm, "rb") as handle:
        probe = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, 128, 1, 0)
        answer = fcntl.fcntl(handle.fileno(), fcntl.F_GETLK, probe)
    return struct.unpack(layout, answer)[0] != fcntl.F_UNLCK


def remove_database_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
