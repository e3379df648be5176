//! Targets a desk must meet, as planners write them: `sl(20s) >= 0.8`, `abandon <= 5%`,
//! `wait.p90 <= 1m`, optionally for one team (`support.sl(30s) >= 0.9`). `staff` searches for
//! the staffing that meets them all.

use std::fmt;
use std::str::FromStr;

use crate::experiment::Summary;
use crate::scenario::values::parse_duration;
use crate::stats::Figures;

/// What a target measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// Share of chats answered within this many seconds (the service level).
    ServiceLevel(f64),
    /// Share of offered chats abandoned.
    Abandon,
    /// Mean wait of answered chats, seconds.
    WaitMean,
    /// 90th percentile wait, seconds.
    WaitP90,
    /// 95th percentile wait, seconds.
    WaitP95,
}

impl Metric {
    /// The figure's name in a sweep's rows and the JSON (`service_level`, `wait_p90`, ...).
    pub fn figure_name(self) -> &'static str {
        match self {
            Metric::ServiceLevel(_) => "service_level",
            Metric::Abandon => "abandon_rate",
            Metric::WaitMean => "wait_mean",
            Metric::WaitP90 => "wait_p90",
            Metric::WaitP95 => "wait_p95",
        }
    }

    /// Whether the figure is a share (0 to 1), not a time in seconds.
    pub fn is_share(self) -> bool {
        matches!(self, Metric::ServiceLevel(_) | Metric::Abandon)
    }
}

/// Which side of the limit the figure must stay on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `>=`.
    AtLeast,
    /// `<=`.
    AtMost,
}

/// One target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// As written.
    pub text: String,
    /// A team's name, or `None` for the whole desk.
    pub scope: Option<String>,
    /// The figure.
    pub metric: Metric,
    /// The comparison.
    pub op: Op,
    /// The limit: a share (0 to 1) or seconds.
    pub limit: f64,
}

const FORMS: &str = "write sl(20s) >= 0.8, abandon <= 5%, wait.mean <= 30s, wait.p90 <= 1m or wait.p95 <= 2m, optionally for a team: support.sl(30s) >= 90%";

fn metric(s: &str) -> Option<Metric> {
    match s {
        "abandon" => Some(Metric::Abandon),
        "wait.mean" => Some(Metric::WaitMean),
        "wait.p90" => Some(Metric::WaitP90),
        "wait.p95" => Some(Metric::WaitP95),
        _ => {
            let inner = s.strip_prefix("sl(")?.strip_suffix(')')?;
            let secs = parse_duration(inner).ok()?;
            (secs.is_finite() && secs >= 0.0).then_some(Metric::ServiceLevel(secs))
        }
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Target, String> {
        let bad = |why: &str| format!("target \"{text}\": {why}; {FORMS}");
        let (left, op, right) = if let Some((l, r)) = text.split_once(">=") {
            (l, Op::AtLeast, r)
        } else if let Some((l, r)) = text.split_once("<=") {
            (l, Op::AtMost, r)
        } else {
            return Err(bad("no >= or <="));
        };
        let left: String = left.chars().filter(|c| !c.is_whitespace()).collect();
        let (scope, metric) = match metric(&left) {
            Some(m) => (None, m),
            None => {
                let (scope, rest) = left.split_once('.').ok_or_else(|| bad("unknown figure"))?;
                let m = metric(rest).ok_or_else(|| bad("unknown figure"))?;
                if scope.is_empty() {
                    return Err(bad("empty team name"));
                }
                let scope = (scope != "overall").then(|| scope.to_string());
                (scope, m)
            }
        };
        // staff and stress search on the figure's side that more agents reach: a target the
        // other way round (a slip of < for >) was met by none, or by no number of agents.
        match (metric, op) {
            (Metric::ServiceLevel(_), Op::AtMost) => {
                return Err(bad(
                    "a service level target is a floor (>=): staff and stress search for the fewest agents or the most load that keep it",
                ));
            }
            (
                Metric::Abandon | Metric::WaitMean | Metric::WaitP90 | Metric::WaitP95,
                Op::AtLeast,
            ) => {
                return Err(bad(
                    "abandonment and wait targets are ceilings (<=): staff and stress search for the fewest agents or the most load that keep them",
                ));
            }
            _ => {}
        }
        let right = right.trim();
        let limit = if metric.is_share() {
            let (num, scale) = match right.strip_suffix('%') {
                Some(n) => (n.trim(), 0.01),
                None => (right, 1.0),
            };
            let v: f64 = num
                .parse()
                .map_err(|_| bad("the limit is a share such as 0.8 or 80%"))?;
            let v = v * scale;
            if !(0.0..=1.0).contains(&v) {
                return Err(bad("a share lies between 0 and 1"));
            }
            v
        } else {
            let v = parse_duration(right).map_err(|_| bad("the limit is a time such as 30s"))?;
            if !v.is_finite() || v < 0.0 {
                return Err(bad("the limit is a time such as 30s"));
            }
            v
        };
        Ok(Target {
            text: text.trim().to_string(),
            scope,
            metric,
            op,
            limit,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Target {
    /// The figures of the target's scope in a summary (and their ci95).
    fn figures<'s>(&self, s: &'s Summary) -> Option<(&'s Figures, Option<&'s Figures>)> {
        match &self.scope {
            None => Some((&s.figures.overall, s.ci95.as_ref().map(|c| &c.overall))),
            Some(team) => {
                let k = s.figures.teams.iter().position(|t| &t.name == team)?;
                Some((
                    &s.figures.teams[k].figures,
                    s.ci95.as_ref().map(|c| &c.teams[k].figures),
                ))
            }
        }
    }

    fn read(&self, f: &Figures) -> Option<f64> {
        match self.metric {
            Metric::ServiceLevel(_) => f.service_level,
            Metric::Abandon => f.abandon_rate,
            Metric::WaitMean => f.wait.mean,
            Metric::WaitP90 => f.wait.p90,
            Metric::WaitP95 => f.wait.p95,
        }
    }

    /// The figure in a summary and its 95% half-width (with two replications or more).
    /// `None` when the summary has no such figure (no chat answered, or no such team).
    pub fn value(&self, s: &Summary) -> Option<(f64, Option<f64>)> {
        let (f, ci) = self.figures(s)?;
        Some((self.read(f)?, ci.and_then(|c| self.read(c))))
    }

    /// Whether the summary meets the target, by the point estimate. A missing figure fails
    /// it: a desk that answers nothing meets no service level.
    pub fn holds(&self, s: &Summary) -> bool {
        self.value(s).is_some_and(|(v, _)| match self.op {
            Op::AtLeast => v >= self.limit,
            Op::AtMost => v <= self.limit,
        })
    }

    /// Chats offered to the target's scope in the measured window, if the scope exists.
    pub fn offered(&self, s: &Summary) -> Option<f64> {
        self.figures(s).map(|(f, _)| f.offered)
    }

    /// A value of the target's figure as a message shows it: a share in percent, a time in
    /// seconds.
    pub fn shown(&self, v: f64) -> String {
        if self.metric.is_share() {
            format!("{:.1}%", v * 100.0)
        } else {
            format!("{v:.1}s")
        }
    }

    /// What the target's scope is called in messages: "the desk", or its team.
    pub fn scope_name(&self) -> String {
        match &self.scope {
            None => "the desk".into(),
            Some(team) => format!("team \"{team}\""),
        }
    }

    /// Whether the target's team exists in a summary (the whole desk always does).
    pub fn scope_exists(&self, s: &Summary) -> bool {
        self.figures(s).is_some()
    }
}

/// The service-level threshold the targets need, if any: a run measures one, so targets with
/// two different ones cannot be checked together.
pub fn service_level_threshold(targets: &[Target]) -> Result<Option<f64>, String> {
    let mut found: Option<f64> = None;
    for t in targets {
        if let Metric::ServiceLevel(secs) = t.metric {
            match found {
                Some(f) if f != secs => {
                    return Err(format!(
                        "targets measure the service level within {f}s and within {secs}s; a run measures one threshold"
                    ));
                }
                _ => found = Some(secs),
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_as_planners_write_them() {
        let t: Target = "sl(20s) >= 0.8".parse().unwrap();
        assert_eq!(
            (t.scope, t.metric, t.op, t.limit),
            (None, Metric::ServiceLevel(20.0), Op::AtLeast, 0.8)
        );
        let t: Target = "support.abandon <= 5%".parse().unwrap();
        assert_eq!(t.scope.as_deref(), Some("support"));
        assert!((t.limit - 0.05).abs() < 1e-12);
        let t: Target = " wait.p90<=1m30s ".parse().unwrap();
        assert_eq!(
            (t.metric, t.op, t.limit),
            (Metric::WaitP90, Op::AtMost, 90.0)
        );
        let t: Target = "overall.sl(1m) >= 90%".parse().unwrap();
        assert_eq!((t.scope, t.metric), (None, Metric::ServiceLevel(60.0)));
        for bad in [
            "sl(20s) > 0.8",
            "speed >= 1",
            "sl(20s) >= 1.5",
            "wait.p90 <= soon",
            ".abandon <= 0.1",
            // The wrong way round: more agents cannot reach them.
            "sl(20s) <= 0.8",
            "abandon >= 5%",
            "support.wait.mean >= 30s",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn one_service_level_threshold_per_run() {
        let t = |s: &str| s.parse::<Target>().unwrap();
        assert_eq!(
            service_level_threshold(&[t("sl(20s) >= 0.8"), t("abandon <= 0.05")]),
            Ok(Some(20.0))
        );
        assert!(
            service_level_threshold(&[t("sl(20s) >= 0.8"), t("support.sl(30s) >= 0.9")]).is_err()
        );
    }
}
