//! Inspect and triage: the guide's first kubectl steps (namespaces, services,
//! pods, describe, containers, logs, ingress URLs) done through the
//! Kubernetes API, with pod status computed exactly as kubectl computes it,
//! and a one-line diagnosis of every unhealthy pod.

pub mod describe;
pub mod list;
pub mod logs;
pub mod output;
pub mod status;
pub mod table;
pub mod triage;
pub mod urls;

use crate::cli::inspect::NamespaceArgs;
use crate::cluster::{AccessError, Cluster};

/// Which namespaces a command looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Namespace(String),
}

impl Scope {
    /// `-A`, `-n NS` (checked to exist), or the context's namespace.
    pub async fn resolve(cl: &Cluster, a: &NamespaceArgs) -> Result<Scope, AccessError> {
        if a.all_namespaces {
            return Ok(Scope::All);
        }
        let ns = a
            .namespace
            .clone()
            .unwrap_or_else(|| cl.default_namespace.clone());
        cl.check_namespace(&ns).await?;
        Ok(Scope::Namespace(ns))
    }

    pub fn api<K>(&self, cl: &Cluster) -> kube::Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        match self {
            Scope::All => kube::Api::all(cl.client.clone()),
            Scope::Namespace(n) => kube::Api::namespaced(cl.client.clone(), n),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Scope::All => "all namespaces".into(),
            Scope::Namespace(n) => format!("namespace {n}"),
        }
    }
}
