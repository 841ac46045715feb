//! Node access: what is only on the nodes — core dumps (with the pod they
//! most likely came from), the whole log history of a container (rotated
//! and gzipped files the API does not serve) and the node's `/var/log`.
//! Everything goes through the API server: the kubelet's own log handler
//! via the node proxy, and the kubetac agent via the pod proxy. No port is
//! opened to the operator's machine.

pub mod history;

use std::collections::BTreeMap;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde::Serialize;

use crate::agent::attribution::{Attribution, Candidate, attribute};
use crate::agent::coredump::CoreInfo;
use crate::cluster::{AccessError, Cluster};

/// How agents are found.
pub const AGENT_SELECTOR: &str = "app.kubernetes.io/name=kubetac-agent";
pub const AGENT_PORT: u16 = 9123;

/// One running agent pod.
#[derive(Debug, Clone)]
pub struct Agent {
    pub namespace: String,
    pub pod: String,
    pub node: String,
}

impl Agent {
    pub fn proxy_path(&self, rest: &str) -> String {
        format!(
            "/api/v1/namespaces/{}/pods/{}:{AGENT_PORT}/proxy/{}",
            self.namespace,
            self.pod,
            rest.trim_start_matches('/')
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// No agent pods found: nothing to ask about cores.
    #[error(
        "no kubetac agent is running (no Running pod with label {AGENT_SELECTOR} in any namespace): deploy it with `kubectl apply -k deploy/agent/`"
    )]
    NoAgent,
    /// The node has no agent.
    #[error("no kubetac agent runs on node {0} (agents run on: {1})")]
    NoAgentOnNode(String, String),
    #[error(transparent)]
    Access(#[from] AccessError),
}

/// The running agents, by node.
pub async fn agents(cl: &Cluster) -> Result<BTreeMap<String, Agent>, NodeError> {
    let api: Api<Pod> = Api::all(cl.client.clone());
    let lp = ListParams::default().labels(AGENT_SELECTOR);
    let list = match cl.call("finding kubetac agents", api.list(&lp)).await {
        Ok(l) => l,
        Err(AccessError::Forbidden(m)) => {
            return Err(NodeError::Access(AccessError::Forbidden(format!(
                "{m}: finding the kubetac agents needs `list pods` in the agent's namespace"
            ))));
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = BTreeMap::new();
    for p in list.items {
        let running = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
        let node = p.spec.as_ref().and_then(|s| s.node_name.clone());
        if let (true, Some(node), Some(ns), Some(pod)) = (
            running,
            node,
            p.metadata.namespace.clone(),
            p.metadata.name.clone(),
        ) {
            out.insert(
                node.clone(),
                Agent {
                    namespace: ns,
                    pod,
                    node,
                },
            );
        }
    }
    if out.is_empty() {
        return Err(NodeError::NoAgent);
    }
    Ok(out)
}

/// A core with where it came from, as `kubetac cores` prints it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CoreRow {
    pub node: String,
    pub time: String,
    #[serde(flatten)]
    pub core: CoreInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
}

#[derive(Debug, Default)]
pub struct CoreQuery {
    pub namespace: Option<String>,
    pub node: Option<String>,
    pub since: Option<Timestamp>,
}

/// The containers that could have dumped a core: every container of every
/// pod, with its known termination times.
pub async fn candidates(
    cl: &Cluster,
    namespace: Option<&str>,
) -> Result<Vec<Candidate>, AccessError> {
    let api: Api<Pod> = match namespace {
        Some(ns) => Api::namespaced(cl.client.clone(), ns),
        None => Api::all(cl.client.clone()),
    };
    let mut out = Vec::new();
    let mut pages = std::pin::pin!(cl.list_pages(
        api,
        ListParams::default(),
        "listing pods for core attribution".into()
    ));
    while let Some(page) = pages.next().await {
        for p in page?.items {
            let spec = p.spec.clone().unwrap_or_default();
            let Some(node) = spec.node_name.clone() else {
                continue;
            };
            let statuses: Vec<_> = p
                .status
                .as_ref()
                .map(|s| {
                    s.container_statuses
                        .iter()
                        .flatten()
                        .chain(s.init_container_statuses.iter().flatten())
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            for c in spec
                .containers
                .iter()
                .chain(spec.init_containers.iter().flatten())
            {
                let st = statuses.iter().find(|s| s.name == c.name);
                let mut terminations = Vec::new();
                if let Some(st) = st {
                    for t in [
                        st.last_state.as_ref().and_then(|l| l.terminated.as_ref()),
                        st.state.as_ref().and_then(|l| l.terminated.as_ref()),
                    ]
                    .into_iter()
                    .flatten()
                    {
                        if let Some(f) = &t.finished_at {
                            terminations.push(f.0);
                        }
                    }
                }
                let mut command = c.command.clone().unwrap_or_default();
                command.extend(c.args.clone().unwrap_or_default());
                out.push(Candidate {
                    namespace: p.metadata.namespace.clone().unwrap_or_default(),
                    pod: p.metadata.name.clone().unwrap_or_default(),
                    container: c.name.clone(),
                    node: node.clone(),
                    image: c.image.clone().unwrap_or_default(),
                    command,
                    terminations,
                });
            }
        }
    }
    Ok(out)
}

/// Every core on every node (or one), attributed; nodes whose agent does
/// not answer are reported in the second list, not fatal.
pub async fn list_cores(
    cl: &Cluster,
    q: &CoreQuery,
) -> Result<(Vec<CoreRow>, Vec<String>), NodeError> {
    let agents = agents(cl).await?;
    let chosen: Vec<Agent> = match &q.node {
        Some(n) => vec![agents.get(n).cloned().ok_or_else(|| {
            NodeError::NoAgentOnNode(
                n.clone(),
                agents.keys().cloned().collect::<Vec<_>>().join(", "),
            )
        })?],
        None => agents.values().cloned().collect(),
    };
    let results: Vec<(Agent, Result<Vec<CoreInfo>, String>)> = futures::stream::iter(chosen)
        .map(|a| async move {
            let r = cl
                .get_raw(
                    &a.proxy_path("v1/cores"),
                    &format!("asking the agent on {} for cores", a.node),
                )
                .await
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    serde_json::from_slice::<serde_json::Value>(&b).map_err(|e| {
                        format!(
                            "the agent on {} answered something else than its core list: {e}",
                            a.node
                        )
                    })
                })
                .and_then(|v| {
                    serde_json::from_value::<Vec<CoreInfo>>(v["cores"].clone())
                        .map_err(|e| e.to_string())
                });
            (a, r)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let cands = candidates(cl, q.namespace.as_deref()).await?;
    let tolerance = jiff::SignedDuration::from_secs(120);
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for (agent, r) in results {
        match r {
            Err(e) => failed.push(format!("node {}: {e}", agent.node)),
            Ok(cores) => {
                for core in cores {
                    let Ok(t) = Timestamp::from_microsecond(core.time_usec) else {
                        continue;
                    };
                    if q.since.is_some_and(|s| t < s) {
                        continue;
                    }
                    let attribution = attribute(&core, &agent.node, &cands, tolerance);
                    if q.namespace.is_some() && attribution.is_none() {
                        continue;
                    }
                    rows.push(CoreRow {
                        node: agent.node.clone(),
                        time: t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        core,
                        attribution,
                    });
                }
            }
        }
    }
    rows.sort_by(|a, b| (a.core.time_usec, &a.node).cmp(&(b.core.time_usec, &b.node)));
    Ok((rows, failed))
}

/// Streams one core file from its node's agent into `out`; returns bytes.
pub async fn download_core(
    cl: &Cluster,
    node: &str,
    file: &str,
    out: &mut (dyn tokio::io::AsyncWrite + Unpin + Send),
) -> Result<u64, anyhow::Error> {
    use tokio::io::AsyncWriteExt;
    use tokio_util::compat::FuturesAsyncReadCompatExt;
    let agents = agents(cl).await?;
    let a = agents.get(node).ok_or_else(|| {
        NodeError::NoAgentOnNode(
            node.to_string(),
            agents.keys().cloned().collect::<Vec<_>>().join(", "),
        )
    })?;
    if file.contains('/') || file.starts_with('.') {
        anyhow::bail!("{file:?} is not a core file name (see `kubetac cores --node {node}`)");
    }
    let stream = cl
        .get_raw_stream(
            &a.proxy_path(&format!("v1/cores/{file}")),
            &format!("downloading {file} from {node}"),
        )
        .await
        .map_err(|e| match e {
            AccessError::NotFound(_) => {
                anyhow::anyhow!("no core {file} on node {node} (see `kubetac cores --node {node}`)")
            }
            other => other.into(),
        })?;
    let mut reader = stream.compat();
    let n = tokio::io::copy(&mut reader, out)
        .await
        .map_err(|e| anyhow::anyhow!("downloading {file} from {node}: {e}"))?;
    out.flush().await?;
    Ok(n)
}

/// A node's /var/log listing or one file, through the kubelet's log handler,
/// falling back to the agent when the node proxy is forbidden.
pub async fn node_log(cl: &Cluster, node: &str, file: Option<&str>) -> anyhow::Result<NodeLog> {
    let rel = file.unwrap_or("").trim_start_matches('/');
    if rel.split('/').any(|s| s == "..") {
        anyhow::bail!("{rel:?}: paths must stay under /var/log");
    }
    let kubelet_path = format!("/api/v1/nodes/{node}/proxy/logs/{rel}");
    match cl
        .get_raw(&kubelet_path, &format!("reading /var/log/{rel} on {node}"))
        .await
    {
        Ok(b) => {
            let text = String::from_utf8_lossy(&b).into_owned();
            if text.trim_start().starts_with("<!doctype html>") || text.contains("<pre>\n<a href=")
            {
                return Ok(NodeLog::Listing(parse_listing(&text)));
            }
            Ok(NodeLog::File(b))
        }
        Err(AccessError::Forbidden(why)) => {
            let agents = match agents(cl).await {
                Ok(a) => a,
                Err(e) => anyhow::bail!(
                    "reading node logs needs `get` on nodes/proxy ({why}), or the kubetac agent with `get` on pods/proxy ({e})"
                ),
            };
            let Some(a) = agents.get(node) else {
                anyhow::bail!(
                    "reading node logs needs `get` on nodes/proxy ({why}); no kubetac agent runs on {node} either"
                );
            };
            let b = cl
                .get_raw(&a.proxy_path(&format!("v1/logs/{rel}")), &format!("reading /var/log/{rel} on {node} through the agent"))
                .await
                .map_err(|e| match e {
                    AccessError::Forbidden(m) => anyhow::anyhow!("reading node logs needs `get` on nodes/proxy or on pods/proxy (for the kubetac agent); both were refused: {m}"),
                    other => other.into(),
                })?;
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b)
                && let Some(entries) = v["entries"].as_array()
            {
                return Ok(NodeLog::Listing(
                    entries
                        .iter()
                        .filter_map(|e| {
                            let n = e["name"].as_str()?;
                            Some(if e["dir"].as_bool() == Some(true) {
                                format!("{n}/")
                            } else {
                                n.to_string()
                            })
                        })
                        .collect(),
                ));
            }
            Ok(NodeLog::File(b))
        }
        Err(AccessError::NotFound(_)) => anyhow::bail!("no /var/log/{rel} on node {node}"),
        Err(e) => Err(e.into()),
    }
}

pub enum NodeLog {
    Listing(Vec<String>),
    File(Vec<u8>),
}

/// The names in a Go http.FileServer listing.
pub fn parse_listing(html: &str) -> Vec<String> {
    html.lines()
        .filter_map(|l| {
            let start = l.find("<a href=\"")? + 9;
            let end = l[start..].find('"')? + start;
            Some(
                l[start..end]
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&#34;", "\""),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings() {
        let html = "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n<a href=\"containers/\">containers/</a>\n<a href=\"syslog\">syslog</a>\n</pre>\n";
        assert_eq!(parse_listing(html), ["containers/", "syslog"]);
    }

    #[test]
    fn agent_paths() {
        let a = Agent {
            namespace: "kubetac".into(),
            pod: "kubetac-agent-x".into(),
            node: "w".into(),
        };
        assert_eq!(
            a.proxy_path("v1/cores"),
            "/api/v1/namespaces/kubetac/pods/kubetac-agent-x:9123/proxy/v1/cores"
        );
    }
}
