//! `web/index.html`: the page a support engineer opens first. One
//! self-contained file (no external assets: styles inline, plots as inline
//! SVG) so it works from a mirrored package, a laptop or an air-gapped desk.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

/// Everything the page shows; the gatherers fill it while they run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportData {
    pub id: String,
    pub created: Option<Timestamp>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Empty means every namespace.
    pub namespaces: Vec<String>,
    pub pod_regex: Option<String>,
    /// The API server URL (and context name when there is one).
    pub cluster: String,
    pub cluster_version: Option<String>,
    pub kubetac_version: String,
    pub gatherers: Vec<GathererSummary>,
    pub unhealthy: Vec<UnhealthyPod>,
    pub timeline: Vec<TimelineEntry>,
    pub series: Vec<PodSeries>,
    /// Redaction rule name and how many values it replaced (never the values).
    pub redactions: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct GathererSummary {
    /// core, logs, metrics, stats, config
    pub name: String,
    /// completed, completed with errors, skipped, failed, interrupted
    pub state: String,
    /// One line: what was gathered, or why it was skipped/failed.
    pub detail: String,
    pub files: u64,
    pub bytes: u64,
    pub duration_ms: u64,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UnhealthyPod {
    pub namespace: String,
    pub pod: String,
    pub ready: String,
    pub status: String,
    pub restarts: String,
    /// The triage explanation, one line.
    pub explanation: String,
    /// The command that shows more (e.g. `kubetac logs -n ns pod --previous`).
    pub next: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum TimelineKind {
    Restart,
    Event,
    Core,
    ErrorBurst,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub time: Timestamp,
    pub kind: TimelineKind,
    /// Warning events, cores, crashes and error bursts are warnings.
    pub warning: bool,
    pub namespace: String,
    /// Pod (or node, for node-level events and cores without a pod).
    pub object: String,
    pub text: String,
}

/// One pod's usage over the window, from the metrics gatherer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PodSeries {
    pub namespace: String,
    pub pod: String,
    /// CPU in cores (a rate), time-ordered.
    pub cpu: Vec<(Timestamp, f64)>,
    /// Working-set memory in bytes, time-ordered.
    pub memory: Vec<(Timestamp, f64)>,
}

/// Renders the whole page. Every string from the cluster is HTML-escaped.
pub fn render(data: &ReportData) -> String {
    let mut out = String::with_capacity(64 * 1024);
    head(&mut out, data);
    header(&mut out, data);
    out.push_str("<main>");
    gatherers(&mut out, data);
    unhealthy(&mut out, data);
    timeline(&mut out, data);
    usage(&mut out, data);
    redactions(&mut out, data);
    out.push_str("</main>");
    footer(&mut out, data);
    out.push_str("</body>\n</html>\n");
    out
}

/// Escapes text for HTML element content and quoted attribute values (and
/// so for inline SVG too).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // NUL is a parse error in HTML and some viewers drop the rest of
            // the text after it.
            '\0' => out.push('\u{FFFD}'),
            _ => out.push(c),
        }
    }
    out
}

// Writing into a String cannot fail, so the fmt::Result carries nothing.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// Rows in the timeline table; the full list is in stats/ and a page with
/// tens of thousands of rows is too slow to open on a support laptop.
const TIMELINE_ROWS: usize = 500;
/// Errors listed under one gatherer; the rest are in its own log.
const GATHERER_ERRORS: usize = 20;
/// Long event messages and log lines are cut in the page (never in stats/).
const TEXT_CHARS: usize = 400;

const STYLE: &str = r#"
:root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--ok:#1e7f4f;--ok-bg:#e3f5ea;--warn:#8a5a00;--warn-bg:#fdf1d6;--bad:#b42318;--bad-bg:#fde7e5;--na:#52606d;--na-bg:#eceff3;--accent:#2457c5}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
header.top{background:#1f2933;color:#f5f7fa;padding:20px 32px 18px}
header.top .brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#9aa5b1}
header.top h1{margin:2px 0 14px;font-size:22px;font-weight:600;overflow-wrap:anywhere}
dl.meta{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:4px 18px;margin:0;font-size:13px}
dl.meta dt{color:#9aa5b1}
dl.meta dd{margin:0;overflow-wrap:anywhere}
dl.meta code{font-size:12px;color:#f5f7fa}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{background:#323f4b;border-radius:6px;padding:8px 14px;min-width:150px}
.card .n{font-size:20px;font-weight:600}
.card .l{font-size:12px;color:#cbd2d9}
.card.bad{background:#7a1f17}
.card.warn{background:#6b4a06}
nav{position:sticky;top:0;z-index:1;background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;display:flex;gap:20px;font-size:13px}
nav a{color:var(--accent);text-decoration:none}
main{padding:8px 32px 24px;max-width:1520px}
section{margin-top:22px}
h2{font-size:17px;margin:0 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h2 .count{color:var(--muted);font-weight:400;font-size:14px;margin-left:6px}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);font-size:13px}
th{text-align:left;font-weight:600;color:var(--muted);background:#f9fafb;border-bottom:1px solid var(--line);padding:6px 10px;white-space:nowrap}
td{padding:6px 10px;border-top:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
td.name{font-weight:600;white-space:nowrap}
tr.errors td{border-top:0;padding-top:0}
ul.errs{margin:0;padding-left:18px;color:var(--bad);font-size:12.5px}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--ok-bg)}
.badge.warn{color:var(--warn);background:var(--warn-bg)}
.badge.bad{color:var(--bad);background:var(--bad-bg)}
.badge.na{color:var(--na);background:var(--na-bg)}
.empty{background:var(--card);border:1px solid var(--line);border-radius:4px;padding:12px 14px;color:var(--muted);margin:0}
.empty.good{color:var(--ok)}
.note{color:var(--muted);font-size:12.5px;margin:6px 0 0}
.strip{background:var(--card);border:1px solid var(--line);padding:6px 8px 2px;margin-bottom:6px;overflow-x:auto}
.strip svg{display:block;width:100%;min-width:860px;height:auto}
.strip text{font-size:11px;fill:var(--muted)}
.strip .lane{fill:#f9fafb}
.strip .grid{stroke:var(--line);fill:none}
.m-warn{fill:#d64545}.m-amber{fill:#e0a100}.m-norm{fill:#9aa5b1}
.legend{display:flex;flex-wrap:wrap;gap:16px;font-size:12px;color:var(--muted);margin:4px 0 12px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;vertical-align:-1px}
.lg-warn{background:#d64545}.lg-amber{background:#e0a100}.lg-norm{background:#9aa5b1}
.kind{font-size:12px;white-space:nowrap}
tr.warn td.k .kind{color:var(--bad);font-weight:600}
.tl-table{max-height:560px;overflow:auto;border:1px solid var(--line)}
.tl-table table{border:0}
.tl-table th{position:sticky;top:0}
.pods{display:flex;flex-wrap:wrap;gap:14px}
.pod-usage{background:var(--card);border:1px solid var(--line);border-radius:4px;padding:8px 10px 6px}
.pod-usage h3{font-size:13.5px;margin:0 0 4px;font-weight:600;overflow-wrap:anywhere}
.pod-usage h3 .ns{color:var(--muted);font-weight:400}
.pod-usage.sick{box-shadow:inset 3px 0 0 var(--bad)}
.plots{display:flex;flex-wrap:wrap;gap:12px}
.plot-cell{width:300px;max-width:100%}
.plot-head{display:flex;justify-content:space-between;align-items:baseline;gap:8px;font-size:12px;padding-left:4px}
.plot-head b{font-weight:600}
.plot-head span{color:var(--muted);font-size:11px;font-variant-numeric:tabular-nums;white-space:nowrap}
svg.plot{display:block;max-width:100%;height:auto}
svg.plot text{font-size:10.5px;fill:var(--muted);font-variant-numeric:tabular-nums}
svg.plot .yl{text-anchor:end}
svg.plot .xl{text-anchor:middle}
svg.plot .grid{stroke:#edf0f3;fill:none}
svg.plot .axis{stroke:#9aa5b1;fill:none}
svg.plot .line{fill:none;stroke-width:1.6;stroke-linejoin:round;stroke-linecap:round}
svg.plot[data-metric=cpu] .line{stroke:#2457c5}
svg.plot[data-metric=memory] .line{stroke:#7b3fc4}
svg.plot[data-metric=cpu] .dot{fill:#2457c5}
svg.plot[data-metric=memory] .dot{fill:#7b3fc4}
.plot-empty{display:flex;align-items:center;justify-content:center;min-height:120px;color:var(--muted);font-size:12.5px;background:#f9fafb;border:1px dashed var(--line);margin:4px 0 6px}
ul.redactions{margin:0;padding:10px 14px 10px 32px;background:var(--card);border:1px solid var(--line)}
footer{padding:14px 32px 28px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);margin-top:24px}
@media print{nav{display:none}.tl-table{max-height:none;overflow:visible}body{background:#fff}}
"#;

fn head(out: &mut String, d: &ReportData) {
    let title = if d.id.is_empty() {
        "kubetac debug package".to_string()
    } else {
        format!("kubetac debug package {}", d.id)
    };
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // The page carries strings from the cluster; if escaping ever missed
    // one, the policy still keeps it from loading or running anything.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"generator\" content=\"kubetac\">\n");
    w!(
        out,
        "<title>{}</title>\n<style>{STYLE}</style>\n",
        escape(&title)
    );
    out.push_str("</head>\n<body>\n");
}

fn header(out: &mut String, d: &ReportData) {
    out.push_str("<header class=\"top\">\n<div class=\"brand\">kubetac debug package</div>\n");
    w!(out, "<h1>{}</h1>\n", or_dash(&d.id));

    out.push_str("<dl class=\"meta\">\n");
    let window = format!("{} → {}", opt_ts(d.from), opt_ts(d.to));
    meta(out, "Window", &escape(&window));
    let duration = match (d.from, d.to) {
        (Some(f), Some(t)) if t >= f => fmt_span(ms_between(f, t)),
        _ => "—".to_string(),
    };
    meta(out, "Duration", &escape(&duration));
    let namespaces = if d.namespaces.is_empty() {
        "all namespaces".to_string()
    } else {
        escape(&d.namespaces.join(", "))
    };
    meta(out, "Namespaces", &namespaces);
    let pods = match &d.pod_regex {
        Some(r) if !r.is_empty() => format!("<code>{}</code>", escape(r)),
        _ => "all pods".to_string(),
    };
    meta(out, "Pod filter", &pods);
    meta(out, "Cluster", &or_dash(&d.cluster));
    meta(
        out,
        "Cluster version",
        &or_dash(d.cluster_version.as_deref().unwrap_or("")),
    );
    meta(out, "kubetac", &or_dash(&d.kubetac_version));
    meta(out, "Created", &escape(&opt_ts(d.created)));
    out.push_str("</dl>\n");

    out.push_str("<div class=\"cards\">\n");
    let done = d
        .gatherers
        .iter()
        .filter(|g| state_class(&g.state) == "ok")
        .count();
    let gclass = if d.gatherers.iter().any(|g| state_class(&g.state) == "bad") {
        "bad"
    } else if done < d.gatherers.len() {
        "warn"
    } else {
        ""
    };
    card(
        out,
        gclass,
        &format!("{done}/{}", d.gatherers.len()),
        "gatherers completed",
    );
    card(
        out,
        if d.unhealthy.is_empty() { "" } else { "bad" },
        &d.unhealthy.len().to_string(),
        "unhealthy pods",
    );
    let warnings = d.timeline.iter().filter(|e| e.warning).count();
    card(
        out,
        if warnings > 0 { "warn" } else { "" },
        &d.timeline.len().to_string(),
        &format!("timeline entries ({warnings} warnings)"),
    );
    card(out, "", &d.series.len().to_string(), "pods with metrics");
    out.push_str("</div>\n</header>\n");

    out.push_str(
        "<nav><a href=\"#s-gatherers\">Gatherers</a><a href=\"#s-unhealthy\">Unhealthy pods</a>\
         <a href=\"#s-timeline\">Timeline</a><a href=\"#s-usage\">Resource usage</a>\
         <a href=\"#s-redactions\">Redactions</a></nav>\n",
    );
}

/// `value` is already HTML.
fn meta(out: &mut String, label: &str, value: &str) {
    w!(out, "<dt>{label}</dt><dd>{value}</dd>\n");
}

fn card(out: &mut String, class: &str, n: &str, label: &str) {
    w!(
        out,
        "<div class=\"card {class}\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div>\n",
        escape(n),
        escape(label)
    );
}

fn section_open(out: &mut String, id: &str, title: &str, count: Option<usize>) {
    w!(out, "<section id=\"{id}\">\n<h2>{title}");
    if let Some(n) = count {
        w!(out, "<span class=\"count\">{n}</span>");
    }
    out.push_str("</h2>\n");
}

/// The badge colour for a gatherer state: completed green, partial or
/// skipped amber, failed or interrupted red.
fn state_class(state: &str) -> &'static str {
    match state.trim().to_ascii_lowercase().as_str() {
        "completed" => "ok",
        "completed with errors" | "skipped" | "partial" => "warn",
        "failed" | "interrupted" | "error" => "bad",
        s if s.starts_with("completed") => "warn",
        _ => "na",
    }
}

fn gatherers(out: &mut String, d: &ReportData) {
    section_open(out, "s-gatherers", "Gatherers", Some(d.gatherers.len()));
    if d.gatherers.is_empty() {
        out.push_str("<p id=\"gatherers\" class=\"empty\">No gatherers ran.</p>\n");
        out.push_str("</section>\n");
        return;
    }
    out.push_str(
        "<table id=\"gatherers\">\n<thead><tr><th>Gatherer</th><th>State</th><th>Detail</th>\
         <th class=\"num\">Files</th><th class=\"num\">Size</th><th class=\"num\">Duration</th>\
         </tr></thead>\n<tbody>\n",
    );
    for g in &d.gatherers {
        let class = state_class(&g.state);
        w!(
            out,
            "<tr class=\"gatherer\" data-state=\"{class}\"><td class=\"name\">{}</td>\
             <td><span class=\"badge {class}\">{}</span></td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(&g.name),
            or_dash(&g.state),
            escape(&g.detail),
            g.files,
            escape(&fmt_bytes(g.bytes as f64)),
            escape(&fmt_span(g.duration_ms)),
        );
        if !g.errors.is_empty() {
            out.push_str("<tr class=\"errors\"><td></td><td colspan=\"5\"><ul class=\"errs\">");
            for e in g.errors.iter().take(GATHERER_ERRORS) {
                w!(out, "<li>{}</li>", escape(&clip(e)));
            }
            if g.errors.len() > GATHERER_ERRORS {
                w!(
                    out,
                    "<li>{} more errors not shown</li>",
                    g.errors.len() - GATHERER_ERRORS
                );
            }
            out.push_str("</ul></td></tr>\n");
        }
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn unhealthy(out: &mut String, d: &ReportData) {
    section_open(
        out,
        "s-unhealthy",
        "Unhealthy pods",
        Some(d.unhealthy.len()),
    );
    if d.unhealthy.is_empty() {
        out.push_str(
            "<p id=\"unhealthy\" class=\"empty good\">No unhealthy pods in the selected \
             namespaces at the time the package was cut.</p>\n</section>\n",
        );
        return;
    }
    out.push_str(
        "<table id=\"unhealthy\">\n<thead><tr><th>Namespace</th><th>Pod</th><th>Ready</th>\
         <th>Status</th><th class=\"num\">Restarts</th><th>Explanation</th><th>Next</th>\
         </tr></thead>\n<tbody>\n",
    );
    for p in &d.unhealthy {
        let next = match &p.next {
            Some(n) if !n.is_empty() => format!("<code>{}</code>", escape(n)),
            _ => "—".to_string(),
        };
        w!(
            out,
            "<tr class=\"pod\"><td>{}</td><td class=\"name\">{}</td><td class=\"num\">{}</td>\
             <td><span class=\"badge bad\">{}</span></td><td class=\"num\">{}</td><td>{}</td>\
             <td>{next}</td></tr>\n",
            escape(&p.namespace),
            escape(&p.pod),
            escape(&p.ready),
            or_dash(&p.status),
            escape(&p.restarts),
            escape(&clip(&p.explanation)),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

const KINDS: [TimelineKind; 4] = [
    TimelineKind::Restart,
    TimelineKind::Event,
    TimelineKind::Core,
    TimelineKind::ErrorBurst,
];

fn kind_name(k: TimelineKind) -> &'static str {
    match k {
        TimelineKind::Restart => "restart",
        TimelineKind::Event => "event",
        TimelineKind::Core => "core",
        TimelineKind::ErrorBurst => "error burst",
    }
}

fn kind_lane(k: TimelineKind) -> usize {
    match k {
        TimelineKind::Restart => 0,
        TimelineKind::Event => 1,
        TimelineKind::Core => 2,
        TimelineKind::ErrorBurst => 3,
    }
}

/// Warning events are common and mostly noise next to a crash, so they get
/// amber; restarts, cores and error bursts flagged as warnings get red.
fn marker_class(k: TimelineKind, warning: bool) -> &'static str {
    match (k, warning) {
        (_, false) => "m-norm",
        (TimelineKind::Event, true) => "m-amber",
        (_, true) => "m-warn",
    }
}

// Timeline strip geometry, in SVG user units.
const TL_W: f64 = 1000.0;
const TL_LEFT: f64 = 92.0;
const TL_RIGHT: f64 = 16.0;
const TL_TOP: f64 = 4.0;
const TL_LANE: f64 = 22.0;

fn timeline(out: &mut String, d: &ReportData) {
    section_open(out, "s-timeline", "Timeline", Some(d.timeline.len()));
    out.push_str("<div id=\"timeline\">\n");
    if d.timeline.is_empty() {
        out.push_str(
            "<p class=\"empty\">No restarts, events, cores or error bursts in the window.</p>\n\
             </div>\n</section>\n",
        );
        return;
    }
    let mut entries: Vec<&TimelineEntry> = d.timeline.iter().collect();
    entries.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then(a.kind.cmp(&b.kind))
            .then_with(|| a.namespace.cmp(&b.namespace))
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.text.cmp(&b.text))
            .then(b.warning.cmp(&a.warning))
    });
    let range = window_ms(d).unwrap_or_else(|| {
        let lo = ms(entries[0].time);
        let hi = ms(entries[entries.len() - 1].time);
        pad_range(lo, hi)
    });
    timeline_strip(out, &entries, range);
    timeline_table(out, &entries);
    out.push_str("</div>\n</section>\n");
}

fn timeline_strip(out: &mut String, entries: &[&TimelineEntry], (t0, t1): (f64, f64)) {
    let plot_w = TL_W - TL_LEFT - TL_RIGHT;
    let lanes_h = TL_LANE * KINDS.len() as f64;
    let axis_y = TL_TOP + lanes_h;
    let height = axis_y + 20.0;

    // One marker per lane and pixel column keeps the strip small and legible
    // however many entries there are; the tooltip says how many it stands for.
    struct Bucket<'a> {
        first: &'a TimelineEntry,
        count: usize,
        warning: bool,
        worst: TimelineKind,
    }
    let mut buckets: BTreeMap<(usize, i64), Bucket> = BTreeMap::new();
    let mut outside = 0usize;
    for e in entries {
        let t = ms(e.time);
        if t < t0 || t > t1 {
            outside += 1;
            continue;
        }
        let col = ((t - t0) / (t1 - t0) * plot_w).round() as i64;
        let b = buckets.entry((kind_lane(e.kind), col)).or_insert(Bucket {
            first: e,
            count: 0,
            warning: false,
            worst: e.kind,
        });
        b.count += 1;
        b.warning |= e.warning;
        b.worst = b.worst.max(e.kind);
    }

    w!(
        out,
        "<div class=\"strip\"><svg class=\"timeline-strip\" viewBox=\"0 0 {} {}\" role=\"img\">\
         <title>Timeline of the window by kind</title>\n",
        num(TL_W),
        num(height)
    );
    for (i, k) in KINDS.iter().enumerate() {
        let y = TL_TOP + TL_LANE * i as f64;
        if i % 2 == 0 {
            w!(
                out,
                "<rect class=\"lane\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                num(TL_LEFT),
                num(y),
                num(plot_w),
                num(TL_LANE)
            );
        }
        w!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            num(TL_LEFT - 8.0),
            num(y + TL_LANE / 2.0 + 4.0),
            lane_title(*k)
        );
    }

    let ticks = time_ticks(t0, t1, 10);
    let mut grid = String::new();
    for &t in &ticks.at {
        let x = TL_LEFT + (t - t0) / (t1 - t0) * plot_w;
        w!(grid, "M{} {}V{}", num(x), num(TL_TOP), num(axis_y + 4.0));
    }
    w!(
        grid,
        "M{} {}H{}",
        num(TL_LEFT),
        num(axis_y),
        num(TL_LEFT + plot_w)
    );
    w!(out, "<path class=\"grid\" d=\"{grid}\"/>\n");
    for &t in &ticks.at {
        let x = TL_LEFT + (t - t0) / (t1 - t0) * plot_w;
        w!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            num(x),
            num(axis_y + 16.0),
            escape(&ticks.label(t))
        );
    }
    out.push('\n');

    for (&(lane, col), b) in &buckets {
        let x = TL_LEFT + col as f64;
        let y = TL_TOP + TL_LANE * lane as f64 + TL_LANE / 2.0;
        let class = marker_class(b.worst, b.warning);
        let e = b.first;
        let mut tip = format!(
            "{} {} {}: {}",
            fmt_ts(e.time),
            kind_name(e.kind),
            object_name(&e.namespace, &e.object),
            clip(&e.text)
        );
        if b.count > 1 {
            let _ = write!(tip, " (+{} more here)", b.count - 1);
        }
        let tip = escape(&tip);
        let (x, y) = (num(x), num(y));
        match KINDS[lane] {
            TimelineKind::Restart => w!(
                out,
                "<circle class=\"{class}\" cx=\"{x}\" cy=\"{y}\" r=\"4.5\"><title>{tip}</title></circle>\n"
            ),
            TimelineKind::Event => w!(
                out,
                "<path class=\"{class}\" d=\"M{x} {y}m-1.5 -6h3v12h-3z\"><title>{tip}</title></path>\n"
            ),
            TimelineKind::Core => w!(
                out,
                "<path class=\"{class}\" d=\"M{x} {y}m0 -6l6 6-6 6-6-6z\"><title>{tip}</title></path>\n"
            ),
            TimelineKind::ErrorBurst => w!(
                out,
                "<path class=\"{class}\" d=\"M{x} {y}m0 -6l5.5 11h-11z\"><title>{tip}</title></path>\n"
            ),
        }
    }
    out.push_str("</svg></div>\n");
    out.push_str(
        "<div class=\"legend\"><span><i class=\"lg-warn\"></i>restart, core or error burst \
         (warning)</span><span><i class=\"lg-amber\"></i>warning event</span>\
         <span><i class=\"lg-norm\"></i>normal</span>",
    );
    if outside > 0 {
        w!(
            out,
            "<span>{outside} entries outside the window are only in the table</span>"
        );
    }
    out.push_str("</div>\n");
}

fn lane_title(k: TimelineKind) -> &'static str {
    match k {
        TimelineKind::Restart => "Restarts",
        TimelineKind::Event => "Events",
        TimelineKind::Core => "Cores",
        TimelineKind::ErrorBurst => "Error bursts",
    }
}

fn timeline_table(out: &mut String, entries: &[&TimelineEntry]) {
    out.push_str(
        "<div class=\"tl-table\"><table id=\"timeline-entries\">\n<thead><tr><th>Time (UTC)</th>\
         <th>Kind</th><th>Namespace</th><th>Object</th><th>Text</th></tr></thead>\n<tbody>\n",
    );
    for e in entries.iter().take(TIMELINE_ROWS) {
        let class = if e.warning { "entry warn" } else { "entry" };
        w!(
            out,
            "<tr class=\"{class}\"><td class=\"t\">{}</td><td class=\"k\"><span class=\"kind\">{}</span></td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>\n",
            e.time.strftime("%Y-%m-%d %H:%M:%S"),
            kind_name(e.kind),
            escape(&e.namespace),
            escape(&e.object),
            escape(&clip(&e.text)),
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
    if entries.len() > TIMELINE_ROWS {
        w!(
            out,
            "<p class=\"note\">{} more in stats/ (the table shows the first {TIMELINE_ROWS} of {} \
             entries).</p>\n",
            entries.len() - TIMELINE_ROWS,
            entries.len()
        );
    }
}

fn usage(out: &mut String, d: &ReportData) {
    section_open(out, "s-usage", "Resource usage", Some(d.series.len()));
    if d.series.is_empty() {
        out.push_str("<p class=\"empty\">No metrics were gathered");
        match d.gatherers.iter().find(|g| g.name == "metrics") {
            Some(g) => w!(
                out,
                ": the metrics gatherer says “{}”{}.",
                escape(&g.state),
                if g.detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", escape(&g.detail))
                }
            ),
            None => out.push_str(". The gatherers table above says why."),
        }
        out.push_str("</p>\n</section>\n");
        return;
    }
    let range = window_ms(d).unwrap_or_else(|| {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for s in &d.series {
            for (t, v) in s.cpu.iter().chain(&s.memory) {
                if v.is_finite() {
                    lo = lo.min(ms(*t));
                    hi = hi.max(ms(*t));
                }
            }
        }
        if lo.is_finite() {
            pad_range(lo, hi)
        } else {
            pad_range(0.0, 0.0)
        }
    });
    let sick: BTreeSet<(&str, &str)> = d
        .unhealthy
        .iter()
        .map(|p| (p.namespace.as_str(), p.pod.as_str()))
        .collect();
    // Unhealthy pods first: they are what the engineer opened the page for.
    let mut order: Vec<&PodSeries> = d.series.iter().collect();
    order.sort_by(|a, b| {
        let sa = sick.contains(&(a.namespace.as_str(), a.pod.as_str()));
        let sb = sick.contains(&(b.namespace.as_str(), b.pod.as_str()));
        sb.cmp(&sa)
            .then_with(|| a.namespace.cmp(&b.namespace))
            .then_with(|| a.pod.cmp(&b.pod))
    });
    w!(
        out,
        "<p class=\"note\">{}. Unhealthy pods come first; hover a plot for its title.</p>\n",
        escape(&format!(
            "{} → {}",
            fmt_ts(ts_from_ms(range.0)),
            fmt_ts(ts_from_ms(range.1))
        ))
    );
    out.push_str("<div class=\"pods\">\n");
    for s in order {
        let is_sick = sick.contains(&(s.namespace.as_str(), s.pod.as_str()));
        let key = escape(&format!("{}/{}", s.namespace, s.pod));
        w!(
            out,
            "<div class=\"pod-usage{}\"><h3><span class=\"ns\">{}/</span>{}",
            if is_sick { " sick" } else { "" },
            escape(&s.namespace),
            escape(&s.pod)
        );
        if is_sick {
            out.push_str(" <span class=\"badge bad\">unhealthy</span>");
        }
        out.push_str("</h3><div class=\"plots\">\n");
        plot(out, &key, Metric::Cpu, &s.cpu, range);
        plot(out, &key, Metric::Memory, &s.memory, range);
        out.push_str("</div></div>\n");
    }
    out.push_str("</div>\n</section>\n");
}

#[derive(Clone, Copy)]
enum Metric {
    Cpu,
    Memory,
}

impl Metric {
    fn id(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu",
            Metric::Memory => "memory",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Metric::Cpu => "CPU",
            Metric::Memory => "Memory",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Metric::Cpu => "CPU (cores)",
            Metric::Memory => "Memory (working set)",
        }
    }

    fn fmt(self, v: f64) -> String {
        match self {
            Metric::Cpu => fmt_cpu(v),
            Metric::Memory => fmt_bytes(v),
        }
    }

    /// The top of the y axis: a round number at or above `max`.
    fn axis_top(self, max: f64) -> f64 {
        match self {
            Metric::Cpu if max <= 0.0 => 0.1,
            Metric::Cpu => nice_ceil(max),
            Metric::Memory if max <= 0.0 => MIB,
            Metric::Memory => {
                // Round in the unit the label will use, so 300 MiB gets a
                // 500 MiB axis rather than one at 512 MiB.
                let mut unit = 1.0;
                while max / unit >= 1024.0 && unit < MIB * MIB * 1024.0 {
                    unit *= 1024.0;
                }
                nice_ceil(max / unit) * unit
            }
        }
    }
}

// Resource plot geometry, in SVG user units.
// Drawn at this size in CSS pixels rather than scaled to the column, so
// the axis labels stay readable on any screen (`.plot-cell` in STYLE has
// the same width).
const P_W: f64 = 300.0;
const P_H: f64 = 132.0;
const P_LEFT: f64 = 54.0;
const P_RIGHT: f64 = 16.0;
const P_TOP: f64 = 8.0;
const P_BOTTOM: f64 = 22.0;
/// More points than this in a plot are reduced to min/max per pixel column.
const P_MAX_POINTS: usize = 600;

fn plot(
    out: &mut String,
    key: &str,
    metric: Metric,
    raw: &[(Timestamp, f64)],
    (t0, t1): (f64, f64),
) {
    let mut pts: Vec<(f64, f64)> = raw
        .iter()
        .map(|(t, v)| (ms(*t), *v))
        .filter(|(t, v)| v.is_finite() && *t >= t0 && *t <= t1)
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));

    out.push_str("<div class=\"plot-cell\">");
    if pts.is_empty() {
        w!(
            out,
            "<div class=\"plot-head\"><b>{}</b><span>no samples</span></div>\
             <div class=\"plot-empty\" data-pod=\"{key}\" data-metric=\"{}\">No {} samples in the \
             window</div></div>\n",
            metric.label(),
            metric.id(),
            metric.id(),
        );
        return;
    }
    let min = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let last = pts[pts.len() - 1].1;
    w!(
        out,
        "<div class=\"plot-head\"><b>{}</b><span>min {} · max {} · last {}</span></div>",
        metric.label(),
        escape(&metric.fmt(min)),
        escape(&metric.fmt(max)),
        escape(&metric.fmt(last)),
    );

    let hi = metric.axis_top(max);
    let lo = if min < 0.0 {
        -metric.axis_top(-min)
    } else {
        0.0
    };
    let pw = P_W - P_LEFT - P_RIGHT;
    let ph = P_H - P_TOP - P_BOTTOM;
    let x_of = |t: f64| round1(P_LEFT + (t - t0) / (t1 - t0) * pw);
    let y_of = |v: f64| round1(P_TOP + (hi - v) / (hi - lo) * ph);
    let base = P_TOP + ph;

    w!(
        out,
        "<svg class=\"plot\" data-pod=\"{key}\" data-metric=\"{}\" width=\"{w}\" \
         height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\"><title>{} of {key}, {} to {}; \
         min {}, max {}</title>",
        metric.id(),
        metric.title(),
        fmt_ts(ts_from_ms(t0)),
        fmt_ts(ts_from_ms(t1)),
        escape(&metric.fmt(min)),
        escape(&metric.fmt(max)),
        w = num(P_W),
        h = num(P_H),
    );

    let ticks = time_ticks(t0, t1, 4);
    let mut grid = String::new();
    let mid = (hi + lo) / 2.0;
    let mut levels = vec![hi, mid];
    if lo < 0.0 {
        levels.push(0.0);
    }
    for &v in &levels {
        w!(
            grid,
            "M{} {}H{}",
            num(P_LEFT),
            num(y_of(v)),
            num(P_LEFT + pw)
        );
    }
    for &t in &ticks.at {
        w!(grid, "M{} {}V{}", num(x_of(t)), num(P_TOP), num(base));
    }
    w!(out, "<path class=\"grid\" d=\"{grid}\"/>");
    w!(
        out,
        "<path class=\"axis\" d=\"M{} {}V{}H{}\"/>",
        num(P_LEFT),
        num(P_TOP),
        num(base),
        num(P_LEFT + pw)
    );
    levels.push(lo);
    for &v in &levels {
        let label = if v == 0.0 {
            "0".to_string()
        } else {
            metric.fmt(v)
        };
        w!(
            out,
            "<text class=\"yl\" x=\"{}\" y=\"{}\">{}</text>",
            num(P_LEFT - 6.0),
            num(y_of(v) + 3.5),
            escape(&label)
        );
    }
    for &t in &ticks.at {
        w!(
            out,
            "<text class=\"xl\" x=\"{}\" y=\"{}\">{}</text>",
            num(x_of(t)),
            num(base + 15.0),
            escape(&ticks.label(t))
        );
    }

    let mut line = String::new();
    let mut dots = String::new();
    for seg in segments(&pts) {
        let seg = decimate(seg, t0, t1, P_MAX_POINTS / 2);
        let coords: Vec<(f64, f64)> = seg.iter().map(|&(t, v)| (x_of(t), y_of(v))).collect();
        let kept = simplify(&coords);
        if kept.len() == 1 {
            w!(
                dots,
                "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"3\"/>",
                num(kept[0].0),
                num(kept[0].1)
            );
            continue;
        }
        for (i, (x, y)) in kept.iter().enumerate() {
            let sep = match i {
                0 => "M",
                1 => "L",
                _ => " ",
            };
            w!(line, "{sep}{} {}", num(*x), num(*y));
        }
    }
    if !line.is_empty() {
        w!(out, "<path class=\"line\" d=\"{line}\"/>");
    }
    out.push_str(&dots);
    out.push_str("</svg></div>\n");
}

/// Splits a time-sorted series where samples are missing, so the plot shows
/// a gap instead of a straight line across a scrape outage or a restart.
fn segments(pts: &[(f64, f64)]) -> Vec<&[(f64, f64)]> {
    let mut steps: Vec<f64> = pts
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .filter(|d| *d > 0.0)
        .collect();
    if steps.len() < 2 {
        return vec![pts];
    }
    steps.sort_by(f64::total_cmp);
    let limit = steps[steps.len() / 2] * 3.0;
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..pts.len() {
        if pts[i].0 - pts[i - 1].0 > limit {
            out.push(&pts[start..i]);
            start = i;
        }
    }
    out.push(&pts[start..]);
    out
}

/// Keeps each column's minimum and maximum, in time order, so spikes survive
/// the reduction.
fn decimate(seg: &[(f64, f64)], t0: f64, t1: f64, columns: usize) -> Vec<(f64, f64)> {
    if seg.len() <= columns * 2 {
        return seg.to_vec();
    }
    let col = |t: f64| (((t - t0) / (t1 - t0)) * columns as f64).floor() as i64;
    let mut out = Vec::with_capacity(columns * 2);
    let mut i = 0;
    while i < seg.len() {
        let c = col(seg[i].0);
        let start = i;
        while i < seg.len() && col(seg[i].0) == c {
            i += 1;
        }
        let chunk = &seg[start..i];
        let (mut lo, mut hi) = (0, 0);
        for (j, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = j;
            }
            if p.1 > chunk[hi].1 {
                hi = j;
            }
        }
        out.push(chunk[lo.min(hi)]);
        if lo != hi {
            out.push(chunk[lo.max(hi)]);
        }
    }
    out
}

/// Drops points that add nothing once rounded: repeats, and the middle of
/// flat or monotonic vertical runs (common for memory).
fn simplify(coords: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(coords.len());
    for &p in coords {
        if kept.last() == Some(&p) {
            continue;
        }
        let n = kept.len();
        if n >= 2 {
            let (a, b) = (kept[n - 2], kept[n - 1]);
            let flat = a.1 == b.1 && b.1 == p.1;
            let vertical = a.0 == b.0 && b.0 == p.0 && (b.1 - a.1) * (p.1 - b.1) >= 0.0;
            if flat || vertical {
                kept[n - 1] = p;
                continue;
            }
        }
        kept.push(p);
    }
    kept
}

fn redactions(out: &mut String, d: &ReportData) {
    section_open(out, "s-redactions", "Redactions", None);
    if d.redactions.is_empty() {
        out.push_str(
            "<p class=\"empty\">Redaction disabled, or no rule matched: no values were \
             replaced.</p>\n</section>\n",
        );
        return;
    }
    let total: u64 = d.redactions.iter().map(|(_, n)| n).sum();
    w!(
        out,
        "<p class=\"note\">{total} values were replaced before they were written to the \
         package. The values themselves are not recorded anywhere.</p>\n<ul class=\"redactions\" \
         id=\"redactions\">\n"
    );
    for (rule, n) in &d.redactions {
        w!(
            out,
            "<li><code>{}</code> → {n} {}</li>\n",
            escape(rule),
            if *n == 1 { "value" } else { "values" }
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn footer(out: &mut String, d: &ReportData) {
    w!(
        out,
        "<footer>Generated by kubetac{}{}. All times are UTC. This page is self-contained; the \
         gathered files are in the directories beside <code>web/</code>.</footer>\n",
        if d.kubetac_version.is_empty() {
            String::new()
        } else {
            format!(" {}", escape(&d.kubetac_version))
        },
        match d.created {
            Some(t) => format!(" at {}", fmt_ts(t)),
            None => String::new(),
        }
    );
}

const MIB: f64 = 1024.0 * 1024.0;

/// Axis ticks over a time range: round UTC times, at most `max` of them.
struct Ticks {
    at: Vec<f64>,
    format: &'static str,
}

impl Ticks {
    fn label(&self, t: f64) -> String {
        ts_from_ms(t).strftime(self.format).to_string()
    }
}

fn time_ticks(t0: f64, t1: f64, max: usize) -> Ticks {
    const STEPS: [f64; 21] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
        10800.0, 21600.0, 43200.0, 86400.0, 172800.0, 604800.0, 2592000.0,
    ];
    let span = (t1 - t0) / 1000.0;
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= max as f64)
        .unwrap_or_else(|| (span / max as f64 / 86400.0).ceil() * 86400.0);
    let day = 86_400_000.0;
    let format = if step < 60.0 {
        "%H:%M:%S"
    } else if step >= 86400.0 {
        "%m-%d"
    } else if (t0 / day).floor() != (t1 / day).floor() {
        "%m-%d %H:%M"
    } else {
        "%H:%M"
    };
    let step_ms = step * 1000.0;
    let mut at = Vec::new();
    let mut t = (t0 / step_ms).ceil() * step_ms;
    while t <= t1 && at.len() <= max {
        at.push(t);
        t += step_ms;
    }
    Ticks { at, format }
}

/// The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least `v`.
fn nice_ceil(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 {
        return 1.0;
    }
    let base = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * base * (1.0 + 1e-9) {
            return m * base;
        }
    }
    10.0 * base
}

fn window_ms(d: &ReportData) -> Option<(f64, f64)> {
    match (d.from, d.to) {
        (Some(f), Some(t)) if t > f => Some((ms(f), ms(t))),
        _ => None,
    }
}

/// A zero-width range (one sample, one event) still needs an axis.
fn pad_range(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        (lo, hi)
    } else {
        (lo - 60_000.0, lo + 60_000.0)
    }
}

fn ms(t: Timestamp) -> f64 {
    t.as_millisecond() as f64
}

fn ms_between(a: Timestamp, b: Timestamp) -> u64 {
    (b.as_millisecond() - a.as_millisecond()).max(0) as u64
}

fn ts_from_ms(v: f64) -> Timestamp {
    Timestamp::from_millisecond(v.round() as i64).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `2020-06-08 14:00:00 UTC`
pub fn fmt_ts(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn opt_ts(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "not set".to_string(), fmt_ts)
}

/// `850 ms`, `4.2 s`, `42 s`, `3m 5s`, `2h`, `1h 30m`, `2d 3h`.
pub fn fmt_span(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms} ms");
    }
    if ms < 10_000 {
        return format!("{:.1} s", ms as f64 / 1000.0);
    }
    let s = ms / 1000;
    if s < 60 {
        return format!("{s} s");
    }
    let (d, h, m, s) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    let pair = |a: u64, ua: &str, b: u64, ub: &str| {
        if b == 0 {
            format!("{a}{ua}")
        } else {
            format!("{a}{ua} {b}{ub}")
        }
    };
    if d > 0 {
        pair(d, "d", h, "h")
    } else if h > 0 {
        pair(h, "h", m, "m")
    } else {
        pair(m, "m", s, "s")
    }
}

/// Binary units, one decimal below 100: `512 B`, `3.4 MiB`, `120 GiB`.
pub fn fmt_bytes(b: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if !b.is_finite() {
        return "—".to_string();
    }
    let sign = if b < 0.0 { "-" } else { "" };
    let mut v = b.abs();
    if v < 1024.0 {
        return format!("{sign}{} B", v.round());
    }
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    let n = if v < 100.0 {
        trim_zero(format!("{v:.1}"))
    } else {
        format!("{v:.0}")
    };
    format!("{sign}{n} {}", UNITS[unit])
}

/// Kubernetes style: millicores below one core (`250m`), cores above (`1.5`).
pub fn fmt_cpu(c: f64) -> String {
    if !c.is_finite() {
        return "—".to_string();
    }
    if c == 0.0 {
        return "0".to_string();
    }
    if c.abs() >= 1.0 {
        return trim_zero(format!("{c:.2}"));
    }
    let m = c * 1000.0;
    let s = if m.abs() >= 10.0 {
        format!("{m:.0}")
    } else if m.abs() >= 1.0 {
        trim_zero(format!("{m:.1}"))
    } else {
        trim_zero(format!("{m:.2}"))
    };
    format!("{s}m")
}

fn trim_zero(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A coordinate with at most one decimal and no trailing `.0`.
fn num(v: f64) -> String {
    let r = round1(v);
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "—".to_string()
    } else {
        escape(s)
    }
}

fn object_name(namespace: &str, object: &str) -> String {
    if namespace.is_empty() {
        object.to_string()
    } else {
        format!("{namespace}/{object}")
    }
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(TEXT_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn at(min: i64) -> Timestamp {
        Timestamp::from_second(ts("2020-06-08T14:00:00Z").as_second() + min * 60).unwrap()
    }

    fn series(ns: &str, pod: &str, points: usize, step_s: i64) -> PodSeries {
        let t0 = ts("2020-06-08T14:00:00Z").as_second();
        let cpu = (0..points)
            .map(|i| {
                let t = Timestamp::from_second(t0 + i as i64 * step_s).unwrap();
                (t, 0.1 + 0.05 * ((i as f64) / 7.0).sin().abs())
            })
            .collect();
        let memory = (0..points)
            .map(|i| {
                let t = Timestamp::from_second(t0 + i as i64 * step_s).unwrap();
                (t, 200.0 * MIB + i as f64 * 0.37 * MIB)
            })
            .collect();
        PodSeries {
            namespace: ns.into(),
            pod: pod.into(),
            cpu,
            memory,
        }
    }

    fn sample() -> ReportData {
        ReportData {
            id: "kt-20200608-1400".into(),
            created: Some(ts("2020-06-08T16:01:02Z")),
            from: Some(ts("2020-06-08T14:00:00Z")),
            to: Some(ts("2020-06-08T16:00:00Z")),
            namespaces: vec!["shop".into(), "payments".into()],
            pod_regex: Some("^api-".into()),
            cluster: "https://127.0.0.1:6443 (kind-test)".into(),
            cluster_version: Some("v1.33.1".into()),
            kubetac_version: "0.1.0".into(),
            gatherers: vec![
                GathererSummary {
                    name: "logs".into(),
                    state: "completed".into(),
                    detail: "42 containers".into(),
                    files: 42,
                    bytes: 3_565_158,
                    duration_ms: 4200,
                    errors: vec![],
                },
                GathererSummary {
                    name: "metrics".into(),
                    state: "completed with errors".into(),
                    detail: "2 pods without samples".into(),
                    files: 3,
                    bytes: 12_000,
                    duration_ms: 800,
                    errors: vec!["pod shop/api-1: no samples".into()],
                },
                GathererSummary {
                    name: "core".into(),
                    state: "failed".into(),
                    detail: "node agent unreachable".into(),
                    ..Default::default()
                },
            ],
            unhealthy: vec![
                UnhealthyPod {
                    namespace: "shop".into(),
                    pod: "api-7f9c".into(),
                    ready: "0/1".into(),
                    status: "CrashLoopBackOff".into(),
                    restarts: "12".into(),
                    explanation: "exits with code 137 (OOMKilled) after ~40 s".into(),
                    next: Some("kubetac logs -n shop api-7f9c --previous".into()),
                },
                UnhealthyPod {
                    namespace: "payments".into(),
                    pod: "api-ledger-0".into(),
                    ready: "0/2".into(),
                    status: "ImagePullBackOff".into(),
                    restarts: "0".into(),
                    explanation: "image tag not found".into(),
                    next: None,
                },
            ],
            timeline: vec![
                TimelineEntry {
                    time: at(95),
                    kind: TimelineKind::Core,
                    warning: true,
                    namespace: "shop".into(),
                    object: "api-7f9c".into(),
                    text: "core dumped: SIGSEGV".into(),
                },
                TimelineEntry {
                    time: at(12),
                    kind: TimelineKind::Restart,
                    warning: true,
                    namespace: "shop".into(),
                    object: "api-7f9c".into(),
                    text: "OOMKilled".into(),
                },
                TimelineEntry {
                    time: at(30),
                    kind: TimelineKind::Event,
                    warning: false,
                    namespace: "payments".into(),
                    object: "api-ledger-0".into(),
                    text: "Pulling image".into(),
                },
            ],
            series: vec![
                series("shop", "api-7f9c", 240, 30),
                series("payments", "api-ledger-0", 240, 30),
            ],
            redactions: vec![("bearer-token".into(), 3), ("password".into(), 1)],
        }
    }

    /// The text between `<svg class="plot" data-pod="{pod}" data-metric="{metric}"` and `</svg>`.
    fn plot_of<'a>(html: &'a str, pod: &str, metric: &str) -> &'a str {
        let open = format!("<svg class=\"plot\" data-pod=\"{pod}\" data-metric=\"{metric}\"");
        let start = html.find(&open).unwrap_or_else(|| panic!("no plot {open}"));
        let end = start + html[start..].find("</svg>").unwrap();
        &html[start..end]
    }

    #[test]
    fn escape_covers_markup_quotes_and_ampersands() {
        assert_eq!(
            escape(r#"<script>alert('x')</script> & "q""#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("plain-pod-0"), "plain-pod-0");
        assert_eq!(escape("a\0b"), "a\u{FFFD}b");
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn cluster_strings_are_escaped_everywhere() {
        let evil = r#"<script>alert("x")</script>&'"#;
        let mut d = sample();
        d.id = evil.into();
        d.namespaces = vec![evil.into()];
        d.pod_regex = Some(evil.into());
        d.cluster = evil.into();
        d.gatherers[0].detail = evil.into();
        d.gatherers[1].errors = vec![evil.into()];
        d.unhealthy[0].pod = evil.into();
        d.unhealthy[0].next = Some(evil.into());
        d.timeline[0].object = evil.into();
        d.timeline[1].text = evil.into();
        d.series[0].pod = evil.into();
        d.redactions[0].0 = evil.into();
        let html = render(&d);
        assert!(!html.contains("<script"), "unescaped script tag");
        assert!(!html.contains(r#"alert("x")"#));
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"));
        // The plot's data-pod attribute stays one attribute.
        let key = escape(&format!("shop/{evil}"));
        assert!(html.contains(&format!("data-pod=\"{key}\" data-metric=\"cpu\"")));
    }

    #[test]
    fn empty_data_renders_every_section() {
        let html = render(&ReportData::default());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.ends_with("</html>\n"));
        for needle in [
            "id=\"gatherers\"",
            "id=\"unhealthy\"",
            "id=\"timeline\"",
            "No unhealthy pods",
            "No metrics were gathered",
            "Redaction disabled",
            "all namespaces",
            "not set",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert!(!html.contains("class=\"pod\""));
        assert!(!html.contains("class=\"plot\""));
    }

    #[test]
    fn sections_come_in_order() {
        let html = render(&sample());
        let pos = |s: &str| html.find(s).unwrap_or_else(|| panic!("missing {s}"));
        let order = [
            "<header",
            "id=\"s-gatherers\"",
            "id=\"s-unhealthy\"",
            "id=\"s-timeline\"",
            "id=\"s-usage\"",
            "id=\"s-redactions\"",
            "<footer",
        ];
        for pair in order.windows(2) {
            assert!(pos(pair[0]) < pos(pair[1]), "{} after {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn sample_renders_rows_timeline_and_plots() {
        let html = render(&sample());
        assert!(html.contains("2020-06-08 14:00:00 UTC → 2020-06-08 16:00:00 UTC"));
        assert!(html.contains("<dd>2h</dd>"));
        assert!(html.contains("shop, payments"));
        assert!(html.contains("<code>^api-</code>"));
        assert!(html.contains("v1.33.1"));

        assert_eq!(html.matches("<tr class=\"gatherer\"").count(), 3);
        assert!(html.contains("<span class=\"badge ok\">completed</span>"));
        assert!(html.contains("<span class=\"badge warn\">completed with errors</span>"));
        assert!(html.contains("<span class=\"badge bad\">failed</span>"));
        assert!(html.contains("3.4 MiB"));
        assert!(html.contains("<li>pod shop/api-1: no samples</li>"));

        let table = &html[html.find("<table id=\"unhealthy\">").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        let rows: Vec<&str> = table.split("<tr class=\"pod\">").skip(1).collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].contains("api-7f9c"));
        assert!(rows[0].contains("<code>kubetac logs -n shop api-7f9c --previous</code>"));
        assert!(rows[1].contains("api-ledger-0"));

        assert!(html.contains("<div id=\"timeline\">"));
        assert!(html.contains("<svg class=\"timeline-strip\""));
        assert_eq!(html.matches("<tr class=\"entry").count(), 3);
        // Table rows in time order although the input is not.
        let restart = html.find("2020-06-08 14:12:00").unwrap();
        let event = html.find("2020-06-08 14:30:00").unwrap();
        let core = html.find("2020-06-08 15:35:00").unwrap();
        assert!(restart < event && event < core);

        for pod in ["shop/api-7f9c", "payments/api-ledger-0"] {
            for metric in ["cpu", "memory"] {
                let svg = plot_of(&html, pod, metric);
                assert!(svg.contains("<title>"), "{pod} {metric}: no title");
                assert!(
                    svg.contains("<path class=\"line\" d=\"M"),
                    "{pod} {metric}: no line"
                );
                assert!(
                    svg.contains("14:00") && svg.contains("16:00"),
                    "{pod} {metric}: x axis"
                );
            }
        }
        assert!(plot_of(&html, "shop/api-7f9c", "cpu").contains(">200m<"));
        assert!(plot_of(&html, "shop/api-7f9c", "memory").contains(">500 MiB<"));
        assert!(html.contains("<code>bearer-token</code> → 3 values"));
        assert!(html.contains("<code>password</code> → 1 value<"));
    }

    #[test]
    fn page_has_no_external_assets_or_scripts() {
        let html = render(&sample());
        for bad in [
            "<script", "src=", "<link", "@import", "url(", "<img", "<iframe",
        ] {
            assert!(!html.contains(bad), "page contains {bad}");
        }
    }

    #[test]
    fn output_is_deterministic() {
        let mut d = sample();
        d.series.push(series("a", "b", 50, 60));
        let first = render(&d);
        assert_eq!(first, render(&d.clone()));
        // Unsorted points and a shuffled series list give the same page.
        let mut shuffled = d.clone();
        shuffled.series.reverse();
        for s in &mut shuffled.series {
            s.cpu.reverse();
            s.memory.swap(0, 7);
        }
        assert_eq!(first, render(&shuffled));
    }

    #[test]
    fn plots_survive_awkward_series() {
        let mut d = sample();
        let p = |pod: &str, cpu: Vec<(Timestamp, f64)>| PodSeries {
            namespace: "edge".into(),
            pod: pod.into(),
            cpu,
            memory: vec![],
        };
        d.series = vec![
            p("single", vec![(at(60), 0.5)]),
            p("flat", (0..10).map(|i| (at(i * 5), 0.2)).collect()),
            p("zeros", (0..10).map(|i| (at(i * 5), 0.0)).collect()),
            p(
                "gap",
                (0..10)
                    .map(|i| (at(i), 0.3))
                    .chain((0..10).map(|i| (at(60 + i), 0.4)))
                    .collect(),
            ),
            p(
                "nonfinite",
                vec![
                    (at(1), f64::NAN),
                    (at(2), 0.1),
                    (at(3), f64::INFINITY),
                    (at(4), 0.2),
                    (at(5), f64::NEG_INFINITY),
                ],
            ),
            p("only-nan", vec![(at(1), f64::NAN)]),
            p("outside", vec![(at(-30), 0.1), (at(500), 0.1)]),
        ];
        let html = render(&d);
        assert!(!html.contains("NaN") && !html.contains("inf"));

        let single = plot_of(&html, "edge/single", "cpu");
        assert!(single.contains("<circle class=\"dot\""));
        assert!(single.contains("<path class=\"axis\""));

        let flat = plot_of(&html, "edge/flat", "cpu");
        // A flat series is one straight segment, not ten points.
        assert!(flat.contains(&format!("<path class=\"line\" d=\"M{} ", num(P_LEFT))));
        let d_attr = flat.split("class=\"line\" d=\"").nth(1).unwrap();
        let d_attr = &d_attr[..d_attr.find('"').unwrap()];
        assert_eq!(d_attr.matches(' ').count(), 2, "{d_attr}");

        let zeros = plot_of(&html, "edge/zeros", "cpu");
        assert!(zeros.contains("class=\"line\""));
        assert!(zeros.contains(">100m<"), "zero series still gets an axis");

        let gap = plot_of(&html, "edge/gap", "cpu");
        let d_attr = gap.split("class=\"line\" d=\"").nth(1).unwrap();
        let d_attr = &d_attr[..d_attr.find('"').unwrap()];
        assert_eq!(
            d_attr.matches('M').count(),
            2,
            "gap splits the line: {d_attr}"
        );

        let nonfinite = plot_of(&html, "edge/nonfinite", "cpu");
        assert!(nonfinite.contains("class=\"line\""));

        for pod in ["only-nan", "outside"] {
            assert!(!html.contains(&format!("class=\"plot\" data-pod=\"edge/{pod}\"")));
            assert!(html.contains(&format!(
                "class=\"plot-empty\" data-pod=\"edge/{pod}\" data-metric=\"cpu\""
            )));
        }
        // No memory samples at all: an empty cell, not an empty plot.
        assert!(html.contains("data-pod=\"edge/flat\" data-metric=\"memory\">No memory"));
    }

    #[test]
    fn dense_series_are_decimated_but_keep_spikes() {
        let mut d = sample();
        let mut cpu: Vec<(Timestamp, f64)> = (0..7200)
            .map(|i| (Timestamp::from_second(at(0).as_second() + i).unwrap(), 0.1))
            .collect();
        cpu[3601].1 = 2.0;
        d.series = vec![PodSeries {
            namespace: "n".into(),
            pod: "p".into(),
            cpu,
            memory: vec![],
        }];
        let html = render(&d);
        let svg = plot_of(&html, "n/p", "cpu");
        assert!(svg.len() < 6000, "plot is {} bytes", svg.len());
        // The spike reaches the top of the 2-core axis.
        assert!(svg.contains(&format!(" {}", num(P_TOP))), "{svg}");
        assert!(svg.contains(">2<"));
    }

    #[test]
    fn window_without_bounds_uses_data_extent() {
        let mut d = sample();
        d.from = None;
        d.to = None;
        let html = render(&d);
        assert!(html.contains("not set → not set"));
        assert!(plot_of(&html, "shop/api-7f9c", "cpu").contains("class=\"line\""));
        assert!(html.contains("<svg class=\"timeline-strip\""));
    }

    #[test]
    fn timeline_table_is_capped() {
        let mut d = sample();
        d.timeline = (0..650)
            .map(|i| TimelineEntry {
                time: Timestamp::from_second(at(0).as_second() + i * 10).unwrap(),
                kind: KINDS[i as usize % 4],
                warning: i % 3 == 0,
                namespace: "ns".into(),
                object: format!("pod-{i}"),
                text: "x".repeat(1000),
            })
            .collect();
        let html = render(&d);
        assert_eq!(html.matches("<tr class=\"entry").count(), TIMELINE_ROWS);
        assert!(html.contains("150 more in stats/"));
        assert!(html.contains(&format!("{}…", "x".repeat(TEXT_CHARS))));
        assert!(!html.contains(&"x".repeat(TEXT_CHARS + 1)));
    }

    #[test]
    fn two_hundred_pods_stay_small() {
        let mut d = sample();
        d.series = (0..200)
            .map(|i| series(&format!("ns-{}", i % 7), &format!("pod-{i:03}"), 240, 30))
            .collect();
        let html = render(&d);
        assert_eq!(html.matches("<svg class=\"plot\"").count(), 400);
        assert!(html.len() < 3_000_000, "page is {} bytes", html.len());
    }

    #[test]
    fn unhealthy_pods_plot_first() {
        let html = render(&sample());
        // payments/api-ledger-0 sorts first by name but both are unhealthy;
        // a healthy pod that sorts before them still comes after.
        let mut d = sample();
        d.series.push(series("aaa", "healthy", 10, 30));
        let html2 = render(&d);
        let sick = html2.find("data-pod=\"shop/api-7f9c\"").unwrap();
        let healthy = html2.find("data-pod=\"aaa/healthy\"").unwrap();
        assert!(sick < healthy);
        assert!(
            html.find("data-pod=\"payments/api-ledger-0\"").unwrap()
                < html.find("data-pod=\"shop/api-7f9c\"").unwrap()
        );
    }

    #[test]
    fn formatters() {
        assert_eq!(
            fmt_ts(ts("2020-06-08T14:00:00.123Z")),
            "2020-06-08 14:00:00 UTC"
        );
        assert_eq!(fmt_bytes(3.4 * MIB), "3.4 MiB");
        assert_eq!(fmt_bytes(512.0), "512 B");
        assert_eq!(fmt_bytes(2048.0), "2 KiB");
        assert_eq!(fmt_bytes(150.0 * 1024.0 * MIB), "150 GiB");
        assert_eq!(fmt_cpu(0.25), "250m");
        assert_eq!(fmt_cpu(1.5), "1.5");
        assert_eq!(fmt_cpu(2.0), "2");
        assert_eq!(fmt_cpu(0.0042), "4.2m");
        assert_eq!(fmt_cpu(0.0), "0");
        assert_eq!(fmt_span(850), "850 ms");
        assert_eq!(fmt_span(4200), "4.2 s");
        assert_eq!(fmt_span(185_000), "3m 5s");
        assert_eq!(fmt_span(7_200_000), "2h");
        assert_eq!(fmt_span(5_400_000), "1h 30m");
        assert_eq!(num(12.04), "12");
        assert_eq!(num(12.06), "12.1");
        assert_eq!(num(-0.01), "0");
        assert_eq!(nice_ceil(0.26), 0.5);
        assert_eq!(nice_ceil(7.0), 10.0);
        assert_eq!(state_class("Completed"), "ok");
        assert_eq!(state_class("skipped"), "warn");
        assert_eq!(state_class("interrupted"), "bad");
        assert_eq!(state_class("something new"), "na");
    }
}
