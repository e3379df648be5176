//! Second pass: turn the raw schema into a [`Model`], resolving names to ids.
//!
//! Every problem is collected, with its key path and line, so a user fixes them all in one go.
//!
//! Files: `desk` (teams, agents, escalations), `traffic` (streams, distributions, data files),
//! `forecast` (a stream's volumes per interval from a CSV), `replay` (a stream's arrivals from a
//! chat log, checked row by row),
//! `roster` (an agent's shifts, breaks and absence), `roster_file` (an agent group's members
//! and their weeks from a CSV), `rules` (calendars, conditions, routes,
//! the fallback), `targets` (routing targets and
//! memberships, built once every name is resolved).

mod data_file;
mod desk;
mod forecast;
mod replay;
mod roster;
mod roster_file;
mod rules;
mod targets;
mod traffic;

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::limits;
use super::raw::{RawRamp, RawScenario};
use super::values::{self};
use crate::error::Diagnostic;
use crate::model::*;

/// Default seed when the file gives none.
pub const DEFAULT_SEED: u64 = 1;
/// Default service-level threshold, seconds.
pub const DEFAULT_SERVICE_LEVEL: f64 = 20.0;
/// Default cap on chats waiting at once.
pub const DEFAULT_MAX_WAITING: u64 = 100_000;

pub(super) struct Compiler<'a> {
    /// Byte offset of the start of each line after the first, for line numbers in messages
    /// (a binary search, so thousands of errors are not quadratic).
    line_starts: Vec<usize>,
    src_len: usize,
    base_dir: &'a Path,
    pub diags: Vec<Diagnostic>,
    /// Problems counted besides `diags`, not listed (see [`Diagnostics::unlisted`]).
    pub unlisted: u64,
    pub warnings: Vec<String>,
    attr_ix: HashMap<String, AttrId>,
    attributes: Vec<Attribute>,
    skills: Vec<String>,
    /// Targets for (team, required skills) pairs that route steps name, in order of first use.
    skill_targets: Vec<(TeamId, Vec<(u32, u32)>)>,
    /// Keys whose value came from an override, with the flag that set it.
    overridden: Vec<(String, String)>,
    /// Some stream replays a log: which attributes and values the traffic sets is known only
    /// once the logs are read (after the rules), so the rules' checks of them wait till then.
    replaying: bool,
    /// The data files read so far: see [`Model::inputs`].
    inputs: Vec<(String, String)>,
}

fn line_of(line_starts: &[usize], len: usize, span: Range<usize>) -> Option<usize> {
    // An overridden value's span lies past the end: it has no line.
    (span.start <= len).then(|| line_starts.partition_point(|&s| s <= span.start) + 1)
}

impl<'a> Compiler<'a> {
    pub fn new(src: &'a str, base_dir: &'a Path, overridden: Vec<(String, String)>) -> Self {
        Compiler {
            overridden,
            line_starts: src
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1)
                .collect(),
            src_len: src.len(),
            base_dir,
            diags: Vec::new(),
            unlisted: 0,
            warnings: Vec::new(),
            attr_ix: HashMap::new(),
            attributes: Vec::new(),
            skills: Vec::new(),
            skill_targets: Vec::new(),
            replaying: false,
            inputs: Vec::new(),
        }
    }

    /// A daily window such as `"08:00-16:00"` (a shift, opening hours, a condition's hours).
    pub(super) fn window(&mut self, key: String, text: &Spanned<String>) -> Option<Shift> {
        match values::parse_shift(text.get_ref()) {
            Ok((start, end)) => Some(Shift {
                start: start as u64 * TICKS_PER_SEC,
                end: end as u64 * TICKS_PER_SEC,
            }),
            Err(e) => {
                // parse_shift speaks of agents' shifts; a rule's or calendar's window is not one.
                let e = match key.ends_with(".shift") {
                    true => e,
                    false => e
                        .replace(
                            "; leave `shift` out for an agent who is always on",
                            "; a window that covers the whole day can be left out",
                        )
                        .replacen("shift \"", "window \"", 1),
                };
                self.err(key, Some(text.span()), e);
                None
            }
        }
    }

    pub(super) fn skill(&mut self, name: &str) -> u32 {
        match self.skills.iter().position(|s| s == name) {
            Some(i) => i as u32,
            None => {
                self.skills.push(name.to_string());
                self.skills.len() as u32 - 1
            }
        }
    }

    pub(super) fn err(
        &mut self,
        key: impl Into<String>,
        span: Option<Range<usize>>,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        let mut key = key.into();
        if let Some((_, flag)) = self.overridden.iter().find(|(k, _)| *k == key) {
            key = format!("{key} (set by {flag})");
        }
        let line = span.and_then(|s| line_of(&self.line_starts, self.src_len, s));
        self.diags.push(Diagnostic::new(key, line, msg));
        self.diags.last_mut().expect("just pushed")
    }

    pub(super) fn attr(&mut self, name: &str) -> AttrId {
        if let Some(&id) = self.attr_ix.get(name) {
            return id;
        }
        let id = AttrId(self.attributes.len() as u32);
        self.attributes.push(Attribute {
            name: name.to_string(),
            values: Vec::new(),
        });
        self.attr_ix.insert(name.to_string(), id);
        id
    }

    pub(super) fn value(&mut self, attr: AttrId, v: &str) -> ValueId {
        let values = &mut self.attributes[attr.ix()].values;
        match values.iter().position(|x| x == v) {
            Some(i) => i as ValueId,
            None => {
                values.push(v.to_string());
                (values.len() - 1) as ValueId
            }
        }
    }

    pub fn compile(
        mut self,
        name: &str,
        raw: RawScenario,
    ) -> Result<Model, (Vec<Diagnostic>, u64)> {
        let sim = &raw.simulation;
        let duration = sim.duration.get_ref().0;
        let warmup = sim.warmup.map_or(0.0, |w| w.0);
        if duration <= 0.0 {
            self.err(
                "simulation.duration",
                Some(sim.duration.span()),
                "the measured duration must be greater than zero",
            );
        } else if duration < limits::MIN_DURATION_SECS {
            self.err(
                "simulation.duration",
                Some(sim.duration.span()),
                format!(
                    "a measured duration of {}s is too short: the least is {}s",
                    limits::num(duration),
                    limits::MIN_DURATION_SECS
                ),
            );
        } else if duration + warmup > limits::MAX_HORIZON_SECS {
            self.err(
                "simulation.duration",
                Some(sim.duration.span()),
                "warm-up plus duration is too long: the limit is 10 years",
            );
        }
        let replications = sim.replications.as_ref().map_or(1, |r| *r.get_ref());
        if !(1..=limits::MAX_REPLICATIONS).contains(&replications) {
            let span = sim.replications.as_ref().map(|r| r.span());
            self.err(
                "simulation.replications",
                span,
                format!(
                    "replications must be between 1 and {}, got {replications}",
                    limits::MAX_REPLICATIONS
                ),
            );
        }
        let start = match &sim.start {
            None => 0,
            Some(s) => values::parse_week_time(s.get_ref()).unwrap_or_else(|e| {
                self.err("simulation.start", Some(s.span()), e);
                0
            }),
        };
        let max_waiting = sim
            .max_waiting
            .as_ref()
            .map_or(DEFAULT_MAX_WAITING, |m| *m.get_ref());
        if !(1..=limits::MAX_WAITING).contains(&max_waiting) {
            let span = sim.max_waiting.as_ref().map(|m| m.span());
            self.err(
                "simulation.max_waiting",
                span,
                format!(
                    "max_waiting must be between 1 and {}, got {max_waiting}",
                    limits::MAX_WAITING
                ),
            );
        }

        let (teams, team_ix) = self.teams(&raw);
        let agents = self.agents(&raw, &team_ix);
        let mut traffic = self.traffic(&raw, &team_ix);
        let ramp = sim.ramp.as_ref().and_then(|r| self.ramp(r, &traffic));
        let mut teams = teams;
        self.escalations(&raw, &mut teams, &team_ix);
        let slowdown = self.slowdown(&raw, &agents);
        let calendars = self.calendars(&raw);
        let mut channels = Vec::new();
        let rules = self.rules(&raw, &team_ix, &calendars, &mut channels);
        let fallback = self.fallback_spec(&raw, &team_ix);
        let tickets = self.tickets(&raw, &team_ix);
        // Logs are read once every attribute a rule names is known (a column named like one is
        // read as it).
        {
            let warmup = SimTime::from_secs_f64(warmup);
            let start = start as u64 * TICKS_PER_SEC;
            let week_time_at_zero = if sim.stationary.unwrap_or(false) {
                start
            } else {
                (start + WEEK - warmup.0 % WEEK) % WEEK
            };
            let clock = replay::Clock {
                warmup,
                end: warmup.plus(SimTime::from_secs_f64(duration)),
                week_time_at_zero,
            };
            self.replays(&raw.traffic, &mut traffic, clock);
            if self.replaying {
                self.rules_against_logs(&rules, &traffic);
            }
        }

        let mut model = Model {
            name: name.to_string(),
            seed: sim.seed.unwrap_or(DEFAULT_SEED),
            replications,
            warmup: SimTime::from_secs_f64(warmup),
            duration: SimTime::from_secs_f64(duration),
            start: start as u64 * TICKS_PER_SEC,
            stationary: sim.stationary.unwrap_or(false),
            ramp,
            slowdown,
            service_level: SimTime::from_secs_f64(
                raw.report
                    .service_level
                    .map_or(DEFAULT_SERVICE_LEVEL, |s| s.0),
            ),
            max_waiting: max_waiting.min(usize::MAX as u64) as usize,
            attributes: std::mem::take(&mut self.attributes),
            teams,
            agents,
            targets: Vec::new(),
            traffic,
            rules,
            fallback: None,
            skills: Vec::new(),
            channels,
            calendars,
            messages: raw.auto_messages,
            tickets,
            red_after: raw.report.red_after.map(|r| SimTime::from_secs_f64(r.0)),
            warnings: Vec::new(),
            slos: Vec::new(),
            source_hash: String::new(),
            inputs: std::mem::take(&mut self.inputs),
        };
        model.slos = self.slos(&raw);
        self.check_team_sizes(&raw, &model);
        // Only a scenario that is otherwise valid is sized: a bad rate would only repeat itself.
        if self.diags.is_empty() {
            self.check_size(&model, duration + warmup);
        }
        if !self.diags.is_empty() {
            self.diags.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
            return Err((self.diags, self.unlisted));
        }
        model.skills = std::mem::take(&mut self.skills);
        targets::build_targets(&mut model, fallback, &self.skill_targets);
        model.warnings = self.warnings;
        Ok(model)
    }

    /// `[[slo]]`: one threshold per bound. Whether the metric names a figure of the report is
    /// the gate's check (the report's shape is the stats layer's), with the line kept here.
    fn slos(&mut self, raw: &RawScenario) -> Vec<Slo> {
        let mut out = Vec::new();
        for (i, entry) in raw.slo.iter().enumerate() {
            let slo = entry.get_ref();
            let metric = slo.metric.get_ref().trim();
            let line = line_of(&self.line_starts, self.src_len, slo.metric.span());
            if metric.is_empty() {
                self.err(
                    format!("slo[{i}].metric"),
                    Some(slo.metric.span()),
                    "the metric is empty",
                )
                .hint =
                    Some("name a figure of the JSON report, such as \"overall.wait.p95\"".into());
                continue;
            }
            if slo.min.is_none() && slo.max.is_none() {
                self.err(
                    format!("slo[{i}]"),
                    Some(entry.span()),
                    "a threshold needs `min`, `max` or both",
                );
            }
            if let (Some(min), Some(max)) = (&slo.min, &slo.max)
                && min.get_ref().value() > max.get_ref().value()
            {
                self.err(
                    format!("slo[{i}].min"),
                    Some(min.span()),
                    format!(
                        "min ({}) is above max ({}): no run can meet both",
                        limits::limit_text(*min.get_ref()),
                        limits::limit_text(*max.get_ref())
                    ),
                );
            }
            for (bound, limit, key) in [
                (Bound::AtLeast, &slo.min, "min"),
                (Bound::AtMost, &slo.max, "max"),
            ] {
                if let Some(limit) = limit {
                    out.push(Slo {
                        metric: metric.to_string(),
                        bound,
                        limit: *limit.get_ref(),
                        key: format!("slo[{i}].{key}"),
                        line,
                    });
                }
            }
        }
        out
    }

    /// `simulation.ramp`: `0 < from <= to <= MAX_MULTIPLIER`, a rise per hour above 0, and
    /// the stream it names, if any.
    fn ramp(&mut self, r: &Spanned<RawRamp>, traffic: &[Traffic]) -> Option<Ramp> {
        let (span, raw) = (r.span(), r.get_ref());
        let max = limits::MAX_MULTIPLIER;
        let ok = |x: f64| x.is_finite() && x > 0.0 && x <= max;
        if !(ok(raw.from) && ok(raw.to) && raw.from <= raw.to) {
            self.err(
                "simulation.ramp",
                Some(span),
                format!(
                    "a ramp's from and to are multipliers above 0 and at most {}, from <= to; got from = {}, to = {}",
                    limits::num(max),
                    limits::num(raw.from),
                    limits::num(raw.to)
                ),
            );
            return None;
        }
        if !(ok(raw.per_hour)) {
            self.err(
                "simulation.ramp.per_hour",
                Some(span),
                format!(
                    "a ramp's per_hour (the multiplier's change in an hour, 0.1 for 10%/h) is above 0 and at most {}, got {}",
                    limits::num(max),
                    limits::num(raw.per_hour)
                ),
            );
            return None;
        }
        let stream = match &raw.stream {
            None => None,
            Some(name) => match traffic.iter().position(|t| t.name == name.trim()) {
                Some(i) => Some(TrafficId(i as u32)),
                None => {
                    let names: Vec<&str> = traffic.iter().map(|t| t.name.as_str()).collect();
                    self.err(
                        "simulation.ramp.stream",
                        Some(span),
                        format!(
                            "no [[traffic]] stream named \"{name}\"; streams: {}",
                            names.join(", ")
                        ),
                    );
                    return None;
                }
            },
        };
        // A replayed log's arrivals are its rows: `scale` thins or repeats them, a ramp does not.
        let replayed: Vec<&str> = traffic
            .iter()
            .enumerate()
            .filter(|(i, t)| t.replay.is_some() && stream.is_none_or(|s| s.ix() == *i))
            .map(|(_, t)| t.name.as_str())
            .collect();
        if !replayed.is_empty() {
            self.err(
                "simulation.ramp",
                Some(span),
                format!(
                    "a ramp raises Poisson streams' rates; {} replay a log (scale it with its scale, or name another stream)",
                    replayed.join(", ")
                ),
            );
            return None;
        }
        Some(Ramp {
            from: raw.from,
            to: raw.to,
            per_hour: raw.per_hour,
            stream,
        })
    }

    /// Refuses a run that would take hours or more memory than a planner's machine has, saying
    /// what is too large and the limit.
    fn check_size(&mut self, model: &Model, horizon_secs: f64) {
        let per_rep: f64 = model
            .traffic
            .iter()
            .map(|t| {
                // Each customer who gives up may come back: at most 1 / (1 - share) attempts
                // on average, and never more than MAX_ATTEMPTS.
                let attempts = t.retry.as_ref().map_or(1.0, |r| {
                    (1.0 / (1.0 - r.share)).min(limits::MAX_ATTEMPTS as f64)
                });
                // A replayed log brings its own rows, as many copies as the scale asks.
                let arrivals = match &t.replay {
                    Some(r) => r.rows_in_run as f64 * t.scale,
                    None => t.rate * t.profile.mean() * horizon_secs,
                };
                // A ramp is bounded by its peak.
                let ramp = model.ramp.map_or(1.0, |r| r.to.max(r.from).max(1.0));
                arrivals * attempts * ramp
            })
            .sum();
        let chats = per_rep * model.replications as f64;
        if chats > limits::MAX_EXPECTED_CHATS {
            self.err(
                "simulation",
                None,
                format!(
                    "about {} chats would be simulated (rates x profiles x (warm-up + duration) x {} replications); the limit is {}, about five minutes of one core",
                    limits::num(chats.round()),
                    model.replications,
                    limits::num(limits::MAX_EXPECTED_CHATS)
                ),
            )
            .hint = Some("shorten simulation.duration or warmup, or run fewer replications".into());
        }
        let rows = (model.agents.len() + model.teams.len() + model.rules.len() + 1) as u64;
        let figures = rows.saturating_mul(model.replications as u64);
        if figures > limits::MAX_FIGURES {
            self.err(
                "simulation.replications",
                None,
                format!(
                    "{} replications x {rows} rows of figures (agents, teams, rules) is {figures}; the limit is {} (each replication's figures are kept for the confidence intervals)",
                    model.replications,
                    limits::MAX_FIGURES
                ),
            );
        }
    }
}
