//! Cores: the core dumps whose crash time lies in the window, from every
//! node's kubetac agent, each with its metadata and the pod it most likely
//! came from (`cores/cores.json`), the files under `cores/<node>/`.

use futures::StreamExt;
use futures::future::BoxFuture;
use jiff::Timestamp;

use super::{Ctx, GatherError, GatherResult, Gatherer, Tally, safe_name};
use crate::debugpkg::report::{TimelineEntry, TimelineKind};
use crate::debugpkg::request::Kind;
use crate::nodes::{self, CoreQuery, CoreRow, NodeError};

pub struct Cores;

impl Gatherer for Cores {
    fn kind(&self) -> Kind {
        Kind::Core
    }

    fn gather<'a>(&'a self, cx: &'a Ctx, t: &'a Tally) -> BoxFuture<'a, GatherResult> {
        Box::pin(run(cx, t))
    }
}

/// Whether a core belongs in the package: in the window, and, when there is
/// a filter, attributed to a pod of the filter. A core nobody can place is
/// kept only without a filter (it may be the node's own crash).
pub fn wanted(cx: &Ctx, row: &CoreRow) -> bool {
    let Ok(t) = Timestamp::from_microsecond(row.core.time_usec) else {
        return false;
    };
    if !cx.req.in_window(t) {
        return false;
    }
    let filtered = !cx.req.namespaces.is_empty() || cx.req.pod_name.is_some();
    match &row.attribution {
        Some(a) => cx.pod_wanted(&a.namespace, &a.pod),
        None => !filtered,
    }
}

async fn run(cx: &Ctx, t: &Tally) -> GatherResult {
    t.set_progress("asking the node agents");
    let q = CoreQuery {
        namespace: None,
        node: None,
        since: Some(cx.req.from),
    };
    let (rows, failed) = match nodes::list_cores(&cx.cl, &q).await {
        Ok(r) => r,
        Err(NodeError::NoAgent) => {
            return Err(GatherError::Skipped(
                "no kubetac agent runs in the cluster, so cores cannot be read: deploy it with `kubectl apply -k deploy/agent/`".into(),
            ));
        }
        Err(e) => return Err(GatherError::Failed(e.to_string())),
    };
    for f in &failed {
        t.error(format!("cores not listed: {f}"));
    }
    let rows: Vec<CoreRow> = rows.into_iter().filter(|r| wanted(cx, r)).collect();
    t.set_total(rows.len() as u64);
    t.add("cores", 0);
    let out = cx.out(Kind::Core);
    std::fs::create_dir_all(&out).map_err(|e| GatherError::Failed(e.to_string()))?;
    let fetched: Vec<(CoreRow, Result<u64, String>)> = futures::stream::iter(rows)
        .map(|row| {
            let dir = out.join(safe_name(&row.node));
            async move {
                let r = async {
                    tokio::fs::create_dir_all(&dir)
                        .await
                        .map_err(|e| e.to_string())?;
                    let path = dir.join(safe_name(&row.core.file));
                    let mut f = tokio::fs::File::create(&path)
                        .await
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let n = nodes::download_core(&cx.cl, &row.node, &row.core.file, &mut f)
                        .await
                        .map_err(|e| format!("{e:#}"));
                    if n.is_err() {
                        let _ = tokio::fs::remove_file(&path).await;
                    }
                    n
                }
                .await;
                t.step();
                (row, r)
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut listed = Vec::new();
    let mut bytes = 0;
    let mut timeline = Vec::new();
    for (row, r) in fetched {
        match r {
            Ok(n) => {
                bytes += n;
                t.add("cores", 1);
                t.add("bytes", n);
                if let Ok(at) = Timestamp::from_microsecond(row.core.time_usec) {
                    let (ns, object) = match &row.attribution {
                        Some(a) => (a.namespace.clone(), a.pod.clone()),
                        None => (String::new(), row.node.clone()),
                    };
                    timeline.push(TimelineEntry {
                        time: at,
                        kind: TimelineKind::Core,
                        warning: true,
                        namespace: ns,
                        object,
                        text: format!(
                            "core dump of {} (signal {}) on {}: cores/{}/{}",
                            row.core.comm,
                            row.core
                                .signal
                                .map(|s| s.to_string())
                                .unwrap_or_else(|| "?".into()),
                            row.node,
                            row.node,
                            row.core.file
                        ),
                    });
                }
                listed.push(row);
            }
            Err(e) => t.error(format!("core {} on {}: {e}", row.core.file, row.node)),
        }
    }
    listed.sort_by(|a, b| (a.core.time_usec, &a.node).cmp(&(b.core.time_usec, &b.node)));
    let json =
        serde_json::to_vec_pretty(&listed).map_err(|e| GatherError::Failed(e.to_string()))?;
    std::fs::write(out.join("cores.json"), json).map_err(|e| GatherError::Failed(e.to_string()))?;
    cx.timeline(timeline);
    Ok(format!(
        "{} core dump{} ({})",
        listed.len(),
        if listed.len() == 1 { "" } else { "s" },
        crate::debugpkg::store::human_bytes(bytes)
    ))
}
