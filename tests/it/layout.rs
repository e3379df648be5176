//! Layout snapshots: every exporter on small hand-built inputs, so a change of layout shows up
//! here without a single simulated number changing, and a change of numbers (the goldens)
//! without the layout. `UPDATE_SNAPSHOTS=1 cargo test --release` rewrites tests/layout/;
//! review the diff before committing it.

use routesim::experiment::Summary;
use routesim::model::{AgentId, RuleId, SimTime, TargetId, TrafficId};
use routesim::report;
use routesim::sim::{ChatRecord, Outcome, Recorder};
use routesim::stats::*;

use crate::support::{diff, root};

const DESK: &str = r#"
[simulation]
duration = "8h"
start = "tue 09:00"
[business_hours]
days = ["mon", "tue", "wed", "thu", "fri"]
hours = "09:00-17:00"
[[teams]]
name = "support"
[[teams]]
name = "experts"
[[agents]]
name = "a"
count = 2
teams = ["support"]
max_chats = 2
shift = "09:00-17:00"
[[agents]]
name = "x"
teams = ["experts"]
[[traffic]]
name = "web"
rate = "30/h"
handle_time = "5m"
attributes = { topic = { billing = 1, tech = 3 } }
[[rules]]
name = "closed"
when = { outside = "business_hours" }
after_hours = true
[[rules]]
name = "tech"
when = { topic = "tech" }
route = [ { team = "support", timeout = "1m" }, { team = "experts" } ]
[fallback]
to = "experts"
"#;

fn check(name: &str, got: &str, failures: &mut Vec<String>) {
    let path = root().join("tests/layout").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if got != want {
        failures.push(format!("{name}:\n{}", diff(&want, got)));
    }
}

fn wait(mean: f64) -> WaitFigures {
    WaitFigures {
        mean: Some(mean),
        p50: Some(0.0),
        p90: Some(mean * 2.0),
        p95: Some(mean * 3.0),
        p99: Some(90.0),
        max: Some(754.5),
    }
}

fn figures(offered: f64, abandoned: f64) -> Figures {
    Figures {
        offered,
        answered: offered - abandoned - 2.0,
        abandoned,
        abandoned_at_bot: 0.0,
        blocked: 0.0,
        waiting_at_end: 1.0,
        with_bot_at_end: 0.0,
        in_service_at_end: 1.0,
        deflected: 0.0,
        after_hours: 1.0,
        bot_resolved: 0.0,
        escalated: 0.0,
        abandon_rate: Some(abandoned / offered),
        service_level: Some(0.875),
        wait: wait(4.25),
    }
}

/// A summary of two replications, with a confidence row, a warning and one of every extra.
fn summary() -> Summary {
    let agent = |name: &str, handled: f64| AgentFigures {
        name: name.into(),
        handled,
        occupancy: Some(0.5),
        mean_concurrency: Some(1.0),
        wrap_up: Some(0.125),
        tickets: Some(0.0625),
        peak_concurrency: 2.0,
        on_shift_hours: 8.0,
        staffing_cost: 240.0,
    };
    let figs = RepFigures {
        overall: figures(1_234.5, 10.5),
        teams: vec![TeamFigures {
            name: "support".into(),
            figures: figures(1_000.0, 8.0),
            jain_occupancy: Some(0.98),
        }],
        rules: vec![RuleFigures {
            name: "tech".into(),
            matched: 1_233.5,
            figures: figures(1_233.5, 10.5),
        }],
        agents: vec![agent("a-1", 600.0), agent("a-2", 599.5)],
        channels: vec![ChannelFigures {
            channel: "email".into(),
            deflected: 3.0,
        }],
        messages: MessageFigures {
            first_chat: 1_233.5,
            assigned: 1_222.0,
            missed: 10.5,
            ..Default::default()
        },
        tickets: TicketFigures {
            after_hours: 1.0,
            missed: 10.5,
            work: Some(TicketWorkFigures {
                team: "support".into(),
                started: 9.5,
                done: 9.0,
                backlog_mean: Some(0.75),
                backlog_peak: 4.0,
                backlog_at_end: 2.0,
                first_response: wait(5_400.0),
            }),
        },
        red_flags: RedFlagFigures {
            after: Some(120.0),
            flagged: 4.0,
            peak: 2.0,
        },
        bot: BotFigures::default(),
        customers: CustomerFigures {
            first_contacts: 1_100.5,
            retries: 134.0,
            gave_up: 22.0,
            abandon_rate: Some(0.02),
        },
        escalation: EscalationFigures::default(),
        fairness: FairnessFigures {
            jain_occupancy: Some(0.99),
        },
    };
    Summary {
        scenario: "layout.toml".into(),
        scenario_hash: "0123456789abcdef".into(),
        routesim_version: "0.1.0".into(),
        seed: 7,
        replications: 2,
        warmup: 1_800.0,
        duration: 28_800.0,
        service_level_threshold: 20.0,
        ci95: Some(figs.clone()),
        figures: figs,
        simulated_chats: 2_500,
        stopped_at: Some(10_800.0),
        intervals: None,
        intervals_ci95: None,
        warnings: vec!["3 chats per replication were still waiting when the run ended".into()],
        failure: None,
    }
}

/// A sweep of two points on two axes, one figure missing and one without a half-width.
fn sweep() -> routesim::sweep::Sweep {
    use routesim::sweep::{Axis, Estimate, Row, Sweep};
    let e = |value: Option<f64>, ci95: Option<f64>| Estimate { value, ci95 };
    let row = |n: &str, sl: f64| Row {
        values: vec![n.into(), "30s".into()],
        service_level_threshold: 20.0,
        service_level: e(Some(sl), Some(0.0123)),
        abandon_rate: e(Some(0.02), Some(0.004)),
        wait_mean: e(Some(4.84), Some(0.31)),
        wait_p90: e(Some(75.0), None),
        wait_p95: e(None, None),
        occupancy: e(Some(0.5), Some(0.001)),
        staffing_cost: e(Some(6640.0), Some(0.0)),
    };
    Sweep {
        scenario: "layout.toml".into(),
        seed: 7,
        replications: 4,
        axes: vec![
            Axis {
                path: "agents.a.count".into(),
                values: vec!["2".into(), "3".into()],
            },
            Axis {
                path: "rules.tech.route[0].timeout".into(),
                values: vec!["30s".into()],
            },
        ],
        rows: vec![row("2", 0.9), row("3", 0.95)],
        warnings: vec!["at agents.a.count=2: something".into()],
    }
}

/// A page with each inline `<svg ...>...</svg>` cut to `<svg>...</svg>`.
fn without_svg(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find("<svg ") {
        out.push_str(&rest[..at]);
        out.push_str("<svg>...</svg>");
        let end = rest[at..].find("</svg>").expect("closed") + at;
        rest = &rest[end + "</svg>".len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn exporters_keep_their_layout() {
    let s = summary();
    let mut failures = Vec::new();
    check("table.txt", &report::table::table(&s), &mut failures);
    check(
        "summary.json",
        &String::from_utf8(report::json(&s)).unwrap(),
        &mut failures,
    );
    check(
        "teams.csv",
        &String::from_utf8(report::csv::teams(&s)).unwrap(),
        &mut failures,
    );
    check(
        "agents.csv",
        &String::from_utf8(report::csv::agents(&s)).unwrap(),
        &mut failures,
    );

    // The interval view and intervals.csv, on two hand-made half-hours.
    let half = |start: &str, from: f64, sl: f64| routesim::stats::intervals::IntervalFigures {
        start: start.into(),
        from,
        length: 1_800.0,
        offered: 61.5,
        answered: 60.0,
        abandoned: 1.5,
        service_level: Some(sl),
        wait_mean: Some(7.25),
        wait_p90: Some(31.0),
        agents_on_shift: 6.5,
        occupancy: Some(0.8125),
        tickets_backlog: Some(1.5),
    };
    let mut by_half = s.clone();
    by_half.intervals = Some(vec![
        half("tue 09:00", 0.0, 0.875),
        half("tue 09:30", 1_800.0, 0.64),
    ]);
    by_half.intervals_ci95 = by_half.intervals.clone();
    check(
        "intervals.txt",
        &report::table::intervals(&by_half),
        &mut failures,
    );
    check(
        "intervals.csv",
        &String::from_utf8(report::csv::intervals(&by_half)).unwrap(),
        &mut failures,
    );

    // The gate's exporters, on a hand-made gate: one threshold met, one breached with an
    // interval that includes the limit, one with no value; a baseline row of each verdict.
    let gates = hand_made_gates();
    check("gate.txt", &report::gate::table(&gates), &mut failures);
    check(
        "gate.md",
        &report::gate::markdown(&s, Some(&gates)),
        &mut failures,
    );
    check(
        "gate.xml",
        &String::from_utf8(report::gate::junit(&s, &gates)).unwrap(),
        &mut failures,
    );
    let with_gates = String::from_utf8(report::gate::json(&s, Some(&gates))).unwrap();
    check("summary-gates.json", &with_gates, &mut failures);
    // The JSON with gates is the JSON without them, plus `gates`.
    let mut v: serde_json::Value = serde_json::from_str(&with_gates).unwrap();
    v.as_object_mut().unwrap().remove("gates");
    let plain: serde_json::Value = serde_json::from_slice(&report::json(&s)).unwrap();
    assert_eq!(v, plain);

    // report.html, less its charts' drawing (what plotters draws is checked in a browser, in
    // tests/it/html.rs): the page, the key figures, the captions and what each chart is.
    let curve = |name: &str, points: Vec<(f64, f64)>| WaitCurve {
        name: name.into(),
        chats: 20,
        points,
    };
    let waits = WaitCurves {
        overall: curve("overall", vec![(0.0, 0.6), (30.0, 0.9), (754.5, 1.0)]),
        teams: vec![curve("support", vec![(0.0, 0.5), (754.5, 1.0)])],
    };
    check(
        "report.html",
        &without_svg(&report::html::run(&by_half, &waits)),
        &mut failures,
    );
    check(
        "sweep-report.html",
        &without_svg(&report::html::sweep(&sweep())),
        &mut failures,
    );

    let m = routesim::scenario::parse_str("layout.toml", DESK).unwrap();
    check(
        "describe.txt",
        &report::describe::describe(&m),
        &mut failures,
    );
    for (name, at, topic) in [
        ("explain-open.txt", 24 * 3_600 + 10 * 3_600, "tech"),
        ("explain-closed.txt", 5 * 24 * 3_600 + 10 * 3_600, "tech"),
        ("explain-unmatched.txt", 24 * 3_600 + 10 * 3_600, "billing"),
    ] {
        let probe = report::explain::Probe {
            attrs: vec![("topic".into(), topic.into())],
            has_owner: false,
            owner: None,
            week_time: at * routesim::model::TICKS_PER_SEC,
        };
        check(name, &report::explain::explain(&m, &probe), &mut failures);
    }

    // With after_checks = 1, the second step is never reached: the chat goes on first.
    let early =
        routesim::scenario::parse_str("layout.toml", &format!("{DESK}after_checks = 1\n")).unwrap();
    let probe = report::explain::Probe {
        attrs: vec![("topic".into(), "tech".into())],
        has_owner: false,
        owner: None,
        week_time: (24 + 10) * 3_600 * routesim::model::TICKS_PER_SEC,
    };
    check(
        "explain-after-checks.txt",
        &report::explain::explain(&early, &probe),
        &mut failures,
    );

    let mut rows = report::csv::ChatWriter::new(&m, Vec::new());
    let attrs = [1u32];
    let rec = |id: u64, outcome: Outcome, agent: Option<u32>| ChatRecord {
        replication: 1,
        id,
        // The third row is the second attempt of the customer who gave up in the second.
        customer: id.min(1),
        attempt: id.max(1) as u32,
        retry: id == 1,
        measured: true,
        traffic: TrafficId(0),
        attrs: &attrs,
        arrival: SimTime(m.warmup.0 + 61_500_000),
        rule: Some(RuleId(1)),
        target: Some(TargetId(0)),
        agent: agent.map(AgentId),
        wait: SimTime(2_250_000),
        bot_time: None,
        handle: agent.map(|_| SimTime(300_000_000)),
        outcome,
        channel: None,
        owner: None,
        checks: 1,
        transfers: 0,
        second_wait: None,
        resolution: None,
    };
    rows.record(&rec(0, Outcome::Served, Some(1)));
    rows.record(&rec(1, Outcome::Abandoned, None));
    rows.record(&rec(2, Outcome::Served, Some(0)));
    let body = String::from_utf8(rows.finish().unwrap()).unwrap();
    let chats = report::csv::CHATS_HEADER.join(",") + "\n" + &body;
    check("chats.csv", &chats, &mut failures);

    assert!(
        failures.is_empty(),
        "{}\n(UPDATE_SNAPSHOTS=1 rewrites them; review the diff)",
        failures.join("\n")
    );
}

fn hand_made_gates() -> routesim::gate::Gates {
    use routesim::gate::{BaselineReport, BaselineRow, BreachRule, Check, Gates, Unit};
    let check =
        |threshold: &str, metric: &str, op, limit, unit, value, ci95, verdict: &str, passed| {
            Check {
                threshold: threshold.into(),
                from: "slo[0].max".into(),
                metric: metric.into(),
                op,
                limit,
                unit,
                value,
                ci95,
                verdict: verdict.into(),
                passed,
            }
        };
    let row = |metric: &str, unit, baseline, now: Option<f64>, tolerance, verdict: &str, passed| {
        BaselineRow {
            metric: metric.into(),
            unit,
            baseline: Some(baseline),
            baseline_ci95: Some(0.01),
            now,
            now_ci95: Some(0.02),
            change: now.map(|n| n - baseline),
            tolerance,
            noise: 0.05f64.hypot(0.02),
            verdict: verdict.into(),
            passed,
        }
    };
    Gates {
        rule: BreachRule::Estimate,
        passed: false,
        thresholds: vec![
            check("overall.wait.p95 <= 60s", "overall.wait.p95", "<=", 60.0, Unit::Seconds, Some(42.5), Some(4.25), "met", true),
            check(
                "teams.a|b.service_level >= 80%",
                "teams.a|b.service_level",
                ">=",
                0.8,
                Unit::Share,
                Some(0.79),
                Some(0.03),
                "breached, CI includes the limit: add replications",
                false,
            ),
            check("escalation.second_wait.p90 <= 2m", "escalation.second_wait.p90", "<=", 120.0, Unit::Seconds, None, None, "no value: nothing was measured for this figure", false),
        ],
        baseline: Some(BaselineReport {
            file: "main/summary.json".into(),
            scenario_hash: "fedcba9876543210".into(),
            routesim_version: "0.1.0".into(),
            rows: vec![
                row("overall.service_level", Unit::Share, 0.9, Some(0.8), 0.0, "regressed", false),
                row("overall.wait.p95", Unit::Seconds, 40.0, Some(42.5), 4.0, "worse, within tolerance", true),
                row("overall.offered", Unit::Number, 1200.0, None, 0.0, "no value now: nothing was measured for this figure", false),
            ],
        }),
        warnings: vec!["baseline main/summary.json was made by routesim 0.0.9, this is 0.1.0: a change in routesim can move the figures too".into()],
    }
}
