//! Golden reports: each bundled desk scenario's table and JSON, byte for byte. A change in any
//! number or in the layout shows up here; if it is intended, `UPDATE_SNAPSHOTS=1 cargo test
//! --release` rewrites the files in tests/golden/, and the diff is reviewed before committing.

use crate::support::{diff, root, stdout_of, tomls};

#[test]
fn bundled_scenarios_match_their_golden_reports() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for f in tomls("scenarios")
        .into_iter()
        .filter(|f| !f.to_string_lossy().contains("bench"))
    {
        let rel = f
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        for (format, ext) in [("table", "txt"), ("json", "json")] {
            let got = String::from_utf8(stdout_of(&[
                "run",
                &rel,
                "--quiet",
                "--threads",
                "2",
                "--format",
                format,
            ]))
            .unwrap();
            let path = root().join("tests/golden").join(format!("{stem}.{ext}"));
            if update {
                std::fs::write(&path, &got).unwrap();
            }
            let want = std::fs::read_to_string(&path).unwrap_or_default();
            if got != want {
                failures.push(format!(
                    "{} differs from {rel} --format {format}:\n{}",
                    path.display(),
                    diff(&want, &got)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(UPDATE_SNAPSHOTS=1 rewrites them; review the diff)",
        failures.join("\n")
    );
}
