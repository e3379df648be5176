//! A sweep for people (one line per point: the axes' values, then each figure with its 95%
//! half-width) and as CSV (`sweep.csv`: one row per point, a column per figure and per
//! half-width).

use std::fmt::Write;

use super::human_secs;
use super::table::layout;
use crate::sweep::{Estimate, Sweep};

/// A figure and its half-width as they read: shares in percent, times as durations, costs
/// plain; `-` where there is no figure.
pub(super) fn cell(figure: &str, e: Estimate) -> String {
    let Some(v) = e.value else { return "-".into() };
    let (value, half) = match figure {
        "service_level" | "abandon_rate" | "occupancy" => (
            format!("{:.1}", v * 100.0),
            e.ci95.map(|h| format!("{:.1}", h * 100.0)),
        ),
        "staffing_cost" => (format!("{v:.1}"), e.ci95.map(|h| format!("{h:.1}"))),
        _ => (human_secs(Some(v)), e.ci95.map(|h| human_secs(Some(h)))),
    };
    let unit = match figure {
        "service_level" | "abandon_rate" | "occupancy" => "%",
        _ => "",
    };
    match half {
        Some(h) => format!("{value} ± {h}{unit}"),
        None => format!("{value}{unit}"),
    }
}

/// How a figure reads in the header.
pub(super) fn label(figure: &str, threshold: Option<f64>) -> String {
    match figure {
        "service_level" => match threshold {
            Some(t) => format!("SL {}", human_secs(Some(t))),
            None => "SL".into(),
        },
        "abandon_rate" => "abandon rate".into(),
        "wait_mean" => "mean wait".into(),
        "wait_p90" => "p90 wait".into(),
        "wait_p95" => "p95 wait".into(),
        "staffing_cost" => "staffing cost".into(),
        other => other.into(),
    }
}

/// The sweep for people.
pub fn table(s: &Sweep) -> String {
    let mut out = String::new();
    let points = s.rows.len();
    let _ = writeln!(
        out,
        "sweep: {}, {points} point{}, seed {}, {} replications each",
        s.scenario,
        if points == 1 { "" } else { "s" },
        s.seed,
        s.replications,
    );
    let _ = writeln!(
        out,
        "whole-desk figures with their 95% half-width; the last --set varies fastest\n"
    );
    let first = s.rows.first().map(|r| r.service_level_threshold);
    let threshold = first.filter(|&t| s.rows.iter().all(|r| r.service_level_threshold == t));
    let mut header: Vec<String> = s.axes.iter().map(|a| a.path.clone()).collect();
    if let Some(r) = s.rows.first() {
        header.extend(r.figures().iter().map(|(f, _)| label(f, threshold)));
    }
    let mut rows = vec![header];
    for r in &s.rows {
        let mut row = r.values.clone();
        row.extend(r.figures().iter().map(|&(f, e)| cell(f, e)));
        rows.push(row);
    }
    out.push_str(&layout(&rows));
    if threshold.is_none() && !s.rows.is_empty() {
        out.push_str("\nnote: the points measure the service level against different thresholds (report.service_level)\n");
    }
    if !s.warnings.is_empty() {
        out.push('\n');
        out.push_str(&super::warning_lines(&s.warnings));
    }
    out
}

/// The sweep as CSV: a column per axis (named by its path), the service-level threshold, then
/// each figure and its half-width (`service_level,service_level_ci95,...`); one row per point.
/// Shares are fractions and times seconds, as in the JSON; an empty cell has no figure.
pub fn csv(s: &Sweep) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = s.axes.iter().map(|a| a.path.clone()).collect();
    header.push("service_level_threshold".into());
    for f in crate::sweep::FIGURES {
        header.extend([f.to_string(), format!("{f}_ci95")]);
    }
    w.write_record(&header).expect("in memory");
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    for r in &s.rows {
        let mut row = r.values.clone();
        row.push(r.service_level_threshold.to_string());
        for (_, e) in r.figures() {
            row.extend([opt(e.value), opt(e.ci95)]);
        }
        w.write_record(&row).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::{Axis, Row};

    /// A hand-made sweep, so the layout is tested apart from any simulation's numbers.
    fn sweep(thresholds: [f64; 2]) -> Sweep {
        let e = |value: Option<f64>, ci95: Option<f64>| Estimate { value, ci95 };
        let row = |n: &str, t: f64, sl: f64| Row {
            values: vec![n.into(), "30s".into()],
            service_level_threshold: t,
            service_level: e(Some(sl), Some(0.0123)),
            abandon_rate: e(Some(0.02), Some(0.004)),
            wait_mean: e(Some(4.84), Some(0.31)),
            wait_p90: e(Some(75.0), None),
            wait_p95: e(None, None),
            occupancy: e(Some(0.5), Some(0.001)),
            staffing_cost: e(Some(6640.0), Some(0.0)),
        };
        Sweep {
            scenario: "desk.toml".into(),
            seed: 7,
            replications: 4,
            axes: vec![
                Axis {
                    path: "agents.early.count".into(),
                    values: vec!["8".into(), "9".into()],
                },
                Axis {
                    path: "rules.x.route[0].timeout".into(),
                    values: vec!["30s".into()],
                },
            ],
            rows: vec![row("8", thresholds[0], 0.9), row("9", thresholds[1], 0.95)],
            warnings: vec!["at agents.early.count=8: something".into()],
        }
    }

    #[test]
    fn the_table_has_a_line_per_point_with_each_figure_and_its_half_width() {
        let want = "\
sweep: desk.toml, 2 points, seed 7, 4 replications each
whole-desk figures with their 95% half-width; the last --set varies fastest

agents.early.count  rules.x.route[0].timeout       SL 30s  abandon rate    mean wait  p90 wait  p95 wait    occupancy  staffing cost
8                                        30s  90.0 ± 1.2%    2.0 ± 0.4%  4.8s ± 0.3s     1m15s         -  50.0 ± 0.1%   6640.0 ± 0.0
9                                        30s  95.0 ± 1.2%    2.0 ± 0.4%  4.8s ± 0.3s     1m15s         -  50.0 ± 0.1%   6640.0 ± 0.0

warning: at agents.early.count=8: something
";
        let got = table(&sweep([30.0, 30.0]));
        assert_eq!(got, want, "\n{got}");
        // Thresholds that differ by point: no single one in the header, and a note says why.
        let got = table(&sweep([30.0, 20.0]));
        assert!(got.contains("     SL  "), "{got}");
        assert!(
            got.contains("note: the points measure the service level against different thresholds")
        );
    }

    #[test]
    fn the_csv_has_a_column_per_axis_figure_and_half_width() {
        let got = String::from_utf8(csv(&sweep([30.0, 30.0]))).unwrap();
        let want = "\
agents.early.count,rules.x.route[0].timeout,service_level_threshold,service_level,service_level_ci95,abandon_rate,abandon_rate_ci95,wait_mean,wait_mean_ci95,wait_p90,wait_p90_ci95,wait_p95,wait_p95_ci95,occupancy,occupancy_ci95,staffing_cost,staffing_cost_ci95
8,30s,30,0.9,0.0123,0.02,0.004,4.84,0.31,75,,,,0.5,0.001,6640,0
9,30s,30,0.95,0.0123,0.02,0.004,4.84,0.31,75,,,,0.5,0.001,6640,0
";
        assert_eq!(got, want);
    }
}
