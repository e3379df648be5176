//! Means over replications and Student-t 95% confidence half-widths.

use super::figures::*;
use super::intervals::IntervalFigures;

/// Two-sided 95% quantile of Student's t with `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010,
        2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739,
        2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            // Cornish-Fisher expansion around the normal quantile; error < 1e-4 past 30.
            let (z, v) = (1.959_963_984_540_054_f64, df as f64);
            z + (z.powi(3) + z) / (4.0 * v)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        }
    }
}

/// Means over replications, field by field, and (with two or more) 95% confidence half-widths.
///
/// Every numeric field of `T` is aggregated and the half-widths have exactly the shape of the
/// means. A field that is `null` in some replications is averaged over the others; names and
/// other text are the first replication's. See [`Pool`].
pub fn aggregate<T: Pool>(reps: &[T]) -> (T, Option<T>) {
    assert!(!reps.is_empty(), "aggregate needs a replication");
    let (mean, ci) = T::pool(reps.len(), &|i| Some(&reps[i]));
    (mean, (reps.len() > 1).then_some(ci))
}

/// Only the 95% confidence half-widths of [`aggregate`]: `None` with fewer than two
/// replications, without computing anything.
pub fn ci95<T: Pool>(reps: &[T]) -> Option<T> {
    (reps.len() > 1).then(|| T::pool(reps.len(), &|i| Some(&reps[i])).1)
}

/// A figure type whose replications [`aggregate`] pools, field by field.
///
/// The numbers are those of the walk over the figures' JSON that this replaced, bit for bit:
/// a numeric leaf takes the finite values of the replications that have one (a `null`, a
/// missing array element or a non-finite number is left out), in replication order; their
/// mean is their sum (`Iterator::sum`, in that order) over their count, and the half-width is
/// `t95(k - 1) * sqrt(var / k)` with the sample variance summed in the same order (0 for one
/// value). A leaf with no value is `None`; an optional group (`work`) or array follows the
/// first replication's shape; text is the first replication's.
pub trait Pool: Sized {
    /// The mean and the half-width of the values `get(i)` of replications `0..n` (`None`
    /// where replication `i` lacks the value; replication 0 has it, except for leaves).
    fn pool<'a>(n: usize, get: &dyn Fn(usize) -> Option<&'a Self>) -> (Self, Self);
}

/// Mean and half-width of some values, as the JSON walk computed them (`None` for no value or
/// a result `serde_json` would have written as `null`).
fn leaf(xs: impl Iterator<Item = f64> + Clone) -> (Option<f64>, Option<f64>) {
    let xs = xs.filter(|x| x.is_finite());
    let k = xs.clone().count();
    if k == 0 {
        return (None, None);
    }
    let n = k as f64;
    let mean = xs.clone().sum::<f64>() / n;
    let half = if k > 1 {
        let var = xs.map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        t95(k - 1) * (var / n).sqrt()
    } else {
        0.0
    };
    let finite = |x: f64| x.is_finite().then_some(x);
    (finite(mean), finite(half))
}

impl Pool for f64 {
    fn pool<'a>(n: usize, get: &dyn Fn(usize) -> Option<&'a f64>) -> (f64, f64) {
        let (mean, half) = leaf((0..n).filter_map(|i| get(i).copied()));
        (
            mean.expect("a figure has a finite mean"),
            half.expect("a figure has a finite half-width"),
        )
    }
}

impl Pool for Option<f64> {
    fn pool<'a>(n: usize, get: &dyn Fn(usize) -> Option<&'a Option<f64>>) -> (Self, Self) {
        leaf((0..n).filter_map(|i| get(i).copied().flatten()))
    }
}

impl Pool for String {
    fn pool<'a>(_: usize, get: &dyn Fn(usize) -> Option<&'a String>) -> (String, String) {
        let first = get(0).cloned().unwrap_or_default();
        (first.clone(), first)
    }
}

impl<T: Pool + 'static> Pool for Vec<T> {
    fn pool<'a>(n: usize, get: &dyn Fn(usize) -> Option<&'a Vec<T>>) -> (Self, Self) {
        let len = get(0).map_or(0, Vec::len);
        (0..len)
            .map(|j| T::pool(n, &|i| get(i).and_then(|v| v.get(j))))
            .unzip()
    }
}

impl Pool for Option<TicketWorkFigures> {
    fn pool<'a>(n: usize, get: &dyn Fn(usize) -> Option<&'a Self>) -> (Self, Self) {
        match get(0) {
            Some(Some(_)) => {
                let (m, c) = TicketWorkFigures::pool(n, &|i| get(i).and_then(Option::as_ref));
                (Some(m), Some(c))
            }
            _ => (None, None),
        }
    }
}

/// [`Pool`] for a struct, field by field.
macro_rules! pool_fields {
    ($($t:ty { $($f:ident),* $(,)? })*) => {$(
        impl Pool for $t {
            fn pool<'a>(n: usize, get: &dyn Fn(usize) -> Option<&'a Self>) -> (Self, Self) {
                $(let $f = Pool::pool(n, &|i| get(i).map(|r| &r.$f));)*
                (Self { $($f: $f.0,)* }, Self { $($f: $f.1,)* })
            }
        }
    )*};
}

pool_fields! {
    RepFigures { overall, teams, rules, agents, channels, messages, tickets, red_flags, bot,
        customers, escalation, fairness }
    Figures { offered, answered, abandoned, abandoned_at_bot, blocked, waiting_at_end,
        with_bot_at_end, in_service_at_end, deflected, after_hours, bot_resolved, escalated,
        abandon_rate, service_level, wait }
    WaitFigures { mean, p50, p90, p95, p99, max }
    TeamFigures { name, figures, jain_occupancy }
    RuleFigures { name, matched, figures }
    AgentFigures { name, handled, occupancy, mean_concurrency, wrap_up, tickets,
        peak_concurrency, on_shift_hours, staffing_cost }
    ChannelFigures { channel, deflected }
    MessageFigures { first_chat, assigned, after_hours, missed, resolved_check, rating, redirect }
    TicketFigures { after_hours, missed, work }
    TicketWorkFigures { team, started, done, backlog_mean, backlog_peak, backlog_at_end,
        first_response }
    RedFlagFigures { after, flagged, peak }
    BotFigures { chats, resolved, mean_time }
    CustomerFigures { first_contacts, retries, gave_up, abandon_rate }
    EscalationFigures { escalated, transfers, second_wait, time_to_resolution }
    FairnessFigures { jain_occupancy }
    IntervalFigures { start, from, length, offered, answered, abandoned, service_level,
        wait_mean, wait_p90, agents_on_shift, occupancy, tickets_backlog }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables_and_approach_the_normal() {
        assert_eq!(t95(1), 12.7062);
        assert!((t95(40) - 2.0211).abs() < 1e-3);
        assert!((t95(120) - 1.9799).abs() < 1e-3);
        assert!((t95(100_000) - 1.96).abs() < 1e-3);
    }

    #[test]
    fn aggregate_gives_means_and_student_half_widths() {
        let mk = |offered: f64, mean: Option<f64>| RepFigures {
            overall: Figures {
                offered,
                wait: WaitFigures {
                    mean,
                    ..Default::default()
                },
                ..Default::default()
            },
            teams: vec![TeamFigures {
                name: "t".into(),
                figures: Figures {
                    offered,
                    ..Default::default()
                },
                jain_occupancy: None,
            }],
            ..Default::default()
        };
        let (m, ci) = aggregate(&[mk(10.0, Some(1.0)), mk(14.0, None), mk(12.0, Some(3.0))]);
        let ci = ci.unwrap();
        assert_eq!(m.overall.offered, 12.0);
        assert_eq!(m.teams[0].name, "t");
        // sd = 2, n = 3: half-width = t(2) * 2 / sqrt(3).
        assert!((ci.overall.offered - 4.3027 * 2.0 / 3f64.sqrt()).abs() < 1e-9);
        // Null in one replication: averaged over the others.
        assert_eq!(m.overall.wait.mean, Some(2.0));
        assert_eq!(m.overall.wait.p50, None);
        let (_, none) = aggregate(&[mk(1.0, None)]);
        assert!(none.is_none());
    }

    /// The aggregation this module did before it was typed: a walk over the figures' JSON.
    /// The typed one must give the same numbers, bit for bit.
    fn aggregate_by_json<T: serde::Serialize + serde::de::DeserializeOwned>(
        reps: &[T],
    ) -> (T, Option<T>) {
        use serde_json::Value;
        fn walk(vals: &[&Value]) -> (Value, Value) {
            match vals[0] {
                Value::Object(first) => {
                    let (mut m, mut c) = (serde_json::Map::new(), serde_json::Map::new());
                    for k in first.keys() {
                        let sub: Vec<&Value> = vals.iter().map(|v| &v[k.as_str()]).collect();
                        let (a, b) = walk(&sub);
                        m.insert(k.clone(), a);
                        c.insert(k.clone(), b);
                    }
                    (Value::Object(m), Value::Object(c))
                }
                Value::Array(first) => {
                    let (mut m, mut c) = (Vec::new(), Vec::new());
                    for i in 0..first.len() {
                        let sub: Vec<&Value> = vals.iter().map(|v| &v[i]).collect();
                        let (a, b) = walk(&sub);
                        m.push(a);
                        c.push(b);
                    }
                    (Value::Array(m), Value::Array(c))
                }
                Value::Number(_) | Value::Null => {
                    let xs: Vec<f64> = vals.iter().filter_map(|v| v.as_f64()).collect();
                    if xs.is_empty() {
                        return (Value::Null, Value::Null);
                    }
                    let n = xs.len() as f64;
                    let mean = xs.iter().sum::<f64>() / n;
                    let half = if xs.len() > 1 {
                        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
                        t95(xs.len() - 1) * (var / n).sqrt()
                    } else {
                        0.0
                    };
                    (serde_json::json!(mean), serde_json::json!(half))
                }
                other => (other.clone(), other.clone()),
            }
        }
        let values: Vec<Value> = reps
            .iter()
            .map(|r| serde_json::to_value(r).unwrap())
            .collect();
        let refs: Vec<&Value> = values.iter().collect();
        let (mean, ci) = walk(&refs);
        let ci = (reps.len() > 1).then(|| serde_json::from_value(ci).unwrap());
        (serde_json::from_value(mean).unwrap(), ci)
    }

    /// Same JSON text (every double printed exactly, so the same bits) from both.
    fn same_as_json_walk<T>(reps: &[T])
    where
        T: Pool + serde::Serialize + serde::de::DeserializeOwned,
    {
        let text = |(m, c): (T, Option<T>)| {
            (
                serde_json::to_string(&m).unwrap(),
                serde_json::to_string(&c).unwrap(),
            )
        };
        assert_eq!(text(aggregate(reps)), text(aggregate_by_json(reps)));
        let ci = |c: Option<T>| serde_json::to_string(&c).unwrap();
        assert_eq!(ci(ci95(reps)), ci(aggregate_by_json(reps).1));
    }

    #[test]
    fn typed_aggregation_gives_the_json_walks_numbers_bit_for_bit() {
        use crate::model::SimTime;
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/support-desk.toml");
        let mut model = crate::scenario::load(std::path::Path::new(path)).unwrap();
        model.replications = 5;
        let options = crate::experiment::RunOptions {
            threads: 1,
            interval: Some(SimTime(3_600 * crate::model::TICKS_PER_SEC)),
        };
        let (summary, figures, _) = crate::experiment::run_detailed(
            &model,
            &options,
            |_| crate::experiment::Discard,
            &|_| {},
        );
        for k in 1..=figures.len() {
            same_as_json_walk(&figures[..k]);
        }
        let intervals = summary.intervals.unwrap();
        same_as_json_walk(&[intervals.clone(), intervals.clone()]);

        // Awkward values: nulls in some replications, a null first, -0.0, large and tiny
        // numbers, an optional group present in some, arrays of different lengths.
        let mut a = figures[0].clone();
        let mut b = figures[1].clone();
        let mut c = figures[2].clone();
        a.overall.wait.p50 = None;
        b.overall.wait.p50 = Some(-0.0);
        c.overall.offered = 1e150;
        a.overall.answered = 1e-300;
        b.overall.abandon_rate = None;
        c.overall.abandon_rate = None;
        a.agents[0].occupancy = None;
        b.agents.pop();
        c.agents.push(c.agents[0].clone());
        b.tickets.work = Some(TicketWorkFigures {
            team: "t".into(),
            backlog_mean: Some(3.5),
            ..Default::default()
        });
        same_as_json_walk(&[a.clone(), b.clone(), c.clone()]);
        same_as_json_walk(&[b, a, c]);
    }
}
