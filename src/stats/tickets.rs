//! [`TicketTally`]: the ticket backlog over the measured window and tickets' time to first
//! response, folded from the engine's ticket steps.

use serde::{Deserialize, Serialize};

use super::figures::TicketWorkFigures;
use super::tally::Durations;
use crate::model::SimTime;
use crate::sim::{TicketChange, TicketStep};

/// One replication's ticket work (or several, merged).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TicketTally {
    measured_from: SimTime,
    /// Tickets waiting for an agent now, and since when.
    backlog: u64,
    since: SimTime,
    /// Backlog × ticks over the measured window.
    #[serde(with = "super::wide_serde")]
    area: u128,
    /// Measured ticks (summed over merged replications).
    #[serde(with = "super::wide_serde")]
    window: u128,
    /// Largest backlog in the measured window (the largest over merged replications).
    peak: u64,
    /// Backlog at the end (summed over merged replications).
    at_end: u64,
    /// Tickets of measured chats started and finished.
    started: u64,
    done: u64,
    /// Opened to started, of measured tickets started.
    first_response: Durations,
}

impl TicketTally {
    pub(super) fn new(high: u64) -> TicketTally {
        TicketTally {
            measured_from: SimTime::ZERO,
            backlog: 0,
            since: SimTime::ZERO,
            area: 0,
            window: 0,
            peak: 0,
            at_end: 0,
            started: 0,
            done: 0,
            first_response: Durations::new(high),
        }
    }

    pub(super) fn begin(&mut self, measured_from: SimTime) {
        self.measured_from = measured_from;
    }

    /// Counts the backlog held from the last change to `now`.
    fn accrue(&mut self, now: SimTime) {
        let from = self.since.max(self.measured_from);
        if now > from {
            self.area += self.backlog as u128 * now.since(from).0 as u128;
            self.peak = self.peak.max(self.backlog);
        }
        self.since = now;
    }

    pub(super) fn change(&mut self, c: &TicketChange) {
        self.accrue(c.time);
        match c.step {
            TicketStep::Opened => self.backlog += 1,
            TicketStep::Started(_) => {
                self.backlog -= 1;
                if c.measured {
                    self.started += 1;
                    self.first_response.add(c.time.since(c.opened));
                }
            }
            TicketStep::Done(_) => self.done += c.measured as u64,
        }
        if c.time >= self.measured_from {
            self.peak = self.peak.max(self.backlog);
        }
    }

    pub(super) fn finish(&mut self, end: SimTime) {
        self.accrue(end);
        self.window += end.since(self.measured_from).0 as u128;
        self.at_end += self.backlog;
    }

    pub(super) fn merge(&mut self, o: &TicketTally) {
        self.area += o.area;
        self.window += o.window;
        self.peak = self.peak.max(o.peak);
        self.at_end += o.at_end;
        self.started += o.started;
        self.done += o.done;
        self.first_response.merge(&o.first_response);
    }

    /// The figures of `reps` merged replications: counts per replication, the mean backlog
    /// over the pooled measured time.
    pub(super) fn figures(&self, team: &str, reps: u32) -> TicketWorkFigures {
        let per_rep = |n: u64| n as f64 / reps.max(1) as f64;
        TicketWorkFigures {
            team: team.to_string(),
            started: per_rep(self.started),
            done: per_rep(self.done),
            backlog_mean: (self.window > 0).then(|| self.area as f64 / self.window as f64),
            backlog_peak: self.peak as f64,
            backlog_at_end: per_rep(self.at_end),
            first_response: self.first_response.figures(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AgentId, TICKS_PER_SEC};

    fn step(time: u64, opened: u64, measured: bool, step: TicketStep) -> TicketChange {
        TicketChange {
            time: SimTime(time * TICKS_PER_SEC),
            opened: SimTime(opened * TICKS_PER_SEC),
            measured,
            step,
        }
    }

    #[test]
    fn backlog_and_first_response_over_the_measured_window() {
        let mut t = TicketTally::new(1_000 * TICKS_PER_SEC);
        t.begin(SimTime(10 * TICKS_PER_SEC));
        let a = AgentId(0);
        // A warm-up ticket, waiting into the window and started at 20.
        t.change(&step(5, 5, false, TicketStep::Opened));
        t.change(&step(12, 12, true, TicketStep::Opened));
        t.change(&step(14, 14, true, TicketStep::Opened));
        t.change(&step(20, 5, false, TicketStep::Started(a)));
        t.change(&step(30, 5, false, TicketStep::Done(a)));
        t.change(&step(30, 12, true, TicketStep::Started(a)));
        t.change(&step(50, 12, true, TicketStep::Done(a)));
        t.finish(SimTime(60 * TICKS_PER_SEC));
        let f = t.figures("support", 1);
        // Backlog: 1 over 10..12, 2 over 12..14, 3 over 14..20, 2 over 20..30, 1 over 30..60.
        let area = 2 + 2 * 2 + 3 * 6 + 2 * 10 + 30;
        assert_eq!(f.backlog_mean, Some(area as f64 / 50.0));
        assert_eq!((f.backlog_peak, f.backlog_at_end), (3.0, 1.0));
        // Only the measured ticket's response counts: 30 - 12.
        assert_eq!((f.started, f.done), (1.0, 1.0));
        assert_eq!(f.first_response.mean, Some(18.0));
        assert_eq!(f.first_response.max, Some(18.0));
    }
}
