"""Jupyter HTML reprs: PathResult._repr_html_ and AccessGraph._repr_html_ (graphiam/present/html.py)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

import graphiam
from builders import Org, allow, deny, role_arn, trust_account, trust_arn, user_arn
from graphiam.access import AccessGraph, PathResult
from graphiam.present.text import evidence_items

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "data" / "sample-org"
ID, PROD = "222222222222", "333333333333"
PAYLOAD = "</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def sample() -> AccessGraph:
    return graphiam.load(SAMPLE)


def visible_text(markup: str) -> str:
    """What a reader sees: tags dropped (block ones as a space), entities decoded, whitespace collapsed."""
    inline = re.sub(r"</?(?:code|strong)>", "", markup)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def squash(text: str) -> str:
    return " ".join(text.split())


def sample_results(access: AccessGraph) -> list[PathResult]:
    checks = json.loads((REPO_ROOT / "data" / "sample-checks.json").read_text())["checks"]
    out = []
    for check in checks:
        if "findings" in check:
            continue  # a findings count has no path answer to render
        if "why" in check:
            out.append(access.why(check["why"]))
        elif check.get("escalation") and check["target"] == "admin":
            out.append(access.becomes_admin(check["source"]))
        elif check.get("escalation"):
            out.append(access.path(check["source"], check["target"], escalation=True))
        else:
            out.append(access.path(check["source"], check["target"], check.get("action") or "sts:AssumeRole",
                                   check.get("service")))
    return out


# -- PathResult -----------------------------------------------------------------------

def test_reachable_chain_lists_the_hops_in_order(sample):
    result = sample.path("grace", "AppConfig")
    markup = result._repr_html_()
    assert "REACHABLE" in markup and "NOT REACHABLE" not in markup and ">conditional<" not in markup
    hops = re.search(r'<ol class="graphiam-hops">(.*?)</ol>', markup, re.S).group(1)
    starts = [hops.index(html.escape(hop.source)) for hop in result.path]
    assert len(result.path) == 3 and starts == sorted(starts)
    assert visible_text(markup).count("granted by") == sum(len(h.granted_by) for h in result.path)
    assert "in 3 hop(s)" in visible_text(markup)


def test_conditional_path_has_a_badge_and_its_conditions(sample):
    markup = sample.path("heidi", "BreakGlass")._repr_html_()
    assert ">REACHABLE<" in markup and ">conditional<" in markup
    text = visible_text(markup)
    assert "only if aws:MultiFactorAuthPresent Bool true" in text
    assert f"granted by trust: {role_arn(PROD, 'BreakGlass')} statement MFAOnly" in text


def test_not_reachable_shows_blockers_and_the_fix_as_json(sample):
    result = sample.path("alice", "Deploy")
    markup = result._repr_html_()
    assert ">NOT REACHABLE<" in markup and "<ol" not in markup
    blockers = re.search(r'<ul class="graphiam-blockers">(.*?)</ul>', markup, re.S).group(1)
    assert ">trust<" in blockers and ">implicit deny<" in blockers
    fixes = re.findall(r"<pre[^>]*>(.*?)</pre>", markup, re.S)
    assert [json.loads(html.unescape(f)) for f in fixes] == [change["statement"] for change in result.fix]
    assert f"Append this statement to the trust policy of {role_arn(PROD, 'Deploy')}:" in visible_text(markup)


def test_identity_fix_names_the_policy_and_the_principal(sample):
    text = visible_text(sample.path("bob", "StagingDeploy")._repr_html_())
    assert f"Add this statement to a new inline policy graphiam-fix on {user_arn(ID, 'bob')}:" in text


def test_explicit_deny_and_what_the_error_text_blamed(sample):
    result = sample.why("User: arn:aws:sts::444444444444:assumed-role/StagingCI/ci-build-1842 is not authorized "
                        "to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/Deploy "
                        "with an explicit deny in a service control policy")
    markup = result._repr_html_()
    assert ">scp<" in markup and ">explicit deny<" in markup and "<pre" not in markup
    text = visible_text(markup)
    assert "The error text blamed: scp (explicit_deny)" in text
    assert "No added Allow can open this" in text


def test_pass_role_header_names_the_service(sample):
    text = visible_text(sample.path("Deploy", "EC2-roles-for-XYZ-web", "iam:PassRole", "ec2.amazonaws.com")._repr_html_())
    assert "[iam:PassRole to ec2.amazonaws.com]" in text
    assert "(iam:PassRole to ec2.amazonaws.com)" in text


def test_warnings_are_listed():
    org = Org()  # no organization file: every answer warns
    org.account(ID).user("alice", allow("sts:AssumeRole", "*"))
    org.account(PROD).role("R", trusts=trust_account(ID))
    result = AccessGraph(org.snapshot()).path("alice", "R")
    markup = result._repr_html_()
    assert result.warnings
    for warning in result.warnings:
        assert f"warning: {warning}" in visible_text(markup)


def test_html_carries_what_render_text_says(sample):
    """Every granting statement, condition, blocker, fix and warning of the text answer is in the HTML."""
    for result in sample_results(sample):
        text = visible_text(result._repr_html_())
        assert f"{result.source} → {result.target}" in text
        for hop in result.path:
            assert f"{hop.source} → {hop.target}" in text
            for line in evidence_items(hop.granted_by, hop.source):
                assert f"granted by {line}" in text
            for condition in hop.conditions:
                assert squash(condition["text"]) in text
        for blocker in result.blockers:
            assert f"{blocker.layer} {blocker.effect.replace('_', ' ')} {squash(blocker.message)}" in text
        for change in result.fix:
            assert squash(json.dumps(change["statement"], indent=2)) in text
        for warning in result.warnings:
            assert squash(warning) in text


# -- AccessGraph ------------------------------------------------------------------------

def test_access_graph_summary(sample):
    text = visible_text(sample._repr_html_())
    assert "6 in organization o-a1b2c3d4e5" in text
    assert "75 (30 users, 45 roles; 5 groups)" in text
    edges = [d for _, _, d in sample.graph.edges(data=True) if d["edge_type"] in ("can_assume", "can_pass")]
    assume = sum(d["edge_type"] == "can_assume" for d in edges)
    assert f"edges {len(edges)} ({assume} can_assume, {len(edges) - assume} can_pass;" in text
    assert "warnings 0" in text


def test_access_graph_summary_without_organization_counts_warnings():
    org = Org()
    org.account(ID).user("alice")
    access = AccessGraph(org.snapshot())
    text = visible_text(access._repr_html_())
    assert "no organization file" in text
    assert f"warnings {len(access.warnings)}" in text and len(access.warnings) >= 1


# -- escaping -----------------------------------------------------------------------------

def hostile_org() -> Org:
    """A snapshot whose tag values, Sids, condition values, a path and a policy ARN are markup."""
    org = Org()
    dev = org.account(ID)
    dev.user("alice", allow("sts:AssumeRole", role_arn(PROD, "Vault"), sid=PAYLOAD), tags={"team": PAYLOAD},
             managed=(f"arn:aws:iam::{ID}:policy/{PAYLOAD}",))
    dev.user("mallory", deny("sts:AssumeRole", "*", sid=PAYLOAD), tags={"x": PAYLOAD})
    dev.user("eve", allow("sts:AssumeRole", "*", sid=PAYLOAD), path=f"/x{PAYLOAD}/")
    prod = org.account(PROD)
    prod.role("Vault", trusts=trust_account(ID, sid=PAYLOAD, condition={"StringEquals": {"sts:ExternalId": PAYLOAD}}),
              tags={"note": PAYLOAD})
    prod.role("Locked", trusts=trust_arn(user_arn(ID, "nobody"), sid=PAYLOAD), tags={"note": PAYLOAD})
    return org


def assert_inert(markup: str) -> None:
    lowered = markup.lower()
    assert "<img" not in lowered and "<script" not in lowered and "</script" not in lowered


def test_snapshot_strings_are_escaped_in_every_repr():
    access = AccessGraph(hostile_org().snapshot())
    eve = next(p.arn for p in access.snapshot.all_principals() if p.name == "eve")
    results = {
        "conditional path (Sids, condition value, warning)": access.path("alice", "Vault"),
        "explicit deny (Sid in the blocker message)": access.path("mallory", "Vault"),
        "fix JSON with a hostile ARN": access.path(eve, "Locked"),
    }
    for what, result in results.items():
        markup = result._repr_html_()
        assert_inert(markup)
        assert html.escape(PAYLOAD) in markup, what  # the value is there, as text
        assert PAYLOAD in visible_text(markup), what
    assert results["fix JSON with a hostile ARN"].fix  # the fix's <pre> carried it
    summary = access._repr_html_()
    assert_inert(summary)
    assert html.escape(PAYLOAD) in summary  # the missing managed policy's warning
    # and the tag values did reach the snapshot (they are data, not markup, in the frames too)
    assert access.graph.nodes[user_arn(ID, "alice")]["tags"] == {"team": PAYLOAD}


def test_a_hostile_question_is_escaped_too(sample):
    with pytest.raises(graphiam.UnknownPrincipalError):
        sample.path(PAYLOAD, "Deploy")  # rejected before any HTML is built
    result = sample.path("alice", "Deploy")
    forged = PathResult(**{**result.__dict__, "warnings": (PAYLOAD,), "action": PAYLOAD})
    assert_inert(forged._repr_html_())
