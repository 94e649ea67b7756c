from __future__ import annotations

from datetime import date

import pytest

from ascms_tui.domain import Case
from ascms_tui.store import Store

# A real training sandbox server for sync tests: `sandbox`, `sandbox_factory`.
pytest_plugins = ["tests.sandbox_server"]


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "cases.sqlite3", actor="test-user") as opened:
        yield opened


def make_case(number: str = "00307473", **overrides) -> Case:
    fields = dict(
        case_number=number,
        case_type="Chronic Absence",
        referral_date=date(2026, 6, 1),
        student={"name": "Aroha Invented", "known_as": "Ro"},
        school={"name": "Kōwhai Valley School", "number": "9999"},
    )
    fields.update(overrides)
    return Case(**fields)


# --- the app on the demo caseload, frozen in time for repeatable screens --------------

DEMO_TODAY = date(2026, 6, 30)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    from ascms_tui.demo import ensure_demo_database

    return ensure_demo_database(tmp_path_factory.mktemp("demo") / "demo.sqlite3", today=DEMO_TODAY)


@pytest.fixture
def demo_db(demo_template, tmp_path):
    """A private copy of the 40-case demo database (dated 30 June 2026) for one test."""
    import shutil

    copy = tmp_path / "demo.sqlite3"
    shutil.copy(demo_template, copy)
    return copy


def make_app(db, **overrides):
    """The real app on `db`, as the demo's case manager, with today fixed at DEMO_TODAY."""
    from ascms_tui.app import AscmsApp
    from ascms_tui.demo import DEMO_USER
    from ascms_tui.settings import Settings

    options = dict(settings=Settings(user_name=DEMO_USER), today=lambda: DEMO_TODAY)
    if "tokens" not in overrides:  # never the developer's own AS-CMS sign-in (keyring, config, environment)
        from pathlib import Path

        from ascms_tui.sync.auth import TokenStore

        options.update(tokens=TokenStore(Path(db).parent / "no-sign-in", use_keyring=False), environ={})
    options.update(overrides)
    return AscmsApp(db_path=db, **options)


# --- logs: every test's logs go to one folder, which the last test reads for leaks ----------


def pytest_configure(config):
    import os
    import tempfile

    config.addinivalue_line("markers", "after_all: runs after every other test (reads what they wrote)")
    # Set before any test runs, so subprocesses started by tests log here too.
    os.environ.setdefault("ASCMS_TUI_LOG_DIR", tempfile.mkdtemp(prefix="ascms-tui-test-logs-"))


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("after_all") is not None)  # stable: others keep their order
