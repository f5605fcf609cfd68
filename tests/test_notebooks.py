"""The example notebooks in notebooks/: committed without outputs, and they run headless without a cell error.

Each notebook is executed in memory with nbclient (nothing is written back to the
repository) on a ``python3`` kernel that is this interpreter: a temporary
kernelspec pointing at ``sys.executable`` is put first on ``JUPYTER_PATH``, so a
``python3`` kernelspec of some other Python on the machine is never picked up.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[test]')")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -e '.[test]')")
kernelspec = pytest.importorskip("jupyter_client.kernelspec", reason="jupyter_client is not installed")

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
EXPLORE = NOTEBOOKS_DIR / "01-explore-sample-organization.ipynb"
DIAGNOSE = NOTEBOOKS_DIR / "02-diagnose-access-denied.ipynb"
REVIEW = NOTEBOOKS_DIR / "03-review-a-change.ipynb"
NOTEBOOKS = [EXPLORE, DIAGNOSE, REVIEW]
CELL_TIMEOUT = 120

# appended to the in-memory copy only: which Python and which graphiam the kernel really ran
_PROBE = "import sys, graphiam\nprint('PROBE', sys.executable)\nprint('PROBE', graphiam.__file__)"


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _cell(nb, tag: str):
    tagged = [cell for cell in nb.cells if tag in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"expected one cell tagged {tag!r}, found {len(tagged)}"
    return tagged[0]


def _text(cell) -> str:
    """All text a code cell produced: streams, and text/plain or text/html of results and displays."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") in ("execute_result", "display_data"):
            data = output.get("data", {})
            parts.append(data.get("text/html", "") + data.get("text/plain", ""))
    return "".join(parts)


@pytest.fixture
def own_python_kernel(tmp_path, monkeypatch):
    """A ``python3`` kernelspec that runs this interpreter, first on JUPYTER_PATH for the test."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3",
        "language": "python",
    }), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    spec = kernelspec.KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[0] == sys.executable, spec.argv
    assert Path(spec.resource_dir) == spec_dir
    return spec


def _execute(path: Path):
    """The notebook executed in memory (plus a probe cell at the end); a cell error raises CellExecutionError."""
    nb = copy.deepcopy(_read(path))
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE))
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    client.execute()
    probe = _text(nb.cells[-1]).splitlines()
    assert probe == [f"PROBE {sys.executable}", f"PROBE {REPO_ROOT / 'graphiam' / '__init__.py'}"], \
        f"the kernel was not this interpreter with this checkout's graphiam: {probe}"
    return nb


# An executed notebook stores each access map once: its page in the iframe of the text/html output, and a
# one-line text/plain (``<InlineMap: ...>``) beside it. The rest of a notebook (tables, text) fits in this:
OTHER_OUTPUTS = 150_000  # bytes
MAP_OVERHEAD = 1.2  # what a map may take beyond its page: JSON escaping of the cell output, the iframe tag


def _map_outputs(nb) -> list[dict]:
    return [output for cell in nb.cells for output in cell.get("outputs", [])
            if "<iframe srcdoc=" in output.get("data", {}).get("text/html", "")]


def _assert_each_map_is_stored_once(nb) -> None:
    """The executed notebook's size is bounded by its maps, each counted once (plus the other outputs)."""
    maps = _map_outputs(nb)
    assert maps, "the notebook shows no map"
    for output in maps:
        plain = output["data"].get("text/plain", "")
        assert plain.startswith("<InlineMap: ") and len(plain) < 200, plain[:200]
    single = max(len(json.dumps(output["data"]["text/html"])) for output in maps)
    size = len(nbformat.writes(nb).encode("utf-8"))
    bound = len(maps) * single * MAP_OVERHEAD + OTHER_OUTPUTS
    assert size < bound, f"the executed notebook holds {size} bytes for {len(maps)} maps of {single}: over {bound:.0f}"


def test_the_notebooks_exist():
    missing = [p.name for p in NOTEBOOKS if not p.is_file()]
    assert not missing, f"missing example notebooks: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_valid_and_has_no_outputs(path):
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "a notebook without code cells"
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: clear the outputs before committing (cells {dirty})"


def test_explore_notebook_runs(own_python_kernel):
    nb = _execute(EXPLORE)
    assert all(cell.get("execution_count") for cell in nb.cells if cell.cell_type == "code")
    shown = _text(_cell(nb, "focused-map"))
    assert "<iframe srcdoc=" in shown and 'title="graphiam access map"' in shown
    assert "ProdAdmin" in shown
    _assert_each_map_is_stored_once(nb)
    # the committed file was not touched by the run
    assert not any(cell.get("outputs") for cell in _read(EXPLORE).cells if cell.cell_type == "code")


def test_diagnose_notebook_runs(own_python_kernel):
    nb = _execute(DIAGNOSE)
    confirmation = _text(_cell(nb, "confirm-fix")).splitlines()
    assert confirmation and confirmation[0].startswith(
        "REACHABLE: arn:aws:iam::222222222222:user/alice -> arn:aws:iam::333333333333:role/Deploy"), confirmation
    shown = _text(_cell(nb, "fixed-map"))
    assert "<iframe srcdoc=" in shown and 'title="graphiam access map"' in shown
    assert len(_map_outputs(nb)) == 2
    _assert_each_map_is_stored_once(nb)
    assert not any(cell.get("outputs") for cell in _read(DIAGNOSE).cells if cell.cell_type == "code")


def test_review_notebook_runs(own_python_kernel):
    nb = _execute(REVIEW)
    assert all(cell.get("execution_count") for cell in nb.cells if cell.cell_type == "code")
    (summary,) = [o for o in _cell(nb, "diff-summary").outputs if o.get("output_type") == "execute_result"]
    assert summary["data"]["text/plain"] == (
        "SnapshotDiff: 4 edges added, 0 removed, 1 changed, 2 paths opened to sensitive targets")
    table = summary["data"]["text/html"]
    assert '<table class="graphiam-opened">' in table and table.count("<tr>") == 3  # header + 2 opened paths
    assert ("arn:aws:iam::222222222222:user/alice -&gt; arn:aws:iam::333333333333:role/Deploy -&gt; "
            "arn:aws:iam::333333333333:role/AppConfig") in table
    shown = _text(_cell(nb, "diff-map"))
    assert "<iframe srcdoc=" in shown and "graphiam: what the change opens" in shown
    assert "#2ca02c" in shown  # the added edges' green, in the page's data
    assert len(_map_outputs(nb)) == 1
    _assert_each_map_is_stored_once(nb)
    assert _text(_cell(nb, "narrow-fix")).strip() == (
        "SnapshotDiff: 1 edge added, 0 removed, 2 paths opened to sensitive targets")
    assert not any(cell.get("outputs") for cell in _read(REVIEW).cells if cell.cell_type == "code")
