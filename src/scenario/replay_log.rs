//! Reading a chat log (`replay = "chats.csv"` on a traffic stream): one parser for two
//! readers. The compiler reads the whole log once with [`scan`] (every row checked, problems
//! reported with file:line and column, and the figures a [`Replay`](crate::model::Replay)
//! keeps taken); the engine's arrival source (`sim::replay::ReplaySource`) reads it again in
//! each replication with [`parse_row`]. Neither holds the log: memory is one CSV record, the
//! attribute values seen, and (in the engine) the rows of its look-ahead window.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;

use crate::model::{
    AttrId, NO_VALUE, ReplayClock, ReplayColumns, SimTime, TICKS_PER_SEC, ValueId, days_from_civil,
};
use crate::scenario::Fnv1aWords;
use crate::scenario::values::parse_duration;

/// What a row's log says of its customer's patience.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Patience {
    /// Known: the customer gave up after this long (an abandoned chat's wait, bot time
    /// included), or the log's `patience` column.
    Known(SimTime),
    /// Longer than this: the chat was answered (or still waited) after waiting this long.
    Beyond(SimTime),
    /// Nothing known: drawn from the stream's `patience`.
    Draw,
}

/// An arrival cell read: seconds since the scenario's start, or a date-time as seconds since
/// 1970-01-01 on the wall clock as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arrival {
    /// Seconds since `start`.
    Seconds(f64),
    /// Wall-clock seconds since 1970-01-01.
    Dated(f64),
}

/// The cells of one row of the stream, read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cells {
    /// When it arrived.
    pub arrival: Arrival,
    /// Its handle time, if the log has one.
    pub handle: Option<SimTime>,
    /// What the log says of its patience.
    pub patience: Patience,
}

/// A problem with one cell or row: the column's name when one cell is at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// 1-based line in the log.
    pub line: u64,
    /// The column's header, when one cell is at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// How the parser turns attribute names and values into ids: learning them when the log is
/// checked, looking them up when it is replayed.
pub trait Vocabulary {
    /// The attribute a packed column's key names; `Err` when it cannot be had.
    fn attr(&mut self, name: &str) -> Result<AttrId, String>;
    /// The id of a value of an attribute; `Err` when it cannot be had.
    fn value(&mut self, attr: AttrId, text: &str) -> Result<ValueId, String>;
}

/// Reads an ISO 8601 date-time, `2026-11-24T07:03`, `2026-11-24 07:03:12.5`, with an optional
/// `Z` or offset (`+01:00`), which is left aside: the wall-clock time as written is what lines
/// up with shifts and rules. Returns seconds since 1970-01-01 on that wall clock.
pub fn parse_date_time(s: &str) -> Option<f64> {
    let t = s.trim();
    let b = t.as_bytes();
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let x = t.get(r)?;
        x.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| x.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month = [31, 28 + leap as i64, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if y < 1 || !(1..=12).contains(&m) || d < 1 || d > month[(m - 1) as usize] {
        return None;
    }
    // The time, up to an offset: `Z`, or `+HH:MM` / `-HH:MM` after the seconds.
    let rest = &t[11..];
    let rest = rest.strip_suffix('Z').unwrap_or(rest);
    let rest = match rest.get(5..).and_then(|r| r.find(['+', '-'])) {
        Some(i) => {
            let (time, offset) = rest.split_at(5 + i);
            let ob = offset.as_bytes();
            let ok = matches!(ob.len(), 3 | 5 | 6)
                && ob[1..]
                    .iter()
                    .enumerate()
                    .all(|(j, c)| c.is_ascii_digit() || (j == 2 && *c == b':' && ob.len() == 6));
            if !ok {
                return None;
            }
            time
        }
        None => rest,
    };
    let (hm, secs) = match rest.len() {
        5 => (rest, 0.0),
        n if n >= 8 && rest.as_bytes()[5] == b':' => {
            let s = &rest[6..];
            let whole = s.get(0..2)?;
            if !whole.bytes().all(|c| c.is_ascii_digit())
                || (s.len() > 2 && (s.as_bytes()[2] != b'.' || s.len() == 3))
                || !s[2..].bytes().skip(1).all(|c| c.is_ascii_digit())
            {
                return None;
            }
            let v: f64 = s.parse().ok()?;
            (&rest[..5], v)
        }
        _ => return None,
    };
    let hb = hm.as_bytes();
    if hb[2] != b':' {
        return None;
    }
    let (h, mi) = (num_of(&hm[0..2])?, num_of(&hm[3..5])?);
    if h > 23 || mi > 59 || secs >= 60.0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    Some((days * 86_400 + h * 3_600 + mi * 60) as f64 + secs)
}

fn num_of(s: &str) -> Option<i64> {
    s.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| s.parse().ok())?
}

/// Reads an arrival cell: a number of seconds, or an ISO date-time.
pub fn parse_arrival(cell: &str) -> Result<Arrival, String> {
    let t = cell.trim();
    if let Ok(x) = t.parse::<f64>() {
        return if x.is_finite() {
            Ok(Arrival::Seconds(x))
        } else {
            Err("the arrival is not a finite number of seconds".into())
        };
    }
    parse_date_time(t).map(Arrival::Dated).ok_or_else(|| {
        format!(
            "cannot read {} as an arrival time; write seconds since the start (90.5) or an ISO date-time (2026-11-24T07:03:12)",
            shown(t)
        )
    })
}

/// A cell as a message may quote it: short and printable, or not at all (a log could hold
/// anything, such as escape sequences that would repaint the terminal).
pub fn shown(cell: &str) -> String {
    if cell.len() <= 40 && !cell.chars().any(char::is_control) {
        format!("\"{cell}\"")
    } else {
        "the cell".into()
    }
}

/// What decides whether a row is the stream's: the `traffic` column's value to keep and the
/// replication to keep.
#[derive(Debug, Clone, Copy)]
pub struct Filter<'a> {
    /// The stream's name (or the log's name for it).
    pub stream: &'a str,
    /// The replication whose rows are kept.
    pub replication: u32,
}

/// Reads one record: `Ok(None)` for a row that is not the stream's (another stream, another
/// replication, a customer's return). Attribute values go to `attrs` (indexed by attribute id;
/// grown as needed).
pub fn parse_row(
    cols: &ReplayColumns,
    filter: Filter<'_>,
    rec: &csv::StringRecord,
    vocabulary: &mut dyn Vocabulary,
    attrs: &mut Vec<ValueId>,
) -> Result<Option<Cells>, (Option<usize>, String)> {
    let cell = |c: usize| rec.get(c).unwrap_or("").trim();
    if let Some(c) = cols.traffic
        && cell(c) != filter.stream
    {
        return Ok(None);
    }
    if let Some(c) = cols.replication {
        match cell(c).parse::<u32>() {
            Ok(r) if r == filter.replication => {}
            Ok(_) => return Ok(None),
            Err(_) => return Err((Some(c), "the replication is not a whole number".into())),
        }
    }
    if let Some(c) = cols.attempt {
        match cell(c) {
            "" => {}
            x => match x.parse::<u32>() {
                Ok(1) => {}
                Ok(n) if n > 1 => return Ok(None),
                _ => {
                    return Err((Some(c), "the attempt is not a whole number from 1".into()));
                }
            },
        }
    }
    let arrival = parse_arrival(cell(cols.arrival)).map_err(|e| (Some(cols.arrival), e))?;
    let duration =
        |c: Option<usize>, what: &str| -> Result<Option<SimTime>, (Option<usize>, String)> {
            let Some(c) = c else { return Ok(None) };
            match cell(c) {
                "" => Ok(None),
                x => match parse_duration(x) {
                    Ok(v) => Ok(Some(SimTime::from_secs_f64(v))),
                    Err(_) if x.starts_with('-') => Err((Some(c), format!("{what} is negative"))),
                    Err(_) => Err((
                        Some(c),
                        format!(
                            "cannot read {} as {what}; write seconds (300) or a duration (5m)",
                            shown(x)
                        ),
                    )),
                },
            }
        };
    let handle = duration(cols.handle_time, "a handle time")?;
    let known = duration(cols.patience, "a patience")?;
    let wait = duration(cols.wait, "a wait")?;
    let bot = duration(cols.bot_time, "a bot time")?;
    let outcome = cols.outcome.map(|c| cell(c).to_ascii_lowercase());
    let patience = match (known, wait) {
        (Some(p), _) => Patience::Known(p),
        (None, None) => Patience::Draw,
        (None, Some(w)) => {
            // Patience runs from the first bot on; the wait, from reaching the queue.
            let waited = w.plus(bot.unwrap_or(SimTime::ZERO));
            match outcome.as_deref() {
                Some("abandoned") => Patience::Known(waited),
                Some("waiting") => Patience::Beyond(waited),
                Some(_) if handle.is_some() => Patience::Beyond(waited),
                Some(_) => Patience::Draw,
                // No outcome: a row with a handle time was answered, one without gave up.
                None if handle.is_some() => Patience::Beyond(waited),
                None => Patience::Known(waited),
            }
        }
    };
    for &(c, attr) in &cols.named {
        let v = cell(c);
        if v.is_empty() {
            continue;
        }
        let id = vocabulary.value(attr, v).map_err(|e| (Some(c), e))?;
        set(attrs, attr, id);
    }
    if let Some(c) = cols.packed {
        let packed = cell(c);
        for pair in packed.split(';').filter(|p| !p.trim().is_empty()) {
            let Some((k, v)) = pair.split_once('=') else {
                return Err((
                    Some(c),
                    format!(
                        "{} is not name=value (attributes are packed as \"topic=sales;language=de\")",
                        shown(pair)
                    ),
                ));
            };
            let (k, v) = (k.trim(), v.trim());
            if k.is_empty() || v.is_empty() {
                return Err((
                    Some(c),
                    format!("{} has an empty name or value", shown(pair)),
                ));
            }
            // A named column wins over the packed one.
            let attr = vocabulary.attr(k).map_err(|e| (Some(c), e))?;
            if cols.named.iter().any(|&(_, a)| a == attr) {
                continue;
            }
            let id = vocabulary.value(attr, v).map_err(|e| (Some(c), e))?;
            set(attrs, attr, id);
        }
    }
    Ok(Some(Cells {
        arrival,
        handle,
        patience,
    }))
}

fn set(attrs: &mut Vec<ValueId>, attr: AttrId, v: ValueId) {
    if attrs.len() <= attr.ix() {
        attrs.resize(attr.ix() + 1, NO_VALUE);
    }
    attrs[attr.ix()] = v;
}

/// A log being read: a CSV reader over the file, counting the lines its rows start on.
pub type LogReader = csv::Reader<Lines<BufReader<File>>>;

/// Opens a log for streaming: a buffered CSV reader whose header is read.
pub fn open(path: &std::path::Path) -> std::io::Result<LogReader> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(Lines::new(BufReader::with_capacity(
            64 * 1024,
            File::open(path)?,
        ))))
}

/// The bytes of a log as the CSV reader takes them, and the lines its rows start on. csv's own
/// count is where the reader stood before it passed the end of the row above, so a row after a
/// blank line, and every row of a file with CRLF ends (as Windows tools write them), was named
/// by a line above its own. A row starts past the line ends at its byte offset, as the data
/// files' `Lines` counts it over the whole text; a log is never held, so this one keeps only
/// the runs of line-end bytes read ahead of the last row asked about (the CSV reader's buffer,
/// and the row itself when a quoted cell spans lines).
#[derive(Debug)]
pub struct Lines<R> {
    inner: R,
    /// Bytes passed on so far.
    read: u64,
    /// Runs of CR and LF bytes past the last row asked about, in file order: (offset of the
    /// first, offset after the last, LFs in the file before that end). The last run may go on
    /// in the next read.
    runs: std::collections::VecDeque<(u64, u64, u64)>,
    /// LFs in the file before the first run kept (or, with none kept, before `read`).
    lines: u64,
    /// The hash of every byte passed on, when asked for ([`Lines::hash`]).
    digest: Option<Fnv1aWords>,
}

impl<R> Lines<R> {
    /// Counts the lines of what `inner` gives.
    pub fn new(inner: R) -> Self {
        Lines {
            inner,
            read: 0,
            runs: std::collections::VecDeque::new(),
            lines: 0,
            digest: None,
        }
    }

    /// Hashes every byte from now on (call it before the first read): checking a log reads it
    /// whole, and its hash goes into the scenario's, so that shards of a run whose log changed
    /// between them are not merged (see [`crate::model::Model::source_hash`]).
    pub fn hash(&mut self) {
        debug_assert_eq!(self.read, 0, "a log is hashed from its first byte");
        self.digest = Some(Fnv1aWords::default());
    }

    /// The hash of the bytes read so far, in hex, if [`Lines::hash`] asked for it.
    pub fn digest(&self) -> Option<String> {
        self.digest.map(|d| d.hex(self.read))
    }

    /// The line a row (or CSV error) at `pos` starts on: past the line ends at its offset.
    /// Rows are asked about in file order. `None` without a position.
    pub fn of(&mut self, pos: Option<&csv::Position>) -> Option<u64> {
        let at = pos?.byte();
        while let Some(&(start, end, lfs)) = self.runs.front() {
            if end <= at {
                self.lines = lfs;
                self.runs.pop_front();
            } else if start <= at {
                return Some(lfs + 1);
            } else {
                break;
            }
        }
        Some(self.lines + 1)
    }
}

impl<R: std::io::Read> std::io::Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(d) = &mut self.digest {
            d.write(&buf[..n]);
        }
        for i in memchr::memchr2_iter(b'\n', b'\r', &buf[..n]) {
            let b = buf[i];
            let at = self.read + i as u64;
            let lf = (b == b'\n') as u64;
            match self.runs.back_mut() {
                Some(run) if run.1 == at => {
                    run.1 += 1;
                    run.2 += lf;
                }
                last => {
                    let before = last.map_or(self.lines, |run| run.2);
                    self.runs.push_back((at, at + 1, before + lf));
                }
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

/// The message for a CSV error met on `line` (the content is never quoted).
pub fn csv_problem(e: &csv::Error, line: u64) -> Problem {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("this row has {len} fields; the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "this row is not valid UTF-8".into(),
        csv::ErrorKind::Io(e) => format!("cannot read on: {e}"),
        _ => "this row is not valid CSV".into(),
    };
    Problem {
        line,
        column: None,
        message,
    }
}

/// Simulated ticks of an arrival (negative: before the clock's beginning).
pub fn sim_ticks(clock: ReplayClock, arrival: Arrival) -> Result<i64, &'static str> {
    let secs = match (clock, arrival) {
        (ReplayClock::Seconds { warmup }, Arrival::Seconds(s)) => warmup.as_secs_f64() + s,
        (ReplayClock::Dated { shift }, Arrival::Dated(s)) => s - shift as f64,
        _ => return Err("mixes seconds and date-times; use one kind"),
    };
    let ticks = (secs * TICKS_PER_SEC as f64).round();
    // Ten thousand years either way: far outside any run, and inside i64 ticks.
    if ticks.abs() > 3.2e17 {
        return Err("the arrival is too far from the run's clock");
    }
    Ok(ticks as i64)
}

/// What the checked reading of a log found: its figures, and its problems (at most
/// `max_problems`, then counted).
#[derive(Debug, Default)]
pub struct Scan {
    /// How times are laid on the clock (from the first row of the stream).
    pub clock: Option<ReplayClock>,
    /// Rows of the stream.
    pub rows: u64,
    /// Of those, inside the run.
    pub rows_in_run: u64,
    /// Before the clock's beginning.
    pub rows_before: u64,
    /// At or after the run's end.
    pub rows_after: u64,
    /// First and last arrival, simulated seconds.
    pub first: f64,
    /// See `first`.
    pub last: f64,
    /// Largest step back in time between a row and an earlier one, ticks.
    pub disorder: u64,
    /// Rows inside the run by hour of the week (of the simulated clock).
    pub by_hour: Vec<u64>,
    /// Sum and count of the handle times the rows inside the run give.
    pub handle_sum: f64,
    /// See `handle_sum`.
    pub handle_rows: u64,
    /// Rows inside the run by attribute and value: the log's mix.
    pub mix: Vec<HashMap<ValueId, u64>>,
    /// Problems, in file order.
    pub problems: Vec<Problem>,
    /// Problems beyond those kept.
    pub more: u64,
    /// The `traffic` column's values of rows that were not the stream's (a few, for a hint).
    pub other_streams: Vec<String>,
}

/// What [`scan`] needs to know of the run.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// The warm-up.
    pub warmup: SimTime,
    /// The end of the run (warm-up plus duration).
    pub end: SimTime,
    /// Ticks since Monday 00:00 at simulated time 0.
    pub week_time_at_zero: u64,
    /// Most rows of the stream.
    pub max_rows: u64,
    /// Most a row may go back before an earlier one, ticks.
    pub max_disorder: u64,
    /// Most problems kept.
    pub max_problems: usize,
}

/// Reads the whole log once, checking every row of the stream: see [`Scan`].
pub fn scan(
    reader: &mut LogReader,
    header: &csv::StringRecord,
    cols: &ReplayColumns,
    filter: Filter<'_>,
    run: Run,
    vocabulary: &mut dyn Vocabulary,
) -> Scan {
    let mut s = Scan {
        first: f64::INFINITY,
        last: f64::NEG_INFINITY,
        by_hour: vec![0; 168],
        ..Scan::default()
    };
    let mut record = csv::StringRecord::new();
    let mut attrs = Vec::new();
    let mut latest: Option<(i64, u64)> = None;
    let mut index = 0u64;
    let problem = |s: &mut Scan, p: Problem| {
        if s.problems.len() < run.max_problems {
            s.problems.push(p);
        } else {
            s.more += 1;
        }
    };
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = reader.get_mut().of(e.position());
                let p = csv_problem(&e, line.unwrap_or(index + 2));
                let fatal = !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. });
                problem(&mut s, p);
                index += 1;
                if fatal {
                    break;
                }
                continue;
            }
        }
        index += 1;
        let line = (reader.get_mut().of(record.position())).unwrap_or(index + 1);
        attrs.clear();
        let cells = match parse_row(cols, filter, &record, vocabulary, &mut attrs) {
            Ok(Some(c)) => c,
            Ok(None) => {
                if let Some(c) = cols.traffic {
                    let v = record.get(c).unwrap_or("").trim();
                    if s.other_streams.len() < 5 && !s.other_streams.iter().any(|x| x == v) {
                        s.other_streams.push(v.to_string());
                    }
                }
                continue;
            }
            Err((c, message)) => {
                let column = c.and_then(|c| header.get(c)).map(str::to_string);
                problem(
                    &mut s,
                    Problem {
                        line,
                        column,
                        message,
                    },
                );
                continue;
            }
        };
        s.rows += 1;
        if s.rows > run.max_rows {
            problem(
                &mut s,
                Problem {
                    line,
                    column: None,
                    message: format!(
                        "the log has more than {} rows for this stream, the limit",
                        run.max_rows
                    ),
                },
            );
            break;
        }
        let clock = *s.clock.get_or_insert_with(|| match cells.arrival {
            Arrival::Seconds(_) => ReplayClock::Seconds { warmup: run.warmup },
            Arrival::Dated(secs) => {
                // The Monday 00:00 of the first row's week (1970-01-05 was a Monday) goes on
                // the Monday 00:00 at or before simulated time 0.
                let day = (secs / 86_400.0).floor() as i64;
                let monday = (day - 4).div_euclid(7) * 7 + 4;
                let zero_back = (run.week_time_at_zero / TICKS_PER_SEC) as i64;
                ReplayClock::Dated {
                    shift: monday * 86_400 + zero_back,
                }
            }
        });
        let t = match sim_ticks(clock, cells.arrival) {
            Ok(t) => t,
            Err(e) => {
                let column = header.get(cols.arrival).map(str::to_string);
                problem(
                    &mut s,
                    Problem {
                        line,
                        column,
                        message: e.into(),
                    },
                );
                continue;
            }
        };
        if let Some((latest_t, latest_line)) = latest
            && t < latest_t
        {
            let back = (latest_t - t) as u64;
            if back > run.max_disorder {
                problem(
                    &mut s,
                    Problem {
                        line,
                        column: header.get(cols.arrival).map(str::to_string),
                        message: format!(
                            "this arrival is {} before the one on line {latest_line}: sort the log by arrival (rows may be out of order by {} at most, `reorder`)",
                            crate::model::Length(back),
                            crate::model::Length(run.max_disorder),
                        ),
                    },
                );
                continue;
            }
            s.disorder = s.disorder.max(back);
        }
        if latest.is_none_or(|(l, _)| t > l) {
            latest = Some((t, line));
        }
        let secs = t as f64 / TICKS_PER_SEC as f64;
        s.first = s.first.min(secs);
        s.last = s.last.max(secs);
        if t < 0 {
            s.rows_before += 1;
            continue;
        }
        if t as u64 >= run.end.0 {
            s.rows_after += 1;
            continue;
        }
        s.rows_in_run += 1;
        let week = (run.week_time_at_zero + t as u64) % crate::model::WEEK;
        s.by_hour[(week / (3_600 * TICKS_PER_SEC)) as usize] += 1;
        if let Some(h) = cells.handle {
            s.handle_sum += h.as_secs_f64();
            s.handle_rows += 1;
        }
        for (a, &v) in attrs.iter().enumerate() {
            if v != NO_VALUE {
                if s.mix.len() <= a {
                    s.mix.resize_with(a + 1, HashMap::new);
                }
                *s.mix[a].entry(v).or_default() += 1;
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives what it holds `step` bytes at a time, so that runs of line ends cross reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_logs_hash_is_its_bytes_however_they_are_read() {
        let hash = |bytes: &[u8], step: usize| {
            let mut lines = Lines::new(Trickle(bytes, step));
            lines.hash();
            std::io::copy(&mut lines, &mut std::io::sink()).unwrap();
            lines.digest().unwrap()
        };
        let log = b"arrival,topic\n0,sales\n60,support\n120,billing\n";
        let whole = hash(log, 8192);
        for step in [1, 3, 7, 8, 9] {
            assert_eq!(hash(log, step), whole, "read {step} bytes at a time");
        }
        // Any one byte changed, and a zero byte added at the end (which pads the last word
        // alike), change it.
        for i in 0..log.len() {
            let mut edited = log.to_vec();
            edited[i] ^= 0x20;
            assert_ne!(hash(&edited, 8192), whole, "byte {i}");
        }
        let longer = [&log[..], &[0]].concat();
        assert_ne!(hash(&longer, 8192), whole);
    }

    #[test]
    fn rows_are_named_by_their_own_line() {
        // (log, the line each record starts on, header included): csv's own count had said
        // [1, 1, 2] for the second log and [1, 2, 3] for the third.
        for (text, want) in [
            ("a\n1\n2\n", vec![1, 2, 3]),
            ("a\r\n1\r\n2\r\n", vec![1, 2, 3]),
            ("a\n1\n\n\n2\n", vec![1, 2, 5]),
            ("a\r\n1\r\n\r\n2", vec![1, 2, 4]),
            ("\n\na\n1\n", vec![3, 4]),
            ("\r\n\r\na\r\n1\r\n", vec![3, 4]),
            ("a\n\"x\r\ny\"\n3\n", vec![1, 2, 4]),
            ("a,b\r\n\"x\n\ny\",1\r\n\r\n3,4\r\n", vec![1, 2, 6]),
        ] {
            for step in [1, 2, 3, 8192] {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(Lines::new(Trickle(text.as_bytes(), step)));
                let mut record = csv::StringRecord::new();
                let mut got = Vec::new();
                while reader.read_record(&mut record).unwrap() {
                    got.push(reader.get_mut().of(record.position()).unwrap());
                }
                assert_eq!(got, want, "{text:?} read {step} bytes at a time");
            }
        }
    }

    #[test]
    fn lines_keep_only_the_line_ends_ahead_of_the_last_row() {
        // 100,000 rows: the line ends kept are the CSV reader's read-ahead, not the log's.
        let text = "arrival\r\n".to_string() + &"60\r\n\r\n".repeat(100_000);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(Lines::new(text.as_bytes()));
        let header = reader.headers().unwrap().position().cloned();
        let header_line = reader.get_mut().of(header.as_ref());
        assert_eq!(header_line, Some(1));
        let mut record = csv::StringRecord::new();
        let mut most = 0;
        let mut last = 0;
        while reader.read_record(&mut record).unwrap() {
            last = reader.get_mut().of(record.position()).unwrap();
            most = most.max(reader.get_ref().runs.len());
        }
        assert_eq!(last, 2 * 100_000);
        assert!(most < 10_000, "{most}");
    }

    #[test]
    fn date_times_read_their_wall_clock() {
        // 2026-11-24 is a Tuesday: 20,781 days after 1970-01-01.
        let tue = 20_781.0 * 86_400.0;
        assert_eq!(
            parse_date_time("2026-11-24T07:03"),
            Some(tue + 7.0 * 3_600.0 + 180.0)
        );
        assert_eq!(
            parse_date_time("2026-11-24 07:03:12.5"),
            Some(tue + 7.0 * 3_600.0 + 192.5)
        );
        // An offset is left aside: the wall clock as written is what shifts follow.
        for s in [
            "2026-11-24T07:03:00Z",
            "2026-11-24T07:03:00+01:00",
            "2026-11-24T07:03:00-0530",
        ] {
            assert_eq!(parse_date_time(s), Some(tue + 7.0 * 3_600.0 + 180.0), "{s}");
        }
        for bad in [
            "2026-11-24",
            "2026-02-29T08:00",
            "2026-11-24T24:00",
            "2026-11-24T07:03:61",
            "2026-11-24X07:03",
            "2026-11-24T07:03:00+1",
            "2026-11-24T07:3",
            "20261124T070300",
        ] {
            assert_eq!(parse_date_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn arrivals_are_seconds_or_date_times() {
        assert_eq!(parse_arrival(" 90.5 "), Ok(Arrival::Seconds(90.5)));
        assert_eq!(parse_arrival("-3"), Ok(Arrival::Seconds(-3.0)));
        assert!(matches!(
            parse_arrival("2026-11-24T07:03"),
            Ok(Arrival::Dated(_))
        ));
        assert!(parse_arrival("inf").is_err());
        assert!(
            parse_arrival("yesterday")
                .unwrap_err()
                .contains("\"yesterday\"")
        );
    }
}
