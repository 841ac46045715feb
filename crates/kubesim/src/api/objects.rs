//! get, list (selectors, paging), watch (resume, bookmarks, watch-list) and
//! server-side printing (Table) of stored objects, with the real server's
//! JSON shapes.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};

use super::{ApiState, Params, Target, status};
use crate::printers;
use crate::resources::RESOURCES;
use crate::selector::{FieldSelector, LabelSelector, supported_fields};
use crate::store::{Change, EventType, Obj};

/// What the client asked the objects to look like.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IncludeObject {
    None,
    Metadata,
    Object,
}

#[derive(Clone, Copy)]
enum Format {
    Json,
    Table(IncludeObject),
}

fn format(headers: &HeaderMap, params: &Params) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .unwrap_or_default();
    // kubectl offers Table first and plain JSON as a fallback.
    let wants_table = accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"));
    if !wants_table {
        return Format::Json;
    }
    let inc = match params.get("includeObject").map(String::as_str) {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    };
    Format::Table(inc)
}

struct Filter {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn parse(t: &Target, params: &Params) -> Result<Self, Response> {
        let labels = LabelSelector::parse(
            params
                .get("labelSelector")
                .map(String::as_str)
                .unwrap_or(""),
        )
        .map_err(|e| status::bad_request(&e.0))?;
        let fields = FieldSelector::parse(
            params
                .get("fieldSelector")
                .map(String::as_str)
                .unwrap_or(""),
            supported_fields(t.res.plural),
        )
        .map_err(|e| status::bad_request(&e.0))?;
        Ok(Filter { labels, fields })
    }

    fn keep(&self, o: &Obj) -> bool {
        self.labels.matches(&o.labels) && self.fields.matches(&|k| o.field(k))
    }
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn partial_metadata(v: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": v.get("metadata").cloned().unwrap_or(json!({})),
    })
}

fn table_row(res: usize, obj: &Obj, inc: IncludeObject) -> Value {
    let r = &RESOURCES[res];
    let mut v = obj.value();
    let cells = printers::cells(r.plural, &v, now());
    let mut row = json!({"cells": cells});
    match inc {
        IncludeObject::None => {}
        IncludeObject::Metadata => row["object"] = partial_metadata(&v),
        IncludeObject::Object => {
            v["kind"] = json!(r.kind);
            v["apiVersion"] = json!(r.api_version());
            row["object"] = v;
        }
    }
    row
}

fn column_definitions(res: usize) -> Value {
    printers::columns(RESOURCES[res].plural)
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.type_,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect()
}

fn table(res: usize, rows: Vec<Value>, metadata: Value, with_columns: bool) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": if with_columns { column_definitions(res) } else { Value::Null },
        "rows": rows,
    })
}

pub(super) fn get(
    st: &Arc<ApiState>,
    t: &Target,
    name: &str,
    headers: &HeaderMap,
    params: &Params,
) -> Response {
    let ns = t.namespace.unwrap_or_default();
    let Some(obj) = st.store.get(t.res_idx, ns, name) else {
        return status::not_found(t.res, name);
    };
    match format(headers, params) {
        Format::Json => status::json_response(StatusCode::OK, obj.full_json()),
        Format::Table(inc) => {
            let row = table_row(t.res_idx, &obj, inc);
            let v = table(
                t.res_idx,
                vec![row],
                json!({"resourceVersion": obj.rv.to_string()}),
                true,
            );
            super::json(&v)
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    v: String,
    rv: u64,
    start: String,
}

/// Like the real server's tokens, `start` is relative to the list's key
/// prefix: `name` within a namespace, `namespace/name` across namespaces.
fn encode_continue(rv: u64, last: &Obj, in_namespace: bool) -> String {
    let start = if last.namespace.is_empty() || in_namespace {
        format!("{}\u{0}", last.name)
    } else {
        format!("{}/{}\u{0}", last.namespace, last.name)
    };
    let tok = ContinueToken {
        v: "meta.k8s.io/v1".into(),
        rv,
        start,
    };
    base64::engine::general_purpose::URL_SAFE.encode(serde_json::to_vec(&tok).unwrap_or_default())
}

fn decode_continue(s: &str, namespace: Option<&str>, namespaced: bool) -> Option<(String, String)> {
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(s))
        .ok()?;
    let tok: ContinueToken = serde_json::from_slice(&raw).ok()?;
    let start = tok.start.strip_suffix('\u{0}')?;
    if let Some(ns) = namespace {
        Some((ns.to_string(), start.to_string()))
    } else if namespaced {
        let (ns, name) = start.split_once('/')?;
        Some((ns.to_string(), name.to_string()))
    } else {
        Some((String::new(), start.to_string()))
    }
}

pub(super) fn list(
    st: &Arc<ApiState>,
    t: &Target,
    headers: &HeaderMap,
    params: &Params,
) -> Response {
    let filter = match Filter::parse(t, params) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let limit = match params.get("limit").map(|l| l.parse::<i64>()) {
        None => None,
        Some(Ok(l)) if l > 0 => Some(l as usize),
        Some(Ok(_)) => None,
        Some(Err(_)) => return status::bad_request("limit: Invalid value: must be an integer"),
    };
    let after = match params.get("continue").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match decode_continue(c, t.namespace, t.res.namespaced) {
            Some(k) => Some(k),
            None => {
                return status::bad_request(
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                );
            }
        },
    };
    let (page, rv, remaining) = st
        .store
        .list_page(t.res_idx, t.namespace, after, limit, &|o| filter.keep(o));
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if remaining > 0 {
        if let Some(last) = page.last() {
            meta["continue"] = json!(encode_continue(rv, last, t.namespace.is_some()));
            meta["remainingItemCount"] = json!(remaining);
        }
    }
    match format(headers, params) {
        Format::Table(inc) => {
            let rows = page.iter().map(|o| table_row(t.res_idx, o, inc)).collect();
            super::json(&table(t.res_idx, rows, meta, true))
        }
        Format::Json => {
            // Assembled from the stored bytes: a 100,000-pod list is never
            // parsed and re-serialized.
            let mut out =
                Vec::with_capacity(page.iter().map(|o| o.body.len() + 1).sum::<usize>() + 256);
            out.extend_from_slice(
                format!(
                    "{{\"kind\":\"{}\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
                    t.res.list_kind(),
                    t.res.api_version(),
                    meta
                )
                .as_bytes(),
            );
            for (i, o) in page.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&o.body);
            }
            out.extend_from_slice(b"]}");
            status::json_response(StatusCode::OK, out)
        }
    }
}

pub(super) fn create_pod(st: &Arc<ApiState>, t: &Target, body: Bytes) -> Response {
    let Some(ns) = t.namespace else {
        return status::method_not_allowed();
    };
    let mut pod: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return status::bad_request(&format!("the object provided is unrecognized: {e}")),
    };
    if pod.get("kind").and_then(|k| k.as_str()) != Some("Pod") {
        return status::bad_request("the object provided is not a Pod");
    }
    pod["metadata"]["namespace"] = json!(ns);
    match st.kubelet.admit_pod(pod) {
        Ok(obj) => status::json_response(StatusCode::CREATED, obj.full_json()),
        Err(crate::kubelet::AdmitError::Exists(name)) => status::status(
            409,
            "AlreadyExists",
            &format!("pods \"{name}\" already exists"),
            Some(json!({"name": name, "kind": "pods"})),
        ),
        Err(e) => status::status(422, "Invalid", &e.to_string(), None),
    }
}

pub(super) fn delete_pod(st: &Arc<ApiState>, t: &Target, name: &str) -> Response {
    let ns = t.namespace.unwrap_or_default();
    match st.kubelet.remove_pod(ns, name) {
        Some(obj) => status::json_response(StatusCode::OK, obj.full_json()),
        None => status::not_found(t.res, name),
    }
}

/// Renders one watch event line, or None when it does not concern this watch.
struct WatchView {
    res: usize,
    namespace: Option<String>,
    filter: Filter,
    format: Format,
    sent_columns: bool,
}

impl WatchView {
    fn selected(&self, o: &Obj) -> bool {
        self.namespace.as_deref().is_none_or(|ns| ns == o.namespace) && self.filter.keep(o)
    }

    fn render(&mut self, kind: &str, obj: &Obj) -> Bytes {
        let object = match self.format {
            Format::Json => {
                let raw = obj.full_json();
                serde_json::from_slice::<Value>(&raw).unwrap_or(Value::Null)
            }
            Format::Table(inc) => {
                let row = table_row(self.res, obj, inc);
                let first = !self.sent_columns;
                self.sent_columns = true;
                table(
                    self.res,
                    vec![row],
                    json!({"resourceVersion": obj.rv.to_string()}),
                    first,
                )
            }
        };
        line(&json!({"type": kind, "object": object}))
    }

    fn change(&mut self, c: &Change) -> Option<Bytes> {
        if c.obj.res != self.res {
            return None;
        }
        let now_in = self.selected(&c.obj);
        let was_in = c.prev.as_ref().is_some_and(|p| self.selected(p));
        let kind = match (c.kind, was_in, now_in) {
            (EventType::Added, _, true) => "ADDED",
            (EventType::Modified, true, true) => "MODIFIED",
            (EventType::Modified, false, true) => "ADDED",
            (EventType::Modified, true, false) => "DELETED",
            (EventType::Deleted, true, _) => "DELETED",
            _ => return None,
        };
        Some(self.render(kind, &c.obj))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let r = &RESOURCES[self.res];
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = match self.format {
            Format::Json => {
                json!({"kind": r.kind, "apiVersion": r.api_version(), "metadata": meta})
            }
            Format::Table(_) => {
                json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": null, "rows": null})
            }
        };
        line(&json!({"type": "BOOKMARK", "object": object}))
    }
}

fn line(v: &Value) -> Bytes {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

pub(super) fn watch(
    st: &Arc<ApiState>,
    t: &Target,
    headers: &HeaderMap,
    params: &Params,
) -> Response {
    let filter = match Filter::parse(t, params) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let rv_param = params.get("resourceVersion").cloned().unwrap_or_default();
    let send_initial = params.get("sendInitialEvents").is_some_and(|v| v == "true");
    let bookmarks = params
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true");
    let since = match rv_param.as_str() {
        "" | "0" => None,
        s => match s.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => return status::bad_request(&format!("invalid resource version: {s}")),
        },
    };
    let timeout = params
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or_else(|| Duration::from_secs(1800 + rand::random::<u64>() % 1800));
    let mut view = WatchView {
        res: t.res_idx,
        namespace: t.namespace.map(str::to_string),
        filter,
        format: format(headers, params),
        sent_columns: false,
    };
    let replay_state = since.is_none() || send_initial;
    let subscribed = st.store.watch_from(if replay_state { None } else { since });
    let (past, start_rv, mut rx) = match subscribed {
        Ok(x) => x,
        Err(too_old) => {
            let ev = json!({"type": "ERROR", "object": status::status_body(410, "Expired", &too_old.to_string(), None)});
            return super::stream_response(
                "application/json",
                futures::stream::iter([Ok(line(&ev))]),
            );
        }
    };
    let mut first: Vec<Bytes> = Vec::new();
    if replay_state {
        // The state as synthetic ADDED events, as the server's watch cache does.
        let (all, _, _) = st
            .store
            .list_page(t.res_idx, t.namespace, None, None, &|o| view.filter.keep(o));
        for o in all.iter().filter(|o| o.rv <= start_rv) {
            first.push(view.render("ADDED", o));
        }
        if send_initial && bookmarks {
            first.push(view.bookmark(start_rv, true));
        }
    } else {
        for c in &past {
            if let Some(b) = view.change(c) {
                first.push(b);
            }
        }
    }
    let shutdown = st.shutdown.clone();
    let bookmark_every = st.bookmark_interval;
    let cut_after = st.faults.cut_after;
    let stream = async_stream::stream! {
        for b in first {
            yield Ok::<_, std::io::Error>(b);
        }
        let deadline = tokio::time::Instant::now() + timeout.min(cut_after.unwrap_or(timeout));
        let mut last_rv = start_rv;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + bookmark_every, bookmark_every);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep_until(deadline) => {
                    if cut_after.is_some_and(|c| c < timeout) {
                        yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected cut"));
                    }
                    break;
                }
                _ = tick.tick(), if bookmarks => {
                    yield Ok(view.bookmark(last_rv, false));
                }
                c = rx.recv() => match c {
                    Ok(c) => {
                        if c.rv <= start_rv { continue; }
                        last_rv = c.rv;
                        if let Some(b) = view.change(&c) {
                            yield Ok(b);
                        }
                    }
                    // Too slow to keep up, or the store is gone: end the
                    // watch; the client resumes from its last resourceVersion.
                    Err(_) => break,
                }
            }
        }
    };
    super::stream_response("application/json", stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let s = crate::store::Store::new(10);
        let o = s
            .create(json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "cache-pod-0", "namespace": "smf-data"}}))
            .unwrap();
        let tok = encode_continue(1740, &o, false);
        assert_eq!(
            decode_continue(&tok, None, true),
            Some(("smf-data".into(), "cache-pod-0".into()))
        );
        let tok = encode_continue(1740, &o, true);
        assert_eq!(
            decode_continue(&tok, Some("smf-data"), true),
            Some(("smf-data".into(), "cache-pod-0".into()))
        );
        assert_eq!(decode_continue("garbage", None, true), None);
        // The real server's token (a list in smf-data) decodes too.
        let real =
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTc0MCwic3RhcnQiOiJjYWNoZS1wb2QtMFx1MDAwMCJ9";
        assert_eq!(
            decode_continue(real, Some("smf-data"), true),
            Some(("smf-data".into(), "cache-pod-0".into()))
        );
    }
}
