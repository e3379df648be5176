//! Traffic streams, duration distributions and the data files they read.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use toml::Spanned;

use super::Compiler;
use super::data_file::{Lines, ragged};
use crate::model::*;
use crate::scenario::limits;
use crate::scenario::raw::*;
use crate::scenario::values::{self, DistSpec};

use rand_distr::{Exp, Gamma, LogNormal};

impl Compiler<'_> {
    pub(super) fn duration(&mut self, key: String, spec: &Spanned<DistSpec>) -> Option<Duration> {
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
    pub(super) fn empirical(
        &mut self,
        key: &str,
        span: Range<usize>,
        file: &str,
    ) -> Result<(Dist, f64), String> {
        let path = self.base_dir.join(file);
        let key = format!("{key}.file");
        let text = match self.read_input(file, &path) {
            Ok(t) => t,
            Err(e) => {
                self.unreadable(key, Some(span), &path, e);
                return Err(String::new());
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut samples = Vec::new();
        let mut lines = Lines::new(&text);
        // Cells per row, as the first row has them (a header, or the first duration).
        let mut width = None;
        // Whether no row has been read yet: the first may be a header. Counted after blank
        // rows, so that one of spaces before the header does not make it a bad duration.
        let mut first = true;
        for rec in reader.records() {
            let line = lines.of_row(&rec);
            let rec = match rec {
                Ok(r) => r,
                // The file's content is never quoted: it could be anything the user can read.
                Err(_) => {
                    let msg = format!("{}:{line}: this row is not valid CSV", path.display());
                    self.err(key, Some(span), msg);
                    return Err(String::new());
                }
            };
            let cell = rec.get(0).unwrap_or("").trim();
            if cell.is_empty() && rec.len() <= 1 {
                continue;
            }
            let is_first = std::mem::replace(&mut first, false);
            // Only the first column is read, so a stray comma (`1,234` for a thousand) would
            // silently keep the part before it.
            let width = *width.get_or_insert(rec.len());
            if rec.len() != width {
                let msg = format!(
                    "{}:{line}: {}",
                    path.display(),
                    ragged(rec.len(), width, "the first row")
                );
                self.err(key, Some(span), msg);
                return Err(String::new());
            }
            match values::parse_duration(cell) {
                Ok(v) => samples.push(SimTime::from_secs_f64(v)),
                // A first row that is not a duration is a header.
                Err(_) if is_first => {}
                Err(_) => {
                    let msg = format!(
                        "{}:{line}: the first column is not a duration (write seconds, or e.g. \"4m30s\")",
                        path.display()
                    );
                    self.err(key, Some(span), msg);
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

    pub(super) fn traffic(
        &mut self,
        raw: &RawScenario,
        team_ix: &HashMap<String, TeamId>,
    ) -> Vec<Traffic> {
        if raw.traffic.is_empty() {
            self.err(
                "traffic",
                None,
                "no [[traffic]]: a scenario needs at least one traffic stream",
            );
        }
        if raw.traffic.len() > limits::MAX_TRAFFIC {
            self.err(
                format!("traffic[{}]", limits::MAX_TRAFFIC),
                Some(raw.traffic[limits::MAX_TRAFFIC].span()),
                format!(
                    "{} traffic streams is too many: the limit is {}",
                    raw.traffic.len(),
                    limits::MAX_TRAFFIC
                ),
            );
            return Vec::new();
        }
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        self.replaying = raw.traffic.iter().any(|t| t.get_ref().replay.is_some());
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
            let handle_time = self.duration(format!("traffic[{i}].handle_time"), &t.handle_time);
            let problems = self.diags.len();
            let days = match &t.profile {
                None => std::array::from_fn(|_| vec![(0, 1.0)]),
                Some(p) => self.profile(i, p),
            };
            let weekdays = self.weekdays(i, t.weekdays.as_ref());
            let mut rate = t.rate.map_or(0.0, |r| r.0);
            let mut profile = Profile::weekly(&days.each_ref().map(Vec::as_slice), weekdays);
            // Each part may be right and the week still empty: the days a per-weekday profile
            // names all have weekday multiplier 0.
            if let Some(p) = &t.profile
                && self.diags.len() == problems
                && profile.peak() <= 0.0
            {
                self.err(
                    format!("traffic[{i}].profile"),
                    Some(p.span()),
                    "every day the profile names has weekday multiplier 0: no chat would ever arrive",
                );
            }
            let mut handle_scale = None;
            // A replay replaces every other source of arrivals; its volume is set once the log
            // is read (`replays`, after the rules).
            let replaced = [
                (
                    "rate",
                    t.rate.as_ref().and(t.replay.as_ref()).map(|r| r.span()),
                ),
                ("profile", t.profile.as_ref().map(|p| p.span())),
                ("weekdays", t.weekdays.as_ref().map(|w| w.span())),
                ("forecast", t.forecast.as_ref().map(|f| f.span())),
            ];
            match &t.replay {
                Some(_) => {
                    for (k, span) in replaced {
                        if let Some(span) = span {
                            self.err(
                                format!("traffic[{i}].{k}"),
                                Some(span),
                                "a replay replaces rate, profile, weekdays and forecast; give one or the other",
                            );
                        }
                    }
                }
                None => match (&t.forecast, t.rate.is_some()) {
                    (Some(f), _)
                        if t.rate.is_some() || t.profile.is_some() || t.weekdays.is_some() =>
                    {
                        self.err(
                            format!("traffic[{i}].forecast"),
                            Some(f.span()),
                            "a forecast replaces rate, profile and weekdays; give one or the other",
                        );
                    }
                    (Some(f), _) => {
                        let mean = handle_time.as_ref().map(|h| h.mean_secs);
                        if let Some(fc) = self.forecast(&format!("traffic[{i}].forecast"), f, mean)
                        {
                            (rate, profile, handle_scale) = (fc.rate, fc.profile, fc.handle_scale);
                        }
                    }
                    (None, false) => {
                        self.err(
                        format!("traffic[{i}]"),
                        Some(t.name.span()),
                        "a traffic stream needs a rate (such as rate = \"96/h\"), a forecast file or a replay log",
                    );
                    }
                    (None, true) => {}
                },
            }
            let scale = t.scale.as_ref().map_or(1.0, |v| {
                let x = *v.get_ref();
                if !(x.is_finite() && x > 0.0 && x <= limits::MAX_MULTIPLIER) {
                    self.err(
                        format!("traffic[{i}].scale"),
                        Some(v.span()),
                        format!(
                            "a volume multiplier is above 0 and at most {}, got {}",
                            limits::num(limits::MAX_MULTIPLIER),
                            limits::num(x)
                        ),
                    );
                }
                x
            });
            let patience = t
                .patience
                .as_ref()
                .and_then(|p| self.duration(format!("traffic[{i}].patience"), p));
            let wrap_up = t
                .wrap_up
                .as_ref()
                .and_then(|w| self.duration(format!("traffic[{i}].wrap_up"), w));
            let mut attributes = Vec::new();
            for (k, v) in &t.attributes {
                if !packs(k) {
                    self.err(
                        format!("traffic[{i}].attributes.{k}"),
                        Some(v.span()),
                        format!("the attribute name {k:?} {UNPACKABLE}"),
                    );
                    continue;
                }
                let attr = self.attr(k);
                if let Some(choice) =
                    self.attr_choice(format!("traffic[{i}].attributes.{k}"), attr, v)
                {
                    attributes.push((attr, choice));
                }
            }
            out.push(Traffic {
                name,
                rate: rate * scale,
                scale,
                profile,
                handle_scale,
                handle_time: handle_time.unwrap_or(Duration {
                    dist: Dist::Constant(SimTime::ZERO),
                    mean_secs: 0.0,
                }),
                patience,
                wrap_up,
                owner: t
                    .owner
                    .as_ref()
                    .and_then(|o| self.owner(i, o, &attributes, team_ix)),
                bot: t
                    .bot
                    .as_ref()
                    .and_then(|b| self.bot(format!("traffic[{i}].bot"), b)),
                replay: None,
                retry: t.retry.as_ref().and_then(|r| {
                    let r = r.get_ref();
                    let share = self.share(format!("traffic[{i}].retry.share"), &r.share);
                    self.duration(format!("traffic[{i}].retry.delay"), &r.delay)
                        .map(|delay| Retry { share, delay })
                }),
                attributes,
            });
        }
        out
    }

    pub(super) fn share(&mut self, key: String, v: &Spanned<f64>) -> f64 {
        let x = *v.get_ref();
        if !(0.0..=1.0).contains(&x) {
            self.err(
                key,
                Some(v.span()),
                format!("a share is between 0 and 1, got {}", limits::num(x)),
            );
        }
        x.clamp(0.0, 1.0)
    }

    pub(super) fn owner(
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

    pub(super) fn bot(&mut self, key: String, b: &Spanned<RawBot>) -> Option<Bot> {
        let raw = b.get_ref();
        let resolves = raw
            .resolves
            .as_ref()
            .map_or(0.0, |r| self.share(format!("{key}.resolves"), r));
        let duration = self.duration(format!("{key}.duration"), &raw.duration)?;
        Some(Bot { duration, resolves })
    }

    /// `weekdays = { sat = 0.5, sun = 0 }`: a multiplier per weekday, 1 where not named; a single
    /// day overrides a range that holds it.
    fn weekdays(&mut self, i: usize, w: Option<&Spanned<BTreeMap<String, f64>>>) -> [f64; 7] {
        let mut out = [1.0; 7];
        let Some(w) = w else {
            return out;
        };
        let key = format!("traffic[{i}].weekdays");
        let mut entries: Vec<(Vec<usize>, f64)> = Vec::new();
        for (k, &mult) in w.get_ref() {
            let Some(days) = super::roster::day_key(k) else {
                self.err(
                    format!("{key}.{k}"),
                    Some(w.span()),
                    format!("\"{k}\" is not a weekday or a range of them"),
                )
                .hint = Some("keys are mon, tue, ..., sun, or ranges such as mon-fri".into());
                continue;
            };
            if !(mult.is_finite() && (0.0..=limits::MAX_MULTIPLIER).contains(&mult)) {
                self.err(
                    format!("{key}.{k}"),
                    Some(w.span()),
                    format!(
                        "a rate multiplier is between 0 and {}, got {}",
                        limits::num(limits::MAX_MULTIPLIER),
                        limits::num(mult)
                    ),
                );
                continue;
            }
            entries.push((days, mult));
        }
        // As in a shift table: ranges may not overlap, a day may not be named twice, and a
        // single day overrides the range it is in.
        entries.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
        let mut by: [Option<(usize, bool)>; 7] = [None; 7];
        for (n, (days, mult)) in entries.iter().enumerate() {
            let single = days.len() == 1;
            for &d in days {
                if let Some((_, was_single)) = by[d]
                    && was_single == single
                {
                    self.err(
                        key.clone(),
                        Some(w.span()),
                        format!("{} is given twice", WEEKDAYS[d]),
                    )
                    .hint = Some("ranges may not overlap; a single day overrides a range".into());
                }
                by[d] = Some((n, single));
                out[d] = *mult;
            }
        }
        if out.iter().all(|&m| m == 0.0) {
            self.err(
                key,
                Some(w.span()),
                "every weekday has multiplier 0: no chat would ever arrive",
            );
        }
        out
    }

    /// `profile`: a daily profile every day, or one per weekday (`{ mon-fri = { ... }, sat =
    /// { ... } }`, keys as in a shift table), a day not named having rate 0. Per weekday,
    /// Monday first, `(time of day, multiplier)` sorted and non-empty.
    pub(super) fn profile(&mut self, i: usize, p: &Spanned<toml::Value>) -> [Vec<(u64, f64)>; 7] {
        let key = format!("traffic[{i}].profile");
        // What a profile with a problem stands in as, so the rest is still checked sensibly.
        let flat = || std::array::from_fn(|_| vec![(0, 1.0)]);
        let forms = "a profile is a table of times of day, { \"08:00\" = 0.2, \"12:00\" = 1.0 }, or one per weekday, { mon-fri = { \"08:00\" = 0.2, \"12:00\" = 1.0 }, sat = { \"10:00\" = 0.5 } }";
        let Some(table) = p.get_ref().as_table() else {
            self.err(key, Some(p.span()), "profile must be a table")
                .hint = Some(forms.into());
            return flat();
        };
        let by_day = |k: &str, v: &toml::Value| v.is_table() || super::roster::day_key(k).is_some();
        let (days, times): (Vec<_>, Vec<_>) = table.iter().partition(|(k, v)| by_day(k, v));
        if days.is_empty() {
            let Some(points) = self.daily_profile(&key, p.span(), table) else {
                return flat();
            };
            if points.iter().all(|p| p.1 <= 0.0) {
                self.err(
                    key,
                    Some(p.span()),
                    "the profile must have at least one multiplier greater than zero",
                );
                return flat();
            }
            return std::array::from_fn(|_| points.clone());
        }
        if !times.is_empty() {
            self.err(
                key,
                Some(p.span()),
                format!(
                    "the profile mixes times of day (\"{}\") and weekdays ({}) in one table",
                    times[0].0, days[0].0
                ),
            )
            .hint = Some(forms.into());
            return flat();
        }
        let span = p.span();
        let read = |c: &mut Self, path: String, v: &toml::Value| match v.as_table() {
            Some(t) if t.is_empty() => {
                c.err(
                    path,
                    Some(span.clone()),
                    "a weekday's profile needs at least one time of day",
                );
                None
            }
            Some(t) => c.daily_profile(&path, span.clone(), t),
            None => {
                c.err(
                    path,
                    Some(span.clone()),
                    "a weekday's profile is a table of times of day, such as { \"08:00\" = 1.0 }",
                )
                .hint = Some(
                    "for one multiplier per weekday on top of a daily profile, use weekdays = { sat = 0.5 }"
                        .into(),
                );
                None
            }
        };
        let Some(week) =
            self.day_table(&key, span.clone(), table, "fri = { \"08:00\" = 1.0 }", read)
        else {
            return flat();
        };
        if week.iter().flatten().flatten().all(|p| p.1 <= 0.0) {
            self.err(
                key,
                Some(span),
                "every weekday's profile is 0: no chat would ever arrive",
            );
            return flat();
        }
        // A day not named is closed.
        week.map(|d| d.unwrap_or_else(|| vec![(0, 0.0)]))
    }

    /// A daily profile table: `(time of day, multiplier)`, sorted; `None` after a diagnostic.
    fn daily_profile(
        &mut self,
        key: &str,
        span: std::ops::Range<usize>,
        table: &toml::Table,
    ) -> Option<Vec<(u64, f64)>> {
        // (time of day in seconds, the key it was read from, multiplier).
        let mut points = Vec::new();
        let mut ok = true;
        for (k, v) in table {
            let path = format!("{key}.\"{k}\"");
            let mult = match v {
                toml::Value::Float(f) => *f,
                toml::Value::Integer(n) => *n as f64,
                _ => {
                    self.err(path, Some(span.clone()), "a rate multiplier is a number");
                    ok = false;
                    continue;
                }
            };
            match values::parse_time_of_day(k) {
                Ok(t) if t < 86_400 => points.push((t, k.as_str(), mult)),
                Ok(_) => {
                    self.err(
                        path.clone(),
                        Some(span.clone()),
                        "a profile time must be before 24:00",
                    );
                    ok = false;
                }
                Err(e) => {
                    self.err(path.clone(), Some(span.clone()), e);
                    ok = false;
                }
            }
            if !(mult.is_finite() && (0.0..=limits::MAX_MULTIPLIER).contains(&mult)) {
                self.err(
                    path,
                    Some(span.clone()),
                    format!(
                        "a rate multiplier is between 0 and {}, got {}",
                        limits::num(limits::MAX_MULTIPLIER),
                        limits::num(mult)
                    ),
                );
                ok = false;
            }
        }
        points.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        // Two keys for one time ("08:00" and "8:00") would leave one multiplier silently unused.
        for w in points.windows(2) {
            if w[0].0 == w[1].0 {
                self.err(
                    format!("{key}.\"{}\"", w[1].1),
                    Some(span.clone()),
                    format!("\"{}\" and \"{}\" are the same time of day", w[0].1, w[1].1),
                );
                ok = false;
            }
        }
        ok.then(|| {
            (points.into_iter())
                .map(|(t, _, mult)| (t as u64 * TICKS_PER_SEC, mult))
                .collect()
        })
    }

    pub(super) fn attr_choice(
        &mut self,
        key: String,
        attr: AttrId,
        v: &Spanned<toml::Value>,
    ) -> Option<AttrChoice> {
        let unpackable = match v.get_ref() {
            toml::Value::String(s) => Some(s).filter(|s| !packs(s)),
            toml::Value::Table(tab) => tab.keys().find(|name| !packs(name)),
            _ => None,
        };
        if let Some(value) = unpackable {
            self.err(
                key,
                Some(v.span()),
                format!("the value {value:?} {UNPACKABLE}"),
            );
            return None;
        }
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
                // Weights each finite but past the largest number together had every chat take
                // the last value (found by a fuzzing helper).
                if !total.is_finite() {
                    self.err(
                        key,
                        Some(v.span()),
                        "the weights add up past the largest number there is; use smaller ones (only their ratios matter)",
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
}

/// Why an attribute's name or value is refused when [`packs`] says no.
pub(super) const UNPACKABLE: &str = "cannot be written to chats.csv and read back: it may not be empty, contain ';' or '=', or begin or end with a space (chats.csv packs attributes as \"topic=sales;language=de\", and a run replays its own chats.csv)";

/// Whether an attribute's name or value reads back from `chats.csv`'s packed column
/// (`topic=sales;language=de`) as itself: not empty, no `;` or `=` (which separate the pairs
/// there), and no space at either end (which reading trims). `"gold;region=eu"` had been
/// written as is and replayed as two attributes, `plan=gold` and `region=eu`.
pub(super) fn packs(s: &str) -> bool {
    !s.is_empty() && !s.contains([';', '=']) && s.trim() == s
}

#[cfg(test)]
mod tests {
    #[test]
    fn attributes_pack_into_chats_csv_and_read_back() {
        for ok in ["gold", "gold plan", "über", "a-b_c.d"] {
            assert!(super::packs(ok), "{ok:?}");
        }
        for bad in ["", "gold;eu", "tier=x", " web", "web ", "a\t"] {
            assert!(!super::packs(bad), "{bad:?}");
        }
    }

    /// The messages of a scenario whose handle times are an empirical file holding `csv`.
    fn empirical_problems(csv: &str) -> Vec<String> {
        let traffic = "rate = \"1/min\"\nhandle_time = { dist = \"empirical\", file = \"d.csv\" }";
        super::super::data_file::problems(traffic, "d.csv", csv.as_bytes())
    }

    #[test]
    fn an_empirical_row_has_as_many_cells_as_the_first() {
        // 1,234 s written with its comma had been read as 1 s.
        let got = empirical_problems("seconds\n300\n1,234\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].ends_with("d.csv:3: this row has 2 cells, the first row 1 cell"),
            "{got:?}"
        );
        let got = empirical_problems("seconds,agent\n300,ana\n240\n");
        assert!(
            got[0].ends_with("d.csv:3: this row has 1 cell, the first row 2 cells"),
            "{got:?}"
        );
        // Other columns, written out on every row, are still left aside.
        for fine in ["seconds,agent\n300,ana\n240,bo\n", "300,\n240,\n\n4m30s,\n"] {
            assert_eq!(empirical_problems(fine), Vec::<String>::new(), "{fine}");
        }
    }

    #[test]
    fn a_header_after_blank_lines_is_still_a_header() {
        // A line of spaces before the header had made the header the second row, refused as
        // a bad duration on line 2.
        for csv in [
            "\n\nseconds\n300\n",
            "  \nseconds\n300\n",
            "\r\n \r\nseconds\r\n300\r\n",
        ] {
            assert_eq!(empirical_problems(csv), Vec::<String>::new(), "{csv:?}");
        }
        let got = empirical_problems(" \r\n\r\nseconds\r\n300\r\nxx\r\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].ends_with(
                "d.csv:5: the first column is not a duration (write seconds, or e.g. \"4m30s\")"
            ),
            "{got:?}"
        );
    }

    #[test]
    fn an_empirical_row_is_named_by_its_own_line() {
        // "xx" is on line 5: counting rows, the blank line had made it line 4.
        let want = "d.csv:5: the first column is not a duration (write seconds, or e.g. \"4m30s\")";
        for csv in [
            "seconds\n300\n\n400\nxx\n",
            "seconds\r\n300\r\n\r\n400\r\nxx\r\n",
        ] {
            let got = empirical_problems(csv);
            assert_eq!(got.len(), 1, "{got:?}");
            assert!(got[0].ends_with(want), "{csv:?}: {got:?}");
        }
    }
}
