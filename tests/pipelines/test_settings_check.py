"""One configuration for the UI and the CLI: a wrong setting is one line naming the variable and its allowed values,
and the CLI reads the project's .env as `dg dev` does (the environment wins)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assets.settings import PROJECT_ROOT, SettingsError, settings_from_env
from pipelines.settings_check import load_project_env, load_settings_or_fail


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SDOH_MODE": "bogus"}, "SDOH_MODE must be one of ('snapshot', 'live'), got 'bogus'"),
        ({"SDOH_WRITER_LOCK_WAIT": "soon"}, "SDOH_WRITER_LOCK_WAIT must be a number of seconds, got 'soon'"),
    ],
)
def test_a_wrong_setting_is_a_settings_error_of_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        settings_from_env(env)
    assert str(raised.value) == message and isinstance(raised.value, ValueError)
    with pytest.raises(SettingsError) as again:
        load_settings_or_fail(env)
    assert str(again.value) == message and again.value.__suppress_context__


def test_load_settings_or_fail_at_import_ends_with_the_one_line() -> None:
    """What `import pipelines.definitions` prints once definitions.py calls it: a short traceback (no "During
    handling of the above exception") whose last line names the variable and the values it may take."""
    code = "from pipelines.settings_check import load_settings_or_fail\nload_settings_or_fail()\n"
    env = {**os.environ, "SDOH_MODE": "bogus"}
    run = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert lines[-1] == "assets.settings.SettingsError: SDOH_MODE must be one of ('snapshot', 'live'), got 'bogus'"
    assert "During handling" not in run.stderr and len(lines) <= 8


def test_the_env_file_fills_in_what_the_environment_leaves_unset(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".env").write_text(
        "# settings for this checkout\nSDOH_MODE=live\nSDOH_DATA_DIR='/tmp/GENERATED data'\nEMPTY=\nBARE\n"
    )
    monkeypatch.setenv("SDOH_MODE", "snapshot")
    monkeypatch.delenv("SDOH_DATA_DIR", raising=False)
    monkeypatch.delenv("EMPTY", raising=False)
    added = load_project_env(tmp_path)
    assert added == {"SDOH_DATA_DIR": "/tmp/GENERATED data", "EMPTY": ""}
    assert os.environ["SDOH_MODE"] == "snapshot" and os.environ["SDOH_DATA_DIR"] == "/tmp/GENERATED data"
    assert "BARE" not in os.environ


def test_no_env_file_sets_nothing(tmp_path: Path) -> None:
    assert load_project_env(tmp_path) == {}


def test_the_example_env_file_names_every_setting_and_sets_none() -> None:
    """.env.example lists every SDOH_* variable the settings read, and the credentials, all commented out."""
    import re

    text = (PROJECT_ROOT / ".env.example").read_text()
    read = set(re.findall(r"\"(SDOH_[A-Z_]+)\"", (PROJECT_ROOT / "assets" / "settings.py").read_text()))
    listed = set(re.findall(r"^# ?([A-Z_]+)=", text, re.MULTILINE))
    assert read and read | {"CENSUS_API_KEY", "SOCRATA_APP_TOKEN"} <= listed
    assert not [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
