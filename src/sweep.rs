//! Sweeping options: the scenario run at every combination of values of some of its settings
//! (a grid), each point with the same seed and replications, and the key figures with their 95%
//! half-widths at every point.
//!
//! Lifecycle:
//! 1. [`Axis`] reads one `--set PATH=VALUES`: a list (`30s,60s,90s`) or whole numbers `lo..hi`
//!    (both included) or `lo..hi/step` (from `lo` while not past `hi`).
//! 2. [`plan`] makes every point's [`Overrides`] (the grid in the order the axes are given, the
//!    last varying fastest) and compiles each one, so that a bad path or value, at any point, is
//!    reported before anything runs. The models are not kept: a large grid would hold them all.
//! 3. [`run`] compiles and simulates the points in one rayon pool: points in parallel, and each
//!    point's replications in parallel in the same pool. Each point's figures do not depend on
//!    the threads (see [`experiment`]) and rows are collected in point order, so neither does
//!    the output.
//!
//! Every point runs with the same seed and replications (unless an axis sets them), so when no
//! axis touches the traffic, replication `r` of every point sees the same customers (common
//! random numbers) and neighbouring rows differ by what the axes set, not by the dice.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::compare;
use crate::error::{Error, Result};
use crate::experiment::{self, RunOptions};
use crate::model::Model;
use crate::scenario::{Overrides, Source};
use crate::sim::{ChatRecord, Recorder};
use crate::stats::{RepFigures, t95};

/// Most points in one sweep.
pub const MAX_POINTS: usize = 10_000;

/// The figures of a row, in order: those `compare` reads for the whole desk, in its order
/// (a test in `compare` holds the two together).
pub const FIGURES: [&str; 7] = [
    "service_level",
    "abandon_rate",
    "wait_mean",
    "wait_p90",
    "wait_p95",
    "occupancy",
    "staffing_cost",
];

/// One `--set PATH=VALUES`: a setting and the values it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    /// The path, as given, such as `agents.support.count` (see
    /// [`SET_PATHS`](crate::scenario::SET_PATHS)).
    pub path: String,
    /// Its values in order, as text for the scenario's own parsers (`8`, `30s`, `2/min`).
    pub values: Vec<String>,
}

const SET_EXAMPLE: &str =
    "such as agents.support.count=8..16 or 'rules.tech.route[0].timeout=30s,60s,90s'";

impl std::str::FromStr for Axis {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Axis, String> {
        if s.chars().any(char::is_control) {
            return Err("a --set may not contain control characters".into());
        }
        let Some((path, values)) = s.split_once('=') else {
            return Err(format!("write PATH=VALUES, {SET_EXAMPLE}"));
        };
        let path = path.trim();
        if path.is_empty() {
            return Err(format!(
                "no path before the `=`; write PATH=VALUES, {SET_EXAMPLE}"
            ));
        }
        let values = match range(values)? {
            Some(values) => values,
            None => list(values)?,
        };
        Ok(Axis {
            path: path.to_string(),
            values,
        })
    }
}

/// Whole numbers `lo..hi` (both included) or `lo..hi/step` (from `lo` while not past `hi`);
/// `None` for text that is no range (a list, or one value).
fn range(text: &str) -> std::result::Result<Option<Vec<String>>, String> {
    let t = text.trim();
    let looks_like_one =
        t.starts_with(|c: char| c.is_ascii_digit() || c == '-') && !t.contains(',');
    let Some((lo, rest)) = t.split_once("..").filter(|_| looks_like_one) else {
        return Ok(None);
    };
    let (hi, step) = match rest.split_once('/') {
        Some((hi, step)) => (hi, Some(step)),
        None => (rest, None),
    };
    let num = |s: &str| {
        s.trim().parse::<u64>().map_err(|_| {
            format!(
                "cannot read the range \"{t}\": a range is of whole numbers, lo..hi or lo..hi/step (such as 8..16 or 10..50/10); list other values with commas, such as 0.5,1,1.5"
            )
        })
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    let step = step.map(num).transpose()?.unwrap_or(1);
    if step == 0 {
        return Err(format!("the step of the range \"{t}\" must be at least 1"));
    }
    if lo > hi {
        return Err(format!(
            "the range \"{t}\" is empty: it starts above its end"
        ));
    }
    // In u128: `0..18446744073709551615` has one value more than a u64 holds, and the count
    // wrapped to 0, an empty sweep that exited 0 (found by a fuzzing helper).
    let n = (hi - lo) as u128 / step as u128 + 1;
    if n > MAX_POINTS as u128 {
        return Err(format!(
            "the range \"{t}\" has {n} values; a sweep runs at most {MAX_POINTS} points"
        ));
    }
    Ok(Some(
        (0..n as u64).map(|k| (lo + k * step).to_string()).collect(),
    ))
}

/// Values separated by commas outside quotes, braces and brackets (so that an inline table
/// such as `{ dist = "gamma", mean = "5m", sd = "2m" }` is one value).
fn list(text: &str) -> std::result::Result<Vec<String>, String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let (mut depth, mut quote, mut escaped) = (0i32, None::<char>, false);
    for c in text.chars() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '{' | '[' => depth += 1,
                '}' | ']' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            },
        }
        current.push(c);
    }
    items.push(current);
    let items: Vec<String> = items.iter().map(|v| v.trim().to_string()).collect();
    if items.iter().any(String::is_empty) {
        return Err(format!(
            "\"{}\" has an empty value; write values separated by commas, such as 30s,60s,90s",
            text.trim()
        ));
    }
    for (i, v) in items.iter().enumerate() {
        if items[..i].contains(v) {
            return Err(format!("the value \"{v}\" is given twice"));
        }
    }
    Ok(items)
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Each axis's value here, in the order of the axes.
    pub values: Vec<String>,
    /// The sweep's base overrides with the point's settings.
    pub overrides: Overrides,
    /// Its replications, as compiled.
    pub replications: u32,
}

/// A sweep's points, each compiled once to check it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The axes, as given.
    pub axes: Vec<Axis>,
    /// The grid, the last axis varying fastest.
    pub points: Vec<Point>,
    /// Simulated ticks of every point's replications together, warm-up included (for a
    /// progress display).
    pub ticks: u64,
}

impl Plan {
    /// A point as people read it: `agents.support.count=8, rules.tech.route[0].timeout=30s`.
    pub fn label(&self, point: &Point) -> String {
        label(&self.axes, &point.values)
    }
}

fn label(axes: &[Axis], values: &[String]) -> String {
    axes.iter()
        .zip(values)
        .map(|(a, v)| format!("{}={v}", a.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Makes the grid of `axes` on top of `base` (the shared `--seed`, `--replications` and
/// `--duration`) and compiles every point: an error at any point is returned before anything
/// runs, naming the point.
pub fn plan(source: &Source, axes: &[Axis], base: &Overrides) -> Result<Plan> {
    if axes.is_empty() {
        return Err(Error::Usage(format!(
            "sweep needs at least one --set PATH=VALUES, {SET_EXAMPLE}"
        )));
    }
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.path == a.path) {
            return Err(Error::Usage(format!(
                "--set {}: the path is given twice; give all its values in one --set, such as {}=a,b",
                a.path, a.path
            )));
        }
    }
    let size = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|&n| n <= MAX_POINTS);
    let Some(size) = size else {
        let sizes: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
        return Err(Error::Usage(format!(
            "the grid has {} points; a sweep runs at most {MAX_POINTS}",
            sizes.join(" x ")
        )));
    };
    let mut points = Vec::with_capacity(size);
    let mut ticks = 0u64;
    for k in 0..size {
        // Mixed radix, the last axis the fastest digit.
        let mut rest = k;
        let mut values = vec![String::new(); axes.len()];
        for (a, axis) in axes.iter().enumerate().rev() {
            values[a] = axis.values[rest % axis.values.len()].clone();
            rest /= axis.values.len();
        }
        let overrides = Overrides {
            sets: axes
                .iter()
                .zip(&values)
                .map(|(a, v)| (a.path.clone(), v.clone()))
                .collect(),
            ..base.clone()
        };
        let model = match source.compile(&overrides) {
            Ok(m) => m,
            Err(e) => return Err(at_point(source, base, e, &label(axes, &values))),
        };
        if model.replications < 2 {
            return Err(Error::Usage(format!(
                "{}: {} replication at {}: a confidence interval needs two or more (set simulation.replications, or --replications 10)",
                model.name,
                model.replications,
                label(axes, &values)
            )));
        }
        ticks = ticks.saturating_add(model.end().0.saturating_mul(model.replications as u64));
        points.push(Point {
            values,
            overrides,
            replications: model.replications,
        });
    }
    Ok(Plan {
        axes: axes.to_vec(),
        points,
        ticks,
    })
}

/// A point's compile error, with the point named on every problem its own `--set` does not
/// already name; the file's own problems (the same without any `--set`) as they are.
fn at_point(source: &Source, base: &Overrides, e: Error, point: &str) -> Error {
    let Error::Scenario(mut d) = e else { return e };
    if let Err(Error::Scenario(plain)) = source.compile(base)
        && plain == d
    {
        return Error::Scenario(d);
    }
    for item in &mut d.items {
        if !item.key.contains("(set by --set") && !item.key.starts_with("--set ") {
            item.key = match item.key.as_str() {
                "" => format!("(at {point})"),
                key => format!("{key} (at {point})"),
            };
        }
    }
    Error::Scenario(d)
}

/// A figure at one point: its value over all replications (as `run` reports it) and its 95%
/// half-width.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The figure (a share, seconds, or a cost per replication); `null` where there is none
    /// (no chat answered, say).
    pub value: Option<f64>,
    /// Student t half-width over the replications' own figures; `null` with fewer than two
    /// replications that have the figure.
    pub ci95: Option<f64>,
}

/// One point's figures, for the whole desk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Each axis's value at this point, in the order of the axes.
    pub values: Vec<String>,
    /// The service-level threshold here, seconds (an axis may set it).
    pub service_level_threshold: f64,
    /// Share of chats answered within the threshold, over answered + abandoned.
    pub service_level: Estimate,
    /// Share of chats abandoned.
    pub abandon_rate: Estimate,
    /// Mean wait of answered chats, seconds.
    pub wait_mean: Estimate,
    /// 90th percentile of the wait of answered chats, seconds.
    pub wait_p90: Estimate,
    /// 95th percentile, likewise.
    pub wait_p95: Estimate,
    /// Slot time in use over slot time on shift, pooled over all agents.
    pub occupancy: Estimate,
    /// Staffing cost per replication (each agent's `cost` x hours on shift).
    pub staffing_cost: Estimate,
}

impl Row {
    /// The figures with their names, in [`FIGURES`] order.
    pub fn figures(&self) -> [(&'static str, Estimate); 7] {
        let by = [
            self.service_level,
            self.abandon_rate,
            self.wait_mean,
            self.wait_p90,
            self.wait_p95,
            self.occupancy,
            self.staffing_cost,
        ];
        std::array::from_fn(|k| (FIGURES[k], by[k]))
    }
}

/// The result of `routesim sweep`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// Scenario file name.
    pub scenario: String,
    /// Base seed of every point (of the first, if an axis sets it).
    pub seed: u64,
    /// Replications of every point (of the first, if an axis sets them).
    pub replications: u32,
    /// The axes: each path and its values.
    pub axes: Vec<Axis>,
    /// One row per point, the last axis varying fastest.
    pub rows: Vec<Row>,
    /// The points' run warnings, each once: prefixed by the points that gave it unless all
    /// did.
    pub warnings: Vec<String>,
}

/// What one point gave.
struct Ran {
    row: Row,
    warnings: Vec<String>,
    seed: u64,
}

/// What a range of points gave: the rows, each point's own warnings, and the seed of the
/// range's first point. A shard's share of a sweep; the ranges of every shard, in order, make
/// the [`Sweep`] (see [`assemble`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// The points, by index in the plan.
    pub points: std::ops::Range<usize>,
    /// One row per point.
    pub rows: Vec<Row>,
    /// Each point's run warnings.
    pub warnings: Vec<Vec<String>>,
    /// The seed of the first point in the range.
    pub seed: Option<u64>,
}

impl Done {
    /// Appends the next range's points.
    pub fn merge(&mut self, o: Done) {
        debug_assert_eq!(self.points.end, o.points.start);
        self.points.end = o.points.end;
        self.rows.extend(o.rows);
        self.warnings.extend(o.warnings);
        self.seed = self.seed.or(o.seed);
    }
}

/// A recorder that stops a replication once `stop` says so (a comparison's runs use it too).
pub(crate) struct Stop<'a>(pub(crate) &'a (dyn Fn() -> bool + Sync));

impl Recorder for Stop<'_> {
    #[inline]
    fn record(&mut self, _: &ChatRecord<'_>) {}

    #[inline]
    fn keep_going(&self) -> bool {
        !(self.0)()
    }
}

/// Runs every point of `plan` on `threads` threads (0: one per core), points and their
/// replications in one pool. `progress` receives simulated ticks from all of them together.
/// `stop` is asked before each point and between a replication's events: once it says true,
/// the sweep ends early with `None` (rows over part of the time would read as answers).
pub fn run(
    source: &Source,
    plan: &Plan,
    threads: usize,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<Sweep>> {
    let all = 0..plan.points.len();
    Ok(run_points(source, plan, all, threads, stop, progress)?.map(|d| assemble(source, plan, d)))
}

/// [`run`] for the points in `range` only (a shard's share).
pub fn run_points(
    source: &Source,
    plan: &Plan,
    range: std::ops::Range<usize>,
    threads: usize,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<Done>> {
    let points = &plan.points[range.clone()];
    let options = RunOptions {
        threads,
        interval: None,
    };
    let one = |p: &Point| -> Result<Option<Ran>> {
        if stop() {
            return Ok(None);
        }
        let model = source.compile(&p.overrides)?;
        let (summary, reps, _) =
            experiment::run_detailed_in_current_pool(&model, &options, |_| Stop(stop), progress);
        summary.failed()?;
        Ok(Some(Ran {
            row: row(&model, &summary.figures, &reps, p.values.clone()),
            warnings: summary.warnings,
            seed: model.seed,
        }))
    };
    // More threads than replications in all would only be started to idle.
    let replications: usize = points.iter().map(|p| p.replications as usize).sum();
    let threads = match threads {
        0 => 0,
        n => n.min(replications),
    };
    // Collected in point order, whatever order the points finish in.
    let done: Result<Option<Vec<Ran>>> =
        match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => pool.install(|| {
                points
                    .par_iter()
                    .map(one)
                    .collect::<Result<Vec<_>>>()
                    .map(|v| v.into_iter().collect())
            }),
            Err(_) => points
                .iter()
                .map(one)
                .collect::<Result<Vec<_>>>()
                .map(|v| v.into_iter().collect()),
        };
    let Some(done) = done?.filter(|_| !stop()) else {
        return Ok(None);
    };
    Ok(Some(Done {
        points: range,
        seed: done.first().map(|d| d.seed),
        warnings: done.iter().map(|d| d.warnings.clone()).collect(),
        rows: done.into_iter().map(|d| d.row).collect(),
    }))
}

/// The sweep from every point's result (one range, or shards' ranges merged in order).
pub fn assemble(source: &Source, plan: &Plan, done: Done) -> Sweep {
    let warnings = merge_warnings(
        &done.warnings,
        &plan
            .points
            .iter()
            .map(|p| plan.label(p))
            .collect::<Vec<_>>(),
    );
    Sweep {
        scenario: source.name().to_string(),
        seed: done.seed.unwrap_or(0),
        replications: plan.points.first().map_or(0, |p| p.replications),
        axes: plan.axes.clone(),
        rows: done.rows,
        warnings,
    }
}

/// A point's row: the pooled figures, and each one's half-width from the replications' own.
pub(crate) fn row(
    model: &Model,
    pooled: &RepFigures,
    reps: &[RepFigures],
    values: Vec<String>,
) -> Row {
    let value = compare::measures(model, pooled, "overall");
    let per_rep: Vec<[Option<f64>; 7]> = reps
        .iter()
        .map(|f| compare::measures(model, f, "overall"))
        .collect();
    let est = |k: usize| Estimate {
        value: value[k],
        ci95: half_width(&per_rep.iter().filter_map(|r| r[k]).collect::<Vec<_>>()),
    };
    Row {
        values,
        service_level_threshold: model.service_level.as_secs_f64(),
        service_level: est(0),
        abandon_rate: est(1),
        wait_mean: est(2),
        wait_p90: est(3),
        wait_p95: est(4),
        occupancy: est(5),
        staffing_cost: est(6),
    }
}

/// Student t 95% half-width of the mean of `xs`; `None` with fewer than two.
fn half_width(xs: &[f64]) -> Option<f64> {
    let (n, _, var) = compare::moments(xs)?;
    Some(t95(n - 1) * (var / n as f64).sqrt())
}

/// Points whose labels a warning lists before it says how many more.
const POINTS_NAMED: usize = 3;

/// Each distinct warning once, in order of first appearance, prefixed by the points that gave
/// it unless every point did.
fn merge_warnings(by_point: &[Vec<String>], labels: &[String]) -> Vec<String> {
    let mut merged: Vec<(&str, Vec<usize>)> = Vec::new();
    for (p, warnings) in by_point.iter().enumerate() {
        for w in warnings {
            match merged.iter_mut().find(|m| m.0 == w) {
                Some(m) => m.1.push(p),
                None => merged.push((w, vec![p])),
            }
        }
    }
    merged
        .into_iter()
        .map(|(w, at)| {
            if at.len() == by_point.len() {
                return w.to_string();
            }
            let mut named: Vec<&str> = at
                .iter()
                .take(POINTS_NAMED)
                .map(|&p| labels[p].as_str())
                .collect::<Vec<_>>();
            let more = at.len().saturating_sub(POINTS_NAMED);
            let more = match more {
                0 => String::new(),
                1 => " and 1 more point".into(),
                n => format!(" and {n} more points"),
            };
            let last = named.pop().unwrap_or_default();
            let listed = if named.is_empty() {
                last.to_string()
            } else {
                format!("{}; {last}", named.join("; "))
            };
            format!("at {listed}{more}: {w}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(s: &str) -> std::result::Result<Axis, String> {
        s.parse()
    }

    #[test]
    fn values_are_lists_or_inclusive_ranges() {
        let values = |s: &str| axis(s).unwrap().values;
        assert_eq!(values("agents.a.count=8..11"), ["8", "9", "10", "11"]);
        assert_eq!(values("agents.a.count = 10..50/20"), ["10", "30", "50"]);
        assert_eq!(values("agents.a.count=10..55/20"), ["10", "30", "50"]);
        assert_eq!(values("agents.a.count=3..3"), ["3"]);
        assert_eq!(values("x=30s, 60s,90s"), ["30s", "60s", "90s"]);
        assert_eq!(values("x=0.5"), ["0.5"]);
        // Commas inside an inline table, a string or brackets do not split it.
        assert_eq!(
            values(r#"x={ dist = "gamma", mean = "5m", sd = "2m" },"4m""#),
            [r#"{ dist = "gamma", mean = "5m", sd = "2m" }"#, r#""4m""#]
        );
        assert_eq!(values(r#"x="a\",b",c"#), [r#""a\",b""#, "c"]);
        assert_eq!(
            axis("rules.r.route[0].timeout=1m").unwrap().path,
            "rules.r.route[0].timeout"
        );
        for (bad, why) in [
            ("agents.a.count", "write PATH=VALUES"),
            ("=8", "no path before the `=`"),
            ("agents.a.count=9..8", "the range \"9..8\" is empty"),
            ("agents.a.count=1..9/0", "must be at least 1"),
            ("agents.a.count=1.5..3", "a range is of whole numbers"),
            ("agents.a.count=1..100001", "has 100001 values"),
            (
                "agents.a.count=0..18446744073709551615",
                "has 18446744073709551616 values",
            ),
            ("x=30s,,60s", "has an empty value"),
            ("x=", "has an empty value"),
            ("x=8,8", "\"8\" is given twice"),
            ("x=\u{1b}[31m", "control characters"),
        ] {
            let e = axis(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn warnings_are_given_once_with_the_points_that_gave_them() {
        let labels: Vec<String> = (1..=5).map(|n| format!("a={n}")).collect();
        let by_point: Vec<Vec<String>> = (1..=5)
            .map(|n| {
                let mut w = vec!["everywhere".to_string()];
                if n >= 2 {
                    w.push("from 2".into());
                }
                if n == 5 {
                    w.push("only 5".into());
                }
                w
            })
            .collect();
        assert_eq!(
            merge_warnings(&by_point, &labels),
            [
                "everywhere",
                "at a=2; a=3; a=4 and 1 more point: from 2",
                "at a=5: only 5"
            ]
        );
    }
}
