//! `replay = "chats.csv"` on a traffic stream: the log is read once, row by row, every row
//! checked (problems reported with file:line and column), and what the run needs is kept in a
//! [`Replay`]: the columns, how times meet the clock, the attribute values, and the log's
//! volume by hour of the week (the stream's `rate` and `profile`, for load estimates).

use super::traffic::{UNPACKABLE, packs};
use std::collections::HashMap;
use std::sync::Arc;

use toml::Spanned;

use super::Compiler;
use crate::model::*;
use crate::scenario::limits;
use crate::scenario::raw::{RawReplay, RawTraffic};
use crate::scenario::replay_log::{self as log, Filter, Run, Vocabulary, shown};

/// Default `reorder`: how far a row may go back before an earlier one. A simulator's own
/// `chats.csv` is written as chats end, so it is out of order by the longest stay.
pub const DEFAULT_REORDER_SECS: f64 = 6.0 * 3_600.0;
/// Default `jitter`: how far extra copies of a row arrive from it, either side.
pub const DEFAULT_JITTER_SECS: f64 = 300.0;

/// The compiler's attribute tables, as the log's reading learns names and values.
struct Learn<'c, 'a> {
    c: &'c mut Compiler<'a>,
    values: Vec<HashMap<String, ValueId>>,
    names: HashMap<String, AttrId>,
    distinct: usize,
}

impl Learn<'_, '_> {
    fn room(&mut self) -> Result<(), String> {
        self.distinct += 1;
        if self.distinct > limits::MAX_REPLAY_VALUES {
            return Err(format!(
                "the log holds more than {} distinct attributes and values, the limit (is a column of ids read as an attribute?)",
                limits::MAX_REPLAY_VALUES
            ));
        }
        Ok(())
    }
}

impl Vocabulary for Learn<'_, '_> {
    fn attr(&mut self, name: &str) -> Result<AttrId, String> {
        if let Some(&a) = self.names.get(name) {
            return Ok(a);
        }
        if name.chars().any(char::is_control) {
            return Err("an attribute name may not contain control characters".into());
        }
        if !packs(name) {
            return Err(format!("the attribute name {name:?} {UNPACKABLE}"));
        }
        self.room()?;
        let a = self.c.attr(name);
        self.names.insert(name.to_string(), a);
        Ok(a)
    }

    fn value(&mut self, attr: AttrId, text: &str) -> Result<ValueId, String> {
        if self.values.len() <= attr.ix() {
            self.values.resize_with(attr.ix() + 1, HashMap::new);
        }
        if let Some(&v) = self.values[attr.ix()].get(text) {
            return Ok(v);
        }
        if text.chars().any(char::is_control) {
            return Err("a value may not contain control characters".into());
        }
        if !packs(text) {
            return Err(format!("the value {text:?} {UNPACKABLE}"));
        }
        self.room()?;
        let v = self.c.value(attr, text);
        self.values[attr.ix()].insert(text.to_string(), v);
        Ok(v)
    }
}

/// What a replay needs of the run.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    pub warmup: SimTime,
    pub end: SimTime,
    pub week_time_at_zero: u64,
}

impl Compiler<'_> {
    /// Reads and checks every stream's log, once every attribute the rules name is known (a
    /// column named like one is read as it), and sets the stream's volume from it.
    pub(super) fn replays(
        &mut self,
        raw: &[Spanned<RawTraffic>],
        traffic: &mut [Traffic],
        clock: Clock,
    ) {
        for (i, t) in raw.iter().enumerate() {
            let Some(spec) = &t.get_ref().replay else {
                continue;
            };
            let Some(stream) = traffic.get_mut(i) else {
                continue;
            };
            let key = format!("traffic[{i}].replay");
            if let Some(replay) = self.replay(&key, spec.span(), &spec.get_ref().0, stream, clock) {
                stream.replay = Some(Arc::new(replay));
            }
        }
    }

    /// The rules' attribute checks, once the logs are read: a condition on an attribute or a
    /// value that no stream sets (by its `attributes` or its log) never holds.
    pub(super) fn rules_against_logs(&mut self, rules: &[Rule], traffic: &[Traffic]) {
        let sets = |attr: AttrId, value: Option<ValueId>| {
            traffic.iter().any(|t| {
                t.attributes.iter().any(|(a, choice)| {
                    *a == attr
                        && value.is_none_or(|v| choice.distribution().iter().any(|d| d.0 == v))
                })
            })
        };
        for r in rules {
            for c in &r.when {
                let Condition::Attr { attr, values } = c else {
                    continue;
                };
                let name = &self.attributes[attr.ix()].name;
                if !sets(*attr, None) {
                    self.warnings.push(format!(
                        "rule \"{}\": no traffic stream sets the attribute \"{name}\", so this condition never holds",
                        r.name
                    ));
                    continue;
                }
                for &v in values {
                    if !sets(*attr, Some(v)) {
                        self.warnings.push(format!(
                            "rule \"{}\": no traffic stream sets {name} = \"{}\"",
                            r.name,
                            self.attributes[attr.ix()].values[v as usize]
                        ));
                    }
                }
            }
        }
    }

    fn replay(
        &mut self,
        key: &str,
        span: std::ops::Range<usize>,
        spec: &RawReplay,
        stream: &mut Traffic,
        clock: Clock,
    ) -> Option<Replay> {
        let span = Some(span);
        let path = self.base_dir.join(&spec.file);
        let at = |line: u64| format!("{}:{line}", path.display());
        let opened = std::fs::metadata(&path).and_then(|m| log::open(&path).map(|r| (m, r)));
        let (meta, mut reader) = match opened {
            Ok((meta, mut reader)) => {
                reader.get_mut().hash();
                (meta, reader)
            }
            Err(e) => {
                self.err(key, span, format!("cannot read {}: {e}", path.display()))
                    .hint = Some(
                    "the path is relative to the scenario file's folder; it must name a regular file"
                        .into(),
                );
                return None;
            }
        };
        let header = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                let line = reader.get_mut().of(e.position()).unwrap_or(1);
                let p = log::csv_problem(&e, line);
                self.err(key, span, format!("{}: {}", at(p.line), p.message));
                return None;
            }
        };
        // The header's own line: blank lines may come before it.
        let header_line = reader.get_mut().of(header.position()).unwrap_or(1);
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let col = |name: &str| {
            names
                .iter()
                .position(|h| *h == name.trim().to_ascii_lowercase())
        };
        let mut missing = Vec::new();
        // A column the table names must be there; a default one may be absent (but arrival).
        let mut named = |key: &str, given: &Option<String>, default: &str, required: bool| {
            let name = given.as_deref().unwrap_or(default);
            let c = col(name);
            if c.is_none() && (required || given.is_some()) {
                missing.push((key.to_string(), name.to_string()));
            }
            c
        };
        let arrival = named("arrival", &spec.arrival, "arrival", true);
        let handle_time = named("handle_time", &spec.handle_time, "handle_time", false);
        let patience = named("patience", &spec.patience, "patience", false);
        let wait = named("wait", &spec.wait, "wait", false);
        let outcome = named("outcome", &spec.outcome, "outcome", false);
        let mut attr_cols = Vec::new();
        match &spec.attributes {
            Some(list) => {
                for name in list {
                    match col(name) {
                        Some(c) => attr_cols.push((c, name.trim().to_string())),
                        None => missing.push(("attributes".into(), name.clone())),
                    }
                }
            }
            None => {
                for (c, name) in header.iter().enumerate() {
                    let name = name.trim();
                    if self.attr_ix.contains_key(name) && !RESERVED.contains(&name) {
                        attr_cols.push((c, name.to_string()));
                    }
                }
            }
        }
        if !missing.is_empty() {
            let columns: Vec<String> = header.iter().take(30).map(shown).collect();
            for (k, name) in missing {
                self.err(
                    key,
                    span.clone(),
                    format!(
                        "{}: the log has no column {} ({k})",
                        at(header_line),
                        shown(&name)
                    ),
                )
                .hint = Some(format!(
                    "its columns are {}; name the log's own with replay = {{ file = \"{}\", {k} = \"...\" }}",
                    columns.join(", "),
                    spec.file
                ));
            }
            return None;
        }
        // One column read as two things (`handle_time = "arrival"`) would give each chat its
        // arrival time as its handle time.
        let roles = [
            ("arrival", arrival),
            ("handle_time", handle_time),
            ("patience", patience),
            ("wait", wait),
            ("outcome", outcome),
        ];
        let mut shared = false;
        for (i, &(a, ca)) in roles.iter().enumerate() {
            for &(b, cb) in &roles[i + 1..] {
                if let (Some(x), Some(y)) = (ca, cb)
                    && x == y
                {
                    self.err(
                        key,
                        span.clone(),
                        format!(
                            "{}: {a} and {b} both read column {}",
                            at(header_line),
                            shown(&header[x])
                        ),
                    );
                    shared = true;
                }
            }
        }
        if shared {
            return None;
        }
        let arrival = arrival.expect("checked above");
        let fixed = |name: &str| col(name);
        let mut columns = ReplayColumns {
            arrival,
            handle_time,
            patience,
            wait,
            bot_time: fixed("bot_time"),
            outcome,
            traffic: fixed("traffic"),
            replication: fixed("replication"),
            attempt: fixed("attempt"),
            packed: fixed("attributes"),
            named: Vec::new(),
        };
        // A column read whose name the header gives twice (`arrival,...,arrival`, or
        // `handle_time,Handle_Time`): the first had been read and the other dropped.
        let read = [
            Some(columns.arrival),
            columns.handle_time,
            columns.patience,
            columns.wait,
            columns.bot_time,
            columns.outcome,
            columns.traffic,
            columns.replication,
            columns.attempt,
            columns.packed,
        ];
        let read = read
            .into_iter()
            .flatten()
            .chain(attr_cols.iter().map(|a| a.0));
        for c in read {
            if let Some(twin) = (0..names.len()).find(|&o| o != c && names[o] == names[c]) {
                self.err(
                    key,
                    span.clone(),
                    format!(
                        "{}: the header names two columns {} (columns {} and {}); keep one",
                        at(header_line),
                        shown(&header[c]),
                        c.min(twin) + 1,
                        c.max(twin) + 1
                    ),
                );
                return None;
            }
        }
        // A column listed in `attributes` is read as one attribute, whatever its name.
        if let Some(list) = &spec.attributes
            && list
                .iter()
                .any(|n| n.trim().eq_ignore_ascii_case("attributes"))
        {
            columns.packed = None;
        }
        for (c, name) in attr_cols {
            if !packs(&name) {
                self.err(
                    key,
                    span.clone(),
                    format!(
                        "{}: column {}: the attribute name {name:?} {UNPACKABLE}",
                        at(header_line),
                        shown(&header[c])
                    ),
                );
                return None;
            }
            let a = self.attr(&name);
            columns.named.push((c, a));
        }
        let reorder = spec.reorder.map_or(DEFAULT_REORDER_SECS, |r| r.0);
        let jitter = spec.jitter.map_or(DEFAULT_JITTER_SECS, |j| j.0);
        for (what, v) in [("reorder", reorder), ("jitter", jitter)] {
            if v > 7.0 * 86_400.0 {
                self.err(
                    format!("{key}.{what}"),
                    span.clone(),
                    format!(
                        "{what} is at most a week (7d), got {}",
                        Length(SimTime::from_secs_f64(v).0)
                    ),
                );
                return None;
            }
        }
        let stream_name = spec.stream.clone().unwrap_or_else(|| stream.name.clone());
        let replication = spec.replication.unwrap_or(0);
        let run = Run {
            warmup: clock.warmup,
            end: clock.end,
            week_time_at_zero: clock.week_time_at_zero,
            max_rows: limits::MAX_REPLAY_ROWS,
            max_disorder: SimTime::from_secs_f64(reorder).0,
            max_problems: limits::MAX_DIAGNOSTICS,
        };
        let mut learn = Learn {
            c: self,
            values: Vec::new(),
            names: HashMap::new(),
            distinct: 0,
        };
        // Attributes the scenario knows are known to the packed column too.
        for (name, &a) in &learn.c.attr_ix {
            learn.names.insert(name.clone(), a);
        }
        for (a, attr) in learn.c.attributes.iter().enumerate() {
            let mut m = HashMap::new();
            for (v, text) in attr.values.iter().enumerate() {
                m.insert(text.clone(), v as ValueId);
            }
            if learn.values.len() <= a {
                learn.values.resize_with(a + 1, HashMap::new);
            }
            learn.values[a] = m;
        }
        let filter = Filter {
            stream: &stream_name,
            replication,
        };
        let scan = log::scan(&mut reader, &header, &columns, filter, run, &mut learn);
        let Learn { values, names, .. } = learn;
        let problems = scan.problems.len();
        for p in &scan.problems {
            let column = p
                .column
                .as_deref()
                .map_or(String::new(), |c| format!("column {}: ", shown(c.trim())));
            self.err(
                key,
                span.clone(),
                format!("{}: {column}{}", at(p.line), p.message),
            );
        }
        self.unlisted += scan.more;
        if problems > 0 {
            return None;
        }
        // Read to its end: the hash is the whole log's.
        if let Some(d) = reader.get_ref().digest() {
            self.note_input(&spec.file, d);
        }
        if scan.rows == 0 {
            let d = self.err(
                key,
                span.clone(),
                format!("{} holds no rows for this stream", path.display()),
            );
            if columns.traffic.is_some() {
                d.hint = Some(if scan.other_streams.is_empty() {
                    format!(
                        "rows are kept whose traffic column is \"{stream_name}\"{}",
                        if columns.replication.is_some() {
                            format!(" and whose replication is {replication}")
                        } else {
                            String::new()
                        }
                    )
                } else {
                    let others: Vec<String> = scan.other_streams.iter().map(|s| shown(s)).collect();
                    format!(
                        "its traffic column names {}; choose one with replay = {{ file = \"{}\", stream = \"...\" }}",
                        others.join(", "),
                        spec.file
                    )
                });
            }
            return None;
        }
        let clock_kind = scan.clock.expect("a row was read");
        let when = |secs: f64| -> String {
            let ticks = SimTime::from_secs_f64(secs.max(0.0)).0;
            format!(
                "{} ({})",
                WeekTime((clock.week_time_at_zero + ticks) % WEEK),
                if secs < 0.0 {
                    "before the clock's beginning".to_string()
                } else {
                    format!("{} into the run", Length(ticks))
                }
            )
        };
        if scan.rows_in_run == 0 {
            self.err(
                key,
                span,
                format!(
                    "no row of {} falls within the run: its arrivals run from {} to {}, the run for {}",
                    path.display(),
                    when(scan.first),
                    when(scan.last),
                    Length(clock.end.0)
                ),
            )
            .hint = Some(match clock_kind {
                ReplayClock::Seconds { .. } => "seconds count from simulation.start (the end of the warm-up)".into(),
                ReplayClock::Dated { .. } => "date-times keep their weekday and time of day: set simulation.start to the log's first day".into(),
            });
            return None;
        }
        if scan.rows_before > 0 {
            self.warnings.push(format!(
                "{key}: {} rows of {} arrive before the clock begins and are not replayed",
                scan.rows_before,
                path.display()
            ));
        }
        if scan.rows_after > 0 {
            self.warnings.push(format!(
                "{key}: {} rows of {} arrive after the run's end and are not replayed",
                scan.rows_after,
                path.display()
            ));
        }
        let tail = clock.end.as_secs_f64() - scan.last;
        if tail > 3_600.0 {
            self.warnings.push(format!(
                "{key}: the run goes on {} after the last row of {}: no chats arrive from it then",
                Length(SimTime::from_secs_f64(tail).0),
                path.display()
            ));
        }
        // The stream's volume by hour of the week: each hour's rows over the time the run
        // spends in that hour, so that rate x profile over the run gives back the rows. Whole
        // weeks spend an hour in each; only the rest is walked, an hour at a time, so that
        // the time taken does not grow with the run (a duration past the 10-year limit is
        // refused, but only after this: walked whole, `--duration 1e308` never ended).
        let hour = 3_600 * TICKS_PER_SEC;
        let weeks = clock.end.0 / WEEK;
        let mut covered = [weeks * hour; 168];
        let mut t = weeks * WEEK;
        while t < clock.end.0 {
            let week = (clock.week_time_at_zero % WEEK + t % WEEK) % WEEK;
            let h = (week / hour) as usize;
            let len = (hour - week % hour).min(clock.end.0 - t);
            covered[h] += len;
            t += len;
        }
        let rates: Vec<f64> = (0..168)
            .map(|h| match covered[h] {
                0 => 0.0,
                c => scan.by_hour[h] as f64 / (c as f64 / TICKS_PER_SEC as f64),
            })
            .collect();
        let peak = rates.iter().copied().fold(0.0, f64::max);
        let mut points: Vec<(u64, f64)> = rates
            .iter()
            .enumerate()
            .map(|(h, r)| (h as u64 * hour, r / peak))
            .collect();
        points.dedup_by(|b, a| a.1 == b.1);
        stream.rate = peak * stream.scale;
        stream.profile = Profile { points };
        let drawn = scan.rows_in_run - scan.handle_rows;
        stream.handle_time.mean_secs = (scan.handle_sum
            + drawn as f64 * stream.handle_time.mean_secs)
            / scan.rows_in_run as f64;
        // Reports and explain read a stream's mix from `attributes`; the engine reads the rows.
        let fill = stream.attributes.clone();
        for (a, counts) in scan.mix.iter().enumerate() {
            if counts.is_empty() || fill.iter().any(|(x, _)| x.ix() == a) {
                continue;
            }
            let mut counts: Vec<(ValueId, u64)> = counts.iter().map(|(&v, &n)| (v, n)).collect();
            counts.sort_unstable();
            let total: u64 = counts.iter().map(|c| c.1).sum();
            let mut acc = 0;
            let cum = counts
                .into_iter()
                .map(|(v, n)| {
                    acc += n;
                    (v, acc as f64 / total as f64)
                })
                .collect();
            stream
                .attributes
                .push((AttrId(a as u32), AttrChoice::Weighted(cum)));
        }
        Some(Replay {
            path,
            fingerprint: (meta.len(), meta.modified().ok()),
            columns,
            fields: header.len(),
            clock: clock_kind,
            stream: stream_name,
            replication,
            values,
            attr_names: names,
            fill,
            jitter: SimTime::from_secs_f64(jitter),
            disorder: SimTime(scan.disorder),
            scale: stream.scale,
            rows: scan.rows,
            rows_in_run: scan.rows_in_run,
            rows_before: scan.rows_before,
            rows_after: scan.rows_after,
            first: scan.first,
            last: scan.last,
        })
    }
}

/// Columns of `chats.csv` that are never read as an attribute of the same name.
const RESERVED: [&str; 10] = [
    "arrival",
    "handle_time",
    "patience",
    "wait",
    "outcome",
    "traffic",
    "replication",
    "attempt",
    "bot_time",
    "attributes",
];

#[cfg(test)]
mod tests {
    /// The messages of a one-stream scenario that replays a log holding `csv`.
    fn replay_problems(csv: &str) -> Vec<String> {
        let traffic = "replay = \"log.csv\"\nhandle_time = \"5m\"";
        super::super::data_file::problems(traffic, "log.csv", csv.as_bytes())
    }

    #[test]
    fn a_logs_values_must_read_back_from_chats_csv() {
        // A value with `;` or `=` would be packed into chats.csv as other attributes.
        let traffic =
            "replay = { file = \"log.csv\", attributes = [\"topic\"] }\nhandle_time = \"5m\"";
        let log = b"arrival,topic\n0,sales\n60,\"a;region=eu\"\n";
        let got = super::super::data_file::problems(traffic, "log.csv", log);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains("log.csv:3: column \"topic\": the value \"a;region=eu\" cannot be written to chats.csv"),
            "{got:?}"
        );
        let log = b"arrival,plan=x\n0,gold\n";
        let traffic =
            "replay = { file = \"log.csv\", attributes = [\"plan=x\"] }\nhandle_time = \"5m\"";
        let got = super::super::data_file::problems(traffic, "log.csv", log);
        assert!(
            got.iter()
                .any(|g| g.contains("the attribute name \"plan=x\" cannot be written")),
            "{got:?}"
        );
    }

    #[test]
    fn a_column_read_whose_name_is_given_twice_is_refused() {
        let traffic = "replay = \"log.csv\"\nhandle_time = \"5m\"";
        for (log, want) in [
            (
                &b"arrival,handle_time,arrival\n10,60,9000\n"[..],
                "log.csv:1: the header names two columns \"arrival\" (columns 1 and 3); keep one",
            ),
            (
                b"arrival,handle_time,Handle_Time\n10,60,9000\n",
                "log.csv:1: the header names two columns \"handle_time\" (columns 2 and 3); keep one",
            ),
        ] {
            let got = super::super::data_file::problems(traffic, "log.csv", log);
            assert_eq!(got.len(), 1, "{got:?}");
            assert!(got[0].ends_with(want), "{got:?}");
        }
        // Twins among the columns not read do not matter.
        let log = b"arrival,note,note\n10,a,b\n";
        assert!(super::super::data_file::problems(traffic, "log.csv", log).is_empty());
    }

    #[test]
    fn bad_rows_are_named_by_their_own_line() {
        // "soon" is on line 5 and the ragged row on line 6: csv's own count had named "soon"
        // by line 3 after the blank lines, and by line 2 in the file with CRLF ends.
        let want = [
            "log.csv:5: column \"handle_time\": cannot read \"soon\" as a handle time; write seconds (300) or a duration (5m)",
            "log.csv:6: this row has 3 fields; the header has 2",
        ];
        for csv in [
            "arrival,handle_time\n0,300\n\n\n60,soon\n90,300,1\n",
            "arrival,handle_time\r\n0,300\r\n\r\n\r\n60,soon\r\n90,300,1\r\n",
        ] {
            let got = replay_problems(csv);
            assert_eq!(got.len(), 2, "{csv:?}: {got:?}");
            for (got, want) in got.iter().zip(want) {
                assert!(got.ends_with(want), "{csv:?}: {got}");
            }
        }
        // A row out of order, and the one it went back before, by their own lines (csv's
        // count had said 5 and 3).
        let traffic = "replay = { file = \"log.csv\", reorder = \"10m\" }\nhandle_time = \"5m\"";
        let log = b"arrival\r\n\r\n0\r\n\r\n1800\r\n\r\n60\r\n";
        let got = super::super::data_file::problems(traffic, "log.csv", log);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains(
                "log.csv:7: column \"arrival\": this arrival is 29m00s before the one on line 5:"
            ),
            "{got:?}"
        );
    }

    #[test]
    fn a_header_after_blank_lines_is_named_by_its_own_line() {
        for csv in [
            "\n\nwhen,handle_time\n0,300\n",
            "\r\n\r\nwhen,handle_time\r\n0,300\r\n",
        ] {
            let got = replay_problems(csv);
            assert_eq!(got.len(), 1, "{csv:?}: {got:?}");
            assert!(
                got[0].ends_with("log.csv:3: the log has no column \"arrival\" (arrival)"),
                "{csv:?}: {got:?}"
            );
        }
        let traffic =
            "replay = { file = \"log.csv\", handle_time = \"arrival\" }\nhandle_time = \"5m\"";
        let got =
            super::super::data_file::problems(traffic, "log.csv", b"\r\n\r\narrival\r\n0\r\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].ends_with("log.csv:3: arrival and handle_time both read column \"arrival\""),
            "{got:?}"
        );
    }
}
