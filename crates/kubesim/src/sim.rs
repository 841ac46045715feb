//! Starting and stopping a whole simulated cluster: scenario → store →
//! kubelets → HTTPS API server, and the kubeconfig that reaches it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::api::{self, ApiState, ServiceUpstreams};
use crate::fault::Faults;
use crate::kubelet::{Kubelet, KubeletConfig};
use crate::metrics::{self, CrashTimings};
use crate::prometheus::{Prometheus, PrometheusError};
use crate::scenario::{self, World};
use crate::store::Store;
use crate::tls;

/// Which world to simulate.
#[derive(Debug, Clone)]
pub enum Scenario {
    /// The guide's SMF cluster (the default).
    Smf,
    /// A scenario file (see docs/scenarios.md).
    File(PathBuf),
    /// A generated cluster of this many nodes and pods.
    Scale { nodes: usize, pods: usize },
}

/// Builds the node agent's HTTP app for one node (its name and directory).
/// kubetac passes its real agent here; kubesim depends on nothing of it.
pub type AgentFactory = Arc<dyn Fn(&str, &std::path::Path) -> axum::Router + Send + Sync>;

/// How much history the simulator's Prometheus holds, ending at the start.
pub const PROMETHEUS_HISTORY: Duration = Duration::from_secs(3 * 3600);

/// A Service whose proxy (`services/{name}[:port]/proxy/...`) forwards to
/// a real HTTP server on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUpstream {
    pub namespace: String,
    pub name: String,
    /// `http://host:port[/prefix]`.
    pub url: String,
}

impl std::str::FromStr for ServiceUpstream {
    type Err = String;

    /// `NAMESPACE/NAME=URL`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{s:?}: expected NAMESPACE/NAME=URL, like cee-cee/prometheus=http://127.0.0.1:9090"
            )
        };
        let (svc, url) = s.split_once('=').ok_or_else(bad)?;
        let (namespace, name) = svc.split_once('/').ok_or_else(bad)?;
        if namespace.is_empty() || name.is_empty() || name.contains('/') {
            return Err(bad());
        }
        api::parse_upstream(url).map_err(|e| format!("{s:?}: {e}"))?;
        Ok(ServiceUpstream {
            namespace: namespace.to_string(),
            name: name.to_string(),
            url: url.to_string(),
        })
    }
}

#[derive(Clone)]
pub struct SimConfig {
    pub scenario: Scenario,
    pub addr: SocketAddr,
    /// Where node directories live; a fresh temporary one (removed on stop)
    /// when None.
    pub state_dir: Option<PathBuf>,
    /// Where to write the kubeconfig; `<state-dir>/kubeconfig` when None.
    pub kubeconfig_out: Option<PathBuf>,
    pub faults: Faults,
    pub log_interval: Option<Duration>,
    pub crash_period: Option<Duration>,
    pub log_max_size: u64,
    pub log_max_files: usize,
    pub bookmark_interval: Duration,
    /// When set, every node runs this agent as a DaemonSet pod in namespace
    /// `kubetac`, reachable through the pod proxy.
    pub agent: Option<AgentFactory>,
    /// Services whose proxy forwards to a real server; every other Service
    /// answers 503 "no endpoints available", as one without endpoints does.
    pub service_upstreams: Vec<ServiceUpstream>,
    /// Run a real Prometheus (Debian's `prometheus` package) holding the last
    /// [`PROMETHEUS_HISTORY`] of synthetic container metrics, behind the
    /// proxy of the Service named `prometheus` (one in namespace `monitoring`
    /// is added when the scenario has none).
    pub prometheus: bool,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("scenario", &self.scenario)
            .field("addr", &self.addr)
            .field("state_dir", &self.state_dir)
            .field("faults", &self.faults)
            .field("agent", &self.agent.is_some())
            .field("service_upstreams", &self.service_upstreams)
            .field("prometheus", &self.prometheus)
            .finish_non_exhaustive()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            scenario: Scenario::Smf,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: None,
            kubeconfig_out: None,
            faults: Faults::default(),
            log_interval: None,
            crash_period: None,
            log_max_size: 64 * 1024,
            log_max_files: 5,
            bookmark_interval: Duration::from_secs(10),
            agent: None,
            service_upstreams: Vec::new(),
            prometheus: false,
        }
    }
}

/// Why the simulator could not start; each names the step that failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario could not be read or expanded.
    #[error("scenario: {0}")]
    Scenario(#[from] scenario::ScenarioError),
    /// The listening address is taken or not ours.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The state directory could not be prepared.
    #[error("preparing the state directory {path}: {source}")]
    StateDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The world has an object the store refuses.
    #[error("loading the world: {0}")]
    Load(#[from] crate::store::StoreError),
    /// A service upstream names no Service of the world, or no usable URL.
    #[error("service upstream {0}")]
    ServiceUpstream(String),
    /// The simulator's Prometheus could not be prepared or started.
    #[error(transparent)]
    Prometheus(#[from] PrometheusError),
}

/// A running simulated cluster. Dropping it without `stop` leaves the
/// server running until the runtime ends (its Prometheus, if any, is killed).
pub struct Sim {
    pub addr: SocketAddr,
    pub cluster: String,
    pub token: String,
    pub ca_pem: String,
    pub state_dir: PathBuf,
    pub kubeconfig_path: PathBuf,
    pub store: Arc<Store>,
    pub kubelet: Arc<Kubelet>,
    pods: usize,
    nodes: usize,
    temp: bool,
    shutdown: CancellationToken,
    handle: axum_server::Handle<SocketAddr>,
    server: tokio::task::JoinHandle<()>,
    api: Arc<ApiState>,
    prometheus: Option<Prometheus>,
    prometheus_service: Option<(String, String)>,
    crash_timings: Arc<CrashTimings>,
}

fn temp_state_dir() -> PathBuf {
    std::env::temp_dir().join(format!(
        "kubesim-{}-{}",
        std::process::id(),
        tls::random_token().get(..8).unwrap_or("x")
    ))
}

impl Sim {
    pub async fn start(cfg: SimConfig) -> Result<Sim, SimError> {
        let now = jiff::Timestamp::now();
        let world: World = match &cfg.scenario {
            Scenario::Smf => scenario::smf(now)?,
            Scenario::File(p) => scenario::load_file(p, now)?,
            Scenario::Scale { nodes, pods } => scenario::scale(*nodes, *pods, now),
        };
        let temp = cfg.state_dir.is_none();
        let state_dir = cfg.state_dir.clone().unwrap_or_else(temp_state_dir);
        std::fs::create_dir_all(&state_dir).map_err(|source| SimError::StateDir {
            path: state_dir.display().to_string(),
            source,
        })?;
        let listener = std::net::TcpListener::bind(cfg.addr).map_err(|source| SimError::Bind {
            addr: cfg.addr,
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| SimError::Bind {
                addr: cfg.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: cfg.addr,
            source,
        })?;

        let mut world = world;
        if cfg.agent.is_some() {
            add_agent_daemonset(&mut world, now);
        }
        let prometheus_svc = cfg.prometheus.then(|| prometheus_service(&mut world, now));
        let crash_timings = Arc::new(metrics::crash_timings(&world.containers));
        let store = Arc::new(Store::default());
        let pods = world.objects.iter().filter(|o| o["kind"] == "Pod").count();
        let nodes = world.nodes.len();
        store.load(world.objects)?;
        // Upstreams and Prometheus come before the kubelets start, so that a
        // refusal leaves nothing running.
        let services = ServiceUpstreams::default();
        for u in &cfg.service_upstreams {
            if store
                .get(
                    crate::resources::index_of("services"),
                    &u.namespace,
                    &u.name,
                )
                .is_none()
            {
                return Err(SimError::ServiceUpstream(format!(
                    "{}/{}: the scenario has no such Service",
                    u.namespace, u.name
                )));
            }
            services.set(&u.namespace, &u.name, &u.url).map_err(|e| {
                SimError::ServiceUpstream(format!("{}/{}: {e}", u.namespace, u.name))
            })?;
        }
        let prometheus = match prometheus_svc.clone() {
            None => None,
            Some((ns, name)) => {
                let (store, timings) = (store.clone(), crash_timings.clone());
                let from =
                    now - jiff::SignedDuration::try_from(PROMETHEUS_HISTORY).unwrap_or_default();
                let p = Prometheus::start(&state_dir.join("prometheus"), move |out| {
                    metrics::write_openmetrics(
                        &store,
                        &timings,
                        from,
                        now,
                        metrics::DEFAULT_STEP,
                        out,
                    )
                })
                .await;
                let p = match p {
                    Ok(p) => p,
                    Err(e) => {
                        if temp {
                            let _ = std::fs::remove_dir_all(&state_dir);
                        }
                        return Err(e.into());
                    }
                };
                // An upstream the caller named for the same Service wins.
                let named = cfg
                    .service_upstreams
                    .iter()
                    .any(|u| u.namespace == ns && u.name == name);
                if !named {
                    services
                        .set(&ns, &name, p.url())
                        .map_err(|e| SimError::ServiceUpstream(format!("{ns}/{name}: {e}")))?;
                }
                Some(p)
            }
        };
        let shutdown = CancellationToken::new();
        let mut kcfg = KubeletConfig::new(state_dir.clone());
        kcfg.log_interval = cfg.log_interval;
        kcfg.crash_period = cfg.crash_period;
        kcfg.log_max_size = cfg.log_max_size;
        kcfg.log_max_files = cfg.log_max_files;
        let state_err = |source| SimError::StateDir {
            path: state_dir.display().to_string(),
            source,
        };
        let world_nodes: Vec<String> = world.nodes.iter().map(|n| n.name.clone()).collect();
        let kubelet = Kubelet::new(
            kcfg,
            store.clone(),
            world.nodes,
            world.containers,
            shutdown.clone(),
        )
        .map_err(state_err)?;
        kubelet.start().map_err(state_err)?;

        let identity = tls::generate(&[])?;
        let token = tls::random_token();
        let server_url = format!("https://{addr}");
        let kubeconfig_path = cfg
            .kubeconfig_out
            .clone()
            .unwrap_or_else(|| state_dir.join("kubeconfig"));
        tls::write_private(
            &kubeconfig_path,
            &tls::kubeconfig(&world.cluster, &server_url, &identity.ca_pem, &token, None),
        )?;

        let mut agents = std::collections::HashMap::new();
        if let Some(factory) = &cfg.agent {
            for node in world_nodes.iter() {
                let root = state_dir.join("nodes").join(node);
                agents.insert(node.clone(), factory(node, &root));
            }
        }
        let state = Arc::new(ApiState {
            store: store.clone(),
            kubelet: kubelet.clone(),
            token: token.clone(),
            version: world.version.clone(),
            server_address: std::sync::OnceLock::new(),
            faults: cfg.faults.clone(),
            bookmark_interval: cfg.bookmark_interval,
            shutdown: shutdown.clone(),
            agents,
            services,
        });
        let _ = state.server_address.set(addr.to_string());
        let app = api::app(state.clone());
        let handle = axum_server::Handle::new();
        let rustls_cfg =
            axum_server::tls_rustls::RustlsConfig::from_config(identity.server_config.clone());
        let server = axum_server::from_tcp_rustls(listener, rustls_cfg)
            .map_err(|source| SimError::Bind { addr, source })?
            .handle(handle.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = server.serve(app.into_make_service()).await {
                tracing::error!("kubesim server stopped: {e}");
            }
        });
        Ok(Sim {
            addr,
            cluster: world.cluster,
            token,
            ca_pem: identity.ca_pem,
            state_dir,
            kubeconfig_path,
            store,
            kubelet,
            pods,
            nodes,
            temp,
            shutdown,
            handle,
            server: task,
            api: state,
            prometheus,
            prometheus_service: prometheus_svc,
            crash_timings,
        })
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn pod_count(&self) -> usize {
        self.pods
    }

    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// The simulator's Prometheus (`http://127.0.0.1:PORT`), when
    /// `SimConfig::prometheus` started one.
    pub fn prometheus_url(&self) -> Option<&str> {
        self.prometheus.as_ref().map(Prometheus::url)
    }

    /// The Service (namespace, name) whose proxy reaches the simulator's
    /// Prometheus, when it runs one.
    pub fn prometheus_service(&self) -> Option<(&str, &str)> {
        self.prometheus_service
            .as_ref()
            .map(|(ns, n)| (ns.as_str(), n.as_str()))
    }

    /// Routes a Service's proxy to `url` (`http://host:port[/prefix]`) from
    /// now on, replacing any earlier upstream.
    pub fn set_service_upstream(
        &self,
        namespace: &str,
        name: &str,
        url: &str,
    ) -> Result<(), SimError> {
        let what = format!("{namespace}/{name}");
        if self
            .store
            .get(crate::resources::index_of("services"), namespace, name)
            .is_none()
        {
            return Err(SimError::ServiceUpstream(format!(
                "{what}: the scenario has no such Service"
            )));
        }
        self.api
            .services
            .set(namespace, name, url)
            .map_err(|e| SimError::ServiceUpstream(format!("{what}: {e}")))
    }

    /// Writes the synthetic metric history of the cluster as it is now over
    /// [from, to] in OpenMetrics text (see [`metrics::write_openmetrics`]).
    pub fn write_metrics_history(
        &self,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
        step: Duration,
        out: impl std::io::Write,
    ) -> std::io::Result<()> {
        metrics::write_openmetrics(&self.store, &self.crash_timings, from, to, step, out)
    }

    /// Stops serving: open watches and log streams end, the state directory
    /// is removed if it was a temporary one.
    pub async fn stop(self) {
        if let Some(p) = self.prometheus {
            p.stop().await;
        }
        self.shutdown.cancel();
        self.kubelet.stop();
        self.handle.graceful_shutdown(Some(Duration::from_secs(2)));
        let _ = tokio::time::timeout(Duration::from_secs(5), self.server).await;
        if self.temp {
            let _ = std::fs::remove_dir_all(&self.state_dir);
        }
    }
}

/// The Service the simulator's Prometheus is reached through: the
/// scenario's own `prometheus` (the first by namespace), else a new
/// `monitoring/prometheus` with port web:9090, as the common charts name it.
fn prometheus_service(world: &mut World, now: jiff::Timestamp) -> (String, String) {
    use serde_json::json;
    let mut found: Vec<String> = world
        .of_kind("Service")
        .filter(|s| s["metadata"]["name"] == "prometheus")
        .filter_map(|s| s["metadata"]["namespace"].as_str().map(str::to_string))
        .collect();
    found.sort();
    if let Some(ns) = found.into_iter().next() {
        return (ns, "prometheus".into());
    }
    let created = (now - jiff::SignedDuration::from_hours(24))
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let has_ns = world
        .objects
        .iter()
        .any(|o| o["kind"] == "Namespace" && o["metadata"]["name"] == "monitoring");
    if !has_ns {
        world.objects.push(json!({"kind": "Namespace", "apiVersion": "v1",
            "metadata": {"name": "monitoring", "uid": crate::kubelet::uuid_like("ns/monitoring"), "creationTimestamp": created, "labels": {"kubernetes.io/metadata.name": "monitoring"}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}));
    }
    world.objects.push(json!({"kind": "Service", "apiVersion": "v1",
        "metadata": {"name": "prometheus", "namespace": "monitoring", "uid": crate::kubelet::uuid_like("svc/monitoring/prometheus"), "creationTimestamp": created, "labels": {"app.kubernetes.io/name": "prometheus"}},
        "spec": {"ports": [{"name": "web", "protocol": "TCP", "port": 9090, "targetPort": 9090}], "selector": {"app.kubernetes.io/name": "prometheus"},
            "clusterIP": "10.96.90.90", "clusterIPs": ["10.96.90.90"], "type": "ClusterIP", "sessionAffinity": "None",
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"},
        "status": {"loadBalancer": {}}}));
    ("monitoring".into(), "prometheus".into())
}

/// The node agent's DaemonSet and one pod per node, as `deploy/agent/`
/// would create them, in namespace `kubetac`.
fn add_agent_daemonset(world: &mut World, now: jiff::Timestamp) {
    use serde_json::json;
    let created = (now - jiff::SignedDuration::from_hours(24))
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let has_ns = world
        .objects
        .iter()
        .any(|o| o["kind"] == "Namespace" && o["metadata"]["name"] == "kubetac");
    if !has_ns {
        world.objects.push(json!({"kind": "Namespace", "apiVersion": "v1",
            "metadata": {"name": "kubetac", "uid": crate::kubelet::uuid_like("ns/kubetac"), "creationTimestamp": created, "labels": {"kubernetes.io/metadata.name": "kubetac"}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}));
    }
    let ds_uid = crate::kubelet::uuid_like("ds/kubetac-agent");
    let labels = json!({"app.kubernetes.io/name": "kubetac-agent", "app.kubernetes.io/part-of": "kubetac", "controller-revision-hash": "6d9f8b7c5d", "pod-template-generation": "1"});
    let n = world.nodes.len();
    let container = json!({
        "name": "agent", "image": "ghcr.io/kubetac/kubetac:0.1.0",
        "args": ["agent", "--root", "/host", "--addr", "0.0.0.0:9123"],
        "ports": [{"name": "agent", "containerPort": 9123, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}},
        "volumeMounts": [
            {"name": "coredump", "mountPath": "/host/var/lib/systemd/coredump", "readOnly": true},
            {"name": "varlog", "mountPath": "/host/var/log", "readOnly": true}
        ],
        "securityContext": {"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"
    });
    world.objects.push(json!({"kind": "DaemonSet", "apiVersion": "apps/v1",
        "metadata": {"name": "kubetac-agent", "namespace": "kubetac", "uid": ds_uid, "generation": 1, "creationTimestamp": created, "labels": {"app.kubernetes.io/name": "kubetac-agent"}},
        "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "kubetac-agent"}},
            "template": {"metadata": {"labels": {"app.kubernetes.io/name": "kubetac-agent"}}, "spec": {"containers": [container.clone()]}},
            "updateStrategy": {"type": "RollingUpdate"}, "revisionHistoryLimit": 10},
        "status": {"currentNumberScheduled": n, "numberMisscheduled": 0, "desiredNumberScheduled": n, "numberReady": n, "observedGeneration": 1, "updatedNumberScheduled": n, "numberAvailable": n}}));
    for (i, node) in world.nodes.iter().enumerate() {
        let suffix: String = crate::kubelet::uuid_like(&format!("agent/{}", node.name))
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(5)
            .collect();
        let name = format!("kubetac-agent-{suffix}");
        let uid = crate::kubelet::uuid_like(&format!("pod/{name}"));
        let ip = format!("10.244.{}.{}", 200 + i / 250, 2 + i % 250);
        world.objects.push(json!({"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "kubetac", "uid": uid, "creationTimestamp": created, "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "kubetac-agent", "uid": ds_uid, "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"nodeName": node.name, "containers": [container.clone()], "restartPolicy": "Always", "serviceAccountName": "kubetac-agent", "serviceAccount": "kubetac-agent", "tolerations": [{"operator": "Exists"}]},
            "status": {"phase": "Running", "hostIP": node.internal_ip, "hostIPs": [{"ip": node.internal_ip}], "podIP": ip, "podIPs": [{"ip": ip}], "startTime": created, "qosClass": "Burstable",
                "conditions": [
                    {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": created},
                    {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": created},
                    {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": created},
                    {"type": "ContainersReady", "status": "True", "lastProbeTime": null, "lastTransitionTime": created},
                    {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": created}],
                "containerStatuses": [{"name": "agent", "state": {"running": {"startedAt": created}}, "lastState": {}, "ready": true, "restartCount": 0,
                    "image": "ghcr.io/kubetac/kubetac:0.1.0", "imageID": "ghcr.io/kubetac/kubetac@sha256:5d41402abc4b2a76b9719d911017c592", "containerID": crate::kubelet::container_id(&uid, "agent", 0), "started": true}]}}));
    }
}
