//! `kubetac cluster logs` against the simulated cluster: the guide's examples
//! follow exactly the expected pods, new and restarted containers are picked
//! up, the options do what they say, and — with the simulator cutting every
//! stream and failing requests — the per-container ` seq=<n>` numbers every
//! simulated log line ends with show that no line was lost or repeated.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{SimProc, kubetac_bin};

/// A running `kubetac cluster logs`, its stdout and stderr collected by
/// threads as they come.
struct Logs {
    child: Child,
    out: Arc<Mutex<Vec<String>>>,
    err: Arc<Mutex<Vec<String>>>,
}

fn collect(r: impl Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            l.lock().unwrap().push(line);
        }
    });
    lines
}

fn command(sim: &SimProc, args: &[&str]) -> Command {
    let mut c = Command::new(kubetac_bin());
    c.arg("cluster")
        .arg("logs")
        .args(args)
        .env("KUBECONFIG", &sim.kubeconfig)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    c
}

impl Logs {
    fn start(sim: &SimProc, args: &[&str]) -> Logs {
        let mut child = command(sim, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubetac cluster logs");
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        Logs { child, out, err }
    }

    fn out(&self) -> Vec<String> {
        self.out.lock().unwrap().clone()
    }

    fn err(&self) -> Vec<String> {
        self.err.lock().unwrap().clone()
    }

    /// Waits until `pred(stdout, stderr)` holds; false after `limit`.
    fn wait_for(&self, limit: Duration, pred: impl Fn(&[String], &[String]) -> bool) -> bool {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if pred(&self.out(), &self.err()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        pred(&self.out(), &self.err())
    }

    /// Ctrl-C; returns the exit code and how long it took to exit.
    fn interrupt(mut self) -> (Option<i32>, Duration, Vec<String>, Vec<String>) {
        let t = Instant::now();
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let code = wait_max(&mut self.child, Duration::from_secs(10));
        let took = t.elapsed();
        // Let the reader threads drain the pipes.
        std::thread::sleep(Duration::from_millis(100));
        (code, took, self.out(), self.err())
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_max(child: &mut Child, limit: Duration) -> Option<i32> {
    let end = Instant::now() + limit;
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return s.code();
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kubetac did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs a `--no-follow` command to its end.
fn run_once(sim: &SimProc, args: &[&str]) -> (Vec<String>, Vec<String>) {
    let out = command(sim, args).output().expect("run kubetac");
    assert!(
        out.status.success(),
        "kubetac cluster logs {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    (lines(&out.stdout), lines(&out.stderr))
}

/// `[pod] text` or `[pod container] text` → (pod, container, text).
fn parse_text(line: &str) -> Option<(String, Option<String>, String)> {
    let rest = line.strip_prefix('[')?;
    let (who, text) = rest.split_once("] ")?;
    let (pod, container) = match who.split_once(' ') {
        Some((p, c)) => (p.to_string(), Some(c.to_string())),
        None => (who.to_string(), None),
    };
    Some((pod, container, text.to_string()))
}

fn pods_of(lines: &[String]) -> BTreeSet<String> {
    lines
        .iter()
        .filter_map(|l| parse_text(l).map(|(p, _, _)| p))
        .collect()
}

fn seq_of(text: &str) -> Option<u64> {
    text.rsplit_once(" seq=")?.1.trim().parse().ok()
}

/// Lines lost and repeated per container, from the seq numbers in the
/// order printed (keys are whatever `key` says a line comes from).
#[derive(Debug, Default)]
struct SeqCheck {
    last: BTreeMap<String, u64>,
    lines: usize,
    lost: u64,
    repeated: u64,
    problems: Vec<String>,
}

impl SeqCheck {
    fn add(&mut self, key: &str, text: &str) {
        let Some(s) = seq_of(text) else { return };
        self.lines += 1;
        if let Some(&l) = self.last.get(key) {
            if s <= l {
                self.repeated += 1;
                self.problems.push(format!("{key}: seq {s} after {l}"));
            } else if s > l + 1 {
                self.lost += s - l - 1;
                self.problems.push(format!("{key}: seq {l} then {s}"));
            }
        }
        let e = self.last.entry(key.to_string()).or_insert(s);
        *e = (*e).max(s);
    }

    fn text(lines: &[String]) -> SeqCheck {
        let mut c = SeqCheck::default();
        for l in lines {
            if let Some((p, ctr, t)) = parse_text(l) {
                c.add(&format!("{p}/{}", ctr.unwrap_or_default()), &t);
            }
        }
        c
    }

    fn json(lines: &[String]) -> SeqCheck {
        let mut c = SeqCheck::default();
        for l in lines {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}"));
            let key = format!("{}/{}/{}", v["namespace"], v["pod"], v["container"]);
            c.add(&key, v["message"].as_str().unwrap_or_default());
        }
        c
    }

    fn assert_clean(&self, what: &str) {
        assert!(
            self.lost == 0 && self.repeated == 0,
            "{what}: {} lost, {} repeated: {:?}",
            self.lost,
            self.repeated,
            &self.problems[..self.problems.len().min(10)]
        );
    }
}

/// The pods (and their containers) of a namespace as kubectl sees them.
fn pods_and_containers(sim: &SimProc, ns: &str) -> Vec<(String, Vec<String>, String)> {
    let v: serde_json::Value =
        serde_json::from_str(&sim.kubectl_ok(&["get", "pods", "-n", ns, "-o", "json"])).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["metadata"]["name"].as_str().unwrap().to_string();
            let cs = p["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect();
            let phase = p["status"]["phase"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (name, cs, phase)
        })
        .collect()
}

#[test]
fn the_guides_examples_show_every_expected_pod_and_no_other() {
    let sim = SimProc::start(&["--log-rate", "10"]);
    let pods = pods_and_containers(&sim, "smf-data");
    for (regex, at_least) in [
        ("^smf-", 5),
        ("smf-nodemgr", 1),
        ("(smf-service.|smf-rest.)", 2),
        ("zookeeper", 3),
        ("confd-api", 2),
    ] {
        // What the rule says: the regex matches the pod's name or one of
        // its containers' (pods that cannot log, like an Evicted one, aside).
        let re = regex::Regex::new(regex).unwrap();
        let want: BTreeSet<String> = pods
            .iter()
            .filter(|(_, _, phase)| phase != "Failed")
            .filter(|(p, cs, _)| re.is_match(p) || cs.iter().any(|c| re.is_match(c)))
            .map(|(p, _, _)| p.clone())
            .collect();
        assert!(want.len() >= at_least, "{regex}: {want:?}");
        let (out, err) = run_once(
            &sim,
            &[regex, "-n", "smf-data", "--no-follow", "--tail", "3"],
        );
        assert_eq!(pods_of(&out), want, "{regex}: pods printed");
        let announced: BTreeSet<String> = err
            .iter()
            .filter_map(|l| l.strip_prefix("+ "))
            .map(|l| l.split('/').next().unwrap().to_string())
            .collect();
        assert_eq!(announced, want, "{regex}: pods announced: {err:?}");
        // --tail 3 per container.
        let mut per: BTreeMap<String, usize> = BTreeMap::new();
        for l in &out {
            let (p, c, _) = parse_text(l).unwrap();
            *per.entry(format!("{p}/{c:?}")).or_default() += 1;
        }
        assert!(per.values().all(|n| *n == 3), "{regex}: {per:?}");
    }
    // Following, the five SMF pods are merged into one stream as the guide
    // shows it: `[pod] line`.
    let logs = Logs::start(&sim, &["^smf-", "-n", "smf-data", "--tail", "1"]);
    let five = |o: &[String], _: &[String]| {
        let p = pods_of(o);
        p.len() >= 5 && o.len() >= 20
    };
    assert!(
        logs.wait_for(Duration::from_secs(10), five),
        "{:?}",
        logs.out()
    );
    let (code, _, out, _) = logs.interrupt();
    assert_eq!(code, Some(0));
    assert_eq!(
        pods_of(&out),
        [
            "smf-nodemgr-n0-0",
            "smf-protocol-n0-0",
            "smf-rest-ep-n0-0",
            "smf-service-n0-0",
            "smf-udp-proxy-0"
        ]
        .into_iter()
        .map(String::from)
        .collect()
    );
    assert!(out.iter().all(|l| !l.starts_with("[smf-nodemgr-n0-0 ")));
    SeqCheck::text(&out).assert_clean("following ^smf-");
}

#[test]
fn a_pod_created_during_the_run_is_followed_and_a_deleted_one_dropped() {
    let sim = SimProc::start(&["--log-rate", "20"]);
    let logs = Logs::start(&sim, &["^late-", "-n", "smf-data"]);
    assert!(logs.wait_for(Duration::from_secs(10), |_, e| {
        e.iter().any(|l| l.contains("waiting for one"))
    }));
    sim.kubectl_ok(&["run", "late-x", "--image=busybox", "-n", "smf-data"]);
    let created = Instant::now();
    assert!(
        logs.wait_for(Duration::from_secs(10), |o, _| o
            .iter()
            .any(|l| l.starts_with("[late-x] "))),
        "no line from the new pod: {:?}",
        logs.err()
    );
    let took = created.elapsed();
    assert!(took < Duration::from_secs(2), "first line after {took:?}");
    assert!(logs.err().contains(&"+ late-x/late-x".to_string()));
    // Its log is printed from its first line.
    let first = logs.out().iter().find_map(|l| parse_text(l)).unwrap();
    assert_eq!(seq_of(&first.2), Some(1), "{first:?}");
    std::thread::sleep(Duration::from_millis(500));
    sim.kubectl_ok(&["delete", "pod", "late-x", "-n", "smf-data"]);
    assert!(
        logs.wait_for(Duration::from_secs(5), |_, e| e
            .contains(&"- late-x/late-x".to_string())),
        "{:?}",
        logs.err()
    );
    let (code, _, out, _) = logs.interrupt();
    assert_eq!(code, Some(0));
    SeqCheck::text(&out).assert_clean("the new pod");
}

#[test]
fn the_crash_looping_pods_restarts_are_followed() {
    // smf-service-n0-0 crashes every 2 s: 1 s up, 1 s in back-off.
    let sim = SimProc::start(&["--log-rate", "20", "--crash-period", "2s"]);
    let logs = Logs::start(&sim, &["smf-service", "-n", "smf-data", "--tail", "0"]);
    let restarts = |o: &[String]| {
        o.iter()
            .filter(|l| l.contains("SMF-SERVICE STARTING"))
            .count()
    };
    assert!(
        logs.wait_for(Duration::from_secs(15), |o, _| restarts(o) >= 3),
        "{:?}",
        logs.out()
    );
    let (code, _, out, _) = logs.interrupt();
    assert_eq!(code, Some(0));
    assert!(out.iter().any(|l| l.contains("panic: ")), "the crashes");
    assert_eq!(pods_of(&out).len(), 1);
    // seq runs on across instances: the restarts were followed whole.
    SeqCheck::text(&out).assert_clean("across restarts");
}

#[test]
fn previous_prints_the_crashed_instance_then_the_current_one() {
    let sim = SimProc::start(&["--log-rate", "20", "--crash-period", "6s"]);
    // Wait for the restart (3 s of back-off at start), then read both
    // instances while it runs.
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let phase = sim.kubectl_ok(&[
            "get",
            "pod",
            "smf-service-n0-0",
            "-n",
            "smf-data",
            "-o",
            "jsonpath={.status.containerStatuses[0].state}",
        ]);
        if phase.contains("running") {
            break;
        }
        assert!(Instant::now() < end, "smf-service-n0-0 never restarted");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (out, _) = run_once(
        &sim,
        &[
            "smf-service-n0-0",
            "-n",
            "smf-data",
            "--previous",
            "--no-follow",
        ],
    );
    let texts: Vec<String> = out
        .iter()
        .filter_map(|l| parse_text(l))
        .map(|t| t.2)
        .collect();
    let panic = texts
        .iter()
        .position(|t| t.starts_with("panic: "))
        .expect("the previous instance's panic");
    let started = texts
        .iter()
        .rposition(|t| t.contains("SMF-SERVICE STARTING"))
        .expect("the current instance's start");
    assert!(panic < started, "previous instance first");
    // Both instances whole: seq runs on from one to the other.
    SeqCheck::text(&out).assert_clean("--previous");
    let previous = sim.kubectl_ok(&["logs", "smf-service-n0-0", "-n", "smf-data", "--previous"]);
    let n = previous.lines().count();
    assert!(n > 0 && texts.len() > n);
    assert_eq!(
        texts[..n].join("\n"),
        previous.trim_end_matches('\n'),
        "the previous instance as kubectl logs --previous shows it"
    );
}

#[test]
fn since_tail_include_exclude_highlight_and_json() {
    let sim = SimProc::start(&["--log-rate", "10"]);
    // --tail N: the last N lines of each container.
    let (out, _) = run_once(
        &sim,
        &["zookeeper", "-n", "smf-data", "--no-follow", "--tail", "4"],
    );
    assert_eq!(out.len(), 12, "{out:?}");
    // --since: only recent lines, by their timestamps.
    std::thread::sleep(Duration::from_secs(2));
    let started = jiff::Timestamp::now();
    let (out, _) = run_once(
        &sim,
        &[
            "^smf-n",
            "-n",
            "smf-data",
            "--no-follow",
            "--since",
            "1s",
            "--timestamps",
        ],
    );
    let (all, _) = run_once(&sim, &["^smf-n", "-n", "smf-data", "--no-follow"]);
    assert!(
        !out.is_empty() && out.len() * 5 < all.len(),
        "{} of {}",
        out.len(),
        all.len()
    );
    for l in &out {
        let (_, _, text) = parse_text(l).unwrap();
        let ts: jiff::Timestamp = text.split(' ').next().unwrap().parse().unwrap();
        assert!(
            ts >= started - jiff::SignedDuration::from_millis(1100),
            "{l} is older than --since 1s"
        );
    }
    // --include / --exclude on the line's text.
    let (out, _) = run_once(
        &sim,
        &[
            "^smf-",
            "-n",
            "smf-data",
            "--no-follow",
            "--tail",
            "50",
            "--include",
            "DEBUG",
            "--include",
            "WARN",
            "--exclude",
            "RestRouter",
        ],
    );
    assert!(!out.is_empty());
    for l in &out {
        assert!(
            (l.contains("DEBUG") || l.contains("WARN")) && !l.contains("RestRouter"),
            "{l}"
        );
    }
    // --highlight marks matches, with colour only.
    let (out, _) = run_once(
        &sim,
        &[
            "smf-nodemgr",
            "-n",
            "smf-data",
            "--no-follow",
            "--tail",
            "20",
            "--highlight",
            "INFO",
            "--color",
            "always",
        ],
    );
    assert!(
        out.iter().all(|l| l.starts_with("\x1b[")),
        "coloured prefix"
    );
    assert!(
        out.iter().any(|l| l.contains("\x1b[1;4;31mINFO\x1b[0m")),
        "{out:?}"
    );
    let (out, _) = run_once(
        &sim,
        &[
            "smf-nodemgr",
            "-n",
            "smf-data",
            "--no-follow",
            "--tail",
            "20",
            "--highlight",
            "INFO",
        ],
    );
    assert!(
        out.iter().all(|l| !l.contains('\x1b')),
        "NO_COLOR is respected"
    );
    // -o json: one object a line, with the pod's node.
    let (out, _) = run_once(
        &sim,
        &[
            "^ops-center",
            "-n",
            "smf-data",
            "--no-follow",
            "--tail",
            "2",
            "-o",
            "json",
        ],
    );
    let pod = pods_and_containers(&sim, "smf-data")
        .into_iter()
        .find(|(p, _, _)| p.starts_with("ops-center"))
        .unwrap();
    let node = sim.kubectl_ok(&[
        "get",
        "pod",
        &pod.0,
        "-n",
        "smf-data",
        "-o",
        "jsonpath={.spec.nodeName}",
    ]);
    let mut containers = BTreeSet::new();
    for l in &out {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["namespace"], "smf-data");
        assert_eq!(v["pod"], pod.0.as_str());
        assert_eq!(v["node"], node.as_str());
        v["timestamp"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap();
        assert!(seq_of(v["message"].as_str().unwrap()).is_some(), "{l}");
        containers.insert(v["container"].as_str().unwrap().to_string());
    }
    assert_eq!(containers, pod.1.into_iter().collect(), "every container");
    assert_eq!(out.len(), containers.len() * 2);
}

#[test]
fn nothing_is_lost_or_repeated_when_every_stream_is_cut_and_requests_fail() {
    // Every followed stream is cut after 100 lines, mid-line; one request
    // in ten fails with a 500; the crash-looping pod restarts every 4 s;
    // logs rotate at 64Ki, so some cuts fall around a rotation.
    let sim = SimProc::start(&[
        "--log-rate",
        "50",
        "--crash-period",
        "4s",
        "--fault",
        "cut-lines=100",
        "--fault",
        "error-rate=0.1,error-code=500",
    ]);
    let logs = Logs::start(
        &sim,
        &["-v", ".", "-n", "smf-data", "--tail", "0", "-o", "json"],
    );
    // Enough for well over 100 cuts: ~30 containers × 50 lines/s.
    assert!(logs.wait_for(Duration::from_secs(20), |o, _| o.len() >= 20_000));
    let (code, took, out, err) = logs.interrupt();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(2), "Ctrl-C took {took:?}");
    let summary = err
        .iter()
        .find(|l| l.contains("cluster logs: "))
        .unwrap_or_else(|| panic!("no summary in {err:?}"));
    let number_before = |what: &str| -> u64 {
        let head = summary.split(what).next().unwrap();
        head.rsplit(|c: char| !c.is_ascii_digit())
            .find(|s| !s.is_empty())
            .unwrap()
            .parse()
            .unwrap()
    };
    let cuts = number_before(" broken streams resumed");
    let failures = number_before(" failed requests retried");
    assert!(cuts >= 100, "only {cuts} cuts: {summary}");
    assert!(failures > 0, "{summary}");
    let check = SeqCheck::json(&out);
    eprintln!(
        "fault test: {summary}; {} lines with seq checked over {} containers",
        check.lines,
        check.last.len()
    );
    assert!(check.last.len() >= 25, "{} containers", check.last.len());
    check.assert_clean(summary);
    // The crash-looping pod was followed across its restarts.
    let restarts = out
        .iter()
        .filter(|l| l.contains("smf-service-n0-0") && l.contains("SMF-SERVICE STARTING"))
        .count();
    assert!(restarts >= 1, "{summary}");
}

#[test]
fn throttling_is_said_once_and_survived() {
    let sim = SimProc::start(&[
        "--log-rate",
        "20",
        "--fault",
        "cut-after=1s",
        "--fault",
        "error-rate=0.3,error-code=429",
    ]);
    // smf-service-n0-0 sits in back-off for minutes: --tail 0 prints
    // nothing of it, so it is left out.
    let logs = Logs::start(
        &sim,
        &[
            "^smf-",
            "-n",
            "smf-data",
            "--tail",
            "0",
            "--exclude-pod",
            "smf-service",
        ],
    );
    assert!(
        // Each 429 costs a tail at least the second the server asks for.
        logs.wait_for(Duration::from_secs(25), |o, _| o.len() >= 300
            && pods_of(o).len() == 4),
        "{} lines; {:?}",
        logs.out().len(),
        logs.err()
    );
    let (code, _, out, err) = logs.interrupt();
    assert_eq!(code, Some(0));
    let told: Vec<&String> = err.iter().filter(|l| l.contains("429")).collect();
    assert!(!told.is_empty() && told.len() <= 3, "{err:?}");
    assert!(told[0].contains("throttling"), "{}", told[0]);
    assert_eq!(pods_of(&out).len(), 4, "{:?}", pods_of(&out));
    SeqCheck::text(&out).assert_clean("429 and cut streams");
}

#[test]
fn head_ends_it_cleanly_and_a_slow_reader_costs_no_memory() {
    let sim = SimProc::start(&["--log-rate", "100"]);
    // `| head`: the reader goes away, kubetac ends with status 0.
    let mut child = command(&sim, &[".", "-n", "smf-data"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = collect(child.stderr.take().unwrap());
    {
        let mut r = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        for _ in 0..5 {
            line.clear();
            r.read_line(&mut line).unwrap();
            assert!(line.starts_with('['), "{line:?}");
        }
    }
    assert_eq!(wait_max(&mut child, Duration::from_secs(5)), Some(0));
    assert!(
        !err.lock().unwrap().iter().any(|l| l.contains("error")),
        "{:?}",
        err.lock().unwrap()
    );

    // A reader that stops reading (`| less`) while every container of the
    // namespace writes 100 lines a second: memory stays flat.
    let mut child = command(&sim, &[".", "-n", "smf-data", "--tail", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rss = |pid: u32| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    std::thread::sleep(Duration::from_secs(2));
    let early = rss(child.id());
    std::thread::sleep(Duration::from_secs(3));
    let late = rss(child.id());
    assert!(
        late < 64 * 1024,
        "{late} KiB resident while the reader stalls"
    );
    assert!(late < early + 8 * 1024, "grew from {early} to {late} KiB");
    // Then the reader catches up: nothing was lost meanwhile.
    let out = collect(child.stdout.take().unwrap());
    std::thread::sleep(Duration::from_secs(2));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert_eq!(wait_max(&mut child, Duration::from_secs(10)), Some(0));
    std::thread::sleep(Duration::from_millis(200));
    let lines = out.lock().unwrap().clone();
    assert!(lines.len() > 10_000, "{} lines", lines.len());
    SeqCheck::text(&lines).assert_clean("after the stall");
}

#[test]
fn a_refused_stream_is_said_in_one_line_and_the_rest_goes_on() {
    // RBAC forbids pods/log: each container says why it is not followed.
    let sim = SimProc::start(&["--fault", "forbid=pods/log"]);
    let (out, err) = run_once(
        &sim,
        &["^smf-", "-n", "smf-data", "--no-follow", "--tail", "1"],
    );
    assert!(out.is_empty(), "{out:?}");
    let refused: Vec<&String> = err.iter().filter(|l| l.contains("forbidden")).collect();
    assert_eq!(refused.len(), 5, "{err:?}");
    for l in &refused {
        assert!(
            l.starts_with("kubetac: smf-") && l.contains("pods/log"),
            "{l}"
        );
    }
    // Listing pods is what is forbidden: one clear error, non-zero exit.
    let sim = SimProc::start(&["--fault", "forbid=pods"]);
    let out = command(&sim, &["^smf-", "-n", "smf-data"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("forbidden"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
