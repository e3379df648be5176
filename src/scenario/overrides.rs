//! Overrides: values given outside the file (`--seed`, `--replications`, `--duration`, a
//! staffing search's counts, a sweep's `--set PATH=VALUE`) that replace the file's.
//!
//! They are applied to the raw scenario *before* it is compiled, as ripgrep turns flags into
//! arguments before validating them: an overridden value goes through exactly the checks the
//! file's own value would, and the compiled [`Model`](crate::model::Model) is never edited
//! afterwards. A problem with an overridden value names the flag instead of a line.
//!
//! A `--set` path addresses the file by names where the file has them (`agents.support.count`
//! is the `count` of the `[[agents]]` entry named `support`), by position where it has none
//! (`rules.tech.route[0].timeout`); its value is read by the same `Deserialize` as the file's
//! value at that key, from the TOML value the text spells (`8`, `0.5`, an inline table) or,
//! when the text is no TOML value, from the text as a string (`30s`, `2/min`, `least_busy`).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;

use super::raw::{RawAgent, RawRule, RawScenario, RawTeam, RawTraffic};
use super::values::{DistSpec, Rate, Secs};
use crate::error::Diagnostic;
use crate::model::Strategy;

/// The paths `--set` can address: `NAME` is an entry's `name`, `N` a position from 0.
pub const SET_PATHS: [&str; 21] = [
    "simulation.seed",
    "simulation.replications",
    "simulation.duration",
    "simulation.warmup",
    "simulation.max_waiting",
    "report.service_level",
    "agents.NAME.count",
    "agents.NAME.max_chats",
    "agents.NAME.cost",
    "agents.NAME.speed",
    "agents.NAME.absence",
    "agents.NAME.level",
    "teams.NAME.strategy",
    "traffic.NAME.rate",
    "traffic.NAME.scale",
    "traffic.NAME.handle_time",
    "traffic.NAME.handle_time.mean",
    "traffic.NAME.patience",
    "traffic.NAME.patience.mean",
    "rules.NAME.priority",
    "rules.NAME.route[N].timeout",
];

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
    /// `count` and `shift`: one agent per list. What a requirement curve turns into.
    pub windows: Vec<(String, Vec<AgentWindows>)>,
    /// `count` of `[[agents]]` entries by name (a staffing search varies them), with the flag
    /// that names the entry.
    pub counts: Vec<(String, u32)>,
    /// A multiplier of the traffic's volume, on top of each stream's own `scale` (the file's,
    /// or a `--set`'s): of every stream, or of the one named (`--scale`, and a stress test's
    /// load). Applied after `sets`, each in turn.
    pub scale: Vec<(f64, Option<String>)>,
    /// `simulation.ramp`: from, to, per hour and the one stream (a stress test's `--ramp`).
    pub ramp: Option<(f64, f64, f64, Option<String>)>,
    /// Every `[[agents]]` entry's `count` scaled so that the desk has exactly this many agents
    /// (`routesim bench --agents`): shared in proportion to the entries' counts (largest
    /// remainder, ties to the earlier entry), each entry keeping at least one agent, so teams
    /// keep their make-up. An entry with a roster file cannot be scaled. Applied before
    /// `counts`.
    pub agents_total: Option<u32>,
    /// Settings by path, such as (`agents.support.count`, `8`) (a sweep's points): see
    /// [`SET_PATHS`] for the paths. Applied after the fields above, in order; a key set twice
    /// is an error.
    pub sets: Vec<(String, String)>,
}

/// The span given to an overridden value: past the end of any file, so it has no line.
fn nowhere() -> std::ops::Range<usize> {
    usize::MAX..usize::MAX
}

fn spanned<T>(v: T) -> Spanned<T> {
    Spanned::new(nowhere(), v)
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
            sim.replications = Some(spanned(r));
            note("simulation.replications", "--replications");
        }
        if let Some(d) = self.duration {
            sim.duration = spanned(Secs(d));
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
        if let Some((from, to, per_hour, stream)) = &self.ramp {
            raw.simulation.ramp = Some(spanned(super::raw::RawRamp {
                from: *from,
                to: *to,
                per_hour: *per_hour,
                stream: stream.clone(),
            }));
            note("simulation.ramp", "--ramp");
        }
        if let Some(at) = self.stationary_at {
            let ticks = at % crate::model::WEEK;
            raw.simulation.start = Some(spanned(crate::model::WeekTime(ticks).to_string()));
            raw.simulation.stationary = Some(true);
        }
        if let Some(total) = self.agents_total {
            scale_agents(raw, total)?;
            for i in 0..raw.agents.len() {
                note(&format!("agents[{i}].count"), "--agents");
            }
        }
        for (name, count) in &self.counts {
            let (i, count_key) = group(raw, name)?;
            raw.agents[i].get_mut().count = Some(spanned(*count));
            note(&count_key, "--vary");
        }
        for name in &self.always_on {
            let i = group(raw, name)?.0;
            let agent = raw.agents[i].get_mut();
            (agent.shift, agent.breaks, agent.absence) = (None, None, None);
        }
        for (name, windows) in &self.windows {
            let i = group(raw, name)?.0;
            let agent = raw.agents[i].get_mut();
            (agent.shift, agent.breaks, agent.count) = (None, None, None);
            agent.windows = Some(windows.clone());
        }
        for (path, text) in &self.sets {
            let flag = format!("--set {path}={text}");
            let key = set(raw, path, text).map_err(|e| match e {
                SetError::Path(d) => d,
                SetError::Value(key, message) => {
                    Diagnostic::new(format!("{key} (set by {flag})"), None, message)
                }
            })?;
            if let Some((_, first)) = by.iter().find(|(k, _)| *k == key) {
                return Err(Diagnostic::new(
                    format!("--set {path}"),
                    None,
                    format!("{key} is set twice: by {first} and by {flag}"),
                ));
            }
            by.push((key, flag));
        }
        // After `--set`: the multiplier applies to the scale a sweep's point sets, too.
        for (m, stream) in &self.scale {
            let only = match stream {
                Some(name) => Some(entry(
                    &raw.traffic,
                    name,
                    &traffic_name,
                    "[[traffic]] stream",
                    "traffic streams",
                )?),
                None => None,
            };
            for (i, t) in raw.traffic.iter_mut().enumerate() {
                if only.is_none_or(|j| j == i) {
                    let t = t.get_mut();
                    let file = t.scale.as_ref().map_or(1.0, |s| *s.get_ref());
                    t.scale = Some(spanned(file * m));
                    let key = format!("traffic[{i}].scale");
                    if !by.iter().any(|(k, _)| *k == key) {
                        by.push((key, "--scale".into()));
                    }
                }
            }
        }
        Ok(by)
    }
}

/// Sets every `[[agents]]` entry's count so that they add up to `total`, in proportion to the
/// file's counts (largest remainder), each keeping at least one agent.
fn scale_agents(raw: &mut RawScenario, total: u32) -> Result<(), Diagnostic> {
    let mut counts = Vec::with_capacity(raw.agents.len());
    for (i, a) in raw.agents.iter().enumerate() {
        let a = a.get_ref();
        if a.roster.is_some() {
            return Err(Diagnostic::new(
                format!("agents[{i}]"),
                None,
                format!(
                    "\"{}\" takes its agents from a roster file, so --agents cannot scale it",
                    a.name.get_ref()
                ),
            ));
        }
        counts.push(a.count.as_ref().map_or(1, |c| *c.get_ref()) as u64);
    }
    let entries = counts.len() as u64;
    let file_total: u64 = counts.iter().sum();
    if entries == 0 || file_total == 0 {
        return Err(Diagnostic::new(
            "agents",
            None,
            "the scenario has no agents for --agents to scale",
        ));
    }
    if (total as u64) < entries {
        return Err(Diagnostic::new(
            "agents",
            None,
            format!(
                "--agents {total} is fewer than the scenario's {entries} [[agents]] entries (each keeps at least one agent)"
            ),
        ));
    }
    // Shares of `total` in exact integer arithmetic: quotient, then the largest remainders
    // (ties to the earlier entry); then an entry left with none takes one from the largest.
    let total = total as u64;
    let mut shares: Vec<(u64, u64, usize)> = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| (c * total / file_total, c * total % file_total, i))
        .collect();
    let left = total - shares.iter().map(|s| s.0).sum::<u64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(shares[i].1), i));
    for &i in order.iter().take(left as usize) {
        shares[i].0 += 1;
    }
    for i in 0..shares.len() {
        if shares[i].0 == 0 {
            let largest = (0..shares.len())
                .max_by_key(|&j| (shares[j].0, std::cmp::Reverse(j)))
                .expect("entries");
            shares[largest].0 -= 1;
            shares[i].0 = 1;
        }
    }
    for (a, (share, _, _)) in raw.agents.iter_mut().zip(shares) {
        a.get_mut().count = Some(spanned(share as u32));
    }
    Ok(())
}

/// The `[[agents]]` entry a staffing search changes, and the key its count has, or why it
/// cannot (no such entry, or its agents come from a roster file).
fn group(raw: &RawScenario, name: &str) -> Result<(usize, String), Diagnostic> {
    let i = entry(
        &raw.agents,
        name,
        &agent_name,
        "[[agents]] entry",
        "agent groups",
    )
    .map_err(|mut d| {
        d.message.push_str(" to vary");
        d
    })?;
    Ok((i, vary_count(raw, i, name)?))
}

/// The key `--vary` sets in entry `i`, or why its count cannot vary.
fn vary_count(raw: &RawScenario, i: usize, name: &str) -> Result<String, Diagnostic> {
    if raw.agents[i].get_ref().roster.is_some() {
        return Err(Diagnostic::new(
            format!("agents[{i}]"),
            None,
            format!("\"{name}\" takes its agents from a roster file, so its count cannot vary"),
        ));
    }
    Ok(format!("agents[{i}].count"))
}

fn agent_name(a: &RawAgent) -> &str {
    a.name.get_ref()
}
fn team_name(t: &RawTeam) -> &str {
    t.name.get_ref()
}
fn traffic_name(t: &RawTraffic) -> &str {
    t.name.get_ref()
}
fn rule_name(r: &RawRule) -> &str {
    r.name.get_ref()
}

/// Names listed in a hint before the list is cut.
const NAMES_SHOWN: usize = 20;

/// The index of the one entry named `name` (names compared trimmed, as the compiler does), or
/// an error listing the names there are.
fn entry<T>(
    entries: &[Spanned<T>],
    name: &str,
    name_of: &dyn Fn(&T) -> &str,
    what: &str,
    listed: &str,
) -> Result<usize, Diagnostic> {
    let found: Vec<usize> = (0..entries.len())
        .filter(|&i| name_of(entries[i].get_ref()).trim() == name.trim())
        .collect();
    if let &[i] = &found[..] {
        return Ok(i);
    }
    let table = what.split(' ').next().unwrap_or(what);
    let table = table.trim_matches(|c| c == '[' || c == ']');
    let known: Vec<&str> = entries.iter().map(|e| name_of(e.get_ref())).collect();
    let mut shown = known
        .iter()
        .take(NAMES_SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if known.len() > NAMES_SHOWN {
        shown.push_str(&format!(", ... ({} in all)", known.len()));
    }
    if known.is_empty() {
        shown = "none".into();
    }
    Err(
        Diagnostic::new(table, None, format!("no single {what} named \"{name}\""))
            .with_hint(format!("{listed}: {shown}")),
    )
}

/// Why a `--set` did not apply.
enum SetError {
    /// The path names nothing the file has (the diagnostic is complete).
    Path(Diagnostic),
    /// The value at this key (as errors name it) cannot be read: why.
    Value(String, String),
}

/// The TOML value a `--set` text spells, or the text as a string when it spells none (`30s`,
/// `2/min`, `least_busy` are no TOML values, and are what the file would write in quotes).
fn toml_value(text: &str) -> toml::Value {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct One {
        v: toml::Value,
    }
    let text = text.trim();
    toml::from_str::<One>(&format!("v = {text}"))
        .map(|one| one.v)
        .unwrap_or_else(|_| toml::Value::String(text.to_string()))
}

/// Reads a `--set` text as the file's value of type `T` is read: first as the file would
/// (straight into `T`, so a seed past `i64::MAX` is read as the file reads it, where a
/// `toml::Value` holds only `i64`), then through [`toml_value`], which also reads a bare word
/// as text (`1m30s`) and gives the message for a value of the wrong kind.
fn read<T: DeserializeOwned>(key: &str, text: &str) -> Result<T, SetError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct One<T> {
        v: T,
    }
    let direct = toml::from_str::<One<T>>(&format!("v = {}", text.trim()));
    let e = match direct {
        Ok(one) => return Ok(one.v),
        Err(e) => e,
    };
    // An integer too large for `T` would read as text below: its own message says more. (Not
    // one TOML cannot read, such as `0600`, which is read as text below, as it always was.)
    let integer = text.trim().trim_start_matches(['+', '-']).replace('_', "");
    if integer.parse::<u128>().is_ok() && !(integer.len() > 1 && integer.starts_with('0')) {
        return Err(SetError::Value(key.into(), e.message().into()));
    }
    T::deserialize(toml_value(text)).map_err(|e| SetError::Value(key.into(), e.message().into()))
}

/// The distribution `spec` with its mean set to `text`, checked as a file's would be: the
/// shape and any `sd` are kept.
fn with_mean(key: &str, spec: &DistSpec, text: &str) -> Result<DistSpec, SetError> {
    let table = |dist: &str, sd: Option<f64>| {
        let mut t = toml::Table::new();
        t.insert("dist".into(), dist.into());
        t.insert("mean".into(), toml_value(text));
        if let Some(sd) = sd {
            t.insert("sd".into(), sd.into());
        }
        toml::Value::Table(t)
    };
    let value = match spec {
        DistSpec::Constant(_) => toml_value(text),
        DistSpec::Exponential { .. } => table("exponential", None),
        DistSpec::LogNormal { sd, .. } => table("lognormal", Some(*sd)),
        DistSpec::Gamma { sd, .. } => table("gamma", Some(*sd)),
        DistSpec::Uniform { .. } | DistSpec::Empirical { .. } => {
            let dist = match spec {
                DistSpec::Uniform { .. } => "uniform",
                _ => "empirical",
            };
            return Err(SetError::Value(
                key.into(),
                format!(
                    "a {dist} distribution has no mean to set; set the whole distribution instead, such as {}={{ dist = \"exponential\", mean = \"4m\" }}",
                    key_path_hint(key)
                ),
            ));
        }
    };
    DistSpec::deserialize(value).map_err(|e| SetError::Value(key.into(), e.message().into()))
}

/// `traffic[0].handle_time` -> `traffic.NAME.handle_time`, for a hint.
fn key_path_hint(key: &str) -> String {
    let field = key.rsplit('.').next().unwrap_or(key);
    format!("traffic.NAME.{field}")
}

/// Which of `fields` `rest` (`NAME.FIELD`) ends with, longest first, and the name before it.
fn split_field<'p>(rest: &'p str, fields: &[&'static str]) -> Option<(&'p str, &'static str)> {
    let mut by_length = fields.to_vec();
    by_length.sort_by_key(|f| std::cmp::Reverse(f.len()));
    by_length.into_iter().find_map(|f| {
        rest.strip_suffix(f)
            .and_then(|n| n.strip_suffix('.'))
            .filter(|n| !n.is_empty())
            .map(|n| (n, f))
    })
}

/// Applies one `--set`: returns the key it set, as errors name it (`agents[2].count`).
fn set(raw: &mut RawScenario, path: &str, text: &str) -> Result<String, SetError> {
    let unknown = |hint: String| {
        SetError::Path(
            Diagnostic::new(format!("--set {path}"), None, "no such setting".to_string())
                .with_hint(hint),
        )
    };
    let all_paths = || format!("settable paths: {}", SET_PATHS.join(", "));
    let Some((table, rest)) = path.trim().split_once('.') else {
        return Err(unknown(all_paths()));
    };
    let paths_of = |table: &str| {
        let of: Vec<&str> = SET_PATHS
            .iter()
            .copied()
            .filter(|p| p.starts_with(&format!("{table}.")))
            .collect();
        format!("paths in {table}: {}", of.join(", "))
    };
    let in_entry = |mut d: Diagnostic| {
        d.key = format!("--set {path}");
        SetError::Path(d)
    };
    match table {
        "simulation" => {
            let sim = &mut raw.simulation;
            let key = format!("simulation.{rest}");
            match rest {
                "seed" => sim.seed = Some(read(&key, text)?),
                "replications" => sim.replications = Some(spanned(read(&key, text)?)),
                "duration" => sim.duration = spanned(read(&key, text)?),
                "warmup" => sim.warmup = Some(read(&key, text)?),
                "max_waiting" => sim.max_waiting = Some(spanned(read(&key, text)?)),
                _ => return Err(unknown(paths_of(table))),
            }
            Ok(key)
        }
        "report" => match rest {
            "service_level" => {
                let key = "report.service_level".to_string();
                raw.report.service_level = Some(read(&key, text)?);
                Ok(key)
            }
            _ => Err(unknown(paths_of(table))),
        },
        "agents" => {
            const FIELDS: [&str; 6] = ["count", "max_chats", "cost", "speed", "absence", "level"];
            let (name, field) =
                split_field(rest, &FIELDS).ok_or_else(|| unknown(paths_of(table)))?;
            let i = entry(
                &raw.agents,
                name,
                &agent_name,
                "[[agents]] entry",
                "agent groups",
            )
            .map_err(in_entry)?;
            let key = format!("agents[{i}].{field}");
            if field == "count" && raw.agents[i].get_ref().roster.is_some() {
                return Err(SetError::Path(Diagnostic::new(
                    format!("--set {path}"),
                    None,
                    format!(
                        "\"{}\" takes its agents from a roster file, so it has no count to set",
                        name.trim()
                    ),
                )));
            }
            let a = raw.agents[i].get_mut();
            match field {
                "count" => a.count = Some(spanned(read(&key, text)?)),
                "max_chats" => a.max_chats = Some(spanned(read(&key, text)?)),
                "cost" => a.cost = Some(spanned(read(&key, text)?)),
                "speed" => a.speed = Some(spanned(read(&key, text)?)),
                "absence" => a.absence = Some(spanned(read(&key, text)?)),
                _ => a.level = Some(read(&key, text)?),
            }
            Ok(key)
        }
        "teams" => {
            let (name, _) =
                split_field(rest, &["strategy"]).ok_or_else(|| unknown(paths_of(table)))?;
            let i = entry(&raw.teams, name, &team_name, "[[teams]] entry", "teams")
                .map_err(in_entry)?;
            let key = format!("teams[{i}].strategy");
            raw.teams[i].get_mut().strategy = Some(read::<Strategy>(&key, text)?);
            Ok(key)
        }
        "traffic" => {
            const FIELDS: [&str; 6] = [
                "rate",
                "scale",
                "handle_time",
                "handle_time.mean",
                "patience",
                "patience.mean",
            ];
            let (name, field) =
                split_field(rest, &FIELDS).ok_or_else(|| unknown(paths_of(table)))?;
            let i = entry(
                &raw.traffic,
                name,
                &traffic_name,
                "[[traffic]] stream",
                "traffic streams",
            )
            .map_err(in_entry)?;
            let t = raw.traffic[i].get_mut();
            let key = format!("traffic[{i}].{}", field.trim_end_matches(".mean"));
            match field {
                "rate" if t.forecast.is_some() => {
                    return Err(SetError::Path(Diagnostic::new(
                        format!("--set {path}"),
                        None,
                        format!(
                            "\"{}\" takes its volumes from a forecast file, so it has no rate to set",
                            name.trim()
                        ),
                    )));
                }
                "rate" => t.rate = Some(read::<Rate>(&key, text)?),
                "scale" => t.scale = Some(spanned(read(&key, text)?)),
                "handle_time" => t.handle_time = spanned(read(&key, text)?),
                "handle_time.mean" => {
                    t.handle_time = spanned(with_mean(&key, t.handle_time.get_ref(), text)?)
                }
                "patience" => t.patience = Some(spanned(read(&key, text)?)),
                _ => {
                    let Some(p) = &t.patience else {
                        return Err(SetError::Path(Diagnostic::new(
                            format!("--set {path}"),
                            None,
                            format!("\"{}\" has no patience (its customers never give up), so no mean to set", name.trim()),
                        ).with_hint(format!("give it one with --set traffic.{}.patience=VALUE", name.trim()))));
                    };
                    t.patience = Some(spanned(with_mean(&key, p.get_ref(), text)?));
                }
            }
            Ok(key)
        }
        "rules" => {
            if let Some((name, _)) = split_field(rest, &["priority"]) {
                let i = entry(&raw.rules, name, &rule_name, "[[rules]] entry", "rules")
                    .map_err(in_entry)?;
                let key = format!("rules[{i}].priority");
                raw.rules[i].get_mut().priority = Some(spanned(read(&key, text)?));
                return Ok(key);
            }
            // NAME.route[N].timeout; the name may itself hold dots or brackets.
            let step = rest
                .strip_suffix("].timeout")
                .and_then(|r| r.rsplit_once(".route["))
                .filter(|(name, _)| !name.is_empty());
            let Some((name, n)) = step else {
                return Err(unknown(paths_of(table)));
            };
            let Ok(j) = n.parse::<usize>() else {
                return Err(unknown(format!(
                    "a step is given by its position from 0, as in rules.{name}.route[0].timeout"
                )));
            };
            let i = entry(&raw.rules, name, &rule_name, "[[rules]] entry", "rules")
                .map_err(in_entry)?;
            let steps = raw.rules[i].get_mut().route.as_mut().map(|r| r.get_mut());
            let len = steps.as_ref().map_or(0, |s| s.len());
            let Some(step) = steps.and_then(|s| s.get_mut(j)) else {
                let has = match len {
                    0 => "it has no route".to_string(),
                    1 => "its route has one step, route[0]".to_string(),
                    n => format!("its route has {n} steps, route[0] to route[{}]", n - 1),
                };
                return Err(SetError::Path(Diagnostic::new(
                    format!("--set {path}"),
                    None,
                    format!("rule \"{}\" has no step route[{j}]: {has}", name.trim()),
                )));
            };
            let key = format!("rules[{i}].route[{j}].timeout");
            step.get_mut().timeout = Some(spanned(read(&key, text)?));
            Ok(key)
        }
        _ => Err(unknown(all_paths())),
    }
}
