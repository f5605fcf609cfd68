"""Names of IAM Identity Center users, their sessions, and the questions asked about them."""

from __future__ import annotations

import pytest

from builders import Org, allow, trust_arn
from graphiam.access import AccessGraph
from graphiam.graph.schema import sso_group_node, sso_user_node
from graphiam.queries.identity_center import identity_center_facts
from graphiam.queries.paths import find_path, reach, who_can
from graphiam.queries.resolve import UnknownPrincipalError, resolve, session_user

MANAGEMENT, DEV, PROD = "111111111111", "222222222222", "333333333333"


def scenario() -> tuple[Org, dict]:
    """Identity Center users alice@example.com (email Alice@Example.com too, in Admins), bob (email
    bob@example.com), carol (emails shared with dana); an IAM user bob in dev as well. Admins sign in to prod's
    AdministratorAccess role, which may assume prod Deploy; bob has ReadOnly in dev, where no role exists."""
    org = Org()
    org.account(MANAGEMENT).user("ops")
    org.account(DEV).user("bob")
    prod = org.account(PROD)
    center = org.identity_center()
    ids = {"alice": center.user("alice@example.com", emails=["alice@example.com", "Alice.Liddell@Example.com"]),
           "bob": center.user("bob", emails=["bob@example.com"]),
           "carol": center.user("carol", emails=["team@example.com"]),
           "dana": center.user("dana", emails=["team@example.com"])}
    ids["admins"] = center.group("Admins", members=[ids["alice"]])
    ids["admin"] = center.permission_set("AdministratorAccess", allow("*"))
    ids["read"] = center.permission_set("ReadOnly", allow("s3:Get*"))
    center.assign(PROD, ids["admin"], group=ids["admins"])
    center.assign(DEV, ids["read"], user=ids["bob"], provision=False)
    ids["admin_role"] = center.role_arn(ids["admin"], PROD)
    ids["deploy"] = prod.role("Deploy", trusts=trust_arn(ids["admin_role"]))
    org.full_access_everywhere()
    return org, ids


@pytest.fixture(scope="module")
def built() -> tuple[Org, dict, AccessGraph]:
    org, ids = scenario()
    return org, ids, AccessGraph(org.snapshot())


def user(org: Org, user_id: str) -> str:
    return sso_user_node(org.center.identity_store_id, user_id)


def test_a_user_resolves_by_email_user_name_and_node_id(built):
    org, ids, access = built
    alice = user(org, ids["alice"])
    assert resolve(access.graph, "alice@example.com") == alice  # its user name (and email)
    assert resolve(access.graph, "alice.liddell@example.COM") == alice  # another email, case-insensitively
    assert resolve(access.graph, "carol") == user(org, ids["carol"])
    assert resolve(access.graph, alice) == alice


def test_names_that_say_more_than_one_thing_are_ambiguous(built):
    org, ids, access = built
    with pytest.raises(UnknownPrincipalError, match=r"^bob: ambiguous, it names arn:aws:iam::222222222222:user/bob, "
                                                    r"arn:aws:identitystore::"):
        resolve(access.graph, "bob")
    assert resolve(access.graph, "bob@example.com") == user(org, ids["bob"])  # the email says which
    with pytest.raises(UnknownPrincipalError, match=r"team@example.com: ambiguous, Identity Center users"):
        resolve(access.graph, "team@example.com")
    with pytest.raises(UnknownPrincipalError, match="no Identity Center user with that email address"):
        resolve(access.graph, "nobody@example.com")


def test_a_session_of_a_permission_set_role_resolves_to_the_role_and_is_tied_to_its_user(built):
    org, ids, access = built
    role = ids["admin_role"]
    role_name = role.rsplit("/", 1)[1]
    session = f"arn:aws:sts::{PROD}:assumed-role/{role_name}/alice@example.com"
    assert resolve(access.graph, session) == role  # as today: the session is the role to IAM
    assert session_user(access.graph, session) == user(org, ids["alice"])  # by user name
    by_email = f"arn:aws:sts::{PROD}:assumed-role/{role_name}/Alice.Liddell@example.com"
    assert session_user(access.graph, by_email) == user(org, ids["alice"])  # else by email
    assert session_user(access.graph, f"arn:aws:sts::{PROD}:assumed-role/{role_name}/nobody") is None
    assert session_user(access.graph, f"arn:aws:sts::{PROD}:assumed-role/Deploy/alice@example.com") is None
    assert session_user(access.graph, "alice@example.com") is None


def test_reach_and_who_can_follow_the_sign_in(built):
    org, ids, access = built
    alice = user(org, ids["alice"])
    rows = {row.arn: row for row in reach(access.graph, alice)}
    assert set(rows) == {ids["admin_role"], ids["deploy"]}
    assert rows[ids["deploy"]].via == ids["admin_role"]
    hops = find_path(access.graph, alice, ids["deploy"])
    assert [h.action for h in hops] == ["sts:AssumeRoleWithSAML", "sts:AssumeRole"]
    assert hops[0].to_dict()["identity_center"]["permission_set_name"] == "AdministratorAccess"
    assert "identity_center" not in hops[1].to_dict()
    who = {row.arn: row for row in who_can(access.graph, ids["deploy"])}
    assert who[alice].action == "sts:AssumeRoleWithSAML" and who[alice].via == ids["admin_role"]


def test_the_facts_who_can_reports(built):
    org, ids, access = built
    bob = user(org, ids["bob"])
    (missing,) = identity_center_facts(access.graph, bob)
    assert (missing["kind"], missing["account"], missing["permission_set_name"]) == ("role_not_provisioned", DEV,
                                                                                     "ReadOnly")
    assert identity_center_facts(access.graph, f"arn:aws:iam::{DEV}:root") == [missing]
    assert identity_center_facts(access.graph, f"arn:aws:iam::{PROD}:root") == []
    assert identity_center_facts(access.graph, user(org, ids["alice"])) == []
    assert identity_center_facts(access.graph, sso_group_node(org.center.identity_store_id, ids["admins"])) == []
    assert identity_center_facts(access.graph, ids["deploy"]) == []
    assert identity_center_facts(access.graph, "not a node") == []
