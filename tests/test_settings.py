"""Settings: the config file, the environment override, and clear messages for bad values."""

from __future__ import annotations

import pytest

from ascms_tui.settings import Settings, SettingsError, load_settings


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv("ASCMS_TUI_USER", raising=False)
    settings = load_settings(tmp_path / "missing.toml")
    assert settings == Settings(user_name=None, autosave_seconds=3.0)


def test_file_values_and_the_environment_naming_the_case_manager(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('user_name = "Aroha Ngata"\nautosave_seconds = 5\n', encoding="utf-8")
    monkeypatch.delenv("ASCMS_TUI_USER", raising=False)
    assert load_settings(path) == Settings(user_name="Aroha Ngata", autosave_seconds=5)
    monkeypatch.setenv("ASCMS_TUI_USER", "Kiri Tomlinson")
    assert load_settings(path).user_name == "Kiri Tomlinson"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("user_name = \n", "not valid TOML"),
        ("autosave_seconds = 0\n", "autosave_seconds must be a number of seconds above 0 and at most 60 (got 0)"),
        ('autosave_seconds = "soon"\n', "autosave_seconds must be a number of seconds above 0 and at most 60 (got 'soon')"),
        ("user_name = 42\n", "user_name must be your name as text (got 42)"),
        ('colour = "red"\n', "unknown setting colour"),
    ],
)
def test_bad_settings_name_the_file_and_what_is_wrong(tmp_path, monkeypatch, content, message):
    monkeypatch.delenv("ASCMS_TUI_USER", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        load_settings(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)
