//! The discrete-event engine: one replication of a [`Model`](crate::model::Model).
//!
//! Lifecycle of [`run_replication`]:
//! 1. **build**: an empty [`Board`](crate::routing::Board) and [`Queues`](crate::routing::Queues), one RNG per traffic stream and one for
//!    routing, all seeded from `(seed, replication)` ([`stream_seed`]).
//! 2. **init**: put agents on shift as the clock says at time 0, schedule each shift's next change,
//!    each stream's first arrival and the end of the warm-up.
//! 3. **step**: pop the earliest event (ties in the order they were scheduled) and apply it;
//!    routing questions go to [`crate::routing`].
//! 4. **run until** the end of the horizon, or until the recorder's
//!    [`keep_going`](Recorder::keep_going) says stop after an event; then report every chat
//!    still in the system, and [`finish`](Recorder::finish).
//!
//! Every chat reaches the [`Recorder`] exactly once with its final [`Outcome`]. The engine
//! never prints; memory is bounded by the chats in the system, not the chats simulated.
//!
//! Randomness: each traffic stream draws its inter-arrival times, attributes, handle times and
//! patience from its own stream, so two rule sets run with the same seed see the same chats
//! (common random numbers), and adding a stream does not disturb the others.
//!
//! Glossary of the engine's words:
//! - **slot**: the index of a chat's entry in the engine's table of live chats; freed and reused
//!   when the chat leaves, so memory grows with chats in the system, not chats simulated.
//! - **valid_after**: a mark on each slot, set to the last event sequence number given whenever
//!   the chat's pending events stop applying (it left, moved on, or had its end rescheduled); an
//!   event of the slot numbered up to the mark is stale and ignored.
//! - **cancel**: a waiting chat's abandonment, timeout and red flag are taken out of the agenda
//!   when it is answered or closed, rather than left to come stale.
//! - **via**: the routing target a chat was last offered through (a team's, a skill group's,
//!   the fallback's, or an escalation's), which decides which team may escalate it and whose
//!   round-robin cursor moves. The team a chat counts for is its `target`: where it was
//!   answered, or where it last waited.
//! - **checks**: route steps a chat went through without an agent (skipped, or timed out).
//!
//! Files: [`record`] (what the engine reports), `event` (event order), `chat` (a live chat's
//! state), `engine` (the loop), [`replay`] (a chat log read as a stream's arrivals).

mod chat;
mod engine;
mod event;
pub mod record;
pub mod replay;

pub use engine::{run_replication, stream_seed};
pub use record::{
    AgentChange, ChangeCause, ChatRecord, Outcome, Recorder, RunResult, Service, TicketChange,
    TicketStep,
};
