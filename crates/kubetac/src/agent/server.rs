//! The node agent's HTTP API (`kubetac agent`): node identity, the core
//! dumps of `/var/lib/systemd/coredump` with their metadata, the core files
//! themselves (with Range), and the files of `/var/log`. It is read-only by
//! construction — every handler opens files for reading under the host root
//! it was given and refuses any path that leaves it — and it is reached only
//! through the API server's pod proxy, so it opens no port to operators.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::coredump;

/// Where the agent looks: a host root (`/` in a DaemonSet with the host's
/// directories mounted, a simulated node's directory in kubesim).
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub root: PathBuf,
    pub node_name: String,
}

pub fn app(cfg: AgentConfig) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/node", get(node))
        .route("/v1/cores", get(cores))
        .route("/v1/cores/{file}", get(core_file))
        .route(
            "/v1/logs",
            get(|s: State<Arc<AgentConfig>>, h: HeaderMap| async move {
                log_path(s, UrlPath(String::new()), h).await
            }),
        )
        .route(
            "/v1/logs/",
            get(|s: State<Arc<AgentConfig>>, h: HeaderMap| async move {
                log_path(s, UrlPath(String::new()), h).await
            }),
        )
        .route("/v1/logs/{*path}", get(log_path))
        .with_state(Arc::new(cfg))
}

/// Errors as a Kubernetes `Status`, so clients going through the API
/// server's pod proxy (kube-rs, kubectl) read them like any API error.
fn error(code: StatusCode, msg: impl Into<String>) -> Response {
    let reason = match code {
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::RANGE_NOT_SATISFIABLE => "RequestedRangeNotSatisfiable",
        _ => "InternalError",
    };
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": msg.into(), "reason": reason, "code": code.as_u16()});
    (code, axum::Json(body)).into_response()
}

async fn node(State(cfg): State<Arc<AgentConfig>>) -> Response {
    let read = |p: &str| {
        std::fs::read_to_string(cfg.root.join(p))
            .ok()
            .map(|s| s.trim().to_string())
    };
    axum::Json(json!({
        "nodeName": cfg.node_name,
        "hostname": read("etc/hostname"),
        "machineId": read("etc/machine-id"),
        "bootId": read("proc/sys/kernel/random/boot_id"),
        "agentVersion": env!("CARGO_PKG_VERSION"),
        "coredumpDir": "/var/lib/systemd/coredump",
        "logDir": "/var/log",
    }))
    .into_response()
}

fn coredump_dir(cfg: &AgentConfig) -> PathBuf {
    cfg.root.join("var/lib/systemd/coredump")
}

async fn cores(State(cfg): State<Arc<AgentConfig>>) -> Response {
    let dir = coredump_dir(&cfg);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        // No directory: systemd-coredump is not in use on this node.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return axum::Json(json!({"node": cfg.node_name, "cores": [], "skipped": []}))
                .into_response();
        }
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("reading {}: {e}", dir.display()),
            );
        }
    };
    let mut list = Vec::new();
    let mut skipped = Vec::new();
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if !p.is_file() || name.ends_with(".tmp") || name.starts_with('.') {
            continue;
        }
        match coredump::read(&p) {
            Ok(c) => list.push(c),
            Err(why) => skipped.push(json!({"file": name, "reason": why.to_string()})),
        }
    }
    list.sort_by_key(|c| c.time_usec);
    axum::Json(json!({"node": cfg.node_name, "cores": list, "skipped": skipped})).into_response()
}

/// A path inside `base`, or None when it would leave it (`..`, absolute
/// parts, or a symlink pointing out of the host root).
fn inside(root: &Path, base: &Path, rel: &str) -> Option<PathBuf> {
    let mut p = base.to_path_buf();
    for seg in rel.split('/').filter(|s| !s.is_empty()) {
        let comp = Path::new(seg);
        if comp.components().count() != 1
            || !matches!(comp.components().next(), Some(Component::Normal(_)))
        {
            return None;
        }
        p.push(comp);
    }
    let canon = std::fs::canonicalize(&p).ok()?;
    let root = std::fs::canonicalize(root).ok()?;
    canon.starts_with(&root).then_some(p)
}

async fn core_file(
    State(cfg): State<Arc<AgentConfig>>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let dir = coredump_dir(&cfg);
    match inside(&cfg.root, &dir, &file).filter(|p| p.is_file()) {
        Some(p) => serve_file(&p, &headers).await,
        None => error(
            StatusCode::NOT_FOUND,
            format!("no core {file} on node {}", cfg.node_name),
        ),
    }
}

async fn log_path(
    State(cfg): State<Arc<AgentConfig>>,
    UrlPath(rel): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let base = cfg.root.join("var/log");
    let Some(p) = inside(&cfg.root, &base, &rel) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no /var/log/{rel} on node {}", cfg.node_name),
        );
    };
    if p.is_dir() {
        let mut entries = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&p) {
            for e in rd.flatten() {
                let md = std::fs::metadata(e.path()).ok();
                entries.push(json!({
                    "name": e.file_name().to_string_lossy(),
                    "dir": md.as_ref().is_some_and(|m| m.is_dir()),
                    "size": md.as_ref().map(|m| m.len()).unwrap_or(0),
                    "modified": md.and_then(|m| m.modified().ok()).and_then(|t| jiff::Timestamp::try_from(t).ok()).map(|t| t.to_string()),
                }));
            }
        }
        entries.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        return axum::Json(json!({"path": format!("/var/log/{rel}"), "entries": entries}))
            .into_response();
    }
    serve_file(&p, &headers).await
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` against a file of `len` bytes.
pub fn parse_range(h: &str, len: u64) -> Option<(u64, u64)> {
    let spec = h.strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            if n == 0 {
                return None;
            }
            (len.saturating_sub(n), len.checked_sub(1)?)
        }
        (s, "") => (s.parse().ok()?, len.checked_sub(1)?),
        (s, e) => (
            s.parse().ok()?,
            e.parse::<u64>().ok()?.min(len.checked_sub(1)?),
        ),
    };
    (start <= end && start < len).then_some((start, end))
}

async fn serve_file(p: &Path, headers: &HeaderMap) -> Response {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut f = match tokio::fs::File::open(p).await {
        Ok(f) => f,
        Err(e) => return error(StatusCode::NOT_FOUND, format!("{}: {e}", p.display())),
    };
    let len = match f.metadata().await {
        Ok(m) => m.len(),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, len.saturating_sub(1)),
        Some(r) => match parse_range(r, len) {
            Some((s, e)) => (StatusCode::PARTIAL_CONTENT, s, e),
            None => {
                let mut resp = error(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    format!("range {r} not satisfiable for {len} bytes"),
                );
                resp.headers_mut().insert(
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&format!("bytes */{len}"))
                        .unwrap_or(HeaderValue::from_static("bytes */0")),
                );
                return resp;
            }
        },
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    if let Err(e) = f.seek(std::io::SeekFrom::Start(start)).await {
        return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    }
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(f.take(count)));
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,4-5", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    async fn get(app: &Router, uri: &str, range: Option<&str>) -> (StatusCode, Vec<u8>) {
        let mut req = axum::http::Request::builder().uri(uri);
        if let Some(r) = range {
            req = req.header(header::RANGE, r);
        }
        let resp = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        (
            status,
            resp.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
    }

    #[tokio::test]
    async fn lists_and_serves_cores_and_logs_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("node");
        let cd = root.join("var/lib/systemd/coredump");
        std::fs::create_dir_all(&cd).unwrap();
        std::fs::create_dir_all(root.join("var/log/pods")).unwrap();
        std::fs::write(root.join("var/log/syslog"), "line1\nline2\n").unwrap();
        std::fs::write(dir.path().join("outside"), "secret").unwrap();
        let name = format!(
            "core.smf-service.303.{}.4242.1764386029000000.zst",
            "a".repeat(32)
        );
        std::fs::write(cd.join(&name), b"0123456789").unwrap();
        std::fs::write(cd.join("core.garbage"), b"x").unwrap();
        let app = app(AgentConfig {
            root: root.clone(),
            node_name: "worker2".into(),
        });

        let (s, body) = get(&app, "/v1/cores", None).await;
        assert_eq!(s, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["cores"][0]["comm"], "smf-service");
        assert_eq!(v["cores"][0]["size"], 10);
        assert_eq!(v["skipped"][0]["file"], "core.garbage");

        assert_eq!(
            get(&app, &format!("/v1/cores/{name}"), None).await,
            (StatusCode::OK, b"0123456789".to_vec())
        );
        assert_eq!(
            get(&app, &format!("/v1/cores/{name}"), Some("bytes=2-4")).await,
            (StatusCode::PARTIAL_CONTENT, b"234".to_vec())
        );
        assert_eq!(
            get(&app, &format!("/v1/cores/{name}"), Some("bytes=20-"))
                .await
                .0,
            StatusCode::RANGE_NOT_SATISFIABLE
        );
        assert_eq!(
            get(&app, "/v1/logs/syslog", None).await,
            (StatusCode::OK, b"line1\nline2\n".to_vec())
        );
        let (s, body) = get(&app, "/v1/logs/", None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(String::from_utf8_lossy(&body).contains("\"syslog\""));
        for bad in [
            "/v1/logs/../../../outside",
            "/v1/logs/%2e%2e/%2e%2e/%2e%2e/outside",
            "/v1/cores/..%2f..%2f..%2f..%2f..%2foutside",
        ] {
            let (s, body) = get(&app, bad, None).await;
            assert_ne!(s, StatusCode::OK, "{bad}");
            assert!(!String::from_utf8_lossy(&body).contains("secret"), "{bad}");
        }
        std::os::unix::fs::symlink(dir.path().join("outside"), root.join("var/log/link")).unwrap();
        assert_eq!(
            get(&app, "/v1/logs/link", None).await.0,
            StatusCode::NOT_FOUND
        );
    }
}
