"""The security side of the `ascms-tui` command: unlocking, encrypt, rekey, purge, Privacy Act export.

Kept out of cli.py so that module stays a table of commands; nothing heavy is
imported here (fpdf2, Jinja, cryptography load only inside the commands).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from . import paths
from .db_connect import (
    PASSPHRASE_ENV,
    DatabaseAccessError,
    EncryptionUnavailable,
    PassphraseRequired,
    check_new_passphrase,
    encryption_available,
    is_encrypted,
    passphrase_for,
    remember_passphrase,
    sqlcipher_module,
    verify_passphrase,
)

NEW_PASSPHRASE_ENV = "ASCMS_TUI_NEW_PASSPHRASE"  # for scripts and tests: the passphrase to encrypt or rekey to
EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2
# Commands that work on no database at all.
_NO_DATABASE = {"demo", "sandbox"}
_TRIES = 3


def add_commands(parser: argparse.ArgumentParser, commands) -> None:
    commands.add_parser("encrypt", help="encrypt the database and its attached files with a passphrase")
    commands.add_parser("rekey", help="change the database's passphrase")
    purge = commands.add_parser("purge", help="remove closed, fully synced cases from this laptop")
    purge.add_argument("--days", type=int, metavar="N",
                       help="closed more than N days ago (default: retention_days in settings, 30)")
    purge.add_argument("--dry-run", action="store_true", help="list what would be removed; remove nothing")


def add_export_format(export: argparse.ArgumentParser) -> None:
    export.add_argument("--format", choices=("pdf", "html", "json"),
                        help="a Privacy Act export of one student's full record (with --case)")


def handlers() -> dict:
    return {"encrypt": encrypt_command, "rekey": rekey_command, "purge": purge_command}


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


# --- before any command: logs, permissions, the passphrase ----------------------------------


def prepare(args: argparse.Namespace) -> int | None:
    """Set up logging, make the caseload's files private, and unlock the database. An exit code stops the command."""
    from .logs import setup_logging

    setup_logging()
    if args.command in _NO_DATABASE:
        return None
    db_path = paths.database_path(args.db)
    check_permissions(db_path)
    return unlock(db_path, args)


def check_permissions(db_path: Path) -> None:
    from platformdirs import user_data_path

    from .logs import log_dir
    from .permissions import caseload_paths, check_and_fix
    from .settings import config_path

    data = user_data_path(paths.APP_NAME, appauthor=False)  # not paths.data_dir(): that creates it
    for message in check_and_fix(caseload_paths(db_path, data_dir=data, files_dir=data / "files",
                                                config_dir=config_path().parent, log_dir=log_dir())):
        print(f"ascms-tui: {message}", file=sys.stderr)


def unlock(db_path: Path, args: argparse.Namespace) -> int | None:
    """Find the passphrase for `db_path` (environment, or asked for) and keep it for this run."""
    new = not db_path.exists() or db_path.stat().st_size == 0
    if is_encrypted(db_path):
        known = passphrase_for(db_path)
        if known is not None:
            return None  # checked when the store opens
        if not interactive():
            raise PassphraseRequired(f"{db_path} is encrypted: set {PASSPHRASE_ENV}, or run ascms-tui in a terminal")
        sqlcipher_module()
        for _ in range(_TRIES):
            typed = getpass.getpass(f"Passphrase for {db_path.name}: ")
            if typed and verify_passphrase(db_path, typed):
                remember_passphrase(db_path, typed)
                return None
            print("That passphrase does not open it.", file=sys.stderr)
        return EXIT_PROBLEM
    if not new:
        if args.command is None and interactive():
            print(f"ascms-tui: note: {db_path} is not encrypted; `ascms-tui encrypt` protects it with a passphrase.",
                  file=sys.stderr)
        return None
    return _choose_for_new(db_path, args)


def _choose_for_new(db_path: Path, args: argparse.Namespace) -> int | None:
    available = encryption_available()
    if passphrase_for(db_path) is not None:  # $ASCMS_TUI_PASSPHRASE: a new encrypted database
        if available:
            return None
        if args.no_encryption:
            remember_passphrase(db_path, None)
            return None
        raise EncryptionUnavailable(_unavailable() + f" {PASSPHRASE_ENV} is set, so nothing was created; "
                                    "pass --no-encryption to create an unencrypted database instead.")
    if not interactive() or args.command not in (None, "import"):
        return None  # scripts: an unencrypted file unless a passphrase is given
    if not available:
        if args.no_encryption or _yes(_unavailable() + " Create an unencrypted database? [y/N] "):
            return None
        return EXIT_PROBLEM
    print("A new caseload. Protect it with a passphrase (recommended): without it, anyone with this\n"
          "laptop's disk can read the children's records. Leave it empty to go without.", file=sys.stderr)
    passphrase = _new_passphrase(allow_empty=True)
    if passphrase is None and not _yes("Keep this caseload unencrypted? [y/N] "):
        return EXIT_PROBLEM
    remember_passphrase(db_path, passphrase)
    return None


def _unavailable() -> str:
    try:
        sqlcipher_module()
    except EncryptionUnavailable as error:
        return str(error)
    return ""


def _yes(question: str) -> bool:
    if not interactive():
        return False
    print(question, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _new_passphrase(*, allow_empty: bool = False) -> str | None:
    """A new passphrase from $ASCMS_TUI_NEW_PASSPHRASE or typed twice; None when left empty (if allowed)."""
    from_env = os.environ.get(NEW_PASSPHRASE_ENV)
    if from_env:
        try:
            check_new_passphrase(from_env)
        except ValueError as error:
            raise DatabaseAccessError(f"{NEW_PASSPHRASE_ENV}: {error}") from None
        return from_env
    if not interactive():
        raise DatabaseAccessError(f"Give the new passphrase in {NEW_PASSPHRASE_ENV}, or run this in a terminal")
    for _ in range(_TRIES):
        first = getpass.getpass("New passphrase: ")
        if not first and allow_empty:
            return None
        try:
            check_new_passphrase(first)
        except ValueError as error:
            print(error, file=sys.stderr)
            continue
        if getpass.getpass("The same again: ") == first:
            return first
        print("The two did not match.", file=sys.stderr)
    raise DatabaseAccessError("No new passphrase was set")


# --- the commands ---------------------------------------------------------------------


def _attachments(store) -> list[tuple[str, Path]]:
    from .domain import CaseFile
    from .files import stored_path

    rows = store.read("SELECT id, file_name FROM files")
    return [(record_id, stored_path(CaseFile.model_construct(id=record_id, file_name=name))) for record_id, name in rows]


def encrypt_command(args: argparse.Namespace) -> int:
    from .file_crypto import encrypt_caseload
    from .store import Store

    db_path = paths.database_path(args.db)
    if not db_path.exists():
        print(f"ascms-tui: there is no database at {db_path}", file=sys.stderr)
        return EXIT_PROBLEM
    sqlcipher_module()  # says plainly if encryption is unavailable
    if is_encrypted(db_path):
        passphrase = passphrase_for(db_path)
        if passphrase is None:
            raise PassphraseRequired(f"{db_path} is already encrypted; give its passphrase to finish any interrupted step")
        verb = "Checked"
    else:
        passphrase = _new_passphrase()
        verb = "Encrypted"
    with Store(db_path, passphrase=passphrase if is_encrypted(db_path) else None) as store:
        attachments = _attachments(store)
    count = encrypt_caseload(db_path, passphrase, attachments)
    print(f"{verb} {db_path} and {count:,} attached files. Keep the passphrase safe: without it nothing "
          "on this laptop can be read, and it cannot be recovered.", file=sys.stderr)
    return EXIT_OK


def rekey_command(args: argparse.Namespace) -> int:
    from .file_crypto import rekey_caseload

    db_path = paths.database_path(args.db)
    if not is_encrypted(db_path):
        print(f"ascms-tui: {db_path} is not encrypted; run `ascms-tui encrypt` first", file=sys.stderr)
        return EXIT_PROBLEM
    old = passphrase_for(db_path)
    if old is None:
        raise PassphraseRequired(f"Give the current passphrase ({PASSPHRASE_ENV}, or run in a terminal)")
    new = _new_passphrase()
    try:
        rekey_caseload(db_path, old, new)
    except ValueError as error:
        print(f"ascms-tui: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"The passphrase of {db_path} is changed.", file=sys.stderr)
    return EXIT_OK


def purge_command(args: argparse.Namespace) -> int:
    from .nztime import nz_today
    from .retention import plan_purge, purge
    from .settings import load_settings
    from .store import Store

    days = args.days if args.days is not None else load_settings().retention_days
    if days < 0:
        print("ascms-tui: --days must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    today = nz_today()
    with Store(paths.database_path(args.db)) as store:
        plan = plan_purge(store, days, today)
        for candidate in plan.kept_unsynced:
            print(f"kept     {candidate.case_number}  closed {candidate.closed_on:%d/%m/%Y}: "
                  f"{candidate.unsynced} changes not yet in AS-CMS (sync first)")
        if args.dry_run:
            for candidate in plan.purgeable:
                print(f"would go {candidate.case_number}  closed {candidate.closed_on:%d/%m/%Y} "
                      f"({candidate.days_closed} days ago)")
            print(f"{len(plan.purgeable)} closed cases would be removed (closed more than {days} days ago, "
                  "fully synced); nothing was removed.")
            return EXIT_OK
        removed = purge(store, days, today, files_base=paths.data_dir())
    for candidate in removed:
        print(f"removed  {candidate.case_number}  closed {candidate.closed_on:%d/%m/%Y}")
    print(f"{len(removed)} closed cases removed from this laptop; AS-CMS keeps them.")
    return EXIT_OK


def privacy_export_command(args: argparse.Namespace) -> int:
    from .permissions import write_private_file
    from .privacy_export import build, find_case_id
    from .store import Store

    if not args.case:
        print("ascms-tui: a Privacy Act export is of one student: give --case NUMBER", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "pdf" and not args.output:
        print("ascms-tui: a PDF export needs --output FILE", file=sys.stderr)
        return EXIT_USAGE
    with Store(paths.database_path(args.db)) as store:
        data = build(store, find_case_id(store, args.case), args.format)
    if args.output:
        write_private_file(Path(args.output), data)
        print(f"Wrote the Privacy Act export of case {args.case} to {args.output} "
              "(readable only by you: it holds the student's full record).", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return EXIT_OK
