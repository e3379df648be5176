//! routesim: a discrete-event simulator and load tester for customer-chat routing rules.
//!
//! A scenario file describes agents, teams, routing rules and traffic; routesim simulates it and
//! reports wait times, service level, lost chats and agent load.
//!
//! The crate is layered; each layer only uses the ones before it. The library never prints or
//! exits: the binary parses flags, decides where bytes go and maps errors to exit codes.
//!
//! | layer | module | what it does |
//! |---|---|---|
//! | scenario | [`scenario`] | TOML schema, parsing, validation |
//! | model | [`model`] | the compiled scenario: ids, integer ticks |
//! | routing | [`routing`] | the pure routing core: who takes a chat, who waits where |
//! | lint | [`lint`] | warnings about a valid scenario, from the routing core's answers |
//! | sim | [`sim`] | event queue, clock, arrivals, agents' state; writes to a [`sim::Recorder`] |
//! | stats | [`stats`], [`experiment`], [`compare`], [`staff`], [`sweep`], [`stress`], [`gate`] | streaming collectors; replications and their means; comparisons, staffing searches, sweeps, breaking-load searches and CI gates built on them |
//! | load | [`corebench`] | the routing core alone under load: decisions per second and latency (`routesim bench`) |
//! | report | [`report`] | exporters: table, JSON, CSV, Markdown, JUnit, the HTML report |
//! | cli | the `routesim` binary (`src/main.rs`, `src/cli.rs`) | flags, files, progress, exit codes |
//!
//! ```
//! let model = routesim::scenario::parse_str("doc.toml", r#"
//!     [simulation]
//!     duration = "1h"
//!     [[teams]]
//!     name = "support"
//!     [[agents]]
//!     name = "agent"
//!     count = 3
//!     teams = ["support"]
//!     [[traffic]]
//!     name = "web"
//!     rate = "20/h"
//!     handle_time = { dist = "exponential", mean = "5m" }
//! "#).unwrap();
//! let (summary, _) = routesim::experiment::run(&model, 1, |_| routesim::experiment::Discard, &|_| {});
//! assert!(summary.figures.overall.offered > 0.0);
//! ```
#![deny(missing_docs)]

pub mod compare;
pub mod corebench;
pub mod error;
pub mod experiment;
pub mod gate;
pub mod lint;
pub mod model;
mod prefetch;
pub mod report;
pub mod routing;
pub mod scenario;
pub mod shard;
pub mod sim;
pub mod staff;
pub mod stats;
pub mod stress;
pub mod sweep;
pub mod target;

pub use error::{Error, Result};
