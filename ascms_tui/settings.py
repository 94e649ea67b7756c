"""User settings: a TOML file in the platformdirs config folder, overridable by environment.

A plain dataclass checked by hand rather than a pydantic model: settings are
read before the first paint, and pydantic costs a sixth of the start-up time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from platformdirs import user_config_path

from .paths import APP_NAME


class SettingsError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Settings:
    user_name: str | None = None  # your name as AS-CMS shows it as case owner
    autosave_seconds: float = 3.0  # seconds between draft saves while typing
    retention_days: int = 30  # closed, fully synced cases leave the laptop after this many days
    idle_lock_minutes: float = 10.0  # the app locks after this long without a key press
    ca_bundle: str | None = None  # a custom CA bundle (PEM) for AS-CMS's TLS; verification is always on
    sync_interval_seconds: float = 60.0  # how often the app looks for changes to send to AS-CMS; 0: only on request

    def __post_init__(self) -> None:
        problems = []
        if self.user_name is not None and (not isinstance(self.user_name, str) or not self.user_name.strip()):
            problems.append(f"user_name must be your name as text (got {self.user_name!r})")
        seconds = self.autosave_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= 60:
            problems.append(f"autosave_seconds must be a number of seconds above 0 and at most 60 (got {seconds!r})")
        days = self.retention_days
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
            problems.append(f"retention_days must be a whole number of days from 0 to 3650 (got {days!r})")
        idle = self.idle_lock_minutes
        if isinstance(idle, bool) or not isinstance(idle, int | float) or not 0 < idle <= 240:
            problems.append(f"idle_lock_minutes must be above 0 and at most 240 (got {idle!r})")
        interval = self.sync_interval_seconds
        if isinstance(interval, bool) or not isinstance(interval, int | float) or not 0 <= interval <= 3600:
            problems.append("sync_interval_seconds must be a number of seconds from 0 (sync only when asked) "
                            f"to 3600 (got {interval!r})")
        if self.ca_bundle is not None and (not isinstance(self.ca_bundle, str) or not self.ca_bundle.strip()):
            problems.append(f"ca_bundle must be the path of a PEM file (got {self.ca_bundle!r})")
        if problems:
            raise SettingsError("; ".join(problems))

    @classmethod
    def from_mapping(cls, data: dict) -> Settings:
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(f"unknown setting {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**data)


def config_path() -> Path:
    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def load_settings(path: Path | None = None) -> Settings:
    """Read the config file if there is one; $ASCMS_TUI_USER names the case manager."""
    path = path or config_path()
    data: dict = {}
    if path.exists():
        import tomllib  # only when there is a file: most start-ups have none

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise SettingsError(f"{path}: not valid TOML: {error}") from None
    if os.environ.get("ASCMS_TUI_USER"):
        data["user_name"] = os.environ["ASCMS_TUI_USER"]
    try:
        return Settings.from_mapping(data)
    except SettingsError as error:
        raise SettingsError(f"{path}: {error}") from None
