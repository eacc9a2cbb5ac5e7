"""Python clients against `retention serve` (issue #14): psycopg and SQLAlchemy.

Run by `make test` as: python tests/server_clients.py target/debug/retention

It generates a small agency, publishes it, adds a leadership and an analyst user, starts
`retention serve` on a free port of 127.0.0.1 and checks, as pandas, notebooks and BI
tools would connect:

- psycopg (libpq's protocol, SCRAM-SHA-256 login), extended-protocol queries with
  parameters, server-side prepared statements (prepare=True), and the Python types that
  arrive: DATE as datetime.date, FLOAT8 as float, INT8 as int, TEXT as str;
- a wrong password is refused with SQLSTATE 28P01;
- SQLAlchemy's inspector (what BI tools ask when they connect): get_view_names() lists
  exactly the leadership views, get_columns('office_risk') their columns and types,
  get_table_names() nothing for leadership;
- a refused statement (COPY) is SQLSTATE 42501 and the connection goes on.

The server is stopped at the end, whatever happens. Exit 1 on any failure.
"""

import datetime
import os
import subprocess
import sys
import tempfile

import psycopg
import sqlalchemy

VIEWS = ["data_quality", "hiring_plan", "office_risk", "programs", "retention_curves",
         "risk_drivers", "supervision", "turnover_trend", "wellbeing"]
LEADER = ("director", "director-password")
ANALYST = ("ana", "analyst-password")

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def main(binary):
    binary = os.path.abspath(binary)
    env = dict(os.environ, RETENTION_PSEUDONYM_KEY="clients-key", RUST_LOG="warn")
    with tempfile.TemporaryDirectory() as work:
        inbox, wh = os.path.join(work, "inbox"), os.path.join(work, "wh")
        subprocess.run([binary, "generate", "--workers", "150", "--years", "2", "--offices", "3",
                        "--as-of", "2025-06-30", "--out", inbox], check=True, capture_output=True, env=env)
        subprocess.run([binary, "run", "--inbox", inbox, "--warehouse", wh, "--as-of", "2025-06-30"],
                       check=True, capture_output=True, env=env)
        for (name, password), role in [(LEADER, "leadership"), (ANALYST, "analyst")]:
            subprocess.run([binary, "users", "add", name, "--role", role, "--warehouse", wh],
                           input=password + "\n", text=True, check=True, capture_output=True, env=env)
        server = subprocess.Popen([binary, "serve", "--warehouse", wh, "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        try:
            line = server.stdout.readline()
            port = int(line.strip().rsplit(":", 1)[1])
            clients(port)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"server clients: {len(failures)} failures")
    sys.exit(1 if failures else 0)


def conninfo(port, user):
    return f"host=127.0.0.1 port={port} dbname=retention user={user[0]} password={user[1]}"


def clients(port):
    with psycopg.connect(conninfo(port, LEADER), autocommit=True) as conn:
        with conn.cursor() as cur:
            for view in VIEWS:
                cur.execute(f"select * from {view}")
                check(len(cur.fetchall()) > 0, f"psycopg: {view} has rows")
            query = ("select period_end, office_id, headcount_end, turnover_rate from office_risk "
                     "where tenure_band = %s and office_id = %s")
            for prepare in (False, True):
                cur.execute(query, ("ALL", "ALL"), prepare=prepare)
                rows = cur.fetchall()
                check(len(rows) == 1, f"psycopg prepare={prepare}: one ALL row, got {rows}")
                end, office, headcount, rate = rows[0]
                check(end == datetime.date(2025, 6, 30), f"DATE arrives as datetime.date: {end!r}")
                check(office == "ALL", f"TEXT arrives as str: {office!r}")
                check(isinstance(headcount, int) and headcount > 0, f"INT8 arrives as int: {headcount!r}")
                check(isinstance(rate, float) and 0 <= rate < 1, f"FLOAT8 arrives as float: {rate!r}")
            try:
                cur.execute("copy office_risk to '/tmp/retention-copied.csv'")
                check(False, "COPY was not refused")
            except psycopg.Error as e:
                check(e.sqlstate == "42501", f"COPY refused with 42501: {e.sqlstate} {e}")
            cur.execute("select count(*) from office_risk")
            check(cur.fetchone()[0] > 0, "the connection goes on after a refusal")
            check(not os.path.exists("/tmp/retention-copied.csv"), "COPY wrote no file")
    try:
        psycopg.connect(conninfo(port, (LEADER[0], "wrong-password"))).close()
        check(False, "a wrong password logged in")
    except psycopg.OperationalError as e:
        check("password authentication failed" in str(e), f"wrong password refused: {e}")

    for user, tables in [(LEADER, []), (ANALYST, None)]:
        engine = sqlalchemy.create_engine(
            f"postgresql+psycopg://{user[0]}:{user[1]}@127.0.0.1:{port}/retention")
        inspector = sqlalchemy.inspect(engine)
        views = sorted(inspector.get_view_names())
        check(views == VIEWS, f"SQLAlchemy {user[0]}: views {views}")
        columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("office_risk")}
        check(columns.get("period_end") == "DATE", f"office_risk.period_end: {columns.get('period_end')}")
        check(columns.get("turnover_rate") in ("DOUBLE PRECISION", "FLOAT"),
              f"office_risk.turnover_rate: {columns.get('turnover_rate')}")
        check(columns.get("headcount_end") == "BIGINT", f"office_risk.headcount_end: {columns.get('headcount_end')}")
        names = inspector.get_table_names()
        if tables is not None:
            check(names == tables, f"SQLAlchemy {user[0]}: tables {names}")
        else:
            check("worker_months" in names and "quarantine" not in names,
                  f"SQLAlchemy {user[0]}: tables {names}")
        with engine.connect() as conn:
            n = conn.execute(sqlalchemy.text("select count(*) from office_risk where tenure_band = :band"),
                             {"band": "ALL"}).scalar()
            check(n > 0, f"SQLAlchemy {user[0]}: a bound query returns {n}")
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
