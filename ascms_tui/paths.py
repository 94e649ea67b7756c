"""Where the app keeps its files (platformdirs), and which database to open."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "ascms-tui"
DB_ENV = "ASCMS_TUI_DB"


def data_dir() -> Path:
    path = user_data_path(APP_NAME, appauthor=False)
    # Children's records live here: only the user may read the folder.
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def database_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--db PATH` wins, then $ASCMS_TUI_DB, then the user data directory."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    return data_dir() / "ascms-tui.sqlite3"


def demo_database_path() -> Path:
    """The demo caseload has its own file, never the user's real one."""
    return data_dir() / "demo.sqlite3"
