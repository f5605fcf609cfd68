"""Shared fixtures for the graphiam tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sample_dir() -> Path:
    """The bundled sample organization (data/sample-org)."""
    return REPO_ROOT / "data" / "sample-org"
