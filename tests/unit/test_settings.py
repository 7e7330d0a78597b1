"""Settings that cannot work are refused at start, in one line naming the variable, the value and what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.settings import Settings, SettingsError, load_settings

SECONDS = ("SCALING_FETCH_DEADLINE", "SCALING_FETCH_BACKOFF", "SCALING_LOCK_WAIT")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*SECONDS, "SCALING_SOURCES_MIRROR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCALING_DATA_DIR", str(tmp_path))


def refusal(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    """The one-line message `load_settings` refuses `name=value` with."""
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_a_fetch_deadline_of_zero_is_refused_naming_the_variable_value_and_what_is_expected(monkeypatch) -> None:
    message = refusal(monkeypatch, "SCALING_FETCH_DEADLINE", "0")
    assert message.startswith("SCALING_FETCH_DEADLINE='0' cannot work")
    assert "expected a number of seconds above 0" in message and "default 180" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SCALING_FETCH_DEADLINE", "-5"),
        ("SCALING_FETCH_DEADLINE", "nan"),
        ("SCALING_FETCH_BACKOFF", "-0.5"),
        ("SCALING_FETCH_BACKOFF", "inf"),
        ("SCALING_LOCK_WAIT", "-1"),
    ],
)
def test_negative_or_unending_seconds_are_refused(monkeypatch, name: str, value: str) -> None:
    message = refusal(monkeypatch, name, value)
    assert message.startswith(f"{name}={value!r} cannot work: expected a number of seconds")


@pytest.mark.parametrize("name", SECONDS)
def test_a_value_that_is_not_a_number_is_refused(monkeypatch, name: str) -> None:
    message = refusal(monkeypatch, name, "ten")
    assert message.startswith(f"{name}='ten' is not a number: expected a number of seconds")


def test_zero_backoff_and_zero_lock_wait_still_work_and_unset_gives_the_defaults(monkeypatch) -> None:
    assert (load_settings().fetch_deadline_s, load_settings().fetch_backoff_s) == (180.0, 0.5)
    monkeypatch.setenv("SCALING_FETCH_BACKOFF", "0")
    monkeypatch.setenv("SCALING_LOCK_WAIT", "0")
    monkeypatch.setenv("SCALING_FETCH_DEADLINE", "0.5")
    settings = load_settings()
    assert (settings.fetch_deadline_s, settings.fetch_backoff_s, settings.lock_wait_s) == (0.5, 0.0, 0.0)


def test_settings_made_in_code_are_held_to_the_same_rules(tmp_path: Path) -> None:
    """A Dagster resource builds `Settings` from its config, not from the environment."""
    with pytest.raises(SettingsError, match=r"^SCALING_FETCH_DEADLINE='0' cannot work"):
        Settings(tmp_path, tmp_path / "w.duckdb", tmp_path / "reports", None, fetch_deadline_s=0.0)


def test_a_mirror_with_a_scheme_that_cannot_be_fetched_is_refused(monkeypatch) -> None:
    message = refusal(monkeypatch, "SCALING_SOURCES_MIRROR", "ftp://mirror.example/sources")
    assert message.startswith("SCALING_SOURCES_MIRROR='ftp://mirror.example/sources' cannot work")
    assert "expected a directory or an http(s) base URL" in message


def test_the_command_stops_with_exit_2_and_the_one_line(monkeypatch, capsys, tmp_path: Path) -> None:
    import pipelines.run.cli as cli

    monkeypatch.setenv("SCALING_FETCH_DEADLINE", "0")
    assert cli.main(["refresh"]) == 2
    out = capsys.readouterr().out
    assert "stopped: SCALING_FETCH_DEADLINE='0' cannot work: expected a number of seconds above 0" in out
    assert not (tmp_path / "warehouse.duckdb").exists()
