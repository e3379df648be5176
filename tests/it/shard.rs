//! `run --shard K/N` and `merge`: the merged report is byte for byte the one-machine report.

use std::ffi::OsString;
use std::path::Path;

use crate::support::{root, routesim};

/// Runs `routesim run scenario args` in `n` shards and merges them with `merge_args`; returns
/// the merged stdout.
fn sharded(scenario: &Path, n: u32, args: &[&str], merge_args: &[&str]) -> Vec<u8> {
    let mut cmd = vec!["run".into(), scenario.as_os_str().to_owned()];
    cmd.extend(args.iter().map(OsString::from));
    sharded_cmd(&cmd, n, merge_args)
}

/// Runs the command line `cmd` (any command that takes --shard) in `n` shards, last first,
/// in a temporary folder, and merges them with `merge_args`; returns the merged stdout.
fn sharded_cmd(cmd: &[OsString], n: u32, merge_args: &[&str]) -> Vec<u8> {
    let out = merged(cmd, n, merge_args);
    assert!(
        out.status.success(),
        "merge failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs the command line `cmd` in `n` shards and merges them with `merge_args`, whatever the
/// merge's exit code.
pub fn merged(cmd: &[OsString], n: u32, merge_args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = Vec::new();
    for k in (0..n).rev() {
        let mut with_shard = cmd.to_vec();
        with_shard.extend([
            "--quiet".into(),
            "--shard".into(),
            format!("{k}/{n}").into(),
        ]);
        let p = dir.path().join(format!("part-{k}.json"));
        std::fs::write(&p, stdout_of(&with_shard)).unwrap();
        parts.push(p);
    }
    routesim()
        .arg("merge")
        .args(&parts)
        .args(merge_args)
        .output()
        .unwrap()
}

/// The stdout of a successful command line.
fn stdout_of(cmd: &[OsString]) -> Vec<u8> {
    routesim()
        .args(cmd)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

/// A command line from its pieces.
fn line(parts: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    parts.iter().map(|p| p.as_ref().to_owned()).collect()
}

/// `staff` on `desk` for one target, one group varied, by the half hour.
fn staff_line(desk: &Path) -> Vec<OsString> {
    line(&[
        &"staff",
        &desk,
        &"--target",
        &"sl(20s) >= 0.8",
        &"--vary",
        &"a",
        &"--per-interval",
        &"30m",
    ])
}

fn one_machine(scenario: &Path, args: &[&str]) -> Vec<u8> {
    routesim()
        .arg("run")
        .arg(scenario)
        .args(args)
        .arg("--quiet")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

#[test]
fn merged_shards_print_exactly_what_one_machine_prints() {
    // The desk with intervals; the after-hours desk with ticket work.
    for (file, args) in [
        (
            "scenarios/support-desk.toml",
            vec!["--replications", "5", "--interval", "30m"],
        ),
        ("scenarios/after-hours.toml", vec!["--replications", "5"]),
    ] {
        let scenario = root().join(file);
        for format in ["json", "table"] {
            let mut run_args = args.clone();
            run_args.extend(["--format", format]);
            let want = one_machine(&scenario, &run_args);
            for n in [1, 2, 5] {
                let got = sharded(&scenario, n, &args, &["--format", format]);
                assert!(
                    got == want,
                    "{file} in {n} shards ({format}) differs from one machine:\n{}",
                    crate::support::diff(
                        &String::from_utf8_lossy(&want),
                        &String::from_utf8_lossy(&got)
                    )
                );
            }
        }
    }
}

#[test]
fn merge_writes_the_summary_files_of_a_run() {
    let scenario = root().join("scenarios/support-desk.toml");
    let dir = tempfile::tempdir().unwrap();
    let (one, merged) = (dir.path().join("one"), dir.path().join("merged"));
    routesim()
        .arg("run")
        .arg(&scenario)
        .args([
            "--replications",
            "4",
            "--interval",
            "30m",
            "--quiet",
            "--out",
        ])
        .arg(&one)
        .assert()
        .success();
    sharded(
        &scenario,
        2,
        &["--replications", "4", "--interval", "30m"],
        &["--quiet", "--out", merged.to_str().unwrap()],
    );
    for f in [
        "summary.json",
        "teams.csv",
        "agents.csv",
        "intervals.csv",
        "report.html",
    ] {
        assert_eq!(
            std::fs::read(one.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(!merged.join("chats.csv").exists());
}

#[test]
fn the_shard_comes_from_the_scheduler_when_k_is_left_out() {
    let scenario = root().join("scenarios/support-desk.toml");
    let by_flag = routesim()
        .arg("run")
        .arg(&scenario)
        .args(["--replications", "3", "--shard", "1/3", "--quiet"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    for var in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
        let by_env = routesim()
            .arg("run")
            .arg(&scenario)
            .args(["--replications", "3", "--shard", "3", "--quiet"])
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .env(var, "1")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert!(by_env == by_flag, "{var}");
    }
}

#[test]
fn parts_that_do_not_make_one_run_are_refused() {
    let scenario = root().join("scenarios/support-desk.toml");
    let dir = tempfile::tempdir().unwrap();
    let part = |k: u32, n: u32, seed: &str| {
        let out = routesim()
            .arg("run")
            .arg(&scenario)
            .args(["--replications", "4", "--seed", seed, "--quiet"])
            .args(["--shard", &format!("{k}/{n}")])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let p = dir.path().join(format!("p{k}-{n}-{seed}.json"));
        std::fs::write(&p, out).unwrap();
        p
    };
    let (a0, a1, b1) = (part(0, 2, "1"), part(1, 2, "1"), part(1, 2, "2"));
    let merge = |ps: &[&Path]| routesim().arg("merge").args(ps).assert();
    merge(&[&a0])
        .code(2)
        .stderr(predicates::str::contains("shards missing: 1 (of 2)"));
    // The messages name the files, not only the shard numbers.
    let (n0, n1) = (a0.display().to_string(), b1.display().to_string());
    merge(&[&a0, &a0])
        .code(2)
        .stderr(predicates::str::contains(format!(
            "a shard is given more than once: 0 ({n0}, {n0})"
        )));
    merge(&[&a0, &b1])
        .code(2)
        .stderr(predicates::str::contains(format!(
            "shard 1 of 2 ({n1}) ran other options than shard 0 of 2 ({n0})"
        )));
    merge(&[&a0, &a1]).success();
    // A part another version wrote (without a digest, as versions before it): merged, with a
    // warning that names its file.
    let older = dir.path().join("older.json");
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&a1).unwrap()).unwrap();
    value.as_object_mut().unwrap().remove("digest").unwrap();
    let text = serde_json::to_string_pretty(&value).unwrap();
    let version = format!("\"routesim\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "{}", &text[..200.min(text.len())]);
    std::fs::write(
        &older,
        text.replacen(&version, "\"routesim\": \"0.0.9\"", 1),
    )
    .unwrap();
    merge(&[&a0, &older])
        .success()
        .stderr(predicates::str::contains(format!(
            "warning: shard 1 of 2 ({}) was written by routesim 0.0.9",
            older.display()
        )))
        .stderr(predicates::str::contains(format!(
            "warning: shard 1 of 2 ({}) has no digest, so an edit since the shard wrote it cannot be told",
            older.display()
        )));
    // Any other JSON, with a `digest` or not, is no partial result (not a damaged one).
    let junk = dir.path().join("junk.json");
    for text in ["{}", r#"{"name": "x", "digest": "abc"}"#] {
        std::fs::write(&junk, text).unwrap();
        merge(&[&junk])
            .code(2)
            .stderr(predicates::str::contains("not a routesim partial result"));
    }
    routesim()
        .arg("run")
        .arg(&scenario)
        .args(["--shard", "2/2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("must be below N"));
}

/// The data files a scenario reads are part of what a shard ran: a roster, forecast or
/// replayed log changed between two shards (or before the merge) had merged silently into a
/// report of neither (answered 55 where one machine gives 27).
#[test]
fn parts_run_on_other_data_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in [
        "planner-week.toml",
        "replay-tuesday.toml",
        "replay-tuesday.csv",
    ] {
        std::fs::copy(root().join("scenarios").join(name), d.join(name)).unwrap();
    }
    for name in ["planner-week-forecast.csv", "planner-week-weekend.csv"] {
        std::fs::copy(root().join("scenarios").join(name), d.join(name)).unwrap();
    }
    let shard = |scenario: &str, k: u32| {
        let out = routesim()
            .current_dir(d)
            .args(["run", scenario, "--replications", "2", "--duration", "4h"])
            .args(["--quiet", "--shard", &format!("{k}/2")])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let p = d.join(format!("{scenario}.{k}.json"));
        std::fs::write(&p, out).unwrap();
        p
    };
    let merge = |ps: &[&Path]| routesim().current_dir(d).arg("merge").args(ps).assert();
    for (scenario, data) in [
        ("planner-week.toml", "planner-week-forecast.csv"),
        ("planner-week.toml", "planner-week-weekend.csv"),
        ("replay-tuesday.toml", "replay-tuesday.csv"),
    ] {
        let original = std::fs::read_to_string(d.join(data)).unwrap();
        let p0 = shard(scenario, 0);
        // The file is edited between the shards (a blank line at its end, which reads the
        // same): the parts differ in what they ran, by the file's bytes.
        let edited = format!("{original}\n");
        std::fs::write(d.join(data), &edited).unwrap();
        let p1 = shard(scenario, 1);
        merge(&[&p0, &p1])
            .code(2)
            .stderr(predicates::str::contains("ran other options than"));
        // Both shards on the edited file merge; once the file changes again they do not.
        let p0 = shard(scenario, 0);
        merge(&[&p0, &p1]).success();
        std::fs::write(d.join(data), &original).unwrap();
        merge(&[&p0, &p1])
            .code(2)
            .stderr(predicates::str::contains(format!(
                "{scenario} or a data file it reads ("
            )))
            .stderr(predicates::str::contains(data))
            .stderr(predicates::str::contains(") changed since the shards ran"));
    }
}

#[test]
fn a_sweep_in_shards_merges_into_the_one_machine_sweep() {
    let scenario = root().join("scenarios/support-desk.toml");
    let sweep = line(&[
        &"sweep",
        &scenario,
        &"--set",
        &"agents.early.count=6..10",
        &"--set",
        &"agents.late.count=7,8",
        &"--replications",
        &"3",
    ]);
    for format in ["json", "csv", "table"] {
        let mut one = sweep.clone();
        one.extend(line(&[&"--quiet", &"--format", &format]));
        let want = stdout_of(&one);
        for n in [1u32, 2, 5] {
            let got = sharded_cmd(&sweep, n, &["--format", format]);
            assert!(got == want, "sweep in {n} shards, {format}");
        }
    }
    // merge --out writes the one machine's set: sweep.csv and report.html.
    let dir = tempfile::tempdir().unwrap();
    let (one, merged) = (dir.path().join("one"), dir.path().join("merged"));
    let mut with_out = sweep.clone();
    with_out.extend(line(&[&"--quiet", &"--out", &one]));
    stdout_of(&with_out);
    sharded_cmd(&sweep, 2, &["--quiet", "--out", merged.to_str().unwrap()]);
    for f in ["sweep.csv", "report.html"] {
        assert!(
            std::fs::read(one.join(f)).unwrap() == std::fs::read(merged.join(f)).unwrap(),
            "{f}"
        );
    }
    // A run's part and a sweep's do not merge together; a grid of 10 points has no 11th shard.
    let dir = tempfile::tempdir().unwrap();
    let (run_part, sweep_part) = (dir.path().join("run.json"), dir.path().join("sweep.json"));
    let run = line(&[
        &"run",
        &scenario,
        &"--replications",
        &"2",
        &"--shard",
        &"0/1",
        &"--quiet",
    ]);
    std::fs::write(&run_part, stdout_of(&run)).unwrap();
    let mut one_shard = sweep.clone();
    one_shard.extend(line(&[&"--shard", &"0/1", &"--quiet"]));
    std::fs::write(&sweep_part, stdout_of(&one_shard)).unwrap();
    routesim()
        .arg("merge")
        .args([&run_part, &sweep_part])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "mix the shards of different commands (run, sweep)",
        ));
    routesim()
        .args(&sweep)
        .args(["--shard", "0/11"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "a grid of 10 points cannot be split into 11 shards",
        ));
}

#[test]
fn a_comparison_in_shards_merges_into_the_one_machine_comparison() {
    let a = root().join("scenarios/support-desk.toml");
    let dir = tempfile::tempdir().unwrap();
    // The same desk with one more early agent: paired, a real difference. Its file has the
    // first one's name, so the merge must name the two apart as one machine does.
    let b = dir.path().join("support-desk.toml");
    let text = std::fs::read_to_string(&a).unwrap();
    std::fs::write(&b, text.replacen("count = 8", "count = 9", 1)).unwrap();
    let compare = line(&[&"compare", &a, &b, &"--replications", &"5"]);
    for format in ["json", "csv", "table"] {
        let mut one = compare.clone();
        one.extend(line(&[&"--quiet", &"--format", &format]));
        let want = stdout_of(&one);
        if format == "json" {
            let names = crate::support::json(&want)["scenarios"].clone();
            let tmp = dir.path().file_name().unwrap().to_str().unwrap();
            let b_name = format!("{tmp}/support-desk.toml");
            assert_eq!(
                names,
                serde_json::json!(["scenarios/support-desk.toml", b_name])
            );
        }
        for n in [2u32, 5] {
            let got = sharded_cmd(&compare, n, &["--format", format]);
            assert!(got == want, "compare in {n} shards, {format}");
        }
    }
    // merge --out writes the one machine's set: comparison.csv and report.html.
    let (one, merged) = (dir.path().join("one"), dir.path().join("merged"));
    let mut with_out = compare.clone();
    with_out.extend(line(&[&"--quiet", &"--out", &one]));
    stdout_of(&with_out);
    sharded_cmd(&compare, 2, &["--quiet", "--out", merged.to_str().unwrap()]);
    for f in ["comparison.csv", "report.html"] {
        assert!(
            std::fs::read(one.join(f)).unwrap() == std::fs::read(merged.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn a_requirement_curve_in_shards_merges_into_the_one_machine_curve() {
    let dir = tempfile::tempdir().unwrap();
    let desk = dir.path().join("day.toml");
    std::fs::write(&desk, crate::staff::DAY).unwrap();
    let staff = staff_line(&desk);
    let mut one = staff.clone();
    one.extend(line(&[&"--quiet", &"--format", &"json"]));
    let want = stdout_of(&one);
    let got = sharded_cmd(&staff, 3, &["--format", "json"]);
    assert!(got == want, "the merged curve differs from one machine's");
}

/// `--scale` is recorded in every kind of partial: the merge compiles the scenario at the
/// shards' scale, as one machine does (it had merged at scale 1, which turned a staffing's
/// failed check into a pass; found by a fuzzing helper), and parts of another scale are
/// refused.
#[test]
fn shards_keep_their_scale() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join("day.toml");
    std::fs::write(&day, crate::staff::DAY).unwrap();
    let desk = root().join("scenarios/support-desk.toml");
    let short = [
        &"--replications" as &dyn AsRef<std::ffi::OsStr>,
        &"4",
        &"--duration",
        &"2h",
    ];
    let with = |head: &[&dyn AsRef<std::ffi::OsStr>], tail: &[&dyn AsRef<std::ffi::OsStr>]| {
        line(&[head, tail].concat())
    };
    let mut staff = staff_line(&day);
    staff.extend(line(&[&"--scale", &"1.5"]));
    let commands = [
        with(&[&"run", &desk, &"--scale", &"2"], &short),
        with(
            &[
                &"sweep",
                &desk,
                &"--set",
                &"agents.early.count=7,8",
                &"--scale",
                &"2",
            ],
            &short,
        ),
        with(&[&"compare", &desk, &desk, &"--scale", &"2"], &short),
        staff,
    ];
    for cmd in &commands {
        let mut one = cmd.clone();
        one.extend(line(&[&"--quiet", &"--format", &"json"]));
        let want = stdout_of(&one);
        let got = sharded_cmd(cmd, 2, &["--format", "json"]);
        assert!(got == want, "{cmd:?}: the merge differs from one machine's");
    }
    // A part of another scale does not merge.
    let part = |k: u32, scale: &[&str]| {
        let mut cmd = with(&[&"run", &desk, &"--quiet"], &short);
        cmd.extend(line(&[&"--shard", &format!("{k}/2")]));
        cmd.extend(scale.iter().map(OsString::from));
        let p = dir.path().join(format!("part-{k}.json"));
        std::fs::write(&p, stdout_of(&cmd)).unwrap();
        p
    };
    let (a, b) = (part(0, &["--scale", "2"]), part(1, &[]));
    routesim()
        .arg("merge")
        .args([&a, &b])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("ran other options"));
}

/// A partial records its scenario's path as text: a path that is not UTF-8 is refused with
/// exit 2 before anything runs, by every command that shards (it had panicked).
#[test]
fn a_shard_of_a_path_that_is_not_utf8_is_refused() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let desk = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"desk\xff.toml"));
    std::fs::copy(root().join("scenarios/support-desk.toml"), &desk).unwrap();
    let day = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"day\xff.toml"));
    std::fs::write(&day, crate::staff::DAY).unwrap();
    let commands = [
        line(&[&"run", &desk]),
        line(&[&"sweep", &desk, &"--set", &"agents.early.count=7,8"]),
        line(&[&"compare", &desk, &desk]),
        staff_line(&day),
    ];
    for cmd in commands {
        routesim()
            .args(&cmd)
            .args(["--quiet", "--shard", "0/1"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("this path is not UTF-8"));
    }
}

/// Parts whose JSON reads but whose contents no shard could have written are refused with exit
/// 2, never a panic or an allocation as large as a number in them (each case found by a
/// fuzzing helper): a figure of 1e308 (an interval's too), a sweep row without its axis
/// values, a staffing interval without its group or with four billion agents, a shard count of
/// four billion, figures of another shape than the scenario's (teams, agents, scenarios,
/// warnings).
#[test]
fn damaged_parts_are_refused_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let desk = dir.path().join("day.toml");
    std::fs::write(&desk, crate::staff::DAY).unwrap();
    let scenario = root().join("scenarios/support-desk.toml");
    let part = |cmd: Vec<OsString>| -> serde_json::Value {
        let mut cmd = cmd;
        cmd.extend(line(&[&"--quiet", &"--shard", &"0/1"]));
        serde_json::from_slice(&stdout_of(&cmd)).unwrap()
    };
    let run_part = |extra: &[&str]| {
        let mut cmd = line(&[
            &"run",
            &scenario,
            &"--replications",
            &"2",
            &"--duration",
            &"2h",
        ]);
        cmd.extend(extra.iter().map(OsString::from));
        part(cmd)
    };
    let run = run_part(&[]);
    let sweep = part(line(&[
        &"sweep",
        &scenario,
        &"--set",
        &"agents.early.count=7,8",
        &"--replications",
        &"2",
        &"--duration",
        &"2h",
    ]));
    let compare = part(line(&[
        &"compare",
        &scenario,
        &scenario,
        &"--replications",
        &"2",
        &"--duration",
        &"2h",
    ]));
    let staff = part(staff_line(&desk));
    let by_interval = run_part(&["--interval", "30m"]);
    // Each edit below is refused by the part's digest (`edits_are_refused_by_the_digest`); without
    // one, as in a part an older version wrote, by the merge's own checks.
    let damaged = |mut v: serde_json::Value, pointer: &str, to: serde_json::Value, says: &str| {
        v.as_object_mut().unwrap().remove("digest").unwrap();
        *v.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}")) = to;
        let p = dir.path().join("damaged.json");
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        routesim()
            .arg("merge")
            .arg(&p)
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(says));
    };
    use serde_json::json;
    damaged(
        run.clone(),
        "/part/figures/1/overall/escalated",
        json!(1e308),
        "a damaged partial result: a replication's figures",
    );
    // An interval's figure of 1e308 overflowed the confidence interval and panicked.
    damaged(
        by_interval,
        "/part/interval_figures/1/0/offered",
        json!(1e308),
        "a damaged partial result: a replication's figures",
    );
    damaged(
        run.clone(),
        "/of",
        json!(u32::MAX),
        "and 4294967284 more (of 4294967295)",
    );
    damaged(
        sweep.clone(),
        "/done/rows/0/values",
        json!([]),
        "a damaged partial result: a point's row",
    );
    // Figures of another shape than the scenario's: each had panicked.
    let shape = "its figures do not have the scenario's teams, rules, agents or channels";
    damaged(run.clone(), "/part/figures/0/teams", json!([]), shape);
    damaged(
        run.clone(),
        "/part/collector/agents/times",
        json!([]),
        shape,
    );
    let mut teams = run["part"]["collector"]["teams"]
        .as_array()
        .unwrap()
        .clone();
    teams.push(teams[0].clone());
    damaged(run.clone(), "/part/collector/teams", json!(teams), shape);
    damaged(
        compare.clone(),
        "/parts/0/figures/0/agents",
        json!([]),
        shape,
    );
    let first = compare["parts"][0].clone();
    damaged(
        compare,
        "/parts",
        json!([first]),
        "parts of another number of scenarios",
    );
    let mut warnings = sweep["done"]["warnings"].as_array().unwrap().clone();
    warnings.push(warnings[0].clone());
    damaged(
        sweep,
        "/done/warnings",
        json!(warnings),
        "a point's row or warnings do not match the grid",
    );
    damaged(
        staff.clone(),
        "/needs/intervals/0/agents",
        json!([]),
        "a damaged partial result: an interval's requirement",
    );
    damaged(
        staff,
        "/needs/intervals/0/agents",
        json!([4_000_000_000u64]),
        "a damaged partial result: an interval's requirement",
    );
}

/// A part changed after its shard wrote it is refused by its digest, whatever the change: a
/// count edited to 2^64 - 1 had wrapped in the merge's sum and printed wrong figures with exit
/// 0. A part written again in another layout (keys reordered, whitespace changed, as a JSON tool
/// may) keeps its digest and merges to the same report.
#[test]
fn edits_are_refused_by_the_digest() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/support-desk.toml");
    let cmd = line(&[
        &"run",
        &scenario,
        &"--replications",
        &"2",
        &"--duration",
        &"2h",
        &"--quiet",
        &"--shard",
        &"0/1",
    ]);
    let text = stdout_of(&cmd);
    let part: serde_json::Value = serde_json::from_slice(&text).unwrap();
    assert!(part["digest"].is_string(), "a shard writes a digest");
    let merge = |v: &serde_json::Value, name: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
        routesim()
            .arg("merge")
            .arg(&p)
            .arg("--format")
            .arg("json")
            .assert()
    };
    let as_written = dir.path().join("as-written.json");
    std::fs::write(&as_written, &text).unwrap();
    let report = routesim()
        .arg("merge")
        .arg(&as_written)
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    // Compact, keys sorted: the same contents, the same digest, the same report.
    merge(&part, "compact.json")
        .success()
        .stdout(report.clone());
    // Integral numbers written without their `.0`, as jq 1.6 writes them: the same values.
    fn integral(v: &mut serde_json::Value) -> usize {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => {
                let x = n.as_f64().unwrap();
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    *v = serde_json::json!(x as i64);
                    return 1;
                }
                0
            }
            serde_json::Value::Array(a) => a.iter_mut().map(integral).sum(),
            serde_json::Value::Object(o) => o.values_mut().map(integral).sum(),
            _ => 0,
        }
    }
    let mut plain = part.clone();
    assert!(
        integral(&mut plain) > 10,
        "the case: floats written as integers"
    );
    merge(&plain, "plain.json").success().stdout(report);
    let says = "a damaged partial result: its contents changed after the shard wrote it";
    let offered = "/part/collector/overall/offered";
    assert!(
        part.pointer(offered).is_some_and(|v| v.is_u64()),
        "{offered}"
    );
    for (pointer, to) in [
        (offered, serde_json::json!(u64::MAX)),
        (
            offered,
            serde_json::json!(part.pointer(offered).unwrap().as_u64().unwrap() + 1),
        ),
        ("/part/figures/0/overall/offered", serde_json::json!(0.0)),
        ("/routesim", serde_json::json!("0.0.9")),
        ("/digest", serde_json::json!("0000000000000000")),
    ] {
        let mut v = part.clone();
        *v.pointer_mut(pointer).unwrap() = to;
        merge(&v, "edited.json")
            .code(2)
            .stderr(predicates::str::contains(says));
    }
}

/// Totals past `u64::MAX` (ten years of chats that each spend 3,000 days with a bot: 3 × 10^19
/// ticks of bot time) are written as text: the shard had failed to write its part (exit 3),
/// and before the digest a part holding such a total as a float could not be merged.
#[test]
fn totals_past_u64_shard_and_merge_as_one_machine_runs() {
    let dir = tempfile::tempdir().unwrap();
    let desk = dir.path().join("bots.toml");
    std::fs::write(
        &desk,
        r#"
[simulation]
duration = "3650d"
[[teams]]
name = "support"
[[agents]]
name = "a"
teams = ["support"]
[[traffic]]
name = "web"
rate = "20/h"
handle_time = "1s"
bot = { duration = "3000d", resolves = 1.0 }
[[rules]]
name = "all"
route = [{ team = "support" }]
"#,
    )
    .unwrap();
    let part: serde_json::Value = serde_json::from_slice(&stdout_of(&line(&[
        &"run", &desk, &"--quiet", &"--shard", &"0/1",
    ])))
    .unwrap();
    let total = part.pointer("/part/collector/bot_time").unwrap();
    let wide: u128 = total.as_str().expect("written as text").parse().unwrap();
    assert!(wide > u64::MAX as u128, "{wide}");
    assert_eq!(
        sharded(&desk, 1, &[], &["--format", "json"]),
        one_machine(&desk, &["--format", "json"])
    );
}
