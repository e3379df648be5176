//! An experiment: every replication of a model, run in parallel, merged in index order.
//!
//! Results are byte-identical whatever the thread count: each replication owns its RNG
//! streams (seeded from the scenario seed and its index), and results are combined in
//! replication order, never in completion order.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::lint;
use crate::model::Model;
use crate::model::SimTime;
use crate::sim::{self, Recorder};
use crate::stats::intervals::{IntervalCollector, IntervalFigures};
use crate::stats::{self, Collector, Figures, RepFigures};

/// The result of an experiment: what the report exporters print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Scenario file name.
    pub scenario: String,
    /// FNV-1a hash of the scenario file's text, in hex: a baseline from another file is noticed.
    #[serde(default)]
    pub scenario_hash: String,
    /// The routesim version that made the report.
    #[serde(default)]
    pub routesim_version: String,
    /// Base seed.
    pub seed: u64,
    /// Replications run.
    pub replications: u32,
    /// Warm-up, seconds.
    pub warmup: f64,
    /// Measured duration, seconds.
    pub duration: f64,
    /// Service-level threshold, seconds.
    pub service_level_threshold: f64,
    /// The figures over all replications, at the top level of the JSON (`overall`, `teams`,
    /// `rules`, `agents` and the rest): counts are means per replication; ratios,
    /// percentiles and mean times are read from the pooled chats of every replication, so
    /// they agree with the counts; maxima and peaks are the largest seen.
    #[serde(flatten)]
    pub figures: RepFigures,
    /// 95% confidence half-widths (Student t over the replications' own figures), same shape
    /// as the figures; only with two or more replications.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ci95: Option<RepFigures>,
    /// Chats simulated over all replications, warm-up included.
    pub simulated_chats: u64,
    /// Set when a recorder stopped the run early (an interrupt): the measured seconds reached,
    /// the least over replications. The figures then cover only the time simulated.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stopped_at: Option<f64>,
    /// The interval report, when asked for (`--interval`; always with `--out`): one entry per
    /// interval of the measured window, aligned to the clock.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub intervals: Option<Vec<IntervalFigures>>,
    /// 95% confidence half-widths of the interval report, same shape; with two or more
    /// replications.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub intervals_ci95: Option<Vec<IntervalFigures>>,
    /// Problems worth a look that did not stop the run.
    pub warnings: Vec<String>,
    /// Why a replication could not go on (a replayed log unreadable now, or changed since it
    /// was checked), the first by replication: the figures are then not a report of the
    /// scenario, and [`Summary::failed`] turns this into an error.
    #[serde(skip)]
    pub failure: Option<String>,
}

impl Summary {
    /// An error when a replication could not go on: what a caller checks before reporting.
    pub fn failed(&self) -> crate::error::Result<()> {
        match &self.failure {
            Some(e) => Err(crate::error::Error::Run(e.clone())),
            None => Ok(()),
        }
    }
}

/// How to run an experiment, beyond the model itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Worker threads for replications (0: one per core).
    pub threads: usize,
    /// Also report by interval of this length (15, 30 or 60 minutes), aligned to the clock.
    pub interval: Option<SimTime>,
}

/// Runs every replication of `model` on `threads` threads (0: one per core).
///
/// `extra(r)` makes an additional recorder for replication `r` (such as a CSV writer); they
/// are returned in replication order. `progress` receives simulated ticks as they pass, from
/// all replications together.
pub fn run<X, F>(
    model: &Model,
    threads: usize,
    extra: F,
    progress: &(dyn Fn(u64) + Sync),
) -> (Summary, Vec<X>)
where
    X: Recorder + Send,
    F: Fn(u32) -> X + Sync,
{
    let options = RunOptions {
        threads,
        interval: None,
    };
    run_with(model, &options, extra, progress)
}

/// [`run`] with options: the interval report, when asked for, is one more recorder on every
/// replication, pooled and given confidence half-widths like the rest.
pub fn run_with<X, F>(
    model: &Model,
    options: &RunOptions,
    extra: F,
    progress: &(dyn Fn(u64) + Sync),
) -> (Summary, Vec<X>)
where
    X: Recorder + Send,
    F: Fn(u32) -> X + Sync,
{
    let (part, extras) = run_part(model, options, 0..model.replications, extra, progress);
    (summary(model, options, part), extras)
}

/// [`run_with`], also returning each replication's own figures in replication order (what
/// the confidence half-widths are computed from, and what a paired comparison pairs).
pub fn run_detailed<X, F>(
    model: &Model,
    options: &RunOptions,
    extra: F,
    progress: &(dyn Fn(u64) + Sync),
) -> (Summary, Vec<RepFigures>, Vec<X>)
where
    X: Recorder + Send,
    F: Fn(u32) -> X + Sync,
{
    let (part, extras) = run_part(model, options, 0..model.replications, extra, progress);
    let (summary, figures) = finish(model, options, part);
    (summary, figures, extras)
}

/// [`run_detailed`] on the rayon pool the caller runs in, whatever `options.threads` says: for
/// a caller that runs several models at once in one pool (a sweep), so that the replications
/// of all of them share its threads instead of each model starting a pool of its own. The
/// results are the same as [`run_detailed`]'s, byte for byte.
pub fn run_detailed_in_current_pool<X, F>(
    model: &Model,
    options: &RunOptions,
    extra: F,
    progress: &(dyn Fn(u64) + Sync),
) -> (Summary, Vec<RepFigures>, Vec<X>)
where
    X: Recorder + Send,
    F: Fn(u32) -> X + Sync,
{
    let reps = 0..model.replications;
    let (part, extras) = part_in(model, options, reps, extra, progress, Pool::Current);
    let (summary, figures) = finish(model, options, part);
    (summary, figures, extras)
}

/// Where the replications run.
enum Pool {
    /// A pool of this many threads (0: one per core) started for this model.
    Own(usize),
    /// The pool the caller is in.
    Current,
}

/// What a range of replications leaves for the report: each one's own figures, the pooled
/// collectors, and what the engine said. It serializes exactly (counts, sums, histogram
/// buckets), so parts run on different machines ([`shard`]) merge into the report one machine
/// would have written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    /// The replications, in order (a contiguous range).
    pub replications: std::ops::Range<u32>,
    /// Each replication's own figures.
    pub figures: Vec<RepFigures>,
    /// Each replication's own interval figures (with the interval report).
    pub interval_figures: Vec<Vec<IntervalFigures>>,
    /// The replications' collectors, merged.
    pub collector: Collector,
    /// Their interval collectors, merged.
    pub intervals: Option<IntervalCollector>,
    /// Chats simulated, warm-up included.
    pub chats: u64,
    /// Where each replication's clock stopped.
    pub ended: Vec<SimTime>,
    /// Why a replication could not go on, the first by replication (see [`Summary::failure`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl Part {
    /// Whether the part's collector and each replication's figures have the shape a run of
    /// `model` gives them (its teams, rules, agents and channels). A part read back from a
    /// shard's file may have been edited, and one of another shape panicked where the merge
    /// reads it by the model's indexes (found by a fuzzing helper).
    pub fn fits(&self, model: &Model) -> bool {
        let fresh = Collector::new(model);
        let shape = fresh.figures(model);
        self.collector.fits(&fresh) && self.figures.iter().all(|f| f.same_shape(&shape))
    }

    /// Appends the next range's part.
    pub fn merge(&mut self, o: Part) {
        debug_assert_eq!(self.replications.end, o.replications.start);
        self.replications.end = o.replications.end;
        self.figures.extend(o.figures);
        self.interval_figures.extend(o.interval_figures);
        self.collector.merge(&o.collector);
        if let (Some(a), Some(b)) = (&mut self.intervals, &o.intervals) {
            a.merge(b);
        }
        self.chats += o.chats;
        self.ended.extend(o.ended);
        self.failure = self.failure.take().or(o.failure);
    }
}

/// The replications shard `k` of `n` runs: a contiguous share, the first shards one fewer when
/// they do not divide evenly.
pub fn shard(replications: u32, k: u32, n: u32) -> std::ops::Range<u32> {
    let at = |i: u32| (replications as u64 * i as u64 / n as u64) as u32;
    at(k)..at(k + 1)
}

/// Runs replications `reps` of `model` in parallel and returns their [`Part`], with the extra
/// recorders in replication order.
pub fn run_part<X, F>(
    model: &Model,
    options: &RunOptions,
    reps: std::ops::Range<u32>,
    extra: F,
    progress: &(dyn Fn(u64) + Sync),
) -> (Part, Vec<X>)
where
    X: Recorder + Send,
    F: Fn(u32) -> X + Sync,
{
    part_in(
        model,
        options,
        reps,
        extra,
        progress,
        Pool::Own(options.threads),
    )
}

fn part_in<X, F>(
    model: &Model,
    options: &RunOptions,
    reps: std::ops::Range<u32>,
    extra: F,
    progress: &(dyn Fn(u64) + Sync),
    pool: Pool,
) -> (Part, Vec<X>)
where
    X: Recorder + Send,
    F: Fn(u32) -> X + Sync,
{
    let intervals = |len| IntervalCollector::new(model, len);
    // One replication: its own figures (for the confidence half-widths), its collectors (to
    // pool), what the engine returned and the extra recorder.
    let one = |r: u32| {
        let by_interval = options.interval.and_then(|len| intervals(len).ok());
        let recorder = ((Collector::new(model), by_interval), extra(r));
        let (result, ((mut collector, by_interval), x)) =
            sim::run_replication(model, r, recorder, progress);
        collector.absorb(&result);
        let own = collector.figures(model);
        let own_intervals = by_interval.as_ref().map(IntervalCollector::figures);
        (
            vec![(own, own_intervals, result, x)],
            (collector, by_interval),
        )
    };
    // Collectors are merged as replications finish, so memory holds a few at a time, not one
    // per replication. Every tally is an integer sum, so the pooled figures do not depend on
    // the order of merging; the per-replication parts keep index order (rayon's reduce joins
    // neighbouring ranges, left before right).
    type Pooled = (Collector, Option<IntervalCollector>);
    let join = |(mut a, (mut ca, mut ia)): (Vec<_>, Pooled), (b, (cb, ib)): (Vec<_>, Pooled)| {
        a.extend(b);
        ca.merge(&cb);
        if let (Some(ia), Some(ib)) = (&mut ia, &ib) {
            ia.merge(ib);
        }
        (a, (ca, ia))
    };
    let range = reps.clone();
    let parallel = || range.clone().into_par_iter().map(&one).reduce_with(&join);
    let reduced = match pool {
        Pool::Current => parallel(),
        Pool::Own(threads) => {
            // More threads than replications would only be started to idle.
            let threads = match threads {
                0 => 0,
                n => n.min(reps.len().max(1)),
            };
            match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
                Ok(pool) => pool.install(parallel),
                Err(_) => range.clone().map(&one).reduce(&join),
            }
        }
    };
    let (runs, (collector, intervals)) = reduced.expect("at least one replication");
    let mut part = Part {
        replications: reps,
        figures: Vec::with_capacity(runs.len()),
        interval_figures: Vec::new(),
        collector,
        intervals,
        chats: 0,
        ended: Vec::with_capacity(runs.len()),
        failure: None,
    };
    let mut extras = Vec::with_capacity(runs.len());
    for (f, i, result, x) in runs {
        part.figures.push(f);
        part.interval_figures.extend(i);
        part.chats += result.chats;
        part.ended.push(result.ended);
        if part.failure.is_none() {
            part.failure = result.failure;
        }
        extras.push(x);
    }
    (part, extras)
}

/// The report of every replication of `model`, from their [`Part`] (one, or shards merged in
/// order), and each replication's own figures.
pub fn finish(model: &Model, options: &RunOptions, part: Part) -> (Summary, Vec<RepFigures>) {
    report(model, options, part, true)
}

/// [`finish`] for a caller that needs only the report. With one replication, its own figures
/// are the pooled ones (the pooled collector is its collector), and they become the report's
/// instead of being worked out again: with 100,000 agents that is a tenth of a short run.
pub fn summary(model: &Model, options: &RunOptions, part: Part) -> Summary {
    report(model, options, part, false).0
}

/// [`finish`], with the replications' own figures kept (`keep`), or used up for the report.
fn report(
    model: &Model,
    options: &RunOptions,
    part: Part,
    keep: bool,
) -> (Summary, Vec<RepFigures>) {
    let interval_problem = options
        .interval
        .and_then(|len| IntervalCollector::new(model, len).err());
    let Part {
        mut figures,
        interval_figures,
        collector: pooled,
        intervals: pooled_intervals,
        chats,
        ended,
        failure,
        ..
    } = part;
    let ci95 = stats::ci95(&figures);
    let mean = match figures.len() {
        1 if !keep => figures.pop().expect("one replication's figures"),
        _ => pooled.figures(model),
    };
    let mut warnings = lint::warnings(model);
    warnings.extend(run_warnings(model, &mean, pooled.out_of_range()));
    if let Some(problem) = interval_problem {
        warnings.push(format!("no interval report: {problem}"));
    }
    let summary = Summary {
        scenario: model.name.clone(),
        scenario_hash: model.source_hash.clone(),
        routesim_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: model.seed,
        replications: model.replications,
        warmup: model.warmup.as_secs_f64(),
        duration: model.duration.as_secs_f64(),
        service_level_threshold: model.service_level.as_secs_f64(),
        figures: mean,
        ci95,
        simulated_chats: chats,
        intervals: pooled_intervals.as_ref().map(IntervalCollector::figures),
        intervals_ci95: stats::ci95(&interval_figures),
        stopped_at: ended
            .iter()
            .min()
            .filter(|&&e| e < model.end())
            .map(|e| e.since(model.warmup).as_secs_f64()),
        warnings,
        failure,
    };
    (summary, figures)
}

/// Share of offered chats still waiting at the end above which the report warns that the
/// wait percentiles (which leave those chats out) understate the wait.
pub const CENSORED_WARNING_SHARE: f64 = 0.01;

/// Warnings that only a run can give: blocked arrivals, waits outside the histogram, and a
/// desk that did not drain.
fn run_warnings(model: &Model, f: &RepFigures, out_of_range: u64) -> Vec<String> {
    let mut out = Vec::new();
    let o = &f.overall;
    if o.blocked > 0.0 {
        out.push(format!(
            "{} chats per replication were blocked because {} chats were already waiting (simulation.max_waiting)",
            fmt_count(o.blocked),
            model.max_waiting
        ));
    }
    if out_of_range > 0 {
        out.push(format!("{out_of_range} waits fell outside the histogram's range and are missing from the percentiles"));
    }
    // Chats still with a bot never queued, so only the others have an unfinished wait.
    let queued = |f: &Figures| f.waiting_at_end - f.with_bot_at_end;
    let censored = |f: &Figures| f.offered > 0.0 && queued(f) > CENSORED_WARNING_SHARE * f.offered;
    let rows: Vec<String> = f
        .teams
        .iter()
        .map(|t| (format!("team {}", t.name), &t.figures))
        .chain(
            f.rules
                .iter()
                .map(|r| (format!("rule {}", r.name), &r.figures)),
        )
        .filter(|(_, f)| censored(f))
        .map(|(name, f)| {
            format!(
                "{name} {} ({:.1}%)",
                fmt_count(queued(f)),
                100.0 * queued(f) / f.offered
            )
        })
        .collect();
    if censored(o) || !rows.is_empty() {
        let by_row = if rows.is_empty() {
            String::new()
        } else {
            format!("; by row: {}", rows.join(", "))
        };
        out.push(format!(
            "{} chats per replication ({:.1}% of offered) were still waiting when the run ended{by_row}; \
             their waits are not in the wait figures, which therefore understate the wait \
             (the desk did not drain: add agents, patience or a longer run)",
            fmt_count(queued(o)),
            100.0 * queued(o) / o.offered.max(1.0)
        ));
    }
    out
}

/// A count per replication: whole numbers plain, means with one decimal.
fn fmt_count(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// A recorder that records nothing, for runs without extra output.
#[derive(Debug, Clone, Copy, Default)]
pub struct Discard;

impl Recorder for Discard {
    #[inline]
    fn record(&mut self, _: &sim::ChatRecord<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`summary`] takes a lone replication's own figures as the pooled ones: they must be
    /// what the pooled collector gives, for every example scenario.
    #[test]
    fn a_lone_replications_figures_are_the_pooled_figures() {
        let files = crate::scenario::tests::bundled();
        assert!(files.len() > 3);
        for path in files {
            let mut model = crate::scenario::load(&path).unwrap();
            model.replications = 1;
            model.duration = model
                .duration
                .min(SimTime(6 * 3_600 * crate::model::TICKS_PER_SEC));
            let options = RunOptions {
                threads: 1,
                interval: None,
            };
            let (part, _) = run_part(&model, &options, 0..1, |_| Discard, &|_| {});
            assert_eq!(
                part.collector.figures(&model),
                part.figures[0],
                "{}",
                path.display()
            );
            let (kept, figures) = finish(&model, &options, part.clone());
            assert_eq!(figures.len(), 1);
            assert_eq!(summary(&model, &options, part), kept, "{}", path.display());
        }
    }
}
