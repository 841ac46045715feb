//! Mapping `/tac/...` URLs onto the store without ever leaving a complete
//! package, the HTML listings, and files with Range.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use crate::debugpkg::manifest::Manifest;
use crate::debugpkg::store::{dir_size, human_bytes, valid_id};

#[derive(Debug)]
pub(super) enum Resolved {
    /// `/tac/`: the package list.
    Root,
    /// A package directory or one below it; `url` is its canonical URL path.
    Dir {
        url: String,
        dir: PathBuf,
    },
    File {
        path: PathBuf,
        meta: Metadata,
    },
    /// `/tac/<id>.tar.gz`
    Archive {
        id: String,
        dir: PathBuf,
    },
    Redirect(String),
    NotFound,
    Bad(&'static str),
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

enum Segment {
    Ok(String),
    /// Exists maybe, but never served (dotfiles).
    Hidden,
    Bad(&'static str),
}

/// One path segment, percent-decoded on its own so that an encoded `/`
/// can never become a separator.
fn decode_segment(raw: &str) -> Segment {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex_digit),
                b.get(i + 2).copied().and_then(hex_digit),
            ) else {
                return Segment::Bad("bad percent-encoding in the path");
            };
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    let Ok(s) = String::from_utf8(out) else {
        return Segment::Bad("the path is not UTF-8");
    };
    if s == "." || s == ".." {
        return Segment::Bad("`.` and `..` are not allowed in paths");
    }
    if s.is_empty() || s.contains(['/', '\\']) || s.chars().any(char::is_control) {
        return Segment::Bad(
            "path segments may not be empty or hold `/`, `\\` or control characters",
        );
    }
    if s.starts_with('.') {
        return Segment::Hidden;
    }
    Segment::Ok(s)
}

/// Percent-encodes everything but unreserved characters, so a name can go
/// into a URL or an href as one relative segment (a `:` can never make it
/// look like a scheme).
pub(super) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Maps a request path (raw, as sent) onto the store. Only real
/// directories and regular files of complete packages come out; every
/// symlink is refused, wherever it points.
pub(super) fn resolve(store: &Path, raw: &str) -> Resolved {
    let Some(rest) = raw.strip_prefix("/tac") else {
        return Resolved::NotFound;
    };
    if rest.is_empty() {
        return Resolved::Redirect("/tac/".into());
    }
    let Some(rest) = rest.strip_prefix('/') else {
        return Resolved::NotFound;
    };
    if rest.is_empty() {
        return Resolved::Root;
    }
    let (rest, want_dir) = match rest.strip_suffix('/') {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let mut segs = Vec::new();
    for raw_seg in rest.split('/') {
        match decode_segment(raw_seg) {
            Segment::Ok(s) => segs.push(s),
            Segment::Hidden => return Resolved::NotFound,
            Segment::Bad(why) => return Resolved::Bad(why),
        }
    }
    let first = segs[0].as_str();
    if segs.len() == 1
        && !want_dir
        && let Some(id) = first.strip_suffix(".tar.gz")
        && valid_id(id)
    {
        let dir = store.join(id);
        return match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => Resolved::Archive {
                id: id.to_string(),
                dir,
            },
            _ => Resolved::NotFound,
        };
    }
    // `<id>.partial` and anything else that is not a package id ends here.
    if !valid_id(first) {
        return Resolved::NotFound;
    }
    let mut path = store.to_path_buf();
    let mut meta = None;
    for s in &segs {
        if meta.as_ref().is_some_and(|m: &Metadata| !m.is_dir()) {
            return Resolved::NotFound;
        }
        path.push(s);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() || m.is_file() => meta = Some(m),
            _ => return Resolved::NotFound,
        }
    }
    let Some(meta) = meta else {
        return Resolved::NotFound;
    };
    let url = format!(
        "/tac/{}/",
        segs.iter()
            .map(|s| encode_segment(s))
            .collect::<Vec<_>>()
            .join("/")
    );
    match (meta.is_dir(), want_dir) {
        (true, true) => Resolved::Dir { url, dir: path },
        (true, false) => Resolved::Redirect(url),
        (false, false) => Resolved::File { path, meta },
        (false, true) => Resolved::NotFound,
    }
}

fn html_page(title: &str, table: &str) -> String {
    let t = html_escape(title);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title>\n\
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.2em 1em;text-align:left}}td.n{{text-align:right}}</style>\n\
</head><body>\n<h1>{t}</h1>\n{table}</body></html>\n"
    )
}

fn listing_response(html: String, bytes: &AtomicU64) -> Response {
    bytes.fetch_add(html.len() as u64, Ordering::Relaxed);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}

fn modified(m: &Metadata) -> Option<jiff::Timestamp> {
    m.modified()
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
}

/// What a listing shows of one directory: real subdirectories and regular
/// files, not dotfiles, not symlinks, directories first.
pub(super) fn entries(dir: &Path) -> std::io::Result<Vec<(String, Metadata)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') || name.chars().any(char::is_control) {
            continue;
        }
        let Ok(m) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        if m.is_dir() || m.is_file() {
            out.push((name, m));
        }
    }
    out.sort_by(|a, b| b.1.is_dir().cmp(&a.1.is_dir()).then(a.0.cmp(&b.0)));
    Ok(out)
}

pub(super) async fn listing(url: &str, dir: &Path, bytes: &AtomicU64) -> Response {
    let d = dir.to_path_buf();
    let Ok(Ok(list)) = tokio::task::spawn_blocking(move || entries(&d)).await else {
        return super::plain(StatusCode::NOT_FOUND, "not found");
    };
    let mut t =
        String::from("<table>\n<tr><th>Name</th><th>Last modified (UTC)</th><th>Size</th></tr>\n");
    for (name, m) in &list {
        let (href, shown, size) = if m.is_dir() {
            (
                format!("{}/", encode_segment(name)),
                format!("{}/", html_escape(name)),
                "-".to_string(),
            )
        } else {
            (
                encode_segment(name),
                html_escape(name),
                human_bytes(m.len()),
            )
        };
        let when = modified(m)
            .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        t.push_str(&format!(
            "<tr><td><a href=\"{href}\">{shown}</a></td><td>{when}</td><td class=\"n\">{size}</td></tr>\n"
        ));
    }
    t.push_str("</table>\n");
    listing_response(html_page(&format!("Index of {url}"), &t), bytes)
}

pub(super) async fn root_listing(store: &Path, bytes: &AtomicU64) -> Response {
    let store = store.to_path_buf();
    let rows = tokio::task::spawn_blocking(move || {
        let mut ids: Vec<(String, PathBuf)> = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&store) {
            for e in rd.flatten() {
                let Ok(name) = e.file_name().into_string() else {
                    continue;
                };
                if valid_id(&name) && e.file_type().is_ok_and(|t| t.is_dir()) {
                    ids.push((name, e.path()));
                }
            }
        }
        // Newest first, as `tac-debug-pkg list` shows them.
        ids.sort_by(|a, b| (b.0.len(), &b.0).cmp(&(a.0.len(), &a.0)));
        ids.into_iter()
            .map(|(id, p)| {
                let command = Manifest::read(&p.join("manifest.json"))
                    .map(|m| m.command)
                    .unwrap_or_default();
                let created = id
                    .parse::<i64>()
                    .ok()
                    .and_then(|s| jiff::Timestamp::from_second(s).ok())
                    .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default();
                (id, created, human_bytes(dir_size(&p)), command)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let mut t = String::from(
        "<table>\n<tr><th>Package</th><th>Created (UTC)</th><th>Size</th><th>Download</th><th>Command</th></tr>\n",
    );
    for (id, created, size, command) in &rows {
        t.push_str(&format!(
            "<tr><td><a href=\"{id}/\">{id}/</a></td><td>{created}</td><td class=\"n\">{size}</td><td><a href=\"{id}.tar.gz\">{id}.tar.gz</a></td><td><code>{}</code></td></tr>\n",
            html_escape(command)
        ));
    }
    t.push_str("</table>\n");
    if rows.is_empty() {
        t.push_str("<p>No complete package yet (<code>tac-debug-pkg create from START to END</code>).</p>\n");
    }
    listing_response(html_page("tac-debug packages", &t), bytes)
}

pub(super) fn content_type(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    let ext = |e: &str| n.ends_with(e);
    if ext(".html") || ext(".htm") {
        "text/html; charset=utf-8"
    } else if ext(".json") {
        "application/json"
    } else if ext(".tar.gz") || ext(".tgz") || ext(".gz") {
        "application/gzip"
    } else if ext(".zst") {
        "application/zstd"
    } else if ext(".tar") {
        "application/x-tar"
    } else if ext(".svg") {
        "image/svg+xml"
    } else if ext(".png") {
        "image/png"
    } else if ext(".css") {
        "text/css; charset=utf-8"
    } else if [
        ".txt", ".log", ".yaml", ".yml", ".csv", ".md", ".prom", ".om", ".out",
    ]
    .iter()
    .any(|e| ext(e))
    {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Range {
    Full,
    /// First and last byte, inclusive.
    Part(u64, u64),
    Unsatisfiable,
}

/// One `Range: bytes=...` against a body of `len` bytes (RFC 9110 14.1):
/// what cannot be parsed, other units and multiple ranges are ignored (the
/// whole file, 200), a first byte past the end is unsatisfiable (416).
pub(super) fn parse_range(h: Option<&str>, len: u64) -> Range {
    let Some(spec) = h.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Range::Full;
    };
    if spec.contains(',') {
        return Range::Full;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Range::Full;
    };
    let num = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, true) => Range::Full,
        (true, false) => match num(b) {
            None => Range::Full,
            Some(0) => Range::Unsatisfiable,
            Some(_) if len == 0 => Range::Unsatisfiable,
            Some(n) => Range::Part(len.saturating_sub(n), len - 1),
        },
        (false, open) => {
            let Some(start) = num(a) else {
                return Range::Full;
            };
            let end = if open {
                u64::MAX
            } else {
                match num(b) {
                    Some(e) if e >= start => e,
                    _ => return Range::Full,
                }
            };
            if start >= len {
                Range::Unsatisfiable
            } else {
                Range::Part(start, end.min(len - 1))
            }
        }
    }
}

fn http_date(t: jiff::Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

pub(super) async fn file(
    path: &Path,
    meta: &Metadata,
    headers: &HeaderMap,
    bytes: Arc<AtomicU64>,
) -> Response {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let not_found = || super::plain(StatusCode::NOT_FOUND, "not found");
    let Ok(mut f) = tokio::fs::File::open(path).await else {
        return not_found();
    };
    // What was opened must be what resolve() checked: a file swapped for a
    // symlink in between is refused rather than followed.
    match f.metadata().await {
        Ok(m) if m.is_file() && m.dev() == meta.dev() && m.ino() == meta.ino() => {}
        _ => return not_found(),
    }
    let len = meta.len();
    let mtime = modified(meta);
    let etag = format!("\"{:x}.{:x}-{:x}\"", meta.mtime(), meta.mtime_nsec(), len);
    let last_modified = mtime.map(http_date);

    let mut range = parse_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        len,
    );
    // If-Range: a range of a file that changed since would mix two versions.
    if let Some(ir) = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok())
        && ir != etag
        && Some(ir) != last_modified.as_deref()
    {
        range = Range::Full;
    }

    let mut resp_headers = HeaderMap::new();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ctype = content_type(&name);
    resp_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    resp_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    resp_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if ctype.starts_with("text/html") || ctype.starts_with("image/svg") {
        // The report is made from cluster data; whatever it holds gets no
        // network access and runs as its own origin, so it cannot reach the
        // other packages with the reader's credentials.
        resp_headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:",
            ),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp_headers.insert(header::ETAG, v);
    }
    if let Some(v) = last_modified.and_then(|s| HeaderValue::from_str(&s).ok()) {
        resp_headers.insert(header::LAST_MODIFIED, v);
    }

    let (status, start, count) = match range {
        Range::Full => (StatusCode::OK, 0, len),
        Range::Part(s, e) => {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {s}-{e}/{len}")) {
                resp_headers.insert(header::CONTENT_RANGE, v);
            }
            (StatusCode::PARTIAL_CONTENT, s, e - s + 1)
        }
        Range::Unsatisfiable => {
            let mut r = super::plain(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("range not satisfiable: the file has {len} bytes"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    resp_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if start > 0 && f.seek(std::io::SeekFrom::Start(start)).await.is_err() {
        return super::plain(StatusCode::INTERNAL_SERVER_ERROR, "seek failed");
    }
    let stream =
        tokio_util::io::ReaderStream::with_capacity(f.take(count), 64 * 1024).map(move |chunk| {
            if let Ok(c) = &chunk {
                bytes.fetch_add(c.len() as u64, Ordering::Relaxed);
            }
            chunk
        });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = status;
    *resp.headers_mut() = resp_headers;
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use Range::*;
        let r = |h: &str, len| parse_range(Some(h), len);
        assert_eq!(parse_range(None, 100), Full);
        assert_eq!(r("bytes=0-99", 1000), Part(0, 99));
        assert_eq!(r("bytes=0-0", 1000), Part(0, 0));
        assert_eq!(r("bytes=990-", 1000), Part(990, 999));
        assert_eq!(r("bytes=-10", 1000), Part(990, 999));
        assert_eq!(r("bytes=-5000", 1000), Part(0, 999));
        assert_eq!(r("bytes=500-5000", 1000), Part(500, 999));
        assert_eq!(r("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(r("bytes=1000-1001", 1000), Unsatisfiable);
        assert_eq!(r("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(r("bytes=-1", 0), Unsatisfiable);
        assert_eq!(r("bytes=0-", 0), Unsatisfiable);
        assert_eq!(r("bytes=5-1", 1000), Full);
        assert_eq!(r("bytes=0-1,4-5", 1000), Full);
        assert_eq!(r("items=0-1", 1000), Full);
        assert_eq!(r("bytes=x-1", 1000), Full);
        assert_eq!(r("bytes=+1-2", 1000), Full);
        assert_eq!(r("bytes=-", 1000), Full);
    }

    #[test]
    fn segments() {
        assert!(matches!(decode_segment("a%20b"), Segment::Ok(s) if s == "a b"));
        assert!(matches!(
            decode_segment("core.smf.1000.zst"),
            Segment::Ok(_)
        ));
        for bad in [
            "..", "%2e%2e", "%2E.", ".", "%2e", "a%2fb", "a%2Fb", "a%5cb", "a\\b", "a%00", "%",
            "%2", "%zz", "%+f", "a%0ab", "%ff", "",
        ] {
            assert!(matches!(decode_segment(bad), Segment::Bad(_)), "{bad}");
        }
        for hidden in [".create.lock", "%2eactive.json", ".tls"] {
            assert!(
                matches!(decode_segment(hidden), Segment::Hidden),
                "{hidden}"
            );
        }
        assert_eq!(encode_segment("a b:c/d"), "a%20b%3Ac%2Fd");
        assert_eq!(encode_segment("node-1_Logs.tar.gz"), "node-1_Logs.tar.gz");
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("x_Logs_a_b.tar.gz"), "application/gzip");
        assert_eq!(content_type("manifest.json"), "application/json");
        assert_eq!(content_type("README.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("core.x.1.zst"), "application/zstd");
        assert_eq!(content_type("blob"), "application/octet-stream");
    }

    #[test]
    fn resolves_only_complete_packages() {
        let d = tempfile::tempdir().unwrap();
        let s = d.path();
        std::fs::create_dir_all(s.join("1591662529/web")).unwrap();
        std::fs::write(s.join("1591662529/web/index.html"), "x").unwrap();
        std::fs::create_dir_all(s.join("1591662600.partial")).unwrap();
        std::os::unix::fs::symlink(s.join("1591662529/web"), s.join("1591662529/link")).unwrap();
        assert!(matches!(resolve(s, "/tac/"), Resolved::Root));
        assert!(matches!(resolve(s, "/tac"), Resolved::Redirect(r) if r == "/tac/"));
        assert!(
            matches!(resolve(s, "/tac/1591662529"), Resolved::Redirect(r) if r == "/tac/1591662529/")
        );
        assert!(
            matches!(resolve(s, "/tac/1591662529/web"), Resolved::Redirect(r) if r == "/tac/1591662529/web/")
        );
        assert!(matches!(
            resolve(s, "/tac/1591662529/web/"),
            Resolved::Dir { .. }
        ));
        assert!(matches!(
            resolve(s, "/tac/1591662529/web/index.html"),
            Resolved::File { .. }
        ));
        assert!(matches!(
            resolve(s, "/tac/1591662529/web/index.html/"),
            Resolved::NotFound
        ));
        assert!(matches!(
            resolve(s, "/tac/1591662529/link/"),
            Resolved::NotFound
        ));
        assert!(matches!(
            resolve(s, "/tac/1591662529/link/index.html"),
            Resolved::NotFound
        ));
        assert!(matches!(
            resolve(s, "/tac/1591662529.tar.gz"),
            Resolved::Archive { .. }
        ));
        assert!(matches!(
            resolve(s, "/tac/1591662600.partial/"),
            Resolved::NotFound
        ));
        assert!(matches!(
            resolve(s, "/tac/1591662600.tar.gz"),
            Resolved::NotFound
        ));
        assert!(matches!(
            resolve(s, "/tac/1591662529/web/index.html/x"),
            Resolved::NotFound
        ));
        assert!(matches!(resolve(s, "/tac//1591662529/"), Resolved::Bad(_)));
        assert!(matches!(
            resolve(s, "/tac/1591662529/../1591662600.partial/"),
            Resolved::Bad(_)
        ));
    }
}
