//! The comparison table: each figure of each scope, the scenarios' values, and each later
//! scenario's difference to the first with its 95% half-width and verdict.

use std::fmt::Write;

use super::human_secs;
use super::table::layout;
use crate::compare::{Comparison, Row};

/// A value as its figure is read: shares in percent, times as durations, costs plain.
fn value(figure: &str, v: Option<f64>) -> String {
    let Some(v) = v else { return "-".into() };
    match figure {
        "service_level" | "abandon_rate" | "occupancy" => format!("{:.1}%", v * 100.0),
        "staffing_cost" => format!("{v:.1}"),
        _ => human_secs(Some(v)),
    }
}

/// A difference (or half-width, unsigned) in the figure's unit: points for shares.
fn delta(figure: &str, v: Option<f64>, signed: bool) -> String {
    let Some(v) = v else { return "-".into() };
    let sign = match (signed, v < 0.0) {
        (false, _) => "",
        (true, true) => "-",
        (true, false) => "+",
    };
    let a = v.abs();
    match figure {
        "service_level" | "abandon_rate" | "occupancy" => format!("{sign}{:.2} pt", a * 100.0),
        "staffing_cost" => format!("{sign}{a:.1}"),
        _ => format!("{sign}{}", human_secs(Some(a))),
    }
}

/// How a figure reads in the table.
fn label(row: &Row, threshold: f64) -> String {
    match row.figure.as_str() {
        "service_level" => format!("SL {}", human_secs(Some(threshold))),
        "abandon_rate" => "abandon rate".into(),
        "wait_mean" => "mean wait".into(),
        "wait_p90" => "p90 wait".into(),
        "wait_p95" => "p95 wait".into(),
        "staffing_cost" => "staffing cost".into(),
        other => other.into(),
    }
}

/// The comparison for people.
pub fn table(c: &Comparison) -> String {
    let mut out = String::new();
    let how = if c.paired {
        "paired: the same customers in each replication (common random numbers)".to_string()
    } else {
        format!(
            "unpaired: {}; intervals from each scenario's own spread (Welch)",
            c.unpaired_because
                .as_deref()
                .unwrap_or("the customers differ")
        )
    };
    let _ = writeln!(
        out,
        "compare: {} scenarios, seed {}, {} replications each; {how}",
        c.scenarios.len(),
        c.seed,
        c.replications
    );
    let _ = writeln!(
        out,
        "differences to {} with their 95% half-width; a verdict where the interval excludes zero\n",
        c.scenarios[0]
    );
    let mut header = vec!["figure".to_string()];
    header.extend(c.scenarios.iter().cloned());
    for name in &c.scenarios[1..] {
        header.extend([format!("{name} - first"), "± 95%".into(), "verdict".into()]);
    }
    let mut rows = vec![header];
    let threshold = c.service_level_thresholds.first().copied().unwrap_or(0.0);
    for r in &c.rows {
        let f = r.figure.as_str();
        let mut row = vec![format!("{} {}", r.scope, label(r, threshold))];
        row.extend(r.values.iter().map(|v| value(f, *v)));
        for d in &r.diffs {
            row.extend([
                delta(f, d.diff, true),
                delta(f, d.ci95, false),
                d.verdict.label().to_string(),
            ]);
        }
        rows.push(row);
    }
    out.push_str(&layout(&rows));
    if !c.warnings.is_empty() {
        out.push('\n');
        out.push_str(&super::warning_lines(&c.warnings));
    }
    out
}

/// The comparison as CSV: one row per figure, scope and scenario; the first scenario's rows
/// have no difference.
pub fn csv(c: &Comparison) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "scope",
        "figure",
        "scenario",
        "value",
        "diff",
        "ci95",
        "paired_ci95",
        "unpaired_ci95",
        "verdict",
    ])
    .expect("in memory");
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    for r in &c.rows {
        for (i, name) in c.scenarios.iter().enumerate() {
            let d = i.checked_sub(1).map(|k| &r.diffs[k]);
            let verdict = d.map_or(String::new(), |d| {
                serde_json::to_value(d.verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            });
            w.write_record([
                r.scope.clone(),
                r.figure.clone(),
                name.clone(),
                opt(r.values[i]),
                opt(d.and_then(|d| d.diff)),
                opt(d.and_then(|d| d.ci95)),
                opt(d.and_then(|d| d.paired_ci95)),
                opt(d.and_then(|d| d.unpaired_ci95)),
                verdict,
            ])
            .expect("in memory");
        }
    }
    w.into_inner().expect("in memory")
}
