//! Faults around the process: stdout that is a closed pipe or a full disk, stderr that cannot
//! be written. A closed pipe is success (the reader took what it wanted); any other failure to
//! write the output is exit 3 with a message, never a panic and never a silent exit 0.

use std::fs::OpenOptions;
use std::process::{Command, Stdio};

use crate::support::root;

const COMMANDS: [&[&str]; 10] = [
    &["validate", "scenarios/support-desk.toml"],
    &[
        "explain",
        "scenarios/support-desk.toml",
        "--chat",
        "topic=sales",
    ],
    &["run", "scenarios/support-desk.toml", "--quiet"],
    &["run", "scenarios/support-desk.toml", "--format", "json"],
    &[
        "sweep",
        "scenarios/support-desk.toml",
        "--set",
        "agents.early.count=7,8",
        "--quiet",
    ],
    &["completions", "bash"],
    &["man", "run"],
    // clap's own printing ignored a failed write: `--help > /dev/full` exited 0.
    &["--help"],
    &["run", "--help"],
    &["--version"],
];

fn routesim(args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("routesim"));
    cmd.current_dir(root()).args(args).stdin(Stdio::null());
    cmd
}

/// Starts `cmd`, sends it `signal` (`-INT`, `-TERM`) once it is under way, and waits for it.
fn signalled(mut cmd: Command, signal: &str) -> std::process::Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait_with_output().unwrap()
}

fn dev_full() -> std::fs::File {
    OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux")
}

#[test]
fn a_full_stdout_is_an_error_and_a_closed_pipe_is_success() {
    for args in COMMANDS {
        let out = routesim(args)
            .stdout(dev_full())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?} > /dev/full: {err}");
        assert!(
            err.contains("error: cannot write <stdout>: "),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");

        // The reading end is closed before the program starts, so every write fails with
        // EPIPE, deterministically.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = routesim(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?} | closed: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_failing_stderr_never_panics_and_keeps_the_exit_code() {
    for args in COMMANDS {
        let out = routesim(args).stderr(dev_full()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?} 2> /dev/full");
        assert!(!out.stdout.is_empty());
    }
    // Bad input still exits 2 when its message cannot be written.
    let out = routesim(&["validate", "fixtures/invalid/unknown-team.toml"])
        .stderr(dev_full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// What is in a folder: names, and each regular file's bytes.
fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Leftover staging folders of routesim beside `dir`.
fn leftovers(parent: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".routesim"))
        .collect()
}

/// A short run of the bundled desk into `--out dir`.
fn desk_run(dir: &str) -> std::process::Output {
    routesim(&[
        "run",
        "scenarios/support-desk.toml",
        "--quiet",
        "--out",
        dir,
    ])
    .output()
    .unwrap()
}

/// A run long enough (a few seconds on two cores) to be caught in the middle.
const LONG: [&str; 8] = [
    "run",
    "scenarios/bench/mmc-100.toml",
    "--duration",
    "1736h",
    "--replications",
    "4",
    "--format",
    "json",
];

#[test]
fn an_interrupt_prints_a_partial_report_and_leaves_the_old_set() {
    for signal in ["-INT", "-TERM"] {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("out");
        let dir_arg = dir.to_str().unwrap();
        let old = desk_run(dir_arg);
        assert!(old.status.success());
        let before = snapshot(&dir);
        let mut cmd = routesim(&LONG);
        cmd.args(["--quiet", "--out", dir_arg]);
        let out = signalled(cmd, signal);
        assert_eq!(
            out.status.code(),
            Some(130),
            "{signal}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let at = v["stopped_at"].as_f64().expect("marked incomplete");
        assert!(at < 1736.0 * 3600.0, "{signal}: stopped at {at}");
        assert_eq!(snapshot(&dir), before, "{signal}: the old set was touched");
        assert!(
            leftovers(parent.path()).is_empty(),
            "{signal}: {:?}",
            leftovers(parent.path())
        );
    }
}

#[test]
fn an_interrupted_sweep_reports_nothing_and_leaves_the_old_set() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("out");
    let dir_arg = dir.to_str().unwrap();
    let sweep = |extra: &[&str]| {
        let mut args = vec!["sweep", "--quiet", "--out", dir_arg];
        args.extend(extra);
        routesim(&args)
    };
    let old = sweep(&[
        "scenarios/support-desk.toml",
        "--set",
        "agents.early.count=7,8",
    ])
    .output()
    .unwrap();
    assert!(old.status.success());
    let before = snapshot(&dir);
    assert_eq!(
        before.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["report.html", "sweep.csv"]
    );
    // Two points as long as LONG's run between them.
    let out = signalled(
        sweep(&[
            "scenarios/bench/mmc-100.toml",
            "--set",
            "simulation.seed=1,2",
            "--duration",
            "868h",
            "--replications",
            "4",
        ]),
        "-INT",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    // Rows over part of the time would read as answers: none are printed.
    assert!(out.stdout.is_empty());
    assert!(err.contains("interrupted: no report was printed"), "{err}");
    assert_eq!(snapshot(&dir), before, "the old set was touched");
    assert!(
        leftovers(parent.path()).is_empty(),
        "{:?}",
        leftovers(parent.path())
    );
}

/// A staffing search and the core bench have no partial answer: a signal ends them at once
/// with nothing printed and exit 130, as a sweep. (They once had no handler: SIGTERM killed
/// them outright, with nothing said.)
#[test]
fn an_interrupted_staff_or_bench_stops_at_once_and_prints_nothing() {
    let long = ["--duration", "868h", "--replications", "4"];
    let staff = [
        "staff",
        "scenarios/bench/mmc-100.toml",
        "--target",
        "sl(20s) >= 0.8",
        "--vary",
        "agent",
    ];
    let cases: [(&str, Vec<&str>); 4] = [
        ("-INT", [&staff[..], &long].concat()),
        ("-TERM", [&staff[..], &long].concat()),
        (
            "-TERM",
            [&staff[..], &["--per-interval", "30m"], &long].concat(),
        ),
        (
            "-INT",
            vec![
                "bench",
                "scenarios/support-desk.toml",
                "--decisions",
                "1000000000",
            ],
        ),
    ];
    for (signal, args) in cases {
        let cmd = routesim(&[&args[..], &["--quiet"]].concat());
        // Between a replication's events, not after the staffing: well under one run's time
        // (the 0.7 s before the signal included).
        stops_at_once(cmd, signal, 6, &format!("{signal} {args:?}"));
    }
}

/// Sends `signal` to `cmd` once it is under way and checks that it stopped within `secs`
/// seconds (the 0.7 s before the signal included), printing nothing but the note that it
/// was interrupted, with exit code 130.
fn stops_at_once(cmd: Command, signal: &str, secs: u64, what: &str) {
    let started = std::time::Instant::now();
    let out = signalled(cmd, signal);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{what}: {err}");
    assert!(out.stdout.is_empty(), "{what}");
    assert!(
        err.contains("interrupted: no report was printed"),
        "{what}: {err}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(secs),
        "{what}: {:?}",
        started.elapsed()
    );
}

/// Merging `staff --per-interval` shards ends with a whole run on the curve, which had run to
/// its end whatever was pressed. Here a shard's replications are raised in its file from 2 to
/// 2,000, so that the merge's run takes seconds while the shard took a fraction of one.
#[test]
fn an_interrupted_staffing_merge_stops_at_once_and_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let desk = dir.path().join("desk.toml");
    let text = std::fs::read_to_string(root().join("scenarios/bench/mmc-100.toml")).unwrap();
    std::fs::write(&desk, text.replace("173h36m", "2h")).unwrap();
    let shard = routesim(&[
        "staff",
        desk.to_str().unwrap(),
        "--target",
        "sl(20s) >= 0.8",
        "--vary",
        "agent",
        "--per-interval",
        "60m",
        "--duration",
        "1m",
        "--replications",
        "2",
        "--shard",
        "0/1",
        "--quiet",
    ])
    .output()
    .unwrap();
    assert!(
        shard.status.success(),
        "{}",
        String::from_utf8_lossy(&shard.stderr)
    );
    // As an older version's part, without the digest that would refuse the edit at once.
    let mut value: serde_json::Value = serde_json::from_slice(&shard.stdout).unwrap();
    value.as_object_mut().unwrap().remove("digest").unwrap();
    let part = serde_json::to_string_pretty(&value).unwrap();
    let more = part.replacen("\"replications\": 2,", "\"replications\": 2000,", 1);
    assert_ne!(more, part);
    let file = dir.path().join("part.json");
    std::fs::write(&file, more).unwrap();
    for signal in ["-INT", "-TERM"] {
        let merge = routesim(&["merge", file.to_str().unwrap(), "--quiet"]);
        stops_at_once(merge, signal, 5, signal);
    }
}

/// A command refused after it claimed its `--out` folder (a stress test's --max past the volume
/// limit is found once the scenario is compiled) leaves no folder it made behind (DIR and the
/// parents made for it), and one that was there as it was.
#[test]
fn a_refused_command_leaves_no_out_folder_it_made() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("new").join("out");
    let args = |dir: &std::path::Path| {
        let mut cmd = routesim(&["stress", "scenarios/support-desk.toml", "--quiet"]);
        cmd.args(["--target", "sl(30s) >= 0.8", "--max", "1500"])
            .args(["--duration", "1h", "--out", dir.to_str().unwrap()]);
        cmd.output().unwrap()
    };
    let out = args(&dir);
    assert_eq!(out.status.code(), Some(2));
    // Neither DIR nor the parent made for it.
    assert!(
        !parent.path().join("new").exists(),
        "the refused run left its folders"
    );
    assert!(leftovers(parent.path()).is_empty());
    // A folder that was there stays, with what it held.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("summary.json"), "{}").unwrap();
    let out = args(&dir);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.join("summary.json")).unwrap(),
        "{}"
    );
}

/// `..` in `--out` names the folder it leads to: `a/b/..` had made `b` inside `a`, then
/// refused `a` for holding a folder that was not routesim's (the one it had just made), and
/// left both; `x/y/../../z` wrote `z` and left `x/y` beside it.
#[test]
fn dot_dot_in_out_makes_only_the_folder_it_names() {
    let parent = tempfile::tempdir().unwrap();
    let p = parent.path();
    for (given, lands) in [
        ("a/b/..", "a"),
        ("x/y/../../z", "z"),
        ("c/./d/../e/", "c/e"),
    ] {
        let out = routesim(&["run", "scenarios/support-desk.toml", "--quiet"])
            .args(["--duration", "30m", "--out"])
            .arg(p.join(given))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "--out {given}: {err}");
        assert!(
            p.join(lands).join("summary.json").is_file(),
            "--out {given}"
        );
        let mut made: Vec<String> = walk(p);
        made.sort();
        // DIR, what it holds, and the folders above it on the way: nothing else.
        let dir = format!("{lands}/");
        assert!(
            made.iter()
                .all(|m| m.starts_with(&dir) || dir.starts_with(m.as_str())),
            "--out {given} made {made:?}"
        );
        std::fs::remove_dir_all(p.join(lands.split('/').next().unwrap())).unwrap();
    }
    // Up past the current folder is refused as it was, and makes nothing.
    let out = routesim(&[
        "run",
        "scenarios/support-desk.toml",
        "--quiet",
        "--out",
        "sub/..",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!crate::support::root().join("sub").exists());
}

/// Every path below `dir`, relative, folders ending in `/`.
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.push(format!("{rel}/"));
                todo.push(path);
            } else {
                out.push(rel);
            }
        }
    }
    out
}

#[test]
fn a_second_run_on_the_same_out_is_refused_while_the_first_writes() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("out");
    let dir_arg = dir.to_str().unwrap();
    // A few seconds of work: long enough for the second run to meet the first.
    let mut args = LONG;
    args[3] = "600h";
    let first = routesim(&args)
        .args(["--quiet", "--out", dir_arg])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let second = desk_run(dir_arg);
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(3), "{err}");
    assert!(
        err.contains("another routesim run is writing to this folder"),
        "{err}"
    );
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success());
    // The folder holds exactly the first run's set, whole.
    let names: Vec<String> = snapshot(&dir).into_iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        [
            "agents.csv",
            "chats.csv",
            "intervals.csv",
            "report.html",
            "summary.json",
            "teams.csv"
        ]
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["replications"], 4);
    let rows = std::fs::read_to_string(dir.join("chats.csv"))
        .unwrap()
        .lines()
        .count();
    // offered is a mean per replication; chats.csv holds every replication's chats.
    let offered = summary["overall"]["offered"].as_f64().unwrap() * 4.0;
    assert_eq!(rows as f64 - 1.0, offered);
    assert!(leftovers(parent.path()).is_empty());
}

#[test]
fn planted_symlinks_are_never_followed_and_foreign_files_are_refused() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("out");
    std::fs::create_dir(&dir).unwrap();
    let victim = parent.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("summary.json")).unwrap();
    let dir_arg = dir.to_str().unwrap();
    let ok = desk_run(dir_arg);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        std::fs::symlink_metadata(dir.join("summary.json"))
            .unwrap()
            .is_file()
    );

    // A name that is not one of the set's could be the user's own file: refused, untouched.
    std::os::unix::fs::symlink(&victim, dir.join(".chats.0.csv.part")).unwrap();
    let refused = desk_run(dir_arg);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("holds files that are not routesim's (.chats.0.csv.part)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(leftovers(parent.path()).is_empty());

    // A folder is never one of the set's files, whatever its name: the old set is removed
    // whole, and the folder would go with it.
    std::fs::remove_file(dir.join(".chats.0.csv.part")).unwrap();
    std::fs::remove_file(dir.join("summary.json")).unwrap();
    let kept = dir.join("summary.json").join("nested").join("data.txt");
    std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
    std::fs::write(&kept, "precious").unwrap();
    let refused = desk_run(dir_arg);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("holds files that are not routesim's (summary.json/)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "precious");
    assert!(leftovers(parent.path()).is_empty());
}
