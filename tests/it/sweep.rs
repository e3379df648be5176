//! `routesim sweep`: rows that are `run`'s figures at each point, held against Erlang C, the
//! grid's order, output that does not depend on the threads, `--out`, and bad sets reported
//! before anything runs.

use std::path::{Path, PathBuf};

use crate::queueing::erlang_c;
use crate::support::{json, root, routesim, run_text};

/// One team, one rule, Poisson arrivals of 8.5 erlangs, exponential handling of 60 s and no
/// abandonment: M/M/c with c = `agents`.
fn mmc(agents: u32) -> String {
    format!(
        r#"
[simulation]
duration = "8h"
warmup = "1h"
seed = 11
replications = 10
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
"#,
        rate = 8.5 / 60.0
    )
}

/// Writes `text` as desk.toml in a fresh folder, which the caller keeps alive.
fn desk(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("desk.toml");
    std::fs::write(&path, text).expect("writable");
    (dir, path)
}

/// `routesim sweep FILE --quiet ARGS`.
fn sweep(file: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    routesim()
        .arg("sweep")
        .arg(file)
        .arg("--quiet")
        .args(args)
        .assert()
}

fn stdout(a: assert_cmd::assert::Assert) -> Vec<u8> {
    a.success().get_output().stdout.clone()
}

#[test]
fn each_row_is_what_run_reports_for_that_count_and_agrees_with_erlang_c() {
    let (_dir, file) = desk(&mmc(9));
    let s = json(&stdout(sweep(
        &file,
        &["--set", "agents.a.count=9..13", "--format", "json"],
    )));
    assert_eq!(s["axes"][0]["path"], "agents.a.count");
    assert_eq!(
        s["axes"][0]["values"],
        serde_json::json!(["9", "10", "11", "12", "13"])
    );
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let mut last = 0.0;
    for (row, agents) in rows.iter().zip(9u32..) {
        assert_eq!(row["values"], serde_json::json!([agents.to_string()]));
        // `run` on a file that says count = N, the same seed: the same figures, to the bit.
        let run = run_text(&mmc(agents), &[]);
        let o = &run["overall"];
        let ci = &run["ci95"]["overall"];
        for (figure, value, half) in [
            ("service_level", &o["service_level"], &ci["service_level"]),
            ("abandon_rate", &o["abandon_rate"], &ci["abandon_rate"]),
            ("wait_mean", &o["wait"]["mean"], &ci["wait"]["mean"]),
            ("wait_p90", &o["wait"]["p90"], &ci["wait"]["p90"]),
            ("wait_p95", &o["wait"]["p95"], &ci["wait"]["p95"]),
        ] {
            assert_eq!(&row[figure]["value"], value, "{agents} agents: {figure}");
            assert_eq!(&row[figure]["ci95"], half, "{agents} agents: {figure} ci95");
        }
        // Occupancy pooled over the agents from run's own per-agent figures (one slot each).
        let agents_json = run["agents"].as_array().unwrap();
        let busy: f64 = agents_json
            .iter()
            .map(|a| a["occupancy"].as_f64().unwrap() * a["on_shift_hours"].as_f64().unwrap())
            .sum();
        let hours: f64 = agents_json
            .iter()
            .map(|a| a["on_shift_hours"].as_f64().unwrap())
            .sum();
        let occupancy = row["occupancy"]["value"].as_f64().unwrap();
        assert!((occupancy - busy / hours).abs() < 1e-12, "{agents} agents");
        // No costs given: none to pay, at every replication.
        assert_eq!(row["staffing_cost"]["value"], 0.0);
        assert_eq!(row["staffing_cost"]["ci95"], 0.0);

        // Erlang C: P(wait <= 20 s) = 1 - C(c, a) e^{-(c - a) 20 / 60}, within four standard
        // errors of the replications' spread.
        let sl = row["service_level"]["value"].as_f64().unwrap();
        let half = row["service_level"]["ci95"].as_f64().unwrap();
        let want = 1.0 - erlang_c(agents, 8.5) * (-(agents as f64 - 8.5) * 20.0 / 60.0).exp();
        let se = half / routesim::stats::t95(9);
        eprintln!("{agents} agents: SL {sl:.4} ± {half:.4}, Erlang C {want:.4}");
        assert!(
            (sl - want).abs() <= 4.0 * se,
            "{agents}: {sl} vs {want} (se {se})"
        );
        // More agents, better service, on the same customers.
        assert!(sl > last, "{agents} agents: {sl} after {last}");
        last = sl;
    }
    assert_eq!(s["seed"], 11);
    assert_eq!(s["replications"], 10);
}

#[test]
fn the_grid_runs_every_combination_with_the_last_set_fastest() {
    let (_dir, file) = desk(&mmc(10));
    let args = |sets: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = sets
            .iter()
            .flat_map(|s| ["--set".into(), s.to_string()])
            .collect();
        a.extend([
            "--format".into(),
            "json".into(),
            "--replications".into(),
            "3".into(),
        ]);
        a
    };
    let run = |sets: &[&str]| {
        let a = args(sets);
        json(&stdout(sweep(
            &file,
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        )))
    };
    let grid = run(&["agents.a.count=10,12", "report.service_level=10s,40s,20s"]);
    let rows = grid["rows"].as_array().unwrap();
    let points: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["values"][0].as_str().unwrap().to_string(),
                r["values"][1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("10", "10s"),
        ("10", "40s"),
        ("10", "20s"),
        ("12", "10s"),
        ("12", "40s"),
        ("12", "20s"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(points, want);
    // Each row holds its own point's figures: the same as that point swept alone.
    for r in rows {
        let count = format!("agents.a.count={}", r["values"][0].as_str().unwrap());
        let sl = format!("report.service_level={}", r["values"][1].as_str().unwrap());
        let alone = run(&[&count, &sl]);
        assert_eq!(&alone["rows"][0], r, "{count} {sl}");
    }
    let threshold = |i: usize| rows[i]["service_level_threshold"].as_f64().unwrap();
    assert_eq!(
        (threshold(0), threshold(1), threshold(2)),
        (10.0, 40.0, 20.0)
    );
    // A longer threshold counts more chats as answered in time, on the same customers.
    let sl = |i: usize| rows[i]["service_level"]["value"].as_f64().unwrap();
    assert!(
        sl(0) < sl(2) && sl(2) < sl(1),
        "{} {} {}",
        sl(0),
        sl(2),
        sl(1)
    );
}

#[test]
fn output_is_byte_identical_whatever_the_thread_count() {
    let file = root().join("scenarios/support-desk.toml");
    for format in ["json", "table", "csv"] {
        let with = |threads: &str| {
            stdout(sweep(
                &file,
                &[
                    "--set",
                    "agents.early.count=7,8",
                    "--set",
                    "rules.support and billing.route[0].timeout=60s,2m",
                    "--replications",
                    "3",
                    "--format",
                    format,
                    "--threads",
                    threads,
                ],
            ))
        };
        let one = with("1");
        assert!(!one.is_empty());
        assert_eq!(one, with("2"), "{format}");
        assert_eq!(one, with("0"), "{format}");
    }
}

#[test]
fn out_writes_sweep_csv_as_the_csv_format_prints_it() {
    let (dir, file) = desk(&mmc(10));
    let out = dir.path().join("results");
    let args = [
        "--set",
        "agents.a.count=10,11",
        "--replications",
        "3",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ];
    let printed = stdout(sweep(&file, &args));
    let written = std::fs::read(out.join("sweep.csv")).unwrap();
    assert_eq!(printed, written);
    let text = String::from_utf8(written).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(
            "agents.a.count,service_level_threshold,service_level,service_level_ci95,"
        ),
        "{text}"
    );
    assert!(
        lines[1].starts_with("10,20,") && lines[2].starts_with("11,20,"),
        "{text}"
    );
    // The folder holds the set and nothing else; a second sweep replaces it.
    let names = || {
        let mut n: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(), ["report.html", "sweep.csv"]);
    stdout(sweep(&file, &args));
    assert_eq!(names(), ["report.html", "sweep.csv"]);
    let beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
}

#[test]
fn bad_sets_are_errors_that_name_the_path_before_anything_runs() {
    let (dir, file) = desk(&mmc(10));
    let out = dir.path().join("never");
    // (sets, what stderr must say)
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["agents.a.colour=1"],
            &[
                "--set agents.a.colour: no such setting",
                "agents.NAME.count",
            ],
        ),
        (
            &["nonsense=1"],
            &[
                "--set nonsense: no such setting",
                "settable paths: simulation.seed",
            ],
        ),
        (
            &["agents.b.count=1..3"],
            &[
                "--set agents.b.count: no single [[agents]] entry named \"b\"",
                "hint: agent groups: a",
            ],
        ),
        // The bad value is at the fifth point of six: every point is compiled before any runs.
        (
            &["agents.a.count=2,1,0", "simulation.seed=1,2"],
            &["agents[0].count (set by --set agents.a.count=0): count must be at least 1"],
        ),
        (
            &["agents.a.count=12..10"],
            &[
                "invalid value 'agents.a.count=12..10' for '--set <PATH=VALUES>'",
                "the range \"12..10\" is empty",
            ],
        ),
        (
            &["rules.all.route[0].timeout=1m"],
            &[
                "rules[0].route[0].timeout (set by --set rules.all.route[0].timeout=1m): the last step has no next step",
            ],
        ),
        (
            &["agents.a.count=1,2", "agents.a.count=3"],
            &["--set agents.a.count: the path is given twice"],
        ),
        (
            &["agents.a.count=1..100", "simulation.seed=1..101"],
            &["the grid has 100 x 101 points; a sweep runs at most 10000"],
        ),
    ];
    for (sets, needles) in cases {
        let mut args: Vec<&str> = sets.iter().flat_map(|s| ["--set", s]).collect();
        args.extend(["--out", out.to_str().unwrap()]);
        let got = sweep(&file, &args).code(2).get_output().clone();
        assert!(got.stdout.is_empty(), "{sets:?}");
        let err = String::from_utf8(got.stderr).unwrap();
        for n in *needles {
            assert!(err.contains(n), "{sets:?}: {err}");
        }
        assert!(!out.exists(), "{sets:?}: the --out folder was made");
    }
}

/// `--set` reads a value as the file does: a seed past `i64::MAX` (a TOML integer's range)
/// runs the desk `--seed` runs, where it was once refused as text. One past `u64::MAX` gets the
/// file's own message.
#[test]
fn a_seed_past_i64_is_read_as_the_file_reads_it() {
    let (_dir, file) = desk(&mmc(10));
    let seed = "18446744073709551615";
    let set = format!("simulation.seed={seed}");
    let s = json(&stdout(sweep(&file, &["--set", &set, "--format", "json"])));
    assert_eq!(s["rows"][0]["values"][0], seed);
    let run = routesim()
        .args(["run", file.to_str().unwrap(), "--quiet", "--format", "json"])
        .args(["--seed", seed])
        .output()
        .unwrap();
    assert!(run.status.success());
    assert_eq!(
        s["rows"][0]["service_level"]["value"],
        json(&run.stdout)["overall"]["service_level"]
    );
    // Digits TOML cannot read as a number (a leading zero) are still read as text, as before.
    let s = json(&stdout(sweep(
        &file,
        &["--set", "simulation.warmup=0600", "--format", "json"],
    )));
    assert_eq!(s["rows"][0]["values"][0], "0600");
    let same = json(&stdout(sweep(
        &file,
        &["--set", "simulation.warmup=600", "--format", "json"],
    )));
    assert_eq!(
        s["rows"][0]["service_level"],
        same["rows"][0]["service_level"]
    );
    let err = sweep(&file, &["--set", "simulation.seed=18446744073709551616"])
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(
        err.contains("integer `18446744073709551616` as i128, expected u64"),
        "{err}"
    );
}

#[test]
fn a_bad_set_reads_exactly_so() {
    // The full message, as a user sees it, for the commonest mistakes (file, key, flag, hint).
    let file = "scenarios/support-desk.toml";
    let cases: &[(&str, &str)] = &[
        (
            "agents.support.count=8..16",
            "error: scenarios/support-desk.toml: --set agents.support.count: no single [[agents]] entry named \"support\"\n  hint: agent groups: early, late, seller, lead\n",
        ),
        (
            "agents.early.count=0..2",
            "error: scenarios/support-desk.toml: agents[0].count (set by --set agents.early.count=0): count must be at least 1\n",
        ),
        (
            "teams.support.strategy=fastest",
            "error: scenarios/support-desk.toml: teams[0].strategy (set by --set teams.support.strategy=fastest): unknown variant `fastest`, expected one of `least_busy`, `longest_idle`, `round_robin`, `random`, `most_skilled`, `cheapest`\n",
        ),
        (
            "traffic.whatsapp.patience.mean=5m",
            "error: scenarios/support-desk.toml: traffic[1].patience (set by --set traffic.whatsapp.patience.mean=5m): a uniform distribution has no mean to set; set the whole distribution instead, such as traffic.NAME.patience={ dist = \"exponential\", mean = \"4m\" }\n",
        ),
    ];
    for (set, want) in cases {
        let got = routesim()
            .args(["sweep", file, "--set", set])
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        assert_eq!(String::from_utf8(got).unwrap(), *want, "{set}");
    }
}

#[test]
fn a_sweep_needs_two_replications_for_its_intervals() {
    let (_dir, file) = desk(&mmc(10));
    sweep(
        &file,
        &["--set", "agents.a.count=10,11", "--replications", "1"],
    )
    .code(2)
    .stderr(predicates::str::contains(
        "1 replication at agents.a.count=10: a confidence interval needs two or more",
    ));
}
