"""Shared fixtures for the graphiam tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sample_dir() -> Path:
    """The bundled sample organization (data/sample-org)."""
    return REPO_ROOT / "data" / "sample-org"


@pytest.fixture(autouse=True, scope="session")
def _private_graph_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The CLI caches built graphs: keep the tests' cache out of the user's ~/.cache (subprocesses inherit it)."""
    import os

    os.environ["GRAPHIAM_CACHE_DIR"] = str(tmp_path_factory.mktemp("graph-cache"))
    # a first `path` builds the whole graph for the cache after answering: in the foreground here, so that a
    # test's next command finds the entry (tests/test_first_answer.py checks the background child)
    os.environ["GRAPHIAM_CACHE_WRITE"] = "wait"
