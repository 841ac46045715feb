//! Lines lost to log rotation, read back from the node.
//!
//! The logs API serves only a container's live log file. If the kubelet
//! rotates it while a stream is down, the lines written between the last one
//! printed and the rotation are in `<n>.log.<YYYYMMDD-HHMMSS>` (or its `.gz`)
//! on the node, out of the API's reach: a resumed stream then starts after
//! them. [`Position::gap`](super::resume::Position::gap) notices (the resumed
//! stream does not repeat the last line printed); this module fetches the
//! rotated files through the API server's node proxy
//! (`nodes/{node}/proxy/logs/pods/...`, the kubelet's `/var/log` handler,
//! which needs RBAC `nodes/proxy`) and returns the missing lines.

use std::io::Read;
use std::time::Duration;

use futures::AsyncReadExt;

use super::resume::{self, Nanos};
use crate::cluster::{AccessError, Cluster};

/// Rotated files read for one gap at most: a stream is not down for more.
const MAX_FILES: usize = 4;
/// A rotated file is at most `containerLogMaxSize` (10Mi by default);
/// more than this is not a log file.
const MAX_FILE_BYTES: u64 = 64 << 20;
/// The whole recovery, listing and files.
const TIME_LIMIT: Duration = Duration::from_secs(30);

/// A rotated log file in a container's log directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotatedFile {
    pub name: String,
    /// The rotation time to the second: no line in the file is later.
    pub rotated_at: i64,
    pub gzipped: bool,
}

/// Rotated files named in a directory listing (Go's `http.FileServer`
/// HTML), oldest first.
pub fn rotated_files(listing: &str) -> Vec<RotatedFile> {
    let mut files: Vec<RotatedFile> = listing
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter_map(parse_name)
        .collect();
    files.sort_by(|a, b| (a.rotated_at, &a.name).cmp(&(b.rotated_at, &b.name)));
    files
}

fn parse_name(name: &str) -> Option<RotatedFile> {
    let (base, gzipped) = match name.strip_suffix(".gz") {
        Some(b) => (b, true),
        None => (name, false),
    };
    let (n, stamp) = base.split_once(".log.")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let at = jiff::civil::DateTime::strptime("%Y%m%d-%H%M%S", stamp)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp()
        .as_second();
    Some(RotatedFile {
        name: name.to_string(),
        rotated_at: at,
        gzipped,
    })
}

/// One line of a CRI log file, `P` parts joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriLine {
    pub ts: Nanos,
    /// The timestamp as written, for printing.
    pub stamp: Vec<u8>,
    pub text: Vec<u8>,
}

/// The lines of a CRI file (`<ts> <stream> <P|F> <text>`) stamped strictly
/// between `after` and `before`.
pub fn cri_lines_between(data: &[u8], after: Nanos, before: Nanos) -> Vec<CriLine> {
    let mut out = Vec::new();
    let mut partial: Option<CriLine> = None;
    for entry in data.split(|&b| b == b'\n') {
        let mut it = entry.splitn(4, |&b| b == b' ');
        let (Some(stamp), Some(_stream), Some(tag), text) =
            (it.next(), it.next(), it.next(), it.next().unwrap_or(b""))
        else {
            continue;
        };
        let Some(ts) = resume::parse_ts(stamp) else {
            continue;
        };
        let line = match partial.take() {
            Some(mut p) => {
                p.text.extend_from_slice(text);
                p
            }
            None => CriLine {
                ts,
                stamp: stamp.to_vec(),
                text: text.to_vec(),
            },
        };
        if tag.split(|&b| b == b':').next() == Some(b"P") {
            partial = Some(line);
        } else if line.ts > after && line.ts < before {
            out.push(line);
        }
    }
    out
}

/// Where a container's log files are on its node.
#[derive(Debug, Clone, Copy)]
pub struct LogDir<'a> {
    pub node: &'a str,
    pub namespace: &'a str,
    pub pod: &'a str,
    pub uid: &'a str,
    pub container: &'a str,
}

/// Fetches the lines of a container stamped strictly between `after` and
/// `before` from the rotated files on its node.
pub async fn recover(
    cl: &Cluster,
    at: LogDir<'_>,
    after: Nanos,
    before: Nanos,
) -> Result<Vec<CriLine>, AccessError> {
    let LogDir {
        node,
        namespace,
        pod,
        uid,
        container,
    } = at;
    let dir = format!("/api/v1/nodes/{node}/proxy/logs/pods/{namespace}_{pod}_{uid}/{container}/");
    let what = format!("reading the rotated logs of {pod}/{container} on node {node}");
    let work = async {
        let listing = String::from_utf8_lossy(&get(cl, &what, &dir).await?).into_owned();
        let since = after.div_euclid(1_000_000_000) as i64;
        let mut lines = Vec::new();
        for f in rotated_files(&listing)
            .into_iter()
            .filter(|f| f.rotated_at >= since)
            .take(MAX_FILES)
        {
            let raw = get(cl, &what, &format!("{dir}{}", f.name)).await?;
            let data = if f.gzipped {
                let mut plain = Vec::new();
                flate2::read::MultiGzDecoder::new(&raw[..])
                    .take(MAX_FILE_BYTES)
                    .read_to_end(&mut plain)
                    .map_err(|e| AccessError::Api {
                        what: what.clone(),
                        code: 0,
                        reason: "BadGzip".into(),
                        message: format!("{}: {e}", f.name),
                    })?;
                plain
            } else {
                raw
            };
            lines.extend(cri_lines_between(&data, after, before));
        }
        lines.sort_by_key(|l| l.ts);
        Ok(lines)
    };
    match tokio::time::timeout(TIME_LIMIT, work).await {
        Ok(r) => r,
        Err(_) => Err(AccessError::Timeout {
            server: cl.server.clone(),
            what,
            after: TIME_LIMIT,
        }),
    }
}

async fn get(cl: &Cluster, what: &str, path: &str) -> Result<Vec<u8>, AccessError> {
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| AccessError::Api {
            what: what.to_string(),
            code: 0,
            reason: "BadRequest".into(),
            message: e.to_string(),
        })?;
    let body = cl.call(what, cl.client.request_stream(req)).await?;
    let mut buf = Vec::new();
    let body = std::pin::pin!(body);
    body.take(MAX_FILE_BYTES)
        .read_to_end(&mut buf)
        .await
        .map_err(|e| AccessError::Unreachable {
            server: cl.server.clone(),
            reason: format!("{e} (while {what})"),
        })?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Nanos {
        resume::parse_ts(s.as_bytes()).unwrap()
    }

    #[test]
    fn listings_name_the_rotated_files_oldest_first() {
        let html = "<!doctype html>\n<pre>\n<a href=\"0.log\">0.log</a>\n<a href=\"0.log.20261129-042620.gz\">x</a>\n<a href=\"0.log.20261129-042613\">x</a>\n<a href=\"0.log.20261129-042613.tmp\">x</a>\n<a href=\"1.log.20261129-042540.gz\">x</a>\n<a href=\"notes.txt\">x</a>\n</pre>\n";
        let names: Vec<(String, bool)> = rotated_files(html)
            .into_iter()
            .map(|f| (f.name, f.gzipped))
            .collect();
        assert_eq!(
            names,
            [
                ("1.log.20261129-042540.gz".to_string(), true),
                ("0.log.20261129-042613".to_string(), false),
                ("0.log.20261129-042620.gz".to_string(), true),
            ]
        );
        assert_eq!(
            parse_name("0.log.20261129-042613").unwrap().rotated_at,
            (ts("2026-11-29T04:26:13Z") / 1_000_000_000) as i64
        );
    }

    #[test]
    fn cri_lines_are_joined_and_windowed() {
        let data = b"2020-06-08T17:04:57.1Z stdout F one\n\
2020-06-08T17:04:57.2Z stdout P tw\n\
2020-06-08T17:04:57.3Z stdout F o\n\
2020-06-08T17:04:57.4Z stderr F three words here\n\
garbage\n\
2020-06-08T17:04:57.5Z stdout F four\n\
2020-06-08T17:04:57.6Z stdout F partial write in progr";
        let got: Vec<(String, String)> = cri_lines_between(
            data,
            ts("2020-06-08T17:04:57.1Z"),
            ts("2020-06-08T17:04:57.5Z"),
        )
        .into_iter()
        .map(|l| {
            (
                String::from_utf8(l.stamp).unwrap(),
                String::from_utf8(l.text).unwrap(),
            )
        })
        .collect();
        assert_eq!(
            got,
            [
                ("2020-06-08T17:04:57.2Z".into(), "two".into()),
                ("2020-06-08T17:04:57.4Z".into(), "three words here".into()),
            ]
        );
    }
}
