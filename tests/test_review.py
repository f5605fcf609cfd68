"""graphiam.diff(old, new): the notebook face of ``graphiam diff`` (graphiam/review.py), on builder scenarios."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

import graphiam
from builders import Org, allow, role_arn, trust_arn, user_arn
from graphiam.access import AccessGraph
from graphiam.present.frames import COLUMN_DTYPES, DIFF_EDGE_COLUMNS, DIFF_REACH_COLUMNS
from graphiam.present.map import ADDED_GREEN, REMOVED_GREY, InlineMap, MapTooLarge
from graphiam.review import SnapshotDiff

DEV, PROD = "222222222222", "333333333333"
ALICE, BOB = user_arn(DEV, "alice"), user_arn(DEV, "bob")
CI, ADMIN = role_arn(DEV, "CI"), role_arn(PROD, "ProdAdmin")
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
PAYLOAD = "</td></script><img src=x onerror=alert(1)>"


def org(*, admin_trusts=None, ci: bool = True, admin_condition: dict | None = None, ci_sid: str | None = None) -> Org:
    """alice reaches ProdAdmin; bob reaches CI; ProdAdmin trusts CI only when ``admin_trusts`` says so."""
    built = Org(management="111111111111")
    built.account("111111111111")
    dev = built.account(DEV)
    dev.user("alice", allow("sts:AssumeRole", "*"))
    dev.user("bob", allow("sts:AssumeRole", CI))
    if ci:
        dev.role("CI", allow("sts:AssumeRole", "*", sid=ci_sid), trusts=trust_arn(BOB))
    built.account(PROD).role("ProdAdmin", allow("*", "*"),
                             trusts=admin_trusts or trust_arn(ALICE, condition=admin_condition))
    built.full_access_everywhere()
    return built


def trust_added() -> tuple[AccessGraph, AccessGraph]:
    """ProdAdmin's trust gains CI: bob -> CI -> ProdAdmin opens (and CI -> ProdAdmin)."""
    return AccessGraph(org().snapshot()), AccessGraph(org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)]).snapshot())


@pytest.fixture(scope="module")
def opened() -> SnapshotDiff:
    return graphiam.diff(*trust_added())


def page_data(page: str) -> dict:
    block = re.search(r'<script id="graphiam-data" type="application/json">(.*?)</script>', page, re.S)
    assert block, "the data block is missing"
    return json.loads(block.group(1))


def edge(data: dict, source: str, target: str, key: str = "can_assume") -> dict:
    (found,) = [e for e in data["edges"] if e["id"] == f"{source}|{target}|{key}"]
    return found


def assert_contract_dtypes(frame: pd.DataFrame) -> None:
    for column in frame.columns:
        assert str(frame[column].dtype) == COLUMN_DTYPES[column], (column, frame[column].dtype)


# -- graphiam.diff ------------------------------------------------------------------------------

def test_graphiam_diff_is_the_public_entry_point():
    assert graphiam.diff is graphiam.review.diff and "diff" in graphiam.__all__ and "SnapshotDiff" in graphiam.__all__


def test_the_opened_pairs_and_the_edge_that_opened_them(opened):
    assert {(c.source, c.target) for c in opened.opened} == {(BOB, ADMIN), (CI, ADMIN)}
    assert [(e.kind, e.source, e.target) for e in opened.edges] == [("added", CI, ADMIN)]
    assert opened.closed == () and opened.sensitive == ()
    assert opened.to_dict()["summary"]["reach_added"] == 2 and opened.to_dict() == opened.graph_diff.to_dict()
    assert isinstance(opened.old, AccessGraph) and isinstance(opened.new, AccessGraph)


def test_paths_and_lists_of_paths_are_loaded(tmp_path):
    old_dir = org().write(tmp_path / "old")
    new_dir = org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)]).write(tmp_path / "new")
    from_folders = graphiam.diff(str(old_dir), new_dir)
    files = sorted(new_dir.rglob("*.json"))
    from_files = graphiam.diff([old_dir], [str(f) for f in files])
    for result in (from_folders, from_files):
        assert {(c.source, c.target) for c in result.opened} == {(BOB, ADMIN), (CI, ADMIN)}
    assert not graphiam.diff(old_dir, old_dir).opened
    with pytest.raises(TypeError, match="old must be an AccessGraph, a path, or a list of paths; got int"):
        graphiam.diff(3, new_dir)  # type: ignore[arg-type]


def test_sensitive_patterns_limit_the_paths_and_a_single_pattern_is_a_string():
    old, new = trust_added()
    assert {c.source for c in graphiam.diff(old, new, sensitive="arn:aws:iam::*:role/ProdAdmin").opened} == {BOB, CI}
    assert not graphiam.diff(old, new, sensitive=["arn:aws:iam::*:role/Nothing*"]).opened
    # "admin": the administrators of either snapshot (ProdAdmin allows "*")
    assert {(c.source, c.target) for c in graphiam.diff(old, new, sensitive="admin").opened} >= {(BOB, ADMIN)}


# -- repr and notebook HTML ---------------------------------------------------------------------

def test_repr_is_one_line_with_the_counts(opened):
    assert repr(opened) == "SnapshotDiff: 1 edge added, 0 removed, 2 paths opened"
    old, new = trust_added()
    assert repr(graphiam.diff(old, new, sensitive=["arn:aws:iam::*:role/ProdAdmin"])) == (
        "SnapshotDiff: 1 edge added, 0 removed, 2 paths opened to sensitive targets")
    deleted = graphiam.diff(new, AccessGraph(org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)], ci=False).snapshot()))
    assert repr(deleted) == "SnapshotDiff: 0 edges added, 2 removed, 0 paths opened, 3 closed"
    tightened = graphiam.diff(old, AccessGraph(org(admin_condition=MFA).snapshot()))
    assert repr(tightened) == "SnapshotDiff: 0 edges added, 0 removed, 1 changed, 0 paths opened"
    pretty = pytest.importorskip("IPython.lib.pretty")
    assert pretty.pretty(opened) == repr(opened)  # what Jupyter stores as text/plain


def test_repr_html_is_a_table_of_the_opened_paths(opened):
    html = opened._repr_html_()
    assert html.startswith('<div class="graphiam-diff">')
    assert "<strong>SnapshotDiff</strong>: 1 edge added, 0 removed, 2 paths opened" in html
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert len(rows) == 3  # the header and one row per opened path
    bob = next(row for row in rows if f"<td><code>{BOB}</code></td>" in row)
    assert f"<code>{BOB} -&gt; {CI} -&gt; {ADMIN}</code>" in bob  # the chain, escaped
    assert f"<code>{CI}</code> &rarr; <code>{ADMIN}</code>" in bob  # the new edge that opened it
    assert "trust: arn:aws:iam::333333333333:role/ProdAdmin statement #2" in bob and "CI-inline" in bob
    assert "<td>2</td>" in bob
    old, _ = trust_added()
    same = graphiam.diff(old, old)._repr_html_()
    assert "No new path." in same and "<table" not in same


def test_snapshot_strings_are_escaped_in_the_html_and_the_map():
    old = AccessGraph(org(ci_sid="X" + PAYLOAD).snapshot())
    new = AccessGraph(org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)], ci_sid="X" + PAYLOAD).snapshot())
    result = graphiam.diff(old, new)
    html = result._repr_html_()
    assert "<img" not in html and "</script>" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    page = result.map().html
    assert "<img" not in page and PAYLOAD not in page
    assert PAYLOAD in edge(page_data(page), CI, ADMIN)["title"]  # still there, as data
    assert PAYLOAD in result.edges_frame().granted_by.iloc[0]


# -- frames ---------------------------------------------------------------------------------------

def test_edges_frame_has_one_row_per_changed_edge(opened):
    frame = opened.edges_frame()
    assert tuple(frame.columns) == DIFF_EDGE_COLUMNS
    assert_contract_dtypes(frame)
    assert str(frame["granted_by"].dtype) == "str" and str(frame["conditional"].dtype) == "bool"
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row.kind, row.source, row.target, row.edge_type, row.action) == ("added", CI, ADMIN, "can_assume",
                                                                              "sts:AssumeRole")
    assert (row.source_account, row.target_account) == (DEV, PROD)
    assert pd.isna(row.service) and row.what == "" and not row.conditional and row.condition_keys == ""
    assert row.granted_by == "trust: arn:aws:iam::333333333333:role/ProdAdmin statement #2; identity: CI-inline statement #1"
    assert row.policies == "CI-inline, arn:aws:iam::333333333333:role/ProdAdmin"


def test_reach_frame_has_one_row_per_opened_path_with_its_chain(opened):
    frame = opened.reach_frame()
    assert tuple(frame.columns) == DIFF_REACH_COLUMNS
    assert_contract_dtypes(frame)
    assert str(frame["chain"].dtype) == "str" and str(frame["hops"].dtype) == "int64"
    assert list(zip(frame.kind, frame.source, frame.target)) == [("added", CI, ADMIN), ("added", BOB, ADMIN)]
    bob = frame[frame.source == BOB].iloc[0]
    assert bob.chain == f"{BOB} -> {CI} -> {ADMIN}" and bob.hops == 2 and not bob.conditional
    assert bob.because == f"{CI} -> {ADMIN}"  # bob -> CI was there before
    assert bob.granted_by.startswith("trust: arn:aws:iam::333333333333:role/ProdAdmin statement #2")
    assert bob.policies == "CI-inline, arn:aws:iam::333333333333:role/ProdAdmin"


def test_a_tightened_trust_is_a_changed_row_and_opens_nothing():
    old, _ = trust_added()
    result = graphiam.diff(old, AccessGraph(org(admin_condition=MFA).snapshot()))
    frame = result.edges_frame()
    assert list(frame.kind) == ["changed"]
    row = frame.iloc[0]
    assert (row.source, row.target) == (ALICE, ADMIN) and row.conditional
    assert row.what == "now conditional (tightened)" and row.condition_keys == "aws:MultiFactorAuthPresent"
    reach = result.reach_frame()
    assert reach.empty and tuple(reach.columns) == DIFF_REACH_COLUMNS
    assert_contract_dtypes(reach)  # the contract dtypes also without rows


def test_a_deleted_role_gives_removed_rows_taken_from_the_old_graph():
    _, before = trust_added()
    after = AccessGraph(org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)], ci=False).snapshot())
    result = graphiam.diff(before, after)
    edges = result.edges_frame()
    assert set(edges.kind) == {"removed"} and set(zip(edges.source, edges.target)) == {(BOB, CI), (CI, ADMIN)}
    assert set(edges.action) == {"sts:AssumeRole"} and set(edges.source_account) == {DEV}  # the old graph's data
    reach = result.reach_frame()
    assert set(reach.kind) == {"removed"}
    bob = reach[(reach.source == BOB) & (reach.target == ADMIN)].iloc[0]
    assert bob.chain == f"{BOB} -> {CI} -> {ADMIN}" and bob.because == f"{BOB} -> {CI}, {CI} -> {ADMIN}"


# -- the map ----------------------------------------------------------------------------------------

def test_map_draws_the_added_edge_green_and_the_opened_path(opened):
    shown = opened.map()
    assert isinstance(shown, InlineMap) and shown.html.startswith("<!DOCTYPE html>")
    data = page_data(shown.html)
    added = edge(data, CI, ADMIN)
    assert added["change"] == "added" and added["color"]["color"] == ADDED_GREEN and added["width"] == 5.0
    assert added["label"] == "added" and added["title"].startswith("ADDED by the change")
    older = edge(data, BOB, CI)  # was there before: on the opened path, green and thinner
    assert older["change"] == "opened" and older["color"]["color"] == ADDED_GREEN and older["width"] < added["width"]
    context = edge(data, ALICE, ADMIN)  # unchanged: context, dimmed
    assert "change" not in context and context["color"]["opacity"] < 1
    on_path = {n["id"] for n in data["nodes"] if n["onPath"]}
    assert on_path == {BOB, CI, ADMIN}
    assert [c["kind"] for c in data["legend"]["changes"]] == ["added", "opened", "removed"]
    assert data["diff"]["opened"] == [[CI, ADMIN], [BOB, CI, ADMIN]]
    assert data["diff"]["summary"] == "1 edge added, 0 removed, 2 paths opened"
    assert shown.nodes == len(data["nodes"]) and shown.edges == len(data["edges"])


def test_map_page_loads_nothing_from_any_host(opened):
    page = opened.map().html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.I) and not re.search(r"<link\b", page, re.I)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?(https?:)?//", page, re.I)
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "bootstrap" not in page.lower()
    assert "default-src 'none'" in page
    assert page.count("A dynamic, browser-based visualization library.") == 1  # vis-network, inlined once
    assert 'document.body.setAttribute("data-diff", "true")' in page  # the diff view's own script


def test_map_draws_removed_edges_dashed_grey_from_the_old_graph():
    _, before = trust_added()
    after = AccessGraph(org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)], ci=False).snapshot())
    data = page_data(graphiam.diff(before, after).map().html)
    for source, target in ((BOB, CI), (CI, ADMIN)):
        gone = edge(data, source, target)
        assert gone["change"] == "removed" and gone["color"]["color"] == REMOVED_GREY and gone["dashes"] is True
        assert gone["label"] == "removed" and "REMOVED by the change" in gone["title"]
    ci = next(n for n in data["nodes"] if n["id"] == CI)  # only the old graph has it
    assert ci["change"] == "removed" and ci["dimmed"] and "only in the old snapshot" in ci["title"]
    assert [c["kind"] for c in data["legend"]["changes"]] == ["added", "removed"]
    assert data["diff"]["closed"] and data["diff"]["opened"] == []


def test_map_depth_and_limit():
    old, new = trust_added()
    result = graphiam.diff(old, new)
    assert {n["id"] for n in page_data(result.map(depth=0).html)["nodes"]} == {BOB, CI, ADMIN}
    assert ALICE in {n["id"] for n in page_data(result.map(depth=1).html)["nodes"]}
    with pytest.raises(MapTooLarge, match="over the limit of 2"):
        result.map(max_nodes=2)


def test_an_ordinary_map_is_unchanged_by_the_diff_view():
    _, new = trust_added()
    page = new.map().html
    data = page_data(page)
    assert "diff" not in data and "changes" not in data["legend"]
    assert not any("change" in e for e in data["edges"]) and not any("change" in n for n in data["nodes"])
    assert 'data-diff' not in page


def test_import_graphiam_loads_the_review_module_on_first_use():
    import subprocess
    import sys

    code = ("import sys, graphiam\n"
            "assert 'graphiam.review' not in sys.modules\n"
            "from graphiam import diff, SnapshotDiff\n"
            "assert diff is graphiam.diff and SnapshotDiff.__module__ == 'graphiam.review'\n"
            "try:\n    graphiam.nothing_here\nexcept AttributeError as error:\n    print(error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "module 'graphiam' has no attribute 'nothing_here'"
