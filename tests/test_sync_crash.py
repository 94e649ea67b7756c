"""Crash test: `ascms-tui sync` killed (SIGKILL) at random points while pushing, then run again.

Every record must end up at the sandbox exactly once, with its server Id here.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from ascms_tui.store import Store

from .test_sync_e2e import _assert_exactly_once, local_caseload

KILLS = 20

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def test_sigkill_while_pushing_ends_with_every_record_exactly_once(tmp_path, sandbox_factory):
    sandbox = sandbox_factory(faults="seed=3,latency=60ms")
    data = tmp_path / "data"
    files_base = data / "ascms-tui"
    db = tmp_path / "cases.sqlite3"
    with Store(db, actor="test-user") as store:
        queued = local_caseload(store, 45, 45, files_base)
    assert queued >= 2000
    env = {**os.environ, "ASCMS_TUI_INSTANCE_URL": sandbox.base_url, "ASCMS_TUI_ACCESS_TOKEN": sandbox.token,
           "XDG_DATA_HOME": str(data), "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONUNBUFFERED": "1"}
    # Small batches (a provider setting) make a push long enough to be killed many times.
    (tmp_path / "config" / "ascms-tui").mkdir(parents=True)
    (tmp_path / "config" / "ascms-tui" / "mapping.toml").write_text("[push]\nbatch_size = 10\n")
    command = [sys.executable, "-m", "ascms_tui.cli", "--db", str(db), "sync", "--json", "--push-only"]
    rng = random.Random(20260630)
    kills_while_pushing = 0
    for _ in range(60):
        if kills_while_pushing >= KILLS:
            break
        before = sandbox.stats()["requests"]["total"]
        with Store(db) as store:
            left_before = store.sync_counts()["queued"]
        if left_before == 0:
            break
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 2.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            sent = sandbox.stats()["requests"]["total"] - before
            if sent > 1:  # it had begun sending (beyond a request or two) when it died
                kills_while_pushing += 1
        else:
            process.wait()
    assert kills_while_pushing >= KILLS, f"only {kills_while_pushing} kills landed while pushing"
    # Started again without faults, it finishes the queue.
    sandbox.set_faults("")
    for _ in range(3):
        finished = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=300)
        if finished.returncode == 0:
            break
    assert finished.returncode == 0, finished.stdout + finished.stderr
    with Store(db) as store:
        assert store.sync_counts() == {"queued": 0, "set_aside": 0, "conflicts": 0}
        _assert_exactly_once(store, sandbox)
