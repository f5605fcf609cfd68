"""graphiam.graph.incremental: a rebuild from the old graph gives exactly the graph a full build gives."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import Org, allow, deny, role_arn, trust_account, trust_arn, user_arn
from graphiam.graph.build import GraphBuilder, build_graph
from graphiam.graph.incremental import changed_accounts, rebuild_graph, targets_to_decide
from graphiam.queries.diff import edge_changes
from graphiam.snapshot.fingerprint import account_fingerprints
from strategies import ACCOUNTS, ROLE_NAMES, USER_NAMES, identity_statement, organizations, trust_statement

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BYSTANDER = "444444444444"  # an account only a few trusts name: edits there must not decide the rest again


def canonical(graph) -> dict:
    """Everything a graph holds but the order of its edges and what the build itself did."""
    def facts(key: str) -> list[str]:
        return sorted(repr(sorted(fact.items())) for fact in graph.graph.get(key) or ())

    return {
        "nodes": {node: repr(sorted(data.items())) for node, data in graph.nodes(data=True)},
        "edges": sorted((u, v, k, repr(sorted(d.items()))) for u, v, k, d in graph.edges(keys=True, data=True)),
        "trust_facts": facts("trust_facts"),
        "identity_center_facts": facts("identity_center_facts"),
        "has_identity_center_facts": "identity_center_facts" in graph.graph,
        "warnings": list(graph.graph.get("warnings", ())),
    }


@st.composite
def organizations_with_a_bystander(draw) -> Org:
    org = draw(organizations())
    bystander = org.account(BYSTANDER)
    bystander.user("dana", *draw(st.lists(identity_statement(), max_size=2)))
    for name in draw(st.lists(st.sampled_from(ROLE_NAMES), unique=True, min_size=1, max_size=2)):
        own = trust_account(BYSTANDER)
        bystander.role(name, allow("*", "*") if draw(st.booleans()) else allow("s3:*"),
                       trusts=[own] if draw(st.booleans()) else [own, draw(trust_statement())])
    if draw(st.booleans()):  # someone in the organization trusts the bystander
        org.account(draw(st.sampled_from(ACCOUNTS))).role("FromBystander", trusts=trust_arn(user_arn(BYSTANDER, "dana")))
    return org


ALL_ACCOUNTS = (*ACCOUNTS, BYSTANDER)


@st.composite
def edits(draw, org: Org) -> list[str]:
    """Apply one to three random edits to ``org`` in place; what was done, for the failure report."""
    done = []
    for _ in range(draw(st.integers(1, 3))):
        account = org.accounts[draw(st.sampled_from(ALL_ACCOUNTS))]
        kind = draw(st.sampled_from(["statement", "trust", "delete_role", "delete_user", "new_role", "new_user",
                                     "scp", "scp", "scp", "tag", "membership", "boundary"]))  # SCPs need an organization
        if kind == "statement" and (account.users or account.roles or account.groups):
            entity = draw(st.sampled_from([*account.users, *account.roles, *account.groups]))
            key = next(k for k in ("UserPolicyList", "RolePolicyList", "GroupPolicyList") if k in entity)
            entity[key] = entity[key] + [{"PolicyName": f"edit-{len(done)}", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [draw(identity_statement())]}}]
        elif kind == "trust" and account.roles:
            role = draw(st.sampled_from(account.roles))
            role["AssumeRolePolicyDocument"] = {"Version": "2012-10-17",
                                                "Statement": draw(st.lists(trust_statement(), min_size=1, max_size=2))}
        elif kind == "delete_role" and account.roles:
            account.roles.remove(draw(st.sampled_from(account.roles)))
        elif kind == "delete_user" and account.users:
            account.users.remove(draw(st.sampled_from(account.users)))
        elif kind == "new_role":
            name = f"New{len(done)}"
            if not any(r["RoleName"] == name for r in account.roles):
                account.role(name, draw(identity_statement()), trusts=draw(st.lists(trust_statement(), min_size=1, max_size=2)))
        elif kind == "new_user":
            name = f"new{len(done)}"
            if not any(u["UserName"] == name for u in account.users):
                account.user(name, draw(identity_statement()), groups=("team",) if account.groups else ())
        elif kind == "scp":
            if not org.with_organization:
                continue
            if org.org_policies and draw(st.booleans()):  # detach one from everywhere
                org.org_policies.remove(draw(st.sampled_from(org.org_policies)))
            else:
                resource = draw(st.sampled_from(["*", role_arn(draw(st.sampled_from(ALL_ACCOUNTS)),
                                                               draw(st.sampled_from(ROLE_NAMES)))]))
                org.scp(f"Edit{len(done)}", deny(draw(st.sampled_from(["sts:AssumeRole", "iam:PassRole"])), resource),
                        targets=(account.account_id,))
        elif kind == "tag" and account.users:
            user = draw(st.sampled_from(account.users))
            user["Tags"] = [{"Key": "team", "Value": draw(st.sampled_from(["ops", "dev", "sec"]))}]
        elif kind == "membership" and account.users:
            user = draw(st.sampled_from(account.users))
            user["GroupList"] = [] if user["GroupList"] else (["team"] if account.groups else [])
        elif kind == "boundary" and account.users:
            user = draw(st.sampled_from(account.users))
            bound = account.managed_policy(f"Bound{len(done)}", allow("sts:AssumeRole", "*"))
            user["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": bound}
        else:
            continue
        done.append(f"{kind} in {account.account_id}")
    return done


@SETTINGS
@given(organizations_with_a_bystander(), st.data())
def test_a_rebuild_after_random_edits_is_exactly_the_full_build(org, data):
    old = org.snapshot()
    old_graph = GraphBuilder(old).build()
    before = canonical(old_graph)
    data.draw(edits(org))
    new = org.snapshot()
    rebuilt, report = rebuild_graph(old, old_graph, new)
    assert canonical(rebuilt) == canonical(build_graph(new))
    assert canonical(old_graph) == before  # the old graph is read, never changed
    assert set(report.changed) == changed_accounts(old, new)
    assert not report.whole  # every kept edge's caller is in the new graph: no fallback to a full build
    # a diff compares only the edges into the accounts decided again (or gone): the rest are copies
    assert edge_changes(old_graph, rebuilt, set(report.decided) | set(report.changed)) == \
        edge_changes(old_graph, build_graph(new))


def _two_accounts(extra_statement: dict | None = None) -> Org:
    org = Org(management="111111111111")
    dev = org.account("222222222222")
    dev.user("alice", allow("sts:AssumeRole", "*"), *(extra_statement,) if extra_statement else ())
    dev.role("Build", allow("*", "*"), trusts=trust_account("222222222222"))
    prod = org.account("333333333333")
    prod.user("pat", allow("sts:AssumeRole", "*"))
    prod.role("Deploy", trusts=trust_account("333333333333"))
    org.full_access_everywhere()
    return org


def test_an_edit_in_an_account_no_other_trusts_decides_only_that_account_again():
    old = _two_accounts().snapshot()
    new = _two_accounts(deny("sts:AssumeRole", "*")).snapshot()
    assert changed_accounts(old, new) == {"222222222222"}
    assert targets_to_decide(old, new) == {"222222222222"}
    rebuilt, report = rebuild_graph(old, build_graph(old), new)
    assert report.decided == ("222222222222",) and report.kept_edges > 0
    assert canonical(rebuilt) == canonical(build_graph(new))


def test_a_trust_naming_the_changed_account_decides_its_account_too():
    def org(extra=None) -> Org:
        built = _two_accounts(extra)
        built.account("333333333333").role("FromDev", trusts=trust_account("222222222222"))
        return built

    old, new = org().snapshot(), org(deny("sts:AssumeRole", "*")).snapshot()
    assert targets_to_decide(old, new) == {"222222222222", "333333333333"}


def test_an_scp_change_changes_only_the_accounts_under_it():
    def org(extra_scp: bool) -> Org:
        built = _two_accounts()
        if extra_scp:
            built.scp("NoDeploy", deny("sts:AssumeRole", role_arn("333333333333", "Deploy")), targets=("333333333333",))
        return built

    assert changed_accounts(org(False).snapshot(), org(True).snapshot()) == {"333333333333"}


def test_the_same_account_in_another_folder_is_unchanged(tmp_path):
    from graphiam.snapshot.read import load_snapshot

    org = _two_accounts()
    org.write(tmp_path / "a")
    org.write(tmp_path / "b")
    before, after = load_snapshot([tmp_path / "a"]), load_snapshot([tmp_path / "b"])
    assert account_fingerprints(before) == account_fingerprints(after)


def test_an_aws_managed_policy_edited_in_another_file_changes_the_accounts_that_use_it():
    def org(version: str) -> Org:
        built = _two_accounts()
        arn = "arn:aws:iam::aws:policy/PowerUserAccess"
        statement = allow("sts:AssumeRole", "*") if version == "wide" else allow("s3:*")
        assert built.account("222222222222").managed_policy("PowerUserAccess", statement, aws_managed=True) == arn
        built.account("333333333333").users[0]["AttachedManagedPolicies"] = [
            {"PolicyName": "PowerUserAccess", "PolicyArn": arn}]
        return built

    assert "333333333333" in changed_accounts(org("wide").snapshot(), org("narrow").snapshot())


def test_an_identity_center_change_decides_its_accounts_again():
    def org(assigned: bool) -> Org:
        built = _two_accounts()
        center = built.identity_center()
        alice = center.user("alice@example.com")
        admin = center.permission_set("Admin", allow("*", "*"))
        center.assign("333333333333", admin, user=alice)
        if assigned:
            center.assign("222222222222", admin, user=alice)
        return built

    old, new = org(False).snapshot(), org(True).snapshot()
    assert {"222222222222", "333333333333"} <= targets_to_decide(old, new)
    rebuilt, _ = rebuild_graph(old, build_graph(old), new)
    assert canonical(rebuilt) == canonical(build_graph(new))


def test_a_rebuild_leaves_the_old_graph_as_it_was():
    old = _two_accounts().snapshot()
    old_graph = build_graph(old)
    kept = copy.deepcopy(canonical(old_graph))
    rebuild_graph(old, old_graph, _two_accounts(deny("sts:AssumeRole", "*")).snapshot())
    assert canonical(old_graph) == kept
