//! A large cluster for benchmarks: thousands of nodes, up to hundreds of
//! thousands of pods in ~20 namespaces of Deployments and StatefulSets (plus a
//! few finished job pods), with the status mix of a real cluster on a bad day:
//! about 97 % Running, and a few of every troubled status kubectl shows.
//! It goes through the same expansion as YAML scenarios, built directly from
//! the model (parsing YAML for 100 000 pods would be the slow part).

use std::time::Duration;

use jiff::Timestamp;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::World;
use super::expand::expand_with;
use super::model::{
    self, Completed, Container, CrashLoop, Evicted, Exited, ImagePull, Kind, LogCfg, Map, PodEntry,
    Probe, Probes, Resources, Scenario, State, StyleCfg, Target, Terminating,
};
use super::units::{Age, Dur, OrderedMap, PortSpec};

/// The troubled statuses, in the order they are handed out (kubectl's STATUS words).
pub(crate) const TROUBLED: [&str; 11] = [
    "CrashLoopBackOff",
    "Error",
    "Completed",
    "Evicted",
    "Pending",
    "Init:0/1",
    "ImagePullBackOff",
    "OOMKilled",
    "Terminating",
    "ContainerCreating",
    "NotReady",
];

const NAMESPACES: [&str; 20] = [
    "smf-data",
    "amf-data",
    "upf-data",
    "pcf-data",
    "nrf-data",
    "ausf-data",
    "udm-data",
    "nssf-data",
    "cee-global",
    "cdl-data",
    "ims-data",
    "sepp-data",
    "bsf-data",
    "chf-data",
    "nef-data",
    "lmf-data",
    "scp-data",
    "smsf-data",
    "monitoring",
    "logging",
];

const COMPONENTS: [&str; 16] = [
    "session",
    "rest-ep",
    "protocol",
    "nodemgr",
    "cache",
    "gtpc-ep",
    "li-ep",
    "udp-proxy",
    "oam",
    "metrics",
    "cdl-ep",
    "cdl-slot",
    "cdl-index",
    "kafka",
    "zookeeper",
    "etcd",
];

const REPLICAS: [usize; 10] = [4, 10, 20, 8, 40, 2, 16, 30, 6, 64];

/// `n` written in the controllers' name alphabet, `len` characters.
fn kube_code(mut n: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..len)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u64) as usize] as char;
            n /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

fn ago(secs: u64) -> Option<Age> {
    Some(Age::ago(Duration::from_secs(secs)))
}

fn state_for(status: &str, k: usize) -> State {
    let k = k as u64;
    match status {
        "CrashLoopBackOff" => State::CrashLoop(CrashLoop {
            restarts: Some(1 + (k % 30) as u32),
            run: Some(Dur(Duration::from_secs(20 + k % 100))),
            exit_code: Some(if k.is_multiple_of(3) { 139 } else { 2 }),
            signal: Some(if k.is_multiple_of(3) { 11 } else { 6 }),
            last_finished: ago(30 + k % 600),
            ..Default::default()
        }),
        "Error" => State::Error(Exited {
            exit_code: Some(1),
            finished: ago(5 + k % 50),
            ..Default::default()
        }),
        "Completed" => State::Completed(Completed {
            finished: ago(600 + k % 3000),
        }),
        "Evicted" => State::Evicted(Evicted {
            message: Some(format!(
                "The node was low on resource: memory. Threshold quantity: 100Mi, available: {}Ki. Container app was using {}Ki, request is 268435456, has larger consumption of memory.",
                50_000 + k % 40_000,
                1_500_000 + k % 900_000
            )),
            at: ago(3600 + k % 80_000),
        }),
        "Pending" => State::Pending(Default::default()),
        "Init:0/1" => State::Init,
        "ImagePullBackOff" => State::ImagePullBackOff(ImagePull::default()),
        "OOMKilled" => State::OomKilled(Exited {
            restarts: Some(1 + (k % 4) as u32),
            finished: ago(3 + k % 40),
            ..Default::default()
        }),
        "Terminating" => State::Terminating(Terminating {
            since: ago(60 + k % 600),
        }),
        "ContainerCreating" => State::ContainerCreating,
        "NotReady" => State::NotReady(Target::default()),
        _ => State::Running,
    }
}

fn container(name: &str, image: String, log_style: StyleCfg) -> Container {
    Container {
        name: name.into(),
        image,
        command: Vec::new(),
        args: Vec::new(),
        entrypoint: vec![format!("/opt/workspace/{name}")],
        ports: vec![PortSpec::parse("http:8080").expect("valid port")],
        env: OrderedMap::default(),
        resources: Some(Resources {
            requests: [("cpu", "100m"), ("memory", "256Mi")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            limits: [("cpu", "1"), ("memory", "1Gi")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }),
        probes: Probes {
            readiness: Some(Probe {
                http: Some("8080/healthz".into()),
                tcp: None,
                exec: None,
                delay: Some(Dur(Duration::from_secs(5))),
                period: None,
                timeout: Some(Dur(Duration::from_secs(3))),
                success_threshold: None,
                failure_threshold: None,
            }),
            ..Default::default()
        },
        security_context: None,
        volume_mounts: Vec::new(),
        image_pull_policy: None,
        log: Some(LogCfg {
            style: log_style,
            interval: Some(Dur(Duration::from_secs(300))),
            history: Some(Dur(Duration::from_secs(3600))),
        }),
    }
}

fn workload(
    kind: Kind,
    ns: &str,
    name: String,
    component: &str,
    age: Option<Age>,
) -> model::Workload {
    let nf = ns.split('-').next().unwrap_or(ns);
    let style = match component {
        "kafka" | "zookeeper" => StyleCfg::Java,
        "etcd" => StyleCfg::Json,
        _ => StyleCfg::Smf,
    };
    let image = format!("registry.smi.example/smi-fuse/{nf}/{component}:1.0.4-0212");
    let labels: Map = [("app".to_string(), name.clone())].into_iter().collect();
    let pod_labels: Map = [
        ("component".to_string(), component.to_string()),
        ("release".to_string(), format!("{ns}-{component}")),
    ]
    .into_iter()
    .collect();
    model::Workload {
        kind,
        namespace: ns.into(),
        name: name.clone(),
        age,
        replicas: None,
        labels,
        selector: None,
        pod_labels,
        annotations: Map::new(),
        pod_annotations: [("prometheus.io/scrape".to_string(), "true".to_string())]
            .into_iter()
            .collect(),
        template_hash: None,
        service_name: None,
        node: None,
        node_selector: Map::new(),
        host_network: false,
        static_pod: false,
        service_account: None,
        security_context: Some(serde_json::json!({"runAsUser": 303, "fsGroup": 303})),
        priority_class: None,
        restart_policy: None,
        termination_grace_period_seconds: None,
        tolerations: Vec::new(),
        volumes: Vec::new(),
        init_containers: Vec::new(),
        containers: vec![container(&format!("{nf}-{component}"), image, style)],
        pods: Vec::new(),
    }
}

/// Builds the scenario model of a scale cluster.
pub(crate) fn scale_model(nodes: usize, pods: usize) -> Scenario {
    let nodes_n = nodes.max(1);
    let per_node = pods.div_ceil(nodes_n);
    // A pod CIDR per node large enough for its share (at least a /24), carved from 10.128.0.0/9.
    let mut block: u32 = 256;
    while (block as usize) < 2 * per_node + 8 {
        block *= 2;
    }
    let prefix = 32 - block.trailing_zeros();
    let mut node_list = Vec::with_capacity(nodes_n);
    for i in 0..nodes_n {
        let ip = std::net::Ipv4Addr::from(0x0A01_0000u32 + i as u32 + 1);
        let cidr_base =
            std::net::Ipv4Addr::from(0x0A80_0000u32.wrapping_add((i as u32).wrapping_mul(block)));
        let control = i < 3.min(nodes_n);
        node_list.push(model::Node {
            name: format!("node-{:05}", i + 1),
            roles: vec![if control {
                "control-plane".into()
            } else {
                "worker".into()
            }],
            ip: ip.to_string(),
            age: ago(30 * 86400),
            pod_cidr: Some(format!("{cidr_base}/{prefix}")),
            labels: [(
                "node-type".to_string(),
                if control { "oam" } else { "session" }.to_string(),
            )]
            .into_iter()
            .collect(),
            annotations: Map::new(),
            os_image: "Ubuntu 22.04.4 LTS".into(),
            kernel: "5.15.0-105-generic".into(),
            runtime: "containerd://1.7.12".into(),
            arch: "amd64".into(),
            capacity: [("cpu", "64"), ("memory", "263921560Ki"), ("pods", "250")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            allocatable: None,
            taints: Vec::new(),
            ready: true,
            unschedulable: false,
            boot_id: None,
            machine_id: None,
        });
    }
    let namespaces: Vec<model::Namespace> = NAMESPACES
        .iter()
        .map(|n| model::Namespace {
            name: n.to_string(),
            age: ago(30 * 86400),
            labels: Map::new(),
        })
        .collect();

    let mut workloads = Vec::new();
    let mut services = Vec::new();
    let mut events = Vec::new();
    let mut made = 0usize;
    let mut troubled = 0usize;
    let mut w = 0usize;
    while made < pods {
        let ns = NAMESPACES[w % NAMESPACES.len()];
        let component = COMPONENTS[(w / NAMESPACES.len()) % COMPONENTS.len()];
        let round = w / (NAMESPACES.len() * COMPONENTS.len());
        let kind = if w % 3 == 2 {
            Kind::StatefulSet
        } else {
            Kind::Deployment
        };
        let nf = ns.split('-').next().unwrap_or(ns);
        let name = format!("{nf}-{component}-n{round}");
        let age = ago(3600 + (w as u64 * 7919) % (20 * 86400));
        let replicas = REPLICAS[w % REPLICAS.len()].min(pods - made);
        let mut wl = workload(kind, ns, name.clone(), component, age);
        if kind == Kind::Deployment {
            wl.template_hash = Some(kube_code(0x5eed_0000 + w as u64 * 2_654_435_761, 10));
        }
        let mut states = Vec::with_capacity(replicas);
        let mut jobs = Vec::new();
        for _ in 0..replicas {
            let k = made;
            made += 1;
            let state = if k % 100 >= 97 {
                let status = TROUBLED[troubled % TROUBLED.len()];
                troubled += 1;
                if status == "Completed" {
                    jobs.push((k, state_for(status, k)));
                    continue;
                }
                state_for(status, k)
            } else {
                State::Running
            };
            states.push((k, state));
        }
        if states.iter().any(|(_, s)| *s == State::Init) {
            let mut init = container(
                "init-config",
                "registry.smi.example/smi-fuse/base/init-config:1.0.4".into(),
                StyleCfg::Plain,
            );
            init.ports.clear();
            init.probes = Probes::default();
            wl.init_containers.push(init);
        }
        if states.iter().any(|(_, s)| matches!(s, State::NotReady(_))) {
            for side in ["metrics-agent", "config-sync"] {
                let mut c = container(
                    side,
                    format!("registry.smi.example/smi-fuse/base/{side}:1.0.4"),
                    StyleCfg::Plain,
                );
                c.ports.clear();
                c.probes = Probes::default();
                wl.containers.push(c);
            }
        }
        for (k, state) in states {
            let ns_s = ns.to_string();
            match &state {
                State::CrashLoop(_)
                | State::Evicted(_)
                | State::Pending(_)
                | State::ImagePullBackOff(_) => {
                    let i = wl.pods.len();
                    let pod_name = if kind == Kind::StatefulSet {
                        format!("{name}-{i}")
                    } else {
                        format!(
                            "{name}-{}-{}",
                            wl.template_hash.as_deref().unwrap_or_default(),
                            kube_code(k as u64, 5)
                        )
                    };
                    let (type_, reason, message, source) = match &state {
                        State::CrashLoop(_) => (
                            "Warning",
                            "BackOff",
                            "Back-off restarting failed container {container} in pod {name}_{namespace}({uid})",
                            "kubelet",
                        ),
                        State::Evicted(_) => (
                            "Warning",
                            "Evicted",
                            "The node was low on resource: memory.",
                            "kubelet",
                        ),
                        State::Pending(_) => (
                            "Warning",
                            "FailedScheduling",
                            "0/3 nodes are available: 3 Insufficient memory.",
                            "default-scheduler",
                        ),
                        _ => ("Warning", "Failed", "Error: ImagePullBackOff", "kubelet"),
                    };
                    events.push(model::Event {
                        namespace: Some(ns_s.clone()),
                        object: format!("pod/{pod_name}"),
                        container: if matches!(state, State::Evicted(_) | State::Pending(_)) {
                            None
                        } else {
                            Some(wl.containers[0].name.clone())
                        },
                        field_path: None,
                        type_: Some(type_.into()),
                        reason: reason.into(),
                        message: message.into(),
                        count: Some(1 + (k % 20) as u32),
                        first_seen: ago(600 + (k % 600) as u64),
                        last_seen: ago(5 + (k % 300) as u64),
                        source: Some(source.into()),
                        host: None,
                    });
                    wl.pods.push(PodEntry {
                        name: Some(pod_name),
                        suffix: None,
                        node: None,
                        ip: None,
                        age: None,
                        state,
                    });
                }
                _ => wl.pods.push(PodEntry {
                    state,
                    ..Default::default()
                }),
            }
        }
        let replica_count = wl
            .pods
            .iter()
            .filter(|p| !matches!(p.state, State::Evicted(_) | State::Completed(_)))
            .count();
        wl.replicas = Some(replica_count as u32);
        if !wl.pods.is_empty() {
            services.push(model::Service {
                namespace: ns.into(),
                name: name.clone(),
                age,
                type_: None,
                // Allocated here, in order, so that expansions in parallel never collide.
                cluster_ip: Some(if kind == Kind::StatefulSet {
                    "None".into()
                } else {
                    std::net::Ipv4Addr::from(0x0A60_0100u32 + services.len() as u32).to_string()
                }),
                external_ips: Vec::new(),
                load_balancer_ip: None,
                ports: vec![PortSpec::parse("http:8080").expect("valid port")],
                selector: Some(wl.labels.clone()),
                labels: None,
                annotations: Map::new(),
                endpoints: Vec::new(),
            });
            workloads.push(wl);
        }
        for (k, state) in jobs {
            let mut job = workload(
                Kind::Pod,
                ns,
                format!("{nf}-report-{k}"),
                "report",
                ago(7200),
            );
            job.restart_policy = Some("Never".into());
            job.pods.push(PodEntry {
                state,
                ..Default::default()
            });
            workloads.push(job);
        }
        w += 1;
    }

    Scenario {
        cluster: "scale".into(),
        version: "v1.36.2".into(),
        age: ago(30 * 86400),
        _templates: None,
        nodes: node_list,
        namespaces,
        workloads,
        services,
        ingresses: Vec::new(),
        config_maps: Vec::new(),
        secrets: Vec::new(),
        events,
    }
}

/// Splits a scale model into `parts` independent clusters (disjoint nodes and
/// namespaces) that can be expanded in parallel and merged.
fn split(model: Scenario, parts: usize) -> Vec<Scenario> {
    let mut out: Vec<Scenario> = (0..parts)
        .map(|_| Scenario {
            cluster: model.cluster.clone(),
            version: model.version.clone(),
            age: model.age,
            _templates: None,
            nodes: Vec::new(),
            namespaces: Vec::new(),
            workloads: Vec::new(),
            services: Vec::new(),
            ingresses: Vec::new(),
            config_maps: Vec::new(),
            secrets: Vec::new(),
            events: Vec::new(),
        })
        .collect();
    for (i, n) in model.nodes.into_iter().enumerate() {
        out[i % parts].nodes.push(n);
    }
    let mut part_of = std::collections::HashMap::new();
    for (i, ns) in model.namespaces.into_iter().enumerate() {
        part_of.insert(ns.name.clone(), i % parts);
        out[i % parts].namespaces.push(ns);
    }
    let part = |ns: &str| part_of.get(ns).copied().unwrap_or(0);
    for w in model.workloads {
        out[part(&w.namespace)].workloads.push(w);
    }
    for s in model.services {
        out[part(&s.namespace)].services.push(s);
    }
    for e in model.events {
        out[part(e.namespace.as_deref().unwrap_or_default())]
            .events
            .push(e);
    }
    out
}

/// A scale scenario: `nodes` nodes and `pods` pods spread over 20 namespaces of
/// Deployments and StatefulSets (one headless or ClusterIP service each), ≈97 %
/// Running and the rest spread evenly over CrashLoopBackOff, Error, Completed,
/// Evicted, Pending, Init:0/1, ImagePullBackOff, OOMKilled, Terminating,
/// ContainerCreating and NotReady (2/3). Containers log every 5 minutes with
/// one hour of history. Objects carry no managedFields.
pub fn scale(nodes: usize, pods: usize, now: Timestamp) -> World {
    // Building 100 000 pods is mostly memory allocation: use the cores.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = (2 * cores)
        .clamp(2, 8)
        .min(nodes.max(1))
        .min(NAMESPACES.len());
    let models = split(scale_model(nodes, pods), parts);
    let worlds: Vec<World> = std::thread::scope(|scope| {
        let handles: Vec<_> = models
            .iter()
            .enumerate()
            .map(|(i, m)| {
                scope.spawn(move || {
                    let rng = SmallRng::seed_from_u64(0x6b75_6265_7461_6321 + i as u64);
                    expand_with(m, now, true, rng).expect("the scale scenario is consistent")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("scale expansion panicked"))
            .collect()
    });
    let mut merged = World {
        cluster: "scale".into(),
        version: "v1.36.2".into(),
        objects: Vec::with_capacity(worlds.iter().map(|w| w.objects.len()).sum()),
        nodes: Vec::with_capacity(nodes),
        containers: Vec::with_capacity(worlds.iter().map(|w| w.containers.len()).sum()),
    };
    for w in worlds {
        merged.objects.extend(w.objects);
        merged.nodes.extend(w.nodes);
        merged.containers.extend(w.containers);
    }
    merged.nodes.sort_by(|a, b| a.name.cmp(&b.name));
    merged
}
