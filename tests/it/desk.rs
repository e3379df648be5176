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
    pub handle: Option<SimTime>,
    pub outcome: Outcome,
    pub checks: u32,
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
                handle: r.handle,
                outcome: r.outcome,
                checks: r.checks,
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
    let f = &s.mean;
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

#[test]
fn message_toggles_switch_messages_but_not_tickets() {
    let (_, s, _) = run("after-hours.toml", |t| {
        t.replace("after_hours = true           # the after-hours reply (the ticket is created either way)", "after_hours = false").replace("missed = true", "missed = false")
    });
    let f = &s.mean;
    assert!(f.overall.after_hours > 0.0);
    assert_eq!(f.messages.after_hours, 0.0);
    assert_eq!(
        f.tickets.after_hours, f.overall.after_hours,
        "the after-hours ticket is created either way"
    );
    assert_eq!((f.messages.missed, f.tickets.missed), (0.0, 0.0));
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
    for (a, f) in m.agents.iter().zip(&s.mean.agents) {
        assert!(
            f.peak_concurrency <= a.max_chats as f64,
            "{} above its cap",
            a.name
        );
    }
}
