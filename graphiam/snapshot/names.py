"""ARNs and the names inside them: the partition and account of an ARN, account roots, role sessions.

Plain string functions, no AWS semantics: what an ARN *means* to a policy is
the engine's business (:mod:`graphiam.policy`).

Partitions: every function here accepts the commercial partition (``aws``)
and the others (``aws-us-gov`` for GovCloud, ``aws-cn`` for China, the
``aws-iso*`` ones): a partition is ``aws`` optionally followed by ``-word``
parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_PARTITION = "aws"
_PARTITION = r"aws(?:-[a-z]+)*"
_PARTITION_RE = re.compile(_PARTITION)
_SESSION = re.compile(r"arn:aws[a-z-]*:sts::(\d{12}):assumed-role/([^/]+)/(.+)")
_AWS_MANAGED_POLICY = re.compile(rf"arn:{_PARTITION}:iam::aws:policy/.+")


def partition_of(arn: str) -> str | None:
    """The partition field of an ARN (``aws``, ``aws-us-gov``, ``aws-cn``, ...), ``None`` for a non-ARN.

    ``arn:aws-us-gov:iam::123456789012:role/R`` -> ``"aws-us-gov"``.
    """
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not _PARTITION_RE.fullmatch(parts[1]):
        return None
    return parts[1]


def account_of(arn: str) -> str | None:
    """The account id field of an ARN (``None`` for AWS-owned ARNs and non-ARNs)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[4].isdigit():
        return None
    return parts[4]


def is_aws_managed_policy(arn: str) -> bool:
    """Whether ``arn`` names an AWS managed policy: ``arn:PARTITION:iam::aws:policy/...`` in any partition."""
    return _AWS_MANAGED_POLICY.fullmatch(arn) is not None


def account_root(account_id: str, partition: str = DEFAULT_PARTITION) -> str:
    """The ARN that names a whole account: ``arn:PARTITION:iam::ACCOUNT:root`` (``arn:aws:iam::ACCOUNT:root``)."""
    return f"arn:{partition}:iam::{account_id}:root"


@dataclass(frozen=True)
class SessionArn:
    """``arn:aws:sts::ACCOUNT:assumed-role/ROLE_NAME/SESSION_NAME``: a session of role ROLE_NAME."""

    account_id: str
    role_name: str
    session_name: str


def parse_session_arn(text: str) -> SessionArn | None:
    """The parts of an assumed-role session ARN (any partition), or ``None`` when ``text`` is not one."""
    match = _SESSION.fullmatch(text)
    return SessionArn(*match.groups()) if match else None
