//! A stand-in for kubetac's `cli` module: the commands the shell maps onto,
//! with the same names, flags, value names and checks (kubetac's own
//! definitions need the whole crate). Keep it in step with
//! crates/kubetac/src/cli/ when flags change there.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

pub mod inspect {
    /// As kubetac's `cli::inspect::parse_time`.
    pub fn parse_time(s: &str) -> Result<jiff::Timestamp, String> {
        if let Ok(t) = s.parse::<jiff::Timestamp>() {
            return Ok(t);
        }
        jiff::civil::DateTime::strptime("%Y-%m-%d_%H:%M:%S", s)
            .ok()
            .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
            .ok_or_else(|| format!("{s:?} is not a time: use RFC 3339 (2020-06-08T14:00:00Z) or 2020-06-08_14:00:00 (UTC)"))
    }

    /// Close to kubetac's `parse_since` (a number and s, m or h).
    pub fn parse_since(s: &str) -> Result<std::time::Duration, String> {
        let bad = || format!("{s:?} is not a duration like 30s, 5m or 1h");
        let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
        let n: u64 = n.parse().map_err(|_| bad())?;
        let secs = match unit {
            "s" => n,
            "m" => n.saturating_mul(60),
            "h" => n.saturating_mul(3600),
            _ => return Err(bad()),
        };
        if secs == 0 {
            return Err("must be more than 0".into());
        }
        Ok(std::time::Duration::from_secs(secs))
    }
}

use inspect::{parse_since, parse_time};

/// Pod troubleshooting for Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "kubetac", version, propagate_version = true)]
pub struct Args {
    /// More log output on stderr.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List namespaces (NAME STATUS AGE).
    #[command(visible_alias = "namespaces")]
    Ns(NsArgs),
    /// List services (NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE).
    #[command(visible_alias = "services")]
    Svc(ListArgs),
    /// List pods with READY, STATUS and RESTARTS exactly as kubectl computes them.
    Pods(PodsArgs),
    /// Show everything about a pod: labels, node, containers with state and last termination, probes, volumes, conditions, events.
    Describe(DescribeArgs),
    /// List a pod's containers (init and ephemeral ones marked).
    Containers(PodRefArgs),
    /// Print a container's log (current or previous instance).
    Logs(Box<LogsArgs>),
    /// Show the Grafana and package-server URLs found in Ingresses.
    Urls(UrlsArgs),
    /// Say in one line why each unhealthy pod is unhealthy, and which command shows more.
    Triage(TriageArgs),
    /// Commands over many pods at once: `cluster logs REGEX` follows the
    /// logs of every matching pod and container.
    Cluster {
        #[command(subcommand)]
        command: ClusterCommand,
    },
    /// Debug packages: gather cores, logs, metrics, stats and config for a
    /// time window (`create`), follow it (`status`), `list` and `delete` them.
    #[command(name = "tac-debug-pkg")]
    TacDebugPkg(Box<DebugPkgArgs>),
    /// List the core dumps on every node with the pod and container each most likely came from; `cores get` downloads one.
    Cores(Box<CoresArgs>),
    /// List or read a node's /var/log files (through the kubelet, or the kubetac agent).
    NodeLogs(Box<NodeLogsArgs>),
    /// Print the man page (roff) to stdout.
    Man,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct ClusterArgs {
    /// Path to the kubeconfig file.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct NamespaceArgs {
    /// The namespace (default: the context's namespace).
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// All namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Wide,
    Json,
    Yaml,
}

#[derive(Debug, ClapArgs)]
pub struct NsArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<Output>,
}

#[derive(Debug, ClapArgs)]
pub struct ListArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub ns: NamespaceArgs,
    /// Label selector (`app=smf-service,tier!=edge`).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Output format: wide adds columns; json and yaml print the objects.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<Output>,
}

#[derive(Debug, ClapArgs)]
pub struct PodsArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Only pods that are not Running with all containers ready.
    #[arg(long)]
    pub not_running: bool,
    /// With --not-running, drop pods that ran to completion (jobs).
    #[arg(long, requires = "not_running")]
    pub hide_completed: bool,
}

#[derive(Debug, ClapArgs)]
pub struct DescribeArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// What to describe (only `pod` for now).
    #[arg(value_parser = ["pod", "pods", "po"])]
    pub kind: String,
    /// The pod's name.
    pub name: String,
    /// The namespace (default: the context's namespace).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct PodRefArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The pod's name.
    pub pod: String,
    /// The namespace (default: the context's namespace).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct LogsArgs {
    #[command(flatten)]
    pub pod: PodRefArgs,
    /// The container (default: the pod's default container).
    #[arg(short = 'c', long, value_name = "NAME")]
    pub container: Option<String>,
    /// The previous, terminated instance of the container.
    #[arg(short = 'p', long)]
    pub previous: bool,
    /// Only lines newer than this (5s, 2m, 1h).
    #[arg(long, value_name = "DURATION", conflicts_with = "since_time", value_parser = parse_since)]
    pub since: Option<std::time::Duration>,
    /// Only lines at or after this time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since_time: Option<jiff::Timestamp>,
    /// Only the last N lines.
    #[arg(long, value_name = "N")]
    pub tail: Option<i64>,
    /// Prefix each line with its RFC 3339 timestamp.
    #[arg(long)]
    pub timestamps: bool,
    /// Keep streaming new lines.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// The container's whole history on its node.
    #[arg(long, conflicts_with_all = ["follow", "previous"])]
    pub history: bool,
}

#[derive(Debug, ClapArgs)]
pub struct UrlsArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Look only in this namespace (default: all namespaces).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriageOutput {
    Json,
}

#[derive(Debug, ClapArgs)]
pub struct TriageArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub ns: NamespaceArgs,
    /// Label selector.
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// One JSON document instead of lines.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<TriageOutput>,
    /// Exit with status 1 when any pod is unhealthy.
    #[arg(long)]
    pub fail_on_unhealthy: bool,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Follow the logs of every pod and container matching a regex.
    Logs(Box<ClusterLogsArgs>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogsOutput {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, ClapArgs)]
pub struct ClusterLogsArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Regular expression matched against pod names and container names.
    #[arg(value_name = "REGEX")]
    pub regex: String,
    #[command(flatten)]
    pub ns: NamespaceArgs,
    /// Label selector.
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Only containers whose name matches this regex.
    #[arg(short = 'c', long, value_name = "CONTAINER_REGEX")]
    pub container: Option<String>,
    /// Never follow pods whose name matches (repeatable).
    #[arg(long, value_name = "RE")]
    pub exclude_pod: Vec<String>,
    /// Never follow containers whose name matches (repeatable).
    #[arg(long, value_name = "RE")]
    pub exclude_container: Vec<String>,
    /// Only print lines matching (repeatable: any of them).
    #[arg(long, value_name = "RE")]
    pub include: Vec<String>,
    /// Do not print lines matching (repeatable).
    #[arg(long, value_name = "RE")]
    pub exclude: Vec<String>,
    /// Mark what matches in each line (repeatable).
    #[arg(long, value_name = "RE")]
    pub highlight: Vec<String>,
    /// Only lines newer than this (5s, 2m, 1h).
    #[arg(long, value_name = "DURATION", conflicts_with = "since_time", value_parser = parse_since)]
    pub since: Option<std::time::Duration>,
    /// Only lines at or after this time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since_time: Option<jiff::Timestamp>,
    /// Start with the last N lines of each container.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..))]
    pub tail: Option<i64>,
    /// Print each line's timestamp.
    #[arg(long)]
    pub timestamps: bool,
    /// Also print the previous instance of containers that restarted.
    #[arg(short = 'p', long)]
    pub previous: bool,
    /// Print what is there and exit instead of following.
    #[arg(long)]
    pub no_follow: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = LogsOutput::Text)]
    pub output: LogsOutput,
    /// Colour the pod prefixes and --highlight matches.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, ClapArgs)]
pub struct DebugPkgArgs {
    /// The package store (a plain directory of packages).
    #[arg(long, global = true, value_name = "DIR")]
    store: Option<PathBuf>,
    #[command(subcommand)]
    command: DebugPkgCommand,
}

#[derive(Debug, Subcommand)]
pub enum DebugPkgCommand {
    /// Gather cores, logs, metrics, stats and config for a time window into a package.
    Create(Box<CreateArgs>),
    /// Show the running create's gatherers (works from another terminal).
    Status,
    /// List the packages in the store.
    List {
        /// Output format.
        #[arg(short = 'o', long, value_enum)]
        output: Option<ListOutput>,
    },
    /// Delete a package: `delete tac-id ID` (the guide's form) or `delete ID`.
    Delete {
        /// `tac-id ID`, or the id alone.
        #[arg(required = true, num_args = 1..=2, value_name = "tac-id ID")]
        words: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListOutput {
    Json,
}

#[derive(Debug, ClapArgs)]
pub struct CreateArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// The guide's words.
    #[arg(value_name = "WORDS", trailing_var_arg = true)]
    words: Vec<String>,
    /// Start of the window.
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// End of the window (exclusive).
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Only these namespaces (repeat, or comma-separated).
    #[arg(
        short = 'n',
        long = "namespace",
        value_name = "NS",
        value_delimiter = ','
    )]
    namespaces: Vec<String>,
    /// Only pods whose name matches this regex.
    #[arg(long = "pod", value_name = "REGEX")]
    pod: Option<String>,
    /// Only these gatherers.
    #[arg(long, value_name = "GATHERERS", value_delimiter = ',')]
    only: Vec<String>,
    /// Write secrets-looking values as they are.
    #[arg(long)]
    no_redact: bool,
    /// Prometheus base URL.
    #[arg(long, value_name = "URL")]
    prometheus: Option<String>,
    /// A YAML list of metrics queries.
    #[arg(long, value_name = "FILE")]
    metrics_queries: Option<PathBuf>,
    /// Refuse to start below this free space.
    #[arg(long, value_name = "PERCENT", default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=100))]
    min_free_percent: u8,
}

#[derive(Debug, ClapArgs)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CoresArgs {
    #[command(subcommand)]
    get: Option<CoresCommand>,
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Only cores attributed to pods of this namespace.
    #[arg(short = 'n', long, value_name = "NS")]
    namespace: Option<String>,
    /// Only this node.
    #[arg(long, value_name = "NODE")]
    node: Option<String>,
    /// Only cores newer than this (30m, 2h).
    #[arg(long, value_name = "DURATION", conflicts_with = "since_time", value_parser = parse_since)]
    since: Option<std::time::Duration>,
    /// Only cores at or after this time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since_time: Option<jiff::Timestamp>,
    /// wide adds the signal, uid, reasons and file; json prints everything.
    #[arg(short = 'o', long, value_enum)]
    output: Option<CoresOutput>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoresOutput {
    Wide,
    Json,
}

#[derive(Debug, Subcommand)]
enum CoresCommand {
    /// Download one core file from a node.
    Get {
        #[command(flatten)]
        cluster: ClusterArgs,
        /// The node the core is on.
        node: String,
        /// The core's file name.
        file: String,
        /// Where to write it.
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, ClapArgs)]
pub struct NodeLogsArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// The node.
    node: String,
    /// A file or directory under /var/log (default: /var/log itself).
    file: Option<String>,
    /// Only lines newer than this.
    #[arg(long, value_name = "DURATION", conflicts_with = "since_time", value_parser = parse_since)]
    since: Option<std::time::Duration>,
    /// Only lines at or after this time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since_time: Option<jiff::Timestamp>,
}
