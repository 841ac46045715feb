//! Expansion of a parsed scenario into the world: checks that names refer to
//! something that exists, places pods on nodes and gives them addresses, then
//! builds every API object (nodes, namespaces, workloads with their replica
//! sets and pods, services with endpoints, ingresses, config maps, secrets,
//! events). Errors name the offending field, e.g.
//! `workloads[3] (smf-data/smf-service-n0).pods[0].node`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Display;
use std::net::Ipv4Addr;
use std::sync::Arc;

use base64::Engine;
use jiff::Timestamp;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::{Map as JMap, Value, json};

use super::ids::Ids;
use super::model::{self, Kind, Map, PodEntry, Scenario, State};
use super::pods::{self, Digests, PodInput, PodRec};
use super::units::{Age, Cidr, PortRef, PortSpec, plus, rfc3339, secs};
use super::{ContainerSpec, NodeSpec, ScenarioError, World};

const FAKE_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIKubesimCAwDQYJKoZIhvcNAQELBQAwFTETMBEGA1UEAxMK\na3ViZXJuZXRlczAeFw0yNjExMTgxNzE4MDlaFw0zNjExMTYxNzIzMDlaMBUxEzAR\nBgNVBAMTCmt1YmVybmV0ZXMwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIB\nAQDkubesimkubesimkubesimkubesimkubesimkubesimkubesimkubesimkubesim\n-----END CERTIFICATE-----\n";

/// A JSON object built by moving the values in (`json!` would copy them).
macro_rules! obj {
    ($($k:literal : $v:expr),* $(,)?) => {{
        let mut m = serde_json::Map::new();
        $( m.insert($k.to_string(), serde_json::Value::from($v)); )*
        serde_json::Value::Object(m)
    }};
}

struct NodeInfo {
    uid: String,
    ip: String,
    labels: Map,
    cidr: Cidr,
    next: u32,
    schedulable: bool,
}

#[derive(Clone)]
struct ObjRef {
    uid: String,
    kind: &'static str,
    api_version: &'static str,
    pod: Option<usize>,
}

impl ObjRef {
    fn new(kind: &'static str, api_version: &'static str, uid: &str, pod: Option<usize>) -> Self {
        ObjRef {
            uid: uid.to_string(),
            kind,
            api_version,
            pod,
        }
    }
}

pub(crate) struct Ctx<R: Rng> {
    now: Timestamp,
    ids: Ids<R>,
    digests: Digests,
    lean: bool,
    objects: Vec<Value>,
    nodes: Vec<NodeSpec>,
    containers: Vec<ContainerSpec>,
    node_info: HashMap<String, NodeInfo>,
    node_order: Vec<String>,
    ns_created: HashMap<String, Timestamp>,
    pods: Vec<PodRec>,
    /// hash of (namespace, label key, label value) → pods
    pod_labels: HashMap<u64, Vec<usize>>,
    index: HashMap<(&'static str, String, String), ObjRef>,
    used_ips: HashSet<u32>,
    used_cluster_ips: HashSet<u32>,
    used_node_ports: HashSet<u16>,
    rr: usize,
    default_age: Age,
    /// Pods that events refer to, by namespace.
    event_pods: HashMap<String, HashSet<String>>,
}

/// Expands a scenario (random UIDs).
pub(crate) fn expand(s: &Scenario, now: Timestamp) -> Result<World, ScenarioError> {
    expand_with(s, now, false, SmallRng::from_rng(&mut rand::rng()))
}

pub(crate) fn expand_with<R: Rng>(
    s: &Scenario,
    now: Timestamp,
    lean: bool,
    rng: R,
) -> Result<World, ScenarioError> {
    let now = secs(now);
    let mut ctx = Ctx {
        now,
        ids: Ids::new(rng),
        digests: Digests::new(),
        lean,
        objects: Vec::new(),
        nodes: Vec::new(),
        containers: Vec::new(),
        node_info: HashMap::new(),
        node_order: Vec::new(),
        ns_created: HashMap::new(),
        pods: Vec::new(),
        pod_labels: HashMap::new(),
        index: HashMap::new(),
        used_ips: HashSet::new(),
        used_cluster_ips: HashSet::new(),
        used_node_ports: HashSet::new(),
        rr: 0,
        event_pods: HashMap::new(),
        default_age: s
            .age
            .unwrap_or(Age::ago(std::time::Duration::from_secs(7 * 86400))),
    };
    // Room for everything up front (capped: a typo such as replicas: 100000000
    // should fail on its own, not in a reservation).
    let pods: usize = s
        .workloads
        .iter()
        .map(|w| w.pods.len().max(w.replicas.unwrap_or(1) as usize))
        .sum::<usize>()
        .min(1 << 21);
    let containers: usize = s
        .workloads
        .iter()
        .map(|w| {
            w.pods.len().max(w.replicas.unwrap_or(1) as usize)
                * (w.containers.len() + w.init_containers.len())
        })
        .sum::<usize>()
        .min(1 << 22);
    ctx.objects.reserve(
        s.nodes.len()
            + 2 * s.namespaces.len()
            + 2 * s.workloads.len()
            + pods
            + 2 * s.services.len()
            + s.events.len()
            + 64,
    );
    ctx.containers.reserve(containers);
    ctx.pods.reserve(pods);
    ctx.index
        .reserve(pods + s.workloads.len() * 2 + s.services.len() * 2 + 64);
    ctx.used_ips.reserve(pods + s.nodes.len() + 16);
    ctx.pod_labels.reserve(pods + 4 * s.workloads.len() + 16);
    ctx.node_info.reserve(s.nodes.len());
    ctx.node_order.reserve(s.nodes.len());
    ctx.nodes.reserve(s.nodes.len());
    for e in &s.events {
        if let (Some((kind, name)), Some(ns)) = (e.object.split_once('/'), &e.namespace)
            && kind_of(kind).is_some_and(|(k, _, _)| k == "Pod")
        {
            ctx.event_pods
                .entry(ns.clone())
                .or_default()
                .insert(name.to_string());
        }
    }
    ctx.reserve(s)?;
    for (i, n) in s.nodes.iter().enumerate() {
        ctx.node(n, i, &s.version)?;
    }
    for (i, ns) in s.namespaces.iter().enumerate() {
        ctx.namespace(ns, i)?;
    }
    for (i, w) in s.workloads.iter().enumerate() {
        ctx.workload(w, &format!("workloads[{i}] ({}/{})", w.namespace, w.name))?;
    }
    for (i, svc) in s.services.iter().enumerate() {
        ctx.service(
            svc,
            &format!("services[{i}] ({}/{})", svc.namespace, svc.name),
        )?;
    }
    for (i, ing) in s.ingresses.iter().enumerate() {
        ctx.ingress(
            ing,
            &format!("ingresses[{i}] ({}/{})", ing.namespace, ing.name),
        )?;
    }
    for (i, cm) in s.config_maps.iter().enumerate() {
        ctx.config_map(
            cm,
            &format!("configMaps[{i}] ({}/{})", cm.namespace, cm.name),
        )?;
    }
    for (i, sec) in s.secrets.iter().enumerate() {
        ctx.secret(
            sec,
            &format!("secrets[{i}] ({}/{})", sec.namespace, sec.name),
        )?;
    }
    for (i, ev) in s.events.iter().enumerate() {
        ctx.event(ev, &format!("events[{i}]"))?;
    }
    Ok(World {
        cluster: s.cluster.clone(),
        version: s.version.clone(),
        objects: ctx.objects,
        nodes: ctx.nodes,
        containers: ctx.containers,
    })
}

/// Makes sure the allocator has room for the next few hundred pods.
///
/// A pod is some 150 small allocations. In threads other than the main one
/// (every test, every scale partition) glibc grows its heap one page per
/// `mprotect` call, which made that system call most of the cost of a large
/// scenario. Taking and giving back one large block — never written, so it
/// costs no memory — lets the heap grow by the whole block at once, and the
/// freed space stays available below glibc's trim threshold (raised by this
/// same first block).
fn heap_headroom() {
    let block = Vec::<u8>::with_capacity(24 << 20);
    std::hint::black_box(&block);
    drop(block);
}

fn label_key(ns: &str, k: &str, v: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (ns, k, v).hash(&mut h);
    h.finish()
}

fn map_json(m: &Map) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

fn parse_ip(field: &str, s: &str) -> Result<Ipv4Addr, ScenarioError> {
    s.parse::<Ipv4Addr>()
        .map_err(|_| ScenarioError::invalid(field, format!("{s:?} is not an IPv4 address")))
}

fn matches(selector: &Map, labels: &Map) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn check_name(field: impl Display, name: &str) -> Result<(), ScenarioError> {
    if is_dns_label(name) {
        Ok(())
    } else {
        Err(ScenarioError::invalid(
            format!("{field}.name"),
            format!("{name:?} is not a valid name (lowercase letters, digits, '-' and '.')"),
        ))
    }
}

fn base_meta(
    name: &str,
    namespace: Option<&str>,
    uid: &str,
    created: Timestamp,
) -> JMap<String, Value> {
    let mut m = JMap::new();
    m.insert("name".into(), name.into());
    if let Some(ns) = namespace {
        m.insert("namespace".into(), ns.into());
    }
    m.insert("uid".into(), uid.into());
    m.insert("creationTimestamp".into(), rfc3339(created).into());
    m
}

fn put_map(m: &mut JMap<String, Value>, key: &str, v: &Map) {
    if !v.is_empty() {
        m.insert(key.into(), map_json(v));
    }
}

fn kind_of(word: &str) -> Option<(&'static str, &'static str, bool)> {
    Some(match word.to_ascii_lowercase().as_str() {
        "pod" | "pods" | "po" => ("Pod", "v1", true),
        "node" | "nodes" | "no" => ("Node", "v1", false),
        "namespace" | "namespaces" | "ns" => ("Namespace", "v1", false),
        "service" | "services" | "svc" => ("Service", "v1", true),
        "endpoints" | "ep" => ("Endpoints", "v1", true),
        "configmap" | "configmaps" | "cm" => ("ConfigMap", "v1", true),
        "secret" | "secrets" => ("Secret", "v1", true),
        "deployment" | "deployments" | "deploy" => ("Deployment", "apps/v1", true),
        "replicaset" | "replicasets" | "rs" => ("ReplicaSet", "apps/v1", true),
        "statefulset" | "statefulsets" | "sts" => ("StatefulSet", "apps/v1", true),
        "daemonset" | "daemonsets" | "ds" => ("DaemonSet", "apps/v1", true),
        "ingress" | "ingresses" | "ing" => ("Ingress", "networking.k8s.io/v1", true),
        _ => return None,
    })
}

impl<R: Rng> Ctx<R> {
    fn register(
        &mut self,
        field: impl Display,
        ns: &str,
        name: &str,
        obj: ObjRef,
    ) -> Result<(), ScenarioError> {
        let kind = obj.kind;
        let key = (kind, ns.to_string(), name.to_string());
        if self.index.contains_key(&key) {
            let what = if ns.is_empty() {
                name.to_string()
            } else {
                format!("{ns}/{name}")
            };
            return Err(ScenarioError::invalid(
                field.to_string(),
                format!("duplicate {kind} {what}"),
            ));
        }
        self.index.insert(key, obj);
        Ok(())
    }

    fn ns_created(&self, field: &str, ns: &str) -> Result<Timestamp, ScenarioError> {
        self.ns_created.get(ns).copied().ok_or_else(|| {
            ScenarioError::invalid(
                format!("{field}.namespace"),
                format!("namespace {ns:?} is not declared under namespaces"),
            )
        })
    }

    /// Explicit addresses are taken before any is allocated.
    fn reserve(&mut self, s: &Scenario) -> Result<(), ScenarioError> {
        for (i, n) in s.nodes.iter().enumerate() {
            let ip = parse_ip(&format!("nodes[{i}] ({}).ip", n.name), &n.ip)?;
            self.used_ips.insert(u32::from(ip));
        }
        for (i, w) in s.workloads.iter().enumerate() {
            for (j, p) in w.pods.iter().enumerate() {
                if let Some(ip) = &p.ip {
                    let f = format!("workloads[{i}] ({}/{}).pods[{j}].ip", w.namespace, w.name);
                    let ip = u32::from(parse_ip(&f, ip)?);
                    if !self.used_ips.insert(ip) && !w.host_network {
                        return Err(ScenarioError::invalid(
                            f,
                            format!("address {} is already used", Ipv4Addr::from(ip)),
                        ));
                    }
                }
            }
        }
        for (i, svc) in s.services.iter().enumerate() {
            if let Some(ip) = svc.cluster_ip.as_deref().filter(|ip| *ip != "None") {
                let f = format!("services[{i}] ({}/{}).clusterIP", svc.namespace, svc.name);
                let ip = u32::from(parse_ip(&f, ip)?);
                if !self.used_cluster_ips.insert(ip) {
                    return Err(ScenarioError::invalid(
                        f,
                        format!("cluster IP {} is already used", Ipv4Addr::from(ip)),
                    ));
                }
            }
        }
        Ok(())
    }

    fn node(&mut self, n: &model::Node, i: usize, version: &str) -> Result<(), ScenarioError> {
        let field = format!("nodes[{i}] ({})", n.name);
        check_name(&field, &n.name)?;
        let created = n.age.unwrap_or(self.default_age).at(self.now);
        let uid = self.ids.uid();
        self.register(&field, "", &n.name, ObjRef::new("Node", "v1", &uid, None))?;
        let cidr = match &n.pod_cidr {
            Some(c) => {
                Cidr::parse(c).map_err(|e| ScenarioError::invalid(format!("{field}.podCIDR"), e))?
            }
            None => Cidr::parse(&format!("10.{}.{}.0/24", 244 + i / 256, i % 256))
                .map_err(|e| ScenarioError::invalid(format!("{field}.podCIDR"), e))?,
        };
        let boot_id = match &n.boot_id {
            Some(b) if b.len() == 32 && b.chars().all(|c| c.is_ascii_hexdigit()) => {
                b.to_ascii_lowercase()
            }
            Some(b) => {
                return Err(ScenarioError::invalid(
                    format!("{field}.bootId"),
                    format!("{b:?} is not 32 hex digits"),
                ));
            }
            None => self.ids.hex(32),
        };
        let machine_id = n.machine_id.clone().unwrap_or_else(|| self.ids.hex(32));
        let mut labels: Map = [
            ("beta.kubernetes.io/arch", n.arch.as_str()),
            ("beta.kubernetes.io/os", "linux"),
            ("kubernetes.io/arch", n.arch.as_str()),
            ("kubernetes.io/hostname", n.name.as_str()),
            ("kubernetes.io/os", "linux"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for r in &n.roles {
            labels.insert(format!("node-role.kubernetes.io/{r}"), String::new());
        }
        labels.extend(n.labels.clone());
        let mut annotations: Map = [
            ("node.alpha.kubernetes.io/ttl", "0"),
            (
                "volumes.kubernetes.io/controller-managed-attach-detach",
                "true",
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        annotations.extend(n.annotations.clone());
        let mut meta = base_meta(&n.name, None, &uid, created);
        meta.insert("labels".into(), map_json(&labels));
        meta.insert("annotations".into(), map_json(&annotations));

        let mut taints: Vec<Value> = n
            .taints
            .iter()
            .map(|t| {
                let mut m = JMap::new();
                m.insert("key".into(), t.key.as_str().into());
                if let Some(v) = &t.value {
                    m.insert("value".into(), v.as_str().into());
                }
                m.insert("effect".into(), t.effect.as_str().into());
                Value::Object(m)
            })
            .collect();
        if n.unschedulable {
            taints.push(json!({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": rfc3339(self.now)}));
        }
        if !n.ready {
            for effect in ["NoSchedule", "NoExecute"] {
                taints.push(json!({"key": "node.kubernetes.io/unreachable", "effect": effect, "timeAdded": rfc3339(self.now)}));
            }
        }
        let mut spec = JMap::new();
        spec.insert("podCIDR".into(), cidr.to_string().into());
        spec.insert("podCIDRs".into(), json!([cidr.to_string()]));
        if n.unschedulable {
            spec.insert("unschedulable".into(), true.into());
        }
        if !taints.is_empty() {
            spec.insert("taints".into(), Value::Array(taints));
        }

        let mut capacity: Map = [
            ("cpu", "8"),
            ("ephemeral-storage", "102687672Ki"),
            ("hugepages-1Gi", "0"),
            ("hugepages-2Mi", "0"),
            ("memory", "32827284Ki"),
            ("pods", "110"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        capacity.extend(n.capacity.clone());
        let mut allocatable = capacity.clone();
        if let Some(a) = &n.allocatable {
            allocatable.extend(a.clone());
        }
        let beat = rfc3339(self.now);
        let since = rfc3339(plus(created, 600));
        let ready_since = rfc3339(plus(created, 720));
        let pressure = |kind: &str, reason: &str, msg: &str| json!({"type": kind, "status": "False", "lastHeartbeatTime": beat, "lastTransitionTime": since, "reason": reason, "message": msg});
        let ready = if n.ready {
            json!({"type": "Ready", "status": "True", "lastHeartbeatTime": beat, "lastTransitionTime": ready_since,
                   "reason": "KubeletReady", "message": "kubelet is posting ready status"})
        } else {
            json!({"type": "Ready", "status": "Unknown", "lastHeartbeatTime": rfc3339(plus(self.now, -600)),
                   "lastTransitionTime": rfc3339(plus(self.now, -560)), "reason": "NodeStatusUnknown",
                   "message": "Kubelet stopped posting node status."})
        };
        let status = json!({
            "capacity": map_json(&capacity),
            "allocatable": map_json(&allocatable),
            "conditions": [
                pressure("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                pressure("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                pressure("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                ready,
            ],
            "addresses": [{"type": "InternalIP", "address": n.ip}, {"type": "Hostname", "address": n.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": machine_id,
                "systemUUID": self.ids.hex(32),
                "bootID": boot_id,
                "kernelVersion": n.kernel,
                "osImage": n.os_image,
                "containerRuntimeVersion": n.runtime,
                "kubeletVersion": version,
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": n.arch,
            },
        });
        self.objects.push(obj! {"kind": "Node", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": status});
        self.nodes.push(NodeSpec {
            name: n.name.clone(),
            internal_ip: n.ip.clone(),
            boot_id,
        });
        self.node_info.insert(
            n.name.clone(),
            NodeInfo {
                uid,
                ip: n.ip.clone(),
                labels,
                cidr,
                next: 0,
                schedulable: n.ready && !n.unschedulable,
            },
        );
        self.node_order.push(n.name.clone());
        Ok(())
    }

    fn namespace(&mut self, ns: &model::Namespace, i: usize) -> Result<(), ScenarioError> {
        let field = format!("namespaces[{i}] ({})", ns.name);
        check_name(&field, &ns.name)?;
        let created = ns.age.unwrap_or(self.default_age).at(self.now);
        let uid = self.ids.uid();
        self.register(
            &field,
            "",
            &ns.name,
            ObjRef::new("Namespace", "v1", &uid, None),
        )?;
        self.ns_created.insert(ns.name.clone(), created);
        let mut labels = ns.labels.clone();
        labels.insert("kubernetes.io/metadata.name".into(), ns.name.clone());
        let mut meta = base_meta(&ns.name, None, &uid, created);
        meta.insert("labels".into(), map_json(&labels));
        self.objects.push(
            obj! {"kind": "Namespace", "apiVersion": "v1", "metadata": meta,
            "spec": json!({"finalizers": ["kubernetes"]}), "status": json!({"phase": "Active"})},
        );
        // Every namespace has the cluster CA bundle, which pods' projected volumes mount.
        let cm_uid = self.ids.uid();
        self.register(
            &field,
            &ns.name,
            "kube-root-ca.crt",
            ObjRef::new("ConfigMap", "v1", &cm_uid, None),
        )?;
        let mut meta = base_meta("kube-root-ca.crt", Some(&ns.name), &cm_uid, created);
        meta.insert("annotations".into(), json!({"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}));
        self.objects.push(obj! {"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta, "data": json!({"ca.crt": FAKE_CA})});
        Ok(())
    }

    fn pick_node(&mut self, field: impl Display, selector: &Map) -> Result<String, ScenarioError> {
        let n = self.node_order.len();
        for k in 0..n {
            let name = &self.node_order[(self.rr + k) % n];
            let info = &self.node_info[name];
            if info.schedulable && matches(selector, &info.labels) {
                self.rr = (self.rr + k + 1) % n.max(1);
                return Ok(name.clone());
            }
        }
        Err(ScenarioError::invalid(
            format!("{field}.node"),
            if selector.is_empty() {
                "no schedulable node to place this pod on (declare nodes, or give the pod state pending)".to_string()
            } else {
                format!("no schedulable node matches nodeSelector {selector:?}")
            },
        ))
    }

    fn allocate_ip(&mut self, field: impl Display, node: &str) -> Result<String, ScenarioError> {
        let info = self.node_info.get_mut(node).expect("node checked");
        let hosts = info.cidr.hosts();
        for _ in 0..hosts {
            let ip = info.cidr.host(info.next);
            info.next = (info.next + 1) % hosts;
            if self.used_ips.insert(u32::from(ip)) {
                return Ok(ip.to_string());
            }
        }
        Err(ScenarioError::invalid(
            format!("{field}.ip"),
            format!(
                "node {node}'s podCIDR {} has no free address left",
                info.cidr
            ),
        ))
    }

    fn workload(&mut self, w: &model::Workload, field: &str) -> Result<(), ScenarioError> {
        check_name(field, &w.name)?;
        let ns_created = self.ns_created(field, &w.namespace)?;
        if w.containers.is_empty() {
            return Err(ScenarioError::invalid(
                format!("{field}.containers"),
                "a workload needs at least one container",
            ));
        }
        let mut seen = HashSet::new();
        for (i, c) in w.init_containers.iter().chain(&w.containers).enumerate() {
            if !seen.insert(c.name.as_str()) {
                return Err(ScenarioError::invalid(
                    format!("{field}.containers[{i}].name"),
                    format!("duplicate container name {:?}", c.name),
                ));
            }
            if !is_dns_label(&c.name) || c.name.contains('.') {
                return Err(ScenarioError::invalid(
                    format!("{field}.containers[{i}].name"),
                    format!("{:?} is not a valid container name", c.name),
                ));
            }
        }
        if let Some(node) = &w.node
            && !self.node_info.contains_key(node)
        {
            return Err(self.unknown_node(&format!("{field}.node"), node));
        }
        let created = w.age.map(|a| a.at(self.now)).unwrap_or(ns_created);
        let uid = self.ids.uid();
        let (kind, api) = match w.kind {
            Kind::Deployment => ("Deployment", "apps/v1"),
            Kind::StatefulSet => ("StatefulSet", "apps/v1"),
            Kind::DaemonSet => ("DaemonSet", "apps/v1"),
            Kind::Pod => ("Pod", "v1"),
        };
        let mut labels = w.labels.clone();
        if labels.is_empty() {
            labels.insert("app".into(), w.name.clone());
        }
        let selector = w
            .selector
            .clone()
            .unwrap_or_else(|| match labels.get("app") {
                Some(a) => [("app".to_string(), a.clone())].into_iter().collect(),
                None => labels.clone(),
            });
        let mut template_labels = labels.clone();
        template_labels.extend(w.pod_labels.clone());
        if !matches(&selector, &template_labels) {
            return Err(ScenarioError::invalid(
                format!("{field}.selector"),
                format!("selector {selector:?} does not match the pod labels {template_labels:?}"),
            ));
        }
        let mut template_annotations = Map::new();
        template_annotations.insert(
            "kubectl.kubernetes.io/default-container".into(),
            w.containers[0].name.clone(),
        );
        template_annotations.extend(w.pod_annotations.clone());

        // Who owns the pods, and the labels the controller adds.
        let hash = match w.kind {
            Kind::Deployment => w.template_hash.clone().unwrap_or_else(|| self.ids.kube(10)),
            Kind::StatefulSet => format!(
                "{}-{}",
                w.name,
                w.template_hash.clone().unwrap_or_else(|| self.ids.hex(10))
            ),
            Kind::DaemonSet => w.template_hash.clone().unwrap_or_else(|| self.ids.kube(9)),
            Kind::Pod => String::new(),
        };
        let rs_name = format!("{}-{}", w.name, hash);
        let rs_uid = if w.kind == Kind::Deployment {
            self.ids.uid()
        } else {
            String::new()
        };
        if w.kind != Kind::Pod {
            self.register(
                field,
                &w.namespace,
                &w.name,
                ObjRef::new(kind, api, &uid, None),
            )?;
        }
        if w.kind == Kind::Deployment {
            self.register(
                field,
                &w.namespace,
                &rs_name,
                ObjRef::new("ReplicaSet", "apps/v1", &rs_uid, None),
            )?;
        }

        // The pods to create.
        let terminal = |e: &PodEntry| matches!(e.state, State::Evicted(_) | State::Completed(_));
        let mut entries: Vec<PodEntry> = w.pods.clone();
        match w.kind {
            Kind::Deployment | Kind::StatefulSet => {
                let active = entries.iter().filter(|e| !terminal(e)).count() as u32;
                let replicas = w
                    .replicas
                    .unwrap_or(if entries.is_empty() { 1 } else { active });
                for _ in active..replicas {
                    entries.push(PodEntry::default());
                }
            }
            Kind::DaemonSet => {
                let targets: Vec<String> = match &w.node {
                    Some(n) => vec![n.clone()],
                    None => self
                        .node_order
                        .iter()
                        .filter(|n| matches(&w.node_selector, &self.node_info[*n].labels))
                        .cloned()
                        .collect(),
                };
                let mut by_node: HashMap<String, PodEntry> = HashMap::new();
                let mut loose: Vec<PodEntry> = Vec::new();
                for (j, e) in entries.drain(..).enumerate() {
                    match &e.node {
                        Some(n) if targets.contains(n) => {
                            by_node.insert(n.clone(), e);
                        }
                        Some(n) => {
                            return Err(ScenarioError::invalid(
                                format!("{field}.pods[{j}].node"),
                                format!(
                                    "node {n:?} is not one this DaemonSet runs on ({})",
                                    targets.join(", ")
                                ),
                            ));
                        }
                        None => loose.push(e),
                    }
                }
                let mut loose = loose.into_iter();
                for t in &targets {
                    let mut e = by_node
                        .remove(t)
                        .or_else(|| loose.next())
                        .unwrap_or_default();
                    e.node = Some(t.clone());
                    entries.push(e);
                }
            }
            Kind::Pod => {
                if entries.is_empty() {
                    entries.push(PodEntry::default());
                }
                if entries.len() > 1 && !w.static_pod {
                    return Err(ScenarioError::invalid(
                        format!("{field}.pods"),
                        "a bare Pod has one entry under pods (several only for static pods, one per node)",
                    ));
                }
            }
        }

        let qos = pods::qos_class(&w.containers);
        let shape = pods::shape_of(w);
        let shared_annotations = Arc::new(template_annotations.clone());
        // Deployment and DaemonSet pods all carry the same labels.
        let shared_labels = {
            let mut l = template_labels.clone();
            match w.kind {
                Kind::Deployment => {
                    l.insert("pod-template-hash".into(), hash.clone());
                }
                Kind::DaemonSet => {
                    l.insert("controller-revision-hash".into(), hash.clone());
                    l.insert("pod-template-generation".into(), "1".into());
                }
                _ => {}
            }
            Arc::new(l)
        };
        let base_spec = pods::spec_json(
            w,
            field,
            pods::SpecFor::Pod {
                daemon: w.kind == Kind::DaemonSet,
                lean: self.lean,
            },
        )?;
        let owner = |kind: &str, name: &str, uid: &str, api: &str| json!({"apiVersion": api, "kind": kind, "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true});
        // What every pod of the workload shares, built once.
        let owner_ref = match w.kind {
            Kind::Deployment => Some(owner("ReplicaSet", &rs_name, &rs_uid, "apps/v1")),
            Kind::StatefulSet => Some(owner("StatefulSet", &w.name, &uid, "apps/v1")),
            Kind::DaemonSet => Some(owner("DaemonSet", &w.name, &uid, "apps/v1")),
            Kind::Pod => None,
        };
        let shared_labels_json = map_json(&shared_labels);
        let shared_label_keys: Vec<u64> = shared_labels
            .iter()
            .map(|(k, v)| label_key(&w.namespace, k, v))
            .collect();
        let mut ready = 0u32;
        let mut active = 0u32;
        let mut names = HashSet::new();
        for (j, e) in entries.iter().enumerate() {
            let pfield = pods::PodField {
                workload: field,
                index: j,
            };
            let pending = matches!(e.state, State::Pending(_));
            // node
            let node = if pending {
                None
            } else {
                let n = match e.node.as_ref().or(w.node.as_ref()) {
                    Some(n) => n.clone(),
                    None => self.pick_node(pfield, &w.node_selector)?,
                };
                if !self.node_info.contains_key(&n) {
                    return Err(self.unknown_node(&format!("{pfield}.node"), &n));
                }
                Some(n)
            };
            // name
            // Generated suffixes are redrawn on a clash, as the controllers do.
            let mut name = String::new();
            for _ in 0..20 {
                name = match (&e.name, w.kind) {
                    (Some(n), _) => n.clone(),
                    (None, Kind::Deployment) => {
                        format!(
                            "{rs_name}-{}",
                            e.suffix.clone().unwrap_or_else(|| self.ids.kube(5))
                        )
                    }
                    (None, Kind::StatefulSet) => format!("{}-{j}", w.name),
                    (None, Kind::DaemonSet) => {
                        format!(
                            "{}-{}",
                            w.name,
                            e.suffix.clone().unwrap_or_else(|| self.ids.kube(5))
                        )
                    }
                    (None, Kind::Pod) if w.static_pod => match &node {
                        Some(n) => format!("{}-{n}", w.name),
                        None => {
                            return Err(ScenarioError::invalid(
                                format!("{pfield}.node"),
                                "a static pod needs a node",
                            ));
                        }
                    },
                    (None, Kind::Pod) => w.name.clone(),
                };
                let generated = e.name.is_none() && e.suffix.is_none();
                if !generated || !names.contains(&name) {
                    break;
                }
            }
            if e.name.is_some() || e.suffix.is_some() {
                check_name(pfield, &name)?;
            }
            if !names.insert(name.clone()) {
                return Err(ScenarioError::invalid(
                    format!("{pfield}.name"),
                    format!("duplicate pod name {name:?}"),
                ));
            }
            // address
            let ip = if matches!(e.state, State::Pending(_) | State::ContainerCreating) {
                None
            } else if w.host_network {
                node.as_ref().map(|n| self.node_info[n].ip.clone())
            } else if let Some(ip) = &e.ip {
                Some(ip.clone())
            } else {
                Some(self.allocate_ip(pfield, node.as_deref().unwrap_or_default())?)
            };
            let pod_created = e.age.map(|a| a.at(self.now)).unwrap_or(created);
            let pod_uid = self.ids.uid();
            let mut plabels = shared_labels.clone();
            let mut pannotations = shared_annotations.clone();
            let (own, hostname, daemon_node) = match w.kind {
                Kind::Deployment => (owner_ref.clone(), None, None),
                Kind::StatefulSet => {
                    let mut l = (*plabels).clone();
                    l.insert("apps.kubernetes.io/pod-index".into(), j.to_string());
                    l.insert("controller-revision-hash".into(), hash.clone());
                    l.insert("statefulset.kubernetes.io/pod-name".into(), name.clone());
                    plabels = Arc::new(l);
                    let sub = w.service_name.clone().unwrap_or_else(|| w.name.clone());
                    (owner_ref.clone(), Some((name.clone(), sub)), None)
                }
                Kind::DaemonSet => (owner_ref.clone(), None, node.clone()),
                Kind::Pod if w.static_pod => {
                    let n = node.clone().unwrap_or_default();
                    let nuid = self.node_info[&n].uid.clone();
                    let h = self.ids.hex(32);
                    let pannotations = Arc::make_mut(&mut pannotations);
                    pannotations.insert("kubernetes.io/config.hash".into(), h.clone());
                    pannotations.insert("kubernetes.io/config.mirror".into(), h);
                    pannotations.insert(
                        "kubernetes.io/config.seen".into(),
                        format!("{}.000000000Z", rfc3339(pod_created).trim_end_matches('Z')),
                    );
                    pannotations.insert("kubernetes.io/config.source".into(), "file".into());
                    (
                        Some(
                            json!({"apiVersion": "v1", "kind": "Node", "name": n, "uid": nuid, "controller": true}),
                        ),
                        None,
                        None,
                    )
                }
                Kind::Pod => (None, None, None),
            };
            let labels_json =
                Arc::ptr_eq(&plabels, &shared_labels).then(|| shared_labels_json.clone());
            let input = PodInput {
                wl: w,
                field: pfield,
                name: name.clone(),
                uid: pod_uid.clone(),
                labels: plabels,
                labels_json,
                shape: shape.clone(),
                annotations: pannotations,
                owner: own,
                node: node
                    .as_ref()
                    .map(|n| (n.clone(), self.node_info[n].ip.clone())),
                ip,
                created: pod_created,
                state: &e.state,
                hostname,
                daemon_node,
                base_spec: &base_spec,
                lean: self.lean,
                qos,
            };
            if self.lean && self.pods.len().is_multiple_of(512) {
                heap_headroom();
            }
            let (pod, rec, specs) =
                pods::build_pod(input, self.now, &mut self.ids, &mut self.digests)?;
            if rec.active && !matches!(e.state, State::Terminating(_)) {
                active += 1;
                if rec.ready {
                    ready += 1;
                }
            }
            let idx = self.pods.len();
            // Lean (scale) pods have generated, unique names: only those events
            // refer to need to be found by name.
            let wanted = || {
                self.event_pods
                    .get(&w.namespace)
                    .is_some_and(|n| n.contains(&name))
            };
            if !self.lean || wanted() {
                self.register(
                    pfield,
                    &w.namespace,
                    &name,
                    ObjRef::new("Pod", "v1", &pod_uid, Some(idx)),
                )?;
            }
            if Arc::ptr_eq(&rec.labels, &shared_labels) {
                for key in &shared_label_keys {
                    self.pod_labels.entry(*key).or_default().push(idx);
                }
            } else {
                for (k, v) in rec.labels.iter() {
                    self.pod_labels
                        .entry(label_key(&w.namespace, k, v))
                        .or_default()
                        .push(idx);
                }
            }
            self.pods.push(rec);
            self.objects.push(pod);
            self.containers.extend(specs);
        }

        if w.kind == Kind::Pod {
            return Ok(());
        }
        let replicas = match w.kind {
            Kind::DaemonSet => entries.len() as u32,
            _ => w.replicas.unwrap_or(active),
        };
        let mut template_meta = JMap::new();
        let mut tl = template_labels.clone();
        if w.kind == Kind::Deployment {
            tl.insert("pod-template-hash".into(), hash.clone());
        }
        let template_spec = pods::spec_json(w, field, pods::SpecFor::Template { lean: self.lean })?;
        template_meta.insert("labels".into(), map_json(&template_labels));
        template_meta.insert("annotations".into(), map_json(&template_annotations));
        let template = obj! {"metadata": template_meta, "spec": template_spec};
        let mut meta = base_meta(&w.name, Some(&w.namespace), &uid, created);
        meta.insert("generation".into(), 1.into());
        meta.insert("labels".into(), map_json(&labels));
        let mut annotations = w.annotations.clone();
        let mut nonzero = JMap::new();
        let put = |m: &mut JMap<String, Value>, k: &str, v: u32| {
            if v > 0 {
                m.insert(k.into(), v.into());
            }
        };
        match w.kind {
            Kind::Deployment => {
                annotations.insert("deployment.kubernetes.io/revision".into(), "1".into());
                meta.insert("annotations".into(), map_json(&annotations));
                let max_unavailable = replicas / 4;
                let available_ok = ready + max_unavailable >= replicas;
                let mut status = JMap::new();
                status.insert("observedGeneration".into(), 1.into());
                put(&mut status, "replicas", active);
                put(&mut status, "updatedReplicas", active);
                put(&mut status, "readyReplicas", ready);
                put(&mut status, "availableReplicas", ready);
                put(
                    &mut status,
                    "unavailableReplicas",
                    replicas.saturating_sub(ready),
                );
                let t = rfc3339(plus(created, 30));
                status.insert("conditions".into(), json!([
                    if available_ok {
                        json!({"type": "Available", "status": "True", "lastUpdateTime": t, "lastTransitionTime": t,
                               "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."})
                    } else {
                        json!({"type": "Available", "status": "False", "lastUpdateTime": t, "lastTransitionTime": t,
                               "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."})
                    },
                    {"type": "Progressing", "status": "True", "lastUpdateTime": t, "lastTransitionTime": rfc3339(created),
                     "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed.")},
                ]));
                let rs_template = {
                    let mut t = template.clone();
                    t["metadata"]["labels"] = map_json(&tl);
                    t
                };
                self.objects.push(obj! {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta, "spec": obj! {
                    "replicas": replicas,
                    "selector": json!({"matchLabels": map_json(&selector)}),
                    "template": template,
                    "strategy": json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}),
                    "revisionHistoryLimit": 10,
                    "progressDeadlineSeconds": 600,
                }, "status": status});
                // Its ReplicaSet.
                let mut rs_meta = base_meta(&rs_name, Some(&w.namespace), &rs_uid, created);
                rs_meta.insert("generation".into(), 1.into());
                rs_meta.insert("labels".into(), map_json(&tl));
                rs_meta.insert("annotations".into(), json!({
                    "deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                    "deployment.kubernetes.io/max-replicas": (replicas + replicas.div_ceil(4)).to_string(),
                    "deployment.kubernetes.io/revision": "1",
                }));
                rs_meta.insert(
                    "ownerReferences".into(),
                    json!([owner("Deployment", &w.name, &uid, "apps/v1")]),
                );
                let mut rs_sel = selector.clone();
                rs_sel.insert("pod-template-hash".into(), hash.clone());
                let mut rs_status = JMap::new();
                rs_status.insert("replicas".into(), active.into());
                put(&mut rs_status, "fullyLabeledReplicas", active);
                put(&mut rs_status, "readyReplicas", ready);
                put(&mut rs_status, "availableReplicas", ready);
                rs_status.insert("observedGeneration".into(), 1.into());
                self.objects.push(obj! {"kind": "ReplicaSet", "apiVersion": "apps/v1", "metadata": rs_meta, "spec": obj! {
                    "replicas": replicas,
                    "selector": json!({"matchLabels": map_json(&rs_sel)}),
                    "template": rs_template,
                }, "status": rs_status});
            }
            Kind::StatefulSet => {
                put_map(&mut meta, "annotations", &annotations);
                nonzero.insert("observedGeneration".into(), 1.into());
                nonzero.insert("replicas".into(), active.into());
                put(&mut nonzero, "readyReplicas", ready);
                put(&mut nonzero, "currentReplicas", active);
                put(&mut nonzero, "updatedReplicas", active);
                nonzero.insert("currentRevision".into(), hash.clone().into());
                nonzero.insert("updateRevision".into(), hash.clone().into());
                nonzero.insert("collisionCount".into(), 0.into());
                nonzero.insert("availableReplicas".into(), ready.into());
                self.objects.push(obj! {"kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": meta, "spec": obj! {
                    "replicas": replicas,
                    "selector": json!({"matchLabels": map_json(&selector)}),
                    "template": template,
                    "serviceName": w.service_name.clone().unwrap_or_else(|| w.name.clone()),
                    "podManagementPolicy": "OrderedReady",
                    "updateStrategy": json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
                    "revisionHistoryLimit": 10,
                    "persistentVolumeClaimRetentionPolicy": json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
                }, "status": nonzero});
            }
            Kind::DaemonSet => {
                annotations.insert(
                    "deprecated.daemonset.template.generation".into(),
                    "1".into(),
                );
                meta.insert("annotations".into(), map_json(&annotations));
                nonzero.insert("currentNumberScheduled".into(), replicas.into());
                nonzero.insert("numberMisscheduled".into(), 0.into());
                nonzero.insert("desiredNumberScheduled".into(), replicas.into());
                nonzero.insert("numberReady".into(), ready.into());
                nonzero.insert("observedGeneration".into(), 1.into());
                nonzero.insert("updatedNumberScheduled".into(), replicas.into());
                put(&mut nonzero, "numberAvailable", ready);
                put(
                    &mut nonzero,
                    "numberUnavailable",
                    replicas.saturating_sub(ready),
                );
                self.objects.push(obj! {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": meta, "spec": obj! {
                    "selector": json!({"matchLabels": map_json(&selector)}),
                    "template": template,
                    "updateStrategy": json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
                    "revisionHistoryLimit": 10,
                }, "status": nonzero});
            }
            Kind::Pod => {}
        }
        Ok(())
    }

    fn unknown_node(&self, field: &str, node: &str) -> ScenarioError {
        let known: Vec<&str> = self
            .node_order
            .iter()
            .take(10)
            .map(String::as_str)
            .collect();
        ScenarioError::invalid(
            field,
            format!("unknown node {node:?} (nodes: {})", known.join(", ")),
        )
    }

    fn selected(&self, ns: &str, selector: &Map) -> Vec<usize> {
        let Some((k, v)) = selector.iter().next() else {
            return Vec::new();
        };
        self.pod_labels
            .get(&label_key(ns, k, v))
            .map(|c| {
                c.iter()
                    .copied()
                    .filter(|i| matches(selector, &self.pods[*i].labels))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn cluster_ip(&mut self) -> String {
        loop {
            // 10.96.0.0/12, avoiding .0 and the first addresses (kubernetes, kube-dns).
            let n = 0x0A60_0000 + 16 + self.ids.below((1 << 20) - 32) as u32;
            if self.used_cluster_ips.insert(n) {
                return Ipv4Addr::from(n).to_string();
            }
        }
    }

    fn service(&mut self, s: &model::Service, field: &str) -> Result<(), ScenarioError> {
        check_name(field, &s.name)?;
        let ns_created = self.ns_created(field, &s.namespace)?;
        let created = s.age.map(|a| a.at(self.now)).unwrap_or(ns_created);
        let uid = self.ids.uid();
        self.register(
            field,
            &s.namespace,
            &s.name,
            ObjRef::new("Service", "v1", &uid, None),
        )?;
        let type_ = s.type_.clone().unwrap_or_else(|| "ClusterIP".into());
        if !["ClusterIP", "NodePort", "LoadBalancer"].contains(&type_.as_str()) {
            return Err(ScenarioError::invalid(
                format!("{field}.type"),
                format!("{type_:?}: expected ClusterIP, NodePort or LoadBalancer"),
            ));
        }
        if s.ports.is_empty() {
            return Err(ScenarioError::invalid(
                format!("{field}.ports"),
                "a service needs at least one port",
            ));
        }
        for (i, ip) in s.external_ips.iter().enumerate() {
            parse_ip(&format!("{field}.externalIPs[{i}]"), ip)?;
        }
        let headless = s.cluster_ip.as_deref() == Some("None");
        let cluster_ip = match &s.cluster_ip {
            Some(ip) => ip.clone(),
            None => self.cluster_ip(),
        };
        let selected = s
            .selector
            .as_ref()
            .map(|sel| self.selected(&s.namespace, sel))
            .unwrap_or_default();
        // Unnamed ports take the name of the container port they target.
        let mut ports: Vec<(String, PortSpec)> = Vec::new();
        for p in &s.ports {
            let target = p.target.clone().unwrap_or(PortRef::Number(p.port));
            let name = p.name.clone().or_else(|| {
                let PortRef::Number(n) = target else {
                    return None;
                };
                selected.iter().find_map(|i| {
                    self.pods[*i]
                        .shape
                        .ports
                        .iter()
                        .find(|(_, name, port, _)| *port == n && name.is_some())
                        .and_then(|x| x.1.clone())
                })
            });
            let name = match name {
                Some(n) => n,
                None if s.ports.len() == 1 => String::new(),
                None => format!("{}-{}", p.protocol.to_ascii_lowercase(), p.port),
            };
            if ports.iter().any(|(n, _)| *n == name) {
                return Err(ScenarioError::invalid(
                    format!("{field}.ports"),
                    format!("duplicate port name {name:?}"),
                ));
            }
            ports.push((
                name,
                PortSpec {
                    target: Some(target),
                    ..p.clone()
                },
            ));
        }
        let mut port_json = Vec::new();
        for (name, p) in &ports {
            let mut m = JMap::new();
            if !name.is_empty() {
                m.insert("name".into(), name.as_str().into());
            }
            m.insert("protocol".into(), p.protocol.as_str().into());
            m.insert("port".into(), p.port.into());
            m.insert(
                "targetPort".into(),
                p.target
                    .as_ref()
                    .map(PortRef::to_json)
                    .unwrap_or(p.port.into()),
            );
            if type_ != "ClusterIP" {
                let np = match p.node_port {
                    Some(np) => np,
                    None => loop {
                        let np = 30000 + self.ids.below(2768) as u16;
                        if self.used_node_ports.insert(np) {
                            break np;
                        }
                    },
                };
                m.insert("nodePort".into(), np.into());
            }
            port_json.push(Value::Object(m));
        }
        let labels = s
            .labels
            .clone()
            .or_else(|| s.selector.clone())
            .unwrap_or_default();
        let mut meta = base_meta(&s.name, Some(&s.namespace), &uid, created);
        put_map(&mut meta, "labels", &labels);
        put_map(&mut meta, "annotations", &s.annotations);
        let mut spec = JMap::new();
        spec.insert("ports".into(), Value::Array(port_json));
        if let Some(sel) = &s.selector {
            spec.insert("selector".into(), map_json(sel));
        }
        spec.insert("clusterIP".into(), cluster_ip.as_str().into());
        spec.insert("clusterIPs".into(), json!([cluster_ip]));
        spec.insert("type".into(), type_.as_str().into());
        spec.insert("sessionAffinity".into(), "None".into());
        if !s.external_ips.is_empty() {
            spec.insert("externalIPs".into(), json!(s.external_ips));
        }
        if type_ != "ClusterIP" {
            spec.insert("externalTrafficPolicy".into(), "Cluster".into());
        }
        spec.insert("ipFamilies".into(), json!(["IPv4"]));
        spec.insert("ipFamilyPolicy".into(), "SingleStack".into());
        spec.insert("internalTrafficPolicy".into(), "Cluster".into());
        let status = match (&type_[..], &s.load_balancer_ip) {
            ("LoadBalancer", Some(ip)) => {
                json!({"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}})
            }
            _ => json!({"loadBalancer": {}}),
        };
        self.objects.push(obj! {"kind": "Service", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": status});

        // Endpoints, as the endpoints controller (or the API server, for `kubernetes`) keeps them.
        if s.selector.is_none() && s.endpoints.is_empty() {
            return Ok(());
        }
        let ep_uid = self.ids.uid();
        self.register(
            field,
            &s.namespace,
            &s.name,
            ObjRef::new("Endpoints", "v1", &ep_uid, None),
        )?;
        let mut ep_labels = labels.clone();
        if headless {
            ep_labels.insert("service.kubernetes.io/headless".into(), String::new());
        }
        let mut meta = base_meta(&s.name, Some(&s.namespace), &ep_uid, created);
        put_map(&mut meta, "labels", &ep_labels);
        let ep_ports = |rec: Option<&PodRec>| -> Vec<Value> {
            ports
                .iter()
                .filter_map(|(name, p)| {
                    let target = p.target.as_ref().expect("set above");
                    let port = match rec {
                        Some(r) => pods::resolve_target(r, target)?,
                        None => match target {
                            PortRef::Number(n) => *n,
                            PortRef::Name(_) => p.port,
                        },
                    };
                    let mut m = JMap::new();
                    if !name.is_empty() {
                        m.insert("name".into(), name.as_str().into());
                    }
                    m.insert("port".into(), port.into());
                    m.insert("protocol".into(), p.protocol.as_str().into());
                    Some(Value::Object(m))
                })
                .collect()
        };
        let mut subsets = Vec::new();
        if s.selector.is_some() {
            let mut ready = Vec::new();
            let mut not_ready = Vec::new();
            let last_change = created;
            for i in &selected {
                let r = &self.pods[*i];
                let Some(ip) = &r.ip else { continue };
                if !r.serving {
                    continue;
                }
                let mut a = JMap::new();
                a.insert("ip".into(), ip.as_str().into());
                if let Some(n) = &r.node {
                    a.insert("nodeName".into(), n.as_str().into());
                }
                if !self.lean {
                    a.insert(
                        "targetRef".into(),
                        json!({"kind": "Pod", "namespace": r.namespace, "name": r.name, "uid": r.uid}),
                    );
                }
                if r.ready {
                    ready.push(Value::Object(a))
                } else {
                    not_ready.push(Value::Object(a))
                }
            }
            if !ready.is_empty() || !not_ready.is_empty() {
                let first = selected.iter().map(|i| &self.pods[*i]).find(|r| r.serving);
                let mut sub = JMap::new();
                if !ready.is_empty() {
                    sub.insert("addresses".into(), Value::Array(ready));
                }
                if !not_ready.is_empty() {
                    sub.insert("notReadyAddresses".into(), Value::Array(not_ready));
                }
                sub.insert("ports".into(), Value::Array(ep_ports(first)));
                subsets.push(Value::Object(sub));
            }
            meta.insert(
                "annotations".into(),
                json!({"endpoints.kubernetes.io/last-change-trigger-time": rfc3339(last_change)}),
            );
        } else {
            let mut addrs = Vec::new();
            for (i, ip) in s.endpoints.iter().enumerate() {
                parse_ip(&format!("{field}.endpoints[{i}]"), ip)?;
                addrs.push(json!({"ip": ip}));
            }
            subsets.push(json!({"addresses": addrs, "ports": ep_ports(None)}));
        }
        let mut ep = JMap::new();
        ep.insert("kind".into(), "Endpoints".into());
        ep.insert("apiVersion".into(), "v1".into());
        ep.insert("metadata".into(), Value::Object(meta));
        if !subsets.is_empty() {
            ep.insert("subsets".into(), Value::Array(subsets));
        }
        self.objects.push(Value::Object(ep));
        Ok(())
    }

    fn ingress(&mut self, g: &model::Ingress, field: &str) -> Result<(), ScenarioError> {
        check_name(field, &g.name)?;
        let ns_created = self.ns_created(field, &g.namespace)?;
        let created = g.age.map(|a| a.at(self.now)).unwrap_or(ns_created);
        let uid = self.ids.uid();
        self.register(
            field,
            &g.namespace,
            &g.name,
            ObjRef::new("Ingress", "networking.k8s.io/v1", &uid, None),
        )?;
        if g.rules.is_empty() {
            return Err(ScenarioError::invalid(
                format!("{field}.rules"),
                "an ingress needs at least one rule",
            ));
        }
        // Rules with the same host are one rule with several paths.
        let mut hosts: Vec<(Option<String>, Vec<Value>)> = Vec::new();
        for r in &g.rules {
            let port = match &r.port {
                PortRef::Number(n) => json!({"number": n}),
                PortRef::Name(s) => json!({"name": s}),
            };
            let path = json!({
                "path": r.path.clone().unwrap_or_else(|| "/".into()),
                "pathType": r.path_type.clone().unwrap_or_else(|| "Prefix".into()),
                "backend": {"service": {"name": r.service, "port": port}},
            });
            match hosts.iter_mut().find(|(h, _)| *h == r.host) {
                Some((_, paths)) => paths.push(path),
                None => hosts.push((r.host.clone(), vec![path])),
            }
        }
        let all_hosts: Vec<String> = hosts.iter().filter_map(|(h, _)| h.clone()).collect();
        let rules: Vec<Value> = hosts
            .into_iter()
            .map(|(h, paths)| {
                let mut m = JMap::new();
                if let Some(h) = h {
                    m.insert("host".into(), h.into());
                }
                m.insert("http".into(), json!({"paths": paths}));
                Value::Object(m)
            })
            .collect();
        let mut spec = JMap::new();
        if let Some(c) = &g.class {
            spec.insert("ingressClassName".into(), c.as_str().into());
        }
        if let Some(t) = &g.tls {
            let mut m = JMap::new();
            m.insert("hosts".into(), json!(t.hosts.clone().unwrap_or(all_hosts)));
            if let Some(s) = &t.secret {
                m.insert("secretName".into(), s.as_str().into());
            }
            spec.insert("tls".into(), json!([m]));
        }
        spec.insert("rules".into(), Value::Array(rules));
        let status = match &g.address {
            Some(a) => {
                parse_ip(&format!("{field}.address"), a)?;
                json!({"loadBalancer": {"ingress": [{"ip": a}]}})
            }
            None => json!({"loadBalancer": {}}),
        };
        let mut meta = base_meta(&g.name, Some(&g.namespace), &uid, created);
        meta.insert("generation".into(), 1.into());
        put_map(&mut meta, "labels", &g.labels);
        put_map(&mut meta, "annotations", &g.annotations);
        self.objects.push(obj! {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "metadata": meta, "spec": spec, "status": status});
        Ok(())
    }

    fn config_map(&mut self, c: &model::ConfigMap, field: &str) -> Result<(), ScenarioError> {
        check_name(field, &c.name)?;
        let ns_created = self.ns_created(field, &c.namespace)?;
        let created = c.age.map(|a| a.at(self.now)).unwrap_or(ns_created);
        let uid = self.ids.uid();
        self.register(
            field,
            &c.namespace,
            &c.name,
            ObjRef::new("ConfigMap", "v1", &uid, None),
        )?;
        let mut meta = base_meta(&c.name, Some(&c.namespace), &uid, created);
        put_map(&mut meta, "labels", &c.labels);
        put_map(&mut meta, "annotations", &c.annotations);
        self.objects.push(obj! {"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta, "data": map_json(&c.data)});
        Ok(())
    }

    fn secret(&mut self, s: &model::Secret, field: &str) -> Result<(), ScenarioError> {
        check_name(field, &s.name)?;
        let ns_created = self.ns_created(field, &s.namespace)?;
        let created = s.age.map(|a| a.at(self.now)).unwrap_or(ns_created);
        let uid = self.ids.uid();
        self.register(
            field,
            &s.namespace,
            &s.name,
            ObjRef::new("Secret", "v1", &uid, None),
        )?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut data: BTreeMap<String, Value> = BTreeMap::new();
        for (k, v) in &s.data {
            b64.decode(v).map_err(|_| {
                ScenarioError::invalid(
                    format!("{field}.data.{k}"),
                    "not base64 (use stringData for plain values)",
                )
            })?;
            data.insert(k.clone(), v.as_str().into());
        }
        for (k, v) in &s.string_data {
            data.insert(k.clone(), b64.encode(v).into());
        }
        let mut meta = base_meta(&s.name, Some(&s.namespace), &uid, created);
        put_map(&mut meta, "labels", &s.labels);
        put_map(&mut meta, "annotations", &s.annotations);
        let data: JMap<String, Value> = data.into_iter().collect();
        self.objects.push(
            obj! {"kind": "Secret", "apiVersion": "v1", "metadata": meta,
            "type": s.type_.clone().unwrap_or_else(|| "Opaque".into()), "data": data},
        );
        Ok(())
    }

    fn event(&mut self, e: &model::Event, field: &str) -> Result<(), ScenarioError> {
        let (kind_word, name) = e.object.split_once('/').ok_or_else(|| {
            ScenarioError::invalid(
                format!("{field}.object"),
                format!(
                    "{:?}: expected KIND/NAME, e.g. pod/smf-service-n0-0",
                    e.object
                ),
            )
        })?;
        let (kind, _, namespaced) = kind_of(kind_word).ok_or_else(|| {
            ScenarioError::invalid(
                format!("{field}.object"),
                format!("unknown kind {kind_word:?}"),
            )
        })?;
        let ns = if namespaced {
            e.namespace.clone().ok_or_else(|| {
                ScenarioError::invalid(
                    format!("{field}.namespace"),
                    format!("an event about a {kind} needs a namespace"),
                )
            })?
        } else {
            String::new()
        };
        let obj = self
            .index
            .get(&(kind, ns.clone(), name.to_string()))
            .cloned()
            .ok_or_else(|| {
                let what = if ns.is_empty() {
                    name.to_string()
                } else {
                    format!("{ns}/{name}")
                };
                ScenarioError::invalid(
                    format!("{field}.object"),
                    format!("no {kind} {what} in this scenario"),
                )
            })?;
        let rec = obj.pod.map(|i| self.pods[i].clone());
        if let (Some(c), Some(r)) = (&e.container, &rec)
            && !r.shape.images.iter().any(|(n, _)| n == c)
        {
            return Err(ScenarioError::invalid(
                format!("{field}.container"),
                format!("pod {name} has no container {c:?}"),
            ));
        }
        let field_path = e.field_path.clone().or_else(|| {
            e.container
                .as_ref()
                .map(|c| format!("spec.containers{{{c}}}"))
        });
        let type_ = e.type_.clone().unwrap_or_else(|| "Normal".into());
        if type_ != "Normal" && type_ != "Warning" {
            return Err(ScenarioError::invalid(
                format!("{field}.type"),
                format!("{type_:?}: expected Normal or Warning"),
            ));
        }
        let last = e
            .last_seen
            .or(e.first_seen)
            .map(|a| a.at(self.now))
            .unwrap_or(self.now);
        let first = e.first_seen.map(|a| a.at(self.now)).unwrap_or(last);
        if first > last {
            return Err(ScenarioError::invalid(
                format!("{field}.firstSeen"),
                "firstSeen is later than lastSeen",
            ));
        }
        let count = e.count.unwrap_or(1).max(1);
        let component = e.source.clone().unwrap_or_else(|| "kubelet".into());
        let host = e.host.clone().or_else(|| match (component.as_str(), kind) {
            ("kubelet", "Pod") => rec.as_ref().and_then(|r| r.node.clone()),
            ("kubelet", "Node") => Some(name.to_string()),
            _ => None,
        });
        let (uid, event_ns) = if kind == "Node" {
            (name.to_string(), "default".to_string())
        } else {
            (obj.uid.clone(), ns.clone())
        };
        if kind == "Node" && !self.ns_created.contains_key("default") {
            return Err(ScenarioError::invalid(
                format!("{field}.object"),
                "node events live in namespace default: declare it",
            ));
        }
        let image = rec.as_ref().and_then(|r| {
            r.shape
                .images
                .iter()
                .find(|(n, _)| Some(n) == e.container.as_ref())
                .or(r.shape.images.first())
                .map(|(_, i)| i.clone())
        });
        let mut message = e
            .message
            .replace("{uid}", &obj.uid)
            .replace("{name}", name)
            .replace("{namespace}", &ns);
        if let Some(r) = &rec {
            message = message
                .replace("{node}", r.node.as_deref().unwrap_or(""))
                .replace("{ip}", r.ip.as_deref().unwrap_or(""));
        }
        if let Some(i) = &image {
            message = message.replace("{image}", i);
        }
        if let Some(c) = &e.container {
            message = message.replace("{container}", c);
        }
        let mut involved = JMap::new();
        involved.insert("kind".into(), obj.kind.into());
        if !ns.is_empty() {
            involved.insert("namespace".into(), ns.as_str().into());
        }
        involved.insert("name".into(), name.into());
        involved.insert("uid".into(), uid.into());
        involved.insert("apiVersion".into(), obj.api_version.into());
        if let Some(fp) = &field_path {
            involved.insert("fieldPath".into(), fp.as_str().into());
        }
        let mut source = JMap::new();
        source.insert("component".into(), component.as_str().into());
        if let Some(h) = &host {
            source.insert("host".into(), h.as_str().into());
        }
        let ev_name = format!("{name}.{}", self.ids.hex(16));
        let ev_uid = self.ids.uid();
        let meta = base_meta(&ev_name, Some(&event_ns), &ev_uid, first);
        self.objects.push(obj! {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": meta,
            "involvedObject": involved,
            "reason": e.reason.as_str(),
            "message": message,
            "source": source,
            "firstTimestamp": rfc3339(first),
            "lastTimestamp": rfc3339(last),
            "count": count,
            "type": type_,
            "eventTime": Value::Null,
            "reportingComponent": component,
            "reportingInstance": host.unwrap_or_default(),
        });
        Ok(())
    }
}
