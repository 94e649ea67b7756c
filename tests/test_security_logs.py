"""No leaks: logs and crash reports never hold a child's details or a token."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from ascms_tui.cli import main
from ascms_tui.logs import LOG_DIR_ENV, log_dir, setup_logging, write_crash_report

from .conftest import DEMO_TODAY, make_app

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "00D5g000004Ab1c!AQ4AQFakeInventedToken.abc123"


@cache
def demo_people() -> frozenset[str]:
    """Every person's name in the demo caseload: students, known-as names, contacts."""
    from ascms_tui.demo import generate_caseload

    names = set()
    for case in generate_caseload(40, seed=2026, today=DEMO_TODAY)["cases"]:
        names.add(case["student"]["name"])
        if case["student"].get("known_as"):
            names.add(case["student"]["known_as"])
        names.update(contact["name"] for contact in case.get("contacts", []))
    return frozenset(n for n in names if len(n) > 3)


def _logged_text() -> str:
    folder = log_dir()
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in folder.glob("*") if p.is_file())


def test_the_run_logs_to_a_private_folder_set_for_the_tests():
    assert os.environ.get(LOG_DIR_ENV)
    path = setup_logging()
    assert path.parent == log_dir()
    logging.getLogger("ascms_tui.test").info("a line")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"


def test_messages_lose_tokens_contacts_and_exception_messages():
    student = min(demo_people())
    path = setup_logging()
    log = logging.getLogger("ascms_tui.sync")
    log.info("POST https://invented.my.salesforce.com/services/data/v60.0/query?q=SELECT+Id+FROM+Case+WHERE+Name='x'")
    log.info("Authorization: Bearer %s", TOKEN)
    log.info('{"access_token": "%s", "refresh_token": "5Aep861Invented"}', TOKEN)
    log.info("contact mere@example.co.nz or 021 555 0123")
    try:
        raise ValueError(f"Student name {student} is not valid")
    except ValueError:
        log.exception("import failed")
    for handler in logging.getLogger("ascms_tui").handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    for leaked in (TOKEN, "5Aep861Invented", "mere@example.co.nz", "021 555 0123", "Name='x'", student):
        assert leaked not in text
    assert "builtins.ValueError" in text and "import failed" in text
    assert "Bearer [token]" in text and "?[query]" in text


def test_a_crash_report_names_the_code_path_but_no_values():
    student = sorted(demo_people())[1]

    def handle(note):
        raise RuntimeError(f"could not save note for {note}")

    try:
        handle(student)
    except RuntimeError as error:
        report = write_crash_report(error)
    text = report.read_text(encoding="utf-8")
    assert student not in text and "could not save" not in text
    assert "builtins.RuntimeError" in text and "in handle" in text
    assert oct(report.stat().st_mode & 0o777) == "0o600"
    assert "/work/" not in text and str(ROOT) not in text  # paths start at the package, not the user's home


def test_an_uncaught_error_in_a_command_leaves_a_report_without_values(tmp_path):
    student = sorted(demo_people())[2]
    code = (
        "from ascms_tui.logs import install_crash_handler\n"
        "install_crash_handler()\n"
        f"note = {student!r}\n"
        "raise KeyError(note)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert result.returncode != 0
    assert student not in result.stderr and "A report without any case data" in result.stderr
    assert student not in _logged_text()


async def test_the_app_crash_screen_shows_no_local_variables(demo_db, capsys):
    student = sorted(demo_people())[3]
    app = make_app(demo_db)

    def broken():
        note = f"Visited {student} at home"  # a local the default crash screen would print
        raise RuntimeError(note[:0] + "boom")

    with pytest.raises(RuntimeError):
        async with app.run_test() as pilot:
            app.call_later(broken)
            await pilot.pause()
    shown = " ".join(capsys.readouterr().err.split())  # what the terminal shows after the app closes
    assert student not in shown and "note =" not in shown
    assert "A report without any case data is in" in shown
    assert student not in _logged_text()


def test_commands_log_what_they_did_without_what_they_read(tmp_path, capsys):
    student = sorted(demo_people())[4]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "ascms-tui/1", "cases": [
        {"case_number": "123", "case_type": "Chronic Absence", "referral_date": "2026-06-01",
         "student": {"name": student}}]}), encoding="utf-8")
    db = str(tmp_path / "cases.sqlite3")
    assert main(["--db", db, "import", str(bad)]) == 1
    assert main(["--db", db, "export", "--case", "00000000' OR '1'='1"]) == 1
    capsys.readouterr()
    assert student not in _logged_text()


@pytest.mark.after_all
def test_no_log_written_during_the_whole_run_holds_a_demo_name_or_token():
    text = _logged_text()
    assert text.strip(), "nothing was logged: the check would prove nothing"
    leaked = sorted(name for name in demo_people() if name in text)
    assert leaked == []
    assert TOKEN not in text
