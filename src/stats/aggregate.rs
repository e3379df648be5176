//! Means over replications and Student-t 95% confidence half-widths.

use serde::Serialize;
use serde::de::DeserializeOwned;

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
/// Works on the serialized shape, so every numeric field of `T` is aggregated and the `ci95`
/// object has exactly the shape of the means. A field that is `null` in some replications is
/// averaged over the others.
pub fn aggregate<T: Serialize + DeserializeOwned>(reps: &[T]) -> (T, Option<T>) {
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
        .map(|r| serde_json::to_value(r).expect("figures serialize"))
        .collect();
    let refs: Vec<&Value> = values.iter().collect();
    let (mean, ci) = walk(&refs);
    let mean = serde_json::from_value(mean).expect("aggregate has the figures' shape");
    let ci =
        (reps.len() > 1).then(|| serde_json::from_value(ci).expect("ci95 has the figures' shape"));
    (mean, ci)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::figures::*;
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
}
