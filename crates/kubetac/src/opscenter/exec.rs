//! Runs the ops-center language: one [`Shell`] per SSH session or
//! `kubetac shell`. A command that is a CLI command (`show pods`, `cluster
//! logs`, `tac-debug-pkg ...`) runs as `kubetac <argv>` in a child process:
//! the exact same code and output as on the command line, its failures
//! contained, and Ctrl-C is a kill. The shell itself keeps the mode, the
//! candidate configuration and the history, and applies the output pipes.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio_util::sync::CancellationToken;

use super::config::RunningConfig;
use super::grammar::{Command, Filter, Grammar, GrammarError, Line, Mode, Pipe, Values};
use super::session::{Backend, Completion, Flow, Output, Session};
use crate::debugpkg::store::Store;

/// What every session of one server shares.
pub struct OpsCenter {
    pub grammar: Grammar,
    /// `brusmi/cee` in the prompt: the cluster's name and the ops center's.
    pub cluster_name: String,
    pub product: String,
    pub store: Store,
    /// Set for the children so they reach the same cluster; None in a pod
    /// (in-cluster config).
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub config: Mutex<RunningConfig>,
    pub config_path: PathBuf,
    pub values: Arc<ClusterValues>,
    pub exe: PathBuf,
    /// The server's disk guard for creates (`serve --min-free-percent`).
    pub min_free_percent: u8,
}

impl OpsCenter {
    fn command(&self, argv: &[String]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(&self.exe);
        let mut args = argv.to_vec();
        // The server decides the cluster and the store; the grammar refuses
        // those flags from the user.
        if args.first().map(String::as_str) == Some("tac-debug-pkg") {
            if args.get(1).map(String::as_str) == Some("create") {
                args.insert(2, "--min-free-percent".into());
                args.insert(3, self.min_free_percent.to_string());
            }
            args.insert(1, "--store".into());
            args.insert(2, self.store.root.display().to_string());
        }
        if let Some(ctx) = &self.context
            && accepts_cluster_flags(&args)
        {
            args.push("--context".into());
            args.push(ctx.clone());
        }
        c.args(&args);
        if let Some(k) = &self.kubeconfig {
            c.env("KUBECONFIG", k);
        }
        c.env("NO_COLOR", "1");
        c.stdin(Stdio::null());
        c
    }
}

/// `--context` exists on the commands that talk to the cluster.
fn accepts_cluster_flags(argv: &[String]) -> bool {
    match argv.first().map(String::as_str) {
        Some("tac-debug-pkg") => argv.iter().any(|a| a == "create"),
        Some(_) => true,
        None => false,
    }
}

/// Namespaces, pods and package ids for completion, refreshed at most every
/// few seconds so TAB stays instant.
pub struct ClusterValues {
    cluster: Option<crate::cluster::Cluster>,
    store: Store,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    at: Option<Instant>,
    namespaces: Vec<String>,
    pods: Vec<(String, String)>,
}

const CACHE_FOR: Duration = Duration::from_secs(10);

impl ClusterValues {
    pub fn new(cluster: Option<crate::cluster::Cluster>, store: Store) -> Self {
        ClusterValues {
            cluster,
            store,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Reads namespaces and pods if the cache is old (bounded by a short
    /// timeout: completion must not hang on a slow cluster).
    pub async fn refresh(&self) {
        let fresh = self
            .cache
            .lock()
            .unwrap()
            .at
            .is_some_and(|t| t.elapsed() < CACHE_FOR);
        let Some(cl) = &self.cluster else { return };
        if fresh {
            return;
        }
        use k8s_openapi::api::core::v1::{Namespace, Pod};
        let fut = async {
            let ns: kube::Api<Namespace> = kube::Api::all(cl.client.clone());
            let pods: kube::Api<Pod> = kube::Api::all(cl.client.clone());
            let lp = kube::api::ListParams::default().limit(2000);
            let ns = ns.list_metadata(&lp).await.ok()?;
            let pods = pods.list_metadata(&lp).await.ok()?;
            Some((
                ns.items
                    .into_iter()
                    .filter_map(|n| n.metadata.name)
                    .collect::<Vec<_>>(),
                pods.items
                    .into_iter()
                    .filter_map(|p| Some((p.metadata.namespace?, p.metadata.name?)))
                    .collect::<Vec<_>>(),
            ))
        };
        if let Ok(Some((namespaces, pods))) =
            tokio::time::timeout(Duration::from_secs(3), fut).await
        {
            let mut c = self.cache.lock().unwrap();
            c.namespaces = namespaces;
            c.pods = pods;
            c.at = Some(Instant::now());
        }
    }
}

impl Values for ClusterValues {
    fn namespaces(&self) -> Vec<String> {
        self.cache.lock().unwrap().namespaces.clone()
    }

    fn pods(&self, namespace: Option<&str>) -> Vec<String> {
        let c = self.cache.lock().unwrap();
        let mut v: Vec<String> = c
            .pods
            .iter()
            .filter(|(ns, _)| namespace.is_none_or(|n| n == ns))
            .map(|(_, p)| p.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn package_ids(&self) -> Vec<String> {
        self.store
            .list()
            .map(|l| l.into_iter().map(|e| e.id).collect())
            .unwrap_or_default()
    }
}

impl Backend for Arc<OpsCenter> {
    fn open(&self, user: &str, from: Option<std::net::SocketAddr>) -> Box<dyn Session> {
        Box::new(Shell {
            oc: self.clone(),
            user: user.to_string(),
            from,
            mode: Mode::Exec,
            candidate: None,
            history: VecDeque::new(),
        })
    }
}

pub struct Shell {
    oc: Arc<OpsCenter>,
    user: String,
    from: Option<std::net::SocketAddr>,
    mode: Mode,
    /// The configuration being edited in config mode (None: no changes).
    candidate: Option<RunningConfig>,
    history: VecDeque<String>,
}

const HISTORY: usize = 500;

impl Shell {
    fn config_view(&self) -> RunningConfig {
        self.candidate
            .clone()
            .unwrap_or_else(|| self.oc.config.lock().unwrap().clone())
    }

    async fn execute(&mut self, line: Line, out: &Output, cancel: CancellationToken) -> Flow {
        let mut sink = PipeSink::new(line.pipes, out.clone());
        let flow = match line.command {
            Command::Empty => Flow::Continue,
            Command::Exit => match self.mode {
                Mode::Exec => Flow::Exit,
                Mode::Config => {
                    self.leave_config(&mut sink).await;
                    Flow::Continue
                }
            },
            Command::Help => {
                sink.text(&self.oc.grammar.help("", self.mode, self.oc.values.as_ref()))
                    .await;
                Flow::Continue
            }
            Command::History => {
                let lines: Vec<String> = self
                    .history
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("{:>4}  {l}\n", i + 1))
                    .collect();
                sink.text(&lines.concat()).await;
                Flow::Continue
            }
            Command::ShowRunningConfig { filter } => {
                let cfg = self.oc.config.lock().unwrap().clone();
                sink.text(&cfg.render(&filter)).await;
                Flow::Continue
            }
            Command::EnterConfig => {
                self.mode = Mode::Config;
                sink.text("Entering configuration mode terminal\n").await;
                Flow::Continue
            }
            Command::Set(s) => {
                let mut c = self.config_view();
                c.set_line(&s.to_string());
                self.candidate = Some(c);
                Flow::Continue
            }
            Command::Unset(s) => {
                let mut c = self.config_view();
                if !c.unset_prefix(s.to_string().trim_start_matches("no ")) {
                    sink.text(&format!("% No such configuration: {}\n", s))
                        .await;
                }
                self.candidate = Some(c);
                Flow::Continue
            }
            Command::ShowConfiguration => {
                let running = self.oc.config.lock().unwrap().clone();
                let diff = running.diff(&self.config_view());
                sink.text(if diff.is_empty() {
                    "% No configuration changes found.\n"
                } else {
                    &diff
                })
                .await;
                Flow::Continue
            }
            Command::Commit => {
                self.commit(&mut sink).await;
                Flow::Continue
            }
            Command::Abort => {
                self.candidate = None;
                self.mode = Mode::Exec;
                Flow::Continue
            }
            Command::End => {
                self.leave_config(&mut sink).await;
                Flow::Continue
            }
            Command::Cli { argv } => {
                if argv.first().map(String::as_str) == Some("tac-debug-pkg")
                    && argv.get(1).map(String::as_str) == Some("create")
                {
                    self.create_in_background(&argv, &mut sink).await;
                } else {
                    self.run_child(&argv, &mut sink, cancel).await;
                }
                Flow::Continue
            }
        };
        sink.finish().await;
        flow
    }

    async fn commit(&mut self, sink: &mut PipeSink) {
        let Some(c) = self.candidate.take() else {
            sink.text("% No modifications to commit.\n").await;
            return;
        };
        match c.save(&self.oc.config_path) {
            Ok(()) => {
                *self.oc.config.lock().unwrap() = c;
                sink.text("Commit complete.\n").await;
            }
            Err(e) => {
                sink.text(&format!("% Commit failed: {e}\n")).await;
                self.candidate = Some(c);
            }
        }
    }

    async fn leave_config(&mut self, sink: &mut PipeSink) {
        if self
            .candidate
            .as_ref()
            .is_some_and(|c| *c != *self.oc.config.lock().unwrap())
        {
            sink.text("% Uncommitted changes found: `commit` them, or `abort` to drop them.\n")
                .await;
            return;
        }
        self.candidate = None;
        self.mode = Mode::Exec;
    }

    /// Runs `kubetac <argv>`, its output through the pipes, until it ends or
    /// Ctrl-C.
    async fn run_child(&self, argv: &[String], sink: &mut PipeSink, cancel: CancellationToken) {
        let mut cmd = self.oc.command(argv);
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                sink.text(&format!(
                    "% Error: cannot run {}: {e}\n",
                    self.oc.exe.display()
                ))
                .await;
                return;
            }
        };
        let stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let err_task = tokio::spawn(async move {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s).await;
            s
        });
        let mut lines = BufReader::new(stdout).lines();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => {
                    let _ = child.start_kill();
                    break;
                }
                l = lines.next_line() => match l {
                    Ok(Some(l)) => {
                        if !sink.line(&l).await {
                            let _ = child.start_kill();
                            break;
                        }
                    }
                    _ => break,
                }
            }
        }
        let _ = child.wait().await;
        if let Ok(err) = err_task.await {
            let err = tidy_stderr(&err);
            if !err.is_empty() {
                sink.raw(&err).await;
            }
        }
    }

    /// `tac-debug-pkg create` answers with its id at once and goes on in
    /// the server; `status` in any session follows it.
    async fn create_in_background(&self, argv: &[String], sink: &mut PipeSink) {
        let log = self.oc.store.root.join(".last-create.log");
        let stderr = match std::fs::File::create(&log) {
            Ok(f) => f,
            Err(e) => {
                sink.text(&format!("% Error: {}: {e}\n", log.display()))
                    .await;
                return;
            }
        };
        let mut cmd = self.oc.command(argv);
        cmd.stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(false);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                sink.text(&format!(
                    "% Error: cannot run {}: {e}\n",
                    self.oc.exe.display()
                ))
                .await;
                return;
            }
        };
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
        match first {
            Ok(Ok(Some(l))) => {
                sink.line(&l).await;
                // The rest of its output is read so it never blocks on a
                // full pipe; the package says what happened.
                tokio::spawn(async move {
                    while let Ok(Some(_)) = lines.next_line().await {}
                    let _ = child.wait().await;
                });
            }
            Ok(_) => {
                let _ = child.wait().await;
                let err = std::fs::read_to_string(&log).unwrap_or_default();
                sink.text(&format!(
                    "response : {}\n",
                    crate::debugpkg::request::response_time(jiff::Timestamp::now())
                ))
                .await;
                sink.raw(&tidy_stderr(&err)).await;
            }
            Err(_) => {
                sink.text("% The create did not start within 60 s; see `tac-debug-pkg status`.\n")
                    .await;
                tokio::spawn(async move {
                    let _ = child.wait().await;
                });
            }
        }
    }
}

/// The child's error lines as the shell shows them (`kubetac: error: x`
/// reads as `Error: x`).
fn tidy_stderr(s: &str) -> String {
    let mut out = String::new();
    for l in s.lines() {
        let l = l
            .strip_prefix("kubetac: error: ")
            .map(|r| format!("Error: {r}"))
            .unwrap_or_else(|| l.strip_prefix("kubetac: ").unwrap_or(l).to_string());
        out.push_str(&l);
        out.push('\n');
    }
    out
}

impl Session for Shell {
    fn banner(&self) -> String {
        let from = self
            .from
            .map(|a| format!(" from {}", a.ip()))
            .unwrap_or_default();
        format!(
            "\nWelcome to the {} CLI on {}\n\n{} connected{from} using ssh on {}\n",
            self.oc.product,
            self.oc.cluster_name,
            self.user,
            crate::debugpkg::hostname()
        )
    }

    fn prompt(&self) -> String {
        match self.mode {
            Mode::Exec => format!("[{}] {}# ", self.oc.cluster_name, self.oc.product),
            Mode::Config => format!("[{}] {}(config)# ", self.oc.cluster_name, self.oc.product),
        }
    }

    fn complete<'a>(&'a mut self, line: &'a str, cursor: usize) -> BoxFuture<'a, Completion> {
        Box::pin(async move {
            self.oc.values.refresh().await;
            self.oc
                .grammar
                .complete(line, cursor, self.mode, self.oc.values.as_ref())
        })
    }

    fn help<'a>(&'a mut self, line: &'a str) -> BoxFuture<'a, String> {
        Box::pin(async move {
            self.oc.values.refresh().await;
            self.oc
                .grammar
                .help(line, self.mode, self.oc.values.as_ref())
        })
    }

    fn run<'a>(
        &'a mut self,
        line: &'a str,
        out: Output,
        cancel: CancellationToken,
    ) -> BoxFuture<'a, Flow> {
        Box::pin(async move {
            let trimmed = line.trim();
            if !trimmed.is_empty() {
                if self.history.len() == HISTORY {
                    self.history.pop_front();
                }
                self.history.push_back(trimmed.to_string());
            }
            match self.oc.grammar.parse(line, self.mode) {
                Ok(l) => self.execute(l, &out, cancel).await,
                Err(e) => {
                    let _ = out
                        .send(render_error(&e, &self.prompt(), line).into_bytes())
                        .await;
                    Flow::Continue
                }
            }
        })
    }
}

fn render_error(e: &GrammarError, prompt: &str, line: &str) -> String {
    e.render(prompt.chars().count(), line)
}

/// Output through the line's pipes (`| include`, `| exclude`, `| begin`,
/// `| count`), line by line as it streams.
struct PipeSink {
    filter: Filter,
    out: Output,
    partial: String,
}

impl PipeSink {
    fn new(pipes: Vec<Pipe>, out: Output) -> Self {
        PipeSink {
            filter: Filter::new(&pipes),
            out,
            partial: String::new(),
        }
    }

    /// One line of output; false when the receiver is gone (session closed).
    async fn line(&mut self, l: &str) -> bool {
        if !self.filter.keep(l) {
            return !self.out.is_closed();
        }
        self.out.send(format!("{l}\n").into_bytes()).await.is_ok()
    }

    /// Text through the pipes, line by line.
    async fn text(&mut self, t: &str) {
        let mut s = std::mem::take(&mut self.partial);
        s.push_str(t);
        let mut rest = s.as_str();
        while let Some(i) = rest.find('\n') {
            let (l, r) = rest.split_at(i);
            self.line(l).await;
            rest = &r[1..];
        }
        self.partial = rest.to_string();
    }

    /// Errors and notices: not filtered (a `| include` must not hide why
    /// a command failed).
    async fn raw(&mut self, t: &str) {
        let _ = self.out.send(t.as_bytes().to_vec()).await;
    }

    async fn finish(&mut self) {
        if !self.partial.is_empty() {
            let p = std::mem::take(&mut self.partial);
            self.line(&p).await;
        }
        for l in self.filter.finish() {
            let _ = self.out.send(format!("{l}\n").into_bytes()).await;
        }
    }
}

/// Runs the language over stdin lines without a terminal (`kubetac shell`
/// piped, tests): each line echoed after the prompt, then its output.
pub async fn run_script(
    backend: &dyn Backend,
    user: &str,
    input: impl tokio::io::AsyncBufRead + Unpin,
) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut session = backend.open(user, None);
    let mut lines = input.lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await? {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
        let printer = tokio::spawn(async move {
            let mut o = tokio::io::stdout();
            while let Some(b) = rx.recv().await {
                let _ = o.write_all(&b).await;
            }
            let _ = o.flush().await;
        });
        let flow = session.run(&line, tx, CancellationToken::new()).await;
        let _ = printer.await;
        if flow == Flow::Exit {
            break;
        }
    }
    stdout.flush().await?;
    Ok(())
}
