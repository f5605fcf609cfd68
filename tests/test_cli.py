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

from builders import Org, allow, policy, role_arn, trust_account, trust_arn, user_arn

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
        (line,) = [line for line in lines[1:] if arn in line.split()]
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
    assert_bad_input(run("check", checks, "--data", sample_dir), str(checks))


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
