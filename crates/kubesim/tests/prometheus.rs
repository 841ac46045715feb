//! The service proxy and the simulator's Prometheus, black-box through the
//! simulated API server with kube-rs (the client kubetac is built on): the
//! proxy's name forms, its `Status` errors and faults, forwarding to a real
//! upstream; the synthetic metric history accepted by the real `promtool`;
//! and a real Prometheus backfilled with it, queried through the proxy.
//!
//! Needs Debian's `prometheus` package (prometheus and promtool on PATH);
//! scripts/test.sh installs it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kubesim::{Faults, ServiceUpstream, Sim, SimConfig};
use serde_json::{Value, json};

async fn client(sim: &Sim) -> kube::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = Kubeconfig::read_from(&sim.kubeconfig_path).expect("kubeconfig parses");
    let mut cfg = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    // kube retries 503 up to 15 times with exponential back-off (minutes):
    // the proxy's 503s are answers here, as kubetac's proxy client takes them.
    cfg.default_retry = false;
    kube::Client::try_from(cfg).expect("client")
}

struct Reply {
    code: u16,
    content_type: String,
    location: Option<String>,
    body: Vec<u8>,
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
}

async fn call(
    client: &kube::Client,
    method: Method,
    path: &str,
    body: Option<(&str, &[u8])>,
) -> Reply {
    let mut req = http::Request::builder().method(method).uri(path);
    if let Some((ct, _)) = body {
        req = req.header(http::header::CONTENT_TYPE, ct);
    }
    let req = req
        .body(kube::client::Body::from(
            body.map(|(_, b)| b.to_vec()).unwrap_or_default(),
        ))
        .unwrap();
    let resp = client.send(req).await.expect("request sent");
    let code = resp.status().as_u16();
    let header = |h| {
        resp.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(http::header::CONTENT_TYPE).unwrap_or_default();
    let location = header(http::header::LOCATION);
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        code,
        content_type,
        location,
        body,
    }
}

async fn get(client: &kube::Client, path: &str) -> Reply {
    call(client, Method::GET, path, None).await
}

/// Asserts a `Status` error as the real server words it.
fn assert_status(r: &Reply, code: u16, reason: &str, message: &str) {
    assert_eq!(r.code, code, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["kind"], "Status");
    assert_eq!(v["reason"], reason);
    assert_eq!(v["code"], code);
    assert_eq!(v["message"], message);
}

const PROXY: &str = "/api/v1/namespaces/cee-cee/services";

/// A real HTTP server that says what it was asked.
async fn echo_upstream() -> (String, tokio::task::JoinHandle<()>) {
    async fn echo(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> axum::response::Response {
        match uri.path() {
            "/teapot" => (
                StatusCode::IM_A_TEAPOT,
                [(http::header::CONTENT_TYPE, "text/x-teapot")],
                "short and stout",
            )
                .into_response(),
            "/moved" => (
                StatusCode::FOUND,
                [(http::header::LOCATION, "/graph")],
                "",
            )
                .into_response(),
            _ => axum::Json(json!({
                "method": method.as_str(),
                "path": uri.path(),
                "query": uri.query(),
                "contentType": headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
                "authorization": headers.contains_key(http::header::AUTHORIZATION),
                "body": String::from_utf8_lossy(&body),
            }))
            .into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(echo);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_proxy_forwards_to_its_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let (upstream, task) = echo_upstream().await;
    let sim = Sim::start(SimConfig {
        state_dir: Some(dir.path().to_path_buf()),
        service_upstreams: vec![
            format!("cee-cee/prometheus={upstream}")
                .parse::<ServiceUpstream>()
                .unwrap(),
        ],
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let c = client(&sim).await;

    // Every name form reaches the upstream, with path and query intact and
    // without the caller's API credentials.
    for id in [
        "prometheus",
        "prometheus:9090",
        "prometheus:web",
        "http:prometheus:web",
        "https:prometheus:9090",
    ] {
        let r = get(
            &c,
            &format!("{PROXY}/{id}/proxy/api/v1/query?query=up%7Bjob%3D%22x%22%7D&time=5"),
        )
        .await;
        assert_eq!(r.code, 200, "{id}: {}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        assert_eq!(v["method"], "GET", "{id}");
        assert_eq!(v["path"], "/api/v1/query", "{id}");
        assert_eq!(v["query"], "query=up%7Bjob%3D%22x%22%7D&time=5", "{id}");
        assert_eq!(v["authorization"], false, "{id}");
    }
    let r = get(&c, &format!("{PROXY}/prometheus:9090/proxy/")).await;
    assert_eq!(r.json()["path"], "/");
    let r = get(&c, &format!("{PROXY}/prometheus:9090/proxy/graph/")).await;
    assert_eq!(r.json()["path"], "/graph/");

    // POST carries its body and content type (PromQL's form-encoded queries).
    let r = call(
        &c,
        Method::POST,
        &format!("{PROXY}/prometheus:9090/proxy/api/v1/query_range"),
        Some((
            "application/x-www-form-urlencoded",
            b"query=up&start=1&end=2&step=15",
        )),
    )
    .await;
    assert_eq!(r.code, 200);
    let v = r.json();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["contentType"], "application/x-www-form-urlencoded");
    assert_eq!(v["body"], "query=up&start=1&end=2&step=15");

    // The upstream's status and content type come back as they are.
    let r = get(&c, &format!("{PROXY}/prometheus:9090/proxy/teapot")).await;
    assert_eq!(r.code, 418);
    assert_eq!(r.content_type, "text/x-teapot");
    assert_eq!(r.body, b"short and stout");
    // A redirect stays under the proxy.
    let r = get(&c, &format!("{PROXY}/prometheus:9090/proxy/moved")).await;
    assert_eq!(r.code, 302);
    assert_eq!(
        r.location.as_deref(),
        Some("/api/v1/namespaces/cee-cee/services/prometheus:9090/proxy/graph")
    );

    // The real server's errors.
    assert_status(
        &get(&c, &format!("{PROXY}/nope:9090/proxy/")).await,
        404,
        "NotFound",
        "services \"nope\" not found",
    );
    assert_status(
        &get(
            &c,
            "/api/v1/namespaces/smf-data/services/smf-service:8080/proxy/",
        )
        .await,
        503,
        "ServiceUnavailable",
        "no endpoints available for service \"smf-service\"",
    );
    assert_status(
        &get(&c, &format!("{PROXY}/prometheus:1234/proxy/")).await,
        503,
        "ServiceUnavailable",
        "no service port 1234 found for service \"prometheus\"",
    );
    assert_status(
        &get(&c, &format!("{PROXY}/prometheus:metrics/proxy/")).await,
        503,
        "ServiceUnavailable",
        "no endpoints available for service \"prometheus:metrics\"",
    );
    let r = call(
        &c,
        Method::DELETE,
        &format!("{PROXY}/prometheus/proxy/x"),
        None,
    )
    .await;
    assert_eq!(r.code, 405);

    // An upstream that went away is a dial error, as an endpoint that
    // refuses is on a real cluster.
    task.abort();
    let _ = task.await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    sim.set_service_upstream("cee-cee", "prometheus", &gone)
        .unwrap();
    let r = get(&c, &format!("{PROXY}/prometheus:9090/proxy/")).await;
    assert_eq!(r.code, 503);
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.starts_with("error trying to reach service: dial tcp 127.0.0.1:"),
        "{msg}"
    );
    assert!(sim.set_service_upstream("cee-cee", "nope", &gone).is_err());
    assert!(
        sim.set_service_upstream("cee-cee", "prometheus", "ftp://x")
            .is_err()
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_proxy_obeys_faults() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig {
        state_dir: Some(dir.path().to_path_buf()),
        faults: Faults::parse_all(["forbid=services/proxy"]).unwrap(),
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let c = client(&sim).await;
    assert_status(
        &get(&c, &format!("{PROXY}/prometheus:9090/proxy/api/v1/query")).await,
        403,
        "Forbidden",
        "services \"prometheus:9090\" is forbidden: User \"kubesim-viewer\" cannot get resource \"services/proxy\" in API group \"\" in the namespace \"cee-cee\"",
    );
    let r = call(
        &c,
        Method::POST,
        &format!("{PROXY}/prometheus/proxy/api/v1/query"),
        Some(("application/x-www-form-urlencoded", b"query=up")),
    )
    .await;
    assert_eq!(r.code, 403);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("cannot create resource \"services/proxy\"")
    );
    // Only the proxy is refused.
    assert_eq!(get(&c, &format!("{PROXY}/prometheus")).await.code, 200);
    sim.stop().await;
}

/// One sample line: (series, value, timestamp).
fn sample(line: &str) -> (&str, f64, i64) {
    let (series, rest) = line.rsplit_once('}').expect("labels");
    let mut it = rest.split_whitespace();
    let v = it.next().unwrap().parse().unwrap();
    let t = it.next().unwrap().parse().unwrap();
    (series, v, t)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_history_is_valid_openmetrics_that_promtool_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig {
        state_dir: Some(dir.path().to_path_buf()),
        ..SimConfig::default()
    })
    .await
    .expect("sim starts");
    let to = jiff::Timestamp::now();
    let from = to - jiff::SignedDuration::from_mins(40);
    let mut text = Vec::new();
    sim.write_metrics_history(from, to, Duration::from_secs(15), &mut text)
        .unwrap();
    let again = {
        let mut v = Vec::new();
        sim.write_metrics_history(from, to, Duration::from_secs(15), &mut v)
            .unwrap();
        v
    };
    assert!(text == again, "the history is deterministic");
    let text = String::from_utf8(text).unwrap();
    assert!(text.ends_with("# EOF\n"));

    // Families are not interleaved; each series is contiguous and in time
    // order within the window; counters only reset where a container crashed.
    let mut families = Vec::new();
    let mut series_seen = BTreeSet::new();
    let mut last: Option<(String, f64, i64)> = None;
    let mut ends: BTreeMap<String, f64> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap().to_string();
            assert!(!families.contains(&name), "{name} twice");
            families.push(name);
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let fam = families.last().expect("a sample after # TYPE");
        let (series, v, t) = sample(line);
        assert!(series.starts_with(fam.as_str()), "{line} under {fam}");
        assert!(
            t >= from.as_second() && t <= to.as_second(),
            "{line} outside the window"
        );
        match &last {
            Some((s, _, lt)) if s == series => assert!(t > *lt, "{line} out of order"),
            _ => assert!(series_seen.insert(series.to_string()), "{series} split"),
        }
        let counter = series.starts_with("kube_pod_container_status_restarts_total")
            || series.starts_with("container_network_");
        if counter
            && let Some((s, lv, _)) = &last
            && s == series
        {
            assert!(v >= *lv, "{line} went down");
        }
        ends.insert(series.to_string(), v);
        last = Some((series.to_string(), v, t));
    }
    assert_eq!(
        families,
        [
            "container_cpu_usage_seconds",
            "container_memory_working_set_bytes",
            "container_network_receive_bytes",
            "container_network_transmit_bytes",
            "kube_pod_container_status_restarts",
            "kube_pod_status_phase",
        ]
    );
    for want in [
        r#"container_cpu_usage_seconds_total{namespace="smf-data",pod="smf-nodemgr-n0-0",container="smf-nodemgr",node="worker1""#,
        r#"container_memory_working_set_bytes{namespace="smf-data",pod="smf-service-n0-0",container="smf-service",node="worker2""#,
        r#"container_network_receive_bytes_total{namespace="smf-data",pod="smf-nodemgr-n0-0",interface="eth0",node="worker1""#,
        r#"kube_pod_status_phase{namespace="smf-data",pod="smf-nodemgr-n0-0",phase="Running""#,
        r#"kube_pod_status_phase{namespace="smf-data",pod="smart-agent-smf-data-ops-center-6667dcdd65-2h7nr",phase="Failed""#,
    ] {
        assert!(series_seen.contains(want), "missing {want}");
    }

    // The restart counters end at the restart counts the API shows.
    let c = client(&sim).await;
    let pods: Api<Pod> = Api::all(c);
    let mut checked = 0;
    for p in pods.list(&Default::default()).await.unwrap().items {
        let (Some(ns), Some(name)) = (p.metadata.namespace, p.metadata.name) else {
            continue;
        };
        if p.spec.and_then(|s| s.node_name).is_none() {
            continue;
        }
        for cs in p
            .status
            .and_then(|s| s.container_statuses)
            .unwrap_or_default()
        {
            let key = format!(
                "kube_pod_container_status_restarts_total{{namespace=\"{ns}\",pod=\"{name}\",container=\"{}\"",
                cs.name
            );
            assert_eq!(
                ends.get(&key).copied(),
                Some(cs.restart_count as f64),
                "{key}"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");

    // The real promtool turns it into TSDB blocks.
    let om = dir.path().join("small.om");
    std::fs::write(&om, &text).unwrap();
    let blocks = dir.path().join("blocks");
    kubesim::prometheus::create_blocks(&om, &blocks)
        .await
        .expect("promtool accepts the history");
    let made = std::fs::read_dir(&blocks)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("meta.json").is_file())
        .count();
    assert!(made >= 1, "no block written");
    sim.stop().await;
}

/// `data.result` of a Prometheus API answer, after checking it succeeded.
fn result(r: &Reply) -> Vec<Value> {
    assert_eq!(r.code, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["status"], "success", "{v}");
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

fn enc(q: &str) -> String {
    let mut o = String::new();
    for b in q.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_answers_through_the_service_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(SimConfig {
        state_dir: Some(dir.path().to_path_buf()),
        prometheus: true,
        ..SimConfig::default()
    })
    .await
    .expect("sim with prometheus starts");
    let prom_url = sim.prometheus_url().expect("a prometheus URL").to_string();
    assert!(dir.path().join("prometheus/history.om").is_file());
    let c = client(&sim).await;

    let pods: Api<Pod> = Api::namespaced(c.clone(), "smf-data");
    let pod = pods.get("smf-service-n0-0").await.unwrap();
    let restarts = pod.status.unwrap().container_statuses.unwrap()[0].restart_count;
    assert_eq!(restarts, 5);

    let prom = format!("{PROXY}/prometheus:9090/proxy");
    let now = jiff::Timestamp::now().as_second();
    let mem = r#"container_memory_working_set_bytes{namespace="smf-data",pod="smf-service-n0-0"}"#;
    let r = get(
        &c,
        &format!(
            "{prom}/api/v1/query_range?query={}&start={}&end={now}&step=60",
            enc(mem),
            now - 3600
        ),
    )
    .await;
    assert!(
        r.content_type.starts_with("application/json"),
        "{}",
        r.content_type
    );
    let series = result(&r);
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0]["metric"]["container"], "smf-service");
    assert_eq!(series[0]["metric"]["node"], "worker2");
    let values: Vec<f64> = series[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        values.len() >= 30,
        "{} points in the last hour",
        values.len()
    );
    assert!(values.iter().all(|v| *v > 1e6), "{values:?}");

    // The restart counter ends at the API's restartCount; its increase over
    // the last hour shows the crash loop.
    let restarts_q = r#"kube_pod_container_status_restarts_total{namespace="smf-data",pod="smf-service-n0-0",container="smf-service"}"#;
    let r = get(
        &c,
        &format!("{prom}/api/v1/query?query={}", enc(restarts_q)),
    )
    .await;
    let v = result(&r);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["value"][1], restarts.to_string());
    let grew = format!("increase({restarts_q}[1h])");
    let r = get(&c, &format!("{prom}/api/v1/query?query={}", enc(&grew))).await;
    let v = result(&r);
    let inc: f64 = v[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert!(inc >= 4.0, "increase {inc}");

    // POST, as Grafana and promtool query.
    let r = call(
        &c,
        Method::POST,
        &format!("{prom}/api/v1/query"),
        Some((
            "application/x-www-form-urlencoded",
            format!("query={}", enc("count(kube_pod_status_phase)")).as_bytes(),
        )),
    )
    .await;
    let v = result(&r);
    let pods_seen: f64 = v[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert_eq!(pods_seen as usize, sim.pod_count());

    assert_status(
        &get(
            &c,
            "/api/v1/namespaces/smf-data/services/smf-service/proxy/",
        )
        .await,
        503,
        "ServiceUnavailable",
        "no endpoints available for service \"smf-service\"",
    );
    assert_status(
        &get(&c, &format!("{PROXY}/prometheus-nope:9090/proxy/")).await,
        404,
        "NotFound",
        "services \"prometheus-nope\" not found",
    );

    // Dropping the simulator (as a panicking test does) kills Prometheus.
    drop(sim);
    let ready = format!("{prom_url}/-/ready");
    let addr = ready
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let mut gone = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(&addr).await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "prometheus still listens on {addr} after the sim dropped"
    );
}

/// Set to a state directory when this test binary runs as the helper below.
const HELPER_ENV: &str = "KUBESIM_PROMETHEUS_HELPER_DIR";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a helper that prometheus_dies_with_a_killed_simulator runs in its own process"]
async fn helper_simulator_with_prometheus_until_killed() {
    let Some(dir) = std::env::var_os(HELPER_ENV) else {
        return;
    };
    let sim = Sim::start(SimConfig {
        state_dir: Some(dir.into()),
        prometheus: true,
        ..SimConfig::default()
    })
    .await
    .expect("sim with prometheus starts");
    println!("PROMETHEUS_URL={}", sim.prometheus_url().unwrap());
    tokio::time::sleep(Duration::from_secs(300)).await;
    drop(sim);
}

/// A simulator killed with SIGKILL runs no destructor; its Prometheus must
/// still go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_dies_with_a_killed_simulator() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let mut helper = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "helper_simulator_with_prometheus_until_killed",
            "--nocapture",
        ])
        .env(HELPER_ENV, dir.path())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the test binary runs itself");
    let mut lines = tokio::io::BufReader::new(helper.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            if let Some(u) = l.strip_prefix("PROMETHEUS_URL=") {
                return u.to_string();
            }
        }
        panic!("the helper ended without starting prometheus");
    })
    .await
    .expect("the helper starts prometheus in time");
    let addr = url.trim_start_matches("http://").to_string();
    assert!(tokio::net::TcpStream::connect(&addr).await.is_ok());
    helper.start_kill().unwrap();
    let _ = helper.wait().await;
    let mut gone = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_err() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "prometheus outlived its SIGKILLed simulator on {addr}"
    );
}
