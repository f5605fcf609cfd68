"""IAM Identity Center questions that the sign-in edges alone do not answer: the assignments that give no sign-in.

The graph records each such assignment in ``graph.graph["identity_center_facts"]``
(:class:`~graphiam.graph.schema.IdentityCenterFact`: a permission set whose role is missing from the account, a
trust that does not let the Identity Center provider in, ...). :func:`identity_center_facts` picks those a
``who-can`` (or ``reach``) answer about one node should report next to its rows.
"""

from __future__ import annotations

import networkx as nx

from ..graph.schema import MEMBER_OF, SSO_GROUP, SSO_USER


def identity_center_facts(graph: nx.MultiDiGraph, subject: str) -> list[dict]:
    """The Identity Center facts about ``subject`` (a node of ``graph``), in the graph's order:

    - a role: the facts that name it (its trust does not let the provider in);
    - an account (``arn:aws:iam::A:root``): every fact of account ``A`` (a permission set assigned there whose role
      is missing, an account without a file, ...);
    - an Identity Center user: the facts whose assignments name it or one of its groups;
    - an Identity Center group: the facts whose assignments name it.

    Empty for any other node, and for a graph of a snapshot without an identity-center file.
    """
    facts = graph.graph.get("identity_center_facts") or []
    if subject not in graph or not facts:
        return []
    data = graph.nodes[subject]
    kind = data.get("kind")
    if kind == "role":
        return [f for f in facts if f.get("role") == subject]
    if kind == "account":
        return [f for f in facts if f.get("account") == data.get("account")]
    if kind == SSO_USER:
        named = {subject} | {v for _, v, k in graph.out_edges(subject, keys=True)
                             if k == MEMBER_OF and graph.nodes[v].get("kind") == SSO_GROUP}
        return [f for f in facts if named & set(f.get("principals") or ())]
    if kind == SSO_GROUP:
        return [f for f in facts if subject in (f.get("principals") or ())]
    return []
