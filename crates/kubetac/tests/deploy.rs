//! The in-cluster deployment, deploy/: rendered with `kubectl kustomize`
//! (what `kubectl apply -k deploy/` applies) and checked object by object —
//! every object once, the ops center's Deployment as the README describes
//! it, read-only RBAC with what the commands need, the Service and Ingress
//! in front of the right ports, the agent from deploy/agent/, an image an
//! overlay can replace for both, and no field Kubernetes does not know.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .canonicalize()
        .expect("deploy/ exists at the workspace root")
}

/// `kubectl kustomize DIR`, parsed: one JSON value per document.
fn render(dir: &Path) -> Vec<Value> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("running kubectl (v1.32; ./scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "kubectl kustomize {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).expect("kustomize output is YAML");
    let docs: Vec<Value> = docs.into_iter().filter(|d| !d.is_null()).collect();
    assert!(!docs.is_empty(), "nothing rendered");
    docs
}

fn kind_of(d: &Value) -> &str {
    d["kind"].as_str().unwrap_or_default()
}

fn name_of(d: &Value) -> &str {
    d["metadata"]["name"].as_str().unwrap_or_default()
}

/// The one object of this kind and name (fails if none or several).
fn one<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    let found: Vec<&Value> = docs
        .iter()
        .filter(|d| kind_of(d) == kind && name_of(d) == name)
        .collect();
    assert_eq!(found.len(), 1, "{kind} {name}: found {} times", found.len());
    found[0]
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The value following `flag` in an argument list.
fn flag<'a>(args: &[&'a str], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| *a == flag)
        .and_then(|i| args.get(i + 1).copied())
}

fn ops_center(docs: &[Value]) -> &Value {
    one(docs, "Deployment", "show-tac-manager")
}

fn container(deploy: &Value) -> &Value {
    let cs = deploy["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers");
    assert_eq!(cs.len(), 1, "one container");
    &cs[0]
}

/// A port given by name or number, as the container's number.
fn container_port(c: &Value, port: &Value) -> u64 {
    if let Some(n) = port.as_u64() {
        return n;
    }
    let name = port.as_str().expect("port name or number");
    c["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
        .and_then(|p| p["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("no container port named {name}"))
}

#[test]
fn every_object_is_there_once() {
    let docs = render(&deploy_dir());
    let expected = [
        ("Namespace", "kubetac"),
        ("ServiceAccount", "kubetac-ops-center"),
        ("ClusterRole", "kubetac-ops-center"),
        ("ClusterRoleBinding", "kubetac-ops-center"),
        ("PersistentVolumeClaim", "kubetac-store"),
        ("Deployment", "show-tac-manager"),
        ("Service", "show-tac-manager"),
        ("Ingress", "show-tac-manager-ingress"),
        // deploy/agent/
        ("ServiceAccount", "kubetac-agent"),
        ("ClusterRole", "kubetac-agent-reader"),
        ("DaemonSet", "kubetac-agent"),
    ];
    for (kind, name) in expected {
        one(&docs, kind, name);
    }
    assert_eq!(
        docs.iter().filter(|d| kind_of(d) == "Namespace").count(),
        1,
        "one Namespace (the agent's)"
    );
    // No object twice, and every namespaced one in kubetac.
    let mut seen = BTreeMap::new();
    for d in &docs {
        let ns = d["metadata"]["namespace"].as_str().unwrap_or_default();
        let key = (
            kind_of(d).to_string(),
            ns.to_string(),
            name_of(d).to_string(),
        );
        *seen.entry(key).or_insert(0) += 1;
        let cluster_scoped = matches!(
            kind_of(d),
            "Namespace" | "ClusterRole" | "ClusterRoleBinding"
        );
        if !cluster_scoped {
            assert_eq!(ns, "kubetac", "{} {}", kind_of(d), name_of(d));
        }
        assert_eq!(
            d["metadata"]["labels"]["app.kubernetes.io/part-of"],
            "kubetac",
            "{} {}",
            kind_of(d),
            name_of(d)
        );
    }
    let dups: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "duplicates: {dups:?}");
    // The ops center's own objects carry its name and component.
    for (kind, name) in &expected[1..8] {
        let labels = &one(&docs, kind, name)["metadata"]["labels"];
        assert_eq!(labels["app.kubernetes.io/name"], "kubetac", "{kind} {name}");
        assert_eq!(
            labels["app.kubernetes.io/component"], "ops-center",
            "{kind} {name}"
        );
    }
}

#[test]
fn the_ops_center_deployment_runs_serve_over_the_store() {
    let docs = render(&deploy_dir());
    let d = ops_center(&docs);
    assert_eq!(d["spec"]["replicas"], 1);
    assert_eq!(
        d["spec"]["strategy"]["type"], "Recreate",
        "RWO store: never two pods"
    );
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "kubetac-ops-center");
    one(&docs, "ServiceAccount", "kubetac-ops-center");
    assert_ne!(
        pod["automountServiceAccountToken"], false,
        "needs its token"
    );

    let c = container(d);
    assert_eq!(c["name"], "show-tac-manager", "the guide's container name");
    let args = strs(&c["args"]);
    assert_eq!(args.first(), Some(&"serve"), "args: {args:?}");
    assert_eq!(flag(&args, "--store"), Some("/home/tac"));
    assert_eq!(flag(&args, "--ssh-addr"), Some("0.0.0.0:2024"));
    assert_eq!(flag(&args, "--https-addr"), Some("0.0.0.0:8443"));
    assert_eq!(flag(&args, "--users"), Some("/etc/kubetac/users/users"));
    // The wrapper adds the TLS flags only when the optional Secret is there,
    // and execs kubetac (PID 1, gets the stop signal).
    let command = strs(&c["command"]);
    let script = command.join("\n");
    assert!(
        script.contains("exec /usr/local/bin/kubetac \"$@\""),
        "{script}"
    );
    assert!(
        script.contains("--tls-cert /etc/kubetac/tls/tls.crt --tls-key /etc/kubetac/tls/tls.key"),
        "{script}"
    );

    let ports: Vec<(String, u64)> = c["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["containerPort"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(ports, [("ssh".into(), 2024), ("https".into(), 8443)]);

    // Volumes: the store claim at /home/tac, the users Secret as a
    // directory (no subPath: updates reach the file), optional TLS, /tmp.
    let mounts: BTreeMap<&str, &Value> = c["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .map(|m| (m["name"].as_str().unwrap_or_default(), m))
        .collect();
    let volumes: BTreeMap<&str, &Value> = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .map(|v| (v["name"].as_str().unwrap_or_default(), v))
        .collect();
    let mount = |path: &str| -> &Value {
        let (name, m) = mounts
            .iter()
            .find(|(_, m)| m["mountPath"] == path)
            .unwrap_or_else(|| panic!("nothing mounted at {path}"));
        assert!(m.get("subPath").is_none(), "{path}: no subPath");
        volumes
            .get(name)
            .unwrap_or_else(|| panic!("no volume {name}"))
    };
    assert_eq!(
        mount("/home/tac")["persistentVolumeClaim"]["claimName"],
        "kubetac-store"
    );
    let users = &mount("/etc/kubetac/users")["secret"];
    assert_eq!(users["secretName"], "kubetac-users");
    assert_ne!(users["optional"], true, "no users, no start");
    let tls = &mount("/etc/kubetac/tls")["secret"];
    assert_eq!(tls["secretName"], "show-tac-manager-tls");
    assert_eq!(tls["optional"], true, "starts without a certificate");
    assert!(mount("/tmp").get("emptyDir").is_some());
    one(&docs, "PersistentVolumeClaim", "kubetac-store");

    // Locked down.
    let psc = &pod["securityContext"];
    let csc = &c["securityContext"];
    assert_eq!(psc["runAsNonRoot"], true);
    assert!(psc["runAsUser"].as_u64().unwrap_or(0) > 0);
    assert!(
        psc["fsGroup"].as_u64().is_some(),
        "store writable by the user"
    );
    assert_eq!(csc["readOnlyRootFilesystem"], true);
    assert_eq!(csc["allowPrivilegeEscalation"], false);
    assert_eq!(strs(&csc["capabilities"]["drop"]), ["ALL"]);
    assert!(csc["capabilities"].get("add").is_none());
    assert_eq!(c["resources"]["limits"]["memory"], "512Mi");
    assert!(c["resources"]["requests"]["memory"].is_string());
    assert!(c["resources"]["requests"]["cpu"].is_string());

    // Probes: HTTPS /healthz on the package server, TCP on the SSH port.
    let ready = &c["readinessProbe"]["httpGet"];
    assert_eq!(ready["path"], "/healthz");
    assert_eq!(ready["scheme"], "HTTPS");
    assert_eq!(container_port(c, &ready["port"]), 8443);
    assert_eq!(
        container_port(c, &c["livenessProbe"]["tcpSocket"]["port"]),
        2024
    );
}

#[test]
fn the_pvc_is_a_rwo_volume() {
    let docs = render(&deploy_dir());
    let pvc = one(&docs, "PersistentVolumeClaim", "kubetac-store");
    assert_eq!(strs(&pvc["spec"]["accessModes"]), ["ReadWriteOnce"]);
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "50Gi");
}

const WRITE_VERBS: [&str; 10] = [
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "*",
    "escalate",
    "bind",
    "impersonate",
    "approve",
];

/// Whether a role's rules allow `verb` on `group`/`resource`.
fn allows(role: &Value, group: &str, resource: &str, verb: &str) -> bool {
    role["rules"].as_array().into_iter().flatten().any(|r| {
        strs(&r["apiGroups"]).contains(&group)
            && strs(&r["resources"]).contains(&resource)
            && strs(&r["verbs"]).contains(&verb)
    })
}

#[test]
fn rbac_is_read_only_and_has_what_the_commands_need() {
    let docs = render(&deploy_dir());
    // No role anywhere in the deployment writes.
    for d in docs
        .iter()
        .filter(|d| matches!(kind_of(d), "ClusterRole" | "Role"))
    {
        for r in d["rules"].as_array().expect("rules") {
            for v in strs(&r["verbs"]) {
                assert!(
                    !WRITE_VERBS.contains(&v),
                    "{} {} grants {v}",
                    kind_of(d),
                    name_of(d)
                );
            }
            assert!(!strs(&r["resources"]).contains(&"*"), "{}", name_of(d));
            assert!(!strs(&r["apiGroups"]).contains(&"*"), "{}", name_of(d));
        }
    }

    let role = one(&docs, "ClusterRole", "kubetac-ops-center");
    for (group, resources) in [
        (
            "",
            &[
                "pods",
                "pods/log",
                "events",
                "nodes",
                "namespaces",
                "services",
                "endpoints",
                "configmaps",
                "persistentvolumeclaims",
            ][..],
        ),
        (
            "apps",
            &["deployments", "statefulsets", "daemonsets", "replicasets"][..],
        ),
        ("batch", &["jobs", "cronjobs"][..]),
        ("networking.k8s.io", &["ingresses"][..]),
    ] {
        for res in resources {
            for verb in ["get", "list", "watch"] {
                assert!(allows(role, group, res, verb), "{verb} {group}/{res}");
            }
        }
    }
    // Node logs and stats (kubelet), the agents, Prometheus.
    for res in ["nodes/proxy", "pods/proxy", "services/proxy"] {
        assert!(allows(role, "", res, "get"), "get {res}");
    }
    // Secrets: list only, in a role of their own (README: the trade-off).
    assert!(!allows(role, "", "secrets", "list"));
    let secrets = one(&docs, "ClusterRole", "kubetac-ops-center-secrets");
    assert!(allows(secrets, "", "secrets", "list"));
    assert!(!allows(secrets, "", "secrets", "get"));
    assert!(!allows(secrets, "", "secrets", "watch"));

    // Both bound to the ops center's ServiceAccount, the one the pod uses.
    for name in ["kubetac-ops-center", "kubetac-ops-center-secrets"] {
        let b = one(&docs, "ClusterRoleBinding", name);
        assert_eq!(b["roleRef"]["kind"], "ClusterRole");
        assert_eq!(b["roleRef"]["name"], name);
        let subjects = b["subjects"].as_array().expect("subjects");
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0]["kind"], "ServiceAccount");
        assert_eq!(subjects[0]["name"], "kubetac-ops-center");
        assert_eq!(subjects[0]["namespace"], "kubetac");
    }
    assert_eq!(
        ops_center(&docs)["spec"]["template"]["spec"]["serviceAccountName"],
        "kubetac-ops-center"
    );
}

#[test]
fn service_and_ingress_reach_the_pod() {
    let docs = render(&deploy_dir());
    let d = ops_center(&docs);
    let c = container(d);
    let pod_labels = d["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .expect("labels");

    let svc = one(&docs, "Service", "show-tac-manager");
    let selector = svc["spec"]["selector"].as_object().expect("selector");
    assert!(!selector.is_empty());
    for (k, v) in selector {
        assert_eq!(pod_labels.get(k), Some(v), "selector {k}");
    }
    let ports: BTreeMap<&str, (u64, u64)> = svc["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default(),
                (
                    p["port"].as_u64().unwrap_or_default(),
                    container_port(c, &p["targetPort"]),
                ),
            )
        })
        .collect();
    assert_eq!(
        ports,
        BTreeMap::from([("ssh", (2024, 2024)), ("https", (443, 8443))])
    );
    // The agent's pods are not behind it, nor is the ops center an "agent".
    let agent = one(&docs, "DaemonSet", "kubetac-agent");
    let agent_labels = &agent["spec"]["template"]["metadata"]["labels"];
    assert!(selector.iter().any(|(k, v)| agent_labels.get(k) != Some(v)));
    assert_ne!(pod_labels["app.kubernetes.io/name"], "kubetac-agent");

    let ing = one(&docs, "Ingress", "show-tac-manager-ingress");
    assert_eq!(
        ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"],
        "HTTPS"
    );
    let tls = ing["spec"]["tls"].as_array().expect("tls");
    assert_eq!(tls.len(), 1);
    assert_eq!(tls[0]["secretName"], "show-tac-manager-tls");
    assert_eq!(strs(&tls[0]["hosts"]), ["show-tac-manager.example.com"]);
    let rules = ing["spec"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["host"], "show-tac-manager.example.com");
    let backend = &rules[0]["http"]["paths"][0]["backend"]["service"];
    assert_eq!(backend["name"], "show-tac-manager");
    assert_eq!(backend["port"]["name"], "https");
    assert_eq!(rules[0]["http"]["paths"][0]["path"], "/");
}

#[test]
fn the_agent_is_deploy_agent() {
    let docs = render(&deploy_dir());
    let agent_only = render(&deploy_dir().join("agent"));
    // Everything deploy/agent/ renders is in deploy/ as it is, but for the
    // image (one image for both) and the common part-of label.
    for a in &agent_only {
        let mut whole = one(&docs, kind_of(a), name_of(a)).clone();
        let mut a = a.clone();
        for v in [&mut whole, &mut a] {
            if let Some(labels) = v
                .pointer_mut("/metadata/labels")
                .and_then(Value::as_object_mut)
            {
                labels.remove("app.kubernetes.io/part-of");
                if labels.is_empty() {
                    v["metadata"]
                        .as_object_mut()
                        .expect("metadata")
                        .remove("labels");
                }
            }
            if let Some(cs) = v
                .pointer_mut("/spec/template/spec/containers")
                .and_then(Value::as_array_mut)
            {
                for c in cs {
                    c["image"] = Value::Null;
                }
            }
        }
        assert_eq!(whole, a, "{} {}", kind_of(&a), name_of(&a));
    }
    // kubetac finds agents by this label (src/nodes: AGENT_SELECTOR).
    let ds = one(&docs, "DaemonSet", "kubetac-agent");
    assert_eq!(
        ds["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
        "kubetac-agent"
    );
}

/// Every container image of the Deployment and the DaemonSet.
fn images(docs: &[Value]) -> Vec<String> {
    docs.iter()
        .filter(|d| matches!(kind_of(d), "Deployment" | "DaemonSet"))
        .flat_map(|d| {
            d["spec"]["template"]["spec"]["containers"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|c| c["image"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn one_image_that_an_overlay_replaces() {
    let docs = render(&deploy_dir());
    assert_eq!(images(&docs), ["kubetac:latest", "kubetac:latest"]);

    // An operator's overlay, the README's way. kustomize wants a relative
    // path to its base.
    let dir = tempfile::tempdir().expect("temp dir");
    let overlay = dir.path().canonicalize().expect("canonical temp dir");
    let up = "../".repeat(overlay.components().count() - 1);
    let base = format!(
        "{up}{}",
        deploy_dir()
            .to_str()
            .expect("UTF-8 path")
            .trim_start_matches('/')
    );
    std::fs::write(
        overlay.join("kustomization.yaml"),
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\n\
             kind: Kustomization\n\
             resources:\n  - {base}\n\
             images:\n  - name: kubetac\n    newName: registry.example.com/tools/kubetac\n    newTag: \"0.1.0\"\n"
        ),
    )
    .expect("writing the overlay");
    let docs = render(&overlay);
    assert_eq!(
        images(&docs),
        [
            "registry.example.com/tools/kubetac:0.1.0",
            "registry.example.com/tools/kubetac:0.1.0"
        ]
    );
}

#[test]
fn no_credentials_are_committed() {
    // The users Secret and the TLS Secret are the operator's to create:
    // nothing in deploy/ holds a password hash, a key or a Secret object.
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read deploy/") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&deploy_dir(), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for needle in ["$argon2", "PRIVATE KEY", "secretGenerator"] {
            assert!(!text.contains(needle), "{}: {needle}", f.display());
        }
    }
    let docs = render(&deploy_dir());
    assert!(docs.iter().all(|d| kind_of(d) != "Secret"));
}

/// Parses `doc` as the Kubernetes type `K` and back: a field the type does
/// not know (a typo) or a value of the wrong shape does not survive.
fn round_trips<K>(doc: &Value) -> Result<(), String>
where
    K: serde::de::DeserializeOwned + serde::Serialize,
{
    let typed: K = serde_json::from_value(doc.clone()).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    if &back == doc {
        Ok(())
    } else {
        Err(format!(
            "changed by a round trip through its type:\n{}\n---\n{}",
            serde_saphyr::to_string(doc).unwrap_or_default(),
            serde_saphyr::to_string(&back).unwrap_or_default()
        ))
    }
}

#[test]
fn every_field_is_one_kubernetes_knows() {
    use k8s_openapi::api::{apps, core, networking, rbac};
    let docs = render(&deploy_dir());
    for d in &docs {
        let r = match kind_of(d) {
            "Namespace" => round_trips::<core::v1::Namespace>(d),
            "ServiceAccount" => round_trips::<core::v1::ServiceAccount>(d),
            "Service" => round_trips::<core::v1::Service>(d),
            "PersistentVolumeClaim" => round_trips::<core::v1::PersistentVolumeClaim>(d),
            "Deployment" => round_trips::<apps::v1::Deployment>(d),
            "DaemonSet" => round_trips::<apps::v1::DaemonSet>(d),
            "ClusterRole" => round_trips::<rbac::v1::ClusterRole>(d),
            "ClusterRoleBinding" => round_trips::<rbac::v1::ClusterRoleBinding>(d),
            "Ingress" => round_trips::<networking::v1::Ingress>(d),
            other => Err(format!("unexpected kind {other}")),
        };
        if let Err(e) = r {
            panic!("{} {}: {e}", kind_of(d), name_of(d));
        }
    }
}
