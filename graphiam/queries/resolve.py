"""Turn what a person types (an ARN, a session ARN, a name) into a node of the access graph."""

from __future__ import annotations

import re

import networkx as nx

from ..snapshot.names import account_of, account_root, parse_session_arn

_SHORT = re.compile(r"(\d{12}):((?:user|role|group)/.+)")


class UnknownPrincipalError(ValueError):
    """A SOURCE or TARGET that names nothing, or more than one thing, in the snapshot."""


def resolve(graph: nx.MultiDiGraph, text: str) -> str:
    """The node key for ``text``.

    Accepted: an ARN of a user, role, group, account root, federated provider
    or service principal name present in the graph; an assumed-role session
    ARN (``arn:aws:sts::A:assumed-role/R/session`` means role R, as AccessDenied
    messages print the caller); ``ACCOUNT:user/NAME`` or ``ACCOUNT:role/NAME``;
    a bare 12-digit account id; or a user/role name that is unique in the snapshot.
    """
    text = text.strip()
    if text in graph:
        return text
    session = parse_session_arn(text)
    if session:
        account_id, role_name = session.account_id, session.role_name
        matches = [n for n, d in graph.nodes(data=True)
                   if d.get("kind") == "role" and d.get("account") == account_id and d.get("name") == role_name]
        if len(matches) == 1:
            return matches[0]
        raise UnknownPrincipalError(f"{text}: no role {role_name} in account {account_id} in the snapshot")
    short = _SHORT.fullmatch(text)
    if short:
        account_id, rest = short.groups()
        kind, _, name = rest.partition("/")
        candidate = f"arn:aws:iam::{account_id}:{rest}"
        if candidate in graph:
            return candidate
        return _by_name(graph, name.rsplit("/", 1)[-1], text, kinds=(kind,), account_id=account_id)
    if re.fullmatch(r"\d{12}", text):
        for partition in ("aws", "aws-us-gov", "aws-cn"):
            if account_root(text, partition) in graph:
                return account_root(text, partition)
    if text.startswith("arn:"):
        account_id = account_of(text)
        hint = "" if account_id is None else f" (account {account_id})"
        raise UnknownPrincipalError(f"{text}: no such principal in the snapshot{hint}")
    return _by_name(graph, text, text, kinds=("user", "role"))


def _by_name(graph: nx.MultiDiGraph, name: str, text: str, kinds: tuple[str, ...], account_id: str | None = None) -> str:
    matches = sorted(
        n for n, d in graph.nodes(data=True)
        if d.get("kind") in kinds and d.get("name") == name and (account_id is None or d.get("account") == account_id)
    )
    if not matches:
        raise UnknownPrincipalError(f"{text}: no user or role of that name in the snapshot")
    if len(matches) > 1:
        raise UnknownPrincipalError(f"{text}: ambiguous, it names {', '.join(matches)}; give the ARN")
    return matches[0]
