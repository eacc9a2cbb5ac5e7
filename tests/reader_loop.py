"""Readers never see a torn or mixed warehouse while runs publish (issue #12).

Run by `make test` as: python tests/reader_loop.py target/debug/retention

It generates a small agency, then one publisher runs the pipeline 12 times into one
warehouse, the as-of alternating between two dates (so consecutive runs differ in every
trailing_12m row and in source_counts), keeping 3 runs (so old runs are pruned while the
readers read). The first run publishes before the readers start; meanwhile four reader
threads loop until the publisher is done (and each has read at least MIN_READS times):

- pyarrow, the documented way (docs/operations.md): resolve the run once per read
  (alternately by `readlink current` and by current.json, reading the other too), then
  read office_indicators, worker_spells and source_counts from runs/<run_id>/. Every
  file's `retention.run_id` must be that run, its `retention.as_of` the run's, every
  trailing_12m row must end on that as-of, each table must hold the rows the run's
  manifest says and source_counts the manifest's input counts;
- DuckDB, the documented way: resolve once, then ONE query joining the three tables of
  that run folder with `filename = true`, returning the distinct run ids in the file
  names and the trailing period_end: exactly the resolved run and its as-of; and
  `parquet_kv_metadata` (when this DuckDB has it) must name that run in every file;
- the naive way, pyarrow and DuckDB reading `current/office_indicators/*.parquet`
  without resolving: the result must be consistent (one run, its trailing rows ending on
  its as-of) or the error a loud "not found"; a Parquet decode error is a torn read.

Every run id and as-of a reader saw is checked at the end against what the publisher
published (run id from current.json after each run, as-of from its command line).

"Not found" is the one error allowed, and only where it is explained:
- for a resolved reader, the run it resolved was pruned between the resolve and the
  read (keep_runs = 3 on a loop this fast makes that happen now and then). It is counted
  apart as "pruned under the reader" and the reader retries with a fresh resolve. It is
  loud, never a silent wrong result; it is accepted only if the run's folder is really
  gone (or goes within a few seconds), else it counts as an error;
- for a naive reader, `current` moved between listing the folder and opening the file
  (file names are unique to their run). Accepted only if `current` did move meanwhile.

The script fails on any torn read, any mixed or wrong result, any other error, a reader
that read fewer than MIN_READS times or saw fewer than 2 runs (it proved nothing), a
failed run, or a warehouse that does not end with the last 3 runs and `current` on the
last one. Everything is bounded by DEADLINE_S.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import duckdb
import pyarrow.parquet as pq

DATES = ["2026-06-30", "2026-06-20"]
RUNS = 12
KEEP_RUNS = 3
MIN_READS = 20
DEADLINE_S = 170  # the whole script; readers and runs stop at this point whatever happens
TABLES = ("office_indicators", "worker_spells", "source_counts")
# Bytes that are not one whole Parquet file (a file being written, or two files' parts).
# Checked before NOT_FOUND: pyarrow says "magic bytes not found" of a truncated file.
TORN = ("thrift", "invalid", "page was smaller", "prefetch", "corrupt", "magic", "out of bounds",
        "unexpected end", "eof", "too small", "deserializ", "couldn't", "could not read")
NOT_FOUND = ("no such file", "no files found that match", "does not exist")
RUN_FILE = re.compile(r"part-\d+-(.+)\.parquet$")

failures = []
checks = [0]


def check(condition, message):
    checks[0] += 1
    if not condition:
        failures.append(message)
    return condition


class Tally:
    """What one reader saw. `not_found` is labelled per reader ("pruned under the reader"
    for resolved readers, "not found as current moved" for naive ones)."""

    def __init__(self, name, not_found_label):
        self.name, self.not_found_label = name, not_found_label
        self.reads = self.not_found = self.torn = self.mixed = self.errors = 0
        self.seen = {}  # run id -> as-ofs read from its data and metadata
        self.pointers = []  # (run id of the symlink, current.json's run id and as-of)
        self.examples = []
        self.lock = threading.Lock()

    def add(self, field, example=None):
        with self.lock:
            setattr(self, field, getattr(self, field) + 1)
            if example and sum(e.startswith(f"{field}:") for e in self.examples) < 3:
                self.examples.append(f"{field}: {example}")  # the first 3 of each kind

    def saw(self, run_id, as_of):
        with self.lock:
            self.seen.setdefault(run_id, set()).add(as_of)

    def line(self):
        return (f"{self.name}: {self.reads} reads, {self.errors} errors, {self.torn} torn, "
                f"{self.mixed} mixed or wrong, {self.not_found} {self.not_found_label}; "
                f"{len(self.seen)} runs seen")


def kv(path):
    meta = pq.read_metadata(path).metadata or {}
    return {k.decode(): v.decode() for k, v in meta.items()}


def files(folder, table):
    found = sorted(glob.glob(os.path.join(folder, table, "*.parquet")))
    if not found:
        raise FileNotFoundError(f"no such file: {folder}/{table}/*.parquet")
    return found


def resolve(wh, n, tally):
    """The run to read, resolved once: by the symlink on even reads, by current.json on
    odd ones (the two documented ways). The other pointer is read as well; current.json
    is replaced right after the symlink, so the two may differ by one publish (checked
    at the end)."""
    target = os.readlink(os.path.join(wh, "current"))
    with open(os.path.join(wh, "current.json")) as f:
        pointer = json.load(f)  # a torn current.json fails here, loudly, as an error
    link_id = os.path.basename(target)
    wrong = []
    if target != f"runs/{link_id}":
        wrong.append(f"current -> {target}, not runs/<run_id>")
    if pointer.get("path") != f"runs/{pointer.get('run_id')}":
        wrong.append(f"current.json {pointer}")
    with tally.lock:
        tally.pointers.append((link_id, pointer.get("run_id"), pointer.get("as_of")))
    run_id = link_id if n % 2 == 0 else pointer["run_id"]
    return run_id, os.path.join(wh, "runs", run_id), wrong


def pyarrow_resolved(wh, tally, n):
    run_id, folder, wrong = resolve(wh, n, tally)
    with open(os.path.join(folder, "run_manifest.json")) as f:
        manifest = json.load(f)
    as_of = manifest.get("as_of")
    if manifest.get("run_id") != run_id:
        wrong.append(f"runs/{run_id}/run_manifest.json names run {manifest.get('run_id')}")
    for table in TABLES:
        paths = files(folder, table)
        for path in paths:
            meta = kv(path)
            if not path.endswith(f"-{run_id}.parquet"):
                wrong.append(f"{path}: name not unique to run {run_id}")
            if (meta.get("retention.run_id"), meta.get("retention.as_of"), meta.get("retention.table")) != \
                    (run_id, as_of, table):
                wrong.append(f"{path}: run {meta.get('retention.run_id')}, as-of {meta.get('retention.as_of')}, "
                             f"table {meta.get('retention.table')} in run {run_id} of as-of {as_of}")
        data = pq.read_table(paths)
        if data.num_rows != manifest["tables"].get(table):
            wrong.append(f"{table}: {data.num_rows} rows, the manifest of {run_id} says {manifest['tables'].get(table)}")
        if table == "office_indicators":
            ends = {str(r["period_end"]) for r in data.select(["period_type", "period_end"]).to_pylist()
                    if r["period_type"] == "trailing_12m"}
            if ends != {as_of}:
                wrong.append(f"trailing_12m period_end {sorted(ends)} in run {run_id} of as-of {as_of}")
        if table == "source_counts":
            got = {r["source"]: (r["rows_read"], r["rows_accepted"], r["rows_quarantined"]) for r in data.to_pylist()}
            want = {i["source"]: (i["rows_read"], i["rows_accepted"], i["rows_quarantined"]) for i in manifest["inputs"]}
            if got != want:
                wrong.append(f"source_counts {got} != the manifest's inputs {want}")
    tally.saw(run_id, as_of)
    if wrong:
        tally.add("mixed", "; ".join(wrong))
    tally.add("reads")


def duckdb_resolved(wh, tally, n, con, has_kv):
    run_id, folder, wrong = resolve(wh, n, tally)
    parts = {t: f"read_parquet('{folder}/{t}/*.parquet', filename = true)" for t in TABLES}
    # One query, three tables of the one run folder, joined.
    rows = con.execute(f"""
        with o as (select office_id, period_end, filename from {parts['office_indicators']}
                   where period_type = 'trailing_12m'),
             s as (select start_office_id, filename from {parts['worker_spells']}),
             c as (select source, filename from {parts['source_counts']})
        select distinct regexp_extract(f, 'part-[0-9]+-(.+)[.]parquet$', 1) as run_id, period_end
        from (select unnest([o.filename, s.filename, c.filename]) as f, cast(o.period_end as varchar) as period_end
              from o join s on s.start_office_id = o.office_id cross join c)
        order by all""").fetchall()
    if len(rows) != 1 or rows[0][0] != run_id:
        wrong.append(f"resolved {run_id}, the join read (run, trailing period_end) {rows}")
    as_of = rows[0][1] if len(rows) == 1 else None
    if has_kv:
        meta = con.execute(f"""
            select key, value, count(*) from parquet_kv_metadata({[f'{folder}/{t}/*.parquet' for t in TABLES]})
            where key in ('retention.run_id', 'retention.as_of') group by all order by all""").fetchall()
        got = sorted((bytes(k).decode(), bytes(v).decode(), c) for k, v, c in meta)
        want = sorted([("retention.as_of", as_of, len(TABLES)), ("retention.run_id", run_id, len(TABLES))])
        if got != want:
            wrong.append(f"parquet_kv_metadata of run {run_id} (as-of {as_of}): {got}")
    tally.saw(run_id, as_of)
    if wrong:
        tally.add("mixed", "; ".join(wrong))
    tally.add("reads")


def naive(wh, tally, n, con):
    """One table through `current` without resolving it: consistent, or loudly not found."""
    pattern = os.path.join(wh, "current", "office_indicators", "*.parquet")
    if con is None:
        paths = sorted(glob.glob(pattern))
        if not paths:
            raise FileNotFoundError(f"no such file: {pattern}")
        runs = {(kv(p).get("retention.run_id"), kv(p).get("retention.as_of")) for p in paths}
        names = {RUN_FILE.search(p).group(1) for p in paths}
        data = pq.read_table(paths, columns=["period_type", "period_end"]).to_pylist()
        ends = {str(r["period_end"]) for r in data if r["period_type"] == "trailing_12m"}
        (run_id, as_of), = runs if len(runs) == 1 else [(None, None)]
        ok = len(runs) == 1 and names == {run_id} and ends == {as_of}
        detail = f"file metadata {sorted(runs)}, file names {sorted(names)}, trailing period_end {sorted(ends)}"
    else:
        # A single table function: its one listing and its opens are all the naive way
        # can be asked for. The as-of of the run named by the file is checked at the end.
        rows = con.execute(
            f"select distinct filename, cast(period_end as varchar) from read_parquet('{pattern}', filename = true) "
            "where period_type = 'trailing_12m'").fetchall()
        names = {RUN_FILE.search(r[0]).group(1) for r in rows}
        ends = {r[1] for r in rows}
        ok = len(names) == 1 and len(ends) == 1
        run_id, as_of = (next(iter(names)), next(iter(ends))) if ok else (None, None)
        detail = f"file names {sorted(names)}, trailing period_end {sorted(ends)}"
    if ok:
        tally.saw(run_id, as_of)
    else:
        tally.add("mixed", detail)
    tally.add("reads")


def not_found_explained(wh, kind, before, error):
    """Whether a "not found" is the expected one (see the module's docstring)."""
    if before is None:
        return False  # `current` itself was missing
    if kind == "naive":
        try:
            return os.readlink(os.path.join(wh, "current")) != before
        except OSError:
            return False
    # A resolved read: the error names the run folder it resolved (else take the one
    # `current` named as the read began). A pruned run's folder goes away, file by file
    # (remove_dir_all), so give it a few seconds; one that stays was not pruned.
    folder = (re.findall(r"runs/([0-9TZ.\-]+)", str(error)) or [os.path.basename(before)])[0]
    for _ in range(100):
        if not os.path.isdir(os.path.join(wh, "runs", folder)):
            return True
        time.sleep(0.05)
    return False


def loop(read, kind, tally, stop, done, deadline, wh, *args):
    n = 0
    while not stop.is_set() and (not done.is_set() or tally.reads < MIN_READS) and time.monotonic() < deadline:
        n += 1
        before = None
        try:
            before = os.readlink(os.path.join(wh, "current"))  # `current` must always be there
            read(wh, tally, n, *args)
        except Exception as error:  # every failure is classified; none is ignored
            # The warehouse's own path is left out of the match: a temp dir's random name
            # could hold "eof" or "magic".
            text = f"{type(error).__name__}: {error}".replace(wh, "WH").lower()
            # The operating system's "no such file" (errno 2) is a file that is gone, even
            # when pyarrow wraps it in "could not read schema ... is this a parquet file?";
            # only without it do decode words mean torn bytes.
            gone = "no such file or directory" in text or "[errno 2]" in text
            if not gone and any(k in text for k in TORN):
                tally.add("torn", text[:400])
            elif gone or isinstance(error, FileNotFoundError) or any(k in text for k in NOT_FOUND):
                if not_found_explained(wh, kind, before, error):
                    tally.add("not_found")  # and read again, from a fresh resolve
                else:
                    why = ("current was missing" if before is None else "current did not move" if kind == "naive"
                           else "the run is still there")
                    tally.add("errors", f"not found, yet {why}: {text[:300]}")
            else:
                tally.add("errors", text[:400])


def main(binary):
    started = time.monotonic()
    deadline = started + DEADLINE_S
    work = tempfile.mkdtemp(prefix="retention-readers-")
    inbox, wh = os.path.join(work, "inbox"), os.path.join(work, "wh")
    pipeline = os.path.join(work, "p.toml")
    with open(pipeline, "w") as f:
        f.write(f"[publish]\nkeep_runs = {KEEP_RUNS}\n[settings]\nmax_quarantine_share = 1.0\n")
    env = dict(os.environ, RETENTION_PSEUDONYM_KEY="reader-loop-key", RUST_LOG="warn")

    def execute(args, what):
        try:
            result = subprocess.run([binary] + args, capture_output=True, text=True, env=env,
                                    timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            check(False, f"{what} did not finish within the script's {DEADLINE_S} s")
            return None
        if not check(result.returncode == 0, f"{what} exited {result.returncode}"):
            print(f"{what} exited {result.returncode}; its stderr:\n{result.stderr}")
            return None
        return result

    if execute(["generate", "--workers", "300", "--years", "3", "--offices", "6", "--seed", "5",
                "--as-of", DATES[0], "--out", inbox], "generate") is None:
        return finish(work, [])
    generated = time.monotonic()

    published = []  # (run id, as-of), in publish order
    run_times = []

    def publish(i):
        as_of = DATES[i % 2]
        t0 = time.monotonic()
        result = execute(["run", "--inbox", inbox, "--warehouse", wh, "--pipeline", pipeline, "--as-of", as_of],
                         f"run {i + 1} (as-of {as_of})")
        run_times.append(time.monotonic() - t0)
        if result is None:
            return False
        with open(os.path.join(wh, "current.json")) as f:
            pointer = json.load(f)
        said = re.search(r"published run (\S+)", result.stdout)
        check(said is not None and said.group(1) == pointer["run_id"] and pointer["as_of"] == as_of,
              f"run {i + 1} said {result.stdout.strip().splitlines()[-1:]} , current.json is {pointer}")
        published.append((pointer["run_id"], as_of))
        return True

    if not publish(0):
        return finish(work, [])
    stop, done = threading.Event(), threading.Event()
    con = duckdb.connect()
    has_kv = con.execute("select count(*) from duckdb_functions() where function_name = 'parquet_kv_metadata'").fetchone()[0] > 0
    readers = [
        (pyarrow_resolved, "resolved", Tally("pyarrow resolved", "pruned under the reader"), ()),
        (duckdb_resolved, "resolved", Tally("duckdb resolved", "pruned under the reader"), (con.cursor(), has_kv)),
        (naive, "naive", Tally("pyarrow naive", "not found as current moved"), (None,)),
        (naive, "naive", Tally("duckdb naive", "not found as current moved"), (con.cursor(),)),
    ]
    threads = [threading.Thread(target=loop, args=(read, kind, tally, stop, done, deadline, wh) + args)
               for read, kind, tally, args in readers]
    readers_started = time.monotonic()
    for t in threads:
        t.start()
    try:
        for i in range(1, RUNS):
            if not publish(i):
                stop.set()
                break
    finally:
        done.set()
        for t in threads:
            t.join()
    finished = time.monotonic()

    tallies = [tally for _, _, tally, _ in readers]
    as_of_of = dict(published)
    order = {run_id: i for i, (run_id, _) in enumerate(published)}
    for tally in tallies:
        print(tally.line())
        for example in tally.examples:
            print("   ", example)
        check(tally.torn == 0, f"{tally.name}: {tally.torn} torn reads")
        check(tally.mixed == 0, f"{tally.name}: {tally.mixed} mixed or wrong results")
        check(tally.errors == 0, f"{tally.name}: {tally.errors} errors other than an explained not found")
        check(tally.reads >= MIN_READS, f"{tally.name}: {tally.reads} reads, fewer than {MIN_READS}")
        check(len(tally.seen) >= 2, f"{tally.name} saw {len(tally.seen)} runs: it did not read while runs published")
        wrong = {r: sorted(a) for r, a in tally.seen.items() if r not in as_of_of or a != {as_of_of[r]}}
        check(not wrong, f"{tally.name}: runs and as-ofs read {wrong}, never published so "
                         f"(published: {published})")
        if tally.pointers:
            bad = [(link_id, pointer_id, pointer_as_of) for link_id, pointer_id, pointer_as_of in tally.pointers
                   if not (link_id in order and pointer_id in order and abs(order[link_id] - order[pointer_id]) <= 1
                           and as_of_of.get(pointer_id) == pointer_as_of)]
            check(not bad, f"{tally.name}: {len(bad)} of {len(tally.pointers)} resolves found current and current.json "
                           f"more than one publish apart or current.json with another as-of, e.g. {bad[:3]}")

    if len(published) == RUNS:
        kept = sorted(os.listdir(os.path.join(wh, "runs")))
        last = [run_id for run_id, _ in published[-KEEP_RUNS:]]
        check(kept == sorted(last), f"runs/ holds {kept}, not the last {KEEP_RUNS} runs {last}")
        check(os.readlink(os.path.join(wh, "current")) == f"runs/{last[-1]}", "current is not the last run")
    print(f"timing: generate {generated - started:.1f} s, {len(run_times)} runs {sum(run_times):.1f} s "
          f"(each {min(run_times):.1f}-{max(run_times):.1f} s), readers {finished - readers_started:.1f} s, "
          f"total {time.monotonic() - started:.1f} s; {len(published)} runs published, keep_runs {KEEP_RUNS}; "
          f"parquet_kv_metadata {'checked' if has_kv else 'not in this DuckDB'}")
    return finish(work, tallies)


def finish(work, tallies):
    for message in failures[:30]:
        print("FAIL:", message)
    if failures:
        print(f"kept {work} for a look")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"reader_loop: {checks[0] - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv[1])
