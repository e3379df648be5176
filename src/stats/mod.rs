//! Streaming statistics: fold chat records into counts, running sums and histograms.
//!
//! A [`Collector`] is the [`Recorder`](crate::sim::Recorder) of one replication; its memory does not grow with the
//! chats simulated (wait percentiles come from an HdrHistogram over integer ticks). At the end
//! it yields one [`RepFigures`]; [`aggregate`] turns the figures of all replications into their
//! means and 95% confidence half-widths, field by field.

//!
//! Files: `figures` (the serializable result types), `tally` (streaming counts and histograms),
//! `bins` (the histograms' counts, sparse until they are many),
//! `collector` (the recorder of one replication), `agents` and `tickets` (its agents' time and
//! ticket backlog), `aggregate` (means and confidence intervals), `curve` (the wait
//! distribution as curves, for charts).

mod agents;
mod aggregate;
mod bins;
mod collector;
mod curve;
mod figures;
mod hist_serde;
pub mod intervals;
mod tally;
mod tickets;
mod wide_serde;

pub use aggregate::{Pool, aggregate, ci95, t95};
pub use collector::Collector;
pub use curve::{CURVE_STEPS, WaitCurve, WaitCurves};
pub use figures::*;
