//! A replayed traffic stream (`replay = "chats.csv"`): what the scenario's checks learned about
//! the log, so that the engine can stream it again in every replication without holding it.
//!
//! The log itself is never held: [`crate::scenario::replay_log`] reads it row by row, once when the
//! scenario is compiled (every row is checked, and the figures below are taken) and once per
//! replication. Everything here is what those two readings must agree on.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{AttrChoice, AttrId, SimTime, ValueId};

/// How a log's arrival times are laid on the simulated clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplayClock {
    /// Seconds since the scenario's `start` (the end of the warm-up), as `chats.csv` writes
    /// them: simulated time is `warmup` plus the cell.
    Seconds {
        /// The warm-up, in ticks.
        warmup: SimTime,
    },
    /// ISO date-times: the log's first week (from the Monday 00:00 before its first row) is laid
    /// on the run's first week (from the Monday 00:00 at or before simulated time 0), so every
    /// row keeps its weekday and time of day. Simulated seconds are the row's seconds (since
    /// 1970-01-01, wall clock as written) minus `shift`.
    Dated {
        /// Seconds to subtract from a row's date-time to get simulated seconds.
        shift: i64,
    },
}

/// The columns of a log, by index into its header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayColumns {
    /// Arrival time (required).
    pub arrival: usize,
    /// Handle time (seconds or a duration); an empty cell draws from the stream's `handle_time`.
    pub handle_time: Option<usize>,
    /// Patience, when the log knows it.
    pub patience: Option<usize>,
    /// Time waited in the queue.
    pub wait: Option<usize>,
    /// Time with a bot before the queue (`chats.csv`'s `bot_time`).
    pub bot_time: Option<usize>,
    /// What became of the chat: `abandoned` and `waiting` tell what the wait says of patience.
    pub outcome: Option<usize>,
    /// The stream a row belongs to; rows of other streams are skipped.
    pub traffic: Option<usize>,
    /// The replication a row comes from (`chats.csv`); rows of other replications are skipped.
    pub replication: Option<usize>,
    /// The attempt (`chats.csv`): returns (attempt > 1) are skipped, the stream's `retry`
    /// makes them again.
    pub attempt: Option<usize>,
    /// Packed attributes, `a=v;b=w` (`chats.csv`'s `attributes`).
    pub packed: Option<usize>,
    /// Columns read as one attribute each: (column, attribute).
    pub named: Vec<(usize, AttrId)>,
}

/// A replayed stream's log: where it is, how to read it, and what its checked reading found.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The log, as found from the scenario's folder.
    pub path: PathBuf,
    /// Size and modification time when it was checked: a log that differs when a replication
    /// opens it fails the run rather than replaying rows nobody checked.
    pub fingerprint: (u64, Option<std::time::SystemTime>),
    /// Which column is which.
    pub columns: ReplayColumns,
    /// Fields per row (the header's).
    pub fields: usize,
    /// How arrival times become simulated times.
    pub clock: ReplayClock,
    /// Rows of this stream only: the `traffic` column's value to keep.
    pub stream: String,
    /// Rows of this replication only, when the log has a `replication` column.
    pub replication: u32,
    /// Attribute values by attribute and text: every value the log holds.
    pub values: Vec<HashMap<String, ValueId>>,
    /// Attributes by name, for the packed column's keys.
    pub attr_names: HashMap<String, AttrId>,
    /// The stream's own `attributes`, which give a value where a row has none.
    pub fill: Vec<(AttrId, AttrChoice)>,
    /// Extra copies (a scale above 1) arrive up to this far before or after their row.
    pub jitter: SimTime,
    /// The most a row's arrival goes back before an earlier row's (0 when the log is sorted):
    /// how far the reader looks ahead to put rows in order.
    pub disorder: SimTime,
    /// The volume multiplier (`scale`): copy k of a row is replayed when k + u < scale.
    pub scale: f64,
    /// Rows of this stream in the log (after the `traffic`, `replication` and `attempt`
    /// filters).
    pub rows: u64,
    /// Of those, rows whose arrival falls inside the run (warm-up included).
    pub rows_in_run: u64,
    /// Rows before the clock's beginning, and at or after the run's end.
    pub rows_before: u64,
    /// Rows at or after the run's end.
    pub rows_after: u64,
    /// First and last arrival of the stream's rows, simulated seconds (may lie outside the run).
    pub first: f64,
    /// See `first`.
    pub last: f64,
}
