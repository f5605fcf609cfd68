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


# -- a whole run with fake AWS calls: the manifest's life and the error handling --------

import xml.etree.ElementTree as ElementTree  # noqa: E402

import boto3  # noqa: E402
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError  # noqa: E402
from botocore.parsers import ResponseParserError  # noqa: E402
from urllib3.exceptions import ProtocolError  # noqa: E402

from graphiam.collect import runner  # noqa: E402
from graphiam.collect.clients import CallLog, ClientOptions, check_answer  # noqa: E402

ORGANIZATION = {"Organization": {"Id": "o-fake"}, "Roots": [], "OrganizationalUnits": [], "Policies": [],
                "Accounts": ORG_ACCOUNTS}


class FakeSession:
    """Stands in for AccountSession: knows its account, records the operation "in flight"."""

    def __init__(self, account: str = CALLER, calls: CallLog | None = None) -> None:
        self.account = account
        self.calls = calls or CallLog()

    @classmethod
    def from_profile(cls, options):
        return cls()

    def assume(self, role_arn: str) -> "FakeSession":
        self.calls.last = "AssumeRole"
        return FakeSession(role_arn.split(":")[4], self.calls)

    def client(self, service: str):
        return None


def fake_run(tmp_path, monkeypatch, read_account, organization=lambda client: (ORGANIZATION, []), **options):
    """Run the collector with ``read_account(account_id)`` standing in for collect_account."""
    def collect_account(session):
        session.calls.last = "GetAccountAuthorizationDetails"
        return read_account(session.account)

    monkeypatch.setattr(runner, "AccountSession", FakeSession)
    monkeypatch.setattr(runner, "collect_account", collect_account)
    monkeypatch.setattr(runner, "collect_organization", organization)
    monkeypatch.setattr(runner.Collector, "_caller",
                        lambda self: (FakeSession(), {"Arn": f"arn:aws:iam::{CALLER}:user/c", "Account": CALLER}))
    collector = runner.Collector(CollectOptions(output=tmp_path, org=True, **options))
    return collector, collector.run


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / "collection.json").read_text())


def an_account(account_id: str):
    return {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}, {"users": 0}


def test_the_first_manifest_lists_every_planned_account_as_pending(tmp_path, monkeypatch):
    seen = []

    def read_account(account_id):
        if not seen:
            seen.append(read_manifest(tmp_path))  # on disk before any account is read
        return an_account(account_id)

    _, run = fake_run(tmp_path, monkeypatch, read_account, workers=1)
    report = run()
    first = seen[0]
    assert "finished_at" not in first and first["started_at"] and first["updated_at"]
    assert {a: o["status"] for a, o in first["accounts"].items()} == {
        CALLER: "pending", "222222222222": "pending", "333333333333": "pending", "444444444444": "skipped"}
    assert first["summary"] == {"ok": 0, "failed": 0, "skipped": 1, "pending": 3}
    assert first["accounts"]["222222222222"]["via"] == "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
    last = read_manifest(tmp_path)
    assert last["finished_at"] >= last["started_at"] == first["started_at"]
    assert last["summary"] == {"ok": 3, "failed": 0, "skipped": 1, "pending": 0}
    assert report.manifest == last


@pytest.mark.parametrize("error", [
    ResponseParserError("Unable to parse response (not well-formed), invalid XML received. Further retries may "
                        "succeed:\nb'\\x00garbage" + "x" * 1000 + "'"),
    EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
    ConnectionClosedError(endpoint_url="http://127.0.0.1:9"),
    ReadTimeoutError(endpoint_url="http://127.0.0.1:9"),
    json.JSONDecodeError("Expecting value", "<html>", 0),
    ElementTree.ParseError("not well-formed (invalid token): line 1, column 0"),
    ProtocolError("Connection broken: IncompleteRead(10 bytes read, 20 more expected)"),
    KeyError("GetAccountAuthorizationDetailsResult"),
], ids=lambda e: type(e).__name__)
def test_a_transport_or_parse_error_fails_only_that_account(tmp_path, monkeypatch, error):
    def read_account(account_id):
        if account_id == "222222222222":
            raise error
        return an_account(account_id)

    _, run = fake_run(tmp_path, monkeypatch, read_account)
    report = run()
    assert [o.account_id for o in report.failed] == ["222222222222"]
    failed = read_manifest(tmp_path)["accounts"]["222222222222"]
    assert failed["status"] == "failed" and failed["error_code"] == type(error).__name__
    assert failed["error"].startswith("GetAccountAuthorizationDetails: ")
    assert "\n" not in failed["error"] and len(failed["error"]) <= runner.ERROR_TEXT_LIMIT
    assert read_manifest(tmp_path)["finished_at"]
    assert sorted(p.stem for p in (tmp_path / "accounts").glob("*.json")) == [CALLER, "333333333333"]


@pytest.mark.parametrize("error", [ResponseParserError("Unable to parse response\nb'<<'"),
                                   ConnectionClosedError(endpoint_url="http://127.0.0.1:9"),
                                   UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")],
                         ids=lambda e: type(e).__name__)
def test_a_broken_organization_walk_is_a_one_line_collect_error(tmp_path, monkeypatch, error):
    def organization(client):
        raise error

    collector, run = fake_run(tmp_path, monkeypatch, an_account, organization)
    with pytest.raises(CollectError) as raised:
        run()
    assert str(raised.value).startswith(f"cannot read the organization ({type(error).__name__}: ")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "collection.json").exists()


def test_an_interrupted_run_saves_the_manifest_without_finished_at(tmp_path, monkeypatch):
    def read_account(account_id):
        if account_id == "333333333333":
            raise KeyboardInterrupt  # as Ctrl-C would, mid-run
        return an_account(account_id)

    _, run = fake_run(tmp_path, monkeypatch, read_account, workers=1)
    with pytest.raises(KeyboardInterrupt):
        run()
    record = read_manifest(tmp_path)
    assert "finished_at" not in record
    assert {a: o["status"] for a, o in record["accounts"].items()} == {
        CALLER: "ok", "222222222222": "ok", "333333333333": "pending", "444444444444": "skipped"}


def test_the_manifest_is_not_rewritten_for_every_account(tmp_path, monkeypatch):
    writes = []
    real_write = runner.write_json_atomic

    def counting_write(path, data):
        if path.name == "collection.json":
            writes.append(sorted(o["status"] for o in data["accounts"].values()))
        real_write(path, data)

    monkeypatch.setattr(runner, "write_json_atomic", counting_write)
    collector, run = fake_run(tmp_path, monkeypatch, an_account)
    collector.save_every = 60.0
    run()
    assert writes == [["pending", "pending", "pending", "skipped"], ["ok", "ok", "ok", "skipped"]]


# -- answers botocore would misread ------------------------------------------------------

def operation(service: str, name: str):
    client = boto3.session.Session(region_name="us-east-1", aws_access_key_id="x",
                                   aws_secret_access_key="x").client(service)
    return client.meta.service_model.operation_model(name)


@pytest.mark.parametrize("body", [b"\x00\xffgarbage", b'{"Accounts": [{"Id": "1', b"[]", b""],
                         ids=["garbage", "cut", "not-an-object", "empty"])
def test_a_json_success_that_is_not_a_json_object_is_refused(body):
    with pytest.raises(ResponseParserError, match="not a JSON object"):
        check_answer(operation("organizations", "ListAccounts"), {"status_code": 200, "body": body, "headers": {}})


def test_a_json_success_and_error_documents_pass_unchanged():
    for status, body in ((200, b'{"Accounts": []}'), (400, b'{"__type": "ThrottlingException", "message": "x"}')):
        answer = {"status_code": status, "body": body, "headers": {}}
        check_answer(operation("organizations", "ListAccounts"), answer)
        assert answer["body"] == body


def test_an_error_without_an_error_document_gets_its_status_as_code():
    throttled = {"status_code": 429, "body": b"", "headers": {}}
    check_answer(operation("iam", "GetAccountAuthorizationDetails"), throttled)
    assert ElementTree.fromstring(throttled["body"]).find("Error/Code").text == "429"
    unavailable = {"status_code": 503, "body": b"<!DOCTYPE html><html><body><hr></body></html>", "headers": {}}
    check_answer(operation("organizations", "ListAccounts"), unavailable)
    assert json.loads(unavailable["body"])["__type"] == "503"
    garbage = {"status_code": 200, "body": b"\x00garbage", "headers": {}}
    check_answer(operation("iam", "GetAccountAuthorizationDetails"), garbage)  # botocore's XML parser refuses it
    assert garbage["body"] == b"\x00garbage"


def test_client_options_count_attempts_and_set_timeouts():
    config = ClientOptions(max_attempts=3, connect_timeout=2, read_timeout=5).config()
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 3}
    assert (config.connect_timeout, config.read_timeout) == (2, 5)
    assert ClientOptions().config().read_timeout == 60  # botocore's default when not given
