//! The server driven by the real OpenSSH client (`ssh`, `sshpass`,
//! `ssh-keyscan`, `ssh-keygen`), against a fake backend.

use std::net::SocketAddr;
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::opscenter::session::{Completion, Flow, Output as Out, Session};

const PROMPT: &str = "[brusmi/cee] cee# ";
const WAIT: Duration = Duration::from_secs(20);

struct FakeBackend;

impl Backend for FakeBackend {
    fn open(&self, user: &str, from: Option<SocketAddr>) -> Box<dyn Session> {
        Box::new(FakeSession {
            user: user.to_string(),
            from,
        })
    }
}

struct FakeSession {
    user: String,
    from: Option<SocketAddr>,
}

const COMMANDS: &[&str] = &["big", "echo", "exit", "noeol", "show", "stream", "upper"];

impl Session for FakeSession {
    fn banner(&self) -> String {
        let from = self.from.map(|a| a.ip().to_string()).unwrap_or_default();
        format!(
            "Welcome to the cee CLI on brusmi/cee\n\n{} connected from {from} using ssh on ops-center-test\n",
            self.user
        )
    }

    fn prompt(&self) -> String {
        PROMPT.to_string()
    }

    fn complete<'a>(&'a mut self, line: &'a str, cursor: usize) -> BoxFuture<'a, Completion> {
        let before = &line[..cursor];
        let start = before.rfind(' ').map_or(0, |i| i + 1);
        let word = &before[start..];
        let words: &[&str] = if start == 0 {
            COMMANDS
        } else if before.starts_with("show ") {
            &["clock", "running-config"]
        } else {
            &[]
        };
        let candidates = words
            .iter()
            .filter(|w| w.starts_with(word))
            .map(|w| w.to_string())
            .collect();
        async move { Completion { start, candidates } }.boxed()
    }

    fn help<'a>(&'a mut self, line: &'a str) -> BoxFuture<'a, String> {
        let text = if line.starts_with("show") {
            "Possible completions:\n  clock            Show the time\n  running-config   Show the configuration\n"
        } else {
            "Possible completions:\n  echo   Print the arguments\n  show   Show information\n"
        };
        async move { text.to_string() }.boxed()
    }

    fn run<'a>(
        &'a mut self,
        line: &'a str,
        out: Out,
        cancel: CancellationToken,
    ) -> BoxFuture<'a, Flow> {
        async move {
            let (cmd, rest) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
            let text = match cmd {
                "exit" => return Flow::Exit,
                "echo" => format!("{rest}\n"),
                "upper" => format!("{}\n", rest.to_uppercase()),
                "noeol" => "no newline".to_string(),
                "show" if rest == "running-config" => {
                    "logging level application debug\nlogging level tracing debug\n".into()
                }
                "big" => {
                    // More than russh's default 2 MiB window: flow control
                    // has to work for all of it to arrive.
                    for i in 0..30_000 {
                        let line = format!("{i:06} {}\n", "x".repeat(93));
                        if out.send(line.into_bytes()).await.is_err() {
                            break;
                        }
                    }
                    return Flow::Continue;
                }
                "stream" => {
                    for i in 1.. {
                        let _ = out.send(format!("tick {i}\n").into_bytes()).await;
                        tokio::select! {
                            () = cancel.cancelled() => break,
                            () = tokio::time::sleep(Duration::from_millis(50)) => {}
                        }
                    }
                    "stopped\n".to_string()
                }
                _ => format!("error: unknown command: {cmd}\n"),
            };
            let _ = out.send(text.into_bytes()).await;
            Flow::Continue
        }
        .boxed()
    }
}

struct FakeAuth {
    key: Option<russh::keys::PublicKey>,
}

impl Authenticator for FakeAuth {
    fn check_password<'a>(
        &'a self,
        user: &'a str,
        password: &'a str,
        _peer: Option<IpAddr>,
    ) -> BoxFuture<'a, AuthOutcome> {
        let outcome = match (user, password) {
            ("admin", "secret123") => AuthOutcome::Ok,
            ("locked", _) => AuthOutcome::LockedOut,
            _ => AuthOutcome::Rejected,
        };
        async move { outcome }.boxed()
    }

    fn check_key(&self, user: &str, key: &russh::keys::PublicKey) -> bool {
        user == "admin"
            && self
                .key
                .as_ref()
                .is_some_and(|k| k.key_data() == key.key_data())
    }
}

struct TestServer {
    port: u16,
    dir: tempfile::TempDir,
    task: AbortOnDrop,
}

/// Stops the server (and with it its sessions) when a test ends, even by
/// panic.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn start(tune: impl FnOnce(&mut SshConfig)) -> TestServer {
    start_in(tempfile::tempdir().unwrap(), None, tune).await
}

async fn start_in(
    dir: tempfile::TempDir,
    key: Option<russh::keys::PublicKey>,
    tune: impl FnOnce(&mut SshConfig),
) -> TestServer {
    let mut cfg = SshConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path().join("ssh_host_ed25519_key"),
    );
    cfg.auth_rejection_delay = Duration::from_millis(100);
    tune(&mut cfg);
    let (addr, serve) = bind(cfg, Arc::new(FakeBackend), Arc::new(FakeAuth { key }))
        .await
        .unwrap();
    let task = tokio::spawn(async move {
        serve.await.unwrap();
    });
    TestServer {
        port: addr.port(),
        dir,
        task: AbortOnDrop(task),
    }
}

fn ssh_opts(port: u16) -> Vec<String> {
    [
        "-F",
        "/dev/null",
        "-p",
        &port.to_string(),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=10",
        "-e",
        "none",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// `sshpass -p PASSWORD ssh ... USER@127.0.0.1 COMMAND...`
fn ssh(port: u16, user: &str, password: &str, command: &[&str]) -> Command {
    ssh_with(port, user, password, &[], command)
}

/// As [`ssh`], with extra options (`-T`, `-tt`) before the destination.
fn ssh_with(port: u16, user: &str, password: &str, flags: &[&str], command: &[&str]) -> Command {
    let mut c = Command::new("sshpass");
    c.args(["-p", password, "ssh"])
        .args(ssh_opts(port))
        .args(["-o", "PubkeyAuthentication=no"])
        .args(flags)
        .arg(format!("{user}@127.0.0.1"))
        .args(command)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    c
}

async fn output(mut cmd: Command) -> Output {
    tokio::time::timeout(WAIT, cmd.output())
        .await
        .expect("ssh did not finish")
        .expect("running ssh")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Terminal output as a person would read it: escape sequences and
/// carriage returns gone.
fn screen_text(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.next_if_eq(&'[').is_some() {
                    for c in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&c) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' | '\x07' => {}
            c => out.push(c),
        }
    }
    out
}

/// An interactive `ssh -tt` session with piped stdin and stdout.
struct Tty {
    child: Child,
    stdin: ChildStdin,
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    raw: Vec<u8>,
    /// How much of the screen text earlier `expect`s consumed.
    seen: usize,
}

impl Tty {
    async fn open(port: u16) -> Self {
        Self::open_with(port, &[]).await
    }

    async fn open_with(port: u16, command: &[&str]) -> Self {
        let mut cmd = ssh_with(port, "admin", "secret123", &["-tt"], command);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawning ssh");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = stdout.read(&mut buf).await {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Tty {
            child,
            stdin,
            rx,
            raw: Vec::new(),
            seen: 0,
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// Waits until `needle` shows up on screen after what was already
    /// matched; returns the screen text up to and including it.
    async fn expect(&mut self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let screen = screen_text(&self.raw);
            if let Some(i) = screen[self.seen.min(screen.len())..].find(needle) {
                let end = self.seen + i + needle.len();
                let got = screen[self.seen..end].to_string();
                self.seen = end;
                return got;
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(chunk)) => self.raw.extend_from_slice(&chunk),
                Ok(None) => panic!("session ended before {needle:?}; screen:\n{screen}"),
                Err(_) => panic!("timed out waiting for {needle:?}; screen:\n{screen}"),
            }
        }
    }

    async fn wait(mut self) -> std::process::ExitStatus {
        drop(self.stdin);
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("ssh did not exit")
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_one_command() {
    let srv = start(|_| {}).await;
    let out = output(ssh(
        srv.port,
        "admin",
        "secret123",
        &["upper show running-config | include logging"],
    ))
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "SHOW RUNNING-CONFIG | INCLUDE LOGGING\n");

    let out = output(ssh(
        srv.port,
        "admin",
        "secret123",
        &["show", "running-config"],
    ))
    .await;
    assert_eq!(
        text(&out.stdout),
        "logging level application debug\nlogging level tracing debug\n"
    );
    // No PTY: output is passed through untouched, without a banner.
    assert!(!text(&out.stdout).contains('\r'));

    let out = output(ssh(srv.port, "admin", "secret123", &["big"])).await;
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), 30_000 * 101);
    assert!(text(&out.stdout).ends_with(&format!("029999 {}\n", "x".repeat(93))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_shell_reads_lines_from_stdin() {
    let srv = start(|_| {}).await;
    let mut cmd = ssh_with(srv.port, "admin", "secret123", &["-T"], &[]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"echo one\r\n\nupper two\nexit\necho never\n")
        .await
        .unwrap();
    drop(stdin);
    let out = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "one\nTWO\n");

    // Input ending without `exit` (and without a final newline) ends the
    // session too.
    let mut cmd = ssh_with(srv.port, "admin", "secret123", &["-T"], &[]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"echo a\necho b").await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "a\nb\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_session() {
    let srv = start(|_| {}).await;
    let mut tty = Tty::open(srv.port).await;
    tty.expect("Welcome to the cee CLI on brusmi/cee\n\nadmin connected from 127.0.0.1 using ssh on ops-center-test\n")
        .await;
    tty.expect(PROMPT).await;

    // Echo, and output on its own lines.
    tty.send(b"echo hi there\r").await;
    assert_eq!(
        tty.expect(PROMPT).await,
        "echo hi there\nhi there\n[brusmi/cee] cee# "
    );

    // `?` lists what may follow and gives the line back.
    tty.send(b"show ?").await;
    assert_eq!(
        tty.expect(&format!("{PROMPT}show ")).await,
        "show ?\nPossible completions:\n  clock            Show the time\n  running-config   Show the configuration\n[brusmi/cee] cee# show "
    );
    // TAB with one candidate completes it; Enter runs it.
    tty.send(b"ru\t").await;
    tty.expect(&format!("{PROMPT}show running-config ")).await;
    tty.send(b"\r").await;
    assert_eq!(
        tty.expect(PROMPT).await,
        "\nlogging level application debug\nlogging level tracing debug\n[brusmi/cee] cee# "
    );

    // TAB with several lists them, ConfD style, and keeps the line.
    tty.send(b"s\t").await;
    tty.expect("Possible completions:\n  show    stream\n")
        .await;
    tty.expect(&format!("{PROMPT}s")).await;
    tty.send(b"t\t").await;
    tty.expect(&format!("{PROMPT}stream ")).await;

    // Ctrl-C stops a streaming command and brings the prompt back.
    tty.send(b"\r").await;
    tty.expect("tick 2\n").await;
    tty.send(b"\x03").await;
    tty.expect("stopped\n").await;
    tty.expect(PROMPT).await;

    // Ctrl-C on the line drops it; a prompt follows output without a
    // final newline on a line of its own.
    tty.send(b"garbage\x03noeol\r").await;
    tty.expect("garbage^C\n").await;
    assert_eq!(tty.expect(PROMPT).await, "[brusmi/cee] cee# ");
    assert_eq!(
        tty.expect(PROMPT).await,
        "noeol\nno newline\n[brusmi/cee] cee# "
    );

    // Editing keys: Left, insert, Home, Ctrl-K, history.
    tty.send("upper 日志 abd\x1b[Dc\r".as_bytes()).await;
    tty.expect("日志 ABCD\n").await;
    tty.expect(PROMPT).await;
    tty.send(b"echo gone\x01\x0bupper x\r").await;
    tty.expect("\nX\n").await;
    tty.expect(PROMPT).await;
    tty.send(b"\x1b[A\x1b[A\r").await;
    tty.expect("日志 ABCD\n").await;
    tty.expect(PROMPT).await;

    tty.send(b"exit\r").await;
    let status = tty.wait().await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_d_on_an_empty_line_leaves() {
    let srv = start(|_| {}).await;
    let mut tty = Tty::open(srv.port).await;
    tty.expect(PROMPT).await;
    tty.send(b"\x04").await;
    assert!(tty.wait().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_lockout_are_refused() {
    let srv = start(|_| {}).await;
    // One prompt only: ssh gives up by itself.
    let mut cmd = Command::new("sshpass");
    cmd.args(["-p", "wrong", "ssh"])
        .args(ssh_opts(srv.port))
        .args([
            "-o",
            "NumberOfPasswordPrompts=1",
            "admin@127.0.0.1",
            "echo hi",
        ])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(255), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("Permission denied"),
        "{}",
        text(&out.stderr)
    );

    // A wrong password gets another prompt, as from OpenSSH: sshpass sees
    // the second one and gives up with its "wrong password" status, 5.
    let t0 = std::time::Instant::now();
    let out = output(ssh(srv.port, "admin", "wrong", &["echo hi"])).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    // Failures are slowed down.
    assert!(t0.elapsed() >= Duration::from_millis(100));

    let out = output(ssh(srv.port, "locked", "whatever", &["echo hi"])).await;
    assert_eq!(out.status.code(), Some(255));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("too many failed logins: account temporarily locked"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credentials_no_login() {
    // No password to give and no key: the `none` method is refused too.
    let srv = start(|_| {}).await;
    let mut cmd = Command::new("ssh");
    cmd.args(ssh_opts(srv.port))
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "PubkeyAuthentication=no",
            "admin@127.0.0.1",
            "echo hi",
        ])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(255));
    assert!(
        text(&out.stderr).contains("Permission denied"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_key_login() {
    let dir = tempfile::tempdir().unwrap();
    let id = dir.path().join("id_ed25519");
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&id)
        .status()
        .unwrap();
    assert!(st.success());
    let public = russh::keys::load_public_key(dir.path().join("id_ed25519.pub")).unwrap();
    let srv = start_in(dir, Some(public), |_| {}).await;
    let mut cmd = Command::new("ssh");
    cmd.args(ssh_opts(srv.port))
        .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i"])
        .arg(&id)
        .args(["admin@127.0.0.1", "echo key ok"])
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = output(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "key ok\n");
}

async fn keyscan(port: u16) -> String {
    let mut cmd = Command::new("ssh-keyscan");
    cmd.args(["-p", &port.to_string(), "-t", "ed25519", "127.0.0.1"])
        .kill_on_drop(true);
    let out = output(cmd).await;
    let line = text(&out.stdout);
    let key = line
        .split_whitespace()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        key.starts_with("ssh-ed25519 "),
        "{line:?} {}",
        text(&out.stderr)
    );
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_key_survives_restarts() {
    let srv = start(|_| {}).await;
    let first = keyscan(srv.port).await;
    let TestServer { dir, task, .. } = srv;
    drop(task);
    let srv = start_in(dir, None, |_| {}).await;
    let second = keyscan(srv.port).await;
    assert_eq!(first, second);
    let saved = std::fs::read_to_string(srv.dir.path().join("ssh_host_ed25519_key.pub")).unwrap();
    assert_eq!(saved.trim(), first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_are_closed() {
    let srv = start(|c| c.idle_timeout = Duration::from_millis(1500)).await;
    let mut tty = Tty::open(srv.port).await;
    tty.expect(PROMPT).await;
    tty.send(b"echo still here\r").await;
    tty.expect("still here\n").await;
    // A running command is not idle.
    tty.send(b"stream\r").await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    tty.send(b"\x03").await;
    tty.expect("stopped\n").await;
    tty.expect(PROMPT).await;
    let t0 = tokio::time::Instant::now();
    tty.expect("idle timeout, closing\n").await;
    assert!(t0.elapsed() >= Duration::from_millis(1000));
    assert!(tty.wait().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_limits() {
    let srv = start(|c| c.max_sessions_per_user = 1).await;
    let mut tty = Tty::open(srv.port).await;
    tty.expect(PROMPT).await;
    let out = output(ssh(srv.port, "admin", "secret123", &["echo second"])).await;
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("too many sessions open for user admin (limit 1)"),
        "{}",
        text(&out.stderr)
    );
    tty.send(b"exit\r").await;
    assert!(tty.wait().await.success());
    // The slot is given back when the session ends.
    let mut freed = false;
    for _ in 0..50 {
        let out = output(ssh(srv.port, "admin", "secret123", &["echo third"])).await;
        if out.status.success() {
            assert_eq!(text(&out.stdout), "third\n");
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed);

    let srv = start(|c| c.max_sessions = 1).await;
    let mut tty = Tty::open(srv.port).await;
    tty.expect(PROMPT).await;
    let out = output(ssh(srv.port, "admin", "secret123", &["echo second"])).await;
    assert!(
        text(&out.stderr).contains("too many sessions open on this server (limit 1)"),
        "{}",
        text(&out.stderr)
    );
    tty.send(b"exit\r").await;
    assert!(tty.wait().await.success());
}

#[test]
fn limits_count_per_user_and_total() {
    let limits = Arc::new(Limits {
        max_total: 3,
        max_per_user: 2,
        counts: Mutex::new(Counts::default()),
    });
    let a1 = limits.acquire("a").unwrap();
    let _a2 = limits.acquire("a").unwrap();
    assert!(limits.acquire("a").err().unwrap().contains("for user a"));
    let _b1 = limits.acquire("b").unwrap();
    assert!(
        limits
            .acquire("c")
            .err()
            .unwrap()
            .contains("on this server")
    );
    drop(a1);
    let _c1 = limits.acquire("c").unwrap();
    assert_eq!(limits.counts.lock().unwrap().total, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_on_a_pty_stops_on_ctrl_c() {
    let srv = start(|_| {}).await;
    let mut tty = Tty::open_with(srv.port, &["stream"]).await;
    tty.expect("tick 1\ntick 2\n").await;
    tty.send(b"\x03").await;
    tty.expect("stopped\n").await;
    assert!(tty.wait().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_disconnects_sessions() {
    let srv = start(|_| {}).await;
    let mut tty = Tty::open(srv.port).await;
    tty.expect(PROMPT).await;
    drop(srv);
    assert_eq!(tty.wait().await.code(), Some(255));
}

/// Reads what the server sends on a raw TCP connection until it closes.
async fn read_until_closed(mut s: tokio::net::TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut got))
        .await
        .expect("server kept the connection open")
        .ok();
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_connections_are_bounded() {
    let srv = start(|c| {
        c.max_startups = 1;
        c.login_grace_time = Duration::from_millis(1500);
    })
    .await;
    let addr = ("127.0.0.1", srv.port);
    // One silent client takes the only pre-login slot ...
    let idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // ... so the next is dropped at once, without even a version line.
    let t0 = std::time::Instant::now();
    let second = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(read_until_closed(second).await.is_empty());
    assert!(t0.elapsed() < Duration::from_secs(1));
    // The silent one is dropped after the login grace time.
    let got = read_until_closed(idle).await;
    assert!(text(&got).starts_with("SSH-2.0-kubetac"), "{got:?}");
    assert!(t0.elapsed() >= Duration::from_millis(1000));
    // And the slot is free again.
    let out = output(ssh(srv.port, "admin", "secret123", &["echo in"])).await;
    assert_eq!(text(&out.stdout), "in\n");
}
