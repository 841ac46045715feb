//! `kubetac describe pod` and `kubetac containers`: everything the guide's
//! step 1.4 looks for in `kubectl describe pods` — labels, annotations, node,
//! IP, owner, each container's image, ports, state and last state with exit
//! code and reason, restarts, probes, mounts, volumes, conditions, events —
//! laid out as kubectl lays it out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, ContainerState, ContainerStatus, Event, Pod, Probe};
use kube::api::{Api, ListParams};

use super::status::human_duration;
use crate::cluster::Cluster;

pub async fn fetch_pod(cl: &Cluster, ns: &str, name: &str) -> anyhow::Result<Pod> {
    cl.check_namespace(ns).await?;
    let api: Api<Pod> = Api::namespaced(cl.client.clone(), ns);
    Ok(cl
        .call(&format!("getting pod {name} in {ns}"), api.get(name))
        .await?)
}

pub async fn pod(cl: &Cluster, ns: &str, name: &str) -> anyhow::Result<()> {
    let p = fetch_pod(cl, ns, name).await?;
    let events: Api<Event> = Api::namespaced(cl.client.clone(), ns);
    let uid = p.metadata.uid.clone().unwrap_or_default();
    let lp = ListParams::default().fields(&format!(
        "involvedObject.name={name},involvedObject.namespace={ns},involvedObject.uid={uid}"
    ));
    // Events are a help, not a must: a user who may not list them still
    // gets the description.
    let evs = match cl.call("listing the pod's events", events.list(&lp)).await {
        Ok(l) => Some(l.items),
        Err(e) => {
            tracing::warn!("{e}");
            None
        }
    };
    print!("{}", render(&p, evs.as_deref(), Timestamp::now()));
    Ok(())
}

pub async fn containers(cl: &Cluster, ns: &str, name: &str) -> anyhow::Result<()> {
    let p = fetch_pod(cl, ns, name).await?;
    let spec = p.spec.unwrap_or_default();
    for c in spec.init_containers.unwrap_or_default() {
        let sidecar = c.restart_policy.as_deref() == Some("Always");
        println!(
            "{} (init{})",
            c.name,
            if sidecar { ", sidecar" } else { "" }
        );
    }
    for c in spec.containers {
        println!("{}", c.name);
    }
    for c in spec.ephemeral_containers.unwrap_or_default() {
        println!("{} (ephemeral)", c.name);
    }
    Ok(())
}

fn http_date(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

fn map_lines(out: &mut String, label: &str, m: Option<&BTreeMap<String, String>>, width: usize) {
    let pad = " ".repeat(width);
    match m.filter(|m| !m.is_empty()) {
        None => {
            let _ = writeln!(out, "{label:<width$}<none>");
        }
        Some(m) => {
            for (i, (k, v)) in m.iter().enumerate() {
                let sep = if label.starts_with("Labels") {
                    "="
                } else {
                    ": "
                };
                if i == 0 {
                    let _ = writeln!(out, "{label:<width$}{k}{sep}{v}");
                } else {
                    let _ = writeln!(out, "{pad}{k}{sep}{v}");
                }
            }
        }
    }
}

fn probe(p: &Probe) -> String {
    let how = if let Some(h) = &p.http_get {
        let port = match &h.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
        };
        format!(
            "http-get {}://{}:{port}{}",
            h.scheme.as_deref().unwrap_or("HTTP").to_lowercase(),
            h.host.as_deref().unwrap_or(""),
            h.path.as_deref().unwrap_or("")
        )
    } else if let Some(t) = &p.tcp_socket {
        let port = match &t.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(i) => i.to_string(),
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
        };
        format!("tcp-socket :{port}")
    } else if let Some(e) = &p.exec {
        format!("exec [{}]", e.command.clone().unwrap_or_default().join(" "))
    } else if let Some(g) = &p.grpc {
        format!(
            "grpc <pod>:{} {}",
            g.port,
            g.service.as_deref().unwrap_or("")
        )
    } else {
        "unknown".into()
    };
    format!(
        "{how} delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(1),
        p.period_seconds.unwrap_or(10),
        p.success_threshold.unwrap_or(1),
        p.failure_threshold.unwrap_or(3)
    )
}

fn state_lines(out: &mut String, label: &str, st: Option<&ContainerState>) {
    let Some(st) = st else {
        let _ = writeln!(out, "    {label:<16}Waiting");
        return;
    };
    if let Some(r) = &st.running {
        let _ = writeln!(out, "    {label:<16}Running");
        if let Some(t) = &r.started_at {
            let _ = writeln!(out, "      Started:      {}", http_date(t.0));
        }
    } else if let Some(w) = &st.waiting {
        let _ = writeln!(out, "    {label:<16}Waiting");
        if let Some(r) = &w.reason {
            let _ = writeln!(out, "      Reason:       {r}");
        }
        if let Some(m) = w.message.as_ref().filter(|m| !m.is_empty()) {
            let _ = writeln!(out, "      Message:      {m}");
        }
    } else if let Some(t) = &st.terminated {
        let _ = writeln!(out, "    {label:<16}Terminated");
        if let Some(r) = &t.reason {
            let _ = writeln!(out, "      Reason:       {r}");
        }
        if let Some(m) = t.message.as_ref().filter(|m| !m.is_empty()) {
            let _ = writeln!(out, "      Message:      {m}");
        }
        let _ = writeln!(out, "      Exit Code:    {}", t.exit_code);
        if let Some(sig) = t.signal.filter(|s| *s != 0) {
            let _ = writeln!(out, "      Signal:       {sig}");
        }
        if let Some(s) = &t.started_at {
            let _ = writeln!(out, "      Started:      {}", http_date(s.0));
        }
        if let Some(f) = &t.finished_at {
            let _ = writeln!(out, "      Finished:     {}", http_date(f.0));
        }
    } else {
        let _ = writeln!(out, "    {label:<16}Waiting");
    }
}

/// The value a downward-API field reference resolves to, where kubectl shows it.
fn field_value(pod: &Pod, path: &str) -> String {
    let v = serde_json::to_value(pod).unwrap_or_default();
    let ptr = format!("/{}", path.replace('.', "/"));
    v.pointer(&ptr)
        .and_then(|x| x.as_str())
        .map(|s| format!("{s} "))
        .unwrap_or_default()
}

fn container_block(out: &mut String, pod: &Pod, c: &Container, st: Option<&ContainerStatus>) {
    let _ = writeln!(out, "  {}:", c.name);
    if let Some(id) = st.and_then(|s| s.container_id.as_ref()) {
        let _ = writeln!(out, "    Container ID:   {id}");
    }
    let _ = writeln!(
        out,
        "    Image:          {}",
        c.image.clone().unwrap_or_default()
    );
    if let Some(id) = st.map(|s| s.image_id.clone()).filter(|i| !i.is_empty()) {
        let _ = writeln!(out, "    Image ID:       {id}");
    }
    let ports = c.ports.clone().unwrap_or_default();
    if ports.is_empty() {
        let _ = writeln!(out, "    Port:           <none>");
        let _ = writeln!(out, "    Host Port:      <none>");
    } else {
        let p: Vec<String> = ports
            .iter()
            .map(|p| {
                format!(
                    "{}/{}",
                    p.container_port,
                    p.protocol.as_deref().unwrap_or("TCP")
                )
            })
            .collect();
        let h: Vec<String> = ports
            .iter()
            .map(|p| {
                format!(
                    "{}/{}",
                    p.host_port.unwrap_or(0),
                    p.protocol.as_deref().unwrap_or("TCP")
                )
            })
            .collect();
        let label = if ports.len() > 1 { "Ports:" } else { "Port:" };
        let hlabel = if ports.len() > 1 {
            "Host Ports:"
        } else {
            "Host Port:"
        };
        let _ = writeln!(out, "    {label:<16}{}", p.join(", "));
        let _ = writeln!(out, "    {hlabel:<16}{}", h.join(", "));
    }
    if let Some(cmd) = c.command.as_ref().filter(|c| !c.is_empty()) {
        let _ = writeln!(out, "    Command:");
        for a in cmd {
            let _ = writeln!(out, "      {a}");
        }
    }
    if let Some(args) = c.args.as_ref().filter(|c| !c.is_empty()) {
        let _ = writeln!(out, "    Args:");
        for a in args {
            let _ = writeln!(out, "      {a}");
        }
    }
    state_lines(out, "State:", st.and_then(|s| s.state.as_ref()));
    if let Some(last) = st
        .and_then(|s| s.last_state.as_ref())
        .filter(|l| l.running.is_some() || l.waiting.is_some() || l.terminated.is_some())
    {
        state_lines(out, "Last State:", Some(last));
    }
    let _ = writeln!(
        out,
        "    Ready:          {}",
        if st.is_some_and(|s| s.ready) {
            "True"
        } else {
            "False"
        }
    );
    let _ = writeln!(
        out,
        "    Restart Count:  {}",
        st.map(|s| s.restart_count).unwrap_or(0)
    );
    if let Some(r) = &c.resources {
        for (label, m) in [("Limits:", &r.limits), ("Requests:", &r.requests)] {
            if let Some(m) = m.as_ref().filter(|m| !m.is_empty()) {
                let _ = writeln!(out, "    {label}");
                for (k, v) in m {
                    let _ = writeln!(out, "      {k}:  {}", v.0);
                }
            }
        }
    }
    for (label, p) in [
        ("Liveness:", &c.liveness_probe),
        ("Readiness:", &c.readiness_probe),
        ("Startup:", &c.startup_probe),
    ] {
        if let Some(p) = p {
            let _ = writeln!(out, "    {label:<12}{}", probe(p));
        }
    }
    let env = c.env.clone().unwrap_or_default();
    if env.is_empty() {
        let _ = writeln!(out, "    Environment:    <none>");
    } else {
        let _ = writeln!(out, "    Environment:");
        for e in env {
            let v = match (&e.value, &e.value_from) {
                (Some(v), _) => v.clone(),
                (None, Some(f)) => {
                    if let Some(fr) = &f.field_ref {
                        format!(
                            "{}({}:{})",
                            field_value(pod, &fr.field_path),
                            fr.api_version.as_deref().unwrap_or("v1"),
                            fr.field_path
                        )
                    } else if let Some(s) = &f.secret_key_ref {
                        format!("<set to the key '{}' in secret '{}'>", s.key, s.name)
                    } else if let Some(c) = &f.config_map_key_ref {
                        format!("<set to the key '{}' of config map '{}'>", c.key, c.name)
                    } else {
                        "<from a resource>".into()
                    }
                }
                _ => String::new(),
            };
            let _ = writeln!(out, "      {}:  {v}", e.name);
        }
    }
    let mounts = c.volume_mounts.clone().unwrap_or_default();
    if mounts.is_empty() {
        let _ = writeln!(out, "    Mounts:         <none>");
    } else {
        let _ = writeln!(out, "    Mounts:");
        for m in mounts {
            let _ = writeln!(
                out,
                "      {} from {} ({})",
                m.mount_path,
                m.name,
                if m.read_only == Some(true) {
                    "ro"
                } else {
                    "rw"
                }
            );
        }
    }
}

/// The whole description, as text.
pub fn render(p: &Pod, events: Option<&[Event]>, now: Timestamp) -> String {
    let mut out = String::new();
    let m = &p.metadata;
    let spec = p.spec.clone().unwrap_or_default();
    let status = p.status.clone().unwrap_or_default();
    let w = 18;
    let _ = writeln!(out, "{:<w$}{}", "Name:", m.name.clone().unwrap_or_default());
    let _ = writeln!(
        out,
        "{:<w$}{}",
        "Namespace:",
        m.namespace.clone().unwrap_or_default()
    );
    let _ = writeln!(out, "{:<w$}{}", "Priority:", spec.priority.unwrap_or(0));
    if let Some(sa) = &spec.service_account_name {
        let _ = writeln!(out, "{:<w$}{sa}", "Service Account:");
    }
    let node = match (&spec.node_name, &status.host_ip) {
        (Some(n), Some(ip)) => format!("{n}/{ip}"),
        (Some(n), None) => n.clone(),
        _ => "<none>".into(),
    };
    let _ = writeln!(out, "{:<w$}{node}", "Node:");
    if let Some(t) = &status.start_time {
        let _ = writeln!(out, "{:<w$}{}", "Start Time:", http_date(t.0));
    }
    map_lines(&mut out, "Labels:", m.labels.as_ref(), w);
    map_lines(&mut out, "Annotations:", m.annotations.as_ref(), w);
    let phase = status.phase.clone().unwrap_or_default();
    if let Some(d) = &m.deletion_timestamp {
        let _ = writeln!(
            out,
            "{:<w$}Terminating (lasts {})",
            "Status:",
            human_duration(now.duration_since(d.0))
        );
    } else {
        let _ = writeln!(out, "{:<w$}{phase}", "Status:");
    }
    if let Some(r) = &status.reason {
        let _ = writeln!(out, "{:<w$}{r}", "Reason:");
    }
    if let Some(msg) = &status.message {
        let _ = writeln!(out, "{:<w$}{msg}", "Message:");
    }
    let _ = writeln!(
        out,
        "{:<w$}{}",
        "IP:",
        status.pod_ip.clone().unwrap_or_default()
    );
    let ips = status.pod_ips.clone().unwrap_or_default();
    if ips.is_empty() {
        let _ = writeln!(out, "IPs:              <none>");
    } else {
        let _ = writeln!(out, "IPs:");
        for ip in ips {
            let _ = writeln!(out, "  IP:           {}", ip.ip);
        }
    }
    if let Some(o) = m
        .owner_references
        .as_ref()
        .and_then(|o| o.iter().find(|o| o.controller == Some(true)))
    {
        let _ = writeln!(out, "Controlled By:  {}/{}", o.kind, o.name);
    }
    let find = |list: &Option<Vec<ContainerStatus>>, name: &str| {
        list.as_ref()
            .and_then(|l| l.iter().find(|s| s.name == name).cloned())
    };
    if let Some(inits) = spec.init_containers.as_ref().filter(|i| !i.is_empty()) {
        let _ = writeln!(out, "Init Containers:");
        for c in inits {
            container_block(
                &mut out,
                p,
                c,
                find(&status.init_container_statuses, &c.name).as_ref(),
            );
        }
    }
    let _ = writeln!(out, "Containers:");
    for c in &spec.containers {
        container_block(
            &mut out,
            p,
            c,
            find(&status.container_statuses, &c.name).as_ref(),
        );
    }
    if let Some(conds) = status.conditions.as_ref().filter(|c| !c.is_empty()) {
        let _ = writeln!(out, "Conditions:");
        let _ = writeln!(out, "  Type                        Status");
        for c in conds {
            let _ = writeln!(out, "  {:<28}{} ", c.type_, c.status);
        }
    }
    let vols = spec.volumes.clone().unwrap_or_default();
    if vols.is_empty() {
        let _ = writeln!(out, "Volumes:                     <none>");
    } else {
        let _ = writeln!(out, "Volumes:");
        for v in vols {
            let _ = writeln!(out, "  {}:", v.name);
            let kind = if v.projected.is_some() {
                "Projected (a volume that contains injected data from multiple sources)".to_string()
            } else if let Some(c) = &v.config_map {
                format!(
                    "ConfigMap (a volume populated by a ConfigMap)\n    Name:      {}",
                    c.name
                )
            } else if let Some(s) = &v.secret {
                format!(
                    "Secret (a volume populated by a Secret)\n    SecretName:  {}",
                    s.secret_name.clone().unwrap_or_default()
                )
            } else if let Some(h) = &v.host_path {
                format!(
                    "HostPath (bare host directory volume)\n    Path:          {}",
                    h.path
                )
            } else if let Some(c) = &v.persistent_volume_claim {
                format!(
                    "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:  {}",
                    c.claim_name
                )
            } else if v.empty_dir.is_some() {
                "EmptyDir (a temporary directory that shares a pod's lifetime)".into()
            } else {
                "<unknown>".into()
            };
            let _ = writeln!(out, "    Type:                    {kind}");
        }
    }
    let _ = writeln!(
        out,
        "{:<29}{}",
        "QoS Class:",
        status.qos_class.clone().unwrap_or_default()
    );
    let sel = spec
        .node_selector
        .as_ref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_else(|| "<none>".into());
    let _ = writeln!(out, "{:<29}{sel}", "Node-Selectors:");
    let tols = spec.tolerations.clone().unwrap_or_default();
    if tols.is_empty() {
        let _ = writeln!(out, "{:<29}<none>", "Tolerations:");
    }
    for (i, t) in tols.iter().enumerate() {
        let mut s = t.key.clone().unwrap_or_default();
        if let Some(e) = &t.effect {
            s.push(':');
            s.push_str(e);
        }
        s.push_str(&format!(" op={}", t.operator.as_deref().unwrap_or("Equal")));
        if let Some(secs) = t.toleration_seconds {
            s.push_str(&format!(" for {secs}s"));
        }
        let label = if i == 0 { "Tolerations:" } else { "" };
        let _ = writeln!(out, "{label:<29}{s}");
    }
    match events {
        None => {
            let _ = writeln!(out, "Events:                      <unknown>");
        }
        Some([]) => {
            let _ = writeln!(out, "Events:                      <none>");
        }
        Some(evs) => {
            let _ = writeln!(out, "Events:");
            let mut evs: Vec<&Event> = evs.iter().collect();
            evs.sort_by_key(|e| {
                e.last_timestamp
                    .as_ref()
                    .map(|t| t.0)
                    .or(e.event_time.as_ref().map(|t| t.0))
            });
            let mut t = super::table::Table::new(&["Type", "Reason", "Age", "From", "Message"]);
            t.row(vec![
                "----".into(),
                "------".into(),
                "----".into(),
                "----".into(),
                "-------".into(),
            ]);
            for e in evs {
                let last = e
                    .last_timestamp
                    .as_ref()
                    .map(|t| t.0)
                    .or(e.event_time.as_ref().map(|t| t.0));
                let first = e.first_timestamp.as_ref().map(|t| t.0).or(last);
                let age = match (first, last, e.count.unwrap_or(1)) {
                    (Some(f), Some(l), c) if c > 1 => format!(
                        "{} (x{c} over {})",
                        human_duration(now.duration_since(l)),
                        human_duration(now.duration_since(f))
                    ),
                    (_, Some(l), _) => human_duration(now.duration_since(l)),
                    _ => "<unknown>".into(),
                };
                let from = e
                    .source
                    .as_ref()
                    .and_then(|s| s.component.clone())
                    .or(e.reporting_component.clone())
                    .unwrap_or_default();
                t.row(vec![
                    e.type_.clone().unwrap_or_default(),
                    e.reason.clone().unwrap_or_default(),
                    age,
                    from,
                    e.message.clone().unwrap_or_default().trim().to_string(),
                ]);
            }
            for l in t.render().lines() {
                let _ = writeln!(out, "  {l}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_a_crash_looping_pod() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "smf-service-n0-0", "namespace": "smf-data", "labels": {"app": "smf-service"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "smf-service-n0", "uid": "u", "controller": true}]},
            "spec": {"nodeName": "worker2", "containers": [{"name": "smf-service", "image": "smf:1", "ports": [{"containerPort": 9003}, {"containerPort": 8080}],
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 5, "timeoutSeconds": 3, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}}]},
            "status": {"phase": "Running", "hostIP": "192.168.208.13", "podIP": "192.168.112.75",
                "containerStatuses": [{"name": "smf-service", "image": "smf:1", "imageID": "", "ready": false, "restartCount": 5,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "startedAt": "2026-11-29T03:07:49Z", "finishedAt": "2026-11-29T03:13:49Z"}}}]}
        }))
        .unwrap();
        let ev: Event = serde_json::from_value(serde_json::json!({"metadata": {"name": "e"}, "involvedObject": {}, "type": "Warning", "reason": "BackOff", "message": "Back-off restarting failed container smf-service", "count": 27, "firstTimestamp": "2026-11-29T02:00:00Z", "lastTimestamp": "2026-11-29T03:15:00Z", "source": {"component": "kubelet"}})).unwrap();
        let now: Timestamp = "2026-11-29T03:20:00Z".parse().unwrap();
        let text = render(&pod, Some(&[ev]), now);
        for want in [
            "Node:             worker2/192.168.208.13",
            "Controlled By:  StatefulSet/smf-service-n0",
            "    Ports:          9003/TCP, 8080/TCP",
            "    State:          Waiting",
            "      Reason:       CrashLoopBackOff",
            "    Last State:     Terminated",
            "      Exit Code:    2",
            "      Finished:     Sun, 29 Nov 2026 03:13:49 +0000",
            "    Restart Count:  5",
            "    Readiness:  http-get http://:8080/healthz delay=5s timeout=3s period=10s #success=1 #failure=3",
            "5m (x27 over 80m)",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }
}
