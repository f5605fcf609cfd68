"""The policy engine: the one home of AWS semantics in graphiam."""

from .decision import Blocker, Decision, Evidence, Outcome, Requirement
from .evaluate import (
    ASSUME_ROLE,
    ASSUME_ROLE_WITH_SAML,
    ASSUME_ROLE_WITH_WEB_IDENTITY,
    PASS_ROLE,
    USER_ARN_GRANT_IGNORES_BOUNDARY_IMPLICIT_DENY,
    PolicyEngine,
)

__all__ = [
    "ASSUME_ROLE",
    "ASSUME_ROLE_WITH_SAML",
    "ASSUME_ROLE_WITH_WEB_IDENTITY",
    "PASS_ROLE",
    "USER_ARN_GRANT_IGNORES_BOUNDARY_IMPLICIT_DENY",
    "Blocker",
    "Decision",
    "Evidence",
    "Outcome",
    "PolicyEngine",
    "Requirement",
]
