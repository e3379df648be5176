//! `routesim explain`: which rule a described chat matches at a given moment, why each rule
//! before it does not, and who could take it at each step of the route.
//!
//! Every answer comes from the routing core, asked exactly as the engine asks it:
//! [`routing::choose_rule`] and [`routing::failing_conditions`] for the rules, and
//! [`routing::decide`] at each route step on two boards of the moment (everyone on shift free,
//! and everyone on shift at their cap), so explain cannot drift from what a run does. This
//! module only adds the words.

use std::fmt::Write as _;

use super::describe::{action, condition};
use super::human_secs;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use crate::model::{
    Action, AgentId, ChatContext, Condition, Model, NO_VALUE, StepTarget, ValueId, WeekTime,
};
use crate::routing::{self, Board, ChatView, Decision, FALLBACK_STEP};

/// A chat to explain: attribute values as written, ownership and the moment.
#[derive(Debug, Clone)]
pub struct Probe {
    /// `(attribute, value)` pairs, such as `("topic", "returns")`.
    pub attrs: Vec<(String, String)>,
    /// Whether the customer has an owner.
    pub has_owner: bool,
    /// The owner, when one is named (implies `has_owner`).
    pub owner: Option<AgentId>,
    /// Ticks since Monday 00:00.
    pub week_time: u64,
}

fn when_text(week_time: u64) -> String {
    WeekTime(week_time).to_string()
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

/// Who on a target is on shift, in words.
fn on_shift_text(m: &Model, board: &Board, members: &[AgentId]) -> String {
    let on: Vec<&str> = members
        .iter()
        .filter(|&&a| board.agent(a).on_shift)
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
}

/// What a decision means for the customer, in words.
fn outcome_text(m: &Model, d: &Decision) -> String {
    match d {
        Decision::Assign { agent, at } => format!(
            "{} takes it now (via {})",
            m.agents[agent.ix()].name,
            m.targets[at.target.ix()].name
        ),
        Decision::Wait { at } => match at.queue.0 as usize >= m.targets.len() {
            true => "it waits for its owner".to_string(),
            false => format!("it waits for {}", m.targets[at.target.ix()].name),
        },
        Decision::Redirect(c) => format!("it is redirected to {}", m.channels[*c as usize]),
        Decision::AfterHours => "it gets the after-hours action (reply and ticket)".to_string(),
    }
}

/// The explanation, as text.
pub fn explain(m: &Model, probe: &Probe) -> String {
    let mut out = String::new();
    let attrs = attr_ids(m, probe);
    let has_owner = probe.has_owner || probe.owner.is_some();
    let cx = ChatContext {
        attrs: &attrs,
        week_time: probe.week_time,
        has_owner,
    };
    let described: Vec<String> = probe
        .attrs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let owner = probe
        .owner
        .map_or(String::new(), |o| format!(" ({})", m.agents[o.ix()].name));
    let _ = writeln!(
        out,
        "chat: {} at {}, has_owner = {has_owner}{owner}",
        if described.is_empty() {
            "(no attributes)".into()
        } else {
            described.join(", ")
        },
        when_text(probe.week_time),
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
    let matched = routing::choose_rule(m, &cx);
    let tried = matched.map_or(m.rules.len(), |r| r.ix() + 1);
    for (i, r) in m.rules.iter().enumerate().take(tried) {
        let rule = crate::model::RuleId(i as u32);
        if Some(rule) == matched {
            let _ = writeln!(
                out,
                "rule {} \"{}\": matches ({})",
                i + 1,
                r.name,
                super::describe::when(m, r)
            );
            break;
        }
        let _ = writeln!(out, "rule {} \"{}\": no match", i + 1, r.name);
        for c in routing::failing_conditions(m, rule, &cx) {
            let _ = writeln!(out, "    {}", why_not(m, c, probe));
        }
    }
    // Two boards of the moment: everyone on shift free, and everyone on shift at their cap.
    let free = Board::at(m, probe.week_time, false);
    let busy = Board::at(m, probe.week_time, true);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut ask = |board: &Board, step: usize| {
        let view = ChatView {
            rule: matched,
            step,
            checks: step as u32,
            owner: probe.owner,
        };
        routing::decide(m, board, view, &mut rng)
    };
    out.push('\n');
    let mut route_len = 0;
    let after_checks = m.fallback.as_ref().and_then(|f| f.after_checks);
    // The last step the chat is offered at, and whether it waits there until answered.
    let mut stays = false;
    match matched {
        None => {
            let _ = writeln!(out, "no rule matches.");
        }
        Some(r) => {
            let r = &m.rules[r.ix()];
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
                route_len = steps.len();
                for (j, s) in steps.iter().enumerate() {
                    let timeout = s.timeout.map_or("waits until answered".to_string(), |t| {
                        format!("moves on after {}", human_secs(Some(t.as_secs_f64())))
                    });
                    let (name, members): (String, &[AgentId]) = match s.to {
                        StepTarget::Target(t) => {
                            let target = &m.targets[t.ix()];
                            (
                                format!("{} ({}, {timeout})", target.name, target.strategy.name()),
                                &target.members,
                            )
                        }
                        StepTarget::Owner => (format!("owner ({timeout})"), probe.owner.as_slice()),
                    };
                    if let Some(n) = after_checks.filter(|&n| j as u32 >= n) {
                        let _ = writeln!(
                            out,
                            "  step {}: {name}: not reached ([fallback] after_checks = {n} sends the chat on first)",
                            j + 1
                        );
                        continue;
                    }
                    let now = ask(&free, j);
                    let offered_here = match now {
                        Decision::Assign { at, .. } | Decision::Wait { at } => at.step == j,
                        _ => false,
                    };
                    let who = match (s.to, probe.owner, has_owner) {
                        (StepTarget::Owner, None, true) => {
                            "no owner named (give --owner NAME), so taken as off shift".into()
                        }
                        (StepTarget::Owner, None, false) => "the chat has no owner".into(),
                        _ => on_shift_text(m, &free, members),
                    };
                    if !offered_here {
                        let _ = writeln!(out, "  step {}: {name}: {who} -> skipped", j + 1);
                        continue;
                    }
                    stays = s.timeout.is_none();
                    let _ = writeln!(
                        out,
                        "  step {}: {name}: {who}\n    if free: {}; if all busy: {}",
                        j + 1,
                        outcome_text(m, &now),
                        outcome_text(m, &ask(&busy, j)),
                    );
                }
            }
        }
    }
    // Past the route (or with no rule): the fallback, or the after-hours action.
    let beyond = ask(&free, route_len);
    let leaves = match (&beyond, matched) {
        _ if stays => None,
        (Decision::Redirect(_), _) => None,
        (Decision::AfterHours, Some(r)) if !matches!(m.rules[r.ix()].action, Action::Route(_)) => {
            None
        }
        _ => Some(beyond),
    };
    if let Some(d) = leaves {
        let when = match (
            matched.is_some(),
            m.fallback.as_ref().and_then(|f| f.after_checks),
        ) {
            (false, _) => "now, as no rule matches".to_string(),
            (true, Some(n)) => {
                format!("after {n} steps without an agent, or at the end of the route")
            }
            (true, None) => "at the end of the route".to_string(),
        };
        match (&d, &m.fallback) {
            (Decision::Assign { at, .. } | Decision::Wait { at }, Some(_))
                if at.step == FALLBACK_STEP =>
            {
                let target = &m.targets[at.target.ix()];
                let _ = writeln!(
                    out,
                    "fallback ({when}): {} ({}): {}\n    if free: {}",
                    target.name,
                    target.strategy.name(),
                    on_shift_text(m, &free, &target.members),
                    outcome_text(m, &d)
                );
            }
            _ => {
                let why = if m.fallback.is_some() {
                    "the fallback has nobody on shift"
                } else {
                    "there is no [fallback]"
                };
                let _ = writeln!(out, "{when}: {} ({why})", outcome_text(m, &d));
            }
        }
    }
    out
}
