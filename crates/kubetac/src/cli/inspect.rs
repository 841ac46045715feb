//! The inspect and triage commands' flags, as kubectl spells them
//! (`--kubeconfig`, `--context`, `-n`, `-A`, `-l`, `-o`), and their dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::cluster::{Cluster, Target};
use crate::inspect;

/// Which cluster: kubectl's connection flags.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

impl ClusterArgs {
    pub fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }
}

/// Which namespaces: `-n` or `-A`.
#[derive(Debug, Clone, Args)]
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

#[derive(Debug, Args)]
pub struct NsArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<Output>,
}

#[derive(Debug, Args)]
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

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  kubetac pods -n smf-data
  kubetac pods -n smf-data --not-running     # the guide's `kubectl get pods | grep -v Running`, done right
  kubetac pods -A -o wide")]
pub struct PodsArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// Only pods that are not Running with all containers ready (keeps Completed ones unless --hide-completed).
    #[arg(long)]
    pub not_running: bool,
    /// With --not-running, drop pods that ran to completion (jobs).
    #[arg(long, requires = "not_running")]
    pub hide_completed: bool,
}

#[derive(Debug, Args)]
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

#[derive(Debug, Args)]
pub struct PodRefArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The pod's name.
    pub pod: String,
    /// The namespace (default: the context's namespace).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  kubetac logs smf-service-n0-0 -n smf-data
  kubetac logs smf-service-n0-0 -n smf-data --previous --tail 50
  kubetac logs smf-rest-ep-n0-0 -n smf-data --since 10m --timestamps -f")]
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
    /// Only lines at or after this time (RFC 3339, or the guide's 2020-06-08_14:00:00, UTC).
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
    /// The container's whole history on its node: rotated and gzipped files of the current and previous instances, merged in time order.
    #[arg(long, conflicts_with_all = ["follow", "previous"])]
    pub history: bool,
}

#[derive(Debug, Args)]
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

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  kubetac triage -n smf-data
  kubetac triage -A -o json
  kubetac triage -A --fail-on-unhealthy   # exit status 1 when something is unhealthy")]
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

pub fn parse_since(s: &str) -> Result<std::time::Duration, String> {
    let d = kubesim::fault::parse_duration(s)
        .ok_or_else(|| format!("{s:?} is not a duration like 30s, 5m or 1h"))?;
    if d.is_zero() {
        return Err("must be more than 0".into());
    }
    Ok(d)
}

/// RFC 3339, or the guide's `2020-06-08_14:00:00` (UTC).
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

async fn connect(c: &ClusterArgs) -> anyhow::Result<Cluster> {
    Ok(Cluster::connect(&c.target()).await?)
}

/// The runtime every cluster command runs on (two workers: the machines
/// operators use are small, and the work is waiting on the API server).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn ns(a: NsArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let cl = connect(&a.cluster).await?;
        inspect::list::namespaces(&cl, a.output).await?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn svc(a: ListArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let cl = connect(&a.cluster).await?;
        let scope = inspect::Scope::resolve(&cl, &a.ns).await?;
        inspect::list::services(&cl, &scope, a.selector.as_deref(), a.output).await?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn pods(a: PodsArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let cl = connect(&a.list.cluster).await?;
        let scope = inspect::Scope::resolve(&cl, &a.list.ns).await?;
        let filter = inspect::list::PodFilter {
            not_running: a.not_running,
            hide_completed: a.hide_completed,
        };
        inspect::list::pods(
            &cl,
            &scope,
            a.list.selector.as_deref(),
            a.list.output,
            filter,
        )
        .await?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn describe(a: DescribeArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let cl = connect(&a.cluster).await?;
        let ns = a
            .namespace
            .clone()
            .unwrap_or_else(|| cl.default_namespace.clone());
        inspect::describe::pod(&cl, &ns, &a.name).await?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn containers(a: PodRefArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let cl = connect(&a.cluster).await?;
        let ns = a
            .namespace
            .clone()
            .unwrap_or_else(|| cl.default_namespace.clone());
        inspect::describe::containers(&cl, &ns, &a.pod).await?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn logs(a: LogsArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let cl = connect(&a.pod.cluster).await?;
        let ns = a
            .pod
            .namespace
            .clone()
            .unwrap_or_else(|| cl.default_namespace.clone());
        if a.tail.is_some_and(|t| t < 0) {
            anyhow::bail!("--tail must be 0 or more");
        }
        let req = inspect::logs::LogRequest {
            namespace: ns,
            pod: a.pod.pod.clone(),
            container: a.container.clone(),
            previous: a.previous,
            since: a.since,
            since_time: a.since_time,
            tail: a.tail,
            timestamps: a.timestamps,
            follow: a.follow,
            history: a.history,
        };
        inspect::logs::run(&cl, &req).await?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn urls(a: UrlsArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let cl = connect(&a.cluster).await?;
        if let Some(ns) = &a.namespace {
            cl.check_namespace(ns).await?;
        }
        inspect::urls::run(&cl, a.namespace.as_deref()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn triage(a: TriageArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let cl = connect(&a.cluster).await?;
        let scope = inspect::Scope::resolve(&cl, &a.ns).await?;
        let report = inspect::triage::run(&cl, &scope, a.selector.as_deref()).await?;
        let mut out = std::io::stdout().lock();
        match a.output {
            Some(TriageOutput::Json) => inspect::triage::write_json(&report, &mut out)?,
            None => {
                inspect::triage::write_text(&report, &mut out, inspect::table::colour_enabled())?
            }
        }
        if a.fail_on_unhealthy && !report.unhealthy.is_empty() {
            return Ok(ExitCode::from(1));
        }
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_both_forms() {
        let a = parse_time("2020-06-08_14:00:00").unwrap();
        let b = parse_time("2020-06-08T14:00:00Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339"));
        assert!(parse_time("2020-13-08_14:00:00").is_err());
        assert!(parse_since("0s").is_err());
        assert_eq!(parse_since("5m").unwrap().as_secs(), 300);
    }
}
