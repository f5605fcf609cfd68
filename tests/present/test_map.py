"""Access maps as files: self-contained, the right view, escaped (the browser test opens them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("pyvis", reason="the map extra (pyvis) is not installed")

import graphiam
from builders import Org, allow, role_arn, trust, trust_account, trust_service, user_arn
from graphiam.present.map import MapOptions, MapTooLarge, condition_label, render_map

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-org"
PAYLOAD = "</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def sample():
    return graphiam.load(SAMPLE)


def render(access: graphiam.AccessGraph, options: MapOptions = MapOptions(), path: tuple[str, str] | None = None):
    """The map page of ``access`` and its summary, with the answer to ``path`` highlighted when given."""
    return render_map(access.graph, access.snapshot, options, access.path(*path) if path else None)


def page_data(page: str) -> dict:
    block = re.search(r'<script id="graphiam-data" type="application/json">(.*?)</script>', page, re.S)
    assert block, "the data block is missing"
    return json.loads(block.group(1))


def test_the_page_loads_nothing_from_any_host(sample):
    page, _ = render(sample)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?(https?:)?//", page, re.I)
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "bootstrap" not in page.lower()
    assert "default-src 'none'" in page  # and the browser is told to refuse any request


def test_whole_sample_map_holds_every_principal_and_edge(sample):
    page, summary = render(sample)
    data = page_data(page)
    principals = {p.arn for p in sample.snapshot.all_principals()}
    assert principals <= {n["id"] for n in data["nodes"]}
    assume_or_pass = [e for e in sample.graph.edges(keys=True) if not e[2].startswith("member_of")]
    assert len([e for e in data["edges"] if e["edgeType"] != "member_of"]) == len(assume_or_pass)
    assert (summary.nodes, summary.edges) == (len(data["nodes"]), len(data["edges"]))


def test_nodes_are_shaped_by_kind_and_coloured_by_account(sample):
    data = page_data(render(sample)[0])
    by_id = {n["id"]: n for n in data["nodes"]}
    assert by_id[user_arn("222222222222", "alice")]["shape"] == "dot"
    assert by_id[role_arn("333333333333", "Deploy")]["shape"] == "diamond"
    assert by_id["ec2.amazonaws.com"]["shape"] == "triangle"
    colours = {a["account"]: a["colour"] for a in data["legend"]["accounts"]}
    assert by_id[user_arn("222222222222", "alice")]["color"]["background"] == colours["222222222222"]
    assert colours["222222222222"] != colours["333333333333"]
    assert "222222222222:user/alice" in by_id[user_arn("222222222222", "alice")]["title"]
    assert "inline policy: AssumeProdDeploy" in by_id[user_arn("222222222222", "alice")]["title"]


def test_edges_are_styled_by_type_and_conditions(sample):
    data = page_data(render(sample)[0])
    edges = {(e["from"], e["to"]): e for e in data["edges"]}
    mfa = edges[(user_arn("222222222222", "heidi"), role_arn("333333333333", "BreakGlass"))]
    assert mfa["conditional"] and mfa["label"] == "MFA" and "aws:MultiFactorAuthPresent" in mfa["title"]
    passing = edges[(role_arn("333333333333", "Deploy"), role_arn("333333333333", "EC2-roles-for-XYZ-web"))]
    assert passing["dashes"] is True and passing["label"] == "pass to ec2"
    assert "granted by identity" in passing["title"]
    plain = edges[(user_arn("222222222222", "erin"), role_arn("333333333333", "ProdAdmin"))]
    assert plain["dashes"] is False and plain["label"] == "" and not plain["conditional"]
    external = edges[("arn:aws:iam::999999999999:root", role_arn("555555555555", "ExternalAuditor"))]
    assert external["label"] == "ExternalId"


def test_condition_labels_are_short():
    assert condition_label(["aws:MultiFactorAuthPresent", "sts:ExternalId", "aws:MultiFactorAuthPresent"]) == "MFA, ExternalId"
    assert condition_label(["token.actions.githubusercontent.com:sub"]) == "sub"


def test_focus_with_depth_keeps_the_neighbourhood(sample):
    one = page_data(render(sample, MapOptions(focus="grace", depth=1))[0])
    ids = {n["id"] for n in one["nodes"]}
    assert user_arn("222222222222", "grace") in ids and role_arn("222222222222", "Hub") in ids
    assert role_arn("333333333333", "AppConfig") not in ids
    two = page_data(render(sample, MapOptions(focus="grace", depth=3))[0])
    assert role_arn("333333333333", "Deploy") in {n["id"] for n in two["nodes"]}


def test_account_filter(sample):
    data = page_data(render(sample, MapOptions(accounts=("444444444444",)))[0])
    accounts = {n["account"] for n in data["nodes"] if n["kind"] in ("user", "role")}
    assert accounts == {"444444444444"}


def test_path_is_highlighted_and_the_rest_dimmed(sample):
    data = page_data(render(sample, path=("grace", "AppConfig"))[0])
    on_path = {n["id"] for n in data["nodes"] if n["onPath"]}
    assert on_path == {user_arn("222222222222", "grace"), role_arn("222222222222", "Hub"),
                       role_arn("333333333333", "Deploy"), role_arn("333333333333", "AppConfig")}
    assert len([e for e in data["edges"] if e["onPath"]]) == 3
    assert all(n["opacity"] < 1 for n in data["nodes"] if not n["onPath"])
    assert data["result"]["reachable"] is True


def test_a_missing_path_shows_both_ends_and_the_explanation(sample):
    options = MapOptions(accounts=("333333333333",))
    data = page_data(render(sample, options, path=("alice", "arn:aws:iam::333333333333:role/Deploy"))[0])
    ids = {n["id"] for n in data["nodes"]}
    assert user_arn("222222222222", "alice") in ids  # outside the account filter, but an end of the path
    assert role_arn("333333333333", "BreakGlass") in ids  # the closest alice gets
    result = data["result"]
    assert result["reachable"] is False and result["blockers"][0]["layer"] == "trust"
    assert result["fix"][0]["statement"]["Principal"] == {"AWS": user_arn("222222222222", "alice")}


def test_maps_over_the_node_limit_are_refused_with_advice(sample):
    with pytest.raises(MapTooLarge, match="--focus ARN --depth N or --account ID"):
        render(sample, MapOptions(max_nodes=10))


def hostile_org() -> Org:
    org = Org()
    dev = org.account("222222222222")
    dev.user("mallory", allow("sts:AssumeRole", "*", sid="X" + PAYLOAD), tags={"note": PAYLOAD, PAYLOAD: "key"})
    org.account("333333333333").role(
        "Deploy", trusts=trust_account("222222222222", condition={"StringEquals": {"sts:ExternalId": PAYLOAD}}),
        tags={"owner": PAYLOAD})
    org.account("333333333333").role("Web", trusts=trust_service("ec2.amazonaws.com"))
    org.account("333333333333").role("Other", trusts=trust({"AWS": "arn:aws:iam::444444444444:root"}))
    return org


def test_snapshot_strings_never_appear_as_markup():
    access = graphiam.AccessGraph(hostile_org().snapshot())
    page, _ = render(access, path=(user_arn("222222222222", "mallory"), role_arn("333333333333", "Other")))
    assert PAYLOAD not in page and "<img" not in page
    data = page_data(page)  # the payload is still there, as data
    assert PAYLOAD in json.dumps(data, ensure_ascii=False) or PAYLOAD in str(data)


def test_cli_writes_the_map_and_says_where(tmp_path, sample):
    from graphiam.cli import main

    out = tmp_path / "map.html"
    assert main(["map", "--data", str(SAMPLE), "-o", str(out), "--path", "grace", "AppConfig"]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert main(["map", "--data", str(SAMPLE), "-o", str(tmp_path / "x.html"), "--max-nodes", "5"]) == 2


def test_inline_map_for_notebooks_is_a_sandboxed_iframe(sample):
    inline = sample.map(focus="grace", depth=1)
    html = inline._repr_html_()
    assert html.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in html
    assert "<script" not in html.split("srcdoc=", 1)[1].split('"', 2)[1]  # the page is escaped inside the attribute
    assert inline.nodes > 0 and inline.edges > 0
