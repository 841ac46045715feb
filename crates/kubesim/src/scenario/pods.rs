//! One pod, fully formed: the spec as the API server defaults it (projected
//! service-account volume, tolerations, QoS class), and a status derived from
//! the scenario's state (running, crashloop, evicted, ...) with conditions and
//! container statuses as the kubelet writes them — plus, for each container
//! bound to a node, the [`ContainerSpec`] telling the node simulator how it runs.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use rand::Rng;
use serde_json::{Map as JMap, Value, json};

use super::ids::Ids;
use super::model::{self, Container, Map, State};
use super::units::{
    EnvValue, PortRef, go_duration, minus_dur, plus, plus_dur, rfc3339, secs, secs_between,
};
use super::{Behaviour, ContainerSpec, LogSpec, LogStyle, ScenarioError};

/// Seconds after creation at which the kubelet reaches each step.
const INIT_START: i64 = 3;
const INIT_END: i64 = 6;
const MAIN_START: i64 = 8;
const READY_AFTER: i64 = 20;

/// Everything about one pod that the workload decides.
pub(crate) struct PodInput<'a> {
    pub wl: &'a model::Workload,
    pub field: PodField<'a>,
    pub name: String,
    pub uid: String,
    pub labels: Arc<Map>,
    /// `labels` as JSON, when the workload already built it.
    pub labels_json: Option<Value>,
    pub shape: Arc<PodShape>,
    pub annotations: Arc<Map>,
    pub owner: Option<Value>,
    /// (node name, node internal IP)
    pub node: Option<(String, String)>,
    pub ip: Option<String>,
    pub created: Timestamp,
    pub state: &'a State,
    pub hostname: Option<(String, String)>,
    pub daemon_node: Option<String>,
    /// The workload's pod spec from [`spec_json`] with [`SpecFor::Pod`], personalized per pod.
    pub base_spec: &'a Value,
    /// Scale scenario: leave out what few readers need (see [`spec_json`]).
    pub lean: bool,
    /// The workload's QoS class ([`qos_class`]).
    pub qos: &'static str,
}

/// The scenario path of a pod entry, `workloads[3] (ns/name).pods[0]`,
/// formatted only when an error is reported.
#[derive(Clone, Copy)]
pub(crate) struct PodField<'a> {
    pub workload: &'a str,
    pub index: usize,
}

impl std::fmt::Display for PodField<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}.pods[{}]", self.workload, self.index)
    }
}

/// What the rest of the expansion needs to know about a pod.
#[derive(Debug, Clone)]
pub(crate) struct PodRec {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub labels: Arc<Map>,
    pub ip: Option<String>,
    pub node: Option<String>,
    pub ready: bool,
    /// Has an address and is neither finished nor terminating.
    pub serving: bool,
    pub shape: Arc<PodShape>,
    /// Counted by its controller (not Failed/Succeeded).
    pub active: bool,
}

/// What all pods of a workload share: their containers' ports and images.
#[derive(Debug)]
pub(crate) struct PodShape {
    /// (container, port name, port, protocol)
    pub ports: Vec<(String, Option<String>, u16, String)>,
    /// (container, image)
    pub images: Vec<(String, String)>,
}

pub(crate) fn shape_of(wl: &model::Workload) -> Arc<PodShape> {
    Arc::new(PodShape {
        ports: wl
            .containers
            .iter()
            .flat_map(|c| {
                c.ports.iter().map(move |pt| {
                    (
                        c.name.clone(),
                        pt.name.clone(),
                        pt.port,
                        pt.protocol.clone(),
                    )
                })
            })
            .collect(),
        images: wl
            .containers
            .iter()
            .map(|c| (c.name.clone(), c.image.clone()))
            .collect(),
    })
}

/// A container's status as planned.
#[derive(Clone)]
enum CState {
    Running {
        started: Timestamp,
        ready: bool,
    },
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Terminated(Term),
}

#[derive(Clone)]
struct Term {
    reason: String,
    exit_code: i32,
    started: Timestamp,
    finished: Timestamp,
}

struct Plan {
    state: CState,
    last: Option<Term>,
    restarts: u32,
    behaviour: Behaviour,
    log: bool,
    started_at: Timestamp,
    /// Length of the log written by a container that is no longer running.
    stopped_history: Option<Duration>,
}

fn running(started: Timestamp) -> Plan {
    Plan {
        state: CState::Running {
            started,
            ready: true,
        },
        last: None,
        restarts: 0,
        behaviour: Behaviour::Steady,
        log: true,
        started_at: started,
        stopped_history: None,
    }
}

fn never_started(reason: &str, message: Option<String>, created: Timestamp) -> Plan {
    Plan {
        state: CState::Waiting {
            reason: reason.into(),
            message,
        },
        last: None,
        restarts: 0,
        behaviour: Behaviour::Stopped,
        log: false,
        started_at: created,
        stopped_history: None,
    }
}

fn finished(reason: &str, exit_code: i32, started: Timestamp, end: Timestamp) -> Plan {
    Plan {
        state: CState::Terminated(Term {
            reason: reason.into(),
            exit_code,
            started,
            finished: end,
        }),
        last: None,
        restarts: 0,
        behaviour: Behaviour::Stopped,
        log: true,
        started_at: started,
        stopped_history: Some(Duration::from_secs(secs_between(end, started).max(1))),
    }
}

/// The kubelet's back-off before restart number `restarts`: 10s doubling, capped at 5m.
pub(crate) fn default_backoff(restarts: u32) -> Duration {
    let exp = restarts.saturating_sub(1).min(6);
    Duration::from_secs((10u64 << exp).min(300))
}

/// `comm` as the kernel keeps it: the program's base name, at most 15 bytes.
pub(crate) fn comm_of(command: &[String]) -> String {
    let prog = command
        .iter()
        .rev()
        .find(|a| !a.starts_with('-') && !a.contains('='))
        .or(command.first())
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
        .unwrap_or_else(|| "app".into());
    let mut end = prog.len().min(15);
    while !prog.is_char_boundary(end) {
        end -= 1;
    }
    prog[..end].to_string()
}

/// The process a container starts.
pub(crate) fn process_command(c: &Container) -> Vec<String> {
    let mut cmd = if !c.command.is_empty() {
        c.command.clone()
    } else if !c.entrypoint.is_empty() {
        c.entrypoint
            .iter()
            .map(|a| a.replace("{container}", &c.name))
            .collect()
    } else {
        vec![format!("/usr/local/bin/{}", c.name)]
    };
    cmd.extend(c.args.iter().cloned());
    cmd
}

fn log_spec(c: &Container) -> Option<LogSpec> {
    let (style, default_interval) = match c.log.as_ref().map(|l| l.style) {
        Some(model::StyleCfg::None) => return None,
        Some(model::StyleCfg::Smf) => (LogStyle::Smf, 3),
        Some(model::StyleCfg::Java) => (LogStyle::Java, 15),
        Some(model::StyleCfg::Json) => (LogStyle::Json, 20),
        Some(model::StyleCfg::Nginx) => (LogStyle::Nginx, 10),
        Some(model::StyleCfg::Plain) | None => (LogStyle::Plain, 30),
    };
    let cfg = c.log.as_ref();
    Some(LogSpec {
        style,
        interval: cfg
            .and_then(|l| l.interval)
            .map(|d| d.0)
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(default_interval)),
        history: cfg
            .and_then(|l| l.history)
            .map(|d| d.0)
            .unwrap_or(Duration::from_secs(3600)),
    })
}

fn run_as_user(wl: &model::Workload, c: &Container) -> u32 {
    let get = |v: &Option<Value>| {
        v.as_ref()
            .and_then(|v| v.get("runAsUser"))
            .and_then(Value::as_u64)
    };
    get(&c.security_context)
        .or_else(|| get(&wl.security_context))
        .unwrap_or(0) as u32
}

fn target_index(
    field: PodField,
    containers: &[Container],
    wanted: &Option<String>,
    default_last: bool,
) -> Result<usize, ScenarioError> {
    match wanted {
        None => Ok(if default_last {
            containers.len() - 1
        } else {
            0
        }),
        Some(n) => containers.iter().position(|c| &c.name == n).ok_or_else(|| {
            ScenarioError::invalid(
                format!("{field}.state.container"),
                format!(
                    "no container {n:?} in this pod (containers: {})",
                    containers
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        }),
    }
}

/// Plans every container of the pod; returns (init plans, main plans).
fn plan(p: &PodInput, now: Timestamp) -> Result<(Vec<Plan>, Vec<Plan>), ScenarioError> {
    let wl = p.wl;
    let c0 = p.created;
    let start = plus(c0, MAIN_START);
    let init_done = || {
        wl.init_containers
            .iter()
            .map(|_| finished("Completed", 0, plus(c0, INIT_START), plus(c0, INIT_END)))
            .collect::<Vec<_>>()
    };
    let all_running = || {
        wl.containers
            .iter()
            .map(|_| running(start))
            .collect::<Vec<_>>()
    };
    let field = p.field;
    Ok(match p.state {
        State::Running | State::Terminating(_) => (init_done(), all_running()),
        State::Unready(t) => {
            let i = target_index(field, &wl.containers, &t.container, false)?;
            let mut m = all_running();
            m[i].state = CState::Running {
                started: start,
                ready: false,
            };
            (init_done(), m)
        }
        State::NotReady(t) => {
            let i = target_index(field, &wl.containers, &t.container, true)?;
            let mut m = all_running();
            m[i] = finished("Completed", 0, start, plus(start, 45));
            (init_done(), m)
        }
        State::CrashLoop(cl) => {
            let i = target_index(field, &wl.containers, &cl.container, false)?;
            let c = &wl.containers[i];
            let restarts = cl.restarts.unwrap_or(5);
            let run = cl.run.map(|d| d.0).unwrap_or(Duration::from_secs(30));
            let backoff = cl
                .backoff
                .map(|d| d.0)
                .unwrap_or_else(|| default_backoff(restarts));
            let exit_code = cl.exit_code.unwrap_or(1);
            let last_finished = cl
                .last_finished
                .map(|a| a.at(now))
                .unwrap_or_else(|| secs(plus(now, -60)))
                .max(start);
            let last_started = cl
                .last_started
                .map(|a| a.at(now))
                .unwrap_or_else(|| minus_dur(last_finished, run))
                .max(start)
                .min(last_finished);
            let reason = cl.reason.clone().unwrap_or_else(|| {
                if exit_code == 137 {
                    "OOMKilled".into()
                } else {
                    "Error".into()
                }
            });
            let command = process_command(c);
            let behaviour = Behaviour::CrashLoop {
                run,
                backoff,
                exit_code,
                signal: cl.signal,
                process: cl.process.clone().unwrap_or_else(|| comm_of(&command)),
                uid: run_as_user(wl, c),
                running_now: cl.running_now,
                last_finished,
            };
            let last = Term {
                reason,
                exit_code,
                started: last_started,
                finished: last_finished,
            };
            let plan = if cl.running_now {
                let cur = plus_dur(last_finished, backoff)
                    .min(secs(now))
                    .max(last_finished);
                Plan {
                    state: CState::Running {
                        started: cur,
                        ready: true,
                    },
                    last: Some(last),
                    restarts,
                    behaviour,
                    log: true,
                    started_at: cur,
                    stopped_history: None,
                }
            } else {
                Plan {
                    state: CState::Waiting {
                        reason: "CrashLoopBackOff".into(),
                        message: Some(format!(
                            "back-off {} restarting failed container={} pod={}_{}({})",
                            go_duration(backoff),
                            c.name,
                            p.name,
                            wl.namespace,
                            p.uid
                        )),
                    },
                    last: Some(last),
                    restarts,
                    behaviour,
                    log: true,
                    started_at: last_started,
                    stopped_history: None,
                }
            };
            let mut m = all_running();
            m[i] = plan;
            (init_done(), m)
        }
        State::Error(ex) | State::OomKilled(ex) => {
            let oom = matches!(p.state, State::OomKilled(_));
            let i = target_index(field, &wl.containers, &ex.container, false)?;
            let c = &wl.containers[i];
            let restarts = ex.restarts.unwrap_or(if oom { 1 } else { 0 });
            let exit_code = ex.exit_code.unwrap_or(if oom { 137 } else { 1 });
            let signal = ex.signal.or(if oom { Some(9) } else { None });
            let run = ex.run.map(|d| d.0).unwrap_or(Duration::from_secs(120));
            let end = ex
                .finished
                .map(|a| a.at(now))
                .unwrap_or_else(|| secs(plus(now, -5)))
                .max(start);
            let began = minus_dur(end, run).max(start).min(end);
            let reason = if oom { "OOMKilled" } else { "Error" };
            let command = process_command(c);
            let mut plan = finished(reason, exit_code, began, end);
            plan.restarts = restarts;
            plan.stopped_history = None;
            plan.behaviour = Behaviour::CrashLoop {
                run,
                backoff: default_backoff(restarts + 1),
                exit_code,
                signal,
                process: ex.process.clone().unwrap_or_else(|| comm_of(&command)),
                uid: run_as_user(wl, c),
                running_now: false,
                last_finished: end,
            };
            if restarts > 0 {
                let prev_end =
                    secs(plus(began, -(default_backoff(restarts).as_secs() as i64))).max(start);
                let prev_start = secs(plus(prev_end, -(run.as_secs() as i64)))
                    .max(start)
                    .min(prev_end);
                plan.last = Some(Term {
                    reason: reason.into(),
                    exit_code,
                    started: prev_start,
                    finished: prev_end,
                });
            }
            let mut m = all_running();
            m[i] = plan;
            (init_done(), m)
        }
        State::Completed(done) => {
            let end = done
                .finished
                .map(|a| a.at(now))
                .unwrap_or_else(|| plus(start, 60))
                .max(plus(start, 1))
                .min(secs(now).max(start));
            (
                init_done(),
                wl.containers
                    .iter()
                    .map(|_| finished("Completed", 0, start, end))
                    .collect(),
            )
        }
        State::Evicted(_) => {
            // The containers are gone: no status, no log left on the node.
            let gone = |_: &Container| Plan {
                state: CState::Waiting {
                    reason: String::new(),
                    message: None,
                },
                last: None,
                restarts: 0,
                behaviour: Behaviour::Stopped,
                log: false,
                started_at: start,
                stopped_history: None,
            };
            (
                wl.init_containers.iter().map(gone).collect(),
                wl.containers.iter().map(gone).collect(),
            )
        }
        State::Pending(_) => (Vec::new(), Vec::new()),
        State::ImagePullBackOff(ip) | State::ErrImagePull(ip) => {
            let back = matches!(p.state, State::ImagePullBackOff(_));
            let i = target_index(field, &wl.containers, &ip.container, false)?;
            let image = &wl.containers[i].image;
            let message = ip.message.clone().unwrap_or_else(|| {
                if back {
                    format!("Back-off pulling image \"{image}\": ErrImagePull: failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found")
                } else {
                    format!("failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found")
                }
            });
            let mut m = all_running();
            m[i] = never_started(
                if back {
                    "ImagePullBackOff"
                } else {
                    "ErrImagePull"
                },
                Some(message),
                c0,
            );
            (init_done(), m)
        }
        State::ContainerCreating => (
            wl.init_containers
                .iter()
                .map(|_| never_started("PodInitializing", None, c0))
                .collect(),
            wl.containers
                .iter()
                .map(|_| never_started("ContainerCreating", None, c0))
                .collect(),
        ),
        State::Init => {
            if wl.init_containers.is_empty() {
                return Err(ScenarioError::invalid(
                    format!("{field}.state"),
                    "state init needs the workload to have initContainers",
                ));
            }
            let mut init: Vec<Plan> = wl
                .init_containers
                .iter()
                .map(|_| never_started("PodInitializing", None, c0))
                .collect();
            init[0] = running(plus(c0, INIT_START));
            if let CState::Running { ready, .. } = &mut init[0].state {
                *ready = false;
            }
            (
                init,
                wl.containers
                    .iter()
                    .map(|_| never_started("PodInitializing", None, c0))
                    .collect(),
            )
        }
    })
}

fn cond(
    kind: &str,
    ok: bool,
    at: Timestamp,
    reason: Option<&str>,
    message: Option<String>,
) -> Value {
    let mut m = JMap::new();
    m.insert("type".into(), kind.into());
    m.insert("status".into(), if ok { "True" } else { "False" }.into());
    m.insert("lastProbeTime".into(), Value::Null);
    m.insert("lastTransitionTime".into(), rfc3339(at).into());
    if let Some(r) = reason {
        m.insert("reason".into(), r.into());
    }
    if let Some(msg) = message {
        m.insert("message".into(), msg.into());
    }
    Value::Object(m)
}

fn map_json(m: &Map) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

fn probe_json(p: &model::Probe, field: &str) -> Result<Value, ScenarioError> {
    let mut m = JMap::new();
    let kinds = [p.http.is_some(), p.tcp.is_some(), p.exec.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if kinds != 1 {
        return Err(ScenarioError::invalid(
            field,
            "a probe needs exactly one of http, tcp, exec",
        ));
    }
    if let Some(h) = &p.http {
        let (scheme, rest) = if let Some(r) = h.strip_prefix("https:") {
            ("HTTPS", r)
        } else if let Some(r) = h.strip_prefix("http:") {
            ("HTTP", r)
        } else {
            ("HTTP", h.as_str())
        };
        let (port, path) = match rest.split_once('/') {
            Some((port, path)) => (port, format!("/{path}")),
            None => (rest, "/".to_string()),
        };
        let port = match port.parse::<u16>() {
            Ok(n) => Value::from(n),
            Err(_) if !port.is_empty() => Value::from(port),
            Err(_) => {
                return Err(ScenarioError::invalid(
                    format!("{field}.http"),
                    format!("{h:?}: expected [http:|https:]PORT[/PATH], e.g. 8080/healthz"),
                ));
            }
        };
        m.insert(
            "httpGet".into(),
            json!({"path": path, "port": port, "scheme": scheme}),
        );
    }
    if let Some(t) = &p.tcp {
        m.insert("tcpSocket".into(), json!({"port": t.to_json()}));
    }
    if let Some(e) = &p.exec {
        m.insert("exec".into(), json!({"command": e}));
    }
    let secs_of =
        |d: Option<super::units::Dur>, dflt: u64| d.map(|d| d.0.as_secs()).unwrap_or(dflt);
    let delay = secs_of(p.delay, 0);
    if delay > 0 {
        m.insert("initialDelaySeconds".into(), delay.into());
    }
    m.insert("timeoutSeconds".into(), secs_of(p.timeout, 1).max(1).into());
    m.insert("periodSeconds".into(), secs_of(p.period, 10).max(1).into());
    m.insert(
        "successThreshold".into(),
        p.success_threshold.unwrap_or(1).into(),
    );
    m.insert(
        "failureThreshold".into(),
        p.failure_threshold.unwrap_or(3).into(),
    );
    Ok(Value::Object(m))
}

fn env_json(wl: &model::Workload, c: &Container) -> Vec<Value> {
    c.env
        .0
        .iter()
        .map(|(k, v)| match v {
            EnvValue::Literal(s) => {
                let s = s
                    .replace("{container}", &c.name)
                    .replace("{namespace}", &wl.namespace)
                    .replace("{workload}", &wl.name);
                json!({"name": k, "value": s})
            }
            EnvValue::FieldRef(f) => {
                json!({"name": k, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": f}}})
            }
            EnvValue::ResourceFieldRef(r) => json!({"name": k, "valueFrom": {"resourceFieldRef": {
                "containerName": c.name, "resource": r, "divisor": "0"}}}),
            EnvValue::SecretKeyRef(n, key) => {
                json!({"name": k, "valueFrom": {"secretKeyRef": {"name": n, "key": key}}})
            }
            EnvValue::ConfigMapKeyRef(n, key) => {
                json!({"name": k, "valueFrom": {"configMapKeyRef": {"name": n, "key": key}}})
            }
        })
        .collect()
}

/// Requests default to limits where only limits are given (API server defaulting).
fn effective_resources(c: &Container) -> (Map, Map) {
    let Some(r) = &c.resources else {
        return (Map::new(), Map::new());
    };
    let mut req = r.requests.clone();
    for (k, v) in &r.limits {
        req.entry(k.clone()).or_insert_with(|| v.clone());
    }
    (req, r.limits.clone())
}

pub(crate) fn qos_class(containers: &[Container]) -> &'static str {
    let all: Vec<(Map, Map)> = containers.iter().map(effective_resources).collect();
    if all.iter().all(|(r, l)| r.is_empty() && l.is_empty()) {
        return "BestEffort";
    }
    let guaranteed = all.iter().all(|(req, lim)| {
        ["cpu", "memory"]
            .iter()
            .all(|k| lim.get(*k).is_some_and(|l| req.get(*k) == Some(l)))
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn image_pull_policy(c: &Container) -> String {
    if let Some(p) = &c.image_pull_policy {
        return p.clone();
    }
    let last = c.image.rsplit('/').next().unwrap_or(&c.image);
    if c.image.contains('@') || (last.contains(':') && !last.ends_with(":latest")) {
        "IfNotPresent".into()
    } else {
        "Always".into()
    }
}

fn container_json(
    wl: &model::Workload,
    c: &Container,
    field: &str,
    api_volume: Option<&str>,
    lean: bool,
) -> Result<Value, ScenarioError> {
    let mut m = JMap::new();
    m.insert("name".into(), c.name.as_str().into());
    m.insert("image".into(), c.image.as_str().into());
    if !c.command.is_empty() {
        m.insert("command".into(), json!(c.command));
    }
    if !c.args.is_empty() {
        m.insert("args".into(), json!(c.args));
    }
    if !c.ports.is_empty() && !lean {
        let ports: Vec<Value> = c
            .ports
            .iter()
            .map(|p| {
                let mut pm = JMap::new();
                if let Some(n) = &p.name {
                    pm.insert("name".into(), n.as_str().into());
                }
                if let Some(h) = p.host_port {
                    pm.insert("hostPort".into(), h.into());
                } else if wl.host_network {
                    pm.insert("hostPort".into(), p.port.into());
                }
                pm.insert("containerPort".into(), p.port.into());
                pm.insert("protocol".into(), p.protocol.as_str().into());
                Value::Object(pm)
            })
            .collect();
        m.insert("ports".into(), Value::Array(ports));
    }
    if !c.env.0.is_empty() && !lean {
        m.insert("env".into(), Value::Array(env_json(wl, c)));
    }
    let (req, lim) = effective_resources(c);
    let mut res = JMap::new();
    if !lim.is_empty() && !lean {
        res.insert("limits".into(), map_json(&lim));
    }
    if !req.is_empty() {
        res.insert("requests".into(), map_json(&req));
    }
    m.insert("resources".into(), Value::Object(res));
    let mut mounts: Vec<Value> = c.volume_mounts.clone();
    if let Some(v) = api_volume {
        mounts.push(json!({"name": v, "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}));
    }
    if !mounts.is_empty() {
        m.insert("volumeMounts".into(), Value::Array(mounts));
    }
    for (key, probe) in [
        ("livenessProbe", &c.probes.liveness),
        ("readinessProbe", &c.probes.readiness),
        ("startupProbe", &c.probes.startup),
    ] {
        if let Some(p) = probe {
            let probe = probe_json(p, &format!("{field}.probes"))?;
            if !lean {
                m.insert(key.into(), probe);
            }
        }
    }
    if !lean {
        m.insert(
            "terminationMessagePath".into(),
            "/dev/termination-log".into(),
        );
        m.insert("terminationMessagePolicy".into(), "File".into());
        m.insert("imagePullPolicy".into(), image_pull_policy(c).into());
    }
    if let Some(sc) = &c.security_context {
        m.insert("securityContext".into(), sc.clone());
    }
    Ok(Value::Object(m))
}

/// Which pod spec [`spec_json`] makes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpecFor {
    /// A workload's `spec.template.spec` (`lean`: as for pods).
    Template { lean: bool },
    /// The spec shared by a workload's pods, before [`personalize`] (`daemon`:
    /// DaemonSet tolerations; `lean`: no env, for the scale scenario).
    Pod { daemon: bool, lean: bool },
}

/// Name of the service-account volume in a base pod spec, replaced per pod.
const API_VOLUME: &str = "kube-api-access-xxxxx";

/// The pod spec as the API server defaults it.
pub(crate) fn spec_json(
    wl: &model::Workload,
    field: &str,
    for_: SpecFor,
) -> Result<Value, ScenarioError> {
    let (pod, daemon, lean) = match for_ {
        SpecFor::Template { lean } => (false, false, lean),
        SpecFor::Pod { daemon, lean } => (true, daemon, lean),
    };
    // Lean pods (scale scenario) leave out what only a person reading one pod
    // would miss: the service-account volume, ports, env, probes, tolerations.
    let api_volume = if pod && !lean { Some(API_VOLUME) } else { None };
    let mut m = JMap::new();
    let mut volumes: Vec<Value> = wl.volumes.clone();
    if let Some(v) = api_volume {
        volumes.push(json!({"name": v, "projected": {"sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
        ], "defaultMode": 420}}));
    }
    if !volumes.is_empty() {
        m.insert("volumes".into(), Value::Array(volumes));
    }
    if !wl.init_containers.is_empty() {
        let mut v = Vec::new();
        for (i, c) in wl.init_containers.iter().enumerate() {
            v.push(container_json(
                wl,
                c,
                &format!("{field}.initContainers[{i}]"),
                api_volume,
                lean,
            )?);
        }
        m.insert("initContainers".into(), Value::Array(v));
    }
    let mut v = Vec::new();
    for (i, c) in wl.containers.iter().enumerate() {
        v.push(container_json(
            wl,
            c,
            &format!("{field}.containers[{i}]"),
            api_volume,
            lean,
        )?);
    }
    m.insert("containers".into(), Value::Array(v));
    let restart = wl.restart_policy.clone().unwrap_or_else(|| "Always".into());
    m.insert("restartPolicy".into(), restart.into());
    if !lean {
        m.insert(
            "terminationGracePeriodSeconds".into(),
            wl.termination_grace_period_seconds.unwrap_or(30).into(),
        );
        m.insert("dnsPolicy".into(), "ClusterFirst".into());
    }
    if !wl.node_selector.is_empty() {
        m.insert("nodeSelector".into(), map_json(&wl.node_selector));
    }
    let sa = wl.service_account.clone();
    if let Some(sa) = &sa {
        m.insert("serviceAccountName".into(), sa.as_str().into());
    }
    if wl.host_network {
        m.insert("hostNetwork".into(), true.into());
    }
    if !lean {
        m.insert(
            "securityContext".into(),
            wl.security_context.clone().unwrap_or_else(|| json!({})),
        );
    }
    if !lean {
        m.insert("schedulerName".into(), "default-scheduler".into());
    }
    if let Some(pc) = &wl.priority_class {
        m.insert("priorityClassName".into(), pc.as_str().into());
    }
    if !pod {
        if !wl.tolerations.is_empty() {
            m.insert("tolerations".into(), Value::Array(wl.tolerations.clone()));
        }
        return Ok(Value::Object(m));
    }
    let sa = sa.unwrap_or_else(|| "default".into());
    m.insert("serviceAccountName".into(), sa.as_str().into());
    if !lean {
        m.insert("serviceAccount".into(), sa.into());
    }
    let mut tolerations = wl.tolerations.clone();
    if wl.static_pod {
        tolerations.push(json!({"operator": "Exists", "effect": "NoExecute"}));
    } else if daemon {
        for (key, effect) in [
            ("node.kubernetes.io/not-ready", "NoExecute"),
            ("node.kubernetes.io/unreachable", "NoExecute"),
            ("node.kubernetes.io/disk-pressure", "NoSchedule"),
            ("node.kubernetes.io/memory-pressure", "NoSchedule"),
            ("node.kubernetes.io/pid-pressure", "NoSchedule"),
            ("node.kubernetes.io/unschedulable", "NoSchedule"),
        ] {
            tolerations.push(json!({"key": key, "operator": "Exists", "effect": effect}));
        }
        if wl.host_network {
            tolerations.push(json!({"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}));
        }
    } else {
        for key in [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
        ] {
            tolerations.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
        }
    }
    if !lean {
        m.insert("tolerations".into(), Value::Array(tolerations));
    }
    let priority = match wl.priority_class.as_deref() {
        Some("system-node-critical") => 2_000_001_000,
        Some("system-cluster-critical") => 2_000_000_000,
        _ => 0,
    };
    if !lean || priority != 0 {
        m.insert("priority".into(), priority.into());
    }
    if !lean {
        m.insert("enableServiceLinks".into(), true.into());
        m.insert("preemptionPolicy".into(), "PreemptLowerPriority".into());
    }
    Ok(Value::Object(m))
}

/// Makes a base pod spec this pod's: its service-account volume, node, hostname, affinity.
fn personalize(spec: &mut Value, api_volume: &str, p: &PodInput) {
    let rename = |v: Option<&mut Value>| {
        if let Some(v) = v.and_then(Value::as_array_mut).and_then(|a| a.last_mut())
            && v["name"] == API_VOLUME
        {
            v["name"] = api_volume.into();
        }
    };
    rename(spec.get_mut("volumes"));
    for key in ["initContainers", "containers"] {
        if let Some(cs) = spec.get_mut(key).and_then(Value::as_array_mut) {
            for c in cs {
                rename(c.get_mut("volumeMounts"));
            }
        }
    }
    let Some(m) = spec.as_object_mut() else {
        return;
    };
    if let Some((node, _)) = &p.node {
        m.insert("nodeName".into(), node.as_str().into());
    }
    if let Some((h, s)) = &p.hostname {
        m.insert("hostname".into(), h.as_str().into());
        m.insert("subdomain".into(), s.as_str().into());
    }
    if let Some(n) = &p.daemon_node {
        m.insert(
            "affinity".into(),
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [n]}]}]}}}),
        );
    }
}

/// A stable fake sha256 of an image reference (the same image has the same
/// digest on every node and in every expansion).
fn digest_of(image: &str) -> String {
    use std::hash::{Hash, Hasher};
    (0u64..4)
        .map(|round| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (round, image).hash(&mut h);
            format!("{:016x}", h.finish())
        })
        .collect()
}

/// What one expansion remembers: image digests, and the conditions of running pods by creation time.
pub(crate) struct Digests {
    by_image: std::collections::HashMap<String, String>,
    conditions: std::collections::HashMap<(i64, bool), Value>,
}

impl Digests {
    pub(crate) fn new() -> Self {
        Digests {
            by_image: std::collections::HashMap::new(),
            conditions: std::collections::HashMap::new(),
        }
    }

    fn image_id(&mut self, image: &str) -> String {
        if let Some(d) = self.by_image.get(image) {
            return d.clone();
        }
        let repo = match image.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => repo,
            _ => image,
        };
        let repo = repo.split('@').next().unwrap_or(repo);
        let id = format!("{repo}@sha256:{}", digest_of(image));
        self.by_image.insert(image.to_string(), id.clone());
        id
    }
}

fn status_json<R: Rng>(
    c: &Container,
    plan: &Plan,
    init: bool,
    ids: &mut Ids<R>,
    digests: &mut Digests,
) -> Value {
    let mut m = JMap::new();
    m.insert("name".into(), c.name.as_str().into());
    let last_id = plan.last.as_ref().map(|_| ids.container_id());
    let obj = |k: &str, v: JMap<String, Value>| {
        let mut m = JMap::new();
        m.insert(k.into(), Value::Object(v));
        Value::Object(m)
    };
    let term_json = |t: &Term, id: &str| {
        let mut m = JMap::new();
        m.insert("exitCode".into(), t.exit_code.into());
        m.insert("reason".into(), t.reason.as_str().into());
        m.insert("startedAt".into(), rfc3339(t.started).into());
        m.insert("finishedAt".into(), rfc3339(t.finished).into());
        m.insert("containerID".into(), id.into());
        obj("terminated", m)
    };
    let (state, ready, started, current_id) = match &plan.state {
        CState::Running { started, ready } => {
            let id = ids.container_id();
            let mut r = JMap::new();
            r.insert("startedAt".into(), rfc3339(*started).into());
            (obj("running", r), *ready && !init, true, Some(id))
        }
        CState::Waiting { reason, message } => {
            let mut w = JMap::new();
            w.insert("reason".into(), reason.as_str().into());
            if let Some(msg) = message {
                w.insert("message".into(), msg.as_str().into());
            }
            (obj("waiting", w), false, false, last_id.clone())
        }
        CState::Terminated(t) => {
            let id = ids.container_id();
            let ok = init && t.exit_code == 0;
            (term_json(t, &id), ok, false, Some(id))
        }
    };
    m.insert("state".into(), state);
    let last = match (&plan.last, &last_id) {
        (Some(t), Some(id)) => term_json(t, id),
        _ => Value::Object(JMap::new()),
    };
    m.insert("lastState".into(), last);
    m.insert("ready".into(), ready.into());
    m.insert("restartCount".into(), plan.restarts.into());
    m.insert("image".into(), c.image.as_str().into());
    let pulled = current_id.is_some();
    m.insert(
        "imageID".into(),
        if pulled {
            digests.image_id(&c.image)
        } else {
            String::new()
        }
        .into(),
    );
    if let Some(id) = current_id {
        m.insert("containerID".into(), id.into());
    }
    m.insert("started".into(), started.into());
    Value::Object(m)
}

/// Builds the pod, its record and its container specs.
pub(crate) fn build_pod<R: Rng>(
    mut p: PodInput,
    now: Timestamp,
    ids: &mut Ids<R>,
    digests: &mut Digests,
) -> Result<(Value, PodRec, Vec<ContainerSpec>), ScenarioError> {
    let wl = p.wl;
    let (init_plans, main_plans) = plan(&p, now)?;
    let c0 = p.created;
    let ns = wl.namespace.as_str();

    // metadata
    let mut meta = JMap::new();
    meta.insert("name".into(), p.name.as_str().into());
    meta.insert("namespace".into(), ns.into());
    meta.insert("uid".into(), p.uid.as_str().into());
    meta.insert("generation".into(), 1.into());
    meta.insert("creationTimestamp".into(), rfc3339(c0).into());
    if let State::Terminating(t) = p.state {
        let since = t
            .since
            .map(|a| a.at(now))
            .unwrap_or_else(|| secs(plus(now, -120)))
            .max(c0);
        let grace = wl.termination_grace_period_seconds.unwrap_or(30);
        meta.insert(
            "deletionTimestamp".into(),
            rfc3339(plus(since, grace as i64)).into(),
        );
        meta.insert("deletionGracePeriodSeconds".into(), grace.into());
    }
    let labels_json = p.labels_json.take().unwrap_or_else(|| map_json(&p.labels));
    meta.insert("labels".into(), labels_json);
    let single = p.lean && wl.containers.len() == 1;
    if !p.annotations.is_empty() && !single {
        meta.insert("annotations".into(), map_json(&p.annotations));
    }
    if let Some(o) = p.owner.take() {
        meta.insert("ownerReferences".into(), Value::Array(vec![o]));
    }

    let api_volume = if p.lean {
        String::new()
    } else {
        format!("kube-api-access-{}", ids.kube(5))
    };
    let mut spec = p.base_spec.clone();
    personalize(&mut spec, &api_volume, &p);

    // status
    let mut st = JMap::new();
    let evicted = matches!(p.state, State::Evicted(_));
    let pending = matches!(p.state, State::Pending(_));
    let completed = matches!(p.state, State::Completed(_));
    let restart_never = wl.restart_policy.as_deref() == Some("Never");
    let phase = match p.state {
        State::Pending(_) | State::ContainerCreating | State::Init => "Pending",
        State::ImagePullBackOff(_) | State::ErrImagePull(_) => "Pending",
        State::Evicted(_) => "Failed",
        State::Completed(_) => "Succeeded",
        State::Error(_) | State::OomKilled(_) if restart_never => "Failed",
        _ => "Running",
    };
    st.insert("phase".into(), phase.into());

    let unready: Vec<&str> = wl
        .containers
        .iter()
        .zip(&main_plans)
        .filter(|(_, pl)| !matches!(pl.state, CState::Running { ready: true, .. }))
        .map(|(c, _)| c.name.as_str())
        .collect();
    // Running pods created at the same second have the same conditions: build them once.
    let cache_key =
        matches!(p.state, State::Running).then(|| (c0.as_second(), wl.init_containers.is_empty()));
    let cached = cache_key.and_then(|k| digests.conditions.get(&k).cloned());
    let conds = match cached {
        Some(c) => c,
        None => {
            let mut conds = Vec::new();
            if pending {
                let message = match p.state {
                    State::Pending(pd) => pd.message.clone(),
                    _ => None,
                };
                conds.push(cond(
                "PodScheduled",
                false,
                c0,
                Some("Unschedulable"),
                Some(message.unwrap_or_else(|| "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.".into())),
            ));
            } else {
                let sandbox = !matches!(p.state, State::ContainerCreating);
                let ready_at = |pl: &Plan| match &pl.state {
                    CState::Running { started, .. } => plus(*started, READY_AFTER),
                    CState::Terminated(t) => t.finished,
                    CState::Waiting { .. } => pl
                        .last
                        .as_ref()
                        .map(|t| t.finished)
                        .unwrap_or(plus(c0, READY_AFTER)),
                };
                let transition = main_plans
                    .iter()
                    .map(ready_at)
                    .max()
                    .unwrap_or(plus(c0, READY_AFTER))
                    .min(secs(now).max(c0));
                if evicted {
                    let (msg, at) = match p.state {
                        State::Evicted(e) => (e.message.clone(), e.at.map(|a| a.at(now))),
                        _ => (None, None),
                    };
                    let at = at.unwrap_or(transition).max(c0);
                    let short = msg
                        .as_deref()
                        .and_then(|m| m.split(". ").next())
                        .map(|s| format!("{}.", s.trim_end_matches('.')))
                        .unwrap_or_else(|| "The node was low on resource: memory.".into());
                    conds.push(cond(
                        "DisruptionTarget",
                        true,
                        at,
                        Some("TerminationByKubelet"),
                        Some(short),
                    ));
                    conds.push(cond("PodReadyToStartContainers", false, at, None, None));
                    conds.push(cond("Initialized", true, plus(c0, 2), None, None));
                    conds.push(cond("Ready", false, at, Some("PodFailed"), None));
                    conds.push(cond("ContainersReady", false, at, Some("PodFailed"), None));
                } else {
                    conds.push(cond(
                        "PodReadyToStartContainers",
                        sandbox && !completed,
                        if completed { transition } else { plus(c0, 5) },
                        None,
                        None,
                    ));
                    let init_pending: Vec<&str> = wl
                    .init_containers
                    .iter()
                    .zip(&init_plans)
                    .filter(|(_, pl)| !matches!(&pl.state, CState::Terminated(t) if t.exit_code == 0))
                    .map(|(c, _)| c.name.as_str())
                    .collect();
                    if init_pending.is_empty() {
                        conds.push(cond(
                            "Initialized",
                            true,
                            plus(
                                c0,
                                if wl.init_containers.is_empty() {
                                    2
                                } else {
                                    INIT_END
                                },
                            ),
                            None,
                            None,
                        ));
                    } else {
                        conds.push(cond(
                            "Initialized",
                            false,
                            c0,
                            Some("ContainersNotInitialized"),
                            Some(format!(
                                "containers with incomplete status: [{}]",
                                init_pending.join(" ")
                            )),
                        ));
                    }
                    if completed {
                        conds.push(cond("Ready", false, transition, Some("PodCompleted"), None));
                        conds.push(cond(
                            "ContainersReady",
                            false,
                            transition,
                            Some("PodCompleted"),
                            None,
                        ));
                    } else if unready.is_empty() {
                        conds.push(cond("Ready", true, transition, None, None));
                        conds.push(cond("ContainersReady", true, transition, None, None));
                    } else {
                        let msg =
                            format!("containers with unready status: [{}]", unready.join(" "));
                        conds.push(cond(
                            "Ready",
                            false,
                            transition,
                            Some("ContainersNotReady"),
                            Some(msg.clone()),
                        ));
                        conds.push(cond(
                            "ContainersReady",
                            false,
                            transition,
                            Some("ContainersNotReady"),
                            Some(msg),
                        ));
                    }
                }
                conds.push(cond("PodScheduled", true, c0, None, None));
            }

            if p.lean {
                // Lean pods keep the conditions kubectl and triage read.
                conds.retain(|c| c["type"] != "PodReadyToStartContainers");
                for c in &mut conds {
                    if let Some(m) = c.as_object_mut() {
                        m.remove("lastProbeTime");
                    }
                }
            }
            let conds = Value::Array(conds);
            if let Some(k) = cache_key {
                digests.conditions.insert(k, conds.clone());
            }
            conds
        }
    };
    st.insert("conditions".into(), conds);
    if evicted {
        if let State::Evicted(e) = p.state {
            st.insert(
                "message".into(),
                e.message
                    .clone()
                    .unwrap_or_else(|| "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91340Ki.".into())
                    .into(),
            );
        }
        st.insert("reason".into(), "Evicted".into());
    }
    let has_ip = !pending && !matches!(p.state, State::ContainerCreating);
    if let Some((_, host_ip)) = &p.node {
        st.insert("hostIP".into(), host_ip.as_str().into());
        if !p.lean {
            st.insert("hostIPs".into(), json!([{"ip": host_ip}]));
        }
    }
    let ip = if has_ip { p.ip.clone() } else { None };
    if let Some(ip) = &ip {
        st.insert("podIP".into(), ip.as_str().into());
        st.insert("podIPs".into(), json!([{"ip": ip}]));
    }
    if !pending {
        st.insert("startTime".into(), rfc3339(plus(c0, 2)).into());
    }
    if !evicted && !pending {
        if !wl.init_containers.is_empty() {
            let v: Vec<Value> = wl
                .init_containers
                .iter()
                .zip(&init_plans)
                .map(|(c, pl)| status_json(c, pl, true, ids, digests))
                .collect();
            st.insert("initContainerStatuses".into(), Value::Array(v));
        }
        let v: Vec<Value> = wl
            .containers
            .iter()
            .zip(&main_plans)
            .map(|(c, pl)| status_json(c, pl, false, ids, digests))
            .collect();
        st.insert("containerStatuses".into(), Value::Array(v));
    }
    st.insert("qosClass".into(), p.qos.into());

    let mut pod = JMap::new();
    pod.insert("kind".into(), "Pod".into());
    pod.insert("apiVersion".into(), "v1".into());
    pod.insert("metadata".into(), Value::Object(meta));
    pod.insert("spec".into(), spec);
    pod.insert("status".into(), Value::Object(st));
    let pod = Value::Object(pod);

    let terminating = matches!(p.state, State::Terminating(_));
    let ready = !pending && !evicted && !completed && unready.is_empty() && !main_plans.is_empty();
    let serving = has_ip && !evicted && !completed && !terminating && phase != "Failed";
    let active = phase != "Failed" && phase != "Succeeded";
    let (rec, specs) = records(&p, &init_plans, &main_plans, ip, ready, serving, active);
    Ok((pod, rec, specs))
}

/// The pod's record and its containers' specs for the node simulator.
fn records(
    p: &PodInput,
    init_plans: &[Plan],
    main_plans: &[Plan],
    ip: Option<String>,
    ready: bool,
    serving: bool,
    active: bool,
) -> (PodRec, Vec<ContainerSpec>) {
    let wl = p.wl;
    let ns = wl.namespace.as_str();
    let mut specs = Vec::new();
    if let Some((node, _)) = &p.node {
        for (c, pl) in wl
            .init_containers
            .iter()
            .zip(init_plans)
            .chain(wl.containers.iter().zip(main_plans))
        {
            let mut log = if pl.log { log_spec(c) } else { None };
            if let (Some(l), Some(h)) = (&mut log, pl.stopped_history) {
                l.history = h;
            }
            specs.push(ContainerSpec {
                namespace: ns.to_string(),
                pod: p.name.clone(),
                pod_uid: p.uid.clone(),
                container: c.name.clone(),
                node: node.clone(),
                image: c.image.clone(),
                command: process_command(c),
                restart_count: pl.restarts,
                log,
                behaviour: pl.behaviour.clone(),
                started_at: pl.started_at,
            });
        }
    }
    let rec = PodRec {
        namespace: ns.to_string(),
        name: p.name.clone(),
        uid: p.uid.clone(),
        labels: p.labels.clone(),
        ip,
        node: p.node.as_ref().map(|(n, _)| n.clone()),
        ready,
        serving,
        shape: p.shape.clone(),
        active,
    };
    (rec, specs)
}

/// Resolves a service's target port against a pod's container ports.
pub(crate) fn resolve_target(rec: &PodRec, target: &PortRef) -> Option<u16> {
    match target {
        PortRef::Number(n) => Some(*n),
        PortRef::Name(name) => rec
            .shape
            .ports
            .iter()
            .find(|(_, pn, _, _)| pn.as_deref() == Some(name.as_str()))
            .map(|(_, _, port, _)| *port),
    }
}
