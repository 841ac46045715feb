//! The gatherers: one module each behind [`Gatherer`]. Each owns one
//! top-level directory of the package, cuts what it writes to the window
//! and the filter, records every failing item in its [`Tally`] and goes on;
//! only a gatherer that can do nothing at all fails or is skipped.

pub mod config;
pub mod cores;
pub mod logs;
pub mod metrics;
pub mod stats;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use futures::future::BoxFuture;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use super::redact::Redactor;
use super::report::{ReportData, TimelineEntry};
use super::request::{Kind, Request};
use crate::cluster::Cluster;

/// Why a gatherer produced nothing.
#[derive(Debug, Clone)]
pub enum GatherError {
    /// Nothing to gather here (no Prometheus, no agent): not a failure of
    /// the package, but said plainly.
    Skipped(String),
    Failed(String),
}

pub type GatherResult = Result<String, GatherError>;

pub trait Gatherer: Send + Sync {
    fn kind(&self) -> Kind;
    /// Gathers into `cx.out(self.kind())`; returns a one-line summary.
    fn gather<'a>(&'a self, cx: &'a Ctx, t: &'a Tally) -> BoxFuture<'a, GatherResult>;
}

/// Every gatherer, in the guide's order.
pub fn all() -> Vec<Box<dyn Gatherer>> {
    vec![
        Box::new(cores::Cores),
        Box::new(logs::Logs),
        Box::new(metrics::Metrics),
        Box::new(stats::Stats),
        Box::new(config::Config),
    ]
}

/// Counts, errors and a progress line, updated by a gatherer while it runs.
#[derive(Debug, Default)]
pub struct Tally {
    counts: Mutex<BTreeMap<String, u64>>,
    errors: Mutex<Vec<String>>,
    progress: Mutex<String>,
    pub done: AtomicU64,
    pub total: AtomicU64,
}

/// Errors kept per gatherer: enough to see the pattern, bounded however
/// many items fail.
const MAX_ERRORS: usize = 200;

impl Tally {
    pub fn add(&self, key: &str, n: u64) {
        *self
            .counts
            .lock()
            .unwrap()
            .entry(key.to_string())
            .or_default() += n;
    }

    pub fn error(&self, msg: impl Into<String>) {
        let msg = msg.into();
        tracing::debug!("{msg}");
        let mut e = self.errors.lock().unwrap();
        if e.len() < MAX_ERRORS {
            e.push(msg);
        } else if e.len() == MAX_ERRORS {
            e.push("(more errors not recorded)".into());
        }
    }

    pub fn set_progress(&self, s: impl Into<String>) {
        *self.progress.lock().unwrap() = s.into();
    }

    pub fn set_total(&self, n: u64) {
        self.total.store(n, Ordering::Relaxed);
    }

    pub fn step(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    pub fn progress(&self) -> String {
        self.progress.lock().unwrap().clone()
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap().clone()
    }

    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }
}

/// A pod in the filter, with what the gatherers need of it.
#[derive(Debug, Clone)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub node: Option<String>,
    pub containers: Vec<ContainerRef>,
}

#[derive(Debug, Clone)]
pub struct ContainerRef {
    pub name: String,
    pub restart_count: i32,
}

/// What every gatherer shares.
pub struct Ctx {
    pub cl: Cluster,
    pub req: Request,
    /// The package being written (`<id>.partial/`).
    pub dir: PathBuf,
    pub redact: Redactor,
    pub report: Mutex<ReportData>,
    /// Names the configuration archive (`<host>_configuration.tar.gz`).
    pub host: String,
    /// The namespaces looked at: the filter's, or every namespace.
    pub namespaces: Vec<String>,
    /// The pods of those namespaces that match `pod_name`.
    pub pods: Vec<PodRef>,
    /// `--prometheus URL`, else found through the API server.
    pub prometheus: Option<String>,
    pub metrics_queries: Vec<metrics::Query>,
    /// kubetac's own settings for this run, written by the config gatherer.
    pub settings: serde_json::Value,
}

impl Ctx {
    /// A gatherer's top-level directory (`cores/`, `logs/`, ...).
    pub fn out(&self, k: Kind) -> PathBuf {
        self.dir.join(match k {
            Kind::Core => "cores",
            other => other.name(),
        })
    }

    /// Scratch space removed before the package is finished.
    pub fn work(&self, k: Kind) -> PathBuf {
        self.dir.join(".work").join(k.name())
    }

    pub fn timeline(&self, entries: impl IntoIterator<Item = TimelineEntry>) {
        self.report.lock().unwrap().timeline.extend(entries);
    }

    pub fn ns_wanted(&self, ns: &str) -> bool {
        self.req.namespaces.is_empty() || self.req.namespaces.iter().any(|n| n == ns)
    }

    /// Whether a pod is in the filter (namespace and pod_name).
    pub fn pod_wanted(&self, ns: &str, pod: &str) -> bool {
        self.ns_wanted(ns) && self.req.pod_regex().is_none_or(|r| r.is_match(pod))
    }
}

/// The pods of the filter, page by page, kept compact.
pub async fn filtered_pods(
    cl: &Cluster,
    req: &Request,
) -> Result<Vec<PodRef>, crate::cluster::AccessError> {
    let re = req.pod_regex();
    let apis: Vec<(String, Api<Pod>)> = if req.namespaces.is_empty() {
        vec![("all namespaces".into(), Api::all(cl.client.clone()))]
    } else {
        req.namespaces
            .iter()
            .map(|n| (n.clone(), Api::namespaced(cl.client.clone(), n)))
            .collect()
    };
    let mut out = Vec::new();
    for (what, api) in apis {
        let mut pages = std::pin::pin!(cl.list_pages(
            api,
            ListParams::default(),
            format!("listing pods in {what}")
        ));
        while let Some(page) = pages.next().await {
            for p in page?.items {
                let name = p.metadata.name.clone().unwrap_or_default();
                if re.as_ref().is_some_and(|r| !r.is_match(&name)) {
                    continue;
                }
                let spec = p.spec.clone().unwrap_or_default();
                let st = p.status.clone().unwrap_or_default();
                let statuses: Vec<_> = st
                    .container_statuses
                    .iter()
                    .flatten()
                    .chain(st.init_container_statuses.iter().flatten())
                    .collect();
                let containers = spec
                    .init_containers
                    .iter()
                    .flatten()
                    .chain(spec.containers.iter())
                    .map(|c| ContainerRef {
                        name: c.name.clone(),
                        restart_count: statuses
                            .iter()
                            .find(|s| s.name == c.name)
                            .map(|s| s.restart_count)
                            .unwrap_or(0),
                    })
                    .collect();
                out.push(PodRef {
                    namespace: p.metadata.namespace.clone().unwrap_or_default(),
                    name,
                    uid: p.metadata.uid.clone().unwrap_or_default(),
                    node: spec.node_name.clone(),
                    containers,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    Ok(out)
}

/// Packs a directory into `<dst>` as a gzipped tar whose entries start with
/// `prefix/`, in name order, then removes the directory. Runs on a blocking
/// thread: compression is the CPU-heavy part of a package.
pub async fn tar_gz(src: PathBuf, dst: PathBuf, prefix: String) -> std::io::Result<u64> {
    tokio::task::spawn_blocking(move || {
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let f = std::fs::File::create(&dst)?;
        let gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::with_capacity(256 * 1024, f),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        tar.mode(tar::HeaderMode::Deterministic);
        tar.follow_symlinks(false);
        let mut files: Vec<PathBuf> = Vec::new();
        let mut dirs = vec![src.clone()];
        while let Some(d) = dirs.pop() {
            if !d.is_dir() {
                continue;
            }
            for e in std::fs::read_dir(&d)? {
                let e = e?;
                if e.file_type()?.is_dir() {
                    dirs.push(e.path());
                } else {
                    files.push(e.path());
                }
            }
        }
        files.sort();
        for f in &files {
            let rel = f.strip_prefix(&src).unwrap_or(f);
            tar.append_path_with_name(f, Path::new(&prefix).join(rel))?;
        }
        let gz = tar.into_inner()?;
        let mut w = gz.finish()?;
        w.flush()?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        let _ = std::fs::remove_dir_all(&src);
        Ok(std::fs::metadata(&dst)?.len())
    })
    .await
    .map_err(std::io::Error::other)?
}

/// RFC 3339 with nanoseconds, as `kubectl logs --timestamps` prints.
pub fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S.%9fZ").to_string()
}

/// A file name part that cannot escape its directory.
pub fn safe_name(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == '\0' {
                '_'
            } else {
                c
            }
        })
        .collect();
    match s.as_str() {
        "" | "." | ".." => format!("_{s}"),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_in_their_directory() {
        assert_eq!(safe_name("../x"), ".._x");
        assert_eq!(safe_name(".."), "_..");
        assert_eq!(safe_name("smf-service-n0-0"), "smf-service-n0-0");
    }

    #[tokio::test]
    async fn tarballs_are_ordered_and_prefixed() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        std::fs::create_dir_all(src.join("b")).unwrap();
        std::fs::write(src.join("b/x.log"), "x\n").unwrap();
        std::fs::write(src.join("a.log"), "a\n").unwrap();
        let dst = d.path().join("out/p.tar.gz");
        tar_gz(src.clone(), dst.clone(), "P".into()).await.unwrap();
        assert!(!src.exists());
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(
            std::fs::File::open(&dst).unwrap(),
        ));
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["P/a.log", "P/b/x.log"]);
    }
}
