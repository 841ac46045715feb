//! The command line, defined in one place: `--help`, the man page and the
//! shell completions are all generated from these clap definitions.

mod agent;
mod clusterlogs;
mod debugpkg;
pub mod inspect;
pub mod nodes;
mod opscenter;
mod sim;
mod user;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Pod troubleshooting for Kubernetes: inspect and triage pods, tail many pods
/// at once, and cut time-windowed debug packages.
#[derive(Debug, Parser)]
#[command(name = "kubetac", version, about, long_about = None, propagate_version = true)]
pub struct Args {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG also works.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List namespaces (NAME STATUS AGE).
    #[command(visible_alias = "namespaces")]
    Ns(inspect::NsArgs),
    /// List services (NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE).
    #[command(visible_alias = "services")]
    Svc(inspect::ListArgs),
    /// List pods with READY, STATUS and RESTARTS exactly as kubectl computes them.
    Pods(inspect::PodsArgs),
    /// Show everything about a pod: labels, node, containers with state and last termination, probes, volumes, conditions, events.
    Describe(inspect::DescribeArgs),
    /// List a pod's containers (init and ephemeral ones marked).
    Containers(inspect::PodRefArgs),
    /// Print a container's log (current or previous instance).
    Logs(Box<inspect::LogsArgs>),
    /// Show the Grafana and package-server URLs found in Ingresses.
    Urls(inspect::UrlsArgs),
    /// Say in one line why each unhealthy pod is unhealthy, and which command shows more.
    Triage(inspect::TriageArgs),
    /// Commands over many pods at once: `cluster logs REGEX` follows the
    /// logs of every matching pod and container.
    Cluster {
        #[command(subcommand)]
        command: clusterlogs::ClusterCommand,
    },
    /// Debug packages: gather cores, logs, metrics, stats and config for a
    /// time window (`create`), follow it (`status`), `list` and `delete` them.
    #[command(name = "tac-debug-pkg")]
    TacDebugPkg(Box<debugpkg::DebugPkgArgs>),
    /// Run the ops center: the SSH CLI (port 2024) and the HTTPS package server (8443).
    Serve(Box<opscenter::ServeArgs>),
    /// The ops center's CLI on this terminal (TAB, `?`, pipes, config mode).
    Shell(Box<opscenter::ShellArgs>),
    /// Start the simulated cluster and the ops center on loopback, make a first package, and serve until Ctrl-C.
    Demo(Box<opscenter::DemoArgs>),
    /// Manage the ops center's users (who may log in over SSH and HTTPS).
    User(Box<user::UserArgs>),
    /// Run the built-in simulated cluster (kubesim): a Kubernetes API server
    /// and kubelets on loopback that kubectl and kubetac can use.
    Sim(Box<sim::SimArgs>),
    /// List the core dumps on every node with the pod and container each most likely came from; `cores get` downloads one.
    Cores(Box<nodes::CoresArgs>),
    /// List or read a node's /var/log files (through the kubelet, or the kubetac agent).
    NodeLogs(Box<nodes::NodeLogsArgs>),
    /// Run the node agent (in a DaemonSet; see deploy/agent/).
    Agent(Box<agent::AgentArgs>),
    /// Print shell completions for bash, zsh, fish, elvish or powershell.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    Man,
}

pub fn parse() -> Args {
    Args::parse()
}

pub fn init_tracing(args: &Args) {
    use tracing_subscriber::EnvFilter;
    let default = match args.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{default},kube_client={}",
            if args.verbose > 0 { default } else { "off" }
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Ns(a) => inspect::ns(a),
        Command::Svc(a) => inspect::svc(a),
        Command::Pods(a) => inspect::pods(a),
        Command::Describe(a) => inspect::describe(a),
        Command::Containers(a) => inspect::containers(a),
        Command::Logs(a) => inspect::logs(*a),
        Command::Urls(a) => inspect::urls(a),
        Command::Triage(a) => inspect::triage(a),
        Command::Cluster { command } => clusterlogs::run(command),
        Command::TacDebugPkg(a) => debugpkg::run(*a),
        Command::Serve(a) => opscenter::serve(*a),
        Command::Shell(a) => opscenter::shell(*a),
        Command::Demo(a) => opscenter::demo(*a),
        Command::User(a) => user::run(*a),
        Command::Sim(a) => sim::run(*a),
        Command::Cores(a) => nodes::cores(*a),
        Command::NodeLogs(a) => nodes::node_logs(*a),
        Command::Agent(a) => agent::run(*a),
        Command::Completions { shell } => {
            let mut cmd = Args::command();
            clap_complete::generate(shell, &mut cmd, "kubetac", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Args::command());
            man.render(&mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Args::command().debug_assert();
    }
}
