//! `routesim bench`: the routing core under load, from the command line. No timed assertions:
//! the tests check the shape of the output and what does not depend on timing.

use crate::support::{json, routesim, stdout_of};

const DESK: &str = "scenarios/bench/desk-1000.toml";

#[test]
fn bench_prints_a_table_per_size() {
    let out = stdout_of(&[
        "bench",
        DESK,
        "--agents",
        "100,1000",
        "--decisions",
        "2000",
        "--quiet",
    ]);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("bench: desk-1000.toml, seed 1000, at mon 00:00"),
        "{text}"
    );
    let header = text
        .lines()
        .find(|l| l.starts_with("agents"))
        .expect("a header row");
    for col in [
        "decisions/s",
        "p50",
        "p99",
        "p99.9",
        "max",
        "assigned",
        "waited",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("agents"))
        .skip(1)
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].starts_with("100 "), "{text}");
    assert!(rows[1].starts_with("1,000 "), "{text}");
}

#[test]
fn bench_json_has_the_documented_fields_in_order_and_counts_that_repeat() {
    let args = [
        "bench",
        DESK,
        "--agents",
        "200,2000",
        "--decisions",
        "3000",
        "--busy",
        "0.9",
        "--seed",
        "5",
        "--format",
        "json",
    ];
    let a = json(&stdout_of(&args));
    for key in [
        "scenario",
        "seed",
        "at",
        "busy",
        "busy_from",
        "decisions",
        "warmup",
    ] {
        assert!(!a[key].is_null(), "{key}: {a}");
    }
    assert_eq!(a["seed"], 5);
    assert_eq!(a["busy"], 0.9);
    assert_eq!(a["busy_from"], "--busy");
    assert!(a["timer_overhead_ns"].as_u64().is_some(), "{a}");
    let sizes = a["sizes"].as_array().unwrap();
    assert_eq!(sizes.len(), 2);
    for (s, agents) in sizes.iter().zip([200, 2000]) {
        assert_eq!(s["agents"], agents);
        assert_eq!(s["decisions"], 3000);
        assert!(s["decisions_per_sec"].as_f64().unwrap() > 0.0, "{s}");
        let l = &s["latency_ns"];
        let at = |k: &str| l[k].as_u64().unwrap_or_else(|| panic!("{k}: {l}"));
        assert!(l["mean"].as_f64().unwrap() > 0.0, "{l}");
        assert!(
            at("p50") <= at("p99") && at("p99") <= at("p999") && at("p999") <= at("max"),
            "{l}"
        );
        let n = |k: &str| s[k].as_u64().unwrap();
        assert_eq!(n("assigned") + n("waited") + n("other"), 3000, "{s}");
        assert!((s["occupancy"].as_f64().unwrap() - 0.9).abs() < 0.05, "{s}");
        assert!(s["waiting"].as_f64().unwrap() >= 0.0, "{s}");
    }
    // What the decisions did depends on the seed, never on timing.
    let b = json(&stdout_of(&args));
    let counts = |v: &serde_json::Value| {
        v["sizes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                [
                    "agents",
                    "slots",
                    "assigned",
                    "waited",
                    "other",
                    "occupancy",
                    "waiting",
                ]
                .map(|k| s[k].to_string())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&a), counts(&b));
}

#[test]
fn bench_runs_every_bundled_scenario_it_can_scale() {
    for file in crate::support::tomls("scenarios") {
        let file = file.to_str().unwrap().to_string();
        let out = routesim()
            .args([
                "bench",
                &file,
                "--agents",
                "50",
                "--decisions",
                "500",
                "--quiet",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if file.ends_with("planner-week.toml") {
            // Its agents come from a roster file: refused, with the reason.
            assert_eq!(out.status.code(), Some(2), "{file}");
            assert!(
                stderr.contains("roster file, so --agents cannot scale it"),
                "{stderr}"
            );
            continue;
        }
        assert!(out.status.success(), "{file}: {stderr}");
        assert!(stderr.is_empty(), "{file}: --quiet, yet {stderr}");
    }
}

/// `--decisions` is bounded (unbounded, 2^64 - 1 ran until killed): past the limit is a usage
/// error, exit 2, before anything runs.
#[test]
fn bench_decisions_are_bounded() {
    routesim()
        .args(["bench", "scenarios/support-desk.toml", "--decisions"])
        .arg((routesim::corebench::MAX_DECISIONS + 1).to_string())
        .timeout(std::time::Duration::from_secs(10))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not in 1..=1000000000"));
}
