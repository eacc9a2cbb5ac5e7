//! What each command does: turn arguments into calls on the library crates and print
//! their results. No domain logic lives here.

use crate::args::{
    Command, DemoArgs, GenerateArgs, InboxArgs, LogFormat, OutputFormat, QueryArgs, ReportArgs,
    RollbackArgs, RunArgs, RunsCommand, RunsListArgs, ServeArgs, UsersCommand, ValidateArgs,
};
use crate::progress::Bars;
use retention_contract::Day;
use retention_pipeline::{PipelineConfig, PipelineError, Published, RunRequest, check, run};
use std::path::{Path, PathBuf};
use tracing_subscriber::EnvFilter;

/// A command's failure: the sentence to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// Exit code.
    pub code: u8,
    /// What went wrong, where, and what to do.
    pub message: String,
}

impl From<PipelineError> for Failure {
    fn from(e: PipelineError) -> Failure {
        Failure {
            code: e.exit_code() as u8,
            message: e.to_string(),
        }
    }
}

fn failed(message: impl Into<String>) -> Failure {
    Failure {
        code: 1,
        message: message.into(),
    }
}

/// The crates of this program, whose logs RUST_LOG's bare level is for.
const OUR_CRATES: [&str; 7] = [
    "retention",
    "retention_server",
    "retention_pipeline",
    "retention_ingest",
    "retention_models",
    "retention_contract",
    "retention_synth",
];

/// The log filter for a RUST_LOG value: unset, `info` for this program; a bare level
/// (`debug`) for this program's crates only, dependencies (DataFusion, its SQL parser)
/// staying at `warn`; anything with a target (`datafusion=debug`) or a list, as written.
/// A value that does not parse falls back to the default.
pub fn log_filter(rust_log: Option<&str>) -> EnvFilter {
    let ours = |level: &str| {
        let directives: Vec<String> = OUR_CRATES.iter().map(|c| format!("{c}={level}")).collect();
        EnvFilter::new(format!("warn,{}", directives.join(",")))
    };
    match rust_log.map(str::trim).filter(|s| !s.is_empty()) {
        None => ours("info"),
        Some(spec) if !spec.contains(['=', ',']) => match spec.parse::<tracing::Level>() {
            Ok(level) => ours(&level.to_string().to_lowercase()),
            Err(_) if spec.eq_ignore_ascii_case("off") => EnvFilter::new("off"),
            Err(_) => ours("info"),
        },
        Some(spec) => EnvFilter::try_new(spec).unwrap_or_else(|_| ours("info")),
    }
}

/// Whether text logs are coloured: only on a terminal, and never with NO_COLOR set.
pub fn colours() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The log format chosen, for the lines printed outside the log ([`problem`]).
static FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// Prints a problem found before the command fails: a sentence on stderr, or in JSON mode
/// an error event, so that every line a log collector reads is JSON.
fn problem(text: &str) {
    match FORMAT.get() {
        Some(LogFormat::Json) => tracing::error!("{text}"),
        _ => eprintln!("{text}"),
    }
}

/// Logs go to stderr; RUST_LOG sets the level ([`log_filter`]).
pub fn init_logging(format: LogFormat) {
    let _ = FORMAT.set(format);
    let filter = log_filter(std::env::var("RUST_LOG").ok().as_deref());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(format == LogFormat::Text && colours())
        .with_target(false);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Runs one command.
pub fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Generate(args) => generate(&args),
        Command::Run(args) => run_command(&args),
        Command::Validate(args) => validate(&args),
        Command::Demo(args) => demo(&args),
        Command::Query(args) => query(&args),
        Command::Report(args) => report(&args),
        Command::Runs(RunsCommand::List(args)) => runs_list(&args),
        Command::Runs(RunsCommand::Rollback(args)) => rollback(&args),
        Command::Serve(args) => serve(&args),
        Command::Users(command) => users(&command),
    }
}

fn serve(args: &ServeArgs) -> Result<(), Failure> {
    use retention_server::{Options, Server};
    let options = Options {
        warehouse: args.warehouse.clone(),
        listen: args.listen,
        users_file: args
            .users
            .clone()
            .unwrap_or_else(|| args.warehouse.join("users.toml")),
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        insecure: args.insecure,
        max_connections: args.max_connections.max(1),
        query_timeout: std::time::Duration::from_secs_f64(args.query_timeout.max(0.001)),
        query_memory: args.query_memory_mb.max(1) * 1024 * 1024,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async {
        let server = Server::bind(options).await.map_err(|e| Failure {
            code: e.exit_code(),
            message: e.to_string(),
        })?;
        let addr = server
            .local_addr()
            .map_err(|e| failed(format!("cannot read the bound address: {e}")))?;
        // Tests and scripts read the port from this line when --listen asked for port 0.
        println!("listening on {addr}");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let stop = async {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate()).expect("SIGTERM can be handled");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = term.recv() => {},
            }
        };
        server.serve(stop).await;
        Ok(())
    })
}

fn users(command: &UsersCommand) -> Result<(), Failure> {
    use retention_server::users::{Role, Users, UsersError};
    let to_failure = |e: UsersError| Failure {
        code: match e {
            UsersError::Io(..) => 1,
            _ => 2,
        },
        message: e.to_string(),
    };
    match command {
        UsersCommand::Add(args) => {
            let path = args.file.path();
            let role = Role::parse(&args.role).expect("clap checked the role");
            let password = read_password(&args.name)?;
            let existed = Users::add(&path, &args.name, role, &password).map_err(to_failure)?;
            println!(
                "{} user {} ({}) in {}",
                if existed { "updated" } else { "added" },
                args.name,
                role.name(),
                path.display()
            );
        }
        UsersCommand::List(file) => {
            let path = file.path();
            let users = Users::list(&path).map_err(to_failure)?;
            if users.all().is_empty() {
                println!("{}: no users", path.display());
            }
            for u in users.all() {
                println!("{:<24} {}", u.name, u.role.name());
            }
        }
        UsersCommand::Remove(args) => {
            let path = args.file.path();
            Users::remove(&path, &args.name).map_err(to_failure)?;
            println!("removed user {} from {}", args.name, path.display());
        }
    }
    Ok(())
}

/// A new password: asked twice at a prompt on a terminal, else the first line of stdin.
fn read_password(name: &str) -> Result<String, Failure> {
    use std::io::{BufRead, IsTerminal};
    let bad = |message: String| Failure { code: 2, message };
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for {name}: "))
            .map_err(|e| failed(format!("cannot read the password ({e})")))?;
        let again = rpassword::prompt_password("again: ")
            .map_err(|e| failed(format!("cannot read the password ({e})")))?;
        if first != again {
            return Err(bad("the two passwords differ; nothing was changed".into()));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| failed(format!("cannot read the password from stdin ({e})")))?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    if password.chars().count() < 8 {
        return Err(bad(format!(
            "the password for {name} is shorter than 8 characters; nothing was changed"
        )));
    }
    Ok(password)
}

fn runs_list(args: &RunsListArgs) -> Result<(), Failure> {
    use retention_pipeline::warehouse::kept_runs;
    if !args.warehouse.is_dir() {
        return Err(Failure {
            code: 2,
            message: format!(
                "{}: no such warehouse folder; pass the --warehouse runs publish into",
                args.warehouse.display()
            ),
        });
    }
    let runs = kept_runs(&args.warehouse).map_err(|e| failed(e.to_string()))?;
    println!(
        "  {:<28} {:<10} {:<11} {:<25} {:>18}",
        "run", "state", "as_of", "finished_at", "office_indicators"
    );
    for r in &runs {
        println!(
            "{} {:<28} {:<10} {:<11} {:<25} {:>18}{}",
            if r.current { "*" } else { " " },
            r.run_id,
            r.state,
            r.as_of,
            r.finished_at,
            r.rows.map_or("-".to_string(), |n| n.to_string()),
            r.refusal.as_deref().map_or(String::new(), |m| format!(
                "  {}",
                m.lines().next().unwrap_or("")
            )),
        );
    }
    println!(
        "({} run{}; * is current)",
        runs.len(),
        if runs.len() == 1 { "" } else { "s" }
    );
    Ok(())
}

fn rollback(args: &RollbackArgs) -> Result<(), Failure> {
    use retention_pipeline::warehouse::Warehouse;
    if !args.warehouse.join("runs").is_dir() {
        return Err(Failure {
            code: 2,
            message: format!(
                "{}: not a warehouse (no runs/ folder); pass the --warehouse runs publish into",
                args.warehouse.display()
            ),
        });
    }
    let warehouse = Warehouse::lock(&args.warehouse).map_err(PipelineError::from)?;
    let before = warehouse.current_run();
    warehouse
        .roll_back_to(&args.run_id)
        .map_err(PipelineError::from)?;
    tracing::info!(
        from = before.as_deref().unwrap_or("none"),
        to = %args.run_id,
        "rolled back: current now points at this run"
    );
    println!("current -> runs/{}", args.run_id);
    Ok(())
}

/// The exit code of a query error: 2 for what the user asked (no run, a bad statement),
/// 1 for what failed.
fn query_code(e: &retention_pipeline::query::QueryError) -> u8 {
    use retention_pipeline::query::QueryError;
    match e {
        QueryError::NoCurrentRun(_) | QueryError::NoSuchRun(..) | QueryError::Statement(_) => 2,
        _ => 1,
    }
}

fn report(args: &ReportArgs) -> Result<(), Failure> {
    let run_dir = retention_pipeline::query::run_folder(&args.warehouse, args.run.as_deref())
        .map_err(|e| Failure {
            code: query_code(&e),
            message: e.to_string(),
        })?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| run_dir.join(retention_pipeline::report::REPORT_FILE));
    let started = std::time::Instant::now();
    let written = retention_pipeline::report::write(&run_dir, &out).map_err(|e| Failure {
        code: e.exit_code() as u8,
        message: e.to_string(),
    })?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, out = %written.display(), "report drawn");
    println!("report written to {}", written.display());
    Ok(())
}

fn query(args: &QueryArgs) -> Result<(), Failure> {
    use retention_pipeline::query::{execute, open_run, split_statements_with_lines};
    use std::io::{IsTerminal, Read, Write};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| failed(format!("cannot start the query engine: {e}")))?;
    let code = query_code;
    let ctx = runtime
        .block_on(open_run(&args.warehouse, args.run.as_deref()))
        .map_err(|e| Failure {
            code: code(&e),
            message: e.to_string(),
        })?;
    if args.format == OutputFormat::Parquet
        && args.output.is_none()
        && std::io::stdout().is_terminal()
    {
        return Err(Failure { code: 2, message: "--format parquet writes binary data: pass --output FILE or redirect stdout to a file".into() });
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| failed(format!("{}: cannot create ({e})", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let script = match (&args.sql, &args.file) {
        (Some(sql), _) => Some(sql.clone()),
        (None, Some(file)) if file.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| failed(format!("cannot read SQL from stdin ({e})")))?;
            Some(text)
        }
        (None, Some(file)) => Some(std::fs::read_to_string(file).map_err(|e| Failure {
            code: 2,
            message: format!("{}: cannot read the SQL file ({e})", file.display()),
        })?),
        (None, None) if !std::io::stdin().is_terminal() => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| failed(format!("cannot read SQL from stdin ({e})")))?;
            Some(text)
        }
        (None, None) => None,
    };
    let run = |sql: &str, out: &mut dyn Write| -> Result<(), Failure> {
        let (schema, batches) = runtime.block_on(execute(&ctx, sql)).map_err(|e| Failure {
            code: code(&e),
            message: e.to_string(),
        })?;
        write_result(args.format, args.max_rows, &schema, &batches, out)
            .map_err(|e| failed(format!("cannot write the result ({e})")))
    };
    match script {
        Some(text) => {
            let statements = split_statements_with_lines(&text);
            if statements.is_empty() {
                return Err(Failure {
                    code: 2,
                    message: "no SQL statement given".into(),
                });
            }
            // A machine-readable output holds one result: two CSVs or JSON arrays back to
            // back, or two Parquet files in one, are not a valid file.
            if statements.len() > 1 && args.format != OutputFormat::Table {
                return Err(Failure {
                    code: 2,
                    message: format!(
                        "--format {} writes one result, and {} statements were given: run them one at a time (or use --format table)",
                        args.format.name(),
                        statements.len()
                    ),
                });
            }
            // Errors in a script file say where, as psql does: `FILE:LINE: ...`.
            let script_name = args.file.as_ref().map(|f| {
                if f.as_os_str() == "-" {
                    "stdin".to_string()
                } else {
                    f.display().to_string()
                }
            });
            for (line, statement) in &statements {
                match run(statement, &mut out) {
                    // A reader that stops reading (`| head`) ends the output quietly.
                    Err(f) if f.message.contains("Broken pipe") => return Ok(()),
                    Err(f) => {
                        return Err(match &script_name {
                            Some(name) => Failure {
                                code: f.code,
                                message: format!("{name}:{line}: {}", f.message),
                            },
                            None => f,
                        });
                    }
                    Ok(()) => {}
                }
            }
        }
        None => {
            // Ctrl-C while a statement runs cancels it and returns to the prompt (at the
            // prompt itself rustyline reads it as a key, in raw mode). The prompt clears the
            // flag before each line it reads, not here: a Ctrl-C pressed just after Enter,
            // before the statement starts, must still cancel it.
            let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            signal_hook::flag::register(signal_hook::consts::SIGINT, interrupted.clone())
                .map_err(|e| failed(format!("cannot handle Ctrl-C ({e})")))?;
            let execute = |sql: &str| {
                use std::sync::atomic::Ordering;
                let (ctx, sql) = (ctx.clone(), sql.to_string());
                let mut task = runtime.spawn(async move { execute(&ctx, &sql).await });
                runtime.block_on(async {
                    let watch = async {
                        while !interrupted.load(Ordering::SeqCst) {
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        }
                    };
                    tokio::select! {
                        joined = &mut task => match joined {
                            Ok(result) => result.map_err(|e| Failure {
                                code: code(&e),
                                message: e.to_string(),
                            }),
                            Err(e) => Err(failed(format!("the statement stopped ({e})"))),
                        },
                        () = watch => {
                            task.abort();
                            Err(Failure {
                                code: crate::shell::CANCELLED,
                                message: "Cancelled (Ctrl-C).".into(),
                            })
                        }
                    }
                })
            };
            let print = |schema: &arrow::datatypes::SchemaRef,
                         batches: &[arrow::array::RecordBatch],
                         out: &mut dyn Write| {
                write_result(args.format, args.max_rows, schema, batches, out)
                    .map_err(|e| failed(format!("cannot write the result ({e})")))
            };
            crate::shell::run(&execute, &print, &interrupted)?;
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| failed(format!("cannot write the result ({e})"))),
    }
}

/// Float64 values rounded to 4 decimals, for the table format only (the machine formats
/// keep every digit).
fn rounded(batch: &arrow::array::RecordBatch) -> arrow::array::RecordBatch {
    use arrow::array::{Array, ArrayRef, AsArray};
    use arrow::datatypes::{DataType, Float64Type};
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Float64 => {
                let values: arrow::array::Float64Array = c
                    .as_primitive::<Float64Type>()
                    .unary(|v| (v * 1e4).round() / 1e4);
                std::sync::Arc::new(values) as ArrayRef
            }
            _ => c.clone(),
        })
        .collect();
    arrow::array::RecordBatch::try_new(batch.schema(), columns).expect("same schema")
}

/// Text columns as plain Utf8 (DataFusion reads Parquet strings as Utf8View, which older
/// Parquet readers reject).
fn plain_strings(
    schema: &arrow::datatypes::SchemaRef,
    batches: &[arrow::array::RecordBatch],
) -> Result<(arrow::datatypes::SchemaRef, Vec<arrow::array::RecordBatch>), arrow::error::ArrowError>
{
    use arrow::datatypes::{DataType, Field, Schema};
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8View | DataType::LargeUtf8 => {
                f.as_ref().clone().with_data_type(DataType::Utf8)
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    let plain = std::sync::Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let batches = batches
        .iter()
        .map(|b| {
            let columns = b
                .columns()
                .iter()
                .zip(plain.fields())
                .map(|(c, f)| arrow::compute::cast(c, f.data_type()))
                .collect::<Result<Vec<_>, _>>()?;
            arrow::array::RecordBatch::try_new(plain.clone(), columns)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((plain, batches))
}

fn write_result(
    format: OutputFormat,
    max_rows: usize,
    schema: &arrow::datatypes::SchemaRef,
    batches: &[arrow::array::RecordBatch],
    out: &mut dyn std::io::Write,
) -> Result<(), Box<dyn std::error::Error>> {
    match format {
        OutputFormat::Table => {
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            // Only the rows shown are formatted: a whole large table as text would take
            // minutes and gigabytes.
            let limit = if max_rows == 0 { rows } else { max_rows };
            let mut shown = Vec::new();
            let mut left = limit;
            for b in batches {
                if left == 0 {
                    break;
                }
                let take = left.min(b.num_rows());
                shown.push(rounded(&b.slice(0, take)));
                left -= take;
            }
            if rows > 0 {
                writeln!(
                    out,
                    "{}",
                    arrow::util::pretty::pretty_format_batches(&shown)?
                )?;
            }
            let noun = if rows == 1 { "row" } else { "rows" };
            if rows > limit {
                writeln!(
                    out,
                    "({rows} {noun}, {limit} shown; --max-rows 0 shows all, --format csv writes all)"
                )?;
            } else {
                writeln!(out, "({rows} {noun})")?;
            }
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut *out);
            for b in batches {
                writer.write(b)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = arrow::json::ArrayWriter::new(&mut *out);
            let refs: Vec<&arrow::array::RecordBatch> = batches.iter().collect();
            writer.write_batches(&refs)?;
            writer.finish()?;
            writeln!(out)?;
        }
        OutputFormat::Parquet => {
            let (schema, batches) = plain_strings(schema, batches)?;
            let mut buffer = Vec::new();
            let mut writer = parquet::arrow::ArrowWriter::try_new(&mut buffer, schema, None)?;
            for b in &batches {
                writer.write(b)?;
            }
            writer.close()?;
            out.write_all(&buffer)?;
        }
    }
    Ok(())
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn generate(args: &GenerateArgs) -> Result<(), Failure> {
    let spec = retention_synth::AgencySpec {
        workers: args.workers,
        years: args.years,
        offices: args.offices,
        seed: args.seed,
        as_of: args.as_of.unwrap_or_else(today),
        faults: args.faults,
    };
    let started = std::time::Instant::now();
    let spinner = Bars::spinner("generate");
    let inbox = retention_synth::generate(&spec, &args.out, &mut |file| {
        if let Some(s) = &spinner {
            s.set_message(format!("writing {file}"));
        }
        tracing::info!(file, "writing")
    })
    .map_err(|e| Failure {
        code: if matches!(e, retention_synth::SynthError::InvalidSpec(_)) {
            2
        } else {
            1
        },
        message: e.to_string(),
    })?;
    if let Some(s) = spinner {
        s.finish_with_message("done");
    }
    for (source, rows) in &inbox.rows {
        println!("{source:<22} {rows:>12} rows");
    }
    println!("{:<22} {:>12} bad rows injected", "faults", inbox.faults);
    let t = &inbox.truth;
    println!(
        "true_risk.csv: {} workers employed on {} (as-of - 365), {} separated by as-of, {:.1} expected by the simulation's own hazards; their AUC {} is the ceiling of any risk model's backtest",
        t.workers,
        t.train_end,
        t.events,
        t.expected_events,
        t.auc.map_or("-".to_string(), |a| format!("{a:.3}"))
    );
    tracing::info!(out = %args.out.display(), elapsed_ms = started.elapsed().as_millis() as u64, "inbox written");
    Ok(())
}

/// The pipeline file a run reads when `--pipeline` is not given: `WAREHOUSE/pipeline.toml`.
pub const WAREHOUSE_PIPELINE: &str = "pipeline.toml";

/// Loads the pipeline file: the one named, else `WAREHOUSE/pipeline.toml` when present,
/// else the contract's defaults. Never one found by the working directory: under cron that
/// is not the folder the operator edited in, so a `pipelines/nightly.toml` there is named
/// in a warning (by `run` and `validate`, see [`warn_stray_pipeline`]) and not read.
fn load_config(
    path: Option<&Path>,
    warehouse: Option<&Path>,
) -> (Result<PipelineConfig, PipelineError>, Option<PathBuf>) {
    let beside = warehouse.map(|w| w.join(WAREHOUSE_PIPELINE));
    let chosen = path
        .map(Path::to_path_buf)
        .or_else(|| beside.filter(|p| p.is_file()));
    let loaded = match &chosen {
        Some(p) => PipelineConfig::load(p).map_err(PipelineError::Config),
        None => Ok(PipelineConfig::parse("", Path::new("(defaults)")).expect("defaults are valid")),
    };
    if let Ok(config) = &loaded {
        let file = chosen.as_ref().map_or_else(
            || "none: the defaults".to_string(),
            |p| {
                std::path::absolute(p)
                    .unwrap_or_else(|_| p.clone())
                    .display()
                    .to_string()
            },
        );
        let settings = serde_json::to_string(&config.settings).unwrap_or_default();
        tracing::info!(pipeline_file = %file, settings = %settings, "pipeline file");
    }
    (loaded, chosen)
}

/// Warns when `--pipeline` is not given, no `WAREHOUSE/pipeline.toml` exists, and the
/// working directory holds a `pipelines/nightly.toml` that the operator may think is read.
fn warn_stray_pipeline(file: Option<&Path>, warehouse: Option<&Path>) {
    let stray = Path::new("pipelines/nightly.toml");
    if file.is_some() || !stray.is_file() {
        return;
    }
    let put = warehouse.map_or_else(
        || "pass --pipeline".to_string(),
        |w| {
            format!(
                "pass --pipeline or copy it to {}",
                w.join(WAREHOUSE_PIPELINE).display()
            )
        },
    );
    tracing::warn!(
        "{} in the working directory is not read (a run does not depend on where it is started from), so the defaults are used: {put}",
        std::path::absolute(stray)
            .unwrap_or_else(|_| stray.to_path_buf())
            .display()
    );
}

fn request<'a>(
    args: &InboxArgs,
    config: PipelineConfig,
    file: Option<PathBuf>,
    bars: &'a Bars,
) -> RunRequest<'a> {
    RunRequest {
        inbox: args.inbox.clone(),
        as_of: Day::from_naive(args.as_of.unwrap_or_else(today)),
        config,
        pipeline_file: file,
        accept: args.accept.clone(),
        new_pseudonym_key: false,
        progress: bars,
    }
}

fn run_command(args: &RunArgs) -> Result<(), Failure> {
    let (config, file) = load_config(args.inbox.pipeline.as_deref(), Some(&args.warehouse));
    warn_stray_pipeline(file.as_deref(), Some(&args.warehouse));
    let bars = Bars::new();
    let request = RunRequest {
        new_pseudonym_key: args.new_pseudonym_key,
        ..request(&args.inbox, config?, file, &bars)
    };
    let published = run(&request, &args.warehouse)?;
    print_counts(&published);
    println!(
        "published run {} to {}",
        published.run_id,
        args.warehouse.join("current").display()
    );
    if let Some(report) = &published.report {
        println!("leadership report: {}", report.display());
    }
    Ok(())
}

fn validate(args: &ValidateArgs) -> Result<(), Failure> {
    let (config, file) = load_config(args.inbox.pipeline.as_deref(), args.warehouse.as_deref());
    warn_stray_pipeline(file.as_deref(), args.warehouse.as_deref());
    // Report pipeline-file problems and still check the inbox (with the defaults), so
    // that one validate shows everything that is wrong.
    let mut config_problem = None;
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            problem(&e.to_string());
            config_problem = Some(e);
            PipelineConfig::parse("", Path::new("(defaults)")).expect("defaults are valid")
        }
    };
    let bars = Bars::new();
    let request = request(&args.inbox, config, file, &bars);
    // With --warehouse, the run in its current is what the drop guard and the key compare
    // with; nothing is locked or written.
    let current = args
        .warehouse
        .as_deref()
        .and_then(retention_pipeline::warehouse::current_manifest)
        .as_ref()
        .and_then(retention_pipeline::manifest::CurrentRun::from_manifest);
    if let (Some(root), Some(current)) = (args.warehouse.as_deref(), &current) {
        // The warehouse's key as a run would use it, without creating one.
        let key = retention_pipeline::warehouse::read_pseudonym_key(root)
            .map_err(|e| failed(e.to_string()))?;
        if let Some((key, _)) = key {
            retention_pipeline::check_key(&request, &key, Some(current))?;
        }
    }
    let checked = match check(&request) {
        Ok(c) => c,
        Err(e) => {
            if config_problem.is_some() {
                problem(&e.to_string());
                return Err(Failure {
                    code: 2,
                    message: "the pipeline file and the inbox have problems (listed above)".into(),
                });
            }
            return Err(e.into());
        }
    };
    println!(
        "{:<22} {:>12} {:>12} {:>12}",
        "source", "read", "accepted", "quarantined"
    );
    for c in &checked.counts {
        println!(
            "{:<22} {:>12} {:>12} {:>12}",
            c.source.name(),
            c.rows_read,
            c.rows_accepted,
            c.rows_quarantined
        );
    }
    for ((source, reason), n) in checked.by_reason() {
        println!(
            "quarantined {:<22} {:<22} {n:>8}",
            source.name(),
            reason.code()
        );
    }
    for q in checked.quarantine.iter().take(args.show) {
        let file = checked
            .counts
            .iter()
            .find(|c| c.source == q.source)
            .and_then(|c| c.path.as_ref());
        let file = file.map_or_else(|| q.source.name().to_string(), |p| p.display().to_string());
        println!("{file}:{}: {} {}", q.line, q.reason.code(), q.detail);
    }
    if let Some(e) = config_problem {
        return Err(Failure {
            code: 2,
            message: format!(
                "the pipeline file has problems (listed above); {} in all",
                match &e {
                    PipelineError::Config(p) => p.len(),
                    _ => 1,
                }
            ),
        });
    }
    let refusals = retention_pipeline::stage::ingest::refusals(
        &request,
        &checked,
        current.as_ref().map(|c| &c.last),
    );
    if args.warehouse.is_none() {
        println!("run guard drop not checked: pass --warehouse to compare with its current run");
    }
    if !refusals.is_empty() {
        return Err(PipelineError::Refused(refusals).into());
    }
    println!("the inbox is valid: a run would publish");
    Ok(())
}

fn print_counts(published: &Published) {
    println!(
        "{:<22} {:>12} {:>12} {:>12}",
        "source", "read", "accepted", "quarantined"
    );
    for c in &published.counts {
        println!(
            "{:<22} {:>12} {:>12} {:>12}",
            c.source.name(),
            c.rows_read,
            c.rows_accepted,
            c.rows_quarantined
        );
    }
}

/// The demo clears and rewrites `DIR/inbox` and publishes into `DIR/warehouse`: a folder
/// holding anything else, or an inbox holding a file the generator does not write, is
/// someone's data, and is refused (exit 2) before anything is touched.
fn refuse_foreign_files(dir: &Path, inbox: &Path) -> Result<(), Failure> {
    let names = |folder: &Path| -> Vec<String> {
        std::fs::read_dir(folder)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let refuse = |path: PathBuf| Failure {
        code: 2,
        message: format!(
            "{}: the demo folder holds a file the demo did not write; it would be overwritten or deleted. Give --dir an empty or new folder, or one an earlier demo made",
            path.display()
        ),
    };
    let mut foreign: Vec<String> = names(dir)
        .into_iter()
        .filter(|n| n != "inbox" && n != "warehouse")
        .collect();
    foreign.sort();
    if let Some(name) = foreign.first() {
        return Err(refuse(dir.join(name)));
    }
    let generated = retention_synth::file_names();
    let mut foreign: Vec<String> = names(inbox)
        .into_iter()
        .filter(|n| !generated.contains(n))
        .collect();
    foreign.sort();
    match foreign.first() {
        Some(name) => Err(refuse(inbox.join(name))),
        None => Ok(()),
    }
}

fn demo(args: &DemoArgs) -> Result<(), Failure> {
    let as_of = args.as_of.unwrap_or_else(today);
    let inbox = args.dir.join("inbox");
    let warehouse = args.dir.join("warehouse");
    refuse_foreign_files(&args.dir, &inbox)?;
    if inbox.exists() {
        std::fs::remove_dir_all(&inbox).map_err(|e| {
            failed(format!(
                "{}: cannot clear the old demo inbox ({e})",
                inbox.display()
            ))
        })?;
    }
    let spec = retention_synth::AgencySpec {
        workers: args.workers,
        years: args.years,
        offices: args.offices,
        seed: args.seed,
        as_of,
        faults: 0.001,
    };
    println!(
        "Generating a synthetic agency: about {} workers, {} offices, {} years to {as_of} ...",
        args.workers, args.offices, args.years
    );
    let generated =
        retention_synth::generate(&spec, &inbox, &mut |file| tracing::debug!(file, "writing"))
            .map_err(|e| Failure {
                code: if matches!(e, retention_synth::SynthError::InvalidSpec(_)) {
                    2
                } else {
                    1
                },
                message: e.to_string(),
            })?;
    let (config, file) = load_config(None, Some(&warehouse));
    let config = config?;
    let min_group_size = config.settings.min_group_size;
    let bars = Bars::new();
    let inbox_args = InboxArgs {
        inbox: inbox.clone(),
        as_of: Some(as_of),
        pipeline: None,
        // The demo replaces its agency on every run, so a rerun with fewer workers is not
        // a broken extract.
        accept: vec![retention_ingest::Guard::Drop],
    };
    let started = std::time::Instant::now();
    let published = run(&request(&inbox_args, config, file, &bars), &warehouse)?;
    let elapsed = started.elapsed();

    println!("\nRows per source");
    print_counts(&published);
    println!("\nQuarantined rows by reason");
    if published.by_reason.is_empty() {
        println!("  none");
    }
    for ((source, reason), n) in &published.by_reason {
        println!("  {:<22} {:<22} {n:>6}", source.name(), reason.code());
    }
    let pct = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{:.1}%", 100.0 * r));
    println!("\nHeadcount and trailing-12-month turnover per office (as of {as_of})");
    println!(
        "  {:<10} {:>10} {:>12} {:>10}",
        "office", "headcount", "separations", "turnover"
    );
    for h in &published.headlines {
        println!(
            "  {:<10} {:>10} {:>12} {:>10}",
            h.office_id,
            h.headcount,
            h.separations,
            pct(h.turnover_rate)
        );
    }
    println!(
        "\nThe five offices with the highest trailing-12-month turnover, and their worst tenure band"
    );
    println!(
        "  {:<10} {:>10}   {:<8} {:>10}",
        "office", "turnover", "band", "turnover"
    );
    for h in retention_pipeline::headline::highest_turnover(&published.headlines, 5) {
        let (band, rate) = h
            .worst_band
            .map_or(("-".to_string(), None), |(b, r)| (b, Some(r)));
        println!(
            "  {:<10} {:>10}   {:<8} {:>10}",
            h.office_id,
            pct(h.turnover_rate),
            band,
            pct(rate)
        );
    }
    if let Some(p) = &published.practice {
        println!("\nSupervision over the trailing 12 months, state-wide");
        println!(
            "  {} worker-months the supervision extract covers; {} met the policy minimum; {} of their minutes were retention-focused",
            p.eligible_months,
            pct(p.supervision_compliance),
            pct(p.retention_focus_share)
        );
    }
    println!(
        "\nProgram attendance (sessions attended / offered per cohort; cohorts with fewer than {} enrollments counted show none)",
        min_group_size
    );
    if published.attendance.is_empty() {
        println!("  no program enrollments");
    }
    println!(
        "  {:<24} {:>8} {:>9} {:>17} {:>8} {:>15}",
        "program", "cohorts", "enrolled", "with attendance", "median", "range"
    );
    for a in &published.attendance {
        let range = match (a.rates.first(), a.rates.last()) {
            (Some(lo), Some(hi)) => format!("{} - {}", pct(Some(*lo)), pct(Some(*hi))),
            _ => "-".to_string(),
        };
        println!(
            "  {:<24} {:>8} {:>9} {:>17} {:>8} {:>15}",
            a.program,
            a.cohorts,
            a.enrolled,
            a.rates.len(),
            pct(a.median()),
            range
        );
    }
    if let Some(b) = &published.backtest {
        let number =
            |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
        println!(
            "\nRisk model backtest (fitted as of a year ago, scored on what happened since): {} workers, {} separated, {} predicted, AUC {}",
            b.n,
            b.events.map_or("-".to_string(), |e| e.to_string()),
            number(b.predicted_events, 1),
            number(b.auc, 3)
        );
        println!(
            "  the generator's true probabilities reach AUC {} on its {} workers: the best any model could do",
            number(generated.truth.auc, 3),
            generated.truth.workers
        );
    }
    println!("\nOffices with the most hires needed over the next 12 months (hiring_plan)");
    println!(
        "  {:<10} {:>10} {:>9} {:>22} {:>13}",
        "office", "headcount", "fte gap", "expected separations", "hires needed"
    );
    for h in &published.hiring {
        println!(
            "  {:<10} {:>10} {:>9.1} {:>22} {:>13}",
            h.office_id,
            h.headcount,
            h.fte_gap,
            h.expected_separations
                .map_or("-".to_string(), |e| format!("{e:.1}")),
            h.hires_needed.map_or("-".to_string(), |n| n.to_string())
        );
    }
    println!(
        "\nSeparations expected state-wide over the next 12 months, and how many are associated with each driver (risk_drivers)"
    );
    println!(
        "  {:<12} {:>10} {:>10} {:>10}",
        "driver", "expected", "scenario", "avoidable"
    );
    for d in &published.drivers {
        let one = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
        println!(
            "  {:<12} {:>10} {:>10} {:>10}",
            d.driver,
            one(d.predicted),
            one(d.scenario),
            one(d.avoidable)
        );
    }
    println!(
        "\nPipeline run took {:.1} s; tables are in {}",
        elapsed.as_secs_f64(),
        warehouse.join("current").display()
    );
    if let Some(report) = &published.report {
        println!(
            "The leadership report (open it in a browser): {}",
            report.display()
        );
    }
    Ok(())
}
