#!/usr/bin/env python3
"""Two builds of breach side by side on the same generated data, in one run: every figure is
the median of per-pair ratios (the candidate's time over the baseline's, runs interleaved so
that the machine's noise falls on both), so a change can be shown not to make anything slower.

    python3 bench/compare.py BASELINE_BIN CANDIDATE_BIN [--runs 15] [--entries 100000]
                             [--incidents 10000] [--markdown FILE]

BASELINE_BIN is a `breach` built from the commit before the change (for example
`git worktree add /tmp/base COMMIT && cargo build --release --manifest-path /tmp/base/Cargo.toml
--target-dir /tmp/base-target`), CANDIDATE_BIN the one to judge. The data comes from this
checkout's examples/gen_incident (generated incidents only, never a real record); both builds
must read the same log format.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_once(argv, env):
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        code = subprocess.call(argv, env=env, stdout=devnull, stderr=devnull)
    return time.perf_counter() - start, code


def generate(env, root, entries, incidents=None):
    argv = [os.path.join(ROOT, "target/release/examples/gen_incident"), root, str(entries)]
    if incidents:
        argv.append(str(incidents))
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("baseline")
    parser.add_argument("candidate")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--entries", type=int, default=100000)
    parser.add_argument("--incidents", type=int, default=10000)
    parser.add_argument("--markdown")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "gen_incident"],
                   cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="breach-compare-")
    env = dict(os.environ, BREACH_NOW="2026-03-10T15:00:00Z", BREACH_ACTOR="bench", TZ="UTC")
    small = os.path.join(work, "small")
    small_id = generate(env, small, 3)
    large = os.path.join(work, "large")
    large_id = generate(env, large, args.entries)
    thousand = os.path.join(work, "thousand")
    thousand_id = generate(env, thousand, 1000)
    many = os.path.join(work, "many")
    generate(env, many, 40, args.incidents)

    def on(store, *rest):
        return ["--store", store, *rest]

    cases = [
        ("`--version`", ["--version"]),
        ("`status`, 3 entries", on(small, "-i", small_id, "status")),
        (f"`status`, {args.entries:,} entries", on(large, "-i", large_id, "status")),
        (f"`verify`, {args.entries:,} entries", on(large, "-i", large_id, "verify")),
        (f"`export --format json`, {args.entries:,} entries",
         on(large, "-i", large_id, "export", "--format", "json")),
        ("`note` (an append), 1,000 entries", on(thousand, "-i", thousand_id, "note", "bench")),
        ("`facts` (an append that moves the clock), 1,000 entries",
         on(thousand, "-i", thousand_id, "facts", "--affected", "20", "--unreachable", "0")),
        (f"`list`, {args.incidents:,} incidents", on(many, "list")),
        (f"`deadlines --all --json`, {args.incidents:,} incidents",
         on(many, "--json", "deadlines", "--all")),
        (f"`annual 2024`, {args.incidents:,} incidents", on(many, "annual", "2024")),
    ]
    rows = []
    for label, rest in cases:
        base = [args.baseline, *rest]
        cand = [args.candidate, *rest]
        # Warm both (and build the caches both read: the same format, so they share them).
        run_once(base, env)
        run_once(cand, env)
        ratios, base_times, cand_times = [], [], []
        for i in range(args.runs):
            order = [(base, base_times), (cand, cand_times)]
            if i % 2:
                order.reverse()
            for argv, times in order:
                t, code = run_once(argv, env)
                if code != 0:
                    sys.exit(f"{' '.join(argv)} exited {code}")
                times.append(t)
            ratios.append(cand_times[-1] / base_times[-1])
        rows.append((label, statistics.median(base_times), statistics.median(cand_times),
                     statistics.median(ratios)))
        print(f"{label}: baseline {rows[-1][1]*1000:.1f} ms, candidate {rows[-1][2]*1000:.1f} ms, "
              f"ratio {rows[-1][3]:.2f}", flush=True)
    table = ["| what | baseline | candidate | candidate / baseline (median of pairs) |",
             "|---|---|---|---|"]
    for label, b, c, r in rows:
        table.append(f"| {label} | {b*1000:.1f} ms | {c*1000:.1f} ms | {r:.2f}x |")
    text = "\n".join(table) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
