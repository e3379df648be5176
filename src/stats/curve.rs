//! The wait distribution as curves: for the whole desk and each team, the share of answered
//! chats that waited at most `t`, read from the pooled histograms of a
//! [`Collector`](super::Collector).
//!
//! The report's JSON gives percentiles; a chart of the whole distribution needs more points
//! than that, and they are not part of the JSON contract. So the curves are their own type,
//! read from the pooled collector beside the [`Summary`](crate::experiment::Summary) (see
//! [`Collector::wait_curves`](super::Collector::wait_curves)) and handed to the HTML report
//! with it.

use serde::{Deserialize, Serialize};

/// Points on a curve: at most this many steps of the cumulative share, plus the ends.
pub const CURVE_STEPS: u32 = 200;

/// One set of chats' waits as a cumulative distribution.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitCurve {
    /// `overall`, or the team's name as in the figures (`(fallback)` included).
    pub name: String,
    /// Answered chats the curve is made of, pooled over every replication.
    pub chats: u64,
    /// `(seconds, share)`: the share of those chats that waited at most that long. Both rise
    /// from point to point; the first is at 0 s (the share answered at once, 0 when none
    /// was), the last at the longest wait with share 1. Waits are read at the histogram's
    /// bucket tops (within 0.1%), never above the longest wait. Empty without answered chats.
    pub points: Vec<(f64, f64)>,
}

/// The wait curves of a run: the whole desk, then each team row in the figures' order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitCurves {
    /// All answered chats.
    pub overall: WaitCurve,
    /// Per team row, as `teams` in the figures.
    pub teams: Vec<WaitCurve>,
}
