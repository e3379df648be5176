//! Invariants over random scenarios, checked from what the engine reports of each chat and each
//! stretch of handling: every chat accounted for exactly once, no agent above its cap, nobody
//! taking a chat out of shift, answered chats answered by a member of their team, the same seed
//! gives the same records.

use proptest::prelude::*;
use routesim::model::{Model, SimTime};
use routesim::sim::{AgentChange, ChatRecord, Outcome, Recorder, Service, run_replication};

/// What the checker keeps of a record.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: u64,
    arrival: SimTime,
    agent: Option<u32>,
    wait: SimTime,
    bot: SimTime,
    outcome: Outcome,
    measured: bool,
    target: Option<u32>,
    transfers: u32,
}

#[derive(Default)]
struct Keep(Vec<Row>, Vec<Service>, Vec<AgentChange>);

impl Recorder for Keep {
    fn record(&mut self, r: &ChatRecord<'_>) {
        self.0.push(Row {
            id: r.id,
            arrival: r.arrival,
            agent: r.agent.map(|a| a.0),
            wait: r.wait,
            bot: r.bot_time.unwrap_or(SimTime::ZERO),
            outcome: r.outcome,
            measured: r.measured,
            target: r.target.map(|t| t.0),
            transfers: r.transfers,
        });
    }

    fn service(&mut self, s: &Service) {
        self.1.push(*s);
    }

    fn agent(&mut self, c: &AgentChange) {
        self.2.push(*c);
    }
}

fn check_invariants(
    m: &Model,
    rows: &[Row],
    services: &[Service],
    chats: u64,
) -> Result<(), TestCaseError> {
    // Every chat that arrived is recorded exactly once.
    let mut ids: Vec<u64> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    prop_assert_eq!(ids.len() as u64, chats);
    prop_assert!(
        ids.iter().enumerate().all(|(i, &id)| i as u64 == id),
        "ids are not 0..n exactly once"
    );
    let end = m.end();
    let mut by_chat: Vec<Vec<&Service>> = vec![Vec::new(); chats as usize];
    for s in services {
        by_chat[s.chat as usize].push(s);
    }
    for r in rows {
        prop_assert!(r.arrival <= end);
        let mine = &by_chat[r.id as usize];
        let routed = r.arrival.plus(r.bot);
        match r.outcome {
            Outcome::Served | Outcome::InService => {
                let a = r.agent.expect("answered chats have an agent");
                let t = r.target.expect("answered chats count for a team") as usize;
                prop_assert!(
                    m.targets[t].members.iter().any(|x| x.0 == a),
                    "answered by a non-member of its team"
                );
                // Its first stretch of handling is by that agent, at the answer.
                let first = mine.first().expect("an answered chat was handled");
                prop_assert_eq!((first.agent.0, first.start), (a, routed.plus(r.wait)));
                let all_finished = mine.iter().all(|s| s.finished);
                match r.outcome {
                    Outcome::Served => {
                        prop_assert!(all_finished, "served with a handling unfinished")
                    }
                    // Still in progress: being handled, or escalated and waiting for the next team.
                    _ => prop_assert!(
                        !all_finished || r.transfers > 0,
                        "in service but nothing in progress"
                    ),
                }
            }
            Outcome::Waiting => {
                prop_assert!(mine.is_empty());
                prop_assert_eq!(routed.plus(r.wait), end);
            }
            Outcome::Abandoned
            | Outcome::Blocked
            | Outcome::Deflected
            | Outcome::AfterHours
            | Outcome::BotResolved => {
                prop_assert!(r.agent.is_none() && mine.is_empty() && routed.plus(r.wait) <= end)
            }
        }
    }
    // Every stretch of handling starts on shift; sweep each agent's stretches for its cap (at
    // equal times a chat ends before the next starts).
    let mut spans: Vec<Vec<(SimTime, i32)>> = vec![Vec::new(); m.agents.len()];
    for s in services {
        let a = &m.agents[s.agent.ix()];
        prop_assert!(s.start <= s.end && s.end <= end);
        prop_assert!(
            a.on_shift_at(m.week_time(s.start)),
            "agent {} took a chat out of shift",
            a.name
        );
        spans[s.agent.ix()].push((s.start, 1));
        spans[s.agent.ix()].push((s.end, -1));
    }
    for (a, s) in spans.iter_mut().enumerate() {
        s.sort_unstable();
        let mut load = 0;
        for &(_, d) in s.iter() {
            load += d;
            prop_assert!(
                load <= m.agents[a].max_chats as i32,
                "agent {} above its cap",
                m.agents[a].name
            );
        }
    }
    Ok(())
}

const STRATEGIES: [&str; 6] = [
    "least_busy",
    "longest_idle",
    "round_robin",
    "random",
    "most_skilled",
    "cheapest",
];

prop_compose! {
    fn scenario()(
        teams in prop::collection::vec((0usize..6, prop::option::of((1u32..5, 1u32..4))), 1..4),
        groups in prop::collection::vec((1u32..5, 1u32..4, prop::option::of((0u32..24, 4u32..13)), 0u32..8, any::<u8>(), 1u32..4, (0u32..3, 0u32..3)), 1..5),
        streams in prop::collection::vec((1u32..240, 30u32..900, prop::option::of(10u32..600), 0u32..101, prop::option::of(0u32..101), prop::option::of((5u32..120, 0u32..50))), 1..3),
        rules in prop::collection::vec((0u8..4, prop::collection::vec((any::<u8>(), 0u32..300, 0u8..4), 1..4), 0u8..10, prop::option::of(0u32..24), 0u16..3), 0..4),
        fallback in prop::option::of((prop::option::of(1u32..4), 0usize..6)),
        slowdown in prop::option::of((100u32..200, 100u32..300)),
        hours in 2u32..30,
        warmup in 0u32..3_600,
        start in 0u32..168,
        seed in any::<u64>(),
    ) -> String {
        let mut s = format!("[simulation]\nduration = \"{hours}h\"\nwarmup = {warmup}\nseed = {seed}\nstart = \"{} {:02}:00\"\nmax_waiting = 500\n",
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(start / 24) as usize], start % 24);
        if let Some((f2, f3)) = slowdown {
            s += &format!("concurrency_slowdown = [1.0, {}, {}]\n", f2 as f64 / 100.0, f3 as f64 / 100.0);
        }
        // Half the scenarios work their tickets (the seed's low bit chooses).
        if seed & 1 == 0 {
            s += &format!("[tickets]\nteam = \"t0\"\nhandle_time = {{ dist = \"exponential\", mean = {} }}\n", 60 + seed % 600);
        }
        for (i, (st, escalate)) in teams.iter().enumerate() {
            s += &format!("[[teams]]\nname = \"t{i}\"\nstrategy = \"{}\"\n", STRATEGIES[*st]);
            // Escalation only to a later team, so there is never a loop.
            if let (Some((share, mean)), true) = (escalate, i + 1 < teams.len()) {
                s += &format!("escalate = {{ share = {}, to = \"t{}\", handle_time = {{ dist = \"exponential\", mean = {} }} }}\n", *share as f64 / 10.0, i + 1, mean * 60);
            }
        }
        // Every team gets the first group so none is empty; later groups pick teams by bits.
        for (g, (count, cap, shift, level, bits, cost, (en, de))) in groups.iter().enumerate() {
            let mine: Vec<String> = (0..teams.len()).filter(|t| g == 0 || bits & (1 << t) != 0).map(|t| format!("\"t{t}\"")).collect();
            s += &format!("[[agents]]\nname = \"g{g}\"\ncount = {count}\nteams = [{}]\nmax_chats = {cap}\nlevel = {level}\ncost = {cost}\nskills = {{ en = {en}, de = {de} }}\n", mine.join(", "));
            if let Some((from, len)) = shift {
                let window = format!("\"{:02}:00-{:02}:00\"", from, (from + len) % 24);
                // Some groups work weekdays with a short Saturday, some take a break an hour in,
                // some miss shifts.
                if bits & 0x80 != 0 {
                    s += &format!("shift = {{ mon-fri = {window}, sat = \"10:00-14:00\" }}\n");
                } else {
                    s += &format!("shift = {window}\n");
                }
                if bits & 0x40 != 0 {
                    s += &format!("breaks = [{{ at = \"{:02}:00\", for = \"15m\" }}]\n", (from + 1) % 24);
                }
                if bits & 0x20 != 0 {
                    s += "absence = 0.2\n";
                }
            }
        }
        for (i, (per_hour, handle, patience, share, owners, bot)) in streams.iter().enumerate() {
            s += &format!("[[traffic]]\nname = \"s{i}\"\nrate = \"{per_hour}/h\"\nprofile = {{ \"06:00\" = 1.0, \"18:00\" = 0.3 }}\nhandle_time = {{ dist = \"exponential\", mean = {handle} }}\n");
            if let Some(p) = patience {
                s += &format!("patience = {{ dist = \"exponential\", mean = {p} }}\n");
                // Some customers who give up come back.
                if share % 2 == 0 {
                    s += "retry = { share = 0.5, delay = { dist = \"exponential\", mean = 300 } }\n";
                }
            }
            // Some streams leave after-chat work that keeps the agent's slot.
            if handle % 3 == 0 {
                s += "wrap_up = { dist = \"uniform\", min = 0, max = 60 }\n";
            }
            s += &format!("attributes = {{ topic = {{ a = {share}, b = {} }}, customer = {{ new = 1, existing = 2 }} }}\n", 100 - share);
            if let Some(o) = owners {
                s += &format!("owner = {{ share = {}, team = \"t0\" }}\n", *o as f64 / 100.0);
            }
            if let Some((secs, resolves)) = bot {
                s += &format!("bot = {{ duration = {{ dist = \"uniform\", min = 0, max = {secs} }}, resolves = {} }}\n", *resolves as f64 / 100.0);
            }
        }
        if let Some((after_checks, strategy)) = fallback {
            s += &format!("[fallback]\nstrategy = \"{}\"\n", STRATEGIES[strategy]);
            if let Some(n) = after_checks {
                s += &format!("after_checks = {n}\n");
            }
        }
        for (i, (topic, steps, action, from_hour, priority)) in rules.iter().enumerate() {
            s += &format!("[[rules]]\nname = \"r{i}\"\npriority = {priority}\n");
            let mut when = Vec::new();
            match topic {
                0 | 1 => when.push(format!("topic = \"{}\"", ["a", "b"][*topic as usize])),
                2 => when.push("has_owner = true".to_string()),
                _ => {}
            }
            if let Some(h) = from_hour {
                when.push(format!("hours = \"{h:02}:00-{:02}:00\"", (h + 6) % 24));
            }
            if !when.is_empty() {
                s += &format!("when = {{ {} }}\n", when.join(", "));
            }
            match action {
                0 => s += "redirect = \"email\"\n",
                1 => s += "after_hours = true\n",
                _ => {
                    // With a fallback, the last step may time out into it.
                    let last_timeout = fallback.is_some() && action % 2 == 0;
                    let route: Vec<String> = steps.iter().enumerate().map(|(j, (team, timeout, kind))| {
                        let team = *team as usize % teams.len();
                        let to = match kind {
                            0 => "owner = true".to_string(),
                            1 => format!("team = \"t{team}\", require = {{ de = 1 }}"),
                            _ => format!("team = \"t{team}\""),
                        };
                        if j + 1 < steps.len() || last_timeout { format!("{{ {to}, timeout = {timeout} }}") } else { format!("{{ {to} }}") }
                    }).collect();
                    s += &format!("route = [{}]\n", route.join(", "));
                }
            }
        }
        s
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(debug_assertions) { 24 } else { 96 }))]

    #[test]
    fn random_scenarios_keep_every_invariant(text in scenario()) {
        let m = routesim::scenario::parse_str("prop.toml", &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let (run, Keep(rows, services, changes)) = run_replication(&m, 0, Keep::default(), |_| {});
        check_invariants(&m, &rows, &services, run.chats)?;
        // Slots held, after-chat work and a ticket included, never exceed the cap.
        for c in &changes {
            let a = &m.agents[c.agent.ix()];
            prop_assert!(c.load <= a.max_chats && c.wrapping + c.ticket <= c.load && c.ticket <= 1, "agent {} holds {} slots ({} wrapping up, {} on a ticket) of {}", a.name, c.load, c.wrapping, c.ticket, a.max_chats);
        }
        // Same seed, same records.
        let (_, Keep(again, again_services, _)) = run_replication(&m, 0, Keep::default(), |_| {});
        prop_assert_eq!(rows, again);
        prop_assert_eq!(services, again_services);
    }
}

#[test]
fn collector_totals_agree_with_the_records() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/support-desk.toml"
    ))
    .unwrap();
    let m = routesim::scenario::parse_str("support-desk.toml", &text).unwrap();
    let (s, _) = routesim::experiment::run(&m, 1, |_| routesim::experiment::Discard, &|_| {});
    let o = &s.figures.overall;
    assert_eq!(
        o.offered,
        o.answered
            + o.abandoned
            + o.waiting_at_end
            + o.blocked
            + o.deflected
            + o.after_hours
            + o.bot_resolved
    );
    let handled: f64 = s.figures.agents.iter().map(|a| a.handled).sum();
    assert!(
        (handled - o.answered).abs() < 1e-6,
        "agents handled {handled}, answered {}",
        o.answered
    );
    let team_offered: f64 = s.figures.teams.iter().map(|t| t.figures.offered).sum();
    assert!((team_offered - o.offered).abs() < 1e-6);
    for a in &s.figures.agents {
        assert!(
            a.occupancy.unwrap_or(0.0) <= 1.0 + 1e-9 && a.peak_concurrency <= 3.0,
            "{a:?}"
        );
    }
}

/// A recorder can stop a run: the engine ends at that event and still reports every chat in
/// the system, once, as at any end.
#[test]
fn a_recorder_can_stop_the_run_and_every_chat_is_still_reported() {
    struct StopAfter(Keep, usize);
    impl Recorder for StopAfter {
        fn record(&mut self, r: &ChatRecord<'_>) {
            self.0.record(r);
        }
        fn service(&mut self, s: &Service) {
            self.0.service(s);
        }
        fn keep_going(&self) -> bool {
            self.0.0.len() < self.1
        }
    }
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/support-desk.toml"
    ))
    .unwrap();
    let m = routesim::scenario::parse_str("support-desk.toml", &text).unwrap();
    let (full, Keep(all, ..)) = run_replication(&m, 0, Keep::default(), |_| {});
    let (run, StopAfter(Keep(rows, ..), _)) =
        run_replication(&m, 0, StopAfter(Keep::default(), 500), |_| {});
    assert!(run.ended < m.end() && run.ended > SimTime::ZERO);
    assert!(run.chats < full.chats && rows.len() as u64 == run.chats);
    let mut ids: Vec<u64> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    assert!(ids.iter().enumerate().all(|(i, &id)| i as u64 == id));
    // Up to the stop, the run is the full run: the first 500 records are the same.
    assert_eq!(rows[..500], all[..500]);
    assert!(
        rows[500..]
            .iter()
            .all(|r| matches!(r.outcome, Outcome::Waiting | Outcome::InService))
    );
}
