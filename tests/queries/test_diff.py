"""graphiam.queries.diff: what a change opens, on pairs of snapshots built with the one builder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from builders import Org, allow, deny, role_arn, trust_account, trust_arn, user_arn
from graphiam.access import AccessGraph
from graphiam.present.diff_text import diff_markdown
from graphiam.queries.diff import diff_graphs

DEV, PROD = "222222222222", "333333333333"
ALICE, BOB = user_arn(DEV, "alice"), user_arn(DEV, "bob")
CI, ADMIN = role_arn(DEV, "CI"), role_arn(PROD, "ProdAdmin")
REPO_ROOT = Path(__file__).resolve().parents[2]


def org(*, admin_trusts=None, ci=True, scp_deny: str | None = None, boundary: bool = False,
        admin_condition: dict | None = None) -> Org:
    built = Org(management="111111111111")
    built.account("111111111111")
    dev = built.account(DEV)
    bound = dev.managed_policy("Small", allow("s3:*")) if boundary else None
    dev.user("alice", allow("sts:AssumeRole", "*"), boundary=bound)
    dev.user("bob", allow("sts:AssumeRole", CI))
    if ci:
        dev.role("CI", allow("sts:AssumeRole", "*"), trusts=trust_arn(BOB))
    prod = built.account(PROD)
    trusts = admin_trusts or trust_arn(ALICE, condition=admin_condition)
    prod.role("ProdAdmin", allow("*", "*"), trusts=trusts)
    built.full_access_everywhere()
    if scp_deny:
        built.scp("Extra", deny("sts:AssumeRole", scp_deny), targets=(DEV,))
    return built


def diff(old: Org, new: Org, sensitive=()):
    return diff_graphs(AccessGraph(old.snapshot()).graph, AccessGraph(new.snapshot()).graph, sensitive)


def test_a_trust_added_opens_a_path_and_names_the_edge_that_made_it():
    result = diff(org(), org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)]))
    opened = {(c.source, c.target) for c in result.opened}
    assert (BOB, ADMIN) in opened and (CI, ADMIN) in opened
    bob = next(c for c in result.opened if c.source == BOB)
    assert [h.target for h in bob.path] == [CI, ADMIN] and bob.because == ((CI, ADMIN),)
    assert any(e.kind == "added" and (e.source, e.target) == (CI, ADMIN) for e in result.edges)


def test_a_trust_narrowed_is_a_tightened_edge_and_opens_nothing():
    result = diff(org(), org(admin_condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    (edge,) = [e for e in result.edges if (e.source, e.target) == (ALICE, ADMIN)]
    assert edge.kind == "changed" and "now conditional (tightened)" in edge.what
    assert not result.opened


def test_a_condition_loosened_is_said():
    result = diff(org(admin_condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}), org())
    (edge,) = [e for e in result.edges if (e.source, e.target) == (ALICE, ADMIN)]
    assert "now unconditional (loosened)" in edge.what


def test_an_scp_added_closes_paths():
    result = diff(org(), org(scp_deny=ADMIN))
    assert not result.opened
    assert (ALICE, ADMIN) in {(c.source, c.target) for c in result.reach if c.kind == "removed"}


def test_a_boundary_removed_opens_a_path():
    result = diff(org(boundary=True), org())
    assert (ALICE, ADMIN) in {(c.source, c.target) for c in result.opened}


def test_a_role_deleted_removes_its_edges_and_paths():
    before = org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)])
    after = org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)], ci=False)
    result = diff(before, after)
    assert any(e.kind == "removed" and e.target == CI for e in result.edges)
    assert (BOB, ADMIN) in {(c.source, c.target) for c in result.reach if c.kind == "removed"}


def test_sensitive_patterns_limit_the_reachability_section():
    before, after = org(), org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)])
    assert diff(before, after, ("arn:aws:iam::*:role/ProdAdmin",)).opened
    assert not diff(before, after, ("arn:aws:iam::*:role/Nothing*",)).opened


def test_markdown_comment_is_short_and_capped():
    result = diff(org(), org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)]))
    text = diff_markdown(result, limit=1)
    assert text.startswith("## graphiam: what this change opens")
    assert "**2 new path(s).**" in text and "and 1 more" in text and "new: " in text
    assert diff_markdown(diff(org(), org())).count("No new path") == 1


def test_the_command_exit_codes(tmp_path):
    old_dir = org().write(tmp_path / "old")
    new_dir = org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)]).write(tmp_path / "new")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "GRAPHIAM_CACHE_DIR": str(tmp_path / "cache")}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "graphiam.cli", "diff", *map(str, args)], capture_output=True,
                              text=True, env=env, cwd=REPO_ROOT, timeout=120)

    same = run("--old", old_dir, "--new", old_dir)
    assert same.returncode == 0, same.stderr
    opened = run("--old", old_dir, "--new", new_dir, "--json", "--markdown", tmp_path / "comment.md")
    assert opened.returncode == 1
    data = json.loads(opened.stdout)
    assert data["summary"]["reach_added"] >= 2 and (tmp_path / "comment.md").read_text().startswith("## graphiam")
    assert run("--old", old_dir, "--new", new_dir, "--sensitive", "arn:aws:iam::*:role/Other").returncode == 0
    bad = run("--old", tmp_path / "nope", "--new", new_dir)
    assert bad.returncode == 2 and bad.stderr.startswith("graphiam: error:")
