//! The API server's pod proxy (`pods/{name}[:port]/proxy/...`). The
//! simulator runs no workloads, but it does run the real kubetac node agent
//! for each node when it is given one: requests for an agent pod go to the
//! agent serving that pod's node directory. Any other pod answers as an
//! unreachable pod does on a real cluster.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, header};
use axum::response::Response;
use serde_json::Value;
use tower::ServiceExt;

use super::{ApiState, status};
use crate::resources::{RESOURCES, index_of};

/// The label that marks the node agent's pods.
pub const AGENT_LABEL: (&str, &str) = ("app.kubernetes.io/name", "kubetac-agent");

/// `name`, `name:port`, `https:name:port` → (name, port).
fn split_name(s: &str) -> (&str, Option<&str>) {
    let s = s
        .strip_prefix("https:")
        .or_else(|| s.strip_prefix("http:"))
        .unwrap_or(s);
    match s.split_once(':') {
        Some((n, p)) => (n, Some(p).filter(|p| !p.is_empty())),
        None => (s, None),
    }
}

pub(super) async fn pod_proxy(
    st: &Arc<ApiState>,
    ns: &str,
    name_port: &str,
    tail: &[&str],
    headers: &HeaderMap,
    raw_query: Option<&str>,
) -> Response {
    let (name, port) = split_name(name_port);
    let pods = index_of("pods");
    let Some(obj) = st.store.get(pods, ns, name) else {
        return status::not_found(&RESOURCES[pods], name);
    };
    let pod = obj.value();
    let ip = pod
        .pointer("/status/podIP")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let port = port.unwrap_or("80");
    let running = pod.pointer("/status/phase").and_then(Value::as_str) == Some("Running");
    let is_agent = obj.labels.get(AGENT_LABEL.0).map(String::as_str) == Some(AGENT_LABEL.1);
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let agent = st
        .agents
        .get(node)
        .filter(|_| is_agent && running && !st.faults.node_down(node));
    let Some(router) = agent else {
        let msg = if !running {
            format!("pod {name} is not running")
        } else if st.faults.node_down(node) {
            format!(
                "error trying to reach service: dial tcp {ip}:{port}: connect: no route to host"
            )
        } else {
            format!(
                "error trying to reach service: dial tcp {ip}:{port}: connect: connection refused"
            )
        };
        return status::status(503, "ServiceUnavailable", &msg, None);
    };
    let mut uri = format!("/{}", tail.join("/"));
    if let Some(q) = raw_query {
        uri.push('?');
        uri.push_str(q);
    }
    let mut req = Request::builder().uri(uri);
    for h in [header::RANGE, header::ACCEPT, header::IF_RANGE] {
        if let Some(v) = headers.get(&h) {
            req = req.header(h, v);
        }
    }
    let Ok(req) = req.body(Body::empty()) else {
        return status::bad_request("malformed proxy path");
    };
    match router.clone().oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_names_with_ports() {
        assert_eq!(split_name("agent-x:9123"), ("agent-x", Some("9123")));
        assert_eq!(split_name("https:agent-x:9123"), ("agent-x", Some("9123")));
        assert_eq!(split_name("agent-x"), ("agent-x", None));
        assert_eq!(split_name("agent-x:"), ("agent-x", None));
    }
}
