//! The `retention` binary: parse arguments, set up logging, run the command, print the
//! error and map it to the contract's exit codes (0 published, 1 failed, 2 bad
//! invocation or input, 3 refused over a quarantine share).

mod args;
mod commands;
mod progress;
mod shell;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: on the large benchmark agency it returns
/// freed memory to the system promptly (glibc's malloc kept the SQL stage's freed
/// tables resident) and allocates faster; see docs/performance.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Transparent huge pages cost more than they give here: the kernel zeroes a whole
    // 2 MiB page at its first touch, and on the benchmark agency that doubled the system
    // time (3.3-5.0 s against 1.5-2.0 s) and added 0.7 s of wall time (docs/performance.md).
    // Ordinary pages are zeroed only where touched. Best effort: an old kernel may refuse.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = args::Cli::parse();
    let format = cli.log_format;
    commands::init_logging(format);
    match commands::dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            match format {
                args::LogFormat::Text => eprintln!("error: {}", failure.message),
                // A log collector reads every line as JSON, the last one too.
                args::LogFormat::Json => eprintln!(
                    "{}",
                    serde_json::json!({
                        "timestamp": chrono::Utc::now()
                            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                        "level": "ERROR",
                        "message": failure.message,
                        "exit_code": failure.code,
                    })
                ),
            }
            ExitCode::from(failure.code)
        }
    }
}
