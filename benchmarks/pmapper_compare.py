"""graphiam and PMapper 1.1.5 side by side, on the same single account served by one moto server.

    python benchmarks/pmapper_compare.py [--users 500] [--roles 500] [--seed 1] [--runs 3] [--json FILE]

Run it with the Python of graphiam's environment (it needs ``graphiam``, ``boto3`` and ``moto[server]``
there). What it does, in one run:

1. PMapper (``principalmapper`` 1.1.5, AGPL) goes into its own virtual environment,
   ``~/.cache/graphiam-bench/pmapper-venv`` (``--cache-dir``), created with ``python -m venv`` and
   ``pip install principalmapper==1.1.5`` when it is missing, and runs only as a separate program. It is
   never imported here. PMapper 1.1.5 imports ``collections.Mapping``, gone since Python 3.10: the small
   launcher this script writes into that environment (``graphiam_bench_pmapper.py``) aliases the
   ``collections.abc`` names, wraps a few PMapper functions with a timer (below), and calls PMapper's own
   ``principalmapper.__main__.main`` unchanged.
2. A moto server on 127.0.0.1 (a free port) is seeded with boto3 with the PassRole-heavy account of
   ``one_account.py --shape pmapper`` (``pmapper_account_file``: users, roles, inline policies, instance
   profiles).
3. ``graphiam collect --endpoint-url`` exports it (``--runs`` times, timed; the first export is what
   every ``graphiam build`` reads), and ``pmapper graph create --localstack-endpoint`` reads the same
   server (PMapper's own option: every client it makes gets that ``endpoint_url``; ``AWS_ENDPOINT_URL``
   is set too so that no call can leave for AWS), with ``--ignore-orgs`` and ``--include-regions`` one
   region, in three variants: no checker (``--include-services`` with nothing after it), the sts
   checker only (``--include-services sts``), all nine checkers (no ``--include-services``).
4. After untimed warm-ups (both tools' bytecode is written under ``CACHE_DIR/pycache`` by
   PYTHONPYCACHEPREFIX for every process, so neither compiles its sources in the timed runs), ``--runs``
   rounds, each timing one ``graphiam build --no-cache --data DIR`` process and the three
   PMapper processes, interleaved so that every tool sees the same machine state; the medians are
   reported and the ratios are taken between medians of this run.

What each number contains:

* ``graphiam build``: the wall time of the whole process (interpreter start, imports, reading and
  parsing the snapshot files, every edge: assume, pass and escalation technique; no cache read or
  written), measured around ``subprocess.run``.
* ``graphiam build, in its process``: the ``total`` that same process prints (load and build, no
  interpreter start, no imports), for a like-for-like look at PMapper's in-process checker times.
* ``graphiam collect``: the whole ``graphiam collect`` process against moto.
* ``PMapper sts checker``: ``STSEdgeChecker.return_edges`` inside PMapper's process, in the sts-only
  variant: the edge identification alone, no collection, no process start. ``PMapper nine checkers``:
  ``edge_identification.obtain_edges`` in the all-checkers variant: the nine checkers' edge
  identification, including the listing calls some of them make to moto (Lambda functions,
  CloudFormation stacks, CodeBuild projects, launch configurations: one region, all empty; moto's
  backends are loaded before any timing). ``PMapper nine checkers, computation only`` is the sum of
  the nine ``generate_edges_locally`` calls, the same without those listing calls. The launcher times
  these by wrapping the functions; nothing of PMapper is changed.
* ``pmapper graph create`` (whole process, per variant): interpreter start, imports, PMapper's
  collection from moto (``get_account_authorization_details``, then per user ``list_access_keys``,
  ``get_login_profile`` and ``list_mfa_devices``, virtual MFA devices), the admin search, the checkers
  of the variant, the resource-policy collection (S3, SNS, SQS, KMS, Secrets Manager, one region), and
  writing the graph as JSON. The no-checker variant is therefore the cost of everything but the
  checkers, and the in-process phase times are listed beside it.
* ``... − no checker``: the median over runs of the difference between two variants' processes.
* Edges: graphiam's counts are those its ``build`` prints; PMapper's is the length of the
  ``edges.json`` it stores, per checker from the launcher's count of what each checker returned.
  PMapper records no edge from an administrator (it reaches everything) and graphiam does, so the
  counts are comparable in size, not equal. An untimed edge-by-edge comparison follows (from
  ``graphiam export --format jsonl`` and PMapper's ``edges.json``): for each PMapper edge kind, how
  many of its (source, target) pairs graphiam also has as ``can_assume`` or ``can_escalate``.

The moto server is busy only while something collects; the builds and the checkers run against an
idle server. Known moto gaps that shape the data: moto drops user permissions boundaries and leaves
``PolicyName`` out of the ``Policies`` list of ``get_account_authorization_details`` (PMapper 1.1.5
would fail with a KeyError on a customer managed policy), so the account uses inline policies only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

from one_account import pmapper_account_file  # noqa: E402

PMAPPER_VERSION = "1.1.5"
#: botocore 1.31 (boto3 1.28) is the first to honour AWS_ENDPOINT_URL; PMapper 1.1.5 pins no botocore
BOTOCORE_REQUIREMENT = "botocore>=1.31"
REGION = "us-east-1"
LAUNCHER_NAME = "graphiam_bench_pmapper.py"
VARIANTS = {  # name: the arguments after `pmapper graph create ...`
    "none": ["--include-services"],
    "sts": ["--include-services", "sts"],
    "all": [],
}

#: The launcher written into PMapper's own environment and run by its Python. It only aliases names
#: and wraps PMapper's functions with a timer before handing over to PMapper's own main().
LAUNCHER = '''\
"""Written by graphiam's benchmarks/pmapper_compare.py; runs PMapper's own CLI, timing some of its phases.

    python graphiam_bench_pmapper.py ARGS...   is   pmapper ARGS...

with the collections.abc names PMapper 1.1.5 imports from collections (gone since Python 3.10)
aliased first. When GRAPHIAM_BENCH_TIMINGS names a file, the seconds spent in PMapper's phases
(wrapped, not changed) are written there as JSON when PMapper returns.
"""
import collections
import collections.abc
import functools
import json
import os
import sys
import time

for _name in ("Mapping", "MutableMapping", "Sequence", "MutableSequence", "Iterable", "Callable", "Set"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

TIMINGS = {"phases": {}, "checkers": {}}


def _timed(function, record):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        record(time.perf_counter() - started, result)
        return result
    return wrapper


def _phase(name):
    def record(seconds, _result):
        TIMINGS["phases"][name] = TIMINGS["phases"].get(name, 0.0) + seconds
    return record


def _checker(name, key):
    def record(seconds, result):
        entry = TIMINGS["checkers"].setdefault(name, {})
        entry[key] = entry.get(key, 0.0) + seconds
        if key == "seconds":
            entry["edges"] = len(result)
    return record


def _install():
    from principalmapper.graphing import edge_identification, gathering
    for name in ("get_nodes_groups_and_policies", "update_admin_status", "get_s3_bucket_policies",
                 "get_sns_topic_policies", "get_sqs_queue_policies", "get_kms_key_policies",
                 "get_secrets_manager_policies"):
        setattr(gathering, name, _timed(getattr(gathering, name), _phase(name)))
    edge_identification.obtain_edges = _timed(edge_identification.obtain_edges, _phase("obtain_edges"))
    for name, checker in edge_identification.checker_map.items():
        checker.return_edges = _timed(checker.return_edges, _checker(name, "seconds"))
        module = sys.modules[checker.__module__]
        if hasattr(module, "generate_edges_locally"):
            module.generate_edges_locally = _timed(module.generate_edges_locally, _checker(name, "local_seconds"))


def main():
    path = os.environ.get("GRAPHIAM_BENCH_TIMINGS")
    if path:
        _install()
    from principalmapper.__main__ import main as pmapper_main
    sys.argv[0] = "pmapper"
    started = time.perf_counter()
    try:
        return pmapper_main()
    finally:
        TIMINGS["phases"]["main"] = time.perf_counter() - started
        if path:
            with open(path, "w") as handle:
                json.dump(TIMINGS, handle, indent=1)


if __name__ == "__main__":
    sys.exit(main())
'''


# --- environments ---------------------------------------------------------------------------------------

def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def installed_versions(python: Path) -> dict[str, str]:
    """Versions of the distributions in PMapper's environment (read from their metadata, nothing imported)."""
    code = ("import importlib.metadata as m, json\n"
            "out = {}\n"
            "for name in ('principalmapper', 'botocore'):\n"
            "    try: out[name] = m.version(name)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(out))")
    answer = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(answer.stdout)


def botocore_ok(version: str | None) -> bool:
    if not version:
        return False
    parts = [int(p) for p in re.findall(r"\d+", version)[:2]]
    return tuple(parts) >= (1, 31)


def ensure_pmapper(cache_dir: Path) -> tuple[Path, Path, dict[str, str]]:
    """PMapper's own virtual environment (created and filled when needed) and the launcher written into it."""
    venv = cache_dir / "pmapper-venv"
    python = venv_python(venv)
    if not python.exists():
        print(f"creating {venv} ...", flush=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    versions = installed_versions(python)
    if versions.get("principalmapper") != PMAPPER_VERSION or not botocore_ok(versions.get("botocore")):
        print(f"installing principalmapper=={PMAPPER_VERSION} into {venv} ...", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        f"principalmapper=={PMAPPER_VERSION}", BOTOCORE_REQUIREMENT], check=True)
        versions = installed_versions(python)
    launcher = venv / LAUNCHER_NAME
    if not launcher.exists() or launcher.read_text() != LAUNCHER:
        launcher.write_text(LAUNCHER)
    return python, launcher, versions


def tool(name: str) -> str:
    """A console script of graphiam's environment: next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found next to {sys.executable} nor on PATH; "
                         "run this with the Python of graphiam's environment (pip install -e '.[test]')")
    return found


# --- moto -----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_moto(port: int, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    server = subprocess.Popen([tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"moto_server exited with {server.returncode}; see {log}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"moto_server did not answer on port {port} within 30 s; see {log}")


def child_env(work: Path, endpoint: str, pycache: Path) -> dict[str, str]:
    """The environment of every process measured: moto's dummy credentials, one region, no profile, and
    bytecode kept under ``pycache`` (PYTHONPYCACHEPREFIX), so that neither tool recompiles its modules
    in every process even where PYTHONDONTWRITEBYTECODE is set or a source tree is read-only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION,
               AWS_REGION=REGION, AWS_ENDPOINT_URL=endpoint,
               AWS_CONFIG_FILE=str(work / "no-aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(work / "no-aws-credentials"),
               AWS_EC2_METADATA_DISABLED="true")
    return env


def seed(endpoint: str, users: int, roles: int, seed_value: int) -> tuple[str, dict]:
    """Create the account of ``pmapper_account_file`` in moto; returns moto's account id and the data."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
    account = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    iam = session.client("iam", endpoint_url=endpoint)
    data = pmapper_account_file(users, roles, seed_value, account)
    for user in data["UserDetailList"]:
        iam.create_user(UserName=user["UserName"], Path=user["Path"])
        for policy in user["UserPolicyList"]:
            iam.put_user_policy(UserName=user["UserName"], PolicyName=policy["PolicyName"],
                                PolicyDocument=json.dumps(policy["PolicyDocument"]))
    for role in data["RoleDetailList"]:
        iam.create_role(RoleName=role["RoleName"], Path=role["Path"],
                        AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"]))
        for policy in role["RolePolicyList"]:
            iam.put_role_policy(RoleName=role["RoleName"], PolicyName=policy["PolicyName"],
                                PolicyDocument=json.dumps(policy["PolicyDocument"]))
        for profile in role["InstanceProfileList"]:
            iam.create_instance_profile(InstanceProfileName=profile["InstanceProfileName"], Path=profile["Path"])
            iam.add_role_to_instance_profile(InstanceProfileName=profile["InstanceProfileName"],
                                             RoleName=role["RoleName"])
    return account, data


def warm_moto(endpoint: str) -> None:
    """One call to each service PMapper lists, so that moto has loaded those backends before any timing."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)
    calls = {"lambda": "list_functions", "cloudformation": "describe_stacks", "codebuild": "list_projects",
             "autoscaling": "describe_launch_configurations", "s3": "list_buckets", "sns": "list_topics",
             "sqs": "list_queues", "kms": "list_keys", "secretsmanager": "list_secrets"}
    for service, operation in calls.items():
        getattr(session.client(service, endpoint_url=endpoint), operation)()


# --- measuring ------------------------------------------------------------------------------------------

def timed_run(command: Sequence[str], env: dict[str, str], log: Path) -> tuple[float, str]:
    """Run one process to the end; its wall time and its output (also kept in ``log``)."""
    started = time.perf_counter()
    answer = subprocess.run(list(command), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - started
    log.write_text(answer.stdout)
    if answer.returncode != 0:
        tail = "\n".join(answer.stdout.splitlines()[-20:])
        raise SystemExit(f"{' '.join(command)} exited with {answer.returncode} (log {log}):\n{tail}")
    return seconds, answer.stdout


def graphiam_counts(output: str) -> dict[str, int]:
    """The ``name: N`` counts of the first line ``graphiam build`` prints (spaces in names become _)."""
    line = next((line for line in output.splitlines() if "edges:" in line), "")
    return {name.strip().replace(" ", "_"): int(value) for name, value in re.findall(r"([a-z][a-z ]*): (\d+)", line)}


def graphiam_total(output: str) -> float | None:
    """The ``total`` seconds of the timings line ``graphiam build`` prints (load and build, in its process)."""
    found = re.search(r"seconds:.*\btotal ([\d.]+)", output)
    return float(found.group(1)) if found else None


def pmapper_run(python: Path, launcher: Path, endpoint: str, variant: str, env: dict[str, str],
                work: Path, label: str) -> dict[str, Any]:
    storage = work / "pmapper-storage" / label
    storage.mkdir(parents=True)
    timings = work / "pmapper-timings" / f"{label}.json"
    timings.parent.mkdir(parents=True, exist_ok=True)
    run_env = dict(env, PMAPPER_STORAGE=str(storage), GRAPHIAM_BENCH_TIMINGS=str(timings))
    command = [str(python), str(launcher), "graph", "create", "--ignore-orgs", "--localstack-endpoint", endpoint,
               "--include-regions", REGION, *VARIANTS[variant]]
    seconds, output = timed_run(command, run_env, work / "logs" / f"pmapper-{label}.log")
    inside = json.loads(timings.read_text())
    graph_dirs = [path.parent for path in storage.glob("*/graph/edges.json")]
    if len(graph_dirs) != 1:
        raise SystemExit(f"PMapper stored {len(graph_dirs)} graphs under {storage}, expected one")
    edges = json.loads((graph_dirs[0] / "edges.json").read_text())
    nodes = json.loads((graph_dirs[0] / "nodes.json").read_text())
    printed = re.search(r"# of Edges:\s+(\d+)", output)
    if printed and int(printed.group(1)) != len(edges):
        raise SystemExit(f"PMapper printed {printed.group(1)} edges but stored {len(edges)} ({storage})")
    return {"process_s": seconds, "phases_s": inside["phases"], "checkers": inside["checkers"],
            "graph_dir": str(graph_dirs[0]),
            "edges": len(edges), "nodes": len(nodes), "admins": sum(1 for node in nodes if node.get("is_admin")),
            "command": command}


def compare_pairs(graphiam: str, snapshot: Path, env: dict[str, str], work: Path, pmapper_graph: Path,
                  data: dict) -> dict[str, Any]:
    """Edge by edge: which (source, target) pairs of PMapper's graph graphiam's graph also has, and back.

    graphiam's side is its ``can_assume`` and ``can_escalate`` edges (``can_pass`` is the PassRole
    permission alone, which PMapper never records without the service action) whose source PMapper
    does not mark as an administrator. Read from ``graphiam export --format jsonl`` (untimed)."""
    export = work / "graphiam-edges.jsonl"
    timed_run([graphiam, "export", "--format", "jsonl", "-o", str(export), "--no-cache", "--data", str(snapshot)],
              env, work / "logs" / "export.log")
    nodes = json.loads((pmapper_graph / "nodes.json").read_text())
    admins = {node["arn"] for node in nodes if node.get("is_admin")}
    principals = {node["arn"] for node in nodes}
    ours: set[tuple[str, str]] = set()
    with export.open() as lines:
        for line in lines:
            record = json.loads(line)
            if (record.get("type") == "edge" and record.get("key", "").split(":")[0] in ("can_assume", "can_escalate")
                    and record["source"] not in admins):
                ours.add((record["source"], record["target"]))
    theirs: dict[str, set[tuple[str, str]]] = {}
    counts: dict[str, int] = {}
    for edge in json.loads((pmapper_graph / "edges.json").read_text()):
        theirs.setdefault(edge["short_reason"], set()).add((edge["source"], edge["destination"]))
        counts[edge["short_reason"]] = counts.get(edge["short_reason"], 0) + 1
    all_theirs = set().union(*theirs.values()) if theirs else set()
    without_profile = {role["Arn"] for role in data["RoleDetailList"] if not role.get("InstanceProfileList")}
    only_ours = ours - all_theirs
    return {
        "pmapper": {reason: {"edges": counts[reason], "pairs": len(pairs), "in_graphiam": len(pairs & ours)}
                    for reason, pairs in sorted(theirs.items())},
        "pmapper_ec2_pairs_to_roles_without_instance_profile":
            sum(1 for _, target in theirs.get("EC2", ()) if target in without_profile),
        "pmapper_pairs": len(all_theirs), "pmapper_pairs_in_graphiam": len(all_theirs & ours),
        "graphiam_pairs": len(ours), "graphiam_pairs_in_pmapper": len(ours & all_theirs),
        "graphiam_only_from_non_iam_sources": sum(1 for source, _ in only_ours if source not in principals),
        "graphiam_only_self_loops": sum(1 for source, target in only_ours if source == target),
    }


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": list(values)}


def machine() -> dict[str, Any]:
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu": cpu,
            "cores": os.cpu_count(), "cores_usable": affinity, "memory_gb": memory,
            "python": platform.python_version()}


def version_of(distribution: str) -> str:
    import importlib.metadata
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


# --- report ---------------------------------------------------------------------------------------------

def fmt(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.2f}" if seconds < 100 else f"{seconds:.1f}"


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:,.1f}×" if denominator else "n/a"


def _load(value: Sequence[float] | None) -> str:
    return " ".join(f"{v:.2f}" for v in value) if value else "?"


def report(result: dict[str, Any]) -> str:
    t = result["timings"]
    g = result["graphiam"]["counts"]
    p = result["pmapper"]
    lines = [f"{result['users']} users, {result['roles']} roles (seed {result['seed']}, moto account "
             f"{result['account']}), medians of {result['runs']} runs; "
             f"machine: {result['machine']['platform']}, {result['machine']['cpu']}, "
             f"{result['machine']['cores']} cores, {result['machine']['memory_gb']} GB, "
             f"Python {result['machine']['python']}; load average before/after "
             f"{_load(result['machine']['load_average_before'])} / {_load(result['machine']['load_average_after'])}; graphiam {result['versions']['graphiam']}, "
             f"PMapper {result['versions']['principalmapper']} (botocore {result['versions']['pmapper_botocore']}), "
             f"moto {result['versions']['moto']}", ""]
    rows = [
        ("graphiam build", t["graphiam_build_process"], "whole `graphiam build --no-cache --data DIR` process: "
         "start, imports, read the snapshot, all edges (assume, pass, technique), print; no cache"),
        *([("graphiam build, in its process", t["graphiam_build_in_process"], "the `total` the same "
            "process prints: loading the snapshot and building, no interpreter start or imports")]
          if "graphiam_build_in_process" in t else []),
        ("PMapper sts checker", t["pmapper_sts_checker"], "`STSEdgeChecker.return_edges` in PMapper's process "
         "(sts-only variant): edge identification only"),
        ("PMapper all nine checkers", t["pmapper_nine_checkers"], "`obtain_edges` with the nine checkers "
         "(all variant), their empty listing calls to moto included"),
        ("PMapper nine checkers, computation only", t["pmapper_nine_checkers_local"], "the nine "
         "`generate_edges_locally` calls (all variant), without the listing calls"),
        ("graphiam collect", t["graphiam_collect_process"], "whole `graphiam collect --endpoint-url` process "
         "against moto"),
        ("pmapper graph create, no checker", t["pmapper_process_none"], "whole process: collection from moto, "
         "admin search, resource policies, JSON written; no edge identification"),
        ("pmapper graph create, sts only", t["pmapper_process_sts"], "the same plus the sts checker"),
        ("pmapper graph create, nine checkers", t["pmapper_process_all"], "the same plus the nine checkers"),
        ("pmapper graph create, sts only − no checker", t["pmapper_process_sts_minus_none"],
         "difference of the two processes, per run"),
        ("pmapper graph create, nine checkers − no checker", t["pmapper_process_all_minus_none"],
         "difference of the two processes, per run"),
    ]
    lines += ["| measured | median s | min s | max s | what it includes |", "|---|---:|---:|---:|---|"]
    lines += [f"| {name} | {fmt(v['median'])} | {fmt(v['min'])} | {fmt(v['max'])} | {what} |"
              for name, v, what in rows]
    build = t["graphiam_build_process"]["median"]
    lines += ["", "| ratio (medians of this run) | value |", "|---|---:|",
              f"| PMapper sts checker / graphiam build (whole process) | "
              f"{ratio(t['pmapper_sts_checker']['median'], build)} |",
              f"| PMapper nine checkers / graphiam build (whole process) | "
              f"{ratio(t['pmapper_nine_checkers']['median'], build)} |",
              f"| PMapper nine checkers, computation only / graphiam build (whole process) | "
              f"{ratio(t['pmapper_nine_checkers_local']['median'], build)} |",
              f"| pmapper graph create, nine checkers / (graphiam collect + graphiam build), whole processes | "
              f"{ratio(t['pmapper_process_all']['median'], t['graphiam_collect_process']['median'] + build)} |"]
    checkers = p["checkers_all_variant"]
    per_checker = ", ".join(f"{name} {entry['edges']:,}" for name, entry in checkers.items())
    lines += ["", "| graph | nodes | edges | of which |", "|---|---:|---:|---|",
              f"| graphiam | {g.get('principals', 0):,} principals ({g.get('nodes', 0):,} nodes) | "
              f"{g.get('edges', 0):,} | assume {g.get('assume_edges', 0):,}, pass {g.get('pass_edges', 0):,}, "
              f"technique {g.get('technique_edges', 0):,} |",
              f"| PMapper, nine checkers | {p['nodes']:,} ({p['admins']} admins) | {p['edges']:,} | {per_checker} |",
              f"| PMapper, sts only | {p['nodes']:,} | {p['edges_sts_variant']:,} | sts |"]
    same = result["graphiam"]["generated_counts"] == g
    lines += ["", f"graphiam on the generated data itself (written as a file, not collected): "
              f"{result['graphiam']['generated_counts'].get('edges', 0):,} edges, "
              + ("the same counts as on the collected snapshot." if same else
                 f"DIFFERENT counts from the collected snapshot: {result['graphiam']['generated_counts']}")]
    pairs = result["pairs"]
    lines += ["", "Edge by edge (untimed): a PMapper edge's (source, target) pair against graphiam's `can_assume` "
              "and `can_escalate` edges from principals PMapper does not mark admin "
              "(`can_pass` alone is not an edge PMapper records):", "",
              "| PMapper edges (short reason) | edges | pairs | pairs graphiam also has |", "|---|---:|---:|---:|"]
    lines += [f"| {reason} | {entry['edges']:,} | {entry['pairs']:,} | {entry['in_graphiam']:,} |"
              for reason, entry in pairs["pmapper"].items()]
    lines += [f"| all | {p['edges']:,} | {pairs['pmapper_pairs']:,} | {pairs['pmapper_pairs_in_graphiam']:,} |", "",
              f"PMapper EC2 pairs whose role is in no instance profile: "
              f"{pairs['pmapper_ec2_pairs_to_roles_without_instance_profile']:,}. graphiam: "
              f"{pairs['graphiam_pairs']:,} pairs, {pairs['graphiam_pairs_in_pmapper']:,} of them in PMapper's graph; "
              f"of the others, {pairs['graphiam_only_from_non_iam_sources']:,} start at a service or external "
              f"principal (not a PMapper node) and {pairs['graphiam_only_self_loops']:,} are a role reaching itself."]
    lines += ["", "PMapper per checker, all variant (median s; `local` is its `generate_edges_locally`, "
              "the rest its listing calls):", "",
              "| checker | s | local s | edges |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {fmt(entry['seconds'])} | {fmt(entry.get('local_seconds', 0.0))} | {entry['edges']:,} |"
              for name, entry in checkers.items()]
    phases = p["phases_none_variant"]
    lines += ["", "PMapper phases inside the no-checker process (median s): "
              + ", ".join(f"{name} {fmt(value)}" for name, value in phases.items())]
    return "\n".join(lines)


# --- main -----------------------------------------------------------------------------------------------

def median_dict(dicts: Sequence[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(d.get(key, 0.0) for d in dicts) for key in dicts[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--roles", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", metavar="FILE", help="also write every measurement as JSON")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "graphiam-bench",
                        help="where PMapper's virtual environment lives (default %(default)s)")
    parser.add_argument("--work-dir", type=Path, help="keep the snapshots, PMapper graphs and logs here "
                        "(default: a temporary folder, removed at the end)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    python, launcher, pmapper_versions = ensure_pmapper(args.cache_dir)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    graphiam = tool("graphiam")
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="graphiam-pmapper-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "logs").mkdir(exist_ok=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = start_moto(port, work / "logs" / "moto.log")
    try:
        env = child_env(work, endpoint, args.cache_dir / "pycache")
        print(f"moto on {endpoint}; seeding {args.users} users and {args.roles} roles ...", flush=True)
        started = time.perf_counter()
        account, data = seed(endpoint, args.users, args.roles, args.seed)
        warm_moto(endpoint)
        print(f"seeded in {time.perf_counter() - started:.1f} s; work folder {work}", flush=True)

        collect_times, snapshots = [], []
        for run in range(args.runs):
            out = work / f"snapshot-{run}"
            seconds, _ = timed_run([graphiam, "collect", "--endpoint-url", endpoint, "--region", REGION,
                                    "-o", str(out), "--quiet"], env, work / "logs" / f"collect-{run}.log")
            collect_times.append(seconds)
            snapshots.append(out)
        snapshot = snapshots[0]
        build_command = [graphiam, "build", "--no-cache", "--data", str(snapshot)]

        # the generated data written as a file, unseen by moto: collection fidelity, compared below
        generated = work / "generated"
        generated.mkdir(exist_ok=True)
        (generated / f"{account}.json").write_text(json.dumps(data))
        _, output = timed_run([graphiam, "build", "--no-cache", "--data", str(generated)], env,
                              work / "logs" / "build-generated.log")
        generated_counts = graphiam_counts(output)

        # untimed warm-ups: page caches, .pyc files
        timed_run(build_command, env, work / "logs" / "build-warmup.log")
        pmapper_run(python, launcher, endpoint, "none", env, work, "warmup-none")

        build_times, build_inside, counts = [], [], {}
        pmapper: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
        for run in range(args.runs):
            seconds, output = timed_run(build_command, env, work / "logs" / f"build-{run}.log")
            build_times.append(seconds)
            inside = graphiam_total(output)
            if inside is not None:
                build_inside.append(inside)
            counts = graphiam_counts(output)
            print(f"run {run + 1}/{args.runs}: graphiam build {seconds:.3f} s ({counts.get('edges')} edges)",
                  flush=True)
            for variant in VARIANTS:
                measured = pmapper_run(python, launcher, endpoint, variant, env, work, f"{variant}-{run}")
                pmapper[variant].append(measured)
                print(f"run {run + 1}/{args.runs}: pmapper graph create [{variant}] {measured['process_s']:.2f} s, "
                      f"edge identification {measured['phases_s'].get('obtain_edges', 0.0):.2f} s "
                      f"({measured['edges']} edges)", flush=True)

        principals = counts.get("principals")
        if principals != args.users + args.roles:
            print(f"warning: graphiam read {principals} principals, {args.users + args.roles} were seeded",
                  file=sys.stderr)
        if pmapper["all"][0]["nodes"] != args.users + args.roles:
            print(f"warning: PMapper read {pmapper['all'][0]['nodes']} nodes, {args.users + args.roles} were seeded",
                  file=sys.stderr)

        pairs = compare_pairs(graphiam, snapshot, env, work, Path(pmapper["all"][0]["graph_dir"]), data)

        checker_names = list(pmapper["all"][0]["checkers"])
        checkers_all = {name: median_dict([run["checkers"][name] for run in pmapper["all"]]) for name in checker_names}
        for name in checker_names:
            checkers_all[name]["edges"] = int(checkers_all[name]["edges"])
        result = {
            "users": args.users, "roles": args.roles, "seed": args.seed, "runs": args.runs, "account": account,
            "machine": {**machine(), "load_average_before": load_before,
                        "load_average_after": os.getloadavg() if hasattr(os, "getloadavg") else None},
            "versions": {"graphiam": version_of("graphiam"), "moto": version_of("moto"),
                         "principalmapper": pmapper_versions.get("principalmapper"),
                         "pmapper_botocore": pmapper_versions.get("botocore")},
            "commands": {"graphiam_collect": f"graphiam collect --endpoint-url {endpoint} --region {REGION} -o DIR",
                         "graphiam_build": "graphiam build --no-cache --data DIR",
                         **{f"pmapper_{variant}": "pmapper graph create --ignore-orgs --localstack-endpoint "
                            f"{endpoint} --include-regions {REGION} {' '.join(VARIANTS[variant])}".strip()
                            for variant in VARIANTS}},
            "timings": {
                "graphiam_build_process": summary(build_times),
                "graphiam_collect_process": summary(collect_times),
                **({"graphiam_build_in_process": summary(build_inside)} if build_inside else {}),
                "pmapper_sts_checker": summary([run["checkers"]["sts"]["seconds"] for run in pmapper["sts"]]),
                "pmapper_nine_checkers": summary([run["phases_s"]["obtain_edges"] for run in pmapper["all"]]),
                "pmapper_nine_checkers_local": summary([
                    sum(entry.get("local_seconds", 0.0) for entry in run["checkers"].values())
                    for run in pmapper["all"]]),
                **{f"pmapper_process_{variant}": summary([run["process_s"] for run in pmapper[variant]])
                   for variant in VARIANTS},
                **{f"pmapper_process_{variant}_minus_none": summary([
                    run["process_s"] - none["process_s"] for run, none in zip(pmapper[variant], pmapper["none"])])
                   for variant in ("sts", "all")},
            },
            "graphiam": {"counts": counts, "generated_counts": generated_counts},
            "pairs": pairs,
            "pmapper": {"nodes": pmapper["all"][0]["nodes"], "admins": pmapper["all"][0]["admins"],
                        "edges": pmapper["all"][0]["edges"], "edges_sts_variant": pmapper["sts"][0]["edges"],
                        "checkers_all_variant": checkers_all,
                        "phases_none_variant": median_dict([run["phases_s"] for run in pmapper["none"]]),
                        "phases_sts_variant": median_dict([run["phases_s"] for run in pmapper["sts"]]),
                        "phases_all_variant": median_dict([run["phases_s"] for run in pmapper["all"]]),
                        "raw": pmapper},
        }
        t = result["timings"]
        build = t["graphiam_build_process"]["median"]
        result["ratios"] = {
            "pmapper_sts_checker_over_graphiam_build": t["pmapper_sts_checker"]["median"] / build,
            "pmapper_nine_checkers_over_graphiam_build": t["pmapper_nine_checkers"]["median"] / build,
            "pmapper_nine_checkers_local_over_graphiam_build": t["pmapper_nine_checkers_local"]["median"] / build,
            "pmapper_create_all_over_graphiam_collect_plus_build":
                t["pmapper_process_all"]["median"] / (t["graphiam_collect_process"]["median"] + build),
        }
        text = report(result)
        result["markdown"] = text
        print()
        print(text)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
