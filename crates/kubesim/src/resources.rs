//! The resource types the simulated API server serves, in one table, so that
//! discovery, URL routing, list kinds and Table printing all agree.

/// One served resource type.
#[derive(Debug)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Subresources with the kind and verbs discovery advertises for them.
    pub subresources: &'static [(&'static str, &'static str, &'static [&'static str])],
}

impl Resource {
    /// `v1` for the core group, `apps/v1` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// The verbs the simulator really serves (others answer 405).
    pub fn verbs(&self) -> &'static [&'static str] {
        if self.plural == "pods" {
            &["create", "delete", "get", "list", "watch"]
        } else {
            &["get", "list", "watch"]
        }
    }
}

const READ: &[&str] = &["get"];

pub static RESOURCES: &[Resource] = &[
    Resource {
        group: "",
        version: "v1",
        plural: "configmaps",
        singular: "configmap",
        kind: "ConfigMap",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
        subresources: &[],
    },
    Resource {
        group: "",
        version: "v1",
        plural: "endpoints",
        singular: "endpoints",
        kind: "Endpoints",
        namespaced: true,
        short_names: &["ep"],
        categories: &[],
        subresources: &[],
    },
    Resource {
        group: "",
        version: "v1",
        plural: "events",
        singular: "event",
        kind: "Event",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
        subresources: &[],
    },
    Resource {
        group: "",
        version: "v1",
        plural: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        subresources: &[("status", "Namespace", READ)],
    },
    Resource {
        group: "",
        version: "v1",
        plural: "nodes",
        singular: "node",
        kind: "Node",
        namespaced: false,
        short_names: &["no"],
        categories: &[],
        subresources: &[
            ("proxy", "NodeProxyOptions", READ),
            ("status", "Node", READ),
        ],
    },
    Resource {
        group: "",
        version: "v1",
        plural: "persistentvolumeclaims",
        singular: "persistentvolumeclaim",
        kind: "PersistentVolumeClaim",
        namespaced: true,
        short_names: &["pvc"],
        categories: &[],
        subresources: &[],
    },
    Resource {
        group: "",
        version: "v1",
        plural: "pods",
        singular: "pod",
        kind: "Pod",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
        subresources: &[
            ("log", "Pod", READ),
            ("proxy", "PodProxyOptions", READ),
            ("status", "Pod", READ),
        ],
    },
    Resource {
        group: "",
        version: "v1",
        plural: "secrets",
        singular: "secret",
        kind: "Secret",
        namespaced: true,
        short_names: &[],
        categories: &[],
        subresources: &[],
    },
    Resource {
        group: "",
        version: "v1",
        plural: "services",
        singular: "service",
        kind: "Service",
        namespaced: true,
        short_names: &["svc"],
        categories: &["all"],
        subresources: &[
            ("proxy", "ServiceProxyOptions", READ),
            ("status", "Service", READ),
        ],
    },
    Resource {
        group: "apps",
        version: "v1",
        plural: "daemonsets",
        singular: "daemonset",
        kind: "DaemonSet",
        namespaced: true,
        short_names: &["ds"],
        categories: &["all"],
        subresources: &[("status", "DaemonSet", READ)],
    },
    Resource {
        group: "apps",
        version: "v1",
        plural: "deployments",
        singular: "deployment",
        kind: "Deployment",
        namespaced: true,
        short_names: &["deploy"],
        categories: &["all"],
        subresources: &[("status", "Deployment", READ)],
    },
    Resource {
        group: "apps",
        version: "v1",
        plural: "replicasets",
        singular: "replicaset",
        kind: "ReplicaSet",
        namespaced: true,
        short_names: &["rs"],
        categories: &["all"],
        subresources: &[("status", "ReplicaSet", READ)],
    },
    Resource {
        group: "apps",
        version: "v1",
        plural: "statefulsets",
        singular: "statefulset",
        kind: "StatefulSet",
        namespaced: true,
        short_names: &["sts"],
        categories: &["all"],
        subresources: &[("status", "StatefulSet", READ)],
    },
    Resource {
        group: "networking.k8s.io",
        version: "v1",
        plural: "ingresses",
        singular: "ingress",
        kind: "Ingress",
        namespaced: true,
        short_names: &["ing"],
        categories: &[],
        subresources: &[("status", "Ingress", READ)],
    },
];

/// The API groups served besides the core group, with their one version.
pub static GROUPS: &[(&str, &str)] = &[("apps", "v1"), ("networking.k8s.io", "v1")];

pub fn by_path(group: &str, version: &str, plural: &str) -> Option<(usize, &'static Resource)> {
    RESOURCES
        .iter()
        .enumerate()
        .find(|(_, r)| r.group == group && r.version == version && r.plural == plural)
}

pub fn by_kind(kind: &str) -> Option<(usize, &'static Resource)> {
    RESOURCES.iter().enumerate().find(|(_, r)| r.kind == kind)
}

pub fn index_of(plural: &str) -> usize {
    RESOURCES
        .iter()
        .position(|r| r.plural == plural)
        .unwrap_or_else(|| panic!("kubesim serves no resource {plural}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_unique_and_found() {
        for r in RESOURCES {
            assert_eq!(by_kind(r.kind).unwrap().1.plural, r.plural);
            assert_eq!(
                by_path(r.group, r.version, r.plural).unwrap().1.kind,
                r.kind
            );
        }
        assert_eq!(
            by_kind("Ingress").unwrap().1.api_version(),
            "networking.k8s.io/v1"
        );
        assert_eq!(by_kind("Pod").unwrap().1.api_version(), "v1");
    }
}
