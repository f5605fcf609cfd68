"""graphiam.access: the AccessGraph facade's own behaviour (its queries are tested under tests/queries)."""

from __future__ import annotations

from builders import Org, allow, role_arn, trust_account
from graphiam.access import AccessGraph


def test_repr_is_one_line_with_what_the_graph_holds():
    org = Org()
    dev = org.account("222222222222")
    dev.user("alice", allow("sts:AssumeRole", role_arn("333333333333", "Deploy")))
    dev.user("bob")
    org.account("333333333333").role("Deploy", trusts=trust_account("222222222222"))
    access = AccessGraph(org.snapshot())  # no organization file: one warning
    assert repr(access) == ("<AccessGraph: 2 accounts, 3 principals (2 users, 1 role), 1 edge, "
                            f"{len(access.warnings)} warning{'s' * (len(access.warnings) != 1)}>")
    assert len(access.warnings) >= 1 and "\n" not in repr(access)
