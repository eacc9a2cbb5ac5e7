//! What each command does: turn arguments into calls on the library crates and print
//! their results. No domain logic lives here.

use crate::args::{
    Command, DemoArgs, GenerateArgs, InboxArgs, LogFormat, OutputFormat, QueryArgs, RunArgs,
    ValidateArgs,
};
use crate::progress::Bars;
use retention_contract::Day;
use retention_pipeline::{PipelineConfig, PipelineError, Published, RunRequest, check, run};
use std::path::{Path, PathBuf};
use tracing_subscriber::EnvFilter;

/// A command's failure: the sentence to print and the exit code.
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

/// Logs go to stderr; RUST_LOG sets the level (default info).
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
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
    }
}

fn query(args: &QueryArgs) -> Result<(), Failure> {
    use retention_pipeline::query::{QueryError, execute, open, split_statements};
    use std::io::{BufRead, IsTerminal, Read, Write};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| failed(format!("cannot start the query engine: {e}")))?;
    let code = |e: &QueryError| match e {
        QueryError::NoCurrentRun(_) | QueryError::Statement(_) => 2,
        _ => 1,
    };
    let ctx = runtime
        .block_on(open(&args.warehouse))
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
        write_result(args.format, &schema, &batches, out)
            .map_err(|e| failed(format!("cannot write the result ({e})")))
    };
    match script {
        Some(text) => {
            let statements = split_statements(&text);
            if statements.is_empty() {
                return Err(Failure {
                    code: 2,
                    message: "no SQL statement given".into(),
                });
            }
            for statement in &statements {
                run(statement, &mut out)?;
            }
        }
        None => {
            eprintln!("retention query: end statements with ';'. \\d lists relations, \\q quits.");
            let mut buffer = String::new();
            let stdin = std::io::stdin();
            loop {
                eprint!(
                    "{}",
                    if buffer.is_empty() {
                        "retention> "
                    } else {
                        "       ... "
                    }
                );
                let mut line = String::new();
                if stdin
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| failed(e.to_string()))?
                    == 0
                {
                    break;
                }
                let trimmed = line.trim();
                if buffer.is_empty() && (trimmed == "\\q" || trimmed == "quit" || trimmed == "exit")
                {
                    break;
                }
                if buffer.is_empty() && trimmed == "\\d" {
                    buffer = "select table_schema, table_name, table_type from information_schema.tables where table_schema in ('public', 'warehouse') order by 1, 2;".into();
                } else {
                    buffer.push_str(&line);
                }
                if buffer.trim_end().ends_with(';') {
                    for statement in split_statements(&buffer) {
                        if let Err(f) = run(&statement, &mut out) {
                            eprintln!("error: {}", f.message);
                        }
                    }
                    let _ = out.flush();
                    buffer.clear();
                }
            }
        }
    }
    out.flush()
        .map_err(|e| failed(format!("cannot write the result ({e})")))
}

fn write_result(
    format: OutputFormat,
    schema: &arrow::datatypes::SchemaRef,
    batches: &[arrow::array::RecordBatch],
    out: &mut dyn std::io::Write,
) -> Result<(), Box<dyn std::error::Error>> {
    match format {
        OutputFormat::Table => {
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            if rows > 0 {
                writeln!(
                    out,
                    "{}",
                    arrow::util::pretty::pretty_format_batches(batches)?
                )?;
            }
            writeln!(out, "({rows} row{})", if rows == 1 { "" } else { "s" })?;
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
            let mut buffer = Vec::new();
            let mut writer =
                parquet::arrow::ArrowWriter::try_new(&mut buffer, schema.clone(), None)?;
            for b in batches {
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
    let inbox = retention_synth::generate(&spec, &args.out, &mut |file| {
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

/// Loads the pipeline file: the one named, else pipelines/nightly.toml if present, else defaults.
fn load_config(path: Option<&Path>) -> (Result<PipelineConfig, PipelineError>, Option<PathBuf>) {
    let default = Path::new("pipelines/nightly.toml");
    let chosen = path
        .map(Path::to_path_buf)
        .or_else(|| default.is_file().then(|| default.to_path_buf()));
    match &chosen {
        Some(p) => (
            PipelineConfig::load(p).map_err(PipelineError::Config),
            chosen.clone(),
        ),
        None => (
            Ok(PipelineConfig::parse("", Path::new("(defaults)")).expect("defaults are valid")),
            None,
        ),
    }
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
    let (config, file) = load_config(args.inbox.pipeline.as_deref());
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
    Ok(())
}

fn validate(args: &ValidateArgs) -> Result<(), Failure> {
    let (config, file) = load_config(args.inbox.pipeline.as_deref());
    // Report pipeline-file problems and still check the inbox (with the defaults), so
    // that one validate shows everything that is wrong.
    let mut config_problem = None;
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
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
                eprintln!("{e}");
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
        &checked.counts,
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

fn demo(args: &DemoArgs) -> Result<(), Failure> {
    let as_of = args.as_of.unwrap_or_else(today);
    let inbox = args.dir.join("inbox");
    let warehouse = args.dir.join("warehouse");
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
    let (config, file) = load_config(None);
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
    Ok(())
}
