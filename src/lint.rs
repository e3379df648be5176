//! Lints: what is worth a planner's attention in a valid scenario, found by asking the routing
//! core the questions the engine asks.
//!
//! The lints sweep one week in stretches over which nothing changes: the week is cut at every
//! quarter-hour, every shift change ([`crate::model::Agent::next_shift_change`]), every profile
//! point, every edge of an `hours` condition or calendar, and the run's start and end. At the
//! start of each stretch a [`Board`] holds the agents on shift by
//! [`crate::model::Agent::on_shift_at`], and the engine's [`RuleIndex`] and [`routing::decide`]
//! say where each kind of chat would go, so a lint and a run cannot disagree about who works
//! when or which rule applies. [`warnings`] runs once per `run` and per `validate`.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use crate::model::{
    Action, ChatContext, Condition, DAY, Model, NO_VALUE, SimTime, StepTarget, TICKS_PER_SEC,
    ValueId, WEEK, WeekTime,
};
use crate::routing::{self, Board, ChatView, Decision, RuleIndex};

/// Minutes in a week: the sweep's steps.
const WEEK_MINUTES: u64 = 7 * 1_440;
/// Minutes per interval of the overload check (a planner's quarter-hour).
pub const INTERVAL_MINUTES: u64 = 15;
/// Most attribute combinations of one stream the sweep evaluates; past it, the checks that
/// enumerate chats are skipped for that stream rather than made slow.
const MAX_COMBINATIONS: usize = 2_000;

/// One quarter-hour of the week the run covers, for `validate`'s staffing view: the offered
/// load that reaches agents and the chat slots on shift, both averaged over the quarter-hour
/// (slots counted at each agent's chance of not being absent), as the overload lint sees them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalLoad {
    /// Start, ticks since Monday 00:00.
    pub start: u64,
    /// Offered load, erlangs (chat-slots busy on average if every chat were served).
    pub load: f64,
    /// Chat slots on shift, on average.
    pub slots: f64,
}

/// The offered load and the slots on shift for each quarter-hour of the week the run covers,
/// in order from Monday 00:00.
pub fn staffing(model: &Model) -> Vec<IntervalLoad> {
    Sweep::run(model).staffing
}

/// Every warning for a model: the compiler's (unknown attributes and the like), then the lints'.
pub fn warnings(model: &Model) -> Vec<String> {
    let mut out = model.warnings.clone();
    skills(model, &mut out);
    shadowed(model, &mut out);
    let sweep = Sweep::run(model);
    out.extend(sweep.warnings);
    out
}

fn skills(model: &Model, out: &mut Vec<String>) {
    for t in model
        .targets
        .iter()
        .filter(|t| !t.require.is_empty() && t.members.is_empty())
    {
        out.push(format!("no agent of team {} has the required skills, so steps offering to it are always skipped", t.name));
    }
}

/// Rules an earlier rule always beats.
fn shadowed(model: &Model, out: &mut Vec<String>) {
    for (j, later) in model.rules.iter().enumerate() {
        if let Some(i) = (0..j).find(|&i| covers(&model.rules[i].when, &later.when)) {
            out.push(format!(
                "rules[{j}] \"{}\" never matches: the earlier rule \"{}\" matches every chat it would",
                later.name, model.rules[i].name
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

/// One kind of chat a stream produces: its attribute values, whether it has an owner, and how
/// likely it is among the stream's chats.
struct Kind {
    attrs: Vec<ValueId>,
    has_owner: bool,
    share: f64,
}

/// The attributes that can change where a chat goes: those a rule's condition names, and the
/// one that says which customers have owners.
fn relevant_attributes(model: &Model) -> Vec<bool> {
    fn mark(conds: &[Condition], out: &mut [bool]) {
        for c in conds {
            match c {
                Condition::Attr { attr, .. } => out[attr.ix()] = true,
                Condition::Not(inner) => mark(inner, out),
                _ => {}
            }
        }
    }
    let mut out = vec![false; model.attributes.len()];
    for r in &model.rules {
        mark(&r.when, &mut out);
    }
    for t in &model.traffic {
        if let Some((a, _)) = t.owner.as_ref().and_then(|o| o.existing) {
            out[a.ix()] = true;
        }
    }
    out
}

/// Every kind of chat of each stream, as the rules tell them apart (`None` for a stream with
/// too many kinds to enumerate). Attributes no rule looks at are left unset, so they do not
/// multiply the kinds.
fn kinds(model: &Model) -> Vec<Option<Vec<Kind>>> {
    let n_attrs = model.attributes.len();
    let relevant = relevant_attributes(model);
    model
        .traffic
        .iter()
        .map(|t| {
            let dists: Vec<_> = t
                .attributes
                .iter()
                .filter(|(a, _)| relevant[a.ix()])
                .map(|(a, c)| (*a, c.distribution()))
                .collect();
            let combos = dists
                .iter()
                .try_fold(1usize, |n, d| n.checked_mul(d.1.len()))
                .filter(|&n| n <= MAX_COMBINATIONS)?;
            let mut out = Vec::new();
            for mut k in 0..combos {
                let mut attrs = vec![NO_VALUE; n_attrs];
                let mut p = 1.0;
                for (a, d) in &dists {
                    let (v, pv) = d[k % d.len()];
                    attrs[a.ix()] = v;
                    p *= pv;
                    k /= d.len();
                }
                let owned = t.owner.as_ref().map_or(0.0, |o| {
                    let eligible = o.existing.is_none_or(|(a, v)| attrs[a.ix()] == v);
                    if eligible { o.share } else { 0.0 }
                });
                if owned > 0.0 {
                    out.push(Kind {
                        attrs: attrs.clone(),
                        has_owner: true,
                        share: p * owned,
                    });
                }
                if owned < 1.0 {
                    out.push(Kind {
                        attrs,
                        has_owner: false,
                        share: p * (1.0 - owned),
                    });
                }
            }
            Some(out)
        })
        .collect()
}

/// The moments of the week (ticks since Monday 00:00, sorted) at which something a lint looks
/// at may change; between two of them, nothing does.
/// Every agent's shift changes in the week after Monday 00:00, as (week time, agent index),
/// by time and then by agent: the only moments an agent's [`crate::model::Agent::on_shift_at`]
/// can differ from the stretch before.
fn shift_changes(model: &Model) -> Vec<(u64, u32)> {
    let mut changes = Vec::new();
    for (i, a) in model.agents.iter().enumerate() {
        let mut t = 0;
        while let Some(dt) = a.next_shift_change(t) {
            t += dt;
            if t >= WEEK {
                break;
            }
            changes.push((t, i as u32));
        }
    }
    // Stable: agents stay in index order within a moment.
    changes.sort_by_key(|&(t, _)| t);
    changes
}

fn breakpoints(model: &Model, changes: &[(u64, u32)]) -> Vec<u64> {
    let mut tods = Vec::new();
    let mut windows = |w: &crate::model::Shift| {
        tods.push(w.start);
        tods.push(w.end);
    };
    for c in &model.calendars {
        c.days.iter().flatten().for_each(&mut windows);
    }
    fn hours(conds: &[Condition], out: &mut dyn FnMut(&crate::model::Shift)) {
        for c in conds {
            match c {
                Condition::Hours(w) => out(w),
                Condition::Not(inner) => hours(inner, out),
                _ => {}
            }
        }
    }
    for r in &model.rules {
        hours(&r.when, &mut windows);
    }
    let step = INTERVAL_MINUTES * 60 * TICKS_PER_SEC;
    let mut points: Vec<u64> = (0..WEEK / step).map(|i| i * step).collect();
    for day in 0..7 {
        points.extend(tods.iter().map(|tod| day * DAY + tod % DAY));
    }
    for t in &model.traffic {
        points.extend(t.profile.points.iter().map(|p| p.0));
    }
    points.extend(changes.iter().map(|&(t, _)| t));
    let first = model.week_time(SimTime::ZERO);
    points.push(first);
    points.push((first + model.end().0.min(WEEK)) % WEEK);
    points.sort_unstable();
    points.dedup();
    points
}

/// Pools of agents that share load: agents of one target, of the targets one route offers to in
/// turn (and the fallback it can time out to), and agents in several teams, are one pool.
/// Overload is judged per pool, so idle slots in one team cannot hide another that is short.
/// A `[fallback]` to every agent makes the whole desk one pool, since everyone can then help.
/// Returns each agent's pool and each pool's name.
fn pools(model: &Model) -> (Vec<usize>, Vec<String>) {
    let n = model.agents.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let union_all = |p: &mut Vec<usize>, agents: &mut dyn Iterator<Item = usize>| {
        if let Some(first) = agents.next() {
            let root = find(p, first);
            for a in agents {
                let r = find(p, a);
                p[r] = root;
            }
        }
    };
    for t in &model.targets {
        union_all(&mut parent, &mut t.members.iter().map(|a| a.ix()));
    }
    let owner_teams: Vec<usize> = model
        .traffic
        .iter()
        .filter_map(|t| {
            t.owner
                .as_ref()
                .map(|o| model.teams[o.team.ix()].target.ix())
        })
        .collect();
    for r in &model.rules {
        let Action::Route(steps) = &r.action else {
            continue;
        };
        let mut targets: Vec<usize> = Vec::new();
        for s in steps {
            match s.to {
                StepTarget::Target(t) => targets.push(t.ix()),
                StepTarget::Owner => targets.extend(&owner_teams),
            }
        }
        if let Some(f) = &model.fallback {
            let times_out = steps.last().is_some_and(|s| s.timeout.is_some());
            let cut_short = f.after_checks.is_some_and(|n| (n as usize) < steps.len());
            if times_out || cut_short {
                targets.push(f.target.ix());
            }
        }
        union_all(
            &mut parent,
            &mut targets
                .iter()
                .flat_map(|&t| model.targets[t].members.iter().map(|a| a.ix())),
        );
    }
    // Number the pools densely, in order of their first agent.
    let mut id = vec![usize::MAX; n];
    let mut count = 0;
    let of: Vec<usize> = (0..n)
        .map(|a| {
            let r = find(&mut parent, a);
            if id[r] == usize::MAX {
                id[r] = count;
                count += 1;
            }
            id[r]
        })
        .collect();
    let names = (0..count)
        .map(|p| {
            let teams: Vec<&str> = model
                .teams
                .iter()
                .filter(|t| t.members.first().is_some_and(|a| of[a.ix()] == p))
                .map(|t| t.name.as_str())
                .collect();
            match teams.len() {
                0 => "agents in no team".to_string(),
                1 => format!("team {}", teams[0]),
                2..=4 => format!("teams {}", teams.join(", ")),
                k => format!("teams {} and {} more", teams[..3].join(", "), k - 3),
            }
        })
        .collect();
    (of, names)
}

/// `mon 10:00`, for a minute of the week.
fn minute_text(minute: u64) -> String {
    WeekTime(minute % WEEK_MINUTES * 60 * TICKS_PER_SEC).to_string()
}

/// The week, stretch by stretch: what the routing core does with each kind of chat.
struct Sweep {
    warnings: Vec<String>,
    staffing: Vec<IntervalLoad>,
}

impl Sweep {
    fn run(model: &Model) -> Sweep {
        let kinds = kinds(model);
        let mut board = Board::new(model);
        // The rules as the engine chooses among them (property-tested to give the ordered
        // scan's answer): a chat of a 1,000-rule desk reads a few words, not every condition.
        let rules = RuleIndex::new(model);
        // The decisions below never pick among agents in a way that matters here; a fixed
        // stream keeps them deterministic.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        let mut on = vec![false; model.agents.len()];
        let (pool_of, pool_names) = pools(model);
        // Slots on shift, each agent's counted at the chance it is not absent.
        let mut slots = vec![0.0f64; pool_names.len()];
        // Per rule: whether its time conditions ever hold, and per step whether it is ever
        // staffed when they do.
        let mut applies = vec![false; model.rules.len()];
        let mut staffed: Vec<Vec<bool>> = model
            .rules
            .iter()
            .map(|r| match &r.action {
                Action::Route(steps) => vec![false; steps.len()],
                _ => Vec::new(),
            })
            .collect();
        let timed: Vec<Vec<&Condition>> = model
            .rules
            .iter()
            .map(|r| {
                r.when
                    .iter()
                    .filter(|c| {
                        matches!(
                            c,
                            Condition::Hours(_) | Condition::Days(_) | Condition::Calendar { .. }
                        )
                    })
                    .collect()
            })
            .collect();
        let no_attrs = vec![NO_VALUE; model.attributes.len()];
        // First moment at which some kind of chat of each stream matches no rule.
        let mut unmatched: Vec<Option<(u64, usize)>> = vec![None; model.traffic.len()];
        // Per interval: offered load reaching agents (erlang-minutes) and slot-minutes on shift.
        let intervals = (WEEK_MINUTES / INTERVAL_MINUTES) as usize;
        let mut load = vec![vec![0.0f64; intervals]; pool_names.len()];
        let mut capacity = vec![vec![0.0f64; intervals]; pool_names.len()];
        // Overload is judged over the time the run covers (warm-up included), a week at most;
        // the other lints are about the rule set, so they look at the whole week.
        let first = model.week_time(SimTime::ZERO);
        let run_len = model.end().0.clamp(1, WEEK);
        let in_run = |t: u64| (t + WEEK - first) % WEEK < run_len;
        let mut covered = vec![false; intervals];
        let changes = shift_changes(model);
        let points = breakpoints(model, &changes);
        // Agents are looked at all at the first stretch, then only those whose shift changes
        // where a stretch starts (in index order, as the board and the sums saw them when
        // every agent was looked at every stretch): a desk of 100,000 agents is not swept
        // 672 times.
        let mut changes = changes.iter().peekable();
        for (k, &week_time) in points.iter().enumerate() {
            let until = points.get(k + 1).copied().unwrap_or(WEEK);
            // The stretch's length in minutes: loads and slots are summed as erlang-minutes.
            let len = (until - week_time) as f64 / (60 * TICKS_PER_SEC) as f64;
            let minute = week_time / (60 * TICKS_PER_SEC);
            let now = SimTime(week_time);
            let mut look = |a: usize| {
                let agent = &model.agents[a];
                let is_on = agent.on_shift_at(week_time);
                if is_on != on[a] {
                    on[a] = is_on;
                    board.set_on_shift(model, crate::model::AgentId(a as u32), is_on, now);
                    let expected = agent.max_chats as f64 * (1.0 - agent.absence);
                    if is_on {
                        slots[pool_of[a]] += expected;
                    } else {
                        slots[pool_of[a]] -= expected;
                    }
                }
            };
            if k == 0 {
                (0..model.agents.len()).for_each(&mut look);
            } else {
                while let Some(&(_, a)) = changes.next_if(|&&(t, _)| t <= week_time) {
                    look(a as usize);
                }
            }
            let iv = (minute / INTERVAL_MINUTES) as usize;
            let counts = in_run(week_time);
            if counts {
                covered[iv] = true;
                for (c, &n) in capacity.iter_mut().zip(&slots) {
                    c[iv] += n * len;
                }
            }
            let cx = ChatContext {
                attrs: &no_attrs,
                week_time,
                has_owner: false,
            };
            for (r, rule) in model.rules.iter().enumerate() {
                if !timed[r].iter().all(|c| c.matches(&cx, &model.calendars)) {
                    continue;
                }
                applies[r] = true;
                if let Action::Route(steps) = &rule.action {
                    for (k, s) in steps.iter().enumerate() {
                        if let StepTarget::Target(t) = s.to {
                            staffed[r][k] |= board.on_shift_count(t) > 0;
                        }
                    }
                }
            }
            for (ti, kinds) in kinds.iter().enumerate() {
                let Some(kinds) = kinds else { continue };
                let t = &model.traffic[ti];
                let (mult, _) = t.profile.segment(week_time);
                let stream_bot = t.bot.as_ref().map_or(0.0, |b| b.resolves);
                // A slot is held for the handling and the after-chat work.
                let handle = t.handle_time.mean_secs
                    * t.handle_scale
                        .as_ref()
                        .map_or(1.0, |s| s.segment(week_time).0)
                    + t.wrap_up.as_ref().map_or(0.0, |w| w.mean_secs);
                let erlangs = t.rate * mult * handle * (1.0 - stream_bot);
                for (ki, k) in kinds.iter().enumerate() {
                    let cx = ChatContext {
                        attrs: &k.attrs,
                        week_time,
                        has_owner: k.has_owner,
                    };
                    let rule = rules.choose(model, &cx);
                    if rule.is_none() && model.fallback.is_none() && unmatched[ti].is_none() {
                        unmatched[ti] = Some((minute, ki));
                    }
                    let view = ChatView {
                        rule,
                        step: 0,
                        checks: 0,
                        owner: None,
                    };
                    let reaches = match routing::decide(model, &board, view, &mut rng) {
                        Decision::Assign { at, .. } | Decision::Wait { at } => {
                            model.targets[at.target.ix()].members.first().copied()
                        }
                        _ => None,
                    };
                    if let (Some(agent), true) = (reaches, counts) {
                        let rule_bot = rule
                            .and_then(|r| model.rules[r.ix()].bot.as_ref())
                            .map_or(0.0, |b| b.resolves);
                        load[pool_of[agent.ix()]][iv] += erlangs * k.share * (1.0 - rule_bot) * len;
                    }
                }
            }
        }
        let mut warnings = Vec::new();
        for (ti, first) in unmatched.iter().enumerate() {
            if let Some((minute, ki)) = first {
                let k = &kinds[ti].as_ref().expect("enumerated")[*ki];
                let described: Vec<String> = model.traffic[ti]
                    .attributes
                    .iter()
                    // Attributes no rule reads were not enumerated, so they have no value here.
                    .filter(|(a, _)| k.attrs[a.ix()] != NO_VALUE)
                    .map(|(a, _)| {
                        let attr = &model.attributes[a.ix()];
                        format!("{}={}", attr.name, attr.values[k.attrs[a.ix()] as usize])
                    })
                    .collect();
                warnings.push(format!(
                    "some chats of traffic \"{}\" match no rule (e.g. {}{} at {}); with no [fallback] they get the after-hours action",
                    model.traffic[ti].name,
                    if described.is_empty() { "any chat".to_string() } else { described.join(", ") },
                    if k.has_owner { ", with an owner" } else { "" },
                    minute_text(*minute)
                ));
            }
        }
        for (i, r) in model.rules.iter().enumerate() {
            if !applies[i] {
                warnings.push(format!("rules[{i}] \"{}\" never matches: its hours, days and calendars never hold together", r.name));
                continue;
            }
            if let Action::Route(steps) = &r.action {
                let after = model.fallback.as_ref().and_then(|f| f.after_checks);
                if let Some(n) = after.filter(|&n| (n as usize) < steps.len()) {
                    warnings.push(format!(
                        "rules[{i}].route[{n}]: never reached: [fallback] after_checks = {n} sends every chat of rule \"{}\" to the fallback first",
                        r.name
                    ));
                }
                for (k, s) in steps.iter().enumerate() {
                    if let (StepTarget::Target(t), false) = (s.to, staffed[i][k]) {
                        warnings.push(format!(
                            "rules[{i}].route[{k}]: {} has nobody on shift at any time rule \"{}\" applies, so this step is always skipped",
                            model.targets[t.ix()].name, r.name
                        ));
                    }
                }
            }
        }
        for (p, name) in pool_names.iter().enumerate() {
            if let Some(w) = overload(model, name, &load[p], &capacity[p], &covered) {
                warnings.push(w);
            }
        }
        for (ti, k) in kinds.iter().enumerate() {
            if k.is_none() {
                warnings.push(format!(
                    "traffic \"{}\" has more than {MAX_COMBINATIONS} kinds of chat as the rules tell them apart; the overload and unmatched-chat checks leave it out",
                    model.traffic[ti].name
                ));
            }
        }
        let per = INTERVAL_MINUTES as f64;
        let staffing = (0..intervals)
            .filter(|&iv| covered[iv])
            .map(|iv| IntervalLoad {
                start: iv as u64 * INTERVAL_MINUTES * 60 * TICKS_PER_SEC,
                load: load.iter().map(|l| l[iv]).sum::<f64>() / per,
                slots: capacity.iter().map(|c| c[iv]).sum::<f64>() / per,
            })
            .collect();
        Sweep { warnings, staffing }
    }
}

/// The overload warning: offered load against slots on shift, quarter-hour by quarter-hour.
fn overload(
    model: &Model,
    pool: &str,
    load: &[f64],
    capacity: &[f64],
    covered: &[bool],
) -> Option<String> {
    let per = INTERVAL_MINUTES as f64;
    let over: Vec<usize> = (0..load.len())
        .filter(|&i| load[i] > 0.0 && load[i] >= capacity[i])
        .collect();
    // The worst interval: the highest load per slot (no slot at all is the worst); the first
    // of the week among equals.
    let ratio = |i: usize| load[i] / capacity[i].max(f64::MIN_POSITIVE);
    let &worst = over
        .iter()
        .min_by(|&&a, &&b| ratio(b).total_cmp(&ratio(a)))?;
    let from = worst as u64 * INTERVAL_MINUTES;
    let to = minute_text(from + INTERVAL_MINUTES);
    let patience = if model.traffic.iter().any(|t| t.patience.is_none()) {
        format!(
            "; some traffic has no patience, so its queue grows until {} chats wait and later ones are blocked",
            model.max_waiting
        )
    } else {
        String::new()
    };
    Some(format!(
        "{pool}: offered load reaches or exceeds the chat slots on shift in {} of the {} quarter-hours the run covers; worst {}-{}: {:.1} erlangs on {:.1} slots{patience}",
        over.len(),
        covered.iter().filter(|&&c| c).count(),
        minute_text(from),
        &to[4..],
        load[worst] / per,
        capacity[worst] / per,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_str;

    const DESK: &str = r#"
[simulation]
duration = "7d"
[[teams]]
name = "t"
[[agents]]
name = "early"
count = 10
teams = ["t"]
shift = "08:00-12:00"
[[agents]]
name = "late"
count = 10
teams = ["t"]
shift = "12:00-20:00"
[[traffic]]
name = "web"
rate = "PEAK/h"
profile = { "08:00" = 1.0, "20:00" = 0.0 }
handle_time = "6m"
patience = "2m"
[[rules]]
name = "all"
route = [{ team = "t" }]
"#;

    #[test]
    fn overload_is_judged_per_quarter_hour_not_on_the_daily_average() {
        // 100 chats/h of 6 minutes = 10 erlangs on 10 slots: at capacity all day (warn).
        let m = parse_str("t.toml", &DESK.replace("PEAK", "100")).unwrap();
        let w = warnings(&m);
        assert!(
            w.iter()
                .any(|w| w.contains("in 336 of the 672 quarter-hours")
                    && w.contains("10.0 erlangs on 10.0 slots")),
            "{w:?}"
        );
        // 90/h is 9 erlangs: fine in every interval, although nothing else changed.
        let m = parse_str("t.toml", &DESK.replace("PEAK", "90")).unwrap();
        assert!(warnings(&m).is_empty(), "{:?}", warnings(&m));
    }

    #[test]
    fn a_morning_peak_is_named_even_when_the_day_is_fine_on_average() {
        let text = DESK.replace("PEAK", "60").replace(
            r#"{ "08:00" = 1.0, "20:00" = 0.0 }"#,
            r#"{ "08:00" = 1.0, "10:00" = 2.0, "12:00" = 1.0, "20:00" = 0.0 }"#,
        );
        let m = parse_str("t.toml", &text).unwrap();
        let w = warnings(&m);
        // 120/h x 6m = 12 erlangs on 10 slots from 10:00 to 12:00, every day.
        assert!(
            w.iter().any(|w| w.contains("in 56 of the 672")
                && w.contains("worst mon 10:00-10:15: 12.0 erlangs on 10.0 slots")),
            "{w:?}"
        );
    }

    #[test]
    fn idle_slots_in_one_team_do_not_hide_another_that_is_short() {
        let text = r#"
[simulation]
duration = "8h"
[[teams]]
name = "sales"
[[teams]]
name = "support"
[[agents]]
name = "s"
count = 5
teams = ["sales"]
[[agents]]
name = "p"
count = 20
teams = ["support"]
[[traffic]]
name = "web"
rate = "100/h"
handle_time = "6m"
patience = "10m"
attributes = { topic = { sales = 1, support = 1 } }
[[rules]]
name = "sales"
when = { topic = "sales" }
route = [ { team = "sales" } ]
[[rules]]
name = "rest"
route = [ { team = "support" } ]
"#;
        // 5 erlangs on sales' 5 slots, 5 on support's 20: 10 on 25 for the desk as a whole.
        let w = warnings(&parse_str("t.toml", text).unwrap());
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("team sales: offered load")
                && w[0].contains("5.0 erlangs on 5.0 slots"),
            "{w:?}"
        );
        // An overflow from sales to support makes them one pool, which has room.
        let text = text.replace(
            "route = [ { team = \"sales\" } ]",
            "route = [ { team = \"sales\", timeout = \"1m\" }, { team = \"support\" } ]",
        );
        assert!(warnings(&parse_str("t.toml", &text).unwrap()).is_empty());
    }

    #[test]
    fn steps_past_after_checks_are_never_reached() {
        let text = DESK.replace("PEAK", "10").replace(
            "route = [{ team = \"t\" }]",
            "route = [{ team = \"t\", timeout = \"1m\" }, { team = \"t\" }]\n[fallback]\nafter_checks = 1",
        );
        let m = parse_str("t.toml", &text).unwrap();
        let w = warnings(&m);
        assert!(
            w.iter()
                .any(|w| w
                    .starts_with("rules[0].route[1]: never reached: [fallback] after_checks = 1")),
            "{w:?}"
        );
    }

    #[test]
    fn chats_that_no_rule_matches_are_named_with_an_example() {
        let text = DESK
            .replace("PEAK", "10")
            .replace(
                "handle_time = \"6m\"",
                "handle_time = \"6m\"\nattributes = { topic = { sales = 1, support = 1 }, channel = \"web\" }",
            )
            .replace(
                "name = \"all\"",
                "name = \"support\"\nwhen = { topic = \"support\" }",
            );
        let m = parse_str("t.toml", &text).unwrap();
        let w = warnings(&m);
        assert!(
            w.iter().any(
                |w| w.contains("traffic \"web\" match no rule (e.g. topic=sales at mon 00:00)")
            ),
            "{w:?}"
        );
    }
}
