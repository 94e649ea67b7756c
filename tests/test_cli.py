"""The batch commands, as a script or cron job would run them."""

from __future__ import annotations

import json

import pytest

from ascms_tui import paths
from ascms_tui.cli import main
from ascms_tui.store import Store

from .test_interchange import full_document


def write(tmp_path, document, name="cases.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_import_then_export_one_case(tmp_path, capsys):
    db = tmp_path / "cases.sqlite3"
    assert main(["--db", str(db), "import", str(write(tmp_path, full_document()))]) == 0
    assert "Imported 2 cases and 13 records" in capsys.readouterr().out

    out = tmp_path / "one.json"
    assert main(["--db", str(db), "export", "--case", "00307473", "--output", str(out)]) == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [c["case_number"] for c in exported["cases"]] == ["00307473"]
    assert oct(out.stat().st_mode & 0o777) == "0o600"  # children's data: only the user may read it


def test_rejected_import_exits_1_and_writes_nothing(tmp_path, capsys):
    db = tmp_path / "cases.sqlite3"
    document = full_document()
    document["cases"][0]["tasks"][0]["hours"] = -2
    assert main(["--db", str(db), "import", str(write(tmp_path, document))]) == 1
    err = capsys.readouterr().err
    assert "case 00307473, tasks[0] (Send attendance history): Hours must be from 0 to 24" in err
    with Store(db) as store:
        assert store.cases() == []


def test_export_of_unknown_case_exits_1(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "x.sqlite3"), "export", "--case", "00000001"]) == 1
    assert "No case 00000001" in capsys.readouterr().err


def test_database_comes_from_environment_when_no_flag(tmp_path, monkeypatch, capsys):
    db = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv(paths.DB_ENV, str(db))
    assert main(["import", str(write(tmp_path, full_document()))]) == 0
    assert db.exists()
    flag_db = tmp_path / "from-flag.sqlite3"
    assert paths.database_path(str(flag_db)) == flag_db
    assert paths.database_path(None) == db


def test_demo_generate_writes_an_importable_file(tmp_path, capsys):
    out = tmp_path / "big.json"
    assert main(["demo", "--generate", "--cases", "25", "--activities-per-case", "12", "--out", str(out)]) == 0
    assert "Wrote 25 cases" in capsys.readouterr().out
    db = tmp_path / "cases.sqlite3"
    assert main(["--db", str(db), "import", str(out)]) == 0
    with Store(db) as store:
        assert len(store.case_list_rows()) == 25


def test_demo_generate_needs_an_output(capsys):
    assert main(["demo", "--generate"]) == 2
    assert "needs --out FILE" in capsys.readouterr().err


def test_demo_never_opens_the_real_database(tmp_path, monkeypatch, capsys):
    real = tmp_path / "real.sqlite3"
    monkeypatch.setenv(paths.DB_ENV, str(real))
    assert main(["--db", str(real), "demo"]) == 2
    assert "will not open your real database" in capsys.readouterr().err
    assert not real.exists()


def test_opening_the_app_parses_only_the_global_options_and_commands_parse_in_full():
    from ascms_tui.cli import parse_arguments

    opening = parse_arguments(["--db", "cases.sqlite3", "--no-encryption"])
    assert (opening.command, opening.db, opening.no_encryption) == (None, "cases.sqlite3", True)
    assert parse_arguments([]).command is None
    report = parse_arguments(["--db", "cases.sqlite3", "report", "--as-of", "2026-06-30", "--json"])
    assert (report.command, report.db, report.json, str(report.as_of)) == ("report", "cases.sqlite3", True, "2026-06-30")
    with pytest.raises(SystemExit):
        parse_arguments(["--db", "cases.sqlite3", "bogus"])
