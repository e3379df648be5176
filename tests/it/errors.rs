//! Bad input: every file in fixtures/invalid/ fails with exit code 2 and exactly the message in
//! its `.stderr` snapshot (file, line, key, hint). `UPDATE_SNAPSHOTS=1 cargo test` rewrites the
//! snapshots; review the diff before committing it.

use crate::support::{diff, root, routesim, tomls};

#[test]
fn invalid_fixtures_fail_with_their_snapshot_message() {
    let files = tomls("fixtures/invalid");
    assert!(files.len() >= 8);
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root()).unwrap().to_path_buf();
        for cmd in ["validate", "run"] {
            let out = routesim()
                .arg(cmd)
                .arg(&rel)
                .assert()
                .code(2)
                .get_output()
                .clone();
            assert!(out.stdout.is_empty(), "{}: stdout on error", rel.display());
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert!(
                !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
                "{stderr}"
            );
            let snap = f.with_extension("stderr");
            if update && cmd == "validate" {
                std::fs::write(&snap, &stderr).unwrap();
            }
            let want = std::fs::read_to_string(&snap).unwrap_or_default();
            if stderr != want {
                failures.push(format!(
                    "{} ({cmd}):\n{}",
                    rel.display(),
                    diff(&want, &stderr)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn validate_warns_about_rules_that_cannot_work_and_still_succeeds() {
    let out = routesim()
        .args(["validate", "fixtures/warnings.toml"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let want = std::fs::read_to_string(root().join("fixtures/warnings.stderr")).unwrap();
    assert!(stderr == want, "{}", diff(&want, &stderr));
    for needle in [
        "never matches: the earlier rule",
        "nobody on shift at any time",
        "never hold together",
        "required skills",
        "traffic \"mail\" match no rule (e.g. topic=c at mon 00:00)",
        "quarter-hours the run covers; worst",
    ] {
        assert!(stderr.contains(needle), "missing {needle}");
    }
}

#[test]
fn bundled_scenarios_validate_without_warnings() {
    for f in tomls("scenarios") {
        let rel = f.strip_prefix(root()).unwrap().to_path_buf();
        routesim()
            .arg("validate")
            .arg(&rel)
            .assert()
            .success()
            .stderr("");
    }
}

/// Bad command lines: each `fixtures/usage/NAME.args` (one argument per line, run from the
/// repository's root) fails with exit code 2 and exactly the message in `NAME.stderr`.
#[test]
fn bad_command_lines_fail_with_their_snapshot_message() {
    let dir = root().join("fixtures/usage");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "args"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 5);
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for case in cases {
        let text = std::fs::read_to_string(&case).unwrap();
        let out = routesim()
            .current_dir(root())
            .args(text.lines())
            .assert()
            .code(2)
            .get_output()
            .clone();
        assert!(out.stdout.is_empty(), "{}: stdout on error", case.display());
        let stderr = String::from_utf8(out.stderr).unwrap();
        let snap = case.with_extension("stderr");
        if update {
            std::fs::write(&snap, &stderr).unwrap();
        }
        let want = std::fs::read_to_string(&snap).unwrap_or_default();
        if stderr != want {
            failures.push(format!("{}:\n{}", case.display(), diff(&want, &stderr)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `args` (with a time limit) and checks it fails with exit 2 and exactly `message`.
fn refused(args: &[&str], message: &str) {
    let out = routesim()
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end(), message, "{args:?}");
}

/// A scenario "file" that never ends (`/dev/zero`) is refused after 16 MB, not read until memory
/// runs out (found by a fuzzing helper); a pipe that ends is read like a file.
#[test]
fn a_scenario_file_is_read_up_to_16_mb() {
    refused(
        &["validate", "/dev/zero"],
        "error: cannot read /dev/zero: larger than 16 MB, the limit for a scenario file",
    );
    let text = std::fs::read(root().join("scenarios/support-desk.toml")).unwrap();
    routesim()
        .args(["validate", "/dev/stdin"])
        .write_stdin(text)
        .assert()
        .success();
}

/// A partial result for `merge` must be a regular file: `/dev/zero` is refused at once rather
/// than read until memory runs out (found by a fuzzing helper).
#[test]
fn merge_reads_only_regular_files() {
    refused(
        &["merge", "/dev/zero"],
        "error: cannot read /dev/zero: not a regular file (a partial result is a file that --shard wrote)",
    );
}

/// A replay log with more bad rows than are listed says how many it found in all: the first
/// 50 listed, the rest counted (it had read "51 problems", with the count of the rest hidden
/// behind the listing's cap).
#[test]
fn a_log_with_many_bad_rows_counts_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..100).map(|i| format!("{i},soon\n")).collect();
    std::fs::write(
        dir.path().join("log.csv"),
        format!("arrival,handle_time\n{rows}"),
    )
    .unwrap();
    let scenario = std::fs::read_to_string(root().join("fixtures/invalid/replay-bad-rows.toml"))
        .unwrap()
        .replace("replay-bad-rows.csv", "log.csv");
    let path = dir.path().join("s.toml");
    std::fs::write(&path, scenario).unwrap();
    let out = routesim()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.matches("cannot read \"soon\"").count(),
        50,
        "{stderr}"
    );
    let end = format!(
        "... and 50 more problems, not shown\n100 problems found in {}\n",
        path.display()
    );
    assert!(stderr.ends_with(&end), "{stderr}");
}
