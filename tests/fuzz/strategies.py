"""Hypothesis strategies for fuzz plans (see :mod:`fuzz.mutations` for what a plan is).

They draw the same plans as :func:`fuzz.mutations.random_snapshot_plan` and
:func:`~fuzz.mutations.random_check_plan`, from hypothesis' choices, so a failing plan shrinks: fewer
mutations, earlier nodes, shorter strings, simpler values.
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import mutations as m

# what a terminal must never get raw, and what a parser trips on, more often than st.text() would give it
_NASTY_CHARS = st.one_of(
    st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"]),
    st.sampled_from("\x1b\x07\x00\n\r\t\x7f\x85\x9b\u202e{}[]/*:%$\\\"'<>&"),
)
CHARS = st.one_of(st.characters(), _NASTY_CHARS)
STRINGS = st.one_of(st.sampled_from(m.HOSTILE_STRINGS), st.text(CHARS, max_size=40))

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
              st.floats(allow_nan=True, allow_infinity=True), STRINGS, st.sampled_from(m.VALUES)),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.one_of(st.sampled_from(("Effect", "Action", "Resource", "Principal",
                                                                          "Condition", "Sid", "AWS", "Statement")),
                                                         st.text(CHARS, max_size=8)), children, max_size=3)),
    max_leaves=6,
)

_WEIGHTED_TREE_KINDS = tuple(kind for kind, weight in m.TREE_WEIGHTS.items() for _ in range(weight))
_INDEX = st.integers(min_value=0, max_value=10 ** 6)


@st.composite
def mutations(draw, kinds: tuple[str, ...] = m.TREE_KINDS + m.FILE_KINDS, file_kinds: float = 0.1) -> dict:
    """One mutation (a dict of :mod:`fuzz.mutations`)."""
    tree = [k for k in _WEIGHTED_TREE_KINDS if k in kinds]
    files = [k for k in m.FILE_KINDS if k in kinds]
    if files and (not tree or draw(st.floats(0, 1)) < file_kinds):
        kind = draw(st.sampled_from(files))
    else:
        kind = draw(st.sampled_from(tree))
    mutation: dict = {"kind": kind, "file": draw(_INDEX), "at": draw(_INDEX), "focus": draw(st.booleans())}
    if kind == "retype":
        mutation["value"] = draw(JSON_VALUES)
    elif kind == "hostile":
        mutation["value"] = draw(STRINGS)
        mutation["how"] = draw(st.sampled_from(("replace", "append", "prefix")))
    elif kind == "crosslink":
        mutation["from"] = draw(_INDEX)
    elif kind == "nest":
        mutation["n"] = draw(st.sampled_from((2, 10, 50, 101, 1000, 100_000)))
        mutation["shape"] = draw(st.sampled_from(("list", "object")))
    elif kind == "bigint":
        mutation["n"] = draw(st.sampled_from((20, 400, 4301, 5000, 50_000)))
    elif kind == "garbage_doc":
        mutation["value"] = draw(st.one_of(st.sampled_from(m.GARBAGE_DOCUMENTS), STRINGS))
    elif kind == "policy":
        mutation["inner"] = draw(mutations(m.INNER_KINDS))
        mutation["encode"] = draw(st.sampled_from(("url", "json", "object")))
    elif kind in ("truncate", "badbyte"):
        mutation["fraction"] = draw(st.floats(0, 1))
        if kind == "badbyte":
            mutation["value"] = draw(st.sampled_from((0xff, 0xe9, 0x80, 0xc3, 0x00, 0xfe)))
    return mutation


def _someone() -> st.SearchStrategy[str]:
    return st.one_of(st.builds(lambda n: f"{{PICK:{n}}}", _INDEX), st.sampled_from(m.NAMES), STRINGS)


@st.composite
def commands(draw, names: tuple[str, ...] = m.COMMANDS) -> dict:
    """A command to run on the mutated snapshot (see :func:`fuzz.mutations.argv_of`)."""
    name = draw(st.sampled_from(names))
    command: dict = {"name": name, "json": draw(st.booleans()), "cache": draw(st.booleans())}
    if name == "path":
        command.update(source=draw(_someone()), target=draw(_someone()))
        action = draw(st.sampled_from(m.ACTIONS))
        if action:
            command["action"] = action
        service = draw(st.sampled_from(m.SERVICES))
        if service:
            command["service"] = service
    elif name == "why":
        command["message"] = draw(st.one_of(
            st.sampled_from(m.tickets()),
            st.builds(m.why_message, _someone(), st.sampled_from(("sts:AssumeRole", "iam:PassRole", "s3:GetObject")),
                      _someone()),
            STRINGS))
        service = draw(st.sampled_from(m.SERVICES))
        if service:
            command["service"] = service
    elif name == "reach":
        command["source"] = draw(_someone())
    elif name == "who-can":
        command["target"] = draw(_someone())
    elif name == "export":
        command["format"] = draw(st.sampled_from(("jsonl", "graphml", "gexf")))
    if name in ("path", "why", "reach", "who-can"):
        command["context"] = draw(st.lists(st.one_of(st.sampled_from(m.CONTEXTS),
                                                     st.builds("{}={}".format, STRINGS, STRINGS)), max_size=2))
    return command


def snapshot_plans(names: tuple[str, ...] = m.COMMANDS) -> st.SearchStrategy[dict]:
    """A mutated sample organization and a command on it."""
    return st.fixed_dictionaries({"mutations": st.lists(mutations(), min_size=1, max_size=4),
                                  "command": commands(names)})


def check_plans() -> st.SearchStrategy[dict]:
    """A mutated sample check file, checked against the sample organization."""
    return st.fixed_dictionaries({
        "checks": st.just(True),
        "mutations": st.lists(mutations(file_kinds=0.2), min_size=1, max_size=3),
        "command": st.fixed_dictionaries({"name": st.just("check"), "json": st.booleans(), "cache": st.just(True)}),
    })
