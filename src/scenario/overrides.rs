//! Overrides: values given outside the file (`--seed`, `--replications`, `--duration`, and
//! whatever a sweep or staffing search varies next) that replace the file's.
//!
//! They are applied to the raw scenario *before* it is compiled, as ripgrep turns flags into
//! arguments before validating them: an overridden value goes through exactly the checks the
//! file's own value would, and the compiled [`Model`](crate::model::Model) is never edited
//! afterwards. A problem with an overridden value names the flag instead of a line.

use toml::Spanned;

use super::raw::RawScenario;
use super::values::Secs;
use crate::error::Diagnostic;

/// One agent's working windows: (start, length) in ticks since Monday 00:00.
pub type AgentWindows = Vec<(u64, u64)>;

/// Values that replace the scenario file's. `None` keeps the file's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `simulation.seed`.
    pub seed: Option<u64>,
    /// `simulation.replications`.
    pub replications: Option<u32>,
    /// `simulation.duration`, seconds.
    pub duration: Option<f64>,
    /// `simulation.warmup`, seconds.
    pub warmup: Option<f64>,
    /// `report.service_level`, seconds (a target such as `sl(20s) >= 0.8` sets it).
    pub service_level: Option<f64>,
    /// A stationary run frozen at this moment of the week (ticks since Monday 00:00): sets
    /// `simulation.start` and `simulation.stationary`.
    pub stationary_at: Option<u64>,
    /// `[[agents]]` entries (by name) on shift all the time: their `shift`, `breaks` and
    /// `absence` are dropped.
    pub always_on: Vec<String>,
    /// `[[agents]]` entries (by name) whose agents get these working windows instead of
    /// `count` and `shift`: one agent per list, each window (start, length) in ticks since
    /// Monday 00:00. What a requirement curve turns into.
    pub windows: Vec<(String, Vec<AgentWindows>)>,
    /// `count` of `[[agents]]` entries by name (a staffing search varies them), with the flag
    /// that names the entry.
    pub counts: Vec<(String, u32)>,
}

/// The span given to an overridden value: past the end of any file, so it has no line.
fn nowhere() -> std::ops::Range<usize> {
    usize::MAX..usize::MAX
}

impl Overrides {
    /// Writes the overrides into `raw`; returns each overridden key path (as errors name it,
    /// such as `simulation.duration` or, for a sweep, `agents[3].count`) with what set it, or
    /// why an override names nothing the file has.
    pub(super) fn apply(&self, raw: &mut RawScenario) -> Result<Vec<(String, String)>, Diagnostic> {
        let mut by: Vec<(String, String)> = Vec::new();
        let mut note = |key: &str, flag: &str| by.push((key.into(), flag.into()));
        let sim = &mut raw.simulation;
        if let Some(seed) = self.seed {
            sim.seed = Some(seed);
            note("simulation.seed", "--seed");
        }
        if let Some(r) = self.replications {
            sim.replications = Some(Spanned::new(nowhere(), r));
            note("simulation.replications", "--replications");
        }
        if let Some(d) = self.duration {
            sim.duration = Spanned::new(nowhere(), Secs(d));
            note("simulation.duration", "--duration");
        }
        if let Some(t) = self.service_level {
            raw.report.service_level = Some(Secs(t));
            note("report.service_level", "--target");
        }
        if let Some(w) = self.warmup {
            raw.simulation.warmup = Some(Secs(w));
            note("simulation.warmup", "--warmup");
        }
        if let Some(at) = self.stationary_at {
            let ticks = at % crate::model::WEEK;
            raw.simulation.start = Some(Spanned::new(
                nowhere(),
                crate::model::WeekTime(ticks).to_string(),
            ));
            raw.simulation.stationary = Some(true);
        }
        for (name, count) in &self.counts {
            let i = entry(raw, name)?;
            raw.agents[i].get_mut().count = Some(Spanned::new(nowhere(), *count));
            note(&format!("agents[{i}].count"), "--vary");
        }
        for name in &self.always_on {
            let i = entry(raw, name)?;
            let agent = raw.agents[i].get_mut();
            (agent.shift, agent.breaks, agent.absence) = (None, None, None);
        }
        for (name, windows) in &self.windows {
            let i = entry(raw, name)?;
            let agent = raw.agents[i].get_mut();
            (agent.shift, agent.breaks, agent.count) = (None, None, None);
            agent.windows = Some(windows.clone());
        }
        Ok(by)
    }
}

/// The one `[[agents]]` entry named `name` that a search may change (not one read from a
/// roster file).
fn entry(raw: &RawScenario, name: &str) -> Result<usize, Diagnostic> {
    let found: Vec<usize> = raw
        .agents
        .iter()
        .enumerate()
        .filter(|(_, a)| a.get_ref().name.get_ref().trim() == name)
        .map(|(i, _)| i)
        .collect();
    let &[i] = &found[..] else {
        let known: Vec<&str> = raw
            .agents
            .iter()
            .map(|a| a.get_ref().name.get_ref().as_str())
            .collect();
        return Err(Diagnostic::new(
            "agents",
            None,
            format!("no single [[agents]] entry named \"{name}\" to vary"),
        )
        .with_hint(format!("agent groups: {}", known.join(", "))));
    };
    if raw.agents[i].get_ref().roster.is_some() {
        return Err(Diagnostic::new(
            format!("agents[{i}]"),
            None,
            format!("\"{name}\" takes its agents from a roster file, so its count cannot vary"),
        ));
    }
    Ok(i)
}
