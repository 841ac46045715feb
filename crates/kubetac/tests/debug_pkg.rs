//! Debug packages on the simulated cluster, driven through the real binary:
//! the layout, the window cut, the filter, previous and rotated lines, cores,
//! checksums, redaction of planted secrets, metrics from a real Prometheus
//! that promtool imports back, the report in headless Chromium, the disk
//! guard, one create per store, and a create killed half-way.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{SimProc, kubetac_bin};
use jiff::{SignedDuration, Timestamp};

const API_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c21mLXNlcnZpY2U.Zk3xq9Vd8pL2wR7nF4mTa";
const DB_PASSWORD: &str = "Smf-Db-S3cr3t-2026";

fn guide(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d_%H:%M:%S").to_string()
}

fn file_form(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d_%H-%M-%S").to_string()
}

/// A window of the last hour, whole seconds.
fn last_hour() -> (Timestamp, Timestamp) {
    let to = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
    (to - SignedDuration::from_hours(1), to)
}

/// Runs `tac-debug-pkg create` with the guide's words; returns (stdout, stderr, success).
/// The disk guard is off (the test machine's own disk may have less than
/// 20 % free) except where it is the subject: see [`create_guarded`].
fn create(sim: &SimProc, store: &Path, words: &[&str]) -> (String, String, bool) {
    let mut w = vec!["--min-free-percent", "0"];
    w.extend_from_slice(words);
    create_guarded(sim, store, &w)
}

fn create_guarded(sim: &SimProc, store: &Path, words: &[&str]) -> (String, String, bool) {
    let mut args = vec![
        "tac-debug-pkg",
        "--store",
        store.to_str().unwrap(),
        "create",
    ];
    args.extend_from_slice(words);
    let out = sim.kubetac(&args);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

fn package_id(stdout: &str) -> String {
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("response : ") && first.contains(" UTC "),
        "first line is the guide's response line: {first:?}"
    );
    first
        .split("tac-debug pkg ID : ")
        .nth(1)
        .unwrap_or_else(|| panic!("no package id in {first:?}"))
        .trim()
        .to_string()
}

fn untar(tgz: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    let st = Command::new("tar")
        .arg("xzf")
        .arg(tgz)
        .arg("-C")
        .arg(into)
        .status()
        .unwrap();
    assert!(st.success(), "tar xzf {}", tgz.display());
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn sha256(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

/// Lines `<RFC3339> <text>` of a gathered container log.
fn timed_lines(p: &Path) -> Vec<(Timestamp, String)> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| {
            let (t, text) = l.split_once(' ').unwrap_or_else(|| panic!("{l:?}"));
            (
                t.parse()
                    .unwrap_or_else(|e| panic!("{l:?} in {}: {e}", p.display())),
                text.to_string(),
            )
        })
        .collect()
}

/// The node's CRI lines of one container's files, rotated ones only or all.
fn node_cri_lines(
    state: &Path,
    node: &str,
    pod: &str,
    container: &str,
    rotated_only: bool,
) -> Vec<(Timestamp, String)> {
    let pods = state.join("nodes").join(node).join("var/log/pods");
    let dir = std::fs::read_dir(&pods)
        .unwrap()
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("smf-data_{pod}_"))
        })
        .unwrap_or_else(|| panic!("no log dir of {pod} on {node}"))
        .path()
        .join(container);
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let rotated = name.contains(".log.");
        if name.ends_with(".tmp") || (rotated_only && !rotated) {
            continue;
        }
        let bytes = std::fs::read(e.path()).unwrap();
        let text = if name.ends_with(".gz") {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut s)
                .unwrap();
            s
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        for l in text.lines() {
            let mut it = l.splitn(4, ' ');
            let (Some(t), Some(_), Some("F"), Some(body)) =
                (it.next(), it.next(), it.next(), it.next())
            else {
                continue;
            };
            out.push((t.parse().unwrap(), body.to_string()));
        }
    }
    out.sort();
    out
}

#[test]
fn one_hour_package_for_smf_data() {
    // Small log files so the crash-looping pod's log rotates within the hour.
    let sim = SimProc::start(&["--log-max-size", "8Ki", "--prometheus"]);
    let store = sim.dir.path().join("store");
    let (from, to) = last_hour();
    let (out, err, ok) = create(
        &sim,
        &store,
        &[
            "from",
            &guide(from),
            "to",
            &guide(to),
            "logs-filter",
            "{",
            "namespace",
            "smf-data",
            "}",
        ],
    );
    assert!(ok, "create failed: {err}\n{out}");
    let id = package_id(&out);
    assert!(
        err.contains("Gather logs: completed"),
        "progress lines: {err}"
    );
    let pkg = store.join(&id);
    let window = format!("{}_{}", file_form(from), file_form(to));

    // The layout of the guide.
    for f in [
        "manifest.json".to_string(),
        "web/index.html".into(),
        format!("stats/Stats_{window}.tar.gz"),
        format!("metrics/Metrics_{window}.tar.gz"),
        "cores/cores.json".into(),
    ] {
        assert!(pkg.join(&f).is_file(), "{f} missing in {}", pkg.display());
    }
    let config: Vec<_> = std::fs::read_dir(pkg.join("config"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        config.len() == 1 && config[0].ends_with("_configuration.tar.gz"),
        "{config:?}"
    );
    let pods = sim.kubectl_ok(&[
        "get",
        "pods",
        "-n",
        "smf-data",
        "-o",
        "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}",
    ]);
    let nodes: BTreeSet<&str> = pods.lines().filter(|l| !l.is_empty()).collect();
    for n in &nodes {
        let f = pkg
            .join("logs")
            .join(n)
            .join(format!("{n}_Logs_{window}.tar.gz"));
        assert!(f.is_file(), "{} missing", f.display());
    }

    // The manifest: every file's checksum, every gatherer's state.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pkg.join("manifest.json")).unwrap()).unwrap();
    let files = m["files"].as_array().unwrap();
    let on_disk: Vec<String> = files_under(&pkg)
        .iter()
        .map(|p| p.strip_prefix(&pkg).unwrap().to_string_lossy().into_owned())
        .filter(|p| p != "manifest.json")
        .collect();
    let listed: Vec<String> = files
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        listed, on_disk,
        "the manifest lists exactly the package's files"
    );
    for f in files {
        let p = pkg.join(f["path"].as_str().unwrap());
        assert_eq!(
            f["sha256"].as_str().unwrap(),
            sha256(&p),
            "checksum of {}",
            p.display()
        );
        assert_eq!(
            f["bytes"].as_u64().unwrap(),
            std::fs::metadata(&p).unwrap().len()
        );
    }
    for g in ["core", "logs", "metrics", "stats", "config"] {
        let st = m["gatherers"][g]["state"].as_str().unwrap_or_default();
        assert!(
            st.starts_with("completed"),
            "gatherer {g}: {st}: {}",
            m["gatherers"][g]
        );
    }
    assert_eq!(m["request"]["namespaces"][0], "smf-data");

    // Logs: inside the window, inside the filter, and the crash-looping
    // pod's previous instance and rotated files are there.
    let x = sim.dir.path().join("x");
    for n in &nodes {
        untar(
            &pkg.join("logs")
                .join(n)
                .join(format!("{n}_Logs_{window}.tar.gz")),
            &x,
        );
    }
    let mut containers = 0;
    let mut all_lines = 0;
    for f in files_under(&x) {
        let rel = f.strip_prefix(&x).unwrap().to_string_lossy().into_owned();
        if rel.contains("/containers/") {
            assert!(
                rel.contains("/containers/smf-data/"),
                "{rel} is outside the filter"
            );
            containers += 1;
            for (t, l) in timed_lines(&f) {
                assert!(
                    t >= from && t < to,
                    "{rel}: line at {t} outside the window: {l}"
                );
                all_lines += 1;
            }
        } else {
            assert!(rel.contains("/node/"), "{rel}");
            let year = from.to_zoned(jiff::tz::TimeZone::UTC).year();
            for l in std::fs::read_to_string(&f).unwrap().lines() {
                let stamp = l.get(..15).unwrap_or_default();
                let t =
                    jiff::civil::DateTime::strptime("%Y %b %e %H:%M:%S", format!("{year} {stamp}"))
                        .ok()
                        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
                        .map(|z| z.timestamp())
                        .or_else(|| l.split_whitespace().next().and_then(|w| w.parse().ok()));
                if let Some(t) = t {
                    assert!(
                        t >= from && t < to,
                        "{rel}: node line outside the window: {l}"
                    );
                }
            }
        }
    }
    assert!(containers >= 25, "{containers} container logs");
    assert!(all_lines > 1000, "{all_lines} lines");
    let node = sim
        .kubectl_ok(&[
            "get",
            "pod",
            "-n",
            "smf-data",
            "smf-service-n0-0",
            "-o",
            "jsonpath={.spec.nodeName}",
        ])
        .trim()
        .to_string();
    let crash_log = x
        .join(format!("{node}_Logs_{window}"))
        .join("containers/smf-data/smf-service-n0-0/smf-service.log");
    let got = timed_lines(&crash_log);
    let got_set: BTreeSet<(Timestamp, String)> = got.iter().cloned().collect();
    assert_eq!(got.len(), got_set.len(), "no line twice");
    assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
    let previous = sim.kubectl_ok(&[
        "logs",
        "-n",
        "smf-data",
        "smf-service-n0-0",
        "--previous",
        "--timestamps",
    ]);
    let mut prev_n = 0;
    for l in previous.lines() {
        let (t, text) = l.split_once(' ').unwrap();
        let t: Timestamp = t.parse().unwrap();
        if t >= from && t < to && !text.contains(DB_PASSWORD) && !text.contains(API_TOKEN) {
            assert!(
                got_set.contains(&(t, text.to_string())),
                "previous-instance line missing: {l}"
            );
            prev_n += 1;
        }
    }
    assert!(prev_n > 0, "the previous instance has lines in the window");
    assert!(
        got.iter().any(|(_, l)| l.starts_with("panic: ")),
        "the panic is in the package"
    );
    let rotated = node_cri_lines(
        &sim.state_dir(),
        &node,
        "smf-service-n0-0",
        "smf-service",
        true,
    );
    let rotated_in: Vec<_> = rotated
        .iter()
        .filter(|(t, _)| *t >= from && *t < to)
        .collect();
    assert!(
        !rotated_in.is_empty(),
        "the crash-looping pod's log rotated within the hour"
    );
    for (t, l) in rotated_in {
        if !l.contains(DB_PASSWORD) && !l.contains(API_TOKEN) {
            assert!(
                got_set.contains(&(*t, l.clone())),
                "rotated line missing: {t} {l}"
            );
        }
    }

    // Cores: the crash-looping pod's, in the window, attributed.
    let cores: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pkg.join("cores/cores.json")).unwrap()).unwrap();
    let cores = cores.as_array().unwrap();
    assert!(!cores.is_empty(), "cores in the window");
    for c in cores {
        assert_eq!(c["attribution"]["pod"], "smf-service-n0-0", "{c}");
        let t = Timestamp::from_microsecond(c["timeUsec"].as_i64().unwrap()).unwrap();
        assert!(t >= from && t < to);
        let f = pkg
            .join("cores")
            .join(c["node"].as_str().unwrap())
            .join(c["file"].as_str().unwrap());
        assert_eq!(
            std::fs::metadata(&f).unwrap().len(),
            c["size"].as_u64().unwrap(),
            "{}",
            f.display()
        );
    }

    // Planted secrets appear nowhere: not in logs, config, stats, report, manifest.
    let all = sim.dir.path().join("all");
    for f in files_under(&pkg) {
        if f.to_string_lossy().ends_with(".tar.gz") {
            untar(&f, &all);
        }
    }
    let b64 = "U21mLURiLVMzY3IzdC0yMDI2";
    for f in files_under(&all).into_iter().chain(files_under(&pkg)) {
        if f.to_string_lossy().ends_with(".gz") || f.to_string_lossy().ends_with(".zst") {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        for secret in [API_TOKEN, DB_PASSWORD, b64] {
            assert!(!text.contains(secret), "{secret} found in {}", f.display());
        }
    }
    let secrets = std::fs::read_to_string(
        all.join(config[0].trim_end_matches(".tar.gz"))
            .join("namespaces/smf-data/secrets.yaml"),
    )
    .unwrap();
    assert!(
        secrets.contains("smf-db-credentials"),
        "the Secret is listed with its keys"
    );
    let red = &m["redactions"];
    assert!(
        red.as_object().is_some_and(|o| !o.is_empty()),
        "redaction counts: {red}"
    );

    // Metrics: the OpenMetrics export imports back with promtool and holds
    // the crash-looping pod's series.
    let om = all.join(format!("Metrics_{window}")).join("metrics.om");
    let text = std::fs::read_to_string(&om).unwrap();
    assert!(text.ends_with("# EOF\n"));
    assert!(
        text.contains("container_memory_working_set_bytes{")
            && text.contains("pod=\"smf-service-n0-0\"")
    );
    assert!(
        !text.contains("namespace=\"cee-cee\""),
        "metrics follow the namespace filter"
    );
    let blocks = sim.dir.path().join("blocks");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&blocks)
        .output()
        .expect("promtool (Debian's prometheus package)");
    assert!(
        out.status.success(),
        "promtool import: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_dir(&blocks).unwrap().count() > 0,
        "promtool wrote blocks"
    );

    // The report renders in a browser with the unhealthy pods and plots.
    let dom = common::browser::dump_dom(&pkg.join("web/index.html"));
    assert!(dom.contains("id=\"unhealthy\""));
    let unhealthy_rows: Vec<&str> = dom.split("<tr class=\"pod\"").skip(1).collect();
    assert!(
        unhealthy_rows
            .iter()
            .any(|r| r.contains("smf-service-n0-0") && r.contains("CrashLoopBackOff")),
        "crash loop row"
    );
    assert!(
        unhealthy_rows.iter().any(|r| r.contains("Evicted")),
        "evicted row"
    );
    assert!(
        dom.contains("data-pod=\"smf-data/smf-service-n0-0\""),
        "plots of the crash-looping pod"
    );
    assert!(dom.contains("class=\"plot\""));
    if let Ok(shot) = std::env::var("KUBETAC_SCREENSHOT") {
        common::browser::screenshot(&pkg.join("web/index.html"), Path::new(&shot), 1400, 2600);
    }

    // list and delete.
    let list = sim.kubetac_ok(&["tac-debug-pkg", "--store", store.to_str().unwrap(), "list"]);
    let row = common::row(&list, &id).unwrap_or_else(|| panic!("{id} not listed:\n{list}"));
    assert_eq!(row[1], "complete");
    assert!(list.contains("namespace smf-data"));
    let del = sim.kubetac_ok(&[
        "tac-debug-pkg",
        "--store",
        store.to_str().unwrap(),
        "delete",
        "tac-id",
        &id,
    ]);
    assert!(del.contains(&format!("tac-debug pkg {id} deleted")));
    assert!(!pkg.exists());
    let err = sim.kubetac_err(&[
        "tac-debug-pkg",
        "--store",
        store.to_str().unwrap(),
        "delete",
        "tac-id",
        &id,
    ]);
    assert!(err.contains(&format!("no tac-debug pkg {id}")), "{err}");
}

#[test]
fn bad_requests_are_refused_before_anything_is_written() {
    let sim = SimProc::start(&[]);
    let store = sim.dir.path().join("store");
    let (from, to) = last_hour();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["from".into(), guide(to), "to".into(), guide(from)],
            "`to` must be after `from`",
        ),
        (
            vec!["from".into(), "yesterday".into(), "to".into(), guide(to)],
            "bad from time",
        ),
        (vec!["from".into(), guide(from)], "an end time is needed"),
        (
            vec![
                "from".into(),
                guide(from),
                "to".into(),
                guide(to),
                "logs-filter".into(),
                "{".into(),
                "namespace".into(),
                "nope".into(),
                "}".into(),
            ],
            "namespace \"nope\" not found",
        ),
        (
            vec![
                "from".into(),
                guide(from),
                "to".into(),
                guide(to),
                "logs-filter".into(),
                "{".into(),
                "pod_name".into(),
                "smf-(".into(),
                "}".into(),
            ],
            "bad pod_name regex",
        ),
        (
            vec![
                "from".into(),
                guide(from),
                "to".into(),
                guide(to),
                "kores".into(),
            ],
            "unexpected \"kores\"",
        ),
    ];
    for (words, want) in cases {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        let (out, err, ok) = create(&sim, &store, &w);
        assert!(!ok, "{words:?} should be refused: {out}");
        assert!(err.contains(want), "{words:?}: want {want:?} in {err:?}");
        assert!(!err.contains("panicked"), "{err}");
        let left = std::fs::read_dir(&store)
            .map(|d| {
                d.flatten()
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0);
        assert_eq!(left, 0, "nothing written for {words:?}");
    }
    // A long window is allowed, with a warning.
    let (out, err, ok) = create(
        &sim,
        &store,
        &[
            "from",
            &guide(to - SignedDuration::from_hours(3)),
            "to",
            &guide(to),
            "stats",
        ],
    );
    assert!(ok, "{err}");
    assert!(err.contains("warning: the window is 3h"), "{err}");
    package_id(&out);
    let status = sim.kubetac_ok(&[
        "tac-debug-pkg",
        "--store",
        store.to_str().unwrap(),
        "status",
    ]);
    assert!(
        status.starts_with("response : ") && status.contains("No active tac debug session"),
        "{status}"
    );
}

#[test]
fn one_create_per_store_status_from_another_terminal_and_a_killed_create() {
    // Slow answers so the create is still running while we look.
    let sim = SimProc::start(&["--fault", "latency=150ms"]);
    let store = sim.dir.path().join("store");
    let (from, to) = last_hour();
    let spawn = || {
        Command::new(kubetac_bin())
            .args([
                "tac-debug-pkg",
                "--store",
                store.to_str().unwrap(),
                "create",
                "--min-free-percent",
                "0",
                "from",
                &guide(from),
                "to",
                &guide(to),
            ])
            .env("KUBECONFIG", &sim.kubeconfig)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let s = sim.kubetac_ok(&[
            "tac-debug-pkg",
            "--store",
            store.to_str().unwrap(),
            "status",
        ]);
        if s.contains("Tac id: ") && s.contains("in progress") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "status never showed the running create: {s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let id = status
        .lines()
        .find_map(|l| l.strip_prefix("Tac id: "))
        .unwrap()
        .trim()
        .to_string();
    for g in ["core", "logs", "metrics", "stats", "config"] {
        assert!(status.contains(&format!("Gather {g}: ")), "{status}");
    }
    // A second create says which one runs.
    let (_, err, ok) = create(&sim, &store, &["from", &guide(from), "to", &guide(to)]);
    assert!(!ok);
    assert!(
        err.contains(&format!("tac-debug pkg {id} is being created")),
        "{err}"
    );
    let list = sim.kubetac_ok(&["tac-debug-pkg", "--store", store.to_str().unwrap(), "list"]);
    assert_eq!(common::row(&list, &id).unwrap()[1], "in", "{list}");

    // Killed half-way: never listed as complete, shown as interrupted.
    first.kill().unwrap();
    first.wait().unwrap();
    let list = sim.kubetac_ok(&["tac-debug-pkg", "--store", store.to_str().unwrap(), "list"]);
    let row = common::row(&list, &id).unwrap_or_else(|| panic!("{list}"));
    assert_eq!(row[1], "interrupted", "{list}");
    assert!(!store.join(&id).exists(), "no complete package directory");
    let s = sim.kubetac_ok(&[
        "tac-debug-pkg",
        "--store",
        store.to_str().unwrap(),
        "status",
    ]);
    assert!(s.contains("No active tac debug session"), "{s}");
    sim.kubetac_ok(&[
        "tac-debug-pkg",
        "--store",
        store.to_str().unwrap(),
        "delete",
        "tac-id",
        &id,
    ]);
    assert!(!store.join(format!("{id}.partial")).exists());
}

#[test]
fn a_nearly_full_disk_is_refused_and_older_packages_stay() {
    let sim = SimProc::start(&[]);
    let mnt = sim.dir.path().join("small");
    std::fs::create_dir_all(&mnt).unwrap();
    let st = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(
        st.success(),
        "mounting a small tmpfs (the test runs as root, as CI does)"
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let store = mnt.join("store");
    // An older package, then fill the disk to more than 80 %.
    std::fs::create_dir_all(store.join("1591662529/web")).unwrap();
    std::fs::write(store.join("1591662529/web/index.html"), "older").unwrap();
    std::fs::write(mnt.join("filler"), vec![7u8; 3500 * 1024]).unwrap();
    let (from, to) = last_hour();
    let (out, err, ok) = create_guarded(&sim, &store, &["from", &guide(from), "to", &guide(to)]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("Available disk space on node is less than 20 %. Please remove old debug files and retry."),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(store.join("1591662529/web/index.html")).unwrap(),
        "older"
    );
    let list = sim.kubetac_ok(&["tac-debug-pkg", "--store", store.to_str().unwrap(), "list"]);
    assert_eq!(list.lines().count(), 2, "only the older package: {list}");
}
