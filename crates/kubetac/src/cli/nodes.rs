//! `kubetac cores` and `kubetac node-logs`: flags and output.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use super::inspect::{ClusterArgs, parse_since, parse_time, runtime};
use crate::cluster::Cluster;
use crate::inspect::table::Table;
use crate::nodes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoresOutput {
    Wide,
    Json,
}

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  kubetac cores                              # every core on every node, with its pod
  kubetac cores -n smf-data --since 2h
  kubetac cores get worker2 core.smf-service.303.<boot>.<pid>.<usec>.zst -o /tmp/core.zst"
)]
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
    /// Only cores at or after this time (RFC 3339 or 2020-06-08_14:00:00, UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since_time: Option<jiff::Timestamp>,
    /// wide adds the signal, uid, reasons and file; json prints everything.
    #[arg(short = 'o', long, value_enum)]
    output: Option<CoresOutput>,
}

#[derive(Debug, Subcommand)]
enum CoresCommand {
    /// Download one core file from a node.
    Get {
        #[command(flatten)]
        cluster: ClusterArgs,
        /// The node the core is on.
        node: String,
        /// The core's file name, as `kubetac cores -o wide` shows it.
        file: String,
        /// Where to write it (default: the file name, in the current directory; `-` for stdout).
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  kubetac node-logs worker2                  # list /var/log
  kubetac node-logs worker2 syslog --since 30m
  kubetac node-logs worker2 pods/")]
pub struct NodeLogsArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// The node.
    node: String,
    /// A file or directory under /var/log (default: /var/log itself).
    file: Option<String>,
    /// Only lines newer than this (lines whose time can be read).
    #[arg(long, value_name = "DURATION", conflicts_with = "since_time", value_parser = parse_since)]
    since: Option<std::time::Duration>,
    /// Only lines at or after this time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since_time: Option<jiff::Timestamp>,
}

fn human_size(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b}B")
    } else {
        format!("{v:.1}{}", UNITS[u])
    }
}

pub fn cores(a: CoresArgs) -> anyhow::Result<ExitCode> {
    if let Some(CoresCommand::Get {
        cluster,
        node,
        file,
        output,
    }) = a.get
    {
        // Checked before anything is created: the name also names the
        // default output file.
        if file.contains('/') || file.starts_with('.') || file.is_empty() {
            anyhow::bail!("{file:?} is not a core file name (see `kubetac cores --node {node}`)");
        }
        return runtime()?.block_on(async move {
            let cl = Cluster::connect(&cluster.target()).await?;
            if output.as_deref() == Some(std::path::Path::new("-")) {
                let mut out = tokio::io::stdout();
                nodes::download_core(&cl, &node, &file, &mut out).await?;
            } else {
                let path = output.unwrap_or_else(|| PathBuf::from(&file));
                // Written beside the target and renamed: no half core left behind.
                let tmp = path.with_extension("partial");
                let mut f = tokio::fs::File::create(&tmp)
                    .await
                    .with_context(|| format!("creating {}", tmp.display()))?;
                let r = nodes::download_core(&cl, &node, &file, &mut f).await;
                match r {
                    Ok(n) => {
                        tokio::fs::rename(&tmp, &path)
                            .await
                            .with_context(|| format!("renaming to {}", path.display()))?;
                        eprintln!("{}: {} from {node}", path.display(), human_size(n));
                    }
                    Err(e) => {
                        let _ = tokio::fs::remove_file(&tmp).await;
                        return Err(e);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        });
    }
    runtime()?.block_on(async move {
        let cl = Cluster::connect(&a.cluster.target()).await?;
        if let Some(ns) = &a.namespace {
            cl.check_namespace(ns).await?;
        }
        let since = a.since_time.or_else(|| {
            a.since.map(|d| {
                jiff::Timestamp::now() - jiff::SignedDuration::try_from(d).unwrap_or_default()
            })
        });
        let q = nodes::CoreQuery {
            namespace: a.namespace.clone(),
            node: a.node.clone(),
            since,
        };
        let (rows, failed) = nodes::list_cores(&cl, &q).await?;
        for f in &failed {
            eprintln!("kubetac: warning: {f}");
        }
        let mut out = std::io::stdout().lock();
        if a.output == Some(CoresOutput::Json) {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"cores": rows, "unreachable": failed}),
            )?;
            writeln!(out)?;
            return Ok(ExitCode::SUCCESS);
        }
        if rows.is_empty() {
            eprintln!(
                "No core dumps found{}",
                if failed.is_empty() {
                    ""
                } else {
                    " on the nodes that answered"
                }
            );
            return Ok(if failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        let wide = a.output == Some(CoresOutput::Wide);
        let mut headers = vec![
            "NODE",
            "TIME",
            "PROCESS",
            "PID",
            "SIGNAL",
            "SIZE",
            "POD",
            "CONTAINER",
            "CONFIDENCE",
        ];
        if wide {
            headers.extend(["UID", "WHY", "FILE"]);
        }
        let mut t = Table::new(&headers);
        for r in &rows {
            let (pod, container, conf, why) = match &r.attribution {
                Some(at) => (
                    format!("{}/{}", at.namespace, at.pod),
                    at.container.clone(),
                    format!("{:?}", at.confidence).to_lowercase(),
                    at.reasons.join("; "),
                ),
                None => (
                    "<unattributed>".into(),
                    "-".into(),
                    "-".into(),
                    "no pod on this node matches".into(),
                ),
            };
            let sig = r
                .core
                .signal
                .map(|s| {
                    crate::inspect::triage::signal_name(s)
                        .map(str::to_string)
                        .unwrap_or_else(|| s.to_string())
                })
                .unwrap_or_else(|| "-".into());
            let mut row = vec![
                r.node.clone(),
                r.time.clone(),
                r.core.comm.clone(),
                r.core.pid.to_string(),
                sig,
                human_size(r.core.size),
                pod,
                container,
                conf,
            ];
            if wide {
                row.extend([r.core.uid.to_string(), why, r.core.file.clone()]);
            }
            t.row(row);
        }
        t.write_to(&mut out)?;
        Ok(if failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

/// The time at the start of a log line, when it has one we can read:
/// RFC 3339 (CRI files, kubelet JSON) or syslog's `Nov 29 03:15:59`.
pub fn line_time(l: &str, year: i16) -> Option<jiff::Timestamp> {
    if let Some(first) = l.split_whitespace().next()
        && let Ok(t) = first.parse::<jiff::Timestamp>()
    {
        return Some(t);
    }
    let stamp = l.get(..15)?;
    jiff::civil::DateTime::strptime("%Y %b %e %H:%M:%S", format!("{year} {stamp}"))
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

pub fn node_logs(a: NodeLogsArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async move {
        let cl = Cluster::connect(&a.cluster.target()).await?;
        let since = a.since_time.or_else(|| {
            a.since.map(|d| {
                jiff::Timestamp::now() - jiff::SignedDuration::try_from(d).unwrap_or_default()
            })
        });
        let log = nodes::node_log(&cl, &a.node, a.file.as_deref()).await?;
        let mut out = std::io::stdout().lock();
        match log {
            nodes::NodeLog::Listing(names) => {
                for n in names {
                    writeln!(out, "{n}")?;
                }
            }
            nodes::NodeLog::File(bytes) => {
                let bytes = if a.file.as_deref().is_some_and(|f| f.ends_with(".gz")) {
                    let mut s = Vec::new();
                    std::io::Read::read_to_end(
                        &mut flate2::read::GzDecoder::new(&bytes[..]),
                        &mut s,
                    )
                    .with_context(|| {
                        format!("decompressing {}", a.file.clone().unwrap_or_default())
                    })?;
                    s
                } else {
                    bytes
                };
                match since {
                    None => out.write_all(&bytes)?,
                    Some(s) => {
                        let year = jiff::Zoned::now().year();
                        for l in String::from_utf8_lossy(&bytes).lines() {
                            if line_time(l, year).is_none_or(|t| t >= s) {
                                writeln!(out, "{l}")?;
                            }
                        }
                    }
                }
            }
        }
        out.flush()?;
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times() {
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(262144), "256.0KiB");
        assert_eq!(
            line_time("2026-11-29T03:00:00Z stdout F x", 2026),
            Some("2026-11-29T03:00:00Z".parse().unwrap())
        );
        assert_eq!(
            line_time("Nov 29 03:15:59 worker2 kubelet[1]: x", 2026),
            Some("2026-11-29T03:15:59Z".parse().unwrap())
        );
        assert_eq!(line_time("no time", 2026), None);
    }
}
