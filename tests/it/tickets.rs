//! Tickets as work: the backlog against a queue worked by hand, and the rule that tickets only
//! fill slots no chat is waiting for.

use routesim::model::{AgentId, SimTime, TICKS_PER_SEC};
use routesim::sim::{ChatRecord, Outcome, Recorder, TicketChange, TicketStep, run_replication};

use crate::support::run_text;

const H: u64 = 3_600 * TICKS_PER_SEC;
const DAY: u64 = 24 * H;

/// One agent on 09:00-17:00; chats come only while the desk is closed and each leaves a ticket.
/// Tickets take exactly 7 minutes, so a ticket never ends on the hour the shift does.
const NIGHTS: &str = r#"
[simulation]
duration = "3d"
start = "mon 00:00"
seed = 11

[business_hours]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = "09:00-17:00"

[tickets]
team = "desk"
handle_time = "7m"

[[teams]]
name = "desk"

[[agents]]
name = "a"
teams = ["desk"]
shift = "09:00-17:00"

[[traffic]]
name = "web"
rate = "2/h"
profile = { "00:00" = 1, "09:00" = 0, "17:00" = 1 }
handle_time = "5m"

[[rules]]
name = "closed"
when = { outside = "business_hours" }
after_hours = true

[[rules]]
name = "open"
route = [{ team = "desk" }]
"#;

/// Collects what a replication tells about chats and tickets.
#[derive(Default)]
struct Log {
    /// (arrival, wait, outcome) of every chat.
    chats: Vec<(SimTime, SimTime, Outcome)>,
    tickets: Vec<TicketChange>,
}

impl Recorder for Log {
    fn record(&mut self, r: &ChatRecord<'_>) {
        self.chats.push((r.arrival, r.wait, r.outcome));
    }

    fn ticket(&mut self, c: &TicketChange) {
        self.tickets.push(*c);
    }
}

#[test]
fn night_tickets_are_worked_first_come_first_served_in_the_morning() {
    let model = routesim::scenario::parse_str("nights.toml", NIGHTS).unwrap();
    let (_, log) = run_replication(&model, 0, Log::default(), |_| {});
    // Every chat got the after-hours reply; its ticket opened as it arrived.
    assert!(log.chats.iter().all(|c| c.2 == Outcome::AfterHours));
    let mut opened: Vec<u64> = log.chats.iter().map(|c| c.0.0).collect();
    opened.sort_unstable();
    assert!(opened.len() > 60, "{} tickets", opened.len());

    // The queue worked by hand: one agent, first come first served, 7 minutes each, starting
    // only inside 09:00-17:00 (a ticket begun before 17:00 is finished after it).
    let (work, end) = (7 * 60 * TICKS_PER_SEC, 3 * DAY);
    let in_shift = |t: u64| (9 * H..17 * H).contains(&(t % DAY));
    let next_start = |t: u64| {
        if in_shift(t) {
            t
        } else if t % DAY < 9 * H {
            t - t % DAY + 9 * H
        } else {
            t - t % DAY + DAY + 9 * H
        }
    };
    let (mut free, mut want) = (0, Vec::new());
    for &o in &opened {
        let start = next_start(o.max(free));
        if start >= end {
            break;
        }
        want.push((o, start));
        free = start + work;
    }
    let got: Vec<(u64, u64)> = log
        .tickets
        .iter()
        .filter(|c| matches!(c.step, TicketStep::Started(_)))
        .map(|c| (c.opened.0, c.time.0))
        .collect();
    assert_eq!(got, want);

    // The report says the same: first responses, and what is still waiting at the end.
    let report = run_text(NIGHTS, &[]);
    let w = &report["tickets"]["work"];
    let responses: Vec<f64> = want
        .iter()
        .map(|(o, s)| (s - o) as f64 / TICKS_PER_SEC as f64)
        .collect();
    let mean = responses.iter().sum::<f64>() / responses.len() as f64;
    assert_eq!(w["team"], "desk");
    assert_eq!(w["started"].as_f64(), Some(want.len() as f64));
    assert_eq!(
        w["backlog_at_end"].as_f64(),
        Some((opened.len() - want.len()) as f64)
    );
    let got_mean = w["first_response"]["mean"].as_f64().unwrap();
    assert!(
        (got_mean - mean).abs() < 1e-6 * mean,
        "{got_mean} vs {mean}"
    );
    let mut sorted = responses.clone();
    sorted.sort_by(f64::total_cmp);
    let p90 = sorted[(0.9 * sorted.len() as f64).ceil() as usize - 1];
    let got_p90 = w["first_response"]["p90"].as_f64().unwrap();
    // The histogram keeps three significant digits.
    assert!((got_p90 - p90).abs() <= 1e-3 * p90, "{got_p90} vs {p90}");
    // The agent's slot was busy 7 minutes per ticket: that is all its occupancy.
    let agent = &report["agents"][0];
    let done = want.iter().filter(|(_, s)| s + work <= end).count() as f64;
    let busy_share = agent["tickets"].as_f64().unwrap();
    assert_eq!(agent["occupancy"].as_f64(), Some(busy_share));
    assert!(done > 0.0 && busy_share > 0.0);
}

/// Two teams, chats all day and tickets from customers who give up: tickets go only to the
/// ticket team's agents, one at a time each, and only into a slot no waiting chat could take.
const BUSY_DAY: &str = r#"
[simulation]
duration = "2d"
seed = 4

[tickets]
team = "support"
handle_time = { dist = "exponential", mean = "4m" }

[[teams]]
name = "support"

[[teams]]
name = "sales"

[[agents]]
name = "s"
count = 3
teams = ["support"]
max_chats = 2

[[agents]]
name = "both"
teams = ["support", "sales"]
max_chats = 2

[[agents]]
name = "seller"
count = 2
teams = ["sales"]

[[traffic]]
name = "help"
rate = "50/h"
profile = { "00:00" = 0.3, "10:00" = 1.2, "14:00" = 0.6 }
handle_time = { dist = "exponential", mean = "6m" }
patience = { dist = "exponential", mean = "2m" }
attributes = { topic = "help" }

[[traffic]]
name = "buy"
rate = "12/h"
handle_time = { dist = "exponential", mean = "8m" }
patience = { dist = "exponential", mean = "3m" }
attributes = { topic = "buy" }

[[rules]]
name = "buy"
when = { topic = "buy" }
route = [{ team = "sales" }]

[[rules]]
name = "help"
route = [{ team = "support" }]
"#;

/// Like [`Log`], with each chat's team (by rule: `help` goes to support) and the agent's chats.
#[derive(Default)]
struct Busy {
    /// (arrival, end of wait, is a support chat).
    waits: Vec<(u64, u64, bool)>,
    tickets: Vec<TicketChange>,
}

impl Recorder for Busy {
    fn record(&mut self, r: &ChatRecord<'_>) {
        if matches!(
            r.outcome,
            Outcome::Served | Outcome::InService | Outcome::Abandoned
        ) {
            let help = r.rule.map(|r| r.ix()) == Some(1);
            self.waits.push((r.arrival.0, r.arrival.0 + r.wait.0, help));
        }
    }

    fn ticket(&mut self, c: &TicketChange) {
        self.tickets.push(*c);
    }
}

#[test]
fn tickets_take_only_free_slots_of_the_ticket_team_one_at_a_time() {
    let model = routesim::scenario::parse_str("busy.toml", BUSY_DAY).unwrap();
    let (_, log) = run_replication(&model, 0, Busy::default(), |_| {});
    let support: Vec<AgentId> = (0..4).map(AgentId).collect();
    let mut holding = vec![false; model.agents.len()];
    let (mut started, mut blocked_by_sales) = (0, 0);
    for c in &log.tickets {
        match c.step {
            TicketStep::Opened => {}
            TicketStep::Started(a) => {
                assert!(support.contains(&a), "{} is not in support", a.0);
                assert!(!holding[a.ix()], "{} took a second ticket", a.0);
                holding[a.ix()] = true;
                started += 1;
                // No support chat was waiting at that moment (every support agent could take
                // one). A sales chat may wait: only `both` could take it, and only when free.
                let t = c.time.0;
                let waiting = |help: bool| {
                    log.waits
                        .iter()
                        .filter(|w| w.2 == help && w.0 < t && t < w.1)
                        .count()
                };
                assert_eq!(waiting(true), 0, "a support chat waited at {t}");
                if waiting(false) > 0 {
                    assert_ne!(a.0, 3, "`both` took a ticket while a sales chat waited");
                    blocked_by_sales += 1;
                }
            }
            TicketStep::Done(a) => holding[a.ix()] = false,
        }
    }
    // Not vacuous: many tickets were worked, some while sales chats queued for the others.
    assert!(started > 50, "{started} tickets started");
    assert!(blocked_by_sales > 0);
}

#[test]
fn a_customer_who_comes_back_leaves_no_missed_ticket() {
    let with_retry = BUSY_DAY.replace(
        "attributes = { topic = \"help\" }",
        "attributes = { topic = \"help\" }\nretry = { share = 0.5, delay = \"10m\" }",
    );
    let report = run_text(&with_retry, &[]);
    let f = &report;
    let retries = f["customers"]["retries"].as_f64().unwrap();
    assert!(retries > 20.0, "{retries} retries");
    assert_eq!(f["tickets"]["missed"], f["customers"]["gave_up"]);
    assert!(f["tickets"]["missed"].as_f64().unwrap() < f["overall"]["abandoned"].as_f64().unwrap());
}
