//! `kubetac tac-debug-pkg create|status|list|delete`: the guide's words
//! work as they are (`create from 2020-06-08_14:00:00 to 2020-06-08_15:00:00
//! logs-filter { namespace smf-data pod_name smf-service } cores`), and so do
//! flags (`--from --to -n --pod --only`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;

use super::inspect::{ClusterArgs, runtime};
use crate::cluster::Cluster;
use crate::debugpkg::request::{Draft, Kind, parse_words, response_time};
use crate::debugpkg::store::{Store, default_root, human_bytes};
use crate::debugpkg::{self, GState, Progress, Settings, State};

#[derive(Debug, Args)]
pub struct DebugPkgArgs {
    /// The package store (a plain directory of packages).
    #[arg(long, global = true, env = "KUBETAC_STORE", value_name = "DIR")]
    store: Option<PathBuf>,

    #[command(subcommand)]
    command: DebugPkgCommand,
}

#[derive(Debug, Subcommand)]
pub enum DebugPkgCommand {
    /// Gather cores, logs, metrics, stats and config for a time window into a package.
    #[command(after_help = "Examples (times are UTC):
  kubetac tac-debug-pkg create from 2020-06-08_14:00:00 to 2020-06-08_15:00:00
  kubetac tac-debug-pkg create from 2020-06-08_14:00:00 to 2020-06-08_15:00:00 logs-filter { namespace smf-data pod_name smf-service }
  kubetac tac-debug-pkg create from 2021-02-24_12:30:00 to 2021-02-24_14:30:00 cores
  kubetac tac-debug-pkg create --from 2026-11-29T08:00:00Z --to 2026-11-29T09:00:00Z -n smf-data --only logs,stats

The package is written to <store>/<id>.partial/ and renamed to <store>/<id>/ when complete;
open web/index.html first. Secrets, env and config values named like passwords or tokens,
bearer tokens, credentials in URLs and private keys are redacted unless --no-redact.")]
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

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    cluster: ClusterArgs,

    /// The guide's words: `from T to T [logs-filter { namespace NS pod_name RE }] [cores] [logs] [metrics] [stats] [config]`.
    #[arg(value_name = "WORDS", trailing_var_arg = true)]
    words: Vec<String>,

    /// Start of the window (UTC `2020-06-08_14:00:00` or RFC 3339).
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

    /// Only these gatherers (comma-separated: cores,logs,metrics,stats,config).
    #[arg(long, value_name = "GATHERERS", value_delimiter = ',')]
    only: Vec<String>,

    /// Write secrets-looking values in logs and configuration as they are (Secret objects still keep keys only).
    #[arg(long)]
    no_redact: bool,

    /// Prometheus base URL (default: found through the API server's service proxy).
    #[arg(long, value_name = "URL")]
    prometheus: Option<String>,

    /// A YAML list of {name, query, type, help} replacing the default metrics queries (docs/debug-packages.md).
    #[arg(long, value_name = "FILE")]
    metrics_queries: Option<PathBuf>,

    /// Refuse to start when the store's filesystem has less free space than this.
    #[arg(long, value_name = "PERCENT", default_value_t = debugpkg::MIN_FREE_PERCENT, value_parser = clap::value_parser!(u8).range(0..=100))]
    min_free_percent: u8,
}

fn store(a: &DebugPkgArgs) -> anyhow::Result<Store> {
    let root = a.store.clone().unwrap_or_else(default_root);
    Ok(Store::open(&root)?)
}

pub fn run(a: DebugPkgArgs) -> anyhow::Result<ExitCode> {
    let st = store(&a)?;
    match a.command {
        DebugPkgCommand::Create(c) => create(&st, *c),
        DebugPkgCommand::Status => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "response : {}", response_time(Timestamp::now()))?;
            match st.active()? {
                Some(act) => {
                    writeln!(out, "Tac id: {}", act.id)?;
                    for (name, state) in act.gatherers {
                        writeln!(out, "Gather {name}: {state}")?;
                    }
                }
                None => writeln!(out, "No active tac debug session")?,
            }
            Ok(ExitCode::SUCCESS)
        }
        DebugPkgCommand::List { output } => {
            let entries = st.list()?;
            let mut out = std::io::stdout().lock();
            if output == Some(ListOutput::Json) {
                serde_json::to_writer_pretty(&mut out, &entries)?;
                writeln!(out)?;
                return Ok(ExitCode::SUCCESS);
            }
            if entries.is_empty() {
                writeln!(out, "No tac-debug packages in {}", st.root.display())?;
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<[String; 6]> = entries
                .iter()
                .map(|e| {
                    let (window, filter, gatherers) = match &e.request {
                        Some(r) => (
                            format!(
                                "{} .. {}",
                                debugpkg::request::guide_time(r.from),
                                debugpkg::request::guide_time(r.to)
                            ),
                            {
                                let mut f = Vec::new();
                                if !r.namespaces.is_empty() {
                                    f.push(format!("namespace {}", r.namespaces.join(",")));
                                }
                                if let Some(p) = &r.pod_name {
                                    f.push(format!("pod_name {p}"));
                                }
                                if f.is_empty() {
                                    "-".into()
                                } else {
                                    f.join(" ")
                                }
                            },
                            e.gatherers
                                .iter()
                                .map(|(k, s)| {
                                    if s == "completed" {
                                        k.clone()
                                    } else {
                                        format!("{k}({s})")
                                    }
                                })
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                        None => ("-".into(), "-".into(), "-".into()),
                    };
                    [
                        e.id.clone(),
                        e.state.as_str().into(),
                        window,
                        filter,
                        human_bytes(e.bytes),
                        gatherers,
                    ]
                })
                .collect();
            let head = ["ID", "STATE", "WINDOW (UTC)", "FILTER", "SIZE", "GATHERERS"];
            let mut widths = head.map(str::len);
            for r in &rows {
                for (i, c) in r.iter().enumerate() {
                    widths[i] = widths[i].max(c.chars().count());
                }
            }
            let line = |cells: Vec<&str>| {
                let mut s = String::new();
                for (i, c) in cells.iter().enumerate() {
                    if i + 1 == cells.len() {
                        s.push_str(c);
                    } else {
                        s.push_str(&format!("{c:<w$}   ", w = widths[i]));
                    }
                }
                s
            };
            writeln!(out, "{}", line(head.to_vec()))?;
            for r in &rows {
                writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        DebugPkgCommand::Delete { words } => {
            let id = match words.as_slice() {
                [w, id] if w == "tac-id" => id.clone(),
                [id] => id.clone(),
                _ => anyhow::bail!("usage: tac-debug-pkg delete tac-id ID"),
            };
            st.delete(&id)?;
            println!("response : {}", response_time(Timestamp::now()));
            println!("tac-debug pkg {id} deleted");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The words and flags together; a thing given both ways is an error.
fn draft(c: &CreateArgs) -> anyhow::Result<Draft> {
    let mut d = parse_words(&c.words).map_err(|e| {
        let word = c.words.get(e.at).map(String::as_str).unwrap_or("the end");
        // Everything after the first word is the guide's words, so a flag
        // typed at the end lands here.
        if word.starts_with('-') {
            return anyhow::anyhow!(
                "{word:?}: flags go before the words: `tac-debug-pkg create {word} ... from T to T ...`"
            );
        }
        anyhow::anyhow!("{e} (at {word:?} in `{}`)", c.words.join(" "))
    })?;
    let both = |what: &str| anyhow::anyhow!("{what} given both as a word and as a flag");
    if let Some(f) = &c.from {
        if d.from.is_some() {
            return Err(both("from"));
        }
        d.from = Some(f.clone());
    }
    if let Some(t) = &c.to {
        if d.to.is_some() {
            return Err(both("to"));
        }
        d.to = Some(t.clone());
    }
    for ns in &c.namespaces {
        if !d.namespaces.contains(ns) {
            d.namespaces.push(ns.clone());
        }
    }
    if let Some(p) = &c.pod {
        if d.pod_name.is_some() {
            return Err(both("pod_name"));
        }
        d.pod_name = Some(p.clone());
    }
    for g in &c.only {
        let k = Kind::from_word(g).ok_or_else(|| {
            anyhow::anyhow!(
                "--only {g:?}: the gatherers are cores, logs, metrics, stats and config"
            )
        })?;
        d.gatherers.insert(k);
    }
    Ok(d)
}

fn create(st: &Store, c: CreateArgs) -> anyhow::Result<ExitCode> {
    let req = draft(&c)?.validate(Timestamp::now(), !c.no_redact)?;
    let queries = match &c.metrics_queries {
        Some(p) => debugpkg::gather::metrics::load_queries(p)?,
        None => debugpkg::gather::metrics::default_queries(),
    };
    if let Some(w) = req.warning() {
        eprintln!("kubetac: warning: {w}");
    }
    let settings = Settings {
        store: st.root.clone(),
        min_free_percent: c.min_free_percent,
        prometheus: c.prometheus.clone(),
        metrics_queries: queries,
        host: debugpkg::hostname(),
    };
    let ui = Ui::new();
    let created = runtime()?.block_on(async {
        let cl = Cluster::connect(&c.cluster.target()).await?;
        debugpkg::create(cl, st, req, &settings, &|p| ui.show(p)).await
    });
    ui.finish();
    let created = created?;
    let m = &created.manifest;
    let total: u64 = m.files.iter().map(|f| f.bytes).sum();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "tac-debug pkg {} complete: {} ({} files, {})",
        created.id,
        created.path.display(),
        m.files.len() + 1,
        human_bytes(total)
    )?;
    writeln!(
        out,
        "Read first: {}",
        created.path.join("web/index.html").display()
    )?;
    let failed = m.gatherers.values().any(|g| g.state == "failed");
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Progress: bars on a terminal, one plain line per change otherwise (logs,
/// pipes, the SSH shell's non-interactive runs).
type Bars = (
    indicatif::MultiProgress,
    Mutex<Vec<(Kind, indicatif::ProgressBar)>>,
);

struct Ui {
    bars: Option<Bars>,
    last: Mutex<Vec<(Kind, String)>>,
}

impl Ui {
    fn new() -> Ui {
        let tty = std::io::stderr().is_terminal();
        Ui {
            bars: tty.then(|| (indicatif::MultiProgress::new(), Mutex::new(Vec::new()))),
            last: Mutex::new(Vec::new()),
        }
    }

    fn show(&self, p: Progress<'_>) {
        match p {
            Progress::Started { id, at } => {
                let line = format!("response : {} tac-debug pkg ID : {id}", response_time(at));
                // The id is the answer: on stdout, at once.
                println!("{line}");
                let _ = std::io::stdout().flush();
            }
            Progress::Gatherers(states) => match &self.bars {
                Some((mp, bars)) => {
                    let mut bars = bars.lock().unwrap();
                    for s in states {
                        let bar = match bars.iter().find(|(k, _)| *k == s.kind) {
                            Some((_, b)) => b.clone(),
                            None => {
                                let b = mp.add(indicatif::ProgressBar::new(0));
                                b.set_style(
                                    indicatif::ProgressStyle::with_template(
                                        "{spinner} Gather {prefix:8} {msg}",
                                    )
                                    .expect("static template"),
                                );
                                b.set_prefix(format!("{}:", s.kind.name()));
                                bars.push((s.kind, b.clone()));
                                b
                            }
                        };
                        bar.set_message(ui_line(s));
                        match s.state {
                            State::Pending | State::InProgress => bar.tick(),
                            _ => {
                                if !bar.is_finished() {
                                    bar.finish_with_message(ui_line(s));
                                }
                            }
                        }
                    }
                }
                None => {
                    let mut last = self.last.lock().unwrap();
                    for s in states {
                        let text = s.status_text();
                        let changed = match last.iter_mut().find(|(k, _)| *k == s.kind) {
                            Some((_, prev)) if *prev == text => false,
                            Some((_, prev)) => {
                                *prev = text.clone();
                                true
                            }
                            None => {
                                last.push((s.kind, text.clone()));
                                true
                            }
                        };
                        if changed && s.state != State::Pending {
                            let detail = match s.state {
                                State::Completed | State::CompletedWithErrors => {
                                    format!(" ({})", s.detail)
                                }
                                _ => String::new(),
                            };
                            eprintln!("Gather {}: {text}{detail}", s.kind.name());
                        }
                    }
                }
            },
            Progress::Finishing => {
                if self.bars.is_none() {
                    eprintln!("Writing the report and checksums");
                }
            }
        }
    }

    fn finish(&self) {
        if let Some((mp, bars)) = &self.bars {
            for (_, b) in bars.lock().unwrap().iter() {
                if !b.is_finished() {
                    b.finish();
                }
            }
            let _ = mp.clear();
        }
    }
}

fn ui_line(s: &GState) -> String {
    match s.state {
        State::InProgress => {
            let count = if s.total > 0 {
                format!("[{}/{}] ", s.done.min(s.total), s.total)
            } else {
                String::new()
            };
            format!("in progress {count}{}", s.progress)
        }
        State::Completed | State::CompletedWithErrors => {
            format!("{} ({})", s.status_text(), s.detail)
        }
        _ => s.status_text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_times_as_the_guide() {
        let t: Timestamp = "2020-06-09T00:22:17Z".parse().unwrap();
        assert_eq!(response_time(t), "Tue Jun 9 00:22:17 UTC 2020");
        let t: Timestamp = "2021-02-24T19:39:49Z".parse().unwrap();
        assert_eq!(response_time(t), "Wed Feb 24 19:39:49 UTC 2021");
    }

    #[test]
    fn words_and_flags_merge() {
        let c = CreateArgs {
            cluster: ClusterArgs {
                kubeconfig: None,
                context: None,
            },
            words: vec!["from".into(), "2020-06-08_14:00:00".into(), "cores".into()],
            from: None,
            to: Some("2020-06-08_15:00:00".into()),
            namespaces: vec!["smf-data".into()],
            pod: None,
            only: vec!["logs".into()],
            no_redact: false,
            prometheus: None,
            metrics_queries: None,
            min_free_percent: 20,
        };
        let d = draft(&c).unwrap();
        assert_eq!(d.to.as_deref(), Some("2020-06-08_15:00:00"));
        assert_eq!(d.gatherers.len(), 2);
        let c = CreateArgs {
            from: Some("x".into()),
            ..c
        };
        assert!(draft(&c).unwrap_err().to_string().contains("both"));
    }
}
