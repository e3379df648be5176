//! An experiment: every replication of a model, run in parallel, merged in index order.
//!
//! Results are byte-identical whatever the thread count: each replication owns its RNG
//! streams (seeded from the scenario seed and its index), and results are combined in
//! replication order, never in completion order.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::sim::{self, Recorder};
use crate::stats::{self, Collector, RepFigures};

/// The result of an experiment: what the report exporters print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Scenario file name.
    pub scenario: String,
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
    /// Means over replications (the figures themselves when there is one replication):
    /// `overall`, `teams`, `rules`, `agents` and the rest, at the top level of the JSON.
    #[serde(flatten)]
    pub mean: RepFigures,
    /// 95% confidence half-widths, same shape as the means; only with two or more replications.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ci95: Option<RepFigures>,
    /// Chats simulated over all replications, warm-up included.
    pub simulated_chats: u64,
    /// Problems worth a look that did not stop the run.
    pub warnings: Vec<String>,
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
    let one = |r: u32| {
        let recorder = (Collector::new(model), extra(r));
        let (result, (collector, x)) = sim::run_replication(model, r, recorder, progress);
        (
            collector.finish(model, &result),
            result,
            collector.out_of_range(),
            x,
        )
    };
    let reps: Vec<_> = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(|| (0..model.replications).into_par_iter().map(one).collect()),
        Err(_) => (0..model.replications).map(one).collect(),
    };
    let figures: Vec<RepFigures> = reps.iter().map(|r| r.0.clone()).collect();
    let (mean, ci95) = stats::aggregate(&figures);
    let mut warnings = model.warnings.clone();
    let blocked: f64 = figures.iter().map(|f| f.overall.blocked).sum();
    if blocked > 0.0 {
        warnings.push(format!(
            "{blocked} chats were blocked because {} chats were already waiting (simulation.max_waiting)",
            model.max_waiting
        ));
    }
    let out_of_range: u64 = reps.iter().map(|r| r.2).sum();
    if out_of_range > 0 {
        warnings.push(format!("{out_of_range} waits fell outside the histogram's range and are missing from the percentiles"));
    }
    let summary = Summary {
        scenario: model.name.clone(),
        seed: model.seed,
        replications: model.replications,
        warmup: model.warmup.as_secs_f64(),
        duration: model.duration.as_secs_f64(),
        service_level_threshold: model.service_level.as_secs_f64(),
        mean,
        ci95,
        simulated_chats: reps.iter().map(|r| r.1.chats).sum(),
        warnings,
    };
    (summary, reps.into_iter().map(|r| r.3).collect())
}

/// A recorder that records nothing, for runs without extra output.
#[derive(Debug, Clone, Copy, Default)]
pub struct Discard;

impl Recorder for Discard {
    #[inline]
    fn record(&mut self, _: &sim::ChatRecord<'_>) {}
}
