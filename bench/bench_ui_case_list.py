"""Case list benchmark on 10,000 cases: cold start to first paint, and filter keystroke to repaint.

    .venv/bin/python bench/bench_ui_case_list.py [--cases 10000] [--runs 7] [--keys 20]

The database is built once and cached in bench/data/ (git-ignored):
``demo.write_caseload(..., activities_per_case=30)`` then ``interchange.import_file``.

1. Cold start to first paint (targets: ratio < 1.5). Each app is started as a
   fresh process in a real pseudo-terminal (100x30, TERM=xterm-256color, an
   empty config folder), and the clock runs from just before the fork until
   its output shows the thing the user waits for:
   - the minimal app (this file with ``--minimal-app``: a Textual App that
     shows one Label) until the Label's text is on screen;
   - ``ascms-tui --db DB`` as case manager "Kiri Tomlinson" (so it opens on
     My open cases, as it would for her) until the case count "of 10,000
     cases" and a row's 8-digit case number are on screen, which the screen
     paints in the same frame as the rows.
   One untimed run of each warms the file cache; then the runs alternate, and
   the medians and their ratio are reported. Also reported: how long Python
   takes just to import each app's modules, which is most of the difference.

2. Filter keystroke to repaint (target < 50 ms), in ``app.run_test()`` on the
   same database: a key event is posted to the focused filter and the clock
   stops when the screen has composited a frame in which the case table was
   re-rendered (the app's display hook, called once per frame, headless or
   not). Pilot's own ``press``/``pause`` are not used for the timing because
   each waits for CPU idle in 20 ms sleeps. Typing and deleting realistic
   queries; median, p90 and max are reported. A sort (``s``) and a scope
   switch are timed the same way, for information.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
VENV_BIN = Path(sys.executable).parent
MINIMAL_TEXT = "Hello from a minimal Textual app"
USER = "Kiri Tomlinson"  # the generated caseload's first case owner (ascms_tui.demo.DEMO_USER)
COLUMNS, LINES = 100, 30


def run_minimal_app() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Label

    class MinimalApp(App):
        def compose(self) -> ComposeResult:
            yield Label(MINIMAL_TEXT)

    MinimalApp().run()


# -- the database -------------------------------------------------------------------------


def ensure_database(cases: int) -> Path:
    db = DATA / f"case_list-{cases}.sqlite3"
    if db.exists():
        return db
    sys.path.insert(0, str(ROOT))
    from ascms_tui.demo import write_caseload
    from ascms_tui.interchange import import_file
    from ascms_tui.store import Store

    DATA.mkdir(parents=True, exist_ok=True)
    source = DATA / f"case_list-caseload-{cases}.json"
    print(f"building {db.name} (once) ...", flush=True)
    write_caseload(source, cases, activities_per_case=30)
    partial = db.with_name(db.name + ".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    with Store(partial) as store:
        import_file(store, source)
    partial.rename(db)
    source.unlink()
    return db


# -- 1. cold start under a pseudo-terminal --------------------------------------------------


def time_to_paint(argv: list[str], markers: list[bytes], env: dict[str, str], timeout: float = 30.0) -> float:
    """Seconds from fork until every marker has appeared in the program's terminal output."""
    import fcntl
    import pty
    import re
    import select
    import signal
    import struct
    import termios

    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: size its terminal before the app can ask
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        os.execve(argv[0], argv, env)
    output = b""
    painted = None
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if all(re.search(marker, output) for marker in markers):
                painted = time.perf_counter() - started
                break
    finally:
        try:
            os.write(fd, b"\x11")  # ctrl+q: leave cleanly, restoring the terminal
            deadline = time.perf_counter() + 5
            while time.perf_counter() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if ready:
                    try:
                        if not os.read(fd, 1 << 16):
                            break
                    except OSError:
                        break
                finished, _ = os.waitpid(pid, os.WNOHANG)
                if finished:
                    break
            else:
                os.kill(pid, signal.SIGKILL)
        finally:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            os.close(fd)
    if painted is None:
        raise RuntimeError(f"{argv} did not paint {markers} within {timeout} s; output tail: {output[-400:]!r}")
    return painted


def import_seconds(code: str, env: dict[str, str], runs: int) -> float:
    import statistics
    import subprocess

    timings = []
    for _ in range(runs):
        script = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                                cwd=ROOT, check=True)
        timings.append(float(result.stdout))
    return statistics.median(timings)


def bench_cold_start(db: Path, cases: int, runs: int) -> None:
    import statistics
    import tempfile

    config = tempfile.mkdtemp(prefix="bench-case-list-config-")
    # Bytecode caching on, as on a case manager's laptop: with PYTHONDONTWRITEBYTECODE set
    # (as in some shells and CI images), every recently edited module would be compiled
    # from source on every run, and only ours are recently edited. The warm-up run writes them.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TEXTUAL", "ASCMS_TUI")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", XDG_CONFIG_HOME=config, ASCMS_TUI_USER=USER)
    minimal = ([sys.executable, str(Path(__file__).resolve()), "--minimal-app"], [MINIMAL_TEXT.encode()])
    ascms = (
        [str(VENV_BIN / "ascms-tui"), "--db", str(db)],
        [f"of {cases:,} cases".encode(), rb"(?<![0-9;])[0-9]{8}(?![0-9])"],
    )
    sys.path.insert(0, str(ROOT))
    from ascms_tui.store import Store

    empty_db = Path(config) / "empty.sqlite3"
    Store(empty_db).close()
    empty = ([str(VENV_BIN / "ascms-tui"), "--db", str(empty_db)], [b"0 of 0 cases"])
    for argv, markers in (minimal, ascms, empty):  # warm the file cache
        time_to_paint(argv, markers, env)
    minimal_times, ascms_times, empty_times = [], [], []
    for _ in range(runs):
        minimal_times.append(time_to_paint(*minimal, env))
        ascms_times.append(time_to_paint(*ascms, env))
        empty_times.append(time_to_paint(*empty, env))
    m, a, e = (statistics.median(t) for t in (minimal_times, ascms_times, empty_times))
    print(f"cold start to first paint, {COLUMNS}x{LINES} pty, median of {runs}:")
    list_label = f"ascms-tui case list, {cases:,} cases:"
    print(f"  {'minimal Textual app (one Label):':{len(list_label)}} {m * 1000:5.0f} ms   (runs: {_ms(minimal_times)})")
    print(f"  {list_label} {a * 1000:5.0f} ms   (runs: {_ms(ascms_times)})")
    print(f"  ratio {a / m:.2f} (target < 1.5)")
    print(f"  for reference, ascms-tui on an empty database: {e * 1000:.0f} ms (runs: {_ms(empty_times)}), "
          f"so {cases:,} cases add {(a - e) * 1000:.0f} ms")
    textual_only = import_seconds("import textual.app, textual.widgets._label", env, 9)
    ascms_imports = import_seconds(  # what ascms-tui imports before its first paint
        "import ascms_tui.cli, ascms_tui.security_cli, ascms_tui.app, ascms_tui.case_list_query, screens.case_list,"
        " textual.widgets._header, textual.widgets._input", env, 9
    )
    print(f"  of which importing modules: minimal {textual_only * 1000:.0f} ms, "
          f"ascms-tui {ascms_imports * 1000:.0f} ms (what it imports before the first paint)")


def _ms(values: list[float]) -> str:
    return " ".join(f"{v * 1000:.0f}" for v in values)


# -- 2. filter keystroke to repaint, in run_test ------------------------------------------------


async def bench_keystrokes(db: Path, count: int) -> None:
    import asyncio
    import statistics

    sys.path.insert(0, str(ROOT))
    from textual import events

    from ascms_tui.app import AscmsApp
    from ascms_tui.settings import Settings
    from widgets.case_table import CaseTable

    app = AscmsApp(db_path=db, settings=Settings(user_name=USER), offer_drafts=False)
    async with app.run_test(size=(COLUMNS, LINES)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        table = screen.query_one(CaseTable)
        assert len(table.all_entries) > 0, "the case list did not load"

        rendered = False
        frame = asyncio.Event()
        render_line = table.render_line
        display = app._display

        def counting_render_line(y: int):
            nonlocal rendered
            rendered = True
            return render_line(y)

        def signalling_display(on_screen, renderable):
            display(on_screen, renderable)
            if rendered:
                frame.set()

        table.render_line = counting_render_line
        app._display = signalling_display

        async def timed(key: str, character: str | None) -> float:
            nonlocal rendered
            await pilot.pause()  # settle: no frame pending
            rendered = False
            frame.clear()
            started = time.perf_counter()
            app._driver.send_message(events.Key(key, character))
            await asyncio.wait_for(frame.wait(), 5)
            return time.perf_counter() - started

        queries = ["aroha", "whetu", "0031", "provider", "tui", "kiri", "mcken"]
        print(f"filter keystroke to repaint, {len(table.all_entries):,} cases, {count} keystrokes per scope "
              f"(typing then deleting {', '.join(queries[:3])}, ...):")
        for scope_key, scope in (("f2", "My open"), ("f3", "All")):
            await pilot.press(scope_key)
            timings: list[float] = []
            shown: list[int] = []
            while len(timings) < count:
                for query in queries:
                    for character in query:
                        timings.append(await timed(character, character))
                        shown.append(len(table.shown))
                    for _ in query:
                        timings.append(await timed("backspace", None))
                        shown.append(len(table.shown))
                    if len(timings) >= count:
                        break
            timings = sorted(timings[:count])
            p90 = timings[max(0, int(len(timings) * 0.9) - 1)]
            print(f"  {scope:8} median {statistics.median(timings) * 1000:5.1f} ms, p90 {p90 * 1000:5.1f} ms, "
                  f"max {timings[-1] * 1000:5.1f} ms ({min(shown):,} to {max(shown):,} rows shown; target < 50 ms)")

        table.focus()
        await pilot.pause()
        sorts = [await timed("s", "s") for _ in range(6)]
        scopes = [await timed(key, None) for key in ("f3", "f4", "f2", "f3")]
        print(f"  for information: sort by the next column (s) median {statistics.median(sorts) * 1000:.1f} ms; "
              f"scope switch (F2/F3/F4) median {statistics.median(scopes) * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7, help="cold starts of each app (default 7)")
    parser.add_argument("--keys", type=int, default=20, help="keystrokes to time (default 20)")
    parser.add_argument("--only", choices=("cold-start", "keystrokes"), help="run one of the two measurements")
    parser.add_argument("--minimal-app", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.minimal_app:
        run_minimal_app()
        return 0

    import asyncio

    db = ensure_database(args.cases)
    print(f"database: {db.relative_to(ROOT)}")
    if args.only != "keystrokes":
        bench_cold_start(db, args.cases, args.runs)
    if args.only != "cold-start":
        asyncio.run(bench_keystrokes(db, args.keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
