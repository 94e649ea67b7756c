"""The `ascms-tui` command: opens the app, and serves batch use through subcommands.

Textual is imported only when the app is opened, so batch commands (import,
export, report, sync from cron) start fast and never need a terminal UI.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import paths
from .settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from .store import Store
from .errors import StoreError

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def open_store(path: Path, **options) -> Store:
    """The store, imported here: opening the app must not load pydantic before its first paint."""
    from .store import Store

    return Store(path, **options)


def add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help=f"database file (default: ${paths.DB_ENV}, else the user data directory)",
    )
    parser.add_argument("--no-encryption", action="store_true",
                        help="where encryption is unavailable, carry on with an unencrypted new database")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line; the subcommands' parsers (a tenth of start-up) are built only when one is named."""
    opening = argparse.ArgumentParser(prog="ascms-tui", add_help=False)
    add_global_options(opening)
    args, rest = opening.parse_known_args(argv)
    if rest:  # a command, --help, or something to complain about
        return build_parser().parse_args(argv)
    args.command = None
    return args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ascms-tui",
        description="Offline companion to AS-CMS for Attendance Service case managers.",
    )
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="open the app on a demo caseload (a separate database)")
    demo.add_argument("--reset", action="store_true", help="rebuild the demo caseload from scratch")
    demo.add_argument("--generate", action="store_true", help="write a generated caseload file instead of opening the app")
    demo.add_argument("--cases", type=int, default=40, metavar="N", help="cases to generate (default 40)")
    demo.add_argument("--activities-per-case", type=float, metavar="N", help="records per case for large datasets")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--out", metavar="FILE", help="with --generate: the file to write")

    import_ = commands.add_parser("import", help="import cases from an ascms-tui/1 JSON file (all or nothing)")
    import_.add_argument("file", metavar="FILE")

    report = commands.add_parser("report", help="what quarterly reporting will count, per measure and case")
    report.add_argument("--as-of", type=_iso_date, required=True, metavar="YYYY-MM-DD", help="assess as of this date")
    report.add_argument("--from", dest="referred_from", type=_iso_date, metavar="YYYY-MM-DD",
                        help="only cases referred on or after this date")
    report.add_argument("--json", action="store_true", help="machine-readable output")

    check = commands.add_parser("check", help="the daily-close check (exit 0 when nothing is outstanding, 1 when something is)")
    check.add_argument("--date", type=_iso_date, metavar="YYYY-MM-DD", help="the day to check (default: today in NZ)")
    check.add_argument("--json", action="store_true", help="machine-readable output")

    time_ = commands.add_parser("time", help="time spent per day, week and case")
    time_.add_argument("--from", dest="start", type=_iso_date, metavar="YYYY-MM-DD")
    time_.add_argument("--to", dest="end", type=_iso_date, metavar="YYYY-MM-DD")
    time_.add_argument("--csv", action="store_true", help="one row per record, for timesheets")

    export = commands.add_parser("export", help="export cases as ascms-tui/1 JSON")
    export.add_argument("--case", metavar="NUMBER", help="only this case")
    export.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    from .security_cli import add_commands, add_export_format  # argparse only

    add_export_format(export)
    add_commands(parser, commands)

    from .sync import commands as sync_commands  # argparse only; the engine loads when a sync runs

    sync_commands.add_parsers(commands)

    from .sandbox import options as sandbox_options  # argparse only; the web stack loads when it serves

    sandbox_options.add_arguments(commands.add_parser(
        "sandbox", help="serve the training sandbox, a local stand-in for AS-CMS (127.0.0.1 only)"))
    return parser


def main(argv: list[str] | None = None) -> int:
    from .db_connect import DatabaseAccessError
    from .security_cli import handlers, prepare

    if argv is None:  # the real command, not a test calling in
        from .logs import install_crash_handler

        os.umask(0o077)  # whatever this process creates is private to the user
        install_crash_handler()
    args = parse_arguments(argv)
    handler = {None: _open_app, "demo": _demo, "import": _import, "export": _export, "report": _report,
               "check": _check, "time": _time, "login": _login, "sync": _sync, "doctor": _doctor,
               "sandbox": _sandbox, **handlers()}[
        args.command
    ]
    try:
        stop = prepare(args)  # logging, file permissions, the passphrase
        if stop is not None:
            return stop
        return handler(args)
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (StoreError, SettingsError, DatabaseAccessError) as error:
        print(f"ascms-tui: {error}", file=sys.stderr)
        return EXIT_PROBLEM


def _open_app(args: argparse.Namespace) -> int:
    return _run_app(paths.database_path(args.db), title="AS-CMS offline", settings=load_settings())


def _run_app(db_path: Path, *, title: str, settings: Settings, sync_sandbox_only: bool = False) -> int:
    from .app import AscmsApp  # Textual loads only here.

    AscmsApp(db_path=db_path, title=title, settings=settings, sync_sandbox_only=sync_sandbox_only).run()
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from . import demo

    if args.generate:
        if not args.out:
            print("ascms-tui demo --generate needs --out FILE", file=sys.stderr)
            return EXIT_USAGE
        counts = demo.write_caseload(
            args.out, args.cases, seed=args.seed, activities_per_case=args.activities_per_case
        )
        print(f"Wrote {counts['cases']:,} cases and {counts['records']:,} records to {args.out}")
        return EXIT_OK
    db_path = Path(args.db).expanduser() if args.db else paths.demo_database_path()
    if db_path == paths.database_path(None):
        print("ascms-tui: the demo will not open your real database; give another --db", file=sys.stderr)
        return EXIT_USAGE
    demo.ensure_demo_database(db_path, reset=args.reset, cases=args.cases, seed=args.seed)
    settings = replace(load_settings(), user_name=demo.DEMO_USER)
    # Invented cases never go to a real AS-CMS: the demo syncs with the training sandbox only.
    return _run_app(db_path, title="AS-CMS offline — DEMO caseload", settings=settings, sync_sandbox_only=True)


def _import(args: argparse.Namespace) -> int:
    from .interchange import InterchangeError, import_file

    with open_store(paths.database_path(args.db)) as store:
        try:
            summary = import_file(store, args.file)
        except InterchangeError as error:
            print(error, file=sys.stderr)
            return EXIT_PROBLEM
    print(
        f"Imported {summary.cases:,} cases and {summary.records:,} records from {args.file}; "
        f"{summary.queued:,} queued for upload to AS-CMS."
    )
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    if args.format:
        from .security_cli import privacy_export_command

        return privacy_export_command(args)
    from .interchange import write_export

    with open_store(paths.database_path(args.db)) as store:
        try:
            count = write_export(store, args.output, args.case)
        except LookupError as error:
            print(f"ascms-tui: {error.args[0]}", file=sys.stderr)
            return EXIT_PROBLEM
    if args.output:
        print(f"Exported {count:,} cases to {args.output}", file=sys.stderr)
    return EXIT_OK


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-06-30") from None


def _report(args: argparse.Namespace) -> int:
    from .rules import build_report, caseload_facts, format_report
    from .uncounted import uncounted_by_case

    with open_store(paths.database_path(args.db)) as store:
        report = build_report(caseload_facts(store), args.as_of, args.referred_from, uncounted_by_case(store))
    if args.json:
        import json

        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(format_report(report))
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from .daily_check import format_check, run_check
    from .nztime import nz_today

    with open_store(paths.database_path(args.db)) as store:
        check = run_check(store, args.date or nz_today())
    if args.json:
        import json

        print(json.dumps(check.to_json(), ensure_ascii=False, indent=1))
    else:
        print(format_check(check))
    return EXIT_PROBLEM if check.outstanding else EXIT_OK


def _time(args: argparse.Namespace) -> int:
    from .time_spent import format_totals, time_entries, to_csv

    with open_store(paths.database_path(args.db)) as store:
        entries = time_entries(store, args.start, args.end)
    sys.stdout.write(to_csv(entries) if args.csv else format_totals(entries) + "\n")
    return EXIT_OK


def _login(args: argparse.Namespace) -> int:
    from .sync.commands import login

    return login(args, paths.database_path(args.db))


def _doctor(args: argparse.Namespace) -> int:
    from .sync.commands import doctor

    return doctor(args, paths.database_path(args.db))


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox.options import run

    return run(args)


def _sync(args: argparse.Namespace) -> int:
    from .sync.commands import sync

    return sync(args, paths.database_path(args.db))


if __name__ == "__main__":
    sys.exit(main())
