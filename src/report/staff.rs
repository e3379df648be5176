//! The staffing answer for people: each group's estimate and answer, the targets there, and the
//! targets with one agent fewer in each group.

use std::fmt::Write;

use super::human_secs;
use super::table::layout;
use crate::staff::{Staffing, TargetValue};

/// A target's figure as it reads: shares in percent, times as durations.
fn shown(t: &TargetValue, v: Option<f64>) -> String {
    let Some(v) = v else { return "-".into() };
    if t.target.contains("sl(") || t.target.contains("abandon") {
        format!("{:.1}%", v * 100.0)
    } else {
        human_secs(Some(v))
    }
}

fn target_rows(targets: &[TargetValue], rows: &mut Vec<Vec<String>>, lead: &str) {
    for t in targets {
        let verdict = match (t.holds, t.close) {
            (true, false) => "holds",
            (true, true) => "holds (the limit is inside the interval)",
            (false, false) => "fails",
            (false, true) => "fails (the limit is inside the interval)",
        };
        rows.push(vec![
            lead.to_string(),
            t.target.clone(),
            shown(t, t.value),
            format!("± {}", shown(t, t.ci95)),
            verdict.into(),
        ]);
    }
}

/// The answer of `routesim staff` as text.
pub fn table(s: &Staffing) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "staff: {}, seed {}, {} replications per staffing on the same customers; {} staffings simulated\n",
        s.scenario, s.seed, s.replications, s.runs
    );
    let mut rows = vec![vec![
        "group".to_string(),
        "Erlang C start".into(),
        "answer".into(),
    ]];
    for g in &s.groups {
        rows.push(vec![
            g.name.clone(),
            g.estimate.to_string(),
            g.count.to_string(),
        ]);
    }
    out.push_str(&layout(&rows));
    let _ = writeln!(
        out,
        "staffing cost at the answer: {:.1} per replication\n",
        s.staffing_cost
    );
    let mut rows = vec![vec![
        "staffing".to_string(),
        "target".into(),
        "value".into(),
        "95% CI".into(),
        "".into(),
    ]];
    target_rows(&s.targets, &mut rows, "answer");
    for f in &s.one_fewer {
        target_rows(&f.targets, &mut rows, &format!("{} = {}", f.group, f.count));
    }
    out.push_str(&layout(&rows));
    if s.targets
        .iter()
        .chain(s.one_fewer.iter().flat_map(|f| &f.targets))
        .any(|t| t.close)
    {
        out.push_str(
            "\nA limit inside a 95% interval means the verdict there is not sure: run with more --replications.\n",
        );
    }
    if !s.warnings.is_empty() {
        out.push('\n');
        out.push_str(&super::warning_lines(&s.warnings));
    }
    out
}
