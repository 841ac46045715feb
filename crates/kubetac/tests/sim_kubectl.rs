//! The simulated cluster as the real kubectl (v1.32) sees it: the same
//! tables, descriptions, logs, watches and errors as the guide's real cluster
//! (../shared/reference/kubectl-1.32-on-kube-apiserver-1.36).

mod common;

use std::time::Duration;

use common::{SimProc, read_for, row};

/// The smf-data pods of the reference cluster (pods.txt) with READY/STATUS.
const SMF_DATA_PODS: &[(&str, &str, &str)] = &[
    ("api-smf-data-ops-center-57c8f6b4d7-wt66s", "1/1", "Running"),
    ("base-entitlement-smf-fcdb664d-fkgss", "1/1", "Running"),
    ("cache-pod-0", "1/1", "Running"),
    ("cache-pod-1", "1/1", "Running"),
    ("cdl-ep-session-c1-dbb5f7874-4gmfr", "1/1", "Running"),
    ("cdl-ep-session-c1-dbb5f7874-5zbqw", "1/1", "Running"),
    ("cdl-index-session-c1-m1-0", "1/1", "Running"),
    ("cdl-slot-session-c1-m1-0", "1/1", "Running"),
    ("documentation-5dc8d5d898-mv6kx", "1/1", "Running"),
    ("etcd-smf-data-etcd-cluster-0", "1/1", "Running"),
    (
        "grafana-dashboard-app-infra-5b8dd74bb6-xv1ln",
        "1/1",
        "Running",
    ),
    ("grafana-dashboard-cdl-5df868c45c-vbr4r", "1/1", "Running"),
    ("grafana-dashboard-smf-657755b7c8-fvbdt", "1/1", "Running"),
    ("gtpc-ep-n0-0", "1/1", "Running"),
    ("kafka-0", "1/1", "Running"),
    ("li-ep-n0-0", "1/1", "Running"),
    ("oam-pod-0", "1/1", "Running"),
    (
        "ops-center-smf-data-ops-center-7fbb97d9c9-tx7qd",
        "5/5",
        "Running",
    ),
    (
        "smart-agent-smf-data-ops-center-6667dcdd65-2h7nr",
        "0/1",
        "Evicted",
    ),
    (
        "smart-agent-smf-data-ops-center-6667dcdd65-6wfvq",
        "1/1",
        "Running",
    ),
    ("smf-nodemgr-n0-0", "1/1", "Running"),
    ("smf-protocol-n0-0", "1/1", "Running"),
    ("smf-rest-ep-n0-0", "1/1", "Running"),
    ("smf-service-n0-0", "0/1", "CrashLoopBackOff"),
    ("smf-udp-proxy-0", "1/1", "Running"),
    (
        "swift-smf-data-ops-center-68bc75bbc7-4zdc7",
        "1/1",
        "Running",
    ),
    ("zookeeper-0", "1/1", "Running"),
    ("zookeeper-1", "1/1", "Running"),
    ("zookeeper-2", "1/1", "Running"),
];

#[test]
fn kubectl_gets_show_the_guides_cluster() {
    let sim = SimProc::start(&[]);

    let ns = sim.kubectl_ok(&["get", "ns"]);
    assert!(ns.starts_with("NAME"), "{ns}");
    for n in [
        "cee-cee",
        "default",
        "kube-system",
        "lfs",
        "nginx-ingress",
        "smf-data",
        "smi-certs",
        "smi-vips",
    ] {
        let r = row(&ns, n).unwrap_or_else(|| panic!("namespace {n} missing:\n{ns}"));
        assert_eq!(r[1], "Active");
    }

    let svc = sim.kubectl_ok(&["get", "svc", "-n", "smf-data"]);
    assert_eq!(
        svc.lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    assert_eq!(
        row(&svc, "smf-service").unwrap()[1..5],
        ["ClusterIP", "10.100.143.237", "<none>", "9003/TCP,8080/TCP"]
    );
    assert_eq!(
        row(&svc, "etcd").unwrap()[1..5],
        ["ClusterIP", "None", "<none>", "2379/TCP,7070/TCP"]
    );
    assert_eq!(row(&svc, "gtpc-ep").unwrap()[3], "10.10.10.201");

    let pods = sim.kubectl_ok(&["get", "pods", "-n", "smf-data"]);
    let names: Vec<&str> = pods
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, SMF_DATA_PODS.iter().map(|p| p.0).collect::<Vec<_>>());
    for (name, ready, status) in SMF_DATA_PODS {
        let r = row(&pods, name).unwrap();
        assert_eq!((r[1], r[2]), (*ready, *status), "{name}");
    }
    let crash = row(&pods, "smf-service-n0-0").unwrap();
    assert_eq!(
        crash[3], "5",
        "restarts of the crash-looping pod: {crash:?}"
    );
    assert!(
        crash[4].starts_with('(') && crash[5] == "ago)",
        "last restart age: {crash:?}"
    );

    let wide = sim.kubectl_ok(&["get", "pods", "-n", "smf-data", "-o", "wide"]);
    assert!(wide.lines().next().unwrap().contains("NOMINATED NODE"));
    let r = row(&wide, "smf-service-n0-0").unwrap();
    assert!(
        r.contains(&"192.168.112.75") && r.contains(&"worker2"),
        "{r:?}"
    );
    let r = row(&wide, "zookeeper-0").unwrap();
    assert!(
        r.contains(&"192.168.90.115") && r.contains(&"worker1"),
        "{r:?}"
    );

    let ing = sim.kubectl_ok(&["get", "ingress", "-n", "cee-cee"]);
    let g = row(&ing, "grafana-ingress").unwrap();
    assert_eq!(
        g[1..4],
        ["nginx", "grafana.192.168.208.10.nip.io", "192.168.208.10"]
    );
    let s = row(&ing, "show-tac-manager-ingress").unwrap();
    assert_eq!(
        s[2],
        "show-tac-manager.cee-cee-smi-show-tac.192.168.208.10.nip.io"
    );

    let ev = sim.kubectl_ok(&["get", "events", "-n", "smf-data"]);
    assert!(ev.lines().next().unwrap().starts_with("LAST SEEN"), "{ev}");
    assert!(
        ev.lines().any(|l| l.contains("Evicted")
            && l.contains("pod/smart-agent-smf-data-ops-center-6667dcdd65-2h7nr")
            && l.contains("ephemeral-storage")),
        "{ev}"
    );
    assert!(
        ev.lines()
            .any(|l| l.contains("BackOff") && l.contains("pod/smf-service-n0-0")),
        "{ev}"
    );

    let nodes = sim.kubectl_ok(&["get", "nodes", "-o", "wide"]);
    for n in ["master1", "worker1", "worker2"] {
        assert_eq!(row(&nodes, n).unwrap()[1], "Ready");
    }

    let sts = sim.kubectl_ok(&["get", "sts", "-n", "smf-data"]);
    assert_eq!(row(&sts, "smf-service-n0").unwrap()[1], "0/1");
    assert_eq!(row(&sts, "zookeeper").unwrap()[1], "3/3");
    let deploy = sim.kubectl_ok(&["get", "deploy", "-n", "smf-data"]);
    assert_eq!(
        row(&deploy, "cdl-ep-session-c1").unwrap()[1..4],
        ["2/2", "2", "2"]
    );
}

#[test]
fn kubectl_describe_shows_the_crash() {
    let sim = SimProc::start(&[]);
    let d = sim.kubectl_ok(&["describe", "pods", "smf-service-n0-0", "-n", "smf-data"]);
    for want in [
        "Name:             smf-service-n0-0",
        "Namespace:        smf-data",
        "Node:             worker2/",
        "Controlled By:  StatefulSet/smf-service-n0",
        "State:          Waiting",
        "Reason:       CrashLoopBackOff",
        "Last State:     Terminated",
        "Exit Code:    2",
        "Restart Count:  5",
        "Events:",
    ] {
        assert!(d.contains(want), "describe lacks {want:?}:\n{d}");
    }
    assert!(
        d.lines().any(|l| l.contains("BackOff")
            && l.contains("Back-off restarting failed container smf-service")),
        "{d}"
    );
    let containers: Vec<&str> = d
        .lines()
        .skip_while(|l| !l.starts_with("Containers:"))
        .nth(1)
        .into_iter()
        .collect();
    assert_eq!(containers, ["  smf-service:"]);
}

#[test]
fn kubectl_logs_current_previous_since_tail_follow() {
    let sim = SimProc::start(&["--log-rate", "20"]);
    let cur = sim.kubectl_ok(&["logs", "smf-service-n0-0", "-n", "smf-data"]);
    assert!(
        cur.contains("panic:"),
        "the crashed instance's log ends in its panic"
    );
    let with_c = sim.kubectl_ok(&[
        "logs",
        "smf-service-n0-0",
        "-c",
        "smf-service",
        "-n",
        "smf-data",
    ]);
    assert_eq!(cur.lines().next(), with_c.lines().next());
    let prev = sim.kubectl_ok(&["logs", "smf-service-n0-0", "-n", "smf-data", "--previous"]);
    assert!(prev.contains("panic: runtime error"), "{prev}");
    assert!(prev.contains("goroutine"), "{prev}");

    let tail = sim.kubectl_ok(&["logs", "smf-nodemgr-n0-0", "-n", "smf-data", "--tail", "3"]);
    assert_eq!(tail.lines().count(), 3, "{tail}");

    let stamped = sim.kubectl_ok(&[
        "logs",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "--timestamps",
        "--tail",
        "200",
    ]);
    let times: Vec<jiff::Timestamp> = stamped
        .lines()
        .map(|l| {
            l.split_whitespace()
                .next()
                .unwrap()
                .parse()
                .expect("RFC 3339 timestamp first")
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // kubectl sends sinceTime to the second, as metav1.Time serializes.
    let cut = times[times.len() / 2]
        .round(
            jiff::TimestampRound::new()
                .smallest(jiff::Unit::Second)
                .mode(jiff::RoundMode::Trunc),
        )
        .unwrap();
    let since = sim.kubectl_ok(&[
        "logs",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "--timestamps",
        &format!("--since-time={cut}"),
    ]);
    let first: jiff::Timestamp = since
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(first >= cut, "{first} < {cut}");
    assert!(
        first < cut + jiff::SignedDuration::from_secs(1),
        "{first} is not the first line after {cut}"
    );
    let expected = times.iter().filter(|t| **t >= cut).count();
    assert!(
        since.lines().count() >= expected,
        "{} lines since {cut}, {expected} expected",
        since.lines().count()
    );

    // -f: new lines keep arriving, with increasing sequence numbers.
    let child = sim.kubectl_spawn(&[
        "logs",
        "-f",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "--tail",
        "0",
    ]);
    let lines = read_for(child, Duration::from_secs(3));
    let seqs: Vec<u64> = lines
        .iter()
        .filter_map(|l| l.rsplit("seq=").next().and_then(|s| s.trim().parse().ok()))
        .collect();
    assert!(
        seqs.len() >= 10,
        "only {} new lines followed: {lines:?}",
        seqs.len()
    );
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

#[test]
fn kubectl_errors_match_a_real_api_server() {
    let sim = SimProc::start(&[]);
    let err = |args: &[&str]| {
        let out = sim.kubectl(args);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).trim().to_string()
    };
    assert_eq!(
        err(&["get", "pod", "nope", "-n", "smf-data"]),
        "Error from server (NotFound): pods \"nope\" not found"
    );
    assert_eq!(
        err(&["logs", "smf-service-n0-0", "-n", "smf-data", "-c", "nope"]),
        "error: container nope is not valid for pod smf-service-n0-0"
    );
    assert_eq!(
        err(&["logs", "zookeeper-0", "-n", "smf-data", "--previous"]),
        "Error from server (BadRequest): previous terminated container \"zookeeper\" in pod \"zookeeper-0\" not found"
    );
    assert_eq!(
        err(&[
            "logs",
            "smart-agent-smf-data-ops-center-6667dcdd65-2h7nr",
            "-n",
            "smf-data"
        ]),
        "Error from server (BadRequest): container \"smart-agent\" in pod \"smart-agent-smf-data-ops-center-6667dcdd65-2h7nr\" is not available"
    );
    assert!(
        err(&["create", "configmap", "x", "-n", "smf-data"])
            .contains("the server does not allow this method on the requested resource")
    );
    assert!(
        err(&["get", "pods", "-n", "smf-data", "-l", "app in x"])
            .contains("unable to parse requirement")
    );
    assert!(
        err(&[
            "get",
            "pods",
            "-n",
            "smf-data",
            "--field-selector",
            "spec.foo=x"
        ])
        .contains("field label not supported: spec.foo")
    );

    // A wrong token: 401, which kubectl reports as not logged in.
    let kc = std::fs::read_to_string(&sim.kubeconfig).unwrap();
    let wrong: String = kc
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("token:") {
                "    token: wrong-token\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let bad = sim.dir.path().join("wrong-token.kubeconfig");
    std::fs::write(&bad, wrong).unwrap();
    let out = std::process::Command::new("kubectl")
        .args(["get", "pods", "-n", "smf-data"])
        .env("KUBECONFIG", &bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "error: You must be logged in to the server (Unauthorized)"
    );
}

#[test]
fn kubectl_selectors_and_paging() {
    let sim = SimProc::start(&[]);
    let zk = sim.kubectl_ok(&[
        "get",
        "pods",
        "-n",
        "smf-data",
        "-l",
        "app=zookeeper",
        "-o",
        "name",
    ]);
    assert_eq!(
        zk.lines().collect::<Vec<_>>(),
        ["pod/zookeeper-0", "pod/zookeeper-1", "pod/zookeeper-2"]
    );
    let on_worker2 = sim.kubectl_ok(&[
        "get",
        "pods",
        "-A",
        "--field-selector",
        "spec.nodeName=worker2",
        "-o",
        "name",
    ]);
    assert!(on_worker2.contains("pod/smf-service-n0-0"));
    assert!(!on_worker2.contains("pod/zookeeper-0"));
    // --chunk-size makes kubectl page with limit/continue.
    let paged = sim.kubectl_ok(&["get", "pods", "-A", "--chunk-size", "3", "-o", "name"]);
    let all = sim.kubectl_ok(&["get", "pods", "-A", "--chunk-size", "0", "-o", "name"]);
    assert_eq!(paged, all);
    assert!(all.lines().count() > SMF_DATA_PODS.len());
}

#[test]
fn kubectl_raw_node_proxy_lists_and_reads_node_logs() {
    let sim = SimProc::start(&[]);
    let listing = sim.kubectl_ok(&["get", "--raw", "/api/v1/nodes/worker2/proxy/logs/pods/"]);
    assert!(listing.contains("<pre>"), "{listing}");
    assert!(listing.contains("smf-data_smf-service-n0-0_"), "{listing}");
    let dir = listing
        .lines()
        .find_map(|l| {
            l.split('"')
                .nth(1)
                .filter(|h| h.starts_with("smf-data_smf-service-n0-0_"))
        })
        .unwrap()
        .to_string();
    let files = sim.kubectl_ok(&[
        "get",
        "--raw",
        &format!("/api/v1/nodes/worker2/proxy/logs/pods/{dir}smf-service/"),
    ]);
    assert!(files.contains("5.log"), "{files}");
    let raw = sim.kubectl_ok(&[
        "get",
        "--raw",
        &format!("/api/v1/nodes/worker2/proxy/logs/pods/{dir}smf-service/5.log"),
    ]);
    let first = raw.lines().next().unwrap();
    let mut parts = first.splitn(4, ' ');
    let (t, stream, tag) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert!(
        t.parse::<jiff::Timestamp>().is_ok()
            && (stream == "stdout" || stream == "stderr")
            && (tag == "F" || tag == "P"),
        "{first}"
    );
    // The API's log of the current instance is exactly this file's text.
    let api = sim.kubectl_ok(&["logs", "smf-service-n0-0", "-n", "smf-data"]);
    let from_file: String = raw
        .lines()
        .map(|l| format!("{}\n", l.splitn(4, ' ').nth(3).unwrap_or("")))
        .collect();
    assert_eq!(api, from_file);
    let summary = sim.kubectl_ok(&["get", "--raw", "/api/v1/nodes/worker2/proxy/stats/summary"]);
    let v: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(v["node"]["nodeName"], "worker2");
    assert!(
        v["pods"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["podRef"]["namespace"] == "smf-data")
    );
    // Cores of the crashes are on the node.
    let cores: Vec<String> = std::fs::read_dir(
        sim.state_dir()
            .join("nodes/worker2/var/lib/systemd/coredump"),
    )
    .unwrap()
    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
    .collect();
    assert!(
        cores
            .iter()
            .any(|c| c.starts_with("core.smf-service.303.") && c.ends_with(".zst")),
        "{cores:?}"
    );
}

#[test]
fn kubectl_watch_sees_the_crash_loop_restart() {
    let sim = SimProc::start(&["--crash-period", "4s"]);
    let child = sim.kubectl_spawn(&["get", "pods", "-n", "smf-data", "-w"]);
    let lines = read_for(child, Duration::from_secs(9));
    let rows: Vec<Vec<&str>> = lines
        .iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|c| c.first() == Some(&"smf-service-n0-0"))
        .collect();
    assert!(rows.len() >= 3, "{lines:?}");
    assert_eq!(rows[0][2], "CrashLoopBackOff");
    assert!(
        rows.iter().any(|r| r[2] == "Running" && r[3] == "6"),
        "no restart seen: {rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r[2] == "CrashLoopBackOff" && r[3] == "6"),
        "no second crash seen: {rows:?}"
    );
}

#[test]
fn sim_runs_a_command_and_passes_its_exit_status() {
    let out = std::process::Command::new(common::kubetac_bin())
        .args(["sim", "--", "kubectl", "get", "pods", "-n", "smf-data"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CrashLoopBackOff") && stdout.contains("Evicted"),
        "{stdout}"
    );
    let out = std::process::Command::new(common::kubetac_bin())
        .args(["sim", "--", "kubectl", "get", "pod", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // The README's first command: kubetac itself, before it is on PATH.
    let out = std::process::Command::new(common::kubetac_bin())
        .args(["sim", "--", "kubetac", "triage", "-A"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("smf-data/smf-service-n0-0") && stdout.contains("cee-cee: healthy"),
        "{stdout}"
    );
}
