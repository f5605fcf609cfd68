"""`graphiam collect` against broken answers: moto's server behind tests/collect/fault_proxy.py.

Every run goes through the proxy (``--endpoint-url proxy.url``), which forwards
to moto and injects one fault by rule: throttling, 5xx, garbage, a body cut
short, a dropped connection, a stall. The fault matrix, as tested here:

=========================  ==========================  =====================================
fault                      where                       outcome
=========================  ==========================  =====================================
Throttling 400, 429 (no    one account's IAM call,     retried, exit 0, every account ok
body), 503 (HTML), 500,    the organization walk
dropped, once
500 / Throttling /         one account's IAM call      exit 3: that account failed (code
dropped, every attempt                                 InternalFailure / Throttling /
                                                       ConnectionClosedError), others ok
garbage, cut, truncated    one account's IAM call or   exit 3: that account failed
                           its AssumeRole              (ResponseParserError), others ok
stall > read timeout       one account's IAM call      that account failed (ReadTimeoutError)
garbage, cut, truncated,   the organization walk       exit 2, one line, no traceback, no
dropped/500 every attempt                              manifest, no organization.json
garbage                    GetCallerIdentity           exit 2, one line
kill -9 mid-run            (stall on the 3rd account)  manifest without finished_at, the rest
                                                       pending; --resume: exit 0, finished_at
=========================  ==========================  =====================================
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphiam.collect import CollectOptions, collect
from graphiam.collect.clients import ClientOptions

from .fault_proxy import (
    CUT,
    DROP,
    GARBAGE,
    SERVER_ERROR,
    THROTTLE,
    THROTTLE_429,
    TRUNCATED,
    UNAVAILABLE_503,
    FaultProxy,
    Rule,
    stall,
)
from .moto_org import OrgFacts
from .test_collect import REPO_ROOT, graphiam, manifest

AUTH_DETAILS = "GetAccountAuthorizationDetails"


@pytest.fixture
def proxy(moto_org: OrgFacts) -> Iterator[FaultProxy]:
    with FaultProxy(moto_org.endpoint_url, default_account=moto_org.management_account_id) as running:
        yield running


def collect_via(proxy: FaultProxy, out: Path, *extra: str, attempts: int = 2) -> subprocess.CompletedProcess:
    """``graphiam collect --org`` through the proxy (and no traceback, ever: see graphiam())."""
    return graphiam("collect", "-o", out, "--endpoint-url", proxy.url, "--org", "--max-attempts", str(attempts),
                    "--workers", "2", *extra)


def statuses(out: Path) -> dict[str, str]:
    return {account: o["status"] for account, o in manifest(out)["accounts"].items()}


def account_files(out: Path) -> set[str]:
    return {p.stem for p in (out / "accounts").glob("*.json")}


# -- retried faults: the run succeeds ---------------------------------------------

@pytest.mark.parametrize("fault", [THROTTLE, THROTTLE_429, UNAVAILABLE_503, SERVER_ERROR, DROP])
def test_a_transient_fault_is_retried_and_the_run_succeeds(moto_org: OrgFacts, proxy: FaultProxy, tmp_path: Path,
                                                           fault: str):
    """Once in one account's IAM calls, once in the organization walk.

    After a throttling answer botocore's adaptive mode rate-limits that client
    (about 0.3 s a call here), so the faults hit the last calls of each: the
    account's ListOpenIDConnectProviders and the walk's last ListTargetsForPolicy
    (one per policy: FullAWSAccess, RCPFullAWSAccess, the SCP, the RCP).
    """
    prod = moto_org.account_ids["prod"]
    proxy.add(Rule(fault, operation="ListOpenIDConnectProviders", account=prod, times=1),
              Rule(fault, operation="ListTargetsForPolicy", skip=3, times=1))
    out = tmp_path / "snapshot"
    done = collect_via(proxy, out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(statuses(out).values()) == {"ok"}
    assert account_files(out) == set(moto_org.all_account_ids.values())
    assert manifest(out)["finished_at"]
    tried = proxy.requests(operation="ListOpenIDConnectProviders", account=prod)
    assert [s.fault for s in tried] == [fault, None]  # the fault, then the retry that worked
    assert [s.fault for s in proxy.requests(operation="ListTargetsForPolicy")] == [None, None, None, fault, None]
    organization = json.loads((out / "organization.json").read_text())
    assert all(policy["Targets"] for policy in organization["Policies"])  # the retried answer was used


# -- one account's calls broken: that account failed, exit 3 ------------------------

@pytest.mark.parametrize(("fault", "times", "code"), [
    (SERVER_ERROR, None, "InternalFailure"),
    (THROTTLE, None, "Throttling"),
    (DROP, None, "ConnectionClosedError"),
    (GARBAGE, 1, "ResponseParserError"),
    (CUT, 1, "ResponseParserError"),
    (TRUNCATED, 1, "ResponseParserError"),
])
def test_a_broken_answer_on_one_account_fails_that_account_only(moto_org: OrgFacts, proxy: FaultProxy, tmp_path: Path,
                                                                 fault: str, times: int | None, code: str):
    prod = moto_org.account_ids["prod"]
    proxy.add(Rule(fault, operation=AUTH_DETAILS, account=prod, times=times))
    out = tmp_path / "snapshot"
    done = collect_via(proxy, out)
    assert done.returncode == 3, done.stdout + done.stderr
    record = manifest(out)
    failed = record["accounts"][prod]
    assert (failed["status"], failed["error_code"]) == ("failed", code)
    assert failed["error"].startswith(f"{AUTH_DETAILS}: ") and "\n" not in failed["error"]
    assert len(failed["error"]) <= 300
    others = set(moto_org.all_account_ids.values()) - {prod}
    assert {a for a, s in statuses(out).items() if s == "ok"} == others
    assert account_files(out) == others
    assert record["finished_at"] and record["summary"] == {"ok": 4, "failed": 1, "skipped": 0, "pending": 0}
    assert f"account {prod}" in done.stdout and code in done.stdout
    # retried only what botocore deems transient: 5xx, throttling, dropped connections (2 attempts);
    # an answer that does not parse is not retried
    assert len(proxy.requests(operation=AUTH_DETAILS, account=prod)) == (2 if times is None else 1)


@pytest.mark.parametrize("fault", [GARBAGE, DROP])
def test_a_broken_assume_role_fails_that_account_only(moto_org: OrgFacts, proxy: FaultProxy, tmp_path: Path,
                                                      fault: str):
    sandbox = moto_org.account_ids["sandbox"]
    proxy.add(Rule(fault, operation="AssumeRole", body_contains=sandbox))
    out = tmp_path / "snapshot"
    done = collect_via(proxy, out)
    assert done.returncode == 3, done.stdout + done.stderr
    failed = manifest(out)["accounts"][sandbox]
    assert failed["status"] == "failed" and failed["error"].startswith("AssumeRole: ")
    assert failed["error_code"] == {GARBAGE: "ResponseParserError", DROP: "ConnectionClosedError"}[fault]
    assert account_files(out) == set(moto_org.all_account_ids.values()) - {sandbox}


def test_an_answer_slower_than_the_read_timeout_fails_that_account(moto_org: OrgFacts, proxy: FaultProxy,
                                                                   tmp_path: Path):
    """The timeouts are ClientOptions (connect_timeout, read_timeout); run in-process."""
    prod = moto_org.account_ids["prod"]
    # the stall is far longer than the timeout, and the timeout long enough for moto's answers on a busy machine
    proxy.add(Rule(stall(30), operation=AUTH_DETAILS, account=prod))
    started = time.monotonic()
    report = collect(CollectOptions(output=tmp_path / "snapshot", org=True, workers=5,
                                    clients=ClientOptions(endpoint_url=proxy.url, max_attempts=1, read_timeout=3,
                                                          connect_timeout=2)))
    assert time.monotonic() - started < 25  # the stalled answer was not waited for
    failed = {o.account_id: o for o in report.failed}
    assert list(failed) == [prod]
    assert failed[prod].error_code == "ReadTimeoutError" and failed[prod].error.startswith(f"{AUTH_DETAILS}: ")
    assert report.manifest["options"]["read_timeout"] == 3 and report.manifest["finished_at"]


# -- the organization walk or the caller broken: one line, exit 2 -------------------

@pytest.mark.parametrize(("fault", "operation", "code"), [
    (GARBAGE, "DescribeOrganization", "ResponseParserError"),
    (GARBAGE, "ListAccountsForParent", "ResponseParserError"),
    (CUT, "ListAccountsForParent", "ResponseParserError"),  # botocore alone would read this as "no accounts"
    (TRUNCATED, "ListOrganizationalUnitsForParent", "ResponseParserError"),
    (DROP, "ListRoots", "ConnectionClosedError"),
    (SERVER_ERROR, "ListPolicies", "InternalFailure"),
])
def test_a_broken_organization_walk_is_one_line_and_exit_2(moto_org: OrgFacts, proxy: FaultProxy, tmp_path: Path,
                                                           fault: str, operation: str, code: str):
    proxy.add(Rule(fault, operation=operation, skip=1 if operation == "ListAccountsForParent" else 0))
    out = tmp_path / "snapshot"
    done = collect_via(proxy, out)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"graphiam: error: cannot read the organization ({code}: {operation}: ")
    assert "--org needs the management account" not in done.stderr  # not a permissions problem
    assert not (out / "collection.json").exists() and not (out / "organization.json").exists()
    assert not account_files(out) if (out / "accounts").exists() else True


def test_a_garbage_caller_identity_is_one_line_and_exit_2(moto_org: OrgFacts, proxy: FaultProxy, tmp_path: Path):
    proxy.add(Rule(GARBAGE, operation="GetCallerIdentity"))
    done = collect_via(proxy, tmp_path / "snapshot")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("graphiam: error: cannot reach AWS: a broken answer (ResponseParserError: "
                                  "GetCallerIdentity: ")


# -- interrupted runs and --resume ----------------------------------------------------

def test_a_failed_account_is_collected_by_resume(moto_org: OrgFacts, proxy: FaultProxy, tmp_path: Path):
    prod = moto_org.account_ids["prod"]
    proxy.add(Rule(GARBAGE, operation=AUTH_DETAILS, account=prod))
    out = tmp_path / "snapshot"
    assert collect_via(proxy, out).returncode == 3
    first = manifest(out)
    proxy.clear()
    done = collect_via(proxy, out, "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    record = manifest(out)
    assert record["accounts"][prod]["status"] == "ok"
    assert {a: s for a, s in statuses(out).items() if a != prod} == {
        a: "skipped" for a in moto_org.all_account_ids.values() if a != prod}
    kept = record["accounts"][moto_org.management_account_id]
    assert kept["counts"] == first["accounts"][moto_org.management_account_id]["counts"]  # carried over
    assert record["resumed_from"] == [first["started_at"]] and record["finished_at"]


def test_a_killed_run_leaves_an_unfinished_manifest_and_resume_completes_it(moto_org: OrgFacts, proxy: FaultProxy,
                                                                             tmp_path: Path):
    out = tmp_path / "snapshot"
    proxy.add(Rule(stall(30), operation=AUTH_DETAILS, skip=2, times=1))  # the third account hangs
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), environment.get("PYTHONPATH", "")) if p)
    run = subprocess.Popen([sys.executable, "-m", "graphiam.cli", "collect", "-o", str(out), "--org",
                            "--endpoint-url", proxy.url, "--workers", "1", "--max-attempts", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    try:
        assert proxy.stalled.wait(60), "the collector never reached the third account"
        time.sleep(0.3)  # let it settle in the stalled call
        run.send_signal(signal.SIGKILL)
        run.wait(10)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)
    proxy.clear()

    everyone = set(moto_org.all_account_ids.values())
    record = manifest(out)
    assert "finished_at" not in record and record["started_at"] and record["updated_at"]
    written = account_files(out)
    assert len(written) == 2  # two accounts were read before the stall
    assert set(record["accounts"]) == everyone  # the first manifest listed every planned account
    seen = statuses(out)
    assert {a for a, s in seen.items() if s != "pending"} <= written  # nothing claimed that is not on disk
    assert {a for a in everyone - written if seen[a] == "pending"} == everyone - written
    assert (out / "organization.json").exists()
    stale = out / "accounts" / ".999999999999.json.abcdef.tmp"  # what a kill during a write leaves
    stale.write_text("{")

    done = collect_via(proxy, out, "--resume")
    assert done.returncode == 0, done.stdout + done.stderr
    record = manifest(out)
    assert record["finished_at"] and record["resumed_from"]
    assert account_files(out) == everyone
    assert {a: s for a, s in statuses(out).items()} == {a: ("skipped" if a in written else "ok") for a in everyone}
    assert record["summary"] == {"ok": 3, "failed": 0, "skipped": 2, "pending": 0}
    assert not stale.exists()
    assert not [p for p in out.rglob("*.tmp")]
    assert json.loads((out / "organization.json").read_text())["Organization"]["Id"] == moto_org.org_id
