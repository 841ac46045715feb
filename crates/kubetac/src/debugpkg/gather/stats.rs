//! Stats: `stats/Stats_<window>.tar.gz` with the kubelets' Summary of the
//! filtered pods (CPU, memory, filesystem, network per node, pod and
//! container, as the kubelet reports them now), every filtered pod's phase,
//! readiness, restart counts and last termination, and the events of the
//! window. The events and terminations also feed the report's timeline.

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::Path;

use futures::StreamExt;
use futures::future::BoxFuture;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams};
use serde_json::{Value, json};

use super::{Ctx, GatherError, GatherResult, Gatherer, Tally, rfc3339, safe_name, tar_gz};
use crate::debugpkg::report::{TimelineEntry, TimelineKind};
use crate::debugpkg::request::Kind;

pub struct Stats;

impl Gatherer for Stats {
    fn kind(&self) -> Kind {
        Kind::Stats
    }

    fn gather<'a>(&'a self, cx: &'a Ctx, t: &'a Tally) -> BoxFuture<'a, GatherResult> {
        Box::pin(run(cx, t))
    }
}

/// Events kept on the report's timeline; the archive has them all.
const TIMELINE_EVENTS: usize = 2000;

fn io(e: std::io::Error) -> GatherError {
    GatherError::Failed(e.to_string())
}

async fn run(cx: &Ctx, t: &Tally) -> GatherResult {
    let work = cx.work(Kind::Stats);
    std::fs::create_dir_all(&work).map_err(io)?;
    std::fs::write(
        work.join("README.txt"),
        format!(
            "kubetac debug package stats for {} .. {} (UTC)\n\n\
             pods.json      every filtered pod: phase, node, per container ready, restarts, state, last termination (as of {now})\n\
             restarts.txt   container terminations inside the window\n\
             events.json    events of the filtered namespaces that overlap the window (events.txt: one per line)\n\
             summary/       the kubelet Summary API per node, filtered pods only, taken at {now}\n",
            rfc3339(cx.req.from),
            rfc3339(cx.req.to),
            now = rfc3339(Timestamp::now())
        ),
    )
    .map_err(io)?;
    t.set_progress("pods");
    let pods = pods(cx, t, &work).await?;
    t.set_progress("events");
    events(cx, t, &work).await;
    t.set_progress("kubelet summaries");
    let nodes: BTreeSet<String> = cx.pods.iter().filter_map(|p| p.node.clone()).collect();
    t.set_total(nodes.len() as u64);
    let summaries: Vec<(String, Result<Value, String>)> = futures::stream::iter(nodes)
        .map(|n| async move {
            let r = cx
                .cl
                .get_raw(
                    &format!("/api/v1/nodes/{n}/proxy/stats/summary"),
                    &format!("reading the kubelet summary of {n}"),
                )
                .await
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| e.to_string()));
            t.step();
            (n, r)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (node, r) in summaries {
        match r {
            Ok(mut v) => {
                if let Some(pods) = v.get_mut("pods").and_then(Value::as_array_mut) {
                    pods.retain(|p| {
                        cx.pod_wanted(
                            p["podRef"]["namespace"].as_str().unwrap_or_default(),
                            p["podRef"]["name"].as_str().unwrap_or_default(),
                        )
                    });
                }
                let p = work
                    .join("summary")
                    .join(format!("{}.json", safe_name(&node)));
                write_json(&p, &v).map_err(io)?;
                t.add("kubelet summaries", 1);
            }
            Err(e) => t.error(format!("node {node}: kubelet summary: {e}")),
        }
    }
    let name = format!("Stats_{}", cx.req.window_name());
    tar_gz(
        work,
        cx.out(Kind::Stats).join(format!("{name}.tar.gz")),
        name,
    )
    .await
    .map_err(io)?;
    let c = t.counts();
    let n = |k: &str| c.get(k).copied().unwrap_or(0);
    Ok(format!(
        "{}, {} in the window, {}, {}",
        plural(pods, "pod"),
        plural(n("restarts in window"), "restart"),
        plural(n("events"), "event"),
        plural(n("kubelet summaries"), "kubelet summary"),
    ))
}

fn plural(n: u64, one: &str) -> String {
    match (n, one.strip_suffix('y')) {
        (1, _) => format!("1 {one}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {one}s"),
    }
}

fn write_json(p: &Path, v: &Value) -> std::io::Result<()> {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d)?;
    }
    let mut w = BufWriter::new(std::fs::File::create(p)?);
    serde_json::to_writer_pretty(&mut w, v)?;
    w.flush()
}

/// pods.json and restarts.txt, page by page.
async fn pods(cx: &Ctx, t: &Tally, work: &Path) -> Result<u64, GatherError> {
    let mut out = BufWriter::new(std::fs::File::create(work.join("pods.json")).map_err(io)?);
    let mut restarts =
        BufWriter::new(std::fs::File::create(work.join("restarts.txt")).map_err(io)?);
    out.write_all(b"[\n").map_err(io)?;
    let mut n = 0u64;
    let mut timeline = Vec::new();
    for (what, api) in apis::<Pod>(cx) {
        let mut pages = std::pin::pin!(cx.cl.list_pages(
            api,
            ListParams::default(),
            format!("listing pods in {what}")
        ));
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(p) => p,
                Err(e) => {
                    t.error(format!("pods in {what}: {e}"));
                    break;
                }
            };
            for p in page.items {
                let ns = p.metadata.namespace.clone().unwrap_or_default();
                let name = p.metadata.name.clone().unwrap_or_default();
                if !cx.pod_wanted(&ns, &name) {
                    continue;
                }
                let st = p.status.clone().unwrap_or_default();
                let mut containers = Vec::new();
                for cs in st
                    .init_container_statuses
                    .iter()
                    .flatten()
                    .chain(st.container_statuses.iter().flatten())
                {
                    let last = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
                    if let Some(term) = last
                        && let Some(fin) = &term.finished_at
                        && cx.req.in_window(fin.0)
                    {
                        let (why, _) = crate::inspect::triage::describe_exit(term);
                        writeln!(
                            restarts,
                            "{} {ns}/{name} {} terminated: {why}; restarts now {}",
                            rfc3339(fin.0),
                            cs.name,
                            cs.restart_count
                        )
                        .map_err(io)?;
                        t.add("restarts in window", 1);
                        timeline.push(TimelineEntry {
                            time: fin.0,
                            kind: TimelineKind::Restart,
                            warning: true,
                            namespace: ns.clone(),
                            object: name.clone(),
                            text: format!(
                                "{} terminated with {why} (restart {})",
                                cs.name, cs.restart_count
                            ),
                        });
                    }
                    containers.push(json!({
                        "name": cs.name,
                        "ready": cs.ready,
                        "restartCount": cs.restart_count,
                        "state": cs.state,
                        "lastState": cs.last_state,
                        "image": cs.image,
                    }));
                }
                let v = json!({
                    "namespace": ns,
                    "name": name,
                    "node": p.spec.as_ref().and_then(|s| s.node_name.clone()),
                    "phase": st.phase,
                    "reason": st.reason,
                    "message": st.message.as_deref().map(|m| cx.redact.line(m).into_owned()),
                    "startTime": st.start_time,
                    "qosClass": st.qos_class,
                    "containers": containers,
                });
                if n > 0 {
                    out.write_all(b",\n").map_err(io)?;
                }
                serde_json::to_writer(&mut out, &v)
                    .map_err(|e| GatherError::Failed(e.to_string()))?;
                n += 1;
            }
        }
    }
    out.write_all(b"\n]\n").map_err(io)?;
    out.flush().map_err(io)?;
    restarts.flush().map_err(io)?;
    t.add("pods", n);
    cx.timeline(timeline);
    Ok(n)
}

fn apis<K>(cx: &Ctx) -> Vec<(String, Api<K>)>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    if cx.req.namespaces.is_empty() {
        vec![("all namespaces".into(), Api::all(cx.cl.client.clone()))]
    } else {
        cx.req
            .namespaces
            .iter()
            .map(|n| (n.clone(), Api::namespaced(cx.cl.client.clone(), n)))
            .collect()
    }
}

/// When an event happened: its last occurrence, else its event time, else
/// its first occurrence; and when it started.
pub fn event_span(e: &Event) -> Option<(Timestamp, Timestamp)> {
    let last = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))?;
    let first = e.first_timestamp.as_ref().map(|t| t.0).unwrap_or(last);
    Some((first.min(last), last))
}

async fn events(cx: &Ctx, t: &Tally, work: &Path) {
    let r: Result<(), GatherError> = async {
        let mut json_out =
            BufWriter::new(std::fs::File::create(work.join("events.json")).map_err(io)?);
        let mut text = BufWriter::new(std::fs::File::create(work.join("events.txt")).map_err(io)?);
        json_out.write_all(b"[\n").map_err(io)?;
        let mut n = 0u64;
        let mut timeline = Vec::new();
        for (what, api) in apis::<Event>(cx) {
            let mut pages = std::pin::pin!(cx.cl.list_pages(
                api,
                ListParams::default(),
                format!("listing events in {what}")
            ));
            while let Some(page) = pages.next().await {
                let page = match page {
                    Ok(p) => p,
                    Err(e) => {
                        t.error(format!("events in {what}: {e}"));
                        break;
                    }
                };
                for e in page.items {
                    let Some((first, last)) = event_span(&e) else {
                        continue;
                    };
                    if first >= cx.req.to || last < cx.req.from {
                        continue;
                    }
                    let obj = &e.involved_object;
                    let ns = e.metadata.namespace.clone().unwrap_or_default();
                    let oname = obj.name.clone().unwrap_or_default();
                    if obj.kind.as_deref() == Some("Pod") && !cx.pod_wanted(&ns, &oname) {
                        continue;
                    }
                    let msg = cx
                        .redact
                        .line(e.message.as_deref().unwrap_or(""))
                        .into_owned();
                    let warning = e.type_.as_deref() == Some("Warning");
                    writeln!(
                        text,
                        "{} {} {ns} {}/{} {} (x{}): {msg}",
                        rfc3339(last),
                        e.type_.as_deref().unwrap_or("-"),
                        obj.kind.as_deref().unwrap_or("-"),
                        oname,
                        e.reason.as_deref().unwrap_or("-"),
                        e.count.unwrap_or(1)
                    )
                    .map_err(io)?;
                    let mut v =
                        serde_json::to_value(&e).map_err(|e| GatherError::Failed(e.to_string()))?;
                    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                        m.remove("managedFields");
                    }
                    cx.redact.object(&mut v);
                    if n > 0 {
                        json_out.write_all(b",\n").map_err(io)?;
                    }
                    serde_json::to_writer(&mut json_out, &v)
                        .map_err(|e| GatherError::Failed(e.to_string()))?;
                    n += 1;
                    if timeline.len() < TIMELINE_EVENTS {
                        timeline.push(TimelineEntry {
                            time: last,
                            kind: TimelineKind::Event,
                            warning,
                            namespace: ns,
                            object: oname,
                            text: format!(
                                "{}{}: {msg}",
                                e.reason.as_deref().unwrap_or("-"),
                                match e.count {
                                    Some(c) if c > 1 => format!(" (x{c})"),
                                    _ => String::new(),
                                }
                            ),
                        });
                    }
                }
            }
        }
        json_out.write_all(b"\n]\n").map_err(io)?;
        json_out.flush().map_err(io)?;
        text.flush().map_err(io)?;
        t.add("events", n);
        cx.timeline(timeline);
        Ok(())
    }
    .await;
    if let Err(GatherError::Failed(e) | GatherError::Skipped(e)) = r {
        t.error(format!("events: {e}"));
    }
}
