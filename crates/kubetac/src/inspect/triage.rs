//! `kubetac triage`: for every unhealthy pod, one line saying why — the
//! cause and its evidence (exit code and signal of the last termination,
//! OOM kills, eviction and scheduling messages, image pull errors, failing
//! probes from events, the panic in the previous instance's log) — and the
//! kubetac command that shows more. The rules are pure functions of the pod,
//! its events and its previous log, so they are tested without a cluster.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{ContainerStateTerminated, ContainerStatus, Event, Pod};
use kube::api::{Api, ListParams, LogParams};
use serde::Serialize;

use super::Scope;
use super::status::{PodRow, human_duration, is_healthy, pod_row};
use super::table::colour_status;
use crate::cluster::Cluster;

/// A restart this recent makes a running pod worth a line.
const RECENT_RESTART: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub namespace: String,
    pub pod: String,
    pub ready: String,
    pub status: String,
    pub restarts: String,
    /// A short class: crash-loop, evicted, unschedulable, image-pull, ...
    pub cause: String,
    /// One sentence: the cause with its evidence.
    pub explanation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// Lines that back the explanation (log lines, event messages).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The kubetac command that shows more.
    pub command: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSummary {
    pub namespace: String,
    pub pods: usize,
    pub unhealthy: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub scope: String,
    pub pods: usize,
    pub unhealthy: Vec<Finding>,
    pub namespaces: Vec<NamespaceSummary>,
}

/// The name of a signal, as `kill -l` gives it.
pub fn signal_name(n: i32) -> Option<&'static str> {
    Some(match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return None,
    })
}

/// "exit code 137 (SIGKILL / OOMKilled)", "exit code 2 (Error)".
pub fn describe_exit(t: &ContainerStateTerminated) -> (String, Option<String>) {
    let sig = t
        .signal
        .filter(|s| *s > 0)
        .or_else(|| (t.exit_code > 128).then_some(t.exit_code - 128))
        .and_then(|n| signal_name(n).map(str::to_string));
    let mut parts: Vec<String> = Vec::new();
    if let Some(s) = &sig {
        parts.push(s.clone());
    }
    if let Some(r) = t.reason.as_ref().filter(|r| !r.is_empty()) {
        parts.push(r.clone());
    }
    let text = if parts.is_empty() {
        format!("exit code {}", t.exit_code)
    } else {
        format!("exit code {} ({})", t.exit_code, parts.join(" / "))
    };
    (text, sig)
}

/// The line of a crashed instance's log that says most: a panic, a fatal
/// error, an exception; else its last line.
pub fn telling_line(log: &str) -> Option<String> {
    let lines: Vec<&str> = log
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let markers = [
        "panic:",
        "fatal error:",
        "FATAL",
        "Fatal",
        "Exception",
        "Traceback",
        "Segmentation fault",
        "ERROR",
        "error:",
    ];
    for m in markers {
        if let Some(l) = lines.iter().find(|l| l.contains(m)) {
            return Some(shorten(l, 200));
        }
    }
    lines.last().map(|l| shorten(l, 200))
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

fn recently_crashed(cs: &ContainerStatus, now: Timestamp) -> bool {
    cs.last_state
        .as_ref()
        .and_then(|l| l.terminated.as_ref())
        .filter(|t| t.exit_code != 0)
        .and_then(|t| t.finished_at.as_ref())
        .is_some_and(|f| now.duration_since(f.0) < RECENT_RESTART)
}

/// Whether a pod deserves a line: not healthy as kubectl shows it, or
/// running but crashing (a crash loop caught between two restarts).
pub fn needs_attention(pod: &Pod, row: &PodRow, now: Timestamp) -> bool {
    if !is_healthy(row) {
        return true;
    }
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| recently_crashed(c, now)))
}

/// The diagnosis of one pod from what the cluster says about it.
pub fn diagnose(
    pod: &Pod,
    events: &[Event],
    previous_log: Option<&str>,
    now: Timestamp,
) -> Option<Finding> {
    let row = pod_row(pod, now);
    if !needs_attention(pod, &row, now) {
        return None;
    }
    let ns = row.namespace.clone();
    let name = row.name.clone();
    let status = pod.status.clone().unwrap_or_default();
    let describe_cmd = format!("kubetac describe pod {name} -n {ns}");
    let mut f = Finding {
        namespace: ns.clone(),
        pod: name.clone(),
        ready: row.ready.clone(),
        status: row.status.clone(),
        restarts: row.restarts.clone(),
        cause: String::new(),
        explanation: String::new(),
        container: None,
        exit_code: None,
        signal: None,
        evidence: Vec::new(),
        command: describe_cmd.clone(),
    };
    let probe_failures: Vec<&Event> = events
        .iter()
        .filter(|e| e.reason.as_deref() == Some("Unhealthy"))
        .collect();
    let probe_note = probe_failures
        .iter()
        .max_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0))
        .map(|e| {
            let n = e.count.unwrap_or(1);
            let msg = e.message.clone().unwrap_or_default();
            if n > 1 {
                format!("{} (x{n})", msg.trim())
            } else {
                msg.trim().to_string()
            }
        });

    if status.reason.as_deref() == Some("Evicted") {
        f.cause = "evicted".into();
        f.explanation = format!(
            "evicted: {}",
            status
                .message
                .clone()
                .unwrap_or_else(|| "no message".into())
                .trim()
        );
        return Some(f);
    }
    if let Some(d) = &pod.metadata.deletion_timestamp {
        let grace = pod.metadata.deletion_grace_period_seconds.unwrap_or(30);
        let for_ = now.duration_since(d.0);
        f.cause = if status.reason.as_deref() == Some("NodeLost") {
            "node-lost".into()
        } else {
            "terminating".into()
        };
        f.explanation = if status.reason.as_deref() == Some("NodeLost") {
            format!(
                "node {} is unreachable; the pod is being deleted",
                pod.spec
                    .as_ref()
                    .and_then(|s| s.node_name.clone())
                    .unwrap_or_default()
            )
        } else if for_.as_secs() > grace {
            format!(
                "stuck terminating for {} (grace period {grace}s): a finalizer or an unresponsive node",
                human_duration(for_)
            )
        } else {
            format!("terminating for {}", human_duration(for_))
        };
        return Some(f);
    }
    let conds = status.conditions.clone().unwrap_or_default();
    if let Some(c) = conds
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
    {
        let gated = c.reason.as_deref() == Some("SchedulingGated");
        f.cause = if gated {
            "scheduling-gated".into()
        } else {
            "unschedulable".into()
        };
        f.explanation = format!(
            "{}: {}",
            if gated {
                "scheduling gated"
            } else {
                "unschedulable"
            },
            c.message
                .clone()
                .unwrap_or_else(|| c.reason.clone().unwrap_or_default())
                .trim()
        );
        return Some(f);
    }
    // Init containers first: nothing else starts until they succeed.
    for cs in status.init_container_statuses.iter().flatten() {
        let st = cs.state.clone().unwrap_or_default();
        if let Some(w) = st
            .waiting
            .as_ref()
            .filter(|w| w.reason.as_deref() != Some("PodInitializing"))
        {
            let last = cs.last_state.as_ref().and_then(|l| l.terminated.clone());
            f.cause = "init-container".into();
            f.container = Some(cs.name.clone());
            let mut e = format!(
                "init container {} is waiting: {}",
                cs.name,
                w.reason.clone().unwrap_or_default()
            );
            if let Some(t) = &last {
                let (txt, sig) = describe_exit(t);
                e.push_str(&format!(
                    "; it last exited with {txt} after {} restarts",
                    cs.restart_count
                ));
                f.exit_code = Some(t.exit_code);
                f.signal = sig;
            }
            f.explanation = e;
            f.command = format!("kubetac logs {name} -n {ns} -c {} --previous", cs.name);
            return Some(f);
        }
        if let Some(t) = st.terminated.as_ref().filter(|t| t.exit_code != 0) {
            let (txt, sig) = describe_exit(t);
            f.cause = "init-container".into();
            f.container = Some(cs.name.clone());
            f.exit_code = Some(t.exit_code);
            f.signal = sig;
            f.explanation = format!("init container {} failed with {txt}", cs.name);
            f.command = format!("kubetac logs {name} -n {ns} -c {}", cs.name);
            return Some(f);
        }
    }
    let statuses = status.container_statuses.clone().unwrap_or_default();
    for cs in &statuses {
        let st = cs.state.clone().unwrap_or_default();
        let last = cs.last_state.as_ref().and_then(|l| l.terminated.clone());
        let waiting_reason = st
            .waiting
            .as_ref()
            .and_then(|w| w.reason.clone())
            .unwrap_or_default();
        let crashing = waiting_reason == "CrashLoopBackOff"
            || (st.running.is_some() && recently_crashed(cs, now));
        if crashing {
            f.cause = "crash-loop".into();
            f.container = Some(cs.name.clone());
            let mut e = format!(
                "crash loop: container {} restarted {} times",
                cs.name, cs.restart_count
            );
            if let Some(t) = &last {
                let (txt, sig) = describe_exit(t);
                e.push_str(&format!(", last {txt}"));
                if let Some(fin) = &t.finished_at {
                    e.push_str(&format!(
                        " {} ago",
                        human_duration(now.duration_since(fin.0))
                    ));
                }
                f.exit_code = Some(t.exit_code);
                f.signal = sig;
                if t.reason.as_deref() == Some("OOMKilled") {
                    let limit = pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.containers.iter().find(|c| c.name == cs.name))
                        .and_then(|c| c.resources.as_ref())
                        .and_then(|r| r.limits.as_ref())
                        .and_then(|l| l.get("memory"))
                        .map(|q| q.0.clone());
                    f.cause = "oom-killed".into();
                    e.push_str(&match limit {
                        Some(l) => format!("; it ran out of memory (limit {l})"),
                        None => "; it ran out of memory (no limit: the node's memory)".into(),
                    });
                }
            }
            if let Some(line) = previous_log.and_then(telling_line) {
                e.push_str(&format!("; log: {line}"));
                f.evidence.push(line);
            }
            if let Some(p) = &probe_note {
                e.push_str(&format!("; {p}"));
                f.evidence.push(p.clone());
            }
            f.explanation = e;
            f.command = format!(
                "kubetac logs {name} -n {ns} --previous{}",
                if statuses.len() > 1 {
                    format!(" -c {}", cs.name)
                } else {
                    String::new()
                }
            );
            return Some(f);
        }
        if matches!(
            waiting_reason.as_str(),
            "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "ErrImageNeverPull"
        ) {
            f.cause = "image-pull".into();
            f.container = Some(cs.name.clone());
            let msg = st
                .waiting
                .as_ref()
                .and_then(|w| w.message.clone())
                .unwrap_or_default();
            f.explanation = format!(
                "image pull failing for container {} ({}): {waiting_reason}{}",
                cs.name,
                cs.image,
                if msg.is_empty() {
                    String::new()
                } else {
                    format!(": {}", msg.trim())
                }
            );
            return Some(f);
        }
        if !waiting_reason.is_empty()
            && waiting_reason != "ContainerCreating"
            && waiting_reason != "PodInitializing"
        {
            f.cause = "container-waiting".into();
            f.container = Some(cs.name.clone());
            let msg = st
                .waiting
                .as_ref()
                .and_then(|w| w.message.clone())
                .unwrap_or_default();
            f.explanation = format!(
                "container {} cannot start: {waiting_reason}{}",
                cs.name,
                if msg.is_empty() {
                    String::new()
                } else {
                    format!(": {}", msg.trim())
                }
            );
            return Some(f);
        }
        if let Some(t) = st.terminated.as_ref().filter(|t| t.exit_code != 0) {
            let (txt, sig) = describe_exit(t);
            f.cause = if t.reason.as_deref() == Some("OOMKilled") {
                "oom-killed".into()
            } else {
                "terminated".into()
            };
            f.container = Some(cs.name.clone());
            f.exit_code = Some(t.exit_code);
            f.signal = sig;
            f.explanation = format!("container {} terminated with {txt}", cs.name);
            f.command = format!("kubetac logs {name} -n {ns} -c {}", cs.name);
            return Some(f);
        }
    }
    for cs in &statuses {
        if cs.state.as_ref().is_some_and(|s| s.running.is_some()) && !cs.ready {
            f.cause = "not-ready".into();
            f.container = Some(cs.name.clone());
            f.explanation = match &probe_note {
                Some(p) => format!("container {} is running but not ready: {p}", cs.name),
                None => format!("container {} is running but not ready", cs.name),
            };
            if let Some(p) = &probe_note {
                f.evidence.push(p.clone());
            }
            return Some(f);
        }
    }
    match status.phase.as_deref() {
        Some("Failed") => {
            f.cause = "failed".into();
            f.explanation = format!(
                "failed: {}{}",
                status
                    .reason
                    .clone()
                    .unwrap_or_else(|| "the pod's containers exited with errors".into()),
                status
                    .message
                    .map(|m| format!(": {}", m.trim()))
                    .unwrap_or_default()
            );
        }
        Some("Pending") => {
            f.cause = "pending".into();
            let waiting: Vec<String> = statuses
                .iter()
                .filter_map(|c| {
                    c.state
                        .as_ref()
                        .and_then(|s| s.waiting.as_ref())
                        .map(|w| format!("{} {}", c.name, w.reason.clone().unwrap_or_default()))
                })
                .collect();
            f.explanation = if waiting.is_empty() {
                "pending: waiting for its containers to be created".into()
            } else {
                format!("pending: {}", waiting.join(", "))
            };
        }
        Some("Unknown") => {
            f.cause = "unknown".into();
            f.explanation = "the node stopped reporting this pod's state".into();
        }
        _ => {
            f.cause = "not-ready".into();
            f.explanation = format!("{} with {} containers ready", row.status, row.ready);
        }
    }
    Some(f)
}

/// Gathers pods (page by page), their events and crashed instances' logs,
/// and diagnoses every unhealthy pod.
pub async fn run(cl: &Cluster, scope: &Scope, selector: Option<&str>) -> anyhow::Result<Report> {
    let now = Timestamp::now();
    let api: Api<Pod> = scope.api(cl);
    let mut lp = ListParams::default();
    if let Some(s) = selector {
        lp = lp.labels(s);
    }
    let mut per_ns: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut candidates: Vec<Pod> = Vec::new();
    let mut total = 0usize;
    {
        let mut pages =
            std::pin::pin!(cl.list_pages(api, lp, format!("listing pods in {}", scope.describe())));
        while let Some(page) = pages.next().await {
            for p in page?.items {
                total += 1;
                let row = pod_row(&p, now);
                let e = per_ns.entry(row.namespace.clone()).or_default();
                e.0 += 1;
                if needs_attention(&p, &row, now) {
                    e.1 += 1;
                    candidates.push(p);
                }
            }
        }
    }
    if let Scope::Namespace(ns) = scope {
        per_ns.entry(ns.clone()).or_default();
    }
    // Events for the candidates only, read page by page.
    let uids: HashSet<String> = candidates
        .iter()
        .filter_map(|p| p.metadata.uid.clone())
        .collect();
    let mut events: HashMap<String, Vec<Event>> = HashMap::new();
    if !uids.is_empty() {
        let eapi: Api<Event> = scope.api(cl);
        let mut pages = std::pin::pin!(cl.list_pages(
            eapi,
            ListParams::default(),
            format!("listing events in {}", scope.describe())
        ));
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => {
                    for e in page.items {
                        if let Some(uid) =
                            e.involved_object.uid.clone().filter(|u| uids.contains(u))
                        {
                            events.entry(uid).or_default().push(e);
                        }
                    }
                }
                // Events only add evidence: say so and go on without them.
                Err(e) => {
                    eprintln!(
                        "kubetac: warning: events not read, diagnoses lack probe evidence: {e}"
                    );
                    break;
                }
            }
        }
    }
    // The crashed instance's log, for crash loops, a few at a time.
    let logs: HashMap<String, String> = futures::stream::iter(candidates.iter().filter_map(|p| {
        let cs = p.status.as_ref()?.container_statuses.as_ref()?;
        let c = cs.iter().find(|c| {
            c.last_state
                .as_ref()
                .and_then(|l| l.terminated.as_ref())
                .is_some()
        })?;
        Some((
            p.metadata.namespace.clone()?,
            p.metadata.name.clone()?,
            p.metadata.uid.clone()?,
            c.name.clone(),
        ))
    }))
    .map(|(ns, name, uid, container)| async move {
        let api: Api<Pod> = Api::namespaced(cl.client.clone(), &ns);
        let lp = LogParams {
            container: Some(container),
            previous: true,
            tail_lines: Some(40),
            ..LogParams::default()
        };
        let text = cl
            .call("reading a previous log", api.logs(&name, &lp))
            .await
            .ok();
        (uid, text)
    })
    .buffer_unordered(8)
    .filter_map(|(uid, t)| async move { t.map(|t| (uid, t)) })
    .collect()
    .await;

    let mut unhealthy: Vec<Finding> = candidates
        .iter()
        .filter_map(|p| {
            let uid = p.metadata.uid.clone().unwrap_or_default();
            let evs = events.get(&uid).map(Vec::as_slice).unwrap_or(&[]);
            diagnose(p, evs, logs.get(&uid).map(String::as_str), now)
        })
        .collect();
    unhealthy.sort_by(|a, b| (&a.namespace, &a.pod).cmp(&(&b.namespace, &b.pod)));
    Ok(Report {
        scope: scope.describe(),
        pods: total,
        namespaces: per_ns
            .into_iter()
            .map(|(namespace, (pods, unhealthy))| NamespaceSummary {
                namespace,
                pods,
                unhealthy,
            })
            .collect(),
        unhealthy,
    })
}

pub fn write_text(r: &Report, out: &mut dyn Write, colour: bool) -> std::io::Result<()> {
    for f in &r.unhealthy {
        writeln!(
            out,
            "{}/{}  {} {}  {}  → {}",
            f.namespace,
            f.pod,
            f.ready,
            colour_status(&f.status, colour),
            f.explanation,
            f.command
        )?;
    }
    for ns in r.namespaces.iter().filter(|n| n.unhealthy == 0) {
        match ns.pods {
            0 => writeln!(out, "{}: no pods", ns.namespace)?,
            1 => writeln!(out, "{}: healthy (1 pod)", ns.namespace)?,
            n => writeln!(out, "{}: healthy (all {n} pods)", ns.namespace)?,
        }
    }
    if !r.unhealthy.is_empty() {
        let nss = r.namespaces.iter().filter(|n| n.unhealthy > 0).count();
        writeln!(
            out,
            "{} unhealthy of {} pods in {} ({} namespace{})",
            r.unhealthy.len(),
            r.pods,
            r.scope,
            nss,
            if nss == 1 { "" } else { "s" }
        )?;
    }
    out.flush()
}

pub fn write_json(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(std::io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    fn now() -> Timestamp {
        "2026-11-29T04:00:00Z".parse().unwrap()
    }

    fn base(status: serde_json::Value) -> serde_json::Value {
        json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u", "creationTimestamp": "2026-11-28T00:00:00Z"},
            "spec": {"nodeName": "w1", "containers": [{"name": "c", "image": "img:1", "resources": {"limits": {"memory": "4Gi"}}}]},
            "status": status,
        })
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn table_of_causes() {
        let crashloop = base(
            json!({"phase": "Running", "containerStatuses": [{"name": "c", "image": "img:1", "imageID": "", "ready": false, "restartCount": 5,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": "2026-11-29T03:50:00Z"}}}]}),
        );
        let segv = base(
            json!({"phase": "Running", "containerStatuses": [{"name": "c", "image": "img:1", "imageID": "", "ready": false, "restartCount": 3,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 139, "reason": "Error", "finishedAt": "2026-11-29T03:59:00Z"}}}]}),
        );
        let oom = base(
            json!({"phase": "Running", "containerStatuses": [{"name": "c", "image": "img:1", "imageID": "", "ready": false, "restartCount": 1,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-11-29T03:59:00Z"}}}]}),
        );
        let running_after_crash = base(
            json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [{"name": "c", "image": "img:1", "imageID": "", "ready": true, "restartCount": 6,
            "state": {"running": {"startedAt": "2026-11-29T03:59:30Z"}},
            "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": "2026-11-29T03:58:00Z"}}}]}),
        );
        let evicted = base(
            json!({"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: ephemeral-storage. "}),
        );
        let unsched = base(
            json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available: 3 Insufficient cpu."}]}),
        );
        let pull = base(
            json!({"phase": "Pending", "containerStatuses": [{"name": "c", "image": "img:1", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image \"img:1\""}}}]}),
        );
        let notready = base(
            json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": [{"name": "c", "image": "img:1", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"running": {"startedAt": "2026-11-29T03:00:00Z"}}}]}),
        );
        let healthy = base(
            json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [{"name": "c", "image": "img:1", "imageID": "", "ready": true, "restartCount": 0,
            "state": {"running": {"startedAt": "2026-11-29T03:00:00Z"}}}]}),
        );
        let init = json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u", "creationTimestamp": "2026-11-28T00:00:00Z"},
            "spec": {"initContainers": [{"name": "migrate"}], "containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [{"name": "migrate", "image": "i", "imageID": "", "ready": false, "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}
        });
        let probe = Event {
            reason: Some("Unhealthy".into()),
            message: Some("Readiness probe failed: connection refused".into()),
            count: Some(14),
            ..Default::default()
        };
        let log = "starting\npanic: runtime error: invalid memory address or nil pointer dereference seq=9\ngoroutine 1 [running]:\n";
        let cases: Vec<(
            serde_json::Value,
            Vec<Event>,
            Option<&str>,
            Option<(&str, Vec<&str>)>,
        )> = vec![
            (
                crashloop,
                vec![probe.clone()],
                Some(log),
                Some((
                    "crash-loop",
                    vec![
                        "restarted 5 times",
                        "exit code 2 (Error)",
                        "10m ago",
                        "panic: runtime error",
                        "Readiness probe failed: connection refused (x14)",
                        "--previous",
                    ],
                )),
            ),
            (
                segv,
                vec![],
                None,
                Some(("crash-loop", vec!["exit code 139 (SIGSEGV / Error)"])),
            ),
            (
                oom,
                vec![],
                None,
                Some((
                    "oom-killed",
                    vec!["exit code 137 (SIGKILL / OOMKilled)", "limit 4Gi"],
                )),
            ),
            (
                running_after_crash,
                vec![],
                Some(log),
                Some(("crash-loop", vec!["restarted 6 times", "panic:"])),
            ),
            (
                evicted,
                vec![],
                None,
                Some((
                    "evicted",
                    vec!["evicted: The node was low on resource: ephemeral-storage."],
                )),
            ),
            (
                unsched,
                vec![],
                None,
                Some((
                    "unschedulable",
                    vec!["0/3 nodes are available: 3 Insufficient cpu."],
                )),
            ),
            (
                pull,
                vec![],
                None,
                Some((
                    "image-pull",
                    vec!["ImagePullBackOff", "Back-off pulling image"],
                )),
            ),
            (
                notready,
                vec![probe],
                None,
                Some((
                    "not-ready",
                    vec!["running but not ready", "Readiness probe failed"],
                )),
            ),
            (
                init,
                vec![],
                None,
                Some((
                    "init-container",
                    vec![
                        "init container migrate is waiting: CrashLoopBackOff",
                        "exit code 1 (Error)",
                    ],
                )),
            ),
            (healthy, vec![], None, None),
        ];
        for (i, (p, evs, log, want)) in cases.into_iter().enumerate() {
            let got = diagnose(&pod(p), &evs, log, now());
            match (got, want) {
                (None, None) => {}
                (Some(f), Some((cause, parts))) => {
                    assert_eq!(f.cause, cause, "case {i}: {f:?}");
                    let line = format!("{} {}", f.explanation, f.command);
                    for part in parts {
                        assert!(line.contains(part), "case {i}: {part:?} not in {line:?}");
                    }
                }
                (got, want) => panic!("case {i}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn telling_lines() {
        assert_eq!(
            telling_line("a\npanic: boom\nb\n").as_deref(),
            Some("panic: boom")
        );
        assert_eq!(telling_line("a\nlast\n\n").as_deref(), Some("last"));
        assert_eq!(telling_line(""), None);
        assert_eq!(signal_name(11), Some("SIGSEGV"));
    }

    #[test]
    fn text_report_says_healthy_namespaces_in_one_line() {
        let r = Report {
            scope: "all namespaces".into(),
            pods: 3,
            unhealthy: vec![],
            namespaces: vec![NamespaceSummary {
                namespace: "cee-cee".into(),
                pods: 3,
                unhealthy: 0,
            }],
        };
        let mut buf = Vec::new();
        write_text(&r, &mut buf, false).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "cee-cee: healthy (all 3 pods)\n"
        );
    }
}
