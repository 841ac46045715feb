//! The ops center through real clients: OpenSSH (with sshpass) against
//! `kubetac serve` on the simulated cluster — running config, a config
//! change committed and kept across a restart, a package created over SSH
//! and followed with `status`, bad input and a wrong password — and
//! `kubetac demo` as the README starts it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{SimProc, kubetac_bin};

const PASSWORD: &str = "correct-horse-42";

struct Serve {
    child: Child,
    ssh_port: u16,
    https_port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a child's stdout lines until `done` says so (or 60 s).
fn read_until(child: &mut Child, mut done: impl FnMut(&str) -> bool) -> Vec<String> {
    let stdout = child.stdout.take().expect("stdout piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => {
                let stop = done(&l);
                lines.push(l);
                if stop {
                    return lines;
                }
            }
            Err(_) => panic!("gave up waiting; output so far:\n{}", lines.join("\n")),
        }
    }
}

fn port_of(lines: &[String], prefix: &str) -> u16 {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix:?} line in {lines:?}"))
}

fn add_user(users: &Path) {
    let mut c = Command::new(kubetac_bin())
        .args(["user", "add", "admin", "--password-stdin", "--users"])
        .arg(users)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(c.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(c.wait().unwrap().success());
}

fn serve(sim: &SimProc, store: &Path, users: &Path) -> Serve {
    let mut child = Command::new(kubetac_bin())
        .args([
            "serve",
            "--ssh-addr",
            "127.0.0.1:0",
            "--https-addr",
            "127.0.0.1:0",
            "--name",
            "brusmi/cee",
            "--store",
        ])
        .arg(store)
        .arg("--users")
        .arg(users)
        .env("KUBECONFIG", &sim.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let lines = read_until(&mut child, |l| l.starts_with("store:"));
    Serve {
        ssh_port: port_of(&lines, "ssh:   listening on "),
        https_port: port_of(&lines, "https: listening on "),
        child,
    }
}

fn ssh_args(port: u16) -> Vec<String> {
    [
        "-p",
        &port.to_string(),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ConnectTimeout=20",
        "admin@127.0.0.1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// `sshpass -p PW ssh ... 'command'`
fn ssh(port: u16, password: &str, command: &str) -> Output {
    Command::new("sshpass")
        .args(["-p", password, "ssh"])
        .args(ssh_args(port))
        .arg(command)
        .output()
        .expect("sshpass + ssh (Debian packages sshpass, openssh-client)")
}

fn ssh_ok(port: u16, command: &str) -> String {
    let out = ssh(port, PASSWORD, command);
    assert!(
        out.status.success(),
        "ssh {command:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Lines typed into a shell without a terminal (`ssh -T`, stdin piped).
fn ssh_script(port: u16, script: &str) -> String {
    let mut c = Command::new("sshpass")
        .args(["-p", PASSWORD, "ssh", "-T"])
        .args(ssh_args(port))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = c.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn guide(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d_%H:%M:%S").to_string()
}

#[test]
fn ssh_cli_config_commit_restart_and_a_package() {
    let sim = SimProc::start(&[]);
    let users = sim.dir.path().join("users");
    add_user(&users);
    // The store on a tmpfs of its own: the disk guard must see room
    // whatever this machine's disk holds.
    let store = sim.dir.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    assert!(
        Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256m", "tmpfs"])
            .arg(&store)
            .status()
            .unwrap()
            .success()
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(store.clone());
    let srv = serve(&sim, &store, &users);

    // The guide's check of the logging levels.
    let rc = ssh_ok(srv.ssh_port, "show running-config | include logging");
    assert!(rc.contains("logging level application info"), "{rc}");
    assert!(rc.lines().all(|l| l.contains("logging")), "{rc}");

    // Wrong password: refused like any SSH server.
    let bad = ssh(srv.ssh_port, "wrong-password", "show running-config");
    // sshpass says 5 when ssh asks for the password again; ssh alone, 255.
    assert!(matches!(bad.status.code(), Some(5) | Some(255)), "{bad:?}");
    assert!(bad.stdout.is_empty(), "{bad:?}");

    // Bad input is marked where it is wrong.
    let out = ssh_ok(srv.ssh_port, "show pods --bogus");
    assert!(
        out.contains("% Invalid input detected at '^' marker."),
        "{out}"
    );
    assert!(out.contains("--bogus"), "{out}");

    // Inspect commands and pipes.
    let crash = ssh_ok(srv.ssh_port, "show pods -n smf-data | include Crash");
    assert_eq!(crash.lines().count(), 1, "{crash}");
    assert!(crash.starts_with("smf-service-n0-0"), "{crash}");
    let count = ssh_ok(srv.ssh_port, "show pods -n smf-data | exclude NAME | count");
    assert!(count.trim().starts_with("Count: "), "{count}");

    // A config change, committed, kept across a restart.
    let out = ssh_script(
        srv.ssh_port,
        "config\nlogging name infra.config.core level application debug\nshow configuration\ncommit\nend\nexit\n",
    );
    assert!(
        out.contains("+ logging name infra.config.core level application debug"),
        "{out}"
    );
    assert!(out.contains("Commit complete."), "{out}");
    drop(srv);
    let srv = serve(&sim, &store, &users);
    let rc = ssh_ok(srv.ssh_port, "show running-config logging name");
    assert_eq!(
        rc.trim(),
        "logging name infra.config.core level application debug"
    );

    // A package: the answer comes at once, status follows it to the end.
    let to = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap();
    let from = to - jiff::SignedDuration::from_mins(30);
    let started = Instant::now();
    let out = ssh_ok(
        srv.ssh_port,
        &format!(
            "tac-debug-pkg create from {} to {} logs-filter {{ namespace smf-data }}",
            guide(from),
            guide(to)
        ),
    );
    let id = out
        .split("tac-debug pkg ID : ")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"))
        .trim()
        .to_string();
    assert!(out.starts_with("response : "), "{out}");
    let mut saw_progress = false;
    loop {
        let st = ssh_ok(srv.ssh_port, "tac-debug-pkg status");
        if st.contains("No active tac debug session") {
            break;
        }
        assert!(st.contains(&format!("Tac id: {id}")), "{st}");
        saw_progress |= st.contains("Gather logs: ");
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "still running: {st}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = saw_progress;
    let list = ssh_ok(srv.ssh_port, "tac-debug-pkg list");
    let row = common::row(&list, &id).unwrap_or_else(|| panic!("{list}"));
    assert_eq!(row[1], "complete", "{list}");
    assert!(store.join(&id).join("manifest.json").is_file());

    // The package over HTTPS with the same user.
    let index = Command::new("curl")
        .args(["-sk", "-u", &format!("admin:{PASSWORD}")])
        .arg(format!("https://127.0.0.1:{}/tac/{id}/", srv.https_port))
        .output()
        .unwrap();
    let index = String::from_utf8_lossy(&index.stdout);
    assert!(
        index.contains("manifest.json") && index.contains("web/"),
        "{index}"
    );

    // An interactive session: prompt, `?` and TAB.
    let mut c = Command::new("sshpass")
        .args(["-p", PASSWORD, "ssh", "-tt"])
        .args(ssh_args(srv.ssh_port))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = c.stdin.take().unwrap();
    let mut stdout = c.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });
    for (bytes, pause) in [
        (&b"tac-debug-pkg ?"[..], 800),
        (b"\x15", 200),
        (b"show runn\t", 800),
        (b"\r", 800),
        (b"exit\r", 500),
    ] {
        std::thread::sleep(Duration::from_millis(pause));
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }
    let st = c.wait().unwrap();
    let screen = reader.join().unwrap();
    assert!(st.success(), "{screen}");
    assert!(screen.contains("[brusmi/cee] cee# "), "{screen}");
    assert!(
        screen.contains("Possible completions:") && screen.contains("create"),
        "{screen}"
    );
    assert!(
        screen.contains("show running-config"),
        "TAB completed the word: {screen}"
    );
    assert!(
        screen.contains("logging level application info"),
        "{screen}"
    );
}

#[test]
fn demo_runs_as_the_readme_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(kubetac_bin())
        .args(["demo", "--no-prometheus", "--dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let lines = read_until(&mut child, |l| l.trim_start().starts_with("Files:"));
    let child = Kill(child);
    let text = lines.join("\n");
    assert!(text.contains("$ kubetac triage -A"), "{text}");
    assert!(text.contains("smf-service-n0-0"), "triage output: {text}");
    assert!(text.contains("tac-debug pkg ID : "), "{text}");
    let password = text
        .split("One-time password for admin: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("{text}"))
        .to_string();
    let ssh_port: u16 = text
        .split("ssh -p ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    let list = ssh(ssh_port, &password, "tac-debug-pkg list");
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.lines().nth(1).is_some_and(|l| l.contains("complete")),
        "{list}"
    );
    // The wget line it prints works as printed.
    let wget = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Download:"))
        .unwrap_or_else(|| panic!("{text}"))
        .trim()
        .to_string();
    let mirror = dir.path().join("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("{wget} -q"))
        .current_dir(&mirror)
        .status()
        .unwrap();
    assert!(st.success(), "{wget}");
    drop(child);
}
