//! Tests of the scenario format, the default scenario against what kubectl
//! printed for the real cluster, the scale scenario, and log line generation.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::Value;

use super::units::{Age, PortRef, PortSpec, go_duration, parse_duration};
use super::*;

// What kubectl printed for the real cluster (shared/reference/kubectl-1.32-on-kube-apiserver-1.36).
const PODS_WIDE: &str = r#"
NAME                                               READY   STATUS             RESTARTS      AGE     IP                NODE      NOMINATED NODE   READINESS GATES
api-smf-data-ops-center-57c8f6b4d7-wt66s           1/1     Running            0             6d      192.168.41.137    master1   <none>           <none>
base-entitlement-smf-fcdb664d-fkgss                1/1     Running            0             6d      192.168.90.30     worker1   <none>           <none>
cache-pod-0                                        1/1     Running            0             7h1m    192.168.90.105    worker1   <none>           <none>
cache-pod-1                                        1/1     Running            0             7h1m    192.168.112.128   worker2   <none>           <none>
cdl-ep-session-c1-dbb5f7874-4gmfr                  1/1     Running            0             7h1m    192.168.90.214    worker1   <none>           <none>
cdl-ep-session-c1-dbb5f7874-5zbqw                  1/1     Running            0             7h1m    192.168.112.95    worker2   <none>           <none>
cdl-index-session-c1-m1-0                          1/1     Running            0             7h1m    192.168.90.223    worker1   <none>           <none>
cdl-slot-session-c1-m1-0                           1/1     Running            0             7h1m    192.168.112.89    worker2   <none>           <none>
documentation-5dc8d5d898-mv6kx                     1/1     Running            0             6d      192.168.41.218    master1   <none>           <none>
etcd-smf-data-etcd-cluster-0                       1/1     Running            0             7h1m    192.168.41.71     master1   <none>           <none>
grafana-dashboard-app-infra-5b8dd74bb6-xv1ln       1/1     Running            0             7h1m    192.168.41.130    master1   <none>           <none>
grafana-dashboard-cdl-5df868c45c-vbr4r             1/1     Running            0             7h1m    192.168.41.171    master1   <none>           <none>
grafana-dashboard-smf-657755b7c8-fvbdt             1/1     Running            0             7h1m    192.168.41.75     master1   <none>           <none>
gtpc-ep-n0-0                                       1/1     Running            0             7h1m    192.168.90.118    worker1   <none>           <none>
kafka-0                                            1/1     Running            0             7h1m    192.168.112.10    worker2   <none>           <none>
li-ep-n0-0                                         1/1     Running            0             7h1m    192.168.90.14     worker1   <none>           <none>
oam-pod-0                                          1/1     Running            0             7h1m    192.168.41.128    master1   <none>           <none>
ops-center-smf-data-ops-center-7fbb97d9c9-tx7qd    5/5     Running            0             6d      192.168.41.131    master1   <none>           <none>
smart-agent-smf-data-ops-center-6667dcdd65-2h7nr   0/1     Evicted            0             6d      192.168.90.216    worker1   <none>           <none>
smart-agent-smf-data-ops-center-6667dcdd65-6wfvq   1/1     Running            0             4d18h   192.168.112.13    worker2   <none>           <none>
smf-nodemgr-n0-0                                   1/1     Running            0             7h1m    192.168.90.41     worker1   <none>           <none>
smf-protocol-n0-0                                  1/1     Running            0             7h1m    192.168.112.101   worker2   <none>           <none>
smf-rest-ep-n0-0                                   1/1     Running            0             7h1m    192.168.90.145    worker1   <none>           <none>
smf-service-n0-0                                   0/1     CrashLoopBackOff   5 (10m ago)   7h1m    192.168.112.75    worker2   <none>           <none>
smf-udp-proxy-0                                    1/1     Running            0             7h1m    192.168.90.196    worker1   <none>           <none>
swift-smf-data-ops-center-68bc75bbc7-4zdc7         1/1     Running            0             6d      192.168.41.206    master1   <none>           <none>
zookeeper-0                                        1/1     Running            0             7h1m    192.168.90.115    worker1   <none>           <none>
zookeeper-1                                        1/1     Running            0             7h      192.168.112.166   worker2   <none>           <none>
zookeeper-2                                        1/1     Running            0             7h      192.168.41.196    master1   <none>           <none>
"#;
const DEPLOY: &str = r#"
NAME                              READY   UP-TO-DATE   AVAILABLE   AGE
api-smf-data-ops-center           1/1     1            1           6d
base-entitlement-smf              1/1     1            1           6d
cdl-ep-session-c1                 2/2     2            2           7h1m
documentation                     1/1     1            1           6d
grafana-dashboard-app-infra       1/1     1            1           7h1m
grafana-dashboard-cdl             1/1     1            1           7h1m
grafana-dashboard-smf             1/1     1            1           7h1m
ops-center-smf-data-ops-center    1/1     1            1           6d
smart-agent-smf-data-ops-center   1/1     1            1           6d
swift-smf-data-ops-center         1/1     1            1           6d
"#;
const STS: &str = r#"
NAME                         READY   AGE
cache-pod                    2/2     7h1m
cdl-index-session-c1-m1      1/1     7h1m
cdl-slot-session-c1-m1       1/1     7h1m
etcd-smf-data-etcd-cluster   1/1     7h1m
gtpc-ep-n0                   1/1     7h1m
kafka                        1/1     7h1m
li-ep-n0                     1/1     7h1m
oam-pod                      1/1     7h1m
smf-nodemgr-n0               1/1     7h1m
smf-protocol-n0              1/1     7h1m
smf-rest-ep-n0               1/1     7h1m
smf-service-n0               0/1     7h1m
smf-udp-proxy                1/1     7h1m
zookeeper                    3/3     7h1m
"#;
const SVC_WIDE: &str = r#"
NAME                                   TYPE        CLUSTER-IP       EXTERNAL-IP    PORT(S)                               AGE   SELECTOR
base-entitlement-smf                   ClusterIP   10.97.93.253     <none>         8000/TCP                              6d    app=base-entitlement-smf
datastore-ep-session                   ClusterIP   10.101.15.88     <none>         8882/TCP                              6d    app=cdl-ep-session-c1
datastore-notification-ep              ClusterIP   10.110.182.26    <none>         8890/TCP                              6d    app=cdl-ep-session-c1
datastore-tls-ep-session               ClusterIP   10.110.115.33    <none>         8883/TCP                              6d    app=cdl-ep-session-c1
documentation                          ClusterIP   10.110.85.239    <none>         8080/TCP                              6d    app=documentation
etcd                                   ClusterIP   None             <none>         2379/TCP,7070/TCP                     6d    app=etcd
etcd-smf-data-etcd-cluster-0           ClusterIP   10.103.194.229   <none>         2380/TCP,2379/TCP                     6d    app=etcd
grafana-dashboard-app-infra            ClusterIP   10.98.161.155    <none>         9418/TCP                              6d    app=grafana-dashboard-app-infra
grafana-dashboard-cdl                  ClusterIP   10.104.32.111    <none>         9418/TCP                              6d    app=grafana-dashboard-cdl
grafana-dashboard-smf                  ClusterIP   10.106.64.191    <none>         9418/TCP                              6d    app=grafana-dashboard-smf
gtpc-ep                                ClusterIP   10.99.49.25      10.10.10.201   9003/TCP,8080/TCP                     6d    app=gtpc-ep
helm-api-smf-data-ops-center           ClusterIP   10.109.206.198   <none>         3000/TCP                              6d    app=ops-center-smf-data-ops-center
kafka                                  ClusterIP   None             <none>         9092/TCP,7070/TCP                     6d    app=kafka
li-ep                                  ClusterIP   10.106.134.35    <none>         9003/TCP,8080/TCP                     6d    app=li-ep
local-ldap-proxy-smf-data-ops-center   ClusterIP   10.99.160.226    <none>         636/TCP,369/TCP                       6d    app=ops-center-smf-data-ops-center
oam-pod                                ClusterIP   10.105.223.47    <none>         9008/TCP,7001/TCP,8879/TCP            6d    app=oam-pod
ops-center-smf-data-ops-center         ClusterIP   10.103.164.204   <none>         8008/TCP,8080/TCP,2024/TCP,2022/TCP   6d    app=ops-center-smf-data-ops-center
smart-agent-smf-data-ops-center        ClusterIP   10.97.143.81     <none>         8888/TCP                              6d    app=smart-agent-smf-data-ops-center
smf-n10-service                        ClusterIP   10.102.197.22    10.10.10.205   8090/TCP                              6d    app=smf-rest-ep
smf-n11-service                        ClusterIP   10.108.109.186   10.10.10.203   8090/TCP                              6d    app=smf-rest-ep
smf-n40-service                        ClusterIP   10.111.170.158   10.10.10.206   8090/TCP                              6d    app=smf-rest-ep
smf-n7-service                         ClusterIP   10.102.140.179   10.10.10.204   8090/TCP                              6d    app=smf-rest-ep
smf-nodemgr                            ClusterIP   10.102.68.172    <none>         9003/TCP,8884/TCP,9251/TCP            6d    app=smf-nodemgr
smf-protocol                           ClusterIP   10.111.219.156   <none>         9003/TCP,8080/TCP                     6d    app=smf-protocol
smf-rest-ep                            ClusterIP   10.109.189.99    <none>         9003/TCP,8080/TCP,9251/TCP            6d    app=smf-rest-ep
smf-sbi-service                        ClusterIP   10.105.176.248   10.10.10.201   8090/TCP                              6d    app=smf-rest-ep
smf-service                            ClusterIP   10.100.143.237   <none>         9003/TCP,8080/TCP                     6d    app=smf-service
swift-smf-data-ops-center              ClusterIP   10.98.196.46     <none>         9855/TCP,50055/TCP,56790/TCP          6d    app=swift-smf-data-ops-center
zookeeper                              ClusterIP   None             <none>         2888/TCP,3888/TCP                     6d    app=zookeeper
zookeeper-service                      ClusterIP   10.109.109.102   <none>         2181/TCP,7070/TCP                     6d    app=zookeeper
"#;
const INGRESS: &str = r#"
NAMESPACE   NAME                       CLASS   HOSTS                                                         ADDRESS          PORTS     AGE
cee-cee     grafana-ingress            nginx   grafana.192.168.208.10.nip.io                                 192.168.208.10   80, 443   6d18h
cee-cee     show-tac-manager-ingress   nginx   show-tac-manager.cee-cee-smi-show-tac.192.168.208.10.nip.io   192.168.208.10   80, 443   6d18h
"#;
const NS: &str = r#"
NAME              STATUS   AGE
cee-cee           Active   6d2h
default           Active   6d2h
kube-node-lease   Active   6d2h
kube-public       Active   6d2h
kube-system       Active   6d2h
lfs               Active   6d2h
nginx-ingress     Active   6d2h
smf-data          Active   6d2h
smi-certs         Active   6d2h
smi-vips          Active   6d2h
"#;
const NODES_WIDE: &str = r#"
NAME      STATUS   ROLES           AGE    VERSION   INTERNAL-IP      EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION              CONTAINER-RUNTIME
master1   Ready    control-plane   6d2h   v1.36.2   192.168.208.11   <none>        Ubuntu 20.04.6 LTS   5.4.0-169-generic (amd64)   containerd://1.7.12
worker1   Ready    worker          6d2h   v1.36.2   192.168.208.12   <none>        Ubuntu 20.04.6 LTS   5.4.0-169-generic (amd64)   containerd://1.7.12
worker2   Ready    worker          6d2h   v1.36.2   192.168.208.13   <none>        Ubuntu 20.04.6 LTS   5.4.0-169-generic (amd64)   containerd://1.7.12
"#;
const EVENTS: &str = r#"
LAST SEEN   TYPE      REASON      OBJECT                                                 MESSAGE
4d18h       Warning   Evicted     pod/smart-agent-smf-data-ops-center-6667dcdd65-2h7nr   The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9876544Ki. Container smart-agent was using 14316924Ki, request is 0, has larger consumption of ephemeral-storage.
4d18h       Normal    Killing     pod/smart-agent-smf-data-ops-center-6667dcdd65-2h7nr   Stopping container smart-agent
8m38s       Warning   BackOff     pod/smf-service-n0-0                                   Back-off restarting failed container smf-service in pod smf-service-n0-0_smf-data(4c1385f7-74a3-40a6-bfe5-693533b72ab0)
16m         Normal    Created     pod/smf-service-n0-0                                   Created container: smf-service
10m         Warning   Unhealthy   pod/smf-service-n0-0                                   Readiness probe failed: Get "http://192.168.112.75:8080/healthz": dial tcp 192.168.112.75:8080: connect: connection refused
16m         Normal    Pulled      pod/smf-service-n0-0                                   Container image "registry.smi.example/smi-fuse/smf/smf-service:1.0.4-0212" already present on machine
16m         Normal    Started     pod/smf-service-n0-0                                   Started container smf-service
7h1m        Normal    Scheduled   pod/smf-service-n0-0                                   Successfully assigned smf-data/smf-service-n0-0 to worker2
"#;

fn now() -> Timestamp {
    "2026-11-29T03:16:00Z".parse().unwrap()
}

/// Rows of a kubectl table: columns are separated by two spaces or more.
fn table(text: &str) -> Vec<Vec<String>> {
    text.trim()
        .lines()
        .skip(1)
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
        .collect()
}

/// kubectl's `duration.HumanDuration`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s < 120 {
        return format!("{s}s");
    }
    let m = s / 60;
    if m < 10 {
        return if s.is_multiple_of(60) {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        };
    }
    if m < 180 {
        return format!("{m}m");
    }
    let h = s / 3600;
    if h < 8 {
        return if m.is_multiple_of(60) {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        };
    }
    if h < 48 {
        return format!("{h}h");
    }
    if h < 24 * 8 {
        return if h.is_multiple_of(24) {
            format!("{}d", h / 24)
        } else {
            format!("{}d{}h", h / 24, h % 24)
        };
    }
    format!("{}d", h / 24)
}

fn ts(v: &Value) -> Timestamp {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

fn age(v: &Value, now: Timestamp) -> String {
    human(Duration::from_secs(
        (now.as_second() - ts(v).as_second()).max(0) as u64,
    ))
}

/// READY, STATUS, RESTARTS as kubectl 1.32 `printPod` computes them.
fn kubectl_pod(pod: &Value, now: Timestamp) -> (String, String, String) {
    let st = &pod["status"];
    let total = pod["spec"]["containers"].as_array().map_or(0, Vec::len);
    let mut reason = st["phase"].as_str().unwrap_or("").to_string();
    if let Some(r) = st["reason"].as_str() {
        reason = r.to_string();
    }
    let mut restarts = 0;
    let mut ready = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut note_restart = |c: &Value| {
        if let Some(f) = c["lastState"]["terminated"]["finishedAt"].as_str() {
            let t: Timestamp = f.parse().unwrap();
            last_restart = Some(last_restart.map_or(t, |l: Timestamp| l.max(t)));
        }
    };
    let empty = Vec::new();
    let inits = st["initContainerStatuses"].as_array().unwrap_or(&empty);
    let n_init = pod["spec"]["initContainers"].as_array().map_or(0, Vec::len);
    let mut initializing = false;
    for (i, c) in inits.iter().enumerate() {
        restarts += c["restartCount"].as_u64().unwrap_or(0);
        note_restart(c);
        let term = &c["state"]["terminated"];
        let wait = &c["state"]["waiting"];
        if term.is_object() && term["exitCode"] == 0 {
            continue;
        }
        initializing = true;
        if term.is_object() {
            reason = format!("Init:{}", term["reason"].as_str().unwrap_or("Error"));
        } else if wait["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty() && r != "PodInitializing")
        {
            reason = format!("Init:{}", wait["reason"].as_str().unwrap());
        } else {
            reason = format!("Init:{i}/{n_init}");
        }
        break;
    }
    if !initializing {
        restarts = 0;
        let mut has_running = false;
        for c in st["containerStatuses"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .rev()
        {
            restarts += c["restartCount"].as_u64().unwrap_or(0);
            note_restart(c);
            let wait = &c["state"]["waiting"]["reason"];
            let term = &c["state"]["terminated"];
            if let Some(r) = wait.as_str().filter(|r| !r.is_empty()) {
                reason = r.to_string();
            } else if let Some(r) = term["reason"].as_str().filter(|r| !r.is_empty()) {
                reason = r.to_string();
            } else if term.is_object() {
                reason = format!("ExitCode:{}", term["exitCode"]);
            } else if c["ready"] == true && c["state"]["running"].is_object() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = st["conditions"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            reason = if pod_ready {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }
    if pod["metadata"]["deletionTimestamp"].is_string() {
        reason = "Terminating".into();
    }
    let restarts = match last_restart {
        Some(t) => format!(
            "{restarts} ({} ago)",
            human(Duration::from_secs(
                (now.as_second() - t.as_second()).max(0) as u64
            ))
        ),
        None => restarts.to_string(),
    };
    (format!("{ready}/{total}"), reason, restarts)
}

fn world() -> World {
    smf(now()).unwrap_or_else(|e| panic!("{e}"))
}

fn names(w: &World, kind: &str, ns: &str) -> Vec<String> {
    let mut v: Vec<String> = w
        .of_kind(kind)
        .filter(|o| o["metadata"]["namespace"] == ns)
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn default_scenario_parses() {
    let w = world();
    assert_eq!(w.cluster, "brusmi");
    assert_eq!(w.version, "v1.36.2");
    assert_eq!(w.nodes.len(), 3);
    assert!(!w.containers.is_empty());
    // Also with the wall clock.
    smf(Timestamp::now()).unwrap();
}

#[test]
fn smf_data_pods_are_those_of_the_reference() {
    let w = world();
    let now = now();
    let mut rows: Vec<Vec<String>> = w
        .of_kind("Pod")
        .filter(|p| p["metadata"]["namespace"] == "smf-data")
        .map(|p| {
            let (ready, status, restarts) = kubectl_pod(p, now);
            vec![
                p["metadata"]["name"].as_str().unwrap().to_string(),
                ready,
                status,
                restarts,
                age(&p["metadata"]["creationTimestamp"], now),
                p["status"]["podIP"]
                    .as_str()
                    .unwrap_or("<none>")
                    .to_string(),
                p["spec"]["nodeName"]
                    .as_str()
                    .unwrap_or("<none>")
                    .to_string(),
                "<none>".into(),
                "<none>".into(),
            ]
        })
        .collect();
    rows.sort();
    let mut expected = table(PODS_WIDE);
    expected.sort();
    assert_eq!(rows.len(), 29);
    for (got, want) in rows.iter().zip(&expected) {
        assert_eq!(got, want);
    }
    assert_eq!(rows, expected);
}

#[test]
fn workloads_match_deploy_and_sts() {
    let w = world();
    let now = now();
    let mut deploy: Vec<Vec<String>> = w
        .of_kind("Deployment")
        .filter(|d| d["metadata"]["namespace"] == "smf-data")
        .map(|d| {
            let st = &d["status"];
            let n = |k: &str| st[k].as_u64().unwrap_or(0).to_string();
            vec![
                d["metadata"]["name"].as_str().unwrap().into(),
                format!("{}/{}", n("readyReplicas"), d["spec"]["replicas"]),
                n("updatedReplicas"),
                n("availableReplicas"),
                age(&d["metadata"]["creationTimestamp"], now),
            ]
        })
        .collect();
    deploy.sort();
    assert_eq!(deploy, table(DEPLOY));
    let mut sts: Vec<Vec<String>> = w
        .of_kind("StatefulSet")
        .filter(|d| d["metadata"]["namespace"] == "smf-data")
        .map(|d| {
            vec![
                d["metadata"]["name"].as_str().unwrap().into(),
                format!(
                    "{}/{}",
                    d["status"]["readyReplicas"].as_u64().unwrap_or(0),
                    d["spec"]["replicas"]
                ),
                age(&d["metadata"]["creationTimestamp"], now),
            ]
        })
        .collect();
    sts.sort();
    assert_eq!(sts, table(STS));
    // Each Deployment has its ReplicaSet, which owns the pods.
    for d in w.of_kind("Deployment") {
        let ns = d["metadata"]["namespace"].as_str().unwrap();
        let hash = d["metadata"]["name"].as_str().unwrap();
        let rs: Vec<&Value> = w
            .of_kind("ReplicaSet")
            .filter(|r| {
                r["metadata"]["namespace"] == ns
                    && r["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
            })
            .collect();
        assert_eq!(rs.len(), 1, "replica set of {hash}");
        let owned = w
            .of_kind("Pod")
            .filter(|p| p["metadata"]["ownerReferences"][0]["uid"] == rs[0]["metadata"]["uid"])
            .count();
        assert!(owned >= 1, "pods of {hash}");
    }
    let ops = w
        .object("Deployment", "smf-data", "ops-center-smf-data-ops-center")
        .unwrap();
    assert_eq!(
        ops["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn services_match_the_reference() {
    let w = world();
    let now = now();
    let mut rows: Vec<Vec<String>> = w
        .of_kind("Service")
        .filter(|s| s["metadata"]["namespace"] == "smf-data")
        .map(|s| {
            let spec = &s["spec"];
            let ext = spec["externalIPs"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().unwrap())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_else(|| "<none>".into());
            let ports = spec["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| format!("{}/{}", p["port"], p["protocol"].as_str().unwrap()))
                .collect::<Vec<_>>()
                .join(",");
            let sel = spec["selector"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
                .collect::<Vec<_>>()
                .join(",");
            vec![
                s["metadata"]["name"].as_str().unwrap().into(),
                spec["type"].as_str().unwrap().into(),
                spec["clusterIP"].as_str().unwrap().into(),
                ext,
                ports,
                age(&s["metadata"]["creationTimestamp"], now),
                sel,
            ]
        })
        .collect();
    rows.sort();
    assert_eq!(rows, table(SVC_WIDE));
}

#[test]
fn namespaces_nodes_and_ingresses_match_the_reference() {
    let w = world();
    let now = now();
    let ns: Vec<Vec<String>> = w
        .of_kind("Namespace")
        .filter(|n| n["metadata"]["name"] != "kubetac")
        .map(|n| {
            vec![
                n["metadata"]["name"].as_str().unwrap().into(),
                n["status"]["phase"].as_str().unwrap().into(),
                age(&n["metadata"]["creationTimestamp"], now),
            ]
        })
        .collect();
    let mut ns_sorted = ns.clone();
    ns_sorted.sort();
    assert_eq!(ns_sorted, table(NS));
    assert!(w.object("Namespace", "", "kubetac").is_some());
    assert_eq!(names(&w, "Pod", "kubetac"), Vec::<String>::new());

    let nodes: Vec<Vec<String>> = w
        .of_kind("Node")
        .map(|n| {
            let info = &n["status"]["nodeInfo"];
            let role = n["metadata"]["labels"]
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                .collect::<Vec<_>>()
                .join(",");
            vec![
                n["metadata"]["name"].as_str().unwrap().into(),
                if n["status"]["conditions"][3]["status"] == "True" {
                    "Ready".into()
                } else {
                    "NotReady".into()
                },
                role,
                age(&n["metadata"]["creationTimestamp"], now),
                info["kubeletVersion"].as_str().unwrap().into(),
                n["status"]["addresses"][0]["address"]
                    .as_str()
                    .unwrap()
                    .into(),
                "<none>".into(),
                info["osImage"].as_str().unwrap().into(),
                format!(
                    "{} ({})",
                    info["kernelVersion"].as_str().unwrap(),
                    info["architecture"].as_str().unwrap()
                ),
                info["containerRuntimeVersion"].as_str().unwrap().into(),
            ]
        })
        .collect();
    assert_eq!(nodes, table(NODES_WIDE));
    let worker2 = w.object("Node", "", "worker2").unwrap();
    assert_eq!(worker2["spec"]["podCIDR"], "192.168.112.0/24");
    assert_eq!(worker2["status"]["allocatable"]["cpu"], "31");
    assert_eq!(worker2["status"]["capacity"]["memory"], "131935424Ki");
    assert_eq!(w.nodes[2].boot_id, "60f62888075e66cf42f2f96d83879798");

    let mut ing: Vec<Vec<String>> = w
        .of_kind("Ingress")
        .map(|i| {
            let hosts = i["spec"]["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["host"].as_str().unwrap())
                .collect::<Vec<_>>()
                .join(",");
            let ports = if i["spec"]["tls"].is_array() {
                "80, 443"
            } else {
                "80"
            };
            vec![
                i["metadata"]["namespace"].as_str().unwrap().into(),
                i["metadata"]["name"].as_str().unwrap().into(),
                i["spec"]["ingressClassName"].as_str().unwrap().into(),
                hosts,
                i["status"]["loadBalancer"]["ingress"][0]["ip"]
                    .as_str()
                    .unwrap()
                    .into(),
                ports.into(),
                age(&i["metadata"]["creationTimestamp"], now),
            ]
        })
        .collect();
    ing.sort();
    assert_eq!(ing, table(INGRESS));
}

#[test]
fn events_match_the_reference() {
    let w = world();
    let now = now();
    let mut rows: Vec<Vec<String>> = w
        .of_kind("Event")
        .filter(|e| e["metadata"]["namespace"] == "smf-data")
        .map(|e| {
            vec![
                age(&e["lastTimestamp"], now),
                e["type"].as_str().unwrap().into(),
                e["reason"].as_str().unwrap().into(),
                format!("pod/{}", e["involvedObject"]["name"].as_str().unwrap()),
                e["message"].as_str().unwrap().into(),
            ]
        })
        .collect();
    let pod = w.object("Pod", "smf-data", "smf-service-n0-0").unwrap();
    let uid = pod["metadata"]["uid"].as_str().unwrap();
    // The reference pod's uid is in its BackOff message.
    let mut expected = table(&EVENTS.replace("4c1385f7-74a3-40a6-bfe5-693533b72ab0", uid));
    rows.sort();
    expected.sort();
    assert_eq!(rows, expected);
    let backoff = w
        .of_kind("Event")
        .find(|e| e["reason"] == "BackOff")
        .unwrap();
    assert_eq!(backoff["count"], 27);
    assert_eq!(backoff["involvedObject"]["uid"], uid);
    assert_eq!(
        backoff["involvedObject"]["fieldPath"],
        "spec.containers{smf-service}"
    );
    assert_eq!(backoff["source"]["host"], "worker2");
    assert_eq!(age(&backoff["firstTimestamp"], now), "46m");
    let scheduled = w
        .of_kind("Event")
        .find(|e| e["reason"] == "Scheduled")
        .unwrap();
    assert_eq!(
        scheduled["source"],
        serde_json::json!({"component": "default-scheduler"})
    );
    assert_eq!(scheduled["reportingInstance"], "");
}

#[test]
fn every_object_is_fully_formed() {
    let w = world();
    let kinds: HashSet<&str> = w
        .objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    for k in [
        "Namespace",
        "Node",
        "Pod",
        "Service",
        "Endpoints",
        "Event",
        "ConfigMap",
        "Secret",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Ingress",
    ] {
        assert!(kinds.contains(k), "no {k}");
    }
    let mut uids = HashSet::new();
    for o in &w.objects {
        let kind = o["kind"].as_str().unwrap();
        assert!(o["apiVersion"].is_string(), "{o}");
        let m = &o["metadata"];
        assert!(m["name"].is_string(), "{o}");
        assert!(
            m["resourceVersion"].is_null(),
            "{kind} has a resourceVersion"
        );
        assert!(m["managedFields"].is_null());
        let uid = m["uid"].as_str().unwrap();
        assert_eq!(uid.len(), 36, "{uid}");
        assert_eq!(&uid[14..15], "4", "v4-shaped: {uid}");
        assert!(uids.insert(uid.to_string()), "duplicate uid");
        let created = ts(&m["creationTimestamp"]);
        assert!(created <= now());
        let cluster_scoped = matches!(kind, "Namespace" | "Node");
        assert_eq!(
            m["namespace"].is_string(),
            !cluster_scoped,
            "{kind} {}",
            m["name"]
        );
    }
}

#[test]
fn pods_reference_existing_nodes_and_owners() {
    let w = world();
    let nodes: HashSet<&str> = w.nodes.iter().map(|n| n.name.as_str()).collect();
    let uids: HashSet<&str> = w
        .objects
        .iter()
        .map(|o| o["metadata"]["uid"].as_str().unwrap())
        .collect();
    for p in w.of_kind("Pod") {
        let node = p["spec"]["nodeName"].as_str().unwrap();
        assert!(nodes.contains(node), "{node}");
        let host_ip = w
            .nodes
            .iter()
            .find(|n| n.name == node)
            .unwrap()
            .internal_ip
            .as_str();
        assert_eq!(p["status"]["hostIP"], host_ip);
        for o in p["metadata"]["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert!(
                uids.contains(o["uid"].as_str().unwrap()),
                "owner of {}",
                p["metadata"]["name"]
            );
        }
        let vol = &p["spec"]["volumes"].as_array().unwrap().last().unwrap()["name"];
        assert!(vol.as_str().unwrap().starts_with("kube-api-access-"));
        assert_eq!(
            p["spec"]["containers"][0]["volumeMounts"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()["name"],
            *vol
        );
        assert!(p["status"]["qosClass"].is_string());
    }
    for c in &w.containers {
        assert!(nodes.contains(c.node.as_str()));
        let pod = w.object("Pod", &c.namespace, &c.pod).unwrap();
        assert_eq!(pod["metadata"]["uid"], c.pod_uid.as_str());
        assert_eq!(pod["spec"]["nodeName"], c.node.as_str());
    }
    // kube-proxy runs on every node, static pods belong to their node.
    let proxies: Vec<&str> = w
        .of_kind("Pod")
        .filter(|p| p["metadata"]["labels"]["k8s-app"] == "kube-proxy")
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    assert_eq!(proxies.len(), 3);
    let etcd = w.object("Pod", "kube-system", "etcd-master1").unwrap();
    assert_eq!(etcd["metadata"]["ownerReferences"][0]["kind"], "Node");
    assert_eq!(etcd["status"]["podIP"], "192.168.208.11");
}

#[test]
fn crashloop_pod_is_as_in_the_reference() {
    let w = world();
    let now = now();
    let p = w.object("Pod", "smf-data", "smf-service-n0-0").unwrap();
    let uid = p["metadata"]["uid"].as_str().unwrap();
    let cs = &p["status"]["containerStatuses"][0];
    assert_eq!(
        cs["state"]["waiting"]["message"],
        format!(
            "back-off 2m40s restarting failed container=smf-service pod=smf-service-n0-0_smf-data({uid})"
        )
    );
    assert_eq!(cs["state"]["waiting"]["reason"], "CrashLoopBackOff");
    assert_eq!(cs["lastState"]["terminated"]["exitCode"], 2);
    assert_eq!(cs["lastState"]["terminated"]["reason"], "Error");
    assert_eq!(
        cs["containerID"],
        cs["lastState"]["terminated"]["containerID"]
    );
    assert_eq!(cs["restartCount"], 5);
    assert_eq!(cs["started"], false);
    assert_eq!(
        age(&cs["lastState"]["terminated"]["finishedAt"], now),
        "10m"
    );
    assert_eq!(age(&cs["lastState"]["terminated"]["startedAt"], now), "16m");
    assert_eq!(p["spec"]["securityContext"]["runAsUser"], 303);
    assert_eq!(p["spec"]["hostname"], "smf-service-n0-0");
    assert_eq!(p["spec"]["subdomain"], "smf-service-n0");
    assert_eq!(
        p["metadata"]["labels"]["controller-revision-hash"],
        "smf-service-n0-de3bad55ee"
    );
    assert_eq!(
        p["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"],
        "smf-service"
    );
    assert_eq!(
        p["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"],
        8080
    );
    assert_eq!(
        p["spec"]["containers"][0]["livenessProbe"]["initialDelaySeconds"],
        30
    );
    assert_eq!(p["status"]["qosClass"], "Burstable");
    let conds: BTreeMap<&str, &str> = p["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(conds["Ready"], "False");
    assert_eq!(conds["PodScheduled"], "True");
    let env = p["spec"]["containers"][0]["env"].as_array().unwrap();
    assert_eq!(
        env[0],
        serde_json::json!({"name": "SERVICE_NAME", "value": "smf-service"})
    );
    assert_eq!(
        env[2]["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.name"
    );

    let c = w
        .containers
        .iter()
        .find(|c| c.pod == "smf-service-n0-0")
        .unwrap();
    assert_eq!(c.restart_count, 5);
    assert_eq!(
        c.command,
        ["/opt/workspace/tini", "/opt/workspace/smf-service"]
    );
    let log = c.log.unwrap();
    assert_eq!(
        (log.style, log.interval, log.history),
        (
            LogStyle::Smf,
            Duration::from_secs(3),
            Duration::from_secs(3600)
        )
    );
    match &c.behaviour {
        Behaviour::CrashLoop {
            run,
            backoff,
            exit_code,
            signal,
            process,
            uid,
            running_now,
            last_finished,
        } => {
            assert_eq!(*exit_code, 2);
            assert_eq!(*signal, Some(11));
            assert_eq!(process, "smf-service");
            assert_eq!(*uid, 303);
            assert!(!running_now);
            assert_eq!(run.as_secs() + backoff.as_secs(), 180);
            assert_eq!(last_finished.as_second(), now.as_second() - 600);
            assert_eq!(c.started_at.as_second(), now.as_second() - 960);
        }
        b => panic!("{b:?}"),
    }
    // Not ready: behind the smf-service service, but not serving.
    let ep = w.object("Endpoints", "smf-data", "smf-service").unwrap();
    assert!(ep["subsets"][0]["addresses"].is_null());
    assert_eq!(
        ep["subsets"][0]["notReadyAddresses"][0]["ip"],
        "192.168.112.75"
    );
}

#[test]
fn evicted_pod_has_no_container_state() {
    let w = world();
    let p = w
        .object(
            "Pod",
            "smf-data",
            "smart-agent-smf-data-ops-center-6667dcdd65-2h7nr",
        )
        .unwrap();
    assert_eq!(p["status"]["phase"], "Failed");
    assert_eq!(p["status"]["reason"], "Evicted");
    assert!(
        p["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The node was low on resource: ephemeral-storage.")
    );
    assert!(p["status"]["containerStatuses"].is_null());
    let c = w
        .containers
        .iter()
        .find(|c| c.pod == p["metadata"]["name"])
        .unwrap();
    assert_eq!(c.log, None);
    assert_eq!(c.behaviour, Behaviour::Stopped);
    // Its running sibling is behind the service, the evicted one is not.
    let ep = w
        .object("Endpoints", "smf-data", "smart-agent-smf-data-ops-center")
        .unwrap();
    let addrs = ep["subsets"][0]["addresses"].as_array().unwrap();
    assert_eq!(addrs.len(), 1);
    assert_eq!(addrs[0]["ip"], "192.168.112.13");
    assert_eq!(
        addrs[0]["targetRef"]["name"],
        "smart-agent-smf-data-ops-center-6667dcdd65-6wfvq"
    );
}

#[test]
fn cee_and_system_namespaces() {
    let w = world();
    let now = now();
    let cee = names(&w, "Pod", "cee-cee");
    assert!(
        cee.contains(&"ops-center-cee-cee-ops-center-79cf55b49b-6wrh9".to_string()),
        "{cee:?}"
    );
    let stm = w
        .object("Pod", "cee-cee", "show-tac-manager-85985946f6-bf1rc")
        .unwrap();
    assert_eq!(kubectl_pod(stm, now).0, "2/2");
    let svc = w
        .object("Service", "cee-cee", "ops-center-cee-cee-ops-center")
        .unwrap();
    assert!(
        svc["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["port"] == 2024)
    );
    assert_eq!(svc["spec"]["clusterIP"], "10.102.44.219");
    let prom = w.object("Service", "cee-cee", "prometheus").unwrap();
    assert_eq!(prom["spec"]["ports"][0]["port"], 9090);
    assert!(
        names(&w, "Pod", "cee-cee")
            .iter()
            .any(|n| n.starts_with("grafana-"))
    );
    assert!(
        names(&w, "Pod", "cee-cee")
            .iter()
            .any(|n| n == "prometheus-0")
    );
    let ks = names(&w, "Pod", "kube-system");
    for want in [
        "etcd-master1",
        "kube-apiserver-master1",
        "kube-controller-manager-master1",
        "kube-scheduler-master1",
    ] {
        assert!(ks.contains(&want.to_string()), "{want} in {ks:?}");
    }
    assert_eq!(
        ks.iter()
            .filter(|n| n.starts_with("coredns-668d6bf9bc-"))
            .count(),
        2
    );
    assert_eq!(names(&w, "Pod", "nginx-ingress").len(), 1);
    let k8s = w.object("Endpoints", "default", "kubernetes").unwrap();
    assert_eq!(k8s["subsets"][0]["addresses"][0]["ip"], "192.168.208.11");
    assert_eq!(k8s["subsets"][0]["ports"][0]["port"], 6443);
    // Service ports are named after the container ports they target.
    let ops = w
        .object("Service", "smf-data", "ops-center-smf-data-ops-center")
        .unwrap();
    let port_names: Vec<&str> = ops["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(port_names, ["restconf", "http", "ssh", "netconf"]);
    // Every namespace has its CA bundle.
    for ns in w.of_kind("Namespace") {
        assert!(
            w.object(
                "ConfigMap",
                ns["metadata"]["name"].as_str().unwrap(),
                "kube-root-ca.crt"
            )
            .is_some()
        );
    }
}

#[test]
fn planted_secrets_are_where_redaction_will_look() {
    use base64::Engine;
    let w = world();
    let cm = w
        .object("ConfigMap", "smf-data", "smf-service-config")
        .unwrap();
    assert_eq!(cm["data"]["api_token"], PLANTED_API_TOKEN);
    let sec = w
        .object("Secret", "smf-data", "smf-db-credentials")
        .unwrap();
    assert_eq!(sec["type"], "Opaque");
    let pw = base64::engine::general_purpose::STANDARD
        .decode(sec["data"]["password"].as_str().unwrap())
        .unwrap();
    assert_eq!(pw, PLANTED_DB_PASSWORD.as_bytes());
    let rest = w.object("Pod", "smf-data", "smf-rest-ep-n0-0").unwrap();
    let env = rest["spec"]["containers"][0]["env"].as_array().unwrap();
    assert!(
        env.iter()
            .any(|e| e["name"] == "DB_PASSWORD" && e["value"] == PLANTED_DB_PASSWORD)
    );
    let lines: Vec<String> = (0..200)
        .map(|s| log_line(LogStyle::Smf, "smf-service", s, now()))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("Authorization: Bearer {PLANTED_API_TOKEN}")))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("postgres://smf:{PLANTED_DB_PASSWORD}@db")))
    );
}

#[test]
fn running_containers_log_and_others_do_not() {
    let w = world();
    let smf_running = [
        "smf-nodemgr",
        "smf-protocol",
        "smf-rest-ep",
        "smf-udp-proxy",
    ];
    for c in &w.containers {
        match c.behaviour {
            Behaviour::Steady => {
                let log = c.log.unwrap_or_else(|| panic!("{} has no log", c.pod));
                assert!(log.interval >= Duration::from_secs(3));
                if smf_running.contains(&c.container.as_str()) {
                    assert_eq!(log.interval, Duration::from_secs(3), "{}", c.container);
                    assert_eq!(log.style, LogStyle::Smf);
                } else if c.namespace == "smf-data"
                    && c.container != "cdl-ep-session"
                    && c.container != "gtpc-ep"
                {
                    assert!(log.interval > Duration::from_secs(3), "{}", c.container);
                }
                assert!(c.started_at <= now());
            }
            Behaviour::CrashLoop { .. } => assert_eq!(c.pod, "smf-service-n0-0"),
            Behaviour::Stopped => {
                assert_eq!(c.pod, "smart-agent-smf-data-ops-center-6667dcdd65-2h7nr")
            }
        }
    }
    let zk = w
        .containers
        .iter()
        .find(|c| c.pod == "zookeeper-0")
        .unwrap();
    assert_eq!(zk.log.unwrap().style, LogStyle::Java);
    let etcd = w
        .containers
        .iter()
        .find(|c| c.pod == "etcd-smf-data-etcd-cluster-0")
        .unwrap();
    assert_eq!(etcd.log.unwrap().style, LogStyle::Json);
    // 29 smf-data pods, one of them with five containers.
    assert_eq!(
        w.containers
            .iter()
            .filter(|c| c.namespace == "smf-data")
            .count(),
        33
    );
}

#[test]
fn ages_become_timestamps() {
    let now = now();
    for (text, secs) in [
        ("6d", 6 * 86400),
        ("6d2h", 6 * 86400 + 2 * 3600),
        ("7h1m", 7 * 3600 + 60),
        ("8m38s", 8 * 60 + 38),
        ("10m", 600),
        ("30s", 30),
        ("0", 0),
        ("1h30m15s", 5415),
    ] {
        let d = parse_duration(text).unwrap();
        assert_eq!(d.as_secs(), secs, "{text}");
        let t = Age::ago(d).at(now);
        assert_eq!(now.as_second() - t.as_second(), secs as i64, "{text}");
    }
    for bad in ["", "6", "6x", "d", "1h-2m", "h1"] {
        assert!(parse_duration(bad).is_err(), "{bad:?}");
    }
    assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
    let w = world();
    let p = w.object("Pod", "smf-data", "zookeeper-1").unwrap();
    assert_eq!(
        ts(&p["metadata"]["creationTimestamp"]).as_second(),
        now.as_second() - 7 * 3600
    );
    let e = w.object("Node", "", "master1").unwrap();
    assert_eq!(e["metadata"]["creationTimestamp"], "2026-11-23T01:16:00Z");
}

#[test]
fn go_durations_and_ports() {
    for (secs, want) in [
        (0, "0s"),
        (10, "10s"),
        (160, "2m40s"),
        (300, "5m0s"),
        (3600, "1h0m0s"),
        (3725, "1h2m5s"),
    ] {
        assert_eq!(go_duration(Duration::from_secs(secs)), want);
    }
    assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
    assert_eq!(go_duration(Duration::from_millis(250)), "250ms");
    let p = |s: &str| PortSpec::parse(s).unwrap();
    assert_eq!(
        (p("8080").name, p("8080").port, p("8080").protocol.as_str()),
        (None, 8080, "TCP")
    );
    assert_eq!(p("grpc:9003").name.as_deref(), Some("grpc"));
    assert_eq!(p("dns:53/UDP").protocol, "UDP");
    assert_eq!(p("https:443:6443").target, Some(PortRef::Number(6443)));
    assert_eq!(p("http:80:web").target, Some(PortRef::Name("web".into())));
    for bad in ["", "x", "grpc:", "1:2:3:4", "70000", "80/XTP"] {
        assert!(PortSpec::parse(bad).is_err(), "{bad:?}");
    }
}

const MINIMAL: &str = r#"
nodes:
  - {name: n1, ip: 10.0.0.1}
namespaces:
  - {name: demo, age: 1d}
workloads:
  - kind: Deployment
    namespace: demo
    name: web
    replicas: 2
    containers:
      - {name: web, image: "nginx:1.25", ports: [http:80], log: {style: nginx}}
"#;

#[test]
fn a_minimal_scenario_gets_defaults() {
    let w = from_yaml(MINIMAL, now()).unwrap();
    assert_eq!(w.cluster, "brusmi");
    let pods: Vec<&Value> = w.of_kind("Pod").collect();
    assert_eq!(pods.len(), 2);
    for p in &pods {
        assert_eq!(kubectl_pod(p, now()).1, "Running");
        let ip = p["status"]["podIP"].as_str().unwrap();
        assert!(ip.starts_with("10.244.0."), "{ip}");
        assert!(p["metadata"]["name"].as_str().unwrap().starts_with("web-"));
        assert_eq!(
            p["metadata"]["name"].as_str().unwrap().len(),
            "web-".len() + 10 + 1 + 5
        );
    }
    assert_eq!(w.containers.len(), 2);
    assert_eq!(
        w.containers[0].log.unwrap().interval,
        Duration::from_secs(10)
    );
}

#[test]
fn every_state_gives_the_kubectl_status() {
    let states = [
        ("running", "2/2", "Running"),
        ("{unready: {container: b}}", "1/2", "Running"),
        ("notready", "1/2", "NotReady"),
        ("crashloop", "1/2", "CrashLoopBackOff"),
        (
            "{crashloop: {runningNow: true, restarts: 2}}",
            "2/2",
            "Running",
        ),
        ("error", "1/2", "Error"),
        ("oomkilled", "1/2", "OOMKilled"),
        ("completed", "0/2", "Completed"),
        ("{evicted: {message: gone}}", "0/2", "Evicted"),
        ("pending", "0/2", "Pending"),
        ("imagepullbackoff", "1/2", "ImagePullBackOff"),
        ("errimagepull", "1/2", "ErrImagePull"),
        ("containercreating", "0/2", "ContainerCreating"),
        ("terminating", "2/2", "Terminating"),
    ];
    for (state, ready, status) in states {
        let yaml = format!(
            "{MINIMAL}  - kind: Pod\n    namespace: demo\n    name: p\n    containers: [{{name: a, image: a:1}}, {{name: b, image: b:1}}]\n    pods: [{{state: {state}}}]\n"
        );
        let w = from_yaml(&yaml, now()).unwrap_or_else(|e| panic!("{state}: {e}"));
        let p = w.object("Pod", "demo", "p").unwrap();
        let (r, s, _) = kubectl_pod(p, now());
        assert_eq!((r.as_str(), s.as_str()), (ready, status), "{state}");
        let bound = w.containers.iter().filter(|c| c.pod == "p").count();
        assert_eq!(bound, if status == "Pending" { 0 } else { 2 }, "{state}");
    }
    let yaml = format!(
        "{MINIMAL}  - kind: Pod\n    namespace: demo\n    name: p\n    initContainers: [{{name: i, image: i:1}}]\n    containers: [{{name: a, image: a:1}}]\n    pods: [{{state: init}}]\n"
    );
    let w = from_yaml(&yaml, now()).unwrap();
    assert_eq!(
        kubectl_pod(w.object("Pod", "demo", "p").unwrap(), now()).1,
        "Init:0/1"
    );
    assert_eq!(w.containers.iter().filter(|c| c.pod == "p").count(), 2);
}

#[test]
fn errors_name_the_bad_field() {
    let cases: &[(&str, &[&str])] = &[
        ("nodes: [{name: n1, ip: 10.0.0.1}\n", &["line", "column"]),
        (
            "nodes:\n  - name: n1\n    ip: 10.0.0.1\n    colour: red\n",
            &["unknown field `colour`", "line 4"],
        ),
        ("clustr: x\n", &["unknown field `clustr`"]),
        ("workloads: 3\n", &["line 1"]),
        (
            "namespaces: [{name: d}]\nworkloads:\n  - {kind: Deployment, namespace: d, name: w, age: 6x, containers: [{name: c, image: i}]}\n",
            &["invalid age \"6x\"", "line 3"],
        ),
        (
            "namespaces: [{name: d}]\nworkloads:\n  - {kind: Deploymint, namespace: d, name: w, containers: [{name: c, image: i}]}\n",
            &["Deploymint"],
        ),
        (
            "namespaces: [{name: d}]\nworkloads:\n  - {kind: Pod, namespace: d, name: w, containers: [{name: c, image: i}], pods: [{state: sleepy}]}\n",
            &["unknown variant `sleepy`"],
        ),
        (
            "nodes: [{name: n1, ip: 10.0.0.1}]\nnamespaces: [{name: d}]\nworkloads:\n  - {kind: Pod, namespace: d, name: w, node: n9, containers: [{name: c, image: i}]}\n",
            &["workloads[0] (d/w).node", "unknown node \"n9\""],
        ),
        (
            "nodes: [{name: n1, ip: 10.0.0.1}]\nworkloads:\n  - {kind: Pod, namespace: nope, name: w, containers: [{name: c, image: i}]}\n",
            &["workloads[0] (nope/w).namespace", "not declared"],
        ),
        (
            "nodes: [{name: n1, ip: 10.0.0.300}]\n",
            &["nodes[0] (n1).ip", "not an IPv4 address"],
        ),
        (
            "nodes: [{name: n1, ip: 10.0.0.1}]\nnamespaces: [{name: d}]\nevents: [{namespace: d, object: pod/ghost, reason: X, message: y}]\n",
            &["events[0].object", "no Pod d/ghost"],
        ),
        (
            "namespaces: [{name: d}]\nservices: [{namespace: d, name: s, ports: [\"99999\"]}]\n",
            &["invalid port"],
        ),
    ];
    for (yaml, wanted) in cases {
        let err = from_yaml(yaml, now()).expect_err(yaml).to_string();
        for w in *wanted {
            assert!(
                err.contains(w),
                "error for {yaml:?} should mention {w:?}:\n{err}"
            );
        }
    }
}

#[test]
fn load_file_reads_and_reports_the_path() {
    let dir = std::env::temp_dir().join(format!("kubesim-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.yaml");
    std::fs::write(&path, MINIMAL).unwrap();
    assert_eq!(load_file(&path, now()).unwrap().of_kind("Pod").count(), 2);
    let missing = dir.join("missing.yaml");
    let err = load_file(&missing, now()).unwrap_err().to_string();
    assert!(err.contains("missing.yaml"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn log_lines_end_with_their_sequence_number() {
    let t = now();
    for style in [
        LogStyle::Smf,
        LogStyle::Java,
        LogStyle::Json,
        LogStyle::Nginx,
        LogStyle::Plain,
    ] {
        for container in ["smf-service", "smf-nodemgr", "kafka", "zookeeper", "etcd"] {
            for seq in (0..300).chain([u64::MAX - 1, 1 << 40]) {
                let line = log_line(style, container, seq, t);
                assert!(line.ends_with(&format!(" seq={seq}")), "{line}");
                assert!(!line.contains('\n'), "{line}");
            }
        }
    }
    let first = log_line(
        LogStyle::Smf,
        "smf-service",
        0,
        "2020-06-09T20:44:28.157Z".parse().unwrap(),
    );
    assert!(first.starts_with("2020/06/09 20:44:28.157 smf-service [DEBUG] [RestRouter.go:24] [infra.rest_server.core] Rest message received"), "{first}");
    let distinct: HashSet<String> = (0..50)
        .map(|s| {
            log_line(LogStyle::Smf, "smf-service", s, t)
                .split(" seq=")
                .next()
                .unwrap()[24..]
                .to_string()
        })
        .collect();
    assert!(distinct.len() > 10);
}

#[test]
fn startup_and_panic_lines() {
    let t = now();
    let cmd = vec![
        "/opt/workspace/tini".to_string(),
        "/opt/workspace/smf-service".to_string(),
    ];
    let start = startup_lines(LogStyle::Smf, "smf-service", &cmd, t);
    assert!(
        start.contains(&"Launching: /opt/workspace/tini /opt/workspace/smf-service".to_string()),
        "{start:?}"
    );
    assert!(
        start
            .iter()
            .any(|l| l.contains("proto: duplicate proto type registered"))
    );
    assert!(start.iter().any(|l| l.contains("#####")));
    assert!(
        start
            .iter()
            .any(|l| l.ends_with("/opt/workspace/smf-service") && l.starts_with("-rwx"))
    );
    for style in [
        LogStyle::Java,
        LogStyle::Json,
        LogStyle::Nginx,
        LogStyle::Plain,
    ] {
        assert!(!startup_lines(style, "x", &cmd, t).is_empty());
    }
    let p = panic_lines("smf-service", t);
    assert!(
        p[0].starts_with("panic: runtime error: invalid memory address or nil pointer dereference")
    );
    assert!(
        p.iter()
            .any(|l| l.starts_with("[signal SIGSEGV: segmentation violation"))
    );
    assert!(p.iter().any(|l| l == "goroutine 1 [running]:"));
    assert!(
        p.iter()
            .any(|l| l.contains("smf-service/infra/application.(*ApplicationEndpoint).Start"))
    );
    assert!(
        p.iter()
            .any(|l| l.contains("ApplicationEndpoint.go:512 +0x1d2"))
    );
    assert!(
        p.iter()
            .any(|l| l.starts_with("created by ") && l.ends_with("in goroutine 1"))
    );
    assert!(p.iter().all(|l| !l.is_empty() && !l.contains('\n')));
}

#[test]
fn scale_builds_fast_with_the_status_mix() {
    let started = Instant::now();
    let w = scale(5000, 100_000, now());
    let took = started.elapsed();
    eprintln!("scale(5000, 100000) built in {took:?}");
    // A few seconds on a quiet machine (debug build); the bound is loose
    // because tests share two cores: it catches a blow-up, not jitter.
    assert!(
        took < Duration::from_secs(60),
        "scale(5000, 100000) took {took:?}"
    );
    assert_eq!(w.nodes.len(), 5000);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut namespaces = HashSet::new();
    let mut pods = 0;
    for p in w.of_kind("Pod") {
        pods += 1;
        namespaces.insert(p["metadata"]["namespace"].as_str().unwrap().to_string());
        *counts.entry(kubectl_pod(p, now()).1).or_default() += 1;
        assert!(p["metadata"]["managedFields"].is_null());
    }
    assert_eq!(pods, 100_000);
    assert_eq!(namespaces.len(), 20);
    let running = counts.get("Running").copied().unwrap_or(0);
    assert!((96_000..=97_500).contains(&running), "{counts:?}");
    for s in scale::TROUBLED {
        let n = counts.get(s).copied().unwrap_or(0);
        assert!(n >= 100, "{s}: {n} in {counts:?}");
    }
    assert!(w.containers.len() >= 99_000);
    assert!(
        w.containers
            .iter()
            .filter(|c| matches!(c.behaviour, Behaviour::Steady))
            .all(|c| c.log.is_some())
    );
    assert!(
        w.containers
            .iter()
            .all(|c| c.log.is_none_or(|l| l.interval >= Duration::from_secs(60)))
    );
    assert!(w.of_kind("Deployment").count() > 100 && w.of_kind("StatefulSet").count() > 100);
    let small = scale(3, 50, now());
    assert_eq!(small.of_kind("Pod").count(), 50);
}
