//! Logs: per node, `logs/<node>/<node>_Logs_<window>.tar.gz` with every
//! matching container's lines inside the window and the node's own log
//! files cut to the window.
//!
//! A container's lines come from its files on the node when they can be
//! read (through the kubelet's log handler, or the kubetac agent): every
//! instance's rotated, gzipped and live files, so the hours before a crash
//! are there even though the logs API only serves the live file. When the
//! node cannot be read, the logs API gives the current and previous
//! instances, and the package says the older lines are missing. Lines are
//! cut on their CRI timestamps at both ends (the logs API has no "until"),
//! de-duplicated across a rotation, redacted, and streamed to disk file by
//! file, so memory does not grow with the logs.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::sync::LazyLock;

use futures::future::BoxFuture;
use futures::{AsyncBufReadExt, StreamExt};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use regex::Regex;

use super::{Ctx, GatherError, GatherResult, Gatherer, PodRef, Tally, rfc3339, safe_name, tar_gz};
use crate::cluster::{AccessError, Cluster};
use crate::debugpkg::report::{TimelineEntry, TimelineKind};
use crate::debugpkg::request::Kind;
use crate::nodes::history::log_file_instance;
use crate::nodes::{self, Agent, NodeLog};

pub struct Logs;

impl Gatherer for Logs {
    fn kind(&self) -> Kind {
        Kind::Logs
    }

    fn gather<'a>(&'a self, cx: &'a Ctx, t: &'a Tally) -> BoxFuture<'a, GatherResult> {
        Box::pin(run(cx, t))
    }
}

/// Files fetched at once per node, and nodes at once: enough to hide the
/// API server's latency, few enough to keep memory and the server calm.
const PER_NODE: usize = 4;
const NODES: usize = 4;
/// A stalled node must not hold the package forever.
const FILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

static ERROR_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(error|panic|fatal|exception|failed|failure)\b").expect("static regex")
});
/// Error lines in one minute of one pod that make a burst worth a mark on
/// the timeline (a panic or fatal line always is one).
const BURST: u64 = 5;

async fn run(cx: &Ctx, t: &Tally) -> GatherResult {
    let mut by_node: BTreeMap<String, Vec<PodRef>> = BTreeMap::new();
    let mut unscheduled = 0;
    for p in &cx.pods {
        match &p.node {
            Some(n) => by_node.entry(n.clone()).or_default().push(p.clone()),
            None => unscheduled += 1,
        }
    }
    // Without a filter every node's own logs belong in the package, also
    // those of nodes without pods.
    if cx.req.namespaces.is_empty() && cx.req.pod_name.is_none() {
        match list_nodes(&cx.cl).await {
            Ok(names) => {
                for n in names {
                    by_node.entry(n).or_default();
                }
            }
            Err(e) => t.error(format!(
                "nodes not listed, only nodes with pods are read: {e}"
            )),
        }
    }
    if by_node.is_empty() {
        return Err(GatherError::Skipped(format!(
            "no pod matches the filter{}",
            if unscheduled > 0 {
                format!(" on a node ({unscheduled} not scheduled)")
            } else {
                String::new()
            }
        )));
    }
    let containers: u64 = cx.pods.iter().map(|p| p.containers.len() as u64).sum();
    t.set_total(containers + by_node.len() as u64);
    let window = cx.req.window_name();
    let results: Vec<Result<u64, String>> = futures::stream::iter(by_node)
        .map(|(node, pods)| {
            let window = window.clone();
            async move {
                let work = cx.work(Kind::Logs).join(safe_name(&node));
                gather_node(cx, t, &node, &pods, &work).await;
                let name = format!("{}_Logs_{window}", safe_name(&node));
                let dst = cx
                    .out(Kind::Logs)
                    .join(safe_name(&node))
                    .join(format!("{name}.tar.gz"));
                tar_gz(work, dst, name)
                    .await
                    .map_err(|e| format!("writing the archive of node {node}: {e}"))
            }
        })
        .buffer_unordered(NODES)
        .collect()
        .await;
    let mut nodes_ok = 0;
    for r in results {
        match r {
            Ok(_) => nodes_ok += 1,
            Err(e) => t.error(e),
        }
    }
    if nodes_ok == 0 {
        return Err(GatherError::Failed(
            t.errors().first().cloned().unwrap_or_default(),
        ));
    }
    let c = t.counts();
    Ok(format!(
        "{} lines of {} containers on {nodes_ok} node{} ({} from node files, {} from the logs API)",
        c.get("lines").copied().unwrap_or(0),
        c.get("containers").copied().unwrap_or(0),
        if nodes_ok == 1 { "" } else { "s" },
        c.get("containers from node files").copied().unwrap_or(0),
        c.get("containers from the logs API").copied().unwrap_or(0),
    ))
}

async fn list_nodes(cl: &Cluster) -> Result<Vec<String>, AccessError> {
    let api: Api<k8s_openapi::api::core::v1::Node> = Api::all(cl.client.clone());
    let mut out = Vec::new();
    let mut pages = std::pin::pin!(cl.list_pages(
        api,
        kube::api::ListParams::default(),
        "listing nodes".into()
    ));
    while let Some(p) = pages.next().await {
        out.extend(p?.items.into_iter().filter_map(|n| n.metadata.name));
    }
    Ok(out)
}

/// How a node's files are read: the kubelet's log handler, or the agent
/// when `nodes/proxy` is refused.
#[derive(Clone)]
enum Route {
    Kubelet,
    Agent(Agent),
}

impl Route {
    fn path(&self, node: &str, rel: &str) -> String {
        match self {
            Route::Kubelet => format!("/api/v1/nodes/{node}/proxy/logs/{rel}"),
            Route::Agent(a) => a.proxy_path(&format!("v1/logs/{rel}")),
        }
    }
}

async fn route(cl: &Cluster, node: &str) -> Result<Route, String> {
    match cl
        .get_raw(
            &format!("/api/v1/nodes/{node}/proxy/logs/pods/"),
            &format!("reading /var/log/pods on {node}"),
        )
        .await
    {
        Ok(_) => Ok(Route::Kubelet),
        Err(AccessError::Forbidden(why)) => match nodes::agents(cl).await {
            Ok(a) => a.get(node).cloned().map(Route::Agent).ok_or_else(|| {
                format!("nodes/proxy is refused ({why}) and no kubetac agent runs on {node}")
            }),
            Err(e) => Err(format!(
                "nodes/proxy is refused ({why}) and the kubetac agent cannot be used: {e}"
            )),
        },
        Err(e) => Err(e.to_string()),
    }
}

async fn gather_node(cx: &Ctx, t: &Tally, node: &str, pods: &[PodRef], work: &Path) {
    let route = route(&cx.cl, node).await;
    if let Err(e) = &route {
        t.error(format!(
            "node {node}: its files cannot be read ({e}); its containers' logs come from the logs API: current and previous instances only, older rotated lines are missing"
        ));
    }
    let route = route.ok();
    if let Some(r) = &route {
        node_files(cx, t, node, r, &work.join("node")).await;
    }
    t.step();
    let jobs: Vec<(usize, String)> = pods
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.containers.iter().map(move |c| (i, c.name.clone())))
        .collect();
    futures::stream::iter(jobs)
        .for_each_concurrent(PER_NODE, |(i, c)| {
            let route = route.clone();
            let p = &pods[i];
            async move {
                let c = c.as_str();
                t.set_progress(format!("{}/{} {c}", p.namespace, p.name));
                let file = work
                    .join("containers")
                    .join(safe_name(&p.namespace))
                    .join(safe_name(&p.name))
                    .join(format!("{}.log", safe_name(c)));
                let r = container(cx, t, node, p, c, route.as_ref(), &file).await;
                if let Err(e) = r {
                    t.error(format!("{}/{} container {c}: {e}", p.namespace, p.name));
                }
                t.step();
            }
        })
        .await;
}

/// Writes lines in the window, each once, in time order.
struct Cut<'a> {
    cx: &'a Ctx,
    out: BufWriter<std::fs::File>,
    last: Option<Timestamp>,
    at_last: HashSet<String>,
    lines: u64,
    bursts: BTreeMap<i64, (u64, Option<String>)>,
    /// A line at or after the window's end was seen: a container's files
    /// are in time order, so nothing after it belongs in the window.
    past_end: bool,
}

impl<'a> Cut<'a> {
    fn new(cx: &'a Ctx, path: &Path) -> std::io::Result<Self> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        Ok(Cut {
            cx,
            out: BufWriter::with_capacity(64 * 1024, std::fs::File::create(path)?),
            last: None,
            at_last: HashSet::new(),
            lines: 0,
            bursts: BTreeMap::new(),
            past_end: false,
        })
    }

    fn line(&mut self, time: Timestamp, text: &str) -> std::io::Result<()> {
        if time >= self.cx.req.to {
            self.past_end = true;
        }
        if !self.cx.req.in_window(time) {
            return Ok(());
        }
        match self.last {
            Some(l) if time < l => return Ok(()),
            Some(l) if time == l => {
                if !self.at_last.insert(text.to_string()) {
                    return Ok(());
                }
            }
            _ => {
                self.last = Some(time);
                self.at_last.clear();
                self.at_last.insert(text.to_string());
            }
        }
        let text = self.cx.redact.line(text);
        if ERROR_LINE.is_match(&text) {
            let minute = time.as_second().div_euclid(60);
            let e = self.bursts.entry(minute).or_default();
            e.0 += 1;
            if e.1.is_none() {
                e.1 = Some(text.chars().take(200).collect());
            }
        }
        self.lines += 1;
        writeln!(self.out, "{} {}", rfc3339(time), text)
    }

    fn finish(
        mut self,
        ns: &str,
        pod: &str,
        container: &str,
    ) -> std::io::Result<(u64, Vec<TimelineEntry>)> {
        self.out.flush()?;
        let mut marks = Vec::new();
        for (minute, (n, first)) in self.bursts {
            let first = first.unwrap_or_default();
            let lower = first.to_ascii_lowercase();
            if n < BURST && !lower.contains("panic") && !lower.contains("fatal") {
                continue;
            }
            let Ok(at) = Timestamp::from_second(minute * 60) else {
                continue;
            };
            marks.push(TimelineEntry {
                time: at,
                kind: TimelineKind::ErrorBurst,
                warning: true,
                namespace: ns.to_string(),
                object: pod.to_string(),
                text: format!(
                    "{n} error line{} in {container} within a minute, first: {first}",
                    if n == 1 { "" } else { "s" }
                ),
            });
        }
        // A pod that logs errors all the time would drown the timeline.
        marks.truncate(60);
        Ok((self.lines, marks))
    }
}

/// Joins CRI entries (`<time> <stream> <P|F> <text>`) into whole lines:
/// `P` entries are parts of a line the runtime split.
#[derive(Default)]
struct CriJoin {
    partial: Option<(Timestamp, String)>,
}

type Sink<'s> = dyn FnMut(Timestamp, &str) -> std::io::Result<()> + 's;

impl CriJoin {
    fn push(&mut self, l: &str, f: &mut Sink<'_>) -> std::io::Result<()> {
        let mut it = l.splitn(4, ' ');
        let (Some(ts), Some(_stream), Some(tag)) = (it.next(), it.next(), it.next()) else {
            return Ok(());
        };
        let Ok(time) = ts.parse::<Timestamp>() else {
            return Ok(());
        };
        let body = it.next().unwrap_or("");
        match (tag, self.partial.take()) {
            ("P", None) => self.partial = Some((time, body.to_string())),
            ("P", Some((t0, mut acc))) => {
                acc.push_str(body);
                self.partial = Some((t0, acc));
            }
            (_, Some((t0, mut acc))) => {
                acc.push_str(body);
                f(t0, &acc)?;
            }
            (_, None) => f(time, body)?,
        }
        Ok(())
    }

    fn finish(self, f: &mut Sink<'_>) -> std::io::Result<()> {
        match self.partial {
            Some((t0, acc)) => f(t0, &acc),
            None => Ok(()),
        }
    }
}

/// Every whole CRI line of a file read whole.
fn cri_lines(r: impl BufRead, f: &mut Sink<'_>) -> std::io::Result<()> {
    let mut j = CriJoin::default();
    for l in r.lines() {
        match l {
            Ok(l) => j.push(&l, f)?,
            // A damaged line is skipped, not the rest of the file.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => continue,
            Err(e) => return Err(e),
        }
    }
    j.finish(f)
}

/// The order a container's files were written in: by instance, rotated
/// files by their stamp, the live file last.
fn file_order(name: &str) -> Option<(u32, u8, String)> {
    let n = log_file_instance(name)?;
    let rest = name.split_once(".log").map(|x| x.1).unwrap_or("");
    let stamp = rest
        .trim_start_matches('.')
        .trim_end_matches(".gz")
        .to_string();
    Some((n, if stamp.is_empty() { 1 } else { 0 }, stamp))
}

/// A rotated file's stamp is when it was rotated: a file rotated before the
/// window holds nothing of it and need not be fetched.
fn rotated_before(stamp: &str, from: Timestamp) -> bool {
    let Ok(dt) = jiff::civil::DateTime::strptime("%Y%m%d-%H%M%S", stamp) else {
        return false;
    };
    let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC) else {
        return false;
    };
    // The stamp's clock is the node's; a minute of slack covers skew.
    z.timestamp() + jiff::SignedDuration::from_mins(1) < from
}

async fn container(
    cx: &Ctx,
    t: &Tally,
    node: &str,
    p: &PodRef,
    c: &str,
    route: Option<&Route>,
    file: &Path,
) -> Result<(), String> {
    let mut cut = Cut::new(cx, file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut from_node = false;
    // The node has no directory for a container that never ran or whose
    // pod was evicted and cleaned up; the API then says the container is
    // not available. That is an empty log, not a failure.
    let mut dir_missing = false;
    if let Some(route) = route {
        let dir = format!("pods/{}_{}_{}/{c}/", p.namespace, p.name, p.uid);
        match nodes::node_log(&cx.cl, node, Some(&dir)).await {
            Ok(NodeLog::Listing(names)) => {
                let mut files: Vec<((u32, u8, String), String)> = names
                    .into_iter()
                    .filter_map(|n| file_order(&n).map(|k| (k, n)))
                    .collect();
                files.sort();
                for ((_, _, stamp), name) in files {
                    if cut.past_end {
                        break;
                    }
                    if !stamp.is_empty() && rotated_before(&stamp, cx.req.from) {
                        continue;
                    }
                    let rel = format!("{dir}{name}");
                    let r = tokio::time::timeout(
                        FILE_TIMEOUT,
                        node_file(cx, route, node, &rel, name.ends_with(".gz"), &mut cut),
                    )
                    .await;
                    match r {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => t.error(format!(
                            "{}/{} {c}: /var/log/{rel} on {node}: {e}",
                            p.namespace, p.name
                        )),
                        Err(_) => t.error(format!(
                            "{}/{} {c}: /var/log/{rel} on {node}: no answer within {}s",
                            p.namespace,
                            p.name,
                            FILE_TIMEOUT.as_secs()
                        )),
                    }
                }
                from_node = true;
            }
            Ok(NodeLog::File(_)) => {}
            // node_log's words for a 404 from either route.
            Err(e) if e.to_string().starts_with("no /var/log/") => dir_missing = true,
            Err(e) => t.error(format!(
                "{}/{} {c}: files on {node} not readable ({e:#}); using the logs API",
                p.namespace, p.name
            )),
        }
    }
    let mut no_log = false;
    if !from_node {
        let restarts = p
            .containers
            .iter()
            .find(|x| x.name == c)
            .map(|x| x.restart_count)
            .unwrap_or(0);
        if restarts > 0 {
            // A previous instance that is gone is not an error: its lines
            // were never there to gather.
            let _ = api_instance(cx, p, c, true, &mut cut).await;
        }
        match api_instance(cx, p, c, false, &mut cut).await {
            Ok(()) => {}
            Err(ApiLogError::NotAvailable(_)) if dir_missing => no_log = true,
            Err(ApiLogError::NotAvailable(e) | ApiLogError::Other(e)) => return Err(e),
        }
    }
    let (lines, marks) = cut
        .finish(&p.namespace, &p.name, c)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    if no_log {
        let _ = std::fs::remove_file(file);
        t.add("containers without a log (not running, evicted)", 1);
        return Ok(());
    }
    t.add("containers", 1);
    t.add("lines", lines);
    t.add(
        if from_node {
            "containers from node files"
        } else {
            "containers from the logs API"
        },
        1,
    );
    cx.timeline(marks);
    Ok(())
}

enum ApiLogError {
    /// 400: the container has no log to give (never started, gone).
    NotAvailable(String),
    Other(String),
}

/// Streams one file from the node into the cut, line by line.
async fn node_file(
    cx: &Ctx,
    route: &Route,
    node: &str,
    rel: &str,
    gz: bool,
    cut: &mut Cut<'_>,
) -> Result<(), String> {
    let path = route.path(node, rel);
    let what = format!("reading /var/log/{rel} on {node}");
    if gz {
        // Rotated files are small next to the live one, and gzip needs the
        // whole stream anyway: read, then decompress line by line.
        let b = cx
            .cl
            .get_raw(&path, &what)
            .await
            .map_err(|e| e.to_string())?;
        let dec = std::io::BufReader::new(flate2::read::GzDecoder::new(&b[..]));
        return cri_lines(dec, &mut |t, l| cut.line(t, l))
            .map_err(|e| format!("decompressing: {e}"));
    }
    let stream = cx
        .cl
        .get_raw_stream(&path, &what)
        .await
        .map_err(|e| e.to_string())?;
    let mut lines = std::pin::pin!(stream.lines());
    let mut j = CriJoin::default();
    while let Some(l) = lines.next().await {
        let l = l.map_err(|e| e.to_string())?;
        j.push(&l, &mut |t, x| cut.line(t, x))
            .map_err(|e| e.to_string())?;
        // A live file keeps growing after the window: stop reading at its end.
        if cut.past_end {
            return Ok(());
        }
    }
    j.finish(&mut |t, x| cut.line(t, x))
        .map_err(|e| e.to_string())
}

/// One instance through the logs API, from the window's start; stops
/// reading at the window's end.
async fn api_instance(
    cx: &Ctx,
    p: &PodRef,
    c: &str,
    previous: bool,
    cut: &mut Cut<'_>,
) -> Result<(), ApiLogError> {
    let api: Api<Pod> = Api::namespaced(cx.cl.client.clone(), &p.namespace);
    let lp = LogParams {
        container: Some(c.to_string()),
        previous,
        timestamps: true,
        since_time: Some(cx.req.from),
        ..Default::default()
    };
    let what = format!(
        "reading the {} log of {}/{} {c}",
        if previous { "previous" } else { "current" },
        p.namespace,
        p.name
    );
    let stream = match cx.cl.call(&what, api.log_stream(&p.name, &lp)).await {
        Ok(s) => s,
        Err(e @ AccessError::Api { code: 400, .. }) => {
            return Err(ApiLogError::NotAvailable(e.to_string()));
        }
        Err(e) => return Err(ApiLogError::Other(e.to_string())),
    };
    let mut lines = std::pin::pin!(stream.lines());
    while let Some(l) = lines.next().await {
        let l = l.map_err(|e| ApiLogError::Other(format!("{what}: {e}")))?;
        let Some((ts, text)) = l.split_once(' ') else {
            continue;
        };
        let Ok(time) = ts.parse::<Timestamp>() else {
            continue;
        };
        if time >= cx.req.to {
            break;
        }
        cut.line(time, text)
            .map_err(|e| ApiLogError::Other(e.to_string()))?;
    }
    Ok(())
}

/// The node's own files under /var/log (syslog and its rotations), each cut
/// to the window, plus the kubelet's and the runtime's journal through the
/// node log query.
async fn node_files(cx: &Ctx, t: &Tally, node: &str, route: &Route, out: &Path) {
    let names = match nodes::node_log(&cx.cl, node, None).await {
        Ok(NodeLog::Listing(n)) => n,
        Ok(NodeLog::File(_)) => return,
        Err(e) => {
            t.error(format!("node {node}: /var/log not listed: {e:#}"));
            return;
        }
    };
    let year = cx.req.from.to_zoned(jiff::tz::TimeZone::UTC).year();
    for name in names.iter().filter(|n| !n.ends_with('/')) {
        let what = format!("reading /var/log/{name} on {node}");
        let b = match cx.cl.get_raw(&route.path(node, name), &what).await {
            Ok(b) => b,
            Err(e) => {
                t.error(format!("node {node}: {what}: {e}"));
                continue;
            }
        };
        let text = if name.ends_with(".gz") {
            let mut s = String::new();
            if let Err(e) =
                std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&b[..]), &mut s)
            {
                t.error(format!("node {node}: /var/log/{name}: {e}"));
                continue;
            }
            s
        } else {
            String::from_utf8_lossy(&b).into_owned()
        };
        let kept = cut_text(cx, &text, year);
        if kept.is_empty() {
            continue;
        }
        let dst = out.join(safe_name(name.trim_end_matches(".gz")));
        if let Err(e) = write_file(&dst, kept.as_bytes()) {
            t.error(format!("node {node}: writing {}: {e}", dst.display()));
            continue;
        }
        t.add("node files", 1);
    }
    for unit in ["kubelet", "containerd"] {
        let path = format!(
            "/api/v1/nodes/{node}/proxy/logs/?query={unit}&sinceTime={}&untilTime={}",
            cx.req.from, cx.req.to
        );
        if !matches!(route, Route::Kubelet) {
            break;
        }
        match cx
            .cl
            .get_raw(&path, &format!("querying the {unit} journal of {node}"))
            .await
        {
            Ok(b) => {
                let text = String::from_utf8_lossy(&b);
                let kept = cut_text(cx, &text, year);
                if kept.is_empty() {
                    continue;
                }
                let dst = out.join("journal").join(format!("{unit}.log"));
                if let Err(e) = write_file(&dst, kept.as_bytes()) {
                    t.error(format!("node {node}: writing {}: {e}", dst.display()));
                } else {
                    t.add("node journal units", 1);
                }
            }
            // Node log query is a newer kubelet feature: without it the
            // journal is simply not in the package; syslog usually is.
            Err(AccessError::NotFound(_)) => {}
            Err(AccessError::Api { code: 400, .. }) => {}
            Err(e) => t.error(format!("node {node}: {unit} journal: {e}")),
        }
    }
}

/// Keeps the lines whose time is in the window; a line without a time
/// (a continuation) goes with the line before it.
fn cut_text(cx: &Ctx, text: &str, year: i16) -> String {
    let mut out = String::new();
    let mut keep = false;
    for l in text.lines() {
        if let Some(t) = crate::cli::nodes::line_time(l, year) {
            keep = cx.req.in_window(t);
        }
        if keep {
            out.push_str(l);
            out.push('\n');
        }
    }
    // Whole text: a private key spans lines.
    cx.redact.text(&out).into_owned()
}

fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_in_write_order() {
        let mut names = vec![
            "5.log",
            "4.log",
            "5.log.20261129-031500.gz",
            "5.log.20261129-041500",
            "5.log.20261129-021500.gz",
            "x.tmp",
        ];
        names.sort_by_key(|n| file_order(n));
        let ordered: Vec<&str> = names
            .into_iter()
            .filter(|n| file_order(n).is_some())
            .collect();
        assert_eq!(
            ordered,
            [
                "4.log",
                "5.log.20261129-021500.gz",
                "5.log.20261129-031500.gz",
                "5.log.20261129-041500",
                "5.log"
            ]
        );
    }

    #[test]
    fn rotation_stamps() {
        let from: Timestamp = "2026-11-29T04:00:00Z".parse().unwrap();
        assert!(rotated_before("20261129-031500", from));
        assert!(!rotated_before("20261129-035930", from));
        assert!(!rotated_before("garbage", from));
    }

    #[test]
    fn cri_partial_lines() {
        let text = "2026-11-29T03:00:00.1Z stdout P hello \n2026-11-29T03:00:00.2Z stdout F world\nnot cri\n2026-11-29T03:00:01Z stderr F boom\n";
        let mut got = Vec::new();
        cri_lines(text.as_bytes(), &mut |t, l| {
            got.push((t.to_string(), l.to_string()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            got,
            [
                (
                    "2026-11-29T03:00:00.1Z".to_string(),
                    "hello world".to_string()
                ),
                ("2026-11-29T03:00:01Z".to_string(), "boom".to_string())
            ]
        );
    }
}
