//! CSV exporters: teams and agents from a summary, and the streaming per-chat writer.

use std::io::Write;

use crate::experiment::Summary;
use crate::model::{Model, NO_VALUE, SimTime};
use crate::sim::{ChatRecord, Recorder};

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("writing to memory cannot fail")
}

/// `teams.csv`: one row per team (and `overall` first), as in the JSON: counts are means per
/// replication, ratios and waits pooled over replications. Times in seconds.
pub fn teams(s: &Summary) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "team",
        "offered",
        "answered",
        "abandoned",
        "blocked",
        "waiting_at_end",
        "in_service_at_end",
        "abandon_rate",
        "service_level",
        "wait_mean",
        "wait_p50",
        "wait_p90",
        "wait_p95",
        "wait_p99",
        "wait_max",
    ];
    w.write_record(header).expect("in memory");
    let rows = std::iter::once(("overall", &s.figures.overall)).chain(
        s.figures
            .teams
            .iter()
            .map(|t| (t.name.as_str(), &t.figures)),
    );
    for (name, f) in rows {
        let x = &f.wait;
        w.write_record([
            name.to_string(),
            f.offered.to_string(),
            f.answered.to_string(),
            f.abandoned.to_string(),
            f.blocked.to_string(),
            f.waiting_at_end.to_string(),
            f.in_service_at_end.to_string(),
            opt(f.abandon_rate),
            opt(f.service_level),
            opt(x.mean),
            opt(x.p50),
            opt(x.p90),
            opt(x.p95),
            opt(x.p99),
            opt(x.max),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// `agents.csv`: one row per agent, as in the JSON: counts and hours are means per replication,
/// occupancy pooled, peaks the largest seen.
pub fn agents(s: &Summary) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "agent",
        "handled",
        "occupancy",
        "mean_concurrency",
        "peak_concurrency",
        "on_shift_hours",
        "staffing_cost",
        "wrap_up",
        "tickets",
    ])
    .expect("in memory");
    for a in &s.figures.agents {
        w.write_record([
            a.name.clone(),
            a.handled.to_string(),
            opt(a.occupancy),
            opt(a.mean_concurrency),
            a.peak_concurrency.to_string(),
            a.on_shift_hours.to_string(),
            a.staffing_cost.to_string(),
            opt(a.wrap_up),
            opt(a.tickets),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// `intervals.csv`: one row per interval of the measured window (figures as in the JSON's
/// `intervals`). Empty when the summary has no interval report.
pub fn intervals(s: &Summary) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "start",
        "from",
        "length",
        "offered",
        "answered",
        "abandoned",
        "service_level",
        "wait_mean",
        "wait_p90",
        "agents_on_shift",
        "occupancy",
        "tickets_backlog",
    ])
    .expect("in memory");
    for i in s.intervals.iter().flatten() {
        w.write_record([
            i.start.clone(),
            i.from.to_string(),
            i.length.to_string(),
            i.offered.to_string(),
            i.answered.to_string(),
            i.abandoned.to_string(),
            opt(i.service_level),
            opt(i.wait_mean),
            opt(i.wait_p90),
            i.agents_on_shift.to_string(),
            opt(i.occupancy),
            opt(i.tickets_backlog),
        ])
        .expect("in memory");
    }
    finish(w)
}

/// The header of `chats.csv`.
pub const CHATS_HEADER: [&str; 18] = [
    "replication",
    "id",
    "traffic",
    "attributes",
    "arrival",
    "rule",
    "team",
    "agent",
    "wait",
    "handle_time",
    "outcome",
    "checks",
    "bot_time",
    "owner",
    "transfers",
    "second_wait",
    "customer",
    "attempt",
];

/// Streams `chats.csv` rows (without the header) for the measured chats of one replication.
/// Times are seconds since the end of the warm-up (arrival) or durations in seconds.
/// The first write error stops the writer; [`ChatWriter::finish`] returns it.
pub struct ChatWriter<'m, W: Write> {
    model: &'m Model,
    out: Option<csv::Writer<W>>,
    error: Option<csv::Error>,
    attrs: String,
}

impl<'m, W: Write> ChatWriter<'m, W> {
    /// A writer of rows to `out`.
    pub fn new(model: &'m Model, out: W) -> Self {
        ChatWriter {
            model,
            out: Some(
                csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out),
            ),
            error: None,
            attrs: String::new(),
        }
    }

    /// Flushes and returns the underlying writer, or the first error met.
    pub fn finish(mut self) -> Result<W, std::io::Error> {
        if let Some(e) = self.error.take() {
            return Err(e.into());
        }
        let w = self.out.take().expect("finish is called once");
        w.into_inner().map_err(|e| e.into_error())
    }
}

fn secs(t: SimTime) -> String {
    t.as_secs_f64().to_string()
}

impl<W: Write> Recorder for ChatWriter<'_, W> {
    fn record(&mut self, r: &ChatRecord<'_>) {
        if !r.measured || self.error.is_some() {
            return;
        }
        let m = self.model;
        self.attrs.clear();
        for (i, &v) in r.attrs.iter().enumerate() {
            if v != NO_VALUE {
                if !self.attrs.is_empty() {
                    self.attrs.push(';');
                }
                let a = &m.attributes[i];
                self.attrs.push_str(&a.name);
                self.attrs.push('=');
                self.attrs.push_str(&a.values[v as usize]);
            }
        }
        let team = r.target.map_or("", |t| {
            m.targets[t.ix()]
                .team
                .map_or("(fallback)", |team| m.teams[team.ix()].name.as_str())
        });
        let row = [
            r.replication.to_string(),
            r.id.to_string(),
            m.traffic[r.traffic.ix()].name.clone(),
            self.attrs.clone(),
            secs(r.arrival.since(m.warmup)),
            r.rule
                .map_or(String::new(), |x| m.rules[x.ix()].name.clone()),
            team.to_string(),
            r.agent
                .map_or(String::new(), |a| m.agents[a.ix()].name.clone()),
            secs(r.wait),
            r.handle.map_or(String::new(), secs),
            r.outcome.name().to_string(),
            r.checks.to_string(),
            r.bot_time.map_or(String::new(), secs),
            r.owner
                .map_or(String::new(), |a| m.agents[a.ix()].name.clone()),
            r.transfers.to_string(),
            r.second_wait.map_or(String::new(), secs),
            r.customer.to_string(),
            r.attempt.to_string(),
        ];
        if let Some(out) = &mut self.out
            && let Err(e) = out.write_record(&row)
        {
            self.error = Some(e);
        }
    }

    /// A writer that failed stops the run: simulating on would only produce a file that is
    /// then thrown away.
    fn keep_going(&self) -> bool {
        self.error.is_none()
    }
}
