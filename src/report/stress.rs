//! A stress test for people (the breaking load, each target's, then the curve) and as CSV
//! (`stress.csv`: one row per load simulated).

use std::fmt::Write;

use super::sweep::{cell, label};
use super::table::layout;
use crate::staff::TargetValue;
use crate::stress::{Breaking, RampTest, Stress, multiplier_label};

/// The curve's figures, in column order.
const FIGURES: [&str; 4] = ["service_level", "wait_p95", "abandon_rate", "occupancy"];

fn load(m: Option<f64>, none: &str) -> String {
    m.map_or(none.to_string(), multiplier_label)
}

/// A breaking load as it reads: `1.24x (95% CI 1.18x to 1.31x)`.
fn answer(b: &Breaking, lowest: f64, highest: f64) -> String {
    let low = load(b.ci95_low, &format!("below {}", multiplier_label(lowest)));
    let high = load(b.ci95_high, &format!("above {}", multiplier_label(highest)));
    match (b.multiplier, b.breaks_at) {
        (_, None) => format!(
            "holds at every load tried, up to {}",
            multiplier_label(highest)
        ),
        (None, Some(at)) => format!(
            "broken at the lowest load tried, {} (95% CI {low} to {high})",
            multiplier_label(at)
        ),
        (Some(m), Some(_)) => format!("{} (95% CI {low} to {high})", multiplier_label(m)),
    }
}

/// The desk's breaking load as it reads, with its interval.
pub(super) fn answer_line(s: &Stress) -> String {
    let lowest = s.curve.first().map_or(0.0, |p| p.multiplier);
    let highest = s.curve.last().map_or(0.0, |p| p.multiplier);
    answer(&s.breaking, lowest, highest)
}

/// A target's verdict at one load.
pub(super) fn verdict(t: &TargetValue) -> &'static str {
    match (t.holds, t.close) {
        (true, false) => "holds",
        (true, true) => "holds (close)",
        (false, true) => "breaks (close)",
        (false, false) => "breaks",
    }
}

/// The stress test for people.
pub fn table(s: &Stress) -> String {
    let mut out = String::new();
    let highest = s.curve.last().map_or(0.0, |p| p.multiplier);
    let what = match &s.stream {
        Some(name) => format!("stream {name}"),
        None => "every stream".into(),
    };
    let _ = writeln!(
        out,
        "stress: {}, load on {what} as a multiple of today's; seed {}, {} replications per load on the same customers; {} loads simulated\n",
        s.scenario, s.seed, s.replications, s.runs
    );
    let _ = writeln!(out, "breaking load: {}", answer_line(s));
    if let Some(first) = &s.first_broken {
        let _ = writeln!(out, "first to break: {first}");
    }
    out.push('\n');
    let mut rows = vec![vec![
        "target".to_string(),
        "holds up to".into(),
        "breaks at".into(),
        "95% CI".into(),
    ]];
    for b in &s.targets {
        let ci = match b.breaks_at {
            None => "-".to_string(),
            Some(_) => format!(
                "{} to {}",
                load(b.ci95_low, "below"),
                load(b.ci95_high, "above")
            ),
        };
        rows.push(vec![
            b.target.clone(),
            match b.breaks_at {
                None => format!("{} (all tried)", multiplier_label(highest)),
                Some(_) => load(b.multiplier, "-"),
            },
            load(b.breaks_at, "-"),
            ci,
        ]);
    }
    out.push_str(&layout(&rows));
    out.push('\n');
    let threshold = Some(s.service_level_threshold);
    let mut header = vec!["load".to_string(), "offered".into()];
    header.extend(FIGURES.iter().map(|f| label(f, threshold)));
    header.extend(s.targets.iter().map(|b| b.target.clone()));
    let mut rows = vec![header];
    for (p, r) in s.curve.iter().zip(s.rows()) {
        let mut row = vec![
            multiplier_label(p.multiplier),
            match (p.offered.value, p.offered.ci95) {
                (Some(v), Some(h)) => format!("{v:.1} ± {h:.1}"),
                (Some(v), None) => format!("{v:.1}"),
                _ => "-".into(),
            },
        ];
        for f in FIGURES {
            let e = r.figures().into_iter().find(|(g, _)| *g == f).map(|x| x.1);
            row.push(e.map_or("-".into(), |e| cell(f, e)));
        }
        row.extend(p.targets.iter().map(|t| verdict(t).to_string()));
        rows.push(row);
    }
    out.push_str(&layout(&rows));
    let _ = writeln!(
        out,
        "\noffered: chats per replication; figures with their 95% half-width; \"close\": the limit lies inside the interval"
    );
    if !s.warnings.is_empty() {
        out.push('\n');
        out.push_str(&super::warning_lines(&s.warnings));
    }
    out
}

/// The curve as CSV: the multiplier, offered chats per replication, each figure and its
/// half-width, then each target's verdict (`holds` or `breaks`) and whether its limit lies
/// inside the interval. Shares are fractions and times seconds, as in the JSON.
pub fn csv(s: &Stress) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "multiplier".to_string(),
        "offered".into(),
        "offered_ci95".into(),
    ];
    for f in FIGURES {
        header.extend([f.to_string(), format!("{f}_ci95")]);
    }
    for b in &s.targets {
        header.extend([b.target.clone(), format!("{} close", b.target)]);
    }
    w.write_record(&header).expect("in memory");
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    for (p, r) in s.curve.iter().zip(s.rows()) {
        let mut row = vec![
            p.multiplier.to_string(),
            opt(p.offered.value),
            opt(p.offered.ci95),
        ];
        for f in FIGURES {
            let e = r.figures().into_iter().find(|(g, _)| *g == f).map(|x| x.1);
            row.extend([opt(e.and_then(|e| e.value)), opt(e.and_then(|e| e.ci95))]);
        }
        for t in &p.targets {
            row.extend([
                if t.holds { "holds" } else { "breaks" }.to_string(),
                t.close.to_string(),
            ]);
        }
        w.write_record(&row).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

/// A share or a time as a ramp's window shows it.
fn ramp_cell(share: bool, v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if share => format!("{:.1}%", v * 100.0),
        Some(v) => super::human_secs(Some(v)),
    }
}

/// A ramp test for people: when each target first broke and whether the desk recovered, then
/// the windows.
pub fn ramp_table(r: &RampTest) -> String {
    let mut out = String::new();
    let what = match &r.stream {
        Some(name) => format!("stream {name}"),
        None => "every stream".into(),
    };
    let _ = writeln!(
        out,
        "stress --ramp: {}, load on {what} from {} to {} and back at {}%/h (peak after {}); seed {}, {} replications; the clock stands still at the scenario's start\n",
        r.scenario,
        multiplier_label(r.from),
        multiplier_label(r.to),
        multiplier_label(r.per_hour * 100.0).trim_end_matches('x'),
        super::human_secs(Some(r.peak_at)),
        r.seed,
        r.replications
    );
    let at = |t: Option<f64>, m: Option<f64>| match (t, m) {
        (Some(t), Some(m)) => format!(
            "after {} at {}",
            super::human_secs(Some(t)),
            multiplier_label(m)
        ),
        _ => "-".into(),
    };
    let mut rows = vec![vec![
        "target".to_string(),
        "first broke".into(),
        "recovered".into(),
    ]];
    for b in &r.targets {
        rows.push(vec![
            b.target.clone(),
            match b.broke_at {
                None => "held throughout".into(),
                Some(_) => at(b.broke_at, b.broke_multiplier),
            },
            match (b.broke_at, b.recovered) {
                (None, _) => "-".into(),
                (Some(_), true) => at(b.recovered_at, b.recovered_multiplier),
                (Some(_), false) => "not by the end".into(),
            },
        ]);
    }
    out.push_str(&layout(&rows));
    out.push('\n');
    let threshold = super::human_secs(Some(r.service_level_threshold));
    let mut header = vec![
        "window".to_string(),
        "load".into(),
        "offered".into(),
        format!("SL {threshold}"),
        "abandon rate".into(),
        "mean wait".into(),
        "p90 wait".into(),
        "occupancy".into(),
    ];
    header.extend(r.targets.iter().map(|b| b.target.clone()));
    let mut rows = vec![header];
    for w in &r.windows {
        let mut row = vec![
            format!("+{}", super::human_secs(Some(w.from))),
            multiplier_label(w.multiplier),
            format!("{:.1}", w.offered),
            ramp_cell(true, w.service_level),
            ramp_cell(true, w.abandon_rate),
            ramp_cell(false, w.wait_mean),
            ramp_cell(false, w.wait_p90),
            ramp_cell(true, w.occupancy),
        ];
        row.extend(w.targets.iter().map(|t| verdict(t).to_string()));
        rows.push(row);
    }
    out.push_str(&layout(&rows));
    let _ = writeln!(
        out,
        "\nwindow: its start after the end of the warm-up; load: at its middle; offered: chats per replication"
    );
    if !r.warnings.is_empty() {
        out.push('\n');
        out.push_str(&super::warning_lines(&r.warnings));
    }
    out
}

/// A ramp's windows as CSV: start (seconds), length, load, offered, the figures (shares as
/// fractions, times in seconds), then each target's verdict.
pub fn ramp_csv(r: &RampTest) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "from",
        "length",
        "multiplier",
        "offered",
        "service_level",
        "abandon_rate",
        "wait_mean",
        "wait_p90",
        "occupancy",
    ]
    .map(String::from)
    .to_vec();
    header.extend(r.targets.iter().map(|b| b.target.clone()));
    w.write_record(&header).expect("in memory");
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    for x in &r.windows {
        let mut row = vec![
            x.from.to_string(),
            x.length.to_string(),
            x.multiplier.to_string(),
            x.offered.to_string(),
            opt(x.service_level),
            opt(x.abandon_rate),
            opt(x.wait_mean),
            opt(x.wait_p90),
            opt(x.occupancy),
        ];
        row.extend(
            x.targets
                .iter()
                .map(|t| if t.holds { "holds" } else { "breaks" }.to_string()),
        );
        w.write_record(&row).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stress::Point;
    use crate::sweep::Estimate;

    /// A hand-made stress test, so the layout is tested apart from any simulation's numbers.
    fn stress() -> Stress {
        let e = |value: f64, ci95: f64| Estimate {
            value: Some(value),
            ci95: Some(ci95),
        };
        let point = |m: f64, sl: f64, holds: bool, close: bool| Point {
            multiplier: m,
            offered: e(200.0 * m, 3.25),
            service_level: e(sl, 0.02),
            abandon_rate: e(0.01 * m, 0.002),
            wait_mean: e(4.0 * m, 0.5),
            wait_p95: e(20.0 * m, 2.0),
            occupancy: e(0.5 * m, 0.01),
            targets: vec![TargetValue {
                target: "sl(20s) >= 0.8".into(),
                value: Some(sl),
                ci95: Some(0.02),
                holds,
                close,
            }],
        };
        let b = Breaking {
            target: "sl(20s) >= 0.8".into(),
            multiplier: Some(1.0),
            breaks_at: Some(1.01),
            ci95_low: Some(0.95),
            ci95_high: Some(1.1),
        };
        Stress {
            scenario: "desk.toml".into(),
            seed: 7,
            replications: 10,
            stream: None,
            service_level_threshold: 20.0,
            breaking: Breaking {
                target: "all".into(),
                ..b.clone()
            },
            first_broken: Some(b.target.clone()),
            targets: vec![b],
            curve: vec![
                point(0.5, 0.99, true, false),
                point(1.0, 0.81, true, true),
                point(1.01, 0.79, false, true),
                point(1.5, 0.3, false, false),
            ],
            runs: 4,
            warnings: vec![],
        }
    }

    #[test]
    fn the_table_gives_the_breaking_load_then_the_curve() {
        let want = "\
stress: desk.toml, load on every stream as a multiple of today's; seed 7, 10 replications per load on the same customers; 4 loads simulated

breaking load: 1x (95% CI 0.95x to 1.1x)
first to break: sl(20s) >= 0.8

target          holds up to  breaks at         95% CI
sl(20s) >= 0.8           1x      1.01x  0.95x to 1.1x

load       offered       SL 20s    p95 wait  abandon rate    occupancy  sl(20s) >= 0.8
0.5x   100.0 ± 3.2  99.0 ± 2.0%  10s ± 2.0s    0.5 ± 0.2%  25.0 ± 1.0%           holds
1x     200.0 ± 3.2  81.0 ± 2.0%  20s ± 2.0s    1.0 ± 0.2%  50.0 ± 1.0%   holds (close)
1.01x  202.0 ± 3.2  79.0 ± 2.0%  20s ± 2.0s    1.0 ± 0.2%  50.5 ± 1.0%  breaks (close)
1.5x   300.0 ± 3.2  30.0 ± 2.0%  30s ± 2.0s    1.5 ± 0.2%  75.0 ± 1.0%          breaks

offered: chats per replication; figures with their 95% half-width; \"close\": the limit lies inside the interval
";
        let got = table(&stress());
        assert_eq!(got, want, "\n{got}");
    }

    #[test]
    fn the_csv_has_a_row_per_load() {
        let got = String::from_utf8(csv(&stress())).unwrap();
        let want = "\
multiplier,offered,offered_ci95,service_level,service_level_ci95,wait_p95,wait_p95_ci95,abandon_rate,abandon_rate_ci95,occupancy,occupancy_ci95,sl(20s) >= 0.8,sl(20s) >= 0.8 close
0.5,100,3.25,0.99,0.02,10,2,0.005,0.002,0.25,0.01,holds,false
1,200,3.25,0.81,0.02,20,2,0.01,0.002,0.5,0.01,holds,true
1.01,202,3.25,0.79,0.02,20.2,2,0.0101,0.002,0.505,0.01,breaks,true
1.5,300,3.25,0.3,0.02,30,2,0.015,0.002,0.75,0.01,breaks,false
";
        assert_eq!(got, want, "\n{got}");
    }
}
