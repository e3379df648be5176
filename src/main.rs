//! The `routesim` binary: parse arguments, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod outdir;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::arguments_refused(&e),
    };
    match cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            cli::note(format_args!("{}", cli::render_error(&e)));
            ExitCode::from(e.exit_code())
        }
    }
}
