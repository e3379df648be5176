//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The routesim binary, run from the project root.
pub fn routesim() -> Command {
    let mut cmd = Command::cargo_bin("routesim").expect("binary built");
    cmd.current_dir(root());
    cmd
}

/// Every `.toml` file under a folder of the project, sorted.
pub fn tomls(dir: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("folder exists") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), &mut out);
    out.sort();
    out
}

/// Parses stdout as JSON.
pub fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("stdout is JSON")
}

/// Runs routesim with these arguments, expects success, and returns its stdout.
pub fn stdout_of(args: &[&str]) -> Vec<u8> {
    routesim()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

/// A line diff of two texts (`-` only in `want`, `+` only in `got`), with two lines of context
/// around each change, for snapshot failures a person can read.
pub fn diff(want: &str, got: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    // Longest common subsequence table, from the ends.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            (i, j) = (i + 1, j + 1);
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', b[j]));
            j += 1;
        } else {
            ops.push(('-', a[i]));
            i += 1;
        }
    }
    let near = |k: usize| {
        ops[k.saturating_sub(2)..(k + 3).min(ops.len())]
            .iter()
            .any(|o| o.0 != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if near(k) {
            if skipped {
                out.push_str("  ...\n");
                skipped = false;
            }
            out.push_str(&format!("{op} {line}\n"));
        } else {
            skipped = true;
        }
    }
    out
}

/// Writes scenario `text` to a temporary file, runs `routesim run` on it with `--format json
/// --quiet` and `args`, expects success, and returns the JSON.
pub fn run_text(text: &str, args: &[&str]) -> serde_json::Value {
    command_on_text("run", text, args)
}

/// Writes scenario `text` to a temporary file, runs `routesim COMMAND` on it with `--format
/// json --quiet` and `args`, expects success, and returns the JSON.
pub fn command_on_text(command: &str, text: &str, args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, text).expect("writable");
    let out = routesim()
        .args([command, "--format", "json", "--quiet"])
        .arg(&path)
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    json(&out)
}
