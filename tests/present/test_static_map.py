"""Static access maps (SVG, PNG) drawn by Graphviz: the same view as the interactive map, escaped for DOT.

The drawing tests need Graphviz's ``dot`` (Debian: ``apt-get install graphviz``;
``.ci/run`` installs it) and say they are skipped without it; the test of the
error a missing ``dot`` gives runs everywhere.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

graphviz = pytest.importorskip("graphviz", reason="the graphviz package is not installed (pip install graphviz)")

import graphiam
from builders import Org, allow, role_arn, trust_account, user_arn
from graphiam.present.map import MapOptions, MapSelectionError, MapTooLarge, account_colour, map_view
from graphiam.present.static_map import StaticMapError, dot_text, static_map_graph, write_static_map
from graphiam.present.text import terminal_safe

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-org"
SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")

ALICE = user_arn("222222222222", "alice")
DEPLOY = role_arn("333333333333", "Deploy")


@pytest.fixture(scope="module")
def sample():
    return graphiam.load(SAMPLE)


def svg_texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def denied_paths(root: ET.Element) -> list[ET.Element]:
    """The SVG paths drawn red and dashed: the denied direct request."""
    return [p for p in root.iter(f"{SVG}path")
            if p.get("stroke", "").lower() == "#d62728" and p.get("stroke-dasharray")]


@needs_dot
def test_svg_parses_and_holds_the_labels_and_the_red_dashed_denied_edge(sample, tmp_path):
    out = tmp_path / "why.svg"
    summary = write_static_map(sample.graph, sample.snapshot, out, MapOptions(accounts=("333333333333",)),
                               sample.path("alice", DEPLOY), "svg")
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg"
    texts = svg_texts(root)
    for label in ("alice", "Deploy", "BreakGlass", "denied: trust", "333333333333 acme-prod"):
        assert label in texts, label
    assert "Organization" in texts and "AccountAccessRole" in texts  # a long name in two lines
    red = denied_paths(root)
    assert red, "no red dashed edge"
    assert summary.nodes == len(map_view(sample.graph, sample.snapshot, MapOptions(accounts=("333333333333",)),
                                         sample.path("alice", DEPLOY)).nodes)
    # the nodes are filled with their account's colour, as in the interactive map
    fills = {p.get("fill", "").lower() for p in root.iter() if p.tag in (f"{SVG}polygon", f"{SVG}ellipse")}
    assert account_colour("222222222222") in fills and account_colour("333333333333") in fills
    assert [p.name for p in tmp_path.iterdir()] == ["why.svg"]  # written whole, no temporary file left


@needs_dot
def test_a_reachable_path_is_drawn_red_and_has_no_denied_edge(sample, tmp_path):
    out = tmp_path / "path.svg"
    write_static_map(sample.graph, sample.snapshot, out, MapOptions(), sample.path("grace", "AppConfig"), "svg")
    root = ET.parse(out).getroot()
    assert denied_paths(root) == []
    thick_red = [p for p in root.iter(f"{SVG}path") if p.get("stroke", "").lower() == "#d62728"
                 and not p.get("stroke-dasharray") and float(p.get("stroke-width", "1")) >= 4]
    assert len(thick_red) >= 3  # grace -> Hub -> Deploy -> AppConfig (plus the legend's sample)


@needs_dot
def test_png_starts_with_the_png_signature(sample, tmp_path):
    out = tmp_path / "map.png"
    write_static_map(sample.graph, sample.snapshot, out, MapOptions(focus="grace", depth=1), None, "png")
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 5_000


def test_a_missing_dot_is_one_line_saying_what_to_install(sample, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "map.svg"
    with pytest.raises(StaticMapError) as caught:
        write_static_map(sample.graph, sample.snapshot, out, MapOptions(), None, "svg")
    message = str(caught.value)
    assert isinstance(caught.value, ValueError) and "\n" not in message
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert not out.exists()


def test_dot_failing_later_is_the_same_one_line_error(sample, tmp_path, monkeypatch):
    # dot found by the check, then gone when it is run (or found by the package under another name)
    import graphiam.present.static_map as static_map

    monkeypatch.setattr(static_map.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(StaticMapError, match="apt-get install graphviz"):
        write_static_map(sample.graph, sample.snapshot, tmp_path / "x.svg", MapOptions(), None, "svg")


def test_an_unknown_format_and_the_map_errors(sample, tmp_path):
    with pytest.raises(StaticMapError, match="svg, png"):
        write_static_map(sample.graph, sample.snapshot, tmp_path / "x.pdf", MapOptions(), None, "pdf")
    if shutil.which("dot"):
        with pytest.raises(MapTooLarge):
            write_static_map(sample.graph, sample.snapshot, tmp_path / "x.svg", MapOptions(max_nodes=3), None, "svg")
        with pytest.raises(MapSelectionError, match="no account 123"):
            write_static_map(sample.graph, sample.snapshot, tmp_path / "x.svg", MapOptions(accounts=("123",)), None)
    assert list(tmp_path.iterdir()) == []


HOSTILE = 'q"uo\\te\\" <b>x</b> \\N \\l\nnew line & <script>alert(1)</script>'


def test_dot_text_keeps_every_character_as_text():
    text = dot_text(HOSTILE)
    assert isinstance(text, graphviz.quoting.NoHtml)  # never an HTML label
    assert "\n" not in text  # the newline is DOT's \n escape
    assert "\\\\N" in text and "\\\\l" in text  # no \N (node name) or \l (left-justify) escapes
    quoted = graphviz.quoting.quote(text)
    assert quoted.startswith('"') and quoted.endswith('"')
    assert graphviz.quoting.quote(dot_text("<b>bold</b>")) == '"<b>bold</b>"'


def hostile_access() -> graphiam.AccessGraph:
    org = Org()
    org.with_organization = True  # the organization file names the accounts
    dev = org.account("222222222222", name='dev "</text><script>alert(1)</script>')
    dev.user("mallory", allow("sts:AssumeRole", "*", sid='S"id\\'), tags={"note": HOSTILE})
    org.account("333333333333").role("Deploy", trusts=trust_account("222222222222"), tags={"owner": HOSTILE})
    org.account("333333333333").role("Other", trusts=trust_account("444444444444"))
    return graphiam.AccessGraph(org.snapshot())


@needs_dot
def test_hostile_snapshot_strings_reach_the_svg_as_text(tmp_path):
    access = hostile_access()
    graph = access.graph
    # a node whose very name is hostile (a snapshot's names are checked by the reader; a graph's are not)
    name = 'mal"lo\\ry<i>\\N'
    graph.add_node(f"arn:aws:iam::222222222222:user/{name}", kind="user", account="222222222222", name=name, tags={})
    out = tmp_path / "hostile.svg"
    result = access.path(user_arn("222222222222", "mallory"), role_arn("333333333333", "Other"))
    title = 't"itle\\ <x> \\G'
    write_static_map(graph, access.snapshot, out, MapOptions(title=title), result, "svg")
    root = ET.parse(out).getroot()  # well-formed XML: nothing the names hold escaped it
    texts = svg_texts(root)
    assert name in texts and title in texts  # shown exactly: quotes, backslashes, no \N or \G expansion
    assert 'dev "</text><script>alert(1)</script>' in " ".join(texts)  # the account's name, in the legend
    assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("script", "b", "i", "foreignObject")]
    tooltips = [a.get("{http://www.w3.org/1999/xlink}title", "") for a in root.iter(f"{SVG}a")]
    mallory = next(t for t in tooltips if t.startswith("arn:aws:iam::222222222222:user/mallory\nkind: user"))
    # one line per item, the tag's own newline shown as \n: exactly what the interactive map's tooltip says
    assert f"tag note = {terminal_safe(HOSTILE, one_line=True)}" in mallory.split("\n")
    sid = next(t for t in tooltips if "statement S" in t)
    assert 'statement S"id\\' in sid
    assert any(t.startswith(title) for t in tooltips)


def test_the_dot_source_never_holds_a_raw_newline_in_a_value():
    access = hostile_access()
    view = map_view(access.graph, access.snapshot)
    source = static_map_graph(view, "a\ntitle").source
    assert 'label="a\\ntitle"' in source  # the title's newline: DOT's \n escape, not a raw line break
    statements = [line for line in source.splitlines() if line.strip() not in ("", "}")]
    assert all(line.startswith(("digraph", "\t", "subgraph")) for line in statements), statements
    assert "n0 [" in source and "arn:aws" not in source.split("[", 1)[0]  # ids are n0, n1, ...: no ARN as a DOT id
