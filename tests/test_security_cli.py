"""The passphrase on the command line: from the environment for scripts, and plain words when it is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ascms_tui.cli import main
from ascms_tui.db_connect import PASSPHRASE_ENV, is_encrypted, verify_passphrase
from ascms_tui.demo import generate_caseload
from ascms_tui.security_cli import NEW_PASSPHRASE_ENV

from .conftest import DEMO_TODAY

ROOT = Path(__file__).resolve().parents[1]
SECRET = "correct horse battery"


def _caseload(tmp_path) -> Path:
    source = tmp_path / "caseload.json"
    source.write_text(json.dumps(generate_caseload(3, seed=7, today=DEMO_TODAY), default=str), encoding="utf-8")
    return source


def test_a_passphrase_in_the_environment_creates_and_opens_an_encrypted_caseload(tmp_path, monkeypatch, capsys):
    db = tmp_path / "cases.sqlite3"
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    assert main(["--db", str(db), "import", str(_caseload(tmp_path))]) == 0
    assert is_encrypted(db) and verify_passphrase(db, SECRET)
    capsys.readouterr()
    assert main(["--db", str(db), "export"]) == 0
    assert len(json.loads(capsys.readouterr().out)["cases"]) == 3
    monkeypatch.delenv(PASSPHRASE_ENV)
    assert main(["--db", str(db), "export"]) == 1  # no terminal to ask in
    assert f"is encrypted: set {PASSPHRASE_ENV}" in capsys.readouterr().err
    monkeypatch.setenv(PASSPHRASE_ENV, "not the passphrase")
    assert main(["--db", str(db), "export"]) == 1
    assert "The passphrase does not open" in capsys.readouterr().err


def test_encrypt_then_rekey_from_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    db = tmp_path / "cases.sqlite3"
    assert main(["--db", str(db), "import", str(_caseload(tmp_path))]) == 0
    assert not is_encrypted(db)
    monkeypatch.setenv(NEW_PASSPHRASE_ENV, "short")
    assert main(["--db", str(db), "encrypt"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    monkeypatch.setenv(NEW_PASSPHRASE_ENV, SECRET)
    assert main(["--db", str(db), "encrypt"]) == 0
    assert "Keep the passphrase safe" in capsys.readouterr().err
    assert is_encrypted(db) and verify_passphrase(db, SECRET)
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    monkeypatch.setenv(NEW_PASSPHRASE_ENV, "a whole new passphrase")
    assert main(["--db", str(db), "rekey"]) == 0
    assert verify_passphrase(db, "a whole new passphrase") and not verify_passphrase(db, SECRET)
    monkeypatch.setenv(PASSPHRASE_ENV, "a whole new passphrase")
    assert main(["--db", str(db), "report", "--as-of", "2026-06-30"]) == 0


_WITHOUT_SQLCIPHER = (
    "import sys\n"
    "sys.modules['sqlcipher3'] = None  # as on a computer where the wheel is not available\n"
    "from ascms_tui.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _run_without_sqlcipher(*args: str, env_passphrase: str | None = SECRET, tmp_path: Path):
    import os

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    env.pop(PASSPHRASE_ENV, None)
    if env_passphrase:
        env[PASSPHRASE_ENV] = env_passphrase
    return subprocess.run([sys.executable, "-c", _WITHOUT_SQLCIPHER, *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, check=False)


def test_without_sqlcipher_the_command_says_so_and_goes_on_only_when_told(tmp_path):
    db = tmp_path / "cases.sqlite3"
    source = _caseload(tmp_path)
    refused = _run_without_sqlcipher("--db", str(db), "import", str(source), tmp_path=tmp_path)
    assert refused.returncode == 1
    assert "Encryption is not available on this computer" in refused.stderr
    assert "--no-encryption" in refused.stderr
    assert not db.exists() or db.stat().st_size == 0
    chosen = _run_without_sqlcipher("--db", str(db), "--no-encryption", "import", str(source), tmp_path=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
    assert db.exists() and not is_encrypted(db)


def test_without_sqlcipher_an_encrypted_caseload_is_refused_plainly(tmp_path, monkeypatch):
    db = tmp_path / "cases.sqlite3"
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    assert main(["--db", str(db), "import", str(_caseload(tmp_path))]) == 0
    result = _run_without_sqlcipher("--db", str(db), "export", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Encryption is not available on this computer" in result.stderr
    assert "Traceback" not in result.stderr
