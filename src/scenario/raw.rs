//! The scenario file exactly as written: the serde schema.
//!
//! Key names here are a contract with users and other tools: extend, never rename.
//! Values that later checks refer to carry their span so errors can give a line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::values::{DistSpec, Limit, Rate, Secs};
use crate::model::{AutoMessages, Strategy};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub simulation: RawSimulation,
    #[serde(default)]
    pub report: RawReport,
    #[serde(default)]
    pub teams: Vec<Spanned<RawTeam>>,
    #[serde(default)]
    pub agents: Vec<Spanned<RawAgent>>,
    #[serde(default)]
    pub traffic: Vec<Spanned<RawTraffic>>,
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
    pub business_hours: Option<Spanned<RawCalendar>>,
    #[serde(default)]
    pub calendars: BTreeMap<String, Spanned<RawCalendar>>,
    pub fallback: Option<Spanned<RawFallback>>,
    #[serde(default)]
    pub auto_messages: AutoMessages,
    pub tickets: Option<Spanned<RawTickets>>,
    #[serde(default)]
    pub slo: Vec<Spanned<RawSlo>>,
}

/// `[[slo]]`: a threshold a run must meet, on a figure of the JSON report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub metric: Spanned<String>,
    pub min: Option<Spanned<Limit>>,
    pub max: Option<Spanned<Limit>>,
}

/// `[tickets]`: which chats leave a ticket, and who works them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTickets {
    pub after_hours: Option<bool>,
    pub missed: Option<bool>,
    /// How long one ticket takes; with `team`, tickets become work.
    pub handle_time: Option<Spanned<DistSpec>>,
    pub team: Option<Spanned<String>>,
}

/// `[business_hours]` or `[calendars.NAME]`: open hours by weekday.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    pub days: Option<Vec<Spanned<String>>>,
    pub hours: Option<Spanned<String>>,
    pub mon: Option<Spanned<String>>,
    pub tue: Option<Spanned<String>>,
    pub wed: Option<Spanned<String>>,
    pub thu: Option<Spanned<String>>,
    pub fri: Option<Spanned<String>>,
    pub sat: Option<Spanned<String>>,
    pub sun: Option<Spanned<String>>,
}

/// `[fallback]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFallback {
    pub after_checks: Option<Spanned<u32>>,
    pub to: Option<Spanned<String>>,
    pub strategy: Option<Strategy>,
}

/// `[simulation]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub duration: Spanned<Secs>,
    pub warmup: Option<Secs>,
    pub seed: Option<u64>,
    pub replications: Option<Spanned<u32>>,
    pub start: Option<Spanned<String>>,
    /// The clock stands still at `start`.
    pub stationary: Option<bool>,
    pub max_waiting: Option<Spanned<u64>>,
    pub concurrency_slowdown: Option<Spanned<Vec<f64>>>,
    /// A load that rises and falls inside the run.
    pub ramp: Option<Spanned<RawRamp>>,
}

/// `ramp = { from = 0.5, to = 2.0, per_hour = 0.1, stream = "web" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRamp {
    pub from: f64,
    pub to: f64,
    pub per_hour: f64,
    pub stream: Option<String>,
}

/// `[report]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    pub service_level: Option<Secs>,
    pub red_after: Option<Secs>,
}

/// `[[teams]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    pub name: Spanned<String>,
    pub strategy: Option<Strategy>,
    pub escalate: Option<Spanned<RawEscalate>>,
    pub wrap_up: Option<Spanned<DistSpec>>,
}

/// `escalate = { share = 0.2, to = "experts", handle_time = ... }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEscalate {
    pub share: Spanned<f64>,
    pub to: Spanned<String>,
    pub handle_time: Spanned<DistSpec>,
}

/// `[[agents]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgent {
    pub name: Spanned<String>,
    pub count: Option<Spanned<u32>>,
    #[serde(default)]
    pub teams: Vec<Spanned<String>>,
    pub max_chats: Option<Spanned<u32>>,
    pub level: Option<u32>,
    pub cost: Option<Spanned<f64>>,
    pub speed: Option<Spanned<f64>>,
    /// A daily window (`"08:00-16:00"`) or a table of weekdays (`{ mon-fri = "08:00-16:00" }`).
    pub shift: Option<Spanned<toml::Value>>,
    pub breaks: Option<Spanned<Vec<Spanned<RawBreak>>>>,
    /// A CSV of the group's agents, one row each with its week; replaces `shift`, `breaks` and
    /// `count`.
    pub roster: Option<Spanned<String>>,
    pub absence: Option<Spanned<f64>>,
    #[serde(default)]
    pub skills: BTreeMap<String, u32>,
    /// Set only by an override (a staffing curve): one agent per list of working windows
    /// (start, length in ticks since Monday 00:00), in place of `count` and `shift`.
    #[serde(skip)]
    pub windows: Option<Vec<super::AgentWindows>>,
}

/// `breaks = [{ at = "12:00", for = "30m" }]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBreak {
    pub at: Spanned<String>,
    #[serde(rename = "for")]
    pub length: Spanned<Secs>,
}

/// `[[traffic]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraffic {
    pub name: Spanned<String>,
    pub rate: Option<Rate>,
    /// A CSV of volumes per interval; replaces `rate`, `profile` and `weekdays`.
    pub forecast: Option<Spanned<String>>,
    /// Rate multiplier by time of day (`{ "08:00" = 0.2, "12:00" = 1.0 }`), or such a table
    /// per weekday or range of them (`{ mon-fri = { "08:00" = 1 }, sat = { "10:00" = 0.5 } }`).
    pub profile: Option<Spanned<toml::Value>>,
    /// Rate multiplier per weekday (or range of them), on top of the daily profile.
    pub weekdays: Option<Spanned<BTreeMap<String, f64>>>,
    /// A chat log whose rows are the stream's arrivals; replaces `rate`, `profile`, `weekdays`
    /// and `forecast`.
    pub replay: Option<Spanned<ReplaySpec>>,
    /// Multiplies the stream's volume (its rate, forecast or replayed log); 1 when absent.
    pub scale: Option<Spanned<f64>>,
    pub handle_time: Spanned<DistSpec>,
    pub patience: Option<Spanned<DistSpec>>,
    pub wrap_up: Option<Spanned<DistSpec>>,
    #[serde(default)]
    pub attributes: BTreeMap<String, Spanned<toml::Value>>,
    pub owner: Option<Spanned<RawOwner>>,
    pub bot: Option<Spanned<RawBot>>,
    pub retry: Option<Spanned<RawRetry>>,
}

/// `replay = "chats.csv"`, or a table naming the file and, where the log's headers differ from
/// the defaults, its columns.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReplay {
    pub file: String,
    /// Column names, where the log's differ from the default (the key's own name).
    pub arrival: Option<String>,
    pub handle_time: Option<String>,
    pub patience: Option<String>,
    pub wait: Option<String>,
    pub outcome: Option<String>,
    /// Columns read as attributes, one each (default: every column named like an attribute).
    pub attributes: Option<Vec<String>>,
    /// The `traffic` column's value of this stream's rows (default: the stream's name).
    pub stream: Option<String>,
    /// The replication whose rows are replayed, when the log has a `replication` column.
    pub replication: Option<u32>,
    /// How far extra copies (scale above 1) arrive from their row, either side.
    pub jitter: Option<Secs>,
    /// How far a row may go back before an earlier row (the log need not be quite sorted).
    pub reorder: Option<Secs>,
}

impl<'de> Deserialize<'de> for ReplaySpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ReplaySpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a file name, or a table such as { file = \"log.csv\", arrival = \"created_at\" }")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ReplaySpec, E> {
                Ok(ReplaySpec(RawReplay {
                    file: s.to_string(),
                    ..RawReplay::default()
                }))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<ReplaySpec, A::Error> {
                RawReplay::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(ReplaySpec)
            }
        }
        d.deserialize_any(V)
    }
}

/// [`RawReplay`] written either way: a bare file name or a table.
#[derive(Debug)]
pub struct ReplaySpec(pub RawReplay);

/// `retry = { share = 0.4, delay = { dist = "exponential", mean = "10m" } }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    pub share: Spanned<f64>,
    pub delay: Spanned<DistSpec>,
}

/// `owner = { share = 0.4, team = "account_managers" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOwner {
    pub share: Spanned<f64>,
    pub team: Spanned<String>,
}

/// `bot = { duration = ..., resolves = 0.1 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBot {
    pub duration: Spanned<DistSpec>,
    pub resolves: Option<Spanned<f64>>,
}

/// `[[rules]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub name: Spanned<String>,
    #[serde(default)]
    pub when: BTreeMap<String, Spanned<toml::Value>>,
    pub priority: Option<Spanned<i64>>,
    pub route: Option<Spanned<Vec<Spanned<RawStep>>>>,
    pub redirect: Option<Spanned<String>>,
    pub after_hours: Option<Spanned<bool>>,
    pub bot: Option<Spanned<RawBot>>,
}

/// One step of `route`: a team, or the chat's owner.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub team: Option<Spanned<String>>,
    pub owner: Option<Spanned<bool>>,
    pub timeout: Option<Spanned<Secs>>,
    pub require: Option<Spanned<BTreeMap<String, u32>>>,
}
