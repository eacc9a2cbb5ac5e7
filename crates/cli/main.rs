//! The `retention` binary: parse arguments, set up logging, run the command, print the
//! error and map it to the contract's exit codes (0 published, 1 failed, 2 bad
//! invocation or input, 3 refused over a quarantine share).

mod args;
mod commands;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    commands::init_logging(cli.log_format);
    match commands::dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
