//! `kubetac cluster ...`: commands over many pods at once. `cluster logs`
//! is the guide's step 5.4 (`cluster logs ^smf- -n smf-data`); its flags
//! follow stern's and kubectl's spelling.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use super::inspect::{ClusterArgs, NamespaceArgs, parse_since, parse_time};
use crate::cluster::{AccessError, Cluster, Target};
use crate::inspect::Scope;
use crate::logs::{self, filter};

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Follow the logs of every pod and container matching a regex, merged,
    /// each line prefixed by its pod; new and restarted pods are picked up,
    /// broken streams resumed without losing or repeating a line.
    Logs(Box<ClusterLogsArgs>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogsOutput {
    /// `[pod] line`, or `[pod container] line` for pods with several containers.
    Text,
    /// One JSON object a line: namespace, pod, container, node, timestamp, message.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and NO_COLOR is unset.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples (the guide's step 5.4):
  kubetac cluster logs ^smf- -n smf-data                       # every SMF pod
  kubetac cluster logs smf-nodemgr -n smf-data                 # a container name
  kubetac cluster logs \"(smf-service.|smf-rest.)\" -n smf-data  # several pods
  kubetac cluster logs . -A -l app=smf --since 5m --include ERROR
  kubetac cluster logs smf-service -n smf-data --previous --no-follow -o json

Lines go to stdout; `+ pod/container` and `- pod/container` on stderr say
which containers are followed. Ctrl-C stops.")]
pub struct ClusterLogsArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Regular expression matched against pod names and container names.
    #[arg(value_name = "REGEX")]
    pub regex: String,
    #[command(flatten)]
    pub ns: NamespaceArgs,
    /// Label selector (`app=smf-service,tier!=edge`), applied by the server.
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
    /// Mark what matches in each line (repeatable; on a colour terminal).
    #[arg(long, value_name = "RE")]
    pub highlight: Vec<String>,
    /// Only lines newer than this (5s, 2m, 1h).
    #[arg(long, value_name = "DURATION", conflicts_with = "since_time", value_parser = parse_since)]
    pub since: Option<Duration>,
    /// Only lines at or after this time (RFC 3339, or 2020-06-08_14:00:00 UTC).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since_time: Option<jiff::Timestamp>,
    /// Start with the last N lines of each container (later instances and
    /// new pods are printed whole).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..))]
    pub tail: Option<i64>,
    /// Print each line's timestamp (RFC 3339, as the runtime wrote it).
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

pub fn run(cmd: ClusterCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ClusterCommand::Logs(a) => logs_cmd(*a),
    }
}

/// Turns the flags into the engine's options; every bad regex is reported
/// with its flag before anything is asked of the cluster.
fn options(a: &ClusterLogsArgs) -> Result<logs::Options, String> {
    let many = |flag: &str, v: &[String]| -> Result<Vec<regex::Regex>, String> {
        v.iter().map(|r| filter::compile(flag, r)).collect()
    };
    let targets = logs::TargetFilter {
        query: filter::compile("REGEX", &a.regex)?,
        container: a
            .container
            .as_deref()
            .map(|c| filter::compile("--container", c))
            .transpose()?,
        exclude_pod: many("--exclude-pod", &a.exclude_pod)?,
        exclude_container: many("--exclude-container", &a.exclude_container)?,
    };
    many("--include", &a.include)?;
    many("--exclude", &a.exclude)?;
    many("--highlight", &a.highlight)?;
    let lines = logs::LineFilter::new(&a.include, &a.exclude)?;
    let colour = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => crate::inspect::table::colour_enabled(),
    };
    let style = match a.output {
        LogsOutput::Json => logs::Style::Json,
        LogsOutput::Text => logs::Style::Text {
            colour,
            timestamps: a.timestamps,
            highlight: filter::any_of(&a.highlight)?,
        },
    };
    let since = match (a.since, a.since_time) {
        (Some(d), _) => {
            let d = jiff::SignedDuration::try_from(d).map_err(|e| format!("--since: {e}"))?;
            Some(
                jiff::Timestamp::now()
                    .checked_sub(d)
                    .map_err(|e| format!("--since: {e}"))?,
            )
        }
        (None, t) => t,
    };
    Ok(logs::Options {
        targets,
        lines,
        selector: a.selector.clone(),
        since,
        tail: a.tail,
        previous: a.previous,
        follow: !a.no_follow,
        style,
        all_namespaces: a.ns.all_namespaces,
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn interrupted() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// `-n`/`-A`, checked; a busy server (429, 5xx) is asked again a few times
/// rather than failing the whole run on its first answer.
async fn resolve_scope(cl: &Cluster, ns: &NamespaceArgs) -> Result<Scope, AccessError> {
    let mut wait = Duration::from_millis(200);
    for _ in 1..5 {
        match Scope::resolve(cl, ns).await {
            Err(
                AccessError::Api {
                    code: 429 | 500.., ..
                }
                | AccessError::Timeout { .. }
                | AccessError::Unreachable { .. },
            ) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            other => return other,
        }
    }
    Scope::resolve(cl, ns).await
}

/// HTTP/2 connections the log streams are spread over. One would do for a
/// real API server (it allows 1000 streams per connection), but a server may
/// allow as few as 100, and a stream that waits for a free slot never
/// starts; eight keep every connection far below that with 500 pods.
const STREAM_CONNECTIONS: usize = 8;

/// The clients the engine uses: the first also for pods, all for log streams.
///
/// kube-rs's own client speaks HTTP/1.1 only — one TCP and TLS connection per
/// followed container, each line its own segment, read and acknowledged —
/// and retries 429, 503 and 504 inside itself, up to 15 times with its own
/// back-off (minutes in all), so a throttling server goes unnoticed and the
/// engine's pacing is bypassed. These clients multiplex the streams over a
/// few HTTP/2 connections (several lines per read) and leave retrying to the
/// engine, which says when the server throttles. They are built from the
/// kubeconfig and context that `Cluster::connect` has just checked (which
/// keeps its clear errors); if that fails for any reason, or the kubeconfig
/// names a TLS server name, the checked client is used as it is.
async fn stream_clients(cl: &Cluster, target: &Target) -> Vec<kube::Client> {
    use kube::config::{KubeConfigOptions, Kubeconfig};
    let opts = KubeConfigOptions {
        context: target.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = match &target.kubeconfig {
        Some(path) => match Kubeconfig::read_from(path) {
            Ok(kc) => kube::Config::from_custom_kubeconfig(kc, &opts).await.ok(),
            Err(_) => None,
        },
        None => match kube::Config::from_kubeconfig(&opts).await {
            Ok(c) => Some(c),
            Err(_) if target.context.is_none() => kube::Config::incluster().ok(),
            Err(_) => None,
        },
    };
    let built = config
        .filter(|c| c.tls_server_name.is_none() && c.proxy_url.is_none())
        .map(|c| {
            (0..STREAM_CONNECTIONS)
                .map(|_| http2_client(&c))
                .collect::<Result<Vec<_>, _>>()
        });
    match built {
        Some(Ok(clients)) => clients,
        Some(Err(e)) => {
            tracing::info!("using the plain client for log streams: {e}");
            vec![cl.client.clone()]
        }
        None => vec![cl.client.clone()],
    }
}

/// A client of its own (its own connection pool) that offers HTTP/2, with
/// kube-rs's authentication and base-URI layers and no retry layer.
fn http2_client(config: &kube::Config) -> Result<kube::Client, kube::Error> {
    use kube::client::ConfigExt;
    let tls = config.rustls_client_config()?;
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(5)));
    http.set_nodelay(true);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(http);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .timer(hyper_util::rt::TokioTimer::new())
        // Small windows per stream: a stream that is not read holds little.
        .http2_initial_stream_window_size(256 * 1024)
        .http2_initial_connection_window_size(4 * 1024 * 1024)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .http2_keep_alive_timeout(Duration::from_secs(20))
        .build::<_, kube::client::Body>(https);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(tower::BoxError::from)
        .service(client);
    Ok(kube::Client::new(service, config.default_namespace.clone()))
}

fn logs_cmd(a: ClusterLogsArgs) -> anyhow::Result<ExitCode> {
    let opts = options(&a).map_err(anyhow::Error::msg)?;
    // One thread does all the network work: it is plenty for thousands of
    // lines a second, and costs less CPU per line than several that hand
    // work to each other. The output is written by a thread of its own.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = rt.block_on(async {
        let target = a.cluster.target();
        let cl = Cluster::connect(&target).await?;
        let streams = stream_clients(&cl, &target).await;
        let cl = Cluster {
            client: streams[0].clone(),
            ..cl
        };
        let scope = resolve_scope(&cl, &a.ns).await?;
        let outputs = logs::Outputs {
            out: Box::new(std::io::stdout()),
            err: Box::new(std::io::stderr()),
        };
        logs::run(cl, streams, scope, opts, outputs, interrupted()).await?;
        anyhow::Ok(())
    });
    // Streams still open are dropped, not waited for.
    rt.shutdown_background();
    result.map(|()| ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(subcommand)]
        c: ClusterCommand,
    }

    fn parse(args: &[&str]) -> Result<ClusterLogsArgs, String> {
        let mut v = vec!["t", "logs"];
        v.extend_from_slice(args);
        match T::try_parse_from(v).map_err(|e| e.to_string())?.c {
            ClusterCommand::Logs(a) => Ok(*a),
        }
    }

    #[test]
    fn flags_as_the_guide_types_them() {
        let a = parse(&["^smf-", "-n", "smf-data"]).unwrap();
        assert_eq!(a.regex, "^smf-");
        assert_eq!(a.ns.namespace.as_deref(), Some("smf-data"));
        let o = options(&a).unwrap();
        assert!(o.follow && !o.previous && o.tail.is_none());
        let a = parse(&[
            "(smf-service.|smf-rest.)",
            "-A",
            "-c",
            "smf",
            "--exclude-pod",
            "x",
            "--exclude-pod",
            "y",
            "--since",
            "5m",
            "--tail",
            "0",
            "-o",
            "json",
            "--no-follow",
            "-p",
        ])
        .unwrap();
        let o = options(&a).unwrap();
        assert!(!o.follow && o.previous && o.all_namespaces);
        assert_eq!(o.targets.exclude_pod.len(), 2);
        assert_eq!(o.tail, Some(0));
        assert!(matches!(o.style, logs::Style::Json));
        let since = o.since.unwrap();
        let ago = jiff::Timestamp::now().duration_since(since).as_secs();
        assert!((299..=301).contains(&ago), "{ago}");
    }

    #[test]
    fn bad_flags_are_one_clear_line() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["smf-("],
                "REGEX \"smf-(\" is not a valid regular expression",
            ),
            (&["x", "--include", "[a"], "--include \"[a\" is not a valid"),
            (
                &["x", "--exclude-container", "("],
                "--exclude-container \"(\"",
            ),
        ];
        for (args, want) in cases {
            let e = options(&parse(args).unwrap()).unwrap_err();
            assert!(e.contains(want), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
        for bad in [
            &["x", "--tail", "-1"][..],
            &["x", "-n", "a", "-A"],
            &["x", "--since", "5m", "--since-time", "2020-06-08_14:00:00"],
            &["x", "-o", "yaml"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
