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
