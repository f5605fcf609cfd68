"""Tests for the command line, run as a real subprocess: ``python -m graphiam.cli``.

Most cases run on the bundled sample organization (data/sample-org, described
in data/SCENARIOS.md); bad-input cases use small snapshots written with
tests/builders.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from builders import Org, allow, policy, role_arn, trust_account, trust_arn, trust_service, user_arn

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKS = REPO_ROOT / "data" / "sample-checks.json"

ALICE = "arn:aws:iam::222222222222:user/alice"
BOB = "arn:aws:iam::222222222222:user/bob"
GRACE = "arn:aws:iam::222222222222:user/grace"
HUB = "arn:aws:iam::222222222222:role/Hub"
DEPLOY = "arn:aws:iam::333333333333:role/Deploy"
APPCONFIG = "arn:aws:iam::333333333333:role/AppConfig"
STAGING_DEPLOY = "arn:aws:iam::444444444444:role/StagingDeploy"
STAGING_CI = "arn:aws:iam::444444444444:role/StagingCI"
XYZ_WEB = "arn:aws:iam::333333333333:role/EC2-roles-for-XYZ-web"
PROD_ADMIN = "arn:aws:iam::333333333333:role/ProdAdmin"

RESULT_KEYS = {"source", "target", "action", "service", "reachable", "conditional", "path", "blockers", "fix"}
OPTIONAL_KEYS = {"warnings", "reported", "session", "context", "assumed"}
LAYERS = {"identity", "trust", "permissions_boundary", "scp", "rcp"}
NO_ORG = "no organization file"


def tickets() -> dict[str, str]:
    checks = json.loads(CHECKS.read_text())["checks"]
    found = {}
    for check in checks:
        if "why" in check:
            for who in ("alice", "bob", "StagingCI"):
                if who in check["why"]:
                    found[who] = check["why"]
    assert set(found) == {"alice", "bob", "StagingCI"}, "data/sample-checks.json lost a ticket"
    return found


TICKETS = tickets()


def run(*args: str | Path, stdin: str | None = None, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "graphiam.cli", *map(str, args)],
        input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=120,
    )
    assert "Traceback" not in done.stdout and "Traceback" not in done.stderr, done.stderr
    return done


def run_json(*args: str | Path, **kw) -> tuple[int, dict]:
    done = run(*args, "--json", **kw)
    try:
        data = json.loads(done.stdout)  # the whole of stdout: exactly one JSON value
    except json.JSONDecodeError as error:  # pragma: no cover - the assertion message is the point
        raise AssertionError(f"stdout is not one JSON value ({error}): {done.stdout!r}") from None
    assert isinstance(data, dict)
    return done.returncode, data


def assert_bad_input(done: subprocess.CompletedProcess, *named: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, f"stderr must be exactly one line: {done.stderr!r}"
    (line,) = lines
    assert line.startswith("graphiam: error:"), line
    for part in named:
        assert part in line, f"{part!r} not in {line!r}"
    return line


def assert_result_shape(data: dict) -> None:
    assert RESULT_KEYS <= data.keys(), data.keys()
    assert data.keys() - RESULT_KEYS <= OPTIONAL_KEYS, data.keys()
    assert isinstance(data["reachable"], bool) and isinstance(data["conditional"], bool)
    for hop in data["path"]:
        assert {"from", "to", "action", "granted_by", "conditions"} <= hop.keys()
        assert hop["granted_by"], "every hop says which statements granted it"
        for grant in hop["granted_by"]:
            assert {"layer", "policy", "sid"} <= grant.keys()
            assert grant["layer"] in LAYERS
        assert isinstance(hop["conditions"], list)
    for blocker in data["blockers"]:
        assert {"layer", "effect", "policy", "sid", "attached_to", "message"} <= blocker.keys()
        assert blocker["layer"] in LAYERS
        assert blocker["effect"] in {"implicit_deny", "explicit_deny"}
        assert blocker["message"] and "\n" not in blocker["message"]
    for change in data["fix"]:
        assert change["type"] in {"add_identity_statement", "add_trust_statement"}
        assert isinstance(change["statement"], dict)
        if change["type"] == "add_identity_statement":
            assert change["principal"].startswith("arn:")
        else:
            assert change["role"].startswith("arn:")
    if data["path"]:
        assert data["path"][0]["from"] == data["source"]
        assert data["path"][-1]["to"] == data["target"]
        for before, after in zip(data["path"], data["path"][1:]):
            assert before["to"] == after["from"]


# -- path on the sample organization --------------------------------------------------------

def test_path_reachable_chain_exits_0(sample_dir):
    code, data = run_json("path", GRACE, APPCONFIG, "--data", sample_dir)
    assert code == 0
    assert_result_shape(data)
    assert (data["source"], data["target"], data["action"], data["service"]) == (GRACE, APPCONFIG, "sts:AssumeRole", None)
    assert data["reachable"] is True and data["conditional"] is False
    assert [(h["from"], h["to"]) for h in data["path"]] == [(GRACE, HUB), (HUB, DEPLOY), (DEPLOY, APPCONFIG)]
    assert all(h["action"] == "sts:AssumeRole" for h in data["path"])
    # AppConfig trusts Deploy's exact ARN in the same account: the trust alone grants that hop
    assert {g["layer"] for g in data["path"][-1]["granted_by"]} == {"trust"}
    # the direct request (grace herself on AppConfig) is still explained
    assert "trust" in {b["layer"] for b in data["blockers"]}


def test_path_unreachable_exits_1(sample_dir):
    code, data = run_json("path", ALICE, DEPLOY, "--data", sample_dir)
    assert code == 1
    assert_result_shape(data)
    assert data["reachable"] is False and data["path"] == []


def test_path_conditional_hop_lists_its_condition(sample_dir):
    code, data = run_json("path", "heidi", "BreakGlass", "--data", sample_dir)
    assert code == 0
    assert_result_shape(data)
    assert data["reachable"] is True and data["conditional"] is True
    (hop,) = data["path"]
    assert "aws:MultiFactorAuthPresent" in json.dumps(hop["conditions"])


def test_alice_to_deploy_is_blocked_by_trust_with_a_trust_fix(sample_dir):
    code, data = run_json("path", ALICE, DEPLOY, "--data", sample_dir)
    assert code == 1
    assert [(b["layer"], b["effect"]) for b in data["blockers"]] == [("trust", "implicit_deny")]
    assert DEPLOY in (data["blockers"][0]["policy"], data["blockers"][0]["attached_to"])
    (fix,) = data["fix"]
    assert fix["type"] == "add_trust_statement"
    assert fix["role"] == DEPLOY
    statement = fix["statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": ALICE}
    assert statement["Action"] in ("sts:AssumeRole", ["sts:AssumeRole"])
    assert "*" not in json.dumps(statement)


def test_printed_trust_fix_opens_the_path(sample_dir, tmp_path):
    _, data = run_json("path", ALICE, DEPLOY, "--data", sample_dir)
    (fix,) = data["fix"]
    copy = tmp_path / "org"
    shutil.copytree(sample_dir, copy)
    (prod_file,) = copy.glob("accounts/333333333333-*.json")
    prod = json.loads(prod_file.read_text())
    (deploy,) = [r for r in prod["RoleDetailList"] if r["Arn"] == DEPLOY]
    assert isinstance(deploy["AssumeRolePolicyDocument"], dict)
    deploy["AssumeRolePolicyDocument"]["Statement"].append(fix["statement"])
    prod_file.write_text(json.dumps(prod))
    code, after = run_json("path", ALICE, DEPLOY, "--data", copy)
    assert code == 0 and after["reachable"] is True and after["blockers"] == []


def test_identity_fix_names_the_caller_and_opens_the_path(sample_dir, tmp_path):
    code, data = run_json("path", BOB, STAGING_DEPLOY, "--data", sample_dir)
    assert code == 1
    assert [b["layer"] for b in data["blockers"]] == ["identity"]
    (fix,) = data["fix"]
    assert fix["type"] == "add_identity_statement" and fix["principal"] == BOB
    assert fix["statement"]["Resource"] in (STAGING_DEPLOY, [STAGING_DEPLOY])
    assert "*" not in json.dumps(fix["statement"])
    copy = tmp_path / "org"
    shutil.copytree(sample_dir, copy)
    (identity_file,) = copy.glob("accounts/222222222222-*.json")
    identity = json.loads(identity_file.read_text())
    (bob,) = [u for u in identity["UserDetailList"] if u["Arn"] == BOB]
    bob.setdefault("UserPolicyList", []).append({"PolicyName": "graphiam-fix", "PolicyDocument": policy(fix["statement"])})
    identity_file.write_text(json.dumps(identity))
    code, after = run_json("path", BOB, STAGING_DEPLOY, "--data", copy)
    assert code == 0 and after["reachable"] is True


def test_scp_deny_has_no_fix(sample_dir):
    code, data = run_json("path", STAGING_CI, DEPLOY, "--data", sample_dir)
    assert code == 1
    assert ("scp", "explicit_deny") in {(b["layer"], b["effect"]) for b in data["blockers"]}
    assert data["fix"] == []


def test_path_text_output(sample_dir):
    done = run("path", ALICE, DEPLOY, "--data", sample_dir)
    assert done.returncode == 1
    assert not done.stdout.lstrip().startswith("{")
    assert "NOT REACHABLE" in done.stdout
    assert "trust" in done.stdout and DEPLOY in done.stdout
    assert f'"AWS": "{ALICE}"' in done.stdout  # the fix as ready-to-paste JSON
    done = run("path", GRACE, APPCONFIG, "--data", sample_dir)
    assert done.returncode == 0
    assert "REACHABLE" in done.stdout and "NOT REACHABLE" not in done.stdout
    assert all(arn in done.stdout for arn in (HUB, DEPLOY, APPCONFIG))


def test_names_instead_of_arns(sample_dir):
    code, data = run_json("path", "alice", "Deploy", "--data", sample_dir)
    assert code == 1
    assert data["source"] == ALICE and data["target"] == DEPLOY
    code, data = run_json("path", "grace", "AppConfig", "--data", sample_dir)
    assert code == 0 and data["source"] == GRACE and data["target"] == APPCONFIG


def test_session_arn_means_the_role(sample_dir):
    code, data = run_json("path", "arn:aws:sts::222222222222:assumed-role/Hub/grace-session", DEPLOY, "--data", sample_dir)
    assert code == 0
    assert data["source"] == HUB
    assert [(h["from"], h["to"]) for h in data["path"]] == [(HUB, DEPLOY)]
    code, data = run_json("path", "arn:aws:sts::444444444444:assumed-role/StagingCI/ci-build-1842", DEPLOY,
                          "--data", sample_dir)
    assert code == 1 and data["source"] == STAGING_CI


def test_session_arn_as_target_means_the_role(sample_dir):
    code, data = run_json("path", GRACE, "arn:aws:sts::333333333333:assumed-role/Deploy/anything", "--data", sample_dir)
    assert code == 0 and data["target"] == DEPLOY


def test_pass_role_to_ec2(sample_dir):
    code, data = run_json("path", DEPLOY, XYZ_WEB, "--action", "iam:PassRole", "--service", "ec2.amazonaws.com",
                          "--data", sample_dir)
    assert code == 0
    assert_result_shape(data)
    assert data["action"] == "iam:PassRole" and data["service"] == "ec2.amazonaws.com"
    assert data["reachable"] is True
    assert data["path"][-1]["action"] == "iam:PassRole"
    assert data["path"][-1]["to"] == XYZ_WEB


def test_pass_role_to_the_wrong_service(sample_dir):
    code, data = run_json("path", DEPLOY, XYZ_WEB, "--action", "iam:PassRole", "--service", "lambda.amazonaws.com",
                          "--data", sample_dir)
    assert code == 1
    assert data["reachable"] is False and data["service"] == "lambda.amazonaws.com"
    assert data["blockers"]


def test_pass_role_through_a_session_and_a_name(sample_dir):
    code, data = run_json("path", "arn:aws:sts::333333333333:assumed-role/Deploy/s", "EC2-roles-for-XYZ-web",
                          "--action", "iam:PassRole", "--service", "ec2.amazonaws.com", "--data", sample_dir)
    assert code == 0 and data["source"] == DEPLOY and data["target"] == XYZ_WEB


# -- why --------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "source", "target", "blamed", "layer", "fix_type"), [
    ("alice", ALICE, DEPLOY, None, "trust", "add_trust_statement"),
    ("bob", BOB, STAGING_DEPLOY, "identity", "identity", "add_identity_statement"),
    ("StagingCI", STAGING_CI, DEPLOY, "scp", "scp", None),
])
def test_why_explains_each_ticket(sample_dir, who, source, target, blamed, layer, fix_type):
    code, data = run_json("why", TICKETS[who], "--data", sample_dir)
    assert code == 1
    assert_result_shape(data)
    assert data["source"] == source and data["target"] == target and data["reachable"] is False
    assert data["reported"]["policy_type"] == blamed
    assert data["reported"]["resource"] == target
    assert layer in {b["layer"] for b in data["blockers"]}
    assert [f["type"] for f in data["fix"]] == ([fix_type] if fix_type else [])


def test_why_reports_the_session_as_written(sample_dir):
    _, data = run_json("why", TICKETS["StagingCI"], "--data", sample_dir)
    assert data["reported"]["caller"] == "arn:aws:sts::444444444444:assumed-role/StagingCI/ci-build-1842"
    assert data["reported"]["effect"] == "explicit_deny"


def test_why_reads_stdin(sample_dir):
    _, from_argument = run_json("why", TICKETS["alice"], "--data", sample_dir)
    code, from_stdin = run_json("why", "-", "--data", sample_dir, stdin=TICKETS["alice"] + "\n")
    assert code == 1
    assert from_stdin == from_argument


def test_why_text_names_the_blamed_layer(sample_dir):
    done = run("why", TICKETS["StagingCI"], "--data", sample_dir)
    assert done.returncode == 1
    assert "scp" in done.stdout and STAGING_CI in done.stdout


def test_why_pass_role_message(sample_dir):
    message = (f"User: arn:aws:sts::333333333333:assumed-role/Deploy/s is not authorized to perform: "
               f"iam:PassRole on resource: {XYZ_WEB}")
    code, data = run_json("why", message, "--data", sample_dir)
    assert code == 0
    assert data["action"] == "iam:PassRole" and data["service"] == "ec2.amazonaws.com" and data["reachable"] is True


# -- reach and who-can ---------------------------------------------------------------------

def rows_by_arn(data: dict) -> dict[str, dict]:
    assert {"subject", "rows"} <= data.keys()
    for row in data["rows"]:
        assert {"arn", "hops", "action"} <= row.keys()
        assert isinstance(row["hops"], int) and row["hops"] >= 1
    return {row["arn"]: row for row in data["rows"]}


def test_reach_json(sample_dir):
    code, data = run_json("reach", "grace", "--data", sample_dir)
    assert code == 0
    assert data["subject"] == GRACE
    rows = rows_by_arn(data)
    assert (rows[HUB]["hops"], rows[DEPLOY]["hops"], rows[APPCONFIG]["hops"]) == (1, 2, 3)
    assert rows[DEPLOY]["action"] == "sts:AssumeRole"
    assert rows[XYZ_WEB]["action"] == "iam:PassRole"
    assert PROD_ADMIN not in rows


def test_reach_text(sample_dir):
    done = run("reach", GRACE, "--data", sample_dir)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert GRACE in lines[0]
    with pytest.raises(json.JSONDecodeError):
        json.loads(done.stdout)

    def hops_of(arn: str) -> str:
        (line,) = [line for line in lines[1:] if line.split()[2] == arn]
        return line.split()[0]

    assert (hops_of(HUB), hops_of(DEPLOY), hops_of(APPCONFIG)) == ("1", "2", "3")
    assert PROD_ADMIN not in done.stdout


def test_who_can_json(sample_dir):
    code, data = run_json("who-can", PROD_ADMIN, "--data", sample_dir)
    assert code == 0
    assert data["subject"] == PROD_ADMIN
    rows = rows_by_arn(data)
    users = {arn for arn, row in rows.items() if ":user/" in arn}
    assert users == {"arn:aws:iam::222222222222:user/erin", "arn:aws:iam::222222222222:user/mia"}
    assert all(row["hops"] == 1 for arn, row in rows.items() if arn in users)


def test_who_can_deploy(sample_dir):
    code, data = run_json("who-can", "Deploy", "--data", sample_dir)
    assert code == 0
    rows = rows_by_arn(data)
    assert rows[HUB]["hops"] == 1 and rows[GRACE]["hops"] == 2
    for outsider in (ALICE, STAGING_CI, "arn:aws:iam::222222222222:user/contractors/carol"):
        assert outsider not in rows


def test_who_can_text(sample_dir):
    done = run("who-can", PROD_ADMIN, "--data", sample_dir)
    assert done.returncode == 0
    assert PROD_ADMIN in done.stdout.splitlines()[0]
    assert "user/erin" in done.stdout and "user/mia" in done.stdout and "user/dave" not in done.stdout


# -- check ---------------------------------------------------------------------------------

def test_check_sample_checks_hold(sample_dir):
    done = run("check", CHECKS, "--data", sample_dir)
    assert done.returncode == 0, done.stdout
    assert "FAIL" not in done.stdout


def test_check_json_counts_no_failure(sample_dir):
    code, data = run_json("check", CHECKS, "--data", sample_dir)
    assert code == 0
    assert data["failed"] == 0
    assert len(data["checks"]) == len(json.loads(CHECKS.read_text())["checks"])


def test_check_that_fails_exits_1(sample_dir, tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checks": [
        {"name": "alice wants Deploy", "source": ALICE, "target": DEPLOY, "expect": "reachable"},
        {"name": "grace has AppConfig", "source": GRACE, "target": APPCONFIG, "expect": "reachable"},
    ]}))
    code, data = run_json("check", checks, "--data", sample_dir)
    assert code == 1
    assert data["failed"] == 1
    assert [c["passed"] for c in data["checks"]] == [False, True]


# -- bad input -------------------------------------------------------------------------------

def test_invalid_json_file(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"UserDetailList": [\n  {,}\n]}')
    line = assert_bad_input(run("path", "alice", "Deploy", "--data", bad), str(bad), "line 2")
    assert "column" in line


def test_neither_shape_file(tmp_path):
    bad = tmp_path / "something.json"
    bad.write_text(json.dumps({"Items": [1, 2, 3]}))
    assert_bad_input(run("path", "alice", "Deploy", "--data", bad), str(bad))


def test_list_at_top_level(tmp_path):
    bad = tmp_path / "list.json"
    bad.write_text("[]")
    assert_bad_input(run("reach", "alice", "--data", bad), str(bad))


def test_bad_statement_in_a_snapshot_file(tmp_path):
    org = Org()
    org.account("222222222222").role("Hub", trusts={"Effect": "Permit", "Principal": "*", "Action": "sts:AssumeRole"})
    org.write(tmp_path)
    assert_bad_input(run("who-can", "Hub", "--data", tmp_path), "222222222222.json", "Permit")


@pytest.mark.parametrize("name", ["nobody", "arn:aws:iam::222222222222:user/ghost"])
def test_unknown_principal(sample_dir, name):
    assert_bad_input(run("path", name, DEPLOY, "--data", sample_dir), name)


def test_unknown_target(sample_dir):
    assert_bad_input(run("who-can", "NoSuchRole", "--data", sample_dir), "NoSuchRole")


def test_target_must_be_a_role(sample_dir):
    assert_bad_input(run("path", GRACE, "alice", "--data", sample_dir), ALICE)


def ambiguous_org(tmp_path: Path, with_organization: bool) -> Path:
    org = Org()
    first = org.account("222222222222")
    second = org.account("333333333333")
    first.user("pat", allow("sts:AssumeRole", role_arn("333333333333", "Target")))
    second.user("pat")
    second.role("Target", trusts=trust_account("222222222222"))
    if with_organization:
        org.full_access_everywhere()
    return org.write(tmp_path / "snap")


def test_ambiguous_name(tmp_path):
    folder = ambiguous_org(tmp_path, with_organization=True)
    line = assert_bad_input(run("path", "pat", "Target", "--data", folder), "pat",
                            user_arn("222222222222", "pat"), user_arn("333333333333", "pat"))
    assert "ambiguous" in line
    # the ARN settles it
    code, data = run_json("path", user_arn("222222222222", "pat"), "Target", "--data", folder)
    assert code == 0 and data["source"] == user_arn("222222222222", "pat")


def test_ambiguous_name_with_warnings_still_one_error_line(tmp_path):
    folder = ambiguous_org(tmp_path, with_organization=False)
    done = run("reach", "pat", "--data", folder)
    assert done.returncode == 2 and done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if line.startswith("graphiam: error:")]
    assert len(errors) == 1 and "pat" in errors[0] and "ambiguous" in errors[0]
    assert done.stderr.splitlines()[-1] == errors[0]


def test_why_with_a_text_that_is_not_access_denied(sample_dir):
    assert_bad_input(run("why", "An error occurred (ThrottlingException): Rate exceeded", "--data", sample_dir))


def test_why_stdin_with_garbage(sample_dir):
    assert_bad_input(run("why", "-", "--data", sample_dir, stdin="hello\n"))


def test_missing_data_path(tmp_path):
    missing = tmp_path / "no-such-folder"
    assert_bad_input(run("path", "alice", "Deploy", "--data", missing), str(missing))


def test_one_missing_data_path_among_good_ones(sample_dir, tmp_path):
    missing = tmp_path / "gone.json"
    assert_bad_input(run("reach", "alice", "--data", sample_dir, "--data", missing), str(missing))


def test_pass_role_without_service(sample_dir):
    line = assert_bad_input(run("path", DEPLOY, XYZ_WEB, "--action", "iam:PassRole", "--data", sample_dir))
    assert "--service" in line


def test_service_without_pass_role(sample_dir):
    assert_bad_input(run("path", DEPLOY, XYZ_WEB, "--service", "ec2.amazonaws.com", "--data", sample_dir))


def test_checks_file_not_json(sample_dir, tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text("checks:\n  - alice\n")
    assert_bad_input(run("check", checks, "--data", sample_dir), str(checks))


def test_checks_file_missing(sample_dir, tmp_path):
    checks = tmp_path / "nope.json"
    assert_bad_input(run("check", checks, "--data", sample_dir), str(checks))


def test_checks_file_with_a_bad_entry(sample_dir, tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checks": [{"name": "half", "source": ALICE}]}))
    assert_check_error(run("check", checks, "--data", sample_dir), "half", str(checks))


def assert_check_error(done: subprocess.CompletedProcess, name: str, *named: str) -> str:
    """A check run that went on past an entry it could not evaluate: exit 2, the entry's one ERROR line
    naming it (and ``named``), the closing summary naming it, one error line on standard error."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    (error,) = done.stderr.splitlines()
    assert error.startswith("graphiam: error: ") and "could not be evaluated" in error and name in error
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("== ERROR")]
    assert f"== ERROR  {name}: " in line, line
    for part in named:
        assert part in line, f"{part!r} not in {line!r}"
    summary = done.stdout.splitlines()[-1]
    assert "could not be evaluated" in summary and f"not evaluated: {name}" in summary, summary
    return line


def test_unreadable_snapshot_file(tmp_path):
    bad = tmp_path / "latin1.json"
    bad.write_bytes(b'{"UserDetailList": ["\xe9"]}')
    assert_bad_input(run("path", "alice", "Deploy", "--data", bad), str(bad))


def test_malformed_entry_in_account_file(tmp_path):
    bad = tmp_path / "222222222222.json"
    bad.write_text(json.dumps({"UserDetailList": ["alice"], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}))
    assert_bad_input(run("reach", "alice", "--data", bad), str(bad))


# -- warnings -----------------------------------------------------------------------------------

def small_org(tmp_path: Path, *, with_organization: bool, missing_policy: str | None = None) -> Path:
    org = Org()
    dev = org.account("222222222222")
    managed = (missing_policy,) if missing_policy else ()
    dev.user("alice", allow("sts:AssumeRole", role_arn("333333333333", "Deploy")), managed=managed)
    org.account("333333333333").role("Deploy", trusts=trust_arn(user_arn("222222222222", "alice")))
    if with_organization:
        org.full_access_everywhere()
    return org.write(tmp_path / "snap")


def test_no_organization_file_is_a_warning_in_the_result(tmp_path):
    folder = small_org(tmp_path, with_organization=False)
    code, data = run_json("path", "alice", "Deploy", "--data", folder)
    assert code == 0 and data["reachable"] is True
    assert any(w.startswith(NO_ORG) for w in data["warnings"])
    done = run("path", "alice", "Deploy", "--data", folder)
    assert NO_ORG in done.stderr or NO_ORG in done.stdout


def test_with_an_organization_file_there_is_no_such_warning(tmp_path):
    folder = small_org(tmp_path, with_organization=True)
    code, data = run_json("path", "alice", "Deploy", "--data", folder)
    assert code == 0
    assert not any(NO_ORG in w for w in data["warnings"])


def test_missing_managed_policy_is_named_in_the_result(tmp_path):
    missing = "arn:aws:iam::222222222222:policy/DeletedLongAgo"
    folder = small_org(tmp_path, with_organization=True, missing_policy=missing)
    done = run("path", "alice", "Deploy", "--data", folder, "--json")
    data = json.loads(done.stdout)
    assert any(missing in w for w in data["warnings"])
    assert any(missing in line and "222222222222.json" in line for line in done.stderr.splitlines())


def test_who_can_reports_dangling_and_external_trusts(sample_dir):
    code, data = run_json("who-can", "LegacyDeploy", "--data", sample_dir)
    assert code == 0
    kinds = {(f["principal"], f["kind"]) for f in data["trust_facts"]}
    assert kinds == {("AROAZZZZZZZZZZZZZZZZZ", "dangling"), ("arn:aws:iam::777777777777:root", "external_account")}
    text = run("who-can", "LegacyDeploy", "--data", sample_dir).stdout
    assert "dangling trust" in text and "outside the snapshot" in text


def test_api_to_dict_is_exactly_the_cli_json(sample_dir):
    import graphiam

    access = graphiam.load(sample_dir)
    for source, target in [("alice", "Deploy"), ("grace", "AppConfig"), ("heidi", "BreakGlass")]:
        code, data = run_json("path", source, target, "--data", sample_dir)
        assert data == access.path(source, target).to_dict()


# -- stated requests and warnings said once ---------------------------------------------------------------

def test_context_decides_a_conditional_path(sample_dir):
    code, data = run_json("path", "heidi", "BreakGlass", "--data", sample_dir)
    assert code == 0 and data["conditional"] is True
    code, data = run_json("path", "heidi", "BreakGlass", "--data", sample_dir,
                          "--context", "aws:MultiFactorAuthPresent=true")
    assert code == 0 and data["conditional"] is False and data["context"] == {"aws:MultiFactorAuthPresent": ["true"]}
    done = run("path", "heidi", "BreakGlass", "--data", sample_dir, "--context", "aws:MultiFactorAuthPresent=false")
    assert done.returncode == 1 and "does not hold" in done.stdout


def test_context_without_an_equals_sign_is_bad_input(sample_dir):
    assert_bad_input(run("path", "heidi", "BreakGlass", "--data", sample_dir, "--context", "mfa"), "--context")


def test_each_warning_is_said_once_in_human_output_and_listed_in_json(tmp_path):
    missing = "arn:aws:iam::222222222222:policy/DeletedLongAgo"
    folder = small_org(tmp_path, with_organization=False, missing_policy=missing)
    done = run("path", "alice", "Deploy", "--data", folder)
    said = done.stdout + done.stderr
    snapshot_warnings = [line for line in said.splitlines() if NO_ORG in line]
    assert len(snapshot_warnings) == 1
    code, data = run_json("who-can", "Deploy", "--data", folder)
    assert code == 0 and any(NO_ORG in w for w in data["warnings"]) and any(missing in w for w in data["warnings"])
    code, data = run_json("reach", "alice", "--data", folder)
    assert any(NO_ORG in w for w in data["warnings"])


def test_a_bare_service_name_is_bad_input_with_the_likely_principal(sample_dir):
    line = assert_bad_input(run("path", "Deploy", "EC2-roles-for-XYZ-web", "--action", "iam:PassRole",
                                "--service", "ec2", "--data", sample_dir, "--no-cache"), "ec2.amazonaws.com")
    assert "--service" in line


def test_why_about_another_action_says_what_graphiam_explains_cold_and_warm(sample_dir):
    text = ("User: arn:aws:iam::222222222222:user/alice is not authorized to perform: s3:GetObject on resource: "
            "arn:aws:s3:::bucket/key")
    for _ in range(2):  # the second run answers from the warm cache's index
        line = assert_bad_input(run("why", text, "--data", sample_dir))
        assert "graphiam explains sts:AssumeRole and iam:PassRole" in line


# -- the guard: an internal error is exit code 70 and one line, never a traceback with exit code 1 -------------

def run_planted(raise_what: str, *args: str | Path) -> subprocess.CompletedProcess:
    """The real command (``run()``, as the console script) with ``_run`` replaced by one that raises."""
    code = ("import sys, graphiam.cli as cli\n"
            "def planted(*a, **k):\n"
            f"    raise {raise_what}\n"
            "cli._run = planted\n"
            "cli.run()\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=env, timeout=120)


def test_an_internal_error_is_exit_code_70_and_one_line(sample_dir):
    done = run_planted("TypeError('planted \\x1b[31m bug\\nsecond line')", "reach", "grace", "--data", sample_dir)
    assert done.returncode == 70, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("graphiam: internal error: TypeError: planted \\x1b[31m bug\\nsecond line")
    assert "graphiam/cli.py line" in line  # where it happened
    assert line.endswith("(run with --debug for the traceback)")


@pytest.mark.parametrize("where", ["global", "after the command"])
def test_debug_prints_the_traceback_and_still_exits_70(sample_dir, where):
    args = ["reach", "grace", "--data", sample_dir]
    args = ["--debug", *args] if where == "global" else [*args, "--debug"]
    done = run_planted("ZeroDivisionError('planted')", *args)
    assert done.returncode == 70
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert "ZeroDivisionError: planted" in done.stderr and "(run with --debug" not in done.stderr


def test_ctrl_c_is_130_not_an_internal_error(sample_dir):
    done = run_planted("KeyboardInterrupt()", "reach", "grace", "--data", sample_dir)
    assert done.returncode == 130
    assert done.stderr.splitlines() == ["graphiam: interrupted"]


def test_exit_codes_are_named_in_one_place():
    from graphiam.cli import ExitCode

    assert {c.name: int(c) for c in ExitCode} == {
        "OK": 0, "NOT_REACHABLE": 1, "BAD_INPUT": 2, "SOME_ACCOUNTS_FAILED": 3, "INTERNAL_ERROR": 70,
        "INTERRUPTED": 130, "PIPE_CLOSED": 141}
    import graphiam.cli

    for code in ExitCode:  # the module docstring documents each
        assert f"{int(code)}  " in graphiam.cli.__doc__ or f"{int(code)}   " in graphiam.cli.__doc__, code
        assert code.name in graphiam.cli.__doc__


def test_main_returns_usage_errors_and_help_instead_of_raising(capsys):
    from graphiam.cli import main

    assert main(["reach"]) == 2
    assert main(["--help"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("graphiam: error: graphiam reach:")


def test_a_reader_that_closes_the_pipe_is_not_an_internal_error(sample_dir):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    process = subprocess.Popen([sys.executable, "-m", "graphiam.cli", "export", "--format", "jsonl", "-o", "-",
                                "--data", str(sample_dir), "--no-cache"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT, env=env)
    process.stdout.close()  # like `| head` that has had enough before graphiam writes
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert err == ""


# -- check files: every entry is checked for types; a bad one is named -----------------------------------------

GOOD_PATH_CHECK = {"name": "alice wants Deploy", "source": ALICE, "target": DEPLOY, "expect": "unreachable"}


@pytest.mark.parametrize(("entry", "named"), [
    ({**GOOD_PATH_CHECK, "source": 1}, "checks[1].source must be a string"),
    ({**GOOD_PATH_CHECK, "target": None}, "checks[1].target must be a string"),
    ({"why": 5}, "checks[1].why must be a string"),
    ({**GOOD_PATH_CHECK, "service": []}, "checks[1].service must be a string or null"),
    ({**GOOD_PATH_CHECK, "action": 3}, "checks[1].action must be a string or null"),
    ({**GOOD_PATH_CHECK, "context": "x"}, "checks[1].context must map keys"),
    ({**GOOD_PATH_CHECK, "context": {"aws:SourceIp": [1]}}, "checks[1].context must map keys"),
    ({**GOOD_PATH_CHECK, "name": ["x"]}, "checks[1].name must be a string"),
    ({**GOOD_PATH_CHECK, "expect": True}, "checks[1].expect must be"),
    ("alice", "checks[1] must be an object"),
    (None, "checks[1] must be an object"),
])
def test_check_entries_with_wrong_types_are_errors_naming_the_entry_and_the_others_still_run(
        sample_dir, tmp_path, entry, named):
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checks": [GOOD_PATH_CHECK, entry, {**GOOD_PATH_CHECK, "name": "after"}]}))
    done = run("check", checks, "--data", sample_dir)
    label = entry["name"] if isinstance(entry, dict) and isinstance(entry.get("name"), str) else "checks[1]"
    assert_check_error(done, label, str(checks), named)
    passes = [line for line in done.stdout.splitlines() if line.startswith("== PASS")]
    assert passes == [f"== PASS  {GOOD_PATH_CHECK['name']}  (expect unreachable)", "== PASS  after  (expect unreachable)"]


@pytest.mark.parametrize(("content", "named"), [
    (b'{"checks": ["\xe9"]}', "not UTF-8"),
    (b"[" * 100_000, "nested too deeply"),
    (b"[]", "expected an object"),
    (b'"checks"', "expected an object"),
    (b'{"checks": {}}', '"checks" is an object'),
    (b'{"checks": null}', '"checks" is null'),
    (b'{"checks": [1' + b"0" * 5000 + b"]}", "invalid JSON"),
    (b"\xff\xfe{\x00}\x00", "not UTF-8"),
])
def test_check_files_that_are_not_a_list_of_checks_are_bad_input(sample_dir, tmp_path, content, named):
    checks = tmp_path / "checks.json"
    checks.write_bytes(content)
    assert_bad_input(run("check", checks, "--data", sample_dir), str(checks), named)


def test_check_file_with_a_byte_order_mark_is_read(sample_dir, tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_bytes(b"\xef\xbb\xbf" + json.dumps({"checks": [GOOD_PATH_CHECK]}).encode())
    code, data = run_json("check", checks, "--data", sample_dir)
    assert code == 0 and data["failed"] == 0


def test_a_check_graphiam_cannot_answer_is_an_error_and_the_rest_still_run(sample_dir, tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checks": [
        {**GOOD_PATH_CHECK, "name": "ghost", "source": "nobody"},
        {"name": "alice must reach Deploy", "source": ALICE, "target": DEPLOY, "expect": "reachable"},
        GOOD_PATH_CHECK,
    ]}))
    done = run("check", checks, "--data", sample_dir)
    assert_check_error(done, "ghost", "checks[0]", "nobody")
    assert "== FAIL  alice must reach Deploy  (expect reachable)" in done.stdout.splitlines()
    assert "failed: alice must reach Deploy" in done.stdout.splitlines()[-1]
    code, data = run_json("check", checks, "--data", sample_dir)
    assert code == 2 and [c["status"] for c in data["checks"]] == ["error", "fail", "pass"]
    assert "nobody" in data["checks"][0]["error"] and data["failed"] == 1 and data["errors"] == 1


def test_a_bad_check_file_is_said_before_the_snapshot_is_read(tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checks": "none"}))
    assert_bad_input(run("check", checks, "--data", tmp_path / "no-such-snapshot"), '"checks" is a string')


# -- terminal safety: snapshot strings are shown escaped in every text output -------------------------------

ESCAPES = "\x1b[31m\x1b]0;owned\x07\nFORGED LINE\r\x7f\x85\x9b\u202e\u2028end"  # (no NUL: names are arguments too)
SHOWN = "\\x1b[31m\\x1b]0;owned\\x07\\nFORGED LINE\\r\\x7f\\x85\\x9b\\u202e\\u2028end"
GONE = "arn:aws:iam::222222222222:policy/Gone" + ESCAPES


def hostile_org(tmp_path: Path) -> Path:
    """Names, Sids, policy names, condition values and a missing managed policy's ARN holding escapes."""
    org = Org()
    dev = org.account("222222222222")
    dev.user("mal" + ESCAPES, allow("sts:AssumeRole", "*", sid="S" + ESCAPES),
             inline={"pol" + ESCAPES: policy(allow("sts:AssumeRole", "*", sid="T" + ESCAPES))}, managed=[GONE])
    dev.user("alice", allow("sts:AssumeRole", role_arn("333333333333", "Deploy")))
    prod = org.account("333333333333")
    prod.role("Deploy" + ESCAPES, trusts=trust_account("222222222222"))
    prod.role("Deploy", trusts=trust_account("222222222222", sid="U\x00" + ESCAPES,
                                             condition={"StringEquals": {"sts:ExternalId": "x" + ESCAPES}}))
    prod.role("Closed", trusts=trust_arn(role_arn("333333333333", "Deploy"), sid="V" + ESCAPES))
    return org.write(tmp_path / "hostile")


def assert_terminal_safe(done: subprocess.CompletedProcess) -> str:
    said = done.stdout + done.stderr
    raw = sorted({repr(c) for c in said if not c.isprintable() and c not in "\n"})
    assert raw == [], f"sent raw to the terminal: {raw}"
    assert "FORGED LINE" not in "\n".join(line for line in said.splitlines() if line.startswith("FORGED"))
    for line in done.stderr.splitlines():
        assert line.startswith(("graphiam: error: ", "graphiam: warning: ")), line
    return said


MAL = "arn:aws:iam::222222222222:user/mal" + ESCAPES


@pytest.mark.parametrize("args", [
    ("path", "alice", "Deploy"),
    ("path", MAL, "Closed"),
    ("why", f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {DEPLOY}"),
    ("reach", MAL),
    ("who-can", "Deploy"),
    ("build",),
])
def test_snapshot_strings_are_shown_escaped(tmp_path, args):
    folder = hostile_org(tmp_path)
    done = run(*args, "--data", folder, "--no-cache")
    assert done.returncode in (0, 1), done.stderr
    said = assert_terminal_safe(done)
    assert SHOWN in said  # the strings are there, escaped, not dropped


def test_check_and_export_summaries_and_warnings_are_escaped(tmp_path):
    folder = hostile_org(tmp_path)
    checks = tmp_path / ("checks" + "\x1b[2J" + ".json")
    checks.write_text(json.dumps({"checks": [
        {"name": "n" + ESCAPES, "source": "alice", "target": "Deploy", "expect": "reachable"},
        {"name": "t" + ESCAPES, "why": f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: "
                                       f"{DEPLOY}"}]}))
    done = run("check", checks, "--data", folder)
    assert done.returncode == 0, done.stderr
    said = assert_terminal_safe(done)
    assert f"== PASS  n{SHOWN}" in said and f"== TICKET  t{SHOWN}" in said
    assert any(GONE.replace(ESCAPES, SHOWN) in line for line in done.stderr.splitlines())  # a warning, one line
    out = tmp_path / ("export" + "\x1b[2J" + ".jsonl")
    done = run("export", "--format", "jsonl", "-o", out, "--data", folder)
    assert done.returncode == 0
    assert_terminal_safe(done)
    assert done.stdout.startswith(f"wrote {str(out).replace(chr(27), '{ESC}')}".replace("{ESC}", "\\x1b"))


def test_errors_naming_hostile_text_are_one_escaped_line(tmp_path):
    folder = hostile_org(tmp_path)
    line = assert_bad_input(run("reach", "ghost" + ESCAPES, "--data", folder), "ghost" + SHOWN)
    assert "\x1b" not in line
    # bytes that are not UTF-8 in an argument (lone surrogates once decoded) are escaped too
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable.encode(), b"-m", b"graphiam.cli", b"reach", b"gh\xffost", b"--data",
                           str(folder).encode()], capture_output=True, cwd=REPO_ROOT, env=env, timeout=120)
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert done.stderr.decode("ascii").splitlines()[-1].startswith("graphiam: error: gh\\udcffost")


def test_json_output_stays_json_with_hostile_strings(tmp_path):
    folder = hostile_org(tmp_path)
    code, data = run_json("reach", MAL, "--data", folder)
    assert code == 0 and data["subject"] == MAL  # escaped by json.dumps, decoded back exactly


def test_terminal_safe_escapes_what_a_terminal_must_not_get():
    from graphiam.present.text import terminal_safe

    assert terminal_safe("plain text\n\tindented") == "plain text\n\tindented"
    assert terminal_safe("a\x1b[31mb\x00\x7f\x85\u202e\ud800") == "a\\x1b[31mb\\x00\\x7f\\x85\\u202e\\ud800"
    assert terminal_safe("two\nlines\tand tab\r", one_line=True) == "two\\nlines\\tand tab\\r"
    assert terminal_safe("caf\u00e9 \U0001f600") == "caf\u00e9 \U0001f600"  # printable text stays as it is
    assert terminal_safe("caf\u00e9 \U0001f600", encoding="ascii") == "caf\\xe9 \\U0001f600"


# -- the access map: placeholders in values are data, never template ------------------------------------------

PLACEHOLDER_TEXT = "{{DATA_JSON}} {{TITLE}} /*VIS_JS*/ /*VIS_CSS*/"


def test_map_placeholders_in_a_data_path_and_a_tag_stay_data(tmp_path):
    pytest.importorskip("pyvis")
    from html import escape

    from graphiam.present.map import _asset, _script_json

    org = Org()
    org.account("222222222222").user("alice", allow("sts:AssumeRole", "*"), tags={"note": PLACEHOLDER_TEXT})
    org.account("333333333333").role("Deploy", trusts=trust_account("222222222222"), tags={PLACEHOLDER_TEXT: "key"})
    org.full_access_everywhere()
    folder = org.write(tmp_path / "{{DATA_JSON}}" / "*VIS_JS*" / "{{TITLE}}" / "*VIS_CSS*")
    assert "/*VIS_JS*/" in str(folder) and "{{DATA_JSON}}" in str(folder)
    out = tmp_path / "map.html"
    done = run("map", "--data", folder, "-o", out, "--no-cache")
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    title = escape(f"graphiam access map: {folder}")
    assert page.count(f"<title>{title}</title>") == 1 and page.count(f'<h1 id="graphiam-title">{title}</h1>') == 1
    assert page.count('<script id="graphiam-data" type="application/json">') == 1
    block = page.split('<script id="graphiam-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    data = json.loads(block)
    assert page.count(block) == 1  # the data is in the page once: not spliced into the title too
    assert page.count(_asset("vis-network.min.js")) == 1 and page.count(_asset("vis-network.css")) == 1
    tips = " ".join(node["title"] for node in data["nodes"])
    assert f"tag note = {PLACEHOLDER_TEXT}" in tips and f"tag {PLACEHOLDER_TEXT} = key" in tips
    assert _script_json(data) == block


def test_map_title_with_each_placeholder_renders_once():
    pytest.importorskip("pyvis")
    import graphiam
    from graphiam.present.map import MapOptions, _asset, render_map

    org = Org()
    org.account("222222222222").user("alice", allow("sts:AssumeRole", "*"), tags={"t": PLACEHOLDER_TEXT})
    org.account("333333333333").role("Deploy", trusts=trust_account("222222222222"))
    access = graphiam.AccessGraph(org.snapshot())
    script, css = _asset("vis-network.min.js"), _asset("vis-network.css")
    for placeholder in ("{{DATA_JSON}}", "{{TITLE}}", "/*VIS_JS*/", "/*VIS_CSS*/"):
        # (a lone surrogate, as an undecodable byte of a --data path gives, is written escaped)
        page, _ = render_map(access.graph, access.snapshot, MapOptions(title=f"t {placeholder} \udcff"))
        assert page.count('<script id="graphiam-data"') == 1
        assert page.count(f"<title>t {placeholder} \\udcff</title>") == 1
        assert page.count(f'<h1 id="graphiam-title">t {placeholder} \\udcff</h1>') == 1
        assert page.count(script) == 1 and page.count(css) == 1
        page.encode("utf-8")


def test_version_prints_the_package_version_and_exits_0():
    from graphiam import __version__
    done = run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"graphiam {__version__}"


# -- check for CI: one line per pass, --quiet, the summary, JUnit XML ------------------------------------

MIXED_CHECKS = {"checks": [
    {"name": "alice stays out of Deploy", "source": ALICE, "target": DEPLOY, "expect": "unreachable"},
    {"name": "alice must reach Deploy", "source": ALICE, "target": DEPLOY, "expect": "reachable"},
    {"name": "grace reaches AppConfig", "source": GRACE, "target": APPCONFIG, "expect": "reachable"},
    {"name": "ghost", "source": "nobody", "target": DEPLOY, "expect": "reachable"},
    {"name": "ticket: alice", "why": TICKETS["alice"]},
]}


def test_passing_checks_are_one_line_and_failures_the_whole_story(sample_dir, tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps(MIXED_CHECKS))
    done = run("check", checks, "--data", sample_dir)
    assert done.returncode == 2  # one entry could not be evaluated: that wins over a failure
    lines = done.stdout.splitlines()
    for name in ("alice stays out of Deploy", "grace reaches AppConfig"):
        (at,) = [i for i, line in enumerate(lines) if line.startswith(f"== PASS  {name}")]
        assert lines[at + 1].startswith("== "), "a passing check is one line"
    (at,) = [i for i, line in enumerate(lines) if line.startswith("== FAIL  alice must reach Deploy")]
    failure = "\n".join(lines[at + 1:at + 30])
    assert "Why the direct request is denied" in failure and "Smallest fix" in failure
    assert lines[-1] == ("2 of 3 checks hold; 1 ticket(s) explained; 1 could not be evaluated; "
                         "failed: alice must reach Deploy; not evaluated: ghost")


def test_quiet_check_says_only_the_failures_and_the_summary(sample_dir, tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps(MIXED_CHECKS))
    done = run("check", checks, "--data", sample_dir, "--quiet")
    headings = [line for line in done.stdout.splitlines() if line.startswith("== ")]
    assert headings == ["== FAIL  alice must reach Deploy  (expect reachable)",
                        headings[1]] and headings[1].startswith("== ERROR  ghost: ")
    assert "PASS" not in done.stdout and "TICKET" not in done.stdout
    assert done.stdout.splitlines()[-1].endswith("failed: alice must reach Deploy; not evaluated: ghost")


def test_check_exit_codes_all_hold_some_fail(sample_dir, tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checks": MIXED_CHECKS["checks"][:1] + MIXED_CHECKS["checks"][2:3]}))
    assert run("check", checks, "--data", sample_dir).returncode == 0
    checks.write_text(json.dumps({"checks": MIXED_CHECKS["checks"][:3]}))
    assert run("check", checks, "--data", sample_dir).returncode == 1


def test_junit_report_is_valid_and_carries_the_explanations(sample_dir, tmp_path):
    xmlschema = pytest.importorskip("xmlschema")
    import xml.etree.ElementTree as ET

    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps(MIXED_CHECKS))
    report = tmp_path / "reports" / "graphiam.xml"
    report.parent.mkdir()
    done = run("check", checks, "--data", sample_dir, "--junit", report)
    assert done.returncode == 2
    schema = xmlschema.XMLSchema(REPO_ROOT / "tests" / "present" / "junit.xsd")
    schema.validate(str(report))  # raises with the reason when the shape is wrong
    suite = ET.parse(report).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "1", "1")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert list(cases) == [c["name"] for c in MIXED_CHECKS["checks"]]
    failure = cases["alice must reach Deploy"].find("failure")
    assert failure.get("message") == "not reachable, but expected reachable"
    assert "Smallest fix" in failure.text and "trust" in failure.text
    assert "nobody" in cases["ghost"].find("error").get("message")
    assert cases["alice stays out of Deploy"].find("failure") is None
    assert "NOT REACHABLE" in cases["ticket: alice"].find("system-out").text
    assert not list(report.parent.glob(".*")), "no temporary file is left beside the report"


def test_junit_xml_escapes_what_xml_cannot_hold(sample_dir, tmp_path):
    xmlschema = pytest.importorskip("xmlschema")
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checks": [{"name": "bell\x07 \x1b[31m", "source": "no\x00body", "target": DEPLOY,
                                              "expect": "reachable"}]}))
    report = tmp_path / "graphiam.xml"
    assert run("check", checks, "--data", sample_dir, "--junit", report).returncode == 2
    xmlschema.XMLSchema(REPO_ROOT / "tests" / "present" / "junit.xsd").validate(str(report))
    assert "bell\\x07 \\x1b[31m" in report.read_text(encoding="utf-8")


# -- global options before or after the command; case-insensitive actions; why from a pipe -----------------

def test_global_options_work_before_or_after_the_command(sample_dir):
    after = run("path", "grace", "AppConfig", "--data", sample_dir, "--json", "--no-cache")
    before = run("--data", str(sample_dir), "--json", "--no-cache", "path", "grace", "AppConfig")
    assert after.returncode == before.returncode == 0
    assert json.loads(after.stdout) == json.loads(before.stdout)


def test_data_given_before_and_after_the_command_adds_up(tmp_path):
    org = Org()
    org.account("222222222222").user("alice", allow("sts:AssumeRole", role_arn("333333333333", "Deploy")))
    org.account("333333333333").role("Deploy", trusts=trust_account("222222222222"))
    folder = org.write(tmp_path / "org")
    (prod,) = [p for p in folder.rglob("*.json") if "333333333333" in p.name]
    rest = [p for p in folder.rglob("*.json") if p != prod]
    assert rest
    args = [a for p in rest for a in ("--data", str(p))]
    done = run(*args, "path", "alice", "333333333333:role/Deploy", "--data", prod, "--no-cache")
    assert done.returncode == 0, done.stderr


def test_global_options_only_where_they_mean_something(tmp_path):
    done = run("synth", "--accounts", "1", "-o", tmp_path / "s", "--data", tmp_path)
    assert done.returncode == 2 and "--data is not used by synth" in done.stderr
    done = run("path", "a", "b")
    assert done.returncode == 2 and "required: --data" in done.stderr


def test_action_is_case_insensitive(sample_dir):
    code, data = run_json("path", "erin", XYZ_WEB, "--action", "IAM:passrole", "--service", "ec2.amazonaws.com",
                          "--data", sample_dir)
    assert data["action"] == "iam:PassRole"
    done = run("path", "erin", XYZ_WEB, "--action", "iam:DeleteRole", "--data", sample_dir)
    assert done.returncode == 2 and done.stderr.count("graphiam: error:") == 1 and "iam:DeleteRole" in done.stderr


def test_usage_errors_have_one_prefix_and_point_at_the_command_help(sample_dir):
    done = run("reach", "--data", sample_dir, "--nope")
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.count("error:") == 1 and "'graphiam reach --help'" in line


def test_why_reads_the_message_from_a_pipe_when_none_is_given(sample_dir):
    piped = run("why", "--data", sample_dir, "--json", stdin=TICKETS["alice"])
    given = run("why", TICKETS["alice"], "--data", sample_dir, "--json")
    assert piped.returncode == given.returncode == 1
    assert json.loads(piped.stdout) == json.loads(given.stdout)
    empty = run("why", "--data", sample_dir, stdin="")
    assert empty.returncode == 2 and "standard input held no message" in empty.stderr


def test_map_depth_without_focus_is_an_error(sample_dir, tmp_path):
    done = run("map", "--data", sample_dir, "-o", tmp_path / "m.html", "--depth", "1")
    assert done.returncode == 2 and "--depth needs --focus" in done.stderr
    assert not (tmp_path / "m.html").exists()


# -- reach and who-can: via and conditions ---------------------------------------------------------------

def test_rows_name_their_via_and_their_conditions(sample_dir):
    code, data = run_json("reach", "grace", "--data", sample_dir)
    rows = {(r["arn"], r["action"]): r for r in data["rows"]}
    assert rows[(HUB, "sts:AssumeRole")]["via"] is None
    assert rows[(DEPLOY, "sts:AssumeRole")]["via"] == HUB
    assert rows[(APPCONFIG, "sts:AssumeRole")]["via"] == DEPLOY
    assert all(r["conditions"] == [] for r in data["rows"] if not r["conditional"])
    code, data = run_json("who-can", "BreakGlass", "--data", sample_dir)
    alice = next(r for r in data["rows"] if r["arn"] == ALICE)
    assert alice["conditional"] and alice["conditions"] == ["aws:MultiFactorAuthPresent"]
    done = run("who-can", "BreakGlass", "--data", sample_dir)
    (line,) = [line for line in done.stdout.splitlines() if line.split()[2:3] == [ALICE]]
    assert line.endswith("conditional: MFA")


def test_tables_fit_the_terminal_width_with_arns_shortened_in_the_middle(sample_dir):
    env_run = lambda columns: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "graphiam.cli", "who-can", "BreakGlass", "--data", str(sample_dir)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
        env={**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(REPO_ROOT)})
    wide, narrow = env_run(400), env_run(120)
    assert "..." not in wide.stdout and ALICE in wide.stdout
    table = [line for line in narrow.stdout.splitlines()[1:] if line.startswith("  ")]
    assert all(len(line) <= 120 for line in table), max(table, key=len)
    long_arn = "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_4f1c2a9e7b3d5c60"
    assert long_arn in wide.stdout and long_arn not in narrow.stdout
    assert any(line.split()[2].startswith("arn:aws:i") and line.split()[2].endswith("7b3d5c60")
               and "..." in line.split()[2] for line in table)


# -- a real Ctrl-C: SIGINT to a running build ------------------------------------------------------------

def test_sigint_during_a_build_is_one_line_exit_130_and_leaves_no_partial_file(tmp_path):
    import signal
    import time

    org = tmp_path / "org"
    assert run("synth", "--accounts", "150", "-o", org).returncode == 0
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "GRAPHIAM_CACHE_DIR": str(cache)}
    process = subprocess.Popen([sys.executable, "-m", "graphiam.cli", "build", "--data", str(org)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT, env=env)
    time.sleep(2.5)  # well into reading and deciding (the build takes several seconds)
    assert process.poll() is None, "the build ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert err.decode() == "graphiam: interrupted\n" and out == b""
    leftovers = [p for p in cache.rglob("*") if p.is_file() and p.name != "secret.key"] if cache.exists() else []
    assert not [p for p in leftovers if "tmp" in p.name or p.name.startswith(".")], leftovers


# -- escalation: path --escalation, reach/who-can --escalation, privesc -----------------------------------

def escalation_org(tmp_path: Path) -> Path:
    org = Org(management="111111111111")
    org.account("111111111111")
    dev = org.account("222222222222")
    dev.user("dev", allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "*"))
    dev.user("near", allow(["iam:PassRole", "lambda:CreateFunction"], "*"))
    dev.user("writer", allow("iam:PutUserPolicy", user_arn("222222222222", "writer")))
    dev.role("LambdaAdmin", allow("*", "*"), trusts=trust_service("lambda.amazonaws.com"))
    dev.role("Ops", trusts=trust_arn(user_arn("222222222222", "dev")))
    org.full_access_everywhere()
    return org.write(tmp_path / "escalation")


def test_path_escalation_contract(tmp_path):
    folder = escalation_org(tmp_path)
    lambda_admin = role_arn("222222222222", "LambdaAdmin")
    plain = run("path", "dev", "LambdaAdmin", "--data", folder, "--no-cache")
    assert plain.returncode == 1  # the literal request: dev cannot assume LambdaAdmin
    code, data = run_json("path", "dev", "LambdaAdmin", "--escalation", "--data", folder, "--no-cache")
    assert code == 0 and data["reachable"] and data["escalation"] is True
    (hop,) = data["path"]
    technique = hop["technique"]
    assert technique["id"] == "lambda-create-invoke" and technique["pathfinding"] == "lambda-001"
    assert technique["service"] == "lambda.amazonaws.com"
    assert [p["action"] for p in technique["permissions"]][:1] == ["iam:PassRole"]
    assert all(p["granted_by"] for p in technique["permissions"])
    code, data = run_json("path", "dev", "Ops", "--data", folder, "--no-cache")
    assert code == 0 and data["path"][0]["technique"] is None  # a plain assume hop says so
    code, data = run_json("path", "near", lambda_admin, "--escalation", "--data", folder, "--no-cache")
    assert code == 1 and not data["reachable"]
    closest = data["near_misses"][0]  # a Lambda technique that lacks only its trigger: near has the rest
    assert closest["technique"].startswith("lambda-create")
    (missing,) = closest["missing"]
    assert missing["action"] in ("lambda:InvokeFunction", "lambda:AddPermission", "lambda:CreateEventSourceMapping")
    assert missing["blockers"][0]["layer"] == "identity"
    text = run("path", "near", lambda_admin, "--escalation", "--data", folder, "--no-cache").stdout
    assert "techniques that come closest" in text and missing["action"] in text


def test_reach_and_who_can_escalation_name_their_techniques(tmp_path):
    folder = escalation_org(tmp_path)
    lambda_admin = role_arn("222222222222", "LambdaAdmin")
    code, data = run_json("who-can", lambda_admin, "--escalation", "--data", folder, "--no-cache")
    rows = {(r["arn"], r["action"]): r for r in data["rows"]}
    assert rows[(user_arn("222222222222", "dev"), "sts:AssumeRole")]["techniques"] == ["lambda-create-invoke"]
    code, plain = run_json("who-can", lambda_admin, "--data", folder, "--no-cache")
    assert all(r["techniques"] == [] for r in plain["rows"])
    assert (user_arn("222222222222", "dev"), "sts:AssumeRole") not in {(r["arn"], r["action"]) for r in plain["rows"]}
    code, data = run_json("reach", "dev", "--escalation", "--data", folder, "--no-cache")
    assert any(r["arn"] == lambda_admin and r["techniques"] == ["lambda-create-invoke"] for r in data["rows"])


def test_privesc_lists_who_can_become_an_administrator(tmp_path):
    folder = escalation_org(tmp_path)
    code, data = run_json("privesc", "--data", folder, "--no-cache")
    assert code == 0
    assert role_arn("222222222222", "LambdaAdmin") in data["admins"]
    by = {r["principal"]: r for r in data["rows"]}
    assert set(by) == {user_arn("222222222222", "dev"), user_arn("222222222222", "writer")}
    assert by[user_arn("222222222222", "writer")]["becomes_admin_via"][0]["technique"]["id"] == "iam-put-user-policy"
    assert all(r["admin"] is False and r["hops"] == len(r["becomes_admin_via"]) for r in data["rows"])
    text = run("privesc", "--data", folder, "--no-cache").stdout
    assert "[iam-put-user-policy] itself" in text and "[lambda-create-invoke]" in text


def test_check_entries_ask_escalation_questions(tmp_path):
    folder = escalation_org(tmp_path)
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checks": [
        {"name": "dev becomes LambdaAdmin", "source": "dev", "target": "LambdaAdmin", "expect": "reachable",
         "escalation": True},
        {"name": "but cannot assume it", "source": "dev", "target": "LambdaAdmin", "expect": "unreachable"},
        {"name": "writer can become an administrator", "source": "writer", "target": "admin",
         "expect": "reachable", "escalation": True},
        {"name": "near cannot", "source": "near", "target": "admin", "expect": "unreachable", "escalation": True},
    ]}))
    done = run("check", checks, "--data", folder, "--no-cache")
    assert done.returncode == 0, done.stdout
    checks.write_text(json.dumps({"checks": [
        {"name": "bad flag", "source": "dev", "target": "LambdaAdmin", "expect": "reachable", "escalation": "yes"},
        {"name": "admin alone", "source": "dev", "target": "admin", "expect": "reachable"},
    ]}))
    done = run("check", checks, "--data", folder, "--no-cache")
    assert done.returncode == 2
    assert "checks[0].escalation must be true or false" in done.stdout
    assert 'checks[1].target "admin" (any administrator) needs "escalation": true' in done.stdout


def test_map_draws_technique_edges_only_with_escalation(tmp_path):
    folder = escalation_org(tmp_path)
    plain, escalated = tmp_path / "plain.html", tmp_path / "escalated.html"
    assert run("map", "--data", folder, "-o", plain, "--no-cache").returncode == 0
    assert run("map", "--data", folder, "-o", escalated, "--escalation", "--no-cache").returncode == 0
    assert "lambda-create-invoke" not in plain.read_text() and "lambda-create-invoke" in escalated.read_text()


def test_path_to_admin_explains_a_boundary_that_caps_a_self_escalation():
    code, data = run_json("path", "peggy", "admin", "--escalation", "--data", REPO_ROOT / "data" / "sample-org")
    assert code == 1 and not data["reachable"]
    closest = data["near_misses"][0]
    assert closest["technique"] == "iam-put-user-policy" and closest["missing"][0]["after"] == "iam-put-user-policy"
    assert data["blockers"][0]["layer"] == "permissions_boundary"
    code, data = run_json("path", "access-provisioner", "admin", "--escalation", "--data", REPO_ROOT / "data" / "sample-org")
    assert code == 0 and data["path"][0]["technique"]["id"] == "iam-put-user-policy"


# -- a provider's subject as the source ------------------------------------------------------------------

GITHUB = "token.actions.githubusercontent.com"


def test_a_workflow_identity_of_a_provider_as_the_source(sample_dir):
    code, data = run_json("path", "repo:acme/app:ref:refs/heads/main", "GitHubActions", "--provider", GITHUB,
                          "--data", sample_dir)
    assert code == 0 and data["reachable"] and data["conditional"]  # the token's aud is still a condition
    assert data["source"].endswith(f":oidc-provider/{GITHUB}")
    assert data["context"] == {f"{GITHUB}:sub": ["repo:acme/app:ref:refs/heads/main"]}
    code, data = run_json("path", "repo:acme/app:ref:refs/heads/dev", "GitHubActions", "--provider", GITHUB,
                          "--data", sample_dir)
    assert code == 1 and not data["reachable"]  # StringLike on sub is exact here: another branch is not let in
    code, data = run_json("path", "repo:ACME/app:ref:refs/heads/main", "GitHubActions", "--provider", GITHUB,
                          "--data", sample_dir)
    assert code == 1  # sub is compared case-sensitively
    done = run("path", "repo:acme/app:ref:refs/heads/main", "GitHubActions", "--provider", "gitlab.com",
               "--data", sample_dir)
    # staging also holds the Identity Center SAML provider (its ReadOnlyAccess permission set is provisioned there)
    assert done.returncode == 2 and f"its providers: AWSSSO_4f1c2a9e7b3d5c60_DO_NOT_DELETE, {GITHUB}" in done.stderr


# -- findings --------------------------------------------------------------------------------------------

def test_findings_exit_codes_json_and_sarif(sample_dir, tmp_path):
    sarif = tmp_path / "findings.sarif"
    code, data = run_json("findings", "--data", sample_dir, "--sarif", sarif)
    assert code == 1  # there are findings
    rules = {f["rule"] for f in data["findings"]}
    assert "GIAM001" in rules and all(f["fix"] for f in data["findings"])
    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0" and len(log["runs"][0]["results"]) == len(data["findings"])
    code, high = run_json("findings", "--data", sample_dir, "--severity", "high")
    assert code == 1 and {f["severity"] for f in high["findings"]} == {"high"}
    clean = Org()
    clean.account("222222222222").user("alice", allow("sts:AssumeRole", role_arn("222222222222", "Ops")))
    clean.account("222222222222").role("Ops", trusts=trust_account("222222222222"))
    clean.full_access_everywhere()
    folder = clean.write(tmp_path / "clean")
    code, none = run_json("findings", "--data", folder)
    assert code == 0 and none["findings"] == []


def test_who_can_says_which_subjects_a_provider_lets_in(sample_dir):
    code, data = run_json("who-can", "GitHubActions", "--data", sample_dir)
    (row,) = [r for r in data["rows"] if r["kind"] == "federated"]
    assert row["subject"] == "acme/app on refs/heads/main"
    assert all(r["subject"] is None for r in data["rows"] if r["kind"] != "federated")
    assert "subject: acme/app on refs/heads/main" in run("who-can", "GitHubActions", "--data", sample_dir).stdout


# -- IAM Identity Center: a person's path, and who-can's notes on assignments it cannot follow ---------------

def test_identity_center_people_on_the_command_line(tmp_path):
    org = Org()
    for account_id in ("111111111111", "222222222222", "333333333333"):
        org.account(account_id).user("local")
    center = org.identity_center()
    alice = center.user("alice@example.com", emails=["alice@example.com"], display_name="Alice")
    bob = center.user("bob", emails=["bob@example.com"])
    admin = center.permission_set("AdministratorAccess", allow("*"))
    center.assign("333333333333", admin, user=alice)
    center.assign("222222222222", admin, user=bob, provision=False)
    org.full_access_everywhere()
    folder = org.write(tmp_path / "org")
    role = center.role_arn(admin, "333333333333")
    code, data = run_json("path", "alice@example.com", role, "--data", folder, "--no-cache")
    assert code == 0 and [h["action"] for h in data["path"]] == ["sts:AssumeRoleWithSAML"]
    code, data = run_json("who-can", "222222222222", "--data", folder, "--no-cache")
    (fact,) = data["identity_center_facts"]
    assert fact["kind"] == "role_not_provisioned" and fact["permission_set_name"] == "AdministratorAccess"
    text = run("who-can", "222222222222", "--data", folder, "--no-cache").stdout
    assert "its role is not provisioned there" in text


def test_a_findings_check_counts_findings_at_a_severity(sample_dir, tmp_path):
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checks": [
        {"name": "few high findings", "findings": "high", "at_most": 10},
        {"name": "no findings at all", "findings": "low", "at_most": 0},
        {"name": "bad", "findings": "critical"},
    ]}))
    done = run("check", checks, "--data", sample_dir, "--junit", tmp_path / "j.xml")
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert any(line.startswith("== PASS  few high findings  (") and "GIAM001" in line for line in lines)
    (at,) = [i for i, line in enumerate(lines) if line.startswith("== FAIL  no findings at all")]
    assert "fix:" in "\n".join(lines[at:at + 4])
    assert any(line.startswith("== ERROR  bad: ") and ".findings must be" in line for line in lines)
    assert "but expected at most 0" in (tmp_path / "j.xml").read_text()


def test_build_runs_in_processes_by_default_on_two_cores_and_says_so(monkeypatch):
    """``--engine auto``: forked partitions on a POSIX machine with two cores or more, the local build on one
    core; both give the same counts, and the report names the engine that ran."""
    from graphiam.access import parallel_build_pays
    from graphiam.snapshot.read import load_snapshot

    sample = REPO_ROOT / "data" / "sample-org"
    code, auto = run_json("build", "--data", sample, "--no-cache")
    code_local, local = run_json("build", "--data", sample, "--no-cache", "--engine", "local")
    assert code == code_local == 0 and auto["counts"] == local["counts"] and local["engine"] == "local"
    assert auto["engine"] == ("processes" if parallel_build_pays(load_snapshot([sample])) else "local")
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert not parallel_build_pays(load_snapshot([sample]))


def test_build_on_a_cache_hit_says_no_engine_ran(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(tmp_path / "cache"))
    sample = REPO_ROOT / "data" / "sample-org"
    _, built = run_json("build", "--data", sample)
    code, hit = run_json("build", "--data", sample)
    assert built["cache"] == "miss" and built["engine"] in ("local", "processes")
    assert code == 0 and hit["cache"] == "hit" and hit["engine"] is None and hit["counts"] == built["counts"]
