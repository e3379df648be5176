//! Events and their order: by time, then by the order they were scheduled (FIFO ties).

use std::cmp::Ordering;

use crate::model::SimTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Arrival(u32),
    Depart {
        slot: u32,
        epoch: u32,
    },
    Abandon {
        slot: u32,
        epoch: u32,
    },
    Timeout {
        slot: u32,
        epoch: u32,
        step: u16,
    },
    Shift(u32),
    RedFlag {
        slot: u32,
        epoch: u32,
    },
    BotDone {
        slot: u32,
        epoch: u32,
    },
    /// An agent finishes the after-chat work of one chat and frees its slot.
    WrapDone(u32),
    /// An agent finishes its ticket.
    TicketDone(u32),
    /// A customer who gave up comes back as a new attempt.
    Return {
        slot: u32,
        epoch: u32,
    },
    WarmupEnd,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Event {
    pub time: SimTime,
    pub seq: u64,
    pub kind: Kind,
}

impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl Eq for Event {}
impl PartialOrd for Event {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Event {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.time, self.seq).cmp(&(o.time, o.seq))
    }
}
