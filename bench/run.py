#!/usr/bin/env python3
"""Benchmarks for breach, every figure a ratio to a floor measured in the same run.

Builds incidents of 1,000, 100,000 and 1,000,000 entries with examples/gen_incident, then times
each command against a floor: a trivial Rust binary's start-up, `wc -l` and `sha256sum` on the same
log file, and an fsync of one line on the same disk. Then stores of 1,000, 10,000 and 30,000
incidents of 40 entries for the store-wide views, against `ls -l` of every log; the third size
is there to show that their memory levels off. Peak memory is each child's own max RSS (GNU
time). Writes the table to stdout; `--markdown FILE` also writes it to a file.

    python3 bench/run.py [--sizes 1000,100000,1000000] [--stores 1000,10000,30000] [--runs 7]
                         [--only-stores] [--markdown BENCHMARKS.md]
    python3 bench/run.py --postgres    # the PostgreSQL store against the directory store
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


def build():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "breach", "--example", "gen_incident"],
                   cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="breach-bench-")
    trivial_src = os.path.join(work, "trivial.rs")
    with open(trivial_src, "w") as f:
        f.write("fn main() {}\n")
    trivial = os.path.join(work, "trivial")
    subprocess.run(["rustc", "-O", "-o", trivial, trivial_src], check=True)
    # The floor of an append: a process that starts, appends one line to a file and syncs it.
    appender_src = os.path.join(work, "appender.rs")
    with open(appender_src, "w") as f:
        f.write(
            "use std::io::Write;\n"
            "fn main() {\n"
            "    let path = std::env::args().nth(1).unwrap();\n"
            "    let mut f = std::fs::OpenOptions::new().append(true).create(true).open(path).unwrap();\n"
            "    f.write_all(&[b'x'; 300]).unwrap();\n"
            "    f.sync_data().unwrap();\n"
            "}\n")
    appender = os.path.join(work, "appender")
    subprocess.run(["rustc", "-O", "-o", appender, appender_src], check=True)
    return work, trivial, appender


def run_once(argv, env):
    """Runs argv; returns (seconds, max RSS in KiB, exit status)."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(argv, env=env, stdout=devnull, stderr=devnull)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def peak_rss(argv, env):
    """The command's own peak RSS in KiB, from GNU time (a fork of this Python process would
    otherwise count the interpreter's pages); 0 when GNU time is not installed."""
    if not GNU_TIME:
        return 0
    out = subprocess.run([GNU_TIME, "-f", "%M", *argv], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    return int(out.stderr.strip().splitlines()[-1])


def measure(argv, env, runs, expect_ok=True):
    times = []
    run_once(argv, env)  # warm the page cache and the binary
    for _ in range(runs):
        t, _, code = run_once(argv, env)
        if expect_ok and code != 0:
            sys.exit(f"benchmark command failed ({code}): {' '.join(argv)}")
        times.append(t)
    return statistics.median(times), peak_rss(argv, env)


def fsync_floor(directory, runs):
    """Median time to append one 300-byte line to a file and fsync it, in-process."""
    path = os.path.join(directory, "fsync-floor")
    line = b"x" * 299 + b"\n"
    times = []
    with open(path, "ab") as f:
        for _ in range(runs * 3):
            start = time.perf_counter()
            f.write(line)
            f.flush()
            os.fdatasync(f.fileno())
            times.append(time.perf_counter() - start)
    os.remove(path)
    return statistics.median(times)


def append_floor(appender, directory, runs):
    """Median time of a trivial binary that starts, appends one 300-byte line to a file on the
    same disk and fdatasyncs it: start-up plus one fsync, each in a fresh process as an append
    is. (An fsync repeated in one process is cheaper than the first one after an open.)"""
    path = os.path.join(directory, "append-floor")
    t, _ = measure([appender, path], os.environ.copy(), runs * 3)
    os.remove(path)
    return t


def store_wide(gen, breach, work, count, trivial_t, runs):
    """`list`, `deadlines --all` and `annual` over a store of `count` incidents of 40 entries,
    against the floors `ls -l` of every log (a stat each) and `cat` of the summary cache; the
    first `list` builds the cache from a full replay of every log, against `cat` of every log."""
    store = os.path.join(work, f"many-{count}")
    env = dict(os.environ, BREACH_STORE=store, BREACH_ACTOR="bench", BREACH_NOW="2026-11-30T12:00:00Z", TZ="UTC")
    subprocess.run([gen, store, "40", str(count)], env=env, check=True, capture_output=True)
    logs = os.path.join(store, "incidents")
    label = f"{count:,} incidents"
    rows = []
    shell = lambda cmd: ["sh", "-c", cmd]
    # Through find and xargs: 30,000 paths are more than one command line holds.
    every_log = f"find {logs} -name log.jsonl -print0 | xargs -0"
    cat_logs, _ = measure(shell(f"{every_log} cat > /dev/null"), env, 1)
    start = time.perf_counter()
    subprocess.run([breach, "list"], env=env, check=True, capture_output=True)
    cold = time.perf_counter() - start
    rows.append(("list, building the cache", label, cold, f"{cold / cat_logs:.1f}x cat of every log", 0))
    ls_t, _ = measure(shell(f"{every_log} ls -l > /dev/null"), env, runs)
    cat_t, _ = measure(["cat", os.path.join(store, "cache", "summaries.jsonl")], env, runs)
    rows.append(("floor: ls -l of every log", label, ls_t, "-", 0))
    rows.append(("floor: cat of the summary cache", label, cat_t, "-", 0))
    for name, argv in [
        ("list", [breach, "list"]),
        ("list --json", [breach, "--json", "list"]),
        ("deadlines --all", [breach, "deadlines", "--all"]),
        ("deadlines --all --json", [breach, "--json", "deadlines", "--all"]),
        ("annual 2024", [breach, "annual", "2024"]),
        ("annual 2024 --format csv", [breach, "annual", "2024", "--format", "csv"]),
    ]:
        t, rss = measure(argv, env, runs)
        rows.append((name, label, t, f"{t / ls_t:.1f}x ls -l; {t / trivial_t:.0f}x start-up", rss))
    # The reminders read every open incident's whole summary (its assigned steps and each
    # obligation's holder); they exit 1 when something listed is overdue.
    t, rss = measure([breach, "remind", "--within", "60d"], env, runs, expect_ok=False)
    rows.append(("remind --within 60d", label, t, f"{t / ls_t:.1f}x ls -l; {t / trivial_t:.0f}x start-up", rss))
    # Choosing an incident by part of its title reads every title; words no title holds make
    # it read them all and then fail, as a typo would.
    t, rss = measure([breach, "-i", "no such words", "status"], env, runs, expect_ok=False)
    rows.append(("-i by part of a title (none matches)", label, t,
                 f"{t / ls_t:.1f}x ls -l; {t / trivial_t:.0f}x start-up", rss))
    shutil.rmtree(store)
    return rows


def postgres_tool(name):
    """The newest installed PostgreSQL's `name` (initdb, psql…), or None."""
    root = "/usr/lib/postgresql"
    found = sorted(os.path.join(root, v, "bin", name) for v in (os.listdir(root) if os.path.isdir(root) else []))
    found = [f for f in found if os.path.exists(f)]
    return found[-1] if found else None


def start_cluster(work):
    """A throwaway PostgreSQL cluster on a Unix socket (as `postgres` when run as root), with
    its durability settings left at PostgreSQL's defaults (fsync on, synchronous commit)."""
    initdb = postgres_tool("initdb")
    if not initdb:
        sys.exit("--postgres needs Debian's postgresql package (initdb)")
    bin_dir = os.path.dirname(initdb)
    sock = tempfile.mkdtemp(prefix="bpg-", dir="/tmp")
    prefix = []
    if os.geteuid() == 0:
        shutil.chown(sock, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(sock, "data")
    subprocess.run([*prefix, os.path.join(bin_dir, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run([*prefix, os.path.join(bin_dir, "pg_ctl"), "-D", data, "-l", os.path.join(sock, "log"), "-w", "-o",
                    f"-c listen_addresses='' -c unix_socket_directories={sock}", "start"], check=True, capture_output=True)
    stop = lambda: (subprocess.run([*prefix, os.path.join(bin_dir, "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
                                   capture_output=True), shutil.rmtree(sock, ignore_errors=True))
    return f"postgresql://postgres@/postgres?host={sock}", stop


def postgres_vs_files(gen, breach, work, runs, sizes, count):
    """append, status and list on the PostgreSQL store against the same commands on the
    directory store holding the same bytes (pushed across), in the same run."""
    url, stop = start_cluster(work)
    rows = []
    try:
        base = dict(os.environ, BREACH_ACTOR="bench", BREACH_NOW="2026-11-30T12:00:00Z", TZ="UTC",
                    HOME=work)
        subprocess.run([breach, "--store", url, "store", "init"], env=base, check=True, capture_output=True)
        for size in sizes:
            store = os.path.join(work, f"pg-files-{size}")
            incident = subprocess.run([gen, store, str(size)], env=dict(base, BREACH_STORE=store), check=True,
                                      capture_output=True, text=True).stdout.strip()
            subprocess.run([breach, "--store", store, "-i", incident, "push", "--to", url], env=base, check=True,
                           capture_output=True)
            label = f"{size:,} entries"
            for name, args in [("append (note)", ["note", "benchmark note"]), ("status", ["status"])]:
                f_t, _ = measure([breach, "--store", store, "-i", incident, *args], base, runs)
                p_t, p_rss = measure([breach, "--store", url, "-i", incident, *args], base, runs)
                rows.append((f"PostgreSQL: {name}", label, p_t, f"{p_t / f_t:.2f}x the directory store ({f_t * 1000:.1f} ms)", p_rss))
            shutil.rmtree(store)
        store = os.path.join(work, f"pg-many-{count}")
        subprocess.run([gen, store, "40", str(count)], env=dict(base, BREACH_STORE=store), check=True, capture_output=True)
        for incident in sorted(os.listdir(os.path.join(store, "incidents"))):
            subprocess.run([breach, "--store", store, "-i", incident, "push", "--to", url], env=base, check=True,
                           capture_output=True)
        label = f"{count:,} incidents"
        f_t, _ = measure([breach, "--store", store, "list"], base, runs)
        p_t, p_rss = measure([breach, "--store", url, "list"], base, runs)
        rows.append(("PostgreSQL: list", label, p_t, f"{p_t / f_t:.2f}x the directory store ({f_t * 1000:.1f} ms)", p_rss))
        shutil.rmtree(store)
    finally:
        stop()
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--markdown")
    parser.add_argument("--stores", default="1000,10000,30000",
                        help="numbers of incidents (40 entries each) for the store-wide views; empty for none")
    parser.add_argument("--only-stores", action="store_true", help="skip the single-incident sizes")
    parser.add_argument("--postgres", action="store_true",
                        help="only the PostgreSQL store against the directory store (append, status, list)")
    args = parser.parse_args()
    sizes = [] if args.only_stores or args.postgres else [int(s) for s in args.sizes.split(",")]
    stores = [] if args.postgres else [int(s) for s in args.stores.split(",") if s]

    work, trivial, appender = build()
    breach = os.path.join(ROOT, "target", "release", "breach")
    gen = os.path.join(ROOT, "target", "release", "examples", "gen_incident")
    rows = []
    try:
        trivial_t, trivial_rss = measure([trivial], os.environ.copy(), args.runs)
        fsync_t = fsync_floor(work, args.runs)
        rows.append(("floor: trivial Rust binary", "-", trivial_t, "1.00x start-up", trivial_rss))
        rows.append(("floor: append one line + fdatasync", "-", fsync_t, "-", 0))
        append_t = append_floor(appender, work, args.runs)
        rows.append(("floor: start-up + append one line + fdatasync (a trivial binary)", "-", append_t, "-", 0))
        for size in sizes:
            store = os.path.join(work, f"store-{size}")
            env = dict(os.environ, BREACH_STORE=store, BREACH_ACTOR="bench", BREACH_NOW="2026-03-10T15:00:00Z", TZ="UTC")
            incident = subprocess.run([gen, store, str(size)], env=env, check=True,
                                      capture_output=True, text=True).stdout.strip()
            log = os.path.join(store, "incidents", incident, "log.jsonl")
            mib = os.path.getsize(log) / (1 << 20)
            wc_t, _ = measure(["wc", "-l", log], env, args.runs)
            sha_t, _ = measure(["sha256sum", log], env, args.runs)
            label = f"{size:,} entries ({mib:.0f} MiB)"
            rows.append((f"floor: wc -l", label, wc_t, "-", 0))
            rows.append((f"floor: sha256sum", label, sha_t, "-", 0))
            for name, argv in [
                ("status", [breach, "status"]),
                ("status --json", [breach, "--json", "status"]),
                ("next", [breach, "next"]),
                ("list", [breach, "list"]),
            ]:
                t, rss = measure(argv, env, args.runs)
                vs = f"{t / trivial_t:.1f}x start-up" if size <= 1000 else f"{t / wc_t:.1f}x wc -l"
                rows.append((name, label, t, vs, rss))
            t, rss = measure([breach, "verify"], env, args.runs)
            rows.append(("verify", label, t, f"{t / sha_t:.2f}x sha256sum; {size / t / 1e6:.2f} M entries/s", rss))
            if size <= 100000:
                for name, argv in [
                    ("export --format json", [breach, "export", "--format", "json"]),
                    ("export --format md", [breach, "export", "--format", "md"]),
                    ("export --format html", [breach, "export", "--format", "html"]),
                ]:
                    t, rss = measure(argv, env, args.runs)
                    vs = f"{t / trivial_t:.1f}x start-up" if size <= 1000 else f"{t / wc_t:.1f}x wc -l"
                    rows.append((name, label, t, vs, rss))
                t, rss = measure([breach, "note", "benchmark note"], env, args.runs)
                rows.append(("append (note)", label, t,
                             f"{t / append_t:.1f}x (start-up + fsync); "
                             f"{t / (trivial_t + fsync_t):.1f}x the two measured apart", rss))
            shutil.rmtree(store)
        for count in stores:
            rows.extend(store_wide(gen, breach, work, count, trivial_t, args.runs))
        if args.postgres:
            rows.extend(postgres_vs_files(gen, breach, work, args.runs, [1000, 100000], 1000))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    header = "| what | incident | median | ratio to floor | peak RSS |\n|---|---|---:|---|---:|\n"
    body = "".join(
        f"| {what} | {label} | {t * 1000:.1f} ms | {ratio} | {f'{rss / 1024:.1f} MiB' if rss else '-'} |\n"
        for what, label, t, ratio, rss in rows)
    table = header + body
    print(table)
    if args.markdown:
        # Only the table between the markers is replaced; the reading around it is written by hand.
        start, end = "<!-- table -->\n", "<!-- /table -->"
        text = open(args.markdown).read() if os.path.exists(args.markdown) else f"# Benchmarks\n\n{start}{end}\n"
        if start not in text or end not in text:
            text = f"{text.rstrip()}\n\n{start}{end}\n"
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        with open(args.markdown, "w") as f:
            f.write(f"{before}{start}{table}{end}{after}")


if __name__ == "__main__":
    main()
