"""Fixtures for the processing tests: a fresh sandbox child and a folder for derived files."""

from pathlib import Path

import pytest

from casework.evidence.processing import sandbox


@pytest.fixture
def fresh_sandbox(monkeypatch):
    """probe_media talks to a new child process of its own, stopped at the end of the test."""
    isolated = sandbox.ProbeSandbox()
    monkeypatch.setattr(sandbox, "_sandbox", isolated)
    yield isolated
    isolated.stop()


@pytest.fixture
def derived_dir(tmp_path) -> Path:
    folder = tmp_path / "derived"
    folder.mkdir()
    return folder
