//! `kubetac urls`: where the cluster's Grafana and package server are, read
//! from Ingresses (the guide's sections 4.2.1 and 6), with the namespace
//! each came from.

use futures::StreamExt;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, ListParams};

use super::table::Table;
use crate::cluster::Cluster;

/// What an ingress serves, guessed from its name and backends.
pub fn kind_of(name: &str, backends: &[String]) -> &'static str {
    let all = std::iter::once(name)
        .chain(backends.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    if all.contains("grafana") {
        "grafana"
    } else if all.contains("show-tac") || all.contains("tac-manager") {
        "package server"
    } else if all.contains("prometheus") {
        "prometheus"
    } else if all.contains("ops-center") {
        "ops center"
    } else {
        "other"
    }
}

/// One URL per host and path.
pub fn urls_of(ing: &Ingress) -> Vec<String> {
    let spec = ing.spec.clone().unwrap_or_default();
    let tls_hosts: Vec<String> = spec
        .tls
        .iter()
        .flatten()
        .flat_map(|t| t.hosts.clone().unwrap_or_default())
        .collect();
    let mut out = Vec::new();
    for rule in spec.rules.unwrap_or_default() {
        let host = rule.host.clone().unwrap_or_else(|| "*".into());
        // The guide opens these with https through the ingress controller;
        // only a host left out of an ingress's TLS list is plain http.
        let scheme = if !tls_hosts.is_empty() && !tls_hosts.contains(&host) {
            "http"
        } else {
            "https"
        };
        let paths: Vec<String> = rule
            .http
            .map(|h| {
                h.paths
                    .into_iter()
                    .map(|p| p.path.unwrap_or_else(|| "/".into()))
                    .collect()
            })
            .unwrap_or_default();
        if paths.is_empty() {
            out.push(format!("{scheme}://{host}/"));
        }
        for p in paths {
            let p = if p.starts_with('/') {
                p
            } else {
                format!("/{p}")
            };
            out.push(format!("{scheme}://{host}{p}"));
        }
    }
    out
}

pub async fn run(cl: &Cluster, namespace: Option<&str>) -> anyhow::Result<()> {
    let api: Api<Ingress> = match namespace {
        Some(ns) => Api::namespaced(cl.client.clone(), ns),
        None => Api::all(cl.client.clone()),
    };
    let mut pages =
        std::pin::pin!(cl.list_pages(api, ListParams::default(), "listing ingresses".into()));
    let mut t = Table::new(&["NAMESPACE", "INGRESS", "KIND", "URL"]);
    while let Some(page) = pages.next().await {
        for ing in page?.items {
            let name = ing.metadata.name.clone().unwrap_or_default();
            let backends: Vec<String> = ing
                .spec
                .iter()
                .flat_map(|s| s.rules.iter().flatten())
                .flat_map(|r| r.http.iter().flat_map(|h| h.paths.iter()))
                .filter_map(|p| p.backend.service.as_ref().map(|s| s.name.clone()))
                .collect();
            for url in urls_of(&ing) {
                t.row(vec![
                    ing.metadata.namespace.clone().unwrap_or_default(),
                    name.clone(),
                    kind_of(&name, &backends).to_string(),
                    url,
                ]);
            }
        }
    }
    if t.is_empty() {
        eprintln!(
            "No ingresses found{}",
            namespace
                .map(|n| format!(" in {n} namespace"))
                .unwrap_or_default()
        );
        return Ok(());
    }
    print!("{}", t.render());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_kinds() {
        let ing: Ingress = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "show-tac-manager-ingress", "namespace": "cee-cee"},
            "spec": {"tls": [{"hosts": ["show-tac-manager.example"]}], "rules": [{"host": "show-tac-manager.example", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "show-tac-manager", "port": {"number": 8080}}}}]}}]}
        }))
        .unwrap();
        assert_eq!(urls_of(&ing), ["https://show-tac-manager.example/"]);
        assert_eq!(kind_of("show-tac-manager-ingress", &[]), "package server");
        assert_eq!(kind_of("grafana-ingress", &[]), "grafana");
        assert_eq!(kind_of("x", &["prometheus-k8s".into()]), "prometheus");
    }
}
