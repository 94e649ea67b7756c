"""`ascms-tui sandbox`: its options and start-up (the web stack is imported only to serve)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

DEFAULT_PORT = 8765
EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N",
                        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--data", metavar="DIR",
                        help="folder for the sandbox's data (default: 'sandbox' in the user data folder)")
    parser.add_argument("--token", metavar="T",
                        help="a bearer token always accepted (default: one made once and kept in DIR/token)")
    parser.add_argument("--seed", choices=["demo"],
                        help="load the demo caseload as central records (into an empty sandbox only)")
    parser.add_argument("--faults", metavar="SPEC", default="",
                        help="inject faults, e.g. seed=7,lose=0.1,503=0.05,expire=every:40 (see docs/sandbox.md)")
    parser.add_argument("--auto-approve", action="store_true", help="approve every device sign-in at once")
    parser.add_argument("--poll-interval", type=int, default=5, metavar="S",
                        help="seconds a signing-in app is told to wait between polls (default 5)")
    parser.add_argument("--org", metavar="FILE",
                        help="play the org this contract describes (default: the app's own org contract)")
    parser.add_argument("--daily-limit", type=int, default=15000, metavar="N",
                        help="the org's daily API request limit (default 15000)")
    parser.add_argument("--client-id", default="ascms-tui", metavar="ID",
                        help="the Connected App's client id (default ascms-tui); sign-ins from others are refused")
    parser.add_argument("--client-secret", metavar="S",
                        help="require this secret when a token is refreshed, as a Connected App may")


def run(args: argparse.Namespace) -> int:
    from .faults import FaultSpec, FaultSpecError

    try:
        spec = FaultSpec.parse(args.faults)
    except FaultSpecError as error:
        print(f"ascms-tui sandbox: --faults: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not 0 <= args.port <= 65535 or args.poll_interval < 0:
        print("ascms-tui sandbox: --port must be 0-65535 and --poll-interval 0 or more", file=sys.stderr)
        return EXIT_USAGE
    if args.daily_limit < 1:
        print("ascms-tui sandbox: --daily-limit must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    from ..org_contract import ContractError, load_contract

    try:
        contract = load_contract(args.org)
    except ContractError as error:
        print(f"ascms-tui sandbox: --org: {error}", file=sys.stderr)
        return EXIT_USAGE
    data_dir = Path(args.data).expanduser() if args.data else _default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = args.token or _kept_token(data_dir)

    from .app import LOOPBACK, Sandbox, loopback_socket, serve
    from .oauth import ConnectedApp

    try:
        sock = loopback_socket(args.port)
    except OSError as error:
        print(f"ascms-tui sandbox: cannot listen on {LOOPBACK}:{args.port}: {error.strerror or error}",
              file=sys.stderr)
        return EXIT_PROBLEM
    sandbox = Sandbox(data_dir, token=token, faults=str(spec), auto_approve=args.auto_approve,
                      poll_interval=args.poll_interval, contract=contract, daily_limit=args.daily_limit,
                      connected_app=ConnectedApp(args.client_id, args.client_secret))
    seeded = ""
    if args.seed == "demo":
        from .seed import SeedError, seed_demo

        try:
            seeded = seed_demo(sandbox)
        except SeedError as error:
            print(f"ascms-tui sandbox: --seed demo: {error}", file=sys.stderr)
            sandbox.close()
            sock.close()
            return EXIT_PROBLEM
    url = f"http://{LOOPBACK}:{sock.getsockname()[1]}"
    lines = [
        f"ascms-tui sandbox listening on {url}",
        f"  data:    {data_dir}",
        f"  token:   {token}" + ("" if args.token else f"  (kept in {data_dir / 'token'})"),
        f"  faults:  {spec if args.faults else 'none'}",
        f"  org:     {args.org or 'the ascms-tui org contract'}; {args.daily_limit:,} API requests a day",
        "  sign-in: " + ("approved at once (--auto-approve)" if args.auto_approve
                         else f"approve at {url}/setup/connect"),
    ]
    if seeded:
        lines.append(f"  seeded:  {seeded}")
    lines.append("Press Ctrl+C to stop.")
    serve(sandbox, sock, announce="\n".join(lines) + "\n")
    return EXIT_OK


def _default_data_dir() -> Path:
    from .. import paths

    return paths.data_dir() / "sandbox"


def _kept_token(data_dir: Path) -> str:
    path = data_dir / "token"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    token = "sandbox-" + secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ascms-tui sandbox",
                                     description="A local training stand-in for AS-CMS (Salesforce REST API).")
    add_arguments(parser)
    return run(parser.parse_args(argv))
