//! `routesim explain`: which rule a described chat matches at a given moment, why each rule
//! before it does not, and who could take it at each step of the route.

use std::fmt::Write as _;

use super::describe::{action, condition};
use super::human_secs;
use crate::model::{
    Action, ChatContext, Condition, DAY, Model, NO_VALUE, StepTarget, TICKS_PER_SEC, ValueId,
};

/// A chat to explain: attribute values as written, ownership and the moment.
#[derive(Debug, Clone)]
pub struct Probe {
    /// `(attribute, value)` pairs, such as `("topic", "returns")`.
    pub attrs: Vec<(String, String)>,
    /// Whether the customer has an owner.
    pub has_owner: bool,
    /// Ticks since Monday 00:00.
    pub week_time: u64,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn when_text(week_time: u64) -> String {
    let tod = (week_time % DAY) / TICKS_PER_SEC;
    format!(
        "{} {:02}:{:02}",
        DAYS[(week_time / DAY) as usize % 7],
        tod / 3_600,
        tod / 60 % 60
    )
}

/// The chat's attribute values as ids; values the scenario never mentions become [`NO_VALUE`].
fn attr_ids(m: &Model, probe: &Probe) -> Vec<ValueId> {
    let mut attrs = vec![NO_VALUE; m.attributes.len()];
    for (name, value) in &probe.attrs {
        if let Some(a) = m.attributes.iter().position(|a| &a.name == name) {
            attrs[a] = m.attributes[a]
                .values
                .iter()
                .position(|v| v == value)
                .map_or(NO_VALUE, |v| v as ValueId);
        }
    }
    attrs
}

/// Why a condition does not hold, in words.
fn why_not(m: &Model, c: &Condition, probe: &Probe) -> String {
    match c {
        Condition::Attr { attr, .. } => {
            let name = &m.attributes[attr.ix()].name;
            match probe.attrs.iter().find(|(n, _)| n == name) {
                Some((_, v)) => format!("wants {}, but {name} is {v}", condition(m, c)),
                None => format!("wants {}, but the chat has no {name}", condition(m, c)),
            }
        }
        Condition::Hours(_) | Condition::Days(_) => format!(
            "wants {}, but it is {}",
            condition(m, c),
            when_text(probe.week_time)
        ),
        Condition::Calendar { calendar, .. } => {
            let open = m.calendars[*calendar].is_open(probe.week_time);
            format!(
                "wants {}, but {} is {} at {}",
                condition(m, c),
                m.calendars[*calendar].name,
                if open { "open" } else { "closed" },
                when_text(probe.week_time)
            )
        }
        Condition::HasOwner(_) => format!(
            "wants {}, but the chat has_owner = {}",
            condition(m, c),
            probe.has_owner
        ),
        Condition::Not(_) => format!("wants {}, but all of it holds", condition(m, c)),
    }
}

/// The explanation, as text.
pub fn explain(m: &Model, probe: &Probe) -> String {
    let mut out = String::new();
    let attrs = attr_ids(m, probe);
    let cx = ChatContext {
        attrs: &attrs,
        week_time: probe.week_time,
        has_owner: probe.has_owner,
    };
    let described: Vec<String> = probe
        .attrs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let _ = writeln!(
        out,
        "chat: {} at {}, has_owner = {}",
        if described.is_empty() {
            "(no attributes)".into()
        } else {
            described.join(", ")
        },
        when_text(probe.week_time),
        probe.has_owner
    );
    for (name, value) in &probe.attrs {
        match m.attributes.iter().find(|a| &a.name == name) {
            None => {
                let _ = writeln!(
                    out,
                    "  note: no rule or traffic stream uses the attribute {name}"
                );
            }
            Some(a) if !a.values.contains(value) => {
                let _ = writeln!(
                    out,
                    "  note: no rule or traffic stream uses {name} = {value}"
                );
            }
            _ => {}
        }
    }
    out.push('\n');
    let mut matched = None;
    for (i, r) in m.rules.iter().enumerate() {
        let failing: Vec<&Condition> = r
            .when
            .iter()
            .filter(|c| !c.matches(&cx, &m.calendars))
            .collect();
        if failing.is_empty() {
            let _ = writeln!(
                out,
                "rule {} \"{}\": matches ({})",
                i + 1,
                r.name,
                super::describe::when(m, r)
            );
            matched = Some(r);
            break;
        }
        let _ = writeln!(out, "rule {} \"{}\": no match", i + 1, r.name);
        for c in failing {
            let _ = writeln!(out, "    {}", why_not(m, c, probe));
        }
    }
    let tod = probe.week_time % DAY;
    let on_shift = |a: &crate::model::AgentId| m.agents[a.ix()].shift.is_none_or(|s| s.covers(tod));
    let eligible = |members: &[crate::model::AgentId]| {
        let on: Vec<&str> = members
            .iter()
            .filter(|a| on_shift(a))
            .map(|a| m.agents[a.ix()].name.as_str())
            .collect();
        let shown = if on.len() > 8 {
            format!("{}, ... ({} more)", on[..8].join(", "), on.len() - 8)
        } else {
            on.join(", ")
        };
        format!(
            "{} of {} agents on shift{}",
            on.len(),
            members.len(),
            if on.is_empty() {
                String::new()
            } else {
                format!(": {shown}")
            }
        )
    };
    out.push('\n');
    match matched {
        None => {
            let _ = writeln!(out, "no rule matches.");
        }
        Some(r) => {
            let _ = writeln!(out, "action: {}", action(m, r));
            if let Some(b) = &r.bot {
                let _ = writeln!(
                    out,
                    "  first a bot: mean {}, resolves {:.0}%",
                    human_secs(Some(b.duration.mean_secs)),
                    b.resolves * 100.0
                );
            }
            if let Action::Route(steps) = &r.action {
                for (j, s) in steps.iter().enumerate() {
                    let timeout = s.timeout.map_or("waits until answered".to_string(), |t| {
                        format!("moves on after {}", human_secs(Some(t.as_secs_f64())))
                    });
                    match s.to {
                        StepTarget::Target(t) => {
                            let target = &m.targets[t.ix()];
                            let note = if target.members.iter().any(on_shift) {
                                ""
                            } else {
                                " -> skipped: nobody on shift"
                            };
                            let _ = writeln!(
                                out,
                                "  step {}: {} ({}, {timeout}): {}{note}",
                                j + 1,
                                target.name,
                                target.strategy.name(),
                                eligible(&target.members)
                            );
                        }
                        StepTarget::Owner => {
                            let note = if probe.has_owner {
                                "the chat's owner, if on shift and below cap"
                            } else {
                                "skipped: the chat has no owner"
                            };
                            let _ = writeln!(out, "  step {}: owner ({timeout}): {note}", j + 1);
                        }
                    }
                }
            }
        }
    }
    if let Some(f) = &m.fallback {
        let target = &m.targets[f.target.ix()];
        let when = match (matched.is_some(), f.after_checks) {
            (false, _) => "now, as no rule matches".to_string(),
            (true, Some(n)) => {
                format!("after {n} steps without an agent, or at the end of the route")
            }
            (true, None) => "at the end of the route".to_string(),
        };
        let _ = writeln!(
            out,
            "fallback ({when}): {} ({}): {}",
            target.name,
            target.strategy.name(),
            eligible(&target.members)
        );
    } else if matched.is_none() {
        let _ = writeln!(out, "with no fallback, the chat gets the after-hours reply");
    }
    out
}
