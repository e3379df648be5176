//! The interval report: the measured window cut into 15-, 30- or 60-minute intervals aligned
//! to the clock, each with its own chats (by arrival) and its own agent time.
//!
//! [`IntervalCollector`] is a recorder on the engine's hooks like any other: chats are folded
//! into the interval they arrived in, and each stretch of an agent's state is split across the
//! intervals it spans. Its memory grows with the intervals of the run (a few kilobytes each),
//! never with the chats simulated; [`MAX_INTERVALS`] bounds it.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::agents::Since;
use crate::model::{AgentId, Model, SimTime, TICKS_PER_SEC, WeekTime};
use crate::sim::{AgentChange, ChatRecord, Outcome, Recorder, TicketChange, TicketStep};

/// Most intervals in one report (for example 208 days of half-hours).
pub const MAX_INTERVALS: u64 = 10_000;

/// The lengths an interval may have, in minutes.
pub const INTERVAL_MINUTES: [u64; 3] = [15, 30, 60];

/// One interval's figures. Counts are means per replication; ratios and waits are pooled over
/// replications, as everywhere else.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntervalFigures {
    /// Start of the interval as weekday and time, such as `tue 10:30`.
    pub start: String,
    /// Start, seconds since the end of the warm-up (the first interval may begin earlier
    /// than the window, when the window does not start on a boundary, and is then cut).
    pub from: f64,
    /// Seconds of the measured window inside the interval.
    pub length: f64,
    /// Chats that arrived in the interval.
    pub offered: f64,
    /// Of those, chats an agent answered.
    pub answered: f64,
    /// Of those, chats whose customer left before an answer.
    pub abandoned: f64,
    /// Chats answered within the threshold / (answered + abandoned, less those who left a bot).
    pub service_level: Option<f64>,
    /// Mean wait of the answered chats, seconds.
    pub wait_mean: Option<f64>,
    /// 90th percentile of their waits, seconds (within 1%, and 1 ms).
    pub wait_p90: Option<f64>,
    /// Agents on shift, on average over the interval.
    pub agents_on_shift: f64,
    /// Chat-slot time in use / chat-slot time on shift, over the interval.
    pub occupancy: Option<f64>,
    /// Tickets waiting for an agent at the end of the interval (with `[tickets] team`; `null`
    /// without ticket work).
    pub tickets_backlog: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slot {
    offered: u64,
    answered: u64,
    abandoned: u64,
    /// Of `abandoned`, customers who left a bot (left out of the service level).
    left_bot: u64,
    within: u64,
    #[serde(with = "super::wide_serde")]
    wait_sum: u128,
    #[serde(with = "super::hist_serde")]
    waits: Histogram<u32>,
    /// Agent-ticks on shift.
    #[serde(with = "super::wide_serde")]
    on_shift: u128,
    /// Chat-slot-ticks on shift.
    #[serde(with = "super::wide_serde")]
    slots: u128,
    /// Chats-held-ticks while on shift.
    #[serde(with = "super::wide_serde")]
    busy: u128,
}

/// The recorder of the interval report (serializes exactly, as [`Collector`](super::Collector)
/// does).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntervalCollector {
    len: u64,
    /// Absolute time of the first interval's boundary (at or before the end of the warm-up).
    /// May lie before time zero, when the warm-up is shorter than the part of the first
    /// interval already gone at its end.
    origin: i64,
    warmup: SimTime,
    end: SimTime,
    threshold: SimTime,
    week_start: u64,
    caps: Vec<u32>,
    agents: Vec<Since>,
    slots: Vec<Slot>,
    /// With ticket work: tickets waiting now, the intervals whose end backlog is written, and
    /// per interval the backlog at its end (summed over merged replications).
    tickets: Option<(u64, usize, Vec<u64>)>,
    reps: u32,
    /// The interval found last (not stored: it only saves work).
    #[serde(skip)]
    memo: Memo,
}

/// An interval and its first tick: most times looked up fall in the interval of the one
/// before, and finding it again is a compare where computing it is a 64-bit division.
#[derive(Debug, Clone, Copy)]
struct Memo {
    k: usize,
    start: i64,
}

impl Default for Memo {
    /// Matches no time: any time less `i64::MIN` wraps to a negative number.
    fn default() -> Memo {
        Memo {
            k: 0,
            start: i64::MIN,
        }
    }
}

impl IntervalCollector {
    /// A collector of `len`-long intervals over the model's measured window, or the reason why
    /// not (a length other than 15, 30 or 60 minutes, or too many intervals).
    pub fn new(model: &Model, len: SimTime) -> Result<IntervalCollector, String> {
        let minutes = len.0 / (60 * TICKS_PER_SEC);
        if !len.0.is_multiple_of(60 * TICKS_PER_SEC) || !INTERVAL_MINUTES.contains(&minutes) {
            return Err("an interval is 15m, 30m or 60m".into());
        }
        // Boundaries fall on the clock: the week time of each is a multiple of the length.
        let phase = model.week_time(model.warmup) % len.0;
        let origin = model.warmup.0 as i64 - phase as i64;
        let count = ((model.end().0 as i64 - origin) as u64).div_ceil(len.0);
        if count > MAX_INTERVALS {
            return Err(format!(
                "{count} intervals of {minutes}m: the limit is {MAX_INTERVALS}; use longer intervals or a shorter run"
            ));
        }
        let hist = Histogram::new_with_bounds(1_000, model.end().0.max(2_000), 2)
            .expect("valid histogram bounds");
        let slot = Slot {
            offered: 0,
            answered: 0,
            abandoned: 0,
            left_bot: 0,
            within: 0,
            wait_sum: 0,
            waits: hist,
            on_shift: 0,
            slots: 0,
            busy: 0,
        };
        Ok(IntervalCollector {
            len: len.0,
            origin,
            warmup: model.warmup,
            end: model.end(),
            threshold: model.service_level,
            // Named by the running clock: a stationary run's first interval had been named a
            // warm-up after `start` (its clock stands at `start` from time 0).
            week_start: model.clock_time(SimTime::ZERO),
            caps: model.agents.iter().map(|a| a.max_chats).collect(),
            agents: vec![Since::default(); model.agents.len()],
            slots: vec![slot; count as usize],
            tickets: model
                .tickets
                .work
                .as_ref()
                .map(|_| (0, 0, vec![0; count as usize])),
            reps: 1,
            memo: Memo::default(),
        })
    }

    /// The interval of a time at or after `origin`, and the time it ends.
    #[inline]
    fn interval_of(&mut self, t: u64) -> (usize, u64) {
        let len = self.len as i64;
        if !(0..len).contains(&(t as i64).wrapping_sub(self.memo.start)) {
            let k = (t as i64 - self.origin) as u64 / self.len;
            self.memo = Memo {
                k: k as usize,
                start: self.origin + k as i64 * len,
            };
        }
        (self.memo.k, (self.memo.start + len) as u64)
    }

    fn index(&mut self, t: SimTime) -> Option<usize> {
        (t >= self.warmup && t < self.end).then(|| self.interval_of(t.0).0)
    }

    /// Spreads an agent's stretch in one state over the intervals it spans. Inlined into
    /// [`Recorder::agent`], itself out of line: a second call there was a fifth of its cost.
    #[inline(always)]
    fn accrue(&mut self, agent: usize, now: SimTime) {
        let was = self.agents[agent];
        if !was.on_shift {
            return;
        }
        let mut t = was.time.0.max(self.warmup.0);
        let until = now.0.min(self.end.0);
        while t < until {
            let (k, next) = self.interval_of(t);
            let boundary = next.min(until);
            let dt = (boundary - t) as u128;
            let s = &mut self.slots[k];
            s.on_shift += dt;
            s.slots += dt * self.caps[agent] as u128;
            s.busy += dt * was.load as u128;
            t = boundary;
        }
    }

    /// Writes the backlog held until `now` as the end backlog of every interval that ended by then.
    fn close_intervals(&mut self, now: SimTime) {
        let (origin, len) = (self.origin, self.len as i64);
        if let Some((backlog, written, ends)) = &mut self.tickets {
            // Intervals whose end is at or before `now`.
            let ended = ((now.0 as i64 - origin).div_euclid(len)).clamp(0, ends.len() as i64);
            for e in &mut ends[*written..ended as usize] {
                *e += *backlog;
            }
            *written = (*written).max(ended as usize);
        }
    }

    /// Adds another replication's intervals.
    pub fn merge(&mut self, o: &IntervalCollector) {
        self.reps += o.reps;
        for (a, b) in self.slots.iter_mut().zip(&o.slots) {
            a.offered += b.offered;
            a.answered += b.answered;
            a.abandoned += b.abandoned;
            a.left_bot += b.left_bot;
            a.within += b.within;
            a.wait_sum += b.wait_sum;
            let _ = a.waits.add(&b.waits);
            a.on_shift += b.on_shift;
            a.slots += b.slots;
            a.busy += b.busy;
        }
        if let (Some(a), Some(b)) = (&mut self.tickets, &o.tickets) {
            for (x, y) in a.2.iter_mut().zip(&b.2) {
                *x += y;
            }
        }
    }

    /// The figures of the replications merged so far.
    pub fn figures(&self) -> Vec<IntervalFigures> {
        let reps = self.reps.max(1) as f64;
        let secs = |t: u64| t as f64 / TICKS_PER_SEC as f64;
        self.slots
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let from = self.origin + k as i64 * self.len as i64;
                let lo = from.max(self.warmup.0 as i64) as u64;
                let hi = ((from + self.len as i64) as u64).min(self.end.0);
                let length = hi - lo;
                let week = crate::model::WEEK as i64;
                let ratio = |a: u128, b: u128| (b > 0).then(|| a as f64 / b as f64);
                let answered = s.answered > 0;
                IntervalFigures {
                    start: WeekTime((self.week_start as i64 + from).rem_euclid(week) as u64)
                        .to_string(),
                    from: (from - self.warmup.0 as i64) as f64 / TICKS_PER_SEC as f64,
                    length: secs(length),
                    offered: s.offered as f64 / reps,
                    answered: s.answered as f64 / reps,
                    abandoned: s.abandoned as f64 / reps,
                    service_level: ratio(
                        s.within as u128,
                        (s.answered + s.abandoned - s.left_bot) as u128,
                    ),
                    wait_mean: answered.then(|| s.wait_sum as f64 / s.answered as f64 / 1e6),
                    // Waits are kept to 1 ms; the lowest bucket reads as no wait at all.
                    wait_p90: answered.then(|| match s.waits.value_at_quantile(0.9) {
                        v if s.waits.equivalent(v, 1_000) => 0.0,
                        v => secs(v),
                    }),
                    agents_on_shift: s.on_shift as f64 / (length.max(1) as f64 * reps),
                    occupancy: ratio(s.busy, s.slots),
                    tickets_backlog: self.tickets.as_ref().map(|t| t.2[k] as f64 / reps),
                }
            })
            .collect()
    }
}

impl Recorder for IntervalCollector {
    #[inline]
    fn record(&mut self, rec: &ChatRecord<'_>) {
        let Some(k) = self.index(rec.arrival) else {
            return;
        };
        let threshold = self.threshold;
        let s = &mut self.slots[k];
        s.offered += 1;
        match rec.outcome {
            Outcome::Served | Outcome::InService => {
                s.answered += 1;
                s.within += (rec.wait <= threshold) as u64;
                s.wait_sum += rec.wait.0 as u128;
                let _ = s.waits.record(rec.wait.0.max(1_000));
            }
            Outcome::Abandoned => {
                s.abandoned += 1;
                s.left_bot += rec.target.is_none() as u64;
            }
            _ => {}
        }
    }

    // Out of line: the interval report is optional, and inlined beside the collector's own
    // accounting it kept the change's fields in callee-saved registers across its call, which
    // every agent change then saved and restored, with the report or without.
    #[inline(never)]
    fn agent(&mut self, c: &AgentChange) {
        let a = c.agent.ix();
        self.accrue(a, c.time);
        self.agents[a] = Since {
            time: c.time,
            load: c.load,
            wrapping: c.wrapping,
            ticket: c.ticket,
            on_shift: c.on_shift,
        };
    }

    #[inline]
    fn prefetch_agent(&self, agent: AgentId) {
        crate::prefetch::prefetch(&self.agents[agent.ix()]);
    }

    fn ticket(&mut self, c: &TicketChange) {
        self.close_intervals(c.time);
        if let Some((backlog, ..)) = &mut self.tickets {
            match c.step {
                TicketStep::Opened => *backlog += 1,
                TicketStep::Started(_) => *backlog -= 1,
                TicketStep::Done(_) => {}
            }
        }
    }

    fn finish(&mut self, end: SimTime) {
        // The last interval ends with the run, cut or not.
        if let Some((backlog, written, ends)) = &mut self.tickets {
            for e in &mut ends[*written..] {
                *e += *backlog;
            }
            *written = ends.len();
        }
        for a in 0..self.agents.len() {
            self.accrue(a, end);
            self.agents[a].time = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// The remembered interval is the one a division gives, for times in any order and with
    /// an origin before time zero (a 5-minute warm-up ending 10 minutes into a 30-minute
    /// interval).
    #[test]
    fn interval_of_matches_the_division() {
        let mut model =
            crate::scenario::parse_str("t.toml", crate::scenario::tests::MINIMAL).unwrap();
        // A 5-minute warm-up ending at 09:10, 10 minutes into a 30-minute interval; 8 hours on.
        (model.warmup, model.start) = (SimTime(5 * 60 * TICKS_PER_SEC), 550 * 60 * TICKS_PER_SEC);
        model.duration = SimTime(8 * 3_600 * TICKS_PER_SEC);
        let len = 30 * 60 * TICKS_PER_SEC;
        let mut c = IntervalCollector::new(&model, SimTime(len)).unwrap();
        assert!(
            c.origin < 0,
            "the case of an origin before zero: {}",
            c.origin
        );
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(1);
        let mut t = 0u64;
        for _ in 0..100_000 {
            // Mostly small steps forward, now and then a jump back or far ahead.
            t = match rng.random_range(0..20) {
                0 => rng.random_range(0..model.end().0),
                _ => (t + rng.random_range(0..60 * TICKS_PER_SEC)).min(model.end().0 - 1),
            };
            let k = (t as i64 - c.origin) as u64 / len;
            let end = (c.origin + (k as i64 + 1) * len as i64) as u64;
            assert_eq!(c.interval_of(t), (k as usize, end), "at {t}");
        }
    }
}
