"""The technique catalogue as a Markdown table: the README's copy of :data:`graphiam.policy.techniques.TECHNIQUES`.

:func:`catalogue_table` renders one row per technique (its id, pathfinding.cloud
id, kind, the permissions it needs, the service the passed role must trust,
and the first sentence of its note); :func:`catalogue_block` puts a short
paragraph above it. The README holds that block between the markers
``<!-- techniques:start -->`` and ``<!-- techniques:end -->``, and
``tests/present/test_catalogue.py`` fails when the two differ.

``python -m graphiam.present.catalogue`` prints the block;
``python -m graphiam.present.catalogue --write README.md`` rewrites it in
place, between the markers, and leaves the rest of the file as it was.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Sequence

from ..policy import PASS_ROLE
from ..policy.techniques import INSTANCE_PROFILE_PERMISSIONS, KINDS, TECHNIQUES, Permission, Technique
from .files import write_atomically

START_MARKER = "<!-- techniques:start -->"
END_MARKER = "<!-- techniques:end -->"

HEADER = ("id", "pathfinding", "kind", "permissions", "passed role trusts", "note")

_CALLERS = {"user": "users only", "role": "roles only"}
# the end of a note's first sentence: a full stop and a space, not the one of an abbreviation
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)\.\s")


class MarkersNotFound(ValueError):
    """The text does not hold the catalogue markers once each, start before end."""


def short_note(note: str) -> str:
    """The first sentence of ``note`` (all of it when it has one sentence)."""
    text = " ".join(note.split())
    found = _SENTENCE_END.search(text)
    return text[: found.start() + 1] if found else text


def _code(action: str) -> str:
    return f"`{action}`"


def _together(permissions: Sequence[Permission]) -> str:
    return " + ".join(_code(p.action) for p in permissions)


def permissions_cell(entry: Technique) -> str:
    """What the technique needs: ``iam:PassRole`` first for a pass technique, then its permissions, then its
    alternatives (``one of: ...``) and, for EC2, the instance profile."""
    actions = ([PASS_ROLE] if entry.kind == "pass_role" else []) + [p.action for p in entry.permissions]
    parts = [", ".join(_code(a) for a in actions)]
    if entry.one_of:
        parts.append("one of: " + " or ".join(_together(option) for option in entry.one_of))
    if entry.instance_profile:
        parts.append("an instance profile (the role's own, or " + _together(INSTANCE_PROFILE_PERMISSIONS) + ")")
    return "; ".join(parts)


def _kind_cell(entry: Technique) -> str:
    caller = _CALLERS.get(entry.caller)
    return f"`{entry.kind}` ({caller})" if caller else f"`{entry.kind}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or "-"


def catalogue_table(techniques: Sequence[Technique] = TECHNIQUES) -> str:
    """The Markdown table of ``techniques``, one row each in catalogue order (no trailing newline)."""
    rows = [HEADER, tuple("---" for _ in HEADER)]
    for entry in techniques:
        rows.append((
            f"`{entry.id}`",
            entry.pathfinding or "-",
            _kind_cell(entry),
            permissions_cell(entry),
            f"`{entry.service}`" if entry.service else "-",
            short_note(entry.note),
        ))
    return "\n".join("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows)


def catalogue_block(techniques: Sequence[Technique] = TECHNIQUES) -> str:
    """What the README holds between the markers: a short paragraph, then :func:`catalogue_table`."""
    counts = Counter(entry.kind for entry in techniques)
    by_kind = ", ".join(f"{counts[kind]} `{kind}`" for kind in KINDS if counts[kind])
    paragraph = (
        f"{len(techniques)} techniques ({by_kind}). This table is generated from "
        "`graphiam/policy/techniques.py`, which also holds the resource each permission is decided on and the "
        "whole notes, and is checked by `tests/present/test_catalogue.py`; regenerate it with "
        "`python -m graphiam.present.catalogue --write README.md`."
    )
    return paragraph + "\n\n" + catalogue_table(techniques)


def _marker_span(text: str) -> tuple[int, int]:
    """Where the block lies in ``text``: from after the start marker to the end marker."""
    if text.count(START_MARKER) != 1 or text.count(END_MARKER) != 1:
        raise MarkersNotFound(f"expected {START_MARKER} and {END_MARKER} once each")
    start, end = text.index(START_MARKER) + len(START_MARKER), text.index(END_MARKER)
    if end < start:
        raise MarkersNotFound(f"{END_MARKER} comes before {START_MARKER}")
    return start, end


def readme_block(text: str) -> str:
    """The block between the markers of ``text``, without the newlines that frame it."""
    start, end = _marker_span(text)
    block = text[start:end]
    block = block[1:] if block.startswith("\n") else block
    return block[:-1] if block.endswith("\n") else block


def replace_block(text: str, block: str) -> str:
    """``text`` with ``block`` between its markers (each marker then on a line of its own)."""
    start, end = _marker_span(text)
    return text[:start] + "\n" + block + "\n" + text[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graphiam.present.catalogue",
                                     description="Print the README's technique catalogue block, or rewrite it.")
    parser.add_argument("--write", metavar="README", type=Path,
                        help="rewrite the block in place between the markers of this file")
    args = parser.parse_args(argv)
    block = catalogue_block()
    if args.write is None:
        sys.stdout.write(block + "\n")
        return 0
    try:
        text = args.write.read_text(encoding="utf-8")
        updated = replace_block(text, block)
    except (OSError, MarkersNotFound) as error:
        print(f"{parser.prog}: error: {args.write}: {error}", file=sys.stderr)
        return 2
    if updated != text:
        write_atomically(args.write, updated)
        print(f"wrote {args.write}", file=sys.stderr)
    else:
        print(f"{args.write} is up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
