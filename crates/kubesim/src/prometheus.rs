//! A real Prometheus for the simulated cluster: its TSDB is backfilled with
//! the synthetic history of [`crate::metrics`] by `promtool`, and it serves
//! the PromQL API on loopback, behind the simulated API server's service
//! proxy. Debian's `prometheus` package provides both programs.
//!
//! No Prometheus outlives its simulator, however the simulator ends (stop,
//! drop, a panicking test, SIGKILL): it runs under a small `sh` guard that
//! stops it when the simulator's end of a pipe closes, which the kernel does
//! for a process that dies in any way.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// How long Prometheus may take to open its TSDB and answer `/-/ready`.
pub const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// Why Prometheus could not be prepared or started.
#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    #[error(
        "`{0}` is not on PATH: install Debian's prometheus package (apt-get install prometheus), which provides prometheus and promtool"
    )]
    NotInstalled(&'static str),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("promtool tsdb create-blocks-from openmetrics failed ({status}): {output}")]
    Promtool { status: String, output: String },
    #[error("prometheus exited before it was ready ({status}); its log {log}:\n{tail}")]
    Exited {
        status: String,
        log: String,
        tail: String,
    },
    #[error("prometheus did not answer /-/ready on {url} within {secs}s; its log {log}:\n{tail}")]
    NotReady {
        url: String,
        secs: u64,
        log: String,
        tail: String,
    },
}

/// Runs `$1 $2...` (Prometheus) and stops it when its stdin reaches EOF.
/// Background jobs of a non-interactive shell read /dev/null unless told
/// otherwise, hence fd 3. Prometheus gets SIGTERM first (it flushes quickly),
/// SIGKILL if it lingers 5 s; the guard exits with Prometheus's status, so an
/// early exit (a port taken) is seen, and leaves nothing behind.
const GUARD: &str = r#"exec 3<&0
"$@" </dev/null 3<&- &
pid=$!
(
  read -r _ <&3
  kill -TERM "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$pid" 2>/dev/null
) &
watch=$!
wait "$pid"
rc=$?
kill "$watch" 2>/dev/null
exit "$rc"
"#;

/// A program by name on PATH.
pub fn find_program(name: &'static str) -> Result<PathBuf, PrometheusError> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(PrometheusError::NotInstalled(name))
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PrometheusError {
    let path = path.display().to_string();
    move |source| PrometheusError::Io { what, path, source }
}

/// Turns an OpenMetrics file into TSDB blocks under `data_dir`.
pub async fn create_blocks(openmetrics: &Path, data_dir: &Path) -> Result<(), PrometheusError> {
    let promtool = find_program("promtool")?;
    std::fs::create_dir_all(data_dir).map_err(io_err("creating", data_dir))?;
    let out = tokio::process::Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics", "--quiet"])
        .arg(openmetrics)
        .arg(data_dir)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(io_err("running promtool on", openmetrics))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    Err(PrometheusError::Promtool {
        status: out.status.to_string(),
        output: tail(&text, 2000),
    })
}

fn tail(s: &str, max: usize) -> String {
    let s = s.trim_end();
    match s.char_indices().rev().nth(max) {
        Some((i, _)) => format!("...{}", &s[i..]),
        None => s.to_string(),
    }
}

/// A running Prometheus.
#[derive(Debug)]
pub struct Prometheus {
    child: tokio::process::Child,
    url: String,
    dir: PathBuf,
}

impl Prometheus {
    /// Writes the history with `history` into `<dir>/history.om`, backfills
    /// `<dir>/data` from it, starts Prometheus on a free loopback port and
    /// waits until it is ready.
    pub async fn start(
        dir: &Path,
        history: impl FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static,
    ) -> Result<Prometheus, PrometheusError> {
        let prometheus = find_program("prometheus")?;
        find_program("promtool")?;
        std::fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
        let om = dir.join("history.om");
        let data = dir.join("data");
        {
            let path = om.clone();
            tokio::task::spawn_blocking(move || {
                let mut f = std::fs::File::create(&path)?;
                history(&mut f)?;
                f.sync_all()
            })
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|r| r)
            .map_err(io_err("writing the metric history to", &om))?;
        }
        // Blocks of an earlier start would overlap the new ones.
        let _ = std::fs::remove_dir_all(&data);
        create_blocks(&om, &data).await?;
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            "# Written by kubesim: no scrapes, the TSDB holds a backfilled history.\nglobal:\n  scrape_interval: 15s\n",
        )
        .map_err(io_err("writing", &config))?;
        let log_path = dir.join("prometheus.log");
        // A free port can be taken between our probe and Prometheus's bind:
        // try again with another.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port().map_err(io_err("finding a free port for", dir))?;
            let log = std::fs::File::create(&log_path).map_err(io_err("creating", &log_path))?;
            let log2 = log.try_clone().map_err(io_err("opening", &log_path))?;
            let child = tokio::process::Command::new("sh")
                .args(["-c", GUARD, "prometheus-guard"])
                .arg(&prometheus)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                // Backfilled blocks are hours old; a short retention would
                // delete them at the first compaction.
                .arg("--storage.tsdb.retention.time=30d")
                .arg("--log.level=warn")
                .current_dir(dir)
                .stdin(Stdio::piped())
                .stdout(log)
                .stderr(log2)
                // Killing the guard would orphan Prometheus: dropping the
                // handle closes the guard's stdin instead.
                .kill_on_drop(false)
                .spawn()
                .map_err(io_err("starting", &prometheus))?;
            let mut p = Prometheus {
                child,
                url: format!("http://127.0.0.1:{port}"),
                dir: dir.to_path_buf(),
            };
            match p.wait_ready(&log_path).await {
                Ok(()) => return Ok(p),
                Err(PrometheusError::Exited { tail, .. })
                    if attempt < 3 && tail.contains("address already in use") =>
                {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn wait_ready(&mut self, log: &Path) -> Result<(), PrometheusError> {
        let client: Client<_, Empty<bytes::Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let ready: http::Uri = format!("{}/-/ready", self.url)
            .parse()
            .expect("a loopback URL parses");
        let started = Instant::now();
        let log_tail = || tail(&std::fs::read_to_string(log).unwrap_or_default(), 3000);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(PrometheusError::Exited {
                    status: status.to_string(),
                    log: log.display().to_string(),
                    tail: log_tail(),
                });
            }
            let probe = tokio::time::timeout(Duration::from_secs(2), client.get(ready.clone()));
            if let Ok(Ok(resp)) = probe.await
                && resp.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(PrometheusError::NotReady {
                    url: self.url.clone(),
                    secs: READY_TIMEOUT.as_secs(),
                    log: log.display().to_string(),
                    tail: log_tail(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the history, config, data and log are.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stops Prometheus and waits for it to exit.
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(l.local_addr()?.port())
}
