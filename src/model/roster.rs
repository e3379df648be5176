//! An agent's week: shifts per weekday, breaks inside them, and days off.

use super::time::WEEK;

/// When an agent works, as windows of the week (ticks since Monday 00:00).
///
/// Built from the shifts as rostered and the breaks taken inside them. The one answer to "is this
/// agent rostered to work now" is [`Roster::covers`]; the engine, the lints and `explain` ask it
/// through [`crate::model::Agent::on_shift_at`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    /// Shifts as rostered, before breaks: `(start, length)`, `start` in `0..WEEK`; a shift may run
    /// past the end of the week into Monday.
    shifts: Vec<(u64, u64)>,
    /// Working time: shifts minus breaks, sorted, disjoint, non-adjacent, within `0..WEEK`.
    on: Vec<(u64, u64)>,
    /// Times of the week at which working starts or stops, sorted (a window that runs through
    /// the end of the week into the next is one stretch, without an edge at Monday 00:00).
    edges: Vec<u64>,
}

impl Roster {
    /// A roster from shifts `(start, length)` and breaks `(start, length)`, both as times of the
    /// week; lengths are at most a week, starts are taken modulo a week.
    pub fn new(shifts: &[(u64, u64)], breaks: &[(u64, u64)]) -> Roster {
        let shifts: Vec<(u64, u64)> = shifts
            .iter()
            .map(|&(s, len)| (s % WEEK, len.min(WEEK)))
            .filter(|&(_, len)| len > 0)
            .collect();
        let on = subtract(&union(&shifts), &union(breaks));
        let mut edges = Vec::new();
        let wraps = on.first().is_some_and(|w| w.0 == 0) && on.last().is_some_and(|w| w.1 == WEEK);
        for &(s, e) in &on {
            if !(wraps && s == 0) {
                edges.push(s);
            }
            if !(wraps && e == WEEK) {
                edges.push(e % WEEK);
            }
        }
        edges.sort_unstable();
        edges.dedup();
        Roster { shifts, on, edges }
    }

    /// Whether the agent works at this time of the week.
    #[inline]
    pub fn covers(&self, week_time: u64) -> bool {
        let t = week_time % WEEK;
        let i = self.on.partition_point(|w| w.0 <= t);
        i > 0 && t < self.on[i - 1].1
    }

    /// Ticks from `week_time` to the next time the agent starts or stops working; `None` if that
    /// never happens (never on, or on all week).
    pub fn until_next_change(&self, week_time: u64) -> Option<u64> {
        let t = week_time % WEEK;
        let first = *self.edges.first()?;
        let i = self.edges.partition_point(|&e| e <= t);
        Some(match self.edges.get(i) {
            Some(&e) => e - t,
            None => first + WEEK - t,
        })
    }

    /// The start of the rostered shift that covers `week_time` (breaks included), as ticks back
    /// from `week_time`; `None` off shift. Absence is decided once per shift, at its start.
    pub fn shift_started(&self, week_time: u64) -> Option<u64> {
        let t = week_time % WEEK;
        self.shifts
            .iter()
            .map(|&(s, len)| ((t + WEEK - s) % WEEK, len))
            .filter(|&(ago, len)| ago < len)
            .map(|(ago, _)| ago)
            .min()
    }
}

/// Sorted, merged `(start, end)` windows within `0..WEEK` from `(start, length)` spans that may
/// run past the end of the week (the part past it wraps to Monday).
fn union(spans: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut w: Vec<(u64, u64)> = Vec::with_capacity(spans.len() + 1);
    for &(s, len) in spans {
        let s = s % WEEK;
        let e = s + len.min(WEEK);
        if e <= WEEK {
            w.push((s, e));
        } else {
            w.push((s, WEEK));
            w.push((0, e - WEEK));
        }
    }
    w.retain(|x| x.1 > x.0);
    w.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(w.len());
    for (s, e) in w {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// `a` minus `b`, both sorted and merged.
fn subtract(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(mut s, e) in a {
        for &(bs, be) in b {
            if be <= s || bs >= e {
                continue;
            }
            if bs > s {
                out.push((s, bs));
            }
            s = s.max(be);
        }
        if s < e {
            out.push((s, e));
        }
    }
    out
}

#[cfg(test)]
impl Roster {
    /// Hours worked in a week (breaks excluded).
    fn hours_per_week(&self) -> f64 {
        let ticks: u64 = self.on.iter().map(|w| w.1 - w.0).sum();
        ticks as f64 / (3_600.0 * super::time::TICKS_PER_SEC as f64)
    }

    /// The same daily shift every day of the week.
    fn daily(start: u64, end: u64) -> Roster {
        use super::time::DAY;
        let len = (end + DAY - start) % DAY;
        let len = if len == 0 { DAY } else { len };
        let shifts: Vec<(u64, u64)> = (0..7).map(|d| (d * DAY + start, len)).collect();
        Roster::new(&shifts, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::{DAY, TICKS_PER_SEC};

    const H: u64 = 3_600 * TICKS_PER_SEC;
    const M: u64 = 60 * TICKS_PER_SEC;

    /// The roster answered by brute force: a minute-by-minute table of the week.
    fn minutes(shifts: &[(u64, u64)], breaks: &[(u64, u64)]) -> Vec<bool> {
        let mut on = vec![false; (WEEK / M) as usize];
        let mark = |on: &mut Vec<bool>, (s, len): (u64, u64), v: bool| {
            for k in 0..len / M {
                on[((s / M + k) % (WEEK / M)) as usize] = v;
            }
        };
        for &s in shifts {
            mark(&mut on, s, true);
        }
        for &b in breaks {
            mark(&mut on, b, false);
        }
        on
    }

    fn check(shifts: &[(u64, u64)], breaks: &[(u64, u64)]) {
        let r = Roster::new(shifts, breaks);
        let want = minutes(shifts, breaks);
        for (m, &on) in want.iter().enumerate() {
            assert_eq!(r.covers(m as u64 * M), on, "minute {m}");
        }
        // Walking from change to change visits exactly the minutes where the table flips.
        let flips: Vec<u64> = (0..want.len())
            .filter(|&m| want[m] != want[(m + want.len() - 1) % want.len()])
            .map(|m| m as u64 * M)
            .collect();
        match r.until_next_change(0) {
            None => assert!(flips.is_empty()),
            Some(_) => {
                let mut seen = Vec::new();
                let mut t = 0;
                while let Some(dt) = r.until_next_change(t) {
                    t += dt;
                    if t >= WEEK + WEEK {
                        break;
                    }
                    if t < WEEK || !seen.contains(&(t % WEEK)) {
                        seen.push(t % WEEK);
                    }
                }
                seen.sort_unstable();
                seen.dedup();
                assert_eq!(seen, flips);
            }
        }
        let hours = want.iter().filter(|&&x| x).count() as f64 / 60.0;
        assert!((r.hours_per_week() - hours).abs() < 1e-9);
    }

    #[test]
    fn weekday_shifts_with_breaks_match_a_minute_table() {
        let weekdays: Vec<(u64, u64)> = (0..5).map(|d| (d * DAY + 8 * H, 8 * H)).collect();
        let lunch: Vec<(u64, u64)> = (0..7).map(|d| (d * DAY + 12 * H, 30 * M)).collect();
        check(&weekdays, &lunch);
        let mut with_sat = weekdays.clone();
        with_sat.push((5 * DAY + 10 * H, 4 * H));
        check(&with_sat, &lunch);
    }

    #[test]
    fn night_shifts_wrap_midnight_and_the_end_of_the_week() {
        // Sunday 22:00 to Monday 06:00, and Friday night.
        let nights = [(6 * DAY + 22 * H, 8 * H), (4 * DAY + 22 * H, 8 * H)];
        check(&nights, &[(2 * H, 15 * M)]);
        let r = Roster::new(&nights, &[]);
        assert!(r.covers(6 * DAY + 23 * H) && r.covers(H) && !r.covers(7 * H));
        assert_eq!(r.shift_started(2 * H), Some(4 * H));
        assert_eq!(r.shift_started(12 * H), None);
    }

    #[test]
    fn every_day_round_the_clock_never_changes() {
        let r = Roster::daily(8 * H, 8 * H);
        assert!(r.covers(3 * DAY) && r.until_next_change(5).is_none());
        check(&[(0, WEEK)], &[]);
        check(&[], &[]);
        assert!(Roster::new(&[], &[]).on.is_empty());
    }

    #[test]
    fn a_daily_shift_matches_the_shift_it_replaces() {
        let r = Roster::daily(22 * H, 6 * H);
        assert!(r.covers(23 * H) && r.covers(DAY + 2 * H) && !r.covers(12 * H));
        assert_eq!(r.until_next_change(23 * H), Some(7 * H));
        assert_eq!(r.hours_per_week(), 56.0);
        // A break taken at the shift's very start moves its start.
        check(&[(8 * H, 8 * H), (DAY + 8 * H, 8 * H)], &[(8 * H, 30 * M)]);
    }
}
