//! The bundled desk scenarios do what they claim, checked chat by chat from the records.

use routesim::experiment::{self, Summary};
use routesim::model::{AgentId, Model, RuleId, SimTime, TargetId};
use routesim::sim::{ChatRecord, Outcome, Recorder};

use crate::support::root;

/// What the checks need of a record.
#[derive(Debug, Clone)]
pub struct Row {
    pub arrival: SimTime,
    pub rule: Option<RuleId>,
    pub target: Option<TargetId>,
    pub agent: Option<AgentId>,
    pub owner: Option<AgentId>,
    pub wait: SimTime,
    pub outcome: Outcome,
    pub checks: u32,
    pub transfers: u32,
    pub attrs: Vec<u32>,
}

#[derive(Default)]
pub struct Keep(pub Vec<Row>);

impl Recorder for Keep {
    fn record(&mut self, r: &ChatRecord<'_>) {
        if r.measured {
            self.0.push(Row {
                arrival: r.arrival,
                rule: r.rule,
                target: r.target,
                agent: r.agent,
                owner: r.owner,
                wait: r.wait,
                outcome: r.outcome,
                checks: r.checks,
                transfers: r.transfers,
                attrs: r.attrs.to_vec(),
            });
        }
    }
}

/// Loads a bundled scenario, optionally edited, and runs it keeping every measured record.
pub fn run(name: &str, edit: impl Fn(String) -> String) -> (Model, Summary, Vec<Row>) {
    let path = root().join("scenarios").join(name);
    let text = edit(std::fs::read_to_string(&path).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(name);
    std::fs::write(&copy, text).unwrap();
    let model = routesim::scenario::load(&copy).unwrap();
    let (summary, kept) = experiment::run(&model, 0, |_| Keep::default(), &|_| {});
    let rows = kept.into_iter().flat_map(|k| k.0).collect();
    (model, summary, rows)
}

fn rule(m: &Model, name: &str) -> RuleId {
    RuleId(m.rules.iter().position(|r| r.name == name).unwrap() as u32)
}

fn value(m: &Model, attr: &str, value: &str) -> (usize, u32) {
    let a = m.attributes.iter().position(|a| a.name == attr).unwrap();
    (
        a,
        m.attributes[a]
            .values
            .iter()
            .position(|v| v == value)
            .unwrap() as u32,
    )
}

#[test]
fn after_hours_chats_are_exactly_those_outside_business_hours() {
    let (m, s, rows) = run("after-hours.toml", |t| t);
    let cal = &m.calendars[0];
    let mut outside = 0;
    for r in &rows {
        let closed = !cal.is_open(m.week_time(r.arrival));
        outside += closed as u64;
        assert_eq!(
            closed,
            r.outcome == Outcome::AfterHours,
            "chat at {:?}: {:?}",
            r.arrival,
            r.outcome
        );
    }
    let reps = m.replications as f64;
    let f = &s.figures;
    assert!(outside > 100, "the scenario must have chats outside hours");
    assert_eq!(f.overall.after_hours * reps, outside as f64);
    // One after-hours reply and one ticket per after-hours chat; one missed ticket per abandon.
    assert_eq!(f.messages.after_hours, f.overall.after_hours);
    assert_eq!(f.tickets.after_hours, f.overall.after_hours);
    assert_eq!(f.tickets.missed, f.overall.abandoned);
    let served = f.overall.answered - f.overall.in_service_at_end;
    assert_eq!(f.messages.resolved_check, served);
    assert_eq!(f.messages.rating, served);
    assert_eq!(
        f.messages.first_chat,
        f.overall.offered - f.overall.after_hours
    );
}

/// Switches one line of a section of after-hours.toml (`section` is `auto_messages` or `tickets`).
fn switch_off(text: String, section: &str, key: &str) -> String {
    let start = text.find(&format!("[{section}]")).unwrap();
    let at = start + text[start..].find(&format!("\n{key} = true")).unwrap();
    format!(
        "{}\n{key} = false{}",
        &text[..at],
        &text[at + key.len() + 8..]
    )
}

#[test]
fn switching_messages_off_keeps_their_tickets() {
    let (_, s, _) = run("after-hours.toml", |t| {
        switch_off(
            switch_off(t, "auto_messages", "after_hours"),
            "auto_messages",
            "missed",
        )
    });
    let f = &s.figures;
    assert!(f.overall.after_hours > 0.0 && f.overall.abandoned > 0.0);
    assert_eq!((f.messages.after_hours, f.messages.missed), (0.0, 0.0));
    assert_eq!(f.tickets.after_hours, f.overall.after_hours);
    assert_eq!(f.tickets.missed, f.overall.abandoned);
}

#[test]
fn switching_tickets_off_keeps_their_messages() {
    let (_, s, _) = run("after-hours.toml", |t| {
        switch_off(switch_off(t, "tickets", "after_hours"), "tickets", "missed")
    });
    let f = &s.figures;
    assert!(f.overall.after_hours > 0.0 && f.overall.abandoned > 0.0);
    assert_eq!((f.tickets.after_hours, f.tickets.missed), (0.0, 0.0));
    assert_eq!(f.messages.after_hours, f.overall.after_hours);
    assert_eq!(f.messages.missed, f.overall.abandoned);
}

#[test]
fn caps_hold_unmatched_chats_go_to_all_and_three_checks_hand_over() {
    let (m, s, rows) = run("caps-and-fallback.toml", |t| t);
    let fallback = m.fallback.as_ref().unwrap();
    assert_eq!(fallback.after_checks, Some(3));
    let all = fallback.target;
    assert_eq!(
        m.targets[all.ix()].members.len(),
        m.agents.len(),
        "offered to every agent"
    );
    let (topic, other) = value(&m, "topic", "other");
    let (mut unmatched, mut handed_over) = (0, 0);
    for r in &rows {
        if r.attrs[topic] == other {
            unmatched += 1;
            assert_eq!(r.rule, None);
        }
        if r.rule.is_none() {
            assert_eq!(r.target, Some(all), "an unmatched chat is offered to all");
            assert_eq!(r.checks, 0);
        } else if r.target == Some(all) {
            handed_over += 1;
            assert!(r.checks >= 3, "only after three checks: {r:?}");
        } else {
            assert!(
                r.checks < 3,
                "three checks without an agent must hand over: {r:?}"
            );
        }
        if let Some(a) = r.agent {
            let team_members = &m.targets[r.target.unwrap().ix()].members;
            assert!(
                team_members.contains(&a),
                "answered by a member of the team it was offered to"
            );
        }
    }
    assert!(
        unmatched > 100 && handed_over > 0,
        "{unmatched} unmatched, {handed_over} handed over"
    );
    // Time-of-day rule: the evening rule only matches from 16:00.
    let evening = rule(&m, "evening tech");
    for r in rows.iter().filter(|r| r.rule == Some(evening)) {
        let hour = m.time_of_day(r.arrival) / 3_600_000_000;
        assert!((16..20).contains(&hour), "evening rule at hour {hour}");
    }
    for (a, f) in m.agents.iter().zip(&s.figures.agents) {
        assert!(
            f.peak_concurrency <= a.max_chats as f64,
            "{} above its cap",
            a.name
        );
    }
}

#[test]
fn no_lead_reaches_support_and_facebook_customers_go_to_email() {
    let (m, s, rows) = run("lead-or-customer.toml", |t| t);
    let (cust, new) = value(&m, "customer", "new");
    let (_, existing) = value(&m, "customer", "existing");
    let (chan, facebook) = value(&m, "channel", "facebook");
    let support = TargetId(m.teams.iter().position(|t| t.name == "support").unwrap() as u32);
    let support_agents = &m.teams[support.ix()].members;
    let mut leads = 0;
    for r in &rows {
        if r.attrs[cust] == new {
            leads += 1;
            assert_ne!(r.target, Some(support), "a lead reached support: {r:?}");
            assert!(
                r.agent.is_none_or(|a| !support_agents.contains(&a)),
                "a support agent took a lead"
            );
        }
        if r.outcome == Outcome::Deflected {
            assert_eq!((r.attrs[cust], r.attrs[chan]), (existing, facebook));
        }
    }
    assert!(leads > 300);
    let f = &s.figures;
    assert!(f.overall.deflected > 0.0 && f.channels[0].channel == "email");
    // Every chat met the bot; it resolved about 10% (binomial: 4 standard errors).
    assert_eq!(f.bot.chats, f.overall.offered);
    let n = f.bot.chats * m.replications as f64;
    let share = f.bot.resolved / f.bot.chats;
    assert!(
        (share - 0.1).abs() < 4.0 * (0.1f64 * 0.9 / n).sqrt(),
        "bot resolved {share}"
    );
    // Bot time B is uniform on 20-60 s, and the customer's patience P (exponential, mean 4m
    // for one stream and 3m for the other) runs meanwhile: the time with the bot is min(B, P),
    // whose mean is E[theta (1 - exp(-B / theta))], between the two streams' values.
    let with_bot = |theta: f64| {
        let k = 10_000;
        (0..k)
            .map(|i| 20.0 + 40.0 * (i as f64 + 0.5) / k as f64)
            .map(|b| theta * (1.0 - (-b / theta).exp()))
            .sum::<f64>()
            / k as f64
    };
    let (low, high) = (with_bot(180.0), with_bot(240.0));
    let mean = f.bot.mean_time.unwrap();
    let tol = 4.0 * 11.55 / n.sqrt();
    assert!(
        mean > low - tol && mean < high + tol,
        "mean bot time {mean}, want {low}..{high}"
    );
    // Customers who leave during the bot are abandoned with no team, and are left out of the
    // service level (they never queued).
    assert!(f.overall.abandoned_at_bot > 0.0);
    let queued = f.overall.answered + f.overall.abandoned - f.overall.abandoned_at_bot;
    assert!(f.overall.service_level.unwrap() * queued <= f.overall.answered + 1e-9);
}

#[test]
fn routing_follows_the_answer_and_the_language() {
    let (m, _, rows) = run("multi-team-choice.toml", |t| t);
    let team = |name: &str| &m.teams[m.teams.iter().position(|t| t.name == name).unwrap()].members;
    let (sales, support) = (team("sales"), team("support"));
    let (choice, chose_sales) = value(&m, "choice", "sales");
    let (_, chose_support) = value(&m, "choice", "support");
    let (lang, _) = value(&m, "language", "de");
    let skill = |a: AgentId, s: &str| {
        m.agents[a.ix()].skills[m.skills.iter().position(|x| x == s).unwrap()]
    };
    let mut checked = 0;
    for r in rows.iter().filter(|r| r.outcome.answered()) {
        let a = r.agent.unwrap();
        if r.attrs[choice] == chose_sales {
            assert!(sales.contains(&a));
        } else if r.attrs[choice] == chose_support {
            assert!(support.contains(&a));
        } else {
            // A contact answered at its first step speaks its language at the required level.
            assert!(support.contains(&a));
            let language = &m.attributes[lang].values[r.attrs[lang] as usize];
            if r.checks == 0 {
                assert!(
                    skill(a, language) >= 2,
                    "{language} chat answered by {}",
                    m.agents[a.ix()].name
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn owned_chats_reach_their_owner_unless_the_timeout_passed_and_load_spreads_evenly() {
    let (m, s, rows) = run("owner-then-least-busy.toml", |t| t);
    let timeout = SimTime::from_secs_f64(120.0);
    let (mut by_owner, mut moved_on) = (0, 0);
    for r in rows
        .iter()
        .filter(|r| r.owner.is_some() && r.outcome.answered())
    {
        if r.checks == 0 {
            // Answered at the owner step: by the owner, within the timeout.
            assert_eq!(r.agent, r.owner);
            assert!(r.wait <= timeout);
            by_owner += 1;
        } else {
            // Moved on only because the owner stayed busy for the whole timeout (no shifts here).
            assert!(r.wait >= timeout, "{r:?}");
            moved_on += 1;
        }
    }
    assert!(
        by_owner > 100 && moved_on > 0,
        "{by_owner} by owner, {moved_on} moved on"
    );
    // Chats without an owner never wait in a personal queue: they go by the other rules.
    assert!(
        rows.iter()
            .filter(|r| r.owner.is_none())
            .all(|r| r.checks == 0)
    );
    let managers = s
        .figures
        .teams
        .iter()
        .find(|t| t.name == "account_managers")
        .unwrap();
    let j = managers.jain_occupancy.unwrap();
    assert!(
        j > 0.95,
        "least_busy should spread managers evenly: Jain's index {j}"
    );
    // First line passes a fifth of what it handles on to experts (binomial, 4 standard errors).
    let first_line = m.teams.iter().position(|t| t.name == "first_line").unwrap();
    let handled_there: Vec<&Row> = rows
        .iter()
        .filter(|r| r.target.is_some_and(|t| t.ix() == first_line) && r.outcome.answered())
        .collect();
    let escalated = handled_there.iter().filter(|r| r.transfers > 0).count() as f64;
    let n = handled_there.len() as f64;
    assert!(
        (escalated / n - 0.2).abs() < 4.0 * (0.2f64 * 0.8 / n).sqrt(),
        "{escalated} of {n} escalated"
    );
    let e = &s.figures.escalation;
    assert!(
        e.escalated > 0.0 && e.transfers == e.escalated,
        "one level of escalation: {e:?}"
    );
    assert!(e.second_wait.mean.is_some() && e.time_to_resolution.mean.unwrap() > 12.0 * 60.0);
    // Experts (and seniors) are credited with the escalated chats they took.
    let experts_handled: f64 = s
        .figures
        .agents
        .iter()
        .filter(|a| a.name.starts_with("expert"))
        .map(|a| a.handled)
        .sum();
    assert!(experts_handled > 0.0);
    let _ = rule(&m, "owned");
}

/// A chat a bot resolves never reaches a team: it counts in `overall` and its rule's row only,
/// whichever team the file lists first.
#[test]
fn bot_resolved_chats_count_for_no_team_in_either_team_order() {
    let swap = |t: String| {
        t.replacen(
            "[[teams]]\nname = \"sales\"\nstrategy = \"round_robin\"\n\n[[teams]]\nname = \"support\"\nstrategy = \"least_busy\"\n",
            "[[teams]]\nname = \"support\"\nstrategy = \"least_busy\"\n\n[[teams]]\nname = \"sales\"\nstrategy = \"round_robin\"\n",
            1,
        )
    };
    for (order, edit) in [("file order", None), ("swapped", Some(swap))] {
        let (m, s, _) = run("lead-or-customer.toml", |t| {
            edit.map_or(t.clone(), |e| e(t))
        });
        assert_eq!(
            m.teams[0].name == "support",
            order == "swapped",
            "the swap applied"
        );
        let f = &s.figures;
        assert!(f.overall.bot_resolved > 0.0);
        let team = |name: &str| &f.teams.iter().find(|t| t.name == name).unwrap().figures;
        let rule = |name: &str| f.rules.iter().find(|r| r.name == name).unwrap();
        // Sales takes exactly the leads' rule's chats, support the customers'.
        assert_eq!(team("sales").offered, rule("leads").matched, "{order}");
        assert_eq!(
            team("support").offered,
            rule("customers").matched,
            "{order}"
        );
        assert_eq!(
            team("sales").bot_resolved + team("support").bot_resolved,
            0.0
        );
    }
}

/// Without a `[fallback]`, a chat no rule matches and a chat whose every step has nobody on
/// shift both get the after-hours action, and a rule for chats that never arrive changes
/// nothing: the fallback to every agent exists only when the file asks for it.
#[test]
fn no_fallback_means_after_hours_whatever_other_rules_exist() {
    let desk = r#"
[simulation]
duration = "48h"
seed = 3
[[teams]]
name = "support"
[[teams]]
name = "ops"
[[agents]]
name = "day"
count = 3
teams = ["support"]
shift = "09:00-17:00"
[[agents]]
name = "night"
teams = ["ops"]
[[traffic]]
name = "web"
rate = "6/h"
handle_time = "5m"
attributes = { topic = "support" }
[[rules]]
name = "support"
when = { topic = "support" }
route = [ { team = "support" } ]
"#;
    let run_text = |text: &str| {
        let m = routesim::scenario::parse_str("t.toml", text).unwrap();
        experiment::run(&m, 1, |_| Keep::default(), &|_| {}).0
    };
    let base = run_text(desk);
    // An unrelated stream that no rule matches, which once created an implicit fallback.
    let unmatched = run_text(&format!(
        "{desk}[[traffic]]\nname = \"mail\"\nrate = \"1/h\"\nhandle_time = \"5m\"\nattributes = {{ topic = \"feedback\" }}\n"
    ));
    let support = |s: &Summary| s.figures.rules[0].clone();
    assert!(
        support(&base).figures.after_hours > 0.0,
        "nights reach nobody"
    );
    assert_eq!(
        support(&base),
        support(&unmatched),
        "an unrelated stream changed support"
    );
    let none = &unmatched.figures.rules.last().unwrap().figures;
    assert!(
        none.offered > 0.0 && none.after_hours == none.offered,
        "{none:?}"
    );
    // Only an explicit [fallback] offers the chats to everyone on shift (the night agent).
    let with_fallback = run_text(&format!("{desk}[fallback]\n"));
    let f = &support(&with_fallback).figures;
    assert_eq!(f.after_hours, 0.0);
    assert!(
        with_fallback
            .figures
            .teams
            .iter()
            .any(|t| t.name == "(fallback)" && t.figures.answered > 0.0)
    );
}
