//! The figures a report shows, as serializable types: every field documented, times in seconds.

use serde::{Deserialize, Serialize};

/// Wait times of answered chats, in seconds. `None` where no chat was answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitFigures {
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Longest.
    pub max: Option<f64>,
}

/// Figures for a set of chats (all, or one team's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Chats that arrived after the warm-up.
    pub offered: f64,
    /// Chats an agent answered (including those still in service at the end).
    pub answered: f64,
    /// Chats whose customer left before an answer.
    pub abandoned: f64,
    /// Of `abandoned`, customers who left while a bot still had them (they reached no team).
    pub abandoned_at_bot: f64,
    /// Chats turned away because `max_waiting` chats were already waiting.
    pub blocked: f64,
    /// Chats still waiting at the end.
    pub waiting_at_end: f64,
    /// Of `waiting_at_end`, chats still with a bot at the end (they have reached no team yet).
    pub with_bot_at_end: f64,
    /// Answered chats still in service at the end.
    pub in_service_at_end: f64,
    /// Chats a rule redirected to another channel (not lost: see `channels`).
    pub deflected: f64,
    /// Chats that got the after-hours reply and a ticket.
    pub after_hours: f64,
    /// Chats a bot resolved before any agent.
    pub bot_resolved: f64,
    /// Answered chats that a team passed on to another after handling them.
    pub escalated: f64,
    /// `abandoned / offered`.
    pub abandon_rate: Option<f64>,
    /// Chats answered within the threshold / (answered + abandoned - abandoned_at_bot).
    pub service_level: Option<f64>,
    /// Waits of answered chats.
    pub wait: WaitFigures,
}

/// A team's figures (a team is where a chat was answered or last waited).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamFigures {
    /// Team name; `(fallback)` for chats that matched no rule.
    pub name: String,
    /// The figures.
    #[serde(flatten)]
    pub figures: Figures,
    /// Jain's index over the occupancy of the team's agents (1 = evenly loaded).
    pub jain_occupancy: Option<f64>,
}

/// A rule's figures: the chats it matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleFigures {
    /// Rule name; `(no rule)` for chats that matched none.
    pub name: String,
    /// Chats the rule matched (its `offered`).
    pub matched: f64,
    /// The figures of those chats.
    #[serde(flatten)]
    pub figures: Figures,
}

/// Chats sent to one channel by redirects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelFigures {
    /// The channel, as rules name it (`email`).
    pub channel: String,
    /// Chats deflected to it.
    pub deflected: f64,
}

/// Automated messages sent, by kind (a kind switched off in `[auto_messages]` stays 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageFigures {
    /// Greetings to chats that entered the queue or reached an agent.
    pub first_chat: f64,
    /// "An agent took your chat".
    pub assigned: f64,
    /// After-hours replies.
    pub after_hours: f64,
    /// Messages to customers who left before an answer.
    pub missed: f64,
    /// "Was your question resolved?" after a served chat.
    pub resolved_check: f64,
    /// Rating requests after a served chat.
    pub rating: f64,
    /// Auto-replies of redirects.
    pub redirect: f64,
}

/// Tickets created, by kind, and how their work went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketFigures {
    /// One per after-hours chat (with `[tickets] after_hours`, on by default).
    pub after_hours: f64,
    /// One per customer who left before an answer and did not come back (with `[tickets]
    /// missed`, on by default).
    pub missed: f64,
    /// The work of tickets, with `[tickets] team`; `null` when tickets are only counted.
    pub work: Option<TicketWorkFigures>,
}

/// Tickets as work: the backlog and how long tickets waited for an agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketWorkFigures {
    /// The team that works them.
    pub team: String,
    /// Tickets (of chats after the warm-up) an agent started.
    pub started: f64,
    /// Of those, tickets finished before the end.
    pub done: f64,
    /// Tickets waiting for an agent, on average over the measured window.
    pub backlog_mean: Option<f64>,
    /// Most tickets waiting at once in the measured window.
    pub backlog_peak: f64,
    /// Tickets still waiting for an agent at the end.
    pub backlog_at_end: f64,
    /// Opened to started by an agent, seconds, of the tickets started. Tickets still in the
    /// backlog at the end are not in it (see `backlog_at_end`).
    pub first_response: WaitFigures,
}

/// Chats left unanswered longer than `report.red_after`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RedFlagFigures {
    /// The threshold, seconds; `null` when `red_after` is not set (and the counts are 0).
    pub after: Option<f64>,
    /// Chats flagged.
    pub flagged: f64,
    /// Most flagged chats waiting at the same moment.
    pub peak: f64,
}

/// Chats that went through a bot (a stream's or a rule's) before routing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BotFigures {
    /// Chats that went through a bot.
    pub chats: f64,
    /// Of those, resolved by the bot.
    pub resolved: f64,
    /// Mean time with bots, seconds (apart from queue wait); `null` with no bot.
    pub mean_time: Option<f64>,
}

/// Customers apart from attempts: with `retry`, a customer who gives up may come back, and each
/// attempt is a chat of its own in every other figure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerFigures {
    /// Chats that were a customer's first contact.
    pub first_contacts: f64,
    /// Chats that were a customer coming back (`offered` = `first_contacts` + `retries`).
    pub retries: f64,
    /// Abandoned chats whose customer did not come back: customers lost for good.
    pub gave_up: f64,
    /// `gave_up / first_contacts`; `null` with no first contact.
    pub abandon_rate: Option<f64>,
}

/// Escalations: chats a team passed on after handling them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EscalationFigures {
    /// Chats escalated at least once.
    pub escalated: f64,
    /// Escalations in all (a chat may be passed on more than once).
    pub transfers: f64,
    /// Wait in the last escalation queue, seconds, of escalated chats that were answered there.
    pub second_wait: WaitFigures,
    /// Arrival to the end of the last handling, seconds, of escalated chats served to the end.
    pub time_to_resolution: WaitFigures,
}

/// How evenly load spreads over agents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FairnessFigures {
    /// Jain's index over agents' occupancy: 1 when all are equally loaded, 1/n when one agent
    /// carries everything. `null` when no agent was on shift.
    pub jain_occupancy: Option<f64>,
}

/// One agent's load over the measured window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentFigures {
    /// Agent name.
    pub name: String,
    /// Chats answered (that arrived after the warm-up).
    pub handled: f64,
    /// Chat-slot seconds in use / chat-slot seconds on shift.
    pub occupancy: Option<f64>,
    /// Mean chats held while on shift.
    pub mean_concurrency: Option<f64>,
    /// The part of `occupancy` spent on after-chat work: wrap-up slot seconds / chat-slot
    /// seconds on shift (0 without `wrap_up`).
    pub wrap_up: Option<f64>,
    /// The part of `occupancy` spent on tickets: ticket slot seconds / chat-slot seconds on
    /// shift (0 without ticket work).
    pub tickets: Option<f64>,
    /// Most chats held at once.
    pub peak_concurrency: f64,
    /// Hours on shift.
    pub on_shift_hours: f64,
    /// `cost` × hours on shift.
    pub staffing_cost: f64,
}

/// Everything measured in one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepFigures {
    /// All chats.
    pub overall: Figures,
    /// Per team, in file order, then the fallback if the scenario has one.
    pub teams: Vec<TeamFigures>,
    /// Per rule, in file order, then `(no rule)`.
    pub rules: Vec<RuleFigures>,
    /// Per agent.
    pub agents: Vec<AgentFigures>,
    /// Deflections per redirect channel.
    pub channels: Vec<ChannelFigures>,
    /// Automated messages sent.
    pub messages: MessageFigures,
    /// Tickets created.
    pub tickets: TicketFigures,
    /// Red flags.
    pub red_flags: RedFlagFigures,
    /// Bots.
    pub bot: BotFigures,
    /// Customers and their attempts.
    pub customers: CustomerFigures,
    /// Escalations.
    pub escalation: EscalationFigures,
    /// Load spread over agents.
    pub fairness: FairnessFigures,
}

impl RepFigures {
    /// Whether both have as many teams, rules, agents and channels (a replication's figures
    /// read back from a shard's file may have been edited).
    pub fn same_shape(&self, o: &RepFigures) -> bool {
        self.teams.len() == o.teams.len()
            && self.rules.len() == o.rules.len()
            && self.agents.len() == o.agents.len()
            && self.channels.len() == o.channels.len()
    }
}
