//! Streaming tallies of chats: counts, and durations in HdrHistograms over integer ticks.
//!
//! Tallies of several replications merge (counts add, histograms add, maxima take the larger),
//! so a report over replications reads its ratios and percentiles from the pooled chats.

use serde::{Deserialize, Serialize};

use super::bins::{Bins, bin_of};
use super::figures::{Figures, WaitFigures};
use crate::model::{SimTime, TICKS_PER_SEC};
use crate::sim::{ChatRecord, Outcome};

/// Streaming tally of one set of chats.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Tally {
    pub(super) offered: u64,
    pub(super) answered: u64,
    pub(super) abandoned: u64,
    /// Of `abandoned`, customers who left while still with a bot (they never queued).
    pub(super) abandoned_at_bot: u64,
    pub(super) blocked: u64,
    pub(super) waiting: u64,
    pub(super) with_bot: u64,
    pub(super) in_service: u64,
    pub(super) deflected: u64,
    pub(super) after_hours: u64,
    pub(super) bot_resolved: u64,
    pub(super) escalated: u64,
    pub(super) within: u64,
    pub(super) waits: Durations,
}

/// A streaming distribution of durations: count, exact sum and max, and a histogram for
/// percentiles (HdrHistogram bins, allocated as they are needed). Out-of-range values are
/// counted, not clamped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Durations {
    pub(super) n: u64,
    #[serde(with = "super::wide_serde")]
    pub(super) sum: u128,
    pub(super) max: u64,
    pub(super) hist: Bins,
    pub(super) out_of_range: u64,
}

impl Durations {
    pub(super) fn new(high: u64) -> Durations {
        // One-tick (1 us) floor, 3 significant digits: 0.1% resolution at any wait, and a zero
        // wait reads back as exactly zero (a coarser floor would report it as half a bucket).
        Durations {
            n: 0,
            sum: 0,
            max: 0,
            hist: Bins::new(high),
            out_of_range: 0,
        }
    }

    #[inline]
    pub(super) fn add(&mut self, d: SimTime) {
        self.add_in(d, bin_of(d.0));
    }

    /// [`add`](Durations::add) with the duration's bin already computed. Always inline: every
    /// answered chat of a collector comes here (from [`PairTally::add`]), and out of line it is
    /// a call, with the registers it saves.
    #[inline(always)]
    pub(super) fn add_in(&mut self, d: SimTime, bin: usize) {
        self.n += 1;
        self.sum += d.0 as u128;
        self.max = self.max.max(d.0);
        if !self.hist.add(bin) {
            self.out_of_range += 1;
        }
    }

    /// Adds another replication's durations (same bounds, so every value fits).
    pub(super) fn merge(&mut self, other: &Durations) {
        self.n += other.n;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
        self.out_of_range += other.out_of_range;
        self.hist.merge(&other.hist);
    }

    /// The cumulative distribution in one pass over the histogram's recorded buckets: a point
    /// `(seconds, share at or below)` at the first bucket, each time the share passes the next
    /// of `steps` even steps, and at the last bucket; bucket tops are clamped to the longest
    /// duration. A `(0, 0)` point goes first when nothing is zero. Empty when nothing was added.
    pub(super) fn curve(&self, steps: u32) -> Vec<(f64, f64)> {
        let n = self.hist.count();
        let secs = |t: u64| t as f64 / TICKS_PER_SEC as f64;
        let mut out: Vec<(f64, f64)> = Vec::with_capacity(steps as usize + 2);
        let (mut seen, mut level) = (0u64, 0u128);
        for (bin, count) in self.hist.nonzero() {
            seen += count;
            let now = seen as u128 * steps as u128 / n as u128;
            if out.is_empty() || now > level || seen == n {
                let at = super::bins::Bins::top_of(bin).min(self.max);
                if out.is_empty() && at > 0 {
                    out.push((0.0, 0.0));
                }
                out.push((secs(at), seen as f64 / n as f64));
                level = now;
            }
        }
        out
    }

    /// Mean, percentiles and max of every duration added, pooled over merged replications.
    pub(super) fn figures(&self) -> WaitFigures {
        let secs = |t: u64| t as f64 / TICKS_PER_SEC as f64;
        let some = self.n > 0;
        let [p50, p90, p95, p99] = if some {
            self.hist.quantiles([0.50, 0.90, 0.95, 0.99])
        } else {
            [0; 4]
        };
        let q = |v: u64| some.then(|| secs(v));
        WaitFigures {
            mean: some.then(|| self.sum as f64 / self.n as f64 / TICKS_PER_SEC as f64),
            p50: q(p50),
            p90: q(p90),
            p95: q(p95),
            p99: q(p99),
            max: some.then(|| secs(self.max)),
        }
        .clamped()
    }
}

impl WaitFigures {
    /// A histogram reports a percentile as the top of its bucket, which can lie a hair above
    /// the longest wait seen; no percentile is reported above `max`.
    fn clamped(mut self) -> WaitFigures {
        if let Some(max) = self.max {
            for p in [&mut self.p50, &mut self.p90, &mut self.p95, &mut self.p99] {
                *p = p.map(|v| v.min(max));
            }
        }
        self
    }
}

/// Every outcome, in the order of its discriminant: a [`PairTally`] counts a chat at
/// `outcome as usize`.
const OUTCOMES: [Outcome; 8] = Outcome::ALL;

const _: () = {
    let mut i = 0;
    while i < OUTCOMES.len() {
        assert!(
            OUTCOMES[i] as usize == i,
            "OUTCOMES is in discriminant order"
        );
        i += 1;
    }
};

/// The chats of one (rule, team row) pair, as cheaply as a chat can be counted: one counter
/// per outcome, and the waits of answered chats. A collector counts each chat once, in its
/// pair, and [`Tally::absorb`] adds the pairs to the overall, team and rule tallies at the end
/// (everything in a tally is a count, an integer sum, a maximum or a histogram bin, so the
/// result is the same as counting each chat three times). The figures that depend on whether
/// the chat reached a team (`abandoned_at_bot`, `with_bot`) are the same for every chat of a
/// pair, so the pair does not count them.
#[derive(Debug, Clone)]
pub(super) struct PairTally {
    /// Chats by outcome (see [`OUTCOMES`]).
    outcomes: [u64; OUTCOMES.len()],
    escalated: u64,
    within: u64,
    waits: Durations,
    /// Whether its waits may turn dense (see `Collector`'s pairs: only so many may).
    pub(super) dense_ok: bool,
}

impl PairTally {
    pub(super) fn new(high: u64) -> PairTally {
        PairTally {
            outcomes: [0; OUTCOMES.len()],
            escalated: 0,
            within: 0,
            waits: Durations::new(high),
            dense_ok: false,
        }
    }

    /// Whether its waits are counted densely.
    #[cfg(test)]
    pub(super) fn waits_are_dense(&self) -> bool {
        self.waits.hist.is_dense()
    }

    /// Whether a wait in a bin it has not seen would turn its waits dense, and it may not.
    #[inline]
    pub(super) fn full(&self) -> bool {
        !self.dense_ok && self.waits.hist.full()
    }

    /// Counts a chat (as [`Tally::add`] would, but for the pair's common part).
    #[inline]
    pub(super) fn add(&mut self, rec: &ChatRecord<'_>, threshold: SimTime) {
        self.outcomes[rec.outcome as usize] += 1;
        self.escalated += (rec.transfers > 0) as u64;
        if rec.outcome.answered() {
            self.within += (rec.wait <= threshold) as u64;
            self.waits.add_in(rec.wait, bin_of(rec.wait.0));
        }
    }
}

impl Tally {
    pub(super) fn new(high: u64) -> Tally {
        Tally {
            offered: 0,
            answered: 0,
            abandoned: 0,
            abandoned_at_bot: 0,
            blocked: 0,
            waiting: 0,
            with_bot: 0,
            in_service: 0,
            deflected: 0,
            after_hours: 0,
            bot_resolved: 0,
            escalated: 0,
            within: 0,
            waits: Durations::new(high),
        }
    }

    /// Counts a chat; `bin` is its wait's bin ([`bin_of`]). What a collector did per chat for
    /// each of a chat's three tallies before [`PairTally`]; kept as the tests' reference.
    #[cfg(test)]
    pub(super) fn add(&mut self, rec: &ChatRecord<'_>, threshold: SimTime, bin: usize) {
        self.offered += 1;
        self.escalated += (rec.transfers > 0) as u64;
        match rec.outcome {
            Outcome::Served | Outcome::InService => {
                self.answered += 1;
                self.in_service += (rec.outcome == Outcome::InService) as u64;
                self.within += (rec.wait <= threshold) as u64;
                self.waits.add_in(rec.wait, bin);
            }
            Outcome::Abandoned => {
                self.abandoned += 1;
                self.abandoned_at_bot += rec.target.is_none() as u64;
            }
            Outcome::Waiting => {
                self.waiting += 1;
                self.with_bot += rec.target.is_none() as u64;
            }
            Outcome::Blocked => self.blocked += 1,
            Outcome::Deflected => self.deflected += 1,
            Outcome::AfterHours => self.after_hours += 1,
            Outcome::BotResolved => self.bot_resolved += 1,
        }
    }

    /// Adds the chats of a [`PairTally`], exactly as adding each of them would have:
    /// `at_bot` says whether they reached no team (their `target` was `None`), which is what
    /// `abandoned_at_bot` and `with_bot` count.
    pub(super) fn absorb(&mut self, p: &PairTally, at_bot: bool) {
        let mut answered = 0;
        for (outcome, &n) in OUTCOMES.iter().zip(&p.outcomes) {
            self.offered += n;
            match outcome {
                Outcome::Served => answered += n,
                Outcome::InService => {
                    answered += n;
                    self.in_service += n;
                }
                Outcome::Abandoned => {
                    self.abandoned += n;
                    self.abandoned_at_bot += if at_bot { n } else { 0 };
                }
                Outcome::Waiting => {
                    self.waiting += n;
                    self.with_bot += if at_bot { n } else { 0 };
                }
                Outcome::Blocked => self.blocked += n,
                Outcome::Deflected => self.deflected += n,
                Outcome::AfterHours => self.after_hours += n,
                Outcome::BotResolved => self.bot_resolved += n,
            }
        }
        self.answered += answered;
        self.escalated += p.escalated;
        self.within += p.within;
        self.waits.merge(&p.waits);
    }

    /// Adds another replication's tally.
    pub(super) fn merge(&mut self, o: &Tally) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.abandoned += o.abandoned;
        self.abandoned_at_bot += o.abandoned_at_bot;
        self.blocked += o.blocked;
        self.waiting += o.waiting;
        self.with_bot += o.with_bot;
        self.in_service += o.in_service;
        self.deflected += o.deflected;
        self.after_hours += o.after_hours;
        self.bot_resolved += o.bot_resolved;
        self.escalated += o.escalated;
        self.within += o.within;
        self.waits.merge(&o.waits);
    }

    /// Figures over `reps` merged replications: counts are means per replication; ratios,
    /// wait percentiles and the mean wait come from the pooled chats, so they agree with the
    /// counts shown; `max` is the longest wait seen in any replication.
    pub(super) fn figures(&self, reps: u32) -> Figures {
        let per_rep = |n: u64| n as f64 / reps.max(1) as f64;
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        Figures {
            offered: per_rep(self.offered),
            answered: per_rep(self.answered),
            abandoned: per_rep(self.abandoned),
            abandoned_at_bot: per_rep(self.abandoned_at_bot),
            blocked: per_rep(self.blocked),
            waiting_at_end: per_rep(self.waiting),
            with_bot_at_end: per_rep(self.with_bot),
            in_service_at_end: per_rep(self.in_service),
            deflected: per_rep(self.deflected),
            after_hours: per_rep(self.after_hours),
            bot_resolved: per_rep(self.bot_resolved),
            escalated: per_rep(self.escalated),
            abandon_rate: ratio(self.abandoned, self.offered),
            // Customers who left a bot never queued: the service level is about the queue.
            service_level: ratio(
                self.within,
                self.answered + self.abandoned - self.abandoned_at_bot,
            ),
            wait: self.waits.figures(),
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn tally_percentiles_are_exact_at_zero_and_within_a_tenth_of_a_percent() {
        use crate::model::TICKS_PER_SEC;
        let mut t = Tally::new(3_600 * TICKS_PER_SEC);
        let waits = [
            0u64,
            0,
            0,
            0,
            0,
            0,
            2_500_000,
            90_000_000,
            600_000_000,
            1_234_567,
        ];
        for w in waits {
            let rec = ChatRecord {
                wait: SimTime(w),
                handle: Some(SimTime(1)),
                ..ChatRecord::blank()
            };
            t.add(&rec, SimTime(20 * TICKS_PER_SEC), bin_of(w));
        }
        let f = t.figures(1);
        assert_eq!(f.wait.p50, Some(0.0));
        assert_eq!(f.wait.max, Some(600.0));
        let p90 = f.wait.p90.unwrap();
        assert!((p90 - 90.0).abs() <= 0.001 * 90.0, "{p90}");
        assert_eq!(f.service_level, Some(0.8));
        assert_eq!(f.offered, 10.0);

        // The curve: every distinct wait is a step, at its bucket's top (within 0.1%), never
        // past the longest; the share answered at once comes first.
        let curve = t.waits.curve(200);
        let want = [
            (0.0, 0.6),
            (1.234567, 0.7),
            (2.5, 0.8),
            (90.0, 0.9),
            (600.0, 1.0),
        ];
        assert_eq!(curve.len(), want.len(), "{curve:?}");
        for ((x, y), (wx, wy)) in curve.iter().zip(want) {
            assert!(*x >= wx && *x <= wx * 1.001, "{curve:?}");
            assert!((y - wy).abs() < 1e-12, "{curve:?}");
        }
        assert_eq!(curve.last(), Some(&(600.0, 1.0)));
        // Coarse steps keep the first and last points; nothing at all is no curve.
        let coarse = t.waits.curve(2);
        assert_eq!(coarse.first(), Some(&(0.0, 0.6)));
        assert_eq!(coarse.last(), Some(&(600.0, 1.0)));
        assert!(coarse.len() <= 4, "{coarse:?}");
        assert!(Durations::new(1_000).curve(200).is_empty());
        let mut late = Durations::new(1_000_000);
        late.add(SimTime(5_000));
        assert_eq!(late.curve(200)[0], (0.0, 0.0));
    }
}
