//! The terminal table: overall and per-team figures, then agents, long lists cut with a note.

use std::fmt::Write;

use super::human_secs;
use crate::experiment::Summary;
use crate::stats::{AgentFigures, Figures};

/// Rows of agents shown before the list is cut.
pub const MAX_AGENT_ROWS: usize = 20;

/// A count with thousands separators. Counts over several replications are means per
/// replication: one that is not whole keeps a decimal, so `0.3` abandoned never reads as `0`
/// beside a non-zero abandon rate.
pub(super) fn count(x: f64) -> String {
    let whole = (x - x.round()).abs() < 0.05;
    let n = if whole { x.round() } else { x.trunc() } as u64;
    let frac = if whole {
        String::new()
    } else {
        format!(".{}", ((x.fract() * 10.0).round() as u64).min(9))
    };
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out + &frac
}

pub(super) fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{:.1}%", v * 100.0))
}

fn ratio(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.2}"))
}

/// Lays out rows as left-aligned first column and right-aligned others.
pub(super) fn layout(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Padded by hand: `format!`'s width is at most 65,535 and panics past it, and a name in a
    // scenario may be longer.
    let pad = |line: &mut String, n: usize| line.extend(std::iter::repeat_n(' ', n));
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let short = width[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                pad(&mut line, short);
            } else {
                pad(&mut line, 2 + short);
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn figure_row(name: &str, f: &Figures) -> Vec<String> {
    let w = &f.wait;
    vec![
        name.to_string(),
        count(f.offered),
        count(f.answered),
        count(f.abandoned),
        pct(f.abandon_rate),
        pct(f.service_level),
        human_secs(w.mean),
        human_secs(w.p50),
        human_secs(w.p90),
        human_secs(w.p95),
        human_secs(w.p99),
        human_secs(w.max),
    ]
}

fn agent_row(a: &AgentFigures, wrap: bool, tickets: bool) -> Vec<String> {
    let mut row = vec![a.name.clone(), count(a.handled), pct(a.occupancy)];
    if wrap {
        row.push(pct(a.wrap_up));
    }
    if tickets {
        row.push(pct(a.tickets));
    }
    row.extend([
        ratio(a.mean_concurrency),
        format!("{:.0}", a.peak_concurrency),
        format!("{:.1}", a.on_shift_hours),
    ]);
    row
}

/// The summary as a table for a terminal.
pub fn table(s: &Summary) -> String {
    let mut out = String::new();
    let reps = if s.replications == 1 {
        "1 replication".to_string()
    } else {
        format!(
            "{} replications (means; ± rows: 95% CI half-width)",
            s.replications
        )
    };
    let warmup = if s.warmup > 0.0 {
        format!(" after {} warm-up", human_secs(Some(s.warmup)))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{}: {} measured{}, seed {}, {}",
        s.scenario,
        human_secs(Some(s.duration)),
        warmup,
        s.seed,
        reps
    );
    if let Some(at) = s.stopped_at {
        let _ = writeln!(
            out,
            "INCOMPLETE: the run was stopped after {} of {} measured; the figures cover the time simulated so far",
            human_secs(Some(at)),
            human_secs(Some(s.duration))
        );
    }
    out.push('\n');

    let sl = format!("SL {}", human_secs(Some(s.service_level_threshold)));
    let mut rows = vec![
        [
            "",
            "offered",
            "answered",
            "abandoned",
            "aband%",
            &sl,
            "mean wait",
            "p50",
            "p90",
            "p95",
            "p99",
            "max",
        ]
        .map(String::from)
        .to_vec(),
    ];
    rows.push(figure_row("overall", &s.figures.overall));
    if let Some(ci) = &s.ci95 {
        rows.push(figure_row("  ±", &ci.overall));
    }
    for (i, t) in s.figures.teams.iter().enumerate() {
        rows.push(figure_row(&t.name, &t.figures));
        if let Some(ci) = &s.ci95 {
            rows.push(figure_row("  ±", &ci.teams[i].figures));
        }
    }
    out.push_str(&layout(&rows));
    let o = &s.figures.overall;
    if o.waiting_at_end + o.in_service_at_end + o.blocked > 0.0 {
        let _ = writeln!(
            out,
            "at the end: {} waiting{}, {} in service (counted as answered){}",
            count(o.waiting_at_end),
            if o.with_bot_at_end > 0.0 {
                format!(" ({} still with a bot)", count(o.with_bot_at_end))
            } else {
                String::new()
            },
            count(o.in_service_at_end),
            if o.blocked > 0.0 {
                format!("; {} blocked", count(o.blocked))
            } else {
                String::new()
            }
        );
    }
    if o.deflected + o.after_hours + o.bot_resolved > 0.0 {
        let by: Vec<String> = s
            .figures
            .channels
            .iter()
            .map(|c| format!("{} {}", c.channel, count(c.deflected)))
            .collect();
        let by = if by.is_empty() {
            String::new()
        } else {
            format!(" ({})", by.join(", "))
        };
        let _ = writeln!(
            out,
            "not queued: {} deflected{by}, {} after hours, {} resolved by a bot",
            count(o.deflected),
            count(o.after_hours),
            count(o.bot_resolved)
        );
    }
    out.push('\n');
    out.push_str(&rules_table(s));
    out.push_str(&extras(s));

    // The wrap-up and ticket columns (parts of occupancy) only where some agent did such work.
    let some = |part: fn(&AgentFigures) -> Option<f64>| {
        s.figures
            .agents
            .iter()
            .any(|a| part(a).unwrap_or(0.0) > 0.0)
    };
    let (wrap, tickets) = (some(|a| a.wrap_up), some(|a| a.tickets));
    let mut header = vec!["agent", "handled", "occupancy"];
    if wrap {
        header.push("wrap-up");
    }
    if tickets {
        header.push("tickets");
    }
    header.extend(["mean conc", "peak conc", "shift h"]);
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    rows.extend(
        s.figures
            .agents
            .iter()
            .take(MAX_AGENT_ROWS)
            .map(|a| agent_row(a, wrap, tickets)),
    );
    out.push_str(&layout(&rows));
    if s.figures.agents.len() > MAX_AGENT_ROWS {
        let _ = writeln!(
            out,
            "({} more agents not shown; --format json or --out DIR lists them all)",
            s.figures.agents.len() - MAX_AGENT_ROWS
        );
    }
    if !s.warnings.is_empty() {
        out.push('\n');
        out.push_str(&super::warning_lines(&s.warnings));
    }
    out
}

/// The interval view: one line per interval of the clock (`--interval`), with the confidence
/// half-width of its service level when there are several replications.
pub fn intervals(s: &Summary) -> String {
    let Some(list) = &s.intervals else {
        return String::new();
    };
    let sl = format!("SL {}", human_secs(Some(s.service_level_threshold)));
    let tickets = list.iter().any(|i| i.tickets_backlog.is_some());
    let mut header = [
        "interval",
        "offered",
        "answered",
        "abandoned",
        &sl,
        "± SL",
        "mean wait",
        "p90",
        "agents",
        "occupancy",
    ]
    .map(String::from)
    .to_vec();
    if tickets {
        header.push("tickets".into());
    }
    let mut rows = vec![header];
    for (k, i) in list.iter().enumerate() {
        let ci = s.intervals_ci95.as_ref().and_then(|c| c.get(k));
        rows.push(vec![
            i.start.clone(),
            count(i.offered),
            count(i.answered),
            count(i.abandoned),
            pct(i.service_level),
            ci.map_or("-".into(), |c| pct(c.service_level)),
            human_secs(i.wait_mean),
            human_secs(i.wait_p90),
            format!("{:.1}", i.agents_on_shift),
            pct(i.occupancy),
        ]);
        if let (true, Some(row)) = (tickets, rows.last_mut()) {
            row.push(i.tickets_backlog.map_or("-".into(), |b| format!("{b:.1}")));
        }
    }
    layout(&rows)
}

/// Rules with what they matched and how those chats fared; rules that matched nothing are
/// listed too, since a rule that never fires is worth seeing.
fn rules_table(s: &Summary) -> String {
    let rules = &s.figures.rules;
    if rules.len() <= 1 {
        return String::new();
    }
    let sl = format!("SL {}", human_secs(Some(s.service_level_threshold)));
    let mut rows = vec![
        [
            "rule",
            "matched",
            "answered",
            "abandoned",
            "deflected",
            "after hrs",
            &sl,
            "mean wait",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in rules
        .iter()
        .filter(|r| r.name != "(no rule)" || r.matched > 0.0)
    {
        let f = &r.figures;
        rows.push(vec![
            r.name.clone(),
            count(r.matched),
            count(f.answered),
            count(f.abandoned),
            count(f.deflected),
            count(f.after_hours),
            pct(f.service_level),
            human_secs(f.wait.mean),
        ]);
    }
    let mut out = layout(&rows);
    out.push('\n');
    out
}

/// Messages, tickets, red flags and fairness, one line each where there is something to say.
fn extras(s: &Summary) -> String {
    let mut out = String::new();
    let m = &s.figures.messages;
    let kinds = [
        ("first_chat", m.first_chat),
        ("assigned", m.assigned),
        ("after_hours", m.after_hours),
        ("missed", m.missed),
        ("resolved_check", m.resolved_check),
        ("rating", m.rating),
        ("redirect", m.redirect),
    ];
    let sent: Vec<String> = kinds
        .iter()
        .filter(|k| k.1 > 0.0)
        .map(|(k, n)| format!("{k} {}", count(*n)))
        .collect();
    if !sent.is_empty() {
        let _ = writeln!(out, "messages: {}", sent.join(", "));
    }
    let t = &s.figures.tickets;
    if t.after_hours + t.missed > 0.0 {
        let _ = write!(
            out,
            "tickets: after_hours {}, missed {}",
            count(t.after_hours),
            count(t.missed)
        );
        if let Some(w) = &t.work {
            let _ = write!(
                out,
                "; {} started by {} (first response p50 {}, p90 {}), backlog mean {} peak {}, {} waiting at the end",
                count(w.started),
                w.team,
                human_secs(w.first_response.p50),
                human_secs(w.first_response.p90),
                w.backlog_mean.map_or("-".into(), |b| format!("{b:.1}")),
                count(w.backlog_peak),
                count(w.backlog_at_end)
            );
        }
        out.push('\n');
    }
    let c = &s.figures.customers;
    if c.retries > 0.0 {
        let _ = writeln!(
            out,
            "customers: {} first contacts, {} retries; {} gave up for good ({} of customers)",
            count(c.first_contacts),
            count(c.retries),
            count(c.gave_up),
            pct(c.abandon_rate)
        );
    }
    let b = &s.figures.bot;
    if b.chats > 0.0 {
        let _ = writeln!(
            out,
            "bots: {} chats, {} resolved, {} abandoned at the bot, mean {} with a bot (not counted as queue wait)",
            count(b.chats),
            count(b.resolved),
            count(s.figures.overall.abandoned_at_bot),
            human_secs(b.mean_time)
        );
    }
    let e = &s.figures.escalation;
    if e.escalated > 0.0 {
        let _ = writeln!(
            out,
            "escalations: {} chats ({} transfers); second wait mean {}, p95 {}; time to resolution p50 {}, p95 {}",
            count(e.escalated),
            count(e.transfers),
            human_secs(e.second_wait.mean),
            human_secs(e.second_wait.p95),
            human_secs(e.time_to_resolution.p50),
            human_secs(e.time_to_resolution.p95)
        );
    }
    let r = &s.figures.red_flags;
    if let Some(after) = r.after {
        let _ = writeln!(
            out,
            "red flags (unanswered > {}): {} chats, at most {} at once",
            human_secs(Some(after)),
            count(r.flagged),
            count(r.peak)
        );
    }
    if let Some(j) = s.figures.fairness.jain_occupancy {
        let _ = writeln!(
            out,
            "fairness (Jain's index over agents' occupancy, 1 = even): {j:.3}"
        );
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `layout` printed when it padded with `format!`'s width (fine below 65,536 chars).
    fn by_format(rows: &[Vec<String>]) -> String {
        let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
        let width: Vec<usize> = (0..cols)
            .map(|c| {
                let cells = rows.iter().filter_map(|r| r.get(c));
                cells.map(|s| s.chars().count()).max().unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for r in rows {
            let mut line = String::new();
            for (c, cell) in r.iter().enumerate() {
                if c == 0 {
                    let _ = write!(line, "{cell:<w$}", w = width[0]);
                } else {
                    let _ = write!(line, "  {cell:>w$}", w = width[c]);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
        let row = |r: &&[&str]| r.iter().map(|c| c.to_string()).collect();
        cells.iter().map(row).collect()
    }

    #[test]
    fn columns_line_up_as_they_did() {
        let t = rows(&[
            &["team", "offered", "wait"],
            &["support", "1,204", "1m30s"],
            &["Ünïcode ✓", "7", "-"],
            &["short"],
            &[],
            &["", "", "2s"],
        ]);
        assert_eq!(layout(&t), by_format(&t));
        assert_eq!(layout(&[]), "");
    }

    #[test]
    fn a_name_past_the_widest_format_width_is_laid_out() {
        // `format!` panics on a width above 65,535 ("Formatting argument out of range").
        let long = "x".repeat(70_000);
        let t = rows(&[&["rule", "chats"], &[&long, "12"]]);
        let out = layout(&t);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0].chars().count(), 70_000 + 2 + "chats".len());
        assert!(lines[0].starts_with("rule ") && lines[0].ends_with("  chats"));
        assert_eq!(lines[1], format!("{long}     12"));
    }
}
