"""Change-review benchmark: `graphiam diff` on a one-policy change of a large synthetic organization.

    python benchmarks/diff.py                       # 1,000 accounts, 3 changes
    python benchmarks/diff.py --accounts 100 --repeat 5 --json diff.json

It writes ``graphiam synth --accounts N`` into a temporary folder and builds
it once with ``graphiam build`` into a private, empty cache folder (the old
snapshot as CI has it: built on the main branch, cached). Then, ``--repeat``
times, it copies the snapshot, changes one policy in it (the trust policy of
one role of one account gains a statement naming a user of that account:
what a pull request does; the user's own policy gains the matching Allow) and times ``graphiam diff --old OLD --new NEW --json``
as a whole process: the old graph from the cache, the new one rebuilt from it
(only the target accounts the change can reach are decided again). For the
ratio it also times ``graphiam build --no-cache`` of one changed snapshot: the
full build a diff without the incremental rebuild would need for the new side
alone. Every run is a fresh process; medians are reported, and each diff's
own report (accounts changed and decided again) is checked: exactly one
account changed, and the diff found the path the change opened.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def graphiam(*args: str, cache: Path, check: bool = True) -> tuple[float, subprocess.CompletedProcess]:
    env = {**os.environ, "GRAPHIAM_CACHE_DIR": str(cache), "GRAPHIAM_PROGRESS_DELAY": "1000000"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "graphiam.cli", *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if check and done.returncode not in (0, 1):
        raise SystemExit(f"graphiam {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return seconds, done


def change_one_policy(old: Path, new: Path, index: int) -> tuple[str, str]:
    """Copy ``old`` to ``new`` and add to one role's trust a statement naming a user of its account (and to the
    user an Allow for it); the (user, role) pair it opens."""
    shutil.copytree(old, new)
    files = sorted((new / "accounts").glob("*.json"))
    target_file = caller_file = files[(7 * index + 3) % len(files)]  # one account: no SCP between the two
    target = caller = json.loads(target_file.read_text())
    user = next(u for u in caller["UserDetailList"] if not u.get("PermissionsBoundary"))
    role = next(r for r in target["RoleDetailList"] if not r["Path"].startswith(("/aws-service-role/", "/aws-reserved/")))
    document = role["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        from urllib.parse import unquote

        document = json.loads(unquote(document))
    document["Statement"] = [*document["Statement"], {"Sid": "ReviewBenchmark", "Effect": "Allow",
                                                      "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}]
    role["AssumeRolePolicyDocument"] = document
    # the caller must be allowed to ask: its own inline policy gains the matching Allow
    user["UserPolicyList"] = [*user.get("UserPolicyList", []), {"PolicyName": "review-benchmark", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}}]
    target_file.write_text(json.dumps(target))
    return user["Arn"], role["Arn"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from graphiam.synth import write_synthetic_org

    with tempfile.TemporaryDirectory(prefix="graphiam-diff-bench-") as temp:
        work = Path(temp)
        cache = work / "cache"
        cache.mkdir(mode=0o700)
        old = work / "old"
        write_synthetic_org(old, args.accounts, args.seed)
        build_old, _ = graphiam("build", "--data", str(old), cache=cache)
        runs = []
        for index in range(args.repeat):
            new = work / f"new-{index}"
            opened = change_one_policy(old, new, index)
            seconds, done = graphiam("diff", "--old", str(old), "--new", str(new), "--json", cache=cache)
            result = json.loads(done.stdout)
            found = any((c["source"], c["target"]) == opened for c in result["reach"] if c["kind"] == "added")
            rebuilt = result.get("rebuilt") or {}
            runs.append({"seconds": seconds, "exit": done.returncode, "opened_found": found, **rebuilt})
            print(f"diff {index + 1}: {seconds:.2f} s, exit {done.returncode}, decided again "
                  f"{rebuilt.get('decided', '?')} of {rebuilt.get('accounts', '?')} accounts, "
                  f"the opened path {'found' if found else 'NOT FOUND'}", file=sys.stderr)
        full_new, _ = graphiam("build", "--no-cache", "--data", str(work / "new-0"), cache=cache)
        shutil.rmtree(cache)
    median = statistics.median(run["seconds"] for run in runs)
    summary = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "accounts": args.accounts, "repeat": args.repeat,
        "old_build_and_cache_s": round(build_old, 2),
        "diff_median_s": round(median, 2),
        "full_build_of_new_s": round(full_new, 2),
        "ratio_full_build_to_diff": round(full_new / median, 1),
        "runs": runs,
    }
    print(f"| accounts | graphiam build + cache (old) | graphiam diff, median of {args.repeat} | "
          f"graphiam build --no-cache (new) | ratio |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {args.accounts:,} | {build_old:.1f} s | {median:.1f} s | {full_new:.1f} s | {full_new / median:.1f}x |")
    if not all(run["opened_found"] for run in runs):
        print("a diff did not report the path its change opened", file=sys.stderr)
        raise SystemExit(1)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
