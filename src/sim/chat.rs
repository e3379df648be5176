//! A chat's state while it is in the system, kept in a slot that is reused once it leaves.

use crate::model::{AgentId, SimTime, TargetId};
use crate::routing::QueueId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Free,
    /// With a bot: `stage` 0 is the stream's bot (no rule chosen yet), 1 the rule's bot.
    Bot {
        stage: u8,
        resolves: bool,
    },
    Waiting,
    InService,
    /// The customer gave up and will come back (the slot keeps its attributes).
    Away,
}

pub(super) const NO_RULE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
pub(super) struct Chat {
    pub(super) id: u64,
    /// The id of the customer's first attempt.
    pub(super) customer: u64,
    /// 1 for a first contact, 2 for the first retry, ...
    pub(super) attempt: u32,
    /// Set when the customer gives up: how long until they come back.
    pub(super) back_after: Option<SimTime>,
    /// The last event sequence number given when the chat's pending events stopped applying
    /// (it left, moved on, or had its end rescheduled): its events numbered up to this are
    /// stale (see `event`'s module doc).
    pub(super) valid_after: u32,
    pub(super) state: State,
    pub(super) traffic: u32,
    pub(super) rule: u32,
    pub(super) step: u16,
    pub(super) checks: u32,
    pub(super) flagged: bool,
    pub(super) owner: Option<AgentId>,
    /// Where it waits (or waited last).
    pub(super) queue: QueueId,
    /// The target it counts for, once it has been offered to one.
    pub(super) target: Option<TargetId>,
    pub(super) agent: AgentId,
    pub(super) arrival: SimTime,
    pub(super) answered: SimTime,
    pub(super) handle: SimTime,
    /// After-chat work drawn from its traffic stream (a team's own `wrap_up` overrides it).
    pub(super) wrap: SimTime,
    /// How long the customer waits once routed; `None`: forever.
    pub(super) patience: Option<SimTime>,
    /// When the customer gives up; `None`: never.
    pub(super) deadline: Option<SimTime>,
    /// When routing began (arrival, or the end of its bots).
    pub(super) queued: SimTime,
    pub(super) had_bot: bool,
    pub(super) channel: Option<u32>,
    /// The target it was offered through (a team's, or its owner's team's).
    pub(super) via: TargetId,
    /// Escalations so far; with one or more, [`Cold`] holds the first agent's service.
    pub(super) transfers: u32,
}

/// What only escalations and a concurrency slowdown need of a chat, kept apart from [`Chat`] so
/// that the record every event reads stays small (on a big desk most chats an event reaches are
/// out of cache, and each cache line of a chat is a miss). Never reset: each field is written
/// before it is read (`first` and `escalated_at` when a chat is escalated, and read only when
/// its `transfers` say so; the work when a slowed-down chat is answered).
#[derive(Debug, Clone, Copy)]
pub(super) struct Cold {
    /// The first agent who took it, when, and for how long.
    pub(super) first: (AgentId, SimTime, SimTime),
    /// When it was last escalated.
    pub(super) escalated_at: SimTime,
    /// Base handle time still to do, and when it was last brought up to date (slowdown only).
    pub(super) work_left: f64,
    pub(super) progress_at: SimTime,
}

impl Cold {
    /// A new slot's.
    pub(super) const EMPTY: Cold = Cold {
        first: (AgentId(0), SimTime::ZERO, SimTime::ZERO),
        escalated_at: SimTime::ZERO,
        work_left: 0.0,
        progress_at: SimTime::ZERO,
    };
}

impl Chat {
    /// A free slot.
    pub(super) const EMPTY: Chat = Chat {
        id: 0,
        customer: 0,
        attempt: 1,
        back_after: None,
        valid_after: 0,
        state: State::Free,
        traffic: 0,
        rule: NO_RULE,
        step: 0,
        checks: 0,
        flagged: false,
        owner: None,
        queue: QueueId(0),
        target: None,
        agent: AgentId(0),
        arrival: SimTime::ZERO,
        answered: SimTime::ZERO,
        handle: SimTime::ZERO,
        wrap: SimTime::ZERO,
        patience: None,
        deadline: None,
        queued: SimTime::ZERO,
        had_bot: false,
        channel: None,
        via: TargetId(0),
        transfers: 0,
    };
}
