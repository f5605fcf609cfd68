"""IAM Identity Center in the access graph: user and group nodes, sign-in edges decided by the engine, facts."""

from __future__ import annotations

import pytest

from builders import Org, allow, deny, statement, trust
from graphiam.graph.build import ReferenceGraphBuilder, build_graph
from graphiam.graph.engines import merge_partitions, partition_edges
from graphiam.graph.identity_center import decide_user_sign_in
from graphiam.graph.schema import CAN_ASSUME, MEMBER_OF, sso_group_node, sso_user_node
from graphiam.policy import Outcome, PolicyEngine

MANAGEMENT, DEV, PROD, STAGE = "111111111111", "222222222222", "333333333333", "444444444444"


def scenario(extra=None) -> tuple[Org, dict]:
    """alice (in Admins and Ops), bob, carol (in Ops); AdministratorAccess to Admins in prod and to alice herself in
    prod too; ReadOnly to Ops in dev; ReadOnly to bob in stage without a role there. ``extra(org, center, ids)``
    runs before the assignments (a role it provisions first is the one the assignments find)."""
    org = Org()
    for account_id in (MANAGEMENT, DEV, PROD, STAGE):
        org.account(account_id).user("local")  # an account file without an entity names no account
    center = org.identity_center()
    ids = {"alice": center.user("alice@example.com", emails=["alice@example.com"], display_name="Alice"),
           "bob": center.user("bob", emails=["bob@example.com"]),
           "carol": center.user("carol")}
    ids["admins"] = center.group("Admins", members=["alice@example.com"])
    ids["ops"] = center.group("Ops", members=["alice@example.com", "carol"])
    ids["admin"] = center.permission_set("AdministratorAccess", allow("*"))
    ids["read"] = center.permission_set("ReadOnly", allow(["s3:Get*", "s3:List*"]))
    if extra is not None:
        extra(org, center, ids)
    center.assign(PROD, ids["admin"], group=ids["admins"])
    center.assign(PROD, ids["admin"], user=ids["alice"])
    center.assign(DEV, ids["read"], group=ids["ops"])
    center.assign(STAGE, ids["read"], user=ids["bob"], provision=False)
    org.full_access_everywhere()
    return org, ids


def node(org: Org, user_id: str) -> str:
    return sso_user_node(org.center.identity_store_id, user_id)


def sign_ins(graph) -> dict[tuple[str, str], dict]:
    return {(u, v): d for u, v, k, d in graph.edges(keys=True, data=True)
            if k == CAN_ASSUME and graph.nodes[u].get("kind") == "sso_user"}


def test_users_and_groups_are_nodes_with_stable_ids():
    org, ids = scenario()
    graph = build_graph(org.snapshot())
    store = org.center.identity_store_id
    alice = graph.nodes[f"arn:aws:identitystore::{store}:user/{ids['alice']}"]
    assert (alice["kind"], alice["name"], alice["account"], alice["emails"], alice["display_name"]) == (
        "sso_user", "alice@example.com", None, ["alice@example.com"], "Alice")
    assert (alice["user_id"], alice["identity_store_id"], alice["tags"]) == (ids["alice"], store, {})
    admins = graph.nodes[sso_group_node(store, ids["admins"])]
    assert (admins["kind"], admins["name"], admins["account"]) == ("sso_group", "Admins", None)
    assert graph.has_edge(node(org, ids["alice"]), sso_group_node(store, ids["ops"]), MEMBER_OF)
    assert graph.has_edge(node(org, ids["carol"]), sso_group_node(store, ids["ops"]), MEMBER_OF)


def test_a_user_signs_in_directly_and_through_its_groups_with_the_assignments_as_evidence():
    org, ids = scenario()
    graph = build_graph(org.snapshot())
    edges = sign_ins(graph)
    admin_role, read_role = org.center.role_arn(ids["admin"], PROD), org.center.role_arn(ids["read"], DEV)
    assert set(edges) == {(node(org, ids["alice"]), admin_role), (node(org, ids["alice"]), read_role),
                          (node(org, ids["carol"]), read_role)}
    data = edges[(node(org, ids["alice"]), admin_role)]
    assert (data["action"], data["conditional"], data["conditions"]) == ("sts:AssumeRoleWithSAML", False, [])
    assert data["granted_by"] == [{"layer": "trust", "policy": admin_role, "sid": None, "statement": 1,
                                   "attached_to": admin_role}]
    assert data["assumed"] == [{"operator": "StringEquals", "key": "SAML:aud",
                                "values": ["https://signin.aws.amazon.com/saml"], "held": True}]
    evidence = data["identity_center"]
    assert (evidence["account"], evidence["permission_set"], evidence["permission_set_name"]) == (
        PROD, ids["admin"], "AdministratorAccess")
    assert evidence["provider"] == org.center.provider_arn(PROD) and evidence["instance"] == org.center.instance_arn
    assert [(a["principal_type"], a["name"]) for a in evidence["assignments"]] == [("GROUP", "Admins"),
                                                                                   ("USER", "alice@example.com")]
    assert [a["name"] for a in edges[(node(org, ids["carol"]), read_role)]["identity_center"]["assignments"]] == ["Ops"]
    assert not any(u == node(org, ids["bob"]) for u, _ in edges)  # bob's role is not in stage


def test_a_permission_set_without_its_role_in_the_account_is_a_fact():
    org, ids = scenario()
    graph = build_graph(org.snapshot())
    (missing,) = [f for f in graph.graph["identity_center_facts"] if f["kind"] == "role_not_provisioned"]
    assert missing == {"kind": "role_not_provisioned", "account": STAGE, "permission_set": ids["read"],
                       "permission_set_name": "ReadOnly", "principals": [node(org, ids["bob"])], "role": None,
                       "reasons": []}


OKTA = f"arn:aws:iam::{PROD}:saml-provider/Okta"


@pytest.mark.parametrize("trusts, why", [
    (trust({"Federated": OKTA}, "sts:AssumeRoleWithSAML"), "names no IAM Identity Center SAML provider"),
    (trust({"Federated": f"arn:aws:iam::{DEV}:saml-provider/AWSSSO_6a0f3d2eecd35b1d_DO_NOT_DELETE"},
           "sts:AssumeRoleWithSAML"), "names no IAM Identity Center SAML provider"),  # another account's
    ([trust({"Federated": "PROVIDER"}, ["sts:AssumeRoleWithSAML"]),
      trust({"Federated": "PROVIDER"}, "sts:AssumeRoleWithSAML", effect="Deny", sid="NoSignIns")], "NoSignIns"),
    (trust({"Federated": "PROVIDER"}, "sts:AssumeRoleWithWebIdentity"), "does not allow"),
    (trust({"Federated": "PROVIDER"}, "sts:AssumeRoleWithSAML",
           {"StringEquals": {"SAML:aud": "https://example.com/other"}}), "conditions Identity Center's sign-in does not"),
], ids=["another-provider", "another-accounts-provider", "explicit-deny", "wrong-action", "other-audience"])
def test_the_trust_is_still_decided_and_one_that_does_not_allow_the_provider_gives_no_edge(trusts, why):
    def broken_trust(org, center, ids):
        provider = center.provider_arn(PROD)
        given = trusts if isinstance(trusts, list) else [trusts]
        written = [{**s, "Principal": {"Federated": provider}} if s.get("Principal") == {"Federated": "PROVIDER"} else s
                   for s in given]
        center.provision(ids["admin"], PROD, trusts=written)

    org, ids = scenario(broken_trust)
    graph = build_graph(org.snapshot())
    role = org.center.role_arn(ids["admin"], PROD)
    assert not [key for key in sign_ins(graph) if key[1] == role]
    (fact,) = [f for f in graph.graph["identity_center_facts"] if f["kind"] == "trust_denies"]
    assert (fact["role"], fact["account"], fact["permission_set_name"]) == (role, PROD, "AdministratorAccess")
    assert fact["principals"] == sorted([node(org, ids["alice"]), sso_group_node(org.center.identity_store_id,
                                                                                 ids["admins"])])
    assert any(why in reason for reason in fact["reasons"]), fact["reasons"]


def test_conditions_identity_center_does_not_state_stay_conditions_of_the_sign_in():
    def mfa_trust(org, center, ids):
        provider = center.provider_arn(PROD)
        center.provision(ids["admin"], PROD, trusts=trust({"Federated": provider}, "sts:AssumeRoleWithSAML", {
            "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"},
            "StringLike": {"SAML:sub": "*@example.com"}}))

    org, ids = scenario(mfa_trust)
    data = sign_ins(build_graph(org.snapshot()))[(node(org, ids["alice"]), org.center.role_arn(ids["admin"], PROD))]
    assert data["conditional"] is True
    assert [c["key"] for r in data["conditions"] for c in r["conditions"]] == ["SAML:sub"]
    assert [a["key"] for a in data["assumed"]] == ["SAML:aud"]


def test_an_rcp_is_decided_on_the_sign_in_too():
    def rcp(org, center, ids):
        org.ou("ou-prod", "Prod")
        org.accounts[PROD].parent = "ou-prod"
        org.rcp("NoSamlIntoProd", statement("Deny", "sts:AssumeRoleWithSAML", "*", principal="*"),
                targets=["ou-prod"])

    org, ids = scenario(rcp)
    org.full_access_everywhere(scp=False, rcp=True)
    graph = build_graph(org.snapshot())
    assert not [k for k in sign_ins(graph) if k[1] == org.center.role_arn(ids["admin"], PROD)]
    assert [k for k in sign_ins(graph) if k[1] == org.center.role_arn(ids["read"], DEV)]


def test_assignments_the_snapshot_cannot_follow_are_facts():
    def odd(org, center, ids):
        center.assign("999999999999", ids["admin"], user=ids["bob"], provision=False)  # no account file
        center.assign(DEV, ids["admin"], user="no-such-user", provision=False)
        center.assignments.append({"AccountId": DEV, "PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-x/ps-gone",
                                   "PrincipalType": "GROUP", "PrincipalId": ids["ops"]})

    org, ids = scenario(odd)
    facts = {(f["kind"], f["account"]): f for f in build_graph(org.snapshot()).graph["identity_center_facts"]}
    assert facts[("account_not_in_snapshot", "999999999999")]["principals"] == [node(org, ids["bob"])]
    assert facts[("unknown_principal", DEV)]["principals"] == ["USER:no-such-user"]
    gone = facts[("unknown_permission_set", DEV)]
    assert (gone["permission_set"], gone["permission_set_name"]) == ("arn:aws:sso:::permissionSet/ssoins-x/ps-gone", None)


def test_without_the_file_the_graph_has_no_identity_center_facts():
    org = Org()
    org.account(DEV).user("alice")
    assert "identity_center_facts" not in build_graph(org.snapshot()).graph


def everything(graph) -> tuple[set, set, list]:
    nodes = {(n, repr(sorted(d.items()))) for n, d in graph.nodes(data=True)}
    edges = {(u, v, k, repr(sorted(d.items()))) for u, v, k, d in graph.edges(keys=True, data=True)}
    return nodes, edges, graph.graph.get("identity_center_facts")


def test_the_reference_builder_and_a_partitioned_build_give_the_same_graph():
    def odd(org, center, ids):
        center.assign("999999999999", ids["admin"], user=ids["bob"], provision=False)

    snapshot = scenario(odd)[0].snapshot()
    local = build_graph(snapshot)
    assert everything(ReferenceGraphBuilder(snapshot).build()) == everything(local)
    parts = [partition_edges(snapshot, [a]) for a in sorted(snapshot.accounts)]
    merged = merge_partitions(snapshot, parts)
    assert everything(merged) == everything(local)
    assert merged.graph["pairs_evaluated"] == local.graph["pairs_evaluated"]


def test_the_direct_request_of_a_user_is_decided_from_its_assignments():
    org, ids = scenario()
    snapshot = org.snapshot()
    engine = PolicyEngine(snapshot)
    admin_role = snapshot.role(org.center.role_arn(ids["admin"], PROD))
    read_role = snapshot.role(org.center.role_arn(ids["read"], DEV))
    decision = decide_user_sign_in(snapshot, engine, node(org, ids["alice"]), admin_role)
    assert decision.outcome is Outcome.CONDITIONAL  # the engine's own: SAML:aud is a claim of the request
    assert [c.key for r in decision.requirements for c in r.conditions] == ["SAML:aud"]
    (blocker,) = decide_user_sign_in(snapshot, engine, node(org, ids["bob"]), read_role).blockers
    assert (blocker.layer, blocker.message) == ("identity", "No IAM Identity Center assignment gives bob the permission "
                                                            f"set ReadOnly in account {DEV}, directly or through a group.")
    plain_org, plain_ids = scenario(lambda o, c, i: o.accounts[DEV].role("Plain", trusts=trust({"AWS": DEV})))
    plain_snapshot = plain_org.snapshot()
    (blocker,) = decide_user_sign_in(plain_snapshot, PolicyEngine(plain_snapshot), node(plain_org, plain_ids["alice"]),
                                     plain_snapshot.role(f"arn:aws:iam::{DEV}:role/Plain")).blockers
    assert "is not a role IAM Identity Center provisioned" in blocker.message


def test_the_cache_index_keeps_identity_center(tmp_path, monkeypatch):
    from graphiam.access import load_with_report
    from graphiam.graph import cache as graph_cache
    from graphiam.graph import index as graph_index
    from graphiam.graph.index import QueryIndex
    from graphiam.snapshot.model import IdentityCenter
    from graphiam.snapshot.read import snapshot_files

    org, ids = scenario()
    folder = org.write(tmp_path / "snapshot")
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(tmp_path / "cache"))
    access, report = load_with_report([folder], cache=True)
    assert report["cache"] == "miss"
    center = access.snapshot.identity_center
    hint = IdentityCenter | None
    assert graph_index.model_from_json(graph_index.model_to_json(center, hint), hint) == center
    index = QueryIndex(graph_cache.index_file(graph_cache.snapshot_key(snapshot_files([folder]))))
    try:
        alice, role = node(org, ids["alice"]), org.center.role_arn(ids["admin"], PROD)
        small = index.subgraph(alice, role)
        assert small.edges[alice, role, CAN_ASSUME] == access.graph.edges[alice, role, CAN_ASSUME]
        assert small.graph["identity_center_facts"] == access.graph.graph["identity_center_facts"]
        assert index.snapshot_for(alice, role).identity_center == center
    finally:
        index.close()
    again, report = load_with_report([folder], cache=True)
    assert report["cache"] == "hit" and again.snapshot.identity_center == center
