//! `kubetac agent`: the node agent, run as a DaemonSet with the node's
//! `/var/lib/systemd/coredump` and `/var/log` mounted read-only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::agent::server::{AgentConfig, app};

#[derive(Debug, Args)]
#[command(after_help = "It is reached only through the API server's pod proxy
(/api/v1/namespaces/kubetac/pods/<agent-pod>:9123/proxy/v1/cores); see deploy/agent/.")]
pub struct AgentArgs {
    /// The host's root as mounted in the agent's container (the node's files are read below it).
    #[arg(long, default_value = "/host")]
    root: PathBuf,
    /// Address to listen on (the pod network).
    #[arg(long, default_value = "0.0.0.0:9123")]
    addr: SocketAddr,
    /// The node's name (the DaemonSet passes spec.nodeName).
    #[arg(long, env = "NODE_NAME", default_value = "")]
    node_name: String,
}

pub fn run(a: AgentArgs) -> anyhow::Result<ExitCode> {
    if !a.root.is_dir() {
        anyhow::bail!(
            "--root {}: not a directory (mount the host's /var/log and /var/lib/systemd/coredump under it)",
            a.root.display()
        );
    }
    let node_name = if a.node_name.is_empty() {
        std::fs::read_to_string(a.root.join("etc/hostname"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    } else {
        a.node_name.clone()
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .with_context(|| format!("listening on {}", a.addr))?;
        eprintln!(
            "kubetac agent: node {node_name:?}, root {}, listening on {}",
            a.root.display(),
            listener.local_addr()?
        );
        let app = app(AgentConfig {
            root: a.root.clone(),
            node_name,
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")?;
        Ok(ExitCode::SUCCESS)
    })
}
