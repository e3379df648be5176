//! The documented range of every numeric input, in one place.
//!
//! Each bound keeps a run inside the memory and time a planner's machine has: a value beyond
//! it is refused at load time with the key named, what is too large and the limit (README,
//! "Limits"). The bounds are far above what a real desk needs.

/// Most chats per second of one traffic stream (3.6 million an hour).
pub const MAX_RATE_PER_SEC: f64 = 1_000.0;
/// Largest rate multiplier in a profile.
pub const MAX_MULTIPLIER: f64 = 1_000.0;
/// Most agents in a scenario, after `count` is expanded.
pub const MAX_AGENTS: u64 = 100_000;
/// Largest `max_chats` of an agent (the slowdown rescales every held chat on a change).
pub const MAX_MAX_CHATS: u32 = 1_000;
/// Most replications.
pub const MAX_REPLICATIONS: u32 = 10_000;
/// Most steps in one route.
pub const MAX_STEPS: usize = 100;
/// Most rules.
pub const MAX_RULES: usize = 10_000;
/// Most `[[traffic]]` streams: the checks of `validate` grow faster than their count (10,000
/// streams took 2.4 s and 119 MB, 80,000 a minute and 914 MB), so the count is bounded.
pub const MAX_TRAFFIC: usize = 1_000;
/// Largest hourly `cost` of an agent.
pub const MAX_COST: f64 = 1_000_000.0;
/// Range of an agent's `speed` (handle times are divided by it).
pub const SPEED: std::ops::RangeInclusive<f64> = 0.1..=10.0;
/// Shortest measured duration, seconds.
pub const MIN_DURATION_SECS: f64 = 1.0;
/// Longest warm-up plus duration, seconds (10 years): every time stays well inside 64-bit
/// ticks, and no desk is planned further ahead.
pub const MAX_HORIZON_SECS: f64 = 10.0 * 365.25 * 86_400.0;
/// Most chats a run may be expected to simulate over all replications: about five minutes of
/// one core.
pub const MAX_EXPECTED_CHATS: f64 = 1e9;
/// Most replications × (agents + teams + rules): each replication's figures are kept for the
/// confidence intervals.
pub const MAX_FIGURES: u64 = 10_000_000;
/// Most attempts of one customer with `retry` (the first contact and nine returns): bounds the
/// work a customer can make, even with `share = 1` and no patience.
pub const MAX_ATTEMPTS: u32 = crate::model::MAX_ATTEMPTS;
/// Largest `max_waiting`.
pub const MAX_WAITING: u64 = 1_000_000;
/// Largest data file (an empirical distribution's CSV, a roster, a forecast, a stored report), bytes.
pub const MAX_DATA_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest scenario file, in bytes. The TOML parser holds the whole document as a tree of
/// spanned values, some 45 to 70 times the text (a 33 MB file of 10,000 rules of 100 steps
/// peaked at 2.3 GB): 16 MB bounds that near 1 GB, and holds twice the largest desk there is
/// written out agent by agent (100,000 `[[agents]]` entries: 7.7 MB).
pub const MAX_SCENARIO_BYTES: u64 = 16 * 1024 * 1024;
/// Most rows of one replayed stream's log (`replay`): the log streams, so its size in bytes is
/// not bounded, but reading it once to check it and once per replication takes time.
pub const MAX_REPLAY_ROWS: u64 = 50_000_000;
/// Most distinct attributes and values one replayed log may hold (each is kept, with its text).
pub const MAX_REPLAY_VALUES: usize = 10_000;
/// Most problems listed for one file; the rest are counted.
pub const MAX_DIAGNOSTICS: usize = 50;

/// A number as a person reads it: plain when it is of a usual size, `1.0e300` when not (never
/// three hundred digits).
pub fn num(x: f64) -> String {
    if x == 0.0 || (1e-4..1e7).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:.1e}")
    }
}

/// A threshold's limit as a scenario writes it: `60s`, `80%` or a plain number.
pub fn limit_text(limit: crate::model::Limit) -> String {
    use crate::model::Limit;
    match limit {
        Limit::Secs(v) => format!("{}s", num(v)),
        Limit::Percent(p) => format!("{}%", num(p * 100.0)),
        Limit::Number(v) => num(v),
    }
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_stay_short() {
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(1e308), "1.0e308");
        assert_eq!(num(-3e-9), "-3.0e-9");
        assert_eq!(num(0.0), "0");
    }
}
