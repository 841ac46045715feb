//! `kubetac serve` (the ops center: SSH CLI + HTTPS package server),
//! `kubetac shell` (the same CLI on a local terminal) and `kubetac demo`
//! (the simulated cluster, the ops center and a first package, on loopback).

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::{Args, CommandFactory};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::inspect::{ClusterArgs, runtime};
use crate::cluster::Cluster;
use crate::debugpkg::store::{Store, default_root};
use crate::opscenter::config::RunningConfig;
use crate::opscenter::exec::{ClusterValues, OpsCenter};
use crate::opscenter::grammar::Grammar;
use crate::opscenter::https::{self, PackageServerConfig, TlsFiles};
use crate::opscenter::session::{Backend, Flow};
use crate::opscenter::ssh::{self, AuthOutcome, Authenticator, SshConfig};
use crate::opscenter::users::{self, GuardConfig, LoginGuard, UsersFile};

/// Where the ops center keeps its own state in the store: hidden names,
/// never served or listed as packages.
const RUNNING_CONFIG: &str = ".running-config";
const HOST_KEY: &str = ".ssh/host_ed25519";

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  kubetac user add admin && kubetac serve
  ssh -p 2024 admin@<host>                       # the CLI: show pods, cluster logs ..., tac-debug-pkg ...
  wget -r -np --no-check-certificate --http-user=admin --http-password=... https://<host>:8443/tac/<id>/")]
pub struct ServeArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// SSH CLI address (the guide's port 2024); port 0 picks a free one.
    #[arg(long, default_value = "0.0.0.0:2024", value_name = "ADDR")]
    ssh_addr: SocketAddr,
    /// HTTPS package server address; port 0 picks a free one.
    #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR")]
    https_addr: SocketAddr,
    /// The package store.
    #[arg(long, env = "KUBETAC_STORE", value_name = "DIR")]
    store: Option<PathBuf>,
    /// The users file (`kubetac user add`) [default: ~/.config/kubetac/users].
    #[arg(long, env = "KUBETAC_USERS", value_name = "FILE")]
    users: Option<PathBuf>,
    /// TLS certificate (PEM) for HTTPS; without it a self-signed one is made once and kept in the store.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// The prompt's `[name]`, e.g. `brusmi/cee` [default: <context>/<product>].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The product word of the prompt and banner (`cee#`).
    #[arg(long, default_value = "cee", value_name = "WORD")]
    product: String,
    /// SSH sessions at once, in all.
    #[arg(long, default_value_t = 64)]
    max_sessions: usize,
    /// Refuse `tac-debug-pkg create` when the store's filesystem has less free space than this.
    #[arg(long, value_name = "PERCENT", default_value_t = crate::debugpkg::MIN_FREE_PERCENT, value_parser = clap::value_parser!(u8).range(0..=100))]
    min_free_percent: u8,
    /// Minutes without input before an SSH session is closed.
    #[arg(long, default_value_t = 30)]
    idle_minutes: u64,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The ops center's CLI on this terminal: TAB completes, `?` at the end of a line
lists what can come next, `| include RE`, `| exclude RE`, `| count`, `| begin RE` filter output.
Without a terminal it reads one command a line from standard input."
)]
pub struct ShellArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// The package store.
    #[arg(long, env = "KUBETAC_STORE", value_name = "DIR")]
    store: Option<PathBuf>,
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    #[arg(long, default_value = "cee", value_name = "WORD")]
    product: String,
}

/// Password checks for the SSH server: the users file behind the login
/// guard shared with the package server.
struct UsersAuth {
    users: Arc<UsersFile>,
    guard: Arc<LoginGuard>,
}

impl Authenticator for UsersAuth {
    fn check_password<'a>(
        &'a self,
        user: &'a str,
        password: &'a str,
        peer: Option<IpAddr>,
    ) -> BoxFuture<'a, AuthOutcome> {
        Box::pin(async move {
            let ip = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            if self.guard.check(user, ip).is_err() {
                return AuthOutcome::LockedOut;
            }
            // Argon2 is slow and large on purpose: verify_async runs it off
            // the async workers, a few at a time.
            let ok = self.users.verify_async(user, password).await;
            if ok {
                self.guard.succeeded(user, ip);
                AuthOutcome::Ok
            } else {
                let delay = self.guard.failed(user, ip);
                tokio::time::sleep(delay).await;
                AuthOutcome::Rejected
            }
        })
    }
}

fn store_of(s: &Option<PathBuf>) -> anyhow::Result<Store> {
    let root = s.clone().unwrap_or_else(default_root);
    Ok(Store::open(&root)?)
}

/// The shared state of one ops center.
async fn ops_center(
    cluster: &ClusterArgs,
    store: Store,
    name: Option<String>,
    product: &str,
    min_free_percent: u8,
) -> anyhow::Result<Arc<OpsCenter>> {
    let cl = match Cluster::connect(&cluster.target()).await {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!(
                "kubetac: warning: {e}; commands will say so, completion has no cluster names"
            );
            None
        }
    };
    let cluster_name = name.unwrap_or_else(|| {
        let ctx = cl
            .as_ref()
            .map(|c| c.context.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "cluster".into());
        format!("{ctx}/{product}")
    });
    let config_path = store.root.join(RUNNING_CONFIG);
    let config = RunningConfig::load(&config_path)?;
    let kubeconfig = cluster
        .kubeconfig
        .clone()
        .or_else(|| std::env::var_os("KUBECONFIG").map(PathBuf::from));
    Ok(Arc::new(OpsCenter {
        grammar: Grammar::new(super::Args::command()),
        cluster_name,
        product: product.to_string(),
        values: Arc::new(ClusterValues::new(cl, store.clone())),
        store,
        kubeconfig,
        context: cluster.context.clone(),
        config: Mutex::new(config),
        config_path,
        exe: std::env::current_exe().context("finding kubetac's own executable")?,
        min_free_percent,
    }))
}

pub fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let store = store_of(&a.store)?;
    let users_path = a.users.clone().unwrap_or_else(users::default_path);
    let users = Arc::new(UsersFile::open(&users_path).map_err(|e| {
        anyhow::anyhow!(
            "{e}\nadd a user first: kubetac user add admin --users {}",
            users_path.display()
        )
    })?);
    runtime()?.block_on(async {
        let oc = ops_center(
            &a.cluster,
            store.clone(),
            a.name.clone(),
            &a.product,
            a.min_free_percent,
        )
        .await?;
        let running = Running::start(
            oc,
            users,
            &store,
            a.ssh_addr,
            a.https_addr,
            &TlsFiles {
                cert: a.tls_cert.clone(),
                key: a.tls_key.clone(),
                extra_names: Vec::new(),
            },
            a.max_sessions,
            std::time::Duration::from_secs(a.idle_minutes.max(1) * 60),
        )
        .await?;
        println!(
            "ssh:   listening on {} (ssh -p {} USER@HOST)",
            running.ssh_addr,
            running.ssh_addr.port()
        );
        println!(
            "https: listening on {} (https://HOST:{}/tac/)",
            running.https.addr,
            running.https.addr.port()
        );
        println!("store: {}", store.root.display());
        let _ = std::io::stdout().flush();
        running.until_stopped().await
    })
}

/// The two servers of one ops center, running.
struct Running {
    ssh_addr: SocketAddr,
    ssh: tokio::task::JoinHandle<anyhow::Result<()>>,
    https: https::PackageServer,
}

impl Running {
    #[allow(clippy::too_many_arguments)]
    async fn start(
        oc: Arc<OpsCenter>,
        users: Arc<UsersFile>,
        store: &Store,
        ssh_addr: SocketAddr,
        https_addr: SocketAddr,
        tls: &TlsFiles,
        max_sessions: usize,
        idle: std::time::Duration,
    ) -> anyhow::Result<Running> {
        let guard = Arc::new(LoginGuard::new(GuardConfig::default()));
        let mut cfg = SshConfig::new(ssh_addr, store.root.join(HOST_KEY));
        cfg.max_sessions = max_sessions;
        cfg.idle_timeout = idle;
        let backend: Arc<dyn Backend> = Arc::new(oc);
        let auth: Arc<dyn Authenticator> = Arc::new(UsersAuth {
            users: users.clone(),
            guard: guard.clone(),
        });
        let (ssh_bound, ssh_fut) = ssh::bind(cfg, backend, auth)
            .await
            .with_context(|| format!("starting the SSH server on {ssh_addr}"))?;
        let https = https::serve(
            PackageServerConfig::new(store.root.clone(), users, guard),
            https_addr,
            tls,
        )
        .await
        .with_context(|| format!("starting the package server on {https_addr}"))?;
        Ok(Running {
            ssh_addr: ssh_bound,
            ssh: tokio::spawn(ssh_fut),
            https,
        })
    }

    async fn until_stopped(self) -> anyhow::Result<ExitCode> {
        let Running { ssh, https, .. } = self;
        let https_wait = https.wait();
        tokio::select! {
            r = ssh => {
                r.context("the SSH server stopped")??;
                anyhow::bail!("the SSH server stopped");
            }
            r = https_wait => {
                r.context("the package server stopped")?;
                anyhow::bail!("the package server stopped");
            }
            _ = tokio::signal::ctrl_c() => {
                eprintln!("kubetac: stopping");
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

pub fn shell(a: ShellArgs) -> anyhow::Result<ExitCode> {
    let store = store_of(&a.store)?;
    let rt = runtime()?;
    let oc = rt.block_on(ops_center(
        &a.cluster,
        store,
        a.name.clone(),
        &a.product,
        crate::debugpkg::MIN_FREE_PERCENT,
    ))?;
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    if !std::io::stdin().is_terminal() {
        rt.block_on(async {
            let input = tokio::io::BufReader::new(tokio::io::stdin());
            crate::opscenter::exec::run_script(&oc, &user, input).await
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let session = Arc::new(tokio::sync::Mutex::new(oc.open(&user, None)));
    let helper = ShellHelper {
        session: session.clone(),
        rt: rt.handle().clone(),
    };
    let mut ed = rustyline::Editor::<ShellHelper, rustyline::history::DefaultHistory>::new()
        .context("starting the line editor")?;
    ed.set_helper(Some(helper));
    let history = store_of(&a.store)?.root.join(".shell-history");
    let _ = ed.load_history(&history);
    println!("{}", session.blocking_lock().banner());
    let mut initial = String::new();
    loop {
        let prompt = session.blocking_lock().prompt();
        let line = match ed.readline_with_initial(&prompt, (&initial, "")) {
            Ok(l) => l,
            Err(rustyline::error::ReadlineError::Interrupted) => {
                initial.clear();
                continue;
            }
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading the command line"),
        };
        initial.clear();
        // `?` at the end: what can come next, then the same line again
        // (on SSH `?` acts as soon as it is typed).
        if let Some(rest) = line.strip_suffix('?') {
            let help = rt.block_on(async { session.lock().await.help(rest).await });
            print!("{help}");
            initial = rest.to_string();
            continue;
        }
        let _ = ed.add_history_entry(line.as_str());
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
        let flow = rt.block_on(async {
            let printer = tokio::spawn(async move {
                let mut o = std::io::stdout();
                while let Some(b) = rx.recv().await {
                    let _ = o.write_all(&b);
                    let _ = o.flush();
                }
            });
            let ctrl_c = tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    c2.cancel();
                }
            });
            let mut s = session.lock().await;
            let flow = s.run(&line, tx, cancel).await;
            ctrl_c.abort();
            let _ = printer.await;
            flow
        });
        if flow == Flow::Exit {
            break;
        }
    }
    let _ = ed.save_history(&history);
    Ok(ExitCode::SUCCESS)
}

struct ShellHelper {
    session: Arc<tokio::sync::Mutex<Box<dyn crate::opscenter::session::Session>>>,
    rt: tokio::runtime::Handle,
}

impl rustyline::completion::Completer for ShellHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let c = self
            .rt
            .block_on(async { self.session.lock().await.complete(line, pos).await });
        Ok((c.start, c.candidates))
    }
}

impl rustyline::hint::Hinter for ShellHelper {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for ShellHelper {}
impl rustyline::validate::Validator for ShellHelper {}
impl rustyline::Helper for ShellHelper {}

#[derive(Debug, Args)]
#[command(after_help = "Starts everything on loopback and serves until Ctrl-C:
the simulated cluster (the guide's SMF cluster; with a real Prometheus when Debian's
prometheus package is installed), the ops center (SSH on 2024 and HTTPS on 8443 when
free, else free ports), a user `admin` with a one-time password, then runs triage and
creates a one-hour debug package, and prints how to connect.")]
pub struct DemoArgs {
    /// Keep the demo's state (store, kubeconfig, nodes) here instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Do not start Prometheus even when it is installed.
    #[arg(long)]
    no_prometheus: bool,
}

fn free_or_any(port: u16) -> SocketAddr {
    let want = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match std::net::TcpListener::bind(want) {
        Ok(l) => {
            drop(l);
            want
        }
        Err(_) => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    }
}

fn one_time_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn demo(a: DemoArgs) -> anyhow::Result<ExitCode> {
    let tmp;
    let dir: PathBuf = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.clone()
        }
        None => {
            tmp = tempfile::Builder::new()
                .prefix("kubetac-demo-")
                .tempdir()
                .context("creating a temporary directory")?;
            tmp.path().to_path_buf()
        }
    };
    let prometheus = !a.no_prometheus
        && kubesim::prometheus::find_program("prometheus").is_ok()
        && kubesim::prometheus::find_program("promtool").is_ok();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        eprintln!("demo: starting the simulated cluster{}", if prometheus { " and Prometheus" } else { "" });
        let sim = kubesim::Sim::start(super::sim::config_for_demo(&dir, prometheus))
            .await
            .context("starting the simulated cluster")?;
        let kubeconfig = sim.kubeconfig_path.clone();
        let store = Store::open(&dir.join("store"))?;
        let users_path = dir.join("users");
        let password = one_time_password();
        users::add_user(&users_path, "admin", &password)?;
        let users = Arc::new(UsersFile::open(&users_path)?);
        let cluster = ClusterArgs {
            kubeconfig: Some(kubeconfig.clone()),
            context: None,
        };
        // A demo's packages are small and its store is temporary: the
        // guard would only get in the way on a full laptop disk; say so.
        let free = store.free_percent().unwrap_or(100.0);
        if free < f64::from(crate::debugpkg::MIN_FREE_PERCENT) {
            eprintln!(
                "demo: note: the disk has {free:.1} % free; a real ops center refuses packages below {} % (serve --min-free-percent); the demo does not",
                crate::debugpkg::MIN_FREE_PERCENT
            );
        }
        let oc = ops_center(&cluster, store.clone(), None, "cee", 0).await?;
        let running = Running::start(
            oc,
            users,
            &store,
            free_or_any(2024),
            free_or_any(8443),
            &TlsFiles::default(),
            64,
            std::time::Duration::from_secs(30 * 60),
        )
        .await?;
        let exe = std::env::current_exe()?;
        println!("\n$ kubetac triage -A");
        let _ = std::io::stdout().flush();
        tokio::process::Command::new(&exe)
            .args(["triage", "-A"])
            .env("KUBECONFIG", &kubeconfig)
            .status()
            .await
            .context("running triage")?;
        let to = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())?;
        let from = to - jiff::SignedDuration::from_hours(1);
        let (f, t) = (
            crate::debugpkg::request::guide_time(from),
            crate::debugpkg::request::guide_time(to),
        );
        println!("\n$ kubetac tac-debug-pkg create from {f} to {t} logs-filter {{ namespace smf-data }}");
        let _ = std::io::stdout().flush();
        let out = tokio::process::Command::new(&exe)
            .args(["tac-debug-pkg", "--store"])
            .arg(&store.root)
            .args(["create", "--min-free-percent", "0", "from", &f, "to", &t, "logs-filter", "{", "namespace", "smf-data", "}"])
            .env("KUBECONFIG", &kubeconfig)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .context("creating the package")?
            .wait_with_output()
            .await
            .context("creating the package")?;
        std::io::stdout().write_all(&out.stdout)?;
        let id = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .and_then(|l| l.split("tac-debug pkg ID : ").nth(1))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| "<id>".into());
        let ssh_port = running.ssh_addr.port();
        let https_port = running.https.addr.port();
        println!(
            "
kubetac demo is running (Ctrl-C stops it). One-time password for admin: {password}

  SSH CLI:      ssh -p {ssh_port} admin@127.0.0.1
                  then: show pods -n smf-data | include Crash   ·   tac-debug-pkg status   ·   cluster logs ^smf- -n smf-data
  Download:     wget -r -np --no-check-certificate --http-user=admin --http-password={password} https://127.0.0.1:{https_port}/tac/{id}/
  Whole:        curl -k -u admin:{password} -o tac-debug_{id}.tar.gz https://127.0.0.1:{https_port}/tac/{id}.tar.gz
  Browser:      https://127.0.0.1:{https_port}/tac/{id}/web/index.html   (user admin; the certificate is self-signed)
  kubectl:      KUBECONFIG={} kubectl get pods -n smf-data
  Files:        {}",
            kubeconfig.display(),
            dir.display()
        );
        let _ = std::io::stdout().flush();
        let r = running.until_stopped().await;
        sim.stop().await;
        r
    })
}
