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
        let sum: f64 = ["answered", "abandoned", "waiting_at_end", "blocked"]
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
