"""pandas tables of an access graph, for analysis in notebooks.

>>> import graphiam
>>> access = graphiam.load("data/sample-org")
>>> access.edges_frame().query("cross_account and not conditional")

Every function takes the snapshot, the graph or result rows (the
``AccessGraph.*_frame`` methods pass them) and returns a new DataFrame (a ``RangeIndex``, rows in a stable sorted order) whose columns
are exactly the module-level tuple named after it (``PRINCIPAL_COLUMNS``,
``ROLE_COLUMNS``, ``EDGE_COLUMNS``, ``REACH_COLUMNS``, and ``DIFF_EDGE_COLUMNS``,
``DIFF_REACH_COLUMNS`` for a change between two snapshots). The column names and
their dtypes (``COLUMN_DTYPES``) are a contract:

- text columns use pandas' default string dtype (``"str"``): a value that
  does not exist (the account of a service principal, a role's missing
  permissions boundary, a hop's service on an AssumeRole row) is missing
  (``NaN``), never the text ``"None"``;
- list-valued columns (groups, policies, trusted principals, condition keys)
  are one string, the sorted items joined with ``", "``, and ``""`` when there
  are none. IAM names and ARNs never contain a space, so ``", "`` cannot occur
  inside an item: ``df.groups.str.split(", ")`` gives the lists back;
- ``tags`` is one string, ``"key=value; key=value"`` sorted by key (``""``
  without tags): it stays a text column that filters with
  ``df.tags.str.contains("clearance=prod-admin")`` and groups and pivots
  (a dict column could do neither). IAM does not allow ``;`` in tag keys or
  values, so splitting on ``"; "`` is exact for AWS data (a key may hold
  ``=``: when that matters, use the dict). The tag dict of a node is ``access.graph.nodes[arn]["tags"]``;
- flags are ``bool`` and counts and hop numbers ``int64``.

pandas is an optional dependency (``pip install 'graphiam[notebook]'``);
:class:`~graphiam.access.AccessGraph` imports this module only when one of
its ``*_frame`` methods is called.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import networkx as nx
import pandas as pd

if int(pd.__version__.split(".")[0]) < 3:  # pandas 2 would silently make the text columns ``object``
    raise ImportError(f"graphiam.present.frames needs pandas>=3, found {pd.__version__}", name="pandas")

from ..graph.schema import CAN_ASSUME, CAN_PASS
from ..policy import ASSUME_ROLE, ASSUME_ROLE_WITH_SAML, ASSUME_ROLE_WITH_WEB_IDENTITY, Outcome
from ..policy.matching import account_principal, action_matches
from ..queries.diff import GraphDiff, ReachChange
from ..queries.paths import ReachRow
from ..snapshot.model import Role, Snapshot, Statement, Tag, User
from .text import evidence_items

PRINCIPAL_COLUMNS: tuple[str, ...] = (
    "arn", "kind", "account", "name", "path", "tags", "groups", "inline_policies", "managed_policies",
    "permissions_boundary",
)
ROLE_COLUMNS: tuple[str, ...] = (
    "arn", "account", "name", "path", "service_linked", "trusted_services", "trusted_accounts",
    "trusted_principals", "federated_providers", "tags", "assumers", "conditional_assumers", "passers",
)
EDGE_COLUMNS: tuple[str, ...] = (
    "source", "target", "source_account", "target_account", "edge_type", "action", "service", "conditional",
    "condition_keys", "granted_by", "cross_account",
)
REACH_COLUMNS: tuple[str, ...] = ("arn", "kind", "account", "hops", "action", "service", "conditional", "via",
                                  "conditions", "techniques", "subject")
PRIVESC_COLUMNS: tuple[str, ...] = ("principal", "account", "hops", "techniques", "first_hop", "conditional")
DIFF_EDGE_COLUMNS: tuple[str, ...] = (
    "kind", "source", "target", "source_account", "target_account", "edge_type", "action", "service", "what",
    "conditional", "condition_keys", "granted_by", "policies",
)
DIFF_REACH_COLUMNS: tuple[str, ...] = ("kind", "source", "target", "hops", "conditional", "chain", "because",
                                       "granted_by", "policies")

TEXT = "str"  # pandas 3's default string dtype (StringDtype with NaN as the missing value)
_BOOL_COLUMNS = frozenset({"service_linked", "conditional", "cross_account"})
_INT_COLUMNS = frozenset({"assumers", "conditional_assumers", "passers", "hops"})

COLUMN_DTYPES: Mapping[str, str] = {
    column: "bool" if column in _BOOL_COLUMNS else "int64" if column in _INT_COLUMNS else TEXT
    for column in dict.fromkeys(PRINCIPAL_COLUMNS + ROLE_COLUMNS + EDGE_COLUMNS + REACH_COLUMNS + PRIVESC_COLUMNS
                                + DIFF_EDGE_COLUMNS + DIFF_REACH_COLUMNS)
}
"""The dtype of every column of every frame: ``"str"``, ``"bool"`` or ``"int64"``."""

LIST_SEPARATOR = ", "
TAG_SEPARATOR = "; "

_ASSUME_ACTIONS = (ASSUME_ROLE, ASSUME_ROLE_WITH_SAML, ASSUME_ROLE_WITH_WEB_IDENTITY)


# -- helpers ---------------------------------------------------------------------------

def _frame(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> pd.DataFrame:
    """A frame with exactly ``columns``, each in its contract dtype (also when there are no rows)."""
    data = {column: pd.Series([row[column] for row in rows], dtype=COLUMN_DTYPES[column]) for column in columns}
    return pd.DataFrame(data, columns=list(columns))


def _joined(items: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(sorted(set(items)))


def _tags_text(tags: Iterable[Tag] | Mapping[str, str]) -> str:
    pairs = tags.items() if isinstance(tags, Mapping) else ((t.key, t.value) for t in tags)
    return TAG_SEPARATOR.join(f"{key}={value}" for key, value in sorted(pairs))


def evidence_text(granted_by: Iterable[Mapping], source: str) -> str:
    """The statements that grant an edge, as ``graphiam path`` prints them, joined with ``"; "``
    (see :func:`graphiam.present.text.evidence_items`)."""
    return "; ".join(evidence_items(granted_by, source))


def _condition_keys(conditions: Iterable[Mapping]) -> str:
    return _joined(c["key"] for requirement in conditions for c in requirement.get("conditions", ()))


# -- principals -----------------------------------------------------------------------

def principals_frame(snapshot: Snapshot) -> pd.DataFrame:
    """One row per IAM user and role, sorted by ARN.

    ``groups`` lists a user's group names (``""`` for roles); ``inline_policies``
    the names of its own inline policies; ``managed_policies`` the ARNs of the
    managed policies attached to it directly (group policies are the groups');
    ``permissions_boundary`` the boundary's ARN, missing when there is none.
    """
    rows = []
    for principal in snapshot.all_principals():
        rows.append({
            "arn": principal.arn,
            "kind": principal.kind,
            "account": principal.account_id,
            "name": principal.name,
            "path": principal.path,
            "tags": _tags_text(principal.tags),
            "groups": _joined(principal.group_names) if isinstance(principal, User) else "",
            "inline_policies": _joined(p.name for p in principal.inline_policies),
            "managed_policies": _joined(principal.managed_policy_arns),
            "permissions_boundary": principal.permissions_boundary_arn,
        })
    rows.sort(key=lambda row: row["arn"])
    return _frame(rows, PRINCIPAL_COLUMNS)


# -- roles ------------------------------------------------------------------------------

def _trusts_assume(statement: Statement) -> bool:
    if statement.effect != "Allow":
        return False
    matched = any(action_matches(statement.actions, action) for action in _ASSUME_ACTIONS)
    return not matched if statement.not_action else matched


def _trusted(role: Role) -> dict[str, str]:
    """Whom the trust policy's Allow statements for an AssumeRole action name, by kind."""
    services: set[str] = set()
    accounts: set[str] = set()
    principals: set[str] = set()
    providers: set[str] = set()
    for statement in role.trust_policy.statements:
        if not _trusts_assume(statement):
            continue
        if statement.not_principal:  # "everyone but ...": what the graph builder takes as "*"
            principals.add("*")
            continue
        for principal_type, value in statement.named_principals():
            if principal_type == "Service":
                services.add(value)
            elif principal_type == "Federated":
                providers.add(value)
            elif principal_type == "AWS":
                account = account_principal(value)
                if account is not None:
                    accounts.add(account)
                else:
                    principals.add(value)
    return {
        "trusted_services": _joined(services),
        "trusted_accounts": _joined(accounts),
        "trusted_principals": _joined(principals),
        "federated_providers": _joined(providers),
    }


def roles_frame(snapshot: Snapshot, graph: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per role, sorted by ARN: what its trust policy names, and who the engine lets in.

    ``trusted_*`` and ``federated_providers`` are read from the trust policy's
    Allow statements for sts:AssumeRole (or its SAML / web-identity forms), as
    written: ``trusted_accounts`` holds account ids (from ``:root`` ARNs and bare
    ids), ``trusted_principals`` every other AWS value (ARNs, ``*``, the unique
    id of a deleted principal); an Allow with ``NotPrincipal`` counts as ``*``.
    Conditions and denies are not applied there; the counts are decisions:
    ``assumers`` is the role's in-degree over ``can_assume`` edges (users, roles,
    services, identity providers and outside accounts that can assume it),
    ``conditional_assumers`` how many of those edges need request-time
    conditions, ``passers`` how many principals can pass it to some service.
    """
    rows = []
    for role in snapshot.all_roles():
        assumers = conditional = 0
        passers: set[str] = set()
        for source, _, key, data in graph.in_edges(role.arn, keys=True, data=True):
            if key == CAN_ASSUME:
                assumers += 1
                conditional += bool(data.get("conditional"))
            elif data.get("edge_type") == CAN_PASS:
                passers.add(source)
        rows.append({
            "arn": role.arn,
            "account": role.account_id,
            "name": role.name,
            "path": role.path,
            "service_linked": role.is_service_linked,
            **_trusted(role),
            "tags": _tags_text(role.tags),
            "assumers": assumers,
            "conditional_assumers": conditional,
            "passers": len(passers),
        })
    rows.sort(key=lambda row: row["arn"])
    return _frame(rows, ROLE_COLUMNS)


# -- edges --------------------------------------------------------------------------------

def edges_frame(graph: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per ``can_assume`` and ``can_pass`` edge, sorted by source, target, edge type, service.

    ``source`` is an ARN, a service principal (``ec2.amazonaws.com``) or an
    identity provider ARN. ``service`` is the service a role is passed to
    (missing on ``can_assume`` rows); ``condition_keys`` the request-time keys
    the edge needs; ``granted_by`` the granting statements (see
    :func:`evidence_text`). ``cross_account`` is true when the source belongs
    to an account (services do not) other than the target's.
    """
    rows = []
    for source, target, data in graph.edges(data=True):
        edge_type = data.get("edge_type")
        if edge_type not in (CAN_ASSUME, CAN_PASS):
            continue
        source_account = graph.nodes[source].get("account")
        target_account = graph.nodes[target].get("account")
        rows.append({
            "source": source,
            "target": target,
            "source_account": source_account,
            "target_account": target_account,
            "edge_type": edge_type,
            "action": data.get("action"),
            "service": data.get("service"),
            "conditional": bool(data.get("conditional")),
            "condition_keys": _condition_keys(data.get("conditions", ())),
            "granted_by": evidence_text(data.get("granted_by", ()), source),
            "cross_account": bool(source_account) and source_account != target_account,
        })
    rows.sort(key=lambda row: (row["source"], row["target"], row["edge_type"], row["service"] or ""))
    return _frame(rows, EDGE_COLUMNS)


# -- reach / who-can ---------------------------------------------------------------------

def reach_rows_frame(rows: Iterable[ReachRow]) -> pd.DataFrame:
    """``ReachRow`` values as a frame, in the order given (``reach``/``who_can`` sort them); ``conditions`` is
    the row's condition keys joined with ``", "`` in path order (``""`` for a row that needs none)."""
    return _frame([{**row.to_dict(), "conditions": LIST_SEPARATOR.join(row.conditions),
                    "techniques": LIST_SEPARATOR.join(row.techniques)} for row in rows], REACH_COLUMNS)


def privesc_frame(rows) -> pd.DataFrame:
    """``privesc`` rows as a frame: ``techniques`` is the ids on the way joined with ``", "``; ``first_hop``
    the principal the way starts through (the principal itself for a technique on itself)."""
    records = []
    for row in rows:
        hops = row.to_dict()["becomes_admin_via"]
        records.append({
            "principal": row.principal, "account": row.principal.split(":")[4], "hops": len(hops),
            "techniques": LIST_SEPARATOR.join(h["technique"]["id"] for h in hops if h.get("technique")),
            "first_hop": hops[0]["to"] if hops else "",
            "conditional": row.technique.outcome is Outcome.CONDITIONAL if row.technique is not None
            else any(h.conditional for h in row.hops),
        })
    return _frame(records, PRIVESC_COLUMNS)


# -- a change between two snapshots (graphiam.queries.diff) --------------------------------------------------

CHAIN_ARROW = " -> "


def _policies(granted_by: Iterable[Mapping]) -> str:
    return _joined(str(evidence["policy"]) for evidence in granted_by if evidence.get("policy"))


def diff_edges_frame(diff: GraphDiff, old_graph: nx.MultiDiGraph, new_graph: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per edge the change added, removed or changed (``kind``), in the diff's order (by source,
    target, edge key).

    The other columns describe the edge as the new graph has it (the old one
    for a removed edge), as :func:`edges_frame` does: ``edge_type``, ``action``,
    ``service`` (missing on ``can_assume`` rows), ``conditional``,
    ``condition_keys``, ``granted_by`` (the statements, see
    :func:`evidence_text`) and ``policies`` (the granting policies' names or
    ARNs, sorted, joined with ``", "``). ``what`` says what changed in a
    changed edge's decision, ``"; "``-joined (``"now conditional (tightened)"``),
    ``""`` for an added or removed edge. ``member_of`` edges are not compared.
    """
    rows = []
    for change in diff.edges:
        graph = old_graph if change.kind == "removed" else new_graph
        data = graph.get_edge_data(change.source, change.target, change.key) or {}
        rows.append({
            "kind": change.kind,
            "source": change.source,
            "target": change.target,
            "source_account": _node_account(change.source, new_graph, old_graph),
            "target_account": _node_account(change.target, new_graph, old_graph),
            "edge_type": data.get("edge_type") or change.key.split(":")[0],
            "action": data.get("action"),
            "service": data.get("service"),
            "what": "; ".join(change.what),
            "conditional": bool(data.get("conditional")),
            "condition_keys": _condition_keys(data.get("conditions", ())),
            "granted_by": evidence_text(change.granted_by, change.source),
            "policies": _policies(change.granted_by),
        })
    return _frame(rows, DIFF_EDGE_COLUMNS)


def _node_account(node: str, *graphs: nx.MultiDiGraph) -> str | None:
    for graph in graphs:
        if node in graph:
            return graph.nodes[node].get("account") or None
    return None


def chain_text(change: ReachChange) -> str:
    """A path the change opens or closes as one line: ``SOURCE -> ROLE -> TARGET`` (ARNs)."""
    return CHAIN_ARROW.join([change.source] + [hop.target for hop in change.path])


def diff_reach_frame(diff: GraphDiff) -> pd.DataFrame:
    """One row per (source, target) pair the change opens (``kind`` ``"added"``) or closes (``"removed"``), in
    the diff's order (by target).

    ``chain`` is the new shortest chain (the old one for a closed pair), see
    :func:`chain_text`; ``hops`` its length; ``conditional`` whether a hop of
    it needs request-time conditions. ``because`` lists the hops of the chain
    that are new edges (gone edges for a closed pair), ``"SOURCE -> TARGET"``
    each, in chain order, joined with ``", "``; ``granted_by`` and ``policies``
    are the statements and policies that grant those hops (see
    :func:`diff_edges_frame`).
    """
    rows = []
    for change in diff.reach:
        new = set(change.because)
        made = [hop for hop in change.path if (hop.source, hop.target) in new]
        rows.append({
            "kind": change.kind,
            "source": change.source,
            "target": change.target,
            "hops": len(change.path),
            "conditional": any(hop.conditional for hop in change.path),
            "chain": chain_text(change),
            "because": LIST_SEPARATOR.join(f"{source}{CHAIN_ARROW}{target}" for source, target in change.because),
            "granted_by": "; ".join(item for hop in made for item in evidence_items(hop.granted_by, hop.source)),
            "policies": _joined(str(e["policy"]) for hop in made for e in hop.granted_by if e.get("policy")),
        })
    return _frame(rows, DIFF_REACH_COLUMNS)


__all__ = [
    "COLUMN_DTYPES", "DIFF_EDGE_COLUMNS", "DIFF_REACH_COLUMNS", "EDGE_COLUMNS", "PRINCIPAL_COLUMNS", "REACH_COLUMNS",
    "ROLE_COLUMNS", "PRIVESC_COLUMNS", "chain_text", "diff_edges_frame", "diff_reach_frame", "edges_frame",
    "evidence_text", "principals_frame", "privesc_frame", "reach_rows_frame", "roles_frame",
]
