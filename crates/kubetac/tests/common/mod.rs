//! Test harness: starts the real `kubetac sim` binary on a free port with its
//! own state directory, and runs real clients (kubectl) against it.

#![allow(dead_code)]

pub mod browser;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct SimProc {
    child: Child,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub url: String,
}

pub fn kubetac_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kubetac")
}

impl SimProc {
    /// Starts `kubetac sim` with extra flags and waits until it serves.
    pub fn start(extra: &[&str]) -> SimProc {
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("kubeconfig");
        let state = dir.path().join("state");
        let mut child = Command::new(kubetac_bin())
            .args(["sim", "--addr", "127.0.0.1:0", "--state-dir"])
            .arg(&state)
            .arg("--kubeconfig-out")
            .arg(&kubeconfig)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn kubetac sim");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut url = None;
        while url.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(u) = line.split("serving ").nth(1) {
                        url = Some(u.trim().to_string());
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("kubetac sim did not start within 60 s");
                }
            }
        }
        SimProc {
            child,
            dir,
            kubeconfig,
            url: url.unwrap_or_default(),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .output()
            .expect("run kubectl")
    }

    /// kubectl that must succeed; returns its stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The kubetac binary against this cluster (no colour).
    pub fn kubetac(&self, args: &[&str]) -> Output {
        Command::new(kubetac_bin())
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("NO_COLOR", "1")
            .output()
            .expect("run kubetac")
    }

    /// kubetac that must succeed; returns its stdout.
    pub fn kubetac_ok(&self, args: &[&str]) -> String {
        let out = self.kubetac(args);
        assert!(
            out.status.success(),
            "kubetac {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// kubetac that must fail; returns its stderr, trimmed.
    pub fn kubetac_err(&self, args: &[&str]) -> String {
        let out = self.kubetac(args);
        assert!(
            !out.status.success(),
            "kubetac {args:?} should fail; it printed {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).trim().to_string()
    }

    pub fn kubectl_spawn(&self, args: &[&str]) -> Child {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubectl")
    }
}

impl Drop for SimProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The whitespace-separated columns of the row whose first column is `name`.
pub fn row<'a>(table: &'a str, name: &str) -> Option<Vec<&'a str>> {
    table
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cols| cols.first() == Some(&name))
}

/// Reads lines from a child's stdout for up to `d`, then kills it.
pub fn read_for(mut child: Child, d: Duration) -> Vec<String> {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + d;
    let mut lines = Vec::new();
    while let Ok(l) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        lines.push(l);
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
