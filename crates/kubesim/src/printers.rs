//! Server-side printing: the `Table` rows that `kubectl get` asks for
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).
//!
//! This is a port of Kubernetes' `pkg/printers/internalversion/printers.go`
//! (column definitions from `AddHandlers`, cells from the `print*` functions)
//! and of `k8s.io/apimachinery/pkg/util/duration.HumanDuration`. Like the real
//! API server (`pkg/printers/storage.TableConvertor`), cells are always
//! generated with `Wide: true`: every column, priority 0 and 1, gets a cell and
//! kubectl hides the priority-1 ones unless asked for `-o wide`.
//!
//! Objects are taken as the JSON of the external (v1) API. Where the real
//! server would have defaulted or converted a field before printing (e.g.
//! `spec.replicas` defaults to 1, a Service's `type` to `ClusterIP`, a port's
//! `protocol` to `TCP`, a Secret's `type` to `Opaque`, `stringData` merged into
//! `data`), the defaulted value is printed, so that objects the simulator did
//! not fully default still print like a real cluster's.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

/// One `TableColumnDefinition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    /// `"string"`, `"integer"`, `"date"`, ... exactly as the real server sends it.
    pub type_: &'static str,
    pub format: &'static str,
    pub description: &'static str,
    pub priority: u32,
}

const fn col(
    name: &'static str,
    type_: &'static str,
    format: &'static str,
    description: &'static str,
    priority: u32,
) -> Column {
    Column {
        name,
        type_,
        format,
        description,
        priority,
    }
}

// ---------------------------------------------------------------------------
// Column descriptions (swagger docs as served by kube-apiserver 1.36).
// ---------------------------------------------------------------------------

const NAME_DESC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CONTAINERS_DESC: &str = "Names of each container in the template.";
const IMAGES_DESC: &str = "Images referenced by each container in the template.";
const READY_REPLICAS_DESC: &str = "Number of the pod with ready state";

const POD_READY_DESC: &str = "The aggregate readiness state of this pod for accepting traffic.";
const POD_STATUS_DESC: &str = "The aggregate status of the containers in this pod.";
const POD_RESTARTS_DESC: &str = "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.";
const POD_IP_DESC: &str = "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.";
const POD_NODE_DESC: &str = "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename";
const POD_NOMINATED_NODE_DESC: &str = "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.";
const POD_READINESS_GATES_DESC: &str = "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates";

const SVC_TYPE_DESC: &str = "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types";
const SVC_CLUSTER_IP_DESC: &str = "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";
const SVC_EXTERNAL_IP_DESC: &str = "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.";
const SVC_PORTS_DESC: &str = "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";
const SVC_SELECTOR_DESC: &str = "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/";

const NODE_ADDRESSES_DESC: &str = "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).";

const EVENT_SUBOBJECT_DESC: &str = "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.";

// Not in the recorded reference: upstream swagger docs of the fields the
// columns describe, as best known.
const DS_DESIRED_DESC: &str = "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/";
const DS_CURRENT_DESC: &str = "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/";
const DS_READY_DESC: &str = "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.";
const DS_UPDATED_DESC: &str = "The total number of nodes that are running updated daemon pod";
const DS_AVAILABLE_DESC: &str = "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)";
const DS_NODE_SELECTOR_DESC: &str = "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/";
const DS_SELECTOR_DESC: &str = "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const RS_DESIRED_DESC: &str = "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset";
const RS_CURRENT_DESC: &str = "Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset";
const RS_READY_DESC: &str =
    "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.";
const RS_SELECTOR_DESC: &str = "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const CM_DATA_DESC: &str = "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.";
const SECRET_TYPE_DESC: &str = "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types";
const SECRET_DATA_DESC: &str = "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4";
const ENDPOINTS_DESC: &str = "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.";

// ---------------------------------------------------------------------------
// Column definitions (upstream `AddHandlers`).
// ---------------------------------------------------------------------------

static POD_COLUMNS: [Column; 9] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Ready", "string", "", POD_READY_DESC, 0),
    col("Status", "string", "", POD_STATUS_DESC, 0),
    col("Restarts", "string", "", POD_RESTARTS_DESC, 0),
    col("Age", "string", "", AGE_DESC, 0),
    col("IP", "string", "", POD_IP_DESC, 1),
    col("Node", "string", "", POD_NODE_DESC, 1),
    col("Nominated Node", "string", "", POD_NOMINATED_NODE_DESC, 1),
    col("Readiness Gates", "string", "", POD_READINESS_GATES_DESC, 1),
];

static SERVICE_COLUMNS: [Column; 7] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Type", "string", "", SVC_TYPE_DESC, 0),
    col("Cluster-IP", "string", "", SVC_CLUSTER_IP_DESC, 0),
    col("External-IP", "string", "", SVC_EXTERNAL_IP_DESC, 0),
    col("Port(s)", "string", "", SVC_PORTS_DESC, 0),
    col("Age", "string", "", AGE_DESC, 0),
    col("Selector", "string", "", SVC_SELECTOR_DESC, 1),
];

static NAMESPACE_COLUMNS: [Column; 3] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Status", "string", "", "The status of the namespace", 0),
    col("Age", "string", "", AGE_DESC, 0),
];

static NODE_COLUMNS: [Column; 10] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Status", "string", "", "The status of the node", 0),
    col("Roles", "string", "", "The roles of the node", 0),
    col("Age", "string", "", AGE_DESC, 0),
    col(
        "Version",
        "string",
        "",
        "Kubelet Version reported by the node.",
        0,
    ),
    col("Internal-IP", "string", "", NODE_ADDRESSES_DESC, 1),
    col("External-IP", "string", "", NODE_ADDRESSES_DESC, 1),
    col(
        "OS-Image",
        "string",
        "",
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
        1,
    ),
    col(
        "Kernel-Version",
        "string",
        "",
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        1,
    ),
    col(
        "Container-Runtime",
        "string",
        "",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
        1,
    ),
];

static INGRESS_COLUMNS: [Column; 6] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col(
        "Class",
        "string",
        "",
        "The name of the IngressClass resource that should be used for additional configuration",
        0,
    ),
    col(
        "Hosts",
        "string",
        "",
        "Hosts that incoming requests are matched against before the ingress rule",
        0,
    ),
    col(
        "Address",
        "string",
        "",
        "Address is a list containing ingress points for the load-balancer",
        0,
    ),
    col(
        "Ports",
        "string",
        "",
        "Ports of TLS configurations that open",
        0,
    ),
    col("Age", "string", "", AGE_DESC, 0),
];

static EVENT_COLUMNS: [Column; 10] = [
    col(
        "Last Seen",
        "string",
        "",
        "The time at which the most recent occurrence of this event was recorded.",
        0,
    ),
    col(
        "Type",
        "string",
        "",
        "Type of this event (Normal, Warning), new types could be added in the future",
        0,
    ),
    col(
        "Reason",
        "string",
        "",
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
        0,
    ),
    col(
        "Object",
        "string",
        "",
        "The object that this event is about.",
        0,
    ),
    col("Subobject", "string", "", EVENT_SUBOBJECT_DESC, 1),
    col(
        "Source",
        "string",
        "",
        "The component reporting this event. Should be a short machine understandable string.",
        1,
    ),
    col(
        "Message",
        "string",
        "",
        "A human-readable description of the status of this operation.",
        0,
    ),
    col(
        "First Seen",
        "string",
        "",
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        1,
    ),
    col(
        "Count",
        "string",
        "",
        "The number of times this event has occurred.",
        1,
    ),
    col("Name", "string", "name", NAME_DESC, 1),
];

static DEPLOYMENT_COLUMNS: [Column; 8] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Ready", "string", "", READY_REPLICAS_DESC, 0),
    col(
        "Up-to-date",
        "string",
        "",
        "Total number of non-terminating pods targeted by this deployment that have the desired template spec.",
        0,
    ),
    col(
        "Available",
        "string",
        "",
        "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.",
        0,
    ),
    col("Age", "string", "", AGE_DESC, 0),
    col("Containers", "string", "", CONTAINERS_DESC, 1),
    col("Images", "string", "", IMAGES_DESC, 1),
    col(
        "Selector",
        "string",
        "",
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
        1,
    ),
];

static STATEFULSET_COLUMNS: [Column; 5] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Ready", "string", "", READY_REPLICAS_DESC, 0),
    col("Age", "string", "", AGE_DESC, 0),
    col("Containers", "string", "", CONTAINERS_DESC, 1),
    col("Images", "string", "", IMAGES_DESC, 1),
];

static DAEMONSET_COLUMNS: [Column; 11] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Desired", "integer", "", DS_DESIRED_DESC, 0),
    col("Current", "integer", "", DS_CURRENT_DESC, 0),
    col("Ready", "integer", "", DS_READY_DESC, 0),
    col("Up-to-date", "integer", "", DS_UPDATED_DESC, 0),
    col("Available", "integer", "", DS_AVAILABLE_DESC, 0),
    col("Node Selector", "string", "", DS_NODE_SELECTOR_DESC, 0),
    col("Age", "string", "", AGE_DESC, 0),
    col("Containers", "string", "", CONTAINERS_DESC, 1),
    col("Images", "string", "", IMAGES_DESC, 1),
    col("Selector", "string", "", DS_SELECTOR_DESC, 1),
];

static REPLICASET_COLUMNS: [Column; 8] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Desired", "integer", "", RS_DESIRED_DESC, 0),
    col("Current", "integer", "", RS_CURRENT_DESC, 0),
    col("Ready", "integer", "", RS_READY_DESC, 0),
    col("Age", "string", "", AGE_DESC, 0),
    col("Containers", "string", "", CONTAINERS_DESC, 1),
    col("Images", "string", "", IMAGES_DESC, 1),
    col("Selector", "string", "", RS_SELECTOR_DESC, 1),
];

static CONFIGMAP_COLUMNS: [Column; 3] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Data", "string", "", CM_DATA_DESC, 0),
    col("Age", "string", "", AGE_DESC, 0),
];

static SECRET_COLUMNS: [Column; 4] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Type", "string", "", SECRET_TYPE_DESC, 0),
    col("Data", "string", "", SECRET_DATA_DESC, 0),
    col("Age", "string", "", AGE_DESC, 0),
];

static ENDPOINTS_COLUMNS: [Column; 3] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Endpoints", "string", "", ENDPOINTS_DESC, 0),
    col("Age", "string", "", AGE_DESC, 0),
];

/// What a resource without a printer gets: the default columns of a custom
/// resource without `additionalPrinterColumns` (NAME, and AGE as a `date`).
static DEFAULT_COLUMNS: [Column; 2] = [
    col("Name", "string", "name", NAME_DESC, 0),
    col("Age", "date", "", AGE_DESC, 0),
];

/// Column definitions for a resource (plural, lower case: "pods", "services",
/// ...). Unknown resources get the default NAME/AGE columns.
pub fn columns(resource: &str) -> &'static [Column] {
    match resource {
        "pods" => &POD_COLUMNS,
        "services" => &SERVICE_COLUMNS,
        "namespaces" => &NAMESPACE_COLUMNS,
        "nodes" => &NODE_COLUMNS,
        "ingresses" => &INGRESS_COLUMNS,
        "events" => &EVENT_COLUMNS,
        "deployments" => &DEPLOYMENT_COLUMNS,
        "statefulsets" => &STATEFULSET_COLUMNS,
        "daemonsets" => &DAEMONSET_COLUMNS,
        "replicasets" => &REPLICASET_COLUMNS,
        "configmaps" => &CONFIGMAP_COLUMNS,
        "secrets" => &SECRET_COLUMNS,
        "endpoints" => &ENDPOINTS_COLUMNS,
        _ => &DEFAULT_COLUMNS,
    }
}

/// Cells of one row for `obj` (a full Kubernetes object as JSON), in the order
/// of `columns(resource)`, ages computed against `now`.
pub fn cells(resource: &str, obj: &Value, now: Timestamp) -> Vec<Value> {
    match resource {
        "pods" => print_pod(obj, now),
        "services" => print_service(obj, now),
        "namespaces" => print_namespace(obj, now),
        "nodes" => print_node(obj, now),
        "ingresses" => print_ingress(obj, now),
        "events" => print_event(obj, now),
        "deployments" => print_deployment(obj, now),
        "statefulsets" => print_statefulset(obj, now),
        "daemonsets" => print_daemonset(obj, now),
        "replicasets" => print_replicaset(obj, now),
        "configmaps" => print_configmap(obj, now),
        "secrets" => print_secret(obj, now),
        "endpoints" => print_endpoints(obj, now),
        _ => vec![json!(name(obj)), json!(age(obj, now))],
    }
}

/// `k8s.io/apimachinery/pkg/util/duration.HumanDuration`: a succinct
/// representation with ~2-3 significant figures ("6d", "7h1m", "4d18h",
/// "10m", "9m37s", "2y").
pub fn human_duration(d: SignedDuration) -> String {
    // Go: int(d.Seconds()) truncates toward zero, as does as_secs().
    let seconds = d.as_secs();
    // Allow deviation no more than 2 seconds (excluded) to tolerate machine
    // time inconsistence: it can be considered as almost now.
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = d.as_mins();
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = d.as_hours();
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        format!("{hours}h{m}m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        format!("{}d{}h", hours / 24, h)
    } else if hours < 24 * 365 * 2 {
        format!("{}d", hours / 24)
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        format!("{}y{}d", hours / 24 / 365, dy)
    } else {
        format!("{}y", hours / 24 / 365)
    }
}

/// The pod printer's READY, STATUS, RESTARTS as strings (upstream `printPod`).
pub fn pod_ready_status_restarts(pod: &Value, now: Timestamp) -> (String, String, String) {
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    let status = pod.get("status").unwrap_or(&Value::Null);

    let mut restarts: i64 = 0;
    let mut restartable_init_restarts: i64 = 0;
    let mut total_containers = arr(spec, "containers").len();
    let mut ready_containers = 0usize;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_restartable_init_restart: Option<Timestamp> = None;

    let phase = str_at(status, &["phase"]);
    let mut reason = phase.to_string();
    let status_reason = str_at(status, &["reason"]);
    if !status_reason.is_empty() {
        reason = status_reason.to_string();
    }

    let conditions = arr(status, "conditions");
    // If the Pod carries {type:PodScheduled, reason:SchedulingGated}, set
    // reason to 'SchedulingGated'.
    for condition in conditions {
        if str_at(condition, &["type"]) == "PodScheduled"
            && str_at(condition, &["reason"]) == "SchedulingGated"
        {
            reason = "SchedulingGated".to_string();
        }
    }

    let init_containers = arr(spec, "initContainers");
    total_containers += init_containers
        .iter()
        .filter(|c| is_restartable_init_container(c))
        .count();
    // initContainers[name]: the last one of that name wins, as in a Go map.
    let init_container = |name: &str| {
        init_containers
            .iter()
            .rev()
            .find(|c| str_at(c, &["name"]) == name)
    };

    let mut initializing = false;
    for (i, container) in arr(status, "initContainerStatuses").iter().enumerate() {
        let restart_count = int_at(container, &["restartCount"]);
        restarts += restart_count;
        let last_terminated = non_null(container, &["lastState", "terminated"]);
        if let Some(t) = last_terminated {
            bump_latest(&mut last_restart, time_at(t, &["finishedAt"]));
        }
        let restartable =
            init_container(str_at(container, &["name"])).is_some_and(is_restartable_init_container);
        if restartable {
            restartable_init_restarts += restart_count;
            if let Some(t) = last_terminated {
                bump_latest(
                    &mut last_restartable_init_restart,
                    time_at(t, &["finishedAt"]),
                );
            }
        }
        let terminated = non_null(container, &["state", "terminated"]);
        let waiting = non_null(container, &["state", "waiting"]);
        if terminated.is_some_and(|t| int_at(t, &["exitCode"]) == 0) {
            continue;
        } else if restartable && bool_at(container, &["started"]) {
            if bool_at(container, &["ready"]) {
                ready_containers += 1;
            }
            continue;
        } else if let Some(t) = terminated {
            // initialization is failed
            let t_reason = str_at(t, &["reason"]);
            reason = if t_reason.is_empty() {
                let signal = int_at(t, &["signal"]);
                if signal != 0 {
                    format!("Init:Signal:{signal}")
                } else {
                    format!("Init:ExitCode:{}", int_at(t, &["exitCode"]))
                }
            } else {
                format!("Init:{t_reason}")
            };
        } else if let Some(w) = waiting.filter(|w| {
            let r = str_at(w, &["reason"]);
            !r.is_empty() && r != "PodInitializing"
        }) {
            reason = format!("Init:{}", str_at(w, &["reason"]));
        } else {
            reason = format!("Init:{}/{}", i, init_containers.len());
        }
        initializing = true;
        break;
    }

    if !initializing || condition_is_true(conditions, "Initialized") {
        restarts = restartable_init_restarts;
        last_restart = last_restartable_init_restart;
        let mut has_running = false;
        for container in arr(status, "containerStatuses").iter().rev() {
            restarts += int_at(container, &["restartCount"]);
            if let Some(t) = non_null(container, &["lastState", "terminated"]) {
                bump_latest(&mut last_restart, time_at(t, &["finishedAt"]));
            }
            let waiting = non_null(container, &["state", "waiting"]);
            let terminated = non_null(container, &["state", "terminated"]);
            let running = non_null(container, &["state", "running"]);
            if let Some(w) = waiting.filter(|w| !str_at(w, &["reason"]).is_empty()) {
                reason = str_at(w, &["reason"]).to_string();
            } else if let Some(t) = terminated {
                let t_reason = str_at(t, &["reason"]);
                reason = if !t_reason.is_empty() {
                    t_reason.to_string()
                } else {
                    let signal = int_at(t, &["signal"]);
                    if signal != 0 {
                        format!("Signal:{signal}")
                    } else {
                        format!("ExitCode:{}", int_at(t, &["exitCode"]))
                    }
                };
            } else if bool_at(container, &["ready"]) && running.is_some() {
                has_running = true;
                ready_containers += 1;
            }
        }

        // change pod status back to "Running" if there is at least one
        // container still reporting as "Running" status
        if reason == "Completed" && has_running {
            reason = if condition_is_true(conditions, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    let deleting = non_null(pod, &["metadata", "deletionTimestamp"]).is_some();
    if deleting && status_reason == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Failed" && phase != "Succeeded" {
        reason = "Terminating".to_string();
    }

    let restarts_str = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", translate_since(Some(t), now)),
        _ => restarts.to_string(),
    };

    (
        format!("{ready_containers}/{total_containers}"),
        reason,
        restarts_str,
    )
}

// ---------------------------------------------------------------------------
// Printers.
// ---------------------------------------------------------------------------

fn print_pod(pod: &Value, now: Timestamp) -> Vec<Value> {
    let (ready, status, restarts) = pod_ready_status_restarts(pod, now);
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    let pod_status = pod.get("status").unwrap_or(&Value::Null);

    // v1 -> internal conversion: status.podIP wins, else podIPs[0].
    let mut pod_ip = str_at(pod_status, &["podIP"]);
    if pod_ip.is_empty() {
        pod_ip = arr(pod_status, "podIPs")
            .first()
            .map(|ip| str_at(ip, &["ip"]))
            .unwrap_or("");
    }
    let readiness_gates = arr(spec, "readinessGates");
    let gates = if readiness_gates.is_empty() {
        "<none>".to_string()
    } else {
        let conditions = arr(pod_status, "conditions");
        let true_conditions = readiness_gates
            .iter()
            .filter(|gate| {
                let wanted = str_at(gate, &["conditionType"]);
                conditions
                    .iter()
                    .find(|c| str_at(c, &["type"]) == wanted)
                    .is_some_and(|c| str_at(c, &["status"]) == "True")
            })
            .count();
        format!("{true_conditions}/{}", readiness_gates.len())
    };
    vec![
        json!(name(pod)),
        json!(ready),
        json!(status),
        json!(restarts),
        json!(age(pod, now)),
        json!(or_none(pod_ip)),
        json!(or_none(str_at(spec, &["nodeName"]))),
        json!(or_none(str_at(pod_status, &["nominatedNodeName"]))),
        json!(gates),
    ]
}

fn print_service(svc: &Value, now: Timestamp) -> Vec<Value> {
    let spec = svc.get("spec").unwrap_or(&Value::Null);
    let svc_type = match str_at(spec, &["type"]) {
        "" => "ClusterIP", // defaulted by the API server
        t => t,
    };
    let mut internal_ip = arr(spec, "clusterIPs")
        .first()
        .and_then(Value::as_str)
        .unwrap_or("");
    if internal_ip.is_empty() {
        internal_ip = str_at(spec, &["clusterIP"]);
    }
    let external_ip = service_external_ip(svc, svc_type);
    let ports = arr(spec, "ports")
        .iter()
        .map(|p| {
            let port = int_at(p, &["port"]);
            let protocol = match str_at(p, &["protocol"]) {
                "" => "TCP",
                proto => proto,
            };
            let node_port = int_at(p, &["nodePort"]);
            if node_port > 0 {
                format!("{port}:{node_port}/{protocol}")
            } else {
                format!("{port}/{protocol}")
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    vec![
        json!(name(svc)),
        json!(svc_type),
        json!(or_none(internal_ip)),
        json!(external_ip),
        json!(or_none(&ports)),
        json!(age(svc, now)),
        json!(format_labels(spec.get("selector"))),
    ]
}

/// `getServiceExternalIP` with `wide` (the server always prints wide).
fn service_external_ip(svc: &Value, svc_type: &str) -> String {
    let spec = svc.get("spec").unwrap_or(&Value::Null);
    let external_ips: Vec<&str> = arr(spec, "externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match svc_type {
        "ClusterIP" | "NodePort" => {
            if external_ips.is_empty() {
                "<none>".to_string()
            } else {
                external_ips.join(",")
            }
        }
        "LoadBalancer" => {
            let lb_ips = load_balancer_ingress(svc);
            if !external_ips.is_empty() {
                let mut results: Vec<&str> = Vec::new();
                if !lb_ips.is_empty() {
                    results.extend(lb_ips.split(','));
                }
                results.extend(external_ips);
                results.join(",")
            } else if !lb_ips.is_empty() {
                lb_ips
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => str_at(spec, &["externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    }
}

/// `loadBalancerStatusStringer` / `ingressLoadBalancerStatusStringer` with
/// `wide`: the sorted set of `status.loadBalancer.ingress[].ip` (else
/// `.hostname`), comma separated, not truncated.
fn load_balancer_ingress(obj: &Value) -> String {
    let mut result: Vec<&str> = obj
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter_map(|ing| {
            let ip = str_at(ing, &["ip"]);
            let hostname = str_at(ing, &["hostname"]);
            if !ip.is_empty() {
                Some(ip)
            } else if !hostname.is_empty() {
                Some(hostname)
            } else {
                None
            }
        })
        .collect();
    result.sort_unstable();
    result.dedup();
    result.join(",")
}

fn print_namespace(ns: &Value, now: Timestamp) -> Vec<Value> {
    let phase = match str_at(ns, &["status", "phase"]) {
        "" => "Active", // defaulted by the API server
        p => p,
    };
    vec![json!(name(ns)), json!(phase), json!(age(ns, now))]
}

fn print_node(node: &Value, now: Timestamp) -> Vec<Value> {
    let status = node.get("status").unwrap_or(&Value::Null);
    // Only the Ready condition counts; the last one of that type wins.
    let mut states: Vec<String> = Vec::new();
    if let Some(ready) = arr(status, "conditions")
        .iter()
        .rev()
        .find(|c| str_at(c, &["type"]) == "Ready")
    {
        if str_at(ready, &["status"]) == "True" {
            states.push("Ready".to_string());
        } else {
            states.push("NotReady".to_string());
        }
    }
    if states.is_empty() {
        states.push("Unknown".to_string());
    }
    if bool_at(node, &["spec", "unschedulable"]) {
        states.push("SchedulingDisabled".to_string());
    }

    let mut roles: Vec<&str> = Vec::new();
    if let Some(labels) = node.pointer("/metadata/labels").and_then(Value::as_object) {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.push(role);
                }
            } else if k == "kubernetes.io/role" {
                let v = v.as_str().unwrap_or("");
                if !v.is_empty() {
                    roles.push(v);
                }
            }
        }
    }
    roles.sort_unstable();
    roles.dedup();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    };

    let address = |kind: &str| {
        arr(status, "addresses")
            .iter()
            .find(|a| str_at(a, &["type"]) == kind)
            .map(|a| str_at(a, &["address"]).to_string())
            .unwrap_or_else(|| "<none>".to_string())
    };
    let info = |field: &str| or_unknown(str_at(status, &["nodeInfo", field]));
    vec![
        json!(name(node)),
        json!(states.join(",")),
        json!(roles),
        json!(age(node, now)),
        json!(str_at(status, &["nodeInfo", "kubeletVersion"])),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
}

fn print_ingress(ing: &Value, now: Timestamp) -> Vec<Value> {
    let spec = ing.get("spec").unwrap_or(&Value::Null);
    let class_name = non_null(spec, &["ingressClassName"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let ports = if arr(spec, "tls").is_empty() {
        "80"
    } else {
        "80, 443"
    };
    vec![
        json!(name(ing)),
        json!(class_name),
        json!(format_hosts(arr(spec, "rules"))),
        json!(load_balancer_ingress(ing)),
        json!(ports),
        json!(age(ing, now)),
    ]
}

/// `formatHosts`: up to 3 hosts, then "+ N more...", "*" when none.
fn format_hosts(rules: &[Value]) -> String {
    const MAX: usize = 3;
    let mut list: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if list.len() == MAX {
            more = true;
        }
        let host = str_at(rule, &["host"]);
        if !more && !host.is_empty() {
            list.push(host);
        }
    }
    if list.is_empty() {
        return "*".to_string();
    }
    let ret = list.join(",");
    if more {
        return format!("{ret} + {} more...", rules.len() - MAX);
    }
    ret
}

fn print_event(ev: &Value, now: Timestamp) -> Vec<Value> {
    let first_time = time_at(ev, &["firstTimestamp"]);
    let first_seen = if first_time.is_none() {
        translate_since(time_at(ev, &["eventTime"]), now)
    } else {
        translate_since(first_time, now)
    };
    let last_time = time_at(ev, &["lastTimestamp"]);
    let mut last_seen = if last_time.is_none() {
        first_seen.clone()
    } else {
        translate_since(last_time, now)
    };
    let mut count = int_at(ev, &["count"]);
    if let Some(series) = non_null(ev, &["series"]) {
        last_seen = translate_since(time_at(series, &["lastObservedTime"]), now);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        // Singleton events don't have a count set in the new API.
        count = 1;
    }

    let kind = str_at(ev, &["involvedObject", "kind"]).to_lowercase();
    let involved_name = str_at(ev, &["involvedObject", "name"]);
    let target = if involved_name.is_empty() {
        kind
    } else {
        format!("{kind}/{involved_name}")
    };

    let component = first_non_empty(
        str_at(ev, &["source", "component"]),
        str_at(ev, &["reportingComponent"]),
    );
    let instance = first_non_empty(
        str_at(ev, &["source", "host"]),
        str_at(ev, &["reportingInstance"]),
    );
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };

    vec![
        json!(last_seen),
        json!(str_at(ev, &["type"])),
        json!(str_at(ev, &["reason"])),
        json!(target),
        json!(str_at(ev, &["involvedObject", "fieldPath"])),
        json!(source),
        json!(str_at(ev, &["message"]).trim()),
        json!(first_seen),
        json!(count),
        json!(name(ev)),
    ]
}

fn print_deployment(d: &Value, now: Timestamp) -> Vec<Value> {
    let spec = d.get("spec").unwrap_or(&Value::Null);
    let desired = replicas(spec);
    let ready = int_at(d, &["status", "readyReplicas"]);
    let (names, images) = layout_container_cells(spec);
    let selector = match label_selector_string(non_null(spec, &["selector"])) {
        Ok(s) => s,
        Err(()) => "<invalid>".to_string(),
    };
    vec![
        json!(name(d)),
        json!(format!("{ready}/{desired}")),
        json!(int_at(d, &["status", "updatedReplicas"])),
        json!(int_at(d, &["status", "availableReplicas"])),
        json!(age(d, now)),
        json!(names),
        json!(images),
        json!(selector),
    ]
}

fn print_statefulset(s: &Value, now: Timestamp) -> Vec<Value> {
    let spec = s.get("spec").unwrap_or(&Value::Null);
    let desired = replicas(spec);
    let ready = int_at(s, &["status", "readyReplicas"]);
    let (names, images) = layout_container_cells(spec);
    vec![
        json!(name(s)),
        json!(format!("{ready}/{desired}")),
        json!(age(s, now)),
        json!(names),
        json!(images),
    ]
}

fn print_daemonset(ds: &Value, now: Timestamp) -> Vec<Value> {
    let spec = ds.get("spec").unwrap_or(&Value::Null);
    let status = ds.get("status").unwrap_or(&Value::Null);
    let (names, images) = layout_container_cells(spec);
    vec![
        json!(name(ds)),
        json!(int_at(status, &["desiredNumberScheduled"])),
        json!(int_at(status, &["currentNumberScheduled"])),
        json!(int_at(status, &["numberReady"])),
        json!(int_at(status, &["updatedNumberScheduled"])),
        json!(int_at(status, &["numberAvailable"])),
        json!(format_labels(spec.pointer("/template/spec/nodeSelector"))),
        json!(age(ds, now)),
        json!(names),
        json!(images),
        json!(format_label_selector(non_null(spec, &["selector"]))),
    ]
}

fn print_replicaset(rs: &Value, now: Timestamp) -> Vec<Value> {
    let spec = rs.get("spec").unwrap_or(&Value::Null);
    let (names, images) = layout_container_cells(spec);
    vec![
        json!(name(rs)),
        json!(replicas(spec)),
        json!(int_at(rs, &["status", "replicas"])),
        json!(int_at(rs, &["status", "readyReplicas"])),
        json!(age(rs, now)),
        json!(names),
        json!(images),
        json!(format_label_selector(non_null(spec, &["selector"]))),
    ]
}

fn print_configmap(cm: &Value, now: Timestamp) -> Vec<Value> {
    let count = obj_len(cm.get("data")) + obj_len(cm.get("binaryData"));
    vec![json!(name(cm)), json!(count), json!(age(cm, now))]
}

fn print_secret(secret: &Value, now: Timestamp) -> Vec<Value> {
    let secret_type = match str_at(secret, &["type"]) {
        "" => "Opaque", // defaulted by the API server
        t => t,
    };
    // v1 -> internal conversion merges stringData into data.
    let mut keys: Vec<&str> = Vec::new();
    for field in ["data", "stringData"] {
        if let Some(map) = secret.get(field).and_then(Value::as_object) {
            keys.extend(map.keys().map(String::as_str));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    vec![
        json!(name(secret)),
        json!(secret_type),
        json!(keys.len()),
        json!(age(secret, now)),
    ]
}

fn print_endpoints(ep: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(name(ep)),
        json!(format_endpoints(ep)),
        json!(age(ep, now)),
    ]
}

/// `formatEndpoints(endpoints, nil)`: up to 3 `ip:port`, then "+ N more...".
fn format_endpoints(ep: &Value) -> String {
    const MAX: usize = 3;
    let subsets = arr(ep, "subsets");
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    for ss in subsets {
        let addresses = arr(ss, "addresses");
        let ports = arr(ss, "ports");
        if ports.is_empty() {
            // It's possible to have headless services with no ports.
            count += addresses.len();
            for addr in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(str_at(addr, &["ip"]).to_string());
            }
            continue;
        }
        // "Normal" services with ports defined.
        for port in ports {
            count += addresses.len();
            for addr in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(
                    str_at(addr, &["ip"]),
                    int_at(port, &["port"]),
                ));
            }
        }
    }
    let ret = list.join(",");
    if more {
        return format!("{ret} + {} more...", count - MAX);
    }
    ret
}

/// Go's `net.JoinHostPort`.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

// ---------------------------------------------------------------------------
// Shared helpers.
// ---------------------------------------------------------------------------

/// `initContainer.restartPolicy == Always` (a sidecar).
fn is_restartable_init_container(container: &Value) -> bool {
    str_at(container, &["restartPolicy"]) == "Always"
}

fn condition_is_true(conditions: &[Value], kind: &str) -> bool {
    conditions
        .iter()
        .find(|c| str_at(c, &["type"]) == kind)
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

fn bump_latest(latest: &mut Option<Timestamp>, candidate: Option<Timestamp>) {
    if let Some(t) = candidate
        && latest.is_none_or(|cur| cur < t)
    {
        *latest = Some(t);
    }
}

/// `spec.replicas`, defaulted to 1 as the API server does for apps/v1.
fn replicas(spec: &Value) -> i64 {
    non_null(spec, &["replicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// `layoutContainerCells(spec.template.spec.containers)`.
fn layout_container_cells(spec: &Value) -> (String, String) {
    let containers = spec
        .pointer("/template/spec/containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let names: Vec<&str> = containers.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| str_at(c, &["image"])).collect();
    (names.join(","), images.join(","))
}

/// `labels.FormatLabels`: "k=v,..." sorted by key, "<none>" when empty.
fn format_labels(map: Option<&Value>) -> String {
    let mut pairs: Vec<(&str, &str)> = map
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    if pairs.is_empty() {
        return "<none>".to_string();
    }
    pairs.sort_unstable();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `metav1.FormatLabelSelector`: "<none>" when empty, "<error>" when invalid.
fn format_label_selector(selector: Option<&Value>) -> String {
    match label_selector_string(selector) {
        Ok(s) if s.is_empty() => "<none>".to_string(),
        Ok(s) => s,
        Err(()) => "<error>".to_string(),
    }
}

/// `metav1.LabelSelectorAsSelector(sel).String()`. A missing selector
/// (`labels.Nothing()`) and an empty one (`labels.Everything()`) both print as
/// "". Requirements are sorted by key; `in`/`notin` values are sorted.
fn label_selector_string(selector: Option<&Value>) -> Result<String, ()> {
    let Some(selector) = selector else {
        return Ok(String::new());
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            requirements.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
        }
    }
    for expr in arr(selector, "matchExpressions") {
        let key = str_at(expr, &["key"]);
        let mut values: Vec<&str> = arr(expr, "values")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let text = match str_at(expr, &["operator"]) {
            op @ ("In" | "NotIn") => {
                if values.is_empty() {
                    return Err(());
                }
                values.sort_unstable();
                let word = if op == "In" { "in" } else { "notin" };
                format!("{key} {word} ({})", values.join(","))
            }
            "Exists" if values.is_empty() => key.to_string(),
            "DoesNotExist" if values.is_empty() => format!("!{key}"),
            _ => return Err(()),
        };
        requirements.push((key.to_string(), text));
    }
    requirements.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(requirements
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join(","))
}

fn name(obj: &Value) -> &str {
    str_at(obj, &["metadata", "name"])
}

/// `translateTimestampSince(metadata.creationTimestamp)`.
fn age(obj: &Value, now: Timestamp) -> String {
    translate_since(time_at(obj, &["metadata", "creationTimestamp"]), now)
}

/// `translateTimestampSince`: "<unknown>" for a zero time.
fn translate_since(t: Option<Timestamp>, now: Timestamp) -> String {
    match t {
        Some(t) => human_duration(now.duration_since(t)),
        None => "<unknown>".to_string(),
    }
}

/// A `metav1.Time`/`MicroTime` field; `None` when absent, null, unparsable or
/// Go's zero time.
fn time_at(v: &Value, path: &[&str]) -> Option<Timestamp> {
    let t: Timestamp = non_null(v, path)?.as_str()?.parse().ok()?;
    // Go's zero time.Time, 0001-01-01T00:00:00Z
    (t.as_second() != -62_135_596_800).then_some(t)
}

fn non_null<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    non_null(v, path).and_then(Value::as_str).unwrap_or("")
}

fn int_at(v: &Value, path: &[&str]) -> i64 {
    non_null(v, path).and_then(Value::as_i64).unwrap_or(0)
}

fn bool_at(v: &Value, path: &[&str]) -> bool {
    non_null(v, path).and_then(Value::as_bool).unwrap_or(false)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn obj_len(v: Option<&Value>) -> usize {
    v.and_then(Value::as_object).map_or(0, serde_json::Map::len)
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

fn or_unknown(s: &str) -> String {
    if s.is_empty() {
        "<unknown>".to_string()
    } else {
        s.to_string()
    }
}

fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The moment the reference tables were recorded (close enough: every age
    /// in them prints the same against it).
    const NOW: &str = "2026-11-24T19:44:10Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    /// RFC 3339 time `secs` seconds before `NOW`.
    fn ago(secs: i64) -> String {
        (now() - SignedDuration::from_secs(secs)).to_string()
    }

    fn pod(status: Value, spec: Value) -> Value {
        json!({
            "metadata": {"name": "p", "namespace": "ns", "creationTimestamp": ago(3600)},
            "spec": spec,
            "status": status,
        })
    }

    fn one_container() -> Value {
        json!({"containers": [{"name": "c", "image": "img"}]})
    }

    fn running_ready(name: &str) -> Value {
        json!({"name": name, "ready": true, "started": true, "restartCount": 0,
               "state": {"running": {"startedAt": ago(3000)}}, "lastState": {}})
    }

    #[test]
    fn pod_ready_status_restarts_cases() {
        let initialized = json!({"type": "Initialized", "status": "True"});
        let not_initialized = json!({"type": "Initialized", "status": "False"});
        let ready = json!({"type": "Ready", "status": "True"});
        let not_ready = json!({"type": "Ready", "status": "False"});
        let init_spec = json!({
            "initContainers": [{"name": "init", "image": "i"}],
            "containers": [{"name": "c", "image": "img"}],
        });
        let cases: Vec<(&str, Value, (&str, &str, &str))> = vec![
            (
                "CrashLoopBackOff with last restart",
                pod(
                    json!({"phase": "Running", "conditions": [initialized, not_ready],
                       "containerStatuses": [{"name": "c", "ready": false, "started": false, "restartCount": 5,
                         "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s"}},
                         "lastState": {"terminated": {"exitCode": 2, "reason": "Error",
                           "startedAt": ago(900), "finishedAt": ago(600)}}}]}),
                    one_container(),
                ),
                ("0/1", "CrashLoopBackOff", "5 (10m ago)"),
            ),
            (
                "Evicted keeps status.reason",
                pod(
                    json!({"phase": "Failed", "reason": "Evicted",
                       "message": "The node was low on resource: ephemeral-storage.",
                       "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0, "state": {}, "lastState": {}}]}),
                    one_container(),
                ),
                ("0/1", "Evicted", "0"),
            ),
            (
                "Completed",
                pod(
                    json!({"phase": "Succeeded", "conditions": [initialized, not_ready],
                       "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                         "state": {"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": ago(60)}}}]}),
                    one_container(),
                ),
                ("0/1", "Completed", "0"),
            ),
            (
                "Error",
                pod(
                    json!({"phase": "Failed", "conditions": [initialized, not_ready],
                       "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                         "state": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(60)}}}]}),
                    one_container(),
                ),
                ("0/1", "Error", "0"),
            ),
            (
                "OOMKilled",
                pod(
                    json!({"phase": "Running", "conditions": [initialized, not_ready],
                       "containerStatuses": [{"name": "c", "ready": false, "restartCount": 1,
                         "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": ago(5)}},
                         "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": ago(125)}}}]}),
                    one_container(),
                ),
                ("0/1", "OOMKilled", "1 (2m5s ago)"),
            ),
            (
                "terminated without reason: ExitCode",
                pod(
                    json!({"phase": "Running", "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                         "state": {"terminated": {"exitCode": 137}}}]}),
                    one_container(),
                ),
                ("0/1", "ExitCode:137", "0"),
            ),
            (
                "terminated without reason: Signal",
                pod(
                    json!({"phase": "Running", "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                         "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}),
                    one_container(),
                ),
                ("0/1", "Signal:9", "0"),
            ),
            (
                "Init:0/1",
                pod(
                    json!({"phase": "Pending", "conditions": [not_initialized, not_ready],
                       "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                         "state": {"running": {"startedAt": ago(10)}}}],
                       "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                         "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                    init_spec.clone(),
                ),
                ("0/1", "Init:0/1", "0"),
            ),
            (
                "Init:1/2",
                pod(
                    json!({"phase": "Pending", "conditions": [not_initialized],
                       "initContainerStatuses": [
                         {"name": "a", "ready": true, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                         {"name": "b", "ready": false, "restartCount": 0, "state": {"running": {"startedAt": ago(10)}}}]}),
                    json!({"initContainers": [{"name": "a"}, {"name": "b"}], "containers": [{"name": "c"}]}),
                ),
                ("0/1", "Init:1/2", "0"),
            ),
            (
                "Init:CrashLoopBackOff counts init restarts",
                pod(
                    json!({"phase": "Pending", "conditions": [not_initialized, not_ready],
                       "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 3,
                         "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                         "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(130)}}}],
                       "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                         "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                    init_spec.clone(),
                ),
                ("0/1", "Init:CrashLoopBackOff", "3 (2m10s ago)"),
            ),
            (
                "Init:Error",
                pod(
                    json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                         "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
                    init_spec.clone(),
                ),
                ("0/1", "Init:Error", "0"),
            ),
            (
                "Init:ExitCode",
                pod(
                    json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                         "state": {"terminated": {"exitCode": 3}}}]}),
                    init_spec.clone(),
                ),
                ("0/1", "Init:ExitCode:3", "0"),
            ),
            (
                "Init:Signal",
                pod(
                    json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "ready": false, "restartCount": 0,
                         "state": {"terminated": {"exitCode": 143, "signal": 15}}}]}),
                    init_spec.clone(),
                ),
                ("0/1", "Init:Signal:15", "0"),
            ),
            (
                "PodInitializing",
                pod(
                    json!({"phase": "Pending", "conditions": [initialized, not_ready],
                       "initContainerStatuses": [{"name": "init", "ready": true, "restartCount": 0,
                         "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                       "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                         "state": {"waiting": {"reason": "PodInitializing"}}}]}),
                    init_spec.clone(),
                ),
                ("0/1", "PodInitializing", "0"),
            ),
            (
                "ContainerCreating",
                pod(
                    json!({"phase": "Pending", "conditions": [initialized, not_ready],
                       "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                         "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
                    one_container(),
                ),
                ("0/1", "ContainerCreating", "0"),
            ),
            (
                "Pending, not scheduled yet",
                pod(
                    json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}),
                    one_container(),
                ),
                ("0/1", "Pending", "0"),
            ),
            (
                "SchedulingGated",
                pod(
                    json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
                    one_container(),
                ),
                ("0/1", "SchedulingGated", "0"),
            ),
            (
                "Terminating",
                {
                    let mut p = pod(
                        json!({"phase": "Running", "conditions": [initialized, ready],
                           "containerStatuses": [running_ready("c")]}),
                        one_container(),
                    );
                    p["metadata"]["deletionTimestamp"] = json!(ago(5));
                    p
                },
                ("1/1", "Terminating", "0"),
            ),
            (
                "Unknown: deleted on a lost node",
                {
                    let mut p = pod(
                        json!({"phase": "Running", "reason": "NodeLost", "conditions": [initialized, ready],
                           "containerStatuses": [running_ready("c")]}),
                        one_container(),
                    );
                    p["metadata"]["deletionTimestamp"] = json!(ago(5));
                    p
                },
                ("1/1", "Unknown", "0"),
            ),
            (
                "a terminal pod being deleted is not Terminating",
                {
                    let mut p = pod(
                        json!({"phase": "Succeeded", "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0,
                             "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
                        one_container(),
                    );
                    p["metadata"]["deletionTimestamp"] = json!(ago(5));
                    p
                },
                ("0/1", "Completed", "0"),
            ),
            (
                "NotReady: Completed + running container, pod not Ready",
                pod(
                    json!({"phase": "Running", "conditions": [initialized, not_ready],
                       "containerStatuses": [
                         {"name": "a", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                         running_ready("b")]}),
                    json!({"containers": [{"name": "a"}, {"name": "b"}]}),
                ),
                ("1/2", "NotReady", "0"),
            ),
            (
                "Running: Completed + running container, pod Ready",
                pod(
                    json!({"phase": "Running", "conditions": [initialized, ready],
                       "containerStatuses": [
                         {"name": "a", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                         running_ready("b")]}),
                    json!({"containers": [{"name": "a"}, {"name": "b"}]}),
                ),
                ("1/2", "Running", "0"),
            ),
            (
                "sidecar init container counted in READY and RESTARTS",
                pod(
                    json!({"phase": "Running", "conditions": [initialized, ready],
                       "initContainerStatuses": [
                         {"name": "setup", "ready": true, "restartCount": 1,
                          "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                          "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(60)}}},
                         {"name": "proxy", "ready": true, "started": true, "restartCount": 2,
                          "state": {"running": {"startedAt": ago(200)}},
                          "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(300)}}}],
                       "containerStatuses": [running_ready("app")]}),
                    json!({"initContainers": [{"name": "setup"}, {"name": "proxy", "restartPolicy": "Always"}],
                           "containers": [{"name": "app"}]}),
                ),
                ("2/2", "Running", "2 (5m ago)"),
            ),
            (
                "sidecar not started yet: Init:0/1",
                pod(
                    json!({"phase": "Pending", "conditions": [not_initialized],
                       "initContainerStatuses": [{"name": "proxy", "ready": false, "started": false, "restartCount": 0,
                          "state": {"running": {"startedAt": ago(2)}}}]}),
                    json!({"initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
                           "containers": [{"name": "app"}]}),
                ),
                ("0/2", "Init:0/1", "0"),
            ),
            (
                "Running 5/5",
                pod(
                    json!({"phase": "Running", "conditions": [initialized, ready],
                       "containerStatuses": [running_ready("a"), running_ready("b"), running_ready("c"),
                                             running_ready("d"), running_ready("e")]}),
                    json!({"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}, {"name": "e"}]}),
                ),
                ("5/5", "Running", "0"),
            ),
            (
                "restarts summed, newest finishedAt wins",
                pod(
                    json!({"phase": "Running", "conditions": [initialized, ready],
                       "containerStatuses": [
                         {"name": "a", "ready": true, "restartCount": 2, "state": {"running": {}},
                          "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(7200)}}},
                         {"name": "b", "ready": true, "restartCount": 3, "state": {"running": {}},
                          "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(120)}}}]}),
                    json!({"containers": [{"name": "a"}, {"name": "b"}]}),
                ),
                ("2/2", "Running", "5 (2m ago)"),
            ),
            (
                "restarts without a finishedAt print the bare count",
                pod(
                    json!({"phase": "Running", "containerStatuses": [
                         {"name": "c", "ready": true, "restartCount": 4, "state": {"running": {}}, "lastState": {}}]}),
                    one_container(),
                ),
                ("1/1", "Running", "4"),
            ),
            (
                "no status at all",
                json!({"metadata": {"name": "p"}, "spec": one_container()}),
                ("0/1", "", "0"),
            ),
        ];
        let mut failures = Vec::new();
        for (what, pod, (ready, status, restarts)) in &cases {
            let got = pod_ready_status_restarts(pod, now());
            let want = (ready.to_string(), status.to_string(), restarts.to_string());
            if got != want {
                failures.push(format!("{what}: got {got:?}, want {want:?}"));
            }
        }
        assert!(cases.len() >= 15);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn pod_row_matches_reference() {
        // smf-service-n0-0 of table-pods-smf-data.json (kube-apiserver 1.36).
        let pod = json!({
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "smf-service-n0-0", "namespace": "smf-data",
                         "creationTimestamp": "2026-11-24T12:40:09Z"},
            "spec": {"nodeName": "worker2", "containers": [{"name": "smf-service",
                     "image": "registry.smi.example/smi-fuse/smf/smf-service:1.0.4-0212"}]},
            "status": {
                "phase": "Running",
                "conditions": [
                    {"type": "PodReadyToStartContainers", "status": "True"},
                    {"type": "Initialized", "status": "True"},
                    {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
                    {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady"},
                    {"type": "PodScheduled", "status": "True"}],
                "hostIP": "127.0.0.1",
                "podIP": "192.168.112.75", "podIPs": [{"ip": "192.168.112.75"}],
                "containerStatuses": [{
                    "name": "smf-service",
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container"}},
                    "lastState": {"terminated": {"exitCode": 2, "reason": "Error",
                        "startedAt": "2026-11-24T19:24:39Z", "finishedAt": "2026-11-24T19:30:39Z"}},
                    "ready": false, "restartCount": 5, "started": false}],
                "qosClass": "Burstable"}
        });
        assert_eq!(
            cells("pods", &pod, now()),
            json!([
                "smf-service-n0-0",
                "0/1",
                "CrashLoopBackOff",
                "5 (13m ago)",
                "7h4m",
                "192.168.112.75",
                "worker2",
                "<none>",
                "<none>"
            ])
            .as_array()
            .unwrap()
            .clone()
        );

        // Wide columns: podIPs only, nominated node, readiness gates.
        let pod = json!({
            "metadata": {"name": "gated", "creationTimestamp": ago(30)},
            "spec": {"containers": [{"name": "c"}],
                     "readinessGates": [{"conditionType": "example.com/a"}, {"conditionType": "example.com/b"}]},
            "status": {"phase": "Pending", "nominatedNodeName": "worker3",
                       "podIPs": [{"ip": "fd00::5"}, {"ip": "10.0.0.5"}],
                       "conditions": [{"type": "example.com/a", "status": "True"},
                                      {"type": "example.com/b", "status": "False"}]}
        });
        assert_eq!(
            cells("pods", &pod, now()),
            vec![
                json!("gated"),
                json!("0/1"),
                json!("Pending"),
                json!("0"),
                json!("30s"),
                json!("fd00::5"),
                json!("<none>"),
                json!("worker3"),
                json!("1/2")
            ]
        );
    }

    #[test]
    fn human_duration_matches_upstream() {
        let cases: &[(i64, &str)] = &[
            (-3, "<invalid>"),
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (59, "59s"),
            (60, "60s"),
            (90, "90s"),
            (119, "119s"),
            (120, "2m"),
            (121, "2m1s"),
            (577, "9m37s"),
            (599, "9m59s"),
            (600, "10m"),
            (659, "10m"),
            (2 * 3600 + 5 * 60, "125m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 60, "3h1m"),
            (7 * 3600 + 60 + 59, "7h1m"),
            (7 * 3600 + 4 * 60, "7h4m"),
            (8 * 3600 - 1, "7h59m"),
            (8 * 3600, "8h"),
            (47 * 3600 + 3599, "47h"),
            (48 * 3600, "2d"),
            (4 * 86400 + 18 * 3600, "4d18h"),
            (6 * 86400 + 3599, "6d"),
            (6 * 86400 + 2 * 3600, "6d2h"),
            (8 * 86400 - 1, "7d23h"),
            (8 * 86400, "8d"),
            (729 * 86400, "729d"),
            (730 * 86400, "2y"),
            (731 * 86400, "2y1d"),
            (8 * 365 * 86400 - 1, "7y364d"),
            (8 * 365 * 86400, "8y"),
            (10 * 365 * 86400 + 100 * 86400, "10y"),
        ];
        for &(secs, want) in cases {
            assert_eq!(
                human_duration(SignedDuration::from_secs(secs)),
                want,
                "{secs}s"
            );
        }
        // Sub-second parts truncate toward zero, like Go's int(d.Seconds()).
        assert_eq!(human_duration(SignedDuration::from_millis(-1999)), "0s");
        assert_eq!(human_duration(SignedDuration::from_millis(119_999)), "119s");
    }

    fn row(v: Value) -> Vec<Value> {
        v.as_array().unwrap().clone()
    }

    #[test]
    fn columns_match_reference() {
        type Def = (&'static str, &'static str, &'static str, u32);
        let expect: &[(&str, &[Def])] = &[
            (
                "pods",
                &[
                    ("Name", "string", "name", 0),
                    ("Ready", "string", "", 0),
                    ("Status", "string", "", 0),
                    ("Restarts", "string", "", 0),
                    ("Age", "string", "", 0),
                    ("IP", "string", "", 1),
                    ("Node", "string", "", 1),
                    ("Nominated Node", "string", "", 1),
                    ("Readiness Gates", "string", "", 1),
                ],
            ),
            (
                "services",
                &[
                    ("Name", "string", "name", 0),
                    ("Type", "string", "", 0),
                    ("Cluster-IP", "string", "", 0),
                    ("External-IP", "string", "", 0),
                    ("Port(s)", "string", "", 0),
                    ("Age", "string", "", 0),
                    ("Selector", "string", "", 1),
                ],
            ),
            (
                "namespaces",
                &[
                    ("Name", "string", "name", 0),
                    ("Status", "string", "", 0),
                    ("Age", "string", "", 0),
                ],
            ),
            (
                "nodes",
                &[
                    ("Name", "string", "name", 0),
                    ("Status", "string", "", 0),
                    ("Roles", "string", "", 0),
                    ("Age", "string", "", 0),
                    ("Version", "string", "", 0),
                    ("Internal-IP", "string", "", 1),
                    ("External-IP", "string", "", 1),
                    ("OS-Image", "string", "", 1),
                    ("Kernel-Version", "string", "", 1),
                    ("Container-Runtime", "string", "", 1),
                ],
            ),
            (
                "ingresses",
                &[
                    ("Name", "string", "name", 0),
                    ("Class", "string", "", 0),
                    ("Hosts", "string", "", 0),
                    ("Address", "string", "", 0),
                    ("Ports", "string", "", 0),
                    ("Age", "string", "", 0),
                ],
            ),
            (
                "events",
                &[
                    ("Last Seen", "string", "", 0),
                    ("Type", "string", "", 0),
                    ("Reason", "string", "", 0),
                    ("Object", "string", "", 0),
                    ("Subobject", "string", "", 1),
                    ("Source", "string", "", 1),
                    ("Message", "string", "", 0),
                    ("First Seen", "string", "", 1),
                    ("Count", "string", "", 1),
                    ("Name", "string", "name", 1),
                ],
            ),
            (
                "deployments",
                &[
                    ("Name", "string", "name", 0),
                    ("Ready", "string", "", 0),
                    ("Up-to-date", "string", "", 0),
                    ("Available", "string", "", 0),
                    ("Age", "string", "", 0),
                    ("Containers", "string", "", 1),
                    ("Images", "string", "", 1),
                    ("Selector", "string", "", 1),
                ],
            ),
            (
                "statefulsets",
                &[
                    ("Name", "string", "name", 0),
                    ("Ready", "string", "", 0),
                    ("Age", "string", "", 0),
                    ("Containers", "string", "", 1),
                    ("Images", "string", "", 1),
                ],
            ),
            (
                "daemonsets",
                &[
                    ("Name", "string", "name", 0),
                    ("Desired", "integer", "", 0),
                    ("Current", "integer", "", 0),
                    ("Ready", "integer", "", 0),
                    ("Up-to-date", "integer", "", 0),
                    ("Available", "integer", "", 0),
                    ("Node Selector", "string", "", 0),
                    ("Age", "string", "", 0),
                    ("Containers", "string", "", 1),
                    ("Images", "string", "", 1),
                    ("Selector", "string", "", 1),
                ],
            ),
            (
                "replicasets",
                &[
                    ("Name", "string", "name", 0),
                    ("Desired", "integer", "", 0),
                    ("Current", "integer", "", 0),
                    ("Ready", "integer", "", 0),
                    ("Age", "string", "", 0),
                    ("Containers", "string", "", 1),
                    ("Images", "string", "", 1),
                    ("Selector", "string", "", 1),
                ],
            ),
            (
                "configmaps",
                &[
                    ("Name", "string", "name", 0),
                    ("Data", "string", "", 0),
                    ("Age", "string", "", 0),
                ],
            ),
            (
                "secrets",
                &[
                    ("Name", "string", "name", 0),
                    ("Type", "string", "", 0),
                    ("Data", "string", "", 0),
                    ("Age", "string", "", 0),
                ],
            ),
            (
                "endpoints",
                &[
                    ("Name", "string", "name", 0),
                    ("Endpoints", "string", "", 0),
                    ("Age", "string", "", 0),
                ],
            ),
            (
                "widgets",
                &[("Name", "string", "name", 0), ("Age", "date", "", 0)],
            ),
        ];
        for (resource, want) in expect {
            let got: Vec<(&str, &str, &str, u32)> = columns(resource)
                .iter()
                .map(|c| (c.name, c.type_, c.format, c.priority))
                .collect();
            assert_eq!(&got, want, "{resource}");
            assert!(
                columns(resource).iter().all(|c| !c.description.is_empty()),
                "{resource}"
            );
        }
        assert_eq!(columns("pods")[3].description, POD_RESTARTS_DESC);
        assert!(
            columns("events")[4]
                .description
                .starts_with("If referring to a piece of an object")
        );
    }

    #[test]
    fn services() {
        let svc = |spec: Value, status: Value| {
            json!({"metadata": {"name": "s", "creationTimestamp": "2026-11-18T19:33:09Z"},
                   "spec": spec, "status": status})
        };
        let cases: Vec<(Value, Vec<Value>)> = vec![
            // gtpc-ep of table-services-smf-data.json
            (
                json!({"metadata": {"name": "gtpc-ep", "namespace": "smf-data", "creationTimestamp": "2026-11-18T19:33:09Z"},
                       "spec": {"type": "ClusterIP", "clusterIP": "10.99.49.25", "clusterIPs": ["10.99.49.25"],
                                "externalIPs": ["10.10.10.201"], "selector": {"app": "gtpc-ep"},
                                "ports": [{"name": "grpc", "port": 9003, "protocol": "TCP", "targetPort": 9003},
                                          {"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 8080}]},
                       "status": {"loadBalancer": {}}}),
                row(json!([
                    "gtpc-ep",
                    "ClusterIP",
                    "10.99.49.25",
                    "10.10.10.201",
                    "9003/TCP,8080/TCP",
                    "6d",
                    "app=gtpc-ep"
                ])),
            ),
            // etcd (headless) of the same table
            (
                json!({"metadata": {"name": "etcd", "creationTimestamp": "2026-11-18T19:33:09Z"},
                       "spec": {"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"],
                                "selector": {"app": "etcd"},
                                "ports": [{"port": 2379, "protocol": "TCP"}, {"port": 7070, "protocol": "TCP"}]}}),
                row(json!([
                    "etcd",
                    "ClusterIP",
                    "None",
                    "<none>",
                    "2379/TCP,7070/TCP",
                    "6d",
                    "app=etcd"
                ])),
            ),
            (
                svc(
                    json!({"type": "NodePort", "clusterIP": "10.0.0.9",
                           "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                           "selector": {"b": "2", "a": "1"}}),
                    json!({}),
                ),
                row(json!([
                    "s",
                    "NodePort",
                    "10.0.0.9",
                    "<none>",
                    "80:30080/TCP,53/UDP",
                    "6d",
                    "a=1,b=2"
                ])),
            ),
            (
                svc(
                    json!({"type": "LoadBalancer", "clusterIPs": ["10.0.0.7"], "ports": [{"port": 443, "nodePort": 31443}]}),
                    json!({"loadBalancer": {}}),
                ),
                row(json!([
                    "s",
                    "LoadBalancer",
                    "10.0.0.7",
                    "<pending>",
                    "443:31443/TCP",
                    "6d",
                    "<none>"
                ])),
            ),
            (
                svc(
                    json!({"type": "LoadBalancer", "clusterIPs": ["10.0.0.7"], "ports": [{"port": 443}]}),
                    json!({"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}, {"ip": "203.0.113.9"},
                                                        {"ip": "203.0.113.10", "hostname": "x"}]}}),
                ),
                row(json!([
                    "s",
                    "LoadBalancer",
                    "10.0.0.7",
                    "203.0.113.10,203.0.113.9,lb.example.com",
                    "443/TCP",
                    "6d",
                    "<none>"
                ])),
            ),
            (
                svc(
                    json!({"type": "LoadBalancer", "clusterIPs": ["10.0.0.7"], "externalIPs": ["198.51.100.1"], "ports": []}),
                    json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}),
                ),
                row(json!([
                    "s",
                    "LoadBalancer",
                    "10.0.0.7",
                    "203.0.113.9,198.51.100.1",
                    "<none>",
                    "6d",
                    "<none>"
                ])),
            ),
            (
                svc(
                    json!({"type": "ExternalName", "externalName": "db.example.com"}),
                    json!({}),
                ),
                row(json!([
                    "s",
                    "ExternalName",
                    "<none>",
                    "db.example.com",
                    "<none>",
                    "6d",
                    "<none>"
                ])),
            ),
            (
                // Not defaulted by the simulator: type ClusterIP, protocol TCP.
                svc(
                    json!({"clusterIP": "10.0.0.1", "ports": [{"port": 8080}]}),
                    json!({}),
                ),
                row(json!([
                    "s",
                    "ClusterIP",
                    "10.0.0.1",
                    "<none>",
                    "8080/TCP",
                    "6d",
                    "<none>"
                ])),
            ),
        ];
        for (obj, want) in cases {
            assert_eq!(cells("services", &obj, now()), want, "{obj}");
        }
    }

    #[test]
    fn namespaces() {
        // smf-data of table-namespaces.json
        let ns = json!({"metadata": {"name": "smf-data", "creationTimestamp": "2026-11-18T17:33:09Z"},
                        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
        assert_eq!(
            cells("namespaces", &ns, now()),
            row(json!(["smf-data", "Active", "6d2h"]))
        );
        let ns = json!({"metadata": {"name": "gone", "creationTimestamp": ago(10),
                                     "deletionTimestamp": ago(1)},
                        "status": {"phase": "Terminating"}});
        assert_eq!(
            cells("namespaces", &ns, now()),
            row(json!(["gone", "Terminating", "10s"]))
        );
        let ns = json!({"metadata": {"name": "bare"}});
        assert_eq!(
            cells("namespaces", &ns, now()),
            row(json!(["bare", "Active", "<unknown>"]))
        );
    }

    #[test]
    fn nodes() {
        // master1 of table-nodes.json
        let master1 = json!({
            "metadata": {"name": "master1", "creationTimestamp": "2026-11-18T17:23:09Z",
                "labels": {"beta.kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "master1",
                           "node-role.kubernetes.io/control-plane": "", "node-type": "oam"}},
            "spec": {},
            "status": {
                "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "DiskPressure", "status": "False"},
                               {"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": "master1"}],
                "nodeInfo": {"kubeletVersion": "v1.36.2", "osImage": "Ubuntu 20.04.6 LTS",
                             "kernelVersion": "5.4.0-169-generic (amd64)", "containerRuntimeVersion": "containerd://1.7.12"}}
        });
        assert_eq!(
            cells("nodes", &master1, now()),
            row(json!([
                "master1",
                "Ready",
                "control-plane",
                "6d2h",
                "v1.36.2",
                "127.0.0.1",
                "<none>",
                "Ubuntu 20.04.6 LTS",
                "5.4.0-169-generic (amd64)",
                "containerd://1.7.12"
            ]))
        );

        let sick = json!({
            "metadata": {"name": "worker9", "creationTimestamp": ago(600),
                "labels": {"kubernetes.io/role": "worker", "node-role.kubernetes.io/ingress": "",
                           "node-role.kubernetes.io/": "x", "node-role.kubernetes.io/worker": ""}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "Unknown"}],
                       "addresses": [{"type": "ExternalIP", "address": "198.51.100.7"},
                                     {"type": "InternalIP", "address": "10.1.0.9"},
                                     {"type": "InternalIP", "address": "10.1.0.10"}],
                       "nodeInfo": {"kubeletVersion": "v1.36.2"}}
        });
        assert_eq!(
            cells("nodes", &sick, now()),
            row(json!([
                "worker9",
                "NotReady,SchedulingDisabled",
                "ingress,worker",
                "10m",
                "v1.36.2",
                "10.1.0.9",
                "198.51.100.7",
                "<unknown>",
                "<unknown>",
                "<unknown>"
            ]))
        );

        let bare = json!({"metadata": {"name": "n", "creationTimestamp": ago(5)}});
        assert_eq!(
            cells("nodes", &bare, now()),
            row(json!([
                "n",
                "Unknown",
                "<none>",
                "5s",
                "",
                "<none>",
                "<none>",
                "<unknown>",
                "<unknown>",
                "<unknown>"
            ]))
        );
    }

    #[test]
    fn ingresses() {
        // grafana-ingress of table-ingresses-cee-cee.json
        let grafana = json!({
            "metadata": {"name": "grafana-ingress", "namespace": "cee-cee", "creationTimestamp": "2026-11-18T01:33:09Z"},
            "spec": {"ingressClassName": "nginx",
                     "tls": [{"hosts": ["grafana.192.168.208.10.nip.io"], "secretName": "grafana-tls"}],
                     "rules": [{"host": "grafana.192.168.208.10.nip.io", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                "backend": {"service": {"name": "grafana", "port": {"number": 3000}}}}]}}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "192.168.208.10"}]}}
        });
        assert_eq!(
            cells("ingresses", &grafana, now()),
            row(json!([
                "grafana-ingress",
                "nginx",
                "grafana.192.168.208.10.nip.io",
                "192.168.208.10",
                "80, 443",
                "6d18h"
            ]))
        );

        let many = json!({
            "metadata": {"name": "many", "creationTimestamp": ago(100)},
            "spec": {"rules": [{"host": "a"}, {"http": {}}, {"host": "b"}, {"host": "c"}, {"host": "d"}, {"host": "e"}]},
            "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}
        });
        assert_eq!(
            cells("ingresses", &many, now()),
            row(json!([
                "many",
                "<none>",
                "a,b,c + 3 more...",
                "lb.example.com",
                "80",
                "100s"
            ]))
        );

        let empty = json!({"metadata": {"name": "default-backend", "creationTimestamp": ago(100)},
                           "spec": {"defaultBackend": {"service": {"name": "x", "port": {"number": 80}}}}});
        assert_eq!(
            cells("ingresses", &empty, now()),
            row(json!(["default-backend", "<none>", "*", "", "80", "100s"]))
        );
    }

    #[test]
    fn events() {
        // smf-service-n0-0.1383dc7b89a293ff (BackOff) of table-events-smf-data.json
        let backoff = json!({
            "metadata": {"name": "smf-service-n0-0.1383dc7b89a293ff", "namespace": "smf-data",
                         "creationTimestamp": "2026-11-24T18:55:09Z"},
            "involvedObject": {"kind": "Pod", "namespace": "smf-data", "name": "smf-service-n0-0",
                               "apiVersion": "v1", "fieldPath": "spec.containers{smf-service}"},
            "reason": "BackOff",
            "message": "Back-off restarting failed container smf-service in pod smf-service-n0-0_smf-data(bc63cee7-5153-48cf-9feb-f016f8097b1f)",
            "source": {"component": "kubelet", "host": "worker2"},
            "firstTimestamp": ago(49 * 60 + 1),
            "lastTimestamp": ago(11 * 60 + 30),
            "count": 27,
            "type": "Warning",
            "eventTime": null,
            "reportingComponent": "kubelet",
            "reportingInstance": "worker2"
        });
        assert_eq!(
            cells("events", &backoff, now()),
            row(json!([
                "11m",
                "Warning",
                "BackOff",
                "pod/smf-service-n0-0",
                "spec.containers{smf-service}",
                "kubelet, worker2",
                "Back-off restarting failed container smf-service in pod smf-service-n0-0_smf-data(bc63cee7-5153-48cf-9feb-f016f8097b1f)",
                "49m",
                27,
                "smf-service-n0-0.1383dc7b89a293ff"
            ]))
        );

        // smf-service-n0-0.f614a73b351a7b5f (Scheduled): no host, no count.
        let scheduled = json!({
            "metadata": {"name": "smf-service-n0-0.f614a73b351a7b5f", "creationTimestamp": "2026-11-24T12:40:09Z"},
            "involvedObject": {"kind": "Pod", "name": "smf-service-n0-0"},
            "reason": "Scheduled", "type": "Normal",
            "message": "Successfully assigned smf-data/smf-service-n0-0 to worker2\n",
            "source": {"component": "default-scheduler"},
            "firstTimestamp": "2026-11-24T12:40:09Z", "lastTimestamp": "2026-11-24T12:40:09Z"
        });
        assert_eq!(
            cells("events", &scheduled, now()),
            row(json!([
                "7h4m",
                "Normal",
                "Scheduled",
                "pod/smf-service-n0-0",
                "",
                "default-scheduler",
                "Successfully assigned smf-data/smf-service-n0-0 to worker2",
                "7h4m",
                1,
                "smf-service-n0-0.f614a73b351a7b5f"
            ]))
        );

        // events.k8s.io-style: eventTime, series, reporting controller.
        let series = json!({
            "metadata": {"name": "n.1"},
            "involvedObject": {"kind": "Node", "name": "worker1"},
            "reason": "Rebooted", "type": "Warning", "message": "  rebooted  ",
            "eventTime": "2026-11-24T19:14:10.123456Z",
            "series": {"count": 4, "lastObservedTime": "2026-11-24T19:42:10.000001Z"},
            "reportingComponent": "kubelet", "reportingInstance": "worker1",
            "source": {}
        });
        assert_eq!(
            cells("events", &series, now()),
            // 1m59.999999s and 29m59.876544s: sub-seconds truncate, as in Go.
            row(json!([
                "119s",
                "Warning",
                "Rebooted",
                "node/worker1",
                "",
                "kubelet, worker1",
                "rebooted",
                "29m",
                4,
                "n.1"
            ]))
        );

        // No times at all, no involved object name.
        let bare = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "ClusterRole"}, "count": 0});
        assert_eq!(
            cells("events", &bare, now()),
            row(json!([
                "<unknown>",
                "",
                "",
                "clusterrole",
                "",
                "",
                "",
                "<unknown>",
                1,
                "e"
            ]))
        );
    }

    #[test]
    fn deployments() {
        // cdl-ep-session-c1 of table-deployments-smf-data.json
        let d = json!({
            "metadata": {"name": "cdl-ep-session-c1", "namespace": "smf-data", "creationTimestamp": "2026-11-24T12:39:39Z"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "cdl-ep-session-c1"}},
                     "template": {"metadata": {"labels": {"app": "cdl-ep-session-c1"}},
                                  "spec": {"containers": [{"name": "cdl-ep-session",
                                      "image": "registry.smi.example/smi-fuse/cdl/cdl-ep:1.0.4-0212"}]}}},
            "status": {"replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}
        });
        assert_eq!(
            cells("deployments", &d, now()),
            row(json!([
                "cdl-ep-session-c1",
                "2/2",
                2,
                2,
                "7h4m",
                "cdl-ep-session",
                "registry.smi.example/smi-fuse/cdl/cdl-ep:1.0.4-0212",
                "app=cdl-ep-session-c1"
            ]))
        );

        let d = json!({
            "metadata": {"name": "web", "creationTimestamp": ago(90)},
            "spec": {"selector": {"matchLabels": {"tier": "web", "app": "shop"},
                                  "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "canary"]},
                                                       {"key": "zone", "operator": "NotIn", "values": ["x"]},
                                                       {"key": "beta", "operator": "Exists"},
                                                       {"key": "legacy", "operator": "DoesNotExist"}]},
                     "template": {"spec": {"containers": [{"name": "a", "image": "ia"}, {"name": "b", "image": "ib"}]}}},
            "status": {}
        });
        assert_eq!(
            cells("deployments", &d, now()),
            row(json!([
                "web",
                "0/1",
                0,
                0,
                "90s",
                "a,b",
                "ia,ib",
                "app=shop,beta,env in (canary,prod),!legacy,tier=web,zone notin (x)"
            ]))
        );

        let bad = json!({"metadata": {"name": "bad"},
                         "spec": {"replicas": 0, "selector": {"matchExpressions": [{"key": "k", "operator": "Near"}]}}});
        assert_eq!(
            cells("deployments", &bad, now()),
            row(json!([
                "bad",
                "0/0",
                0,
                0,
                "<unknown>",
                "",
                "",
                "<invalid>"
            ]))
        );
    }

    #[test]
    fn statefulsets() {
        // smf-service-n0 of table-statefulsets-smf-data.json
        let s = json!({
            "metadata": {"name": "smf-service-n0", "namespace": "smf-data", "creationTimestamp": "2026-11-24T12:39:39Z"},
            "spec": {"replicas": 1, "serviceName": "smf-service", "selector": {"matchLabels": {"app": "smf-service"}},
                     "template": {"spec": {"containers": [{"name": "smf-service",
                         "image": "registry.smi.example/smi-fuse/smf/smf-service:1.0.4-0212"}]}}},
            "status": {"replicas": 1, "readyReplicas": 0, "currentReplicas": 1}
        });
        assert_eq!(
            cells("statefulsets", &s, now()),
            row(json!([
                "smf-service-n0",
                "0/1",
                "7h4m",
                "smf-service",
                "registry.smi.example/smi-fuse/smf/smf-service:1.0.4-0212"
            ]))
        );
        // zookeeper, 3/3
        let s = json!({
            "metadata": {"name": "zookeeper", "creationTimestamp": "2026-11-24T12:39:39Z"},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "zookeeper",
                         "image": "registry.smi.example/smi-fuse/cee/zookeeper:3.5.7"}]}}},
            "status": {"replicas": 3, "readyReplicas": 3}
        });
        assert_eq!(
            cells("statefulsets", &s, now()),
            row(json!([
                "zookeeper",
                "3/3",
                "7h4m",
                "zookeeper",
                "registry.smi.example/smi-fuse/cee/zookeeper:3.5.7"
            ]))
        );
    }

    #[test]
    fn daemonsets() {
        let ds = json!({
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "creationTimestamp": "2026-11-18T17:23:09Z"},
            "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                     "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                         "containers": [{"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.36.2"}]}}},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                       "updatedNumberScheduled": 3, "numberAvailable": 2}
        });
        assert_eq!(
            cells("daemonsets", &ds, now()),
            row(json!([
                "kube-proxy",
                3,
                3,
                2,
                3,
                2,
                "kubernetes.io/os=linux",
                "6d2h",
                "kube-proxy",
                "registry.k8s.io/kube-proxy:v1.36.2",
                "k8s-app=kube-proxy"
            ]))
        );
        let ds = json!({"metadata": {"name": "empty", "creationTimestamp": ago(5)}, "spec": {"selector": {}}});
        assert_eq!(
            cells("daemonsets", &ds, now()),
            row(json!([
                "empty", 0, 0, 0, 0, 0, "<none>", "5s", "", "", "<none>"
            ]))
        );
    }

    #[test]
    fn replicasets() {
        let rs = json!({
            "metadata": {"name": "cdl-ep-session-c1-dbb5f7874", "creationTimestamp": "2026-11-24T12:39:39Z"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "cdl-ep-session-c1", "pod-template-hash": "dbb5f7874"}},
                     "template": {"spec": {"containers": [{"name": "cdl-ep-session",
                         "image": "registry.smi.example/smi-fuse/cdl/cdl-ep:1.0.4-0212"}]}}},
            "status": {"replicas": 2, "readyReplicas": 1}
        });
        assert_eq!(
            cells("replicasets", &rs, now()),
            row(json!([
                "cdl-ep-session-c1-dbb5f7874",
                2,
                2,
                1,
                "7h4m",
                "cdl-ep-session",
                "registry.smi.example/smi-fuse/cdl/cdl-ep:1.0.4-0212",
                "app=cdl-ep-session-c1,pod-template-hash=dbb5f7874"
            ]))
        );
        let rs = json!({"metadata": {"name": "old", "creationTimestamp": ago(3 * 86400)},
                        "spec": {"replicas": 0, "selector": {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}},
                        "status": {"replicas": 0}});
        assert_eq!(
            cells("replicasets", &rs, now()),
            row(json!(["old", 0, 0, 0, "3d", "", "", "<error>"]))
        );
    }

    #[test]
    fn configmaps_and_secrets() {
        let cm = json!({"metadata": {"name": "kube-root-ca.crt", "creationTimestamp": "2026-11-18T17:33:09Z"},
                        "data": {"ca.crt": "-----BEGIN CERTIFICATE-----"}});
        assert_eq!(
            cells("configmaps", &cm, now()),
            row(json!(["kube-root-ca.crt", 1, "6d2h"]))
        );
        let cm = json!({"metadata": {"name": "mixed", "creationTimestamp": ago(42)},
                        "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AAE="}});
        assert_eq!(
            cells("configmaps", &cm, now()),
            row(json!(["mixed", 3, "42s"]))
        );
        let cm = json!({"metadata": {"name": "empty", "creationTimestamp": ago(42)}});
        assert_eq!(
            cells("configmaps", &cm, now()),
            row(json!(["empty", 0, "42s"]))
        );

        let secret = json!({"metadata": {"name": "grafana-tls", "creationTimestamp": ago(7200)},
                            "type": "kubernetes.io/tls", "data": {"tls.crt": "eA==", "tls.key": "eQ=="}});
        assert_eq!(
            cells("secrets", &secret, now()),
            row(json!(["grafana-tls", "kubernetes.io/tls", 2, "120m"]))
        );
        let secret = json!({"metadata": {"name": "creds", "creationTimestamp": ago(61)},
                            "data": {"user": "dQ=="}, "stringData": {"user": "u", "password": "p"}});
        assert_eq!(
            cells("secrets", &secret, now()),
            row(json!(["creds", "Opaque", 2, "61s"]))
        );
    }

    #[test]
    fn endpoints() {
        let ep = |subsets: Value| json!({"metadata": {"name": "svc", "creationTimestamp": "2026-11-18T19:33:09Z"}, "subsets": subsets});
        let cases: Vec<(Value, &str)> = vec![
            (
                json!({"metadata": {"name": "svc", "creationTimestamp": "2026-11-18T19:33:09Z"}}),
                "<none>",
            ),
            (
                ep(
                    json!([{"addresses": [{"ip": "192.168.112.75"}], "ports": [{"name": "grpc", "port": 9003}]}]),
                ),
                "192.168.112.75:9003",
            ),
            (
                ep(
                    json!([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
                        "ports": [{"port": 9003}, {"port": 8080}]}]),
                ),
                "10.0.0.1:9003,10.0.0.2:9003,10.0.0.1:8080 + 1 more...",
            ),
            (
                ep(
                    json!([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]},
                       {"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 53}]}]),
                ),
                "10.0.0.1,10.0.0.2,[fd00::1]:53",
            ),
            (
                ep(json!([{"notReadyAddresses": [{"ip": "10.0.0.3"}], "ports": [{"port": 80}]}])),
                "",
            ),
        ];
        for (obj, want) in cases {
            assert_eq!(
                cells("endpoints", &obj, now()),
                row(json!(["svc", want, "6d"])),
                "{obj}"
            );
        }
    }

    #[test]
    fn unknown_resources_get_name_and_age() {
        let obj = json!({"metadata": {"name": "w", "creationTimestamp": ago(125)}});
        assert_eq!(cells("widgets", &obj, now()), row(json!(["w", "2m5s"])));
        assert_eq!(columns("widgets").len(), 2);
    }

    #[test]
    fn cells_follow_columns() {
        let obj = json!({"metadata": {"name": "x"}});
        for resource in [
            "pods",
            "services",
            "namespaces",
            "nodes",
            "ingresses",
            "events",
            "deployments",
            "statefulsets",
            "daemonsets",
            "replicasets",
            "configmaps",
            "secrets",
            "endpoints",
            "widgets",
        ] {
            assert_eq!(
                cells(resource, &obj, now()).len(),
                columns(resource).len(),
                "{resource}"
            );
        }
    }
}
