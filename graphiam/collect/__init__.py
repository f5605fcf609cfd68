"""boto3 collectors: write a snapshot of one account or a whole organization.

They know the snapshot's file shapes and nothing of the policy engine.
boto3 is an optional dependency: ``pip install 'graphiam[collect]'``.
"""

from .runner import CollectError, CollectionReport, CollectOptions, collect

__all__ = ["CollectError", "CollectOptions", "CollectionReport", "collect"]
