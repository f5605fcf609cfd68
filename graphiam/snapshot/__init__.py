"""Snapshots: the files graphiam reads, their typed model, and the one way to write them in code.

- :mod:`.model`: frozen dataclasses (accounts, users, groups, roles, policies, the organization,
  IAM Identity Center);
- :mod:`.read`: files to model; every input error names its file and field;
- :mod:`.names`: ARNs and the names inside them;
- :mod:`.builder`: accounts, organizations and policies written in code (tests, the sample, synth, notebooks).
"""

from .model import Snapshot
from .read import SnapshotError, load_snapshot, snapshot_files, snapshot_from_data, snapshot_from_files

__all__ = ["Snapshot", "SnapshotError", "load_snapshot", "snapshot_files", "snapshot_from_data", "snapshot_from_files"]
