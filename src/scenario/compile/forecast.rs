//! `forecast = "file.csv"` on a traffic stream: volume (and optionally mean handle time) per
//! interval of a week, as workforce-management tools export it.

use toml::Spanned;

use super::Compiler;
use super::data_file::{Lines, ragged};
use crate::model::*;
use crate::scenario::{limits, values};

/// A forecast compiled: the peak rate, the rate profile relative to it, and the handle-time
/// multiplier per interval (relative to the stream's `handle_time` mean), if the file has one.
pub(super) struct Forecast {
    pub rate: f64,
    pub profile: Profile,
    pub handle_scale: Option<Profile>,
}

/// A cell as an error message may quote it: short and printable, or not at all (a data file
/// could hold anything, such as escape sequences that would repaint the terminal).
pub(super) fn shown(cell: &str) -> String {
    if cell.len() <= 40 && !cell.chars().any(char::is_control) {
        format!("\"{cell}\"")
    } else {
        "the cell".into()
    }
}

/// Seconds as minutes, such as `30m`.
fn minutes(secs: i64) -> String {
    format!("{}m", secs / 60)
}

/// An interval start: `mon 08:00` (seconds since Monday 00:00) or an ISO date-time
/// `2026-11-30T08:00` / `2026-11-30 08:00:00` (seconds since 1970-01-01, whose weekday is known).
/// Returns (seconds on its own axis, seconds since Monday 00:00, whether it was a date).
fn parse_start(s: &str) -> Result<(i64, u64, bool), String> {
    let t = s.trim();
    let bytes = t.as_bytes();
    if bytes.len() >= 10 && bytes[4] == b'-' && bytes[7] == b'-' {
        let bad = || {
            format!(
                "cannot read {} as an interval start; write \"mon 08:00\" or \"2026-11-30T08:00\"",
                shown(t)
            )
        };
        let num = |r: std::ops::Range<usize>| t.get(r).and_then(|x| x.parse::<i64>().ok());
        let (y, m, d) = (
            num(0..4).ok_or_else(bad)?,
            num(5..7).ok_or_else(bad)?,
            num(8..10).ok_or_else(bad)?,
        );
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let month_days = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] || y < 1 {
            return Err(bad());
        }
        let rest = &t[10..];
        let rest = rest
            .strip_prefix('T')
            .or_else(|| rest.strip_prefix(' '))
            .ok_or_else(bad)?;
        let rest = rest.strip_suffix('Z').unwrap_or(rest);
        let tod = values::parse_time_of_day(rest).map_err(|_| bad())? as i64;
        if tod >= 86_400 {
            return Err(bad());
        }
        let days = days_from_civil(y, m, d);
        // 1970-01-01 was a Thursday: three days after a Monday.
        let weekday = (days + 3).rem_euclid(7);
        return Ok((days * 86_400 + tod, (weekday * 86_400 + tod) as u64, true));
    }
    let w = values::parse_week_time(t).map_err(|_| {
        format!(
            "cannot read {} as an interval start; write \"mon 08:00\" or \"2026-11-30T08:00\"",
            shown(t)
        )
    })?;
    Ok((w as i64, w as u64, false))
}

impl Compiler<'_> {
    /// Reads and checks a forecast file; `None` after a diagnostic.
    pub(super) fn forecast(
        &mut self,
        key: &str,
        file: &Spanned<String>,
        handle_mean: Option<f64>,
    ) -> Option<Forecast> {
        let path = self.base_dir.join(file.get_ref());
        let span = Some(file.span());
        let text = match self.read_input(file.get_ref(), &path) {
            Ok(t) => t,
            Err(e) => {
                self.unreadable(key, span, &path, e);
                return None;
            }
        };
        let at = |line: u64| format!("{}:{line}", path.display());
        // Flexible so that a blank row of any width is skipped and a ragged one gets a message
        // with its counts (below), not csv's own.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut lines = Lines::new(&text);
        let header = reader.headers();
        let header_line = lines.of_header(&header);
        let header: Vec<String> = match header {
            Ok(h) => h.iter().map(|c| c.to_ascii_lowercase()).collect(),
            Err(_) => {
                let msg = format!("{}: the header is not valid CSV", at(header_line));
                self.err(key, span, msg);
                return None;
            }
        };
        let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
        // A column given twice (`volume,volume`, or `aht` beside `handle_time`) had its first
        // read and the other dropped without a word.
        for names in [&["start"][..], &["volume"], &["handle_time", "aht"]] {
            let given: Vec<&str> = (header.iter())
                .filter(|h| names.contains(&h.as_str()))
                .map(String::as_str)
                .collect();
            if given.len() > 1 {
                let msg = format!(
                    "{}: the header gives {} for one column; keep one",
                    at(header_line),
                    given.join(" and ")
                );
                self.err(key, span, msg);
                return None;
            }
        }
        let (Some(c_start), Some(c_volume)) = (col(&["start"]), col(&["volume"])) else {
            self.err(
                key,
                span,
                format!(
                    "{}: the header must name the columns start and volume",
                    at(header_line)
                ),
            )
            .hint =
                Some("e.g. start,volume,handle_time then rows such as mon 08:00,42,4m30s".into());
            return None;
        };
        let c_handle = col(&["handle_time", "aht"]);
        // (line, start on its own axis, start in the week, volume, mean handle time)
        let mut rows: Vec<(u64, i64, u64, f64, Option<f64>)> = Vec::new();
        let mut dated = None;
        for rec in reader.records() {
            let line = lines.of_row(&rec);
            let Ok(rec) = rec else {
                self.err(
                    key,
                    span,
                    format!("{}: this row is not valid CSV", at(line)),
                );
                return None;
            };
            if rec.iter().all(str::is_empty) {
                continue;
            }
            let cell = |c: usize| rec.get(c).unwrap_or("");
            let fail = |c: &mut Self, msg: String| {
                c.err(key, span.clone(), format!("{}: {msg}", at(line)));
            };
            if rec.len() != header.len() {
                fail(self, ragged(rec.len(), header.len(), "the header"));
                return None;
            }
            let (mut abs, week, is_date) = match parse_start(cell(c_start)) {
                Ok(s) => s,
                Err(e) => {
                    fail(self, e);
                    return None;
                }
            };
            if *dated.get_or_insert(is_date) != is_date {
                fail(self, "mixes weekday starts and dates; use one kind".into());
                return None;
            }
            // Weekday starts go round the week: a file may start on Sunday, or run from
            // Wednesday into the next Monday (the row after `sun 23:30` is `mon 00:00`).
            if let Some(prev) = rows.last().map(|r| r.1)
                && !is_date
                && abs < prev
                && abs + 7 * 86_400 - prev <= 3_600
            {
                abs += 7 * 86_400;
            }
            let volume = match cell(c_volume).parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => v,
                // `inf` and `NaN` parse as numbers, but no count of chats is either.
                Ok(v) if !v.is_finite() => {
                    fail(self, "volume is not a number of chats".into());
                    return None;
                }
                Ok(_) => {
                    fail(
                        self,
                        format!("volume must be 0 or more, got {}", shown(cell(c_volume))),
                    );
                    return None;
                }
                Err(_) => {
                    fail(self, "volume is not a number of chats".into());
                    return None;
                }
            };
            let handle = match c_handle.map(cell).filter(|h| !h.is_empty()) {
                None => None,
                Some(h) => match values::parse_duration(h) {
                    Ok(v) if v > 0.0 => Some(v),
                    _ => {
                        fail(self, "handle_time is not a duration above zero (write seconds, or e.g. \"4m30s\")".into());
                        return None;
                    }
                },
            };
            rows.push((line, abs, week, volume, handle));
        }
        if rows.is_empty() {
            self.err(key, span, format!("{} holds no rows", path.display()));
            return None;
        }
        let len = if rows.len() > 1 {
            rows[1].1 - rows[0].1
        } else {
            3_600
        };
        if ![900, 1_800, 3_600].contains(&len) {
            let msg = if len <= 0 {
                format!("{}: rows are not sorted by start", at(rows[1].0))
            } else {
                format!(
                    "{}: intervals are 15, 30 or 60 minutes long; the first two rows are {} apart",
                    at(rows[1].0),
                    minutes(len)
                )
            };
            self.err(key, span, msg);
            return None;
        }
        for w in rows.windows(2) {
            let gap = w[1].1 - w[0].1;
            let msg = if gap <= 0 {
                "rows are not sorted by start".to_string()
            } else if gap < len {
                format!(
                    "this interval overlaps the row before (intervals are {})",
                    minutes(len)
                )
            } else if gap > len {
                format!("gap: no row for the {} before this one", minutes(gap - len))
            } else {
                continue;
            };
            self.err(key, span, format!("{}: {msg}", at(w[1].0)));
            return None;
        }
        let span_secs = rows[rows.len() - 1].1 + len - rows[0].1;
        if span_secs > 7 * 86_400 {
            self.err(
                key,
                span,
                format!(
                    "{}: a forecast covers a week at most (it repeats)",
                    at(rows[rows.len() - 1].0)
                ),
            );
            return None;
        }
        let rates: Vec<f64> = rows.iter().map(|r| r.3 / len as f64).collect();
        let peak = rates.iter().copied().fold(0.0, f64::max);
        if peak <= 0.0 {
            self.err(key, span, format!("{}: every volume is 0", path.display()));
            return None;
        }
        if peak > limits::MAX_RATE_PER_SEC {
            self.err(
                key,
                span,
                format!(
                    "the busiest interval is {} chats per second; the limit is {} per stream",
                    limits::num(peak),
                    limits::num(limits::MAX_RATE_PER_SEC)
                ),
            );
            return None;
        }
        let ticks = |secs: u64| secs * TICKS_PER_SEC;
        let end_week = (rows[rows.len() - 1].2 + len as u64) % (7 * 86_400);
        let closes = span_secs < 7 * 86_400;
        let mut points: Vec<(u64, f64)> = rows
            .iter()
            .zip(&rates)
            .map(|(r, rate)| (ticks(r.2), rate / peak))
            .collect();
        let mut scales: Vec<(u64, f64)> = rows
            .iter()
            .map(|r| {
                let scale = match (r.4, handle_mean) {
                    (Some(h), Some(mean)) if mean > 0.0 => h / mean,
                    _ => 1.0,
                };
                (ticks(r.2), scale)
            })
            .collect();
        // Outside the forecast's intervals nobody arrives.
        if closes {
            points.push((ticks(end_week), 0.0));
            scales.push((ticks(end_week), 1.0));
        }
        points.sort_by_key(|p| p.0);
        scales.sort_by_key(|p| p.0);
        let has_handle = c_handle.is_some() && rows.iter().any(|r| r.4.is_some());
        if has_handle && handle_mean.is_some_and(|m| m <= 0.0) {
            self.err(
                key,
                span,
                "the stream's handle_time has mean 0, so the forecast's handle times cannot scale it",
            )
            .hint = Some("give handle_time the shape to scale, such as { dist = \"exponential\", mean = \"5m\" }".into());
            return None;
        }
        Some(Forecast {
            rate: peak,
            profile: Profile { points },
            handle_scale: has_handle.then_some(Profile { points: scales }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages of a one-stream scenario whose forecast file holds `csv`.
    fn forecast_problems(csv: impl AsRef<[u8]>) -> Vec<String> {
        let traffic = "forecast = \"f.csv\"\nhandle_time = \"5m\"";
        super::super::data_file::problems(traffic, "f.csv", csv.as_ref())
    }

    #[test]
    fn rows_are_named_by_their_own_line() {
        // A gap after a blank line in a file with CRLF ends: csv's count said line 4.
        let got = forecast_problems(
            "start,volume\r\nmon 08:00,10\r\n\r\nmon 08:30,12\r\nmon 09:30,9\r\n",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].ends_with("f.csv:5: gap: no row for the 30m before this one"),
            "{got:?}"
        );
    }

    #[test]
    fn a_header_after_blank_lines_is_named_by_its_own_line() {
        // It had said line 1.
        let want = "f.csv:3: the header must name the columns start and volume";
        for csv in [
            "\n\nbegin,volume\nmon 08:00,3\n",
            "\r\n\r\nbegin,volume\r\nmon 08:00,3\r\n",
        ] {
            let got = forecast_problems(csv);
            assert_eq!(got.len(), 1, "{csv:?}: {got:?}");
            assert!(got[0].ends_with(want), "{csv:?}: {got:?}");
        }
        // Rows after such a header are named as before.
        let got = forecast_problems("\r\n\r\nstart,volume\r\nmon 08:00,3\r\nmon 09:00,x\r\n");
        assert!(
            got[0].ends_with("f.csv:5: volume is not a number of chats"),
            "{got:?}"
        );
    }

    #[test]
    fn a_volume_that_is_no_count_is_named_so() {
        // `inf` had been refused as below 0.
        for v in ["inf", "-inf", "NaN"] {
            let got = forecast_problems(format!("start,volume\nmon 08:00,{v}\n"));
            assert!(
                got[0].ends_with("f.csv:2: volume is not a number of chats"),
                "{v}: {got:?}"
            );
        }
        let got = forecast_problems("start,volume\nmon 08:00,-1\n");
        assert!(
            got[0].ends_with("f.csv:2: volume must be 0 or more, got \"-1\""),
            "{got:?}"
        );
    }

    #[test]
    fn a_column_given_twice_is_refused() {
        // The first had been read and the other dropped: 1m of aht, not 20m of handle_time.
        for (csv, want) in [
            (
                "start,volume,aht,handle_time\nmon 08:00,3,1m,20m\n",
                "f.csv:1: the header gives aht and handle_time for one column; keep one",
            ),
            (
                "start,Volume,volume\nmon 08:00,3,30\n",
                "f.csv:1: the header gives volume and volume for one column; keep one",
            ),
        ] {
            let got = forecast_problems(csv.as_bytes());
            assert_eq!(got.len(), 1, "{csv:?}: {got:?}");
            assert!(got[0].ends_with(want), "{csv:?}: {got:?}");
        }
    }

    #[test]
    fn a_file_that_is_not_utf8_is_named_with_its_line() {
        // Saved as Latin-1 (0xe9 for é): the message had been "stream did not contain valid
        // UTF-8" with a hint that the path must name a regular file.
        let got = forecast_problems(b"start,volume\nmon 08:00,1\nmon 08:30,2,caf\xe9\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].ends_with("f.csv:3: this line is not valid UTF-8"),
            "{got:?}"
        );
    }

    #[test]
    fn a_row_with_more_or_fewer_cells_than_the_header_is_refused() {
        let head = "start,volume,handle_time\nmon 08:00,21,5m\n";
        // A volume of 1,234 written with its comma: 1 chat and a handle time of 234 s, unless
        // refused; and a row whose handle time was left out with its comma.
        for (row, want) in [
            (
                "mon 08:30,1,234,5m\n",
                "this row has 4 cells, the header 3 cells",
            ),
            ("mon 08:30,4\n", "this row has 2 cells, the header 3 cells"),
            ("mon 08:30\n", "this row has 1 cell, the header 3 cells"),
        ] {
            let got = forecast_problems(format!("{head}{row}"));
            assert_eq!(got.len(), 1, "{row}: {got:?}");
            assert!(
                got[0].ends_with(&format!("f.csv:3: {want}")),
                "{row}: {got:?}"
            );
        }
        // Empty cells written out, and blank rows of any width, are read as before.
        let fine = "start,volume,handle_time\nmon 08:00,21,\n,,\n\nmon 08:30, 4 ,5m\n,\n";
        assert_eq!(forecast_problems(fine), Vec::<String>::new());
    }

    #[test]
    fn dates_know_their_weekday() {
        // 2026-11-30 is a Monday; 2000-02-29 a Tuesday; 1970-01-01 a Thursday.
        assert_eq!(parse_start("2026-11-30T08:00").unwrap().1, 8 * 3_600);
        assert_eq!(
            parse_start("2000-02-29 00:30:00").unwrap().1,
            86_400 + 1_800
        );
        assert_eq!(
            parse_start("1970-01-01T00:00Z").unwrap(),
            (0, 3 * 86_400, true)
        );
        assert_eq!(
            parse_start("sun 23:30").unwrap(),
            (6 * 86_400 + 84_600, 6 * 86_400 + 84_600, false)
        );
        assert!(parse_start("2026-13-01T00:00").is_err());
        // Days that do not exist, and odd forms, are refused.
        for bad in [
            "2026-02-29T08:00",
            "2026-04-31T08:00",
            "0000-01-01T00:00",
            "2026-11-30TT08:00",
            "2026-11-3008:00",
            "2026-11-30T08:00ZZ",
        ] {
            assert!(parse_start(bad).is_err(), "{bad}");
        }
        assert!(parse_start("2024-02-29T08:00").is_ok());
        // A cell is quoted in a message only when short and printable.
        assert_eq!(shown("mon 08:00"), "\"mon 08:00\"");
        assert_eq!(shown("\u{1b}[2J"), "the cell");
        assert_eq!(shown(&"x".repeat(41)), "the cell");
        assert!(parse_start("2026-11-30T25:00").is_err());
    }
}
