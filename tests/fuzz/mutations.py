"""Fuzz plans: mutations of the sample organization's files and of the sample check file, as plain data.

A *snapshot plan* is ``{"mutations": [MUTATION, ...], "command": COMMAND}``; a *check plan* is the
same with the mutations applied to ``data/sample-checks.json`` (the snapshot stays the sample). Plans
are JSON (a lone surrogate is written ``\\udcff`` by ``json.dumps``), so a crash is saved and replayed
as it was found.

A MUTATION is ``{"kind": KIND, "file": i, "at": j, "focus": bool, ...}``: ``file`` and ``at`` pick,
modulo what there is, the file and the node of its JSON tree the mutation applies to (``focus``: only
nodes under keys that matter to graphiam, not dates and ids). Tree kinds:

- ``delete``: remove the node (a key of its object, an element of its list);
- ``retype``: replace it with ``value`` (any JSON value: ``null``, a number, a list ...);
- ``hostile``: replace a string, or ``how`` = ``append`` / ``prefix`` to it, with ``value``
  (control characters, ANSI escapes, ``</script>``, template placeholders, surrogates, very long ...);
- ``crosslink``: replace a string with the ``from``-th string of the same file (a parent that is its own
  child, a trust naming another principal, two entities with one ARN ...);
- ``duplicate``: append a copy of a list element (a duplicate user, role, statement, account ...);
- ``nest``: replace the node with ``n`` nested lists (or objects with ``shape`` = ``object``);
- ``bigint``: replace it with an integer of ``n`` digits;
- ``policy``: decode a policy document (URL-encoded JSON text, JSON text or an object), apply the tree
  mutation ``inner`` to it and encode it again as ``encode`` = ``url`` / ``json`` / ``object``;
- ``garbage_doc``: replace a policy document with ``value`` (URL-encoded garbage, not-a-policy JSON).

With ``match`` (a string), a tree mutation applies to every node that is that string (``policy``:
every document holding it) instead of the ``at``-th: planted examples aim with it.

File kinds, applied when the file is written: ``truncate`` (at ``fraction`` of its bytes), ``bom``,
``badbyte`` (``value`` as a latin-1 byte at ``fraction``), ``utf16``, ``empty``, ``raw_unicode``
(written with ``ensure_ascii=False``, lone surrogates as CESU bytes), ``remove_file``, ``copy_file``
(the same file again under another name: every entity twice).

A COMMAND is ``{"name": "path" | "why" | "reach" | "who-can" | "check" | "export" | "build", ...}``
(see :func:`argv_of`); in its strings, ``{PICK:n}`` is the n-th (modulo) name or ARN of the mutated
snapshot (:func:`snapshot_case`).
"""

from __future__ import annotations

import copy
import functools
import json
import random
import re
import urllib.parse
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO / "data" / "sample-org"
SAMPLE_CHECKS = REPO / "data" / "sample-checks.json"
CHECKS_FILE = "checks.json"  # the name a check plan's file is written under

DATA = "{DATA}"  # in an argv: the folder the plan's snapshot was written to
CHECKS = "{CHECKS}"  # in an argv: the plan's check file

TREE_KINDS = ("delete", "retype", "hostile", "crosslink", "duplicate", "nest", "bigint", "policy", "garbage_doc")
FILE_KINDS = ("truncate", "bom", "badbyte", "utf16", "empty", "raw_unicode", "remove_file", "copy_file")
INNER_KINDS = ("delete", "retype", "hostile", "crosslink", "duplicate", "nest", "bigint")
POLICY_KEYS = frozenset({"PolicyDocument", "AssumeRolePolicyDocument", "Document", "Content"})
# keys whose values graphiam reads only in passing (or not at all): focus mutations leave them alone
DULL_KEYS = frozenset({"CreateDate", "UpdateDate", "LastUsedDate", "RoleLastUsed", "Region", "RoleId", "UserId",
                       "GroupId", "PolicyId", "InstanceProfileId", "Email", "JoinedMethod", "JoinedTimestamp",
                       "Description", "AttachmentCount", "PermissionsBoundaryUsageCount", "IsAttachable",
                       "VersionId", "IsDefaultVersion", "DefaultVersionId", "Version", "MasterAccountEmail"})

LONG = "A" * 100_000
HOSTILE_STRINGS = (
    "\x1b[31mred\x1b[0m", "\x1b]0;pwned\x07", "\x1b[2J\x1b[H", "\x1b[1A\x1b[2KREACHABLE: forged", "a\x00b",
    "\rREACHABLE", "line\nREACHABLE: forged line", "tab\there", "\x7f", "\x85\x9b31m", "\u202eevil\u202c",
    "\u2028", "\ufeff", "\ud800", "x\udcffy", "\udfff", "</script><img src=x onerror=alert(1)>", "<!--",
    "{{DATA_JSON}}", "{{TITLE}}", "/*VIS_JS*/", "/*VIS_CSS*/", "{{DATA_JSON}}{{TITLE}}/*VIS_JS*//*VIS_CSS*/",
    LONG, "", " ", "*", "?", "${aws:username}", "${", "arn:aws:iam::222222222222:role/Hub", "arn:aws:iam::*:role/*",
    "arn:", ":::::", "arn:aws:iam::222222222222:user/" + "x" * 5000, "%ZZ", "%7B", "\U0001f600", "\u00e9",
    "NaN", "null", "true", "0", "-1", "1e999", "\\", "\\u0000", "'\"", "ec2.amazonaws.com", "\x00" * 64,
    "*a" * 60 + "b", "?" * 2000, "arn:aws:iam::*:role/" + "*" * 500, "a" * 3000 + "!",
)
VALUES: tuple[Any, ...] = (
    None, True, False, 0, -1, 1.5, 2 ** 63, -(2 ** 64), 1e308, "", "x", [], {}, [None], {"": None}, ["a"], [[]],
    {"Effect": "Allow"}, [{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}],
)
GARBAGE_DOCUMENTS = (
    "%7B%22Statement%22%3A", "%ZZ%ZZ", "%FF%FE%00%00", "%7B%7D", "%5B%5D", "null", "%22x%22", "%25", "{", "",
    "  %7B%7D  ", "%7B" * 2000, urllib.parse.quote("[" * 5000), urllib.parse.quote(urllib.parse.quote('{"Statement": []}')),
    urllib.parse.quote('{"Statement": "text"}'), urllib.parse.quote('{"Statement": [1, null, "x"]}'),
    urllib.parse.quote('{"Version": 1, "Statement": {"Effect": "Allow"}}'),
    urllib.parse.quote('{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "\x1b[31m"}]}'),
    urllib.parse.quote('{"Statement": [{"Effect": "Allow", "Action": [], "Resource": {}, "Condition": []}]}'),
    urllib.parse.quote('{"Statement": [{"Effect": "Allow", "Principal": {"AWS": [1]}, "Action": "sts:AssumeRole"}]}'),
    urllib.parse.quote('{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", '
                       '"Condition": {"StringEquals": {"aws:SourceIp": {"x": 1}}}}]}'),
    urllib.parse.quote('{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", '
                       '"Condition": {"NoSuchOperator": {"k": "v"}, "ForAnyValue:": {"": ""}}}]}'),
    urllib.parse.quote('{"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "*", "NotAction": "*"}]}'),
    urllib.parse.quote('{"Statement": [{"Effect": "Allow", "Action": "' + "*?" * 200 + '", "Resource": "*"}]}'),
    # wildcards that backtrack in a naive matcher, against the sample's long ARNs
    urllib.parse.quote('{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/'
                       + "*a" * 60 + 'b"}]}'),
    urllib.parse.quote('{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", '
                       '"Condition": {"StringLike": {"aws:PrincipalArn": "' + "*?" * 100 + '!"}}}]}'),
    '{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}',
)

NAMES = (
    "alice", "bob", "grace", "heidi", "erin", "Deploy", "AppConfig", "Hub", "ProdAdmin", "BreakGlass", "StagingCI",
    "StagingDeploy", "EC2-roles-for-XYZ-web", "LegacyDeploy", "arn:aws:iam::222222222222:user/grace",
    "arn:aws:iam::333333333333:role/Deploy", "arn:aws:iam::333333333333:role/AppConfig",
    "arn:aws:sts::222222222222:assumed-role/Hub/session", "arn:aws:iam::888888888888:role/x",
    "222222222222:user/alice", "333333333333:role/Deploy", "nobody",
)
ACTIONS = (None, None, "sts:AssumeRole", "iam:PassRole")
SERVICES = (None, None, "ec2.amazonaws.com", "lambda.amazonaws.com", "ec2")
CONTEXTS = ("aws:MultiFactorAuthPresent=true", "aws:MultiFactorAuthPresent=false", "aws:SourceIp=10.1.2.3",
            "sts:ExternalId=\x1b[31m", "aws:PrincipalTag/team=ops", "=x", "k", "aws:CurrentTime=not-a-time")
COMMANDS = ("path", "why", "reach", "who-can", "check", "export", "build")


@functools.lru_cache(maxsize=None)
def _sample_texts() -> tuple[tuple[str, str], ...]:
    return tuple((path.relative_to(SAMPLE_DIR).as_posix(), path.read_text(encoding="utf-8"))
                 for path in sorted(SAMPLE_DIR.rglob("*.json")))


def sample_docs() -> dict[str, Any]:
    """The sample organization's files, parsed (a fresh copy each call), by their path under ``data/sample-org``."""
    return {name: json.loads(text) for name, text in _sample_texts()}


def sample_checks() -> Any:
    return json.loads(SAMPLE_CHECKS.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def tickets() -> tuple[str, ...]:
    return tuple(c["why"] for c in sample_checks()["checks"] if "why" in c)


# -- the tree --------------------------------------------------------------------------------------------

def _nodes(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every node under ``value`` (not ``value`` itself) with its path of keys and indexes."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key), child
            yield from _nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*path, index), child
            yield from _nodes(child, (*path, index))


def _last_key(path: tuple) -> str | None:
    for step in reversed(path):
        if isinstance(step, str):
            return step
    return None


def _candidates(root: Any, kind: str, focus: bool) -> list[tuple]:
    out = []
    for path, node in _nodes(root):
        key = _last_key(path)
        if focus and key in DULL_KEYS:
            continue
        if kind in ("hostile", "crosslink") and not isinstance(node, str):
            continue
        if kind == "duplicate" and not isinstance(path[-1], int):
            continue
        if kind in ("policy", "garbage_doc") and not (isinstance(path[-1], str) and path[-1] in POLICY_KEYS):
            continue
        out.append(path)
    return out


def _parent(root: Any, path: tuple) -> Any:
    node = root
    for step in path[:-1]:
        node = node[step]
    return node


def _marker(kind: str, n: int, shape: str = "list") -> str:
    return f"__FUZZ_{kind.upper()}_{shape.upper()}_{n}__"


def _expand_markers(text: str) -> str:
    """Put the big integers and deep nestings in (``json.dumps`` could not write them itself)."""
    if "__FUZZ_" not in text:
        return text

    def replacement(match: re.Match) -> str:
        kind, shape, n = match.group(1), match.group(2), int(match.group(3))
        if kind == "BIGINT":
            return "1" + "0" * max(0, n - 1)
        if shape == "OBJECT":
            return '{"a":' * n + "0" + "}" * n
        return "[" * n + "0" + "]" * n

    # as a JSON string, as one inside a JSON text inside a string, and URL-encoded
    pattern = r'(?:\\"|%22|")__FUZZ_(BIGINT|NEST)_(LIST|OBJECT)_(\d+)__(?:\\"|%22|")'
    return re.sub(pattern, replacement, text)


def _matches(node: Any, match: str) -> bool:
    if isinstance(node, str):
        return node == match or match in urllib.parse.unquote(node)
    return isinstance(node, (dict, list)) and match in json.dumps(node)


def _apply_tree(root: Any, mutation: dict) -> None:
    """Apply one tree mutation to ``root`` in place (a mutation that finds no node to act on does nothing).

    With ``match`` (planted examples), it applies to every candidate node that is that string (for
    ``policy``: every document that holds it), instead of the ``at``-th.
    """
    kind = mutation["kind"]
    candidates = _candidates(root, kind, bool(mutation.get("focus")))
    if "match" in mutation:
        for path in candidates:
            node = _parent(root, path)[path[-1]]
            if node == mutation["match"] if kind != "policy" else _matches(node, mutation["match"]):
                _apply_at(root, path, mutation)
        return
    if candidates:
        _apply_at(root, candidates[mutation.get("at", 0) % len(candidates)], mutation)


def _apply_at(root: Any, path: tuple, mutation: dict) -> None:
    kind = mutation["kind"]
    parent = _parent(root, path)
    step = path[-1]
    if kind == "delete":
        del parent[step]
    elif kind == "retype":
        parent[step] = copy.deepcopy(mutation.get("value"))
    elif kind == "hostile":
        value = str(mutation.get("value", ""))
        how = mutation.get("how", "replace")
        parent[step] = parent[step] + value if how == "append" else value + parent[step] if how == "prefix" else value
    elif kind == "crosslink":
        strings = [node for _, node in _nodes(root) if isinstance(node, str)]
        parent[step] = strings[int(mutation.get("from", 0)) % len(strings)]
    elif kind == "duplicate":
        parent.append(copy.deepcopy(parent[step]))
    elif kind == "nest":
        parent[step] = _marker("nest", int(mutation.get("n", 1000)), mutation.get("shape", "list"))
    elif kind == "bigint":
        parent[step] = _marker("bigint", int(mutation.get("n", 5000)))
    elif kind == "garbage_doc":
        parent[step] = mutation.get("value", "")
    elif kind == "policy":
        parent[step] = _mutated_document(parent[step], mutation)


def _mutated_document(raw: Any, mutation: dict) -> Any:
    if isinstance(raw, str):
        text = raw.strip()
        try:
            document = json.loads(text if text.startswith("{") else urllib.parse.unquote(text))
        except ValueError:
            return raw  # already garbage
    else:
        document = raw
    holder = {"document": copy.deepcopy(document)}
    inner = dict(mutation.get("inner") or {"kind": "delete"})
    inner.setdefault("at", mutation.get("at", 0))
    if "match" in mutation:
        inner.setdefault("match", mutation["match"])
    _apply_tree(holder, inner)
    document = holder.get("document")
    encode = mutation.get("encode", "url")
    if encode == "object":
        return document
    text = json.dumps(document)
    return text if encode == "json" else urllib.parse.quote(text, safe="")


# -- files ------------------------------------------------------------------------------------------------

PICK_KEYS = frozenset({"Arn", "UserName", "RoleName"})


def materialize(docs: dict[str, Any], mutations: list[dict]) -> dict[str, bytes]:
    """The files (relative path -> bytes) of ``docs`` after ``mutations``."""
    return _materialize(docs, mutations)[0]


def _materialize(docs: dict[str, Any], mutations: list[dict]) -> tuple[dict[str, bytes], list[str]]:
    """The files, and the names and ARNs the mutated files hold (for ``{PICK:n}`` in a command)."""
    docs = copy.deepcopy(docs)
    names = sorted(docs)
    file_ops: dict[str, list[dict]] = {}
    for mutation in mutations:
        if not names:
            break
        name = names[mutation.get("file", 0) % len(names)]
        if mutation["kind"] in FILE_KINDS:
            file_ops.setdefault(name, []).append(mutation)
            continue
        for name in names if "match" in mutation else [name]:  # a match aims at every file
            holder = {"root": docs[name]}  # the root itself can be replaced too
            _apply_tree(holder, mutation)
            docs[name] = holder.get("root")
    picks = sorted({node for name in names for path, node in _nodes(docs[name])
                    if isinstance(node, str) and _last_key(path) in PICK_KEYS and "__FUZZ_" not in node})
    files: dict[str, bytes] = {}
    for name in names:
        ops = file_ops.get(name, [])
        kinds = {op["kind"] for op in ops}
        if "remove_file" in kinds:
            continue
        raw_unicode = "raw_unicode" in kinds
        text = _expand_markers(json.dumps(docs[name], indent=1, ensure_ascii=not raw_unicode))
        data = text.encode("utf-8", "surrogatepass")
        for op in ops:
            kind = op["kind"]
            cut = int(len(data) * min(max(float(op.get("fraction", 0.5)), 0.0), 1.0))
            if kind == "truncate":
                data = data[:cut]
            elif kind == "bom":
                data = b"\xef\xbb\xbf" + data
            elif kind == "badbyte":
                data = data[:cut] + bytes([int(op.get("value", 0xff)) % 256]) + data[cut:]
            elif kind == "utf16":
                data = data.decode("utf-8", "surrogateescape").encode("utf-16", "surrogatepass")
            elif kind == "empty":
                data = b""
        files[name] = data
        if "copy_file" in kinds:
            parent, _, base = name.rpartition("/")
            files[f"{parent}/copy-{base}" if parent else f"copy-{base}"] = data
    return files, picks


def snapshot_files(plan: dict) -> dict[str, bytes]:
    return materialize(sample_docs(), plan.get("mutations", []))


_PICK = re.compile(r"\{PICK:(\d+)\}")


def snapshot_case(plan: dict) -> tuple[dict[str, bytes], dict]:
    """The plan's files and its command with each ``{PICK:n}`` replaced by the n-th (modulo) name or ARN
    the mutated snapshot holds: hostile strings put into the snapshot reach the question too."""
    files, picks = _materialize(sample_docs(), plan.get("mutations", []))
    return files, fill_picks(plan["command"], picks)


def fill_picks(command: dict, picks: list[str]) -> dict:
    def fill(value: Any) -> Any:
        if isinstance(value, str) and "{PICK:" in value:
            return _PICK.sub(lambda m: picks[int(m.group(1)) % len(picks)] if picks else "nobody", value)
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return {key: fill(value) for key, value in command.items()}


def check_file(plan: dict) -> bytes | None:
    """The plan's check file (``None`` when a ``remove_file`` mutation took it away)."""
    files = materialize({CHECKS_FILE: sample_checks()}, plan.get("mutations", []))
    return files.get(CHECKS_FILE)


# -- commands ---------------------------------------------------------------------------------------------

def argv_of(command: dict) -> list[str]:
    """The command line of a plan's command, with :data:`DATA` and :data:`CHECKS` for its files."""
    name = command["name"]
    argv: list[str] = [name]
    if name == "path":
        argv += [command.get("source", "grace"), command.get("target", "AppConfig")]
        if command.get("action"):
            argv += ["--action", command["action"]]
        if command.get("service"):
            argv += ["--service", command["service"]]
    elif name == "why":
        argv += [command.get("message", "")]
        if command.get("service"):
            argv += ["--service", command["service"]]
    elif name == "reach":
        argv += [command.get("source", "grace")]
    elif name == "who-can":
        argv += [command.get("target", "Deploy")]
    elif name == "check":
        argv += [CHECKS]
    elif name == "export":
        argv += ["--format", command.get("format", "jsonl"), "-o", "{OUT}"]
    if name in ("path", "why", "reach", "who-can"):
        for item in command.get("context", []):
            argv += ["--context", item]
    argv += ["--data", DATA]
    if not command.get("cache", False):  # cached runs read and write the cache (GRAPHIAM_CACHE_DIR)
        argv.append("--no-cache")
    if command.get("json") and name != "export":
        argv.append("--json")
    return argv


def why_message(caller: str, action: str, resource: str) -> str:
    return f"User: {caller} is not authorized to perform: {action} on resource: {resource}"


# -- random plans (benchmarks/fuzz.py: many cases, no shrinking) ----------------------------------------------

def random_value(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(VALUES))


def random_string(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return rng.choice(HOSTILE_STRINGS)
    alphabet = "\x00\x1b\x07\n\r\t\x7f\x85\x9b\u202e\ud800\udcff{}[]/*:%$\\\"' abcAZ09\U0001f600"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))


# how often each tree kind is drawn: the ones that reach the engine and the printed answer most
TREE_WEIGHTS = {"hostile": 6, "policy": 5, "crosslink": 3, "retype": 2, "delete": 2, "duplicate": 2, "garbage_doc": 1,
                "nest": 1, "bigint": 1}


def random_mutation(rng: random.Random, kinds: tuple[str, ...] = TREE_KINDS + FILE_KINDS, file_kinds_weight: float = 0.1,
                    ) -> dict:
    tree = [k for k in kinds if k in TREE_KINDS]
    files = [k for k in kinds if k in FILE_KINDS]
    if files and (not tree or rng.random() < file_kinds_weight):
        kind = rng.choice(files)
    else:
        kind = rng.choices(tree, [TREE_WEIGHTS[k] for k in tree])[0]
    mutation: dict[str, Any] = {"kind": kind, "file": rng.randrange(1000), "at": rng.randrange(1_000_000),
                                "focus": rng.random() < 0.7}
    if kind == "retype":
        mutation["value"] = random_value(rng)
    elif kind == "hostile":
        mutation["value"] = random_string(rng)
        mutation["how"] = rng.choice(("replace", "append", "prefix"))
    elif kind == "crosslink":
        mutation["from"] = rng.randrange(1_000_000)
    elif kind == "nest":
        mutation["n"] = rng.choice((2, 10, 50, 101, 1000, 100_000))
        mutation["shape"] = rng.choice(("list", "object"))
    elif kind == "bigint":
        mutation["n"] = rng.choice((20, 400, 4301, 5000, 50_000))
    elif kind == "garbage_doc":
        mutation["value"] = rng.choice(GARBAGE_DOCUMENTS)
    elif kind == "policy":
        mutation["inner"] = random_mutation(rng, INNER_KINDS)
        mutation["encode"] = rng.choice(("url", "url", "json", "object"))
    elif kind in ("truncate", "badbyte"):
        mutation["fraction"] = rng.random()
        if kind == "badbyte":
            mutation["value"] = rng.choice((0xff, 0xe9, 0x80, 0xc3, 0x00, 0xfe))
    return mutation


def random_command(rng: random.Random, names: tuple[str, ...] = COMMANDS) -> dict:
    name = rng.choice(names)
    command: dict[str, Any] = {"name": name, "json": rng.random() < 0.5, "cache": rng.random() < 0.3}

    def someone() -> str:
        roll = rng.random()
        if roll < 0.4:
            return f"{{PICK:{rng.randrange(1000)}}}"
        return rng.choice(NAMES) if roll < 0.9 else random_string(rng)

    if name == "path":
        command.update(source=someone(), target=someone())
        action = rng.choice(ACTIONS)
        if action:
            command["action"] = action
        service = rng.choice(SERVICES) if action == "iam:PassRole" or rng.random() < 0.1 else None
        if service:
            command["service"] = service
    elif name == "why":
        roll = rng.random()
        if roll < 0.4:
            command["message"] = rng.choice(tickets())
        elif roll < 0.9:
            command["message"] = why_message(someone(), rng.choice(("sts:AssumeRole", "iam:PassRole", "s3:GetObject")),
                                             someone())
        else:
            command["message"] = random_string(rng)
        if rng.random() < 0.2:
            command["service"] = rng.choice(SERVICES[2:])
    elif name == "reach":
        command["source"] = someone()
    elif name == "who-can":
        command["target"] = someone()
    elif name == "export":
        command["format"] = rng.choice(("jsonl", "jsonl", "graphml", "gexf"))
    if name in ("path", "why", "reach", "who-can") and rng.random() < 0.2:
        command["context"] = rng.sample(CONTEXTS, rng.randint(1, 2))
    return command


MUTATION_COUNTS = (1, 1, 1, 2, 2, 3, 4)  # few: each one more makes an error before the engine likelier


def random_snapshot_plan(rng: random.Random) -> dict:
    return {"mutations": [random_mutation(rng) for _ in range(rng.choice(MUTATION_COUNTS))], "command": random_command(rng)}


def random_check_plan(rng: random.Random) -> dict:
    command = {"name": "check", "json": rng.random() < 0.5, "cache": True}
    return {"checks": True, "mutations": [random_mutation(rng, file_kinds_weight=0.2) for _ in range(rng.randint(1, 3))],
            "command": command}
