"""The benchmark dataset: 10,000 demo cases with about 300,000 activities, dated to 30 June 2026.

Built once into bench/data/ (git-ignored) and reused; delete the file to rebuild.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ascms_tui.demo import write_caseload  # noqa: E402
from ascms_tui.interchange import import_file  # noqa: E402
from ascms_tui.store import Store  # noqa: E402

DATA = ROOT / "bench" / "data"
TODAY = date(2026, 6, 30)
CASES = 10_000
ACTIVITIES_PER_CASE = 30


def ten_thousand_cases(name: str = "caseload-10000.sqlite3") -> Path:
    """Path of a database holding the benchmark dataset, building it on first use."""
    database = DATA / name
    if database.exists():
        return database
    DATA.mkdir(parents=True, exist_ok=True)
    source = DATA / "caseload-10000.json"
    if not source.exists():
        started = time.perf_counter()
        write_caseload(source, CASES, today=TODAY, activities_per_case=ACTIVITIES_PER_CASE)
        print(f"(generated {source.name} in {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    partial = database.with_suffix(".building")
    for leftover in DATA.glob(partial.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    with Store(partial) as store:
        import_file(store, source)
    partial.rename(database)
    print(f"(imported into {database.name} in {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return database
