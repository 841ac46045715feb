//! The API server's node proxy to the kubelet: `/logs/` (the node's
//! `/var/log` as Go's http.FileServer shows it, and the node log query of
//! KEP-2258) and `/stats/summary` (the kubelet Summary API).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{ApiState, Params, status};
use crate::resources::{RESOURCES, index_of};

pub(super) async fn node_proxy(
    st: &Arc<ApiState>,
    node: &str,
    tail: &[&str],
    params: &Params,
) -> Response {
    let nodes = index_of("nodes");
    if st.store.get(nodes, "", node).is_none() {
        return status::not_found(&RESOURCES[nodes], node);
    }
    if st.faults.node_down(node) {
        let ip = st
            .store
            .get(nodes, "", node)
            .and_then(|o| {
                o.value()
                    .pointer("/status/addresses/0/address")
                    .and_then(|a| a.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_default();
        return status::status(
            503,
            "ServiceUnavailable",
            &format!(
                "error trying to reach service: dial tcp {ip}:10250: connect: no route to host"
            ),
            None,
        );
    }
    let Some(root) = st.kubelet.node_root(node) else {
        return status::status(
            503,
            "ServiceUnavailable",
            &format!("no kubelet is running on node {node}"),
            None,
        );
    };
    match tail {
        ["stats", "summary"] => {
            let v = st.kubelet.stats_summary(node);
            super::json(&v)
        }
        ["healthz"] => plain(StatusCode::OK, "ok".into()),
        ["logs", rest @ ..] => {
            if params.get("query").is_some() {
                return node_log_query(&root.join("var/log"), params);
            }
            serve_path(&root.join("var/log"), rest)
        }
        _ => plain(StatusCode::NOT_FOUND, "404 page not found\n".into()),
    }
}

fn plain(code: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Resolves a request path under `base`, refusing anything that would leave it.
fn safe_join(base: &Path, rest: &[&str]) -> Option<PathBuf> {
    let mut p = base.to_path_buf();
    for seg in rest.iter().filter(|s| !s.is_empty()) {
        let seg = percent_decode(seg);
        let comp = Path::new(&seg);
        if comp.components().count() != 1
            || !matches!(comp.components().next(), Some(Component::Normal(_)))
        {
            return None;
        }
        p.push(comp);
    }
    // Symlinks (var/log/containers) must still point inside the node.
    let canon = std::fs::canonicalize(&p).ok()?;
    let root = std::fs::canonicalize(base.parent()?.parent()?).ok()?;
    canon.starts_with(&root).then_some(p)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        // Bytes, not a str slice: `%` before a multi-byte character must
        // not split it.
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(b[i + 1]) * 16 + hex(b[i + 2]));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve_path(base: &Path, rest: &[&str]) -> Response {
    let Some(path) = safe_join(base, rest) else {
        return plain(StatusCode::NOT_FOUND, "404 page not found\n".into());
    };
    if path.is_dir() {
        let mut entries: Vec<(String, bool)> = match std::fs::read_dir(&path) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| {
                    let is_dir = e.path().is_dir();
                    (e.file_name().to_string_lossy().into_owned(), is_dir)
                })
                .collect(),
            Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        };
        entries.sort();
        // Go's http.FileServer directory listing.
        let mut html = String::from(
            "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n",
        );
        for (name, is_dir) in entries {
            let shown = if is_dir { format!("{name}/") } else { name };
            let esc = shown
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&#34;");
            html.push_str(&format!("<a href=\"{esc}\">{esc}</a>\n"));
        }
        html.push_str("</pre>\n");
        let mut r = Response::new(Body::from(html));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return r;
    }
    match std::fs::read(&path) {
        Ok(b) => {
            let ct = if path.extension().is_some_and(|e| e == "gz") {
                "application/gzip"
            } else {
                "text/plain; charset=utf-8"
            };
            let mut r = Response::new(Body::from(b));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            r
        }
        Err(_) => plain(StatusCode::NOT_FOUND, "404 page not found\n".into()),
    }
}

/// The node log query: `query` names a file under /var/log or a systemd unit
/// (read here from the node's syslog, where the simulated units write), with
/// `sinceTime`, `untilTime`, `pattern` and `tailLines`.
fn node_log_query(var_log: &Path, params: &Params) -> Response {
    let query = params.get("query").cloned().unwrap_or_default();
    let pattern = match params.get("pattern").filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match regex::Regex::new(p) {
            Ok(r) => Some(r),
            Err(e) => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    format!("pattern: invalid regex: {e}\n"),
                );
            }
        },
    };
    let parse_t = |k: &str| -> Result<Option<jiff::Timestamp>, Response> {
        match params.get(k).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s.parse::<jiff::Timestamp>().map(Some).map_err(|_| {
                plain(
                    StatusCode::BAD_REQUEST,
                    format!("{k}: invalid time {s:?}\n"),
                )
            }),
        }
    };
    let (since, until) = match (parse_t("sinceTime"), parse_t("untilTime")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let tail = params
        .get("tailLines")
        .and_then(|t| t.parse::<usize>().ok());
    let (path, unit) = if query.contains('/') || var_log.join(&query).is_file() {
        match safe_join(var_log, &query.split('/').collect::<Vec<_>>()) {
            Some(p) if p.is_file() => (p, None),
            _ => {
                return plain(
                    StatusCode::NOT_FOUND,
                    format!("file {query:?} not found under /var/log\n"),
                );
            }
        }
    } else {
        (var_log.join("syslog"), Some(query.clone()))
    };
    let text = match std::fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => return plain(StatusCode::NOT_FOUND, format!("{e}\n")),
    };
    let year = jiff::Zoned::now().year();
    let mut out: Vec<&str> = text
        .lines()
        .filter(|l| unit.as_ref().is_none_or(|u| l.contains(&format!(" {u}["))))
        .filter(|l| pattern.as_ref().is_none_or(|p| p.is_match(l)))
        .filter(|l| {
            if since.is_none() && until.is_none() {
                return true;
            }
            match crate::kubelet::syslog_time(l, year) {
                Some(t) => since.is_none_or(|s| t >= s) && until.is_none_or(|u| t <= u),
                None => true,
            }
        })
        .collect();
    if let Some(n) = tail {
        let skip = out.len().saturating_sub(n);
        out.drain(..skip);
    }
    let mut body = out.join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    plain(StatusCode::OK, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_var_log() {
        let dir = tempfile::tempdir().unwrap();
        let var_log = dir.path().join("node/var/log");
        std::fs::create_dir_all(var_log.join("pods")).unwrap();
        std::fs::write(var_log.join("syslog"), "x").unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        assert!(safe_join(&var_log, &["syslog"]).is_some());
        assert!(safe_join(&var_log, &["pods"]).is_some());
        assert!(safe_join(&var_log, &["..", "..", "..", "secret"]).is_none());
        assert!(safe_join(&var_log, &["%2e%2e", "secret"]).is_none());
        std::os::unix::fs::symlink(dir.path().join("secret"), var_log.join("link")).unwrap();
        assert!(safe_join(&var_log, &["link"]).is_none());
    }
}
