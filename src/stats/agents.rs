//! [`AgentLoad`]: each agent's time on shift, time busy and peak load over the measured window,
//! folded from the engine's agent changes (the engine keeps no accounts of its own).

use serde::{Deserialize, Serialize};

use crate::model::SimTime;
use crate::sim::{AgentChange, ChangeCause};

/// One agent's measured-window totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct AgentTimes {
    /// Chats held × ticks, counted while on shift (after-chat work included).
    pub busy: u128,
    /// Slots held by after-chat work × ticks, counted while on shift.
    pub wrap: u128,
    /// Slots held by tickets × ticks, counted while on shift.
    pub ticket: u128,
    /// Ticks on shift.
    pub on_shift: u64,
    /// Most chats held at once.
    pub peak: u32,
    /// Chats taken (of those that arrived after the warm-up); an escalated chat counts for each
    /// agent who took it.
    pub handled: u64,
}

/// An agent's state since its last change (also kept by the interval report).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub(super) struct Since {
    pub(super) time: SimTime,
    pub(super) load: u32,
    pub(super) wrapping: u32,
    pub(super) ticket: u32,
    pub(super) on_shift: bool,
}

/// Agents' time accounting for one replication (or several, merged).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct AgentLoad {
    measured_from: SimTime,
    state: Vec<Since>,
    pub(super) times: Vec<AgentTimes>,
}

impl AgentLoad {
    pub(super) fn new(agents: usize) -> AgentLoad {
        AgentLoad {
            measured_from: SimTime::ZERO,
            state: vec![Since::default(); agents],
            times: vec![AgentTimes::default(); agents],
        }
    }

    pub(super) fn begin(&mut self, measured_from: SimTime) {
        self.measured_from = measured_from;
    }

    /// Counts the time from the agent's last change to `now` in the state it had.
    fn accrue(&mut self, agent: usize, now: SimTime) {
        let was = self.state[agent];
        let t = &mut self.times[agent];
        let from = was.time.max(self.measured_from);
        if now > from {
            // The load held over a stretch of the measured window counts for the peak.
            t.peak = t.peak.max(was.load);
            if was.on_shift {
                let dt = now.since(from).0;
                t.on_shift += dt;
                t.busy += was.load as u128 * dt as u128;
                t.wrap += was.wrapping as u128 * dt as u128;
                t.ticket += was.ticket as u128 * dt as u128;
            }
        }
    }

    #[inline]
    pub(super) fn change(&mut self, c: &AgentChange) {
        let a = c.agent.ix();
        self.accrue(a, c.time);
        let t = &mut self.times[a];
        if c.time >= self.measured_from {
            t.peak = t.peak.max(c.load);
        }
        if let ChangeCause::Took { measured: true } = c.cause {
            t.handled += 1;
        }
        self.state[a] = Since {
            time: c.time,
            load: c.load,
            wrapping: c.wrapping,
            ticket: c.ticket,
            on_shift: c.on_shift,
        };
    }

    pub(super) fn finish(&mut self, end: SimTime) {
        for a in 0..self.state.len() {
            self.accrue(a, end);
            self.state[a].time = end;
        }
    }

    /// Adds another replication's totals; the peak is the larger of the two.
    pub(super) fn merge(&mut self, other: &AgentLoad) {
        for (t, o) in self.times.iter_mut().zip(&other.times) {
            t.busy += o.busy;
            t.wrap += o.wrap;
            t.ticket += o.ticket;
            t.on_shift += o.on_shift;
            t.peak = t.peak.max(o.peak);
            t.handled += o.handled;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AgentId;

    fn change(time: u64, load: u32, on_shift: bool, cause: ChangeCause) -> AgentChange {
        AgentChange {
            agent: AgentId(0),
            time: SimTime(time),
            load,
            wrapping: 0,
            ticket: 0,
            on_shift,
            cause,
        }
    }

    #[test]
    fn counts_only_the_measured_window_and_time_on_shift() {
        let mut l = AgentLoad::new(1);
        l.begin(SimTime(10));
        l.change(&change(0, 0, true, ChangeCause::Shift));
        // Takes a warm-up chat at 5: load 1 held into the window, but not counted as handled.
        l.change(&change(5, 1, true, ChangeCause::Took { measured: false }));
        l.change(&change(20, 2, true, ChangeCause::Took { measured: true }));
        l.change(&change(30, 2, false, ChangeCause::Shift));
        l.change(&change(40, 1, false, ChangeCause::Released));
        l.finish(SimTime(50));
        let t = l.times[0];
        // On shift 10..30; busy 1 x 10 (10..20) + 2 x 10 (20..30).
        assert_eq!((t.on_shift, t.busy, t.peak, t.handled), (20, 30, 2, 1));
    }

    #[test]
    fn a_peak_reached_and_left_in_the_warm_up_does_not_count() {
        let mut l = AgentLoad::new(1);
        l.begin(SimTime(10));
        l.change(&change(0, 0, true, ChangeCause::Shift));
        for (t, load) in [(5, 1), (6, 2), (7, 3)] {
            l.change(&change(
                t,
                load,
                true,
                ChangeCause::Took { measured: false },
            ));
        }
        l.change(&change(8, 0, true, ChangeCause::Released));
        l.finish(SimTime(50));
        assert_eq!((l.times[0].peak, l.times[0].busy), (0, 0));
    }

    #[test]
    fn a_load_held_since_the_warm_up_counts_for_the_peak() {
        let mut l = AgentLoad::new(1);
        l.begin(SimTime(10));
        l.change(&change(0, 0, true, ChangeCause::Shift));
        l.change(&change(5, 3, true, ChangeCause::Took { measured: false }));
        l.finish(SimTime(50));
        assert_eq!(l.times[0].peak, 3);
    }
}
