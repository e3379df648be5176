//! A readable account of what a scenario defines: the output of `validate`.

use std::fmt::Write as _;

use super::human_secs;
use crate::model::{Action, Condition, Model, Rule, StepTarget, TimeOfDay, WEEKDAYS, WeekTime};
use crate::scenario::limits::num;

fn hhmm(ticks: u64) -> String {
    TimeOfDay(ticks).to_string()
}

/// One condition in words, as a user would write it.
pub fn condition(m: &Model, c: &Condition) -> String {
    match c {
        Condition::Attr { attr, values } => {
            let a = &m.attributes[attr.ix()];
            let vals: Vec<&str> = values
                .iter()
                .map(|&v| a.values[v as usize].as_str())
                .collect();
            format!("{} = {}", a.name, vals.join(" | "))
        }
        Condition::Hours(w) => format!("hours {}-{}", hhmm(w.start), hhmm(w.end)),
        Condition::Days(mask) => {
            let days: Vec<&str> = (0..7)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| WEEKDAYS[i])
                .collect();
            format!("days {}", days.join(", "))
        }
        Condition::Calendar { calendar, inside } => {
            format!(
                "{} {}",
                if *inside { "inside" } else { "outside" },
                m.calendars[*calendar].name
            )
        }
        Condition::HasOwner(b) => format!("has_owner = {b}"),
        Condition::Not(all) => format!(
            "not ({})",
            all.iter()
                .map(|c| condition(m, c))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    }
}

/// A rule's conditions in words (`always` when it has none).
pub fn when(m: &Model, r: &Rule) -> String {
    match r.when.is_empty() {
        true => "always".to_string(),
        false => format!(
            "when {}",
            r.when
                .iter()
                .map(|c| condition(m, c))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    }
}

/// A rule's action in words.
pub fn action(m: &Model, r: &Rule) -> String {
    match &r.action {
        Action::Redirect(c) => format!("redirect to {}", m.channels[*c as usize]),
        Action::AfterHours => "after-hours reply and ticket".to_string(),
        Action::Route(steps) => steps
            .iter()
            .map(|s| {
                let name = match s.to {
                    StepTarget::Target(t) => m.targets[t.ix()].name.clone(),
                    StepTarget::Owner => "owner".to_string(),
                };
                s.timeout.map_or(name.clone(), |t| {
                    format!("{name} ({})", human_secs(Some(t.as_secs_f64())))
                })
            })
            .collect::<Vec<_>>()
            .join(" -> "),
    }
}

/// A readable summary of what a scenario defines (the output of `validate`).
pub fn describe(m: &Model) -> String {
    let h = |s: f64| human_secs(Some(s));
    let mut out = String::new();
    let _ = writeln!(out, "{} is valid", m.name);
    let _ = writeln!(
        out,
        "simulation: {} measured after {} warm-up, from {}; seed {}, {} replication(s); service level within {}",
        h(m.duration.as_secs_f64()),
        h(m.warmup.as_secs_f64()),
        WeekTime(m.start),
        m.seed,
        m.replications,
        h(m.service_level.as_secs_f64())
    );
    let _ = writeln!(out, "teams: {}", m.teams.len());
    for t in &m.teams {
        let slots: u64 = t
            .members
            .iter()
            .map(|a| m.agents[a.ix()].max_chats as u64)
            .sum();
        let _ = writeln!(
            out,
            "  {} ({}): {} agents, {} chat slots",
            t.name,
            t.strategy.name(),
            t.members.len(),
            slots
        );
    }
    let shifts = m.agents.iter().filter(|a| a.shift.is_some()).count();
    let _ = writeln!(out, "agents: {} ({} with shifts)", m.agents.len(), shifts);
    let _ = writeln!(out, "traffic: {}", m.traffic.len());
    for t in &m.traffic {
        let mean = t.profile.mean();
        let load = t.rate * mean * t.handle_time.mean_secs;
        let patience = t
            .patience
            .as_ref()
            .map_or("never abandons".to_string(), |p| {
                format!("patience mean {}", h(p.mean_secs))
            });
        let _ = writeln!(
            out,
            "  {}: {:.1}/h (x{:.2} on average over the week, peak x{:.2}), handle time mean {}, {patience}; offered load {:.1} erlangs",
            t.name,
            t.rate * 3_600.0,
            mean,
            t.profile.peak(),
            h(t.handle_time.mean_secs),
            load
        );
        if let Some(r) = &t.replay {
            let at = |secs: f64| {
                let ticks = crate::model::SimTime::from_secs_f64(secs.max(0.0));
                crate::model::WeekTime(m.week_time(ticks))
            };
            let dropped = match (r.rows_before, r.rows_after) {
                (0, 0) => String::new(),
                (b, a) => {
                    format!(" ({b} before the clock begins, {a} after the end, not replayed)")
                }
            };
            let _ = writeln!(
                out,
                "    replayed from {}: {} of its {} rows in the run{dropped}, {} to {}; x{} gives about {:.0} chats a replication",
                r.path.display(),
                r.rows_in_run,
                r.rows,
                at(r.first),
                at(r.last),
                r.scale,
                r.rows_in_run as f64 * r.scale
            );
        }
    }
    let _ = writeln!(out, "rules: {}", m.rules.len());
    for r in &m.rules {
        let priority = if r.priority > 0 {
            format!(" [priority {}]", r.priority)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {}: {} -> {}{priority}",
            r.name,
            when(m, r),
            action(m, r)
        );
    }
    for c in &m.calendars {
        let open: Vec<String> = c
            .days
            .iter()
            .enumerate()
            .filter(|(_, w)| !w.is_empty())
            .map(|(d, w)| {
                format!(
                    "{} {}",
                    WEEKDAYS[d],
                    w.iter()
                        .map(|w| format!("{}-{}", hhmm(w.start), hhmm(w.end)))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        let _ = writeln!(out, "calendar {}: {}", c.name, open.join("; "));
    }
    if let Some(f) = &m.fallback {
        let who = &m.targets[f.target.ix()];
        let to = if who.team.is_some() {
            format!("team {}", who.name)
        } else {
            format!("every agent on shift ({})", who.strategy.name())
        };
        match f.after_checks {
            Some(n) => {
                let _ = writeln!(
                    out,
                    "fallback: {to}, for chats that match no rule, run out of route, or go {n} steps without an agent"
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "fallback: {to}, for chats that match no rule or run out of route"
                );
            }
        }
    } else {
        let _ = writeln!(
            out,
            "no [fallback]: chats that match no rule, or find nobody on shift at any step, get the after-hours action"
        );
    }
    if !m.slos.is_empty() {
        let list: Vec<String> = m
            .slos
            .iter()
            .map(|slo| {
                let op = match slo.bound {
                    crate::model::Bound::AtLeast => ">=",
                    crate::model::Bound::AtMost => "<=",
                };
                let limit = match slo.limit {
                    crate::model::Limit::Secs(v) => human_secs(Some(v)),
                    crate::model::Limit::Percent(p) => format!("{}%", num(p * 100.0)),
                    crate::model::Limit::Number(v) => num(v),
                };
                format!("{} {op} {limit}", slo.metric)
            })
            .collect();
        let _ = writeln!(out, "gate ([[slo]], a breach exits 1): {}", list.join(", "));
    }
    out
}

/// `validate`'s staffing view: offered load against chat slots on shift by half hour of the
/// clock (the quarter-hours of [`crate::lint::staffing`] two by two), then the worst half hours.
/// Half hours with neither load nor slots are left out.
pub fn staffing(rows: &[crate::lint::IntervalLoad]) -> String {
    const HALF: u64 = 1_800 * crate::model::TICKS_PER_SEC;
    let mut halves: Vec<(u64, f64, f64, u32)> = Vec::new();
    for r in rows {
        let start = r.start / HALF * HALF;
        match halves.last_mut() {
            Some(h) if h.0 == start => {
                h.1 += r.load;
                h.2 += r.slots;
                h.3 += 1;
            }
            _ => halves.push((start, r.load, r.slots, 1)),
        }
    }
    let halves: Vec<(u64, f64, f64)> = halves
        .into_iter()
        .map(|(s, l, c, n)| (s, l / n as f64, c / n as f64))
        .filter(|h| h.1 > 0.0 || h.2 > 0.0)
        .collect();
    let mut out = String::new();
    if halves.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "\nstaffing by half hour (offered load reaching agents, in erlangs, against chat slots on shift):"
    );
    let mut table = vec![
        ["interval", "load", "slots", "load/slots"]
            .map(String::from)
            .to_vec(),
    ];
    let share = |l: f64, c: f64| {
        if c > 0.0 {
            format!("{:.0}%", 100.0 * l / c)
        } else {
            "nobody on".into()
        }
    };
    for &(s, l, c) in &halves {
        table.push(vec![
            WeekTime(s).to_string(),
            format!("{l:.1}"),
            format!("{c:.1}"),
            share(l, c),
        ]);
    }
    out.push_str(&super::table::layout(&table));
    let mut worst: Vec<&(u64, f64, f64)> = halves.iter().filter(|h| h.1 > 0.0).collect();
    // Load with nobody on first, then the highest load per slot; ties by time.
    worst.sort_by(|a, b| {
        let r = |h: &(u64, f64, f64)| if h.2 > 0.0 { h.1 / h.2 } else { f64::INFINITY };
        r(b).total_cmp(&r(a)).then(a.0.cmp(&b.0))
    });
    let named: Vec<String> = worst
        .iter()
        .take(3)
        .map(|&&(s, l, c)| {
            format!(
                "{} ({l:.1} erlangs on {c:.1} slots, {})",
                WeekTime(s),
                share(l, c)
            )
        })
        .collect();
    if !named.is_empty() {
        let _ = writeln!(out, "worst half hours: {}", named.join(", "));
    }
    out
}
