//! `routesim bench` for people: one line per desk size, latencies in nanoseconds.

use std::fmt::Write;

use super::table::{count, layout, pct};
use crate::corebench::BenchResult;

/// The bench's result as text: what was measured, then a row per desk size.
pub fn table(r: &BenchResult) -> String {
    let mut out = String::new();
    let busy_from = match r.busy_from.as_str() {
        "scenario" => " (the scenario's busiest half hour)",
        _ => "",
    };
    let _ = writeln!(
        out,
        "bench: {}, seed {}, at {}, {} of chat slots held{busy_from}",
        r.scenario,
        r.seed,
        r.at,
        pct(Some(r.busy)),
    );
    let _ = writeln!(
        out,
        "{} decisions per size after {} of warm-up; one decision = choose the rule + decide + apply it \
         to the board or a queue;\ntimes in ns, each with the timer's own {} ns (taken out of decisions/s)\n",
        count(r.decisions as f64),
        count(r.warmup as f64),
        r.timer_overhead_ns
    );
    let mut rows = vec![
        [
            "agents",
            "decisions/s",
            "p50",
            "p99",
            "p99.9",
            "max",
            "assigned",
            "waited",
            "other",
            "occupancy",
            "waiting",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for s in &r.sizes {
        let n = s.decisions.max(1) as f64;
        let l = &s.latency_ns;
        rows.push(vec![
            count(s.agents as f64),
            count(s.decisions_per_sec.round()),
            count(l.p50 as f64),
            count(l.p99 as f64),
            count(l.p999 as f64),
            count(l.max as f64),
            pct(Some(s.assigned as f64 / n)),
            pct(Some(s.waited as f64 / n)),
            pct(Some(s.other as f64 / n)),
            pct(Some(s.occupancy)),
            count(s.waiting.round()),
        ]);
    }
    out.push_str(&layout(&rows));
    for s in r.sizes.iter().filter(|s| s.out_of_range > 0) {
        let _ = writeln!(
            out,
            "{} agents: {} decisions took over 10 s and are left out of the percentiles",
            count(s.agents as f64),
            s.out_of_range
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corebench::{Latency, SizeResult};

    #[test]
    fn rows_read_in_ns_with_separators_and_shares() {
        let r = BenchResult {
            scenario: "desk.toml".into(),
            seed: 7,
            at: "mon 10:00".into(),
            busy: 0.9,
            busy_from: "--busy".into(),
            decisions: 200_000,
            warmup: 20_000,
            timer_overhead_ns: 21,
            sizes: vec![SizeResult {
                agents: 10_000,
                slots: 25_000,
                decisions: 200_000,
                decisions_per_sec: 4_567_890.4,
                latency_ns: Latency {
                    mean: 240.0,
                    p50: 180,
                    p99: 950,
                    p999: 4_100,
                    max: 120_000,
                },
                out_of_range: 0,
                assigned: 180_000,
                waited: 19_000,
                other: 1_000,
                occupancy: 0.9,
                waiting: 41.6,
            }],
        };
        let text = table(&r);
        assert!(
            text.starts_with("bench: desk.toml, seed 7, at mon 10:00, 90.0% of chat slots held\n"),
            "{text}"
        );
        let row = text.lines().last().unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "10,000",
                "4,567,890",
                "180",
                "950",
                "4,100",
                "120,000",
                "90.0%",
                "9.5%",
                "0.5%",
                "90.0%",
                "42"
            ]
        );
    }
}
