//! `report.html` in a real browser: every bundled scenario's report (and a sweep's and a
//! comparison's) opened in headless Chromium, which must draw every chart and report no error, and a screenshot that
//! must not be blank.
//!
//! A copy of the report gets a small script that records errors (`window.onerror` and
//! `console.error`) and, once the page has loaded, counts in every chart's SVG the shapes the
//! browser laid out (a non-empty `getBBox()`), the coloured ones among them (data: the report
//! draws axes, grid and reference lines in grey) and the text; `--dump-dom` prints the page
//! with that count in it.
//!
//! Without Chromium (`/usr/bin/chromium`, Debian's `chromium` package) the test says so on
//! stderr and passes, so that `cargo test` is green on a machine with only Rust; under CI
//! (`CI` set, as `.ci/run` is run) it fails instead, and `.ci/run` installs Chromium.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{root, routesim};

/// The charts of a run's report, by `data-chart`.
const RUN_CHARTS: [&str; 5] = [
    "waits",
    "service-level",
    "offered",
    "agents-on-shift",
    "occupancy",
];

/// What the page records, put first in `<head>` so it sees everything after it.
const PROBE: &str = r#"<script>
(function () {
  var errors = [];
  window.onerror = function (message) { errors.push('onerror: ' + message); };
  window.addEventListener('error', function (e) {
    if (e.target !== window) errors.push('failed to load: ' + (e.target.src || e.target.href || e.target.tagName));
  }, true);
  var original = console.error;
  console.error = function () {
    errors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
  function grey(c) {
    if (!c || c === 'none') return true;
    var m = c.match(/^rgba?\((\d+),\s*(\d+),\s*(\d+)/);
    return !m || (m[1] === m[2] && m[2] === m[3]);
  }
  window.addEventListener('load', function () {
    var charts = [];
    document.querySelectorAll('figure[data-chart]').forEach(function (f) {
      var c = { name: f.dataset.chart, series: +f.dataset.series, svg: 0, drawn: 0, data: 0, text: 0 };
      f.querySelectorAll('svg').forEach(function (svg) {
        c.svg += 1;
        svg.querySelectorAll('path,polyline,polygon,rect,line,circle').forEach(function (e) {
          var b = e.getBBox();
          if (b.width <= 0 && b.height <= 0) return;
          c.drawn += 1;
          var s = getComputedStyle(e);
          if (!grey(s.stroke) || !grey(s.fill)) c.data += 1;
        });
        svg.querySelectorAll('text').forEach(function (e) {
          var b = e.getBBox();
          if (b.width > 0 && b.height > 0) c.text += 1;
        });
      });
      charts.push(c);
    });
    var out = document.createElement('pre');
    out.id = 'routesim-check';
    out.textContent = JSON.stringify({ errors: errors, charts: charts });
    document.body.appendChild(out);
  });
})();
</script>"#;

/// Chromium on PATH; `None` (with a note on stderr) where there is none and CI is not set.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed and CI is set: the HTML report must be checked in a browser (.ci/run installs Debian's chromium)"
        );
        // Straight to stderr, past the test harness's capture, so the skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "note: the HTML report was not checked in a browser: no chromium on PATH (apt-get install chromium; CI installs it and requires it)"
        );
    }
    found
}

/// Headless Chromium with a fresh profile, nothing fetched in the background.
fn headless(chromium: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// One chart as the browser drew it.
#[derive(Debug, serde::Deserialize)]
struct Drawn {
    name: String,
    series: usize,
    svg: usize,
    drawn: usize,
    data: usize,
    text: usize,
}

#[derive(Debug, serde::Deserialize)]
struct Probe {
    errors: Vec<String>,
    charts: Vec<Drawn>,
}

/// Opens a copy of `report` with the probe in it, in one browser both dumping the page and
/// taking a screenshot (`work/screenshot.png`, 1280 x 4000), and returns what the probe
/// recorded.
fn probe(chromium: &Path, report: &Path, work: &Path) -> Probe {
    let html = std::fs::read_to_string(report).unwrap();
    let probed = work.join("probed.html");
    std::fs::write(
        &probed,
        html.replacen("<head>", &format!("<head>\n{PROBE}"), 1),
    )
    .unwrap();
    let out = headless(chromium, &work.join("profile"))
        .arg("--dump-dom")
        .arg(format!(
            "--screenshot={}",
            work.join("screenshot.png").display()
        ))
        .arg("--window-size=1280,4000")
        .arg(format!("file://{}", probed.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = "<pre id=\"routesim-check\">";
    let Some(at) = dom.find(start) else {
        panic!(
            "{}: the probe left no result (status {}); stderr:\n{}",
            report.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let json = &dom[at + start.len()..];
    let json = &json[..json.find("</pre>").unwrap()];
    // The JSON is the text of an element: the DOM dump escapes its markup characters.
    let json = json
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

/// Checks that the screenshot [`probe`] took shows a page with charts: many colours, a good
/// share of pixels that are not the background, and the report's blue (bars, error bars and
/// the like) over a good number of pixels.
fn screenshot(report: &Path, work: &Path) {
    let png_path = work.join("screenshot.png");
    assert!(png_path.exists(), "{}: no screenshot", report.display());
    let mut decoder = png::Decoder::new(std::io::Cursor::new(std::fs::read(&png_path).unwrap()));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut counts = std::collections::HashMap::new();
    for p in &pixels {
        *counts.entry(*p).or_insert(0usize) += 1;
    }
    let background = counts.values().copied().max().unwrap();
    let not_background = 1.0 - background as f64 / pixels.len() as f64;
    let blue = counts.get(&[0x00, 0x72, 0xb2]).copied().unwrap_or(0);
    let what = format!(
        "{}: {} colours, {:.1}% not background, {blue} blue pixels",
        report.display(),
        counts.len(),
        100.0 * not_background
    );
    assert!(counts.len() >= 50, "{what}");
    assert!(not_background >= 0.10, "{what}");
    assert!(blue >= 1_000, "{what}");
}

/// Checks one report: self-contained, every chart in `want` drawn, no error in the browser.
fn check(chromium: &Path, report: &Path, want: &[&str], work: &Path) {
    let html = std::fs::read_to_string(report).unwrap();
    // Nothing to load: the only address is the SVG namespace's name.
    let bare = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in [
        "http:", "https:", "<script", "<link", "<img", "url(", "@import",
    ] {
        assert!(!bare.contains(needle), "{}: {needle}", report.display());
    }
    let probe = probe(chromium, report, work);
    assert!(
        probe.errors.is_empty(),
        "{}: {:?}",
        report.display(),
        probe.errors
    );
    let names: Vec<&str> = probe.charts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, want, "{}", report.display());
    for c in &probe.charts {
        let what = format!("{}: {c:?}", report.display());
        assert_eq!(c.svg, 1, "{what}");
        assert!(c.series >= 1, "{what}");
        // Each series drew something in colour, and the axes have their labels.
        assert!(c.data >= c.series, "{what}");
        assert!(c.drawn > c.data, "{what}");
        assert!(c.text >= 4, "{what}");
    }
    screenshot(report, work);
}

#[test]
fn every_bundled_scenario_s_report_draws_every_chart_in_a_browser() {
    let Some(chromium) = chromium() else { return };
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 7, "{scenarios:?}");
    // Two at a time: a simulation and a browser each keep a core busy.
    let chunks: Vec<&[PathBuf]> = scenarios.chunks(scenarios.len().div_ceil(2)).collect();
    std::thread::scope(|s| {
        for chunk in chunks {
            let chromium = &chromium;
            s.spawn(move || {
                for scenario in chunk {
                    let work = tempfile::tempdir().unwrap();
                    let out = work.path().join("out");
                    routesim()
                        .arg("run")
                        .arg(scenario)
                        .args(["--replications", "2", "--duration", "12h", "--quiet"])
                        .arg("--out")
                        .arg(&out)
                        .assert()
                        .success();
                    check(chromium, &out.join("report.html"), &RUN_CHARTS, work.path());
                }
            });
        }
    });
}

#[test]
fn a_sweep_s_report_draws_every_figure_in_a_browser() {
    let Some(chromium) = chromium() else { return };
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    routesim()
        .arg("sweep")
        .arg(root().join("scenarios/support-desk.toml"))
        .args([
            "--set",
            "agents.early.count=5..8",
            "--replications",
            "3",
            "--duration",
            "4h",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let want = routesim::sweep::FIGURES.map(|f| format!("sweep-{}", f.replace('_', "-")));
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    check(&chromium, &out.join("report.html"), &want, work.path());
}

#[test]
fn a_stress_test_s_report_draws_every_figure_in_a_browser() {
    let Some(chromium) = chromium() else { return };
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    routesim()
        .arg("stress")
        .arg(root().join("scenarios/support-desk.toml"))
        .args([
            "--target",
            "sl(30s) >= 0.8",
            "--replications",
            "3",
            "--duration",
            "4h",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let want = ["service_level", "wait_p95", "abandon_rate", "occupancy"]
        .map(|f| format!("sweep-{}", f.replace('_', "-")));
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    check(&chromium, &out.join("report.html"), &want, work.path());
}

#[test]
fn a_comparison_s_report_draws_every_figure_in_a_browser() {
    let Some(chromium) = chromium() else { return };
    let work = tempfile::tempdir().unwrap();
    // The bundled desk against itself with one more early agent.
    let desk = std::fs::read_to_string(root().join("scenarios/support-desk.toml")).unwrap();
    let more = work.path().join("more.toml");
    std::fs::write(&more, desk.replacen("count = 8", "count = 9", 1)).unwrap();
    let out = work.path().join("out");
    routesim()
        .arg("compare")
        .arg(root().join("scenarios/support-desk.toml"))
        .arg(&more)
        .args([
            "--replications",
            "3",
            "--duration",
            "4h",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let want = routesim::sweep::FIGURES.map(|f| format!("compare-{}", f.replace('_', "-")));
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    check(&chromium, &out.join("report.html"), &want, work.path());
}
