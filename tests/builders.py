"""The tests' import point for writing snapshots: :mod:`graphiam.snapshot.builder`, re-exported.

Tests build the scenario they need and load it through the real reader::

    org = Org()
    dev = org.account("222222222222")
    alice = dev.user("alice", allow("sts:AssumeRole", "arn:aws:iam::333333333333:role/Deploy"))
    prod = org.account("333333333333")
    prod.role("Deploy", trusts=trust_account("222222222222"))
    snapshot = org.snapshot()
"""

from graphiam.snapshot.builder import (
    Account,
    IdentityCenter,
    Org,
    allow,
    deny,
    policy,
    role_arn,
    statement,
    trust,
    trust_account,
    trust_arn,
    trust_service,
    user_arn,
)

__all__ = ["Account", "IdentityCenter", "Org", "allow", "deny", "policy", "role_arn", "statement", "trust", "trust_account", "trust_arn",
           "trust_service", "user_arn"]
