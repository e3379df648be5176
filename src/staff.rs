//! How many agents does the desk need? The fewest agents in each varied group (or the lowest
//! staffing cost) for which every target holds.
//!
//! The search starts from an Erlang C estimate of the peak quarter-hour and then simulates,
//! always on the same seed and replications, so that every staffing sees the same customers
//! (common random numbers) and a difference between two staffings comes from the agents alone.
//! It assumes that more agents never make a target worse, which holds for the figures targets
//! name in all but contrived rule sets. The answer says how sure it is: each target's value and
//! 95% half-width at the answer and with one agent fewer in each group.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::experiment::{self, RunOptions, Summary};
use crate::model::{Model, TICKS_PER_SEC, Traffic, WEEK, WeekTime};
use crate::scenario::{AgentWindows, Overrides, Source, limits};
use crate::sweep::Stop;
use crate::target::{Metric, Op, Target, service_level_threshold};

/// What to make smallest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Minimize {
    /// Agents in all varied groups together.
    Agents,
    /// Staffing cost (each group's `cost` × hours on shift).
    Cost,
}

/// The question.
#[derive(Debug, Clone)]
pub struct Query {
    /// Every one must hold.
    pub targets: Vec<Target>,
    /// `[[agents]]` entries (by name) whose `count` the search sets.
    pub vary: Vec<String>,
    /// What to make smallest.
    pub minimize: Minimize,
    /// Seed, replications and duration for every run.
    pub base: Overrides,
    /// Threads for each run's replications.
    pub threads: usize,
}

/// A target's figure at one staffing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetValue {
    /// The target as written.
    pub target: String,
    /// The figure (a share, or seconds); `null` where there is none (nothing answered).
    pub value: Option<f64>,
    /// Its 95% half-width.
    pub ci95: Option<f64>,
    /// Whether it holds by the point estimate.
    pub holds: bool,
    /// Whether the limit lies inside the interval: the verdict could change with more
    /// replications.
    pub close: bool,
}

/// One group's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The `[[agents]]` entry.
    pub name: String,
    /// Where the search started (the Erlang C estimate).
    pub estimate: u32,
    /// The answer.
    pub count: u32,
}

/// The targets with one agent fewer in one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneFewer {
    /// The group with one agent fewer.
    pub group: String,
    /// Its count there.
    pub count: u32,
    /// The targets' figures.
    pub targets: Vec<TargetValue>,
}

/// The answer of `routesim staff`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staffing {
    /// Scenario file name.
    pub scenario: String,
    /// Seed of every run.
    pub seed: u64,
    /// Replications of every run.
    pub replications: u32,
    /// What was made smallest.
    pub minimize: Minimize,
    /// Each varied group: estimate and answer.
    pub groups: Vec<Group>,
    /// Staffing cost per replication at the answer (all agents).
    pub staffing_cost: f64,
    /// The targets at the answer.
    pub targets: Vec<TargetValue>,
    /// The targets with one agent fewer in each group (groups of none are left out).
    pub one_fewer: Vec<OneFewer>,
    /// Staffings simulated.
    pub runs: u32,
    /// The answer's run warnings.
    pub warnings: Vec<String>,
}

/// Most staffings simulated in one search.
pub const MAX_RUNS: u32 = 200;

/// What every search of a query shares: the checked base overrides, and one agent of each
/// varied group compiled (its cost and cap, and the rest of the desk as the file has it).
struct Prepared {
    base: Overrides,
    unit: Model,
    /// Per varied group: hourly cost and `max_chats` of one agent.
    per_group: Vec<(f64, u32)>,
}

fn prepare(source: &Source, q: &Query) -> Result<Prepared> {
    if q.targets.is_empty() {
        return Err(Error::Usage("staff needs at least one --target".into()));
    }
    if q.vary.is_empty() {
        return Err(Error::Usage(
            "staff needs at least one --vary GROUP (an [[agents]] entry's name)".into(),
        ));
    }
    // Names as the scenario reads them (`--vary ' a'` is group `a`).
    let vary: Vec<&str> = q.vary.iter().map(|g| g.trim()).collect();
    if let Some((_, g)) = vary
        .iter()
        .enumerate()
        .find(|(i, g)| vary[..*i].contains(g))
    {
        return Err(Error::Usage(format!(
            "--vary {g}: the group is given twice; name each group once"
        )));
    }
    let threshold = service_level_threshold(&q.targets).map_err(Error::Usage)?;
    let base = Overrides {
        service_level: threshold,
        ..q.base.clone()
    };
    let unit = unit_desk(source, q, &base)?;
    let per_group: Vec<(f64, u32)> = vary
        .iter()
        .map(|g| {
            let a = unit
                .agents
                .iter()
                .find(|a| a.name == format!("{g}-1"))
                .expect("a varied group of count 1 has an agent NAME-1");
            (a.cost, a.max_chats)
        })
        .collect();
    Ok(Prepared {
        base,
        unit,
        per_group,
    })
}

/// The desk with one agent in each varied group (named `GROUP-1`), on `base`.
fn unit_desk(source: &Source, q: &Query, base: &Overrides) -> Result<Model> {
    source.compile(&Overrides {
        counts: q.vary.iter().map(|g| (g.clone(), 1)).collect(),
        ..base.clone()
    })
}

/// Runs `model` on `threads` threads, unless or until `stop` says so: a run cut short is no
/// answer, and ends with [`Error::Interrupted`].
fn simulate(model: &Model, threads: usize, stop: &(dyn Fn() -> bool + Sync)) -> Result<Summary> {
    if stop() {
        return Err(Error::Interrupted);
    }
    let options = RunOptions {
        threads,
        interval: None,
    };
    let (s, _) = experiment::run_with(model, &options, |_| Stop(stop), &|_| {});
    if stop() {
        return Err(Error::Interrupted);
    }
    s.failed()?;
    Ok(s)
}

/// Searches for the staffing. `step` hears of each staffing tried, for a progress display;
/// `stop` is asked before each and between a replication's events: once it says true, the search
/// ends with [`Error::Interrupted`].
pub fn staff(
    source: &Source,
    q: &Query,
    step: &(dyn Fn(&str) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Staffing> {
    let Prepared {
        base,
        unit,
        per_group,
    } = prepare(source, q)?;
    let peak = crate::lint::staffing(&unit)
        .into_iter()
        .max_by(|a, b| a.load.total_cmp(&b.load))
        .map_or((0.0, 0.0), |p| (p.load, p.slots));
    let estimate = estimate(&unit, &q.targets, &per_group, peak);
    let mut runner = Runner::new(source, q, base, String::new(), step, stop);
    let counts = search(
        &mut runner,
        estimate.clone(),
        &per_group,
        group_cap(&unit, q),
    )?;
    let answer = runner.run(&counts)?;
    let values = |s: &Summary| q.targets.iter().map(|t| target_value(t, s)).collect();
    let mut one_fewer = Vec::new();
    let mut warnings = answer.warnings.clone();
    for (g, name) in q.vary.iter().enumerate() {
        if counts[g] > 0 {
            let mut trial = counts.clone();
            trial[g] -= 1;
            let s = runner.run(&trial)?;
            if runner.meets(&s) && !runner.holds(&trial)? {
                warnings.push(format!(
                    "{name} = 0 meets the targets only by turning chats away: {:.1} a replication get the after-hours reply (nobody on shift who could take them), against {:.1} with {name} = 1; the answer keeps 1",
                    s.figures.overall.after_hours, answer.figures.overall.after_hours
                ));
            }
            one_fewer.push(OneFewer {
                group: name.clone(),
                count: trial[g],
                targets: values(&s),
            });
        }
    }
    Ok(Staffing {
        scenario: answer.scenario.clone(),
        seed: answer.seed,
        replications: answer.replications,
        minimize: q.minimize,
        groups: q
            .vary
            .iter()
            .zip(estimate.iter().zip(&counts))
            .map(|(name, (&estimate, &count))| Group {
                name: name.clone(),
                estimate,
                count,
            })
            .collect(),
        staffing_cost: cost(&answer),
        targets: values(&answer),
        one_fewer,
        runs: runner.order,
        warnings,
    })
}

/// One interval's requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalNeed {
    /// Start as weekday and time, such as `tue 10:30`.
    pub start: String,
    /// Offered load in the interval, erlangs (as `validate` computes it).
    pub load: f64,
    /// Per varied group, the Erlang C start of the search.
    pub estimate: Vec<u32>,
    /// Per varied group, agents needed (0 where nothing is offered).
    pub agents: Vec<u32>,
    /// The targets at the answer, in the interval's stationary run (empty with no load).
    pub targets: Vec<TargetValue>,
}

/// The answer of `routesim staff --per-interval`: agents needed per interval of the clock, and
/// the whole run with that curve as the varied groups' roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// Scenario file name.
    pub scenario: String,
    /// Seed of every run.
    pub seed: u64,
    /// Replications of every run.
    pub replications: u32,
    /// Interval length, seconds.
    pub interval: f64,
    /// The varied groups, in the order of `agents`.
    pub groups: Vec<String>,
    /// Per interval of the measured window, in order.
    pub intervals: Vec<IntervalNeed>,
    /// The targets over the whole run with the curve as roster.
    pub check: Vec<TargetValue>,
    /// Agent-hours of the curve per varied group over the measured window.
    pub agent_hours: Vec<f64>,
    /// Staffings simulated.
    pub runs: u32,
    /// What the curve cannot see: the load changing inside its intervals.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Measured length of each interval's stationary run when `--duration` is not given.
pub const STATIONARY_RUN: f64 = 4.0 * 3_600.0;

/// The requirement per interval (SIPP): each interval of the clock is run stationary (the
/// clock frozen at its start: its arrival rate, the agents not varied as rostered then, the
/// rules as they apply then) with the varied groups on shift throughout, and the fewest agents
/// that meet the targets are searched as `staff` does. Then the whole run is simulated with the
/// curve as the varied groups' roster (agent k works the intervals that need k or more).
pub fn per_interval(
    source: &Source,
    q: &Query,
    len: u64,
    step: &(dyn Fn(&str) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Requirement> {
    let needs = interval_needs(source, q, len, None, step, stop)?;
    check_curve(source, q, needs, step, stop)
}

/// The requirement of some intervals of the measured window: a shard's share of a
/// requirement curve, or all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Needs {
    /// Interval length, ticks.
    pub len: u64,
    /// Week time of the first interval of the window, ticks.
    pub first: u64,
    /// Intervals in the window.
    pub count: u64,
    /// The intervals here, by index in the window.
    pub range: std::ops::Range<u64>,
    /// Their requirements, in order.
    pub intervals: Vec<IntervalNeed>,
    /// Staffings simulated for them.
    pub runs: u32,
}

impl Needs {
    /// Appends the next range's intervals.
    pub fn merge(&mut self, o: Needs) {
        self.range.end = o.range.end;
        self.intervals.extend(o.intervals);
        self.runs += o.runs;
    }
}

/// The requirement of the intervals of shard `shard` (K, N) of the window (all with `None`).
pub fn interval_needs(
    source: &Source,
    q: &Query,
    len: u64,
    shard: Option<(u32, u32)>,
    step: &(dyn Fn(&str) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Needs> {
    let Prepared {
        base,
        unit,
        per_group,
    } = prepare(source, q)?;
    // The intervals are those of the scenario's own window, which the whole-run check runs
    // too (`check_curve`); `--duration` sets the length of each stationary run, not the window.
    let unit = match base.duration {
        None => unit,
        Some(_) => unit_desk(
            source,
            q,
            &Overrides {
                duration: None,
                ..base.clone()
            },
        )?,
    };
    let cap = group_cap(&unit, q);
    let minutes = len / (60 * TICKS_PER_SEC);
    if !len.is_multiple_of(60 * TICKS_PER_SEC) || ![15, 30, 60].contains(&minutes) {
        return Err(Error::Usage("--per-interval is 15m, 30m or 60m".into()));
    }
    // The measured window cut at the clock's boundaries, as the interval report cuts it.
    let first = unit.week_time(unit.warmup) / len * len;
    let measured = unit.duration.0 + unit.week_time(unit.warmup) % len;
    let count = measured.div_ceil(len);
    if count > crate::stats::intervals::MAX_INTERVALS {
        return Err(Error::Usage(format!(
            "{count} intervals: use longer intervals or a shorter run"
        )));
    }
    // A replayed log's chats come at their logged times whatever the clock: no interval's
    // stationary run would hold that interval's load (it replays hours of the log).
    if let Some(t) = unit.traffic.iter().find(|t| t.replay.is_some()) {
        return Err(Error::Usage(format!(
            "--per-interval: traffic \"{}\" is replayed from a log, whose chats arrive at their logged times, so no interval can be run stationary at its own load; leave out --per-interval (the whole run is sized on the log), or give the stream a forecast",
            t.name
        )));
    }
    let quarters = crate::lint::staffing(&unit);
    let quarter = 15 * 60 * TICKS_PER_SEC;
    let at = |w: u64| {
        // Mean load and slots over the interval's quarter-hours.
        let n = (len / quarter) as f64;
        let mut sum = (0.0, 0.0);
        for k in 0..len / quarter {
            let t = (w + k * quarter) % WEEK;
            if let Some(x) = quarters.iter().find(|x| x.start == t) {
                sum = (sum.0 + x.load / n, sum.1 + x.slots / n);
            }
        }
        sum
    };
    let stationary = Overrides {
        always_on: q.vary.clone(),
        duration: base.duration.or(Some(STATIONARY_RUN)),
        warmup: Some(3_600.0),
        ..base.clone()
    };
    let range = match shard {
        None => 0..count,
        Some((k, n)) => {
            if n as u64 > count {
                return Err(Error::Usage(format!(
                    "--shard {k}/{n}: {count} intervals cannot be split into {n} shards; use at most {count} shards"
                )));
            }
            let at = |i: u32| count * i as u64 / n as u64;
            at(k)..at(k + 1)
        }
    };
    let (mut intervals, mut runs) = (Vec::new(), 0);
    for k in range.clone() {
        let w = (first + k * len) % WEEK;
        let start = WeekTime(w).to_string();
        let (load, slots) = at(w);
        if load <= 0.0 {
            intervals.push(IntervalNeed {
                start,
                load,
                estimate: vec![0; q.vary.len()],
                agents: vec![0; q.vary.len()],
                targets: Vec::new(),
            });
            continue;
        }
        let estimate = estimate(&unit, &q.targets, &per_group, (load, slots));
        let (at, scale) = freeze(&unit, w, len).map_err(|streams| {
            Error::Usage(format!(
                "{start}: the traffic streams {} have chats at no moment in common inside the interval, so no stationary run can hold its mean load; use a shorter --per-interval",
                streams.join(", ")
            ))
        })?;
        let frozen = Overrides {
            stationary_at: Some(at),
            scale: stationary.scale.iter().cloned().chain(scale).collect(),
            ..stationary.clone()
        };
        let mut runner = Runner::new(source, q, frozen, format!("{start}: "), step, stop);
        let agents = search(&mut runner, estimate.clone(), &per_group, cap)?;
        let answer = runner.run(&agents)?;
        runs += runner.order;
        intervals.push(IntervalNeed {
            start,
            load,
            estimate,
            agents,
            targets: q.targets.iter().map(|t| target_value(t, &answer)).collect(),
        });
    }
    Ok(Needs {
        len,
        first,
        count,
        range,
        intervals,
        runs,
    })
}

/// Where an interval's stationary run freezes the clock (ticks since Monday 00:00), and the
/// multiplier of each stream's volume there (`--scale`'s form).
type Frozen = (u64, Vec<(f64, Option<String>)>);

/// A stream's offered work at a moment of the week, relative to its `rate`: the profile's
/// multiplier times the seconds a chat holds a slot (handling, at the handle-time scale of that
/// moment, and after-chat work).
fn work_at(t: &Traffic, week_time: u64) -> f64 {
    let scale = t
        .handle_scale
        .as_ref()
        .map_or(1.0, |s| s.segment(week_time).0);
    let wrap = t.wrap_up.as_ref().map_or(0.0, |w| w.mean_secs);
    t.profile.segment(week_time).0 * (t.handle_time.mean_secs * scale + wrap)
}

/// The moments in `[w, w + len)` where some stream's work changes, `w` first.
fn changes_in(unit: &Model, w: u64, len: u64) -> Vec<u64> {
    let mut at = vec![w];
    for t in &unit.traffic {
        let mut x = w;
        while x < w + len {
            let profile = t.profile.segment(x % WEEK).1;
            let handle = t
                .handle_scale
                .as_ref()
                .map_or(u64::MAX, |s| s.segment(x % WEEK).1);
            x = x.saturating_add(profile.min(handle).max(1));
            if x < w + len {
                at.push(x);
            }
        }
    }
    at.sort_unstable();
    at.dedup();
    at
}

/// How an interval `[w, w + len)` is run stationary at its mean load (SIPP staffs each period
/// for its average): the moment the clock is frozen at, and a multiplier of each stream's
/// volume there that makes its offered load the interval's mean. The moment is the interval's
/// start, or the first change inside it at which every stream with work in the interval has
/// some (a forecast that starts at 08:15, read in hours from 08:00). Frozen at its start alone,
/// an interval was sized on its first minute's rate: 1 agent for an hour of 7.6 erlangs whose
/// first quarter was nearly empty. `Err` with the streams' names when no moment has them all
/// (one stops before the other starts): frozen anywhere, the run would lack some of them, and
/// an hour of two channels that take turns got half its agents.
fn freeze(unit: &Model, w: u64, len: u64) -> Result<Frozen, Vec<String>> {
    let points = changes_in(unit, w, len);
    let mean = |t: &Traffic| {
        let mut sum = 0.0;
        for (k, &x) in points.iter().enumerate() {
            let until = points.get(k + 1).copied().unwrap_or(w + len);
            sum += work_at(t, x % WEEK) * (until - x) as f64;
        }
        sum / len as f64
    };
    let streams: Vec<(&Traffic, f64)> = (unit.traffic.iter())
        .filter(|t| t.replay.is_none())
        .map(|t| (t, mean(t)))
        .collect();
    let Some(at) = points
        .iter()
        .copied()
        .find(|&x| (streams.iter()).all(|&(t, m)| m <= 0.0 || work_at(t, x % WEEK) > 0.0))
    else {
        return Err((streams.iter())
            .filter(|&&(_, m)| m > 0.0)
            .map(|(t, _)| format!("\"{}\"", t.name))
            .collect());
    };
    let scale = streams
        .iter()
        .filter_map(|&(t, m)| {
            let now = work_at(t, at % WEEK);
            (now > 0.0 && m != now).then(|| (m / now, Some(t.name.clone())))
        })
        .collect();
    Ok((at % WEEK, scale))
}

/// The whole run with the curve of `needs` (every interval of the window) as the varied
/// groups' roster, and the requirement it makes.
pub fn check_curve(
    source: &Source,
    q: &Query,
    needs: Needs,
    step: &(dyn Fn(&str) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Requirement> {
    let Prepared { base, .. } = prepare(source, q)?;
    let Needs {
        len,
        first,
        count,
        range,
        intervals,
        runs,
    } = needs;
    if range != (0..count) {
        return Err(Error::Usage(format!(
            "the shards' intervals are {range:?} of 0..{count}: some are missing"
        )));
    }
    // The curve as a roster: agent j of a group works every interval that needs j or more.
    let windows: Vec<(String, Vec<AgentWindows>)> = q
        .vary
        .iter()
        .enumerate()
        .map(|(g, name)| {
            let most = intervals.iter().map(|i| i.agents[g]).max().unwrap_or(0);
            let agents = (1..=most.max(1))
                .map(|j| {
                    (0..count)
                        .filter(|&k| intervals[k as usize].agents[g] >= j)
                        .map(|k| ((first + k * len) % WEEK, len))
                        .collect()
                })
                .collect();
            (name.clone(), agents)
        })
        .collect();
    step("the whole run with the curve as roster");
    // The check runs the scenario's own window (--duration sets the stationary runs' length).
    let model = source.compile(&Overrides {
        windows,
        duration: None,
        ..base.clone()
    })?;
    let check = simulate(&model, q.threads, stop)?;
    let hours = len as f64 / 3_600.0 / TICKS_PER_SEC as f64;
    let mut warnings = Vec::new();
    // Each interval is staffed for its mean load: where the load changes inside it, its busier
    // part is short.
    let uneven: Vec<(u64, f64, f64)> = (0..count)
        .filter_map(|k| {
            let w = (first + k * len) % WEEK;
            let load = |x: u64| -> f64 {
                (model.traffic.iter())
                    .filter(|t| t.replay.is_none())
                    .map(|t| t.rate * work_at(t, x % WEEK))
                    .sum()
            };
            let loads: Vec<f64> = changes_in(&model, w, len).into_iter().map(load).collect();
            let (lo, hi) = loads.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &l| {
                (lo.min(l), hi.max(l))
            });
            (hi > lo * 1.001).then_some((w, lo, hi))
        })
        .collect();
    if let Some(&(w, lo, hi)) = uneven.first() {
        let shorter = if len > 15 * 60 * TICKS_PER_SEC {
            "; a shorter --per-interval (15m) follows it"
        } else {
            ""
        };
        warnings.push(format!(
            "the offered load changes inside {} of the {count} intervals (first {}: from {lo:.2} to {hi:.2} erlangs); each interval is staffed for its mean load, which leaves its busier part short{shorter}",
            uneven.len(),
            WeekTime(w)
        ));
    }
    Ok(Requirement {
        scenario: check.scenario.clone(),
        seed: check.seed,
        replications: check.replications,
        interval: len as f64 / TICKS_PER_SEC as f64,
        groups: q.vary.clone(),
        agent_hours: (0..q.vary.len())
            .map(|g| intervals.iter().map(|i| i.agents[g] as f64 * hours).sum())
            .collect(),
        intervals,
        check: q.targets.iter().map(|t| target_value(t, &check)).collect(),
        runs: runs + 1,
        warnings,
    })
}

/// Runs staffings of one search, each once: the same seed and replications for all.
struct Runner<'a> {
    source: &'a Source,
    q: &'a Query,
    base: Overrides,
    runs: HashMap<Vec<u32>, Summary>,
    order: u32,
    /// Said before each staffing in progress messages (the interval, for a requirement curve).
    label: String,
    step: &'a (dyn Fn(&str) + Sync),
    /// Asked before each staffing and between a replication's events: once it says true, the
    /// search ends with [`Error::Interrupted`].
    stop: &'a (dyn Fn() -> bool + Sync),
}

impl<'a> Runner<'a> {
    fn new(
        source: &'a Source,
        q: &'a Query,
        base: Overrides,
        label: String,
        step: &'a (dyn Fn(&str) + Sync),
        stop: &'a (dyn Fn() -> bool + Sync),
    ) -> Runner<'a> {
        Runner {
            source,
            q,
            base,
            runs: HashMap::new(),
            order: 0,
            label,
            step,
            stop,
        }
    }

    fn meets(&self, s: &Summary) -> bool {
        self.q.targets.iter().all(|t| t.holds(s))
    }

    /// Whether the staffing `counts` meets the targets. A group of none must also turn no more
    /// chats away than one agent in its place: where it leaves a team with nobody on shift,
    /// that team's chats get the after-hours reply, which no target counts (they are neither
    /// answered nor abandoned), so an evening left empty would meet every target.
    fn holds(&mut self, counts: &[u32]) -> Result<bool> {
        let s = self.run(counts)?;
        let meets = self.meets(&s);
        if !meets || counts.iter().all(|&n| n > 0) {
            return Ok(meets);
        }
        let one: Vec<u32> = counts.iter().map(|&n| n.max(1)).collect();
        let with_one = self.run(&one)?;
        Ok(s.figures.overall.after_hours <= with_one.figures.overall.after_hours)
    }

    /// The summary of a staffing (run once, then remembered).
    fn run(&mut self, counts: &[u32]) -> Result<Summary> {
        if let Some(s) = self.runs.get(counts) {
            return Ok(s.clone());
        }
        if self.order >= MAX_RUNS {
            return Err(Error::Usage(format!(
                "no answer after {MAX_RUNS} staffings; check that the targets can be met (a patience shorter than the service-level threshold, say)"
            )));
        }
        self.order += 1;
        let shown: Vec<String> = self
            .q
            .vary
            .iter()
            .zip(counts)
            .map(|(g, n)| format!("{g}={n}"))
            .collect();
        (self.step)(&format!("{}{}", self.label, shown.join(" ")));
        // A group of none keeps one agent who never works (no working window), as a requirement
        // curve's roster does where it needs nobody: `count` is at least 1, and a team whose
        // only agents are varied keeps a member, so it still takes (and loses) its chats.
        let named = self.q.vary.iter().cloned().zip(counts.iter().copied());
        let (none, some): (Vec<_>, Vec<_>) = named.partition(|&(_, n)| n == 0);
        let overrides = Overrides {
            counts: some,
            windows: none
                .into_iter()
                .map(|(g, _)| (g, vec![AgentWindows::new()]))
                .chain(self.base.windows.iter().cloned())
                .collect(),
            ..self.base.clone()
        };
        let model = self.source.compile(&overrides)?;
        // A staffing cut short is no answer: the error leaves it unremembered.
        let s = simulate(&model, self.q.threads, self.stop)?;
        for t in &self.q.targets {
            if !t.scope_exists(&s) {
                return Err(Error::Usage(format!(
                    "target \"{t}\": no team named \"{}\"",
                    t.scope.as_deref().unwrap_or_default()
                )));
            }
        }
        self.runs.insert(counts.to_vec(), s.clone());
        Ok(s)
    }
}

/// The most agents each varied group can have: the scenario's limit, less the agents of the
/// groups not varied, shared evenly. (`unit` has one agent in each varied group.)
fn group_cap(unit: &Model, q: &Query) -> u32 {
    let fixed = unit.agents.len().saturating_sub(q.vary.len());
    let room = (limits::MAX_AGENTS as usize).saturating_sub(fixed);
    (room / q.vary.len().max(1)).max(1) as u32
}

/// The search: up from `start` until every target holds (all groups together), then each group
/// down to its fewest by bisection, the others held, until no group can lose an agent. No group
/// goes past `cap` agents (see [`group_cap`]).
fn search(
    r: &mut Runner<'_>,
    start: Vec<u32>,
    per_group: &[(f64, u32)],
    cap: u32,
) -> Result<Vec<u32>> {
    let mut counts: Vec<u32> = start.into_iter().map(|n| n.min(cap)).collect();
    // Per group, the count before the last rise, known to fail (-1: none known; 0 agents is an
    // answer like any other, and is tried).
    let mut below: Vec<i64> = vec![-1; counts.len()];
    loop {
        if r.holds(&counts)? {
            break;
        }
        let s = r.run(&counts)?;
        // No chat arrived to measure: arrivals do not depend on the staffing, so more agents
        // cannot change that (it had grown the groups to the cap, then blamed the targets). A
        // team's row can be empty for reasons more agents do change (no one of the team on
        // shift, say), so only the whole desk's stops the search.
        if s.figures.overall.offered == 0.0 {
            return Err(Error::Usage(format!(
                "{}no chat arrived in the measured part of the run (after any warm-up), so no target has a figure to meet; lengthen the run (--duration) or check the traffic's rate",
                r.label
            )));
        }
        below = counts.iter().map(|&n| n as i64).collect();
        if counts.iter().all(|&n| n >= cap) {
            let missed: Vec<String> =
                r.q.targets
                    .iter()
                    .filter(|t| !t.holds(&s))
                    .map(|t| match t.value(&s) {
                        Some((v, _)) => format!("{t} reads {}", t.shown(v)),
                        None if t.offered(&s) == Some(0.0) => format!(
                        "{t} has no figure (no chat counted for {}; a team counts the chats first routed to it)",
                        t.scope_name()
                    ),
                    None => format!(
                        "{t} has no figure (no chat of {} was answered or left a queue)",
                        t.scope_name()
                    ),
                    })
                    .collect();
            return Err(Error::Usage(format!(
                "{}the targets are not met even with {cap} agents in each varied group: {}",
                r.label,
                missed.join("; ")
            )));
        }
        for n in &mut counts {
            *n = (*n + (*n / 2).max(1)).min(cap);
        }
    }
    // With --minimize cost the dearest agents go first; otherwise those with fewest slots.
    let mut by: Vec<usize> = (0..counts.len()).collect();
    by.sort_by(|&a, &b| match r.q.minimize {
        Minimize::Cost => per_group[b].0.total_cmp(&per_group[a].0),
        Minimize::Agents => per_group[a].1.cmp(&per_group[b].1),
    });
    loop {
        let before = counts.clone();
        for &g in &by {
            // With one group the count before the last rise is known to fail; with several it
            // failed beside smaller other groups, which proves nothing here.
            let known_bad = if counts.len() == 1 { below[g] } else { -1 };
            let hi_start = counts[g] as i64;
            let (mut lo, mut hi) = (known_bad.min(hi_start - 1), hi_start);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let mut trial = counts.clone();
                trial[g] = mid as u32;
                if r.holds(&trial)? {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            counts[g] = hi as u32;
            below[g] = -1;
        }
        if counts != before {
            continue;
        }
        // Shrinking each group in turn keeps the split it started from: with two groups alike
        // but for cost it answered 6 cheap and 3 dear where 9 cheap hold at half the cost. So
        // with --minimize cost, an agent of one group is traded for one of another while the
        // targets hold and the staffing cost falls, and the groups shrink again after each
        // trade. (A local search: the cheapest staffing it reaches, not a proven one.)
        if r.q.minimize != Minimize::Cost || !trade(r, &mut counts, cap, &by)? {
            return Ok(counts);
        }
    }
}

/// The staffing cost a run reports: every agent's cost for its hours on shift.
fn cost(s: &Summary) -> f64 {
    s.figures.agents.iter().map(|a| a.staffing_cost).sum()
}

/// One trade of [`search`] with --minimize cost: an agent of one group for an agent of
/// another below `cap`, trying the dearest by the hour first for the cheapest, the first pair
/// whose staffing holds at a lower staffing cost. False when none does.
fn trade(
    r: &mut Runner<'_>,
    counts: &mut Vec<u32>,
    cap: u32,
    dearest_first: &[usize],
) -> Result<bool> {
    for &g in dearest_first {
        for &h in dearest_first.iter().rev() {
            if g == h || counts[g] == 0 || counts[h] >= cap {
                continue;
            }
            let mut trial = counts.clone();
            trial[g] -= 1;
            trial[h] += 1;
            // Dearer by the hour is not dearer in all: a group on shift all day at 30 costs
            // more than one on shift half the day at 50. The trade must lower the cost the
            // answer reports.
            if r.holds(&trial)? && cost(&r.run(&trial)?) < cost(&r.run(counts)?) {
                *counts = trial;
                return Ok(true);
            }
        }
    }
    Ok(false)
}

pub(crate) fn target_value(t: &Target, s: &Summary) -> TargetValue {
    let v = t.value(s);
    let (value, ci95) = (v.map(|x| x.0), v.and_then(|x| x.1));
    TargetValue {
        target: t.text.clone(),
        value,
        ci95,
        holds: t.holds(s),
        close: value
            .zip(ci95)
            .is_some_and(|(v, h)| (v - t.limit).abs() <= h),
    }
}

/// Probability of waiting in M/M/c with offered load `a` erlangs (Erlang C); 1 when `c <= a`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if (c as f64) <= a {
        return 1.0;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    waits(c, a, b)
}

/// Erlang C for `c` servers above load `a` from Erlang B's `b` for them.
#[inline]
fn waits(c: u32, a: f64, b: f64) -> f64 {
    let c = c as f64;
    c * b / (c - a * (1.0 - b))
}

/// Fewest servers for which an M/M/c queue with load `a` and mean handle time `aht` answers
/// `level` of its customers within `within` seconds, or `most` if none up to `most` does.
/// Erlang B is carried from one server count to the next (the recursion [`erlang_c`] runs
/// from the start for each count, with the same steps, so the same numbers), so the search
/// costs one step a server: it took a step a server for each count tried, and a load of 10^9
/// erlangs (a handle time of 10^9 s) ran for minutes; `most` ends the search where a load
/// of 10^300 never would.
pub fn erlang_c_servers(a: f64, aht: f64, within: f64, level: f64, most: u32) -> u32 {
    let mut b = 1.0;
    for c in 1..=most {
        b = a * b / (c as f64 + a * b);
        let n = c as f64;
        if n > a && 1.0 - waits(c, a, b) * (-(n - a) * within / aht).exp() >= level {
            return c;
        }
    }
    most
}

/// The starting point: the slots Erlang C needs at the peak quarter-hour's load (for the
/// service-level target if there is one, else at 85% occupancy), less the slots of the agents
/// not varied, spread evenly over the varied groups.
fn estimate(
    unit: &Model,
    targets: &[Target],
    per_group: &[(f64, u32)],
    (load, slots): (f64, f64),
) -> Vec<u32> {
    if load <= 0.0 {
        return vec![1; per_group.len()];
    }
    // Mean handle time over the streams, by rate.
    let (mut rate, mut work) = (0.0, 0.0);
    for t in &unit.traffic {
        let r = t.rate * t.profile.mean();
        rate += r;
        work += r * t.handle_time.mean_secs;
    }
    let aht = if rate > 0.0 { work / rate } else { 1.0 };
    let sl = targets
        .iter()
        .find_map(|t| match (t.metric, t.op, &t.scope) {
            (Metric::ServiceLevel(within), Op::AtLeast, None) => Some((within, t.limit)),
            _ => None,
        });
    let varied_slots: f64 = per_group.iter().map(|g| g.1 as f64).sum();
    let others = (slots - varied_slots).max(0.0);
    // The most slots a staffing the search tries can hold: no start needs more.
    let most = (others + varied_slots * limits::MAX_AGENTS as f64).min(u32::MAX as f64) as u32;
    let needed = match sl {
        Some((within, level)) => erlang_c_servers(load, aht, within, level, most) as f64,
        None => (load / 0.85).ceil(),
    };
    // None where the agents not varied hold the slots needed: the search tries 0 first.
    let each = ((needed - others).max(0.0) / varied_slots).ceil() as u32;
    vec![each; per_group.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Erlang C from its textbook form, a^c/c! * c/(c-a) over the sum of a^k/k! for k < c plus
    /// that term, computed in logs: an independent check of the recurrence.
    fn erlang_c_direct(c: u32, a: f64) -> f64 {
        let ln_term = |k: u32| k as f64 * a.ln() - (1..=k).map(|j| (j as f64).ln()).sum::<f64>();
        let top = (ln_term(c) + (c as f64 / (c as f64 - a)).ln()).exp();
        let sum: f64 = (0..c).map(|k| ln_term(k).exp()).sum();
        top / (sum + top)
    }

    #[test]
    fn erlang_c_servers_stop_at_the_most_a_staffing_holds() {
        // A handle time of 10^300 s had the search run without end (found by a fuzzing
        // helper); 10^7 erlangs now take one step a server.
        assert_eq!(
            erlang_c_servers(1e300, 1e300, 20.0, 0.8, 5_000_000),
            5_000_000
        );
        let c = erlang_c_servers(1e7, 3600.0, 20.0, 0.8, u32::MAX);
        assert!(c as f64 > 1e7 && (c as f64) < 1e7 + 1e5, "{c}");
        // The same answers as counting each server count from the start, as before.
        for (a, level) in [(0.3, 0.5), (8.5, 0.8), (95.2, 0.9), (400.0, 0.95)] {
            let from_start = (1..)
                .find(|&c: &u32| {
                    c as f64 > a
                        && 1.0 - erlang_c(c, a) * (-(c as f64 - a) * 20.0 / 60.0).exp() >= level
                })
                .unwrap();
            assert_eq!(erlang_c_servers(a, 60.0, 20.0, level, u32::MAX), from_start);
            assert_eq!(erlang_c_servers(a, 60.0, 20.0, level, 1), 1);
        }
    }

    #[test]
    fn erlang_c_servers_are_the_fewest_that_meet_the_level() {
        for (a, aht, within, level) in [
            (24.0, 240.0, 20.0, 0.8),
            (8.5, 60.0, 20.0, 0.8),
            (2.0, 300.0, 30.0, 0.9),
        ] {
            let sl = |c: u32| 1.0 - erlang_c_direct(c, a) * (-(c as f64 - a) * within / aht).exp();
            let c = erlang_c_servers(a, aht, within, level, u32::MAX);
            assert!((erlang_c(c, a) - erlang_c_direct(c, a)).abs() < 1e-9);
            assert!(sl(c) >= level, "{a}: {c} servers give {}", sl(c));
            assert!(
                c as f64 - 1.0 <= a || sl(c - 1) < level,
                "{a}: {} would do",
                c - 1
            );
        }
    }
}
