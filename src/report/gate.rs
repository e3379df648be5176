//! What a gated run prints: the thresholds and the baseline comparison as a table, the whole
//! report as Markdown for a pull request comment, JUnit XML for CI systems that render it, and
//! the JSON report with its `gates`.

use std::fmt::Write;

use serde::Serialize;

use super::human_secs;
use super::table::layout;
use crate::experiment::Summary;
use crate::gate::{BaselineRow, Check, Gates, Unit};

/// A value for people, in its figure's unit: `1m30s`, `80.0%`, `12.5`; `-` for none.
pub fn show(unit: Unit, v: Option<f64>) -> String {
    let Some(v) = v else { return "-".into() };
    match unit {
        Unit::Seconds => human_secs(Some(v)),
        Unit::Share => format!("{:.1}%", 100.0 * v),
        Unit::Number if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Unit::Number => format!("{v:.2}"),
    }
}

/// A change for people, signed: `+12s`, `-1.5 pt` (percentage points), `+3.00`.
fn change(unit: Unit, d: Option<f64>) -> String {
    let Some(d) = d else { return "-".into() };
    let sign = if d < 0.0 { "-" } else { "+" };
    match unit {
        Unit::Seconds => format!("{sign}{}", human_secs(Some(d.abs()))),
        Unit::Share => format!("{sign}{:.1} pt", 100.0 * d.abs()),
        Unit::Number => format!("{d:+.2}"),
    }
}

/// An amount of change for people (a tolerance, the noise): shares in percentage points.
fn amount(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Share => format!("{:.1} pt", 100.0 * v),
        _ => show(unit, Some(v)),
    }
}

fn summary_line(g: &Gates) -> String {
    let failed = g.thresholds.iter().filter(|c| !c.passed).count();
    let regressed = g
        .baseline
        .as_ref()
        .map_or(0, |b| b.rows.iter().filter(|r| !r.passed).count());
    let mut parts = Vec::new();
    if !g.thresholds.is_empty() {
        parts.push(format!(
            "{} of {} thresholds breached",
            failed,
            g.thresholds.len()
        ));
    }
    if let Some(b) = &g.baseline {
        parts.push(format!(
            "{} of {} figures regressed against {}",
            regressed,
            b.rows.len(),
            b.file
        ));
    }
    format!(
        "gate {}: {}",
        if g.passed { "passed" } else { "FAILED" },
        parts.join("; ")
    )
}

fn threshold_rows(g: &Gates) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "threshold".to_string(),
        "value".into(),
        "± CI".into(),
        "verdict".into(),
    ]];
    for c in &g.thresholds {
        rows.push(vec![
            c.threshold.clone(),
            show(c.unit, c.value),
            show(c.unit, c.ci95),
            c.verdict.clone(),
        ]);
    }
    rows
}

fn baseline_rows(rows: &[BaselineRow]) -> Vec<Vec<String>> {
    let mut out = vec![vec![
        "figure".to_string(),
        "baseline".into(),
        "±".into(),
        "now".into(),
        "±".into(),
        "change".into(),
        "tolerance".into(),
        "verdict".into(),
    ]];
    for r in rows {
        out.push(vec![
            r.metric.clone(),
            show(r.unit, r.baseline),
            show(r.unit, r.baseline_ci95),
            show(r.unit, r.now),
            show(r.unit, r.now_ci95),
            change(r.unit, r.change),
            amount(r.unit, r.tolerance),
            r.verdict.clone(),
        ]);
    }
    out
}

/// The gate as a table, to follow the run's table.
pub fn table(g: &Gates) -> String {
    let mut out = summary_line(g);
    out.push_str(match g.rule {
        crate::gate::BreachRule::Estimate => " (a threshold breaks when its estimate is past the limit; ± CI is the 95% half-width)\n",
        crate::gate::BreachRule::Ci => " (a threshold breaks only when its whole 95% interval is past the limit)\n",
    });
    if !g.thresholds.is_empty() {
        out.push('\n');
        out.push_str(&layout(&threshold_rows(g)));
    }
    if let Some(b) = &g.baseline {
        let _ = writeln!(
            out,
            "\nagainst baseline {} (a regression is worse than both the tolerance and the noise, the change's 95% half-width)",
            b.file
        );
        out.push_str(&layout(&baseline_rows(&b.rows)));
    }
    for w in &g.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// One line per failed check, for stderr: `breached: overall.wait.p95 <= 60s: 1m12s ± 8s`.
pub fn failures(g: &Gates) -> Vec<String> {
    let mut out: Vec<String> = g
        .thresholds
        .iter()
        .filter(|c| !c.passed)
        .map(|c| {
            format!(
                "{}: {} (from {}) is {}{}",
                c.verdict,
                c.threshold,
                c.from,
                show(c.unit, c.value),
                c.ci95
                    .map_or(String::new(), |h| format!(" ± {}", show(c.unit, Some(h))))
            )
        })
        .collect();
    if let Some(b) = &g.baseline {
        out.extend(b.rows.iter().filter(|r| !r.passed).map(|r| {
            format!(
                "{}: {} went from {} to {} ({}; tolerance {}, noise {})",
                r.verdict,
                r.metric,
                show(r.unit, r.baseline),
                show(r.unit, r.now),
                change(r.unit, r.change),
                amount(r.unit, r.tolerance),
                amount(r.unit, r.noise),
            )
        }));
    }
    out
}

/// Markdown cells hold no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn md_table(out: &mut String, rows: &[Vec<String>], code_first: bool) {
    let Some((head, body)) = rows.split_first() else {
        return;
    };
    let _ = writeln!(
        out,
        "| {} |",
        head.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
    );
    let align: Vec<&str> = (0..head.len())
        .map(|i| {
            // Names and verdicts read from the left, figures from the right.
            if i == 0 || (code_first && i + 1 == head.len()) {
                "---"
            } else {
                "---:"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    for r in body {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 && code_first {
                    format!("`{}`", cell(&c.replace('`', "'")))
                } else {
                    cell(c)
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// A compact summary for a pull request comment or a CI job summary: the key figures of the
/// desk and each team, and the gate when there is one.
pub fn markdown(s: &Summary, gates: Option<&Gates>) -> String {
    let mut out = String::new();
    let status = match gates {
        Some(g) if g.passed => " — gate passed",
        Some(_) => " — gate FAILED",
        None => "",
    };
    let _ = writeln!(out, "### routesim: {}{status}\n", cell(&s.scenario));
    let _ = writeln!(
        out,
        "{} measured after {} warm-up, seed {}, {} replication{}{}.\n",
        human_secs(Some(s.duration)),
        human_secs(Some(s.warmup)),
        s.seed,
        s.replications,
        if s.replications == 1 { "" } else { "s" },
        if s.ci95.is_some() {
            "; ± is the 95% confidence half-width"
        } else {
            ""
        }
    );
    if let Some(at) = s.stopped_at {
        let _ = writeln!(
            out,
            "**INCOMPLETE**: the run was stopped after {} measured.\n",
            human_secs(Some(at))
        );
    }
    let sl = format!("SL {}", human_secs(Some(s.service_level_threshold)));
    let mut rows = vec![vec![
        "".to_string(),
        "offered".into(),
        "abandoned".into(),
        sl,
        "mean wait".into(),
        "p90".into(),
        "p95".into(),
    ]];
    let ci = s.ci95.as_ref();
    let with = |v: String, h: Option<String>| match h {
        Some(h) => format!("{v} ± {h}"),
        None => v,
    };
    let mut row = |name: &str, f: &crate::stats::Figures, c: Option<&crate::stats::Figures>| {
        let secs = |v: Option<f64>| show(Unit::Seconds, v);
        let share = |v: Option<f64>| show(Unit::Share, v);
        rows.push(vec![
            name.to_string(),
            format!("{:.1}", f.offered),
            with(share(f.abandon_rate), c.map(|c| share(c.abandon_rate))),
            with(share(f.service_level), c.map(|c| share(c.service_level))),
            with(secs(f.wait.mean), c.map(|c| secs(c.wait.mean))),
            with(secs(f.wait.p90), c.map(|c| secs(c.wait.p90))),
            with(secs(f.wait.p95), c.map(|c| secs(c.wait.p95))),
        ]);
    };
    row("overall", &s.figures.overall, ci.map(|c| &c.overall));
    for (i, t) in s.figures.teams.iter().enumerate() {
        row(
            &t.name,
            &t.figures,
            ci.and_then(|c| c.teams.get(i)).map(|c| &c.figures),
        );
    }
    md_table(&mut out, &rows, false);
    if let Some(g) = gates {
        if !g.thresholds.is_empty() {
            let _ = writeln!(out, "\n#### Thresholds\n");
            let mut rows = threshold_rows(g);
            for (r, c) in rows.iter_mut().skip(1).zip(&g.thresholds) {
                let mark = if c.passed { "✅" } else { "❌" };
                r[3] = format!("{mark} {}", r[3]);
            }
            md_table(&mut out, &rows, true);
        }
        if let Some(b) = &g.baseline {
            let _ = writeln!(
                out,
                "\n#### Against the baseline `{}`\n",
                b.file.replace('`', "'")
            );
            let mut rows = baseline_rows(&b.rows);
            for (r, row) in rows.iter_mut().skip(1).zip(&b.rows) {
                let mark = if row.passed { "✅" } else { "❌" };
                let last = r.len() - 1;
                r[last] = format!("{mark} {}", r[last]);
            }
            md_table(&mut out, &rows, true);
        }
        for w in &g.warnings {
            let _ = writeln!(out, "\n> warning: {}", cell(w));
        }
    }
    for w in &s.warnings {
        let _ = writeln!(out, "\n> warning: {}", cell(w));
    }
    out
}

fn case_of_check(c: &Check) -> quick_junit::TestCase {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};
    let status = if c.passed {
        TestCaseStatus::success()
    } else {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(format!(
            "{}: {} is {}{}",
            c.verdict,
            c.metric,
            show(c.unit, c.value),
            c.ci95
                .map_or(String::new(), |h| format!(" ± {}", show(c.unit, Some(h))))
        ));
        s.set_type(
            c.verdict
                .split(',')
                .next()
                .unwrap_or("breached")
                .to_string(),
        );
        s
    };
    let mut case = TestCase::new(c.threshold.clone(), status);
    case.set_classname(format!("routesim.thresholds.{}", c.from));
    case.set_system_out(format!(
        "value {} ± {}, limit {} {}: {}",
        show(c.unit, c.value),
        show(c.unit, c.ci95),
        c.op,
        show(c.unit, Some(c.limit)),
        c.verdict
    ));
    case
}

fn case_of_row(r: &BaselineRow) -> quick_junit::TestCase {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};
    let text = format!(
        "{} -> {} ({}; tolerance {}, noise {}): {}",
        show(r.unit, r.baseline),
        show(r.unit, r.now),
        change(r.unit, r.change),
        amount(r.unit, r.tolerance),
        amount(r.unit, r.noise),
        r.verdict
    );
    let status = if r.passed {
        TestCaseStatus::success()
    } else {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(format!("{}: {text}", r.metric));
        s.set_type(r.verdict.clone());
        s
    };
    let mut case = TestCase::new(format!("{} against baseline", r.metric), status);
    case.set_classname("routesim.baseline");
    case.set_system_out(text);
    case
}

/// The gate as JUnit XML (the Jenkins schema most CI systems read): one test suite, one test
/// case per threshold and per figure compared with the baseline, a failure for each that did
/// not pass. No timestamps, so the same run writes the same bytes.
pub fn junit(s: &Summary, g: &Gates) -> Vec<u8> {
    use quick_junit::{Report, TestSuite};
    let mut suite = TestSuite::new(format!("routesim gate: {}", s.scenario));
    suite.add_property(("scenario_hash", s.scenario_hash.as_str()));
    suite.add_property(("routesim_version", s.routesim_version.as_str()));
    suite.add_property(("seed", s.seed.to_string().as_str()));
    suite.add_property(("replications", s.replications.to_string().as_str()));
    suite.add_property((
        "breach_rule",
        format!("{:?}", g.rule).to_lowercase().as_str(),
    ));
    suite.add_test_cases(g.thresholds.iter().map(case_of_check));
    if let Some(b) = &g.baseline {
        suite.add_test_cases(b.rows.iter().map(case_of_row));
    }
    let mut report = Report::new("routesim");
    report.add_test_suite(suite);
    let mut out = Vec::new();
    report
        .serialize(&mut out)
        .expect("writing XML into memory cannot fail");
    xml_chars_only(out)
}

/// The document with every character XML 1.0 does not allow (U+FFFE, U+FFFF and the control
/// characters but tab and line ends) made U+FFFD. A scenario may name a team with U+FFFE,
/// which TOML allows; the report had then not been well-formed XML (found by a fuzzing
/// helper). No markup uses these characters, so a pass over the whole document is safe.
fn xml_chars_only(xml: Vec<u8>) -> Vec<u8> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{FFFD}' | '\u{10000}'..);
    match String::from_utf8(xml) {
        Ok(s) if s.chars().all(allowed) => s.into_bytes(),
        Ok(s) => s
            .chars()
            .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
            .collect::<String>()
            .into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// The run's JSON report with its `gates` (only when there are any), as `--format json` prints
/// it and `summary.json` holds it.
pub fn json(s: &Summary, gates: Option<&Gates>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 * 1024);
    json_to(&mut out, s, gates).expect("results serialize");
    out
}

/// [`json`] written into `w` as it is made (see [`super::json_to`]).
pub fn json_to<W: std::io::Write>(w: W, s: &Summary, gates: Option<&Gates>) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct WithGates<'a> {
        #[serde(flatten)]
        summary: &'a Summary,
        #[serde(skip_serializing_if = "Option::is_none")]
        gates: Option<&'a Gates>,
    }
    match gates {
        None => super::json_to(w, s),
        Some(g) => super::json_to(
            w,
            &WithGates {
                summary: s,
                gates: Some(g),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_holds_only_characters_xml_allows() {
        let out = xml_chars_only(
            "<a n=\"b\u{FFFE}c\u{1}\t\">\u{FFFF}\u{10000}</a>"
                .as_bytes()
                .to_vec(),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<a n=\"b\u{FFFD}c\u{FFFD}\t\">\u{FFFD}\u{10000}</a>"
        );
    }
}
