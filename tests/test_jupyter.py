"""The ``[notebook]`` extra gives a working Jupyter: the README's ``jupyter notebook notebooks/`` serves the
example notebooks, with the python3 kernel they run on."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_the_notebook_extra_names_a_front_end_and_a_kernel():
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    names = {requirement.split(">")[0].split("=")[0].split("[")[0] for requirement in extras["notebook"]}
    assert {"notebook", "ipykernel", "pandas", "pyvis"} <= names
    assert "jupyter notebook notebooks/" in (REPO_ROOT / "README.md").read_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_jupyter_notebook_serves_the_example_notebooks(tmp_path):
    pytest.importorskip("notebook")
    port, token = _free_port(), "graphiam-test"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "notebook", "--no-browser", "--allow-root", f"--ServerApp.port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0",
         f"--ServerApp.root_dir={REPO_ROOT / 'notebooks'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        def get(path: str) -> bytes:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                             headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.read()

        deadline = time.monotonic() + 90
        while True:
            try:
                contents = json.loads(get("/api/contents"))
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(f"jupyter notebook did not start: {server.stderr.read1().decode()[-2000:]}")
                time.sleep(0.5)
        names = {item["name"] for item in contents["content"]}
        expected = {path.name for path in (REPO_ROOT / "notebooks").glob("*.ipynb")}
        assert expected and expected <= names
        specs = json.loads(get("/api/kernelspecs"))
        assert "python3" in specs["kernelspecs"]
        assert b"<html" in get("/tree").lower()  # the front end itself
    finally:
        server.terminate()
        server.wait(timeout=30)
