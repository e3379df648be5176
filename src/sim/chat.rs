//! A chat's state while it is in the system, kept in a slot that is reused once it leaves.

use crate::model::{AgentId, SimTime, TargetId};
use crate::routing::{QueueId, QueueKey};

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
    pub(super) epoch: u32,
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
    pub(super) key: QueueKey,
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
    /// The first agent who took it, when, and for how long (kept through escalations).
    pub(super) first: Option<(AgentId, SimTime, SimTime)>,
    pub(super) transfers: u32,
    pub(super) escalated_at: SimTime,
    /// Base handle time still to do, and when it was last brought up to date (slowdown only).
    pub(super) work_left: f64,
    pub(super) progress_at: SimTime,
}

impl Chat {
    /// A free slot.
    pub(super) const EMPTY: Chat = Chat {
        id: 0,
        customer: 0,
        attempt: 1,
        back_after: None,
        epoch: 0,
        state: State::Free,
        traffic: 0,
        rule: NO_RULE,
        step: 0,
        checks: 0,
        flagged: false,
        owner: None,
        queue: QueueId(0),
        target: None,
        key: QueueKey::ZERO,
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
        first: None,
        transfers: 0,
        escalated_at: SimTime::ZERO,
        work_left: 0.0,
        progress_at: SimTime::ZERO,
    };
}
