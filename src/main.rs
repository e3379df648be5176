//! The `routesim` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = routesim::cli::Cli::parse();
    match routesim::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{}", routesim::cli::render_error(&e));
            ExitCode::from(e.exit_code())
        }
    }
}
