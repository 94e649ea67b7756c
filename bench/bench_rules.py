"""Reporting and the daily-close check over the 10,000-case, ~300,000-activity dataset.

Times `build_report(caseload_facts(store), as_of)` (what `ascms-tui report` does)
and `run_check(store, day)` (what `ascms-tui check` does) on a fresh Store, the
first call and the median of repeated calls. Target: each under 300 ms.

    .venv/bin/python bench/bench_rules.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from dataset import TODAY, ten_thousand_cases

from ascms_tui.daily_check import run_check
from ascms_tui.rules import build_report, caseload_facts
from ascms_tui.store import Store

TARGET_MS = 300


def timed(function, runs: int) -> tuple[float, float]:
    started = time.perf_counter()
    function()
    first = (time.perf_counter() - started) * 1000
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    database = ten_thousand_cases()
    with Store(database) as store:
        cases = len(store.case_list_rows())
        report_first, report_median = timed(lambda: build_report(caseload_facts(store), TODAY), args.runs)
        check = run_check(store, TODAY)
        check_first, check_median = timed(lambda: run_check(store, TODAY), args.runs)
    print(f"dataset: {cases:,} cases ({database.name}); as of {TODAY}")
    print(f"report: first {report_first:.0f} ms, median {report_median:.0f} ms over {args.runs} runs (target < {TARGET_MS} ms)")
    print(f"check:  first {check_first:.0f} ms, median {check_median:.0f} ms over {args.runs} runs "
          f"({check.outstanding:,} items; target < {TARGET_MS} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
