//! Debug packages (`tac-debug-pkg`): everything a support engineer needs
//! for an incident window — cores, logs, metrics, stats, config — cut to
//! that window and filter, checksummed, redacted, with a report to read
//! first, and an honest account of what could not be gathered.

pub mod gather;
pub mod manifest;
pub mod redact;
pub mod report;
pub mod request;
pub mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams};

use crate::cluster::Cluster;
use crate::inspect::Scope;
use gather::{Ctx, GatherError, Tally};
use manifest::{ClusterInfo, GathererRecord, Manifest, Software};
use report::{GathererSummary, ReportData, TimelineKind, UnhealthyPod};
pub use request::{Kind, Request};
use store::{Active, Store};

/// How kubetac itself is set up for packages (the ops center's running
/// configuration, written into every package's config).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub store: PathBuf,
    pub min_free_percent: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<String>,
    pub metrics_queries: Vec<gather::metrics::Query>,
    /// Names the configuration archive, as the guide's `<host>_configuration`.
    pub host: String,
}

/// The default threshold of the guide: refuse below 20 % free.
pub const MIN_FREE_PERCENT: u8 = 20;

/// This machine's name (the pod's name in a cluster).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "kubetac".into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    InProgress,
    Completed,
    CompletedWithErrors,
    Skipped,
    Failed,
}

/// A gatherer's state as `status` and the progress display show it.
#[derive(Debug, Clone)]
pub struct GState {
    pub kind: Kind,
    pub state: State,
    /// The summary when done, or why it was skipped or failed.
    pub detail: String,
    /// What it is doing now.
    pub progress: String,
    pub done: u64,
    pub total: u64,
    pub errors: usize,
}

impl GState {
    /// The guide's words: `completed!`, `in progress`, plus the honest ones.
    pub fn status_text(&self) -> String {
        match self.state {
            State::Pending => "waiting".into(),
            State::InProgress => "in progress".into(),
            State::Completed => "completed!".into(),
            State::CompletedWithErrors => format!(
                "completed with {} error{} (see manifest.json)",
                self.errors,
                if self.errors == 1 { "" } else { "s" }
            ),
            State::Skipped => format!("skipped: {}", self.detail),
            State::Failed => format!("failed: {}", self.detail),
        }
    }

    fn record_state(&self) -> &'static str {
        match self.state {
            State::Pending => "pending",
            State::InProgress => "interrupted",
            State::Completed => "completed",
            State::CompletedWithErrors => "completed with errors",
            State::Skipped => "skipped",
            State::Failed => "failed",
        }
    }
}

/// What a create reports while it runs.
pub enum Progress<'a> {
    /// The id is known: the guide prints `response : ... tac-debug pkg ID : <id>` now.
    Started {
        id: &'a str,
        at: Timestamp,
    },
    Gatherers(&'a [GState]),
    /// The report, checksums and the final rename.
    Finishing,
}

pub struct Created {
    pub id: String,
    pub path: PathBuf,
    pub manifest: Manifest,
}

/// Checks what can be checked before anything is written: namespaces
/// exist, the disk has room, no other create runs.
pub async fn preflight(
    cl: &Cluster,
    store: &Store,
    req: &Request,
    min_free: u8,
) -> anyhow::Result<()> {
    // An unreachable cluster is said before an id is handed out.
    cl.call("asking the server's version", cl.client.apiserver_version())
        .await?;
    for ns in &req.namespaces {
        cl.check_namespace(ns).await?;
    }
    store.check_disk(min_free)?;
    Ok(())
}

/// Creates one package. Returns when it is complete (renamed into place).
pub async fn create(
    cl: Cluster,
    store: &Store,
    req: Request,
    settings: &Settings,
    observe: &(dyn Fn(Progress<'_>) + Sync),
) -> anyhow::Result<Created> {
    preflight(&cl, store, &req, settings.min_free_percent).await?;
    let lock = store.lock_for_create()?;
    let created = Timestamp::now();
    let id = store.allocate_id(created)?;
    observe(Progress::Started {
        id: &id,
        at: created,
    });
    let dir = store.partial_dir(&id);
    match build(cl, store, &lock, &id, created, &dir, req, settings, observe).await {
        Ok(c) => Ok(c),
        Err(e) => {
            // A package that cannot be finished must not hold the disk the
            // next attempt needs; what went wrong is in the error.
            let _ = std::fs::remove_dir_all(&dir);
            Err(e.context(format!(
                "tac-debug pkg {id} not created (its partial files were removed)"
            )))
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn build(
    cl: Cluster,
    store: &Store,
    lock: &store::CreateLock,
    id: &str,
    created: Timestamp,
    dir: &std::path::Path,
    req: Request,
    settings: &Settings,
    observe: &(dyn Fn(Progress<'_>) + Sync),
) -> anyhow::Result<Created> {
    let kinds: Vec<Kind> = req.gatherers.iter().copied().collect();
    let states: Mutex<Vec<GState>> = Mutex::new(
        kinds
            .iter()
            .map(|k| GState {
                kind: *k,
                state: State::Pending,
                detail: String::new(),
                progress: "listing pods".into(),
                done: 0,
                total: 0,
                errors: 0,
            })
            .collect(),
    );
    let publish = |states: &[GState]| {
        lock.publish(&Active {
            id: id.to_string(),
            started: created,
            pid: std::process::id(),
            gatherers: states
                .iter()
                .map(|g| (g.kind.name().to_string(), g.status_text()))
                .collect(),
        });
    };
    publish(&states.lock().unwrap());

    let pods = gather::filtered_pods(&cl, &req).await?;
    let namespaces = if req.namespaces.is_empty() {
        all_namespaces(&cl).await?
    } else {
        req.namespaces.clone()
    };
    let version = cl
        .call("asking the server's version", cl.client.apiserver_version())
        .await
        .ok()
        .map(|v| v.git_version);
    let cluster = ClusterInfo {
        server: cl.server.clone(),
        context: cl.context.clone(),
        version: version.clone(),
    };
    let mut running = serde_json::to_value(settings)?;
    running["version"] = serde_json::Value::String(env!("CARGO_PKG_VERSION").into());
    running["redact"] = serde_json::Value::Bool(req.redact);
    let cx = Ctx {
        cl: cl.clone(),
        redact: redact::Redactor::new(req.redact),
        report: Mutex::new(ReportData::default()),
        dir: dir.to_path_buf(),
        host: settings.host.clone(),
        namespaces,
        pods,
        prometheus: settings.prometheus.clone(),
        metrics_queries: settings.metrics_queries.clone(),
        settings: running,
        req,
    };
    let gatherers: Vec<Box<dyn gather::Gatherer>> = gather::all()
        .into_iter()
        .filter(|g| cx.req.wants(g.kind()))
        .collect();
    let tallies: Vec<Tally> = gatherers.iter().map(|_| Tally::default()).collect();
    let durations: Mutex<BTreeMap<Kind, Duration>> = Mutex::new(BTreeMap::new());

    {
        let run_all = futures::future::join_all(gatherers.iter().zip(&tallies).map(|(g, t)| {
            let states = &states;
            let durations = &durations;
            let cx = &cx;
            async move {
                set(states, g.kind(), |s| s.state = State::InProgress);
                let start = Instant::now();
                let r = g.gather(cx, t).await;
                durations.lock().unwrap().insert(g.kind(), start.elapsed());
                let errors = t.errors().len();
                set(states, g.kind(), |s| {
                    s.errors = errors;
                    match r {
                        Ok(detail) => {
                            s.state = if errors == 0 {
                                State::Completed
                            } else {
                                State::CompletedWithErrors
                            };
                            s.detail = detail;
                        }
                        Err(GatherError::Skipped(why)) => {
                            s.state = State::Skipped;
                            s.detail = why;
                        }
                        Err(GatherError::Failed(why)) => {
                            s.state = State::Failed;
                            s.detail = why;
                        }
                    }
                });
            }
        }));
        let mut run_all = std::pin::pin!(run_all);
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                _ = &mut run_all => break,
                _ = tick.tick() => {
                    let snapshot = snapshot(&states, &gatherers, &tallies);
                    observe(Progress::Gatherers(&snapshot));
                    publish(&snapshot);
                }
            }
        }
    }
    let final_states = snapshot(&states, &gatherers, &tallies);
    observe(Progress::Gatherers(&final_states));
    publish(&final_states);
    observe(Progress::Finishing);

    // The report: the triage explanation of the filter's unhealthy pods,
    // and what the gatherers saw.
    let mut data = std::mem::take(&mut *cx.report.lock().unwrap());
    data.id = id.to_string();
    data.created = Some(created);
    data.from = Some(cx.req.from);
    data.to = Some(cx.req.to);
    data.namespaces = cx.req.namespaces.clone();
    data.pod_regex = cx.req.pod_name.clone();
    data.cluster = if cl.context.is_empty() {
        cl.server.clone()
    } else {
        format!("{} (context {})", cl.server, cl.context)
    };
    data.cluster_version = version;
    data.kubetac_version = env!("CARGO_PKG_VERSION").into();
    let durations = durations.into_inner().unwrap();
    data.gatherers = final_states
        .iter()
        .zip(&tallies)
        .map(|(g, t)| {
            let out = cx.out(g.kind);
            GathererSummary {
                name: g.kind.name().into(),
                state: g.record_state().into(),
                detail: g.detail.clone(),
                files: count_files(&out),
                bytes: store::dir_size(&out),
                duration_ms: durations
                    .get(&g.kind)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0),
                errors: t.errors(),
            }
        })
        .collect();
    match unhealthy(&cl, &cx).await {
        Ok(u) => data.unhealthy = u,
        Err(e) => tracing::warn!("triage for the report failed: {e:#}"),
    }
    tidy_timeline(&mut data);
    pick_series(&mut data);
    data.redactions = cx.redact.counts();
    let web = dir.join("web");
    std::fs::create_dir_all(&web)?;
    std::fs::write(web.join("index.html"), report::render(&data))?;

    let _ = std::fs::remove_dir_all(dir.join(".work"));
    let files = {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || manifest::checksum_tree(&dir)).await??
    };
    let manifest = Manifest {
        id: id.to_string(),
        created,
        completed: Timestamp::now(),
        command: cx.req.command_line(),
        request: cx.req.clone(),
        kubetac: Software {
            version: env!("CARGO_PKG_VERSION").into(),
        },
        cluster,
        gatherers: data
            .gatherers
            .iter()
            .zip(&tallies)
            .map(|(g, t)| {
                (
                    g.name.clone(),
                    GathererRecord {
                        state: g.state.clone(),
                        detail: g.detail.clone(),
                        counts: t.counts(),
                        files: g.files,
                        bytes: g.bytes,
                        duration_ms: g.duration_ms,
                        errors: g.errors.clone(),
                    },
                )
            })
            .collect(),
        redactions: data.redactions.iter().cloned().collect(),
        files,
    };
    store::write_atomic(
        &dir.join(manifest::FILE),
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    let path = store.finish(id)?;
    Ok(Created {
        id: id.to_string(),
        path,
        manifest,
    })
}

fn set(states: &Mutex<Vec<GState>>, k: Kind, f: impl FnOnce(&mut GState)) {
    if let Some(s) = states.lock().unwrap().iter_mut().find(|s| s.kind == k) {
        f(s);
    }
}

fn snapshot(
    states: &Mutex<Vec<GState>>,
    gatherers: &[Box<dyn gather::Gatherer>],
    tallies: &[Tally],
) -> Vec<GState> {
    let mut s = states.lock().unwrap().clone();
    for (g, t) in gatherers.iter().zip(tallies) {
        if let Some(st) = s.iter_mut().find(|x| x.kind == g.kind()) {
            st.progress = t.progress();
            st.done = t.done.load(std::sync::atomic::Ordering::Relaxed);
            st.total = t.total.load(std::sync::atomic::Ordering::Relaxed);
            if st.state == State::InProgress {
                st.errors = t.errors().len();
            }
        }
    }
    s
}

async fn all_namespaces(cl: &Cluster) -> anyhow::Result<Vec<String>> {
    let api: Api<Namespace> = Api::all(cl.client.clone());
    let mut out = Vec::new();
    let mut pages =
        std::pin::pin!(cl.list_pages(api, ListParams::default(), "listing namespaces".into()));
    while let Some(p) = pages.next().await {
        out.extend(p?.items.into_iter().filter_map(|n| n.metadata.name));
    }
    Ok(out)
}

fn count_files(dir: &std::path::Path) -> u64 {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => n += 1,
                _ => {}
            }
        }
    }
    n
}

/// The triage of the filter's pods, as the report lists them.
async fn unhealthy(cl: &Cluster, cx: &Ctx) -> anyhow::Result<Vec<UnhealthyPod>> {
    let scopes: Vec<Scope> = if cx.req.namespaces.is_empty() {
        vec![Scope::All]
    } else {
        cx.req
            .namespaces
            .iter()
            .cloned()
            .map(Scope::Namespace)
            .collect()
    };
    let mut out = Vec::new();
    for s in scopes {
        let r = crate::inspect::triage::run(cl, &s, None).await?;
        for f in r.unhealthy {
            if !cx.pod_wanted(&f.namespace, &f.pod) {
                continue;
            }
            out.push(UnhealthyPod {
                explanation: cx.redact.line(&f.explanation).into_owned(),
                next: Some(f.command.clone()),
                namespace: f.namespace,
                pod: f.pod,
                ready: f.ready,
                status: f.status,
                restarts: f.restarts,
            });
        }
    }
    Ok(out)
}

/// Time order; a restart seen both as a termination (exact time, exit
/// code) and as a restart counter step (scrape time) is shown once.
fn tidy_timeline(d: &mut ReportData) {
    let exact: Vec<(String, String, Timestamp)> = d
        .timeline
        .iter()
        .filter(|e| e.kind == TimelineKind::Restart && e.text.contains("terminated"))
        .map(|e| (e.namespace.clone(), e.object.clone(), e.time))
        .collect();
    d.timeline.retain(|e| {
        !(e.kind == TimelineKind::Restart
            && !e.text.contains("terminated")
            && exact.iter().any(|(ns, o, t)| {
                *ns == e.namespace
                    && *o == e.object
                    && (e.time.duration_since(*t).as_secs()).abs() <= 120
            }))
    });
    d.timeline.sort_by_key(|a| (a.time, a.kind));
}

/// Plots for the pods that matter most: the unhealthy ones, then the
/// biggest by memory; a page of thousands of plots helps nobody.
const MAX_PLOTS: usize = 60;

fn pick_series(d: &mut ReportData) {
    let unhealthy: Vec<(String, String)> = d
        .unhealthy
        .iter()
        .map(|u| (u.namespace.clone(), u.pod.clone()))
        .collect();
    let peak = |s: &report::PodSeries| s.memory.iter().map(|p| p.1).fold(0.0, f64::max);
    d.series.sort_by(|a, b| {
        let ua = unhealthy.contains(&(a.namespace.clone(), a.pod.clone()));
        let ub = unhealthy.contains(&(b.namespace.clone(), b.pod.clone()));
        ub.cmp(&ua)
            .then(peak(b).total_cmp(&peak(a)))
            .then((&a.namespace, &a.pod).cmp(&(&b.namespace, &b.pod)))
    });
    d.series.truncate(MAX_PLOTS);
}
