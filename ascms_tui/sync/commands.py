"""`ascms-tui login` and `ascms-tui sync`: argparse only at import, the rest loaded when run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_PROBLEM, EXIT_OFFLINE = 0, 1, 2


def add_parsers(commands: Any) -> None:
    login = commands.add_parser("login", help="sign in to AS-CMS (OAuth device flow); the tokens are kept privately")
    login.add_argument("--instance-url", metavar="URL",
                       help="the AS-CMS (Salesforce) address, https:// (default: $ASCMS_TUI_INSTANCE_URL)")
    login.add_argument("--client-id", default="ascms-tui", metavar="ID", help="the connected app's client id")
    login.add_argument("--client-secret", metavar="SECRET",
                       help="the connected app's secret, only if the org requires it for refreshes "
                            "(default: $ASCMS_TUI_CLIENT_SECRET)")
    login.add_argument("--ca-bundle", metavar="PATH", help="extra CA certificates to trust (a provider's proxy)")

    doctor = commands.add_parser("doctor", help="check the AS-CMS org against what ascms-tui needs "
                                                "(exit 0 fits, 1 problems found, 2 cannot reach or not signed in)")
    doctor.add_argument("--json", action="store_true", help="print the result as JSON, one object per problem")
    doctor.add_argument("--ca-bundle", metavar="PATH", help="extra CA certificates to trust")
    doctor.add_argument("--suggest-mapping", action="store_true",
                        help="propose a mapping.toml for fields the org names differently (matched by label), "
                             "for a person to review; nothing is written")

    sync = commands.add_parser("sync", help="send queued changes to AS-CMS and bring back central changes "
                                            "(exit 0 queue empty, 1 changes set aside or in conflict, 2 offline or not signed in)")
    sync.add_argument("--json", action="store_true", help="print the summary as JSON")
    sync.add_argument("--ca-bundle", metavar="PATH", help="extra CA certificates to trust")
    sync.add_argument("--push-only", action="store_true", help="send the queue without pulling")


def tokens_folder() -> Path:
    from platformdirs import user_config_path

    from ..paths import APP_NAME

    return user_config_path(APP_NAME, appauthor=False)


def login(args: argparse.Namespace, db_path: Path | None = None, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up per call: bound at import, it would be whatever stdout was then
    import os

    from .auth import INSTANCE_ENV, LoginError, TokenStore, device_login
    from .client import InsecureAddress

    url = args.instance_url or os.environ.get(INSTANCE_ENV)
    if not url:
        print("ascms-tui login needs --instance-url URL (or $ASCMS_TUI_INSTANCE_URL)", file=sys.stderr)
        return EXIT_OFFLINE

    def show(code: str, address: str) -> None:
        print(f"To sign in to AS-CMS, open {address} and enter the code {code}", file=out, flush=True)
        print("Waiting for approval...", file=out, flush=True)

    try:
        session = device_login(url, client_id=args.client_id, ca_bundle=args.ca_bundle, show=show,
                               client_secret=args.client_secret or os.environ.get("ASCMS_TUI_CLIENT_SECRET"))
    except InsecureAddress as error:
        print(f"ascms-tui: {error}", file=sys.stderr)
        return EXIT_OFFLINE
    except LoginError as error:
        print(f"ascms-tui: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    tokens = TokenStore(tokens_folder())
    tokens.save(session)
    print(f"Signed in to {session.instance_url}. The sign-in is kept in {tokens.where}.", file=out)
    if db_path is not None:  # then the org is checked, as 'ascms-tui doctor' would
        print("Checking the org against what ascms-tui needs...", file=out, flush=True)
        _run_doctor(session, db_path, tokens, as_json=False, out=out)
    return EXIT_OK


def doctor(args: argparse.Namespace, db_path: Path, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from ..settings import load_settings
    from .auth import TokenStore, current_session

    tokens = TokenStore(tokens_folder())
    session = current_session(tokens)
    if session is None:
        message = "Not signed in to AS-CMS: run 'ascms-tui login --instance-url URL' first"
        if args.json:
            print(json.dumps({"stopped": "signed_out", "message": message}), file=out)
        print(f"ascms-tui: {message}", file=sys.stderr)
        return EXIT_OFFLINE
    session.ca_bundle = args.ca_bundle or session.ca_bundle or load_settings().ca_bundle
    return _run_doctor(session, db_path, tokens, as_json=args.json, out=out, suggest=args.suggest_mapping)


def _run_doctor(session: Any, db_path: Path, tokens: Any, *, as_json: bool, out: TextIO,
                suggest: bool = False) -> int:
    from .client import InsecureAddress, SalesforceClient, SyncStopped
    from .doctor import check_org, describe_check, keep_check, suggest_mapping
    from .mapping import MappingError, load_mapping

    try:
        mapping = load_mapping(tokens_folder() / "mapping.toml")
    except MappingError as error:
        print(f"ascms-tui: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    try:
        with SalesforceClient(session, api_version=mapping.api_version, max_tries=3,
                              on_refresh=tokens.save if session.refresh_token else None) as client:
            check = check_org(client, mapping)
            suggestions = suggest_mapping(client, mapping, check, str(tokens_folder() / "mapping.toml")) \
                if suggest else ""
    except (SyncStopped, InsecureAddress) as error:
        if as_json:
            print(json.dumps({"stopped": getattr(error, "reason", "error"), "message": str(error)}), file=out)
        print(f"ascms-tui: {error}", file=sys.stderr)
        return EXIT_OFFLINE
    from ..cli import open_store

    with open_store(db_path) as store:  # the next sync holds what the check found broken
        keep_check(store, check)
    if as_json:
        print(json.dumps(check.to_json(), ensure_ascii=False), file=out)
    else:
        print(describe_check(check), file=out)
        if suggestions:
            print(suggestions, file=out)
    return check.exit_code


def sync(args: argparse.Namespace, db_path: Path, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up per call: bound at import, it would be whatever stdout was then
    from ..settings import load_settings
    from .auth import TokenStore, current_session
    from .client import InsecureAddress
    from .engine import SyncEngine
    from .mapping import MappingError, load_mapping

    tokens = TokenStore(tokens_folder())
    session = current_session(tokens)
    if session is None:
        message = "Not signed in to AS-CMS: run 'ascms-tui login --instance-url URL' first"
        _report_stop(args, message, out)
        return EXIT_OFFLINE
    # A CA bundle given now, else the one signed in with, else the settings' (as the app does).
    session.ca_bundle = args.ca_bundle or session.ca_bundle or load_settings().ca_bundle
    try:
        mapping = load_mapping(tokens_folder() / "mapping.toml")
    except MappingError as error:
        print(f"ascms-tui: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    from ..cli import open_store

    bar = _ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.json else None
    with open_store(db_path) as store:
        engine = SyncEngine(store, session, mapping=mapping, user_name=load_settings().user_name,
                            pull=not args.push_only, on_refresh=tokens.save if session.refresh_token else None)
        try:
            summary = engine.run(progress=bar.update if bar else None)
        except InsecureAddress as error:
            print(f"ascms-tui: {error}", file=sys.stderr)
            return EXIT_OFFLINE
    if bar:
        bar.finish()
    if args.json:
        print(json.dumps(summary.to_json()), file=out)
    else:
        print(describe(summary), file=out)
        if summary.message:
            print(f"ascms-tui: {summary.message}", file=sys.stderr)
    return summary.exit_code


def _report_stop(args: argparse.Namespace, message: str, out: TextIO) -> None:
    if args.json:
        print(json.dumps({"pushed": 0, "set_aside": 0, "conflicts": 0, "pulled": 0, "requests": 0,
                          "stopped": "signed_out", "message": message}), file=out)
    print(f"ascms-tui: {message}", file=sys.stderr)


def describe(summary: Any) -> str:
    parts = [f"Sent {summary.pushed:,} change{'s' if summary.pushed != 1 else ''} to AS-CMS",
             f"took in {summary.pulled:,} from AS-CMS ({summary.requests:,} requests)."]
    lines = [", ".join(parts)]
    if summary.removed:
        lines.append(f"{summary.removed:,} record{'s' if summary.removed != 1 else ''} deleted in AS-CMS "
                     f"{'were' if summary.removed != 1 else 'was'} removed here too.")
    if summary.set_aside:
        lines.append(f"{summary.set_aside:,} change{'s' if summary.set_aside != 1 else ''} set aside: "
                     "AS-CMS refused them; see the Sync screen for its message and fix them there.")
    if summary.conflicts:
        lines.append(f"{summary.conflicts:,} conflict{'s' if summary.conflicts != 1 else ''} to resolve: "
                     "a field was changed both here and in AS-CMS.")
    if summary.queued:
        lines.append(f"{summary.queued:,} change{'s' if summary.queued != 1 else ''} still queued.")
    if summary.skipped:
        count = len(summary.skipped)
        lines.append(f"{count:,} AS-CMS record{'s' if count != 1 else ''} could not be taken in (listed on the Sync "
                     f"screen), e.g. {summary.skipped[0]}")
    if summary.held:
        one = summary.held == 1
        lines.append(f"{summary.held:,} change{'' if one else 's'} wait{'s' if one else ''} until AS-CMS is set up "
                     f"for {'it' if one else 'them'} ({summary.held_reason}); {'it goes' if one else 'they go'} at a "
                     "later sync once the org is fixed. 'ascms-tui doctor' says what the org's admin must change.")
    if not (summary.set_aside or summary.conflicts or summary.queued or summary.stopped or summary.skipped):
        lines.append("Everything is in AS-CMS.")
    return "\n".join(lines)


class _ProgressBar:
    """One line on the terminal, redrawn in place."""

    def __init__(self, stream: TextIO, width: int = 30):
        self.stream, self.width = stream, width
        self.shown = False

    def update(self, phase: str, done: int, total: int) -> None:
        if phase == "push" and total:
            filled = int(self.width * min(done, total) / total)
            text = f"\rSending   [{'#' * filled}{'-' * (self.width - filled)}] {done:,}/{total:,} changes"
        else:
            text = f"\rReceiving {done:,} records from AS-CMS"
        self.stream.write(text + "\x1b[K")  # clear what a longer line left behind
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
