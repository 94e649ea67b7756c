"""The recording app's three speed targets, measured in one run on one 10,000-case database.

1. Cold start to first paint of the case list, against a minimal Textual app showing one Label (target < 1.5x).
2. Filter keystroke to repaint (target < 50 ms).
3. Opening a case with 5,000 timeline entries (target < 200 ms).

The database is the case-view benchmark's (10,000 demo cases plus one case with
5,000 entries), built once in bench/data/. How each figure is taken is
described in bench_ui_case_list.py and bench_ui_case_view.py.

    .venv/bin/python bench/bench_ui.py [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys

from bench_ui_case_list import bench_cold_start, bench_keystrokes
from bench_ui_case_view import BIG_CASE, CASES, ensure_database, time_open_case


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    db = ensure_database()
    print(f"database: {db.name} ({CASES + 1:,} cases)")
    bench_cold_start(db, CASES + 1, args.runs)
    asyncio.run(bench_keystrokes(db, 20))
    timings = asyncio.run(time_open_case(db, 15))
    rest = sorted(timings[1:])
    print(f"open case {BIG_CASE} (5,000 timeline entries) to the timeline's first paint: "
          f"median {statistics.median(rest):.0f} ms, max {rest[-1]:.0f} ms over {len(rest)} runs; "
          f"first open after start {timings[0]:.0f} ms (target < 200 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
