"""Reporting and the daily-close check over the 10,000-case, ~300,000-activity dataset.

Times `build_report(caseload_facts(store), as_of)` (what `ascms-tui report` does)
and `run_check(store, day)` (what `ascms-tui check` does) on a fresh Store, the
first call and the median of repeated calls. Target: each under 300 ms.

The bench machine is shared, so besides wall-clock medians (what the target is
about) it prints their spread and the CPU time of this process, which other
processes disturb much less.

    .venv/bin/python bench/bench_rules.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from dataset import TODAY, ten_thousand_cases

from ascms_tui.daily_check import run_check
from ascms_tui.rules import build_report, caseload_facts
from ascms_tui.store import Store

TARGET_MS = 300


def timed(function, runs: int) -> str:
    started = time.perf_counter()
    function()
    first = (time.perf_counter() - started) * 1000
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return (f"first {first:.0f} ms, median {statistics.median(wall):.0f} ms (min {min(wall):.0f}, "
            f"max {max(wall):.0f}; CPU median {statistics.median(cpu):.0f} ms) over {runs} runs")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    database = ten_thousand_cases()
    with Store(database) as store:
        cases = len(store.case_list_rows())
        report = timed(lambda: build_report(caseload_facts(store), TODAY), args.runs)
        check = run_check(store, TODAY)
        check_times = timed(lambda: run_check(store, TODAY), args.runs)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"dataset: {cases:,} cases ({database.name}); as of {TODAY}; load average {load} on {os.cpu_count()} CPUs")
    print(f"report: {report} (target < {TARGET_MS} ms)")
    print(f"check:  {check_times} ({check.outstanding:,} items; target < {TARGET_MS} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
