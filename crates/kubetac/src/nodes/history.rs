//! `kubetac logs --history`: a container's whole log on its node — every
//! rotated file (gzipped ones too) and the live file of the current and
//! previous instances — merged in time order without duplicates. The logs
//! API only serves the live file; the hours before a crash are in the rest.

use std::io::Read;

use jiff::Timestamp;

use super::{NodeLog, node_log};
use crate::cluster::Cluster;

/// One log line with its CRI timestamp.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub time: Timestamp,
    pub text: String,
}

/// Whether a file in a container's log directory is a log file, and the
/// instance it belongs to: `3.log`, `3.log.20261129-031500`, `3.log.20261129-031500.gz`.
pub fn log_file_instance(name: &str) -> Option<u32> {
    if name.ends_with(".tmp") {
        return None;
    }
    let (n, rest) = name.split_once(".log")?;
    let n: u32 = n.parse().ok()?;
    (rest.is_empty() || rest.starts_with('.')).then_some(n)
}

/// Parses CRI lines (`<RFC3339Nano> <stream> <P|F> <text>`), joining
/// partial entries into whole lines.
pub fn parse_cri(text: &str, out: &mut Vec<Line>) {
    let mut partial: Option<(Timestamp, String)> = None;
    for l in text.lines() {
        let mut it = l.splitn(4, ' ');
        let (Some(ts), Some(_stream), Some(tag), rest) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            continue;
        };
        let Ok(time) = ts.parse::<Timestamp>() else {
            continue;
        };
        let body = rest.unwrap_or("");
        match (tag, partial.take()) {
            ("P", None) => partial = Some((time, body.to_string())),
            ("P", Some((t, mut acc))) => {
                acc.push_str(body);
                partial = Some((t, acc));
            }
            (_, Some((t, mut acc))) => {
                acc.push_str(body);
                out.push(Line { time: t, text: acc });
            }
            (_, None) => out.push(Line {
                time,
                text: body.to_string(),
            }),
        }
    }
    if let Some((t, acc)) = partial {
        out.push(Line { time: t, text: acc });
    }
}

/// Merges in time order and drops lines seen twice (the same entry can be
/// in a rotated copy and in the live file around a rotation).
pub fn merge(mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort();
    lines.dedup();
    lines
}

pub struct HistoryRequest<'a> {
    pub namespace: &'a str,
    pub pod: &'a str,
    pub pod_uid: &'a str,
    pub node: &'a str,
    pub container: &'a str,
    pub since: Option<Timestamp>,
    pub tail: Option<usize>,
}

pub async fn read(cl: &Cluster, r: &HistoryRequest<'_>) -> anyhow::Result<Vec<Line>> {
    let dir = format!(
        "pods/{}_{}_{}/{}/",
        r.namespace, r.pod, r.pod_uid, r.container
    );
    let names = match node_log(cl, r.node, Some(&dir)).await? {
        NodeLog::Listing(n) => n,
        NodeLog::File(_) => anyhow::bail!("/var/log/{dir} on {} is not a directory", r.node),
    };
    let mut lines = Vec::new();
    for name in names.iter().filter(|n| log_file_instance(n).is_some()) {
        let bytes = match node_log(cl, r.node, Some(&format!("{dir}{name}"))).await? {
            NodeLog::File(b) => b,
            NodeLog::Listing(_) => continue,
        };
        let text = if name.ends_with(".gz") {
            let mut s = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut s)
                .map_err(|e| {
                    anyhow::anyhow!("decompressing /var/log/{dir}{name} from {}: {e}", r.node)
                })?;
            s
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        parse_cri(&text, &mut lines);
    }
    let mut lines = merge(lines);
    if let Some(s) = r.since {
        lines.retain(|l| l.time >= s);
    }
    if let Some(t) = r.tail {
        let skip = lines.len().saturating_sub(t);
        lines.drain(..skip);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(log_file_instance("5.log"), Some(5));
        assert_eq!(log_file_instance("5.log.20261129-031500"), Some(5));
        assert_eq!(log_file_instance("5.log.20261129-031500.gz"), Some(5));
        assert_eq!(log_file_instance("5.log.20261129-031500.gz.tmp"), None);
        assert_eq!(log_file_instance("x.log"), None);
        assert_eq!(log_file_instance("5.logs"), None);
    }

    #[test]
    fn cri_partial_lines_and_merge() {
        let mut out = Vec::new();
        parse_cri(
            "2026-11-29T03:00:00.000000001Z stdout P hello \n2026-11-29T03:00:00.000000002Z stdout F world\n2026-11-29T03:00:01Z stderr F boom\ngarbage\n",
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].text, "hello world");
        let dup = out.clone();
        let older = vec![Line {
            time: "2026-11-29T02:00:00Z".parse().unwrap(),
            text: "old".into(),
        }];
        let merged = merge([dup, out, older].concat());
        assert_eq!(
            merged.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["old", "hello world", "boom"]
        );
    }
}
