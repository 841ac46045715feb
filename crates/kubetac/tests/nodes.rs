//! Node access on the simulated cluster, whose nodes run the real kubetac
//! agent: cores attributed to pods, core downloads, a container's whole log
//! history from its node, node logs, and the errors when access is missing.

mod common;

use std::process::Command;

use common::SimProc;

#[test]
fn cores_are_listed_attributed_and_downloaded() {
    let sim = SimProc::start(&["--crash-period", "2h"]);
    let v: serde_json::Value =
        serde_json::from_str(&sim.kubetac_ok(&["cores", "-o", "json"])).unwrap();
    let cores = v["cores"].as_array().unwrap();
    let smf: Vec<&serde_json::Value> = cores
        .iter()
        .filter(|c| c["comm"] == "smf-service")
        .collect();
    assert!(smf.len() >= 5, "one core per crash: {v}");
    for c in &smf {
        assert_eq!(c["node"], "worker2");
        assert_eq!(c["attribution"]["pod"], "smf-service-n0-0");
        assert_eq!(c["attribution"]["container"], "smf-service");
        assert_eq!(c["attribution"]["namespace"], "smf-data");
        assert_eq!(c["uid"], 303);
    }
    // The newest core is the last crash: the container's last termination.
    let pod: serde_json::Value = serde_json::from_str(&sim.kubectl_ok(&[
        "get",
        "pod",
        "smf-service-n0-0",
        "-n",
        "smf-data",
        "-o",
        "json",
    ]))
    .unwrap();
    let finished: jiff::Timestamp =
        pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["finishedAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    let newest = smf
        .iter()
        .map(|c| c["timeUsec"].as_i64().unwrap())
        .max()
        .unwrap();
    let newest = jiff::Timestamp::from_microsecond(newest).unwrap();
    assert!(
        newest.duration_since(finished).abs() <= jiff::SignedDuration::from_secs(2),
        "{newest} vs {finished}"
    );
    assert!(smf.iter().any(|c| c["attribution"]["confidence"] == "high"));
    // A node daemon's crash matches no container: listed, unattributed.
    let orphan = cores
        .iter()
        .find(|c| c["comm"] == "node-exporter")
        .expect("the node daemon's core");
    assert!(orphan.get("attribution").is_none(), "{orphan}");
    let table = sim.kubetac_ok(&["cores"]);
    assert!(
        table
            .lines()
            .any(|l| l.contains("node-exporter") && l.contains("<unattributed>")),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("worker2")
            && l.contains("smf-data/smf-service-n0-0")
            && l.contains("high")),
        "{table}"
    );
    // -n keeps only cores of that namespace's pods.
    let ns = sim.kubetac_ok(&["cores", "-n", "smf-data"]);
    assert!(!ns.contains("node-exporter"));
    // --since cuts old ones.
    let recent = sim.kubetac_ok(&["cores", "--since", "15m"]);
    assert!(recent.lines().count() < table.lines().count(), "{recent}");

    // Download: the same bytes as on the node.
    let file = smf[0]["file"].as_str().unwrap();
    let dest = sim.dir.path().join("core.zst");
    sim.kubetac_ok(&[
        "cores",
        "get",
        "worker2",
        file,
        "-o",
        dest.to_str().unwrap(),
    ]);
    let on_node = std::fs::read(
        sim.state_dir()
            .join("nodes/worker2/var/lib/systemd/coredump")
            .join(file),
    )
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), on_node);
    assert!(
        sim.kubetac_err(&["cores", "get", "worker2", "core.nope.zst"])
            .contains("no core core.nope.zst on node worker2")
    );
    assert!(
        sim.kubetac_err(&["cores", "get", "nope", file])
            .contains("no kubetac agent runs on node nope")
    );
    assert!(
        sim.kubetac_err(&["cores", "get", "worker2", "../../etc/hostname"])
            .contains("is not a core file name")
    );
}

#[test]
fn log_history_goes_past_the_api_across_gzipped_rotations() {
    let sim = SimProc::start(&["--crash-period", "2h"]);
    let pod: serde_json::Value = serde_json::from_str(&sim.kubectl_ok(&[
        "get",
        "pod",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "-o",
        "json",
    ]))
    .unwrap();
    let uid = pod["metadata"]["uid"].as_str().unwrap();
    let node = pod["spec"]["nodeName"].as_str().unwrap();
    let dir = sim.state_dir().join(format!(
        "nodes/{node}/var/log/pods/smf-data_smf-nodemgr-n0-0_{uid}/smf-nodemgr"
    ));
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with(".gz")),
        "a gzipped rotated file on the node: {files:?}"
    );

    let api = sim.kubetac_ok(&["logs", "smf-nodemgr-n0-0", "-n", "smf-data", "--timestamps"]);
    let hist = sim.kubetac_ok(&[
        "logs",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "--history",
        "--timestamps",
    ]);
    let parse = |t: &str| -> Vec<(jiff::Timestamp, String)> {
        t.lines()
            .map(|l| {
                let (ts, rest) = l.split_once(' ').unwrap();
                (ts.parse().unwrap(), rest.to_string())
            })
            .collect()
    };
    let (api, hist) = (parse(&api), parse(&hist));
    assert!(
        hist.len() > api.len() * 2,
        "history {} lines, API {}",
        hist.len(),
        api.len()
    );
    assert!(hist[0].0 < api[0].0, "history reaches before the live file");
    assert!(hist.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
    let mut seen = std::collections::HashSet::new();
    assert!(hist.iter().all(|l| seen.insert(l.clone())), "no duplicates");
    let seqs: Vec<u64> = hist
        .iter()
        .filter_map(|(_, t)| t.rsplit("seq=").next()?.parse().ok())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "no line lost across rotations"
    );
    // The API's lines are all in the history (written before it was read).
    let last_api = api.last().unwrap();
    assert!(hist.contains(last_api));
    // --tail and --since apply to the history.
    let tail = sim.kubetac_ok(&[
        "logs",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "--history",
        "--tail",
        "7",
    ]);
    assert_eq!(tail.lines().count(), 7);
    let since = sim.kubetac_ok(&[
        "logs",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "--history",
        "--since",
        "20m",
    ]);
    assert!(since.lines().count() < hist.len() && !since.is_empty());
}

#[test]
fn node_logs_list_and_read() {
    let sim = SimProc::start(&[]);
    let list = sim.kubetac_ok(&["node-logs", "worker2"]);
    for want in ["pods/", "containers/", "syslog"] {
        assert!(list.lines().any(|l| l == want), "{want} not in {list}");
    }
    let syslog = sim.kubetac_ok(&["node-logs", "worker2", "syslog"]);
    assert!(syslog.contains("worker2 kubelet["), "{syslog}");
    assert!(
        syslog.contains("dumped core"),
        "the crash is in the node's syslog"
    );
    let recent = sim.kubetac_ok(&["node-logs", "worker2", "syslog", "--since", "5m"]);
    assert!(recent.lines().count() < syslog.lines().count());
    let old = sim.kubetac_ok(&["node-logs", "worker2", "syslog.2.gz"]);
    assert!(old.contains("Linux version"), "{old}");
    assert!(
        sim.kubetac_err(&["node-logs", "worker2", "nope"])
            .contains("no /var/log/nope on node worker2")
    );
}

#[test]
fn missing_access_says_what_to_deploy_or_grant() {
    // The node proxy forbidden: node logs and history come through the agent.
    let sim = SimProc::start(&["--fault", "forbid=nodes/proxy"]);
    let list = sim.kubetac_ok(&["node-logs", "worker2"]);
    assert!(list.lines().any(|l| l == "syslog"), "{list}");
    let hist = sim.kubetac_ok(&[
        "logs",
        "smf-nodemgr-n0-0",
        "-n",
        "smf-data",
        "--history",
        "--tail",
        "3",
    ]);
    assert_eq!(hist.lines().count(), 3);
    drop(sim);

    // Both proxies forbidden.
    let sim = SimProc::start(&[
        "--fault",
        "forbid=nodes/proxy",
        "--fault",
        "forbid=pods/proxy",
    ]);
    let e = sim.kubetac_err(&["node-logs", "worker2"]);
    assert!(e.contains("nodes/proxy") && e.contains("pods/proxy"), "{e}");
    let e = sim.kubetac_err(&["cores"]);
    assert!(e.contains("forbidden") && e.contains("pods/proxy"), "{e}");
    drop(sim);

    // No agent deployed.
    let sim = SimProc::start(&[]);
    let agents = sim.kubectl_ok(&["get", "pods", "-n", "kubetac", "-o", "name"]);
    for a in agents.lines() {
        sim.kubectl_ok(&["delete", a, "-n", "kubetac", "--wait=false"]);
    }
    let e = sim.kubetac_err(&["cores"]);
    assert!(
        e.contains("no kubetac agent is running") && e.contains("kubectl apply -k deploy/agent/"),
        "{e}"
    );
}

#[test]
fn agent_manifests_render() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/agent");
    let out = Command::new("kubectl")
        .args(["kustomize", root])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let y = String::from_utf8_lossy(&out.stdout);
    for want in [
        "kind: DaemonSet",
        "readOnlyRootFilesystem: true",
        "readOnly: true",
        "path: /var/lib/systemd/coredump",
        "app.kubernetes.io/name: kubetac-agent",
        "kind: ClusterRole",
    ] {
        assert!(y.contains(want), "{want} not rendered");
    }
}

#[test]
fn a_node_gone_dark_is_reported_and_the_others_still_answer() {
    let sim = SimProc::start(&["--fault", "down=worker1"]);
    let out = sim.kubetac(&["cores"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "partial results are not success"
    );
    assert!(
        stderr.contains("node worker1") && stderr.contains("no route to host"),
        "{stderr}"
    );
    assert!(
        stdout.contains("smf-data/smf-service-n0-0"),
        "worker2's cores still listed: {stdout}"
    );
    let e = sim.kubetac_err(&["node-logs", "worker1"]);
    assert!(e.contains("no route to host"), "{e}");
}
