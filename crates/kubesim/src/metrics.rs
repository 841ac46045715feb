//! A synthetic, deterministic metric history of the cluster's containers in
//! the OpenMetrics text format, as cAdvisor (through the kubelet) and
//! kube-state-metrics would have recorded it, for Prometheus to be backfilled
//! with (`promtool tsdb create-blocks-from openmetrics`).
//!
//! The history is derived from the pods in the store, so that what Prometheus
//! says and what the API says agree: the restart counter ends at each
//! container's `restartCount`, a crash-looping container's CPU counter resets
//! and its memory drops at each crash, at the crash times the kubelet uses for
//! its core dumps (`last_finished - k × (run + backoff)`, see
//! `Kubelet::backfill_cores`). Levels come from a hash of the names, so the
//! same world and window always give the same bytes.
//!
//! Approximations (documented, and fine for troubleshooting demos):
//! - the restart counter steps up when the next instance starts (as the API's
//!   `restartCount` does), the crash itself being the end of the previous
//!   instance; restarts the status cannot place are laid out one crash-loop
//!   cycle apart, ending at the last termination the status shows;
//! - a container's latest crashed instance starts one back-off after the crash
//!   before it, even when the status's `lastState.startedAt` says earlier
//!   (the kubelet's core dumps follow the same cycle);
//! - a pod's phase is its current phase over its whole life;
//! - a container that is not running (back-off, completed, never started)
//!   has no CPU or memory samples, as when cAdvisor loses its cgroup.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use crate::resources::index_of;
use crate::scenario::{Behaviour, ContainerSpec};
use crate::store::Store;

/// Prometheus's default scrape interval.
pub const DEFAULT_STEP: Duration = Duration::from_secs(15);

/// How the kubelet times one container's crash loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashTiming {
    pub run: Duration,
    pub backoff: Duration,
}

/// Crash-loop timings by (namespace, pod, container).
pub type CrashTimings = HashMap<(String, String, String), CrashTiming>;

/// The crash-loop timings of a world's containers: the status alone does not
/// tell them (the last instance's run and the back-off may differ from the
/// cycle), and the history should cycle as the kubelet does.
pub fn crash_timings(containers: &[ContainerSpec]) -> CrashTimings {
    containers
        .iter()
        .filter_map(|c| match c.behaviour {
            Behaviour::CrashLoop { run, backoff, .. } => Some((
                (c.namespace.clone(), c.pod.clone(), c.container.clone()),
                CrashTiming { run, backoff },
            )),
            _ => None,
        })
        .collect()
}

/// Writes the history of every pod in the store over [from, to], one sample
/// per `step` (whole seconds, at least 1 s) ending exactly at `to` (to the
/// second), then `# EOF`. Streams: memory does not grow with the window.
///
/// Families, in this order:
/// - `container_cpu_usage_seconds_total{namespace,pod,container,node}` (counter)
/// - `container_memory_working_set_bytes{namespace,pod,container,node}` (gauge)
/// - `container_network_receive_bytes_total{namespace,pod,interface,node}` (counter)
/// - `container_network_transmit_bytes_total{namespace,pod,interface,node}` (counter)
/// - `kube_pod_container_status_restarts_total{namespace,pod,container}` (counter)
/// - `kube_pod_status_phase{namespace,pod,phase}` (gauge, 1 for the current phase)
pub fn write_openmetrics<W: Write>(
    store: &Store,
    timings: &CrashTimings,
    from: Timestamp,
    to: Timestamp,
    step: Duration,
    out: W,
) -> io::Result<()> {
    let grid = Grid::new(from, to, step);
    let pods = collect(store, timings, grid.last as f64);
    let mut w = BufWriter::with_capacity(256 * 1024, out);
    write_families(&mut w, &grid, &pods)?;
    w.flush()
}

/// Sample times: `last - k × step`, ascending, none before `from`.
#[derive(Debug, Clone, Copy)]
struct Grid {
    first: i64,
    last: i64,
    step: i64,
}

impl Grid {
    fn new(from: Timestamp, to: Timestamp, step: Duration) -> Grid {
        let step = step.as_secs().max(1) as i64;
        let last = to.as_second();
        let k = (last - from.as_second()).max(0) / step;
        Grid {
            first: last - k * step,
            last,
            step,
        }
    }

    /// The sample times in [a, b).
    fn within(&self, a: f64, b: f64) -> impl Iterator<Item = i64> + use<> {
        let i0 = ((a - self.first as f64) / self.step as f64).ceil().max(0.0) as i64;
        let (first, last, step) = (self.first, self.last, self.step);
        (i0..)
            .map(move |i| first + i * step)
            .take_while(move |&t| t <= last && (t as f64) < b)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Instance {
    start: f64,
    /// INFINITY while it runs.
    end: f64,
}

#[derive(Debug)]
struct CtrHist {
    name: String,
    seed: u64,
    instances: Vec<Instance>,
    /// When each restart happened (the next instance started), ascending.
    restarts: Vec<f64>,
    crashloop: bool,
    /// How long an instance of a crash loop lives, for the memory climb of
    /// the one still running.
    run: f64,
}

#[derive(Debug)]
struct PodHist {
    namespace: String,
    name: String,
    node: Option<String>,
    phase: String,
    created: f64,
    start: f64,
    running: bool,
    seed: u64,
    ctrs: Vec<CtrHist>,
}

fn collect(store: &Store, timings: &CrashTimings, to: f64) -> Vec<PodHist> {
    let (objs, _, _) = store.list_page(index_of("pods"), None, None, None, &|_| true);
    objs.iter()
        .map(|o| {
            let p = o.value();
            let created = secs(&p["metadata"]["creationTimestamp"]).unwrap_or(to);
            let start = secs(&p["status"]["startTime"]).unwrap_or(created);
            let node = p["spec"]["nodeName"]
                .as_str()
                .filter(|n| !n.is_empty())
                .map(str::to_string);
            let phase = p["status"]["phase"]
                .as_str()
                .unwrap_or("Pending")
                .to_string();
            let ctrs = if node.is_some() {
                p["status"]["containerStatuses"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|cs| {
                        let name = cs["name"].as_str().unwrap_or_default().to_string();
                        let key = (o.namespace.clone(), o.name.clone(), name.clone());
                        let tl = timeline(cs, start, to, timings.get(&key).copied());
                        CtrHist {
                            seed: hash64(&[&o.namespace, &o.name, &name]),
                            name,
                            instances: tl.instances,
                            restarts: tl.restarts,
                            crashloop: tl.crashloop,
                            run: tl.run,
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            PodHist {
                seed: hash64(&[&o.namespace, &o.name]),
                namespace: o.namespace.clone(),
                name: o.name.clone(),
                running: phase == "Running",
                node,
                phase,
                created,
                start,
                ctrs,
            }
        })
        .collect()
}

/// Seconds since the epoch of an RFC 3339 time.
fn secs(v: &Value) -> Option<f64> {
    let t: Timestamp = v.as_str()?.parse().ok()?;
    Some(t.as_millisecond() as f64 / 1000.0)
}

fn terminated(v: &Value) -> Option<(Option<f64>, f64)> {
    Some((secs(&v["startedAt"]), secs(&v["finishedAt"])?))
}

/// The kubelet's back-off before restart number `restarts`: 10 s doubling,
/// capped at 5 min.
fn default_backoff(restarts: usize) -> f64 {
    let exp = restarts.saturating_sub(1).min(6);
    (10u64 << exp).min(300) as f64
}

#[derive(Debug, PartialEq)]
struct Timeline {
    instances: Vec<Instance>,
    restarts: Vec<f64>,
    crashloop: bool,
    run: f64,
}

/// A container's instances and restarts, from its status (and the kubelet's
/// crash-loop timing when known).
fn timeline(cs: &Value, pod_start: f64, to: f64, known: Option<CrashTiming>) -> Timeline {
    let n = cs["restartCount"].as_u64().unwrap_or(0) as usize;
    let state = &cs["state"];
    let last = terminated(&cs["lastState"]["terminated"]);
    let running = secs(&state["running"]["startedAt"]);
    let ended = terminated(&state["terminated"]);
    let crashloop =
        known.is_some() || state["waiting"]["reason"].as_str() == Some("CrashLoopBackOff");
    let dur =
        |t: Option<(Option<f64>, f64)>| t.and_then(|(s, f)| Some(f - s?)).filter(|d| *d > 0.0);
    let run = known
        .map(|k| k.run.as_secs_f64())
        .or(dur(if running.is_some() {
            last
        } else {
            ended.or(last)
        }))
        .unwrap_or(60.0)
        .max(1.0);
    let backoff = known
        .map(|k| k.backoff.as_secs_f64())
        .or(match (running, last) {
            (Some(s), Some((_, f))) if s > f => Some(s - f),
            _ => None,
        })
        .or_else(|| {
            let msg = state["waiting"]["message"].as_str()?;
            let d = msg.strip_prefix("back-off ")?.split(' ').next()?;
            crate::fault::parse_duration(d).map(|d| d.as_secs_f64())
        })
        .unwrap_or_else(|| default_backoff(n));
    let single = |start: f64, end: f64| Timeline {
        instances: vec![Instance {
            start: start.max(pod_start),
            end,
        }],
        restarts: Vec::new(),
        crashloop,
        run,
    };
    // The end of the latest crash, how many crashed instances to lay out
    // back from it, the start the status gives the latest crashed one, and
    // the instance running now.
    let (latest_end, crashes, latest_start, current) = match (running, ended, last) {
        (Some(s), _, _) if n == 0 => return single(s, f64::INFINITY),
        (Some(s), _, Some((_, f))) => (f, n, None, Some(s)),
        (Some(s), _, None) => (s - backoff, n, None, Some(s)),
        (None, Some((s, f)), _) if n == 0 && !crashloop => {
            return single(s.unwrap_or(pod_start), f);
        }
        (None, Some((s, f)), _) => (f, n + 1, s, None),
        (None, None, Some((s, f))) => (f, n + 1, s, None),
        (None, None, None) => {
            return Timeline {
                instances: Vec::new(),
                restarts: vec![pod_start.min(to); n],
                crashloop,
                run,
            };
        }
    };
    let cycle = run + backoff;
    let crash_at = |k: usize| latest_end - k as f64 * cycle;
    let mut instances = Vec::with_capacity(crashes + 1);
    let mut restarts = Vec::with_capacity(n);
    for j in 0..crashes {
        let end = crash_at(crashes - 1 - j);
        let mut start = if j == 0 {
            pod_start
        } else {
            crash_at(crashes - j) + backoff
        };
        if j > 0 {
            restarts.push(start.min(to));
        }
        if j + 1 == crashes
            && let Some(s) = latest_start
        {
            start = start.max(s);
        }
        let start = start.max(pod_start);
        if end > start {
            instances.push(Instance { start, end });
        }
    }
    if let Some(s) = current {
        restarts.push(s.min(to));
        instances.push(Instance {
            start: s.max(pod_start),
            end: f64::INFINITY,
        });
    }
    restarts.sort_by(f64::total_cmp);
    Timeline {
        instances,
        restarts,
        crashloop,
        run,
    }
}

fn hash64(parts: &[&str]) -> u64 {
    // FNV-1a: stable across runs and platforms, which std's hasher is not.
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    h
}

/// A number in [0, 1) drawn from `seed` and `salt`.
fn unit(seed: u64, salt: u64) -> f64 {
    // splitmix64's finalizer: neighbouring inputs give unrelated outputs.
    let mut z = seed ^ salt.wrapping_mul(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// A slow wave: its level, relative amplitude, angular speed and phase.
#[derive(Debug, Clone, Copy)]
struct Wave {
    level: f64,
    amp: f64,
    omega: f64,
    phase: f64,
}

impl Wave {
    fn new(level: f64, amp: f64, seed: u64, salt: u64) -> Wave {
        let period = 900.0 + 2700.0 * unit(seed, salt);
        Wave {
            level,
            amp,
            omega: std::f64::consts::TAU / period,
            phase: std::f64::consts::TAU * unit(seed, salt + 1),
        }
    }

    fn at(&self, t: f64) -> f64 {
        self.level * (1.0 + self.amp * (self.omega * t + self.phase).sin())
    }

    /// The integral from `s` to `t`: a counter of a positive rate, so it
    /// only grows.
    fn integral(&self, s: f64, t: f64) -> f64 {
        let c = |x: f64| (self.omega * x + self.phase).cos();
        self.level * ((t - s) - self.amp / self.omega * (c(t) - c(s)))
    }
}

fn cpu_wave(seed: u64) -> Wave {
    // Most containers idle, a few busy: 0.01 to 0.5 cores.
    let u = unit(seed, 1);
    Wave::new(0.01 + 0.49 * u * u, 0.3, seed, 2)
}

fn memory_level(seed: u64) -> f64 {
    // 64 MiB to 1 GiB.
    64.0 * 1048576.0 * 2f64.powf(4.0 * unit(seed, 4))
}

/// ±1.5 % of noise, fixed for a series and a time.
fn noise(seed: u64, t: i64) -> f64 {
    1.0 + 0.03 * (unit(seed, t as u64) - 0.5)
}

fn memory_at(c: &CtrHist, i: &Instance, t: i64) -> f64 {
    let level = memory_level(c.seed);
    let x = t as f64;
    let shape = if c.crashloop {
        // Climbs through each instance's life and falls with the crash.
        let len = if i.end.is_finite() {
            i.end - i.start
        } else {
            c.run
        };
        let frac = ((x - i.start) / len.max(1.0)).clamp(0.0, 1.0);
        0.35 + 0.9 * frac
    } else {
        Wave::new(1.0, 0.06, c.seed, 6).at(x)
    };
    level * shape * noise(c.seed, t)
}

fn rx_wave(seed: u64) -> Wave {
    // 2 KB/s to 512 KB/s.
    Wave::new(2000.0 * 2f64.powf(8.0 * unit(seed, 8)), 0.4, seed, 9)
}

fn tx_wave(seed: u64) -> Wave {
    Wave::new(
        rx_wave(seed).level * (0.3 + 0.5 * unit(seed, 11)),
        0.4,
        seed,
        12,
    )
}

/// A label value escaped as OpenMetrics requires.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o
}

fn family(w: &mut impl Write, name: &str, kind: &str, help: &str) -> io::Result<()> {
    writeln!(w, "# TYPE {name} {kind}")?;
    writeln!(w, "# HELP {name} {help}")
}

fn write_families(w: &mut impl Write, g: &Grid, pods: &[PodHist]) -> io::Result<()> {
    let placed = || {
        pods.iter()
            .filter_map(|p| p.node.as_deref().map(|node| (p, node)))
    };
    let ctr_labels = |p: &PodHist, c: &CtrHist, node: &str| {
        format!(
            "namespace=\"{}\",pod=\"{}\",container=\"{}\",node=\"{}\"",
            esc(&p.namespace),
            esc(&p.name),
            esc(&c.name),
            esc(node)
        )
    };

    family(
        w,
        "container_cpu_usage_seconds",
        "counter",
        "Cumulative cpu time consumed in seconds.",
    )?;
    for (p, node) in placed() {
        for c in &p.ctrs {
            let labels = ctr_labels(p, c, node);
            let wave = cpu_wave(c.seed);
            for i in &c.instances {
                for t in g.within(i.start, i.end) {
                    let v = wave.integral(i.start, t as f64).max(0.0);
                    writeln!(
                        w,
                        "container_cpu_usage_seconds_total{{{labels}}} {v:.4} {t}"
                    )?;
                }
            }
        }
    }

    family(
        w,
        "container_memory_working_set_bytes",
        "gauge",
        "Current working set in bytes.",
    )?;
    for (p, node) in placed() {
        for c in &p.ctrs {
            let labels = ctr_labels(p, c, node);
            for i in &c.instances {
                for t in g.within(i.start, i.end) {
                    let v = memory_at(c, i, t).round() as u64;
                    writeln!(w, "container_memory_working_set_bytes{{{labels}}} {v} {t}")?;
                }
            }
        }
    }

    for (fam, what, wave) in [
        (
            "container_network_receive_bytes",
            "received",
            rx_wave as fn(u64) -> Wave,
        ),
        ("container_network_transmit_bytes", "transmitted", tx_wave),
    ] {
        family(
            w,
            fam,
            "counter",
            &format!("Cumulative count of bytes {what}."),
        )?;
        for (p, node) in placed().filter(|(p, _)| p.running) {
            let labels = format!(
                "namespace=\"{}\",pod=\"{}\",interface=\"eth0\",node=\"{}\"",
                esc(&p.namespace),
                esc(&p.name),
                esc(node)
            );
            let wave = wave(p.seed);
            for t in g.within(p.start, f64::INFINITY) {
                let v = wave.integral(p.start, t as f64).max(0.0).floor() as u64;
                writeln!(w, "{fam}_total{{{labels}}} {v} {t}")?;
            }
        }
    }

    family(
        w,
        "kube_pod_container_status_restarts",
        "counter",
        "The number of container restarts per container.",
    )?;
    for (p, _) in placed() {
        for c in &p.ctrs {
            let labels = format!(
                "namespace=\"{}\",pod=\"{}\",container=\"{}\"",
                esc(&p.namespace),
                esc(&p.name),
                esc(&c.name)
            );
            for t in g.within(p.start, f64::INFINITY) {
                let v = c.restarts.partition_point(|&r| r <= t as f64);
                writeln!(
                    w,
                    "kube_pod_container_status_restarts_total{{{labels}}} {v} {t}"
                )?;
            }
        }
    }

    family(
        w,
        "kube_pod_status_phase",
        "gauge",
        "The pods current phase.",
    )?;
    for p in pods {
        let labels = format!(
            "namespace=\"{}\",pod=\"{}\",phase=\"{}\"",
            esc(&p.namespace),
            esc(&p.name),
            esc(&p.phase)
        );
        for t in g.within(p.created, f64::INFINITY) {
            writeln!(w, "kube_pod_status_phase{{{labels}}} 1 {t}")?;
        }
    }
    writeln!(w, "# EOF")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> f64 {
        secs(&json!(s)).unwrap()
    }

    #[test]
    fn grid_ends_at_to_and_skips_before_from() {
        let to: Timestamp = "2026-01-01T03:00:00.700Z".parse().unwrap();
        let from = to - jiff::SignedDuration::from_secs(100);
        let g = Grid::new(from, to, Duration::from_secs(15));
        let all: Vec<i64> = g.within(f64::NEG_INFINITY, f64::INFINITY).collect();
        assert_eq!(all.len(), 7);
        assert_eq!(*all.last().unwrap(), to.as_second());
        assert!(all.windows(2).all(|w| w[1] - w[0] == 15));
        assert!(all[0] >= from.as_second());
        let part: Vec<i64> = g.within(all[2] as f64 - 0.5, all[4] as f64).collect();
        assert_eq!(part, vec![all[2], all[3]]);
    }

    #[test]
    fn a_waiting_crash_loop_follows_the_kubelets_cycle() {
        // smf-service-n0-0: 5 restarts, waiting, last crash 10m ago, run 20s,
        // back-off 2m40s.
        let cs = json!({"name": "smf-service", "restartCount": 5,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container"}},
            "lastState": {"terminated": {"exitCode": 2, "startedAt": "2026-01-01T02:44:00Z", "finishedAt": "2026-01-01T02:50:00Z"}}});
        let known = CrashTiming {
            run: Duration::from_secs(20),
            backoff: Duration::from_secs(160),
        };
        let pod_start = at("2026-01-01T00:00:00Z");
        let to = at("2026-01-01T03:00:00Z");
        let tl = timeline(&cs, pod_start, to, Some(known));
        assert!(tl.crashloop);
        assert_eq!(tl.restarts.len(), 5);
        assert_eq!(tl.instances.len(), 6);
        let last_crash = at("2026-01-01T02:50:00Z");
        // Crashes every 3 minutes back from the last, as the core dumps are.
        for (k, i) in tl.instances.iter().rev().enumerate() {
            assert_eq!(i.end, last_crash - 180.0 * k as f64, "{k}");
        }
        assert_eq!(tl.instances[0].start, pod_start);
        assert_eq!(tl.instances[5].start, last_crash - 20.0);
        assert_eq!(tl.restarts[4], last_crash - 20.0);
        // Without the kubelet's timing the status's message gives the back-off.
        let tl = timeline(&cs, pod_start, to, None);
        assert_eq!(tl.restarts.len(), 5);
        assert_eq!(tl.instances.last().unwrap().end, last_crash);
    }

    #[test]
    fn running_and_steady_containers() {
        let pod_start = at("2026-01-01T00:00:00Z");
        let to = at("2026-01-01T03:00:00Z");
        let steady =
            json!({"restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:05Z"}}});
        let tl = timeline(&steady, pod_start, to, None);
        assert_eq!(
            tl.instances,
            vec![Instance {
                start: pod_start + 5.0,
                end: f64::INFINITY
            }]
        );
        assert!(tl.restarts.is_empty() && !tl.crashloop);

        let back = json!({"restartCount": 3, "state": {"running": {"startedAt": "2026-01-01T02:59:00Z"}},
            "lastState": {"terminated": {"startedAt": "2026-01-01T02:55:00Z", "finishedAt": "2026-01-01T02:58:00Z"}}});
        let tl = timeline(&back, pod_start, to, None);
        assert_eq!(tl.restarts.len(), 3);
        assert_eq!(*tl.restarts.last().unwrap(), at("2026-01-01T02:59:00Z"));
        // run 3m + back-off 1m: the crashes before are 4 minutes apart.
        let ends: Vec<f64> = tl.instances.iter().map(|i| i.end).collect();
        assert_eq!(ends[1] - ends[0], 240.0);
        assert!(tl.instances.last().unwrap().end.is_infinite());

        let never =
            json!({"restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}});
        assert!(timeline(&never, pod_start, to, None).instances.is_empty());
        let done = json!({"restartCount": 0, "state": {"terminated": {"startedAt": "2026-01-01T01:00:00Z", "finishedAt": "2026-01-01T01:01:00Z"}}});
        let tl = timeline(&done, pod_start, to, None);
        assert_eq!(tl.instances.len(), 1);
        assert_eq!(tl.instances[0].end - tl.instances[0].start, 60.0);
    }

    #[test]
    fn counters_only_grow_and_waves_stay_positive() {
        for seed in [1u64, 42, 0xdead_beef] {
            let w = cpu_wave(seed);
            assert!((0.01..=0.5).contains(&w.level));
            let mut prev = 0.0;
            for t in (0..20_000).step_by(15) {
                let v = w.integral(0.0, t as f64);
                assert!(v >= prev, "{seed} {t}");
                prev = v;
            }
        }
        assert_eq!(noise(7, 100), noise(7, 100));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(esc(r#"a"b\c"#), r#"a\"b\\c"#);
    }
}
