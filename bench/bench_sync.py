"""Sync against the real sandbox server on 127.0.0.1 (no faults).

1. Push 10,000 queued changes (an invented caseload made offline: every record
   type but files, all creates): HTTP requests per change (target: at most one
   per 150 on average) and changes per second.
2. Pull a 2,000-case briefcase with 60,000 related records into an empty store:
   requests and seconds. (The sandbox is filled first by pushing that
   caseload from a second store, which is timed too.)

    .venv/bin/python bench/bench_sync.py [--push-changes 10000] [--pull-cases 2000 --pull-per-case 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ascms_tui.demo import generate_caseload
from ascms_tui.interchange import import_document
from ascms_tui.store import TABLES, Store
from ascms_tui.sync.client import Session
from ascms_tui.sync.engine import SyncEngine
from tests.sandbox_server import SandboxServer
from tests.test_sync_e2e import strip_server_ids

TARGET_CHANGES_PER_REQUEST = 150


def offline_caseload(store: Store, cases: int, per_case: float) -> int:
    document = generate_caseload(cases, seed=42, today=date(2026, 6, 30), activities_per_case=per_case)
    for case in document["cases"]:
        strip_server_ids(case)
        case["files"] = []  # a document is one request each: measured apart from the batched records
    import_document(store, document, source="benchmark")
    return len(store.open_changes())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--push-changes", type=int, default=10_000)
    parser.add_argument("--pull-cases", type=int, default=2_000)
    parser.add_argument("--pull-per-case", type=float, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        ok = True
        for name in ("push", "pull"):  # a sandbox each, so the pull finds only its briefcase
            (work / f"sandbox-{name}").mkdir()
            server = SandboxServer(work / f"sandbox-{name}")
            try:
                session = Session(instance_url=server.base_url, access_token=server.token)
                if name == "push":
                    ok = push_benchmark(work, session, args.push_changes)
                else:
                    pull_benchmark(work, session, args.pull_cases, args.pull_per_case)
            finally:
                server.stop()
    return 0 if ok else 1


def push_benchmark(work: Path, session: Session, changes: int) -> bool:
    per_case = 39
    with Store(work / "push.sqlite3", actor="bench") as store:
        queued = offline_caseload(store, -(-changes // per_case), per_case)
        started = time.perf_counter()
        summary = SyncEngine(store, session, pull=False).run()
        seconds = time.perf_counter() - started
        assert summary.exit_code == 0, summary
    per_request = summary.pushed / max(summary.requests, 1)
    met = per_request >= TARGET_CHANGES_PER_REQUEST
    print(f"push: {summary.pushed:,} of {queued:,} queued changes in {summary.requests} requests "
          f"({per_request:.0f} changes per request; target at least {TARGET_CHANGES_PER_REQUEST}: "
          f"{'met' if met else 'NOT met'}), {seconds:.1f} s, {summary.pushed / seconds:,.0f} changes/s")
    return met


def pull_benchmark(work: Path, session: Session, cases: int, per_case: float) -> None:
    with Store(work / "central.sqlite3", actor="bench") as central:
        queued = offline_caseload(central, cases, per_case)
        started = time.perf_counter()
        filled = SyncEngine(central, session, pull=False).run()
        seconds = time.perf_counter() - started
        assert filled.exit_code == 0, filled
        related = sum(central.read(f"SELECT COUNT(*) FROM {t}")[0][0] for t in TABLES.values() if t != "cases")
        case_count = central.read("SELECT COUNT(*) FROM cases")[0][0]
    print(f"(filling the sandbox: pushed {filled.pushed:,} of {queued:,} changes in {filled.requests} requests, "
          f"{seconds:.1f} s, {filled.pushed / seconds:,.0f} changes/s)")
    with Store(work / "briefcase.sqlite3", actor="bench") as briefcase:
        started = time.perf_counter()
        summary = SyncEngine(briefcase, session).run()
        seconds = time.perf_counter() - started
        got_cases = briefcase.read("SELECT COUNT(*) FROM cases")[0][0]
        got_related = sum(briefcase.read(f"SELECT COUNT(*) FROM {t}")[0][0] for t in TABLES.values() if t != "cases")
        again = SyncEngine(briefcase, session).run()
    print(f"pull: {got_cases:,} cases (of {case_count:,}) and {got_related:,} related records (of {related:,}) "
          f"in {summary.requests} requests, {seconds:.1f} s ({summary.pulled / seconds:,.0f} records/s); "
          f"skipped {len(summary.skipped)}")
    print(f"pull again with nothing new: {again.pulled} records, {again.requests} requests, {again.seconds:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
