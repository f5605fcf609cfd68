"""Turn what a person types (an ARN, a session ARN, a name, an email address) into a node of the access graph.

IAM Identity Center users (nodes of kind ``sso_user``, see :mod:`graphiam.graph.identity_center`) are found by
their node id, their user name, or one of their email addresses.

**A session of a permission set's role is tied to its user by the session name.** When an Identity Center user
signs in to ``AWSReservedSSO_<permission set>_<hex>``, the session is
``arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_<permission set>_<hex>/<session name>``, and Identity Center
makes the user's user name the session name (a directory that uses email addresses as user names gives
``.../alice@example.com``). :func:`resolve` keeps naming the role for such an ARN (the session *is* the role to
IAM, and a trust that names that session is decided for it); :func:`session_user` gives the user it belongs to:
the Identity Center user whose user name is the session name, else the one user with it as an email address.
"""

from __future__ import annotations

import re

import networkx as nx

from ..graph.schema import SSO_USER
from ..policy.identity_center import RESERVED_PATH, ROLE_PREFIX
from ..snapshot.names import account_of, account_root, parse_session_arn

_SHORT = re.compile(r"(\d{12}):((?:user|role|group)/.+)")


class UnknownPrincipalError(ValueError):
    """A SOURCE or TARGET that names nothing, or more than one thing, in the snapshot."""


def resolve(graph: nx.MultiDiGraph, text: str) -> str:
    """The node key for ``text``.

    Accepted: an ARN of a user, role, group, account root, federated provider
    or service principal name present in the graph; an assumed-role session
    ARN (``arn:aws:sts::A:assumed-role/R/session`` means role R, as AccessDenied
    messages print the caller; see :func:`session_user` for the Identity Center
    user behind one); ``ACCOUNT:user/NAME`` or ``ACCOUNT:role/NAME``; a bare
    12-digit account id; a user/role name or an Identity Center user name that
    is unique in the snapshot; or, when no name matches, the email address of
    one Identity Center user.
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
    try:
        return _by_name(graph, text, text, kinds=("user", "role", SSO_USER))
    except UnknownPrincipalError as error:
        if "@" not in text or "ambiguous" in str(error):
            raise
        by_email = _by_email(graph, text)
        if by_email is None:
            raise UnknownPrincipalError(f"{text}: no user or role of that name, and no Identity Center user with "
                                        "that email address, in the snapshot") from None
        return by_email


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


def _by_email(graph: nx.MultiDiGraph, email: str) -> str | None:
    """The one Identity Center user with ``email`` among its addresses (compared case-insensitively, as mail
    systems do); ``None`` when there is none; :class:`UnknownPrincipalError` when several have it."""
    wanted = email.casefold()
    matches = sorted(n for n, d in graph.nodes(data=True)
                     if d.get("kind") == SSO_USER and any(wanted == str(e).casefold() for e in d.get("emails") or ()))
    if len(matches) > 1:
        raise UnknownPrincipalError(f"{email}: ambiguous, Identity Center users {', '.join(matches)} have that email "
                                    "address; give the user name or the node id")
    return matches[0] if matches else None


def session_user(graph: nx.MultiDiGraph, text: str) -> str | None:
    """The Identity Center user (its node) whose session ``text`` is, or ``None``.

    ``text`` must be a session of a permission set's role
    (``arn:aws:sts::A:assumed-role/AWSReservedSSO_<name>_<hex>/<session name>``, the role in the graph under
    ``/aws-reserved/sso.amazonaws.com/``); its user is the one whose user name is the session name, else the
    one with it as an email address (see the module docstring).
    """
    session = parse_session_arn(text.strip())
    if session is None or not session.role_name.startswith(ROLE_PREFIX):
        return None
    roles = [n for n, d in graph.nodes(data=True)
             if d.get("kind") == "role" and d.get("account") == session.account_id
             and d.get("name") == session.role_name and str(d.get("path", "")).startswith(RESERVED_PATH)]
    if len(roles) != 1:
        return None
    by_name = sorted(n for n, d in graph.nodes(data=True)
                     if d.get("kind") == SSO_USER and d.get("name") == session.session_name)
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        return None
    try:
        return _by_email(graph, session.session_name)
    except UnknownPrincipalError:
        return None
