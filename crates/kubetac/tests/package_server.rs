//! The guide's download, end to end through the real binaries: a package
//! cut from the simulated cluster with `tac-debug-pkg create`, a user made
//! with `kubetac user add`, `kubetac serve`, and then the guide's
//! `wget -r -np ... --http-user --http-password` and a `curl` of the whole
//! package as `.tar.gz`, both checked against the package's manifest.json.
//! (The server's finer points — 50 crafted traversal URLs, ranges, lock-out,
//! metrics — are tested in src/opscenter/https/tests.rs.)

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{SimProc, kubetac_bin};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "ops-center-pw-1";

struct Server {
    child: Child,
    https: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn no_proxy(c: &mut Command) -> &mut Command {
    for v in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        c.env_remove(v);
    }
    c
}

/// `kubetac serve` on free loopback ports; waits for its HTTPS address.
fn serve(sim: &SimProc, store: &Path, users: &Path) -> Server {
    let mut child = Command::new(kubetac_bin())
        .args([
            "serve",
            "--ssh-addr",
            "127.0.0.1:0",
            "--https-addr",
            "127.0.0.1:0",
        ])
        .arg("--store")
        .arg(store)
        .arg("--users")
        .arg(users)
        .env("KUBECONFIG", &sim.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn kubetac serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kubetac serve printed no https address within 60 s");
        };
        if line.starts_with("https") {
            let addr = line
                .split("listening on ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or_else(|| panic!("no address in {line:?}"))
                .to_string();
            return Server {
                child,
                https: format!("https://{addr}"),
            };
        }
    }
}

fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Regular files under `dir` by relative path (no symlinks, no dotfiles).
fn files(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, rel)) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().map(Result::unwrap) {
            let name = e.file_name().into_string().unwrap();
            if name.starts_with('.') {
                continue;
            }
            let r = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push((e.path(), r));
            } else if t.is_file() {
                out.insert(r, e.path());
            }
        }
    }
    out
}

fn run(c: &mut Command) -> Output {
    no_proxy(c).output().expect("run client")
}

#[test]
fn wget_and_curl_download_a_real_package() {
    let sim = SimProc::start(&[]);
    let store = sim.dir.path().join("store");
    let users = sim.dir.path().join("users");

    let to = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
    let from = to - SignedDuration::from_hours(1);
    let fmt = |t: Timestamp| t.strftime("%Y-%m-%d_%H:%M:%S").to_string();
    let out = sim.kubetac_ok(&[
        "tac-debug-pkg",
        "--store",
        store.to_str().unwrap(),
        "create",
        // The test machine's disk, not this test, would decide the guard.
        "--min-free-percent",
        "0",
        "from",
        &fmt(from),
        "to",
        &fmt(to),
        "logs-filter",
        "{",
        "namespace",
        "smf-data",
        "}",
    ]);
    let id = out
        .lines()
        .next()
        .and_then(|l| l.split("tac-debug pkg ID : ").nth(1))
        .unwrap_or_else(|| panic!("no package id in {out}"))
        .trim()
        .to_string();
    let pkg = store.join(&id);

    let mut add = Command::new(kubetac_bin())
        .args(["user", "add", "admin", "--password-stdin", "--users"])
        .arg(&users)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(add.wait().unwrap().success());

    let server = serve(&sim, &store, &users);
    let port = server.https.rsplit(':').next().unwrap().to_string();

    // Without credentials: 401 with the challenge wget answers.
    let out = run(Command::new("curl")
        .args(["-s", "-k", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("{}/tac/{id}/", server.https)));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "401");

    // The guide's command.
    let mirror = sim.dir.path().join("mirror");
    let out = run(Command::new("wget")
        .args(["-r", "-np", "-q", "--no-config", "-P"])
        .arg(&mirror)
        .arg(format!("{}/tac/{id}/", server.https))
        .args([
            "--no-check-certificate",
            "--http-user=admin",
            &format!("--http-password={PASSWORD}"),
        ]));
    assert!(
        out.status.success(),
        "wget: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let got_root = mirror.join(format!("127.0.0.1:{port}/tac/{id}"));
    let got = files(&got_root);
    let want = files(&pkg);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pkg.join("manifest.json")).unwrap()).unwrap();
    let listed = manifest["files"].as_array().unwrap();
    assert!(!listed.is_empty());
    for f in listed {
        let p = f["path"].as_str().unwrap();
        let local = got
            .get(p)
            .unwrap_or_else(|| panic!("{p} not mirrored (got {:?})", got.keys()));
        assert_eq!(
            sha256(&std::fs::read(local).unwrap()),
            f["sha256"].as_str().unwrap(),
            "{p}"
        );
    }
    for (p, local) in &want {
        let mirrored = got.get(p).unwrap_or_else(|| panic!("{p} not mirrored"));
        assert!(
            std::fs::read(mirrored).unwrap() == std::fs::read(local).unwrap(),
            "{p} differs"
        );
    }
    for p in got.keys().filter(|p| !want.contains_key(*p)) {
        assert!(
            p == "index.html" || p.ends_with("/index.html"),
            "extra file {p}"
        );
    }

    // The whole package in one download.
    let tgz = sim.dir.path().join("pkg.tar.gz");
    let out = run(Command::new("curl")
        .args([
            "-s",
            "-k",
            "--fail",
            "-u",
            &format!("admin:{PASSWORD}"),
            "-o",
        ])
        .arg(&tgz)
        .arg(format!("{}/tac/{id}.tar.gz", server.https)));
    assert!(out.status.success(), "{out:?}");
    let x = sim.dir.path().join("x");
    std::fs::create_dir(&x).unwrap();
    assert!(
        Command::new("tar")
            .arg("xzf")
            .arg(&tgz)
            .arg("-C")
            .arg(&x)
            .status()
            .unwrap()
            .success()
    );
    let unpacked = files(&x.join(&id));
    assert_eq!(
        unpacked.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (p, local) in &want {
        assert!(
            std::fs::read(&unpacked[p]).unwrap() == std::fs::read(local).unwrap(),
            "{p} differs in the archive"
        );
    }
}
