"""The collector's planning, progress line and atomic writes (no AWS needed)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from graphiam.collect.runner import (
    AccountOutcome,
    CollectError,
    Collector,
    CollectOptions,
    Progress,
    Target,
    write_json_atomic,
)

CALLER = "111111111111"
ORG_ACCOUNTS = [
    {"Id": CALLER, "Name": "management", "Status": "ACTIVE"},
    {"Id": "222222222222", "Name": "dev", "Status": "ACTIVE"},
    {"Id": "333333333333", "Name": "prod", "Status": "ACTIVE"},
    {"Id": "444444444444", "Name": "old", "Status": "SUSPENDED"},
]


def plan(tmp_path: Path, org: bool = True, **options):
    collector = Collector(CollectOptions(output=tmp_path, org=org, **options))
    return collector.plan(CALLER, ORG_ACCOUNTS if org else None)


def test_org_plan_reads_the_callers_account_directly_and_assumes_into_members(tmp_path):
    targets, skipped = plan(tmp_path)
    assert [(t.account_id, t.role_arn) for t in targets] == [
        (CALLER, None),
        ("222222222222", "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"),
        ("333333333333", "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"),
    ]
    assert [(s.account_id, s.status, s.error) for s in skipped] == [("444444444444", "skipped", "account status is SUSPENDED")]


def test_account_exclude_and_role_name_narrow_the_plan(tmp_path):
    targets, _ = plan(tmp_path, accounts=("222222222222", "333333333333"), exclude_accounts=("333333333333",),
                      role_name="graphiam-reader")
    assert [(t.account_id, t.role_arn) for t in targets] == [("222222222222", "arn:aws:iam::222222222222:role/graphiam-reader")]


def test_role_arns_add_accounts_and_default_scope_is_the_caller(tmp_path):
    assert [t.account_id for t in plan(tmp_path, org=False)[0]] == [CALLER]
    targets, _ = plan(tmp_path, org=False, role_arns=("arn:aws:iam::999999999999:role/reader",))
    assert [(t.account_id, t.role_arn) for t in targets] == [("999999999999", "arn:aws:iam::999999999999:role/reader")]
    with pytest.raises(CollectError, match="not a role ARN"):
        plan(tmp_path, org=False, role_arns=("role/reader",))


def test_progress_line_counts_accounts_and_names_the_current_one():
    stream = io.StringIO()
    progress = Progress(2, stream)
    progress.start(Target("222222222222", "dev", None))
    progress.finish(AccountOutcome("222222222222", "dev", "ok", "caller"))
    progress.close()
    text = stream.getvalue()
    assert "0/2 accounts - reading 222222222222 (dev)" in text and "1/2 accounts - 222222222222 ok" in text


def test_progress_is_silent_without_a_stream(capsys):
    progress = Progress(1, None)
    progress.start(Target("222222222222", None, None))
    progress.finish(AccountOutcome("222222222222", None, "ok", "caller"))
    progress.close()
    assert progress.done == 1
    assert capsys.readouterr() == ("", "")


def test_no_progress_line_when_stderr_is_not_a_terminal():
    from graphiam.collect.runner import default_progress_stream
    assert default_progress_stream(quiet=True) is None
    assert default_progress_stream(quiet=False) is None  # pytest captures stderr: not a TTY


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "accounts" / "222222222222.json"
    write_json_atomic(target, {"UserDetailList": []})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"UserDetailList": []}
    assert [p.name for p in target.parent.iterdir()] == ["222222222222.json"]  # no temporary file left
