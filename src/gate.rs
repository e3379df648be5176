//! Gates: what decides whether a CI job passes. Thresholds on figures of the report
//! (`[[slo]]` in the scenario, `--assert` on the command line) and figures that must not
//! regress against a stored report (`--baseline`, with `--tolerance`).
//!
//! A figure is named by its path in the JSON report, the contract other tools read:
//! `overall.wait.p95`, `teams.support.service_level`, `agents.early-1.occupancy`. Rows of
//! `teams`, `rules` and `agents` are named by their `name` (channels by `channel`).
//!
//! Every path is checked against the shape of the scenario's report before anything is
//! simulated, so a misspelt figure fails at once (exit 2) rather than after the run.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::experiment::Summary;
use crate::model::{Bound, Limit, Model};
use crate::scenario::limits::{limit_text, num};
use crate::scenario::values::parse_limit;
use crate::stats::Collector;

/// What a figure measures, for reading limits and printing values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Seconds: a limit may be written `60s`.
    Seconds,
    /// A share from 0 to 1: a limit may be written `80%`.
    Share,
    /// A count, hours or a cost: a plain number.
    Number,
}

/// Which way a figure gets worse, for `--baseline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Worse {
    Higher,
    Lower,
    /// Neither way is worse in itself (offered chats, occupancy): any change counts.
    Either,
}

/// Objects whose six keys are a wait's figures: every leaf under them is seconds.
const TIME_GROUPS: [&str; 4] = [
    "wait",
    "second_wait",
    "time_to_resolution",
    "first_response",
];
/// Leaves that are seconds outside a wait group.
const TIME_LEAVES: [&str; 2] = ["mean_time", "after"];
/// Leaves that are shares from 0 to 1.
const SHARE_LEAVES: [&str; 6] = [
    "abandon_rate",
    "service_level",
    "occupancy",
    "wrap_up",
    "tickets",
    "jain_occupancy",
];
/// Figures that are better higher; times and the counts in [`LOWER_IS_BETTER`] are better
/// lower; the rest move either way.
const HIGHER_IS_BETTER: [&str; 4] = ["service_level", "answered", "done", "bot_resolved"];
const LOWER_IS_BETTER: [&str; 11] = [
    "abandon_rate",
    "abandoned",
    "abandoned_at_bot",
    "blocked",
    "waiting_at_end",
    "gave_up",
    "flagged",
    "backlog_mean",
    "backlog_peak",
    "backlog_at_end",
    "staffing_cost",
];

/// The figures `--baseline` compares when no `--tolerance` names others.
pub const BASELINE_FIGURES: [&str; 5] = [
    "overall.service_level",
    "overall.abandon_rate",
    "overall.wait.mean",
    "overall.wait.p90",
    "overall.wait.p95",
];

/// A figure found in a report: its value and what it measures.
struct Found<'a> {
    value: &'a Value,
    unit: Unit,
    worse: Worse,
}

/// Looks a path up in a report's JSON (the figures at the top level, as `--format json`
/// prints them, or a `ci95` object of the same shape).
fn lookup<'a>(root: &'a Value, path: &str) -> std::result::Result<Found<'a>, String> {
    lookup_in(root, path, false)
}

/// [`lookup`]; with `any_leaf`, whatever value the path ends at is found (text, a group), so
/// that a damaged report can be told from one that lacks the figure.
fn lookup_in<'a>(
    root: &'a Value,
    path: &str,
    any_leaf: bool,
) -> std::result::Result<Found<'a>, String> {
    let mut cur = root;
    let mut rest = path;
    let mut done = String::new();
    let mut parent = "";
    let mut leaf = "";
    while !rest.is_empty() {
        let at = if done.is_empty() {
            "the report".to_string()
        } else {
            format!("`{done}`")
        };
        match cur {
            Value::Object(map) => {
                let (key, tail) = rest.split_once('.').unwrap_or((rest, ""));
                let Some(next) = map.get(key) else {
                    let keys: Vec<&str> = map
                        .iter()
                        .filter(|(k, v)| !v.is_string() && *k != "ci95")
                        .map(|(k, _)| k.as_str())
                        .collect();
                    return Err(format!(
                        "{at} has no figure `{key}`; it has: {}",
                        keys.join(", ")
                    ));
                };
                if next.is_string() && !(any_leaf && tail.is_empty()) {
                    return Err(format!("`{key}` under {at} is a name, not a figure"));
                }
                parent = leaf;
                leaf = map
                    .get_key_value(key)
                    .map(|(k, _)| k.as_str())
                    .unwrap_or("");
                push(&mut done, key);
                cur = next;
                rest = tail;
            }
            Value::Array(items) => {
                // Rows are named by `name` (or `channel`), which may hold dots: the longest
                // name that the rest of the path starts with wins.
                let name_of = |v: &'a Value| {
                    v.get("name")
                        .or_else(|| v.get("channel"))
                        .and_then(Value::as_str)
                };
                let best = items
                    .iter()
                    .filter_map(|v| name_of(v).map(|n| (n, v)))
                    .filter(|(n, _)| {
                        rest == *n
                            || (rest.starts_with(n) && rest.as_bytes().get(n.len()) == Some(&b'.'))
                    })
                    .max_by_key(|(n, _)| n.len());
                let Some((name, row)) = best else {
                    let names: Vec<&str> = items.iter().filter_map(name_of).collect();
                    let first = rest.split('.').next().unwrap_or(rest);
                    return Err(if names.is_empty() {
                        format!("{at} has no rows in this scenario")
                    } else {
                        format!(
                            "{at} has no row named `{first}`; it has: {}",
                            names.join(", ")
                        )
                    });
                };
                push(&mut done, name);
                cur = row;
                rest = rest[name.len()..].trim_start_matches('.');
                if rest.is_empty() {
                    break;
                }
            }
            Value::Null => {
                return Err(format!(
                    "{at} is not reported for this scenario (it is null)"
                ));
            }
            _ => return Err(format!("{at} is a figure, with nothing under it")),
        }
    }
    match cur {
        Value::Number(_) | Value::Null => {}
        _ if any_leaf => {}
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            return Err(format!(
                "`{done}` is a group of figures: name one of {}",
                keys.join(", ")
            ));
        }
        _ => return Err(format!("`{done}` is not a figure")),
    }
    let unit = if TIME_GROUPS.contains(&parent) || TIME_LEAVES.contains(&leaf) {
        Unit::Seconds
    } else if SHARE_LEAVES.contains(&leaf) {
        Unit::Share
    } else {
        Unit::Number
    };
    let worse = if unit == Unit::Seconds || LOWER_IS_BETTER.contains(&leaf) {
        Worse::Higher
    } else if HIGHER_IS_BETTER.contains(&leaf) {
        Worse::Lower
    } else {
        Worse::Either
    };
    Ok(Found {
        value: cur,
        unit,
        worse,
    })
}

fn push(path: &mut String, part: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(part);
}

/// The shape of `model`'s report: every figure it will have, with its rows' names.
fn shape(model: &Model) -> Value {
    serde_json::to_value(Collector::new(model).figures(model)).expect("figures serialize")
}

/// A limit in the JSON's units, if its form fits the figure's unit.
fn limit_for(limit: Limit, unit: Unit, metric: &str) -> std::result::Result<f64, String> {
    match (limit, unit) {
        (Limit::Secs(_), Unit::Share | Unit::Number) => Err(format!(
            "`{metric}` is not a time: write its limit as a number{}",
            if unit == Unit::Share {
                " from 0 to 1 or a percentage (\"80%\")"
            } else {
                ""
            }
        )),
        (Limit::Percent(_), Unit::Seconds | Unit::Number) => Err(format!(
            "`{metric}` is not a share: a percentage does not fit it; write {}",
            if unit == Unit::Seconds {
                "a duration (\"60s\") or seconds"
            } else {
                "a number"
            }
        )),
        // A share's limit outside 0 to 1 is always or never met: a slip, such as "80" for 80%.
        (l, Unit::Share) if !(0.0..=1.0).contains(&l.value()) => Err(format!(
            "`{metric}` is a share from 0 to 1: a limit of {} is always or never met; write it from 0 to 1 or as a percentage up to 100% (\"80%\")",
            limit_text(l)
        )),
        // No time or count of the report is negative (`check_baseline_figures` refuses one as
        // damaged): a limit below zero is always or never met, a slip of sign.
        (l, Unit::Seconds | Unit::Number) if l.value() < 0.0 => Err(format!(
            "`{metric}` is never negative: a limit of {} is always or never met",
            limit_text(l)
        )),
        (l, _) => Ok(l.value()),
    }
}

/// When a threshold counts as breached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachRule {
    /// When the point estimate is past the limit (the default); the verdict says when the
    /// 95% interval still includes the limit.
    #[default]
    Estimate,
    /// Only when the whole 95% interval is past the limit.
    Ci,
}

/// One threshold, checked against the report's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// As the user would write it on the command line: `overall.wait.p95 <= 60s`.
    pub text: String,
    /// Where it comes from: `slo[0].max` or `--assert`.
    pub from: String,
    /// The figure's path.
    pub metric: String,
    /// Which side of the limit.
    pub bound: Bound,
    /// The limit, in the JSON's units.
    pub limit: f64,
    /// What the figure measures.
    pub unit: Unit,
}

/// How much a figure may get worse against the baseline before it counts as a regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Allowance {
    /// A share of the baseline's value (`+10%`).
    Relative(f64),
    /// An amount in the figure's units (`+5s`, `0.02`).
    Absolute(f64),
}

/// `--tolerance PATH=AMOUNT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerance {
    /// The figure's path.
    pub metric: String,
    /// How much worse it may get.
    pub allowance: Allowance,
}

/// Everything a gated run checks, built and checked before the run.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    /// Thresholds: the scenario's `[[slo]]`, then `--assert`.
    pub thresholds: Vec<Threshold>,
    /// When a threshold counts as breached.
    pub rule: BreachRule,
    /// The stored report to compare with, its path and its JSON.
    pub baseline: Option<(PathBuf, Value)>,
    /// The figures compared with the baseline and how much each may get worse.
    pub tolerances: Vec<Tolerance>,
}

/// Where the gate's inputs come from.
#[derive(Debug, Clone, Default)]
pub struct GateSpec<'a> {
    /// `--assert` expressions, as given.
    pub asserts: &'a [String],
    /// `--breach`.
    pub rule: BreachRule,
    /// `--baseline`.
    pub baseline: Option<&'a Path>,
    /// `--tolerance` expressions, as given.
    pub tolerances: &'a [String],
}

fn op_text(b: Bound) -> &'static str {
    match b {
        Bound::AtLeast => ">=",
        Bound::AtMost => "<=",
    }
}

/// Parses `PATH <= LIMIT` or `PATH >= LIMIT`.
pub fn parse_assert(text: &str) -> std::result::Result<(String, Bound, Limit), String> {
    let (path, bound, limit) = if let Some((l, r)) = text.split_once("<=") {
        (l, Bound::AtMost, r)
    } else if let Some((l, r)) = text.split_once(">=") {
        (l, Bound::AtLeast, r)
    } else {
        return Err("write PATH <= LIMIT or PATH >= LIMIT, such as 'overall.wait.p95 <= 60s' or 'teams.support.service_level >= 0.8'".into());
    };
    let path = path.trim();
    if path.is_empty() {
        return Err("no figure before the comparison".into());
    }
    Ok((path.to_string(), bound, parse_limit(limit)?))
}

/// Parses `PATH=AMOUNT`: `overall.wait.p95=+10%`, `overall.service_level=-0.02`.
fn parse_tolerance(text: &str) -> std::result::Result<(String, Option<char>, Limit), String> {
    let (path, amount) = text.split_once('=').ok_or(
        "write PATH=AMOUNT, such as 'overall.wait.p95=+10%' or 'overall.service_level=-0.02'",
    )?;
    let path = path.trim();
    let amount = amount.trim();
    let sign = amount.chars().next().filter(|c| *c == '+' || *c == '-');
    // One sign: `+-5s` had been read as `+5s`, the second sign dropped (found by a fuzzing
    // helper); now the amount after the first sign must read alone.
    let rest = amount.strip_prefix(['+', '-']).unwrap_or(amount);
    if rest.starts_with(['+', '-']) {
        return Err(format!(
            "\"{amount}\" has two signs; write one, such as +10% or -0.02"
        ));
    }
    let magnitude = parse_limit(rest)?;
    if magnitude.value() < 0.0 {
        return Err("the amount is how much worse the figure may get: not negative".into());
    }
    if path.is_empty() {
        return Err("no figure before `=`".into());
    }
    Ok((path.to_string(), sign, magnitude))
}

impl Gate {
    /// Builds the gate of `model` (read from `file`): its `[[slo]]` and the command line's
    /// thresholds, tolerances and baseline, each checked against the report's shape. A bad
    /// `[[slo]]` is reported with the file, line and key; a bad flag names the flag.
    pub fn new(model: &Model, file: &Path, spec: &GateSpec<'_>) -> Result<Gate> {
        let nothing = model.slos.is_empty()
            && spec.asserts.is_empty()
            && spec.tolerances.is_empty()
            && spec.baseline.is_none();
        if nothing {
            // The shape has a row per agent: 0.8 G instructions and 63 MB at 100,000 agents,
            // not to be spent on a run without a gate.
            return Ok(Gate {
                rule: spec.rule,
                ..Gate::default()
            });
        }
        let shape = shape(model);
        let mut thresholds = Vec::new();
        let mut diags = Vec::new();
        for slo in &model.slos {
            let metric_key = match slo.key.rsplit_once('.') {
                Some((entry, _)) => format!("{entry}.metric"),
                None => slo.key.clone(),
            };
            let checked = lookup(&shape, &slo.metric)
                .map_err(|why| (metric_key, why))
                .and_then(|f| {
                    limit_for(slo.limit, f.unit, &slo.metric)
                        .map(|l| (l, f.unit))
                        .map_err(|why| (slo.key.clone(), why))
                });
            match checked {
                Ok((limit, unit)) => thresholds.push(Threshold {
                    text: format!(
                        "{} {} {}",
                        slo.metric,
                        op_text(slo.bound),
                        limit_text(slo.limit)
                    ),
                    from: slo.key.clone(),
                    metric: slo.metric.clone(),
                    bound: slo.bound,
                    limit,
                    unit,
                }),
                Err((key, why)) => {
                    let d = Diagnostic::new(key, slo.line, why);
                    if !diags.contains(&d) {
                        diags.push(d);
                    }
                }
            }
        }
        if !diags.is_empty() {
            return Err(Error::Scenario(Diagnostics {
                file: file.to_path_buf(),
                items: diags,
                unlisted: 0,
            }));
        }
        for text in spec.asserts {
            let usage = |why: String| Error::Usage(format!("--assert '{text}': {why}"));
            let (metric, bound, limit) = parse_assert(text).map_err(usage)?;
            let found = lookup(&shape, &metric).map_err(usage)?;
            let limit = limit_for(limit, found.unit, &metric).map_err(usage)?;
            thresholds.push(Threshold {
                text: text.trim().to_string(),
                from: "--assert".into(),
                metric,
                bound,
                limit,
                unit: found.unit,
            });
        }
        let mut tolerances = Vec::new();
        for text in spec.tolerances {
            let usage = |why: String| Error::Usage(format!("--tolerance '{text}': {why}"));
            let (metric, sign, amount) = parse_tolerance(text).map_err(usage)?;
            let found = lookup(&shape, &metric).map_err(usage)?;
            match (sign, found.worse) {
                (Some('+'), Worse::Lower) => {
                    return Err(usage(format!(
                        "`{metric}` gets worse as it falls: write the amount it may fall, as -AMOUNT or AMOUNT"
                    )));
                }
                (Some('-'), Worse::Higher) => {
                    return Err(usage(format!(
                        "`{metric}` gets worse as it rises: write the amount it may rise, as +AMOUNT or AMOUNT"
                    )));
                }
                _ => {}
            }
            let allowance = match amount {
                Limit::Percent(p) => Allowance::Relative(p),
                other => Allowance::Absolute(limit_for(other, found.unit, &metric).map_err(usage)?),
            };
            if tolerances.iter().any(|t: &Tolerance| t.metric == metric) {
                return Err(usage(format!("`{metric}` has a tolerance already")));
            }
            tolerances.push(Tolerance { metric, allowance });
        }
        if !tolerances.is_empty() && spec.baseline.is_none() {
            return Err(Error::Usage(
                "--tolerance says how far a figure may move from --baseline: give --baseline FILE"
                    .into(),
            ));
        }
        let baseline = spec.baseline.map(read_baseline).transpose()?;
        if let Some((path, base)) = &baseline {
            let metrics = BASELINE_FIGURES
                .iter()
                .copied()
                .chain(tolerances.iter().map(|t| t.metric.as_str()));
            check_baseline_figures(path, base, metrics)?;
        }
        Ok(Gate {
            thresholds,
            rule: spec.rule,
            baseline,
            tolerances,
        })
    }

    /// Whether there is anything to check.
    pub fn is_empty(&self) -> bool {
        self.thresholds.is_empty() && self.baseline.is_none()
    }

    /// Checks a run's report.
    pub fn check(&self, summary: &Summary) -> Gates {
        let figures = serde_json::to_value(&summary.figures).expect("figures serialize");
        let ci = summary
            .ci95
            .as_ref()
            .map(|c| serde_json::to_value(c).expect("figures serialize"));
        let read =
            |root: &Value, path: &str| lookup(root, path).ok().and_then(|f| f.value.as_f64());
        let thresholds: Vec<Check> = self
            .thresholds
            .iter()
            .map(|t| {
                let value = read(&figures, &t.metric);
                let ci95 = ci.as_ref().and_then(|c| read(c, &t.metric));
                let (verdict, passed) = judge(t, value, ci95, self.rule);
                Check {
                    threshold: t.text.clone(),
                    from: t.from.clone(),
                    metric: t.metric.clone(),
                    op: op_text(t.bound),
                    limit: t.limit,
                    unit: t.unit,
                    value,
                    ci95,
                    verdict,
                    passed,
                }
            })
            .collect();
        let mut warnings = Vec::new();
        let baseline = self.baseline.as_ref().map(|(path, base)| {
            self.against(path, base, summary, &figures, ci.as_ref(), &mut warnings)
        });
        let passed = thresholds.iter().all(|c| c.passed)
            && baseline
                .as_ref()
                .is_none_or(|b| b.rows.iter().all(|r| r.passed));
        Gates {
            rule: self.rule,
            passed,
            thresholds,
            baseline,
            warnings,
        }
    }

    fn against(
        &self,
        path: &Path,
        base: &Value,
        summary: &Summary,
        figures: &Value,
        ci: Option<&Value>,
        warnings: &mut Vec<String>,
    ) -> BaselineReport {
        let text = |key: &str| {
            base.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (hash, version) = (text("scenario_hash"), text("routesim_version"));
        let name = path.display();
        if hash.is_empty() {
            warnings.push(format!(
                "baseline {name} does not say which scenario file made it (an older routesim): the comparison assumes the same desk"
            ));
        } else if hash != summary.scenario_hash {
            warnings.push(format!(
                "baseline {name} was made from another version of the scenario file or of a data file it reads (hash {hash}, now {}): expected when the change under test is the scenario itself",
                summary.scenario_hash
            ));
        }
        if !version.is_empty() && version != summary.routesim_version {
            warnings.push(format!(
                "baseline {name} was made by routesim {version}, this is {}: a change in routesim can move the figures too",
                summary.routesim_version
            ));
        }
        if let Some(t) = base.get("service_level_threshold").and_then(Value::as_f64)
            && t != summary.service_level_threshold
        {
            warnings.push(format!(
                "baseline {name} measured the service level at {}s, this run at {}s: service levels are not comparable",
                num(t),
                num(summary.service_level_threshold)
            ));
        }
        let base_ci = base.get("ci95");
        let mut metrics: Vec<&str> = BASELINE_FIGURES.to_vec();
        for t in &self.tolerances {
            if !metrics.contains(&t.metric.as_str()) {
                metrics.push(&t.metric);
            }
        }
        let rows = metrics
            .into_iter()
            .map(|metric| {
                let now_found = lookup(figures, metric).ok();
                let (unit, worse) = now_found
                    .as_ref()
                    .map_or((Unit::Number, Worse::Either), |f| (f.unit, f.worse));
                let now = now_found.and_then(|f| f.value.as_f64());
                let now_ci95 = ci
                    .and_then(|c| lookup(c, metric).ok())
                    .and_then(|f| f.value.as_f64());
                let in_base = lookup(base, metric);
                let baseline = in_base.as_ref().ok().and_then(|f| f.value.as_f64());
                let baseline_ci95 = base_ci
                    .and_then(|c| lookup(c, metric).ok())
                    .and_then(|f| f.value.as_f64());
                if let Err(why) = &in_base {
                    warnings.push(format!("baseline {name}: {why}"));
                }
                let allowance = self
                    .tolerances
                    .iter()
                    .find(|t| t.metric == metric)
                    .map_or(Allowance::Absolute(0.0), |t| t.allowance);
                let tolerance = match (allowance, baseline) {
                    (Allowance::Relative(r), Some(b)) => r * b.abs(),
                    (Allowance::Relative(_), None) => 0.0,
                    (Allowance::Absolute(a), _) => a,
                };
                let noise =
                    (baseline_ci95.unwrap_or(0.0).powi(2) + now_ci95.unwrap_or(0.0).powi(2)).sqrt();
                let (verdict, passed) = regression(baseline, now, worse, tolerance, noise);
                BaselineRow {
                    metric: metric.to_string(),
                    unit,
                    baseline,
                    baseline_ci95,
                    now,
                    now_ci95,
                    change: baseline.zip(now).map(|(b, n)| n - b),
                    tolerance,
                    noise,
                    verdict,
                    passed,
                }
            })
            .collect::<Vec<BaselineRow>>();
        if let Some(note) = unknown_noise(&rows, base, summary, ci.is_some()) {
            warnings.push(format!("baseline {name}: {note}"));
        }
        BaselineReport {
            file: path.display().to_string(),
            scenario_hash: hash,
            routesim_version: version,
            rows,
        }
    }
}

/// A warning when a figure has values in both reports but no interval in one (a report of
/// one replication): its noise is then 0, and its verdict says only whether it changed. With
/// the same seed the two runs share their customers, and that is a fair test of what changed;
/// with another seed, chance alone moves every figure, and the gate passes or fails at random.
fn unknown_noise(
    rows: &[BaselineRow],
    base: &Value,
    summary: &Summary,
    now_has_ci: bool,
) -> Option<String> {
    let unknown = rows.iter().any(|r| {
        r.baseline.is_some()
            && r.now.is_some()
            && (r.baseline_ci95.is_none() || r.now_ci95.is_none())
    });
    if !unknown {
        return None;
    }
    let base_has_ci = base.get("ci95").is_some_and(|c| !c.is_null());
    let who = match (base_has_ci, now_has_ci) {
        (false, false) => "the baseline and this run are of one replication each",
        (false, true) => "the baseline is of one replication",
        _ => "this run is of one replication",
    };
    let seeds = match base.get("seed").and_then(Value::as_u64) {
        Some(then) if then != summary.seed => format!(
            "; the seeds differ ({then} then, {} now), so chance alone moves every figure and the verdicts can be wrong either way",
            summary.seed
        ),
        Some(_) => "; the seed is the same, so both runs have the same customers and a change comes from what changed".into(),
        None => String::new(),
    };
    Some(format!(
        "{who}, so a change's noise cannot be told: each figure is judged on its change and tolerance alone (noise 0){seeds}; run 2 or more replications for a gate that tells a change from chance"
    ))
}

/// The verdict on one threshold, and whether it passes.
fn judge(t: &Threshold, value: Option<f64>, ci95: Option<f64>, rule: BreachRule) -> (String, bool) {
    let Some(v) = value else {
        return (
            "no value: nothing was measured for this figure".into(),
            false,
        );
    };
    let past = |x: f64| match t.bound {
        Bound::AtMost => x > t.limit,
        Bound::AtLeast => x < t.limit,
    };
    let h = ci95.unwrap_or(0.0);
    // The end of the interval nearest the limit's good side, and the one nearest its bad side.
    let (good_end, bad_end) = match t.bound {
        Bound::AtMost => (v - h, v + h),
        Bound::AtLeast => (v + h, v - h),
    };
    let unsure = past(bad_end) && !past(good_end) && h > 0.0;
    let verdict = match (past(v), unsure, rule) {
        (false, false, _) => ("met", true),
        (false, true, _) => ("met, CI includes the limit", true),
        (true, false, _) => ("breached", false),
        (true, true, BreachRule::Estimate) => {
            ("breached, CI includes the limit: add replications", false)
        }
        (true, true, BreachRule::Ci) => (
            "not sure: estimate past the limit, CI includes it: add replications",
            true,
        ),
    };
    (verdict.0.to_string(), verdict.1)
}

/// The verdict on one figure against its baseline, and whether it passes: a regression is a
/// change for the worse larger than both the tolerance and the noise (the half-width of the
/// difference of two independent estimates, from both reports' `ci95`).
fn regression(
    baseline: Option<f64>,
    now: Option<f64>,
    worse: Worse,
    tolerance: f64,
    noise: f64,
) -> (String, bool) {
    let (b, n) = match (baseline, now) {
        (Some(b), Some(n)) => (b, n),
        (Some(_), None) => {
            return (
                "no value now: nothing was measured for this figure".into(),
                false,
            );
        }
        (None, _) => return ("not comparable: the baseline has no value".into(), true),
    };
    let d = n - b;
    let by = match worse {
        Worse::Higher => d,
        Worse::Lower => -d,
        Worse::Either => d.abs(),
    };
    let verdict = if by > tolerance && by > noise {
        if worse == Worse::Either {
            ("changed", false)
        } else {
            ("regressed", false)
        }
    } else if by > 0.0 && by > noise {
        ("worse, within tolerance", true)
    } else if by > 0.0 && d != 0.0 {
        ("worse, within noise", true)
    } else if worse != Worse::Either && -by > noise {
        ("better", true)
    } else {
        ("no clear change", true)
    };
    (verdict.0.to_string(), verdict.1)
}

/// A problem with the baseline file `path`, at `key` (a figure's path, or none) and `line`.
fn baseline_error(path: &Path, key: &str, line: Option<usize>, why: String) -> Error {
    Error::Scenario(Diagnostics {
        file: path.to_path_buf(),
        items: vec![Diagnostic::new(key, line, why)],
        unlisted: 0,
    })
}

/// Reads a stored report (`summary.json`, or what `run --format json` printed).
fn read_baseline(path: &Path) -> Result<(PathBuf, Value)> {
    let bad = |line, why| baseline_error(path, "", line, why);
    let text = crate::scenario::read_data_file(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| bad(Some(e.line()), format!("not JSON: {e}")))?;
    if !value.get("overall").is_some_and(Value::is_object) {
        return Err(bad(
            None,
            "not a routesim report: no `overall` figures (give the summary.json of a run, or what `routesim run --format json` printed)".into(),
        ));
    }
    Ok((path.to_path_buf(), value))
}

/// Refuses a baseline whose compared figures no run could have reported (a hand-edited or
/// damaged file): a share outside 0 to 1, a negative or endless time, a negative or vast count,
/// text where a figure belongs, a negative or endless ci95. Compared as they were, they read as
/// regressions (a service level of 1e308 printed as "inf%"), or as "no value". A figure the
/// baseline lacks altogether stays a warning when compared: an older report may not have it.
fn check_baseline_figures<'m>(
    path: &Path,
    base: &Value,
    metrics: impl Iterator<Item = &'m str>,
) -> Result<()> {
    let damaged = |metric: &str, why: String| {
        let why = format!("{why}: a damaged report, not one a run wrote");
        baseline_error(path, metric, None, why)
    };
    for metric in metrics {
        let ci_path = format!("ci95.{metric}");
        for (at, is_ci) in [(metric, false), (ci_path.as_str(), true)] {
            // Not found at all: a figure the report lacks (a warning when compared).
            let Ok(found) = lookup_in(base, at, true) else {
                continue;
            };
            let v = found.value;
            if !(v.is_number() || v.is_null()) {
                let shown = match v {
                    Value::Object(_) => "a group of figures".to_string(),
                    Value::Array(_) => "a list".to_string(),
                    other => other.to_string(),
                };
                return Err(damaged(at, format!("{shown} is not a figure")));
            }
            let Some(x) = v.as_f64() else {
                continue; // null: not reported for that scenario
            };
            let (ok, what) = match (is_ci, found.unit) {
                (true, _) => ((0.0..1e18).contains(&x), "a confidence half-width"),
                (false, Unit::Share) => ((0.0..=1.0).contains(&x), "a share (0 to 1)"),
                (false, Unit::Seconds) => ((0.0..1e12).contains(&x), "a time in seconds"),
                (false, Unit::Number) => ((0.0..1e18).contains(&x), "a count"),
            };
            if !ok {
                return Err(damaged(at, format!("{} is not {what}", num(x))));
            }
        }
    }
    Ok(())
}

/// What the gate found: JSON's `gates`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gates {
    /// When a threshold counted as breached: `estimate` or `ci`.
    pub rule: BreachRule,
    /// Every threshold met and no figure regressed.
    pub passed: bool,
    /// The thresholds, the scenario's first.
    pub thresholds: Vec<Check>,
    /// The comparison with `--baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineReport>,
    /// About the baseline: another scenario file, another routesim, a missing figure.
    pub warnings: Vec<String>,
}

/// One threshold checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// As written: `overall.wait.p95 <= 60s`.
    pub threshold: String,
    /// `slo[0].max` or `--assert`.
    pub from: String,
    /// The figure's path.
    pub metric: String,
    /// `<=` or `>=`.
    pub op: &'static str,
    /// The limit, in the JSON's units.
    pub limit: f64,
    /// What the figure measures: `seconds`, `share` or `number`.
    pub unit: Unit,
    /// The figure (`null` when nothing was measured).
    pub value: Option<f64>,
    /// Its 95% half-width, with two or more replications.
    pub ci95: Option<f64>,
    /// `met`, `breached`, and whether the interval includes the limit.
    pub verdict: String,
    /// Whether it passes.
    pub passed: bool,
}

/// The comparison with a stored report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineReport {
    /// The baseline file.
    pub file: String,
    /// Its scenario hash (empty when it has none).
    pub scenario_hash: String,
    /// The routesim that made it (empty when it does not say).
    pub routesim_version: String,
    /// One row per figure compared.
    pub rows: Vec<BaselineRow>,
}

/// One figure against its baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineRow {
    /// The figure's path.
    pub metric: String,
    /// What it measures.
    pub unit: Unit,
    /// The baseline's value.
    pub baseline: Option<f64>,
    /// The baseline's 95% half-width.
    pub baseline_ci95: Option<f64>,
    /// This run's value.
    pub now: Option<f64>,
    /// This run's 95% half-width.
    pub now_ci95: Option<f64>,
    /// `now - baseline`.
    pub change: Option<f64>,
    /// How much worse it may get, in its units (`--tolerance`; 0 without).
    pub tolerance: f64,
    /// The half-width of the change: sqrt(baseline_ci95² + now_ci95²).
    pub noise: f64,
    /// `regressed`, `worse, within tolerance`, `worse, within noise`, `better`, `no clear
    /// change`, `changed` (a figure neither better higher nor lower).
    pub verdict: String,
    /// Whether it passes.
    pub passed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        crate::scenario::parse_str("t.toml", crate::scenario::tests::MINIMAL).unwrap()
    }

    fn threshold(bound: Bound, limit: f64) -> Threshold {
        Threshold {
            text: String::new(),
            from: "--assert".into(),
            metric: "overall.wait.p95".into(),
            bound,
            limit,
            unit: Unit::Seconds,
        }
    }

    #[test]
    fn paths_resolve_to_figures_with_their_units() {
        let shape = shape(&model());
        let unit = |p: &str| lookup(&shape, p).map(|f| f.unit);
        assert_eq!(unit("overall.wait.p95"), Ok(Unit::Seconds));
        assert_eq!(unit("teams.support.service_level"), Ok(Unit::Share));
        assert_eq!(unit("agents.a-1.occupancy"), Ok(Unit::Share));
        assert_eq!(unit("overall.offered"), Ok(Unit::Number));
        assert_eq!(unit("escalation.second_wait.p90"), Ok(Unit::Seconds));
        let err = |p: &str| lookup(&shape, p).err().unwrap();
        assert!(
            err("teams.suport.service_level").contains("it has: support"),
            "{}",
            err("teams.suport.service_level")
        );
        assert!(
            err("overall.wait").contains("name one of max, mean, p50"),
            "{}",
            err("overall.wait")
        );
        assert!(err("overall.wiat.p95").contains("no figure `wiat`"));
        assert!(err("teams.support.name").contains("is a name"));
        assert!(err("overall.offered.x").contains("nothing under it"));
        assert!(err("tickets.work.started").contains("not reported"));
    }

    #[test]
    fn a_row_name_with_dots_is_matched_whole() {
        let v = serde_json::json!({"teams": [
            {"name": "a", "service_level": 0.1},
            {"name": "a.b", "service_level": 0.2}
        ]});
        let at = |p: &str| lookup(&v, p).unwrap().value.as_f64();
        assert_eq!(at("teams.a.service_level"), Some(0.1));
        assert_eq!(at("teams.a.b.service_level"), Some(0.2));
    }

    #[test]
    fn limits_must_fit_the_figure() {
        assert_eq!(limit_for(Limit::Secs(60.0), Unit::Seconds, "x"), Ok(60.0));
        assert_eq!(limit_for(Limit::Percent(0.8), Unit::Share, "x"), Ok(0.8));
        assert_eq!(limit_for(Limit::Number(0.8), Unit::Share, "x"), Ok(0.8));
        assert!(limit_for(Limit::Secs(60.0), Unit::Share, "x").is_err());
        assert!(limit_for(Limit::Percent(0.8), Unit::Seconds, "x").is_err());
        // A share's limit is from 0 to 1 (0% to 100%), the ends included.
        assert_eq!(limit_for(Limit::Percent(1.0), Unit::Share, "x"), Ok(1.0));
        assert_eq!(limit_for(Limit::Number(0.0), Unit::Share, "x"), Ok(0.0));
        for l in [
            Limit::Percent(2.0),
            Limit::Number(80.0),
            Limit::Number(-0.1),
        ] {
            let e = limit_for(l, Unit::Share, "x").unwrap_err();
            assert!(e.contains("is a share from 0 to 1"), "{e}");
        }
        // Times and counts are never negative; zero is a limit they can meet.
        assert_eq!(limit_for(Limit::Number(0.0), Unit::Number, "x"), Ok(0.0));
        assert_eq!(limit_for(Limit::Secs(0.0), Unit::Seconds, "x"), Ok(0.0));
        for (l, unit) in [
            (Limit::Number(-1.0), Unit::Number),
            (Limit::Number(-0.5), Unit::Seconds),
        ] {
            let e = limit_for(l, unit, "x").unwrap_err();
            assert!(e.contains("is never negative"), "{e}");
        }
    }

    #[test]
    fn a_breach_is_judged_by_the_estimate_and_says_when_the_interval_straddles() {
        let t = threshold(Bound::AtMost, 60.0);
        let j = |v, h, r| judge(&t, Some(v), h, r);
        assert_eq!(
            j(50.0, Some(5.0), BreachRule::Estimate),
            ("met".into(), true)
        );
        assert!(j(58.0, Some(5.0), BreachRule::Estimate).1);
        assert!(
            j(58.0, Some(5.0), BreachRule::Estimate)
                .0
                .contains("CI includes")
        );
        assert!(!j(62.0, Some(5.0), BreachRule::Estimate).1);
        assert!(
            j(62.0, Some(5.0), BreachRule::Estimate)
                .0
                .contains("add replications")
        );
        // Strict: only a whole interval past the limit breaks.
        assert!(j(62.0, Some(5.0), BreachRule::Ci).1);
        assert_eq!(
            j(70.0, Some(5.0), BreachRule::Ci),
            ("breached".into(), false)
        );
        // One replication: no interval, the estimate decides.
        assert_eq!(j(61.0, None, BreachRule::Ci), ("breached".into(), false));
        // At the limit is within it.
        assert!(j(60.0, None, BreachRule::Estimate).1);
        let t = threshold(Bound::AtLeast, 0.8);
        assert!(!judge(&t, Some(0.79), Some(0.02), BreachRule::Estimate).1);
        assert!(judge(&t, Some(0.79), Some(0.02), BreachRule::Ci).1);
        assert!(!judge(&t, Some(0.75), Some(0.02), BreachRule::Ci).1);
        assert!(!judge(&t, None, None, BreachRule::Ci).1);
    }

    #[test]
    fn a_regression_is_worse_than_both_the_tolerance_and_the_noise() {
        let r = |b, n, w, tol, noise| regression(Some(b), Some(n), w, tol, noise);
        // p95 from 40s to 50s, noise 3s, no tolerance: regressed.
        assert_eq!(
            r(40.0, 50.0, Worse::Higher, 0.0, 3.0),
            ("regressed".into(), false)
        );
        // Within a 10s tolerance, or within 12s of noise: passes.
        assert!(r(40.0, 50.0, Worse::Higher, 10.0, 3.0).1);
        assert_eq!(
            r(40.0, 50.0, Worse::Higher, 0.0, 12.0),
            ("worse, within noise".into(), true)
        );
        // Service level falls: worse; rises beyond the noise: better.
        assert!(!r(0.9, 0.8, Worse::Lower, 0.0, 0.01).1);
        assert_eq!(
            r(0.8, 0.9, Worse::Lower, 0.0, 0.01),
            ("better".into(), true)
        );
        assert_eq!(
            r(1.0, 1.0, Worse::Either, 0.0, 0.0),
            ("no clear change".into(), true)
        );
        assert_eq!(
            r(1.0, 2.0, Worse::Either, 0.5, 0.0),
            ("changed".into(), false)
        );
        assert!(!regression(Some(1.0), None, Worse::Higher, 0.0, 0.0).1);
        assert!(regression(None, Some(1.0), Worse::Higher, 0.0, 0.0).1);
    }

    #[test]
    fn asserts_and_tolerances_parse_and_check_their_signs() {
        assert_eq!(
            parse_assert("overall.wait.p95 <= 1m").unwrap(),
            ("overall.wait.p95".into(), Bound::AtMost, Limit::Secs(60.0))
        );
        assert_eq!(
            parse_assert(" teams.x.service_level>=80%").unwrap(),
            (
                "teams.x.service_level".into(),
                Bound::AtLeast,
                Limit::Percent(0.8)
            )
        );
        assert!(parse_assert("overall.wait.p95 < 60s").is_err());
        assert!(parse_assert("<= 60s").is_err());
        // One sign before the amount, no more.
        assert_eq!(
            parse_tolerance("overall.wait.p95=+5s").unwrap(),
            ("overall.wait.p95".into(), Some('+'), Limit::Secs(5.0))
        );
        for doubled in ["overall.wait.p95=+-5s", "overall.wait.p95=--5s", "x=++10%"] {
            assert!(parse_tolerance(doubled).is_err(), "{doubled}");
        }
        let m = model();
        let gate = |asserts: &[String], tol: &[String]| {
            let base = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(base.path(), r#"{"overall": {}}"#).unwrap();
            Gate::new(
                &m,
                Path::new("t.toml"),
                &GateSpec {
                    asserts,
                    tolerances: tol,
                    baseline: Some(base.path()),
                    ..Default::default()
                },
            )
        };
        assert!(gate(&["overall.wait.p95 <= 60s".into()], &[]).is_ok());
        let e = gate(&["overall.service_level <= 60s".into()], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a time"), "{e}");
        assert!(gate(&[], &["overall.wait.p95=+10%".into()]).is_ok());
        let e = gate(&[], &["overall.service_level=+2%".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("gets worse as it falls"), "{e}");
        let e = gate(&[], &["overall.wait.p95=-5s".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("gets worse as it rises"), "{e}");
        let e = gate(
            &[],
            &["overall.wait.p95=5s".into(), "overall.wait.p95=6s".into()],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("has a tolerance already"), "{e}");
    }
}
