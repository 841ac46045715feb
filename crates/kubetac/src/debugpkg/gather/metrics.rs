//! Metrics: the window's time series from the cluster's Prometheus, found
//! through the API server's service proxy (no port-forward, no route to the
//! pod network needed) or given with `--prometheus URL`. Written as
//! OpenMetrics text that `promtool tsdb create-blocks-from openmetrics`
//! imports into any Prometheus, plus Prometheus's own JSON answers, in
//! `metrics/Metrics_<window>.tar.gz`. Queries run per namespace so no single
//! answer grows with the cluster; the query set is documented in
//! docs/debug-packages.md and replaceable with `--metrics-queries FILE`.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};
use std::path::Path;

use futures::StreamExt;
use futures::future::BoxFuture;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, ListParams};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, GatherError, GatherResult, Gatherer, Tally, tar_gz};
use crate::cluster::Cluster;
use crate::debugpkg::report::{PodSeries, TimelineEntry, TimelineKind};
use crate::debugpkg::request::Kind;

pub struct Metrics;

impl Gatherer for Metrics {
    fn kind(&self) -> Kind {
        Kind::Metrics
    }

    fn gather<'a>(&'a self, cx: &'a Ctx, t: &'a Tally) -> BoxFuture<'a, GatherResult> {
        Box::pin(run(cx, t))
    }
}

/// One exported family: `query` may use `{selector}`, replaced by the
/// filter's label matchers (`namespace="smf-data",pod=~".*(?:smf-).*"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// The metric name written to OpenMetrics.
    pub name: String,
    pub query: String,
    /// counter or gauge (what OpenMetrics says the family is).
    #[serde(default = "gauge", rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub help: String,
}

fn gauge() -> String {
    "gauge".into()
}

/// The default set: the cAdvisor and kube-state-metrics series every
/// cluster's Prometheus has, raw (not rates), so the export is the data
/// itself and imports back unchanged.
pub fn default_queries() -> Vec<Query> {
    let q = |name: &str, query: &str, kind: &str, help: &str| Query {
        name: name.into(),
        query: query.into(),
        kind: kind.into(),
        help: help.into(),
    };
    vec![
        q(
            "container_cpu_usage_seconds_total",
            r#"container_cpu_usage_seconds_total{container!="",container!="POD",{selector}}"#,
            "counter",
            "Cumulative CPU time consumed by the container (cAdvisor).",
        ),
        q(
            "container_memory_working_set_bytes",
            r#"container_memory_working_set_bytes{container!="",container!="POD",{selector}}"#,
            "gauge",
            "Working set memory of the container (cAdvisor).",
        ),
        q(
            "container_network_receive_bytes_total",
            r#"container_network_receive_bytes_total{{selector}}"#,
            "counter",
            "Bytes received by the pod (cAdvisor).",
        ),
        q(
            "container_network_transmit_bytes_total",
            r#"container_network_transmit_bytes_total{{selector}}"#,
            "counter",
            "Bytes sent by the pod (cAdvisor).",
        ),
        q(
            "kube_pod_container_status_restarts_total",
            r#"kube_pod_container_status_restarts_total{{selector}}"#,
            "counter",
            "Container restarts (kube-state-metrics).",
        ),
        q(
            "kube_pod_status_phase",
            r#"kube_pod_status_phase{{selector}}"#,
            "gauge",
            "Pod phase, 1 for the current one (kube-state-metrics).",
        ),
    ]
}

pub fn load_queries(path: &Path) -> anyhow::Result<Vec<Query>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading metrics queries {}: {e}", path.display()))?;
    let qs: Vec<Query> = serde_saphyr::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "metrics queries {}: {e} (expected a YAML list of {{name, query, type, help}})",
            path.display()
        )
    })?;
    for q in &qs {
        let ok = !q.name.is_empty()
            && q.name.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            });
        if !ok {
            anyhow::bail!(
                "metrics queries {}: {:?} is not a metric name",
                path.display(),
                q.name
            );
        }
        if q.kind != "counter" && q.kind != "gauge" {
            anyhow::bail!(
                "metrics queries {}: {}: type must be counter or gauge, not {:?}",
                path.display(),
                q.name,
                q.kind
            );
        }
    }
    if qs.is_empty() {
        anyhow::bail!("metrics queries {}: the list is empty", path.display());
    }
    Ok(qs)
}

/// A PromQL string literal.
fn promql_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The matchers for one namespace and the pod regex. Prometheus anchors
/// its regexes; `pod_name` matches anywhere in the name, as grep would.
pub fn selector(ns: &str, pod_re: Option<&str>) -> String {
    let mut s = format!("namespace={}", promql_str(ns));
    if let Some(re) = pod_re {
        s.push_str(&format!(",pod=~{}", promql_str(&format!(".*(?:{re}).*"))));
    }
    s
}

/// Where Prometheus is reached.
enum Prom {
    /// Through the API server's service proxy.
    Proxy { base: String, label: String },
    Direct {
        base: String,
        client: Box<DirectClient>,
    },
}

type DirectClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Empty<bytes::Bytes>,
>;

impl Prom {
    fn label(&self) -> String {
        match self {
            Prom::Proxy { label, .. } => label.clone(),
            Prom::Direct { base, .. } => base.clone(),
        }
    }

    async fn get(&self, cl: &Cluster, path_query: &str) -> Result<Vec<u8>, String> {
        match self {
            Prom::Proxy { base, label } => cl
                .get_raw(
                    &format!("{base}{path_query}"),
                    &format!("asking Prometheus {label}"),
                )
                .await
                .map_err(|e| e.to_string()),
            Prom::Direct { base, client } => {
                use http_body_util::BodyExt;
                let uri: http::Uri = format!("{base}{path_query}")
                    .parse()
                    .map_err(|e| format!("bad Prometheus URL {base}: {e}"))?;
                let fut = async {
                    let resp = client.get(uri).await.map_err(|e| {
                        format!(
                            "cannot reach Prometheus at {base}: {}",
                            crate::cluster::root_cause(&e)
                        )
                    })?;
                    let status = resp.status();
                    let body = resp
                        .into_body()
                        .collect()
                        .await
                        .map_err(|e| format!("reading Prometheus's answer: {e}"))?
                        .to_bytes()
                        .to_vec();
                    if !status.is_success() {
                        return Err(format!(
                            "Prometheus at {base} answered {status}: {}",
                            String::from_utf8_lossy(&body)
                                .chars()
                                .take(300)
                                .collect::<String>()
                        ));
                    }
                    Ok(body)
                };
                tokio::time::timeout(std::time::Duration::from_secs(60), fut)
                    .await
                    .map_err(|_| format!("Prometheus at {base} did not answer within 60s"))?
            }
        }
    }
}

fn direct(url: &str) -> Result<Prom, String> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("loading the system's CA certificates: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(https);
    Ok(Prom::Direct {
        base: url.trim_end_matches('/').to_string(),
        client: Box::new(client),
    })
}

/// The Services that look like a Prometheus server, best first.
fn candidates(services: &[Service]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for s in services {
        let name = s.metadata.name.clone().unwrap_or_default();
        let ns = s.metadata.namespace.clone().unwrap_or_default();
        let lname = name.to_ascii_lowercase();
        if !lname.contains("prometheus")
            || [
                "operator",
                "alertmanager",
                "exporter",
                "pushgateway",
                "adapter",
                "blackbox",
                "node",
            ]
            .iter()
            .any(|x| lname.contains(x))
        {
            continue;
        }
        let ports = s
            .spec
            .as_ref()
            .and_then(|s| s.ports.clone())
            .unwrap_or_default();
        let port = ports
            .iter()
            .find(|p| p.port == 9090)
            .or_else(|| {
                ports
                    .iter()
                    .find(|p| matches!(p.name.as_deref(), Some("web" | "http" | "http-web")))
            })
            .or_else(|| ports.first());
        let Some(port) = port else { continue };
        let scheme = if port.name.as_deref().is_some_and(|n| n.contains("https")) {
            "https:"
        } else {
            ""
        };
        let rank = match lname.as_str() {
            "prometheus" => 0,
            "prometheus-k8s" | "prometheus-server" => 1,
            "prometheus-operated" => 2,
            _ => 3,
        };
        out.push((
            rank,
            ns.clone(),
            format!(
                "/api/v1/namespaces/{ns}/services/{scheme}{name}:{}/proxy",
                port.port
            ),
            format!("{ns}/{name}"),
        ));
    }
    out.sort();
    out.into_iter()
        .map(|(_, ns, base, label)| (ns, base, label))
        .collect()
}

async fn find(cx: &Ctx) -> Result<Prom, GatherError> {
    if let Some(url) = &cx.prometheus {
        let p = direct(url).map_err(GatherError::Failed)?;
        check(cx, &p).await.map_err(GatherError::Failed)?;
        return Ok(p);
    }
    let api: Api<Service> = Api::all(cx.cl.client.clone());
    let mut services = Vec::new();
    let mut pages = std::pin::pin!(cx.cl.list_pages(
        api,
        ListParams::default(),
        "listing services to find Prometheus".into()
    ));
    while let Some(p) = pages.next().await {
        let p = p.map_err(|e| GatherError::Failed(format!("finding Prometheus: {e}")))?;
        services.extend(p.items.into_iter().filter(|s| {
            s.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.to_ascii_lowercase().contains("prometheus"))
        }));
    }
    let cands = candidates(&services);
    if cands.is_empty() {
        return Err(GatherError::Skipped(
            "no Prometheus found: no Service named like prometheus in the cluster; give one with --prometheus URL".into(),
        ));
    }
    let mut tried = Vec::new();
    for (_, base, label) in cands.into_iter().take(5) {
        let p = Prom::Proxy {
            base,
            label: label.clone(),
        };
        match check(cx, &p).await {
            Ok(()) => return Ok(p),
            Err(e) => tried.push(format!("{label}: {e}")),
        }
    }
    Err(GatherError::Skipped(format!(
        "no Prometheus answered through the API server's service proxy (tried {}); give one with --prometheus URL",
        tried.join("; ")
    )))
}

async fn check(cx: &Ctx, p: &Prom) -> Result<(), String> {
    let b = p.get(&cx.cl, "/api/v1/status/buildinfo").await?;
    let v: Value = serde_json::from_slice(&b).map_err(|_| {
        format!(
            "{} answered something that is not Prometheus's API: {}",
            p.label(),
            String::from_utf8_lossy(&b)
                .chars()
                .take(120)
                .collect::<String>()
        )
    })?;
    if v["status"] != "success" {
        return Err(format!("{} answered status {}", p.label(), v["status"]));
    }
    Ok(())
}

/// One query point every `step`: at most ~720 points a series, far under
/// Prometheus's 11,000, and never finer than a typical 15 s scrape.
pub fn step_seconds(from: Timestamp, to: Timestamp) -> i64 {
    let span = to.duration_since(from).as_secs().max(1);
    ((span + 719) / 720).max(15)
}

fn query_path(q: &str, from: Timestamp, to: Timestamp, step: i64) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    // The end is inclusive in Prometheus; the window's is not.
    let end = to.as_millisecond() as f64 / 1000.0 - 0.001;
    format!(
        "/api/v1/query_range?query={}&start={}&end={end:.3}&step={step}",
        enc(q),
        from.as_second()
    )
}

/// Per pod and time, summed over containers: CPU counters and memory.
#[derive(Default)]
struct Plots {
    cpu: HashMap<(String, String), BTreeMap<i64, f64>>,
    mem: HashMap<(String, String), BTreeMap<i64, f64>>,
}

async fn run(cx: &Ctx, t: &Tally) -> GatherResult {
    t.set_progress("finding Prometheus");
    let prom = find(cx).await?;
    let work = cx.work(Kind::Metrics);
    std::fs::create_dir_all(work.join("json")).map_err(|e| GatherError::Failed(e.to_string()))?;
    let step = step_seconds(cx.req.from, cx.req.to);
    let pod_re = cx.req.pod_name.as_deref();
    let om_path = work.join("metrics.om");
    let mut om = BufWriter::new(
        std::fs::File::create(&om_path).map_err(|e| GatherError::Failed(e.to_string()))?,
    );
    let mut plots = Plots::default();
    let mut restarts = Vec::new();
    let mut series_total = 0u64;
    t.set_total((cx.metrics_queries.len() * cx.namespaces.len()) as u64);
    for q in &cx.metrics_queries {
        let family = if q.kind == "counter" {
            q.name.strip_suffix("_total").unwrap_or(&q.name).to_string()
        } else {
            q.name.clone()
        };
        let sample = if q.kind == "counter" {
            format!("{family}_total")
        } else {
            q.name.clone()
        };
        let w = |e: std::io::Error| GatherError::Failed(e.to_string());
        writeln!(om, "# TYPE {family} {}", q.kind).map_err(w)?;
        if !q.help.is_empty() {
            writeln!(
                om,
                "# HELP {family} {}",
                q.help.replace('\\', "\\\\").replace('\n', "\\n")
            )
            .map_err(w)?;
        }
        let mut json = BufWriter::new(
            std::fs::File::create(work.join("json").join(format!("{}.json", q.name))).map_err(w)?,
        );
        write!(
            json,
            "{{\"name\":{},\"query\":{},\"step\":{step},\"byNamespace\":{{",
            Value::String(q.name.clone()),
            Value::String(q.query.clone())
        )
        .map_err(w)?;
        let mut first_ns = true;
        for ns in &cx.namespaces {
            t.set_progress(format!("{} in {ns}", q.name));
            let promql = q.query.replace("{selector}", &selector(ns, pod_re));
            let r = prom
                .get(&cx.cl, &query_path(&promql, cx.req.from, cx.req.to, step))
                .await;
            t.step();
            let body = match r {
                Ok(b) => b,
                Err(e) => {
                    t.error(format!("{} in {ns}: {e}", q.name));
                    continue;
                }
            };
            let v: Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => {
                    t.error(format!("{} in {ns}: not JSON: {e}", q.name));
                    continue;
                }
            };
            if v["status"] != "success" {
                t.error(format!(
                    "{} in {ns}: {} {}",
                    q.name, v["errorType"], v["error"]
                ));
                continue;
            }
            if !first_ns {
                json.write_all(b",").map_err(w)?;
            }
            first_ns = false;
            write!(json, "{}:", Value::String(ns.clone())).map_err(w)?;
            serde_json::to_writer(&mut json, &v["data"])
                .map_err(|e| GatherError::Failed(e.to_string()))?;
            for s in v["data"]["result"].as_array().into_iter().flatten() {
                series_total += 1;
                let labels = openmetrics_labels(&s["metric"]);
                let values = s["values"].as_array().cloned().unwrap_or_default();
                for p in &values {
                    let (Some(ts), Some(val)) = (p[0].as_f64(), p[1].as_str()) else {
                        continue;
                    };
                    writeln!(om, "{sample}{labels} {val} {ts}").map_err(w)?;
                }
                collect(cx, q, s, &values, &mut plots, &mut restarts);
            }
        }
        json.write_all(b"}}\n").map_err(w)?;
        json.flush().map_err(w)?;
    }
    writeln!(om, "# EOF").map_err(|e| GatherError::Failed(e.to_string()))?;
    om.flush().map_err(|e| GatherError::Failed(e.to_string()))?;
    drop(om);
    let queries = serde_saphyr::to_string(&cx.metrics_queries)
        .map_err(|e| GatherError::Failed(e.to_string()))?;
    std::fs::write(work.join("queries.yaml"), queries)
        .map_err(|e| GatherError::Failed(e.to_string()))?;
    std::fs::write(
        work.join("README.txt"),
        format!(
            "Metrics from Prometheus {} for {} .. {} (UTC), step {step}s.\n\n\
             metrics.om     OpenMetrics text; import into any Prometheus with\n\
             \x20              promtool tsdb create-blocks-from openmetrics metrics.om ./data\n\
             json/          Prometheus's query_range answers, per query and namespace\n\
             queries.yaml   the queries ({{selector}} is the filter's namespace and pod matchers)\n",
            prom.label(),
            super::rfc3339(cx.req.from),
            super::rfc3339(cx.req.to)
        ),
    )
    .map_err(|e| GatherError::Failed(e.to_string()))?;
    t.add("series", series_total);
    let series = pod_series(plots, step);
    {
        let mut r = cx.report.lock().unwrap();
        r.series = series;
    }
    cx.timeline(restarts);
    let name = format!("Metrics_{}", cx.req.window_name());
    tar_gz(
        work,
        cx.out(Kind::Metrics).join(format!("{name}.tar.gz")),
        name,
    )
    .await
    .map_err(|e| GatherError::Failed(e.to_string()))?;
    if series_total == 0 && !t.errors().is_empty() {
        return Err(GatherError::Failed(t.errors()[0].clone()));
    }
    Ok(format!(
        "{series_total} series of {} queries from Prometheus {} (step {step}s)",
        cx.metrics_queries.len(),
        prom.label()
    ))
}

/// `{a="x",b="y"}` in label-name order, without `__name__`; empty labels
/// are the same as absent ones in Prometheus.
fn openmetrics_labels(m: &Value) -> String {
    let Some(obj) = m.as_object() else {
        return String::new();
    };
    let mut parts: Vec<(&String, &str)> = obj
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .filter_map(|(k, v)| v.as_str().filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
    parts.sort();
    if parts.is_empty() {
        return String::new();
    }
    let body: Vec<String> = parts
        .into_iter()
        .map(|(k, v)| {
            format!(
                "{k}=\"{}\"",
                v.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            )
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

fn collect(
    cx: &Ctx,
    q: &Query,
    s: &Value,
    values: &[Value],
    plots: &mut Plots,
    restarts: &mut Vec<TimelineEntry>,
) {
    let ns = s["metric"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let pod = s["metric"]["pod"].as_str().unwrap_or_default().to_string();
    if pod.is_empty() || !cx.pod_wanted(&ns, &pod) {
        return;
    }
    let points = values.iter().filter_map(|p| {
        let ts = p[0].as_f64()?;
        let v: f64 = p[1].as_str()?.parse().ok()?;
        Some(((ts * 1000.0) as i64, v))
    });
    match q.name.as_str() {
        "container_cpu_usage_seconds_total" => {
            // Per container first: resets are per container.
            let rates = rate(points.collect());
            let e = plots.cpu.entry((ns, pod)).or_default();
            for (ts, r) in rates {
                *e.entry(ts).or_default() += r;
            }
        }
        "container_memory_working_set_bytes" => {
            let e = plots.mem.entry((ns, pod)).or_default();
            for (ts, v) in points {
                *e.entry(ts).or_default() += v;
            }
        }
        "kube_pod_container_status_restarts_total" => {
            let container = s["metric"]["container"].as_str().unwrap_or_default();
            let pts: Vec<(i64, f64)> = points.collect();
            for w in pts.windows(2) {
                if w[1].1 > w[0].1
                    && let Ok(at) = Timestamp::from_millisecond(w[1].0)
                {
                    restarts.push(TimelineEntry {
                        time: at,
                        kind: TimelineKind::Restart,
                        warning: true,
                        namespace: ns.clone(),
                        object: pod.clone(),
                        text: format!("{container} restarted (restart count {})", w[1].1),
                    });
                }
            }
        }
        _ => {}
    }
}

/// Per-second rate between consecutive counter samples; a drop is a
/// counter reset (the container restarted) and counts from zero.
fn rate(points: Vec<(i64, f64)>) -> Vec<(i64, f64)> {
    points
        .windows(2)
        .filter_map(|w| {
            let dt = (w[1].0 - w[0].0) as f64 / 1000.0;
            if dt <= 0.0 {
                return None;
            }
            let dv = if w[1].1 >= w[0].1 {
                w[1].1 - w[0].1
            } else {
                w[1].1
            };
            Some((w[1].0, dv / dt))
        })
        .collect()
}

fn pod_series(p: Plots, _step: i64) -> Vec<PodSeries> {
    let mut keys: Vec<(String, String)> = p.cpu.keys().chain(p.mem.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    let to_vec = |m: Option<&BTreeMap<i64, f64>>| -> Vec<(Timestamp, f64)> {
        m.into_iter()
            .flatten()
            .filter_map(|(ts, v)| Some((Timestamp::from_millisecond(*ts).ok()?, *v)))
            .collect()
    };
    keys.into_iter()
        .map(|k| PodSeries {
            cpu: to_vec(p.cpu.get(&k)),
            memory: to_vec(p.mem.get(&k)),
            namespace: k.0,
            pod: k.1,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_paths() {
        assert_eq!(selector("smf-data", None), r#"namespace="smf-data""#);
        assert_eq!(
            selector("smf-data", Some(r#"smf-(rest|service)"#)),
            r#"namespace="smf-data",pod=~".*(?:smf-(rest|service)).*""#
        );
        assert_eq!(
            selector("a", Some(r"x\d")),
            r#"namespace="a",pod=~".*(?:x\\d).*""#
        );
        let from: Timestamp = "2020-06-08T14:00:00Z".parse().unwrap();
        let to: Timestamp = "2020-06-08T15:00:00Z".parse().unwrap();
        assert_eq!(step_seconds(from, to), 15);
        assert_eq!(
            step_seconds(from, "2020-06-09T14:00:00Z".parse().unwrap()),
            120
        );
        let p = query_path("up{a=\"b\"}", from, to, 15);
        assert!(p.starts_with("/api/v1/query_range?query=up%7Ba%3D%22b%22%7D&start=1591624800&end=1591628399.999&step=15"), "{p}");
    }

    #[test]
    fn labels_in_openmetrics_form() {
        let m = serde_json::json!({"__name__": "x", "pod": "p\"1", "namespace": "n", "empty": ""});
        assert_eq!(openmetrics_labels(&m), r#"{namespace="n",pod="p\"1"}"#);
        assert_eq!(
            openmetrics_labels(&serde_json::json!({"__name__": "x"})),
            ""
        );
    }

    #[test]
    fn counter_rates_survive_resets() {
        let r = rate(vec![
            (0, 10.0),
            (10_000, 15.0),
            (20_000, 2.0),
            (30_000, 4.0),
        ]);
        assert_eq!(r, vec![(10_000, 0.5), (20_000, 0.2), (30_000, 0.2)]);
    }

    #[test]
    fn prometheus_services_ranked() {
        let svc = |ns: &str, name: &str, port: i32, pname: &str| -> Service {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": name, "namespace": ns},
                "spec": {"ports": [{"port": port, "name": pname}]}
            }))
            .unwrap()
        };
        let c = candidates(&[
            svc("monitoring", "prometheus-operator", 8080, "http"),
            svc("monitoring", "prometheus-k8s", 9090, "web"),
            svc("cee-cee", "prometheus", 9090, "web"),
            svc("monitoring", "prometheus-node-exporter", 9100, "metrics"),
        ]);
        assert_eq!(
            c.iter().map(|x| x.2.as_str()).collect::<Vec<_>>(),
            ["cee-cee/prometheus", "monitoring/prometheus-k8s"]
        );
        assert_eq!(
            c[0].1,
            "/api/v1/namespaces/cee-cee/services/prometheus:9090/proxy"
        );
    }

    #[test]
    fn query_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("q.yaml");
        std::fs::write(&p, "- name: up\n  query: up{{selector}}\n").unwrap();
        let q = load_queries(&p).unwrap();
        assert_eq!(q[0].kind, "gauge");
        std::fs::write(&p, "- name: 1bad\n  query: up\n").unwrap();
        assert!(
            load_queries(&p)
                .unwrap_err()
                .to_string()
                .contains("not a metric name")
        );
        std::fs::write(&p, "- name: up\n  query: up\n  type: histogram\n").unwrap();
        assert!(
            load_queries(&p)
                .unwrap_err()
                .to_string()
                .contains("counter or gauge")
        );
    }
}
