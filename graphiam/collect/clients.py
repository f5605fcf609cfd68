"""boto3 sessions and clients for the collector: one session per account and thread.

Every client gets the same ``--endpoint-url`` (moto, LocalStack, a VPC
endpoint) and botocore's adaptive retry mode with a bounded number of
attempts, so throttling slows a run down instead of failing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config


@dataclass(frozen=True)
class ClientOptions:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 10

    def config(self) -> Config:
        return Config(retries={"mode": "adaptive", "max_attempts": self.max_attempts},
                      user_agent_extra="graphiam-collect")


class AccountSession:
    """Clients for one account: the caller's own credentials, or an assumed role's."""

    def __init__(self, options: ClientOptions, session: boto3.Session) -> None:
        self.options = options
        self.session = session

    @classmethod
    def from_profile(cls, options: ClientOptions) -> "AccountSession":
        session = boto3.Session(profile_name=options.profile, region_name=options.region or None)
        if session.region_name is None:
            session = boto3.Session(profile_name=options.profile, region_name="us-east-1")  # IAM and STS are global
        return cls(options, session)

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.options.endpoint_url, config=self.options.config())

    def assume(self, role_arn: str, session_name: str = "graphiam-collect") -> "AccountSession":
        """A new session with the credentials of ``role_arn`` (raises botocore's ClientError when denied)."""
        response = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)
        credentials = response["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.session.region_name,
        )
        return AccountSession(self.options, session)
