//! Exporters: turn a [`Summary`](crate::experiment::Summary) (or a comparison, a staffing, a
//! sweep) into bytes (a terminal table, JSON, CSV, an HTML page with charts).
//!
//! Exporters are pure: they return bytes and never touch files or the terminal; the CLI decides
//! where the bytes go. [`csv::ChatWriter`] is the one streaming exporter: a recorder that writes
//! each chat's row as the simulation produces it.

pub mod bench;
pub mod compare;
pub mod csv;
pub mod describe;
pub mod explain;
pub mod gate;
pub mod html;
pub mod staff;
pub mod sweep;
pub mod table;

/// A summary (or a comparison, a staffing) as pretty-printed JSON, ending with a newline.
/// Times are in seconds.
pub fn json<T: serde::Serialize>(summary: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(summary).expect("results serialize");
    out.push(b'\n');
    out
}

/// Warnings as lines for people: `warning: ...`, the first
/// [`MAX_DIAGNOSTICS`](crate::scenario::limits::MAX_DIAGNOSTICS), then how many more (the JSON
/// keeps them all).
pub fn warning_lines(warnings: &[String]) -> String {
    let limit = crate::scenario::limits::MAX_DIAGNOSTICS;
    let mut out = String::new();
    for w in warnings.iter().take(limit) {
        out.push_str("warning: ");
        out.push_str(w);
        out.push('\n');
    }
    if warnings.len() > limit {
        out.push_str(&format!(
            "warning: ... and {} more warnings, not shown (--format json lists them all)\n",
            warnings.len() - limit
        ));
    }
    out
}

/// A duration in seconds for people: `4.2s`, `42s`, `1m30s`, `2h05m`; `-` for none.
pub fn human_secs(secs: Option<f64>) -> String {
    let Some(s) = secs else { return "-".into() };
    if s < 9.95 {
        format!("{s:.1}s")
    } else if s < 59.5 {
        format!("{s:.0}s")
    } else if s < 3_599.5 {
        let t = s.round() as u64;
        format!("{}m{:02}s", t / 60, t % 60)
    } else {
        let t = (s / 60.0).round() as u64;
        format!("{}h{:02}m", t / 60, t % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::human_secs;

    #[test]
    fn durations_are_humanised() {
        let cases = [
            (None, "-"),
            (Some(0.0), "0.0s"),
            (Some(4.24), "4.2s"),
            (Some(42.4), "42s"),
            (Some(90.0), "1m30s"),
            (Some(3_599.9), "1h00m"),
            (Some(7_500.0), "2h05m"),
        ];
        for (s, want) in cases {
            assert_eq!(human_secs(s), want, "{s:?}");
        }
    }
}
