"""A fault-injecting HTTP proxy in front of moto's server, for the collector tests.

``FaultProxy(moto_url)`` listens on 127.0.0.1 (a free port) and forwards every
request to moto unchanged, unless a :class:`Rule` matches it; then it answers
with the rule's fault instead (or mangles moto's real answer)::

    with FaultProxy(moto_org.endpoint_url) as proxy:
        proxy.add(Rule(GARBAGE, operation="GetAccountAuthorizationDetails", account=prod))
        graphiam collect --endpoint-url proxy.url ...
        proxy.requests(operation="GetAccountAuthorizationDetails", account=prod)  # what was seen

What a request is matched on:

* ``service`` and ``operation``: from the SigV4 ``Authorization`` header's
  credential scope (``.../us-east-1/iam/aws4_request``), and from the body's
  ``Action=`` (query protocol: IAM, STS) or the ``X-Amz-Target`` header (JSON
  protocol: Organizations).
* ``account``: the account the request acts in. The proxy learns it from the
  traffic: an ``AssumeRole`` request names the role's account in ``RoleArn``
  and moto's answer carries the issued ``AccessKeyId``, so later requests
  signed with that key belong to that account. Any other key belongs to
  ``default_account`` (the management account, where the dummy keys and the
  collector user live).
* ``body_contains``: a substring of the request body.
* ``skip`` lets the first matching requests through, ``times`` bounds how
  often the fault is injected (``None``: every matching request).

Faults (module constants, or :func:`stall`): ``THROTTLE`` (HTTP 400 with a
``Throttling``/``ThrottlingException`` error in the protocol's shape),
``THROTTLE_429`` (429, empty body), ``UNAVAILABLE_503`` (503 with a load
balancer's HTML page, not well-formed XML), ``SERVER_ERROR`` (500 with an
``InternalFailure`` error document),
``GARBAGE`` (200 with bytes that are neither XML nor JSON), ``CUT`` (moto's
real answer, well framed, but only its first half), ``TRUNCATED`` (moto's
real headers and ``Content-Length``, half the body, then the connection
closes), ``DROP`` (the connection closes without any answer) and
``stall(seconds)`` (moto's answer after a delay, for read timeouts).

Bounded by construction: one thread per connection (daemon threads), one
request per connection (every answer says ``Connection: close``), a timeout on
every socket, and a stall waits on an event that :meth:`FaultProxy.close`
sets. Uses only the standard library, talks only to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

THROTTLE = "throttle"
THROTTLE_429 = "throttle-429"
UNAVAILABLE_503 = "unavailable-503"
SERVER_ERROR = "server-error"
GARBAGE = "garbage"
CUT = "cut"
TRUNCATED = "truncated"
DROP = "drop"
STALL = "stall"

# What a load balancer in front of an endpoint sends: HTML that is not well-formed XML (the <hr>).
UNAVAILABLE_PAGE = (b"<!DOCTYPE html>\r\n<html><head><title>503 Service Temporarily Unavailable</title></head>"
                    b"<body><h1>503 Service Temporarily Unavailable</h1><hr><center>nginx</center></body></html>\r\n")
GARBAGE_BODY = b"\x00\x9f\xff<<not-xml{not-json \xfe\xfa garbage from a broken middlebox"
FORWARD_TIMEOUT = 20.0  # seconds for one forwarded request to moto
SOCKET_TIMEOUT = 20.0  # seconds the proxy waits on a client's socket

_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/[^/]+/([^/]+)/aws4_request")
_ACCESS_KEY = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
_ROLE_ACCOUNT = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/")


@dataclass(frozen=True)
class Fault:
    kind: str
    seconds: float = 0.0  # for STALL

    def __str__(self) -> str:
        return f"{self.kind}({self.seconds:g}s)" if self.kind == STALL else self.kind


def stall(seconds: float) -> Fault:
    """Answer with moto's response only after ``seconds`` (or when the proxy closes)."""
    return Fault(STALL, seconds)


@dataclass
class Rule:
    fault: Fault | str
    service: str | None = None  # "iam", "sts", "organizations"
    operation: str | None = None  # "GetAccountAuthorizationDetails", "ListAccountsForParent", ...
    account: str | None = None  # the account the request acts in
    body_contains: str | None = None
    skip: int = 0  # let this many matching requests through first
    times: int | None = None  # inject at most this many times (None: always)
    matched: int = field(default=0, init=False)
    injected: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if isinstance(self.fault, str):
            self.fault = Fault(self.fault)

    def matches(self, request: "Seen") -> bool:
        return ((self.service is None or request.service == self.service)
                and (self.operation is None or request.operation == self.operation)
                and (self.account is None or request.account == self.account)
                and (self.body_contains is None or self.body_contains in request.body))

    def take(self, request: "Seen") -> bool:
        """Whether this rule injects its fault into ``request`` (counts as a side effect)."""
        if not self.matches(request):
            return False
        self.matched += 1
        if self.matched <= self.skip or (self.times is not None and self.injected >= self.times):
            return False
        self.injected += 1
        return True


@dataclass(frozen=True)
class Seen:
    """One request as the proxy saw it, and what it did with it."""

    number: int  # 1-based, in arrival order
    service: str | None
    operation: str | None
    account: str | None
    access_key: str | None
    body: str
    fault: str | None = None  # None: forwarded unchanged
    at: float = 0.0  # time.monotonic() on arrival


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of ``upstream`` (moto's URL)."""

    def __init__(self, upstream: str, default_account: str = "123456789012") -> None:
        parts = urlsplit(upstream)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError(f"the fault proxy only forwards to 127.0.0.1, not {upstream}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.default_account = default_account
        self.rules: list[Rule] = []
        self.seen: list[Seen] = []
        self.key_accounts: dict[str, str] = {}
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.stalled = threading.Event()  # set when a STALL fault starts waiting
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="fault-proxy", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # -- rules --------------------------------------------------------------

    def add(self, *rules: Rule) -> "FaultProxy":
        with self.lock:
            self.rules.extend(rules)
        return self

    def clear(self) -> None:
        """No more faults: every request from now on is forwarded unchanged."""
        with self.lock:
            self.rules.clear()

    def requests(self, **where: Any) -> list[Seen]:
        """The requests seen so far whose fields equal ``where`` (e.g. operation=..., account=...)."""
        with self.lock:
            return [s for s in self.seen if all(getattr(s, k) == v for k, v in where.items())]

    # -- the work of one request ----------------------------------------------

    def _classify(self, headers: Any, body: bytes) -> tuple[str | None, str | None, str | None, str | None]:
        service = access_key = operation = None
        found = _CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
        if found:
            access_key, service = found.group(1), found.group(2)
        target = headers.get("X-Amz-Target")
        text = body.decode("utf-8", "replace")
        if target:
            operation = target.rsplit(".", 1)[-1]
        elif "Action=" in text:
            operation = (parse_qs(text).get("Action") or [None])[0]
        with self.lock:
            account = self.key_accounts.get(access_key or "", self.default_account if access_key else None)
        return service, operation, account, access_key

    def _decide(self, headers: Any, body: bytes) -> tuple[Seen, Fault | None]:
        service, operation, account, access_key = self._classify(headers, body)
        text = body.decode("utf-8", "replace")
        with self.lock:
            probe = Seen(len(self.seen) + 1, service, operation, account, access_key, text)
            fault = next((rule.fault for rule in self.rules if rule.take(probe)), None)
            seen = Seen(probe.number, service, operation, account, access_key, text, str(fault) if fault else None,
                        time.monotonic())
            self.seen.append(seen)
        return seen, fault

    def _forward(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, str, list, bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=FORWARD_TIMEOUT)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in ("connection", "keep-alive", "proxy-connection")}
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders()
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length",
                                         "server", "date")]  # the proxy sends its own
            return response.status, response.reason, kept, payload
        finally:
            connection.close()

    def _learn(self, seen: Seen, status: int, payload: bytes) -> None:
        """After a successful AssumeRole: the issued key acts in the role's account."""
        if seen.operation != "AssumeRole" or status != 200:
            return
        role = (parse_qs(seen.body).get("RoleArn") or [""])[0]
        account = _ROLE_ACCOUNT.match(role)
        key = _ACCESS_KEY.search(payload)
        if account and key:
            with self.lock:
                self.key_accounts[key.group(1).decode()] = account.group(1)

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _error_body(seen: Seen, code: str, message: str, sender: bool) -> tuple[str, bytes]:
    """An AWS error document in the request's protocol (JSON for X-Amz-Target calls, else query XML)."""
    if seen.service == "organizations":
        return "application/x-amz-json-1.1", json.dumps({"__type": code, "message": message}).encode()
    xml = (f'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
           f'<Type>{"Sender" if sender else "Receiver"}</Type><Code>{code}</Code><Message>{message}</Message>'
           f'</Error><RequestId>fault-proxy-{seen.number}</RequestId></ErrorResponse>')
    return "text/xml", xml.encode()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # with Content-Length and Connection: close on every answer
        timeout = SOCKET_TIMEOUT

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            pass

        def _answer(self, status: int, headers: list, body: bytes, content_length: int | None = None) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body) if content_length is None else content_length))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True

        def _drop(self) -> None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen, chosen = proxy._decide(self.headers, body)
            fault = chosen.kind if chosen else None
            if fault == DROP:
                return self._drop()
            if fault in (THROTTLE, SERVER_ERROR):
                code, status, message = {
                    THROTTLE: ("ThrottlingException" if seen.service == "organizations" else "Throttling", 400,
                               "Rate exceeded"),
                    SERVER_ERROR: ("InternalFailure", 500, "We encountered an internal error. Please try again."),
                }[fault]
                content_type, error = _error_body(seen, code, message, sender=status < 500)
                return self._answer(status, [("Content-Type", content_type)], error)
            if fault == THROTTLE_429:
                return self._answer(429, [], b"")
            if fault == UNAVAILABLE_503:
                return self._answer(503, [("Content-Type", "text/html")], UNAVAILABLE_PAGE)
            if fault == GARBAGE:
                return self._answer(200, [("Content-Type", "text/xml")], GARBAGE_BODY)
            if fault == STALL:
                proxy.stalled.set()
                if proxy.closing.wait(chosen.seconds):
                    return self._drop()
            status, _, headers, payload = proxy._forward(self.command, self.path, self.headers, body)
            proxy._learn(seen, status, payload)
            if fault == CUT:
                return self._answer(status, headers, payload[: len(payload) // 2])
            if fault == TRUNCATED:
                return self._answer(status, headers, payload[: len(payload) // 2], content_length=len(payload))
            return self._answer(status, headers, payload)

        def do_POST(self) -> None:  # noqa: N802 - the http.server spelling
            try:
                self._handle()
            except (OSError, http.client.HTTPException):
                self.close_connection = True

        do_GET = do_POST  # noqa: N815
        do_PUT = do_POST  # noqa: N815
        do_DELETE = do_POST  # noqa: N815

    return Handler
