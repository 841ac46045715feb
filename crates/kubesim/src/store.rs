//! The in-memory object store: what etcd and the watch cache are to a real API
//! server. Objects are kept serialized (a 100,000-pod world must fit in
//! memory and list fast), with the few fields selectors need kept beside
//! them. Every change gets a new resourceVersion and is kept in a bounded
//! history so watches can resume from a resourceVersion, as clients expect.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::resources::RESOURCES;
use crate::selector;

/// One stored object. `body` is its JSON without `kind`/`apiVersion` (list
/// items carry neither), with `metadata.resourceVersion` set.
#[derive(Debug)]
pub struct Obj {
    pub res: usize,
    pub rv: u64,
    pub namespace: String,
    pub name: String,
    pub body: Bytes,
    pub labels: BTreeMap<String, String>,
    fields: Vec<(&'static str, String)>,
}

impl Obj {
    pub fn value(&self) -> Value {
        // The body was produced by serde_json from a Value, so it parses.
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The JSON of the object as a single GET or a watch event returns it.
    pub fn full_json(&self) -> Vec<u8> {
        let r = &RESOURCES[self.res];
        let mut out = Vec::with_capacity(self.body.len() + 48);
        out.extend_from_slice(b"{\"kind\":\"");
        out.extend_from_slice(r.kind.as_bytes());
        out.extend_from_slice(b"\",\"apiVersion\":\"");
        out.extend_from_slice(r.api_version().as_bytes());
        out.extend_from_slice(b"\"");
        if self.body.len() > 2 {
            out.push(b',');
            out.extend_from_slice(&self.body[1..]);
        } else {
            out.push(b'}');
        }
        out
    }

    /// The same object stamped with another resourceVersion: what a watch
    /// sends as DELETED when a change takes an object out of its selection
    /// (the previous state, at the change's resourceVersion).
    pub fn with_resource_version(&self, rv: u64) -> Obj {
        let mut value = self.value();
        if let Some(m) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            m.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
        Obj {
            res: self.res,
            rv,
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            body: Bytes::from(serde_json::to_vec(&value).expect("a Value always serializes")),
            labels: self.labels.clone(),
            fields: self.fields.clone(),
        }
    }

    pub fn field(&self, label: &str) -> String {
        match label {
            "metadata.name" => self.name.clone(),
            "metadata.namespace" => self.namespace.clone(),
            _ => self
                .fields
                .iter()
                .find(|(k, _)| *k == label)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as the watch cache keeps it: the new object and the one it
/// replaced (so a watch with a selector can turn a change that leaves the
/// selection into DELETED, as the real server does).
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub kind: EventType,
    pub obj: Arc<Obj>,
    pub prev: Option<Arc<Obj>>,
}

/// Where a watch starts: the changes already past the requested
/// resourceVersion, the resourceVersion the receiver starts after, and the
/// receiver of every later change.
pub type WatchStart = (Vec<Arc<Change>>, u64, broadcast::Receiver<Arc<Change>>);

/// The requested resourceVersion is older than the history kept. The message
/// is the watch cache's: the number in parentheses is the oldest
/// resourceVersion a watch can still start from (one before the oldest change
/// kept).
#[derive(Debug, thiserror::Error)]
#[error("too old resource version: {requested} ({})", .oldest.saturating_sub(1))]
pub struct TooOld {
    pub requested: u64,
    pub oldest: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("object has no metadata.name")]
    NoName,
    #[error("unknown kind {0:?}")]
    UnknownKind(String),
    #[error("{plural} \"{name}\" already exists")]
    AlreadyExists { plural: &'static str, name: String },
}

struct Inner {
    rv: u64,
    by_res: Vec<BTreeMap<(String, String), Arc<Obj>>>,
    history: VecDeque<Arc<Change>>,
}

pub struct Store {
    inner: RwLock<Inner>,
    tx: broadcast::Sender<Arc<Change>>,
    history_cap: usize,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(20_000)
    }
}

impl Store {
    pub fn new(history_cap: usize) -> Self {
        let (tx, _) = broadcast::channel(65_536);
        Store {
            inner: RwLock::new(Inner {
                rv: 1000,
                by_res: RESOURCES.iter().map(|_| BTreeMap::new()).collect(),
                history: VecDeque::new(),
            }),
            tx,
            history_cap,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn current_rv(&self) -> u64 {
        self.read().rv
    }

    fn make_obj(res: usize, rv: u64, mut value: Value) -> Result<Obj, StoreError> {
        let r = &RESOURCES[res];
        if let Some(m) = value.as_object_mut() {
            m.remove("kind");
            m.remove("apiVersion");
        }
        let meta = value
            .get_mut("metadata")
            .and_then(|m| m.as_object_mut())
            .ok_or(StoreError::NoName)?;
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        let name = meta
            .get("name")
            .and_then(|n| n.as_str())
            .ok_or(StoreError::NoName)?
            .to_string();
        let namespace = if r.namespaced {
            meta.get("namespace")
                .and_then(|n| n.as_str())
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        let labels = meta
            .get("labels")
            .and_then(|l| l.as_object())
            .map(|l| {
                l.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let fields = selector::supported_fields(r.plural)
            .iter()
            .filter(|f| !f.starts_with("metadata."))
            .map(|f| (*f, selector::field_value(&value, f)))
            .collect();
        let body = Bytes::from(serde_json::to_vec(&value).expect("a Value always serializes"));
        Ok(Obj {
            res,
            rv,
            namespace,
            name,
            body,
            labels,
            fields,
        })
    }

    fn commit(&self, inner: &mut Inner, kind: EventType, obj: Arc<Obj>, prev: Option<Arc<Obj>>) {
        let change = Arc::new(Change {
            rv: obj.rv,
            kind,
            obj,
            prev,
        });
        inner.history.push_back(change.clone());
        while inner.history.len() > self.history_cap {
            inner.history.pop_front();
        }
        // No receiver is fine: nobody is watching.
        let _ = self.tx.send(change);
    }

    /// Adds an object (its kind decides where); fails if it exists.
    pub fn create(&self, value: Value) -> Result<Arc<Obj>, StoreError> {
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default();
        let (res, r) = crate::resources::by_kind(kind)
            .ok_or_else(|| StoreError::UnknownKind(kind.to_string()))?;
        let mut inner = self.write();
        let rv = inner.rv + 1;
        let obj = Arc::new(Self::make_obj(res, rv, value)?);
        let key = (obj.namespace.clone(), obj.name.clone());
        if inner.by_res[res].contains_key(&key) {
            return Err(StoreError::AlreadyExists {
                plural: r.plural,
                name: obj.name.clone(),
            });
        }
        inner.rv = rv;
        inner.by_res[res].insert(key, obj.clone());
        self.commit(&mut inner, EventType::Added, obj.clone(), None);
        Ok(obj)
    }

    /// Loads many objects at once without keeping them in the watch history
    /// (the initial world: a 100,000-pod history would only waste memory).
    pub fn load(&self, values: Vec<Value>) -> Result<(), StoreError> {
        let mut inner = self.write();
        for value in values {
            let kind = value
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or_default();
            let (res, _) = crate::resources::by_kind(kind)
                .ok_or_else(|| StoreError::UnknownKind(kind.to_string()))?;
            inner.rv += 1;
            let obj = Self::make_obj(res, inner.rv, value)?;
            inner.by_res[res].insert((obj.namespace.clone(), obj.name.clone()), Arc::new(obj));
        }
        Ok(())
    }

    /// Changes an object in place; `f` returns false to leave it unchanged.
    pub fn update(
        &self,
        res: usize,
        namespace: &str,
        name: &str,
        f: impl FnOnce(&mut Value) -> bool,
    ) -> Option<Arc<Obj>> {
        let mut inner = self.write();
        let key = (namespace.to_string(), name.to_string());
        let prev = inner.by_res[res].get(&key)?.clone();
        let mut value = prev.value();
        if !f(&mut value) {
            return Some(prev);
        }
        let rv = inner.rv + 1;
        let obj = Arc::new(Self::make_obj(res, rv, value).ok()?);
        inner.rv = rv;
        inner.by_res[res].insert(key, obj.clone());
        self.commit(&mut inner, EventType::Modified, obj.clone(), Some(prev));
        Some(obj)
    }

    pub fn delete(&self, res: usize, namespace: &str, name: &str) -> Option<Arc<Obj>> {
        let mut inner = self.write();
        let key = (namespace.to_string(), name.to_string());
        let prev = inner.by_res[res].remove(&key)?;
        let rv = inner.rv + 1;
        inner.rv = rv;
        // The DELETED event carries the last state with a new resourceVersion.
        let obj = Arc::new(Self::make_obj(res, rv, prev.value()).ok()?);
        self.commit(&mut inner, EventType::Deleted, obj.clone(), Some(prev));
        Some(obj)
    }

    pub fn get(&self, res: usize, namespace: &str, name: &str) -> Option<Arc<Obj>> {
        self.read().by_res[res]
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    pub fn count(&self, res: usize) -> usize {
        self.read().by_res[res].len()
    }

    /// One page of a list in key order, starting after `after`, keeping the
    /// objects `keep` accepts. Returns the page, the store's resourceVersion
    /// and how many matching objects remain after the page.
    pub fn list_page(
        &self,
        res: usize,
        namespace: Option<&str>,
        after: Option<(String, String)>,
        limit: Option<usize>,
        keep: &dyn Fn(&Obj) -> bool,
    ) -> (Vec<Arc<Obj>>, u64, usize) {
        use std::ops::Bound;
        let inner = self.read();
        let map = &inner.by_res[res];
        let start = match (&after, namespace) {
            (Some(k), _) => Bound::Excluded(k.clone()),
            (None, Some(ns)) => Bound::Included((ns.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let mut page = Vec::new();
        let mut remaining = 0usize;
        for ((ns, _), obj) in map.range((start, Bound::Unbounded)) {
            if namespace.is_some_and(|want| ns.as_str() != want) {
                break;
            }
            if !keep(obj) {
                continue;
            }
            if limit.is_some_and(|l| page.len() >= l) {
                remaining += 1;
            } else {
                page.push(obj.clone());
            }
        }
        (page, inner.rv, remaining)
    }

    /// Subscribes to changes after `since` (None: after now). Returns the
    /// changes already past `since`, the resourceVersion the receiver starts
    /// after, and a receiver for the rest, taken under one lock so none falls
    /// between them.
    pub fn watch_from(&self, since: Option<u64>) -> Result<WatchStart, TooOld> {
        let inner = self.read();
        let rx = self.tx.subscribe();
        let Some(since) = since else {
            return Ok((Vec::new(), inner.rv, rx));
        };
        if since >= inner.rv {
            return Ok((Vec::new(), inner.rv, rx));
        }
        let oldest = inner.history.front().map(|c| c.rv).unwrap_or(inner.rv + 1);
        if since + 1 < oldest {
            return Err(TooOld {
                requested: since,
                oldest,
            });
        }
        let past = inner
            .history
            .iter()
            .filter(|c| c.rv > since)
            .cloned()
            .collect();
        Ok((past, inner.rv, rx))
    }

    /// The objects `keep` accepts (in key order) and a receiver for every
    /// change after them, taken under one lock: the initial events of a watch
    /// that starts from the current state, with no change lost or doubled
    /// between the snapshot and the subscription.
    pub fn snapshot_and_watch(
        &self,
        res: usize,
        namespace: Option<&str>,
        keep: &dyn Fn(&Obj) -> bool,
    ) -> (Vec<Arc<Obj>>, u64, broadcast::Receiver<Arc<Change>>) {
        use std::ops::Bound;
        let inner = self.read();
        let rx = self.tx.subscribe();
        let start = match namespace {
            Some(ns) => Bound::Included((ns.to_string(), String::new())),
            None => Bound::Unbounded,
        };
        let objs = inner.by_res[res]
            .range((start, Bound::Unbounded))
            .take_while(|((ns, _), _)| namespace.is_none_or(|want| ns == want))
            .filter(|(_, o)| keep(o))
            .map(|(_, o)| o.clone())
            .collect();
        (objs, inner.rv, rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::index_of;
    use serde_json::json;

    fn pod(ns: &str, name: &str, node: &str) -> Value {
        json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}}, "spec": {"nodeName": node}, "status": {"phase": "Running"}})
    }

    #[test]
    fn create_get_update_delete_bump_resource_versions() {
        let s = Store::new(100);
        let pods = index_of("pods");
        let a = s.create(pod("ns1", "a", "w1")).unwrap();
        assert!(s.create(pod("ns1", "a", "w1")).is_err());
        let b = s.update(pods, "ns1", "a", |v| {
            v["status"]["phase"] = json!("Failed");
            true
        });
        let b = b.unwrap();
        assert!(b.rv > a.rv);
        assert_eq!(b.field("status.phase"), "Failed");
        let full: Value = serde_json::from_slice(&b.full_json()).unwrap();
        assert_eq!(full["kind"], "Pod");
        assert_eq!(full["metadata"]["resourceVersion"], b.rv.to_string());
        let d = s.delete(pods, "ns1", "a").unwrap();
        assert!(d.rv > b.rv);
        assert!(s.get(pods, "ns1", "a").is_none());
    }

    #[test]
    fn pages_cover_everything_once_in_key_order() {
        let s = Store::new(100);
        let pods = index_of("pods");
        for i in 0..25 {
            s.create(pod(
                if i % 2 == 0 { "even" } else { "odd" },
                &format!("p{i:02}"),
                "w",
            ))
            .unwrap();
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let (page, _, remaining) =
                s.list_page(pods, Some("even"), after.clone(), Some(4), &|_| true);
            seen.extend(page.iter().map(|o| o.name.clone()));
            if remaining == 0 {
                break;
            }
            let last = page.last().unwrap();
            after = Some((last.namespace.clone(), last.name.clone()));
        }
        assert_eq!(seen.len(), 13);
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
    }

    #[test]
    fn watch_resumes_from_history_and_refuses_too_old() {
        let s = Store::new(3);
        let pods = index_of("pods");
        let first = s.create(pod("n", "a", "w")).unwrap();
        for i in 0..5 {
            s.update(pods, "n", "a", |v| {
                v["metadata"]["labels"]["i"] = json!(i.to_string());
                true
            });
        }
        assert!(s.watch_from(Some(first.rv)).is_err());
        let now = s.current_rv();
        let (past, _, _) = s.watch_from(Some(now - 2)).unwrap();
        assert_eq!(past.len(), 2);
    }
}
