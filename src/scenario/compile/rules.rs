//! Calendars, rule conditions and actions, route steps and `[fallback]`.

use std::collections::{BTreeMap, HashMap};

use toml::Spanned;

use super::Compiler;
use crate::model::*;
use crate::scenario::limits;
use crate::scenario::raw::*;
use crate::scenario::values::{self};

/// The weekdays an entry of a `days` list names: a day (`mon`, `Monday`) or a range of days as
/// in a `shift` table (`mon-fri`; `fri-mon` wraps over the weekend).
fn listed_days(d: &str) -> Option<Vec<usize>> {
    match values::weekday_index(d) {
        Some(i) => Some(vec![i as usize]),
        None => super::roster::day_key(d),
    }
}

impl Compiler<'_> {
    pub(super) fn calendars(&mut self, raw: &RawScenario) -> Vec<Calendar> {
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
                    match listed_days(d.get_ref()) {
                        Some(list) => list.into_iter().for_each(|i| days[i].extend(hours)),
                        None => {
                            self.err(
                                format!("{key}.days"),
                                Some(d.span()),
                                format!(
                                    "\"{}\" is not a weekday or a range of them; write e.g. \"mon\" or \"mon-fri\"",
                                    d.get_ref()
                                ),
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
    pub(super) fn conditions(
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
                        match d.as_str().and_then(listed_days) {
                            Some(list) => list.into_iter().for_each(|i| mask |= 1 << i),
                            None => {
                                self.err(
                                    key.clone(),
                                    span.clone(),
                                    format!(
                                        "{d} is not a weekday or a range of them; write e.g. [\"sat\", \"sun\"] or [\"mon-fri\"]"
                                    ),
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
                // Not all of nothing never holds: an empty `not` is a slip, not a way to
                // write "never" (a rule that never matches would run silently unused).
                ("not", toml::Value::Table(t)) if t.is_empty() => {
                    self.err(key, span, "an empty `not` never holds").hint = Some(
                        "list the conditions it negates, such as not = { topic = \"sales\" }, or remove it".into(),
                    );
                }
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
                    if !known_attr && !self.replaying {
                        self.warnings.push(format!("{key}: no traffic stream sets the attribute \"{k}\", so this condition never holds"));
                    }
                    let mut values: Vec<ValueId> = Vec::new();
                    for v in listed {
                        if known_attr
                            && !self.replaying
                            && !self.attributes[attr.ix()].values.iter().any(|x| x == v)
                        {
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

    pub(super) fn rules(
        &mut self,
        raw: &RawScenario,
        team_ix: &HashMap<String, TeamId>,
        calendars: &[Calendar],
        channels: &mut Vec<String>,
    ) -> Vec<Rule> {
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        let has_fallback = raw.fallback.is_some();
        if raw.rules.len() > limits::MAX_RULES {
            self.err(
                "rules",
                None,
                format!(
                    "{} rules is too many: the limit is {}",
                    raw.rules.len(),
                    limits::MAX_RULES
                ),
            );
            return Vec::new();
        }
        for (i, r) in raw.rules.iter().enumerate() {
            let (r_span, r): (_, &RawRule) = (r.span(), r.get_ref());
            let name = r.name.get_ref().trim().to_string();
            if name.is_empty() {
                // The report's rows, `--assert` paths and `explain` name rules by it.
                self.err(
                    format!("rules[{i}].name"),
                    Some(r.name.span()),
                    "a rule needs a name",
                );
            } else if seen.insert(name.clone(), i).is_some() {
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
    pub(super) fn skill_target(
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

    pub(super) fn route(
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
        if n > limits::MAX_STEPS {
            self.err(
                format!("rules[{i}].route"),
                Some(route.span()),
                format!(
                    "a route of {n} steps is too long: the limit is {}",
                    limits::MAX_STEPS
                ),
            );
            return Vec::new();
        }
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

    pub(super) fn fallback_spec(
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
}

/// `[fallback]` as written: a team (or every agent), when to leave a route for it, the strategy.
pub(super) struct FallbackSpec {
    pub team: Option<TeamId>,
    pub after_checks: Option<u32>,
    pub strategy: Strategy,
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::model::Condition;
    use crate::scenario::parse_str;
    use crate::scenario::tests::MINIMAL;

    fn with_when(when: &str) -> String {
        format!(
            "{MINIMAL}\n[[rules]]\nname = \"r\"\nwhen = {when}\nroute = [{{ team = \"support\" }}]\n"
        )
    }

    /// An empty `not` never holds (not all of nothing), so the rule it guards never matched
    /// and `validate` said nothing: it is refused with its key and line, however deep.
    #[test]
    fn an_empty_not_is_refused() {
        let line = MINIMAL.lines().count() + 4;
        for (when, key) in [
            ("{ not = {} }", "rules[0].when.not"),
            ("{ topic = \"a\", not = {} }", "rules[0].when.not"),
            ("{ not = { not = {} } }", "rules[0].when.not.not"),
        ] {
            let Err(Error::Scenario(d)) = parse_str("t.toml", &with_when(when)) else {
                panic!("{when}: expected an error")
            };
            assert_eq!(d.items.len(), 1, "{when}: {d}");
            let e = &d.items[0];
            assert_eq!((e.key.as_str(), e.line), (key, Some(line)), "{when}: {d}");
            assert_eq!(e.message, "an empty `not` never holds", "{when}");
            assert!(e.hint.as_deref().unwrap().contains("remove it"), "{when}");
        }
        let m = parse_str("t.toml", &with_when("{ not = { has_owner = true } }")).unwrap();
        assert_eq!(
            m.rules[0].when,
            [Condition::Not(vec![Condition::HasOwner(true)])]
        );
    }
}
