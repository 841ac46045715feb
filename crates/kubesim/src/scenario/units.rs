//! Small value types of the scenario format — ages ("6d2h"), durations ("3s"),
//! ports ("grpc:9003/TCP"), ordered maps, environment values — each with a
//! deserializer that accepts the compact forms and rejects anything else with
//! a message saying what was expected (the YAML parser adds line and column).

use std::fmt;
use std::marker::PhantomData;
use std::net::Ipv4Addr;
use std::time::Duration;

use jiff::Timestamp;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, de::value::MapAccessDeserializer};

/// Parses "6d2h", "7h1m", "8m38s", "30s", "500ms", "0" into a duration.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total_ms: u64 = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(format!("expected a number at {:?}", &s[start..]));
        }
        let n: u64 = s[start..i]
            .parse()
            .map_err(|_| format!("number too large in {s:?}"))?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let factor: u64 = match &s[ustart..i] {
            "d" => 86_400_000,
            "h" => 3_600_000,
            "m" => 60_000,
            "s" => 1_000,
            "ms" => 1,
            "" => return Err(format!("missing unit after {n} (use d, h, m, s or ms)")),
            u => return Err(format!("unknown unit {u:?} (use d, h, m, s or ms)")),
        };
        total_ms = n
            .checked_mul(factor)
            .and_then(|v| total_ms.checked_add(v))
            .ok_or_else(|| format!("duration too large: {s:?}"))?;
    }
    Ok(Duration::from_millis(total_ms))
}

/// A point in time written as an age relative to now ("6d", "7h1m", "10m"),
/// or, rarely, as an absolute RFC 3339 time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Age {
    Ago(Duration),
    At(Timestamp),
}

impl Age {
    pub(crate) fn ago(d: Duration) -> Age {
        Age::Ago(d)
    }

    /// The time this age denotes, truncated to whole seconds as the API server keeps them.
    pub(crate) fn at(self, now: Timestamp) -> Timestamp {
        let t = match self {
            Age::Ago(d) => now
                .checked_sub(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX))
                .unwrap_or(Timestamp::UNIX_EPOCH),
            Age::At(t) => t,
        };
        secs(t)
    }
}

/// Truncates a timestamp to whole seconds.
pub(crate) fn secs(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// `t + seconds`, saturating.
pub(crate) fn plus(t: Timestamp, seconds: i64) -> Timestamp {
    t.checked_add(jiff::SignedDuration::from_secs(seconds))
        .unwrap_or(t)
}

/// `t + d`, saturating.
pub(crate) fn plus_dur(t: Timestamp, d: Duration) -> Timestamp {
    jiff::SignedDuration::try_from(d)
        .ok()
        .and_then(|sd| t.checked_add(sd).ok())
        .unwrap_or(t)
}

/// `t - d`, truncated to whole seconds, saturating.
pub(crate) fn minus_dur(t: Timestamp, d: Duration) -> Timestamp {
    secs(
        jiff::SignedDuration::try_from(d)
            .ok()
            .and_then(|sd| t.checked_sub(sd).ok())
            .unwrap_or(t),
    )
}

/// `a - b` in whole seconds (0 when b is later).
pub(crate) fn secs_between(a: Timestamp, b: Timestamp) -> u64 {
    (a.as_second() - b.as_second()).max(0) as u64
}

/// The API server's time format: `2026-11-24T12:40:09Z`.
pub(crate) fn rfc3339(t: Timestamp) -> String {
    use std::fmt::Write;
    let d = jiff::tz::Offset::UTC.to_datetime(t);
    let mut s = String::with_capacity(20);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    );
    s
}

impl<'de> Deserialize<'de> for Age {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Age;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an age such as 6d, 7h1m, 10m or 30s (or an RFC 3339 time)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Age, E> {
                if v == 0 {
                    Ok(Age::Ago(Duration::ZERO))
                } else {
                    Err(E::custom(format!(
                        "age {v} has no unit: write e.g. {v}s, {v}m or {v}d"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Age, E> {
                if v < 0 {
                    return Err(E::custom("an age cannot be negative"));
                }
                self.visit_u64(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Age, E> {
                if v.contains('T') && v.contains('-') {
                    return v
                        .parse::<Timestamp>()
                        .map(Age::At)
                        .map_err(|e| E::custom(format!("invalid time {v:?}: {e}")));
                }
                if v == "now" {
                    return Ok(Age::Ago(Duration::ZERO));
                }
                parse_duration(v).map(Age::Ago).map_err(|e| {
                    E::custom(format!(
                        "invalid age {v:?}: {e} (expected e.g. 6d, 7h1m, 10m, 30s)"
                    ))
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration written "3s", "2m40s", "1h", "500ms".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 3s, 2m40s, 1h or 500ms")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                if v == 0 {
                    Ok(Dur(Duration::ZERO))
                } else {
                    Err(E::custom(format!(
                        "duration {v} has no unit: write e.g. {v}s or {v}ms"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                if v < 0 {
                    return Err(E::custom("a duration cannot be negative"));
                }
                self.visit_u64(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(|e| {
                    E::custom(format!(
                        "invalid duration {v:?}: {e} (expected e.g. 3s, 2m40s, 1h)"
                    ))
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Formats a duration as Go's `time.Duration.String()` does ("2m40s", "5m0s", "1h0m0s", "500ms"),
/// which is how the kubelet writes back-off delays.
pub(crate) fn go_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let total = d.as_secs();
    let frac = d.subsec_millis();
    let secs = if frac == 0 {
        format!("{}s", total % 60)
    } else {
        let f = format!("{frac:03}");
        format!("{}.{}s", total % 60, f.trim_end_matches('0'))
    };
    let h = total / 3600;
    let m = (total % 3600) / 60;
    if h > 0 {
        format!("{h}h{m}m{secs}")
    } else if m > 0 {
        format!("{m}m{secs}")
    } else {
        secs
    }
}

/// A YAML mapping kept in the order it was written (environment variables
/// appear in a pod spec in that order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, V)> = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<V>()?;
                    if let Some(slot) = out.iter_mut().find(|(key, _)| *key == k) {
                        slot.1 = v;
                    } else {
                        out.push((k, v));
                    }
                }
                Ok(OrderedMap(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
        }
        d.deserialize_map(Vis(PhantomData))
    }
}

/// A port given by number or by name (`targetPort: http`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PortRef {
    Number(u16),
    Name(String),
}

impl PortRef {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            PortRef::Number(n) => serde_json::Value::from(*n),
            PortRef::Name(s) => serde_json::Value::from(s.as_str()),
        }
    }

    fn parse(s: &str) -> Result<PortRef, String> {
        if s.chars().all(|c| c.is_ascii_digit()) {
            s.parse::<u16>()
                .map(PortRef::Number)
                .map_err(|_| format!("port {s} is out of range"))
        } else if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            Ok(PortRef::Name(s.to_string()))
        } else {
            Err(format!("{s:?} is neither a port number nor a port name"))
        }
    }
}

impl<'de> Deserialize<'de> for PortRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PortRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number or a port name")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortRef, E> {
                u16::try_from(v)
                    .ok()
                    .filter(|p| *p > 0)
                    .map(PortRef::Number)
                    .ok_or_else(|| E::custom(format!("port {v} is out of range 1-65535")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortRef, E> {
                if v < 0 {
                    return Err(E::custom("a port cannot be negative"));
                }
                self.visit_u64(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortRef, E> {
                PortRef::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A container or service port: `8080`, `"grpc:9003"`, `"53/UDP"`,
/// `"https:443:6443"` (service port 443 to target 6443), or a mapping
/// `{name, port, targetPort, protocol, nodePort, hostPort}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PortSpec {
    pub name: Option<String>,
    pub port: u16,
    pub target: Option<PortRef>,
    pub protocol: String,
    pub node_port: Option<u16>,
    pub host_port: Option<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PortMap {
    #[serde(default)]
    name: Option<String>,
    #[serde(alias = "containerPort")]
    port: u16,
    #[serde(default)]
    target_port: Option<PortRef>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    node_port: Option<u16>,
    #[serde(default)]
    host_port: Option<u16>,
}

fn check_protocol(p: &str) -> Result<String, String> {
    match p.to_ascii_uppercase().as_str() {
        "TCP" => Ok("TCP".into()),
        "UDP" => Ok("UDP".into()),
        "SCTP" => Ok("SCTP".into()),
        _ => Err(format!("unknown protocol {p:?} (TCP, UDP or SCTP)")),
    }
}

impl PortSpec {
    pub(crate) fn parse(text: &str) -> Result<PortSpec, String> {
        let (body, proto) = match text.split_once('/') {
            Some((b, p)) => (b, check_protocol(p)?),
            None => (text, "TCP".to_string()),
        };
        let mut parts: Vec<&str> = body.split(':').collect();
        let name = if parts
            .first()
            .is_some_and(|p| !p.is_empty() && !p.chars().all(|c| c.is_ascii_digit()))
        {
            Some(parts.remove(0).to_string())
        } else {
            None
        };
        let bad = || {
            format!(
                "invalid port {text:?}: expected [name:]port[:targetPort][/protocol], e.g. 8080, grpc:9003, https:443:6443, 53/UDP"
            )
        };
        let port = match parts.first() {
            Some(p) => match PortRef::parse(p) {
                Ok(PortRef::Number(n)) if n > 0 => n,
                _ => return Err(bad()),
            },
            None => return Err(bad()),
        };
        let target = match parts.get(1) {
            Some(t) => Some(PortRef::parse(t).map_err(|_| bad())?),
            None => None,
        };
        if parts.len() > 2 {
            return Err(bad());
        }
        Ok(PortSpec {
            name,
            port,
            target,
            protocol: proto,
            node_port: None,
            host_port: None,
        })
    }
}

impl<'de> Deserialize<'de> for PortSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PortSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port: 8080, \"grpc:9003\", \"53/UDP\", \"https:443:6443\" or {name, port, targetPort, protocol}")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortSpec, E> {
                let port = u16::try_from(v)
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| E::custom(format!("port {v} is out of range 1-65535")))?;
                Ok(PortSpec {
                    name: None,
                    port,
                    target: None,
                    protocol: "TCP".into(),
                    node_port: None,
                    host_port: None,
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortSpec, E> {
                if v < 0 {
                    return Err(E::custom("a port cannot be negative"));
                }
                self.visit_u64(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortSpec, E> {
                PortSpec::parse(v).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PortSpec, A::Error> {
                let m = PortMap::deserialize(MapAccessDeserializer::new(map))?;
                let protocol = match m.protocol {
                    Some(p) => check_protocol(&p).map_err(de::Error::custom)?,
                    None => "TCP".into(),
                };
                Ok(PortSpec {
                    name: m.name,
                    port: m.port,
                    target: m.target_port,
                    protocol,
                    node_port: m.node_port,
                    host_port: m.host_port,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// The value of an environment variable: a literal (`LOG_LEVEL: debug`) or a
/// reference (`{fieldRef: metadata.name}`, `{secretKeyRef: secret/key}`,
/// `{configMapKeyRef: map/key}`, `{resourceFieldRef: limits.memory}`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EnvValue {
    Literal(String),
    FieldRef(String),
    SecretKeyRef(String, String),
    ConfigMapKeyRef(String, String),
    ResourceFieldRef(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EnvFrom {
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    field_ref: Option<String>,
    #[serde(default)]
    secret_key_ref: Option<String>,
    #[serde(default)]
    config_map_key_ref: Option<String>,
    #[serde(default)]
    resource_field_ref: Option<String>,
}

fn split_ref(kind: &str, s: &str) -> Result<(String, String), String> {
    match s.split_once('/') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_string(), b.to_string())),
        _ => Err(format!("{kind} {s:?} must be written NAME/KEY")),
    }
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnvValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value, or one of {fieldRef: path}, {secretKeyRef: name/key}, {configMapKeyRef: name/key}, {resourceFieldRef: resource}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(String::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EnvValue, A::Error> {
                let m = EnvFrom::deserialize(MapAccessDeserializer::new(map))?;
                let set = [
                    m.value.is_some(),
                    m.field_ref.is_some(),
                    m.secret_key_ref.is_some(),
                    m.config_map_key_ref.is_some(),
                    m.resource_field_ref.is_some(),
                ]
                .iter()
                .filter(|b| **b)
                .count();
                if set != 1 {
                    return Err(de::Error::custom(
                        "give exactly one of value, fieldRef, secretKeyRef, configMapKeyRef, resourceFieldRef",
                    ));
                }
                if let Some(v) = m.value {
                    return Ok(EnvValue::Literal(v));
                }
                if let Some(v) = m.field_ref {
                    return Ok(EnvValue::FieldRef(v));
                }
                if let Some(v) = m.resource_field_ref {
                    return Ok(EnvValue::ResourceFieldRef(v));
                }
                if let Some(v) = m.secret_key_ref {
                    let (a, b) = split_ref("secretKeyRef", &v).map_err(de::Error::custom)?;
                    return Ok(EnvValue::SecretKeyRef(a, b));
                }
                let v = m.config_map_key_ref.unwrap_or_default();
                let (a, b) = split_ref("configMapKeyRef", &v).map_err(de::Error::custom)?;
                Ok(EnvValue::ConfigMapKeyRef(a, b))
            }
        }
        d.deserialize_any(V)
    }
}

/// An IPv4 network (`192.168.41.0/24`) handing out host addresses in order.
#[derive(Debug, Clone)]
pub(crate) struct Cidr {
    pub base: u32,
    pub prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Result<Cidr, String> {
        let (ip, len) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not a CIDR such as 192.168.41.0/24"))?;
        let ip: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("{s:?}: invalid IPv4 address"))?;
        let prefix: u8 = len
            .parse()
            .ok()
            .filter(|p| *p <= 30)
            .ok_or_else(|| format!("{s:?}: prefix length must be 0-30"))?;
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        Ok(Cidr {
            base: u32::from(ip) & mask,
            prefix,
        })
    }

    /// Number of usable host addresses (network and broadcast excluded).
    pub(crate) fn hosts(&self) -> u32 {
        (1u32 << (32 - self.prefix)) - 2
    }

    /// The n-th host address (0-based), skipping the network address.
    pub(crate) fn host(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(self.base + 1 + (n % self.hosts()))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}
