"""Fixtures for the command-line tests: no developer's ``.env`` leaks in."""

from __future__ import annotations

import os

import pytest

from pipelines import settings_check


@pytest.fixture(autouse=True)
def no_project_env(tmp_path_factory: pytest.TempPathFactory):
    """The CLI reads the project's .env: point it at an empty folder, and afterwards put os.environ back exactly as
    it was, whatever a test's .env put into it. (No monkeypatch here: this fixture is set up before a test's
    monkeypatch, so it is torn down after it, and its restore comes last.)"""
    env_dir = settings_check.ENV_DIR
    settings_check.ENV_DIR = tmp_path_factory.mktemp("no_env")
    before = dict(os.environ)
    yield
    settings_check.ENV_DIR = env_dir
    os.environ.clear()
    os.environ.update(before)
