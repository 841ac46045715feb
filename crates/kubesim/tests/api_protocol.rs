//! The API protocol details real clients depend on, proven black-box against
//! a running simulator with the real `curl` (and kube-rs and kubectl where
//! they are the natural client): watches (resume, 410 Expired, bookmarks,
//! timeouts, watch-list, selector exits, the Table watch of `kubectl get -w`),
//! list paging, `Status` errors, fault injection and pod log options.
//!
//! Expected shapes are copied from the answers of a real kube-apiserver
//! (v1.36) recorded with the guide's cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use kubesim::resources::index_of;
use kubesim::{Faults, Sim, SimConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// The Accept header `kubectl get` (and `get -w`) sends.
const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const PODS: &str = "/api/v1/namespaces/smf-data/pods";

// ---------------------------------------------------------------- harness

struct Cluster {
    sim: Sim,
    dir: tempfile::TempDir,
    ca: PathBuf,
    n: AtomicUsize,
}

/// One answer as curl saw it.
struct Reply {
    code: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    exit: i32,
    elapsed: Duration,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), HTTP {}: {}",
                self.code,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Watch events, one JSON document a line.
    fn events(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad event {l:?}: {e}")))
            .collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A streaming answer read line by line while the test changes things.
struct Stream {
    child: tokio::process::Child,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    started: Instant,
}

impl Stream {
    /// The next line, or None at the end of the stream.
    async fn next_line(&mut self, within: Duration) -> Option<String> {
        tokio::time::timeout(within, self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no line within {within:?}"))
            .expect("reading curl's output")
    }

    async fn next_event(&mut self, within: Duration) -> Value {
        let l = self
            .next_line(within)
            .await
            .expect("the stream ended early");
        serde_json::from_str(&l).unwrap_or_else(|e| panic!("bad event {l:?}: {e}"))
    }

    /// The next event about the object `name` (others are skipped).
    async fn event_for(&mut self, name: &str, within: Duration) -> Value {
        let end = Instant::now() + within;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let ev = self.next_event(left).await;
            if object_name(&ev) == name {
                return ev;
            }
        }
    }

    /// Reads to the end; returns the remaining lines, curl's exit code and
    /// how long the stream lasted.
    async fn finish(mut self, within: Duration) -> (Vec<String>, i32, Duration) {
        let mut rest = Vec::new();
        while let Some(l) = self.next_line(within).await {
            rest.push(l);
        }
        let st = self.child.wait().await.expect("curl ends");
        (rest, st.code().unwrap_or(-1), self.started.elapsed())
    }
}

fn object_name(ev: &Value) -> String {
    let o = &ev["object"];
    let meta = if o["kind"] == "Table" {
        &o["rows"][0]["object"]["metadata"]
    } else {
        &o["metadata"]
    };
    meta["name"].as_str().unwrap_or_default().to_string()
}

fn rv_of(v: &Value) -> u64 {
    v["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no resourceVersion in {v}"))
}

fn config() -> SimConfig {
    SimConfig {
        log_interval: Some(Duration::from_millis(50)),
        ..SimConfig::default()
    }
}

impl Cluster {
    async fn start(mut cfg: SimConfig) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        cfg.state_dir = Some(dir.path().join("state"));
        let sim = Sim::start(cfg).await.expect("sim starts");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &sim.ca_pem).unwrap();
        Cluster {
            sim,
            dir,
            ca,
            n: AtomicUsize::new(0),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.url())
    }

    fn curl(&self, path: &str, args: &[&str], token: Option<&str>) -> tokio::process::Command {
        let mut c = tokio::process::Command::new("curl");
        c.arg("-sS")
            .arg("--cacert")
            .arg(&self.ca)
            .args(["--max-time", "20"]);
        if let Some(t) = token {
            c.arg("-H").arg(format!("Authorization: Bearer {t}"));
        }
        c.args(args).arg(self.url(path));
        c.stdin(Stdio::null()).kill_on_drop(true);
        c
    }

    /// Runs curl to the end; `args` come before the URL (and may override
    /// `--max-time`).
    async fn request_as(&self, path: &str, args: &[&str], token: Option<&str>) -> Reply {
        let hfile = self
            .dir
            .path()
            .join(format!("h{}", self.n.fetch_add(1, Ordering::SeqCst)));
        let mut c = self.curl(path, args, token);
        c.arg("-D").arg(&hfile);
        let started = Instant::now();
        let out = c.output().await.expect("curl runs");
        let elapsed = started.elapsed();
        let raw = std::fs::read_to_string(&hfile).unwrap_or_default();
        // The last header block (HTTP/1.1 may have sent a 100 Continue).
        let block = raw
            .split("\r\n\r\n")
            .filter(|b| !b.trim().is_empty())
            .last()
            .unwrap_or("");
        let mut lines = block.lines();
        let code = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Reply {
            code,
            headers,
            body: out.stdout,
            exit: out.status.code().unwrap_or(-1),
            elapsed,
        }
    }

    async fn request(&self, path: &str, args: &[&str]) -> Reply {
        self.request_as(path, args, Some(&self.sim.token)).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.request(path, &[]).await
    }

    async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.code, 200, "GET {path}: {}", r.text());
        r.json()
    }

    fn stream(&self, path: &str, args: &[&str]) -> Stream {
        let mut c = self.curl(path, args, Some(&self.sim.token));
        c.arg("-N").stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = c.spawn().expect("curl starts");
        let out = child.stdout.take().expect("stdout");
        Stream {
            child,
            lines: BufReader::new(out).lines(),
            started: Instant::now(),
        }
    }

    async fn create_pod(&self, name: &str, labels: Value) -> Value {
        let pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]},
        });
        let body = pod.to_string();
        let r = self
            .request(
                PODS,
                &[
                    "-X",
                    "POST",
                    "-H",
                    "Content-Type: application/json",
                    "--data-binary",
                    &body,
                ],
            )
            .await;
        assert_eq!(r.code, 201, "creating {name}: {}", r.text());
        r.json()
    }

    async fn delete_pod(&self, name: &str) -> Value {
        let r = self
            .request(&format!("{PODS}/{name}"), &["-X", "DELETE"])
            .await;
        assert_eq!(r.code, 200, "deleting {name}: {}", r.text());
        r.json()
    }

    /// Changes a pod behind the API, as a controller or the kubelet would.
    fn update_pod(&self, name: &str, f: impl FnOnce(&mut Value)) -> u64 {
        self.sim
            .store
            .update(index_of("pods"), "smf-data", name, |v| {
                f(v);
                true
            })
            .expect("the pod exists")
            .rv
    }

    async fn list_rv(&self, path: &str) -> u64 {
        rv_of(&self.get_json(path).await)
    }

    async fn kube(&self) -> kube::Client {
        self.kube_with(true).await
    }

    /// A kube-rs client; `retry: false` turns off its default retrying of
    /// 429/503/504 (which would wait out `Retry-After` 15 times).
    async fn kube_with(&self, retry: bool) -> kube::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let kc = kube::config::Kubeconfig::read_from(&self.sim.kubeconfig_path).unwrap();
        let mut cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .unwrap();
        cfg.default_retry = retry;
        kube::Client::try_from(cfg).unwrap()
    }

    async fn stop(self) {
        self.sim.stop().await;
    }
}

fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    })
}

// ------------------------------------------------------------------ watch

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_from_a_resource_version_replays_later_changes() {
    let c = Cluster::start(config()).await;
    let rv0 = c.list_rv(PODS).await;
    let created = c.create_pod("probe-replay", json!({"app": "probe"})).await;
    assert_eq!(created["kind"], "Pod");
    assert_eq!(created["apiVersion"], "v1");
    let rv1 = rv_of(&created);
    let deleted = c.delete_pod("probe-replay").await;
    let rv2 = rv_of(&deleted);
    assert!(rv0 < rv1 && rv1 < rv2, "{rv0} {rv1} {rv2}");

    let r = c
        .get(&format!(
            "{PODS}?watch=true&resourceVersion={rv0}&timeoutSeconds=1"
        ))
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(r.exit, 0, "a timed-out watch ends cleanly");
    assert_eq!(r.header("content-type"), Some("application/json"));
    // One JSON event a line, fields in the real server's order.
    for l in r.text().lines() {
        assert!(
            l.starts_with("{\"type\":\"")
                && l.contains(
                    "\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
                ),
            "{l}"
        );
    }
    let evs = r.events();
    assert!(
        evs.iter().all(|e| rv_of(&e["object"]) > rv0),
        "nothing from before {rv0}"
    );
    let probe: Vec<(String, u64)> = evs
        .iter()
        .filter(|e| object_name(e) == "probe-replay")
        .map(|e| (e["type"].as_str().unwrap().to_string(), rv_of(&e["object"])))
        .collect();
    assert_eq!(
        probe,
        vec![("ADDED".to_string(), rv1), ("DELETED".to_string(), rv2)]
    );
    let added = evs
        .iter()
        .find(|e| object_name(e) == "probe-replay")
        .unwrap();
    assert_eq!(added["object"]["metadata"]["labels"]["app"], "probe");
    assert_eq!(added["object"]["spec"]["containers"][0]["name"], "main");

    // From the ADDED on, only the DELETED is left.
    let r = c
        .get(&format!(
            "{PODS}?watch=true&resourceVersion={rv1}&timeoutSeconds=1"
        ))
        .await;
    let probe: Vec<String> = r
        .events()
        .iter()
        .filter(|e| object_name(e) == "probe-replay")
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(probe, ["DELETED"]);

    // A resourceVersion from the future: nothing up to it is sent.
    let r = c
        .get(&format!(
            "{PODS}?watch=true&resourceVersion={}&timeoutSeconds=1",
            rv2 + 1_000_000
        ))
        .await;
    assert_eq!((r.code, r.exit), (200, 0));
    assert_eq!(r.text(), "");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_from_a_too_old_resource_version_is_410_expired() {
    let c = Cluster::start(config()).await;
    let now = c.list_rv(PODS).await;
    let r = c.get(&format!("{PODS}?watch=true&resourceVersion=5")).await;
    // The error comes as the one event of a 200 stream that then ends.
    assert_eq!((r.code, r.exit), (200, 0));
    assert!(r.elapsed < Duration::from_secs(3), "{:?}", r.elapsed);
    let evs = r.events();
    assert_eq!(evs.len(), 1, "{}", r.text());
    assert_eq!(evs[0]["type"], "ERROR");
    let msg = evs[0]["object"]["message"].as_str().unwrap().to_string();
    assert_eq!(evs[0]["object"], status(410, "Expired", &msg));
    // "too old resource version: 5 (N)": N is the oldest version a watch
    // can start from, at most the current one.
    let oldest: u64 = msg
        .strip_prefix("too old resource version: 5 (")
        .and_then(|m| m.strip_suffix(')'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{msg}"));
    assert!(oldest > 5 && oldest <= now, "{msg} (now {now})");
    assert!(
        r.text().starts_with(
            "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: 5 ("
        ),
        "{}",
        r.text()
    );

    // kube-rs reads it as the watch error it resumes from with a relist.
    use futures::StreamExt;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, WatchEvent, WatchParams};
    let pods: Api<Pod> = Api::namespaced(c.kube().await, "smf-data");
    let mut w = pods
        .watch(&WatchParams::default().timeout(2), "5")
        .await
        .unwrap()
        .boxed();
    match w.next().await {
        Some(Ok(WatchEvent::Error(e))) => {
            assert_eq!((e.code, e.reason.as_str()), (410, "Expired"));
        }
        other => panic!("expected a 410 error event, got {other:?}"),
    }
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bookmarks_carry_only_the_resource_version() {
    let c = Cluster::start(SimConfig {
        bookmark_interval: Duration::from_secs(1),
        ..config()
    })
    .await;
    let rv = c.list_rv(PODS).await;
    let r = c
        .get(&format!(
            "{PODS}?watch=true&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=5"
        ))
        .await;
    assert_eq!((r.code, r.exit), (200, 0));
    let marks: Vec<Value> = r
        .events()
        .into_iter()
        .filter(|e| e["type"] == "BOOKMARK")
        .map(|e| e["object"].clone())
        .collect();
    // About every second, the last one 2 s before the timeout.
    assert!(
        (2..=4).contains(&marks.len()),
        "{} bookmarks: {}",
        marks.len(),
        r.text()
    );
    let mut last = rv;
    for m in &marks {
        let mrv = rv_of(m);
        assert!(mrv >= last, "bookmarks never go back: {mrv} < {last}");
        last = mrv;
        // As the real server sends it: an empty Pod with only its
        // resourceVersion set (Go shows a zero spec and status).
        assert_eq!(
            *m,
            json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": mrv.to_string()}, "spec": {"containers": null}, "status": {}})
        );
    }
    let line = r
        .text()
        .lines()
        .find(|l| l.contains("BOOKMARK"))
        .unwrap()
        .to_string();
    assert_eq!(
        line,
        format!(
            "{{\"type\":\"BOOKMARK\",\"object\":{{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{{\"resourceVersion\":\"{}\"}},\"spec\":{{\"containers\":null}},\"status\":{{}}}}}}",
            rv_of(&marks[0])
        )
    );

    // No bookmarks unless asked for.
    let r = c
        .get(&format!(
            "{PODS}?watch=true&resourceVersion={rv}&timeoutSeconds=3"
        ))
        .await;
    assert!(!r.text().contains("BOOKMARK"), "{}", r.text());
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timeout_seconds_ends_the_watch() {
    let c = Cluster::start(config()).await;
    let rv = c.list_rv(PODS).await;
    let s = c.stream(
        &format!("{PODS}?watch=true&resourceVersion={rv}&timeoutSeconds=2"),
        &[],
    );
    let (_, exit, took) = s.finish(Duration::from_secs(10)).await;
    assert_eq!(exit, 0, "the stream ends cleanly");
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_millis(3500),
        "{took:?}"
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_list_sends_the_state_then_the_initial_events_end_bookmark() {
    let c = Cluster::start(config()).await;
    let list = c.get_json(PODS).await;
    let names: BTreeSet<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.len() > 20);
    let list_rv = rv_of(&list);

    let mut s = c.stream(
        &format!(
            "{PODS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
        ),
        &[],
    );
    let mut added = Vec::new();
    let mut max_rv = 0;
    let bookmark = loop {
        let ev = s.next_event(Duration::from_secs(10)).await;
        match ev["type"].as_str().unwrap() {
            "ADDED" => {
                assert_eq!(ev["object"]["kind"], "Pod");
                max_rv = max_rv.max(rv_of(&ev["object"]));
                added.push(object_name(&ev));
            }
            "BOOKMARK" => break ev["object"].clone(),
            other => panic!("unexpected {other} before the bookmark: {ev}"),
        }
    };
    let added_set: BTreeSet<String> = added.iter().cloned().collect();
    assert_eq!(added.len(), added_set.len(), "each object once");
    assert_eq!(added_set, names);
    let brv = rv_of(&bookmark);
    assert!(brv >= list_rv && brv >= max_rv, "{brv} {list_rv} {max_rv}");
    assert_eq!(
        bookmark,
        json!({
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": brv.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}},
            "spec": {"containers": null},
            "status": {},
        })
    );
    // Then changes.
    c.create_pod("probe-watchlist", json!({"app": "probe"}))
        .await;
    let ev = s
        .event_for("probe-watchlist", Duration::from_secs(10))
        .await;
    assert_eq!(ev["type"], "ADDED");
    assert!(rv_of(&ev["object"]) > brv);
    drop(s);

    // The watch-list needs resourceVersionMatch=NotOlderThan, and that
    // needs sendInitialEvents: 422 Invalid as the real validation says.
    let r = c
        .get(&format!("{PODS}?watch=true&sendInitialEvents=true"))
        .await;
    assert_eq!(r.code, 422, "{}", r.text());
    let mut want = status(
        422,
        "Invalid",
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
    );
    want["details"] = json!({"group": "meta.k8s.io", "kind": "ListOptions", "causes": [{"reason": "FieldValueForbidden", "message": "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", "field": "resourceVersionMatch"}]});
    assert_eq!(r.json(), want);
    let r = c
        .get(&format!(
            "{PODS}?watch=true&resourceVersionMatch=NotOlderThan"
        ))
        .await;
    assert_eq!(r.code, 422);
    assert_eq!(
        r.json()["message"],
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"
    );

    // sendInitialEvents=false: no synthetic events, just changes.
    let rv = c.list_rv(PODS).await;
    let r = c
        .get(&format!(
            "{PODS}?watch=true&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion={rv}&timeoutSeconds=1"
        ))
        .await;
    assert!(
        r.events().iter().all(|e| rv_of(&e["object"]) > rv),
        "{}",
        r.text()
    );

    // kube-rs' streaming-list watcher sees Init, the pods, InitDone.
    use futures::TryStreamExt;
    use k8s_openapi::api::core::v1::Pod;
    use kube::runtime::watcher;
    let pods: kube::Api<Pod> = kube::Api::namespaced(c.kube().await, "smf-data");
    let w = watcher(pods, watcher::Config::default().streaming_lists());
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        let mut w = std::pin::pin!(w);
        let mut seen = BTreeSet::new();
        while let Some(ev) = w.try_next().await.expect("watcher") {
            match ev {
                watcher::Event::Init => {}
                watcher::Event::InitApply(p) => {
                    seen.insert(p.metadata.name.unwrap());
                }
                watcher::Event::InitDone => return seen,
                other => panic!("before InitDone: {other:?}"),
            }
        }
        seen
    })
    .await
    .expect("InitDone within 10 s");
    assert!(
        got.is_superset(&names) || got.len() >= names.len(),
        "{got:?}"
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn selector_watches_turn_leaving_the_selection_into_deleted() {
    let c = Cluster::start(config()).await;
    let mut s = c.stream(
        &format!("{PODS}?watch=true&labelSelector=app%3Dprobe-sel"),
        &[],
    );
    c.create_pod("probe-sel", json!({"app": "probe-sel", "tier": "a"}))
        .await;
    let ev = s.next_event(Duration::from_secs(10)).await;
    assert_eq!(
        (ev["type"].as_str(), object_name(&ev).as_str()),
        (Some("ADDED"), "probe-sel")
    );

    // A change inside the selection is MODIFIED.
    let rv = c.update_pod("probe-sel", |p| {
        p["metadata"]["labels"]["tier"] = json!("b")
    });
    let ev = s.next_event(Duration::from_secs(10)).await;
    assert_eq!(ev["type"], "MODIFIED");
    assert_eq!(rv_of(&ev["object"]), rv);

    // Relabelled out: DELETED, with the previous state (still selected) at
    // the change's resourceVersion, as the watch cache sends it.
    let rv = c.update_pod("probe-sel", |p| {
        p["metadata"]["labels"]["app"] = json!("elsewhere")
    });
    let ev = s.next_event(Duration::from_secs(10)).await;
    assert_eq!(ev["type"], "DELETED", "{ev}");
    assert_eq!(object_name(&ev), "probe-sel");
    assert_eq!(ev["object"]["metadata"]["labels"]["app"], "probe-sel");
    assert_eq!(ev["object"]["metadata"]["labels"]["tier"], "b");
    assert_eq!(rv_of(&ev["object"]), rv);

    // Changes outside the selection are not sent; coming back is ADDED.
    c.update_pod("probe-sel", |p| {
        p["metadata"]["labels"]["tier"] = json!("c")
    });
    let rv = c.update_pod("probe-sel", |p| {
        p["metadata"]["labels"]["app"] = json!("probe-sel")
    });
    let ev = s.next_event(Duration::from_secs(10)).await;
    assert_eq!(ev["type"], "ADDED", "{ev}");
    assert_eq!(rv_of(&ev["object"]), rv);
    assert_eq!(ev["object"]["metadata"]["labels"]["tier"], "c");

    let gone = c.delete_pod("probe-sel").await;
    let ev = s.next_event(Duration::from_secs(10)).await;
    assert_eq!(ev["type"], "DELETED");
    assert_eq!(rv_of(&ev["object"]), rv_of(&gone));
    drop(s);

    // A field selector the same way: the phase leaves Running.
    c.create_pod("probe-field", json!({"app": "probe"})).await;
    let mut s = c.stream(
        &format!(
            "{PODS}?watch=true&fieldSelector=status.phase%3DRunning,metadata.name%3Dprobe-field"
        ),
        &[],
    );
    let ev = s.next_event(Duration::from_secs(10)).await;
    assert_eq!(
        (ev["type"].as_str(), object_name(&ev).as_str()),
        (Some("ADDED"), "probe-field"),
        "the state first"
    );
    let rv = c.update_pod("probe-field", |p| p["status"]["phase"] = json!("Failed"));
    let ev = s.next_event(Duration::from_secs(10)).await;
    assert_eq!(ev["type"], "DELETED");
    assert_eq!(ev["object"]["status"]["phase"], "Running");
    assert_eq!(rv_of(&ev["object"]), rv);
    drop(s);

    // A bad selector is refused before the stream starts.
    let r = c
        .get(&format!("{PODS}?watch=true&fieldSelector=spec.foo%3Dx"))
        .await;
    assert_eq!(r.code, 400);
    assert_eq!(r.json()["reason"], "BadRequest");
    c.stop().await;
}

/// The pod columns of the real server's Table (descriptions shortened to the
/// first one).
fn pod_columns() -> Vec<(&'static str, &'static str, &'static str, i64)> {
    vec![
        ("Name", "string", "name", 0),
        ("Ready", "string", "", 0),
        ("Status", "string", "", 0),
        ("Restarts", "string", "", 0),
        ("Age", "string", "", 0),
        ("IP", "string", "", 1),
        ("Node", "string", "", 1),
        ("Nominated Node", "string", "", 1),
        ("Readiness Gates", "string", "", 1),
    ]
}

const NAME_COLUMN_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

fn assert_pod_columns(table: &Value) {
    let cols = table["columnDefinitions"].as_array().expect("columns");
    let got: Vec<(&str, &str, &str, i64)> = cols
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["type"].as_str().unwrap(),
                c["format"].as_str().unwrap(),
                c["priority"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, pod_columns());
    assert_eq!(cols[0]["description"], NAME_COLUMN_DESCRIPTION);
}

fn assert_partial_metadata_row(row: &Value) {
    let o = &row["object"];
    assert_eq!(o["kind"], "PartialObjectMetadata");
    assert_eq!(o["apiVersion"], "meta.k8s.io/v1");
    let keys: BTreeSet<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["kind", "apiVersion", "metadata"]));
    assert!(o["metadata"]["name"].is_string() && o["metadata"]["uid"].is_string());
    assert_eq!(row["cells"].as_array().unwrap().len(), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn table_watch_as_kubectl_get_w_sends_it() {
    let c = Cluster::start(config()).await;
    let accept = format!("Accept: {TABLE_ACCEPT}");
    // kubectl get pods -w: a Table list (limit=500) ...
    let r = c
        .request(&format!("{PODS}?limit=500"), &["-H", &accept])
        .await;
    assert_eq!(r.code, 200);
    let t = r.json();
    assert_eq!(
        (t["kind"].as_str(), t["apiVersion"].as_str()),
        (Some("Table"), Some("meta.k8s.io/v1"))
    );
    assert_pod_columns(&t);
    let rows = t["rows"].as_array().unwrap();
    assert!(rows.len() > 20);
    rows.iter().for_each(assert_partial_metadata_row);
    let rv = rv_of(&t);

    // ... then a Table watch from its resourceVersion.
    let mut s = c.stream(
        &format!("{PODS}?resourceVersion={rv}&watch=true"),
        &["-H", &accept],
    );
    c.create_pod("probe-table", json!({"app": "probe"})).await;
    c.delete_pod("probe-table").await;
    // Every event until ours are both in (the crash-looping pod may change
    // too).
    let mut evs = Vec::new();
    while !evs
        .iter()
        .any(|e: &Value| e["type"] == "DELETED" && object_name(e) == "probe-table")
    {
        evs.push(s.next_event(Duration::from_secs(10)).await);
    }
    drop(s);
    // The first event's Table has the columns ...
    let first = &evs[0]["object"];
    assert_eq!(first["kind"], "Table");
    assert_eq!(first["apiVersion"], "meta.k8s.io/v1");
    assert_pod_columns(first);
    assert_eq!(
        first["metadata"]["resourceVersion"],
        first["rows"][0]["object"]["metadata"]["resourceVersion"]
    );
    // ... later ones `"columnDefinitions": null`, present and null.
    for ev in &evs[1..] {
        let t = ev["object"].as_object().unwrap();
        assert_eq!(t.get("columnDefinitions"), Some(&Value::Null), "{ev}");
    }
    // One row each, its object PartialObjectMetadata.
    for ev in &evs {
        assert_eq!(ev["object"]["rows"].as_array().unwrap().len(), 1);
        assert_partial_metadata_row(&ev["object"]["rows"][0]);
    }
    let ours: Vec<(&str, &str)> = evs
        .iter()
        .filter(|e| object_name(e) == "probe-table")
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["object"]["rows"][0]["cells"][0].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(ours, [("ADDED", "probe-table"), ("DELETED", "probe-table")]);
    c.stop().await;
}

// ------------------------------------------------------------------ lists

fn names_of(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}/{}",
                p["metadata"]["namespace"].as_str().unwrap_or_default(),
                p["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn decode_token(tok: &str) -> Value {
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(tok)
        .expect("continue tokens are base64");
    serde_json::from_slice(&raw).expect("continue tokens are JSON")
}

/// Follows `continue` tokens from `path` (which has `limit=N`); returns every
/// page.
async fn pages(c: &Cluster, path: &str, limit: usize) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut url = path.to_string();
    loop {
        let page = c.get_json(&url).await;
        let n = page["items"].as_array().unwrap().len();
        assert!(n <= limit);
        let cont = page["metadata"]["continue"].as_str().map(str::to_string);
        out.push(page);
        match cont {
            Some(t) => url = format!("{path}&continue={t}"),
            None => return out,
        }
        assert!(out.len() < 1000, "paging never ends");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_page_with_limit_and_continue() {
    let c = Cluster::start(config()).await;
    let r = c.get(PODS).await;
    assert!(
        r.text().starts_with(
            "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\""
        ),
        "{}",
        &r.text()[..200]
    );
    let all = r.json();
    assert_eq!(all["kind"], "PodList");
    assert!(all["metadata"].get("continue").is_none());
    assert!(all["metadata"].get("remainingItemCount").is_none());
    for item in all["items"].as_array().unwrap() {
        // List items carry neither kind nor apiVersion.
        assert!(item.get("kind").is_none() && item.get("apiVersion").is_none());
        assert_eq!(item["metadata"]["namespace"], "smf-data");
    }
    let names = names_of(&all);
    let total = names.len();

    // The first page, like the recorded `limit=3` one.
    let first = c.get_json(&format!("{PODS}?limit=3")).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(first["metadata"]["remainingItemCount"], total - 3);
    let tok = first["metadata"]["continue"].as_str().unwrap();
    let last = first["items"][2]["metadata"]["name"].as_str().unwrap();
    assert_eq!(
        decode_token(tok),
        json!({"v": "meta.k8s.io/v1", "rv": rv_of(&first), "start": format!("{last}\u{0}")})
    );

    // Following the tokens gives each pod once, in order, every page at
    // the first page's resourceVersion, counting down what remains.
    let ps = pages(&c, &format!("{PODS}?limit=4"), 4).await;
    let rv = rv_of(&ps[0]);
    let mut seen = Vec::new();
    for (i, p) in ps.iter().enumerate() {
        assert_eq!(rv_of(p), rv);
        seen.extend(names_of(p));
        let left = total - seen.len();
        if i + 1 < ps.len() {
            assert_eq!(p["metadata"]["remainingItemCount"], left, "page {i}");
        } else {
            assert_eq!(left, 0);
            assert!(p["metadata"].get("remainingItemCount").is_none());
        }
    }
    assert_eq!(seen, names);

    // Across namespaces too, with tokens that start at namespace/name.
    let everything = names_of(&c.get_json("/api/v1/pods").await);
    let ps = pages(&c, "/api/v1/pods?limit=7", 7).await;
    assert!(ps.len() > 3);
    let tok = decode_token(ps[0]["metadata"]["continue"].as_str().unwrap());
    assert_eq!(tok["start"], format!("{}\u{0}", names_of(&ps[0])[6]));
    let seen: Vec<String> = ps.iter().flat_map(names_of).collect();
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "each pod once");
    assert_eq!(seen, everything);

    // A change between pages: later pages still read at the first page's
    // resourceVersion, so a watch from it sees the change.
    let p1 = c.get_json(&format!("{PODS}?limit=5")).await;
    let rv1 = rv_of(&p1);
    c.create_pod("aaa-probe-between-pages", json!({"app": "probe"}))
        .await;
    let tok = p1["metadata"]["continue"].as_str().unwrap();
    let p2 = c.get_json(&format!("{PODS}?limit=5&continue={tok}")).await;
    assert_eq!(rv_of(&p2), rv1);
    let w = c
        .get(&format!(
            "{PODS}?watch=true&resourceVersion={rv1}&timeoutSeconds=1"
        ))
        .await;
    assert!(
        w.events()
            .iter()
            .any(|e| object_name(e) == "aaa-probe-between-pages")
    );

    // Filtered lists page too, without a remainingItemCount (the server
    // cannot count what a selector would keep).
    let mut by_app: BTreeMap<String, usize> = BTreeMap::new();
    for p in all["items"].as_array().unwrap() {
        if let Some(a) = p["metadata"]["labels"]["app"].as_str() {
            *by_app.entry(a.to_string()).or_default() += 1;
        }
    }
    let (app, n) = by_app.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(*n >= 2);
    let ps = pages(&c, &format!("{PODS}?labelSelector=app%3D{app}&limit=1"), 1).await;
    assert_eq!(ps.len(), *n);
    assert!(ps[0]["metadata"]["continue"].is_string());
    assert!(ps[0]["metadata"].get("remainingItemCount").is_none());

    // A token that is not one is a 400.
    let r = c.get(&format!("{PODS}?limit=3&continue=bm9wZQ")).await;
    assert_eq!(r.code, 400);
    assert_eq!(r.json()["reason"], "BadRequest");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metadata_only_lists_gets_and_watches() {
    let c = Cluster::start(config()).await;
    let names = names_of(&c.get_json(PODS).await);
    let accept =
        "Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
    let r = c.request(&format!("{PODS}?limit=5"), &["-H", accept]).await;
    let list = r.json();
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(list["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(list["metadata"]["remainingItemCount"], names.len() - 5);
    for item in list["items"].as_array().unwrap() {
        let keys: BTreeSet<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(["kind", "apiVersion", "metadata"]));
        assert_eq!(item["kind"], "PartialObjectMetadata");
    }

    // kube-rs' metadata API and metadata watcher.
    use futures::TryStreamExt;
    use k8s_openapi::api::core::v1::Pod;
    use kube::runtime::watcher;
    let pods: kube::Api<Pod> = kube::Api::namespaced(c.kube().await, "smf-data");
    let got = pods
        .list_metadata(&kube::api::ListParams::default())
        .await
        .unwrap();
    assert_eq!(got.items.len(), names.len());
    let one = pods.get_metadata("kafka-0").await.unwrap();
    assert_eq!(one.metadata.name.as_deref(), Some("kafka-0"));
    assert_eq!(one.types.unwrap().kind, "PartialObjectMetadata");
    // kube 5: an Api of PartialObjectMeta makes metadata-only requests.
    let meta: kube::Api<kube::core::PartialObjectMeta<Pod>> =
        kube::Api::namespaced(c.kube().await, "smf-data");
    let w = watcher(meta, watcher::Config::default());
    let n = tokio::time::timeout(Duration::from_secs(10), async {
        let mut w = std::pin::pin!(w);
        let mut n = 0;
        while let Some(ev) = w.try_next().await.expect("watcher") {
            match ev {
                watcher::Event::InitApply(_) => n += 1,
                watcher::Event::InitDone => return n,
                _ => {}
            }
        }
        n
    })
    .await
    .expect("InitDone within 10 s");
    assert_eq!(n, names.len());
    c.stop().await;
}

// ----------------------------------------------------------------- errors

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn errors_are_status_objects_with_the_real_codes() {
    let c = Cluster::start(config()).await;
    let unauthorized = status(401, "Unauthorized", "Unauthorized");
    for token in [None, Some("wrong-token")] {
        let r = c.request_as(PODS, &[], token).await;
        assert_eq!(r.code, 401, "token {token:?}");
        assert_eq!(r.json(), unauthorized);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let r = c.request_as("/api", &[], token).await;
        assert_eq!(r.code, 401);
    }
    assert_eq!(
        c.request_as(PODS, &[], None).await.text(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
    );
    // /version is public, but a wrong token fails authentication anywhere.
    assert_eq!(c.request_as("/version", &[], None).await.code, 200);
    assert_eq!(
        c.request_as("/version", &[], Some("wrong-token"))
            .await
            .code,
        401
    );

    let r = c.get(&format!("{PODS}/nope")).await;
    assert_eq!(r.code, 404);
    let mut want = status(404, "NotFound", "pods \"nope\" not found");
    want["details"] = json!({"name": "nope", "kind": "pods"});
    assert_eq!(r.json(), want);
    let r = c
        .get("/apis/apps/v1/namespaces/smf-data/deployments/x")
        .await;
    assert_eq!(r.code, 404);
    let mut want = status(404, "NotFound", "deployments.apps \"x\" not found");
    want["details"] = json!({"name": "x", "group": "apps", "kind": "deployments"});
    assert_eq!(r.json(), want);

    let mut not_allowed = status(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
    );
    not_allowed["details"] = json!({});
    let pod = format!("{PODS}/kafka-0");
    for (method, path) in [
        ("PUT", pod.clone()),
        ("PATCH", pod.clone()),
        ("POST", format!("{pod}/log")),
    ] {
        let r = c
            .request(
                &path,
                &[
                    "-X",
                    method,
                    "-H",
                    "Content-Type: application/json",
                    "-d",
                    "{}",
                ],
            )
            .await;
        assert_eq!(r.code, 405, "{method} {path}");
        assert_eq!(r.json(), not_allowed, "{method} {path}");
    }

    let r = c.get(&format!("{PODS}?labelSelector=app%3D(x")).await;
    assert_eq!(r.code, 400);
    assert_eq!(
        r.json(),
        status(
            400,
            "BadRequest",
            "unable to parse requirement: found '(', expected: identifier"
        )
    );
    let r = c.get(&format!("{PODS}?labelSelector=app%3D-x")).await;
    assert_eq!(r.code, 400);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid label must be an empty string"),
        "{}",
        r.text()
    );
    let r = c.get(&format!("{PODS}?fieldSelector=spec.foo%3Dx")).await;
    assert_eq!(
        (r.code, r.json()),
        (
            400,
            status(400, "BadRequest", "field label not supported: spec.foo")
        )
    );

    // Query values decode as the server's conversion does: a malformed
    // integer is Go's strconv error, a bare flag is true.
    let r = c.get(&format!("{PODS}?limit=abc")).await;
    assert_eq!(
        (r.code, r.json()),
        (
            400,
            status(
                400,
                "BadRequest",
                "strconv.ParseInt: parsing \"abc\": invalid syntax"
            )
        )
    );
    let rv = c.list_rv(PODS).await;
    let r = c
        .get(&format!(
            "{PODS}?watch&resourceVersion={rv}&timeoutSeconds=1"
        ))
        .await;
    assert_eq!((r.code, r.exit), (200, 0));
    assert!(
        r.elapsed >= Duration::from_millis(900),
        "a watch, not a list"
    );

    for path in [
        "/nope",
        "/api/v1/nopes",
        "/apis/batch/v1/jobs",
        "/apis/apps/v1/namespaces/smf-data/nopes",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.code, 404, "{path}");
        assert_eq!(r.text(), "404 page not found\n", "{path}");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    }
    c.stop().await;
}

// ----------------------------------------------------------------- faults

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cut_lines_cuts_a_followed_log_mid_line() {
    let c = Cluster::start(SimConfig {
        faults: Faults {
            cut_lines: Some(5),
            ..Faults::default()
        },
        ..config()
    })
    .await;
    let log = format!("{PODS}/zookeeper-0/log");
    // Unfollowed reads are never cut.
    let full = c.get(&log).await;
    assert_eq!((full.code, full.exit), (200, 0));
    let full_lines: Vec<String> = full.text().lines().map(str::to_string).collect();
    assert!(full_lines.len() > 6);

    for extra in [&[][..], &["--http1.1"][..]] {
        let r = c.request(&format!("{log}?follow=true"), extra).await;
        assert_eq!(r.code, 200);
        assert_ne!(r.exit, 0, "the transfer fails ({extra:?})");
        assert_ne!(r.exit, 28, "it is cut, not timed out");
        let text = r.text();
        let (whole, partial) = text.rsplit_once('\n').expect("whole lines");
        let whole: Vec<&str> = whole.lines().collect();
        assert_eq!(
            whole,
            full_lines[..5]
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        );
        let sixth = &full_lines[5];
        assert!(
            !partial.is_empty() && partial.len() < sixth.len(),
            "{partial:?}"
        );
        assert!(sixth.starts_with(partial), "{partial:?} / {sixth:?}");
        assert_eq!(partial.len(), sixth.len().div_ceil(2));
    }

    // The limit counts lines as they are sent: with tailLines=2, two old
    // ones and three new, then half of the next (which arrives in its own
    // chunk).
    let r = c
        .request(&format!("{log}?follow=true&tailLines=2"), &[])
        .await;
    assert_ne!(r.exit, 0);
    let text = r.text();
    let (whole, partial) = text.rsplit_once('\n').unwrap();
    assert_eq!(whole.lines().count(), 5, "{text}");
    assert!(!partial.is_empty(), "half a line after the fifth: {text:?}");
    assert!(partial.len() < 100 && !partial.contains('\n'));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cut_after_ends_watches_and_log_streams() {
    let c = Cluster::start(SimConfig {
        faults: Faults {
            cut_after: Some(Duration::from_millis(1500)),
            ..Faults::default()
        },
        ..config()
    })
    .await;
    let rv = c.list_rv(PODS).await;
    let w = c.stream(&format!("{PODS}?watch=true&resourceVersion={rv}"), &[]);
    let l = c.stream(
        &format!("{PODS}/zookeeper-0/log?follow=true&tailLines=1"),
        &[],
    );
    for (what, s) in [("watch", w), ("log", l)] {
        let (_, exit, took) = s.finish(Duration::from_secs(10)).await;
        assert_ne!(exit, 0, "{what}: the stream fails");
        assert!(
            took >= Duration::from_millis(1400) && took < Duration::from_secs(4),
            "{what}: {took:?}"
        );
    }
    // A watch that times out first ends cleanly.
    let r = c
        .get(&format!(
            "{PODS}?watch=true&resourceVersion={rv}&timeoutSeconds=1"
        ))
        .await;
    assert_eq!((r.code, r.exit), (200, 0));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn injected_429_and_500_spare_version_and_discovery() {
    let c = Cluster::start(SimConfig {
        faults: Faults {
            error_rate: 1.0,
            error_code: 429,
            ..Faults::default()
        },
        ..config()
    })
    .await;
    let mut want = status(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.",
    );
    want["details"] = json!({"retryAfterSeconds": 1});
    for path in [
        PODS.to_string(),
        format!("{PODS}/kafka-0"),
        format!("{PODS}/kafka-0/log"),
        format!("{PODS}?watch=true"),
        "/apis/apps/v1/deployments".to_string(),
        "/api/v1/nodes".to_string(),
    ] {
        let r = c.get(&path).await;
        assert_eq!(r.code, 429, "{path}");
        assert_eq!(r.header("retry-after"), Some("1"), "{path}");
        assert_eq!(r.json(), want, "{path}");
    }
    for path in ["/version", "/api", "/apis", "/api/v1", "/apis/apps/v1"] {
        assert_eq!(c.get(path).await.code, 200, "{path}");
    }
    // kube-rs sees the 429 as an API error it can back off on.
    use k8s_openapi::api::core::v1::Pod;
    let pods: kube::Api<Pod> = kube::Api::namespaced(c.kube_with(false).await, "smf-data");
    match pods.get("kafka-0").await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (429, "TooManyRequests"))
        }
        other => panic!("expected a 429, got {other:?}"),
    }
    c.stop().await;

    let c = Cluster::start(SimConfig {
        faults: Faults {
            error_rate: 1.0,
            error_code: 500,
            ..Faults::default()
        },
        ..config()
    })
    .await;
    let r = c.get(PODS).await;
    assert_eq!(r.code, 500);
    assert!(r.header("retry-after").is_none());
    let v = r.json();
    let msg = v["message"].as_str().unwrap();
    assert!(msg.starts_with("Internal error occurred: "), "{msg}");
    let mut want = status(500, "InternalError", msg);
    want["details"] =
        json!({"causes": [{"message": msg.trim_start_matches("Internal error occurred: ")}]});
    assert_eq!(v, want);
    assert_eq!(c.get("/version").await.code, 200);
    assert_eq!(c.get("/api/v1").await.code, 200);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn latency_delays_resource_requests() {
    let c = Cluster::start(SimConfig {
        faults: Faults {
            latency: Some(Duration::from_millis(600)),
            ..Faults::default()
        },
        ..config()
    })
    .await;
    let fast = c.get("/version").await;
    let slow = c.get(&format!("{PODS}/kafka-0")).await;
    assert_eq!((fast.code, slow.code), (200, 200));
    assert!(
        slow.elapsed >= Duration::from_millis(600),
        "{:?}",
        slow.elapsed
    );
    assert!(
        slow.elapsed >= fast.elapsed + Duration::from_millis(400),
        "{:?} vs {:?}",
        slow.elapsed,
        fast.elapsed
    );
    c.stop().await;
}

// ------------------------------------------------------------------- logs

fn timestamped(line: &str) -> (jiff::Timestamp, &str) {
    let (ts, rest) = line
        .split_once(' ')
        .unwrap_or_else(|| panic!("no timestamp: {line:?}"));
    assert!(ts.ends_with('Z') && ts.contains('T'), "{ts}");
    (ts.parse().unwrap_or_else(|e| panic!("{ts}: {e}")), rest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pod_log_options() {
    let c = Cluster::start(config()).await;
    let log = format!("{PODS}/zookeeper-0/log");

    // tailLines: the last lines of the log, whole.
    let tail = c.get(&format!("{log}?tailLines=3")).await;
    assert_eq!(tail.code, 200);
    assert_eq!(tail.header("content-type"), Some("text/plain"));
    let full = c.get(&log).await.text();
    let t = tail.text();
    assert!(t.ends_with('\n'));
    assert_eq!(t.lines().count(), 3);
    assert!(full.contains(&t), "the tail is in the log");
    assert_eq!(c.get(&format!("{log}?tailLines=0")).await.text(), "");

    // limitBytes: the first bytes of the log, cut anywhere.
    let head = c.get(&format!("{log}?limitBytes=100")).await;
    assert_eq!(head.body.len(), 100);
    assert!(full.as_bytes().starts_with(&head.body));

    // timestamps: RFC 3339 with nanoseconds, then a space, then the line.
    let stamped = c
        .get(&format!("{log}?tailLines=3&timestamps=true"))
        .await
        .text();
    let full = c.get(&log).await.text();
    let stripped: String = stamped
        .lines()
        .map(|l| format!("{}\n", timestamped(l).1))
        .collect();
    assert_eq!(stamped.lines().count(), 3);
    assert!(full.contains(&stripped), "{stripped:?} is in the log");
    let times: Vec<jiff::Timestamp> = stamped.lines().map(|l| timestamped(l).0).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    // sinceSeconds: only lines written in the last seconds.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let asked = jiff::Timestamp::now();
    let recent = c
        .get(&format!("{log}?sinceSeconds=1&timestamps=true"))
        .await
        .text();
    let recent: Vec<&str> = recent.lines().collect();
    assert!(!recent.is_empty(), "a line every 50 ms");
    let all_now = c.get(&log).await.text().lines().count();
    assert!(recent.len() < all_now, "{} of {all_now}", recent.len());
    for l in &recent {
        let (ts, _) = timestamped(l);
        assert!(
            ts >= asked - jiff::SignedDuration::from_millis(1500),
            "{ts} is older than a second before {asked}"
        );
    }

    // A pod with several containers needs one named.
    let pods = c.get_json(PODS).await;
    let ops = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["metadata"]["name"]
                .as_str()
                .unwrap()
                .starts_with("ops-center-smf-data-ops-center-")
        })
        .expect("the ops-center pod");
    let name = ops["metadata"]["name"].as_str().unwrap();
    let containers: Vec<&str> = ops["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(containers.len() > 1);
    let r = c.get(&format!("{PODS}/{name}/log")).await;
    assert_eq!(r.code, 400);
    let mut msg = format!(
        "a container name must be specified for pod {name}, choose one of: [{}]",
        containers.join(" ")
    );
    if let Some(inits) = ops["spec"]["initContainers"].as_array() {
        let inits: Vec<&str> = inits.iter().map(|c| c["name"].as_str().unwrap()).collect();
        msg.push_str(&format!(
            " or one of the init containers: [{}]",
            inits.join(" ")
        ));
    }
    assert_eq!(r.json(), status(400, "BadRequest", &msg));
    let r = c
        .get(&format!(
            "{PODS}/{name}/log?container={}&tailLines=1",
            containers[1]
        ))
        .await;
    assert_eq!(r.code, 200);

    // The recorded answers for a bad container and a missing previous log.
    let r = c.get(&format!("{PODS}/kafka-0/log?container=nope")).await;
    assert_eq!(
        (r.code, r.json()),
        (
            400,
            status(
                400,
                "BadRequest",
                "container nope is not valid for pod kafka-0"
            )
        )
    );
    let r = c.get(&format!("{PODS}/kafka-0/log?previous=true")).await;
    assert_eq!(
        (r.code, r.json()),
        (
            400,
            status(
                400,
                "BadRequest",
                "previous terminated container \"kafka\" in pod \"kafka-0\" not found"
            )
        )
    );
    // Option validation: 422 Invalid.
    let r = c.get(&format!("{log}?tailLines=-1")).await;
    assert_eq!(r.code, 422);
    let mut want = status(
        422,
        "Invalid",
        "PodLogOptions \"zookeeper-0\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0",
    );
    want["details"] = json!({"name": "zookeeper-0", "kind": "PodLogOptions", "causes": [{"reason": "FieldValueInvalid", "message": "Invalid value: -1: must be greater than or equal to 0", "field": "tailLines"}]});
    assert_eq!(r.json(), want);
    // Options are checked before the pod is looked up.
    let r = c.get(&format!("{PODS}/nope/log?limitBytes=0")).await;
    assert_eq!(r.code, 422, "{}", r.text());
    let r = c.get(&format!("{PODS}/nope/log")).await;
    assert_eq!(r.code, 404);
    c.stop().await;
}

// ---------------------------------------------------------------- kubectl

fn have_kubectl() -> bool {
    std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kubectl_pages_and_watches() {
    if !have_kubectl() {
        eprintln!("kubectl not installed: skipped");
        return;
    }
    let c = Cluster::start(config()).await;
    let kubectl = |args: &[&str]| {
        let mut k = tokio::process::Command::new("kubectl");
        k.arg("--kubeconfig")
            .arg(&c.sim.kubeconfig_path)
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        k
    };
    // A chunked list across namespaces: every pod once.
    let out = kubectl(&["get", "pods", "-A", "--chunk-size=5", "--no-headers"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(rows, names_of(&c.get_json("/api/v1/pods").await).len());

    // get -w prints the table, then the new pod's row.
    let mut w = kubectl(&["get", "pods", "-n", "smf-data", "-w"]);
    w.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = w.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let header = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("the header within 10 s")
        .unwrap()
        .unwrap();
    assert!(
        header.starts_with("NAME") && header.contains("RESTARTS"),
        "{header}"
    );
    c.create_pod("probe-kubectl", json!({"app": "probe"})).await;
    let row = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            if l.starts_with("probe-kubectl ") {
                return l;
            }
        }
        panic!("kubectl stopped watching");
    })
    .await
    .expect("the new pod within 10 s");
    assert!(row.contains("Running"), "{row}");
    let _ = child.start_kill();
    let _ = child.wait().await;
    c.stop().await;
}
