"""Access maps as files: self-contained, the right view, escaped (the browser test opens them)."""

from __future__ import annotations

import json
import re
from dataclasses import replace as _replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyvis", reason="the map extra (pyvis) is not installed")

import graphiam
from builders import Org, allow, role_arn, trust, trust_account, trust_service, user_arn
from graphiam.policy import Blocker
from graphiam.present.map import (DENIED, InlineMap, MapOptions, MapSelectionError, MapTooLarge, account_colour,
                                  condition_label, map_view, node_label, render_map, vis_css)

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
    assume_or_pass = [e for e in sample.graph.edges(keys=True) if e[2].startswith(("can_assume", "can_pass"))]
    assert len([e for e in data["edges"] if e["edgeType"] != "member_of"]) == len(assume_or_pass)
    # technique edges only when asked for, in their own style and labelled with the technique id
    page, _ = render_map(sample.graph, sample.snapshot, MapOptions(escalation=True))
    drawn = [e for e in page_data(page)["edges"] if e["edgeType"] == "can_escalate"]
    techniques = [e for e in sample.graph.edges(keys=True, data=True) if e[2] == "can_escalate"]
    assert drawn and len(drawn) == len(techniques)
    assert all(e["dashes"] == [2, 5] and e["label"] for e in drawn)
    assert {e["label"].split(" +")[0] for e in drawn} == {d["technique"]["id"] for *_, d in techniques}
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


# -- issue 12: stable colours, selection errors, the missing path drawn, labels, the notebook repr ------------


ALICE = user_arn("222222222222", "alice")
DEPLOY = role_arn("333333333333", "Deploy")


def colours_of(data: dict) -> dict[str, str]:
    """account -> colour, from a page's legend, checked against the colour of each node of that account."""
    legend = {a["account"]: a["colour"] for a in data["legend"]["accounts"]}
    for node in data["nodes"]:
        if node["account"]:
            assert node["color"]["background"] == legend[node["account"]], node["id"]
    return legend


def test_an_account_has_the_same_colour_in_every_view(sample):
    whole = colours_of(page_data(render(sample)[0]))
    filtered = colours_of(page_data(render(sample, MapOptions(accounts=("333333333333",)))[0]))
    focus = colours_of(page_data(render(sample, MapOptions(focus="BreakGlass", depth=1))[0]))
    path = colours_of(page_data(render(sample, path=("alice", DEPLOY))[0]))
    for view in (filtered, focus, path):
        assert view and all(whole[account] == colour for account, colour in view.items())
    assert filtered["333333333333"] == focus["333333333333"] == account_colour("333333333333")
    assert inline_colour(sample) == account_colour("222222222222")


def inline_colour(sample) -> str:
    """alice's colour in a notebook map (the same renderer, through the facade)."""
    inline = sample.map(focus="alice", depth=1)
    block = re.search(r'<script id="graphiam-data" type="application/json">(.*?)</script>', inline.html, re.S)
    nodes = {n["id"]: n for n in json.loads(block.group(1))["nodes"]}
    return nodes[ALICE]["color"]["background"]


def test_account_colours_are_fixed_values_of_the_id():
    # the colour is part of what people learn to read: it does not change between runs or releases
    assert account_colour("222222222222") == "#b8d322"
    assert account_colour("333333333333") == "#a147e1"
    assert re.fullmatch(r"#[0-9a-f]{6}", account_colour("123456789012"))
    assert len({account_colour(a * 12) for a in "123456"}) == 6  # the sample's accounts are told apart


ACCOUNT_IDS = st.text(alphabet="0123456789", min_size=12, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mine=ACCOUNT_IDS, others=st.lists(ACCOUNT_IDS, max_size=4, unique=True), data=st.data())
def test_a_colour_depends_on_the_id_alone(mine, others, data):
    others = [a for a in others if a != mine]
    shown = data.draw(st.permutations([mine, *others]))
    org = Org()
    for account in shown:
        org.account(account).user("u")
    access = graphiam.AccessGraph(org.snapshot())
    view = map_view(access.graph, access.snapshot)
    colours = {a: c for a, _, c in view.accounts}
    assert colours[mine] == account_colour(mine)
    alone = Org()
    alone.account(mine).user("u")
    access = graphiam.AccessGraph(alone.snapshot())
    assert {a: c for a, _, c in map_view(access.graph, access.snapshot).accounts} == {mine: colours[mine]}


def test_an_unknown_account_is_an_error_that_lists_the_accounts(sample):
    with pytest.raises(MapSelectionError) as caught:
        render(sample, MapOptions(accounts=("333333333333", "123")))
    message = str(caught.value)
    assert isinstance(caught.value, ValueError) and "\n" not in message
    assert message.startswith("no account 123 in the snapshot; accounts: ")
    assert "111111111111 (acme-management)" in message and "222222222222 (acme-identity)" in message
    assert "999999999999" in message  # an outside account a map can show is listed too


def test_the_account_list_is_capped():
    org = Org()
    for number in range(30):
        org.account(f"{number:012d}").user("u")
    access = graphiam.AccessGraph(org.snapshot())
    with pytest.raises(MapSelectionError, match=r"and 18 more$"):
        render(access, MapOptions(accounts=("999999999999",)))


def test_a_focus_that_is_no_node_is_an_error(sample):
    with pytest.raises(MapSelectionError, match="^focus nobody: no user or role of that name"):
        render(sample, MapOptions(focus="nobody"))
    with pytest.raises(MapSelectionError, match="no such principal"):
        render(sample, MapOptions(focus="arn:aws:iam::333333333333:role/Nope\nforged line"))
    with pytest.raises(MapSelectionError) as caught:
        render(sample, MapOptions(focus="arn:aws:iam::333333333333:role/Nope\nforged line"))
    assert "\n" not in str(caught.value)


def denied_edges(data: dict) -> list[dict]:
    return [e for e in data["edges"] if e["edgeType"] == DENIED]


def test_a_missing_path_is_drawn_as_a_red_dashed_edge_labelled_with_its_blockers(sample):
    data = page_data(render(sample, path=("alice", DEPLOY))[0])
    edge, = denied_edges(data)
    assert (edge["from"], edge["to"]) == (ALICE, DEPLOY)
    assert edge["dashes"] and edge["color"]["color"] == "#d62728" and edge["color"]["opacity"] == 1
    assert edge["label"] == "denied: trust" and edge["denied"] is True
    assert "[trust, implicit deny] The trust policy of" in edge["title"]
    assert data["legend"]["denied"] is True
    # the roles alice can reach stay in full colour: the gap shows
    nodes = {n["id"]: n for n in data["nodes"]}
    for arn in (ALICE, DEPLOY, role_arn("333333333333", "BreakGlass"), role_arn("333333333333", "ProdReadOnly")):
        assert nodes[arn]["opacity"] == 1, arn
    assert nodes[role_arn("333333333333", "AppConfig")]["opacity"] < 1  # unrelated to the question: dimmed
    # a reachable path has no such edge
    assert denied_edges(page_data(render(sample, path=("grace", "AppConfig"))[0])) == []
    assert page_data(render(sample, path=("grace", "AppConfig"))[0])["legend"]["denied"] is False


def test_the_denied_label_comes_from_the_blocking_layers_not_the_explanations(sample):
    scp = page_data(render(sample, path=("StagingCI", DEPLOY))[0])
    assert denied_edges(scp)[0]["label"] == "denied: SCP (explicit deny)"
    result = sample.path("alice", DEPLOY)
    # messages that mention other layers change nothing: only each blocker's layer and effect count
    made_up = _replace(result, blockers=(
        Blocker(layer="rcp", effect="explicit_deny", message="the trust policy and the SCP say no"),
        Blocker(layer="permissions_boundary", effect="implicit_deny", message="trust"),
        Blocker(layer="rcp", effect="explicit_deny", message="a second RCP level")))
    data = page_data(render_map(sample.graph, sample.snapshot, MapOptions(), made_up)[0])
    assert denied_edges(data)[0]["label"] == "denied: RCP (explicit deny), boundary"


def test_a_missing_pass_names_the_service(sample):
    result = sample.path("Deploy", "EC2-roles-for-XYZ-batch", "iam:PassRole", "ec2.amazonaws.com")
    assert not result.reachable
    data = page_data(render_map(sample.graph, sample.snapshot, MapOptions(), result)[0])
    assert denied_edges(data)[0]["label"].startswith("pass to ec2 denied: ")


def test_edges_between_the_same_two_nodes_curve_apart():
    org = Org()
    prod = org.account("333333333333")
    a = prod.role("A", allow(["sts:AssumeRole", "iam:PassRole"], "*"), trusts=trust_account("333333333333"))
    b = prod.role("B", allow("sts:AssumeRole", "*"),
                  trusts=[trust_account("333333333333"), trust_service("ec2.amazonaws.com"),
                          trust_service("lambda.amazonaws.com")])
    access = graphiam.AccessGraph(org.snapshot())
    data = page_data(render(access)[0])
    between = [e for e in data["edges"] if {e["from"], e["to"]} == {a, b}]
    assert len(between) >= 3  # A assumes B, B assumes A, A passes B to ec2 and to lambda
    shapes = {(e["from"], (e.get("smooth") or {}).get("type"), (e.get("smooth") or {}).get("roundness")) for e in between}
    assert len(shapes) == len(between), between  # no two drawn on the same curve
    assert all(e["smooth"]["type"] == "curvedCW" for e in between)


def test_labels_are_legible_and_short(sample):
    data = page_data(render(sample)[0])
    labelled = [e for e in data["edges"] if e["label"]]
    assert labelled and all(e["font"]["size"] >= 14 and e["font"]["strokeWidth"] >= 3 for e in labelled)
    assert all(max(len(line) for line in n["label"].split("\n")) <= 24 for n in data["nodes"])
    assert node_label("OrganizationAccountAccessRole") == "Organization\nAccountAccessRole"
    assert node_label("EC2-roles-for-XYZ-worker") == "EC2-roles-\nfor-XYZ-worker"
    assert node_label("a\nforged\tline") == "a forged line"
    nodes = {n["id"]: n for n in data["nodes"]}
    autoscaling = "arn:aws:iam::333333333333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert nodes[autoscaling]["name"] == "AWSServiceRoleForAutoScaling"
    assert nodes[autoscaling]["label"] == "AWSServiceRole\nForAutoScaling"
    assert data["options"]["layout"]["randomSeed"] is not None  # one snapshot, one picture


def test_the_focus_node_is_marked(sample):
    data = page_data(render(sample, MapOptions(focus="grace", depth=1))[0])
    grace = {n["id"]: n for n in data["nodes"]}[user_arn("222222222222", "grace")]
    assert grace["borderWidth"] > 1 and grace["onPath"] is False


def test_a_caller_outside_the_snapshot_can_be_mapped(sample):
    outside = "arn:aws:iam::888888888888:role/uploader"
    page, summary = render(sample, path=(outside, "arn:aws:iam::444444444444:role/PartnerIntake"))
    data = page_data(page)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes[outside]["kind"] == "external_principal" and nodes[outside]["onPath"]
    assert [(e["from"], e["onPath"]) for e in data["edges"] if e["from"] == outside] == [(outside, True)]


# -- notebooks: one short text line, the page stored once ------------------------------------------------

def test_inline_map_repr_is_one_short_line(sample):
    inline = sample.map(focus="grace", depth=1)
    text = repr(inline)
    assert re.fullmatch(r"<InlineMap: \d+ nodes, \d+ edges, \d+ KB; display it, or \.save\('map\.html'\)>", text), text
    assert len(text) < 120 and "<script" not in text and str(inline) == text
    assert f"{inline.nodes} nodes, {inline.edges} edges" in text
    assert InlineMap("x" * 3_000_000, 1, 2).__repr__().endswith("2.9 MB; display it, or .save('map.html')>")
    pretty = pytest.importorskip("IPython.lib.pretty")
    assert pretty.pretty(inline) == text  # what Jupyter stores as text/plain


def test_the_page_inlines_vis_network_once_and_only_the_css_it_uses(sample):
    page, _ = render(sample)
    srcdoc = sample.map()._repr_html_()
    for text in (page, srcdoc):
        assert text.count("A dynamic, browser-based visualization library.") == 1
    assert "data:image/png;base64" not in page  # the buttons and configurator a map turns off
    assert "div.vis-tooltip{" in vis_css() and len(vis_css()) < 5_000
    assert len(page) < 750_000  # the sample organization (75 principals, Identity Center) is ~705 KB


def test_a_provider_edge_says_who_it_lets_in(sample):
    data = page_data(render(sample)[0])
    github = next(e for e in data["edges"] if e["from"].endswith(":oidc-provider/token.actions.githubusercontent.com")
                  and e["to"].endswith(":role/GitHubActions"))
    assert github["label"] == "acme/app on refs/heads/main"
    assert "lets in: acme/app on refs/heads/main" in github["title"]
    anyone = next(e for e in data["edges"] if e["to"].endswith(":role/GitHubAnyRepo"))
    assert "any repository" in anyone["label"]
