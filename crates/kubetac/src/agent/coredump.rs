//! What systemd-coredump leaves on a node, read back: the file name
//! `core.<comm>.<uid>.<bootid>.<pid>.<usec>[.zst|.xz|.lz4]` (the process name
//! may itself contain dots) and the `user.coredump.*` extended attributes
//! written beside it. The agent lists cores with this; the attribution of a
//! core to a pod builds on it.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// One core dump's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoreInfo {
    pub file: String,
    /// The process name (`comm`, at most 15 characters, may contain dots).
    pub comm: String,
    pub uid: u32,
    pub boot_id: String,
    pub pid: u32,
    /// Crash time, microseconds since the epoch.
    pub time_usec: i64,
    /// `zst`, `xz`, `lz4`, or `none`; an ending we do not know is kept as is.
    pub compression: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    /// The crashing process's hostname: the pod name, unless hostNetwork.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Size of the (compressed) file in bytes.
    pub size: u64,
}

/// Why a file name is not a core dump's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not a core dump file name (no `core.` prefix)")]
    NotCore,
    #[error("core dump name has too few fields")]
    TooFewFields,
    #[error("core dump name has a bad {0}")]
    BadField(&'static str),
}

/// Parses a systemd-coredump file name. The fixed fields are taken from
/// the right, so a process name with dots (`java.main`) stays whole.
pub fn parse_name(name: &str) -> Result<CoreInfo, ParseError> {
    let rest = name.strip_prefix("core.").ok_or(ParseError::NotCore)?;
    let mut parts: Vec<&str> = rest.split('.').collect();
    // The compression suffix, when the last part is not a number.
    let compression = match parts.last() {
        Some(last) if !last.is_empty() && !last.chars().all(|c| c.is_ascii_digit()) => {
            let c = parts.pop().unwrap_or_default();
            c.to_string()
        }
        _ => "none".to_string(),
    };
    if parts.len() < 5 {
        return Err(ParseError::TooFewFields);
    }
    let n = parts.len();
    let usec: i64 = parts[n - 1]
        .parse()
        .map_err(|_| ParseError::BadField("time"))?;
    let pid: u32 = parts[n - 2]
        .parse()
        .map_err(|_| ParseError::BadField("pid"))?;
    let boot_id = parts[n - 3];
    if boot_id.len() != 32 || !boot_id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ParseError::BadField("boot id"));
    }
    let uid: u32 = parts[n - 4]
        .parse()
        .map_err(|_| ParseError::BadField("uid"))?;
    let comm = parts[..n - 4].join(".");
    if comm.is_empty() {
        return Err(ParseError::BadField("process name"));
    }
    Ok(CoreInfo {
        file: name.to_string(),
        comm: unescape_comm(&comm),
        uid,
        boot_id: boot_id.to_string(),
        pid,
        time_usec: usec,
        compression,
        signal: None,
        gid: None,
        exe: None,
        hostname: None,
        size: 0,
    })
}

/// systemd escapes unsafe bytes in `comm` as `\xNN`.
fn unescape_comm(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b.get(i + 1) == Some(&b'x')
            && let Some(v) = s
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Fills what the file's `user.coredump.*` attributes say (they win over
/// the name: the name is truncated and escaped, the attributes are not).
pub fn apply_xattrs(info: &mut CoreInfo, get: &dyn Fn(&str) -> Option<String>) {
    let num = |k: &str| get(k).and_then(|v| v.trim().parse::<i64>().ok());
    if let Some(v) = num("user.coredump.pid") {
        info.pid = v as u32;
    }
    if let Some(v) = num("user.coredump.uid") {
        info.uid = v as u32;
    }
    if let Some(v) = num("user.coredump.gid") {
        info.gid = Some(v as u32);
    }
    if let Some(v) = num("user.coredump.signal") {
        info.signal = Some(v as i32);
    }
    if let Some(v) = num("user.coredump.timestamp") {
        info.time_usec = v;
    }
    if let Some(v) = get("user.coredump.comm").filter(|v| !v.is_empty()) {
        info.comm = v;
    }
    info.exe = get("user.coredump.exe").filter(|v| !v.is_empty());
    info.hostname = get("user.coredump.hostname").filter(|v| !v.is_empty());
}

/// Reads one core file's metadata from disk (name, size, attributes).
pub fn read(path: &Path) -> Result<CoreInfo, ParseError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or(ParseError::NotCore)?;
    let mut info = parse_name(name)?;
    info.size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let get = |k: &str| {
        xattr::get(path, k).ok().flatten().map(|v| {
            String::from_utf8_lossy(&v)
                .trim_end_matches('\0')
                .to_string()
        })
    };
    apply_xattrs(&mut info, &get);
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOT: &str = "60f62888075e66cf42f2f96d83879798";

    #[test]
    #[allow(clippy::type_complexity)]
    fn names() {
        let cases: Vec<(String, Result<(&str, u32, u32, i64, &str), ParseError>)> = vec![
            (
                format!("core.smf-service.303.{BOOT}.4242.1764386029000000.zst"),
                Ok(("smf-service", 303, 4242, 1764386029000000, "zst")),
            ),
            (
                format!("core.java.main.0.{BOOT}.17.1.xz"),
                Ok(("java.main", 0, 17, 1, "xz")),
            ),
            (
                format!("core.a.b.c.1000.{BOOT}.9.5.lz4"),
                Ok(("a.b.c", 1000, 9, 5, "lz4")),
            ),
            (
                format!("core.nginx.33.{BOOT}.77.123"),
                Ok(("nginx", 33, 77, 123, "none")),
            ),
            (
                format!("core.x.1.{BOOT}.2.3.bz2"),
                Ok(("x", 1, 2, 3, "bz2")),
            ),
            (
                format!("core.my\\x2fproc.1.{BOOT}.2.3.zst"),
                Ok(("my/proc", 1, 2, 3, "zst")),
            ),
            ("vmcore.1".to_string(), Err(ParseError::NotCore)),
            (format!("core.{BOOT}.2.3"), Err(ParseError::TooFewFields)),
            (
                format!("core.x.uid.{BOOT}.2.3.zst"),
                Err(ParseError::BadField("uid")),
            ),
            (
                "core.x.1.notaboot.2.3.zst".to_string(),
                Err(ParseError::BadField("boot id")),
            ),
            (
                format!("core.x.1.{BOOT}.pid.3.zst"),
                Err(ParseError::BadField("pid")),
            ),
            (
                format!("core..1.{BOOT}.2.3.zst"),
                Err(ParseError::BadField("process name")),
            ),
        ];
        for (name, want) in cases {
            let got = parse_name(&name).map(|i| {
                (
                    i.comm.clone(),
                    i.uid,
                    i.pid,
                    i.time_usec,
                    i.compression.clone(),
                )
            });
            let want = want.map(|(c, u, p, t, z)| (c.to_string(), u, p, t, z.to_string()));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn xattrs_complete_and_override_the_name() {
        let mut info = parse_name(&format!("core.smf-servic.303.{BOOT}.4242.1.zst")).unwrap();
        let attrs = [
            ("user.coredump.comm", "smf-service-long"),
            ("user.coredump.signal", "11"),
            ("user.coredump.hostname", "smf-service-n0-0"),
            ("user.coredump.exe", "/opt/workspace/smf-service"),
            ("user.coredump.timestamp", "1764386029123456"),
            ("user.coredump.gid", "303"),
        ];
        apply_xattrs(&mut info, &|k| {
            attrs
                .iter()
                .find(|(a, _)| *a == k)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(info.comm, "smf-service-long");
        assert_eq!(info.signal, Some(11));
        assert_eq!(info.hostname.as_deref(), Some("smf-service-n0-0"));
        assert_eq!(info.time_usec, 1764386029123456);
        assert_eq!(info.gid, Some(303));
        // Missing attributes leave the name's values.
        let mut bare = parse_name(&format!("core.x.1.{BOOT}.2.3.zst")).unwrap();
        apply_xattrs(&mut bare, &|_| None);
        assert_eq!((bare.pid, bare.signal, bare.exe), (2, None, None));
    }
}
