//! Error types and the process exit codes they map to.
//!
//! The library never prints and never exits: it returns an [`Error`], and the binary turns it
//! into a message on stderr and one of the exit codes below.

use std::fmt;
use std::path::PathBuf;

/// Exit code for a successful run (every threshold met, when there are any).
pub const EXIT_SUCCESS: u8 = 0;
/// Exit code for a run that worked but failed its gate: a threshold (`[[slo]]`, `--assert`)
/// was breached, or a figure regressed against `--baseline`.
pub const EXIT_BREACHED: u8 = 1;
/// Exit code for bad input or usage: an unreadable or invalid scenario, a bad flag.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a run that could not finish its job for a reason that is not the user's
/// input: an output file that cannot be written, an `--out` folder another run is writing to.
pub const EXIT_FAILURE: u8 = 3;
/// Exit code for a run stopped by SIGINT or SIGTERM: the partial report was printed, marked
/// incomplete, and no `--out` files were written (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Every exit code with what it means, in order: the one list `--help` and README.md show
/// (a test checks README.md against it).
pub const EXIT_CODES: [(u8, &str); 5] = [
    (
        EXIT_SUCCESS,
        "success (every threshold met, when there are any)",
    ),
    (
        EXIT_BREACHED,
        "a gate failed: a threshold ([[slo]], --assert) was breached or a figure regressed against --baseline",
    ),
    (
        EXIT_BAD_INPUT,
        "bad input or usage: an unreadable or invalid scenario, a bad flag",
    ),
    (
        EXIT_FAILURE,
        "the run could not finish its job, e.g. an output file could not be written",
    ),
    (
        EXIT_INTERRUPTED,
        "interrupted by SIGINT or SIGTERM: the partial report was printed, marked incomplete",
    ),
];

/// The exit codes as `--help` lists them.
pub fn exit_codes_help() -> String {
    let mut out = String::from("Exit codes:");
    for (code, meaning) in EXIT_CODES {
        out.push_str(&format!("\n  {code:>3}  {meaning}"));
    }
    out
}

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario is invalid; every problem found is listed.
    #[error("{0}")]
    Scenario(Diagnostics),
    /// An input file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A command-line value that clap could not check by itself.
    #[error("{0}")]
    Usage(String),
    /// A run that could not go on for a reason found only while running: a replayed log that
    /// cannot be read any more, or changed since the scenario was checked.
    #[error("the run could not finish: {0}")]
    Run(String),
    /// Stopped by the caller's stop signal (SIGINT or SIGTERM, in the binary) before it had an
    /// answer: a command whose answer is a search or a measurement has nothing partial to give.
    #[error("interrupted: no report was printed")]
    Interrupted,
}

impl Error {
    /// The process exit code this error maps to.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Scenario(_) | Error::Read { .. } | Error::Usage(_) => EXIT_BAD_INPUT,
            Error::Write { .. } | Error::Run(_) => EXIT_FAILURE,
            Error::Interrupted => EXIT_INTERRUPTED,
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem found in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The key path, such as `agents[0].teams[1]`.
    pub key: String,
    /// 1-based line in the file, where the TOML parser or a span gives one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, where there is something useful to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without a hint.
    pub fn new(key: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            key: key.into(),
            line,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// All the problems found in one scenario file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The scenario file (or the data file the problem is in).
    pub file: PathBuf,
    /// The problems; never empty.
    pub items: Vec<Diagnostic>,
    /// Problems found besides `items`, counted but not listed (a data file's bad rows past
    /// the first [`MAX_DIAGNOSTICS`](crate::scenario::limits::MAX_DIAGNOSTICS)).
    pub unlisted: u64,
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file.display())?;
            if let Some(line) = d.line {
                write!(f, ":{line}")?;
            }
            if d.key.is_empty() {
                write!(f, ": {}", d.message)?;
            } else {
                write!(f, ": {}: {}", d.key, d.message)?;
            }
            if let Some(hint) = &d.hint {
                write!(f, "\n  hint: {hint}")?;
            }
        }
        if self.unlisted > 0 {
            write!(f, "\n... and {} more problems, not shown", self.unlisted)?;
        }
        Ok(())
    }
}
