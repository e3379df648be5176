//! Runs spread over machines: `run --shard K/N` runs the K-th share of the replications and
//! writes a [`Partial`]; `merge` checks that the partials belong together and combines them
//! into the report one machine would have printed, byte for byte.
//!
//! A partial holds exact state (counts, sums, histogram buckets, each replication's own
//! figures), never rounded figures, so merging loses nothing. It names the scenario file, its
//! content hash and the overrides the shards ran with; `merge` compiles the same file with the
//! same overrides (and refuses a file that changed since).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::experiment::{self, Part, RunOptions, Summary};
use crate::model::SimTime;
use crate::scenario::{Overrides, Source};
use crate::stats::WaitCurves;

/// What a run's partial says it is (its `format`).
pub const FORMAT: &str = "routesim-partial/1";
/// What a sweep's partial says it is.
pub const SWEEP_FORMAT: &str = "routesim-sweep-partial/1";

/// Shard `k` of `n` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub k: u32,
    /// Shards in all.
    pub n: u32,
}

impl Shard {
    /// Reads `K/N`, or `N` alone with K from `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX`
    /// (a Slurm array job, a Kubernetes Indexed Job), as `env` gives them.
    pub fn parse(spec: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let number = |s: &str, what: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("--shard {spec}: {what} is not a whole number"))
        };
        let (k, n, from) = match spec.split_once('/') {
            Some((k, n)) => (number(k, "K")?, number(n, "N")?, String::new()),
            None => {
                let n = number(spec, "N")?;
                // A variable set but empty is as good as unset.
                let (var, k) = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]
                    .iter()
                    .find_map(|v| env(v).filter(|k| !k.trim().is_empty()).map(|k| (*v, k)))
                    .ok_or_else(|| {
                        format!("--shard {spec}: no K given, and neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set")
                    })?;
                let k = k
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| format!("--shard {spec}: {var}={k} is not a whole number"))?;
                (k, n, format!(" (K = {k} from {var})"))
            }
        };
        if n == 0 {
            return Err(format!(
                "--shard {spec}: N, the number of shards, is at least 1"
            ));
        }
        if k >= n {
            return Err(format!(
                "--shard {spec}{from}: K counts from 0 and must be below N (0/{n} ... {}/{n}); a Slurm array for N shards is --array=0-{}",
                n - 1,
                n - 1
            ));
        }
        Ok(Shard { k, n })
    }
}

/// One shard's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partial {
    /// [`FORMAT`].
    pub format: String,
    /// The file it was read from ([`read`] notes it, for messages); not stored.
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// The routesim version that wrote it.
    pub routesim: String,
    /// The scenario file as the shard was given it.
    pub scenario: PathBuf,
    /// FNV-1a hash of the file's bytes, in hex.
    pub scenario_hash: String,
    /// `--seed`, `--replications`, `--duration` as given to the shard.
    pub seed: Option<u64>,
    /// See `seed`.
    pub replications: Option<u32>,
    /// See `seed`.
    pub duration: Option<f64>,
    /// `--scale`, when given: recorded (only then, so that parts without it read as before)
    /// so that the merge compiles the scenario as the shards did, and refuses parts of
    /// another scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// `--interval` (ticks), when the report has intervals.
    pub interval: Option<u64>,
    /// This shard, from 0.
    pub shard: u32,
    /// Shards in all.
    pub of: u32,
    /// The state of its replications.
    pub part: Part,
    /// A digest of everything above (FNV-1a over its JSON values), written by the shard and
    /// checked by [`read`]; absent in parts older routesim versions wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

pub use crate::scenario::content_hash;

/// Refuses a scenario path a partial cannot record: the partial is JSON, which holds text, and
/// a path that is not UTF-8 had panicked as the partial was written (found by a fuzzing
/// helper). Asked before anything runs.
fn recordable(path: &Path) -> Result<()> {
    match path.to_str() {
        Some(_) => Ok(()),
        None => Err(Error::Usage(format!(
            "{}: --shard records the scenario's path in its partial result, as text, and this path is not UTF-8; rename the file or its folder",
            path.display()
        ))),
    }
}

/// Runs shard `shard` of the scenario at `path` and returns its partial.
pub fn run_shard(
    path: &Path,
    overrides: &Overrides,
    options: &RunOptions,
    shard: Shard,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Partial> {
    recordable(path)?;
    let source = Source::read(path)?;
    let model = source.compile(overrides)?;
    // Checked in every shard alike, so that a wrong N fails the whole array, not half of it.
    if shard.n > model.replications {
        return Err(Error::Usage(format!(
            "--shard {}/{}: {} replications cannot be split into {} shards; use at most {} shards, or more --replications",
            shard.k, shard.n, model.replications, shard.n, model.replications
        )));
    }
    let reps = experiment::shard(model.replications, shard.k, shard.n);
    let (part, _) = experiment::run_part(&model, options, reps, |_| experiment::Discard, progress);
    if let Some(e) = &part.failure {
        return Err(crate::error::Error::Run(e.clone()));
    }
    seal(Partial {
        file: None,
        format: FORMAT.into(),
        routesim: env!("CARGO_PKG_VERSION").into(),
        scenario: path.to_path_buf(),
        scenario_hash: model.source_hash.clone(),
        seed: overrides.seed,
        replications: overrides.replications,
        duration: overrides.duration,
        scale: scale_of(overrides),
        interval: options.interval.map(|t| t.0),
        shard: shard.k,
        of: shard.n,
        part,
        digest: None,
    })
}

/// A partial file of either kind.
pub enum AnyPartial {
    /// Of `run --shard`.
    Run(Box<Partial>),
    /// Of `sweep --shard`.
    Sweep(Box<SweepPartial>),
    /// Of `compare --shard`.
    Compare(Box<ComparePartial>),
    /// Of `staff --per-interval --shard`.
    Staff(Box<StaffPartial>),
}

/// Reads a partial file (of a run or of a sweep).
pub fn read(path: &Path) -> Result<AnyPartial> {
    // A partial result is a file `--shard` wrote: read whole, as large as it is, but only a
    // regular file (`merge /dev/zero` read until memory ran out).
    let text = std::fs::metadata(path)
        .and_then(|m| {
            if !m.is_file() {
                return Err(std::io::Error::other(
                    "not a regular file (a partial result is a file that --shard wrote)",
                ));
            }
            std::fs::read(path)
        })
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let bad = |why: String| Error::Usage(format!("{}: {why}", path.display()));
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| bad(format!("not a routesim partial result ({e})")))?;
    /// The part, its digest checked (see [`seal`]), with its file noted. Called once the format
    /// is known to be one this routesim reads, so that another JSON file with a `digest` is not
    /// called a damaged part. Parts older versions wrote have no digest: the merge's own checks
    /// are all they get, and the merge says so ([`digest_note`]).
    fn noted<P: Sharded + serde::de::DeserializeOwned>(
        mut value: serde_json::Value,
        path: &Path,
    ) -> Result<Box<P>> {
        let bad =
            |why: &str| Error::Usage(format!("{}: a damaged partial result{why}", path.display()));
        // Taken out, not copied: a part of 100,000 agents is tens of megabytes.
        let digest = value.as_object_mut().and_then(|o| o.remove("digest"));
        if let Some(d) = &digest
            && d.as_str() != Some(digest_of(&value).as_str())
        {
            return Err(bad(
                ": its contents changed after the shard wrote it (they do not match its digest)",
            ));
        }
        let mut part: Box<P> =
            Box::new(serde_json::from_value(value).map_err(|e| bad(&format!(" ({e})")))?);
        part.note_file(path);
        if let Some(d) = digest.as_ref().and_then(|d| d.as_str()) {
            part.set_digest(d.to_string());
        }
        Ok(part)
    }
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => Ok(AnyPartial::Run(noted(value, path)?)),
        Some(SWEEP_FORMAT) => Ok(AnyPartial::Sweep(noted(value, path)?)),
        Some(COMPARE_FORMAT) => Ok(AnyPartial::Compare(noted(value, path)?)),
        Some(STAFF_FORMAT) => Ok(AnyPartial::Staff(noted(value, path)?)),
        Some(other) => Err(bad(format!(
            "a partial result of format \"{other}\"; this routesim reads {FORMAT}, {SWEEP_FORMAT}, {COMPARE_FORMAT} and {STAFF_FORMAT}"
        ))),
        None => Err(bad(
            "not a routesim partial result (`run`, `sweep`, `compare` and `staff --per-interval` with --shard K/N write them)"
                .into(),
        )),
    }
}

/// One shard's share of a sweep: the rows of its points.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepPartial {
    /// [`SWEEP_FORMAT`].
    pub format: String,
    /// The file it was read from ([`read`] notes it, for messages); not stored.
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// The routesim version that wrote it.
    pub routesim: String,
    /// The scenario file as the shard was given it.
    pub scenario: PathBuf,
    /// FNV-1a hash of the file's bytes, in hex.
    pub scenario_hash: String,
    /// The `--set` axes.
    pub axes: Vec<crate::sweep::Axis>,
    /// `--seed`, `--replications`, `--duration` as given to the shard.
    pub seed: Option<u64>,
    /// See `seed`.
    pub replications: Option<u32>,
    /// See `seed`.
    pub duration: Option<f64>,
    /// `--scale`, when given (see [`Partial::scale`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// This shard, from 0.
    pub shard: u32,
    /// Shards in all.
    pub of: u32,
    /// Its points' rows (each point whole: all its replications ran in this shard).
    pub done: crate::sweep::Done,
    /// A digest of everything above (FNV-1a over its JSON values), written by the shard and
    /// checked by [`read`]; absent in parts older routesim versions wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// The points shard `k` of `n` runs: a contiguous share of the grid.
pub fn points(count: usize, shard: Shard) -> std::ops::Range<usize> {
    let at = |i: u32| (count as u64 * i as u64 / shard.n as u64) as usize;
    at(shard.k)..at(shard.k + 1)
}

/// Runs shard `shard` of a sweep (its share of the points, each with all its replications).
/// `None` when `stop` ended it early.
pub fn run_sweep_shard(
    path: &Path,
    axes: &[crate::sweep::Axis],
    overrides: &Overrides,
    threads: usize,
    shard: Shard,
    stop: &(dyn Fn() -> bool + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<SweepPartial>> {
    recordable(path)?;
    let source = Source::read(path)?;
    let plan = crate::sweep::plan(&source, axes, overrides)?;
    if shard.n as usize > plan.points.len() {
        return Err(Error::Usage(format!(
            "--shard {}/{}: a grid of {} points cannot be split into {} shards; use at most {} shards",
            shard.k,
            shard.n,
            plan.points.len(),
            shard.n,
            plan.points.len()
        )));
    }
    let range = points(plan.points.len(), shard);
    let Some(done) = crate::sweep::run_points(&source, &plan, range, threads, stop, progress)?
    else {
        return Ok(None);
    };
    seal(SweepPartial {
        file: None,
        format: SWEEP_FORMAT.into(),
        routesim: env!("CARGO_PKG_VERSION").into(),
        scenario: path.to_path_buf(),
        scenario_hash: source.compile(overrides)?.source_hash,
        axes: axes.to_vec(),
        seed: overrides.seed,
        replications: overrides.replications,
        duration: overrides.duration,
        scale: scale_of(overrides),
        shard: shard.k,
        of: shard.n,
        done,
        digest: None,
    })
    .map(Some)
}

/// What every kind of partial says of itself.
trait Sharded {
    /// This shard, from 0.
    fn shard(&self) -> u32;
    /// Shards in all.
    fn of(&self) -> u32;
    /// The routesim version that wrote it.
    fn routesim(&self) -> &str;
    /// The file it was read from, if it was.
    fn file(&self) -> Option<&Path>;
    /// Notes the file it was read from.
    fn note_file(&mut self, path: &Path);
    /// Sets its digest (see [`seal`]).
    fn set_digest(&mut self, digest: String);
    /// Its digest, if it has one (see [`seal`]).
    fn digest(&self) -> Option<&str>;
    /// "shard K of N", and its file when known: what a message calls it.
    fn called(&self) -> String {
        match self.file() {
            Some(f) => format!("shard {} of {} ({})", self.shard(), self.of(), f.display()),
            None => format!("shard {} of {}", self.shard(), self.of()),
        }
    }
}

macro_rules! sharded {
    ($($t:ty),*) => {$(
        impl Sharded for $t {
            fn shard(&self) -> u32 { self.shard }
            fn of(&self) -> u32 { self.of }
            fn routesim(&self) -> &str { &self.routesim }
            fn file(&self) -> Option<&Path> { self.file.as_deref() }
            fn note_file(&mut self, path: &Path) { self.file = Some(path.to_path_buf()) }
            fn set_digest(&mut self, digest: String) { self.digest = Some(digest) }
            fn digest(&self) -> Option<&str> { self.digest.as_deref() }
        }
    )*};
}
sharded!(Partial, SweepPartial, ComparePartial, StaffPartial);

/// The parts of one sharded `what`, in shard order, with a note when another version wrote
/// one: refused unless they agree on `key` (scenario, its content, flags, shard count) and hold
/// every shard exactly once.
fn gather<P: Sharded, K: PartialEq>(
    mut parts: Vec<P>,
    key: impl Fn(&P) -> K,
    what: &str,
) -> Result<(Vec<P>, Vec<String>)> {
    let Some(first) = parts.first() else {
        return Err(Error::Usage(
            "merge needs the partial results to merge".into(),
        ));
    };
    let want = key(first);
    if let Some(other) = parts.iter().find(|p| key(p) != want) {
        return Err(Error::Usage(format!(
            "{} ran other options than {} (the scenario, its content or its data files, the flags or the shard count differ): they are not parts of one {what}",
            other.called(),
            first.called(),
        )));
    }
    let n = first.of();
    parts.sort_by_key(|p| p.shard());
    let got: Vec<u32> = parts.iter().map(|p| p.shard()).collect();
    complete(&got, n, |i| {
        parts[i].file().map(|f| f.display().to_string())
    })?;
    let mut notes = version_note(parts.iter().map(|p| (p.called(), p.routesim().to_string())));
    notes.extend(digest_note(&parts));
    Ok((parts, notes))
}

/// A partial result's digest: FNV-1a (the scenario's hash) over its JSON value, taken value by
/// value rather than over any text: an object's keys in sorted order, each string by its
/// characters, each number by the number it is (an integral one within 2^53 as that integer,
/// `41` and `41.0` alike; any other by its bits), so that any tool that writes the same values
/// in another layout keeps the digest, and a new float printer in serde_json does too. The
/// digest field itself is taken out by the caller.
fn digest_of(value: &serde_json::Value) -> String {
    use serde_json::Value;
    fn walk(v: &Value, h: &mut crate::scenario::Fnv1a) {
        let count = |h: &mut crate::scenario::Fnv1a, n: usize| h.write(&(n as u64).to_le_bytes());
        match v {
            Value::Null => h.write(b"n"),
            Value::Bool(b) => h.write(if *b { b"t" } else { b"f" }),
            // An integer, however written (`41`, `41.0`), as one; any other number by its bits.
            Value::Number(n) => {
                let exact = |x: &f64| x.fract() == 0.0 && x.abs() <= (1u64 << 53) as f64;
                let integer = (n.as_u64().map(i128::from))
                    .or(n.as_i64().map(i128::from))
                    .or(n.as_f64().filter(exact).map(|x| x as i128));
                match integer {
                    Some(i) => {
                        h.write(b"i");
                        h.write(&i.to_le_bytes());
                    }
                    None => {
                        let x = n.as_f64().unwrap_or(f64::NAN);
                        h.write(b"d");
                        h.write(&x.to_bits().to_le_bytes());
                    }
                }
            }
            Value::String(text) => {
                h.write(b"s");
                count(h, text.len());
                h.write(text.as_bytes());
            }
            Value::Array(items) => {
                h.write(b"[");
                count(h, items.len());
                for item in items {
                    walk(item, h);
                }
            }
            Value::Object(fields) => {
                h.write(b"{");
                count(h, fields.len());
                let mut keys: Vec<&String> = fields.keys().collect();
                keys.sort_unstable();
                for k in keys {
                    count(h, k.len());
                    h.write(k.as_bytes());
                    walk(&fields[k], h);
                }
            }
        }
    }
    let mut h = crate::scenario::Fnv1a::default();
    walk(value, &mut h);
    h.hex()
}

/// Gives a partial result, as a shard writes it, the digest of its contents: [`read`] refuses a
/// part whose contents no longer match it (a part edited or damaged since). Before, the merge
/// caught only the damage a fuzzing pass had found (numbers past any run's, figures of the
/// wrong shape); a count edited to 2^64 - 1 wrapped in the sum and printed wrong figures.
fn seal<P: Sharded + Serialize>(mut partial: P) -> Result<P> {
    let value = serde_json::to_value(&partial)
        .map_err(|e| Error::Run(format!("cannot write the partial result: {e}")))?;
    partial.set_digest(digest_of(&value));
    Ok(partial)
}

/// What a part whose figures do not have its scenario's shape is.
const SHAPE: &str = "its figures do not have the scenario's teams, rules, agents or channels";

/// The error for a part whose JSON reads but whose contents no shard could have written.
fn damaged(what: &str) -> Error {
    Error::Usage(format!("a damaged partial result: {what}"))
}

/// Whether every number in `figures` is one a run could write: a count, a time in seconds, a
/// share or a cost, each below 10^18 in size (the largest, a staffing cost, is at most 10^6 an
/// hour for 10 years and 100,000 agents, under 10^16). Pooling 10^308 overflowed to an infinite
/// confidence interval and panicked (found by a fuzzing helper); below 10^18 it cannot.
fn plausible<T: Serialize>(figures: &T) -> bool {
    fn walk(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Number(n) => n.as_f64().is_some_and(|x| x.abs() < 1e18),
            serde_json::Value::Array(a) => a.iter().all(walk),
            serde_json::Value::Object(o) => o.values().all(walk),
            _ => true,
        }
    }
    serde_json::to_value(figures).is_ok_and(|v| walk(&v))
}

/// Whether a merged part holds each of `replications` replications' figures, and only numbers
/// a run writes in them and in their intervals' figures (see [`plausible`]).
fn whole(part: &Part, replications: u32) -> bool {
    part.figures.len() == replications as usize
        && plausible(&part.figures)
        && plausible(&part.interval_figures)
}

/// Checks that shards `got` (sorted) are 0..n, each once; `file(i)` is where `got[i]` was
/// read from, if known, to name the files of a shard given more than once. Nothing here grows with `n`,
/// which a damaged part can make 4 billion (a list of 0..n ran out of memory; found by a
/// fuzzing helper): the missing shards are named up to ten, then counted.
fn complete(got: &[u32], n: u32, file: impl Fn(usize) -> Option<String>) -> Result<()> {
    if got.len() == n as usize && got.iter().enumerate().all(|(i, &k)| k as usize == i) {
        return Ok(());
    }
    let mut problems = Vec::new();
    // Each shard given more than once, with the files that hold it.
    let mut twice: Vec<String> = Vec::new();
    let mut at = 0;
    for run in got.chunk_by(|a, b| a == b) {
        if run.len() > 1 {
            let files: Vec<String> = (at..at + run.len()).filter_map(&file).collect();
            twice.push(match files.is_empty() {
                true => run[0].to_string(),
                false => format!("{} ({})", run[0], files.join(", ")),
            });
        }
        at += run.len();
    }
    if !twice.is_empty() {
        problems.push(format!(
            "a shard is given more than once: {}",
            twice.join(", ")
        ));
    }
    let beyond: Vec<String> = got
        .iter()
        .filter(|&&k| k >= n)
        .map(u32::to_string)
        .collect();
    if !beyond.is_empty() {
        problems.push(format!(
            "a shard beyond the count: {} (of {n})",
            beyond.join(", ")
        ));
    }
    let mut distinct = got.to_vec();
    distinct.dedup();
    let present = distinct.iter().filter(|&&k| k < n).count() as u64;
    let absent = n as u64 - present;
    if absent > 0 {
        const NAMED: usize = 10;
        let named: Vec<String> = (0..n)
            .filter(|k| distinct.binary_search(k).is_err())
            .take(NAMED)
            .map(|k| k.to_string())
            .collect();
        let more = match absent - named.len() as u64 {
            0 => String::new(),
            rest => format!(" and {rest} more"),
        };
        problems.push(format!(
            "shards missing: {}{more} (of {n})",
            named.join(", ")
        ));
    }
    Err(Error::Usage(problems.join("; ")))
}

/// Reads the scenario the shards ran and compiles it with `overrides`, refusing it when it or a
/// data file it reads changed since (its [`Model::source_hash`] is not the shards').
///
/// [`Model::source_hash`]: crate::model::Model::source_hash
fn scenario_of(
    path: &Path,
    hash: &str,
    overrides: &Overrides,
) -> Result<(Source, crate::model::Model)> {
    let source = Source::read(path).map_err(|e| match e {
        Error::Read { path, source } => Error::Usage(format!(
            "cannot read {}, the scenario the shards ran ({source}); a relative path is read from where merge runs",
            path.display()
        )),
        other => other,
    })?;
    let model = source.compile(overrides)?;
    if model.source_hash != hash {
        let files: Vec<&str> = model.inputs.iter().map(|(p, _)| p.as_str()).collect();
        let what = match files.is_empty() {
            true => String::new(),
            false => format!(" or a data file it reads ({})", files.join(", ")),
        };
        return Err(Error::Usage(format!(
            "{}{what} changed since the shards ran (hash {hash} then, {} now): rerun them",
            path.display(),
            model.source_hash
        )));
    }
    Ok((source, model))
}

/// A warning when a shard was written by another routesim version.
fn version_note(shards: impl Iterator<Item = (String, String)>) -> Vec<String> {
    shards
        .filter(|(_, v)| v != env!("CARGO_PKG_VERSION"))
        .take(1)
        .map(|(k, v)| {
            format!(
                "{k} was written by routesim {v}, this is {}: figures may differ from a run of this version",
                env!("CARGO_PKG_VERSION")
            )
        })
        .collect()
}

/// A note when parts have no digest (older versions wrote none, or it was taken out): their
/// contents cannot be checked whole, only by the merge's own checks.
fn digest_note<P: Sharded>(parts: &[P]) -> Option<String> {
    let mut unsealed = parts.iter().filter(|p| p.digest().is_none());
    let first = unsealed.next()?;
    let more = match unsealed.count() {
        0 => String::new(),
        n => format!(" (and {n} more)"),
    };
    Some(format!(
        "{}{more} has no digest, so an edit since the shard wrote it cannot be told; parts written by this version carry one",
        first.called()
    ))
}

/// Merges the partials of one sharded sweep into the sweep one machine would have printed.
pub fn merge_sweep(parts: Vec<SweepPartial>) -> Result<(crate::sweep::Sweep, Vec<String>)> {
    let key = |p: &SweepPartial| {
        (
            p.scenario.clone(),
            p.scenario_hash.clone(),
            p.axes.clone(),
            p.seed,
            p.replications,
            p.duration.map(f64::to_bits),
            p.scale.map(f64::to_bits),
            p.of,
        )
    };
    let (parts, notes) = gather(parts, key, "sweep")?;
    let first = &parts[0];
    let overrides = overrides_of(first.seed, first.replications, first.duration, first.scale);
    let (source, _) = scenario_of(&first.scenario, &first.scenario_hash, &overrides)?;
    let plan = crate::sweep::plan(&source, &first.axes, &overrides)?;
    let first_axes = first.axes.len();
    let mut dones = parts.into_iter().map(|p| p.done);
    let mut done = dones.next().expect("checked above");
    for d in dones {
        if d.points.start != done.points.end {
            return Err(Error::Usage(
                "the shards' points do not follow on from each other".into(),
            ));
        }
        done.merge(d);
    }
    if done.points != (0..plan.points.len()) {
        return Err(Error::Usage(format!(
            "the shards ran points {:?}, the grid has {}",
            done.points,
            plan.points.len()
        )));
    }
    if done.rows.len() != plan.points.len()
        || done.warnings.len() != plan.points.len()
        || done.rows.iter().any(|r| r.values.len() != first_axes)
    {
        return Err(damaged("a point's row or warnings do not match the grid"));
    }
    Ok((crate::sweep::assemble(&source, &plan, done), notes))
}

/// What a compare's partial says it is.
pub const COMPARE_FORMAT: &str = "routesim-compare-partial/1";

/// One shard's share of a comparison: the same replications of every scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComparePartial {
    /// [`COMPARE_FORMAT`].
    pub format: String,
    /// The file it was read from ([`read`] notes it, for messages); not stored.
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// The routesim version that wrote it.
    pub routesim: String,
    /// The scenario files as the shard was given them, the first being the baseline.
    pub scenarios: Vec<PathBuf>,
    /// FNV-1a hash of each file's bytes, in hex.
    pub scenario_hashes: Vec<String>,
    /// The seed every scenario ran with (the first's, or `--seed`).
    pub seed: u64,
    /// The replications every scenario ran with.
    pub replications: u32,
    /// `--duration` as given.
    pub duration: Option<f64>,
    /// `--scale`, when given (see [`Partial::scale`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// This shard, from 0.
    pub shard: u32,
    /// Shards in all.
    pub of: u32,
    /// Each scenario's part, in the order of `scenarios`.
    pub parts: Vec<Part>,
    /// A digest of everything above (FNV-1a over its JSON values), written by the shard and
    /// checked by [`read`]; absent in parts older routesim versions wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// The overrides a shard ran with (`--seed`, `--replications`, `--duration`, `--scale`), as
/// the merge compiles the scenario again: every kind of partial records these four.
fn overrides_of(
    seed: Option<u64>,
    replications: Option<u32>,
    duration: Option<f64>,
    scale: Option<f64>,
) -> Overrides {
    Overrides {
        seed,
        replications,
        duration,
        scale: scale.map(|m| (m, None)).into_iter().collect(),
        ..Default::default()
    }
}

/// The `--scale` in `o` as a partial records it (the product, should there be more than one).
fn scale_of(o: &Overrides) -> Option<f64> {
    o.scale.iter().map(|&(m, _)| m).reduce(|a, b| a * b)
}

/// Runs shard `shard` of a comparison: its share of the replications of every scenario. The
/// models are those `compare` runs (the first's seed and replications for all, and
/// `duration`, the `--duration` given, if any).
pub fn run_compare_shard(
    paths: &[PathBuf],
    models: &[crate::model::Model],
    duration: Option<f64>,
    scale: Option<f64>,
    threads: usize,
    shard: Shard,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ComparePartial> {
    for p in paths {
        recordable(p)?;
    }
    crate::compare::check(models)?;
    let (seed, replications) = (models[0].seed, models[0].replications);
    if shard.n > replications {
        return Err(Error::Usage(format!(
            "--shard {}/{}: {replications} replications cannot be split into {} shards; use at most {replications} shards",
            shard.k, shard.n, shard.n
        )));
    }
    let options = RunOptions {
        threads,
        interval: None,
    };
    let reps = experiment::shard(replications, shard.k, shard.n);
    let hashes = models.iter().map(|m| m.source_hash.clone()).collect();
    let parts: Vec<Part> = models
        .iter()
        .map(|m| {
            experiment::run_part(m, &options, reps.clone(), |_| experiment::Discard, progress).0
        })
        .collect();
    if let Some(e) = parts.iter().find_map(|p| p.failure.as_ref()) {
        return Err(crate::error::Error::Run(e.clone()));
    }
    seal(ComparePartial {
        file: None,
        format: COMPARE_FORMAT.into(),
        routesim: env!("CARGO_PKG_VERSION").into(),
        scenarios: paths.to_vec(),
        scenario_hashes: hashes,
        seed,
        replications,
        duration,
        scale,
        shard: shard.k,
        of: shard.n,
        parts,
        digest: None,
    })
}

/// Merges the partials of one sharded comparison into the comparison one machine would print.
pub fn merge_compare(
    parts: Vec<ComparePartial>,
) -> Result<(crate::compare::Comparison, Vec<String>)> {
    let key = |p: &ComparePartial| {
        (
            p.scenarios.clone(),
            p.scenario_hashes.clone(),
            p.seed,
            p.replications,
            p.duration.map(f64::to_bits),
            p.scale.map(f64::to_bits),
            p.of,
        )
    };
    let (parts, notes) = gather(parts, key, "comparison")?;
    let first = &parts[0];
    let overrides = overrides_of(
        Some(first.seed),
        Some(first.replications),
        first.duration,
        first.scale,
    );
    let mut models = Vec::new();
    for (path, hash) in first.scenarios.iter().zip(&first.scenario_hashes) {
        models.push(scenario_of(path, hash, &overrides)?.1);
    }
    crate::compare::name_apart(&mut models, &first.scenarios);
    let options = RunOptions {
        threads: 0,
        interval: None,
    };
    // Per scenario, its parts in shard order.
    let mut by_model: Vec<Option<Part>> = vec![None; models.len()];
    for p in parts {
        if p.parts.len() != models.len() {
            return Err(damaged(
                "a shard holds parts of another number of scenarios",
            ));
        }
        for (slot, part) in by_model.iter_mut().zip(p.parts) {
            match slot {
                None => *slot = Some(part),
                Some(whole) => {
                    if part.replications.start != whole.replications.end {
                        return Err(Error::Usage(
                            "the shards' replications do not follow on from each other".into(),
                        ));
                    }
                    whole.merge(part);
                }
            }
        }
    }
    let mut runs = Vec::new();
    for (m, part) in models.iter().zip(by_model) {
        let part = part.ok_or_else(|| Error::Usage("a shard holds too few scenarios".into()))?;
        if part.replications != (0..m.replications) {
            return Err(Error::Usage(format!(
                "the shards ran replications {:?} of {}, which has {}",
                part.replications, m.name, m.replications
            )));
        }
        if !whole(&part, m.replications) {
            return Err(damaged(
                "a replication's figures are missing or hold a number no run writes",
            ));
        }
        if !part.fits(m) {
            return Err(damaged(SHAPE));
        }
        runs.push(experiment::finish(m, &options, part));
    }
    Ok((crate::compare::assemble(&models, runs), notes))
}

/// What a per-interval staffing's partial says it is.
pub const STAFF_FORMAT: &str = "routesim-staff-partial/1";

/// One shard's share of `staff --per-interval`: the requirement of its intervals.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffPartial {
    /// [`STAFF_FORMAT`].
    pub format: String,
    /// The file it was read from ([`read`] notes it, for messages); not stored.
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// The routesim version that wrote it.
    pub routesim: String,
    /// The scenario file as the shard was given it.
    pub scenario: PathBuf,
    /// FNV-1a hash of the file's bytes, in hex.
    pub scenario_hash: String,
    /// The targets, as written.
    pub targets: Vec<String>,
    /// The varied groups.
    pub vary: Vec<String>,
    /// What was made smallest.
    pub minimize: crate::staff::Minimize,
    /// `--seed`, `--replications`, `--duration` as given to the shard.
    pub seed: Option<u64>,
    /// See `seed`.
    pub replications: Option<u32>,
    /// See `seed`.
    pub duration: Option<f64>,
    /// `--scale`, when given (see [`Partial::scale`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// This shard, from 0.
    pub shard: u32,
    /// Shards in all.
    pub of: u32,
    /// Its intervals' requirements.
    pub needs: crate::staff::Needs,
    /// A digest of everything above (FNV-1a over its JSON values), written by the shard and
    /// checked by [`read`]; absent in parts older routesim versions wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// Runs shard `shard` of `staff --per-interval`: the requirement of its share of the intervals.
pub fn run_staff_shard(
    path: &Path,
    q: &crate::staff::Query,
    len: u64,
    shard: Shard,
    step: &(dyn Fn(&str) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<StaffPartial> {
    recordable(path)?;
    let source = Source::read(path)?;
    let needs =
        crate::staff::interval_needs(&source, q, len, Some((shard.k, shard.n)), step, stop)?;
    seal(StaffPartial {
        file: None,
        format: STAFF_FORMAT.into(),
        routesim: env!("CARGO_PKG_VERSION").into(),
        scenario: path.to_path_buf(),
        scenario_hash: source.compile(&q.base)?.source_hash,
        targets: q.targets.iter().map(|t| t.text.clone()).collect(),
        vary: q.vary.clone(),
        minimize: q.minimize,
        seed: q.base.seed,
        replications: q.base.replications,
        duration: q.base.duration,
        scale: scale_of(&q.base),
        shard: shard.k,
        of: shard.n,
        needs,
        digest: None,
    })
}

/// Merges the partials of one sharded `staff --per-interval`: the whole curve, then the whole
/// run with it as roster (simulated here, as `staff` does after its intervals). `step` hears
/// what is being simulated; once `stop` says true, the merge ends with
/// [`Error::Interrupted`].
pub fn merge_staff(
    parts: Vec<StaffPartial>,
    threads: usize,
    step: &(dyn Fn(&str) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<(crate::staff::Requirement, Vec<String>)> {
    let key = |p: &StaffPartial| {
        (
            p.scenario.clone(),
            p.scenario_hash.clone(),
            p.targets.clone(),
            p.vary.clone(),
            p.minimize,
            p.seed,
            p.replications,
            p.duration.map(f64::to_bits),
            p.scale.map(f64::to_bits),
            p.needs.len,
            p.of,
        )
    };
    let (parts, notes) = gather(parts, key, "staffing curve")?;
    let first = &parts[0];
    let base = overrides_of(first.seed, first.replications, first.duration, first.scale);
    let (source, _) = scenario_of(&first.scenario, &first.scenario_hash, &base)?;
    let targets = first
        .targets
        .iter()
        .map(|t| t.parse().map_err(Error::Usage))
        .collect::<Result<Vec<_>>>()?;
    let q = crate::staff::Query {
        targets,
        vary: first.vary.clone(),
        minimize: first.minimize,
        base,
        threads,
    };
    let mut all = parts.into_iter().map(|p| p.needs);
    let mut needs = all.next().expect("checked above");
    for p in all {
        if p.range.start != needs.range.end {
            return Err(Error::Usage(
                "the shards' intervals do not follow on from each other".into(),
            ));
        }
        needs.merge(p);
    }
    let groups = q.vary.len();
    let most = crate::scenario::limits::MAX_AGENTS;
    if needs.intervals.len() as u64 != needs.range.end.saturating_sub(needs.range.start)
        || needs
            .intervals
            .iter()
            .any(|i| i.agents.len() != groups || i.agents.iter().any(|&a| a as u64 > most))
    {
        return Err(damaged(
            "an interval's requirement does not match the groups varied, or names more than 100,000 agents",
        ));
    }
    Ok((
        crate::staff::check_curve(&source, &q, needs, step, stop)?,
        notes,
    ))
}

/// Merges the partials of one sharded run (any order; every shard exactly once) into its
/// report, as one machine would have written it.
pub fn merge(parts: Vec<Partial>, threads: usize) -> Result<Merged> {
    let key = |p: &Partial| {
        (
            p.scenario.clone(),
            p.scenario_hash.clone(),
            p.seed,
            p.replications,
            p.duration.map(f64::to_bits),
            p.scale.map(f64::to_bits),
            p.interval,
            p.of,
        )
    };
    let (parts, notes) = gather(parts, key, "run")?;
    let first = &parts[0];
    let overrides = overrides_of(first.seed, first.replications, first.duration, first.scale);
    let (_, model) = scenario_of(&first.scenario, &first.scenario_hash, &overrides)?;
    let options = RunOptions {
        threads,
        interval: first.interval.map(SimTime),
    };
    let scenario = first.scenario.clone();
    let mut parts = parts.into_iter().map(|p| p.part);
    let mut part = parts.next().expect("checked above");
    for p in parts {
        if p.replications.start != part.replications.end {
            return Err(Error::Usage(
                "the shards' replications do not follow on from each other".into(),
            ));
        }
        part.merge(p);
    }
    if part.replications != (0..model.replications) {
        return Err(Error::Usage(format!(
            "the shards ran replications {:?}, the scenario has {}",
            part.replications, model.replications
        )));
    }
    if !whole(&part, model.replications) {
        return Err(damaged(
            "a replication's figures are missing or hold a number no run writes",
        ));
    }
    if !part.fits(&model) {
        return Err(damaged(SHAPE));
    }
    let waits = part.collector.wait_curves(&model);
    Ok(Merged {
        summary: experiment::finish(&model, &options, part).0,
        waits,
        model,
        scenario,
        notes,
    })
}

/// The report of a run merged from its shards.
#[derive(Debug)]
pub struct Merged {
    /// The report, byte for byte the one a single machine would have made.
    pub summary: Summary,
    /// The wait curves of the pooled chats (for the HTML report), as one machine's run gives.
    pub waits: WaitCurves,
    /// The scenario compiled as the shards ran it (for its `[[slo]]` and the report's shape).
    pub model: crate::model::Model,
    /// The scenario file.
    pub scenario: PathBuf,
    /// Notes about the parts (another routesim version made one).
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shard once is complete; otherwise the message says what is twice, beyond the
    /// count or missing (ten named, the rest counted), and a count of 4 billion costs nothing.
    #[test]
    fn complete_names_what_is_twice_beyond_or_missing() {
        let unknown = |_: usize| None;
        let msg = |got: &[u32], n| complete(got, n, unknown).unwrap_err().to_string();
        assert!(complete(&[0, 1, 2], 3, unknown).is_ok());
        assert!(complete(&[], 0, unknown).is_ok());
        assert_eq!(
            msg(&[0, 1, 1], 3),
            "a shard is given more than once: 1; shards missing: 2 (of 3)"
        );
        // The files, where known, of each shard given more than once.
        let files = ["a.json", "b.json", "c.json", "d.json", "e.json"];
        let file = |i: usize| Some(files[i].to_string());
        assert_eq!(
            complete(&[0, 0, 1, 1, 1], 2, file).unwrap_err().to_string(),
            "a shard is given more than once: 0 (a.json, b.json), 1 (c.json, d.json, e.json)"
        );
        assert_eq!(
            msg(&[0, 5], 2),
            "a shard beyond the count: 5 (of 2); shards missing: 1 (of 2)"
        );
        assert_eq!(
            msg(&[5], u32::MAX),
            "shards missing: 0, 1, 2, 3, 4, 6, 7, 8, 9, 10 and 4294967284 more (of 4294967295)"
        );
    }

    /// The merge of `staff --per-interval` shards simulates the whole window once (minutes on a
    /// busy desk): it says so through `step`, and `stop` ends it with `Interrupted` (it had
    /// run to the end whatever the user pressed).
    #[test]
    fn a_staffing_merge_tells_its_step_and_stops_when_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.toml");
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/bench/mmc-100.toml"
        ))
        .unwrap();
        std::fs::write(&path, text.replace("173h36m", "2h")).unwrap();
        let q = crate::staff::Query {
            targets: vec!["sl(20s) >= 0.8".parse().unwrap()],
            vary: vec!["agent".into()],
            minimize: crate::staff::Minimize::Agents,
            base: Overrides {
                replications: Some(2),
                duration: Some(60.0),
                ..Overrides::default()
            },
            threads: 1,
        };
        let part = |stop: &(dyn Fn() -> bool + Sync)| {
            let shard = Shard { k: 0, n: 1 };
            run_staff_shard(
                &path,
                &q,
                3_600 * crate::model::TICKS_PER_SEC,
                shard,
                &|_| {},
                stop,
            )
        };
        assert!(matches!(part(&|| true), Err(Error::Interrupted)));
        let heard = std::sync::Mutex::new(Vec::new());
        let step = |what: &str| heard.lock().unwrap().push(what.to_string());
        let merged = merge_staff(vec![part(&|| false).unwrap()], 1, &step, &|| true);
        assert!(matches!(merged, Err(Error::Interrupted)), "{merged:?}");
        assert_eq!(
            *heard.lock().unwrap(),
            ["the whole run with the curve as roster"]
        );
        let (need, _) = merge_staff(vec![part(&|| false).unwrap()], 1, &|_| {}, &|| false).unwrap();
        assert_eq!(need.intervals.len(), 2);
    }

    #[test]
    fn shards_read_k_of_n_or_take_k_from_the_scheduler() {
        let none = |_: &str| None;
        assert_eq!(Shard::parse("2/5", none), Ok(Shard { k: 2, n: 5 }));
        let slurm = |v: &str| (v == "SLURM_ARRAY_TASK_ID").then(|| "3".to_string());
        assert_eq!(Shard::parse("8", slurm), Ok(Shard { k: 3, n: 8 }));
        let k8s = |v: &str| (v == "JOB_COMPLETION_INDEX").then(|| "0".to_string());
        assert_eq!(Shard::parse("2", k8s), Ok(Shard { k: 0, n: 2 }));
        assert!(Shard::parse("5/5", none).is_err());
        assert!(
            Shard::parse("0/0", none)
                .unwrap_err()
                .contains("at least 1")
        );
        let too_far = |v: &str| (v == "SLURM_ARRAY_TASK_ID").then(|| "4".to_string());
        assert!(
            Shard::parse("4", too_far)
                .unwrap_err()
                .contains("K = 4 from SLURM_ARRAY_TASK_ID")
        );
        let empty = |v: &str| match v {
            "SLURM_ARRAY_TASK_ID" => Some(String::new()),
            _ => Some("1".to_string()),
        };
        assert_eq!(Shard::parse("2", empty), Ok(Shard { k: 1, n: 2 }));
        assert!(
            Shard::parse("8", none)
                .unwrap_err()
                .contains("SLURM_ARRAY_TASK_ID")
        );
        assert!(Shard::parse("a/2", none).is_err());
    }

    #[test]
    fn shards_cover_every_replication_once_in_order() {
        for (reps, n) in [(10, 1), (10, 3), (7, 7), (5, 2)] {
            let all: Vec<u32> = (0..n).flat_map(|k| experiment::shard(reps, k, n)).collect();
            assert_eq!(all, (0..reps).collect::<Vec<_>>());
        }
    }
}
