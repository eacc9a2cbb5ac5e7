"""Readers never see a torn or mixed warehouse while runs publish (issue #12).

Run by `make test` as: python tests/reader_loop.py target/debug/retention

One process publishes 12 runs into one warehouse, their as-of alternating between two
dates (so consecutive runs differ), keeping 3 runs (so old runs are pruned under the
readers). Meanwhile reader threads loop:

- pyarrow, the documented way (docs/operations.md): resolve `current` once, read three
  tables of that run folder, check every file's `retention.run_id` is that run and every
  trailing_12m row ends on that run's as-of;
- DuckDB, the documented way: resolve once, one query joining three tables of that run
  folder, whose file names (unique to their run) must all name that run;
- the naive way, pyarrow and DuckDB reading `current/office_indicators/*.parquet`
  without resolving: a result must be consistent (one run, its as-of) or the error must
  be a loud "not found"; a Parquet decode error is a torn read.

A resolved run can be pruned between the resolve and the read (keep_runs = 3 on a loop
this fast): that is a loud "not found" too, counted apart and retried, never a wrong
result. The script fails on any torn read, any mixed or wrong result, any other error,
or when a reader could not read often enough to prove anything.
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import duckdb
import pyarrow.parquet as pq

DATES = ["2026-06-30", "2026-06-20"]
RUNS = 12
MIN_READS = 20
TIME_LIMIT_S = 150
TORN = ("thrift", "invalid", "page was smaller", "prefetch", "corrupt", "magic", "out of bounds",
        "unexpected end", "eof")
NOT_FOUND = ("no such file", "not found", "does not exist", "no files found", "filenotfound")


class Tally:
    def __init__(self, name):
        self.name = name
        self.reads = self.pruned = self.torn = self.mixed = self.errors = 0
        self.lock = threading.Lock()
        self.examples = []

    def add(self, field, example=None):
        with self.lock:
            setattr(self, field, getattr(self, field) + 1)
            if example and len(self.examples) < 5:
                self.examples.append(f"{field}: {example}")

    def line(self):
        return (f"{self.name}: {self.reads} reads, {self.pruned} pruned under the reader, "
                f"{self.torn} torn, {self.mixed} mixed or wrong, {self.errors} other errors")


def classify(tally, error):
    text = f"{type(error).__name__}: {error}".lower()
    if isinstance(error, FileNotFoundError) or any(k in text for k in NOT_FOUND):
        tally.add("pruned")
    elif any(k in text for k in TORN):
        tally.add("torn", text[:300])
    else:
        tally.add("errors", text[:300])


def resolve(wh):
    """The run folder `current` points at, resolved once."""
    target = os.readlink(os.path.join(wh, "current"))
    return os.path.basename(target), os.path.join(wh, target)


def files(folder, table):
    found = sorted(glob.glob(os.path.join(folder, table, "*.parquet")))
    if not found:
        raise FileNotFoundError(f"no files found in {folder}/{table}")
    return found


def pyarrow_resolved(wh, tally):
    run_id, folder = resolve(wh)
    with open(os.path.join(wh, "current.json")) as f:
        pointer = json.load(f)
    wrong = []
    as_of = None
    for table in ("office_indicators", "worker_spells", "source_counts"):
        for path in files(folder, table):
            meta = {k.decode(): v.decode() for k, v in (pq.ParquetFile(path).metadata.metadata or {}).items()}
            if meta.get("retention.run_id") != run_id:
                wrong.append(f"{path}: run {meta.get('retention.run_id')} in run folder {run_id}")
            as_of = meta.get("retention.as_of")
        rows = pq.read_table(files(folder, table)).to_pylist()
        if table == "office_indicators":
            ends = {str(r["period_end"]) for r in rows if r["period_type"] == "trailing_12m"}
            if ends != {as_of}:
                wrong.append(f"trailing period_end {ends} in a run of as-of {as_of}")
    # current.json is replaced right after the symlink: it names this run or the next.
    if pointer["path"] != f"runs/{pointer['run_id']}":
        wrong.append(f"current.json {pointer}")
    if wrong:
        tally.add("mixed", "; ".join(wrong))
    tally.add("reads")


def duckdb_resolved(wh, tally, con):
    run_id, folder = resolve(wh)
    query = f"""
        with o as (select *, filename as f from read_parquet('{folder}/office_indicators/*.parquet', filename = true)),
             s as (select *, filename as f from read_parquet('{folder}/worker_spells/*.parquet', filename = true)),
             c as (select *, filename as f from read_parquet('{folder}/source_counts/*.parquet', filename = true))
        select distinct o.f as of, s.f as sf, c.f as cf, cast(o.period_end as varchar) as period_end
        from o, (select f from s limit 1) s, (select f from c limit 1) c
        where o.period_type = 'trailing_12m'
    """
    rows = con.execute(query).fetchall()
    kv = con.execute(
        f"select value from parquet_kv_metadata('{folder}/office_indicators/*.parquet') "
        "where key = 'retention.as_of'").fetchall()
    as_of = {v[0].decode() if isinstance(v[0], bytes) else v[0] for v in kv}
    names = {name for row in rows for name in row[:3]}
    ends = {row[3] for row in rows}
    if not rows or any(f"-{run_id}.parquet" not in name for name in names) or ends != as_of:
        tally.add("mixed", f"run {run_id}: files {sorted(names)}, ends {ends}, as-of {as_of}")
    tally.add("reads")


def naive(wh, tally, con):
    """Reads through `current` without resolving it: consistent, or loudly not found."""
    pattern = os.path.join(wh, "current", "office_indicators", "*.parquet")
    if con is None:
        paths = sorted(glob.glob(pattern))
        if not paths:
            raise FileNotFoundError(pattern)
        runs = set()
        for path in paths:
            meta = {k.decode(): v.decode() for k, v in (pq.ParquetFile(path).metadata.metadata or {}).items()}
            runs.add((meta.get("retention.run_id"), meta.get("retention.as_of")))
        rows = pq.read_table(paths).to_pylist()
        ends = {str(r["period_end"]) for r in rows if r["period_type"] == "trailing_12m"}
        if len(runs) != 1 or ends != {next(iter(runs))[1]}:
            tally.add("mixed", f"runs {runs}, trailing ends {ends}")
    else:
        rows = con.execute(
            f"select distinct filename, cast(period_end as varchar) from read_parquet('{pattern}', filename = true) "
            "where period_type = 'trailing_12m'").fetchall()
        runs = {os.path.basename(r[0]) for r in rows}
        ends = {r[1] for r in rows}
        if len(runs) != 1 or len(ends) != 1:
            tally.add("mixed", f"files {runs}, trailing ends {ends}")
    tally.add("reads")


def loop(read, tally, done, deadline, *args):
    while (not done.is_set() or tally.reads < MIN_READS) and time.monotonic() < deadline:
        try:
            read(*args)
        except Exception as error:  # every failure is classified, none ignored
            classify(tally, error)


def main(binary):
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="retention-readers-")
    inbox, wh = os.path.join(work, "inbox"), os.path.join(work, "wh")
    pipeline = os.path.join(work, "p.toml")
    with open(pipeline, "w") as f:
        f.write("[settings]\nmax_quarantine_share = 1.0\n[publish]\nkeep_runs = 3\n")
    env = dict(os.environ, RETENTION_PSEUDONYM_KEY="reader-loop-key", RUST_LOG="warn")
    subprocess.run([binary, "generate", "--workers", "300", "--years", "3", "--offices", "6", "--seed", "5",
                    "--as-of", DATES[0], "--out", inbox], check=True, capture_output=True, env=env)

    def publish(i):
        result = subprocess.run([binary, "run", "--inbox", inbox, "--warehouse", wh, "--pipeline", pipeline,
                                 "--as-of", DATES[i % 2]], capture_output=True, text=True, env=env)
        if result.returncode != 0:
            print(result.stderr)
            sys.exit(f"run {i} exited {result.returncode}")

    publish(0)
    done = threading.Event()
    deadline = time.monotonic() + TIME_LIMIT_S
    tallies = {name: Tally(name) for name in
               ("pyarrow resolved", "duckdb resolved", "pyarrow naive", "duckdb naive")}
    con_resolved, con_naive = duckdb.connect(), duckdb.connect()
    threads = [
        threading.Thread(target=loop, args=(pyarrow_resolved, tallies["pyarrow resolved"], done, deadline,
                                            wh, tallies["pyarrow resolved"])),
        threading.Thread(target=loop, args=(duckdb_resolved, tallies["duckdb resolved"], done, deadline,
                                            wh, tallies["duckdb resolved"], con_resolved)),
        threading.Thread(target=loop, args=(naive, tallies["pyarrow naive"], done, deadline,
                                            wh, tallies["pyarrow naive"], None)),
        threading.Thread(target=loop, args=(naive, tallies["duckdb naive"], done, deadline,
                                            wh, tallies["duckdb naive"], con_naive)),
    ]
    for t in threads:
        t.start()
    for i in range(1, RUNS):
        publish(i)
    done.set()
    for t in threads:
        t.join()

    passed = failed = 0
    for tally in tallies.values():
        print(tally.line())
        for example in tally.examples:
            print("   ", example)
        for ok in (tally.torn == 0, tally.mixed == 0, tally.errors == 0, tally.reads >= MIN_READS):
            passed, failed = passed + ok, failed + (not ok)
    runs_left = sorted(d for d in os.listdir(os.path.join(wh, "runs")) if not d.endswith((".partial", ".refused")))
    ok = len(runs_left) == 3
    passed, failed = passed + ok, failed + (not ok)
    print(f"{RUNS} runs published in {time.monotonic() - started:.1f} s; {len(runs_left)} kept")
    print(f"reader_loop: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1])
