"""graphiam.queries.diff: what a change opens, on pairs of snapshots built with the one builder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from builders import Org, allow, deny, role_arn, trust, trust_account, trust_arn, user_arn
from graphiam.access import AccessGraph
from graphiam.present.diff_text import diff_markdown, diff_text
from graphiam.queries.diff import (NEW_ADMINISTRATOR, FindingChange, diff_graphs, finding_changes,
                                   resolve_check_targets, sensitive_of_check_file)
from graphiam.queries.errors import QueryError
from graphiam.queries.findings import Finding, findings

DEV, PROD = "222222222222", "333333333333"
ALICE, BOB = user_arn(DEV, "alice"), user_arn(DEV, "bob")
CI, ADMIN = role_arn(DEV, "CI"), role_arn(PROD, "ProdAdmin")
READER = role_arn(PROD, "Reader")
REPO_ROOT = Path(__file__).resolve().parents[2]


def org(*, admin_trusts=None, ci=True, scp_deny: str | None = None, boundary: bool = False,
        admin_condition: dict | None = None, reader_trusts=None, reader_admin: bool = False,
        open_roles: int = 0) -> Org:
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
    # a role that is no administrator (unless reader_admin), reached by alice
    prod.role("Reader", allow("*", "*") if reader_admin else allow("s3:GetObject", "*"),
              trusts=reader_trusts or trust_arn(ALICE))
    for number in range(open_roles):  # roles anyone can assume: a public-trust finding each
        prod.role(f"Open{number}", allow("s3:GetObject", "*"), trusts=[trust("*", sid=f"Anyone{number}")])
    built.full_access_everywhere()
    if scp_deny:
        built.scp("Extra", deny("sts:AssumeRole", scp_deny), targets=(DEV,))
    return built


def diff(old: Org, new: Org, sensitive=()):
    return diff_graphs(AccessGraph(old.snapshot()).graph, AccessGraph(new.snapshot()).graph, sensitive)


def full_diff(old: Org, new: Org, sensitive=()):
    """As ``graphiam diff`` compares: with both snapshots' findings and administrators."""
    before, after = AccessGraph(old.snapshot()), AccessGraph(new.snapshot())
    found = tuple(findings(a.snapshot, a.graph, a.engine, privesc_result=a.privesc()) for a in (before, after))
    return diff_graphs(before.graph, after.graph, sensitive, findings=found,
                       administrators=(before.privesc()[0], after.privesc()[0]))


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


# -- findings added and resolved --------------------------------------------------------------------------

def test_a_trust_opened_to_anyone_adds_the_public_trust_finding_and_removing_it_resolves_it():
    closed, opened = org(), org(admin_trusts=[trust_arn(ALICE), trust("*", sid="Anyone")])
    added = full_diff(closed, opened)
    public = [c for c in added.findings_added if c.rule == "GIAM001"]
    assert [(c.finding.role, c.finding.policy, c.finding.sid, c.finding.statement, c.finding.account)
            for c in public] == [(ADMIN, ADMIN, "Anyone", 2, PROD)]
    assert not added.findings_resolved
    assert any(c.rule == "GIAM009" for c in added.findings_added)  # anyone can now assume an administrator
    data = added.to_dict()
    assert data["summary"]["findings_added"] == len(added.findings_added) >= 2
    assert data["summary"]["findings_resolved"] == 0
    entry = next(f for f in data["findings"] if f["rule"] == "GIAM001")
    assert (entry["kind"], entry["account"], entry["sid"], entry["policy"]) == ("added", PROD, "Anyone", ADMIN)

    resolved = full_diff(opened, closed)
    assert {c.rule for c in resolved.findings_resolved} == {c.rule for c in added.findings_added}
    assert not resolved.findings_added and not resolved.opened
    assert "RESOLVED: GIAM001 [high]" in diff_text(resolved) and "NEW FINDING: GIAM001" in diff_text(added)


def test_an_unchanged_organization_adds_and_resolves_no_finding():
    same = full_diff(org(open_roles=2), org(open_roles=2))
    assert same.findings == () and same.to_dict()["summary"]["findings_added"] == 0


def test_findings_are_matched_by_identity_not_by_wording():
    def finding(message="m", sid="Sid", statement=1, role="arn:aws:iam::1:role/a", source="old/1.json"):
        return Finding("GIAM001", "high", "error", role, "1", message, "f", role, sid, statement, "*", source)

    # other words, another file, the statement moved: the Sid names it, so it is the same finding
    assert finding_changes([finding()], [finding("other words", statement=3, source="new/1.json")]) == ()
    # a statement without a Sid that only moved is the same finding too
    assert finding_changes([finding(sid=None, statement=1)], [finding(sid=None, statement=2)]) == ()
    # another Sid, or another role, is another finding
    (added, resolved) = finding_changes([finding()], [finding(sid="Other")])
    assert (added.kind, added.finding.sid, resolved.kind, resolved.finding.sid) == ("added", "Other", "resolved", "Sid")
    assert [c.kind for c in finding_changes([], [finding(), finding(role="arn:aws:iam::1:role/b")])] == ["added"] * 2
    assert FindingChange("added", finding()).to_dict()["kind"] == "added"


def test_without_findings_given_the_diff_has_none():
    result = diff(org(), org(admin_trusts=[trust_arn(ALICE), trust("*")]))
    assert result.findings == () and result.to_dict()["findings"] == []


# -- each change names the policy, statement and account --------------------------------------------------

def test_an_added_edge_and_its_path_name_the_statements_and_their_accounts():
    result = diff(org(), org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)]))
    (edge,) = [e for e in result.edges if (e.source, e.target) == (CI, ADMIN)]
    by_layer = {g["layer"]: g for g in edge.granted_by}
    assert by_layer["trust"]["account"] == PROD and by_layer["identity"]["account"] == DEV
    assert by_layer["identity"]["policy"] == "CI-inline" and by_layer["trust"]["statement"] == 2
    assert edge.to_dict()["accounts"] == [DEV, PROD]
    bob = next(c for c in result.opened if c.source == BOB)
    assert all(g["account"] for hop in bob.path for g in hop.granted_by)
    assert bob.to_dict()["accounts"] == [DEV, PROD]  # the accounts of the statements that made it
    assert bob.to_dict()["path"][1]["granted_by"][1]["account"] == DEV
    text = diff_text(result)
    assert "identity: CI-inline statement #1 (account 222222222222)" in text


def test_a_narrowed_edge_gives_its_old_statements_and_the_condition_that_narrowed_it():
    result = diff(org(), org(admin_condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    (edge,) = [e for e in result.edges if (e.source, e.target) == (ALICE, ADMIN)]
    assert edge.old_granted_by and {g["account"] for g in edge.old_granted_by} == {DEV, PROD}
    assert edge.old_conditions == () and edge.conditions
    (condition,) = edge.conditions
    assert (condition["layer"], condition["policy"], condition["account"]) == ("trust", ADMIN, PROD)
    data = edge.to_dict()
    assert data["old_granted_by"] and data["conditions"][0]["account"] == PROD
    assert "now needs: " in diff_text(result) and "aws:MultiFactorAuthPresent" in diff_text(result)


def test_a_removed_edge_gives_the_old_statements():
    result = diff(org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)]), org())
    (edge,) = [e for e in result.edges if (e.source, e.target) == (CI, ADMIN)]
    assert edge.kind == "removed" and {g["account"] for g in edge.granted_by} == {DEV, PROD}
    assert "was granted by: trust: arn:aws:iam::333333333333:role/ProdAdmin statement #2" in diff_text(result)


# -- --sensitive admin -----------------------------------------------------------------------------------

def test_admin_means_the_administrators_escalation_finds():
    to_admin = full_diff(org(), org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)]), ("admin",))
    assert ADMIN in to_admin.administrators and READER not in to_admin.administrators
    assert {(c.source, c.target) for c in to_admin.opened} == {(BOB, ADMIN), (CI, ADMIN)}
    to_reader = full_diff(org(), org(reader_trusts=[trust_arn(ALICE), trust_arn(CI)]), ("admin",))
    assert to_reader.opened == ()  # Reader is no administrator
    assert {(c.source, c.target) for c in full_diff(org(), org(reader_trusts=[trust_arn(ALICE), trust_arn(CI)])).opened} \
        == {(BOB, READER), (CI, READER)}  # without a pattern it counts


def test_a_role_that_becomes_an_administrator_is_newly_reached_by_whoever_reaches_it():
    result = full_diff(org(), org(reader_admin=True), ("admin",))
    (change,) = result.opened
    assert (change.source, change.target, change.reason, change.because) == (ALICE, READER, NEW_ADMINISTRATOR, ())
    assert "is a new administrator" in diff_text(result) and "is a new administrator" in diff_markdown(result)
    assert full_diff(org(), org(reader_admin=True), ("arn:aws:iam::*:role/Reader",)).opened == ()


def test_admin_needs_the_administrators():
    before, after = AccessGraph(org().snapshot()), AccessGraph(org().snapshot())
    with pytest.raises(QueryError):
        diff_graphs(before.graph, after.graph, ("admin",))


def test_a_pattern_that_matches_no_role_is_a_warning():
    result = diff(org(), org(), ("arn:aws:iam::*:role/Nothing*", ADMIN, "arn:aws:iam::1:role/Gone"))
    assert result.warnings == ("sensitive pattern arn:aws:iam::*:role/Nothing* matches no role in either snapshot",
                               "sensitive pattern arn:aws:iam::1:role/Gone matches no role in either snapshot")
    assert result.to_dict()["warnings"] == list(result.warnings)


# -- sensitive targets of a check file --------------------------------------------------------------------

def test_a_check_file_names_sensitive_targets():
    document = {"sensitive": ["arn:aws:iam::*:role/Prod*", "admin"], "checks": [
        {"name": "a", "source": "alice", "target": "Reader", "expect": "unreachable"},
        {"name": "b", "source": "bob", "target": ADMIN, "expect": "unreachable", "action": "sts:assumerole"},
        {"name": "c", "source": "bob", "target": "CI", "expect": "reachable"},
        {"name": "d", "source": "bob", "target": "Batch", "expect": "unreachable", "action": "iam:PassRole",
         "service": "ec2.amazonaws.com"},
        {"name": "e", "source": "bob", "target": "admin", "expect": "unreachable", "escalation": True},
        {"name": "f", "why": "User: ... is not authorized"},
        {"name": "g", "findings": "high", "at_most": 0}]}
    patterns, names = sensitive_of_check_file(document, "checks.json")
    assert patterns == ("arn:aws:iam::*:role/Prod*", "admin", ADMIN)
    assert names == ((0, "Reader"),)
    graph = AccessGraph(org().snapshot()).graph
    assert resolve_check_targets(names, graph, graph, "checks.json") == (READER,)
    assert sensitive_of_check_file({"checks": []}, "c.json") == ((), ())


@pytest.mark.parametrize("document, message", [
    ({"sensitive": "arn:aws:iam::*:role/X", "checks": []}, "c.json: \"sensitive\" must be a list"),
    ({"sensitive": ["ok", 3], "checks": []}, "a list holding a number"),
    ({"sensitive": [""], "checks": []}, "an empty string"),
    ({"checks": [{"source": "a", "target": 7, "expect": "unreachable"}]}, "c.json: checks[0].target must be a string"),
    ({"checks": [{"source": "a", "target": "b", "expect": "unreachable", "action": 1}]}, "checks[0].action"),
])
def test_a_malformed_check_file_is_one_line(document, message):
    with pytest.raises(QueryError) as raised:
        sensitive_of_check_file(document, "c.json")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_check_target_that_names_nothing_is_an_error():
    graph = AccessGraph(org().snapshot()).graph
    with pytest.raises(QueryError, match=r"c.json: checks\[4\].target: "):
        resolve_check_targets(((4, "NoSuchRole"),), graph, graph, "c.json")


# -- the Markdown comment ---------------------------------------------------------------------------------

def test_the_markdown_comment_carries_the_findings_capped():
    result = full_diff(org(), org(open_roles=3))
    added = result.findings_added
    assert len([c for c in added if c.rule == "GIAM001"]) == 3
    text = diff_markdown(result, limit=2)
    assert f"**Findings added: {len(added)}.**" in text and f"- and {len(added) - 2} more" in text
    assert text.count("- **GIAM") == 2 and "statement `Anyone0`" in text and "(account 333333333333)" in text
    assert "and" not in diff_markdown(result, limit=len(added)).split("Findings added")[1].split("Edges:")[0]
    back = diff_markdown(full_diff(org(open_roles=3), org()), limit=1)
    assert f"**Findings resolved: {len(added)}.**" in back and f"- and {len(added) - 1} more" in back


def test_the_markdown_comment_escapes_what_a_snapshot_writes():
    result = full_diff(org(), org(admin_trusts=[trust_arn(ALICE), trust("*", sid="x[y](http://e)*z*")]))
    text = diff_markdown(result)
    assert "[y](http" not in text.replace("`x[y](http://e)*z*`", "") and "x\\[y\\](http://e)\\*z\\*" in text


# -- the command ------------------------------------------------------------------------------------------

def _main(*args) -> tuple[int, str, str]:
    import contextlib
    import io

    from graphiam.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["diff", *map(str, args)])
    return code, out.getvalue(), err.getvalue()


def test_the_command_with_sensitive_admin(tmp_path):
    old_dir = org().write(tmp_path / "old")
    to_admin = org(admin_trusts=[trust_arn(ALICE), trust_arn(CI)]).write(tmp_path / "to-admin")
    to_reader = org(reader_trusts=[trust_arn(ALICE), trust_arn(CI)]).write(tmp_path / "to-reader")
    code, out, _ = _main("--old", old_dir, "--new", to_admin, "--sensitive", "admin", "--json")
    assert code == 1 and ADMIN in json.loads(out)["administrators"]
    assert _main("--old", old_dir, "--new", to_reader, "--sensitive", "admin")[0] == 0
    assert _main("--old", old_dir, "--new", to_reader)[0] == 1  # without --sensitive every role counts


def test_the_command_takes_sensitive_targets_from_a_check_file(tmp_path):
    old_dir = org().write(tmp_path / "old")
    to_reader = org(reader_trusts=[trust_arn(ALICE), trust_arn(CI)]).write(tmp_path / "to-reader")
    listed = tmp_path / "listed.json"
    listed.write_text(json.dumps({"sensitive": ["arn:aws:iam::*:role/Reader"], "checks": []}))
    by_check = tmp_path / "by-check.json"
    by_check.write_text(json.dumps({"checks": [{"name": "x", "source": "bob", "target": "Reader",
                                                "expect": "unreachable"}]}))
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"sensitive": ["arn:aws:iam::*:role/ProdAdmin"], "checks": [
        {"name": "x", "source": "bob", "target": "Reader", "expect": "reachable"}]}))
    for checks, expected in ((listed, 1), (by_check, 1), (elsewhere, 0)):
        code, out, err = _main("--old", old_dir, "--new", to_reader, "--checks", checks, "--json")
        assert code == expected, (checks.name, err)
    assert json.loads(_main("--old", old_dir, "--new", to_reader, "--checks", by_check, "--json")[1])["sensitive"] \
        == [READER]
    # --sensitive and the file add up
    assert _main("--old", old_dir, "--new", to_reader, "--checks", elsewhere, "--sensitive", READER)[0] == 1


@pytest.mark.parametrize("content, message", [
    ("not json", "invalid JSON"),
    ('{"sensitive": ["x"]}', "expected an object with a list \"checks\""),
    ('{"sensitive": "x", "checks": []}', "\"sensitive\" must be a list"),
    ('{"checks": [{"source": "a", "target": "NoSuchRole", "expect": "unreachable"}]}', "checks[0].target: "),
])
def test_a_bad_check_file_is_exit_code_2_and_one_line(tmp_path, content, message):
    old_dir = org().write(tmp_path / "old")
    checks = tmp_path / "checks.json"
    checks.write_text(content)
    code, out, err = _main("--old", old_dir, "--new", old_dir, "--checks", checks)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"graphiam: error: {checks}") and message in err


def test_a_bad_check_file_is_said_before_the_snapshots_are_read(tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text('{"sensitive": 1, "checks": []}')
    code, _, err = _main("--old", tmp_path / "nope", "--new", tmp_path / "nope", "--checks", checks)
    assert code == 2 and "\"sensitive\" must be a list" in err


def test_the_command_warns_of_a_pattern_that_matches_nothing(tmp_path):
    old_dir = org().write(tmp_path / "old")
    code, _, err = _main("--old", old_dir, "--new", old_dir, "--sensitive", "arn:aws:iam::*:role/ProdAdmn")
    assert code == 0 and err == ("graphiam: warning: sensitive pattern arn:aws:iam::*:role/ProdAdmn matches no role "
                                 "in either snapshot\n")
