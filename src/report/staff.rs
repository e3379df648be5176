//! The staffing answer for people: each group's estimate and answer, the targets there, and the
//! targets with one agent fewer in each group.

use std::fmt::Write;

use super::human_secs;
use super::table::layout;
use crate::staff::{Requirement, Staffing, TargetValue};
use crate::target::Target;

/// A target's figure as it reads: shares in percent, times as durations. Which of the two is
/// the target's own (its text read back), not a guess from the words in it: a team may be
/// called "abandoned-carts", and its `wait.p90` is still a time.
fn shown(t: &TargetValue, v: Option<f64>) -> String {
    let Some(v) = v else { return "-".into() };
    let share = t
        .target
        .parse::<Target>()
        .is_ok_and(|t| t.metric.is_share());
    if share {
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

/// The requirement per interval for people: load, Erlang C start and agents needed per group,
/// then the whole run with that curve as roster.
pub fn requirement_table(r: &Requirement) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "staff per interval: {}, {} intervals of {}, each run stationary ({} replications, seed {}); {} staffings simulated\n",
        r.scenario,
        r.intervals.len(),
        human_secs(Some(r.interval)),
        r.replications,
        r.seed,
        r.runs
    );
    let mut header = vec!["interval".to_string(), "load".into()];
    for g in &r.groups {
        header.extend([format!("{g} Erlang C start"), g.clone()]);
    }
    let mut rows = vec![header];
    for i in &r.intervals {
        let mut row = vec![i.start.clone(), format!("{:.2}", i.load)];
        for (e, a) in i.estimate.iter().zip(&i.agents) {
            row.extend([e.to_string(), a.to_string()]);
        }
        rows.push(row);
    }
    out.push_str(&layout(&rows));
    let hours: Vec<String> = r
        .groups
        .iter()
        .zip(&r.agent_hours)
        .map(|(g, h)| format!("{g} {h:.1}"))
        .collect();
    let _ = writeln!(out, "\nagent-hours of the curve: {}", hours.join(", "));
    out.push_str("the whole run with the curve as the groups' roster:\n");
    let mut rows = vec![vec![
        "".to_string(),
        "target".into(),
        "value".into(),
        "95% CI".into(),
        "".into(),
    ]];
    target_rows(&r.check, &mut rows, "whole run");
    out.push_str(&layout(&rows));
    if !r.warnings.is_empty() {
        out.push('\n');
        out.push_str(&super::warning_lines(&r.warnings));
    }
    out
}

/// The requirement per interval as CSV: `start,load`, then per group its Erlang C start
/// (`GROUP_erlang_c`) and the agents needed (`GROUP`).
pub fn requirement_csv(r: &Requirement) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["start".to_string(), "load".into()];
    for g in &r.groups {
        header.extend([format!("{g}_erlang_c"), g.clone()]);
    }
    w.write_record(&header).expect("in memory");
    for i in &r.intervals {
        let mut row = vec![i.start.clone(), i.load.to_string()];
        for (e, a) in i.estimate.iter().zip(&i.agents) {
            row.extend([e.to_string(), a.to_string()]);
        }
        w.write_record(&row).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(target: &str, v: f64) -> TargetValue {
        TargetValue {
            target: target.into(),
            value: Some(v),
            ci95: Some(v / 10.0),
            holds: true,
            close: false,
        }
    }

    #[test]
    fn a_figure_reads_as_its_targets_kind_whatever_the_team_is_called() {
        let cases = [
            ("abandoned-carts.wait.p90 <= 1m", 28.574, "29s"),
            ("sl-team.wait.mean <= 30s", 90.0, "1m30s"),
            ("abandoned-carts.sl(20s) >= 80%", 0.8574, "85.7%"),
            ("support.abandon <= 5%", 0.031, "3.1%"),
            ("wait.p95 <= 2m", 4.24, "4.2s"),
        ];
        for (target, v, want) in cases {
            assert_eq!(shown(&value(target, v), Some(v)), want, "{target}");
        }
        assert_eq!(shown(&value("abandon <= 5%", 0.1), None), "-");
    }
}
