//! The report a person opens: one self-contained HTML page (`report.html` of `--out`) with the
//! key figures and charts, for a run ([`run`]), a sweep ([`sweep`]) or a comparison
//! ([`compare`]).
//!
//! The page opens offline: its style is inline, its charts are inline SVG, and it has no
//! script, font, image or link to load. The charts are drawn by plotters' SVG backend into
//! strings. plotters is built without its font features: a label goes into the SVG as a
//! `<text>` element that the browser sets in its own sans-serif font, and plotters places it
//! with its built-in estimate of the text's size, so no font is needed where the report is
//! made.
//!
//! Every chart is a `<figure data-chart="NAME" data-series="N">`: N is how many data series
//! (curves, sets of bars) it draws. Data are drawn in colour and everything else (axes, grid,
//! reference lines, text) in grey, so a test in a browser can count what was drawn
//! (`tests/it/html.rs`). Every name that comes from a scenario (the file, teams, agents, a
//! sweep's values) is escaped, in the page and in the SVG alike.

use std::fmt::Write;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;

use super::human_secs;
use super::table::{count, pct};
use crate::compare::Comparison;
use crate::experiment::Summary;
use crate::stats::intervals::IntervalFigures;
use crate::stats::{Figures, WaitCurve, WaitCurves};
use crate::stress::Stress;
use crate::sweep::{Estimate, Sweep};

/// Width of every chart, in pixels (the page scales it down on a narrow screen).
const WIDTH: u32 = 900;
/// The family of every chart's text: the browser's own.
const FONT: &str = "sans-serif";
/// A layer of bars thinner than this (chats per interval) is rounding, not chats: not drawn.
const DRAWN: f64 = 1e-6;
/// Agents shown in the occupancy chart; past it, the busiest and the least busy halves.
pub const MAX_AGENT_BARS: usize = 60;

/// The whole desk's curve; teams take [`PALETTE`] in turn. Grey is kept for what is not data.
const OVERALL: RGBColor = RGBColor(0x1f, 0x3b, 0x73);
/// Colours told apart with colour-blindness too (Okabe and Ito's), none of them grey.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0xd5, 0x5e, 0x00),
    RGBColor(0x00, 0x72, 0xb2),
    RGBColor(0x8c, 0x6d, 0x31),
];
const ANSWERED: RGBColor = RGBColor(0x00, 0x72, 0xb2);
const ABANDONED: RGBColor = RGBColor(0xd5, 0x5e, 0x00);
/// Offered chats neither answered nor abandoned (after hours, deflected, waiting...).
const OTHER: RGBColor = RGBColor(0xa9, 0xb4, 0xc2);
const GREY: RGBColor = RGBColor(0x66, 0x66, 0x66);
const LIGHT: RGBColor = RGBColor(0xe6, 0xe6, 0xe6);
const FRAME: RGBColor = RGBColor(0xbb, 0xbb, 0xbb);

const STYLE: &str = "\
body{margin:0;background:#f5f6f8;color:#1d2330;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
main{max-width:940px;margin:0 auto;padding:20px 16px 40px}
h1{font-size:1.45rem;margin:0 0 4px}
h2{font-size:1.1rem;margin:30px 0 8px;padding-bottom:4px;border-bottom:1px solid #d8dbe2}
p{margin:6px 0}
.meta,.note{color:#566}
.note{font-size:13px}
.alert{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums;font-size:14px}
th,td{padding:4px 10px;border-bottom:1px solid #e3e5ea;text-align:right;white-space:nowrap;vertical-align:top}
th:first-child,td:first-child{text-align:left}
thead th{background:#eceef3;font-weight:600}
.ci{display:block;color:#6b7280;font-size:12px}
figure{margin:14px 0;background:#fff;border:1px solid #e3e5ea;padding:8px 8px 4px}
figcaption{font-size:14px;color:#3c4452;margin:0 0 6px}
figure svg{display:block;max-width:100%;height:auto}
ul.warnings{padding-left:20px;color:#6b4e00}
footer{margin-top:36px;color:#8a8f99;font-size:12px}
";

/// `&`, `<`, `>`, `"` and `'` as entities: a name from a scenario file is text, never markup.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page around a body (already HTML).
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\
         <footer>Written by routesim. The figures are those of the run's other files \
         (summary.json and the CSV files); times are humanised as in the terminal table.</footer>\n\
         </main>\n</body>\n</html>\n",
        escape(title)
    )
}

/// A continuous axis labelled (and gridded) at the points given and nowhere else: interval
/// starts on the hour, agents' bars, a sweep's points. (plotters' own `with_key_points` keeps
/// the inner axis's formatting, and an `f64` axis gives none to the mesh.)
struct Keyed {
    range: std::ops::Range<f64>,
    keys: Vec<f64>,
}

impl Ranged for Keyed {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (self.range.start, self.range.end);
        let share = if b > a { (v - a) / (b - a) } else { 0.5 };
        limit.0 + (share * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Bold lines and labels at the keys; no light lines between them.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// A chart `height` pixels high, drawn by `draw` into an SVG string; or why it could not be.
fn svg(
    height: u32,
    draw: impl for<'a> FnOnce(&DrawingArea<SVGBackend<'a>, Shift>) -> Drawn,
) -> Result<String, String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

/// A chart in its `<figure>`, with its caption (HTML) above it. A chart that could not be
/// drawn says why in its place.
fn figure(name: &str, caption: &str, series: usize, chart: Result<String, String>) -> String {
    let inner = match chart {
        Ok(svg) => svg,
        Err(e) => format!(
            "<p class=\"alert\">This chart could not be drawn: {}</p>\n",
            escape(&e)
        ),
    };
    format!(
        "<figure id=\"chart-{name}\" data-chart=\"{name}\" data-series=\"{series}\">\n\
         <figcaption>{caption}</figcaption>\n{inner}</figure>\n"
    )
}

/// A figure with no chart: a sentence saying why there is nothing to draw.
fn no_chart(name: &str, caption: &str, why: &str) -> String {
    format!(
        "<figure id=\"chart-{name}\" data-chart=\"{name}\" data-series=\"0\">\n\
         <figcaption>{caption}</figcaption>\n<p class=\"note\">{}</p>\n</figure>\n",
        escape(why)
    )
}

fn text_style(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&GREY)
}

/// A share on an axis: `90%`, or `92.5%` when whole percents would not tell ticks apart.
fn axis_pct(y: f64) -> String {
    let p = y * 100.0;
    if (p - p.round()).abs() < 1e-6 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// A key figure and, when there are several replications, its half-width under it.
fn cell(value: String, ci: Option<String>) -> String {
    match ci {
        Some(h) if value != "-" => format!("<td>{value}<span class=\"ci\">± {h}</span></td>"),
        _ => format!("<td>{value}</td>"),
    }
}

/// The run's one-line description, as the terminal table's first line says it.
fn run_line(s: &Summary) -> String {
    let reps = if s.replications == 1 {
        "1 replication".to_string()
    } else {
        format!(
            "{} replications (counts are means per replication; under each figure its 95% confidence half-width)",
            s.replications
        )
    };
    let warmup = if s.warmup > 0.0 {
        format!(" after {} warm-up", human_secs(Some(s.warmup)))
    } else {
        String::new()
    };
    format!(
        "{} measured{warmup}, seed {}, {reps}",
        human_secs(Some(s.duration)),
        s.seed
    )
}

/// The report of a run (or of a merged run): its key figures, the wait distribution
/// (`waits`, from the same run's pooled collector), the intervals and the agents' occupancy.
pub fn run(s: &Summary, waits: &WaitCurves) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", escape(&s.scenario));
    let _ = writeln!(b, "<p class=\"meta\">{}</p>", run_line(s));
    if let Some(at) = s.stopped_at {
        let _ = writeln!(
            b,
            "<p class=\"alert\">Incomplete: the run was stopped after {} of {} measured; the figures cover the time simulated so far.</p>",
            human_secs(Some(at)),
            human_secs(Some(s.duration))
        );
    }
    b.push_str("<h2>Key figures</h2>\n");
    b.push_str(&figures_table(s));
    b.push_str("<h2>Wait times</h2>\n");
    b.push_str(&wait_chart(s, waits));
    b.push_str("<h2>By interval of the clock</h2>\n");
    b.push_str(&interval_charts(s));
    b.push_str("<h2>Agents</h2>\n");
    b.push_str(&occupancy_chart(s));
    b.push_str(&warnings(&s.warnings));
    page(&format!("routesim: {}", s.scenario), &b)
}

fn warnings(list: &[String]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h2>Warnings</h2>\n<ul class=\"warnings\">\n");
    for w in list {
        let _ = writeln!(out, "<li>{}</li>", escape(w));
    }
    out.push_str("</ul>\n");
    out
}

/// Overall and per team: offered, answered, abandoned, abandon rate, service level, mean,
/// p90 and p95 wait, each with its half-width where the summary has one.
fn figures_table(s: &Summary) -> String {
    let mut out = String::from("<div class=\"scroll\"><table id=\"key-figures\">\n<thead><tr>");
    let sl = format!("SL {}", human_secs(Some(s.service_level_threshold)));
    for h in [
        "",
        "offered",
        "answered",
        "abandoned",
        "abandon rate",
        &sl,
        "mean wait",
        "p90 wait",
        "p95 wait",
    ] {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let row = |name: &str, f: &Figures, ci: Option<&Figures>| {
        let mut r = format!("<tr><th>{}</th>", escape(name));
        let cells = [
            (count(f.offered), ci.map(|c| count(c.offered))),
            (count(f.answered), ci.map(|c| count(c.answered))),
            (count(f.abandoned), ci.map(|c| count(c.abandoned))),
            (pct(f.abandon_rate), ci.map(|c| pct(c.abandon_rate))),
            (pct(f.service_level), ci.map(|c| pct(c.service_level))),
            (human_secs(f.wait.mean), ci.map(|c| human_secs(c.wait.mean))),
            (human_secs(f.wait.p90), ci.map(|c| human_secs(c.wait.p90))),
            (human_secs(f.wait.p95), ci.map(|c| human_secs(c.wait.p95))),
        ];
        for (v, h) in cells {
            r.push_str(&cell(v, h));
        }
        r.push_str("</tr>\n");
        r
    };
    out.push_str(&row(
        "overall",
        &s.figures.overall,
        s.ci95.as_ref().map(|c| &c.overall),
    ));
    for (i, t) in s.figures.teams.iter().enumerate() {
        let ci = s
            .ci95
            .as_ref()
            .and_then(|c| c.teams.get(i))
            .map(|t| &t.figures);
        out.push_str(&row(&t.name, &t.figures, ci));
    }
    out.push_str("</tbody>\n</table></div>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">Service level: chats answered within {} over chats answered or abandoned. Waits are those of answered chats. A chat counts for the team that answered it, or where it last waited.</p>",
        human_secs(Some(s.service_level_threshold))
    );
    out
}

/// The wait distribution, overall and per team, with the service-level threshold marked.
fn wait_chart(s: &Summary, waits: &WaitCurves) -> String {
    let t = s.service_level_threshold;
    let caption = format!(
        "<strong>Wait of answered chats</strong>: the share answered within each wait, for the whole desk and each team, pooled over {} replication{}. The grey line is the service-level threshold ({}). Abandoned chats are not in these curves (see the abandon rate above).",
        s.replications,
        if s.replications == 1 { "" } else { "s" },
        human_secs(Some(t))
    );
    // (curve, colour, line width): the whole desk thicker.
    let curves: Vec<(&WaitCurve, RGBColor, u32)> = std::iter::once((&waits.overall, OVERALL, 3))
        .chain(
            waits
                .teams
                .iter()
                .enumerate()
                .map(|(i, c)| (c, PALETTE[i % PALETTE.len()], 2)),
        )
        .filter(|(c, _, _)| !c.points.is_empty())
        .collect();
    if curves.is_empty() {
        return no_chart(
            "waits",
            &caption,
            "No chat was answered: there are no waits to draw.",
        );
    }
    let longest = curves
        .iter()
        .filter_map(|c| c.0.points.last().map(|p| p.0))
        .fold(0.0, f64::max);
    let x_max = longest.max(t * 1.25).max(1.0) * 1.02;
    let x_keys = time_keys(x_max);
    let series = curves.len();
    let chart = svg(400, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(46)
            .y_label_area_size(64)
            .build_cartesian_2d(
                Keyed {
                    range: 0.0..x_max,
                    keys: x_keys,
                },
                0f64..1f64,
            )?;
        chart
            .configure_mesh()
            .x_desc("wait")
            .y_desc("answered within")
            .x_label_formatter(&|x| axis_secs(*x))
            .y_label_formatter(&|y| axis_pct(*y))
            .label_style(text_style(13))
            .axis_desc_style(text_style(14))
            .axis_style(FRAME)
            .bold_line_style(LIGHT)
            .light_line_style(TRANSPARENT)
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(t, 0.0), (t, 1.0)],
            GREY.stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((t, 0.0))
                + Text::new(
                    format!("SL {}", human_secs(Some(t))),
                    (5, -20),
                    text_style(13),
                ),
        ))?;
        for (curve, colour, width) in curves {
            let style = colour.stroke_width(width);
            chart
                .draw_series(LineSeries::new(steps(&curve.points), style))?
                .label(curve.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .margin(12)
            .background_style(WHITE.mix(0.9))
            .border_style(FRAME)
            .label_font(text_style(13))
            .draw()?;
        Ok(())
    });
    figure("waits", &caption, series, chart)
}

/// A cumulative curve drawn as steps: flat from each point to the next, then up. Between two
/// points the share is known only to lie between theirs; the step shows the lower one, so a
/// sparse curve never reads as chats answered sooner than they were.
fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (k, &(x, y)) in points.iter().enumerate() {
        if k > 0 {
            out.push((x, points[k - 1].1));
        }
        out.push((x, y));
    }
    out
}

/// Ticks of a time axis from 0 to `max` seconds, at a round step (5 s, 1 min, 15 min, ...)
/// that gives at most 10 of them.
fn time_keys(max: f64) -> Vec<f64> {
    const STEPS: [f64; 17] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1_800.0, 3_600.0,
        7_200.0, 21_600.0, 86_400.0,
    ];
    let step = STEPS
        .into_iter()
        .find(|&s| max / s <= 10.0)
        .unwrap_or_else(|| (max / 10.0 / 86_400.0).ceil() * 86_400.0);
    (0..)
        .map(|k| k as f64 * step)
        .take_while(|&x| x <= max)
        .collect()
}

/// A time on an axis: `0`, `30s`, `1m30s`, `2h00m`.
fn axis_secs(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        human_secs(Some(x))
    }
}

/// Where the x axis of the interval charts is labelled: interval starts on the hour, every
/// 1, 2, 3, 4, 6, 12 or 24 hours (the first that gives at most 12 labels), thinned further on
/// a long run. Falls back to every k-th interval if the starts do not read as `day HH:MM`.
fn interval_keys(list: &[IntervalFigures]) -> Vec<f64> {
    let n = list.len();
    let len = match list {
        [a, b, ..] => (b.from - a.from).max(1.0),
        _ => 3_600.0,
    };
    let span_hours = n as f64 * len / 3_600.0;
    let step = [1u32, 2, 3, 4, 6, 12, 24]
        .into_iter()
        .find(|&h| span_hours / h as f64 <= 12.0)
        .unwrap_or(24);
    let minute_of_day = |start: &str| -> Option<u32> {
        let (h, m) = start.rsplit(' ').next()?.split_once(':')?;
        Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?)
    };
    let mut keys: Vec<usize> = (0..n)
        .filter(|&i| minute_of_day(&list[i].start).is_some_and(|m| m % (60 * step) == 0))
        .collect();
    if keys.is_empty() {
        keys = (0..n).step_by(n.div_ceil(10).max(1)).collect();
    }
    let thin = keys.len().div_ceil(12).max(1);
    keys.into_iter().step_by(thin).map(|i| i as f64).collect()
}

/// Per interval of the clock: the service level (with its 95% band), the offered chats (by
/// what became of them) and the agents on shift, on one x axis.
fn interval_charts(s: &Summary) -> String {
    let Some(list) = s.intervals.as_ref().filter(|l| !l.is_empty()) else {
        return "<p class=\"note\">No interval report: the run was too long for intervals of this length (see the warnings).</p>\n".into();
    };
    let n = list.len();
    let keys = interval_keys(list);
    let label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
            list[i as usize].start.clone()
        } else {
            String::new()
        }
    };
    let span = || Keyed {
        range: 0.0..n as f64,
        keys: keys.clone(),
    };
    let length = match &list[..] {
        [a, b, ..] => format!("{:.0}-minute intervals", (b.from - a.from) / 60.0),
        _ => "one interval".into(),
    };
    let mut out = String::new();

    // Service level.
    let ci = s.intervals_ci95.as_ref();
    let sl: Vec<Option<(f64, Option<f64>)>> = list
        .iter()
        .enumerate()
        .map(|(k, i)| {
            let h = ci.and_then(|c| c.get(k)).and_then(|c| c.service_level);
            i.service_level.map(|v| (v, h))
        })
        .collect();
    let runs = runs_of(&sl);
    let whole = s.figures.overall.service_level;
    let caption = format!(
        "<strong>Service level by interval</strong> ({length}, by the chats' arrival){}. The grey line is the whole run's {}.",
        if ci.is_some() {
            "; the band is its 95% confidence interval"
        } else {
            ""
        },
        pct(whole)
    );
    if runs.is_empty() {
        out.push_str(&no_chart(
            "service-level",
            &caption,
            "No interval has a service level (no chat was answered or abandoned).",
        ));
    } else {
        let banded = ci.is_some();
        let chart = svg(300, |root| {
            let mut chart = ChartBuilder::on(root)
                .margin(14)
                .x_label_area_size(40)
                .y_label_area_size(64)
                .build_cartesian_2d(span(), 0f64..1f64)?;
            chart
                .configure_mesh()
                .y_desc("service level")
                .x_label_formatter(&label)
                .y_label_formatter(&|y| axis_pct(*y))
                .label_style(text_style(12))
                .axis_desc_style(text_style(14))
                .axis_style(FRAME)
                .bold_line_style(LIGHT)
                .light_line_style(TRANSPARENT)
                .draw()?;
            if let Some(w) = whole {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, w), (n as f64, w)],
                    GREY.stroke_width(1),
                )))?;
            }
            if banded {
                for run in &runs {
                    let upper = run
                        .iter()
                        .map(|&(i, v, h)| (i as f64 + 0.5, (v + h.unwrap_or(0.0)).min(1.0)));
                    let lower = run
                        .iter()
                        .rev()
                        .map(|&(i, v, h)| (i as f64 + 0.5, (v - h.unwrap_or(0.0)).max(0.0)));
                    let mut band: Vec<(f64, f64)> = upper.chain(lower).collect();
                    if run.len() == 1 {
                        // A lone interval: a band as wide as its bar would be.
                        let (i, v, h) = run[0];
                        let h = h.unwrap_or(0.0);
                        let (lo, hi) = ((v - h).max(0.0), (v + h).min(1.0));
                        let x = i as f64;
                        band = vec![(x + 0.2, hi), (x + 0.8, hi), (x + 0.8, lo), (x + 0.2, lo)];
                    }
                    chart.draw_series(std::iter::once(Polygon::new(band, ANSWERED.mix(0.18))))?;
                }
            }
            for run in &runs {
                let points = run.iter().map(|&(i, v, _)| (i as f64 + 0.5, v));
                chart.draw_series(LineSeries::new(points, ANSWERED.stroke_width(2)))?;
                if run.len() == 1 || n <= 96 {
                    chart.draw_series(run.iter().map(|&(i, v, _)| {
                        Circle::new((i as f64 + 0.5, v), 2, ANSWERED.filled())
                    }))?;
                }
            }
            Ok(())
        });
        out.push_str(&figure("service-level", &caption, 1, chart));
    }

    // Offered chats, by what became of them.
    let top = list.iter().map(|i| i.offered).fold(0.0, f64::max).max(1.0) * 1.1;
    let caption = format!(
        "<strong>Offered chats by interval</strong> ({}): answered, abandoned, and the rest (after hours, deflected, blocked, resolved by a bot, or still waiting at the end).",
        if s.replications == 1 {
            "the run's"
        } else {
            "means per replication"
        }
    );
    let chart = svg(280, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(span(), 0f64..top)?;
        chart
            .configure_mesh()
            .y_desc("chats")
            .x_label_formatter(&label)
            .y_label_formatter(&|y| count(*y))
            .label_style(text_style(12))
            .axis_desc_style(text_style(14))
            .axis_style(FRAME)
            .bold_line_style(LIGHT)
            .light_line_style(TRANSPARENT)
            .draw()?;
        let bar = |i: usize, from: f64, to: f64, colour: RGBColor| {
            let x = i as f64;
            Rectangle::new([(x + 0.1, from), (x + 0.9, to)], colour.filled())
        };
        // Each layer: its name, colour, and where its bar starts and ends in an interval.
        type Span = fn(&IntervalFigures) -> (f64, f64);
        let layers: [(&str, RGBColor, Span); 3] = [
            ("answered", ANSWERED, |i| (0.0, i.answered)),
            ("abandoned", ABANDONED, |i| {
                (i.answered, i.answered + i.abandoned)
            }),
            ("other", OTHER, |i| {
                (
                    i.answered + i.abandoned,
                    i.offered.max(i.answered + i.abandoned),
                )
            }),
        ];
        for (name, colour, range) in layers {
            let bars: Vec<_> = list
                .iter()
                .enumerate()
                .filter_map(|(k, i)| {
                    let (from, to) = range(i);
                    (to > from + DRAWN).then(|| bar(k, from, to, colour))
                })
                .collect();
            // A layer with no bar gets no legend entry either.
            if bars.is_empty() {
                continue;
            }
            chart.draw_series(bars)?.label(name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
            });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .margin(10)
            .background_style(WHITE.mix(0.9))
            .border_style(FRAME)
            .label_font(text_style(12))
            .draw()?;
        Ok(())
    });
    let drawn = [
        list.iter().any(|i| i.answered > DRAWN),
        list.iter().any(|i| i.abandoned > DRAWN),
        list.iter()
            .any(|i| i.offered > i.answered + i.abandoned + DRAWN),
    ];
    let series = drawn.iter().filter(|&&d| d).count();
    out.push_str(&figure("offered", &caption, series, chart));

    // Agents on shift, as a step per interval.
    let top = list
        .iter()
        .map(|i| i.agents_on_shift)
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.15;
    let caption = "<strong>Agents on shift by interval</strong>, on average over each interval (absences and breaks taken off).";
    let chart = svg(240, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(span(), 0f64..top)?;
        chart
            .configure_mesh()
            .y_desc("agents")
            .x_label_formatter(&label)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(text_style(12))
            .axis_desc_style(text_style(14))
            .axis_style(FRAME)
            .bold_line_style(LIGHT)
            .light_line_style(TRANSPARENT)
            .draw()?;
        let steps = list.iter().enumerate().flat_map(|(k, i)| {
            [
                (k as f64, i.agents_on_shift),
                (k as f64 + 1.0, i.agents_on_shift),
            ]
        });
        chart.draw_series(LineSeries::new(steps, PALETTE[2].stroke_width(2)))?;
        Ok(())
    });
    out.push_str(&figure("agents-on-shift", caption, 1, chart));
    out
}

/// Stretches of consecutive intervals that have a value: `(interval, value, half-width)`.
fn runs_of(values: &[Option<(f64, Option<f64>)>]) -> Vec<Vec<(usize, f64, Option<f64>)>> {
    let mut out: Vec<Vec<(usize, f64, Option<f64>)>> = Vec::new();
    let mut open = false;
    for (i, v) in values.iter().enumerate() {
        match (v, open) {
            (Some((v, h)), true) => out.last_mut().expect("open run").push((i, *v, *h)),
            (Some((v, h)), false) => {
                out.push(vec![(i, *v, *h)]);
                open = true;
            }
            (None, _) => open = false,
        }
    }
    out
}

/// The agents' occupancy as horizontal bars, busiest first.
fn occupancy_chart(s: &Summary) -> String {
    let mut agents: Vec<(&str, f64)> = s
        .figures
        .agents
        .iter()
        .filter_map(|a| a.occupancy.map(|o| (a.name.as_str(), o)))
        .collect();
    let never = s.figures.agents.len() - agents.len();
    // Busiest first; equal ones in the scenario's order (the sort is stable).
    agents.sort_by(|a, b| b.1.total_cmp(&a.1));
    let hidden = agents.len().saturating_sub(MAX_AGENT_BARS);
    if hidden > 0 {
        let half = MAX_AGENT_BARS / 2;
        agents.drain(half..agents.len() - half);
    }
    let mut caption = String::from(
        "<strong>Agent occupancy</strong>: chat-slot time in use over chat-slot time on shift (wrap-up and tickets included), busiest first.",
    );
    if hidden > 0 {
        let _ = write!(
            caption,
            " The {} busiest and the {} least busy are shown; {hidden} between them are not (agents.csv lists every agent).",
            MAX_AGENT_BARS / 2,
            MAX_AGENT_BARS / 2
        );
    }
    if never > 0 {
        let _ = write!(
            caption,
            " {never} agent{} never on shift in the measured time {} left out.",
            if never == 1 { "" } else { "s" },
            if never == 1 { "is" } else { "are" }
        );
    }
    if agents.is_empty() {
        return no_chart("occupancy", &caption, "No agent was on shift.");
    }
    let n = agents.len();
    let longest = agents
        .iter()
        .map(|a| a.0.chars().count())
        .max()
        .unwrap_or(1);
    let label_area = (16 + 7 * longest as u32).min(260);
    let top = agents.iter().map(|a| a.1).fold(1.0, f64::max) * 1.08;
    let keys: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    // Bar k (busiest first) sits at the top: y = n - 1 - k.
    let name_at = |y: &f64| {
        let k = n as f64 - 1.0 - y.floor();
        if k >= 0.0 && (k as usize) < n {
            agents[k as usize].0.to_string()
        } else {
            String::new()
        }
    };
    let chart = svg(70 + 20 * n as u32, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(label_area)
            .build_cartesian_2d(
                0f64..top,
                Keyed {
                    range: 0.0..n as f64,
                    keys,
                },
            )?;
        chart
            .configure_mesh()
            .x_desc("occupancy")
            .x_label_formatter(&|x| axis_pct(*x))
            .y_label_formatter(&name_at)
            .label_style(text_style(12))
            .axis_desc_style(text_style(14))
            .axis_style(FRAME)
            .bold_line_style(LIGHT)
            .light_line_style(TRANSPARENT)
            .disable_y_mesh()
            .draw()?;
        chart.draw_series(agents.iter().enumerate().map(|(k, &(_, o))| {
            let y = (n - 1 - k) as f64;
            Rectangle::new([(0.0, y + 0.18), (o, y + 0.82)], PALETTE[5].filled())
        }))?;
        chart.draw_series(agents.iter().enumerate().map(|(k, &(_, o))| {
            let y = (n - 1 - k) as f64;
            EmptyElement::at((o, y + 0.5)) + Text::new(axis_pct_1(o), (4, -7), text_style(11))
        }))?;
        Ok(())
    });
    figure("occupancy", &caption, 1, chart)
}

/// A share with one decimal: `63.7%`.
fn axis_pct_1(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The report of a sweep: the table of every point, then a chart per figure with each point's
/// value and 95% interval.
pub fn sweep(s: &Sweep) -> String {
    let mut b = String::new();
    let points = s.rows.len();
    let _ = writeln!(b, "<h1>{}: sweep</h1>", escape(&s.scenario));
    let _ = writeln!(
        b,
        "<p class=\"meta\">{points} point{}, seed {}, {} replications each; whole-desk figures with their 95% confidence half-width under them; the last --set varies fastest.</p>",
        if points == 1 { "" } else { "s" },
        s.seed,
        s.replications
    );
    let first = s.rows.first().map(|r| r.service_level_threshold);
    let threshold = first.filter(|&t| s.rows.iter().all(|r| r.service_level_threshold == t));
    b.push_str("<h2>Points</h2>\n<div class=\"scroll\"><table id=\"key-figures\">\n<thead><tr>");
    for a in &s.axes {
        let _ = write!(b, "<th>{}</th>", escape(&a.path));
    }
    for f in crate::sweep::FIGURES {
        let _ = write!(b, "<th>{}</th>", escape(&sweep_label(f, threshold)));
    }
    b.push_str("</tr></thead>\n<tbody>\n");
    for r in &s.rows {
        b.push_str("<tr>");
        for (k, v) in r.values.iter().enumerate() {
            let tag = if k == 0 { "th" } else { "td" };
            let _ = write!(b, "<{tag}>{}</{tag}>", escape(v));
        }
        for (f, e) in r.figures() {
            let (v, h) = sweep_value(f, e);
            b.push_str(&cell(v, h));
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</tbody>\n</table></div>\n");
    if threshold.is_none() && !s.rows.is_empty() {
        b.push_str("<p class=\"note\">The points measure the service level against different thresholds (report.service_level).</p>\n");
    }
    b.push_str("<h2>Figures by point</h2>\n");
    for f in crate::sweep::FIGURES {
        b.push_str(&sweep_chart(s, f, threshold, None));
    }
    b.push_str(&warnings(&s.warnings));
    page(&format!("routesim sweep: {}", s.scenario), &b)
}

/// The report of a stress test: the breaking load and each target's, the curve as a table,
/// then a chart per figure over the loads with each target's limit drawn across.
pub fn stress(s: &Stress) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}: stress</h1>", escape(&s.scenario));
    let what = match &s.stream {
        Some(name) => format!("stream {}", escape(name)),
        None => "every stream".into(),
    };
    let _ = writeln!(
        b,
        "<p class=\"meta\">Load on {what} as a multiple of today's; seed {}, {} replications per load on the same customers; {} loads simulated; whole-desk figures with their 95% confidence half-width under them.</p>",
        s.seed, s.replications, s.runs
    );
    let _ = writeln!(
        b,
        "<p id=\"breaking-load\"><strong>Breaking load: {}</strong>{}</p>",
        escape(&super::stress::answer_line(s)),
        s.first_broken.as_ref().map_or(String::new(), |t| format!(
            "; first to break: {}",
            escape(t)
        ))
    );
    b.push_str("<h2>Loads</h2>\n<div class=\"scroll\"><table id=\"key-figures\">\n<thead><tr><th>load</th>");
    let threshold = Some(s.service_level_threshold);
    const FIGURES: [&str; 4] = ["service_level", "wait_p95", "abandon_rate", "occupancy"];
    for f in FIGURES {
        let _ = write!(b, "<th>{}</th>", escape(&sweep_label(f, threshold)));
    }
    for t in &s.targets {
        let _ = write!(b, "<th>{}</th>", escape(&t.target));
    }
    b.push_str("</tr></thead>\n<tbody>\n");
    let rows = s.rows();
    for (p, r) in s.curve.iter().zip(&rows) {
        let _ = write!(
            b,
            "<tr><th>{}</th>",
            crate::stress::multiplier_label(p.multiplier)
        );
        for f in FIGURES {
            if let Some((_, e)) = r.figures().into_iter().find(|(g, _)| *g == f) {
                let (v, h) = sweep_value(f, e);
                b.push_str(&cell(v, h));
            }
        }
        for t in &p.targets {
            let _ = write!(b, "<td>{}</td>", super::stress::verdict(t));
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</tbody>\n</table></div>\n");
    let sweep = Sweep {
        scenario: s.scenario.clone(),
        seed: s.seed,
        replications: s.replications,
        axes: vec![crate::sweep::Axis {
            path: "load (multiple of today's traffic)".into(),
            values: rows.iter().map(|r| r.values[0].clone()).collect(),
        }],
        rows,
        warnings: vec![],
    };
    b.push_str("<h2>Figures by load</h2>\n");
    for f in FIGURES {
        // The limit of a whole-desk target on this figure, drawn across its chart.
        let limit = s.targets.iter().find_map(|b| {
            let t: crate::target::Target = b.target.parse().ok()?;
            (t.scope.is_none() && t.metric.figure_name() == f).then_some(t.limit)
        });
        b.push_str(&sweep_chart(&sweep, f, threshold, limit));
    }
    b.push_str(&warnings(&s.warnings));
    page(&format!("routesim stress: {}", s.scenario), &b)
}

/// How a sweep's figure is named: as the terminal table names it.
fn sweep_label(figure: &str, threshold: Option<f64>) -> String {
    match figure {
        "service_level" => match threshold {
            Some(t) => format!("SL {}", human_secs(Some(t))),
            None => "SL".into(),
        },
        "abandon_rate" => "abandon rate".into(),
        "wait_mean" => "mean wait".into(),
        "wait_p90" => "p90 wait".into(),
        "wait_p95" => "p95 wait".into(),
        "staffing_cost" => "staffing cost".into(),
        other => other.into(),
    }
}

/// Whether a sweep's figure is a share (shown in percent).
fn is_share(figure: &str) -> bool {
    matches!(figure, "service_level" | "abandon_rate" | "occupancy")
}

/// A sweep's figure as it reads in a cell, and its half-width.
fn sweep_value(figure: &str, e: Estimate) -> (String, Option<String>) {
    let show = |x: f64| match figure {
        f if is_share(f) => format!("{:.1}%", x * 100.0),
        "staffing_cost" => format!("{x:.1}"),
        _ => human_secs(Some(x)),
    };
    match e.value {
        None => ("-".into(), None),
        Some(v) => (show(v), e.ci95.map(show)),
    }
}

/// A sweep's point as it reads on an axis: its values, joined.
fn point_label(values: &[String]) -> String {
    values.join(", ")
}

/// One figure of a sweep across its points, each with its 95% interval as an error bar.
/// A chart of one figure over a sweep's points; `limit`: a target's limit, drawn across.
fn sweep_chart(s: &Sweep, figure_name: &str, threshold: Option<f64>, limit: Option<f64>) -> String {
    let name = format!("sweep-{}", figure_name.replace('_', "-"));
    let title = sweep_label(figure_name, threshold);
    let axes: Vec<String> = s.axes.iter().map(|a| escape(&a.path)).collect();
    let caption = format!(
        "<strong>{}</strong> at each point ({}), with its 95% confidence interval.",
        escape(&title),
        axes.join(", ")
    );
    // (point, value, interval's low end, high end). Every figure is a count, a time or a
    // share: an interval is cut at 0 (and a share's at 1), where a symmetric half-width can
    // pass a bound the figure cannot.
    let top = if is_share(figure_name) {
        1.0
    } else {
        f64::INFINITY
    };
    let values: Vec<(usize, f64, f64, f64)> = s
        .rows
        .iter()
        .enumerate()
        .filter_map(|(k, r)| {
            let e = r
                .figures()
                .into_iter()
                .find(|(f, _)| *f == figure_name)
                .map(|(_, e)| e)?;
            e.value.map(|v| {
                let h = e.ci95.unwrap_or(0.0);
                (k, v, (v - h).max(0.0), (v + h).min(top))
            })
        })
        .collect();
    if values.is_empty() {
        return no_chart(&name, &caption, "No point has this figure.");
    }
    let n = s.rows.len();
    let lo = values
        .iter()
        .map(|v| v.2)
        .chain(limit)
        .fold(f64::INFINITY, f64::min);
    let hi = values
        .iter()
        .map(|v| v.3)
        .chain(limit)
        .fold(f64::NEG_INFINITY, f64::max);
    let pad = if hi > lo {
        (hi - lo) * 0.12
    } else {
        (hi.abs() * 0.1).max(if is_share(figure_name) { 0.01 } else { 1.0 })
    };
    let (y0, y1) = ((lo - pad).max(0.0), (hi + pad).min(top));
    let step = n.div_ceil(16).max(1);
    let keys: Vec<f64> = (0..n).step_by(step).map(|k| k as f64).collect();
    let labels: Vec<String> = s.rows.iter().map(|r| point_label(&r.values)).collect();
    let label = |x: &f64| {
        let k = x.round();
        if (x - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < n {
            labels[k as usize].clone()
        } else {
            String::new()
        }
    };
    let y_fmt = |y: &f64| match figure_name {
        f if is_share(f) => axis_pct(*y),
        "staffing_cost" => format!("{y:.0}"),
        _ => axis_secs(*y),
    };
    let x_desc = s
        .axes
        .iter()
        .map(|a| a.path.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let one_axis = s.axes.len() == 1;
    let colour = PALETTE[5];
    let chart = svg(280, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(46)
            .y_label_area_size(72)
            .build_cartesian_2d(
                Keyed {
                    range: -0.5..n as f64 - 0.5,
                    keys,
                },
                y0..y1,
            )?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(title.clone())
            .x_label_formatter(&label)
            .y_label_formatter(&y_fmt)
            .label_style(text_style(12))
            .axis_desc_style(text_style(14))
            .axis_style(FRAME)
            .bold_line_style(LIGHT)
            .light_line_style(TRANSPARENT)
            .draw()?;
        if one_axis && values.len() > 1 {
            chart.draw_series(LineSeries::new(
                values.iter().map(|&(k, v, _, _)| (k as f64, v)),
                colour.mix(0.5).stroke_width(1),
            ))?;
        }
        chart.draw_series(values.iter().map(|&(k, v, low, high)| {
            ErrorBar::new_vertical(k as f64, low, v, high, colour.filled().stroke_width(2), 8)
        }))?;
        if let Some(y) = limit {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(-0.5, y), (n as f64 - 0.5, y)],
                GREY.stroke_width(1),
            )))?;
        }
        Ok(())
    });
    figure(&name, &caption, 1, chart)
}

/// The report of a comparison: every figure of every scope side by side, each later
/// scenario's difference to the first with its 95% half-width and verdict; then a chart per
/// figure of those differences, with their intervals as error bars around zero.
pub fn compare(c: &Comparison) -> String {
    let mut b = String::new();
    let names: Vec<String> = c.scenarios.iter().map(|n| escape(n)).collect();
    let _ = writeln!(b, "<h1>compare: {}</h1>", names.join(", "));
    let how = if c.paired {
        "paired: the same customers in each replication (common random numbers)".to_string()
    } else {
        format!(
            "unpaired: {}; intervals from each scenario's own spread (Welch)",
            escape(
                c.unpaired_because
                    .as_deref()
                    .unwrap_or("the customers differ")
            )
        )
    };
    let _ = writeln!(
        b,
        "<p class=\"meta\">{} scenarios, seed {}, {} replications each; {how}. Differences are to {} with their 95% half-width under them; a verdict where the interval excludes zero.</p>",
        c.scenarios.len(),
        c.seed,
        c.replications,
        names[0]
    );
    let threshold = c.service_level_thresholds.first().copied().unwrap_or(0.0);
    b.push_str(
        "<h2>Figures</h2>\n<div class=\"scroll\"><table id=\"key-figures\">\n<thead><tr><th></th>",
    );
    for n in &names {
        let _ = write!(b, "<th>{n}</th>");
    }
    for n in &names[1..] {
        let _ = write!(b, "<th>{n} − first</th><th>verdict</th>");
    }
    b.push_str("</tr></thead>\n<tbody>\n");
    for r in &c.rows {
        let f = r.figure.as_str();
        let _ = write!(
            b,
            "<tr><th>{} {}</th>",
            escape(&r.scope),
            sweep_label(f, Some(threshold))
        );
        for v in &r.values {
            let _ = write!(b, "<td>{}</td>", compare_value(f, *v));
        }
        for d in &r.diffs {
            b.push_str(&cell(
                compare_delta(f, d.diff, true),
                d.ci95.map(|h| compare_delta(f, Some(h), false)),
            ));
            let _ = write!(b, "<td>{}</td>", d.verdict.label());
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</tbody>\n</table></div>\n");
    if c.service_level_thresholds.iter().any(|&t| t != threshold) {
        b.push_str("<p class=\"note\">The scenarios measure the service level against different thresholds (report.service_level).</p>\n");
    }
    b.push_str("<h2>Differences to the first</h2>\n");
    let mut figures: Vec<&str> = Vec::new();
    for r in &c.rows {
        if !figures.contains(&r.figure.as_str()) {
            figures.push(&r.figure);
        }
    }
    for f in figures {
        b.push_str(&compare_chart(c, f, threshold));
    }
    b.push_str(&warnings(&c.warnings));
    page(&format!("routesim compare: {}", c.scenarios.join(", ")), &b)
}

/// A comparison's value as it reads: shares in percent, times as durations, costs plain.
fn compare_value(figure: &str, v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if is_share(figure) => format!("{:.1}%", v * 100.0),
        Some(v) if figure == "staffing_cost" => format!("{v:.1}"),
        Some(v) => human_secs(Some(v)),
    }
}

/// A difference (signed) or half-width in the figure's unit: points for shares.
fn compare_delta(figure: &str, v: Option<f64>, signed: bool) -> String {
    let Some(v) = v else { return "-".into() };
    let sign = match (signed, v < 0.0) {
        (false, _) => "",
        (true, true) => "−",
        (true, false) => "+",
    };
    let a = v.abs();
    match figure {
        f if is_share(f) => format!("{sign}{:.2} pt", a * 100.0),
        "staffing_cost" => format!("{sign}{a:.1}"),
        _ => format!("{sign}{}", human_secs(Some(a))),
    }
}

/// One figure's differences to the first scenario, per scope (overall, then the teams), each
/// later scenario in its colour with its 95% interval as an error bar; zero is a grey line.
fn compare_chart(c: &Comparison, figure_name: &str, threshold: f64) -> String {
    let name = format!("compare-{}", figure_name.replace('_', "-"));
    let title = sweep_label(figure_name, Some(threshold));
    let caption = format!(
        "<strong>{}</strong>: {} minus {}, for the whole desk and each team, with its 95% confidence interval{}.",
        escape(&title),
        if c.scenarios.len() == 2 {
            escape(&c.scenarios[1])
        } else {
            "each scenario".into()
        },
        escape(&c.scenarios[0]),
        if is_share(figure_name) {
            " (in percentage points)"
        } else {
            ""
        }
    );
    let rows: Vec<&crate::compare::Row> =
        c.rows.iter().filter(|r| r.figure == figure_name).collect();
    let later = c.scenarios.len() - 1;
    // (scope, scenario, difference, low end, high end)
    let mut marks: Vec<(usize, usize, f64, f64, f64)> = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        for (j, d) in r.diffs.iter().enumerate() {
            if let Some(v) = d.diff {
                let h = d.ci95.unwrap_or(0.0);
                marks.push((k, j, v, v - h, v + h));
            }
        }
    }
    if marks.is_empty() {
        return no_chart(
            &name,
            &caption,
            "No scope has this figure in two scenarios.",
        );
    }
    let lo = marks.iter().map(|m| m.3).fold(0.0, f64::min);
    let hi = marks.iter().map(|m| m.4).fold(0.0, f64::max);
    let pad = if hi > lo {
        (hi - lo) * 0.12
    } else if is_share(figure_name) {
        0.01
    } else {
        1.0
    };
    let (y0, y1) = (lo - pad, hi + pad);
    let n = rows.len();
    let scopes: Vec<String> = rows.iter().map(|r| r.scope.clone()).collect();
    let keys: Vec<f64> = (0..n).map(|k| k as f64).collect();
    let label = |x: &f64| {
        let k = x.round();
        if (x - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < n {
            scopes[k as usize].clone()
        } else {
            String::new()
        }
    };
    let y_fmt = |y: &f64| match figure_name {
        f if is_share(f) => format!("{:+.1} pt", y * 100.0),
        "staffing_cost" => format!("{y:+.0}"),
        _ if *y < 0.0 => format!("−{}", axis_secs(-*y)),
        _ => axis_secs(*y),
    };
    // Scenarios side by side within a scope.
    let offset = |j: usize| {
        if later == 1 {
            0.0
        } else {
            (j as f64 / (later - 1) as f64 - 0.5) * 0.5
        }
    };
    let series = (0..later)
        .filter(|&j| marks.iter().any(|m| m.1 == j))
        .count();
    let chart = svg(300, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(
                Keyed {
                    range: -0.5..n as f64 - 0.5,
                    keys,
                },
                y0..y1,
            )?;
        chart
            .configure_mesh()
            .y_desc(format!("{title}: difference"))
            .x_label_formatter(&label)
            .y_label_formatter(&y_fmt)
            .label_style(text_style(12))
            .axis_desc_style(text_style(14))
            .axis_style(FRAME)
            .bold_line_style(LIGHT)
            .light_line_style(TRANSPARENT)
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
            GREY.stroke_width(1),
        )))?;
        for j in 0..later {
            let colour = PALETTE[(j + 5) % PALETTE.len()];
            let bars: Vec<_> = marks
                .iter()
                .filter(|m| m.1 == j)
                .map(|&(k, _, v, low, high)| {
                    ErrorBar::new_vertical(
                        k as f64 + offset(j),
                        low,
                        v,
                        high,
                        colour.filled().stroke_width(2),
                        8,
                    )
                })
                .collect();
            if bars.is_empty() {
                continue;
            }
            let drawn = chart.draw_series(bars)?;
            // With one scenario against the first, the caption says which it is.
            if later > 1 {
                drawn
                    .label(c.scenarios[j + 1].as_str())
                    .legend(move |(x, y)| Circle::new((x + 6, y), 4, colour.filled()));
            }
        }
        if later > 1 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .margin(10)
                .background_style(WHITE.mix(0.9))
                .border_style(FRAME)
                .label_font(text_style(12))
                .draw()?;
        }
        Ok(())
    });
    figure(&name, &caption, series, chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{RepFigures, TeamFigures};

    /// A small run with names that are markup, two teams (one with no answered chat) and
    /// three half-hours, one without a service level.
    fn sample() -> (Summary, WaitCurves) {
        let figures = |offered: f64, sl: Option<f64>| Figures {
            offered,
            answered: offered - 2.0,
            abandoned: 2.0,
            abandon_rate: Some(2.0 / offered),
            service_level: sl,
            wait: crate::stats::WaitFigures {
                mean: Some(4.25),
                p90: Some(12.0),
                p95: Some(90.0),
                ..Default::default()
            },
            ..Default::default()
        };
        let team = |name: &str| TeamFigures {
            name: name.into(),
            figures: figures(50.0, Some(0.9)),
            jain_occupancy: None,
        };
        let agent = |name: &str, occupancy: Option<f64>| crate::stats::AgentFigures {
            name: name.into(),
            occupancy,
            ..Default::default()
        };
        let figs = RepFigures {
            overall: figures(100.0, Some(0.875)),
            teams: vec![team("<b>support</b> & \"sales\""), team("quiet")],
            agents: vec![
                agent("<script>alert(1)</script>", Some(0.5)),
                agent("busy", Some(0.9)),
                agent("absent", None),
            ],
            ..Default::default()
        };
        let half = |start: &str, from: f64, sl: Option<f64>| IntervalFigures {
            start: start.into(),
            from,
            length: 1_800.0,
            offered: 30.0,
            answered: 27.0,
            abandoned: 1.0,
            service_level: sl,
            agents_on_shift: 4.5,
            ..Default::default()
        };
        let intervals = vec![
            half("tue 09:00", 0.0, Some(0.9)),
            half("tue 09:30", 1_800.0, None),
            half("tue 10:00", 3_600.0, Some(0.7)),
        ];
        let s = Summary {
            scenario_hash: String::new(),
            routesim_version: String::new(),
            scenario: "<i>desk</i>.toml".into(),
            seed: 7,
            replications: 2,
            warmup: 1_800.0,
            duration: 5_400.0,
            service_level_threshold: 20.0,
            ci95: Some(figs.clone()),
            figures: figs,
            simulated_chats: 250,
            stopped_at: None,
            intervals_ci95: Some(intervals.clone()),
            intervals: Some(intervals),
            warnings: vec!["a <warning> & more".into()],
            failure: None,
        };
        let curve = |name: &str, points: Vec<(f64, f64)>| WaitCurve {
            name: name.into(),
            chats: 10,
            points,
        };
        let waits = WaitCurves {
            overall: curve("overall", vec![(0.0, 0.6), (12.0, 0.9), (95.0, 1.0)]),
            teams: vec![
                curve("<b>support</b> & \"sales\"", vec![(0.0, 0.5), (95.0, 1.0)]),
                curve("quiet", vec![]),
            ],
        };
        (s, waits)
    }

    /// The `data-chart` names of a page's figures, and how many of them hold an SVG.
    fn charts(html: &str) -> (Vec<String>, usize) {
        let names = html
            .split("data-chart=\"")
            .skip(1)
            .map(|rest| rest[..rest.find('"').unwrap()].to_string())
            .collect();
        (names, html.matches("<svg ").count())
    }

    #[test]
    fn a_run_s_report_has_every_chart_and_escapes_every_name() {
        let (s, waits) = sample();
        let html = run(&s, &waits);
        let (names, svgs) = charts(&html);
        assert_eq!(
            names,
            [
                "waits",
                "service-level",
                "offered",
                "agents-on-shift",
                "occupancy"
            ]
        );
        assert_eq!(svgs, 5, "{html}");
        // The page and the SVG text alike: no name is markup.
        for raw in ["<script", "<b>", "<i>", "<warning>"] {
            assert!(!html.contains(raw), "{raw}");
        }
        for escaped in [
            "&lt;i&gt;desk&lt;/i&gt;.toml",
            "&lt;b&gt;support&lt;/b&gt; &amp; &quot;sales&quot;",
            "a &lt;warning&gt; &amp; more",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
        ] {
            assert!(html.contains(escaped), "{escaped}");
        }
        // The team without answered chats has no curve; the agent never on shift no bar.
        assert!(html.contains("data-chart=\"waits\" data-series=\"2\""));
        assert!(html.contains("1 agent never on shift in the measured time is left out"));
        // Half-widths under the figures, times as the table writes them.
        assert!(html.contains("<td>87.5%<span class=\"ci\">± 87.5%</span></td>"));
        assert!(html.contains("<td>1m30s<span class=\"ci\">± 1m30s</span></td>"));
        // Nothing to fetch.
        let bare = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for needle in ["http", "<script", "<link", "<img", "url(", "@import"] {
            assert!(!bare.contains(needle), "{needle}");
        }
    }

    #[test]
    fn a_sweep_s_report_has_a_chart_per_figure_and_escapes_its_values() {
        use crate::sweep::{Axis, Row};
        let e = |value: Option<f64>, ci95: Option<f64>| Estimate { value, ci95 };
        let row = |v: &str, sl: f64| Row {
            values: vec![v.into()],
            service_level_threshold: 30.0,
            service_level: e(Some(sl), Some(0.02)),
            abandon_rate: e(Some(0.02), Some(0.004)),
            wait_mean: e(Some(4.8), Some(0.3)),
            wait_p90: e(Some(75.0), None),
            wait_p95: e(None, None),
            occupancy: e(Some(0.5), Some(0.001)),
            staffing_cost: e(Some(6640.0), Some(0.0)),
        };
        let s = Sweep {
            scenario: "desk.toml".into(),
            seed: 7,
            replications: 4,
            axes: vec![Axis {
                path: "teams.<x>.strategy".into(),
                values: vec!["<a>".into(), "b".into()],
            }],
            rows: vec![row("<a>", 0.9), row("b", 0.95)],
            warnings: vec![],
        };
        let html = sweep(&s);
        let (names, svgs) = charts(&html);
        let want: Vec<String> = crate::sweep::FIGURES
            .iter()
            .map(|f| format!("sweep-{}", f.replace('_', "-")))
            .collect();
        assert_eq!(names, want);
        // p95 has no value at any point: said, not drawn.
        assert_eq!(svgs, want.len() - 1);
        assert!(html.contains("No point has this figure."));
        assert!(!html.contains("<a>") && !html.contains("<x>"));
        assert!(html.contains("&lt;a&gt;") && html.contains("teams.&lt;x&gt;.strategy"));
        assert!(html.contains("<td>90.0%<span class=\"ci\">± 2.0%</span></td>"));
    }

    #[test]
    fn a_comparison_s_report_has_a_chart_per_figure_and_escapes_its_names() {
        use crate::compare::{Difference, Row, Verdict};
        let row = |scope: &str, figure: &str, diff: Option<f64>| Row {
            scope: scope.into(),
            figure: figure.into(),
            values: vec![Some(0.5), diff.map(|d| 0.5 + d)],
            diffs: vec![Difference {
                scenario: "<b>.toml".into(),
                diff,
                ci95: Some(0.01),
                paired_ci95: Some(0.01),
                unpaired_ci95: Some(0.03),
                verdict: Verdict::Better,
            }],
        };
        let c = Comparison {
            scenarios: vec!["a.toml".into(), "<b>.toml".into()],
            seed: 7,
            replications: 4,
            service_level_thresholds: vec![30.0, 30.0],
            paired: true,
            unpaired_because: None,
            rows: vec![
                row("overall", "service_level", Some(0.02)),
                row("<t>", "service_level", Some(-0.01)),
                row("overall", "wait_p95", None),
            ],
            warnings: vec![],
        };
        let html = compare(&c);
        let (names, svgs) = charts(&html);
        assert_eq!(names, ["compare-service-level", "compare-wait-p95"]);
        assert_eq!(svgs, 1, "a figure no scope has is said, not drawn");
        assert!(!html.contains("<b>") && !html.contains("<t>"));
        assert!(html.contains("&lt;b&gt;.toml") && html.contains("&lt;t&gt; SL 30s"));
        assert!(
            html.contains("<td>+2.00 pt<span class=\"ci\">± 1.00 pt</span></td><td>better</td>")
        );
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape("<b>\"a\" & 'b'</b>"),
            "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn interval_labels_fall_on_the_hour_at_most_twelve_times() {
        let day: Vec<IntervalFigures> = (0..28)
            .map(|k| IntervalFigures {
                start: format!("mon {:02}:{:02}", 7 + k / 2, 30 * (k % 2)),
                from: k as f64 * 1_800.0,
                length: 1_800.0,
                ..Default::default()
            })
            .collect();
        // 14 hours: every 2 hours, from 08:00 (07:00 is not even).
        let keys = interval_keys(&day);
        let starts: Vec<&str> = keys
            .iter()
            .map(|&k| day[k as usize].start.as_str())
            .collect();
        assert_eq!(
            starts,
            [
                "mon 08:00",
                "mon 10:00",
                "mon 12:00",
                "mon 14:00",
                "mon 16:00",
                "mon 18:00",
                "mon 20:00"
            ]
        );
        // Starts that do not read as times: every k-th interval.
        let odd: Vec<IntervalFigures> = (0..30)
            .map(|k| IntervalFigures {
                start: format!("x{k}"),
                from: k as f64 * 900.0,
                ..Default::default()
            })
            .collect();
        assert_eq!(interval_keys(&odd).len(), 10);
    }

    #[test]
    fn runs_split_where_a_value_is_missing() {
        let v = [
            Some((0.5, None)),
            None,
            Some((0.7, Some(0.1))),
            Some((0.8, None)),
        ];
        let runs = runs_of(&v);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0], vec![(0, 0.5, None)]);
        assert_eq!(runs[1], vec![(2, 0.7, Some(0.1)), (3, 0.8, None)]);
    }

    #[test]
    fn a_run_without_answered_chats_or_intervals_says_so_instead_of_drawing() {
        let s = Summary {
            scenario_hash: String::new(),
            routesim_version: String::new(),
            scenario: "empty.toml".into(),
            seed: 1,
            replications: 1,
            warmup: 0.0,
            duration: 3_600.0,
            service_level_threshold: 20.0,
            figures: RepFigures {
                teams: vec![TeamFigures {
                    name: "t".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            ci95: None,
            simulated_chats: 0,
            stopped_at: None,
            intervals: None,
            intervals_ci95: None,
            warnings: vec![],
            failure: None,
        };
        let waits = WaitCurves {
            overall: WaitCurve::default(),
            teams: vec![WaitCurve::default()],
        };
        let html = run(&s, &waits);
        assert!(html.contains("No chat was answered"), "{html}");
        assert!(html.contains("No interval report"), "{html}");
        assert!(html.contains("No agent was on shift"), "{html}");
        assert!(!html.contains("<svg"), "{html}");
    }
}
