//! `retention serve` (issue #14) with real clients on 127.0.0.1: tokio-postgres here, psql
//! (Debian's postgresql-client) for the catalog commands and TLS; psycopg and SQLAlchemy
//! in tests/server_clients.py. Every server is started and stopped by its test.

use crate::util::{bin, generate, run};
use retention_pipeline::sql::VIEWS;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

const LEADER: (&str, &str) = ("director", "director-password");
const ANALYST: (&str, &str) = ("ana", "analyst-password");
/// Worker-level and raw tables leadership must never see, not even by name.
const HIDDEN: [&str; 5] = [
    "worker_risk",
    "quarantine",
    "worker_months",
    "survey_scores",
    "worker_spells",
];

/// A small published warehouse with a leadership and an analyst user.
fn warehouse(dir: &Path) -> PathBuf {
    let inbox = generate(
        dir,
        &[
            "--workers",
            "150",
            "--years",
            "2",
            "--offices",
            "3",
            "--as-of",
            "2025-06-30",
        ],
    );
    let wh = dir.join("wh");
    publish(&inbox, &wh, "2025-06-30");
    for ((name, password), role) in [(LEADER, "leadership"), (ANALYST, "analyst")] {
        add_user(&wh, name, role, password);
    }
    wh
}

fn publish(inbox: &Path, wh: &Path, as_of: &str) {
    let (code, _, err) = run(&[
        "run",
        "--inbox",
        inbox.to_str().unwrap(),
        "--warehouse",
        wh.to_str().unwrap(),
        "--as-of",
        as_of,
    ]);
    assert_eq!(code, 0, "{err}");
}

fn add_user(wh: &Path, name: &str, role: &str, password: &str) {
    use std::io::Write;
    let mut child = bin()
        .args(["users", "add", name, "--role", role, "--warehouse"])
        .arg(wh)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running server; stopped when dropped.
pub struct Server {
    child: Child,
    /// Its port.
    pub port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `retention serve` on a free port of 127.0.0.1 with `extra` arguments.
    pub fn start(wh: &Path, extra: &[&str]) -> Server {
        let log = wh.with_extension(format!("serve-{}.log", rand_suffix()));
        let mut child = bin()
            .args(["serve", "--warehouse"])
            .arg(wh)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "no 'listening on' line ({line:?}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        Server { child, port, log }
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// A libpq connection string for `user`.
    pub fn conninfo(&self, (user, password): (&str, &str)) -> String {
        format!(
            "host=127.0.0.1 port={} dbname=retention user={user} password={password}",
            self.port
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_suffix() -> String {
    format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn connect(server: &Server, user: (&str, &str)) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(&server.conninfo(user), NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// The server's message (tokio-postgres' Display says only "db error").
fn text(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_string())
}

fn code(e: &tokio_postgres::Error) -> Option<SqlState> {
    e.as_db_error().map(|d| d.code().clone())
}

#[test]
fn leadership_logs_in_with_scram_and_reads_every_view_with_its_types() {
    let dir = tempfile::tempdir().unwrap();
    let wh = warehouse(dir.path());
    let server = Server::start(&wh, &[]);
    runtime().block_on(async {
        let c = connect(&server, LEADER).await.unwrap();
        for v in VIEWS {
            let rows = c
                .simple_query(&format!("select * from {}", v.name))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", v.name));
            assert!(!rows.is_empty(), "{}", v.name);
        }
        // Types as BI tools expect them, on the extended protocol with parameters.
        let rows = c
            .query(
                "select period_end, office_id, headcount_end, turnover_rate from office_risk \
                 where tenure_band = $1 and office_id = $2",
                &[&"ALL", &"ALL"],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let types: Vec<String> = rows[0]
            .columns()
            .iter()
            .map(|c| c.type_().name().to_string())
            .collect();
        assert_eq!(types, ["date", "text", "int8", "float8"]);
        let headcount: i64 = rows[0].get(2);
        assert!(headcount > 0);
        // The same number as `retention query` reads from the files.
        let (_, out, _) = run(&[
            "query",
            "--warehouse",
            wh.to_str().unwrap(),
            "--format",
            "csv",
            "select headcount_end from office_risk where tenure_band = 'ALL' and office_id = 'ALL'",
        ]);
        assert_eq!(out.lines().nth(1), Some(headcount.to_string().as_str()));

        let wrong = connect(&server, (LEADER.0, "not-the-password"))
            .await
            .unwrap_err();
        assert_eq!(
            code(&wrong),
            Some(SqlState::INVALID_PASSWORD),
            "{}",
            text(&wrong)
        );
        let unknown = connect(&server, ("nobody", "whatever-password"))
            .await
            .unwrap_err();
        assert_eq!(
            code(&unknown),
            Some(SqlState::INVALID_PASSWORD),
            "{}",
            text(&unknown)
        );
    });
    let log = server.log();
    assert!(
        log.contains("connection user=\"director\" role=\"leadership\" peer=127.0.0.1:")
            && log.contains("outcome=\"accepted\""),
        "{log}"
    );
    assert!(
        log.contains("outcome=\"refused: wrong user or password\""),
        "{log}"
    );
    assert!(
        log.contains(" query user=director role=\"leadership\" duration_ms="),
        "{log}"
    );
}

#[test]
fn leadership_cannot_read_or_name_the_tables_behind_the_views() {
    let dir = tempfile::tempdir().unwrap();
    let wh = warehouse(dir.path());
    let server = Server::start(&wh, &[]);
    let file = std::fs::read_dir(wh.join("current/worker_risk"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    runtime().block_on(async {
        let c = connect(&server, LEADER).await.unwrap();
        for table in HIDDEN.iter().chain(&["office_indicators", "tenure_bands"]) {
            for sql in [
                format!("select * from {table}"),
                format!("select * from warehouse.{table}"),
                format!("select count(*) from (select * from {table}) as t"),
                format!("with t as (select * from {table}) select count(*) from t"),
                format!(
                    "select * from office_risk where office_id in (select office_id from {table})"
                ),
            ] {
                let e = c.simple_query(&sql).await.unwrap_err();
                assert!(text(&e).contains("not found"), "{sql}: {}", text(&e));
                // A prepared statement (extended protocol), with a parameter.
                let prepared = format!("{sql} limit $1");
                assert!(c.query(&prepared, &[&1i64]).await.is_err(), "{prepared}");
            }
        }
        let e = c
            .simple_query(&format!("select * from '{}'", file.display()))
            .await
            .unwrap_err();
        assert!(
            text(&e).contains("not found"),
            "a file path as a table: {}",
            text(&e)
        );
        for sql in [
            "select * from pg_read_file('/etc/passwd')",
            "select * from read_parquet('/etc/passwd')",
        ] {
            assert!(c.simple_query(sql).await.is_err(), "{sql}");
        }
        // Not even by name, in either catalog.
        let mut names = String::new();
        for sql in [
            "select table_schema || '.' || table_name from information_schema.tables",
            "select table_name || '.' || column_name from information_schema.columns",
            "select relname from pg_catalog.pg_class",
            "select attname from pg_catalog.pg_attribute",
            "select viewname from pg_catalog.pg_views",
            "select tablename from pg_catalog.pg_tables",
            "select nspname from pg_catalog.pg_namespace",
            // Descriptions, too, name no hidden table.
            "select obj_description(c.oid, 'pg_class') from pg_catalog.pg_class as c",
            "select col_description(c.oid, a.attnum) from pg_catalog.pg_class as c \
             join pg_catalog.pg_attribute as a on a.attrelid = c.oid",
            "select pg_get_viewdef(c.oid) from pg_catalog.pg_class as c",
        ] {
            for m in c.simple_query(sql).await.unwrap() {
                if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                    names.push_str(r.get(0).unwrap_or(""));
                    names.push('\n');
                }
            }
        }
        let parts: Vec<&str> = names
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .collect();
        // ("quarantine" is also a word: data_quality counts quarantined rows.)
        for hidden in HIDDEN.iter().filter(|h| **h != "quarantine").chain(&[
            "office_indicators",
            "tenure_bands",
            "worker_id",
            "warehouse",
        ]) {
            assert!(
                !parts.contains(hidden),
                "{hidden} is named in the catalog:\n{names}"
            );
        }
        for v in VIEWS {
            assert!(names.contains(v.name), "{}", v.name);
        }

        // The analyst reads the tables, but not the quarantine, and no role sees a raw
        // worker id.
        let a = connect(&server, ANALYST).await.unwrap();
        for table in [
            "worker_months",
            "warehouse.worker_risk",
            "worker_spells",
            "office_indicators",
        ] {
            let n: i64 = a
                .query_one(&format!("select count(*) from {table}"), &[])
                .await
                .unwrap_or_else(|e| panic!("{table}: {e}"))
                .get(0);
            assert!(n > 0, "{table}");
        }
        for sql in [
            "select * from quarantine",
            "select * from warehouse.quarantine",
        ] {
            assert!(a.simple_query(sql).await.is_err(), "{sql}");
        }
        let columns: i64 = a
            .query_one(
                "select count(*) from information_schema.columns \
                 where column_name = 'worker_id' or table_name = 'quarantine'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(columns, 0);
    });
}

#[test]
fn every_write_copy_and_engine_setting_is_refused_for_both_roles() {
    let dir = tempfile::tempdir().unwrap();
    let wh = warehouse(dir.path());
    let server = Server::start(&wh, &[]);
    let copied = dir.path().join("copied.csv");
    let statements = [
        "create table t as select 1 as x".to_string(),
        "create view v as select 1 as x".to_string(),
        format!(
            "create external table e stored as parquet location '{}'",
            wh.join("current/worker_risk").display()
        ),
        "insert into office_risk select * from office_risk".to_string(),
        "delete from office_risk".to_string(),
        "drop view office_risk".to_string(),
        format!("copy (select * from office_risk) to '{}'", copied.display()),
        format!("copy office_risk to '{}'", copied.display()),
        "declare c cursor for insert into office_risk select * from office_risk".to_string(),
        "set datafusion.execution.batch_size = 1".to_string(),
        "set datafusion.catalog.information_schema = false".to_string(),
    ];
    let files = || {
        let mut all: Vec<PathBuf> = Vec::new();
        let mut stack = vec![wh.join("runs")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p)
                } else {
                    all.push(p)
                }
            }
        }
        all.sort();
        all
    };
    let before = files();
    runtime().block_on(async {
        for user in [LEADER, ANALYST] {
            let c = connect(&server, user).await.unwrap();
            // The analyst's tables cannot be written even by a cursor's query.
            if user == ANALYST {
                let e = c
                    .batch_execute("begin; declare w cursor for insert into warehouse.offices select * from warehouse.offices; fetch all from w; commit")
                    .await
                    .unwrap_err();
                assert_eq!(code(&e), Some(SqlState::INSUFFICIENT_PRIVILEGE), "{}", text(&e));
                let _ = c.batch_execute("rollback").await;
            }
            for sql in &statements {
                let simple = c.simple_query(sql).await.unwrap_err();
                let extended = c.query(sql.as_str(), &[]).await.unwrap_err();
                for e in [simple, extended] {
                    assert!(
                        code(&e) == Some(SqlState::INSUFFICIENT_PRIVILEGE)
                            || text(&e).contains("not supported")
                            || text(&e).contains("parser error"),
                        "{}: {sql}: {}",
                        user.0,
                        text(&e)
                    );
                }
            }
            // Nothing changed: the view reads as before, no file was written, no table made.
            assert!(c.simple_query("select * from office_risk").await.is_ok());
            assert!(c.simple_query("select * from e").await.is_err());
            assert!(c.simple_query("select * from t").await.is_err());
            // Session statements drivers send are answered.
            for sql in [
                "discard all",
                "set client_min_messages = warning",
                "set application_name = 'metabase'",
                "begin",
                "commit",
                "show datestyle",
            ] {
                c.simple_query(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {}", text(&e)));
            }
        }
    });
    assert!(!copied.exists(), "COPY wrote a file");
    assert_eq!(
        files(),
        before,
        "no file of the warehouse was added or removed"
    );
    let log = server.log();
    for user in ["director", "ana"] {
        assert!(
            log.contains(&format!("statement refused user=\"{user}\"")),
            "an audit line per refusal: {log}"
        );
    }
    assert!(
        log.contains("reason=\"DDL is refused: CreateExternalTable\""),
        "{log}"
    );
}

/// The first column of the first row of a simple-protocol query.
async fn first_value(c: &Client, sql: &str) -> String {
    c.simple_query(sql)
        .await
        .unwrap()
        .into_iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .unwrap()
}

#[test]
fn an_open_connection_sees_the_next_run_and_twenty_clients_query_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let wh = warehouse(dir.path());
    let server = Server::start(&wh, &[]);
    let rt = runtime();
    rt.block_on(async {
        let c = connect(&server, LEADER).await.unwrap();
        let latest = "select cast(max(period_end) as varchar) from office_risk";
        let prepared = c.prepare(latest).await.unwrap();
        let end: String = c.query_one(&prepared, &[]).await.unwrap().get(0);
        assert_eq!(end, "2025-06-30");
        // Answers of the simple protocol are kept per run (twice the same, the second
        // from memory), but never those of a volatile function.
        assert_eq!(first_value(&c, latest).await, "2025-06-30");
        assert_eq!(first_value(&c, latest).await, "2025-06-30");
        let random = "select cast(random() as varchar) from office_risk limit 1";
        assert_ne!(first_value(&c, random).await, first_value(&c, random).await);
        publish(&dir.path().join("inbox"), &wh, "2025-07-14");
        let end: String = c.query_one(latest, &[]).await.unwrap().get(0);
        assert_eq!(end, "2025-07-14", "the next query reads the new run");
        assert_eq!(
            first_value(&c, latest).await,
            "2025-07-14",
            "the simple protocol's cached answer is the new run's"
        );
        let end: String = c.query_one(&prepared, &[]).await.unwrap().get(0);
        assert_eq!(end, "2025-07-14", "a statement prepared before, too");

        // 20 clients, each querying back to back for two seconds.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let mut tasks = Vec::new();
        for i in 0..20 {
            let conninfo = server.conninfo(if i % 2 == 0 { LEADER } else { ANALYST });
            tasks.push(tokio::spawn(async move {
                let (c, conn) = tokio_postgres::connect(&conninfo, NoTls).await.unwrap();
                tokio::spawn(conn);
                let mut n = 0;
                while std::time::Instant::now() < until {
                    let rows = c.query("select * from office_risk", &[]).await.unwrap();
                    assert!(!rows.is_empty());
                    let one = c
                        .query(
                            "select turnover_rate from office_risk where office_id = $1 and tenure_band = $2",
                            &[&"ALL", &"ALL"],
                        )
                        .await
                        .unwrap();
                    assert_eq!(one.len(), 1);
                    n += 2;
                }
                n
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("a client failed");
        }
        assert!(total >= 40, "{total} queries");
    });
    assert!(server.log().contains("serving a new run"));
}

#[test]
fn limits_refuse_extra_connections_long_queries_and_big_ones() {
    let dir = tempfile::tempdir().unwrap();
    let wh = warehouse(dir.path());
    let server = Server::start(
        &wh,
        &[
            "--max-connections",
            "2",
            "--query-timeout",
            "0.5",
            "--query-memory-mb",
            "2",
        ],
    );
    runtime().block_on(async {
        let a = connect(&server, ANALYST).await.unwrap();
        let _b = connect(&server, LEADER).await.unwrap();
        let third = connect(&server, LEADER).await.unwrap_err();
        assert_eq!(
            code(&third),
            Some(SqlState::TOO_MANY_CONNECTIONS),
            "{}",
            text(&third)
        );
        assert!(
            text(&third).contains("--max-connections"),
            "{}",
            text(&third)
        );
        let slow = a
            .simple_query("select count(*) from generate_series(1, 100000000000)")
            .await
            .unwrap_err();
        assert_eq!(
            code(&slow),
            Some(SqlState::QUERY_CANCELED),
            "{}",
            text(&slow)
        );
        let big = a
            .simple_query(
                "select * from generate_series(1, 3000000) as t(x) order by x desc limit 1000000",
            )
            .await
            .unwrap_err();
        assert!(text(&big).contains("Resources exhausted"), "{}", text(&big));
        // The connection goes on after both.
        assert!(a.simple_query("select * from office_risk").await.is_ok());
    });
}

#[test]
fn serve_refuses_to_start_insecure_or_misconfigured() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let wh = warehouse(dir.path());
    let w = wh.to_str().unwrap();
    let serve = |extra: &[&str]| {
        let mut args = vec!["serve", "--warehouse", w];
        args.extend_from_slice(extra);
        run(&args)
    };
    let (code, _, err) = serve(&["--listen", "0.0.0.0:0"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("0.0.0.0:0: listening beyond this machine without TLS"),
        "{err}"
    );
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let (code, _, err) = serve(&[
        "--tls-cert",
        junk.to_str().unwrap(),
        "--tls-key",
        junk.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{}: holds no certificate", junk.display())),
        "{err}"
    );
    let users = wh.join("users.toml");
    std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = serve(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("readable by other users (mode 644)") && err.contains("chmod 600"),
        "{err}"
    );
    std::fs::remove_file(&users).unwrap();
    let (code, _, err) = serve(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no users file; add a user first: retention users add"),
        "{err}"
    );
}

/// psql itself: password login, `\dv`, `\d office_risk`, `\dv+` with descriptions, `\x`,
/// a select from every view; and TLS with a self-signed certificate made here.
#[test]
fn psql_lists_describes_and_reads_the_views_with_and_without_tls() {
    let dir = tempfile::tempdir().unwrap();
    let wh = warehouse(dir.path());
    // Commands separated by " \\ " are given as several -c options.
    let psql = |server: &Server, user: (&str, &str), ssl: &str, command: &str| {
        let out = std::process::Command::new("psql")
            .arg(format!(
                "host=127.0.0.1 port={} dbname=retention user={} sslmode={ssl}",
                server.port, user.0
            ))
            .args(["-X", "-v", "ON_ERROR_STOP=1"])
            .args(command.split(" \\\\ ").flat_map(|c| ["-c", c]))
            .env("PGPASSWORD", user.1)
            .output()
            .expect("psql runs (Debian's postgresql-client; make test installs it)");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    {
        let server = Server::start(&wh, &[]);
        let (code, out, err) = psql(&server, LEADER, "disable", "\\dv");
        assert_eq!(code, Some(0), "{err}");
        for v in VIEWS {
            assert!(out.contains(&format!(" public | {} ", v.name)), "{out}");
        }
        assert!(out.contains("(9 rows)"), "{out}");
        let (code, out, err) = psql(&server, LEADER, "disable", "\\d office_risk");
        assert_eq!(code, Some(0), "{err}");
        assert!(out.contains("View \"public.office_risk\""), "{out}");
        assert!(
            out.contains(" period_end ") && out.contains("| date "),
            "{out}"
        );
        assert!(
            out.contains(" turnover_rate ") && out.contains("| double precision "),
            "{out}"
        );
        let (code, out, err) = psql(&server, LEADER, "disable", "\\dv+ office_risk");
        assert_eq!(code, Some(0), "{err}");
        assert!(
            out.contains("The trailing 12 months per office and tenure band"),
            "{out}"
        );
        let (code, out, err) = psql(&server, LEADER, "disable", "\\d+ office_risk");
        assert_eq!(code, Some(0), "{err}");
        assert!(
            out.contains("Sort key: 1 (00-06m) to 5 (05y+), 6 for ALL"),
            "{out}"
        );
        assert!(
            !out.contains("warehouse."),
            "the definition names no table: {out}"
        );
        let (code, out, err) = psql(
            &server,
            LEADER,
            "disable",
            "\\x on \\\\ select office_id, tenure_band from office_risk where office_id = 'ALL' and tenure_band = 'ALL'",
        );
        assert_eq!(code, Some(0), "{err}");
        assert!(
            out.contains("-[ RECORD 1 ]") && out.contains("office_id   | ALL"),
            "{out}"
        );
        for v in VIEWS {
            let (code, _, err) = psql(
                &server,
                LEADER,
                "disable",
                &format!("select * from {}", v.name),
            );
            assert_eq!(code, Some(0), "{}: {err}", v.name);
        }
        let (code, _, err) = psql(&server, (LEADER.0, "wrong-password"), "disable", "select 1");
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains("password authentication failed for user \"director\""),
            "{err}"
        );
    }

    // TLS: a self-signed certificate; sslmode=require works, a plain connection is refused.
    let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = Server::start(
        &wh,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let (code, out, err) = psql(
        &server,
        LEADER,
        "require",
        "select count(*) > 0 as ok from office_risk",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(" t"), "{out}");
    let (code, _, err) = psql(&server, LEADER, "disable", "select 1");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("this server accepts TLS connections only"),
        "{err}"
    );
    assert!(server.log().contains("outcome=\"refused: not TLS\""));
}

/// `retention users`: add from standard input (owner-only file, no password in it), list,
/// set a new password, remove; a short password or an unknown user is refused (exit 2).
#[test]
fn users_are_added_listed_and_removed_from_an_owner_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("wh");
    std::fs::create_dir_all(&wh).unwrap();
    add_user(&wh, "director", "leadership", "first-password");
    add_user(&wh, "ana", "analyst", "second-password");
    let file = wh.join("users.toml");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("first-password") && !text.contains("second-password"),
        "{text}"
    );
    assert_eq!(
        text.matches("scram = \"SCRAM-SHA-256$4096:").count(),
        2,
        "{text}"
    );
    let w = wh.to_str().unwrap();
    let (code, out, _) = run(&["users", "list", "--warehouse", w]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "director                 leadership\nana                      analyst\n"
    );
    let (code, out, err) = run(&["users", "remove", "ana", "--warehouse", w]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("removed user ana from {}\n", file.display()));
    let (code, _, err) = run(&["users", "remove", "ana", "--warehouse", w]);
    assert_eq!(code, 2);
    assert!(err.contains("no user \"ana\""), "{err}");
    let out = bin()
        .args(["users", "add", "bob", "--role", "analyst", "--warehouse", w])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("shorter than 8 characters; nothing was changed")
    );
    let (_, out, _) = run(&["users", "list", "--warehouse", w]);
    assert_eq!(out, "director                 leadership\n");
}
