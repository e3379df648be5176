//! Second pass: turn the raw schema into a [`Model`], resolving names to ids.
//!
//! Every problem is collected, with its key path and line, so a user fixes them all in one go.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

use rand_distr::{Exp, Gamma, LogNormal};
use toml::Spanned;

use super::raw::{RawBot, RawOwner, RawRule, RawScenario, RawTraffic};
use super::values::{self, DistSpec};
use crate::error::Diagnostic;
use crate::model::*;

/// Default seed when the file gives none.
pub const DEFAULT_SEED: u64 = 1;
/// Default service-level threshold, seconds.
pub const DEFAULT_SERVICE_LEVEL: f64 = 20.0;
/// Default cap on chats waiting at once.
pub const DEFAULT_MAX_WAITING: u64 = 100_000;
/// Longest warm-up plus duration, seconds (100 years): keeps every time well inside 64-bit ticks.
pub const MAX_HORIZON_SECS: f64 = 100.0 * 365.25 * 86_400.0;
/// Most attribute combinations enumerated when deciding whether some chat can match no rule.
const MAX_COMBINATIONS: usize = 100_000;

pub(super) struct Compiler<'a> {
    src: &'a str,
    base_dir: &'a Path,
    pub diags: Vec<Diagnostic>,
    pub warnings: Vec<String>,
    attr_ix: HashMap<String, AttrId>,
    attributes: Vec<Attribute>,
    skills: Vec<String>,
    /// Targets for (team, required skills) pairs that route steps name, in order of first use.
    skill_targets: Vec<(TeamId, Vec<(u32, u32)>)>,
}

fn line_of(src: &str, span: Range<usize>) -> Option<usize> {
    (span.start <= src.len()).then(|| src[..span.start].bytes().filter(|&b| b == b'\n').count() + 1)
}

impl<'a> Compiler<'a> {
    pub fn new(src: &'a str, base_dir: &'a Path) -> Self {
        Compiler {
            src,
            base_dir,
            diags: Vec::new(),
            warnings: Vec::new(),
            attr_ix: HashMap::new(),
            attributes: Vec::new(),
            skills: Vec::new(),
            skill_targets: Vec::new(),
        }
    }

    /// A daily window such as `"08:00-16:00"` (a shift, opening hours, a condition's hours).
    fn window(&mut self, key: String, text: &Spanned<String>) -> Option<Shift> {
        match values::parse_shift(text.get_ref()) {
            Ok((start, end)) => Some(Shift {
                start: start as u64 * TICKS_PER_SEC,
                end: end as u64 * TICKS_PER_SEC,
            }),
            Err(e) => {
                self.err(key, Some(text.span()), e);
                None
            }
        }
    }

    fn skill(&mut self, name: &str) -> u32 {
        match self.skills.iter().position(|s| s == name) {
            Some(i) => i as u32,
            None => {
                self.skills.push(name.to_string());
                self.skills.len() as u32 - 1
            }
        }
    }

    fn err(
        &mut self,
        key: impl Into<String>,
        span: Option<Range<usize>>,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        let line = span.and_then(|s| line_of(self.src, s));
        self.diags.push(Diagnostic::new(key, line, msg));
        self.diags.last_mut().expect("just pushed")
    }

    fn attr(&mut self, name: &str) -> AttrId {
        if let Some(&id) = self.attr_ix.get(name) {
            return id;
        }
        let id = AttrId(self.attributes.len() as u32);
        self.attributes.push(Attribute {
            name: name.to_string(),
            values: Vec::new(),
        });
        self.attr_ix.insert(name.to_string(), id);
        id
    }

    fn value(&mut self, attr: AttrId, v: &str) -> ValueId {
        let values = &mut self.attributes[attr.ix()].values;
        match values.iter().position(|x| x == v) {
            Some(i) => i as ValueId,
            None => {
                values.push(v.to_string());
                (values.len() - 1) as ValueId
            }
        }
    }

    pub fn compile(
        mut self,
        name: &str,
        raw: RawScenario,
    ) -> Result<Model, (Vec<Diagnostic>, Vec<String>)> {
        let sim = &raw.simulation;
        let duration = sim.duration.get_ref().0;
        let warmup = sim.warmup.map_or(0.0, |w| w.0);
        if duration <= 0.0 {
            self.err(
                "simulation.duration",
                Some(sim.duration.span()),
                "the measured duration must be greater than zero",
            );
        } else if duration + warmup > MAX_HORIZON_SECS {
            self.err(
                "simulation.duration",
                Some(sim.duration.span()),
                "warm-up plus duration must be at most 100 years",
            );
        }
        let replications = sim.replications.as_ref().map_or(1, |r| *r.get_ref());
        if replications == 0 {
            let span = sim.replications.as_ref().map(|r| r.span());
            self.err(
                "simulation.replications",
                span,
                "replications must be at least 1",
            );
        }
        let start = match &sim.start {
            None => 0,
            Some(s) => values::parse_week_time(s.get_ref()).unwrap_or_else(|e| {
                self.err("simulation.start", Some(s.span()), e);
                0
            }),
        };
        let max_waiting = sim
            .max_waiting
            .as_ref()
            .map_or(DEFAULT_MAX_WAITING, |m| *m.get_ref());
        if max_waiting == 0 {
            let span = sim.max_waiting.as_ref().map(|m| m.span());
            self.err(
                "simulation.max_waiting",
                span,
                "max_waiting must be at least 1",
            );
        }

        let (teams, team_ix) = self.teams(&raw);
        let agents = self.agents(&raw, &team_ix);
        let traffic = self.traffic(&raw, &team_ix);
        let mut teams = teams;
        self.escalations(&raw, &mut teams, &team_ix);
        let slowdown = self.slowdown(&raw, &agents);
        let calendars = self.calendars(&raw);
        let mut channels = Vec::new();
        let rules = self.rules(&raw, &team_ix, &calendars, &mut channels);
        let fallback = self.fallback_spec(&raw, &team_ix);

        let mut model = Model {
            name: name.to_string(),
            seed: sim.seed.unwrap_or(DEFAULT_SEED),
            replications,
            warmup: SimTime::from_secs_f64(warmup),
            duration: SimTime::from_secs_f64(duration),
            start: start as u64 * TICKS_PER_SEC,
            slowdown,
            service_level: SimTime::from_secs_f64(
                raw.report
                    .service_level
                    .map_or(DEFAULT_SERVICE_LEVEL, |s| s.0),
            ),
            max_waiting: max_waiting.min(usize::MAX as u64) as usize,
            attributes: std::mem::take(&mut self.attributes),
            teams,
            agents,
            targets: Vec::new(),
            traffic,
            rules,
            fallback: None,
            skills: Vec::new(),
            channels,
            calendars,
            messages: raw.auto_messages,
            red_after: raw.report.red_after.map(|r| SimTime::from_secs_f64(r.0)),
            warnings: Vec::new(),
        };
        self.check_team_sizes(&raw, &model);
        if !self.diags.is_empty() {
            self.diags.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
            return Err((self.diags, self.warnings));
        }
        model.skills = std::mem::take(&mut self.skills);
        build_targets(&mut model, fallback, &self.skill_targets);
        self.warn_about_skills(&model);
        self.warn_about_rules(&model);
        self.warn_about(&model);
        model.warnings = self.warnings;
        Ok(model)
    }

    fn teams(&mut self, raw: &RawScenario) -> (Vec<Team>, HashMap<String, TeamId>) {
        if raw.teams.is_empty() {
            self.err(
                "teams",
                None,
                "no [[teams]]: a scenario needs at least one team",
            );
        }
        let mut ix = HashMap::new();
        let mut teams = Vec::new();
        for (i, t) in raw.teams.iter().enumerate() {
            let t = t.get_ref();
            let name = t.name.get_ref().trim();
            if name.is_empty() {
                self.err(
                    format!("teams[{i}].name"),
                    Some(t.name.span()),
                    "a team needs a name",
                );
            } else if ix.insert(name.to_string(), TeamId(i as u32)).is_some() {
                self.err(
                    format!("teams[{i}].name"),
                    Some(t.name.span()),
                    format!("a team named \"{name}\" is already defined"),
                );
            }
            let strategy = t.strategy.unwrap_or(Strategy::LeastBusy);
            teams.push(Team {
                name: name.to_string(),
                strategy,
                members: Vec::new(),
                target: TargetId(i as u32),
                escalate: None,
            });
        }
        (teams, ix)
    }

    fn team_ref(
        &mut self,
        key: String,
        name: &Spanned<String>,
        ix: &HashMap<String, TeamId>,
    ) -> Option<TeamId> {
        let found = ix.get(name.get_ref().as_str()).copied();
        if found.is_none() {
            let mut known: Vec<&str> = ix.keys().map(String::as_str).collect();
            known.sort_unstable();
            self.err(
                key,
                Some(name.span()),
                format!("no team named \"{}\"", name.get_ref()),
            )
            .hint = Some(format!("teams defined: {}", known.join(", ")));
        }
        found
    }

    fn agents(&mut self, raw: &RawScenario, team_ix: &HashMap<String, TeamId>) -> Vec<Agent> {
        if raw.agents.is_empty() {
            self.err(
                "agents",
                None,
                "no [[agents]]: a scenario needs at least one agent",
            );
        }
        let mut agents: Vec<Agent> = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for (i, a) in raw.agents.iter().enumerate() {
            let (a_span, a) = (a.span(), a.get_ref());
            let base = a.name.get_ref().trim();
            if base.is_empty() {
                self.err(
                    format!("agents[{i}].name"),
                    Some(a.name.span()),
                    "an agent needs a name",
                );
            }
            let count = a.count.as_ref().map(|c| *c.get_ref());
            if count == Some(0) {
                self.err(
                    format!("agents[{i}].count"),
                    a.count.as_ref().map(|c| c.span()),
                    "count must be at least 1",
                );
            }
            let mut teams = Vec::new();
            for (j, t) in a.teams.iter().enumerate() {
                if let Some(id) = self.team_ref(format!("agents[{i}].teams[{j}]"), t, team_ix) {
                    if !teams.contains(&id) {
                        teams.push(id);
                    }
                }
            }
            let max_chats = a.max_chats.as_ref().map_or(1, |m| *m.get_ref());
            if max_chats == 0 {
                let span = a.max_chats.as_ref().map(|m| m.span());
                self.err(
                    format!("agents[{i}].max_chats"),
                    span,
                    "max_chats must be at least 1",
                );
            }
            let cost = a.cost.as_ref().map_or(0.0, |c| *c.get_ref());
            if !(cost.is_finite() && cost >= 0.0) {
                let span = a.cost.as_ref().map(|c| c.span());
                self.err(
                    format!("agents[{i}].cost"),
                    span,
                    "cost must be zero or more",
                );
            }
            let shift = a
                .shift
                .as_ref()
                .and_then(|s| self.window(format!("agents[{i}].shift"), s));
            let expanded: Vec<String> = match count {
                None => vec![base.to_string()],
                Some(n) => (1..=n).map(|k| format!("{base}-{k}")).collect(),
            };
            for name in expanded {
                if let Some(prev) = names.insert(name.clone(), i) {
                    self.err(
                        format!("agents[{i}].name"),
                        Some(a_span.clone()),
                        format!("an agent named \"{name}\" is already defined by agents[{prev}]"),
                    );
                    continue;
                }
                let mut skills = Vec::new();
                for (name, &level) in &a.skills {
                    let id = self.skill(name) as usize;
                    skills.resize(skills.len().max(id + 1), 0);
                    skills[id] = level;
                }
                agents.push(Agent {
                    name,
                    teams: teams.clone(),
                    max_chats: max_chats.max(1),
                    level: a.level.unwrap_or(1),
                    cost,
                    cost_rank: 0,
                    shift,
                    skills,
                    memberships: Vec::new(),
                });
            }
        }
        for a in &mut agents {
            a.skills.resize(self.skills.len(), 0);
        }
        agents
    }

    fn check_team_sizes(&mut self, raw: &RawScenario, model: &Model) {
        for (i, t) in raw.teams.iter().enumerate() {
            let id = TeamId(i as u32);
            if !model.agents.iter().any(|a| a.teams.contains(&id)) {
                self.err(
                    format!("teams[{i}]"),
                    Some(t.span()),
                    format!("team \"{}\" has no agents", t.get_ref().name.get_ref()),
                )
                .hint = Some("list the team in some agent's `teams`, or remove it".into());
            }
        }
    }

    fn duration(&mut self, key: String, spec: &Spanned<DistSpec>) -> Option<Duration> {
        let span = spec.span();
        let bad = |e: rand_distr::NormalError| e.to_string();
        let built: Result<(Dist, f64), String> = match spec.get_ref().clone() {
            DistSpec::Constant(v) => Ok((Dist::Constant(SimTime::from_secs_f64(v)), v)),
            DistSpec::Exponential { mean } => Exp::new(1.0 / mean)
                .map(|d| (Dist::Exponential(d), mean))
                .map_err(|e| e.to_string()),
            DistSpec::LogNormal { mean, sd } => {
                let s2 = (1.0 + (sd / mean).powi(2)).ln();
                LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt())
                    .map(|d| (Dist::LogNormal(d), mean))
                    .map_err(bad)
            }
            DistSpec::Gamma { mean, sd } => {
                let shape = (mean / sd).powi(2);
                Gamma::new(shape, mean / shape)
                    .map(|d| (Dist::Gamma(d), mean))
                    .map_err(|e| e.to_string())
            }
            DistSpec::Uniform { min, max } => {
                if min == max {
                    Ok((Dist::Constant(SimTime::from_secs_f64(min)), min))
                } else {
                    rand::distr::Uniform::new(min, max)
                        .map(|d| (Dist::Uniform(d), (min + max) / 2.0))
                        .map_err(|e| e.to_string())
                }
            }
            DistSpec::Empirical { file } => self.empirical(&key, span.clone(), &file),
        };
        match built {
            Ok((dist, mean_secs)) => Some(Duration { dist, mean_secs }),
            Err(e) => {
                if !e.is_empty() {
                    self.err(key, Some(span), format!("impossible distribution: {e}"));
                }
                None
            }
        }
    }

    /// Loads a one-column CSV of durations. An empty error means a diagnostic was already pushed.
    fn empirical(
        &mut self,
        key: &str,
        span: Range<usize>,
        file: &str,
    ) -> Result<(Dist, f64), String> {
        let path = self.base_dir.join(file);
        let key = format!("{key}.file");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                self.err(
                    key,
                    Some(span),
                    format!("cannot read {}: {e}", path.display()),
                )
                .hint = Some("the path is relative to the scenario file's folder".into());
                return Err(String::new());
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut samples = Vec::new();
        for (row, rec) in reader.records().enumerate() {
            let line = row + 1;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    self.err(key, Some(span), format!("{}:{line}: {e}", path.display()));
                    return Err(String::new());
                }
            };
            let cell = rec.get(0).unwrap_or("").trim();
            if cell.is_empty() && rec.len() <= 1 {
                continue;
            }
            match values::parse_duration(cell) {
                Ok(v) => samples.push(SimTime::from_secs_f64(v)),
                // A first row that is not a duration is a header.
                Err(_) if row == 0 => {}
                Err(e) => {
                    self.err(key, Some(span), format!("{}:{line}: {e}", path.display()));
                    return Err(String::new());
                }
            }
        }
        if samples.is_empty() {
            self.err(
                key,
                Some(span),
                format!("{} holds no durations", path.display()),
            );
            return Err(String::new());
        }
        let mean = samples.iter().map(|s| s.as_secs_f64()).sum::<f64>() / samples.len() as f64;
        Ok((Dist::Empirical(samples), mean))
    }

    fn traffic(&mut self, raw: &RawScenario, team_ix: &HashMap<String, TeamId>) -> Vec<Traffic> {
        if raw.traffic.is_empty() {
            self.err(
                "traffic",
                None,
                "no [[traffic]]: a scenario needs at least one traffic stream",
            );
        }
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        for (i, t) in raw.traffic.iter().enumerate() {
            let t: &RawTraffic = t.get_ref();
            let name = t.name.get_ref().trim().to_string();
            if name.is_empty() {
                self.err(
                    format!("traffic[{i}].name"),
                    Some(t.name.span()),
                    "a traffic stream needs a name",
                );
            } else if seen.insert(name.clone(), i).is_some() {
                self.err(
                    format!("traffic[{i}].name"),
                    Some(t.name.span()),
                    format!("a traffic stream named \"{name}\" is already defined"),
                );
            }
            let profile = match &t.profile {
                None => Profile::flat(),
                Some(p) => self.profile(i, p),
            };
            let handle_time = self.duration(format!("traffic[{i}].handle_time"), &t.handle_time);
            let patience = t
                .patience
                .as_ref()
                .and_then(|p| self.duration(format!("traffic[{i}].patience"), p));
            let mut attributes = Vec::new();
            for (k, v) in &t.attributes {
                let attr = self.attr(k);
                if let Some(choice) =
                    self.attr_choice(format!("traffic[{i}].attributes.{k}"), attr, v)
                {
                    attributes.push((attr, choice));
                }
            }
            out.push(Traffic {
                name,
                rate: t.rate.0,
                profile,
                handle_time: handle_time.unwrap_or(Duration {
                    dist: Dist::Constant(SimTime::ZERO),
                    mean_secs: 0.0,
                }),
                patience,
                owner: t
                    .owner
                    .as_ref()
                    .and_then(|o| self.owner(i, o, &attributes, team_ix)),
                bot: t
                    .bot
                    .as_ref()
                    .and_then(|b| self.bot(format!("traffic[{i}].bot"), b)),
                attributes,
            });
        }
        out
    }

    fn share(&mut self, key: String, v: &Spanned<f64>) -> f64 {
        let x = *v.get_ref();
        if !(0.0..=1.0).contains(&x) {
            self.err(
                key,
                Some(v.span()),
                format!("a share is between 0 and 1, got {x}"),
            );
        }
        x.clamp(0.0, 1.0)
    }

    fn owner(
        &mut self,
        i: usize,
        o: &Spanned<RawOwner>,
        attributes: &[(AttrId, AttrChoice)],
        team_ix: &HashMap<String, TeamId>,
    ) -> Option<Owner> {
        let key = format!("traffic[{i}].owner");
        let raw = o.get_ref();
        let share = self.share(format!("{key}.share"), &raw.share);
        let team = self.team_ref(format!("{key}.team"), &raw.team, team_ix)?;
        // Only existing customers have owners, when the stream says who is one.
        let existing = match self.attr_ix.get("customer").copied() {
            Some(attr) if attributes.iter().any(|(a, _)| *a == attr) => {
                let value = self.attributes[attr.ix()]
                    .values
                    .iter()
                    .position(|v| v == "existing");
                if value.is_none() {
                    self.warnings.push(format!("{key}: this stream has no customer = \"existing\", so no chat of it has an owner"));
                }
                Some((attr, value.map_or(NO_VALUE, |v| v as ValueId)))
            }
            _ => None,
        };
        Some(Owner {
            share,
            team,
            existing,
        })
    }

    fn bot(&mut self, key: String, b: &Spanned<RawBot>) -> Option<Bot> {
        let raw = b.get_ref();
        let resolves = raw
            .resolves
            .as_ref()
            .map_or(0.0, |r| self.share(format!("{key}.resolves"), r));
        let duration = self.duration(format!("{key}.duration"), &raw.duration)?;
        Some(Bot { duration, resolves })
    }

    fn profile(&mut self, i: usize, p: &Spanned<BTreeMap<String, f64>>) -> Profile {
        let key = format!("traffic[{i}].profile");
        let mut points = Vec::new();
        for (k, &mult) in p.get_ref() {
            match values::parse_time_of_day(k) {
                Ok(t) if t < 86_400 => points.push((t as u64 * TICKS_PER_SEC, mult)),
                Ok(_) => {
                    self.err(
                        format!("{key}.\"{k}\""),
                        Some(p.span()),
                        "a profile time must be before 24:00",
                    );
                }
                Err(e) => {
                    self.err(format!("{key}.\"{k}\""), Some(p.span()), e);
                }
            }
            if !(mult.is_finite() && mult >= 0.0) {
                self.err(
                    format!("{key}.\"{k}\""),
                    Some(p.span()),
                    format!("a rate multiplier must be zero or more, got {mult}"),
                );
            }
        }
        if points.is_empty() || points.iter().all(|p| p.1 <= 0.0) {
            self.err(
                key,
                Some(p.span()),
                "the profile must have at least one multiplier greater than zero",
            );
            return Profile::flat();
        }
        points.sort_by_key(|p| p.0);
        Profile { points }
    }

    fn attr_choice(
        &mut self,
        key: String,
        attr: AttrId,
        v: &Spanned<toml::Value>,
    ) -> Option<AttrChoice> {
        match v.get_ref() {
            toml::Value::String(s) => Some(AttrChoice::Fixed(self.value(attr, s))),
            toml::Value::Table(tab) => {
                let mut weights = Vec::new();
                for (name, w) in tab {
                    let w = match w {
                        toml::Value::Float(f) => *f,
                        toml::Value::Integer(n) => *n as f64,
                        _ => f64::NAN,
                    };
                    if !(w.is_finite() && w >= 0.0) {
                        self.err(
                            format!("{key}.{name}"),
                            Some(v.span()),
                            "a weight must be a number, zero or more",
                        );
                        return None;
                    }
                    weights.push((self.value(attr, name), w));
                }
                let total: f64 = weights.iter().map(|w| w.1).sum();
                if total <= 0.0 {
                    self.err(
                        key,
                        Some(v.span()),
                        "the weights must add up to more than zero",
                    );
                    return None;
                }
                let mut acc = 0.0;
                let cum = weights
                    .into_iter()
                    .map(|(id, w)| {
                        acc += w / total;
                        (id, acc)
                    })
                    .collect::<Vec<_>>();
                let mut cum = cum;
                if let Some(last) = cum.last_mut() {
                    last.1 = 1.0;
                }
                Some(AttrChoice::Weighted(cum))
            }
            _ => {
                self.err(key, Some(v.span()), "an attribute is a value (\"web\") or weighted values ({ sales = 0.3, support = 0.7 })");
                None
            }
        }
    }

    fn calendars(&mut self, raw: &RawScenario) -> Vec<Calendar> {
        let named = raw.business_hours.iter().map(|c| {
            (
                "business_hours".to_string(),
                c,
                "business_hours".to_string(),
            )
        });
        let others = raw
            .calendars
            .iter()
            .map(|(n, c)| (n.clone(), c, format!("calendars.{n}")));
        let all: Vec<_> = named.chain(others).collect();
        let mut out = Vec::new();
        for (name, cal, key) in all {
            let span = Some(cal.span());
            let c = cal.get_ref();
            let mut days: [Vec<Shift>; 7] = Default::default();
            let hours = c
                .hours
                .as_ref()
                .and_then(|h| self.window(format!("{key}.hours"), h));
            if let Some(list) = &c.days {
                if hours.is_none() && c.hours.is_none() {
                    self.err(
                        format!("{key}.days"),
                        span.clone(),
                        "`days` needs `hours`, e.g. hours = \"09:00-18:00\"",
                    );
                }
                for d in list {
                    match values::weekday_index(d.get_ref()) {
                        Some(i) => days[i as usize].extend(hours),
                        None => {
                            self.err(
                                format!("{key}.days"),
                                Some(d.span()),
                                format!("\"{}\" is not a weekday; write e.g. \"mon\"", d.get_ref()),
                            );
                        }
                    }
                }
            }
            let per_day = [&c.mon, &c.tue, &c.wed, &c.thu, &c.fri, &c.sat, &c.sun];
            for (i, d) in per_day.iter().enumerate() {
                let day_key = format!(
                    "{key}.{}",
                    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][i]
                );
                // A day written on its own replaces what `days` and `hours` gave it.
                if let Some(w) = d.as_ref().and_then(|h| self.window(day_key, h)) {
                    days[i] = vec![w];
                }
            }
            if days.iter().all(Vec::is_empty) && self.diags.is_empty() {
                self.err(key, span, "the calendar is never open; give `days` and `hours`, or a day such as mon = \"09:00-17:00\"");
            }
            out.push(Calendar { name, days });
        }
        out
    }

    /// Compiles one `when` table into conditions.
    fn conditions(
        &mut self,
        key: &str,
        when: &BTreeMap<String, Spanned<toml::Value>>,
        calendars: &[Calendar],
    ) -> Vec<Condition> {
        let mut out = Vec::new();
        for (k, v) in when {
            let key = format!("{key}.{k}");
            let span = Some(v.span());
            match (k.as_str(), v.get_ref()) {
                ("hours", toml::Value::String(h)) => {
                    if let Some(w) = self.window(key, &Spanned::new(v.span(), h.clone())) {
                        out.push(Condition::Hours(w));
                    }
                }
                ("days", toml::Value::Array(list)) if !list.is_empty() => {
                    let mut mask = 0u8;
                    for d in list {
                        match d.as_str().and_then(values::weekday_index) {
                            Some(i) => mask |= 1 << i,
                            None => {
                                self.err(
                                    key.clone(),
                                    span.clone(),
                                    format!("{d} is not a weekday; write e.g. [\"sat\", \"sun\"]"),
                                );
                            }
                        }
                    }
                    out.push(Condition::Days(mask));
                }
                ("inside" | "outside", toml::Value::String(name)) => {
                    match calendars.iter().position(|c| &c.name == name) {
                        Some(calendar) => out.push(Condition::Calendar {
                            calendar,
                            inside: k == "inside",
                        }),
                        None => {
                            let known: Vec<&str> =
                                calendars.iter().map(|c| c.name.as_str()).collect();
                            self.err(key, span, format!("no calendar named \"{name}\""))
                                .hint = Some(if known.is_empty() {
                                "define it as [business_hours] or [calendars.NAME]".into()
                            } else {
                                format!("calendars defined: {}", known.join(", "))
                            });
                        }
                    }
                }
                ("has_owner", toml::Value::Boolean(b)) => out.push(Condition::HasOwner(*b)),
                ("not", toml::Value::Table(t)) => {
                    let inner: BTreeMap<String, Spanned<toml::Value>> = t
                        .iter()
                        .map(|(k, inner)| (k.clone(), Spanned::new(v.span(), inner.clone())))
                        .collect();
                    let inner = self.conditions(&key, &inner, calendars);
                    out.push(Condition::Not(inner));
                }
                ("hours" | "days" | "inside" | "outside" | "has_owner" | "not", _) => {
                    let want = match k.as_str() {
                        "hours" => "a window such as \"18:00-08:00\"",
                        "days" => "a list of weekdays such as [\"sat\", \"sun\"]",
                        "has_owner" => "true or false",
                        "not" => "a table of conditions, such as { topic = \"sales\" }",
                        _ => "a calendar name such as \"business_hours\"",
                    };
                    self.err(key, span, format!("`{k}` takes {want}"));
                }
                (_, value) => {
                    let listed: Vec<&str> = match value {
                        toml::Value::String(s) => vec![s.as_str()],
                        toml::Value::Array(a) if !a.is_empty() && a.iter().all(|x| x.is_str()) => {
                            a.iter().filter_map(|x| x.as_str()).collect()
                        }
                        _ => {
                            self.err(key, span, "a condition is a value (\"support\") or a list of values ([\"sales\", \"billing\"])");
                            continue;
                        }
                    };
                    let known_attr = self.attr_ix.contains_key(k.as_str());
                    let attr = self.attr(k);
                    if !known_attr {
                        self.warnings.push(format!("{key}: no traffic stream sets the attribute \"{k}\", so this condition never holds"));
                    }
                    let mut values: Vec<ValueId> = Vec::new();
                    for v in listed {
                        if known_attr && !self.attributes[attr.ix()].values.iter().any(|x| x == v) {
                            self.warnings
                                .push(format!("{key}: no traffic stream sets {k} = \"{v}\""));
                        }
                        values.push(self.value(attr, v));
                    }
                    values.sort_unstable();
                    values.dedup();
                    out.push(Condition::Attr { attr, values });
                }
            }
        }
        out
    }

    fn rules(
        &mut self,
        raw: &RawScenario,
        team_ix: &HashMap<String, TeamId>,
        calendars: &[Calendar],
        channels: &mut Vec<String>,
    ) -> Vec<Rule> {
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        let has_fallback = raw.fallback.is_some();
        for (i, r) in raw.rules.iter().enumerate() {
            let (r_span, r): (_, &RawRule) = (r.span(), r.get_ref());
            let name = r.name.get_ref().trim().to_string();
            if seen.insert(name.clone(), i).is_some() {
                self.err(
                    format!("rules[{i}].name"),
                    Some(r.name.span()),
                    format!("a rule named \"{name}\" is already defined"),
                );
            }
            let when = self.conditions(&format!("rules[{i}].when"), &r.when, calendars);
            let priority = match &r.priority {
                None => 0,
                Some(p) if (0..=i64::from(u16::MAX)).contains(p.get_ref()) => *p.get_ref() as u16,
                Some(p) => {
                    self.err(
                        format!("rules[{i}].priority"),
                        Some(p.span()),
                        "priority must be between 0 and 65535 (higher is served first)",
                    );
                    0
                }
            };
            let actions = r.route.is_some() as u8
                + r.redirect.is_some() as u8
                + r.after_hours.as_ref().is_some_and(|a| *a.get_ref()) as u8;
            if actions != 1 {
                self.err(
                    format!("rules[{i}]"),
                    Some(r_span.clone()),
                    "a rule needs exactly one of `route`, `redirect` or `after_hours = true`",
                );
            }
            let action = if let Some(ch) = &r.redirect {
                let ch = ch.get_ref().trim().to_string();
                if ch.is_empty() {
                    self.err(
                        format!("rules[{i}].redirect"),
                        r.redirect.as_ref().map(|c| c.span()),
                        "name the channel, e.g. redirect = \"email\"",
                    );
                }
                let id = channels.iter().position(|c| *c == ch).unwrap_or_else(|| {
                    channels.push(ch);
                    channels.len() - 1
                });
                Action::Redirect(id as u32)
            } else if r.after_hours.as_ref().is_some_and(|a| *a.get_ref()) {
                Action::AfterHours
            } else {
                Action::Route(self.route(i, r, team_ix, has_fallback))
            };
            let bot = r
                .bot
                .as_ref()
                .and_then(|b| self.bot(format!("rules[{i}].bot"), b));
            out.push(Rule {
                name,
                when,
                priority,
                action,
                bot,
            });
        }
        out
    }

    /// The target of `team` restricted to agents with the required skills. Its id comes after
    /// every team's (the fallback, built later, comes after these).
    fn skill_target(
        &mut self,
        key: &str,
        team: TeamId,
        req: &Spanned<BTreeMap<String, u32>>,
        n_teams: usize,
    ) -> TargetId {
        let mut require = Vec::new();
        for (name, &level) in req.get_ref() {
            match self.skills.iter().position(|s| s == name) {
                Some(id) => require.push((id as u32, level)),
                None => {
                    let known = if self.skills.is_empty() {
                        "no agent has any `skills`".to_string()
                    } else {
                        format!("skills agents have: {}", self.skills.join(", "))
                    };
                    self.err(
                        format!("{key}.require.{name}"),
                        Some(req.span()),
                        format!("no agent has the skill \"{name}\""),
                    )
                    .hint = Some(known);
                }
            }
        }
        let k = match self
            .skill_targets
            .iter()
            .position(|(t, r)| *t == team && *r == require)
        {
            Some(k) => k,
            None => {
                self.skill_targets.push((team, require));
                self.skill_targets.len() - 1
            }
        };
        TargetId((n_teams + k) as u32)
    }

    fn route(
        &mut self,
        i: usize,
        r: &RawRule,
        team_ix: &HashMap<String, TeamId>,
        has_fallback: bool,
    ) -> Vec<Step> {
        let Some(route) = &r.route else {
            return Vec::new();
        };
        if route.get_ref().is_empty() {
            self.err(
                format!("rules[{i}].route"),
                Some(route.span()),
                "a route needs at least one step",
            );
        }
        let mut steps = Vec::new();
        let n = route.get_ref().len();
        for (j, s) in route.get_ref().iter().enumerate() {
            let (s_span, s) = (s.span(), s.get_ref());
            let key = format!("rules[{i}].route[{j}]");
            let to = match (&s.team, &s.owner) {
                (Some(team), None) => {
                    self.team_ref(format!("{key}.team"), team, team_ix)
                        .map(|t| match &s.require {
                            None => StepTarget::Target(TargetId(t.0)),
                            Some(req) => {
                                StepTarget::Target(self.skill_target(&key, t, req, team_ix.len()))
                            }
                        })
                }
                (None, Some(o)) if *o.get_ref() => Some(StepTarget::Owner),
                _ => {
                    self.err(
                        key.clone(),
                        Some(s_span.clone()),
                        "a step needs exactly one of `team = \"...\"` or `owner = true`",
                    );
                    None
                }
            };
            match (&s.timeout, j + 1 == n) {
                (Some(t), true) if !has_fallback => {
                    self.err(format!("{key}.timeout"), Some(t.span()), "the last step has no next step to move on to").hint =
                        Some("remove `timeout` here, add a step after it, or add a [fallback] to move on to".into());
                }
                (None, false) => {
                    self.err(
                        key,
                        Some(s_span),
                        "this step has no `timeout`, so the steps after it are never reached",
                    )
                    .hint = Some("add e.g. timeout = \"60s\"".into());
                }
                _ => {}
            }
            if let Some(to) = to {
                steps.push(Step {
                    to,
                    timeout: s
                        .timeout
                        .as_ref()
                        .map(|t| SimTime::from_secs_f64(t.get_ref().0)),
                });
            }
        }
        steps
    }

    fn fallback_spec(
        &mut self,
        raw: &RawScenario,
        team_ix: &HashMap<String, TeamId>,
    ) -> Option<FallbackSpec> {
        let f = raw.fallback.as_ref()?.get_ref();
        let team = match &f.to {
            Some(to) if to.get_ref() != "all" => self.team_ref("fallback.to".into(), to, team_ix),
            _ => None,
        };
        let after_checks = f.after_checks.as_ref().map(|a| *a.get_ref());
        if after_checks == Some(0) {
            self.err(
                "fallback.after_checks",
                f.after_checks.as_ref().map(|a| a.span()),
                "after_checks must be at least 1",
            );
        }
        Some(FallbackSpec {
            team,
            after_checks,
            strategy: f.strategy.unwrap_or(Strategy::LeastBusy),
        })
    }

    fn escalations(
        &mut self,
        raw: &RawScenario,
        teams: &mut [Team],
        team_ix: &HashMap<String, TeamId>,
    ) {
        for (i, t) in raw.teams.iter().enumerate() {
            let Some(e) = &t.get_ref().escalate else {
                continue;
            };
            let key = format!("teams[{i}].escalate");
            let raw_e = e.get_ref();
            let share = self.share(format!("{key}.share"), &raw_e.share);
            let to = self.team_ref(format!("{key}.to"), &raw_e.to, team_ix);
            let handle_time = self.duration(format!("{key}.handle_time"), &raw_e.handle_time);
            if let (Some(to), Some(handle_time), Some(team)) = (to, handle_time, teams.get_mut(i)) {
                team.escalate = Some(Escalate {
                    share,
                    to,
                    handle_time,
                });
            }
        }
        // A chain of escalations must end: follow each team's chain; meeting a team twice is a loop.
        for start in 0..teams.len() {
            let mut seen = vec![start];
            let mut at = start;
            while let Some(next) = teams[at].escalate.as_ref().map(|e| e.to.ix()) {
                if seen.contains(&next) {
                    if next == start {
                        let path: Vec<&str> = seen
                            .iter()
                            .chain([&next])
                            .map(|&t| teams[t].name.as_str())
                            .collect();
                        let span = raw.teams[start]
                            .get_ref()
                            .escalate
                            .as_ref()
                            .map(|e| e.span());
                        self.err(
                            format!("teams[{start}].escalate.to"),
                            span,
                            format!("escalation loop: {}", path.join(" -> ")),
                        )
                        .hint = Some(
                            "escalation must end at a team that does not escalate further".into(),
                        );
                    }
                    break;
                }
                seen.push(next);
                at = next;
            }
        }
    }

    fn slowdown(&mut self, raw: &RawScenario, agents: &[Agent]) -> Vec<f64> {
        let Some(s) = &raw.simulation.concurrency_slowdown else {
            return Vec::new();
        };
        let factors = s.get_ref().clone();
        if factors.iter().any(|f| !(f.is_finite() && *f > 0.0)) {
            self.err(
                "simulation.concurrency_slowdown",
                Some(s.span()),
                "every factor must be greater than zero",
            );
        }
        if let Some(a) = agents.iter().find(|a| a.max_chats as usize > factors.len()) {
            self.err(
                "simulation.concurrency_slowdown",
                Some(s.span()),
                format!(
                    "{} factors, but agent {} holds up to {} chats",
                    factors.len(),
                    a.name,
                    a.max_chats
                ),
            )
            .hint = Some(
                "give one factor per number of chats held, up to the largest max_chats".into(),
            );
        }
        factors
    }

    /// Rules an earlier rule always beats, and route steps whose team is never on shift while
    /// the rule applies.
    fn warn_about_rules(&mut self, model: &Model) {
        for (j, later) in model.rules.iter().enumerate() {
            if let Some(i) = (0..j).find(|&i| covers(&model.rules[i].when, &later.when)) {
                self.warnings.push(format!(
                    "rules[{j}] \"{}\" never matches: the earlier rule \"{}\" matches every chat it would",
                    later.name, model.rules[i].name
                ));
            }
        }
        // Minutes of the day each target has someone on shift.
        let staffed: Vec<Vec<bool>> = model
            .targets
            .iter()
            .map(|t| {
                (0..1_440u64)
                    .map(|min| {
                        let tod = min * 60 * TICKS_PER_SEC;
                        t.members
                            .iter()
                            .any(|a| model.agents[a.ix()].shift.is_none_or(|s| s.covers(tod)))
                    })
                    .collect()
            })
            .collect();
        let no_attrs = vec![NO_VALUE; model.attributes.len()];
        for (i, r) in model.rules.iter().enumerate() {
            let Action::Route(steps) = &r.action else {
                continue;
            };
            // The rule's conditions on time alone; the others may hold whatever the time.
            let timed: Vec<&Condition> = r
                .when
                .iter()
                .filter(|c| {
                    matches!(
                        c,
                        Condition::Hours(_) | Condition::Days(_) | Condition::Calendar { .. }
                    )
                })
                .collect();
            let mut applies = false;
            let mut ever_staffed = vec![false; steps.len()];
            for minute in 0..7 * 1_440u64 {
                let week_time = minute * 60 * TICKS_PER_SEC;
                let cx = ChatContext {
                    attrs: &no_attrs,
                    week_time,
                    has_owner: false,
                };
                if !timed.iter().all(|c| c.matches(&cx, &model.calendars)) {
                    continue;
                }
                applies = true;
                for (k, s) in steps.iter().enumerate() {
                    if let StepTarget::Target(t) = s.to {
                        ever_staffed[k] |= staffed[t.ix()][(minute % 1_440) as usize];
                    }
                }
            }
            if !applies {
                self.warnings.push(format!("rules[{i}] \"{}\" never matches: its hours, days and calendars never hold together", r.name));
                continue;
            }
            for (k, s) in steps.iter().enumerate() {
                if let (StepTarget::Target(t), false) = (s.to, ever_staffed[k]) {
                    self.warnings.push(format!(
                        "rules[{i}].route[{k}]: {} has nobody on shift at any time rule \"{}\" applies, so this step is always skipped",
                        model.targets[t.ix()].name, r.name
                    ));
                }
            }
        }
    }

    fn warn_about_skills(&mut self, model: &Model) {
        for t in model
            .targets
            .iter()
            .filter(|t| !t.require.is_empty() && t.members.is_empty())
        {
            self.warnings.push(format!("no agent of team {} has the required skills, so steps offering to it are always skipped", t.name));
        }
    }

    fn warn_about(&mut self, model: &Model) {
        // Average offered load (erlangs) against average slots on shift.
        let load: f64 = model
            .traffic
            .iter()
            .map(|t| t.rate * t.profile.mean() * t.handle_time.mean_secs)
            .sum();
        let slots: f64 = model
            .agents
            .iter()
            .map(|a| a.max_chats as f64 * a.shift.map_or(1.0, |s| s.hours_per_day() / 24.0))
            .sum();
        if load >= slots && model.traffic.iter().any(|t| t.patience.is_none()) {
            self.warnings.push(format!(
                "offered load ({load:.1} erlangs on average) is at or above capacity ({slots:.1} chat slots on shift on average) \
                 and some traffic has no patience: its queue grows without bound (at most {} chats wait at once; later ones are blocked)",
                model.max_waiting
            ));
        }
    }
}

/// Whether every chat that satisfies `later` also satisfies `earlier` (a sufficient test:
/// each condition of `earlier` is implied by one of `later`'s).
fn covers(earlier: &[Condition], later: &[Condition]) -> bool {
    earlier.iter().all(|e| match e {
        Condition::Attr { attr, values } => later.iter().any(|l| match l {
            Condition::Attr { attr: a, values: v } => {
                a == attr && v.iter().all(|x| values.contains(x))
            }
            _ => false,
        }),
        other => later.contains(other),
    })
}

/// `[fallback]` as written: a team (or every agent), when to leave a route for it, the strategy.
struct FallbackSpec {
    team: Option<TeamId>,
    after_checks: Option<u32>,
    strategy: Strategy,
}

/// Builds routing targets (one per team, plus the fallback if some chat can match no rule)
/// and each agent's memberships and cost rank.
fn build_targets(
    model: &mut Model,
    fallback: Option<FallbackSpec>,
    skill_targets: &[(TeamId, Vec<(u32, u32)>)],
) {
    for (a, agent) in model.agents.iter().enumerate() {
        for &t in &agent.teams {
            model.teams[t.ix()].members.push(AgentId(a as u32));
        }
    }
    model.targets = model
        .teams
        .iter()
        .enumerate()
        .map(|(i, t)| Target {
            name: t.name.clone(),
            team: Some(TeamId(i as u32)),
            strategy: t.strategy,
            members: t.members.clone(),
            require: Vec::new(),
        })
        .collect();
    for (team, require) in skill_targets {
        let t = &model.teams[team.ix()];
        let skills: Vec<String> = require
            .iter()
            .map(|&(s, l)| format!("{}>={l}", model.skills[s as usize]))
            .collect();
        let members = t
            .members
            .iter()
            .copied()
            .filter(|a| {
                require
                    .iter()
                    .all(|&(s, l)| model.agents[a.ix()].skills[s as usize] >= l)
            })
            .collect();
        model.targets.push(Target {
            name: format!("{} [{}]", t.name, skills.join(", ")),
            team: Some(*team),
            strategy: t.strategy,
            members,
            require: require.clone(),
        });
    }
    let everyone = |model: &mut Model, strategy| {
        model.targets.push(Target {
            name: "(fallback)".into(),
            team: None,
            strategy,
            members: (0..model.agents.len() as u32).map(AgentId).collect(),
            require: Vec::new(),
        });
        TargetId(model.targets.len() as u32 - 1)
    };
    model.fallback = match fallback {
        Some(FallbackSpec {
            team: Some(team),
            after_checks,
            ..
        }) => Some(Fallback {
            target: model.teams[team.ix()].target,
            after_checks,
            explicit: true,
        }),
        Some(FallbackSpec {
            team: None,
            after_checks,
            strategy,
        }) => Some(Fallback {
            target: everyone(model, strategy),
            after_checks,
            explicit: true,
        }),
        None if can_miss_every_rule(model) => Some(Fallback {
            target: everyone(model, Strategy::LeastBusy),
            after_checks: None,
            explicit: false,
        }),
        None => None,
    };
    for (t, target) in model.targets.iter().enumerate() {
        for (pos, a) in target.members.iter().enumerate() {
            let agent = &mut model.agents[a.ix()];
            let score = match target.require.is_empty() {
                true => agent.level,
                false => target
                    .require
                    .iter()
                    .map(|&(s, _)| agent.skills[s as usize])
                    .sum(),
            };
            agent.memberships.push(Membership {
                target: TargetId(t as u32),
                pos: pos as u32,
                score,
            });
        }
    }
    let mut costs: Vec<f64> = model.agents.iter().map(|a| a.cost).collect();
    costs.sort_by(f64::total_cmp);
    costs.dedup();
    for a in &mut model.agents {
        a.cost_rank = costs.partition_point(|&c| c < a.cost) as u32;
    }
}

/// Whether some chat that a traffic stream can produce matches no rule. Enumerates each stream's
/// attribute combinations; past [`MAX_COMBINATIONS`] it assumes yes.
fn can_miss_every_rule(model: &Model) -> bool {
    let n_attrs = model.attributes.len();
    for t in &model.traffic {
        let supports: Vec<(AttrId, Vec<ValueId>)> = t
            .attributes
            .iter()
            .map(|(a, c)| (*a, c.support()))
            .collect();
        let combos: usize = supports.iter().map(|s| s.1.len()).product();
        if combos > MAX_COMBINATIONS {
            return true;
        }
        let mut attrs = vec![NO_VALUE; n_attrs];
        for mut k in 0..combos {
            for (a, vals) in &supports {
                attrs[a.ix()] = vals[k % vals.len()];
                k /= vals.len();
            }
            let surely = |r: &Rule| r.when.iter().all(|c| c.matches_attrs(&attrs) == Some(true));
            if !model.rules.iter().any(surely) {
                return true;
            }
        }
    }
    false
}
