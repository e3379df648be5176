//! How much more traffic does the desk take? The largest multiplier of today's traffic (of
//! every stream, or of one) at which every target still holds, and how sure that is.
//!
//! Every load runs with the same seed and replications, and a multiplier only shrinks or
//! stretches the gaps between arrivals (`traffic.scale`), so every load sees the same customers
//! with the same attributes, handle times and patience (common random numbers): the curve is
//! smooth and a difference between two loads comes from the load alone.
//!
//! The search, for each target:
//! 1. A grid of loads from `from` (50% of today's) up in steps of `step` (wider past 2x and
//!    5x), until every target fails with its whole 95% interval past its limit, and one step
//!    more; down by halving while a target does not hold with its whole interval at the lowest
//!    load (to 1/64 of `from`).
//! 2. The breaking load: between the last load at which the target holds (by its estimate)
//!    and the first at which it does not, bisection to `resolution`.
//! 3. Its 95% interval by inverting the pointwise intervals: the low end is the largest load
//!    below which the target holds with its whole interval, the high end the smallest at which
//!    it fails with its whole interval, each found by bisection. The true crossing is a load at
//!    which the limit lies inside the figure's own 95% interval with 95% probability, and every
//!    such load lies between the two ends when the figure worsens with load.
//!
//! The desk's breaking load is the least of its targets'. It assumes that more traffic never
//! makes a target better, which holds for service levels, waits and abandonment in all but
//! contrived rule sets.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::experiment::{self, RunOptions};
use crate::scenario::limits::{self, num};
use crate::scenario::{Overrides, Source};
use crate::staff::{TargetValue, target_value};
use crate::sweep::{Estimate, Row, Stop};
use crate::target::{Target, service_level_threshold};

/// The first load of the grid, as a multiplier of today's traffic.
pub const DEFAULT_FROM: f64 = 0.5;
/// The grid's step below 2x (twice it up to 5x, five times it beyond).
pub const DEFAULT_STEP: f64 = 0.1;
/// How close the bisections bring each boundary.
pub const DEFAULT_RESOLUTION: f64 = 0.01;
/// The highest load the grid goes to.
pub const DEFAULT_MAX: f64 = 20.0;
/// Most loads simulated in one search.
pub const MAX_RUNS: u32 = 200;

/// The question.
#[derive(Debug, Clone)]
pub struct Query {
    /// Every one must hold.
    pub targets: Vec<Target>,
    /// The `[[traffic]]` stream whose volume is multiplied; `None`: every stream.
    pub stream: Option<String>,
    /// Seed, replications, duration and any `--scale` for every run.
    pub base: Overrides,
    /// Threads for each run's replications (0: one per core).
    pub threads: usize,
    /// The first load of the grid.
    pub from: f64,
    /// The grid's step.
    pub step: f64,
    /// How close the bisections bring each boundary.
    pub resolution: f64,
    /// The highest load of the grid.
    pub max: f64,
}

impl Query {
    /// A query with the default grid.
    pub fn new(targets: Vec<Target>, stream: Option<String>, base: Overrides) -> Query {
        Query {
            targets,
            stream,
            base,
            threads: 0,
            from: DEFAULT_FROM,
            step: DEFAULT_STEP,
            resolution: DEFAULT_RESOLUTION,
            max: DEFAULT_MAX,
        }
    }
}

/// The desk at one load: whole-desk figures with their 95% half-widths, and each target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The multiplier of today's traffic.
    pub multiplier: f64,
    /// Chats offered per replication.
    pub offered: Estimate,
    /// Share answered within the service-level threshold.
    pub service_level: Estimate,
    /// Share of offered chats abandoned.
    pub abandon_rate: Estimate,
    /// Mean wait of answered chats, seconds.
    pub wait_mean: Estimate,
    /// 95th percentile wait of answered chats, seconds.
    pub wait_p95: Estimate,
    /// Slot time in use over slot time on shift, pooled over all agents.
    pub occupancy: Estimate,
    /// Each target, in the order given.
    pub targets: Vec<TargetValue>,
}

impl Point {
    /// Whether target `i` holds with its whole 95% interval on the right side of its limit.
    fn surely_holds(&self, i: usize) -> bool {
        let t = &self.targets[i];
        t.holds && !t.close
    }

    /// Whether target `i` fails with its whole 95% interval past its limit.
    fn surely_fails(&self, i: usize) -> bool {
        let t = &self.targets[i];
        !t.holds && !t.close
    }
}

/// Where one target (or the desk, for all of them) breaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breaking {
    /// The target as written, or `all` for the desk.
    pub target: String,
    /// The breaking load: the largest load simulated, below the first at which the target
    /// fails, at which it holds (by its estimate). `null`: it fails at the lowest load tried.
    pub multiplier: Option<f64>,
    /// The lowest load simulated at which it fails (by its estimate), within `resolution` of
    /// `multiplier`. `null`: it holds at every load tried.
    pub breaks_at: Option<f64>,
    /// Low end of the breaking load's 95% interval. `null`: below the lowest load tried.
    pub ci95_low: Option<f64>,
    /// High end. `null`: above the highest load tried.
    pub ci95_high: Option<f64>,
}

/// The answer of `routesim stress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stress {
    /// Scenario file name.
    pub scenario: String,
    /// Seed of every run.
    pub seed: u64,
    /// Replications of every run.
    pub replications: u32,
    /// The stream whose volume was multiplied; `null`: every stream.
    pub stream: Option<String>,
    /// The service-level threshold every run measured, seconds.
    pub service_level_threshold: f64,
    /// The desk's breaking load: the least of its targets'.
    pub breaking: Breaking,
    /// The target that breaks first; `null` when none breaks in the loads tried.
    pub first_broken: Option<String>,
    /// Each target's breaking load, in the order given.
    pub targets: Vec<Breaking>,
    /// Every load simulated, by multiplier.
    pub curve: Vec<Point>,
    /// Loads simulated.
    pub runs: u32,
    /// The run warnings at the breaking load (or at the lowest load, if it breaks there).
    pub warnings: Vec<String>,
}

impl Stress {
    /// The curve as a sweep's rows over one axis, the multiplier (the table, CSV and chart
    /// of a sweep read them).
    pub fn rows(&self) -> Vec<Row> {
        self.curve
            .iter()
            .map(|p| Row {
                values: vec![multiplier_label(p.multiplier)],
                service_level_threshold: self.service_level_threshold,
                service_level: p.service_level,
                abandon_rate: p.abandon_rate,
                wait_mean: p.wait_mean,
                wait_p90: Estimate {
                    value: None,
                    ci95: None,
                },
                wait_p95: p.wait_p95,
                occupancy: p.occupancy,
                staffing_cost: Estimate {
                    value: None,
                    ci95: None,
                },
            })
            .collect()
    }
}

/// A multiplier as people read it: `1.25x`.
pub fn multiplier_label(m: f64) -> String {
    // Six decimals, as loads are kept (`snap`): two loads of the curve never read alike.
    let s = format!("{m:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}x")
}

/// The finest difference between two loads: [`snap`] keeps six decimals.
const LOAD_DECIMAL: f64 = 1e-6;

/// A multiplier kept to six decimals, so that the same load reached two ways is one run.
fn snap(m: f64) -> f64 {
    (m * 1e6).round() / 1e6
}

fn key(m: f64) -> u64 {
    (snap(m) * 1e6) as u64
}

/// Runs loads once each and remembers them.
struct Runner<'a> {
    source: &'a Source,
    q: &'a Query,
    base: Overrides,
    points: BTreeMap<u64, Point>,
    /// Loads simulated at which no chat arrived in the measured part of the run.
    empty: BTreeSet<u64>,
    warnings: BTreeMap<u64, Vec<String>>,
    seed: u64,
    replications: u32,
    threshold: f64,
    stop: &'a (dyn Fn() -> bool + Sync),
    step: &'a (dyn Fn(&str) + Sync),
}

/// Stopped by `stop`: the search ends without an answer.
struct Stopped;

impl Runner<'_> {
    fn overrides(&self, m: f64) -> Overrides {
        let mut ov = self.base.clone();
        ov.scale.push((m, self.q.stream.clone()));
        ov
    }

    /// The desk at load `m`, simulated once. `None` when no chat arrived in the measured part
    /// of any replication: the load is too thin for the run to say whether a target holds, so
    /// it is neither a hold nor a break, and stays out of the curve.
    fn at(&mut self, m: f64) -> Result<std::result::Result<Option<&Point>, Stopped>> {
        let m = snap(m);
        let k = key(m);
        if self.empty.contains(&k) {
            return Ok(Ok(None));
        }
        if !self.points.contains_key(&k) {
            if (self.stop)() {
                return Ok(Err(Stopped));
            }
            if (self.points.len() + self.empty.len()) as u32 >= MAX_RUNS {
                return Err(Error::Usage(format!(
                    "no answer after {MAX_RUNS} loads; raise --resolution or --step"
                )));
            }
            (self.step)(&multiplier_label(m));
            let model = self.source.compile(&self.overrides(m))?;
            let options = RunOptions {
                threads: self.q.threads,
                interval: None,
            };
            let stop = self.stop;
            let (s, reps, _) = experiment::run_detailed(&model, &options, |_| Stop(stop), &|_| {});
            if (self.stop)() {
                return Ok(Err(Stopped));
            }
            for t in &self.q.targets {
                if !t.scope_exists(&s) {
                    return Err(Error::Usage(format!(
                        "target \"{t}\": no team named \"{}\"",
                        t.scope.as_deref().unwrap_or_default()
                    )));
                }
            }
            let row = crate::sweep::row(&model, &s.figures, &reps, vec![]);
            let offered = Estimate {
                value: Some(s.figures.overall.offered),
                ci95: s.ci95.as_ref().map(|c| c.overall.offered),
            };
            (self.seed, self.replications) = (model.seed, model.replications);
            self.threshold = model.service_level.as_secs_f64();
            if s.figures.overall.offered == 0.0 {
                self.empty.insert(k);
                return Ok(Ok(None));
            }
            self.points.insert(
                k,
                Point {
                    multiplier: m,
                    offered,
                    service_level: row.service_level,
                    abandon_rate: row.abandon_rate,
                    wait_mean: row.wait_mean,
                    wait_p95: row.wait_p95,
                    occupancy: row.occupancy,
                    targets: self.q.targets.iter().map(|t| target_value(t, &s)).collect(),
                },
            );
            self.warnings.insert(k, s.warnings);
        }
        Ok(Ok(Some(&self.points[&k])))
    }

    /// The loads simulated, in order.
    fn sorted(&self) -> Vec<&Point> {
        self.points.values().collect()
    }

    /// Bisects between `a` (where `side` is true) and `b` (where it is false) until they are
    /// within the resolution, on loads that are whole multiples of it from `a` (so that they
    /// read as `1.43x`, not `1.4312x`); returns the pair.
    fn bisect(
        &mut self,
        mut a: f64,
        mut b: f64,
        side: &dyn Fn(&Point) -> bool,
    ) -> Result<std::result::Result<(f64, f64), Stopped>> {
        let res = self.q.resolution;
        loop {
            let steps = ((b - a) / res + 1e-6).floor();
            if steps < 2.0 {
                break;
            }
            let mid = snap(a + (steps / 2.0).floor() * res);
            match self.at(mid)? {
                Err(s) => return Ok(Err(s)),
                Ok(Some(p)) if side(p) => a = mid,
                Ok(Some(_)) => b = mid,
                // No chat there (a warm-up can make the measured window of a higher load
                // hold fewer chats): the pair stays as close as the loads with chats bring it.
                Ok(None) => break,
            }
        }
        Ok(Ok((a, b)))
    }
}

/// The next load of the grid after `m`.
fn next(q: &Query, m: f64) -> f64 {
    let step = if m < 2.0 - 1e-9 {
        q.step
    } else if m < 5.0 - 1e-9 {
        2.0 * q.step
    } else {
        5.0 * q.step
    };
    snap(m + step)
}

/// Checks the query's numbers.
fn check(q: &Query) -> Result<()> {
    if q.targets.is_empty() {
        return Err(Error::Usage("stress needs at least one --target".into()));
    }
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !(positive(q.from) && positive(q.step) && positive(q.resolution) && positive(q.max)) {
        return Err(Error::Usage(
            "--from, --step, --resolution and --max are numbers above 0".into(),
        ));
    }
    // Loads are kept to six decimals (`snap`): a finer step or resolution makes the next load
    // the one just run, and the search asked for it again for ever (found by a fuzzing helper).
    if q.from < LOAD_DECIMAL || q.step < LOAD_DECIMAL || q.resolution < LOAD_DECIMAL {
        return Err(Error::Usage(format!(
            "--from, --step and --resolution are at least {LOAD_DECIMAL} (loads are kept to six decimals)"
        )));
    }
    if q.from >= q.max {
        return Err(Error::Usage(format!(
            "--from {} is not below --max {}",
            q.from, q.max
        )));
    }
    if q.resolution > q.step {
        return Err(Error::Usage(format!(
            "--resolution {} is coarser than --step {}: give a resolution at most the step",
            q.resolution, q.step
        )));
    }
    Ok(())
}

/// Refuses a highest load `max` that would take a stream past the limit of a stream's volume
/// (its own `scale` and `--scale` included), before anything runs: found while searching, the
/// error named the `--scale` the search sets the load with, a flag the user never gave.
fn within_volume_limit(model: &crate::model::Model, stream: Option<&str>, max: f64) -> Result<()> {
    let busiest = model
        .traffic
        .iter()
        .filter(|t| stream.is_none_or(|s| t.name == s))
        .max_by(|a, b| a.scale.total_cmp(&b.scale));
    if let Some(t) = busiest.filter(|t| t.scale * max > limits::MAX_MULTIPLIER) {
        return Err(Error::Usage(format!(
            "--max {}: stream \"{}\" would run at {}× its volume, past the limit of {}×; give --max {} or less",
            num(max),
            t.name,
            num(t.scale * max),
            num(limits::MAX_MULTIPLIER),
            num(snap_down(limits::MAX_MULTIPLIER / t.scale))
        )));
    }
    Ok(())
}

/// A multiplier kept to six decimals, rounded down.
fn snap_down(m: f64) -> f64 {
    (m * 1e6).floor() / 1e6
}

/// Finds the breaking load. `step` hears of each load tried, for a progress display; `stop` is
/// asked before each load and between a replication's events: once it says true, the search
/// ends with `None`.
pub fn stress(
    source: &Source,
    q: &Query,
    step: &(dyn Fn(&str) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Stress>> {
    check(q)?;
    let threshold = service_level_threshold(&q.targets).map_err(Error::Usage)?;
    let base = Overrides {
        service_level: threshold,
        ..q.base.clone()
    };
    // The file and the stream are checked once, before anything runs.
    let model = source.compile(&Overrides {
        scale: [base.scale.clone(), vec![(1.0, q.stream.clone())]].concat(),
        ..base.clone()
    })?;
    if model.replications < 2 {
        return Err(Error::Usage(format!(
            "{}: {} replication: a confidence interval needs two or more (set simulation.replications, or --replications 10)",
            model.name, model.replications
        )));
    }
    within_volume_limit(&model, q.stream.as_deref(), q.max)?;
    let mut r = Runner {
        source,
        q,
        base,
        points: BTreeMap::new(),
        empty: BTreeSet::new(),
        warnings: BTreeMap::new(),
        seed: model.seed,
        replications: model.replications,
        threshold: model.service_level.as_secs_f64(),
        stop,
        step,
    };
    let n = q.targets.len();
    macro_rules! at {
        ($m:expr) => {
            match r.at($m)? {
                Ok(p) => p,
                Err(Stopped) => return Ok(None),
            }
        };
    }
    // 1. The grid, up until every target fails for sure, and one step more.
    let mut m = snap(q.from);
    loop {
        let failed = at!(m).is_some_and(|p| (0..n).all(|i| p.surely_fails(i)));
        if failed || m >= q.max {
            if m < q.max {
                at!(next(q, m).min(q.max));
            }
            break;
        }
        m = next(q, m).min(q.max);
    }
    if r.points.is_empty() {
        return Err(Error::Usage(format!(
            "no chat arrived in the measured part of the run (after any warm-up) at any load from {} to {}, so no target has a figure to hold; lengthen the run (--duration) or check the traffic's rate",
            multiplier_label(snap(q.from)),
            multiplier_label(m)
        )));
    }
    // Down while a target is not sure to hold at the lowest load, and chats still come.
    for _ in 0..6 {
        let low = r.sorted()[0].multiplier;
        if (0..n).all(|i| r.sorted()[0].surely_holds(i)) || at!(low / 2.0).is_none() {
            break;
        }
    }
    // 2 and 3, per target.
    let mut targets = Vec::with_capacity(n);
    for i in 0..n {
        let b = match boundaries(&mut r, i)? {
            Ok(b) => b,
            Err(Stopped) => return Ok(None),
        };
        targets.push(b);
    }
    let breaking = all(&targets);
    let first_broken = targets
        .iter()
        .filter_map(|b| b.breaks_at.map(|at| (at, &b.target)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, t)| t.clone());
    let at_answer = breaking
        .multiplier
        .unwrap_or_else(|| r.sorted()[0].multiplier);
    let warnings = r.warnings.get(&key(at_answer)).cloned().unwrap_or_default();
    Ok(Some(Stress {
        scenario: source.name().to_string(),
        seed: r.seed,
        replications: r.replications,
        stream: q.stream.clone(),
        service_level_threshold: r.threshold,
        breaking,
        first_broken,
        targets,
        runs: (r.points.len() + r.empty.len()) as u32,
        curve: r.points.into_values().collect(),
        warnings,
    }))
}

/// Target `i`'s breaking load and interval, refining the curve by bisection.
fn boundaries(r: &mut Runner<'_>, i: usize) -> Result<std::result::Result<Breaking, Stopped>> {
    let holds = |p: &Point| p.targets[i].holds;
    let surely_holds = |p: &Point| p.surely_holds(i);
    let not_surely_fails = |p: &Point| !p.surely_fails(i);
    // The first load (from the lowest) at which `side` is false, and the one before it.
    let bracket = |r: &Runner<'_>, side: &dyn Fn(&Point) -> bool| {
        let pts = r.sorted();
        let j = pts.iter().position(|p| !side(p))?;
        Some((
            j.checked_sub(1).map(|k| pts[k].multiplier),
            pts[j].multiplier,
        ))
    };
    let (multiplier, breaks_at) = match bracket(r, &holds) {
        None => (r.sorted().last().map(|p| p.multiplier), None),
        Some((None, b)) => (None, Some(b)),
        Some((Some(a), b)) => match r.bisect(a, b, &holds)? {
            Ok((a, b)) => (Some(a), Some(b)),
            Err(s) => return Ok(Err(s)),
        },
    };
    let ci95_low = match bracket(r, &surely_holds) {
        None => multiplier,
        Some((None, _)) => None,
        Some((Some(a), b)) => match r.bisect(a, b, &surely_holds)? {
            Ok((a, _)) => Some(a),
            Err(s) => return Ok(Err(s)),
        },
    };
    // The high end: the first load at which it fails for sure.
    let ci95_high = match bracket(r, &not_surely_fails) {
        None => None,
        Some((None, b)) => Some(b),
        Some((Some(a), b)) => match r.bisect(a, b, &not_surely_fails)? {
            Ok((_, b)) => Some(b),
            Err(s) => return Ok(Err(s)),
        },
    };
    let target = r.q.targets[i].text.clone();
    Ok(Ok(Breaking {
        target,
        multiplier: if breaks_at.is_none() {
            None
        } else {
            multiplier
        },
        breaks_at,
        ci95_low: ci95_low.filter(|_| breaks_at.is_some()),
        ci95_high,
    }))
}

/// The desk's breaking load: the least of the targets' that break (a target that holds at
/// every load tried does not bound it). An end below the range tried (`None`) is the least.
fn all(targets: &[Breaking]) -> Breaking {
    let broken: Vec<&Breaking> = targets.iter().filter(|b| b.breaks_at.is_some()).collect();
    let least = |f: fn(&Breaking) -> Option<f64>| {
        let mut out: Option<f64> = None;
        for b in &broken {
            let v = f(b)?;
            out = Some(out.map_or(v, |o| o.min(v)));
        }
        out
    };
    Breaking {
        target: "all".into(),
        multiplier: least(|b| b.multiplier),
        breaks_at: least(|b| b.breaks_at),
        ci95_low: least(|b| b.ci95_low),
        // An end above the range tried does not bound the least.
        ci95_high: broken
            .iter()
            .filter_map(|b| b.ci95_high)
            .min_by(f64::total_cmp),
    }
}

/// A ramp test's question: one run whose load rises from `from` by `per_hour` each hour to
/// `to` and falls back, read in `interval`-long windows.
#[derive(Debug, Clone)]
pub struct RampQuery {
    /// Every one must hold; whole-desk targets on the service level, abandonment, the mean or
    /// the p90 wait (what a window reports).
    pub targets: Vec<Target>,
    /// The `[[traffic]]` stream whose volume is ramped; `None`: every stream.
    pub stream: Option<String>,
    /// Seed, replications and any `--scale`.
    pub base: Overrides,
    /// Threads for the replications (0: one per core).
    pub threads: usize,
    /// Multiplier at the start and the end.
    pub from: f64,
    /// Multiplier at the peak.
    pub to: f64,
    /// Change of the multiplier per hour.
    pub per_hour: f64,
    /// Window length: 15, 30 or 60 minutes, in ticks.
    pub interval: u64,
}

/// One window of a ramp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Start, seconds since the ramp began (the end of the warm-up).
    pub from: f64,
    /// Seconds of the run inside the window.
    pub length: f64,
    /// The load at the window's middle, as a multiple of today's.
    pub multiplier: f64,
    /// Chats that arrived in the window, per replication.
    pub offered: f64,
    /// Share answered within the threshold.
    pub service_level: Option<f64>,
    /// Share of the window's chats abandoned.
    pub abandon_rate: Option<f64>,
    /// Mean wait of answered chats, seconds.
    pub wait_mean: Option<f64>,
    /// 90th percentile wait, seconds.
    pub wait_p90: Option<f64>,
    /// Slot time in use over slot time on shift.
    pub occupancy: Option<f64>,
    /// Each target in this window.
    pub targets: Vec<TargetValue>,
}

/// When a target first broke during the ramp, and whether the desk recovered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Broke {
    /// The target as written.
    pub target: String,
    /// Start of the first window in which it failed (seconds since the ramp began); `null`:
    /// it held throughout.
    pub broke_at: Option<f64>,
    /// The load at that window's middle.
    pub broke_multiplier: Option<f64>,
    /// Start of the window from which it held again until the end, on the way down; `null`
    /// when it never broke or did not recover.
    pub recovered_at: Option<f64>,
    /// The load at that window's middle.
    pub recovered_multiplier: Option<f64>,
    /// Whether it held again by the end of the run (`true` when it never broke).
    pub recovered: bool,
}

/// The answer of `routesim stress --ramp`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RampTest {
    /// Scenario file name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Replications.
    pub replications: u32,
    /// The stream ramped; `null`: every stream.
    pub stream: Option<String>,
    /// Multiplier at the start and the end.
    pub from: f64,
    /// Multiplier at the peak.
    pub to: f64,
    /// Change per hour.
    pub per_hour: f64,
    /// Seconds from the start of the ramp to its peak.
    pub peak_at: f64,
    /// The service-level threshold, seconds.
    pub service_level_threshold: f64,
    /// Each target.
    pub targets: Vec<Broke>,
    /// The windows, in time order.
    pub windows: Vec<Window>,
    /// The run's warnings.
    pub warnings: Vec<String>,
    /// The run's whole report (for `report.html`).
    #[serde(skip)]
    pub summary: Option<Box<experiment::Summary>>,
}

/// Runs the ramp. `stop` as for [`stress`]: `None` when it says true.
pub fn ramp(
    source: &Source,
    q: &RampQuery,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<RampTest>> {
    use crate::target::Metric;
    if q.targets.is_empty() {
        return Err(Error::Usage("stress needs at least one --target".into()));
    }
    for t in &q.targets {
        if t.scope.is_some() || matches!(t.metric, Metric::WaitP95) {
            return Err(Error::Usage(format!(
                "target \"{t}\": a ramp reads the whole desk's windows, which report sl(T), abandon, wait.mean and wait.p90"
            )));
        }
    }
    let threshold = service_level_threshold(&q.targets).map_err(Error::Usage)?;
    let ok = |x: f64| x.is_finite() && x > 0.0;
    if !(ok(q.from) && ok(q.to) && ok(q.per_hour)) || q.from >= q.to {
        return Err(Error::Usage(format!(
            "a ramp goes from --from up to a higher --max at a rate above 0; got {} to {} at {}/h",
            q.from, q.to, q.per_hour
        )));
    }
    let rise = (q.to - q.from) / q.per_hour * 3_600.0;
    // The file's moment, frozen: the ramp is the only change in the run.
    let plain = source.compile(&q.base)?;
    // A ramp's multiplier is its own (not --scale's), limited as a profile's is.
    if q.to > limits::MAX_MULTIPLIER {
        return Err(Error::Usage(format!(
            "--max {}: a ramp rises to at most {}× the volume; give --max {} or less",
            num(q.to),
            num(limits::MAX_MULTIPLIER),
            num(limits::MAX_MULTIPLIER)
        )));
    }
    // The ramp sets the run's length: one too short is the ramp's to fix, not --duration's.
    if 2.0 * rise < limits::MIN_DURATION_SECS {
        return Err(Error::Usage(format!(
            "--ramp: rising from {} to --max {} at {}%/h takes {:.2}s and falling as long, under the shortest run of {}s: ramp slower or to a higher --max",
            num(q.from),
            num(q.to),
            num(q.per_hour * 100.0),
            rise,
            num(limits::MIN_DURATION_SECS)
        )));
    }
    let longest = limits::MAX_HORIZON_SECS - plain.warmup.as_secs_f64();
    if 2.0 * rise > longest {
        return Err(Error::Usage(format!(
            "--ramp: rising from {} to --max {} takes {:.0} hours and falling as long, past the limit of 10 years for a run (warm-up included): ramp faster or to a lower --max",
            num(q.from),
            num(q.to),
            rise / 3_600.0
        )));
    }
    let overrides = Overrides {
        service_level: threshold,
        duration: Some(2.0 * rise),
        stationary_at: Some(plain.start),
        ramp: Some((q.from, q.to, q.per_hour, q.stream.clone())),
        ..q.base.clone()
    };
    let model = source.compile(&overrides)?;
    let options = RunOptions {
        threads: q.threads,
        interval: Some(crate::model::SimTime(q.interval)),
    };
    let (s, _) = experiment::run_with(&model, &options, |_| Stop(stop), progress);
    if stop() {
        return Ok(None);
    }
    let ramp = model.ramp.expect("the ramp was set");
    let (intervals, cis) = (
        s.intervals.clone().unwrap_or_default(),
        s.intervals_ci95.clone(),
    );
    let windows: Vec<Window> = intervals
        .iter()
        .enumerate()
        .map(|(k, w)| {
            let ci = cis.as_ref().and_then(|c| c.get(k));
            let abandon_rate = (w.offered > 0.0).then(|| w.abandoned / w.offered);
            let targets = q
                .targets
                .iter()
                .map(|t| {
                    let (value, ci95) = match t.metric {
                        Metric::ServiceLevel(_) => {
                            (w.service_level, ci.and_then(|c| c.service_level))
                        }
                        Metric::Abandon => (abandon_rate, None),
                        Metric::WaitMean => (w.wait_mean, ci.and_then(|c| c.wait_mean)),
                        _ => (w.wait_p90, ci.and_then(|c| c.wait_p90)),
                    };
                    let holds = value.is_some_and(|v| match t.op {
                        crate::target::Op::AtLeast => v >= t.limit,
                        crate::target::Op::AtMost => v <= t.limit,
                    });
                    TargetValue {
                        target: t.text.clone(),
                        value,
                        ci95,
                        holds,
                        close: value
                            .zip(ci95)
                            .is_some_and(|(v, h)| (v - t.limit).abs() <= h),
                    }
                })
                .collect();
            Window {
                from: w.from.max(0.0),
                length: w.length,
                multiplier: snap(ramp.value(w.from.max(0.0) + w.length / 2.0)),
                offered: w.offered,
                service_level: w.service_level,
                abandon_rate,
                wait_mean: w.wait_mean,
                wait_p90: w.wait_p90,
                occupancy: w.occupancy,
                targets,
            }
        })
        .collect();
    let targets = q
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let first = windows.iter().position(|w| !w.targets[i].holds);
            // The window from which it holds to the end, past the first break.
            let back = first.and_then(|f| {
                let last_bad = windows.iter().rposition(|w| !w.targets[i].holds)?;
                (last_bad + 1 < windows.len() && last_bad >= f).then_some(last_bad + 1)
            });
            Broke {
                target: t.text.clone(),
                broke_at: first.map(|k| windows[k].from),
                broke_multiplier: first.map(|k| windows[k].multiplier),
                recovered_at: back.map(|k| windows[k].from),
                recovered_multiplier: back.map(|k| windows[k].multiplier),
                recovered: first.is_none() || back.is_some(),
            }
        })
        .collect();
    Ok(Some(RampTest {
        scenario: source.name().to_string(),
        seed: model.seed,
        replications: model.replications,
        stream: q.stream.clone(),
        from: q.from,
        to: q.to,
        per_hour: q.per_hour,
        peak_at: rise,
        service_level_threshold: model.service_level.as_secs_f64(),
        targets,
        windows,
        warnings: s.warnings.clone(),
        summary: Some(Box::new(s)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A load reads with as many decimals as it is kept to, no more: two loads of a curve
    /// never read alike.
    #[test]
    fn loads_read_to_six_decimals() {
        assert_eq!(multiplier_label(2.0), "2x");
        assert_eq!(multiplier_label(1.25), "1.25x");
        assert_eq!(multiplier_label(1.28125), "1.28125x");
        assert_eq!(multiplier_label(snap(1.000001)), "1.000001x");
        assert_ne!(
            multiplier_label(snap(1.000001)),
            multiplier_label(snap(1.000002))
        );
    }
}
