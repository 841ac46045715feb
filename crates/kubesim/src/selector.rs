//! Label and field selectors, parsed and matched the way the API server does,
//! so that `-l`, `--field-selector` and the `involvedObject.*` queries of
//! `kubectl describe` select exactly what a real cluster would.

use std::collections::BTreeMap;

/// A selector string the server refuses; the text is the API server's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector (`app=smf,tier in (a,b),!canary`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<LabelReq>);

impl LabelSelector {
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for part in split_top_level(s) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            reqs.push(parse_label_req(part)?);
        }
        Ok(LabelSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| match r {
            LabelReq::Eq(k, v) => labels.get(k) == Some(v),
            LabelReq::NotEq(k, v) => labels.get(k) != Some(v),
            LabelReq::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            LabelReq::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            LabelReq::Exists(k) => labels.contains_key(k),
            LabelReq::NotExists(k) => !labels.contains_key(k),
        })
    }
}

/// Splits on commas that are not inside parentheses.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 316
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_label_req(part: &str) -> Result<LabelReq, SelectorError> {
    let bad = |why: &str| SelectorError(format!("unable to parse requirement: {why}"));
    if let Some(k) = part.strip_prefix('!') {
        let k = k.trim();
        if !valid_key(k) {
            return Err(bad(&format!("invalid label key \"{k}\"")));
        }
        return Ok(LabelReq::NotExists(k.to_string()));
    }
    for (op, is_in) in [(" notin ", false), (" in ", true)] {
        if let Some(idx) = part.find(op) {
            let k = part[..idx].trim();
            let rest = part[idx + op.len()..].trim();
            let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) else {
                return Err(bad(&format!("found '{rest}', expected: '('")));
            };
            if !valid_key(k) {
                return Err(bad(&format!("invalid label key \"{k}\"")));
            }
            let vals: Vec<String> = inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            if let Some(v) = vals.iter().find(|v| !valid_value(v)) {
                return Err(bad(&format!("invalid label value: \"{v}\"")));
            }
            return Ok(if is_in {
                LabelReq::In(k.to_string(), vals)
            } else {
                LabelReq::NotIn(k.to_string(), vals)
            });
        }
    }
    for (op, neg) in [("!=", true), ("==", false), ("=", false)] {
        if let Some(idx) = part.find(op) {
            let k = part[..idx].trim();
            let v = part[idx + op.len()..].trim();
            if !valid_key(k) {
                return Err(bad(&format!("invalid label key \"{k}\"")));
            }
            if !valid_value(v) {
                return Err(bad(&format!("invalid label value: \"{v}\"")));
            }
            return Ok(if neg {
                LabelReq::NotEq(k.to_string(), v.to_string())
            } else {
                LabelReq::Eq(k.to_string(), v.to_string())
            });
        }
    }
    if !valid_key(part) {
        return Err(bad(&format!("invalid label key \"{part}\"")));
    }
    Ok(LabelReq::Exists(part.to_string()))
}

/// A parsed field selector (`spec.nodeName=worker2,status.phase!=Running`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Parses `s`, accepting only the field labels in `supported` (the API
    /// server refuses others with "field label not supported").
    pub fn parse(s: &str, supported: &[&str]) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (k, neg, v) = if let Some((k, v)) = part.split_once("!=") {
                (k, true, v)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, false, v)
            } else {
                return Err(SelectorError(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let k = k.trim();
            if !supported.contains(&k) {
                return Err(SelectorError(format!("field label not supported: {k}")));
            }
            reqs.push((k.to_string(), neg, v.trim().to_string()));
        }
        Ok(FieldSelector(reqs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `fields` gives the object's value for each field label (absent = "").
    pub fn matches(&self, fields: &dyn Fn(&str) -> String) -> bool {
        self.0.iter().all(|(k, neg, v)| (fields(k) == *v) != *neg)
    }
}

/// Field labels the server accepts for a resource, as kube-apiserver does.
pub fn supported_fields(resource: &str) -> &'static [&'static str] {
    match resource {
        "pods" => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        "events" => &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        "secrets" => &["metadata.name", "metadata.namespace", "type"],
        "nodes" => &["metadata.name", "spec.unschedulable"],
        "namespaces" => &["metadata.name", "status.phase"],
        _ => &["metadata.name", "metadata.namespace"],
    }
}

/// The value of a field label in an object, as the server's field-label
/// conversion gives it (booleans as "true"/"false", absent as "").
pub fn field_value(obj: &serde_json::Value, label: &str) -> String {
    if label == "source" {
        return obj
            .pointer("/source/component")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
    }
    let path = format!("/{}", label.replace('.', "/"));
    match obj.pointer(&path) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Bool(b)) => b.to_string(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        None if label == "spec.unschedulable" || label == "spec.hostNetwork" => "false".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors_match_like_the_api_server() {
        let l = labels(&[("app", "smf-service"), ("tier", "core")]);
        let cases = [
            ("", true),
            ("app=smf-service", true),
            ("app==smf-service", true),
            ("app!=smf-service", false),
            ("app in (a, smf-service)", true),
            ("app notin (smf-service)", false),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("missing!=x", true),
            ("app=smf-service,tier=edge", false),
            ("app in (smf-service),tier notin (edge,x)", true),
        ];
        for (sel, want) in cases {
            let s = LabelSelector::parse(sel).unwrap();
            assert_eq!(s.matches(&l), want, "{sel}");
        }
    }

    #[test]
    fn bad_label_selectors_are_refused() {
        for sel in ["app=(x", "a b=c", "app in x", "=x", "app=a b"] {
            assert!(LabelSelector::parse(sel).is_err(), "{sel}");
        }
    }

    #[test]
    fn field_selectors_check_supported_labels() {
        let obj = serde_json::json!({"metadata": {"name": "p"}, "spec": {"nodeName": "worker2"}, "status": {"phase": "Running"}});
        let f = |k: &str| field_value(&obj, k);
        let sel = FieldSelector::parse(
            "spec.nodeName=worker2,status.phase!=Failed",
            supported_fields("pods"),
        )
        .unwrap();
        assert!(sel.matches(&f));
        let sel = FieldSelector::parse("status.phase=Pending", supported_fields("pods")).unwrap();
        assert!(!sel.matches(&f));
        let err = FieldSelector::parse("spec.foo=x", supported_fields("pods")).unwrap_err();
        assert_eq!(err.0, "field label not supported: spec.foo");
        assert!(FieldSelector::parse("nonsense", supported_fields("pods")).is_err());
    }

    #[test]
    fn event_source_field_is_the_component() {
        let ev = serde_json::json!({"source": {"component": "kubelet", "host": "w"}});
        assert_eq!(field_value(&ev, "source"), "kubelet");
    }
}
