//! `routesim compare`: paired differences on common random numbers, held against Erlang C, an
//! A-vs-A comparison, and the fallback to unpaired intervals.

use std::path::PathBuf;

use crate::queueing::erlang_c;
use crate::support::{json, routesim};

/// An M/M/c desk: `agents` agents, Poisson arrivals at `rate` per second, exponential handling
/// with mean 60 s, no abandonment, one rule.
fn mmc(agents: u32, rate: f64) -> String {
    format!(
        r#"
[simulation]
duration = "8h"
warmup = "1h"
seed = 5
replications = 20
[report]
service_level = "20s"
[[teams]]
name = "q"
[[agents]]
name = "a"
count = {agents}
teams = ["q"]
[[traffic]]
name = "t"
rate = {rate}
handle_time = {{ dist = "exponential", mean = 60 }}
[[rules]]
name = "all"
route = [{{ team = "q" }}]
"#
    )
}

/// Writes the scenarios into a temporary folder (as a.toml, b.toml, ...), runs `compare` on
/// them with `args` and returns the JSON.
fn compare(texts: &[String], args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("temporary folder");
    let paths: Vec<PathBuf> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = dir
                .path()
                .join(format!("{}.toml", (b'a' + i as u8) as char));
            std::fs::write(&p, t).expect("writable");
            p
        })
        .collect();
    let out = routesim()
        .args(["compare", "--format", "json", "--quiet"])
        .args(&paths)
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    json(&out)
}

fn row<'a>(c: &'a serde_json::Value, scope: &str, figure: &str) -> &'a serde_json::Value {
    c["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == scope && r["figure"] == figure)
        .unwrap_or_else(|| panic!("no row {scope} {figure}"))
}

#[test]
fn one_more_agent_is_found_better_by_as_much_as_erlang_c_says() {
    // 8.5 erlangs on 10 agents, then on 11: the same customers in each replication.
    let rate = 8.5 / 60.0;
    let c = compare(&[mmc(10, rate), mmc(11, rate)], &[]);
    assert_eq!(c["paired"], true);
    let sl = row(&c, "overall", "service_level");
    let d = &sl["diffs"][0];
    let theory = |n: u32| {
        let gap = n as f64 / 60.0 - rate;
        1.0 - erlang_c(n, 8.5) * (-gap * 20.0).exp()
    };
    let want = theory(11) - theory(10);
    let (diff, ci) = (d["diff"].as_f64().unwrap(), d["ci95"].as_f64().unwrap());
    eprintln!("SL difference {diff:.4} ± {ci:.4}, Erlang C {want:.4}");
    assert_eq!(d["verdict"], "better");
    // Within the interval's own precision (four standard errors), and the run precise enough
    // for that to mean something.
    let se = ci / routesim::stats::t95(19);
    assert!(
        se < 0.1 * want,
        "run too short: se {se} for a difference of {want}"
    );
    assert!(
        (diff - want).abs() <= 4.0 * se,
        "{diff} vs {want} (se {se})"
    );
    // Pairing is what makes the interval narrow: the unpaired one is several times wider.
    let unpaired = d["unpaired_ci95"].as_f64().unwrap();
    assert!(ci * 2.0 < unpaired, "paired {ci} vs unpaired {unpaired}");
    // The mean wait falls too, and the extra agent costs nothing here (no costs given).
    assert_eq!(
        row(&c, "overall", "wait_mean")["diffs"][0]["verdict"],
        "better"
    );
    assert_eq!(
        row(&c, "overall", "occupancy")["diffs"][0]["verdict"],
        "lower"
    );
}

#[test]
fn a_scenario_against_itself_shows_no_difference() {
    let text = std::fs::read_to_string(crate::support::root().join("scenarios/support-desk.toml"))
        .unwrap();
    let c = compare(&[text.clone(), text], &["--replications", "4"]);
    assert_eq!(c["paired"], true);
    assert_eq!(c["replications"], 4);
    for r in c["rows"].as_array().unwrap() {
        let d = &r["diffs"][0];
        assert_eq!(r["values"][0], r["values"][1], "{r}");
        if !r["values"][0].is_null() {
            assert_eq!(d["diff"], 0.0, "{r}");
            assert_eq!(d["verdict"], "no_clear_difference", "{r}");
        }
    }
}

/// Service levels against different thresholds do not compare, and the JSON's warnings say
/// so (only the table had said it, under the rows): a script reading the verdicts would take
/// a looser threshold for a better desk.
#[test]
fn service_levels_of_other_thresholds_are_flagged_in_the_warnings() {
    let a = mmc(2, 1.5 / 60.0);
    let b = a.replace("service_level = \"20s\"", "service_level = \"5m\"");
    assert_ne!(a, b);
    let warned = |c: &serde_json::Value| {
        c["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("different thresholds"))
    };
    let c = compare(&[a.clone(), b], &["--replications", "3"]);
    assert!(warned(&c), "{}", c["warnings"]);
    assert!(!warned(&compare(&[a.clone(), a], &["--replications", "3"])));
}

/// Two files of one name are told apart by their folders, in the table's columns as in the
/// JSON; the same file given twice is numbered.
#[test]
fn files_of_one_name_are_told_apart() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for sub in ["old", "new"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        std::fs::write(dir.path().join(sub).join("desk.toml"), mmc(3, 1.0)).unwrap();
    }
    let files = ["old/desk.toml", "new/desk.toml", "old/desk.toml"];
    let run = |format: &str| {
        let out = routesim()
            .current_dir(dir.path())
            .args([
                "compare",
                "--quiet",
                "--replications",
                "2",
                "--format",
                format,
            ])
            .args(files)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let c = json(run("json").as_bytes());
    let names = ["old/desk.toml", "new/desk.toml", "old/desk.toml (2)"];
    assert_eq!(c["scenarios"], serde_json::json!(names));
    assert_eq!(c["rows"][0]["diffs"][0]["scenario"], "new/desk.toml");
    let table = run("table");
    let header = table.lines().find(|l| l.starts_with("figure")).unwrap();
    for name in names {
        assert!(header.contains(name), "{header}");
    }
}

#[test]
fn different_traffic_cannot_pair_and_says_so() {
    let c = compare(&[mmc(10, 0.14), mmc(10, 0.12)], &["--replications", "5"]);
    assert_eq!(c["paired"], false);
    assert!(
        c["unpaired_because"]
            .as_str()
            .unwrap()
            .contains("[[traffic]]"),
        "{c}"
    );
    let d = &row(&c, "overall", "service_level")["diffs"][0];
    assert_eq!(d["ci95"], d["unpaired_ci95"]);
    assert!(d["paired_ci95"].is_null());
}

#[test]
fn compare_needs_two_scenarios_and_two_replications() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.toml");
    std::fs::write(&a, mmc(3, 0.01)).unwrap();
    routesim()
        .args(["compare"])
        .arg(&a)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("FILE"));
    routesim()
        .args(["compare", "--replications", "1"])
        .args([&a, &a])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "a.toml has 1 replication: a confidence interval needs two or more",
        ));
}

#[test]
fn out_writes_the_csv_the_csv_format_prints_and_a_report() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
    std::fs::write(&a, mmc(10, 8.5 / 60.0)).unwrap();
    std::fs::write(&b, mmc(11, 8.5 / 60.0)).unwrap();
    let out = dir.path().join("results");
    let printed = routesim()
        .args([
            "compare",
            "--format",
            "csv",
            "--quiet",
            "--replications",
            "3",
        ])
        .args(["--duration", "2h", "--out"])
        .arg(&out)
        .args([&a, &b])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(std::fs::read(out.join("comparison.csv")).unwrap(), printed);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["comparison.csv", "report.html"]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("data-chart=\"compare-service-level\""));
    // --shard prints a part, so it takes no --out.
    routesim()
        .args(["compare", "--shard", "0/2", "--out"])
        .arg(&out)
        .args([&a, &b])
        .assert()
        .code(2);
}
