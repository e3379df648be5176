//! Every bundled scenario validates and runs, so the examples never rot.

use crate::support::{json, routesim, run_text, tomls};

#[test]
fn every_bundled_scenario_validates_and_runs_with_all_chats_accounted_for() {
    let files = tomls("scenarios");
    assert!(!files.is_empty());
    for f in files {
        routesim().arg("validate").arg(&f).assert().success();
        // Benchmarks are long by design; a short horizon still runs every code path they use.
        let mut cmd = routesim();
        cmd.args(["run", "--format", "json", "--quiet"]).arg(&f);
        if f.to_string_lossy().contains("bench") {
            cmd.args(["--duration", "2h", "--replications", "1"]);
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        let v = json(&out);
        let o = &v["overall"];
        let sum: f64 = [
            "answered",
            "abandoned",
            "waiting_at_end",
            "blocked",
            "deflected",
            "after_hours",
            "bot_resolved",
        ]
        .iter()
        .map(|k| o[k].as_f64().unwrap())
        .sum();
        assert!(
            (o["offered"].as_f64().unwrap() - sum).abs() < 1e-6,
            "{}: {o}",
            f.display()
        );
        assert!(o["offered"].as_f64().unwrap() > 0.0, "{}", f.display());
    }
}

#[test]
fn empirical_handle_times_resample_the_file() {
    use rand::SeedableRng;
    let text = r#"
[simulation]
duration = "1h"
[[teams]]
name = "t"
[[agents]]
name = "a"
teams = ["t"]
[[traffic]]
name = "w"
rate = 1
handle_time = { dist = "empirical", file = "fixtures/handle-times.csv" }
"#;
    let dir = crate::support::root();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("empirical.toml");
    let csv = dir.join("fixtures/handle-times.csv");
    std::fs::write(
        &path,
        text.replace("fixtures/handle-times.csv", csv.to_str().unwrap()),
    )
    .unwrap();
    let model = routesim::scenario::load(&path).unwrap();
    let file: Vec<f64> = std::fs::read_to_string(dir.join("fixtures/handle-times.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.parse().unwrap())
        .collect();
    let mean = file.iter().sum::<f64>() / file.len() as f64;
    let sd =
        (file.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (file.len() - 1) as f64).sqrt();
    let h = &model.traffic[0].handle_time;
    assert!((h.mean_secs - mean).abs() < 1e-9);
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
    let n = 100_000;
    let drawn: Vec<f64> = (0..n)
        .map(|_| h.dist.sample(&mut rng).as_secs_f64())
        .collect();
    assert!(
        drawn.iter().all(|d| file.contains(d)),
        "only values from the file"
    );
    let got = drawn.iter().sum::<f64>() / n as f64;
    assert!(
        (got - mean).abs() < 4.0 * sd / (n as f64).sqrt(),
        "resampled mean {got} vs file mean {mean}"
    );
}

/// The accounting identities the README promises, on every bundled scenario's JSON:
/// team rows add up to `overall` minus the chats that reached no team, and every ratio is the
/// ratio of the counts shown (pooled over replications).
#[test]
fn team_rows_add_up_to_overall_and_ratios_agree_with_counts() {
    for f in tomls("scenarios") {
        let mut cmd = routesim();
        cmd.args(["run", "--format", "json", "--quiet"]).arg(&f);
        if f.to_string_lossy().contains("bench") {
            cmd.args(["--duration", "2h", "--replications", "2"]);
        }
        let v = json(&cmd.assert().success().get_output().stdout);
        let o = &v["overall"];
        let n = |x: &serde_json::Value, k: &str| x[k].as_f64().unwrap();
        let teams: f64 = v["teams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| n(t, "offered"))
            .sum();
        let no_team = n(o, "deflected")
            + n(o, "after_hours")
            + n(o, "blocked")
            + n(o, "bot_resolved")
            + n(o, "abandoned_at_bot")
            + n(o, "with_bot_at_end");
        assert!(
            (teams - (n(o, "offered") - no_team)).abs() < 1e-9,
            "{}: teams {teams} vs overall {} - no team {no_team}",
            f.display(),
            n(o, "offered")
        );
        let rows = std::iter::once(o)
            .chain(v["teams"].as_array().unwrap())
            .chain(v["rules"].as_array().unwrap());
        for row in rows {
            if n(row, "offered") > 0.0 {
                let rate = n(row, "abandoned") / n(row, "offered");
                assert!((n(row, "abandon_rate") - rate).abs() < 1e-12, "{row}");
            }
        }
    }
}

/// Percentiles and the longest wait come from every replication's chats, not means of
/// per-replication figures: they match chats.csv of the same run within the histogram's
/// 0.1% precision, and `max` exactly.
#[test]
fn wait_figures_agree_with_the_chats_of_every_replication() {
    let dir = tempfile::tempdir().unwrap();
    let out = routesim()
        .args([
            "run",
            "scenarios/support-desk.toml",
            "--format",
            "json",
            "--quiet",
        ])
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json(&out);
    let mut reader = csv::Reader::from_path(dir.path().join("chats.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (wait, outcome, rep) = (col("wait"), col("outcome"), col("replication"));
    let mut waits = Vec::new();
    let mut reps = std::collections::BTreeSet::new();
    for row in reader.records() {
        let row = row.unwrap();
        reps.insert(row[rep].to_string());
        if matches!(&row[outcome], "served" | "in_service") {
            waits.push(row[wait].parse::<f64>().unwrap());
        }
    }
    assert_eq!(reps.len(), 4, "support-desk runs 4 replications");
    waits.sort_by(f64::total_cmp);
    let w = &v["overall"]["wait"];
    assert_eq!(w["max"].as_f64().unwrap(), *waits.last().unwrap());
    let mean = waits.iter().sum::<f64>() / waits.len() as f64;
    assert!((w["mean"].as_f64().unwrap() - mean).abs() < 1e-6 * mean.max(1.0));
    for (key, q) in [("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)] {
        // HdrHistogram's quantile: the smallest recorded value with at least q of the values
        // at or below it, reported as the top of its bucket (within 0.1%).
        let exact = waits[((q * waits.len() as f64).ceil() as usize).max(1) - 1];
        let got = w[key].as_f64().unwrap();
        assert!(
            (got - exact).abs() <= 0.001 * exact + 1e-6,
            "{key}: report {got} vs chats.csv {exact}"
        );
    }
}

/// Intervals fall on the clock even when the warm-up is shorter than the part of the first
/// interval already gone (a run starting at 13:50 after 17 minutes of warm-up), and they add
/// up to the run.
#[test]
fn intervals_are_aligned_to_the_clock_and_add_up() {
    let v = run_text(
        r#"
[simulation]
duration = "2h"
warmup = "17m"
start = "wed 13:50"
replications = 3
[[teams]]
name = "a"
[[agents]]
name = "y"
count = 2
teams = ["a"]
[[traffic]]
name = "t"
rate = "30/h"
handle_time = "3m"
[[rules]]
name = "r"
route = [ { team = "a" } ]
"#,
        &["--interval", "60m"],
    );
    let list = v["intervals"].as_array().unwrap();
    let starts: Vec<&str> = list.iter().map(|i| i["start"].as_str().unwrap()).collect();
    assert_eq!(starts, ["wed 13:00", "wed 14:00", "wed 15:00"]);
    let lengths: Vec<f64> = list.iter().map(|i| i["length"].as_f64().unwrap()).collect();
    assert_eq!(lengths, [600.0, 3_600.0, 3_000.0]);
    let sum: f64 = list.iter().map(|i| i["offered"].as_f64().unwrap()).sum();
    assert!((sum - v["overall"]["offered"].as_f64().unwrap()).abs() < 1e-9);
}
