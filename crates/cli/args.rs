//! Command-line arguments. Every command's `--help` says what it does and shows an example.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Workforce retention analytics for child welfare agencies.
///
/// A nightly batch pipeline: it reads six HR, caseload, supervision, survey and program
/// extracts, quarantines bad rows without losing any, and publishes Parquet tables.
#[derive(Debug, Parser)]
#[command(name = "retention", version, about, long_about)]
#[command(
    after_help = "Examples:\n  retention demo\n  retention generate --workers 2000 --years 5 --offices 10 --out inbox\n  retention run --inbox inbox --warehouse warehouse\n  retention validate --inbox inbox"
)]
pub struct Cli {
    /// Log format on stderr: text for people (coloured only on a terminal, never with
    /// NO_COLOR set), json for log collectors (every line, the final error too, is one JSON
    /// object). The level comes from RUST_LOG (default: info); a bare level such as
    /// RUST_LOG=debug is for this program, its dependencies staying at warn.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a synthetic agency inbox (six CSV extracts) for demos, tests and benchmarks.
    #[command(
        after_help = "Example:\n  retention generate --workers 20000 --years 10 --offices 60 --faults 0.001 --out inbox\n\nWith --faults, bad rows of every quarantine reason are mixed in and listed in\nOUT/expected_quarantine.csv (source, line, reason). OUT/true_risk.csv holds the\nsimulation's true 12-month separation probability of every worker employed a year before\nas-of, the ceiling of the risk model's backtest.\n\nExit codes: 0 written; 1 cannot write OUT; 2 a value outside what the generator accepts.\n\nEnvironment: RUST_LOG, the log level (a bare level is for this program only); NO_COLOR,\nno colours in text logs."
    )]
    Generate(GenerateArgs),
    /// Validate an inbox and publish its tables into a warehouse (the nightly run).
    #[command(
        after_help = "Example:\n  retention run --inbox /data/inbox/2026-11-23 --warehouse /data/warehouse\n\nExit codes: 0 published; 1 failed (I/O, internal, warehouse locked by another run);\n2 bad invocation, pipeline file, a missing source, column or header, or a pseudonym key\nother than current's; 3 refused because a source's quarantined share is over\nmax_quarantine_share or a run guard fired (empty, drop, stale: see --accept). A failed,\nrefused or killed run leaves WAREHOUSE/current as it was; a failed or refused one leaves\nits record in WAREHOUSE/runs/<run id>.refused/run_manifest.json.\n\nEnvironment: RETENTION_PSEUDONYM_KEY, the key of the worker pseudonyms (unset: a random\nkey kept in WAREHOUSE/.pseudonym_key, created on the first run); RUST_LOG, the log level\n(a bare level is for this program only); NO_COLOR, no colours in text logs."
    )]
    Run(RunArgs),
    /// Check an inbox exactly as `run` would, report every problem, publish nothing.
    #[command(
        after_help = "Example:\n  retention validate --inbox /data/inbox/2026-11-23 --show 20\n  retention validate --inbox /data/inbox/2026-11-23 --warehouse /data/warehouse\n\nExit codes as for run: 0 the inbox would publish, 2 bad input (or, with --warehouse, a\nchanged pseudonym key), 3 a quarantine share is over its limit or a run guard fired.\n\nEnvironment: RETENTION_PSEUDONYM_KEY (with --warehouse, checked against the key of the\nrun in current); RUST_LOG, the log level (a bare level is for this program only);\nNO_COLOR, no colours in text logs."
    )]
    Validate(ValidateArgs),
    /// Run SQL against the published tables and leadership views (a prompt when no SQL is given).
    #[command(
        after_help = query_after_help()
    )]
    Query(QueryArgs),
    /// Generate a demo agency, run the nightly pipeline on it, print the headline numbers.
    #[command(
        after_help = "Example:\n  retention demo --dir demo-data\n\nWrites DIR/inbox and DIR/warehouse; rerunning replaces the inbox and publishes a new run.\nA DIR holding anything else, or an inbox holding a file the generator does not write, is\nrefused (exit 2) before anything is touched.\n\nExit codes: as for run (0 published, 1 failed, 2 bad invocation, 3 refused).\n\nEnvironment: RETENTION_PSEUDONYM_KEY, as for run; RUST_LOG; NO_COLOR."
    )]
    Demo(DemoArgs),
    /// Draw the leadership report (one HTML page with charts) of the current run again.
    #[command(
        after_help = "Examples:\n  retention report --warehouse /data/warehouse\n  retention report --warehouse /data/warehouse --out /srv/share/retention.html\n\nEvery run draws WAREHOUSE/current/report.html itself (stage report of the pipeline\nfile); this command draws it again, from the same leadership views, e.g. for a kept run\n(--run) or into another folder. The page is one file with its charts inline: no script,\nno network, printable, readable on a phone. It holds aggregates only, suppressed as the\nviews are.\n\nExit codes: 0 written; 1 cannot read the run or write the page; 2 no published run or\nno such run.\n\nEnvironment: RUST_LOG; NO_COLOR."
    )]
    Report(ReportArgs),
    /// List the runs a warehouse keeps, or point `current` back at one of them.
    #[command(
        subcommand,
        after_help = "Examples:\n  retention runs list --warehouse /data/warehouse\n  retention runs rollback --warehouse /data/warehouse 20261203T020000.000Z-01234\n\nA rollback switches WAREHOUSE/current (and current.json) atomically, as a publish does,\nand is refused while a run holds the warehouse's lock. The next run's guards compare\nwith the run rolled back to. Exit codes: 0 done; 1 locked or I/O; 2 no such run or\nwarehouse.\n\nEnvironment: RUST_LOG, the log level (a bare level is for this program only); NO_COLOR,\nno colours in text logs."
    )]
    Runs(RunsCommand),
    /// Serve the warehouse's views (and, to analysts, its tables) over the Postgres wire
    /// protocol, for psql, Metabase, Excel, Power BI and pandas.
    #[command(
        after_help = "Examples:\n  retention users add director --role leadership --warehouse /data/warehouse\n  retention serve --warehouse /data/warehouse\n  psql \"host=127.0.0.1 port=5433 dbname=retention user=director\" -c '\\dv'\n  retention serve --warehouse /data/warehouse --listen 0.0.0.0:5433 --tls-cert server.crt --tls-key server.key\n\nRoles: leadership sees the leadership views only (not even the names of the tables behind\nthem); analyst sees every published table but the quarantine, in schema warehouse, and\nthe views. Every statement that would write, copy, read a file or change an engine\nsetting is refused. A run published while the server runs is served from the next query\non, without a restart.\n\nExit codes: 0 stopped by Ctrl-C or SIGTERM; 1 the address cannot be bound or the\nwarehouse read; 2 no users file (or one others can read), no published run, a bad\ncertificate, or a non-loopback address without TLS or --insecure.\n\nEnvironment: RUST_LOG, the log level (a bare level is for this program only); NO_COLOR,\nno colours in text logs."
    )]
    Serve(ServeArgs),
    /// Add, list or remove the users `retention serve` lets in.
    #[command(
        subcommand,
        after_help = "Examples:\n  retention users add director --role leadership --warehouse /data/warehouse\n  echo \"$PASSWORD\" | retention users add etl --role analyst --users /etc/retention/users.toml\n  retention users list --warehouse /data/warehouse\n  retention users remove director --warehouse /data/warehouse\n\nThe users file (default WAREHOUSE/users.toml) is TOML, written owner-only (mode 0600),\nand holds each user's name, role and a SCRAM-SHA-256 verifier, never a password. The\npassword is read from a prompt, or from the first line of standard input when it is not\na terminal. The server reads the file at every login, so a change needs no restart.\n\nExit codes: 0 done; 1 the file cannot be written; 2 a bad name, role or password, or no\nsuch user.\n\nEnvironment: RUST_LOG; NO_COLOR."
    )]
    Users(UsersCommand),
}

/// Where the users file is: `--users FILE`, else `WAREHOUSE/users.toml`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct UsersFile {
    /// The warehouse; its users file is WAREHOUSE/users.toml.
    #[arg(long)]
    pub warehouse: Option<PathBuf>,
    /// The users file, when it is not WAREHOUSE/users.toml.
    #[arg(long)]
    pub users: Option<PathBuf>,
}

impl UsersFile {
    /// The users file's path.
    pub fn path(&self) -> PathBuf {
        match (&self.users, &self.warehouse) {
            (Some(f), _) => f.clone(),
            (None, Some(w)) => w.join("users.toml"),
            (None, None) => unreachable!("clap requires one of --users and --warehouse"),
        }
    }
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The warehouse whose current run is served.
    #[arg(long)]
    pub warehouse: PathBuf,
    /// Address and port to listen on. Anything but loopback needs TLS (or --insecure).
    #[arg(long, default_value = "127.0.0.1:5433")]
    pub listen: std::net::SocketAddr,
    /// The users file; default WAREHOUSE/users.toml.
    #[arg(long)]
    pub users: Option<PathBuf>,
    /// TLS certificate chain (PEM). With TLS on, plain connections are refused.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Listen beyond loopback without TLS (passwords stay safe with SCRAM, the data does not).
    #[arg(long)]
    pub insecure: bool,
    /// Connections served at once; more are refused with "too many clients" (SQLSTATE 53300).
    #[arg(long, default_value_t = 64)]
    pub max_connections: usize,
    /// Seconds a query may run before it is cancelled (SQLSTATE 57014).
    #[arg(long, default_value_t = 60.0)]
    pub query_timeout: f64,
    /// Megabytes a query's sorts, joins and aggregates may hold before it fails.
    #[arg(long, default_value_t = 1024)]
    pub query_memory_mb: usize,
}

/// `users` subcommands.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user, or set an existing user's role and password.
    Add(UsersAddArgs),
    /// The users and their roles.
    List(UsersFile),
    /// Remove a user.
    Remove(UsersRemoveArgs),
}

/// Arguments of `users add`.
#[derive(Debug, Args)]
pub struct UsersAddArgs {
    /// The login name.
    pub name: String,
    /// leadership (the views only) or analyst (every table but the quarantine, and the views).
    #[arg(long, value_parser = ["leadership", "analyst"])]
    pub role: String,
    /// Where the users file is.
    #[command(flatten)]
    pub file: UsersFile,
}

/// Arguments of `users remove`.
#[derive(Debug, Args)]
pub struct UsersRemoveArgs {
    /// The login name.
    pub name: String,
    /// Where the users file is.
    #[command(flatten)]
    pub file: UsersFile,
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Average headcount (workers employed on a typical day).
    #[arg(long, default_value_t = 2000)]
    pub workers: u32,
    /// Years of history ending at --as-of.
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Number of offices.
    #[arg(long, default_value_t = 12)]
    pub offices: u32,
    /// Random seed: the same seed and arguments write the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Last day of the history (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Share of extra bad rows to mix in, 0 (a clean inbox) to 0.04. Each source of 100 rows
    /// or more holds at most 4% bad rows, so the run's default 5% share check passes at any
    /// size; smaller sources get one bad row of every reason that applies.
    #[arg(long, default_value_t = 0.0)]
    pub faults: f64,
    /// Folder to write the extracts into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments shared by `run` and `validate`.
#[derive(Debug, Args)]
pub struct InboxArgs {
    /// Folder holding one night's extracts (<source>.csv, .csv.gz or .parquet).
    #[arg(long)]
    pub inbox: PathBuf,
    /// The run's reference date (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Pipeline file with stages and settings; default WAREHOUSE/pipeline.toml when it
    /// exists, else the contract's defaults (never a file found by the working directory).
    #[arg(long)]
    pub pipeline: Option<PathBuf>,
    /// Let one night through a run guard that would refuse it: empty (a required source
    /// with no accepted row), drop (far fewer rows than the run in current), stale (as-of
    /// long after the extracts' latest date). Repeat for several.
    #[arg(long, value_name = "GUARD", value_parser = parse_guard)]
    pub accept: Vec<retention_ingest::Guard>,
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Inbox, as-of and pipeline file.
    #[command(flatten)]
    pub inbox: InboxArgs,
    /// Folder to publish into; WAREHOUSE/current/<table>/*.parquet after a run.
    #[arg(long)]
    pub warehouse: PathBuf,
    /// Publish with a pseudonym key other than the one current was published with: every
    /// worker key changes, so worker-level history no longer joins across the change.
    #[arg(long)]
    pub new_pseudonym_key: bool,
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Inbox, as-of and pipeline file.
    #[command(flatten)]
    pub inbox: InboxArgs,
    /// Print up to this many quarantined rows (source:line reason detail).
    #[arg(long, default_value_t = 10)]
    pub show: usize,
    /// The warehouse a run would publish into: the drop guard and the key check compare
    /// with its current run (without it, they are not evaluated). Nothing is written.
    #[arg(long)]
    pub warehouse: Option<PathBuf>,
}

/// Output formats of `query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned table for people.
    Table,
    /// CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
    /// Parquet (needs --output, or stdout redirected to a file).
    Parquet,
}

impl OutputFormat {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Parquet => "parquet",
        }
    }
}

/// Arguments of `query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The warehouse whose current run is queried.
    #[arg(long)]
    pub warehouse: PathBuf,
    /// SQL to run; several statements may be separated by ';'.
    pub sql: Option<String>,
    /// Read the SQL from this file instead (`-` reads standard input).
    #[arg(short = 'f', long = "file", conflicts_with = "sql")]
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the result to this file instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Query a kept run instead of current (a run id `retention runs list` shows).
    #[arg(long)]
    pub run: Option<String>,
    /// Rows the table format shows at most (0: every row); csv, json and parquet always
    /// write every row.
    #[arg(long, default_value_t = 40)]
    pub max_rows: usize,
}

/// `retention report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The warehouse whose current run is drawn.
    #[arg(long)]
    pub warehouse: PathBuf,
    /// Where to write the page (default: report.html in the run's folder, which
    /// WAREHOUSE/current/report.html shows for the current run).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Draw a kept run instead of current (a run id `retention runs list` shows).
    #[arg(long)]
    pub run: Option<String>,
}

/// `runs` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// The kept runs, oldest first: published ones (the one in current marked) and the
    /// records of runs that failed or were refused.
    List(RunsListArgs),
    /// Point `current` at a kept, complete run.
    Rollback(RollbackArgs),
}

/// Arguments of `runs list`.
#[derive(Debug, Args)]
pub struct RunsListArgs {
    /// The warehouse.
    #[arg(long)]
    pub warehouse: PathBuf,
}

/// Arguments of `runs rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The warehouse.
    #[arg(long)]
    pub warehouse: PathBuf,
    /// The run to make current (a run id `runs list` shows as published).
    pub run_id: String,
}

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo inbox and warehouse.
    #[arg(long, default_value = "demo-data")]
    pub dir: PathBuf,
    /// Average headcount of the demo agency.
    #[arg(long, default_value_t = 3000)]
    pub workers: u32,
    /// Years of history.
    #[arg(long, default_value_t = 5)]
    pub years: u32,
    /// Number of offices.
    #[arg(long, default_value_t = 12)]
    pub offices: u32,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Reference date (YYYY-MM-DD); default today.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
}

fn parse_guard(text: &str) -> Result<retention_ingest::Guard, String> {
    retention_ingest::Guard::parse(text)
        .ok_or_else(|| format!("{text:?} is not a run guard; use empty, drop or stale"))
}

fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        // The shape is right but the day does not exist: say why.
        let parts: Vec<&str> = text.split('-').collect();
        if let [y, m, d] = parts[..]
            && let (Ok(year), Ok(month), Ok(day)) =
                (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>())
            && (1..=12).contains(&month)
            && day >= 1
            && y.len() == 4
        {
            let first = chrono::NaiveDate::from_ymd_opt(year, month, 1);
            let next =
                chrono::NaiveDate::from_ymd_opt(year + i32::from(month == 12), month % 12 + 1, 1);
            if let (Some(first), Some(next)) = (first, next) {
                let days = (next - first).num_days();
                return format!(
                    "{text:?} is not a real date: {} has {days} days in {year}",
                    first.format("%B")
                );
            }
        }
        format!("{text:?} is not a date; write it as YYYY-MM-DD")
    })
}

/// `query --help`'s epilogue; the view list comes from the pipeline's one list of views.
fn query_after_help() -> String {
    let views: Vec<&str> = retention_pipeline::sql::VIEWS
        .iter()
        .map(|v| v.name)
        .collect();
    format!(
        "Examples:\n  retention query --warehouse wh \"select * from office_risk where tenure_band = 'ALL' order by turnover_rate desc limit 5\"\n  retention query --warehouse wh -f report.sql --format csv > report.csv\n  retention query --warehouse wh\n\nWithout SQL on a terminal: a prompt with line editing and history; end statements with\n';'. \\? lists the meta-commands (\\d NAME, \\timing, \\x, \\o FILE, \\q); Ctrl-C drops\nthe statement being typed or cancels the one running.\n\nViews: {}.\nPublished tables are also in the schema `warehouse` (warehouse.office_indicators, ...).\n\nExit codes: 0 done (also when the reader closes the pipe early); 1 the warehouse cannot be\nread; 2 no published run, an SQL error, or several statements for one csv, json or\nparquet output.\n\nEnvironment: RUST_LOG, the log level (a bare level is for this program only); NO_COLOR,\nno colours in text logs.",
        views.join(", ")
    )
}
