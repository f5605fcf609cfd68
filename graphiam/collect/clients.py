"""boto3 sessions and clients for the collector: one session per account and thread.

Every client gets the same ``--endpoint-url`` (moto, LocalStack, a VPC
endpoint), botocore's adaptive retry mode with a bounded number of attempts
(so throttling slows a run down instead of failing it), and optional connect
and read timeouts (botocore's default is 60 seconds each).

Every client also checks each answer before botocore parses it
(:func:`check_answer`), because botocore lets some broken answers through:

* a successful (2xx) JSON-protocol answer (Organizations) whose body is not a
  JSON object -- garbage, or a body cut short -- is parsed by botocore as an
  *empty* answer, so a paginated listing would silently lose its entries. It
  raises :class:`~botocore.parsers.ResponseParserError` instead, like a broken
  XML answer does.
* an error answer (4xx/5xx) whose body is not in the protocol's error shape
  (an empty 429 from a proxy, an HTML 502/503 page) is given a minimal error
  document whose code is the HTTP status, as botocore itself does for an empty
  or ``<html>`` 5xx. The retry rules then see the status: 429 is throttling,
  500/502/503/504 are transient, both retried. Without this, an empty 429 on
  IAM or STS raises ``ResponseParserError`` on the first attempt.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import boto3
from botocore.config import Config
from botocore.parsers import ResponseParserError

JSON_PROTOCOLS = ("json", "rest-json")
XML_PROTOCOLS = ("query", "ec2", "rest-xml")


@dataclass(frozen=True)
class ClientOptions:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 10  # attempts per API call, the first one included (1: no retries)
    connect_timeout: float | None = None  # seconds; None: botocore's default (60)
    read_timeout: float | None = None  # seconds to wait for an answer; None: botocore's default (60)

    def config(self) -> Config:
        timeouts = {name: value for name, value in (("connect_timeout", self.connect_timeout),
                                                    ("read_timeout", self.read_timeout)) if value is not None}
        # total_max_attempts counts the first try; botocore's "max_attempts" key would count retries only.
        return Config(retries={"mode": "adaptive", "total_max_attempts": self.max_attempts},
                      user_agent_extra="graphiam-collect", **timeouts)


def _preview(body: bytes, limit: int = 80) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return " ".join(text.split()) + ("..." if len(body) > limit else "")


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body.decode("utf-8")), dict)
    except ValueError:  # UnicodeDecodeError and json.JSONDecodeError are ValueErrors
        return False


def _is_xml(body: bytes) -> bool:
    try:
        ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return False
    return True


def check_answer(operation_model: Any, response_dict: dict, **_: Any) -> None:
    """botocore ``before-parse`` handler: refuse a broken success, give a broken error its status code."""
    service = operation_model.service_model
    protocol = getattr(service, "resolved_protocol", None) or service.protocol
    status = response_dict.get("status_code", 0)
    body = response_dict.get("body") or b""
    if not isinstance(body, bytes) or operation_model.has_streaming_output:
        return
    if protocol in JSON_PROTOCOLS:
        if status < 300:
            expects_output = operation_model.output_shape is not None and bool(operation_model.output_shape.members)
            if expects_output and not _is_json_object(body):
                raise ResponseParserError(f"HTTP {status} answer that is not a JSON object ({len(body)} bytes: "
                                          f"{_preview(body)!r})")
        elif body.strip() and not _is_json_object(body):
            message = f"HTTP {status} answer without an error document: {_preview(body)!r}"
            response_dict["body"] = json.dumps({"__type": str(status), "message": message}).encode()
    elif protocol in XML_PROTOCOLS and status >= 400 and not _is_xml(body):
        message = escape(f"HTTP {status} answer without an error document: {_preview(body)!r}")
        response_dict["body"] = (f"<ErrorResponse><Error><Code>{status}</Code><Message>{message}</Message>"
                                 "</Error></ErrorResponse>").encode()


class CallLog:
    """The last API operation started by one account's clients (names what was in flight when one fails)."""

    def __init__(self) -> None:
        self.last: str | None = None
        self.lock = threading.Lock()

    def before_call(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.last = model.name


class AccountSession:
    """Clients for one account: the caller's own credentials, or an assumed role's."""

    def __init__(self, options: ClientOptions, session: boto3.Session, calls: CallLog | None = None) -> None:
        self.options = options
        self.session = session
        self.calls = calls or CallLog()

    @classmethod
    def from_profile(cls, options: ClientOptions) -> "AccountSession":
        session = boto3.Session(profile_name=options.profile, region_name=options.region or None)
        if session.region_name is None:
            session = boto3.Session(profile_name=options.profile, region_name="us-east-1")  # IAM and STS are global
        return cls(options, session)

    def client(self, service: str, region: str | None = None) -> Any:
        """A client of ``service``; ``region`` overrides the session's (Identity Center lives in one region)."""
        extra = {"region_name": region} if region else {}
        client = self.session.client(service, endpoint_url=self.options.endpoint_url, config=self.options.config(),
                                     **extra)
        client.meta.events.register("before-parse", check_answer)
        client.meta.events.register("before-call", self.calls.before_call)
        return client

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
        return AccountSession(self.options, session, self.calls)
