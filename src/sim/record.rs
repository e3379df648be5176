//! What the engine tells the world: one flat [`ChatRecord`] per chat, stretches of handling, and
//! the [`Recorder`] trait that receives them.

use crate::model::{AgentId, RuleId, SimTime, TargetId, Tickets, TrafficId, ValueId};

/// What finally became of a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Answered and handled to the end.
    Served,
    /// Answered, still being handled when the run ended.
    InService,
    /// The customer left before an agent answered.
    Abandoned,
    /// Still waiting when the run ended.
    Waiting,
    /// Turned away because `max_waiting` chats were already waiting.
    Blocked,
    /// Sent to another channel by a rule's `redirect`.
    Deflected,
    /// Got the after-hours reply and a ticket.
    AfterHours,
    /// Resolved by a bot before reaching an agent.
    BotResolved,
}

impl Outcome {
    /// Every outcome, in the order of its discriminant (`ALL[o as usize] == o`).
    pub const ALL: [Outcome; 8] = [
        Outcome::Served,
        Outcome::InService,
        Outcome::Abandoned,
        Outcome::Waiting,
        Outcome::Blocked,
        Outcome::Deflected,
        Outcome::AfterHours,
        Outcome::BotResolved,
    ];

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Served => "served",
            Outcome::InService => "in_service",
            Outcome::Abandoned => "abandoned",
            Outcome::Waiting => "waiting",
            Outcome::Blocked => "blocked",
            Outcome::Deflected => "deflected",
            Outcome::AfterHours => "after_hours",
            Outcome::BotResolved => "bot_resolved",
        }
    }

    /// Whether an agent answered the chat.
    pub fn answered(self) -> bool {
        matches!(self, Outcome::Served | Outcome::InService)
    }
}

/// One chat's flat record, given to the [`Recorder`] once, when its fate is final.
#[derive(Debug, Clone, Copy)]
pub struct ChatRecord<'a> {
    /// Replication index.
    pub replication: u32,
    /// Chat id: arrival order within the replication, from 0, warm-up included. Every attempt
    /// of a customer who comes back is a chat of its own.
    pub id: u64,
    /// The id of the customer's first attempt (`id` itself for a first contact).
    pub customer: u64,
    /// 1 for a first contact, 2 for the first retry, ...
    pub attempt: u32,
    /// An abandoned chat whose customer will come back (a retry is scheduled).
    pub retry: bool,
    /// Whether the chat arrived after the warm-up (only those are measured).
    pub measured: bool,
    /// Its traffic stream.
    pub traffic: TrafficId,
    /// Attribute values, indexed by attribute id ([`NO_VALUE`](crate::model::NO_VALUE) where unset).
    pub attrs: &'a [ValueId],
    /// Arrival time.
    pub arrival: SimTime,
    /// The rule it matched, if any.
    pub rule: Option<RuleId>,
    /// Where it was answered, or where it last waited; `None` for a chat that reached no team
    /// (deflected, after-hours, resolved by a bot, or still with a bot at the end).
    pub target: Option<TargetId>,
    /// Who answered it.
    pub agent: Option<AgentId>,
    /// Time from reaching routing (after any bot) to answer (answered), to leaving (abandoned)
    /// or to the end (waiting).
    pub wait: SimTime,
    /// Time with bots before routing, if a bot was involved.
    pub bot_time: Option<SimTime>,
    /// Handle time, for answered chats.
    pub handle: Option<SimTime>,
    /// What became of it.
    pub outcome: Outcome,
    /// For a deflected chat, the channel it was sent to (index in `Model::channels`).
    pub channel: Option<u32>,
    /// Its owner, if it has one.
    pub owner: Option<AgentId>,
    /// Route steps it went through without an agent (skipped, or timed out).
    pub checks: u32,
    /// Times it was escalated to another team after being handled.
    pub transfers: u32,
    /// Its wait in the last escalation queue, if it was escalated and answered there.
    pub second_wait: Option<SimTime>,
    /// Arrival to the end of its last handling, for a chat served to the end.
    pub resolution: Option<SimTime>,
}

#[cfg(test)]
impl ChatRecord<'_> {
    /// A measured chat of replication 0, served at once, with nothing else set: for tests to
    /// fill in what they look at (`ChatRecord { wait, ..ChatRecord::blank() }`).
    pub(crate) fn blank() -> Self {
        ChatRecord {
            replication: 0,
            id: 0,
            customer: 0,
            attempt: 1,
            retry: false,
            measured: true,
            traffic: TrafficId(0),
            attrs: &[],
            arrival: SimTime::ZERO,
            rule: None,
            target: None,
            agent: None,
            wait: SimTime::ZERO,
            bot_time: None,
            handle: None,
            outcome: Outcome::Served,
            channel: None,
            owner: None,
            checks: 0,
            transfers: 0,
            second_wait: None,
            resolution: None,
        }
    }
}

impl ChatRecord<'_> {
    /// Whether the chat leaves a ticket: an after-hours chat, or a customer who left before an
    /// answer and is not coming back (one who retries is still a customer in the queue).
    pub fn leaves_ticket(&self, tickets: &Tickets) -> bool {
        match self.outcome {
            Outcome::AfterHours => tickets.after_hours,
            Outcome::Abandoned => tickets.missed && !self.retry,
            _ => false,
        }
    }
}

/// Receives what happens in a replication: every chat's record, every stretch of handling, every
/// change of an agent's load or shift. Implemented by the statistics collectors, the CSV writer
/// and the tests' checkers.
///
/// Lifecycle, as ripgrep's `Sink`: [`begin`](Recorder::begin) once, then the hooks as events
/// happen, then [`finish`](Recorder::finish) once. Every hook but `record` does nothing unless a
/// recorder needs it. After every event the engine asks [`keep_going`](Recorder::keep_going);
/// `false` ends the replication there (the chats still in the system are reported as at any
/// end). A new report (say, by half-hour interval) is a new recorder, not a change to the
/// engine.
pub trait Recorder {
    /// Called once, before the first event, with the time the measured window starts (the end
    /// of the warm-up).
    #[inline]
    fn begin(&mut self, _measured_from: SimTime) {}

    /// Called once per chat, when its fate is final.
    fn record(&mut self, rec: &ChatRecord<'_>);

    /// Called for every stretch of an agent handling a chat (an escalated chat has several),
    /// when it ends or when the run ends.
    #[inline]
    fn service(&mut self, _service: &Service) {}

    /// Called whenever an agent's load or shift changes, with its state after the change.
    /// Changes come in time order; at one moment there may be fewer than the steps taken (a
    /// freed slot that passes straight to the next chat is one change, whose load is the one
    /// the agent had), and their order among that moment's chat records and services is not
    /// fixed: a recorder must not read anything into either.
    #[inline]
    fn agent(&mut self, _change: &AgentChange) {}

    /// A ticket was opened, started or done (only with ticket work).
    #[inline]
    fn ticket(&mut self, _change: &TicketChange) {}

    /// A hint that `agent` changes soon: a recorder with a record per agent may start loading
    /// it into the cache. It must not change what is recorded.
    #[inline]
    fn prefetch_agent(&self, _agent: AgentId) {}

    /// Whether the run should go on; asked after every event. The default never stops it.
    #[inline]
    fn keep_going(&self) -> bool {
        true
    }

    /// Called once at the end, after the last record, with the time the run ended.
    #[inline]
    fn finish(&mut self, _end: SimTime) {}
}

/// What changed an agent's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeCause {
    /// Its shift started or ended.
    Shift,
    /// It took a chat.
    Took {
        /// Whether the chat arrived after the warm-up (counts in the measured window).
        measured: bool,
    },
    /// It finished a chat (or the after-chat work of one): a slot is free.
    Released,
    /// The customer left and the agent began the chat's after-chat work (the slot stays held).
    WrapUp,
    /// It took a ticket from the backlog (the ticket holds a slot until done).
    Ticket,
}

/// An agent's state right after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentChange {
    /// The agent.
    pub agent: AgentId,
    /// When.
    pub time: SimTime,
    /// Slots held now: chats, and chats whose after-chat work is not done.
    pub load: u32,
    /// Of those, slots held by after-chat work.
    pub wrapping: u32,
    /// Of those, the slot held by a ticket (0 or 1: an agent works one ticket at a time).
    pub ticket: u32,
    /// On shift now.
    pub on_shift: bool,
    /// Why it changed.
    pub cause: ChangeCause,
}

/// A step in a ticket's life, for recorders of ticket work (`[tickets] team`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStep {
    /// A chat left a ticket in the backlog.
    Opened,
    /// An agent took it from the backlog.
    Started(AgentId),
    /// The agent finished it.
    Done(AgentId),
}

/// A ticket's step, with when the ticket was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketChange {
    /// When the step happened.
    pub time: SimTime,
    /// When the ticket was opened (its chat closed).
    pub opened: SimTime,
    /// Whether the chat that left it arrived after the warm-up.
    pub measured: bool,
    /// The step.
    pub step: TicketStep,
}

/// One stretch of an agent handling a chat, for recorders that audit agents' load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The agent.
    pub agent: AgentId,
    /// The chat's id.
    pub chat: u64,
    /// When the agent took it.
    pub start: SimTime,
    /// When it ended, or the end of the run.
    pub end: SimTime,
    /// False if the run ended first.
    pub finished: bool,
}

impl<A: Recorder, B: Recorder> Recorder for (A, B) {
    fn begin(&mut self, measured_from: SimTime) {
        self.0.begin(measured_from);
        self.1.begin(measured_from);
    }

    fn record(&mut self, rec: &ChatRecord<'_>) {
        self.0.record(rec);
        self.1.record(rec);
    }

    fn service(&mut self, service: &Service) {
        self.0.service(service);
        self.1.service(service);
    }

    fn agent(&mut self, change: &AgentChange) {
        self.0.agent(change);
        self.1.agent(change);
    }

    fn ticket(&mut self, change: &TicketChange) {
        self.0.ticket(change);
        self.1.ticket(change);
    }

    #[inline]
    fn prefetch_agent(&self, agent: AgentId) {
        self.0.prefetch_agent(agent);
        self.1.prefetch_agent(agent);
    }

    fn keep_going(&self) -> bool {
        self.0.keep_going() && self.1.keep_going()
    }

    fn finish(&mut self, end: SimTime) {
        self.0.finish(end);
        self.1.finish(end);
    }
}

/// What a replication returns besides the records.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    /// Events processed.
    pub events: u64,
    /// Chats that arrived (warm-up included).
    pub chats: u64,
    /// Most chats red-flagged (unanswered longer than `red_after`) at once, after the warm-up.
    pub red_flag_peak: u32,
    /// When the run ended: the end of the horizon, or earlier if a recorder stopped it.
    pub ended: SimTime,
    /// Why the replication could not go on, when it could not: a replayed log that cannot be
    /// read now, or changed since it was checked. The run ended where it happened.
    pub failure: Option<String>,
}

/// An optional recorder: one that a run may or may not have (such as the interval report).
impl<R: Recorder> Recorder for Option<R> {
    fn begin(&mut self, measured_from: SimTime) {
        if let Some(r) = self {
            r.begin(measured_from);
        }
    }

    #[inline]
    fn record(&mut self, rec: &ChatRecord<'_>) {
        if let Some(r) = self {
            r.record(rec);
        }
    }

    #[inline]
    fn service(&mut self, service: &Service) {
        if let Some(r) = self {
            r.service(service);
        }
    }

    #[inline]
    fn agent(&mut self, change: &AgentChange) {
        if let Some(r) = self {
            r.agent(change);
        }
    }

    fn ticket(&mut self, change: &TicketChange) {
        if let Some(r) = self {
            r.ticket(change);
        }
    }

    #[inline]
    fn prefetch_agent(&self, agent: AgentId) {
        if let Some(r) = self {
            r.prefetch_agent(agent);
        }
    }

    #[inline]
    fn keep_going(&self) -> bool {
        self.as_ref().is_none_or(|r| r.keep_going())
    }

    fn finish(&mut self, end: SimTime) {
        if let Some(r) = self {
            r.finish(end);
        }
    }
}
