"""The API requests one case manager's app spends in a working day, as the sandbox counts them (Sforce-Limit-Info).

A day as the app syncs it (docs/sync.md, "In the app"): 30 records saved one at a time, each
followed by a sync (the app syncs about 2 seconds after a form closes), on three synced cases;
and, with the app open eight hours, a sync every 15 minutes to bring in central changes (32).
One org check after sign-in. The figure goes in docs/org-setup.md.

    .venv/bin/python bench/bench_budget.py
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ascms_tui.domain import CaseComment, Event, Task  # noqa: E402
from ascms_tui.store import Store  # noqa: E402
from ascms_tui.sync.client import SalesforceClient, Session  # noqa: E402
from ascms_tui.sync.doctor import check_org, keep_check  # noqa: E402
from ascms_tui.sync.engine import SyncEngine  # noqa: E402
from ascms_tui.sync.mapping import load_mapping  # noqa: E402
from tests.conftest import make_case  # noqa: E402
from tests.sandbox_server import SandboxServer  # noqa: E402


def used(server: SandboxServer) -> int:
    """API requests so far: what Sforce-Limit-Info counts (the admin API's stats are not counted)."""
    return server.stats()["requests"]["total"]


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "sandbox").mkdir()
        server = SandboxServer(Path(folder) / "sandbox")
        try:
            session = Session(instance_url=server.base_url, access_token=server.token)
            with Store(Path(folder) / "day.sqlite3", actor="bench") as store:
                cases = [store.create(make_case(f"0030760{n}")) for n in range(3)]
                SyncEngine(store, session).run()
                start = used(server)
                with SalesforceClient(session) as client:
                    keep_check(store, check_org(client, load_mapping()))
                after_check = used(server)
                for n in range(30):
                    case = cases[n % 3]
                    kind = n % 3
                    if kind == 0:
                        store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2026, 6, 4, 2, tzinfo=UTC),
                                           end=datetime(2026, 6, 4, 3, tzinfo=UTC), description="Invented visit"))
                    elif kind == 1:
                        store.create(CaseComment(case_id=case.id, body="Whānau keen to meet."))
                    else:
                        store.create(Task(case_id=case.id, subject="Ring the school", due_date=date(2026, 6, 5)))
                    SyncEngine(store, session).run()
                after_saves = used(server)
                for _ in range(32):
                    SyncEngine(store, session).run()
                end = used(server)
        finally:
            server.stop()
    check, saves, idle = after_check - start, after_saves - after_check, end - after_saves
    print(f"org check: {check} requests; 30 saves, each synced: {saves} requests ({saves / 30:.1f} a save); "
          f"32 idle syncs (8 hours, every 15 minutes): {idle} requests ({idle / 32:.1f} each); "
          f"a day: {check + saves + idle} requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
