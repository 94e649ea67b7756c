"""Sync against the real (strict) sandbox server on 127.0.0.1.

1. A typical day: about 30 records of six kinds on three synced cases (an edit of
   each case, events, comments, tasks, contacts, barriers, a plan and its step):
   HTTP requests for the push (target: at most 3).
2. Push 10,000 queued Events (creates on 100 synced cases): changes per request
   (target: at least 190) and changes per second, with no added latency and with
   `--faults latency=100ms` (every request waits 100 ms, as over a slow link).
3. Push 10,000 queued changes of every record type but files: changes per request.
4. Pull a 2,000-case briefcase with 60,000 related records into an empty store:
   requests and seconds. (The sandbox is filled first by pushing that
   caseload from a second store, which is timed too.)

    .venv/bin/python bench/bench_sync.py [--events 10000] [--push-changes 10000]
                                         [--pull-cases 2000 --pull-per-case 30] [--skip-pull]
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

TARGET_CHANGES_PER_REQUEST = 190
TARGET_DAY_REQUESTS = 3


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
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--skip-pull", action="store_true")
    args = parser.parse_args()
    benchmarks = [("day", day_benchmark),
                  ("events", lambda w, s, server: events_benchmark(w, s, server, args.events, "")),
                  ("events-100ms", lambda w, s, server: events_benchmark(w, s, server, args.events, "latency=100ms")),
                  ("push", lambda w, s, _: push_benchmark(w, s, args.push_changes))]
    if not args.skip_pull:
        benchmarks.append(("pull", lambda w, s, _: pull_benchmark(w, s, args.pull_cases, args.pull_per_case)))
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for name, run in benchmarks:  # a sandbox each, so each finds only its own records
            (work / f"sandbox-{name}").mkdir()
            server = SandboxServer(work / f"sandbox-{name}")
            try:
                session = Session(instance_url=server.base_url, access_token=server.token)
                ok = run(work, session, server) is not False and ok
            finally:
                server.stop()
    return 0 if ok else 1


def day_benchmark(work: Path, session: Session, server: SandboxServer) -> bool:
    from tests.test_sync_real_org import a_day_of_work

    with Store(work / "day.sqlite3", actor="bench") as store:
        queued, requests = a_day_of_work(store, session, server)
    met = requests <= TARGET_DAY_REQUESTS
    print(f"typical day: {queued} changes in {requests} requests ({queued / requests:.0f} changes per request; "
          f"target at most {TARGET_DAY_REQUESTS} requests: {'met' if met else 'NOT met'})")
    return met


def events_benchmark(work: Path, session: Session, server: SandboxServer, count: int, faults: str) -> bool:
    """`count` new Events on 100 synced cases, pushed."""
    from datetime import UTC, datetime, timedelta

    from ascms_tui.domain import Event
    from tests.conftest import make_case

    with Store(work / f"events-{faults or 'none'}.sqlite3", actor="bench") as store:
        cases = [store.create(make_case(f"{307000 + n:08d}")) for n in range(100)]
        assert SyncEngine(store, session, pull=False).run().exit_code == 0
        start = datetime(2026, 6, 1, 21, tzinfo=UTC)
        store.create_all([Event(case_id=cases[n % 100].id, subject="Home Visit", start=start + timedelta(hours=n),
                                end=start + timedelta(hours=n, minutes=45), description="Invented visit", hours=1)
                          for n in range(count)])
        queued = store.sync_counts()["queued"]
        server.set_faults(faults)
        started = time.perf_counter()
        summary = SyncEngine(store, session, pull=False).run()
        seconds = time.perf_counter() - started
        assert summary.exit_code == 0, summary
    per_request = summary.pushed / max(summary.requests, 1)
    met = per_request >= TARGET_CHANGES_PER_REQUEST
    print(f"{count:,} events ({faults or 'no added latency'}): {summary.pushed:,} of "
          f"{queued:,} changes in {summary.requests} requests ({per_request:.0f} changes per request; target at "
          f"least {TARGET_CHANGES_PER_REQUEST}: {'met' if met else 'NOT met'}), {seconds:.1f} s, "
          f"{summary.pushed / seconds:,.0f} changes/s")
    return met


def push_benchmark(work: Path, session: Session, changes: int) -> bool:
    per_case = 39
    with Store(work / "push.sqlite3", actor="bench") as store:
        queued = offline_caseload(store, -(-changes // per_case), per_case)
        started = time.perf_counter()
        summary = SyncEngine(store, session, pull=False).run()
        seconds = time.perf_counter() - started
        assert summary.exit_code == 0, summary
    per_request = summary.pushed / max(summary.requests, 1)
    print(f"every record type: {summary.pushed:,} of {queued:,} queued changes in {summary.requests} requests "
          f"({per_request:.0f} changes per request), {seconds:.1f} s, {summary.pushed / seconds:,.0f} changes/s")
    return True


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
        time.sleep(61)  # past the pull's 60-second overlap window
        SyncEngine(briefcase, session).run()  # marks every object read at this time
        later = SyncEngine(briefcase, session).run()
    print(f"pull: {got_cases:,} cases (of {case_count:,}) and {got_related:,} related records (of {related:,}) "
          f"in {summary.requests} requests, {seconds:.1f} s ({summary.pulled / seconds:,.0f} records/s); "
          f"skipped {len(summary.skipped)}")
    print(f"pull again at once, nothing new: {again.pulled} records, {again.requests} requests, {again.seconds:.2f} s "
          "(every record was stamped within the 60-second overlap window, so all are read again)")
    print(f"pull again over a minute later, nothing new: {later.pulled} records, {later.requests} requests, "
          f"{later.seconds:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
