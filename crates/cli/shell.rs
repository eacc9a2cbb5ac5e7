//! The interactive prompt of `retention query` on a terminal: line editing and history
//! (rustyline, history kept in `~/.retention_history`), Ctrl-C to drop the statement being
//! typed and to cancel the one running, Ctrl-D or `\q` to leave, and psql's meta-commands for what an analyst needs:
//! `\?`, `\d`, `\dt`, `\dv`, `\d NAME` (columns, types and descriptions), `\timing`, `\x`
//! (one column per line) and `\o FILE`.

use crate::commands::Failure;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use std::io::Write;
use std::time::Instant;

/// Runs one SQL statement.
pub type Execute<'a> = &'a dyn Fn(&str) -> Result<(SchemaRef, Vec<RecordBatch>), Failure>;
/// Prints a result in the chosen format.
pub type Print<'a> = &'a dyn Fn(&SchemaRef, &[RecordBatch], &mut dyn Write) -> Result<(), Failure>;

const HELP: &str = "\
  \\?          this list
  \\d          tables and views
  \\dt         the published tables (schema warehouse)
  \\dv         the leadership views
  \\d NAME     a table's or view's columns, types and descriptions
  \\timing     show each statement's time (on/off)
  \\x          one line per column (on/off)
  \\o FILE     write results to FILE; \\o alone: back to the terminal
  \\q          quit (or Ctrl-D); Ctrl-C drops the statement being typed
End each SQL statement with ';'.";

/// The code of the failure an `Execute` returns for a statement cancelled by Ctrl-C: the
/// prompt prints its message as it is, not as an error.
pub const CANCELLED: u8 = 130;

/// What the prompt keeps between statements.
struct State {
    timing: bool,
    expanded: bool,
    output: Option<std::fs::File>,
}

/// Reads statements and meta-commands until `\q` or end of input. `interrupted` is the flag
/// a Ctrl-C (SIGINT) sets and `execute` watches: it is cleared before each line is read, so
/// a Ctrl-C pressed between Enter and the start of the statement still cancels it (at the
/// prompt itself the terminal is in raw mode and Ctrl-C is a key, not a signal).
pub fn run(
    execute: Execute<'_>,
    print: Print<'_>,
    interrupted: &std::sync::atomic::AtomicBool,
) -> Result<(), Failure> {
    let mut editor = DefaultEditor::new().map_err(|e| Failure {
        code: 1,
        message: format!("cannot start the prompt ({e})"),
    })?;
    let history =
        std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".retention_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    eprintln!("retention query: end statements with ';'. \\? lists the commands, \\q quits.");
    let mut state = State {
        timing: false,
        expanded: false,
        output: None,
    };
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "retention> "
        } else {
            "       ... "
        };
        interrupted.store(false, std::sync::atomic::Ordering::SeqCst);
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                return Err(Failure {
                    code: 1,
                    message: format!("cannot read the prompt ({e})"),
                });
            }
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            let _ = editor.add_history_entry(trimmed);
            match meta(trimmed, &mut state) {
                Meta::Quit => break,
                Meta::Done => {}
                Meta::Sql(sql) => statement(&sql, execute, print, &mut state),
            }
            continue;
        }
        if buffer.is_empty() && matches!(trimmed, "quit" | "exit") {
            break;
        }
        if trimmed.is_empty() && buffer.is_empty() {
            continue;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if trimmed.ends_with(';') {
            let _ = editor.add_history_entry(buffer.trim_end());
            for sql in retention_pipeline::query::split_statements(&buffer) {
                statement(&sql, execute, print, &mut state);
            }
            buffer.clear();
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

/// What a meta-command asks for.
enum Meta {
    Quit,
    Done,
    Sql(String),
}

fn meta(command: &str, state: &mut State) -> Meta {
    let mut words = command.split_whitespace();
    let name = words.next().unwrap_or("");
    let argument = words.next();
    let relations = |filter: &str| {
        Meta::Sql(format!(
            "select table_schema, table_name, table_type from information_schema.tables where {filter} order by 1, 2"
        ))
    };
    match (name, argument) {
        ("\\q", _) => Meta::Quit,
        ("\\?", _) => {
            eprintln!("{HELP}");
            Meta::Done
        }
        ("\\d", None) => relations("table_schema in ('public', 'warehouse')"),
        ("\\dt", _) => relations("table_schema = 'warehouse'"),
        ("\\dv", _) => relations("table_schema = 'public' and table_type = 'VIEW'"),
        ("\\d", Some(relation)) => describe(relation),
        ("\\timing", _) => {
            state.timing = !state.timing;
            eprintln!("Timing is {}.", if state.timing { "on" } else { "off" });
            Meta::Done
        }
        ("\\x", _) => {
            state.expanded = !state.expanded;
            eprintln!(
                "Expanded display is {}.",
                if state.expanded { "on" } else { "off" }
            );
            Meta::Done
        }
        ("\\o", None) => {
            state.output = None;
            eprintln!("Results go to the terminal.");
            Meta::Done
        }
        ("\\o", Some(file)) => {
            match std::fs::File::create(file) {
                Ok(f) => {
                    state.output = Some(f);
                    eprintln!("Results go to {file}.");
                }
                Err(e) => eprintln!("error: {file}: cannot create ({e})"),
            }
            Meta::Done
        }
        _ => {
            eprintln!("error: unknown command {name}; \\? lists the commands");
            Meta::Done
        }
    }
}

/// `\d NAME`: the relation's columns (the view's when a view and a table share the
/// name, unless NAME says `warehouse.`), with the data dictionary's descriptions.
fn describe(relation: &str) -> Meta {
    let (schema, name) = match relation.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, relation),
    };
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain(name) || schema.is_some_and(|s| !plain(s)) {
        eprintln!("error: {relation:?} is not a table or view name");
        return Meta::Done;
    }
    let schema_given = schema;
    let schema = match schema {
        Some(s) => format!("'{s}'"),
        None => format!(
            "(select min(table_schema) from information_schema.columns where table_name = '{name}')"
        ),
    };
    // A view's columns are described by the dictionary of the tables it reads.
    let view = retention_pipeline::sql::VIEWS
        .iter()
        .find(|v| v.name == name && schema_given.is_none_or(|s| s != "warehouse"));
    let described = match view {
        Some(v) => {
            if let Some(about) = v.description() {
                println!("View {name}: {about}");
            }
            let sources: Vec<String> = v
                .reads()
                .iter()
                .map(|t| format!("'{t}'"))
                .collect();
            format!(
                "(select column_name, min(description) as description from warehouse.columns \
                 where table_name in ({}) group by column_name) as c on c.column_name = i.column_name",
                sources.join(", ")
            )
        }
        None => "warehouse.columns as c on c.table_name = i.table_name and c.column_name = i.column_name"
            .to_string(),
    };
    Meta::Sql(format!(
        "select i.column_name, i.data_type, i.is_nullable, c.description \
         from information_schema.columns as i \
         left join {described} \
         where i.table_name = '{name}' and i.table_schema = {schema} \
         order by i.ordinal_position"
    ))
}

/// Runs one statement and prints its result (or its error), with its time when asked.
fn statement(sql: &str, execute: Execute<'_>, print: Print<'_>, state: &mut State) {
    let started = Instant::now();
    let result = execute(sql);
    let elapsed = started.elapsed();
    match result {
        Ok((schema, batches)) => {
            let mut stdout = std::io::stdout();
            let out: &mut dyn Write = match &mut state.output {
                Some(f) => f,
                None => &mut stdout,
            };
            let printed = if state.expanded {
                expanded(&batches, out)
            } else {
                print(&schema, &batches, out)
            };
            if let Err(f) = printed {
                eprintln!("error: {}", f.message);
            }
            let _ = out.flush();
        }
        Err(f) if f.code == CANCELLED => eprintln!("{}", f.message),
        Err(f) => eprintln!("error: {}", f.message),
    }
    if state.timing {
        eprintln!("Time: {:.3} ms", elapsed.as_secs_f64() * 1000.0);
    }
}

/// `\x`: each row as `column | value` lines under a `-[ RECORD n ]-` rule, as psql does.
fn expanded(batches: &[RecordBatch], out: &mut dyn Write) -> Result<(), Failure> {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let io = |e: std::io::Error| Failure {
        code: 1,
        message: format!("cannot write the result ({e})"),
    };
    let options = FormatOptions::default().with_null("∅");
    let mut record = 0;
    for batch in batches {
        let schema = batch.schema();
        let width = schema
            .fields()
            .iter()
            .map(|f| f.name().len())
            .max()
            .unwrap_or(0);
        let formatters: Vec<ArrayFormatter<'_>> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<_, _>>()
            .map_err(|e| Failure {
                code: 1,
                message: e.to_string(),
            })?;
        for row in 0..batch.num_rows() {
            record += 1;
            writeln!(out, "-[ RECORD {record} ]-").map_err(io)?;
            for (field, formatter) in schema.fields().iter().zip(&formatters) {
                writeln!(out, "{:<width$} | {}", field.name(), formatter.value(row)).map_err(io)?;
            }
        }
    }
    writeln!(out, "({record} row{})", if record == 1 { "" } else { "s" }).map_err(io)
}
