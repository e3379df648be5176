//! Every bundled scenario validates and runs, so the examples never rot.

use crate::support::{json, routesim, tomls};

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
