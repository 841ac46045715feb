//! kubectl-identical pod READY / STATUS / RESTARTS / AGE (and the `-o wide`
//! IP / NODE / NOMINATED NODE / READINESS GATES) computed on the client from
//! the typed `Pod`. Operators read a pod's state the way `kubectl get pods`
//! shows it ("CrashLoopBackOff", "Init:0/1", "5 (10m ago)"), so kubetac must
//! print exactly the same words: this module is a faithful port of
//! `printPod` in kubernetes `pkg/printers/internalversion/printers.go` (as
//! served to kubectl 1.32) and of apimachinery's `duration.HumanDuration`,
//! and it also decides which pods count as healthy for `pods --not-running`
//! and triage.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::{
    Container, ContainerStateTerminated, ContainerStatus, Pod, PodCondition,
};

/// One pod as `kubectl get pods -o wide` prints it, every cell already a
/// string (plus the namespace, which kubectl only shows with `-A`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRow {
    pub name: String,
    pub namespace: String,
    /// Ready containers / containers, restartable (sidecar) init containers
    /// included: "1/1".
    pub ready: String,
    /// The STATUS column: "Running", "CrashLoopBackOff", "Init:0/1", ...
    pub status: String,
    /// "0", or "5 (10m ago)" when the last restart time is known.
    pub restarts: String,
    /// Age from `metadata.creationTimestamp`, "<unknown>" when absent.
    pub age: String,
    /// The pod IP, "<none>" when it has none.
    pub ip: String,
    /// `spec.nodeName`, "<none>" when not scheduled.
    pub node: String,
    /// `status.nominatedNodeName`, "<none>" when empty.
    pub nominated_node: String,
    /// True readiness-gate conditions / readiness gates ("1/2"), or "<none>".
    pub readiness_gates: String,
}

/// Kubelet's `Pod.Status.Reason` for pods on an unreachable node
/// (`k8s.io/kubernetes/pkg/util/node.NodeUnreachablePodReason`).
const NODE_UNREACHABLE_POD_REASON: &str = "NodeLost";
/// `v1.PodReasonSchedulingGated`.
const POD_REASON_SCHEDULING_GATED: &str = "SchedulingGated";

/// Computes the row kubectl prints for `pod` at time `now` (a port of
/// upstream `printPod`; the comments name the Go code's steps).
pub fn pod_row(pod: &Pod, now: Timestamp) -> PodRow {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();

    let containers: &[Container] = spec.map(|s| s.containers.as_slice()).unwrap_or(&[]);
    let init_containers: &[Container] = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    let init_statuses: &[ContainerStatus] = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or(&[]);
    let container_statuses: &[ContainerStatus] = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    let conditions: &[PodCondition] = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    let pod_phase = str_of(status.and_then(|s| s.phase.as_ref()));
    let status_reason = str_of(status.and_then(|s| s.reason.as_ref()));

    let mut restarts: i64 = 0;
    let mut restartable_init_container_restarts: i64 = 0;
    let mut total_containers = containers.len();
    let mut ready_containers: usize = 0;
    // Go starts from the zero time; `None` plays that part.
    let mut last_restart_date: Option<Timestamp> = None;
    let mut last_restartable_init_container_restart_date: Option<Timestamp> = None;

    let mut reason = if status_reason.is_empty() {
        pod_phase.to_string()
    } else {
        status_reason.to_string()
    };

    // If the Pod carries {type:PodScheduled, reason:SchedulingGated}, the
    // reason is 'SchedulingGated'.
    if conditions.iter().any(|c| {
        c.type_ == "PodScheduled" && str_of(c.reason.as_ref()) == POD_REASON_SCHEDULING_GATED
    }) {
        reason = POD_REASON_SCHEDULING_GATED.to_string();
    }

    // Init containers by name (a later duplicate wins, as with a Go map);
    // restartable ones (sidecars) count as containers.
    let mut init_by_name: HashMap<&str, &Container> = HashMap::new();
    for c in init_containers {
        init_by_name.insert(c.name.as_str(), c);
        if is_restartable_init_container(Some(c)) {
            total_containers += 1;
        }
    }

    let mut initializing = false;
    for (i, container) in init_statuses.iter().enumerate() {
        restarts += i64::from(container.restart_count);
        if let Some(t) = last_terminated(container) {
            bump(&mut last_restart_date, t.finished_at.as_ref().map(|t| t.0));
        }
        let restartable =
            is_restartable_init_container(init_by_name.get(container.name.as_str()).copied());
        if restartable {
            restartable_init_container_restarts += i64::from(container.restart_count);
            if let Some(t) = last_terminated(container) {
                bump(
                    &mut last_restartable_init_container_restart_date,
                    t.finished_at.as_ref().map(|t| t.0),
                );
            }
        }
        let state = container.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        let waiting = state.and_then(|s| s.waiting.as_ref());
        match (terminated, waiting) {
            (Some(t), _) if t.exit_code == 0 => continue,
            _ if restartable && container.started == Some(true) => {
                if container.ready {
                    ready_containers += 1;
                }
                continue;
            }
            (Some(t), _) => {
                // Initialization failed.
                let t_reason = str_of(t.reason.as_ref());
                reason = if t_reason.is_empty() {
                    match t.signal.unwrap_or(0) {
                        0 => format!("Init:ExitCode:{}", t.exit_code),
                        signal => format!("Init:Signal:{signal}"),
                    }
                } else {
                    format!("Init:{t_reason}")
                };
                initializing = true;
            }
            (None, Some(w))
                if !str_of(w.reason.as_ref()).is_empty()
                    && str_of(w.reason.as_ref()) != "PodInitializing" =>
            {
                reason = format!("Init:{}", str_of(w.reason.as_ref()));
                initializing = true;
            }
            _ => {
                reason = format!("Init:{}/{}", i, init_containers.len());
                initializing = true;
            }
        }
        break;
    }

    if !initializing || is_pod_initialized_condition_true(conditions) {
        restarts = restartable_init_container_restarts;
        last_restart_date = last_restartable_init_container_restart_date;
        let mut has_running = false;
        for container in container_statuses.iter().rev() {
            restarts += i64::from(container.restart_count);
            if let Some(t) = last_terminated(container) {
                bump(&mut last_restart_date, t.finished_at.as_ref().map(|t| t.0));
            }
            let state = container.state.as_ref();
            let terminated = state.and_then(|s| s.terminated.as_ref());
            let waiting_reason = str_of(
                state
                    .and_then(|s| s.waiting.as_ref())
                    .and_then(|w| w.reason.as_ref()),
            );
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                let t_reason = str_of(t.reason.as_ref());
                reason = if !t_reason.is_empty() {
                    t_reason.to_string()
                } else {
                    match t.signal.unwrap_or(0) {
                        0 => format!("ExitCode:{}", t.exit_code),
                        signal => format!("Signal:{signal}"),
                    }
                };
            } else if container.ready && state.is_some_and(|s| s.running.is_some()) {
                has_running = true;
                ready_containers += 1;
            }
        }

        // Back to "Running" if at least one container still reports Running.
        if reason == "Completed" && has_running {
            reason = if has_pod_ready_condition(conditions) {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    if meta.deletion_timestamp.is_some() && status_reason == NODE_UNREACHABLE_POD_REASON {
        reason = "Unknown".to_string();
    } else if meta.deletion_timestamp.is_some() && !is_pod_phase_terminal(pod_phase) {
        reason = "Terminating".to_string();
    }

    let restarts_str = match last_restart_date {
        Some(last) if restarts != 0 => {
            format!(
                "{restarts} ({} ago)",
                human_duration(now.duration_since(last))
            )
        }
        _ => restarts.to_string(),
    };

    let age = match &meta.creation_timestamp {
        Some(t) => human_duration(now.duration_since(t.0)),
        None => "<unknown>".to_string(),
    };

    PodRow {
        name: meta.name.clone().unwrap_or_default(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        ready: format!("{ready_containers}/{total_containers}"),
        status: reason,
        restarts: restarts_str,
        age,
        ip: or_none(pod_ip(pod)),
        node: or_none(str_of(spec.and_then(|s| s.node_name.as_ref()))),
        nominated_node: or_none(str_of(status.and_then(|s| s.nominated_node_name.as_ref()))),
        readiness_gates: readiness_gates(pod, conditions),
    }
}

/// The first pod IP as the API server's printer sees it after converting
/// v1 to the internal type: `status.podIP` is authoritative, else
/// `status.podIPs[0]`.
fn pod_ip(pod: &Pod) -> &str {
    let Some(status) = pod.status.as_ref() else {
        return "";
    };
    let ip = str_of(status.pod_ip.as_ref());
    if !ip.is_empty() {
        return ip;
    }
    status
        .pod_ips
        .as_deref()
        .and_then(|ips| ips.first())
        .map(|ip| ip.ip.as_str())
        .unwrap_or("")
}

/// "<none>" or "true gates/gates": a gate counts when the first condition of
/// its type is "True".
fn readiness_gates(pod: &Pod, conditions: &[PodCondition]) -> String {
    let gates = pod
        .spec
        .as_ref()
        .and_then(|s| s.readiness_gates.as_deref())
        .unwrap_or(&[]);
    if gates.is_empty() {
        return "<none>".to_string();
    }
    let true_conditions = gates
        .iter()
        .filter(|gate| {
            conditions
                .iter()
                .find(|c| c.type_ == gate.condition_type)
                .is_some_and(|c| c.status == "True")
        })
        .count();
    format!("{true_conditions}/{}", gates.len())
}

/// `k8s.io/apimachinery/pkg/util/duration.HumanDuration`: a succinct
/// duration with ~2-3 significant figures ("6d", "7h1m", "4d18h", "9m37s").
/// Up to a second in the future counts as now ("0s"); further is
/// "<invalid>".
pub fn human_duration(d: SignedDuration) -> String {
    let seconds = d.as_secs();
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        format!("{hours}h{m}m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        format!("{}d{h}h", hours / 24)
    } else if hours < 24 * 365 * 2 {
        format!("{}d", hours / 24)
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        format!("{}y{dy}d", hours / 24 / 365)
    } else {
        format!("{}y", hours / 24 / 365)
    }
}

/// Whether a kubectl user would call this pod healthy: "Running" with every
/// container ready (READY "n/n"), or "Completed". Everything else (Pending,
/// NotReady, Terminating, CrashLoopBackOff, Evicted, Init:..., Running 0/1,
/// ...) is not.
pub fn is_healthy(row: &PodRow) -> bool {
    match row.status.as_str() {
        "Completed" => true,
        "Running" => row
            .ready
            .split_once('/')
            .is_some_and(|(ready, total)| ready == total),
        _ => false,
    }
}

fn str_of(s: Option<&String>) -> &str {
    s.map(String::as_str).unwrap_or("")
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

fn last_terminated(c: &ContainerStatus) -> Option<&ContainerStateTerminated> {
    c.last_state.as_ref().and_then(|s| s.terminated.as_ref())
}

/// `if last.Before(&t) { last = t }`, where a missing time is Go's zero time.
fn bump(last: &mut Option<Timestamp>, t: Option<Timestamp>) {
    if t.is_some_and(|t| last.is_none_or(|l| l < t)) {
        *last = t;
    }
}

/// A sidecar: an init container with `restartPolicy: Always`.
fn is_restartable_init_container(c: Option<&Container>) -> bool {
    c.and_then(|c| c.restart_policy.as_deref()) == Some("Always")
}

/// The first "Initialized" condition is "True".
fn is_pod_initialized_condition_true(conditions: &[PodCondition]) -> bool {
    conditions
        .iter()
        .find(|c| c.type_ == "Initialized")
        .is_some_and(|c| c.status == "True")
}

/// Some "Ready" condition is "True".
fn has_pod_ready_condition(conditions: &[PodCondition]) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

fn is_pod_phase_terminal(phase: &str) -> bool {
    phase == "Failed" || phase == "Succeeded"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const NOW: &str = "2026-11-29T03:24:30Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    /// A pod named `p` in `ns`, created 2026-11-28T20:23:19Z (7h1m before
    /// NOW), with `spec` and `status` merged over a one-container default.
    fn pod(spec: Value, status: Value) -> Pod {
        pod_meta(json!({}), spec, status)
    }

    fn pod_meta(meta: Value, spec: Value, status: Value) -> Pod {
        let mut m =
            json!({"name": "p", "namespace": "ns", "creationTimestamp": "2026-11-28T20:23:19Z"});
        merge(&mut m, meta);
        let mut s = json!({"containers": [{"name": "app", "image": "img"}], "nodeName": "worker2"});
        merge(&mut s, spec);
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": s, "status": status,
        }))
        .unwrap()
    }

    fn merge(base: &mut Value, over: Value) {
        if let (Value::Object(b), Value::Object(o)) = (base, over) {
            for (k, v) in o {
                b.insert(k, v);
            }
        }
    }

    fn running(name: &str, ready: bool) -> Value {
        json!({"name": name, "ready": ready, "restartCount": 0, "image": "img", "imageID": "",
               "started": true, "state": {"running": {"startedAt": "2026-11-28T20:23:25Z"}}})
    }

    fn ready_cond(status: &str) -> Value {
        json!({"type": "Ready", "status": status})
    }

    struct Case {
        name: &'static str,
        pod: Pod,
        ready: &'static str,
        status: &'static str,
        restarts: &'static str,
    }

    fn cases() -> Vec<Case> {
        let containers3 = json!({"containers": [
            {"name": "a"}, {"name": "b"}, {"name": "c"}]});
        vec![
            Case {
                name: "running 1/1",
                pod: pod(
                    json!({}),
                    json!({"phase": "Running", "conditions": [ready_cond("True")],
                           "podIP": "192.168.112.75",
                           "containerStatuses": [running("app", true)]}),
                ),
                ready: "1/1",
                status: "Running",
                restarts: "0",
            },
            Case {
                // The reference cluster's smf-service-n0-0, as kubectl shows it.
                name: "CrashLoopBackOff",
                pod: pod(
                    json!({}),
                    json!({"phase": "Running",
                        "conditions": [{"type": "Initialized", "status": "True"}, ready_cond("False")],
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 5,
                            "image": "img", "imageID": "", "started": false,
                            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s"}},
                            "lastState": {"terminated": {"exitCode": 2, "reason": "Error",
                                "startedAt": "2026-11-29T03:07:49Z", "finishedAt": "2026-11-29T03:13:49Z"}}}]}),
                ),
                ready: "0/1",
                status: "CrashLoopBackOff",
                restarts: "5 (10m ago)",
            },
            Case {
                // The reference cluster's Evicted pod: no container statuses.
                name: "Evicted",
                pod: pod(
                    json!({}),
                    json!({"phase": "Failed", "reason": "Evicted",
                           "message": "The node was low on resource: ephemeral-storage.",
                           "podIP": "192.168.90.216"}),
                ),
                ready: "0/1",
                status: "Evicted",
                restarts: "0",
            },
            Case {
                name: "Completed",
                pod: pod(
                    json!({"restartPolicy": "Never"}),
                    json!({"phase": "Succeeded", "conditions": [ready_cond("False")],
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                ),
                ready: "0/1",
                status: "Completed",
                restarts: "0",
            },
            Case {
                name: "Error",
                pod: pod(
                    json!({"restartPolicy": "Never"}),
                    json!({"phase": "Failed",
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
                ),
                ready: "0/1",
                status: "Error",
                restarts: "0",
            },
            Case {
                name: "OOMKilled, restarted once 2m ago",
                pod: pod(
                    json!({}),
                    json!({"phase": "Running",
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 1,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                "finishedAt": "2026-11-29T03:24:00Z"}},
                            "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                "finishedAt": "2026-11-29T03:22:30Z"}}}]}),
                ),
                ready: "0/1",
                status: "OOMKilled",
                restarts: "1 (2m ago)",
            },
            Case {
                name: "Signal:9 (terminated without reason)",
                pod: pod(
                    json!({}),
                    json!({"phase": "Running",
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}),
                ),
                ready: "0/1",
                status: "Signal:9",
                restarts: "0",
            },
            Case {
                name: "ExitCode:1 (terminated without reason)",
                pod: pod(
                    json!({}),
                    json!({"phase": "Running",
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 1}}}]}),
                ),
                ready: "0/1",
                status: "ExitCode:1",
                restarts: "0",
            },
            Case {
                name: "Init:0/1 (init container running)",
                pod: pod(
                    json!({"initContainers": [{"name": "init"}]}),
                    json!({"phase": "Pending",
                        "conditions": [{"type": "Initialized", "status": "False"}],
                        "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "", "started": true,
                            "state": {"running": {}}}],
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                ),
                ready: "0/1",
                status: "Init:0/1",
                restarts: "0",
            },
            Case {
                name: "Init:1/2 (first init done, second waiting PodInitializing)",
                pod: pod(
                    json!({"initContainers": [{"name": "i1"}, {"name": "i2"}]}),
                    json!({"phase": "Pending",
                        "initContainerStatuses": [
                            {"name": "i1", "ready": true, "restartCount": 0, "image": "img", "imageID": "",
                             "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                            {"name": "i2", "ready": false, "restartCount": 0, "image": "img", "imageID": "",
                             "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                ),
                ready: "0/1",
                status: "Init:1/2",
                restarts: "0",
            },
            Case {
                // Init container restarts count while initializing, with their time.
                name: "Init:CrashLoopBackOff",
                pod: pod(
                    json!({"initContainers": [{"name": "init"}]}),
                    json!({"phase": "Pending",
                        "conditions": [{"type": "Initialized", "status": "False"}],
                        "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 3,
                            "image": "img", "imageID": "",
                            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                            "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                "finishedAt": "2026-11-29T03:20:00Z"}}}],
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                ),
                ready: "0/1",
                status: "Init:CrashLoopBackOff",
                restarts: "3 (4m30s ago)",
            },
            Case {
                name: "Init:Error",
                pod: pod(
                    json!({"initContainers": [{"name": "init"}], "restartPolicy": "Never"}),
                    json!({"phase": "Failed",
                        "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
                ),
                ready: "0/1",
                status: "Init:Error",
                restarts: "0",
            },
            Case {
                name: "Init:ExitCode:2",
                pod: pod(
                    json!({"initContainers": [{"name": "init"}]}),
                    json!({"phase": "Pending",
                        "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 2}}}]}),
                ),
                ready: "0/1",
                status: "Init:ExitCode:2",
                restarts: "0",
            },
            Case {
                name: "Init:Signal:15",
                pod: pod(
                    json!({"initContainers": [{"name": "init"}]}),
                    json!({"phase": "Pending",
                        "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 143, "signal": 15}}}]}),
                ),
                ready: "0/1",
                status: "Init:Signal:15",
                restarts: "0",
            },
            Case {
                name: "PodInitializing (init done, app container not started yet)",
                pod: pod(
                    json!({"initContainers": [{"name": "init"}]}),
                    json!({"phase": "Pending",
                        "conditions": [{"type": "Initialized", "status": "True"}, ready_cond("False")],
                        "initContainerStatuses": [{"name": "init", "ready": true, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                ),
                ready: "0/1",
                status: "PodInitializing",
                restarts: "0",
            },
            Case {
                name: "ContainerCreating",
                pod: pod(
                    json!({}),
                    json!({"phase": "Pending",
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
                ),
                ready: "0/1",
                status: "ContainerCreating",
                restarts: "0",
            },
            Case {
                name: "ImagePullBackOff",
                pod: pod(
                    json!({}),
                    json!({"phase": "Pending",
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"waiting": {"reason": "ImagePullBackOff",
                                "message": "Back-off pulling image \"img\""}}}]}),
                ),
                ready: "0/1",
                status: "ImagePullBackOff",
                restarts: "0",
            },
            Case {
                name: "Terminating (running pod being deleted)",
                pod: pod_meta(
                    json!({"deletionTimestamp": "2026-11-29T03:24:00Z", "deletionGracePeriodSeconds": 30}),
                    json!({}),
                    json!({"phase": "Running", "conditions": [ready_cond("True")],
                           "containerStatuses": [running("app", true)]}),
                ),
                ready: "1/1",
                status: "Terminating",
                restarts: "0",
            },
            Case {
                name: "deleted Completed pod stays Completed (terminal phase)",
                pod: pod_meta(
                    json!({"deletionTimestamp": "2026-11-29T03:24:00Z"}),
                    json!({}),
                    json!({"phase": "Succeeded",
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                ),
                ready: "0/1",
                status: "Completed",
                restarts: "0",
            },
            Case {
                name: "Unknown (NodeLost with deletionTimestamp)",
                pod: pod_meta(
                    json!({"deletionTimestamp": "2026-11-29T03:24:00Z"}),
                    json!({}),
                    json!({"phase": "Running", "reason": "NodeLost",
                        "conditions": [ready_cond("False")],
                        "containerStatuses": [running("app", false)]}),
                ),
                ready: "0/1",
                status: "Unknown",
                restarts: "0",
            },
            Case {
                name: "NodeLost without deletionTimestamp keeps the reason",
                pod: pod(
                    json!({}),
                    json!({"phase": "Running", "reason": "NodeLost",
                        "containerStatuses": [running("app", false)]}),
                ),
                ready: "0/1",
                status: "NodeLost",
                restarts: "0",
            },
            Case {
                name: "SchedulingGated",
                pod: pod(
                    json!({"schedulingGates": [{"name": "example.com/gate"}], "nodeName": null}),
                    json!({"phase": "Pending",
                        "conditions": [{"type": "PodScheduled", "status": "False",
                            "reason": "SchedulingGated", "message": "Scheduling is blocked due to non-empty scheduling gates"}]}),
                ),
                ready: "0/1",
                status: "SchedulingGated",
                restarts: "0",
            },
            Case {
                name: "Pending (unschedulable)",
                pod: pod(
                    json!({"nodeName": null}),
                    json!({"phase": "Pending",
                        "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}),
                ),
                ready: "0/1",
                status: "Pending",
                restarts: "0",
            },
            Case {
                // Last container (iterated first) Completed, the other still
                // running and ready, pod not Ready.
                name: "NotReady",
                pod: pod(
                    json!({"containers": [{"name": "main"}, {"name": "helper"}]}),
                    json!({"phase": "Running", "conditions": [ready_cond("False")],
                        "containerStatuses": [
                            running("main", true),
                            {"name": "helper", "ready": false, "restartCount": 0, "image": "img", "imageID": "",
                             "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                ),
                ready: "1/2",
                status: "NotReady",
                restarts: "0",
            },
            Case {
                name: "Completed container with another running, pod Ready: Running",
                pod: pod(
                    json!({"containers": [{"name": "main"}, {"name": "helper"}]}),
                    json!({"phase": "Running", "conditions": [ready_cond("True")],
                        "containerStatuses": [
                            running("main", true),
                            {"name": "helper", "ready": false, "restartCount": 0, "image": "img", "imageID": "",
                             "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                ),
                ready: "1/2",
                status: "Running",
                restarts: "0",
            },
            Case {
                name: "Running but not ready 0/1",
                pod: pod(
                    json!({}),
                    json!({"phase": "Running", "conditions": [ready_cond("False")],
                        "containerStatuses": [running("app", false)]}),
                ),
                ready: "0/1",
                status: "Running",
                restarts: "0",
            },
            Case {
                name: "5/5 Running",
                pod: pod(
                    json!({"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}, {"name": "e"}]}),
                    json!({"phase": "Running", "conditions": [ready_cond("True")],
                        "containerStatuses": [running("a", true), running("b", true), running("c", true),
                                              running("d", true), running("e", true)]}),
                ),
                ready: "5/5",
                status: "Running",
                restarts: "0",
            },
            Case {
                // Sidecar (restartPolicy Always) counts in READY and its
                // restarts count after initialization; the plain init
                // container's restarts do not.
                name: "sidecar init container",
                pod: pod(
                    json!({"initContainers": [{"name": "setup"}, {"name": "proxy", "restartPolicy": "Always"}]}),
                    json!({"phase": "Running",
                        "conditions": [{"type": "Initialized", "status": "True"}, ready_cond("True")],
                        "initContainerStatuses": [
                            {"name": "setup", "ready": true, "restartCount": 4, "image": "img", "imageID": "",
                             "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                             "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                 "finishedAt": "2026-11-29T03:24:00Z"}}},
                            {"name": "proxy", "ready": true, "restartCount": 2, "image": "img", "imageID": "",
                             "started": true, "state": {"running": {}},
                             "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                 "finishedAt": "2026-11-29T02:24:30Z"}}}],
                        "containerStatuses": [running("app", true)]}),
                ),
                ready: "2/2",
                status: "Running",
                restarts: "2 (60m ago)",
            },
            Case {
                name: "sidecar started but not ready while app init container runs",
                pod: pod(
                    json!({"initContainers": [{"name": "proxy", "restartPolicy": "Always"}, {"name": "setup"}]}),
                    json!({"phase": "Pending",
                        "conditions": [{"type": "Initialized", "status": "False"}],
                        "initContainerStatuses": [
                            {"name": "proxy", "ready": false, "restartCount": 0, "image": "img", "imageID": "",
                             "started": true, "state": {"running": {}}},
                            {"name": "setup", "ready": false, "restartCount": 0, "image": "img", "imageID": "",
                             "state": {"running": {}}}],
                        "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                            "image": "img", "imageID": "",
                            "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                ),
                ready: "0/2",
                status: "Init:1/2",
                restarts: "0",
            },
            Case {
                // Containers are read last to first: the first container's
                // reason wins; restarts sum, newest finishedAt wins.
                name: "several containers: first one's reason, summed restarts",
                pod: pod(
                    containers3,
                    json!({"phase": "Running", "conditions": [ready_cond("False")],
                        "containerStatuses": [
                            {"name": "a", "ready": false, "restartCount": 2, "image": "img", "imageID": "",
                             "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                             "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-11-29T01:24:30Z"}}},
                            {"name": "b", "ready": false, "restartCount": 1, "image": "img", "imageID": "",
                             "state": {"waiting": {"reason": "ImagePullBackOff"}},
                             "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-11-29T03:14:30Z"}}},
                            running("c", true)]}),
                ),
                ready: "1/3",
                status: "CrashLoopBackOff",
                restarts: "3 (10m ago)",
            },
            Case {
                name: "restarts without a finishedAt: bare count",
                pod: pod(
                    json!({}),
                    json!({"phase": "Running", "conditions": [ready_cond("True")],
                        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 7,
                            "image": "img", "imageID": "", "state": {"running": {}},
                            "lastState": {"terminated": {"exitCode": 1}}}]}),
                ),
                ready: "1/1",
                status: "Running",
                restarts: "7",
            },
            Case {
                name: "no status at all",
                pod: pod(json!({}), json!(null)),
                ready: "0/1",
                status: "",
                restarts: "0",
            },
        ]
    }

    #[test]
    fn pod_rows_match_kubectl() {
        let mut failures = Vec::new();
        for case in cases() {
            let row = pod_row(&case.pod, now());
            let got = (
                row.ready.as_str(),
                row.status.as_str(),
                row.restarts.as_str(),
            );
            let want = (case.ready, case.status, case.restarts);
            if got != want {
                failures.push(format!("{}: got {got:?}, want {want:?}", case.name));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn reference_pod_row_wide() {
        // smf-service-n0-0 of the reference cluster, `kubectl get pods -o wide`:
        // smf-service-n0-0  0/1  CrashLoopBackOff  5 (10m ago)  7h1m  192.168.112.75  worker2  <none>  <none>
        let case = cases()
            .into_iter()
            .find(|c| c.name == "CrashLoopBackOff")
            .unwrap();
        let mut pod = case.pod;
        let status = pod.status.as_mut().unwrap();
        status.pod_ip = Some("192.168.112.75".into());
        let row = pod_row(&pod, now());
        assert_eq!(
            row,
            PodRow {
                name: "p".into(),
                namespace: "ns".into(),
                ready: "0/1".into(),
                status: "CrashLoopBackOff".into(),
                restarts: "5 (10m ago)".into(),
                age: "7h1m".into(),
                ip: "192.168.112.75".into(),
                node: "worker2".into(),
                nominated_node: "<none>".into(),
                readiness_gates: "<none>".into(),
            }
        );
    }

    #[test]
    fn wide_columns() {
        let p = pod(
            json!({"nodeName": null, "readinessGates": [
                {"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]}),
            json!({"phase": "Pending", "nominatedNodeName": "worker1",
                   "podIPs": [{"ip": "10.0.0.7"}, {"ip": "fd00::7"}],
                   "conditions": [{"type": "example.com/lb", "status": "True"},
                                  {"type": "example.com/dns", "status": "False"}]}),
        );
        let row = pod_row(&p, now());
        assert_eq!(row.ip, "10.0.0.7");
        assert_eq!(row.node, "<none>");
        assert_eq!(row.nominated_node, "worker1");
        assert_eq!(row.readiness_gates, "1/2");

        let none = pod_row(&pod(json!({}), json!({"phase": "Pending"})), now());
        assert_eq!(
            (
                none.ip.as_str(),
                none.nominated_node.as_str(),
                none.readiness_gates.as_str()
            ),
            ("<none>", "<none>", "<none>")
        );
        // podIP is authoritative over a differing podIPs[0].
        let both = pod(
            json!({}),
            json!({"podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.2"}]}),
        );
        assert_eq!(pod_row(&both, now()).ip, "10.0.0.1");
        // A gate with no matching condition is not true.
        let gate = pod(
            json!({"readinessGates": [{"conditionType": "x"}]}),
            json!({}),
        );
        assert_eq!(pod_row(&gate, now()).readiness_gates, "0/1");
    }

    #[test]
    fn age_unknown_without_creation_timestamp() {
        let mut p = pod(json!({}), json!({}));
        p.metadata.creation_timestamp = None;
        assert_eq!(pod_row(&p, now()).age, "<unknown>");
    }

    #[test]
    fn human_duration_matches_apimachinery() {
        let cases: &[(i64, &str)] = &[
            (-3, "<invalid>"),
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (119, "119s"),
            (120, "2m"),
            (121, "2m1s"),
            (9 * 60 + 37, "9m37s"),
            (10 * 60, "10m"),
            (10 * 60 + 41, "10m"),
            (179 * 60 + 59, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 60, "3h1m"),
            (7 * 3600 + 60 + 11, "7h1m"),
            (7 * 3600 + 59 * 60 + 59, "7h59m"),
            (8 * 3600, "8h"),
            (47 * 3600 + 3599, "47h"),
            (48 * 3600, "2d"),
            (4 * 86400 + 18 * 3600 + 1234, "4d18h"),
            (6 * 86400, "6d"),
            (6 * 86400 + 2 * 3600, "6d2h"),
            (8 * 86400, "8d"),
            (729 * 86400, "729d"),
            (730 * 86400, "2y"),
            (731 * 86400, "2y1d"),
            (8 * 365 * 86400, "8y"),
            (20 * 365 * 86400 + 5 * 86400, "20y"),
        ];
        for &(secs, want) in cases {
            assert_eq!(
                human_duration(SignedDuration::from_secs(secs)),
                want,
                "{secs}s"
            );
        }
        // Fractions truncate like Go's int(d.Seconds()).
        assert_eq!(human_duration(SignedDuration::from_millis(-1999)), "0s");
        assert_eq!(human_duration(SignedDuration::from_millis(119_999)), "119s");
    }

    #[test]
    fn healthy() {
        let row = |ready: &str, status: &str| PodRow {
            name: "p".into(),
            namespace: "ns".into(),
            ready: ready.into(),
            status: status.into(),
            restarts: "0".into(),
            age: "1m".into(),
            ip: "<none>".into(),
            node: "<none>".into(),
            nominated_node: "<none>".into(),
            readiness_gates: "<none>".into(),
        };
        assert!(is_healthy(&row("1/1", "Running")));
        assert!(is_healthy(&row("5/5", "Running")));
        assert!(is_healthy(&row("0/1", "Completed")));
        assert!(!is_healthy(&row("0/1", "Running")));
        assert!(!is_healthy(&row("1/2", "Running")));
        for status in [
            "CrashLoopBackOff",
            "Evicted",
            "Pending",
            "NotReady",
            "Terminating",
            "Init:0/1",
            "Error",
            "Unknown",
        ] {
            assert!(!is_healthy(&row("1/1", status)), "{status}");
        }
        // Through pod_row as well.
        for case in cases() {
            let r = pod_row(&case.pod, now());
            let want = matches!(
                case.name,
                "running 1/1"
                    | "Completed"
                    | "5/5 Running"
                    | "sidecar init container"
                    | "restarts without a finishedAt: bare count"
                    | "deleted Completed pod stays Completed (terminal phase)"
            );
            assert_eq!(is_healthy(&r), want, "{}", case.name);
        }
    }
}
