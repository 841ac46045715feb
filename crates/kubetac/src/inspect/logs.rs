//! `kubetac logs`: one container's log, current or previous instance, with
//! kubectl's options and kubectl's checks (a container the pod does not
//! have is refused before asking the server).

use std::io::Write;

use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};

use crate::cluster::Cluster;

#[derive(Debug, Clone)]
pub struct LogRequest {
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
    pub previous: bool,
    pub since: Option<std::time::Duration>,
    pub since_time: Option<jiff::Timestamp>,
    pub tail: Option<i64>,
    pub timestamps: bool,
    pub follow: bool,
    pub history: bool,
}

/// The container kubectl would pick: the one asked for (checked), else the
/// `kubectl.kubernetes.io/default-container` annotation, else the first.
pub fn pick_container(pod: &Pod, asked: Option<&str>) -> Result<String, String> {
    let spec = pod.spec.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let all: Vec<String> = spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter())
        .map(|c| c.name.clone())
        .chain(
            spec.ephemeral_containers
                .iter()
                .flatten()
                .map(|c| c.name.clone()),
        )
        .collect();
    if let Some(c) = asked {
        return if all.iter().any(|n| n == c) {
            Ok(c.to_string())
        } else {
            Err(format!("container {c} is not valid for pod {name}"))
        };
    }
    if let Some(d) = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
        .filter(|d| spec.containers.iter().any(|c| &c.name == *d))
    {
        return Ok(d.clone());
    }
    spec.containers
        .first()
        .map(|c| c.name.clone())
        .ok_or_else(|| format!("pod {name} has no containers"))
}

pub async fn run(cl: &Cluster, req: &LogRequest) -> anyhow::Result<()> {
    let pod = super::describe::fetch_pod(cl, &req.namespace, &req.pod).await?;
    let container = pick_container(&pod, req.container.as_deref()).map_err(anyhow::Error::msg)?;
    let spec = pod.spec.clone().unwrap_or_default();
    if req.container.is_none() && spec.containers.len() > 1 {
        let names: Vec<&str> = spec.containers.iter().map(|c| c.name.as_str()).collect();
        eprintln!(
            "Defaulted container \"{container}\" out of: {}",
            names.join(", ")
        );
    }
    if req.history {
        return history(cl, req, &pod, &container).await;
    }
    let lp = LogParams {
        container: Some(container.clone()),
        follow: req.follow,
        previous: req.previous,
        since_seconds: req.since.map(|d| d.as_secs().max(1) as i64),
        since_time: req.since_time.map(|t| {
            // metav1.Time travels to the second.
            t.round(
                jiff::TimestampRound::new()
                    .smallest(jiff::Unit::Second)
                    .mode(jiff::RoundMode::Trunc),
            )
            .unwrap_or(t)
        }),
        tail_lines: req.tail,
        timestamps: req.timestamps,
        ..LogParams::default()
    };
    let api: Api<Pod> = Api::namespaced(cl.client.clone(), &req.namespace);
    let what = format!("reading the log of {}/{container}", req.pod);
    let mut out = std::io::stdout().lock();
    if !req.follow {
        let text = cl.call(&what, api.logs(&req.pod, &lp)).await?;
        out.write_all(text.as_bytes())?;
        out.flush()?;
        return Ok(());
    }
    let stream = cl.call(&what, api.log_stream(&req.pod, &lp)).await?;
    let mut lines = std::pin::pin!(stream.lines());
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            next = lines.try_next() => match next {
                Ok(Some(l)) => {
                    writeln!(out, "{l}")?;
                    out.flush()?;
                }
                Ok(None) => break,
                Err(e) => return Err(anyhow::anyhow!("the log stream of {}/{container} broke: {e}", req.pod)),
            }
        }
    }
    Ok(())
}

async fn history(cl: &Cluster, req: &LogRequest, pod: &Pod, container: &str) -> anyhow::Result<()> {
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
        anyhow::bail!(
            "pod {} is not on a node yet: it has no log history",
            req.pod
        );
    };
    let since = req.since_time.or_else(|| {
        req.since
            .map(|d| jiff::Timestamp::now() - jiff::SignedDuration::try_from(d).unwrap_or_default())
    });
    let hr = crate::nodes::history::HistoryRequest {
        namespace: &req.namespace,
        pod: &req.pod,
        pod_uid: &uid,
        node: &node,
        container,
        since,
        tail: req.tail.map(|t| t.max(0) as usize),
    };
    let lines = crate::nodes::history::read(cl, &hr).await?;
    let mut out = std::io::stdout().lock();
    for l in lines {
        if req.timestamps {
            writeln!(out, "{} {}", l.time, l.text)?;
        } else {
            writeln!(out, "{}", l.text)?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_choice_like_kubectl() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "ops", "annotations": {"kubectl.kubernetes.io/default-container": "confd"}},
            "spec": {"initContainers": [{"name": "init"}], "containers": [{"name": "api"}, {"name": "confd"}]}
        }))
        .unwrap();
        assert_eq!(pick_container(&pod, None), Ok("confd".into()));
        assert_eq!(pick_container(&pod, Some("init")), Ok("init".into()));
        assert_eq!(
            pick_container(&pod, Some("nope")),
            Err("container nope is not valid for pod ops".into())
        );
        let plain: Pod = serde_json::from_value(serde_json::json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}})).unwrap();
        assert_eq!(pick_container(&plain, None), Ok("a".into()));
    }
}
