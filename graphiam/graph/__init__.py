"""The access graph: decisions of the policy engine turned into a networkx MultiDiGraph.

- :mod:`.schema`: what the graph holds (node kinds, edge keys, edge attributes);
- :mod:`.build`: the builder (candidate pairs from :mod:`.candidates`) and the reference builder;
- :mod:`.identity_center`: IAM Identity Center users and groups, and their sign-ins to permission sets' roles;
- :mod:`.engines`: the same build in forked processes or on a Dask cluster;
- :mod:`.cache` and :mod:`.index`: built graphs kept on disk, and their SQLite query index.
"""

from .build import GraphBuilder, ReferenceGraphBuilder, build_graph, build_reference_graph
from .schema import CAN_ASSUME, CAN_PASS, MEMBER_OF, TrustFact, account_node, pass_key

__all__ = ["CAN_ASSUME", "CAN_PASS", "MEMBER_OF", "GraphBuilder", "ReferenceGraphBuilder", "TrustFact",
           "account_node", "build_graph", "build_reference_graph", "pass_key"]
