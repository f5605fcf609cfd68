"""Fixtures for the collector tests: one moto server per session, a fresh org per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .moto_org import OrgFacts, build_org, reset_moto, start_moto_server

# Variables that would send boto3 somewhere other than the local moto server,
# or make the in-process server file requests under one fixed account.
_UNSET = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
    "MOTO_ACCOUNT_ID",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
)


def _quarantine_env(mp: pytest.MonkeyPatch, tmp: Path) -> None:
    for name in _UNSET:
        mp.delenv(name, raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", "testing")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
    mp.setenv("AWS_REGION", "us-east-1")
    # No ~/.aws/config or credentials file may leak in (SSO, credential_process...).
    mp.setenv("AWS_CONFIG_FILE", str(tmp / "aws-config-absent"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp / "aws-credentials-absent"))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mp.setenv("NO_PROXY", "127.0.0.1,localhost")
    mp.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Endpoint URL of a moto server on 127.0.0.1 (started once, stopped at the end).

    The server runs in this process, so moto also reads this process's
    environment: MOTO_ACCOUNT_ID would override the account of every request.
    """
    with pytest.MonkeyPatch.context() as mp:
        _quarantine_env(mp, tmp_path_factory.mktemp("aws-env"))
        server = start_moto_server()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy AWS credentials and region for code that builds its own boto3 clients."""
    _quarantine_env(monkeypatch, tmp_path)


@pytest.fixture
def moto_org(moto_server: str, aws_env: None) -> Iterator[OrgFacts]:
    """A freshly reset moto holding the organization of moto_org.build_org."""
    reset_moto(moto_server)
    try:
        yield build_org(moto_server)
    finally:
        # A test may have switched IAM authorization on; never leak that.
        reset_moto(moto_server)
