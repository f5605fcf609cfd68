"""ARNs and the names inside them: the account of an ARN, account roots, role sessions.

Plain string functions, no AWS semantics: what an ARN *means* to a policy is
the engine's business (:mod:`graphiam.policy`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SESSION = re.compile(r"arn:aws[a-z-]*:sts::(\d{12}):assumed-role/([^/]+)/(.+)")


def account_of(arn: str) -> str | None:
    """The account id field of an ARN (``None`` for AWS-owned ARNs and non-ARNs)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[4].isdigit():
        return None
    return parts[4]


def account_root(account_id: str) -> str:
    """The ARN that names a whole account: ``arn:aws:iam::ACCOUNT:root``."""
    return f"arn:aws:iam::{account_id}:root"


@dataclass(frozen=True)
class SessionArn:
    """``arn:aws:sts::ACCOUNT:assumed-role/ROLE_NAME/SESSION_NAME``: a session of role ROLE_NAME."""

    account_id: str
    role_name: str
    session_name: str


def parse_session_arn(text: str) -> SessionArn | None:
    """The parts of an assumed-role session ARN, or ``None`` when ``text`` is not one."""
    match = _SESSION.fullmatch(text)
    return SessionArn(*match.groups()) if match else None
