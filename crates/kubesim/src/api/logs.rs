//! `GET pods/{name}/log`: the API server's validation and messages, then the
//! kubelet's choice of container instance, then the node's CRI log file —
//! so the API and the files on the simulated node always agree.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use futures::StreamExt;
use serde_json::Value;

use super::{ApiState, Params, status};
use crate::node::crilog::LogOptions;
use crate::resources::index_of;

/// Which instance of a container the kubelet reads (its restart number), the
/// way kubelet's validateContainerLogStatus picks it.
pub(crate) fn pick_instance(pod: &Value, container: &str, previous: bool) -> Result<u32, String> {
    let pod_name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let statuses = [
        "containerStatuses",
        "initContainerStatuses",
        "ephemeralContainerStatuses",
    ]
    .iter()
    .filter_map(|k| {
        pod.pointer(&format!("/status/{k}"))
            .and_then(Value::as_array)
    })
    .flatten();
    let Some(cs) = statuses
        .into_iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
    else {
        return Err(format!(
            "container \"{container}\" in pod \"{pod_name}\" is not available"
        ));
    };
    let n = cs.get("restartCount").and_then(Value::as_u64).unwrap_or(0) as u32;
    let state = cs.get("state").cloned().unwrap_or(Value::Null);
    let last_terminated = cs.pointer("/lastState/terminated").filter(|t| {
        t.get("containerID")
            .and_then(Value::as_str)
            .is_some_and(|i| !i.is_empty())
    });
    let running = state.get("running").is_some();
    let terminated = state.get("terminated");
    if previous {
        if last_terminated.is_none() {
            return Err(format!(
                "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
            ));
        }
        // While waiting after a crash, lastState is the instance that just
        // died and still holds the current restart number.
        return Ok(if running || terminated.is_some() {
            n.saturating_sub(1)
        } else {
            n
        });
    }
    if running {
        return Ok(n);
    }
    if let Some(t) = terminated {
        if t.get("containerID")
            .and_then(Value::as_str)
            .is_some_and(|i| !i.is_empty())
            || last_terminated.is_some()
        {
            return Ok(n);
        }
        return Err(format!(
            "container \"{container}\" in pod \"{pod_name}\" is terminated"
        ));
    }
    if last_terminated.is_some() {
        return Ok(n);
    }
    let reason = state
        .pointer("/waiting/reason")
        .and_then(Value::as_str)
        .unwrap_or("ContainerCreating");
    Err(match reason {
        "ErrImagePull" => format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: image can't be pulled"
        ),
        "ImagePullBackOff" => format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: trying and failing to pull image"
        ),
        r => format!("container \"{container}\" in pod \"{pod_name}\" is waiting to start: {r}"),
    })
}

/// ValidatePodLogOptions, as the 422 `errors.NewInvalid` makes of it: every
/// error in the message and as a cause.
fn validate_log_options(
    name: &str,
    since_seconds: Option<i64>,
    since_time: bool,
    tail_lines: Option<i64>,
    limit_bytes: Option<i64>,
) -> Result<(), Response> {
    // (field, reason, body)
    let mut errs: Vec<(&str, &str, String)> = Vec::new();
    if let Some(t) = tail_lines.filter(|t| *t < 0) {
        errs.push((
            "tailLines",
            "FieldValueInvalid",
            format!("Invalid value: {t}: must be greater than or equal to 0"),
        ));
    }
    if let Some(l) = limit_bytes.filter(|l| *l < 1) {
        errs.push((
            "limitBytes",
            "FieldValueInvalid",
            format!("Invalid value: {l}: must be greater than 0"),
        ));
    }
    match since_seconds {
        Some(_) if since_time => errs.push((
            "[]",
            "FieldValueForbidden",
            "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified".into(),
        )),
        Some(s) if s < 1 => errs.push((
            "sinceSeconds",
            "FieldValueInvalid",
            format!("Invalid value: {s}: must be greater than 0"),
        )),
        _ => {}
    }
    if errs.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = errs.iter().map(|(f, _, b)| format!("{f}: {b}")).collect();
    let agg = if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("[{}]", parts.join(", "))
    };
    let causes: Vec<Value> = errs
        .iter()
        .map(|(f, r, b)| serde_json::json!({"reason": r, "message": b, "field": f}))
        .collect();
    Err(status::status(
        422,
        "Invalid",
        &format!("PodLogOptions \"{name}\" is invalid: {agg}"),
        Some(serde_json::json!({"name": name, "kind": "PodLogOptions", "causes": causes})),
    ))
}

fn container_names(pod: &Value, key: &str) -> Vec<String> {
    pod.pointer(&format!("/spec/{key}"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) async fn pod_log(st: &Arc<ApiState>, ns: &str, name: &str, params: &Params) -> Response {
    // The query is decoded (400 on a malformed value), then validated (422),
    // and only then is the pod looked up, as the log REST handler does.
    let follow = super::query_bool(params, "follow");
    let previous = super::query_bool(params, "previous");
    let timestamps = super::query_bool(params, "timestamps");
    let (since_seconds, tail_lines, limit_bytes) = match (
        super::query_int(params, "sinceSeconds"),
        super::query_int(params, "tailLines"),
        super::query_int(params, "limitBytes"),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let since_time = match params.get("sinceTime").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<jiff::Timestamp>() {
            Ok(t) => Some(t),
            Err(_) => {
                return status::bad_request(&format!(
                    "sinceTime: Invalid value: \"{s}\": parsing time \"{s}\" as RFC3339 failed"
                ));
            }
        },
    };
    if let Err(r) = validate_log_options(
        name,
        since_seconds,
        since_time.is_some(),
        tail_lines,
        limit_bytes,
    ) {
        return r;
    }
    let pods = index_of("pods");
    let Some(obj) = st.store.get(pods, ns, name) else {
        return status::not_found(&crate::resources::RESOURCES[pods], name);
    };
    let pod = obj.value();

    let containers = container_names(&pod, "containers");
    let inits = container_names(&pod, "initContainers");
    let ephemeral = container_names(&pod, "ephemeralContainers");
    let container = match params.get("container").filter(|c| !c.is_empty()) {
        Some(c) => c.clone(),
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            let mut msg = format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !inits.is_empty() {
                msg.push_str(&format!(
                    " or one of the init containers: [{}]",
                    inits.join(" ")
                ));
            }
            return status::bad_request(&msg);
        }
    };
    if !containers.contains(&container)
        && !inits.contains(&container)
        && !ephemeral.contains(&container)
    {
        return status::bad_request(&format!(
            "container {container} is not valid for pod {name}"
        ));
    }
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let instance = match pick_instance(&pod, &container, previous) {
        Ok(i) => i,
        Err(msg) => return status::bad_request(&msg),
    };
    let uid = pod
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let log = match st.kubelet.container_log(ns, name, &uid, &container, &node) {
        Ok(l) => l,
        Err(e) => {
            return status::status(
                500,
                "InternalError",
                &format!("Internal error occurred: reading the log of {name}/{container}: {e}"),
                None,
            );
        }
    };
    let since = since_time.or_else(|| {
        since_seconds.map(|s| jiff::Timestamp::now() - jiff::SignedDuration::from_secs(s))
    });
    let opts = LogOptions {
        since,
        tail_lines: tail_lines.map(|t| t as u64),
        limit_bytes: limit_bytes.map(|l| l as u64),
        timestamps,
    };
    // A follow on an instance that is no longer running just returns what
    // it wrote, as kubelet does.
    let running = pod_instance_running(&pod, &container) && !previous;
    if !follow || !running {
        return match log.read(instance, &opts) {
            Ok(b) => text(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => text(Vec::new()),
            Err(e) => status::status(
                500,
                "InternalError",
                &format!("Internal error occurred: {e}"),
                None,
            ),
        };
    }
    let stream = log.follow(instance, opts);
    let shutdown = st.shutdown.clone();
    let cut_lines = st.faults.cut_lines;
    let cut_after = st.faults.cut_after;
    let body = async_stream::stream! {
        let mut stream = std::pin::pin!(stream);
        let mut lines = 0u64;
        let mut cut_pending = false;
        let deadline = cut_after.map(|d| tokio::time::Instant::now() + d);
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => {
                    yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected cut"));
                    break;
                }
                n = stream.next() => n,
            };
            let Some(chunk) = next else { break };
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => { yield Err(e); break; }
            };
            let Some(limit) = cut_lines else {
                yield Ok(chunk);
                continue;
            };
            // Cut after `limit` lines, in the middle of the next one, the
            // way a dropped connection truncates a stream. When the limit
            // falls at the end of a chunk, the cut lands in the next chunk.
            let cut_at = if cut_pending {
                Some(half_line(&chunk))
            } else {
                let mut at = None;
                for (i, b) in chunk.iter().enumerate() {
                    if *b == b'\n' {
                        lines += 1;
                        if lines == limit {
                            let rest = &chunk[i + 1..];
                            if rest.is_empty() {
                                cut_pending = true;
                            } else {
                                at = Some(i + 1 + half_line(rest));
                            }
                            break;
                        }
                    }
                }
                at
            };
            match cut_at {
                Some(end) => {
                    yield Ok(chunk.slice(..end));
                    // Let the bytes reach the client before the reset: an
                    // HTTP/2 reset discards what is still queued, and the
                    // client would see no line at all.
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected cut"));
                    break;
                }
                None => yield Ok(chunk),
            }
        }
    };
    super::stream_response("text/plain", body)
}

/// How many bytes of `b` make half of its first line (at least one byte of a
/// non-empty line).
fn half_line(b: &[u8]) -> usize {
    let len = b.iter().position(|c| *c == b'\n').unwrap_or(b.len());
    len.div_ceil(2)
}

fn pod_instance_running(pod: &Value, container: &str) -> bool {
    [
        "containerStatuses",
        "initContainerStatuses",
        "ephemeralContainerStatuses",
    ]
    .iter()
    .filter_map(|k| {
        pod.pointer(&format!("/status/{k}"))
            .and_then(Value::as_array)
    })
    .flatten()
    .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
    .is_some_and(|c| c.pointer("/state/running").is_some())
}

fn text(b: Vec<u8>) -> Response {
    let mut r = Response::new(axum::body::Body::from(b));
    *r.status_mut() = StatusCode::OK;
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/plain"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(state: Value, last: Value, restarts: u32) -> Value {
        json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [{"name": "c", "restartCount": restarts, "state": state, "lastState": last}]}})
    }

    #[test]
    fn kubelet_instance_choice() {
        let term = json!({"terminated": {"exitCode": 2, "containerID": "containerd://x"}});
        let crashloop = pod(
            json!({"waiting": {"reason": "CrashLoopBackOff"}}),
            term.clone(),
            5,
        );
        assert_eq!(pick_instance(&crashloop, "c", false), Ok(5));
        assert_eq!(pick_instance(&crashloop, "c", true), Ok(5));
        let restarted = pod(json!({"running": {}}), term, 6);
        assert_eq!(pick_instance(&restarted, "c", false), Ok(6));
        assert_eq!(pick_instance(&restarted, "c", true), Ok(5));
        let fresh = pod(json!({"running": {}}), json!({}), 0);
        assert_eq!(
            pick_instance(&fresh, "c", true),
            Err("previous terminated container \"c\" in pod \"p\" not found".into())
        );
        let creating = pod(
            json!({"waiting": {"reason": "ContainerCreating"}}),
            json!({}),
            0,
        );
        assert!(
            pick_instance(&creating, "c", false)
                .unwrap_err()
                .contains("is waiting to start: ContainerCreating")
        );
        let evicted =
            json!({"metadata": {"name": "p"}, "status": {"phase": "Failed", "reason": "Evicted"}});
        assert_eq!(
            pick_instance(&evicted, "c", false),
            Err("container \"c\" in pod \"p\" is not available".into())
        );
    }
}
