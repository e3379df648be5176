//! `roster = "file.csv"` on an agent group: its members and each one's week, one row per agent
//! (or per group of identical agents), as workforce-management tools export a schedule.
//!
//! A row becomes a window (or a day off) per weekday and breaks as (time of day, length) pairs;
//! [`super::roster::week_roster`] turns those into the [`Roster`], as it does for a `shift`
//! table, so both ways of writing a week are checked and built alike.

use toml::Spanned;

use super::Compiler;
use super::data_file::{Lines, ragged};
use super::forecast::shown;
use super::roster::week_roster;
use crate::model::*;
use crate::scenario::{limits, values};

const COLUMNS_HINT: &str = "columns are name, count (optional), one per weekday (mon ... sun, or monday ... sunday) and break columns (a header starting with break or lunch, such as break1, lunch)";

/// What a column of a roster file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Count,
    Day(usize),
    Break,
}

/// The column a header names, if it is one a roster file may have (case and surrounding
/// spaces do not matter).
fn column(header: &str) -> Option<Column> {
    let h = header.trim().to_ascii_lowercase();
    if h.chars().any(char::is_control) {
        return None;
    }
    if h == "name" {
        return Some(Column::Name);
    }
    if h == "count" {
        return Some(Column::Count);
    }
    // A weekday as `mon` or in full, `monday`.
    if let Some(d) = values::weekday_index(&h) {
        return Some(Column::Day(d as usize));
    }
    (h.starts_with("break") || h.starts_with("lunch")).then_some(Column::Break)
}

/// Why a window cell cannot be read.
#[derive(Debug, PartialEq, Eq)]
enum BadWindow {
    /// Not a window at all.
    Unreadable,
    /// It starts and ends at the same time.
    Empty,
    /// It starts at 24:00, which only ends a day.
    StartsAt24,
}

/// A window cell: `08:00-16:00` (may cross midnight) as (start, end) in ticks since midnight.
fn window(cell: &str) -> Result<(u64, u64), BadWindow> {
    let ticks = |s: u32| s as u64 * TICKS_PER_SEC;
    match values::parse_shift(cell) {
        Ok((start, end)) => Ok((ticks(start), ticks(end))),
        // parse_shift's message quotes the cell, which a data file may fill with anything.
        Err(e) if e.contains("starts and ends at the same time") => Err(BadWindow::Empty),
        Err(e) if e.contains("starts at 24:00") => Err(BadWindow::StartsAt24),
        Err(_) => Err(BadWindow::Unreadable),
    }
}

/// A weekday's cell: empty or `off` for a day off, `00:00-24:00` for the whole day, or a window.
fn day_cell(cell: &str) -> Result<Option<Shift>, String> {
    if cell.is_empty() || cell.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    if cell == "00:00-24:00" {
        return Ok(Some(Shift { start: 0, end: 0 }));
    }
    match window(cell) {
        Ok((start, end)) => Ok(Some(Shift { start, end })),
        Err(BadWindow::Unreadable) => Err(format!(
            "cannot read {} as a shift; write 08:00-16:00 (may cross midnight), 00:00-24:00 for the whole day, or off (or nothing) for a day off",
            shown(cell)
        )),
        Err(BadWindow::Empty) => Err(format!(
            "{} starts and ends at the same time; write 00:00-24:00 for the whole day",
            shown(cell)
        )),
        Err(BadWindow::StartsAt24) => Err(starts_at_24(cell)),
    }
}

/// The message for a window cell that starts at 24:00.
fn starts_at_24(cell: &str) -> String {
    format!(
        "{} starts at 24:00, which only ends a day; write 00:00 for midnight",
        shown(cell)
    )
}

/// A break's cell (not empty): a window such as `12:00-12:30`, as (time of day, length).
fn break_cell(cell: &str) -> Result<(u64, u64), String> {
    match window(cell) {
        Ok((start, end)) => Ok((start, (end + DAY - start) % DAY)),
        Err(BadWindow::Unreadable) => Err(format!(
            "cannot read {} as a break; write 12:00-12:30, or nothing for no break",
            shown(cell)
        )),
        Err(BadWindow::Empty) => Err(format!("{} starts and ends at the same time", shown(cell))),
        Err(BadWindow::StartsAt24) => Err(starts_at_24(cell)),
    }
}

/// One row of a roster file: an agent (or `count` identical ones) and its week.
pub(super) struct RosterRow {
    /// The agent's name, or the stem of `NAME-1` … `NAME-N` with a count.
    pub name: String,
    /// The `count` cell; `None` when empty (one agent called `name`).
    pub count: Option<u32>,
    pub roster: Roster,
    /// Where it is, `path:line`, for messages about its agents.
    pub at: String,
}

/// A problem with a row: what is wrong (after `path:line: `) and how to fix it.
type Problem = (String, Option<String>);

/// One row read: the name, the `count` cell (`None`: empty) and the week; or every problem
/// found in it.
fn row(
    header: &[String],
    columns: &[Option<Column>],
    c_name: usize,
    c_count: Option<usize>,
    rec: &csv::StringRecord,
) -> Result<(String, Option<u64>, Roster), Vec<Problem>> {
    if rec.len() != header.len() {
        return Err(vec![(ragged(rec.len(), header.len(), "the header"), None)]);
    }
    let mut problems: Vec<Problem> = Vec::new();
    let name = &rec[c_name];
    if name.is_empty() {
        problems.push(("name: an agent needs a name".into(), None));
    } else if name.chars().any(char::is_control) {
        problems.push((
            "name: a name may not contain control characters".into(),
            None,
        ));
    }
    let count = match c_count.map(|c| &rec[c]).filter(|c| !c.is_empty()) {
        None => None,
        Some(cell) => match cell.parse::<u64>() {
            Ok(0) => {
                problems.push(("count: must be at least 1".into(), None));
                None
            }
            Ok(n) => Some(n),
            Err(_) => {
                let msg = format!("count: {} is not a whole number of agents", shown(cell));
                problems.push((msg, None));
                None
            }
        },
    };
    let mut days: [Option<Shift>; 7] = [None; 7];
    // Breaks as (time of day, length), and the column each came from.
    let mut breaks: Vec<(u64, u64)> = Vec::new();
    let mut break_cols: Vec<usize> = Vec::new();
    for (k, c) in columns.iter().enumerate() {
        let cell = &rec[k];
        match c {
            Some(Column::Day(d)) => match day_cell(cell) {
                Ok(w) => days[*d] = w,
                Err(e) => problems.push((format!("{}: {e}", header[k]), None)),
            },
            Some(Column::Break) if !cell.is_empty() => match break_cell(cell) {
                Ok(b) => {
                    breaks.push(b);
                    break_cols.push(k);
                }
                Err(e) => problems.push((format!("{}: {e}", header[k]), None)),
            },
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if days.iter().all(Option::is_none) {
        return Err(vec![(
            format!("{} is off every day and never works", shown(name)),
            Some(
                "give the row a window such as 08:00-16:00 under some weekday, or remove it".into(),
            ),
        )]);
    }
    match week_roster(&days, &breaks) {
        Ok(roster) => Ok((name.to_string(), count, roster)),
        Err(wrong) => Err(wrong
            .into_iter()
            .map(|(j, m)| {
                let start = TimeOfDay(breaks[j].0).to_string();
                let msg = format!("{}: {}", header[break_cols[j]], m.message(&start));
                (msg, m.hint())
            })
            .collect()),
    }
}

impl Compiler<'_> {
    /// Reads and checks the roster file of `agents[i]`; at most `room` agents fit in the
    /// scenario. Returns the rows that are right, each problem found being a diagnostic.
    pub(super) fn roster_file(
        &mut self,
        i: usize,
        file: &Spanned<String>,
        room: u64,
    ) -> Vec<RosterRow> {
        let key = format!("agents[{i}].roster");
        let span = Some(file.span());
        let path = self.base_dir.join(file.get_ref());
        let text = match self.read_input(file.get_ref(), &path) {
            Ok(t) => t,
            Err(e) => {
                self.unreadable(key, span, &path, e);
                return Vec::new();
            }
        };
        let at = |line: u64| format!("{}:{line}", path.display());
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut lines = Lines::new(&text);
        let header = reader.headers();
        let header_line = lines.of_header(&header);
        let header: Vec<String> = match header {
            Ok(h) => h.iter().map(String::from).collect(),
            Err(_) => {
                let msg = format!("{}: the header is not valid CSV", at(header_line));
                self.err(key, span, msg);
                return Vec::new();
            }
        };
        let columns: Vec<Option<Column>> = header.iter().map(|h| column(h)).collect();
        let unknown: Vec<String> = header
            .iter()
            .zip(&columns)
            .enumerate()
            .filter(|(_, (_, c))| c.is_none())
            .map(|(k, (h, _))| match h.is_empty() {
                true => format!("column {} (no name)", k + 1),
                false => shown(h),
            })
            .collect();
        let mut bad_header = false;
        if !unknown.is_empty() {
            let s = if unknown.len() == 1 { "" } else { "s" };
            self.err(
                key.clone(),
                span.clone(),
                format!(
                    "{}: unknown column{s} {}",
                    at(header_line),
                    unknown.join(", ")
                ),
            )
            .hint = Some(COLUMNS_HINT.into());
            bad_header = true;
        }
        for (k, c) in columns.iter().enumerate() {
            let twice = c.is_some_and(|c| c != Column::Break && columns[..k].contains(&Some(c)));
            if twice {
                self.err(
                    key.clone(),
                    span.clone(),
                    format!(
                        "{}: column {} is given twice",
                        at(header_line),
                        shown(&header[k])
                    ),
                );
                bad_header = true;
            }
        }
        let Some(c_name) = columns.iter().position(|c| *c == Some(Column::Name)) else {
            self.err(
                key,
                span,
                format!("{}: the header has no name column", at(header_line)),
            )
            .hint = Some(
                "e.g. name,mon,tue,wed,thu,fri,lunch then rows such as ana,08:00-16:00,...,12:00-12:30"
                    .into(),
            );
            return Vec::new();
        };
        if bad_header {
            return Vec::new();
        }
        let c_count = columns.iter().position(|c| *c == Some(Column::Count));
        let mut rows = Vec::new();
        let mut ok = true;
        let mut agents = 0u64;
        for rec in reader.records() {
            let line = lines.of_row(&rec);
            let Ok(rec) = rec else {
                self.err(
                    key,
                    span,
                    format!("{}: this row is not valid CSV", at(line)),
                );
                return Vec::new();
            };
            if rec.iter().all(str::is_empty) {
                continue;
            }
            let row = match row(&header, &columns, c_name, c_count, &rec) {
                Ok(row) => row,
                Err(problems) => {
                    for (msg, hint) in problems {
                        self.err(key.clone(), span.clone(), format!("{}: {msg}", at(line)))
                            .hint = hint;
                    }
                    ok = false;
                    continue;
                }
            };
            // Checked before anything is allocated for the agents.
            agents = agents.saturating_add(row.1.unwrap_or(1));
            if agents > room {
                self.err(
                    key,
                    span,
                    format!(
                        "{}: too many agents: a scenario holds at most {} in all",
                        at(line),
                        limits::MAX_AGENTS
                    ),
                );
                return Vec::new();
            }
            rows.push(RosterRow {
                name: row.0,
                count: row.1.map(|n| n as u32),
                roster: row.2,
                at: at(line),
            });
        }
        if ok && rows.is_empty() {
            self.err(key, span, format!("{} holds no agents", path.display()));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::scenario::{Overrides, compile_text};
    use std::path::Path;

    #[test]
    fn rows_are_named_by_their_own_line() {
        let dir = tempfile::tempdir().unwrap();
        // CRLF ends, as a Windows tool writes them, and a blank line before the bad row.
        let csv = "name,mon\r\nana,08:00-16:00\r\n\r\nbo,8-16\r\n";
        std::fs::write(dir.path().join("r.csv"), csv).unwrap();
        let text = "[simulation]\nduration = \"1h\"\n[[teams]]\nname = \"t\"\n\
            [[agents]]\nname = \"g\"\nteams = [\"t\"]\nroster = \"r.csv\"\n\
            [[traffic]]\nname = \"web\"\nrate = 1\nhandle_time = \"1m\"\n";
        let ov = Overrides::default();
        let got = compile_text(Path::new("t.toml"), "t.toml", text, dir.path(), &ov);
        let Err(Error::Scenario(d)) = got else {
            panic!("expected an error")
        };
        // csv's count had said line 2.
        assert!(
            d.items[0].message.ends_with("r.csv:4: mon: cannot read \"8-16\" as a shift; write 08:00-16:00 (may cross midnight), 00:00-24:00 for the whole day, or off (or nothing) for a day off"),
            "{d}"
        );
    }

    /// Compiles a one-team scenario whose agents come from a roster file holding `csv`: the
    /// model, or the messages.
    fn with_roster(csv: &str) -> Result<crate::model::Model, Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.csv"), csv).unwrap();
        let text = "[simulation]\nduration = \"1h\"\n[[teams]]\nname = \"t\"\n\
            [[agents]]\nname = \"g\"\nteams = [\"t\"]\nroster = \"r.csv\"\n\
            [[traffic]]\nname = \"web\"\nrate = 1\nhandle_time = \"1m\"\n";
        let ov = Overrides::default();
        match compile_text(Path::new("t.toml"), "t.toml", text, dir.path(), &ov) {
            Ok(m) => Ok(m),
            Err(Error::Scenario(d)) => Err(d.items.iter().map(|d| d.message.clone()).collect()),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_crlf_file_reads_as_its_lf_twin() {
        // Every kind of cell at a line's end (a window, a break, a count, an empty cell, a
        // quoted one, spaces), where a CR would be left if the line ends were not taken off.
        let lf = "name,count,mon,tue,lunch\n\
            ana,,08:00-16:00,08:00-16:00,12:00-12:30\n\
            \n\
            bo,3,22:00-06:00,off,\n\
            \"cy, jr\",1,\"09:00-17:00\",,\"13:00-13:45\"\n\
            dee , 2 , 08:00-12:00 ,  , 10:00-10:15  \n";
        let crlf = lf.replace('\n', "\r\n");
        let (a, b) = (with_roster(lf).unwrap(), with_roster(&crlf).unwrap());
        assert_eq!(a.agents.len(), 7);
        assert_eq!(format!("{:?}", a.agents), format!("{:?}", b.agents));
        assert_eq!(format!("{:?}", a.teams), format!("{:?}", b.teams));
        // The last line without its line end, too.
        let b = with_roster(crlf.trim_end()).unwrap();
        assert_eq!(format!("{:?}", a.agents), format!("{:?}", b.agents));
    }

    #[test]
    fn a_bad_cell_at_a_crlf_lines_end_is_quoted_without_its_cr() {
        for (csv, want) in [
            (
                "name,mon,lunch\r\nana,08:00-16:00,12-1\r\n",
                "r.csv:2: lunch: cannot read \"12-1\" as a break; write 12:00-12:30, or nothing for no break",
            ),
            (
                "name,mon,count\r\n\r\nana,08:00-16:00,two\r\n",
                "r.csv:3: count: \"two\" is not a whole number of agents",
            ),
            (
                "name,mon\r\nana,08:00-16:00\r\nbo,8-16",
                "r.csv:3: mon: cannot read \"8-16\" as a shift; write 08:00-16:00 (may cross midnight), 00:00-24:00 for the whole day, or off (or nothing) for a day off",
            ),
        ] {
            let got = with_roster(csv).unwrap_err();
            assert_eq!(got.len(), 1, "{csv:?}: {got:?}");
            assert!(got[0].ends_with(want), "{csv:?}: {got:?}");
        }
    }

    #[test]
    fn a_header_after_blank_lines_is_named_by_its_own_line() {
        // Each had said line 1.
        for (csv, want) in [
            (
                "\n\nname,mon,tues\nana,08:00-16:00,\n",
                "r.csv:3: unknown column \"tues\"",
            ),
            (
                "\r\n\r\nname,mon,tues\r\nana,08:00-16:00,\r\n",
                "r.csv:3: unknown column \"tues\"",
            ),
            (
                "\r\n\r\n\r\nagent,mon\r\nana,08:00-16:00\r\n",
                "r.csv:4: unknown column \"agent\"",
            ),
            (
                "\n\nname,mon,Mon\nana,08:00-16:00,\n",
                "r.csv:3: column \"Mon\" is given twice",
            ),
        ] {
            let got = with_roster(csv).unwrap_err();
            assert!(got[0].ends_with(want), "{csv:?}: {got:?}");
        }
        let got = with_roster("\n\nmon\n08:00-16:00\n").unwrap_err();
        assert!(
            got[0].ends_with("r.csv:3: the header has no name column"),
            "{got:?}"
        );
    }

    #[test]
    fn headers_name_columns_whatever_their_case() {
        assert_eq!(column(" Name "), Some(Column::Name));
        assert_eq!(column("COUNT"), Some(Column::Count));
        assert_eq!(column("mon"), Some(Column::Day(0)));
        assert_eq!(column("Wednesday"), Some(Column::Day(2)));
        assert_eq!(column("SUN"), Some(Column::Day(6)));
        assert_eq!(column("break 2"), Some(Column::Break));
        assert_eq!(column("Lunch"), Some(Column::Break));
        for other in ["monkey", "mo", "brake", "team", "", "break\u{1b}"] {
            assert_eq!(column(other), None, "{other:?}");
        }
    }

    #[test]
    fn day_cells_are_windows_or_days_off() {
        const H: u64 = 3_600 * TICKS_PER_SEC;
        assert_eq!(day_cell(""), Ok(None));
        assert_eq!(day_cell("OFF"), Ok(None));
        assert_eq!(
            day_cell("22:00-06:00"),
            Ok(Some(Shift {
                start: 22 * H,
                end: 6 * H
            }))
        );
        assert_eq!(
            day_cell("00:00-24:00"),
            Ok(Some(Shift { start: 0, end: 0 }))
        );
        assert!(
            day_cell("8-16")
                .unwrap_err()
                .contains("cannot read \"8-16\"")
        );
        assert!(
            day_cell("08:00-08:00")
                .unwrap_err()
                .contains("starts and ends at the same time")
        );
        // A cell is never echoed unless short and printable.
        assert!(day_cell("\u{1b}[2J").unwrap_err().contains("the cell"));
        // 24:00 ends a window; it had started one at 00:00.
        assert_eq!(
            day_cell("16:00-24:00"),
            Ok(Some(Shift {
                start: 16 * H,
                end: 0
            }))
        );
        assert_eq!(
            day_cell("24:00-08:00"),
            Err(
                "\"24:00-08:00\" starts at 24:00, which only ends a day; write 00:00 for midnight"
                    .into()
            )
        );
        assert_eq!(
            break_cell("24:00-00:30"),
            Err(
                "\"24:00-00:30\" starts at 24:00, which only ends a day; write 00:00 for midnight"
                    .into()
            )
        );
    }
}
