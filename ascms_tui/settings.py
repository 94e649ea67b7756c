"""User settings: a TOML file in the platformdirs config folder, overridable by environment."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from platformdirs import user_config_path
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .domain import describe_errors
from .paths import APP_NAME


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_name: str | None = Field(None, title="Your name as AS-CMS shows it as case owner")
    autosave_seconds: float = Field(3.0, gt=0, le=60, title="Seconds between draft saves while typing")


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
        return Settings.model_validate(data)
    except ValidationError as error:
        raise SettingsError(f"{path}: " + "; ".join(describe_errors(error, Settings))) from None


class SettingsError(Exception):
    pass
