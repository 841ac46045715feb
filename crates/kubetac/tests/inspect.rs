//! kubetac's inspect and triage commands against the simulated cluster,
//! compared with what the real kubectl shows for the same cluster.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{SimProc, kubetac_bin, row};

/// (namespace, name) → (ready, status, restart count, has "(… ago)").
fn pod_table(text: &str) -> Vec<(String, String, String, String, bool)> {
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            (
                c[0].to_string(),
                c[1].to_string(),
                c[2].to_string(),
                c[3].to_string(),
                c[4].to_string(),
                c[5].starts_with('('),
            )
        })
        .map(|(ns, name, ready, status, restarts, ago)| {
            (format!("{ns}/{name}"), ready, status, restarts, ago)
        })
        .collect()
}

fn assert_same_pods_as_kubectl(sim: &SimProc) -> usize {
    let ours = sim.kubetac_ok(&["pods", "-A"]);
    let theirs = sim.kubectl_ok(&["get", "pods", "-A"]);
    assert_eq!(ours.lines().next(), theirs.lines().next(), "headers");
    let (a, b) = (pod_table(&ours), pod_table(&theirs));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "kubetac and kubectl disagree");
    }
    a.len()
}

#[test]
fn pods_match_kubectl_row_by_row_on_the_guides_cluster() {
    // A slow crash loop: no state change between the two commands.
    let sim = SimProc::start(&["--crash-period", "2h"]);
    let n = assert_same_pods_as_kubectl(&sim);
    assert!(n >= 40, "{n} pods");
    // Same for one namespace, wide.
    let ours = sim.kubetac_ok(&["pods", "-n", "smf-data", "-o", "wide"]);
    let theirs = sim.kubectl_ok(&["get", "pods", "-n", "smf-data", "-o", "wide"]);
    assert_eq!(ours.lines().next(), theirs.lines().next());
    for l in theirs.lines().skip(1) {
        let name = l.split_whitespace().next().unwrap();
        let (a, b) = (row(&ours, name).unwrap(), row(&theirs, name).unwrap());
        assert_eq!(a[..3], b[..3], "{name}");
        assert_eq!(
            a[a.len() - 4..],
            b[b.len() - 4..],
            "{name}: IP, node, nominated node, readiness gates"
        );
    }
    // --not-running is `grep -v Running` done right: header kept.
    let nr = sim.kubetac_ok(&["pods", "-n", "smf-data", "--not-running"]);
    let names: Vec<&str> = nr
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "NAME",
            "smart-agent-smf-data-ops-center-6667dcdd65-2h7nr",
            "smf-service-n0-0"
        ]
    );
}

#[test]
fn pods_match_kubectl_on_a_generated_scale_cluster() {
    let sim = SimProc::start(&["--nodes", "40", "--pods", "2500", "--crash-period", "2h"]);
    let n = assert_same_pods_as_kubectl(&sim);
    // The generated pods, and the node agent on each of the 40 nodes.
    assert_eq!(n, 2500 + 40);
    let statuses: std::collections::BTreeSet<String> = pod_table(&sim.kubetac_ok(&["pods", "-A"]))
        .into_iter()
        .map(|r| r.2)
        .collect();
    assert!(
        statuses.len() >= 6,
        "the scale cluster should mix statuses: {statuses:?}"
    );
}

#[test]
fn namespaces_services_and_urls() {
    let sim = SimProc::start(&[]);
    let ours = sim.kubetac_ok(&["ns"]);
    let theirs = sim.kubectl_ok(&["get", "ns"]);
    assert_eq!(ours, theirs);
    let ours = sim.kubetac_ok(&["svc", "-n", "smf-data"]);
    let theirs = sim.kubectl_ok(&["get", "svc", "-n", "smf-data"]);
    assert_eq!(ours, theirs);
    let urls = sim.kubetac_ok(&["urls"]);
    assert!(
        urls.lines().any(|l| l.contains("cee-cee")
            && l.contains("grafana")
            && l.contains("https://grafana.192.168.208.10.nip.io/")),
        "{urls}"
    );
    assert!(
        urls.lines().any(|l| l.contains("package server")
            && l.contains("https://show-tac-manager.cee-cee-smi-show-tac.192.168.208.10.nip.io/")),
        "{urls}"
    );
    // -o json and yaml are the objects.
    let json: serde_json::Value =
        serde_json::from_str(&sim.kubetac_ok(&["pods", "-n", "smf-data", "-o", "json"])).unwrap();
    assert_eq!(json["kind"], "List");
    assert_eq!(json["items"].as_array().unwrap().len(), 29);
    let yaml = sim.kubetac_ok(&["svc", "-n", "smf-data", "-o", "yaml"]);
    let v: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    let smf = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["metadata"]["name"] == "smf-service")
        .unwrap();
    assert_eq!(smf["spec"]["clusterIP"], "10.100.143.237");
}

#[test]
fn describe_containers_and_logs() {
    let sim = SimProc::start(&["--crash-period", "2h"]);
    let d = sim.kubetac_ok(&["describe", "pod", "smf-service-n0-0", "-n", "smf-data"]);
    for want in [
        "Controlled By:  StatefulSet/smf-service-n0",
        "Reason:       CrashLoopBackOff",
        "Last State:     Terminated",
        "Exit Code:    2",
        "Restart Count:  5",
        "Readiness:",
        "BackOff",
        "Events:",
        "app=smf-service",
    ] {
        assert!(d.contains(want), "describe lacks {want:?}:\n{d}");
    }
    let c = sim.kubetac_ok(&[
        "containers",
        "ops-center-smf-data-ops-center-7fbb97d9c9-tx7qd",
        "-n",
        "smf-data",
    ]);
    assert_eq!(c.lines().count(), 5, "{c}");
    let prev = sim.kubetac_ok(&[
        "logs",
        "smf-service-n0-0",
        "-n",
        "smf-data",
        "--previous",
        "--tail",
        "40",
    ]);
    assert!(prev.contains("panic: runtime error"), "{prev}");
    let tail = sim.kubetac_ok(&[
        "logs",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "--tail",
        "5",
        "--timestamps",
    ]);
    assert_eq!(tail.lines().count(), 5);
    assert!(tail.lines().all(|l| {
        l.split_whitespace()
            .next()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()
    }));
    let since = sim.kubetac_ok(&[
        "logs",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "--since",
        "30s",
        "--timestamps",
    ]);
    let cutoff = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(40);
    assert!(since.lines().all(|l| {
        l.split_whitespace()
            .next()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            > cutoff
    }));
}

#[test]
fn triage_names_the_unhealthy_pods_and_nothing_healthy() {
    let sim = SimProc::start(&["--crash-period", "2h"]);
    let out = sim.kubetac(&["triage", "-n", "smf-data"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let crash = lines
        .iter()
        .find(|l| l.starts_with("smf-data/smf-service-n0-0 "))
        .unwrap_or_else(|| panic!("{text}"));
    for want in [
        "CrashLoopBackOff",
        "restarted 5 times",
        "exit code 2 (Error)",
        "panic: runtime error",
        "kubetac logs smf-service-n0-0 -n smf-data --previous",
    ] {
        assert!(crash.contains(want), "{want:?} not in {crash}");
    }
    let evicted = lines
        .iter()
        .find(|l| l.starts_with("smf-data/smart-agent-smf-data-ops-center-6667dcdd65-2h7nr "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        evicted.contains("evicted: The node was low on resource: ephemeral-storage"),
        "{evicted}"
    );
    let pod_lines = lines.iter().filter(|l| l.starts_with("smf-data/")).count();
    assert_eq!(pod_lines, 2, "only the two unhealthy pods: {text}");
    assert!(text.contains("2 unhealthy of 29 pods"), "{text}");

    let out = sim.kubetac(&["triage", "-n", "smf-data", "--fail-on-unhealthy"]);
    assert_eq!(out.status.code(), Some(1));
    let healthy = sim.kubetac(&["triage", "-n", "cee-cee", "--fail-on-unhealthy"]);
    assert_eq!(healthy.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&healthy.stdout).trim(),
        format!(
            "cee-cee: healthy (all {} pods)",
            sim.kubectl_ok(&["get", "pods", "-n", "cee-cee", "-o", "name"])
                .lines()
                .count()
        )
    );

    let all = sim.kubetac_ok(&["triage", "-A", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&all).unwrap();
    let pods: Vec<&str> = v["unhealthy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pod"].as_str().unwrap())
        .collect();
    assert!(pods.contains(&"smf-service-n0-0"));
    let f = v["unhealthy"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["pod"] == "smf-service-n0-0")
        .unwrap();
    assert_eq!(f["exitCode"], 2);
    assert_eq!(f["cause"], "crash-loop");
}

#[test]
fn clear_errors_within_bounded_time() {
    let sim = SimProc::start(&[]);
    let err = |args: &[&str]| {
        let out = sim.kubetac(args);
        assert!(!out.status.success(), "{args:?} should fail");
        let e = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            !e.contains("panicked") && !e.contains("RUST_BACKTRACE"),
            "{e}"
        );
        e.trim().to_string()
    };
    assert_eq!(
        err(&["pods", "-n", "nope"]),
        "kubetac: error: namespace \"nope\" not found"
    );
    assert_eq!(
        err(&["describe", "pod", "nope", "-n", "smf-data"]),
        "kubetac: error: pods \"nope\" not found"
    );
    assert_eq!(
        err(&["logs", "smf-service-n0-0", "-n", "smf-data", "-c", "nope"]),
        "kubetac: error: container nope is not valid for pod smf-service-n0-0"
    );
    assert_eq!(
        err(&["logs", "zookeeper-0", "-n", "smf-data", "--previous"]),
        "kubetac: error: reading the log of zookeeper-0/zookeeper: previous terminated container \"zookeeper\" in pod \"zookeeper-0\" not found (400 BadRequest)"
    );
    assert_eq!(
        err(&["pods", "--context", "prod"]),
        "kubetac: error: context \"prod\" not found in kubeconfig (contexts: brusmi)"
    );
    assert!(
        err(&["pods", "-n", "smf-data", "-l", "app in x"]).contains("unable to parse requirement")
    );
    assert!(
        err(&[
            "logs",
            "smf-service-n0-0",
            "-n",
            "smf-data",
            "--since-time",
            "yesterday"
        ])
        .contains("RFC 3339")
    );

    // An unreachable cluster: one line, quickly.
    let kc = std::fs::read_to_string(&sim.kubeconfig).unwrap();
    let url = sim.url.clone();
    let dead = sim.dir.path().join("dead.kubeconfig");
    std::fs::write(&dead, kc.replace(&url, "https://127.0.0.1:1")).unwrap();
    let start = Instant::now();
    let out = Command::new(kubetac_bin())
        .args(["triage", "-A"])
        .env("KUBECONFIG", &dead)
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("cannot reach the cluster at https://127.0.0.1:1")
            && e.contains("Connection refused"),
        "{e}"
    );

    // A wrong token.
    let bad = sim.dir.path().join("bad.kubeconfig");
    let wrong: String = kc
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("token:") {
                "    token: wrong\n".into()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&bad, wrong).unwrap();
    let out = Command::new(kubetac_bin())
        .args(["ns"])
        .env("KUBECONFIG", &bad)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused our credentials (401 Unauthorized)")
    );
}

#[test]
fn forbidden_requests_say_what_was_refused() {
    let sim = SimProc::start(&["--fault", "forbid=pods/log", "--fault", "forbid=namespaces"]);
    // Not being allowed to read namespaces does not stop listing pods.
    let pods = sim.kubetac_ok(&["pods", "-n", "smf-data"]);
    assert!(pods.contains("smf-service-n0-0"));
    let out = sim.kubetac(&["logs", "smf-service-n0-0", "-n", "smf-data"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "kubetac: error: forbidden: pods \"smf-service-n0-0\" is forbidden: User \"kubesim-viewer\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"smf-data\""
    );
    let out = sim.kubetac(&["ns"]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cannot list resource \"namespaces\" in API group \"\" at the cluster scope")
    );
    // Triage still diagnoses, without the log evidence it may not read.
    let t = sim.kubetac_ok(&["triage", "-n", "smf-data"]);
    assert!(
        t.contains("smf-data/smf-service-n0-0") && t.contains("exit code 2"),
        "{t}"
    );
}
