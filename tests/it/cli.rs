//! The command line as a user meets it: help, output formats, exit codes.

use crate::support::{json, routesim};

#[test]
fn help_on_every_command_shows_examples() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["validate", "--help"],
    ] {
        let out = routesim()
            .args(&args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Usage"), "{args:?}");
        if args.len() > 1 {
            assert!(text.contains("Examples:"), "{args:?}");
        }
    }
}

#[test]
fn contract_scenario_json_has_the_promised_keys() {
    let out = routesim()
        .args([
            "run",
            "scenarios/support-desk.toml",
            "--format",
            "json",
            "--quiet",
            "--replications",
            "2",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json(&out);
    for part in [&v["overall"], &v["teams"][0], &v["ci95"]["overall"]] {
        for k in [
            "offered",
            "answered",
            "abandoned",
            "abandon_rate",
            "service_level",
        ] {
            assert!(part.get(k).is_some(), "missing {k} in {part}");
        }
        for k in ["mean", "p50", "p90", "p95", "p99", "max"] {
            assert!(part["wait"].get(k).is_some(), "missing wait.{k}");
        }
    }
    assert_eq!(v["teams"][0]["name"], "support");
    for k in [
        "name",
        "handled",
        "occupancy",
        "mean_concurrency",
        "peak_concurrency",
    ] {
        assert!(v["agents"][0].get(k).is_some(), "missing agents[0].{k}");
    }
}
