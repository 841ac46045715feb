//! What a tail needs to know about its pod, taken from the pod object the
//! watch or a GET returned: the containers, and for each the instances whose
//! logs the kubelet can still serve (the current one and the last
//! terminated one), named by container ID so that a restart is never
//! mistaken for a broken stream of the same instance.

use std::time::Instant;

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Init,
    Regular,
    Ephemeral,
}

/// A container instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: String,
    pub running: bool,
}

/// The instances of a container the kubelet can serve logs of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instances {
    /// Running or terminated: what `previous=false` reads. None while
    /// waiting (then the kubelet serves `last` instead).
    pub current: Option<Instance>,
    /// The last terminated instance: what `previous=true` reads.
    pub last: Option<String>,
}

/// How to ask the kubelet for one instance's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// `previous=false`; follow it if it runs.
    Current { running: bool },
    /// `previous=true`.
    Previous,
    /// Neither: the container restarted at least twice since, the kubelet
    /// no longer has it.
    Gone,
}

impl Instances {
    pub fn from_status(cs: &ContainerStatus) -> Self {
        let id_or = |id: Option<&String>| {
            id.filter(|i| !i.is_empty())
                .cloned()
                // A status without an ID (some runtimes, early states):
                // the restart count still tells instances apart.
                .unwrap_or_else(|| format!("restart-{}", cs.restart_count))
        };
        let state = cs.state.as_ref();
        let current = if state.and_then(|s| s.running.as_ref()).is_some() {
            Some(Instance {
                id: id_or(cs.container_id.as_ref()),
                running: true,
            })
        } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
            // A terminated state without an ID did not start: the kubelet
            // falls back to the last state (validateContainerLogStatus).
            t.container_id
                .as_ref()
                .filter(|i| !i.is_empty())
                .map(|id| Instance {
                    id: id.clone(),
                    running: false,
                })
        } else {
            None
        };
        let last = cs
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.container_id.clone())
            .filter(|i| !i.is_empty());
        Instances { current, last }
    }

    /// The instances, oldest first.
    pub fn known(&self) -> impl Iterator<Item = &str> {
        self.last
            .as_deref()
            .into_iter()
            .chain(self.current.as_ref().map(|c| c.id.as_str()))
    }

    pub fn how_to_read(&self, id: &str) -> Read {
        match (&self.current, &self.last) {
            (Some(c), _) if c.id == id => Read::Current { running: c.running },
            (_, Some(l)) if l == id => Read::Previous,
            _ => Read::Gone,
        }
    }

    /// The instances that have been read before we start, unless
    /// `--previous` asks for them: everything but what `kubectl logs` would
    /// show now (the current instance, or the last one while waiting).
    pub fn history(&self, previous: bool) -> Vec<String> {
        match (&self.current, &self.last) {
            (Some(c), Some(l)) if !previous && *l != c.id => vec![l.clone()],
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ContainerView {
    pub name: String,
    pub kind: Kind,
    pub instances: Instances,
}

/// A pod as the tails see it.
#[derive(Debug, Clone)]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub node: String,
    /// Init, regular, then ephemeral containers, in spec order.
    pub containers: Vec<ContainerView>,
    /// Number of regular containers.
    pub regular: usize,
    /// Succeeded or Failed: no container will start again.
    pub finished: bool,
    /// Deleted from the cluster.
    pub deleted: bool,
    /// When the server said so.
    pub read_at: Instant,
}

impl PodView {
    pub fn from_pod(p: &Pod) -> Self {
        let spec = p.spec.clone().unwrap_or_default();
        let status = p.status.clone().unwrap_or_default();
        let find = |list: &Option<Vec<ContainerStatus>>, name: &str| {
            list.iter()
                .flatten()
                .find(|s| s.name == name)
                .map(Instances::from_status)
                .unwrap_or_default()
        };
        let mut containers = Vec::new();
        for c in spec.init_containers.iter().flatten() {
            containers.push(ContainerView {
                name: c.name.clone(),
                kind: Kind::Init,
                instances: find(&status.init_container_statuses, &c.name),
            });
        }
        for c in &spec.containers {
            containers.push(ContainerView {
                name: c.name.clone(),
                kind: Kind::Regular,
                instances: find(&status.container_statuses, &c.name),
            });
        }
        for c in spec.ephemeral_containers.iter().flatten() {
            containers.push(ContainerView {
                name: c.name.clone(),
                kind: Kind::Ephemeral,
                instances: find(&status.ephemeral_container_statuses, &c.name),
            });
        }
        PodView {
            namespace: p.metadata.namespace.clone().unwrap_or_default(),
            name: p.metadata.name.clone().unwrap_or_default(),
            uid: p.metadata.uid.clone().unwrap_or_default(),
            node: spec.node_name.clone().unwrap_or_default(),
            regular: spec.containers.len(),
            containers,
            finished: matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")),
            deleted: false,
            read_at: Instant::now(),
        }
    }

    pub fn container(&self, name: &str) -> Option<&ContainerView> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// Whether a tail of this container could print anything, now or later.
    pub fn may_log(&self, c: &ContainerView) -> bool {
        c.instances.known().next().is_some() || !self.finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(v: serde_json::Value) -> Instances {
        let mut v = v;
        v["name"] = json!("c");
        v.as_object_mut()
            .unwrap()
            .entry("image")
            .or_insert(json!("i"));
        v.as_object_mut()
            .unwrap()
            .entry("imageID")
            .or_insert(json!(""));
        v.as_object_mut()
            .unwrap()
            .entry("ready")
            .or_insert(json!(true));
        v.as_object_mut()
            .unwrap()
            .entry("restartCount")
            .or_insert(json!(0));
        Instances::from_status(&serde_json::from_value(v).unwrap())
    }

    #[test]
    fn instances_as_the_kubelet_serves_them() {
        let term = |id: &str| json!({"terminated": {"exitCode": 2, "containerID": id}});
        /// (name, status, current instance and whether it runs, last instance)
        type Case = (
            &'static str,
            serde_json::Value,
            Option<(&'static str, bool)>,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                "running, never restarted",
                json!({"containerID": "c://a", "state": {"running": {}}, "lastState": {}}),
                Some(("c://a", true)),
                None,
            ),
            (
                "running after a crash",
                json!({"containerID": "c://b", "restartCount": 1, "state": {"running": {}}, "lastState": term("c://a")}),
                Some(("c://b", true)),
                Some("c://a"),
            ),
            (
                "crash-loop back-off",
                json!({"containerID": "c://b", "restartCount": 1, "state": {"waiting": {"reason": "CrashLoopBackOff"}}, "lastState": term("c://b")}),
                None,
                Some("c://b"),
            ),
            (
                "completed",
                json!({"containerID": "c://a", "state": term("c://a"), "lastState": {}}),
                Some(("c://a", false)),
                None,
            ),
            (
                "creating",
                json!({"state": {"waiting": {"reason": "ContainerCreating"}}}),
                None,
                None,
            ),
            (
                "running without an ID",
                json!({"restartCount": 3, "state": {"running": {}}}),
                Some(("restart-3", true)),
                None,
            ),
        ];
        for (name, v, cur, last) in cases {
            let got = status(v);
            assert_eq!(
                got.current.as_ref().map(|c| (c.id.as_str(), c.running)),
                cur,
                "{name}"
            );
            assert_eq!(got.last.as_deref(), last, "{name}");
        }
    }

    #[test]
    fn reading_order_and_requests() {
        let i = Instances {
            current: Some(Instance {
                id: "b".into(),
                running: true,
            }),
            last: Some("a".into()),
        };
        assert_eq!(i.known().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(i.how_to_read("b"), Read::Current { running: true });
        assert_eq!(i.how_to_read("a"), Read::Previous);
        assert_eq!(i.how_to_read("z"), Read::Gone);
        assert_eq!(i.history(false), ["a"]);
        assert!(i.history(true).is_empty());
        // In back-off the last instance is what kubectl logs shows: read it.
        let waiting = Instances {
            current: None,
            last: Some("b".into()),
        };
        assert!(waiting.history(false).is_empty());
        assert_eq!(waiting.how_to_read("b"), Read::Previous);
    }

    #[test]
    fn pods_list_every_kind_of_container() {
        let p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "n", "uid": "u"},
            "spec": {"nodeName": "w1", "initContainers": [{"name": "init"}], "containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "a", "image": "", "imageID": "", "ready": true, "restartCount": 0, "containerID": "c://a", "state": {"running": {}}}]}
        }))
        .unwrap();
        let v = PodView::from_pod(&p);
        let names: Vec<(&str, Kind)> = v
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.kind))
            .collect();
        assert_eq!(
            names,
            [
                ("init", Kind::Init),
                ("a", Kind::Regular),
                ("b", Kind::Regular)
            ]
        );
        assert_eq!(v.regular, 2);
        assert!(v.may_log(v.container("b").unwrap()), "b may still start");
        let evicted: Pod = serde_json::from_value(json!({
            "metadata": {"name": "e"}, "spec": {"containers": [{"name": "a"}]},
            "status": {"phase": "Failed", "reason": "Evicted"}
        }))
        .unwrap();
        let v = PodView::from_pod(&evicted);
        assert!(!v.may_log(&v.containers[0]));
    }
}
