"""`graphiam collect` end to end: a subprocess talking to moto's server over HTTP only.

The organization comes from moto_org.build_org (see MOTO_NOTES.md for what
moto does not emulate, and so what these tests cannot prove).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .moto_org import DENY_ASSUME, ROLE_WITHOUT_PERMISSIONS, OrgFacts, free_port, make_account_unreachable

REPO_ROOT = Path(__file__).resolve().parents[2]


def graphiam(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), environment.get("PYTHONPATH", "")) if p)
    environment.update(env or {})
    done = subprocess.run([sys.executable, "-m", "graphiam.cli", *map(str, args)], capture_output=True, text=True,
                          env=environment, timeout=300)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr
    return done


def collect(facts: OrgFacts, out: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return graphiam("collect", "-o", out, "--endpoint-url", facts.endpoint_url, *extra, env=env)


def manifest(out: Path) -> dict:
    return json.loads((out / "collection.json").read_text())


def path_json(snapshot: Path, source: str, target: str) -> tuple[int, dict]:
    done = graphiam("path", source, target, "--data", snapshot, "--json")
    return done.returncode, json.loads(done.stdout)


def collector_env(facts: OrgFacts) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": facts.collector.access_key_id,
            "AWS_SECRET_ACCESS_KEY": facts.collector.secret_access_key}


def test_org_collection_writes_every_account_and_the_organization(moto_org: OrgFacts, tmp_path: Path):
    out = tmp_path / "snapshot"
    done = collect(moto_org, out, "--org")
    assert done.returncode == 0, done.stderr
    ids = set(moto_org.all_account_ids.values())
    assert {p.stem for p in (out / "accounts").glob("*.json")} == ids
    record = manifest(out)
    assert record["Kind"] == "graphiam-collection-manifest"
    assert record["caller_account"] == moto_org.management_account_id
    assert {a: o["status"] for a, o in record["accounts"].items()} == {a: "ok" for a in ids}
    assert record["accounts"][moto_org.management_account_id]["via"] == "caller"
    member = moto_org.account_ids["prod"]
    assert record["accounts"][member]["via"] == f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"

    organization = json.loads((out / "organization.json").read_text())
    assert organization["Organization"]["Id"] == moto_org.org_id
    parents = {a["Id"]: a["ParentId"] for a in organization["Accounts"]}
    assert parents[member] == moto_org.ou_ids["Prod"]
    units = {u["Id"]: u["ParentId"] for u in organization["OrganizationalUnits"]}
    assert units[moto_org.ou_ids["Prod"]] == moto_org.ou_ids["Workloads"]
    by_id = {p["PolicySummary"]["Id"]: p for p in organization["Policies"]}
    assert [t["TargetId"] for t in by_id[moto_org.scp_id]["Targets"]] == [moto_org.ou_ids["NonProd"]]
    assert by_id[moto_org.scp_id]["PolicySummary"]["Type"] == "SERVICE_CONTROL_POLICY"
    assert by_id[moto_org.rcp_id]["PolicySummary"]["Type"] == "RESOURCE_CONTROL_POLICY"
    assert json.loads(by_id[moto_org.scp_id]["Content"])["Statement"]


def test_account_files_hold_iam_entities_and_identity_providers(moto_org: OrgFacts, tmp_path: Path):
    out = tmp_path / "snapshot"
    assert collect(moto_org, out, "--org").returncode == 0
    identity = json.loads((out / "accounts" / f"{moto_org.account_ids['identity']}.json").read_text())
    assert {u["UserName"] for u in identity["UserDetailList"]} >= moto_org.entities["identity"].users
    assert {g["GroupName"] for g in identity["GroupDetailList"]} >= moto_org.entities["identity"].groups
    assert {p["Arn"] for p in identity["OpenIDConnectProviderList"]} == moto_org.entities["identity"].oidc_provider_arns
    versioned = next(p for p in identity["Policies"] if p["Arn"] == moto_org.versioned_policy_arn)
    assert len(versioned["PolicyVersionList"]) == 2
    prod = json.loads((out / "accounts" / f"{moto_org.account_ids['prod']}.json").read_text())
    deploy = next(r for r in prod["RoleDetailList"] if r["Arn"] == moto_org.role_with_boundary_arn)
    assert deploy["PermissionsBoundary"]["PermissionsBoundaryArn"] == moto_org.role_boundary_policy_arn
    assert isinstance(deploy["AssumeRolePolicyDocument"], dict)


def test_paths_on_the_collected_snapshot_match_the_built_data(moto_org: OrgFacts, tmp_path: Path):
    """A cross-account path that works, one blocked by the SCP, one by trust, one by the RCP, ..."""
    out = tmp_path / "snapshot"
    assert collect(moto_org, out, "--org").returncode == 0
    assert {"works", "scp_blocked", "trust_blocked", "rcp_blocked"} <= set(moto_org.paths)
    for name, question in moto_org.paths.items():
        code, result = path_json(out, question.source, question.target)
        if question.allowed:
            assert (code, result["reachable"]) == (0, True), (name, result)
        else:
            assert (code, result["reachable"]) == (1, False), (name, result)
            assert question.blocked_by in {b["layer"] for b in result["blockers"]}, (name, result["blockers"])


def test_a_member_account_that_cannot_be_assumed_is_reported_and_the_rest_collected(moto_org: OrgFacts, tmp_path: Path):
    broken = make_account_unreachable(moto_org, "sandbox", DENY_ASSUME)
    out = tmp_path / "snapshot"
    done = collect(moto_org, out, "--org", env=collector_env(moto_org))
    assert done.returncode == 3, done.stderr
    record = manifest(out)
    failed = record["accounts"][broken.account_id]
    assert (failed["status"], failed["error_code"]) == ("failed", "AccessDenied")
    assert "AssumeRole" in failed["error"]
    others = {a for a in moto_org.all_account_ids.values() if a != broken.account_id}
    assert {a for a, o in record["accounts"].items() if o["status"] == "ok"} == others
    assert not (out / "accounts" / f"{broken.account_id}.json").exists()
    assert f"account {broken.account_id}" in done.stdout and "AccessDenied" in done.stdout
    # the analysis says what it is missing
    analysis = graphiam("path", moto_org.path_works.source, moto_org.path_works.target, "--data", out)
    assert analysis.returncode == 0
    said = analysis.stdout + analysis.stderr  # the human answer ends with its warnings, each said once
    assert f"account {broken.account_id}" in said and "could not be collected" in said
    assert said.count("could not be collected") == 1


def test_an_account_whose_role_cannot_read_iam_is_reported(moto_org: OrgFacts, tmp_path: Path):
    broken = make_account_unreachable(moto_org, "nonprod", ROLE_WITHOUT_PERMISSIONS)
    out = tmp_path / "snapshot"
    done = collect(moto_org, out, "--org", env=collector_env(moto_org))
    assert done.returncode == 3
    failed = manifest(out)["accounts"][broken.account_id]
    assert failed["status"] == "failed" and failed["error_code"] == "AccessDenied"


def test_resume_collects_only_what_is_missing(moto_org: OrgFacts, tmp_path: Path):
    out = tmp_path / "snapshot"
    assert collect(moto_org, out, "--org").returncode == 0
    lost = moto_org.account_ids["nonprod"]
    kept = (out / "accounts" / f"{moto_org.account_ids['prod']}.json")
    kept_before = kept.stat().st_mtime_ns
    (out / "accounts" / f"{lost}.json").unlink()  # as if the run had been interrupted before it
    done = collect(moto_org, out, "--org", "--resume")
    assert done.returncode == 0
    record = manifest(out)
    statuses = {a: o["status"] for a, o in record["accounts"].items()}
    assert statuses.pop(lost) == "ok"
    assert set(statuses.values()) == {"skipped"}
    assert (out / "accounts" / f"{lost}.json").exists()
    assert kept.stat().st_mtime_ns == kept_before  # not rewritten


def drop_last_used(account: dict) -> dict:
    for role in account["RoleDetailList"]:
        role.get("RoleLastUsed", {}).pop("LastUsedDate", None)
    return account


def test_collecting_unchanged_data_twice_gives_identical_files(moto_org: OrgFacts, tmp_path: Path):
    first, second = tmp_path / "one", tmp_path / "two"
    assert collect(moto_org, first, "--org", "--workers", "1").returncode == 0
    assert collect(moto_org, second, "--org", "--workers", "4").returncode == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*.json") if p.name != "collection.json")
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.json") if p.name != "collection.json")
    for name in files:
        one, two = (first / name).read_text(), (second / name).read_text()
        if name.parts[0] == "accounts":
            # the collector's own AssumeRole moves RoleLastUsed of the access role: the one timestamp that changes
            one, two = (json.dumps(drop_last_used(json.loads(text))) for text in (one, two))
        assert one == two, name

    def without_times(record: dict) -> dict:
        record = {k: v for k, v in record.items() if k not in ("started_at", "updated_at", "finished_at", "options")}
        for outcome in record["accounts"].values():
            outcome.pop("seconds")
        return record
    assert without_times(manifest(first)) == without_times(manifest(second))


def test_default_scope_is_the_callers_account(moto_org: OrgFacts, tmp_path: Path):
    out = tmp_path / "snapshot"
    assert collect(moto_org, out).returncode == 0
    assert [p.stem for p in (out / "accounts").glob("*.json")] == [moto_org.management_account_id]
    assert not (out / "organization.json").exists()


def test_account_and_exclude_account_narrow_the_org(moto_org: OrgFacts, tmp_path: Path):
    out = tmp_path / "snapshot"
    prod, nonprod, sandbox = (moto_org.account_ids[n] for n in ("prod", "nonprod", "sandbox"))
    done = collect(moto_org, out, "--org", "--account", prod, "--account", nonprod, "--account", sandbox,
                   "--exclude-account", sandbox)
    assert done.returncode == 0
    assert sorted(p.stem for p in (out / "accounts").glob("*.json")) == sorted([prod, nonprod])


def test_role_arn_covers_an_account_without_the_organization(moto_org: OrgFacts, tmp_path: Path):
    out = tmp_path / "snapshot"
    member = moto_org.account_ids["identity"]
    done = collect(moto_org, out, "--role-arn", f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", "--json")
    assert done.returncode == 0
    record = json.loads(done.stdout)  # --json prints the manifest
    assert list(record["accounts"]) == [member]
    assert (out / "accounts" / f"{member}.json").exists()


def test_no_credentials_is_one_line_and_exit_2(moto_org: OrgFacts, tmp_path: Path):
    done = collect(moto_org, tmp_path / "out", env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("graphiam: error: no AWS credentials")


def test_unreachable_endpoint_is_one_line_and_exit_2(aws_env: None, tmp_path: Path):
    done = graphiam("collect", "-o", tmp_path / "out", "--endpoint-url", f"http://127.0.0.1:{free_port()}",
                    "--max-attempts", "1")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("graphiam: error: cannot reach AWS")


def test_bad_arguments_exit_2(aws_env: None, tmp_path: Path):
    for args, said in ((["--workers", "0"], "--workers must be at least 1"),
                       (["--role-arn", "not-an-arn", "--endpoint-url", "http://127.0.0.1:1"], "not a role ARN")):
        done = graphiam("collect", "-o", tmp_path / "out", *args)
        assert done.returncode == 2 and done.stderr.startswith("graphiam: error:"), done.stderr
        assert said in done.stderr  # found before any call to AWS (the endpoint is never tried)
