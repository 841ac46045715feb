//! Which pod and container a core dump most likely came from. systemd
//! keeps no exact link in the file (the cgroup is only in the journal), so
//! the evidence is weighed: the core's hostname attribute (the pod's name
//! unless hostNetwork), a container on the same node whose last termination
//! is close to the crash time, and the process name against the container's
//! command, image and name. The score becomes a confidence the operator
//! sees; too little evidence leaves the core unattributed.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::coredump::CoreInfo;

/// A container a core could have come from.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub node: String,
    pub image: String,
    pub command: Vec<String>,
    /// Finish times of the container's known terminations (last state,
    /// current terminated state).
    pub terminations: Vec<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribution {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub confidence: Confidence,
    /// What matched, for the operator: "hostname", "exit 3s after", "process name".
    pub reasons: Vec<String>,
}

/// The last path element without a tag or digest: `registry/x/smf-service:1.0` → `smf-service`.
fn image_base(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    let last = last.split('@').next().unwrap_or(last);
    last.split(':').next().unwrap_or(last)
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// How well a process name (`comm`, truncated by the kernel to 15 bytes)
/// matches a container: 2 exact, 1 partial, 0 none.
pub fn name_score(comm: &str, c: &Candidate) -> u32 {
    let comm = comm.trim();
    if comm.is_empty() {
        return 0;
    }
    let trunc = |s: &str| s.chars().take(15).collect::<String>();
    let mut names: Vec<String> = c.command.iter().map(|a| trunc(basename(a))).collect();
    names.push(trunc(image_base(&c.image)));
    names.push(trunc(&c.container));
    if names.iter().any(|n| n == comm) {
        return 2;
    }
    let lc = comm.to_lowercase();
    if names.iter().any(|n| {
        let n = n.to_lowercase();
        n.len() >= 3 && lc.len() >= 3 && (n.contains(&lc) || lc.contains(&n))
    }) {
        return 1;
    }
    0
}

/// The best candidate for `core` found on `node`, or None when the evidence
/// is too thin. `tolerance` bounds how far a termination may be from the
/// crash time to count.
pub fn attribute(
    core: &CoreInfo,
    node: &str,
    candidates: &[Candidate],
    tolerance: SignedDuration,
) -> Option<Attribution> {
    let crash = Timestamp::from_microsecond(core.time_usec).ok()?;
    let mut best: Option<(u32, SignedDuration, Attribution)> = None;
    for c in candidates.iter().filter(|c| c.node == node) {
        let mut score = 0;
        let mut reasons = Vec::new();
        if core.hostname.as_deref() == Some(c.pod.as_str()) {
            score += 3;
            reasons.push("hostname is the pod's name".to_string());
        }
        let nearest = c
            .terminations
            .iter()
            .map(|t| t.duration_since(crash))
            .min_by_key(|d| d.abs());
        if let Some(d) = nearest.filter(|d| d.abs() <= tolerance) {
            score += 2;
            reasons.push(format!("container exited {}s after the crash", d.as_secs()));
        }
        match name_score(&core.comm, c) {
            2 => {
                score += 2;
                reasons.push(format!("process {} is the container's program", core.comm));
            }
            1 => {
                score += 1;
                reasons.push(format!(
                    "process {} resembles the container's program",
                    core.comm
                ));
            }
            _ => {}
        }
        if score < 2 {
            continue;
        }
        let confidence = match score {
            4.. => Confidence::High,
            3 => Confidence::Medium,
            _ => Confidence::Low,
        };
        let dist = nearest.map(|d| d.abs()).unwrap_or(SignedDuration::MAX);
        let a = Attribution {
            namespace: c.namespace.clone(),
            pod: c.pod.clone(),
            container: c.container.clone(),
            confidence,
            reasons,
        };
        let better = match &best {
            None => true,
            Some((s, d, _)) => score > *s || (score == *s && dist < *d),
        };
        if better {
            best = Some((score, dist, a));
        }
    }
    best.map(|(_, _, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(comm: &str, at: &str, hostname: Option<&str>) -> CoreInfo {
        let t: Timestamp = at.parse().unwrap();
        CoreInfo {
            file: "core".into(),
            comm: comm.into(),
            uid: 303,
            boot_id: "0".repeat(32),
            pid: 1,
            time_usec: t.as_microsecond(),
            compression: "zst".into(),
            signal: Some(6),
            gid: None,
            exe: None,
            hostname: hostname.map(str::to_string),
            size: 1,
        }
    }

    fn cand(
        pod: &str,
        container: &str,
        node: &str,
        image: &str,
        cmd: &[&str],
        term: &[&str],
    ) -> Candidate {
        Candidate {
            namespace: "smf-data".into(),
            pod: pod.into(),
            container: container.into(),
            node: node.into(),
            image: image.into(),
            command: cmd.iter().map(|s| s.to_string()).collect(),
            terminations: term.iter().map(|t| t.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn attribution_rule() {
        let svc = cand(
            "smf-service-n0-0",
            "smf-service",
            "worker2",
            "registry/smf/smf-service:1.0.4",
            &["/opt/workspace/tini", "/opt/workspace/smf-service"],
            &["2026-11-29T03:13:49Z"],
        );
        let rest = cand(
            "smf-rest-ep-n0-0",
            "smf-rest-ep",
            "worker2",
            "registry/smf/smf-rest-ep:1.0.4",
            &[],
            &[],
        );
        let other_node = cand(
            "smf-service-n1-0",
            "smf-service",
            "worker1",
            "registry/smf/smf-service:1.0.4",
            &[],
            &["2026-11-29T03:13:49Z"],
        );
        let all = [svc.clone(), rest.clone(), other_node];
        let tol = SignedDuration::from_secs(60);
        let cases: Vec<(CoreInfo, Option<(&str, Confidence)>)> = vec![
            // Everything matches.
            (
                core(
                    "smf-service",
                    "2026-11-29T03:13:48Z",
                    Some("smf-service-n0-0"),
                ),
                Some(("smf-service-n0-0", Confidence::High)),
            ),
            // No xattrs: time and name still make it high.
            (
                core("smf-service", "2026-11-29T03:13:48Z", None),
                Some(("smf-service-n0-0", Confidence::High)),
            ),
            // Name only: low.
            (
                core("smf-service", "2026-11-29T01:00:00Z", None),
                Some(("smf-service-n0-0", Confidence::Low)),
            ),
            // Time only: low.
            (
                core("python3", "2026-11-29T03:13:40Z", None),
                Some(("smf-service-n0-0", Confidence::Low)),
            ),
            // Hostname only: medium.
            (
                core("sh", "2026-11-29T00:00:00Z", Some("smf-rest-ep-n0-0")),
                Some(("smf-rest-ep-n0-0", Confidence::Medium)),
            ),
            // Nothing on this node matches: unattributed.
            (core("stress-ng", "2026-11-29T00:00:00Z", None), None),
            // comm truncated to 15 characters still matches.
            (
                core("smf-rest-ep", "2026-11-29T00:00:00Z", None),
                Some(("smf-rest-ep-n0-0", Confidence::Low)),
            ),
        ];
        for (i, (c, want)) in cases.into_iter().enumerate() {
            let got = attribute(&c, "worker2", &all, tol).map(|a| (a.pod.clone(), a.confidence));
            assert_eq!(got, want.map(|(p, conf)| (p.to_string(), conf)), "case {i}");
        }
    }

    #[test]
    fn names() {
        let c = cand(
            "p",
            "confd",
            "n",
            "docker.io/library/nginx:1.25@sha256:ab",
            &["/usr/sbin/nginx"],
            &[],
        );
        assert_eq!(name_score("nginx", &c), 2);
        assert_eq!(name_score("confd", &c), 2);
        assert_eq!(name_score("nginx-worker", &c), 1);
        assert_eq!(name_score("bash", &c), 0);
        assert_eq!(image_base("registry:5000/a/b:tag"), "b");
    }
}
