//! What every data file a scenario names (forecasts, rosters, durations) shares: reading it,
//! the message when it cannot be read, the line each row starts on, and the message for a row
//! of the wrong width.

use std::ops::Range;
use std::path::Path;

use super::Compiler;
use crate::scenario::NotUtf8;
use crate::scenario::replay_log;
use crate::scenario::{content_hash, read_data_file};

impl Compiler<'_> {
    /// Reads a data file the scenario names as `given` (at `path`, beside the scenario), and
    /// notes it with its contents' hash for the scenario's (see [`Model::inputs`]).
    ///
    /// [`Model::inputs`]: crate::model::Model::inputs
    pub(super) fn read_input(&mut self, given: &str, path: &Path) -> std::io::Result<String> {
        let text = read_data_file(path)?;
        self.note_input(given, content_hash(text.as_bytes()));
        Ok(text)
    }

    /// Notes a data file read (a replayed log, hashed as it streams past).
    pub(super) fn note_input(&mut self, given: &str, hash: String) {
        self.inputs.push((given.to_string(), hash));
    }
}

/// The message for a row whose cells do not match the `expected` count (the header's, or the
/// first row's): a stray comma, such as `1,234` for a thousand, or a missing one would move
/// every cell after it into the wrong column, so such a row is refused rather than read.
pub(super) fn ragged(found: usize, expected: usize, against: &str) -> String {
    let cells = |n: usize| format!("{n} cell{}", if n == 1 { "" } else { "s" });
    format!(
        "this row has {}, {against} {}",
        cells(found),
        cells(expected)
    )
}

/// The lines that the rows of a data file start on, asked in the order they are read: the
/// replayed logs' counter ([`replay_log::Lines`]), run over the whole text at once (a data
/// file is read whole). csv's own count is where the reader stood before it passed the end of
/// the row above, so a row after a blank line, and every row of a file with CRLF ends (as
/// Windows tools write them), was named by a line above its own.
pub(super) struct Lines<'a> {
    counted: replay_log::Lines<&'a [u8]>,
    /// The line of the last row asked about.
    last: u64,
}

impl<'a> Lines<'a> {
    /// Lines in `text`, the whole file.
    pub(super) fn new(text: &'a str) -> Self {
        let mut counted = replay_log::Lines::new(text.as_bytes());
        // Reading from memory cannot fail.
        let _ = std::io::copy(&mut counted, &mut std::io::sink());
        Lines { counted, last: 1 }
    }

    /// The line a row read (or the CSV error met instead) starts on.
    pub(super) fn of_row(&mut self, row: &csv::Result<csv::StringRecord>) -> u64 {
        self.of(match row {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        })
    }

    /// The line the header (or the CSV error met instead) starts on: blank lines may come
    /// before it. Asked before any row.
    pub(super) fn of_header(&mut self, header: &csv::Result<&csv::StringRecord>) -> u64 {
        self.of(match header {
            Ok(h) => h.position(),
            Err(e) => e.position(),
        })
    }

    /// The line of the row (or CSV error) at `pos`; without a position, the last row's.
    fn of(&mut self, pos: Option<&csv::Position>) -> u64 {
        if let Some(line) = self.counted.of(pos) {
            self.last = line;
        }
        self.last
    }
}

impl Compiler<'_> {
    /// The diagnostic for a data file that [`read_data_file`] could not read. A file that is
    /// not UTF-8 is named with the line of its first bad byte; it had been given the hint about
    /// the path and regular files, which sent people looking in the wrong place.
    pub(super) fn unreadable(
        &mut self,
        key: impl Into<String>,
        span: Option<Range<usize>>,
        path: &std::path::Path,
        e: std::io::Error,
    ) {
        let not_utf8 = e.get_ref().and_then(|e| e.downcast_ref::<NotUtf8>());
        let (msg, hint) = match not_utf8 {
            Some(bad) => (
                format!(
                    "{}:{}: this line is not valid UTF-8",
                    path.display(),
                    bad.line
                ),
                "a data file must be UTF-8: save it as such (in a spreadsheet, as \"CSV UTF-8\")",
            ),
            None => (
                format!("cannot read {}: {e}", path.display()),
                "the path is relative to the scenario file's folder; it must name a regular file",
            ),
        };
        self.err(key, span, msg).hint = Some(hint.into());
    }
}

/// The messages of a one-team, one-stream scenario whose `[[traffic]]` ends with `traffic`
/// (its source and handle time) and which has a data file `name` holding `contents`: for the
/// tests of data files' rows.
#[cfg(test)]
pub(super) fn problems(traffic: &str, name: &str, contents: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), contents).unwrap();
    let text = format!(
        "[simulation]\nduration = \"1h\"\n[[teams]]\nname = \"t\"\n\
         [[agents]]\nname = \"a\"\nteams = [\"t\"]\n\
         [[traffic]]\nname = \"web\"\n{traffic}\n"
    );
    let ov = crate::scenario::Overrides::default();
    match crate::scenario::compile_text(
        std::path::Path::new("t.toml"),
        "t.toml",
        &text,
        dir.path(),
        &ov,
    ) {
        Err(crate::error::Error::Scenario(d)) => {
            d.items.iter().map(|d| d.message.clone()).collect()
        }
        Err(e) => panic!("{e}"),
        Ok(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_named_by_their_own_line() {
        // (file, the line each record starts on, header included)
        for (text, want) in [
            ("a\n1\n2\n", vec![1, 2, 3]),
            ("a\r\n1\r\n2\r\n", vec![1, 2, 3]),
            ("a\n1\n\n\n2\n", vec![1, 2, 5]),
            ("a\r\n1\r\n\r\n2", vec![1, 2, 4]),
            ("\n\na\n1\n", vec![3, 4]),
            ("a\n\"x\r\ny\"\n3\n", vec![1, 2, 4]),
        ] {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            let mut lines = Lines::new(text);
            let got: Vec<u64> = reader.records().map(|r| lines.of_row(&r)).collect();
            assert_eq!(got, want, "{text:?}");
        }
    }
}
