//! The engine against queueing theory: M/M/c (Erlang C) and M/M/c+M (Erlang A).
//!
//! Each check runs R independent replications with fixed seeds, estimates the standard error of
//! the figure from the spread across replications (so the tolerance shrinks as the run length
//! grows), and requires the simulated value within four standard errors of theory. It also
//! requires that standard error to be small next to the value, so a check cannot pass on noise.
//! Debug builds run a tenth as long (the same checks, with wider tolerances); CI runs release.

use routesim::experiment::{self, Discard, Summary};
use routesim::stats::t95;

const SCALE: f64 = if cfg!(debug_assertions) { 0.1 } else { 1.0 };

/// Erlang C: probability of waiting with `c` servers and offered load `a` erlangs (a < c).
pub(crate) fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let c = c as f64;
    c * b / (c - a * (1.0 - b))
}

/// M/M/c+M (Erlang A): the fraction of arrivals that abandon, from the birth-death chain.
fn erlang_a_abandon(c: u32, lambda: f64, mu: f64, theta: f64) -> f64 {
    let (mut p, mut total, mut queue) = (1.0f64, 1.0f64, 0.0f64);
    let mut n = 0u32;
    loop {
        n += 1;
        let death = (n.min(c) as f64) * mu + (n.saturating_sub(c) as f64) * theta;
        p *= lambda / death;
        total += p;
        queue += (n.saturating_sub(c) as f64) * p;
        if n > c && p < 1e-16 * total {
            break;
        }
    }
    theta * (queue / total) / lambda
}

fn scenario(
    agents: u32,
    max_chats: u32,
    rate: f64,
    mean_handle: f64,
    patience: Option<f64>,
    hours: f64,
    reps: u32,
) -> Summary {
    let patience = patience.map_or(String::new(), |p| {
        format!("patience = {{ dist = \"exponential\", mean = {p} }}")
    });
    let text = format!(
        r#"
[simulation]
duration = {duration}
warmup = "2h"
seed = 11
replications = {reps}
[report]
service_level = "20s"
[[teams]]
name = "q"
[[agents]]
name = "a"
count = {agents}
teams = ["q"]
max_chats = {max_chats}
[[traffic]]
name = "t"
rate = {rate}
handle_time = {{ dist = "exponential", mean = {mean_handle} }}
{patience}
[[rules]]
name = "all"
route = [{{ team = "q" }}]
"#,
        duration = (hours * 3_600.0 * SCALE).round()
    );
    let model = routesim::scenario::parse_str("queue.toml", &text).expect("valid scenario");
    experiment::run(&model, 0, |_| Discard, &|_| {}).0
}

/// Checks `sim` (with 95% half-width `ci`) against `theory`; returns the standard error.
fn check(what: &str, sim: f64, ci: f64, reps: u32, theory: f64, max_rel_se: f64) {
    let se = ci / t95(reps as usize - 1);
    eprintln!("{what}: simulated {sim:.5} theory {theory:.5} (se {se:.5})");
    assert!(
        se <= max_rel_se * theory.abs().max(1e-9),
        "{what}: run too short to test (se {se} vs {theory})"
    );
    assert!(
        (sim - theory).abs() <= 4.0 * se,
        "{what}: simulated {sim} is more than 4 se ({se}) from theory {theory}"
    );
}

fn erlang_c_case(name: &str, agents: u32, max_chats: u32, rho: f64, hours: f64) {
    let reps = 16;
    let mean = 60.0;
    let servers = agents * max_chats;
    let mu = 1.0 / mean;
    let lambda = rho * servers as f64 * mu;
    let s = scenario(agents, max_chats, lambda, mean, None, hours, reps);
    let ci = s.ci95.as_ref().expect("replicated");
    let pw = erlang_c(servers, lambda / mu);
    let gap = servers as f64 * mu - lambda;
    let wq = pw / gap;
    let sl = 1.0 - pw * (-gap * 20.0).exp();
    check(
        &format!("{name} mean wait"),
        s.figures.overall.wait.mean.unwrap(),
        ci.overall.wait.mean.unwrap(),
        reps,
        wq,
        if SCALE < 1.0 { 0.25 } else { 0.08 },
    );
    check(
        &format!("{name} service level"),
        s.figures.overall.service_level.unwrap(),
        ci.overall.service_level.unwrap(),
        reps,
        sl,
        0.05,
    );
}

#[test]
fn mmc_light_load_matches_erlang_c() {
    erlang_c_case("M/M/5 rho=0.5", 5, 1, 0.5, 200.0);
}

#[test]
fn mmc_medium_load_matches_erlang_c() {
    erlang_c_case("M/M/20 rho=0.8", 20, 1, 0.8, 100.0);
}

#[test]
fn mmc_near_saturation_matches_erlang_c() {
    erlang_c_case("M/M/30 rho=0.95", 30, 1, 0.95, 200.0);
}

#[test]
fn agents_holding_k_chats_behave_as_c_times_k_servers() {
    // 10 agents x 3 chats = 30 servers, when handle time does not depend on concurrency.
    erlang_c_case("10 agents x max_chats 3, rho=0.9", 10, 3, 0.9, 150.0);
}

#[test]
fn mmc_with_exponential_patience_matches_erlang_a() {
    // Overloaded (rho = 1.1): only abandonment keeps the queue finite.
    let reps = 16;
    let (c, mean, patience) = (10u32, 60.0, 120.0);
    let lambda = 1.1 * c as f64 / mean;
    let s = scenario(c, 1, lambda, mean, Some(patience), 100.0, reps);
    let ci = s.ci95.as_ref().expect("replicated");
    let theory = erlang_a_abandon(c, lambda, 1.0 / mean, 1.0 / patience);
    check(
        "M/M/10+M abandoned fraction",
        s.figures.overall.abandon_rate.unwrap(),
        ci.overall.abandon_rate.unwrap(),
        reps,
        theory,
        0.05,
    );
}

#[test]
fn theory_helpers_match_published_values() {
    // Erlang C for 10 servers at 8 erlangs is 0.4092 (standard tables).
    assert!((erlang_c(10, 8.0) - 0.4092).abs() < 1e-4);
    // Erlang A with one server and theta = mu = lambda = 1: the death rate in state n is n, so
    // the chain is Poisson(1) and E[queue] = E[(N-1)+] = E[N] - 1 + P(N=0) = 1/e.
    let p = erlang_a_abandon(1, 1.0, 1.0, 1.0);
    assert!((p - (-1.0f64).exp()).abs() < 1e-9, "{p}");
}

/// Mean time in system (arrival to end of handling) of served chats, per replication.
#[derive(Default)]
struct Sojourn(f64, f64);

impl routesim::sim::Recorder for Sojourn {
    fn record(&mut self, r: &routesim::sim::ChatRecord<'_>) {
        if let (true, Some(t)) = (r.measured, r.resolution) {
            self.0 += t.as_secs_f64();
            self.1 += 1.0;
        }
    }
}

#[test]
fn concurrency_slowdown_that_keeps_total_speed_behaves_as_one_server() {
    // One agent holding up to two chats, each at half speed when it holds two: the agent's total
    // speed never changes, so the chats in the system follow M/M/1 and the mean time in system
    // is 1 / (mu - lambda) = 150 s at rho = 0.6 (M/M/2 without the slowdown would give ~75 s).
    let reps = 16;
    let text = format!(
        r#"
[simulation]
duration = {duration}
warmup = "2h"
seed = 5
replications = {reps}
concurrency_slowdown = [1.0, 2.0]
[[teams]]
name = "q"
[[agents]]
name = "a"
teams = ["q"]
max_chats = 2
[[traffic]]
name = "t"
rate = 0.01
handle_time = {{ dist = "exponential", mean = 60 }}
[[rules]]
name = "all"
route = [{{ team = "q" }}]
"#,
        duration = (400.0 * 3_600.0 * SCALE).round()
    );
    let model = routesim::scenario::parse_str("slowdown.toml", &text).unwrap();
    let (_, per_rep) = experiment::run(&model, 0, |_| Sojourn::default(), &|_| {});
    let means: Vec<f64> = per_rep.iter().map(|s| s.0 / s.1).collect();
    let mean = means.iter().sum::<f64>() / reps as f64;
    let sd = (means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt();
    let ci = t95(reps as usize - 1) * sd / (reps as f64).sqrt();
    check(
        "slowdown [1, 2] mean time in system",
        mean,
        ci,
        reps,
        150.0,
        if SCALE < 1.0 { 0.25 } else { 0.05 },
    );
}

/// The interval report of a stationary M/M/c day: every hour's service level agrees with
/// Erlang C and with the whole day's, within four standard errors taken from the hour's own
/// spread over 40 replications, and the hours add up to the day.
#[test]
fn a_stationary_day_split_into_hours_keeps_the_days_service_level() {
    let (agents, mean, rho, reps) = (40u32, 60.0, 0.88, 40u32);
    let rate = rho * agents as f64 / mean;
    let text = format!(
        r#"
[simulation]
duration = "24h"
warmup = "1h"
replications = {reps}
seed = 11
[report]
service_level = "20s"
[[teams]]
name = "q"
[[agents]]
name = "a"
count = {agents}
teams = ["q"]
[[traffic]]
name = "t"
rate = {rate}
handle_time = {{ dist = "exponential", mean = {mean} }}
[[rules]]
name = "all"
route = [{{ team = "q" }}]
"#
    );
    let model = routesim::scenario::parse_str("hours.toml", &text).unwrap();
    let options = experiment::RunOptions {
        threads: 0,
        interval: Some(routesim::model::SimTime(
            3_600 * routesim::model::TICKS_PER_SEC,
        )),
    };
    let s = experiment::run_with(&model, &options, |_| Discard, &|_| {}).0;
    let hours = s.intervals.as_ref().unwrap();
    let ci = s.intervals_ci95.as_ref().unwrap();
    assert_eq!(hours.len(), 24);
    let day = s.figures.overall.service_level.unwrap();
    let theory = 1.0
        - erlang_c(agents, rho * agents as f64)
            * (-(agents as f64 / mean) * (1.0 - rho) * 20.0).exp();
    let offered: f64 = hours.iter().map(|h| h.offered).sum();
    assert!((offered - s.figures.overall.offered).abs() < 1e-6);
    for (h, c) in hours.iter().zip(ci) {
        let (sl, half) = (h.service_level.unwrap(), c.service_level.unwrap());
        check(&format!("SL {}", h.start), sl, half, reps, theory, 0.08);
        let se = half / t95(reps as usize - 1);
        assert!(
            (sl - day).abs() <= 4.0 * se,
            "{}: {sl} vs the day's {day} (se {se})",
            h.start
        );
        assert!((h.agents_on_shift - agents as f64).abs() < 1e-9);
    }
}

/// An agent's `speed` divides the handle times drawn for its chats. With common random numbers
/// the same chats are drawn at speed 1 and 2, so each handle time at speed 2 is half of its
/// own at speed 1 (to the tick), and the mean matches the distribution's mean over 2.
#[test]
fn speed_divides_every_handle_time() {
    struct Handles(Vec<(u64, u64)>);
    impl routesim::sim::Recorder for Handles {
        fn record(&mut self, r: &routesim::sim::ChatRecord<'_>) {
            if let Some(h) = r.handle {
                self.0.push((r.id, h.0));
            }
        }
    }
    let text = |speed: &str| {
        format!(
            r#"
[simulation]
duration = "200h"
seed = 5
[[teams]]
name = "q"
[[agents]]
name = "a"
teams = ["q"]
speed = {speed}
[[traffic]]
name = "t"
rate = "20/h"
handle_time = {{ dist = "exponential", mean = 60 }}
[[rules]]
name = "all"
route = [{{ team = "q" }}]
"#
        )
    };
    let run = |speed: &str| {
        let m = routesim::scenario::parse_str("speed.toml", &text(speed)).unwrap();
        routesim::sim::run_replication(&m, 0, Handles(Vec::new()), |_| {})
            .1
            .0
    };
    let (slow, fast) = (run("1.0"), run("2.0"));
    assert_eq!(slow.len(), fast.len());
    for ((id, s), (id2, f)) in slow.iter().zip(&fast) {
        assert_eq!(id, id2);
        assert!(
            (*s as i64 - 2 * *f as i64).abs() <= 1,
            "chat {id}: {s} vs {f}"
        );
    }
    let n = fast.len() as f64;
    let mean = fast.iter().map(|h| h.1 as f64 / 1e6).sum::<f64>() / n;
    // Exponential: the standard error of the mean is the mean over the root of n.
    assert!(
        (mean - 30.0).abs() <= 4.0 * 30.0 / n.sqrt(),
        "mean {mean} over {n} chats"
    );
}

/// After-chat work on one agent with one slot is an M/G/1 queue whose service is handling plus
/// wrap-up: Pollaczek-Khinchine gives the mean wait, and the slot is busy (occupancy) rho of
/// the time, a third of it wrapping up.
#[test]
fn wrap_up_on_one_agent_matches_pollaczek_khinchine() {
    let reps = 16;
    // Handle exponential with mean 60 s, wrap-up fixed at 30 s: E[S] = 90, E[S^2] = 60^2 + 90^2.
    let (lambda, es, es2) = (1.0 / 150.0, 90.0, 60.0f64.powi(2) + 90.0f64.powi(2));
    let rho = lambda * es;
    let wq = lambda * es2 / (2.0 * (1.0 - rho));
    for (name, traffic_wrap, team_wrap) in [
        ("traffic wrap_up", "wrap_up = 30", ""),
        ("team wrap_up", "wrap_up = 5", "wrap_up = 30"),
    ] {
        let text = format!(
            r#"
[simulation]
duration = {duration}
warmup = "2h"
seed = 17
replications = {reps}
[[teams]]
name = "q"
{team_wrap}
[[agents]]
name = "a"
teams = ["q"]
[[traffic]]
name = "t"
rate = {lambda}
handle_time = {{ dist = "exponential", mean = 60 }}
{traffic_wrap}
[[rules]]
name = "all"
route = [{{ team = "q" }}]
"#,
            duration = (400.0 * 3_600.0 * SCALE).round()
        );
        let model = routesim::scenario::parse_str("wrap.toml", &text).unwrap();
        let s = experiment::run(&model, 0, |_| Discard, &|_| {}).0;
        let ci = s.ci95.as_ref().expect("replicated");
        let tol = if SCALE < 1.0 { 0.3 } else { 0.08 };
        check(
            &format!("{name}: M/G/1 mean wait"),
            s.figures.overall.wait.mean.unwrap(),
            ci.overall.wait.mean.unwrap(),
            reps,
            wq,
            tol,
        );
        let (a, a_ci) = (&s.figures.agents[0], &ci.agents[0]);
        check(
            &format!("{name}: occupancy"),
            a.occupancy.unwrap(),
            a_ci.occupancy.unwrap(),
            reps,
            rho,
            0.05,
        );
        check(
            &format!("{name}: wrap-up share"),
            a.wrap_up.unwrap(),
            a_ci.wrap_up.unwrap(),
            reps,
            lambda * 30.0,
            0.05,
        );
    }
}
