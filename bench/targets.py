#!/usr/bin/env python3
"""Issue 34's targets, each against its floor measured in the same run, for one or more builds:
`export` of 100,000 entries against `cat log > file` (with `sha256sum` and `verify` of that log
against the same floor, for reference: the chain check every export makes first); `--version` and `status` on a 3-entry
incident against a trivial Rust binary; the first `list` (building the summary cache) against
`cat` of every log; the peak memory of `push` of 100,000 entries; `note` and `status` on the
PostgreSQL store against the directory store holding the same bytes. Generated data only.

    python3 bench/targets.py [BIN ...] [--runs 9] [--entries 100000] [--incidents 3000]
                             [--no-postgres] [--only ROW,...] [--markdown FILE]

`--only` measures some rows: `version`, `status`, `export`, `push`, `list`, `postgres`.

With several BINs (say the build before a change and the one after) every row is measured for
each, interleaved, so the table compares them in one run.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402

ROOT = bench.ROOT


def median_time(argv, env, runs, before=None, expect_ok=True):
    """The median wall time of argv, with `before()` run untimed before each run."""
    times = []
    for i in range(runs + 1):
        if before:
            before()
        t, _, code = bench.run_once(argv, env)
        if expect_ok and code != 0:
            sys.exit(f"{' '.join(argv)} exited {code}")
        if i:
            times.append(t)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bins", nargs="*")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--entries", type=int, default=100000)
    parser.add_argument("--incidents", type=int, default=3000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--markdown")
    parser.add_argument("--only", help="comma-separated: version,status,export,push,list,postgres")
    args = parser.parse_args()
    every = {"version", "status", "export", "push", "list", "postgres"}
    only = set(args.only.split(",")) if args.only else every
    if not only <= every:
        sys.exit(f"--only: unknown rows {', '.join(sorted(only - every))}; known: {', '.join(sorted(every))}")
    if args.no_postgres:
        only.discard("postgres")
    work, trivial, _ = bench.build()
    bins = args.bins or [os.path.join(ROOT, "target", "release", "breach")]
    gen = os.path.join(ROOT, "target", "release", "examples", "gen_incident")
    env = dict(os.environ, BREACH_ACTOR="bench", BREACH_NOW="2026-03-10T15:00:00Z", TZ="UTC",
               HOME=work)
    rows = []  # (what, floor label, floor time, [time per bin], unit)

    def row(what, floor_label, floor_t, times, unit="ms"):
        rows.append((what, floor_label, floor_t, times, unit))
        shown = ", ".join(f"{t * 1000:.1f}" if unit == "ms" else f"{t:.1f}" for t in times)
        print(f"{what}: floor {floor_label} {floor_t * 1000:.1f} ms; {shown} {unit}", flush=True)

    try:
        trivial_t = median_time([trivial], env, args.runs)
        small = os.path.join(work, "small")
        small_id = subprocess.run([gen, small, "3"], env=env, check=True, capture_output=True,
                                  text=True).stdout.strip()
        if "version" in only:
            row("`--version`", "trivial binary", trivial_t,
                [median_time([b, "--version"], env, args.runs) for b in bins])
        if "status" in only:
            row("`status`, 3 entries", "trivial binary", trivial_t,
                [median_time([b, "--store", small, "-i", small_id, "status"], env, args.runs) for b in bins])

        if only & {"export", "push"}:
            large = os.path.join(work, "large")
            large_id = subprocess.run([gen, large, str(args.entries)], env=env, check=True,
                                      capture_output=True, text=True).stdout.strip()
            log = os.path.join(large, "incidents", large_id, "log.jsonl")
            copy = os.path.join(work, "copy")
            cat_t = median_time(["sh", "-c", f"cat {log} > {copy}"], env, args.runs)
        if "export" in only:
            # Not a target: what every export does before it writes a byte (check the chain),
            # and SHA-256 of the same bytes, against the same floor.
            sha_t = median_time(["sh", "-c", f"sha256sum {log} > /dev/null"], env, args.runs)
            row("(reference) `sha256sum` of that log", "cat log > file", cat_t, [sha_t] * len(bins))
            row("(reference) `verify` of that log", "cat log > file", cat_t,
                [median_time([b, "--store", large, "-i", large_id, "verify"], env, args.runs)
                 for b in bins])
        for fmt in ["json", "md", "html"] if "export" in only else []:
            out = os.path.join(work, f"export.{fmt}")
            times = [median_time([b, "--store", large, "-i", large_id, "export", "--format", fmt, "-o", out,
                                  "--force"], env, args.runs) for b in bins]
            row(f"`export --format {fmt}`, {args.entries:,} entries", "cat log > file", cat_t, times)

        if "push" in only:
            # push: peak memory, to a fresh directory store each time.
            target = os.path.join(work, "pushed")
            rss = []
            for b in bins:
                shutil.rmtree(target, ignore_errors=True)
                rss.append(bench.peak_rss([b, "--store", large, "-i", large_id, "push", "--to", target], env) / 1024)
            shutil.rmtree(target, ignore_errors=True)
            rows.append((f"`push` of {args.entries:,} entries, peak RSS", "-", 0, rss, "MiB"))
            print(f"push RSS: {rss}", flush=True)

        if "list" in only:
            many = os.path.join(work, "many")
            subprocess.run([gen, many, "40", str(args.incidents)], env=env, check=True, capture_output=True)
            every_log = f"find {many}/incidents -name log.jsonl -print0 | xargs -0 cat > /dev/null"
            cat_logs = median_time(["sh", "-c", every_log], env, args.runs)
            drop = lambda: shutil.rmtree(os.path.join(many, "cache"), ignore_errors=True)
            row(f"first `list`, {args.incidents:,} incidents", "cat of every log", cat_logs,
                [median_time([b, "--store", many, "list"], env, max(3, args.runs // 3), before=drop)
                 for b in bins])

        if "postgres" in only:
            url, stop = bench.start_cluster(work)
            try:
                subprocess.run([bins[-1], "--store", url, "store", "init"], env=env, check=True, capture_output=True)
                thousand = os.path.join(work, "thousand")
                tid = subprocess.run([gen, thousand, "1000"], env=env, check=True, capture_output=True,
                                     text=True).stdout.strip()
                subprocess.run([bins[-1], "--store", thousand, "-i", tid, "push", "--to", url], env=env,
                               check=True, capture_output=True)
                floors = {}  # the directory store's time per command, the psql rows' floor too
                for name, rest in [("note", ["note", "benchmark note"]), ("status", ["status"])]:
                    files_t = floors[name] = median_time([bins[-1], "--store", thousand, "-i", tid, *rest],
                                                         env, args.runs)
                    row(f"PostgreSQL `{name}`, 1,000 entries", "the directory store", files_t,
                        [median_time([b, "--store", url, "-i", tid, *rest], env, args.runs) for b in bins])
                # What any client pays for one command on its own connection: psql (libpq, C)
                # connecting, running one statement and leaving. The server starts a backend
                # for each connection; no client can go under this.
                psql = bench.postgres_tool("psql")
                if psql:
                    host = url.split("host=", 1)[1]
                    sql = lambda q: [psql, "-X", "-q", "-h", host, "-U", "postgres", "-d", "postgres", "-c", q]
                    subprocess.run(sql("CREATE TABLE IF NOT EXISTS bench_floor (n int)"), env=env, check=True,
                                   capture_output=True)
                    for name, q, command in [("one insert committed", "INSERT INTO bench_floor VALUES (1)", "note"),
                                             ("one query", "SELECT 1", "status")]:
                        row(f"psql: connect, {name}, leave", f"the directory store's `{command}`", floors[command],
                            [median_time(sql(q), env, args.runs)] * len(bins))
            finally:
                stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    names = [os.path.basename(os.path.dirname(os.path.dirname(b))) if b.endswith("release/breach") else b
             for b in bins]
    header = "| what | floor | " + " | ".join(f"`{n}`" for n in names) + " |\n"
    header += "|---|---|" + "---|" * len(bins) + "\n"
    body = ""
    for what, floor_label, floor_t, times, unit in rows:
        if unit == "MiB":
            cells = [f"{v:.1f} MiB" for v in times]
            body += f"| {what} | - | " + " | ".join(cells) + " |\n"
        else:
            cells = [f"{t * 1000:.1f} ms ({t / floor_t:.2f}x)" for t in times]
            body += f"| {what} | {floor_label}: {floor_t * 1000:.1f} ms | " + " | ".join(cells) + " |\n"
    print(header + body)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(header + body)


if __name__ == "__main__":
    main()
