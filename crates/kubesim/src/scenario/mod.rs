//! Scenarios: what the simulated cluster contains.
//!
//! A scenario is a compact YAML description (nodes, namespaces, workloads with
//! their pods and states, services, ingresses, config maps, secrets, events;
//! every time an age such as "6d" or "7h1m") expanded into the fully formed
//! API objects a real kube-apiserver would return, so that the cluster always
//! looks freshly observed. The expansion also says, for every container bound
//! to a node, what the simulated kubelet must do with it (write which log,
//! crash how often) — see [`ContainerSpec`]. The format is documented for
//! users in `docs/scenarios.md`; the default scenario (`scenarios/smf.yaml`)
//! is the cluster of the troubleshooting guide.
//!
//! [`scale`] builds large clusters programmatically for benchmarks, and
//! [`log_line`], [`startup_lines`], [`panic_lines`] make the log text the
//! simulated containers write.

mod expand;
mod ids;
mod logs;
mod model;
mod pods;
mod scale;
mod units;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use logs::{PLANTED_API_TOKEN, PLANTED_DB_PASSWORD, log_line, panic_lines, startup_lines};
pub use scale::scale;

/// The default scenario: the guide's SMF cluster.
pub const SMF_YAML: &str = include_str!("../../scenarios/smf.yaml");

/// A simulated cluster: its API objects and what runs on its nodes.
#[derive(Debug, Clone)]
pub struct World {
    /// Cluster name ("brusmi").
    pub cluster: String,
    /// Kubernetes version reported by nodes and `/version` ("v1.36.2").
    pub version: String,
    /// Every API object, fully formed as a real API server returns it, without
    /// `metadata.resourceVersion` (the store sets it). Kinds: Namespace, Node,
    /// Pod, Service, Endpoints, Event, ConfigMap, Secret, Deployment,
    /// ReplicaSet, StatefulSet, DaemonSet, Ingress.
    pub objects: Vec<serde_json::Value>,
    /// The nodes, in scenario order.
    pub nodes: Vec<NodeSpec>,
    /// One per container (init containers too) of every pod bound to a node.
    pub containers: Vec<ContainerSpec>,
}

impl World {
    /// The objects of one kind.
    pub fn of_kind<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a serde_json::Value> + 'a {
        self.objects.iter().filter(move |o| o["kind"] == kind)
    }

    /// One object by kind, namespace ("" for cluster-scoped kinds) and name.
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<&serde_json::Value> {
        self.objects.iter().find(|o| {
            o["kind"] == kind
                && o["metadata"]["name"] == name
                && o["metadata"]["namespace"].as_str().unwrap_or("") == namespace
        })
    }
}

/// A node as the node simulator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub name: String,
    pub internal_ip: String,
    /// 32 lowercase hex digits, as in core dump file names (also `status.nodeInfo.bootID`).
    pub boot_id: String,
}

/// One container of a pod bound to a node, and how the simulated kubelet runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    pub namespace: String,
    pub pod: String,
    pub pod_uid: String,
    pub container: String,
    pub node: String,
    pub image: String,
    /// The process started: the pod spec's command + args, else the image's entrypoint.
    pub command: Vec<String>,
    /// The current instance's number (= `restartCount` in the pod status; the
    /// kubelet's log file is `<restart_count>.log`).
    pub restart_count: u32,
    /// None: the container writes no log (it never started, e.g. Evicted, ImagePullBackOff).
    pub log: Option<LogSpec>,
    pub behaviour: Behaviour,
    /// Start of the current instance (or the pod's creation if it never started).
    pub started_at: jiff::Timestamp,
}

/// What a container logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSpec {
    pub style: LogStyle,
    /// Time between two lines.
    pub interval: Duration,
    /// How far back from its start the log is backfilled (never before `started_at`).
    pub history: Duration,
}

/// The kind of text a container writes (see [`log_line`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogStyle {
    /// The guide's smf-service lines (`2020/06/09 20:44:28.157 smf-service [DEBUG] [RestRouter.go:24] ...`).
    Smf,
    /// Zookeeper / Kafka (log4j).
    Java,
    /// etcd (zap JSON).
    Json,
    /// nginx access and error log.
    Nginx,
    /// klog / logfmt style plain lines.
    Plain,
}

/// How a container behaves over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Runs and logs forever.
    Steady,
    /// Runs `run`, exits with `exit_code` (dumping core as `process`, owned by
    /// `uid`, when `signal` is set), waits `backoff`, is restarted, and so on.
    CrashLoop {
        run: Duration,
        backoff: Duration,
        exit_code: i32,
        /// The signal recorded in the core dump (the API shows only the exit code).
        signal: Option<i32>,
        /// `comm` of the crashing process (core dump file name).
        process: String,
        /// The process's user (runAsUser).
        uid: u32,
        /// True: instance `restart_count` is running since `started_at`.
        /// False: it ended at `last_finished` and the kubelet is backing off.
        running_now: bool,
        /// End of the last instance that terminated.
        last_finished: jiff::Timestamp,
    },
    /// Not running: finished (Completed) or never started. Logs, if any, were
    /// written between `started_at` and `started_at + log.history`.
    Stopped,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The YAML is malformed or does not fit the format (unknown field, wrong type); the message has line and column.
    #[error("scenario: {0}")]
    Parse(String),
    /// The YAML is well formed but inconsistent (unknown node, duplicate name, bad IP, ...).
    #[error("scenario: {field}: {message}")]
    Invalid { field: String, message: String },
}

impl ScenarioError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The default scenario (`scenarios/smf.yaml`, embedded): the guide's cluster.
pub fn smf(now: jiff::Timestamp) -> Result<World, ScenarioError> {
    from_yaml(SMF_YAML, now)
}

/// Loads a scenario file.
pub fn load_file(path: &Path, now: jiff::Timestamp) -> Result<World, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_yaml(&text, now)
}

/// Expands a scenario written in YAML, every age taken relative to `now`.
pub fn from_yaml(text: &str, now: jiff::Timestamp) -> Result<World, ScenarioError> {
    let scenario: model::Scenario =
        serde_saphyr::from_str(text).map_err(|e| ScenarioError::Parse(e.to_string()))?;
    expand::expand(&scenario, now)
}
