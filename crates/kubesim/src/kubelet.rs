//! The simulated kubelets: one directory per node laid out like a real node
//! (`var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log`, rotated files,
//! `var/log/syslog`, `var/lib/systemd/coredump/core.*.zst`), container logs
//! written continuously, crash-looping containers that really crash (pod
//! status, events, panic in the log, a core dump on the node), and the
//! kubelet Summary API. The API server reads what these write, so the API and
//! the node's files always agree.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::node::crilog::{ContainerLog, Stream};
use crate::resources::index_of;
use crate::scenario::{Behaviour, ContainerSpec, LogSpec, LogStyle, NodeSpec};
use crate::store::{Obj, Store};

/// How the kubelets behave; the defaults suit a demo, tests shorten them.
#[derive(Debug, Clone)]
pub struct KubeletConfig {
    pub state_dir: PathBuf,
    /// containerLogMaxSize: small, so an hour of history already rotates.
    pub log_max_size: u64,
    /// containerLogMaxFiles.
    pub log_max_files: usize,
    /// Overrides every container's time between log lines.
    pub log_interval: Option<Duration>,
    /// Overrides crash loops' cycle (half running, half in back-off).
    pub crash_period: Option<Duration>,
    /// Above this many containers, logs are written only when first read
    /// (a 100,000-pod scale world cannot write them all).
    pub eager_log_limit: usize,
}

impl KubeletConfig {
    pub fn new(state_dir: PathBuf) -> Self {
        KubeletConfig {
            state_dir,
            log_max_size: 64 * 1024,
            log_max_files: 5,
            log_interval: None,
            crash_period: None,
            eager_log_limit: 2000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    #[error("pods \"{0}\" already exists")]
    Exists(String),
    #[error("Pod is invalid: {0}")]
    Invalid(String),
}

struct Node {
    spec: NodeSpec,
    root: PathBuf,
    syslog: Mutex<()>,
}

/// One container's simulated life.
struct Ctr {
    spec: ContainerSpec,
    seq: AtomicU64,
    instance: AtomicU32,
    running: AtomicBool,
    log: OnceLock<Arc<ContainerLog>>,
    /// Held while appending or changing instance, so no line lands in an
    /// instance after it ended.
    life: Mutex<()>,
    stop: CancellationToken,
}

type Key = (String, String, String);

pub struct Kubelet {
    cfg: KubeletConfig,
    store: Arc<Store>,
    nodes: BTreeMap<String, Node>,
    ctrs: RwLock<HashMap<Key, Arc<Ctr>>>,
    eager: bool,
    shutdown: CancellationToken,
    started: Timestamp,
}

fn hash64(parts: &[&str]) -> u64 {
    // FNV-1a: stable across runs, which std's hasher is not.
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    h
}

/// A containerd-style ID, stable for a (pod, container, instance).
pub fn container_id(pod_uid: &str, container: &str, instance: u32) -> String {
    let n = instance.to_string();
    let mut s = String::from("containerd://");
    for i in 0..4 {
        s.push_str(&format!(
            "{:016x}",
            hash64(&[pod_uid, container, &n, &i.to_string()])
        ));
    }
    s
}

/// Parses the time of a syslog line (`Nov 29 03:15:59 host ...`).
pub fn syslog_time(line: &str, year: i16) -> Option<Timestamp> {
    let stamp = line.get(..15)?;
    let s = format!("{year} {stamp}");
    jiff::civil::DateTime::strptime("%Y %b %e %H:%M:%S", &s)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn syslog_stamp(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%b %e %H:%M:%S")
        .to_string()
}

fn ts(t: Timestamp) -> String {
    // RFC 3339 to the second, as the API server writes times.
    t.round(jiff::TimestampRound::new().smallest(jiff::Unit::Second))
        .unwrap_or(t)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl Kubelet {
    pub fn new(
        cfg: KubeletConfig,
        store: Arc<Store>,
        nodes: Vec<NodeSpec>,
        containers: Vec<ContainerSpec>,
        shutdown: CancellationToken,
    ) -> std::io::Result<Arc<Self>> {
        let mut map = BTreeMap::new();
        for spec in nodes {
            let root = cfg.state_dir.join("nodes").join(&spec.name);
            for d in [
                "var/log/pods",
                "var/log/containers",
                "var/lib/systemd/coredump",
                "etc",
            ] {
                std::fs::create_dir_all(root.join(d))?;
            }
            std::fs::write(root.join("etc/hostname"), format!("{}\n", spec.name))?;
            std::fs::write(
                root.join("etc/machine-id"),
                format!("{:032x}\n", hash64(&[&spec.name]) as u128 * 7919),
            )?;
            map.insert(
                spec.name.clone(),
                Node {
                    spec,
                    root,
                    syslog: Mutex::new(()),
                },
            );
        }
        let with_logs = containers.iter().filter(|c| c.log.is_some()).count();
        let eager = with_logs <= cfg.eager_log_limit;
        let ctrs = containers
            .into_iter()
            .map(|spec| {
                let key = (
                    spec.namespace.clone(),
                    spec.pod.clone(),
                    spec.container.clone(),
                );
                let running = matches!(spec.behaviour, Behaviour::Steady)
                    || matches!(
                        spec.behaviour,
                        Behaviour::CrashLoop {
                            running_now: true,
                            ..
                        }
                    );
                let ctr = Ctr {
                    instance: AtomicU32::new(spec.restart_count),
                    seq: AtomicU64::new(0),
                    running: AtomicBool::new(running),
                    log: OnceLock::new(),
                    life: Mutex::new(()),
                    stop: shutdown.child_token(),
                    spec,
                };
                (key, Arc::new(ctr))
            })
            .collect();
        Ok(Arc::new(Kubelet {
            cfg,
            store,
            nodes: map,
            ctrs: RwLock::new(ctrs),
            eager,
            shutdown,
            started: Timestamp::now(),
        }))
    }

    pub fn node_root(&self, node: &str) -> Option<PathBuf> {
        self.nodes.get(node).map(|n| n.root.clone())
    }

    fn ctr(&self, ns: &str, pod: &str, container: &str) -> Option<Arc<Ctr>> {
        self.ctrs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(ns.to_string(), pod.to_string(), container.to_string()))
            .cloned()
    }

    fn interval(&self, log: &LogSpec) -> Duration {
        self.cfg
            .log_interval
            .unwrap_or(log.interval)
            .max(Duration::from_micros(100))
    }

    fn crash_timing(&self, run: Duration, backoff: Duration) -> (Duration, Duration) {
        match self.cfg.crash_period {
            Some(p) => (p / 2, p - p / 2),
            None => (run, backoff),
        }
    }

    fn open_log(&self, spec: &ContainerSpec) -> std::io::Result<Arc<ContainerLog>> {
        let root = self
            .nodes
            .get(&spec.node)
            .map(|n| n.root.clone())
            .unwrap_or_else(|| self.cfg.state_dir.join("nodes").join(&spec.node));
        let dir = root
            .join("var/log/pods")
            .join(format!("{}_{}_{}", spec.namespace, spec.pod, spec.pod_uid))
            .join(&spec.container);
        Ok(Arc::new(ContainerLog::new(
            dir,
            self.cfg.log_max_size,
            self.cfg.log_max_files,
        )?))
    }

    /// The log of a container, written now if it was left for later.
    pub fn container_log(
        &self,
        ns: &str,
        pod: &str,
        pod_uid: &str,
        container: &str,
        node: &str,
    ) -> std::io::Result<Arc<ContainerLog>> {
        if let Some(ctr) = self.ctr(ns, pod, container) {
            return self.materialize(&ctr, Timestamp::now());
        }
        // A container the scenario did not describe: an empty log.
        let spec = ContainerSpec {
            namespace: ns.into(),
            pod: pod.into(),
            pod_uid: pod_uid.into(),
            container: container.into(),
            node: node.into(),
            image: String::new(),
            command: Vec::new(),
            restart_count: 0,
            log: None,
            behaviour: Behaviour::Stopped,
            started_at: Timestamp::now(),
        };
        self.open_log(&spec)
    }

    fn materialize(&self, ctr: &Ctr, now: Timestamp) -> std::io::Result<Arc<ContainerLog>> {
        if let Some(l) = ctr.log.get() {
            return Ok(l.clone());
        }
        let _guard = ctr.life.lock().unwrap_or_else(|e| e.into_inner());
        self.materialize_unlocked(ctr, now)
    }

    fn next_seq(ctr: &Ctr) -> u64 {
        ctr.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn tagged(line: &str, seq: u64) -> String {
        format!("{line} seq={seq}")
    }

    /// Lines of one instance's life from `start` to `end`, in order.
    fn instance_lines(
        &self,
        ctr: &Ctr,
        style: LogStyle,
        interval: Duration,
        start: Timestamp,
        end: Timestamp,
        max_lines: usize,
    ) -> Vec<(Timestamp, Stream, String)> {
        let spec = &ctr.spec;
        let mut out = Vec::new();
        for l in crate::scenario::startup_lines(style, &spec.container, &spec.command, start) {
            out.push((start, Stream::Stdout, Self::tagged(&l, Self::next_seq(ctr))));
        }
        let span = end.duration_since(start);
        let step = SignedDuration::try_from(interval).unwrap_or(SignedDuration::from_secs(1));
        let total = (span.as_secs_f64() / step.as_secs_f64().max(1e-6)) as usize;
        let skip = total.saturating_sub(max_lines);
        let mut t = start + step * (skip as i32 + 1).max(1);
        while t < end {
            let seq = Self::next_seq(ctr);
            out.push((
                t,
                Stream::Stdout,
                crate::scenario::log_line(style, &spec.container, seq, t),
            ));
            t += step;
        }
        out
    }

    fn backfill(&self, ctr: &Ctr, log: &ContainerLog, now: Timestamp) -> std::io::Result<()> {
        let spec = &ctr.spec;
        let Some(ls) = &spec.log else { return Ok(()) };
        // History keeps the scenario's pace even when --log-rate speeds up
        // the live lines: a fast rate must not mean a slow start.
        let interval = ls.interval;
        let max_lines = if self.eager { 50_000 } else { 20 };
        let history = SignedDuration::try_from(ls.history).unwrap_or(SignedDuration::from_hours(1));
        let n = spec.restart_count;
        match &spec.behaviour {
            Behaviour::CrashLoop {
                run,
                running_now,
                last_finished,
                ..
            } => {
                let run = SignedDuration::try_from(*run).unwrap_or(SignedDuration::from_secs(60));
                // The instance before the last crash, then the last one; a
                // waiting container's last instance ran from `started_at` (what
                // the API shows as lastState.terminated.startedAt).
                let last_start = if *running_now || spec.started_at >= *last_finished {
                    *last_finished - run
                } else {
                    spec.started_at
                };
                if n > 0 {
                    let prev_end = if *running_now {
                        *last_finished
                    } else {
                        last_start - SignedDuration::from_secs(30)
                    };
                    let prev_start = prev_end - run;
                    let mut lines = self
                        .instance_lines(ctr, ls.style, interval, prev_start, prev_end, max_lines);
                    self.panic_into(ctr, &mut lines, prev_end);
                    log.append_batch(
                        if *running_now {
                            n - 1
                        } else {
                            n.saturating_sub(1)
                        },
                        &lines,
                    )?;
                }
                if *running_now {
                    let lines = self.instance_lines(
                        ctr,
                        ls.style,
                        interval,
                        spec.started_at,
                        now,
                        max_lines,
                    );
                    log.append_batch(n, &lines)?;
                } else {
                    let mut lines = self.instance_lines(
                        ctr,
                        ls.style,
                        interval,
                        last_start,
                        *last_finished,
                        max_lines,
                    );
                    self.panic_into(ctr, &mut lines, *last_finished);
                    log.append_batch(n, &lines)?;
                    log.close_instance(n);
                }
            }
            Behaviour::Steady => {
                let start = spec.started_at.max(now - history);
                let lines = self.instance_lines(ctr, ls.style, interval, start, now, max_lines);
                log.append_batch(n, &lines)?;
            }
            Behaviour::Stopped => {
                let start = spec.started_at.max(now - history);
                let lines = self.instance_lines(
                    ctr,
                    ls.style,
                    interval,
                    start,
                    start + SignedDuration::from_mins(5).min(now.duration_since(start)),
                    max_lines,
                );
                log.append_batch(n, &lines)?;
                log.close_instance(n);
            }
        }
        self.link_container_log(ctr, log, n);
        Ok(())
    }

    fn panic_into(&self, ctr: &Ctr, lines: &mut Vec<(Timestamp, Stream, String)>, at: Timestamp) {
        for (i, l) in crate::scenario::panic_lines(&ctr.spec.container, at)
            .into_iter()
            .enumerate()
        {
            let t = at + SignedDuration::from_micros(i as i64);
            lines.push((t, Stream::Stderr, Self::tagged(&l, Self::next_seq(ctr))));
        }
    }

    /// `var/log/containers/<pod>_<ns>_<container>-<id>.log`, as on a node.
    fn link_container_log(&self, ctr: &Ctr, log: &ContainerLog, instance: u32) {
        let spec = &ctr.spec;
        let Some(node) = self.nodes.get(&spec.node) else {
            return;
        };
        let id = container_id(&spec.pod_uid, &spec.container, instance);
        let id = id.trim_start_matches("containerd://");
        let link = node.root.join("var/log/containers").join(format!(
            "{}_{}_{}-{}.log",
            spec.pod, spec.namespace, spec.container, id
        ));
        let _ = std::fs::remove_file(&link);
        let _ = std::os::unix::fs::symlink(log.live_path(instance), link);
    }

    /// Writes the node files and history, then starts every container's life.
    pub fn start(self: &Arc<Self>) -> std::io::Result<()> {
        let now = self.started;
        for node in self.nodes.values() {
            self.backfill_syslog(node, now)?;
        }
        let ctrs: Vec<Arc<Ctr>> = self
            .ctrs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for ctr in &ctrs {
            if let Behaviour::CrashLoop { .. } = ctr.spec.behaviour {
                self.backfill_cores(ctr, now)?;
            }
        }
        // A crash of a process no pod runs (a node daemon): tools must list
        // it without pretending to know its pod.
        if let Some(node) = self
            .nodes
            .values()
            .find(|n| !n.spec.name.contains("master"))
        {
            self.write_node_core(node, now - SignedDuration::from_mins(40))?;
        }
        if self.eager {
            for ctr in &ctrs {
                if ctr.spec.log.is_some() {
                    self.materialize(ctr, now)?;
                }
            }
        }
        for ctr in ctrs {
            self.spawn_life(ctr);
        }
        let me = self.clone();
        tokio::spawn(async move { me.syslog_ticker().await });
        Ok(())
    }

    fn spawn_life(self: &Arc<Self>, ctr: Arc<Ctr>) {
        if self.eager && ctr.spec.log.is_some() && !matches!(ctr.spec.behaviour, Behaviour::Stopped)
        {
            let me = self.clone();
            let c = ctr.clone();
            tokio::spawn(async move { me.writer(c).await });
        }
        if let Behaviour::CrashLoop { .. } = ctr.spec.behaviour {
            let me = self.clone();
            tokio::spawn(async move { me.crash_loop(ctr).await });
        }
    }

    async fn writer(self: Arc<Self>, ctr: Arc<Ctr>) {
        let Some(ls) = ctr.spec.log else {
            return;
        };
        let mut tick = tokio::time::interval(self.interval(&ls));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = ctr.stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            if !ctr.running.load(Ordering::SeqCst) {
                continue;
            }
            let Ok(log) = self.materialize(&ctr, Timestamp::now()) else {
                continue;
            };
            let _g = ctr.life.lock().unwrap_or_else(|e| e.into_inner());
            if !ctr.running.load(Ordering::SeqCst) {
                continue;
            }
            let now = Timestamp::now();
            let seq = Self::next_seq(&ctr);
            let line = crate::scenario::log_line(ls.style, &ctr.spec.container, seq, now);
            if let Err(e) = log.append(
                ctr.instance.load(Ordering::SeqCst),
                now,
                Stream::Stdout,
                &line,
            ) {
                tracing::warn!(
                    "writing the log of {}/{}: {e}",
                    ctr.spec.pod,
                    ctr.spec.container
                );
            }
        }
    }

    async fn crash_loop(self: Arc<Self>, ctr: Arc<Ctr>) {
        let Behaviour::CrashLoop {
            run,
            backoff,
            running_now,
            last_finished,
            ..
        } = ctr.spec.behaviour.clone()
        else {
            return;
        };
        let (run, backoff) = self.crash_timing(run, backoff);
        let now = Timestamp::now();
        let (run_d, back_d) = (
            SignedDuration::try_from(run).unwrap_or_default(),
            SignedDuration::try_from(backoff).unwrap_or_default(),
        );
        // A transition the scenario put in the past happens one full phase
        // from now, so the world starts in the state the scenario shows.
        let due = if running_now {
            (ctr.spec.started_at + run_d).duration_since(now)
        } else {
            (last_finished + back_d).duration_since(now)
        };
        let mut wait = if due.is_positive() {
            due
        } else if running_now {
            run_d
        } else {
            back_d
        };
        loop {
            let d = Duration::try_from(wait)
                .unwrap_or(Duration::from_millis(500))
                .max(Duration::from_millis(200));
            tokio::select! {
                _ = ctr.stop.cancelled() => return,
                _ = tokio::time::sleep(d) => {}
            }
            if ctr.running.load(Ordering::SeqCst) {
                self.crash(&ctr, backoff);
                wait = SignedDuration::try_from(backoff).unwrap_or_default();
            } else {
                self.restart(&ctr);
                wait = SignedDuration::try_from(run).unwrap_or_default();
            }
        }
    }

    fn crash(&self, ctr: &Ctr, backoff: Duration) {
        let Behaviour::CrashLoop { exit_code, .. } = ctr.spec.behaviour else {
            return;
        };
        let now = Timestamp::now();
        let spec = &ctr.spec;
        let n;
        {
            let _g = ctr.life.lock().unwrap_or_else(|e| e.into_inner());
            n = ctr.instance.load(Ordering::SeqCst);
            if let Ok(log) = self.materialize_unlocked(ctr, now) {
                let mut lines = Vec::new();
                self.panic_into(ctr, &mut lines, now);
                for (t, s, l) in lines {
                    let _ = log.append(n, t, s, &l);
                }
                log.close_instance(n);
            }
            ctr.running.store(false, Ordering::SeqCst);
        }
        let pid = 1000 + (hash64(&[&spec.pod_uid, &n.to_string()]) % 60000) as u32;
        // SIGKILL (an OOM kill) leaves no core dump.
        if dumps_core(spec)
            && let Err(e) = self.write_core(ctr, now, pid)
        {
            tracing::warn!("writing a core dump for {}: {e}", spec.pod);
        }
        let started = self
            .store
            .get(index_of("pods"), &spec.namespace, &spec.pod)
            .and_then(|o| {
                o.value()
                    .pointer("/status/containerStatuses")
                    .and_then(Value::as_array)
                    .and_then(|cs| {
                        cs.iter()
                            .find(|c| c["name"] == spec.container.as_str())
                            .cloned()
                    })
            })
            .and_then(|c| {
                c.pointer("/state/running/startedAt")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| ts(now));
        let back = backoff.as_secs();
        let msg = format!(
            "back-off {}restarting failed container={} pod={}_{}({})",
            if back >= 60 {
                format!("{}m{}s ", back / 60, back % 60)
            } else {
                format!("{back}s ")
            },
            spec.container,
            spec.pod,
            spec.namespace,
            spec.pod_uid
        );
        let cid = container_id(&spec.pod_uid, &spec.container, n);
        let container = spec.container.clone();
        let reason = if exit_code == 137 {
            "OOMKilled"
        } else if exit_code == 0 {
            "Completed"
        } else {
            "Error"
        };
        self.store.update(index_of("pods"), &spec.namespace, &spec.pod, |pod| {
            set_container_status(pod, &container, |cs| {
                cs["state"] = json!({"waiting": {"reason": "CrashLoopBackOff", "message": msg}});
                cs["lastState"] = json!({"terminated": {"exitCode": exit_code, "reason": reason, "startedAt": started, "finishedAt": ts(now), "containerID": cid}});
                cs["ready"] = json!(false);
                cs["started"] = json!(false);
                cs["restartCount"] = json!(n);
                cs["containerID"] = json!(cid);
            });
            refresh_ready_conditions(pod, now);
            true
        });
        self.record_event(
            ctr,
            "Warning",
            "BackOff",
            &format!(
                "Back-off restarting failed container {} in pod {}_{}({})",
                spec.container, spec.pod, spec.namespace, spec.pod_uid
            ),
        );
        self.syslog_at(
            &spec.node,
            now,
            &format!(
                "systemd-coredump[{}]: Process {pid} ({}) of user {} dumped core.",
                pid + 7,
                core_comm(spec),
                core_uid(spec)
            ),
        );
    }

    /// `materialize` for a caller that already holds `ctr.life`.
    fn materialize_unlocked(
        &self,
        ctr: &Ctr,
        now: Timestamp,
    ) -> std::io::Result<Arc<ContainerLog>> {
        if let Some(l) = ctr.log.get() {
            return Ok(l.clone());
        }
        let log = self.open_log(&ctr.spec)?;
        self.backfill(ctr, &log, now)?;
        let _ = ctr.log.set(log.clone());
        Ok(log)
    }

    fn restart(&self, ctr: &Ctr) {
        let now = Timestamp::now();
        let spec = &ctr.spec;
        let n;
        {
            let _g = ctr.life.lock().unwrap_or_else(|e| e.into_inner());
            n = ctr.instance.load(Ordering::SeqCst) + 1;
            ctr.instance.store(n, Ordering::SeqCst);
            if let Ok(log) = self.materialize_unlocked(ctr, now) {
                // Kubelet keeps the current and the previous instance.
                if let Ok(files) = log.files() {
                    for (p, i) in files {
                        if i + 1 < n {
                            let _ = std::fs::remove_file(p);
                        }
                    }
                }
                if let Some(ls) = &spec.log {
                    for l in crate::scenario::startup_lines(
                        ls.style,
                        &spec.container,
                        &spec.command,
                        now,
                    ) {
                        let _ = log.append(
                            n,
                            now,
                            Stream::Stdout,
                            &Self::tagged(&l, Self::next_seq(ctr)),
                        );
                    }
                }
                self.link_container_log(ctr, &log, n);
            }
            ctr.running.store(true, Ordering::SeqCst);
        }
        let cid = container_id(&spec.pod_uid, &spec.container, n);
        let container = spec.container.clone();
        self.store
            .update(index_of("pods"), &spec.namespace, &spec.pod, |pod| {
                set_container_status(pod, &container, |cs| {
                    cs["state"] = json!({"running": {"startedAt": ts(now)}});
                    cs["ready"] = json!(true);
                    cs["started"] = json!(true);
                    cs["restartCount"] = json!(n);
                    cs["containerID"] = json!(cid);
                });
                refresh_ready_conditions(pod, now);
                true
            });
        let image = spec.image.clone();
        self.record_event(
            ctr,
            "Normal",
            "Pulled",
            &format!("Container image \"{image}\" already present on machine"),
        );
        self.record_event(
            ctr,
            "Normal",
            "Created",
            &format!("Created container: {}", spec.container),
        );
        self.record_event(
            ctr,
            "Normal",
            "Started",
            &format!("Started container {}", spec.container),
        );
    }

    /// Bumps the count of the pod's event with that reason, or creates it,
    /// as the kubelet's event recorder aggregates.
    fn record_event(&self, ctr: &Ctr, type_: &str, reason: &str, message: &str) {
        let spec = &ctr.spec;
        let events = index_of("events");
        let now = ts(Timestamp::now());
        let (found, _, _) =
            self.store
                .list_page(events, Some(&spec.namespace), None, Some(1), &|o: &Obj| {
                    o.field("involvedObject.uid") == spec.pod_uid && o.field("reason") == reason
                });
        if let Some(ev) = found.first() {
            self.store.update(events, &ev.namespace, &ev.name, |v| {
                let c = v["count"].as_i64().unwrap_or(1) + 1;
                v["count"] = json!(c);
                v["lastTimestamp"] = json!(now);
                v["message"] = json!(message);
                true
            });
            return;
        }
        let name = format!(
            "{}.{:016x}",
            spec.pod,
            hash64(&[&spec.pod_uid, reason, &now])
        );
        let _ = self.store.create(json!({
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {"name": name, "namespace": spec.namespace, "uid": uuid_like(&name), "creationTimestamp": now},
            "involvedObject": {"kind": "Pod", "namespace": spec.namespace, "name": spec.pod, "uid": spec.pod_uid, "apiVersion": "v1", "fieldPath": format!("spec.containers{{{}}}", spec.container)},
            "reason": reason,
            "message": message,
            "source": {"component": "kubelet", "host": spec.node},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "eventTime": null,
            "reportingComponent": "kubelet",
            "reportingInstance": spec.node,
        }));
    }

    fn write_core(&self, ctr: &Ctr, at: Timestamp, pid: u32) -> std::io::Result<PathBuf> {
        let spec = &ctr.spec;
        let Some(node) = self.nodes.get(&spec.node) else {
            return Err(std::io::Error::other(format!("no node {}", spec.node)));
        };
        let signal = match spec.behaviour {
            Behaviour::CrashLoop { signal, .. } => signal.unwrap_or(6),
            _ => 6,
        };
        let comm = core_comm(spec);
        let uid = core_uid(spec);
        let usec = at.as_microsecond();
        let name = format!("core.{comm}.{uid}.{}.{pid}.{usec}.zst", node.spec.boot_id);
        let path = node.root.join("var/lib/systemd/coredump").join(&name);
        // An ELF core header, then the process's "memory": compressible, and
        // different per crash so cores can be told apart by checksum.
        let mut raw = Vec::with_capacity(256 * 1024);
        raw.extend_from_slice(
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x3e\x00",
        );
        raw.extend_from_slice(
            format!(
                "CORE pid={pid} comm={comm} signal={signal} pod={} container={}\n",
                spec.pod, spec.container
            )
            .as_bytes(),
        );
        let mut x = hash64(&[&name]);
        while raw.len() < 256 * 1024 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = x.to_le_bytes();
            raw.extend_from_slice(if x.is_multiple_of(4) { &b } else { &[0u8; 8] });
        }
        let compressed = zstd::encode_all(&raw[..], 3)?;
        let tmp = path.with_extension("tmp");
        std::fs::File::create(&tmp)?.write_all(&compressed)?;
        std::fs::rename(&tmp, &path)?;
        let exe = spec
            .command
            .last()
            .cloned()
            .unwrap_or_else(|| format!("/usr/bin/{comm}"));
        for (k, v) in [
            ("user.coredump.pid", pid.to_string()),
            ("user.coredump.uid", uid.to_string()),
            ("user.coredump.gid", uid.to_string()),
            ("user.coredump.signal", signal.to_string()),
            ("user.coredump.timestamp", usec.to_string()),
            ("user.coredump.rlimit", "18446744073709551615".to_string()),
            ("user.coredump.hostname", spec.pod.clone()),
            ("user.coredump.comm", comm.clone()),
            ("user.coredump.exe", exe.clone()),
        ] {
            // Not every filesystem takes user xattrs; the name holds the rest.
            let _ = xattr::set(&path, k, v.as_bytes());
        }
        Ok(path)
    }

    fn write_node_core(&self, node: &Node, at: Timestamp) -> std::io::Result<()> {
        let pid = 2000 + (hash64(&[&node.spec.name, "node-core"]) % 30000) as u32;
        let name = format!(
            "core.node-exporter.65534.{}.{pid}.{}.zst",
            node.spec.boot_id,
            at.as_microsecond()
        );
        let path = node.root.join("var/lib/systemd/coredump").join(&name);
        let raw = format!("\x7fELF core of node-exporter pid {pid}\n").repeat(2000);
        std::fs::write(&path, zstd::encode_all(raw.as_bytes(), 3)?)?;
        for (k, v) in [
            ("user.coredump.pid", pid.to_string()),
            ("user.coredump.uid", "65534".to_string()),
            ("user.coredump.signal", "11".to_string()),
            ("user.coredump.timestamp", at.as_microsecond().to_string()),
            ("user.coredump.hostname", node.spec.name.clone()),
            ("user.coredump.comm", "node-exporter".to_string()),
            ("user.coredump.exe", "/usr/bin/node-exporter".to_string()),
        ] {
            let _ = xattr::set(&path, k, v.as_bytes());
        }
        self.syslog_at(
            &node.spec.name,
            at,
            &format!(
                "systemd-coredump[{}]: Process {pid} (node-exporter) of user 65534 dumped core.",
                pid + 3
            ),
        );
        Ok(())
    }

    fn backfill_cores(&self, ctr: &Ctr, now: Timestamp) -> std::io::Result<()> {
        if !dumps_core(&ctr.spec) {
            return Ok(());
        }
        let Behaviour::CrashLoop {
            run,
            backoff,
            running_now,
            last_finished,
            ..
        } = ctr.spec.behaviour.clone()
        else {
            return Ok(());
        };
        let cycle = SignedDuration::try_from(run + backoff).unwrap_or(SignedDuration::from_mins(3));
        let crashes = (ctr.spec.restart_count + u32::from(!running_now)).min(6);
        for k in 0..crashes {
            let at = last_finished - cycle * k as i32;
            if at > now {
                continue;
            }
            let pid = 1000 + (hash64(&[&ctr.spec.pod_uid, &k.to_string(), "core"]) % 60000) as u32;
            self.write_core(ctr, at, pid)?;
            self.syslog_at(
                &ctr.spec.node,
                at,
                &format!(
                    "systemd-coredump[{}]: Process {pid} ({}) of user {} dumped core.",
                    pid + 7,
                    core_comm(&ctr.spec),
                    core_uid(&ctr.spec)
                ),
            );
        }
        Ok(())
    }

    fn backfill_syslog(&self, node: &Node, now: Timestamp) -> std::io::Result<()> {
        let var_log = node.root.join("var/log");
        let host = &node.spec.name;
        let mut older = String::new();
        let mut current = String::new();
        let start = now - SignedDuration::from_hours(2);
        let mut t = start;
        let mut i = 0u64;
        while t < now {
            let line = match i % 4 {
                0 => format!(
                    "{} {host} kubelet[1187]: I{} 1187 kubelet_node_status.go:497] \"Fast updating node status as it just became ready\"",
                    syslog_stamp(t),
                    t.strftime("%m%d %H:%M:%S%.6f")
                ),
                1 => format!(
                    "{} {host} containerd[902]: time=\"{}\" level=info msg=\"ImageCreate event name:\\\"registry.smi.example/smi-fuse/smf/smf-service:1.0.4-0212\\\"\"",
                    syslog_stamp(t),
                    ts(t)
                ),
                2 => format!(
                    "{} {host} kubelet[1187]: I{} 1187 kubelet.go:2468] \"SyncLoop (PLEG): event for pod\"",
                    syslog_stamp(t),
                    t.strftime("%m%d %H:%M:%S%.6f")
                ),
                _ => format!(
                    "{} {host} systemd[1]: Started Session {} of User ubuntu.",
                    syslog_stamp(t),
                    100 + i
                ),
            };
            if t < now - SignedDuration::from_hours(1) {
                older.push_str(&line);
                older.push('\n');
            } else {
                current.push_str(&line);
                current.push('\n');
            }
            t += SignedDuration::from_secs(30);
            i += 1;
        }
        // logrotate's names: syslog, syslog.1, syslog.2.gz.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(
            format!(
                "{} {host} kernel: [    0.000000] Linux version 5.4.0-169-generic\n",
                syslog_stamp(start - SignedDuration::from_hours(1))
            )
            .as_bytes(),
        )?;
        std::fs::write(var_log.join("syslog.2.gz"), gz.finish()?)?;
        std::fs::write(var_log.join("syslog.1"), older)?;
        std::fs::write(var_log.join("syslog"), current)?;
        std::fs::write(
            var_log.join("kern.log"),
            format!(
                "{} {host} kernel: [    0.000000] Linux version 5.4.0-169-generic (buildd@lcy02-amd64-059)\n",
                syslog_stamp(start)
            ),
        )?;
        Ok(())
    }

    fn syslog_at(&self, node: &str, at: Timestamp, msg: &str) {
        let Some(n) = self.nodes.get(node) else {
            return;
        };
        let _g = n.syslog.lock().unwrap_or_else(|e| e.into_inner());
        let line = format!("{} {} {msg}\n", syslog_stamp(at), n.spec.name);
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(n.root.join("var/log/syslog"))
        {
            let _ = f.write_all(line.as_bytes());
        }
    }

    async fn syslog_ticker(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let now = Timestamp::now();
            for name in self.nodes.keys() {
                self.syslog_at(
                    name,
                    now,
                    &format!(
                        "kubelet[1187]: I{} 1187 kubelet.go:2468] \"SyncLoop (housekeeping)\"",
                        now.strftime("%m%d %H:%M:%S%.6f")
                    ),
                );
            }
        }
    }

    /// The kubelet Summary API for one node, from the pods bound to it.
    pub fn stats_summary(&self, node: &str) -> Value {
        let now = Timestamp::now();
        let t = ts(now);
        let secs = now.as_second() as f64;
        let wave =
            |seed: u64, period: f64| ((secs / period + (seed % 1000) as f64).sin() + 1.0) / 2.0;
        let (pods, _, _) = self
            .store
            .list_page(index_of("pods"), None, None, None, &|o: &Obj| {
                o.field("spec.nodeName") == node
            });
        let mut pod_stats = Vec::new();
        let (mut node_cpu, mut node_mem) = (400_000_000u64, 2_000_000_000u64);
        for o in pods {
            let p = o.value();
            if p.pointer("/status/phase").and_then(Value::as_str) != Some("Running") {
                continue;
            }
            let uid = p
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let start = p.pointer("/status/startTime").cloned().unwrap_or(json!(t));
            let mut containers = Vec::new();
            let (mut pc, mut pm) = (0u64, 0u64);
            for c in p
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if c.pointer("/state/running").is_none() {
                    continue;
                }
                let name = c["name"].as_str().unwrap_or_default();
                let seed = hash64(&[uid, name]);
                let cpu = (5_000_000.0 + 300_000_000.0 * wave(seed, 97.0)) as u64;
                let mem = (64.0 * 1048576.0 + 700.0 * 1048576.0 * wave(seed >> 8, 601.0)) as u64;
                pc += cpu;
                pm += mem;
                let log_bytes = self
                    .ctr(&o.namespace, &o.name, name)
                    .and_then(|ctr| ctr.log.get().cloned())
                    .and_then(|l| l.files().ok())
                    .map(|fs| {
                        fs.iter()
                            .filter_map(|(p, _)| std::fs::metadata(p).ok())
                            .map(|m| m.len())
                            .sum::<u64>()
                    })
                    .unwrap_or(0);
                containers.push(json!({
                    "name": name,
                    "startTime": c.pointer("/state/running/startedAt").cloned().unwrap_or(json!(t)),
                    "cpu": {"time": t, "usageNanoCores": cpu, "usageCoreNanoSeconds": (cpu as f64 * (secs % 86400.0)) as u64},
                    "memory": {"time": t, "usageBytes": mem + 8 * 1048576, "workingSetBytes": mem, "rssBytes": mem * 9 / 10, "pageFaults": seed % 100000, "majorPageFaults": seed % 100},
                    "rootfs": {"time": t, "availableBytes": 80_000_000_000u64, "capacityBytes": 105_152_176_128u64, "usedBytes": 40960 + seed % 1_000_000, "inodesFree": 6_000_000, "inodes": 6_553_600, "inodesUsed": 12},
                    "logs": {"time": t, "availableBytes": 80_000_000_000u64, "capacityBytes": 105_152_176_128u64, "usedBytes": log_bytes, "inodesFree": 6_000_000, "inodes": 6_553_600, "inodesUsed": 3},
                }));
            }
            node_cpu += pc;
            node_mem += pm;
            pod_stats.push(json!({
                "podRef": {"name": o.name, "namespace": o.namespace, "uid": uid},
                "startTime": start,
                "containers": containers,
                "cpu": {"time": t, "usageNanoCores": pc, "usageCoreNanoSeconds": (pc as f64 * (secs % 86400.0)) as u64},
                "memory": {"time": t, "usageBytes": pm + 16 * 1048576, "workingSetBytes": pm, "rssBytes": pm * 9 / 10, "pageFaults": 0, "majorPageFaults": 0},
                "network": {"time": t, "name": "eth0", "rxBytes": (secs as u64 % 1_000_000) * 1500, "rxErrors": 0, "txBytes": (secs as u64 % 1_000_000) * 900, "txErrors": 0},
                "ephemeral-storage": {"time": t, "availableBytes": 80_000_000_000u64, "capacityBytes": 105_152_176_128u64, "usedBytes": 1_048_576, "inodesFree": 6_000_000, "inodes": 6_553_600, "inodesUsed": 20},
                "process_stats": {"process_count": containers_len(&p)},
            }));
        }
        json!({
            "node": {
                "nodeName": node,
                "systemContainers": [
                    {"name": "kubelet", "startTime": ts(self.started - SignedDuration::from_hours(144)), "cpu": {"time": t, "usageNanoCores": 30_000_000, "usageCoreNanoSeconds": 9_000_000_000_000u64}, "memory": {"time": t, "usageBytes": 120_000_000, "workingSetBytes": 90_000_000, "rssBytes": 80_000_000, "pageFaults": 0, "majorPageFaults": 0}},
                    {"name": "runtime", "startTime": ts(self.started - SignedDuration::from_hours(144)), "cpu": {"time": t, "usageNanoCores": 20_000_000, "usageCoreNanoSeconds": 6_000_000_000_000u64}, "memory": {"time": t, "usageBytes": 200_000_000, "workingSetBytes": 150_000_000, "rssBytes": 140_000_000, "pageFaults": 0, "majorPageFaults": 0}},
                ],
                "startTime": ts(self.started - SignedDuration::from_hours(146)),
                "cpu": {"time": t, "usageNanoCores": node_cpu, "usageCoreNanoSeconds": (node_cpu as f64 * (secs % 864000.0)) as u64},
                "memory": {"time": t, "availableBytes": 64u64 * 1073741824 - node_mem, "usageBytes": node_mem + 1_000_000_000, "workingSetBytes": node_mem, "rssBytes": node_mem * 9 / 10, "pageFaults": 1_000_000, "majorPageFaults": 100},
                "network": {"time": t, "name": "ens3", "rxBytes": (secs as u64 % 10_000_000) * 4000, "rxErrors": 0, "txBytes": (secs as u64 % 10_000_000) * 3000, "txErrors": 0},
                "fs": {"time": t, "availableBytes": 80_000_000_000u64, "capacityBytes": 105_152_176_128u64, "usedBytes": 25_152_176_128u64, "inodesFree": 6_000_000, "inodes": 6_553_600, "inodesUsed": 553_600},
                "runtime": {"imageFs": {"time": t, "availableBytes": 80_000_000_000u64, "capacityBytes": 105_152_176_128u64, "usedBytes": 9_000_000_000u64, "inodesFree": 6_000_000, "inodes": 6_553_600, "inodesUsed": 200_000}},
                "rlimit": {"time": t, "maxpid": 4194304, "curproc": 600},
            },
            "pods": pod_stats,
        })
    }

    /// Accepts a pod created through the API: binds it to a node, marks it
    /// running and starts writing its log.
    pub fn admit_pod(self: &Arc<Self>, mut pod: Value) -> Result<Arc<Obj>, AdmitError> {
        let now = Timestamp::now();
        let ns = pod
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        let name = match pod.pointer("/metadata/name").and_then(Value::as_str) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => match pod
                .pointer("/metadata/generateName")
                .and_then(Value::as_str)
            {
                Some(g) => format!("{g}{:05x}", hash64(&[&now.to_string()]) % 0xfffff),
                None => {
                    return Err(AdmitError::Invalid(
                        "metadata.name: Required value: name or generateName is required".into(),
                    ));
                }
            },
        };
        let containers: Vec<Value> = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if containers.is_empty() {
            return Err(AdmitError::Invalid(
                "spec.containers: Required value".into(),
            ));
        }
        if self.store.get(index_of("pods"), &ns, &name).is_some() {
            return Err(AdmitError::Exists(name));
        }
        let node = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .filter(|n| self.nodes.contains_key(*n))
            .map(str::to_string)
            .unwrap_or_else(|| {
                let names: Vec<&String> = self
                    .nodes
                    .keys()
                    .filter(|n| !n.contains("master"))
                    .collect();
                let pick = hash64(&[&name]) as usize % names.len().max(1);
                names.get(pick).map(|s| s.to_string()).unwrap_or_default()
            });
        let uid = uuid_like(&format!("{ns}/{name}/{now}"));
        let meta = pod["metadata"]
            .as_object_mut()
            .ok_or_else(|| AdmitError::Invalid("metadata: Required value".into()))?;
        meta.insert("name".into(), json!(name));
        meta.insert("namespace".into(), json!(ns));
        meta.insert("uid".into(), json!(uid));
        meta.insert("creationTimestamp".into(), json!(ts(now)));
        pod["spec"]["nodeName"] = json!(node);
        let statuses: Vec<Value> = containers
            .iter()
            .map(|c| {
                let cname = c["name"].as_str().unwrap_or_default();
                json!({
                    "name": cname,
                    "state": {"running": {"startedAt": ts(now)}},
                    "lastState": {},
                    "ready": true,
                    "restartCount": 0,
                    "image": c["image"],
                    "imageID": format!("{}@sha256:{:016x}", c["image"].as_str().unwrap_or_default(), hash64(&[cname])),
                    "containerID": container_id(&uid, cname, 0),
                    "started": true,
                })
            })
            .collect();
        let ip = format!(
            "192.168.{}.{}",
            100 + hash64(&[&name]) % 100,
            2 + hash64(&[&uid]) % 250
        );
        let host_ip = self
            .nodes
            .get(&node)
            .map(|n| n.spec.internal_ip.clone())
            .unwrap_or_default();
        pod["status"] = json!({
            "phase": "Running",
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(now)},
                {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(now)},
                {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(now)},
                {"type": "ContainersReady", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(now)},
                {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": ts(now)},
            ],
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": ts(now),
            "containerStatuses": statuses,
            "qosClass": "BestEffort",
        });
        let interval = self.cfg.log_interval.unwrap_or(Duration::from_secs(1));
        // Registered before the pod is visible, so a log request that follows
        // the pod's creation at once finds the writer's log (and is woken).
        let mut ctrs = Vec::new();
        for c in &containers {
            let cname = c["name"].as_str().unwrap_or_default().to_string();
            let spec = ContainerSpec {
                namespace: ns.clone(),
                pod: name.clone(),
                pod_uid: uid.clone(),
                container: cname.clone(),
                node: node.clone(),
                image: c["image"].as_str().unwrap_or_default().to_string(),
                command: c["command"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                restart_count: 0,
                log: Some(LogSpec {
                    style: LogStyle::Plain,
                    interval,
                    history: Duration::ZERO,
                }),
                behaviour: Behaviour::Steady,
                started_at: now,
            };
            let ctr = Arc::new(Ctr {
                instance: AtomicU32::new(0),
                seq: AtomicU64::new(0),
                running: AtomicBool::new(true),
                log: OnceLock::new(),
                life: Mutex::new(()),
                stop: self.shutdown.child_token(),
                spec,
            });
            let _ = self.materialize(&ctr, now);
            self.ctrs
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert((ns.clone(), name.clone(), cname), ctr.clone());
            ctrs.push(ctr);
        }
        let created = self.store.create(pod).map_err(|e| match e {
            crate::store::StoreError::AlreadyExists { name, .. } => AdmitError::Exists(name),
            other => AdmitError::Invalid(other.to_string()),
        });
        let obj = match created {
            Ok(o) => o,
            Err(e) => {
                let mut map = self.ctrs.write().unwrap_or_else(|e| e.into_inner());
                for c in &ctrs {
                    map.remove(&(
                        c.spec.namespace.clone(),
                        c.spec.pod.clone(),
                        c.spec.container.clone(),
                    ));
                }
                return Err(e);
            }
        };
        for c in ctrs {
            // Pods created at run time always write: they are few.
            let me = self.clone();
            tokio::spawn(async move { me.writer(c).await });
        }
        Ok(obj)
    }

    /// Deletes a pod at once (no grace period): its containers stop, their
    /// streams end.
    pub fn remove_pod(&self, ns: &str, name: &str) -> Option<Arc<Obj>> {
        let obj = self.store.delete(index_of("pods"), ns, name)?;
        let mut ctrs = self.ctrs.write().unwrap_or_else(|e| e.into_inner());
        let keys: Vec<Key> = ctrs
            .keys()
            .filter(|(n, p, _)| n == ns && p == name)
            .cloned()
            .collect();
        for k in keys {
            if let Some(c) = ctrs.remove(&k) {
                c.stop.cancel();
                c.running.store(false, Ordering::SeqCst);
                if let Some(l) = c.log.get() {
                    l.close_instance(c.instance.load(Ordering::SeqCst));
                }
            }
        }
        Some(obj)
    }

    /// Ends the writers and closes every followed stream.
    pub fn stop(&self) {
        for c in self.ctrs.read().unwrap_or_else(|e| e.into_inner()).values() {
            c.stop.cancel();
            if let Some(l) = c.log.get() {
                l.close_instance(c.instance.load(Ordering::SeqCst));
            }
        }
    }
}

fn containers_len(p: &Value) -> usize {
    p.pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0)
}

fn core_comm(spec: &ContainerSpec) -> String {
    match &spec.behaviour {
        Behaviour::CrashLoop { process, .. } if !process.is_empty() => process.clone(),
        _ => spec.container.chars().take(15).collect(),
    }
}

/// Whether the container's crashes leave a core: not when it is killed
/// (SIGKILL, exit 137: the OOM killer), which dumps nothing.
fn dumps_core(spec: &ContainerSpec) -> bool {
    match &spec.behaviour {
        Behaviour::CrashLoop {
            exit_code, signal, ..
        } => *exit_code != 137 && *signal != Some(9),
        _ => false,
    }
}

fn core_uid(spec: &ContainerSpec) -> u32 {
    match &spec.behaviour {
        Behaviour::CrashLoop { uid, .. } => *uid,
        _ => 0,
    }
}

/// A UUID-shaped identifier, stable for its seed.
pub fn uuid_like(seed: &str) -> String {
    let a = hash64(&[seed, "a"]);
    let b = hash64(&[seed, "b"]);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        (a & 0xfff) as u16,
        ((b >> 48) as u16 & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

fn set_container_status(pod: &mut Value, container: &str, f: impl FnOnce(&mut Value)) {
    if let Some(cs) = pod
        .pointer_mut("/status/containerStatuses")
        .and_then(Value::as_array_mut)
        .and_then(|a| a.iter_mut().find(|c| c["name"] == container))
    {
        f(cs);
    }
}

/// Ready and ContainersReady follow the containers' readiness.
fn refresh_ready_conditions(pod: &mut Value, now: Timestamp) {
    let unready: Vec<String> = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|c| c["ready"] != json!(true))
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let Some(conds) = pod
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for c in conds.iter_mut() {
        if c["type"] != "Ready" && c["type"] != "ContainersReady" {
            continue;
        }
        let want = if unready.is_empty() { "True" } else { "False" };
        if c["status"] != want {
            c["status"] = json!(want);
            c["lastTransitionTime"] = json!(ts(now));
        }
        let m = c.as_object_mut().expect("a condition is an object");
        if unready.is_empty() {
            m.remove("reason");
            m.remove("message");
        } else {
            m.insert("reason".into(), json!("ContainersNotReady"));
            m.insert(
                "message".into(),
                json!(format!(
                    "containers with unready status: [{}]",
                    unready.join(" ")
                )),
            );
        }
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Kubelet>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_are_stable_and_distinct() {
        let a = container_id("uid", "c", 1);
        assert_eq!(a, container_id("uid", "c", 1));
        assert_ne!(a, container_id("uid", "c", 2));
        assert_eq!(a.len(), "containerd://".len() + 64);
    }

    #[test]
    fn syslog_times_round_trip() {
        let t: Timestamp = "2026-11-29T03:15:59Z".parse().unwrap();
        let line = format!("{} worker2 kubelet[1]: x", syslog_stamp(t));
        assert_eq!(syslog_time(&line, 2026), Some(t));
        let early: Timestamp = "2026-11-02T01:02:03Z".parse().unwrap();
        let line = format!("{} worker2 kubelet[1]: x", syslog_stamp(early));
        assert_eq!(syslog_time(&line, 2026), Some(early));
    }

    #[test]
    fn uuids_look_like_uuids() {
        let u = uuid_like("x");
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
    }

    #[test]
    fn ready_conditions_follow_containers() {
        let mut pod = json!({"status": {"containerStatuses": [{"name": "a", "ready": false}], "conditions": [{"type": "Ready", "status": "True"}]}});
        refresh_ready_conditions(&mut pod, Timestamp::now());
        assert_eq!(pod["status"]["conditions"][0]["status"], "False");
        assert_eq!(
            pod["status"]["conditions"][0]["message"],
            "containers with unready status: [a]"
        );
    }
}
