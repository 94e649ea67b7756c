"""Case view benchmark: open a case with 5,000 timeline entries on a 10,000-case database.

Times, in the real app (`run_test`, 100x30), from `app.open_case(case_id)` to the
timeline's first paint showing entries; reports the median of several runs.
Target < 200 ms. The database is built once and cached in bench/data/
(git-ignored); delete it to rebuild.

    .venv/bin/python bench/bench_ui_case_view.py [--runs 15] [--case NUMBER] [--gc-freeze]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ascms_tui.demo import write_caseload
from ascms_tui.interchange import FORMAT, import_document, import_file
from ascms_tui.store import Store

DATA = ROOT / "bench" / "data"
DATABASE = DATA / "case_view-10000.sqlite3"
CASES = 10_000
BIG_CASE = "09990001"
BIG_ENTRIES = {"events": 2_000, "comments": 1_600, "tasks": 1_300, "status_history": 100}
TODAY = date(2026, 6, 30)
TARGET_MS = 200.0

_SUBJECTS = ("Home Visit", "School Meeting", "Phone Call", "Whānau Hui", "Student Check-in",
             "Attendance Review Meeting", "Multi-Agency Meeting")
_SENTENCES = (
    "Met with whānau at home to talk through the week's attendance and what got in the way.",
    "School confirmed the partial timetable continues until the end of term.",
    "Caregiver agreed to let the office know by 8.45 am on any day the student is away.",
    "Student said mornings are easier since the bus pass was topped up.",
    "Provider to follow up with the dean about a quiet space at lunchtime.",
    "Discussed the referral to the youth mentoring service; whānau consented.",
    "Attendance for the last four weeks is 76% (target 80%).",
    "Agreed next steps: review the plan in two weeks and share the update with the school.",
)


def _text(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(_SENTENCES) for _ in range(sentences))


def big_case_document() -> dict:
    """One migrated case with 5,000 timeline entries over ten years; the newest 40 not yet synced."""
    rng = random.Random(5000)
    end = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)
    start = end - timedelta(days=3650)
    span = (end - start).total_seconds()

    def instant() -> datetime:
        return start + timedelta(seconds=int(rng.random() * span) // 900 * 900)

    serial = iter(range(1, 10**9))

    def synced(record: dict, moment: datetime) -> dict:
        # Records of the last fortnight were typed offline and have not reached AS-CMS.
        if moment < end - timedelta(days=14):
            record["server_id"] = f"BENCH{next(serial):013d}"
        return record

    events, comments, tasks, statuses = [], [], [], []
    for _ in range(BIG_ENTRIES["events"]):
        moment = instant()
        events.append(synced({
            "subject": rng.choice(_SUBJECTS), "start": moment.isoformat(),
            "end": (moment + timedelta(minutes=45)).isoformat(), "recorded_at": moment.isoformat(),
            "description": _text(rng, rng.randint(1, 6)), "hours": rng.randint(0, 2), "minutes": rng.choice((0, 15, 30, 45)),
        }, moment))
    for _ in range(BIG_ENTRIES["comments"]):
        moment = instant()
        comments.append(synced({
            "body": _text(rng, rng.randint(1, 25)), "shared_with_school": rng.random() < 0.3,
            "recorded_at": moment.isoformat(),
        }, moment))
    for _ in range(BIG_ENTRIES["tasks"]):
        moment = instant()
        tasks.append(synced({
            "subject": "Follow up with whānau", "due_date": (moment + timedelta(days=7)).date().isoformat(),
            "status": "Completed", "description": _text(rng, rng.randint(0, 2)), "recorded_at": moment.isoformat(),
            "hours": 0, "minutes": 30,
        }, moment))
    cycle = ("Open", "Paused")
    for number in range(BIG_ENTRIES["status_history"]):
        moment = start + timedelta(days=36 * number)
        statuses.append(synced({
            "from_status": cycle[(number + 1) % 2] if number else None, "to_status": cycle[number % 2],
            "reason": "Awaiting information" if number % 2 else None,
            "changed_at": moment.isoformat(), "recorded_at": moment.isoformat(),
        }, moment))
    return {
        "format": FORMAT,
        "cases": [{
            "case_number": BIG_CASE, "case_type": "Chronic Absence", "status": "Open",
            "referral_date": start.date().isoformat(), "migrated": True, "case_owner": "Kiri Tomlinson",
            "catchment": "Waipā", "server_id": "BENCHCASE00000001",
            "student": {"name": "Benchmark Long-Case", "known_as": "Bench", "nsn": "123456789"},
            "school": {"name": "Kōwhai Valley School", "number": "8417", "primary_contact": "Jo Whitfield"},
            "contacts": [{"name": "Aroha Long-Case", "role": "Parent / Caregiver", "phone": "021 555 0101",
                          "details_current": True, "details_confirmed_on": "2026-06-01"}],
            "events": events, "comments": comments, "tasks": tasks, "status_history": statuses,
        }],
    }


def ensure_database() -> Path:
    if DATABASE.exists():
        Store(DATABASE).close()  # brought to this version's schema, as the app would on its first run
        return DATABASE
    DATA.mkdir(parents=True, exist_ok=True)
    partial = DATABASE.with_name(DATABASE.name + ".partial")
    for stale in DATA.glob(partial.name + "*"):
        stale.unlink()
    caseload = DATA / f"case_view-caseload-{CASES}.json"
    started = time.perf_counter()
    print(f"building {DATABASE.name}: {CASES:,} cases ...", flush=True)
    write_caseload(caseload, CASES, activities_per_case=30, today=TODAY)
    with Store(partial) as store:
        import_file(store, caseload)
        import_document(store, big_case_document(), source="benchmark long case")
    caseload.unlink()
    partial.rename(DATABASE)
    print(f"built {DATABASE.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return DATABASE


async def time_open_case(db: Path, runs: int, gc_freeze: bool = False, case_number: str = BIG_CASE) -> list[float]:
    from ascms_tui.app import AscmsApp
    from ascms_tui.settings import Settings
    from screens.case_view import CaseViewScreen
    from widgets.timeline import Timeline

    app = AscmsApp(db, settings=Settings(user_name="Kiri Tomlinson"), today=lambda: TODAY, offer_drafts=False)
    timings = []
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        case_id = app.store.find_case(case_number).id
        if gc_freeze:
            # What the app would do after loading the case list (proposed, not done by the app yet):
            # the objects alive now are never scanned again by the cyclic garbage collector.
            await _settle(app, pilot)
            gc.collect()
            gc.freeze()
        for _ in range(runs):
            await _settle(app, pilot)  # time the case view, not the list still filling behind it
            started = time.perf_counter()
            app.open_case(case_id)
            screen = app.screen_stack[-1]
            assert isinstance(screen, CaseViewScreen)
            deadline = started + 10
            timeline = None
            while time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
                timeline = timeline or next(iter(screen.query(Timeline)), None)
                if timeline is not None and timeline.painted_entries_at is not None:
                    break
            assert timeline is not None and timeline.painted_entries_at is not None, "timeline never painted"
            assert case_number != BIG_CASE or timeline.entry_count == sum(BIG_ENTRIES.values())
            timings.append((timeline.painted_entries_at - started) * 1000)
            app.pop_screen()
    return timings


async def _settle(app, pilot) -> None:
    from textual.worker import WorkerCancelled

    for _ in range(3):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # the previous case view's second read, stopped when it closed
        await pilot.pause()
        await asyncio.sleep(0.3)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--case", default=BIG_CASE, help="case number to open (default: the 5,000-entry case)")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="freeze the garbage collector's view of the loaded app first (see the report)")
    args = parser.parse_args()
    db = ensure_database()
    timings = asyncio.run(time_open_case(db, args.runs, args.gc_freeze, args.case))
    # The first open also imports the screen's modules and parses its stylesheet.
    first, rest = timings[0], sorted(timings[1:])
    median = statistics.median(rest)
    p90 = rest[max(0, int(len(rest) * 0.9) - 1)]
    entries = f"{sum(BIG_ENTRIES.values()):,} timeline entries, " if args.case == BIG_CASE else ""
    print(f"open case {args.case} ({entries}{CASES:,}-case database), to the timeline's first paint with entries: "
          f"median {median:.0f} ms, p90 {p90:.0f} ms, min {rest[0]:.0f} ms, max {rest[-1]:.0f} ms over "
          f"{len(rest)} runs; first open after start {first:.0f} ms "
          f"(target < {TARGET_MS:.0f} ms){'; with gc.freeze()' if args.gc_freeze else ''}")
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
