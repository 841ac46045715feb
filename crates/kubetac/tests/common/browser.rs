//! Headless Chromium for tests that check what a person would see in a page
//! kubetac writes (the debug package's `web/index.html`).

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
/// A hung browser fails the test instead of hanging the suite.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The DOM after rendering, as headless Chromium serialises it (--dump-dom).
pub fn dump_dom(html: &std::path::Path) -> String {
    let run = run(html, &["--dump-dom".to_string()]);
    let dom = String::from_utf8(run.stdout).unwrap_or_else(|e| {
        panic!(
            "chromium --dump-dom of {} is not UTF-8: {e}",
            html.display()
        )
    });
    assert!(
        dom.contains("<html") || dom.contains("<body"),
        "chromium --dump-dom of {} printed no document\nstdout: {}\nstderr:\n{}",
        html.display(),
        dom.chars().take(2000).collect::<String>(),
        run.stderr
    );
    dom
}

/// A PNG screenshot of the page at the given window size.
pub fn screenshot(html: &std::path::Path, png: &std::path::Path, width: u32, height: u32) {
    // An absolute path: chromium resolves a relative one against its own
    // working directory, and a stale file must not pass for a new one.
    let png = absolute(png);
    let _ = fs::remove_file(&png);
    let run = run(
        html,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
        ],
    );
    let bytes = fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "chromium wrote no screenshot {} of {}: {e}\nstderr:\n{}",
            png.display(),
            html.display(),
            run.stderr
        )
    });
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "screenshot {} is not a PNG ({} bytes)\nstderr:\n{}",
        png.display(),
        bytes.len(),
        run.stderr
    );
}

struct Run {
    stdout: Vec<u8>,
    stderr: String,
}

fn run(html: &Path, extra: &[String]) -> Run {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install the Debian package `chromium`"
    );
    let html = fs::canonicalize(html)
        .unwrap_or_else(|e| panic!("page {} for chromium: {e}", html.display()));
    let dir = tempfile::tempdir().expect("temp dir for chromium");
    let profile = dir.path().join("profile");
    // Output goes to files, not pipes: chromium's helper processes inherit
    // the descriptors and can hold a pipe open after the browser exits.
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let stdout = fs::File::create(&out_path).expect("chromium stdout file");
    let stderr = fs::File::create(&err_path).expect("chromium stderr file");

    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(file_url(&html))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        // Its own process group, so a timeout ends the renderer and GPU
        // helpers too and nothing else.
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("start {CHROMIUM}: {e}"));

    let started = Instant::now();
    let status: ExitStatus = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIMEOUT => {
                kill_group(child.id());
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "chromium on {} did not finish within {TIMEOUT:?}\nstderr:\n{}",
                    html.display(),
                    fs::read_to_string(&err_path).unwrap_or_default()
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("wait for chromium: {e}"),
        }
    };
    let run = Run {
        stdout: fs::read(&out_path).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&fs::read(&err_path).unwrap_or_default()).into_owned(),
    };
    assert!(
        status.success(),
        "chromium {} on {} failed: {status}\nstderr:\n{}",
        extra.join(" "),
        html.display(),
        run.stderr
    );
    run
}

fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().expect("current dir").join(p)
    }
}

/// `file://` URL of an absolute path; temp dirs and test names can hold
/// spaces, `#` or `%`, which would otherwise cut the URL short.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}
