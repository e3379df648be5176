//! Comparing scenarios: the same seeds and replications for each, and for every key figure the
//! difference to the first scenario with a 95% confidence interval.
//!
//! When the scenarios' customers are the same (same traffic, timing, seed and replications:
//! common random numbers), replication `r` of each sees the same arrivals with the same
//! attributes, handle times and patience, and the interval comes from the spread of the
//! per-replication differences (paired). That removes the customers' own variation from the
//! comparison, which is most of it. Otherwise the interval is Welch's, from each scenario's own
//! spread (unpaired), and the comparison says why.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::experiment::{self, RunOptions, Summary};
use crate::model::Model;
use crate::stats::{RepFigures, t95};

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Better {
    Higher,
    Lower,
    /// Neither is better in itself (occupancy): the verdict says higher or lower.
    Neither,
}

/// The figures compared, per scope: name, which way is better, and how to read it.
const MEASURES: [(&str, Better); 7] = [
    ("service_level", Better::Higher),
    ("abandon_rate", Better::Lower),
    ("wait_mean", Better::Lower),
    ("wait_p90", Better::Lower),
    ("wait_p95", Better::Lower),
    ("occupancy", Better::Neither),
    ("staffing_cost", Better::Lower),
];

/// What a difference means, judged by its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval lies on the better side of zero.
    Better,
    /// The whole interval lies on the worse side of zero.
    Worse,
    /// Higher, for a figure that is neither better nor worse that way (occupancy).
    Higher,
    /// Lower, likewise.
    Lower,
    /// The interval includes zero.
    NoClearDifference,
    /// No figure on one side (no chat answered, say), so nothing to compare.
    NotComparable,
}

impl Verdict {
    /// As the table prints it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Higher => "higher",
            Verdict::Lower => "lower",
            Verdict::NoClearDifference => "no clear difference",
            Verdict::NotComparable => "-",
        }
    }
}

/// One scenario's difference to the first on one figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// The scenario compared with the first.
    pub scenario: String,
    /// Its figure minus the first's (both pooled over replications, as `run` reports them).
    pub diff: Option<f64>,
    /// 95% half-width of the difference: paired when the comparison is, else unpaired.
    pub ci95: Option<f64>,
    /// The paired half-width (Student t over the per-replication differences); `null` when
    /// pairing is impossible.
    pub paired_ci95: Option<f64>,
    /// Welch's unpaired half-width, from each scenario's own spread, for reference.
    pub unpaired_ci95: Option<f64>,
    /// What the difference means.
    pub verdict: Verdict,
}

/// One figure of one scope across the scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `overall`, or a team's name.
    pub scope: String,
    /// The figure: `service_level`, `abandon_rate`, `wait_mean`, `wait_p90`, `wait_p95`,
    /// `occupancy` or `staffing_cost`.
    pub figure: String,
    /// Each scenario's value, in the order given (`null` where it has none).
    pub values: Vec<Option<f64>>,
    /// Each later scenario's difference to the first.
    pub diffs: Vec<Difference>,
}

/// The result of `routesim compare`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The scenarios, the first being the one the others are compared with.
    pub scenarios: Vec<String>,
    /// Base seed shared by all.
    pub seed: u64,
    /// Replications of each.
    pub replications: u32,
    /// Service-level threshold of each scenario, seconds.
    pub service_level_thresholds: Vec<f64>,
    /// Whether the differences are paired (common random numbers).
    pub paired: bool,
    /// Why pairing was impossible, when it was.
    pub unpaired_because: Option<String>,
    /// Figures by scope: `overall` first, then the teams of the first scenario, then teams only
    /// later scenarios have.
    pub rows: Vec<Row>,
    /// Each scenario's run warnings, prefixed by its name.
    pub warnings: Vec<String>,
}

/// Why two models do not see the same customers, or `None` when they do. The customers come
/// from the traffic streams, the timing and the seed; rules, teams and agents may differ.
pub fn unpaired_because(a: &Model, b: &Model) -> Option<String> {
    let timing = |m: &Model| (m.seed, m.replications, m.start, m.warmup, m.duration);
    if a.seed != b.seed || a.replications != b.replications {
        return Some(format!(
            "{} and {} differ in seed or replications",
            a.name, b.name
        ));
    }
    if timing(a) != timing(b) {
        return Some(format!(
            "{} and {} differ in [simulation] start, warmup or duration",
            a.name, b.name
        ));
    }
    // The streams as compiled (rates, profiles, distributions, attribute draws): written
    // differently but the same, they still pair.
    if format!("{:?}", a.traffic) != format!("{:?}", b.traffic)
        || format!("{:?}", a.attributes) != format!("{:?}", b.attributes)
    {
        return Some(format!("{} and {} differ in [[traffic]]", a.name, b.name));
    }
    None
}

/// Runs each model (all with the same seed and replications: the caller applies the same
/// overrides to each) and compares them with the first. Needs two models or more, each with
/// two replications or more (an interval needs a spread).
pub fn compare(
    models: &[Model],
    options: &RunOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Comparison> {
    compare_until(models, options, &|| false, progress).map(|c| c.expect("never stopped"))
}

/// [`compare`], asking `stop` before each scenario and between a replication's events: once
/// it says true, the comparison ends early with `None` (figures over part of the time would
/// read as answers).
pub fn compare_until(
    models: &[Model],
    options: &RunOptions,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<Comparison>> {
    check(models)?;
    let mut runs: Vec<(Summary, Vec<RepFigures>)> = Vec::with_capacity(models.len());
    for m in models {
        if stop() {
            return Ok(None);
        }
        let (s, reps, _) =
            experiment::run_detailed(m, options, |_| crate::sweep::Stop(stop), progress);
        s.failed()?;
        runs.push((s, reps));
    }
    if stop() {
        return Ok(None);
    }
    Ok(Some(assemble(models, runs)))
}

/// Gives compared models loaded from `paths` names that tell them apart, as the table's
/// columns, the JSON's `scenarios` and the warnings show them. Each keeps its file name
/// (`desk.toml`) unless another model has the same; those take as many of their path's last
/// parts as tell them apart (`old/desk.toml`, `new/desk.toml`; the whole path as given when
/// that would start with `..`). A name still taken (the same path given twice) is numbered
/// from its second time on (`desk.toml (2)`), with a number no other name has. Two columns
/// both called `desk.toml` left the reader to guess which was which.
pub fn name_apart(models: &mut [Model], paths: &[std::path::PathBuf]) {
    use std::collections::HashSet;
    use std::path::{Component, PathBuf};
    let n = models.len().min(paths.len());
    let parts: Vec<Vec<Component>> = paths[..n]
        .iter()
        .map(|p| p.components().collect())
        .collect();
    let tail = |i: usize, k: usize| &parts[i][parts[i].len().saturating_sub(k)..];
    // The fewest last parts that no other path has at that length. Two names so found can
    // only be equal when their paths are (a shorter suffix equal to a longer one would be the
    // whole of its path, and then equal at the shorter length too).
    let apart = |i: usize| {
        let others: Vec<usize> = (0..n).filter(|&j| parts[j] != parts[i]).collect();
        let k = (1..=parts[i].len())
            .find(|&k| others.iter().all(|&j| tail(j, k) != tail(i, k)))
            .unwrap_or(parts[i].len());
        let shown = match tail(i, k).first() {
            Some(Component::ParentDir) => &parts[i][..],
            _ => tail(i, k),
        };
        shown.iter().collect::<PathBuf>().display().to_string()
    };
    let mut names: Vec<String> = (0..n)
        .map(|i| {
            let twins = models.iter().filter(|m| m.name == models[i].name).count();
            if twins > 1 {
                apart(i)
            } else {
                models[i].name.clone()
            }
        })
        .collect();
    // Numbered past every name there is, so that a number cannot make a new twin.
    let mut taken: HashSet<String> = names.iter().cloned().collect();
    let mut seen = HashSet::new();
    for name in &mut names {
        if !seen.insert(name.clone()) {
            let numbered = (2..)
                .map(|k| format!("{name} ({k})"))
                .find(|x| !taken.contains(x))
                .expect("a free number");
            taken.insert(numbered.clone());
            *name = numbered;
        }
    }
    for (m, name) in models.iter_mut().zip(names) {
        m.name = name;
    }
}

/// Whether the models can be compared: two or more, each with two replications or more.
pub fn check(models: &[Model]) -> Result<()> {
    if models.len() < 2 {
        return Err(Error::Usage(
            "compare needs two scenarios or more: the first, and those compared with it".into(),
        ));
    }
    if let Some(m) = models.iter().find(|m| m.replications < 2) {
        return Err(Error::Usage(format!(
            "{} has {} replication: a confidence interval needs two or more (set simulation.replications, or --replications 10)",
            m.name, m.replications
        )));
    }
    Ok(())
}

/// The comparison from each model's report and replications' figures (run here, or merged
/// from shards).
pub fn assemble(models: &[Model], runs: Vec<(Summary, Vec<RepFigures>)>) -> Comparison {
    let unpaired = models[1..]
        .iter()
        .find_map(|m| unpaired_because(&models[0], m));
    let paired = unpaired.is_none();
    // Every (scope, figure), in order: overall, the first scenario's teams, then others'.
    let mut scopes: Vec<String> = vec!["overall".into()];
    for (s, _) in &runs {
        for t in &s.figures.teams {
            if !scopes.contains(&t.name) {
                scopes.push(t.name.clone());
            }
        }
    }
    let mut rows = Vec::new();
    for scope in &scopes {
        for (k, &(figure, better)) in MEASURES.iter().enumerate() {
            let of = |m: &Model, f: &RepFigures| measures(m, f, scope)[k];
            let values: Vec<Option<f64>> = models
                .iter()
                .zip(&runs)
                .map(|(m, (s, _))| of(m, &s.figures))
                .collect();
            // A scope no scenario has this figure for (a team without agents' costs) is left out.
            if values.iter().all(Option::is_none) {
                continue;
            }
            let per_rep = |i: usize| -> Vec<Option<f64>> {
                runs[i].1.iter().map(|f| of(&models[i], f)).collect()
            };
            let first = per_rep(0);
            let diffs = (1..models.len())
                .map(|i| {
                    let other = per_rep(i);
                    let diff = values[i].zip(values[0]).map(|(b, a)| b - a);
                    let paired_ci95 = paired.then(|| paired_half_width(&first, &other)).flatten();
                    let unpaired_ci95 = welch_half_width(&first, &other);
                    let ci95 = if paired { paired_ci95 } else { unpaired_ci95 };
                    Difference {
                        scenario: models[i].name.clone(),
                        diff,
                        ci95,
                        paired_ci95,
                        unpaired_ci95,
                        verdict: verdict(diff, ci95, better),
                    }
                })
                .collect();
            rows.push(Row {
                scope: scope.clone(),
                figure: figure.into(),
                values,
                diffs,
            });
        }
    }
    let mut warnings: Vec<String> = runs
        .iter()
        .flat_map(|(s, _)| {
            s.warnings
                .iter()
                .map(move |w| format!("{}: {w}", s.scenario))
        })
        .collect();
    // Said in the warnings, not only under the table: a script reading the JSON's verdict
    // would take a looser threshold for a better desk.
    if runs
        .iter()
        .any(|(s, _)| s.service_level_threshold != runs[0].0.service_level_threshold)
    {
        let thresholds: Vec<String> = runs
            .iter()
            .map(|(s, _)| format!("{} {}s", s.scenario, s.service_level_threshold))
            .collect();
        warnings.insert(
            0,
            format!(
                "the scenarios measure the service level against different thresholds (report.service_level: {}): their service levels, and the verdicts on them, do not compare",
                thresholds.join(", ")
            ),
        );
    }
    Comparison {
        scenarios: models.iter().map(|m| m.name.clone()).collect(),
        seed: models[0].seed,
        replications: models[0].replications,
        service_level_thresholds: runs
            .iter()
            .map(|(s, _)| s.service_level_threshold)
            .collect(),
        paired,
        unpaired_because: unpaired,
        rows,
        warnings,
    }
}

/// The compared figures of one scope (`overall` or a team name), in [`MEASURES`] order.
/// Occupancy is pooled over the scope's agents (slot time in use over slot time on shift), so
/// it agrees with the agents' own figures; cost is their sum. A sweep reads its rows with it.
pub(crate) fn measures(model: &Model, f: &RepFigures, scope: &str) -> [Option<f64>; 7] {
    let (figures, members): (Option<_>, Vec<usize>) = if scope == "overall" {
        (Some(&f.overall), (0..model.agents.len()).collect())
    } else {
        let team = f.teams.iter().find(|t| t.name == scope).map(|t| &t.figures);
        let members = model
            .teams
            .iter()
            .find(|t| t.name == scope)
            .map(|t| t.members.iter().map(|a| a.ix()).collect())
            .unwrap_or_default();
        (team, members)
    };
    let (mut busy, mut slots, mut cost) = (0.0, 0.0, 0.0);
    for &a in &members {
        let (fig, cap) = (&f.agents[a], model.agents[a].max_chats as f64);
        slots += fig.on_shift_hours * cap;
        busy += fig.occupancy.unwrap_or(0.0) * fig.on_shift_hours * cap;
        cost += fig.staffing_cost;
    }
    let with_agents = !members.is_empty();
    [
        figures.and_then(|x| x.service_level),
        figures.and_then(|x| x.abandon_rate),
        figures.and_then(|x| x.wait.mean),
        figures.and_then(|x| x.wait.p90),
        figures.and_then(|x| x.wait.p95),
        (slots > 0.0).then(|| busy / slots),
        with_agents.then_some(cost),
    ]
}

/// Student t half-width of the mean of the per-replication differences `b - a`, over the
/// replications where both have a value; `None` with fewer than two.
fn paired_half_width(a: &[Option<f64>], b: &[Option<f64>]) -> Option<f64> {
    let d: Vec<f64> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some((*y)? - (*x)?))
        .collect();
    let (n, _, var) = moments(&d)?;
    Some(t95(n - 1) * (var / n as f64).sqrt())
}

/// Welch's half-width for the difference of two means with unequal variances, with the
/// Welch-Satterthwaite degrees of freedom; `None` unless both sides have two values or more.
fn welch_half_width(a: &[Option<f64>], b: &[Option<f64>]) -> Option<f64> {
    let xs: Vec<f64> = a.iter().flatten().copied().collect();
    let ys: Vec<f64> = b.iter().flatten().copied().collect();
    let (na, _, va) = moments(&xs)?;
    let (nb, _, vb) = moments(&ys)?;
    let (sa, sb) = (va / na as f64, vb / nb as f64);
    let se2 = sa + sb;
    if se2 == 0.0 {
        return Some(0.0);
    }
    let df = se2 * se2 / (sa * sa / (na - 1) as f64 + sb * sb / (nb - 1) as f64);
    Some(t95(df.floor().max(1.0) as usize) * se2.sqrt())
}

/// Count, mean and sample variance; `None` with fewer than two values.
pub(crate) fn moments(xs: &[f64]) -> Option<(usize, f64, f64)> {
    let n = xs.len();
    if n < 2 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some((n, mean, var))
}

/// Better or worse when the whole interval lies on one side of zero.
fn verdict(diff: Option<f64>, ci95: Option<f64>, better: Better) -> Verdict {
    let (Some(d), Some(h)) = (diff, ci95) else {
        return Verdict::NotComparable;
    };
    if d.abs() <= h {
        return Verdict::NoClearDifference;
    }
    match (better, d > 0.0) {
        (Better::Higher, true) | (Better::Lower, false) => Verdict::Better,
        (Better::Higher, false) | (Better::Lower, true) => Verdict::Worse,
        (Better::Neither, true) => Verdict::Higher,
        (Better::Neither, false) => Verdict::Lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compared_files_of_one_name_are_told_apart_by_their_paths() {
        use std::os::unix::ffi::OsStrExt;
        let named_paths = |paths: Vec<std::path::PathBuf>| -> Vec<String> {
            let mut models: Vec<Model> = paths
                .iter()
                .map(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    crate::scenario::parse_str(&name, crate::scenario::tests::MINIMAL).unwrap()
                })
                .collect();
            name_apart(&mut models, &paths);
            models.into_iter().map(|m| m.name).collect()
        };
        let named = |files: &[&str]| named_paths(files.iter().map(Into::into).collect());
        assert_eq!(named(&["a.toml", "b.toml"]), ["a.toml", "b.toml"]);
        assert_eq!(
            named(&["x/a/desk.toml", "y/a/desk.toml", "z/b.toml"]),
            ["x/a/desk.toml", "y/a/desk.toml", "b.toml"]
        );
        assert_eq!(
            named(&["old/desk.toml", "new/desk.toml", "desk.toml"]),
            ["old/desk.toml", "new/desk.toml", "desk.toml"]
        );
        assert_eq!(
            named(&["a/desk.toml", "x/a/desk.toml"]),
            ["a/desk.toml", "x/a/desk.toml"]
        );
        assert_eq!(
            named(&["desk.toml", "b/desk.toml", "desk.toml"]),
            ["desk.toml", "b/desk.toml", "desk.toml (2)"]
        );
        assert_eq!(
            named(&["desk.toml", "desk.toml", "desk.toml", "x/desk.toml"]),
            ["desk.toml", "desk.toml (2)", "desk.toml (3)", "x/desk.toml"]
        );
        // A number never makes a new twin with a file of that name.
        assert_eq!(
            named(&["desk.toml", "desk.toml", "desk.toml (2)"]),
            ["desk.toml", "desk.toml (3)", "desk.toml (2)"]
        );
        // Roots and parents as the path has them, never a suffix that starts with `..`.
        assert_eq!(
            named(&["/tmp/desk.toml", "tmp/desk.toml"]),
            ["/tmp/desk.toml", "tmp/desk.toml"]
        );
        assert_eq!(
            named(&["x/../desk.toml", "desk.toml"]),
            ["x/../desk.toml", "desk.toml"]
        );
        // Told apart by their bytes, not by how they print.
        let p = |x: &[u8]| std::ffi::OsStr::from_bytes(x).into();
        let names = named_paths(vec![p(b"o\xff/d.toml"), p(b"o\xfe/d.toml")]);
        assert_ne!(names[0], names[1]);
    }

    #[test]
    fn a_sweep_names_the_figures_in_the_order_measures_gives_them() {
        assert_eq!(MEASURES.map(|m| m.0), crate::sweep::FIGURES);
    }

    #[test]
    fn pairing_removes_the_shared_variation() {
        // Replications vary a lot, but B is always A + 1: the paired interval is zero wide.
        let a: Vec<Option<f64>> = [10.0, 20.0, 30.0, 40.0].map(Some).to_vec();
        let b: Vec<Option<f64>> = [11.0, 21.0, 31.0, 41.0].map(Some).to_vec();
        assert_eq!(paired_half_width(&a, &b), Some(0.0));
        let welch = welch_half_width(&a, &b).unwrap();
        // Same variance on both sides: sd = 12.91, se = sqrt(2 * 166.67 / 4) = 9.13, df = 6.
        assert!((welch - 2.4469 * (2.0 * 500.0 / 3.0 / 4.0f64).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn verdicts_follow_the_interval_and_the_direction() {
        assert_eq!(
            verdict(Some(1.0), Some(0.5), Better::Higher),
            Verdict::Better
        );
        assert_eq!(verdict(Some(1.0), Some(0.5), Better::Lower), Verdict::Worse);
        assert_eq!(
            verdict(Some(1.0), Some(1.5), Better::Lower),
            Verdict::NoClearDifference
        );
        assert_eq!(
            verdict(Some(-1.0), Some(0.5), Better::Neither),
            Verdict::Lower
        );
        assert_eq!(
            verdict(None, Some(0.5), Better::Higher),
            Verdict::NotComparable
        );
        // Identical runs: a zero difference with a zero interval is no difference.
        assert_eq!(
            verdict(Some(0.0), Some(0.0), Better::Higher),
            Verdict::NoClearDifference
        );
    }
}
