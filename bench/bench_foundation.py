"""Foundation benchmark on the 10,000-case dataset.

Reports: generating the dataset, importing it into a fresh store, loading the
case list rows, and the database size. Targets: list query < 50 ms, import < 30 s,
generation < 60 s.

    .venv/bin/python bench/bench_foundation.py [--cases 10000] [--activities-per-case 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ascms_tui.demo import write_caseload  # noqa: E402
from ascms_tui.interchange import import_file  # noqa: E402
from ascms_tui.store import Store  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--activities-per-case", type=float, default=30)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "caseload.json"
        started = time.perf_counter()
        counts = write_caseload(data, args.cases, activities_per_case=args.activities_per_case)
        generate_s = time.perf_counter() - started

        db = Path(folder) / "bench.sqlite3"
        with Store(db) as store:
            started = time.perf_counter()
            summary = import_file(store, data)
            import_s = time.perf_counter() - started

        # A fresh connection, as the app has at start.
        with Store(db) as store:
            started = time.perf_counter()
            rows = store.case_list_rows()
            first_ms = (time.perf_counter() - started) * 1000
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                rows = store.case_list_rows()
                timings.append((time.perf_counter() - started) * 1000)
        size = sum(p.stat().st_size for p in Path(folder).glob("bench.sqlite3*"))

    print(f"dataset: {counts['cases']:,} cases, {counts['records']:,} records "
          f"({data.name}, {generate_s:.1f} s to generate; target < 60 s)")
    print(f"import: {summary.cases:,} cases + {summary.records:,} records in {import_s:.1f} s "
          f"({summary.queued:,} queued for upload; target < 30 s)")
    timings.sort()
    p90 = timings[int(len(timings) * 0.9) - 1]
    print(f"case list rows: {len(rows):,} rows; first {first_ms:.1f} ms, median {statistics.median(timings):.1f} ms, "
          f"p90 {p90:.1f} ms, max {timings[-1]:.1f} ms over {args.runs} runs (target < 50 ms)")
    print(f"database size: {size / 1024 / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
