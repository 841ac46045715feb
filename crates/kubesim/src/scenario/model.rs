//! The scenario file as written: a compact YAML description of a cluster
//! (documented in `docs/scenarios.md`). Every struct refuses unknown fields so
//! that a typo is reported with its line and column instead of being ignored.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::units::{Age, Dur, EnvValue, OrderedMap, PortRef, PortSpec};

pub(crate) type Map = BTreeMap<String, String>;

fn d_cluster() -> String {
    "brusmi".into()
}
fn d_version() -> String {
    "v1.36.2".into()
}
fn d_true() -> bool {
    true
}
fn d_os() -> String {
    "Ubuntu 22.04.4 LTS".into()
}
fn d_kernel() -> String {
    "5.15.0-105-generic".into()
}
fn d_runtime() -> String {
    "containerd://1.7.12".into()
}
fn d_arch() -> String {
    "amd64".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Scenario {
    #[serde(default = "d_cluster")]
    pub cluster: String,
    #[serde(default = "d_version")]
    pub version: String,
    /// Default age of nodes and namespaces (the cluster's age).
    #[serde(default)]
    pub age: Option<Age>,
    /// Free-form: a place for YAML anchors (`&smf`) reused with `<<: *smf`.
    #[serde(default, rename = "templates")]
    pub _templates: Option<de::IgnoredAny>,
    #[serde(default)]
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub namespaces: Vec<Namespace>,
    #[serde(default)]
    pub workloads: Vec<Workload>,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub ingresses: Vec<Ingress>,
    #[serde(default)]
    pub config_maps: Vec<ConfigMap>,
    #[serde(default)]
    pub secrets: Vec<Secret>,
    #[serde(default)]
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Node {
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub ip: String,
    #[serde(default)]
    pub age: Option<Age>,
    #[serde(default, rename = "podCIDR")]
    pub pod_cidr: Option<String>,
    #[serde(default)]
    pub labels: Map,
    #[serde(default)]
    pub annotations: Map,
    #[serde(default = "d_os")]
    pub os_image: String,
    #[serde(default = "d_kernel")]
    pub kernel: String,
    #[serde(default = "d_runtime")]
    pub runtime: String,
    #[serde(default = "d_arch")]
    pub arch: String,
    #[serde(default)]
    pub capacity: Map,
    #[serde(default)]
    pub allocatable: Option<Map>,
    #[serde(default)]
    pub taints: Vec<Taint>,
    #[serde(default = "d_true")]
    pub ready: bool,
    #[serde(default)]
    pub unschedulable: bool,
    #[serde(default)]
    pub boot_id: Option<String>,
    #[serde(default)]
    pub machine_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
    pub effect: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Namespace {
    pub name: String,
    #[serde(default)]
    pub age: Option<Age>,
    #[serde(default)]
    pub labels: Map,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum Kind {
    StatefulSet,
    Deployment,
    DaemonSet,
    Pod,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Workload {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub age: Option<Age>,
    #[serde(default)]
    pub replicas: Option<u32>,
    #[serde(default)]
    pub labels: Map,
    #[serde(default)]
    pub selector: Option<Map>,
    #[serde(default)]
    pub pod_labels: Map,
    #[serde(default)]
    pub annotations: Map,
    #[serde(default)]
    pub pod_annotations: Map,
    #[serde(default)]
    pub template_hash: Option<String>,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub node_selector: Map,
    #[serde(default)]
    pub host_network: bool,
    #[serde(default, rename = "static")]
    pub static_pod: bool,
    #[serde(default)]
    pub service_account: Option<String>,
    #[serde(default)]
    pub security_context: Option<serde_json::Value>,
    #[serde(default)]
    pub priority_class: Option<String>,
    #[serde(default)]
    pub restart_policy: Option<String>,
    #[serde(default)]
    pub termination_grace_period_seconds: Option<u32>,
    #[serde(default)]
    pub tolerations: Vec<serde_json::Value>,
    #[serde(default)]
    pub volumes: Vec<serde_json::Value>,
    #[serde(default)]
    pub init_containers: Vec<Container>,
    pub containers: Vec<Container>,
    #[serde(default)]
    pub pods: Vec<PodEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Container {
    pub name: String,
    pub image: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub entrypoint: Vec<String>,
    #[serde(default)]
    pub ports: Vec<PortSpec>,
    #[serde(default)]
    pub env: OrderedMap<EnvValue>,
    #[serde(default)]
    pub resources: Option<Resources>,
    #[serde(default)]
    pub probes: Probes,
    #[serde(default)]
    pub security_context: Option<serde_json::Value>,
    #[serde(default)]
    pub volume_mounts: Vec<serde_json::Value>,
    #[serde(default)]
    pub image_pull_policy: Option<String>,
    #[serde(default)]
    pub log: Option<LogCfg>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Resources {
    #[serde(default)]
    pub requests: Map,
    #[serde(default)]
    pub limits: Map,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Probes {
    #[serde(default)]
    pub liveness: Option<Probe>,
    #[serde(default)]
    pub readiness: Option<Probe>,
    #[serde(default)]
    pub startup: Option<Probe>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Probe {
    /// `"8080/healthz"`, `"http:8080/healthz"`, `"https:8443/livez"`.
    #[serde(default)]
    pub http: Option<String>,
    #[serde(default)]
    pub tcp: Option<PortRef>,
    #[serde(default)]
    pub exec: Option<Vec<String>>,
    #[serde(default)]
    pub delay: Option<Dur>,
    #[serde(default)]
    pub period: Option<Dur>,
    #[serde(default)]
    pub timeout: Option<Dur>,
    #[serde(default)]
    pub success_threshold: Option<u32>,
    #[serde(default)]
    pub failure_threshold: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StyleCfg {
    Smf,
    Java,
    Json,
    Nginx,
    Plain,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogCfg {
    pub style: StyleCfg,
    #[serde(default)]
    pub interval: Option<Dur>,
    #[serde(default)]
    pub history: Option<Dur>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PodEntry {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub suffix: Option<String>,
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub age: Option<Age>,
    #[serde(default)]
    pub state: State,
}

/// The state a pod is in, written `state: running` or `state: {crashloop: {...}}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum State {
    #[default]
    Running,
    /// Running, but a container fails its readiness probe (READY 0/1, STATUS Running).
    Unready(Target),
    /// One container finished (exit 0) while the others run: STATUS NotReady.
    NotReady(Target),
    CrashLoop(CrashLoop),
    /// The last instance just exited with an error, not restarted yet: STATUS Error.
    Error(Exited),
    /// The last instance was killed for memory: STATUS OOMKilled.
    OomKilled(Exited),
    Completed(Completed),
    Evicted(Evicted),
    Pending(Pending),
    ImagePullBackOff(ImagePull),
    ErrImagePull(ImagePull),
    ContainerCreating,
    /// Init:0/N — the first init container is still running.
    Init,
    Terminating(Terminating),
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Target {
    #[serde(default)]
    pub container: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CrashLoop {
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub restarts: Option<u32>,
    #[serde(default)]
    pub run: Option<Dur>,
    #[serde(default)]
    pub backoff: Option<Dur>,
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub signal: Option<i32>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub last_finished: Option<Age>,
    #[serde(default)]
    pub last_started: Option<Age>,
    #[serde(default)]
    pub process: Option<String>,
    #[serde(default)]
    pub running_now: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Exited {
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub restarts: Option<u32>,
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub signal: Option<i32>,
    #[serde(default)]
    pub finished: Option<Age>,
    #[serde(default)]
    pub run: Option<Dur>,
    #[serde(default)]
    pub process: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Completed {
    #[serde(default)]
    pub finished: Option<Age>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Evicted {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub at: Option<Age>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pending {
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImagePull {
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Terminating {
    #[serde(default)]
    pub since: Option<Age>,
}

const STATES: &[&str] = &[
    "running",
    "unready",
    "notready",
    "crashloop",
    "error",
    "oomkilled",
    "completed",
    "evicted",
    "pending",
    "unschedulable",
    "imagepullbackoff",
    "errimagepull",
    "containercreating",
    "init",
    "terminating",
];

fn state_named<E: de::Error>(name: &str) -> Result<State, E> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "running" => State::Running,
        "unready" => State::Unready(Target::default()),
        "notready" => State::NotReady(Target::default()),
        "crashloop" | "crashloopbackoff" => State::CrashLoop(CrashLoop::default()),
        "error" => State::Error(Exited::default()),
        "oomkilled" => State::OomKilled(Exited::default()),
        "completed" => State::Completed(Completed::default()),
        "evicted" => State::Evicted(Evicted::default()),
        "pending" | "unschedulable" => State::Pending(Pending::default()),
        "imagepullbackoff" => State::ImagePullBackOff(ImagePull::default()),
        "errimagepull" => State::ErrImagePull(ImagePull::default()),
        "containercreating" => State::ContainerCreating,
        "init" => State::Init,
        "terminating" => State::Terminating(Terminating::default()),
        _ => return Err(E::unknown_variant(name, STATES)),
    })
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = State;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a pod state: a name (running, crashloop, evicted, ...) or a mapping {crashloop: {...}}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<State, E> {
                state_named(v)
            }
            fn visit_unit<E: de::Error>(self) -> Result<State, E> {
                Ok(State::Running)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<State, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Ok(State::Running);
                };
                let st = match key.to_ascii_lowercase().as_str() {
                    "unready" => State::Unready(map.next_value()?),
                    "notready" => State::NotReady(map.next_value()?),
                    "crashloop" | "crashloopbackoff" => State::CrashLoop(map.next_value()?),
                    "error" => State::Error(map.next_value()?),
                    "oomkilled" => State::OomKilled(map.next_value()?),
                    "completed" => State::Completed(map.next_value()?),
                    "evicted" => State::Evicted(map.next_value()?),
                    "pending" | "unschedulable" => State::Pending(map.next_value()?),
                    "imagepullbackoff" => State::ImagePullBackOff(map.next_value()?),
                    "errimagepull" => State::ErrImagePull(map.next_value()?),
                    "terminating" => State::Terminating(map.next_value()?),
                    "running" | "containercreating" | "init" => {
                        map.next_value::<de::IgnoredAny>()?;
                        state_named(&key)?
                    }
                    _ => return Err(de::Error::unknown_variant(&key, STATES)),
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a pod has one state; found a second key {extra:?}"
                    )));
                }
                Ok(st)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Service {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub age: Option<Age>,
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default, rename = "clusterIP")]
    pub cluster_ip: Option<String>,
    #[serde(default, rename = "externalIPs")]
    pub external_ips: Vec<String>,
    #[serde(default, rename = "loadBalancerIP")]
    pub load_balancer_ip: Option<String>,
    pub ports: Vec<PortSpec>,
    #[serde(default)]
    pub selector: Option<Map>,
    #[serde(default)]
    pub labels: Option<Map>,
    #[serde(default)]
    pub annotations: Map,
    /// For a service without selector: the endpoint IPs (as the `kubernetes` service has).
    #[serde(default)]
    pub endpoints: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Ingress {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub age: Option<Age>,
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub labels: Map,
    #[serde(default)]
    pub annotations: Map,
    #[serde(default)]
    pub tls: Option<IngressTls>,
    pub rules: Vec<IngressRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IngressTls {
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct IngressRule {
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub path_type: Option<String>,
    pub service: String,
    pub port: PortRef,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigMap {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub age: Option<Age>,
    #[serde(default)]
    pub labels: Map,
    #[serde(default)]
    pub annotations: Map,
    #[serde(default)]
    pub data: Map,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Secret {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub age: Option<Age>,
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub labels: Map,
    #[serde(default)]
    pub annotations: Map,
    /// Plain values, stored base64-encoded in `data`.
    #[serde(default)]
    pub string_data: Map,
    /// Values already base64-encoded.
    #[serde(default)]
    pub data: Map,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Event {
    #[serde(default)]
    pub namespace: Option<String>,
    /// `pod/smf-service-n0-0`, `node/worker2`, `deployment/foo`.
    pub object: String,
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub field_path: Option<String>,
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    pub reason: String,
    pub message: String,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub first_seen: Option<Age>,
    #[serde(default)]
    pub last_seen: Option<Age>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
}
