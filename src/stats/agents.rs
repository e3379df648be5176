//! [`AgentLoad`]: each agent's time on shift, time busy and peak load over the measured window,
//! folded from the engine's agent changes (the engine keeps no accounts of its own).
//!
//! An agent change comes about twice per chat and, on a large desk, for an agent whose state
//! is nowhere in the cache; so everything a change reads or writes about an agent (its state
//! since the last change and this replication's running totals) lives in one 64-byte,
//! cache-line-aligned [`Live`] record, and a change is a few multiply-adds without a branch
//! that depends on the data. The totals run in `u64` while they provably fit (see
//! [`AgentLoad::new`]) and go into the `u128` [`AgentTimes`] at the end, which are what
//! replications merge and shards store.

use serde::{Deserialize, Serialize};

use crate::model::{AgentId, SimTime};
use crate::sim::{AgentChange, ChangeCause};

/// One agent's measured-window totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct AgentTimes {
    /// Chats held × ticks, counted while on shift (after-chat work included).
    #[serde(with = "super::wide_serde")]
    pub busy: u128,
    /// Slots held by after-chat work × ticks, counted while on shift.
    #[serde(with = "super::wide_serde")]
    pub wrap: u128,
    /// Slots held by tickets × ticks, counted while on shift.
    #[serde(with = "super::wide_serde")]
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

/// An agent while a replication runs: its state since its last change and the replication's
/// totals so far, in one cache line (61 bytes), so that a change touches one line per agent.
/// The totals are `u64` here (`handled` `u32`): [`AgentLoad::change`] adds to them only what
/// cannot overflow them and puts anything larger straight into the `u128` [`AgentTimes`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, align(64))]
struct Live {
    /// When the state below began, or the start of the measured window if later: the start
    /// of the measured part of the stretch a change ends.
    since: u64,
    /// Ticks on shift.
    on_shift: u64,
    /// Slots held × ticks on shift, in all, by after-chat work, by tickets.
    busy: u64,
    wrap: u64,
    ticket: u64,
    /// The state since `since`.
    load: u32,
    wrapping: u32,
    ticket_slots: u32,
    /// Most chats held at once in the measured window.
    peak: u32,
    /// Measured chats taken.
    handled: u32,
    is_on_shift: bool,
}

/// Agents' time accounting for one replication (or several, merged).
///
/// Stored (in shard files) as it always was: the window's start, each agent's last [`Since`]
/// and the [`AgentTimes`]; only the totals are read back (to merge).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "Stored", from = "Stored")]
pub(super) struct AgentLoad {
    measured_from: SimTime,
    live: Vec<Live>,
    /// The largest slot count whose products with a duration cannot overflow the `u64` totals
    /// of [`Live`] as long as the changes come at or before `horizon` (see [`AgentLoad::new`]).
    cap: u32,
    horizon: u64,
    pub(super) times: Vec<AgentTimes>,
}

/// The stored form of an [`AgentLoad`].
#[derive(Serialize, Deserialize)]
struct Stored {
    measured_from: SimTime,
    state: Vec<Since>,
    times: Vec<AgentTimes>,
}

impl From<AgentLoad> for Stored {
    fn from(l: AgentLoad) -> Stored {
        Stored {
            measured_from: l.measured_from,
            state: l
                .live
                .iter()
                .map(|a| Since {
                    time: SimTime(a.since),
                    load: a.load,
                    wrapping: a.wrapping,
                    ticket: a.ticket_slots,
                    on_shift: a.is_on_shift,
                })
                .collect(),
            times: l.times,
        }
    }
}

impl From<Stored> for AgentLoad {
    /// An agent load read back to be merged; it could go on recording (its totals so far are
    /// in `times`), but nothing does that.
    fn from(s: Stored) -> AgentLoad {
        AgentLoad {
            measured_from: s.measured_from,
            live: s
                .state
                .iter()
                .map(|w| Live {
                    since: w.time.0.max(s.measured_from.0),
                    load: w.load,
                    wrapping: w.wrapping,
                    ticket_slots: w.ticket,
                    is_on_shift: w.on_shift,
                    ..Live::default()
                })
                .collect(),
            // Everything goes the exact `u128` way: the horizon is unknown here.
            cap: 0,
            horizon: 0,
            times: s.times,
        }
    }
}

impl AgentLoad {
    /// Accounts for `agents` agents whose changes all come at or before `horizon` (the run's
    /// end). Every `u64` total of an agent in [`Live`] is a sum of products `slots × dt` over
    /// stretches `dt` that do not overlap and lie between 0 and the last change, so it stays
    /// below `cap × horizon` when every slot count in it is at most `cap = u64::MAX / horizon`
    /// (about 30 million for a week); [`AgentLoad::change`] sends any other stretch, and any
    /// stretch ending after `horizon`, to the `u128` totals directly.
    pub(super) fn new(agents: usize, horizon: SimTime) -> AgentLoad {
        AgentLoad {
            measured_from: SimTime::ZERO,
            live: vec![Live::default(); agents],
            cap: (u64::MAX / horizon.0.max(1)).min(u32::MAX as u64) as u32,
            horizon: horizon.0,
            times: vec![AgentTimes::default(); agents],
        }
    }

    /// Whether both account for as many agents (a part read back may have been edited).
    pub(super) fn same_size(&self, o: &AgentLoad) -> bool {
        self.live.len() == o.live.len() && self.times.len() == o.times.len()
    }

    pub(super) fn begin(&mut self, measured_from: SimTime) {
        self.measured_from = measured_from;
        for a in &mut self.live {
            a.since = a.since.max(measured_from.0);
        }
    }

    /// Counts the time from the agent's last change to `now` in the state it had.
    #[inline(always)]
    fn accrue(&mut self, agent: usize, now: u64) {
        let (cap, horizon) = (self.cap, self.horizon);
        let a = &mut self.live[agent];
        // The measured part of the stretch since the last change (0 if none of it is).
        let dt = now.saturating_sub(a.since);
        // The load held over a stretch of the measured window counts for the peak.
        a.peak = a.peak.max(if dt > 0 { a.load } else { 0 });
        let on = if a.is_on_shift { dt } else { 0 };
        // `|` bounds the largest of the three from above, so one comparison checks them all.
        if (a.load | a.wrapping | a.ticket_slots) <= cap && now <= horizon {
            a.on_shift += on;
            a.busy += a.load as u64 * on;
            a.wrap += a.wrapping as u64 * on;
            a.ticket += a.ticket_slots as u64 * on;
        } else {
            wide(&mut self.times[agent], a, on);
        }
    }

    /// Starts loading the agent's record into the cache, for a change that comes soon.
    #[inline]
    pub(super) fn prefetch(&self, agent: AgentId) {
        crate::prefetch::prefetch(&self.live[agent.ix()]);
    }

    /// Takes an agent's change: counts the stretch it ends, then keeps its new state.
    #[inline]
    pub(super) fn change(&mut self, c: &AgentChange) {
        let agent = c.agent.ix();
        let now = c.time.0;
        self.accrue(agent, now);
        let measured = now >= self.measured_from.0;
        let a = &mut self.live[agent];
        a.peak = a.peak.max(if measured { c.load } else { 0 });
        if let ChangeCause::Took { measured: true } = c.cause {
            if a.handled == u32::MAX {
                self.times[agent].handled += u32::MAX as u64;
                a.handled = 0;
            }
            a.handled += 1;
        }
        a.since = now.max(self.measured_from.0);
        a.load = c.load;
        a.wrapping = c.wrapping;
        a.ticket_slots = c.ticket;
        a.is_on_shift = c.on_shift;
    }

    /// Counts every agent's last stretch, up to `end`, and moves the replication's totals into
    /// [`AgentTimes`].
    pub(super) fn finish(&mut self, end: SimTime) {
        for agent in 0..self.live.len() {
            self.accrue(agent, end.0);
            let (a, t) = (&mut self.live[agent], &mut self.times[agent]);
            a.since = end.0.max(self.measured_from.0);
            t.on_shift += std::mem::take(&mut a.on_shift);
            t.busy += std::mem::take(&mut a.busy) as u128;
            t.wrap += std::mem::take(&mut a.wrap) as u128;
            t.ticket += std::mem::take(&mut a.ticket) as u128;
            t.peak = t.peak.max(std::mem::take(&mut a.peak));
            t.handled += std::mem::take(&mut a.handled) as u64;
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

/// A stretch of `on` ticks on shift in the state of `a`, added the exact `u128` way: for slot
/// counts or times beyond what the `u64` totals of [`Live`] are sure to hold (never, in any run
/// of a realistic length). Inline, though cold: as a call it would make every change save and
/// restore the registers its values live in across it.
#[inline(always)]
fn wide(t: &mut AgentTimes, a: &Live, on: u64) {
    t.on_shift += on;
    t.busy += a.load as u128 * on as u128;
    t.wrap += a.wrapping as u128 * on as u128;
    t.ticket += a.ticket_slots as u128 * on as u128;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AgentId;
    use proptest::prelude::*;

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

    const HORIZON: SimTime = SimTime(1_000);

    #[test]
    fn live_state_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Live>(), 64);
        assert_eq!(std::mem::align_of::<Live>(), 64);
    }

    #[test]
    fn counts_only_the_measured_window_and_time_on_shift() {
        let mut l = AgentLoad::new(1, HORIZON);
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
        let mut l = AgentLoad::new(1, HORIZON);
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
        let mut l = AgentLoad::new(1, HORIZON);
        l.begin(SimTime(10));
        l.change(&change(0, 0, true, ChangeCause::Shift));
        l.change(&change(5, 3, true, ChangeCause::Took { measured: false }));
        l.finish(SimTime(50));
        assert_eq!(l.times[0].peak, 3);
    }

    #[test]
    fn handled_counts_past_the_live_counter() {
        let mut l = AgentLoad::new(1, HORIZON);
        l.live[0].handled = u32::MAX - 1;
        for t in 0..3 {
            l.change(&change(t, 1, true, ChangeCause::Took { measured: true }));
        }
        l.finish(SimTime(10));
        assert_eq!(l.times[0].handled, u32::MAX as u64 + 2);
    }

    #[test]
    fn the_stored_form_is_the_former_one_and_merges() {
        let mut l = AgentLoad::new(2, HORIZON);
        l.change(&change(3, 2, true, ChangeCause::Took { measured: true }));
        l.finish(SimTime(10));
        let text = serde_json::to_string(&l).unwrap();
        assert_eq!(
            text,
            r#"{"measured_from":0,"state":[{"time":10,"load":2,"wrapping":0,"ticket":0,"on_shift":true},{"time":10,"load":0,"wrapping":0,"ticket":0,"on_shift":false}],"times":[{"busy":14,"wrap":0,"ticket":0,"on_shift":7,"peak":2,"handled":1},{"busy":0,"wrap":0,"ticket":0,"on_shift":0,"peak":0,"handled":0}]}"#
        );
        let mut back: AgentLoad = serde_json::from_str(&text).unwrap();
        back.merge(&l);
        let twice = AgentTimes {
            busy: 28,
            on_shift: 14,
            peak: 2,
            handled: 2,
            ..AgentTimes::default()
        };
        assert_eq!(back.times, [twice, AgentTimes::default()]);
    }

    /// The accounting as it was before [`Live`]: state and `u128` totals apart, each stretch
    /// added as it ends. What [`AgentLoad`] must give, exactly.
    struct Reference {
        measured_from: SimTime,
        state: Vec<Since>,
        times: Vec<AgentTimes>,
    }

    impl Reference {
        fn accrue(&mut self, agent: usize, now: SimTime) {
            let was = self.state[agent];
            let t = &mut self.times[agent];
            let from = was.time.max(self.measured_from);
            if now > from {
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

        fn change(&mut self, c: &AgentChange) {
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

        fn finish(&mut self, end: SimTime) {
            for a in 0..self.state.len() {
                self.accrue(a, end);
            }
        }
    }

    fn cause() -> impl Strategy<Value = ChangeCause> {
        prop_oneof![
            Just(ChangeCause::Shift),
            any::<bool>().prop_map(|measured| ChangeCause::Took { measured }),
            Just(ChangeCause::Released),
            Just(ChangeCause::WrapUp),
            Just(ChangeCause::Ticket),
        ]
    }

    proptest! {
        /// Random changes of a few agents, with slot counts and times small or huge (past
        /// what the `u64` totals hold): the totals are the reference's, bit for bit.
        #[test]
        fn totals_are_the_exact_ones(
            changes in proptest::collection::vec(
                (0usize..3, 0u64..1_000, prop_oneof![0u32..4, any::<u32>()], 0u32..3, 0u32..2,
                 any::<bool>(), cause()),
                0..200),
            horizon in prop_oneof![Just(u64::MAX), 1u64..1_000_000, Just(1u64 << 40)],
            warmup in 0u64..300,
            step in prop_oneof![Just(1u64), Just(1u64 << 40)],
        ) {
            let (mut l, mut r) = (
                AgentLoad::new(3, SimTime(horizon)),
                Reference {
                    measured_from: SimTime(warmup * step),
                    state: vec![Since::default(); 3],
                    times: vec![AgentTimes::default(); 3],
                },
            );
            l.begin(SimTime(warmup * step));
            let mut now = 0;
            for (agent, dt, load, wrapping, ticket, on_shift, cause) in changes {
                now += dt * step;
                let c = AgentChange {
                    agent: AgentId(agent as u32),
                    time: SimTime(now),
                    load,
                    wrapping: wrapping.min(load),
                    ticket: ticket.min(load),
                    on_shift,
                    cause,
                };
                l.change(&c);
                r.change(&c);
            }
            let end = SimTime(now + step);
            l.finish(end);
            r.finish(end);
            prop_assert_eq!(&l.times, &r.times);
        }
    }
}
