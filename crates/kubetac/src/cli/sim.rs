//! `kubetac sim`: runs the simulated cluster in the foreground, or around one
//! command (`kubetac sim -- kubectl get pods -n smf-data`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use kubesim::{Faults, Scenario, ServiceUpstream, Sim, SimConfig};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  kubetac sim                                  # serve the guide's SMF cluster until Ctrl-C
  kubetac sim -- kubectl get pods -n smf-data  # run one command against it, then stop
  kubetac sim --nodes 5000 --pods 100000       # a generated scale cluster
  kubetac sim --fault cut-lines=50 --fault error-rate=0.05,error-code=429
  kubetac sim --prometheus                     # plus a real Prometheus with 3h of metrics
  kubetac sim --service-upstream cee-cee/prometheus=http://127.0.0.1:9090")]
pub struct SimArgs {
    /// `smf` (the guide's cluster) or a scenario YAML file (docs/scenarios.md).
    #[arg(long, default_value = "smf", conflicts_with_all = ["nodes", "pods"])]
    scenario: String,

    /// Generate a scale scenario with this many nodes (with --pods).
    #[arg(long, requires = "pods")]
    nodes: Option<usize>,

    /// Generate a scale scenario with this many pods (with --nodes).
    #[arg(long, requires = "nodes")]
    pods: Option<usize>,

    /// Address of the API server; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,

    /// Directory for the simulated nodes (kept); a temporary one, removed on exit, by default.
    #[arg(long)]
    state_dir: Option<PathBuf>,

    /// Where to write the kubeconfig (default: <state-dir>/kubeconfig).
    #[arg(long)]
    kubeconfig_out: Option<PathBuf>,

    /// Inject faults: cut-lines=N, cut-after=DUR, error-rate=F, error-code=500|429, latency=DUR, forbid=RESOURCE (e.g. pods/log).
    #[arg(long = "fault", value_name = "KEY=VALUE")]
    faults: Vec<String>,

    /// Log lines per second per container, overriding the scenario (e.g. 20).
    #[arg(long, value_name = "LINES_PER_SEC")]
    log_rate: Option<f64>,

    /// Crash-loop cycle (half running, half back-off), overriding the scenario (e.g. 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    crash_period: Option<Duration>,

    /// Size at which container logs rotate (containerLogMaxSize), e.g. 64Ki, 10Mi.
    #[arg(long, default_value = "64Ki", value_parser = parse_size)]
    log_max_size: u64,

    /// Log files kept per container (containerLogMaxFiles).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    log_max_files: u64,

    /// How often watches that allow bookmarks get one.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    bookmark_interval: Duration,

    /// Run a real Prometheus (Debian's prometheus package: prometheus and
    /// promtool on PATH) backfilled with the last 3 hours of synthetic container
    /// metrics (CPU, memory, network, restarts, pod phase), reachable through the
    /// API server's proxy of the Service named `prometheus` (cee-cee/prometheus in
    /// the smf scenario; monitoring/prometheus is added when there is none).
    #[arg(long)]
    prometheus: bool,

    /// Forward a Service's proxy (/api/v1/namespaces/NS/services/NAME[:PORT]/proxy/...)
    /// to a real HTTP server; other Services answer 503 "no endpoints available".
    /// Repeatable.
    #[arg(long = "service-upstream", value_name = "NS/NAME=URL", value_parser = parse_upstream)]
    service_upstreams: Vec<ServiceUpstream>,

    /// Write the synthetic metric history (OpenMetrics text, as
    /// `promtool tsdb create-blocks-from openmetrics` reads it) to FILE at start.
    #[arg(long, value_name = "FILE")]
    metrics_history: Option<PathBuf>,

    /// How far back --metrics-history goes, ending at the start.
    #[arg(long, value_name = "DURATION", default_value = "3h", value_parser = parse_duration, requires = "metrics_history")]
    metrics_span: Duration,

    /// A command to run with KUBECONFIG set to the simulator; the simulator
    /// stops when it exits and kubetac exits with its status.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    kubesim::fault::parse_duration(s)
        .ok_or_else(|| format!("{s:?} is not a duration like 10s, 5m or 1h30m"))
}

/// Each simulated node runs the real node agent over its directory.
fn agent_factory() -> kubesim::sim::AgentFactory {
    std::sync::Arc::new(|node: &str, root: &std::path::Path| {
        crate::agent::server::app(crate::agent::server::AgentConfig {
            root: root.to_path_buf(),
            node_name: node.to_string(),
        })
    })
}

/// The simulator `kubetac demo` runs: the guide's cluster with the real node
/// agent, its nodes and kubeconfig under `<dir>/sim`, and Prometheus when
/// asked (see `--prometheus`).
pub fn config_for_demo(dir: &std::path::Path, prometheus: bool) -> SimConfig {
    SimConfig {
        state_dir: Some(dir.join("sim")),
        agent: Some(agent_factory()),
        prometheus,
        ..SimConfig::default()
    }
}

fn parse_upstream(s: &str) -> Result<ServiceUpstream, String> {
    s.parse()
}

fn parse_size(s: &str) -> Result<u64, String> {
    let (num, mult) = [
        ("Ki", 1u64 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("K", 1000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
    ]
    .iter()
    .find_map(|(suf, m)| s.strip_suffix(suf).map(|n| (n, *m)))
    .unwrap_or((s, 1));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 64Ki or 10Mi"))?;
    if n * mult < 1024 {
        return Err(format!("{s:?} is too small: at least 1Ki"));
    }
    Ok(n * mult)
}

pub fn run(a: SimArgs) -> anyhow::Result<ExitCode> {
    let faults =
        Faults::parse_all(a.faults.iter().map(String::as_str)).map_err(anyhow::Error::msg)?;
    let scenario = match (a.nodes, a.pods) {
        (Some(nodes), Some(pods)) => {
            if nodes == 0 || pods == 0 {
                bail!("--nodes and --pods must be at least 1");
            }
            Scenario::Scale { nodes, pods }
        }
        _ if a.scenario == "smf" => Scenario::Smf,
        _ => {
            let p = PathBuf::from(&a.scenario);
            if !p.is_file() {
                bail!(
                    "scenario {:?} is neither `smf` nor a readable file",
                    a.scenario
                );
            }
            Scenario::File(p)
        }
    };
    let log_interval = match a.log_rate {
        None => None,
        Some(r) if r > 0.0 && r <= 10_000.0 => Some(Duration::from_secs_f64(1.0 / r)),
        Some(r) => bail!("--log-rate {r}: must be above 0 and at most 10000 lines per second"),
    };
    let cfg = SimConfig {
        scenario,
        addr: a.addr,
        state_dir: a.state_dir,
        kubeconfig_out: a.kubeconfig_out,
        faults,
        log_interval,
        crash_period: a.crash_period,
        log_max_size: a.log_max_size,
        log_max_files: a.log_max_files as usize,
        bookmark_interval: a.bookmark_interval,
        agent: Some(agent_factory()),
        service_upstreams: a.service_upstreams,
        prometheus: a.prometheus,
    };
    let history = a.metrics_history.map(|f| (f, a.metrics_span));
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(serve(cfg, a.command, history))
}

async fn serve(
    cfg: SimConfig,
    command: Vec<String>,
    history: Option<(PathBuf, Duration)>,
) -> anyhow::Result<ExitCode> {
    let sim = Sim::start(cfg)
        .await
        .context("starting the simulated cluster")?;
    if let Some((file, span)) = history {
        let to = jiff::Timestamp::now();
        let from = to - jiff::SignedDuration::try_from(span).context("--metrics-span")?;
        let out =
            std::fs::File::create(&file).with_context(|| format!("creating {}", file.display()))?;
        sim.write_metrics_history(from, to, kubesim::metrics::DEFAULT_STEP, out)
            .with_context(|| format!("writing the metric history to {}", file.display()))?;
        eprintln!("kubesim: metric history written to {}", file.display());
    }
    if let (Some(url), Some((ns, name))) = (sim.prometheus_url(), sim.prometheus_service()) {
        eprintln!(
            "kubesim: prometheus serving {url}, through the API at {}/api/v1/namespaces/{ns}/services/{name}/proxy/",
            sim.url()
        );
    }
    let kc = sim.kubeconfig_path.display().to_string();
    if command.is_empty() {
        println!(
            "kubesim: cluster \"{}\" ({} nodes, {} pods) serving {}",
            sim.cluster,
            sim.node_count(),
            sim.pod_count(),
            sim.url()
        );
        println!("kubesim: kubeconfig written to {kc}");
        println!(
            "kubesim: node directories under {}",
            sim.state_dir.join("nodes").display()
        );
        println!("  export KUBECONFIG={kc}");
        println!("  kubectl get pods -n smf-data");
        println!("kubesim: Ctrl-C stops");
        wait_for_signal().await;
        eprintln!("kubesim: stopping");
        sim.stop().await;
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "kubesim: cluster \"{}\" serving {} (KUBECONFIG={kc})",
        sim.cluster,
        sim.url()
    );
    // `kubetac sim -- kubetac triage -A` runs this very binary, so the
    // quick start works before kubetac is on PATH.
    let program = if command[0] == "kubetac" {
        std::env::current_exe().unwrap_or_else(|_| command[0].clone().into())
    } else {
        command[0].clone().into()
    };
    let mut child = tokio::process::Command::new(&program)
        .args(&command[1..])
        .env("KUBECONFIG", &kc)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("running {:?}", command[0]));
    let code = match child.as_mut() {
        Ok(c) => {
            tokio::select! {
                st = c.wait() => {
                    let st = st.context("waiting for the command")?;
                    st.code().map(|c| c.clamp(0, 255) as u8).unwrap_or(1)
                }
                _ = wait_for_signal() => 130,
            }
        }
        Err(_) => 127,
    };
    sim.stop().await;
    child?;
    Ok(ExitCode::from(code))
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("64Ki"), Ok(65536));
        assert_eq!(parse_size("10Mi"), Ok(10 << 20));
        assert!(parse_size("10").is_err());
        assert!(parse_size("big").is_err());
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn service_upstreams() {
        let u = parse_upstream("cee-cee/prometheus=http://127.0.0.1:9090").unwrap();
        assert_eq!(
            (u.namespace.as_str(), u.name.as_str(), u.url.as_str()),
            ("cee-cee", "prometheus", "http://127.0.0.1:9090")
        );
        for bad in [
            "prometheus=http://127.0.0.1:9090",
            "cee-cee/prometheus",
            "/prometheus=http://127.0.0.1:9090",
            "cee-cee/prometheus=https://127.0.0.1:9090",
            "cee-cee/prometheus=127.0.0.1:9090",
        ] {
            assert!(parse_upstream(bad).is_err(), "{bad}");
        }
    }
}
