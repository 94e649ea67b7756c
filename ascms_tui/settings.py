"""User settings: a TOML file in the platformdirs config folder, overridable by environment.

A plain dataclass checked by hand rather than a pydantic model: settings are
read before the first paint, and pydantic costs a sixth of the start-up time.
"""

from __future__ import annotations

import os
import tomllib
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

    def __post_init__(self) -> None:
        problems = []
        if self.user_name is not None and (not isinstance(self.user_name, str) or not self.user_name.strip()):
            problems.append(f"user_name must be your name as text (got {self.user_name!r})")
        seconds = self.autosave_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= 60:
            problems.append(f"autosave_seconds must be a number of seconds above 0 and at most 60 (got {seconds!r})")
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
