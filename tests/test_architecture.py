"""The core never loads Textual: batch commands and sync run without a UI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "ascms_tui"
UI_MODULES = {"app.py"}  # the one core module that may import Textual


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_core_module_imports_textual_or_the_screens():
    offenders = {}
    for path in sorted(CORE.glob("*.py")):
        if path.name in UI_MODULES:
            continue
        bad = {m for m in _imported_modules(path) if m.split(".")[0] in {"textual", "screens", "widgets", "rich"}}
        if bad:
            offenders[path.name] = bad
    assert offenders == {}


def test_importing_the_core_does_not_load_textual():
    modules = sorted(p.stem for p in CORE.glob("*.py") if p.name not in UI_MODULES and p.stem != "__main__")
    assert {"store", "domain", "calendar", "interchange", "cli"} <= set(modules)
    code = (
        "import sys\n"
        + "".join(f"import ascms_tui.{name}\n" for name in modules)
        + "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        + "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_batch_commands_run_without_loading_textual(tmp_path):
    code = (
        "import sys\n"
        "from ascms_tui.cli import main\n"
        f"code = main(['--db', {str(tmp_path / 'x.sqlite3')!r}, 'export'])\n"
        "assert code == 0\n"
        "assert 'textual' not in sys.modules, 'textual was loaded'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"format": "ascms-tui/1"' in result.stdout
