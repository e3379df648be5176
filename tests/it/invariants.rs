//! Invariants over random scenarios, checked from the chat records alone:
//! every chat accounted for exactly once, no agent above its cap, nobody answered out of shift,
//! the same seed gives the same records.

use proptest::prelude::*;
use routesim::model::{Model, SimTime};
use routesim::sim::{ChatRecord, Outcome, Recorder, run_replication};

/// What the checker keeps of a record.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: u64,
    arrival: SimTime,
    agent: Option<u32>,
    wait: SimTime,
    handle: Option<SimTime>,
    outcome: Outcome,
    measured: bool,
    target: Option<u32>,
}

#[derive(Default)]
struct Keep(Vec<Row>);

impl Recorder for Keep {
    fn record(&mut self, r: &ChatRecord<'_>) {
        self.0.push(Row {
            id: r.id,
            arrival: r.arrival,
            agent: r.agent.map(|a| a.0),
            wait: r.wait,
            handle: r.handle,
            outcome: r.outcome,
            measured: r.measured,
            target: r.target.map(|t| t.0),
        });
    }
}

fn check_invariants(m: &Model, rows: &[Row], chats: u64) -> Result<(), TestCaseError> {
    // Every chat that arrived is recorded exactly once.
    let mut ids: Vec<u64> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    prop_assert_eq!(ids.len() as u64, chats);
    prop_assert!(
        ids.iter().enumerate().all(|(i, &id)| i as u64 == id),
        "ids are not 0..n exactly once"
    );
    let end = m.end();
    let mut spans: Vec<Vec<(SimTime, i32)>> = vec![Vec::new(); m.agents.len()];
    for r in rows {
        prop_assert!(r.arrival <= end);
        match r.outcome {
            Outcome::Served | Outcome::InService => {
                let a = r.agent.expect("answered chats have an agent") as usize;
                let t = r.target.expect("answered chats count for a team") as usize;
                prop_assert!(
                    m.targets[t].members.iter().any(|x| x.ix() == a),
                    "answered by a non-member of its team"
                );
                let answered = r.arrival.plus(r.wait);
                let done = answered.plus(r.handle.expect("answered chats have a handle time"));
                prop_assert!(answered <= end);
                prop_assert_eq!(
                    r.outcome == Outcome::Served,
                    done <= end,
                    "served iff finished by the end"
                );
                if let Some(shift) = m.agents[a].shift {
                    prop_assert!(
                        shift.covers(m.time_of_day(answered)),
                        "agent {} answered out of shift",
                        m.agents[a].name
                    );
                }
                spans[a].push((answered, 1));
                spans[a].push((done, -1));
            }
            Outcome::Waiting => prop_assert_eq!(r.arrival.plus(r.wait), end),
            Outcome::Abandoned
            | Outcome::Blocked
            | Outcome::Deflected
            | Outcome::AfterHours
            | Outcome::BotResolved => {
                prop_assert!(r.agent.is_none() && r.arrival.plus(r.wait) <= end)
            }
        }
    }
    // Sweep each agent's chats; at equal times a chat ends before the next starts.
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
        teams in prop::collection::vec(0usize..6, 1..4),
        groups in prop::collection::vec((1u32..5, 1u32..4, prop::option::of((0u32..24, 4u32..13)), 0u32..8, any::<u8>(), 1u32..4), 1..5),
        streams in prop::collection::vec((1u32..240, 30u32..900, prop::option::of(10u32..600), 0u32..101), 1..3),
        rules in prop::collection::vec((0u8..3, prop::collection::vec((any::<u8>(), 0u32..300), 1..4), 0u8..10, prop::option::of(0u32..24), 0u16..3), 0..4),
        fallback in prop::option::of((prop::option::of(1u32..4), 0usize..6)),
        hours in 2u32..30,
        warmup in 0u32..3_600,
        start in 0u32..168,
        seed in any::<u64>(),
    ) -> String {
        let mut s = format!("[simulation]\nduration = \"{hours}h\"\nwarmup = {warmup}\nseed = {seed}\nstart = \"{} {:02}:00\"\nmax_waiting = 500\n",
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(start / 24) as usize], start % 24);
        for (i, st) in teams.iter().enumerate() {
            s += &format!("[[teams]]\nname = \"t{i}\"\nstrategy = \"{}\"\n", STRATEGIES[*st]);
        }
        // Every team gets the first group so none is empty; later groups pick teams by bits.
        for (g, (count, cap, shift, level, bits, cost)) in groups.iter().enumerate() {
            let mine: Vec<String> = (0..teams.len()).filter(|t| g == 0 || bits & (1 << t) != 0).map(|t| format!("\"t{t}\"")).collect();
            s += &format!("[[agents]]\nname = \"g{g}\"\ncount = {count}\nteams = [{}]\nmax_chats = {cap}\nlevel = {level}\ncost = {cost}\n", mine.join(", "));
            if let Some((from, len)) = shift {
                s += &format!("shift = \"{:02}:00-{:02}:00\"\n", from, (from + len) % 24);
            }
        }
        for (i, (per_hour, handle, patience, share)) in streams.iter().enumerate() {
            s += &format!("[[traffic]]\nname = \"s{i}\"\nrate = \"{per_hour}/h\"\nprofile = {{ \"06:00\" = 1.0, \"18:00\" = 0.3 }}\nhandle_time = {{ dist = \"exponential\", mean = {handle} }}\n");
            if let Some(p) = patience {
                s += &format!("patience = {{ dist = \"exponential\", mean = {p} }}\n");
            }
            s += &format!("attributes = {{ topic = {{ a = {share}, b = {} }} }}\n", 100 - share);
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
            if *topic < 2 {
                when.push(format!("topic = \"{}\"", ["a", "b"][*topic as usize]));
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
                    let route: Vec<String> = steps.iter().enumerate().map(|(j, (team, timeout))| {
                        let team = *team as usize % teams.len();
                        if j + 1 < steps.len() || last_timeout { format!("{{ team = \"t{team}\", timeout = {timeout} }}") } else { format!("{{ team = \"t{team}\" }}") }
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
        let (run, Keep(rows)) = run_replication(&m, 0, Keep::default(), |_| {});
        check_invariants(&m, &rows, run.chats)?;
        // Same seed, same records.
        let (_, Keep(again)) = run_replication(&m, 0, Keep::default(), |_| {});
        prop_assert_eq!(rows, again);
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
    let o = &s.mean.overall;
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
    let handled: f64 = s.mean.agents.iter().map(|a| a.handled).sum();
    assert!(
        (handled - o.answered).abs() < 1e-6,
        "agents handled {handled}, answered {}",
        o.answered
    );
    let team_offered: f64 = s.mean.teams.iter().map(|t| t.figures.offered).sum();
    assert!((team_offered - o.offered).abs() < 1e-6);
    for a in &s.mean.agents {
        assert!(
            a.occupancy.unwrap_or(0.0) <= 1.0 + 1e-9 && a.peak_concurrency <= 3.0,
            "{a:?}"
        );
    }
}
