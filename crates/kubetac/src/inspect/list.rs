//! `kubetac ns`, `svc` and `pods`: lists read page by page and printed as
//! kubectl prints them (columns, `-o wide`, `-A`), or as JSON/YAML.

use std::io::Write;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use kube::api::{Api, ListParams};

use super::Scope;
use super::output::ListWriter;
use super::status::{human_duration, is_healthy, pod_row};
use super::table::{Table, colour_enabled, colour_status};
use crate::cli::inspect::Output;
use crate::cluster::Cluster;

fn age(
    ts: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    now: Timestamp,
) -> String {
    ts.map(|t| human_duration(now.duration_since(t.0)))
        .unwrap_or_else(|| "<unknown>".into())
}

fn params(selector: Option<&str>) -> ListParams {
    let mut lp = ListParams::default();
    if let Some(s) = selector {
        lp = lp.labels(s);
    }
    lp
}

pub async fn namespaces(cl: &Cluster, output: Option<Output>) -> anyhow::Result<()> {
    let api: Api<Namespace> = Api::all(cl.client.clone());
    let now = Timestamp::now();
    let mut out = std::io::stdout().lock();
    let mut pages =
        std::pin::pin!(cl.list_pages(api, ListParams::default(), "listing namespaces".into()));
    match output {
        Some(f @ (Output::Json | Output::Yaml)) => {
            let mut w = ListWriter::new(&mut out, f)?;
            while let Some(page) = pages.next().await {
                for ns in page?.items {
                    w.item(&ns, "Namespace", "v1")?;
                }
            }
            w.finish()?;
        }
        _ => {
            let mut t = Table::new(&["NAME", "STATUS", "AGE"]);
            while let Some(page) = pages.next().await {
                for ns in page?.items {
                    t.row(vec![
                        ns.metadata.name.clone().unwrap_or_default(),
                        ns.status
                            .as_ref()
                            .and_then(|s| s.phase.clone())
                            .unwrap_or_else(|| "Active".into()),
                        age(ns.metadata.creation_timestamp.as_ref(), now),
                    ]);
                }
            }
            t.write_to(&mut out)?;
        }
    }
    Ok(())
}

/// The EXTERNAL-IP column, as kubectl computes it.
pub fn service_external_ip(svc: &Service) -> String {
    let spec = svc.spec.clone().unwrap_or_default();
    let external: Vec<String> = spec.external_ips.clone().unwrap_or_default();
    match spec.type_.as_deref().unwrap_or("ClusterIP") {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".into()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            let mut ips: Vec<String> = svc
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|lb| lb.ingress.as_ref())
                .map(|ing| {
                    ing.iter()
                        .filter_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
                        .collect()
                })
                .unwrap_or_default();
            ips.extend(external);
            if ips.is_empty() {
                "<pending>".into()
            } else {
                ips.join(",")
            }
        }
        "ExternalName" => spec.external_name.clone().unwrap_or_default(),
        _ => "<unknown>".into(),
    }
}

/// The PORT(S) column: `9003/TCP,8080/TCP`, `80:30080/TCP`.
pub fn service_ports(svc: &Service) -> String {
    let ports = svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    if ports.is_empty() {
        return "<none>".into();
    }
    ports
        .iter()
        .map(|p| {
            let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
            match p.node_port {
                Some(np) if np > 0 => format!("{}:{np}/{proto}", p.port),
                _ => format!("{}/{proto}", p.port),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub async fn services(
    cl: &Cluster,
    scope: &Scope,
    selector: Option<&str>,
    output: Option<Output>,
) -> anyhow::Result<()> {
    let api: Api<Service> = scope.api(cl);
    let now = Timestamp::now();
    let mut out = std::io::stdout().lock();
    let mut pages = std::pin::pin!(cl.list_pages(
        api,
        params(selector),
        format!("listing services in {}", scope.describe())
    ));
    if let Some(f @ (Output::Json | Output::Yaml)) = output {
        let mut w = ListWriter::new(&mut out, f)?;
        while let Some(page) = pages.next().await {
            for s in page?.items {
                w.item(&s, "Service", "v1")?;
            }
        }
        return Ok(w.finish()?);
    }
    let wide = output == Some(Output::Wide);
    let all = *scope == Scope::All;
    let mut headers = vec![
        "NAME",
        "TYPE",
        "CLUSTER-IP",
        "EXTERNAL-IP",
        "PORT(S)",
        "AGE",
    ];
    if all {
        headers.insert(0, "NAMESPACE");
    }
    if wide {
        headers.push("SELECTOR");
    }
    let mut t = Table::new(&headers);
    let mut any = false;
    while let Some(page) = pages.next().await {
        for s in page?.items {
            any = true;
            let spec = s.spec.clone().unwrap_or_default();
            let mut row = vec![
                s.metadata.name.clone().unwrap_or_default(),
                spec.type_.clone().unwrap_or_else(|| "ClusterIP".into()),
                spec.cluster_ip
                    .clone()
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| "<none>".into()),
                service_external_ip(&s),
                service_ports(&s),
                age(s.metadata.creation_timestamp.as_ref(), now),
            ];
            if all {
                row.insert(0, s.metadata.namespace.clone().unwrap_or_default());
            }
            if wide {
                let sel = spec
                    .selector
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "<none>".into());
                row.push(sel);
            }
            t.row(row);
        }
    }
    if !any {
        return no_resources(scope);
    }
    t.write_to(&mut out)?;
    Ok(())
}

fn no_resources(scope: &Scope) -> anyhow::Result<()> {
    match scope {
        Scope::All => eprintln!("No resources found"),
        Scope::Namespace(n) => eprintln!("No resources found in {n} namespace."),
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Default)]
pub struct PodFilter {
    pub not_running: bool,
    pub hide_completed: bool,
}

impl PodFilter {
    pub fn keep(&self, status: &str, healthy: bool) -> bool {
        if !self.not_running {
            return true;
        }
        if status == "Completed" {
            return !self.hide_completed;
        }
        !healthy
    }
}

pub async fn pods(
    cl: &Cluster,
    scope: &Scope,
    selector: Option<&str>,
    output: Option<Output>,
    filter: PodFilter,
) -> anyhow::Result<()> {
    let api: Api<Pod> = scope.api(cl);
    let now = Timestamp::now();
    let stdout = std::io::stdout();
    let mut pages = std::pin::pin!(cl.list_pages(
        api,
        params(selector),
        format!("listing pods in {}", scope.describe())
    ));
    if let Some(f @ (Output::Json | Output::Yaml)) = output {
        let mut w = ListWriter::new(stdout.lock(), f)?;
        while let Some(page) = pages.next().await {
            for p in page?.items {
                let row = pod_row(&p, now);
                if filter.keep(&row.status, is_healthy(&row)) {
                    w.item(&p, "Pod", "v1")?;
                }
            }
        }
        return Ok(w.finish()?);
    }
    let wide = output == Some(Output::Wide);
    let all = *scope == Scope::All;
    let colour = colour_enabled();
    let mut headers = vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    if all {
        headers.insert(0, "NAMESPACE");
    }
    if wide {
        headers.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    }
    // Only the printed cells are kept, never the pod objects: a page at a
    // time is in memory.
    let mut t = Table::new(&headers);
    let mut seen = 0usize;
    while let Some(page) = pages.next().await {
        for p in page?.items {
            seen += 1;
            let r = pod_row(&p, now);
            if !filter.keep(&r.status, is_healthy(&r)) {
                continue;
            }
            let mut row = Vec::with_capacity(headers.len());
            if all {
                row.push(r.namespace.clone());
            }
            row.extend([
                r.name.clone(),
                r.ready.clone(),
                colour_status(&r.status, colour),
                r.restarts.clone(),
                r.age.clone(),
            ]);
            if wide {
                row.extend([r.ip, r.node, r.nominated_node, r.readiness_gates]);
            }
            t.row(row);
        }
    }
    if seen == 0 {
        return no_resources(scope);
    }
    let mut out = stdout.lock();
    t.write_to(&mut out)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(v: serde_json::Value) -> Service {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn service_columns_like_kubectl() {
        let cases = [
            (
                serde_json::json!({"spec": {"type": "ClusterIP", "ports": [{"port": 9003, "protocol": "TCP"}, {"port": 8080}]}}),
                "<none>",
                "9003/TCP,8080/TCP",
            ),
            (
                serde_json::json!({"spec": {"type": "ClusterIP", "externalIPs": ["10.10.10.201"], "ports": [{"port": 8090}]}}),
                "10.10.10.201",
                "8090/TCP",
            ),
            (
                serde_json::json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}}),
                "<none>",
                "80:30080/TCP",
            ),
            (
                serde_json::json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}}),
                "<pending>",
                "443/TCP",
            ),
            (
                serde_json::json!({"spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}, "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}}),
                "1.2.3.4",
                "443/TCP",
            ),
            (
                serde_json::json!({"spec": {"type": "ExternalName", "externalName": "db.example"}}),
                "db.example",
                "<none>",
            ),
        ];
        for (v, ext, ports) in cases {
            let s = svc(v);
            assert_eq!(service_external_ip(&s), ext);
            assert_eq!(service_ports(&s), ports);
        }
    }

    #[test]
    fn not_running_filter() {
        let f = PodFilter {
            not_running: true,
            hide_completed: false,
        };
        assert!(!f.keep("Running", true));
        assert!(f.keep("Running", false));
        assert!(f.keep("CrashLoopBackOff", false));
        assert!(f.keep("Completed", true));
        let f = PodFilter {
            not_running: true,
            hide_completed: true,
        };
        assert!(!f.keep("Completed", true));
        assert!(PodFilter::default().keep("Running", true));
    }
}
